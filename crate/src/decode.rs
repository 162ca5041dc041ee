//! Decoding scans from bytes: PNG, JPEG and TIFF (8/16-bit gray, RGB/RGBA,
//! 1-bit bilevel; uncompressed, PackBits, LZW, Deflate, CCITT Group 4).
//!
//! The header is read first and its dimensions checked against [`Limits`]
//! before any pixel buffer is allocated, so a small file that declares a huge
//! image (a decompression bomb) is refused up front. PNG goes through the
//! `image` crate, JPEG through `jpeg-decoder` (baseline and progressive, gray,
//! RGB and CMYK; it returns errors where image's zune-jpeg 0.5.15 panicked on
//! damaged files), and TIFF through the `tiff` crate directly so that bilevel
//! and fax-compressed archives decode to one byte per pixel without detours.

use std::io::Cursor;

use image::ImageDecoder;

use crate::error::{Error, Result};
use crate::limits::Limits;

/// Container formats veer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Png,
    Jpeg,
    Tiff,
}

impl Format {
    /// Sniff the format from the first bytes of a file.
    pub fn sniff(bytes: &[u8]) -> Result<Format> {
        if bytes.is_empty() {
            return Err(Error::bad_input(
                "the file is empty (0 bytes); choose the scan file again, or re-export it from the scanner",
            ));
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(Format::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Ok(Format::Jpeg)
        } else if bytes.starts_with(b"II*\0")
            || bytes.starts_with(b"MM\0*")
            || bytes.starts_with(b"II+\0")
            || bytes.starts_with(b"MM\0+")
        {
            Ok(Format::Tiff)
        } else {
            let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
            Err(Error::unsupported(format!(
                "not a PNG, JPEG or TIFF file (it starts with bytes {}); save the scan as TIFF, PNG or JPEG",
                head.join(" ")
            )))
        }
    }

    /// Lower-case name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::Tiff => "TIFF",
        }
    }
}

/// What the header says about a scan, before decoding any pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageInfo {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// Bits per pixel as stored (1 for bilevel, 8 for gray, 24 for RGB, ...).
    pub bits_per_pixel: u16,
    /// Size of the file in bytes.
    pub file_bytes: u64,
}

impl ImageInfo {
    /// Bytes the decoder's own buffer needs for this image.
    pub fn codec_buffer_bytes(&self) -> u64 {
        let row_bits = u64::from(self.width) * u64::from(self.bits_per_pixel);
        row_bits.div_ceil(8) * u64::from(self.height)
    }

    /// Bytes of the decoded 8-bit gray image.
    pub fn gray_bytes(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Check the header against the limits; the error says which limit and what to do.
    pub fn check(&self, limits: &Limits) -> Result<()> {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 {
            return Err(Error::bad_input(format!(
                "the {} header declares an empty image ({w} x {h} px); the file is damaged, re-export the scan",
                self.format.name()
            )));
        }
        if self.file_bytes > limits.max_file_bytes {
            return Err(Error::limits(format!(
                "the file is {} MiB, over the limit of {} MiB; split the scan along depth or save it as 1-bit CCITT G4 TIFF",
                self.file_bytes >> 20,
                limits.max_file_bytes >> 20
            )));
        }
        if w > limits.max_width || h > limits.max_height {
            return Err(Error::limits(format!(
                "the image is {w} x {h} px, over the limit of {} x {} px; crop the scan to the log or split it along depth",
                limits.max_width, limits.max_height
            )));
        }
        let pixels = u64::from(w) * u64::from(h);
        if pixels > limits.max_pixels {
            return Err(Error::limits(format!(
                "the image has {:.1} million pixels, over the limit of {:.1} million; crop the scan to the log or split it along depth",
                pixels as f64 / 1e6,
                limits.max_pixels as f64 / 1e6
            )));
        }
        let need = self.codec_buffer_bytes() + self.gray_bytes();
        if need > limits.max_decode_bytes {
            return Err(Error::limits(format!(
                "decoding this {w} x {h} px image needs {} MiB, over the limit of {} MiB; save it as 8-bit grayscale or 1-bit TIFF, or split it along depth",
                need >> 20,
                limits.max_decode_bytes >> 20
            )));
        }
        Ok(())
    }
}

/// An 8-bit luminance image: 0 is black (ink), 255 is white (paper), row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct GrayImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for GrayImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrayImage({} x {})", self.width, self.height)
    }
}

