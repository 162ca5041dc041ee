//! Where the log ends.
//!
//! A print often runs on past the end of a log (or starts before it): the grid
//! goes on, but the curve has stopped. Below the end the model can still mark a
//! grid line, a track border or a faint vertical rule in pieces, and with no
//! curve left to follow the path takes them: the log would read one value for
//! hundreds of rows past its end.
//!
//! A curve read from a log moves: over [`BLOCK`]-row blocks its centre column
//! changes from block to block. A line does not. This step finds the **straight
//! tail** at each end of the traced path: the blocks from that end inward whose
//! median column stays within [`BAND`] columns of the tail's centre, up to the
//! first block that leaves the band. The tail is a line past the log's end, and
//! becomes a gap, when
//!
//! * it spans at least [`TraceParams::tail_rows`](super::TraceParams::tail_rows)
//!   rows,
//! * its block medians wander by at most [`MAX_WANDER`] columns (standard
//!   deviation): a log read near one value still moves more than that, and
//! * the path keeps at least [`MIN_REST`] traced rows outside it, so the track
//!   holds a curve that moves.
//!
//! The rows on the line in the block where the path left it go with the tail;
//! rows of the tail more than [`ROW_BAND`] columns off the line stay.
//!
//! Then the **far islands**: a note, a bracket or a stamp written past the end
//! of the log is a few rows of ink that the model may take for a curve. A
//! stretch at either end of the path that is cut off from the rest by at least
//! `tail_rows` rows without a trace, by more than twice the rows it holds, and by
//! more than twice the longest break inside the rest of the path becomes a gap
//! ([`drop_far_islands`]). A faint curve broken up all along keeps its pieces,
//! and so does a curve that runs off the track edge and comes back.
//!
//! The costs: a real curve held within a column or so of one value over its last
//! (or first) `tail_rows` rows, such as a caliper reading bit size to the bottom
//! of the log, loses that stretch; a short stretch logged far below the rest of
//! an unbroken log is lost. Both become gaps, not wrong values. A seeded trace
//! keeps a tail or island that holds its seed row.

/// Rows per block; a block's position is the median column of its traced rows.
const BLOCK: usize = 16;
/// Farthest a tail block's median may lie from the tail's centre (the median of
/// its first [`MIN_TAIL_BLOCKS`] blocks from the end), in columns.
const BAND: f32 = 2.0;
/// Largest standard deviation of a tail's block medians, in columns: a line the
/// model marks wanders by its pen width at most; a log read near one value still
/// moves more than this from block to block.
const MAX_WANDER: f32 = 0.8;
/// Farthest a row of the tail may lie from its centre, in columns, to be taken
/// out with it (a row further off is the curve, or a stray mark, kept as it is).
const ROW_BAND: f32 = 2.0 * BAND;
/// Fewest blocks with traced rows in a tail (a tail of mostly empty blocks is a
/// few specks, not a line).
const MIN_TAIL_BLOCKS: usize = 3;
/// Fewest traced rows the path must keep outside the tail for the tail to be
/// taken out: the track must hold a curve that moves.
const MIN_REST: usize = 64;

/// Sets the straight tails of `cols` (see the module documentation) to `None`;
/// `min_rows` is the shortest tail taken out (0: never), `keep` a row whose tail
/// stays (the seed's).
pub(super) fn drop_straight_tails(cols: &mut [Option<f32>], min_rows: usize, keep: Option<usize>) {
    if min_rows == 0 || cols.is_empty() {
        return;
    }
    // Median column of each block's traced rows.
    let blocks: Vec<Option<f32>> = cols.chunks(BLOCK).map(|b| median(b.iter().flatten().copied().collect())).collect();
    for from_end in [true, false] {
        let Some((start, end, centre)) = tail(&blocks, from_end) else {
            continue;
        };
        let medians: Vec<f32> = blocks[start..=end].iter().flatten().copied().collect();
        let mean = medians.iter().sum::<f32>() / medians.len() as f32;
        let var = medians.iter().map(|m| (m - mean) * (m - mean)).sum::<f32>() / medians.len() as f32;
        if var.sqrt() > MAX_WANDER {
            continue;
        }
        // Rows of the tail: its blocks, from its first traced row to its last.
        let (r0, r1) = (start * BLOCK, ((end + 1) * BLOCK).min(cols.len()));
        let traced = |r: &usize| cols[*r].is_some();
        let (Some(first), Some(last)) = ((r0..r1).find(traced), (r0..r1).rev().find(traced)) else {
            continue;
        };
        if last - first + 1 < min_rows || keep.is_some_and(|k| (r0..r1).contains(&k)) {
            continue;
        }
        let rest = cols.iter().take(r0).chain(cols.iter().skip(r1)).flatten().count();
        if rest < MIN_REST {
            continue;
        }
        // With the rows on the line in the block where the path left it, up to
        // the path's last row off the line.
        let on_line = |c: &Option<f32>| c.is_none_or(|c| (c - centre).abs() <= ROW_BAND);
        let (mut r0, mut r1) = (r0, r1);
        if from_end {
            let stop = r0.saturating_sub(BLOCK);
            while r0 > stop && on_line(&cols[r0 - 1]) {
                r0 -= 1;
            }
        } else {
            let stop = (r1 + BLOCK).min(cols.len());
            while r1 < stop && on_line(&cols[r1]) {
                r1 += 1;
            }
        }
        for c in &mut cols[r0..r1] {
            if on_line(c) {
                *c = None;
            }
        }
    }
}

