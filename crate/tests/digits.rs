//! The depth-number reader and the depth fit on rendered labels (`crate/tests/data/digits/`, written by
//! `scripts/train/digits/labels.py fixtures`; see its README).
//!
//! Every label fixture is read alone in a depth column; two depth columns (upright and sideways)
//! hold 50 ft labels every 250 rows from 300 ft on row 150, with 500 printed as 900: the fit must
//! reject that one and put every other label within a row of its depth line.

use veer::decode::{decode, GrayImage};
use veer::digits::{fit_depth, read_labels, read_scales, DigitReader, Orientation};
use veer::limits::Limits;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/digits");
const MODEL: &[u8] = include_bytes!("../../models/digits.onnx");

fn load(name: &str) -> GrayImage {
    let bytes = std::fs::read(format!("{DATA}/{name}")).expect("a fixture in crate/tests/data/digits");
    decode(&bytes, &Limits::default()).expect("a PNG fixture that decodes")
}

/// The label pasted in the middle of a 160 x 400 page with a track edge either side, and the row of
/// its centre.
fn in_column(label: &GrayImage) -> (GrayImage, f64) {
    let (w, h) = (160u32, 400u32);
    let mut data = vec![255u8; (w * h) as usize];
    let (x0, y0) = ((w - label.width) / 2, (h - label.height) / 2);
    for y in 0..label.height {
        for x in 0..label.width {
            data[((y0 + y) * w + x0 + x) as usize] = label.row(y as usize)[x as usize];
        }
    }
    for y in 0..h {
        for x in [0, 1, w - 2, w - 1] {
            data[(y * w + x) as usize] = 0;
        }
    }
    (GrayImage { width: w, height: h, data }, y0 as f64 + (label.height - 1) as f64 / 2.0)
}

#[test]
fn reads_each_label_in_its_orientation() {
    let reader = DigitReader::from_bytes(MODEL).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(DATA)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("column_") && n.ends_with(".png"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "label fixtures missing in {DATA}");
    let mut wrong = Vec::new();
    for name in &names {
        let mut parts = name.split('_');
        let (text, orient) = (parts.next().unwrap(), parts.next().unwrap());
        let orientation = match orient {
            "upright" => Orientation::Upright,
            "ccw90" => Orientation::Ccw90,
            "cw90" => Orientation::Cw90,
            o => panic!("fixture {name}: orientation {o}"),
        };
        let (img, centre) = in_column(&load(name));
        let readings = read_labels(&img, 2, img.width - 2, &reader).unwrap();
        let got: Vec<(&str, Option<Orientation>)> = readings.iter().map(|r| (r.text.as_str(), r.orientation)).collect();
        if got != [(text, Some(orientation))] {
            wrong.push(format!("{name}: read {got:?}"));
        } else {
            let r = &readings[0];
            assert!((r.row - centre).abs() <= 2.0, "{name}: centre row {}, expected {centre}", r.row);
            assert!(r.confidence > 0.5, "{name}: confidence {}", r.confidence);
        }
    }
    assert!(wrong.is_empty(), "misread labels:\n{}", wrong.join("\n"));
}

#[test]
fn the_fit_rejects_a_planted_misread() {
    let reader = DigitReader::from_bytes(MODEL).unwrap();
    for (name, orientation) in [("column_upright.png", Orientation::Upright), ("column_ccw90.png", Orientation::Ccw90)]
    {
        let img = load(name);
        let readings = read_labels(&img, 0, img.width, &reader).unwrap();
        let texts: Vec<&str> = readings.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["300", "350", "400", "450", "900", "550", "600", "650", "700", "750"], "{name}");
        assert!(readings.iter().all(|r| r.orientation == Some(orientation)), "{name}: {readings:?}");
        let fit = fit_depth(&readings);
        assert_eq!(fit.missing, None, "{name}");
        // the misread label sits on 500 ft's line: the fit rejects its number and places the label by
        // its neighbours
        assert_eq!(fit.ties.len(), 10, "{name}: {:?}", fit.ties);
        assert_eq!(fit.ties.iter().filter(|t| !t.read).map(|t| t.depth).collect::<Vec<_>>(), [500.0], "{name}");
        assert_eq!(fit.rejected.len(), 1, "{name}: {:?}", fit.rejected);
        assert_eq!(fit.rejected[0].reading.text, "900");
        let why = &fit.rejected[0].reason;
        assert!(why.contains("does not fit") && why.contains("placed at 500"), "{why}");
        assert_eq!(fit.step, Some(50.0));
        assert!((fit.rows_per_unit - 5.0).abs() < 0.01, "{name}: {} rows per ft", fit.rows_per_unit);
        for t in &fit.ties {
            let row = 150.0 + (t.depth - 300.0) * 5.0;
            assert!((t.row - row).abs() <= 1.0, "{name}: {} ft on row {}, expected {row}", t.depth, t.row);
            assert!(t.confidence > if t.read { 0.5 } else { 0.2 }, "{name}: {t:?}");
        }
        // the depth of the misread label's line comes from the others
        assert!((fit.depth_at(150.0 + 4.0 * 250.0) - 500.0).abs() < 0.2, "{name}");
    }
}

