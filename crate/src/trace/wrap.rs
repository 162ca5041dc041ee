//! Backup (wrap-around) scales. Where a curve runs off its track's right edge, the
//! recorder brings the pen back in at the left edge and draws on the next (backup)
//! scale: a gamma ray on 0-150 that reaches 160 is drawn at 10 on 150-300. In values the
//! curve is continuous; on the print it jumps across the track.
//!
//! Laying the track side by side with itself once per scale makes the jump a step:
//! column `c` of copy `k` is the value at `c` on scale `k`, so the wrapped stretch lies in
//! the next copy, just right of where the curve left the first, and the tracer follows
//! it across the wrap by continuity alone. The seed stays in the first copy. The price is
//! the width: the trace costs as many times more as there are copies.
//!
//! The copies hold the same ink, so a path that once crossed into the next copy could follow
//! the curve there as cheaply as in the first. On kinney-heinen-1-4 (a computer plot that
//! draws its backup gamma ray as a curve of its own) the gamma ray's swings to its track's
//! right edge overshot into the next copy, where the curve's own ink lies a few columns from
//! the edge, and stayed there: 448-689 ft and 1,080-1,140 ft came out on 150-300. So the
//! backup copies are dearer: their map is capped at [`WRAPPED_INK_SHARE`] of the tracer's
//! confident-ink probability, a cost on every row read on a backup scale (ln(1 / 0.75) =
//! 0.29), more than the turn at a swing's tip costs within the tracer's window, and less than
//! the jump across the track that a true wrap spares.

use super::ProbMap;

/// The backup copies' map is capped at this share of the confident-ink probability
/// ([`super::TraceParams::ink`]). Set on kinney-heinen-1-4's gamma ray (GR 0-150 with its header's
/// backup 150-300, `veer calibrate ... --curve 0:GR:GAPI`): depths read over 150, 1,653, most in
/// stretches of 240 and 60 ft, without the cap; 109 with it, in swings' tips of at most 3 ft
/// (0.9: 460, the 60 ft stretch kept); and on `crate/tests/wrap.rs`'s wrapped render: 1,539
/// samples over 150 against the truth's 1,552, NMAE 0.0056, as without it (1,563, 0.0056).
pub const WRAPPED_INK_SHARE: f32 = 0.75;

/// The map and the track's ink (`width * height`, as [`super::trace_with_ink`] takes
/// them) laid side by side `copies` times: `copies * width` columns; the map of every copy
/// after the first capped at [`WRAPPED_INK_SHARE`] of `confident_ink` (the tracer's
/// [`super::TraceParams::ink`]).
pub fn side_by_side(map: &ProbMap, ink: &[f32], copies: usize, confident_ink: f32) -> (ProbMap, Vec<f32>) {
    let (w, h) = (map.width, map.height);
    let copies = copies.max(1);
    let mut data = Vec::with_capacity(map.data.len() * copies);
    let mut wide_ink = Vec::with_capacity(ink.len() * copies);
    let cap = (WRAPPED_INK_SHARE * confident_ink.clamp(0.0, 1.0) * 255.0).floor() as u8;
    for r in 0..h {
        for k in 0..copies {
            if k == 0 {
                data.extend_from_slice(&map.data[r * w..(r + 1) * w]);
            } else {
                data.extend(map.data[r * w..(r + 1) * w].iter().map(|&v| v.min(cap)));
            }
            if ink.len() == w * h {
                wide_ink.extend_from_slice(&ink[r * w..(r + 1) * w]);
            }
        }
    }
    (ProbMap { width: w * copies, height: h, data }, wide_ink)
}

/// A column of the side-by-side map as `(copy, column in the track)`.
pub fn unwrap_column(col: f32, width: usize) -> (usize, f32) {
    let w = width.max(1) as f32;
    let k = (col / w).floor().max(0.0);
    (k as usize, col - k * w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_sit_side_by_side_row_by_row() {
        let map = ProbMap { width: 2, height: 2, data: vec![1, 2, 3, 4] };
        let (wide, ink) = side_by_side(&map, &[0.1, 0.2, 0.3, 0.4], 2, 1.0);
        assert_eq!((wide.width, wide.height), (4, 2));
        assert_eq!(wide.data, vec![1, 2, 1, 2, 3, 4, 3, 4]);
        // The backup copy is capped under the confident ink: 0.75 * 0.5 * 255 = 95.
        let map = ProbMap { width: 2, height: 1, data: vec![100, 250] };
        assert_eq!(side_by_side(&map, &[], 3, 0.5).0.data, vec![100, 250, 95, 95, 95, 95]);
        assert_eq!(ink, vec![0.1, 0.2, 0.1, 0.2, 0.3, 0.4, 0.3, 0.4]);
        assert_eq!(unwrap_column(3.5, 2), (1, 1.5));
        assert_eq!(unwrap_column(0.25, 2), (0, 0.25));
    }
}
