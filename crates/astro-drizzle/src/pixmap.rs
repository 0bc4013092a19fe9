//! Pixel maps: where each input pixel centre lands on the output grid.

use astro_wcs::{PixelMapper, Wcs};
use ndarray::{Array3, ArrayView3, Axis};

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use crate::error::{Result, param_err, shape_err};

/// Input pixel → output pixel coordinates (drizzle's `pixmap`), for an input image of a
/// given shape `(ny, nx)`.
///
/// A map is either a user array of shape `(ny, nx, 2)` (`[j, i, 0]` = output x and
/// `[j, i, 1]` = output y of input pixel `(i, j)`, drizzle's convention), the exact
/// transform between two [`Wcs`], or that transform sampled on a coarse grid every
/// `stepsize` pixels and interpolated bilinearly (drizzlepac's `stepsize`), whose worst
/// error against the exact map is measured when the map is built
/// ([`PixelMap::max_interpolation_error`]).
///
/// NaN marks an input pixel without an image on the output. The map is produced tile by
/// tile ([`PixelMap::map_tile`]), so the drizzle kernels never hold a 16-byte-per-pixel map
/// of a whole input.
///
/// # Examples
///
/// ```
/// use astro_drizzle::PixelMap;
/// use astro_wcs::Wcs;
///
/// let input = Wcs::new_tan((10.0, 20.0), (50.0, 50.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
/// let output = Wcs::new_tan((10.0, 20.0), (60.0, 40.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
/// let map = PixelMap::from_wcs(&input, &output, (100, 100))?;
/// let (x, y) = map.map_point(50, 50);
/// assert!((x - 60.0).abs() < 1e-9 && (y - 40.0).abs() < 1e-9);
/// # Ok::<(), astro_drizzle::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PixelMap<'a> {
    ny: usize,
    nx: usize,
    source: Source<'a>,
}

