//! AVX2 code for the centred kernels (lanczos, turbo), runtime-detected; without AVX2 the
//! callers get the same values from scalar code (the crate's third `unsafe` module, beside
//! `simd` for the square kernel and `alloc`):
//!
//! * [`update_outer8`]: `FastSink::add`'s running-mean update of a separable footprint of
//!   up to 8 × 8 output pixels (one input pixel's Lanczos footprint), a row at a time in
//!   f64 × 4 lanes: one `vdivpd` per 4 pixels instead of 4 `divsd`, and no branches;
//! * [`update_lanczos_run4`]: the same updates for a run of four consecutive input pixels
//!   whose footprints step one output column at a time, per output row the four pixels'
//!   contributions in 4 f64 lanes, the columns they share carried in registers, all the
//!   run's output rows (up to 8 at once) stepped together, a row's four y taps gathered
//!   from the footprints by one masked gather; with AVX-512 (F and VL, runtime-detected)
//!   two output rows per vector (8 f64 lanes), `add`'s branches as mask registers;
//! * [`lanczos_taps`]: the 6 + 6 (up to 8 + 8) look-up-table taps of a Lanczos footprint,
//!   the index arithmetic 4 taps at a time;
//! * [`TurboBlock`]: the turbo kernel's common case (a box narrower than an output pixel,
//!   2 × 2 output pixels, unclipped) for 4 input pixels at a time;
//! * [`PointBlock`]: the point kernel's weight, value and output pixel (`nint` of the
//!   centre, clip tests) for 4 input pixels at a time.
//!
//! **Why it exists.** A Lanczos-3 input pixel updates 6 × 6 output pixels, each with the
//! running weighted mean (an f64 division) behind two data-dependent branches (`dow == 0`,
//! first contribution); scalar, that was ~20 cycles per update. The turbo kernel's per-pixel
//! box overlaps were branchy scalar code. Measured on the issue-#4 race (4096² → 4996², 7°,
//! one thread, CPU seconds of a repeated add, same minutes, load average 2.5–5 on the
//! shared 2-core VM): lanczos3 3.3–4.1 s before, 1.5–1.9 s with this module; turbo
//! (pixfrac 0.8) 0.53–0.80 s before, 0.41–0.48 s. What remains in lanczos: the f64
//! divisions (~15 %: measured by replacing them), the table look-ups (12 per pixel) and
//! the update's ~26 instructions per block of 4 output pixels (2–3 blocks per row).
//! Runs of four pixels (`update_lanczos_run4`: 6 vector steps per output row instead of
//! 4 × 2 blocks, no store-to-load chain between the pixels of a run): one add of the race
//! at 1024² → 1250² (pages resident, min of 20 adds, 3 interleaved rounds, load average
//! ~1.1) 0.107–0.112 s before, 0.092–0.095 s with them; at 4096² (the race itself,
//! `bench_drizzle_peers.py --repeat 3`, load ~1.1–1.3) no difference beyond the noise
//! (1.56 / 1.66 s before, 1.67 / 1.60 s with them): there the update waits on memory.
//! The point kernel's per-pixel set-up (value, weight, `nint`, clip tests: branchy
//! scalar code, ~55 % of its scan in a profile) is now 4 pixels per instruction: one
//! add of the race at 2048² (pages resident, min of 56 adds, same minutes, load average
//! ~1.5) 0.048 s before, 0.033 s with it (with the vectorised pixel-map row of
//! `pixmap.rs`).
//!
//! **Where the lanczos time goes** (session 6, issue #4; no hardware counters on the VM:
//! callgrind instruction counts at 512² and `perf` samples). Before: ~1090 instructions
//! per input pixel, ~330 of them for the footprint (bounds, 12 taps, value) and ~760 for
//! its ~36 updates (runs of four: ~9.7 vector steps per pixel, ~65 instructions each with
//! the per-row set-up), run at ~3.4 instructions per cycle; the per-pixel cost is the
//! same at 512² and 4096², so memory is not what limits. Fewer instructions alone did not
//! help (a register version of the run rows, two rows at a time, 12 % fewer instructions,
//! was slower: less overlap of the division chains, ~30 cycles per step); neither did
//! more overlap with more instructions (groups of 4 output columns taking their pixels
//! in turn, all groups independent: 13.5 steps per pixel and their bookkeeping, 1.8× the
//! instructions, 1.5× the time). What helped: all of a run's rows stepped together (6–8
//! independent chains instead of groups of 4), a row's y taps by one masked gather
//! (instead of ~30 scalar instructions per row), the taps' `nint` without its
//! negative-argument branch and `lanczos_foot`'s bounds by `floor`. The race, one
//! thread, best of 5 interleaved with the session-5 binary, two sessions of 5 (load
//! 1.1–1.3, then 0.2–1.2; the VM's spread is ±20 %): one add into a fresh output
//! (`peer_drizzle lanczos3`) 1.55 → 1.38 s and 1.85 → 1.62 s (10.8 → 12.1 and 9.1 →
//! 10.4 Mpix/s); the second add of `twice-lanczos3 --adds 2` 1.49 → 1.36 s and 1.76 →
//! 1.67 s; two threads 1.04 → 1.01 s (CPU 2.02 → 1.85 s). What remains: the update's
//! ~25 vector operations per 4-lane step (converts, the f64 division, the blends of
//! `add`'s branches) at ~2 per cycle, ~10 steps per pixel.
//!
//! **AVX-512** (`lanczos_run4_avx512`, session 6): the run's rows in pairs, a pair's 8
//! lanes (row `2i` in lanes 0–3, `2i + 1` in 4–7) in one 512-bit f64 register for the
//! converts, products and the division, one 256-bit f32 register for the science, weight
//! and context values; the blends of `add`'s branches become mask registers (a masked
//! add for the weight, a masked convert and one mask blend for the science), the lanes
//! whose footprint misses the row a zero-masked product. About half the vector
//! instructions per update; Zen 4 runs most 512-bit operations as two 256-bit halves, so
//! the gain is in the front end, the f32 side and the blends. The memory side stays per row (4-byte loads and stores of the
//! carried lanes, 16-byte ones at a run's ends, as in the AVX2 form). The whole group of
//! up to 8 rows is one `#[target_feature]` function with the pair loop inside, so nothing
//! is called per step. The race, one thread, best of 5 interleaved with the AVX2 form
//! (same build otherwise), two sessions (load 1.1–1.6): one add (`peer_drizzle
//! lanczos3`) 1.61 → 1.32 s and 1.58 → 1.28 s (10.4 → 12.7 and 10.6 → 13.1 Mpix/s); the
//! second add of `twice-lanczos3 --adds 2` 1.61 → 1.35 s and 1.59 → 1.25 s (−16 % and −21 %;
//! all hashes unchanged at 1, 2 and 3 threads).
//!
//! **Invariants that make it sound.**
//! * AVX2 is used only after `is_x86_feature_detected!("avx2")` returned true; the
//!   AVX-512 form only after `avx2`, `avx512f` and `avx512vl` were detected.
//! * `update_outer8`: every row's window `p + r·nx - 3 .. p + r·nx + 12` is checked against
//!   the length of every slice accessed before the unaligned 4-element loads and stores
//!   (which stay in `p + r·nx - s .. p + r·nx - s + 4·nb`, `s < 4`, `nb <= 3`).
//! * `update_lanczos_run4`: the pixels `p0 + r·nx + c`, `r < nrows`, `c < ncol + 3`
//!   (`ncol <= 8`, `nrows <= RUN_ROWS`) are checked against the length of every slice
//!   accessed; the 4-element loads and stores stay in them. The y-tap gather reads, and
//!   only in the lanes whose footprint has the row (the mask), f64 word `k·FW + LY + t`
//!   of the four footprints (`FW` words each, the `ly` field at word `LY`, `0 <= t <
//!   nrow <= 8`): y tap `t` of footprint `k`. The AVX-512 form accesses the same pixels
//!   and taps: a pair's second row (`q + nx ..`) is loaded, stored and gathered only when
//!   it is one of the group's rows (a compile-time test of the pair index against the
//!   group's row count; else its gather mask bits are 0 and its lanes stay in registers).
//! * `lanczos_taps`: a table index is read only where it is `0 <= ix < lut.len()`, else
//!   entry 0 of a non-empty table, whose value is then discarded. (`nint` of `|o − k| ·
//!   sdp >= 0` is the truncation plus 1 where the fraction is at least 0.5: the scalar
//!   code's −1 branch never applies and no index is negative, for finite centres, the
//!   only ones the kernels pass.)
//! * `TurboBlock`, `PointBlock`: load and store 4 elements at `g < TURBO_BLOCK` (resp.
//!   `POINT_BLOCK`, multiples of 4) of arrays of that many elements; the vector path runs
//!   only when the inputs hold that many elements.
//!
//! **Same result as the scalar code, bit for bit.** No fused multiply-add; every lane does
//! the scalar code's operations in the same order (`min`/`max` as `a < b ? a : b`, `nint`
//! as truncation and ±1 from the fraction). The update does `add`'s arithmetic per lane
//! (f32 → f64, `sci·vc + dow·d`, one IEEE division, rounding to f32); `add`'s branches
//! (`dow == 0`: nothing; `vc == 0`: overwrite; `vc + dow == 0`: weight 0, science kept)
//! become blends (mask registers in the AVX-512 form: the same selections), and a lane
//! with nothing to add is stored back with its own bits. The
//! pixels of one footprint are distinct, so updating a row's pixels together gives the
//! values of one `add` after the other; rows stay in order, and input pixels stay in input
//! order. A run of four pixels (`update_lanczos_run4`) makes, per output row, step `m =
//! ncol − 1 .. 0` with pixel `k`'s update of output pixel `ii₀ + k + m` in lane `k`: every
//! output pixel gets its contributions in input order (`k` ascending as `m` descends), the
//! lanes of a step are distinct pixels, and a lane a pixel's footprint misses (its rows)
//! adds nothing. Lanes beyond the footprint lie in the calling task's own stripe (the bounds
//! test): rewriting their own bits changes nothing. Each row is updated in the 16-byte-
//! aligned blocks of 4 pixels (of `sci`'s memory) that hold it, so every access to a
//! pixel is the same 16-byte load or store and the next input pixel's loads take this
//! one's stores from the store queue (a load only partly overlapping a recent store waits
//! until that store reaches the cache). Unit tests compare: the update with one `add`
//! per pixel (random, zero, negative, cancelling, tiny and NaN values, garbage beyond the
//! footprint, windows at the slice edges where the scalar fallback runs); a run of four
//! footprints with one `add` per pixel in input order (also infinite and NaN pixel
//! weights, footprints rows apart, garbage taps beyond them), for the AVX2 and the
//! AVX-512 form (the latter test prints `SKIP` without AVX-512); the vector taps
//! with the scalar ones (short tables); `kernels::lanczos` with its general loops; the
//! turbo block with `kernels::turbo` (NaN, ties, clipped boxes, zero and negative
//! weights, wide boxes); the point block with its scalar fill (NaN, infinite and huge
//! centres, ties, non-finite, zero, negative and tiny data and weights, clipping).

use crate::kernels;

