//! A report that must read the same on every target the core runs on (native, the
//! browser's wasm32, WASI): the preprocessed track tensor's FNV-1a hash over its f32
//! bits, and the model's mean probability on the first tile. The browser tests compare
//! the page's report with the native one (`crate/examples/wasm_check.rs`).

use crate::decode::GrayImage;
use crate::error::Result;
use crate::model::Model;
use crate::preprocess::{prepare_track, tile_input, tiles};
use crate::MODEL_WIDTH;

/// FNV-1a (64-bit) over the little-endian bits of `values`.
pub fn fnv1a(values: &[f32]) -> u64 {
    values
        .iter()
        .flat_map(|v| v.to_bits().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Two lines: `track W x H tensor fnv HASH` and `model PRECISION tile R x C: mean p M`
/// (four decimals: kernels may differ in the last bits between targets; the tensor may not).
pub fn report(image: &GrayImage, x0: f64, x1: f64, model: &Model) -> Result<String> {
    let track = prepare_track(image, x0, x1, MODEL_WIDTH)?;
    let mut out = format!("track {} x {} tensor fnv {:016x}\n", track.width, track.height, fnv1a(&track.data));
    let tile = tiles(track.height)[0];
    let probs = model.run_tile(&tile_input(&track, tile), tile.padded_rows, track.width)?;
    let mean = probs.iter().map(|&p| f64::from(p)).sum::<f64>() / probs.len().max(1) as f64;
    out.push_str(&format!(
        "model {} tile {} x {}: mean p {mean:.4}\n",
        model.precision(),
        tile.padded_rows,
        track.width
    ));
    Ok(out)
}