impl GrayImage {
    /// Row `y` of the image (`width` bytes); the caller keeps `y` below `height`.
    pub fn row(&self, y: usize) -> &[u8] {
        let w = self.width as usize;
        &self.data[y * w..(y + 1) * w]
    }
}

/// Read the header only.
pub fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    let format = Format::sniff(bytes)?;
    let file_bytes = bytes.len() as u64;
    let (width, height, bits_per_pixel) = match format {
        Format::Png => {
            let d = image::codecs::png::PngDecoder::new(Cursor::new(bytes)).map_err(image_error)?;
            let (w, h) = d.dimensions();
            (w, h, d.original_color_type().bits_per_pixel())
        }
        Format::Jpeg => {
            let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
            d.read_info().map_err(jpeg_error)?;
            let info = d.info().ok_or_else(|| Error::bad_input("the JPEG header is damaged; re-export the scan"))?;
            let samples = match info.pixel_format {
                jpeg_decoder::PixelFormat::L8 => 8,
                jpeg_decoder::PixelFormat::L16 => 16,
                jpeg_decoder::PixelFormat::RGB24 => 24,
                jpeg_decoder::PixelFormat::CMYK32 => 32,
            };
            (u32::from(info.width), u32::from(info.height), samples)
        }
        Format::Tiff => {
            let mut d = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_error)?;
            let (w, h) = d.dimensions().map_err(tiff_error)?;
            let ct = d.colortype().map_err(tiff_error)?;
            (w, h, tiff_bits_per_pixel(ct)?)
        }
    };
    Ok(ImageInfo { format, width, height, bits_per_pixel, file_bytes })
}

/// Decode a scan to 8-bit luminance, refusing it up front if the header
/// exceeds `limits`. Multi-page TIFFs use the first page.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<GrayImage> {
    let info = probe(bytes)?;
    info.check(limits)?;
    let img = match info.format {
        Format::Png => {
            let mut d = image::codecs::png::PngDecoder::new(Cursor::new(bytes)).map_err(image_error)?;
            d.set_limits(image_limits(limits)).map_err(image_error)?;
            dynamic_to_gray(image::DynamicImage::from_decoder(d).map_err(image_error)?)
        }
        Format::Jpeg => decode_jpeg(bytes, limits)?,
        Format::Tiff => decode_tiff(bytes, &info, limits)?,
    };
    if img.width != info.width || img.height != info.height {
        return Err(Error::bad_input(format!(
            "the {} decoded to {} x {} px but its header says {} x {}; the file is damaged, re-export the scan",
            info.format.name(),
            img.width,
            img.height,
            info.width,
            info.height
        )));
    }
    Ok(img)
}

/// JPEG to 8-bit luminance with jpeg-decoder (its default features off: no threads).
fn decode_jpeg(bytes: &[u8], limits: &Limits) -> Result<GrayImage> {
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    d.set_max_decoding_buffer_size(usize::try_from(limits.max_decode_bytes).unwrap_or(usize::MAX));
    let pixels = d.decode().map_err(jpeg_error)?;
    let info = d.info().ok_or_else(|| Error::bad_input("the JPEG header is damaged; re-export the scan"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let data =
        match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 => pixels,
            jpeg_decoder::PixelFormat::L16 => return Err(Error::unsupported(
                "lossless JPEG with more than 8 bits per sample is not supported; save the scan as 16-bit PNG or TIFF",
            )),
            jpeg_decoder::PixelFormat::RGB24 => pixels.chunks_exact(3).map(|p| luma(p[0], p[1], p[2])).collect(),
            // Ink amounts (the decoder undoes Adobe's inversion): 0 is no ink.
            jpeg_decoder::PixelFormat::CMYK32 => pixels
                .chunks_exact(4)
                .map(|p| {
                    let paper = 255 - u32::from(p[3]);
                    let ch = |c: u8| (((255 - u32::from(c)) * paper + 127) / 255) as u8;
                    luma(ch(p[0]), ch(p[1]), ch(p[2]))
                })
                .collect(),
        };
    if data.len() as u64 != u64::from(width) * u64::from(height) {
        return Err(Error::bad_input("the JPEG decoded to fewer pixels than its header declares; re-export the scan"));
    }
    Ok(GrayImage { width, height, data })
}

fn jpeg_error(e: jpeg_decoder::Error) -> Error {
    use jpeg_decoder::Error as E;
    match e {
        E::Unsupported(u) => Error::unsupported(format!(
            "unsupported JPEG feature: {}; save the scan as 8-bit grayscale PNG or 1-bit TIFF",
            one_line(format!("{u:?}"))
        )),
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::bad_input("the image file ends too early (truncated); copy or download the scan again")
        }
        other => Error::bad_input(format!(
            "the JPEG file is damaged ({}); re-export the scan from the scanner",
            one_line(other)
        )),
    }
}

