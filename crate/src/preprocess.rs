//! Preprocessing: ink = 1.0, crop to the track, resize to the model width, tiles.
//!
//! Everything here is plain scalar arithmetic in a fixed order (f64 accumulation,
//! f32 results, no fused multiply-add), so native and wasm32 builds produce
//! bit-identical tensors. The resampling filter is the antialiased triangle
//! (bilinear) filter, the same as the one the training data were resized with.

use crate::decode::GrayImage;
use crate::error::{Error, Result};

/// Rows per inference tile (a multiple of 16).
pub const TILE_ROWS: usize = 512;
/// Rows shared by neighbouring tiles, blended with linear ramps.
pub const TILE_OVERLAP: usize = 64;

/// A track cropped from the scan and resized to the model width, ink = 1.0.
#[derive(Clone, PartialEq)]
pub struct Track {
    /// Columns after resizing (the model width).
    pub width: usize,
    /// Rows after resizing (aspect ratio kept).
    pub height: usize,
    /// Ink in [0, 1], row-major, `width * height` values.
    pub data: Vec<f32>,
    /// First source column of the crop.
    pub x0: usize,
    /// Source columns in the crop.
    pub crop_width: usize,
    /// Source rows (the scan's height).
    pub src_height: usize,
}

impl std::fmt::Debug for Track {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Track({} x {} from columns {}..{} of a {}-row scan)",
            self.width,
            self.height,
            self.x0,
            self.x0 + self.crop_width,
            self.src_height
        )
    }
}

impl Track {
    /// Source column (pixel centre convention) of a track column.
    pub fn source_x(&self, col: f64) -> f64 {
        self.x0 as f64 + (col + 0.5) * self.crop_width as f64 / self.width as f64 - 0.5
    }
    /// Source row of a track row.
    pub fn source_y(&self, row: f64) -> f64 {
        (row + 0.5) * self.src_height as f64 / self.height as f64 - 0.5
    }
    /// Track column of a source column.
    pub fn track_col(&self, x: f64) -> f64 {
        (x - self.x0 as f64 + 0.5) * self.width as f64 / self.crop_width as f64 - 0.5
    }
    /// Track row of a source row.
    pub fn track_row(&self, y: f64) -> f64 {
        (y + 0.5) * self.height as f64 / self.src_height as f64 - 0.5
    }
}

/// Source columns `[first, last]` (inclusive) of the track whose edges are at `x0` and `x1`.
pub fn track_columns(x0: f64, x1: f64, image_width: u32) -> Result<(usize, usize)> {
    if !(x0.is_finite() && x1.is_finite()) || x1 <= x0 {
        return Err(Error::bad_parameter(format!(
            "track edges {x0}:{x1} are not a left:right pair of pixel columns; give the left edge first, e.g. --track 120:480"
        )));
    }
    let (a, b) = (x0.round(), x1.round());
    if a < 0.0 || b > f64::from(image_width) - 1.0 {
        return Err(Error::bad_parameter(format!(
            "track {x0}:{x1} lies outside the image (columns 0 to {}); pick the track's edges inside the scan",
            image_width.saturating_sub(1)
        )));
    }
    if b - a < 7.0 {
        return Err(Error::bad_parameter(format!(
            "track {x0}:{x1} is narrower than 8 px; pick the track's left and right edge lines"
        )));
    }
    Ok((a as usize, b as usize))
}