#[derive(Debug, Clone)]
enum Source<'a> {
    Array(ArrayView3<'a, f64>),
    Exact(PixelMapper<'a>),
    /// The exact map when it is a projective transformation (TAN → TAN without
    /// distortion), evaluated as one.
    Projective(Projective),
    Grid(Box<Grid<'a>>),
}

/// Largest disagreement (pixels) with the exact map accepted for [`Projective`].
const PROJECTIVE_TOL: f64 = 1e-9;

/// A projective transformation `p = (x, y, 1) ↦ (h₀·p / h₂·p, h₁·p / h₂·p)`, NaN where
/// `h₂·p <= 0` (behind the tangent plane, where the exact map has no image either).
#[derive(Debug, Clone, Copy)]
struct Projective {
    h: [[f64; 3]; 3],
}

impl Projective {
    /// The projective transformation through the exact map at the four image corners,
    /// kept only if it agrees with the exact map to [`PROJECTIVE_TOL`] at the nodes of a
    /// 9 × 9 grid over the image, edges included. Only tried when the map is one in exact
    /// arithmetic: gnomonic to gnomonic, no distortion on either side (astro-wcs's
    /// trig-free path composes affine maps with one central projection).
    fn fit(from: &Wcs, mapper: &PixelMapper<'_>, ny: usize, nx: usize) -> Option<Projective> {
        if !mapper.is_fast() || from.has_pixel_distortion() || nx < 2 || ny < 2 {
            return None;
        }
        let (xe, ye) = ((nx - 1) as f64, (ny - 1) as f64);
        let src = [(0.0, 0.0), (xe, 0.0), (xe, ye), (0.0, ye)];
        let dst = src.map(|(x, y)| mapper.map_point(x, y));
        if dst.iter().any(|(a, b)| !(a.is_finite() && b.is_finite())) {
            return None;
        }
        // Normalised coordinates (centred, unit half-size) keep the system well posed.
        let (cx, cy, sx, sy) = (xe / 2.0, ye / 2.0, xe / 2.0, ye / 2.0);
        let ox = dst.iter().map(|d| d.0).sum::<f64>() / 4.0;
        let oy = dst.iter().map(|d| d.1).sum::<f64>() / 4.0;
        let so = dst
            .iter()
            .map(|d| (d.0 - ox).abs().max((d.1 - oy).abs()))
            .fold(0.0, f64::max);
        if so.is_nan() || so <= 0.0 {
            return None;
        }
        // h' (h'₂₂ = 1) from X (h'₂₀ u + h'₂₁ v + 1) = h'₀₀ u + h'₀₁ v + h'₀₂, same for Y.
        let mut a = [[0.0f64; 9]; 8];
        for k in 0..4 {
            let (u, v) = ((src[k].0 - cx) / sx, (src[k].1 - cy) / sy);
            let (xx, yy) = ((dst[k].0 - ox) / so, (dst[k].1 - oy) / so);
            a[2 * k] = [u, v, 1.0, 0.0, 0.0, 0.0, -xx * u, -xx * v, xx];
            a[2 * k + 1] = [0.0, 0.0, 0.0, u, v, 1.0, -yy * u, -yy * v, yy];
        }
        let g = solve8(a)?;
        let hn = [[g[0], g[1], g[2]], [g[3], g[4], g[5]], [g[6], g[7], 1.0]];
        // Back to pixels: h = T_out⁻¹ · h' · T_in.
        let t_in = [
            [1.0 / sx, 0.0, -cx / sx],
            [0.0, 1.0 / sy, -cy / sy],
            [0.0, 0.0, 1.0],
        ];
        let t_out = [[so, 0.0, ox], [0.0, so, oy], [0.0, 0.0, 1.0]];
        let h = mat3(&t_out, &mat3(&hn, &t_in));
        let p = Projective { h };
        for gj in 0..=8 {
            for gi in 0..=8 {
                let (x, y) = (
                    (xe * gi as f64 / 8.0).round(),
                    (ye * gj as f64 / 8.0).round(),
                );
                let (ex, ey) = mapper.map_point(x, y);
                let (px, py) = p.eval(x, y);
                let err = (ex - px).abs().max((ey - py).abs());
                if err.is_nan() || err > PROJECTIVE_TOL {
                    return None;
                }
            }
        }
        Some(p)
    }

    #[inline(always)]
    fn eval(&self, x: f64, y: f64) -> (f64, f64) {
        // Same operation order as `row`, for the same bits.
        let h = &self.h;
        let w = h[2][0] * x + (h[2][1] * y + h[2][2]);
        if w.is_nan() || w <= 0.0 {
            return (f64::NAN, f64::NAN);
        }
        let r = 1.0 / w;
        (
            (h[0][0] * x + (h[0][1] * y + h[0][2])) * r,
            (h[1][0] * x + (h[1][1] * y + h[1][2])) * r,
        )
    }

    /// Row `y`, columns `x0..x0 + ox.len()` (the same values as [`Projective::eval`]).
    #[inline(always)]
    fn row(&self, x0: usize, y: f64, ox: &mut [f64], oy: &mut [f64]) {
        let h = &self.h;
        let (bx, by, bw) = (
            h[0][1] * y + h[0][2],
            h[1][1] * y + h[1][2],
            h[2][1] * y + h[2][2],
        );
        let at = |x: f64| {
            let w = h[2][0] * x + bw;
            let r = 1.0 / w;
            let (a, b) = ((h[0][0] * x + bx) * r, (h[1][0] * x + by) * r);
            let ok = w > 0.0;
            (if ok { a } else { f64::NAN }, if ok { b } else { f64::NAN })
        };
        let n = ox.len().min(oy.len());
        let (ox, oy) = (&mut ox[..n], &mut oy[..n]);
        match i32::try_from(x0 + n) {
            // Column numbers as i32 (converted to f64 4 at a time where vectorised; the
            // same values).
            Ok(_) => {
                let x0 = x0 as i32;
                for k in 0..n {
                    (ox[k], oy[k]) = at((x0 + k as i32) as f64);
                }
            }
            Err(_) => {
                for k in 0..n {
                    (ox[k], oy[k]) = at((x0 + k) as f64);
                }
            }
        }
    }
}

fn mat3(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut c = [[0.0; 3]; 3];
    for (i, row) in c.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    c
}

/// Gaussian elimination with partial pivoting of an 8 × 8 system (augmented matrix).
fn solve8(mut a: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    for c in 0..8 {
        let piv = (c..8).max_by(|&p, &q| a[p][c].abs().total_cmp(&a[q][c].abs()))?;
        if a[piv][c].abs().is_nan() || a[piv][c].abs() <= 1e-12 {
            return None;
        }
        a.swap(c, piv);
        let pivot = a[c];
        for row in a[c + 1..].iter_mut() {
            let f = row[c] / pivot[c];
            for (v, &p) in row[c..].iter_mut().zip(&pivot[c..]) {
                *v -= f * p;
            }
        }
    }
    let mut x = [0.0f64; 8];
    for c in (0..8).rev() {
        let s: f64 = (c + 1..8).map(|k| a[c][k] * x[k]).sum();
        x[c] = (a[c][8] - s) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[derive(Debug, Clone)]
struct Grid<'a> {
    mapper: PixelMapper<'a>,
    stepsize: usize,
    /// Node positions along x and y (0, s, 2s, ..., n-1).
    gx: Vec<usize>,
    gy: Vec<usize>,
    /// Node values, row-major (gy.len(), gx.len()).
    vx: Vec<f64>,
    vy: Vec<f64>,
    max_err: f64,
}

fn nodes(n: usize, s: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).step_by(s).collect();
    if *v.last().unwrap_or(&0) != n - 1 {
        v.push(n - 1);
    }
    v
}

impl Grid<'_> {
    /// Cell index and fraction of integer position `p` along node list `g`.
    #[inline]
    fn locate(g: &[usize], s: usize, p: usize) -> (usize, f64) {
        if g.len() == 1 {
            return (0, 0.0);
        }
        let c = (p / s).min(g.len() - 2);
        let f = (p - g[c]) as f64 / (g[c + 1] - g[c]) as f64;
        (c, f)
    }

    #[inline]
    fn eval(&self, i: usize, j: usize) -> (f64, f64) {
        let s = self.stepsize;
        let (ci, fx) = Self::locate(&self.gx, s, i);
        let (cj, fy) = Self::locate(&self.gy, s, j);
        let w = self.gx.len();
        let ci1 = (ci + 1).min(w - 1);
        let cj1 = (cj + 1).min(self.gy.len() - 1);
        let k00 = cj * w + ci;
        let k01 = cj * w + ci1;
        let k10 = cj1 * w + ci;
        let k11 = cj1 * w + ci1;
        let bil = |v: &[f64]| {
            (v[k00] * (1.0 - fx) + v[k01] * fx) * (1.0 - fy)
                + (v[k10] * (1.0 - fx) + v[k11] * fx) * fy
        };
        let (x, y) = (bil(&self.vx), bil(&self.vy));
        if x.is_finite() && y.is_finite() {
            (x, y)
        } else {
            // A node of this cell has no image: evaluate exactly.
            self.mapper.map_point(i as f64, j as f64)
        }
    }
}

impl<'a> PixelMap<'a> {
    /// A user pixel map of shape `(ny, nx, 2)` (drizzle's `pixmap`).
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) when the last axis is not 2
    /// or the image is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// use ndarray::Array3;
    /// let pm = Array3::from_shape_fn((4, 5, 2), |(j, i, k)| if k == 0 { i as f64 + 2.0 } else { j as f64 });
    /// let map = PixelMap::from_array(pm.view())?;
    /// assert_eq!(map.shape(), (4, 5));
    /// assert_eq!(map.map_point(1, 3), (3.0, 3.0));
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn from_array(pixmap: ArrayView3<'a, f64>) -> Result<Self> {
        let (ny, nx, two) = pixmap.dim();
        if two != 2 || ny == 0 || nx == 0 {
            return Err(shape_err(
                "pixmap",
                &[ny.max(1), nx.max(1), 2],
                pixmap.shape(),
            ));
        }
        Ok(PixelMap {
            ny,
            nx,
            source: Source::Array(pixmap),
        })
    }

    /// The exact map from pixels of `from` (an image of `shape = (ny, nx)`) to pixels of
    /// `to`, evaluated tile by tile when needed. Gnomonic to gnomonic without distortion
    /// is a projective transformation: it is then evaluated as one (fitted through the
    /// exact map at the image corners and accepted only where it agrees with it to 1e-9 px
    /// on a 9 × 9 grid; ~3e-12 px in practice), about 3× faster; otherwise through
    /// astro-wcs's pixel mapper.
    ///
    /// # Errors
    ///
    /// An empty shape, or WCS with different celestial coordinates.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// use astro_wcs::Wcs;
    /// let w = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let map = PixelMap::from_wcs(&w, &w, (3, 3))?;
    /// let (x, y) = map.map_point(2, 1);
    /// assert!((x - 2.0).abs() < 1e-9 && (y - 1.0).abs() < 1e-9);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn from_wcs(from: &'a Wcs, to: &'a Wcs, shape: (usize, usize)) -> Result<Self> {
        check_shape(shape)?;
        Ok(Self::exact(from, from.pixel_mapper(to)?, shape))
    }

    fn exact(from: &Wcs, mapper: PixelMapper<'a>, shape: (usize, usize)) -> Self {
        let source = match Projective::fit(from, &mapper, shape.0, shape.1) {
            Some(p) => Source::Projective(p),
            None => Source::Exact(mapper),
        };
        PixelMap {
            ny: shape.0,
            nx: shape.1,
            source,
        }
    }

    /// The map from `from` to `to` evaluated exactly on a grid of nodes every `stepsize`
    /// pixels (plus the last row and column) and interpolated bilinearly in between
    /// (drizzlepac's `stepsize`). The worst error against the exact map, measured at the
    /// centre and edge midpoints of every grid cell, is available from
    /// [`PixelMap::max_interpolation_error`]. A cell with a node without image is evaluated
    /// exactly. `stepsize = 1` gives the exact map.
    ///
    /// # Errors
    ///
    /// `stepsize == 0`, an empty shape, or WCS with different celestial coordinates.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (512.0, 512.0), [[-1e-4, 1e-5], [1e-5, 1e-4]])?;
    /// let b = Wcs::new_tan((10.01, 20.0), (600.0, 500.0), [[-2e-4, 0.0], [0.0, 2e-4]])?;
    /// let map = PixelMap::from_wcs_stepsize(&a, &b, (1024, 1024), 16)?;
    /// assert!(map.max_interpolation_error() < 1e-3); // pixels
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn from_wcs_stepsize(
        from: &'a Wcs,
        to: &'a Wcs,
        shape: (usize, usize),
        stepsize: usize,
    ) -> Result<Self> {
        check_shape(shape)?;
        if stepsize == 0 {
            return Err(param_err("stepsize", 0, "must be >= 1"));
        }
        let mapper = from.pixel_mapper(to)?;
        if stepsize == 1 {
            return Ok(Self::exact(from, mapper, shape));
        }
        let gx = nodes(shape.1, stepsize);
        let gy = nodes(shape.0, stepsize);
        let n = gx.len() * gy.len();
        let mut vx = vec![0.0; n];
        let mut vy = vec![0.0; n];
        let px: Vec<f64> = gy
            .iter()
            .flat_map(|_| gx.iter().map(|&x| x as f64))
            .collect();
        let py: Vec<f64> = gy
            .iter()
            .flat_map(|&y| gx.iter().map(move |_| y as f64))
            .collect();
        mapper.map_points(&px, &py, &mut vx, &mut vy)?;
        let mut grid = Grid {
            mapper,
            stepsize,
            gx,
            gy,
            vx,
            vy,
            max_err: 0.0,
        };
        grid.max_err = measure_error(&grid);
        Ok(PixelMap {
            ny: shape.0,
            nx: shape.1,
            source: Source::Grid(Box::new(grid)),
        })
    }

    /// The coarsest grid map (stepsize 64, 32, ..., 2) whose measured worst error is at
    /// most `tolerance` pixels, or the exact map when none is.
    ///
    /// # Errors
    ///
    /// As [`PixelMap::from_wcs_stepsize`]; a `tolerance` that is not finite and >= 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (512.0, 512.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let map = PixelMap::from_wcs_tolerance(&a, &a, (1024, 1024), 1e-4)?;
    /// assert!(map.max_interpolation_error() <= 1e-4);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn from_wcs_tolerance(
        from: &'a Wcs,
        to: &'a Wcs,
        shape: (usize, usize),
        tolerance: f64,
    ) -> Result<Self> {
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(param_err("tolerance", tolerance, "must be finite and >= 0"));
        }
        for s in [64, 32, 16, 8, 4, 2] {
            let m = Self::from_wcs_stepsize(from, to, shape, s)?;
            if m.max_interpolation_error() <= tolerance {
                return Ok(m);
            }
        }
        Self::from_wcs(from, to, shape)
    }

    /// Shape `(ny, nx)` of the input image this map is for.
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// let pm = ndarray::Array3::<f64>::zeros((2, 7, 2));
    /// assert_eq!(PixelMap::from_array(pm.view())?.shape(), (2, 7));
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        (self.ny, self.nx)
    }

    /// Worst measured error (pixels) of a grid map against the exact map; 0 for exact and
    /// user maps.
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// let pm = ndarray::Array3::<f64>::zeros((2, 2, 2));
    /// assert_eq!(PixelMap::from_array(pm.view())?.max_interpolation_error(), 0.0);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn max_interpolation_error(&self) -> f64 {
        match &self.source {
            Source::Grid(g) => g.max_err,
            _ => 0.0,
        }
    }

    /// Output position of input pixel `(i, j)` (column, row); NaN when it has none.
    /// Out-of-range indices give NaN.
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// let pm = ndarray::Array3::<f64>::from_elem((2, 2, 2), 1.5);
    /// let map = PixelMap::from_array(pm.view())?;
    /// assert_eq!(map.map_point(1, 1), (1.5, 1.5));
    /// assert!(map.map_point(5, 0).0.is_nan());
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn map_point(&self, i: usize, j: usize) -> (f64, f64) {
        if i >= self.nx || j >= self.ny {
            return (f64::NAN, f64::NAN);
        }
        match &self.source {
            Source::Array(a) => (a[[j, i, 0]], a[[j, i, 1]]),
            Source::Exact(m) => m.map_point(i as f64, j as f64),
            Source::Projective(p) => p.eval(i as f64, j as f64),
            Source::Grid(g) => g.eval(i, j),
        }
    }

    /// Output positions of the input tile of columns `x0..x0+nx` and rows `y0..y0+ny`
    /// into `x_out`, `y_out` (row-major, `k = (j - y0) * nx + (i - x0)`). Parallel over
    /// rows; bit-identical for any thread count.
    ///
    /// # Errors
    ///
    /// A tile outside the image, or slices that do not hold `nx * ny` values.
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// let pm = ndarray::Array3::from_shape_fn((4, 4, 2), |(j, i, k)| if k == 0 { i as f64 } else { j as f64 });
    /// let map = PixelMap::from_array(pm.view())?;
    /// let (mut xs, mut ys) = (vec![0.0; 4], vec![0.0; 4]);
    /// map.map_tile(1, 2, 2, 2, &mut xs, &mut ys)?;
    /// assert_eq!(xs, vec![1.0, 2.0, 1.0, 2.0]);
    /// assert_eq!(ys, vec![2.0, 2.0, 3.0, 3.0]);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn map_tile(
        &self,
        x0: usize,
        y0: usize,
        nx: usize,
        ny: usize,
        x_out: &mut [f64],
        y_out: &mut [f64],
    ) -> Result<()> {
        if x0 + nx > self.nx || y0 + ny > self.ny {
            return Err(param_err(
                "tile",
                format!("x {x0}..{} y {y0}..{}", x0 + nx, y0 + ny),
                format!("outside the {}x{} input", self.ny, self.nx),
            ));
        }
        let n = nx * ny;
        if x_out.len() != n || y_out.len() != n {
            return Err(shape_err(
                "tile output",
                &[n],
                &[x_out.len().min(y_out.len())],
            ));
        }
        if n == 0 {
            return Ok(());
        }
        match &self.source {
            Source::Exact(m) => {
                m.map_tile(x0, y0, nx, ny, x_out, y_out)?;
            }
            Source::Projective(p) => {
                // Compiled for AVX2 where available (4 divisions per instruction); the same
                // operations, so the same bits, either way.
                let row = |(jr, (ox, oy)): (usize, (&mut [f64], &mut [f64]))| {
                    crate::simd::with_avx2(
                        #[inline(always)]
                        || p.row(x0, (y0 + jr) as f64, ox, oy),
                    )
                };
                for_each_tile_row(x_out, y_out, nx, row);
            }
            Source::Array(a) => {
                // A copy of the array's values (what map_point returns), row by row.
                let row = |(jr, (ox, oy)): (usize, (&mut [f64], &mut [f64]))| {
                    let r = a.index_axis(Axis(0), y0 + jr);
                    match r.as_slice() {
                        Some(s) => {
                            let s = &s[2 * x0..2 * (x0 + nx)];
                            for ((p, x), y) in s.chunks_exact(2).zip(ox.iter_mut()).zip(oy) {
                                *x = p[0];
                                *y = p[1];
                            }
                        }
                        None => {
                            for k in 0..nx {
                                ox[k] = r[[x0 + k, 0]];
                                oy[k] = r[[x0 + k, 1]];
                            }
                        }
                    }
                };
                for_each_tile_row(x_out, y_out, nx, row);
            }
            _ => {
                let row = |(jr, (ox, oy)): (usize, (&mut [f64], &mut [f64]))| {
                    let j = y0 + jr;
                    for k in 0..nx {
                        let (a, b) = self.map_point(x0 + k, j);
                        ox[k] = a;
                        oy[k] = b;
                    }
                };
                for_each_tile_row(x_out, y_out, nx, row);
            }
        }
        Ok(())
    }

    /// The whole map as an array of shape `(ny, nx, 2)` (16 bytes per input pixel).
    ///
    /// # Errors
    ///
    /// None in practice (kept for symmetry with [`PixelMap::map_tile`]).
    ///
    /// ```
    /// use astro_drizzle::PixelMap;
    /// use astro_wcs::Wcs;
    /// let w = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let a = PixelMap::from_wcs(&w, &w, (3, 4))?.to_array()?;
    /// assert_eq!(a.dim(), (3, 4, 2));
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn to_array(&self) -> Result<Array3<f64>> {
        let n = self.nx * self.ny;
        let mut xs = vec![0.0; n];
        let mut ys = vec![0.0; n];
        self.map_tile(0, 0, self.nx, self.ny, &mut xs, &mut ys)?;
        Ok(Array3::from_shape_fn((self.ny, self.nx, 2), |(j, i, k)| {
            let p = j * self.nx + i;
            if k == 0 { xs[p] } else { ys[p] }
        }))
    }
}

