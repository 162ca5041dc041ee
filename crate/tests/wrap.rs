//! Backup (wrap-around) scales: a rendered gamma ray on 0-150 that passes 150 and is drawn
//! on its backup scale 150-300 from the track's left edge comes out as one curve in true
//! values (`crate/src/trace/wrap.rs`); one that only reaches its track's edge, with the same
//! backup scale given, is not read as wrapped.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use veer::decode::GrayImage;
use veer::limits::Limits;
use veer::model::Model;
use veer::pipeline::digitise_project_bytes;
use veer::project::Project;

const WIDTH: usize = 480;
const HEIGHT: usize = 4000;
const X0: f64 = 40.0;
const X1: f64 = 440.0;

/// The gamma ray at a row: 8 to 232 API, over 150 (wrapped) twice, with the wiggles of a
/// real log (a smooth line is grid to the model).
fn gr(row: f64) -> f64 {
    let wave = |period: f64| (2.0 * std::f64::consts::PI * row / period).sin();
    120.0 + 100.0 * wave(1800.0) + 8.0 * wave(37.0) + 4.0 * wave(13.0)
}

/// Rows where [`gr_to_the_edge`] reaches its track's right edge.
const TO_THE_EDGE: [usize; 3] = [1200, 2100, 3000];

/// A gamma ray that swings out to its track's right edge three times, in a few rows (a
/// shallow stroke), stays against it for 12 rows, and comes back, never past it, across a
/// hatched band (as kinney-heinen-1-4's does at 448 ft).
fn gr_to_the_edge(row: f64) -> f64 {
    let wave = |period: f64| (2.0 * std::f64::consts::PI * row / period).sin();
    let base = 60.0 + 8.0 * wave(37.0) + 4.0 * wave(13.0);
    let swing = TO_THE_EDGE
        .iter()
        .map(|&at| {
            let d = row - at as f64;
            if (-20.0..0.0).contains(&d) {
                (d + 20.0) / 20.0
            } else if (0.0..12.0).contains(&d) {
                1.0
            } else if (12.0..24.0).contains(&d) {
                (24.0 - d) / 12.0
            } else {
                0.0
            }
        })
        .fold(0.0, f64::max);
    base + swing * (149.5 - base)
}

/// A 1-bit print: a track with ten divisions and a depth line every 20 rows, and the gamma
/// ray `gr` drawn as a recorder draws it: values over 150 on the backup scale 150-300 from
/// the left edge; a hatched band 12 rows high across the track below each row of `bands`
/// (shading, as kinney-heinen-1-4 prints across its tracks).
fn render(gr: fn(f64) -> f64, bands: &[usize]) -> GrayImage {
    let mut data = vec![255u8; WIDTH * HEIGHT];
    let mut dot = |x: f64, y: usize, r: f64| {
        let (a, b) = ((x - r).round().max(0.0) as usize, ((x + r).round() as usize).min(WIDTH - 1));
        for xx in a..=b {
            data[y * WIDTH + xx] = 0;
        }
    };
    for y in 0..HEIGHT {
        for k in 0..=10 {
            dot(X0 + (X1 - X0) * f64::from(k) / 10.0, y, 0.5);
        }
        if y % 20 == 0 {
            for x in (X0 as usize)..=(X1 as usize) {
                dot(x as f64, y, 0.0);
            }
        }
    }
    for &b in bands {
        for y in b..b + 12 {
            for x in (X0 as usize)..=(X1 as usize) {
                if (x + y) % 6 < 2 || y <= b + 1 || y >= b + 10 {
                    dot(x as f64, y, 0.0);
                }
            }
        }
    }
    let x_of = |v: f64| X0 + (v % 150.0) / 150.0 * (X1 - X0);
    for y in 100..HEIGHT - 100 {
        let (v0, v1) = (gr(y as f64), gr(y as f64 + 1.0));
        let (a, b) = (x_of(v0), x_of(v1));
        if (v0 >= 150.0) == (v1 >= 150.0) {
            // The stroke from this row to the next, 3 px wide.
            for (x, yy) in [(a, y), (b, y + 1)] {
                dot(x, yy, 1.5);
            }
            let (lo, hi) = (a.min(b), a.max(b));
            let mut x = lo;
            while x <= hi {
                dot(x, y, 1.5);
                x += 1.0;
            }
        } else {
            // The wrap: the pen runs to one edge and comes back in at the other.
            dot(a, y, 1.5);
            dot(b, y + 1, 1.5);
        }
    }
    GrayImage { width: WIDTH as u32, height: HEIGHT as u32, data }
}

