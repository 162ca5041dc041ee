//! veer's own forward pass for its networks (the `own-nn` feature): the browser's engine
//! ([`crate::model::Engine::Own`]). In wasm it runs a tile 1.2-1.6x faster than tract, is
//! ready in a tenth of tract's time, and leaves tract's 2.5 MB (gzipped) out of the module;
//! natively tract's AVX2/FMA kernels stay ahead, so the CLI and the Lambda keep tract
//! (BENCHMARKS.md, section 10).
//!
//! It reads the same ONNX checkpoints (`models/veernet-fp32.onnx`, `models/veernet-int8.onnx`,
//! `models/digits.onnx`) with a minimal protobuf reader of its own (`onnx.rs`: the
//! graph, attributes and initialisers, nothing more), so the browser needs neither the ONNX
//! parser nor a second weight format, and runs the operators those graphs use:
//!
//! | file | what it does |
//! |---|---|
//! | `onnx.rs` | protobuf wire format; `ModelProto.graph` to nodes, attributes and tensors |
//! | `tensor.rs` | dense f32 or integer tensors; strided gather (transpose, broadcast, slice) |
//! | `lanes.rs` | four f32 lanes in a SIMD register (simd128's `v128` in wasm, `[f32; 4]` natively) |
//! | `conv.rs` | direct 2-D convolution, weights packed at load, blocks of channels x columns in SIMD registers |
//! | `ops.rs` | Relu, Add, MaxPool, Resize (nearest), Concat, BatchNormalization, MatMul, Softmax, Sigmoid, the shape operators, Quantize/DequantizeLinear |
//! | `graph.rs` | constants folded at load, Relu fused, activation QDQ pairs folded or run, values freed after their last use |
//!
//! Any operator or attribute outside that set is refused at load with [`Error::Unsupported`](crate::Error).
//! What runs matches tract on the same file (BENCHMARKS.md has the differences measured): the
//! int8 file's weights are dequantised once at load, and its activation pairs are folded as
//! `Model::from_bytes` folds them, unless [`ActivationQdq::Run`] is asked for.

mod conv;
mod graph;
mod lanes;
mod onnx;
mod ops;
mod tensor;
#[cfg(all(test, feature = "tract"))]
mod tests;

pub use graph::ActivationQdq;

use crate::error::{Error, Result};
use tensor::Tensor;

/// A network read from an ONNX file, ready to run (one input, one output, f32).
#[derive(Debug, Clone, PartialEq)]
pub struct Net {
    plan: graph::Plan,
    precision: &'static str,
    bytes: usize,
}

impl Net {
    /// Reads an ONNX file's graph and weights; activation QDQ pairs are folded, as tract's
    /// path does.
    pub fn from_onnx(bytes: &[u8]) -> Result<Net> {
        Net::from_onnx_with(bytes, ActivationQdq::Fold)
    }

    /// As [`Net::from_onnx`], choosing what happens to activation QDQ pairs.
    pub fn from_onnx_with(bytes: &[u8], qdq: ActivationQdq) -> Result<Net> {
        if bytes.is_empty() {
            return Err(Error::model(
                "the model file is empty; use models/veernet-fp32.onnx or models/veernet-int8.onnx from the veer repository",
            ));
        }
        let graph = onnx::read_model(bytes)?;
        let quantised = graph.nodes.iter().any(|n| matches!(n.op.as_str(), "QuantizeLinear" | "DequantizeLinear"));
        let plan = graph::Plan::compile(graph, qdq)?;
        Ok(Net { plan, precision: if quantised { "int8" } else { "fp32" }, bytes: bytes.len() })
    }

    /// `"fp32"` or `"int8"` (quantised operators in the graph).
    pub fn precision(&self) -> &'static str {
        self.precision
    }

    /// Size of the ONNX file the network was read from.
    pub fn file_bytes(&self) -> usize {
        self.bytes
    }

    /// Runs the network on one input of `shape` (row-major values); returns the output's
    /// shape and values.
    pub fn run(&self, shape: &[usize], input: &[f32]) -> Result<(Vec<usize>, Vec<f32>)> {
        if shape.iter().product::<usize>() != input.len() {
            return Err(Error::bad_parameter(format!("an input of shape {shape:?} with {} values", input.len())));
        }
        let out = self.plan.run(Tensor::f32(shape.to_vec(), input.to_vec()))?;
        let shape = out.shape.clone();
        Ok((shape, out.into_floats()?))
    }

    /// Runs one `rows x cols` tile (ink = 1.0) of the segmentation network and returns the
    /// curve probabilities, as `Model::run_tile` does.
    pub fn run_tile(&self, input: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
        if rows == 0 || cols == 0 || !rows.is_multiple_of(16) || !cols.is_multiple_of(16) {
            return Err(Error::bad_parameter(format!(
                "model input {rows} x {cols} is not a positive multiple of 16 in both directions"
            )));
        }
        if input.len() != rows * cols {
            return Err(Error::bad_parameter(format!(
                "tile buffer has {} values, expected {rows} x {cols}",
                input.len()
            )));
        }
        let (shape, out) = self.run(&[1, 1, rows, cols], input)?;
        if out.len() != rows * cols {
            return Err(Error::model(format!(
                "the model returned {shape:?} for a {rows} x {cols} tile, expected one probability per pixel; use a veer checkpoint"
            )));
        }
        Ok(out)
    }
}