/// The drizzle update of a separable footprint: `(wx[c] · wy[r] · w) as f32` (0: no
/// update) to output pixel `p + r·nx + c` for `c < ncol`, `r < nrow` of slices holding the
/// output from some row on (`FastSink`'s layout), data value `d`, context bit `bit` (when
/// `CTX`). Exactly the per-pixel updates of `FastSink::add`, row by row. Returns `false`,
/// doing nothing, without AVX2, for a footprint wider or taller than 8, or when the
/// aligned blocks holding it (see below) are not all within the slices.
///
/// Each row is updated in the 16-byte-aligned blocks of 4 pixels (of `sci`'s memory)
/// that hold it (`a .. a + 4 nb`, `a = p_r - s`, `s < 4`, `nb <= 3`): every access to a
/// given pixel is then the same 16-byte load or store, so the next input pixel's loads
/// take the values of this one's stores from the store queue (a load that only partly
/// overlaps a recent store has to wait until that store has reached the cache).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn update_outer8<const CTX: bool>(
    sci: &mut [f32],
    wht: &mut [f32],
    ctx: &mut [i32],
    bit: i32,
    p: usize,
    nx: usize,
    (ncol, nrow): (usize, usize),
    wx: &[f64; 8],
    wy: &[f64; 8],
    w: f64,
    d: f32,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2_available() && (1..=8).contains(&ncol) && (1..=8).contains(&nrow) {
        // Every row's window lies in `p_r - 3 .. p_r + 12`.
        let end = (nrow - 1)
            .checked_mul(nx)
            .and_then(|o| o.checked_add(p))
            .and_then(|l| l.checked_add(12));
        if let Some(end) = end
            && p >= 3
            && end <= sci.len()
            && end <= wht.len()
            && (!CTX || end <= ctx.len())
        {
            // SAFETY: AVX2 is available, `1 <= ncol, nrow <= 8`, and `p_r - 3 .. p_r + 12`
            // for every row `p_r = p + r·nx` is within every slice accessed (checked just
            // above).
            unsafe {
                x86::update_outer8_avx2::<CTX>(
                    sci,
                    wht,
                    ctx,
                    bit,
                    p,
                    nx,
                    (ncol, nrow),
                    wx,
                    wy,
                    w,
                    d,
                )
            };
            return true;
        }
    }
    let _ = (sci, wht, ctx, bit, p, nx, ncol, nrow, wx, wy, w, d);
    false
}

/// Most output rows a [`update_lanczos_run4`] run may span.
pub(crate) const RUN_ROWS: usize = 12;

/// The footprints of four consecutive input pixels (`feet[k]`, weight `ws[k]`, value
/// `ds[k]`) added at once: exactly [`FastSink`](crate::drizzle::FastSink)'s `add`s of
/// `feet[0].apply(ws[0])`, then `feet[1]`'s, ..., in that order, when the footprints have
/// the same width and step one output column at a time (`feet[k].ii = feet[0].ii + k`;
/// their rows may differ). Returns `false`, doing nothing, without AVX2, for other
/// footprints, footprints spanning more than [`RUN_ROWS`] rows together, or when the
/// output pixels `(ii₀ .. ii₀ + ncol + 3, rows)` are not all within the slices (which hold
/// the output from flat index `base` on).
///
/// Why it is faster: the pixels' footprints share all but one column with the next one's,
/// so one `add` per pixel updates the same output pixels as the previous pixel did, a
/// chain of loads waiting for the previous pixel's stores. Here, per output row, step `m =
/// ncol − 1 .. 0` updates output pixel `ii₀ + k + m` of pixel `k` in lane `k` (4 f64
/// lanes): lanes 1–3 take the previous step's lanes 0–2 from registers, lane 0 comes from
/// memory, and the result of lane 3 is final (stored). Every output pixel gets its
/// contributions in input order (`k` ascending as `m` descends), with `add`'s operations
/// per lane; rows are distinct pixels.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn update_lanczos_run4<const CTX: bool>(
    sci: &mut [f32],
    wht: &mut [f32],
    ctx: &mut [i32],
    bit: i32,
    (base, nx): (usize, usize),
    feet: &[kernels::LanczosFoot; 4],
    ws: &[f64; 4],
    ds: &[f32; 4],
) -> bool {
    update_lanczos_run4_with::<CTX>(sci, wht, ctx, bit, (base, nx), feet, (ws, ds), true)
}

/// [`update_lanczos_run4`], its AVX-512 form only when `wide` (the tests compare both
/// forms; the same bits).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn update_lanczos_run4_with<const CTX: bool>(
    sci: &mut [f32],
    wht: &mut [f32],
    ctx: &mut [i32],
    bit: i32,
    (base, nx): (usize, usize),
    feet: &[kernels::LanczosFoot; 4],
    (ws, ds): (&[f64; 4], &[f32; 4]),
    wide: bool,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2_available() {
        let Some(run) = LanczosRun::new((base, nx), feet) else {
            return false;
        };
        let end = (run.nrows - 1)
            .checked_mul(nx)
            .and_then(|o| o.checked_add(run.p0))
            .and_then(|l| l.checked_add(run.ncol + 3));
        if let Some(end) = end
            && end <= sci.len()
            && end <= wht.len()
            && (!CTX || end <= ctx.len())
        {
            // Both forms: AVX2 is available; `1 <= ncol <= 8`, `1 <= nrows <= RUN_ROWS`,
            // and the accessed pixels `p0 + r·nx + c`, `r < nrows`, `c < ncol + 3`, are
            // below `end`, within every slice accessed (checked just above).
            if wide && crate::simd::avx512_available() {
                // SAFETY: see just above; AVX-512 F and VL are available (just checked).
                unsafe { x86::lanczos_run4_avx512::<CTX>(sci, wht, ctx, bit, nx, &run, ws, ds) };
            } else {
                // SAFETY: see just above.
                unsafe { x86::lanczos_run4_avx2::<CTX>(sci, wht, ctx, bit, nx, &run, ws, ds) };
            }
            return true;
        }
    }
    let _ = (sci, wht, ctx, bit, base, nx, feet, ws, ds, wide);
    false
}

/// A [`update_lanczos_run4`] run: its first output pixel `p0` (column of `feet[0]`, top
/// row of the four footprints), width, rows spanned, and each footprint's first row from
/// that top row on (`off[k]`).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct LanczosRun<'f> {
    pub(crate) p0: usize,
    pub(crate) ncol: usize,
    pub(crate) nrows: usize,
    pub(crate) off: [usize; 4],
    pub(crate) feet: &'f [kernels::LanczosFoot; 4],
}

impl LanczosRun<'_> {
    /// The run of `feet`, or `None` when they do not form one (see
    /// [`update_lanczos_run4`]) or its first output pixel precedes `base`.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    #[inline(always)]
    fn new((base, nx): (usize, usize), feet: &[kernels::LanczosFoot; 4]) -> Option<LanczosRun<'_>> {
        let f0 = &feet[0];
        let ncol = f0.ncol;
        if !(1..=8).contains(&ncol) {
            return None;
        }
        let (mut rmin, mut rmax) = (usize::MAX, 0);
        for (k, f) in feet.iter().enumerate() {
            if f.ncol != ncol || f.ii != f0.ii.checked_add(k)? || !(1..=8).contains(&f.nrow) {
                return None;
            }
            rmin = rmin.min(f.jj);
            rmax = rmax.max(f.jj.checked_add(f.nrow)?);
        }
        let nrows = rmax - rmin;
        if nrows > RUN_ROWS {
            return None;
        }
        let p0 = rmin
            .checked_mul(nx)?
            .checked_add(f0.ii)?
            .checked_sub(base)?;
        Some(LanczosRun {
            p0,
            ncol,
            nrows,
            off: feet.map(|f| f.jj - rmin),
            feet,
        })
    }
}

/// Lanczos look-up-table taps of the output columns `i0 .. i0 + ncol` around `ox` and of
/// the output rows `j0 .. j0 + nrow` around `oy` (each at most 8): `lut[nint(|o - k| ·
/// sdp)]` where that index is inside the table, 0 elsewhere and beyond `ncol` / `nrow`
/// (the expressions of `kernels::lanczos`; AVX2 where available, [`lanczos_taps_scalar`]
/// otherwise: the same values).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn lanczos_taps(
    (ox, i0, ncol): (f64, i64, usize),
    (oy, j0, nrow): (f64, i64, usize),
    sdp: f64,
    lut: &[f64],
) -> ([f64; 8], [f64; 8]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2_available()
        && !lut.is_empty()
        && lut.len() < i32::MAX as usize
        && i0.unsigned_abs() < 1 << 40
        && j0.unsigned_abs() < 1 << 40
    {
        // SAFETY: AVX2 is available and the table is not empty and shorter than
        // i32::MAX (checked just above).
        return unsafe { x86::lanczos_taps_avx2((ox, i0, ncol), (oy, j0, nrow), sdp, lut) };
    }
    lanczos_taps_scalar((ox, i0, ncol), (oy, j0, nrow), sdp, lut)
}

/// [`lanczos_taps`] without vector instructions.
#[inline(always)]
pub(crate) fn lanczos_taps_scalar(
    (ox, i0, ncol): (f64, i64, usize),
    (oy, j0, nrow): (f64, i64, usize),
    sdp: f64,
    lut: &[f64],
) -> ([f64; 8], [f64; 8]) {
    let taps = |o: f64, k0: i64, n: usize| {
        let mut v = [0.0f64; 8];
        for (c, t) in v[..n.min(8)].iter_mut().enumerate() {
            let ix = crate::kernels::nint((o - (k0 + c as i64) as f64).abs() * sdp) as usize;
            if ix < lut.len() {
                *t = lut[ix];
            }
        }
        v
    };
    (taps(ox, i0, ncol), taps(oy, j0, nrow))
}

/// Pixels per [`TurboBlock`].
pub(crate) const TURBO_BLOCK: usize = 64;
// (The turbo and square kernels' blocks share their runs of four: [`kernels::Runs4`].)
const _: () = assert!(TURBO_BLOCK == kernels::CORNER_BLOCK);

/// The turbo kernel's unclipped 2 × 2 case ([`kernels::turbo_2x2`]) for up to
/// [`TURBO_BLOCK`] pixels at once.
pub(crate) struct TurboBlock {
    /// Bit `q` set: pixel `q` is in that case, with corner `(ii[q], jj[q])` and weights
    /// `dow[k][q]` in [`kernels::Sink::add_2x2`]'s order.
    pub(crate) fast: u64,
    pub(crate) ii: [i32; TURBO_BLOCK],
    pub(crate) jj: [i32; TURBO_BLOCK],
    pub(crate) dow: [[f32; TURBO_BLOCK]; 4],
}

impl TurboBlock {
    pub(crate) const fn new() -> TurboBlock {
        TurboBlock {
            fast: 0,
            ii: [0; TURBO_BLOCK],
            jj: [0; TURBO_BLOCK],
            dow: [[0.0; TURBO_BLOCK]; 4],
        }
    }

    /// Fill for the pixels of centres `xs[q]`, `ys[q]` and weights `ws[q]` (0: not
    /// drizzled), `q < xs.len() <= TURBO_BLOCK`: the values of [`kernels::turbo_2x2`],
    /// pixel by pixel (AVX2 where available, 4 pixels at a time: the same operations).
    #[inline(always)]
    pub(crate) fn fill(
        &mut self,
        xs: &[f64],
        ys: &[f64],
        ws: &[f64; TURBO_BLOCK],
        (pfo, ac): (f64, f64),
        clip: kernels::Clip,
    ) {
        let n = xs.len().min(ys.len()).min(TURBO_BLOCK);
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx2_available()
            && n == TURBO_BLOCK
            && clip.nx <= i32::MAX as i64
            && clip.r1 <= i32::MAX as i64
        {
            // SAFETY: AVX2 is available and `xs`, `ys` hold TURBO_BLOCK elements
            // (checked just above).
            unsafe { x86::turbo_block_avx2(self, xs, ys, ws, (pfo, ac), clip) };
            return;
        }
        self.fill_scalar(&xs[..n], &ys[..n], ws, (pfo, ac), clip);
    }

