//! The forward pass against tract on the same files and the same real tiles.

// Test code (the module is `cfg(all(test, ...))`, which clippy's test allowance does not see).
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::model::{Engine, Model};

fn repo(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)).unwrap()
}

/// Rows `row0..row0 + rows` of track 20:395 of the sample print, prepared as the pipeline
/// prepares it (ink = 1.0, 256 columns).
fn real_tile(row0: usize, rows: usize) -> (Vec<f32>, usize) {
    let scan = repo("crate/tests/cases/full-g4/scan.tif");
    let image = crate::decode::decode(&scan, &crate::limits::Limits::default()).unwrap();
    let track = crate::preprocess::prepare_track(&image, 20.0, 395.0, crate::MODEL_WIDTH).unwrap();
    (track.data[row0 * track.width..(row0 + rows) * track.width].to_vec(), track.width)
}

/// (max |a - b|, pixels on different sides of 0.5)
fn compare(a: &[f32], b: &[f32]) -> (f32, usize) {
    assert_eq!(a.len(), b.len());
    let max = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    (max, a.iter().zip(b).filter(|(x, y)| (**x > 0.5) != (**y > 0.5)).count())
}

#[test]
fn both_checkpoints_agree_with_tract_on_a_real_tile() {
    let (tile, cols) = real_tile(4096, 256);
    for name in ["veernet-fp32.onnx", "veernet-int8.onnx"] {
        let bytes = repo(&format!("models/{name}"));
        let net = Net::from_onnx(&bytes).unwrap();
        let tract = Model::from_bytes_on(&bytes, Engine::Tract).unwrap();
        assert_eq!(net.precision(), tract.precision());
        let (ours, theirs) = (net.run_tile(&tile, 256, cols).unwrap(), tract.run_tile(&tile, 256, cols).unwrap());
        let (max, crossing) = compare(&ours, &theirs);
        assert!(max < 1e-3, "{name}: max |ours - tract| {max}");
        assert_eq!(crossing, 0, "{name}: {crossing} pixels on the other side of 0.5");
        assert!(ours.iter().filter(|&&p| p > 0.5).count() > 200, "{name}: the curve is found");
    }
}

#[test]
fn the_int8_file_with_its_activation_pairs_run_agrees_with_tract_running_them() {
    // tract on the file as it is (pairs kept), as Model::from_bytes did before it folded them.
    let bytes = repo("models/veernet-int8.onnx");
    let (rows, cols) = (128, 256);
    let (tile, _) = real_tile(6000, rows);
    use tract_onnx::prelude::*;
    let plan = tract_onnx::onnx()
        .model_for_read(&mut std::io::Cursor::new(&bytes))
        .unwrap()
        .with_input_fact(0, f32::fact([1, 1, rows, cols]).into())
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let out =
        plan.run(tvec![tract_onnx::prelude::Tensor::from_shape(&[1, 1, rows, cols], &tile).unwrap().into()]).unwrap();
    let theirs: Vec<f32> = out[0].to_plain_array_view::<f32>().unwrap().iter().copied().collect();
    let net = Net::from_onnx_with(&bytes, ActivationQdq::Run).unwrap();
    let ours = net.run_tile(&tile, rows, cols).unwrap();
    let (max, crossing) = compare(&ours, &theirs);
    let mean = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).sum::<f32>() / ours.len() as f32;
    // A value on a rounding boundary can land one 8-bit step apart (sums in another order).
    println!("pairs run: mean {mean:.2e}, max {max:.3}, {crossing} of {} pixels across 0.5", ours.len());
    assert!(mean < 1e-3 && max < 0.25 && crossing < 20, "mean {mean}, max {max}, {crossing} across 0.5");
    // And it is not the folded network.
    let folded = Net::from_onnx(&bytes).unwrap().run_tile(&tile, rows, cols).unwrap();
    assert!(compare(&ours, &folded).0 > 1e-3);
}

#[test]
fn the_digit_reader_agrees_with_tract() {
    use crate::digits::Classify;
    let bytes = repo("models/digits.onnx");
    let reader = crate::digits::DigitReader::from_bytes_on(&bytes, Engine::Tract).unwrap();
    let own = crate::digits::DigitReader::from_bytes_on(&bytes, Engine::Own).unwrap();
    let net = Net::from_onnx(&bytes).unwrap();
    let (tile, cols) = real_tile(7000, 16);
    for k in 0..8 {
        let crop: Vec<f32> = (0..24 * 24).map(|i| tile[(i / 24) % 16 * cols + (i % 24) + k * 29]).collect();
        let (shape, logits) = net.run(&[1, 1, 24, 24], &crop).unwrap();
        assert_eq!(shape, vec![1, 11]);
        let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let sum: f32 = logits.iter().map(|v| (v - max).exp()).sum();
        let ours: Vec<f32> = logits.iter().map(|v| (v - max).exp() / sum).collect();
        let theirs = reader.classify(&crop).unwrap();
        assert!(compare(&ours, &theirs).0 < 1e-5, "{ours:?} vs {theirs:?}");
        // The reader on the own engine is the same softmax of the same logits.
        assert!(compare(&own.classify(&crop).unwrap(), &theirs).0 < 1e-5);
    }
}

