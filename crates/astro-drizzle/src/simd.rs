//! One of the crate's two `unsafe` modules (the other, `alloc`, holds the huge-page advice
//! and the prefetch hint), all for the square kernel, with runtime AVX2 detection; without
//! AVX2 the callers keep the scalar code:
//!
//! * [`square_block`]: the 2×2 case of [`crate::kernels::square`] for 4 input pixels at a
//!   time in f64 × 4 lanes;
//! * [`update_2x2`]: `FastSink::add`'s running-mean update of the 4 output pixels of one
//!   input pixel, a column (2 pixels, f64 × 2 lanes) at a time;
//! * [`with_avx2`]: safe code (corners, the per-pixel loop) compiled for AVX2, so that the
//!   above inline into it.
//!
//! **Why it exists.** The square kernel costs ~250 flops and 4 divisions per input pixel
//! (4 edges × 2 columns of clipped trapezoids) plus 4 output updates with a division
//! each, all written scalar: the baseline x86-64 target has only SSE2, and the compiler
//! does not vectorise across pixels. Measured on the issue-#4 race (4096² → 4996², 7°,
//! pixfrac 0.8, one thread, CPU seconds, same minute): 2.0–2.2 s before, 0.93–0.98 s
//! with this module.
//!
//! **Invariants that make it sound.**
//! * AVX2 is used only after `is_x86_feature_detected!("avx2")` returned true.
//! * `square_block`: loads read `xs[k][4g .. 4g + 4]`, `ys[k][4g .. 4g + 4]` and
//!   `w[4g .. 4g + 4]` of arrays of [`CORNER_BLOCK`] elements for `g < CORNER_BLOCK / 4`;
//!   stores write the same ranges of the [`SquareBlock`] arrays, also of [`CORNER_BLOCK`]
//!   elements: in bounds (`CORNER_BLOCK` is a multiple of 4, checked at compile time).
//! * `update_2x2`: the four indices `p, p + 1, p + nx, p + nx + 1` are checked against
//!   every slice's length before the unchecked accesses (the four are distinct).
//!
//! **Same result as the scalar code, bit for bit.** A lane is marked *fast* only where
//! [`crate::kernels::square`] takes its 2×2 path without clipping (finite non-zero
//! Jacobian, `0 <= nint(xmin)`, `nint(xmax) < nx`, `r0 <= nint(ymin)`, `nint(ymax) < r1`,
//! at most 2 × 2 output pixels); there the lane performs that path's operations in the
//! same order (`min`/`max` as `a < b ? a : b`, no fused multiply-add), the `dx·dy == 0`
//! case by a blend, vertical edges adding ±0 (only the sign of a zero sum can change,
//! and zero sums add nothing). Every other pixel is left to the scalar kernel. The
//! update does `add`'s operations per lane, the `vc == 0` and cancelling cases by blends,
//! and keeps the old bits where nothing is added. Unit tests compare the lanes with the
//! scalar kernel (random, degenerate and edge-straddling quads) and `add_2x2` with four
//! `add` calls (NaN compared as NaN: which NaN comes out is not specified by Rust).

use crate::kernels::{CORNER_BLOCK, Clip, SquareBlock};

const _: () = assert!(CORNER_BLOCK.is_multiple_of(4) && CORNER_BLOCK <= 64);

/// Whether [`square_block`] can use its vector path on this CPU.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Whether [`square_block`] can use its vector path on this CPU.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn avx2_available() -> bool {
    false
}

/// Run `f` compiled for AVX2 when the CPU has it (`f` must be inlined: a closure marked
/// `#[inline(always)]` whose body calls `#[inline(always)]` functions), plainly otherwise.
/// Safe Rust code, so the same IEEE operations either way (no FMA): the same bits.
#[inline(always)]
pub(crate) fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        // SAFETY: AVX2 is available (checked just above).
        return unsafe { x86::call_avx2(f) };
    }
    f()
}

