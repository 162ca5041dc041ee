//! Tracer debugging on the golden cases.
//!
//! ```text
//! cargo run --release --example trace_debug -- table [fp32|int8 ...]
//! cargo run --release --example trace_debug -- show CASE|DIR CAL.json TRUTH.csv MODEL OUT_DIR
//! cargo run --release --example trace_debug -- bench
//! cargo run --release --example trace_debug -- diag [fp32|int8 ...]
//! cargo run --release --example trace_debug -- eval DIR [fp32|int8 ...]
//! cargo run --release --example trace_debug -- dump SCAN X0 X1 MODEL OUT_PREFIX
//! ```
//!
//! `table` scores every golden case like `tests/golden.rs` does (NMAE, coverage),
//! from probability maps cached under `target/trace-maps/` (inference runs once
//! per track and checkpoint), so only the tracer is re-run. `show` also prints the
//! stretches where the path leaves the truth by more than 2 map columns and writes
//! PNG overlays of them (probability map gray, truth green, traced path red,
//! seed blue). `bench` times a 256 x 20,000 map with two crossing curves (and prints a
//! hash of each traced path, to check that a faster tracer finds the same). `diag`
//! sorts the rows of the two-curve cases by where the path is (`DIAG_DUMP=DIR`
//! also writes them, with the ink track, for plotting). `eval` scores the
//! rendered validation tracks that `scripts/train/eval_cases.py` writes.
//! MODEL is a checkpoint name (`models/veernet-MODEL.onnx`); `MODEL+h` averages its map
//! with the map of the mirrored track, `MODEL+hv` with the mirrored, the depth-flipped
//! and the doubly flipped tracks (test-time augmentation, 2 or 4 times the inference).
//! `dump` writes a scan's track (columns X0..X1, resized to the model width) and its
//! probability map as 8-bit PGM images, `OUT_PREFIX.ink.pgm` and `OUT_PREFIX.map.pgm` (ink and
//! probability drawn dark, one row per track row), for looking at real prints
//! (`scripts/real/README.md`).

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use veer::calibrate::Calibration;
use veer::decode::decode;
use veer::export::{resample, Curve, ResampleParams, Sample};
use veer::limits::Limits;
use veer::model::{segment, Model};
use veer::pipeline::MAX_BRIDGE_ROWS;
use veer::preprocess::{prepare_track, Track};
use veer::trace::{trace, trace_with_ink, ProbMap, Seed, TraceParams};
use veer::MODEL_WIDTH;

const CASES: &[(&str, &str, &str)] = &[
    ("gr-linear-png", "case.json", "truth.csv"),
    ("res-log-g4", "case.json", "truth.csv"),
    ("crossing-seed", "case.json", "truth.csv"),
    ("dashed-png", "case.json", "truth.csv"),
    ("noisy-1bit-png", "case.json", "truth.csv"),
    ("jpeg-gr", "case.json", "truth.csv"),
    ("nphi-reversed", "case.json", "truth.csv"),
    ("full-g4", "track1-gr.json", "track1-gr.truth.csv"),
    ("full-g4", "track1-sp.json", "track1-sp.truth.csv"),
    ("full-g4", "track2-rhob.json", "track2-rhob.truth.csv"),
    ("full-g4", "track2-nphi.json", "track2-nphi.truth.csv"),
    ("full-g4", "track3-ild.json", "track3-ild.truth.csv"),
    ("full-g4", "track3-ilm.json", "track3-ilm.truth.csv"),
];

/// The tracer's defaults, with `TRACE_SET=name=value,...` overrides (tuning).
fn params() -> TraceParams {
    let mut p = TraceParams::default();
    for kv in std::env::var("TRACE_SET").unwrap_or_default().split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap();
        let v: f32 = v.parse().unwrap();
        match k {
            "ink" => p.ink = v,
            "gap" => p.gap = v,
            "jump_paper" => p.jump_paper = v,
            "jump_ink" => p.jump_ink = v,
            "jump_far" => p.jump_far = v,
            "far_cols" => p.far_cols = v as usize,
            "momentum" => p.momentum = v,
            "momentum_slack" => p.momentum_slack = v,
            "momentum_cap" => p.momentum_cap = v,
            "blob_slack" => p.blob_slack = v,
            "momentum_rows" => p.momentum_rows = v as usize,
            "window" => p.window = v as usize,
            "style" => p.style = v,
            "appearance" => p.appearance = v,
            "appearance_tol" => p.appearance_tol = v,
            "sweep_cols" => p.sweep_cols = v,
            "ungrid" => p.ungrid = v != 0.0,
            "grid_rows" => p.grid_rows = v as usize,
            "tail_rows" => p.tail_rows = v as usize,
            _ => panic!("TRACE_SET: unknown parameter {k}"),
        }
    }
    p
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Loaded {
    cal: Calibration,
    track: Track,
    map: ProbMap,
    truth: Vec<(f64, f64)>,
}

