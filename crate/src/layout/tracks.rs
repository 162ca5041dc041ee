//! Step 5: which spaces between vertical lines are inside a track, and which is the depth
//! column. A track's divisions are crossed by the depth lines; the depth column between two
//! tracks holds the depth numbers and no grid. For each interval between two neighbouring
//! lines, the share of its columns dark is measured on every row, along the depth lines'
//! slope, over the whole interval and over its middle [`RULED_MIDDLE`]; a horizontal line
//! crosses the interval where both are dark (the depth lines' ticks reaching into a depth
//! column from its sides darken the whole but not its middle); an interval is ruled when it
//! holds at least [`RULED_SHARE`] of the horizontal lines per row of the most-ruled
//! intervals. Runs of ruled intervals are the tracks, split where two tracks share an edge
//! ([`split_shared_edges`]).

use super::drift::Frame;
use super::grid::{self, best_score};
use super::skew::Tilt;
use super::tune::{
    MAX_DEPTH_LINE_ROWS, MIN_GRID_SCORE, MIN_OUTER_DIVISIONS, MIN_TRACK_DIVISIONS, RULED_FRAC, RULED_MIDDLE,
    RULED_SHARE, SHARED_EDGE_RATIO, SHARED_EDGE_SHARE, SPLIT_GRID_GAIN, STRIP_COLS,
};
use super::vertical::VLine;
use super::{EdgeLine, Finding, Grid, GridKind};
use crate::decode::GrayImage;

/// The space between vertical lines `k` and `k + 1`.
pub(super) struct Interval {
    /// Inner frame columns (the lines' own ink left out).
    pub u0: f64,
    pub u1: f64,
    /// Share of the inner columns dark, by row `q = row - tilt(row) * (u - u_ref)` (rows along
    /// the depth lines' slope, `u_ref` the frame column where `q` is the row); empty when the
    /// interval is too narrow to measure.
    pub profile: Vec<f32>,
    /// Horizontal lines across the whole interval (its middle included) per 1,000 rows.
    pub ruled: f64,
    /// Mean share of the inner area that is ink.
    pub ink: f64,
}

impl Interval {
    pub fn width(&self) -> f64 {
        (self.u1 - self.u0).max(0.0)
    }
}

/// Runs of rows where `profile` summed over two neighbouring rows is at or above `level`, at
/// most `max_rows` long: `(first row, end row)`. Two rows, because a thin line measured
/// along a slope falls partly on one row and partly on the next.
pub(super) fn line_runs(profile: &[f32], level: f32, max_rows: usize) -> Vec<(usize, usize)> {
    let pair = |y: usize| profile[y] + profile.get(y + 1).copied().unwrap_or(0.0);
    let mut out = Vec::new();
    let mut y = 0;
    while y < profile.len() {
        if pair(y) < level {
            y += 1;
            continue;
        }
        let start = y;
        while y < profile.len() && pair(y) >= level {
            y += 1;
        }
        if y - start <= max_rows {
            out.push((start, (y + 1).min(profile.len())));
        }
    }
    out
}

