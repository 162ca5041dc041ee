//! The operators other than convolution, on [`Tensor`]s, with ONNX semantics for the
//! cases VeerNet's and the digit reader's graphs use (and an error for any other case).

use super::lanes::{F4, LANES};
use super::tensor::{gather_strided, strides, Data, IntKind, Tensor};
use crate::error::{Error, Result};

fn unsupported(what: String) -> Error {
    Error::unsupported(format!("{what}, which veer's forward pass does not run; use a veer checkpoint"))
}

/// A possibly negative ONNX axis, resolved against `rank`.
pub(crate) fn axis(a: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if a < 0 { a + r } else { a };
    if (0..r.max(1)).contains(&a) {
        Ok(a as usize)
    } else {
        Err(Error::model(format!("axis {a} out of range for rank {rank}")))
    }
}

pub(crate) fn relu(mut x: Tensor) -> Result<Tensor> {
    if let Data::F32(v) = &mut x.data {
        v.iter_mut().for_each(|a| *a = a.max(0.0));
    }
    Ok(x)
}

/// `e^x` to about 2 ulp (Cephes' `expf`: `x = n ln 2 + r`, a degree-6 polynomial in `r`, `2^n`
/// from the exponent bits), without branches or library calls so that loops over it
/// vectorise: the library's `expf` is a call per value, in wasm too. `x` is clamped to
/// [-87, 88], where `e^x` stays a normal f32.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    // Adding and taking away 1.5 * 2^23 rounds to the nearest integer (ties to even) with
    // plain arithmetic: `round` is a library call on baseline x86-64.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 0.166_666_65) * r
        + 0.5;
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

pub(crate) fn sigmoid(mut x: Tensor) -> Result<Tensor> {
    if let Data::F32(v) = &mut x.data {
        v.iter_mut().for_each(|a| *a = 1.0 / (1.0 + exp(-*a)));
    }
    Ok(x)
}

/// The numpy broadcast of two shapes.
fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|i| {
            let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
            let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
            match (da, db) {
                _ if da == db => Ok(da),
                (1, d) | (d, 1) => Ok(d),
                _ => Err(Error::model(format!("shapes {a:?} and {b:?} do not broadcast"))),
            }
        })
        .collect()
}

/// `x` broadcast to `shape` (strides 0 along broadcast axes).
fn broadcast_to<T: Copy>(x: &[T], xshape: &[usize], shape: &[usize]) -> Vec<T> {
    let rank = shape.len();
    let xs = strides(xshape);
    let st: Vec<usize> = (0..rank)
        .map(|i| {
            if i + xshape.len() < rank {
                0
            } else {
                let j = i + xshape.len() - rank;
                if xshape[j] == 1 {
                    0
                } else {
                    xs[j]
                }
            }
        })
        .collect();
    gather_strided(x, 0, &st, shape)
}

/// Element-wise `f(a, b)` with numpy broadcasting (f32, or i64 for shape arithmetic).
pub(crate) fn binary(a: &Tensor, b: &Tensor, f: fn(f32, f32) -> f32, g: fn(i64, i64) -> i64) -> Result<Tensor> {
    let shape = broadcast_shape(&a.shape, &b.shape)?;
    let n: usize = shape.iter().product();
    match (&a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) => {
            let out = if x.len() == n && y.len() == n {
                x.iter().zip(y).map(|(&p, &q)| f(p, q)).collect()
            } else if y.len() == 1 {
                x.iter().map(|&p| f(p, y[0])).collect()
            } else if x.len() == 1 {
                y.iter().map(|&q| f(x[0], q)).collect()
            } else if x.len() == n && n.is_multiple_of(y.len()) && a.shape.ends_with(trim_ones(&b.shape)) {
                // b repeats along a's leading axes (a bias over the last axes).
                x.chunks_exact(y.len()).flat_map(|c| c.iter().zip(y).map(|(&p, &q)| f(p, q))).collect()
            } else if y.len() == n && n.is_multiple_of(x.len()) && b.shape.ends_with(trim_ones(&a.shape)) {
                y.chunks_exact(x.len()).flat_map(|c| x.iter().zip(c).map(|(&p, &q)| f(p, q))).collect()
            } else {
                let (x, y) = (broadcast_to(x, &a.shape, &shape), broadcast_to(y, &b.shape, &shape));
                x.iter().zip(&y).map(|(&p, &q)| f(p, q)).collect()
            };
            Ok(Tensor::f32(shape, out))
        }
        (Data::Int(x, _), Data::Int(y, _)) => {
            let (x, y) = (broadcast_to(x, &a.shape, &shape), broadcast_to(y, &b.shape, &shape));
            Ok(Tensor::i64(shape, x.iter().zip(&y).map(|(&p, &q)| g(p, q)).collect()))
        }
        _ => Err(Error::model("an element-wise operator got floats and integers")),
    }
}