fn image_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_width);
    l.max_image_height = Some(limits.max_height);
    l.max_alloc = Some(limits.max_decode_bytes);
    l
}

/// Composite `value` with `alpha` onto white paper.
fn over_white(value: u8, alpha: u8) -> u8 {
    let v = u32::from(value) * u32::from(alpha) + 255 * (255 - u32::from(alpha));
    ((v + 127) / 255) as u8
}

/// Rec. 601 luma, rounded, in integers (identical on every target).
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8
}

fn dynamic_to_gray(img: image::DynamicImage) -> GrayImage {
    use image::DynamicImage as D;
    let (width, height) = (img.width(), img.height());
    let data = match img {
        D::ImageLuma8(b) => b.into_raw(),
        D::ImageLumaA8(b) => b.into_raw().chunks_exact(2).map(|p| over_white(p[0], p[1])).collect(),
        D::ImageRgb8(b) => b.into_raw().chunks_exact(3).map(|p| luma(p[0], p[1], p[2])).collect(),
        D::ImageRgba8(b) => b.into_raw().chunks_exact(4).map(|p| over_white(luma(p[0], p[1], p[2]), p[3])).collect(),
        D::ImageLuma16(b) => b.into_raw().iter().map(|&v| (v >> 8) as u8).collect(),
        other if other.color().has_alpha() => {
            other.to_rgba8().into_raw().chunks_exact(4).map(|p| over_white(luma(p[0], p[1], p[2]), p[3])).collect()
        }
        other => other.to_rgb8().into_raw().chunks_exact(3).map(|p| luma(p[0], p[1], p[2])).collect(),
    };
    GrayImage { width, height, data }
}

fn tiff_bits_per_pixel(ct: tiff::ColorType) -> Result<u16> {
    use tiff::ColorType as C;
    let (bits, samples) = match ct {
        C::Gray(b) => (b, 1u16),
        C::GrayA(b) => (b, 2),
        C::RGB(b) => (b, 3),
        C::RGBA(b) => (b, 4),
        other => {
            return Err(Error::unsupported(format!(
                "TIFF colour type {other:?} is not supported; save the scan as grayscale, RGB or 1-bit TIFF"
            )))
        }
    };
    Ok(u16::from(bits) * samples)
}

fn decode_tiff(bytes: &[u8], info: &ImageInfo, limits: &Limits) -> Result<GrayImage> {
    let mut tl = tiff::decoder::Limits::default();
    tl.decoding_buffer_size = usize::try_from(limits.max_decode_bytes).unwrap_or(usize::MAX);
    tl.intermediate_buffer_size = tl.decoding_buffer_size;
    let mut d = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_error)?.with_limits(tl);
    let ct = d.colortype().map_err(tiff_error)?;
    let (w, h) = (info.width as usize, info.height as usize);
    let raw = d.read_image().map_err(tiff_error)?;
    use tiff::decoder::DecodingResult as R;
    use tiff::ColorType as C;
    let data: Vec<u8> = match (ct, raw) {
        (C::Gray(bits @ (1 | 2 | 4)), R::U8(buf)) => unpack_gray(&buf, w, h, bits)?,
        (C::Gray(8), R::U8(buf)) => buf,
        (C::Gray(16), R::U16(buf)) => buf.iter().map(|&v| (v >> 8) as u8).collect(),
        (C::GrayA(8), R::U8(buf)) => buf.chunks_exact(2).map(|p| over_white(p[0], p[1])).collect(),
        (C::GrayA(16), R::U16(buf)) => {
            buf.chunks_exact(2).map(|p| over_white((p[0] >> 8) as u8, (p[1] >> 8) as u8)).collect()
        }
        (C::RGB(8), R::U8(buf)) => buf.chunks_exact(3).map(|p| luma(p[0], p[1], p[2])).collect(),
        (C::RGB(16), R::U16(buf)) => {
            buf.chunks_exact(3).map(|p| luma((p[0] >> 8) as u8, (p[1] >> 8) as u8, (p[2] >> 8) as u8)).collect()
        }
        (C::RGBA(8), R::U8(buf)) => buf.chunks_exact(4).map(|p| over_white(luma(p[0], p[1], p[2]), p[3])).collect(),
        (C::RGBA(16), R::U16(buf)) => buf
            .chunks_exact(4)
            .map(|p| over_white(luma((p[0] >> 8) as u8, (p[1] >> 8) as u8, (p[2] >> 8) as u8), (p[3] >> 8) as u8))
            .collect(),
        (ct, _) => {
            return Err(Error::unsupported(format!(
                "TIFF {ct:?} samples are not supported; save the scan as 8-bit grayscale or 1-bit TIFF"
            )))
        }
    };
    if data.len() != w * h {
        return Err(Error::bad_input(format!(
            "the TIFF's pixel data ({} samples) does not match its {w} x {h} px header; the file is damaged, re-export the scan",
            data.len()
        )));
    }
    Ok(GrayImage { width: info.width, height: info.height, data })
}

