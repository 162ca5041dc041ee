//! Read the depth numbers in a column span of a scan and fit depth against row.
//!
//! ```text
//! cargo run --release --example depth_labels -- SCAN X0 X1 [--model models/digits.onnx] [--json]
//! ```
//! Prints one line per reading (row of the label's centre, text, orientation, confidence), then the
//! fit: tie points `row = depth` and the rejected readings with the reason. `--json` prints the
//! readings and the fit as one JSON object instead.

use std::process::ExitCode;

use veer::decode::decode;
use veer::digits::{fit_depth, read_labels, DigitReader};
use veer::limits::Limits;

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pos = Vec::new();
    let mut model = String::from("models/digits.onnx");
    let mut json = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--model" => model = it.next().ok_or("--model needs a path")?.clone(),
            "--json" => json = true,
            _ => pos.push(a.clone()),
        }
    }
    let [scan, x0, x1] = pos.as_slice() else {
        return Err("usage: depth_labels SCAN X0 X1 [--model models/digits.onnx] [--json]".into());
    };
    let x0: u32 = x0.parse().map_err(|_| format!("X0 is not a column: {x0}"))?;
    let x1: u32 = x1.parse().map_err(|_| format!("X1 is not a column: {x1}"))?;
    let bytes = std::fs::read(scan).map_err(|e| format!("{scan}: {e}"))?;
    let img = decode(&bytes, &Limits::default()).map_err(|e| format!("{scan}: {e}"))?;
    let model_bytes = std::fs::read(&model).map_err(|e| format!("{model}: {e}"))?;
    let reader = DigitReader::from_bytes(&model_bytes).map_err(|e| e.to_string())?;
    let t = std::time::Instant::now();
    let readings = read_labels(&img, x0, x1, &reader).map_err(|e| e.to_string())?;
    let fit = fit_depth(&readings);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if json {
        let v = serde_json::json!({"readings": readings, "fit": fit, "ms": ms});
        println!("{v}");
        return Ok(());
    }
    println!("{} readings in columns {x0}..{x1} ({ms:.0} ms)", readings.len());
    for r in &readings {
        match r.orientation {
            Some(o) => {
                println!("  row {:7.1}  col {:6.1}  {:>6}  {o:?}  conf {:.3}", r.row, r.col, r.text, r.confidence)
            }
            None => println!("  row {:7.1}  col {:6.1}  (found, not read)", r.row, r.col),
        }
    }
    match &fit.missing {
        Some(why) => println!("no depth fit: {why}"),
        None => println!(
            "fit: {:.4} rows per unit, depth {:.2} at row 0, label step {:?}, {} tie points",
            fit.rows_per_unit,
            fit.depth_at_row0,
            fit.step,
            fit.ties.len()
        ),
    }
    for t in &fit.ties {
        let how = if t.read { "read" } else { "placed by its neighbours" };
        println!("  tie row {:7.1} = {:6}  conf {:.3}  {how}", t.row, t.depth, t.confidence);
    }
    for r in &fit.rejected {
        println!("  rejected row {:7.1} {:>6}: {}", r.reading.row, r.reading.text, r.reason);
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depth_labels: {e}");
            ExitCode::FAILURE
        }
    }
}