/// The intervals between neighbouring lines, measured on the scan.
pub(super) fn intervals(
    img: &GrayImage,
    threshold: u8,
    frame: &Frame,
    tilt: &Tilt,
    u_ref: f64,
    lines: &[VLine],
) -> Vec<Interval> {
    let (w, h) = (img.width as usize, img.height as usize);
    // Each interval, and its middle, in pieces at most STRIP_COLS wide: (profile, frame
    // column a, b, columns of what the profile measures). Profile 2k is interval k's, 2k + 1
    // its middle's.
    let mut spans = Vec::new();
    let mut pieces: Vec<(usize, f64, f64, f64)> = Vec::new();
    let mut split = |p: usize, u0: f64, u1: f64| {
        let m = ((u1 - u0) / STRIP_COLS as f64).ceil().max(1.0) as usize;
        let step = (u1 - u0) / m as f64;
        for i in 0..m {
            pieces.push((p, u0 + step * i as f64, u0 + step * (i + 1) as f64, u1 - u0));
        }
    };
    for (k, pair) in lines.windows(2).enumerate() {
        let u0 = pair[0].u + pair[0].width / 2.0 + 1.0;
        let u1 = pair[1].u - pair[1].width / 2.0 - 1.0;
        spans.push((u0, u1));
        if u1 - u0 >= 1.0 {
            split(2 * k, u0, u1);
            let side = (u1 - u0) * (1.0 - RULED_MIDDLE) / 2.0;
            if u1 - u0 - 2.0 * side >= 1.0 {
                split(2 * k + 1, u0 + side, u1 - side);
            }
        }
    }
    let mut profiles: Vec<Vec<f32>> = vec![Vec::new(); 2 * spans.len()];
    for &(p, ..) in &pieces {
        if profiles[p].is_empty() {
            profiles[p] = vec![0f32; h];
        }
    }
    let mut prefix = vec![0u32; w + 1];
    for y in 0..h {
        let row = img.row(y);
        for (x, &p) in row.iter().enumerate() {
            prefix[x + 1] = prefix[x] + u32::from(p < threshold);
        }
        let shift = frame.shift(y as f64);
        let slope_h = tilt.at(y as f64);
        for &(p, a, b, cols) in &pieces {
            let xa = (a + shift).round().clamp(0.0, w as f64) as usize;
            let xb = (b + shift).round().clamp(0.0, w as f64) as usize;
            if xb <= xa {
                continue;
            }
            let frac = (prefix[xb] - prefix[xa]) as f32 / cols as f32;
            // Row along the depth lines' slope, split between the two nearest rows.
            let q = y as f64 - slope_h * ((a + b) / 2.0 - u_ref);
            let qf = q.floor();
            let f = (q - qf) as f32;
            let qi = qf as isize;
            let prof = &mut profiles[p];
            if qi >= 0 && (qi as usize) < h {
                prof[qi as usize] += frac * (1.0 - f);
            }
            if qi + 1 >= 0 && ((qi + 1) as usize) < h {
                prof[(qi + 1) as usize] += frac * f;
            }
        }
    }
    let mut profiles = profiles.into_iter();
    spans
        .into_iter()
        .map(|(u0, u1)| {
            let (profile, middle) = (profiles.next().unwrap_or_default(), profiles.next().unwrap_or_default());
            let ruled = if profile.is_empty() {
                0.0
            } else {
                let pair = |v: &[f32], y: usize| v[y] + v.get(y + 1).copied().unwrap_or(0.0);
                line_runs(&profile, RULED_FRAC, MAX_DEPTH_LINE_ROWS)
                    .into_iter()
                    .filter(|&(a, b)| middle.is_empty() || (a..b).any(|y| pair(&middle, y) >= RULED_FRAC))
                    .count() as f64
                    * 1000.0
                    / h.max(1) as f64
            };
            let ink = if profile.is_empty() {
                0.0
            } else {
                profile.iter().map(|&v| f64::from(v)).sum::<f64>() / h.max(1) as f64
            };
            Interval { u0, u1, profile, ruled, ink }
        })
        .collect()
}

/// Which intervals are ruled: measured ones against [`RULED_SHARE`] of the typical ruled
/// interval, too-narrow ones (inside a dense log grid) always. Also returns the reference rate.
pub(super) fn ruled(intervals: &[Interval]) -> (Vec<bool>, f64) {
    let mut rates: Vec<f64> = intervals.iter().filter(|i| !i.profile.is_empty()).map(|i| i.ruled).collect();
    rates.sort_by(|a, b| b.total_cmp(a));
    // The median of the upper half: the typical ruled interval.
    let reference = rates.get(rates.len() / 4).copied().unwrap_or(0.0);
    let out = intervals
        .iter()
        .map(|i| i.profile.is_empty() || (reference > 0.0 && i.ruled >= RULED_SHARE * reference))
        .collect();
    (out, reference)
}

