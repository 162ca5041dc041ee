//! Resampling to a regular depth step, and the CSV, JSON and LAS 2.0 writers: of one
//! curve here, of several curves on one depth index in [`log`].
//!
//! The writers take a [`Curve`] on a regular grid (`depth[i] = start + i * step`,
//! rounded to the step's decimals) and return text; no I/O happens here.

use serde::Serialize;

use crate::error::{Error, Result};

mod log;
pub use log::{log_to_csv, log_to_json, log_to_las, write_log, Format, LasInfo, Log, LogCurve};

/// Most depths a resampled curve may hold (about 80 MB of depths and values).
pub const MAX_DEPTHS: usize = 10_000_000;

/// The LAS null value, also used for depths where no curve was found.
pub const LAS_NULL: f64 = -999.25;

/// One traced point: a depth and the curve's value there (one per traced row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Depth, in the depth unit.
    pub depth: f64,
    /// Curve value, in the curve's unit.
    pub value: f64,
}

/// A curve on a regular depth grid, increasing depth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    /// Curve mnemonic (LAS `~C`), e.g. `GR`.
    pub mnemonic: String,
    /// Unit of the values, e.g. `GAPI`; may be empty.
    pub unit: String,
    /// Depth unit, e.g. `M` or `FT`.
    pub depth_unit: String,
    /// Depth step (positive).
    pub step: f64,
    /// Depths: `depth[i] = start + i * step`, rounded to the step's decimals.
    pub depth: Vec<f64>,
    /// Values, `None` where no curve was found (null in LAS, left out of CSV and JSON).
    pub value: Vec<Option<f64>>,
    /// Depth ranges `[shallow, deep]` where the trace is unsure and a person should look
    /// (`trace::uncertain_rows`), in depth order; empty when nothing was marked.
    pub uncertain: Vec<[f64; 2]>,
}

/// One non-null point of a [`Curve`], the element of the JSON `curve` array.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Depth, in the curve's depth unit.
    pub depth: f64,
    /// Value, in the curve's unit.
    pub value: f64,
}

impl Curve {
    /// The non-null points, in depth order.
    pub fn points(&self) -> Vec<CurvePoint> {
        self.depth
            .iter()
            .zip(&self.value)
            .filter_map(|(&depth, v)| v.map(|value| CurvePoint { depth, value }))
            .collect()
    }

    /// Decimals needed to print this curve's depths exactly.
    fn depth_decimals(&self) -> usize {
        step_decimals(self.step)
    }
}

/// A "nice" depth step (1, 2, 2.5 or 5 times a power of ten) at least as large as
/// `depth_per_row`, so that no output depth interpolates more finely than the scan
/// resolves. Returns 1.0 when `depth_per_row` is not a positive finite number.
pub fn default_step(depth_per_row: f64) -> f64 {
    if !(depth_per_row.is_finite() && depth_per_row > 0.0) {
        return 1.0;
    }
    let k = depth_per_row.log10().floor() as i32;
    for e in [k - 1, k, k + 1] {
        for m in [1.0, 2.0, 2.5, 5.0] {
            // Division by an exact power of ten gives the double nearest the decimal.
            let s = if e >= 0 { m * 10f64.powi(e) } else { m / 10f64.powi(-e) };
            if s >= depth_per_row * (1.0 - 1e-12) {
                return s;
            }
        }
    }
    10f64.powi(k + 2)
}

/// A gap threshold for [`resample`]: interpolate across up to two missing rows
/// (three rows' worth of depth), never across longer gaps.
pub fn default_max_gap(depth_per_row: f64) -> f64 {
    3.0 * depth_per_row.abs()
}

/// What [`resample`] produces: grid step, gap rule, interpolation space and names.
#[derive(Debug, Clone, PartialEq)]
pub struct ResampleParams<'a> {
    /// Depth step, positive.
    pub step: f64,
    /// Largest depth distance between two neighbouring samples that is interpolated
    /// across; grid depths inside a wider gap are null.
    pub max_gap: f64,
    /// Interpolate in log10 of the value (logarithmic value axis).
    pub log: bool,
    /// Curve mnemonic, e.g. `GR`.
    pub mnemonic: &'a str,
    /// Value unit, e.g. `GAPI`; may be empty.
    pub unit: &'a str,
    /// Depth unit, e.g. `M`.
    pub depth_unit: &'a str,
}

