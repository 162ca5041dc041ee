//! The segmentation network, run with tract.
//!
//! [`Model::from_bytes`] parses and declutters the ONNX file once with symbolic
//! height and width (`16*h`, `16*w`); the first tile of each shape is then
//! concretised, optimised and kept, so a scan pays the optimisation once per
//! tile shape (in practice: one full tile and one short last tile).
//! [`segment`] runs the tiles of a track and blends them into one probability
//! map, finalising rows as soon as no later tile can touch them.
//!
//! A caller that runs the tiles elsewhere (the page's tile workers) follows the same
//! plan: [`tile_plan`] and [`tile_input`] give the tiles and their inputs,
//! [`TileBlend`] blends their outputs into the map (the blend [`segment`] uses), and
//! [`Model::run_tiles_elsewhere`] lets the pipeline run on maps made that way.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use tract_onnx::prelude::*;

use crate::error::{Error, Result};
use crate::preprocess::{blend_weight, tiles, Track};
pub use crate::preprocess::{tile_input, Tile};
use crate::trace::ProbMap;

type Plan = Arc<TypedRunnableModel>;

/// A loaded segmentation model (input `image` `[1,1,H,W]`, output `curve` `[1,1,H,W]`).
pub struct Model {
    typed: TypedModel,
    sym_h: Symbol,
    sym_w: Symbol,
    plans: Mutex<HashMap<(usize, usize), Plan>>,
    precision: &'static str,
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
        write!(f, "Model({}, {} bytes)", self.precision, self.bytes)
    }
}

fn model_error(what: &str) -> impl Fn(TractError) -> Error + '_ {
    move |e| {
        Error::model(format!(
            "{what}: {e:#}; use models/veernet-fp32.onnx or models/veernet-int8.onnx from the veer repository"
        ))
    }
}

impl Model {
    /// Parse and declutter an ONNX model from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        if bytes.is_empty() {
            return Err(Error::model(
                "the model file is empty; use models/veernet-fp32.onnx or models/veernet-int8.onnx from the veer repository",
            ));
        }
        let onnx = tract_onnx::onnx();
        let mut proto = onnx
            .proto_model_for_read(&mut Cursor::new(bytes))
            .map_err(model_error("the model file is not a valid ONNX model"))?;
        let quantised = proto.graph.iter().flat_map(|g| &g.node).any(|n| {
            matches!(
                n.op_type.as_str(),
                "QuantizeLinear"
                    | "DequantizeLinear"
                    | "QLinearConv"
                    | "QLinearMatMul"
                    | "ConvInteger"
                    | "MatMulInteger"
            )
        });
        if let Some(graph) = proto.graph.as_mut() {
            fold_activation_qdq(graph);
        }
        let mut inference =
            onnx.model_for_proto_model(&proto).map_err(model_error("the model file is not a valid ONNX model"))?;
        if inference.inputs.len() != 1 || inference.outputs.len() != 1 {
            return Err(Error::model(format!(
                "the model has {} inputs and {} outputs, expected one image in and one curve map out; use a veer checkpoint",
                inference.inputs.len(),
                inference.outputs.len()
            )));
        }
        let sym_h = inference.symbols.sym("h");
        let sym_w = inference.symbols.sym("w");
        let shape: TVec<TDim> =
            tvec![1.into(), 1.into(), TDim::from(sym_h.clone()) * 16, TDim::from(sym_w.clone()) * 16];
        inference = inference
            .with_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), shape))
            .map_err(model_error("the model does not take a [1,1,H,W] f32 image"))?;
        let typed = inference
            .into_typed()
            .and_then(|m| m.into_decluttered())
            .map_err(model_error("the model cannot be prepared for a [1,1,H,W] image"))?;
        let precision = if quantised { "int8" } else { "fp32" };
        Ok(Model {
            typed,
            sym_h,
            sym_w,
            plans: Mutex::new(HashMap::new()),
            precision,
            bytes: bytes.len(),
            threads: default_threads(),
            elsewhere: Mutex::new(None),
        })
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

    /// `"fp32"` or `"int8"` (quantised operators found in the graph).
    pub fn precision(&self) -> &'static str {
        self.precision
    }

    /// Size of the ONNX file the model was read from.
    pub fn file_bytes(&self) -> usize {
        self.bytes
    }

    /// Concretise and optimise the plan for a `rows x cols` input (multiples of 16), once.
    pub fn prepare(&self, rows: usize, cols: usize) -> Result<()> {
        self.plan(rows, cols).map(|_| ())
    }

    fn plan(&self, rows: usize, cols: usize) -> Result<Plan> {
        if rows == 0 || cols == 0 || !rows.is_multiple_of(16) || !cols.is_multiple_of(16) {
            return Err(Error::bad_parameter(format!(
                "model input {rows} x {cols} is not a positive multiple of 16 in both directions"
            )));
        }
        if let Some(p) = self.plans.lock().ok().and_then(|m| m.get(&(rows, cols)).cloned()) {
            return Ok(p);
        }
        let mut subs = HashMap::new();
        subs.insert(self.sym_h.clone(), TDim::Val((rows / 16) as i64));
        subs.insert(self.sym_w.clone(), TDim::Val((cols / 16) as i64));
        let plan = self
            .typed
            .set_symbols(&subs)
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(model_error("the model cannot be optimised for this tile size"))?;
        if let Ok(mut m) = self.plans.lock() {
            m.insert((rows, cols), plan.clone());
        }
        Ok(plan)
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
        if input.len() != rows * cols {
            return Err(Error::bad_parameter(format!(
                "tile buffer has {} values, expected {rows} x {cols}",
                input.len()
            )));
        }
        let plan = self.plan(rows, cols)?;
        let tensor = Tensor::from_shape(&[1, 1, rows, cols], input)
            .map_err(model_error("the tile could not be handed to the model"))?;
        let out = plan.run(tvec![tensor.into()]).map_err(model_error("the model failed on a tile"))?;
        let first = out.first().ok_or_else(|| Error::model("the model returned no output"))?;
        let view = first.to_plain_array_view::<f32>().map_err(model_error("the model's output is not f32"))?;
        if view.len() != rows * cols {
            return Err(Error::model(format!(
                "the model returned {} values for a {rows} x {cols} tile, expected one probability per pixel; use a veer checkpoint",
                view.len()
            )));
        }
        Ok(view.iter().copied().collect())
    }
}