/// Runs of ruled intervals with at least [`MIN_TRACK_DIVISIONS`] of them: `(first line, last line)`.
pub(super) fn runs(ruled: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < ruled.len() {
        if !ruled[k] {
            k += 1;
            continue;
        }
        let start = k;
        while k < ruled.len() && ruled[k] {
            k += 1;
        }
        if k - start >= MIN_TRACK_DIVISIONS {
            out.push((start, k));
        }
    }
    out
}

/// Median of `v` (0 when empty).
fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Where a run of ruled intervals (lines `a..=b`) holds two tracks side by side, sharing an
/// edge, the line between them (see [`split_shared_edges`]).
fn shared_edge(a: usize, b: usize, lines: &[VLine]) -> Option<usize> {
    let first = a + MIN_TRACK_DIVISIONS;
    let last = b.checked_sub(MIN_TRACK_DIVISIONS)?;
    let inks = |from: usize, to: usize, but: usize| -> Vec<f64> {
        (from + 1..to).filter(|&i| i != but).map(|i| lines[i].ink).collect()
    };
    let us = |from: usize, to: usize| lines[from..=to].iter().map(|l| l.u).collect::<Vec<_>>();
    // A major line: heavier than the other lines of its track (a midline, a decade).
    let has_major = |from: usize, to: usize| {
        let v = inks(from, to, usize::MAX);
        v.iter().copied().fold(0.0, f64::max) >= SHARED_EDGE_RATIO * median(v)
    };
    let whole = best_score(&us(a, b));
    let mut best: Option<(usize, f64)> = None;
    for k in first..=last {
        let ink = lines[k].ink;
        let others = inks(a, b, k);
        // As heavy as the run's edges, and heavier than its grid.
        if ink < SHARED_EDGE_SHARE * lines[a].ink.min(lines[b].ink) || ink < SHARED_EDGE_RATIO * median(others.clone())
        {
            continue;
        }
        let (left, right) = (best_score(&us(a, k)), best_score(&us(k, b)));
        if left < MIN_GRID_SCORE || right < MIN_GRID_SCORE {
            continue;
        }
        let gain = left.min(right) - whole;
        // The grid changes there: each side fits a grid of its own better than the whole
        // fits one.
        let grid_changes = gain >= SPLIT_GRID_GAIN;
        // Each side is a track of one structure: the line is the run's heaviest by the ratio,
        // and each side has a major line of its own.
        let repeated = others.iter().all(|&o| ink >= SHARED_EDGE_RATIO * o) && has_major(a, k) && has_major(k, b);
        if (grid_changes || repeated) && best.is_none_or(|(_, g)| gain > g) {
            best = Some((k, gain));
        }
    }
    best.map(|(k, _)| k)
}

/// Runs of ruled intervals split where two tracks share an edge. A run of ruled intervals
/// is one track unless an inner line is as heavy as the run's edges (at least
/// [`SHARED_EDGE_SHARE`] of the lighter one) and [`SHARED_EDGE_RATIO`] times the run's other
/// lines (their median), and either the grid changes there (each side fits a grid of its own
/// by [`SPLIT_GRID_GAIN`] better than the whole: linear next to log, as on the full-size
/// render) or each side repeats a track's structure (the line is the run's heaviest by
/// [`SHARED_EDGE_RATIO`], and each side has a midline or decade lines heavier than its other
/// lines: two 10-division tracks, as on kinney-heinen-1-4). A wide track whose midline is
/// as heavy as its edges, or a log track whose decades are, is not split: its halves have no
/// major line of their own and fit their grids no better than the whole. Each side keeps at
/// least [`MIN_TRACK_DIVISIONS`] intervals.
pub(super) fn split_shared_edges(runs: &[(usize, usize)], lines: &[VLine]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut todo: Vec<(usize, usize)> = runs.iter().rev().copied().collect();
    while let Some((a, b)) = todo.pop() {
        match shared_edge(a, b, lines) {
            Some(k) => {
                todo.push((k, b));
                todo.push((a, k));
            }
            None => out.push((a, b)),
        }
    }
    out
}

