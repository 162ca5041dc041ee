//! A project: everything needed to digitise a whole print into one LAS (every curve,
//! the logged interval, the well's header), as one JSON file that the page saves and
//! loads, the CLI and the widget read, and the cloud fallback accepts.
//!
//! A single-curve [`Calibration`] JSON (what veer read before projects) is read as a
//! project of one curve, so every calibration saved so far stays usable.
//!
//! ```json
//! {"version": 1,
//!  "depth": [[150, 3050], [12750, 7250]], "depth_unit": "FT", "step": 0.5,
//!  "interval": [120, 12800], "exclude": [[9000, 9400]],
//!  "well": {"WELL": "KINNEY-HEINEN 1-4", "UWI": "15-051-25940"},
//!  "curves": [
//!    {"mnemonic": "GR", "unit": "GAPI", "track": [20, 395], "scale": [0, 150], "log": false, "seed": [81, 10675]},
//!    {"mnemonic": "ILD", "unit": "OHMM", "track": [430, 790], "scale": [0.2, 2000], "log": true}]}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calibrate::Calibration;
use crate::error::{Error, Result};

/// The project format version this build writes and reads.
pub const PROJECT_VERSION: u32 = 1;

/// Most curves one project may hold (a print carries three to six).
pub const MAX_CURVES: usize = 32;

/// Most excluded row ranges one project may hold.
pub const MAX_EXCLUDES: usize = 256;

/// The LAS `~W` mnemonics a project's `well` may fill, with their descriptions, in
/// the order the LAS header lists them.
pub const WELL_FIELDS: [(&str, &str); 11] = [
    ("COMP", "COMPANY"),
    ("WELL", "WELL"),
    ("FLD", "FIELD"),
    ("LOC", "LOCATION"),
    ("CNTY", "COUNTY"),
    ("STAT", "STATE"),
    ("CTRY", "COUNTRY"),
    ("SRVC", "SERVICE COMPANY"),
    ("DATE", "LOG DATE"),
    ("UWI", "UNIQUE WELL ID"),
    ("API", "API NUMBER"),
];

/// Longest value of a `well` field, in characters.
pub const MAX_WELL_VALUE_CHARS: usize = 200;

/// A whole print: the depth calibration shared by its curves, the rows to trace, the
/// well's header and its curves. Rows and columns are scan pixels (0 at the top left).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Format version, [`PROJECT_VERSION`].
    pub version: u32,
    /// Two or more depth tie points `[row, depth]` (as in [`Calibration::depth`]).
    pub depth: Vec<[f64; 2]>,
    /// Depth unit, `M` or `FT`; default `M`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_unit: Option<String>,
    /// Output depth step; `None` picks one from the scan's depth per pixel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// `[top_row, bottom_row]`: only these rows are traced (the logged interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
    /// The scan's rotation in degrees (as `veer calibrate` measures it, see
    /// [`crate::deskew`]): the scan is turned back by it before anything else, and every
    /// row and column of this project is one of the straightened scan. Absent: upright.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<f64>,
    /// Row ranges `[row_a, row_b]` never traced: a repeat section, its header, a stamp.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<[f64; 2]>,
    /// LAS `~W` values by mnemonic (the keys of [`WELL_FIELDS`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub well: BTreeMap<String, String>,
    /// The curves, in the order they are written (one LAS column each).
    pub curves: Vec<ProjectCurve>,
}

/// One curve of a [`Project`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectCurve {
    /// Curve mnemonic (LAS `~C`), e.g. `GR`; unique within the project.
    pub mnemonic: String,
    /// Unit of the values, e.g. `GAPI`; may be empty.
    #[serde(default)]
    pub unit: String,
    /// Pixel columns of the track's left and right edges.
    pub track: [f64; 2],
    /// Values at the track's left and right edges.
    pub scale: [f64; 2],
    /// Logarithmic (log10) value axis.
    #[serde(default)]
    pub log: bool,
    /// A pixel `[x, y]` on this curve, when its track holds several curves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<[f64; 2]>,
    /// Backup (wrap-around) scales, as [`Calibration::backup`]: `[[150, 300]]` for a
    /// gamma ray that comes back in at the left edge on 150-300 where it passes 150.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup: Vec<[f64; 2]>,
    /// The curve as corrected by hand, when the page saved it; digitising the project
    /// exports this path instead of tracing the curve again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<EditedPath>,
}

/// A traced path after hand edits: what the page's editor holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditedPath {
    /// Scan rows per row of the resized track of the run that was edited (its
    /// `stats.rows_per_track_row`): sets how far gaps are bridged on export.
    pub rows_per_track_row: f64,
    /// Points `[x, y]` in scan pixels, one per row where the curve is, gaps left out.
    pub path: Vec<[f64; 2]>,
}

