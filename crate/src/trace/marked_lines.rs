//! Grid lines that the model marked as curve ink, over long stretches.
//!
//! The model is taught that grid lines and track borders are not curves, and on
//! a clean print it leaves them at almost no probability. But a heavy grid line
//! or border can still draw it: on a badly degraded print, whose curve is reduced
//! to scattered specks while the line survives whole, or below the end of a log,
//! where the track holds nothing else. The tracer would then follow the line for
//! hundreds of rows as if the log read one value there. This step takes such ink
//! out of a copy of the map:
//!
//! * **Grid lines** come from the track's own ink (dark as [`super::straight`]
//!   counts it): runs of at most
//!   [`MAX_LINE_WIDTH`] columns each dark along more than [`LINE_FRACTION`] of
//!   the track, widened by [`SLACK`] columns each side for the map's blur.
//! * A row holds **the line alone** when the map has ink in the band centred
//!   within [`CENTRE_TOL`] columns of the line and no ink just outside the band
//!   (a curve crossing the line reaches out of it).
//! * Rows of the line alone at most [`MAX_GAP`] rows apart form a stretch; a
//!   stretch of at least [`TraceParams::grid_rows`](super::TraceParams::grid_rows)
//!   of them counts. A curve crossing a grid line holds it alone for a few rows
//!   only, and the rows where it reaches out of the band keep their ink.
//! * When the stretches of one line hold at least [`MIN_SHARE`] of the track's
//!   rows, the model is marking the line itself: the band's pixels in those rows
//!   are set to paper. A caliper reading bit size on a grid line for a few
//!   hundred rows is a curve lying on the line and keeps its ink (a rendered
//!   validation track has one for 18 % of its rows).
//!
//! The cost is a curve that really lies on one grid line along a third of the
//! track: it becomes a gap there, not a wrong value. [`super::straight`] does not
//! restore ink in grid columns either. The faint, local ink of grid lines on paper
//! prints is [`super::grid`]'s; this step runs first and catches a line the model
//! marks strongly, where specks on it keep [`super::grid`] from seeing it alone.

use super::straight::dark_counts;
use super::ProbMap;

/// Columns dark along more than this fraction of the track are a grid line or
/// border drawn down the track (even where fading broke it up).
const LINE_FRACTION: f32 = 0.6;
/// Widest run of such columns that is one line (wider: a curve held near one
/// value, or several lines).
const MAX_LINE_WIDTH: usize = 4;
/// Columns added on each side of a line's dark columns (the model's ink on a
/// line it marks is up to 8 columns wide).
const SLACK: usize = 3;
/// Farthest the ink's centre in a band may lie from the line's centre, in
/// columns, for the row to hold the line alone.
const CENTRE_TOL: f32 = 1.5;
/// Most rows between two rows of the line inside one stretch of it (a line the
/// model marks in pieces, or crossed by curves).
const MAX_GAP: usize = 24;
/// Smallest fraction of the track's rows that the stretches of one line must
/// hold: the model marks the line itself, not a curve lying on it for a while.
const MIN_SHARE: f32 = 1.0 / 3.0;

/// The map with grid-line ink set to paper (see the module documentation), or
/// `None` when there is none. `ink` is the track as the model saw it (`width *
/// height`, ink = 1.0), `gap_level` the level under which a pixel is paper, and
/// `min_rows` the fewest rows of the line that make a stretch (0: never).
pub(super) fn unmark_marked_lines(map: &ProbMap, ink: &[f32], gap_level: u8, min_rows: usize) -> Option<ProbMap> {
    let (w, h) = (map.width, map.height);
    if min_rows == 0 || w == 0 || h == 0 || ink.len() != w * h || map.data.len() != w * h {
        return None;
    }
    let (col_dark, _) = dark_counts(ink, w);
    let line_col: Vec<bool> = col_dark.iter().map(|&n| n as f32 > LINE_FRACTION * h as f32).collect();
    let mut out: Option<ProbMap> = None;
    let mut c = 0;
    while c < w {
        if !line_col[c] {
            c += 1;
            continue;
        }
        let start = c;
        while c < w && line_col[c] {
            c += 1;
        }
        if c - start > MAX_LINE_WIDTH {
            continue;
        }
        let centre = (start + c - 1) as f32 / 2.0;
        let (a, b) = (start.saturating_sub(SLACK), (c - 1 + SLACK).min(w - 1));
        let rows = line_rows(map, a, b, centre, gap_level, min_rows);
        if (rows.len() as f32) < MIN_SHARE * h as f32 {
            continue;
        }
        let m = out.get_or_insert_with(|| map.clone());
        for r in rows {
            m.data[r * w + a..=r * w + b].iter_mut().for_each(|v| *v = 0);
        }
    }
    out
}

