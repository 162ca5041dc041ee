//! The one data path every entry point uses:
//! decode → crop/resize → tiled inference → trace → calibrate → resample.
//!
//! The core keeps no clock: entry points time the stages from the
//! [`Progress`] events, which mark each stage's start and its steps.

use serde::Serialize;

use crate::calibrate::Calibration;
use crate::decode::{decode, GrayImage};
use crate::error::{Error, Result};
use crate::export::{default_step, resample, Curve, ResampleParams, Sample};
use crate::limits::Limits;
use crate::model::{segment, Model};
use crate::preprocess::prepare_track;
use crate::trace::{trace_with_ink, Seed, TraceParams};
use crate::MODEL_WIDTH;

/// Longest stretch without ink, in rows of the resized track (6% of its width),
/// that is interpolated across: the gaps of dashed and dotted curves and short
/// breaks in faded ink. Longer stretches (a curve off the track, a missing
/// section) stay gaps: NULL in LAS, left out of CSV.
pub const MAX_BRIDGE_ROWS: f64 = 16.0;

/// Stages of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Decode,
    Prepare,
    Infer,
    Trace,
    Export,
}

impl Stage {
    /// Lower-case name (as in progress events).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Prepare => "prepare",
            Stage::Infer => "infer",
            Stage::Trace => "trace",
            Stage::Export => "export",
        }
    }
}

/// A progress event: `done` of `total` steps of `stage` are finished
/// (`done == 0` marks the stage's start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

/// The result of digitising one track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digitised {
    /// The calibrated curve on a regular depth grid.
    pub curve: Curve,
    /// The traced path in scan pixels, `[x, y]`, one per traced row (gaps left out),
    /// for drawing over the scan.
    pub path: Vec<[f64; 2]>,
    /// What the run saw.
    pub stats: RunStats,
}

/// Figures about a run that entry points report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStats {
    pub image_width: u32,
    pub image_height: u32,
    /// Rows x columns of the resized track the model saw.
    pub track_rows: usize,
    pub track_cols: usize,
    pub tiles: usize,
    /// Fraction of track rows where a curve was found.
    pub coverage: f64,
    /// Scan rows per row of the resized track (what [`curve_from_path`] needs to
    /// re-export an edited path with the same gap bridging).
    pub rows_per_track_row: f64,
    pub model: &'static str,
}