fn trim_ones(s: &[usize]) -> &[usize] {
    let first = s.iter().position(|&d| d != 1).unwrap_or(s.len());
    &s[first..]
}

/// MaxPool over `[1, C, H, W]` without padding, floor mode.
pub(crate) fn max_pool(x: &Tensor, k: [usize; 2], s: [usize; 2]) -> Result<Tensor> {
    let &[n, c, h, w] = x.shape.as_slice() else {
        return Err(Error::model(format!("a MaxPool input of shape {:?}", x.shape)));
    };
    if h < k[0] || w < k[1] {
        return Err(Error::bad_parameter(format!("a {h} x {w} plane is smaller than the {} x {} pool", k[0], k[1])));
    }
    let (oh, ow) = ((h - k[0]) / s[0] + 1, (w - k[1]) / s[1] + 1);
    let v = x.floats()?;
    let mut out = Vec::with_capacity(n * c * oh * ow);
    for plane in v.chunks_exact(h * w) {
        for oy in 0..oh {
            let rows = &plane[oy * s[0] * w..(oy * s[0] + k[0]) * w];
            out.extend((0..ow).map(|ox| {
                let mut m = f32::NEG_INFINITY;
                for r in rows.chunks_exact(w) {
                    for &p in &r[ox * s[1]..ox * s[1] + k[1]] {
                        m = m.max(p);
                    }
                }
                m
            }));
        }
    }
    Ok(Tensor::f32(vec![n, c, oh, ow], out))
}

/// Resize, mode nearest, `asymmetric` coordinates, `floor` rounding, by whole factors:
/// output `(y, x)` is input `(y / sh, x / sw)`.
pub(crate) fn resize_nearest(x: &Tensor, sh: usize, sw: usize) -> Result<Tensor> {
    let &[n, c, h, w] = x.shape.as_slice() else {
        return Err(Error::model(format!("a Resize input of shape {:?}", x.shape)));
    };
    let v = x.floats()?;
    let ow = w * sw;
    let mut out = Vec::with_capacity(v.len() * sh * sw);
    for row in v.chunks_exact(w) {
        let start = out.len();
        out.extend(row.iter().flat_map(|&p| std::iter::repeat_n(p, sw)));
        for _ in 1..sh {
            out.extend_from_within(start..start + ow);
        }
    }
    Ok(Tensor::f32(vec![n, c, h * sh, ow], out))
}

/// Concatenation along `axis` (f32 or integers).
pub(crate) fn concat(xs: &[&Tensor], axis_attr: i64) -> Result<Tensor> {
    let first = xs.first().ok_or_else(|| Error::model("a Concat without inputs"))?;
    let rank = first.rank();
    let ax = axis(axis_attr, rank)?;
    for x in xs {
        if x.rank() != rank || (0..rank).any(|d| d != ax && x.shape[d] != first.shape[d]) {
            return Err(Error::model(format!("Concat of {:?} and {:?} along {ax}", first.shape, x.shape)));
        }
    }
    let outer: usize = first.shape[..ax].iter().product();
    let mut shape = first.shape.clone();
    shape[ax] = xs.iter().map(|x| x.shape[ax]).sum();
    fn join<T: Copy>(parts: &[(&[T], usize)], outer: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
        for o in 0..outer {
            for &(v, block) in parts {
                out.extend_from_slice(&v[o * block..(o + 1) * block]);
            }
        }
        out
    }
    let block = |x: &Tensor| x.shape[ax..].iter().product::<usize>();
    match &first.data {
        Data::F32(_) => {
            let parts: Vec<(&[f32], usize)> = xs.iter().map(|x| Ok((x.floats()?, block(x)))).collect::<Result<_>>()?;
            Ok(Tensor::f32(shape, join(&parts, outer)))
        }
        Data::Int(_, kind) => {
            let parts: Vec<(&[i64], usize)> = xs.iter().map(|x| Ok((x.ints()?, block(x)))).collect::<Result<_>>()?;
            Ok(Tensor::int(shape, join(&parts, outer), *kind))
        }
    }
}

