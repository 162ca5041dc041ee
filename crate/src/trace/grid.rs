//! Vertical grid lines are never curve: their ink is taken out of the map.
//!
//! The model is taught that grid lines and track borders are not curves, and on a
//! clean print it leaves them at almost no probability. On real paper prints it
//! does not: a heavy grid line as dark and wide as the curve gets a faint but
//! steady probability, enough for the path to ride it straight down where the
//! curve swings out to one side and back (stuckey-1 and bright-1 in
//! `scripts/real/`), and on a faded print, or below the end of a log, the model
//! can mark a line outright. This step takes such ink out of a copy of the map,
//! from the track's own ink (dark as [`super::straight`] counts it):
//!
//! * **Grid columns, locally.** The rows are cut in blocks of [`BLOCK_ROWS`]; a
//!   column is a grid line in a block when it is dark along more than
//!   [`LINE_FRACTION`] of the rows of the block and of [`AROUND_BLOCKS`] blocks on
//!   each side, depth lines left out (rows dark along more than
//!   [`DEPTH_LINE_FRACTION`] of the track). Counting locally follows a dotted or
//!   dashed line and a grid that changes between sections; a curve is that dark
//!   down one column only where it holds one value for most of the window's rows.
//!   A neighbouring block is counted shifted by the columns its grid moved: the
//!   shift (at most [`MAX_DRIFT`] columns) that best lines up the two blocks'
//!   dark-column profiles, which the grid lines dominate. A print pulled
//!   sideways through the scanner moves its whole grid by a column or two every
//!   block (bright-1 rows 12,900-13,900: a line's ink spread over five columns of
//!   the window, none of them dark along 60 % of it). Each grid column also
//!   covers its neighbours ([`SLACK`] columns each side: the model's blur around
//!   a line).
//! * **The line alone.** Each grid line's width is the median width of the scan's
//!   dark runs through it in the window. In a grid column, a map pixel is set to
//!   paper where the scan's dark run through it is no wider than the line (and a
//!   column of jitter), or where the scan has no ink (the model's blur), unless
//!   the map's ink reaches just out of the line's band in that row. Where a curve
//!   crosses the line or runs down it, its stroke widens the run, or (a light
//!   curve on a gray scan) the model's ink reaches out of the band, and the ink
//!   stays.
//!
//! The cost is a curve drawn exactly over a grid line with no wider a stroke: its
//! ink goes too. The path then keeps to the line only where nothing better is near,
//! and such a row is read from the line's ink, not left a gap
//! ([`super::trace_with_ink`]). [`super::straight`] does not restore ink in grid
//! columns either.

use super::straight::DARK;
use super::ProbMap;

/// Ink (0..1) darker than its line's by more than this is something drawn on
/// the line (a light curve on a gray scan, darker where it overlaps the line).
const DARKER: f32 = 0.1;
/// Rows in a block of the local grid-column test.
const BLOCK_ROWS: usize = 128;
/// Blocks on each side of a block whose rows are counted with it (a window of
/// `(2 * AROUND_BLOCKS + 1) * BLOCK_ROWS` rows, 384 at the model width: long
/// enough that a swing crossing a line is a small share of it, short enough that
/// a line drifting a column per few thousand rows stays in one column).
const AROUND_BLOCKS: usize = 1;
/// A column dark along more than this share of the window's rows is a grid line
/// (stuckey-1's and bright-1's heavy and dotted lines: 70-95 %; a curve swinging
/// across the track crosses a column in a few rows).
const LINE_FRACTION: f32 = 0.6;
/// Rows dark along more than this share of the track are depth lines, left out
/// of the column counts (a heavy horizontal grid darkens every column).
const DEPTH_LINE_FRACTION: f32 = 0.5;
/// Most columns a grid moves from one block to the next (bright-1's drifting
/// stretch: 2-3 a block at the model width).
const MAX_DRIFT: usize = 3;
/// Columns on each side of a grid column that count as the line too.
const SLACK: usize = 1;
/// Widest line, in columns, that is measured as such (a heavy grid line at the
/// model width is 2-4 columns; wider runs are a curve held on the line).
const MAX_LINE_WIDTH: usize = 6;

