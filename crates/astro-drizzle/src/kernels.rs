//! The drizzle kernels: footprint of one input pixel on the output and its weights.
//!
//! Each kernel visits the output pixels of one input pixel restricted to the output rows
//! `[r0, r1)` (the stripe the calling task owns) and columns `[0, nx)`, and reports
//! `(ii, jj, dow)` with `dow` the kernel weight already multiplied by the pixel weight.

use crate::options::Kernel;

/// Local pixel map around the pixels being drizzled: centres of input pixels
/// `x0..x0+w` × `y0..y0+h`.
pub(crate) struct Tile {
    pub(crate) x0: usize,
    pub(crate) y0: usize,
    pub(crate) w: usize,
    pub(crate) h: usize,
    pub(crate) xs: Vec<f64>,
    pub(crate) ys: Vec<f64>,
    /// The square kernel's `dh` when its corners can be made in blocks ([`CornerBlock`]:
    /// `dh <= 1`, tile at least 3 wide), else NaN ([`Tile::prepare_square`]).
    pub(crate) hdh: f64,
}

impl Tile {
    /// An empty tile for columns `x0..x0+w`.
    pub(crate) fn new(x0: usize, w: usize) -> Tile {
        Tile {
            x0,
            y0: 0,
            w,
            h: 0,
            xs: Vec::new(),
            ys: Vec::new(),
            hdh: f64::NAN,
        }
    }

    /// Allow [`CornerBlock`] to make the square kernel's corners for this `dh` (bit-identical
    /// to [`Tile::corners`]' fast path); not for `dh > 1` or tiles narrower than 3.
    pub(crate) fn prepare_square(&mut self, dh: f64) {
        if dh.is_nan() || dh > 1.0 || self.w < 3 {
            self.hdh = f64::NAN;
            return;
        }
        self.hdh = dh;
    }

    #[inline(always)]
    pub(crate) fn at(&self, i: usize, j: usize) -> (f64, f64) {
        let k = (j - self.y0) * self.w + (i - self.x0);
        (self.xs[k], self.ys[k])
    }

    #[inline(always)]
    fn at_i(&self, i: isize, j: isize) -> Option<(f64, f64)> {
        if i < self.x0 as isize
            || j < self.y0 as isize
            || i >= (self.x0 + self.w) as isize
            || j >= (self.y0 + self.h) as isize
        {
            return None;
        }
        let p = self.at(i as usize, j as usize);
        (p.0.is_finite() && p.1.is_finite()).then_some(p)
    }

    /// Bilinear interpolation of the map at `(x, y)` on the cell holding it, the cell
    /// index clamped to the tile (extrapolation at the edges), as drizzle's
    /// `interpolate_point`. Needs `w >= 2` and `h >= 2`.
    #[inline(always)]
    fn bilinear(&self, x: f64, y: f64) -> (f64, f64) {
        let ci =
            (x.floor() as isize).clamp(self.x0 as isize, (self.x0 + self.w - 2) as isize) as usize;
        let cj =
            (y.floor() as isize).clamp(self.y0 as isize, (self.y0 + self.h - 2) as isize) as usize;
        let fx = x - ci as f64;
        let fy = y - cj as f64;
        let k = (cj - self.y0) * self.w + (ci - self.x0);
        let w = self.w;
        let (gx, gy) = (1.0 - fx, 1.0 - fy);
        let xs = &self.xs;
        let ys = &self.ys;
        let ox = (xs[k] * gx + xs[k + 1] * fx) * gy + (xs[k + w] * gx + xs[k + w + 1] * fx) * fy;
        let oy = (ys[k] * gx + ys[k + 1] * fx) * gy + (ys[k + w] * gx + ys[k + w + 1] * fx) * fy;
        (ox, oy)
    }

    /// Output positions of the four corners `(i∓dh, j±dh)` of input pixel `(i, j)`, in
    /// drizzle's order (clockwise with y up): top-left, top-right, bottom-right,
    /// bottom-left. Bilinear on the map like drizzle; where that meets a NaN (or the image
    /// is a single row/column) a local affine model around the centre is used instead, so
    /// a NaN only drops the pixels that are NaN themselves.
    #[inline(always)]
    pub(crate) fn corners(
        &self,
        i: usize,
        j: usize,
        dh: f64,
        full_w: bool,
        full_h: bool,
    ) -> Option<([f64; 4], [f64; 4])> {
        let (fi, fj) = (i as f64, j as f64);
        let px = [fi - dh, fi + dh, fi + dh, fi - dh];
        let py = [fj + dh, fj + dh, fj - dh, fj - dh];
        let mut xo = [0.0; 4];
        let mut yo = [0.0; 4];
        // Fast path: the 3×3 neighbourhood is in the tile and every corner lies in one of
        // the four cells around the centre; bilinear interpolation is then separable:
        // first along x at i ± dh in rows j-1, j, j+1, then along y.
        if dh <= 1.0
            && i > self.x0
            && j > self.y0
            && i + 1 < self.x0 + self.w
            && j + 1 < self.y0 + self.h
        {
            let k = (j - self.y0) * self.w + (i - self.x0);
            let w = self.w;
            let (a, b) = (1.0 - dh, dh);
            let xs = &self.xs[k - w - 1..k + w + 2];
            let ys = &self.ys[k - w - 1..k + w + 2];
            // rows: 0 = j-1, 1 = j, 2 = j+1; column offsets 0 = i-1, 1 = i, 2 = i+1
            let hm = |v: &[f64], r: usize| a * v[r * w + 1] + b * v[r * w];
            let hp = |v: &[f64], r: usize| a * v[r * w + 1] + b * v[r * w + 2];
            let (xm0, xm1, xm2) = (hm(xs, 0), hm(xs, 1), hm(xs, 2));
            let (xp0, xp1, xp2) = (hp(xs, 0), hp(xs, 1), hp(xs, 2));
            let (ym0, ym1, ym2) = (hm(ys, 0), hm(ys, 1), hm(ys, 2));
            let (yp0, yp1, yp2) = (hp(ys, 0), hp(ys, 1), hp(ys, 2));
            xo = [
                a * xm1 + b * xm2,
                a * xp1 + b * xp2,
                a * xp1 + b * xp0,
                a * xm1 + b * xm0,
            ];
            yo = [
                a * ym1 + b * ym2,
                a * yp1 + b * yp2,
                a * yp1 + b * yp0,
                a * ym1 + b * ym0,
            ];
            if xo.iter().chain(yo.iter()).all(|v| v.is_finite()) {
                return Some((xo, yo));
            }
        }
        if full_w && full_h {
            let mut ok = true;
            for k in 0..4 {
                let (a, b) = self.bilinear(px[k], py[k]);
                xo[k] = a;
                yo[k] = b;
                ok &= a.is_finite() && b.is_finite();
            }
            if ok {
                return Some((xo, yo));
            }
        }
        // Local affine fallback.
        let (cx, cy) = self.at(i, j);
        if !(cx.is_finite() && cy.is_finite()) {
            return None;
        }
        let (ii, jj) = (i as isize, j as isize);
        let deriv = |di: isize, dj: isize| -> Option<(f64, f64)> {
            if let Some((x, y)) = self.at_i(ii + di, jj + dj) {
                return Some((x - cx, y - cy));
            }
            self.at_i(ii - di, jj - dj).map(|(x, y)| (cx - x, cy - y))
        };
        let (ex, ey) = match (deriv(1, 0), deriv(0, 1)) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, (-a.1, a.0)),
            (None, Some(b)) => ((b.1, -b.0), b),
            (None, None) => ((1.0, 0.0), (0.0, 1.0)),
        };
        for k in 0..4 {
            let (dx, dy) = (px[k] - fi, py[k] - fj);
            xo[k] = cx + ex.0 * dx + ey.0 * dy;
            yo[k] = cy + ex.1 * dx + ey.1 * dy;
        }
        Some((xo, yo))
    }
}

/// Pixels per [`CornerBlock`] (at most 64: the blocks' lane sets are `u64` bit masks;
/// 64 rather than 32 cut a later square add by ~5 %: fewer per-block set-ups, and runs of
/// four may cross the former block borders).
pub(crate) const CORNER_BLOCK: usize = 64;

/// Square-kernel corners of up to [`CORNER_BLOCK`] consecutive pixels of one row, made
/// together (the same bits as [`Tile::corners`]' fast path, in loops the compiler
/// vectorises).
pub(crate) struct CornerBlock {
    /// Pixels `i0..i1` hold corners (their 3×3 neighbourhood is in the tile).
    i0: usize,
    i1: usize,
    /// The first pixel of the block asked for: pixels outside `i0..i1` use the fallback.
    b0: usize,
    xs: [[f64; CORNER_BLOCK]; 4],
    ys: [[f64; CORNER_BLOCK]; 4],
}

impl CornerBlock {
    pub(crate) fn new() -> CornerBlock {
        CornerBlock {
            i0: 0,
            i1: 0,
            b0: 0,
            xs: [[0.0; CORNER_BLOCK]; 4],
            ys: [[0.0; CORNER_BLOCK]; 4],
        }
    }

