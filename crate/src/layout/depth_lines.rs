//! Step 7: the depth lines. The tracks' ruled intervals, measured along the depth lines'
//! slope ([`super::tracks`]), are added into one profile (by each interval's width); a run of
//! at most [`MAX_DEPTH_LINE_ROWS`] rows at least [`DEPTH_LINE_FRAC`] dark is one depth line.
//! Its weight is the ink it puts in one column (the sum of the run's darkness); weights
//! split into up to three classes where they differ by [`WEIGHT_RATIO`] or more.

use super::drift::Frame;
use super::skew::Tilt;
use super::tracks::{line_runs, Interval};
use super::tune::{
    DEPTH_LINE_FRAC, MAX_DEPTH_LINE_ROWS, MAX_MISSING_LINES, MIN_DEPTH_LINES, MIN_SECTION_LINES, NEIGHBOURS,
    SECTION_WINDOW, SPACING_TOL, WEIGHT_RATIO,
};
use super::vertical::round2;
use super::{DepthLine, DepthLines, Finding, Section, Weight};

/// Splits sorted values into two groups at the cut that leaves the least spread (in logs).
fn best_cut(v: &[f64]) -> Option<(usize, f64)> {
    if v.len() < 2 {
        return None;
    }
    let logs: Vec<f64> = v.iter().map(|x| x.max(1e-6).ln()).collect();
    let sse = |s: &[f64]| {
        let m = s.iter().sum::<f64>() / s.len() as f64;
        s.iter().map(|x| (x - m).powi(2)).sum::<f64>()
    };
    (1..logs.len()).map(|c| (c, sse(&logs[..c]) + sse(&logs[c..]))).min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Weight classes: thresholds between light and medium, medium and heavy (`None`: no such class).
fn classes(weights: &[f64]) -> (Option<f64>, Option<f64>) {
    let mut v = weights.to_vec();
    v.sort_by(f64::total_cmp);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len().max(1) as f64;
    // At least 2 % of the lines make a class (a heavy line every 10th is 10 %).
    let min_class = (v.len() / 50).max(1);
    let Some((c, _)) = best_cut(&v) else { return (None, None) };
    if c < min_class || v.len() - c < min_class || mean(&v[c..]) < WEIGHT_RATIO * mean(&v[..c]) {
        return (None, None);
    }
    let cut1 = (v[c - 1] + v[c]) / 2.0;
    // The heavier group may split again (heavy every 10th among medium every 5th).
    let upper = &v[c..];
    if let Some((c2, _)) = best_cut(upper) {
        if c2 >= min_class && upper.len() - c2 >= min_class && mean(&upper[c2..]) >= WEIGHT_RATIO * mean(&upper[..c2]) {
            return (Some(cut1), Some((upper[c2 - 1] + upper[c2]) / 2.0));
        }
    }
    // Or the lighter group (light, medium and heavy where heavy is rarest).
    let lower = &v[..c];
    if let Some((c2, _)) = best_cut(lower) {
        if c2 >= min_class && lower.len() - c2 >= min_class && mean(&lower[c2..]) >= WEIGHT_RATIO * mean(&lower[..c2]) {
            return (Some((lower[c2 - 1] + lower[c2]) / 2.0), Some(cut1));
        }
    }
    (None, Some(cut1))
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The depth lines of the tracks' intervals (`intervals[k]` for every `k` in `inside`).
/// `slope_h` is rows per column; rows are reported at column `at_column`.
pub(super) fn find(
    intervals: &[Interval],
    inside: &[usize],
    frame: &Frame,
    tilt: &Tilt,
    u_ref: f64,
    at_column: f64,
) -> Finding<DepthLines> {
    let used: Vec<&Interval> =
        inside.iter().filter_map(|&k| intervals.get(k)).filter(|i| !i.profile.is_empty()).collect();
    let Some(h) = used.first().map(|i| i.profile.len()) else {
        return Finding::Absent(
            "no track was found, so there are no rows inside a track to look for depth lines in".into(),
        );
    };
    let total: f64 = used.iter().map(|i| i.width()).sum();
    let mut profile = vec![0f32; h];
    for i in &used {
        let wgt = (i.width() / total) as f32;
        for (p, &v) in profile.iter_mut().zip(&i.profile) {
            *p += wgt * v;
        }
    }
    let runs = line_runs(&profile, DEPTH_LINE_FRAC, MAX_DEPTH_LINE_ROWS);
    if runs.len() < MIN_DEPTH_LINES {
        return Finding::Absent(format!(
            "{} rows of the tracks are at least {:.0} % dark across them (at most {MAX_DEPTH_LINE_ROWS} rows thick); \
             {MIN_DEPTH_LINES} depth lines are needed to measure their spacing",
            runs.len(),
            DEPTH_LINE_FRAC * 100.0
        ));
    }
    let found: Vec<(f64, f64, f64)> = runs
        .iter()
        .map(|&(a, b)| {
            let run = &profile[a..b];
            let mass: f64 = run.iter().map(|&v| f64::from(v)).sum();
            let q = run.iter().enumerate().map(|(i, &v)| (a + i) as f64 * f64::from(v)).sum::<f64>() / mass;
            // q = row - tilt * (u - u_ref); back to the scan row at `at_column`.
            let u = at_column - frame.shift(q);
            (q + tilt.at(q) * (u - u_ref), mass, tilt.at(q))
        })
        .collect();
    // A line's weight against its neighbours' (the median of the nearest lines each side):
    // a print's ink fades and darkens along its length (bright-1's heavy lines are 1.5 times
    // the light ones around them, but lighter than the light ones elsewhere).
    let weights: Vec<f64> = (0..found.len())
        .map(|i| {
            let lo = i.saturating_sub(NEIGHBOURS);
            let hi = (i + NEIGHBOURS + 1).min(found.len());
            let around: Vec<f64> = (lo..hi).filter(|&j| j != i).map(|j| found[j].1).collect();
            let m = median(around);
            if m > 0.0 {
                found[i].1 / m
            } else {
                1.0
            }
        })
        .collect();
    let (medium, heavy) = classes(&weights);
    let weight_of = |w: f64| match (medium, heavy) {
        (_, Some(hv)) if w >= hv => Weight::Heavy,
        (Some(m), _) if w >= m => Weight::Medium,
        _ => Weight::Light,
    };
    let lines: Vec<DepthLine> = found
        .iter()
        .zip(&weights)
        .map(|(&(row, w, t), &r)| DepthLine { row: round2(row), slope: t, weight: weight_of(r), ink: round2(w) })
        .collect();
    let gaps: Vec<f64> = lines.windows(2).map(|p| p[1].row - p[0].row).collect();
    // The mean of the gaps near the median: a print at 10.15 rows per foot has gaps of 20 and
    // 21 rows between its 2-ft lines (kinney-heinen-1-4), whose median is 20.
    let typical = median(gaps.clone());
    let near: Vec<f64> = gaps.iter().copied().filter(|g| (g - typical).abs() <= 0.15 * typical).collect();
    let spacing = if near.is_empty() { typical } else { near.iter().sum::<f64>() / near.len() as f64 };
    // How regular: the share of gaps within 15 % of the median (or a whole multiple of it: a
    // line hidden by a curve or a stamp).
    let regular = gaps
        .iter()
        .filter(|&&g| {
            let m = (g / spacing).round().max(1.0);
            (g - m * spacing).abs() <= 0.15 * spacing
        })
        .count() as f64
        / gaps.len().max(1) as f64;
    let every = |class: Weight| {
        let rows: Vec<f64> = lines.iter().filter(|l| l.weight >= class).map(|l| l.row).collect();
        if rows.len() < 3 || class == Weight::Light {
            return None;
        }
        let n = (median(rows.windows(2).map(|p| p[1] - p[0]).collect()) / spacing).round();
        (n >= 2.0).then_some(n as u32)
    };
    let rows: Vec<f64> = lines.iter().map(|l| l.row).collect();
    Finding::Found(DepthLines {
        sections: sections(&rows),
        spacing: round2(spacing),
        regularity: round2(regular),
        slope: tilt.global,
        at_column: round2(at_column),
        medium_every: every(Weight::Medium),
        heavy_every: every(Weight::Heavy),
        count: lines.len(),
        lines,
    })
}

/// Runs of depth lines at one spacing: the log sections (a print may hold a main and a repeat
/// section, or sections at two depth scales, as bright-1 does). A run goes on while each gap is
/// within [`SPACING_TOL`] of a whole multiple (up to [`MAX_MISSING_LINES`]) of the local
/// spacing (the median of the [`SECTION_WINDOW`] gaps each side) and the local spacing stays
/// within [`SPACING_TOL`] of the run's first; runs at the same spacing less than
/// [`MAX_MISSING_LINES`] + 1 lines apart join; sections of at least [`MIN_SECTION_LINES`]
/// lines count.
fn sections(rows: &[f64]) -> Vec<Section> {
    let gaps: Vec<f64> = rows.windows(2).map(|p| p[1] - p[0]).collect();
    let n = gaps.len();
    let local: Vec<f64> = (0..n)
        .map(|i| median(gaps[i.saturating_sub(SECTION_WINDOW)..(i + SECTION_WINDOW + 1).min(n)].to_vec()))
        .collect();
    let fits = |g: f64, s: f64| {
        let m = (g / s).round();
        m >= 1.0 && m <= MAX_MISSING_LINES as f64 + 1.0 && (g - m * s).abs() <= SPACING_TOL * s
    };
    let mut out = Vec::new();
    let mut close = |a: usize, b: usize| {
        // Lines a..=b, gaps a..b.
        if b <= a {
            return;
        }
        let reference = median(local[a..b].to_vec());
        let single: Vec<f64> =
            gaps[a..b].iter().copied().filter(|g| (g - reference).abs() <= SPACING_TOL * reference).collect();
        let spacing = if single.is_empty() { reference } else { single.iter().sum::<f64>() / single.len() as f64 };
        out.push(Section { rows: [round2(rows[a]), round2(rows[b])], spacing: round2(spacing), count: b + 1 - a });
    };
    let mut start = 0;
    for i in 0..n {
        let ok = fits(gaps[i], local[i]) && (local[i] - local[start]).abs() <= SPACING_TOL * local[start];
        if !ok {
            close(start, i);
            start = i + 1;
        }
    }
    if n > 0 && start < n + 1 {
        close(start, n);
    }
    // Runs at one spacing broken by a stray line (a curve's stroke, a stamp) or a few missing
    // lines join up again.
    let mut merged: Vec<Section> = Vec::new();
    for sec in out {
        if let Some(last) = merged.last_mut() {
            let same = (sec.spacing - last.spacing).abs() <= SPACING_TOL * last.spacing;
            if same && sec.rows[0] - last.rows[1] <= (MAX_MISSING_LINES + 1) as f64 * last.spacing {
                let n = (last.count + sec.count) as f64;
                last.spacing = round2((last.spacing * last.count as f64 + sec.spacing * sec.count as f64) / n);
                last.rows[1] = sec.rows[1];
                last.count += sec.count;
                continue;
            }
        }
        merged.push(sec);
    }
    merged.retain(|s| s.count >= MIN_SECTION_LINES);
    merged
}
