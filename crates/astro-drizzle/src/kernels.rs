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

/// Pixels per [`CornerBlock`].
pub(crate) const CORNER_BLOCK: usize = 32;

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
    if !(pfo < 0.5 && ib >= 0 && ib + 1 < clip.nx && jb >= clip.r0 && jb + 1 < clip.r1) {
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
            let jj = jb + r as i64;
            if !(dyr > 0.0 && jj >= clip.r0 && jj < clip.r1) {
                continue;
            }
            for (c, &dxc) in dx.iter().enumerate() {
                let ii = ib + c as i64;
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

/// Square kernel: the quadrilateral `(xo, yo)` (output positions of the shrunken input
/// pixel's corners) spread over the output pixels by exact overlap area: per output pixel
/// the sum over the quad's directed edges of the area between the edge and the pixel's
/// bottom, clipped to the pixel (drizzle's `boxer`).
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
    if ncol <= 2 && jh - jl <= 1 && jl >= clip.r0 && jh < clip.r1 {
        // The common case, a quad smaller than an output pixel: at most 2 × 2 output
        // pixels, rows not clipped. Heights are measured from the bottom `py0` of row
        // `jl`; the quad lies within rows `jl..=jh`, so only the clamp at the top of the
        // first row can be active. Per column: its whole area `col` and the part in the
        // first row `row0`; the second row gets `col - row0` (exactly 0 when nothing is
        // clamped, as both sums then add the same terms).
        let py0 = jl as f64 - 0.5;
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
        for (c, &a) in row0[..ncol].iter().enumerate() {
            if a * sj > 0.0 {
                s.add((i0 + c as i64) as usize, jl as usize, (a * wj) as f32);
            }
        }
        if jh > jl {
            for (c, (&cv, &r0v)) in col[..ncol].iter().zip(&row0[..ncol]).enumerate() {
                let a = cv - r0v;
                if a * sj > 0.0 {
                    s.add((i0 + c as i64) as usize, jh as usize, (a * wj) as f32);
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
