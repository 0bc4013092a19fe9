//! The [`Interpolator`]: per-image precomputation plus scalar and batched evaluation.

use std::borrow::Cow;

use ndarray::{
    Array, Array2, ArrayView, ArrayView2, ArrayView3, ArrayViewMut2, Axis, Dimension, Zip,
};

use crate::kernels::{self, ifloor};
use crate::simd::Coords;
use crate::spline::{self, Init};
use crate::{Boundary, Error, InterpOptions, Interpolant, OutOfBounds, Result};

/// Largest kernel support handled on the stack (sinc with `nsinc = 64`).
const MAX_TAPS: usize = 129;
/// Coordinates are clamped to `[-LIMIT, n + LIMIT]` for the non-periodic boundaries, far
/// beyond any kernel support, so that index arithmetic cannot overflow.
const LIMIT: f64 = 1.0e9;

/// An image prepared for interpolation with one interpolant and one set of options.
///
/// Construction does the per-image work once (the `spline3` prefilter, the Lanczos and
/// `lsinc` look-up tables); evaluation is then a pure function of the coordinates, so batched
/// evaluation is parallel over output rows (feature `rayon`) and bit-identical for any
/// number of threads. Memory: the image is borrowed when contiguous; `spline3` adds an `f64`
/// coefficient array (8 bytes per pixel, plus a 12-pixel frame for the `Nearest`, `Constant`
/// and `Project` boundaries, as scipy pads).
///
/// **Coordinates** are 0-based pixel centres: `(x, y) = (0, 0)` is the centre of `image[[0, 0]]`,
/// `x` the column. Every coordinate is safe: NaN/±inf give `fillval`, huge values are
/// handled by the boundary rule, no read is ever out of bounds.
///
/// **Masks** (`true` = bad pixel, as in `numpy.ma`): a masked pixel never contributes.
/// * `nearest`: a masked nearest pixel gives `fillval`.
/// * `linear`: the weights of the unmasked corners are renormalised to sum to 1; all four
///   masked (or only zero-weight corners unmasked) gives `fillval`.
/// * every wider kernel (`poly3`, `poly5`, `spline3`, `sinc`, `lsinc`, `lanczos*`): if any
///   pixel with a non-zero weight is masked, the point falls back to the masked `linear` rule
///   above (renormalising a kernel with negative lobes can blow up).
/// * `spline3` also treats non-finite pixels as masked, and before prefiltering replaces
///   every masked or non-finite pixel by linear interpolation between the nearest good pixels
///   of its row (0 if the row has none), so that the global prefilter is not poisoned; their
///   influence on points whose 4×4 support is clean decays as 0.268^distance.
/// * pixels beyond the edge follow the [`Boundary`] (constant pixels are never masked;
///   `Project` pixels are masked when the edge or the mirror pixel is).
///
/// Without a mask, NaN pixels propagate (NaN in any tap with a non-zero weight gives NaN),
/// except for `spline3` as said.
///
/// # Examples
///
/// ```
/// use astro_interp::{InterpOptions, Interpolant, Interpolator};
/// use ndarray::{array, Array2};
///
/// let image = Array2::from_shape_fn((8, 8), |(y, x)| (2 * x + 3 * y) as f32);
/// let it = Interpolator::new(image.view(), Interpolant::Poly3, InterpOptions::default()).unwrap();
/// assert!((it.eval(2.5, 3.25) - (5.0 + 9.75)).abs() < 1e-5);
/// // Batched, any shape:
/// let xs = array![1.5, 2.0, 3.75];
/// let ys = array![1.0, 4.5, 2.5];
/// let v = it.eval_many(xs.view(), ys.view()).unwrap();
/// assert!((v[2] - (7.5 + 7.5)).abs() < 1e-5);
/// ```
#[derive(Debug, Clone)]
pub struct Interpolator<'a> {
    data: Cow<'a, [f32]>,
    mask: Option<Cow<'a, [bool]>>,
    nx: usize,
    ny: usize,
    interpolant: Interpolant,
    opts: InterpOptions,
    coef: Vec<f64>,
    cpad: usize,
    cnx: usize,
    cny: usize,
    lut: Vec<f64>,
    taper: Vec<f64>,
    lsinc: Vec<f64>,
}

impl<'a> Interpolator<'a> {
    /// Prepares `image` (shape `(ny, nx)`) for `interpolant` with `options`. A contiguous
    /// (standard-layout) view is borrowed, any other view copied.
    ///
    /// Errors: an empty image, or an invalid option (`sinscl`, `nsinc`, `lsinc_resolution`).
    ///
    /// ```
    /// use astro_interp::{Error, InterpOptions, Interpolant, Interpolator};
    /// use ndarray::Array2;
    ///
    /// let img = Array2::<f32>::ones((4, 5));
    /// let it = Interpolator::new(img.view(), Interpolant::Linear, InterpOptions::default()).unwrap();
    /// assert_eq!(it.shape(), (4, 5));
    /// let bad = InterpOptions { sinscl: 0.0, ..InterpOptions::default() };
    /// assert!(matches!(
    ///     Interpolator::new(img.view(), Interpolant::Sinc, bad),
    ///     Err(Error::InvalidParameter { name: "sinscl", .. })
    /// ));
    /// ```
    pub fn new(
        image: ArrayView2<'a, f32>,
        interpolant: Interpolant,
        options: InterpOptions,
    ) -> Result<Self> {
        Self::build(image, None, interpolant, options)
    }

    /// Like [`Interpolator::new`] with a bad-pixel mask of the image's shape (`true` = bad,
    /// never contributes; see the type's documentation for the rule per interpolant).
    ///
    /// ```
    /// use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// use ndarray::{array, Array2};
    ///
    /// let img = array![[1.0f32, 100.0], [1.0, 1.0]];
    /// let mask = array![[false, true], [false, false]];
    /// let it = Interpolator::with_mask(img.view(), mask.view(), Interpolant::Linear,
    ///                                  InterpOptions::default()).unwrap();
    /// assert_eq!(it.eval(0.5, 0.5), 1.0); // the masked 100 is ignored
    /// ```
    pub fn with_mask(
        image: ArrayView2<'a, f32>,
        mask: ArrayView2<'a, bool>,
        interpolant: Interpolant,
        options: InterpOptions,
    ) -> Result<Self> {
        if mask.dim() != image.dim() {
            return Err(Error::ShapeMismatch {
                what: "mask",
                expected: image.shape().to_vec(),
                got: mask.shape().to_vec(),
            });
        }
        Self::build(image, Some(mask), interpolant, options)
    }

