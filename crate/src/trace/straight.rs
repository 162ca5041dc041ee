//! Straight, near-vertical curve stretches that the model leaves out.
//!
//! A curve that holds one value for a while (a log's last feet where the
//! recording was padded, a reading pegged at a scale limit) is printed as a
//! straight vertical line, and the model, taught that straight vertical lines are
//! grid, gives it almost no probability: the tracer then keeps its column across
//! those rows but reports them as a gap. This step finds such lines in the
//! track's own ink and marks them in a copy of the map, where the model saw
//! nothing near them:
//!
//! * **Ink, not grid.** A pixel is dark when its ink exceeds [`DARK`]. Columns
//!   and rows dark along more than [`GRID_FRACTION`] of the track are grid lines
//!   or borders (a column also blocks its two neighbours); grid rows neither
//!   extend nor break a line, so a line crossing the horizontal grid stays one.
//! * **A line.** Runs of dark pixels at most [`MAX_WIDTH`] columns wide are
//!   chained from row to row when their centres are within [`MAX_STEP`] columns
//!   and at most [`MAX_GAP`] rows apart (dashes and dots). A chain is a straight
//!   stretch when it spans at least [`MIN_SPAN`] rows with dark runs on at least
//!   [`MIN_DENSITY`] of them and drifts at most [`MAX_SLOPE`] columns per row
//!   overall.
//! * **Part of a curve.** One of its ends must meet the model's confident ink
//!   (within [`JOIN_COLS`] columns and [`JOIN_ROWS`] rows past the end): a line
//!   the model's curve runs into, not a stray mark.
//!
//! Rows of an accepted line are marked (its dark pixels set to the tracer's
//! `ink` level) only where the map holds no ink within [`JOIN_COLS`] columns of
//! it, so curves the model already sees keep their probabilities exactly.

use std::collections::VecDeque;

use super::ProbMap;

/// Ink (0..1) from which a pixel is dark.
const DARK: f32 = 0.25;
/// Columns (rows) dark along more than this fraction of the track are grid.
const GRID_FRACTION: f32 = 0.35;
/// Widest dark run, in columns, that can be a line's cross-section (a heavy pen,
/// blurred and thresholded, measures 4-6 columns at the model width).
const MAX_WIDTH: usize = 6;
/// Largest move of a line's centre, in columns, between consecutive dark runs.
const MAX_STEP: f32 = 1.5;
/// Longest stretch of rows without a dark run inside one line (grid rows not
/// counted): the gap between two dashes or dots.
const MAX_GAP: usize = 12;
/// Shortest line, in rows.
const MIN_SPAN: usize = 12;
/// Smallest fraction of a line's (non-grid) rows that hold a dark run.
const MIN_DENSITY: f32 = 0.4;
/// Largest overall drift of a line, in columns per row (beyond one column).
const MAX_SLOPE: f32 = 0.2;
/// Reach, in columns, of a line's join with the model's ink, and of the test
/// that the model saw nothing in a row.
const JOIN_COLS: usize = 3;
/// Reach, in rows past a line's end, of its join with the model's ink.
const JOIN_ROWS: usize = 12;

/// Dark pixels (ink over [`DARK`]) in each column and in each row of a track
/// `w` columns wide (`ink`: ink = 1.0, row by row).
pub(super) fn dark_counts(ink: &[f32], w: usize) -> (Vec<usize>, Vec<usize>) {
    let mut cols = vec![0usize; w];
    let rows = ink
        .chunks_exact(w.max(1))
        .map(|row| {
            let mut n = 0;
            for (cd, &v) in cols.iter_mut().zip(row) {
                if v > DARK {
                    *cd += 1;
                    n += 1;
                }
            }
            n
        })
        .collect();
    (cols, rows)
}

/// A line being followed down the track.
struct Chain {
    /// Centre column of its last dark run.
    col: f32,
    last_row: usize,
    /// Non-grid rows since `last_row`.
    missed: usize,
    /// (row, first column, last column) of each dark run.
    runs: VecDeque<(usize, usize, usize)>,
}