/// The plotter font's characters, cut from the `3450` fixture at its blank columns (a gap of
/// one column stays inside a character): `3`, `4`, `5`, `0`, each `(width, height, ink)`.
fn plotter_digits() -> Vec<(char, GrayImage)> {
    let label = load("3450_upright_plotter.png");
    let inked: Vec<bool> =
        (0..label.width as usize).map(|x| (0..label.height as usize).any(|y| label.row(y)[x] < 128)).collect();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (x, &ink) in inked.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if ink && x <= r.1 + 2 => r.1 = x,
            _ if ink => runs.push((x, x)),
            _ => {}
        }
    }
    assert_eq!(runs.len(), 4, "the 3450 fixture's characters: {runs:?}");
    "3450"
        .chars()
        .zip(runs)
        .map(|(c, (a, b))| {
            let w = (b - a + 1) as u32;
            let data = (0..label.height as usize).flat_map(|y| label.row(y)[a..=b].to_vec()).collect();
            (c, GrayImage { width: w, height: label.height, data })
        })
        .collect()
}

/// A header band 1,500 x 300 px over three tracks (100-500, 500-900 and 1,000-1,400; the depth
/// column between), with scale boxes printed as a plotter prints them: the value at the left
/// edge against it, the value at the right edge against that one, a name between.
#[test]
fn header_scales_are_read_against_the_track_edges() {
    let digits = plotter_digits();
    let (w, h) = (1500u32, 300u32);
    let mut page = GrayImage { width: w, height: h, data: vec![255u8; (w * h) as usize] };
    let glyph_h = digits[0].1.height;
    let mut ink = |x: u32, y: u32| page.data[(y * w + x) as usize] = 0;
    // Prints `text` with its top-left at (x, y), or ending at x when `right`; '-' is a flat bar.
    let print = |text: &str, x: u32, y: u32, right: bool, ink: &mut dyn FnMut(u32, u32)| {
        let glyphs: Vec<Option<&GrayImage>> =
            text.chars().map(|c| digits.iter().find(|(d, _)| *d == c).map(|(_, g)| g)).collect();
        let width: u32 = glyphs.iter().map(|g| g.map_or(12, |g| g.width) + 4).sum();
        let mut at = if right { x - width } else { x };
        for g in glyphs {
            match g {
                Some(g) => {
                    for gy in 0..g.height {
                        for gx in 0..g.width {
                            if g.row(gy as usize)[gx as usize] < 128 {
                                ink(at + gx, y + gy);
                            }
                        }
                    }
                    at += g.width + 4;
                }
                None => {
                    for gy in glyph_h / 2 - 1..glyph_h / 2 + 2 {
                        for gx in 0..12 {
                            ink(at + gx, y + gy);
                        }
                    }
                    at += 16;
                }
            }
        }
    };
    // A curve's name: letter-sized hollow boxes and bars, the same ink wherever it is printed.
    let name = |x: u32, y: u32, ink: &mut dyn FnMut(u32, u32)| {
        for k in 0..8u32 {
            let x0 = x + k * 22;
            for gy in 0..24 {
                for gx in 0..14 {
                    let edge = !(3..=20).contains(&gy) || !(3..=10).contains(&gx);
                    if (k % 3 == 1 && gx > 5 && gx < 9) || (k % 3 != 1 && edge && !(k % 3 == 2 && gy > 12 && gx > 10)) {
                        ink(x0 + gx, y + gy);
                    }
                }
            }
        }
    };
    print("30", 104, 60, false, &mut ink);
    name(210, 60, &mut ink);
    print("0", 497, 60, true, &mut ink);
    print("0", 104, 110, false, &mut ink);
    name(210, 110, &mut ink);
    print("-30", 497, 110, true, &mut ink);
    print("5", 504, 160, false, &mut ink);
    print("40", 1397, 160, true, &mut ink);
    print("45", 1004, 210, false, &mut ink);
    print("435", 1397, 210, true, &mut ink);
    // a number in the depth column is against no track's edge
    print("5", 940, 60, false, &mut ink);
    // the tracks' edges and the box lines
    for y in 40..h {
        for x in [100, 500, 900, 1000, 1400] {
            ink(x, y);
        }
    }
    for y in [50, 100, 150, 200, 250] {
        for x in 100..1400 {
            ink(x, y);
        }
    }
    let reader = DigitReader::from_bytes(MODEL).unwrap();
    let edges = [[100.0, 500.0], [500.0, 900.0], [1000.0, 1400.0]];
    let scales = read_scales(&page, &edges, f64::from(h), &reader).unwrap();
    let got: Vec<([usize; 2], [f64; 2], Option<usize>)> =
        scales.iter().map(|s| (s.tracks, s.scale, s.backup_of)).collect();
    assert_eq!(
        got,
        vec![
            ([0, 0], [30.0, 0.0], None),
            ([0, 0], [0.0, -30.0], Some(0)),
            ([1, 2], [5.0, 40.0], None),
            ([2, 2], [45.0, 435.0], None),
        ],
        "{scales:#?}"
    );
}