/// The map with grid-line ink set to paper (see the module documentation), or
/// `None` when there is none or the step is off (`on` false). `ink` is the track as
/// the model saw it (`width * height`, ink = 1.0), `gap_level` the map level under
/// which a pixel is paper.
pub(super) fn unmark_grid(map: &ProbMap, ink: &[f32], gap_level: u8, on: bool) -> Option<ProbMap> {
    let (w, h) = (map.width, map.height);
    if !on || w == 0 || h == 0 || ink.len() != w * h || map.data.len() != w * h {
        return None;
    }
    let blocks = h.div_ceil(BLOCK_ROWS);
    // Dark rows per block and column, and the rows counted per block: depth lines
    // (rows dark across most of the track) are left out, as they darken every column.
    let mut dark = vec![0u32; blocks * w];
    let mut counted = vec![0u32; blocks];
    for (r, row) in ink.chunks_exact(w).enumerate() {
        if row.iter().filter(|&&v| v > DARK).count() as f32 > DEPTH_LINE_FRACTION * w as f32 {
            continue;
        }
        counted[r / BLOCK_ROWS] += 1;
        let counts = &mut dark[(r / BLOCK_ROWS) * w..(r / BLOCK_ROWS + 1) * w];
        for (n, &v) in counts.iter_mut().zip(row) {
            *n += u32::from(v > DARK);
        }
    }
    let mut out: Option<ProbMap> = None;
    // Per column of this block: covered by a line (with its slack), and the line's
    // own width where the column is a line's.
    let mut near = vec![false; w];
    let mut lines: Vec<Option<Line>> = vec![None; w];
    // The columns each block's grid moved from the block before.
    let drift: Vec<isize> =
        (1..blocks).map(|b| best_shift(&dark[(b - 1) * w..b * w], &dark[b * w..(b + 1) * w])).collect();
    let mut count = vec![0u32; w];
    for b in 0..blocks {
        let (lo, hi) = (b.saturating_sub(AROUND_BLOCKS), (b + AROUND_BLOCKS).min(blocks - 1));
        near.fill(false);
        lines.fill(None);
        let rows: u32 = counted[lo..=hi].iter().sum();
        // Each block of the window with its offset: column c of block b is column
        // c + offset of that block.
        let offsets: Vec<(usize, isize)> = (lo..=hi)
            .map(|k| {
                let off = if k < b { -drift[k..b].iter().sum::<isize>() } else { drift[b..k].iter().sum::<isize>() };
                (k, off)
            })
            .collect();
        count.fill(0);
        for &(k, off) in &offsets {
            for (c, n) in count.iter_mut().enumerate() {
                if let Some(x) = c.checked_add_signed(off).filter(|&x| x < w) {
                    *n += dark[k * w + x];
                }
            }
        }
        for c in 0..w {
            if rows > 0 && count[c] as f32 > LINE_FRACTION * rows as f32 {
                near[c.saturating_sub(SLACK)..=(c + SLACK).min(w - 1)].fill(true);
                let pieces = offsets.iter().filter_map(|&(k, off)| {
                    let x = c.checked_add_signed(off).filter(|&x| x < w)?;
                    Some((k * BLOCK_ROWS..((k + 1) * BLOCK_ROWS).min(h), x))
                });
                lines[c] = Some(Line::measure(ink, w, pieces));
            }
        }
        if lines.iter().all(Option::is_none) {
            continue;
        }
        for r in b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(h) {
            let row_ink = &ink[r * w..(r + 1) * w];
            let row_map = &map.data[r * w..(r + 1) * w];
            let mut c = 0;
            while c < w {
                let is_dark = row_ink[c] > DARK;
                let start = c;
                while c < w && (row_ink[c] > DARK) == is_dark {
                    c += 1;
                }
                // Columns start..c are one run of ink (dark) or of paper. A dark run
                // is the line alone when it holds a line's column and is no wider
                // and no darker than that line (a column of jitter, DARKER of
                // darkness): a curve on the line or across it makes it wider, or
                // on a gray scan darker.
                if is_dark {
                    let darkest = row_ink[start..c].iter().copied().fold(0.0f32, f32::max);
                    let alone = lines[start..c]
                        .iter()
                        .flatten()
                        .any(|l| c - start <= l.width + 1 && darkest <= l.darkness + DARKER);
                    if !alone {
                        continue;
                    }
                }
                for x in (start..c).filter(|&x| near[x] && row_map[x] != 0) {
                    // The model's ink reaching out of the line's band is a curve
                    // crossing it (one too light to widen the dark run).
                    let band_lo = (0..=x).rev().take_while(|&y| near[y]).last().unwrap_or(x);
                    let band_hi = (x..w).take_while(|&y| near[y]).last().unwrap_or(x);
                    let outside = |y: Option<usize>| y.is_some_and(|y| y < w && row_map[y] >= gap_level);
                    if outside(band_lo.checked_sub(1)) || outside(Some(band_hi + 1)) {
                        continue;
                    }
                    out.get_or_insert_with(|| map.clone()).data[r * w + x] = 0;
                }
            }
        }
    }
    out
}

/// The shift `d` (|d| at most [`MAX_DRIFT`]) for which column `c + d` of `next` best
/// matches column `c` of `prev` (dark-row counts; the smaller shift on a tie, and 0
/// when nothing matches).
fn best_shift(prev: &[u32], next: &[u32]) -> isize {
    let w = prev.len() as isize;
    let mut best = (0u64, 0isize);
    for d in 0..=2 * MAX_DRIFT as isize {
        // 0, 1, -1, 2, -2, ...: the smaller shift first, so it wins a tie.
        let d = if d % 2 == 0 { -d / 2 } else { (d + 1) / 2 };
        let score: u64 =
            (0.max(-d)..w.min(w - d)).map(|c| u64::from(prev[c as usize]) * u64::from(next[(c + d) as usize])).sum();
        if score > best.0 {
            best = (score, d);
        }
    }
    best.1
}