/// Decode and digitise a scan from its bytes.
pub fn digitise_bytes(
    bytes: &[u8],
    calibration: &Calibration,
    model: &Model,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Digitised> {
    progress(Progress { stage: Stage::Decode, done: 0, total: 1 });
    let image = decode(bytes, limits)?;
    progress(Progress { stage: Stage::Decode, done: 1, total: 1 });
    digitise(&image, calibration, model, progress)
}

/// Digitise one track of a decoded scan.
pub fn digitise(
    image: &GrayImage,
    calibration: &Calibration,
    model: &Model,
    progress: &mut dyn FnMut(Progress),
) -> Result<Digitised> {
    calibration.validate_for_image(image.width, image.height)?;

    progress(Progress { stage: Stage::Prepare, done: 0, total: 1 });
    let track = prepare_track(image, calibration.track[0], calibration.track[1], MODEL_WIDTH)?;
    progress(Progress { stage: Stage::Prepare, done: 1, total: 1 });

    let n_tiles = crate::preprocess::tiles(track.height).len();
    progress(Progress { stage: Stage::Infer, done: 0, total: n_tiles });
    let map = segment(&track, model, &mut |done, total| {
        progress(Progress { stage: Stage::Infer, done, total })
    })?;

    progress(Progress { stage: Stage::Trace, done: 0, total: 1 });
    let seed = calibration.seed.map(|[x, y]| Seed {
        col: track.track_col(x) as f32,
        row: track.track_row(y) as f32,
    });
    let columns = trace_with_ink(&map, Some(&track.data), seed, &TraceParams::default()).map_err(|e| match (e, calibration.seed) {
        // The tracer speaks in map coordinates; the user placed the seed in scan pixels.
        (Error::BadParameter(_), Some([x, y])) => Error::bad_parameter(format!(
            "the seed ({x}, {y}) is not on a curve: there is no curve ink near it; click on the wanted curve's ink (zoom in to place it)"
        )),
        (e, _) => e,
    })?;
    progress(Progress { stage: Stage::Trace, done: 1, total: 1 });

    progress(Progress { stage: Stage::Export, done: 0, total: 1 });
    let path: Vec<[f64; 2]> = columns
        .iter()
        .enumerate()
        .filter_map(|(row, col)| col.map(|c| [track.source_x(f64::from(c)), track.source_y(row as f64)]))
        .collect();
    let rows_per_track_row = track.src_height as f64 / track.height as f64;
    let (curve, path) = calibrate_path(&path, calibration, rows_per_track_row)?;
    progress(Progress { stage: Stage::Export, done: 1, total: 1 });

    let found = columns.iter().filter(|c| c.is_some()).count();
    Ok(Digitised {
        curve,
        path,
        stats: RunStats {
            image_width: image.width,
            image_height: image.height,
            track_rows: track.height,
            track_cols: track.width,
            tiles: n_tiles,
            coverage: found as f64 / columns.len().max(1) as f64,
            rows_per_track_row,
            model: model.precision(),
        },
    })
}

/// Calibrate a traced path (scan pixels `[x, y]`, rows without a curve left
/// out) into a curve on a regular depth grid, bridging stretches without ink up to
/// [`MAX_BRIDGE_ROWS`] track rows like a run does. This is how an edited path
/// (points dragged, stretches erased by hand) is exported with the same writers.
pub fn curve_from_path(path: &[[f64; 2]], calibration: &Calibration, rows_per_track_row: f64) -> Result<Curve> {
    calibration.validate()?;
    if !(rows_per_track_row.is_finite() && rows_per_track_row > 0.0) {
        return Err(Error::bad_parameter(format!(
            "rows per track row must be a positive number, not {rows_per_track_row}; pass the value from the run's stats"
        )));
    }
    calibrate_path(path, calibration, rows_per_track_row).map(|(curve, _)| curve)
}

/// Map path points to (depth, value) samples and resample them; returns the
/// curve and the points that calibrated to finite numbers.
fn calibrate_path(
    path: &[[f64; 2]],
    calibration: &Calibration,
    rows_per_track_row: f64,
) -> Result<(Curve, Vec<[f64; 2]>)> {
    let values = calibration.value_axis();
    let depths = calibration.depth_axis();
    let mut kept = Vec::with_capacity(path.len());
    let mut samples = Vec::with_capacity(path.len());
    for &[x, y] in path {
        let value = values.value_at(x);
        let depth = depths.depth_at(y);
        if x.is_finite() && y.is_finite() && value.is_finite() && depth.is_finite() {
            kept.push([x, y]);
            samples.push(Sample { depth, value });
        }
    }
    if samples.len() < 2 {
        return Err(Error::no_curve(
            "no curve was found in the track; check the track edges and that the curve's ink lies between them",
        ));
    }
    // Depth covered by one row of the resized track.
    let depth_per_map_row = depths.depth_per_row() * rows_per_track_row;
    let step = calibration.step.unwrap_or_else(|| default_step(depth_per_map_row));
    let curve = resample(
        &samples,
        &ResampleParams {
            step,
            max_gap: MAX_BRIDGE_ROWS * depth_per_map_row.abs(),
            log: calibration.log,
            mnemonic: calibration.mnemonic.as_deref().unwrap_or("CURVE"),
            unit: calibration.unit.as_deref().unwrap_or(""),
            depth_unit: calibration.depth_unit.as_deref().unwrap_or("M"),
        },
    )?;
    Ok((curve, kept))
}