    /// Make the corners of pixels `b0..b1` (at most [`CORNER_BLOCK`]) of row `j` (with
    /// AVX2 where available: the same operations, 4 lanes wide).
    pub(crate) fn fill(&mut self, tile: &Tile, dh: f64, b0: usize, b1: usize, j: usize) {
        crate::simd::with_avx2(
            #[inline(always)]
            || self.fill_impl(tile, dh, b0, b1, j),
        )
    }

    #[inline(always)]
    fn fill_impl(&mut self, tile: &Tile, dh: f64, b0: usize, b1: usize, j: usize) {
        self.b0 = b0;
        let w = tile.w;
        let usable = tile.hdh == dh && j > tile.y0 && j + 1 < tile.y0 + tile.h;
        let i0 = b0.max(tile.x0 + 1);
        let i1 = b1.min(tile.x0 + w - 1);
        if !usable || i0 >= i1 {
            self.i0 = 0;
            self.i1 = 0;
            return;
        }
        self.i0 = i0;
        self.i1 = i1;
        let n = i1 - i0;
        let k = (j - tile.y0) * w + (i0 - tile.x0);
        let (a, b) = (1.0 - dh, dh);
        let o = i0 - b0;
        // The map interpolated along x at i ∓ dh in rows j-1, j, j+1, then along y: the
        // expressions of `Tile::corners`' fast path, from the three rows of the map.
        for (src, out) in [(&tile.xs, &mut self.xs), (&tile.ys, &mut self.ys)] {
            let r0 = &src[k - w - 1..k - w + n + 1];
            let r1 = &src[k - 1..k + n + 1];
            let r2 = &src[k + w - 1..k + w + n + 1];
            let [c0, c1, c2, c3] = out;
            for q in 0..n {
                let hm = |r: &[f64]| a * r[q + 1] + b * r[q];
                let hp = |r: &[f64]| a * r[q + 1] + b * r[q + 2];
                let (m0, m1, m2) = (hm(r0), hm(r1), hm(r2));
                let (p0, p1, p2) = (hp(r0), hp(r1), hp(r2));
                c0[o + q] = a * m1 + b * m2;
                c1[o + q] = a * p1 + b * p2;
                c2[o + q] = a * p1 + b * p0;
                c3[o + q] = a * m1 + b * m0;
            }
        }
    }

    /// The corners of pixel `(i, j)` of this block ([`Tile::corners`] where they are not
    /// made here or are not finite).
    #[inline(always)]
    pub(crate) fn corners(
        &self,
        tile: &Tile,
        i: usize,
        j: usize,
        dh: f64,
        full: (bool, bool),
    ) -> Option<([f64; 4], [f64; 4])> {
        if i >= self.i0 && i < self.i1 {
            let q = i - self.b0;
            let xo = [self.xs[0][q], self.xs[1][q], self.xs[2][q], self.xs[3][q]];
            let yo = [self.ys[0][q], self.ys[1][q], self.ys[2][q], self.ys[3][q]];
            let s = xo.iter().chain(yo.iter()).fold(0.0, |s, v| s + v);
            if s.is_finite() {
                return Some((xo, yo));
            }
        }
        tile.corners(i, j, dh, full.0, full.1)
    }
}

/// The square kernel's unclipped footprints of at most 3 × 3 output pixels for the pixels
/// of a [`CornerBlock`], computed together ([`CornerBlock::square_areas`]): the 2 × 2 case
/// (`fast`) and the larger ones (`big`, [`square`]'s general path).
pub(crate) struct SquareBlock {
    /// Bit `q` set: pixel `b0 + q` of the block is done here by the 2 × 2 case
    /// ([`SquareBlock::apply`]).
    pub(crate) fast: u64,
    /// Bit `q` set: pixel `b0 + q` is done here by the general case
    /// ([`SquareBlock::apply_big`]). Pixels with neither bit need [`square`].
    pub(crate) big: u64,
    /// 2 × 2 case: output column and row of the lower-left output pixel.
    pub(crate) ii: [i32; CORNER_BLOCK],
    pub(crate) jj: [i32; CORNER_BLOCK],
    /// General case, results packed: pixel `q`'s are at `slot[q]` of `big_ij` (output
    /// column and row of the lower-left output pixel, number of columns and rows less
    /// one) and `dow9`.
    pub(crate) slot: [u8; CORNER_BLOCK],
    pub(crate) big_ij: [[i32; CORNER_BLOCK]; 4],
    /// 2 × 2 case: weights for output pixels `(ii, jj)`, `(ii+1, jj)`, `(ii, jj+1)`,
    /// `(ii+1, jj+1)` in that order (the order [`square`] adds them), 0 where [`square`]
    /// adds nothing.
    pub(crate) dow: [[f32; CORNER_BLOCK]; 4],
    /// General case (at the pixel's slot): weight for output pixel `(ii + c, jj + r)` at
    /// `3 r + c`, 0 where [`square`] adds nothing (and outside the footprint).
    pub(crate) dow9: [[f32; CORNER_BLOCK]; 9],
}

impl SquareBlock {
    pub(crate) fn new() -> SquareBlock {
        SquareBlock {
            fast: 0,
            big: 0,
            ii: [0; CORNER_BLOCK],
            jj: [0; CORNER_BLOCK],
            slot: [0; CORNER_BLOCK],
            big_ij: [[0; CORNER_BLOCK]; 4],
            dow: [[0.0; CORNER_BLOCK]; 4],
            dow9: [[0.0; CORNER_BLOCK]; 9],
        }
    }

    /// Apply pixel `q`'s contributions (it must be marked fast): the same calls, with the
    /// same values in the same order, as [`square`] makes.
    #[inline(always)]
    pub(crate) fn apply<S: Sink>(&self, q: usize, s: &mut S) {
        let (ii, jj) = (self.ii[q] as usize, self.jj[q] as usize);
        let d = &self.dow;
        s.add_2x2(ii, jj, [d[0][q], d[1][q], d[2][q], d[3][q]]);
    }

    /// Apply pixel `q`'s contributions (it must be marked `big`): the calls [`square`]
    /// makes with a non-zero weight ([`Sink::add_3x3`]); `square`'s calls with a zero
    /// weight add nothing.
    #[inline(always)]
    pub(crate) fn apply_big<S: Sink>(&self, q: usize, s: &mut S) {
        let k = self.slot[q] as usize;
        let [ii, jj, dc, dr] = self.big_ij.map(|v| v[k] as usize);
        let dow: [f32; 9] = std::array::from_fn(|p| self.dow9[p][k]);
        s.add_3x3(ii, jj, (dc + 1, dr + 1), dow);
    }
}

impl SquareBlock {
    /// The block's runs of four 2 × 2 footprints ([`Runs4`]).
    #[inline(always)]
    pub(crate) fn runs(&self) -> Runs4<'_> {
        Runs4::new(self.fast, &self.ii, &self.jj, &self.dow)
    }
}

/// Runs of four consecutive pixels of a block with 2 × 2 footprints (lower-left output
/// pixel `(ii[q], jj[q])`, weights `dow[m][q]` in [`Sink::add_2x2`]'s order), shared by the
/// square and turbo kernels' blocks. Bit `q` of `bits` set: pixels `q .. q + 4` are fast
/// and their footprints step one output column at a time along one pair of output rows
/// (lower-left output pixels `(ii[q] + k, jj[q])`), so that their updates can be made
/// together ([`Runs4::run4`]).
pub(crate) struct Runs4<'a> {
    pub(crate) bits: u64,
    ii: &'a [i32; CORNER_BLOCK],
    jj: &'a [i32; CORNER_BLOCK],
    dow: &'a [[f32; CORNER_BLOCK]; 4],
}

impl<'a> Runs4<'a> {
    /// The runs among the pixels with bit `q` of `fast` set.
    #[inline(always)]
    pub(crate) fn new(
        fast: u64,
        ii: &'a [i32; CORNER_BLOCK],
        jj: &'a [i32; CORNER_BLOCK],
        dow: &'a [[f32; CORNER_BLOCK]; 4],
    ) -> Runs4<'a> {
        let mut cont = 0u64;
        for q in 0..CORNER_BLOCK - 1 {
            let next = (ii[q + 1] == ii[q].wrapping_add(1)) & (jj[q + 1] == jj[q]);
            cont |= u64::from(next) << q;
        }
        let f = fast;
        let bits = f & f >> 1 & f >> 2 & f >> 3 & cont & cont >> 1 & cont >> 2;
        Runs4 { bits, ii, jj, dow }
    }

    /// `self` without runs (`bits` 0).
    #[inline(always)]
    pub(crate) fn none(self) -> Runs4<'a> {
        Runs4 { bits: 0, ..self }
    }

    /// The run of pixels `q .. q + 4` (bit `q` of `bits`): the lower-left output pixel of
    /// the first, and the weights `dow[m][k]` of pixel `q + k`.
    #[inline(always)]
    pub(crate) fn run4(&self, q: usize) -> ((usize, usize), [&'a [f32; 4]; 4]) {
        let dow = self.dow;
        let at = |m: usize| -> &'a [f32; 4] {
            dow[m][q..q + 4]
                .try_into()
                .expect("a run lies within the block")
        };
        (
            (self.ii[q] as usize, self.jj[q] as usize),
            [at(0), at(1), at(2), at(3)],
        )
    }
}

