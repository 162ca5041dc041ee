//! Step 3: the frame in which the print's vertical lines are straight and upright.
//!
//! A scan is rotated (a constant slope, from [`super::skew`]) and a paper print also wobbles
//! as it runs through the scanner (stuckey-1 moves 30 px sideways and back within 3,000
//! rows). Once the slope is taken out, each block of [`BLOCK_ROWS`] rows is matched against
//! the block above it within [`MAX_BLOCK_SHIFT`] columns, and then against the sum of all
//! blocks, which gives each block's remaining sideways shift; shifts between block middles
//! are interpolated. A column `u` of the frame is scan column
//! `u + slope * (row - mid) + shift(row)`.

use super::ink::Ink;
use super::skew::{add_shifted, high_pass};
use super::tune::{BAND_ROWS, BLOCK_ROWS, DRIFT_MIN_PEAK, MAX_BLOCK_SHIFT};

/// Scan columns to frame columns and back.
#[derive(Debug, Clone)]
pub(super) struct Frame {
    /// Columns per row of the rotation.
    pub slope: f64,
    /// The row about which the rotation is taken out.
    pub mid: f64,
    /// Sideways shift of each band, in columns.
    pub band_shift: Vec<f64>,
}

impl Frame {
    /// The shift (rotation and wobble) of row `y`: scan column = frame column + shift.
    pub fn shift(&self, y: f64) -> f64 {
        self.slope * (y - self.mid) + self.wobble(y)
    }

    /// The wobble alone at row `y` (interpolated between band middles).
    pub fn wobble(&self, y: f64) -> f64 {
        let n = self.band_shift.len();
        if n == 0 {
            return 0.0;
        }
        let t = (y / BAND_ROWS as f64 - 0.5).clamp(0.0, (n - 1) as f64);
        let i = t.floor() as usize;
        let f = t - i as f64;
        let j = (i + 1).min(n - 1);
        self.band_shift[i] * (1.0 - f) + self.band_shift[j] * f
    }
}

/// One block's column profile in the frame: the share of its rows dark in each frame column.
pub(super) struct Block {
    pub y0: usize,
    pub y1: usize,
    pub values: Vec<f32>,
}

impl Block {
    pub fn mid(&self) -> f64 {
        (self.y0 + self.y1) as f64 / 2.0
    }
}

fn band_fraction(ink: &Ink, b: usize) -> Vec<f32> {
    let (_, n) = ink.band_span(b);
    let w = ink.width;
    ink.band_cols[b * w..(b + 1) * w].iter().map(|&c| f32::from(c) / n as f32).collect()
}

/// The blocks' profiles with each band shifted by `shift(band)`.
fn blocks(ink: &Ink, bands: &[Vec<f32>], shift: impl Fn(usize) -> f64) -> Vec<Block> {
    let per = BLOCK_ROWS / BAND_ROWS;
    (0..ink.bands.div_ceil(per))
        .map(|k| {
            let (b0, b1) = (k * per, ((k + 1) * per).min(ink.bands));
            let mut values = vec![0f32; ink.width];
            for (b, band) in bands.iter().enumerate().take(b1).skip(b0) {
                add_shifted(&mut values, band, shift(b));
            }
            let y0 = b0 * BAND_ROWS;
            let y1 = (b1 * BAND_ROWS).min(ink.height);
            values.iter_mut().for_each(|v| *v /= (b1 - b0) as f32);
            Block { y0, y1, values }
        })
        .collect()
}

/// The shift `d` within `centre ± reach` that best matches `p` (sampled at `u + d`) to `reference`.
fn best_shift(p: &[f32], reference: &[f32], centre: f64, reach: f64) -> f64 {
    let lo = (centre - reach).floor() as i64;
    let hi = (centre + reach).ceil() as i64;
    let mut buf = vec![0f32; p.len()];
    let scores: Vec<(i64, f64)> = (lo..=hi)
        .map(|d| {
            buf.iter_mut().for_each(|v| *v = 0.0);
            add_shifted(&mut buf, p, d as f64);
            (d, buf.iter().zip(reference).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum())
        })
        .collect();
    let Some(bi) = (0..scores.len()).max_by(|&a, &b| scores[a].1.total_cmp(&scores[b].1)) else {
        return centre;
    };
    let mut d = scores[bi].0 as f64;
    if bi > 0 && bi + 1 < scores.len() {
        let (l, c, r) = (scores[bi - 1].1, scores[bi].1, scores[bi + 1].1);
        let denom = l - 2.0 * c + r;
        if denom < 0.0 {
            d += (0.5 * (l - r) / denom).clamp(-0.5, 0.5);
        }
    }
    d
}

