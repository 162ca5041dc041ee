//! Bad input through the CLI door (issue 7): absurd calibrations, a wrong model
//! file, empty (0 x N) and blank images. Every case is checked twice: through the
//! library, for its documented error kind ([`veer::Error::kind`]), and through the
//! `veer` binary, for a non-zero exit with one line on stderr that names the
//! problem, no panic and no hang.
//!
//! Images are built here (small uncompressed TIFFs and PNGs), not committed.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use veer::calibrate::Calibration;
use veer::limits::Limits;
use veer::model::Model;
use veer::pipeline::digitise_bytes;

/// Longest a refused run may take before it counts as a hang (a debug build on a busy
/// 2-core machine runs the model on a few tiles in well under this).
const HANG: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fp32_path() -> PathBuf {
    root().join("../models/veernet-fp32.onnx")
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| Model::from_bytes(&std::fs::read(fp32_path()).expect("read fp32")).expect("load fp32"))
}

fn tmp() -> &'static Path {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("veer-robustness-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("tmp dir");
        d
    })
}

fn write(name: &str, bytes: &[u8]) -> String {
    let p = tmp().join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p.to_string_lossy().to_string()
}

/// A little-endian, uncompressed, 8-bit grayscale TIFF of `w x h` px (one strip),
/// with whatever dimensions the header is asked to declare.
fn gray_tiff(w: u32, h: u32, pixel: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let mut pixels = Vec::new();
    for y in 0..h {
        for x in 0..w {
            pixels.push(pixel(x, y));
        }
    }
    // Header, then the IFD at offset 8, then the pixels.
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, w),                  // ImageWidth
        (257, 4, h),                  // ImageLength
        (258, 3, 8),                  // BitsPerSample
        (259, 3, 1),                  // Compression: none
        (262, 3, 1),                  // Photometric: BlackIsZero
        (273, 4, 8 + 2 + 8 * 12 + 4), // StripOffsets
        (278, 4, h.max(1)),           // RowsPerStrip
        (279, 4, w * h),              // StripByteCounts
    ];
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, ty, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        if ty == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&pixels);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG whose IHDR declares `w x h` 8-bit gray, with an empty (stored) IDAT.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], body: &[u8]) {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(body);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32(&c).to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A 400 x 300 px scan: white paper with one dark, 3 px wide, wavy curve around column 200
/// (a straight vertical line would look like a grid line to the model).
fn small_scan() -> Vec<u8> {
    gray_tiff(400, 300, |x, y| {
        let centre = 200.0 + 60.0 * (f64::from(y) / 40.0).sin();
        if (f64::from(x) - centre).abs() <= 1.5 {
            0
        } else {
            255
        }
    })
}

/// The calibration the CLI builds from `--track 10:390 --scale 0:150 --depth 0=1000,299=1030`.
fn good_cal() -> Calibration {
    Calibration {
        track: [10.0, 390.0],
        scale: [0.0, 150.0],
        log: false,
        depth: vec![[0.0, 1000.0], [299.0, 1030.0]],
        seed: None,
        backup: Vec::new(),
        step: None,
        mnemonic: None,
        unit: None,
        depth_unit: None,
    }
}

/// Runs `veer` and asserts the contract for a refused run; returns stderr.
fn cli_refuses(args: &[String], model: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_veer"));
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped()).env("VEER_MODEL", fp32_path());
    if let Some(m) = model {
        cmd.args(["--model", m]);
    }
    let mut child = cmd.spawn().expect("run veer");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for veer") {
            break s;
        }
        if t0.elapsed() > HANG {
            let _ = child.kill();
            panic!("{args:?}: still running after {HANG:?} (a hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read stderr");
    assert!(!status.success(), "{args:?}: succeeded, expected a refusal");
    assert_eq!(status.code(), Some(1), "{args:?}: exit {status:?} (a crash or a signal?): {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.starts_with("veer: error: "), "{args:?}: {err}");
    err
}

fn digitise_args(scan: &str, cal: &Calibration) -> Vec<String> {
    let n = |v: f64| v.to_string();
    let mut a = vec![
        "digitise".to_string(),
        scan.to_string(),
        "--quiet".into(),
        format!("--track={}:{}", n(cal.track[0]), n(cal.track[1])),
        format!("--scale={}:{}", n(cal.scale[0]), n(cal.scale[1])),
        format!(
            "--depth={}",
            cal.depth.iter().map(|[r, d]| format!("{}={}", n(*r), n(*d))).collect::<Vec<_>>().join(",")
        ),
    ];
    if cal.log {
        a.push("--log".into());
    }
    if let Some([x, y]) = cal.seed {
        a.push(format!("--seed={},{}", n(x), n(y)));
    }
    if let Some(s) = cal.step {
        a.push(format!("--step={}", n(s)));
    }
    a
}

/// Checks one refused case both ways: kind (library) and one-line message with `needle` (CLI).
fn refused(name: &str, scan: &[u8], cal: &Calibration, kind: &str, needle: &str) {
    let e = digitise_bytes(scan, cal, model(), &Limits::default(), &mut |_| {})
        .err()
        .unwrap_or_else(|| panic!("{name}: the library digitised it"));
    assert_eq!(e.kind(), kind, "{name}: {e}");
    let msg = e.to_string();
    assert!(!msg.is_empty() && !msg.contains('\n'), "{name}: {msg:?}");
    let path = write(&format!("{name}.tif"), scan);
    let err = cli_refuses(&digitise_args(&path, cal), None);
    assert!(err.to_lowercase().contains(&needle.to_lowercase()), "{name}: {err:?} lacks {needle:?}");
}

#[test]
fn the_small_scan_itself_digitises() {
    // The cases below differ from this one run only in the part they break.
    let out = digitise_bytes(&small_scan(), &good_cal(), model(), &Limits::default(), &mut |_| {})
        .expect("the reference scan digitises");
    assert!(out.stats.coverage > 0.8, "{:?}", out.stats);
    let path = write("good.tif", &small_scan());
    let o = Command::new(env!("CARGO_BIN_EXE_veer"))
        .args(digitise_args(&path, &good_cal()))
        .env("VEER_MODEL", fp32_path())
        .output()
        .expect("run veer");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("depth,value\n"));
}

