//! Depth against row, fitted robustly from the labels read.
//!
//! Depth labels are equally spaced in value (every 50 or 100 ft) and nearly equally spaced in rows.
//! Every pair of readings proposes a line `row = a + b * depth` (b > 0: depth grows down the
//! print); the line most readings agree with (within a tolerance of a fraction of the label row
//! gap) wins, RANSAC-style but exhaustive, so the result does not depend on a random draw. The
//! line is then refined by least squares over the readings that agree with it. A misread number
//! lands a label step or more away from the line and is rejected, with the reason; it cannot move
//! the line. The tie points are the agreeing readings themselves (the print's scale is not quite
//! constant, so the project interpolates between them piecewise-linearly).

use serde::Serialize;

use super::tuning::{
    FIT_MAX_READINGS, FIT_MIN_CONFIDENCE, FIT_MIN_LABELS, FIT_TOLERANCE_FRACTION, FIT_TOLERANCE_MIN_ROWS,
    PLACE_TOLERANCE_FRACTION, WALK_MAX_MISSES, WALK_SCALE_TIES,
};
use super::Reading;

/// One depth tie point: the scan row of a depth and how sure the reader and the fit are of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tie {
    pub row: f64,
    pub depth: f64,
    /// 0-1: the reading's confidence, lowered as its row strays from the fitted line; for a label
    /// placed by its neighbours, half its closeness to where the line puts the label.
    pub confidence: f32,
    /// true: the label's number was read; false: a label found on a labelled depth's row whose number
    /// was not read (or misread), its depth following from the labels around it.
    pub read: bool,
}

/// A reading left out of the fit, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub reading: Reading,
    pub reason: String,
}

/// The depth calibration found from the labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthFit {
    /// Tie points, top to bottom (as the project's `depth` field holds them, see [`DepthFit::depth`]).
    pub ties: Vec<Tie>,
    /// Readings not used, with the reason.
    pub rejected: Vec<Rejected>,
    /// Rows per depth unit of the fitted line (0 when no line was found).
    pub rows_per_unit: f64,
    /// Depth at row 0 of the fitted line.
    pub depth_at_row0: f64,
    /// The spacing of the labels in depth, when at least three labels agree on one.
    pub step: Option<f64>,
    /// Why no calibration could be found, when `ties` is empty.
    pub missing: Option<String>,
}

impl DepthFit {
    /// The tie points as the project contract holds them: `[row, depth]`.
    pub fn depth(&self) -> Vec<[f64; 2]> {
        self.ties.iter().map(|t| [t.row, t.depth]).collect()
    }

    /// Depth at a row, from the fitted line.
    pub fn depth_at(&self, row: f64) -> f64 {
        self.depth_at_row0 + row / self.rows_per_unit
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) })
}

/// Least squares `row = a + b * value` over the given points.
fn least_squares(pts: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return None;
    }
    let (mv, mr) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = pts.iter().map(|p| (p.0 - mv).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mv) * (p.1 - mr)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    Some((mr - b * mv, b))
}

/// Label spacings a print uses, in depth units.
const STEPS: [f64; 9] = [10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0];

/// The label spacing when too few neighbouring labels were read to see it: the usual spacing that
/// divides every difference between the values read and is nearest (within a third) the median row
/// gap between neighbouring labels found (read or not) of the tie labels' shape, over the rows per unit.
fn infer_step(readings: &[Reading], ties: &[Tie], rows_per_unit: f64) -> Option<f64> {
    let (first, last) = (ties.first()?, ties.last()?);
    let shape = |r: &Reading| {
        let (w, h) = (r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]);
        (w >= h, w.min(h) as f64)
    };
    let tie_readings: Vec<&Reading> =
        readings.iter().filter(|r| ties.iter().any(|t| t.row == r.row && t.depth == r.value)).collect();
    let typical = median(tie_readings.iter().map(|r| shape(r).1).collect())?;
    let horizontal = tie_readings.iter().filter(|r| shape(r).0).count() * 2 > tie_readings.len();
    let mut rows: Vec<f64> = readings
        .iter()
        .filter(|r| r.row >= first.row && r.row <= last.row)
        .filter(|r| shape(r).0 == horizontal && (shape(r).1 - typical).abs() <= typical / 3.0)
        .map(|r| r.row)
        .collect();
    rows.sort_by(f64::total_cmp);
    rows.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    let gap = median(rows.windows(2).map(|w| w[1] - w[0]).collect())?;
    let estimate = gap / rows_per_unit;
    STEPS
        .iter()
        .copied()
        .filter(|&s| {
            ties.iter().all(|t| {
                let k = (t.depth - first.depth) / s;
                (k - k.round()).abs() < 1e-6
            })
        })
        .filter(|&s| s / estimate > 0.75 && s / estimate < 1.33)
        .min_by(|a, b| (a / estimate - 1.0).abs().total_cmp(&(b / estimate - 1.0).abs()))
}