    fn build(
        image: ArrayView2<'a, f32>,
        mask: Option<ArrayView2<'a, bool>>,
        interpolant: Interpolant,
        opts: InterpOptions,
    ) -> Result<Self> {
        opts.validate()?;
        let (ny, nx) = image.dim();
        if nx == 0 || ny == 0 {
            return Err(Error::EmptyImage { ny, nx });
        }
        let data: Cow<'a, [f32]> = match image.to_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(image.iter().copied().collect()),
        };
        let mut mask: Option<Cow<'a, [bool]>> = mask.map(|m| match m.to_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(m.iter().copied().collect()),
        });
        let mut it = Interpolator {
            data,
            mask: None,
            nx,
            ny,
            interpolant,
            opts,
            coef: Vec::new(),
            cpad: 0,
            cnx: 0,
            cny: 0,
            lut: Vec::new(),
            taper: Vec::new(),
            lsinc: Vec::new(),
        };
        match interpolant {
            Interpolant::Spline3 => {
                if it.data.iter().any(|v| !v.is_finite()) {
                    let mut m: Vec<bool> = match &mask {
                        Some(m) => m.to_vec(),
                        None => vec![false; nx * ny],
                    };
                    for (mk, v) in m.iter_mut().zip(it.data.iter()) {
                        *mk |= !v.is_finite();
                    }
                    mask = Some(Cow::Owned(m));
                }
                it.mask = mask.take();
                it.build_spline();
            }
            Interpolant::Lanczos2 => it.lut = kernels::lanczos_lut(2),
            Interpolant::Lanczos3 => it.lut = kernels::lanczos_lut(3),
            Interpolant::Lanczos5 => it.lut = kernels::lanczos_lut(5),
            Interpolant::Sinc => it.taper = kernels::sinc_taper(opts.nsinc),
            Interpolant::Lsinc => {
                it.taper = kernels::sinc_taper(opts.nsinc);
                let nt = it.taper.len();
                let res = opts.lsinc_resolution;
                let mut table = vec![0.0; (res + 1) * nt];
                for q in 0..=res {
                    let dx = (q as f64 / res as f64 - 0.5) * opts.sinscl;
                    kernels::sinc_weights(dx, &it.taper, &mut table[q * nt..(q + 1) * nt]);
                }
                it.lsinc = table;
            }
            _ => {}
        }
        if it.mask.is_none() {
            it.mask = mask;
        }
        Ok(it)
    }

    /// The image shape `(ny, nx)`.
    ///
    /// ```
    /// # use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// let img = ndarray::Array2::<f32>::zeros((3, 7));
    /// let it = Interpolator::new(img.view(), Interpolant::Nearest, InterpOptions::default()).unwrap();
    /// assert_eq!(it.shape(), (3, 7));
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        (self.ny, self.nx)
    }

    /// The interpolant.
    ///
    /// ```
    /// # use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// let img = ndarray::Array2::<f32>::zeros((3, 7));
    /// let it = Interpolator::new(img.view(), Interpolant::Lsinc, InterpOptions::default()).unwrap();
    /// assert_eq!(it.interpolant(), Interpolant::Lsinc);
    /// ```
    pub fn interpolant(&self) -> Interpolant {
        self.interpolant
    }

    /// The options.
    ///
    /// ```
    /// # use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// let img = ndarray::Array2::<f32>::zeros((3, 7));
    /// let o = InterpOptions::blot(Interpolant::Linear, -1.0);
    /// let it = Interpolator::new(img.view(), Interpolant::Linear, o).unwrap();
    /// assert_eq!(it.options().fillval, -1.0);
    /// ```
    pub fn options(&self) -> &InterpOptions {
        &self.opts
    }

    fn build_spline(&mut self) {
        let (nx, ny) = (self.nx, self.ny);
        let b = self.opts.boundary;
        let (pad, init) = match b {
            Boundary::Reflect => (0, Init::Mirror),
            Boundary::Symmetric => (0, Init::Symmetric),
            Boundary::Wrap => (0, Init::Periodic),
            // scipy: 'nearest' pads 12 with the edge and filters with the half-sample rule,
            // 'grid-constant' pads 12 with cval and filters with the mirror rule.
            Boundary::Nearest => (spline::PAD, Init::Symmetric),
            Boundary::Constant(_) | Boundary::Project => (spline::PAD, Init::Mirror),
        };
        // Clean copy: masked / non-finite pixels replaced along their row.
        let mut clean: Vec<f64> = self.data.iter().map(|&v| v as f64).collect();
        if let Some(m) = &self.mask {
            for j in 0..ny {
                fill_bad_row(&mut clean[j * nx..(j + 1) * nx], &m[j * nx..(j + 1) * nx]);
            }
        }
        let (cnx, cny) = (nx + 2 * pad, ny + 2 * pad);
        let mut c = vec![0.0; cnx * cny];
        let p = pad as i64;
        for cj in 0..cny {
            for ci in 0..cnx {
                c[cj * cnx + ci] = ext_value(b, nx, ny, ci as i64 - p, cj as i64 - p, |i, j| {
                    clean[j * nx + i]
                });
            }
        }
        spline::filter_2d(&mut c, cny, cnx, init);
        self.coef = c;
        self.cpad = pad;
        self.cnx = cnx;
        self.cny = cny;
    }

    /// Interpolated value at `(x, y)` (0-based pixel centres).
    ///
    /// ```
    /// use astro_interp::{InterpOptions, Interpolant, Interpolator, OutOfBounds};
    /// let img = ndarray::Array2::from_shape_fn((4, 4), |(y, x)| (x + 10 * y) as f32);
    /// let o = InterpOptions { out_of_bounds: OutOfBounds::Fill, fillval: -1.0, ..Default::default() };
    /// let it = Interpolator::new(img.view(), Interpolant::Linear, o).unwrap();
    /// assert_eq!(it.eval(1.5, 2.0), 21.5);
    /// assert_eq!(it.eval(3.5, 0.0), -1.0); // beyond the last pixel centre
    /// assert_eq!(it.eval(f64::NAN, 0.0), -1.0);
    /// ```
    #[inline]
    pub fn eval(&self, x: f64, y: f64) -> f32 {
        match self.interpolant {
            Interpolant::Nearest => self.k_nearest(x, y),
            Interpolant::Linear => self.k_linear(x, y),
            Interpolant::Poly3 => self.k_poly3(x, y),
            Interpolant::Poly5 => self.k_poly5(x, y),
            Interpolant::Spline3 => self.k_spline3(x, y),
            Interpolant::Lanczos2 => self.k_lanczos::<4>(x, y),
            Interpolant::Lanczos3 => self.k_lanczos::<6>(x, y),
            Interpolant::Lanczos5 => self.k_lanczos::<10>(x, y),
            Interpolant::Sinc | Interpolant::Lsinc => self.k_sinc(x, y),
        }
    }

    /// Calls `f` with the evaluation function of this interpolator's kernel, so that batch
    /// loops are monomorphised per interpolant (one dispatch per batch, not per point).
    #[inline(always)]
    fn with_kernel<R>(&self, f: impl KernelUser<'a, R>) -> R {
        match self.interpolant {
            Interpolant::Nearest => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_nearest(x, y),
            ),
            Interpolant::Linear => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_linear(x, y),
            ),
            Interpolant::Poly3 => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_poly3(x, y),
            ),
            Interpolant::Poly5 => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_poly5(x, y),
            ),
            Interpolant::Spline3 => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_spline3(x, y),
            ),
            Interpolant::Lanczos2 => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_lanczos::<4>(x, y),
            ),
            Interpolant::Lanczos3 => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_lanczos::<6>(x, y),
            ),
            Interpolant::Lanczos5 => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_lanczos::<10>(x, y),
            ),
            Interpolant::Sinc | Interpolant::Lsinc => f.call(
                #[inline(always)]
                |s: &Self, x, y| s.k_sinc(x, y),
            ),
        }
    }

    /// Domain test and coordinate conditioning shared by every kernel: `None` → `fillval`.
    #[inline(always)]
    fn pre(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        if !(x.is_finite() && y.is_finite()) {
            return None;
        }
        let (fnx, fny) = (self.nx as f64, self.ny as f64);
        match self.opts.out_of_bounds {
            OutOfBounds::Extend => {}
            OutOfBounds::Fill => {
                if !(x >= 0.0 && x <= fnx - 1.0 && y >= 0.0 && y <= fny - 1.0) {
                    return None;
                }
            }
            OutOfBounds::FillBlot => {
                if !(x >= 0.0 && x < fnx && y >= 0.0 && y < fny) {
                    return None;
                }
            }
        }
        Some((self.condition(x, self.nx), self.condition(y, self.ny)))
    }

    #[inline(always)]
    fn finish(&self, v: Option<f64>, x: f64, y: f64) -> f32 {
        match v {
            Some(v) => v as f32,
            None => self.linear(x, y),
        }
    }

    #[inline(always)]
    fn k_nearest(&self, x: f64, y: f64) -> f32 {
        let Some((x, y)) = self.pre(x, y) else {
            return self.opts.fillval;
        };
        let (v, m) = self.pixel(ifloor(x + 0.5), ifloor(y + 0.5));
        if m { self.opts.fillval } else { v as f32 }
    }

    #[inline(always)]
    fn k_linear(&self, x: f64, y: f64) -> f32 {
        match self.pre(x, y) {
            Some((x, y)) => self.linear(x, y),
            None => self.opts.fillval,
        }
    }

    #[inline(always)]
    fn k_poly3(&self, x: f64, y: f64) -> f32 {
        let Some((x, y)) = self.pre(x, y) else {
            return self.opts.fillval;
        };
        let (sx, wx) = kernels::poly3(x);
        let (sy, wy) = kernels::poly3(y);
        self.finish(self.sep(sx, &wx, sy, &wy), x, y)
    }

    #[inline(always)]
    fn k_poly5(&self, x: f64, y: f64) -> f32 {
        let Some((x, y)) = self.pre(x, y) else {
            return self.opts.fillval;
        };
        let (sx, wx) = kernels::poly5(x);
        let (sy, wy) = kernels::poly5(y);
        if let Some(v) = self.sep6(sx, &wx, sy, &wy) {
            return v;
        }
        self.finish(self.sep(sx, &wx, sy, &wy), x, y)
    }

    /// `poly5`'s 6×6 weighted sum when the support lies inside the image and there is no
    /// mask (else `None`): fixed-size rows, pairwise sums (short dependency chains). The
    /// batched `poly5_run` computes exactly this, so both give the same bits.
    #[inline(always)]
    fn sep6(&self, sx: i64, wx: &[f64; 6], sy: i64, wy: &[f64; 6]) -> Option<f32> {
        let nx = self.nx;
        if self.mask.is_some()
            || sx < 0
            || sy < 0
            || (sx as usize) + 6 > nx
            || (sy as usize) + 6 > self.ny
        {
            return None;
        }
        Some(self.sum6(sx as usize, wx, sy as usize, wy))
    }

    /// `Σ_j wy[j] Σ_i wx[i] p(sx + i, sy + j)` over an in-image 6×6 block: one partial sum
    /// per column, `acc[i] += wy[j]·(p·wx[i])` row by row, then
    /// `((acc0 + acc2) + acc4) + ((acc1 + acc3) + acc5)`, the order of the AVX2 kernel of
    /// [`crate::simd`] (so both give the same bits).
    #[inline(always)]
    fn sum6(&self, sx: usize, wx: &[f64; 6], sy: usize, wy: &[f64; 6]) -> f32 {
        let nx = self.nx;
        let mut acc = [0.0f64; 6];
        for (j, &wyj) in wy.iter().enumerate() {
            let base = (sy + j) * nx + sx;
            let row = &self.data[base..base + 6];
            for i in 0..6 {
                acc[i] += wyj * (row[i] as f64 * wx[i]);
            }
        }
        (((acc[0] + acc[2]) + acc[4]) + ((acc[1] + acc[3]) + acc[5])) as f32
    }

    /// `poly5` over a run of points, 4 at a time when all 4 supports lie inside the image
    /// (no mask): the weights of the 4 points are computed together (short, independent
    /// chains the compiler vectorises), then each point's 6×6 sum as in `sep6`. Any other
    /// point goes through [`Interpolator::eval`]'s path; bit-identical to it.
    #[inline(always)]
    fn poly5_run(&self, coords: Coords<'_>, os: &mut [f32], simd: bool) {
        if simd
            && self.mask.is_none()
            && crate::simd::poly5_run(&self.data, self.nx, self.ny, coords, os, |x, y| {
                self.k_poly5(x, y)
            })
        {
            return;
        }
        const G: usize = 4;
        // Support inside: floor(x) − 2 ≥ 0 and floor(x) + 3 ≤ nx − 1, i.e. 2 ≤ x < nx − 3
        // (this also satisfies every out-of-bounds policy's domain).
        let (xmax, ymax) = (self.nx as f64 - 3.0, self.ny as f64 - 3.0);
        let done = os.len() / G * G;
        let mut oc = os.chunks_exact_mut(G);
        for (c, o) in (&mut oc).enumerate() {
            let mut xs = [0.0f64; G];
            let mut ys = [0.0f64; G];
            for k in 0..G {
                (xs[k], ys[k]) = coords.get(c * G + k);
            }
            let mut ok = self.mask.is_none();
            for k in 0..G {
                // NaN fails every comparison, so it takes the point-by-point path.
                ok &= (xs[k] >= 2.0) & (xs[k] < xmax) & (ys[k] >= 2.0) & (ys[k] < ymax);
            }
            if !ok {
                for k in 0..G {
                    o[k] = self.k_poly5(xs[k], ys[k]);
                }
                continue;
            }
            let mut ix = [0i64; G];
            let mut iy = [0i64; G];
            let mut wx = [[0.0f64; 6]; G];
            let mut wy = [[0.0f64; 6]; G];
            for k in 0..G {
                ix[k] = ifloor(xs[k]);
                iy[k] = ifloor(ys[k]);
                wx[k] = kernels::poly5_weights(xs[k] - ix[k] as f64);
                wy[k] = kernels::poly5_weights(ys[k] - iy[k] as f64);
            }
            for k in 0..G {
                o[k] = self.sum6(ix[k] as usize - 2, &wx[k], iy[k] as usize - 2, &wy[k]);
            }
        }
        for (k, o) in oc.into_remainder().iter_mut().enumerate() {
            let (x, y) = coords.get(done + k);
            *o = self.k_poly5(x, y);
        }
    }

    #[inline(always)]
    fn k_spline3(&self, x: f64, y: f64) -> f32 {
        let Some((x, y)) = self.pre(x, y) else {
            return self.opts.fillval;
        };
        self.finish(self.spline3(x, y), x, y)
    }

    #[inline(always)]
    fn k_lanczos<const N: usize>(&self, x: f64, y: f64) -> f32 {
        let Some((x, y)) = self.pre(x, y) else {
            return self.opts.fillval;
        };
        let (sx, wx) = kernels::lanczos::<N>(x, &self.lut);
        let (sy, wy) = kernels::lanczos::<N>(y, &self.lut);
        self.finish(self.sep(sx, &wx, sy, &wy), x, y)
    }

    #[inline(always)]
    fn k_sinc(&self, x: f64, y: f64) -> f32 {
        let Some((x, y)) = self.pre(x, y) else {
            return self.opts.fillval;
        };
        self.finish(self.sinc(x, y), x, y)
    }

    /// Brings a finite coordinate into a range where index arithmetic is safe, without
    /// changing the interpolated value.
    #[inline(always)]
    fn condition(&self, x: f64, n: usize) -> f64 {
        if self.opts.out_of_bounds != OutOfBounds::Extend {
            return x;
        }
        let b = self.opts.boundary;
        if b.is_periodic() {
            let fnx = n as f64;
            let period = match b {
                Boundary::Reflect => 2.0 * (fnx - 1.0),
                Boundary::Symmetric => 2.0 * fnx,
                _ => fnx,
            };
            if period == 0.0 {
                return 0.0;
            }
            if (-LIMIT..=LIMIT).contains(&x) {
                // Exact for in-range values; the fold happens on pixel indices.
                return x;
            }
            x.rem_euclid(period)
        } else {
            x.clamp(-LIMIT, n as f64 + LIMIT)
        }
    }

    #[inline(always)]
    fn direct(&self, i: usize, j: usize) -> (f64, bool) {
        let k = j * self.nx + i;
        let m = match &self.mask {
            Some(m) => m[k],
            None => false,
        };
        (self.data[k] as f64, m)
    }

    /// Value and mask of the (possibly virtual) pixel `(i, j)`.
    #[inline]
    fn pixel(&self, i: i64, j: i64) -> (f64, bool) {
        let (nx, ny) = (self.nx, self.ny);
        if i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny {
            return self.direct(i as usize, j as usize);
        }
        let b = self.opts.boundary;
        let v = ext_value(b, nx, ny, i, j, |ii, jj| self.data[jj * nx + ii] as f64);
        let m = match &self.mask {
            None => false,
            Some(m) => ext_mask(b, nx, ny, i, j, |ii, jj| m[jj * nx + ii]),
        };
        (v, m)
    }

    /// Separable weighted sum; `None` if a masked pixel has a non-zero weight.
    #[inline(always)]
    fn sep(&self, sx: i64, wx: &[f64], sy: i64, wy: &[f64]) -> Option<f64> {
        let (n, m) = (wx.len(), wy.len());
        let nx = self.nx;
        let inside = sx >= 0 && sy >= 0 && (sx as usize) + n <= nx && (sy as usize) + m <= self.ny;
        let mut acc = 0.0;
        if inside {
            let (sx, sy) = (sx as usize, sy as usize);
            if n <= 8 {
                // Short rows: the row sums are independent, out-of-order execution overlaps them.
                for (j, &wyj) in wy.iter().enumerate() {
                    let base = (sy + j) * nx + sx;
                    let row = &self.data[base..base + n];
                    let mut r = 0.0;
                    for (&w, &p) in wx.iter().zip(row) {
                        r += w * p as f64;
                    }
                    acc += wyj * r;
                }
            } else {
                // Wide kernels (sinc, lanczos5): four interleaved partial sums per row and
                // across rows, instead of long dependent add chains.
                let mut lanes = [0.0f64; 4];
                for (j, &wyj) in wy.iter().enumerate() {
                    let base = (sy + j) * nx + sx;
                    let row = &self.data[base..base + n];
                    lanes[j % 4] += wyj * dot4(wx, row);
                }
                acc = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
            }
            if let Some(mask) = &self.mask {
                for (j, &wyj) in wy.iter().enumerate() {
                    if wyj == 0.0 {
                        continue;
                    }
                    let base = (sy + j) * nx + sx;
                    for (&w, &mk) in wx.iter().zip(&mask[base..base + n]) {
                        if mk && w != 0.0 {
                            return None;
                        }
                    }
                }
            }
        } else {
            for (j, &wyj) in wy.iter().enumerate() {
                let mut r = 0.0;
                for (i, &w) in wx.iter().enumerate() {
                    let (p, mk) = self.pixel(sx + i as i64, sy + j as i64);
                    if mk && w != 0.0 && wyj != 0.0 {
                        return None;
                    }
                    r += w * p;
                }
                acc += wyj * r;
            }
        }
        Some(acc)
    }

    #[inline(always)]
    fn linear(&self, x: f64, y: f64) -> f32 {
        let (sx, wx) = kernels::linear(x);
        let (sy, wy) = kernels::linear(y);
        let nx = self.nx;
        if self.mask.is_none()
            && sx >= 0
            && sy >= 0
            && (sx as usize) + 1 < nx
            && (sy as usize) + 1 < self.ny
        {
            let k = sy as usize * nx + sx as usize;
            let d = &self.data[k..k + nx + 2];
            return bilinear_f32(x - sx as f64, y - sy as f64, [d[0], d[1], d[nx], d[nx + 1]]);
        }
        self.linear_slow(sx, &wx, sy, &wy)
    }

    /// Linear near the edges or with a mask (renormalised over unmasked corners).
    #[cold]
    #[inline(never)]
    fn linear_slow(&self, sx: i64, wx: &[f64; 2], sy: i64, wy: &[f64; 2]) -> f32 {
        let mut num = 0.0;
        let mut den = 0.0;
        let mut any_masked = false;
        let mut plain = 0.0;
        for (j, &wyj) in wy.iter().enumerate() {
            let mut r = 0.0;
            for (i, &wxi) in wx.iter().enumerate() {
                let (p, mk) = self.pixel(sx + i as i64, sy + j as i64);
                let w = wxi * wyj;
                r += wxi * p;
                if mk {
                    if w != 0.0 {
                        any_masked = true;
                    }
                } else {
                    num += w * p;
                    den += w;
                }
            }
            plain += wyj * r;
        }
        if !any_masked {
            plain as f32
        } else if den > 0.0 {
            (num / den) as f32
        } else {
            self.opts.fillval
        }
    }

    #[inline]
    fn spline3(&self, x: f64, y: f64) -> Option<f64> {
        let (sx, wx) = kernels::bspline3(x);
        let (sy, wy) = kernels::bspline3(y);
        if self.mask.is_some() {
            for (j, &wyj) in wy.iter().enumerate() {
                for (i, &wxi) in wx.iter().enumerate() {
                    if wxi * wyj != 0.0 && self.pixel(sx + i as i64, sy + j as i64).1 {
                        return None;
                    }
                }
            }
        }
        let p = self.cpad as i64;
        let (ci, cj) = (sx + p, sy + p);
        let (cnx, cny) = (self.cnx, self.cny);
        let mut acc = 0.0;
        if ci >= 0 && cj >= 0 && (ci as usize) + 4 <= cnx && (cj as usize) + 4 <= cny {
            let (ci, cj) = (ci as usize, cj as usize);
            for (j, &wyj) in wy.iter().enumerate() {
                let base = (cj + j) * cnx + ci;
                let row = &self.coef[base..base + 4];
                let r = wx[0] * row[0] + wx[1] * row[1] + wx[2] * row[2] + wx[3] * row[3];
                acc += wyj * r;
            }
        } else {
            for (j, &wyj) in wy.iter().enumerate() {
                let mut r = 0.0;
                for (i, &wxi) in wx.iter().enumerate() {
                    r += wxi * self.coef_ext(ci + i as i64, cj + j as i64);
                }
                acc += wyj * r;
            }
        }
        Some(acc)
    }

    /// Spline coefficient at padded index `(i, j)`, extended beyond the coefficient array.
    fn coef_ext(&self, i: i64, j: i64) -> f64 {
        let (cnx, cny) = (self.cnx, self.cny);
        let b = self.opts.boundary;
        let (ii, jj) = match b {
            Boundary::Constant(c) => {
                if i < 0 || j < 0 || i as usize >= cnx || j as usize >= cny {
                    return c as f64;
                }
                (i as usize, j as usize)
            }
            Boundary::Nearest | Boundary::Project => (
                i.clamp(0, cnx as i64 - 1) as usize,
                j.clamp(0, cny as i64 - 1) as usize,
            ),
            _ => (
                b.map_index(i, cnx).unwrap_or(0),
                b.map_index(j, cny).unwrap_or(0),
            ),
        };
        self.coef[jj * cnx + ii]
    }

    fn sinc(&self, x: f64, y: f64) -> Option<f64> {
        let nt = self.taper.len();
        let ns = (nt / 2) as i64;
        let nx0 = x.round();
        let ny0 = y.round();
        let (fx, fy) = (x - nx0, y - ny0);
        let (ix, iy) = (nx0 as i64, ny0 as i64);
        let mut wxb = [0.0; MAX_TAPS];
        let mut wyb = [0.0; MAX_TAPS];
        let (wx, wy): (&[f64], &[f64]) = if self.interpolant == Interpolant::Lsinc {
            let res = self.opts.lsinc_resolution;
            let q = |f: f64| (((f + 0.5) * res as f64).round() as usize).min(res);
            let (qx, qy) = (q(fx), q(fy));
            (
                &self.lsinc[qx * nt..(qx + 1) * nt],
                &self.lsinc[qy * nt..(qy + 1) * nt],
            )
        } else {
            let s = self.opts.sinscl;
            let (dx, dy) = (fx * s, fy * s);
            // drizzle/IRAF: within 0.001 pixel of a centre in both axes, take the pixel.
            if dx.abs() < 0.001 && dy.abs() < 0.001 {
                let (v, m) = self.pixel(ix, iy);
                return if m { None } else { Some(v) };
            }
            kernels::sinc_weights(dx, &self.taper, &mut wxb[..nt]);
            kernels::sinc_weights(dy, &self.taper, &mut wyb[..nt]);
            (&wxb[..nt], &wyb[..nt])
        };
        self.sep(ix - ns, wx, iy - ns, wy)
    }

    /// Evaluates at every `(x[k], y[k])`; `x` and `y` have any (equal) shape, and so has the
    /// result. Parallel (feature `rayon`), bit-identical for any thread count.
    ///
    /// Errors: [`Error::ShapeMismatch`] when the shapes differ.
    ///
    /// ```
    /// use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// use ndarray::{Array2, Array3};
    ///
    /// let img = Array2::from_shape_fn((64, 64), |(y, x)| (x * y) as f32);
    /// let it = Interpolator::new(img.view(), Interpolant::Spline3, InterpOptions::default()).unwrap();
    /// let x = Array3::from_elem((2, 3, 4), 30.5);
    /// let y = Array3::from_elem((2, 3, 4), 31.0);
    /// let v = it.eval_many(x.view(), y.view()).unwrap();
    /// assert_eq!(v.shape(), &[2, 3, 4]);
    /// // Far from the edges the cubic spline reproduces x·y.
    /// assert!((v[[1, 2, 3]] - 945.5).abs() < 1e-3);
    /// ```
    pub fn eval_many<D: Dimension>(
        &self,
        x: ArrayView<'_, f64, D>,
        y: ArrayView<'_, f64, D>,
    ) -> Result<Array<f32, D>> {
        if x.shape() != y.shape() {
            return Err(Error::ShapeMismatch {
                what: "y coordinates",
                expected: x.shape().to_vec(),
                got: y.shape().to_vec(),
            });
        }
        struct Many<'v, 'w, D: Dimension>(ArrayView<'v, f64, D>, ArrayView<'w, f64, D>);
        impl<'a, D: Dimension> KernelUser<'a, Array<f32, D>> for (&Interpolator<'a>, Many<'_, '_, D>) {
            #[inline(always)]
            fn call<K: Kernel<'a>>(self, k: K) -> Array<f32, D> {
                let (it, Many(x, y)) = self;
                // 2-D coordinate grids (the geotran case) take the tiled traversal of
                // `eval_pixmap`; any other shape a parallel element-wise map.
                if let (Ok(x2), Ok(y2)) = (
                    x.view().into_dimensionality::<ndarray::Ix2>(),
                    y.view().into_dimensionality::<ndarray::Ix2>(),
                ) {
                    let mut out = Array2::<f32>::zeros(x2.dim());
                    it.grid_bands(x2, y2, out.view_mut(), k);
                    if let Ok(out) = out.into_dimensionality::<D>() {
                        return out;
                    }
                }
                let z = Zip::from(&x).and(&y);
                #[cfg(feature = "rayon")]
                let out = z.par_map_collect(|&x, &y| k(it, x, y));
                #[cfg(not(feature = "rayon"))]
                let out = z.map_collect(|&x, &y| k(it, x, y));
                out
            }
        }
        Ok(self.with_kernel((self, Many(x, y))))
    }

    /// Evaluates at a pixel map of shape `(ny_out, nx_out, 2)`: output pixel `[[j, i]]` is
    /// the image interpolated at `(x, y) = (pixmap[[j, i, 0]], pixmap[[j, i, 1]])` — drizzle
    /// blot's convention (`pixmap[j, i]` is the position in the blotted-from image of output
    /// pixel `(i, j)`).
    ///
    /// The map is swept in tiles of 16 rows × 64 columns (bands of rows in parallel), which
    /// keeps the image reads of a rotated or distorted map local (`linear` with AVX2 sweeps
    /// whole rows of each band, faster for its vector kernel); `linear` and `poly5` run
    /// vector kernels on CPUs with AVX2. Results are bit-identical to
    /// [`Interpolator::eval`] at every pixel, for any thread count.
    ///
    /// Errors: [`Error::ShapeMismatch`] when the last axis is not 2.
    ///
    /// ```
    /// use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// use ndarray::{Array2, Array3};
    ///
    /// let img = Array2::from_shape_fn((10, 10), |(y, x)| (x + 100 * y) as f32);
    /// let it = Interpolator::new(img.view(), Interpolant::Linear,
    ///                            InterpOptions::blot(Interpolant::Linear, 0.0)).unwrap();
    /// // A map shifting by (+0.5, +1).
    /// let pm = Array3::from_shape_fn((4, 6, 2), |(j, i, k)| if k == 0 { i as f64 + 0.5 } else { j as f64 + 1.0 });
    /// let out = it.eval_pixmap(pm.view()).unwrap();
    /// assert_eq!(out.dim(), (4, 6));
    /// assert_eq!(out[[2, 3]], 303.5);
    /// ```
    pub fn eval_pixmap(&self, pixmap: ArrayView3<'_, f64>) -> Result<Array2<f32>> {
        let (ny, nx, _) = pixmap.dim();
        let mut out = Array2::zeros((ny, nx));
        self.eval_pixmap_into(pixmap, out.view_mut())?;
        Ok(out)
    }

    /// [`Interpolator::eval_pixmap`] into a caller-provided output of shape `(ny_out, nx_out)`.
    ///
    /// ```
    /// use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// use ndarray::{Array2, Array3};
    ///
    /// let img = Array2::<f32>::from_elem((5, 5), 2.0);
    /// let it = Interpolator::new(img.view(), Interpolant::Poly5, InterpOptions::default()).unwrap();
    /// let pm = Array3::from_elem((3, 3, 2), 1.25);
    /// let mut out = Array2::zeros((3, 3));
    /// it.eval_pixmap_into(pm.view(), out.view_mut()).unwrap();
    /// assert!(out.iter().all(|&v| (v - 2.0).abs() < 1e-6));
    /// ```
    pub fn eval_pixmap_into(
        &self,
        pixmap: ArrayView3<'_, f64>,
        mut out: ArrayViewMut2<'_, f32>,
    ) -> Result<()> {
        let (ny, nx, two) = pixmap.dim();
        if two != 2 {
            return Err(Error::ShapeMismatch {
                what: "pixmap",
                expected: vec![ny, nx, 2],
                got: pixmap.shape().to_vec(),
            });
        }
        if out.dim() != (ny, nx) {
            return Err(Error::ShapeMismatch {
                what: "output",
                expected: vec![ny, nx],
                got: out.shape().to_vec(),
            });
        }
        // Bands of BAND rows, each swept in blocks of BLOCK columns: a rotated or distorted
        // map then touches a compact patch of the image per block (few pages, warm cache
        // lines) instead of a long slanted line per output row. Every pixel is a pure function
        // of its coordinates, so the traversal order does not change any result.
        struct Map<'v, 'w>(ArrayView3<'v, f64>, ArrayViewMut2<'w, f32>);
        impl<'a> KernelUser<'a, ()> for (&Interpolator<'a>, Map<'_, '_>) {
            #[inline(always)]
            fn call<K: Kernel<'a>>(self, k: K) {
                let (it, Map(pixmap, out)) = self;
                it.pixmap_bands(pixmap, out, k);
            }
        }
        self.with_kernel((self, Map(pixmap, out.view_mut())));
        Ok(())
    }

    /// Evaluates at the points `(xs[k], ys[k])` into `out[k]`, **on the calling thread**: for
    /// callers that tile and parallelise themselves (e.g. a blot that generates its pixel
    /// map tile by tile). `linear` runs the 8-wide kernel of [`Interpolator::eval_pixmap`]
    /// (AVX2 when the CPU has it); every value is bit-identical to [`Interpolator::eval`].
    ///
    /// Errors: [`Error::ShapeMismatch`] when `ys` or `out` is not as long as `xs`.
    ///
    /// ```
    /// use astro_interp::{InterpOptions, Interpolant, Interpolator};
    /// use ndarray::Array2;
    ///
    /// let img = Array2::from_shape_fn((10, 10), |(y, x)| (x + 100 * y) as f32);
    /// let it = Interpolator::new(img.view(), Interpolant::Linear,
    ///                            InterpOptions::blot(Interpolant::Linear, -1.0)).unwrap();
    /// let (xs, ys) = ([3.5, 0.25, 12.0], [2.0, 4.5, 1.0]);
    /// let mut out = [0.0f32; 3];
    /// it.eval_points_into(&xs, &ys, &mut out).unwrap();
    /// assert_eq!(out, [203.5, 450.25, -1.0]);
    /// assert_eq!(out[1], it.eval(0.25, 4.5));
    /// assert!(it.eval_points_into(&xs, &ys[..2], &mut out).is_err());
    /// ```
    pub fn eval_points_into(&self, xs: &[f64], ys: &[f64], out: &mut [f32]) -> Result<()> {
        for (what, len) in [("y coordinates", ys.len()), ("output", out.len())] {
            if len != xs.len() {
                return Err(Error::ShapeMismatch {
                    what,
                    expected: vec![xs.len()],
                    got: vec![len],
                });
            }
        }
        struct Points<'v, 'w>(&'v [f64], &'v [f64], &'w mut [f32]);
        impl<'a> KernelUser<'a, ()> for (&Interpolator<'a>, Points<'_, '_>) {
            #[inline(always)]
            fn call<K: Kernel<'a>>(self, k: K) {
                let (it, Points(xs, ys, out)) = self;
                if it.fast_linear() {
                    it.linear_run(Coords::Planar(xs, ys), out, crate::simd::avx2_available());
                } else if it.interpolant == Interpolant::Poly5 {
                    it.poly5_run(Coords::Planar(xs, ys), out, crate::simd::avx2_available());
                } else {
                    for ((o, &x), &y) in out.iter_mut().zip(xs).zip(ys) {
                        *o = k(it, x, y);
                    }
                }
            }
        }
        self.with_kernel((self, Points(xs, ys, out)));
        Ok(())
    }

    /// Whether `linear_run` applies: bilinear without a mask, image sides below 2^31 (its
    /// safe loop converts coordinates with `as i32`).
    fn fast_linear(&self) -> bool {
        self.interpolant == Interpolant::Linear
            && self.mask.is_none()
            && self.nx < i32::MAX as usize
            && self.ny < i32::MAX as usize
    }

    #[inline(always)]
    fn pixmap_bands<K: Kernel<'a>>(
        &self,
        pixmap: ArrayView3<'_, f64>,
        mut out: ArrayViewMut2<'_, f32>,
        k: K,
    ) {
        const BAND: usize = 16;
        const BLOCK: usize = 64;
        let fast_linear = self.fast_linear();
        let simd = fast_linear && crate::simd::avx2_available();
        let simd5 = self.interpolant == Interpolant::Poly5 && crate::simd::avx2_available();
        let band = |(mut o, p): (ArrayViewMut2<'_, f32>, ArrayView3<'_, f64>)| {
            let (rows, cols) = o.dim();
            // The AVX2 bilinear kernel is fastest sweeping whole rows (sequential map and
            // output streams; measured on a 7° rotated 4096² map: ~2× faster than blocks).
            let block = if simd { cols.max(1) } else { BLOCK };
            for c0 in (0..cols).step_by(block) {
                let c1 = (c0 + block).min(cols);
                for r in 0..rows {
                    let mut orow = o.row_mut(r);
                    let prow = p.index_axis(Axis(0), r);
                    if let (Some(os), Some(ps)) = (orow.as_slice_mut(), prow.as_slice()) {
                        let (os, ps) = (&mut os[c0..c1], &ps[2 * c0..2 * c1]);
                        if fast_linear {
                            self.linear_run(Coords::Interleaved(ps), os, simd);
                        } else if self.interpolant == Interpolant::Poly5 {
                            self.poly5_run(Coords::Interleaved(ps), os, simd5);
                        } else {
                            for (ov, pv) in os.iter_mut().zip(ps.chunks_exact(2)) {
                                *ov = k(self, pv[0], pv[1]);
                            }
                        }
                    } else {
                        for c in c0..c1 {
                            orow[c] = k(self, prow[[c, 0]], prow[[c, 1]]);
                        }
                    }
                }
            }
        };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            out.axis_chunks_iter_mut(Axis(0), BAND)
                .into_par_iter()
                .zip(pixmap.axis_chunks_iter(Axis(0), BAND).into_par_iter())
                .for_each(band);
        }
        #[cfg(not(feature = "rayon"))]
        {
            out.axis_chunks_iter_mut(Axis(0), BAND)
                .zip(pixmap.axis_chunks_iter(Axis(0), BAND))
                .for_each(band);
        }
    }
}