/// Bounds on a pixel map over a rectangle of input pixels ([`PixelMap::rect_bound`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RectBound {
    /// Every finite mapped y of the rectangle lies in `[y_lo, y_hi]` (`y_lo > y_hi`: none
    /// is finite).
    pub(crate) y_lo: f64,
    pub(crate) y_hi: f64,
    /// `|Δx|` and `|Δy|` between the mapped positions of any two horizontally or vertically
    /// adjacent pixels of the rectangle are at most this.
    pub(crate) step: f64,
}

/// Slack added to the bounds of [`PixelMap::rect_bound`] for the rounding of the map's
/// evaluation (relative to the magnitudes involved; ~1e-16 would do).
const BOUND_SLACK: f64 = 1e-9;

impl<'a> PixelMap<'a> {
    /// The exact map through astro-wcs's mapper, never as a projective one (for tests of
    /// the code paths of costly maps).
    #[cfg(test)]
    pub(crate) fn from_wcs_exact(from: &'a Wcs, to: &'a Wcs, shape: (usize, usize)) -> Self {
        PixelMap {
            ny: shape.0,
            nx: shape.1,
            source: Source::Exact(from.pixel_mapper(to).expect("same frames")),
        }
    }

    /// Whether the map is costly to evaluate (the exact map through astro-wcs's mapper:
    /// distortion or non-gnomonic projections), so that evaluating it twice is to be
    /// avoided.
    pub(crate) fn is_costly(&self) -> bool {
        matches!(self.source, Source::Exact(_))
    }

