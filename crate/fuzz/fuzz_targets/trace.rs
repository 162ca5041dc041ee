//! `trace_with_ink` on an arbitrary small probability map, with or without a seed and
//! with or without the track's ink (which turns on straight-line marking and, with a
//! seed, the appearance cost): a documented error, or one entry per row with columns
//! inside the map.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use veer::trace::{trace_with_ink, ProbMap, Seed, TraceParams};

#[derive(Debug, Arbitrary)]
struct Input {
    width: u8,
    height: u16,
    seed: Option<(f32, f32)>,
    cells: Vec<u8>,
    /// The track's ink, repeated over the map like `cells` (levels / 255); none when empty.
    ink: Vec<u8>,
}

fuzz_target!(|inp: Input| {
    let (w, h) = (usize::from(inp.width % 80), usize::from(inp.height % 700));
    // Repeat the fuzzer's bytes over the map, so that small inputs make long maps.
    let data: Vec<u8> = (0..w * h).map(|i| inp.cells.get(i % inp.cells.len().max(1)).copied().unwrap_or(0)).collect();
    let map = ProbMap { width: w, height: h, data };
    let ink: Option<Vec<f32>> = (!inp.ink.is_empty())
        .then(|| (0..w * h).map(|i| f32::from(inp.ink[i % inp.ink.len()]) / 255.0).collect());
    let seed = inp.seed.map(|(col, row)| Seed { col, row });
    match trace_with_ink(&map, ink.as_deref(), seed, &TraceParams::default()) {
        Ok(cols) => {
            assert_eq!(cols.len(), h);
            for c in cols.into_iter().flatten() {
                assert!(c.is_finite() && c >= 0.0 && c <= (w - 1) as f32, "column {c} outside 0..{w}");
            }
        }
        Err(e) => {
            assert!(matches!(e.kind(), "bad_parameter" | "no_curve" | "limits"), "{}: {e}", e.kind());
            assert!(!e.to_string().contains('\n'));
        }
    }
});