impl CornerBlock {
    /// The square kernel's unclipped footprints of at most 3 × 3 output pixels for the
    /// block's pixels with corners made here, with pixel weights `w` (indexed from the
    /// block's start): fills `out` and returns `true`, or `false` when there is no vector
    /// unit for it (then every pixel needs [`square`]).
    pub(crate) fn square_areas(
        &self,
        w: &[f64; CORNER_BLOCK],
        clip: Clip,
        out: &mut SquareBlock,
    ) -> bool {
        let lanes = if self.i0 < self.i1 {
            (self.i0 - self.b0, self.i1 - self.b0)
        } else {
            (0, 0)
        };
        crate::simd::square_block(&self.xs, &self.ys, w, lanes, clip, out)
    }
}

/// Prepared constants of one kernel for one image.
pub(crate) enum KernelParams {
    Square { dh: f64 },
    Turbo { pfo: f64, ac: f64 },
    Point,
    Gaussian { pfo: f64, efac: f64, es: f64 },
    Lanczos { pfo: f64, sdp: f64, lut: Vec<f64> },
}

/// Look-up table spacing of the Lanczos kernel (input pixels).
const LANCZOS_DEL: f64 = 0.003;

impl KernelParams {
    pub(crate) fn new(kernel: Kernel, pixfrac: f64, psr: f64) -> KernelParams {
        match kernel {
            Kernel::Square => KernelParams::Square { dh: 0.5 * pixfrac },
            Kernel::Turbo => KernelParams::Turbo {
                pfo: pixfrac / psr / 2.0,
                ac: psr * psr / (pixfrac * pixfrac),
            },
            Kernel::Point => KernelParams::Point,
            Kernel::Gaussian => {
                let efac = 2.3548 * 2.3548 * psr * psr / (pixfrac * pixfrac) / 2.0;
                KernelParams::Gaussian {
                    pfo: (2.5 * pixfrac / 2.3548 / psr).max(1.2 / psr),
                    efac,
                    es: efac / std::f64::consts::PI,
                }
            }
            Kernel::Lanczos2 | Kernel::Lanczos3 => {
                let order = if kernel == Kernel::Lanczos2 { 2.0 } else { 3.0 };
                let nlut = (order / LANCZOS_DEL).ceil() as usize + 1;
                let lut = (0..nlut)
                    .map(|k| {
                        let x = k as f64 * LANCZOS_DEL;
                        if k == 0 {
                            1.0
                        } else if x <= order {
                            let a = std::f64::consts::PI * x;
                            (a.sin() / a) * ((a / order).sin() / (a / order))
                        } else {
                            0.0
                        }
                    })
                    .collect();
                KernelParams::Lanczos {
                    pfo: order / psr,
                    sdp: psr / LANCZOS_DEL,
                    lut,
                }
            }
        }
    }

    /// Whether the output science's running mean is made in f32
    /// ([`crate::drizzle::running_mean`]): for the kernels whose weights are never
    /// negative and whose vector updates are f32 (square, turbo, point).
    pub(crate) fn f32_mean(&self) -> bool {
        matches!(
            self,
            KernelParams::Square { .. } | KernelParams::Turbo { .. } | KernelParams::Point
        )
    }

    /// Half-size (output pixels) of the footprint around the mapped centre, for kernels
    /// centred on it (not square).
    pub(crate) fn half_extent(&self) -> f64 {
        match self {
            KernelParams::Square { .. } | KernelParams::Point => 0.0,
            KernelParams::Turbo { pfo, .. }
            | KernelParams::Gaussian { pfo, .. }
            | KernelParams::Lanczos { pfo, .. } => *pfo,
        }
    }
}

/// C `round` (half away from zero) to an integer, without a libm call. Saturates for
/// huge or non-finite values (which then fall outside every output range).
#[inline(always)]
pub(crate) fn nint(x: f64) -> i64 {
    let t = x as i64;
    let f = x - t as f64;
    t.saturating_add(i64::from(f >= 0.5) - i64::from(f <= -0.5))
}

/// `floor` to an integer without a libm call (saturating).
#[inline(always)]
pub(crate) fn ifloor(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

/// Output region a task may write: rows `[r0, r1)`, columns `[0, nx)`.
#[derive(Clone, Copy)]
pub(crate) struct Clip {
    pub(crate) r0: i64,
    pub(crate) r1: i64,
    pub(crate) nx: i64,
}

/// Receiver of the `(ii, jj, dow)` contributions of the input pixel being drizzled.
pub(crate) trait Sink {
    /// Add weight `dow` of the current input pixel to output pixel `(ii, jj)`.
    fn add(&mut self, ii: usize, jj: usize, dow: f32);

    /// `add` to `(ii, jj)`, `(ii+1, jj)`, `(ii, jj+1)`, `(ii+1, jj+1)` in that order
    /// ([`add_2x2_each`]); a sink may do the four at once (they are distinct pixels).
    #[inline(always)]
    fn add_2x2(&mut self, ii: usize, jj: usize, dow: [f32; 4]) {
        add_2x2_each(self, ii, jj, dow)
    }

    /// `add` to `(ii + c, jj + r)` the weight `dow[3 r + c]` where it is not 0, for
    /// `c < nc`, `r < nr` (`(nc, nr)` at most 3), rows then columns ([`add_3x3_each`]); a
    /// sink may do them in any order (they are distinct pixels).
    #[inline(always)]
    fn add_3x3(&mut self, ii: usize, jj: usize, (nc, nr): (usize, usize), dow: [f32; 9]) {
        add_3x3_each(self, ii, jj, (nc, nr), dow)
    }

    /// `add` of `(wx[c] · wy[r] · w) as f32` to `(ii + c, jj + r)` for `c < ncol`,
    /// `r < nrow` (both at most 8), rows in order ([`add_outer8_each`]); a sink may do them
    /// together (they are distinct pixels).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn add_outer8(
        &mut self,
        ii: usize,
        jj: usize,
        size: (usize, usize),
        wx: &[f64; 8],
        wy: &[f64; 8],
        w: f64,
    ) {
        add_outer8_each(self, ii, jj, size, wx, wy, w)
    }

    /// A hint that output pixel `(ii, jj)` will be updated soon (no effect on results).
    #[inline(always)]
    fn prefetch(&self, ii: usize, jj: usize) {
        let _ = (ii, jj);
    }
}

/// [`Sink::add_3x3`] as calls of [`Sink::add`].
#[inline(always)]
pub(crate) fn add_3x3_each<S: Sink + ?Sized>(
    s: &mut S,
    ii: usize,
    jj: usize,
    (nc, nr): (usize, usize),
    dow: [f32; 9],
) {
    for r in 0..nr.min(3) {
        for c in 0..nc.min(3) {
            let d = dow[3 * r + c];
            if d != 0.0 {
                s.add(ii + c, jj + r, d);
            }
        }
    }
}

/// [`Sink::add_2x2`] as four calls of [`Sink::add`].
#[inline(always)]
pub(crate) fn add_2x2_each<S: Sink + ?Sized>(s: &mut S, ii: usize, jj: usize, dow: [f32; 4]) {
    s.add(ii, jj, dow[0]);
    s.add(ii + 1, jj, dow[1]);
    s.add(ii, jj + 1, dow[2]);
    s.add(ii + 1, jj + 1, dow[3]);
}

/// [`Sink::add_outer8`] as calls of [`Sink::add`].
#[inline(always)]
pub(crate) fn add_outer8_each<S: Sink + ?Sized>(
    s: &mut S,
    ii: usize,
    jj: usize,
    (ncol, nrow): (usize, usize),
    wx: &[f64; 8],
    wy: &[f64; 8],
    w: f64,
) {
    for (r, &ly) in wy[..nrow.min(8)].iter().enumerate() {
        for (c, &l) in wx[..ncol.min(8)].iter().enumerate() {
            s.add(ii + c, jj + r, (l * ly * w) as f32);
        }
    }
}

/// Whether a mapped input-pixel centre `(x, y)` is drizzled by a stripe of output rows
/// whose centres reach `[lo, hi]` in y (the rows grown by the kernel's margin): y in
/// that range (NaN never is) and x finite. A NaN or infinite map entry, in either
/// coordinate, maps nowhere (`nint(NaN)` would be column 0).
#[inline(always)]
pub(crate) fn centre_usable(x: f64, y: f64, lo: f64, hi: f64) -> bool {
    (y >= lo) & (y <= hi) & x.is_finite()
}