/// A grid line down one column, as the scan draws it around a block.
#[derive(Debug, Clone, Copy)]
struct Line {
    /// The median width of the dark runs through it, capped at [`MAX_LINE_WIDTH`].
    width: usize,
    /// The median of those runs' darkest ink.
    darkness: f32,
}

impl Line {
    /// Measured over `pieces`: rows and the line's column in them.
    fn measure(ink: &[f32], w: usize, pieces: impl Iterator<Item = (std::ops::Range<usize>, usize)>) -> Line {
        let (mut widths, mut darks): (Vec<usize>, Vec<f32>) = pieces
            .flat_map(|(rows, c)| rows.map(move |r| (r, c)))
            .filter_map(|(r, c)| {
                let row = &ink[r * w..(r + 1) * w];
                (row[c] > DARK).then(|| {
                    let lo = c - (0..c).rev().take_while(|&x| row[x] > DARK).take(MAX_LINE_WIDTH).count();
                    let hi = c + (c + 1..w).take_while(|&x| row[x] > DARK).take(MAX_LINE_WIDTH).count();
                    let darkest = row[lo..=hi].iter().copied().fold(0.0f32, f32::max);
                    ((hi - lo + 1).min(MAX_LINE_WIDTH), darkest)
                })
            })
            .unzip();
        if widths.is_empty() {
            return Line { width: 0, darkness: 0.0 };
        }
        let mid = widths.len() / 2;
        let width = *widths.select_nth_unstable(mid).1;
        let darkness = *darks.select_nth_unstable_by(mid, f32::total_cmp).1;
        Line { width, darkness }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-column track: a grid line at column 30 the whole way down, which the
    /// model marks faintly everywhere and strongly below row 300, and a curve the
    /// model sees swinging across it (a 9-column stroke where it crosses).
    fn track() -> (ProbMap, Vec<f32>) {
        let (w, h) = (64, 600);
        let mut ink = vec![0.0f32; w * h];
        let mut map = vec![0u8; w * h];
        for r in 0..h {
            ink[r * w + 30] = 0.7;
            map[r * w + 30] = if r >= 300 { 200 } else { 60 };
            let c = (30.0 + 20.0 * (r as f64 / 30.0).sin()).round() as usize;
            for x in c.saturating_sub(4)..=(c + 4).min(w - 1) {
                ink[r * w + x] = 0.9;
                map[r * w + x] = 250;
            }
        }
        (ProbMap { width: w, height: h, data: map }, ink)
    }

    #[test]
    fn a_grid_line_is_paper_and_a_curve_crossing_it_is_kept() {
        let (map, ink) = track();
        let m = unmark_grid(&map, &ink, 39, true).expect("the line is taken out");
        let w = map.width;
        let mut alone = 0;
        for r in 0..map.height {
            // The curve's stroke touches the line's band (columns 29-31) or the
            // columns just beside it.
            let touching = (28..=32).any(|x| ink[r * w + x] > 0.8);
            let v = m.data[r * w + 30];
            if touching {
                assert_eq!(v, map.data[r * w + 30], "row {r}: the curve crossing the line keeps its ink");
            } else {
                assert_eq!(v, 0, "row {r}: the line alone is paper");
                alone += 1;
            }
            // The curve away from the line is untouched.
            for x in (0..w).filter(|x| !(29..=31).contains(x)) {
                assert_eq!(m.data[r * w + x], map.data[r * w + x], "row {r} column {x}");
            }
        }
        assert!(alone > map.height / 2, "the line alone on most rows ({alone})");
    }

    #[test]
    fn a_line_dark_along_under_the_share_and_the_switch_leave_the_map_alone() {
        let (map, mut ink) = track();
        let w = map.width;
        // Dark along every other 4 rows of 5: 48 % with the curve's crossings, under the share.
        for r in 0..map.height {
            if r % 5 != 0 {
                ink[r * w + 30] = 0.0;
            }
        }
        // Paper and faint ink around, not on a line: nothing to take out.
        let m = unmark_grid(&map, &ink, 39, true);
        assert!(m.is_none_or(|m| m.data[..] == map.data[..]), "no grid line, no change");
        assert!(unmark_grid(&map, &track().1, 39, false).is_none(), "off turns the step off");
    }

    #[test]
    fn a_grid_line_drifting_across_columns_is_still_a_line() {
        // A print pulled sideways through the scanner: a line two columns wide moves a
        // column every 64 rows, so no single column is dark along 60 % of a 384-row
        // window (bright-1 rows 12,900-13,900).
        let (w, h) = (64, 768);
        let mut ink = vec![0.0f32; w * h];
        let mut map = vec![0u8; w * h];
        let line = |r: usize| 20 + r / 64;
        for r in 0..h {
            for x in [line(r), line(r) + 1] {
                ink[r * w + x] = 0.7;
                map[r * w + x] = 120;
            }
        }
        let m = unmark_grid(&ProbMap { width: w, height: h, data: map }, &ink, 39, true).expect("the line is found");
        let gone = (0..h).filter(|&r| m.data[r * w + line(r)] == 0).count();
        assert!(gone > h * 9 / 10, "the drifting line is paper on {gone} of {h} rows");
    }
}