/// A model name's checkpoint and its test-time augmentation: `NAME` or `NAME+AUG`.
fn split_name(name: &str) -> (&str, Option<&str>) {
    name.split_once('+').map_or((name, None), |(base, aug)| (base, Some(aug)))
}

fn model_path(name: &str) -> PathBuf {
    root().join(format!("../models/veernet-{}.onnx", split_name(name).0))
}

/// Test-time augmentation for `NAME+h` (the mean with the map of the mirrored track) and
/// `NAME+hv` (mirrored, flipped along depth, and both): the flips the model was trained with.
fn segment_tta(track: &Track, model: &Model, name: &str) -> ProbMap {
    let flips: &[(bool, bool)] = match split_name(name).1 {
        None => return segment(track, model, &mut |_, _| {}).unwrap(),
        Some("h") => &[(false, false), (true, false)],
        Some("hv") => &[(false, false), (true, false), (false, true), (true, true)],
        Some(t) => panic!("unknown augmentation {t} (use +h or +hv)"),
    };
    let (w, h) = (track.width, track.height);
    let idx = |r: usize, c: usize, (fh, fv): (bool, bool)| {
        let r = if fv { h - 1 - r } else { r };
        let c = if fh { w - 1 - c } else { c };
        r * w + c
    };
    let mut sum = vec![0f32; w * h];
    for &f in flips {
        let mut t = track.clone();
        for r in 0..h {
            for c in 0..w {
                t.data[idx(r, c, f)] = track.data[r * w + c];
            }
        }
        let m = segment(&t, model, &mut |_, _| {}).unwrap();
        for r in 0..h {
            for c in 0..w {
                sum[r * w + c] += f32::from(m.data[idx(r, c, f)]);
            }
        }
    }
    let n = flips.len() as f32;
    ProbMap { width: w, height: h, data: sum.iter().map(|v| (v / n).round() as u8).collect() }
}

/// The track and its probability map (cached per scan, track edges and checkpoint).
fn load(case: &str, cal_name: &str, truth_name: &str, model_name: &str) -> Loaded {
    load_dir(&root().join("tests/cases").join(case), case, cal_name, truth_name, model_name)
}

/// As [`load`] for the case folder `dir`, cached under the name `case`.
fn load_dir(dir: &Path, case: &str, cal_name: &str, truth_name: &str, model_name: &str) -> Loaded {
    let dir = dir.to_path_buf();
    let cal = Calibration::from_json(&std::fs::read_to_string(dir.join(cal_name)).unwrap()).unwrap();
    let truth = read_truth(&dir.join(truth_name));
    let scan = ["scan.png", "scan.tif", "scan.jpg"].iter().map(|n| dir.join(n)).find(|p| p.is_file()).unwrap();
    let bytes = std::fs::read(&scan).unwrap();
    let image = decode(&bytes, &Limits::default()).unwrap();
    let track = prepare_track(&image, cal.track[0], cal.track[1], MODEL_WIDTH).unwrap();
    let mp = model_path(model_name);
    let meta = std::fs::metadata(&mp).unwrap();
    let stamp = meta.modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let cache_dir = root().join("../target/trace-maps");
    std::fs::create_dir_all(&cache_dir).unwrap();
    let key = format!("{case}-{}-{}-{model_name}-{}-{stamp}.map", cal.track[0], cal.track[1], meta.len());
    let cache = cache_dir.join(key);
    let map = if let Ok(data) = std::fs::read(&cache) {
        ProbMap { width: track.width, height: track.height, data }
    } else {
        let t0 = Instant::now();
        let model = Model::from_bytes(&std::fs::read(&mp).unwrap()).unwrap();
        let map = segment_tta(&track, &model, model_name);
        eprintln!("inference {case} {cal_name} {model_name}: {:?}", t0.elapsed());
        std::fs::write(&cache, &map.data).unwrap();
        map
    };
    // A line per loaded track for tools that re-score without the model.
    let line = format!(
        "{case} {cal_name} {truth_name} {model_name} {} {} {} {} {} {} {}\n",
        cache.display(),
        track.x0,
        track.crop_width,
        track.src_height,
        track.width,
        track.height,
        dir.display()
    );
    let manifest = cache_dir.join("manifest.txt");
    let old = std::fs::read_to_string(&manifest).unwrap_or_default();
    if !old.contains(&line) {
        std::fs::write(&manifest, old + &line).unwrap();
    }
    Loaded { cal, track, map, truth }
}

