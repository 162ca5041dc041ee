//! The scale values printed in a log's header: in each curve's box above the tracks, the value at
//! the track's left edge is printed against that edge and the value at its right edge against the
//! right one, with the curve's name between them (kinney-heinen-1-4: `0  Gamma Ray (GAPI)  150`
//! over track 0, `140  Delta Time (usec/ft)  40` over tracks 1 and 2).
//!
//! A scale is two numbers read on one line of text, one against a track's left edge and one
//! against the same or a later track's right edge, with no other number against an edge between
//! them. A scale on the line below another over the same tracks, starting where that one ends,
//! as wide, and with the same name printed between its numbers (the same ink), is that curve's
//! backup scale (`0 Gamma Ray (GAPI) 150` then `150 Gamma Ray (GAPI) 300`). Numbers are read by
//! the depth-number classifier ([`super::SCALE_VALUES`]); a value with a decimal point is not
//! read, so its scale is left out rather than misread.

use serde::Serialize;

use super::labels::{read_labels_with, Classify, SCALE_VALUES};
use super::tuning::{
    SAME_NAME_MIN_OVERLAP, SAME_NAME_SIZE_TOL, SCALE_EDGE_REACH, SCALE_EDGE_SLACK, SCALE_HEADER_ROWS,
    SCALE_MIN_CONFIDENCE,
};
use super::Reading;
use crate::decode::GrayImage;
use crate::error::Result;

/// One curve's scale read from the header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderScale {
    /// The first and the last track the scale spans (indices of the tracks given).
    pub tracks: [usize; 2],
    /// The values at the left edge of the first track and the right edge of the last.
    pub scale: [f64; 2],
    /// Row of the line of text.
    pub row: f64,
    /// Product of the two readings' confidences, 0-1.
    pub confidence: f32,
    /// Index in the same list of the scale this one continues as a backup (wrap-around) scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_of: Option<usize>,
}

/// Reads the scales printed in the header above row `top` (above the log section's first depth
/// line and the grid's ends over it), for tracks with `edges` (`[left, right]` columns at the
/// header's rows). Each track's columns are read apart, so that a number in one track never
/// joins ink across its edge. Empty when none is read.
pub fn read_scales(
    img: &GrayImage,
    edges: &[[f64; 2]],
    top: f64,
    classifier: &dyn Classify,
) -> Result<Vec<HeaderScale>> {
    let y1 = (top.floor().max(0.0) as u32).min(img.height);
    let y0 = y1.saturating_sub(SCALE_HEADER_ROWS);
    if y1 <= y0 || edges.is_empty() {
        return Ok(Vec::new());
    }
    let w = img.width as usize;
    let band =
        GrayImage { width: img.width, height: y1 - y0, data: img.data[y0 as usize * w..y1 as usize * w].to_vec() };
    let mut readings: Vec<Reading> = Vec::new();
    for e in edges {
        let (x0, x1) = (e[0].round().max(0.0) as u32, (e[1].round().max(0.0) as u32).min(band.width));
        if x1 > x0 + 1 {
            readings.extend(
                read_labels_with(&band, x0, x1, classifier, SCALE_VALUES)?
                    .into_iter()
                    .filter(|r| r.value.is_finite() && r.confidence >= SCALE_MIN_CONFIDENCE),
            );
        }
    }
    let mut scales = pair(&readings, edges);
    for s in &mut scales {
        s.row += f64::from(y0);
    }
    mark_backups(&mut scales, &readings, &band, f64::from(y0));
    Ok(scales)
}

/// How a reading sits against the tracks' edges: the track whose left edge it starts at, and the
/// track whose right edge it ends at.
fn anchors(r: &Reading, edges: &[[f64; 2]]) -> (Option<usize>, Option<usize>) {
    let [x0, _, x1, _] = r.bbox.map(f64::from);
    let reach = SCALE_EDGE_REACH * f64::from(r.bbox[3] - r.bbox[1]);
    let left = edges.iter().position(|e| x0 >= e[0] - SCALE_EDGE_SLACK && x0 <= e[0] + reach);
    let right = edges.iter().position(|e| x1 <= e[1] + SCALE_EDGE_SLACK && x1 >= e[1] - reach);
    (left, right)
}

