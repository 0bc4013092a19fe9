//! One of the crate's three `unsafe` modules (the others: `simd_kernels`, the same for the
//! centred kernels, and `alloc`, the huge-page advice and the prefetch hint), all for the
//! square kernel, with runtime AVX2 detection; without
//! AVX2 the callers keep the scalar code:
//!
//! * [`square_block`]: [`crate::kernels::square`] for the unclipped footprints of at most
//!   3 × 3 output pixels: the 2 × 2 case for 8 input pixels at a time (classification in
//!   two f64 × 4 halves, overlap areas in f32 × 8 lanes, see below), the larger ones (the
//!   general path; 2 × 3, 3 × 2, 3 × 3) in f64 × 4 lanes, packed 4 to a vector;
//! * [`update_2x2`], [`update_col`]: `FastSink::add`'s running-mean update of the output
//!   pixels of one input pixel, a column (2 or 3 pixels, f32 lanes: the f32 running mean
//!   of `crate::drizzle::running_mean`, drizzle's own arithmetic) at a time;
//! * [`update_run4`]: the same updates for a run of four input pixels whose 2 × 2
//!   footprints step one output column at a time along a pair of output rows (the race's
//!   7° geometry; square and turbo kernels), both output rows in one f32 × 8 vector (four
//!   output pixels of each row): first the pixels' right columns,
//!   then their left columns, which are the right columns just computed (kept in
//!   registers), so every output pixel still gets its contributions in input order;
//! * [`with_avx2`]: safe code (corners, the per-pixel loop, the footprint margin) compiled
//!   for AVX2, so that the above inline into it;
//! * [`box_extent`]: a band's per-block output-y extents and misses (every kernel), 4
//!   centres per instruction (session 7: the scalar loop, which the compiler left mostly
//!   scalar, was ~5 % of a single square add's profile samples, the lanes ~2 %).
//!
//! `square_block`'s lanes are compiled twice from one body: for AVX2, and for AVX2 with
//! AVX-512 F and VL enabled, used where the CPU has them. The second uses the same AVX2
//! instructions (so the same bits; a unit test compares the two) but the 32 vector
//! registers of AVX-512 instead of 16: the lanes hold more values than 16 registers, and
//! the stack references of the function fell from 390 to 308 (session 7; a later square
//! add 2–3 % faster, per-pair median over 10 interleaved pairs 0.968).
//!
//! **Why it exists.** The square kernel costs ~250 flops and 4 divisions per input pixel
//! (4 edges × 2 columns of clipped trapezoids; ~4 times that for a 3 × 3 footprint) plus
//! 4 to 9 output updates with a division each, all written scalar: the baseline x86-64
//! target has only SSE2, and the compiler does not vectorise across pixels. Measured on
//! the issue-#4 race (4096² → 4996², 7°, pixfrac 0.8, one thread, CPU seconds of a later
//! add, same minute): 2.0–2.2 s scalar, 0.75–0.95 s with the 2 × 2 lanes, 0.58–0.65 s with
//! the column updates (session 5, noisy host: runs of four and the prefetch a block ahead
//! cut the update loop's profile samples by about a quarter); on the final drizzle's proxy (1024² → 1170², 7°, pixfrac 1, ~20 %
//! of the footprints 3 wide or high): 0.09–0.10 s with the 2 × 2 lanes only, 0.055–0.064 s
//! with the general-path lanes too. Session 6: the 2 × 2 areas in f32 × 8 lanes (half the
//! vector operations per pixel; AVX-512 f64 × 8 had given nothing on this Zen 4, whose
//! 512-bit operations are double-pumped): `square_block`'s profile samples over three adds
//! 3429 → 2122 (+123 in the f64 weights of near-zero areas), the whole scan's 6355 →
//! 4616 (same minute, noisy host); a later add (`peer_drizzle twice-square --adds 3`,
//! adds 2 and 3 of 10 interleaved runs each, load average 1.4–1.9) best 0.447 → 0.396 s,
//! median 0.486 → 0.441 s; the race at one thread (`peer_drizzle square`, best of 6,
//! interleaved) 0.60 → 0.47 s and 0.61 → 0.49 s in a slow spell of the host.
//!
//! **Why f32 areas are accurate enough.** Only the 2 × 2 areas are f32; the
//! classification (Jacobian, extent, `nint`, masks, `w / jaco`) stays f64. The corners are
//! first made local in f64 (from the column and row borders the quad straddles, else
//! from the centre of its bounding box), then rounded to f32
//! ([`crate::kernels::areas_2x2_f32`]): the local values are at most the quad's extent, so
//! the areas' errors scale with the quad's own size and stay below `1e-6` of its area
//! `|jaco|` per output pixel (a unit test measures at most ~4e-7 over random, sheared,
//! grid-aligned, tiny, nearly axis-aligned and nearly collapsed quads against the former
//! f64 arithmetic, and below `1e-6` of the bounding box for slivers). The kernel was never
//! `boxer` operation for operation, so its bits already differed from drizzle's by
//! rounding; this error is of the order of the f32 rounding of the stored weights, far
//! inside the parity tolerance against drizzle (`1e-5` of the largest science and weight
//! values). What must not change is which output pixels a quad touches (the context
//! bits, compared exactly): an output pixel of the footprint the quad does not reach gets
//! an area of exactly 0, as in f64 (the areas are split at the row border by clamps that
//! give exact zeros there), and a non-zero area below [`crate::kernels::NEAR_ZERO_2X2`]
//! of the bounding box, whose sign f32 cannot vouch for, makes the lane take the scalar
//! kernel's f64 weights (`kernels::dow_2x2_f64_unclipped`; ~0.5 % of the pixels at 7°).
//!
//! **Invariants that make it sound.**
//! * AVX2 is used only after `is_x86_feature_detected!("avx2")` returned true (the
//!   `inline(always)` update helpers require it by contract; their safe wrappers check).
//! * `square_block`: loads read `xs[k][o .. o + 4]`, `ys[k][o .. o + 4]` and
//!   `w[o .. o + 4]` of arrays of [`CORNER_BLOCK`] elements for `o = g` and `o = g + 4`,
//!   `g` a multiple of 8 below `CORNER_BLOCK`; stores write `[g .. g + 8]` of the
//!   [`SquareBlock`] arrays `dow` and `[o .. o + 4]` of `ii`, `jj`, also of
//!   [`CORNER_BLOCK`] elements: in bounds (`CORNER_BLOCK` is a multiple of 8, checked at
//!   compile time). Lanes of a group outside the requested range are computed too (any
//!   values, no traps: floating-point exceptions are masked) but never marked fast or
//!   big; callers read `dow`, `ii`, `jj` only for lanes marked fast.
//!   The general path's lanes are gathered with checked indexing and stored at packed
//!   slots `s .. s + 4` with `s` a multiple of 4 below `CORNER_BLOCK`.
//! * `box_extent`: loads read `xs[k .. k + 4]`, `ys[k .. k + 4]` for `k + 4 <= n`, `n` the
//!   shorter slice's length.
//! * `update_2x2` / `update_col` / `update_run4`: the indices (`p, p + 1, p + nx, p + nx +
//!   1`; `p + r·nx`; `p + r·nx + c`, `r < 2`, `c < 5`) are distinct and checked against every
//!   slice's length (the largest one) before the unchecked accesses.
//!
//! **Same result as the scalar code, bit for bit.** A lane is marked *fast* only where
//! [`crate::kernels::square`] takes its 2×2 path without clipping (finite non-zero
//! Jacobian, `0 <= nint(xmin)`, `nint(xmax) < nx`, `r0 <= nint(ymin)`, `nint(ymax) < r1`,
//! at most 2 × 2 output pixels: there its areas are [`crate::kernels::areas_2x2_f32`],
//! or f64 where one is near zero, as in the lane),
//! *big* where it takes its general path without clipping and at most 3 × 3 output
//! pixels; there the lane performs that path's operations for each output pixel in the
//! same order and precision (`min`/`max` as `a < b ? a : b`, no fused multiply-add; the
//! same f64 → f32 conversions), the flat-edge case (`|dx·dy|` below
//! [`crate::kernels::FLAT_2X2`] in the 2 × 2 lanes, a zero slope in the general ones) by
//! masks, vertical edges (which the scalar code skips) adding ±0 (only the sign
//! of a zero sum can change, and zero sums add nothing).
//! Every other pixel is left to the scalar kernel. The updates do `add`'s operations per
//! lane, the `vc == 0` and cancelling cases by blends, and keep the old bits where nothing
//! is added; the order of the updates of one input pixel's (distinct) output pixels does
//! not matter. Unit tests compare the lanes with the scalar kernel (random, sheared,
//! grid-aligned, degenerate, NaN and edge-straddling quads) and `add_2x2` / `add_3x3`
//! with single `add` calls (NaN compared as NaN: which NaN comes out is not specified by
//! Rust).

