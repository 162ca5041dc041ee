//! A tiny check that the core runs the same in wasm32 as natively: preprocessing
//! must be bit-identical, the model must load and run.
//!
//! ```text
//! cargo run --release --example wasm_check -- MODEL SCAN X0 X1
//! cargo build --release --example wasm_check --target wasm32-wasip1 --no-default-features --features tract
//! node scripts/wasi-run.mjs target/wasm32-wasip1/release/examples/wasm_check.wasm MODEL SCAN X0 X1
//! ```
//! It prints `veer::selfcheck::report`: the preprocessed tensor's FNV-1a hash over its
//! f32 bits, the model's precision and the mean of the first tile's probabilities. The
//! browser tests compare it with the page's (`Digitiser.selfCheck`, int8); `scripts/wasm-check`
//! with WASI under Node (both checkpoints).

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, model, scan, x0, x1] = args.as_slice() else {
        return Err("usage: wasm_check MODEL SCAN X0 X1".into());
    };
    let read = |p: &str| std::fs::read(p).map_err(|e| format!("{p}: {e}"));
    let num = |s: &str| s.parse::<f64>().map_err(|e| format!("{s}: {e}"));
    let image = veer::decode::decode(&read(scan)?, &veer::limits::Limits::default()).map_err(|e| e.to_string())?;
    let model = veer::model::Model::from_bytes(&read(model)?).map_err(|e| e.to_string())?;
    print!("{}", veer::selfcheck::report(&image, num(x0)?, num(x1)?, &model).map_err(|e| e.to_string())?);
    Ok(())
}