/// The outer edges of a print's first and last tracks, where one hides in a scan border: a
/// linear track whose depth lines run on across one more grid division beyond its outermost
/// line found, to where no vertical line was found (stuckey-1's first track: its left edge
/// lies in the scanner's black border at the top, faint and broken below), gets that division,
/// its edge one grid spacing out, parallel to the line beside it. The division must be ruled
/// as the tracks' divisions are (the same measure, [`intervals`] and [`RULED_SHARE`] of
/// `reference`), lie inside the scan on every row, and be at least [`MIN_OUTER_DIVISIONS`]
/// regular divisions' spacing; one division at most on each side. Edits `lines`, `intervals`
/// and `runs` (indices shift by the inserted line).
#[allow(clippy::too_many_arguments)]
pub(super) fn extend_outer_edges(
    img: &GrayImage,
    threshold: u8,
    frame: &Frame,
    tilt: &Tilt,
    u_ref: f64,
    reference: f64,
    lines: &mut Vec<VLine>,
    intervals: &mut Vec<Interval>,
    runs: &mut [(usize, usize)],
) {
    if runs.is_empty() || reference <= 0.0 {
        return;
    }
    let h = f64::from(img.height.saturating_sub(1));
    let w = f64::from(img.width);
    for left in [true, false] {
        let r = if left { 0 } else { runs.len() - 1 };
        let (a, b) = runs[r];
        let us: Vec<f64> = lines[a..=b].iter().map(|l| l.u).collect();
        let regular = matches!(
            grid::classify(&us),
            Finding::Found(Grid { kind: GridKind::Linear { divisions }, .. }) if divisions == b - a
        );
        if !regular || b - a < MIN_OUTER_DIVISIONS {
            continue;
        }
        let s = (us[us.len() - 1] - us[0]) / (b - a) as f64;
        let edge = if left { &lines[a] } else { &lines[b] };
        let du = if left { -s } else { s };
        let u = edge.u + du;
        // No line found there or nearer: the division would have been measured already.
        if lines
            .iter()
            .any(|l| if left { l.u < edge.u && l.u > u - s / 2.0 } else { l.u > edge.u && l.u < u + s / 2.0 })
        {
            continue;
        }
        let shifted = EdgeLine {
            x0: edge.edge.x0 + du,
            points: edge.edge.points.iter().map(|p| [p[0], p[1] + du]).collect(),
            inferred: Some(format!(
                "no line found here (a scan border or a faint edge): one grid division ({s:.1} px) {} of the \
                 track's outermost line found, where the depth lines run on across it",
                if left { "left" } else { "right" }
            )),
            ..edge.edge.clone()
        };
        let inside = |x: f64| x - edge.width / 2.0 >= 0.0 && x + edge.width / 2.0 < w;
        if !(inside(shifted.x_at(0.0)) && inside(shifted.x_at(h)) && shifted.points.iter().all(|p| inside(p[1]))) {
            continue;
        }
        let outer = VLine { u, width: edge.width, ink: 0.0, edge: shifted };
        let pair = if left { vec![outer.clone(), edge.clone()] } else { vec![edge.clone(), outer.clone()] };
        let Some(division) = intervals_of(img, threshold, frame, tilt, u_ref, &pair) else { continue };
        if division.ruled < RULED_SHARE * reference {
            continue;
        }
        if left {
            lines.insert(a, outer);
            intervals.insert(a, division);
            for run in runs.iter_mut() {
                run.1 += 1;
                if run.0 > a {
                    run.0 += 1;
                }
            }
        } else {
            lines.insert(b + 1, outer);
            intervals.insert(b, division);
            runs[r].1 += 1;
        }
    }
}

/// The one interval between two lines.
fn intervals_of(
    img: &GrayImage,
    threshold: u8,
    frame: &Frame,
    tilt: &Tilt,
    u_ref: f64,
    pair: &[VLine],
) -> Option<Interval> {
    intervals(img, threshold, frame, tilt, u_ref, pair).into_iter().next()
}
