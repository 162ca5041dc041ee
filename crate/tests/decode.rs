//! Decoding every supported format and bit depth, and refusing bad input with
//! the right kind of error (never a panic). Fixtures: `tests/data/make_fixtures.py`.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use veer::decode::{decode, probe, Format};
use veer::limits::Limits;

const W: u32 = 67;
const H: u32 = 45;

fn data(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn decoded(rel: &str) -> Vec<u8> {
    let img = decode(&data(rel), &Limits::default()).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!((img.width, img.height), (W, H), "{rel}");
    img.data
}

#[test]
fn bilevel_tiffs_decode_exactly_in_every_compression() {
    let checker = data("decode/checker.gray");
    for comp in ["raw", "packbits", "tiff_lzw", "tiff_adobe_deflate", "group4"] {
        let rel = format!("decode/bilevel-{comp}.tif");
        assert_eq!(decoded(&rel), checker, "{rel}");
    }
    assert_eq!(decoded("decode/bilevel.png"), checker);
    assert_eq!(decoded("decode/gray8-lzw.tif"), checker);
}

#[test]
fn group3_fax_is_reported_as_unsupported_with_a_fix() {
    let e = decode(&data("decode/bilevel-group3.tif"), &Limits::default()).unwrap_err();
    assert_eq!(e.kind(), "unsupported");
    assert!(e.to_string().contains("G4"), "{e}");
}

#[test]
fn white_is_zero_g4_decodes_like_libtiff() {
    let inverted: Vec<u8> = data("decode/checker.gray").iter().map(|v| 255 - v).collect();
    assert_eq!(decoded("decode/bilevel-group4-whiteiszero.tif"), inverted);
}

#[test]
fn gray_and_colour_images_decode_to_luminance() {
    let gradient = data("decode/gradient.gray");
    for rel in [
        "decode/gradient-gray8.png",
        "decode/gradient-gray8-raw.tif",
        "decode/gradient-gray8-deflate.tif",
        "decode/gradient-gray8-packbits.tif",
        "decode/gradient-gray16.tif",
        "decode/gradient-gray16.png",
        "decode/gradient-rgb.png",
        "decode/gradient-rgb.tif",
        "decode/gradient-rgba.png",
        "decode/gradient-rgba.tif",
    ] {
        assert_eq!(decoded(rel), gradient, "{rel}");
    }
    for rel in ["decode/gradient-gray.jpg", "decode/gradient-rgb.jpg"] {
        let got = decoded(rel);
        let worst = got.iter().zip(&gradient).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(0);
        assert!(worst <= 12, "{rel}: JPEG differs by up to {worst}");
    }
}

#[test]
fn transparency_is_composited_onto_white_paper() {
    let got = decoded("decode/transparent-la.png");
    assert!(got.iter().all(|&v| (126..=128).contains(&v)), "{:?}", &got[..4]);
}

#[test]
fn probe_reads_the_header_only() {
    let info = probe(&data("decode/bilevel-group4.tif")).unwrap();
    assert_eq!((info.format, info.width, info.height, info.bits_per_pixel), (Format::Tiff, W, H, 1));
    let info = probe(&data("decode/gradient-rgb.png")).unwrap();
    assert_eq!((info.format, info.bits_per_pixel), (Format::Png, 24));
    let info = probe(&data("decode/gradient-gray.jpg")).unwrap();
    assert_eq!((info.format, info.bits_per_pixel), (Format::Jpeg, 8));
    // A decompression bomb is seen for what it is without decoding it.
    let info = probe(&data("bad/huge-declared-g4.tif")).unwrap();
    assert_eq!((info.width, info.height), (60_000, 2_000_000));
}

#[test]
fn limits_are_checked_before_decoding() {
    let tight = Limits { max_width: 60, ..Limits::default() };
    let e = decode(&data("decode/gradient-gray8.png"), &tight).unwrap_err();
    assert_eq!(e.kind(), "limits");
    assert!(e.to_string().contains("67 x 45"), "{e}");
    let tight = Limits { max_pixels: 1000, ..Limits::default() };
    assert_eq!(decode(&data("decode/bilevel-group4.tif"), &tight).unwrap_err().kind(), "limits");
    let tight = Limits { max_file_bytes: 10, ..Limits::default() };
    assert_eq!(decode(&data("decode/bilevel-group4.tif"), &tight).unwrap_err().kind(), "limits");
    let tight = Limits { max_decode_bytes: 1000, ..Limits::default() };
    assert_eq!(decode(&data("decode/gradient-rgb.png"), &tight).unwrap_err().kind(), "limits");
}

/// The bad-input corpus (`tests/data/bad/README.md`): each file, its expected error kind.
const BAD: &[(&str, &str)] = &[
    ("empty.png", "bad_input"),
    ("truncated.png", "bad_input"),
    ("truncated.jpg", "bad_input"),
    ("truncated-g4.tif", "bad_input"),
    ("wrong-magic.pdf", "unsupported"),
    ("text-named-as.tif", "unsupported"),
    ("scan.gif", "unsupported"),
    ("huge-declared.png", "limits"),
    ("huge-declared-g4.tif", "limits"),
    ("zero-width.png", "bad_input"),
    ("zero-width.tif", "bad_input"),
    ("garbage-strip-offsets.tif", "bad_input"),
    ("ifd-out-of-range.tif", "bad_input"),
    ("absurd-tag-count.tif", "bad_input"),
    ("unsupported-compression.tif", "unsupported"),
];

#[test]
fn bad_inputs_get_their_documented_error() {
    let mut wrong = Vec::new();
    for (name, kind) in BAD {
        match decode(&data(&format!("bad/{name}")), &Limits::default()) {
            Ok(img) => wrong.push(format!("{name}: decoded to {img:?}, expected {kind}")),
            Err(e) => {
                if e.kind() != *kind {
                    wrong.push(format!("{name}: {} ({e}), expected {kind}", e.kind()));
                }
                assert!(!e.to_string().is_empty() && !e.to_string().contains('\n'), "{name}: {e}");
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn every_corpus_file_is_listed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name != "README.md" {
            assert!(BAD.iter().any(|(n, _)| *n == name), "{name} is in the corpus but not in BAD");
        }
    }
}

#[test]
fn every_truncation_of_a_g4_tiff_fails_cleanly() {
    let full = data("decode/bilevel-group4.tif");
    for n in 0..full.len() {
        if let Ok(img) = decode(&full[..n], &Limits::default()) {
            // A cut inside trailing bytes may still decode; it must then be the right size.
            assert_eq!((img.width, img.height), (W, H), "cut at {n}");
        }
    }
    let png = data("decode/gradient-rgb.png");
    for n in 0..png.len() {
        let _ = decode(&png[..n], &Limits::default());
    }
}

/// Fuzz findings (`crate/fuzz/seeds/decode/`) stay fixed: each decodes or gets a clean
/// error, never a panic. The first: a damaged JPEG on which zune-jpeg 0.5.15 (image's
/// JPEG decoder) panicked in its AVX2 IDCT; veer decodes JPEG with jpeg-decoder.
#[test]
fn fuzz_findings_get_a_clean_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/decode");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Err(e) = decode(&bytes, &Limits::default()) {
            assert!(["bad_input", "unsupported", "limits"].contains(&e.kind()), "{}: {e}", path.display());
            assert!(!e.to_string().contains('\n'), "{}: {e}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 1, "no fuzz findings in {}", dir.display());
}