/// The blocks `(first, last)` of the straight tail at one end of the path and its
/// centre column, when a block with traced rows leaves its band (else the whole
/// path is straight and there is no tail to tell from a curve).
fn tail(blocks: &[Option<f32>], from_end: bool) -> Option<(usize, usize, f32)> {
    let order: Vec<usize> = if from_end { (0..blocks.len()).rev().collect() } else { (0..blocks.len()).collect() };
    let filled: Vec<usize> = order.into_iter().filter(|&i| blocks[i].is_some()).collect();
    let first = *filled.first()?;
    let centre = median(filled.iter().take(MIN_TAIL_BLOCKS).filter_map(|&i| blocks[i]).collect())?;
    let (mut inner, mut n) = (first, 1usize);
    for &i in &filled[1..] {
        if (blocks[i]? - centre).abs() > BAND {
            if n < MIN_TAIL_BLOCKS {
                return None;
            }
            return Some(if from_end { (inner, first, centre) } else { (first, inner, centre) });
        }
        inner = i;
        n += 1;
    }
    None
}

/// The upper median of `v` (`None` when empty).
fn median(mut v: Vec<f32>) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Rows without a trace that still join two stretches into one island.
const ISLAND_JOIN: usize = 40;
/// Columns from a track edge within which a path that breaks off has left the
/// track (a curve off its scale), not ended.
const EDGE_COLS: f32 = 8.0;

