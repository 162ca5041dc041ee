//! `trace` on an arbitrary small probability map, with or without a seed: a documented
//! error, or one entry per row with columns inside the map.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use veer::trace::{trace, ProbMap, Seed, TraceParams};

#[derive(Debug, Arbitrary)]
struct Input {
    width: u8,
    height: u16,
    seed: Option<(f32, f32)>,
    cells: Vec<u8>,
}

fuzz_target!(|inp: Input| {
    let (w, h) = (usize::from(inp.width % 80), usize::from(inp.height % 700));
    // Repeat the fuzzer's bytes over the map, so that small inputs make long maps.
    let data: Vec<u8> = (0..w * h).map(|i| inp.cells.get(i % inp.cells.len().max(1)).copied().unwrap_or(0)).collect();
    let map = ProbMap { width: w, height: h, data };
    let seed = inp.seed.map(|(col, row)| Seed { col, row });
    match trace(&map, seed, &TraceParams::default()) {
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