fn read_truth(p: &Path) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(p).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (d, v) = l.split_once(',').unwrap();
            (d.trim().parse().unwrap(), v.trim().parse().unwrap())
        })
        .collect()
}

fn seed_of(l: &Loaded) -> Option<Seed> {
    l.cal.seed.map(|[x, y]| Seed { col: l.track.track_col(x) as f32, row: l.track.track_row(y) as f32 })
}

/// As `pipeline::digitise` after tracing.
fn to_curve(l: &Loaded, cols: &[Option<f32>]) -> Curve {
    let values = l.cal.value_axis();
    let depths = l.cal.depth_axis();
    let mut samples = Vec::new();
    for (row, col) in cols.iter().enumerate() {
        let Some(col) = col else { continue };
        let x = l.track.source_x(f64::from(*col));
        let y = l.track.source_y(row as f64);
        let (value, depth) = (values.value_at(x), depths.depth_at(y));
        if value.is_finite() && depth.is_finite() {
            samples.push(Sample { depth, value });
        }
    }
    let dpr = depths.depth_per_row() * l.track.src_height as f64 / l.track.height as f64;
    let step = l.cal.step.unwrap_or_else(|| veer::export::default_step(dpr));
    resample(
        &samples,
        &ResampleParams {
            step,
            max_gap: MAX_BRIDGE_ROWS * dpr.abs(),
            log: l.cal.log,
            mnemonic: "X",
            unit: "",
            depth_unit: "FT",
        },
    )
    .unwrap()
}

/// As `tests/golden.rs`.
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

/// Truth column per map row (None outside the truth's depth range).
fn truth_cols(l: &Loaded) -> Vec<Option<f64>> {
    let values = l.cal.value_axis();
    let depths = l.cal.depth_axis();
    // Truth points in map coordinates, sorted by row.
    let mut pts: Vec<(f64, f64)> = l
        .truth
        .iter()
        .map(|&(d, v)| (l.track.track_row(depths.row_at(d)), l.track.track_col(values.column_at(v))))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let step_rows = if pts.len() > 1 { (pts[1].0 - pts[0].0).abs() * 1.5 } else { 1.0 };
    let mut out = vec![None; l.map.height];
    let mut k = 0;
    for (r, o) in out.iter_mut().enumerate() {
        let rf = r as f64;
        while k + 1 < pts.len() && pts[k + 1].0 < rf {
            k += 1;
        }
        if k + 1 < pts.len() && pts[k].0 <= rf && pts[k + 1].0 - pts[k].0 <= step_rows {
            let (a, b) = (pts[k], pts[k + 1]);
            let t = (rf - a.0) / (b.0 - a.0);
            *o = Some(a.1 + t * (b.1 - a.1));
        }
    }
    out
}

