//! The one data path every entry point uses:
//! decode → crop/resize → tiled inference → trace → calibrate → resample,
//! for one curve ([`digitise`]) or every curve of a project ([`digitise_project`]).
//!
//! The core keeps no clock: entry points time the stages from the
//! [`Progress`] events, which mark each stage's start and its steps.

use serde::Serialize;

use crate::calibrate::Calibration;
use crate::decode::{decode, GrayImage};
use crate::error::{Error, Result};
use crate::export::{default_step, resample, Curve, Log, ResampleParams, Sample};
use crate::limits::Limits;
use crate::model::{segment, Model};
use crate::preprocess::prepare_track;
use crate::project::{Project, ProjectCurve, RowWindow};
use crate::trace::{side_by_side, stretches, trace_with_ink, uncertain_rows, unwrap_column, Seed, TraceParams};
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
    /// Scan rows `[top, bottom]` where the trace is unsure, top to bottom: the stretches a
    /// person should review (the curve's `uncertain` holds the same as depths).
    pub uncertain: Vec<[f64; 2]>,
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
    digitise_rows(image, 0, (image.width, image.height), calibration, model, progress)
}

/// [`digitise`] on `part`: the rows of a scan `scan_size` (width, height) from row `top` on.
/// The calibration, the seed and the returned path are in the scan's rows; the caller has
/// checked the calibration against the scan.
fn digitise_rows(
    part: &GrayImage,
    top: u32,
    scan_size: (u32, u32),
    calibration: &Calibration,
    model: &Model,
    progress: &mut dyn FnMut(Progress),
) -> Result<Digitised> {
    let top = f64::from(top);
    progress(Progress { stage: Stage::Prepare, done: 0, total: 1 });
    let track = prepare_track(part, calibration.track[0], calibration.track[1], MODEL_WIDTH)?;
    progress(Progress { stage: Stage::Prepare, done: 1, total: 1 });

    let n_tiles = crate::preprocess::tiles(track.height).len();
    progress(Progress { stage: Stage::Infer, done: 0, total: n_tiles });
    let map = segment(&track, model, &mut |done, total| progress(Progress { stage: Stage::Infer, done, total }))?;

    progress(Progress { stage: Stage::Trace, done: 0, total: 1 });
    let seed =
        calibration.seed.map(|[x, y]| Seed { col: track.track_col(x) as f32, row: track.track_row(y - top) as f32 });
    // With backup scales the track is traced laid side by side with itself, once per scale
    // (`trace/wrap.rs`): a wrapped stretch lies in the next copy.
    let copies = calibration.backup.len() + 1;
    let params = TraceParams::default();
    let wide = (copies > 1).then(|| side_by_side(&map, &track.data, copies, params.ink));
    let (tmap, tink) = match &wide {
        Some((m, i)) => (m, i.as_slice()),
        None => (&map, track.data.as_slice()),
    };
    let columns = trace_with_ink(tmap, Some(tink), seed, &params).map_err(|e| {
        match (e, calibration.seed) {
            // The tracer speaks in map coordinates; the user placed the seed in scan pixels.
            (Error::BadParameter(_), Some([x, y])) => Error::bad_parameter(format!(
                "the seed ({x}, {y}) is not on a curve: there is no curve ink near it; click on the wanted curve's \
                 ink (zoom in to place it)"
            )),
            (e, _) => e,
        }
    })?;
    progress(Progress { stage: Stage::Trace, done: 1, total: 1 });

    progress(Progress { stage: Stage::Export, done: 0, total: 1 });
    // A wrapped stretch's column is reported `k` track widths right of the track, where the
    // calibration reads it on its `k`-th backup scale, in the path too: a path edited by hand
    // and exported again keeps its true values.
    let track_width = calibration.track[1] - calibration.track[0];
    let path: Vec<[f64; 2]> = columns
        .iter()
        .enumerate()
        .filter_map(|(row, col)| {
            col.map(|c| {
                let (k, c) = unwrap_column(c, map.width);
                [track.source_x(f64::from(c)) + k as f64 * track_width, track.source_y(row as f64) + top]
            })
        })
        .collect();
    let rows_per_track_row = track.src_height as f64 / track.height as f64;
    let (mut curve, path) = calibrate_path(&path, calibration, rows_per_track_row)?;
    let uncertain: Vec<[f64; 2]> = stretches(&uncertain_rows(tmap, Some(tink), &columns))
        .into_iter()
        .map(|[a, b]| [track.source_y(a as f64 - 0.5) + top, track.source_y(b as f64 + 0.5) + top])
        .collect();
    curve.uncertain = uncertain_depths(&uncertain, calibration);
    progress(Progress { stage: Stage::Export, done: 1, total: 1 });

    let found = columns.iter().filter(|c| c.is_some()).count();
    Ok(Digitised {
        curve,
        path,
        uncertain,
        stats: RunStats {
            image_width: scan_size.0,
            image_height: scan_size.1,
            track_rows: track.height,
            track_cols: track.width,
            tiles: n_tiles,
            coverage: found as f64 / columns.len().max(1) as f64,
            rows_per_track_row,
            model: model.precision(),
        },
    })
}

