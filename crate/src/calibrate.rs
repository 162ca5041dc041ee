//! Calibration: pixel columns to values, pixel rows to depths.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a scan's pixels map to depth and value. The JSON form of this struct is what
/// `veer batch --calibration FILE`, the HTTP API and the browser save and load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Pixel columns of the track's left and right edges, `[x0, x1]`, `x0 < x1`.
    pub track: [f64; 2],
    /// Values at the left and right edges, `[left, right]` (left may exceed right).
    pub scale: [f64; 2],
    /// Logarithmic (log10) value axis.
    #[serde(default)]
    pub log: bool,
    /// Two or more tie points `[row, depth]`; piecewise linear between them,
    /// extrapolated linearly outside.
    pub depth: Vec<[f64; 2]>,
    /// A pixel `[x, y]` on the wanted curve, when the track holds several curves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<[f64; 2]>,
    /// Backup (wrap-around) scales, in order: where the curve runs off the track's right
    /// edge, the pen comes back in at the left edge and draws on the next of these, each
    /// `[left, right]` like `scale` (a gamma ray 0-150 with backup `[[150, 300]]`). The
    /// curve is followed across the wrap and exported in true values. At most
    /// [`MAX_BACKUP_SCALES`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup: Vec<[f64; 2]>,
    /// Output depth step; `None` picks one from the scan's depth per pixel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// Curve mnemonic for LAS (`~C`) and JSON; default `CURVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnemonic: Option<String>,
    /// Unit of the curve's values, e.g. `GAPI`, `OHMM`; default empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Depth unit, `M` or `FT`; default `M`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_unit: Option<String>,
}

/// Most backup scales a curve may have (the wraps a print's recorder made: two at most).
pub const MAX_BACKUP_SCALES: usize = 3;

/// Checks a curve's backup scales (see [`Calibration::backup`]) on a linear or log (`log`)
/// axis: at most [`MAX_BACKUP_SCALES`], each two different finite numbers, positive on a log
/// axis. Part of [`Calibration::validate`]; the page checks a typed field with it too.
///
/// Errors: [`Error::BadParameter`] naming the scale and the fix.
pub fn check_backup(backup: &[[f64; 2]], log: bool) -> Result<()> {
    if backup.len() > MAX_BACKUP_SCALES {
        return Err(Error::bad_parameter(format!(
            "{} backup scales given, at most {MAX_BACKUP_SCALES}; give the wrap-around scales the print's header lists",
            backup.len()
        )));
    }
    for &[l, r] in backup {
        if !l.is_finite() || !r.is_finite() || l == r || (log && (l <= 0.0 || r <= 0.0)) {
            return Err(Error::bad_parameter(format!(
                "backup scale {l}:{r} is not valid: give the values at the track's left and right edges on the \
                 wrap-around scale, two different numbers (positive on a log track), e.g. 150:300"
            )));
        }
    }
    Ok(())
}

/// Smallest track width, in pixels, that [`Calibration::validate`] accepts.
pub const MIN_TRACK_WIDTH_PX: f64 = 8.0;

impl Calibration {
    /// Parses a calibration from its JSON form (the form [`Calibration::to_json`] writes).
    ///
    /// Errors: [`Error::BadParameter`] naming the JSON problem (syntax, a missing or
    /// unknown field, a wrong type). The result is *not* validated: call
    /// [`Calibration::validate`] or [`Calibration::validate_for_image`].
    pub fn from_json(s: &str) -> Result<Self> {
        serde_json::from_str(s).map_err(|e| {
            Error::bad_parameter(format!(
                "the calibration JSON is not valid: {e}; expected an object like \
                 {{\"track\":[x0,x1],\"scale\":[left,right],\"log\":false,\"depth\":[[row,depth],[row,depth]]}}"
            ))
        })
    }

