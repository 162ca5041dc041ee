//! The ONNX graph compiled into a list of steps: constants folded at load (the int8
//! file's weight DequantizeLinears become f32 weights), convolution weights packed, a Relu
//! fused into the Conv or Add before it, activation QuantizeLinear→DequantizeLinear pairs
//! folded away (as `Model::from_bytes` does for tract) or run as one fake-quantisation step,
//! and each intermediate value dropped after its last use.

use std::borrow::Cow;
use std::collections::HashMap;

use super::conv::Conv;
use super::onnx::{Attr, Graph, Node};
use super::ops;
use super::tensor::{Data, IntKind, Tensor};
use crate::error::{Error, Result};

/// What to do with the activation QuantizeLinear→DequantizeLinear pairs of a QDQ file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActivationQdq {
    /// Remove them: int8 weights, f32 activations (what veer's tract path runs).
    #[default]
    Fold,
    /// Round each activation to its 8-bit grid and back (what onnxruntime's integer kernels
    /// compute, up to their accumulation order).
    Run,
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Conv(Box<Conv>),
    Relu,
    Sigmoid,
    Add,
    Sub,
    Mul,
    Div,
    MaxPool { k: [usize; 2], s: [usize; 2] },
    Resize { sh: usize, sw: usize },
    Concat(i64),
    Affine { scale: Vec<f32>, shift: Vec<f32> },
    MatMul,
    Gemm { alpha: f32, beta: f32, ta: bool, tb: bool },
    Softmax(i64),
    Transpose(Option<Vec<usize>>),
    Reshape(bool),
    Shape,
    Gather(i64),
    Unsqueeze(Option<Vec<i64>>),
    Slice,
    Flatten(i64),
    Quantize(i64),
    Dequantize(i64),
    FakeQuantize { scale: f32, zero: f32, kind: IntKind },
    Identity,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Arg {
    Absent,
    Const(usize),
    Value(usize),
}

#[derive(Debug, Clone, PartialEq)]
struct Step {
    op: Op,
    args: Vec<Arg>,
    out: usize,
    /// A Relu fused after the op (Add; a Conv carries its own).
    relu: bool,
    /// Values whose last use is this step.
    free: Vec<usize>,
}

/// A compiled graph with one input and one output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    steps: Vec<Step>,
    consts: Vec<Tensor>,
    values: usize,
    input: usize,
    output: Arg,
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::unsupported(format!("the model uses {what}, which veer's forward pass does not run; use a veer checkpoint"))
}

/// Rewrites activation Q→DQ pairs (a QuantizeLinear whose every consumer is a
/// DequantizeLinear with the same scale and zero point, none of them a graph output):
/// removed, their consumers reading the float input, or replaced by one `FakeQuantize` node.
fn rewrite_activation_qdq(g: &mut Graph, mode: ActivationQdq) {
    let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for input in &n.inputs {
            consumers.entry(input.as_str()).or_default().push(i);
        }
    }
    let mut rename: HashMap<String, String> = HashMap::new();
    let mut drop = vec![false; g.nodes.len()];
    let mut fake: Vec<(usize, Node)> = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if n.op != "QuantizeLinear" || n.inputs.len() < 2 || n.outputs.len() != 1 || g.outputs.contains(&n.outputs[0]) {
            continue;
        }
        let q = n.outputs[0].as_str();
        let Some(users) = consumers.get(q) else { continue };
        let pairs = users.iter().all(|&u| {
            let d = &g.nodes[u];
            d.op == "DequantizeLinear"
                && d.inputs.first().map(String::as_str) == Some(q)
                && d.inputs[1..] == n.inputs[1..]
                && d.outputs.len() == 1
                && !g.outputs.contains(&d.outputs[0])
        });
        if !pairs {
            continue;
        }
        drop[i] = true;
        let target = match mode {
            ActivationQdq::Fold => n.inputs[0].clone(),
            ActivationQdq::Run => {
                let out = format!("{q}__fake_quantized");
                fake.push((
                    i,
                    Node {
                        op: "FakeQuantize".into(),
                        inputs: n.inputs.clone(),
                        outputs: vec![out.clone()],
                        attrs: vec![],
                    },
                ));
                out
            }
        };
        for &u in users {
            drop[u] = true;
            rename.insert(g.nodes[u].outputs[0].clone(), target.clone());
        }
    }
    let mut nodes = Vec::with_capacity(g.nodes.len());
    let mut fake = fake.into_iter().peekable();
    for (i, n) in std::mem::take(&mut g.nodes).into_iter().enumerate() {
        if let Some((_, f)) = fake.next_if(|(j, _)| *j == i) {
            nodes.push(f);
        }
        if !drop[i] {
            nodes.push(n);
        }
    }
    for n in &mut nodes {
        for input in &mut n.inputs {
            while let Some(x) = rename.get(input.as_str()) {
                *input = x.clone();
            }
        }
    }
    g.nodes = nodes;
}