/// The turbo box of half-size `pfo < 0.5` around `(ox, oy)`: the first of its (at most)
/// 2 × 2 output pixels, `(nint(x − pfo), nint(y − pfo))`, and the box's overlaps with
/// those two columns and two rows (≤ 0 where it misses one).
#[inline(always)]
fn turbo_overlaps_2x2(ox: f64, oy: f64, pfo: f64) -> (i64, i64, [f64; 2], [f64; 2]) {
    let (xxi, xxa, yyi, yya) = (ox - pfo, ox + pfo, oy - pfo, oy + pfo);
    let (ib, jb) = (nint(xxi), nint(yyi));
    let (fi, fj) = (ib as f64, jb as f64);
    let dx = [
        fmin(xxa, fi + 0.5) - fmax(xxi, fi - 0.5),
        fmin(xxa, fi + 1.5) - fmax(xxi, fi + 0.5),
    ];
    let dy = [
        fmin(yya, fj + 0.5) - fmax(yyi, fj - 0.5),
        fmin(yya, fj + 1.5) - fmax(yyi, fj + 0.5),
    ];
    (ib, jb, dx, dy)
}

/// The turbo kernel's 2 × 2 case unclipped (a box narrower than an output pixel whose
/// 2 × 2 output pixels from `(nint(xxi), nint(yyi))` are all inside `clip`): that corner
/// and the weights of [`Sink::add_2x2`] (0 where [`turbo`] adds nothing), the same values
/// as `turbo`; `None` for every other case.
#[inline(always)]
pub(crate) fn turbo_2x2(
    ox: f64,
    oy: f64,
    pfo: f64,
    ac: f64,
    w: f64,
    clip: Clip,
) -> Option<(usize, usize, [f32; 4])> {
    let (xxi, yyi) = (ox - pfo, oy - pfo);
    let (ib, jb) = (nint(xxi), nint(yyi));
    // (Compared without `ib + 1`, which overflows for an infinite centre.)
    if !(pfo < 0.5 && ib >= 0 && ib < clip.nx - 1 && jb >= clip.r0 && jb < clip.r1 - 1) {
        return None;
    }
    let (_, _, dx, dy) = turbo_overlaps_2x2(ox, oy, pfo);
    let dow = |c: usize, r: usize| {
        let v = (dx[c] * dy[r] * ac * w) as f32;
        if dx[c] > 0.0 && dy[r] > 0.0 { v } else { 0.0 }
    };
    Some((
        ib as usize,
        jb as usize,
        [dow(0, 0), dow(1, 0), dow(0, 1), dow(1, 1)],
    ))
}

/// Turbo kernel: an axis-aligned box of half-size `pfo` around the centre.
#[inline(always)]
pub(crate) fn turbo<S: Sink>(ox: f64, oy: f64, pfo: f64, ac: f64, w: f64, clip: Clip, s: &mut S) {
    let (xxi, xxa, yyi, yya) = (ox - pfo, ox + pfo, oy - pfo, oy + pfo);
    if pfo < 0.5 {
        // A box narrower than an output pixel: at most 2 × 2 output pixels from
        // (nint(xxi), nint(yyi)); the same terms, visited in the same order, as below.
        let (ib, jb, dx, dy) = turbo_overlaps_2x2(ox, oy, pfo);
        for (r, &dyr) in dy.iter().enumerate() {
            // (Saturating: an infinite centre gives an extreme nint.)
            let jj = jb.saturating_add(r as i64);
            if !(dyr > 0.0 && jj >= clip.r0 && jj < clip.r1) {
                continue;
            }
            for (c, &dxc) in dx.iter().enumerate() {
                let ii = ib.saturating_add(c as i64);
                if dxc > 0.0 && ii >= 0 && ii < clip.nx {
                    s.add(ii as usize, jj as usize, (dxc * dyr * ac * w) as f32);
                }
            }
        }
        return;
    }
    let i0 = nint(xxi).max(0);
    let i1 = nint(xxa).min(clip.nx - 1);
    let j0 = nint(yyi).max(clip.r0);
    let j1 = nint(yya).min(clip.r1 - 1);
    if i0 > i1 {
        return;
    }
    // The x overlaps do not depend on the row: at most a few columns, computed once.
    const NC: usize = 8;
    let ncol = (i1 - i0 + 1) as usize;
    let mut dxs = [0.0f64; NC];
    if ncol <= NC {
        for (c, v) in dxs[..ncol].iter_mut().enumerate() {
            let ii = i0 + c as i64;
            *v = xxa.min(ii as f64 + 0.5) - xxi.max(ii as f64 - 0.5);
        }
    }
    for jj in j0..=j1 {
        let dy = yya.min(jj as f64 + 0.5) - yyi.max(jj as f64 - 0.5);
        if dy <= 0.0 {
            continue;
        }
        if ncol <= NC {
            for (c, &dx) in dxs[..ncol].iter().enumerate() {
                if dx > 0.0 {
                    s.add(
                        (i0 + c as i64) as usize,
                        jj as usize,
                        (dx * dy * ac * w) as f32,
                    );
                }
            }
        } else {
            for ii in i0..=i1 {
                let dx = xxa.min(ii as f64 + 0.5) - xxi.max(ii as f64 - 0.5);
                if dx > 0.0 {
                    s.add(ii as usize, jj as usize, (dx * dy * ac * w) as f32);
                }
            }
        }
    }
}

/// Gaussian kernel (point-sampled normalised density).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn gaussian<S: Sink>(
    ox: f64,
    oy: f64,
    pfo: f64,
    efac: f64,
    es: f64,
    w: f64,
    clip: Clip,
    s: &mut S,
) {
    let i0 = nint(ox - pfo).max(0);
    let i1 = nint(ox + pfo).min(clip.nx - 1);
    let j0 = nint(oy - pfo).max(clip.r0);
    let j1 = nint(oy + pfo).min(clip.r1 - 1);
    for jj in j0..=j1 {
        let ddy = oy - jj as f64;
        for ii in i0..=i1 {
            let ddx = ox - ii as f64;
            let r2 = ddx * ddx + ddy * ddy;
            let dover = (es * (-r2 * efac).exp()) as f32;
            s.add(ii as usize, jj as usize, (dover as f64 * w) as f32);
        }
    }
}

/// A Lanczos footprint of at most 8 × 8 output pixels: columns `ii .. ii + ncol`, rows
/// `jj .. jj + nrow`, weights `lx[c] · ly[r] · w` (taps outside the table are 0, which
/// `add` skips as [`lanczos`]' general loops skip them).
#[derive(Clone, Copy)]
pub(crate) struct LanczosFoot {
    pub(crate) ii: usize,
    pub(crate) jj: usize,
    pub(crate) ncol: usize,
    pub(crate) nrow: usize,
    pub(crate) lx: [f64; 8],
    pub(crate) ly: [f64; 8],
}

impl LanczosFoot {
    pub(crate) const EMPTY: LanczosFoot = LanczosFoot {
        ii: 0,
        jj: 0,
        ncol: 0,
        nrow: 0,
        lx: [0.0; 8],
        ly: [0.0; 8],
    };

    /// Add the footprint with pixel weight `w` (what [`lanczos`] does for it).
    #[inline(always)]
    pub(crate) fn apply<S: Sink>(&self, w: f64, s: &mut S) {
        s.add_outer8(
            self.ii,
            self.jj,
            (self.ncol, self.nrow),
            &self.lx,
            &self.ly,
            w,
        );
    }
}

/// What [`lanczos_foot`] found.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Foot {
    /// Nothing to add (the footprint misses the clip region).
    Empty,
    /// The footprint was made: [`LanczosFoot::apply`].
    Small,
    /// Larger than 8 × 8: only [`lanczos`] does it.
    Large,
}

/// The footprint of the Lanczos kernel around `(ox, oy)` clipped to `clip`, into `f` when
/// it is at most 8 × 8 output pixels.
#[inline(always)]
pub(crate) fn lanczos_foot(
    ox: f64,
    oy: f64,
    pfo: f64,
    sdp: f64,
    lut: &[f64],
    clip: Clip,
    f: &mut LanczosFoot,
) -> Foot {
    // (`floor` rather than `ifloor`: one rounding instruction in the AVX2 scan, the
    // same values wherever `ifloor` does not overflow, i.e. for `x >= −2^63` and NaN.)
    let fl = |x: f64| x.floor() as i64;
    let i0 = (fl(ox - pfo) + 1).max(0);
    let i1 = fl(ox + pfo).min(clip.nx - 1);
    let j0 = (fl(oy - pfo) + 1).max(clip.r0);
    let j1 = fl(oy + pfo).min(clip.r1 - 1);
    if i0 > i1 || j0 > j1 {
        return Foot::Empty;
    }
    let (ncol, nrow) = ((i1 - i0 + 1) as usize, (j1 - j0 + 1) as usize);
    if ncol > 8 || nrow > 8 {
        return Foot::Large;
    }
    let (lx, ly) = crate::simd_kernels::lanczos_taps((ox, i0, ncol), (oy, j0, nrow), sdp, lut);
    *f = LanczosFoot {
        ii: i0 as usize,
        jj: j0 as usize,
        ncol,
        nrow,
        lx,
        ly,
    };
    Foot::Small
}

