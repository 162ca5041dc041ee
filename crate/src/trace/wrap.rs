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

use super::ProbMap;

/// The map and the track's ink (`width * height`, as [`super::trace_with_ink`] takes
/// them) laid side by side `copies` times: `copies * width` columns.
pub fn side_by_side(map: &ProbMap, ink: &[f32], copies: usize) -> (ProbMap, Vec<f32>) {
    let (w, h) = (map.width, map.height);
    let copies = copies.max(1);
    let mut data = Vec::with_capacity(map.data.len() * copies);
    let mut wide_ink = Vec::with_capacity(ink.len() * copies);
    for r in 0..h {
        for _ in 0..copies {
            data.extend_from_slice(&map.data[r * w..(r + 1) * w]);
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
        let (wide, ink) = side_by_side(&map, &[0.1, 0.2, 0.3, 0.4], 2);
        assert_eq!((wide.width, wide.height), (4, 2));
        assert_eq!(wide.data, vec![1, 2, 1, 2, 3, 4, 3, 4]);
        assert_eq!(ink, vec![0.1, 0.2, 0.1, 0.2, 0.3, 0.4, 0.3, 0.4]);
        assert_eq!(unwrap_column(3.5, 2), (1, 1.5));
        assert_eq!(unwrap_column(0.25, 2), (0, 0.25));
    }
}
