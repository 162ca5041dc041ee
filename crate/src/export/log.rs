//! Several curves on one depth index: a whole print as one LAS 2.0, CSV or JSON.
//!
//! Every curve of a [`Log`] shares the depth unit and the step, and its depths lie
//! on the same grid (multiples of the step), so the curves line up row by row; a
//! curve without a value at a depth is null there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    format_depth, format_value, las_name, las_value, step_decimals, to_csv, to_json, Curve, CurvePoint, LAS_NULL,
};
use crate::error::{Error, Result};
use crate::project::WELL_FIELDS;

/// Curves on one depth index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log {
    /// Depth unit, e.g. `M` or `FT`.
    pub depth_unit: String,
    /// Depth step (positive).
    pub step: f64,
    /// Depths, increasing by `step`, rounded to the step's decimals.
    pub depth: Vec<f64>,
    /// The curves, each with one value (or null) per depth.
    pub curves: Vec<LogCurve>,
}

/// One curve of a [`Log`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogCurve {
    /// Curve mnemonic (LAS `~C`), e.g. `GR`.
    pub mnemonic: String,
    /// Unit of the values; may be empty.
    pub unit: String,
    /// One value per depth of the log, `None` where the curve has none.
    pub value: Vec<Option<f64>>,
    /// Depth ranges `[shallow, deep]` where the trace is unsure (as [`Curve::uncertain`]).
    #[serde(default)]
    pub uncertain: Vec<[f64; 2]>,
}

/// Header facts for the LAS writers. Empty strings are written as blank values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LasInfo {
    /// `~W` values by mnemonic (`WELL`, `COMP`, `UWI`, ...: the keys of [`WELL_FIELDS`]).
    pub well: BTreeMap<String, String>,
    /// Source scan, e.g. its file name (`~O`).
    pub source: String,
    /// Model used, e.g. `veernet-fp32` (`~O`).
    pub model: String,
    /// Date the log was digitised, e.g. `2026-11-22` (`~O`; also `~W DATE` when the
    /// well's own date is not given).
    pub date: String,
    /// The calibration or project used, as JSON (`~O`).
    pub calibration_json: String,
}

impl Log {
    /// The log of one curve.
    pub fn from_curve(curve: &Curve) -> Log {
        Log {
            depth_unit: curve.depth_unit.clone(),
            step: curve.step,
            depth: curve.depth.clone(),
            curves: vec![LogCurve {
                mnemonic: curve.mnemonic.clone(),
                unit: curve.unit.clone(),
                value: curve.value.clone(),
                uncertain: curve.uncertain.clone(),
            }],
        }
    }

    /// Puts curves resampled with the same step and depth unit on one depth index,
    /// from the shallowest depth of any curve to the deepest.
    ///
    /// Errors: [`Error::BadParameter`] when there is no curve, or the curves' steps
    /// or depth units differ (resample them with one step first).
    pub fn from_curves(curves: &[Curve]) -> Result<Log> {
        let first = curves.first().ok_or_else(|| Error::bad_parameter("a log needs at least one curve"))?;
        let step = first.step;
        if let Some(c) = curves.iter().find(|c| (c.step - step).abs() > 1e-9 * step || c.depth_unit != first.depth_unit)
        {
            return Err(Error::bad_parameter(format!(
                "curve {} has step {} {}, curve {} has step {} {}; resample every curve of a log with one step and depth unit",
                first.mnemonic, step, first.depth_unit, c.mnemonic, c.step, c.depth_unit
            )));
        }
        // Grid index of a depth: every curve's depths are multiples of the step.
        let index = |d: f64| (d / step).round() as i64;
        let lo = curves.iter().filter_map(|c| c.depth.first()).map(|&d| index(d)).min();
        let hi = curves.iter().filter_map(|c| c.depth.last()).map(|&d| index(d)).max();
        let (lo, hi) = match (lo, hi) {
            (Some(lo), Some(hi)) if hi >= lo => (lo, hi),
            _ => (0, -1),
        };
        let n = (hi - lo + 1).max(0) as usize;
        let dec = step_decimals(step);
        let depth = (0..n).map(|i| super::round_decimals((lo + i as i64) as f64 * step, dec)).collect();
        let curves = curves
            .iter()
            .map(|c| {
                let mut value = vec![None; n];
                for (d, v) in c.depth.iter().zip(&c.value) {
                    let k = index(*d) - lo;
                    if (0..n as i64).contains(&k) {
                        value[k as usize] = *v;
                    }
                }
                LogCurve { mnemonic: c.mnemonic.clone(), unit: c.unit.clone(), value, uncertain: c.uncertain.clone() }
            })
            .collect();
        Ok(Log { depth_unit: first.depth_unit.clone(), step, depth, curves })
    }

