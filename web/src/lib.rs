//! veer in the browser: a thin wasm-bindgen layer over the `veer` core.
//!
//! No DOM here. The web worker (`www/core/worker.js`) owns one [`Digitiser`] built
//! from the model bytes; the page talks to the worker with messages. A run either
//! happens in one call ([`Digitiser::run`], [`Digitiser::run_project`]) or staged,
//! its tiles inferred on other workers: [`Digitiser::start_run`] /
//! [`Digitiser::start_project`] give the tiles to infer, [`Digitiser::give_tile`] takes
//! their outputs back (blended by the core), [`Digitiser::finish_run`] traces and answers
//! as the one-call run does. Results
//! cross into JS through serde-wasm-bindgen as plain objects; errors are JS
//! `Error`s with a `kind` property (the core's error kinds: `bad_input`,
//! `unsupported`, `limits`, `bad_parameter`, `model`, `no_curve`) and a message
//! that says what to do.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use veer::calibrate::Calibration;
use veer::decode::{decode, probe as probe_header, GrayImage, ImageInfo};
use veer::digits::DigitReader;
use veer::export::{write_log, Format, LasInfo, Log};
use veer::layout::{Finding, Layout, ProjectInput};
use veer::limits::Limits;
use veer::model::{tile_input, Engine, Model, TileBlend};
use veer::pipeline::{curve_from_path, digitise, digitise_project, project_log, CurveRun, Progress};
use veer::plan::{Budget, CLOUD_MAX_BODY_BYTES};
use veer::preprocess::Track;
use veer::project::Project;
use veer::propose::{propose, Proposal};

/// A core error as a JS `Error` carrying `kind`.
fn js_error(e: &veer::Error) -> JsValue {
    error_with_kind(e.kind(), &e.to_string())
}

fn error_with_kind(kind: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("VeerError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    err.into()
}

/// A JS argument that does not have the expected shape: the page's fault.
fn bad_argument(what: &str, e: impl std::fmt::Display) -> JsValue {
    error_with_kind("bad_parameter", &format!("{what} is not valid: {e}"))
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    // Maps become plain objects, not JS `Map`s, so results post and print like JSON.
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&ser).map_err(|e| error_with_kind("internal", &format!("result could not be converted: {e}")))
}