/// The result of digitising a project: every curve on one depth index, and for each
/// curve its path over the scan and how it was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitisedProject {
    /// The curves on one depth index, in the project's order, with one step.
    pub log: Log,
    /// One entry per curve, in the same order.
    pub curves: Vec<CurveRun>,
}

/// How one curve of a project was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveRun {
    /// The curve's mnemonic, as in the project.
    pub mnemonic: String,
    /// The path in scan pixels `[x, y]`, one per traced row, gaps and untraced rows left out.
    pub path: Vec<[f64; 2]>,
    /// Scan rows per row of the resized track (sets how far gaps are bridged on export).
    pub rows_per_track_row: f64,
    /// Scan rows `[top, bottom]` where the trace is unsure (as [`Digitised::uncertain`]);
    /// empty for a hand-edited path.
    pub uncertain: Vec<[f64; 2]>,
    /// The run's figures; `None` for a curve exported from its hand-edited path.
    pub stats: Option<RunStats>,
}

/// Decode a scan from its bytes and digitise every curve of a project on it
/// (decoding reports as curve 0).
pub fn digitise_project_bytes(
    bytes: &[u8],
    project: &Project,
    model: &Model,
    limits: &Limits,
    progress: &mut dyn FnMut(usize, Progress),
) -> Result<DigitisedProject> {
    progress(0, Progress { stage: Stage::Decode, done: 0, total: 1 });
    let image = decode(bytes, limits)?;
    progress(0, Progress { stage: Stage::Decode, done: 1, total: 1 });
    digitise_project(&image, project, model, progress)
}

/// Digitise every curve of a project on a decoded scan: only the project's traced
/// rows (its interval without the excluded ranges) are traced and written; a curve
/// with a hand-edited path is exported from that path without tracing it again. All
/// curves are resampled with one step: the project's, or else the finest step any
/// curve's own run would pick. `progress` gets the curve's index with each event.
///
/// Errors: as [`digitise`], with the curve named in the message.
pub fn digitise_project(
    image: &GrayImage,
    project: &Project,
    model: &Model,
    progress: &mut dyn FnMut(usize, Progress),
) -> Result<DigitisedProject> {
    project.validate_for_image(image.width, image.height)?;
    // A rotated scan is straightened first: the project's pixels are the straightened scan's.
    let straightened = match project.rotation {
        Some(r) if r.abs() >= crate::deskew::MIN_ROTATION_DEGREES => Some(crate::deskew::rotate(image, -r)?),
        _ => None,
    };
    let image = straightened.as_ref().unwrap_or(image);
    let window = project.rows(image.height)?;
    let windowed = if window.is_all(image.height) { None } else { Some(window_image(image, &window)) };
    let calibration = |i: usize| {
        project.calibration(i).ok_or_else(|| Error::bad_parameter(format!("the project has no curve {}", i + 1)))
    };

    let mut runs = Vec::with_capacity(project.curves.len());
    for (i, spec) in project.curves.iter().enumerate() {
        let run = if let Some(run) = CurveRun::from_edited(spec) {
            run
        } else {
            let cal = calibration(i)?;
            let mut report = |p: Progress| progress(i, p);
            let size = (image.width, image.height);
            let mut digitised = match &windowed {
                None => digitise_rows(image, 0, size, &cal, model, &mut report),
                Some(part) => digitise_rows(part, window.top, size, &cal, model, &mut report),
            }
            .map_err(|e| name_curve(e, &spec.mnemonic))?;
            digitised.path.retain(|p| window.contains(p[1]));
            digitised.uncertain.retain(|&[a, b]| window.contains(a) || window.contains(b));
            let mut stats = digitised.stats;
            // Excluded rows are blank: coverage counts the traced rows only.
            stats.coverage = (stats.coverage / window.traced_fraction()).min(1.0);
            CurveRun {
                mnemonic: spec.mnemonic.clone(),
                path: digitised.path,
                rows_per_track_row: stats.rows_per_track_row,
                uncertain: digitised.uncertain,
                stats: Some(stats),
            }
        };
        runs.push(run);
    }

    Ok(DigitisedProject { log: project_log(project, image.height, &runs)?, curves: runs })
}

