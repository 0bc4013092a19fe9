//! The crate's only `unsafe` code: AVX2 kernels for the two blot workhorses over runs of
//! points, `linear` (8 points at a time) and `poly5` (4 at a time), with runtime feature
//! detection; the callers keep safe loops as the fallback.
//!
//! **Why it exists.** Interpolating at a pixel map reads pixels at data-dependent
//! addresses. Safe Rust cannot express a vector gather nor an unchecked vector load, so
//! every pixel costs a bounds-checked scalar load and moves between vector and general
//! registers. Measured on the 4096² blot race (7° rotated map, one thread, same machine
//! and load): `linear`, best safe formulation 180–260 Mpix/s, this kernel 320–430
//! (drizzle 2.2.0: ~110); `poly5`, safe ~32 Mpix/s per CPU-second (~355 instructions per
//! point, counted with cachegrind), this kernel ~75 (~105 instructions per point; drizzle:
//! ~11). The issue asks for 3× drizzle per thread.
//!
//! **Invariants that make it sound.**
//! * AVX2 is used only after `is_x86_feature_detected!("avx2")` returned true.
//! * The image slice has exactly `nx · ny ≤ i32::MAX` elements (`nx, ny ≥ 2` for linear,
//!   `≥ 6` for poly5), so every pixel index fits `i32` lanes.
//! * `linear`: a group of 8 points is gathered only when **every** point satisfies
//!   `0 ≤ x < nx − 1` and `0 ≤ y < ny − 1` (ordered compares: NaN fails). Then
//!   `ix = floor(x) ≤ nx − 2` and `iy = floor(y) ≤ ny − 2`, so the four pixels read,
//!   `iy·nx + ix + {0, 1, nx, nx + 1}`, are all `≤ nx·ny − 1`: in bounds.
//! * `poly5`: a group of 4 points is read only when every point satisfies `2 ≤ x < nx − 3`
//!   and `2 ≤ y < ny − 3`; then its 6×6 block, columns `floor(x) − 2 ..= floor(x) + 3`
//!   and rows `floor(y) − 2 ..= floor(y) + 3`, lies inside the image, and the two 4-wide
//!   loads per block row (columns 0..4 and 2..6 of the block) stay in that row.
//! * The coordinate loads read `ps[2gc .. 2gc + 2g]` (interleaved, `ps.len() == 2·os.len()`)
//!   or `xs[gc .. gc + g]`, `ys[gc .. gc + g]` (planar, both of length `os.len()`) for
//!   group `c < os.len() / g` of `g` points, and the stores write `os[gc .. gc + g]`: in
//!   bounds.
//!
//! **Same result as the scalar code, bit for bit.** `linear`: the floor, the `f64 → f32`
//! rounding of the fractions and the `f32` products and sums are the operations of
//! `Interpolator::linear`, in the same order. `poly5`: the weights and the per-column
//! partial sums are `kernels::poly5_weights` and `Interpolator::sum6`, lane by lane, and
//! the final sum uses `sum6`'s order. No fused multiply-adds anywhere. Unit tests compare
//! both kernels with the safe loops and `eval` bit for bit (edges, NaN, every run length).
#![allow(unsafe_code)]

/// Whether [`linear_run`] and [`poly5_run`] can use their vector paths on this CPU.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Whether [`linear_run`] and [`poly5_run`] can use their vector paths on this CPU.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn avx2_available() -> bool {
    false
}

/// Where the coordinates of a run come from.
#[derive(Clone, Copy)]
pub(crate) enum Coords<'c> {
    /// Interleaved `(x, y)` pairs: `2·n` values for `n` points (a pixel-map row).
    Interleaved(&'c [f64]),
    /// Separate `x` and `y` slices of `n` values each.
    Planar(&'c [f64], &'c [f64]),
}

impl Coords<'_> {
    /// Number of points, if the slices are consistent with `n` points.
    fn fits(self, n: usize) -> bool {
        match self {
            Coords::Interleaved(ps) => ps.len() == 2 * n,
            Coords::Planar(xs, ys) => xs.len() == n && ys.len() == n,
        }
    }

    /// Point `k` (panics when out of bounds).
    #[inline(always)]
    pub(crate) fn get(self, k: usize) -> (f64, f64) {
        match self {
            Coords::Interleaved(ps) => (ps[2 * k], ps[2 * k + 1]),
            Coords::Planar(xs, ys) => (xs[k], ys[k]),
        }
    }
}

