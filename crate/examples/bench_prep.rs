//! Whole-process preprocessing for `scripts/bench`: read a scan, decode it to gray, crop the
//! track and resize it to the model width, as `veer digitise` does before inference.
//!
//! ```text
//! cargo run --release --example bench_prep -- SCAN [X0:X1]
//! ```
//!
//! Prints the track's size and its total ink (a checksum, so the work cannot be skipped).
//! Without `X0:X1` the whole width is resized, like `convert SCAN -resize 256x`.

use std::process::ExitCode;

use veer::decode::decode;
use veer::limits::Limits;
use veer::preprocess::prepare_track;
use veer::MODEL_WIDTH;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: bench_prep SCAN [X0:X1]");
        return ExitCode::FAILURE;
    };
    let run = || -> Result<String, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let img = decode(&bytes, &Limits::default()).map_err(|e| e.to_string())?;
        let (x0, x1) = match args.get(1) {
            Some(t) => {
                let (a, b) = t.split_once(':').ok_or("track must be X0:X1")?;
                (a.parse::<f64>().map_err(|e| e.to_string())?, b.parse::<f64>().map_err(|e| e.to_string())?)
            }
            None => (0.0, f64::from(img.width) - 1.0),
        };
        let track = prepare_track(&img, x0, x1, MODEL_WIDTH).map_err(|e| e.to_string())?;
        let ink: f64 = track.data.iter().map(|&v| f64::from(v)).sum();
        Ok(format!("{} x {} track, ink {ink:.3}", track.width, track.height))
    };
    match run() {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_prep: {e}");
            ExitCode::FAILURE
        }
    }
}