/// Sets far islands at the ends of `cols` to `None`: a stretch of the path at its
/// first or last end that is cut off from the rest by at least `min_gap` rows
/// without a trace, by more than twice as many rows as it holds, and by more than
/// twice the longest break inside the rest of the path, unless the path meets a
/// track edge either side of the break (`width` columns). A curve that is followed
/// without long breaks does not resume for a few rows far past its end: such an
/// island is a note, a bracket or a stamp written beside the log (0: never).
/// `keep` is a row whose island stays (the seed's).
pub(super) fn drop_far_islands(cols: &mut [Option<f32>], width: usize, min_gap: usize, keep: Option<usize>) {
    if min_gap == 0 {
        return;
    }
    // Islands: [first, last] rows of stretches joined across short breaks.
    let mut islands: Vec<(usize, usize)> = Vec::new();
    for (r, c) in cols.iter().enumerate() {
        if c.is_none() {
            continue;
        }
        match islands.last_mut() {
            Some(last) if r - last.1 <= ISLAND_JOIN => last.1 = r,
            _ => islands.push((r, r)),
        }
    }
    // A break that starts or ends at a track edge is the curve off the scale.
    let edge = width.saturating_sub(1) as f32 - EDGE_COLS;
    let at_edge = |c: Option<f32>| c.is_some_and(|c| c < EDGE_COLS || c > edge);
    let longest_break = |rest: &[(usize, usize)]| rest.windows(2).map(|p| p[1].0 - p[0].1).max().unwrap_or(0);
    while islands.len() >= 2 {
        let n = islands.len();
        // The last island, then the first: (index, the break's last row before it
        // and first row after it, the rest of the islands).
        let ends = [
            (n - 1, (islands[n - 2].1, islands[n - 1].0), &islands[..n - 1]),
            (0, (islands[0].1, islands[1].0), &islands[1..]),
        ];
        let far = ends.into_iter().find(|&(i, (s0, s1), rest)| {
            let (a, b) = islands[i];
            let (gap, held) = (s1 - s0, cols[a..=b].iter().flatten().count());
            gap > min_gap
                && gap > 2 * held
                && gap > 2 * longest_break(rest)
                && !at_edge(cols[s0])
                && !at_edge(cols[s1])
                && !keep.is_some_and(|k| (a..=b).contains(&k))
        });
        let Some((i, _, _)) = far else { break };
        let (a, b) = islands[i];
        for c in &mut cols[a..=b] {
            *c = None;
        }
        islands.remove(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log that moves for `n` rows (a slow sine with a little noise, as a GR).
    fn moving(n: usize) -> Vec<Option<f32>> {
        (0..n).map(|r| Some(120.0 + 40.0 * (r as f32 / 37.0).sin() + ((r * 7) % 5) as f32 * 0.3)).collect()
    }

    #[test]
    fn a_line_in_pieces_past_the_end_becomes_a_gap() {
        let mut cols = moving(600);
        // Below the end: a grid line the model marked in pieces (half the rows).
        cols.extend((0..400).map(|r| (r % 8 < 4).then_some(127.0 + (r % 3) as f32 * 0.5)));
        let before = cols.clone();
        drop_straight_tails(&mut cols, 160, None);
        assert_eq!(cols[..600], before[..600], "the log keeps its values");
        assert!(cols[600..].iter().all(Option::is_none), "the line past the end is a gap");

        // The same at the top, before the log starts.
        let mut cols: Vec<Option<f32>> = (0..300).map(|r| (r % 5 != 0).then_some(60.0)).collect();
        cols.extend(moving(500));
        drop_straight_tails(&mut cols, 160, None);
        assert!(cols[..300].iter().all(Option::is_none));
        assert!(cols[300..].iter().all(Option::is_some));
    }

    #[test]
    fn curves_that_move_and_short_or_seeded_tails_are_kept() {
        // A log drifting slowly to its end (10 columns over 300 rows) still moves.
        let mut drift = moving(600);
        drift.extend((0..300).map(|r| Some(150.0 + r as f32 / 30.0 + ((r * 7) % 5) as f32 * 0.3)));
        let before = drift.clone();
        drop_straight_tails(&mut drift, 160, None);
        assert_eq!(drift, before);

        let line = |n: usize| (0..n).map(|r| (r % 2 == 0).then_some(90.0)).collect::<Vec<_>>();
        let cases: [(Vec<Option<f32>>, usize, Option<usize>); 4] = [
            // A tail shorter than tail_rows.
            ([moving(600), line(120)].concat(), 160, None),
            // tail_rows 0: never.
            ([moving(600), line(400)].concat(), 0, None),
            // The seed lies on the tail.
            ([moving(600), line(400)].concat(), 160, Some(800)),
            // A path that is straight all along: nothing moves to tell it from.
            (line(1000), 160, None),
        ];
        for (i, (cols, min_rows, keep)) in cases.into_iter().enumerate() {
            let mut out = cols.clone();
            drop_straight_tails(&mut out, min_rows, keep);
            assert_eq!(out, cols, "case {i}");
        }
        // Under MIN_REST traced rows outside the tail: kept.
        let mut few = [moving(40), line(400)].concat();
        let before = few.clone();
        drop_straight_tails(&mut few, 160, None);
        assert_eq!(few, before);
    }

    /// `n` rows without a trace.
    fn paper(n: usize) -> Vec<Option<f32>> {
        vec![None; n]
    }

    #[test]
    fn a_few_rows_far_past_a_continuous_log_are_a_note_and_become_a_gap() {
        let note = || (0..40).map(|r| Some(200.0 + (r % 9) as f32)).collect::<Vec<_>>();
        let mut cols = [moving(600), paper(300), note()].concat();
        drop_far_islands(&mut cols, 256, 160, None);
        assert_eq!(cols[..600], moving(600)[..]);
        assert!(cols[600..].iter().all(Option::is_none));

        let mut cols = [note(), paper(300), moving(600)].concat();
        drop_far_islands(&mut cols, 256, 160, None);
        assert!(cols[..340].iter().all(Option::is_none));
        assert_eq!(cols[340..], moving(600)[..]);
    }

    #[test]
    fn islands_near_the_log_long_ones_and_those_of_a_broken_curve_are_kept() {
        let cases: [(Vec<Option<f32>>, usize, Option<usize>); 6] = [
            // The break is under min_gap.
            ([moving(600), paper(150), moving(40)].concat(), 160, None),
            // The island holds more than half as many rows as the break.
            ([moving(600), paper(300), moving(200)].concat(), 160, None),
            // A faint curve broken up all along: its last piece is no further off.
            (
                [moving(100), paper(200), moving(100), paper(200), moving(100), paper(300), moving(30)].concat(),
                160,
                None,
            ),
            // The seed is on the island.
            ([moving(600), paper(300), moving(40)].concat(), 160, Some(920)),
            // The path leaves the track at its edge: the curve is off its scale.
            ([(0..40).map(|r| Some(230.0 + r as f32 * 0.6)).collect(), paper(300), moving(600)].concat(), 160, None),
            // min_gap 0: never.
            ([moving(600), paper(300), moving(40)].concat(), 0, None),
        ];
        for (i, (cols, min_gap, keep)) in cases.into_iter().enumerate() {
            let mut out = cols.clone();
            drop_far_islands(&mut out, 256, min_gap, keep);
            assert_eq!(out, cols, "case {i}");
        }
    }
}
