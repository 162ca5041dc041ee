//! A minimal reader of the ONNX protobuf: the graph's nodes, their attributes, the
//! initialisers and the graph's inputs and outputs; nothing else of the format.
//!
//! Protobuf's wire format is small (varints, fixed 32/64-bit values and length-delimited
//! bytes); the ONNX messages veer needs are `ModelProto.graph`, `GraphProto`, `NodeProto`,
//! `AttributeProto` and `TensorProto` (field numbers from onnx.proto3). Reading them here
//! keeps the browser's module free of a protobuf library and of an ONNX parser that knows
//! every operator, while the checkpoint stays the one ONNX file every other part reads.

use super::tensor::{IntKind, Tensor};
use crate::error::{Error, Result};

fn bad(what: impl std::fmt::Display) -> Error {
    Error::model(format!(
        "the model file is not a valid ONNX model ({what}); use models/veernet-fp32.onnx or models/veernet-int8.onnx from the veer repository"
    ))
}

/// One field of a protobuf message.
enum Value<'a> {
    Varint(u64),
    /// Skipped: no field veer reads is a double or fixed64.
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Fields { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or_else(|| bad("a varint runs past the end"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("a varint is longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end =
            self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| bad("a field runs past the end"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field (number, value), or `None` at the end of the message.
    fn next_field(&mut self) -> Result<Option<(u64, Value<'a>)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| bad("a length does not fit"))?;
                Value::Bytes(self.take(n)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| bad("short fixed32"))?)),
            t => return Err(bad(format!("wire type {t}"))),
        };
        Ok(Some((key >> 3, value)))
    }
}

fn string(v: &Value) -> Result<String> {
    match v {
        Value::Bytes(b) => String::from_utf8(b.to_vec()).map_err(|_| bad("a name is not UTF-8")),
        _ => Err(bad("a string field has the wrong wire type")),
    }
}

/// Repeated varints, packed or not, as i64.
fn push_varints(v: &Value, out: &mut Vec<i64>) -> Result<()> {
    match v {
        Value::Varint(x) => out.push(*x as i64),
        Value::Bytes(b) => {
            let mut f = Fields::new(b);
            while f.pos < b.len() {
                out.push(f.varint()? as i64);
            }
        }
        _ => return Err(bad("a repeated integer has the wrong wire type")),
    }
    Ok(())
}

/// Repeated floats, packed or not.
fn push_floats(v: &Value, out: &mut Vec<f32>) -> Result<()> {
    match v {
        Value::Fixed32(x) => out.push(f32::from_bits(*x)),
        Value::Bytes(b) if b.len() % 4 == 0 => {
            out.extend(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        }
        _ => return Err(bad("a repeated float has the wrong wire type")),
    }
    Ok(())
}

/// An attribute's value (the kinds VeerNet's and the digit reader's graphs use).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Attr {
    Float(f32),
    Int(i64),
    Str(String),
    Tensor(Tensor),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Node {
    pub op: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attrs: Vec<(String, Attr)>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    pub fn int(&self, name: &str, default: i64) -> Result<i64> {
        match self.attr(name) {
            None => Ok(default),
            Some(Attr::Int(i)) => Ok(*i),
            Some(_) => Err(bad(format!("{} attribute {name} is not an integer", self.op))),
        }
    }

    pub fn float(&self, name: &str, default: f32) -> Result<f32> {
        match self.attr(name) {
            None => Ok(default),
            Some(Attr::Float(f)) => Ok(*f),
            Some(_) => Err(bad(format!("{} attribute {name} is not a float", self.op))),
        }
    }

    pub fn ints(&self, name: &str) -> Result<Option<&[i64]>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attr::Ints(v)) => Ok(Some(v)),
            Some(_) => Err(bad(format!("{} attribute {name} is not a list of integers", self.op))),
        }
    }

    pub fn str(&self, name: &str, default: &str) -> Result<String> {
        match self.attr(name) {
            None => Ok(default.to_string()),
            Some(Attr::Str(s)) => Ok(s.clone()),
            Some(_) => Err(bad(format!("{} attribute {name} is not a string", self.op))),
        }
    }
}

/// The parts of an ONNX graph the forward pass needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub initializers: Vec<(String, Tensor)>,
    /// Graph inputs that are not initialisers.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// Reads the graph of an ONNX `ModelProto`.
pub(crate) fn read_model(bytes: &[u8]) -> Result<Graph> {
    let mut f = Fields::new(bytes);
    let mut graph = None;
    while let Some((n, v)) = f.next_field()? {
        if n == 7 {
            let Value::Bytes(b) = v else { return Err(bad("the graph field has the wrong wire type")) };
            graph = Some(read_graph(b)?);
        }
    }
    graph.ok_or_else(|| bad("no graph"))
}

fn read_graph(bytes: &[u8]) -> Result<Graph> {
    let mut g = Graph::default();
    let mut f = Fields::new(bytes);
    let mut inputs = Vec::new();
    while let Some((n, v)) = f.next_field()? {
        match (n, &v) {
            (1, Value::Bytes(b)) => g.nodes.push(read_node(b)?),
            (5, Value::Bytes(b)) => g.initializers.push(read_tensor(b)?),
            (11, Value::Bytes(b)) => inputs.push(value_info_name(b)?),
            (12, Value::Bytes(b)) => g.outputs.push(value_info_name(b)?),
            _ => {}
        }
    }
    g.inputs = inputs.into_iter().filter(|i| !g.initializers.iter().any(|(n, _)| n == i)).collect();
    Ok(g)
}

