//! The `veer` binary: its contract (shared/DESIGN.md section 4), its one-line
//! errors, its outputs (the LAS read back by lasio), and `veer batch`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn veer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veer"))
        .args(args)
        .env("VEER_MODEL", root().join("../models/veernet-fp32.onnx"))
        .output()
        .expect("run veer")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn case(rel: &str) -> String {
    root().join("tests/cases").join(rel).to_string_lossy().to_string()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("veer-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const GR: &[&str] = &["--track", "17:392", "--scale", "0:150", "--depth", "75=5010,2250=5300", "--step", "0.5"];

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn csv_goes_to_stdout_with_the_contract_header() {
    let scan = case("gr-linear-png/scan.png");
    let mut args = vec!["digitise", scan.as_str()];
    args.extend_from_slice(GR);
    let o = veer(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("depth,value"));
    let rows: Vec<(f64, f64)> = lines
        .map(|l| {
            let (d, v) = l.split_once(',').unwrap();
            (d.parse().unwrap(), v.parse().unwrap())
        })
        .collect();
    assert!(rows.len() > 400, "{} rows", rows.len());
    assert!(rows.windows(2).all(|w| w[1].0 > w[0].0), "depths increase");
    assert!(rows.iter().all(|r| (0.0..=150.0).contains(&r.1)), "values inside the scale");
}

#[test]
fn las_output_is_read_by_lasio_without_warnings() {
    let dir = tmp("las");
    let las = dir.join("gr.las");
    let scan = case("gr-linear-png/scan.png");
    let mut args = vec!["digitise", scan.as_str(), "-o", las.to_str().unwrap(), "--mnemonic", "GR", "--unit", "GAPI", "--depth-unit", "FT"];
    args.extend_from_slice(GR);
    let o = veer(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(las.to_str().unwrap()), "says where the output went: {}", stderr(&o));
    let check = r#"
import sys, warnings, logging
warnings.simplefilter("error")
class Fail(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            raise SystemExit("lasio warned: " + record.getMessage())
logging.getLogger("lasio").addHandler(Fail())
import lasio
las = lasio.read(sys.argv[1])
assert las.version["VERS"].value == 2.0, las.version["VERS"].value
assert las.well["NULL"].value == -999.25
assert las.curves[0].mnemonic == "DEPT" and las.curves[1].mnemonic == "GR", [c.mnemonic for c in las.curves]
assert las.curves[1].unit == "GAPI" and las.well["STRT"].unit == "FT"
d = las.index
strt, stop, step = las.well["STRT"].value, las.well["STOP"].value, las.well["STEP"].value
assert abs(d[0] - strt) < 1e-6 and abs(d[-1] - stop) < 1e-6 and abs(step - 0.5) < 1e-9, (strt, stop, step)
assert abs((stop - strt) / step + 1 - len(d)) < 1e-6
v = las["GR"]
import math
ok = [x for x in v if not math.isnan(x)]
assert len(ok) > 400 and all(0 <= x <= 150 for x in ok)
assert "veer" in las.other.lower()
print(len(d), "depths")
"#;
    let py = Command::new("python3").args(["-c", check, las.to_str().unwrap()]).output().expect("python3");
    assert!(
        py.status.success(),
        "lasio check failed (is lasio installed? scripts/test installs it): {}{}",
        String::from_utf8_lossy(&py.stdout),
        String::from_utf8_lossy(&py.stderr)
    );
}

#[test]
fn json_output_has_curve_and_meta() {
    let dir = tmp("json");
    let out = dir.join("gr.json");
    let scan = case("gr-linear-png/scan.png");
    let mut args = vec!["digitise", scan.as_str(), "-o", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(GR);
    let o = veer(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let curve = v["curve"].as_array().unwrap();
    assert!(curve.len() > 400);
    assert!(curve[0]["depth"].is_number() && curve[0]["value"].is_number());
    assert_eq!(v["meta"]["model"], "fp32");
}

/// Each failure is one line on stderr naming the problem and the fix, with a non-zero exit.
#[test]
fn failures_are_one_clear_line() {
    let dir = tmp("bad");
    let scan = case("gr-linear-png/scan.png");
    let bad = root().join("tests/data/bad");
    let trunc = bad.join("truncated.png").to_string_lossy().to_string();
    let pdf = bad.join("wrong-magic.pdf").to_string_lossy().to_string();
    let missing = dir.join("nope.tif").to_string_lossy().to_string();
    let txt = dir.join("out.txt").to_string_lossy().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["digitise", &scan, "--track", "392:17", "--scale", "0:150", "--depth", "75=5010,2250=5300"], "track"),
        (vec!["digitise", &scan, "--track", "17:392", "--scale", "0:150", "--depth", "75=5010"], "tie point"),
        (vec!["digitise", &scan, "--track", "17:392", "--scale", "0:150", "--log", "--depth", "75=5010,2250=5300"], "log"),
        (vec!["digitise", &scan, "--track", "17:3920", "--scale", "0:150", "--depth", "75=5010,2250=5300"], "image"),
        (vec!["digitise", &scan, "--track", "a:b", "--scale", "0:150", "--depth", "75=5010,2250=5300"], "number"),
        (vec!["digitise", &trunc, "--track", "17:392", "--scale", "0:150", "--depth", "75=5010,2250=5300"], "truncated"),
        (vec!["digitise", &pdf, "--track", "17:392", "--scale", "0:150", "--depth", "75=5010,2250=5300"], "PNG, JPEG or TIFF"),
        (vec!["digitise", &missing, "--track", "17:392", "--scale", "0:150", "--depth", "75=5010,2250=5300"], "cannot read"),
        (vec!["digitise", &scan, "--track", "17:392", "--scale", "0:150", "--depth", "75=5010,2250=5300", "-o", &txt], ".csv, .las or .json"),
        (vec!["digitise", &scan, "--track", "17:392", "--scale", "0:150", "--depth", "75=5010,2250=5300", "--seed", "30,600"], "seed"),
    ];
    for (args, needle) in cases {
        let o = veer(&args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
        assert!(err.to_lowercase().contains(&needle.to_lowercase()), "{args:?}: {err:?} lacks {needle:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_wrong_model_file_is_a_model_error() {
    let scan = case("gr-linear-png/scan.png");
    let notmodel = case("gr-linear-png/truth.csv");
    let mut args = vec!["digitise", scan.as_str(), "--model", notmodel.as_str()];
    args.extend_from_slice(GR);
    let o = veer(&args);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("ONNX"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1);
}

#[test]
fn batch_digitises_a_folder_and_summarises() {
    let dir = tmp("batch");
    let scans = dir.join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let src = root().join("tests/cases/gr-linear-png/scan.png");
    std::fs::copy(&src, scans.join("a.png")).unwrap();
    std::fs::copy(&src, scans.join("b.png")).unwrap();
    std::fs::write(scans.join("broken.tif"), b"II*\0garbage").unwrap();
    std::fs::write(scans.join("notes.txt"), b"not a scan").unwrap();
    let cal = root().join("tests/cases/gr-linear-png/case.json");
    let out = dir.join("out");
    let o = veer(&["batch", scans.to_str().unwrap(), "--calibration", cal.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--format", "csv"]);
    let err = stderr(&o);
    assert!(!o.status.success(), "one scan is broken: non-zero exit");
    assert!(err.contains("3 scans") && err.contains("2 digitised") && err.contains("1 failed"), "{err}");
    assert!(err.contains("broken.tif"), "{err}");
    for n in ["a.csv", "b.csv"] {
        let text = std::fs::read_to_string(out.join(n)).unwrap();
        assert!(text.starts_with("depth,value\n") && text.lines().count() > 400, "{n}");
    }
}

#[test]
fn probe_prints_the_header() {
    let o = veer(&["probe", &case("full-g4/scan.tif")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("TIFF 1300 x 13000 px, 1 bit"), "{out}");
}
