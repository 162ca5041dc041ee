//! veer's own forward pass (`own-nn`) against tract (issue 28 spike; BENCHMARKS.md, "Own
//! forward pass against tract (issue 28)").
//!
//! ```text
//! cargo run --release --example nn_check --features own-nn -- tile MODEL SCAN X0:X1 ROW0 ROWS REPS [--qdq run]
//! cargo run --release --example nn_check --features own-nn -- golden fp32|int8
//! ```
//!
//! `tile` cuts rows ROW0..ROW0+ROWS of the track X0:X1 of SCAN (prepared by the core, 256
//! columns), runs one warm-up of each, then REPS rounds that alternate tract and the own pass
//! (the order flipped every round), and prints one JSON line: the medians, their ratio, and
//! how far the two probability maps are apart (max and mean |own - tract|, pixels on
//! different sides of 0.5). Built without the `tract` feature (e.g. for the size of
//! a wasm without it) it times the own pass alone. `--qdq run` runs the int8 file's
//! activation pairs instead of folding them (tract folds them).
//!
//! `golden` digitises every golden case (`crate/tests/cases`, as `tests/golden.rs`) twice with
//! the same tract model: once with tract's tiles, once with the tiles run by the own pass and
//! handed to the pipeline as maps (`Model::run_tiles_elsewhere`, the page's tile workers'
//! path), and prints per case the probability map's difference and the depths where the
//! traced curves differ.

use std::process::ExitCode;
use std::time::Instant;

use veer::nn::{ActivationQdq, Net};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn read(p: &str) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{p}: {e}"))
}

/// (max |a - b|, mean |a - b|, pixels on different sides of 0.5)
#[cfg_attr(not(feature = "tract"), allow(dead_code))]
fn diff(a: &[f32], b: &[f32]) -> (f32, f64, usize) {
    let max = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    let mean = a.iter().zip(b).map(|(x, y)| f64::from((x - y).abs())).sum::<f64>() / a.len().max(1) as f64;
    (max, mean, a.iter().zip(b).filter(|(x, y)| (**x > 0.5) != (**y > 0.5)).count())
}

