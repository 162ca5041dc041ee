//! Golden end-to-end tests: rendered scans with known truth (`tests/cases/<name>/`),
//! digitised with both checkpoints. Every case must meet the model's error bound,
//! normalised mean absolute error <= 0.01 of the track width (in decades on log
//! tracks) with >= 98% of the truth depths covered, except the cases listed
//! under `hard`: tracks whose wanted curve runs beside or touches another one,
//! which do not meet it yet. Those carry their own bound, set just above what
//! they measure today, so they cannot get worse unnoticed; `models/MODEL_CARD.md`
//! reports them.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use veer::calibrate::Calibration;
use veer::export::Curve;
use veer::limits::Limits;
use veer::model::Model;
use veer::pipeline::digitise_bytes;

const MAX_NMAE: f64 = 0.01;
const MIN_COVERAGE: f64 = 0.98;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model(name: &str) -> &'static Model {
    static FP32: OnceLock<Model> = OnceLock::new();
    static INT8: OnceLock<Model> = OnceLock::new();
    let cell = if name == "fp32" { &FP32 } else { &INT8 };
    cell.get_or_init(|| {
        let p = root().join(format!("../models/veernet-{name}.onnx"));
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    })
}

fn read_truth(p: &Path) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut lines = text.lines();
    assert_eq!(lines.next().map(str::trim), Some("depth,value"), "{}", p.display());
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (d, v) = l.split_once(',').unwrap_or_else(|| panic!("bad truth line {l:?}"));
            (d.trim().parse().unwrap(), v.trim().parse().unwrap())
        })
        .collect()
}

/// Normalised MAE and coverage of `curve` against `truth` (depth, value) pairs.
fn score(curve: &Curve, truth: &[(f64, f64)], cal: &Calibration) -> (f64, f64) {
    let norm = |v: f64| if cal.log { v.log10() } else { v };
    let width = (norm(cal.scale[1]) - norm(cal.scale[0])).abs();
    let start = curve.depth.first().copied().unwrap_or(0.0);
    let (mut sum, mut n) = (0.0, 0usize);
    for &(d, t) in truth {
        let i = ((d - start) / curve.step).round();
        if i < 0.0 {
            continue;
        }
        let i = i as usize;
        if let (Some(&cd), Some(Some(v))) = (curve.depth.get(i), curve.value.get(i)) {
            if (cd - d).abs() < curve.step * 1e-3 {
                sum += (norm(*v) - norm(t)).abs() / width;
                n += 1;
            }
        }
    }
    (if n > 0 { sum / n as f64 } else { f64::INFINITY }, n as f64 / truth.len().max(1) as f64)
}

fn run(dir: &str, calibration: &str, truth: &str, model_name: &str, max_nmae: f64, min_coverage: f64) {
    let dir = root().join("tests/cases").join(dir);
    let scan = ["scan.png", "scan.tif", "scan.jpg"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no scan in {}", dir.display()));
    let cal = Calibration::from_json(&std::fs::read_to_string(dir.join(calibration)).unwrap()).unwrap();
    let truth = read_truth(&dir.join(truth));
    let bytes = std::fs::read(&scan).unwrap();
    let out = digitise_bytes(&bytes, &cal, model(model_name), &Limits::default(), &mut |_| {})
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let (nmae, coverage) = score(&out.curve, &truth, &cal);
    println!("{} {calibration} [{model_name}]: NMAE {nmae:.5}, coverage {:.2}%", dir.display(), coverage * 100.0);
    assert!(
        nmae <= max_nmae && coverage >= min_coverage,
        "{} {calibration} [{model_name}]: NMAE {nmae:.5} (max {max_nmae}), coverage {:.2}% (min {:.0}%)",
        dir.display(),
        coverage * 100.0,
        min_coverage * 100.0
    );
}

/// `name => dir [, calibration, truth] [[hard max_nmae, min_coverage]];`
macro_rules! golden {
    ($($name:ident => $dir:literal $(, $cal:literal, $truth:literal)? $([hard $n:literal, $c:literal])?;)*) => {
        const CASES: &[&str] = &[$($dir),*];
        mod fp32 { $(#[test] fn $name() { golden!(@run $dir, "fp32", ($($cal, $truth)?), ($($n, $c)?)); })* }
        mod int8 { $(#[test] fn $name() { golden!(@run $dir, "int8", ($($cal, $truth)?), ($($n, $c)?)); })* }
    };
    (@run $dir:literal, $m:literal, (), ($($b:tt)*)) => { golden!(@go $dir, "case.json", "truth.csv", $m, ($($b)*)) };
    (@run $dir:literal, $m:literal, ($cal:literal, $truth:literal), ($($b:tt)*)) => { golden!(@go $dir, $cal, $truth, $m, ($($b)*)) };
    (@go $dir:literal, $cal:literal, $truth:literal, $m:literal, ()) => { super::run($dir, $cal, $truth, $m, super::MAX_NMAE, super::MIN_COVERAGE) };
    (@go $dir:literal, $cal:literal, $truth:literal, $m:literal, ($n:literal, $c:literal)) => { super::run($dir, $cal, $truth, $m, $n, $c) };
}

golden! {
    gr_linear_png => "gr-linear-png";
    res_log_g4 => "res-log-g4";
    dashed_png => "dashed-png";
    noisy_1bit_png => "noisy-1bit-png";
    jpeg_gr => "jpeg-gr";
    nphi_reversed => "nphi-reversed";
    full_g4_rhob => "full-g4", "track2-rhob.json", "track2-rhob.truth.csv";
    // Two curves that touch and bounce apart, drawn with different pens (seeded on
    // RHOB): within the bound since the tracer compares the ink's darkness.
    crossing_seed => "crossing-seed";
    // Hard: 1-bit print at 1:600, jagged curves beside a dashed or dotted one that the
    // model partly misses. Measured with the 3000-step checkpoints (fp32 / int8 with the
    // narrow Convs in fp32), sweep rows placed from their neighbours' run edges and
    // ink components as long as their row or column span: GR 0.0107 / 0.0107 and SP
    // 0.0186 / 0.0187 (GR sweeps across the dashed SP at every swing), NPHI 0.0169 /
    // 0.0171 (dashed beside solid RHOB); ILD and ILM within
    // 0.003 / 0.009 but coverage 97.85% / 97.89% (ILD sits on a decade line of the log
    // grid for the first 176 map rows, where the model sees grid).
    full_g4_gr => "full-g4", "track1-gr.json", "track1-gr.truth.csv" [hard 0.012, 0.98];
    full_g4_sp => "full-g4", "track1-sp.json", "track1-sp.truth.csv" [hard 0.020, 0.98];
    full_g4_nphi => "full-g4", "track2-nphi.json", "track2-nphi.truth.csv" [hard 0.018, 0.98];
    full_g4_ild => "full-g4", "track3-ild.json", "track3-ild.truth.csv" [hard 0.01, 0.97];
    full_g4_ilm => "full-g4", "track3-ilm.json", "track3-ilm.truth.csv" [hard 0.01, 0.97];
}

#[test]
fn every_case_folder_has_a_test() {
    for entry in std::fs::read_dir(root().join("tests/cases")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if entry.path().is_dir() && entry.path().join("case.json").is_file() {
            assert!(CASES.contains(&name.as_str()), "tests/cases/{name} has no golden test");
        }
    }
}