fn value_info_name(bytes: &[u8]) -> Result<String> {
    let mut f = Fields::new(bytes);
    while let Some((n, v)) = f.next_field()? {
        if n == 1 {
            return string(&v);
        }
    }
    Err(bad("a graph input or output has no name"))
}

fn read_node(bytes: &[u8]) -> Result<Node> {
    let mut node = Node::default();
    let mut domain = String::new();
    let mut f = Fields::new(bytes);
    while let Some((n, v)) = f.next_field()? {
        match n {
            1 => node.inputs.push(string(&v)?),
            2 => node.outputs.push(string(&v)?),
            4 => node.op = string(&v)?,
            5 => {
                let Value::Bytes(b) = v else { return Err(bad("an attribute has the wrong wire type")) };
                node.attrs.push(read_attr(b)?);
            }
            7 => domain = string(&v)?,
            _ => {}
        }
    }
    if !domain.is_empty() && domain != "ai.onnx" {
        return Err(Error::unsupported(format!(
            "the model uses operator {}::{}, which veer's forward pass does not run; use a veer checkpoint",
            domain, node.op
        )));
    }
    Ok(node)
}

fn read_attr(bytes: &[u8]) -> Result<(String, Attr)> {
    let mut name = String::new();
    let (mut float, mut int, mut s, mut t, mut floats, mut ints, mut kind) =
        (None, None, None, None, vec![], vec![], 0);
    let mut f = Fields::new(bytes);
    while let Some((n, v)) = f.next_field()? {
        match (n, &v) {
            (1, _) => name = string(&v)?,
            (2, Value::Fixed32(x)) => float = Some(f32::from_bits(*x)),
            (3, Value::Varint(x)) => int = Some(*x as i64),
            (4, Value::Bytes(b)) => s = Some(String::from_utf8_lossy(b).into_owned()),
            (5, Value::Bytes(b)) => t = Some(read_tensor(b)?.1),
            (7, _) => push_floats(&v, &mut floats)?,
            (8, _) => push_varints(&v, &mut ints)?,
            (20, Value::Varint(x)) => kind = *x,
            _ => {}
        }
    }
    // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7.
    let attr = match kind {
        1 => Attr::Float(float.unwrap_or(0.0)),
        2 => Attr::Int(int.unwrap_or(0)),
        3 => Attr::Str(s.unwrap_or_default()),
        4 => Attr::Tensor(t.ok_or_else(|| bad(format!("attribute {name} has no tensor")))?),
        6 => Attr::Floats(floats),
        7 => Attr::Ints(ints),
        k => {
            return Err(Error::unsupported(format!(
                "attribute {name} is of ONNX attribute type {k}, which veer does not read"
            )))
        }
    };
    Ok((name, attr))
}

/// A `TensorProto`: its name and value (f32, or integers kept as i64 with their ONNX type).
pub(crate) fn read_tensor(bytes: &[u8]) -> Result<(String, Tensor)> {
    let (mut name, mut dims, mut dtype, mut raw) = (String::new(), Vec::new(), 0u64, None);
    let (mut floats, mut ints) = (Vec::new(), Vec::new());
    let mut f = Fields::new(bytes);
    while let Some((n, v)) = f.next_field()? {
        match (n, &v) {
            (1, _) => push_varints(&v, &mut dims)?,
            (2, Value::Varint(x)) => dtype = *x,
            (4, _) => push_floats(&v, &mut floats)?,
            (5, _) | (7, _) => push_varints(&v, &mut ints)?,
            (8, _) => name = string(&v)?,
            (9, Value::Bytes(b)) => raw = Some(*b),
            (14, Value::Varint(1)) => {
                return Err(Error::model(
                    "the model keeps its weights in an external file; save it as a single .onnx file",
                ))
            }
            _ => {}
        }
    }
    let shape: Vec<usize> =
        dims.iter().map(|&d| usize::try_from(d).map_err(|_| bad("a negative dimension"))).collect::<Result<_>>()?;
    let count: usize = shape.iter().product();
    let tensor = match (dtype, raw) {
        (1, Some(b)) => {
            floats.clear();
            push_floats(&Value::Bytes(b), &mut floats)?;
            Tensor::f32(shape, floats)
        }
        (1, None) => Tensor::f32(shape, floats),
        (k, Some(b)) => {
            let kind = IntKind::from_onnx(k)?;
            let size = kind.bytes();
            if b.len() != count * size {
                return Err(bad(format!("tensor {name} holds {} bytes for {count} values", b.len())));
            }
            let values = b
                .chunks_exact(size)
                .map(|c| match kind {
                    IntKind::U8 => i64::from(c[0]),
                    IntKind::I8 => i64::from(c[0] as i8),
                    IntKind::I32 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    IntKind::I64 => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
                })
                .collect();
            Tensor::int(shape, values, kind)
        }
        // int32_data holds every integer type of 32 bits or less (sign-extended for int8).
        (k, None) => Tensor::int(shape, ints, IntKind::from_onnx(k)?),
    };
    if tensor.len() != count {
        return Err(bad(format!("tensor {name} holds {} values for shape {:?}", tensor.len(), tensor.shape)));
    }
    Ok((name, tensor))
}