/// Bilinear over a run of `os.len()` points into `os`, 8 points at a time with AVX2 when
/// all 8 lie strictly inside the last pixel centres; any other point (edges, outside, NaN,
/// the run's tail) is evaluated by `slow`. Returns `false`, touching nothing, when the
/// vector path is unavailable (no AVX2, not x86-64) or the sizes do not meet its
/// preconditions; the caller then runs its safe loop.
#[inline]
pub(crate) fn linear_run(
    data: &[f32],
    nx: usize,
    ny: usize,
    coords: Coords<'_>,
    os: &mut [f32],
    slow: impl Fn(f64, f64) -> f32,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let fits = nx >= 2
            && ny >= 2
            && nx.checked_mul(ny) == Some(data.len())
            && data.len() <= i32::MAX as usize
            && coords.fits(os.len());
        if fits && avx2_available() {
            // SAFETY: AVX2 was detected at run time just above, and the size
            // preconditions the kernel's memory accesses rely on were checked with it.
            unsafe {
                match coords {
                    Coords::Interleaved(ps) => {
                        x86::linear_run_avx2::<false>(data, nx, ny, ps, &[], os, &slow)
                    }
                    Coords::Planar(xs, ys) => {
                        x86::linear_run_avx2::<true>(data, nx, ny, xs, ys, os, &slow)
                    }
                }
            };
            return true;
        }
    }
    let _ = (data, nx, ny, coords, os, &slow);
    false
}

