//! Step 2: the skew, by projection: the slope at which the darkness profiles of all bands
//! (or strips), each shifted by the slope times its distance from the middle, add up to the
//! sharpest sum (largest sum of squares). Straight lines only add up in one place at the
//! right slope; text and curves add up to about the same at every slope.

use super::tune::{HIGH_PASS, MAX_SKEW_DEG, SKEW_COARSE_STEP_DEG, SKEW_FINE_STEP_DEG};

/// One profile and where it was taken along the other axis (a band's middle row, or a
/// strip's middle column).
pub(super) struct Profile<'a> {
    pub at: f64,
    pub values: &'a [f32],
}

/// The slope found: columns per row for vertical lines (rows per column for horizontal ones).
#[derive(Debug, Clone, Copy)]
pub(super) struct Slope {
    pub slope: f64,
    /// How much sharper the best slope's sum is than the median slope's, as a share of the
    /// median (0: no straight lines at all).
    pub contrast: f64,
}

/// `values` less their mean over [`HIGH_PASS`] places each side, negatives set to 0: a thin
/// line keeps its peak, a wide dark band (a scan border, a bar) keeps only its sides, so that
/// it cannot outweigh the lines (a border stays upright when the print inside it is turned).
pub(super) fn high_pass(values: &[f32]) -> Vec<f32> {
    let n = values.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0f64);
    for &v in values {
        let last = prefix[prefix.len() - 1];
        prefix.push(last + f64::from(v));
    }
    (0..n)
        .map(|i| {
            let a = i.saturating_sub(HIGH_PASS);
            let b = (i + HIGH_PASS + 1).min(n);
            let mean = (prefix[b] - prefix[a]) / (b - a) as f64;
            (f64::from(values[i]) - mean).max(0.0) as f32
        })
        .collect()
}

/// Adds `p` sampled at `x + shift` (linear interpolation; outside the profile counts as 0) to `sum`.
pub(super) fn add_shifted(sum: &mut [f32], p: &[f32], shift: f64) {
    let k = shift.floor();
    let f = (shift - k) as f32;
    let k = k as isize;
    let n = p.len() as isize;
    let lo = (-k).clamp(0, n) as usize;
    let hi = (n - k - 1).clamp(0, n) as usize;
    for (x, s) in sum.iter_mut().enumerate().take(hi).skip(lo) {
        let i = (x as isize + k) as usize;
        *s += (1.0 - f) * p[i] + f * p[i + 1];
    }
}

fn sharpness(profiles: &[Profile<'_>], len: usize, mid: f64, slope: f64, sum: &mut Vec<f32>) -> f64 {
    sum.clear();
    sum.resize(len, 0.0);
    for p in profiles {
        add_shifted(sum, p.values, slope * (p.at - mid));
    }
    sum.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

/// The sharpest slope, searched coarsely on `coarse` (the same profiles summed in fewer, longer
/// pieces: fast) and finely on `fine`, within [`MAX_SKEW_DEG`]. `None` when there are no
/// profiles.
pub(super) fn find_slope(coarse: &[Profile<'_>], fine: &[Profile<'_>], len: usize, mid: f64) -> Option<Slope> {
    if coarse.is_empty() || fine.is_empty() || len < 2 {
        return None;
    }
    let mut buf = Vec::new();
    let steps = (MAX_SKEW_DEG / SKEW_COARSE_STEP_DEG).round() as i32;
    let mut scores: Vec<(f64, f64)> = (-steps..=steps)
        .map(|i| {
            let deg = f64::from(i) * SKEW_COARSE_STEP_DEG;
            (deg, sharpness(coarse, len, mid, deg.to_radians().tan(), &mut buf))
        })
        .collect();
    let (best_deg, _) = scores.iter().copied().fold((0.0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
    scores.sort_by(|a, b| a.1.total_cmp(&b.1));
    let median = scores[scores.len() / 2].1;
    let fine_steps = (SKEW_COARSE_STEP_DEG / SKEW_FINE_STEP_DEG).round() as i32;
    let fine_scores: Vec<(f64, f64)> = (-fine_steps..=fine_steps)
        .map(|i| {
            let deg = best_deg + f64::from(i) * SKEW_FINE_STEP_DEG;
            (deg, sharpness(fine, len, mid, deg.to_radians().tan(), &mut buf))
        })
        .collect();
    let (bi, &(mut deg, best)) =
        fine_scores.iter().enumerate().fold((0, &(0.0, f64::MIN)), |a, b| if b.1 .1 > a.1 .1 { b } else { a });
    // A parabola through the best and its neighbours places the peak between steps.
    if bi > 0 && bi + 1 < fine_scores.len() {
        let (l, r) = (fine_scores[bi - 1].1, fine_scores[bi + 1].1);
        let denom = l - 2.0 * best + r;
        if denom < 0.0 {
            deg += (0.5 * (l - r) / denom).clamp(-0.5, 0.5) * SKEW_FINE_STEP_DEG;
        }
    }
    let contrast = if median > 0.0 { (best - median) / median } else { 0.0 };
    Some(Slope { slope: deg.to_radians().tan(), contrast })
}

/// The depth lines' slope along the scan, rows per column: measured in blocks of
/// [`TILT_ROWS`](super::tune::TILT_ROWS) rows (a paper print turns as it runs through the
/// scanner: stuckey-1's depth lines slope -1.0 degree near row 10,000 and 0.06 near row
/// 16,000), interpolated between block middles; a block without clear lines takes the slope
/// of the whole scan.
#[derive(Debug, Clone)]
pub(super) struct Tilt {
    pub global: f64,
    /// `(middle row, slope)` of each block.
    pub blocks: Vec<(f64, f64)>,
}

impl Tilt {
    /// The slope at row `y`.
    pub fn at(&self, y: f64) -> f64 {
        let b = &self.blocks;
        match b.iter().position(|&(m, _)| m > y) {
            None => b.last().map_or(self.global, |x| x.1),
            Some(0) => b[0].1,
            Some(j) => {
                let f = (y - b[j - 1].0) / (b[j].0 - b[j - 1].0);
                b[j - 1].1 * (1.0 - f) + b[j].1 * f
            }
        }
    }
}