fn table(models: &[String]) {
    let p = params();
    for m in models {
        for &(case, cal, truth) in CASES {
            let l = load(case, cal, truth, m);
            let t0 = Instant::now();
            let cols = trace_with_ink(&l.map, Some(&l.track.data), seed_of(&l), &p).unwrap();
            let dt = t0.elapsed();
            let (nmae, cov) = score(&to_curve(&l, &cols), &l.truth, &l.cal);
            let tc = truth_cols(&l);
            let off = cols
                .iter()
                .zip(&tc)
                .filter(|(c, t)| matches!((c, t), (Some(c), Some(t)) if (f64::from(*c) - t).abs() > 2.0))
                .count();
            let mark = if nmae <= 0.01 && cov >= 0.98 { "ok  " } else { "FAIL" };
            println!(
                "{mark} {m:5} {case:15} {cal:18} NMAE {nmae:.5} cov {:6.2}%  rows off>2px {off:5} of {:5}  trace {:.0?}",
                cov * 100.0,
                l.map.height,
                dt
            );
        }
    }
}

/// Cache name of an eval track folder: its set's folder name and its own
/// (`eval-cases-print0-t0`), so tracks of sets rendered with other seeds differ.
fn eval_key(track_dir: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let dir = std::fs::canonicalize(track_dir).unwrap_or_else(|_| track_dir.to_path_buf());
    format!("{}-{}", dir.parent().map(name).unwrap_or_default(), name(&dir))
}