    /// [`TurboBlock::fill`] without vector instructions.
    pub(crate) fn fill_scalar(
        &mut self,
        xs: &[f64],
        ys: &[f64],
        ws: &[f64; TURBO_BLOCK],
        (pfo, ac): (f64, f64),
        clip: kernels::Clip,
    ) {
        self.fast = 0;
        for (q, ((&x, &y), &w)) in xs.iter().zip(ys).zip(ws).enumerate() {
            if w == 0.0 {
                continue;
            }
            if let Some((ii, jj, d)) = kernels::turbo_2x2(x, y, pfo, ac, w, clip) {
                self.fast |= 1 << q;
                self.ii[q] = ii as i32;
                self.jj[q] = jj as i32;
                for (k, v) in d.into_iter().enumerate() {
                    self.dow[k][q] = v;
                }
            }
        }
    }

    /// The block's runs of four 2 × 2 footprints stepping one output column at a time
    /// ([`kernels::Runs4`], the square kernel's).
    #[inline(always)]
    pub(crate) fn runs(&self) -> kernels::Runs4<'_> {
        kernels::Runs4::new(self.fast, &self.ii, &self.jj, &self.dow)
    }

    /// Pixel `q`'s corner and weights (it must be marked fast).
    #[inline(always)]
    pub(crate) fn get(&self, q: usize) -> (usize, usize, [f32; 4]) {
        let d = &self.dow;
        (
            self.ii[q] as usize,
            self.jj[q] as usize,
            [d[0][q], d[1][q], d[2][q], d[3][q]],
        )
    }
}

/// Pixels per [`PointBlock`].
pub(crate) const POINT_BLOCK: usize = 64;

/// What the point kernel adds for up to [`POINT_BLOCK`] consecutive pixels of a row: pixel
/// `q` adds weight `dow[q]` (0: nothing) of value `ds[q]` to output pixel `(ii[q], jj[q])`
/// (all 0 where `dow[q]` is 0).
pub(crate) struct PointBlock {
    pub(crate) dow: [f32; POINT_BLOCK],
    pub(crate) ds: [f32; POINT_BLOCK],
    pub(crate) ii: [usize; POINT_BLOCK],
    pub(crate) jj: [usize; POINT_BLOCK],
}

/// The constants of a [`PointBlock::fill`]: the input's data scale and weight scale
/// (`Pix::value`), the range `[lo, hi]` of output y the centres must lie in, and the clip
/// region.
#[derive(Clone, Copy)]
pub(crate) struct PointParams {
    pub(crate) iscale: f64,
    pub(crate) wt_scl: f64,
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) clip: kernels::Clip,
}

impl PointBlock {
    pub(crate) const fn new() -> PointBlock {
        PointBlock {
            dow: [0.0; POINT_BLOCK],
            ds: [0.0; POINT_BLOCK],
            ii: [0; POINT_BLOCK],
            jj: [0; POINT_BLOCK],
        }
    }

    /// Fill for the pixels of centres `xs[q]`, `ys[q]`, data `data[q]` and weight-map
    /// values `wts[q]` (1 without a map), `q < xs.len() <= POINT_BLOCK` (the other
    /// slices at least as long): weight `w = wts[q] · wt_scl`, value `(data[q] · iscale)
    /// as f32`, both 0 for a non-finite value or weight; the output pixel `(nint(x),
    /// nint(y))` when the centre is usable for rows `[lo, hi]`
    /// ([`kernels::centre_usable`]) and that pixel lies in the clip region, else
    /// weight 0 (AVX2 where available, 4 pixels at a time: the same operations).
    #[inline(always)]
    pub(crate) fn fill(
        &mut self,
        xs: &[f64],
        ys: &[f64],
        data: &[f32],
        wts: Option<&[f32]>,
        pp: PointParams,
    ) {
        let n = xs.len().min(POINT_BLOCK);
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx2_available()
            && n == POINT_BLOCK
            && ys.len() >= POINT_BLOCK
            && data.len() >= POINT_BLOCK
            && wts.is_none_or(|w| w.len() >= POINT_BLOCK)
            && pp.clip.nx <= i32::MAX as i64
            && pp.clip.r1 <= i32::MAX as i64
        {
            // SAFETY: AVX2 is available, `xs`, `ys`, `data` and `wts` hold at least
            // POINT_BLOCK elements and the clip region's indices fit in i32 (checked just
            // above).
            unsafe { x86::point_block_avx2(self, xs, ys, data, wts, pp) };
            return;
        }
        self.fill_scalar(&xs[..n], ys, data, wts, pp);
    }