/// `poly5` over a run of `os.len()` points into `os`, 4 at a time with AVX2 when the 6×6
/// supports of all 4 lie inside the image (`2 ≤ x < nx − 3`, same for `y`; the caller
/// guarantees there is no mask); any other point is evaluated by `slow`. Returns `false`,
/// touching nothing, when the vector path is unavailable or the sizes do not fit.
#[inline]
pub(crate) fn poly5_run(
    data: &[f32],
    nx: usize,
    ny: usize,
    coords: Coords<'_>,
    os: &mut [f32],
    slow: impl Fn(f64, f64) -> f32,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let fits = nx >= 6
            && ny >= 6
            && nx.checked_mul(ny) == Some(data.len())
            && data.len() <= i32::MAX as usize
            && coords.fits(os.len());
        if fits && avx2_available() {
            // SAFETY: AVX2 was detected at run time just above, and the size
            // preconditions the kernel's memory accesses rely on were checked with it.
            unsafe {
                match coords {
                    Coords::Interleaved(ps) => {
                        x86::poly5_run_avx2::<false>(data, nx, ny, ps, &[], os, &slow)
                    }
                    Coords::Planar(xs, ys) => {
                        x86::poly5_run_avx2::<true>(data, nx, ny, xs, ys, os, &slow)
                    }
                }
            };
            return true;
        }
    }
    let _ = (data, nx, ny, coords, os, &slow);
    false
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// # Safety
    ///
    /// The CPU supports AVX2; `nx, ny ≥ 2`, `data.len() == nx·ny ≤ i32::MAX`; with
    /// `PLANAR` the point `k` is `(xs[k], ys[k])` and `xs.len() == ys.len() == os.len()`,
    /// without it the point `k` is `(xs[2k], xs[2k + 1])` and `xs.len() == 2·os.len()`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn linear_run_avx2<const PLANAR: bool>(
        data: &[f32],
        nx: usize,
        ny: usize,
        xs: &[f64],
        ys: &[f64],
        os: &mut [f32],
        slow: &impl Fn(f64, f64) -> f32,
    ) {
        let point = |k: usize| {
            if PLANAR {
                (xs[k], ys[k])
            } else {
                (xs[2 * k], xs[2 * k + 1])
            }
        };
        const FLOOR: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
        let zero = _mm256_setzero_pd();
        let xmax = _mm256_set1_pd((nx - 1) as f64);
        let ymax = _mm256_set1_pd((ny - 1) as f64);
        let nxv = _mm256_set1_epi32(nx as i32);
        let one = _mm256_set1_ps(1.0);
        let row0 = data.as_ptr() as *const i64;
        // SAFETY: nx < nx·ny = data.len() (ny ≥ 2): an in-bounds pointer.
        let row1 = unsafe { data.as_ptr().add(nx) } as *const i64;
        // Whole `(x, y)` quadruples in (ascending) lane order.
        let fix = |v: __m256d| _mm256_permute4x64_pd::<0b11_01_10_00>(v);
        // The `[0, 1, 4, 5 | 2, 3, 6, 7]` lane order of a shuffle of two pair gathers,
        // back to `0..8`.
        let order = |v: __m256| {
            _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(v)))
        };
        let inside = |x: __m256d, y: __m256d| {
            _mm256_and_pd(
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(x, zero),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(x, xmax),
                ),
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(y, zero),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(y, ymax),
                ),
            )
        };
        let chunks = os.len() / 8;
        for c in 0..chunks {
            let (xl, yl, xh, yh) = if PLANAR {
                // SAFETY: 8c + 8 ≤ 8·chunks ≤ os.len() = xs.len() = ys.len().
                unsafe {
                    let (px, py) = (xs.as_ptr().add(8 * c), ys.as_ptr().add(8 * c));
                    (
                        _mm256_loadu_pd(px),
                        _mm256_loadu_pd(py),
                        _mm256_loadu_pd(px.add(4)),
                        _mm256_loadu_pd(py.add(4)),
                    )
                }
            } else {
                // SAFETY: 16c + 16 ≤ 16·chunks ≤ 2·os.len() = xs.len().
                let (a0, a1, a2, a3) = unsafe {
                    let p = xs.as_ptr().add(16 * c);
                    (
                        _mm256_loadu_pd(p),
                        _mm256_loadu_pd(p.add(4)),
                        _mm256_loadu_pd(p.add(8)),
                        _mm256_loadu_pd(p.add(12)),
                    )
                };
                (
                    fix(_mm256_unpacklo_pd(a0, a1)),
                    fix(_mm256_unpackhi_pd(a0, a1)),
                    fix(_mm256_unpacklo_pd(a2, a3)),
                    fix(_mm256_unpackhi_pd(a2, a3)),
                )
            };
            let ok = _mm256_and_pd(inside(xl, yl), inside(xh, yh));
            if _mm256_movemask_pd(ok) != 0xF {
                for (k, o) in os[8 * c..8 * c + 8].iter_mut().enumerate() {
                    let (x, y) = point(8 * c + k);
                    *o = slow(x, y);
                }
                continue;
            }
            // Inside: floor(x) ∈ [0, nx − 2] converts exactly; the fraction is taken
            // against the integer converted back (as the scalar code does; `+0.0` even
            // for x = −0.0) and rounded to f32.
            let ixl = _mm256_cvttpd_epi32(_mm256_round_pd::<FLOOR>(xl));
            let ixh = _mm256_cvttpd_epi32(_mm256_round_pd::<FLOOR>(xh));
            let iyl = _mm256_cvttpd_epi32(_mm256_round_pd::<FLOOR>(yl));
            let iyh = _mm256_cvttpd_epi32(_mm256_round_pd::<FLOOR>(yh));
            let frac =
                |v: __m256d, i: __m128i| _mm256_cvtpd_ps(_mm256_sub_pd(v, _mm256_cvtepi32_pd(i)));
            let sx = _mm256_set_m128(frac(xh, ixh), frac(xl, ixl));
            let sy = _mm256_set_m128(frac(yh, iyh), frac(yl, iyl));
            let il = _mm_add_epi32(_mm_mullo_epi32(iyl, _mm256_castsi256_si128(nxv)), ixl);
            let ih = _mm_add_epi32(_mm_mullo_epi32(iyh, _mm256_castsi256_si128(nxv)), ixh);
            // SAFETY: every lane index i = iy·nx + ix has ix ≤ nx − 2, iy ≤ ny − 2 (all 8
            // points passed `inside`), so the pairs (i, i + 1) read from `row0` and
            // (i + nx, i + nx + 1) from `row1` are within `data` (max nx·ny − 1). The
            // gathers have no alignment requirement.
            let (r0l, r0h, r1l, r1h) = unsafe {
                (
                    _mm256_castsi256_ps(_mm256_i32gather_epi64::<4>(row0, il)),
                    _mm256_castsi256_ps(_mm256_i32gather_epi64::<4>(row0, ih)),
                    _mm256_castsi256_ps(_mm256_i32gather_epi64::<4>(row1, il)),
                    _mm256_castsi256_ps(_mm256_i32gather_epi64::<4>(row1, ih)),
                )
            };
            let p00 = order(_mm256_shuffle_ps::<0b10_00_10_00>(r0l, r0h));
            let p10 = order(_mm256_shuffle_ps::<0b11_01_11_01>(r0l, r0h));
            let p01 = order(_mm256_shuffle_ps::<0b10_00_10_00>(r1l, r1h));
            let p11 = order(_mm256_shuffle_ps::<0b11_01_11_01>(r1l, r1h));
            let tx = _mm256_sub_ps(one, sx);
            let ty = _mm256_sub_ps(one, sy);
            // ((tx·ty)·p00 + (sx·ty)·p10) + (sy·tx)·p01) + (sx·sy)·p11, as the scalar code.
            let v = _mm256_add_ps(
                _mm256_add_ps(
                    _mm256_add_ps(
                        _mm256_mul_ps(_mm256_mul_ps(tx, ty), p00),
                        _mm256_mul_ps(_mm256_mul_ps(sx, ty), p10),
                    ),
                    _mm256_mul_ps(_mm256_mul_ps(sy, tx), p01),
                ),
                _mm256_mul_ps(_mm256_mul_ps(sx, sy), p11),
            );
            // SAFETY: 8c + 8 ≤ 8·chunks ≤ os.len().
            unsafe { _mm256_storeu_ps(os.as_mut_ptr().add(8 * c), v) };
        }
        for (k, o) in os.iter_mut().enumerate().skip(8 * chunks) {
            let (x, y) = point(k);
            *o = slow(x, y);
        }
    }

    /// Quintic Lagrange weights (nodes −2..=3) of the 4 fractions in `t`, as 6 vectors
    /// (tap-major): the operations of `kernels::poly5_weights`, lane by lane.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn poly5_weights(t: __m256d) -> [__m256d; 6] {
        let c = _mm256_set1_pd;
        let d0 = _mm256_add_pd(t, c(2.0));
        let d1 = _mm256_add_pd(t, c(1.0));
        let d2 = t;
        let d3 = _mm256_sub_pd(t, c(1.0));
        let d4 = _mm256_sub_pd(t, c(2.0));
        let d5 = _mm256_sub_pd(t, c(3.0));
        let (a, b, cc) = (
            _mm256_mul_pd(d0, d1),
            _mm256_mul_pd(d2, d3),
            _mm256_mul_pd(d4, d5),
        );
        let (bc, ac, ab) = (
            _mm256_mul_pd(b, cc),
            _mm256_mul_pd(a, cc),
            _mm256_mul_pd(a, b),
        );
        [
            _mm256_mul_pd(_mm256_mul_pd(d1, bc), c(-1.0 / 120.0)),
            _mm256_mul_pd(_mm256_mul_pd(d0, bc), c(1.0 / 24.0)),
            _mm256_mul_pd(_mm256_mul_pd(d3, ac), c(-1.0 / 12.0)),
            _mm256_mul_pd(_mm256_mul_pd(d2, ac), c(1.0 / 12.0)),
            _mm256_mul_pd(_mm256_mul_pd(d5, ab), c(-1.0 / 24.0)),
            _mm256_mul_pd(_mm256_mul_pd(d4, ab), c(1.0 / 120.0)),
        ]
    }

    /// # Safety
    ///
    /// The CPU supports AVX2; `nx, ny ≥ 6`, `data.len() == nx·ny ≤ i32::MAX`; the points
    /// as in [`linear_run_avx2`].
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn poly5_run_avx2<const PLANAR: bool>(
        data: &[f32],
        nx: usize,
        ny: usize,
        xs: &[f64],
        ys: &[f64],
        os: &mut [f32],
        slow: &impl Fn(f64, f64) -> f32,
    ) {
        const FLOOR: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
        let point = |k: usize| {
            if PLANAR {
                (xs[k], ys[k])
            } else {
                (xs[2 * k], xs[2 * k + 1])
            }
        };
        let two = _mm256_set1_pd(2.0);
        let xmax = _mm256_set1_pd(nx as f64 - 3.0);
        let ymax = _mm256_set1_pd(ny as f64 - 3.0);
        let nxv = _mm_set1_epi32(nx as i32);
        let base = data.as_ptr();
        let chunks = os.len() / 4;
        for c in 0..chunks {
            let (x, y) = if PLANAR {
                // SAFETY: 4c + 4 ≤ 4·chunks ≤ os.len() = xs.len() = ys.len().
                unsafe {
                    (
                        _mm256_loadu_pd(xs.as_ptr().add(4 * c)),
                        _mm256_loadu_pd(ys.as_ptr().add(4 * c)),
                    )
                }
            } else {
                // SAFETY: 8c + 8 ≤ 8·chunks ≤ 2·os.len() = xs.len().
                let (a0, a1) = unsafe {
                    let p = xs.as_ptr().add(8 * c);
                    (_mm256_loadu_pd(p), _mm256_loadu_pd(p.add(4)))
                };
                (
                    _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_unpacklo_pd(a0, a1)),
                    _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_unpackhi_pd(a0, a1)),
                )
            };
            let ok = _mm256_and_pd(
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(x, two),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(x, xmax),
                ),
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(y, two),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(y, ymax),
                ),
            );
            if _mm256_movemask_pd(ok) != 0xF {
                for (k, o) in os[4 * c..4 * c + 4].iter_mut().enumerate() {
                    let (x, y) = point(4 * c + k);
                    *o = slow(x, y);
                }
                continue;
            }
            let fx = _mm256_round_pd::<FLOOR>(x);
            let fy = _mm256_round_pd::<FLOOR>(y);
            let wx = poly5_weights(_mm256_sub_pd(x, fx));
            let wy = poly5_weights(_mm256_sub_pd(y, fy));
            // First pixel of each 6×6 block: (floor(y) − 2)·nx + floor(x) − 2 ≥ 0.
            let first = _mm_add_epi32(
                _mm_mullo_epi32(
                    _mm_sub_epi32(_mm256_cvttpd_epi32(fy), _mm_set1_epi32(2)),
                    nxv,
                ),
                _mm_sub_epi32(_mm256_cvttpd_epi32(fx), _mm_set1_epi32(2)),
            );
            let mut firsts = [0i32; 4];
            // SAFETY: a 16-byte store into a 16-byte local array.
            unsafe { _mm_storeu_si128(firsts.as_mut_ptr() as *mut __m128i, first) };
            // Per-point weight vectors: columns 0..4 and 4..6 of each point (transpose).
            let t0 = _mm256_unpacklo_pd(wx[0], wx[1]);
            let t1 = _mm256_unpackhi_pd(wx[0], wx[1]);
            let t2 = _mm256_unpacklo_pd(wx[2], wx[3]);
            let t3 = _mm256_unpackhi_pd(wx[2], wx[3]);
            let w4 = [
                _mm256_permute2f128_pd::<0x20>(t0, t2),
                _mm256_permute2f128_pd::<0x20>(t1, t3),
                _mm256_permute2f128_pd::<0x31>(t0, t2),
                _mm256_permute2f128_pd::<0x31>(t1, t3),
            ];
            let u0 = _mm256_unpacklo_pd(wx[4], wx[5]);
            let u1 = _mm256_unpackhi_pd(wx[4], wx[5]);
            let w2 = [
                _mm256_castpd256_pd128(u0),
                _mm256_castpd256_pd128(u1),
                _mm256_extractf128_pd::<1>(u0),
                _mm256_extractf128_pd::<1>(u1),
            ];
            let mut wyk = [[0.0f64; 4]; 6];
            for (j, w) in wy.iter().enumerate() {
                // SAFETY: a 32-byte store into a 32-byte local array.
                unsafe { _mm256_storeu_pd(wyk[j].as_mut_ptr(), *w) };
            }
            for k in 0..4 {
                let mut acc4 = _mm256_setzero_pd();
                let mut acc2 = _mm_setzero_pd();
                for (j, wyj) in wyk.iter().enumerate() {
                    // SAFETY: all 4 points passed the test above: 2 ≤ x < nx − 3 and
                    // 2 ≤ y < ny − 3, so floor(x) − 2 ≥ 0, floor(x) + 3 ≤ nx − 1 and the same
                    // in y; the 6 pixels of row j of the block, `first + j·nx + 0..6`, lie in
                    // image row floor(y) − 2 + j ≤ ny − 1, inside `data`. The loads read
                    // pixels 0..4 and 2..6 of that row.
                    let (r4, r2) = unsafe {
                        let p = base.add(firsts[k] as usize + j * nx);
                        (
                            _mm256_cvtps_pd(_mm_loadu_ps(p)),
                            _mm_cvtps_pd(_mm_movehl_ps(_mm_setzero_ps(), _mm_loadu_ps(p.add(2)))),
                        )
                    };
                    let w = _mm256_set1_pd(wyj[k]);
                    acc4 = _mm256_add_pd(acc4, _mm256_mul_pd(w, _mm256_mul_pd(r4, w4[k])));
                    acc2 = _mm_add_pd(
                        acc2,
                        _mm_mul_pd(_mm256_castpd256_pd128(w), _mm_mul_pd(r2, w2[k])),
                    );
                }
                // ((acc0 + acc2) + acc4) + ((acc1 + acc3) + acc5), as the scalar code.
                let h = _mm_add_pd(
                    _mm_add_pd(
                        _mm256_castpd256_pd128(acc4),
                        _mm256_extractf128_pd::<1>(acc4),
                    ),
                    acc2,
                );
                let v = _mm_add_sd(h, _mm_unpackhi_pd(h, h));
                os[4 * c + k] = _mm_cvtsd_f64(v) as f32;
            }
        }
        for (k, o) in os.iter_mut().enumerate().skip(4 * chunks) {
            let (x, y) = point(k);
            *o = slow(x, y);
        }
    }
}
