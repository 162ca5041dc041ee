//! A tiny check that the core runs the same in wasm32 as natively: preprocessing
//! must be bit-identical, the model must load and run.
//!
//! ```text
//! cargo run --release --example wasm_check -- MODEL SCAN X0 X1
//! cargo build --release --example wasm_check --target wasm32-wasip1 --no-default-features
//! node scripts/wasi-run.mjs target/wasm32-wasip1/release/examples/wasm_check.wasm MODEL SCAN X0 X1
//! ```
//! It prints the preprocessed tensor's FNV-1a hash over its f32 bits, the model's
//! precision and the mean of the first tile's probabilities.

fn fnv(values: &[f32]) -> u64 {
    values.iter().flat_map(|v| v.to_bits().to_le_bytes()).fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, model, scan, x0, x1] = args.as_slice() else {
        return Err("usage: wasm_check MODEL SCAN X0 X1".into());
    };
    let read = |p: &str| std::fs::read(p).map_err(|e| format!("{p}: {e}"));
    let num = |s: &str| s.parse::<f64>().map_err(|e| format!("{s}: {e}"));
    let image = veer::decode::decode(&read(scan)?, &veer::limits::Limits::default()).map_err(|e| e.to_string())?;
    let track = veer::preprocess::prepare_track(&image, num(x0)?, num(x1)?, veer::MODEL_WIDTH)
        .map_err(|e| e.to_string())?;
    println!("track {} x {} tensor fnv {:016x}", track.width, track.height, fnv(&track.data));
    let model = veer::model::Model::from_bytes(&read(model)?).map_err(|e| e.to_string())?;
    let tile = veer::preprocess::tiles(track.height)[0];
    let input = veer::preprocess::tile_input(&track, tile);
    let probs = model.run_tile(&input, tile.padded_rows, track.width).map_err(|e| e.to_string())?;
    let mean = probs.iter().map(|&p| f64::from(p)).sum::<f64>() / probs.len() as f64;
    // Four decimals: kernels may differ in the last bits between targets; the tensor may not.
    println!("model {} tile {} x {}: mean p {mean:.4}", model.precision(), tile.padded_rows, track.width);
    Ok(())
}