    /// [`PointBlock::fill`] without vector instructions (pixels `q < xs.len()`).
    pub(crate) fn fill_scalar(
        &mut self,
        xs: &[f64],
        ys: &[f64],
        data: &[f32],
        wts: Option<&[f32]>,
        pp: PointParams,
    ) {
        let clip = pp.clip;
        for (q, &x) in xs.iter().enumerate().take(POINT_BLOCK) {
            let (y, v) = (ys[q], data[q]);
            let w = match wts {
                Some(wm) => wm[q] as f64 * pp.wt_scl,
                None => pp.wt_scl,
            };
            let (ii, jj) = (kernels::nint(x), kernels::nint(y));
            let ok = kernels::centre_usable(x, y, pp.lo, pp.hi)
                & v.is_finite()
                & w.is_finite()
                & (ii >= 0)
                & (ii < clip.nx)
                & (jj >= clip.r0)
                & (jj < clip.r1);
            let dow = if ok { w as f32 } else { 0.0 };
            let live = dow != 0.0;
            self.dow[q] = dow;
            self.ds[q] = if live {
                (v as f64 * pp.iscale) as f32
            } else {
                0.0
            };
            self.ii[q] = if live { ii as usize } else { 0 };
            self.jj[q] = if live { jj as usize } else { 0 };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{LanczosRun, POINT_BLOCK, PointBlock, PointParams, TURBO_BLOCK, TurboBlock};
    use crate::kernels::Clip;
    use std::arch::asm;
    use std::arch::x86_64::*;

    /// See [`TurboBlock::fill`].
    ///
    /// # Safety
    /// The CPU must support AVX2; `xs` and `ys` must hold at least TURBO_BLOCK elements;
    /// `clip.nx`, `clip.r1 <= i32::MAX`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn turbo_block_avx2(
        out: &mut TurboBlock,
        xs: &[f64],
        ys: &[f64],
        ws: &[f64; TURBO_BLOCK],
        (pfo, ac): (f64, f64),
        clip: Clip,
    ) {
        let zero = _mm256_setzero_pd();
        let half = _mm256_set1_pd(0.5);
        let mhalf = _mm256_set1_pd(-0.5);
        let one = _mm256_set1_pd(1.0);
        let onehalf = _mm256_set1_pd(1.5);
        let pv = _mm256_set1_pd(pfo);
        let acv = _mm256_set1_pd(ac);
        let r0 = _mm256_set1_pd(clip.r0 as f64);
        let r1m = _mm256_set1_pd((clip.r1 - 2) as f64);
        let nxm = _mm256_set1_pd((clip.nx - 2) as f64);
        // `kernels::nint` in lanes: truncation, then ±1 from the fraction (exact where it
        // matters: the lanes kept have |v| < 2^31).
        let nint = |v: __m256d| -> __m256d {
            let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
            let f = _mm256_sub_pd(v, t);
            let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(f, half), one);
            let dn = _mm256_and_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(f, mhalf), one);
            _mm256_add_pd(t, _mm256_sub_pd(up, dn))
        };
        let narrow = pfo < 0.5;
        let mut fast: u64 = 0;
        for g in (0..TURBO_BLOCK).step_by(4) {
            // SAFETY: g + 4 <= TURBO_BLOCK <= the length of xs, ys (the caller's
            // guarantee) and of ws.
            let (x, y, w) = unsafe {
                (
                    _mm256_loadu_pd(xs.as_ptr().add(g)),
                    _mm256_loadu_pd(ys.as_ptr().add(g)),
                    _mm256_loadu_pd(ws.as_ptr().add(g)),
                )
            };
            let (xxi, xxa) = (_mm256_sub_pd(x, pv), _mm256_add_pd(x, pv));
            let (yyi, yya) = (_mm256_sub_pd(y, pv), _mm256_add_pd(y, pv));
            let (fi, fj) = (nint(xxi), nint(yyi));
            // `turbo_2x2`'s test (NaN fails every comparison), and w != 0.
            let mut ok = _mm256_cmp_pd::<_CMP_NEQ_UQ>(w, zero);
            for m in [
                _mm256_cmp_pd::<_CMP_GE_OQ>(fi, zero),
                _mm256_cmp_pd::<_CMP_LE_OQ>(fi, nxm),
                _mm256_cmp_pd::<_CMP_GE_OQ>(fj, r0),
                _mm256_cmp_pd::<_CMP_LE_OQ>(fj, r1m),
            ] {
                ok = _mm256_and_pd(ok, m);
            }
            let bits = if narrow {
                _mm256_movemask_pd(ok) as u64
            } else {
                0
            };
            fast |= bits << g;
            if bits == 0 {
                continue;
            }
            // fmin(a, b) = a < b ? a : b = minpd(a, b); fmax likewise = maxpd(a, b).
            let side = |lo: __m256d, hi: __m256d, f: __m256d, a: __m256d, b: __m256d| {
                _mm256_sub_pd(
                    _mm256_min_pd(hi, _mm256_add_pd(f, b)),
                    _mm256_max_pd(lo, _mm256_add_pd(f, a)),
                )
            };
            let dx = [
                side(xxi, xxa, fi, mhalf, half),
                side(xxi, xxa, fi, half, onehalf),
            ];
            let dy = [
                side(yyi, yya, fj, mhalf, half),
                side(yyi, yya, fj, half, onehalf),
            ];
            let dow = |c: usize, r: usize| -> __m128 {
                let v = _mm256_mul_pd(_mm256_mul_pd(_mm256_mul_pd(dx[c], dy[r]), acv), w);
                let keep = _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GT_OQ>(dx[c], zero),
                    _mm256_cmp_pd::<_CMP_GT_OQ>(dy[r], zero),
                );
                _mm256_cvtpd_ps(_mm256_and_pd(v, keep))
            };
            // SAFETY: g + 4 <= TURBO_BLOCK: 4 elements of arrays of TURBO_BLOCK.
            unsafe {
                _mm_storeu_ps(out.dow[0].as_mut_ptr().add(g), dow(0, 0));
                _mm_storeu_ps(out.dow[1].as_mut_ptr().add(g), dow(1, 0));
                _mm_storeu_ps(out.dow[2].as_mut_ptr().add(g), dow(0, 1));
                _mm_storeu_ps(out.dow[3].as_mut_ptr().add(g), dow(1, 1));
                // (fast lanes: 0 <= ii < nx, r0 <= jj < r1, both <= i32::MAX)
                _mm_storeu_si128(out.ii.as_mut_ptr().add(g).cast(), _mm256_cvttpd_epi32(fi));
                _mm_storeu_si128(out.jj.as_mut_ptr().add(g).cast(), _mm256_cvttpd_epi32(fj));
            }
        }
        out.fast = fast;
    }

    /// See [`PointBlock::fill`].
    ///
    /// # Safety
    /// The CPU must support AVX2; `xs`, `ys`, `data` and `wts` must hold at least
    /// POINT_BLOCK elements; `pp.clip.nx`, `pp.clip.r1 <= i32::MAX`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn point_block_avx2(
        out: &mut PointBlock,
        xs: &[f64],
        ys: &[f64],
        data: &[f32],
        wts: Option<&[f32]>,
        pp: PointParams,
    ) {
        let zero = _mm256_setzero_pd();
        let half = _mm256_set1_pd(0.5);
        let mhalf = _mm256_set1_pd(-0.5);
        let one = _mm256_set1_pd(1.0);
        let inf = _mm256_set1_pd(f64::INFINITY);
        let absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let (lo, hi) = (_mm256_set1_pd(pp.lo), _mm256_set1_pd(pp.hi));
        let (r0, r1) = (
            _mm256_set1_pd(pp.clip.r0 as f64),
            _mm256_set1_pd(pp.clip.r1 as f64),
        );
        let nx = _mm256_set1_pd(pp.clip.nx as f64);
        let (isv, wsv) = (_mm256_set1_pd(pp.iscale), _mm256_set1_pd(pp.wt_scl));
        // `kernels::nint` in lanes: truncation (0 for NaN, as `x as i64`), then ±1 from
        // the fraction. Exact for |v| < 2^52; larger values (and infinities) stay
        // outside the clip region, as the saturated scalar values do.
        let nint = |v: __m256d| -> __m256d {
            let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
            let t = _mm256_and_pd(t, _mm256_cmp_pd::<_CMP_ORD_Q>(v, v));
            let f = _mm256_sub_pd(v, t);
            let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(f, half), one);
            let dn = _mm256_and_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(f, mhalf), one);
            _mm256_add_pd(t, _mm256_sub_pd(up, dn))
        };
        let finite = |v: __m256d| _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_and_pd(v, absmask), inf);
        for g in (0..POINT_BLOCK).step_by(4) {
            // SAFETY: g + 4 <= POINT_BLOCK <= the length of xs, ys, data (and wts): the
            // caller's guarantee.
            let (x, y, v) = unsafe {
                (
                    _mm256_loadu_pd(xs.as_ptr().add(g)),
                    _mm256_loadu_pd(ys.as_ptr().add(g)),
                    _mm256_cvtps_pd(_mm_loadu_ps(data.as_ptr().add(g))),
                )
            };
            let w = match wts {
                // SAFETY: as above.
                Some(wm) => _mm256_mul_pd(
                    _mm256_cvtps_pd(unsafe { _mm_loadu_ps(wm.as_ptr().add(g)) }),
                    wsv,
                ),
                None => wsv,
            };
            let (ii, jj) = (nint(x), nint(y));
            // (`kernels::centre_usable`, with the y tests below.)
            let mut ok = _mm256_and_pd(_mm256_and_pd(finite(x), finite(v)), finite(w));
            for m in [
                _mm256_cmp_pd::<_CMP_GE_OQ>(y, lo),
                _mm256_cmp_pd::<_CMP_LE_OQ>(y, hi),
                _mm256_cmp_pd::<_CMP_GE_OQ>(ii, zero),
                _mm256_cmp_pd::<_CMP_LT_OQ>(ii, nx),
                _mm256_cmp_pd::<_CMP_GE_OQ>(jj, r0),
                _mm256_cmp_pd::<_CMP_LT_OQ>(jj, r1),
            ] {
                ok = _mm256_and_pd(ok, m);
            }
            // `w as f32` where ok, else 0; the other values where that is not 0.
            let dow = _mm256_cvtpd_ps(_mm256_and_pd(w, ok));
            let live = _mm_cmpneq_ps(dow, _mm_setzero_ps());
            let ds = _mm_and_ps(_mm256_cvtpd_ps(_mm256_mul_pd(v, isv)), live);
            let li = _mm_castps_si128(live);
            // (ok lanes: 0 <= ii < nx, r0 <= jj < r1, all <= i32::MAX; others 0.)
            let iv = _mm_and_si128(_mm256_cvttpd_epi32(_mm256_and_pd(ii, ok)), li);
            let jv = _mm_and_si128(_mm256_cvttpd_epi32(_mm256_and_pd(jj, ok)), li);
            // SAFETY: g + 4 <= POINT_BLOCK: 4 elements of arrays of POINT_BLOCK (usize is
            // 64-bit on x86-64).
            unsafe {
                _mm_storeu_ps(out.dow.as_mut_ptr().add(g), dow);
                _mm_storeu_ps(out.ds.as_mut_ptr().add(g), ds);
                _mm256_storeu_si256(out.ii.as_mut_ptr().add(g).cast(), _mm256_cvtepi32_epi64(iv));
                _mm256_storeu_si256(out.jj.as_mut_ptr().add(g).cast(), _mm256_cvtepi32_epi64(jv));
            }
        }
    }

    /// `permutevar8x32` indices (on f64 lanes as pairs of 32-bit halves) moving f64 lane
    /// `k` to lane `(k + s) mod 4`.
    const ROT64: [[i32; 8]; 4] = [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [6, 7, 0, 1, 2, 3, 4, 5],
        [4, 5, 6, 7, 0, 1, 2, 3],
        [2, 3, 4, 5, 6, 7, 0, 1],
    ];
    /// f64 lanes `k >= s` (all bits set) and `k < s`.
    const GE64: [[i64; 4]; 4] = [
        [-1, -1, -1, -1],
        [0, -1, -1, -1],
        [0, 0, -1, -1],
        [0, 0, 0, -1],
    ];
    const LT64: [[i64; 4]; 4] = [[0, 0, 0, 0], [-1, 0, 0, 0], [-1, -1, 0, 0], [-1, -1, -1, 0]];

    /// An opaque copy of `v` (the compiler must not see that it was loaded from memory,
    /// or it turns the blend-and-store of unchanged lanes into a masked store, which is
    /// slow on some CPUs and cannot pass its value on to later loads).
    #[inline(always)]
    fn opaque(mut v: __m128) -> __m128 {
        // SAFETY: an empty instruction template: nothing is executed.
        unsafe {
            asm!("/* {0} */", inout(xmm_reg) v, options(pure, nomem, nostack, preserves_flags))
        };
        v
    }

    /// See [`super::lanczos_taps`].
    ///
    /// # Safety
    /// The CPU must support AVX2; `0 < lut.len() < i32::MAX`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn lanczos_taps_avx2(
        (ox, i0, ncol): (f64, i64, usize),
        (oy, j0, nrow): (f64, i64, usize),
        sdp: f64,
        lut: &[f64],
    ) -> ([f64; 8], [f64; 8]) {
        let half = _mm256_set1_pd(0.5);
        let one = _mm256_set1_pd(1.0);
        let zero = _mm256_setzero_pd();
        let absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let nlut = _mm256_set1_pd(lut.len() as f64);
        let sv = _mm256_set1_pd(sdp);
        // (|i0|, |j0| < 2^40: `(k0 + c) as f64` is exact, as is `k0 as f64 + c`.)
        let (ki, kj) = (i0 as f64, j0 as f64);
        let (ni, nj) = (ncol as f64, nrow as f64);
        // Taps of 4 lanes: centre `o`, first position `k` and count `n` per lane, lane
        // offsets `c`.
        let taps4 = |o: __m256d, k: __m256d, n: __m256d, c: __m256d| -> __m256d {
            let x = _mm256_mul_pd(
                _mm256_and_pd(_mm256_sub_pd(o, _mm256_add_pd(k, c)), absmask),
                sv,
            );
            // `kernels::nint` of `x >= 0` (finite: the centre is): truncation, then +1
            // where the fraction is at least 0.5 (it is never negative, so the scalar
            // code's −1 never applies, and the index is never negative).
            let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(x);
            let f = _mm256_sub_pd(x, t);
            let ix = _mm256_add_pd(t, _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(f, half), one));
            let valid = _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_LT_OQ>(ix, nlut),
                _mm256_cmp_pd::<_CMP_LT_OQ>(c, n),
            );
            // Invalid lanes read entry 0 and are then zeroed (4 loads: cheaper than a
            // gather on some CPUs).
            let mut idx = [0i32; 4];
            // SAFETY: a 4-element local array.
            unsafe {
                _mm_storeu_si128(
                    idx.as_mut_ptr().cast(),
                    _mm256_cvttpd_epi32(_mm256_and_pd(ix, valid)),
                )
            };
            // SAFETY: every index is 0 or a valid lane's `0 <= ix < lut.len()`, and the
            // table is not empty (the caller's guarantee).
            let ld = |k: usize| unsafe { *lut.get_unchecked(idx[k] as usize) };
            _mm256_and_pd(_mm256_set_pd(ld(3), ld(2), ld(1), ld(0)), valid)
        };
        let (oxv, oyv) = (_mm256_set1_pd(ox), _mm256_set1_pd(oy));
        let c0 = _mm256_set_pd(3.0, 2.0, 1.0, 0.0);
        let xa = taps4(oxv, _mm256_set1_pd(ki), _mm256_set1_pd(ni), c0);
        let ya = taps4(oyv, _mm256_set1_pd(kj), _mm256_set1_pd(nj), c0);
        // Lanes 4, 5 of both (and 6, 7 when needed) in one vector each.
        let mixed = |c: f64| {
            taps4(
                _mm256_set_pd(oy, oy, ox, ox),
                _mm256_set_pd(kj, kj, ki, ki),
                _mm256_set_pd(nj, nj, ni, ni),
                _mm256_set_pd(c + 1.0, c, c + 1.0, c),
            )
        };
        let m45 = mixed(4.0);
        let m67 = if ncol > 6 || nrow > 6 {
            mixed(6.0)
        } else {
            zero
        };
        // x lanes 4..8: m45 lanes 0, 1 and m67 lanes 0, 1; y: their lanes 2, 3.
        let xb = _mm256_permute2f128_pd::<0x20>(m45, m67);
        let yb = _mm256_permute2f128_pd::<0x31>(m45, m67);
        let (mut lx, mut ly) = ([0.0f64; 8], [0.0f64; 8]);
        // SAFETY: 4 elements at 0 and at 4 of 8-element local arrays.
        unsafe {
            _mm256_storeu_pd(lx.as_mut_ptr(), xa);
            _mm256_storeu_pd(lx.as_mut_ptr().add(4), xb);
            _mm256_storeu_pd(ly.as_mut_ptr(), ya);
            _mm256_storeu_pd(ly.as_mut_ptr().add(4), yb);
        }
        (lx, ly)
    }

    /// See [`super::update_outer8`].
    ///
    /// # Safety
    /// The CPU must support AVX2; `1 <= ncol, nrow <= 8`; for every row `r < nrow`,
    /// `p + r·nx - 3 .. p + r·nx + 12` must be within `sci`, `wht` and (when `CTX`) `ctx`.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn update_outer8_avx2<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        p: usize,
        nx: usize,
        (ncol, nrow): (usize, usize),
        wx: &[f64; 8],
        wy: &[f64; 8],
        w: f64,
        d: f32,
    ) {
        let (sp, wp, cp) = (sci.as_mut_ptr(), wht.as_mut_ptr(), ctx.as_mut_ptr());
        let zero = _mm_setzero_ps();
        let dd = _mm256_set1_pd(d as f64);
        let ds = _mm_set1_ps(d);
        let bits = _mm_set1_epi32(bit);
        let wv = _mm256_set1_pd(w);
        // SAFETY: 8-element array.
        let (wxl, wxh) = unsafe {
            (
                _mm256_loadu_pd(wx.as_ptr()),
                _mm256_loadu_pd(wx.as_ptr().add(4)),
            )
        };
        // `add` on the 4 pixels `q .. q + 4` with weights `dw4`.
        let block = |q: usize, (dw4, dw): (__m128, __m256d)| {
            // SAFETY: `q .. q + 4` lies in a row's window (see the callers), within the
            // slices (the caller's guarantee).
            let (vc4, s4) = unsafe {
                (
                    opaque(_mm_loadu_ps(wp.add(q))),
                    opaque(_mm_loadu_ps(sp.add(q))),
                )
            };
            // SAFETY: AVX2 (this function's contract).
            let (sci_out, wht_out) = unsafe { mean4(s4, vc4, (dw4, dw), (ds, dd)) };
            // SAFETY: as for the loads.
            unsafe {
                _mm_storeu_ps(sp.add(q), sci_out);
                _mm_storeu_ps(wp.add(q), wht_out);
            }
            if CTX {
                let add = _mm_and_si128(_mm_castps_si128(_mm_cmpgt_ps(dw4, zero)), bits);
                // SAFETY: as for the loads (`ctx` too when CTX).
                unsafe {
                    let c = _mm_loadu_si128(cp.add(q).cast());
                    _mm_storeu_si128(cp.add(q).cast(), _mm_or_si128(c, add));
                }
            }
        };
        let phase = (sp as usize / 4).wrapping_add(p) % 4;
        let dphase = nx % 4;
        // Columns from `ncol` on get weight 0 (no update), whatever `wx` holds there.
        let nc = _mm256_set1_pd(ncol as f64);
        let mlo = _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_set_pd(3.0, 2.0, 1.0, 0.0), nc);
        let mhi = _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_set_pd(7.0, 6.0, 5.0, 4.0), nc);
        // The x weights (and the live-column masks) in a row's 12-pixel window from
        // `a = p_r - s`: lane s + c holds column c; three vectors of 4 lanes.
        let windows = |s: usize| -> ([__m256d; 3], [__m256d; 3]) {
            // SAFETY: 8- and 4-element constant arrays, s < 4.
            let (idx, ge, lt) = unsafe {
                (
                    _mm256_loadu_si256(ROT64[s].as_ptr().cast()),
                    _mm256_castsi256_pd(_mm256_loadu_si256(GE64[s].as_ptr().cast())),
                    _mm256_castsi256_pd(_mm256_loadu_si256(LT64[s].as_ptr().cast())),
                )
            };
            // lane k of rot(v) = v[(k - s) mod 4]
            let rot =
                |v: __m256d| _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), idx));
            let split = |lo: __m256d, hi: __m256d| {
                let (rl, rh) = (rot(lo), rot(hi));
                [
                    _mm256_and_pd(rl, ge),
                    _mm256_blendv_pd(rh, rl, lt),
                    _mm256_and_pd(rh, lt),
                ]
            };
            (split(wxl, wxh), split(mlo, mhi))
        };
        let mut cur = phase & 3;
        let (mut wv3, mut mv3) = windows(cur);
        for (r, &ly) in wy[..nrow.min(8)].iter().enumerate() {
            let s = (phase + r * dphase) & 3;
            if s != cur {
                cur = s;
                (wv3, mv3) = windows(s);
            }
            let lyv = _mm256_set1_pd(ly);
            // (l·ly)·w rounded to f32, as the scalar kernel; 0 in dead lanes.
            let dow = |b: usize| {
                let d4 = _mm256_cvtpd_ps(_mm256_and_pd(
                    _mm256_mul_pd(_mm256_mul_pd(wv3[b], lyv), wv),
                    mv3[b],
                ));
                (d4, _mm256_cvtps_pd(d4))
            };
            let a = p + r * nx - s;
            block(a, dow(0));
            if s + ncol > 4 {
                block(a + 4, dow(1));
            }
            if s + ncol > 8 {
                block(a + 8, dow(2));
            }
        }
    }

    /// See [`super::update_lanczos_run4`]: the output rows in groups of up to 4, the
    /// steps of a group's rows interleaved ([`lanczos_run4_rows`]).
    ///
    /// # Safety
    /// The CPU must support AVX2; `1 <= run.ncol <= 8`, `1 <= run.nrows <= RUN_ROWS`, and
    /// `run.p0 + r·nx + c` for `r < run.nrows`, `c < run.ncol + 3` within `sci`, `wht` and
    /// (when `CTX`) `ctx`.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn lanczos_run4_avx2<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        nx: usize,
        run: &LanczosRun,
        w: &[f64; 4],
        d: &[f32; 4],
    ) {
        let ptrs = (sci.as_mut_ptr(), wht.as_mut_ptr(), ctx.as_mut_ptr());
        let mut r0 = 0;
        while r0 < run.nrows {
            let ng = (run.nrows - r0).min(8);
            // SAFETY: AVX2 is available; rows `r0 .. r0 + ng` (at most `run.nrows`) of
            // the run, within the slices (the caller's guarantees).
            unsafe {
                match ng {
                    8 => lanczos_run4_rows::<CTX, 8>(ptrs, bit, nx, run, r0, w, d),
                    7 => lanczos_run4_rows::<CTX, 7>(ptrs, bit, nx, run, r0, w, d),
                    6 => lanczos_run4_rows::<CTX, 6>(ptrs, bit, nx, run, r0, w, d),
                    5 => lanczos_run4_rows::<CTX, 5>(ptrs, bit, nx, run, r0, w, d),
                    4 => lanczos_run4_rows::<CTX, 4>(ptrs, bit, nx, run, r0, w, d),
                    3 => lanczos_run4_rows::<CTX, 3>(ptrs, bit, nx, run, r0, w, d),
                    2 => lanczos_run4_rows::<CTX, 2>(ptrs, bit, nx, run, r0, w, d),
                    _ => lanczos_run4_rows::<CTX, 1>(ptrs, bit, nx, run, r0, w, d),
                }
            }
            r0 += ng;
        }
    }

    /// `FastSink::add` on four distinct output pixels with science `s4` and weight `vc4`,
    /// adding weights `dw4` (f32; `dw` the same as f64) with values `d4` (`dd` as f64), one
    /// pixel per lane: the new science and weight. Shared by [`update_outer8_avx2`] and the
    /// lanczos runs.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[inline(always)]
    unsafe fn mean4(
        s4: __m128,
        vc4: __m128,
        (dw4, dw): (__m128, __m256d),
        (d4, dd): (__m128, __m256d),
    ) -> (__m128, __m128) {
        // SAFETY: the caller guarantees AVX2.
        unsafe {
            let zero = _mm_setzero_ps();
            let vc = _mm256_cvtps_pd(vc4);
            let vcd = _mm256_add_pd(vc, dw);
            let num = _mm256_add_pd(
                _mm256_mul_pd(_mm256_cvtps_pd(s4), vc),
                _mm256_mul_pd(dw, dd),
            );
            let mean = _mm256_cvtpd_ps(_mm256_div_pd(num, vcd));
            // Masks (the sign bit is what blendv reads; an all-ones f64 mask converts to
            // an all-ones-sign f32 NaN). `dow == 0` is false for NaN (unordered: live),
            // `vc == 0` false for NaN.
            let live = _mm_cmpneq_ps(dw4, zero);
            let vc0 = _mm_cmpeq_ps(vc4, zero);
            // `vc + dow`, the sum of two f32, is a multiple of 2^-149: when it is not 0
            // its f32 rounding is not 0 either, so the test can be made in f32. When it
            // is 0 (the weights cancelled) it is +0 (round to nearest), the weight the
            // scalar update stores then. Its f32 rounding (`vcd as f32`) is the f32 sum:
            // rounding the f64 sum to f32 rounds the exact sum once more, which gives
            // the exact sum's f32 rounding since 53 >= 2 · 24 + 2 (double rounding is
            // innocuous for +, −, ×, ÷ then; Figueroa 1995).
            let vcd_s = _mm_add_ps(vc4, dw4);
            let vcd0 = _mm_cmpeq_ps(vcd_s, zero);
            // vc != 0, vc + dow == 0: the weights cancelled; weight 0, science kept.
            let cancel = _mm_andnot_ps(vc0, vcd0);
            let new_sci = _mm_blendv_ps(mean, d4, vc0);
            let sci_out = _mm_blendv_ps(s4, new_sci, _mm_andnot_ps(cancel, live));
            let wht_out = _mm_blendv_ps(vc4, vcd_s, live);
            (sci_out, wht_out)
        }
    }

    /// Rows `r0 .. r0 + NG` of [`lanczos_run4_avx2`] (a fixed count, so that the values
    /// carried from step to step stay in registers).
    ///
    /// # Safety
    /// The CPU must support AVX2; `1 <= run.ncol <= 8`, `r0 + NG <= run.nrows <=
    /// RUN_ROWS`, and `run.p0 + r·nx + c` for `r < run.nrows`, `c < run.ncol + 3` within
    /// the slices `sp`, `wp` and (when `CTX`) `cp` point into.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn lanczos_run4_rows<const CTX: bool, const NG: usize>(
        (sp, wp, cp): (*mut f32, *mut f32, *mut i32),
        bit: i32,
        nx: usize,
        run: &LanczosRun,
        r0: usize,
        w: &[f64; 4],
        d: &[f32; 4],
    ) {
        let zero = _mm_setzero_ps();
        let bits = _mm_castsi128_ps(_mm_set1_epi32(bit));
        // SAFETY: 4-element arrays.
        let (d4, wv) = unsafe { (_mm_loadu_ps(d.as_ptr()), _mm256_loadu_pd(w.as_ptr())) };
        let dd = _mm256_cvtps_pd(d4);
        // `add` on 4 pixels with science `s4`, weight `vc4`, adding `dw4` (f32) = `dw`
        // (f64): the operations of `update_outer8_avx2`'s blocks, a value per lane.
        // SAFETY (of the call): AVX2 (this function's contract).
        let mean = |s4: __m128, vc4: __m128, dw4: __m128, dw: __m256d| unsafe {
            mean4(s4, vc4, (dw4, dw), (d4, dd))
        };
        // Lanes one up (lane 0 from `lo`'s lane 0), and lane 3 down to lane 0.
        let up = |v: __m128, lo: __m128| {
            _mm_move_ss(
                _mm_castsi128_ps(_mm_slli_si128::<4>(_mm_castps_si128(v))),
                lo,
            )
        };
        let top = |v: __m128| _mm_permute_ps::<0xFF>(v);
        let ncol = run.ncol;
        let f = run.feet;
        // The lanes are put together in registers from the footprints (gathered, not
        // written to memory and loaded as vectors: a load of several recent stores waits
        // until they have reached the cache, i.e. until the previous run has finished).
        // The footprints as f64 words: pixel k's y taps from word `k·FW + LY` on.
        const FW: i64 = (std::mem::size_of::<crate::kernels::LanczosFoot>() / 8) as i64;
        const LY: i64 = (std::mem::offset_of!(crate::kernels::LanczosFoot, ly) / 8) as i64;
        let fp = f.as_ptr().cast::<f64>();
        let first = _mm256_set_epi64x(3 * FW + LY, 2 * FW + LY, FW + LY, LY);
        let off = _mm256_set_epi64x(
            run.off[3] as i64,
            run.off[2] as i64,
            run.off[1] as i64,
            run.off[0] as i64,
        );
        let nrow = _mm256_set_epi64x(
            f[3].nrow as i64,
            f[2].nrow as i64,
            f[1].nrow as i64,
            f[0].nrow as i64,
        );
        // Row r0 + g: pixel k's tap of that row (its footprint row `t = r0 + g − off[k]`),
        // all ones where its footprint has it (`0 <= t < nrow[k]`), else 0.
        let row = |g: usize| -> (__m256d, __m256d) {
            let t = _mm256_sub_epi64(_mm256_set1_epi64x((r0 + g) as i64), off);
            let inside = _mm256_castsi256_pd(_mm256_and_si256(
                _mm256_cmpgt_epi64(t, _mm256_set1_epi64x(-1)),
                _mm256_cmpgt_epi64(nrow, t),
            ));
            // SAFETY: only the lanes inside are read: word `k·FW + LY + t`, `0 <= t <
            // nrow[k] <= 8` (the caller's guarantee), y tap t of footprint k < 4.
            let ly = unsafe {
                _mm256_mask_i64gather_pd::<8>(
                    _mm256_setzero_pd(),
                    fp,
                    _mm256_add_epi64(first, t),
                    inside,
                )
            };
            (ly, inside)
        };
        let mut ly = [_mm256_setzero_pd(); NG];
        let mut msk = [_mm256_setzero_pd(); NG];
        // (A plain loop: closures passed to `from_fn` or `map` are not inlined here.)
        for g in 0..NG {
            (ly[g], msk[g]) = row(g);
        }
        let mut s = [zero; NG];
        let mut vc = [zero; NG];
        let mut c = [zero; NG];
        for m in (0..ncol).rev() {
            let lx = _mm256_set_pd(f[3].lx[m], f[2].lx[m], f[1].lx[m], f[0].lx[m]);
            for g in 0..NG {
                // (l·ly)·w rounded to f32, as the scalar kernel; 0 where pixel k's
                // footprint misses the row.
                let dw4 = _mm256_cvtpd_ps(_mm256_and_pd(
                    _mm256_mul_pd(_mm256_mul_pd(lx, ly[g]), wv),
                    msk[g],
                ));
                let dw = _mm256_cvtps_pd(dw4);
                let q = run.p0 + (r0 + g) * nx + m;
                // SAFETY: `q .. q + 4` is within the slices (`m + 3 < ncol + 3`: the
                // caller's guarantee).
                unsafe {
                    let (s_in, vc_in) = if m + 1 == ncol {
                        (_mm_loadu_ps(sp.add(q)), _mm_loadu_ps(wp.add(q)))
                    } else {
                        (
                            up(s[g], _mm_load_ss(sp.add(q))),
                            up(vc[g], _mm_load_ss(wp.add(q))),
                        )
                    };
                    (s[g], vc[g]) = mean(s_in, vc_in, dw4, dw);
                    if m > 0 {
                        _mm_store_ss(sp.add(q + 3), top(s[g]));
                        _mm_store_ss(wp.add(q + 3), top(vc[g]));
                    } else {
                        _mm_storeu_ps(sp.add(q), s[g]);
                        _mm_storeu_ps(wp.add(q), vc[g]);
                    }
                    if CTX {
                        // (The context words as f32 bit patterns: only moved and or-ed.)
                        let add = _mm_and_ps(_mm_cmpgt_ps(dw4, zero), bits);
                        let cq = cp.add(q).cast::<f32>();
                        let c_in = if m + 1 == ncol {
                            _mm_loadu_ps(cq)
                        } else {
                            up(c[g], _mm_load_ss(cq))
                        };
                        c[g] = _mm_or_ps(c_in, add);
                        if m > 0 {
                            _mm_store_ss(cq.add(3), top(c[g]));
                        } else {
                            _mm_storeu_ps(cq, c[g]);
                        }
                    }
                }
            }
        }
    }

    /// [`lanczos_run4_avx2`] with AVX-512: two output rows per vector (the f64 arithmetic
    /// of 8 lanes in one 512-bit register, the f32 values in one 256-bit register, row
    /// `2i` in lanes 0–3 and row `2i + 1` in lanes 4–7), `add`'s branches as mask
    /// registers instead of blends. The same operations per lane: the same bits.
    ///
    /// # Safety
    /// The CPU must support AVX2, AVX-512 F and AVX-512 VL; `1 <= run.ncol <= 8`, `1 <=
    /// run.nrows <= RUN_ROWS`, and `run.p0 + r·nx + c` for `r < run.nrows`, `c < run.ncol
    /// + 3` within `sci`, `wht` and (when `CTX`) `ctx`.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,avx512f,avx512vl")]
    #[inline]
    pub(super) unsafe fn lanczos_run4_avx512<const CTX: bool>(
        sci: &mut [f32],
        wht: &mut [f32],
        ctx: &mut [i32],
        bit: i32,
        nx: usize,
        run: &LanczosRun,
        w: &[f64; 4],
        d: &[f32; 4],
    ) {
        let ptrs = (sci.as_mut_ptr(), wht.as_mut_ptr(), ctx.as_mut_ptr());
        let mut r0 = 0;
        while r0 < run.nrows {
            let ng = (run.nrows - r0).min(8);
            // SAFETY: AVX2, AVX-512 F and VL are available; rows `r0 .. r0 + ng` (at most
            // `run.nrows`) of the run, within the slices (the caller's guarantees).
            unsafe {
                match ng {
                    8 => lanczos_run4_rows512::<CTX, 4, 8>(ptrs, bit, nx, run, r0, w, d),
                    7 => lanczos_run4_rows512::<CTX, 4, 7>(ptrs, bit, nx, run, r0, w, d),
                    6 => lanczos_run4_rows512::<CTX, 3, 6>(ptrs, bit, nx, run, r0, w, d),
                    5 => lanczos_run4_rows512::<CTX, 3, 5>(ptrs, bit, nx, run, r0, w, d),
                    4 => lanczos_run4_rows512::<CTX, 2, 4>(ptrs, bit, nx, run, r0, w, d),
                    3 => lanczos_run4_rows512::<CTX, 2, 3>(ptrs, bit, nx, run, r0, w, d),
                    2 => lanczos_run4_rows512::<CTX, 1, 2>(ptrs, bit, nx, run, r0, w, d),
                    _ => lanczos_run4_rows512::<CTX, 1, 1>(ptrs, bit, nx, run, r0, w, d),
                }
            }
            r0 += ng;
        }
    }

    /// Rows `r0 .. r0 + NG` of [`lanczos_run4_avx512`] in `NP = ⌈NG / 2⌉` pairs (fixed
    /// counts, so that the values carried from step to step stay in registers). A pair's
    /// second row exists only when `2i + 1 < NG`; else its lanes are never loaded or
    /// stored and their taps are masked off.
    ///
    /// # Safety
    /// The CPU must support AVX2, AVX-512 F and AVX-512 VL; `NP = ⌈NG / 2⌉`, `1 <=
    /// run.ncol <= 8`, `r0 + NG <= run.nrows <= RUN_ROWS`, and `run.p0 + r·nx + c` for
    /// `r < run.nrows`, `c < run.ncol + 3` within the slices `sp`, `wp` and (when `CTX`)
    /// `cp` point into.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,avx512f,avx512vl")]
    #[inline]
    unsafe fn lanczos_run4_rows512<const CTX: bool, const NP: usize, const NG: usize>(
        (sp, wp, cp): (*mut f32, *mut f32, *mut i32),
        bit: i32,
        nx: usize,
        run: &LanczosRun,
        r0: usize,
        w: &[f64; 4],
        d: &[f32; 4],
    ) {
        let zero = _mm256_setzero_ps();
        let bits = _mm256_set1_epi32(bit);
        // SAFETY: 4-element arrays.
        let (d4, w4) = unsafe { (_mm_loadu_ps(d.as_ptr()), _mm256_loadu_pd(w.as_ptr())) };
        let d8 = _mm256_set_m128(d4, d4);
        let dd = _mm512_cvtps_pd(d8);
        let wv = _mm512_broadcast_f64x4(w4);
        // `add` on 8 pixels (two rows of 4) with science `s8`, weight `vc8`, adding `dw8`
        // (f32) = `dw` (f64): `mean4`'s operations per lane. Its blends: the weight is
        // `vc + dow` where `dow != 0` (NaN included), else `vc`; the science is `d` where
        // `dow != 0` and `vc == 0`, the mean where `dow != 0`, `vc != 0` and `vc + dow !=
        // 0` (the f32 sum, see `mean4`), else `s`.
        let mean = |s8: __m256, vc8: __m256, dw8: __m256, dw: __m512d| -> (__m256, __m256) {
            let vc = _mm512_cvtps_pd(vc8);
            let vcd = _mm512_add_pd(vc, dw);
            let num = _mm512_add_pd(
                _mm512_mul_pd(_mm512_cvtps_pd(s8), vc),
                _mm512_mul_pd(dw, dd),
            );
            let quot = _mm512_div_pd(num, vcd);
            let live = _mm256_cmp_ps_mask::<_CMP_NEQ_UQ>(dw8, zero);
            let vc0 = _mm256_cmp_ps_mask::<_CMP_EQ_OQ>(vc8, zero);
            let wht_out = _mm256_mask_add_ps(vc8, live, vc8, dw8);
            let vcd0 = _mm256_cmp_ps_mask::<_CMP_EQ_OQ>(wht_out, zero);
            let take_mean = live & !(vc0 | vcd0);
            let sci_out =
                _mm256_mask_blend_ps(live & vc0, _mm512_mask_cvtpd_ps(s8, take_mean, quot), d8);
            (sci_out, wht_out)
        };
        // Lanes one up within each row (lane 0 of each row from `lo`).
        let up = |v: __m256, lo: __m256| {
            _mm256_blend_ps::<0x11>(
                _mm256_castsi256_ps(_mm256_slli_si256::<4>(_mm256_castps_si256(v))),
                lo,
            )
        };
        // Two rows' scalars at `a` (lane 0) and `b` (lane 4; only when `hi`).
        // SAFETY (of the calls): the callers pass pixels within the slices.
        let two = |a: *const f32, b: *const f32, hi: bool| unsafe {
            let l = _mm256_castps128_ps256(_mm_load_ss(a));
            if hi {
                _mm256_insertf128_ps::<1>(l, _mm_load_ss(b))
            } else {
                l
            }
        };
        let quad = |a: *const f32, b: *const f32, hi: bool| unsafe {
            let l = _mm256_castps128_ps256(_mm_loadu_ps(a));
            if hi {
                _mm256_insertf128_ps::<1>(l, _mm_loadu_ps(b))
            } else {
                l
            }
        };
        // Lane 3 of each row to `a` and (when `hi`) `b`.
        let put_top = |a: *mut f32, b: *mut f32, v: __m256, hi: bool| unsafe {
            let t = _mm256_permute_ps::<0xFF>(v);
            _mm_store_ss(a, _mm256_castps256_ps128(t));
            if hi {
                _mm_store_ss(b, _mm256_extractf128_ps::<1>(t));
            }
        };
        let put_quad = |a: *mut f32, b: *mut f32, v: __m256, hi: bool| unsafe {
            _mm_storeu_ps(a, _mm256_castps256_ps128(v));
            if hi {
                _mm_storeu_ps(b, _mm256_extractf128_ps::<1>(v));
            }
        };
        let ncol = run.ncol;
        let f = run.feet;
        // The y taps gathered as in `lanczos_run4_rows`, 8 lanes: pixel k's tap of row
        // r0 + 2i (lane k) and r0 + 2i + 1 (lane 4 + k), the mask bit set where its
        // footprint has the row (`0 <= t < nrow[k]`, and the row is one of the NG).
        const FW: i64 = (std::mem::size_of::<crate::kernels::LanczosFoot>() / 8) as i64;
        const LY: i64 = (std::mem::offset_of!(crate::kernels::LanczosFoot, ly) / 8) as i64;
        let fp = f.as_ptr().cast::<f64>();
        let first = _mm512_set_epi64(
            3 * FW + LY,
            2 * FW + LY,
            FW + LY,
            LY,
            3 * FW + LY,
            2 * FW + LY,
            FW + LY,
            LY,
        );
        let (o, n) = (
            run.off.map(|v| v as i64),
            f.each_ref().map(|v| v.nrow as i64),
        );
        // Row offset within the pair minus the footprint's first row.
        let off = _mm512_set_epi64(
            o[3] - 1,
            o[2] - 1,
            o[1] - 1,
            o[0] - 1,
            o[3],
            o[2],
            o[1],
            o[0],
        );
        let nrow = _mm512_set_epi64(n[3], n[2], n[1], n[0], n[3], n[2], n[1], n[0]);
        let mut ly = [_mm512_setzero_pd(); NP];
        let mut msk = [0 as __mmask8; NP];
        for i in 0..NP {
            let t = _mm512_sub_epi64(_mm512_set1_epi64((r0 + 2 * i) as i64), off);
            let rows: __mmask8 = if 2 * i + 1 < NG { 0xFF } else { 0x0F };
            let inside = rows
                & _mm512_cmpgt_epi64_mask(t, _mm512_set1_epi64(-1))
                & _mm512_cmpgt_epi64_mask(nrow, t);
            // SAFETY: only the lanes inside are read: word `k·FW + LY + t`, `0 <= t <
            // nrow[k] <= 8` (the caller's guarantee), y tap t of footprint k < 4.
            ly[i] = unsafe {
                _mm512_mask_i64gather_pd::<8>(
                    _mm512_setzero_pd(),
                    inside,
                    _mm512_add_epi64(first, t),
                    fp,
                )
            };
            msk[i] = inside;
        }
        let mut s = [zero; NP];
        let mut vc = [zero; NP];
        let mut c = [zero; NP];
        for m in (0..ncol).rev() {
            let lx = _mm512_broadcast_f64x4(_mm256_set_pd(
                f[3].lx[m], f[2].lx[m], f[1].lx[m], f[0].lx[m],
            ));
            for i in 0..NP {
                let hi = 2 * i + 1 < NG;
                // (l·ly)·w rounded to f32, as the scalar kernel; +0 where pixel k's
                // footprint misses the row (as `lanczos_run4_rows`' and-mask).
                let dw8 =
                    _mm512_cvtpd_ps(_mm512_maskz_mul_pd(msk[i], _mm512_mul_pd(lx, ly[i]), wv));
                let dw = _mm512_cvtps_pd(dw8);
                let q = run.p0 + (r0 + 2 * i) * nx + m;
                // SAFETY: `q .. q + 4` and, when `hi` (row `r0 + 2i + 1 < r0 + NG`), `q +
                // nx .. q + nx + 4` are within the slices (`m + 3 < ncol + 3`: the
                // caller's guarantee).
                unsafe {
                    let (s_in, vc_in) = if m + 1 == ncol {
                        (
                            quad(sp.add(q), sp.add(q + nx), hi),
                            quad(wp.add(q), wp.add(q + nx), hi),
                        )
                    } else {
                        (
                            up(s[i], two(sp.add(q), sp.add(q + nx), hi)),
                            up(vc[i], two(wp.add(q), wp.add(q + nx), hi)),
                        )
                    };
                    (s[i], vc[i]) = mean(s_in, vc_in, dw8, dw);
                    if m > 0 {
                        put_top(sp.add(q + 3), sp.add(q + nx + 3), s[i], hi);
                        put_top(wp.add(q + 3), wp.add(q + nx + 3), vc[i], hi);
                    } else {
                        put_quad(sp.add(q), sp.add(q + nx), s[i], hi);
                        put_quad(wp.add(q), wp.add(q + nx), vc[i], hi);
                    }
                    if CTX {
                        // (The context words as f32 bit patterns: only moved and or-ed.)
                        let gt = _mm256_cmp_ps_mask::<_CMP_GT_OQ>(dw8, zero);
                        let cq = cp.add(q).cast::<f32>();
                        let c_in = if m + 1 == ncol {
                            quad(cq, cq.add(nx), hi)
                        } else {
                            up(c[i], two(cq, cq.add(nx), hi))
                        };
                        let ci = _mm256_castps_si256(c_in);
                        c[i] = _mm256_castsi256_ps(_mm256_mask_or_epi32(ci, gt, ci, bits));
                        if m > 0 {
                            put_top(cq.add(3), cq.add(nx + 3), c[i], hi);
                        } else {
                            put_quad(cq, cq.add(nx), c[i], hi);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drizzle::FastSink;
    use crate::kernels::{Clip, KernelParams, Sink};
    use crate::options::Kernel;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// A sink passing `add` through (so `add_outer8` is its default, one `add` at a time).
    struct OneByOne<'s, 'a, const CTX: bool>(&'s mut FastSink<'a, CTX>);
    impl<const CTX: bool> Sink for OneByOne<'_, '_, CTX> {
        fn add(&mut self, ii: usize, jj: usize, dow: f32) {
            self.0.add(ii, jj, dow);
        }
    }

    use crate::kernels::Rec;

    /// (Which NaN an operation on two NaNs returns is not specified by Rust; NaN weights
    /// only come from a user's initial output.)
    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter()
            .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
            .collect()
    }

    /// Output science, weight (zero, negative and positive) and context of `n` pixels for
    /// the update tests, with one NaN science and one NaN weight when `nan`.
    fn random_outputs(rng: &mut StdRng, n: usize, nan: bool) -> (Vec<f32>, Vec<f32>, Vec<i32>) {
        let mut sci: Vec<f32> = (0..n).map(|_| rng.random_range(-5.0f32..5.0)).collect();
        let mut wht: Vec<f32> = (0..n)
            .map(|_| match rng.random_range(0..6) {
                0 | 1 => 0.0,
                2 => -rng.random_range(0.1f32..2.0),
                _ => rng.random_range(0.0f32..3.0),
            })
            .collect();
        let ctx: Vec<i32> = (0..n).map(|_| rng.random_range(0..4)).collect();
        if nan {
            sci[rng.random_range(0..n)] = f32::NAN;
            wht[rng.random_range(0..n)] = f32::NAN;
        }
        (sci, wht, ctx)
    }

    fn outer_matches_adds<const CTX: bool>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let pick = |rng: &mut StdRng| -> f64 {
            match rng.random_range(0..10) {
                0 => 0.0,
                1 => -0.0,
                2 => -rng.random_range(0.1..2.0),
                3 => 1e-30,
                _ => rng.random_range(0.0..3.0),
            }
        };
        for round in 0..3000 {
            let nx = rng.random_range(1..24usize);
            let ny = rng.random_range(1..12usize);
            let r0 = rng.random_range(0..ny);
            let n = nx * ny;
            let base = r0 * nx;
            let (sci0, mut wht0, ctx0) = random_outputs(&mut rng, n, round % 50 == 0);
            // a footprint inside rows r0..ny, columns 0..nx (clipped like the kernel)
            let ii = rng.random_range(0..nx);
            let jj = rng.random_range(r0..ny);
            let ncol = rng.random_range(1..=8usize).min(nx - ii);
            let nrow = rng.random_range(1..=8usize).min(ny - jj);
            let mut wx = [0.0f64; 8];
            let mut wy = [0.0f64; 8];
            for v in wx.iter_mut().chain(wy.iter_mut()) {
                *v = pick(&mut rng);
            }
            if round % 7 == 0 {
                // lanes beyond the footprint hold garbage: they must be ignored
                for v in wx[ncol..].iter_mut() {
                    *v = [1.0, f64::NAN, f64::INFINITY][round % 3];
                }
            }
            let w = if round % 5 == 0 {
                -1.5
            } else {
                rng.random_range(0.1..4.0)
            };
            if round % 3 == 0 {
                // weights cancelling the pixel's own
                let (c, r) = (rng.random_range(0..ncol), rng.random_range(0..nrow));
                wht0[(jj + r) * nx + ii + c] = -((wx[c] * wy[r] * w) as f32);
            }
            let d = rng.random_range(-10.0f32..10.0);
            let run = |outer: bool| {
                let (mut sci, mut wht, mut ctx) = (sci0.clone(), wht0.clone(), ctx0.clone());
                let mut s = FastSink::<CTX> {
                    sci: &mut sci[base..],
                    wht: &mut wht[base..],
                    ctx: if CTX { &mut ctx[base..] } else { &mut [] },
                    base,
                    nx,
                    bit: 8,
                    d,
                    f32_mean: false,
                };
                if outer {
                    s.add_outer8(ii, jj, (ncol, nrow), &wx, &wy, w);
                } else {
                    OneByOne(&mut s).add_outer8(ii, jj, (ncol, nrow), &wx, &wy, w);
                }
                (bits(&sci), bits(&wht), ctx)
            };
            assert_eq!(
                run(true),
                run(false),
                "round {round}: {ncol}×{nrow} at {ii},{jj} of {nx}×{ny} from row {r0}"
            );
        }
    }

    /// `FastSink::add_outer8` (AVX2 where available) gives the bits of one `add` per
    /// pixel: random, zero, negative, cancelling and NaN values, footprints at the edges
    /// of the slices (scalar fallback) and in the middle.
    #[test]
    fn add_outer8_matches_adds() {
        outer_matches_adds::<true>(11);
        outer_matches_adds::<false>(12);
    }

    fn run4_matches_adds<const CTX: bool>(seed: u64, wide: bool) -> usize {
        let mut rng = StdRng::seed_from_u64(seed);
        let pick = |rng: &mut StdRng| -> f64 {
            match rng.random_range(0..12) {
                0 => 0.0,
                1 => -0.0,
                2 => -rng.random_range(0.1..2.0),
                3 => 1e-30,
                _ => rng.random_range(0.0..3.0),
            }
        };
        let mut vector = 0;
        for round in 0..4000 {
            let ncol = rng.random_range(1..=8usize);
            let nx = rng.random_range(ncol + 3..40usize);
            let ny = rng.random_range(1..16usize);
            let r0 = rng.random_range(0..ny);
            let n = nx * ny;
            let base = r0 * nx;
            let (sci0, mut wht0, ctx0) = random_outputs(&mut rng, n, round % 50 == 0);
            // four footprints stepping one column (most of the time), rows within
            // r0..ny, some rows apart
            let ii0 = rng.random_range(0..=nx - ncol - 3);
            let jj0 = rng.random_range(r0..ny);
            let mut feet = [kernels::LanczosFoot::EMPTY; 4];
            let mut ws = [0.0f64; 4];
            let mut ds = [0.0f32; 4];
            for (k, f) in feet.iter_mut().enumerate() {
                let jj = (jj0 + rng.random_range(0..3)).min(ny - 1);
                f.ii = ii0 + k;
                if round % 41 == 0 && k == 2 {
                    f.ii += 1; // not a run
                }
                f.jj = jj;
                f.ncol = ncol;
                f.nrow = rng.random_range(1..=8usize).min(ny - jj);
                for v in f.lx.iter_mut().chain(f.ly.iter_mut()) {
                    *v = pick(&mut rng);
                }
                if round % 7 == 0 {
                    // taps beyond the footprint hold garbage: they must be ignored
                    let g = [1.0, f64::NAN, f64::INFINITY][round % 3];
                    f.lx[ncol..].fill(g);
                    f.ly[f.nrow..].fill(g);
                }
                ws[k] = match rng.random_range(0..8) {
                    0 => -1.5,
                    1 if round % 9 == 0 => [f64::INFINITY, f64::NAN][round % 2],
                    _ => rng.random_range(0.1..4.0),
                };
                ds[k] = rng.random_range(-10.0f32..10.0);
            }
            if round % 3 == 0 {
                // weights cancelling the first pixel's own
                let f = &feet[0];
                let (c, r) = (rng.random_range(0..ncol), rng.random_range(0..f.nrow));
                wht0[(f.jj + r) * nx + f.ii + c] = -((f.lx[c] * f.ly[r] * ws[0]) as f32);
            }
            let (mut sci, mut wht, mut ctx) = (sci0.clone(), wht0.clone(), ctx0.clone());
            let (s, w, c) = (&mut sci[base..], &mut wht[base..], &mut ctx[base..]);
            let c: &mut [i32] = if CTX { c } else { &mut [] };
            let run = (&ws, &ds);
            if !update_lanczos_run4_with::<CTX>(s, w, c, 8, (base, nx), &feet, run, wide) {
                continue;
            }
            vector += 1;
            let (mut sci1, mut wht1, mut ctx1) = (sci0.clone(), wht0.clone(), ctx0.clone());
            let mut s = FastSink::<CTX> {
                sci: &mut sci1[base..],
                wht: &mut wht1[base..],
                ctx: if CTX { &mut ctx1[base..] } else { &mut [] },
                base,
                nx,
                bit: 8,
                d: 0.0,
                f32_mean: false,
            };
            for (k, f) in feet.iter().enumerate() {
                s.d = ds[k];
                OneByOne(&mut s).add_outer8(f.ii, f.jj, (f.ncol, f.nrow), &f.lx, &f.ly, ws[k]);
            }
            assert_eq!(
                (bits(&sci), bits(&wht), ctx),
                (bits(&sci1), bits(&wht1), ctx1),
                "round {round}: {ncol} columns at {ii0},{jj0} of {nx}×{ny} from row {r0}"
            );
        }
        vector
    }

    /// `update_lanczos_run4` (its AVX2 form) gives the bits of one `add` per pixel and
    /// footprint pixel, in input order: random, zero, negative, cancelling, NaN and
    /// infinite values, taps beyond the footprints, footprints a few rows apart, runs at
    /// the slices' ends.
    #[test]
    fn lanczos_run4_matches_pixel_adds() {
        let a = run4_matches_adds::<true>(21, false);
        let b = run4_matches_adds::<false>(22, false);
        if crate::simd::avx2_available() {
            assert!(a > 1000 && b > 1000, "vector runs: {a}, {b}");
        }
    }

    /// The AVX-512 form of `update_lanczos_run4` gives the same bits as one `add` per
    /// pixel (hence as the AVX2 form, tested above on the same runs): the same random
    /// runs and special cases, 1 to 10 rows (odd row counts: a pair's second row absent).
    #[test]
    fn lanczos_run4_avx512_matches_pixel_adds() {
        if !crate::simd::avx512_available() {
            println!("SKIP lanczos_run4_avx512_matches_pixel_adds: no AVX-512 F/VL on this CPU");
            return;
        }
        for seed in [21, 23] {
            let a = run4_matches_adds::<true>(seed, true);
            let b = run4_matches_adds::<false>(seed + 1, true);
            assert!(a > 1000 && b > 1000, "vector runs: {a}, {b}");
        }
    }

    /// The vector taps are the scalar ones, bit for bit.
    #[test]
    fn lanczos_taps_match_scalar() {
        let mut rng = StdRng::seed_from_u64(5);
        let full = match KernelParams::new(Kernel::Lanczos3, 1.0, 1.0) {
            KernelParams::Lanczos { lut, .. } => lut,
            _ => unreachable!(),
        };
        for round in 0..20000 {
            // short tables put some taps outside
            let lut: &[f64] = if round % 3 == 0 {
                &full[..rng.random_range(1..full.len())]
            } else {
                &full
            };
            let sdp = rng.random_range(50.0..700.0);
            let ox: f64 = rng.random_range(-20.0..3000.0);
            let oy: f64 = rng.random_range(-20.0..3000.0);
            let i0 = ox.floor() as i64 - rng.random_range(0..5);
            let j0 = oy.floor() as i64 - rng.random_range(0..5);
            let (ncol, nrow) = (rng.random_range(0..=8usize), rng.random_range(0..=8usize));
            let a = lanczos_taps((ox, i0, ncol), (oy, j0, nrow), sdp, lut);
            let b = lanczos_taps_scalar((ox, i0, ncol), (oy, j0, nrow), sdp, lut);
            let tb = |v: [f64; 8]| v.map(f64::to_bits);
            assert_eq!((tb(a.0), tb(a.1)), (tb(b.0), tb(b.1)), "round {round}");
        }
    }

    /// `kernels::lanczos` (footprints up to 8 × 8 in one `add_outer8`) makes the
    /// contributions of the general loops (`lanczos_large`), in the same order: clipped
    /// footprints, both orders, pixel scales that make them larger than 8 × 8.
    #[test]
    fn lanczos_matches_general_loops() {
        let mut rng = StdRng::seed_from_u64(9);
        for round in 0..4000 {
            let kernel = if round % 2 == 0 {
                Kernel::Lanczos3
            } else {
                Kernel::Lanczos2
            };
            let psr = [1.0, 0.8, 1.3, 0.45][round % 4];
            let KernelParams::Lanczos { pfo, sdp, lut } = KernelParams::new(kernel, 1.0, psr)
            else {
                unreachable!()
            };
            let clip = Clip {
                r0: rng.random_range(0..10),
                r1: rng.random_range(10..30),
                nx: rng.random_range(1..30),
            };
            let ox = rng.random_range(-8.0..38.0);
            let oy = rng.random_range(-8.0..38.0);
            let w = rng.random_range(-2.0..3.0);
            let mut a = Rec(Vec::new());
            kernels::lanczos(ox, oy, pfo, sdp, &lut, w, clip, &mut a);
            let mut b = Rec(Vec::new());
            kernels::lanczos_large(ox, oy, pfo, sdp, &lut, w, clip, &mut b);
            assert_eq!(a.0, b.0, "round {round}: ({ox}, {oy}) psr {psr}");
        }
    }
}

#[cfg(test)]
mod turbo_tests {
    use super::*;
    use crate::kernels::{Clip, Sink, turbo};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use crate::kernels::Rec;

    /// `TurboBlock::fill` (AVX2 where available) marks the same pixels as the scalar
    /// fill, with the same values, and those give `kernels::turbo`'s contributions: random
    /// centres, NaN, boxes clipped at every edge, zero and negative weights, wide boxes.
    #[test]
    fn turbo_block_matches_scalar_kernel() {
        let mut rng = StdRng::seed_from_u64(21);
        let mut claimed = 0usize;
        for round in 0..3000 {
            let clip = Clip {
                r0: rng.random_range(0..6),
                r1: rng.random_range(6..20),
                nx: rng.random_range(1..20),
            };
            let pfo = [0.4, 0.25, 0.49, 0.5, 0.7][round % 5];
            let ac = rng.random_range(0.5..3.0);
            let mut xs = [0.0f64; TURBO_BLOCK];
            let mut ys = [0.0f64; TURBO_BLOCK];
            let mut ws = [0.0f64; TURBO_BLOCK];
            for q in 0..TURBO_BLOCK {
                xs[q] = rng.random_range(-3.0..23.0);
                ys[q] = rng.random_range(-3.0..23.0);
                if rng.random_range(0..4) == 0 {
                    // on half-pixel boundaries (nint ties)
                    xs[q] = (xs[q] * 2.0).round() / 2.0 + pfo;
                    ys[q] = (ys[q] * 2.0).round() / 2.0 - pfo;
                }
                ws[q] = match rng.random_range(0..6) {
                    0 => 0.0,
                    1 => -rng.random_range(0.1..2.0),
                    _ => rng.random_range(0.1..2.0),
                };
            }
            if round % 9 == 0 {
                xs[round % TURBO_BLOCK] = f64::NAN;
                ys[(round + 5) % TURBO_BLOCK] = f64::NAN;
            }
            let mut a = TurboBlock::new();
            a.fill(&xs, &ys, &ws, (pfo, ac), clip);
            let mut b = TurboBlock::new();
            b.fill_scalar(&xs, &ys, &ws, (pfo, ac), clip);
            // (A NaN centre is never marked by the vector fill; the scalar fill may mark
            // it, as `turbo` adds it: the pixel then goes to `turbo` itself, same bits.)
            let finite = (0..TURBO_BLOCK)
                .filter(|&q| xs[q].is_finite() && ys[q].is_finite())
                .fold(0u64, |m, q| m | 1 << q);
            assert_eq!(a.fast & !b.fast, 0, "round {round}");
            assert_eq!(a.fast, b.fast & finite, "round {round}");
            for q in 0..TURBO_BLOCK {
                if a.fast >> q & 1 == 0 {
                    continue;
                }
                claimed += 1;
                let (ii, jj, d) = a.get(q);
                assert_eq!((ii, jj, d.map(f32::to_bits)), {
                    let (i2, j2, d2) = b.get(q);
                    (i2, j2, d2.map(f32::to_bits))
                });
                let mut got = Rec(Vec::new());
                got.add(ii, jj, d[0]);
                got.add(ii + 1, jj, d[1]);
                got.add(ii, jj + 1, d[2]);
                got.add(ii + 1, jj + 1, d[3]);
                let mut want = Rec(Vec::new());
                turbo(xs[q], ys[q], pfo, ac, ws[q], clip, &mut want);
                assert_eq!(got.0, want.0, "round {round} pixel {q}");
            }
        }
        assert!(claimed > 3_000, "{claimed}");
    }
}

#[cfg(test)]
mod point_tests {
    use super::*;
    use crate::kernels::Clip;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// `PointBlock::fill` (AVX2 where available) gives the scalar fill's values, bit for
    /// bit: random centres, nint ties, NaN and infinite centres (one coordinate or both),
    /// huge centres, non-finite, zero, negative, tiny and huge data and weights, with and
    /// without a weight map, centres outside `[lo, hi]` and the clip region.
    #[test]
    fn point_block_matches_scalar() {
        let mut rng = StdRng::seed_from_u64(33);
        let mut live = 0usize;
        for round in 0..4000 {
            let clip = Clip {
                r0: rng.random_range(0..6),
                r1: rng.random_range(6..20),
                nx: rng.random_range(1..20),
            };
            let lo = clip.r0 as f64 - 0.5 - rng.random_range(0.0..2.0);
            let hi = clip.r1 as f64 - 0.5 + rng.random_range(-1.0..2.0);
            let pp = PointParams {
                iscale: [1.0, 0.37, 2.5e-3][round % 3],
                wt_scl: [1.0, 0.8, -1.5, 1e-300][round % 4],
                lo,
                hi,
                clip,
            };
            let odd = |rng: &mut StdRng, v: f64| match rng.random_range(0..40) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => f64::NEG_INFINITY,
                3 => 1e19,
                4 => -1e19,
                5 => 2_251_799_813_685_248.5,
                6 => (v * 2.0).round() / 2.0,
                _ => v,
            };
            let mut xs = [0.0f64; POINT_BLOCK];
            let mut ys = [0.0f64; POINT_BLOCK];
            let mut data = [0.0f32; POINT_BLOCK];
            let mut wm = [0.0f32; POINT_BLOCK];
            for q in 0..POINT_BLOCK {
                let x = rng.random_range(-3.0..23.0);
                xs[q] = odd(&mut rng, x);
                let y = rng.random_range(-3.0..23.0);
                ys[q] = odd(&mut rng, y);
                data[q] = match rng.random_range(0..20) {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => 3e38,
                    3 => 0.0,
                    _ => rng.random_range(-100.0f32..1000.0),
                };
                wm[q] = match rng.random_range(0..20) {
                    0 => f32::NAN,
                    1 => f32::NEG_INFINITY,
                    2 => 0.0,
                    3 => -rng.random_range(0.1f32..2.0),
                    4 => 1e-40,
                    _ => rng.random_range(0.0f32..3.0),
                };
            }
            let wts = if round % 2 == 0 { Some(&wm[..]) } else { None };
            let mut a = PointBlock::new();
            a.fill(&xs, &ys, &data, wts, pp);
            let mut b = PointBlock::new();
            b.fill_scalar(&xs, &ys, &data, wts, pp);
            live += b.dow.iter().filter(|&&d| d != 0.0).count();
            assert_eq!(
                a.dow.map(f32::to_bits),
                b.dow.map(f32::to_bits),
                "round {round}"
            );
            assert_eq!(
                a.ds.map(f32::to_bits),
                b.ds.map(f32::to_bits),
                "round {round}"
            );
            assert_eq!((a.ii, a.jj), (b.ii, b.jj), "round {round}");
        }
        assert!(live > 5_000, "{live}");
    }
}
