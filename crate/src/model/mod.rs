//! The segmentation network: a model read from its ONNX bytes, run tile by tile, the
//! tiles blended into one probability map.
//!
//! Two engines run the same checkpoints ([`Engine`]): tract (the `tract` feature, `tract.rs`;
//! the CLI and the Lambda, where its AVX2/FMA kernels are the fastest measured) and veer's own
//! forward pass (the `own-nn` feature, [`crate::nn`]; the browser, where it is faster than
//! tract in wasm and keeps tract out of the module). Their maps agree to a few 1e-6
//! (BENCHMARKS.md, section 10).
//!
//! [`segment`] runs the tiles of a track and blends them into one probability map,
//! finalising rows as soon as no later tile can touch them.
//!
//! A caller that runs the tiles elsewhere (the page's tile workers) follows the same
//! plan: [`tile_plan`] and [`tile_input`] give the tiles and their inputs,
//! [`TileBlend`] blends their outputs into the map (the blend [`segment`] uses), and
//! [`Model::run_tiles_elsewhere`] lets the pipeline run on maps made that way.

#[cfg(not(any(feature = "tract", feature = "own-nn")))]
compile_error!("the `model` feature needs an engine: turn on `tract` (native) or `own-nn` (the browser)");

#[cfg(feature = "tract")]
mod tract;

use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::preprocess::{blend_weight, tiles, Track};
pub use crate::preprocess::{tile_input, Tile};
use crate::trace::ProbMap;

/// What runs a model's tiles. Both read the same ONNX files and give the same maps (to a few
/// 1e-6); which ones a build has is chosen by its features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// tract (feature `tract`).
    Tract,
    /// veer's own forward pass, [`crate::nn`] (feature `own-nn`).
    Own,
}

impl Engine {
    /// The engine [`Model::from_bytes`] uses: tract where the build has it, else the own pass.
    pub const fn default_for_build() -> Engine {
        if cfg!(feature = "tract") {
            Engine::Tract
        } else {
            Engine::Own
        }
    }

    /// `"tract"` or `"own"`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Tract => "tract",
            Engine::Own => "own",
        }
    }

    /// The error for `what` asked to run on this engine in a build without it.
    pub(crate) fn not_built(self, what: &str) -> Error {
        let feature = match self {
            Engine::Tract => "tract",
            Engine::Own => "own-nn",
        };
        Error::unsupported(format!(
            "this build of veer has no {} engine for {what}; build it with the `{feature}` feature",
            self.name()
        ))
    }
}

/// The network as one engine holds it.
enum Net {
    #[cfg(feature = "tract")]
    Tract(tract::TractNet),
    #[cfg(feature = "own-nn")]
    Own(crate::nn::Net),
}

/// A loaded segmentation model (input `image` `[1,1,H,W]`, output `curve` `[1,1,H,W]`).
pub struct Model {
    net: Net,
    bytes: usize,
    /// Threads [`segment`] runs tiles on.
    threads: usize,
    /// `Some` while the tiles run elsewhere ([`Model::run_tiles_elsewhere`]).
    elsewhere: Mutex<Option<Elsewhere>>,
}

/// The maps [`segment`] returns while tiles run elsewhere, and the tracks it was
/// asked for that had none.
#[derive(Default)]
struct Elsewhere {
    given: Vec<(Track, ProbMap)>,
    wanted: Vec<Track>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Model({}, {}, {} bytes)", self.precision(), self.engine().name(), self.bytes)
    }
}