impl<'a> Interpolator<'a> {
    /// Tiled evaluation of 2-D coordinate grids `x`, `y` (same shape as `out`), parallel over
    /// bands of rows; element order does not change any value.
    fn grid_bands<K: Kernel<'a>>(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
        mut out: ArrayViewMut2<'_, f32>,
        k: K,
    ) {
        const BAND: usize = 16;
        const BLOCK: usize = 64;
        let band = |((mut o, xb), yb): (
            (ArrayViewMut2<'_, f32>, ArrayView2<'_, f64>),
            ArrayView2<'_, f64>,
        )| {
            let (rows, cols) = o.dim();
            for c0 in (0..cols).step_by(BLOCK) {
                let c1 = (c0 + BLOCK).min(cols);
                for r in 0..rows {
                    for c in c0..c1 {
                        o[[r, c]] = k(self, xb[[r, c]], yb[[r, c]]);
                    }
                }
            }
        };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            out.axis_chunks_iter_mut(Axis(0), BAND)
                .into_par_iter()
                .zip(x.axis_chunks_iter(Axis(0), BAND).into_par_iter())
                .zip(y.axis_chunks_iter(Axis(0), BAND).into_par_iter())
                .for_each(band);
        }
        #[cfg(not(feature = "rayon"))]
        {
            out.axis_chunks_iter_mut(Axis(0), BAND)
                .zip(x.axis_chunks_iter(Axis(0), BAND))
                .zip(y.axis_chunks_iter(Axis(0), BAND))
                .for_each(band);
        }
    }

    /// Bilinear over a run of interleaved `(x, y)` coordinates: the AVX2 kernel of
    /// [`crate::simd`] when the CPU has it, else 8 points at a time when all 8 lie strictly
    /// inside the last pixel centres (no edge, no mask: the common case) and point by point
    /// otherwise. Same arithmetic, in the same order, as [`Interpolator::eval`], so the
    /// results are bit-identical to it.
    #[inline(always)]
    fn linear_run(&self, coords: Coords<'_>, os: &mut [f32], simd: bool) {
        if simd
            && crate::simd::linear_run(&self.data, self.nx, self.ny, coords, os, |x, y| {
                self.k_linear(x, y)
            })
        {
            return;
        }
        const L: usize = 8;
        let nx = self.nx;
        let (xmax, ymax) = ((self.nx - 1) as f64, (self.ny - 1) as f64);
        let data: &[f32] = &self.data;
        let done = os.len() / L * L;
        let mut oc = os.chunks_exact_mut(L);
        for (c, o) in (&mut oc).enumerate() {
            let mut xs = [0.0f64; L];
            let mut ys = [0.0f64; L];
            for k in 0..L {
                (xs[k], ys[k]) = coords.get(c * L + k);
            }
            let mut ok = true;
            for k in 0..L {
                // NaN fails every comparison, so it takes the point-by-point path.
                ok &= (xs[k] >= 0.0) & (xs[k] < xmax) & (ys[k] >= 0.0) & (ys[k] < ymax);
            }
            if !ok {
                for k in 0..L {
                    o[k] = self.k_linear(xs[k], ys[k]);
                }
                continue;
            }
            for k in 0..L {
                // In range and non-negative here, so truncation is floor; i32 converts in one
                // instruction (usize needs a multi-instruction sequence on x86-64).
                let (ix, iy) = (xs[k] as i32, ys[k] as i32);
                let i = iy as usize * nx + ix as usize;
                let d = &data[i..i + nx + 2];
                o[k] = bilinear_f32(
                    xs[k] - ix as f64,
                    ys[k] - iy as f64,
                    [d[0], d[1], d[nx], d[nx + 1]],
                );
            }
        }
        for (k, o) in oc.into_remainder().iter_mut().enumerate() {
            let (x, y) = coords.get(done + k);
            *o = self.k_linear(x, y);
        }
    }
}

