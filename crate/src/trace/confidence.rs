//! Where the trace is unsure: the rows a person should look at.
//!
//! A row is marked uncertain in two cases.
//!
//! **The path has left the curve.** On real prints the trace can cut straight down
//! across a fast swing of the curve, riding a vertical grid line or the paper between
//! the swing's strokes, and rejoin the curve below (`scripts/real/README.md`). In such
//! a row two things hold at once, and the row is marked when both do:
//!
//! * **the model sees curve ink elsewhere:** its probability map has ink of at least
//!   [`ELSEWHERE_INK`] more than [`FAR_FRACTION`] of the track's width from the traced
//!   column (the swing the path left, or another curve);
//! * **the path's own footing is weak:** the map's ink under the path is below
//!   [`WEAK_INK`] (paper, a faint return stroke, a bridged gap), or the path lies on
//!   a vertical line of the scan, dark along at least [`LINE_FRACTION`] of the
//!   [`LINE_ROWS`] rows around, for [`RIDE_ROWS`] rows or more (a grid line, which a
//!   curve crosses within a row or two).
//!
//! **The row does not say where the curve crosses it.** Most of the rows off the curve
//! that are left are not such cut-downs but short runs of 1-10 scan rows on a fast,
//! nearly horizontal stroke drawn with a pen several rows thick (1951 and 1970 prints),
//! or at a swing's tip where the stroke runs on along a depth line: the path is on the
//! stroke's ink, but the stroke covers one row over tens of columns and the path takes
//! another place along it than the curve's (or turns back short of the tip, where the
//! map fades). The map's ink under the path is then confident, so the first case never
//! holds. Such a row is marked when the scan's dark run under the path reaches
//! [`SWEEP_REACH`] of the track's width from it while the path moves [`SWEEP_MOTION`]
//! of the width within [`SWEEP_ROWS`] rows either side, the row not being a depth line
//! ([`SWEEP_LINE_ROW`]). A thin pen's fast swing draws a run about one row's move wide
//! and is not marked, nor is a steep curve's thick stroke.
//!
//! Rows marked within [`JOIN_ROWS`] of each other make one stretch. The values were
//! set on the real prints' true stretches with `scripts/eval-real`, which reports the
//! share of rows marked and the share of the rows off the curve among them; the
//! figures are in `models/MODEL_CARD.md` (with the second case: kinney-heinen-1-4 1.9 %
//! of rows marked holding its one row off, stuckey-1 9.4 % holding 88 %, bright-1, 13 %
//! of whose rows are off, 26 % holding 66 %; the first case alone 0.3 % / 0 %, 2.3 % /
//! 12 %, 4.3 % / 22 %). Measured there, and not kept: the margin of
//! the traced path over the best other route under a plain path model (forward and
//! backward passes, sideways moves free along ink), globally and within windows
//! anchored on the path. Hatching and neighbouring curves give a cheap other route
//! almost everywhere on the 1970 print (44 % of rows marked for 59 % of its rows off
//! the curve, against 9 % and 39 % for the first case when it was measured). Nor, for
//! the second case (Python prototype on the maps the CLI traced): the path's sideways
//! motion alone (stuckey-1: 26 % of rows marked for 94 %, 11 % for 66 %), the model's
//! ink more than [`FAR_FRACTION`] away in the row (32 % for 88 %), the same with the
//! motion (21 % for 78 %), ink of the path's own map component elsewhere in the row
//! (30 % for 100 %, 10 % for 44 %), the map's run under the path instead of the scan's
//! (9 % for 59 %), rows near a depth line with the motion (13 % for 72 %), and the
//! run's reach beyond the path's own move in the row instead of from the path (9.9 %
//! for 81 %).

use super::ProbMap;

