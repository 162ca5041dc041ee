//! Stretches of a curve hidden under a dark scan bar.
//!
//! A scanner can leave a dark band across the print (a dirty lamp, a fold, a
//! thresholded shadow); on a 1-bit scan the band is solid black and hides every
//! curve under it. The model finds no curve there and the tracer reports those
//! rows as a gap, which the exporter leaves as NULL when it is longer than its
//! bridge. But the curve is not missing there, only hidden: it goes on under the
//! band and comes out on the other side. So a gap whose rows are mostly
//! [occluded](occluded_rows) is filled by linear interpolation between the path's
//! positions on either side, when:
//!
//! * the gap is bounded by traced rows on both sides (a band at the track's top or
//!   bottom end stays a gap: nothing tells where the curve went);
//! * it holds at least one occluded row and at most [`SLACK_ROWS`] rows that are
//!   not occluded (the band's soft edges, where the curve is faint);
//! * it spans at most [`MAX_ROWS`] rows: a longer band hides too much of the
//!   curve to draw it as a straight line.
//!
//! Gaps over paper (a curve off the track, a missing section) are left alone.

/// Ink (0..1) from which a pixel counts as dark for occlusion.
const DARK: f32 = 0.5;
/// A row is occluded when at least this fraction of its pixels are dark.
const FRACTION: f32 = 0.9;
/// Rows of a gap that may be not occluded (the band's edges).
const SLACK_ROWS: usize = 16;
/// Longest gap, in rows, filled across a band.
const MAX_ROWS: usize = 128;

/// Which rows of the track (`width` columns of ink, ink = 1.0) are covered by a
/// dark band: at least [`FRACTION`] of their pixels have ink of [`DARK`] or more.
pub(super) fn occluded_rows(ink: &[f32], width: usize) -> Vec<bool> {
    if width == 0 {
        return Vec::new();
    }
    ink.chunks_exact(width)
        .map(|row| row.iter().filter(|&&v| v >= DARK).count() as f32 >= FRACTION * width as f32)
        .collect()
}

/// Fills the gaps of `cols` that lie under dark bands (`occluded`, one flag per
/// row) by linear interpolation between the traced rows around them; returns the
/// number of rows filled.
pub(super) fn bridge(cols: &mut [Option<f32>], occluded: &[bool]) -> usize {
    let n = cols.len().min(occluded.len());
    let mut filled = 0;
    let mut r = 0;
    while r < n {
        if cols[r].is_some() {
            r += 1;
            continue;
        }
        let start = r;
        while r < n && cols[r].is_none() {
            r += 1;
        }
        // Gap start..r; bounded when a traced row lies on each side.
        let (Some(a), Some(b)) = (start.checked_sub(1).and_then(|p| cols[p]), cols.get(r).copied().flatten()) else {
            continue;
        };
        let len = r - start;
        let hidden = occluded[start..r].iter().filter(|&&o| o).count();
        if hidden == 0 || len - hidden > SLACK_ROWS || len > MAX_ROWS {
            continue;
        }
        let span = (len + 1) as f32;
        for (i, c) in cols[start..r].iter_mut().enumerate() {
            let t = (i + 1) as f32 / span;
            *c = Some(a + (b - a) * t);
        }
        filled += len;
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_under_a_band_are_occluded_and_a_curve_is_not() {
        let w = 20;
        let mut ink = vec![0.0f32; w * 6];
        // A curve pixel on every row, and a grid line: not occlusion.
        for r in 0..6 {
            ink[r * w + 7] = 1.0;
            ink[r * w + 12] = 0.8;
        }
        // Rows 2 and 3: a black band with a few light specks (19 of 20 dark).
        for c in 0..w {
            ink[2 * w + c] = 0.95;
            ink[3 * w + c] = if c == 4 { 0.1 } else { 0.9 };
        }
        // Row 4: a gray band, too light to hide ink.
        for c in 0..w {
            ink[4 * w + c] = 0.3;
        }
        assert_eq!(occluded_rows(&ink, w), vec![false, false, true, true, false, false]);
        assert!(occluded_rows(&[], 0).is_empty());
    }

    #[test]
    fn a_gap_under_a_band_is_interpolated_and_others_are_not() {
        let some = |v: f32| Some(v);
        // rows:          0        1     2     3     4        5     6     7
        let mut cols = vec![some(10.0), None, None, None, some(18.0), None, None, some(3.0)];
        let occ = [false, false, true, true, false, false, false, false];
        // Gap 1..=3 (two occluded rows, one edge row): filled. Gap 5..=6 is over paper: kept.
        assert_eq!(bridge(&mut cols, &occ), 3);
        assert_eq!(cols[..5], [some(10.0), some(12.0), some(14.0), some(16.0), some(18.0)]);
        assert_eq!(cols[5..], [None, None, some(3.0)]);
    }

    #[test]
    fn unbounded_long_or_mostly_clear_gaps_stay_gaps() {
        // A band at the top: nothing above it.
        let mut top = vec![None, None, Some(5.0)];
        assert_eq!(bridge(&mut top, &[true, true, false]), 0);
        assert_eq!(top, vec![None, None, Some(5.0)]);
        // A band at the bottom.
        let mut bottom = vec![Some(5.0), None];
        assert_eq!(bridge(&mut bottom, &[false, true]), 0);
        // Longer than MAX_ROWS.
        let n = MAX_ROWS + 1;
        let mut long: Vec<Option<f32>> = std::iter::once(Some(1.0)).chain(vec![None; n]).chain([Some(2.0)]).collect();
        let occ: Vec<bool> = (0..n + 2).map(|i| i > 0 && i <= n).collect();
        assert_eq!(bridge(&mut long, &occ), 0);
        // One occluded row in a long gap over paper.
        let m = SLACK_ROWS + 2;
        let mut clear: Vec<Option<f32>> = std::iter::once(Some(1.0)).chain(vec![None; m]).chain([Some(2.0)]).collect();
        let mut occ = vec![false; m + 2];
        occ[3] = true;
        assert_eq!(bridge(&mut clear, &occ), 0);
        assert!(clear[1..=m].iter().all(Option::is_none));
    }
}