/// Whether two readings are on one line of text: their centres within half the smaller height.
fn same_line(a: &Reading, b: &Reading) -> bool {
    let h = f64::from((a.bbox[3] - a.bbox[1]).min(b.bbox[3] - b.bbox[1]));
    (a.row - b.row).abs() <= 0.5 * h
}

/// The scales: each number against a left edge with the first number against a right edge to
/// its right on its line, unless a number against another edge lies between them. Each entry
/// keeps the indices of its two readings in `readings` (for [`mark_backups`]).
fn pair(readings: &[Reading], edges: &[[f64; 2]]) -> Vec<HeaderScale> {
    let anchored: Vec<(Option<usize>, Option<usize>)> = readings.iter().map(|r| anchors(r, edges)).collect();
    let mut out = Vec::new();
    for (i, a) in readings.iter().enumerate() {
        let Some(first) = anchored[i].0 else { continue };
        let mut line: Vec<usize> = (0..readings.len())
            .filter(|&j| j != i && same_line(a, &readings[j]) && readings[j].bbox[0] >= a.bbox[2])
            .collect();
        line.sort_by(|&p, &q| readings[p].col.total_cmp(&readings[q].col));
        // the first number to its right against any edge decides
        let Some(&j) = line.iter().find(|&&j| anchored[j] != (None, None)) else { continue };
        let Some(last) = anchored[j].1.filter(|&t| t >= first) else { continue };
        let b = &readings[j];
        if a.value == b.value {
            continue;
        }
        out.push(HeaderScale {
            tracks: [first, last],
            scale: [a.value, b.value],
            row: ((a.row + b.row) / 2.0 * 10.0).round() / 10.0,
            confidence: a.confidence * b.confidence,
            backup_of: None,
        });
    }
    out.sort_by(|p, q| p.tracks.cmp(&q.tracks).then(p.row.total_cmp(&q.row)));
    out
}

/// Marks backup scales: a scale over the same tracks on the next line down that starts where the
/// one above ends, spans as much, and has the same name printed between its numbers.
fn mark_backups(scales: &mut [HeaderScale], readings: &[Reading], band: &GrayImage, y0: f64) {
    for k in 1..scales.len() {
        let (above, this) = (&scales[k - 1], &scales[k]);
        let continues = above.tracks == this.tracks
            && this.scale[0] == above.scale[1]
            && this.scale[1] - this.scale[0] == above.scale[1] - above.scale[0];
        if !continues {
            continue;
        }
        let name = |s: &HeaderScale| {
            let on_line: Vec<&Reading> = readings
                .iter()
                .filter(|r| (r.row + y0 - s.row).abs() <= f64::from(r.bbox[3] - r.bbox[1]) / 2.0)
                .collect();
            let left = on_line.iter().filter(|r| r.value == s.scale[0]).map(|r| r.bbox).min_by_key(|b| b[0])?;
            let right = on_line.iter().filter(|r| r.value == s.scale[1]).map(|r| r.bbox).max_by_key(|b| b[2])?;
            ink_box(band, left[2], right[0], left[1].min(right[1]), left[3].max(right[3]))
        };
        if let (Some(a), Some(b)) = (name(above), name(this)) {
            if same_ink(&a, &b) {
                scales[k].backup_of = Some(k - 1);
            }
        }
    }
}

/// The ink of `band` in columns `x0..x1` and rows `y0..y1`, cut to its bounding box: width,
/// height and the ink pixels row by row.
fn ink_box(band: &GrayImage, x0: u32, x1: u32, y0: u32, y1: u32) -> Option<(u32, u32, Vec<bool>)> {
    let ink = |x: u32, y: u32| band.data[y as usize * band.width as usize + x as usize] < super::tuning::INK_BELOW;
    let (x1, y1) = (x1.min(band.width), y1.min(band.height));
    let (mut bx0, mut by0, mut bx1, mut by1) = (u32::MAX, u32::MAX, 0, 0);
    for y in y0..y1 {
        for x in x0..x1 {
            if ink(x, y) {
                (bx0, by0, bx1, by1) = (bx0.min(x), by0.min(y), bx1.max(x + 1), by1.max(y + 1));
            }
        }
    }
    if bx1 <= bx0 {
        return None;
    }
    let bits = (by0..by1).flat_map(|y| (bx0..bx1).map(move |x| (x, y))).map(|(x, y)| ink(x, y)).collect();
    Some((bx1 - bx0, by1 - by0, bits))
}