/// Lanczos kernel from its look-up table.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn lanczos<S: Sink>(
    ox: f64,
    oy: f64,
    pfo: f64,
    sdp: f64,
    lut: &[f64],
    w: f64,
    clip: Clip,
    s: &mut S,
) {
    let mut f = LanczosFoot::EMPTY;
    match lanczos_foot(ox, oy, pfo, sdp, lut, clip, &mut f) {
        Foot::Empty => {}
        Foot::Small => f.apply(w, s),
        Foot::Large => lanczos_large(ox, oy, pfo, sdp, lut, w, clip, s),
    }
}

/// [`lanczos`] for footprints of more than 8 × 8 output pixels, one `add` at a time.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(crate) fn lanczos_large<S: Sink>(
    ox: f64,
    oy: f64,
    pfo: f64,
    sdp: f64,
    lut: &[f64],
    w: f64,
    clip: Clip,
    s: &mut S,
) {
    let i0 = (ifloor(ox - pfo) + 1).max(0);
    let i1 = ifloor(ox + pfo).min(clip.nx - 1);
    let j0 = (ifloor(oy - pfo) + 1).max(clip.r0);
    let j1 = ifloor(oy + pfo).min(clip.r1 - 1);
    if i0 > i1 || j0 > j1 {
        return;
    }
    let nlut = lut.len();
    // The x factors do not depend on the row: computed once (NaN marks "outside the table").
    const NC: usize = 16;
    let ncol = (i1 - i0 + 1) as usize;
    let mut lx = [f64::NAN; NC];
    let cached = ncol <= NC;
    if cached {
        for (c, v) in lx[..ncol].iter_mut().enumerate() {
            let ix = nint((ox - (i0 + c as i64) as f64).abs() * sdp) as usize;
            if ix < nlut {
                *v = lut[ix];
            }
        }
    }
    for jj in j0..=j1 {
        let iy = nint((oy - jj as f64).abs() * sdp) as usize;
        if iy >= nlut {
            continue;
        }
        let ly = lut[iy];
        if cached {
            for (c, &l) in lx[..ncol].iter().enumerate() {
                if !l.is_nan() {
                    s.add((i0 + c as i64) as usize, jj as usize, (l * ly * w) as f32);
                }
            }
        } else {
            for ii in i0..=i1 {
                let ix = nint((ox - ii as f64).abs() * sdp) as usize;
                if ix >= nlut {
                    continue;
                }
                s.add(ii as usize, jj as usize, (lut[ix] * ly * w) as f32);
            }
        }
    }
}

