//! Step 1: which pixels are ink, and the darkness profiles every later step reads.
//!
//! One pass over the scan counts the ink of each column within each band of
//! [`BAND_ROWS`] rows (vertical lines show as dark columns) and of each row within each
//! strip of [`STRIP_COLS`] columns (horizontal lines show as dark rows).

use super::tune::{BAND_ROWS, STRIP_COLS};
use crate::decode::GrayImage;

/// The scan's ink counts.
pub(super) struct Ink {
    /// Gray level under which a pixel is ink.
    pub threshold: u8,
    pub width: usize,
    pub height: usize,
    /// `bands * width` counts: ink pixels of column `x` in band `b` (rows `b * BAND_ROWS..`).
    pub band_cols: Vec<u16>,
    pub bands: usize,
    /// `strips * height` counts: ink pixels of row `y` in strip `s` (columns `s * STRIP_COLS..`).
    pub strip_rows: Vec<u16>,
    pub strips: usize,
}

impl Ink {
    /// Rows of band `b`: `(first row, row count)`.
    pub fn band_span(&self, b: usize) -> (usize, usize) {
        let y0 = b * BAND_ROWS;
        (y0, BAND_ROWS.min(self.height - y0))
    }

    /// Columns of strip `s`: `(first column, column count)`.
    pub fn strip_span(&self, s: usize) -> (usize, usize) {
        let x0 = s * STRIP_COLS;
        (x0, STRIP_COLS.min(self.width - x0))
    }
}

/// Otsu's threshold over the gray histogram, kept within 64..=192 so that a nearly blank or
/// nearly black scan still splits at a sensible level; a bilevel scan splits at its midpoint.
pub(super) fn threshold(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    // Every 4th row is plenty for a histogram.
    for y in (0..img.height as usize).step_by(4) {
        for &p in img.row(y) {
            hist[usize::from(p)] += 1;
        }
    }
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 128;
    }
    let sum_all: f64 = hist.iter().enumerate().map(|(i, &n)| i as f64 * n as f64).sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0f64, 0f64, -1f64, 128usize);
    for (t, &n) in hist.iter().enumerate() {
        w0 += n as f64;
        sum0 += t as f64 * n as f64;
        let w1 = total as f64 - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let m0 = sum0 / w0;
        let m1 = (sum_all - sum0) / w1;
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = t;
        }
    }
    // Pixels <= best_t are the dark class; the level "under which" is one above. A bilevel
    // scan (only 0 and 255) gives t = 0: split at the midpoint instead.
    let t = if hist[1..255].iter().all(|&n| n == 0) { 128 } else { best_t + 1 };
    t.clamp(64, 192) as u8
}

/// Counts the ink of every column per band and of every row per strip (one pass).
pub(super) fn measure(img: &GrayImage) -> Ink {
    let (w, h) = (img.width as usize, img.height as usize);
    let threshold = threshold(img);
    let bands = h.div_ceil(BAND_ROWS);
    let strips = w.div_ceil(STRIP_COLS);
    let mut band_cols = vec![0u16; bands * w];
    let mut strip_rows = vec![0u16; strips * h];
    for y in 0..h {
        let row = img.row(y);
        let b = y / BAND_ROWS;
        let counts = &mut band_cols[b * w..(b + 1) * w];
        for (c, &p) in counts.iter_mut().zip(row) {
            *c += u16::from(p < threshold);
        }
        for (s, chunk) in row.chunks(STRIP_COLS).enumerate() {
            let n = chunk.iter().filter(|&&p| p < threshold).count();
            strip_rows[s * h + y] = n as u16;
        }
    }
    Ink { threshold, width: w, height: h, band_cols, bands, strip_rows, strips }
}
