//! Calibration JSON: parse, validate (with and without an image size), and for a valid
//! calibration, finite axes and an exact JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veer::calibrate::Calibration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let cal = match Calibration::from_json(text) {
        Ok(c) => c,
        Err(e) => {
            assert_eq!(e.kind(), "bad_parameter");
            return;
        }
    };
    let valid = cal.validate();
    for (w, h) in [(0, 0), (1, 1), (1300, 13_000), (u32::MAX, u32::MAX)] {
        if let Err(e) = cal.validate_for_image(w, h) {
            assert_eq!(e.kind(), "bad_parameter", "{e}");
            assert!(!e.to_string().contains('\n'));
        }
    }
    if let Err(e) = valid {
        assert_eq!(e.kind(), "bad_parameter", "{e}");
        assert!(!e.to_string().contains('\n'));
        return;
    }
    let again = Calibration::from_json(&cal.to_json()).expect("a valid calibration's JSON parses");
    assert_eq!(again, cal, "JSON round trip");
    let (values, depths) = (cal.value_axis(), cal.depth_axis());
    for x in [cal.track[0], cal.track[1], (cal.track[0] + cal.track[1]) / 2.0] {
        let v = values.value_at(x);
        assert!(v.is_finite(), "value at column {x} is {v}");
    }
    for p in &cal.depth {
        let d = depths.depth_at(p[0]);
        assert!(d.is_finite(), "depth at tie row {} is {d}", p[0]);
    }
    assert!(depths.depth_per_row().is_finite());
});