    /// The JSON form of this calibration (compact, fields in declaration order,
    /// optional fields left out when unset).
    pub fn to_json(&self) -> String {
        // Serialising plain numbers, strings and vectors cannot fail; non-finite
        // numbers become `null` (serde_json's behaviour), which `validate` rejects on load.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Checks everything that can be checked without the image: finite numbers,
    /// a track at least [`MIN_TRACK_WIDTH_PX`] wide with `x0 < x1`, distinct edge
    /// values (positive on a log axis), two or more depth tie points with distinct
    /// rows and depths and depth monotonic in row, a positive step, a finite seed,
    /// and names usable in LAS.
    ///
    /// Errors: [`Error::BadParameter`] naming the field and the fix.
    pub fn validate(&self) -> Result<()> {
        let [x0, x1] = self.track;
        if !x0.is_finite() || !x1.is_finite() {
            return Err(Error::bad_parameter(format!(
                "track edges must be finite pixel columns, got {x0}:{x1}; give them as X0:X1, e.g. 120:480"
            )));
        }
        if x0 >= x1 {
            return Err(Error::bad_parameter(format!(
                "track left edge must be left of the right edge, got {x0}:{x1}; give X0:X1 with X0 < X1 \
                 (use --scale LEFT:RIGHT with LEFT > RIGHT for a reversed scale)"
            )));
        }
        if x1 - x0 < MIN_TRACK_WIDTH_PX {
            return Err(Error::bad_parameter(format!(
                "track is only {} px wide ({x0}:{x1}); its edges must be at least {MIN_TRACK_WIDTH_PX} px \
                 apart: click the track's left and right edge lines",
                x1 - x0
            )));
        }
        let [left, right] = self.scale;
        if !left.is_finite() || !right.is_finite() {
            return Err(Error::bad_parameter(format!(
                "scale values must be finite numbers, got {left}:{right}; give the values at the track's \
                 left and right edges as LEFT:RIGHT, e.g. 0:150"
            )));
        }
        if left == right {
            return Err(Error::bad_parameter(format!(
                "scale values at the left and right edges must differ, both are {left}; \
                 give the values printed at the track's two edges"
            )));
        }
        if self.log && (left <= 0.0 || right <= 0.0) {
            return Err(Error::bad_parameter(format!(
                "a logarithmic scale needs positive edge values, got {left}:{right}; \
                 give the decade values printed at the edges (e.g. 0.2:2000) or drop --log for a linear scale"
            )));
        }
        check_backup(&self.backup, self.log)?;
        self.validate_depth()?;
        if let Some(step) = self.step {
            if !step.is_finite() || step <= 0.0 {
                return Err(Error::bad_parameter(format!(
                    "depth step must be a positive number, got {step}; give e.g. --step 0.1 \
                     or leave it out to pick one from the scan"
                )));
            }
        }
        if let Some([sx, sy]) = self.seed {
            if !sx.is_finite() || !sy.is_finite() {
                return Err(Error::bad_parameter(format!(
                    "seed must be a finite pixel position, got {sx},{sy}; give it as X,Y on the wanted curve"
                )));
            }
        }
        if let Some(m) = &self.mnemonic {
            check_las_name("mnemonic", m, true)?;
        }
        if let Some(u) = &self.unit {
            check_las_name("unit", u, false)?;
        }
        if let Some(u) = &self.depth_unit {
            check_las_name("depth_unit", u, false)?;
        }
        Ok(())
    }

    fn validate_depth(&self) -> Result<()> {
        if self.depth.len() < 2 {
            return Err(Error::bad_parameter(format!(
                "at least two depth tie points are needed, got {}; click two or more depth lines \
                 and give their depths (--depth Y0=D0,Y1=D1)",
                self.depth.len()
            )));
        }
        for &[row, depth] in &self.depth {
            if !row.is_finite() || !depth.is_finite() {
                return Err(Error::bad_parameter(format!(
                    "depth tie points must be finite numbers, got row {row} = depth {depth}; \
                     give each as ROW=DEPTH, e.g. 120=1500"
                )));
            }
        }
        let mut pts = self.depth.clone();
        pts.sort_by(|a, b| a[0].total_cmp(&b[0]));
        for w in pts.windows(2) {
            if let [a, b] = w {
                if a[0] == b[0] {
                    return Err(Error::bad_parameter(format!(
                        "depth tie points must have distinct rows: row {} is used twice; \
                         click two different depth lines",
                        a[0]
                    )));
                }
            }
        }
        let mut by_depth = self.depth.clone();
        by_depth.sort_by(|a, b| a[1].total_cmp(&b[1]));
        for w in by_depth.windows(2) {
            if let [a, b] = w {
                if a[1] == b[1] {
                    return Err(Error::bad_parameter(format!(
                        "depth tie points must have distinct depths: depth {} is given for rows {} and {}; \
                         check the depth values you typed",
                        a[1], a[0], b[0]
                    )));
                }
            }
        }
        let increasing = pts.last().map(|p| p[1]).unwrap_or(0.0) > pts.first().map(|p| p[1]).unwrap_or(0.0);
        for w in pts.windows(2) {
            if let [a, b] = w {
                if (b[1] > a[1]) != increasing {
                    return Err(Error::bad_parameter(format!(
                        "depth must change in one direction down the scan, but row {} = {}, row {} = {} \
                         goes against the other tie points; check the depth values you typed for these rows",
                        a[0], a[1], b[0], b[1]
                    )));
                }
            }
        }
        Ok(())
    }

    /// [`Calibration::validate`], plus the checks that need the image size: the image
    /// is nonempty, the track lies inside columns `[0, width-1]` and the seed inside
    /// the track and the image. Depth tie points may lie outside the image (a depth
    /// can be tied from the header).
    ///
    /// Errors: [`Error::BadParameter`] naming the field and the fix.
    pub fn validate_for_image(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::bad_parameter(format!(
                "the image is empty ({width} x {height} px); load a scan with pixels in it"
            )));
        }
        self.validate()?;
        let max_x = f64::from(width - 1);
        let [x0, x1] = self.track;
        if x0 < 0.0 || x1 > max_x {
            return Err(Error::bad_parameter(format!(
                "track {x0}:{x1} lies outside the image, whose columns are 0 to {max_x}; \
                 click the track edges inside the scan"
            )));
        }
        if let Some([sx, sy]) = self.seed {
            let max_y = f64::from(height - 1);
            if sx < x0 || sx > x1 {
                return Err(Error::bad_parameter(format!(
                    "seed {sx},{sy} lies outside the track {x0}:{x1}; click on the wanted curve inside the track"
                )));
            }
            if sy < 0.0 || sy > max_y {
                return Err(Error::bad_parameter(format!(
                    "seed {sx},{sy} lies outside the image, whose rows are 0 to {max_y}; \
                     click on the wanted curve inside the scan"
                )));
            }
        }
        Ok(())
    }

    /// The pixel-column-to-value mapping. Meaningful once [`Calibration::validate`] passed.
    pub fn value_axis(&self) -> ValueAxis {
        let t = |v: f64| if self.log { v.log10() } else { v };
        let mut backup = [(0.0, 0.0); MAX_BACKUP_SCALES];
        for (b, s) in backup.iter_mut().zip(&self.backup) {
            *b = (t(s[0]), t(s[1]));
        }
        ValueAxis {
            x0: self.track[0],
            x1: self.track[1],
            u0: t(self.scale[0]),
            u1: t(self.scale[1]),
            log: self.log,
            backup,
            backups: self.backup.len().min(MAX_BACKUP_SCALES),
        }
    }

    /// The pixel-row-to-depth mapping. Meaningful once [`Calibration::validate`] passed.
    pub fn depth_axis(&self) -> DepthAxis {
        let mut points: Vec<(f64, f64)> = self.depth.iter().map(|p| (p[0], p[1])).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        DepthAxis { points }
    }
}