use crate::kernels::{CORNER_BLOCK, Clip, SquareBlock};

const _: () = assert!(CORNER_BLOCK.is_multiple_of(8) && CORNER_BLOCK <= 64);

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

/// Whether the CPU has AVX-512 F and VL (and AVX2): then [`square_block`] uses its
/// compilation with the AVX-512 registers and `simd_kernels::update_lanczos_run4` its
/// AVX-512 form.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn avx512_available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && avx2_available()
}

/// Whether the CPU has AVX-512 F and VL (never, off x86-64).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn avx512_available() -> bool {
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
        if avx512_available() {
            // SAFETY: AVX2, AVX-512 F and VL are available (checked just above).
            unsafe { x86::square_block_avx512(xs, ys, w, lanes, clip, out) };
        } else {
            // SAFETY: AVX2 is available (checked just above).
            unsafe { x86::square_block_avx2(xs, ys, w, lanes, clip, out) };
        }
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

/// [`update_2x2`] for one column of a footprint: output pixels `p + r·nx` for `r < n`
/// (`n` 2 or 3) with weights `dow[r]`. Returns `false`, doing nothing, without AVX2,
/// for another `n` or when `p + (n - 1)·nx` is outside a slice.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn update_col<const CTX: bool>(
    sci: &mut [f32],
    wht: &mut [f32],
    ctx: &mut [i32],
    bit: i32,
    p: usize,
    nx: usize,
    (n, dow): (usize, [f32; 3]),
    d: f32,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx2_available() && (n == 2 || n == 3) {
        let last = p + (n - 1) * nx;
        if nx > 0 && last < sci.len() && last < wht.len() && (!CTX || last < ctx.len()) {
            // SAFETY: AVX2 is available; the indices are distinct (nx > 0) and below the
            // lengths of the slices they index (checked just above; `last` is the
            // largest).
            unsafe {
                if n == 2 {
                    x86::update_pair::<CTX>(sci, wht, ctx, bit, [p, p + nx], [dow[0], dow[1]], d);
                } else {
                    x86::update_3::<CTX>(sci, wht, ctx, bit, [p, p + nx, p + 2 * nx], dow, d);
                }
            }
            return true;
        }
    }
    let _ = (sci, wht, ctx, bit, p, nx, n, dow, d);
    false
}

/// The updates of four consecutive input pixels (lanes `k = 0..4`, values `d[k]`) whose
/// 2 × 2 footprints step one output column at a time along one pair of output rows: pixel
/// `k` adds `dow[0][k]`, `dow[1][k]`, `dow[2][k]`, `dow[3][k]` to output pixels `p + k`,
/// `p + k + 1`, `p + nx + k`, `p + nx + k + 1` (the order of [`update_2x2`]). Exactly the
/// per-pixel updates in input order: every output pixel gets its contributions in input
/// order (column `p + k` from pixel `k - 1`'s right column, then from pixel `k`'s left
/// one), and the pixels of a run touch no other pixel's output. Returns `false`, doing
/// nothing, without AVX2 or when `p + nx + 4` is outside a slice.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn update_run4<const CTX: bool>(
    sci: &mut [f32],
    wht: &mut [f32],
    ctx: &mut [i32],
    bit: i32,
    p: usize,
    nx: usize,
    dow: [&[f32; 4]; 4],
    d: &[f32; 4],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        let last = p + nx + 4;
        if last < sci.len() && last < wht.len() && (!CTX || last < ctx.len()) {
            // SAFETY: AVX2 is available; the accesses are at `p + r·nx + c`, r < 2, c < 5,
            // all at most `last`, below the lengths of the slices (checked just above).
            unsafe { x86::update_run4_rows::<CTX>(sci, wht, ctx, bit, (p, nx), dow, d) };
            return true;
        }
    }
    let _ = (sci, wht, ctx, bit, p, nx, dow, d);
    false
}

/// The output-y extent of the mapped centres `(xs[k], ys[k])` inside the box
/// `xl < x < xh`, `yl < y < yh` (NaN never is) and how many are outside it:
/// `(min y, max y, misses)`, `(+∞, -∞, n)` when none is inside. Four centres per
/// instruction with AVX2: the minimum and maximum of the same set of values whatever the
/// order (only the sign of a zero extent could differ, which no comparison sees).
#[inline(always)]
pub(crate) fn box_extent(
    xs: &[f64],
    ys: &[f64],
    bounds: (f64, f64, f64, f64),
) -> (f64, f64, usize) {
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        // SAFETY: AVX2 is available (checked just above).
        return unsafe { x86::box_extent_avx2(xs, ys, bounds) };
    }
    box_extent_scalar(xs, ys, bounds)
}