/// Whether two inked boxes hold the same print: sizes within [`SAME_NAME_SIZE_TOL`] and, laid on
/// each other by their top-left corners, their ink overlapping by [`SAME_NAME_MIN_OVERLAP`]
/// (intersection over union).
fn same_ink(a: &(u32, u32, Vec<bool>), b: &(u32, u32, Vec<bool>)) -> bool {
    if a.0.abs_diff(b.0) > SAME_NAME_SIZE_TOL || a.1.abs_diff(b.1) > SAME_NAME_SIZE_TOL {
        return false;
    }
    let (w, h) = (a.0.max(b.0), a.1.max(b.1));
    let at = |m: &(u32, u32, Vec<bool>), x: u32, y: u32| x < m.0 && y < m.1 && m.2[(y * m.0 + x) as usize];
    let (mut both, mut either) = (0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            let (p, q) = (at(a, x, y), at(b, x, y));
            both += usize::from(p && q);
            either += usize::from(p || q);
        }
    }
    either > 0 && both as f64 >= SAME_NAME_MIN_OVERLAP * either as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(value: f64, x0: u32, x1: u32, row: u32) -> Reading {
        Reading {
            value,
            text: value.to_string(),
            orientation: None,
            row: f64::from(row),
            col: f64::from(x0 + x1) / 2.0,
            bbox: [x0, row - 11, x1, row + 11],
            confidence: 0.9,
        }
    }

    #[test]
    fn numbers_against_the_edges_pair_into_scales() {
        // Tracks 0 (1-499), 1 (665-1164), 2 (1164-1662); the depth column between 0 and 1.
        let edges = [[1.0, 499.0], [665.0, 1164.0], [1164.0, 1662.0]];
        let readings = vec![
            reading(0.0, 6, 20, 100),
            reading(150.0, 445, 493, 100),
            reading(140.0, 670, 714, 100),
            reading(40.0, 1625, 1655, 100),
            // a number in the depth column belongs to no track
            reading(5.0, 505, 517, 140),
            reading(150.0, 6, 52, 140),
            reading(300.0, 445, 493, 140),
        ];
        let scales = pair(&readings, &edges);
        let got: Vec<([usize; 2], [f64; 2])> = scales.iter().map(|s| (s.tracks, s.scale)).collect();
        assert_eq!(got, vec![([0, 0], [0.0, 150.0]), ([0, 0], [150.0, 300.0]), ([1, 2], [140.0, 40.0])]);
    }

    #[test]
    fn a_number_against_an_edge_between_ends_the_scale() {
        let edges = [[0.0, 500.0], [500.0, 1000.0]];
        // 0 at track 0's left, 50 at track 1's left, 100 at track 1's right: 50..100 is track 1's
        // scale, and 0 has no partner.
        let readings = vec![reading(0.0, 4, 16, 60), reading(50.0, 506, 530, 60), reading(100.0, 950, 995, 60)];
        let got: Vec<([usize; 2], [f64; 2])> = pair(&readings, &edges).iter().map(|s| (s.tracks, s.scale)).collect();
        assert_eq!(got, vec![([1, 1], [50.0, 100.0])]);
    }

    #[test]
    fn same_ink_tells_one_name_from_another() {
        let square = |w: u32, h: u32, fill: fn(u32, u32) -> bool| {
            (w, h, (0..h).flat_map(|y| (0..w).map(move |x| fill(x, y))).collect::<Vec<bool>>())
        };
        let a = square(40, 10, |x, _| x % 4 < 2);
        let b = square(41, 10, |x, _| x % 4 < 2);
        let c = square(40, 10, |x, _| x % 4 >= 2);
        assert!(same_ink(&a, &b));
        assert!(!same_ink(&a, &c));
        assert!(!same_ink(&a, &square(60, 10, |x, _| x % 4 < 2)));
    }
}