    /// Curve `i` on its own (the log's whole depth index), for the single-curve writers.
    pub fn curve(&self, i: usize) -> Option<Curve> {
        self.curves.get(i).map(|c| Curve {
            mnemonic: c.mnemonic.clone(),
            unit: c.unit.clone(),
            depth_unit: self.depth_unit.clone(),
            step: self.step,
            depth: self.depth.clone(),
            value: c.value.clone(),
            uncertain: c.uncertain.clone(),
        })
    }

    /// The non-null points of curve `i`, in depth order.
    pub fn points(&self, i: usize) -> Vec<CurvePoint> {
        self.curves.get(i).map_or_else(Vec::new, |c| {
            self.depth
                .iter()
                .zip(&c.value)
                .filter_map(|(&depth, v)| v.map(|value| CurvePoint { depth, value }))
                .collect()
        })
    }

    /// LAS mnemonics for the curves: cleaned for LAS, never `DEPT`, unique.
    fn las_mnemonics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(self.curves.len());
        for c in &self.curves {
            let mut m = las_name(&c.mnemonic, "CURVE", false);
            if m.eq_ignore_ascii_case("DEPT") || m.eq_ignore_ascii_case("DEPTH") {
                m.push_str("_V");
            }
            let base = m.clone();
            let mut k = 2;
            while out.iter().any(|o| o.eq_ignore_ascii_case(&m)) {
                m = format!("{base}_{k}");
                k += 1;
            }
            out.push(m);
        }
        out
    }
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Las,
    Json,
}

impl Format {
    /// `"csv"`, `"las"` or `"json"` (any case).
    pub fn from_name(name: &str) -> Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "las" => Ok(Format::Las),
            "json" => Ok(Format::Json),
            _ => Err(Error::bad_parameter(format!("unknown output format {name:?}; choose csv, las or json"))),
        }
    }

    /// The format a file name's extension names (`.csv`, `.las`, `.json`, any case).
    pub fn from_file_name(name: &str) -> Result<Format> {
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        Format::from_name(ext).map_err(|_| {
            Error::bad_parameter(format!("cannot tell the output format of {name}; name it .csv, .las or .json"))
        })
    }

    /// The name, as in [`Format::from_name`].
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Las => "las",
            Format::Json => "json",
        }
    }
}

/// A log in `format`: every entry point writes its output through this. A log of one
/// curve is written in the single-curve shapes (CSV `depth,value`, the HTTP contract's
/// JSON `{"curve", "mnemonic", "unit", "depth_unit", "step", "meta"}`); several curves
/// in the log shapes ([`log_to_csv`], [`log_to_json`]). LAS is [`log_to_las`] for both.
/// `meta` goes into the JSON; `info` into the LAS header.
pub fn write_log(log: &Log, format: Format, info: &LasInfo, meta: &serde_json::Value) -> String {
    let single = if log.curves.len() == 1 { log.curve(0) } else { None };
    match (format, single) {
        (Format::Csv, Some(curve)) => to_csv(&curve),
        (Format::Csv, None) => log_to_csv(log),
        (Format::Json, Some(curve)) => to_json(&curve, meta),
        (Format::Json, None) => log_to_json(log, meta),
        (Format::Las, _) => log_to_las(log, info),
    }
}

/// CSV: header `depth,MNEM1,MNEM2,...`, one line per depth where any curve has a
/// value, an empty field where a curve has none.
pub fn log_to_csv(log: &Log) -> String {
    let dec = step_decimals(log.step);
    let names = log.las_mnemonics();
    let mut out = String::with_capacity(64 + log.depth.len() * (12 + 12 * log.curves.len()));
    out.push_str("depth");
    for n in &names {
        out.push(',');
        out.push_str(n);
    }
    out.push('\n');
    for (i, d) in log.depth.iter().enumerate() {
        if log.curves.iter().all(|c| c.value[i].is_none()) {
            continue;
        }
        out.push_str(&format_depth(*d, dec));
        for c in &log.curves {
            out.push(',');
            if let Some(v) = c.value[i] {
                out.push_str(&format_value(v));
            }
        }
        out.push('\n');
    }
    out
}

