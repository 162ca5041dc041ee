//! LAS 2.0 files written by `veer::export::to_las` are read back by lasio (Python)
//! with warnings turned into errors and lasio's own log checked for warnings: the
//! values, STRT/STOP/STEP, NULL and units must round-trip.
//!
//! Needs `python3` with lasio (`pip install lasio`); the test fails, never skips,
//! when it is missing.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use veer::export::{resample, to_las, Curve, LasInfo, ResampleParams, Sample, LAS_NULL};

/// Reads each file with lasio and prints one JSON object per file.
const READER: &str = r#"
import json, logging, sys, warnings
warnings.simplefilter("error")
import lasio

class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []
    def emit(self, record):
        self.records.append(record.getMessage())

out = []
for path in sys.argv[1:]:
    handler = Collect()
    log = logging.getLogger("lasio")
    log.addHandler(handler)
    try:
        las = lasio.read(path)
    finally:
        log.removeHandler(handler)
    w = las.well
    out.append({
        "path": path,
        "log_warnings": handler.records,
        "version": str(las.version["VERS"].value),
        "wrap": str(las.version["WRAP"].value),
        "strt": float(w["STRT"].value), "stop": float(w["STOP"].value), "step": float(w["STEP"].value),
        "null": float(w["NULL"].value),
        "strt_unit": w["STRT"].unit, "stop_unit": w["STOP"].unit, "step_unit": w["STEP"].unit,
        "well": str(w["WELL"].value),
        "curves": [[c.mnemonic, c.unit] for c in las.curves],
        "depth": [float(x) for x in las.index],
        "value": [None if x != x else float(x) for x in las.curves[1].data],
        "other": las.other,
    })
print(json.dumps(out))
"#;

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("veer-las-lasio-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn require_lasio() {
    let ok = Command::new("python3").args(["-c", "import lasio"]).output().map(|o| o.status.success()).unwrap_or(false);
    assert!(
        ok,
        "python3 with lasio is needed to check LAS output: run `pip install lasio` (and make sure `python3` is on PATH)"
    );
}

fn read_with_lasio(paths: &[PathBuf]) -> Vec<serde_json::Value> {
    let out = Command::new("python3").arg("-c").arg(READER).args(paths).output().unwrap();
    assert!(
        out.status.success(),
        "lasio failed (a warning counts as a failure):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}

fn curve(step: f64, log: bool, unit: &str, depth_unit: &str, samples: &[Sample]) -> Curve {
    let p = ResampleParams { step, max_gap: 3.0 * step, log, mnemonic: "GR", unit, depth_unit };
    resample(samples, &p).unwrap()
}

fn write(dir: &Path, name: &str, c: &Curve) -> PathBuf {
    let info = LasInfo {
        well: [("WELL".to_string(), "TEST WELL 1".to_string())].into_iter().collect(),
        source: "scans/test 1.tif".into(),
        model: "veernet-int8".into(),
        date: "2026-11-22".into(),
        calibration_json: r#"{"track":[10,250],"scale":[0,150],"log":false,"depth":[[0,1000],[1000,1100]]}"#.into(),
    };
    let path = dir.join(name);
    std::fs::write(&path, to_las(c, &info)).unwrap();
    path
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

#[test]
fn lasio_reads_veer_las_without_warnings() {
    require_lasio();
    let dir = temp_dir();
    // Normal curve, metres.
    let normal: Vec<Sample> = (0..=2000)
        .map(|i| Sample { depth: 1000.0 + i as f64 * 0.05, value: 60.0 + 40.0 * (i as f64 / 50.0).sin() })
        .collect();
    // Gaps: two stretches missing.
    let gappy: Vec<Sample> = normal
        .iter()
        .enumerate()
        .filter(|(i, _)| !(300..420).contains(i) && !(1500..1510).contains(i))
        .map(|(_, s)| *s)
        .collect();
    // Log-scale resistivity, 0.2 .. 2000 ohm.m.
    let resist: Vec<Sample> = (0..=1000)
        .map(|i| Sample { depth: 500.0 + i as f64 * 0.1, value: 10f64.powf(1.0 + 2.5 * (i as f64 / 80.0).sin()) })
        .collect();
    // Feet.
    let feet: Vec<Sample> = (0..=3000)
        .map(|i| Sample { depth: 4000.0 + i as f64 * 0.25, value: 2.0 + (i as f64 / 120.0).cos() * 0.4 })
        .collect();

    let cases = [
        ("normal.las", curve(0.1, false, "GAPI", "M", &normal)),
        ("gaps.las", curve(0.1, false, "GAPI", "M", &gappy)),
        ("log.las", curve(0.25, true, "OHMM", "M", &resist)),
        ("feet.las", curve(0.5, false, "G/C3", "FT", &feet)),
    ];
    assert!(cases[1].1.value.iter().any(Option::is_none), "the gap case must hold nulls");
    let paths: Vec<PathBuf> = cases.iter().map(|(name, c)| write(&dir, name, c)).collect();
    let read = read_with_lasio(&paths);
    assert_eq!(read.len(), cases.len());
    for ((name, c), r) in cases.iter().zip(&read) {
        assert_eq!(r["log_warnings"], serde_json::json!([]), "{name}: lasio logged warnings");
        assert_eq!(r["version"], "2.0", "{name}");
        assert_eq!(r["wrap"], "NO", "{name}");
        let num = |k: &str| r[k].as_f64().unwrap();
        let (first, last) = (*c.depth.first().unwrap(), *c.depth.last().unwrap());
        assert!(close(num("strt"), first, 1e-12), "{name}: STRT {} vs {first}", num("strt"));
        assert!(close(num("stop"), last, 1e-12), "{name}: STOP {} vs {last}", num("stop"));
        assert!(close(num("step"), c.step, 1e-12), "{name}: STEP");
        assert!(
            close(num("strt") + (c.depth.len() as f64 - 1.0) * num("step"), num("stop"), 1e-9),
            "{name}: STOP = STRT + (n-1) STEP"
        );
        assert_eq!(num("null"), LAS_NULL, "{name}");
        for k in ["strt_unit", "stop_unit", "step_unit"] {
            assert_eq!(r[k], c.depth_unit.as_str(), "{name}: {k}");
        }
        assert_eq!(r["well"], "TEST WELL 1");
        assert_eq!(r["curves"], serde_json::json!([["DEPT", c.depth_unit], ["GR", c.unit]]), "{name}");
        let depth: Vec<f64> = r["depth"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let value: Vec<Option<f64>> = r["value"].as_array().unwrap().iter().map(serde_json::Value::as_f64).collect();
        assert_eq!(depth.len(), c.depth.len(), "{name}");
        for (i, (d, want)) in depth.iter().zip(&c.depth).enumerate() {
            assert!(close(*d, *want, 1e-12), "{name}: depth {i}: {d} vs {want}");
        }
        for (i, (v, want)) in value.iter().zip(&c.value).enumerate() {
            match (v, want) {
                (None, None) => {}
                (Some(v), Some(w)) => assert!(close(*v, *w, 1e-5), "{name}: value {i}: {v} vs {w}"),
                _ => panic!("{name}: value {i}: lasio {v:?}, written {want:?}"),
            }
        }
        let other = r["other"].as_str().unwrap();
        assert!(
            other.contains("veer")
                && other.contains("veernet-int8")
                && other.contains("test 1.tif")
                && other.contains("\"scale\":[0,150]"),
            "{name}: ~O {other}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
