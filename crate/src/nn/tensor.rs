//! The forward pass's values: dense row-major tensors of f32, or of integers (shapes,
//! indices, quantised weights) kept as i64 with the ONNX type they came as.

use crate::error::{Error, Result};

/// The ONNX integer type a tensor's values came as (what QuantizeLinear clamps to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntKind {
    U8,
    I8,
    I32,
    I64,
}

impl IntKind {
    /// From `TensorProto.DataType` (UINT8 2, INT8 3, INT32 6, INT64 7).
    pub fn from_onnx(code: u64) -> Result<Self> {
        Ok(match code {
            2 => IntKind::U8,
            3 => IntKind::I8,
            6 => IntKind::I32,
            7 => IntKind::I64,
            k => {
                return Err(Error::unsupported(format!(
                    "the model holds a tensor of ONNX data type {k}, which veer's forward pass does not read"
                )))
            }
        })
    }

    pub fn bytes(self) -> usize {
        match self {
            IntKind::U8 | IntKind::I8 => 1,
            IntKind::I32 => 4,
            IntKind::I64 => 8,
        }
    }

    /// The range QuantizeLinear saturates to.
    pub fn range(self) -> (f32, f32) {
        match self {
            IntKind::U8 => (0.0, 255.0),
            IntKind::I8 => (-128.0, 127.0),
            IntKind::I32 => (i32::MIN as f32, i32::MAX as f32),
            IntKind::I64 => (i64::MIN as f32, i64::MAX as f32),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    F32(Vec<f32>),
    Int(Vec<i64>, IntKind),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tensor {
    pub shape: Vec<usize>,
    pub data: Data,
}

impl Tensor {
    pub fn f32(shape: Vec<usize>, values: Vec<f32>) -> Self {
        Tensor { shape, data: Data::F32(values) }
    }

    pub fn int(shape: Vec<usize>, values: Vec<i64>, kind: IntKind) -> Self {
        Tensor { shape, data: Data::Int(values, kind) }
    }

    pub fn i64(shape: Vec<usize>, values: Vec<i64>) -> Self {
        Tensor::int(shape, values, IntKind::I64)
    }

    pub fn len(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.len(),
            Data::Int(v, _) => v.len(),
        }
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    pub fn floats(&self) -> Result<&[f32]> {
        match &self.data {
            Data::F32(v) => Ok(v),
            Data::Int(..) => Err(Error::model("an operator got integers where the model should give it floats")),
        }
    }

    pub fn into_floats(self) -> Result<Vec<f32>> {
        match self.data {
            Data::F32(v) => Ok(v),
            Data::Int(..) => Err(Error::model("an operator got integers where the model should give it floats")),
        }
    }

    pub fn ints(&self) -> Result<&[i64]> {
        match &self.data {
            Data::Int(v, _) => Ok(v),
            Data::F32(_) => Err(Error::model("an operator got floats where the model should give it integers")),
        }
    }

    /// The same values under another shape with as many elements.
    pub fn reshaped(mut self, shape: Vec<usize>) -> Result<Self> {
        if shape.iter().product::<usize>() != self.len() {
            return Err(Error::model(format!("cannot reshape {:?} to {shape:?}", self.shape)));
        }
        self.shape = shape;
        Ok(self)
    }

    /// Applies `f` to each element, keeping the type.
    pub fn map_elements(&self, f: impl Fn(f32) -> f32, g: impl Fn(i64) -> i64) -> Self {
        let data = match &self.data {
            Data::F32(v) => Data::F32(v.iter().map(|&x| f(x)).collect()),
            Data::Int(v, k) => Data::Int(v.iter().map(|&x| g(x)).collect(), *k),
        };
        Tensor { shape: self.shape.clone(), data }
    }
}

/// Row-major strides of `shape`.
pub(crate) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Gathers `src` into the order of `out_shape`: element `idx` of the output is
/// `src[sum(idx[d] * src_strides[d])]` (a transpose, a broadcast or a slice, by the strides
/// and an offset).
pub(crate) fn gather_strided<T: Copy>(src: &[T], offset: usize, src_strides: &[usize], out_shape: &[usize]) -> Vec<T> {
    let n: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let rank = out_shape.len();
    if rank == 0 {
        out.push(src[offset]);
        return out;
    }
    let mut idx = vec![0usize; rank];
    let (last, last_stride) = (out_shape[rank - 1], src_strides[rank - 1]);
    let mut base = offset;
    loop {
        if last_stride == 1 {
            out.extend_from_slice(&src[base..base + last]);
        } else {
            out.extend((0..last).map(|i| src[base + i * last_stride]));
        }
        // Odometer over all but the last axis.
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            base += src_strides[d];
            if idx[d] < out_shape[d] {
                break;
            }
            base -= src_strides[d] * out_shape[d];
            idx[d] = 0;
        }
    }
}