/// Expand packed 1/2/4-bit gray rows (each row padded to a byte, 0 = black) to 8 bits.
fn unpack_gray(buf: &[u8], w: usize, h: usize, bits: u8) -> Result<Vec<u8>> {
    let bits = usize::from(bits);
    let row_bytes = (w * bits).div_ceil(8);
    if buf.len() < row_bytes * h {
        return Err(Error::bad_input(format!(
            "the TIFF's pixel data is shorter than its {w} x {h} px header; the file is truncated, re-export the scan"
        )));
    }
    let max = (1u32 << bits) - 1;
    let per_byte = 8 / bits;
    // Every packed byte expands to `per_byte` gray values: look them up, a byte at a time.
    let expand: Vec<[u8; 8]> = (0..=255u32)
        .map(|byte| {
            let mut e = [0u8; 8];
            for (i, v) in e.iter_mut().take(per_byte).enumerate() {
                *v = (((byte >> (8 - bits * (i + 1))) & max) * 255 / max) as u8;
            }
            e
        })
        .collect();
    let mut out = vec![0u8; w * h];
    if w == 0 {
        return Ok(out);
    }
    for (row, dst) in buf.chunks_exact(row_bytes).zip(out.chunks_exact_mut(w)) {
        for (px, &byte) in dst.chunks_mut(per_byte).zip(row) {
            px.copy_from_slice(&expand[usize::from(byte)][..px.len()]);
        }
    }
    Ok(out)
}

/// Codec messages in one line, without trailing punctuation.
fn one_line(e: impl std::fmt::Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches(['.', ':']).to_string()
}

fn image_error(e: image::ImageError) -> Error {
    use image::ImageError as E;
    match e {
        E::Limits(l) => Error::limits(format!(
            "the image exceeds a decoding limit ({}); crop the scan or split it along depth",
            one_line(l)
        )),
        E::Unsupported(u) => Error::unsupported(format!(
            "unsupported image feature: {}; save the scan as 8-bit grayscale PNG or 1-bit TIFF",
            one_line(u)
        )),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::bad_input("the image file ends too early (truncated); copy or download the scan again")
        }
        other => Error::bad_input(format!(
            "the image file is damaged ({}); re-export the scan from the scanner",
            one_line(other)
        )),
    }
}

fn tiff_error(e: tiff::TiffError) -> Error {
    use tiff::TiffError as E;
    match e {
        // Dimensions were checked against the limits before decoding, so a limit hit
        // here comes from a tag or strip that claims more than any image needs.
        E::LimitsExceeded => Error::bad_input(
            "the TIFF declares a tag or strip far larger than its image needs; the file is damaged, re-export the scan",
        ),
        E::IntSizeError => {
            Error::limits("the TIFF is too large to address on this platform; crop the scan or split it along depth")
        }
        E::UnsupportedError(u) => Error::unsupported(format!(
            "unsupported TIFF feature: {}; save the scan as 1-bit CCITT G4, LZW or Deflate TIFF, or as PNG",
            one_line(u)
        )),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::bad_input("the TIFF file ends too early (truncated); copy or download the scan again")
        }
        other => Error::bad_input(format!(
            "the TIFF file is damaged ({}); re-export the scan from the scanner",
            one_line(other)
        )),
    }
}
