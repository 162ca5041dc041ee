//! Preprocessing in process, single thread: decode + grayscale + resize to the model
//! width (256 columns, height by aspect) of the 1,300 x 13,000 px sample print as
//! 1-bit G4 TIFF, 8-bit PNG and JPEG. `scripts/bench` writes the PNG and JPEG (from
//! the same scan, with Pillow) into `target/bench/` and compares these medians with
//! ImageMagick doing the same; see BENCHMARKS.md.
//!
//! ```text
//! cargo bench -p veer --bench preprocess
//! ```
//!
//! Also measured apart, to show where the time goes: `decode` alone and `prepare`
//! (crop + ink + resize) alone, whole width and one 376 px track.

// Benchmark code: a missing input stops it with a message.
#![allow(clippy::panic)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use veer::decode::decode;
use veer::limits::Limits;
use veer::preprocess::prepare_track;
use veer::MODEL_WIDTH;

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bench_dir =
        std::env::var_os("VEER_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|| crate_dir.join("../target/bench"));
    let files = [
        ("g4-tiff", crate_dir.join("tests/cases/full-g4/scan.tif")),
        ("png", bench_dir.join("scan-1300x13000.png")),
        ("jpeg", bench_dir.join("scan-1300x13000.jpg")),
    ];
    files
        .into_iter()
        .map(|(name, path)| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e}; run scripts/bench (it writes the PNG and JPEG copies first)", path.display())
            });
            (name, bytes)
        })
        .collect()
}

fn preprocess(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("preprocess");
    g.sample_size(20).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(2));
    for (name, bytes) in inputs() {
        let img = decode(&bytes, &limits).expect("decode");
        let full = f64::from(img.width - 1);
        g.bench_function(format!("decode+prepare/{name}"), |b| {
            b.iter(|| {
                let img = decode(std::hint::black_box(&bytes), &limits).expect("decode");
                prepare_track(&img, 0.0, f64::from(img.width - 1), MODEL_WIDTH).expect("prepare")
            })
        });
        g.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode(std::hint::black_box(&bytes), &limits).expect("decode"))
        });
        if name == "g4-tiff" {
            g.bench_function("prepare/whole-width", |b| {
                b.iter(|| prepare_track(std::hint::black_box(&img), 0.0, full, MODEL_WIDTH).expect("prepare"))
            });
            g.bench_function("prepare/track-20-395", |b| {
                b.iter(|| prepare_track(std::hint::black_box(&img), 20.0, 395.0, MODEL_WIDTH).expect("prepare"))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, preprocess);
criterion_main!(benches);