fn tile(args: &[String]) -> Result<String, String> {
    let usage = "usage: nn_check tile MODEL SCAN X0:X1 ROW0 ROWS REPS [--qdq run]";
    let qdq = if args.iter().any(|a| a == "run") { ActivationQdq::Run } else { ActivationQdq::Fold };
    let [model_path, scan, track, row0, rows, reps, ..] = args else { return Err(usage.into()) };
    let num = |s: &str| s.parse::<usize>().map_err(|e| format!("{s}: {e}; {usage}"));
    let (row0, rows, reps) = (num(row0)?, num(rows)?, num(reps)?);
    let (x0, x1) = track.split_once(':').ok_or(usage)?;
    let (x0, x1) = (x0.parse::<f64>().map_err(|e| e.to_string())?, x1.parse::<f64>().map_err(|e| e.to_string())?);
    let image = veer::decode::decode(&read(scan)?, &veer::limits::Limits::default()).map_err(|e| e.to_string())?;
    let track = veer::preprocess::prepare_track(&image, x0, x1, veer::MODEL_WIDTH).map_err(|e| e.to_string())?;
    let w = track.width;
    if row0 + rows > track.height {
        return Err(format!("rows {row0}..{} past the track's {} rows", row0 + rows, track.height));
    }
    let input = track.data[row0 * w..(row0 + rows) * w].to_vec();
    let bytes = read(model_path)?;
    let t = Instant::now();
    let net = Net::from_onnx_with(&bytes, qdq).map_err(|e| e.to_string())?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let own = |input: &[f32]| net.run_tile(input, rows, w).map_err(|e| e.to_string());
    let ours = own(&input)?;
    let mut own_ms = Vec::new();
    #[cfg(feature = "tract")]
    {
        let model = veer::model::Model::from_bytes_on(&bytes, veer::model::Engine::Tract).map_err(|e| e.to_string())?;
        let theirs = model.run_tile(&input, rows, w).map_err(|e| e.to_string())?;
        let mut tract_ms = Vec::new();
        for round in 0..reps {
            for which in [round % 2, 1 - round % 2] {
                let t = Instant::now();
                if which == 0 {
                    std::hint::black_box(own(&input)?);
                    own_ms.push(t.elapsed().as_secs_f64() * 1e3);
                } else {
                    std::hint::black_box(model.run_tile(&input, rows, w).map_err(|e| e.to_string())?);
                    tract_ms.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
        }
        let (max, mean, crossing) = diff(&ours, &theirs);
        let (o, t) = (median(&mut own_ms), median(&mut tract_ms));
        Ok(format!(
            "{{\"precision\":\"{}\",\"qdq\":\"{qdq:?}\",\"rows\":{rows},\"cols\":{w},\"reps\":{reps},\"own_ms\":{o:.2},\"tract_ms\":{t:.2},\"tract_over_own\":{:.3},\"own_load_ms\":{load_ms:.1},\"max_abs_diff\":{max:.3e},\"mean_abs_diff\":{mean:.3e},\"crossing_0.5\":{crossing}}}",
            net.precision(),
            t / o
        ))
    }
    #[cfg(not(feature = "tract"))]
    {
        for _ in 0..reps {
            let t = Instant::now();
            std::hint::black_box(own(&input)?);
            own_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let mean = ours.iter().map(|&p| f64::from(p)).sum::<f64>() / ours.len().max(1) as f64;
        Ok(format!(
            "{{\"precision\":\"{}\",\"rows\":{rows},\"cols\":{w},\"reps\":{reps},\"own_ms\":{:.2},\"own_load_ms\":{load_ms:.1},\"mean_probability\":{mean:.6}}}",
            net.precision(),
            median(&mut own_ms)
        ))
    }
}

#[cfg(feature = "tract")]
fn golden(args: &[String]) -> Result<String, String> {
    use veer::calibrate::Calibration;
    use veer::model::{tile_input, tile_plan, Model, TileBlend};
    let name = args.first().map(String::as_str).unwrap_or("int8");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = read(&root.join(format!("../models/veernet-{name}.onnx")).to_string_lossy())?;
    let model = Model::from_bytes_on(&bytes, veer::model::Engine::Tract).map_err(|e| e.to_string())?;
    let net = Net::from_onnx(&bytes).map_err(|e| e.to_string())?;
    let cases = root.join("tests/cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&cases).map_err(|e| e.to_string())?.flatten().map(|d| d.path()).collect();
    dirs.sort();
    let mut lines = Vec::new();
    let (mut total, mut same) = (0usize, 0usize);
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let Some(scan) = ["scan.png", "scan.tif", "scan.jpg"].iter().map(|n| dir.join(n)).find(|p| p.is_file()) else {
            continue;
        };
        let mut cals: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|d| d.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".truth.json"))
            .collect();
        cals.sort();
        let scan_bytes = std::fs::read(&scan).map_err(|e| e.to_string())?;
        let image = veer::decode::decode(&scan_bytes, &veer::limits::Limits::default()).map_err(|e| e.to_string())?;
        for cal_path in cals {
            let text = std::fs::read_to_string(&cal_path).map_err(|e| e.to_string())?;
            let Ok(cal) = Calibration::from_json(&text) else { continue };
            model.run_tiles_here();
            let here = veer::pipeline::digitise(&image, &cal, &model, &mut |_| {}).map_err(|e| e.to_string())?;
            // The same run with the own pass's maps.
            model.run_tiles_elsewhere();
            let _ = veer::pipeline::digitise(&image, &cal, &model, &mut |_| {});
            let (mut max, mut crossing, mut pixels, mut map_bytes) = (0f32, 0usize, 0usize, 0usize);
            for track in model.take_wanted() {
                let mut blend = TileBlend::new(&track);
                let mut tract_blend = TileBlend::new(&track);
                for (i, &t) in tile_plan(&track).iter().enumerate() {
                    let input = tile_input(&track, t);
                    let ours = net.run_tile(&input, t.padded_rows, track.width).map_err(|e| e.to_string())?;
                    let theirs = model.run_tile(&input, t.padded_rows, track.width).map_err(|e| e.to_string())?;
                    let (m, _, c) = diff(&ours, &theirs);
                    (max, crossing, pixels) = (max.max(m), crossing + c, pixels + ours.len());
                    blend.add(i, ours).map_err(|e| e.to_string())?;
                    tract_blend.add(i, theirs).map_err(|e| e.to_string())?;
                }
                let map = blend.finish().map_err(|e| e.to_string())?;
                let tract_map = tract_blend.finish().map_err(|e| e.to_string())?;
                map_bytes += map.data.iter().zip(&tract_map.data).filter(|(a, b)| a != b).count();
                model.give_map(track, map).map_err(|e| e.to_string())?;
            }
            let ours = veer::pipeline::digitise(&image, &cal, &model, &mut |_| {}).map_err(|e| e.to_string())?;
            model.run_tiles_here();
            let (a, b) = (&here.curve, &ours.curve);
            let differing =
                a.value.iter().zip(&b.value).filter(|(x, y)| x != y).count() + a.value.len().abs_diff(b.value.len());
            // The largest difference where both have a value, as a share of the scale's width.
            let norm = |v: f64| if cal.log { v.log10() } else { v };
            let width = (norm(cal.scale[1]) - norm(cal.scale[0])).abs();
            let worst = a
                .value
                .iter()
                .zip(&b.value)
                .filter_map(|(x, y)| Some((norm((*x)?) - norm((*y)?)).abs() / width))
                .fold(0f64, f64::max);
            total += 1;
            same += usize::from(differing == 0 && a.depth == b.depth);
            lines.push(format!(
                "{}/{}: tiles max |own - tract| {max:.2e}, {crossing} of {pixels} tile pixels across 0.5, {map_bytes} map pixels (u8) differ; curve depths differing {differing} of {}, by at most {worst:.1e} of the scale",
                dir.file_name().map(|s| s.to_string_lossy()).unwrap_or_default(),
                cal_path.file_name().map(|s| s.to_string_lossy()).unwrap_or_default(),
                a.value.len()
            ));
        }
    }
    lines.push(format!("{name}: {same} of {total} curves identical"));
    Ok(lines.join("\n"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("tile") => tile(&args[1..]),
        #[cfg(feature = "tract")]
        Some("golden") => golden(&args[1..]),
        _ => Err("usage: nn_check tile MODEL SCAN X0:X1 ROW0 ROWS REPS [--qdq run] | nn_check golden fp32|int8".into()),
    };
    match result {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nn_check: {e}");
            ExitCode::FAILURE
        }
    }
}