fn calibration_from_js(calibration: JsValue) -> Result<Calibration, JsValue> {
    let cal: Calibration =
        serde_wasm_bindgen::from_value(calibration).map_err(|e| bad_argument("the calibration", e))?;
    cal.validate().map_err(|e| js_error(&e))?;
    Ok(cal)
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Reads a scan's header (format, size, bit depth) without decoding its pixels.
#[wasm_bindgen]
pub fn probe(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let info = probe_header(bytes).map_err(|e| js_error(&e))?;
    to_js(&info)
}

/// Decides where a scan runs: `header` is what [`probe`] or `Digitiser.open`
/// returned, `budget` is `{memory_bytes, cores, time_budget_s, model_px_per_s}`,
/// `track_px` the track's width in scan pixels when known. Returns the core's
/// `Plan`: `{decision: "local" | "cloud", reason, estimate, cloud_fits}`.
#[wasm_bindgen]
pub fn plan(header: JsValue, budget: JsValue, track_px: Option<f64>) -> Result<JsValue, JsValue> {
    let info: ImageInfo = serde_wasm_bindgen::from_value(header).map_err(|e| bad_argument("the scan header", e))?;
    let budget: Budget = serde_wasm_bindgen::from_value(budget).map_err(|e| bad_argument("the budget", e))?;
    let plan = match track_px {
        Some(px) if px.is_finite() && px > 0.0 => veer::plan::plan_track(&info, px, &budget),
        _ => veer::plan::plan(&info, &budget),
    };
    to_js(&plan)
}

/// The model, the digit reader (once loaded) and the scan being worked on.
#[wasm_bindgen]
pub struct Digitiser {
    model: Model,
    digits: Option<DigitReader>,
    image: Option<GrayImage>,
    limits: Limits,
    /// The staged run in progress ([`Digitiser::start_run`]).
    staged: Option<Staged>,
}

/// A run whose tiles are inferred elsewhere: what it digitises and the tracks whose
/// tiles are awaited.
struct Staged {
    job: Job,
    tracks: Vec<StagedTrack>,
}

enum Job {
    Calibration(Calibration),
    Project(Project),
}

struct StagedTrack {
    /// The index of the project's curve it belongs to (0 for a calibration).
    curve: usize,
    track: Track,
    blend: TileBlend,
}

/// What [`Digitiser::start_run`] answers: per track, the curve and the tiles' input sizes.
#[derive(Serialize)]
struct StagedPlan {
    tracks: Vec<StagedPlanTrack>,
}

#[derive(Serialize)]
struct StagedPlanTrack {
    curve: usize,
    /// Columns of every tile's input (the model width).
    cols: usize,
    /// Rows of each tile's input, top to bottom.
    rows: Vec<usize>,
}

/// What [`Digitiser::give_tile`] answers: tiles of the curve's track blended so far.
#[derive(Serialize)]
struct Given {
    curve: usize,
    done: usize,
    total: usize,
}

/// The stage of a progress event as the page's callback takes it.
fn report_to(progress: &js_sys::Function, curve: Option<usize>, p: Progress) {
    let mut args =
        vec![JsValue::from_str(p.stage.name()), JsValue::from_f64(p.done as f64), JsValue::from_f64(p.total as f64)];
    if let Some(c) = curve {
        args.insert(0, JsValue::from_f64(c as f64));
    }
    let args: js_sys::Array = args.into_iter().collect();
    // A throwing progress callback must not abort the run.
    let _ = progress.apply(&JsValue::NULL, &args);
}

/// The tracks a job needs, recorded by running its pipeline with the model's tiles
/// elsewhere (the pipeline stops at each track's inference; nothing is traced).
fn record_tracks(
    model: &Model,
    image: &GrayImage,
    job: &Job,
    progress: &js_sys::Function,
) -> Result<Vec<StagedTrack>, JsValue> {
    let mut tracks: Vec<StagedTrack> = Vec::new();
    let mut keep = |curve: usize, result: veer::Result<()>| -> Result<(), JsValue> {
        let wanted = model.take_wanted();
        if wanted.is_empty() {
            // Not stopped for a track: a real error, or a curve with nothing to infer.
            result.map_err(|e| js_error(&e))?;
        }
        for track in wanted {
            if !tracks.iter().any(|t| t.track == track) {
                tracks.push(StagedTrack { curve, blend: TileBlend::new(&track), track });
            }
        }
        Ok(())
    };
    match job {
        Job::Calibration(cal) => {
            let result = digitise(image, cal, model, &mut |p| report_to(progress, None, p)).map(|_| ());
            keep(0, result)?;
        }
        Job::Project(project) => {
            // Curve by curve, each as a project of its own: a curve's pass stops at its track.
            for (i, spec) in project.curves.iter().enumerate() {
                if CurveRun::from_edited(spec).is_some() {
                    continue;
                }
                let mut one = project.clone();
                one.curves = vec![spec.clone()];
                let result =
                    digitise_project(image, &one, model, &mut |_, p| report_to(progress, Some(i), p)).map(|_| ());
                keep(i, result)?;
            }
        }
    }
    Ok(tracks)
}

#[wasm_bindgen]
impl Digitiser {
    /// Loads and checks the model (ONNX bytes). Errors with kind `model` when
    /// the file is not a veer checkpoint.
    #[wasm_bindgen(constructor)]
    pub fn new(model_bytes: &[u8]) -> Result<Digitiser, JsValue> {
        let model = Model::from_bytes_on(model_bytes, Engine::Own).map_err(|e| js_error(&e))?;
        Ok(Digitiser { model, digits: None, image: None, limits: Limits::default(), staged: None })
    }

    /// Loads the depth-number reader (`models/digits.onnx` bytes) that [`Digitiser::propose`]
    /// reads the depth column with. Errors with kind `model` when the file is not one.
    #[wasm_bindgen(js_name = setDigitReader)]
    pub fn set_digit_reader(&mut self, model_bytes: &[u8]) -> Result<(), JsValue> {
        self.digits = Some(DigitReader::from_bytes_on(model_bytes, Engine::Own).map_err(|e| js_error(&e))?);
        Ok(())
    }

    /// Proposes the open scan's calibration (`veer::propose`): its layout (tracks with their
    /// edge lines and grids, depth lines and sections, skew, depth column) and the depth ties
    /// read from the depth numbers (absent, with the reason, when no digit reader is loaded).
    /// Returns the proposal as its JSON object; [`project_from_proposal`] makes the project.
    pub fn propose(&self) -> Result<JsValue, JsValue> {
        let image = self.open_image()?;
        let digits = self.digits.as_ref().map(|d| d as &dyn veer::digits::Classify);
        let proposal = propose(image, digits).map_err(|e| js_error(&e))?;
        to_js(&proposal)
    }

    /// `"fp32"` or `"int8"`.
    #[wasm_bindgen(getter)]
    pub fn precision(&self) -> String {
        self.model.precision().to_string()
    }

    /// Decodes a scan and keeps it for [`Digitiser::run`]; returns its header
    /// (`{format, width, height, bits_per_pixel, file_bytes}`).
    pub fn open(&mut self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        self.image = None;
        self.staged = None;
        let info = probe_header(bytes).map_err(|e| js_error(&e))?;
        let image = decode(bytes, &self.limits).map_err(|e| js_error(&e))?;
        self.image = Some(image);
        to_js(&info)
    }

    /// The open scan's gray pixels (row-major, 0 = black), for drawing it.
    pub fn pixels(&self) -> Result<Vec<u8>, JsValue> {
        self.open_image().map(|img| img.data.clone())
    }

    /// The open scan's gray pixels turned back by `degrees` (a project's `rotation`, see
    /// `veer::deskew`): what the project's pixels refer to, for drawing it. Same size as the scan.
    #[wasm_bindgen(js_name = straightenedPixels)]
    pub fn straightened_pixels(&self, degrees: f64) -> Result<Vec<u8>, JsValue> {
        let image = self.open_image()?;
        veer::deskew::rotate(image, -degrees).map(|img| img.data).map_err(|e| js_error(&e))
    }

    /// Forgets the open scan (frees its memory).
    pub fn close(&mut self) {
        self.image = None;
        self.staged = None;
    }

    /// Runs the model on one preprocessed tile (`rows x cols`, both multiples of 16, ink = 1.0,
    /// row-major) and returns its curve probabilities: the model contract of DESIGN.md, for
    /// checking and benchmarking the network on its own.
    #[wasm_bindgen(js_name = inferTile)]
    pub fn infer_tile(&self, input: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>, JsValue> {
        self.model.run_tile(input, rows, cols).map_err(|e| js_error(&e))
    }

    /// Optimises the model for `rows x cols` tiles now (a tile worker warming up for
    /// [`full_tile_shape`]), so that its first tile does not pay for it.
    #[wasm_bindgen(js_name = prepareTile)]
    pub fn prepare_tile(&self, rows: usize, cols: usize) -> Result<(), JsValue> {
        self.model.prepare(rows, cols).map_err(|e| js_error(&e))
    }

    /// Starts a staged run of `calibration` (as [`Digitiser::run`]) on the open scan: the
    /// core prepares the track and plans its tiles, and answers
    /// `{tracks: [{curve, cols, rows: [rows of each tile]}]}`; [`Digitiser::tile_input`]
    /// gives each tile's input. `progress(stage, done, total)` as `run`'s.
    #[wasm_bindgen(js_name = startRun)]
    pub fn start_run(&mut self, calibration: JsValue, progress: &js_sys::Function) -> Result<JsValue, JsValue> {
        let cal = calibration_from_js(calibration)?;
        self.start(Job::Calibration(cal), progress)
    }

    /// Starts a staged run of a project (as [`Digitiser::run_project`]): one track per curve
    /// to trace, answered as [`Digitiser::start_run`]'s with each track's curve index;
    /// `progress(curve, stage, done, total)` as `runProject`'s.
    #[wasm_bindgen(js_name = startProject)]
    pub fn start_project(&mut self, project: JsValue, progress: &js_sys::Function) -> Result<JsValue, JsValue> {
        let project = project_from_js(project)?;
        self.start(Job::Project(project), progress)
    }

    fn start(&mut self, job: Job, progress: &js_sys::Function) -> Result<JsValue, JsValue> {
        self.staged = None;
        let image = self
            .image
            .as_ref()
            .ok_or_else(|| error_with_kind("bad_parameter", "no scan is open: open a scan before running"))?;
        self.model.run_tiles_elsewhere();
        let tracks = record_tracks(&self.model, image, &job, progress);
        self.model.run_tiles_here();
        let tracks = tracks?;
        let plan = StagedPlan {
            tracks: tracks
                .iter()
                .map(|t| StagedPlanTrack {
                    curve: t.curve,
                    cols: t.track.width,
                    rows: t.blend.tiles().iter().map(|tile| tile.padded_rows).collect(),
                })
                .collect(),
        };
        self.staged = Some(Staged { job, tracks });
        to_js(&plan)
    }

    /// The input of tile `tile` of the staged run's track `track` (`rows x cols` as the plan
    /// says, ink = 1.0, row-major): what [`Digitiser::infer_tile`] takes on a tile worker.
    #[wasm_bindgen(js_name = tileInput)]
    pub fn tile_input(&self, track: usize, tile: usize) -> Result<Vec<f32>, JsValue> {
        let t = self.staged_track(track)?;
        let tile = *t.blend.tiles().get(tile).ok_or_else(|| {
            error_with_kind(
                "bad_parameter",
                &format!("tile {tile} is not one of the track's {} tiles", t.blend.tiles().len()),
            )
        })?;
        Ok(tile_input(&t.track, tile))
    }

    /// Gives back the output of tile `tile` of track `track` (what `inferTile` returned), in
    /// any order; the core blends it into the track's map. Answers `{curve, done, total}`:
    /// the tiles of that track blended so far.
    #[wasm_bindgen(js_name = giveTile)]
    pub fn give_tile(&mut self, track: usize, tile: usize, output: Vec<f32>) -> Result<JsValue, JsValue> {
        self.staged_track(track)?;
        let t = self.staged.as_mut().and_then(|s| s.tracks.get_mut(track)).ok_or_else(no_staged_run)?;
        let done = t.blend.add(tile, output).map_err(|e| js_error(&e))?;
        to_js(&Given { curve: t.curve, done, total: t.blend.tiles().len() })
    }

    /// Finishes the staged run once every tile was given: traces on the blended maps and
    /// answers as [`Digitiser::run`] (a calibration) or [`Digitiser::run_project`] (a project)
    /// would have, with the same progress callback.
    #[wasm_bindgen(js_name = finishRun)]
    pub fn finish_run(&mut self, progress: &js_sys::Function) -> Result<JsValue, JsValue> {
        let staged = self.staged.take().ok_or_else(no_staged_run)?;
        let image = self.open_image()?;
        self.model.run_tiles_elsewhere();
        let out = (|| {
            for t in staged.tracks {
                let map = t.blend.finish().map_err(|e| js_error(&e))?;
                self.model.give_map(t.track, map).map_err(|e| js_error(&e))?;
            }
            match &staged.job {
                Job::Calibration(cal) => digitise(image, cal, &self.model, &mut |p| report_to(progress, None, p))
                    .map_err(|e| js_error(&e))
                    .and_then(|out| to_js(&out)),
                Job::Project(project) => {
                    digitise_project(image, project, &self.model, &mut |i, p| report_to(progress, Some(i), p))
                        .map_err(|e| js_error(&e))
                        .and_then(|out| to_js(&out))
                }
            }
        })();
        self.model.run_tiles_here();
        out
    }

    fn staged_track(&self, track: usize) -> Result<&StagedTrack, JsValue> {
        let staged = self.staged.as_ref().ok_or_else(no_staged_run)?;
        staged.tracks.get(track).ok_or_else(|| {
            error_with_kind(
                "bad_parameter",
                &format!("track {track} is not one of the run's {} tracks", staged.tracks.len()),
            )
        })
    }

    /// Digitises one track of the open scan. `calibration` is the core's
    /// `Calibration` object (`{track, scale, log, depth, seed?, step?, mnemonic?, unit?, depth_unit?}`);
    /// `progress(stage, done, total)` is called at each stage's start and after
    /// every tile. Returns `{curve, path, stats}`.
    pub fn run(&self, calibration: JsValue, progress: &js_sys::Function) -> Result<JsValue, JsValue> {
        let cal = calibration_from_js(calibration)?;
        let image = self.open_image()?;
        let mut report = |p: Progress| {
            // A throwing progress callback must not abort the run.
            let _ = progress.call3(
                &JsValue::NULL,
                &JsValue::from_str(p.stage.name()),
                &JsValue::from_f64(p.done as f64),
                &JsValue::from_f64(p.total as f64),
            );
        };
        let out = digitise(image, &cal, &self.model, &mut report).map_err(|e| js_error(&e))?;
        to_js(&out)
    }

    /// Digitises every curve of a project (JSON text or object) on the open scan: only its
    /// traced rows, every curve on one depth index. `progress(curve, stage, done, total)`
    /// is called with the curve's index at each stage's start and after every tile.
    /// Returns `{log, curves: [{mnemonic, path, rows_per_track_row, stats}]}`.
    #[wasm_bindgen(js_name = runProject)]
    pub fn run_project(&self, project: JsValue, progress: &js_sys::Function) -> Result<JsValue, JsValue> {
        let project = project_from_js(project)?;
        let image = self.open_image()?;
        let mut report = |curve: usize, p: Progress| {
            let args = js_sys::Array::of4(
                &JsValue::from_f64(curve as f64),
                &JsValue::from_str(p.stage.name()),
                &JsValue::from_f64(p.done as f64),
                &JsValue::from_f64(p.total as f64),
            );
            // A throwing progress callback must not abort the run.
            let _ = progress.apply(&JsValue::NULL, &args);
        };
        let out = digitise_project(image, &project, &self.model, &mut report).map_err(|e| js_error(&e))?;
        to_js(&out)
    }

    /// The open scan's self-check report for the track `x0..x1` (`veer::selfcheck`): the
    /// preprocessed tensor's hash and the model's mean on the first tile, which must read
    /// as the native build's (`crate/examples/wasm_check.rs`).
    #[wasm_bindgen(js_name = selfCheck)]
    pub fn self_check(&self, x0: f64, x1: f64) -> Result<String, JsValue> {
        veer::selfcheck::report(self.open_image()?, x0, x1, &self.model).map_err(|e| js_error(&e))
    }

    /// Re-encodes the open scan for the cloud fallback's request limit
    /// (`max_bytes`, e.g. the planner's `CLOUD_MAX_BODY_BYTES`): a 1-bit PNG when it
    /// is black and white, else a grayscale PNG, thresholded only when that is too
    /// large. Returns `{bytes, content_type, lossless, description}`.
    pub fn shrink(&self, max_bytes: f64) -> Result<JsValue, JsValue> {
        let image = self.open_image()?;
        let max =
            if max_bytes.is_finite() && max_bytes > 0.0 { max_bytes as usize } else { CLOUD_MAX_BODY_BYTES as usize };
        let out = veer::encode::shrink(image, max).map_err(|e| js_error(&e))?;
        let obj = to_js(&out)?;
        let bytes = js_sys::Uint8Array::from(out.bytes.as_slice());
        js_sys::Reflect::set(&obj, &JsValue::from_str("bytes"), &bytes)
            .map_err(|_| error_with_kind("internal", "the re-encoded scan could not be returned"))?;
        Ok(obj)
    }

    /// Memory the wasm instance holds now, in bytes (its linear memory).
    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        wasm_memory_bytes()
    }

    fn open_image(&self) -> Result<&GrayImage, JsValue> {
        self.image
            .as_ref()
            .ok_or_else(|| error_with_kind("bad_parameter", "no scan is open: open a scan before running"))
    }
}

fn no_staged_run() -> JsValue {
    error_with_kind("bad_parameter", "no staged run is in progress: call startRun or startProject first")
}

/// The input size of a full tile, `[rows, cols]`: the shape a tile worker prepares
/// ([`Digitiser::prepare_tile`]) before its first run.
#[wasm_bindgen(js_name = fullTileShape)]
pub fn full_tile_shape() -> Vec<u32> {
    vec![veer::preprocess::TILE_ROWS as u32, veer::MODEL_WIDTH as u32]
}

/// The largest scan, in bytes, one cloud request carries.
#[wasm_bindgen(js_name = cloudMaxBodyBytes)]
pub fn cloud_max_body_bytes() -> f64 {
    CLOUD_MAX_BODY_BYTES as f64
}

/// Bytes of wasm linear memory in use by this instance.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        (core::arch::wasm32::memory_size(0) * 65_536) as f64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// What [`export_curve`] writes besides the curve.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportInfo {
    well: String,
    source: String,
    model: String,
    date: String,
}