/// Labels found but not read, misread or read unsurely, lying where the labels read around them put
/// a labelled depth that no tie holds (piecewise-linear between them; labels are equally spaced in
/// value): tie points too, their depth following from the others. Only labels of the tie points'
/// shape (same orientation class, thickness within a third), within `PLACE_TOLERANCE_FRACTION` of
/// the label spacing, qualify, the nearest one per depth. Beyond the first and the last label read,
/// labels are walked one spacing at a time at the scale of the last `WALK_SCALE_TIES` tie points
/// (and near the last one's column), until `WALK_MAX_MISSES` labelled depths in a row show no label.
fn place_unread(readings: &[Reading], ties: &mut Vec<Tie>, rejected: &mut [Rejected], rows_per_unit: f64, step: f64) {
    let read: Vec<&Reading> =
        readings.iter().filter(|r| ties.iter().any(|t| t.read && t.row == r.row && t.depth == r.value)).collect();
    let thickness = |r: &Reading| {
        let (w, h) = (r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]);
        (w >= h, w.min(h) as f64)
    };
    let Some(typical) = median(read.iter().map(|r| thickness(r).1).collect()) else { return };
    let horizontal = read.iter().filter(|r| thickness(r).0).count() * 2 > read.len();
    // depth and row through the labels read, piecewise-linear (the print's scale drifts)
    let mut known: Vec<(f64, f64)> = ties.iter().map(|t| (t.row, t.depth)).collect();
    known.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (Some(&(_, first)), Some(&(_, last))) = (known.first(), known.last()) else { return };
    let depth_at = |row: f64| {
        known.windows(2).find(|w| w[0].0 <= row && row <= w[1].0).map(|w| {
            let ((r0, d0), (r1, d1)) = (w[0], w[1]);
            d0 + (d1 - d0) * (row - r0) / (r1 - r0)
        })
    };
    let row_at = |depth: f64| {
        known.windows(2).find(|w| w[0].1 <= depth && depth <= w[1].1).map(|w| {
            let ((r0, d0), (r1, d1)) = (w[0], w[1]);
            r0 + (r1 - r0) * (depth - d0) / (d1 - d0)
        })
    };
    let within = (PLACE_TOLERANCE_FRACTION * step * rows_per_unit).max(FIT_TOLERANCE_MIN_ROWS);
    let shape_ok = |r: &Reading| {
        let (h, t) = thickness(r);
        h == horizontal && (t - typical).abs() <= typical / 3.0
    };
    // the nearest label found to each labelled depth no tie holds
    let mut best: Vec<(f64, f64, &Reading)> = Vec::new();
    for r in readings {
        if ties.iter().any(|t| t.row == r.row) {
            continue;
        }
        if !shape_ok(r) {
            continue;
        }
        let Some(depth) = depth_at(r.row) else { continue };
        let d = first + ((depth - first) / step).round() * step;
        let Some(row) = row_at(d) else { continue };
        let e = r.row - row;
        if e.abs() > within || d <= first || d >= last || ties.iter().any(|t| t.depth == d) {
            continue;
        }
        match best.iter_mut().find(|b| b.0 == d) {
            Some(b) if e.abs() < b.1.abs() => *b = (d, e, r),
            Some(_) => {}
            None => best.push((d, e, r)),
        }
    }
    for (d, e, r) in best {
        ties.push(Tie { row: r.row, depth: d, confidence: 0.5 * (1.0 - e.abs() / within) as f32, read: false });
        for x in rejected.iter_mut().filter(|x| x.reading.bbox == r.bbox && x.reading.row == r.row) {
            x.reason.push_str(&format!("; its label is placed at {d} by the labels around it"));
        }
    }
    // beyond the first and the last label read: walk label by label, each step predicted from the
    // last two tie points (the local scale), while labels keep turning up where predicted
    for down in [true, false] {
        let mut known: Vec<(f64, f64)> = ties.iter().map(|t| (t.row, t.depth)).collect();
        known.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !down {
            known.reverse();
        }
        let n = known.len();
        if n < 2 {
            return;
        }
        // the last few tie points give the local scale (one pair alone carries its labels' jitter)
        let mut recent: Vec<(f64, f64)> = known[n.saturating_sub(WALK_SCALE_TIES)..].to_vec();
        let mut b = known[n - 1];
        // the depth column drifts slowly: the next label is near the last one's column
        let Some(mut col) = readings.iter().find(|r| r.row == b.0).map(|r| r.col) else { continue };
        let mut d = b.1;
        let mut misses = 0;
        while misses < WALK_MAX_MISSES {
            d += if down { step } else { -step };
            let slope =
                least_squares(&recent.iter().map(|&(r, d)| (d, r)).collect::<Vec<_>>()).map_or(f64::NAN, |l| l.1);
            if d < 0.0 || !slope.is_finite() {
                break;
            }
            let predicted = b.0 + slope * (d - b.1);
            let found = readings
                .iter()
                .filter(|r| shape_ok(r) && (r.col - col).abs() <= typical && !ties.iter().any(|t| t.row == r.row))
                .map(|r| (r, r.row - predicted))
                .filter(|(_, e)| e.abs() <= within)
                .min_by(|x, y| x.1.abs().total_cmp(&y.1.abs()));
            match found {
                Some((r, e)) => {
                    ties.push(Tie {
                        row: r.row,
                        depth: d,
                        confidence: 0.4 * (1.0 - e.abs() / within) as f32,
                        read: false,
                    });
                    for x in rejected.iter_mut().filter(|x| x.reading.bbox == r.bbox && x.reading.row == r.row) {
                        x.reason.push_str(&format!("; its label is placed at {d} by the labels around it"));
                    }
                    b = (r.row, d);
                    recent.push(b);
                    if recent.len() > WALK_SCALE_TIES {
                        recent.remove(0);
                    }
                    col = r.col;
                    misses = 0;
                }
                None => misses += 1,
            }
        }
    }
}

