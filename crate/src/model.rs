//! The segmentation network, run with tract.
//!
//! [`Model::from_bytes`] parses and declutters the ONNX file once with symbolic
//! height and width (`16*h`, `16*w`); the first tile of each shape is then
//! concretised, optimised and kept, so a scan pays the optimisation once per
//! tile shape (in practice: one full tile and one short last tile).
//! [`segment`] runs the tiles of a track and blends them into one probability
//! map, finalising rows as soon as no later tile can touch them.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use tract_onnx::prelude::*;

use crate::error::{Error, Result};
use crate::preprocess::{blend_weight, tile_input, tiles, Tile, Track};
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

/// As [`segment`], on at most `threads` threads (1: the calling thread only). Each
/// thread runs whole tiles with its own state on the shared plan; the calling thread
/// blends them in order, so the map does not depend on the number of threads.
pub fn segment_with_threads(
    track: &Track,
    model: &Model,
    threads: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ProbMap> {
    let tiles = &tiles(track.height)[..];
    let run = |i: usize| {
        let tile = tiles[i];
        model.run_tile(&tile_input(track, tile), tile.padded_rows, track.width)
    };
    let mut blend = Blend::new(track.width, track.height, tiles);
    let threads = threads.clamp(1, tiles.len().max(1));
    if threads == 1 {
        for i in 0..tiles.len() {
            blend.add(i, &run(i)?);
            progress(i + 1, tiles.len());
        }
        return Ok(blend.finish());
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let send = send.clone();
            let (next, stop, run) = (&next, &stop, &run);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= tiles.len() || stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if send.send((i, run(i))).is_err() {
                    break;
                }
            });
        }
        drop(send);
        // Results arrive in any order; they are blended in tile order.
        let mut waiting = std::collections::BTreeMap::new();
        let mut done = 0;
        for (i, probs) in receive {
            match probs {
                Ok(p) => {
                    waiting.insert(i, p);
                }
                Err(e) => {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Err(e);
                }
            }
            while let Some(p) = waiting.remove(&done) {
                blend.add(done, &p);
                done += 1;
                progress(done, tiles.len());
            }
        }
        if done == tiles.len() {
            Ok(())
        } else {
            Err(Error::model(format!("only {done} of {} tiles came back from the model's threads", tiles.len())))
        }
    })?;
    Ok(blend.finish())
}

/// Blends tiles, given in order, into one map, finalising rows as soon as no later
/// tile can touch them (memory: the rows of about one tile in f32).
struct Blend<'a> {
    w: usize,
    h: usize,
    tiles: &'a [Tile],
    data: Vec<u8>,
    /// Rows not yet final: weighted sums and weights for rows `pending_start..`.
    pending_start: usize,
    acc: Vec<f32>,
    wsum: Vec<f32>,
}

impl<'a> Blend<'a> {
    fn new(w: usize, h: usize, tiles: &'a [Tile]) -> Self {
        Blend { w, h, tiles, data: vec![0u8; w * h], pending_start: 0, acc: Vec::new(), wsum: Vec::new() }
    }

    /// Adds tile `i`'s probabilities (`padded_rows * w`, row-major).
    fn add(&mut self, i: usize, probs: &[f32]) {
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

    fn finish(self) -> ProbMap {
        ProbMap { width: self.w, height: self.h, data: self.data }
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

    #[test]
    fn tiles_on_several_threads_give_the_same_map_bit_for_bit() {
        // A 300 x 2,400 px scan with a wavy curve: about 4 tiles at the model width.
        let (w, h) = (300u32, 2400u32);
        let mut data = vec![255u8; (w * h) as usize];
        for y in 0..h {
            let x = 150.0 + 100.0 * (f64::from(y) / 90.0).sin();
            for dx in -2..=2 {
                data[(y * w) as usize + (x as i64 + dx) as usize] = 0;
            }
        }
        let image = crate::decode::GrayImage { width: w, height: h, data };
        let track = crate::preprocess::prepare_track(&image, 0.0, f64::from(w - 1), crate::MODEL_WIDTH).unwrap();
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
}