fn show(case: &str, cal: &str, truth: &str, model: &str, out: &Path) {
    // A folder path (an `eval` track) is cached under the name `eval` uses.
    let (l, case) = if case.contains('/') {
        let name = Path::new(case).file_name().unwrap().to_string_lossy().to_string();
        (load_dir(Path::new(case), &eval_key(Path::new(case)), cal, truth, model), name)
    } else {
        (load(case, cal, truth, model), case.to_string())
    };
    let case = case.as_str();
    let seed = seed_of(&l);
    let cols = trace_with_ink(&l.map, Some(&l.track.data), seed, &params()).unwrap();
    let (nmae, cov) = score(&to_curve(&l, &cols), &l.truth, &l.cal);
    println!(
        "{case} {cal} {model}: map {} x {}, seed {seed:?}, NMAE {nmae:.5} cov {:.2}%",
        l.map.width,
        l.map.height,
        cov * 100.0
    );
    let curve = to_curve(&l, &cols);
    let defined: Vec<f64> =
        curve.depth.iter().zip(&curve.value).filter(|(_, v)| v.is_some()).map(|(d, _)| *d).collect();
    println!(
        "  truth depths {:.2}..{:.2}, traced {:.2}..{:.2} ({} of {} samples defined)",
        l.truth.first().map_or(f64::NAN, |t| t.0),
        l.truth.last().map_or(f64::NAN, |t| t.0),
        defined.first().copied().unwrap_or(f64::NAN),
        defined.last().copied().unwrap_or(f64::NAN),
        defined.len(),
        curve.depth.len()
    );
    let mut hole: Option<f64> = None;
    for (i, (d, v)) in curve.depth.iter().zip(&curve.value).enumerate() {
        match (v.is_none(), hole) {
            (true, None) => hole = Some(*d),
            (false, Some(a)) => {
                println!("  undefined depths {a:.2}..{:.2}", curve.depth[i - 1]);
                hole = None;
            }
            _ => {}
        }
    }
    let tc = truth_cols(&l);
    // SHOW_ROWS=A..B prints the path and the truth row by row (and the ink under them).
    let w = l.map.width;
    if let Some((a, b)) = std::env::var("SHOW_ROWS").ok().and_then(|v| {
        let (a, b) = v.split_once("..")?;
        Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?.min(cols.len())))
    }) {
        for r in a..b {
            let dark = |c: f64| {
                let c = c.round() as usize;
                (c.saturating_sub(1)..(c + 2).min(w)).map(|i| l.track.data[r * w + i]).fold(0.0f32, f32::max)
            };
            println!(
                "  row {r}: trace {:?} truth {:?} ink {:.2} / {:.2}",
                cols[r],
                tc[r].map(|t| (t * 10.0).round() / 10.0),
                cols[r].map_or(0.0, |c| dark(f64::from(c))),
                tc[r].map_or(0.0, dark)
            );
        }
    }
    // Stretches off the truth by > 2 columns (gaps of up to 20 rows merged).
    let mut bad: Vec<(usize, usize)> = Vec::new();
    for (r, (c, t)) in cols.iter().zip(&tc).enumerate() {
        if let (Some(c), Some(t)) = (c, t) {
            if (f64::from(*c) - t).abs() > 2.0 {
                match bad.last_mut() {
                    Some((_, e)) if r <= *e + 20 => *e = r,
                    _ => bad.push((r, r)),
                }
            }
        }
    }
    for &(a, b) in &bad {
        let at =
            |r: usize| format!("{:?}/{:.1}", cols[r].map(|c| (c * 10.0).round() / 10.0), tc[r].unwrap_or(f64::NAN));
        println!("  off rows {a}..={b} ({} rows): start trace/truth {}  end {}", b - a + 1, at(a), at(b));
    }
    // Stretches with a truth but no trace, longer than the export bridges.
    let mut gap: Option<usize> = None;
    for r in 0..=cols.len() {
        let open = r < cols.len() && cols[r].is_none() && tc[r].is_some();
        match (open, gap) {
            (true, None) => gap = Some(r),
            (false, Some(a)) => {
                if r - a > MAX_BRIDGE_ROWS as usize {
                    println!(
                        "  gap rows {a}..={} ({} rows), truth col {:.1}..{:.1}",
                        r - 1,
                        r - a,
                        tc[a].unwrap(),
                        tc[r - 1].unwrap()
                    );
                }
                gap = None;
            }
            _ => {}
        }
    }
    std::fs::create_dir_all(out).unwrap();
    let stem = format!("{case}-{}-{model}", cal.trim_end_matches(".json"));
    // Whole map, downscaled along rows to at most 2000 rows, for orientation.
    let (w, h) = (l.map.width, l.map.height);
    let draw = |r0: usize, r1: usize, rstep: usize, scale: u32, name: String| {
        let rows = (r1 - r0).div_ceil(rstep);
        let mut img = image::RgbImage::new(w as u32 * scale, rows as u32 * scale);
        for (k, r) in (r0..r1).step_by(rstep).enumerate() {
            for c in 0..w {
                let mut v = 0u8;
                for rr in r..(r + rstep).min(h) {
                    v = v.max(l.map.data[rr * w + c]);
                }
                let g = 255 - v;
                for dy in 0..scale {
                    for dx in 0..scale {
                        img.put_pixel(c as u32 * scale + dx, k as u32 * scale + dy, image::Rgb([g, g, g]));
                    }
                }
            }
            let mut dot = |x: f64, color: [u8; 3]| {
                let px = ((x + 0.5) * scale as f64).floor();
                if px >= 0.0 && px < (w as u32 * scale) as f64 {
                    for dy in 0..scale {
                        img.put_pixel(px as u32, k as u32 * scale + dy, image::Rgb(color));
                    }
                }
            };
            if let Some(t) = tc[r] {
                dot(t - 1.5, [0, 170, 0]);
                dot(t + 1.5, [0, 170, 0]);
            }
            if let Some(c) = cols[r] {
                dot(f64::from(c), [230, 0, 0]);
            }
            if let Some(s) = seed {
                if (s.row.round() as usize) >= r && (s.row.round() as usize) < r + rstep {
                    for d in -4..=4 {
                        dot(f64::from(s.col) + f64::from(d), [0, 0, 255]);
                    }
                }
            }
        }
        let p = out.join(name);
        img.save(&p).unwrap();
        println!("  wrote {}", p.display());
    };
    let rstep = h.div_ceil(2000).max(1);
    draw(0, h, rstep, 1, format!("{stem}-all.png"));
    for (i, &(a, b)) in bad.iter().take(8).enumerate() {
        let r0 = a.saturating_sub(150);
        let r1 = (b + 150).min(h).min(r0 + 700);
        draw(r0, r1, 1, 2, format!("{stem}-off{i}-{r0}.png"));
    }
}