#[test]
fn absurd_depth_tie_points() {
    let scan = small_scan();
    let with = |depth: Vec<[f64; 2]>| Calibration { depth, ..good_cal() };
    refused("same-row", &scan, &with(vec![[75.0, 1000.0], [75.0, 1030.0]]), "bad_parameter", "distinct rows");
    refused("same-depth", &scan, &with(vec![[0.0, 1000.0], [299.0, 1000.0]]), "bad_parameter", "distinct depths");
    refused("same-point", &scan, &with(vec![[75.0, 1000.0], [75.0, 1000.0]]), "bad_parameter", "distinct");
    refused("one-point", &scan, &with(vec![[75.0, 1000.0]]), "bad_parameter", "two depth tie points");
    refused("nan-depth", &scan, &with(vec![[0.0, f64::NAN], [299.0, 1030.0]]), "bad_parameter", "finite");
    refused("inf-row", &scan, &with(vec![[0.0, 1000.0], [f64::INFINITY, 1030.0]]), "bad_parameter", "finite");
    refused(
        "zigzag",
        &scan,
        &with(vec![[0.0, 1000.0], [100.0, 1020.0], [299.0, 1010.0]]),
        "bad_parameter",
        "one direction",
    );
}

#[test]
fn absurd_value_scales() {
    let scan = small_scan();
    let log = |scale: [f64; 2]| Calibration { scale, log: true, ..good_cal() };
    refused("log-zero", &scan, &log([0.0, 150.0]), "bad_parameter", "positive");
    refused("log-negative", &scan, &log([-10.0, 100.0]), "bad_parameter", "positive");
    refused("log-reversed-negative", &scan, &log([2000.0, -0.2]), "bad_parameter", "positive");
    refused("equal-scale", &scan, &Calibration { scale: [5.0, 5.0], ..good_cal() }, "bad_parameter", "differ");
    refused("step-zero", &scan, &Calibration { step: Some(0.0), ..good_cal() }, "bad_parameter", "step");
    refused("step-negative", &scan, &Calibration { step: Some(-0.5), ..good_cal() }, "bad_parameter", "step");
}

