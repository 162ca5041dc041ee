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
//!   A column is also grid where it is dark along more than [`GRID_FRACTION`]
//!   of the [`LOCAL_ROWS`] rows around (in blocks of [`LOCAL_BLOCK`] rows): a
//!   skewed scan moves a grid line across columns along the print, and a print
//!   whose grid changes between sections has lines in some of them only, so
//!   their share of the whole track can fall under the fraction (bright-1's:
//!   30-35 % of the track, 70-90 % of the rows around).
//! * **A line.** Runs of dark pixels at most [`MAX_WIDTH`] columns wide are
//!   chained from row to row when their centres are within [`MAX_STEP`] columns
//!   and at most [`MAX_GAP`] rows apart (dashes and dots). A chain is a straight
//!   stretch when it spans at least [`MIN_SPAN`] rows with dark runs on at least
//!   [`MIN_DENSITY`] of them and drifts at most [`MAX_SLOPE`] columns per row
//!   overall.
//! * **Not a grid line.** A grid line runs the whole track; a curve's straight
//!   stretch ends. Dashed, dotted or skewed grid lines can be dark along less
//!   than [`GRID_FRACTION`] of the track and pass the column test, and a curve
//!   crossing one breaks it into stretches; so a line whose column stays dark
//!   past both of its ends (on more than [`BEYOND_FRACTION`] of the non-grid rows
//!   within [`BEYOND_ROWS`] above and below it, columns within one of its ends')
//!   is grid, whatever its share of the track.
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
pub(super) const DARK: f32 = 0.25;
/// Columns (rows) dark along more than this fraction of the track are grid.
const GRID_FRACTION: f32 = 0.35;
/// Shortest run of dark pixels, in columns, that [`sideways_strokes`] keeps: a
/// swing's stroke moving more than the off-curve tolerance (5 % of the track
/// width) within one row, several pen widths (a heavy pen measures 4-6 columns).
const MIN_STROKE: usize = 13;
/// Rows in a block of the local grid-column test.
const LOCAL_BLOCK: usize = 256;
/// Rows around a block (centred on it) along which its grid columns are counted.
/// A curve's straight stretch is grid to this test only when it is longer than
/// [`GRID_FRACTION`] of these rows (about 450).
const LOCAL_ROWS: usize = 1280;
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
/// Rows above and below a line that are looked at for its continuation.
const BEYOND_ROWS: usize = 256;
/// A line whose column is dark along more than this share of the non-grid rows
/// within [`BEYOND_ROWS`] past its ends goes on there: a grid line (bright-1's
/// dashed grid lines: 30-60 %; paper past a curve's straight stretch: the
/// crossings of the curve, a few %).
const BEYOND_FRACTION: f32 = 0.2;

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

/// Where the scan's own ink joins columns sideways: runs of dark pixels (ink
/// over [`DARK`]) at least [`MIN_STROKE`] columns long, outside grid rows (rows
/// dark along more than [`GRID_FRACTION`] of the track: depth lines), row by
/// row. Where the curve swings across the track its stroke is nearly
/// horizontal, and the model, taught that horizontal lines are depth lines,
/// marks it faintly or not at all; the stroke is still there in the scan,
/// joining the swing's tip to the curve above and below it. Shorter runs are
/// left out: two curves that touch in the scan (blur, 1-bit thresholding) but
/// that the model keeps apart join in a run of two pen widths, and a move along
/// it would be a switch to the other curve.
pub(super) fn sideways_strokes(ink: &[f32], w: usize) -> Vec<bool> {
    let (_, row_dark) = dark_counts(ink, w);
    let mut out = vec![false; ink.len()];
    for ((row, dst), &n) in ink.chunks_exact(w.max(1)).zip(out.chunks_exact_mut(w.max(1))).zip(&row_dark) {
        if n as f32 > GRID_FRACTION * w as f32 {
            continue;
        }
        let mut c = 0;
        while c < w {
            if row[c] <= DARK {
                c += 1;
                continue;
            }
            let lo = c;
            while c < w && row[c] > DARK {
                c += 1;
            }
            if c - lo >= MIN_STROKE {
                dst[lo..c].iter_mut().for_each(|d| *d = true);
            }
        }
    }
    out
}

