//! `prepare_track` on a small image with arbitrary track edges and output width:
//! a bad-parameter error, or a track of the promised size with ink in [0, 1].
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use veer::decode::GrayImage;
use veer::preprocess::{prepare_track, tiles, Tile};

#[derive(Debug, Arbitrary)]
struct Input {
    width: u8,
    height: u8,
    x0: f64,
    x1: f64,
    out_width: u16,
    pixels: Vec<u8>,
}

fuzz_target!(|inp: Input| {
    let (w, h) = (u32::from(inp.width), u32::from(inp.height) * 4);
    let n = (w * h) as usize;
    let data: Vec<u8> = (0..n).map(|i| inp.pixels.get(i % inp.pixels.len().max(1)).copied().unwrap_or(255)).collect();
    let img = GrayImage { width: w, height: h, data };
    let out_width = usize::from(inp.out_width % 600);
    match prepare_track(&img, inp.x0, inp.x1, out_width) {
        Ok(t) => {
            assert_eq!(t.width, out_width);
            assert!(t.height >= 1);
            assert_eq!(t.data.len(), t.width * t.height);
            assert!(t.data.iter().all(|v| (0.0..=1.0).contains(v)), "ink outside [0, 1]");
            assert!(t.x0 + t.crop_width <= w as usize);
            for Tile { start, rows, padded_rows } in tiles(t.height) {
                assert!(start + rows <= t.height && padded_rows >= rows && padded_rows % 16 == 0);
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), "bad_parameter", "{e}");
            assert!(!e.to_string().contains('\n'));
        }
    }
});