/// Per-channel `x * scale + shift` over axis 1 of `[N, C, ...]` (BatchNormalization in
/// inference, its statistics folded at load).
pub(crate) fn channel_affine(x: &Tensor, scale: &[f32], shift: &[f32]) -> Result<Tensor> {
    if x.rank() < 2 || x.shape[1] != scale.len() {
        return Err(Error::model(format!("a BatchNormalization of {} channels got {:?}", scale.len(), x.shape)));
    }
    let inner: usize = x.shape[2..].iter().product();
    let v = x.floats()?;
    let mut out = Vec::with_capacity(v.len());
    for (i, chunk) in v.chunks_exact(inner).enumerate() {
        let c = i % scale.len();
        out.extend(chunk.iter().map(|&p| p * scale[c] + shift[c]));
    }
    Ok(Tensor::f32(x.shape.clone(), out))
}

/// `c[m][n] += sum_k a[m][k] * b[k][n]` (row-major; the inner loop runs along `n`).
fn gemm_into(a: &[f32], b: &[f32], c: &mut [f32], m: usize, k: usize, n: usize) {
    // `c += a b` (row-major, `m x k` by `k x n`). Blocks of `MR` rows x `NR` columns of `c`
    // are summed in SIMD registers over the whole of `k`, from `b` packed once into column
    // panels of `k x NR` contiguous values (read in place, a panel's rows lie `n` values apart:
    // with `n` a power of two they fall in one cache set and evict each other). Rows go in
    // bands of `BAND`, whose rows of `a` stay in cache while every panel passes over them.
    // The attention block's two products (`q k'` and `p v`, quadratic in the tile's size)
    // took a third of a 512-row tile with the plain row-by-row loop.
    const MR: usize = 4;
    const NR: usize = 2 * LANES;
    const BAND: usize = 64;
    let n_main = n - n % NR;
    let plain = |c: &mut [f32], rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
        for i in rows {
            for p in 0..k {
                let av = a[i * k + p];
                for j in cols.clone() {
                    c[i * n + j] += av * b[p * n + j];
                }
            }
        }
    };
    let mut panels = Vec::with_capacity(k * n_main);
    for j0 in (0..n_main).step_by(NR) {
        for p in 0..k {
            panels.extend_from_slice(&b[p * n + j0..p * n + j0 + NR]);
        }
    }
    for i_band in (0..m).step_by(BAND) {
        let i_end = (i_band + BAND).min(m);
        for (j0, panel) in (0..n_main).step_by(NR).zip(panels.chunks_exact(k * NR)) {
            let mut i0 = i_band;
            while i0 + MR <= i_end {
                let mut acc = [[F4::ZERO; 2]; MR];
                for p in 0..k {
                    let (b0, b1) = (F4::load(panel, p * NR), F4::load(panel, p * NR + LANES));
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let av = F4::splat(a[(i0 + r) * k + p]);
                        acc[0].mul_add(av, b0);
                        acc[1].mul_add(av, b1);
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    let at = (i0 + r) * n + j0;
                    let (l0, l1) = (acc[0].lanes(), acc[1].lanes());
                    for (d, v) in c[at..at + NR].iter_mut().zip(l0.iter().chain(&l1)) {
                        *d += v;
                    }
                }
                i0 += MR;
            }
            plain(c, i0..i_end, j0..j0 + NR);
        }
        plain(c, i_band..i_end, n_main..n);
    }
}