/// How far from the traced column, as a fraction of the track's width, ink counts as
/// elsewhere: the real-scan benchmark's "off the curve".
pub const FAR_FRACTION: f32 = 0.05;
/// Map probability from which ink elsewhere in the row counts.
pub const ELSEWHERE_INK: f32 = 0.8;
/// Map probability (the largest within a column of the path) under which the path's
/// footing is weak.
pub const WEAK_INK: f32 = 0.5;
/// Track rows around a row over which a vertical line of the scan is measured.
pub const LINE_ROWS: usize = 121;
/// Share of [`LINE_ROWS`] along which a column must be dark to be a vertical line.
pub const LINE_FRACTION: f32 = 0.8;
/// Rows in a row the path must lie on a vertical line to be riding it (a curve
/// crosses a grid line within a row or two).
pub const RIDE_ROWS: usize = 6;
/// Scan ink (0..1) from which a pixel is dark.
const DARK: f32 = 0.5;
/// How far, as a fraction of the track's width, the scan's dark run under the path must
/// reach from it in a row for the row to lie on a sideways stroke: twice
/// [`FAR_FRACTION`], so that the curve may cross the row along the run more than the
/// off-the-curve bound from where it crosses it in the next row. Set on stuckey-1
/// (1951, 4-6 px pen): 0.085 marks 10.3 % of its rows, 0.12 9.2 %, both holding 88 % of
/// its rows off (`scripts/eval-real`).
pub const SWEEP_REACH: f32 = 0.1;
/// How far, as a fraction of the track's width, the path must move within
/// [`SWEEP_ROWS`] rows either side of a row on a sideways stroke for the row to be
/// marked (a steep curve's thick stroke alone is not a sweep). Set on stuckey-1: 0.085
/// marks 10.7 % of its rows holding 88 % of its rows off; 0.12 8.2 % holding 69 %.
pub const SWEEP_MOTION: f32 = 0.1;
/// Rows either side of a row over which the path's sideways motion is measured (track
/// rows). Set on stuckey-1: 3 marks 8.0 % of its rows holding 69 % of its rows off, 5
/// 10.9 % holding 88 %.
pub const SWEEP_ROWS: usize = 4;
/// Columns either side of the path within which the dark run under it is looked for
/// (the path's position is the ink's centroid, which may sit beside a dark pixel).
const SWEEP_SEARCH: usize = 2;
/// Share of the track's width dark in a row from which the row is a depth line: its
/// dark run is the line, across the track, and says nothing of the curve's stroke.
/// Set on stuckey-1, whose depth lines are as dark as its curve: without it 10.7 % of
/// its rows are marked, with 0.8 10.0 %, both holding 88 % of its rows off; 0.6 leaves
/// out the rows beside a line too (8.4 % holding 69 %).
pub const SWEEP_LINE_ROW: f32 = 0.7;
/// Marked rows this close (track rows) make one stretch.
pub const JOIN_ROWS: usize = 4;