/// Writes an (edited) traced path as `"csv"`, `"las"` or `"json"` with the
/// core's writers. `path` is `[[x, y], ...]` in scan pixels (rows without a curve
/// left out); `rows_per_track_row` comes from the run's `stats`; `info` is
/// `{well, source, model, date}` for the LAS header and JSON meta.
#[wasm_bindgen(js_name = exportCurve)]
pub fn export_curve(
    format: &str,
    path: JsValue,
    calibration: JsValue,
    rows_per_track_row: f64,
    info: JsValue,
) -> Result<String, JsValue> {
    let path: Vec<[f64; 2]> = serde_wasm_bindgen::from_value(path).map_err(|e| bad_argument("the path", e))?;
    let cal = calibration_from_js(calibration)?;
    let info: ExportInfo = if info.is_undefined() || info.is_null() {
        ExportInfo::default()
    } else {
        serde_wasm_bindgen::from_value(info).map_err(|e| bad_argument("the export info", e))?
    };
    let format = Format::from_name(format).map_err(|e| js_error(&e))?;
    let curve = curve_from_path(&path, &cal, rows_per_track_row).map_err(|e| js_error(&e))?;
    let meta = serde_json::json!({
        "ran": "browser",
        "model": info.model,
        "source": info.source,
        "calibration": serde_json::from_str::<serde_json::Value>(&cal.to_json()).unwrap_or_default(),
    });
    let las = LasInfo {
        well: [("WELL".to_string(), info.well)].into_iter().collect(),
        source: info.source,
        model: info.model,
        date: info.date,
        calibration_json: cal.to_json(),
    };
    Ok(write_log(&Log::from_curve(&curve), format, &las, &meta))
}

