//! Tracing one curve through the probability map.

/// Curve-ink probability for a resized track, quantised to `u8` (0 = 0.0, 255 = 1.0),
/// row-major, `width` columns (the model width) by `height` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbMap {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}