/// Per row of `map`, whether the traced `columns` (as [`super::trace`] returns them)
/// are unsure there. `ink` is the track as the model saw it (`width * height`
/// values, ink = 1.0); without it (or when it does not match the map) only the map
/// is used. Rows without a column are not marked: they are gaps, and the exporter
/// decides what to do with them.
pub fn uncertain_rows(map: &ProbMap, ink: Option<&[f32]>, columns: &[Option<f32>]) -> Vec<bool> {
    let (w, h) = (map.width, map.height);
    if w == 0 || h == 0 || map.data.len() != w * h || columns.len() != h {
        return vec![false; columns.len()];
    }
    let ink = ink.filter(|i| i.len() == w * h);
    let level = |p: f32| (p * 255.0).ceil().clamp(0.0, 255.0) as u8;
    let (elsewhere, weak) = (level(ELSEWHERE_INK), level(WEAK_INK));
    let far = ((FAR_FRACTION * w as f32).ceil() as usize).max(1);
    let half = LINE_ROWS / 2;
    // Dark pixels per column over the rows r - half ..= r + half, kept as r moves.
    let mut dark = vec![0u32; w];
    let add = |dark: &mut [u32], r: usize, by: i64| {
        if let Some(ink) = ink {
            for (d, &v) in dark.iter_mut().zip(&ink[r * w..(r + 1) * w]) {
                if v >= DARK {
                    *d = (i64::from(*d) + by).max(0) as u32;
                }
            }
        }
    };
    for r in 0..half.min(h) {
        add(&mut dark, r, 1);
    }
    let mut marked = vec![false; h];
    let mut riding = vec![false; h];
    for r in 0..h {
        if r + half < h {
            add(&mut dark, r + half, 1);
        }
        if r > half {
            add(&mut dark, r - half - 1, -1);
        }
        let Some(c) = columns[r] else { continue };
        let c = (c.round().max(0.0) as usize).min(w - 1);
        let row = &map.data[r * w..(r + 1) * w];
        let near = c.saturating_sub(1)..(c + 2).min(w);
        let other = row[..c.saturating_sub(far)].iter().chain(row.get(c + far + 1..).unwrap_or(&[]));
        if !other.into_iter().any(|&v| v >= elsewhere) {
            continue;
        }
        let rows_seen = ((r + half).min(h - 1) - r.saturating_sub(half) + 1) as f32;
        let on_line = ink.is_some() && dark[near.clone()].iter().any(|&d| d as f32 >= LINE_FRACTION * rows_seen);
        let footing = row[near].iter().copied().max().unwrap_or(0);
        marked[r] = footing < weak;
        riding[r] = on_line;
    }
    // A curve crosses a grid line in a row or two; the path rides one for longer.
    for [a, b] in stretches(&riding) {
        if b + 1 - a >= RIDE_ROWS {
            marked[a..=b].iter_mut().for_each(|m| *m = true);
        }
    }
    if let Some(ink) = ink {
        for (m, s) in marked.iter_mut().zip(sweeping(ink, w, columns)) {
            *m |= s;
        }
    }
    join(&mut marked, columns);
    marked
}