/// A project from JS: its JSON text, or the object itself (a single-curve calibration
/// object reads as a project of one curve), validated.
fn project_from_js(project: JsValue) -> Result<Project, JsValue> {
    let text = match project.as_string() {
        Some(text) => text,
        None => {
            let value: serde_json::Value =
                serde_wasm_bindgen::from_value(project).map_err(|e| bad_argument("the project", e))?;
            value.to_string()
        }
    };
    let project = Project::from_json(&text).map_err(|e| js_error(&e))?;
    project.validate().map_err(|e| js_error(&e))?;
    Ok(project)
}

/// Reads and checks a project (JSON text or object; a calibration reads as a project of
/// one curve) and returns it in the core's form: what the page saves and the CLI, the
/// widget and the cloud read. Errors name the field and the fix.
#[wasm_bindgen(js_name = parseProject)]
pub fn parse_project(project: JsValue) -> Result<JsValue, JsValue> {
    to_js(&project_from_js(project)?)
}

/// A curve's backup (wrap-around) scales from the text a person typed in the page's field,
/// `LEFT:RIGHT[,LEFT:RIGHT]` (`150:300` for a gamma ray 0-150 that wraps onto 150-300; blank:
/// none), read and checked by the core as the CLI's `--backup` and the fallback's `backup=`
/// are (`veer::params::parse_backup`, `veer::calibrate::check_backup`); `log` is the curve's
/// axis. Returns `[[left, right], ...]`, the project curve's `backup`; errors (kind
/// `bad_parameter`) quote what is wrong and the form.
#[wasm_bindgen(js_name = parseBackup)]
pub fn parse_backup(text: &str, log: bool) -> Result<JsValue, JsValue> {
    let backup = veer::params::parse_backup(text, veer::params::Style::Field).map_err(|e| js_error(&e))?;
    veer::calibrate::check_backup(&backup, log).map_err(|e| js_error(&e))?;
    to_js(&backup)
}