/// Crop the track from the scan, turn luminance into ink and resize it to `out_width` columns.
pub fn prepare_track(img: &GrayImage, x0: f64, x1: f64, out_width: usize) -> Result<Track> {
    if out_width == 0 {
        return Err(Error::bad_parameter(
            "the track cannot be resized to 0 columns; resize it to the model width (veer::MODEL_WIDTH)",
        ));
    }
    let (first, last) = track_columns(x0, x1, img.width)?;
    let crop_width = last - first + 1;
    let src_height = img.height as usize;
    let height = ((src_height as f64) * out_width as f64 / crop_width as f64).round().max(1.0) as usize;

    // Horizontal pass: source rows straight from the u8 image.
    let lut: [f64; 256] = std::array::from_fn(|v| f64::from((255 - v as u32) as f32 / 255.0));
    let hk = Kernel::new(crop_width, out_width);
    let mut tmp = vec![0f32; out_width * src_height];
    for y in 0..src_height {
        let src = &img.row(y)[first..=last];
        let dst = &mut tmp[y * out_width..(y + 1) * out_width];
        for (x, out) in dst.iter_mut().enumerate() {
            let (start, weights) = hk.taps(x);
            let mut acc = 0f64;
            for (k, &w) in weights.iter().enumerate() {
                acc += w * lut[src[start + k] as usize];
            }
            *out = acc as f32;
        }
    }
    // Vertical pass.
    let data = if height == src_height {
        tmp
    } else {
        let vk = Kernel::new(src_height, height);
        let mut data = vec![0f32; out_width * height];
        let mut acc = vec![0f64; out_width];
        for y in 0..height {
            acc.iter_mut().for_each(|a| *a = 0.0);
            let (start, weights) = vk.taps(y);
            for (k, &w) in weights.iter().enumerate() {
                let row = &tmp[(start + k) * out_width..(start + k + 1) * out_width];
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a += w * f64::from(v);
                }
            }
            for (o, a) in data[y * out_width..(y + 1) * out_width].iter_mut().zip(&acc) {
                *o = *a as f32;
            }
        }
        data
    };
    Ok(Track { width: out_width, height, data, x0: first, crop_width, src_height })
}

/// Antialiased triangle-filter resampling weights from `in_size` to `out_size` samples.
struct Kernel {
    starts: Vec<usize>,
    lens: Vec<usize>,
    stride: usize,
    weights: Vec<f64>,
}

impl Kernel {
    fn new(in_size: usize, out_size: usize) -> Kernel {
        let scale = in_size as f64 / out_size as f64;
        let filterscale = scale.max(1.0);
        let support = filterscale; // triangle support 1.0, widened when shrinking
        let stride = (support.ceil() as usize) * 2 + 1;
        let mut starts = Vec::with_capacity(out_size);
        let mut lens = Vec::with_capacity(out_size);
        let mut weights = vec![0f64; out_size * stride];
        for i in 0..out_size {
            let center = (i as f64 + 0.5) * scale;
            let lo = ((center - support + 0.5).floor().max(0.0)) as usize;
            let hi = ((center + support + 0.5).floor() as usize).min(in_size);
            let n = (hi - lo).min(stride);
            let ws = &mut weights[i * stride..i * stride + n];
            let mut total = 0f64;
            for (k, w) in ws.iter_mut().enumerate() {
                let t = ((k + lo) as f64 - center + 0.5) / filterscale;
                *w = (1.0 - t.abs()).max(0.0);
                total += *w;
            }
            if total > 0.0 {
                ws.iter_mut().for_each(|w| *w /= total);
            }
            starts.push(lo);
            lens.push(n);
        }
        Kernel { starts, lens, stride, weights }
    }

    fn taps(&self, i: usize) -> (usize, &[f64]) {
        let s = i * self.stride;
        (self.starts[i], &self.weights[s..s + self.lens[i]])
    }
}

/// One inference tile: track rows `start .. start + rows`, padded to `padded_rows` (a multiple of 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub start: usize,
    pub rows: usize,
    pub padded_rows: usize,
}

/// Tiles covering `height` rows: `TILE_ROWS` tall, overlapping by at least
/// `TILE_OVERLAP`, the last one aligned to the end.
pub fn tiles(height: usize) -> Vec<Tile> {
    if height <= TILE_ROWS {
        return vec![Tile { start: 0, rows: height, padded_rows: height.div_ceil(16).max(1) * 16 }];
    }
    let stride = TILE_ROWS - TILE_OVERLAP;
    let mut out = Vec::new();
    let mut start = 0;
    while start + TILE_ROWS < height {
        out.push(Tile { start, rows: TILE_ROWS, padded_rows: TILE_ROWS });
        start += stride;
    }
    out.push(Tile { start: height - TILE_ROWS, rows: TILE_ROWS, padded_rows: TILE_ROWS });
    out
}

/// The input tensor of a tile, `padded_rows x track.width`, zero (paper) padded.
pub fn tile_input(track: &Track, tile: Tile) -> Vec<f32> {
    let w = track.width;
    let mut out = vec![0f32; tile.padded_rows * w];
    out[..tile.rows * w].copy_from_slice(&track.data[tile.start * w..(tile.start + tile.rows) * w]);
    out
}