struct Builder {
    names: HashMap<String, Arg>,
    consts: Vec<Tensor>,
    values: usize,
}

impl Builder {
    fn arg(&self, name: &str) -> Result<Arg> {
        if name.is_empty() {
            return Ok(Arg::Absent);
        }
        self.names
            .get(name)
            .copied()
            .ok_or_else(|| Error::model(format!("the model's graph uses {name} before it is made")))
    }

    fn constant(&self, a: Arg) -> Option<&Tensor> {
        match a {
            Arg::Const(i) => self.consts.get(i),
            _ => None,
        }
    }
}

fn ints_input<'a>(b: &'a Builder, args: &[Arg], i: usize, what: &str) -> Result<&'a Tensor> {
    args.get(i)
        .and_then(|&a| b.constant(a))
        .ok_or_else(|| unsupported(format!("a {what} whose input {i} is not a constant")))
}

fn build_op(node: &Node, args: &[Arg], b: &Builder) -> Result<Op> {
    let two = |name: &str| -> Result<[usize; 2]> {
        match node.ints(name)? {
            Some(&[a, c]) if a > 0 && c > 0 => Ok([a as usize, c as usize]),
            _ => Err(unsupported(format!("a {} without a 2-D {name}", node.op))),
        }
    };
    Ok(match node.op.as_str() {
        "Conv" => {
            if node.int("group", 1)? != 1
                || node.ints("strides")?.is_some_and(|s| s.iter().any(|&v| v != 1))
                || node.ints("dilations")?.is_some_and(|s| s.iter().any(|&v| v != 1))
                || node.str("auto_pad", "NOTSET")? != "NOTSET"
            {
                return Err(unsupported("a grouped, strided, dilated or auto-padded Conv"));
            }
            let w = ints_input(b, args, 1, "Conv")?;
            let bias = args.get(2).and_then(|&a| b.constant(a));
            if args.get(2).is_some_and(|&a| a != Arg::Absent) && bias.is_none() {
                return Err(unsupported("a Conv whose bias is not a constant"));
            }
            Op::Conv(Box::new(Conv::new(w, bias, node.ints("pads")?.unwrap_or(&[0, 0, 0, 0]))?))
        }
        "Relu" => Op::Relu,
        "Sigmoid" => Op::Sigmoid,
        "Add" => Op::Add,
        "Sub" => Op::Sub,
        "Mul" => Op::Mul,
        "Div" => Op::Div,
        "MaxPool" => {
            if node.ints("pads")?.is_some_and(|p| p.iter().any(|&v| v != 0))
                || node.int("ceil_mode", 0)? != 0
                || node.ints("dilations")?.is_some_and(|s| s.iter().any(|&v| v != 1))
                || node.outputs.len() != 1
            {
                return Err(unsupported("a padded, ceil-mode or dilated MaxPool"));
            }
            let k = two("kernel_shape")?;
            let s = if node.attr("strides").is_some() { two("strides")? } else { [1, 1] };
            Op::MaxPool { k, s }
        }
        "Resize" => {
            let mode = node.str("mode", "nearest")?;
            let coords = node.str("coordinate_transformation_mode", "half_pixel")?;
            let nearest = node.str("nearest_mode", "round_prefer_floor")?;
            if mode != "nearest" || coords != "asymmetric" || nearest != "floor" {
                return Err(unsupported(format!(
                    "a Resize {mode} / {coords} / {nearest} (nearest / asymmetric / floor runs)"
                )));
            }
            let scales = ints_or_floats(ints_input(b, args, 2, "Resize")?)?;
            match scales.as_slice() {
                &[1.0, 1.0, sh, sw] if sh >= 1.0 && sw >= 1.0 && sh.fract() == 0.0 && sw.fract() == 0.0 => {
                    Op::Resize { sh: sh as usize, sw: sw as usize }
                }
                s => return Err(unsupported(format!("a Resize by {s:?} (whole factors on H and W run)"))),
            }
        }
        "Concat" => Op::Concat(node.int("axis", 0)?),
        "BatchNormalization" => {
            let p: Vec<&[f32]> =
                (1..5).map(|i| ints_input(b, args, i, "BatchNormalization")?.floats()).collect::<Result<_>>()?;
            let eps = node.float("epsilon", 1e-5)?;
            let scale: Vec<f32> = p[0].iter().zip(p[3]).map(|(g, v)| g / (v + eps).sqrt()).collect();
            let shift = p[1].iter().zip(p[2]).zip(&scale).map(|((beta, m), s)| beta - m * s).collect();
            Op::Affine { scale, shift }
        }
        "MatMul" => Op::MatMul,
        "Gemm" => Op::Gemm {
            alpha: node.float("alpha", 1.0)?,
            beta: node.float("beta", 1.0)?,
            ta: node.int("transA", 0)? != 0,
            tb: node.int("transB", 0)? != 0,
        },
        "Softmax" => Op::Softmax(node.int("axis", -1)?),
        "Transpose" => Op::Transpose(
            node.ints("perm")?
                .map(|p| p.iter().map(|&v| usize::try_from(v).map_err(|_| unsupported("a negative perm"))).collect())
                .transpose()?,
        ),
        "Reshape" => Op::Reshape(node.int("allowzero", 0)? != 0),
        "Shape" => {
            if node.int("start", 0)? != 0 || node.attr("end").is_some() {
                return Err(unsupported("a Shape of part of the dimensions"));
            }
            Op::Shape
        }
        "Gather" => Op::Gather(node.int("axis", 0)?),
        "Unsqueeze" => Op::Unsqueeze(node.ints("axes")?.map(<[i64]>::to_vec)),
        "Slice" => Op::Slice,
        "Flatten" => Op::Flatten(node.int("axis", 1)?),
        "QuantizeLinear" => Op::Quantize(node.int("axis", 1)?),
        "DequantizeLinear" => Op::Dequantize(node.int("axis", 1)?),
        "FakeQuantize" => {
            let (s, z) = (ints_input(b, args, 1, "QuantizeLinear")?, args.get(2).and_then(|&a| b.constant(a)));
            let (kind, zero) = match z.map(|z| &z.data) {
                Some(Data::Int(v, k)) if v.len() == 1 => (*k, v[0] as f32),
                None => (IntKind::U8, 0.0),
                _ => return Err(unsupported("an activation quantised per channel")),
            };
            match s.floats()? {
                &[scale] => Op::FakeQuantize { scale, zero, kind },
                _ => return Err(unsupported("an activation quantised per channel")),
            }
        }
        "Identity" | "Dropout" => Op::Identity,
        op => return Err(unsupported(format!("the operator {op}"))),
    })
}

