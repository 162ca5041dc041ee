//! Tile inference timings for `scripts/bench`: tract on real tiles cut from a scan's
//! preprocessed track, so that onnxruntime can be given the very same tensor.
//!
//! ```text
//! cargo run --release --example bench_infer -- MODEL SCAN X0:X1 ROW0 ROWS REPS [THREADS] [--dump DIR]
//! ```
//!
//! Decodes SCAN, prepares the track X0:X1 (256 columns), cuts track rows ROW0..ROW0+ROWS,
//! loads MODEL, optimises the plan for that tile shape, runs one warm-up and then REPS
//! timed runs. THREADS = 2 runs two tiles at once on two threads, one model each (tract's
//! own kernels are single-threaded without its `multithread-mm` feature; the core has no
//! threads), and reports wall time per tile. `--dump DIR` writes the tile (`input.f32`)
//! and tract's output (`output.f32`), little-endian f32, and `shape.json` (`{"rows":..,"cols":..}`),
//! for comparison (onnxruntime in `scripts/bench`, onnxruntime-web in `www-tests/bench/ort-web.mjs`).
//!
//! Prints one JSON line: `{"load_ms":..,"plan_ms":..,"ms":[..per tile..],"precision":".."}`.

use std::process::ExitCode;
use std::time::Instant;

use veer::decode::decode;
use veer::limits::Limits;
use veer::model::Model;
use veer::preprocess::prepare_track;
use veer::MODEL_WIDTH;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn write_f32(path: &std::path::Path, v: &[f32]) -> Result<(), String> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(args: &[String]) -> Result<String, String> {
    let usage = "usage: bench_infer MODEL SCAN X0:X1 ROW0 ROWS REPS [THREADS] [--dump DIR]";
    let (dump, args): (Option<&String>, Vec<&String>) = match args.iter().position(|a| a == "--dump") {
        Some(i) => (args.get(i + 1), args.iter().take(i).collect()),
        None => (None, args.iter().collect()),
    };
    let [model_path, scan, track, row0, rows, reps, rest @ ..] = args.as_slice() else {
        return Err(usage.into());
    };
    let num = |s: &str| s.parse::<usize>().map_err(|e| format!("{s}: {e}; {usage}"));
    let (row0, rows, reps) = (num(row0)?, num(rows)?, num(reps)?);
    let threads = match rest.first() {
        Some(t) => num(t)?,
        None => 1,
    };
    let (x0, x1) = track.split_once(':').ok_or(usage)?;
    let (x0, x1) = (x0.parse::<f64>().map_err(|e| e.to_string())?, x1.parse::<f64>().map_err(|e| e.to_string())?);

    let bytes = std::fs::read(scan).map_err(|e| format!("{scan}: {e}"))?;
    let img = decode(&bytes, &Limits::default()).map_err(|e| e.to_string())?;
    let track = prepare_track(&img, x0, x1, MODEL_WIDTH).map_err(|e| e.to_string())?;
    let w = track.width;
    if row0 + rows > track.height {
        return Err(format!("rows {row0}..{} past the track's {} rows", row0 + rows, track.height));
    }
    let tile = track.data[row0 * w..(row0 + rows) * w].to_vec();

    let model_bytes = std::fs::read(model_path).map_err(|e| format!("{model_path}: {e}"))?;
    let t = Instant::now();
    let models: Vec<Model> = (0..threads.max(1))
        .map(|_| Model::from_bytes(&model_bytes))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let load_ms = ms(t) / models.len() as f64;
    let t = Instant::now();
    for m in &models {
        m.prepare(rows, w).map_err(|e| e.to_string())?;
    }
    let plan_ms = ms(t) / models.len() as f64;
    // Warm-up (first run allocates the plan's scratch space).
    let out = models[0].run_tile(&tile, rows, w).map_err(|e| e.to_string())?;
    if let Some(dir) = dump {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        write_f32(&dir.join("input.f32"), &tile)?;
        write_f32(&dir.join("output.f32"), &out)?;
        std::fs::write(dir.join("shape.json"), format!("{{\"rows\":{rows},\"cols\":{w}}}\n"))
            .map_err(|e| e.to_string())?;
    }
    let mut times = Vec::with_capacity(reps);
    if models.len() == 1 {
        for _ in 0..reps {
            let t = Instant::now();
            std::hint::black_box(models[0].run_tile(&tile, rows, w).map_err(|e| e.to_string())?);
            times.push(ms(t));
        }
    } else {
        // Each rep: every thread runs one tile at once; the wall time is shared by those tiles.
        for _ in 0..reps {
            let t = Instant::now();
            let results: Vec<Result<Vec<f32>, String>> = std::thread::scope(|s| {
                let handles: Vec<_> =
                    models.iter().map(|m| s.spawn(|| m.run_tile(&tile, rows, w).map_err(|e| e.to_string()))).collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into()))).collect()
            });
            for r in results {
                std::hint::black_box(r?);
            }
            times.push(ms(t) / models.len() as f64);
        }
    }
    let list: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    Ok(format!(
        "{{\"load_ms\":{load_ms:.3},\"plan_ms\":{plan_ms:.3},\"ms\":[{}],\"precision\":\"{}\"}}",
        list.join(","),
        models[0].precision()
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_infer: {e}");
            ExitCode::FAILURE
        }
    }
}