/// Checks a name that ends up in a LAS header line (`MNEM.UNIT  VALUE : DESC`).
fn check_las_name(field: &str, s: &str, nonempty: bool) -> Result<()> {
    if nonempty && s.is_empty() {
        return Err(Error::bad_parameter(format!("{field} must not be empty; give a short name such as GR")));
    }
    if s.chars().count() > 32 {
        return Err(Error::bad_parameter(format!(
            "{field} \"{s}\" is longer than 32 characters; give a short name such as GR or OHMM"
        )));
    }
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == ':' || c == '~' || (nonempty && c == '.');
    if let Some(c) = s.chars().find(|&c| bad(c)) {
        return Err(Error::bad_parameter(format!(
            "{field} \"{s}\" contains {c:?}, which LAS 2.0 does not allow there; \
             use letters, digits, '_', '-' or '/' only"
        )));
    }
    Ok(())
}

/// Maps pixel columns to values: linear, or linear in log10 of the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueAxis {
    x0: f64,
    x1: f64,
    /// Value (or log10 of it) at `x0`.
    u0: f64,
    /// Value (or log10 of it) at `x1`.
    u1: f64,
    log: bool,
    /// The backup scales' `(u0, u1)`, the first `backups` of them.
    backup: [(f64, f64); MAX_BACKUP_SCALES],
    backups: usize,
}

