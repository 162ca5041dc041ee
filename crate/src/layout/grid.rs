//! Step 6: a track's grid kind. The track's lines, as shares of its width (0 at the left edge,
//! 1 at the right), are compared with the lines of a linear grid of `n` divisions (`k / n`) and
//! of a logarithmic grid of `d` decades starting at mantissa `m0` (`log10(v / m0) / d` for every
//! `v = m * 10^e`, `m` in 1..=9: the spacing falls 1..10 within each decade). Each model scores
//! the harmonic mean of the share of its lines found and the share of the found lines it
//! expects; the best model is reported when it scores at least [`MIN_GRID_SCORE`].

use super::tune::{GRID_TOL_PX, GRID_TOL_SHARE, MAX_DECADES, MAX_DIVISIONS, MIN_GRID_SCORE};
use super::{Finding, Grid, GridKind};

/// Expected positions (shares of the width, sorted) of a log grid.
fn log_positions(decades: usize, m0: u32) -> Vec<f64> {
    let start = f64::from(m0).log10();
    let mut out = Vec::new();
    for e in 0..=decades as i32 + 1 {
        for m in 1..=9u32 {
            let t = (f64::from(m).log10() + f64::from(e) - start) / decades as f64;
            if (-1e-9..=1.0 + 1e-9).contains(&t) {
                out.push(t.clamp(0.0, 1.0));
            }
        }
    }
    out.sort_by(f64::total_cmp);
    out.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    out
}

/// Score of `found` (shares of the width) against `expected`; `px` is the track's width.
fn score(found: &[f64], expected: &[f64], px: f64) -> f64 {
    if expected.len() < 2 || found.is_empty() {
        return 0.0;
    }
    let tol: Vec<f64> = (0..expected.len())
        .map(|i| {
            let l = if i > 0 { expected[i] - expected[i - 1] } else { f64::MAX };
            let r = if i + 1 < expected.len() { expected[i + 1] - expected[i] } else { f64::MAX };
            (GRID_TOL_SHARE * l.min(r)).max(GRID_TOL_PX / px).min(0.45 * l.min(r))
        })
        .collect();
    let near = |t: f64, e: usize| (t - expected[e]).abs() <= tol[e];
    let hit = (0..expected.len()).filter(|&e| found.iter().any(|&t| near(t, e))).count();
    let explained = found.iter().filter(|&&t| (0..expected.len()).any(|e| near(t, e))).count();
    let recall = hit as f64 / expected.len() as f64;
    let precision = explained as f64 / found.len() as f64;
    if recall + precision == 0.0 {
        0.0
    } else {
        2.0 * recall * precision / (recall + precision)
    }
}

/// The best linear model of some lines: `(divisions, score)`.
type LinearFit = (usize, f64);
/// The best log model of some lines: `(decades, start mantissa, score)`.
type LogFit = (usize, u32, f64);

/// The best linear and log models of lines at frame columns `us` (the two edges included);
/// `None` when the edges coincide or there are no lines.
fn models(us: &[f64]) -> Option<(LinearFit, LogFit)> {
    let (&l, &r) = (us.first()?, us.last()?);
    let px = r - l;
    if px <= 0.0 {
        return None;
    }
    let found: Vec<f64> = us.iter().map(|&u| (u - l) / px).collect();
    let mut linear = (0usize, 0.0f64);
    for n in 1..=MAX_DIVISIONS {
        let expected: Vec<f64> = (0..=n).map(|k| k as f64 / n as f64).collect();
        let s = score(&found, &expected, px);
        if s > linear.1 + 1e-9 {
            linear = (n, s);
        }
    }
    let mut log = (0usize, 1u32, 0.0f64);
    for d in 1..=MAX_DECADES {
        for m0 in 1..=9u32 {
            let s = score(&found, &log_positions(d, m0), px);
            if s > log.2 + 1e-9 {
                log = (d, m0, s);
            }
        }
    }
    Some((linear, log))
}

/// The score of the best grid model (linear or log) of lines at frame columns `us` (0 when
/// there is none).
pub(super) fn best_score(us: &[f64]) -> f64 {
    models(us).map_or(0.0, |(linear, log)| linear.1.max(log.2))
}

/// The grid of a track whose lines lie at frame columns `us` (its two edges included).
pub(super) fn classify(us: &[f64]) -> Finding<Grid> {
    if us.is_empty() {
        return Finding::Absent("the track has no lines".into());
    }
    let Some((linear, log)) = models(us) else {
        return Finding::Absent("the track's edges coincide".into());
    };
    let (kind, best, other) = if log.2 > linear.1 {
        (GridKind::Log { decades: log.0, start_mantissa: log.1 }, log.2, linear.1)
    } else {
        (GridKind::Linear { divisions: linear.0 }, linear.1, log.2)
    };
    if best < MIN_GRID_SCORE {
        return Finding::Absent(format!(
            "its {} lines fit neither a linear grid ({} divisions scores {:.2}) nor a log grid ({} decades scores \
             {:.2}); {MIN_GRID_SCORE} is needed",
            us.len(),
            linear.0,
            linear.1,
            log.0,
            log.2
        ));
    }
    // Confidence: the score, less what the other kind also explains.
    let confidence = (best * (1.0 - 0.5 * (other / best).powi(4))).clamp(0.0, 1.0);
    Finding::Found(Grid { kind, score: round3(best), confidence: round3(confidence) })
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_decade_has_ten_lines() {
        let p = log_positions(1, 1);
        assert_eq!(p.len(), 10);
        assert!((p[1] - 2f64.log10()).abs() < 1e-12);
    }

    #[test]
    fn linear_ten_and_log_four() {
        let lin: Vec<f64> = (0..=10).map(|k| 100.0 + 50.0 * f64::from(k)).collect();
        match classify(&lin) {
            Finding::Found(g) => assert_eq!(g.kind, GridKind::Linear { divisions: 10 }),
            Finding::Absent(r) => panic!("{r}"),
        }
        let log: Vec<f64> = log_positions(4, 1).iter().map(|t| 10.0 + 500.0 * t).collect();
        match classify(&log) {
            Finding::Found(g) => assert_eq!(g.kind, GridKind::Log { decades: 4, start_mantissa: 1 }),
            Finding::Absent(r) => panic!("{r}"),
        }
    }
}
