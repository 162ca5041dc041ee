//! The depth-number reader and the depth fit on rendered labels (`crate/tests/data/digits/`, written by
//! `scripts/train/digits/labels.py fixtures`; see its README).
//!
//! Every label fixture is read alone in a depth column; two depth columns (upright and sideways)
//! hold 50 ft labels every 250 rows from 300 ft on row 150, with 500 printed as 900: the fit must
//! reject that one and put every other label within a row of its depth line.

use veer::decode::{decode, GrayImage};
use veer::digits::{fit_depth, read_labels, DigitReader, Orientation};
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
