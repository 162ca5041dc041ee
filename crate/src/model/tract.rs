//! The segmentation network run by tract (the `tract` feature): the CLI's and the Lambda's
//! engine natively, where tract's AVX2/FMA kernels are the fastest measured (BENCHMARKS.md,
//! section 10).
//!
//! [`TractNet::from_bytes`] parses and declutters the ONNX file once with symbolic height and
//! width (`16*h`, `16*w`); the first tile of each shape is then concretised, optimised and
//! kept, so a scan pays the optimisation once per tile shape (in practice: one full tile and
//! one short last tile).

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use tract_onnx::prelude::*;

use crate::error::{Error, Result};

type Plan = Arc<TypedRunnableModel>;

/// The network parsed by tract, with one optimised plan per tile shape run so far.
pub(super) struct TractNet {
    typed: TypedModel,
    sym_h: Symbol,
    sym_w: Symbol,
    plans: Mutex<HashMap<(usize, usize), Plan>>,
    precision: &'static str,
}

fn model_error(what: &str) -> impl Fn(TractError) -> Error + '_ {
    move |e| {
        Error::model(format!(
            "{what}: {e:#}; use models/veernet-fp32.onnx or models/veernet-int8.onnx from the veer repository"
        ))
    }
}

impl TractNet {
    /// Parse and declutter an ONNX model from its (non-empty) bytes.
    pub(super) fn from_bytes(bytes: &[u8]) -> Result<TractNet> {
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
        Ok(TractNet { typed, sym_h, sym_w, plans: Mutex::new(HashMap::new()), precision })
    }

    /// `"fp32"` or `"int8"` (quantised operators found in the graph).
    pub(super) fn precision(&self) -> &'static str {
        self.precision
    }

    /// The optimised plan for a `rows x cols` input (multiples of 16, checked by the caller),
    /// made on first use.
    pub(super) fn plan(&self, rows: usize, cols: usize) -> Result<Plan> {
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

    /// Runs one `rows x cols` tile (sizes checked by the caller); the output's values in order.
    pub(super) fn run_tile(&self, input: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
        let plan = self.plan(rows, cols)?;
        let tensor = Tensor::from_shape(&[1, 1, rows, cols], input)
            .map_err(model_error("the tile could not be handed to the model"))?;
        let out = plan.run(tvec![tensor.into()]).map_err(model_error("the model failed on a tile"))?;
        let first = out.first().ok_or_else(|| Error::model("the model returned no output"))?;
        let view = first.to_plain_array_view::<f32>().map_err(model_error("the model's output is not f32"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Engine, Model};
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

        let int8 = Model::from_bytes_on(&bytes, Engine::Tract).unwrap();
        let fp32 = Model::from_bytes_on(&repo_model("veernet-fp32.onnx"), Engine::Tract).unwrap();
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
}