/// Digitises `gr` rendered with the backup scale 150-300 given, seeded at row 1,000 (on the
/// main scale); `(NMAE, coverage, samples over 150, true samples over 150)` over rows
/// 150..HEIGHT-150.
fn digitise(gr: fn(f64) -> f64, bands: &[usize], seeded: bool) -> (f64, f64, usize, usize) {
    let png = veer::encode::png_gray(&render(gr, bands)).unwrap();
    let seed_row = 1000.0;
    let seed_x = X0 + gr(seed_row) / 150.0 * (X1 - X0);
    let mut curve = serde_json::json!({"mnemonic": "GR", "unit": "GAPI", "track": [X0, X1], "scale": [0, 150],
                                       "backup": [[150, 300]]});
    if seeded {
        curve["seed"] = serde_json::json!([seed_x, seed_row]);
    }
    let project: Project = serde_json::from_value(serde_json::json!({
        "version": 1, "depth": [[0, 0], [HEIGHT as f64 - 1.0, HEIGHT as f64 - 1.0]], "step": 1.0, "curves": [curve]
    }))
    .unwrap();
    let model_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/veernet-fp32.onnx");
    let model = Model::from_bytes(&std::fs::read(model_path).unwrap()).unwrap();
    let out = digitise_project_bytes(&png, &project, &model, &Limits::default(), &mut |_, _| {}).unwrap();
    let log = &out.log;
    let values = &log.curves[0].value;
    let (mut errs, mut over, mut depths) = (Vec::new(), 0, 0);
    for (d, v) in log.depth.iter().zip(values) {
        if !(150.0..=HEIGHT as f64 - 150.0).contains(d) {
            continue;
        }
        depths += 1;
        if let Some(v) = v {
            errs.push((v - gr(*d)).abs() / 150.0);
            over += usize::from(*v > 150.0);
        }
    }
    let expected = (150..HEIGHT - 150).filter(|&r| gr(r as f64) > 150.0).count();
    let nmae = errs.iter().sum::<f64>() / errs.len().max(1) as f64;
    let coverage = errs.len() as f64 / depths.max(1) as f64;
    (nmae, coverage, over, expected)
}

#[test]
fn a_wrapped_gamma_ray_is_one_curve_in_true_values() {
    let (nmae, coverage, over, expected) = digitise(gr, &[], true);
    println!("wrapped GR: NMAE {nmae:.5}, coverage {coverage:.4}, {over} samples over 150 (the truth has {expected})");
    assert!(nmae <= 0.01 && coverage >= 0.98, "NMAE {nmae}, coverage {coverage}");
    assert!((over as f64) >= 0.95 * expected as f64, "{over} samples over 150, the truth has {expected}");
}

#[test]
fn a_curve_that_only_reaches_its_edge_is_not_wrapped() {
    // A hatched band across the track where the curve is against the edge.
    let (nmae, coverage, over, expected) = digitise(gr_to_the_edge, &TO_THE_EDGE, false);
    println!(
        "GR to the edge: NMAE {nmae:.5}, coverage {coverage:.4}, {over} samples over 150 (the truth has {expected})"
    );
    assert_eq!(expected, 0);
    assert!(over <= 10, "{over} samples over 150: read as wrapped");
    assert!(nmae <= 0.01 && coverage >= 0.98, "NMAE {nmae}, coverage {coverage}");
}
