//! Step 4: the vertical lines. Each block's profile (in the frame of [`super::drift`]) has a
//! peak where a line runs: a run of columns dark along at least [`LINE_FRAC`] of the block's
//! rows, at most [`MAX_LINE_WIDTH`] wide. Peaks of different blocks at the same frame column
//! are one line when it is found in at least [`MIN_LINE_PRESENCE`] of the blocks; its
//! positions in scan columns, one per block, are fitted with a straight line, robustly.

use super::drift::{Block, Frame};
use super::tune::{
    LINE_FRAC, LINK_TOL, MAX_LINE_WIDTH, MAX_SIDE_LINE_WIDTH, MIN_LINE_PRESENCE, MIN_OUTLIER_PX, OUTLIER_MADS,
};
use super::EdgeLine;

/// One peak of one block's profile.
#[derive(Debug, Clone, Copy)]
struct Peak {
    block: usize,
    u: f64,
    width: usize,
    dark: f32,
}

/// A vertical line of the print.
#[derive(Debug, Clone)]
pub(super) struct VLine {
    /// Frame column.
    pub u: f64,
    /// Median width of its peaks, in columns.
    pub width: f64,
    /// Its weight: the median, over the blocks, of the ink it puts in one row (the sum of its
    /// columns' darkness, in columns of full darkness).
    pub ink: f64,
    /// The line through its measured positions.
    pub edge: EdgeLine,
}

fn peaks(blocks: &[Block]) -> Vec<Peak> {
    let mut out = Vec::new();
    for (k, bl) in blocks.iter().enumerate() {
        let v = &bl.values;
        let mut x = 0;
        while x < v.len() {
            if v[x] < LINE_FRAC {
                x += 1;
                continue;
            }
            let start = x;
            while x < v.len() && v[x] >= LINE_FRAC {
                x += 1;
            }
            let width = x - start;
            // A run touching the scan's side may be cut off: only a thin one (a track edge on
            // the scan's last columns, as on kinney-heinen-1-4) counts.
            let at_side = start == 0 || x == v.len();
            if width > MAX_LINE_WIDTH || (at_side && width > MAX_SIDE_LINE_WIDTH) {
                continue;
            }
            let run = &v[start..x];
            let mass: f32 = run.iter().sum();
            let centre: f64 =
                run.iter().enumerate().map(|(i, &w)| (start + i) as f64 * f64::from(w)).sum::<f64>() / f64::from(mass);
            out.push(Peak { block: k, u: centre, width, dark: mass / width as f32 });
        }
    }
    out
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Least squares `x = a + b * y`; `None` with fewer than two distinct rows.
fn fit(points: &[[f64; 2]]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let my = points.iter().map(|p| p[0]).sum::<f64>() / n;
    let mx = points.iter().map(|p| p[1]).sum::<f64>() / n;
    let syy: f64 = points.iter().map(|p| (p[0] - my).powi(2)).sum();
    if syy <= 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p[0] - my) * (p[1] - mx)).sum();
    let b = sxy / syy;
    Some((mx - b * my, b))
}

/// A robust straight line through `[row, column]` points: a least-squares fit, then again
/// without the points farther than [`OUTLIER_MADS`] robust deviations from it.
pub(super) fn fit_edge(points: Vec<[f64; 2]>, fallback_slope: f64) -> Option<EdgeLine> {
    let (mut a, mut b) = match fit(&points) {
        Some(f) => f,
        None => {
            let p = points.first()?;
            (p[1] - fallback_slope * p[0], fallback_slope)
        }
    };
    let mut kept = points.clone();
    for _ in 0..2 {
        let mut dev: Vec<f64> = points.iter().map(|p| (p[1] - a - b * p[0]).abs()).collect();
        let limit = (OUTLIER_MADS * 1.4826 * median(&mut dev)).max(MIN_OUTLIER_PX);
        let next: Vec<[f64; 2]> = points.iter().copied().filter(|p| (p[1] - a - b * p[0]).abs() <= limit).collect();
        if next.len() < 2 {
            break;
        }
        if let Some((na, nb)) = fit(&next) {
            (a, b) = (na, nb);
        }
        kept = next;
    }
    let max_dev = points.iter().map(|p| (p[1] - a - b * p[0]).abs()).fold(0.0, f64::max);
    let rows =
        [points.iter().map(|p| p[0]).fold(f64::MAX, f64::min), points.iter().map(|p| p[0]).fold(f64::MIN, f64::max)];
    Some(EdgeLine {
        x0: round2(a),
        slope: b,
        rows: [rows[0].round(), rows[1].round()],
        max_deviation: round2(max_dev),
        outliers: points.len() - kept.len(),
        points: points.iter().map(|p| [p[0].round(), round2(p[1])]).collect(),
        inferred: None,
    })
}

pub(super) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The print's vertical lines, left to right.
pub(super) fn lines(blocks: &[Block], frame: &Frame) -> Vec<VLine> {
    let mut all = peaks(blocks);
    all.sort_by(|a, b| a.u.total_cmp(&b.u));
    let n_blocks = blocks.len().max(1);
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        // A group: sorted peaks no farther than LINK_TOL / 2 from the one before, and within
        // LINK_TOL of the group's first.
        let mut j = i + 1;
        while j < all.len() && all[j].u - all[j - 1].u <= LINK_TOL / 2.0 && all[j].u - all[i].u <= LINK_TOL * 2.0 {
            j += 1;
        }
        let group = &all[i..j];
        i = j;
        let mut seen = vec![false; n_blocks];
        let mut per_block: Vec<Peak> = Vec::new();
        // One peak per block: the darkest.
        let mut sorted: Vec<Peak> = group.to_vec();
        sorted.sort_by(|a, b| b.dark.total_cmp(&a.dark));
        for p in sorted {
            if !seen[p.block] {
                seen[p.block] = true;
                per_block.push(p);
            }
        }
        let presence = per_block.len() as f64 / n_blocks as f64;
        if presence < MIN_LINE_PRESENCE {
            continue;
        }
        per_block.sort_by_key(|p| p.block);
        let points: Vec<[f64; 2]> = per_block
            .iter()
            .map(|p| {
                let y = blocks[p.block].mid();
                [y, p.u + frame.shift(y)]
            })
            .collect();
        let Some(edge) = fit_edge(points, frame.slope) else { continue };
        let u = median(&mut per_block.iter().map(|p| p.u).collect::<Vec<_>>());
        let width = median(&mut per_block.iter().map(|p| p.width as f64).collect::<Vec<_>>());
        let ink = median(&mut per_block.iter().map(|p| f64::from(p.dark) * p.width as f64).collect::<Vec<_>>());
        out.push(VLine { u, width, ink, edge });
    }
    out
}