impl ValueAxis {
    /// The value at pixel column `x` (image pixel columns, the same frame as the
    /// track edges); columns outside the track extrapolate. With backup scales, a
    /// column `k` track widths right of the track (a wrapped stretch, as the tracer
    /// reports it: the column in the track plus `k` widths) reads on the `k`-th backup
    /// scale.
    pub fn value_at(&self, x: f64) -> f64 {
        let width = self.x1 - self.x0;
        let wraps = if self.backups > 0 && x > self.x1 { ((x - self.x0) / width).floor() as usize } else { 0 };
        let (x, (u0, u1)) = match wraps.min(self.backups) {
            0 => (x, (self.u0, self.u1)),
            k => (x - k as f64 * width, self.backup[k - 1]),
        };
        let u = u0 + (x - self.x0) / width * (u1 - u0);
        if self.log {
            10f64.powf(u)
        } else {
            u
        }
    }

    /// The pixel column of `value`, the inverse of [`ValueAxis::value_at`]. On a log
    /// axis a non-positive value has no column and gives NaN.
    pub fn column_at(&self, value: f64) -> f64 {
        let u = if self.log {
            if value > 0.0 {
                value.log10()
            } else {
                return f64::NAN;
            }
        } else {
            value
        };
        self.x0 + (u - self.u0) / (self.u1 - self.u0) * (self.x1 - self.x0)
    }

    /// Whether the axis is logarithmic.
    pub fn is_log(&self) -> bool {
        self.log
    }
}

/// Maps pixel rows to depths: piecewise linear through the tie points (sorted by
/// row), extrapolated linearly with the first and last segments.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthAxis {
    /// `(row, depth)`, sorted by row, at least two, rows and depths distinct,
    /// depth monotonic (as [`Calibration::validate`] guarantees).
    points: Vec<(f64, f64)>,
}

impl DepthAxis {
    /// Index `k` of the segment `points[k]..points[k+1]` used for `v`, where `key`
    /// picks the coordinate (row or depth) and `ascending` tells its order.
    fn segment(&self, v: f64, key: impl Fn(&(f64, f64)) -> f64, ascending: bool) -> usize {
        let n = self.points.len();
        if n < 2 {
            return 0;
        }
        // Number of interior breakpoints (points[1..n-1]) that v has passed.
        let passed = self.points[1..n - 1].partition_point(|p| if ascending { key(p) <= v } else { key(p) >= v });
        passed.min(n - 2)
    }

    fn pair(&self, k: usize) -> Option<((f64, f64), (f64, f64))> {
        Some((*self.points.get(k)?, *self.points.get(k + 1)?))
    }

    /// The depth at pixel row `row` (image rows).
    pub fn depth_at(&self, row: f64) -> f64 {
        let k = self.segment(row, |p| p.0, true);
        match self.pair(k) {
            Some(((r0, d0), (r1, d1))) => d0 + (row - r0) / (r1 - r0) * (d1 - d0),
            None => f64::NAN,
        }
    }

    /// The pixel row of `depth`, the inverse of [`DepthAxis::depth_at`].
    pub fn row_at(&self, depth: f64) -> f64 {
        let ascending = self.increasing();
        let k = self.segment(depth, |p| p.1, ascending);
        match self.pair(k) {
            Some(((r0, d0), (r1, d1))) => r0 + (depth - d0) / (d1 - d0) * (r1 - r0),
            None => f64::NAN,
        }
    }