/// MatMul: `[..., M, K] x [..., K, N]`, batch axes equal or `b` of rank 2.
pub(crate) fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (ra, rb) = (a.rank(), b.rank());
    if ra < 2 || rb < 2 {
        return Err(unsupported(format!("a MatMul of shapes {:?} x {:?}", a.shape, b.shape)));
    }
    let (m, k, n) = (a.shape[ra - 2], a.shape[ra - 1], b.shape[rb - 1]);
    if b.shape[rb - 2] != k {
        return Err(Error::model(format!("a MatMul of shapes {:?} x {:?}", a.shape, b.shape)));
    }
    let (av, bv) = (a.floats()?, b.floats()?);
    let batch: usize = a.shape[..ra - 2].iter().product();
    let mut shape = a.shape[..ra - 2].to_vec();
    shape.extend([m, n]);
    let mut out = vec![0f32; batch * m * n];
    if rb == 2 {
        gemm_into(av, bv, &mut out, batch * m, k, n);
    } else if a.shape[..ra - 2] == b.shape[..rb - 2] {
        for i in 0..batch {
            gemm_into(
                &av[i * m * k..(i + 1) * m * k],
                &bv[i * k * n..(i + 1) * k * n],
                &mut out[i * m * n..(i + 1) * m * n],
                m,
                k,
                n,
            );
        }
    } else {
        return Err(unsupported(format!("a MatMul broadcasting {:?} against {:?}", a.shape, b.shape)));
    }
    Ok(Tensor::f32(shape, out))
}

/// Gemm `alpha * A' B' + beta * C` on rank-2 tensors (A' and B' transposed if asked).
pub(crate) fn gemm(
    a: &Tensor,
    b: &Tensor,
    c: Option<&Tensor>,
    alpha: f32,
    beta: f32,
    ta: bool,
    tb: bool,
) -> Result<Tensor> {
    if a.rank() != 2 || b.rank() != 2 {
        return Err(Error::model(format!("a Gemm of shapes {:?} x {:?}", a.shape, b.shape)));
    }
    let a = if ta { transpose(a, &[1, 0])? } else { a.clone() };
    let b = if tb { transpose(b, &[1, 0])? } else { b.clone() };
    let mut y = matmul(&a, &b)?;
    if alpha != 1.0 {
        y = y.map_elements(|v| v * alpha, |v| v);
    }
    if let Some(c) = c {
        let c = if beta != 1.0 { c.map_elements(|v| v * beta, |v| v) } else { c.clone() };
        y = binary(&y, &c, |p, q| p + q, |p, q| p + q)?;
    }
    Ok(y)
}

/// Softmax along `axis` (the last one here), max-subtracted.
pub(crate) fn softmax(x: &Tensor, axis_attr: i64) -> Result<Tensor> {
    let ax = axis(axis_attr, x.rank())?;
    if ax + 1 != x.rank() {
        return Err(unsupported(format!("a Softmax along axis {ax} of rank {}", x.rank())));
    }
    let n = x.shape[ax];
    let mut v = x.floats()?.to_vec();
    for row in v.chunks_exact_mut(n.max(1)) {
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        row.iter_mut().for_each(|p| *p = exp(*p - m));
        let sum: f32 = row.iter().sum();
        let inv = 1.0 / sum;
        // A probability under FLUSH is set to zero: in the product that follows (attention's
        // `p v`) it would make subnormal numbers, which x86 cores (and so wasm on them) run
        // through a slow microcode path: that product took 350 of a 1,024-row tile's 830 ms.
        // Its share of any sum is below f32's resolution of the sum's largest term.
        const FLUSH: f32 = 1e-30;
        row.iter_mut().for_each(|p| *p = if *p * inv < FLUSH { 0.0 } else { *p * inv });
    }
    Ok(Tensor::f32(x.shape.clone(), v))
}