/// JSON: `{"depth_unit", "step", "curves": [{"mnemonic", "unit", "curve":
/// [{"depth", "value"}], "uncertain": [[shallow, deep]]}], "meta": meta}` with each
/// curve's non-null points and the depth ranges to review.
pub fn log_to_json(log: &Log, meta: &serde_json::Value) -> String {
    let curves: Vec<serde_json::Value> = log
        .curves
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::json!({
                "mnemonic": c.mnemonic, "unit": c.unit, "curve": log.points(i), "uncertain": c.uncertain,
            })
        })
        .collect();
    serde_json::json!({ "depth_unit": log.depth_unit, "step": log.step, "curves": curves, "meta": meta }).to_string()
}

/// LAS 2.0 text (unwrapped, one line per depth) that lasio reads without warnings.
///
/// `~W` gives `STRT`, `STOP` and `STEP` exactly as the first and last data rows
/// print them, `NULL -999.25`, and the well's fields ([`WELL_FIELDS`], blank when not
/// given; `DATE` is the date digitised when the well's is not given); `~C` lists
/// `DEPT` and every curve; `~O` says how the curves were digitised (veer version,
/// model, source scan, calibration). Depth always increases. Nulls are `-999.25`.
pub fn log_to_las(log: &Log, info: &LasInfo) -> String {
    let dec = step_decimals(log.step);
    let du = las_name(&log.depth_unit, "M", true);
    let names = log.las_mnemonics();
    let strt = log.depth.first().map_or_else(|| format_depth(0.0, dec), |&d| format_depth(d, dec));
    let stop = log.depth.last().map_or_else(|| format_depth(0.0, dec), |&d| format_depth(d, dec));
    let step = format_depth(log.step, dec);
    let line = |mn: &str, unit: &str, value: &str, desc: &str| {
        format!(" {:<14} {:>24} : {}\n", format!("{mn}.{unit}"), value, desc)
    };

    let mut out = String::with_capacity(2048 + log.depth.len() * (15 + 15 * log.curves.len()));
    out.push_str("~Version Information\n");
    out.push_str(&line("VERS", "", "2.0", "CWLS LOG ASCII STANDARD - VERSION 2.0"));
    out.push_str(&line("WRAP", "", "NO", "ONE LINE PER DEPTH STEP"));
    out.push_str("~Well Information\n");
    out.push_str("#MNEM.UNIT                    DATA : DESCRIPTION\n");
    out.push_str(&line("STRT", &du, &strt, "START DEPTH"));
    out.push_str(&line("STOP", &du, &stop, "STOP DEPTH"));
    out.push_str(&line("STEP", &du, &step, "STEP"));
    out.push_str(&line("NULL", "", "-999.25", "NULL VALUE"));
    for (key, desc) in WELL_FIELDS {
        let given = info.well.get(key).map(|v| las_value(v)).filter(|v| !v.is_empty());
        let (value, desc) = match (key, given) {
            (_, Some(v)) => (v, desc),
            ("DATE", None) => (las_value(&info.date), "DATE DIGITISED"),
            (_, None) => (String::new(), desc),
        };
        out.push_str(&line(key, "", &value, desc));
    }
    out.push_str("~Curve Information\n");
    out.push_str("#MNEM.UNIT                         : DESCRIPTION\n");
    out.push_str(&line("DEPT", &du, "", "DEPTH"));
    for (name, c) in names.iter().zip(&log.curves) {
        let unit = las_name(&c.unit, "", true);
        out.push_str(&line(name, &unit, "", &format!("{name} DIGITISED FROM A RASTER SCAN BY VEER")));
    }
    out.push_str("~Other Information\n");
    out.push_str(&format!(
        "Digitised from a raster scan by veer {} (curve-ink segmentation, then a continuity-aware trace).\n",
        env!("CARGO_PKG_VERSION")
    ));
    let other = |label: &str, v: &str| {
        let v = v.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
        format!("{label}: {}\n", if v.trim().is_empty() { "(not given)" } else { v.trim() })
    };
    out.push_str(&other("Source scan", &info.source));
    out.push_str(&other("Model", &info.model));
    out.push_str(&other("Date digitised", &info.date));
    out.push_str(&other("Calibration", &info.calibration_json));
    for (name, c) in names.iter().zip(&log.curves) {
        out.push_str(&uncertain_lines(name, &log.depth_unit, dec, &c.uncertain));
    }
    out.push_str("~A  DEPT");
    for name in &names {
        out.push(' ');
        out.push_str(name);
    }
    out.push('\n');
    for (i, d) in log.depth.iter().enumerate() {
        out.push_str(&format!("{:>14}", format_depth(*d, dec)));
        for c in &log.curves {
            let vs = match c.value[i] {
                Some(v) if v.is_finite() => format_value(v),
                _ => format_value(LAS_NULL),
            };
            out.push_str(&format!(" {vs:>14}"));
        }
        out.push('\n');
    }
    out
}

