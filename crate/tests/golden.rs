//! Golden end-to-end tests: rendered scans with known truth (`tests/cases/<name>/`),
//! digitised with both checkpoints, must meet the model's error bound:
//! normalised mean absolute error <= 0.01 of the track width (in decades on log
//! tracks) with >= 98% of the truth depths covered.

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

fn run(dir: &str, calibration: &str, truth: &str, model_name: &str) {
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
        nmae <= MAX_NMAE && coverage >= MIN_COVERAGE,
        "{} {calibration} [{model_name}]: NMAE {nmae:.5} (max {MAX_NMAE}), coverage {:.2}% (min {:.0}%)",
        dir.display(),
        coverage * 100.0,
        MIN_COVERAGE * 100.0
    );
}

macro_rules! golden {
    ($($name:ident => $dir:literal $(, $cal:literal, $truth:literal)?;)*) => {
        const CASES: &[&str] = &[$($dir),*];
        mod fp32 { $(#[test] fn $name() { golden!(@run $dir, "fp32" $(, $cal, $truth)?); })* }
        mod int8 { $(#[test] fn $name() { golden!(@run $dir, "int8" $(, $cal, $truth)?); })* }
    };
    (@run $dir:literal, $m:literal) => { super::run($dir, "case.json", "truth.csv", $m) };
    (@run $dir:literal, $m:literal, $cal:literal, $truth:literal) => { super::run($dir, $cal, $truth, $m) };
}

golden! {
    gr_linear_png => "gr-linear-png";
    res_log_g4 => "res-log-g4";
    crossing_seed => "crossing-seed";
    dashed_png => "dashed-png";
    noisy_1bit_png => "noisy-1bit-png";
    jpeg_gr => "jpeg-gr";
    nphi_reversed => "nphi-reversed";
    full_g4_gr => "full-g4", "track1-gr.json", "track1-gr.truth.csv";
    full_g4_sp => "full-g4", "track1-sp.json", "track1-sp.truth.csv";
    full_g4_rhob => "full-g4", "track2-rhob.json", "track2-rhob.truth.csv";
    full_g4_nphi => "full-g4", "track2-nphi.json", "track2-nphi.truth.csv";
    full_g4_ild => "full-g4", "track3-ild.json", "track3-ild.truth.csv";
    full_g4_ilm => "full-g4", "track3-ilm.json", "track3-ilm.truth.csv";
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