pub(crate) fn transpose(x: &Tensor, perm: &[usize]) -> Result<Tensor> {
    let rank = x.rank();
    let mut seen = vec![false; rank];
    if perm.len() != rank || perm.iter().any(|&p| p >= rank || std::mem::replace(&mut seen[p], true)) {
        return Err(Error::model(format!("Transpose perm {perm:?} for shape {:?}", x.shape)));
    }
    let st = strides(&x.shape);
    let shape: Vec<usize> = perm.iter().map(|&p| x.shape[p]).collect();
    let src: Vec<usize> = perm.iter().map(|&p| st[p]).collect();
    let data = match &x.data {
        Data::F32(v) => Data::F32(gather_strided(v, 0, &src, &shape)),
        Data::Int(v, k) => Data::Int(gather_strided(v, 0, &src, &shape), *k),
    };
    Ok(Tensor { shape, data })
}

/// Reshape to `target` (ONNX rules: 0 copies the input's dimension unless `allowzero`,
/// -1 takes what is left).
pub(crate) fn reshape(x: Tensor, target: &[i64], allowzero: bool) -> Result<Tensor> {
    let mut shape = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &d) in target.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                shape.push(1);
            }
            0 if !allowzero => {
                shape.push(*x.shape.get(i).ok_or_else(|| Error::model("Reshape copies a missing axis"))?)
            }
            d if d >= 0 => shape.push(d as usize),
            _ => return Err(Error::model(format!("Reshape to {target:?}"))),
        }
    }
    if let Some(i) = infer {
        let known: usize = shape.iter().product();
        if known == 0 || !x.len().is_multiple_of(known) {
            return Err(Error::model(format!("Reshape of {:?} to {target:?}", x.shape)));
        }
        shape[i] = x.len() / known;
    }
    x.reshaped(shape)
}

/// Gather along `axis` by integer indices (negative ones count from the end).
pub(crate) fn gather(x: &Tensor, indices: &Tensor, axis_attr: i64) -> Result<Tensor> {
    let ax = axis(axis_attr, x.rank())?;
    let dim = x.shape[ax] as i64;
    let idx: Vec<usize> = indices
        .ints()?
        .iter()
        .map(|&i| {
            let i = if i < 0 { i + dim } else { i };
            usize::try_from(i)
                .ok()
                .filter(|&i| (i as i64) < dim)
                .ok_or_else(|| Error::model("a Gather index out of range"))
        })
        .collect::<Result<_>>()?;
    let outer: usize = x.shape[..ax].iter().product();
    let inner: usize = x.shape[ax + 1..].iter().product();
    let mut shape = x.shape[..ax].to_vec();
    shape.extend(&indices.shape);
    shape.extend(&x.shape[ax + 1..]);
    fn pick<T: Copy>(v: &[T], idx: &[usize], outer: usize, dim: usize, inner: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(outer * idx.len() * inner);
        for o in 0..outer {
            for &i in idx {
                let s = (o * dim + i) * inner;
                out.extend_from_slice(&v[s..s + inner]);
            }
        }
        out
    }
    let data = match &x.data {
        Data::F32(v) => Data::F32(pick(v, &idx, outer, dim as usize, inner)),
        Data::Int(v, k) => Data::Int(pick(v, &idx, outer, dim as usize, inner), *k),
    };
    Ok(Tensor { shape, data })
}

pub(crate) fn unsqueeze(x: Tensor, axes: &[i64]) -> Result<Tensor> {
    let rank = x.rank() + axes.len();
    let mut axes: Vec<usize> = axes.iter().map(|&a| axis(a, rank)).collect::<Result<_>>()?;
    axes.sort_unstable();
    let mut shape = x.shape.clone();
    for a in axes {
        shape.insert(a, 1);
    }
    x.reshaped(shape)
}