/// Bilinear inside the image: fractions `fx, fy ∈ [0, 1)` (exact in `f64`), the corner
/// pixels `[p00, p10, p01, p11]` (`p10` is one column right). Computed in `f32` with
/// drizzle's formula and order, `tx·ty·p00 + sx·ty·p10 + sy·tx·p01 + sx·sy·p11` (`sx, sy` the
/// fractions rounded to `f32`, `tx = 1 − sx`): the same bits as drizzle's C blot for `f32`
/// coordinates. [`crate::simd`] reproduces it exactly.
#[inline(always)]
fn bilinear_f32(fx: f64, fy: f64, p: [f32; 4]) -> f32 {
    let (sx, sy) = (fx as f32, fy as f32);
    let (tx, ty) = (1.0 - sx, 1.0 - sy);
    tx * ty * p[0] + sx * ty * p[1] + sy * tx * p[2] + sx * sy * p[3]
}

/// A kernel's evaluation function (a distinct type per kernel, so loops over it are
/// monomorphised).
trait Kernel<'a>: Fn(&Interpolator<'a>, f64, f64) -> f32 + Copy + Send + Sync {}
impl<'a, F: Fn(&Interpolator<'a>, f64, f64) -> f32 + Copy + Send + Sync> Kernel<'a> for F {}