#[test]
fn track_and_seed_outside_the_image() {
    let scan = small_scan();
    let track = |track: [f64; 2]| Calibration { track, ..good_cal() };
    refused("track-past-right", &scan, &track([10.0, 400.0]), "bad_parameter", "outside the image");
    refused("track-negative", &scan, &track([-40.0, 300.0]), "bad_parameter", "outside the image");
    refused("track-beyond", &scan, &track([2000.0, 2400.0]), "bad_parameter", "outside the image");
    refused("track-huge", &scan, &track([0.0, 1e300]), "bad_parameter", "outside the image");
    refused("track-reversed", &scan, &track([390.0, 10.0]), "bad_parameter", "left");
    refused("track-narrow", &scan, &track([100.0, 103.0]), "bad_parameter", "wide");
    let seed = |s: [f64; 2]| Calibration { seed: Some(s), ..good_cal() };
    refused("seed-below", &scan, &seed([200.0, 5000.0]), "bad_parameter", "outside the image");
    refused("seed-beside", &scan, &seed([395.0, 100.0]), "bad_parameter", "outside the track");
    refused("seed-on-paper", &scan, &seed([100.0, 100.0]), "bad_parameter", "not on a curve");
}

#[test]
fn empty_and_blank_images() {
    let cal = good_cal();
    // 0 x N and N x 0, as TIFF and PNG headers.
    refused("tiff-0x300", &gray_tiff(0, 300, |_, _| 255), &cal, "bad_input", "re-export");
    refused("tiff-400x0", &gray_tiff(400, 0, |_, _| 255), &cal, "bad_input", "re-export");
    refused("png-0x300", &png_declaring(0, 300), &cal, "bad_input", "re-export");
    refused("png-400x0", &png_declaring(400, 0), &cal, "bad_input", "re-export");
    let corpus = root().join("tests/data/bad");
    for name in ["zero-width.png", "zero-width.tif"] {
        let bytes = std::fs::read(corpus.join(name)).expect("corpus file");
        refused(name, &bytes, &cal, "bad_input", "re-export");
    }
    // Images that decode but hold no curve: blank paper, a single row, a single column.
    refused("blank", &gray_tiff(400, 300, |_, _| 255), &cal, "no_curve", "no curve");
    refused("one-row", &gray_tiff(400, 1, |x, _| if x == 200 { 0 } else { 255 }), &cal, "no_curve", "no curve");
    refused("one-column", &gray_tiff(1, 300, |_, _| 0), &cal, "bad_parameter", "outside the image");
}

#[test]
fn wrong_model_files() {
    let scan = write("model-scan.tif", &small_scan());
    let args = digitise_args(&scan, &good_cal());
    let onnx = std::fs::read(fp32_path()).expect("read fp32");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.onnx", Vec::new(), "empty"),
        ("a-png.onnx", png_declaring(10, 10), "ONNX"),
        ("a-tiff.onnx", small_scan(), "ONNX"),
        ("half.onnx", onnx[..onnx.len() / 2].to_vec(), "ONNX"),
        ("head.onnx", onnx[..64].to_vec(), "ONNX"),
    ];
    for (name, bytes, needle) in cases {
        let e = Model::from_bytes(&bytes).err().unwrap_or_else(|| panic!("{name}: loaded"));
        assert_eq!(e.kind(), "model", "{name}: {e}");
        assert!(!e.to_string().contains('\n'), "{name}: {e}");
        let path = write(name, &bytes);
        let err = cli_refuses(&args, Some(&path));
        assert!(err.contains(needle), "{name}: {err:?} lacks {needle:?}");
    }
    // A model path that is missing or a folder: the CLI says it cannot read it.
    for bad in [tmp().join("missing.onnx"), tmp().to_path_buf()] {
        let err = cli_refuses(&args, Some(&bad.to_string_lossy()));
        assert!(err.contains("cannot read the model"), "{err}");
    }
}