impl Chain {
    /// Adds the run `lo..=hi` of row `r`, first dropping the chain's oldest runs
    /// while the line from them to this run drifts more than [`MAX_SLOPE`] allows
    /// (a curve that turns into a straight stretch keeps only the straight part).
    fn extend(&mut self, r: usize, lo: usize, hi: usize) {
        let centre = (lo + hi) as f32 / 2.0;
        self.runs.push_back((r, lo, hi));
        while let Some(&(r0, lo0, hi0)) = self.runs.front() {
            let c0 = (lo0 + hi0) as f32 / 2.0;
            if (centre - c0).abs() <= 1.0 + MAX_SLOPE * (r - r0) as f32 {
                break;
            }
            self.runs.pop_front();
        }
        self.col = centre;
        self.last_row = r;
        self.missed = 0;
    }
}

/// The map with straight stretches of curve ink marked (see the module
/// documentation), or `None` when there are none. `ink` is the track as the
/// model saw it (`width * height`, ink = 1.0); `ink_level` is the probability
/// level the marked pixels get, `gap_level` the level under which a pixel is
/// paper.
pub(super) fn mark_straight(map: &ProbMap, ink: &[f32], ink_level: u8, gap_level: u8) -> Option<ProbMap> {
    let (w, h) = (map.width, map.height);
    if w == 0 || h < MIN_SPAN || ink.len() != w * h || map.data.len() != w * h {
        return None;
    }
    let dark = |r: usize, c: usize| ink[r * w + c] > DARK;
    let (col_dark, row_dark) = dark_counts(ink, w);
    let grid_row: Vec<bool> = row_dark.iter().map(|&n| n as f32 > GRID_FRACTION * w as f32).collect();
    let mut grid_col = vec![false; w];
    for (c, &n) in col_dark.iter().enumerate() {
        if n as f32 > GRID_FRACTION * h as f32 {
            for g in grid_col.iter_mut().take((c + 2).min(w)).skip(c.saturating_sub(1)) {
                *g = true;
            }
        }
    }

    // open_rows[r] = non-grid rows before row r.
    let mut open_rows = vec![0usize; h + 1];
    for (r, &g) in grid_row.iter().enumerate() {
        open_rows[r + 1] = open_rows[r] + usize::from(!g);
    }

    let mut active: Vec<Chain> = Vec::new();
    let mut done: Vec<Chain> = Vec::new();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (r, &is_grid) in grid_row.iter().enumerate() {
        if is_grid {
            continue;
        }
        // Dark runs of this row outside grid columns.
        runs.clear();
        let mut c = 0;
        while c < w {
            if grid_col[c] || !dark(r, c) {
                c += 1;
                continue;
            }
            let lo = c;
            while c < w && !grid_col[c] && dark(r, c) {
                c += 1;
            }
            if c - lo <= MAX_WIDTH {
                runs.push((lo, c - 1));
            }
        }
        let mut taken = vec![false; active.len()];
        let mut fresh = Vec::new();
        for &(lo, hi) in &runs {
            let centre = (lo + hi) as f32 / 2.0;
            let best = active
                .iter()
                .enumerate()
                .filter(|(i, ch)| !taken[*i] && (ch.col - centre).abs() <= MAX_STEP)
                .min_by(|a, b| (a.1.col - centre).abs().total_cmp(&(b.1.col - centre).abs()))
                .map(|(i, _)| i);
            match best {
                Some(i) => {
                    taken[i] = true;
                    active[i].extend(r, lo, hi);
                }
                None => fresh.push(Chain { col: centre, last_row: r, missed: 0, runs: VecDeque::from([(r, lo, hi)]) }),
            }
        }
        let mut k = 0;
        while k < active.len() {
            if !taken[k] {
                active[k].missed += 1;
            }
            if active[k].missed > MAX_GAP {
                done.push(active.swap_remove(k));
                taken.swap_remove(k);
            } else {
                k += 1;
            }
        }
        active.append(&mut fresh);
    }
    done.append(&mut active);

    let confident = |r: usize, c_lo: usize, c_hi: usize| map.data[r * w + c_lo..=r * w + c_hi].iter().any(|&v| v >= ink_level);
    let mut out: Option<ProbMap> = None;
    for ch in done {
        let Some(&(first_row, lo0, hi0)) = ch.runs.front() else { continue };
        let first_col = (lo0 + hi0) as f32 / 2.0;
        let span = ch.last_row - first_row + 1;
        // Non-grid rows from the first run to the last.
        let rows = open_rows[ch.last_row + 1] - open_rows[first_row];
        if span < MIN_SPAN || (ch.runs.len() as f32) < MIN_DENSITY * rows as f32 {
            continue;
        }
        let joins = |from: usize, to: usize, col: f32| {
            let c = col.round() as usize;
            let (lo, hi) = (c.saturating_sub(JOIN_COLS), (c + JOIN_COLS).min(w - 1));
            (from..to).any(|r| confident(r, lo, hi))
        };
        let above = joins(first_row.saturating_sub(JOIN_ROWS), first_row + 1, first_col);
        let below = joins(ch.last_row, (ch.last_row + JOIN_ROWS + 1).min(h), ch.col);
        if !(above || below) {
            continue;
        }
        for &(r, lo, hi) in &ch.runs {
            let (a, b) = (lo.saturating_sub(JOIN_COLS), (hi + JOIN_COLS).min(w - 1));
            let row = &map.data[r * w..(r + 1) * w];
            if row[a..=b].iter().any(|&v| v >= gap_level) {
                continue;
            }
            let m = out.get_or_insert_with(|| map.clone());
            for c in lo..=hi {
                let v = &mut m.data[r * w + c];
                *v = (*v).max(ink_level);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-column track with a full-height grid line at column 10, grid rows
    /// every 16 rows, a slanted curve (the model's ink) down to row 40, then a
    /// dashed vertical line from row 42 to 100 that the model left out, then paper.
    fn track() -> (ProbMap, Vec<f32>) {
        let (w, h) = (64, 300);
        let mut ink = vec![0.0f32; w * h];
        let mut map = vec![0u8; w * h];
        for r in 0..h {
            ink[r * w + 10] = 0.6;
            if r % 16 == 0 {
                for c in 0..w {
                    ink[r * w + c] = 0.5;
                }
            }
        }
        for r in 0..=40 {
            let c = 20 + r / 2;
            ink[r * w + c] = 0.9;
            map[r * w + c] = 250;
        }
        for r in 42..=100 {
            if r % 8 < 5 {
                ink[r * w + 40] = 0.6;
            }
        }
        (ProbMap { width: w, height: h, data: map }, ink)
    }

    #[test]
    fn marks_a_dashed_vertical_line_that_continues_a_curve() {
        let (map, ink) = track();
        let m = mark_straight(&map, &ink, 128, 39).expect("the line is marked");
        let w = map.width;
        for r in 42..=100 {
            let want = if r % 8 < 5 && r % 16 != 0 { 128 } else { 0 };
            assert_eq!(m.data[r * w + 40], want, "row {r}");
        }
        // The grid line and the model's own ink are untouched.
        for r in 0..map.height {
            assert_eq!(m.data[r * w + 10], 0);
        }
        assert_eq!(&m.data[..41 * w], &map.data[..41 * w]);
    }

    #[test]
    fn leaves_lines_that_no_curve_runs_into() {
        let (mut map, ink) = track();
        map.data.iter_mut().for_each(|v| *v = 0);
        // The model's ink is far from the line's ends: nothing joins it.
        map.data[5 * map.width + 60] = 250;
        assert!(mark_straight(&map, &ink, 128, 39).is_none());
    }

    #[test]
    fn leaves_slanted_lines_and_short_marks() {
        let (w, h) = (64, 120);
        let mut ink = vec![0.0f32; w * h];
        let mut map = vec![0u8; w * h];
        map[w * 10 + 30] = 250;
        // Slanted (one column per row; the model sees such lines) and a short tick.
        for r in 11..60 {
            ink[r * w + 30 + (r - 11)] = 0.8;
        }
        for r in 11..20 {
            ink[r * w + 5] = 0.8;
        }
        map[w * 10 + 5] = 250;
        assert!(mark_straight(&ProbMap { width: w, height: h, data: map }, &ink, 128, 39).is_none());
    }

    #[test]
    fn rejects_mismatched_inputs() {
        let (map, ink) = track();
        assert!(mark_straight(&map, &ink[1..], 128, 39).is_none());
    }
}