/// Grid columns of each block of [`LOCAL_BLOCK`] rows (`blocks * w`, row-major):
/// columns dark along more than [`GRID_FRACTION`] of the [`LOCAL_ROWS`] rows
/// centred on the block (fewer at the track's ends), with their two neighbours.
fn local_grid_cols(ink: &[f32], w: usize, h: usize) -> Vec<bool> {
    let blocks = h.div_ceil(LOCAL_BLOCK);
    let mut counts = vec![0u32; blocks * w];
    for (r, row) in ink.chunks_exact(w).enumerate() {
        let b = r / LOCAL_BLOCK;
        for (n, &v) in counts[b * w..(b + 1) * w].iter_mut().zip(row) {
            *n += u32::from(v > DARK);
        }
    }
    let reach = (LOCAL_ROWS - LOCAL_BLOCK) / 2 / LOCAL_BLOCK;
    let mut out = vec![false; blocks * w];
    for b in 0..blocks {
        let (b0, b1) = (b.saturating_sub(reach), (b + reach).min(blocks - 1));
        let rows = ((b1 + 1) * LOCAL_BLOCK).min(h) - b0 * LOCAL_BLOCK;
        for c in 0..w {
            let n: u32 = (b0..=b1).map(|k| counts[k * w + c]).sum();
            if n as f32 > GRID_FRACTION * rows as f32 {
                for g in &mut out[b * w + c.saturating_sub(1)..b * w + (c + 2).min(w)] {
                    *g = true;
                }
            }
        }
    }
    out
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
    let local_grid = local_grid_cols(ink, w, h);
    let is_grid_col = |r: usize, c: usize| grid_col[c] || local_grid[(r / LOCAL_BLOCK) * w + c];

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
            if is_grid_col(r, c) || !dark(r, c) {
                c += 1;
                continue;
            }
            let lo = c;
            while c < w && !is_grid_col(r, c) && dark(r, c) {
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

    let confident =
        |r: usize, c_lo: usize, c_hi: usize| map.data[r * w + c_lo..=r * w + c_hi].iter().any(|&v| v >= ink_level);
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
        // Past the ends: rows [first_row - BEYOND_ROWS, first_row) and
        // (last_row, last_row + BEYOND_ROWS], at the end's columns.
        let beyond = |rows: std::ops::Range<usize>, col: f32| {
            let c = col.round() as usize;
            let (lo, hi) = (c.saturating_sub(1), (c + 1).min(w - 1));
            rows.filter(|&r| !grid_row[r])
                .fold((0usize, 0usize), |(n, d), r| (n + 1, d + usize::from((lo..=hi).any(|c| dark(r, c)))))
        };
        let (n_up, d_up) = beyond(first_row.saturating_sub(BEYOND_ROWS)..first_row, first_col);
        let (n_dn, d_dn) = beyond((ch.last_row + 1).min(h)..(ch.last_row + 1 + BEYOND_ROWS).min(h), ch.col);
        if (d_up + d_dn) as f32 > BEYOND_FRACTION * (n_up + n_dn) as f32 {
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
    fn leaves_a_dashed_grid_line_the_curve_crosses() {
        // A dashed vertical line down two thirds of the track (dark along 4 of
        // every 8 rows: a third of the track, under the column test), crossed by
        // the model's curve at rows 98-102: both stretches meet the curve, but
        // each goes on past its end, so neither is marked.
        let (w, h) = (64, 300);
        let mut ink = vec![0.0f32; w * h];
        let mut map = vec![0u8; w * h];
        for r in 0..=200 {
            if r % 8 < 4 {
                ink[r * w + 40] = 0.6;
            }
        }
        for c in 20..60 {
            for r in 98..=102 {
                ink[r * w + c] = 0.9;
                map[r * w + c] = 250;
            }
        }
        assert!(mark_straight(&ProbMap { width: w, height: h, data: map }, &ink, 128, 39).is_none());
    }

    #[test]
    fn rejects_mismatched_inputs() {
        let (map, ink) = track();
        assert!(mark_straight(&map, &ink[1..], 128, 39).is_none());
    }
}
