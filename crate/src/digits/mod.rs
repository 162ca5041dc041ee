//! Depth numbers: reading the labels printed in a print's depth column, and fitting depth against
//! row from them.
//!
//! | file | what |
//! |---|---|
//! | `tuning.rs` | every tuned value (sizes, joining, splitting, confidences, fit tolerance), documented |
//! | `components.rs` | 8-connected ink components in a column span |
//! | `crop.rs` | a character turned upright and normalised to the classifier's 24 x 24 input (the training renderer's arithmetic) |
//! | `labels.rs` | grouping components into labels, characters, orientation (upright, or turned either way), reading |
//! | `reader.rs` | the classifier `models/digits.onnx`, run by the model's engine (`model` feature: tract or the own pass) |
//! | `fit.rs` | the robust depth fit: tie points `[row, depth]` with confidences, rejected readings with reasons |
//! | `scales.rs` | the curves' scale values printed in the header's boxes, and which are backup scales |
//!
//! ```no_run
//! # #[cfg(feature = "model")]
//! fn depth_ties(model_bytes: &[u8], scan: &veer::decode::GrayImage) -> veer::Result<Vec<[f64; 2]>> {
//!     let reader = veer::digits::DigitReader::from_bytes(model_bytes)?; // models/digits.onnx
//!     let readings = veer::digits::read_labels(scan, 499, 665, &reader)?; // the depth column's span
//!     let fit = veer::digits::fit_depth(&readings);
//!     Ok(fit.depth()) // [[row, depth], ...] for the project's `depth`; fit.rejected says what was left out
//! }
//! ```
//!
//! [`DigitReader`] needs the `model` feature (an engine); the rest builds without one.

mod components;
pub mod crop;
mod fit;
mod labels;
#[cfg(feature = "model")]
mod reader;
mod scales;
pub mod tuning;

use serde::Serialize;

pub use fit::{fit_depth, DepthFit, Rejected, Tie};
pub use labels::{
    read_labels, read_labels_with, Classify, LabelRules, CLASSES, DEPTH_NUMBERS, NOT_DIGIT, SCALE_VALUES,
};
#[cfg(feature = "model")]
pub use reader::DigitReader;
pub use scales::{read_scales, HeaderScale};

/// Which way a label is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// Upright, read left to right (0 degrees).
    Upright,
    /// Turned 90 degrees counter-clockwise: read from the bottom up.
    Ccw90,
    /// Turned 90 degrees clockwise (270 counter-clockwise): read from the top down.
    Cw90,
}

/// One number label read from the scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// The number, as read (NaN when the label was found but not read).
    pub value: f64,
    /// The digits, as read (empty when not read).
    pub text: String,
    /// How the label is printed (`None` when not read).
    pub orientation: Option<Orientation>,
    /// Row of the label's centre. On the real prints measured (`scripts/real/labels/README.md`) the
    /// depth line a label marks is within 3 rows of it on two (kinney-heinen-1-4, stuckey-1); on
    /// bright-1 the labels sit up to 12 rows off its 10 ft grid lines.
    pub row: f64,
    /// Column of the label's centre.
    pub col: f64,
    /// The label's box `[x0, y0, x1, y1]` (x1, y1 exclusive).
    pub bbox: [u32; 4],
    /// Product of its characters' probabilities, 0-1.
    pub confidence: f32,
}