    /// Rigorous bounds, cheaply, on the map over the input pixels of columns `x0..x0 + w`
    /// and rows `y0..y0 + h` (inside the image, not empty): the range of the finite mapped
    /// y and the largest step between adjacent pixels, both as evaluated by
    /// [`PixelMap::map_tile`] (with slack for rounding). `None` when no cheap bound is
    /// known (then the tile is to be evaluated):
    /// - projective map: from the four corners when the denominator is positive at all
    ///   four (it is linear, so positive over the rectangle, which then maps to the convex
    ///   quadrilateral of the corners' images); steps from the partial derivatives,
    ///   `∂X/∂x = (h₀₀ − h₂₀·X) / w` etc., bounded with the largest `|X|`, `|Y|` and the
    ///   smallest denominator over the corners; `None` otherwise;
    /// - grid map: bilinear interpolation stays within the range of its cell's nodes, and
    ///   is piecewise linear along rows and columns (continuous across cells), so steps are
    ///   bounded by the largest node difference over the cell size; from the nodes of the
    ///   cells the rectangle covers; `None` when one of them has no finite image (such
    ///   cells are evaluated exactly);
    /// - user arrays and the exact map: `None`.
    pub(crate) fn rect_bound(&self, x0: usize, y0: usize, w: usize, h: usize) -> Option<RectBound> {
        if w == 0 || h == 0 || x0 + w > self.nx || y0 + h > self.ny {
            return None;
        }
        let (x1, y1) = (x0 + w - 1, y0 + h - 1);
        match &self.source {
            Source::Projective(p) => p.rect_bound(x0, y0, x1, y1),
            Source::Grid(g) => g.rect_bound(x0, y0, x1, y1),
            Source::Array(_) | Source::Exact(_) => None,
        }
    }
}