/// Blending weight of row `r` of `tile` in a map of `height` rows: a linear
/// ramp over the overlap, 1 at the map's own top and bottom.
pub fn blend_weight(tile: Tile, r: usize, height: usize) -> f32 {
    let ramp = (TILE_OVERLAP + 1) as f32;
    let top = if tile.start == 0 { 1.0 } else { ((r + 1) as f32 / ramp).min(1.0) };
    let bottom = if tile.start + tile.rows >= height { 1.0 } else { ((tile.rows - r) as f32 / ramp).min(1.0) };
    top.min(bottom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> GrayImage {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                data.push(f(x, y));
            }
        }
        GrayImage { width: w, height: h, data }
    }

    #[test]
    fn white_paper_is_zero_ink_and_black_is_one() {
        let img = image(600, 100, |x, _| if x < 300 { 255 } else { 0 });
        let t = prepare_track(&img, 0.0, 599.0, 256).unwrap();
        assert_eq!(t.width, 256);
        assert_eq!(t.height, 43); // 100 * 256 / 600 rounded
        assert_eq!(t.data[10 * 256 + 5], 0.0);
        assert_eq!(t.data[10 * 256 + 250], 1.0);
    }

    #[test]
    fn resize_preserves_mean_ink() {
        let img = image(512, 64, |x, y| if (x + 3 * y) % 7 == 0 { 0 } else { 255 });
        let t = prepare_track(&img, 0.0, 511.0, 256).unwrap();
        let src_mean = img.data.iter().map(|&v| f64::from(255 - v) / 255.0).sum::<f64>() / img.data.len() as f64;
        let dst_mean = t.data.iter().map(|&v| f64::from(v)).sum::<f64>() / t.data.len() as f64;
        assert!((src_mean - dst_mean).abs() < 0.01, "{src_mean} vs {dst_mean}");
    }

    #[test]
    fn a_vertical_line_lands_at_the_mapped_column() {
        // A 1-px black line at source column 250 of a track spanning 100..611.
        let img = image(700, 200, |x, _| if x == 250 { 0 } else { 255 });
        let t = prepare_track(&img, 100.0, 611.0, 256).unwrap();
        let row = &t.data[50 * 256..51 * 256];
        let (best, _) = row.iter().enumerate().fold((0, 0f32), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
        let expected = t.track_col(250.0);
        assert!((best as f64 - expected).abs() <= 0.5, "{best} vs {expected}");
        assert!((t.source_x(t.track_col(250.0)) - 250.0).abs() < 1e-9);
        assert!((t.source_y(t.track_row(123.0)) - 123.0).abs() < 1e-9);
    }

    #[test]
    fn upscaling_a_narrow_track_works() {
        let img = image(200, 50, |x, _| if x == 60 { 0 } else { 255 });
        let t = prepare_track(&img, 10.0, 139.0, 256).unwrap();
        assert_eq!(t.height, 98);
        assert!(t.data.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn bad_track_edges_are_parameter_errors() {
        let img = image(100, 10, |_, _| 255);
        for (a, b) in [(50.0, 40.0), (-5.0, 40.0), (10.0, 100.0), (10.0, 12.0), (f64::NAN, 20.0)] {
            let e = prepare_track(&img, a, b, 256).unwrap_err();
            assert_eq!(e.kind(), "bad_parameter", "{a}:{b} -> {e}");
        }
        // Found by fuzzing (crate/fuzz, target preprocess): a zero output width overflowed the kernel size.
        assert_eq!(prepare_track(&img, 10.0, 90.0, 0).unwrap_err().kind(), "bad_parameter");
    }

    #[test]
    fn tiles_cover_every_row_with_overlap() {
        for h in [1, 15, 16, 300, 512, 513, 960, 1000, 5000, 16_000] {
            let ts = tiles(h);
            let mut covered = vec![0u32; h];
            for t in &ts {
                assert_eq!(t.padded_rows % 16, 0);
                assert!(t.padded_rows >= t.rows);
                for c in &mut covered[t.start..t.start + t.rows] {
                    *c += 1;
                }
            }
            assert!(covered.iter().all(|&c| c >= 1), "height {h}");
            for pair in ts.windows(2) {
                assert!(pair[0].start + pair[0].rows >= pair[1].start + TILE_OVERLAP, "height {h}");
            }
            assert_eq!(ts.last().map(|t| t.start + t.rows), Some(h));
        }
    }

    #[test]
    fn blend_weights_sum_to_positive_everywhere() {
        let h = 2000;
        let mut sum = vec![0f32; h];
        for t in tiles(h) {
            for r in 0..t.rows {
                sum[t.start + r] += blend_weight(t, r, h);
            }
        }
        assert!(sum.iter().all(|&s| s > 0.5));
    }
}