/// The rows of a scan that are traced: `top..bottom` without the excluded ranges.
/// Half-open ranges of whole rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowWindow {
    pub top: u32,
    pub bottom: u32,
    /// Sorted, merged, strictly inside `top..bottom`, each nonempty.
    pub exclude: Vec<(u32, u32)>,
}

impl RowWindow {
    /// Every row of a scan `height` rows tall.
    pub fn all(height: u32) -> Self {
        RowWindow { top: 0, bottom: height, exclude: Vec::new() }
    }

    /// Whether this window is every row of a scan `height` rows tall.
    pub fn is_all(&self, height: u32) -> bool {
        self.top == 0 && self.bottom >= height && self.exclude.is_empty()
    }

    /// Share of the rows `top..bottom` that are traced (not excluded).
    pub fn traced_fraction(&self) -> f64 {
        let excluded: u32 = self.exclude.iter().map(|(a, b)| b - a).sum();
        f64::from(self.bottom - self.top - excluded) / f64::from((self.bottom - self.top).max(1))
    }

    /// Whether scan row `y` (a fractional row rounds down) is traced.
    pub fn contains(&self, y: f64) -> bool {
        if !(y >= f64::from(self.top) && y < f64::from(self.bottom)) {
            return false;
        }
        let row = y.floor() as u32;
        !self.exclude.iter().any(|&(a, b)| row >= a && row < b)
    }
}

impl Project {
    /// Parses a project, or a single-curve calibration as a project of one curve.
    ///
    /// Errors: [`Error::BadParameter`] naming the JSON problem. The result is not
    /// validated: call [`Project::validate`] or [`Project::validate_for_image`].
    pub fn from_json(s: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(s).map_err(|e| {
            Error::bad_parameter(format!(
                "the project JSON is not valid JSON: {e}; save the project again from the page"
            ))
        })?;
        let is_project = value.as_object().is_some_and(|o| o.contains_key("curves") || o.contains_key("version"));
        if !is_project {
            return Calibration::from_json(s).map(|c| Project::from_calibration(&c));
        }
        if let Some(v) = value.get("version").and_then(serde_json::Value::as_u64) {
            if v > u64::from(PROJECT_VERSION) {
                return Err(Error::bad_parameter(format!(
                    "the project is format version {v}, written by a newer veer; this veer reads version \
                     {PROJECT_VERSION}: update veer"
                )));
            }
        }
        serde_json::from_value(value).map_err(|e| {
            Error::bad_parameter(format!(
                "the project JSON is not valid: {e}; expected {{\"version\":1,\"depth\":[[row,depth],[row,depth]],\
                 \"curves\":[{{\"mnemonic\":\"GR\",\"track\":[x0,x1],\"scale\":[left,right]}}]}}"
            ))
        })
    }