/// The frame for a slope, and the blocks' profiles in it.
pub(super) fn frame(ink: &Ink, slope: f64) -> (Frame, Vec<Block>) {
    let mid = ink.height as f64 / 2.0;
    let bands: Vec<Vec<f32>> = (0..ink.bands).map(|b| band_fraction(ink, b)).collect();
    let band_mid = |b: usize| (b * BAND_ROWS) as f64 + BAND_ROWS as f64 / 2.0;
    let rotated = blocks(ink, &bands, |b| slope * (band_mid(b) - mid));
    let n = rotated.len();
    let structured: Vec<bool> =
        rotated.iter().map(|bl| bl.values.iter().copied().fold(0f32, f32::max) >= DRIFT_MIN_PEAK).collect();
    // The matching sees lines, not wide bands (a scan border does not move with the print).
    let lined: Vec<Vec<f32>> = rotated.iter().map(|bl| high_pass(&bl.values)).collect();
    let mut shift = vec![0f64; n];
    // The chain starts at the block with the sharpest profile and runs up and down from it.
    let sharp = |v: &[f32]| v.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
    if let Some(start) =
        (0..n).filter(|&k| structured[k]).max_by(|&a, &b| sharp(&lined[a]).total_cmp(&sharp(&lined[b])))
    {
        for dir in [1isize, -1] {
            let mut reference = start;
            let mut before: Option<usize> = None;
            let mut k = start as isize + dir;
            while k >= 0 && (k as usize) < n {
                let ku = k as usize;
                if structured[ku] {
                    let mut aligned = vec![0f32; ink.width];
                    add_shifted(&mut aligned, &lined[reference], shift[reference]);
                    shift[ku] = best_shift(&lined[ku], &aligned, shift[reference], MAX_BLOCK_SHIFT);
                    before = Some(reference);
                    reference = ku;
                } else {
                    // The first block past the lines (where the log ends within it) goes on
                    // at the pace of the two before it; farther ones keep the last shift.
                    shift[ku] = match before {
                        Some(b) if ku.abs_diff(reference) == 1 && reference.abs_diff(b) == 1 => {
                            2.0 * shift[reference] - shift[b]
                        }
                        _ => shift[reference],
                    };
                }
                k += dir;
            }
        }
        // Then each block against the sum of all of them, within a few columns.
        let mut sum = vec![0f32; ink.width];
        for k in (0..n).filter(|&k| structured[k]) {
            add_shifted(&mut sum, &lined[k], shift[k]);
        }
        for k in (0..n).filter(|&k| structured[k]) {
            shift[k] = best_shift(&lined[k], &sum, shift[k], 3.0);
        }
    }
    // Bands take the shift interpolated between block middles. Then, twice, each block is
    // built again band by band in that frame and matched once more against the sum (a block
    // first built with the slope alone smears a line that turns within it).
    let block_mid: Vec<f64> = rotated.iter().map(Block::mid).collect();
    let band_shifts = |shift: &[f64]| -> Vec<f64> {
        (0..ink.bands)
            .map(|b| {
                let y = band_mid(b);
                match block_mid.iter().position(|&m| m > y) {
                    Some(0) => shift[0],
                    None => shift[n - 1],
                    Some(j) => {
                        let f = (y - block_mid[j - 1]) / (block_mid[j] - block_mid[j - 1]);
                        shift[j - 1] * (1.0 - f) + shift[j] * f
                    }
                }
            })
            .collect()
    };
    let mut frame = Frame { slope, mid, band_shift: band_shifts(&shift) };
    let mut built = blocks(ink, &bands, |b| frame.shift(band_mid(b)));
    for _ in 0..REFINE_PASSES {
        let lined: Vec<Vec<f32>> = built.iter().map(|bl| high_pass(&bl.values)).collect();
        let structured: Vec<bool> =
            built.iter().map(|bl| bl.values.iter().copied().fold(0f32, f32::max) >= DRIFT_MIN_PEAK).collect();
        let mut sum = vec![0f32; ink.width];
        for k in (0..n).filter(|&k| structured[k]) {
            sum.iter_mut().zip(&lined[k]).for_each(|(s, v)| *s += v);
        }
        for k in (0..n).filter(|&k| structured[k]) {
            shift[k] += best_shift(&lined[k], &sum, 0.0, 3.0);
        }
        frame = Frame { slope, mid, band_shift: band_shifts(&shift) };
        built = blocks(ink, &bands, |b| frame.shift(band_mid(b)));
    }
    (frame, built)
}

/// Passes of matching each block again in the frame (see [`frame`]).
const REFINE_PASSES: usize = 2;
