//! Straightening a rotated scan. A print fed into the scanner at a slight angle has
//! slanted track edges and depth lines; a project made on it carries the angle
//! (`Project::rotation`, measured by [`crate::propose`]), and the scan is turned back by
//! it before anything else, so that a rotated scan gives the same curve as a straight
//! one. The project's rows and columns are then those of the straightened scan.
//!
//! Angles are in degrees, positive when the scan's content is turned counter-clockwise
//! on screen (rows grow downwards), as [`crate::layout::Skew`] measures them: a vertical
//! line down a scan turned by `a` degrees moves `tan(a)` columns to the right per row
//! down. [`rotate`] by `-a` straightens it.

use crate::decode::GrayImage;
use crate::error::{Error, Result};

/// Largest rotation a project may carry, in degrees: a scan turned further is fed again,
/// not straightened (a turn of 5 degrees moves a 20,000-row print's edge by 1,750 px).
pub const MAX_ROTATION_DEGREES: f64 = 5.0;

/// Rotations smaller than this, in degrees, are not applied (0.05 degrees moves a
/// 20,000-row edge by 17 px, a 400-px track's far edge by a third of a row).
pub const MIN_ROTATION_DEGREES: f64 = 0.05;

/// The image turned by `degrees` about its centre (see the module documentation for the
/// sign), the same size, bilinear (thresholded back to black and white when the scan is
/// 1-bit), paper (255) where the turn brings in no pixels.
///
/// Errors: [`Error::BadParameter`] for an angle that is not finite or beyond
/// [`MAX_ROTATION_DEGREES`].
pub fn rotate(img: &GrayImage, degrees: f64) -> Result<GrayImage> {
    check(degrees)?;
    let (w, h) = (img.width as usize, img.height as usize);
    let mut out = vec![255u8; w * h];
    if w == 0 || h == 0 {
        return Ok(GrayImage { width: img.width, height: img.height, data: out });
    }
    let (s, c) = (-degrees).to_radians().sin_cos();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    for (yo, row) in out.chunks_exact_mut(w).enumerate() {
        let dy = yo as f64 - cy;
        // Output (xo, yo) shows input (cx + c*dx + s*dy, cy - s*dx + c*dy), s the sine of
        // -degrees: the content turned counter-clockwise by `degrees`.
        for (xo, px) in row.iter_mut().enumerate() {
            let dx = xo as f64 - cx;
            let (xi, yi) = (cx + c * dx + s * dy, cy - s * dx + c * dy);
            if let Some(v) = sample(img, xi, yi) {
                *px = v;
            }
        }
    }
    // A 1-bit scan stays 1-bit: bilinear gray edges would make a curve's darkness vary
    // with its sub-pixel position, where the model and the tracer saw all ink alike.
    if crate::encode::is_bilevel(img) {
        out.iter_mut().for_each(|v| *v = if *v < 128 { 0 } else { 255 });
    }
    Ok(GrayImage { width: img.width, height: img.height, data: out })
}

/// Where the point `(x, y)` of a scan of `width` x `height` px lands once the scan is
/// turned by `degrees` ([`rotate`]).
pub fn turned_point(x: f64, y: f64, degrees: f64, width: u32, height: u32) -> (f64, f64) {
    let (s, c) = (-degrees).to_radians().sin_cos();
    let (cx, cy) = ((f64::from(width) - 1.0) / 2.0, (f64::from(height) - 1.0) / 2.0);
    let (dx, dy) = (x - cx, y - cy);
    // Inverse of the sampling in `rotate`.
    (cx + c * dx - s * dy, cy + s * dx + c * dy)
}

fn check(degrees: f64) -> Result<()> {
    if degrees.is_finite() && degrees.abs() <= MAX_ROTATION_DEGREES {
        Ok(())
    } else {
        Err(Error::bad_parameter(format!(
            "rotation {degrees} degrees is beyond the {MAX_ROTATION_DEGREES} degrees a scan is straightened by; \
             scan the print again straighter"
        )))
    }
}

/// Bilinear sample at `(x, y)`, `None` outside the image.
fn sample(img: &GrayImage, x: f64, y: f64) -> Option<u8> {
    let (w, h) = (img.width as usize, img.height as usize);
    if !(x > -0.5 && y > -0.5 && x < w as f64 - 0.5 && y < h as f64 - 0.5) {
        return None;
    }
    let (x, y) = (x.clamp(0.0, w as f64 - 1.0), y.clamp(0.0, h as f64 - 1.0));
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let at = |xx: usize, yy: usize| f64::from(img.data[yy * w + xx]);
    let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
    let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
    Some((top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 200 x 400 scan with one vertical line at column 100.
    fn line_scan() -> GrayImage {
        let (w, h) = (200usize, 400usize);
        let mut data = vec![255u8; w * h];
        for y in 0..h {
            data[y * w + 100] = 0;
        }
        GrayImage { width: w as u32, height: h as u32, data }
    }

    fn darkest_col(img: &GrayImage, y: usize) -> usize {
        let row = img.row(y);
        (0..row.len()).min_by_key(|&x| row[x]).unwrap_or(0)
    }

    #[test]
    fn a_turned_line_slants_the_documented_way_and_turns_back() {
        let img = line_scan();
        let turned = rotate(&img, 2.0).unwrap();
        // Counter-clockwise: the line's bottom moves right, its top left.
        let (top, bottom) = (darkest_col(&turned, 20), darkest_col(&turned, 380));
        let expected = 360.0 * 2f64.to_radians().tan();
        assert!(((bottom as f64 - top as f64) - expected).abs() <= 1.5, "{top} {bottom} {expected}");
        // turned_point says where it went.
        let (x, _) = turned_point(100.0, 380.0, 2.0, 200, 400);
        assert!((x - bottom as f64).abs() <= 1.0, "{x} {bottom}");
        // And turning back straightens it.
        let back = rotate(&turned, -2.0).unwrap();
        for y in [40, 200, 360] {
            assert_eq!(darkest_col(&back, y), 100, "row {y}");
        }
    }

    #[test]
    fn angles_out_of_range_are_refused() {
        let img = line_scan();
        assert!(rotate(&img, 6.0).is_err());
        assert!(rotate(&img, f64::NAN).is_err());
        assert_eq!(rotate(&img, 0.0).unwrap(), img);
    }
}