/// Something run with a kernel function (lets `with_kernel` dispatch once per batch).
trait KernelUser<'a, R> {
    fn call<K: Kernel<'a>>(self, k: K) -> R;
}

/// `Σ w[k] p[k]` with four interleaved partial sums.
#[inline(always)]
fn dot4(w: &[f64], p: &[f32]) -> f64 {
    let mut l = [0.0f64; 4];
    let mut wc = w.chunks_exact(4);
    let mut pc = p.chunks_exact(4);
    for (w4, p4) in (&mut wc).zip(&mut pc) {
        for k in 0..4 {
            l[k] += w4[k] * p4[k] as f64;
        }
    }
    for (k, (&wk, &pk)) in wc.remainder().iter().zip(pc.remainder()).enumerate() {
        l[k] += wk * pk as f64;
    }
    (l[0] + l[1]) + (l[2] + l[3])
}

/// Value of virtual pixel `(i, j)` under boundary `b`, reading in-image pixels with `get`.
fn ext_value(
    b: Boundary,
    nx: usize,
    ny: usize,
    i: i64,
    j: i64,
    get: impl Fn(usize, usize) -> f64,
) -> f64 {
    let inx = |i: i64| i >= 0 && (i as usize) < nx;
    let iny = |j: i64| j >= 0 && (j as usize) < ny;
    match b {
        Boundary::Constant(c) => {
            if inx(i) && iny(j) {
                get(i as usize, j as usize)
            } else {
                c as f64
            }
        }
        Boundary::Project => {
            // x first (within an in-image row), then y, as drizzle does.
            let px = |jj: usize| -> f64 {
                if inx(i) {
                    get(i as usize, jj)
                } else {
                    let edge = if i < 0 { 0 } else { nx - 1 };
                    let mir = Boundary::Reflect.map_index(i, nx).unwrap_or(edge);
                    2.0 * get(edge, jj) - get(mir, jj)
                }
            };
            if iny(j) {
                px(j as usize)
            } else {
                let edge = if j < 0 { 0 } else { ny - 1 };
                let mir = Boundary::Reflect.map_index(j, ny).unwrap_or(edge);
                2.0 * px(edge) - px(mir)
            }
        }
        _ => {
            let ii = b.map_index(i, nx).unwrap_or(0);
            let jj = b.map_index(j, ny).unwrap_or(0);
            get(ii, jj)
        }
    }
}