/// Rows of each two-curve case by where the path is: on its curve (within 2
/// columns of the truth), on the other curve (within 2 columns of it and
/// further from its own), elsewhere, or a gap; with the share of the summed
/// column error each class carries.
fn diag(models: &[String]) {
    // (case, curve, the other curve in its track); crossing-seed has no truth for NPHI.
    const PAIRS: &[(&str, &str, &str)] = &[
        ("full-g4", "track1-gr", "track1-sp"),
        ("full-g4", "track1-sp", "track1-gr"),
        ("full-g4", "track2-rhob", "track2-nphi"),
        ("full-g4", "track2-nphi", "track2-rhob"),
        ("full-g4", "track3-ild", "track3-ilm"),
        ("full-g4", "track3-ilm", "track3-ild"),
        ("crossing-seed", "case", ""),
    ];
    let p = params();
    for m in models {
        for &(case, a, b) in PAIRS {
            let (cal, truth) = if case == "full-g4" {
                (format!("{a}.json"), format!("{a}.truth.csv"))
            } else {
                ("case.json".to_string(), "truth.csv".to_string())
            };
            let l = load(case, &cal, &truth, m);
            let tc = truth_cols(&l);
            // The other curve's truth in this map's columns (through its own calibration).
            let oc: Vec<Option<f64>> = if b.is_empty() {
                vec![None; l.map.height]
            } else {
                truth_cols(&load(case, &format!("{b}.json"), &format!("{b}.truth.csv"), m))
            };
            let cols = trace_with_ink(&l.map, Some(&l.track.data), seed_of(&l), &p).unwrap();
            let (nmae, cov) = score(&to_curve(&l, &cols), &l.truth, &l.cal);
            let (mut n, mut e) = ([0usize; 5], [0f64; 5]);
            for ((col, t), o) in cols.iter().zip(&tc).zip(&oc) {
                let Some(t) = *t else { continue };
                let k = match *col {
                    None => 3,
                    Some(c) => {
                        let c = f64::from(c);
                        let d = (c - t).abs();
                        let k = if d <= 2.0 {
                            0
                        } else if o.is_some_and(|o| (c - o).abs() <= 2.0) {
                            1
                        } else if d <= 6.0 {
                            2
                        } else {
                            4
                        };
                        e[k] += d;
                        k
                    }
                };
                n[k] += 1;
            }
            if let Ok(dir) = std::env::var("DIAG_DUMP") {
                std::fs::create_dir_all(&dir).unwrap();
                let mut csv = String::from("row,trace,truth,other\n");
                let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
                for (r, ((col, t), o)) in cols.iter().zip(&tc).zip(&oc).enumerate() {
                    csv += &format!("{r},{},{},{}\n", f(col.map(f64::from)), f(*t), f(*o));
                }
                std::fs::write(Path::new(&dir).join(format!("{case}-{a}-{m}.csv")), csv).unwrap();
                let ink: Vec<u8> = l.track.data.iter().flat_map(|v| v.to_le_bytes()).collect();
                std::fs::write(Path::new(&dir).join(format!("{case}-{a}.ink")), ink).unwrap();
                let sd = seed_of(&l).map_or(String::new(), |s| format!("{} {}", s.col, s.row));
                std::fs::write(
                    Path::new(&dir).join(format!("{case}-{a}-{m}.meta")),
                    format!("{} {} {sd}\n", l.map.width, l.map.height),
                )
                .unwrap();
            }
            let tot: f64 = e.iter().sum();
            let rows: usize = n.iter().sum();
            println!(
                "{m:5} {case:14} {a:12} NMAE {nmae:.5} cov {:6.2}% | ok {:5} | other {:5} ({:4.1}% err) | near 2-6 {:5} ({:4.1}%) | far {:5} ({:4.1}%) | gap {:4} | mean |err| {:.2} col",
                cov * 100.0,
                n[0],
                n[1],
                100.0 * e[1] / tot,
                n[2],
                100.0 * e[2] / tot,
                n[4],
                100.0 * e[4] / tot,
                n[3],
                tot / rows.max(1) as f64
            );
        }
    }
}