/// Fit depth against row from the readings of one depth column.
pub fn fit_depth(readings: &[Reading]) -> DepthFit {
    let mut rejected = Vec::new();
    let mut used: Vec<&Reading> = Vec::new();
    for r in readings {
        if !r.value.is_finite() {
            rejected.push(Rejected { reading: r.clone(), reason: "found but not read".into() });
        } else if r.confidence < FIT_MIN_CONFIDENCE {
            rejected.push(Rejected {
                reading: r.clone(),
                reason: format!("read with confidence {:.2}, under {FIT_MIN_CONFIDENCE}", r.confidence),
            });
        } else {
            used.push(r);
        }
    }
    // the pair search is cubic in the readings: a whole page's text is cut to the surest ones
    if used.len() > FIT_MAX_READINGS {
        used.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        for r in used.drain(FIT_MAX_READINGS..) {
            rejected.push(Rejected {
                reading: r.clone(),
                reason: format!("more than {FIT_MAX_READINGS} numbers were read; only the surest are fitted"),
            });
        }
    }
    used.sort_by(|a, b| a.row.total_cmp(&b.row));
    let none = |rejected: Vec<Rejected>, why: &str| DepthFit {
        ties: Vec::new(),
        rejected,
        rows_per_unit: 0.0,
        depth_at_row0: 0.0,
        step: None,
        missing: Some(why.to_string()),
    };
    let gap = median(used.windows(2).map(|w| w[1].row - w[0].row).filter(|g| *g > 0.0).collect());
    let Some(gap) = gap else {
        for r in used {
            rejected.push(Rejected {
                reading: r.clone(),
                reason: "the only confident label: one label gives no scale".into(),
            });
        }
        return none(rejected, "fewer than two depth labels were read confidently");
    };
    let tol = (FIT_TOLERANCE_FRACTION * gap).max(FIT_TOLERANCE_MIN_ROWS);
    let residual = |line: (f64, f64), r: &Reading| r.row - (line.0 + line.1 * r.value);

    // exhaustive pair search: most agreeing readings, then most confidence, then least residual
    let mut best: Option<((f64, f64), usize, f64, f64)> = None;
    for i in 0..used.len() {
        for j in i + 1..used.len() {
            let (a, b) = (used[i], used[j]);
            if a.value == b.value || a.row == b.row {
                continue;
            }
            let slope = (b.row - a.row) / (b.value - a.value);
            if slope <= 0.0 {
                continue;
            }
            let line = (a.row - slope * a.value, slope);
            let (mut n, mut conf, mut res) = (0usize, 0f64, 0f64);
            for r in &used {
                let e = residual(line, r).abs();
                if e <= tol {
                    n += 1;
                    conf += f64::from(r.confidence);
                    res += e;
                }
            }
            let better = match &best {
                None => true,
                Some((_, bn, bc, br)) => (n, conf, -res) > (*bn, *bc, -*br),
            };
            if better {
                best = Some((line, n, conf, res));
            }
        }
    }
    let Some((mut line, n, _, _)) = best else {
        for r in used {
            rejected.push(Rejected {
                reading: r.clone(),
                reason: "no two labels give a depth that grows down the print".into(),
            });
        }
        return none(rejected, "no two depth labels agree on a scale");
    };
    if n < FIT_MIN_LABELS {
        for r in used {
            rejected.push(Rejected {
                reading: r.clone(),
                reason: format!("fewer than {FIT_MIN_LABELS} labels agree on a scale"),
            });
        }
        return none(rejected, &format!("fewer than {FIT_MIN_LABELS} depth labels agree on one scale"));
    }
    // refine by least squares over the agreeing readings (twice: the set may change once)
    for _ in 0..2 {
        let pts: Vec<(f64, f64)> =
            used.iter().filter(|r| residual(line, r).abs() <= tol).map(|r| (r.value, r.row)).collect();
        match least_squares(&pts) {
            Some(l) if l.1 > 0.0 => line = l,
            _ => break,
        }
    }
    // keep one reading per value (the one nearest the line)
    let mut ties: Vec<(&Reading, f64)> = Vec::new();
    for r in used {
        let e = residual(line, r);
        if e.abs() > tol {
            let expected = (r.row - line.0) / line.1;
            rejected.push(Rejected {
                reading: r.clone(),
                reason: format!(
                    "{} does not fit the other labels: the line gives {:.0} at row {:.0} ({:+.0} rows off, tolerance {:.0})",
                    r.text, expected, r.row, e, tol
                ),
            });
            continue;
        }
        if let Some(k) = ties.iter().position(|(t, _)| t.value == r.value) {
            let other = ties[k];
            let (keep, drop) = if e.abs() < other.1.abs() { ((r, e), other.0) } else { (other, r) };
            ties[k] = keep;
            rejected.push(Rejected {
                reading: drop.clone(),
                reason: format!("{} is read twice; the other reading is nearer the line", drop.text),
            });
            continue;
        }
        ties.push((r, e));
    }
    // the label spacing: the most common difference between neighbouring values
    let mut values: Vec<f64> = ties.iter().map(|t| t.0.value).collect();
    values.sort_by(f64::total_cmp);
    let diffs: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let step = diffs
        .iter()
        .map(|d| (d, diffs.iter().filter(|e| (*e - d).abs() < 1e-9).count()))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(a.0)))
        .filter(|(_, count)| *count >= 2)
        .map(|(d, _)| *d);
    if let Some(s) = step {
        // a value off the spacing (a misread that happens to land near the line): the labels' values
        // share one remainder modulo the spacing, the one most of them have (needs four labels)
        let residue = |v: f64| {
            let r = v.rem_euclid(s);
            if s - r < 1e-6 {
                0.0
            } else {
                r
            }
        };
        let base = values
            .iter()
            .map(|&v| (residue(v), values.iter().filter(|&&w| (residue(w) - residue(v)).abs() < 1e-6).count()))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(&a.0)))
            .map_or(0.0, |(r, _)| r);
        let mut kept = Vec::new();
        for (r, e) in ties {
            if (residue(r.value) - base).abs() > 1e-6 && values.len() >= 4 {
                rejected.push(Rejected {
                    reading: r.clone(),
                    reason: format!("{} is off the labels' spacing of {s}", r.text),
                });
            } else {
                kept.push((r, e));
            }
        }
        ties = kept;
    }
    if ties.len() < FIT_MIN_LABELS {
        for (r, _) in ties {
            rejected.push(Rejected {
                reading: r.clone(),
                reason: format!("fewer than {FIT_MIN_LABELS} labels agree on a scale"),
            });
        }
        return none(rejected, &format!("fewer than {FIT_MIN_LABELS} depth labels agree on one scale"));
    }
    // the final line: least squares over the tie points alone
    if let Some(l) = least_squares(&ties.iter().map(|(r, _)| (r.value, r.row)).collect::<Vec<_>>()) {
        if l.1 > 0.0 {
            line = l;
        }
    }
    let out: Vec<Tie> = ties
        .iter()
        .map(|(r, e)| Tie {
            row: r.row,
            depth: r.value,
            confidence: r.confidence * (1.0 - 0.5 * (e.abs() / tol)) as f32,
            read: true,
        })
        .collect();
    let mut out = out;
    let step = step.or_else(|| infer_step(readings, &out, line.1));
    if let Some(s) = step {
        place_unread(readings, &mut out, &mut rejected, line.1, s);
    }
    out.sort_by(|a, b| a.row.total_cmp(&b.row));
    rejected.sort_by(|a, b| a.reading.row.total_cmp(&b.reading.row));
    DepthFit { ties: out, rejected, rows_per_unit: line.1, depth_at_row0: -line.0 / line.1, step, missing: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digits::Orientation;

    fn reading(value: f64, row: f64, confidence: f32) -> Reading {
        Reading {
            value,
            text: format!("{value}"),
            orientation: Some(Orientation::Upright),
            row,
            col: 0.0,
            bbox: [0, 0, 0, 0],
            confidence,
        }
    }

    #[test]
    fn a_misread_does_not_move_the_fit() {
        // 10 px per ft, 50 ft labels, row 100 = 250 ft; 400 misread as 900, 500 read twice
        let mut rs: Vec<Reading> =
            (0..10).map(|k| reading(250.0 + 50.0 * k as f64, 100.0 + 500.0 * k as f64, 0.99)).collect();
        rs[3].value = 900.0;
        rs[3].text = "900".into();
        rs.push(reading(500.0, 2612.0, 0.9));
        let fit = fit_depth(&rs);
        // the misread label is placed at 400 ft by its neighbours
        assert_eq!(fit.ties.len(), 10);
        assert_eq!(
            fit.ties.iter().filter(|t| !t.read).map(|t| (t.row, t.depth)).collect::<Vec<_>>(),
            [(1600.0, 400.0)]
        );
        assert!((fit.rows_per_unit - 10.0).abs() < 1e-9);
        assert!((fit.depth_at(100.0) - 250.0).abs() < 1e-9);
        assert_eq!(fit.step, Some(50.0));
        assert_eq!(fit.rejected.len(), 2);
        assert!(fit.rejected.iter().any(|r| r.reading.value == 900.0 && r.reason.contains("does not fit")));
        assert!(fit.rejected.iter().any(|r| r.reading.row == 2612.0 && r.reason.contains("twice")));
        assert_eq!(fit.depth()[0], [100.0, 250.0]);
    }

    #[test]
    fn too_few_labels_say_why() {
        let fit = fit_depth(&[reading(300.0, 10.0, 0.9), reading(400.0, 20.0, 0.1)]);
        assert!(fit.ties.is_empty());
        assert!(fit.missing.is_some());
        assert_eq!(fit.rejected.len(), 2);
    }
}