/// The `~O` lines that list where a curve's trace is unsure, ten ranges a line
/// (`GR uncertain (review), 3 ranges: 1200.5-1210 FT, ...`); none when nothing was marked.
fn uncertain_lines(name: &str, depth_unit: &str, dec: usize, ranges: &[[f64; 2]]) -> String {
    let unit = depth_unit.chars().filter(|c| !c.is_control()).collect::<String>();
    let mut out = String::new();
    for (k, chunk) in ranges.chunks(10).enumerate() {
        let list: Vec<String> =
            chunk.iter().map(|[a, b]| format!("{}-{} {unit}", format_depth(*a, dec), format_depth(*b, dec))).collect();
        if k == 0 {
            out.push_str(&format!("{name} uncertain (review), {} ranges: {}\n", ranges.len(), list.join(", ")));
        } else {
            out.push_str(&format!("{name} uncertain (cont.): {}\n", list.join(", ")));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn curve(mnemonic: &str, start: f64, values: &[Option<f64>]) -> Curve {
        Curve {
            mnemonic: mnemonic.into(),
            unit: "U".into(),
            depth_unit: "FT".into(),
            step: 0.5,
            depth: (0..values.len()).map(|i| start + 0.5 * i as f64).collect(),
            value: values.to_vec(),
            uncertain: vec![],
        }
    }

    #[test]
    fn curves_line_up_on_one_depth_index() {
        let a = curve("GR", 100.0, &[Some(1.0), Some(2.0), None, Some(4.0)]);
        let b = curve("ILD", 101.0, &[Some(10.0), Some(20.0), Some(30.0)]);
        let log = Log::from_curves(&[a, b]).unwrap();
        assert_eq!(log.depth, vec![100.0, 100.5, 101.0, 101.5, 102.0]);
        assert_eq!(log.curves[0].value, vec![Some(1.0), Some(2.0), None, Some(4.0), None]);
        assert_eq!(log.curves[1].value, vec![None, None, Some(10.0), Some(20.0), Some(30.0)]);
        let csv = log_to_csv(&log);
        assert_eq!(csv, "depth,GR,ILD\n100.0,1,\n100.5,2,\n101.0,,10\n101.5,4,20\n102.0,,30\n");
        let las = log_to_las(&log, &LasInfo::default());
        assert!(las.contains("~A  DEPT GR ILD\n"), "{las}");
        let row: Vec<&str> =
            las.lines().find(|l| l.trim_start().starts_with("101.0")).unwrap().split_whitespace().collect();
        assert_eq!(row, ["101.0", "-999.25", "10"], "{las}");
    }

    #[test]
    fn one_curve_keeps_the_single_curve_shapes() {
        let one = Log::from_curves(&[curve("GR", 100.0, &[Some(1.0), None, Some(3.0)])]).unwrap();
        let two = Log::from_curves(&[curve("GR", 100.0, &[Some(1.0)]), curve("SP", 100.0, &[Some(2.0)])]).unwrap();
        let meta = serde_json::json!({"ran": "test"});
        let info = LasInfo::default();
        assert_eq!(write_log(&one, Format::Csv, &info, &meta), "depth,value\n100.0,1\n101.0,3\n");
        assert_eq!(write_log(&two, Format::Csv, &info, &meta), "depth,GR,SP\n100.0,1,2\n");
        let j1: serde_json::Value = serde_json::from_str(&write_log(&one, Format::Json, &info, &meta)).unwrap();
        assert_eq!((j1["mnemonic"].as_str(), j1["curve"].as_array().map(Vec::len)), (Some("GR"), Some(2)));
        let j2: serde_json::Value = serde_json::from_str(&write_log(&two, Format::Json, &info, &meta)).unwrap();
        assert_eq!(j2["curves"][1]["mnemonic"], "SP");
        assert_eq!(j2["meta"]["ran"], "test");
        assert!(write_log(&two, Format::Las, &info, &meta).contains("~A  DEPT GR SP\n"));
        assert_eq!(Format::from_file_name("a/b.LAS").unwrap(), Format::Las);
        assert!(Format::from_file_name("out.txt").unwrap_err().to_string().contains(".csv, .las or .json"));
        assert!(Format::from_name("xml").is_err());
    }

    #[test]
    fn different_steps_are_refused() {
        let a = curve("GR", 100.0, &[Some(1.0), Some(2.0)]);
        let mut b = curve("SP", 100.0, &[Some(1.0), Some(2.0)]);
        b.step = 1.0;
        assert!(Log::from_curves(&[a, b]).unwrap_err().to_string().contains("one step"));
        assert!(Log::from_curves(&[]).is_err());
    }

    #[test]
    fn well_fields_fill_the_header_and_names_stay_unique() {
        let a = curve("GR", 0.0, &[Some(1.0), Some(2.0)]);
        let mut b = curve("G R", 0.0, &[Some(1.0), Some(2.0)]);
        b.mnemonic = "G_R".into();
        let c = curve("DEPT", 0.0, &[Some(1.0), Some(2.0)]);
        let mut log = Log::from_curves(&[a, b, c]).unwrap();
        log.curves[0].mnemonic = "G R".into();
        let info = LasInfo {
            well: [("WELL".to_string(), "KINNEY 1-4".to_string()), ("UWI".to_string(), "15-051-25940".to_string())]
                .into_iter()
                .collect(),
            date: "2026-12-07".into(),
            ..LasInfo::default()
        };
        let las = log_to_las(&log, &info);
        assert!(las.contains("~A  DEPT G_R G_R_2 DEPT_V\n"), "{las}");
        // "MNEM.  VALUE : DESCRIPTION" of a header line.
        let field = |key: &str| {
            let line = las.lines().find(|l| l.trim_start().starts_with(&format!("{key}."))).unwrap();
            let (head, desc) = line.rsplit_once(" : ").unwrap();
            (head.trim_start().trim_start_matches(&format!("{key}.")).trim().to_string(), desc.to_string())
        };
        assert_eq!(field("WELL"), ("KINNEY 1-4".into(), "WELL".into()));
        assert_eq!(field("UWI"), ("15-051-25940".into(), "UNIQUE WELL ID".into()));
        assert_eq!(field("DATE"), ("2026-12-07".into(), "DATE DIGITISED".into()));
        assert_eq!(field("COMP"), ("".into(), "COMPANY".into()));
    }

    #[test]
    fn uncertain_ranges_travel_to_json_and_las() {
        let mut a = curve("GR", 100.0, &[Some(1.0), Some(2.0), Some(3.0)]);
        a.uncertain = (0..12).map(|i| [100.0 + f64::from(i), 100.5 + f64::from(i)]).collect();
        let b = curve("SP", 100.0, &[Some(1.0), Some(2.0), Some(3.0)]);
        let log = Log::from_curves(&[a, b]).unwrap();
        let json: serde_json::Value = serde_json::from_str(&log_to_json(&log, &serde_json::json!({}))).unwrap();
        assert_eq!(json["curves"][0]["uncertain"][11], serde_json::json!([111.0, 111.5]));
        assert_eq!(json["curves"][1]["uncertain"], serde_json::json!([]));
        let one = log.curve(0).unwrap();
        let json: serde_json::Value = serde_json::from_str(&to_json(&one, &serde_json::json!({}))).unwrap();
        assert_eq!(json["uncertain"][0], serde_json::json!([100.0, 100.5]));

        let las = log_to_las(&log, &LasInfo::default());
        let other = las.split("~Other Information\n").nth(1).unwrap().split("~A").next().unwrap();
        assert!(other.contains("GR uncertain (review), 12 ranges: 100.0-100.5 FT, 101.0-101.5 FT,"), "{other}");
        assert!(other.contains("GR uncertain (cont.): 110.0-110.5 FT, 111.0-111.5 FT\n"), "{other}");
        assert!(!other.contains("SP uncertain"), "{other}");
    }
}
