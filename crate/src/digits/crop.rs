//! A character's ink as the classifier sees it: turned upright, cut to its tight box and scaled
//! into a `SIZE x SIZE` square. The arithmetic is the training renderer's
//! (`scripts/train/digits/render.py`, `normalise`): keep the two in step.

use super::Orientation;

/// Side of the classifier's input square.
pub const SIZE: usize = 24;
/// The crop's longer side is scaled to this many pixels, centred in the square.
pub const FIT: usize = 20;
/// Sub-samples per output pixel side (nearest neighbour), averaged.
const SUB: usize = 4;

/// A small 1-bit bitmap, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    pub width: usize,
    pub height: usize,
    pub ink: Vec<bool>,
}

impl Bitmap {
    pub fn new(width: usize, height: usize) -> Bitmap {
        Bitmap { width, height, ink: vec![false; width * height] }
    }

    pub fn get(&self, x: usize, y: usize) -> bool {
        self.ink[y * self.width + x]
    }

    pub fn set(&mut self, x: usize, y: usize, v: bool) {
        self.ink[y * self.width + x] = v;
    }

    /// The bitmap turned so that text printed in `orientation` reads upright.
    pub fn upright(&self, orientation: Orientation) -> Bitmap {
        let (w, h) = (self.width, self.height);
        match orientation {
            Orientation::Upright => self.clone(),
            // text turned counter-clockwise: turn it clockwise, new[r][c] = old[h-1-c][r]
            Orientation::Ccw90 => {
                let mut out = Bitmap::new(h, w);
                for r in 0..w {
                    for c in 0..h {
                        out.set(c, r, self.get(r, h - 1 - c));
                    }
                }
                out
            }
            // text turned clockwise: turn it counter-clockwise, new[r][c] = old[c][w-1-r]
            Orientation::Cw90 => {
                let mut out = Bitmap::new(h, w);
                for r in 0..w {
                    for c in 0..h {
                        out.set(c, r, self.get(w - 1 - r, c));
                    }
                }
                out
            }
        }
    }

    /// The bitmap cut to the box of its ink; `None` when it holds no ink.
    pub fn tight(&self) -> Option<Bitmap> {
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        for y in 0..self.height {
            for x in 0..self.width {
                if self.get(x, y) {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x + 1);
                    y1 = y1.max(y + 1);
                }
            }
        }
        if x1 == 0 {
            return None;
        }
        let mut out = Bitmap::new(x1 - x0, y1 - y0);
        for y in y0..y1 {
            for x in x0..x1 {
                out.set(x - x0, y - y0, self.get(x, y));
            }
        }
        Some(out)
    }

    /// The classifier's input: `SIZE * SIZE` values, ink = 1.0, the longer side scaled to `FIT`.
    pub fn normalise(&self) -> Vec<f32> {
        let (h, w) = (self.height.max(1), self.width.max(1));
        let m = h.max(w);
        let oh = ((2 * h * FIT + m) / (2 * m)).clamp(1, FIT);
        let ow = ((2 * w * FIT + m) / (2 * m)).clamp(1, FIT);
        let (y0, x0) = ((SIZE - oh) / 2, (SIZE - ow) / 2);
        let mut out = vec![0f32; SIZE * SIZE];
        if self.ink.is_empty() {
            return out;
        }
        for oy in 0..oh {
            for ox in 0..ow {
                let mut n = 0u32;
                for j in 0..SUB {
                    let sy = (((2 * (oy * SUB + j) + 1) * h) / (2 * oh * SUB)).min(h - 1);
                    for i in 0..SUB {
                        let sx = (((2 * (ox * SUB + i) + 1) * w) / (2 * ow * SUB)).min(w - 1);
                        n += u32::from(self.get(sx, sy));
                    }
                }
                out[(y0 + oy) * SIZE + x0 + ox] = n as f32 / (SUB * SUB) as f32;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bm(rows: &[&str]) -> Bitmap {
        let mut b = Bitmap::new(rows[0].len(), rows.len());
        for (y, r) in rows.iter().enumerate() {
            for (x, c) in r.bytes().enumerate() {
                b.set(x, y, c == b'#');
            }
        }
        b
    }

    #[test]
    fn turns_and_cuts() {
        // an "L": vertical bar on the left, foot to the right
        let l = bm(&["#..", "#..", "###"]);
        // printed turned clockwise, the foot points down-left; turning back gives the L
        let cw = bm(&["###", "#..", "#.."]).upright(Orientation::Cw90);
        assert_eq!(cw, bm(&["#..", "#..", "###"]).upright(Orientation::Upright));
        let ccw = bm(&["..#", "..#", "###"]).upright(Orientation::Ccw90);
        assert_eq!(ccw, l);
        let t = bm(&["....", ".##.", "...."]).tight().unwrap();
        assert_eq!((t.width, t.height), (2, 1));
        assert!(bm(&["..", ".."]).tight().is_none());
    }

    #[test]
    fn normalise_fills_the_fit_box() {
        let full = Bitmap { width: 10, height: 20, ink: vec![true; 200] };
        let v = full.normalise();
        let ones = v.iter().filter(|&&x| x == 1.0).count();
        assert_eq!(ones, 20 * 10);
        assert_eq!(v[2 * SIZE + 7], 1.0);
        assert_eq!(v[2 * SIZE + 6], 0.0);
    }
}
