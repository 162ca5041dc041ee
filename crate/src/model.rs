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
use crate::preprocess::{blend_weight, tile_input, tiles, Track};
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
        let mut inference = tract_onnx::onnx()
            .model_for_read(&mut Cursor::new(bytes))
            .map_err(model_error("the model file is not a valid ONNX model"))?;
        if inference.inputs.len() != 1 || inference.outputs.len() != 1 {
            return Err(Error::model(format!(
                "the model has {} inputs and {} outputs, expected one image in and one curve map out; use a veer checkpoint",
                inference.inputs.len(),
                inference.outputs.len()
            )));
        }
        let sym_h = inference.symbols.sym("h");
        let sym_w = inference.symbols.sym("w");
        let shape: TVec<TDim> = tvec![
            1.into(),
            1.into(),
            TDim::from(sym_h.clone()) * 16,
            TDim::from(sym_w.clone()) * 16
        ];
        inference = inference
            .with_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), shape))
            .map_err(model_error("the model does not take a [1,1,H,W] f32 image"))?;
        let typed = inference
            .into_typed()
            .and_then(|m| m.into_decluttered())
            .map_err(model_error("the model cannot be prepared for a [1,1,H,W] image"))?;
        let precision = if typed.nodes().iter().any(|n| {
            let name = n.op.name();
            name.contains("Quant") || name.contains("QLinear") || name.contains("QMatMul")
        }) || typed.nodes().iter().any(|n| n.outputs.iter().any(|o| o.fact.datum_type.is_quantized()))
        {
            "int8"
        } else {
            "fp32"
        };
        Ok(Model { typed, sym_h, sym_w, plans: Mutex::new(HashMap::new()), precision, bytes: bytes.len() })
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
        if rows == 0 || cols == 0 || rows % 16 != 0 || cols % 16 != 0 {
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

/// Run the model over a track tile by tile and blend the overlaps into one
/// probability map (u8, 255 = 1.0). `progress(done, total)` is called after each tile.
pub fn segment(track: &Track, model: &Model, progress: &mut dyn FnMut(usize, usize)) -> Result<ProbMap> {
    let (w, h) = (track.width, track.height);
    let tiles = tiles(h);
    let total = tiles.len();
    let mut data = vec![0u8; w * h];
    // Rows not yet final: weighted sums and weights for rows pending_start.. .
    let mut pending_start = 0usize;
    let mut acc: Vec<f32> = Vec::new();
    let mut wsum: Vec<f32> = Vec::new();
    for (i, &tile) in tiles.iter().enumerate() {
        let input = tile_input(track, tile);
        let probs = model.run_tile(&input, tile.padded_rows, w)?;
        let needed = tile.start + tile.rows - pending_start;
        if acc.len() < needed * w {
            acc.resize(needed * w, 0.0);
            wsum.resize(needed, 0.0);
        }
        for r in 0..tile.rows {
            let wt = blend_weight(tile, r, h);
            let local = tile.start + r - pending_start;
            wsum[local] += wt;
            for (a, &p) in acc[local * w..(local + 1) * w].iter_mut().zip(&probs[r * w..(r + 1) * w]) {
                *a += wt * p;
            }
        }
        // Rows above the next tile's start are final.
        let final_end = tiles.get(i + 1).map_or(h, |t| t.start);
        let n_final = final_end.saturating_sub(pending_start);
        for local in 0..n_final {
            let row = pending_start + local;
            let ws = wsum[local];
            for (x, a) in acc[local * w..(local + 1) * w].iter().enumerate() {
                let p = if ws > 0.0 { a / ws } else { 0.0 };
                data[row * w + x] = (p.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        }
        acc.drain(..n_final * w);
        wsum.drain(..n_final);
        pending_start += n_final;
        progress(i + 1, total);
    }
    Ok(ProbMap { width: w, height: h, data })
}
