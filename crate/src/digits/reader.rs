//! The character classifier (`models/digits.onnx`), run by either engine of [`crate::model`]:
//! tract natively, veer's own forward pass in the browser.

#[cfg(feature = "tract")]
use tract_onnx::prelude::*;

use super::crop::SIZE;
use super::labels::{Classify, CLASSES};
use crate::error::{Error, Result};
use crate::model::Engine;

/// The depth-number character classifier: input `image` f32 `[1,1,24,24]` (ink = 1.0), output
/// `logits` f32 `[1,11]` (digits 0-9, then "not a digit").
pub struct DigitReader {
    net: Net,
    bytes: usize,
}

enum Net {
    #[cfg(feature = "tract")]
    Tract(std::sync::Arc<TypedRunnableModel>),
    #[cfg(feature = "own-nn")]
    Own(crate::nn::Net),
}

impl std::fmt::Debug for DigitReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DigitReader({}, {} bytes)", self.engine().name(), self.bytes)
    }
}

#[cfg(feature = "tract")]
fn model_error(what: &str) -> impl Fn(TractError) -> Error + '_ {
    move |e| Error::model(format!("{what}: {e:#}; use models/digits.onnx from the veer repository"))
}

impl DigitReader {
    /// Reads the classifier from its ONNX bytes, on the build's engine
    /// ([`Engine::default_for_build`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<DigitReader> {
        DigitReader::from_bytes_on(bytes, Engine::default_for_build())
    }

    /// Reads the classifier from its ONNX bytes, to run on `engine`; an engine this build lacks
    /// is [`Error::Unsupported`].
    pub fn from_bytes_on(bytes: &[u8], engine: Engine) -> Result<DigitReader> {
        if bytes.is_empty() {
            return Err(Error::model("the digit model file is empty; use models/digits.onnx from the veer repository"));
        }
        let net = match engine {
            #[cfg(feature = "tract")]
            Engine::Tract => Net::Tract(
                tract_onnx::onnx()
                    .model_for_read(&mut std::io::Cursor::new(bytes))
                    .map_err(model_error("the digit model is not a valid ONNX model"))?
                    .with_input_fact(0, f32::fact([1, 1, SIZE, SIZE]).into())
                    .and_then(|m| m.into_optimized())
                    .and_then(|m| m.into_runnable())
                    .map_err(model_error("the digit model does not take a [1,1,24,24] f32 crop"))?,
            ),
            #[cfg(feature = "own-nn")]
            Engine::Own => {
                let net = crate::nn::Net::from_onnx(bytes)?;
                // Checked once here, as tract checks the input fact: a crop in, the classes out.
                let (shape, _) = net.run(&[1, 1, SIZE, SIZE], &[0.0; SIZE * SIZE]).map_err(|e| {
                    Error::model(format!(
                        "the digit model does not take a [1,1,24,24] f32 crop: {e}; use models/digits.onnx from the veer repository"
                    ))
                })?;
                if shape.iter().product::<usize>() != CLASSES {
                    return Err(Error::model(format!(
                        "the digit model answers {shape:?}, expected {CLASSES} classes; use models/digits.onnx from the veer repository"
                    )));
                }
                Net::Own(net)
            }
            #[allow(unreachable_patterns)]
            other => return Err(other.not_built("the digit reader")),
        };
        Ok(DigitReader { net, bytes: bytes.len() })
    }

    /// Size of the ONNX file the reader was built from.
    pub fn file_bytes(&self) -> usize {
        self.bytes
    }

    /// The engine that runs the classifier.
    pub fn engine(&self) -> Engine {
        match &self.net {
            #[cfg(feature = "tract")]
            Net::Tract(_) => Engine::Tract,
            #[cfg(feature = "own-nn")]
            Net::Own(_) => Engine::Own,
        }
    }

    /// The classifier's raw outputs for one crop.
    fn logits(&self, crop: &[f32]) -> Result<Vec<f32>> {
        match &self.net {
            #[cfg(feature = "tract")]
            Net::Tract(plan) => {
                let tensor = Tensor::from_shape(&[1, 1, SIZE, SIZE], crop)
                    .map_err(model_error("the crop could not be handed to the digit model"))?;
                let out = plan.run(tvec![tensor.into()]).map_err(model_error("the digit model failed"))?;
                let first = out.first().ok_or_else(|| Error::model("the digit model returned no output"))?;
                let view =
                    first.to_plain_array_view::<f32>().map_err(model_error("the digit model's output is not f32"))?;
                Ok(view.iter().copied().collect())
            }
            #[cfg(feature = "own-nn")]
            Net::Own(net) => Ok(net.run(&[1, 1, SIZE, SIZE], crop)?.1),
        }
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
        let logits = self.logits(crop)?;
        if logits.len() != CLASSES {
            return Err(Error::model(format!(
                "the digit model returned {} values, expected {CLASSES}; use models/digits.onnx",
                logits.len()
            )));
        }
        let mut p = [0f32; CLASSES];
        let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0;
        for (o, &v) in p.iter_mut().zip(&logits) {
            *o = (v - max).exp();
            sum += *o;
        }
        for o in &mut p {
            *o /= sum;
        }
        Ok(p)
    }
}
