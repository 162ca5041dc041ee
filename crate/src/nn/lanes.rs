//! Four f32 lanes in one SIMD register: what the convolution and matrix-product kernels
//! accumulate in.

/// Lanes of a 128-bit SIMD register. The convolution stores each weight this many times
/// over, so that it loads it as a vector instead of broadcasting a scalar.
pub(super) const LANES: usize = 4;

/// Four f32 lanes, one SIMD register. Natively the arithmetic is written lane by lane on
/// `[f32; 4]`, which LLVM turns into SSE's `mulps`/`addps`. In wasm it is simd128's `v128`
/// itself, loaded whole (bytemuck's unaligned read, no `unsafe`): written lane by lane there,
/// LLVM built some of the kernel's overlapping input vectors from scalar loads and lane
/// inserts in the browser's build, and a tile took 4.5x as long (BENCHMARKS.md, section 10).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
pub(super) struct F4([f32; LANES]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl F4 {
    pub const ZERO: F4 = F4([0.0; LANES]);

    #[inline(always)]
    pub fn load(s: &[f32], at: usize) -> F4 {
        let mut v = [0f32; LANES];
        v.copy_from_slice(&s[at..at + LANES]);
        F4(v)
    }

    #[inline(always)]
    pub fn splat(v: f32) -> F4 {
        F4([v; LANES])
    }

    #[inline(always)]
    pub fn mul_add(&mut self, a: F4, b: F4) {
        for i in 0..LANES {
            self.0[i] += a.0[i] * b.0[i];
        }
    }

    #[inline(always)]
    pub fn lanes(self) -> [f32; LANES] {
        self.0
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
pub(super) struct F4(core::arch::wasm32::v128);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl F4 {
    pub const ZERO: F4 = F4(core::arch::wasm32::f32x4(0.0, 0.0, 0.0, 0.0));

    #[inline(always)]
    pub fn load(s: &[f32], at: usize) -> F4 {
        F4(bytemuck::pod_read_unaligned(bytemuck::cast_slice(&s[at..at + LANES])))
    }

    #[inline(always)]
    pub fn splat(v: f32) -> F4 {
        F4(core::arch::wasm32::f32x4_splat(v))
    }

    #[inline(always)]
    pub fn mul_add(&mut self, a: F4, b: F4) {
        // The relaxed-SIMD build (`scripts/build-web`'s second module, which the page loads where
        // the browser has relaxed SIMD) multiplies and adds in one instruction, fused where the
        // machine has FMA: a 512-row int8 tile 1.26x faster (Node, both modules interleaved).
        #[cfg(target_feature = "relaxed-simd")]
        {
            self.0 = core::arch::wasm32::f32x4_relaxed_madd(a.0, b.0, self.0);
        }
        #[cfg(not(target_feature = "relaxed-simd"))]
        {
            use core::arch::wasm32::{f32x4_add, f32x4_mul};
            self.0 = f32x4_add(self.0, f32x4_mul(a.0, b.0));
        }
    }

    #[inline(always)]
    pub fn lanes(self) -> [f32; LANES] {
        bytemuck::cast(self.0)
    }
}