impl Projective {
    /// [`PixelMap::rect_bound`] over columns `x0..=x1`, rows `y0..=y1`.
    fn rect_bound(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> Option<RectBound> {
        let h = &self.h;
        let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map(|(x, y)| (x as f64, y as f64));
        let mut w_min = f64::INFINITY;
        let (mut x_abs, mut y_abs) = (0.0f64, 0.0f64);
        let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        // Largest magnitude of the numerators' terms over the denominator: the scale of the
        // rounding errors of `eval`.
        let mut scale = 0.0f64;
        for &(x, y) in &corners {
            let w = h[2][0] * x + (h[2][1] * y + h[2][2]);
            // (Well away from 0 against its terms, so that its rounding is negligible.)
            let w_terms = (h[2][0] * x).abs() + (h[2][1] * y).abs() + h[2][2].abs();
            if !(w.is_finite() && w > 1e-6 * w_terms) {
                return None;
            }
            let (px, py) = self.eval(x, y);
            if !(px.is_finite() && py.is_finite()) {
                return None;
            }
            w_min = w_min.min(w);
            x_abs = x_abs.max(px.abs());
            y_abs = y_abs.max(py.abs());
            y_lo = y_lo.min(py);
            y_hi = y_hi.max(py);
            for r in &h[..2] {
                scale = scale.max((r[0] * x).abs() + (r[1] * y).abs() + r[2].abs());
            }
        }
        let terms = |a: f64, b: f64, v: f64| (a.abs() + b.abs() * v) / w_min;
        let step = terms(h[0][0], h[2][0], x_abs)
            .max(terms(h[0][1], h[2][1], x_abs))
            .max(terms(h[1][0], h[2][0], y_abs))
            .max(terms(h[1][1], h[2][1], y_abs));
        let slack = BOUND_SLACK * (1.0 + y_abs + x_abs + scale / w_min);
        let b = RectBound {
            y_lo: y_lo - slack,
            y_hi: y_hi + slack,
            step: step * (1.0 + BOUND_SLACK) + 2.0 * slack,
        };
        (b.y_lo.is_finite() && b.y_hi.is_finite() && b.step.is_finite()).then_some(b)
    }
}

impl Grid<'_> {
    /// [`PixelMap::rect_bound`] over columns `x0..=x1`, rows `y0..=y1`.
    fn rect_bound(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> Option<RectBound> {
        let s = self.stepsize;
        let (nw, nh) = (self.gx.len(), self.gy.len());
        // Cells covered (as `eval` locates pixels), and their nodes.
        let (ci0, ci1) = (
            Self::locate(&self.gx, s, x0).0,
            Self::locate(&self.gx, s, x1).0,
        );
        let (cj0, cj1) = (
            Self::locate(&self.gy, s, y0).0,
            Self::locate(&self.gy, s, y1).0,
        );
        let (ni1, nj1) = ((ci1 + 1).min(nw - 1), (cj1 + 1).min(nh - 1));
        let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut step, mut big) = (0.0f64, 0.0f64);
        for nj in cj0..=nj1 {
            for ni in ci0..=ni1 {
                let k = nj * nw + ni;
                let (vx, vy) = (self.vx[k], self.vy[k]);
                // (Huge values could overflow in the interpolation.)
                if !(vx.abs() < 1e150 && vy.abs() < 1e150) {
                    return None;
                }
                y_lo = y_lo.min(vy);
                y_hi = y_hi.max(vy);
                big = big.max(vx.abs()).max(vy.abs());
                // Slopes along x and y from this node to the next (per pixel).
                if ni < ni1 {
                    let d = (self.gx[ni + 1] - self.gx[ni]) as f64;
                    let (ax, ay) = (self.vx[k + 1] - vx, self.vy[k + 1] - vy);
                    step = step.max(ax.abs() / d).max(ay.abs() / d);
                }
                if nj < nj1 {
                    let d = (self.gy[nj + 1] - self.gy[nj]) as f64;
                    let (ax, ay) = (self.vx[k + nw] - vx, self.vy[k + nw] - vy);
                    step = step.max(ax.abs() / d).max(ay.abs() / d);
                }
            }
        }
        let slack = BOUND_SLACK * (1.0 + big);
        let b = RectBound {
            y_lo: y_lo - slack,
            y_hi: y_hi + slack,
            step: step * (1.0 + BOUND_SLACK) + 2.0 * slack,
        };
        (b.y_lo.is_finite() && b.y_hi.is_finite() && b.step.is_finite()).then_some(b)
    }
}

