//! The character classifier (`models/digits.onnx`), run with tract.

use std::io::Cursor;

use tract_onnx::prelude::*;

use super::crop::SIZE;
use super::labels::{Classify, CLASSES};
use crate::error::{Error, Result};

/// The depth-number character classifier: input `image` f32 `[1,1,24,24]` (ink = 1.0), output
/// `logits` f32 `[1,11]` (digits 0-9, then "not a digit").
pub struct DigitReader {
    plan: std::sync::Arc<TypedRunnableModel>,
    bytes: usize,
}

impl std::fmt::Debug for DigitReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DigitReader({} bytes)", self.bytes)
    }
}

fn model_error(what: &str) -> impl Fn(TractError) -> Error + '_ {
    move |e| Error::model(format!("{what}: {e:#}; use models/digits.onnx from the veer repository"))
}

impl DigitReader {
    /// Parse and optimise the classifier from its ONNX bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<DigitReader> {
        if bytes.is_empty() {
            return Err(Error::model("the digit model file is empty; use models/digits.onnx from the veer repository"));
        }
        let plan = tract_onnx::onnx()
            .model_for_read(&mut Cursor::new(bytes))
            .map_err(model_error("the digit model is not a valid ONNX model"))?
            .with_input_fact(0, f32::fact([1, 1, SIZE, SIZE]).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(model_error("the digit model does not take a [1,1,24,24] f32 crop"))?;
        Ok(DigitReader { plan, bytes: bytes.len() })
    }

    /// Size of the ONNX file the reader was built from.
    pub fn file_bytes(&self) -> usize {
        self.bytes
    }
}

impl Classify for DigitReader {
    fn classify(&self, crop: &[f32]) -> Result<[f32; CLASSES]> {
        if crop.len() != SIZE * SIZE {
            return Err(Error::bad_parameter(format!(
                "a character crop has {} values, expected {}",
                crop.len(),
                SIZE * SIZE
            )));
        }
        let tensor = Tensor::from_shape(&[1, 1, SIZE, SIZE], crop)
            .map_err(model_error("the crop could not be handed to the digit model"))?;
        let out = self.plan.run(tvec![tensor.into()]).map_err(model_error("the digit model failed"))?;
        let first = out.first().ok_or_else(|| Error::model("the digit model returned no output"))?;
        let view = first.to_plain_array_view::<f32>().map_err(model_error("the digit model's output is not f32"))?;
        if view.len() != CLASSES {
            return Err(Error::model(format!(
                "the digit model returned {} values, expected {CLASSES}; use models/digits.onnx",
                view.len()
            )));
        }
        let mut p = [0f32; CLASSES];
        let max = view.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0;
        for (o, &v) in p.iter_mut().zip(view.iter()) {
            *o = (v - max).exp();
            sum += *o;
        }
        for o in &mut p {
            *o /= sum;
        }
        Ok(p)
    }
}