    /// The JSON form (compact, fields in declaration order, empty optional fields left out).
    pub fn to_json(&self) -> String {
        // Plain numbers, strings, maps and vectors: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// The project as a LAS file or a cloud request records what was run: its JSON without
    /// the curves' hand-edited paths (long, and already in the data).
    pub fn settings_json(&self) -> String {
        let mut settings = self.clone();
        settings.curves.iter_mut().for_each(|c| c.edited = None);
        settings.to_json()
    }

    /// The LAS well header of a run: the project's `well` fields, with `WELL` set to
    /// `default_well` (the scan's name, as a rule) when the project gives none.
    pub fn well_header(&self, default_well: &str) -> BTreeMap<String, String> {
        let mut well = self.well.clone();
        well.entry("WELL".into()).or_insert_with(|| default_well.to_string());
        well
    }

    /// A project of the one curve a calibration describes (mnemonic `CURVE` when it has none).
    pub fn from_calibration(c: &Calibration) -> Self {
        Project {
            version: PROJECT_VERSION,
            depth: c.depth.clone(),
            depth_unit: c.depth_unit.clone(),
            step: c.step,
            interval: None,
            rotation: None,
            exclude: Vec::new(),
            well: BTreeMap::new(),
            curves: vec![ProjectCurve {
                mnemonic: c.mnemonic.clone().unwrap_or_else(|| "CURVE".to_string()),
                unit: c.unit.clone().unwrap_or_default(),
                track: c.track,
                scale: c.scale,
                log: c.log,
                seed: c.seed,
                backup: c.backup.clone(),
                edited: None,
            }],
        }
    }

    /// The calibration of curve `i` (its track and scale with the project's depth ties,
    /// step and units): what the pipeline runs. Panics never; `None` past the last curve.
    pub fn calibration(&self, i: usize) -> Option<Calibration> {
        let c = self.curves.get(i)?;
        Some(Calibration {
            track: c.track,
            scale: c.scale,
            log: c.log,
            depth: self.depth.clone(),
            seed: c.seed,
            backup: c.backup.clone(),
            step: self.step,
            mnemonic: Some(c.mnemonic.clone()),
            unit: if c.unit.is_empty() { None } else { Some(c.unit.clone()) },
            depth_unit: self.depth_unit.clone(),
        })
    }

    /// Checks everything that can be checked without the image: the version, one to
    /// [`MAX_CURVES`] curves each valid as a [`Calibration`] (named after its mnemonic
    /// in errors), unique mnemonics other than `DEPT`, the interval and excluded ranges
    /// (finite, top above bottom), the well fields ([`WELL_FIELDS`], one line each)
    /// and the edited paths (finite points, a positive row scale).
    ///
    /// Errors: [`Error::BadParameter`] naming the field and the fix.
    pub fn validate(&self) -> Result<()> {
        if self.version != PROJECT_VERSION {
            return Err(Error::bad_parameter(format!(
                "the project's version is {}, this veer reads version {PROJECT_VERSION}; set \"version\": {PROJECT_VERSION}",
                self.version
            )));
        }
        if let Some(r) = self.rotation {
            if !(r.is_finite() && r.abs() <= crate::deskew::MAX_ROTATION_DEGREES) {
                return Err(Error::bad_parameter(format!(
                    "the project's rotation is {r} degrees; it must be a number within {} degrees (or absent)",
                    crate::deskew::MAX_ROTATION_DEGREES
                )));
            }
        }
        if self.curves.is_empty() {
            return Err(Error::bad_parameter(
                "the project has no curves; add one with its track, scale and mnemonic (or pass --track and --scale)",
            ));
        }
        if self.curves.len() > MAX_CURVES {
            return Err(Error::limits(format!(
                "the project has {} curves, more than the {MAX_CURVES} one project may hold; split it",
                self.curves.len()
            )));
        }
        for i in 0..self.curves.len() {
            let c = &self.curves[i];
            let mnemonic = c.mnemonic.trim();
            if mnemonic.eq_ignore_ascii_case("DEPT") || mnemonic.eq_ignore_ascii_case("DEPTH") {
                return Err(Error::bad_parameter(format!(
                    "curve {} is named {mnemonic}, which LAS keeps for the depth index; rename it",
                    i + 1
                )));
            }
            if let Some(j) = self.curves[..i].iter().position(|o| o.mnemonic.eq_ignore_ascii_case(mnemonic)) {
                return Err(Error::bad_parameter(format!(
                    "curves {} and {} are both named {mnemonic}; give each curve its own mnemonic (e.g. {mnemonic}_2)",
                    j + 1,
                    i + 1
                )));
            }
            if let Some(cal) = self.calibration(i) {
                cal.validate().map_err(|e| in_curve(e, i, mnemonic))?;
            }
            if let Some(edited) = &c.edited {
                if !(edited.rows_per_track_row.is_finite() && edited.rows_per_track_row > 0.0) {
                    return Err(Error::bad_parameter(format!(
                        "curve {mnemonic}: its edited path's rows_per_track_row is {}, not a positive number; \
                         save the project again from the page",
                        edited.rows_per_track_row
                    )));
                }
                if edited.path.iter().flatten().any(|v| !v.is_finite()) {
                    return Err(Error::bad_parameter(format!(
                        "curve {mnemonic}: its edited path holds a point that is not a finite pixel position; \
                         save the project again from the page"
                    )));
                }
            }
        }
        if let Some([top, bottom]) = self.interval {
            check_range("interval", top, bottom)?;
        }
        if self.exclude.len() > MAX_EXCLUDES {
            return Err(Error::limits(format!(
                "the project excludes {} row ranges, more than the {MAX_EXCLUDES} allowed; merge neighbouring ones",
                self.exclude.len()
            )));
        }
        for &[a, b] in &self.exclude {
            check_range("excluded range", a, b)?;
        }
        for (key, value) in &self.well {
            if !WELL_FIELDS.iter().any(|(k, _)| k == key) {
                let known: Vec<&str> = WELL_FIELDS.iter().map(|(k, _)| *k).collect();
                return Err(Error::bad_parameter(format!(
                    "the well field {key:?} is not one veer writes; use {}",
                    known.join(", ")
                )));
            }
            if value.chars().any(char::is_control) || value.chars().count() > MAX_WELL_VALUE_CHARS {
                return Err(Error::bad_parameter(format!(
                    "the well field {key} must be one line of at most {MAX_WELL_VALUE_CHARS} characters"
                )));
            }
        }
        Ok(())
    }

    /// [`Project::validate`], plus what needs the image size: every curve's track and
    /// seed inside the image (as [`Calibration::validate_for_image`]), each seed inside
    /// the traced rows, and an interval that overlaps the image.
    pub fn validate_for_image(&self, width: u32, height: u32) -> Result<()> {
        self.validate()?;
        let window = self.rows(height)?;
        for i in 0..self.curves.len() {
            let c = &self.curves[i];
            if let Some(cal) = self.calibration(i) {
                cal.validate_for_image(width, height).map_err(|e| in_curve(e, i, &c.mnemonic))?;
            }
            if let Some([sx, sy]) = c.seed {
                if !window.contains(sy) {
                    return Err(Error::bad_parameter(format!(
                        "curve {}: the seed {sx},{sy} lies in rows that are not traced (outside the interval or \
                         in an excluded range); click on the curve inside the interval",
                        c.mnemonic
                    )));
                }
            }
        }
        Ok(())
    }

    /// The traced rows of a scan `height` rows tall: the interval (rounded outwards to
    /// whole rows and clipped to the scan) without the excluded ranges; a range that
    /// reaches an end of the interval moves that end.
    ///
    /// Errors: [`Error::BadParameter`] when the interval lies outside the scan or the
    /// excluded ranges cover all of it.
    pub fn rows(&self, height: u32) -> Result<RowWindow> {
        let clip = |v: f64| v.clamp(0.0, f64::from(height)) as u32;
        let (top, bottom) = match self.interval {
            Some([a, b]) => (clip(a.min(b).floor()), clip(a.max(b).ceil() + 1.0)),
            None => (0, height),
        };
        if top >= bottom {
            return Err(Error::bad_parameter(format!(
                "the interval {:?} lies outside the scan, whose rows are 0 to {}; drag the interval's handles onto the log",
                self.interval.unwrap_or_default(),
                height.saturating_sub(1)
            )));
        }
        let mut exclude: Vec<(u32, u32)> = self
            .exclude
            .iter()
            .map(|&[a, b]| (clip(a.min(b).floor()).max(top), clip(a.max(b).ceil() + 1.0).min(bottom)))
            .filter(|(a, b)| a < b)
            .collect();
        exclude.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(exclude.len());
        for (a, b) in exclude {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        // Excluded ranges at either end shrink the window instead (less to decode and infer).
        let (mut top, mut bottom) = (top, bottom);
        while let Some(&(_, b)) = merged.first().filter(|(a, _)| *a <= top) {
            top = top.max(b);
            merged.remove(0);
        }
        while let Some(&(a, _)) = merged.last().filter(|(_, b)| *b >= bottom) {
            bottom = bottom.min(a);
            merged.pop();
        }
        if top >= bottom {
            return Err(Error::bad_parameter(
                "the excluded ranges cover the whole interval, so nothing is left to trace; remove one",
            ));
        }
        Ok(RowWindow { top, bottom, exclude: merged })
    }
}

/// A calibration error of curve `i`, with the curve named.
fn in_curve(e: Error, i: usize, mnemonic: &str) -> Error {
    let name = if mnemonic.is_empty() { format!("curve {}", i + 1) } else { format!("curve {mnemonic}") };
    match e {
        Error::BadParameter(m) => Error::BadParameter(format!("{name}: {m}")),
        other => other,
    }
}

fn check_range(what: &str, a: f64, b: f64) -> Result<()> {
    if !a.is_finite() || !b.is_finite() {
        return Err(Error::bad_parameter(format!("the {what} [{a}, {b}] must be two finite scan rows [top, bottom]")));
    }
    if a >= b {
        return Err(Error::bad_parameter(format!(
            "the {what} [{a}, {b}] must run from a top row to a lower bottom row; give [top, bottom] with top < bottom"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const TWO: &str = r#"{"version":1,"depth":[[100,1000],[1100,1100]],"depth_unit":"FT",
        "interval":[50,1900],"exclude":[[900,950],[940,1000]],"well":{"WELL":"A 1","UWI":"15-051-1"},
        "curves":[{"mnemonic":"GR","unit":"GAPI","track":[10,200],"scale":[0,150]},
                  {"mnemonic":"ILD","unit":"OHMM","track":[220,400],"scale":[0.2,2000],"log":true,"seed":[300,500]}]}"#;

    #[test]
    fn reads_a_project_and_writes_it_back_unchanged() {
        let p = Project::from_json(TWO).unwrap();
        p.validate().unwrap();
        assert_eq!(p.curves.len(), 2);
        assert_eq!(p.well["UWI"], "15-051-1");
        let again = Project::from_json(&p.to_json()).unwrap();
        assert_eq!(again, p);
        let ild = p.calibration(1).unwrap();
        assert!(ild.log);
        assert_eq!(ild.depth, p.depth);
        assert_eq!(ild.mnemonic.as_deref(), Some("ILD"));
        assert_eq!(ild.depth_unit.as_deref(), Some("FT"));
        assert!(p.calibration(2).is_none());
    }

    #[test]
    fn a_calibration_is_a_project_of_one_curve() {
        let cal = r#"{"track":[20,395],"scale":[0,150],"depth":[[150,3050],[12750,7250]],"mnemonic":"GR","unit":"GAPI","depth_unit":"FT","step":0.5}"#;
        let p = Project::from_json(cal).unwrap();
        p.validate().unwrap();
        assert_eq!(p.curves.len(), 1);
        assert_eq!(p.curves[0].mnemonic, "GR");
        assert_eq!(p.calibration(0).unwrap(), Calibration::from_json(cal).unwrap());
    }

    #[test]
    fn rows_are_the_interval_without_the_excluded_ranges() {
        let p = Project::from_json(TWO).unwrap();
        let w = p.rows(1500).unwrap();
        assert_eq!((w.top, w.bottom), (50, 1500), "clipped to the scan");
        assert_eq!(w.exclude, vec![(900, 1001)], "overlapping ranges merge, ends included");
        assert!(w.contains(50.0) && w.contains(899.9) && !w.contains(900.0) && !w.contains(1000.5));
        assert!(w.contains(1001.0) && !w.contains(49.9) && !w.contains(1500.0));
        assert!(Project::from_json(TWO).unwrap().rows(40).is_err(), "interval below the scan");
        assert!((w.traced_fraction() - (1450.0 - 101.0) / 1450.0).abs() < 1e-12);
        let mut p = Project::from_json(TWO).unwrap();
        p.exclude = vec![[0.0, 99.0], [1200.0, 1900.0], [500.0, 600.0]];
        let w = p.rows(2000).unwrap();
        assert_eq!((w.top, w.bottom, w.exclude.clone()), (100, 1200, vec![(500, 601)]), "end ranges move the ends");
        p.exclude = vec![[0.0, 2000.0]];
        assert!(p.rows(2000).unwrap_err().to_string().contains("nothing is left"));
    }

    #[test]
    fn bad_projects_are_refused_with_the_field_named() {
        let edit = |f: &dyn Fn(&mut Project)| {
            let mut p = Project::from_json(TWO).unwrap();
            f(&mut p);
            p.validate().unwrap_err().to_string()
        };
        assert!(edit(&|p| p.curves[1].mnemonic = "gr".into()).contains("both named"));
        assert!(edit(&|p| p.curves[0].mnemonic = "DEPT".into()).contains("depth index"));
        assert!(edit(&|p| p.curves.clear()).contains("no curves"));
        assert!(edit(&|p| p.curves[1].scale = [0.0, 10.0]).starts_with("curve ILD: a logarithmic scale"));
        assert!(edit(&|p| p.interval = Some([500.0, 100.0])).contains("interval"));
        assert!(edit(&|p| p.exclude.push([f64::NAN, 3.0])).contains("excluded range"));
        assert!(edit(&|p| {
            p.well.insert("OPERATOR".into(), "x".into());
        })
        .contains("COMP"));
        assert!(edit(&|p| {
            p.well.insert("WELL".into(), "a\nb".into());
        })
        .contains("one line"));
        assert!(edit(&|p| p.version = 0).contains("version"));
        let newer = TWO.replace("\"version\":1", "\"version\":7");
        assert!(Project::from_json(&newer).unwrap_err().to_string().contains("newer veer"));
        let unknown = TWO.replace("\"interval\"", "\"intervals\"");
        assert!(Project::from_json(&unknown).unwrap_err().to_string().contains("intervals"));
    }

    #[test]
    fn a_seed_outside_the_traced_rows_is_refused() {
        let mut p = Project::from_json(TWO).unwrap();
        p.validate_for_image(500, 2000).unwrap();
        p.curves[1].seed = Some([300.0, 920.0]);
        assert!(p.validate_for_image(500, 2000).unwrap_err().to_string().contains("not traced"));
        p.curves[1].seed = Some([450.0, 500.0]);
        assert!(p.validate_for_image(500, 2000).unwrap_err().to_string().starts_with("curve ILD: seed"));
    }
}