/// [`box_extent`] without AVX2 (and for the AVX2 lanes' last few centres): branch-free
/// in L independent lanes.
pub(crate) fn box_extent_scalar(
    xs: &[f64],
    ys: &[f64],
    (xl, xh, yl, yh): (f64, f64, f64, f64),
) -> (f64, f64, usize) {
    const L: usize = 4;
    let (mut blo, mut bhi) = ([f64::INFINITY; L], [f64::NEG_INFINITY; L]);
    let mut miss = [0usize; L];
    let (xc, yc) = (xs.chunks_exact(L), ys.chunks_exact(L));
    let (xt, yt) = (xc.remainder(), yc.remainder());
    let mut take = |k: usize, x: f64, y: f64| {
        let ok = (x > xl) & (x < xh) & (y > yl) & (y < yh);
        blo[k] = if ok & (y < blo[k]) { y } else { blo[k] };
        bhi[k] = if ok & (y > bhi[k]) { y } else { bhi[k] };
        miss[k] += usize::from(!ok);
    };
    for (x4, y4) in xc.zip(yc) {
        for k in 0..L {
            take(k, x4[k], y4[k]);
        }
    }
    for (k, (&x, &y)) in xt.iter().zip(yt).enumerate() {
        take(k, x, y);
    }
    let lo = blo
        .iter()
        .fold(f64::INFINITY, |a, &v| if v < a { v } else { a });
    let hi = bhi
        .iter()
        .fold(f64::NEG_INFINITY, |a, &v| if v > a { v } else { a });
    (lo, hi, miss.iter().sum())
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{CORNER_BLOCK, Clip, SquareBlock};
    use crate::kernels::{FLAT_2X2, HAIR_2X2, NEAR_ZERO_2X2, dow_2x2_f64_unclipped};
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
    #[inline(always)]
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
    /// (0: no update) and value `d`, in two f32 lanes: the same operations per lane, the
    /// `vc == 0` and cancelling cases by blends, the old bits kept where nothing is added.
    ///
    /// # Safety
    /// The CPU must support AVX2; `q[0] != q[1]`, both below the length of `sci`, `wht`
    /// and (when `CTX`) `ctx`.
    #[inline(always)]
    pub(super) unsafe fn update_pair<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        q: [usize; 2],
        dow: [f32; 2],
        d: f32,
    ) {
        // SAFETY: the caller guarantees AVX2 (the intrinsics) and the indices (the
        // unchecked accesses).
        unsafe {
            let ld = |a: &[f32]| {
                _mm_unpacklo_ps(
                    _mm_set_ss(*a.get_unchecked(q[0])),
                    _mm_set_ss(*a.get_unchecked(q[1])),
                )
            };
            let zero = _mm_setzero_ps();
            let dw2 = _mm_unpacklo_ps(_mm_set_ss(dow[0]), _mm_set_ss(dow[1]));
            let vc2 = ld(wht);
            let s2 = ld(sci);
            // (Only the two low lanes are stored.)
            let (sci_out, wht_out) = mean4(s2, vc2, dw2, _mm_set1_ps(d));
            *sci.get_unchecked_mut(q[0]) = _mm_cvtss_f32(sci_out);
            *sci.get_unchecked_mut(q[1]) = _mm_cvtss_f32(_mm_movehdup_ps(sci_out));
            *wht.get_unchecked_mut(q[0]) = _mm_cvtss_f32(wht_out);
            *wht.get_unchecked_mut(q[1]) = _mm_cvtss_f32(_mm_movehdup_ps(wht_out));
            if CTX {
                let add = _mm_and_si128(
                    _mm_castps_si128(_mm_cmpgt_ps(dw2, zero)),
                    _mm_set1_epi32(bit),
                );
                *ctx.get_unchecked_mut(q[0]) |= _mm_cvtsi128_si32(add);
                *ctx.get_unchecked_mut(q[1]) |= _mm_extract_epi32::<1>(add);
            }
        }
    }

    /// [`update_pair`] for three distinct output pixels, in four lanes (the fourth a copy
    /// of the first that is not stored).
    ///
    /// # Safety
    /// The CPU must support AVX2; the indices of `q` distinct and below the length of
    /// `sci`, `wht` and (when `CTX`) `ctx`.
    #[inline(always)]
    pub(super) unsafe fn update_3<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        q: [usize; 3],
        dow: [f32; 3],
        d: f32,
    ) {
        // SAFETY: the caller guarantees AVX2 (the intrinsics) and the indices (the
        // unchecked accesses).
        unsafe {
            let ld = |a: &[f32]| {
                _mm_set_ps(
                    *a.get_unchecked(q[0]),
                    *a.get_unchecked(q[2]),
                    *a.get_unchecked(q[1]),
                    *a.get_unchecked(q[0]),
                )
            };
            let zero = _mm_setzero_ps();
            let dw4 = _mm_set_ps(0.0, dow[2], dow[1], dow[0]);
            let vc4 = ld(wht);
            let s4 = ld(sci);
            let (sci_out, wht_out) = mean4(s4, vc4, dw4, _mm_set1_ps(d));
            let mut so = [0.0f32; 4];
            let mut wo = [0.0f32; 4];
            _mm_storeu_ps(so.as_mut_ptr(), sci_out);
            _mm_storeu_ps(wo.as_mut_ptr(), wht_out);
            for k in 0..3 {
                *sci.get_unchecked_mut(q[k]) = so[k];
                *wht.get_unchecked_mut(q[k]) = wo[k];
            }
            if CTX {
                let add = _mm_and_si128(
                    _mm_castps_si128(_mm_cmpgt_ps(dw4, zero)),
                    _mm_set1_epi32(bit),
                );
                let mut ao = [0i32; 4];
                _mm_storeu_si128(ao.as_mut_ptr().cast(), add);
                for k in 0..3 {
                    *ctx.get_unchecked_mut(q[k]) |= ao[k];
                }
            }
        }
    }

    /// [`update_pair`]'s operations in four lanes with a value per lane (`d`): the new
    /// science and weight of output pixels with science `s`, weight `vc4`, adding weights
    /// `dw4`.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[inline(always)]
    unsafe fn mean4(s: __m128, vc4: __m128, dw4: __m128, d: __m128) -> (__m128, __m128) {
        // SAFETY: the caller guarantees AVX2.
        unsafe {
            // (The four high lanes are zeros, and dropped.)
            let (s8, w8) = mean8(
                _mm256_zextps128_ps256(s),
                _mm256_zextps128_ps256(vc4),
                _mm256_zextps128_ps256(dw4),
                _mm256_zextps128_ps256(d),
            );
            (_mm256_castps256_ps128(s8), _mm256_castps256_ps128(w8))
        }
    }

    /// [`mean4`] in eight lanes (two output rows of four pixels):
    /// `crate::drizzle::running_mean` per lane, and `FastSink::add`'s cases by blends.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[inline(always)]
    unsafe fn mean8(s: __m256, vc8: __m256, dw8: __m256, d: __m256) -> (__m256, __m256) {
        // SAFETY: the caller guarantees AVX2.
        unsafe {
            let zero = _mm256_setzero_ps();
            let vcd = _mm256_add_ps(vc8, dw8);
            let num = _mm256_add_ps(_mm256_mul_ps(s, vc8), _mm256_mul_ps(dw8, d));
            let mean = _mm256_div_ps(num, vcd);
            // Masks (the sign bit is what blendv reads). `dow == 0` is false for NaN
            // (unordered: live); vc != 0, vc + dow == 0: the weights cancelled; weight 0,
            // science kept.
            let live = _mm256_cmp_ps::<_CMP_NEQ_UQ>(dw8, zero);
            let vc0 = _mm256_cmp_ps::<_CMP_EQ_OQ>(vc8, zero);
            let vcd0 = _mm256_cmp_ps::<_CMP_EQ_OQ>(vcd, zero);
            let cancel = _mm256_andnot_ps(vc0, vcd0);
            let new_sci = _mm256_blendv_ps(mean, d, vc0);
            let sci_out = _mm256_blendv_ps(s, new_sci, _mm256_andnot_ps(cancel, live));
            let wht_out = _mm256_blendv_ps(vc8, _mm256_blendv_ps(vcd, zero, cancel), live);
            (sci_out, wht_out)
        }
    }

    /// [`super::update_run4`] with both output rows in one 8-lane vector (lanes `0..4` the
    /// lower row from `p`, `4..8` the upper one from `p + nx`): output pixels `p .. p + 5`
    /// of each row, the left columns' weights `dw[0]`, `dw[2]` (pixel `k` at `p + k`), the
    /// right ones' `dw[1]`, `dw[3]` (at `p + k + 1`). First every right column (columns
    /// `p + 1 .. p + 5`, as stored), then every left column (column `p` as stored,
    /// `p + 1 .. p + 4` the right columns' results in registers); stored per row: column
    /// `p`, and `p + 1 .. p + 5` in one vector.
    ///
    /// # Safety
    /// The CPU must support AVX2; `p + nx + 4` below the length of `sci`, `wht` and (when
    /// `CTX`) `ctx`.
    #[inline(always)]
    pub(super) unsafe fn update_run4_rows<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        (p, nx): (usize, usize),
        dw: [&[f32; 4]; 4],
        d: &[f32; 4],
    ) {
        // SAFETY: the caller guarantees AVX2 (the intrinsics) and that `p .. p + 5` and
        // `p + nx .. p + nx + 5` are in bounds of each slice (the unchecked accesses).
        unsafe {
            let (ps, pw) = (sci.as_mut_ptr().add(p), wht.as_mut_ptr().add(p));
            let (qs, qw) = (ps.add(nx), pw.add(nx));
            let d4 = _mm_loadu_ps(d.as_ptr());
            let d8 = _mm256_set_m128(d4, d4);
            let pair = |a: &[f32; 4], b: &[f32; 4]| _mm256_loadu2_m128(b.as_ptr(), a.as_ptr());
            let dl = pair(dw[0], dw[2]);
            let dr = pair(dw[1], dw[3]);
            let (s_r, w_r) = mean8(
                _mm256_loadu2_m128(qs.add(1), ps.add(1)),
                _mm256_loadu2_m128(qw.add(1), pw.add(1)),
                dr,
                d8,
            );
            // Left columns: lane k of a row is column p + k, i.e. right-column lane k - 1
            // (k >= 1); lane 0 of each row is column p as stored.
            let shl =
                |v: __m256| _mm256_castsi256_ps(_mm256_slli_si256::<4>(_mm256_castps_si256(v)));
            let shr =
                |v: __m256| _mm256_castsi256_ps(_mm256_srli_si256::<4>(_mm256_castps_si256(v)));
            let first =
                |a: *const f32, b: *const f32| _mm256_set_m128(_mm_load_ss(b), _mm_load_ss(a));
            let s_in = _mm256_blend_ps::<0x11>(shl(s_r), first(ps, qs));
            let w_in = _mm256_blend_ps::<0x11>(shl(w_r), first(pw, qw));
            let (s_l, w_l) = mean8(s_in, w_in, dl, d8);
            let s_hi = _mm256_blend_ps::<0x88>(shr(s_l), s_r);
            let w_hi = _mm256_blend_ps::<0x88>(shr(w_l), w_r);
            _mm_store_ss(ps, _mm256_castps256_ps128(s_l));
            _mm_store_ss(pw, _mm256_castps256_ps128(w_l));
            _mm_store_ss(qs, _mm256_extractf128_ps::<1>(s_l));
            _mm_store_ss(qw, _mm256_extractf128_ps::<1>(w_l));
            _mm256_storeu2_m128(qs.add(1), ps.add(1), s_hi);
            _mm256_storeu2_m128(qw.add(1), pw.add(1), w_hi);
            if CTX {
                update_run4_ctx(ctx, bit, p, [dw[0], dw[1]]);
                update_run4_ctx(ctx, bit, p + nx, [dw[2], dw[3]]);
            }
        }
    }

    /// The context bits of one output row of [`update_run4_rows`]: output pixels
    /// `p .. p + 5`, the left columns' weights `dw[0]`, the right ones' `dw[1]`.
    ///
    /// # Safety
    /// The CPU must support AVX2; `p + 4` below the length of `ctx`.
    #[inline(always)]
    unsafe fn update_run4_ctx(ctx: &mut [i32], bit: i32, p: usize, dw: [&[f32; 4]; 2]) {
        // SAFETY: the caller guarantees AVX2 and that `p .. p + 5` is in bounds.
        unsafe {
            let zero = _mm_setzero_ps();
            let dl = _mm_loadu_ps(dw[0].as_ptr());
            let dr = _mm_loadu_ps(dw[1].as_ptr());
            let b = _mm_set1_epi32(bit);
            let ml = _mm_and_si128(_mm_castps_si128(_mm_cmpgt_ps(dl, zero)), b);
            let mr = _mm_and_si128(_mm_castps_si128(_mm_cmpgt_ps(dr, zero)), b);
            let pc = ctx.as_mut_ptr().add(p);
            *pc |= _mm_cvtsi128_si32(ml);
            let c = _mm_loadu_si128(pc.add(1).cast());
            let c = _mm_or_si128(c, _mm_or_si128(mr, _mm_srli_si128::<4>(ml)));
            _mm_storeu_si128(pc.add(1).cast(), c);
        }
    }

    /// See [`super::box_extent`].
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn box_extent_avx2(
        xs: &[f64],
        ys: &[f64],
        b: (f64, f64, f64, f64),
    ) -> (f64, f64, usize) {
        let n = xs.len().min(ys.len());
        let (xl, xh) = (_mm256_set1_pd(b.0), _mm256_set1_pd(b.1));
        let (yl, yh) = (_mm256_set1_pd(b.2), _mm256_set1_pd(b.3));
        let (inf, ninf) = (
            _mm256_set1_pd(f64::INFINITY),
            _mm256_set1_pd(f64::NEG_INFINITY),
        );
        let (mut lo, mut hi) = (inf, ninf);
        let mut inside = 0u32;
        let mut k = 0;
        while k + 4 <= n {
            // SAFETY: `k + 4 <= n`, within both slices.
            let (x, y) = unsafe {
                (
                    _mm256_loadu_pd(xs.as_ptr().add(k)),
                    _mm256_loadu_pd(ys.as_ptr().add(k)),
                )
            };
            let ok = _mm256_and_pd(
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GT_OQ>(x, xl),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(x, xh),
                ),
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GT_OQ>(y, yl),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(y, yh),
                ),
            );
            // (min/max: the first operand where it is smaller/larger, else the second.)
            lo = _mm256_min_pd(_mm256_blendv_pd(inf, y, ok), lo);
            hi = _mm256_max_pd(_mm256_blendv_pd(ninf, y, ok), hi);
            inside += (_mm256_movemask_pd(ok) as u32).count_ones();
            k += 4;
        }
        let (mut l, mut h) = ([0.0f64; 4], [0.0f64; 4]);
        // SAFETY: 4-element arrays.
        unsafe {
            _mm256_storeu_pd(l.as_mut_ptr(), lo);
            _mm256_storeu_pd(h.as_mut_ptr(), hi);
        }
        // The last (fewer than 4) centres by the scalar loop.
        let (t_lo, t_hi, t_miss) = super::box_extent_scalar(&xs[k..n], &ys[k..n], b);
        let lo = l.iter().fold(t_lo, |a, &v| if v < a { v } else { a });
        let hi = h.iter().fold(t_hi, |a, &v| if v > a { v } else { a });
        (lo, hi, k - inside as usize + t_miss)
    }

    /// `square_block_avx2` and `square_block_avx512` (below): one body, compiled twice.
    macro_rules! square_block_fn {
        ($(#[$doc:meta])* $name:ident, $features:literal) => {
    $(#[$doc])*
    #[target_feature(enable = $features)]
    pub(super) unsafe fn $name(
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
        let two = _mm256_set1_pd(2.0);
        let mhalf = _mm256_set1_pd(-0.5);
        let absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let inf = _mm256_set1_pd(f64::INFINITY);
        let r0 = _mm256_set1_pd(clip.r0 as f64);
        let r1m = _mm256_set1_pd((clip.r1 - 1) as f64);
        let nxm = _mm256_set1_pd((clip.nx - 1) as f64);
        // f32 constants of the areas
        let zs = _mm256_setzero_ps();
        let halfs = _mm256_set1_ps(0.5);
        let mhalfs = _mm256_set1_ps(-0.5);
        let ones = _mm256_set1_ps(1.0);
        let abss = _mm256_castsi256_ps(_mm256_set1_epi32(i32::MAX));
        let signs = _mm256_set1_ps(-0.0);
        let flat = _mm256_set1_ps(FLAT_2X2);
        // `kernels::nint` in lanes: truncation, then ±1 from the fraction.
        let nint = |v: __m256d| -> __m256d {
            let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
            let f = _mm256_sub_pd(v, t);
            let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(f, half), one);
            let dn = _mm256_and_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(f, mhalf), one);
            _mm256_add_pd(t, _mm256_sub_pd(up, dn))
        };
        // Two f64 × 4 halves as one f32 × 8 vector (lanes 0..4 from `lo`).
        let both = |lo: __m256d, hi: __m256d| -> __m256 {
            _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo))
        };
        let mut fast_bits: u64 = 0;
        let (mut big_cols, mut big_rows): (u64, u64) = (0, 0);
        let mut g = l0 / 8 * 8;
        while g < l1 {
            // SAFETY: `o + 4 <= CORNER_BLOCK` for `o = g` and `o = g + 4` (g is a multiple of
            // 8 below CORNER_BLOCK, a multiple of 8), so each load reads 4 elements of a
            // CORNER_BLOCK array.
            let ld =
                |a: &[f64; CORNER_BLOCK], o: usize| unsafe { _mm256_loadu_pd(a.as_ptr().add(o)) };
            // The classification in f64, lanes `g + 4h .. g + 4h + 4` for h = 0, 1.
            let hz = Half {
                il: zero,
                jl: zero,
                di: zero,
                dj: zero,
                jaco: zero,
                xc: zero,
                yc: zero,
                bx: zero,
                ext: zero,
            };
            let mut hv = [hz; 2];
            let mut bits: u64 = 0;
            for (h, hv) in hv.iter_mut().enumerate() {
                let o = g + 4 * h;
                let x = [ld(&xs[0], o), ld(&xs[1], o), ld(&xs[2], o), ld(&xs[3], o)];
                let y = [ld(&ys[0], o), ld(&ys[1], o), ld(&ys[2], o), ld(&ys[3], o)];
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
                // Unclipped: the scalar kernel's first and last row and column are
                // `jl`, `jh`, `il`, `ih`.
                let mut inside = valid;
                for m in [
                    _mm256_cmp_pd::<_CMP_GE_OQ>(il, zero),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(ih, nxm),
                    _mm256_cmp_pd::<_CMP_GE_OQ>(jl, r0),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(jh, r1m),
                ] {
                    inside = _mm256_and_pd(inside, m);
                }
                let small = _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_LE_OQ>(di, one),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(dj, one),
                );
                let fast = _mm256_and_pd(inside, small);
                // The general path's footprints of at most 3 × 3, in two lists: three
                // columns, and three rows of at most two columns.
                let big = _mm256_andnot_pd(
                    small,
                    _mm256_and_pd(
                        inside,
                        _mm256_and_pd(
                            _mm256_cmp_pd::<_CMP_LE_OQ>(di, two),
                            _mm256_cmp_pd::<_CMP_LE_OQ>(dj, two),
                        ),
                    ),
                );
                let cols3 = _mm256_cmp_pd::<_CMP_GT_OQ>(di, one);
                big_cols |= (_mm256_movemask_pd(_mm256_and_pd(big, cols3)) as u64) << o;
                big_rows |= (_mm256_movemask_pd(_mm256_andnot_pd(cols3, big)) as u64) << o;
                bits |= (_mm256_movemask_pd(fast) as u64) << (4 * h);
                *hv = Half {
                    il,
                    jl,
                    di,
                    dj,
                    jaco,
                    // the centre of the bounding box (`kernels::areas_2x2_f32`)
                    xc: _mm256_mul_pd(half, _mm256_add_pd(xmin, xmax)),
                    yc: _mm256_mul_pd(half, _mm256_add_pd(ymin, ymax)),
                    bx: _mm256_mul_pd(_mm256_sub_pd(xmax, xmin), _mm256_sub_pd(ymax, ymin)),
                    ext: _mm256_add_pd(_mm256_sub_pd(xmax, xmin), _mm256_sub_pd(ymax, ymin)),
                };
            }
            if bits == 0 {
                g += 8;
                continue;
            }
            // `kernels::areas_2x2_f32` in f32 × 8 lanes: local coordinates made in f64
            // (`x - x0`, the column border `il + 0.5 - x0`, `y - y0`, with `x0` (`y0`) the
            // column (row) border `il + 0.5` (`jl + 0.5`) in two-column (two-row) lanes,
            // else the centre), then rounded to f32.
            let [h0, h1] = hv;
            let border = |c: __m256d, l: __m256d, d: __m256d| {
                _mm256_blendv_pd(
                    c,
                    _mm256_add_pd(l, half),
                    _mm256_cmp_pd::<_CMP_GT_OQ>(d, zero),
                )
            };
            let (x00, x01) = (border(h0.xc, h0.il, h0.di), border(h1.xc, h1.il, h1.di));
            let (y00, y01) = (border(h0.yc, h0.jl, h0.dj), border(h1.yc, h1.jl, h1.dj));
            let loc = |a: &[f64; CORNER_BLOCK], c0: __m256d, c1: __m256d| {
                both(_mm256_sub_pd(ld(a, g), c0), _mm256_sub_pd(ld(a, g + 4), c1))
            };
            let u: [__m256; 4] = std::array::from_fn(|k| loc(&xs[k], x00, x01));
            let v: [__m256; 4] = std::array::from_fn(|k| loc(&ys[k], y00, y01));
            let c1 = both(
                _mm256_sub_pd(_mm256_add_pd(h0.il, half), x00),
                _mm256_sub_pd(_mm256_add_pd(h1.il, half), x01),
            );
            // Corners, and points where an edge meets the column border, within a hair of
            // a column (row) border: `ucl` (`vcl`), kept for two-column (two-row) lanes.
            let hair = _mm256_mul_ps(_mm256_set1_ps(HAIR_2X2), both(h0.ext, h1.ext));
            let close = |t: __m256| _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_and_ps(t, abss), hair);
            let (mut ucl, mut vcl) = (zs, zs);
            for k in 0..4 {
                ucl = _mm256_or_ps(ucl, close(u[k]));
                vcl = _mm256_or_ps(vcl, close(v[k]));
            }
            // Per column, the areas below and above `v = 0`.
            let mut below = [zs; 2];
            let mut above = [zs; 2];
            for k in 0..4 {
                let k2 = (k + 1) & 3;
                let (x1, y1, x2, y2) = (u[k], v[k], u[k2], v[k2]);
                let dx = _mm256_sub_ps(x2, x1);
                let dy = _mm256_sub_ps(y2, y1);
                let right = _mm256_cmp_ps::<_CMP_GT_OQ>(dx, zs);
                let sh = _mm256_blendv_ps(mhalfs, halfs, right);
                let pr = _mm256_mul_ps(dx, dy);
                let r = _mm256_div_ps(ones, pr);
                // |dx·dy| below FLAT_2X2 (vertical edges, dx == 0, included): m = hinv = 0,
                // as in the scalar code. Vertical edges (which it skips) then add ±0
                // (a = b): that leaves every output unchanged (only the sign of a zero
                // sum could change, and zero sums add nothing).
                let keep = _mm256_cmp_ps::<_CMP_GE_OQ>(_mm256_and_ps(pr, abss), flat);
                let m = _mm256_and_ps(_mm256_mul_ps(_mm256_mul_ps(dy, dy), r), keep);
                let hinv = _mm256_and_ps(
                    _mm256_mul_ps(
                        sh,
                        _mm256_and_ps(_mm256_mul_ps(_mm256_mul_ps(dx, dx), r), abss),
                    ),
                    keep,
                );
                // The edge's ends and its point on the column border, clamped to the edge
                // (`kernels::areas_2x2_f32`): spans `[xl, xc1]` and `[xc1, xh]`.
                let xl = _mm256_min_ps(x1, x2);
                let xh = _mm256_max_ps(x1, x2);
                let yl = _mm256_blendv_ps(y2, y1, right);
                let yh = _mm256_blendv_ps(y1, y2, right);
                let xc1 = _mm256_min_ps(_mm256_max_ps(c1, xl), xh);
                let yc1 = _mm256_add_ps(y1, _mm256_mul_ps(m, _mm256_sub_ps(xc1, x1)));
                vcl = _mm256_or_ps(vcl, close(yc1));
                let spans = [(xl, xc1, yl, yc1), (xc1, xh, yc1, yh)];
                for (c, (a, b, va, vb)) in spans.into_iter().enumerate() {
                    let lo = _mm256_min_ps(va, vb);
                    let hi = _mm256_max_ps(va, vb);
                    let hw = _mm256_mul_ps(sh, _mm256_sub_ps(b, a));
                    let p = _mm256_max_ps(hi, zs);
                    let q = _mm256_min_ps(lo, zs);
                    let hk = _mm256_mul_ps(hinv, _mm256_mul_ps(p, q));
                    let bt = _mm256_sub_ps(
                        _mm256_mul_ps(hw, _mm256_add_ps(q, _mm256_min_ps(hi, zs))),
                        hk,
                    );
                    let at = _mm256_add_ps(
                        _mm256_mul_ps(hw, _mm256_add_ps(_mm256_max_ps(lo, zs), p)),
                        hk,
                    );
                    below[c] = _mm256_add_ps(below[c], bt);
                    above[c] = _mm256_add_ps(above[c], at);
                }
            }
            // sj = ±1, the sign of jaco (kept by the conversion, even where it underflows)
            let sj = _mm256_or_ps(ones, _mm256_and_ps(both(h0.jaco, h1.jaco), signs));
            let wj = both(
                _mm256_div_pd(ld(w, g), h0.jaco),
                _mm256_div_pd(ld(w, g + 4), h1.jaco),
            );
            // (di, dj are 0 or 1 in fast lanes: exact in f32.)
            let two_cols = _mm256_cmp_ps::<_CMP_GT_OQ>(both(h0.di, h1.di), zs);
            let two_rows = _mm256_cmp_ps::<_CMP_GT_OQ>(both(h0.dj, h1.dj), zs);
            // Lane value `a·wj` where the scalar kernel adds it (`a·sj > 0`, the
            // column/row exists), 0 (no update) elsewhere.
            let dow = |a: __m256, keep: __m256| -> __m256 {
                let pos = _mm256_cmp_ps::<_CMP_GT_OQ>(_mm256_mul_ps(a, sj), zs);
                _mm256_and_ps(_mm256_mul_ps(a, wj), _mm256_and_ps(pos, keep))
            };
            let all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
            // First row: the area below the row border, or the whole column's with one row.
            let first =
                |c: usize| _mm256_blendv_ps(_mm256_add_ps(below[c], above[c]), below[c], two_rows);
            let cells = [
                (first(0), all),
                (first(1), two_cols),
                (above[0], two_rows),
                (above[1], _mm256_and_ps(two_rows, two_cols)),
            ];
            let d = cells.map(|(a, keep)| dow(a, keep));
            // Lanes with a near-zero but non-zero area in an output pixel of the footprint
            // get the scalar kernel's weights from f64 areas (`kernels::NEAR_ZERO_2X2`),
            // below.
            let near = _mm256_mul_ps(_mm256_set1_ps(NEAR_ZERO_2X2), both(h0.bx, h1.bx));
            let mut unsure =
                _mm256_or_ps(_mm256_and_ps(ucl, two_cols), _mm256_and_ps(vcl, two_rows));
            for (a, keep) in cells {
                let small = _mm256_and_ps(
                    _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_and_ps(a, abss), near),
                    _mm256_cmp_ps::<_CMP_NEQ_OQ>(a, zs),
                );
                unsure = _mm256_or_ps(unsure, _mm256_and_ps(small, keep));
            }
            fast_bits |= bits << g;
            let mut unsure = bits & _mm256_movemask_ps(unsure) as u64;
            // SAFETY: as for the loads, each store writes 8 (4) elements at `g` (`g`,
            // `g + 4`) of an array of CORNER_BLOCK elements.
            unsafe {
                for (dst, v) in out.dow.iter_mut().zip(d) {
                    _mm256_storeu_ps(dst.as_mut_ptr().add(g), v);
                }
                // (fast lanes: 0 <= il < nx and r0 <= jl < r1, both <= i32::MAX)
                for (h, hv) in [h0, h1].iter().enumerate() {
                    let o = g + 4 * h;
                    _mm_storeu_si128(
                        out.ii.as_mut_ptr().add(o).cast(),
                        _mm256_cvttpd_epi32(hv.il),
                    );
                    _mm_storeu_si128(
                        out.jj.as_mut_ptr().add(o).cast(),
                        _mm256_cvttpd_epi32(hv.jl),
                    );
                }
            }
            while unsure != 0 {
                let q = g + unsure.trailing_zeros() as usize;
                unsure &= unsure - 1;
                let xo = [xs[0][q], xs[1][q], xs[2][q], xs[3][q]];
                let yo = [ys[0][q], ys[1][q], ys[2][q], ys[3][q]];
                let d = dow_2x2_f64_unclipped(&xo, &yo, w[q]);
                for (dst, v) in out.dow.iter_mut().zip(d) {
                    dst[q] = v;
                }
            }
            g += 8;
        }
        let range = if l1 > l0 {
            (u64::MAX >> (64 - (l1 - l0))) << l0
        } else {
            0
        };
        out.fast = fast_bits & range;
        // The general path's pixels, packed 4 to a vector (the three-column ones first:
        // most groups then need only their third column, or only their third row).
        let mut idx = [0usize; CORNER_BLOCK];
        let mut n = 0;
        for mut bits in [big_cols & range, big_rows & range] {
            while bits != 0 {
                idx[n] = bits.trailing_zeros() as usize;
                n += 1;
                bits &= bits - 1;
            }
        }
        out.big = (big_cols | big_rows) & range;
        let mut s = 0;
        while s < n {
            // (Lanes past the list repeat its last pixel; their results are not kept.)
            let q: [usize; 4] = std::array::from_fn(|t| idx[(s + t).min(n - 1)]);
            let gather =
                |a: &[f64; CORNER_BLOCK]| _mm256_set_pd(a[q[3]], a[q[2]], a[q[1]], a[q[0]]);
            let x = [
                gather(&xs[0]),
                gather(&xs[1]),
                gather(&xs[2]),
                gather(&xs[3]),
            ];
            let y = [
                gather(&ys[0]),
                gather(&ys[1]),
                gather(&ys[2]),
                gather(&ys[3]),
            ];
            // SAFETY: AVX2 is available (this function's contract).
            let (ij, d) = unsafe { big_lanes(x, y, gather(w)) };
            // Packed results: slot s + t for pixel q[t] (s + 4 <= CORNER_BLOCK: s is a
            // multiple of 4 below n <= CORNER_BLOCK, a multiple of 4).
            for (t, &qt) in q.iter().enumerate().take(n - s) {
                out.slot[qt] = (s + t) as u8;
            }
            let at = s..s + 4;
            for (dst, v) in out.big_ij.iter_mut().zip(ij) {
                // SAFETY: a 4-element slice (see above) and AVX2 (this function's contract).
                unsafe { _mm_storeu_si128(dst[at.clone()].as_mut_ptr().cast(), v) };
            }
            for (dst, v) in out.dow9.iter_mut().zip(d) {
                // SAFETY: as above.
                unsafe { _mm_storeu_ps(dst[at.clone()].as_mut_ptr(), v) };
            }
            s += 4;
        }
    }
        };
    }

    square_block_fn!(
        /// See [`super::square_block`].
        ///
        /// # Safety
        /// The CPU must support AVX2.
        square_block_avx2,
        "avx2"
    );

    square_block_fn!(
        /// [`square_block_avx2`] compiled with AVX-512 F and VL enabled: the same AVX2
        /// instructions (the same bits), but 32 vector registers instead of 16, so that
        /// far fewer values spill to the stack.
        ///
        /// # Safety
        /// The CPU must support AVX2, AVX-512 F and AVX-512 VL.
        square_block_avx512,
        "avx2,avx512f,avx512vl"
    );

    /// One f64 × 4 half of an 8-lane group of [`square_block_avx2`]: what the f32 areas
    /// need of the classification.
    #[derive(Clone, Copy)]
    struct Half {
        il: __m256d,
        jl: __m256d,
        di: __m256d,
        dj: __m256d,
        jaco: __m256d,
        xc: __m256d,
        yc: __m256d,
        /// `(xmax - xmin)·(ymax - ymin)`
        bx: __m256d,
        /// `(xmax - xmin) + (ymax - ymin)`
        ext: __m256d,
    }

    /// `kernels::nint` in lanes: truncation, then ±1 from the fraction.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn nint4(v: __m256d) -> __m256d {
        let (half, one) = (_mm256_set1_pd(0.5), _mm256_set1_pd(1.0));
        let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
        let f = _mm256_sub_pd(v, t);
        let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(f, half), one);
        let dn = _mm256_and_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(f, _mm256_set1_pd(-0.5)), one);
        _mm256_add_pd(t, _mm256_sub_pd(up, dn))
    }

    /// The general path of `kernels::square` for 4 quads (corners `x`, `y` in drizzle's
    /// order, pixel weights `w`) whose footprints are unclipped and at most 3 × 3 output
    /// pixels: the lower-left output pixel `(ii, jj)` of each, its number of columns and
    /// rows less one (`[ii, jj, nc - 1, nr - 1]`), and the weight of output
    /// pixel `(ii + c, jj + r)` at `3 r + c` (0 where the scalar kernel adds nothing or
    /// the footprint has no such pixel). Per output pixel, the same operations in the same
    /// order as the scalar kernel; vertical edges (which it skips) add ±0 (only the sign
    /// of a zero sum can change, and zero sums add nothing).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn big_lanes(
        x: [__m256d; 4],
        y: [__m256d; 4],
        w: __m256d,
    ) -> ([__m128i; 4], [__m128; 9]) {
        let zero = _mm256_setzero_pd();
        let half = _mm256_set1_pd(0.5);
        let one = _mm256_set1_pd(1.0);
        let mone = _mm256_set1_pd(-1.0);
        let sign = _mm256_set1_pd(-0.0);
        let jaco = _mm256_mul_pd(
            half,
            _mm256_sub_pd(
                _mm256_mul_pd(_mm256_sub_pd(x[1], x[3]), _mm256_sub_pd(y[0], y[2])),
                _mm256_mul_pd(_mm256_sub_pd(x[0], x[2]), _mm256_sub_pd(y[1], y[3])),
            ),
        );
        let xmin = _mm256_min_pd(_mm256_min_pd(x[0], x[1]), _mm256_min_pd(x[2], x[3]));
        let xmax = _mm256_max_pd(_mm256_max_pd(x[0], x[1]), _mm256_max_pd(x[2], x[3]));
        let ymin = _mm256_min_pd(_mm256_min_pd(y[0], y[1]), _mm256_min_pd(y[2], y[3]));
        let ymax = _mm256_max_pd(_mm256_max_pd(y[0], y[1]), _mm256_max_pd(y[2], y[3]));
        let (il, ih, jl, jh) = (nint4(xmin), nint4(xmax), nint4(ymin), nint4(ymax));
        let di = _mm256_sub_pd(ih, il);
        let dj = _mm256_sub_pd(jh, jl);
        // Columns / rows 1 and 2 exist where di, dj >= 1, 2; the third column (row) is
        // worked out only when a lane has it.
        let keep_c = [
            _mm256_cmp_pd::<_CMP_EQ_OQ>(zero, zero),
            _mm256_cmp_pd::<_CMP_GE_OQ>(di, one),
            _mm256_cmp_pd::<_CMP_GT_OQ>(di, one),
        ];
        let keep_r = [
            keep_c[0],
            _mm256_cmp_pd::<_CMP_GE_OQ>(dj, one),
            _mm256_cmp_pd::<_CMP_GT_OQ>(dj, one),
        ];
        let nc = if _mm256_movemask_pd(keep_c[2]) != 0 {
            3
        } else {
            2
        };
        let nr = if _mm256_movemask_pd(keep_r[2]) != 0 {
            3
        } else {
            2
        };
        // Edges: slope m, direction sgn, ±1/(2|m|) (0 for horizontal edges); vertical
        // edges get m = hinv = 0, which with xl == xh makes their terms ±0.
        let mut e = [(zero, zero, zero, zero, zero, zero, zero); 4];
        for (k, ek) in e.iter_mut().enumerate() {
            let k2 = (k + 1) & 3;
            let (x1, y1, x2, y2) = (x[k], y[k], x[k2], y[k2]);
            let dx = _mm256_sub_pd(x2, x1);
            let live = _mm256_cmp_pd::<_CMP_NEQ_UQ>(dx, zero);
            let m = _mm256_and_pd(_mm256_div_pd(_mm256_sub_pd(y2, y1), dx), live);
            let sgn = _mm256_blendv_pd(mone, one, _mm256_cmp_pd::<_CMP_GT_OQ>(dx, zero));
            let am = _mm256_andnot_pd(sign, m);
            let hinv = _mm256_and_pd(
                _mm256_mul_pd(sgn, _mm256_div_pd(half, am)),
                _mm256_cmp_pd::<_CMP_GT_OQ>(am, zero),
            );
            *ek = (
                x1,
                y1,
                _mm256_min_pd(x1, x2),
                _mm256_max_pd(x1, x2),
                m,
                sgn,
                hinv,
            );
        }
        let unit = |t: __m256d| _mm256_min_pd(_mm256_max_pd(t, zero), one);
        let mut acc = [[zero; 3]; 3];
        let cf = [zero, one, _mm256_set1_pd(2.0)];
        for c in 0..nc {
            let px = _mm256_sub_pd(_mm256_add_pd(il, cf[c]), half);
            let px1 = _mm256_add_pd(px, one);
            for &(x1, y1, xl, xh, m, sgn, hinv) in &e {
                let ca = _mm256_min_pd(_mm256_max_pd(xl, px), px1);
                let cb = _mm256_min_pd(_mm256_max_pd(xh, px), px1);
                let ya = _mm256_add_pd(y1, _mm256_mul_pd(m, _mm256_sub_pd(ca, x1)));
                let yb = _mm256_add_pd(y1, _mm256_mul_pd(m, _mm256_sub_pd(cb, x1)));
                let (lo, hi) = (_mm256_min_pd(ya, yb), _mm256_max_pd(ya, yb));
                let hw = _mm256_mul_pd(sgn, _mm256_mul_pd(half, _mm256_sub_pd(cb, ca)));
                for (r, row) in acc.iter_mut().enumerate().take(nr) {
                    // `kernels::row_area`
                    let py = _mm256_sub_pd(_mm256_add_pd(jl, cf[r]), half);
                    let (tl, th) = (_mm256_sub_pd(lo, py), _mm256_sub_pd(hi, py));
                    let p0 = _mm256_mul_pd(
                        _mm256_max_pd(_mm256_xor_pd(tl, sign), zero),
                        _mm256_max_pd(th, zero),
                    );
                    let p1 = _mm256_mul_pd(
                        _mm256_max_pd(_mm256_sub_pd(th, one), zero),
                        _mm256_max_pd(_mm256_sub_pd(one, tl), zero),
                    );
                    let ra = _mm256_add_pd(
                        _mm256_mul_pd(hw, _mm256_add_pd(unit(tl), unit(th))),
                        _mm256_mul_pd(hinv, _mm256_sub_pd(p1, p0)),
                    );
                    row[c] = _mm256_add_pd(row[c], ra);
                }
            }
        }
        let sj = _mm256_blendv_pd(mone, one, _mm256_cmp_pd::<_CMP_GT_OQ>(jaco, zero));
        let wj = _mm256_div_pd(w, jaco);
        let mut d = [_mm_setzero_ps(); 9];
        for r in 0..3 {
            for c in 0..3 {
                let a = acc[r][c];
                let pos = _mm256_cmp_pd::<_CMP_GT_OQ>(_mm256_mul_pd(a, sj), zero);
                let keep = _mm256_and_pd(pos, _mm256_and_pd(keep_r[r], keep_c[c]));
                d[3 * r + c] = _mm256_cvtpd_ps(_mm256_and_pd(_mm256_mul_pd(a, wj), keep));
            }
        }
        // (Unclipped lanes: 0 <= il, jl <= i32::MAX; repeated lanes are copies of such
        // lanes.)
        let ij = [il, jl, di, dj].map(|v| _mm256_cvttpd_epi32(v));
        (ij, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{NEAR_ZERO_2X2, Sink, areas_2x2_f32, square};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use crate::kernels::Rec;

    /// The lanes give the scalar kernel's contributions, bit for bit, wherever they
    /// claim a pixel (f32 areas, and the f64 weights of pixels with a near-zero area,
    /// more than 100 of which are met); typical quads are claimed.
    #[test]
    fn lanes_match_scalar_kernel() {
        if !avx2_available() {
            eprintln!("SKIP lanes_match_scalar_kernel: no AVX2");
            return;
        }
        let mut rng = StdRng::seed_from_u64(7);
        let mut near_zero = 0usize;
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
            assert_same_lanes(&out, &xs, &ys, &w, (l0, l1), clip);
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
                // (Lanes with a near-zero f32 area: weights from f64 areas.)
                let f = |v: &[f64; 4], m: fn(f64, f64) -> f64| {
                    v[1..].iter().fold(v[0], |a, &b| m(a, b))
                };
                let ext = [
                    f(&xo, f64::min),
                    f(&xo, f64::max),
                    f(&yo, f64::min),
                    f(&yo, f64::max),
                ];
                let [il, ih, jl, jh] = ext.map(crate::kernels::nint);
                let (cells, close) = areas_2x2_f32(&xo, &yo, ext, (il, ih), (jl, jh));
                let exists = [true, ih > il, jh > jl, ih > il && jh > jl];
                let near = NEAR_ZERO_2X2 * (((ext[1] - ext[0]) * (ext[3] - ext[2])) as f32);
                near_zero += usize::from(
                    close
                        || cells
                            .iter()
                            .zip(exists)
                            .any(|(&a, e)| e && a != 0.0 && a.abs() < near),
                );
            }
        }
        assert!(claimed * 10 > total * 4, "{claimed} of {total}");
        assert!(near_zero > 100, "{near_zero}");
    }

    /// `square_block`'s two compilations (AVX2 only, and with the AVX-512 registers where
    /// the CPU has them, which `square_block` then uses) give the same results: `out`
    /// against the AVX2-only one.
    fn assert_same_lanes(
        out: &SquareBlock,
        xs: &[[f64; CORNER_BLOCK]; 4],
        ys: &[[f64; CORNER_BLOCK]; 4],
        w: &[f64; CORNER_BLOCK],
        lanes: (usize, usize),
        clip: Clip,
    ) {
        let mut avx2 = SquareBlock::new();
        // SAFETY: the callers checked that the CPU has AVX2.
        unsafe { x86::square_block_avx2(xs, ys, w, lanes, clip, &mut avx2) };
        assert_eq!((out.fast, out.big), (avx2.fast, avx2.big));
        for q in 0..CORNER_BLOCK {
            if out.fast >> q & 1 == 1 {
                let bits = |b: &SquareBlock| b.dow.map(|d| d[q].to_bits());
                assert_eq!((out.ii[q], out.jj[q]), (avx2.ii[q], avx2.jj[q]));
                assert_eq!(bits(out), bits(&avx2), "lane {q}");
            }
            if out.big >> q & 1 == 1 {
                let s = out.slot[q] as usize;
                assert_eq!(s, avx2.slot[q] as usize);
                assert_eq!(out.big_ij.map(|v| v[s]), avx2.big_ij.map(|v| v[s]));
                let bits = |b: &SquareBlock| b.dow9.map(|d| d[s].to_bits());
                assert_eq!(bits(out), bits(&avx2), "lane {q}");
            }
        }
    }

    /// The general-path lanes (footprints up to 3 × 3) give the scalar kernel's
    /// contributions, bit for bit, wherever they claim a pixel: random, sheared,
    /// grid-aligned (vertical and horizontal edges, corners on pixel borders), collapsed,
    /// NaN and clip-crossing quads; typical 2 × 3, 3 × 2 and 3 × 3 footprints are claimed.
    #[test]
    fn big_lanes_match_scalar_kernel() {
        if !avx2_available() {
            eprintln!("SKIP big_lanes_match_scalar_kernel: no AVX2");
            return;
        }
        let mut rng = StdRng::seed_from_u64(11);
        let clip = Clip {
            r0: 3,
            r1: 40,
            nx: 30,
        };
        let (mut claimed, mut total, mut three_by_three) = (0usize, 0usize, 0usize);
        for round in 0..4000 {
            let mut xs = [[0.0; CORNER_BLOCK]; 4];
            let mut ys = [[0.0; CORNER_BLOCK]; 4];
            let mut w = [0.0; CORNER_BLOCK];
            for q in 0..CORNER_BLOCK {
                let cx = rng.random_range(-3.0..34.0);
                let cy = rng.random_range(0.0..44.0);
                let s = rng.random_range(0.3..1.1);
                let th: f64 = rng.random_range(0.0..std::f64::consts::TAU);
                let mode = rng.random_range(0..12);
                let (c, sn) = match mode {
                    0 => (1.0, 0.0),
                    1 => (0.0, 1.0),
                    _ => (th.cos(), th.sin()),
                };
                // A sheared / stretched square in drizzle's corner order.
                let (sx, sy, sh) = if mode == 5 {
                    (
                        rng.random_range(0.5..1.5),
                        rng.random_range(0.5..1.5),
                        rng.random_range(-0.4..0.4),
                    )
                } else {
                    (1.0, 1.0, 0.0)
                };
                let offs = [(-s, s), (s, s), (s, -s), (-s, -s)];
                for (k, (u, v)) in offs.into_iter().enumerate() {
                    let (u, v) = (sx * u + sh * v, sy * v);
                    let mut xk = cx + c * u - sn * v;
                    let mut yk = cy + sn * u + c * v;
                    if mode == 2 {
                        xk = (xk * 4.0).round() / 4.0;
                        yk = (yk * 8.0).round() / 8.0;
                    }
                    if mode == 6 {
                        // corners on output pixel borders
                        xk = (xk + 0.5).round() - 0.5;
                        yk = (yk + 0.5).round() - 0.5;
                    }
                    xs[k][q] = xk;
                    ys[k][q] = yk;
                }
                if mode == 3 && q % 5 == 0 {
                    ys[2][q] = f64::NAN;
                }
                if mode == 4 {
                    // collapsed quad
                    xs[1][q] = xs[0][q];
                    xs[2][q] = xs[3][q];
                    ys[1][q] = ys[0][q];
                    ys[2][q] = ys[3][q];
                }
                if mode == 7 {
                    // reversed orientation (negative Jacobian)
                    let (a, b) = (xs[1][q], ys[1][q]);
                    xs[1][q] = xs[3][q];
                    ys[1][q] = ys[3][q];
                    xs[3][q] = a;
                    ys[3][q] = b;
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
            assert_same_lanes(&out, &xs, &ys, &w, (l0, l1), clip);
            assert_eq!(out.fast & out.big, 0);
            for q in 0..CORNER_BLOCK {
                let inside = q >= l0 && q < l1;
                let big = out.big >> q & 1 == 1;
                assert!(inside || !big);
                if !inside || out.fast >> q & 1 == 1 {
                    continue;
                }
                total += 1;
                if !big {
                    continue;
                }
                claimed += 1;
                let xo = [xs[0][q], xs[1][q], xs[2][q], xs[3][q]];
                let yo = [ys[0][q], ys[1][q], ys[2][q], ys[3][q]];
                let mut want = Rec(Vec::new());
                square(&xo, &yo, w[q], clip, &mut want);
                let mut got = Rec(Vec::new());
                out.apply_big(q, &mut got);
                assert_eq!(got.0, want.0, "round {round} lane {q}: {xo:?} {yo:?}");
                let rows: std::collections::BTreeSet<_> = want.0.iter().map(|p| p.1).collect();
                let cols: std::collections::BTreeSet<_> = want.0.iter().map(|p| p.0).collect();
                three_by_three += usize::from(rows.len() == 3 && cols.len() == 3);
            }
        }
        assert!(claimed * 10 > total * 3, "{claimed} of {total}");
        assert!(three_by_three > 1000, "{three_by_three}");
    }
}