#[test]
fn convolution_equals_the_textbook_sum_on_odd_sizes() {
    // 5 output channels (not a whole block), width 13 (not a whole strip), both kernels.
    for k in [1usize, 3] {
        let (cin, cout, h, w) = (3, 5, 7, 13);
        let weights: Vec<f32> = (0..cout * cin * k * k).map(|i| ((i * 37 % 17) as f32 - 8.0) / 8.0).collect();
        let bias: Vec<f32> = (0..cout).map(|i| i as f32 * 0.25 - 0.5).collect();
        let x: Vec<f32> = (0..cin * h * w).map(|i| ((i * 13 % 11) as f32 - 5.0) / 5.0).collect();
        let pad = (k / 2) as i64;
        let conv = conv::Conv::new(
            &Tensor::f32(vec![cout, cin, k, k], weights.clone()),
            Some(&Tensor::f32(vec![cout], bias.clone())),
            &[pad; 4],
        )
        .unwrap();
        let got = conv.run(&Tensor::f32(vec![1, cin, h, w], x.clone())).unwrap();
        assert_eq!(got.shape, vec![1, cout, h, w]);
        let got = got.floats().unwrap();
        for co in 0..cout {
            for y in 0..h as i64 {
                for xx in 0..w as i64 {
                    let mut s = bias[co];
                    for ci in 0..cin {
                        for ky in 0..k as i64 {
                            for kx in 0..k as i64 {
                                let (iy, ix) = (y + ky - pad, xx + kx - pad);
                                if iy >= 0 && ix >= 0 && iy < h as i64 && ix < w as i64 {
                                    s += weights[((co * cin + ci) * k + ky as usize) * k + kx as usize]
                                        * x[(ci * h + iy as usize) * w + ix as usize];
                                }
                            }
                        }
                    }
                    let g = got[(co * h + y as usize) * w + xx as usize];
                    assert!((g - s).abs() < 1e-5, "k {k} co {co} y {y} x {xx}: {g} vs {s}");
                }
            }
        }
    }
}

#[test]
fn resize_pool_and_quantisation_follow_onnx() {
    let x = Tensor::f32(vec![1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]);
    let up = ops::resize_nearest(&x, 2, 2).unwrap();
    assert_eq!(up.floats().unwrap(), &[1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.]);
    let down = ops::max_pool(&up, [2, 2], [2, 2]).unwrap();
    assert_eq!(down, x);
    // Round half to even, saturate, per-tensor and per-channel.
    let v = Tensor::f32(vec![6], vec![0.5, 1.5, 2.5, -0.5, 300.0, -3.0]);
    let q =
        ops::quantize(&v, &Tensor::f32(vec![], vec![1.0]), Some(&Tensor::int(vec![], vec![0], tensor::IntKind::U8)), 1)
            .unwrap();
    assert_eq!(q.ints().unwrap(), &[0, 2, 2, 0, 255, 0]);
    let w = Tensor::int(vec![2, 2], vec![-128, 127, 1, -1], tensor::IntKind::I8);
    let d = ops::dequantize(&w, &Tensor::f32(vec![2], vec![0.5, 2.0]), None, 0).unwrap();
    assert_eq!(d.floats().unwrap(), &[-64.0, 63.5, 2.0, -2.0]);
}

#[test]
fn exp_is_within_a_few_ulp_of_the_library() {
    let mut worst = 0f32;
    for i in -87_000..88_000 {
        let x = i as f32 / 1000.0 + 0.000_37;
        let (ours, lib) = (ops::exp(x), x.exp());
        worst = worst.max((ours - lib).abs() / lib);
    }
    assert!(worst < 4.0 * f32::EPSILON, "relative error {worst}");
    assert!(ops::exp(-1000.0) > 0.0 && ops::exp(1000.0).is_finite());
}

#[test]
fn a_damaged_file_is_refused_with_a_model_error() {
    let bytes = repo("models/veernet-int8.onnx");
    for cut in [1, 100, 5_000, bytes.len() / 2, bytes.len() - 3] {
        let err = Net::from_onnx(&bytes[..cut]).unwrap_err();
        assert!(matches!(err.kind(), "model" | "unsupported"), "cut at {cut}: {err}");
    }
    assert_eq!(Net::from_onnx(&[]).unwrap_err().kind(), "model");
    assert_eq!(Net::from_onnx(b"not an onnx file at all").unwrap_err().kind(), "model");
}