/// Scores every case folder under `dir` (as written by `scripts/train/eval_cases.py`:
/// `scan.png`, `case.json`, `truth.csv`, `tags`) with each checkpoint, and the
/// agreement of the two checkpoints' traced paths (rows where either has a value,
/// within 1 map column).
fn eval(dir: &Path, models: &[String]) {
    let p = params();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("case.json").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let mut sums: std::collections::BTreeMap<String, (usize, usize, f64, f64, f64)> = Default::default();
    let mut agree_all = Vec::new();
    for name in &names {
        let d = dir.join(name);
        let tags = std::fs::read_to_string(d.join("tags")).unwrap_or_default();
        let mut paths = Vec::new();
        for m in models {
            let l = load_dir(&d, &eval_key(&d), "case.json", "truth.csv", m);
            let cols = match trace_with_ink(&l.map, Some(&l.track.data), seed_of(&l), &p) {
                Ok(c) => c,
                Err(e) => {
                    println!("FAIL {m:5} {name:12} {:28} error: {e}", tags.trim());
                    vec![None; l.map.height]
                }
            };
            if let Ok(dump) = std::env::var("DIAG_DUMP") {
                let ink: Vec<u8> = l.track.data.iter().flat_map(|v| v.to_le_bytes()).collect();
                std::fs::create_dir_all(&dump).unwrap();
                std::fs::write(Path::new(&dump).join(format!("eval-{name}-case.ink")), ink).unwrap();
                let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
                let mut csv = String::from("row,trace,truth\n");
                for (r, (c, t)) in cols.iter().zip(truth_cols(&l)).enumerate() {
                    csv += &format!("{r},{},{}\n", f(c.map(f64::from)), f(t));
                }
                std::fs::write(Path::new(&dump).join(format!("eval-{name}-{m}.csv")), csv).unwrap();
                std::fs::write(
                    Path::new(&dump).join(format!("eval-{name}-{m}.meta")),
                    format!("{} {}\n", l.map.width, l.map.height),
                )
                .unwrap();
            }
            let curve = cols.iter().any(Option::is_some).then(|| to_curve(&l, &cols));
            let (nmae, cov) = curve.as_ref().map_or((f64::NAN, 0.0), |c| score(c, &l.truth, &l.cal));
            let ok = nmae <= 0.01 && cov >= 0.98;
            // Samples given a value beyond the ends of the true curve (as a fraction of its samples).
            let beyond = curve.as_ref().map_or(0.0, |curve| {
                let (t0, t1) = (l.truth.first().map_or(0.0, |t| t.0), l.truth.last().map_or(0.0, |t| t.0));
                let step = (t1 - t0) / l.truth.len().max(2) as f64;
                let n = curve
                    .depth
                    .iter()
                    .zip(&curve.value)
                    .filter(|(d, v)| v.is_some() && (**d < t0 - step || **d > t1 + step))
                    .count();
                n as f64 / l.truth.len().max(1) as f64
            });
            println!(
                "{} {m:5} {name:12} {:28} NMAE {nmae:.5} cov {:6.2}% beyond {:6.1}%",
                if ok { "ok  " } else { "FAIL" },
                tags.trim(),
                cov * 100.0,
                beyond * 100.0
            );
            for tag in std::iter::once("all").chain(tags.split_whitespace()) {
                let e = sums.entry(format!("{m} {tag}")).or_default();
                e.0 += 1;
                e.1 += usize::from(ok);
                e.2 += if nmae.is_finite() { nmae } else { 0.0 };
                e.3 += cov;
                e.4 += beyond;
            }
            paths.push(cols);
        }
        if paths.len() == 2 {
            let (mut ok, mut n) = (0usize, 0usize);
            for (a, b) in paths[0].iter().zip(&paths[1]) {
                if a.is_none() && b.is_none() {
                    continue;
                }
                n += 1;
                if let (Some(a), Some(b)) = (a, b) {
                    ok += usize::from((a - b).abs() <= 1.0);
                }
            }
            let f = ok as f64 / n.max(1) as f64;
            println!("     agree {name:12} {:.2}%", f * 100.0);
            agree_all.push(f);
        }
    }
    println!("summary (cases, pass, mean NMAE, mean coverage, mean samples beyond the true curve's ends):");
    for (k, (n, ok, s, c, b)) in &sums {
        println!(
            "  {k:16} n {n:3} pass {ok:3} ({:5.1}%) NMAE {:.5} cov {:.4} beyond {:.4}",
            100.0 * *ok as f64 / *n as f64,
            s / *n as f64,
            c / *n as f64,
            b / *n as f64
        );
    }
    if !agree_all.is_empty() {
        let mean = agree_all.iter().sum::<f64>() / agree_all.len() as f64;
        let n99 = agree_all.iter().filter(|&&f| f >= 0.99).count();
        println!(
            "  int8 vs fp32 within 1 column: mean {:.2}%, {n99} of {} tracks >= 99%",
            mean * 100.0,
            agree_all.len()
        );
    }
}