/// Slice with step 1 along the given axes (ONNX clamping of starts and ends).
pub(crate) fn slice(
    x: &Tensor,
    starts: &[i64],
    ends: &[i64],
    axes: Option<&[i64]>,
    steps: Option<&[i64]>,
) -> Result<Tensor> {
    if steps.is_some_and(|s| s.iter().any(|&s| s != 1)) {
        return Err(unsupported("a Slice with a step other than 1".into()));
    }
    let rank = x.rank();
    let mut lo = vec![0usize; rank];
    let mut shape = x.shape.clone();
    for (i, (&s, &e)) in starts.iter().zip(ends).enumerate() {
        let a = axis(axes.map_or(i as i64, |a| a[i]), rank)?;
        let d = x.shape[a] as i64;
        let clamp = |v: i64| (if v < 0 { v + d } else { v }).clamp(0, d) as usize;
        let (s, e) = (clamp(s), clamp(e));
        lo[a] = s;
        shape[a] = e.saturating_sub(s);
    }
    let st = strides(&x.shape);
    let offset: usize = lo.iter().zip(&st).map(|(l, s)| l * s).sum();
    let data = match &x.data {
        Data::F32(v) => Data::F32(gather_strided(v, offset, &st, &shape)),
        Data::Int(v, k) => Data::Int(gather_strided(v, offset, &st, &shape), *k),
    };
    Ok(Tensor { shape, data })
}

/// Per-axis (or per-tensor) scale and zero point, as f32 for each element of `x`'s `axis`.
fn quant_params<'a>(
    x: &Tensor,
    scale: &'a Tensor,
    zero: Option<&'a Tensor>,
    axis_attr: i64,
) -> Result<(usize, usize, &'a [f32], Vec<f32>)> {
    let s = scale.floats()?;
    let z: Vec<f32> = match zero {
        Some(z) => z.ints()?.iter().map(|&v| v as f32).collect(),
        None => vec![0.0; s.len()],
    };
    if z.len() != s.len() {
        return Err(Error::model("a quantisation scale and zero point of different sizes"));
    }
    if s.len() == 1 {
        return Ok((x.len(), 1, s, z));
    }
    let ax = axis(axis_attr, x.rank())?;
    if x.shape[ax] != s.len() {
        return Err(Error::model(format!("{} quantisation scales for axis {ax} of {:?}", s.len(), x.shape)));
    }
    let inner: usize = x.shape[ax + 1..].iter().product();
    Ok((inner, s.len(), s, z))
}

/// DequantizeLinear: `(q - zero) * scale`.
pub(crate) fn dequantize(x: &Tensor, scale: &Tensor, zero: Option<&Tensor>, axis_attr: i64) -> Result<Tensor> {
    let (inner, channels, s, z) = quant_params(x, scale, zero, axis_attr)?;
    let z = &z;
    let out = x
        .ints()?
        .chunks(inner.max(1))
        .enumerate()
        .flat_map(|(i, chunk)| {
            let c = i % channels;
            chunk.iter().map(move |&q| ((q as f32) - z[c]) * s[c])
        })
        .collect();
    Ok(Tensor::f32(x.shape.clone(), out))
}

/// QuantizeLinear: `saturate(round_half_even(x / scale) + zero)` to the zero point's type
/// (uint8 when it has none).
pub(crate) fn quantize(x: &Tensor, scale: &Tensor, zero: Option<&Tensor>, axis_attr: i64) -> Result<Tensor> {
    let kind = match zero.map(|z| &z.data) {
        Some(Data::Int(_, k)) => *k,
        Some(Data::F32(_)) => return Err(Error::model("a QuantizeLinear zero point of type float")),
        None => IntKind::U8,
    };
    let (lo, hi) = kind.range();
    let (inner, channels, s, z) = quant_params(x, scale, zero, axis_attr)?;
    let z = &z;
    let out = x
        .floats()?
        .chunks(inner.max(1))
        .enumerate()
        .flat_map(|(i, chunk)| {
            let c = i % channels;
            chunk.iter().map(move |&v| ((v / s[c]).round_ties_even() + z[c]).clamp(lo, hi) as i64)
        })
        .collect();
    Ok(Tensor::int(x.shape.clone(), out, kind))
}

/// Quantize then dequantize with the same scale and zero point, in one pass (an activation
/// pair of a QDQ file, when it is run rather than folded).
pub(crate) fn fake_quantize(mut x: Tensor, scale: f32, zero: f32, kind: IntKind) -> Result<Tensor> {
    let (lo, hi) = kind.range();
    if let Data::F32(v) = &mut x.data {
        for p in v.iter_mut() {
            *p = (((*p / scale).round_ties_even() + zero).clamp(lo, hi) - zero) * scale;
        }
    }
    Ok(x)
}