/// Writes every curve of a project from the paths its curves carry (`edited`: the run's
/// paths, edited or not) as `"csv"`, `"las"` or `"json"`, on one depth index, within the
/// project's traced rows of a scan `height` rows tall. `info` is `{source, model, date}`;
/// the well's header comes from the project (`well.WELL` defaults to `info.source`).
#[wasm_bindgen(js_name = exportProject)]
pub fn export_project(format: &str, project: JsValue, height: u32, info: JsValue) -> Result<String, JsValue> {
    let format = Format::from_name(format).map_err(|e| js_error(&e))?;
    let project = project_from_js(project)?;
    let info: ExportInfo = if info.is_undefined() || info.is_null() {
        ExportInfo::default()
    } else {
        serde_wasm_bindgen::from_value(info).map_err(|e| bad_argument("the export info", e))?
    };
    let runs = project
        .curves
        .iter()
        .map(|c| {
            CurveRun::from_edited(c).ok_or_else(|| {
                error_with_kind(
                    "bad_parameter",
                    &format!("curve {} has no path yet: digitise it before exporting", c.mnemonic),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let log = project_log(&project, height, &runs).map_err(|e| js_error(&e))?;
    let well = project.well_header(if info.well.is_empty() { &info.source } else { &info.well });
    let meta = serde_json::json!({ "ran": "browser", "model": info.model, "source": info.source });
    let las = LasInfo {
        well,
        source: info.source,
        model: info.model,
        date: info.date,
        calibration_json: project.settings_json(),
    };
    Ok(write_log(&log, format, &las, &meta))
}

/// What [`project_from_proposal`] reads of a proposal: its layout (as the person corrected
/// it) and whether depth ties were found.
#[derive(Deserialize)]
struct ProposalIn {
    layout: Layout,
    depth: Finding<DepthIn>,
}

#[derive(Deserialize)]
struct DepthIn {
    ties: Vec<TieIn>,
}

#[derive(Deserialize)]
struct TieIn {
    row: f64,
    depth: f64,
}

/// The project from a proposal (what [`Digitiser::propose`] returned, its track edges perhaps
/// dragged) and what the person typed (`veer::layout::ProjectInput`:
/// `{depth, depth_unit?, curves: [{track, scale, mnemonic, unit?, log?, seed?}]}`), through
/// `Proposal::to_project`: `depth` ties given (perhaps retyped) win, an empty `depth` takes
/// the proposal's; the interval is the log section holding the ties.
#[wasm_bindgen(js_name = projectFromProposal)]
pub fn project_from_proposal(proposal: JsValue, input: JsValue) -> Result<JsValue, JsValue> {
    let proposal: ProposalIn = serde_wasm_bindgen::from_value(proposal).map_err(|e| bad_argument("the proposal", e))?;
    let mut input: ProjectInput =
        serde_wasm_bindgen::from_value(input).map_err(|e| bad_argument("the calibration input", e))?;
    // The proposal's ties as the core gave them (DepthFit::depth): the page sent its JSON, whose
    // readings are not read back here.
    let depth = match proposal.depth {
        Finding::Found(fit) => {
            if input.depth.is_empty() {
                input.depth = fit.ties.iter().map(|t| [t.row, t.depth]).collect();
            }
            Finding::Absent("the proposal's ties were given as the input's".to_string())
        }
        Finding::Absent(why) => Finding::Absent(why),
    };
    let scales = Finding::Absent("the page gives the scales as the input's".to_string());
    let proposal = Proposal { version: veer::propose::PROPOSAL_VERSION, layout: proposal.layout, depth, scales };
    let project = proposal.to_project(&input).map_err(|e| js_error(&e))?;
    to_js(&project)
}

/// The preprocessed track tensor of a scan (ink = 1.0, resized to the model
/// width), as the model sees it: for checking that wasm and native agree bit for bit.
#[wasm_bindgen(js_name = prepareTrack)]
pub fn prepare_track(bytes: &[u8], x0: f64, x1: f64) -> Result<Vec<f32>, JsValue> {
    let image = decode(bytes, &Limits::default()).map_err(|e| js_error(&e))?;
    let track = veer::preprocess::prepare_track(&image, x0, x1, veer::MODEL_WIDTH).map_err(|e| js_error(&e))?;
    Ok(track.data.clone())
}
