//! Where the checkpoint comes from. The handler is generic over [`ModelSource`], so
//! the Lambda reads the EFS mount, the local server a folder, and tests can wrap a
//! source to count or delay reads.

use std::path::PathBuf;

/// Default checkpoint path in the Lambda: the EFS access point is mounted at `/mnt/models`.
pub const DEFAULT_MODEL_PATH: &str = "/mnt/models/veernet-fp32.onnx";

/// Why the checkpoint could not be read. The handler answers 503: the file system
/// may come back (an EFS mount that is not ready, a copy still in progress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something that yields the ONNX checkpoint's bytes. Called on a blocking thread,
/// once per successful load (again after a failure).
pub trait ModelSource: Send + Sync + 'static {
    /// The checkpoint's bytes.
    fn read(&self) -> Result<Vec<u8>, Unavailable>;
    /// Where the bytes come from, for log lines and messages.
    fn describe(&self) -> String;
}

/// A checkpoint file: the EFS mount in the Lambda, a folder in local mode.
#[derive(Debug, Clone)]
pub struct FileSource {
    pub path: PathBuf,
}

impl FileSource {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileSource { path: path.into() }
    }

    /// `MODEL_PATH` if set, else [`DEFAULT_MODEL_PATH`].
    pub fn from_env() -> Self {
        FileSource::new(std::env::var_os("MODEL_PATH").map_or_else(|| PathBuf::from(DEFAULT_MODEL_PATH), PathBuf::from))
    }
}

impl ModelSource for FileSource {
    fn read(&self) -> Result<Vec<u8>, Unavailable> {
        std::fs::read(&self.path).map_err(|e| {
            Unavailable(format!(
                "the model checkpoint {} cannot be read ({e}); copy models/veernet-fp32.onnx there \
                 (see lambda-fallback/README.md) or set MODEL_PATH, then retry",
                self.path.display()
            ))
        })
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}
