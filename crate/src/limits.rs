//! Resource limits, in one place. Every check against the size of a user's scan
//! reads these numbers, and so does the local-or-cloud planner.

/// Limits applied before and while decoding a scan.
///
/// The defaults admit every scan in the expected range (1,000-1,700 px across,
/// up to 25,000 px along depth, any supported bit depth) with room to spare,
/// and refuse decompression bombs before any large allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height (along depth) in pixels.
    pub max_height: u32,
    /// Largest accepted pixel count, width x height.
    pub max_pixels: u64,
    /// Largest accepted input file, in bytes.
    pub max_file_bytes: u64,
    /// Largest memory the decoder may allocate for pixel buffers, in bytes
    /// (the codec's own buffer plus the 8-bit gray copy).
    pub max_decode_bytes: u64,
}

/// Default: 20,000 px wide.
pub const DEFAULT_MAX_WIDTH: u32 = 20_000;
/// Default: 100,000 px along depth.
pub const DEFAULT_MAX_HEIGHT: u32 = 100_000;
/// Default: 120 million pixels (e.g. 1,700 x 70,000 or 4,800 x 25,000).
pub const DEFAULT_MAX_PIXELS: u64 = 120_000_000;
/// Default: 512 MiB of input file.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Default: 1 GiB of decode buffers.
pub const DEFAULT_MAX_DECODE_BYTES: u64 = 1024 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_width: DEFAULT_MAX_WIDTH,
            max_height: DEFAULT_MAX_HEIGHT,
            max_pixels: DEFAULT_MAX_PIXELS,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_decode_bytes: DEFAULT_MAX_DECODE_BYTES,
        }
    }
}