    /// Absolute depth per pixel row over the whole tie span (first to last tie point).
    pub fn depth_per_row(&self) -> f64 {
        match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) if b.0 != a.0 => ((b.1 - a.1) / (b.0 - a.0)).abs(),
            _ => f64::NAN,
        }
    }

    /// Whether depth increases with row (down the scan).
    pub fn increasing(&self) -> bool {
        match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) => b.1 > a.1,
            _ => true,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn cal() -> Calibration {
        Calibration {
            track: [100.0, 300.0],
            scale: [0.0, 150.0],
            log: false,
            depth: vec![[0.0, 1000.0], [1000.0, 1100.0]],
            seed: None,
            backup: Vec::new(),
            step: None,
            mnemonic: None,
            unit: None,
            depth_unit: None,
        }
    }

    #[test]
    fn backup_scales_read_wrapped_columns() {
        let c = Calibration { backup: vec![[150.0, 300.0]], ..cal() };
        c.validate().unwrap();
        let axis = c.value_axis();
        // The track is columns 100-300: inside it the main scale, one width right the backup.
        assert!((axis.value_at(200.0) - 75.0).abs() < 1e-9);
        assert!((axis.value_at(300.0) - 150.0).abs() < 1e-9);
        assert!((axis.value_at(400.0) - 225.0).abs() < 1e-9);
        // Without a backup, a column right of the track extrapolates the main scale.
        assert!((cal().value_axis().value_at(400.0) - 225.0).abs() < 1e-9);
        // A backup with other steps (resistivity 0-50, then 50-500).
        let r = Calibration { scale: [0.0, 50.0], backup: vec![[50.0, 500.0]], ..cal() };
        assert!((r.value_axis().value_at(400.0) - 275.0).abs() < 1e-9);
        for bad in [vec![[150.0, 150.0]], vec![[f64::NAN, 300.0]], vec![[1.0, 2.0]; 4]] {
            assert!(Calibration { backup: bad.clone(), ..cal() }.validate().is_err(), "{bad:?}");
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    fn bad(c: &Calibration, needle: &str) {
        match c.validate() {
            Err(Error::BadParameter(m)) => assert!(m.contains(needle), "message {m:?} lacks {needle:?}"),
            other => panic!("expected BadParameter containing {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn linear_axis() {
        let a = cal().value_axis();
        assert!(close(a.value_at(100.0), 0.0));
        assert!(close(a.value_at(300.0), 150.0));
        assert!(close(a.value_at(200.0), 75.0));
        assert!(close(a.value_at(0.0), -75.0)); // extrapolates
        assert!(close(a.column_at(75.0), 200.0));
        assert!(close(a.column_at(a.value_at(123.4)), 123.4));
        assert!(!a.is_log());
    }

    #[test]
    fn reversed_linear_axis() {
        let mut c = cal();
        c.scale = [0.45, -0.15]; // neutron porosity: left > right
        c.validate().unwrap();
        let a = c.value_axis();
        assert!(close(a.value_at(100.0), 0.45));
        assert!(close(a.value_at(300.0), -0.15));
        assert!(close(a.value_at(200.0), 0.15));
        assert!(close(a.column_at(0.15), 200.0));
    }

    #[test]
    fn log_axis() {
        let mut c = cal();
        c.log = true;
        c.scale = [0.2, 2000.0]; // four decades over 200 px
        c.validate().unwrap();
        let a = c.value_axis();
        assert!(a.is_log());
        assert!(close(a.value_at(100.0), 0.2));
        assert!(close(a.value_at(300.0), 2000.0));
        assert!(close(a.value_at(150.0), 2.0));
        assert!(close(a.value_at(200.0), 20.0));
        assert!(close(a.column_at(20.0), 200.0));
        assert!(close(a.column_at(a.value_at(277.7)), 277.7));
        assert!(a.column_at(0.0).is_nan());
        assert!(a.column_at(-1.0).is_nan());
    }

    #[test]
    fn reversed_log_axis() {
        let mut c = cal();
        c.log = true;
        c.scale = [1000.0, 1.0];
        c.validate().unwrap();
        let a = c.value_axis();
        assert!(close(a.value_at(100.0), 1000.0));
        assert!(close(a.value_at(300.0), 1.0));
        assert!(close(a.value_at(200.0), 1000f64.sqrt()));
        assert!(close(a.column_at(10.0), 100.0 + 200.0 * 2.0 / 3.0));
    }

    #[test]
    fn two_tie_points() {
        let d = cal().depth_axis();
        assert!(close(d.depth_at(0.0), 1000.0));
        assert!(close(d.depth_at(500.0), 1050.0));
        assert!(close(d.depth_at(1000.0), 1100.0));
        assert!(close(d.depth_at(-100.0), 990.0));
        assert!(close(d.depth_at(1200.0), 1120.0));
        assert!(close(d.row_at(1050.0), 500.0));
        assert!(close(d.row_at(980.0), -200.0));
        assert!(close(d.row_at(1130.0), 1300.0));
        assert!(close(d.depth_per_row(), 0.1));
        assert!(d.increasing());
    }

    #[test]
    fn three_tie_points_unsorted_with_extrapolation() {
        let mut c = cal();
        // Given out of order; a stretched middle section.
        c.depth = vec![[1000.0, 1200.0], [0.0, 1000.0], [500.0, 1050.0]];
        c.validate().unwrap();
        let d = c.depth_axis();
        assert!(close(d.depth_at(250.0), 1025.0)); // first segment: 0.1 / row
        assert!(close(d.depth_at(750.0), 1125.0)); // second segment: 0.3 / row
        assert!(close(d.depth_at(-10.0), 999.0)); // extrapolated with the first segment
        assert!(close(d.depth_at(1010.0), 1203.0)); // extrapolated with the last segment
        assert!(close(d.depth_at(500.0), 1050.0));
        for row in [-300.0, -1.0, 0.0, 123.0, 499.0, 500.0, 501.0, 999.0, 1000.0, 4000.0] {
            assert!(close(d.row_at(d.depth_at(row)), row), "row {row}");
        }
        assert!(close(d.depth_per_row(), 0.2));
    }

    #[test]
    fn depth_decreasing_downwards() {
        let mut c = cal();
        // Elevation-style: depth (or altitude) decreasing down the scan.
        c.depth = vec![[0.0, 500.0], [100.0, 450.0], [300.0, 250.0]];
        c.validate().unwrap();
        let d = c.depth_axis();
        assert!(!d.increasing());
        assert!(close(d.depth_at(50.0), 475.0));
        assert!(close(d.depth_at(200.0), 350.0));
        assert!(close(d.depth_at(-10.0), 505.0));
        assert!(close(d.depth_at(310.0), 240.0));
        for depth in [600.0, 500.0, 480.0, 450.0, 300.0, 250.0, 100.0] {
            assert!(close(d.depth_at(d.row_at(depth)), depth), "depth {depth}");
        }
        assert!(close(d.row_at(475.0), 50.0));
        assert!(close(d.row_at(240.0), 310.0));
        assert!(close(d.depth_per_row(), 250.0 / 300.0));
    }

    #[test]
    fn json_round_trip_and_errors() {
        let mut c = cal();
        c.seed = Some([150.0, 20.0]);
        c.step = Some(0.5);
        c.mnemonic = Some("GR".into());
        let s = c.to_json();
        assert_eq!(Calibration::from_json(&s).unwrap(), c);
        // Every f64 survives the trip bit for bit (a fuzz finding: serde_json's fast float
        // parser was one ulp off for 4444444444444444444444444444447010.0).
        let mut big = cal();
        big.depth[0][1] = 4444444444444444444444444444447010.0;
        big.scale[1] = 0.1 + 0.2;
        assert_eq!(Calibration::from_json(&big.to_json()).unwrap(), big);
        // Defaults: log false, optional fields absent.
        let min = r#"{"track":[1,20],"scale":[0,1],"depth":[[0,0],[10,1]]}"#;
        let m = Calibration::from_json(min).unwrap();
        assert!(!m.log && m.seed.is_none() && m.step.is_none());
        assert!(!cal().to_json().contains("seed"));
        for (json, needle) in [
            ("{", "calibration JSON"),
            (r#"{"track":[1,20],"scale":[0,1]}"#, "depth"),
            (r#"{"track":[1,20],"scale":[0,1],"depth":[[0,0],[10,1]],"colour":1}"#, "colour"),
            (r#"{"track":"a","scale":[0,1],"depth":[[0,0],[10,1]]}"#, "calibration JSON"),
        ] {
            match Calibration::from_json(json) {
                Err(Error::BadParameter(msg)) => assert!(msg.contains(needle), "{msg}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn validation_errors() {
        cal().validate().unwrap();
        let mut c = cal();
        c.track = [f64::NAN, 300.0];
        bad(&c, "track edges must be finite");
        c.track = [300.0, 100.0];
        bad(&c, "left edge must be left");
        c.track = [100.0, 100.0];
        bad(&c, "left edge must be left");
        c.track = [100.0, 107.0];
        bad(&c, "at least 8 px apart");
        c.track = [100.0, 108.0];
        c.validate().unwrap();

        let mut c = cal();
        c.scale = [0.0, f64::INFINITY];
        bad(&c, "scale values must be finite");
        c.scale = [5.0, 5.0];
        bad(&c, "must differ");
        c.scale = [0.0, 100.0];
        c.log = true;
        bad(&c, "positive edge values");
        c.scale = [10.0, -1.0];
        bad(&c, "positive edge values");

        let mut c = cal();
        c.depth = vec![[0.0, 1000.0]];
        bad(&c, "at least two depth tie points");
        c.depth = vec![];
        bad(&c, "at least two depth tie points");
        c.depth = vec![[0.0, 1000.0], [f64::NAN, 1100.0]];
        bad(&c, "finite numbers");
        c.depth = vec![[120.0, 1000.0], [120.0, 1100.0]];
        bad(&c, "distinct rows: row 120 is used twice; click two different depth lines");
        c.depth = vec![[0.0, 1000.0], [100.0, 1000.0]];
        bad(&c, "distinct depths: depth 1000");
        c.depth = vec![[0.0, 1000.0], [100.0, 1100.0], [200.0, 1050.0]];
        bad(&c, "one direction");
        c.depth = vec![[0.0, 1000.0], [100.0, 900.0], [200.0, 950.0]];
        bad(&c, "one direction");

        let mut c = cal();
        for step in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            c.step = Some(step);
            bad(&c, "depth step must be a positive number");
        }
        let mut c = cal();
        c.seed = Some([f64::NAN, 3.0]);
        bad(&c, "seed must be a finite");

        let mut c = cal();
        c.mnemonic = Some("G R".into());
        bad(&c, "mnemonic");
        c.mnemonic = Some("GR.X".into());
        bad(&c, "mnemonic");
        c.mnemonic = Some(String::new());
        bad(&c, "mnemonic must not be empty");
        c.mnemonic = Some("GR".into());
        c.unit = Some("g/cc:".into());
        bad(&c, "unit");
        c.unit = Some("G/C3".into());
        c.depth_unit = Some("F T".into());
        bad(&c, "depth_unit");
    }

    #[test]
    fn image_validation() {
        let mut c = cal();
        c.validate_for_image(400, 50).unwrap();
        // Tie points may lie outside the image.
        assert!(c.depth.iter().any(|p| p[0] >= 50.0));
        for (w, h, needle) in [(0, 10, "image is empty"), (10, 0, "image is empty"), (300, 50, "outside the image")] {
            match c.validate_for_image(w, h) {
                Err(Error::BadParameter(m)) => assert!(m.contains(needle), "{m}"),
                other => panic!("{w}x{h}: {other:?}"),
            }
        }
        c.validate_for_image(301, 1).unwrap();
        c.track = [-1.0, 300.0];
        assert!(matches!(c.validate_for_image(400, 50), Err(Error::BadParameter(_))));
        let mut c = cal();
        c.seed = Some([50.0, 10.0]);
        match c.validate_for_image(400, 50) {
            Err(Error::BadParameter(m)) => assert!(m.contains("outside the track"), "{m}"),
            other => panic!("{other:?}"),
        }
        c.seed = Some([150.0, 50.0]);
        match c.validate_for_image(400, 50) {
            Err(Error::BadParameter(m)) => assert!(m.contains("outside the image"), "{m}"),
            other => panic!("{other:?}"),
        }
        c.seed = Some([150.0, 49.0]);
        c.validate_for_image(400, 50).unwrap();
        // validate() errors come through too.
        c.scale = [1.0, 1.0];
        assert!(matches!(c.validate_for_image(400, 50), Err(Error::BadParameter(_))));
    }
}