/// Mask of virtual pixel `(i, j)`: constant pixels are good; `Project` pixels are bad when
/// the edge or the mirror pixel (in either axis) is.
fn ext_mask(
    b: Boundary,
    nx: usize,
    ny: usize,
    i: i64,
    j: i64,
    get: impl Fn(usize, usize) -> bool,
) -> bool {
    match b {
        Boundary::Constant(_) => {
            if i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny {
                get(i as usize, j as usize)
            } else {
                false
            }
        }
        Boundary::Project => {
            let idx = |i: i64, n: usize| -> (usize, usize) {
                let m = Boundary::Reflect.map_index(i, n).unwrap_or(0);
                let e = if i < 0 {
                    0
                } else if i as usize >= n {
                    n - 1
                } else {
                    m
                };
                (m, e)
            };
            let (mx, ex) = idx(i, nx);
            let (my, ey) = idx(j, ny);
            get(mx, my) || get(ex, my) || get(mx, ey) || get(ex, ey)
        }
        _ => get(
            b.map_index(i, nx).unwrap_or(0),
            b.map_index(j, ny).unwrap_or(0),
        ),
    }
}

/// Replaces bad entries of a row by linear interpolation between the nearest good entries
/// (the nearest good entry beyond the last one; 0 when the row has none).
fn fill_bad_row(row: &mut [f64], bad: &[bool]) {
    let good = |k: usize| !bad[k] && row[k].is_finite();
    let n = row.len();
    let goods: Vec<usize> = (0..n).filter(|&k| good(k)).collect();
    if goods.is_empty() {
        row.fill(0.0);
        return;
    }
    let mut g = 0; // index into goods of the next good at or after k
    for k in 0..n {
        while g < goods.len() && goods[g] < k {
            g += 1;
        }
        if g < goods.len() && goods[g] == k {
            continue;
        }
        let right = goods.get(g).copied();
        let left = if g > 0 { Some(goods[g - 1]) } else { None };
        row[k] = match (left, right) {
            (Some(l), Some(r)) => {
                let t = (k - l) as f64 / (r - l) as f64;
                (1.0 - t) * row[l] + t * row[r]
            }
            (Some(l), None) => row[l],
            (None, Some(r)) => row[r],
            (None, None) => 0.0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random stream in [0, 1) (SplitMix64).
    fn uniform(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The same for `poly5`: the AVX2 4-point kernel, the safe 4-point loop and `eval`.
    #[test]
    fn poly5_runs_equal_scalar_bit_for_bit() {
        let mut seed = 11u64;
        let (ny, nx) = (29, 41);
        let mut img = Array2::from_shape_fn((ny, nx), |(y, x)| {
            ((x as f32) * 0.53).cos() * 5e2 - (y as f32) * 2.5
        });
        img[[7, 8]] = f32::NAN;
        img[[15, 20]] = f32::NEG_INFINITY;
        for o in [
            InterpOptions::blot(Interpolant::Poly5, -1.0),
            InterpOptions::default(),
        ] {
            let it = Interpolator::new(img.view(), Interpolant::Poly5, o).unwrap();
            for len in [0usize, 1, 3, 4, 5, 8, 61, 300] {
                for spread in [-3.0, 0.0, 4.0] {
                    let mut xs = Vec::with_capacity(len);
                    let mut ys = Vec::with_capacity(len);
                    for k in 0..len {
                        let x = uniform(&mut seed) * (nx as f64 + 2.0 * spread) - spread;
                        let y = uniform(&mut seed) * (ny as f64 + 2.0 * spread) - spread;
                        let (x, y) = match k % 37 {
                            3 => (f64::NAN, y),
                            5 => (2.0, y),
                            7 => (x, (ny - 3) as f64 - 1e-12),
                            _ => (x, y),
                        };
                        xs.push(x);
                        ys.push(y);
                    }
                    let ps: Vec<f64> = xs.iter().zip(&ys).flat_map(|(&x, &y)| [x, y]).collect();
                    let mut outs = vec![vec![0.0f32; len]; 4];
                    it.poly5_run(Coords::Interleaved(&ps), &mut outs[0], true);
                    it.poly5_run(Coords::Interleaved(&ps), &mut outs[1], false);
                    it.poly5_run(Coords::Planar(&xs, &ys), &mut outs[2], true);
                    it.poly5_run(Coords::Planar(&xs, &ys), &mut outs[3], false);
                    for k in 0..len {
                        let e = it.eval(xs[k], ys[k]);
                        for (m, out) in outs.iter().enumerate() {
                            assert_eq!(
                                out[k].to_bits(),
                                e.to_bits(),
                                "variant {m}, point {k}: ({}, {})",
                                xs[k],
                                ys[k]
                            );
                        }
                    }
                }
            }
        }
    }

    /// The vector bilinear kernel (when the CPU has AVX2), the safe 8-wide loop and the
    /// scalar `eval` agree bit for bit: interior runs, runs touching the edges, NaN, -0.0,
    /// points beyond the image, runs of every length mod 8, and non-finite pixels.
    #[test]
    fn linear_runs_equal_scalar_bit_for_bit() {
        let mut seed = 7u64;
        let (ny, nx) = (37, 53);
        let mut img = Array2::from_shape_fn((ny, nx), |(y, x)| {
            ((x as f32) * 0.37).sin() * 1e3 + (y as f32) * 1.5
        });
        img[[5, 6]] = f32::NAN;
        img[[9, 9]] = f32::INFINITY;
        img[[20, 30]] = -0.0;
        for o in [
            InterpOptions::blot(Interpolant::Linear, -1.0),
            InterpOptions::default(),
        ] {
            let it = Interpolator::new(img.view(), Interpolant::Linear, o).unwrap();
            for len in [0usize, 1, 7, 8, 9, 16, 63, 200] {
                for spread in [0.0, 2.0, 10.0] {
                    let mut ps = Vec::with_capacity(2 * len);
                    for k in 0..len {
                        let x = uniform(&mut seed) * (nx as f64 + 2.0 * spread) - spread;
                        let y = uniform(&mut seed) * (ny as f64 + 2.0 * spread) - spread;
                        match k % 41 {
                            3 => ps.extend([f64::NAN, y]),
                            5 => ps.extend([-0.0, y]),
                            7 => ps.extend([x, (ny - 1) as f64]),
                            11 => ps.extend([(nx - 1) as f64 - 1e-12, y]),
                            _ => ps.extend([x, y]),
                        }
                    }
                    let mut a = vec![0.0f32; len];
                    let mut b = vec![0.0f32; len];
                    it.linear_run(Coords::Interleaved(&ps), &mut a, true);
                    it.linear_run(Coords::Interleaved(&ps), &mut b, false);
                    let xs: Vec<f64> = ps.iter().step_by(2).copied().collect();
                    let ys: Vec<f64> = ps.iter().skip(1).step_by(2).copied().collect();
                    let mut c = vec![0.0f32; len];
                    let mut d = vec![0.0f32; len];
                    it.linear_run(Coords::Planar(&xs, &ys), &mut c, true);
                    it.linear_run(Coords::Planar(&xs, &ys), &mut d, false);
                    for k in 0..len {
                        let e = it.eval(ps[2 * k], ps[2 * k + 1]);
                        assert_eq!(
                            a[k].to_bits(),
                            e.to_bits(),
                            "simd {k}: {:?}",
                            &ps[2 * k..2 * k + 2]
                        );
                        assert_eq!(
                            b[k].to_bits(),
                            e.to_bits(),
                            "safe {k}: {:?}",
                            &ps[2 * k..2 * k + 2]
                        );
                        assert_eq!(c[k].to_bits(), e.to_bits(), "planar simd {k}");
                        assert_eq!(d[k].to_bits(), e.to_bits(), "planar safe {k}");
                    }
                }
            }
        }
    }
}