impl Model {
    /// Reads a model from its ONNX bytes, on the build's engine ([`Engine::default_for_build`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        Model::from_bytes_on(bytes, Engine::default_for_build())
    }

    /// Reads a model from its ONNX bytes, to run on `engine`; an engine this build lacks is
    /// [`Error::Unsupported`].
    pub fn from_bytes_on(bytes: &[u8], engine: Engine) -> Result<Model> {
        if bytes.is_empty() {
            return Err(Error::model(
                "the model file is empty; use models/veernet-fp32.onnx or models/veernet-int8.onnx from the veer repository",
            ));
        }
        let net = match engine {
            #[cfg(feature = "tract")]
            Engine::Tract => Net::Tract(tract::TractNet::from_bytes(bytes)?),
            #[cfg(feature = "own-nn")]
            Engine::Own => Net::Own(crate::nn::Net::from_onnx(bytes)?),
            #[allow(unreachable_patterns)]
            other => return Err(other.not_built("the curve model")),
        };
        Ok(Model { net, bytes: bytes.len(), threads: default_threads(), elsewhere: Mutex::new(None) })
    }

    /// The same model, running [`segment`]'s tiles on at most `threads` threads (at
    /// least 1; more than 1 only matters with the `threads` feature's entry points).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Threads [`segment`] runs tiles on ([`default_threads`] unless set).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The engine that runs the tiles.
    pub fn engine(&self) -> Engine {
        match &self.net {
            #[cfg(feature = "tract")]
            Net::Tract(_) => Engine::Tract,
            #[cfg(feature = "own-nn")]
            Net::Own(_) => Engine::Own,
        }
    }

    /// `"fp32"` or `"int8"` (quantised operators found in the graph).
    pub fn precision(&self) -> &'static str {
        match &self.net {
            #[cfg(feature = "tract")]
            Net::Tract(n) => n.precision(),
            #[cfg(feature = "own-nn")]
            Net::Own(n) => n.precision(),
        }
    }

    /// Size of the ONNX file the model was read from.
    pub fn file_bytes(&self) -> usize {
        self.bytes
    }

    /// Gets the engine ready for `rows x cols` inputs (multiples of 16), once: tract
    /// concretises and optimises a plan for the shape; the own pass needs nothing.
    pub fn prepare(&self, rows: usize, cols: usize) -> Result<()> {
        check_tile_shape(rows, cols)?;
        match &self.net {
            #[cfg(feature = "tract")]
            Net::Tract(n) => n.plan(rows, cols).map(|_| ()),
            #[cfg(feature = "own-nn")]
            Net::Own(_) => Ok(()),
        }
    }

    /// From now on [`segment`] runs no tile here: for a track whose map was given
    /// ([`Model::give_map`]) it returns that map; any other track it records (see
    /// [`Model::take_wanted`]) and fails with [`Error::Model`]. This is how a caller that
    /// runs tiles on other workers drives the unchanged pipeline: one pass records the
    /// tracks a run needs, their tiles run elsewhere and are blended with [`TileBlend`],
    /// and a second pass traces on the given maps. Forgets earlier maps and tracks.
    pub fn run_tiles_elsewhere(&self) {
        *self.elsewhere.lock().unwrap_or_else(|e| e.into_inner()) = Some(Elsewhere::default());
    }

    /// Back to running tiles here (the default); forgets given maps and recorded tracks.
    pub fn run_tiles_here(&self) {
        *self.elsewhere.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether tiles run elsewhere now ([`Model::run_tiles_elsewhere`]).
    pub fn tiles_run_elsewhere(&self) -> bool {
        self.elsewhere.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// Gives the map of `track` (its tiles run elsewhere, blended with [`TileBlend`]):
    /// [`segment`] of a track equal to it returns `map`. Errors unless tiles run
    /// elsewhere, or when the map's size is not the track's.
    pub fn give_map(&self, track: Track, map: ProbMap) -> Result<()> {
        if map.width != track.width || map.height != track.height {
            return Err(Error::bad_parameter(format!(
                "a map of {} x {} was given for a track of {} x {}",
                map.width, map.height, track.width, track.height
            )));
        }
        let mut guard = self.elsewhere.lock().unwrap_or_else(|e| e.into_inner());
        let elsewhere = guard.as_mut().ok_or_else(|| {
            Error::bad_parameter("a map was given while the tiles run here: call run_tiles_elsewhere first")
        })?;
        elsewhere.given.push((track, map));
        Ok(())
    }

    /// The tracks [`segment`] was asked for without a given map since the last call, in order.
    pub fn take_wanted(&self) -> Vec<Track> {
        self.elsewhere
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .map_or_else(Vec::new, |e| std::mem::take(&mut e.wanted))
    }

    /// The given map of `track` while tiles run elsewhere: `None` when they run here,
    /// `Some(Err)` (the track recorded) when no map was given for it.
    fn map_from_elsewhere(&self, track: &Track) -> Option<Result<ProbMap>> {
        let mut guard = self.elsewhere.lock().unwrap_or_else(|e| e.into_inner());
        let elsewhere = guard.as_mut()?;
        if let Some((_, map)) = elsewhere.given.iter().find(|(t, _)| t == track) {
            return Some(Ok(map.clone()));
        }
        elsewhere.wanted.push(track.clone());
        Some(Err(Error::model(format!(
            "the tiles of this {} x {} track run elsewhere and its map was not given yet",
            track.width, track.height
        ))))
    }

    /// Run one `rows x cols` tile (ink = 1.0) and return the curve probabilities.
    pub fn run_tile(&self, input: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
        check_tile_shape(rows, cols)?;
        if input.len() != rows * cols {
            return Err(Error::bad_parameter(format!(
                "tile buffer has {} values, expected {rows} x {cols}",
                input.len()
            )));
        }
        let out = match &self.net {
            #[cfg(feature = "tract")]
            Net::Tract(n) => n.run_tile(input, rows, cols)?,
            #[cfg(feature = "own-nn")]
            Net::Own(n) => n.run_tile(input, rows, cols)?,
        };
        if out.len() != rows * cols {
            return Err(Error::model(format!(
                "the model returned {} values for a {rows} x {cols} tile, expected one probability per pixel; use a veer checkpoint",
                out.len()
            )));
        }
        Ok(out)
    }
}

fn check_tile_shape(rows: usize, cols: usize) -> Result<()> {
    if rows == 0 || cols == 0 || !rows.is_multiple_of(16) || !cols.is_multiple_of(16) {
        return Err(Error::bad_parameter(format!(
            "model input {rows} x {cols} is not a positive multiple of 16 in both directions"
        )));
    }
    Ok(())
}

/// Run the model over a track tile by tile and blend the overlaps into one
/// probability map (u8, 255 = 1.0). `progress(done, total)` is called after each tile,
/// in order. The tiles run on [`Model::threads`] threads (the map is the same bit for
/// bit whatever their number).
pub fn segment(track: &Track, model: &Model, progress: &mut dyn FnMut(usize, usize)) -> Result<ProbMap> {
    segment_with_threads(track, model, model.threads(), progress)
}

/// Threads [`segment`] runs tiles on: the machine's parallelism with the `threads`
/// feature (native entry points turn it on), else 1 (the browser runs one worker per
/// core instead).
pub fn default_threads() -> usize {
    #[cfg(feature = "threads")]
    {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
    #[cfg(not(feature = "threads"))]
    {
        1
    }
}

/// The tiles a track runs as, top to bottom (each [`Tile`]'s input is [`tile_input`],
/// `padded_rows x track.width`); [`segment`] runs exactly these, and [`TileBlend`]
/// blends their outputs.
pub fn tile_plan(track: &Track) -> Vec<Tile> {
    tiles(track.height)
}

/// As [`segment`], on at most `threads` threads (1: the calling thread only). Each
/// thread runs whole tiles with its own state on the shared plan; the calling thread
/// blends them in order, so the map does not depend on the number of threads.
/// While tiles run elsewhere ([`Model::run_tiles_elsewhere`]) it runs none and returns
/// the track's given map.
pub fn segment_with_threads(
    track: &Track,
    model: &Model,
    threads: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ProbMap> {
    if let Some(map) = model.map_from_elsewhere(track) {
        let map = map?;
        let n = tile_plan(track).len();
        progress(n, n);
        return Ok(map);
    }
    let mut blend = TileBlend::new(track);
    let tiles = blend.tiles.clone();
    let run = |i: usize| {
        let tile = tiles[i];
        model.run_tile(&tile_input(track, tile), tile.padded_rows, track.width)
    };
    let threads = threads.clamp(1, tiles.len().max(1));
    let mut add = |blend: &mut TileBlend, i: usize, probs: Vec<f32>| -> Result<()> {
        let before = blend.blended();
        for done in before + 1..=blend.add(i, probs)? {
            progress(done, tiles.len());
        }
        Ok(())
    };
    if threads == 1 {
        for i in 0..tiles.len() {
            add(&mut blend, i, run(i)?)?;
        }
        return blend.finish();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let send = send.clone();
            let (next, stop, run, n) = (&next, &stop, &run, tiles.len());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n || stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if send.send((i, run(i))).is_err() {
                    break;
                }
            });
        }
        drop(send);
        // Results arrive in any order; the blend takes them in tile order.
        for (i, probs) in receive {
            if let Err(e) = probs.and_then(|p| add(&mut blend, i, p)) {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    })?;
    blend.finish()
}

/// Blends the outputs of a track's tiles ([`tile_plan`]) into its probability map
/// (u8, 255 = 1.0), the one blend [`segment`] uses. Outputs may come in any order;
/// each is blended once every tile above it is, and rows are finalised as soon as
/// no later tile can touch them (memory: the rows of about one tile in f32, plus
/// outputs waiting for an earlier one).
pub struct TileBlend {
    w: usize,
    h: usize,
    tiles: Vec<Tile>,
    data: Vec<u8>,
    /// Rows not yet final: weighted sums and weights for rows `pending_start..`.
    pending_start: usize,
    acc: Vec<f32>,
    wsum: Vec<f32>,
    /// Tiles `..next` are blended; later ones that came early wait here.
    next: usize,
    waiting: std::collections::BTreeMap<usize, Vec<f32>>,
}

impl TileBlend {
    /// An empty blend of `track`'s tiles.
    pub fn new(track: &Track) -> Self {
        let (w, h) = (track.width, track.height);
        TileBlend {
            w,
            h,
            tiles: tile_plan(track),
            data: vec![0u8; w * h],
            pending_start: 0,
            acc: Vec::new(),
            wsum: Vec::new(),
            next: 0,
            waiting: std::collections::BTreeMap::new(),
        }
    }

    /// The tiles it blends (the track's [`tile_plan`]).
    pub fn tiles(&self) -> &[Tile] {
        &self.tiles
    }

    /// How many tiles are blended (every tile above the first missing one).
    pub fn blended(&self) -> usize {
        self.next
    }

    /// Adds tile `i`'s output (`padded_rows * width` probabilities, row-major, as
    /// [`Model::run_tile`] returns them) and returns how many tiles are blended now.
    /// Errors on a tile that is not in the plan, given twice, or of the wrong size.
    pub fn add(&mut self, i: usize, probs: Vec<f32>) -> Result<usize> {
        let Some(&tile) = self.tiles.get(i) else {
            return Err(Error::bad_parameter(format!("tile {i} is not one of the track's {} tiles", self.tiles.len())));
        };
        if i < self.next || self.waiting.contains_key(&i) {
            return Err(Error::bad_parameter(format!("tile {i} was given twice")));
        }
        if probs.len() != tile.padded_rows * self.w {
            return Err(Error::bad_parameter(format!(
                "tile {i}'s output has {} values, expected {} x {}",
                probs.len(),
                tile.padded_rows,
                self.w
            )));
        }
        self.waiting.insert(i, probs);
        while let Some(p) = self.waiting.remove(&self.next) {
            self.blend(self.next, &p);
            self.next += 1;
        }
        Ok(self.next)
    }

    /// Blends tile `i`, the next in order.
    fn blend(&mut self, i: usize, probs: &[f32]) {
        let (w, h, tile) = (self.w, self.h, self.tiles[i]);
        let needed = tile.start + tile.rows - self.pending_start;
        if self.acc.len() < needed * w {
            self.acc.resize(needed * w, 0.0);
            self.wsum.resize(needed, 0.0);
        }
        for r in 0..tile.rows {
            let wt = blend_weight(tile, r, h);
            let local = tile.start + r - self.pending_start;
            self.wsum[local] += wt;
            for (a, &p) in self.acc[local * w..(local + 1) * w].iter_mut().zip(&probs[r * w..(r + 1) * w]) {
                *a += wt * p;
            }
        }
        // Rows above the next tile's start are final.
        let final_end = self.tiles.get(i + 1).map_or(h, |t| t.start);
        let n_final = final_end.saturating_sub(self.pending_start);
        for local in 0..n_final {
            let row = self.pending_start + local;
            let ws = self.wsum[local];
            for (x, a) in self.acc[local * w..(local + 1) * w].iter().enumerate() {
                let p = if ws > 0.0 { a / ws } else { 0.0 };
                self.data[row * w + x] = (p.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        }
        self.acc.drain(..n_final * w);
        self.wsum.drain(..n_final);
        self.pending_start += n_final;
    }

    /// The map, once every tile is blended.
    pub fn finish(self) -> Result<ProbMap> {
        if self.next < self.tiles.len() {
            return Err(Error::model(format!(
                "only {} of the track's {} tiles came back from the model",
                self.next,
                self.tiles.len()
            )));
        }
        Ok(ProbMap { width: self.w, height: self.h, data: self.data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_model(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)).unwrap()
    }

    /// A 300 x 2,400 px scan with a wavy curve, prepared as a track: about 6 tiles at the model width.
    fn wavy_track() -> Track {
        let (w, h) = (300u32, 2400u32);
        let mut data = vec![255u8; (w * h) as usize];
        for y in 0..h {
            let x = 150.0 + 100.0 * (f64::from(y) / 90.0).sin();
            for dx in -2..=2 {
                data[(y * w) as usize + (x as i64 + dx) as usize] = 0;
            }
        }
        let image = crate::decode::GrayImage { width: w, height: h, data };
        crate::preprocess::prepare_track(&image, 0.0, f64::from(w - 1), crate::MODEL_WIDTH).unwrap()
    }

    #[test]
    fn tiles_on_several_threads_give_the_same_map_bit_for_bit() {
        let track = wavy_track();
        assert!(tiles(track.height).len() >= 3, "{} rows", track.height);
        let model = Model::from_bytes(&repo_model("veernet-int8.onnx")).unwrap();
        let mut seen = Vec::new();
        let one = segment_with_threads(&track, &model, 1, &mut |_, _| {}).unwrap();
        let three = segment_with_threads(&track, &model, 3, &mut |d, t| seen.push((d, t))).unwrap();
        assert_eq!(one, three);
        let n = tiles(track.height).len();
        assert_eq!(seen, (1..=n).map(|d| (d, n)).collect::<Vec<_>>(), "progress in order, once per tile");
        assert!(one.data.iter().any(|&p| p > 128), "the model finds the curve");
    }

    #[test]
    fn tiles_run_one_by_one_and_blended_in_any_order_give_segments_map_bit_for_bit() {
        let track = wavy_track();
        let model = Model::from_bytes(&repo_model("veernet-int8.onnx")).unwrap();
        let plan = tile_plan(&track);
        assert!(plan.len() >= 3, "{} tiles", plan.len());
        // Each tile run on its own, as a tile worker does, given back last first.
        let outputs: Vec<Vec<f32>> =
            plan.iter().map(|&t| model.run_tile(&tile_input(&track, t), t.padded_rows, track.width).unwrap()).collect();
        let mut blend = TileBlend::new(&track);
        assert_eq!(blend.tiles(), &plan[..]);
        for (i, out) in outputs.iter().enumerate().skip(1).rev() {
            assert_eq!(blend.add(i, out.clone()).unwrap(), 0, "tile {i} waits for tile 0");
        }
        assert_eq!(blend.add(0, outputs[0].clone()).unwrap(), plan.len());
        assert_eq!(blend.finish().unwrap(), segment(&track, &model, &mut |_, _| {}).unwrap());

        // What a caller can get wrong is refused with what went wrong.
        let mut blend = TileBlend::new(&track);
        let msg = |e: Error| e.to_string();
        assert!(msg(blend.add(plan.len(), outputs[0].clone()).unwrap_err()).contains("not one of the track's"));
        assert!(msg(blend.add(0, vec![0.0; 16]).unwrap_err()).contains("expected"));
        blend.add(1, outputs[1].clone()).unwrap();
        assert!(msg(blend.add(1, outputs[1].clone()).unwrap_err()).contains("twice"));
        let err = blend.finish().unwrap_err();
        assert_eq!((err.kind(), err.to_string().contains("only 0 of")), ("model", true), "{err}");
    }

    #[test]
    fn the_pipeline_runs_on_maps_whose_tiles_ran_elsewhere() {
        let track = wavy_track();
        let (w, h) = (300u32, 2400u32);
        let image = {
            let mut data = vec![255u8; (w * h) as usize];
            for y in 0..h {
                let x = 150.0 + 100.0 * (f64::from(y) / 90.0).sin();
                for dx in -2..=2 {
                    data[(y * w) as usize + (x as i64 + dx) as usize] = 0;
                }
            }
            crate::decode::GrayImage { width: w, height: h, data }
        };
        let cal = crate::calibrate::Calibration::from_json(
            r#"{"track": [0, 299], "scale": [0, 100], "depth": [[0, 1000], [2399, 1240]], "log": false}"#,
        )
        .unwrap();
        let model = Model::from_bytes(&repo_model("veernet-int8.onnx")).unwrap();
        let here = crate::pipeline::digitise(&image, &cal, &model, &mut |_| {}).unwrap();

        model.run_tiles_elsewhere();
        assert!(model.tiles_run_elsewhere());
        // The first pass runs no tile: it records the track the run needs.
        let err = crate::pipeline::digitise(&image, &cal, &model, &mut |_| {}).unwrap_err();
        assert_eq!(err.kind(), "model");
        let wanted = model.take_wanted();
        assert_eq!(wanted, vec![track.clone()]);
        let mut blend = TileBlend::new(&wanted[0]);
        for (i, &t) in tile_plan(&wanted[0]).iter().enumerate() {
            blend.add(i, model.run_tile(&tile_input(&wanted[0], t), t.padded_rows, track.width).unwrap()).unwrap();
        }
        let map = blend.finish().unwrap();
        assert!(model.give_map(track.clone(), ProbMap { width: 1, height: 1, data: vec![0] }).is_err());
        model.give_map(wanted[0].clone(), map).unwrap();
        // The second pass traces on the given map: the same result as running the tiles here.
        let mut infer = Vec::new();
        let elsewhere = crate::pipeline::digitise(&image, &cal, &model, &mut |p| {
            if p.stage == crate::pipeline::Stage::Infer {
                infer.push((p.done, p.total));
            }
        })
        .unwrap();
        assert!(model.take_wanted().is_empty());
        assert_eq!(elsewhere, here);
        let n = tile_plan(&track).len();
        assert_eq!(infer, vec![(0, n), (n, n)]);

        model.run_tiles_here();
        assert!(!model.tiles_run_elsewhere());
        assert!(model.give_map(track.clone(), segment(&track, &model, &mut |_, _| {}).unwrap()).is_err());
        assert_eq!(crate::pipeline::digitise(&image, &cal, &model, &mut |_| {}).unwrap(), here);
    }
}