fn check_shape(shape: (usize, usize)) -> Result<()> {
    if shape.0 == 0 || shape.1 == 0 {
        return Err(shape_err("input image", &[1, 1], &[shape.0, shape.1]));
    }
    Ok(())
}

/// Worst |grid − exact| over the centre and the two edge midpoints of every cell.
fn measure_error(g: &Grid<'_>) -> f64 {
    let mid = |v: &[usize], c: usize| (v[c] + v[(c + 1).min(v.len() - 1)]) / 2;
    let ncx = g.gx.len().saturating_sub(1).max(1);
    let ncy = g.gy.len().saturating_sub(1).max(1);
    let cell = |cj: usize| -> f64 {
        let mut worst: f64 = 0.0;
        for ci in 0..ncx {
            let (mx, my) = (mid(&g.gx, ci), mid(&g.gy, cj));
            for (i, j) in [(mx, my), (mx, g.gy[cj]), (g.gx[ci], my)] {
                let (ax, ay) = g.eval(i, j);
                let (ex, ey) = g.mapper.map_point(i as f64, j as f64);
                let e = (ax - ex).hypot(ay - ey);
                if e.is_finite() {
                    worst = worst.max(e);
                }
            }
        }
        worst
    };
    #[cfg(feature = "rayon")]
    let it = (0..ncy).into_par_iter().map(cell).reduce(|| 0.0, f64::max);
    #[cfg(not(feature = "rayon"))]
    let it = (0..ncy).map(cell).fold(0.0, f64::max);
    it
}