fn bench() {
    use std::f64::consts::TAU;
    let (w, h) = (256usize, 20_000usize);
    let a = |r: f64| 128.0 + 100.0 * (r * TAU / 3000.0).sin();
    let b = |r: f64| 128.0 + 90.0 * (r * TAU / 1700.0 + 1.0).sin();
    let mut data = vec![0u8; w * h];
    for r in 0..h {
        for x in [a(r as f64), b(r as f64)] {
            for c in 0..w {
                let d = (c as f64 - x).abs();
                let v = ((1.5 - d).clamp(0.0, 1.0) * 255.0) as u8;
                data[r * w + c] = data[r * w + c].max(v);
            }
        }
    }
    let map = ProbMap { width: w, height: h, data };
    let p = params();
    // FNV-1a over the traced positions' bits: the same paths print the same hashes.
    let hash = |t: &[Option<f32>]| {
        t.iter()
            .flat_map(|v| v.map_or(u32::MAX, f32::to_bits).to_le_bytes())
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    };
    for _ in 0..3 {
        let t0 = Instant::now();
        let t = trace(&map, Some(Seed { col: a(10_000.0) as f32, row: 10_000.0 }), &p).unwrap();
        let dt = t0.elapsed();
        println!("256 x 20,000 seeded trace: {dt:?} ({} rows, path {:016x})", t.len(), hash(&t));
        let t0 = Instant::now();
        let t = trace(&map, None, &p).unwrap();
        let dt = t0.elapsed();
        println!("256 x 20,000 unseeded trace: {dt:?} (path {:016x})", hash(&t));
    }
}

/// `dump`: the track and its probability map as PGM images (see the file's doc).
fn dump(scan: &Path, x0: f64, x1: f64, model: &str, prefix: &str) {
    let pgm = |path: String, w: usize, h: usize, px: Vec<u8>| {
        let mut out = format!("P5\n{w} {h}\n255\n").into_bytes();
        out.extend(px);
        std::fs::write(path, out).unwrap();
    };
    let image = decode(&std::fs::read(scan).unwrap(), &Limits::default()).unwrap();
    let track = prepare_track(&image, x0, x1, MODEL_WIDTH).unwrap();
    let model_bytes = std::fs::read(model_path(model)).unwrap();
    let map = segment_tta(&track, &Model::from_bytes(&model_bytes).unwrap(), model);
    let (w, h) = (track.width, track.height);
    let ink = track.data.iter().map(|v| 255 - (v.clamp(0.0, 1.0) * 255.0) as u8).collect();
    pgm(format!("{prefix}.ink.pgm"), w, h, ink);
    pgm(format!("{prefix}.map.pgm"), w, h, map.data.iter().map(|v| 255 - v).collect());
    println!("{w} x {h} track rows for {} scan rows", track.src_height);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("table") => {
            let models: Vec<String> =
                if args.len() > 1 { args[1..].to_vec() } else { vec!["fp32".into(), "int8".into()] };
            table(&models);
        }
        Some("show") if args.len() == 6 => show(&args[1], &args[2], &args[3], &args[4], Path::new(&args[5])),
        Some("bench") => bench(),
        Some("dump") if args.len() == 6 => {
            dump(Path::new(&args[1]), args[2].parse().unwrap(), args[3].parse().unwrap(), &args[4], &args[5])
        }
        Some("eval") if args.len() >= 2 => {
            let models: Vec<String> =
                if args.len() > 2 { args[2..].to_vec() } else { vec!["fp32".into(), "int8".into()] };
            eval(Path::new(&args[1]), &models);
        }
        Some("diag") => {
            let models: Vec<String> =
                if args.len() > 1 { args[1..].to_vec() } else { vec!["fp32".into(), "int8".into()] };
            diag(&models);
        }
        _ => {
            eprintln!("usage: trace_debug table [MODEL..] | show CASE CAL.json TRUTH.csv MODEL OUT_DIR | bench | diag [MODEL..] | eval DIR [MODEL..] | dump SCAN X0 X1 MODEL OUT_PREFIX");
            std::process::exit(2);
        }
    }
}
