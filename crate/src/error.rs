//! The one error type of the core, split by whose fault it is.
//!
//! Every variant's message says what went wrong *and* what to do about it, so the
//! edges (CLI, HTTP, browser) can show it as it is. [`Error::kind`] is a stable
//! machine-readable name used by the HTTP API and the JS bindings.

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input bytes are malformed: empty, truncated, corrupt, wrong magic.
    /// The user's file is at fault.
    #[error("{0}")]
    BadInput(String),
    /// The input is well-formed but uses a format or feature veer does not support.
    #[error("{0}")]
    Unsupported(String),
    /// The input is larger than a documented limit (pixels, bytes, memory).
    #[error("{0}")]
    Limits(String),
    /// A parameter (calibration, track, seed, step) is invalid or inconsistent.
    #[error("{0}")]
    BadParameter(String),
    /// The model file cannot be loaded or run.
    #[error("{0}")]
    Model(String),
    /// The image decodes but no curve can be traced in the given track.
    #[error("{0}")]
    NoCurve(String),
}

impl Error {
    /// Stable, machine-readable kind (used by HTTP responses and the JS bindings).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::BadInput(_) => "bad_input",
            Error::Unsupported(_) => "unsupported",
            Error::Limits(_) => "limits",
            Error::BadParameter(_) => "bad_parameter",
            Error::Model(_) => "model",
            Error::NoCurve(_) => "no_curve",
        }
    }

    /// Shorthand constructors.
    pub fn bad_input(msg: impl Into<String>) -> Self {
        Error::BadInput(msg.into())
    }
    pub fn unsupported(msg: impl Into<String>) -> Self {
        Error::Unsupported(msg.into())
    }
    pub fn limits(msg: impl Into<String>) -> Self {
        Error::Limits(msg.into())
    }
    pub fn bad_parameter(msg: impl Into<String>) -> Self {
        Error::BadParameter(msg.into())
    }
    pub fn model(msg: impl Into<String>) -> Self {
        Error::Model(msg.into())
    }
    pub fn no_curve(msg: impl Into<String>) -> Self {
        Error::NoCurve(msg.into())
    }
}
