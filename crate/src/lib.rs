//! veer: digitise scanned raster well logs.
//!
//! The core is pure: bytes in, data out. No filesystem, network, threads or JS
//! live here; the CLI, the Lambda and the browser worker feed it.
//!
//! | module | what it does |
//! |---|---|
//! | [`decode`] | PNG / JPEG / TIFF (incl. 1-bit CCITT G4) bytes to an 8-bit gray image, limits checked from the header first |
//! | [`deskew`] | a rotated scan turned back by the project's rotation before anything else |
//! | [`digits`] | depth numbers: labels in the depth column read (a small network), depth fitted against row robustly |
//! | [`encode`] | a decoded scan re-saved compactly (1-bit or gray PNG) for the cloud's request limit |
//! | [`limits`] | the explicit resource limits, in one place |
//! | [`preprocess`] | ink = 1.0, crop to the track, resize to the model width, tiles along depth |
//! | [`model`] | the network from its ONNX bytes, on tract or the own pass; tiles run, blended, stitched |
//! | [`nn`] | veer's own forward pass (the browser's engine): the ONNX file read, the graph run |
//! | [`trace`] | one curve through the probability map: Viterbi with a jump penalty, seed, gaps |
//! | [`calibrate`] | pixel columns to values (linear/log), pixel rows to depth (tie points) |
//! | [`layout`] | a print's geometry without clicks: track edges (as slanted lines) and grids, depth lines, skew, depth column |
//! | [`project`] | a whole print: depth ties, the traced interval, excluded rows, the well's header, every curve |
//! | [`propose`] | a whole print's calibration without clicks: the layout plus depth ties read from the depth column's numbers |
//! | [`export`] | resampling to a depth step; CSV, JSON and LAS 2.0 writers, of one curve or a whole log |
//! | [`pipeline`] | the one data path every entry point uses |
//! | [`selfcheck`] | a report that reads the same on every target (native, wasm32) |
//!
//! [`model`], [`pipeline`] and [`selfcheck`] need the `model` feature and an engine (`tract`, on by
//! default, or `own-nn`, which [`nn`] is); the rest builds without either.

pub mod calibrate;
pub mod decode;
pub mod deskew;
pub mod digits;
pub mod encode;
pub mod error;
pub mod export;
pub mod layout;
pub mod limits;
#[cfg(feature = "model")]
pub mod model;
#[cfg(feature = "own-nn")]
pub mod nn;
pub mod params;
#[cfg(feature = "model")]
pub mod pipeline;
pub mod plan;
pub mod preprocess;
pub mod project;
pub mod propose;
#[cfg(feature = "model")]
pub mod selfcheck;
#[cfg(feature = "sigv4")]
pub mod sigv4;
pub mod trace;

pub use error::{Error, Result};

/// Width, in pixels, that a track is resized to before inference. Heights keep
/// the track's aspect ratio. The network is fully convolutional; it was trained
/// on tracks at this width.
pub const MODEL_WIDTH: usize = 256;