fn ints_or_floats(t: &Tensor) -> Result<Vec<f32>> {
    Ok(match &t.data {
        Data::F32(v) => v.clone(),
        Data::Int(v, _) => v.iter().map(|&x| x as f32).collect(),
    })
}

fn want<'a>(args: &'a [Option<Cow<'_, Tensor>>], i: usize) -> Result<&'a Tensor> {
    args.get(i).and_then(|a| a.as_deref()).ok_or_else(|| Error::model(format!("an operator is missing its input {i}")))
}

fn take(args: &mut [Option<Cow<'_, Tensor>>], i: usize) -> Result<Tensor> {
    args.get_mut(i)
        .and_then(Option::take)
        .map(Cow::into_owned)
        .ok_or_else(|| Error::model(format!("an operator is missing its input {i}")))
}

fn ints_arg(args: &[Option<Cow<'_, Tensor>>], i: usize) -> Result<Option<Vec<i64>>> {
    args.get(i).and_then(|a| a.as_deref()).map(|t| t.ints().map(<[i64]>::to_vec)).transpose()
}

/// Runs one op. Inputs the op may consume are owned when this is their last use.
fn eval(op: &Op, mut args: Vec<Option<Cow<'_, Tensor>>>) -> Result<Tensor> {
    let add = |p: f32, q: f32| p + q;
    Ok(match op {
        Op::Conv(c) => c.run(want(&args, 0)?)?,
        Op::Relu => ops::relu(take(&mut args, 0)?)?,
        Op::Sigmoid => ops::sigmoid(take(&mut args, 0)?)?,
        Op::Add => {
            let (a, b) = (want(&args, 0)?, want(&args, 1)?);
            if a.shape == b.shape && matches!(args[0], Some(Cow::Owned(_))) {
                let mut a = take(&mut args, 0)?;
                let b = want(&args, 1)?;
                if let (Data::F32(x), Data::F32(y)) = (&mut a.data, &b.data) {
                    x.iter_mut().zip(y).for_each(|(p, &q)| *p += q);
                    return Ok(a);
                }
                ops::binary(&a, b, add, |p, q| p + q)?
            } else {
                ops::binary(a, b, add, |p, q| p + q)?
            }
        }
        Op::Sub => ops::binary(want(&args, 0)?, want(&args, 1)?, |p, q| p - q, |p, q| p - q)?,
        Op::Mul => ops::binary(want(&args, 0)?, want(&args, 1)?, |p, q| p * q, |p, q| p * q)?,
        Op::Div => ops::binary(want(&args, 0)?, want(&args, 1)?, |p, q| p / q, |p, q| if q == 0 { 0 } else { p / q })?,
        Op::MaxPool { k, s } => ops::max_pool(want(&args, 0)?, *k, *s)?,
        Op::Resize { sh, sw } => ops::resize_nearest(want(&args, 0)?, *sh, *sw)?,
        Op::Concat(axis) => {
            let xs: Vec<&Tensor> = args.iter().filter_map(|a| a.as_deref()).collect();
            ops::concat(&xs, *axis)?
        }
        Op::Affine { scale, shift } => ops::channel_affine(want(&args, 0)?, scale, shift)?,
        Op::MatMul => ops::matmul(want(&args, 0)?, want(&args, 1)?)?,
        Op::Gemm { alpha, beta, ta, tb } => {
            let c = args.get(2).and_then(|a| a.as_deref());
            ops::gemm(want(&args, 0)?, want(&args, 1)?, c, *alpha, *beta, *ta, *tb)?
        }
        Op::Softmax(axis) => ops::softmax(want(&args, 0)?, *axis)?,
        Op::Transpose(perm) => {
            let x = want(&args, 0)?;
            let perm = perm.clone().unwrap_or_else(|| (0..x.rank()).rev().collect());
            ops::transpose(x, &perm)?
        }
        Op::Reshape(allowzero) => {
            let target = ints_arg(&args, 1)?.ok_or_else(|| Error::model("a Reshape without a shape"))?;
            ops::reshape(take(&mut args, 0)?, &target, *allowzero)?
        }
        Op::Shape => {
            let x = want(&args, 0)?;
            Tensor::i64(vec![x.rank()], x.shape.iter().map(|&d| d as i64).collect())
        }
        Op::Gather(axis) => ops::gather(want(&args, 0)?, want(&args, 1)?, *axis)?,
        Op::Unsqueeze(attr) => {
            let axes = match attr {
                Some(a) => a.clone(),
                None => ints_arg(&args, 1)?.ok_or_else(|| Error::model("an Unsqueeze without axes"))?,
            };
            ops::unsqueeze(take(&mut args, 0)?, &axes)?
        }
        Op::Slice => {
            let starts = ints_arg(&args, 1)?.ok_or_else(|| Error::model("a Slice without starts"))?;
            let ends = ints_arg(&args, 2)?.ok_or_else(|| Error::model("a Slice without ends"))?;
            let (axes, steps) = (ints_arg(&args, 3)?, ints_arg(&args, 4)?);
            ops::slice(want(&args, 0)?, &starts, &ends, axes.as_deref(), steps.as_deref())?
        }
        Op::Flatten(axis) => {
            let x = take(&mut args, 0)?;
            let a = ops::axis(*axis, x.rank() + 1)?;
            let outer = x.shape[..a].iter().product();
            let inner = x.len() / usize::max(outer, 1);
            x.reshaped(vec![outer, inner])?
        }
        Op::Quantize(axis) => {
            ops::quantize(want(&args, 0)?, want(&args, 1)?, args.get(2).and_then(|a| a.as_deref()), *axis)?
        }
        Op::Dequantize(axis) => {
            ops::dequantize(want(&args, 0)?, want(&args, 1)?, args.get(2).and_then(|a| a.as_deref()), *axis)?
        }
        Op::FakeQuantize { scale, zero, kind } => ops::fake_quantize(take(&mut args, 0)?, *scale, *zero, *kind)?,
        Op::Identity => take(&mut args, 0)?,
    })
}

impl Plan {
    pub fn compile(mut g: Graph, qdq: ActivationQdq) -> Result<Plan> {
        if g.inputs.len() != 1 || g.outputs.len() != 1 {
            return Err(Error::model(format!(
                "the model has {} inputs and {} outputs, expected one image in and one map out; use a veer checkpoint",
                g.inputs.len(),
                g.outputs.len()
            )));
        }
        rewrite_activation_qdq(&mut g, qdq);
        let mut b = Builder { names: HashMap::new(), consts: Vec::new(), values: 1 };
        b.names.insert(g.inputs[0].clone(), Arg::Value(0));
        for (name, t) in std::mem::take(&mut g.initializers) {
            b.names.insert(name, Arg::Const(b.consts.len()));
            b.consts.push(t);
        }
        let mut steps: Vec<Step> = Vec::new();
        for node in &g.nodes {
            let [out] = node.outputs.as_slice() else {
                return Err(unsupported(format!("a {} with {} outputs", node.op, node.outputs.len())));
            };
            if node.op == "Constant" {
                let Some(Attr::Tensor(t)) = node.attr("value") else {
                    return Err(unsupported("a Constant other than a tensor value"));
                };
                b.names.insert(out.clone(), Arg::Const(b.consts.len()));
                b.consts.push(t.clone());
                continue;
            }
            let args: Vec<Arg> = node.inputs.iter().map(|i| b.arg(i)).collect::<Result<_>>()?;
            let op = build_op(node, &args, &b)?;
            let constant = args.iter().all(|a| !matches!(a, Arg::Value(_))) && !matches!(op, Op::Conv(_));
            if constant {
                let inputs = args.iter().map(|&a| b.constant(a).map(Cow::Borrowed)).collect();
                let t = eval(&op, inputs)?;
                b.names.insert(out.clone(), Arg::Const(b.consts.len()));
                b.consts.push(t);
            } else {
                b.names.insert(out.clone(), Arg::Value(b.values));
                steps.push(Step { op, args, out: b.values, relu: false, free: Vec::new() });
                b.values += 1;
            }
        }
        let output = b.arg(&g.outputs[0])?;
        fuse_relu(&mut steps, output);
        // Each value is freed after the last step that reads it (the output never is).
        let mut last = vec![None; b.values];
        for (i, s) in steps.iter().enumerate() {
            for a in &s.args {
                if let Arg::Value(v) = *a {
                    last[v] = Some(i);
                }
            }
        }
        for (v, l) in last.iter().enumerate() {
            if let Some(i) = *l {
                if Arg::Value(v) != output {
                    steps[i].free.push(v);
                }
            }
        }
        Ok(Plan { steps, consts: b.consts, values: b.values, input: 0, output })
    }

    pub fn run(&self, input: Tensor) -> Result<Tensor> {
        let mut slots: Vec<Option<Tensor>> = vec![None; self.values];
        slots[self.input] = Some(input);
        for step in &self.steps {
            // Inputs read for the last time (and by no later argument of this step) are moved
            // out, so an op may reuse their buffer.
            let mut owned: Vec<Option<Tensor>> = step
                .args
                .iter()
                .enumerate()
                .map(|(k, &a)| match a {
                    Arg::Value(v) if step.free.contains(&v) && !step.args[k + 1..].contains(&a) => slots[v].take(),
                    _ => None,
                })
                .collect();
            let args = step
                .args
                .iter()
                .zip(owned.iter_mut())
                .map(|(&a, o)| match (o.take(), a) {
                    (Some(t), _) => Some(Cow::Owned(t)),
                    (None, Arg::Const(i)) => self.consts.get(i).map(Cow::Borrowed),
                    (None, Arg::Value(v)) => slots[v].as_ref().map(Cow::Borrowed),
                    (None, Arg::Absent) => None,
                })
                .collect();
            let mut y = eval(&step.op, args)?;
            if step.relu {
                y = ops::relu(y)?;
            }
            for &v in &step.free {
                slots[v] = None;
            }
            slots[step.out] = Some(y);
        }
        match self.output {
            Arg::Value(v) => slots[v].take(),
            Arg::Const(i) => self.consts.get(i).cloned(),
            Arg::Absent => None,
        }
        .ok_or_else(|| Error::model("the model gave no output"))
    }
}

/// Fuses a Relu into the Conv or Add that makes its only input, when nothing else reads
/// that value.
fn fuse_relu(steps: &mut Vec<Step>, output: Arg) {
    let mut uses: HashMap<usize, usize> = HashMap::new();
    for s in steps.iter() {
        for a in &s.args {
            if let Arg::Value(v) = *a {
                *uses.entry(v).or_default() += 1;
            }
        }
    }
    let producer: HashMap<usize, usize> = steps.iter().enumerate().map(|(i, s)| (s.out, i)).collect();
    let mut remove = vec![false; steps.len()];
    for i in 0..steps.len() {
        let (Op::Relu, [Arg::Value(v)]) = (&steps[i].op, steps[i].args.as_slice()) else { continue };
        let v = *v;
        let Some(&p) = producer.get(&v) else { continue };
        if uses.get(&v) != Some(&1) || Arg::Value(v) == output {
            continue;
        }
        let (out, fused) = (steps[i].out, steps[p].relu);
        match &mut steps[p].op {
            Op::Conv(c) if !c.relu => c.relu = true,
            Op::Add if !fused => steps[p].relu = true,
            _ => continue,
        }
        steps[p].out = out;
        remove[i] = true;
    }
    let mut i = 0;
    steps.retain(|_| {
        i += 1;
        !remove[i - 1]
    });
}