/// Calls `row((jr, (x_row, y_row)))` for every row `jr` of a tile whose outputs are `nx`
/// wide (in parallel with the `rayon` feature; each row is independent, so the result
/// does not depend on the thread count).
fn for_each_tile_row<F>(x_out: &mut [f64], y_out: &mut [f64], nx: usize, row: F)
where
    F: Fn((usize, (&mut [f64], &mut [f64]))) + Sync + Send,
{
    #[cfg(feature = "rayon")]
    x_out
        .par_chunks_mut(nx)
        .zip(y_out.par_chunks_mut(nx))
        .enumerate()
        .for_each(row);
    #[cfg(not(feature = "rayon"))]
    x_out
        .chunks_mut(nx)
        .zip(y_out.chunks_mut(nx))
        .enumerate()
        .for_each(row);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Every finite mapped y of the rectangle (as `map_tile` gives it) inside the bound,
    /// and every step between adjacent pixels at most the bound's step.
    fn check_contains(
        map: &PixelMap<'_>,
        (x0, y0, w, h): (usize, usize, usize, usize),
        b: &RectBound,
    ) {
        let (mut xs, mut ys) = (vec![0.0; w * h], vec![0.0; w * h]);
        map.map_tile(x0, y0, w, h, &mut xs, &mut ys).unwrap();
        for k in 0..w * h {
            if ys[k].is_finite() {
                assert!(ys[k] >= b.y_lo && ys[k] <= b.y_hi, "{} not in {b:?}", ys[k]);
            }
            let (i, j) = (k % w, k / w);
            for n in [(i + 1 < w).then_some(k + 1), (j + 1 < h).then_some(k + w)]
                .into_iter()
                .flatten()
            {
                for d in [xs[n] - xs[k], ys[n] - ys[k]] {
                    assert!(!d.is_finite() || d.abs() <= b.step, "step {d} > {b:?}");
                }
            }
        }
    }

    fn random_rect(rng: &mut StdRng, (ny, nx): (usize, usize)) -> (usize, usize, usize, usize) {
        let (x0, y0) = (rng.random_range(0..nx), rng.random_range(0..ny));
        let w = rng.random_range(1..=(nx - x0).min(70));
        let h = rng.random_range(1..=(ny - y0).min(40));
        (x0, y0, w, h)
    }

    #[test]
    fn rect_bound_holds_every_mapped_y_and_step() {
        let mut rng = StdRng::seed_from_u64(11);
        // Projective: a rotated, scaled TAN → TAN map.
        let (c, s) = (0.4f64.cos() * 1e-4, 0.4f64.sin() * 1e-4);
        let a = Wcs::new_tan((10.0, 20.0), (60.0, 40.0), [[-c, s], [s, c]]).unwrap();
        let b = Wcs::new_tan(
            (10.02, 19.99),
            (90.0, 70.0),
            [[-1.3e-4, 0.0], [0.0, 1.3e-4]],
        )
        .unwrap();
        let shape = (97, 131);
        let proj = PixelMap::from_wcs(&a, &b, shape).unwrap();
        assert!(matches!(proj.source, Source::Projective(_)));
        // Grid: the same map sampled every 16 pixels (a smaller last cell), and one with a
        // node without image.
        let grid = PixelMap::from_wcs_stepsize(&a, &b, shape, 16).unwrap();
        let mut holed = grid.clone();
        let Source::Grid(g) = &mut holed.source else {
            panic!("grid");
        };
        let hole = 2 * g.gx.len() + 3; // node (x 48, y 32)
        g.vy[hole] = f64::NAN;
        for (map, name) in [
            (&proj, "projective"),
            (&grid, "grid"),
            (&holed, "holed grid"),
        ] {
            let mut n_some = 0;
            for _ in 0..300 {
                let r = random_rect(&mut rng, shape);
                match map.rect_bound(r.0, r.1, r.2, r.3) {
                    Some(bd) => {
                        n_some += 1;
                        check_contains(map, r, &bd);
                    }
                    None => {
                        // Only a rectangle meeting the cells around the hole has no bound.
                        assert_eq!(name, "holed grid", "{r:?}");
                        assert!(
                            r.0 < 64 && r.0 + r.2 > 32 && r.1 < 48 && r.1 + r.3 > 16,
                            "{r:?}"
                        );
                    }
                }
            }
            assert!(n_some > 100, "{name}");
        }
        // The whole image, and single pixels.
        for map in [&proj, &grid] {
            let bd = map.rect_bound(0, 0, shape.1, shape.0).unwrap();
            check_contains(map, (0, 0, shape.1, shape.0), &bd);
            let bd = map.rect_bound(130, 96, 1, 1).unwrap();
            check_contains(map, (130, 96, 1, 1), &bd);
        }
        assert!(proj.rect_bound(0, 0, 132, 1).is_none(), "outside the image");

        // A projective map with a horizon (denominator 0 along x = 60): no bound for a
        // rectangle reaching it; bounds beside it.
        let horizon = PixelMap {
            ny: 50,
            nx: 100,
            source: Source::Projective(Projective {
                h: [[1.0, 0.2, 3.0], [0.1, 1.0, -2.0], [-0.01, 0.0, 0.6]],
            }),
        };
        assert!(horizon.rect_bound(50, 0, 20, 50).is_none());
        assert!(horizon.rect_bound(70, 0, 30, 50).is_none());
        let bd = horizon.rect_bound(0, 0, 55, 50).unwrap();
        check_contains(&horizon, (0, 0, 55, 50), &bd);

        // User arrays and the exact map: no cheap bound.
        let pm = Array3::from_elem((4, 5, 2), 1.0);
        assert!(
            PixelMap::from_array(pm.view())
                .unwrap()
                .rect_bound(0, 0, 5, 4)
                .is_none()
        );
        let exact = PixelMap {
            ny: 10,
            nx: 10,
            source: Source::Exact(a.pixel_mapper(&b).unwrap()),
        };
        assert!(exact.rect_bound(0, 0, 10, 10).is_none());
        assert!(exact.is_costly() && !proj.is_costly() && !grid.is_costly());
    }
}
