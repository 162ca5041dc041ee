//! Calibration: pixel columns to values, pixel rows to depths.

use serde::{Deserialize, Serialize};

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
