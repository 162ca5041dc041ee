//! Re-encoding a decoded scan compactly: what the browser sends to the cloud
//! fallback when the original file is over the request limit
//! ([`crate::plan::CLOUD_MAX_BODY_BYTES`]). PNG, because every decoder reads it and
//! it is lossless: a scan that is black and white already (the usual 1-bit
//! archive print, or a JPEG of one that survives the threshold) becomes a 1-bit
//! PNG; a gray scan stays 8-bit when that fits, and is thresholded to 1 bit only
//! when it does not (said so in [`Encoded::description`]).

use crate::decode::GrayImage;
use crate::error::{Error, Result};

/// Gray level at and above which a pixel is paper when thresholding to 1 bit.
pub const PAPER_THRESHOLD: u8 = 128;

/// A re-encoded scan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Encoded {
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// MIME type of `bytes`.
    pub content_type: &'static str,
    /// Whether every pixel survived as it was.
    pub lossless: bool,
    /// What was done, in words for the user.
    pub description: String,
}

fn png_error(e: png::EncodingError) -> Error {
    Error::bad_input(format!("the scan could not be re-encoded as PNG ({e})"))
}

fn write_png(width: u32, height: u32, depth: png::BitDepth, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(depth);
        enc.set_compression(png::Compression::High);
        let mut w = enc.write_header().map_err(png_error)?;
        w.write_image_data(data).map_err(png_error)?;
        w.finish().map_err(png_error)?;
    }
    Ok(out)
}

/// The image as an 8-bit grayscale PNG (lossless).
pub fn png_gray(img: &GrayImage) -> Result<Vec<u8>> {
    write_png(img.width, img.height, png::BitDepth::Eight, &img.data)
}

/// The image as a 1-bit PNG: pixels at or above `threshold` are paper (white),
/// the rest ink (black).
pub fn png_bilevel(img: &GrayImage, threshold: u8) -> Result<Vec<u8>> {
    let w = img.width as usize;
    let stride = w.div_ceil(8);
    let mut packed = vec![0u8; stride * img.height as usize];
    for (src, dst) in img.data.chunks_exact(w.max(1)).zip(packed.chunks_exact_mut(stride.max(1))) {
        for (x, &v) in src.iter().enumerate() {
            if v >= threshold {
                dst[x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    write_png(img.width, img.height, png::BitDepth::One, &packed)
}

/// Whether every pixel is pure black or pure white.
pub fn is_bilevel(img: &GrayImage) -> bool {
    img.data.iter().all(|&v| v == 0 || v == 255)
}

fn mb(n: usize) -> String {
    format!("{:.2} MB", n as f64 / 1e6)
}

/// Re-encodes a scan to at most `max_bytes`, losslessly where that fits.
///
/// Errors: [`Error::Limits`] when even a 1-bit PNG is larger, with what to do.
pub fn shrink(img: &GrayImage, max_bytes: usize) -> Result<Encoded> {
    let size = format!("{} x {} px", img.width, img.height);
    if is_bilevel(img) {
        let bytes = png_bilevel(img, PAPER_THRESHOLD)?;
        if bytes.len() <= max_bytes {
            let description =
                format!("re-saved as a 1-bit PNG ({}; black and white already, nothing lost)", mb(bytes.len()));
            return Ok(Encoded { bytes, content_type: "image/png", lossless: true, description });
        }
        return Err(too_large(&size, bytes.len(), max_bytes));
    }
    let gray = png_gray(img)?;
    if gray.len() <= max_bytes {
        let description = format!("re-saved as a grayscale PNG ({}, nothing lost)", mb(gray.len()));
        return Ok(Encoded { bytes: gray, content_type: "image/png", lossless: true, description });
    }
    let bytes = png_bilevel(img, PAPER_THRESHOLD)?;
    if bytes.len() <= max_bytes {
        let description = format!(
            "re-saved as a 1-bit PNG ({}): as grayscale it was {}, over the limit, so gray levels were thresholded to black and white",
            mb(bytes.len()),
            mb(gray.len())
        );
        return Ok(Encoded { bytes, content_type: "image/png", lossless: false, description });
    }
    Err(too_large(&size, bytes.len(), max_bytes))
}

fn too_large(size: &str, smallest: usize, max_bytes: usize) -> Error {
    Error::limits(format!(
        "the {size} scan is {} even as a 1-bit PNG, over the {} a cloud request can carry; \
         split it along depth into parts, or digitise it with the veer command-line tool",
        mb(smallest),
        mb(max_bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use crate::limits::Limits;

    fn image(width: u32, height: u32, f: impl Fn(u32, u32) -> u8) -> GrayImage {
        let data = (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).map(|(x, y)| f(x, y)).collect();
        GrayImage { width, height, data }
    }

    #[test]
    fn bilevel_png_round_trips_exactly() {
        // 13 columns: rows end mid-byte.
        let img = image(13, 7, |x, y| if (x * 3 + y) % 5 == 0 { 0 } else { 255 });
        let out = shrink(&img, 1 << 20).unwrap();
        assert!(out.lossless);
        assert_eq!(decode(&out.bytes, &Limits::default()).unwrap(), img);
    }

    #[test]
    fn gray_png_round_trips_exactly() {
        let img = image(40, 30, |x, y| ((x * 7 + y * 3) % 256) as u8);
        let out = shrink(&img, 1 << 20).unwrap();
        assert!(out.lossless && out.description.contains("grayscale"));
        assert_eq!(decode(&out.bytes, &Limits::default()).unwrap(), img);
    }

    #[test]
    fn gray_over_the_limit_is_thresholded_and_says_so() {
        // Noise does not compress as 8-bit; as 1 bit it is 8x smaller.
        let img = image(400, 400, |x, y| {
            let h = (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)).wrapping_mul(2_654_435_761);
            (h >> 24) as u8
        });
        let gray = png_gray(&img).unwrap().len();
        let out = shrink(&img, gray / 2).unwrap();
        assert!(!out.lossless && out.description.contains("thresholded"));
        let back = decode(&out.bytes, &Limits::default()).unwrap();
        assert!(back.data.iter().zip(&img.data).all(|(&b, &a)| b == if a >= PAPER_THRESHOLD { 255 } else { 0 }));
    }

    #[test]
    fn too_large_even_at_one_bit_is_a_limits_error() {
        let img = image(64, 64, |x, y| if (x ^ y) & 1 == 0 { 0 } else { 255 });
        let e = shrink(&img, 10).unwrap_err();
        assert_eq!(e.kind(), "limits");
        assert!(e.to_string().contains("split it along depth"), "{e}");
    }
}
