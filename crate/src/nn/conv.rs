//! 2-D convolution (stride 1, dilation 1, one group, square odd kernel with "same"
//! padding), the bulk of VeerNet's work: 30 convolutions, nearly all of its 16.7k
//! multiply-adds per pixel.
//!
//! Direct, on NCHW planes, without im2col: the input is copied once into a zero-bordered
//! buffer, so the inner loop has no edge cases; each step of the kernel keeps a block of
//! `CB` output channels x `XB` columns of one output row in registers (fixed-size arrays,
//! which LLVM turns into SIMD registers: wasm simd128 in the browser, SSE/AVX natively)
//! and runs the whole reduction over input channels and taps into them. Weights are packed
//! once, at load, in the order the kernel reads them (`[block][cin][ky][kx][CB]`).

use super::lanes::{F4, LANES};
use super::tensor::Tensor;
use crate::error::{Error, Result};

/// Output channels per block.
const CB: usize = 4;
/// Output columns per block (the width of the network's planes is a multiple of 16).
const XB: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conv {
    cin: usize,
    cout: usize,
    k: usize,
    /// `[cout.div_ceil(CB)][cin][k][k][CB][LANES]`, zero past `cout`.
    packed: Vec<f32>,
    /// `cout.div_ceil(CB) * CB` values, zero past `cout`.
    bias: Vec<f32>,
    /// A Relu after the convolution, fused into its store.
    pub relu: bool,
}

impl Conv {
    /// From the ONNX weight `[cout, cin, k, k]`, optional bias `[cout]`, and the node's
    /// `pads` (must be `k / 2` on every side).
    pub fn new(weight: &Tensor, bias: Option<&Tensor>, pads: &[i64]) -> Result<Self> {
        let &[cout, cin, kh, kw] = weight.shape.as_slice() else {
            return Err(Error::unsupported(format!(
                "a Conv weight of shape {:?} (only 2-D convolutions run)",
                weight.shape
            )));
        };
        let k = kh;
        if kh != kw || k % 2 == 0 || !matches!(k, 1 | 3 | 5) {
            return Err(Error::unsupported(format!("a {kh}x{kw} convolution (1x1, 3x3 and 5x5 run)")));
        }
        if pads.iter().any(|&p| p != (k / 2) as i64) {
            return Err(Error::unsupported(format!(
                "a {k}x{k} convolution with pads {pads:?} (only same-size padding runs)"
            )));
        }
        let w = weight.floats()?;
        let blocks = cout.div_ceil(CB);
        let mut packed = vec![0f32; blocks * cin * k * k * CB * LANES];
        for co in 0..cout {
            let (b, c) = (co / CB, co % CB);
            for ci in 0..cin {
                for t in 0..k * k {
                    let at = (((b * cin + ci) * k * k + t) * CB + c) * LANES;
                    packed[at..at + LANES].fill(w[(co * cin + ci) * k * k + t]);
                }
            }
        }
        let mut b = vec![0f32; blocks * CB];
        if let Some(bias) = bias {
            let v = bias.floats()?;
            if v.len() != cout {
                return Err(Error::model(format!("a Conv bias has {} values for {cout} channels", v.len())));
            }
            b[..cout].copy_from_slice(v);
        }
        Ok(Conv { cin, cout, k, packed, bias: b, relu: false })
    }

    /// Runs on `x` (`[1, cin, h, w]`), giving `[1, cout, h, w]`.
    pub fn run(&self, x: &Tensor) -> Result<Tensor> {
        let &[1, cin, h, w] = x.shape.as_slice() else {
            return Err(Error::model(format!("a Conv input of shape {:?} (expected [1, C, H, W])", x.shape)));
        };
        if cin != self.cin {
            return Err(Error::model(format!("a Conv of {} input channels got {cin}", self.cin)));
        }
        let xs = x.floats()?;
        let pad = self.k / 2;
        // Zero border of `pad`, width rounded up to whole blocks of XB columns.
        let (hp, wp) = (h + 2 * pad, w.div_ceil(XB) * XB + 2 * pad);
        let padded;
        let src = if pad == 0 && wp == w {
            xs
        } else {
            let mut p = vec![0f32; cin * hp * wp];
            for c in 0..cin {
                for y in 0..h {
                    let d = (c * hp + y + pad) * wp + pad;
                    p[d..d + w].copy_from_slice(&xs[(c * h + y) * w..(c * h + y + 1) * w]);
                }
            }
            padded = p;
            &padded
        };
        let mut out = vec![0f32; self.cout * h * w];
        let geometry = Geometry { cin, hp, wp, h, w };
        match self.k {
            1 => kernel::<1>(src, &geometry, self, &mut out),
            3 => kernel::<3>(src, &geometry, self, &mut out),
            _ => kernel::<5>(src, &geometry, self, &mut out),
        }
        Ok(Tensor::f32(vec![1, self.cout, h, w], out))
    }
}

struct Geometry {
    cin: usize,
    hp: usize,
    wp: usize,
    h: usize,
    w: usize,
}

/// Vectors of four columns per block.
const XV: usize = XB / LANES;

fn kernel<const K: usize>(x: &[f32], g: &Geometry, conv: &Conv, out: &mut [f32]) {
    let Geometry { cin, hp, wp, h, w } = *g;
    let plane = hp * wp;
    let span = XB + K - 1;
    let per_block = cin * K * K * CB * LANES;
    for (b, (wb, bias)) in conv.packed.chunks_exact(per_block).zip(conv.bias.chunks_exact(CB)).enumerate() {
        let channels = CB.min(conv.cout - b * CB);
        for y in 0..h {
            for x0 in (0..w).step_by(XB) {
                let mut acc = [[F4::ZERO; XV]; CB];
                for (ci, wc) in wb.chunks_exact(K * K * CB * LANES).enumerate() {
                    for ky in 0..K {
                        let s = ci * plane + (y + ky) * wp + x0;
                        let row = &x[s..s + span];
                        let wr = &wc[ky * K * CB * LANES..(ky + 1) * K * CB * LANES];
                        for kx in 0..K {
                            let xs: [F4; XV] = std::array::from_fn(|v| F4::load(row, kx + v * LANES));
                            for (c, a) in acc.iter_mut().enumerate() {
                                let wv = F4::load(wr, (kx * CB + c) * LANES);
                                for (a, &xv) in a.iter_mut().zip(&xs) {
                                    a.mul_add(wv, xv);
                                }
                            }
                        }
                    }
                }
                let cols = XB.min(w - x0);
                for (c, a) in acc.iter().enumerate().take(channels) {
                    let o = ((b * CB + c) * h + y) * w + x0;
                    for (j, d) in out[o..o + cols].iter_mut().enumerate() {
                        let v = a[j / LANES].lanes()[j % LANES] + bias[c];
                        *d = if conv.relu { v.max(0.0) } else { v };
                    }
                }
            }
        }
    }
}