/// The rows of columns `a..=b` that hold the grid line centred on `centre` alone
/// (ink in the band, none just outside it, its centre within [`CENTRE_TOL`] of the
/// line's), in stretches of at least `min_rows` such rows at most [`MAX_GAP`]
/// rows apart.
fn line_rows(map: &ProbMap, a: usize, b: usize, centre: f32, gap_level: u8, min_rows: usize) -> Vec<usize> {
    let w = map.width;
    let mut found = Vec::new();
    let mut stretch: Vec<usize> = Vec::new();
    let close = |stretch: &mut Vec<usize>, found: &mut Vec<usize>| {
        if stretch.len() >= min_rows {
            found.append(stretch);
        }
        stretch.clear();
    };
    for r in 0..map.height {
        let row = &map.data[r * w..(r + 1) * w];
        let (mut sum, mut mass) = (0.0f32, 0.0f32);
        for (c, &v) in row.iter().enumerate().take(b + 1).skip(a) {
            if v >= gap_level {
                sum += c as f32 * f32::from(v);
                mass += f32::from(v);
            }
        }
        let outside = |c: Option<usize>| c.is_some_and(|c| row[c] >= gap_level);
        let alone = mass > 0.0
            && (sum / mass - centre).abs() <= CENTRE_TOL
            && !outside(a.checked_sub(1))
            && !outside(Some(b + 1).filter(|&c| c < w));
        if !alone {
            continue;
        }
        if stretch.last().is_some_and(|&last| r - last > MAX_GAP) {
            close(&mut stretch, &mut found);
        }
        stretch.push(r);
    }
    close(&mut stretch, &mut found);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-column track: a grid line at column 30 the whole way down, a curve
    /// the model sees swinging across it down to row 150, and below row 200 only
    /// the grid line, which the model marks.
    fn track() -> (ProbMap, Vec<f32>) {
        let (w, h) = (64, 400);
        let mut ink = vec![0.0f32; w * h];
        let mut map = vec![0u8; w * h];
        for r in 0..h {
            ink[r * w + 30] = 0.7;
            if r >= 200 {
                map[r * w + 30] = 200;
            } else if r < 150 {
                // Crosses column 30 at 2 rows per 3 columns: on the line for a few rows only.
                let c = (30.0 + 20.0 * (r as f64 / 30.0).sin()).round() as usize;
                ink[r * w + c] = 0.9;
                map[r * w + c] = 250;
                map[r * w + c + 1] = 250;
            }
        }
        (ProbMap { width: w, height: h, data: map }, ink)
    }

    #[test]
    fn a_marked_grid_line_is_paper_and_a_curve_crossing_it_is_kept() {
        let (map, ink) = track();
        let m = unmark_marked_lines(&map, &ink, 39, 32).expect("the line is taken out");
        let w = map.width;
        assert_eq!(&m.data[..200 * w], &map.data[..200 * w], "the curve crossing the line keeps its ink");
        assert!(m.data[200 * w..].iter().all(|&v| v == 0), "the marked line is paper");
    }

    #[test]
    fn short_stretches_faint_lines_and_no_line_are_left_alone() {
        let (mut map, ink) = track();
        let w = map.width;
        // Only 20 rows of the line are marked.
        for r in 220..map.height {
            map.data[r * w + 30] = 0;
        }
        assert!(unmark_marked_lines(&map, &ink, 39, 32).is_none());
        // 100 rows (a quarter of the track): a curve lying on the line for a while.
        let (mut map, ink) = track();
        for r in 200..300 {
            map.data[r * w + 30] = 0;
        }
        assert!(unmark_marked_lines(&map, &ink, 39, 32).is_none());
        // A line dark along half the track is not taken for grid.
        let (map, mut ink) = track();
        for r in 0..map.height / 2 {
            ink[r * w + 30] = 0.0;
        }
        assert!(unmark_marked_lines(&map, &ink, 39, 32).is_none());
        assert!(unmark_marked_lines(&map, &track().1, 39, 0).is_none(), "0 turns the step off");
    }
}