/// The square kernel's 2×2 case for lanes `l0..l1` of a block: corners `xs[k][q]`,
/// `ys[k][q]` (drizzle's corner order) and pixel weight `w[q]` of lane `q`. Fills `out`
/// (its `fast` bits say which lanes were done) and returns `true`, or returns `false`
/// without touching `out` when the CPU lacks AVX2.
pub(crate) fn square_block(
    xs: &[[f64; CORNER_BLOCK]; 4],
    ys: &[[f64; CORNER_BLOCK]; 4],
    w: &[f64; CORNER_BLOCK],
    lanes: (usize, usize),
    clip: Clip,
    out: &mut SquareBlock,
) -> bool {
    // (Output indices are stored as i32.)
    #[cfg(target_arch = "x86_64")]
    if avx2_available() && clip.nx <= i32::MAX as i64 && clip.r1 <= i32::MAX as i64 {
        // SAFETY: AVX2 is available (checked just above).
        unsafe { x86::square_block_avx2(xs, ys, w, lanes, clip, out) };
        return true;
    }
    let _ = (xs, ys, w, lanes, clip, out);
    false
}

/// The drizzle update (running weighted mean of science, weight sum, context bit) of the
/// output pixels `p`, `p + 1`, `p + nx`, `p + nx + 1` of slices holding the output rows
/// from `base` on, with weights `dow` (0: no update) and value `d`, all four at once:
/// exactly the per-pixel update of `FastSink::add` (the four pixels are distinct, so the
/// order does not matter). Returns `false`, doing nothing, without AVX2 or when
/// `p + nx + 1` is outside a slice.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn update_2x2<const CTX: bool>(
    sci: &mut [f32],
    wht: &mut [f32],
    ctx: &mut [i32],
    bit: i32,
    p: usize,
    nx: usize,
    dow: [f32; 4],
    d: f32,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        let q = [p, p + 1, p + nx, p + nx + 1];
        if q[3] < sci.len() && q[3] < wht.len() && (!CTX || q[3] < ctx.len()) {
            // SAFETY: AVX2 is available and every index of `q` is below the lengths of
            // the slices it indexes (checked just above; q[3] is the largest).
            unsafe { x86::update_2x2_avx2::<CTX>(sci, wht, ctx, bit, q, dow, d) };
            return true;
        }
    }
    let _ = (sci, wht, ctx, bit, p, nx, dow, d);
    false
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{CORNER_BLOCK, Clip, SquareBlock};
    use std::arch::x86_64::*;

    /// `f()` with AVX2 enabled for the code inlined into it.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn call_avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// See [`super::update_2x2`]: the left column (`q[0]`, `q[2]`), then the right one
    /// (`q[1]`, `q[3]`), each as one [`update_pair`]. (Two columns rather than four
    /// pixels at once: the next input pixel's left column is usually this one's right
    /// column, so only that half waits for this update; four-wide, every update would
    /// wait for the previous one.)
    ///
    /// # Safety
    /// The CPU must support AVX2; every index of `q` must be below the length of `sci`,
    /// `wht` and (when `CTX`) `ctx`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn update_2x2_avx2<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        q: [usize; 4],
        dow: [f32; 4],
        d: f32,
    ) {
        // SAFETY: the caller's guarantees, passed on (q[0] != q[2], q[1] != q[3]).
        unsafe {
            update_pair::<CTX>(sci, wht, ctx, bit, [q[0], q[2]], [dow[0], dow[2]], d);
            update_pair::<CTX>(sci, wht, ctx, bit, [q[1], q[3]], [dow[1], dow[3]], d);
        }
    }

    /// `FastSink::add`'s update of the two distinct output pixels `q` with weights `dow`
    /// (0: no update) and value `d`, in two f64 lanes: the same operations per lane, the
    /// `vc == 0` and cancelling cases by blends, the old bits kept where nothing is added.
    ///
    /// # Safety
    /// The CPU must support AVX2; `q[0] != q[1]`, both below the length of `sci`, `wht`
    /// and (when `CTX`) `ctx`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn update_pair<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        q: [usize; 2],
        dow: [f32; 2],
        d: f32,
    ) {
        // SAFETY (all unchecked accesses below): the caller guarantees the indices.
        let ld = |a: &[f32]| unsafe {
            _mm_unpacklo_ps(
                _mm_set_ss(*a.get_unchecked(q[0])),
                _mm_set_ss(*a.get_unchecked(q[1])),
            )
        };
        let zero = _mm_setzero_ps();
        let dw2 = _mm_unpacklo_ps(_mm_set_ss(dow[0]), _mm_set_ss(dow[1]));
        let vc2 = ld(wht);
        let s2 = ld(sci);
        // (f64 lanes of the two low f32 lanes.)
        let dw = _mm_cvtps_pd(dw2);
        let vc = _mm_cvtps_pd(vc2);
        let vcd = _mm_add_pd(vc, dw);
        let num = _mm_add_pd(
            _mm_mul_pd(_mm_cvtps_pd(s2), vc),
            _mm_mul_pd(dw, _mm_set1_pd(d as f64)),
        );
        let mean = _mm_cvtpd_ps(_mm_div_pd(num, vcd));
        // Masks (the sign bit is what blendv reads; an all-ones f64 mask converts to an
        // all-ones f32 NaN). Only the two low lanes are stored.
        let live = _mm_cmpneq_ps(dw2, zero);
        let vc0 = _mm_cmpeq_ps(vc2, zero);
        let vcd0 = _mm_cvtpd_ps(_mm_cmpeq_pd(vcd, _mm_setzero_pd()));
        // vc != 0, vc + dow == 0: the weights cancelled; weight 0, science kept.
        let cancel = _mm_andnot_ps(vc0, vcd0);
        let new_sci = _mm_blendv_ps(mean, _mm_set1_ps(d), vc0);
        let sci_out = _mm_blendv_ps(s2, new_sci, _mm_andnot_ps(cancel, live));
        let wht_out = _mm_blendv_ps(vc2, _mm_blendv_ps(_mm_cvtpd_ps(vcd), zero, cancel), live);
        // SAFETY: see above.
        unsafe {
            *sci.get_unchecked_mut(q[0]) = _mm_cvtss_f32(sci_out);
            *sci.get_unchecked_mut(q[1]) = _mm_cvtss_f32(_mm_movehdup_ps(sci_out));
            *wht.get_unchecked_mut(q[0]) = _mm_cvtss_f32(wht_out);
            *wht.get_unchecked_mut(q[1]) = _mm_cvtss_f32(_mm_movehdup_ps(wht_out));
        }
        if CTX {
            let add = _mm_and_si128(
                _mm_castps_si128(_mm_cmpgt_ps(dw2, zero)),
                _mm_set1_epi32(bit),
            );
            // SAFETY: see above.
            unsafe {
                *ctx.get_unchecked_mut(q[0]) |= _mm_cvtsi128_si32(add);
                *ctx.get_unchecked_mut(q[1]) |= _mm_extract_epi32::<1>(add);
            }
        }
    }

    /// See [`super::square_block`].
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn square_block_avx2(
        xs: &[[f64; CORNER_BLOCK]; 4],
        ys: &[[f64; CORNER_BLOCK]; 4],
        w: &[f64; CORNER_BLOCK],
        lanes: (usize, usize),
        clip: Clip,
        out: &mut SquareBlock,
    ) {
        let (l0, l1) = (lanes.0.min(CORNER_BLOCK), lanes.1.min(CORNER_BLOCK));
        let zero = _mm256_setzero_pd();
        let half = _mm256_set1_pd(0.5);
        let one = _mm256_set1_pd(1.0);
        let mone = _mm256_set1_pd(-1.0);
        let two = _mm256_set1_pd(2.0);
        let mhalf = _mm256_set1_pd(-0.5);
        let absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let inf = _mm256_set1_pd(f64::INFINITY);
        let r0 = _mm256_set1_pd(clip.r0 as f64);
        let r1m = _mm256_set1_pd((clip.r1 - 1) as f64);
        let nxm = _mm256_set1_pd((clip.nx - 1) as f64);
        // `kernels::nint` in lanes: truncation, then ±1 from the fraction.
        let nint = |v: __m256d| -> __m256d {
            let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
            let f = _mm256_sub_pd(v, t);
            let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(f, half), one);
            let dn = _mm256_and_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(f, mhalf), one);
            _mm256_add_pd(t, _mm256_sub_pd(up, dn))
        };
        let mut fast_bits: u64 = 0;
        let mut g = l0 / 4 * 4;
        while g < l1 {
            // SAFETY: `g + 4 <= CORNER_BLOCK` (g is a multiple of 4 below CORNER_BLOCK, a
            // multiple of 4), so each load reads 4 elements of a CORNER_BLOCK array.
            let ld = |a: &[f64; CORNER_BLOCK]| unsafe { _mm256_loadu_pd(a.as_ptr().add(g)) };
            let x = [ld(&xs[0]), ld(&xs[1]), ld(&xs[2]), ld(&xs[3])];
            let y = [ld(&ys[0]), ld(&ys[1]), ld(&ys[2]), ld(&ys[3])];
            let jaco = _mm256_mul_pd(
                half,
                _mm256_sub_pd(
                    _mm256_mul_pd(_mm256_sub_pd(x[1], x[3]), _mm256_sub_pd(y[0], y[2])),
                    _mm256_mul_pd(_mm256_sub_pd(x[0], x[2]), _mm256_sub_pd(y[1], y[3])),
                ),
            );
            let valid = _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_NEQ_OQ>(jaco, zero),
                _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_and_pd(jaco, absmask), inf),
            );
            let xmin = _mm256_min_pd(_mm256_min_pd(x[0], x[1]), _mm256_min_pd(x[2], x[3]));
            let xmax = _mm256_max_pd(_mm256_max_pd(x[0], x[1]), _mm256_max_pd(x[2], x[3]));
            let ymin = _mm256_min_pd(_mm256_min_pd(y[0], y[1]), _mm256_min_pd(y[2], y[3]));
            let ymax = _mm256_max_pd(_mm256_max_pd(y[0], y[1]), _mm256_max_pd(y[2], y[3]));
            let (il, ih, jl, jh) = (nint(xmin), nint(xmax), nint(ymin), nint(ymax));
            let di = _mm256_sub_pd(ih, il);
            let dj = _mm256_sub_pd(jh, jl);
            let mut fast = valid;
            for m in [
                _mm256_cmp_pd::<_CMP_GE_OQ>(il, zero),
                _mm256_cmp_pd::<_CMP_LE_OQ>(ih, nxm),
                _mm256_cmp_pd::<_CMP_LE_OQ>(di, one),
                _mm256_cmp_pd::<_CMP_GE_OQ>(jl, r0),
                _mm256_cmp_pd::<_CMP_LE_OQ>(jh, r1m),
                _mm256_cmp_pd::<_CMP_LE_OQ>(dj, one),
            ] {
                fast = _mm256_and_pd(fast, m);
            }
            let bits = _mm256_movemask_pd(fast) as u64;
            if bits == 0 {
                g += 4;
                continue;
            }
            fast_bits |= bits << g;
            let px0 = _mm256_sub_pd(il, half);
            let cb = [px0, _mm256_add_pd(px0, one), _mm256_add_pd(px0, two)];
            let py0 = _mm256_sub_pd(jl, half);
            let mut col = [zero; 2];
            let mut row0 = [zero; 2];
            for k in 0..4 {
                let k2 = (k + 1) & 3;
                let (x1, y1, x2, y2) = (x[k], y[k], x[k2], y[k2]);
                let dx = _mm256_sub_pd(x2, x1);
                // Vertical edges (dx == 0) add nothing: their lanes keep the sums.
                let live = _mm256_cmp_pd::<_CMP_NEQ_UQ>(dx, zero);
                let dy = _mm256_sub_pd(y2, y1);
                let sgn = _mm256_blendv_pd(mone, one, _mm256_cmp_pd::<_CMP_GT_OQ>(dx, zero));
                let pr = _mm256_mul_pd(dx, dy);
                let r = _mm256_div_pd(one, pr);
                let mut m = _mm256_mul_pd(_mm256_mul_pd(dy, dy), r);
                let mut hinv = _mm256_mul_pd(
                    _mm256_mul_pd(sgn, half),
                    _mm256_and_pd(_mm256_mul_pd(_mm256_mul_pd(dx, dx), r), absmask),
                );
                let pz = _mm256_cmp_pd::<_CMP_EQ_OQ>(pr, zero);
                if _mm256_movemask_pd(_mm256_and_pd(pz, live)) != 0 {
                    m = _mm256_blendv_pd(m, _mm256_div_pd(dy, dx), pz);
                    hinv = _mm256_blendv_pd(hinv, zero, pz);
                }
                // Dead lanes: m = hinv = 0 keeps their terms finite, and hw = ±0 (a = b):
                // they add ±0, which leaves every output unchanged (only the sign of a
                // zero sum could change, and zero sums add nothing).
                m = _mm256_and_pd(m, live);
                hinv = _mm256_and_pd(hinv, live);
                let v1 = _mm256_sub_pd(y1, py0);
                let xl = _mm256_min_pd(x1, x2);
                let xh = _mm256_max_pd(x1, x2);
                for c in 0..2 {
                    let a = _mm256_min_pd(_mm256_max_pd(xl, cb[c]), cb[c + 1]);
                    let b = _mm256_min_pd(_mm256_max_pd(xh, cb[c]), cb[c + 1]);
                    let va = _mm256_add_pd(v1, _mm256_mul_pd(m, _mm256_sub_pd(a, x1)));
                    let vb = _mm256_add_pd(v1, _mm256_mul_pd(m, _mm256_sub_pd(b, x1)));
                    let lo = _mm256_min_pd(va, vb);
                    let hi = _mm256_max_pd(va, vb);
                    let hw = _mm256_mul_pd(sgn, _mm256_mul_pd(half, _mm256_sub_pd(b, a)));
                    let ct = _mm256_mul_pd(hw, _mm256_add_pd(lo, hi));
                    let rt = _mm256_add_pd(
                        _mm256_mul_pd(
                            hw,
                            _mm256_add_pd(_mm256_min_pd(lo, one), _mm256_min_pd(hi, one)),
                        ),
                        _mm256_mul_pd(
                            hinv,
                            _mm256_mul_pd(
                                _mm256_max_pd(_mm256_sub_pd(hi, one), zero),
                                _mm256_max_pd(_mm256_sub_pd(one, lo), zero),
                            ),
                        ),
                    );
                    col[c] = _mm256_add_pd(col[c], ct);
                    row0[c] = _mm256_add_pd(row0[c], rt);
                }
            }
            let sj = _mm256_blendv_pd(mone, one, _mm256_cmp_pd::<_CMP_GT_OQ>(jaco, zero));
            let wj = _mm256_div_pd(ld(w), jaco);
            let two_cols = _mm256_cmp_pd::<_CMP_GT_OQ>(di, zero);
            let two_rows = _mm256_cmp_pd::<_CMP_GT_OQ>(dj, zero);
            // Lane value `a·wj` as f32 where the scalar kernel adds it (`a·sj > 0`, the
            // column/row exists), 0 (no update) elsewhere.
            let dow = |a: __m256d, keep: __m256d| -> __m128 {
                let pos = _mm256_cmp_pd::<_CMP_GT_OQ>(_mm256_mul_pd(a, sj), zero);
                _mm256_cvtpd_ps(_mm256_and_pd(
                    _mm256_mul_pd(a, wj),
                    _mm256_and_pd(pos, keep),
                ))
            };
            let all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
            let d = [
                dow(row0[0], all),
                dow(row0[1], two_cols),
                dow(_mm256_sub_pd(col[0], row0[0]), two_rows),
                dow(
                    _mm256_sub_pd(col[1], row0[1]),
                    _mm256_and_pd(two_rows, two_cols),
                ),
            ];
            // SAFETY: as for the loads, each store writes 4 elements at `g` of an array of
            // CORNER_BLOCK elements.
            unsafe {
                for (dst, v) in out.dow.iter_mut().zip(d) {
                    _mm_storeu_ps(dst.as_mut_ptr().add(g), v);
                }
                // (fast lanes: 0 <= il < nx and r0 <= jl < r1, both <= i32::MAX)
                _mm_storeu_si128(out.ii.as_mut_ptr().add(g).cast(), _mm256_cvttpd_epi32(il));
                _mm_storeu_si128(out.jj.as_mut_ptr().add(g).cast(), _mm256_cvttpd_epi32(jl));
            }
            g += 4;
        }
        let range = if l1 > l0 {
            (u64::MAX >> (64 - (l1 - l0))) << l0
        } else {
            0
        };
        out.fast = fast_bits & range;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{Sink, square};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    struct Rec(Vec<(usize, usize, u32)>);
    impl Sink for Rec {
        fn add(&mut self, ii: usize, jj: usize, dow: f32) {
            if dow != 0.0 {
                self.0.push((ii, jj, dow.to_bits()));
            }
        }
    }

    /// The lanes give the scalar kernel's contributions, bit for bit, wherever they
    /// claim a pixel; typical quads are claimed.
    #[test]
    fn lanes_match_scalar_kernel() {
        if !avx2_available() {
            eprintln!("SKIP lanes_match_scalar_kernel: no AVX2");
            return;
        }
        let mut rng = StdRng::seed_from_u64(7);
        let clip = Clip {
            r0: 3,
            r1: 40,
            nx: 30,
        };
        let (mut claimed, mut total) = (0usize, 0usize);
        for round in 0..4000 {
            let mut xs = [[0.0; CORNER_BLOCK]; 4];
            let mut ys = [[0.0; CORNER_BLOCK]; 4];
            let mut w = [0.0; CORNER_BLOCK];
            for q in 0..CORNER_BLOCK {
                let cx = rng.random_range(-2.0..33.0);
                let cy = rng.random_range(0.0..43.0);
                let s = rng.random_range(0.05..0.6);
                let th: f64 = rng.random_range(0.0..std::f64::consts::TAU);
                let mode = rng.random_range(0..10);
                // Corners of a (sheared) square, in drizzle's order; some degenerate.
                let (c, sn) = match mode {
                    0 => (1.0, 0.0),
                    1 => (0.0, 1.0),
                    _ => (th.cos(), th.sin()),
                };
                let offs = [(-s, s), (s, s), (s, -s), (-s, -s)];
                for (k, (u, v)) in offs.into_iter().enumerate() {
                    let mut xk = cx + c * u - sn * v;
                    let mut yk = cy + sn * u + c * v;
                    if mode == 2 {
                        xk = (xk * 4.0).round() / 4.0;
                        yk = (yk * 8.0).round() / 8.0;
                    }
                    xs[k][q] = xk;
                    ys[k][q] = yk;
                }
                if mode == 3 && q % 7 == 0 {
                    xs[1][q] = f64::NAN;
                }
                if mode == 4 {
                    // collapsed quad
                    xs[1][q] = xs[0][q];
                    xs[2][q] = xs[3][q];
                    ys[1][q] = ys[0][q];
                    ys[2][q] = ys[3][q];
                }
                w[q] = rng.random_range(0.1..3.0);
            }
            let (l0, l1) = if round % 5 == 0 {
                (round % 7, CORNER_BLOCK - round % 3)
            } else {
                (0, CORNER_BLOCK)
            };
            let mut out = SquareBlock::new();
            assert!(square_block(&xs, &ys, &w, (l0, l1), clip, &mut out));
            for q in 0..CORNER_BLOCK {
                let inside = q >= l0 && q < l1;
                let fast = out.fast >> q & 1 == 1;
                assert!(inside || !fast);
                if !inside {
                    continue;
                }
                total += 1;
                if !fast {
                    continue;
                }
                claimed += 1;
                let xo = [xs[0][q], xs[1][q], xs[2][q], xs[3][q]];
                let yo = [ys[0][q], ys[1][q], ys[2][q], ys[3][q]];
                let mut want = Rec(Vec::new());
                square(&xo, &yo, w[q], clip, &mut want);
                let (ii, jj) = (out.ii[q] as usize, out.jj[q] as usize);
                let mut got = Rec(Vec::new());
                got.add(ii, jj, out.dow[0][q]);
                got.add(ii + 1, jj, out.dow[1][q]);
                got.add(ii, jj + 1, out.dow[2][q]);
                got.add(ii + 1, jj + 1, out.dow[3][q]);
                assert_eq!(got.0, want.0, "round {round} lane {q}: {xo:?} {yo:?}");
            }
        }
        assert!(claimed * 10 > total * 4, "{claimed} of {total}");
    }
}