/// `max(a, b)` for non-NaN operands, as one instruction.
#[inline(always)]
fn fmax(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

/// `min(a, b)` for non-NaN operands, as one instruction.
#[inline(always)]
fn fmin(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

/// `clamp(t, 0, 1)`.
#[inline(always)]
fn unit(t: f64) -> f64 {
    fmin(fmax(t, 0.0), 1.0)
}

/// Signed area between a segment and the bottom of the unit-high row starting at `py`,
/// clipped to the row: `hw = ±w/2` (the sign of the edge's direction, `w` its width
/// inside the column), `lo <= hi` its heights at both ends, `hinv = ±1/(2|m|)` (0 for a
/// horizontal segment). The integral of `clamp(y - py, 0, 1)` over the segment is the
/// trapezoid of the clamped end heights corrected for each kink of the clamp (at
/// `py` and `py + 1`) the segment crosses: `(hi - k)(k - lo) / (2|m|)`. Branch-free; exact
/// 0 (or ±w) for a segment wholly below (above) the row, the plain trapezoid inside it.
#[inline(always)]
fn row_area(hw: f64, lo: f64, hi: f64, hinv: f64, py: f64) -> f64 {
    let (tl, th) = (lo - py, hi - py);
    let p0 = fmax(-tl, 0.0) * fmax(th, 0.0);
    let p1 = fmax(th - 1.0, 0.0) * fmax(1.0 - tl, 0.0);
    hw * (unit(tl) + unit(th)) + hinv * (p1 - p0)
}

/// `max(a, b)` in f32 for non-NaN operands, as one instruction.
#[inline(always)]
fn fmax32(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// `min(a, b)` in f32 for non-NaN operands, as one instruction.
#[inline(always)]
fn fmin32(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// `|du·dv|` (2^-100) below which an edge of [`areas_2x2_f32`] counts as horizontal
/// (`m = hinv = 0`): `1 / (du·dv)` could overflow f32 below it, and the edge's terms it
/// drops (its rise `dv` over its width `du`, and its kink correction) are below
/// `|du·dv| / 2`, i.e. below 2^-101 of an output pixel.
pub(crate) const FLAT_2X2: f32 = f32::from_bits(27 << 23);

/// Below `NEAR_ZERO_2X2 · (xmax - xmin)·(ymax - ymin)` (`3e-6` of the quad's bounding
/// box) but not 0, an f32 area of [`areas_2x2_f32`] is too close to 0 for its sign to be
/// trusted (its error is below `1e-6`, measured at most `3e-7`, of the box): [`square`]
/// (and the vector lanes) then compute that pixel's areas in f64. The sign decides whether
/// an output pixel is touched at all (its context bit), which must match drizzle's f64
/// `boxer` even for overlaps of `1e-12` of a pixel. An area of exactly 0 is an output pixel
/// of the footprint that the quad does not reach (common: a rotated quad often misses one
/// of its four pixels), as in f64. Near-zero areas (a corner just poking into a
/// neighbouring pixel, or an edge just missing it) are rare: ~0.5 % of the pixels at 7°.
pub(crate) const NEAR_ZERO_2X2: f32 = 3e-6;

/// A corner of the quad within `HAIR_2X2 · (xmax - xmin + ymax - ymin)` of a column or
/// row border the footprint straddles, or an edge meeting the column border that close to
/// the row border, may cut off a sliver or a corner of an output pixel too small for f32
/// to tell from 0 (its area can even cancel to exactly 0): [`square`] (and the vector
/// lanes) then compute that pixel's areas in f64, as for [`NEAR_ZERO_2X2`], so that every
/// output pixel the quad reaches gets a weight, as in drizzle. Far from the borders the
/// areas' errors are far below the areas (they scale with the heights and widths involved
/// near the border). Rare: the corners fall within `1e-6` of a pixel of a border.
pub(crate) const HAIR_2X2: f32 = 1e-6;

/// [`square`]'s areas for a quad whose footprint is at most 2 × 2 output pixels and not
/// clipped at the image's columns, in f32: the areas of output pixels `(il + c, jl + r)`
/// at `2 r + c` (0 for `r = 1` when the footprint has one row, `jh = jl`). `ext` is
/// `[xmin, xmax, ymin, ymax]` of the corners `xo`, `yo`, `il = nint(xmin)`,
/// `jl = nint(ymin)`, `jh = nint(ymax)`.
///
/// The coordinates are made local in f64 first, then rounded to f32: `u = (x - x0) as
/// f32` with the column border `c1 = (il + 0.5 - x0) as f32`, `v = (y - y0) as f32`,
/// where `x0` is the column border `il + 0.5` when the footprint has two columns (then the
/// border lies within the quad's x-range, and `c1 = 0`), else the centre of the quad's
/// bounding box, and `y0` likewise the row border `jl + 0.5` or the centre. So the local
/// values are at most the quad's extent `D` (where they matter), f32 keeps them to
/// `2^-24·D`, and the areas, sums of products of two such lengths, carry errors of a few
/// `1e-8·D²`: below `1e-6` of the quad's area `|jaco|`, and of its bounding box's area even
/// for slivers (measured over random, sheared, grid-aligned, tiny, nearly degenerate and
/// sliver quads against the former f64 arithmetic, `tests::areas_2x2_f32_match_f64`; for
/// slivers, whose area is much smaller than `D²`, the error relative to `|jaco|` grows as
/// `D² / |jaco|`: drizzle's pixel quads are never slivers). Measured from the borders, the
/// corners keep their side of each border exactly (the f64 differences are exact near the
/// border, and rounding keeps the sign), and the footprint's outer borders (`il - 0.5`,
/// `il + 1.5`) never cut an edge.
///
/// Per column, the area below the line `v = 0` is the sum over the quad's (clipped)
/// edges of `hw·(min(lo, 0) + min(hi, 0))` and the area above it that of `hw·(max(lo, 0) +
/// max(hi, 0))` (`hw = ±w/2`, the sign of the edge's direction, `w` its width in the
/// column, `lo <= hi` its heights at both ends), each with the kink correction `∓hinv·k`,
/// `k = max(hi, 0)·min(lo, 0)`, where an edge crosses the line (see [`row_area`]). Both
/// are exactly 0 (±0) in a column where the quad lies wholly on the other side of the
/// line (every clamp gives 0): an output pixel of the footprint that the quad does not
/// reach gets no weight, as in drizzle, where such areas come out exactly 0 too. With one
/// row, its area is the sum of both. These are exactly the operations of the vector lanes
/// (`simd::square_block`), in the same order (no fused multiply-add), so both give the same
/// bits.
#[inline(always)]
pub(crate) fn areas_2x2_f32(
    xo: &[f64; 4],
    yo: &[f64; 4],
    [xmin, xmax, ymin, ymax]: [f64; 4],
    (il, ih): (i64, i64),
    (jl, jh): (i64, i64),
) -> ([f32; 4], bool) {
    let x0 = if ih > il {
        il as f64 + 0.5
    } else {
        0.5 * (xmin + xmax)
    };
    let y0 = if jh > jl {
        jl as f64 + 0.5
    } else {
        0.5 * (ymin + ymax)
    };
    let u = xo.map(|x| (x - x0) as f32);
    let v = yo.map(|y| (y - y0) as f32);
    let c1 = (il as f64 + 0.5 - x0) as f32;
    // A corner, or the point where an edge meets the column border, within a hair of a
    // border the footprint straddles.
    let hair = HAIR_2X2 * (((xmax - xmin) + (ymax - ymin)) as f32);
    let (two_c, two_r) = (ih > il, jh > jl);
    let mut close = false;
    for (&uk, &vk) in u.iter().zip(&v) {
        close |= (two_c && uk.abs() < hair) || (two_r && vk.abs() < hair);
    }
    // Per column, the areas below and above `v = 0`.
    let mut below = [0.0f32; 2];
    let mut above = [0.0f32; 2];
    for k in 0..4 {
        let k2 = (k + 1) & 3;
        let (x1, y1, x2, y2) = (u[k], v[k], u[k2], v[k2]);
        let dx = x2 - x1;
        if dx == 0.0 {
            // A vertical edge has no width in any column.
            continue;
        }
        let dy = y2 - y1;
        // ±1/2, the sign of the edge's direction
        let sh = if dx > 0.0 { 0.5 } else { -0.5 };
        // slope and ±1/(2|slope|) from one division
        let pr = dx * dy;
        let (m, hinv) = if pr.abs() >= FLAT_2X2 {
            let r = 1.0 / pr;
            (dy * dy * r, sh * (dx * dx * r).abs())
        } else {
            (0.0, 0.0)
        };
        // The edge's left and right ends, and its point on the column border (clamped
        // to the edge): it spans `[xl, xc1]` in column 0 and `[xc1, xh]` in column 1 (the
        // outer borders never bind), with the heights at the ends and one interpolated.
        let (xl, xh) = (fmin32(x1, x2), fmax32(x1, x2));
        let (yl, yh) = if dx > 0.0 { (y1, y2) } else { (y2, y1) };
        let xc1 = fmin32(fmax32(c1, xl), xh);
        let yc1 = y1 + m * (xc1 - x1);
        close |= two_r && yc1.abs() < hair;
        let spans = [(xl, xc1, yl, yc1), (xc1, xh, yc1, yh)];
        for (c, (xa, xb, va, vb)) in spans.into_iter().enumerate() {
            let (lo, hi) = (fmin32(va, vb), fmax32(va, vb));
            let hw = sh * (xb - xa);
            let (p, q) = (fmax32(hi, 0.0), fmin32(lo, 0.0));
            let k = p * q;
            below[c] += hw * (q + fmin32(hi, 0.0)) - hinv * k;
            above[c] += hw * (fmax32(lo, 0.0) + p) + hinv * k;
        }
    }
    let cells = if jh > jl {
        [below[0], below[1], above[0], above[1]]
    } else {
        [below[0] + above[0], below[1] + above[1], 0.0, 0.0]
    };
    (cells, close)
}

/// [`square`]'s weights of a footprint of at most 2 × 2 output pixels from f64 areas
/// ([`areas_2x2_f64`], columns from `px0`, rows from `py0`): of output pixel `(c, r)` of
/// the footprint at `2 r + c`, `(a·wj) as f32` where `a·sj > 0`, else 0.
#[inline(always)]
fn dow_2x2_f64(xo: &[f64; 4], yo: &[f64; 4], (px0, py0): (f64, f64), wj: f64, sj: f64) -> [f32; 4] {
    let (col, row0) = areas_2x2_f64(xo, yo, px0, py0);
    let mut dow = [0.0f32; 4];
    for c in 0..2 {
        for (r, a) in [(0, row0[c]), (1, col[c] - row0[c])] {
            if a * sj > 0.0 {
                dow[2 * r + c] = (a * wj) as f32;
            }
        }
    }
    dow
}

/// The weights [`square`] gives, from f64 areas, to the output pixels `(il + c, jl + r)`
/// (at `2 r + c`) of a quad with a finite non-zero Jacobian whose footprint is at most 2 × 2
/// output pixels and unclipped (`il = nint(xmin)`, `jl = nint(ymin)`), pixel weight `w`:
/// its weights where an f32 area is near zero ([`NEAR_ZERO_2X2`]), for the vector lanes
/// (`simd::square_block`) to give those pixels the scalar kernel's bits.
pub(crate) fn dow_2x2_f64_unclipped(xo: &[f64; 4], yo: &[f64; 4], w: f64) -> [f32; 4] {
    let jaco = 0.5 * ((xo[1] - xo[3]) * (yo[0] - yo[2]) - (xo[0] - xo[2]) * (yo[1] - yo[3]));
    let xmin = fmin(fmin(xo[0], xo[1]), fmin(xo[2], xo[3]));
    let ymin = fmin(fmin(yo[0], yo[1]), fmin(yo[2], yo[3]));
    let (il, jl) = (nint(xmin), nint(ymin));
    dow_2x2_f64(
        xo,
        yo,
        (il as f64 - 0.5, jl as f64 - 0.5),
        w / jaco,
        jaco.signum(),
    )
}

/// [`square`]'s areas for a footprint of at most 2 × 2 output pixels (columns from `px0`,
/// rows from `py0`, rows not clipped), in f64: per footprint column `c` (borders `px0 +
/// c`, `px0 + c + 1`), its whole area `col[c]` and the part in the first row `row0[c]`,
/// as `(col, row0)`. Used where the columns are clipped at the image's borders (and in
/// the tests as the reference of [`areas_2x2_f32`]). Heights are measured from the bottom
/// `py0` of the first row; the quad lies within the two rows, so only the clamp at the top
/// of the first row can be active.
#[inline(always)]
fn areas_2x2_f64(xo: &[f64; 4], yo: &[f64; 4], px0: f64, py0: f64) -> ([f64; 2], [f64; 2]) {
    let cb = [px0, px0 + 1.0, px0 + 2.0];
    let mut col = [0.0f64; 2];
    let mut row0 = [0.0f64; 2];
    for k in 0..4 {
        let k2 = (k + 1) & 3;
        let (x1, y1, x2, y2) = (xo[k], yo[k], xo[k2], yo[k2]);
        let dx = x2 - x1;
        if dx == 0.0 {
            // A vertical edge has no width in any column.
            continue;
        }
        let dy = y2 - y1;
        let sgn = if dx > 0.0 { 1.0 } else { -1.0 };
        // slope and ±1/(2|slope|) from one division
        let pr = dx * dy;
        let (m, hinv) = if pr != 0.0 {
            let r = 1.0 / pr;
            (dy * dy * r, sgn * 0.5 * (dx * dx * r).abs())
        } else {
            (dy / dx, 0.0)
        };
        let v1 = y1 - py0;
        let (xl, xh) = (fmin(x1, x2), fmax(x1, x2));
        for c in 0..2 {
            let a = fmin(fmax(xl, cb[c]), cb[c + 1]);
            let b = fmin(fmax(xh, cb[c]), cb[c + 1]);
            let va = v1 + m * (a - x1);
            let vb = v1 + m * (b - x1);
            let (lo, hi) = (fmin(va, vb), fmax(va, vb));
            let hw = sgn * (0.5 * (b - a));
            col[c] += hw * (lo + hi);
            row0[c] += hw * (fmin(lo, 1.0) + fmin(hi, 1.0))
                + hinv * (fmax(hi - 1.0, 0.0) * fmax(1.0 - lo, 0.0));
        }
    }
    (col, row0)
}

/// Square kernel: the quadrilateral `(xo, yo)` (output positions of the shrunken input
/// pixel's corners) spread over the output pixels by exact overlap area: per output pixel
/// the sum over the quad's directed edges of the area between the edge and the pixel's
/// bottom, clipped to the pixel (drizzle's `boxer`).
///
/// Not `boxer` operation for operation (column trapezoids with a row split for footprints
/// of at most 2 × 2 output pixels, [`row_area`]'s branch-free clamps otherwise), so the
/// bits already differ from drizzle's by rounding. The classification (Jacobian, extent,
/// `nint`, `w / jaco`) is f64. The areas are f64 except for footprints of at most 2 × 2
/// output pixels not clipped at the image's columns (nearly every pixel when the output
/// pixels are not smaller than the input ones): those are computed in f32 from quad-local
/// coordinates ([`areas_2x2_f32`], the operations of the 8-lane vector code
/// `simd::square_block`, same bits), with errors below `1e-6` of the quad's area (in f64
/// where one is near zero, [`NEAR_ZERO_2X2`]), and the weight `a·(w / jaco)` is an f32
/// product: each contribution is
/// off by less than `1e-6` (typically a few `1e-8`) of the input pixel's weight `w`, the
/// order of the f32 rounding of the stored weights themselves, and an output pixel sums
/// the contributions of a few input pixels of about its size, so its weight keeps that
/// relative accuracy, well inside the parity tolerance against drizzle (`1e-5` of the
/// largest science and weight values). Footprints clipped at the image's columns and
/// larger ones keep f64 areas. A footprint of at most 2 × 2 cut by the rows `[r0, r1)`
/// (a stripe's edge) is computed whole and its rows outside dropped, so that it gets the
/// same bits in every stripe, whatever the number of threads.
#[inline(always)]
pub(crate) fn square<S: Sink>(xo: &[f64; 4], yo: &[f64; 4], w: f64, clip: Clip, s: &mut S) {
    let jaco = 0.5 * ((xo[1] - xo[3]) * (yo[0] - yo[2]) - (xo[0] - xo[2]) * (yo[1] - yo[3]));
    if jaco == 0.0 || !jaco.is_finite() {
        return;
    }
    // (The corners are finite: a finite `jaco` came from finite corners.)
    let xmin = fmin(fmin(xo[0], xo[1]), fmin(xo[2], xo[3]));
    let xmax = fmax(fmax(xo[0], xo[1]), fmax(xo[2], xo[3]));
    let ymin = fmin(fmin(yo[0], yo[1]), fmin(yo[2], yo[3]));
    let ymax = fmax(fmax(yo[0], yo[1]), fmax(yo[2], yo[3]));
    let j0 = nint(ymin).max(clip.r0);
    let j1 = nint(ymax).min(clip.r1 - 1);
    let i0 = nint(xmin).max(0);
    let i1 = nint(xmax).min(clip.nx - 1);
    if j0 > j1 || i0 > i1 {
        return;
    }
    let wj = w / jaco;
    let sj = jaco.signum();
    let ncol = (i1 - i0 + 1) as usize;
    let px0 = i0 as f64 - 0.5;
    let (jl, jh) = (nint(ymin), nint(ymax));
    if ncol <= 2 && jh - jl <= 1 {
        // The common case, a quad smaller than an output pixel: at most 2 × 2 output
        // pixels. Per column: its whole area `col` and the part in the first row `row0`;
        // the second row gets `col - row0` (exactly 0 when nothing is clamped, as both
        // sums then add the same terms). Rows outside `[r0, r1)` are computed too, then
        // dropped: a footprint cut by a stripe's edge gets the same values in both
        // stripes as uncut, so the result does not depend on the number of threads.
        let (il, ih) = (nint(xmin), nint(xmax));
        // Weight of output pixel (i0 + c, jl + r) at 2 r + c, 0 where nothing is added.
        let mut dow = [0.0f32; 4];
        let mut done = false;
        if il >= 0 && ih < clip.nx {
            // Columns not clipped: the areas in f32 ([`areas_2x2_f32`], the vector
            // lanes' operations), weights `a·wj` in f32, unless an output pixel of the
            // footprint gets a near-zero area (see [`NEAR_ZERO_2X2`]).
            let (cells, close) =
                areas_2x2_f32(xo, yo, [xmin, xmax, ymin, ymax], (il, ih), (jl, jh));
            let exists = [true, ih > il, jh > jl, ih > il && jh > jl];
            let near = NEAR_ZERO_2X2 * (((xmax - xmin) * (ymax - ymin)) as f32);
            if !close
                && cells
                    .iter()
                    .zip(exists)
                    .all(|(&a, e)| !e || a == 0.0 || a.abs() >= near)
            {
                done = true;
                let (wj, sj) = (wj as f32, sj as f32);
                for (d, &a) in dow.iter_mut().zip(&cells) {
                    if a * sj > 0.0 {
                        *d = a * wj;
                    }
                }
            }
        }
        if !done {
            // Columns clipped at the image's edge, or a near-zero area: f64 areas.
            dow = dow_2x2_f64(xo, yo, (px0, jl as f64 - 0.5), wj, sj);
        }
        for r in 0..=jh - jl {
            let jj = jl + r;
            if jj < clip.r0 || jj >= clip.r1 {
                continue;
            }
            for (c, &d) in dow[2 * r as usize..][..ncol].iter().enumerate() {
                if d != 0.0 {
                    s.add((i0 + c as i64) as usize, jj as usize, d);
                }
            }
        }
        return;
    }
    // A larger footprint: the same terms, output pixel by output pixel.
    let mut edges = [(0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64); 4];
    let mut n = 0;
    for k in 0..4 {
        let k2 = (k + 1) & 3;
        let (x1, y1, x2, y2) = (xo[k], yo[k], xo[k2], yo[k2]);
        let dx = x2 - x1;
        if dx == 0.0 {
            continue;
        }
        let m = (y2 - y1) / dx;
        let sgn = dx.signum();
        let am = m.abs();
        let hinv = if am > 0.0 { sgn * (0.5 / am) } else { 0.0 };
        edges[n] = (x1, y1, fmin(x1, x2), fmax(x1, x2), m, sgn, hinv);
        n += 1;
    }
    for jj in j0..=j1 {
        let py = jj as f64 - 0.5;
        for ii in i0..=i1 {
            let px = ii as f64 - 0.5;
            let mut a = 0.0;
            for &(x1, y1, xl, xh, m, sgn, hinv) in &edges[..n] {
                let ca = fmin(fmax(xl, px), px + 1.0);
                let cb = fmin(fmax(xh, px), px + 1.0);
                let ya = y1 + m * (ca - x1);
                let yb = y1 + m * (cb - x1);
                a += row_area(
                    sgn * (0.5 * (cb - ca)),
                    fmin(ya, yb),
                    fmax(ya, yb),
                    hinv,
                    py,
                );
            }
            if a * sj > 0.0 {
                s.add(ii as usize, jj as usize, (a * wj) as f32);
            }
        }
    }
}

/// A test sink recording the non-zero contributions (pixel, weight bits) in order.
#[cfg(test)]
pub(crate) struct Rec(pub(crate) Vec<(usize, usize, u32)>);

#[cfg(test)]
impl Sink for Rec {
    fn add(&mut self, ii: usize, jj: usize, dow: f32) {
        if dow != 0.0 {
            self.0.push((ii, jj, dow.to_bits()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// The corners, in drizzle's order, of a square of half-side `s` centred on
    /// `(cx, cy)` and rotated by the angle of cosine and sine `(c, sn)`.
    fn rotated_square(cx: f64, cy: f64, s: f64, (c, sn): (f64, f64)) -> ([f64; 4], [f64; 4]) {
        let offs = [(-s, s), (s, s), (s, -s), (-s, -s)];
        (
            offs.map(|(u, v)| cx + c * u - sn * v),
            offs.map(|(u, v)| cy + sn * u + c * v),
        )
    }

    /// Cell areas `[row0[0], row0[1], col[0] - row0[0], col[1] - row0[1]]` of the 2 × 2
    /// path, f32 ([`areas_2x2_f32`]) and f64 ([`areas_2x2_f64`], the former arithmetic),
    /// with `|jaco|` and the bounding box's area, or `None` where [`square`] would not take
    /// that path unclipped.
    fn both_areas(xo: &[f64; 4], yo: &[f64; 4]) -> Option<([f64; 4], [f64; 4], f64, f64)> {
        let jaco = 0.5 * ((xo[1] - xo[3]) * (yo[0] - yo[2]) - (xo[0] - xo[2]) * (yo[1] - yo[3]));
        if jaco == 0.0 || !jaco.is_finite() {
            return None;
        }
        let ext = [
            xo.iter().copied().fold(f64::INFINITY, f64::min),
            xo.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            yo.iter().copied().fold(f64::INFINITY, f64::min),
            yo.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ];
        let [il, ih, jl, jh] = ext.map(nint);
        if il < 0 || jl < 0 || ih - il > 1 || jh - jl > 1 {
            return None;
        }
        let cells32 = areas_2x2_f32(xo, yo, ext, (il, ih), (jl, jh))
            .0
            .map(f64::from);
        let (c64, r64) = areas_2x2_f64(xo, yo, il as f64 - 0.5, jl as f64 - 0.5);
        let cells64 = [r64[0], r64[1], c64[0] - r64[0], c64[1] - r64[1]];
        let bx = (ext[1] - ext[0]) * (ext[3] - ext[2]);
        Some((cells32, cells64, jaco.abs(), bx))
    }

    /// The f32 areas of the 2 × 2 path agree with the former f64 ones to 1e-6 of the
    /// quad's area per output pixel, over random, sheared and stretched, grid-aligned
    /// (corners on an eighth-pixel grid or on output pixel borders), tiny, nearly
    /// axis-aligned (edges nearly horizontal and vertical) and nearly collapsed (two
    /// corners nearly coinciding) quads, far from the origin as in real images; and to
    /// 1e-6 of the bounding box's area for slivers too (1e-4 to 1e-1 as wide as long, at
    /// any angle), which [`NEAR_ZERO_2X2`] relies on.
    #[test]
    fn areas_2x2_f32_match_f64() {
        let mut rng = StdRng::seed_from_u64(19);
        const KINDS: [&str; 7] = [
            "random",
            "sheared",
            "grid",
            "tiny",
            "axis",
            "collapsed",
            "sliver",
        ];
        let mut worst = [[0.0f64; 2]; 7];
        let mut count = [0usize; 7];
        for i in 0..350_000 {
            let kind = i % 7;
            let cx = rng.random_range(1.0..5000.0);
            let cy = rng.random_range(1.0..5000.0);
            let th: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let quarter = std::f64::consts::FRAC_PI_2 * rng.random_range(0..4) as f64;
            let mut s = rng.random_range(0.05..0.75);
            let (mut sx, mut sy, mut sh) = (1.0, 1.0, 0.0);
            let (mut c, mut sn) = (th.cos(), th.sin());
            match kind {
                1 => {
                    sx = rng.random_range(0.5..1.5);
                    sy = rng.random_range(0.5..1.5);
                    sh = rng.random_range(-0.4..0.4);
                }
                2 => (c, sn) = [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)][i % 4],
                3 => s = 10f64.powf(rng.random_range(-6.0..-1.0)),
                4 => {
                    let eps = 10f64.powf(rng.random_range(-14.0..-4.0));
                    let t = quarter + if i % 12 < 6 { eps } else { -eps };
                    (c, sn) = (t.cos(), t.sin());
                }
                6 => sy = 10f64.powf(rng.random_range(-4.0..-1.0)),
                _ => {}
            }
            let offs = [(-s, s), (s, s), (s, -s), (-s, -s)];
            let mut xo = [0.0; 4];
            let mut yo = [0.0; 4];
            for (k, (u, v)) in offs.into_iter().enumerate() {
                let (u, v) = (sx * u + sh * v, sy * v);
                xo[k] = cx + c * u - sn * v;
                yo[k] = cy + sn * u + c * v;
                if kind == 2 && i % 3 == 0 {
                    xo[k] = (xo[k] * 8.0).round() / 8.0;
                    yo[k] = (yo[k] * 8.0).round() / 8.0;
                } else if kind == 2 && i % 3 == 1 {
                    // corners on output pixel borders
                    xo[k] = (xo[k] + 0.5).round() - 0.5;
                    yo[k] = (yo[k] + 0.5).round() - 0.5;
                }
            }
            if kind == 5 {
                // corner k2 moved to within t of corner k (of the edge's length)
                let k = i % 4;
                let k2 = (k + 1) & 3;
                let t = 10f64.powf(rng.random_range(-12.0..-1.0));
                xo[k2] = xo[k] + t * (xo[k2] - xo[k]);
                yo[k2] = yo[k] + t * (yo[k2] - yo[k]);
            }
            let Some((a32, a64, jaco, bx)) = both_areas(&xo, &yo) else {
                continue;
            };
            count[kind] += 1;
            for (p, (&a, &b)) in a32.iter().zip(&a64).enumerate() {
                // An exact 0 in f32 (taken as "not reached") is 0 in f64 too.
                assert!(
                    a != 0.0 || b == 0.0,
                    "{} quad {xo:?} {yo:?}: cell {p}: 0 (f32) vs {b} (f64)",
                    KINDS[kind]
                );
                let (e, eb) = ((a - b).abs() / jaco, (a - b).abs() / bx);
                assert!(
                    eb <= 1e-6 && (kind == 6 || e <= 1e-6),
                    "{} quad {xo:?} {yo:?}: cell {p}: {a} (f32) vs {b} (f64): {e:.2e} of |jaco| {jaco}, {eb:.2e} of the box",
                    KINDS[kind]
                );
                worst[kind][0] = worst[kind][0].max(e);
                worst[kind][1] = worst[kind][1].max(eb);
            }
        }
        for k in 0..7 {
            eprintln!(
                "{:9}: {:6} quads, max |Δa|/|jaco| {:.2e}, /box {:.2e}",
                KINDS[k], count[k], worst[k][0], worst[k][1]
            );
            assert!(count[k] > 10_000, "{}: {}", KINDS[k], count[k]);
        }
    }

    /// A quad reaching past an output pixel border by a hair (`1e-3` to `1e-12` of a
    /// pixel, edges parallel to the borders or a corner, at 0° and 7°) gives a weight to
    /// exactly the output pixels it overlaps in f64 (their context bits are drizzle's).
    #[test]
    fn hairline_overlaps_are_not_lost() {
        let mut seen = 0;
        for k in 3..=12 {
            let eps = 10f64.powi(-k);
            for (th, cx, cy) in [(0.0f64, 1000.2, 2000.3), (0.122, 1000.6, 2000.1)] {
                let (xo, yo) = rotated_square(cx, cy, 0.4, (th.cos(), th.sin()));
                // Shift so that the right-most corner lies `eps` past the column border
                // and the top-most `eps` past the row border.
                let xmax = xo.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let ymax = yo.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (dx, dy) = (
                    (xmax - 0.5).floor() + 0.5 + eps - xmax,
                    (ymax - 0.5).floor() + 0.5 + eps - ymax,
                );
                let xo = xo.map(|x| x + dx);
                let yo = yo.map(|y| y + dy);
                let Some((_, a64, _, _)) = both_areas(&xo, &yo) else {
                    continue;
                };
                let jaco =
                    0.5 * ((xo[1] - xo[3]) * (yo[0] - yo[2]) - (xo[0] - xo[2]) * (yo[1] - yo[3]));
                let (il, jl) = (nint(xo[0].min(xo[1]).min(xo[2]).min(xo[3])), {
                    nint(yo[0].min(yo[1]).min(yo[2]).min(yo[3]))
                });
                let want: Vec<(usize, usize)> = (0..4)
                    .filter(|&p| a64[p] * jaco.signum() > 0.0)
                    .map(|p| {
                        (
                            (il + (p % 2) as i64) as usize,
                            (jl + (p / 2) as i64) as usize,
                        )
                    })
                    .collect();
                let mut got = Rec(Vec::new());
                let clip = Clip {
                    r0: 0,
                    r1: 5000,
                    nx: 5000,
                };
                square(&xo, &yo, 1.0, clip, &mut got);
                let got: Vec<(usize, usize)> = got.0.iter().map(|p| (p.0, p.1)).collect();
                assert_eq!(got, want, "eps {eps:e} th {th}: {a64:?}");
                seen += a64.iter().filter(|&&a| a != 0.0 && a.abs() < 1e-5).count();
            }
        }
        assert!(seen > 10, "{seen}");
    }

    /// A footprint cut by a stripe's edge (rows `[r0, r1)`) gets the same weights, bit
    /// for bit, as uncut: the 2 × 2 path (f32 areas, and f64 where the image's first or
    /// last column clips it) and the general path, so that results do not depend on the
    /// number of threads.
    #[test]
    fn stripe_edges_do_not_change_bits() {
        let mut rng = StdRng::seed_from_u64(23);
        let nx = 40;
        let (mut cut, mut two_by_two) = (0usize, 0usize);
        for _ in 0..50_000 {
            let cx = rng.random_range(-1.0..41.0);
            let cy = rng.random_range(3.0..37.0);
            let s = rng.random_range(0.1..0.9);
            let th: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let (xo, yo) = rotated_square(cx, cy, s, (th.cos(), th.sin()));
            let w = rng.random_range(0.1..2.0);
            let full_clip = Clip { r0: 0, r1: 50, nx };
            let mut full = Rec(Vec::new());
            square(&xo, &yo, w, full_clip, &mut full);
            let rows: std::collections::BTreeSet<_> = full.0.iter().map(|p| p.1).collect();
            two_by_two += usize::from(rows.len() == 2);
            for &edge in rows.iter().skip(1) {
                let edge = edge as i64;
                let mut parts = Rec(Vec::new());
                square(
                    &xo,
                    &yo,
                    w,
                    Clip {
                        r1: edge,
                        ..full_clip
                    },
                    &mut parts,
                );
                square(
                    &xo,
                    &yo,
                    w,
                    Clip {
                        r0: edge,
                        ..full_clip
                    },
                    &mut parts,
                );
                assert_eq!(parts.0, full.0, "{xo:?} {yo:?} cut at row {edge}");
                cut += 1;
            }
        }
        assert!(cut > 20_000 && two_by_two > 10_000, "{cut} {two_by_two}");
    }
}