/// Resamples traced samples onto a regular depth grid.
///
/// Samples come one per traced row, in any order: they are sorted by depth and
/// samples at equal depths are averaged. Samples with a non-finite depth or value,
/// and non-positive values on a log axis, are ignored. The grid runs from the first
/// sample's depth rounded up to a multiple of `step` to the last one's rounded
/// down; each grid depth gets the value interpolated linearly (in log10 space when
/// `log`) between its neighbouring samples when they are at most `max_gap` apart,
/// and `None` otherwise.
///
/// Errors: [`Error::BadParameter`] for a non-positive or non-finite step, a negative
/// or NaN `max_gap`, or a step longer than the curve; [`Error::NoCurve`] for fewer
/// than two usable samples; [`Error::Limits`] for a grid of more than
/// [`MAX_DEPTHS`] depths.
pub fn resample(samples: &[Sample], p: &ResampleParams<'_>) -> Result<Curve> {
    let step = p.step;
    if !(step.is_finite() && step > 0.0) {
        return Err(Error::bad_parameter(format!(
            "depth step must be a positive number, got {step}; give e.g. --step 0.1 or leave it out"
        )));
    }
    if p.max_gap.is_nan() || p.max_gap < 0.0 {
        return Err(Error::bad_parameter(format!(
            "the largest gap to interpolate across must be zero or more, got {}",
            p.max_gap
        )));
    }
    let to_space = |v: f64| if p.log { v.log10() } else { v };
    let from_space = |u: f64| if p.log { 10f64.powf(u) } else { u };
    let mut pts: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.depth.is_finite() && s.value.is_finite() && (!p.log || s.value > 0.0))
        .map(|s| (s.depth, to_space(s.value)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Average samples at equal depths.
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
    let mut i = 0;
    while i < pts.len() {
        let d = pts[i].0;
        let mut sum = 0.0;
        let mut n = 0.0;
        while i < pts.len() && pts[i].0 == d {
            sum += pts[i].1;
            n += 1.0;
            i += 1;
        }
        merged.push((d, sum / n));
    }
    let (Some(&(first, _)), Some(&(last, _))) = (merged.first(), merged.last()) else {
        return Err(no_samples(merged.len()));
    };
    if merged.len() < 2 {
        return Err(no_samples(merged.len()));
    }
    let k0 = (first / step - 1e-9).ceil();
    let k1 = (last / step + 1e-9).floor();
    let count = k1 - k0 + 1.0;
    if !count.is_finite() || count > MAX_DEPTHS as f64 {
        return Err(Error::limits(format!(
            "resampling {first}..{last} at step {step} would give {count} depths, over the limit of \
             {MAX_DEPTHS}; use a larger step"
        )));
    }
    if count < 1.0 {
        return Err(Error::bad_parameter(format!(
            "the curve spans only {first}..{last}, less than one depth step of {step}; use a smaller step"
        )));
    }
    let n = count as usize;
    let decimals = step_decimals(step);
    let start = k0 * step;
    let mut depth = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut j = 0usize; // merged[j].0 <= g < merged[j+1].0 (advanced as g grows)
    for i in 0..n {
        let g = round_decimals(start + i as f64 * step, decimals);
        while j + 2 < merged.len() && merged[j + 1].0 <= g {
            j += 1;
        }
        let v = match (merged.get(j), merged.get(j + 1)) {
            (Some(&(d0, u0)), _) if d0 == g => Some(from_space(u0)),
            (_, Some(&(d1, u1))) if d1 == g => Some(from_space(u1)),
            (Some(&(d0, u0)), Some(&(d1, u1))) if d0 <= g && g <= d1 && d1 - d0 <= p.max_gap => {
                Some(from_space(u0 + (g - d0) / (d1 - d0) * (u1 - u0)))
            }
            _ => None,
        };
        depth.push(g);
        value.push(v);
    }
    Ok(Curve {
        mnemonic: p.mnemonic.to_string(),
        unit: p.unit.to_string(),
        depth_unit: p.depth_unit.to_string(),
        step,
        depth,
        value,
        uncertain: Vec::new(),
    })
}

fn no_samples(n: usize) -> Error {
    Error::no_curve(format!(
        "only {n} usable traced point(s), at least 2 are needed to build a curve; check the track edges, \
         the depth tie points and (on a log scale) that the scale values are positive"
    ))
}

/// Decimals needed to write `step` (and multiples of it) exactly, at most 10.
fn step_decimals(step: f64) -> usize {
    for d in 0..=10 {
        let scaled = step * 10f64.powi(d as i32);
        if (scaled - scaled.round()).abs() <= 1e-9 * scaled.abs().max(1.0) {
            return d;
        }
    }
    10
}

/// `x` rounded to `decimals` decimals (the double nearest that decimal).
fn round_decimals(x: f64, decimals: usize) -> f64 {
    let f = 10f64.powi(decimals as i32);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0 // no "-0"
    } else {
        r
    }
}