/// The log of a project's curves from their paths (one [`CurveRun`] per curve, in the
/// project's order): each path calibrated and resampled with one step (the project's,
/// or else the finest step any curve's track resolves), nothing written outside the
/// traced rows of a scan `height` rows tall. This is how a project whose curves were
/// edited by hand is exported without tracing them again.
///
/// Errors: [`Error::BadParameter`] when `runs` does not match the project's curves,
/// and as [`curve_from_path`], with the curve named.
pub fn project_log(project: &Project, height: u32, runs: &[CurveRun]) -> Result<Log> {
    project.validate()?;
    if runs.len() != project.curves.len() || runs.iter().zip(&project.curves).any(|(r, c)| r.mnemonic != c.mnemonic) {
        return Err(Error::bad_parameter(format!(
            "{} paths were given for the project's {} curves; give one path per curve, in the project's order",
            runs.len(),
            project.curves.len()
        )));
    }
    let window = project.rows(height)?;
    let calibration = |i: usize| {
        project.calibration(i).ok_or_else(|| Error::bad_parameter(format!("the project has no curve {}", i + 1)))
    };
    let depth_per_row = calibration(0)?.depth_axis().depth_per_row();
    let step = project.step.unwrap_or_else(|| {
        runs.iter().map(|r| default_step(depth_per_row * r.rows_per_track_row)).fold(f64::INFINITY, f64::min)
    });
    let mut curves = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let cal = Calibration { step: Some(step), ..calibration(i)? };
        let path: Vec<[f64; 2]> = run.path.iter().copied().filter(|p| window.contains(p[1])).collect();
        let mut curve =
            curve_from_path(&path, &cal, run.rows_per_track_row).map_err(|e| name_curve(e, &run.mnemonic))?;
        // Gap bridging never reaches into rows that are not traced.
        let depths = cal.depth_axis();
        for (d, v) in curve.depth.iter().zip(curve.value.iter_mut()) {
            if !window.contains(depths.row_at(*d)) {
                *v = None;
            }
        }
        curve.uncertain = uncertain_depths(&run.uncertain, &cal);
        curves.push(curve);
    }
    Log::from_curves(&curves)
}

impl CurveRun {
    /// The run of a curve from its hand-edited path, if the project saved one.
    pub fn from_edited(spec: &ProjectCurve) -> Option<CurveRun> {
        spec.edited.as_ref().map(|e| CurveRun {
            mnemonic: spec.mnemonic.clone(),
            path: e.path.clone(),
            rows_per_track_row: e.rows_per_track_row,
            uncertain: Vec::new(),
            stats: None,
        })
    }
}

/// The traced rows of a scan as an image of their own: rows `top..bottom`, with
/// the excluded ranges blanked to paper so that no curve is found there.
fn window_image(image: &GrayImage, window: &RowWindow) -> GrayImage {
    let w = image.width as usize;
    let (top, bottom) = (window.top as usize, window.bottom as usize);
    let mut data = image.data[top * w..bottom * w].to_vec();
    for &(a, b) in &window.exclude {
        data[(a as usize - top) * w..(b as usize - top) * w].fill(u8::MAX);
    }
    GrayImage { width: image.width, height: window.bottom - window.top, data }
}

/// An error of one curve, with the curve named.
fn name_curve(e: Error, mnemonic: &str) -> Error {
    match e {
        Error::BadParameter(m) => Error::BadParameter(format!("curve {mnemonic}: {m}")),
        Error::NoCurve(m) => Error::NoCurve(format!("curve {mnemonic}: {m}")),
        other => other,
    }
}

/// Scan-row stretches as depth ranges `[shallow, deep]`, in depth order.
fn uncertain_depths(rows: &[[f64; 2]], calibration: &Calibration) -> Vec<[f64; 2]> {
    let depths = calibration.depth_axis();
    let mut out: Vec<[f64; 2]> = rows
        .iter()
        .map(|&[a, b]| {
            let (da, db) = (depths.depth_at(a), depths.depth_at(b));
            [da.min(db), da.max(db)]
        })
        .filter(|[a, b]| a.is_finite() && b.is_finite())
        .collect();
    out.sort_by(|x, y| x[0].total_cmp(&y[0]));
    out
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_window_image_holds_the_traced_rows_with_exclusions_blank() {
        let image = GrayImage { width: 2, height: 6, data: (0..12).collect() };
        let window = RowWindow { top: 1, bottom: 5, exclude: vec![(2, 4)] };
        let part = window_image(&image, &window);
        assert_eq!((part.width, part.height), (2, 4));
        assert_eq!(part.data, vec![2, 3, 255, 255, 255, 255, 8, 9]);
    }
}