/// Per row, whether the path runs along a sideways stroke of the scan there: the dark
/// run under the path reaches [`SWEEP_REACH`] of the width from it while the path moves
/// [`SWEEP_MOTION`] of the width within [`SWEEP_ROWS`] rows either side; depth-line rows
/// ([`SWEEP_LINE_ROW`]) are left out. `ink` is `w` columns wide and matches `columns`.
fn sweeping(ink: &[f32], w: usize, columns: &[Option<f32>]) -> Vec<bool> {
    let h = columns.len();
    let reach = (SWEEP_REACH * w as f32).ceil() as usize;
    let motion = (SWEEP_MOTION * w as f32).ceil();
    let line = SWEEP_LINE_ROW * w as f32;
    let mut out = vec![false; h];
    for (r, o) in out.iter_mut().enumerate() {
        let Some(c) = columns[r] else { continue };
        let around = columns[r.saturating_sub(SWEEP_ROWS)..(r + SWEEP_ROWS + 1).min(h)].iter().flatten();
        let (lo, hi) = around.fold((c, c), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        if hi - lo < motion {
            continue;
        }
        let dark: Vec<bool> = ink[r * w..(r + 1) * w].iter().map(|&v| v >= DARK).collect();
        if dark.iter().filter(|&&d| d).count() as f32 >= line {
            continue;
        }
        let c = (c.round().max(0.0) as usize).min(w - 1);
        let nearest =
            (0..=SWEEP_SEARCH).flat_map(|d| [c.checked_sub(d), Some(c + d)]).flatten().find(|&x| x < w && dark[x]);
        let Some(x) = nearest else { continue };
        let first = dark[..x].iter().rposition(|&d| !d).map_or(0, |p| p + 1);
        let last = dark[x..].iter().position(|&d| !d).map_or(w - 1, |p| x + p - 1);
        *o = (c - first.min(c)).max(last.saturating_sub(c)) >= reach;
    }
    out
}

/// Joins marked rows closer than [`JOIN_ROWS`], over traced rows only.
fn join(marked: &mut [bool], columns: &[Option<f32>]) {
    let mut last: Option<usize> = None;
    for r in 0..marked.len() {
        if marked[r] {
            if let Some(l) = last {
                if r - l <= JOIN_ROWS {
                    marked[l..r].iter_mut().for_each(|m| *m = true);
                }
            }
            last = Some(r);
        }
    }
    for (m, c) in marked.iter_mut().zip(columns) {
        *m &= c.is_some();
    }
}

/// Stretches of consecutive `true` rows, as `[first, last]` (inclusive).
pub fn stretches(marked: &[bool]) -> Vec<[usize; 2]> {
    let mut out = Vec::new();
    let mut start = None;
    for (r, &m) in marked.iter().enumerate() {
        match (m, start) {
            (true, None) => start = Some(r),
            (false, Some(s)) => {
                out.push([s, r - 1]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push([s, marked.len() - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 100;
    const H: usize = 200;

    /// A map and a track's ink, blank.
    fn blank() -> (ProbMap, Vec<f32>) {
        (ProbMap { width: W, height: H, data: vec![0; W * H] }, vec![0.0; W * H])
    }

    fn set_map(map: &mut ProbMap, r: usize, c: usize, v: u8) {
        map.data[r * W + c] = v;
    }

    fn marked_rows(marked: &[bool]) -> usize {
        marked.iter().filter(|&&m| m).count()
    }

    #[test]
    fn a_lone_clean_curve_is_never_unsure() {
        let (mut map, mut ink) = blank();
        let cols: Vec<Option<f32>> = (0..H).map(|r| Some(20.0 + (r as f32 / 7.0).sin() * 10.0)).collect();
        for (r, c) in cols.iter().enumerate() {
            let c = c.unwrap().round() as usize;
            set_map(&mut map, r, c, 255);
            ink[r * W + c] = 1.0;
        }
        assert_eq!(marked_rows(&uncertain_rows(&map, Some(&ink), &cols)), 0);
    }

    #[test]
    fn riding_a_grid_line_beside_curve_ink_is_unsure_and_crossing_one_is_not() {
        let (mut map, mut ink) = blank();
        // A grid line down column 50, dark in the scan, which the model marks too.
        for r in 0..H {
            ink[r * W + 50] = 1.0;
            set_map(&mut map, r, 50, 200);
        }
        // The curve: at column 80 except rows 100..130, where the path rides the grid line
        // while the model sees the curve's swing at column 80 all along.
        let mut cols = Vec::new();
        for r in 0..H {
            set_map(&mut map, r, 80, 255);
            ink[r * W + 80] = 1.0;
            cols.push(Some(if (100..130).contains(&r) { 50.0 } else { 80.0 }));
        }
        let marked = uncertain_rows(&map, Some(&ink), &cols);
        assert!(marked[100..130].iter().all(|&m| m), "{:?}", stretches(&marked));
        assert_eq!(marked_rows(&marked), 30, "{:?}", stretches(&marked));

        // A path that crosses the grid line in one row is not unsure there.
        let mut cols2 = cols.clone();
        for (r, c) in cols2.iter_mut().enumerate() {
            *c = Some(if r == 60 { 50.0 } else { 80.0 });
        }
        assert_eq!(marked_rows(&uncertain_rows(&map, Some(&ink), &cols2)), 0);
    }

    #[test]
    fn a_path_over_paper_is_unsure_only_where_the_model_sees_ink_elsewhere() {
        let (mut map, ink) = blank();
        let cols: Vec<Option<f32>> = vec![Some(30.0); H];
        for r in 0..H {
            if !(50..60).contains(&r) {
                set_map(&mut map, r, 30, 255);
            }
        }
        // Paper under the path at rows 50..60, nothing elsewhere: a gap bridged, not a doubt.
        assert_eq!(marked_rows(&uncertain_rows(&map, Some(&ink), &cols)), 0);
        // The same with curve ink at column 70 in those rows: the curve may be there.
        for r in 50..60 {
            set_map(&mut map, r, 70, 255);
        }
        let marked = uncertain_rows(&map, Some(&ink), &cols);
        assert_eq!(stretches(&marked), vec![[50, 59]]);
        // Ink that is near the path (within FAR_FRACTION of the width) does not count.
        let (mut near, _) = blank();
        for r in 0..H {
            set_map(&mut near, r, if (50..60).contains(&r) { 33 } else { 30 }, 255);
        }
        assert_eq!(marked_rows(&uncertain_rows(&near, Some(&ink), &cols)), 0);
    }

    /// A swing out to column `tip` and back over rows 100..=120 (`6` columns a row) from a
    /// steep curve at column 20, drawn in the scan with a pen `pen` rows thick; the map
    /// holds the path only, so the model sees no ink elsewhere. The path follows the swing
    /// out to `cut` and back (a path that cuts the tip short when `cut < tip`).
    fn swing(pen: usize, tip: usize, cut: usize) -> (ProbMap, Vec<f32>, Vec<Option<f32>>) {
        let (mut map, mut ink) = blank();
        let centre = |r: usize, limit: usize| {
            let d = if (100..=120).contains(&r) { 10 - r.abs_diff(110) } else { 0 };
            (20 + 6 * d).min(limit)
        };
        for r in 0..H {
            for k in 0..pen {
                let y = (r + k).saturating_sub(pen / 2).min(H - 1);
                let (a, b) = (centre(r, tip), centre(r + 1, tip));
                for x in a.min(b)..=a.max(b) {
                    ink[y * W + x] = 1.0;
                }
            }
        }
        let cols: Vec<Option<f32>> = (0..H).map(|r| Some(centre(r, cut) as f32)).collect();
        for (r, c) in cols.iter().enumerate() {
            set_map(&mut map, r, c.unwrap() as usize, 255);
        }
        (map, ink, cols)
    }

    #[test]
    fn a_path_along_a_thick_sideways_stroke_is_unsure_and_a_thin_swing_is_not() {
        // A thick pen: the scan's run in a row of the swing is several rows' worth of the
        // stroke, and the curve may cross the row anywhere along it.
        let (map, ink, cols) = swing(7, 80, 80);
        let marked = uncertain_rows(&map, Some(&ink), &cols);
        assert!(marked[103..=117].iter().all(|&m| m), "{:?}", stretches(&marked));
        assert!(marked[..95].iter().chain(&marked[126..]).all(|&m| !m), "{:?}", stretches(&marked));
        // The path turns back 20 columns before the stroke's tip: the rows of the tip are marked.
        let (map, ink, cols) = swing(7, 80, 60);
        let marked = uncertain_rows(&map, Some(&ink), &cols);
        assert!(marked[106..=114].iter().all(|&m| m), "{:?}", stretches(&marked));
        // A thin pen: the run is about one row's move wide, the row's place is clear.
        let (map, ink, cols) = swing(1, 80, 80);
        assert_eq!(marked_rows(&uncertain_rows(&map, Some(&ink), &cols)), 0);
        // A depth line across the swing is the line's run, not the stroke's.
        let (map, mut ink, cols) = swing(1, 80, 80);
        ink[105 * W..106 * W].iter_mut().for_each(|v| *v = 1.0);
        assert_eq!(marked_rows(&uncertain_rows(&map, Some(&ink), &cols)), 0);
        // Without the track's ink nothing is said about strokes.
        let (map, _, cols) = swing(7, 80, 80);
        assert_eq!(marked_rows(&uncertain_rows(&map, None, &cols)), 0);
    }

    #[test]
    fn gaps_are_not_marked_and_stretches_join() {
        let (mut map, ink) = blank();
        let mut cols: Vec<Option<f32>> = vec![Some(30.0); H];
        for r in 0..H {
            set_map(&mut map, r, 80, 255);
            if ![40, 43, 120].contains(&r) {
                set_map(&mut map, r, 30, 255);
            }
        }
        cols[121] = None;
        let marked = uncertain_rows(&map, Some(&ink), &cols);
        // Rows 40 and 43 are within JOIN_ROWS: one stretch; row 121 is a gap.
        assert_eq!(stretches(&marked), vec![[40, 43], [120, 120]]);
        // Mismatched inputs mark nothing rather than fail.
        assert_eq!(marked_rows(&uncertain_rows(&map, Some(&ink), &cols[1..])), 0);
    }
}