/// `v` with about 6 significant digits, without trailing zeros; scientific notation
/// for very large or small magnitudes.
fn format_value(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() { "0".to_string() } else { format!("{v}") };
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-5..15).contains(&mag) {
        return format!("{v:.5e}");
    }
    let decimals = (5 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

fn format_depth(d: f64, decimals: usize) -> String {
    let s = format!("{d:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// CSV: header `depth,value`, one line per non-null depth (nulls are left out),
/// depths with the step's decimals, values with about 6 significant digits.
pub fn to_csv(curve: &Curve) -> String {
    let dec = curve.depth_decimals();
    let mut out = String::with_capacity(16 + curve.depth.len() * 20);
    out.push_str("depth,value\n");
    for p in curve.points() {
        out.push_str(&format_depth(p.depth, dec));
        out.push(',');
        out.push_str(&format_value(p.value));
        out.push('\n');
    }
    out
}

/// JSON in the HTTP contract's shape: `{"curve":[{"depth":..,"value":..}], "meta":
/// meta}` with the non-null points, plus `mnemonic`, `unit`, `depth_unit`, `step` and
/// `uncertain` (depth ranges `[shallow, deep]` to review).
pub fn to_json(curve: &Curve, meta: &serde_json::Value) -> String {
    let body = serde_json::json!({
        "curve": curve.points(),
        "meta": meta,
        "mnemonic": curve.mnemonic,
        "unit": curve.unit,
        "depth_unit": curve.depth_unit,
        "step": curve.step,
        "uncertain": curve.uncertain,
    });
    body.to_string()
}

/// One header value: single line, no leading/trailing blanks. The description
/// after the value's last colon is LAS's, so colons inside a value are kept only
/// when no description follows; ours always does, so they become `-`.
fn las_value(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                ' '
            } else if c == ':' {
                '-'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A mnemonic or unit: no blanks, dots, colons or control characters.
fn las_name(s: &str, fallback: &str, allow_dot: bool) -> String {
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_control())
        .map(
            |c| if c.is_whitespace() || c == ':' || (!allow_dot && c == '.') || c == '~' || c == '#' { '_' } else { c },
        )
        .collect();
    if cleaned.is_empty() {
        fallback.to_string()
    } else {
        cleaned
    }
}

/// LAS 2.0 text of one curve: [`log_to_las`] of a log holding only this curve.
pub fn to_las(curve: &Curve, info: &LasInfo) -> String {
    log_to_las(&Log::from_curve(curve), info)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn params(step: f64, max_gap: f64, log: bool) -> ResampleParams<'static> {
        ResampleParams { step, max_gap, log, mnemonic: "GR", unit: "GAPI", depth_unit: "M" }
    }

    fn s(depth: f64, value: f64) -> Sample {
        Sample { depth, value }
    }

    #[test]
    fn nice_steps() {
        assert_eq!(default_step(0.1), 0.1);
        assert_eq!(default_step(0.0999), 0.1);
        assert_eq!(default_step(0.11), 0.2);
        assert_eq!(default_step(0.21), 0.25);
        assert_eq!(default_step(0.26), 0.5);
        assert_eq!(default_step(0.6), 1.0);
        assert_eq!(default_step(1.0), 1.0);
        assert_eq!(default_step(3.0), 5.0);
        assert_eq!(default_step(7.0), 10.0);
        assert_eq!(default_step(0.0304), 0.05);
        assert_eq!(default_step(0.0152), 0.02);
        assert_eq!(default_step(12.0), 20.0);
        assert_eq!(default_step(0.0), 1.0);
        assert_eq!(default_step(f64::NAN), 1.0);
        assert_eq!(default_step(-1.0), 1.0);
        for dpr in [0.001234, 0.07, 0.3333, 4.2, 99.0, 1e-6, 1e6] {
            let st = default_step(dpr);
            assert!(st >= dpr && st <= 2.5 * dpr, "{dpr} -> {st}");
        }
        assert_eq!(default_max_gap(0.1), 3.0 * 0.1);
    }

    #[test]
    fn grid_and_linear_interpolation() {
        // Unsorted, with duplicates at 1000.3.
        let samples = [s(1000.3, 10.0), s(1000.03, 0.0), s(1000.3, 20.0), s(1001.07, 45.0), s(1000.6, 30.0)];
        let c = resample(&samples, &params(0.1, 1.0, false)).unwrap();
        assert_eq!(c.depth.first(), Some(&1000.1));
        assert_eq!(c.depth.last(), Some(&1001.0));
        assert_eq!(c.depth.len(), 10);
        for (i, d) in c.depth.iter().enumerate() {
            assert_eq!(*d, ((10001 + i) as f64 / 10.0), "depth {i}");
        }
        // 1000.1 between (1000.03, 0) and (1000.3, 15).
        let v0 = c.value[0].unwrap();
        assert!((v0 - 15.0 * 0.07 / 0.27).abs() < 1e-9, "{v0}");
        assert_eq!(c.value[2], Some(15.0)); // exactly on the averaged duplicate
        assert!((c.value[4].unwrap() - 25.0).abs() < 1e-9);
        assert!((c.value[9].unwrap() - (30.0 + 15.0 * 0.4 / 0.47)).abs() < 1e-9);
        assert_eq!((c.mnemonic.as_str(), c.unit.as_str(), c.depth_unit.as_str(), c.step), ("GR", "GAPI", "M", 0.1));
    }

    #[test]
    fn gaps_become_null() {
        let mut samples: Vec<Sample> = (0..=10).map(|i| s(i as f64, 1.0)).collect();
        samples.extend((20..=30).map(|i| s(i as f64, 2.0)));
        let c = resample(&samples, &params(0.5, 3.0, false)).unwrap();
        assert_eq!(c.depth.len(), 61);
        for (d, v) in c.depth.iter().zip(&c.value) {
            let want = if *d <= 10.0 {
                Some(1.0)
            } else if *d >= 20.0 {
                Some(2.0)
            } else {
                None
            };
            assert_eq!(*v, want, "depth {d}");
        }
        let pts = c.points();
        assert_eq!(pts.len(), 21 + 21);
        assert!(pts.iter().all(|p| p.depth <= 10.0 || p.depth >= 20.0));
        // A gap of exactly max_gap is interpolated.
        let c = resample(&[s(0.0, 0.0), s(2.0, 2.0)], &params(1.0, 2.0, false)).unwrap();
        assert_eq!(c.value, vec![Some(0.0), Some(1.0), Some(2.0)]);
    }

    #[test]
    fn log_interpolation() {
        let c = resample(&[s(0.0, 1.0), s(2.0, 100.0), s(3.0, -5.0)], &params(1.0, 5.0, true)).unwrap();
        // The non-positive sample is ignored on a log axis.
        assert_eq!(c.depth, vec![0.0, 1.0, 2.0]);
        assert!((c.value[1].unwrap() - 10.0).abs() < 1e-9);
        let lin = resample(&[s(0.0, 1.0), s(2.0, 100.0)], &params(1.0, 5.0, false)).unwrap();
        assert!((lin.value[1].unwrap() - 50.5).abs() < 1e-9);
    }

    #[test]
    fn resample_errors() {
        let two = [s(0.0, 1.0), s(10.0, 2.0)];
        for step in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(resample(&two, &params(step, 1.0, false)), Err(Error::BadParameter(_))), "{step}");
        }
        assert!(matches!(resample(&two, &params(1.0, f64::NAN, false)), Err(Error::BadParameter(_))));
        assert!(matches!(resample(&[], &params(1.0, 1.0, false)), Err(Error::NoCurve(_))));
        assert!(matches!(resample(&[s(1.0, 1.0)], &params(1.0, 1.0, false)), Err(Error::NoCurve(_))));
        assert!(matches!(resample(&[s(1.0, 1.0), s(1.0, 2.0)], &params(1.0, 1.0, false)), Err(Error::NoCurve(_))));
        assert!(matches!(
            resample(&[s(f64::NAN, 1.0), s(1.0, f64::INFINITY)], &params(1.0, 1.0, false)),
            Err(Error::NoCurve(_))
        ));
        match resample(&[s(0.0, 1.0), s(1e9, 2.0)], &params(0.01, 1.0, false)) {
            Err(Error::Limits(m)) => assert!(m.contains("larger step"), "{m}"),
            other => panic!("{other:?}"),
        }
        match resample(&[s(0.1, 1.0), s(0.2, 2.0)], &params(1.0, 1.0, false)) {
            Err(Error::BadParameter(m)) => assert!(m.contains("smaller step"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn negative_depths_and_exact_multiples() {
        let c = resample(&[s(-1.0, 1.0), s(1.0, 3.0)], &params(0.25, 5.0, false)).unwrap();
        assert_eq!(c.depth, vec![-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(c.value[4], Some(2.0));
        assert!(c.depth[4].is_sign_positive());
    }

    fn sample_curve() -> Curve {
        Curve {
            mnemonic: "GR".into(),
            unit: "GAPI".into(),
            depth_unit: "M".into(),
            step: 0.1,
            depth: vec![1000.1, 1000.2, 1000.3, 1000.4],
            value: vec![Some(45.123456789), None, Some(0.000123456), Some(-3.0)],
            uncertain: vec![],
        }
    }

    #[test]
    fn csv() {
        let csv = to_csv(&sample_curve());
        assert_eq!(csv, "depth,value\n1000.1,45.1235\n1000.3,0.000123456\n1000.4,-3\n");
        let c = Curve { step: 0.25, depth: vec![0.0, 0.25], value: vec![Some(1e20), Some(123456.7)], ..sample_curve() };
        assert_eq!(to_csv(&c), "depth,value\n0.00,1.00000e20\n0.25,123457\n");
        let c = Curve { step: 5.0, depth: vec![-5.0, 0.0], value: vec![Some(0.0), Some(-0.0)], ..sample_curve() };
        assert_eq!(to_csv(&c), "depth,value\n-5,0\n0,0\n");
    }

    #[test]
    fn json_shape() {
        let meta = serde_json::json!({"ran": "local", "model": "int8"});
        let j: serde_json::Value = serde_json::from_str(&to_json(&sample_curve(), &meta)).unwrap();
        assert_eq!(j["meta"], meta);
        assert_eq!(j["mnemonic"], "GR");
        assert_eq!(j["unit"], "GAPI");
        assert_eq!(j["depth_unit"], "M");
        assert_eq!(j["step"], 0.1);
        let pts = j["curve"].as_array().unwrap();
        assert_eq!(pts.len(), 3);
        assert_eq!(pts[0]["depth"], 1000.1);
        assert_eq!(pts[0]["value"], 45.123456789);
        assert_eq!(pts[1]["depth"], 1000.3);
        // The Curve itself serialises with nulls.
        let c: serde_json::Value = serde_json::to_value(sample_curve()).unwrap();
        assert!(c["value"][1].is_null());
    }

    fn info() -> LasInfo {
        LasInfo {
            well: [("WELL".to_string(), "WELL 7/11-A: test".to_string())].into_iter().collect(),
            source: "scan\n001.tif".into(),
            model: "veernet-int8".into(),
            date: "2026-11-22".into(),
            calibration_json: r#"{"track":[1,20],"scale":[0,150],"depth":[[0,1000],[100,1010]]}"#.into(),
        }
    }

    #[test]
    fn las_structure() {
        let las = to_las(&sample_curve(), &info());
        let lines: Vec<&str> = las.lines().collect();
        assert_eq!(lines[0], "~Version Information");
        assert!(lines.iter().any(|l| l.trim_start().starts_with("VERS.") && l.contains(" 2.0 :")));
        assert!(lines.iter().any(|l| l.trim_start().starts_with("WRAP.") && l.contains(" NO :")));
        let field =
            |m: &str| lines.iter().find(|l| l.trim_start().starts_with(m)).map(|l| l.to_string()).unwrap_or_default();
        assert!(field("STRT.M").contains(" 1000.1 :"), "{}", field("STRT.M"));
        assert!(field("STOP.M").contains(" 1000.4 :"));
        assert!(field("STEP.M").contains(" 0.1 :"));
        assert!(field("NULL.").contains(" -999.25 :"));
        assert!(field("WELL.").contains("WELL 7/11-A- test :"), "{}", field("WELL."));
        assert!(field("DATE.").contains("2026-11-22 :"));
        assert!(field("DEPT.M").contains(": DEPTH"));
        assert!(field("GR.GAPI").contains("GR DIGITISED"), "{las}");
        let other = las.find("~Other").unwrap();
        let data = las.find("~A").unwrap();
        let other_text = &las[other..data];
        assert!(
            other_text.contains("veer") && other_text.contains("veernet-int8") && other_text.contains("scan 001.tif")
        );
        assert!(other_text.contains(r#""scale":[0,150]"#));
        let rows: Vec<Vec<&str>> = las[data..].lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(
            rows,
            vec![
                vec!["1000.1", "45.1235"],
                vec!["1000.2", "-999.25"],
                vec!["1000.3", "0.000123456"],
                vec!["1000.4", "-3"],
            ]
        );
    }

    #[test]
    fn las_names_are_sanitised() {
        let c = Curve { mnemonic: "dept".into(), unit: "g/cc 2".into(), depth_unit: String::new(), ..sample_curve() };
        let las = to_las(&c, &LasInfo::default());
        assert!(las.contains("~A  DEPT dept_V\n"), "{las}");
        assert!(las.contains(".g/cc_2 "));
        assert!(las.contains(" STRT.M "));
        assert!(las.contains("Source scan: (not given)"));
        let empty = Curve { depth: vec![], value: vec![], ..sample_curve() };
        assert!(to_las(&empty, &info()).ends_with("~A  DEPT GR\n"));
        assert_eq!(to_csv(&empty), "depth,value\n");
    }

    #[test]
    fn las_stop_matches_the_grid_for_awkward_steps() {
        // 1/3-ish and binary-unfriendly steps: STOP must equal the last printed row.
        for (a, b, step) in [(1234.56, 2345.67, 0.1524), (0.0, 100.0, 0.3), (-50.0, 50.0, 0.05), (10.0, 20.0, 2.5)] {
            let c = resample(&[s(a, 1.0), s(b, 2.0)], &params(step, f64::INFINITY, false)).unwrap();
            let las = to_las(&c, &info());
            let data = las.find("~A").unwrap();
            let rows: Vec<&str> = las[data..].lines().skip(1).collect();
            let first = rows.first().unwrap().split_whitespace().next().unwrap();
            let last = rows.last().unwrap().split_whitespace().next().unwrap();
            assert!(las.contains(&format!(" {first} : START DEPTH")));
            assert!(las.contains(&format!(" {last} : STOP DEPTH")));
            let n = rows.len() as f64;
            let (f, l): (f64, f64) = (first.parse().unwrap(), last.parse().unwrap());
            assert!((f + (n - 1.0) * step - l).abs() < 1e-9, "{f} + ({n}-1)*{step} != {l}");
            for (i, r) in rows.iter().enumerate() {
                let d: f64 = r.split_whitespace().next().unwrap().parse().unwrap();
                assert!((d - (f + i as f64 * step)).abs() < 1e-9);
            }
        }
    }
}