/// Removes every activation fake-quantisation pair (`QuantizeLinear` whose only consumers
/// are `DequantizeLinear`) from a QDQ graph, wiring the consumers to the float input.
///
/// tract has no integer kernels for the QDQ form: it runs the convolutions of an int8 file in
/// f32 on dequantised int8 weights either way, and executes each activation pair as an
/// element-wise round-and-clamp that cost about 35 % of an int8 tile (BENCHMARKS.md, section 2).
/// Without the pairs an int8 file runs as int8 weights with f32 activations: the same speed as
/// fp32 and closer to it. Weight `DequantizeLinear`s (on initialisers) stay and fold into
/// constants. Returns the number of pairs removed.
pub(crate) fn fold_activation_qdq(graph: &mut tract_onnx::pb::GraphProto) -> usize {
    let outputs: std::collections::HashSet<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        for input in &n.input {
            consumers.entry(input.as_str()).or_default().push(i);
        }
    }
    // (quantize node, its dequantize nodes, the float tensor they stand in for)
    let mut pairs: Vec<(usize, Vec<usize>, String)> = Vec::new();
    for (i, n) in graph.node.iter().enumerate() {
        if n.op_type != "QuantizeLinear" || n.input.is_empty() || n.output.len() != 1 {
            continue;
        }
        let q = n.output[0].as_str();
        let Some(users) = consumers.get(q) else { continue };
        let all_dq = users.iter().all(|&u| {
            let d = &graph.node[u];
            d.op_type == "DequantizeLinear"
                && d.input.first().map(String::as_str) == Some(q)
                && d.output.len() == 1
                && !outputs.contains(d.output[0].as_str())
        });
        if all_dq && !outputs.contains(q) {
            pairs.push((i, users.clone(), n.input[0].clone()));
        }
    }
    let mut rename: HashMap<String, String> = HashMap::new();
    let mut drop = vec![false; graph.node.len()];
    for (q, dqs, x) in &pairs {
        drop[*q] = true;
        for &d in dqs {
            drop[d] = true;
            rename.insert(graph.node[d].output[0].clone(), x.clone());
        }
    }
    let mut i = 0;
    graph.node.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    for n in &mut graph.node {
        for input in &mut n.input {
            // Transitively: a pair may stand in for another pair's output.
            while let Some(x) = rename.get(input.as_str()) {
                *input = x.clone();
            }
        }
    }
    pairs.len()
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
    use tract_onnx::pb::{GraphProto, NodeProto, ValueInfoProto};

    fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
        NodeProto {
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn repo_model(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)).unwrap()
    }

    #[test]
    fn fold_removes_activation_pairs_and_keeps_the_rest() {
        let mut g = GraphProto {
            node: vec![
                node("QuantizeLinear", &["x", "s", "z"], &["xq"]),
                node("DequantizeLinear", &["xq", "s", "z"], &["xd"]),
                node("DequantizeLinear", &["w_q", "ws", "wz"], &["w"]), // weight: stays
                node("Conv", &["xd", "w"], &["y"]),
                // A chain: the second pair quantises the first pair's output.
                node("QuantizeLinear", &["y", "s", "z"], &["yq"]),
                node("DequantizeLinear", &["yq", "s", "z"], &["yd"]),
                node("QuantizeLinear", &["yd", "s", "z"], &["yq2"]),
                node("DequantizeLinear", &["yq2", "s", "z"], &["yd2"]),
                node("Relu", &["yd2"], &["r"]),
                // Consumed by something other than a DequantizeLinear: stays.
                node("QuantizeLinear", &["r", "s", "z"], &["rq"]),
                node("DequantizeLinear", &["rq", "s", "z"], &["rd"]),
                node("Identity", &["rq"], &["raw"]),
                // Its dequantised value is a graph output: stays.
                node("QuantizeLinear", &["rd", "s", "z"], &["oq"]),
                node("DequantizeLinear", &["oq", "s", "z"], &["out"]),
            ],
            output: vec![ValueInfoProto { name: "out".into(), ..Default::default() }],
            ..Default::default()
        };
        assert_eq!(fold_activation_qdq(&mut g), 3);
        let ops: Vec<(&str, Vec<&str>)> =
            g.node.iter().map(|n| (n.op_type.as_str(), n.input.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            ops,
            vec![
                ("DequantizeLinear", vec!["w_q", "ws", "wz"]),
                ("Conv", vec!["x", "w"]),
                ("Relu", vec!["y"]),
                ("QuantizeLinear", vec!["r", "s", "z"]),
                ("DequantizeLinear", vec!["rq", "s", "z"]),
                ("Identity", vec!["rq"]),
                ("QuantizeLinear", vec!["rd", "s", "z"]),
                ("DequantizeLinear", vec!["oq", "s", "z"]),
            ]
        );
    }

    #[test]
    fn the_int8_checkpoint_runs_with_int8_weights_and_f32_activations() {
        let bytes = repo_model("veernet-int8.onnx");
        let mut proto = tract_onnx::onnx().proto_model_for_read(&mut Cursor::new(&bytes)).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        let count = |g: &tract_onnx::pb::GraphProto, op: &str| g.node.iter().filter(|n| n.op_type == op).count();
        // 17 of the 30 Convs are quantised (the stem, the head and the Convs of at most 16
        // output channels stay fp32): 29 activation pairs, 34 weight and bias DequantizeLinears.
        assert_eq!((count(graph, "QuantizeLinear"), count(graph, "DequantizeLinear")), (29, 63));
        assert_eq!(fold_activation_qdq(graph), 29);
        // Every weight and bias DequantizeLinear stays: the file's int8 weights are what runs.
        assert_eq!((count(graph, "QuantizeLinear"), count(graph, "DequantizeLinear")), (0, 34));

        let int8 = Model::from_bytes(&bytes).unwrap();
        let fp32 = Model::from_bytes(&repo_model("veernet-fp32.onnx")).unwrap();
        assert_eq!((int8.precision(), fp32.precision()), ("int8", "fp32"));
        // A synthetic tile: a sine curve over a grid, ink = 1.0.
        let (rows, cols) = (64, 64);
        let mut tile = vec![0f32; rows * cols];
        for r in 0..rows {
            let c = (32.0 + 20.0 * (r as f32 / 9.0).sin()).round() as usize;
            tile[r * cols + c] = 1.0;
            tile[r * cols + c + 1] = 0.8;
            if r % 16 == 0 {
                tile[r * cols..(r + 1) * cols].iter_mut().for_each(|v| *v = v.max(0.4));
            }
        }
        let (a, b) = (int8.run_tile(&tile, rows, cols).unwrap(), fp32.run_tile(&tile, rows, cols).unwrap());
        let max = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(max < 0.25, "int8 and fp32 maps differ by up to {max}");
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
