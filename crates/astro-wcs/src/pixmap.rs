//! Pixel → pixel maps between two WCS (drizzle's "pixmap"), point lists or tiles, written
//! into caller-provided slices so an image can be mapped tile by tile.
//!
//! For the common case — gnomonic input (with SIP / lookup-table distortion or none) to a
//! gnomonic output without distortion — a trig-free path is used: the TAN plane point
//! `(x, y)` is the native direction `(-y, x, 180/π)`, the two celestial rotations
//! compose into one 3×3 matrix, and the output TAN plane is a ratio of components. It
//! agrees with the general path (pixel → world → pixel) to ~1e-11 px.

use crate::error::{Error, Result};
use crate::sip::MAX_SIP_ORDER;
use crate::wcs::{R2D, Wcs};
use ndarray::Array2;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// A prepared pixel → pixel transform from one [`Wcs`] to another.
///
/// # Examples
///
/// ```
/// use astro_wcs::Wcs;
/// let a = Wcs::new_tan((10.0, 20.0), (50.0, 50.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
/// let b = Wcs::new_tan((10.0, 20.0), (60.0, 40.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
/// let mapper = a.pixel_mapper(&b)?;
/// assert!(mapper.is_fast());
/// let (x, y) = mapper.map_point(50.0, 50.0);
/// assert!((x - 60.0).abs() < 1e-9 && (y - 40.0).abs() < 1e-9);
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PixelMapper<'a> {
    from: &'a Wcs,
    to: &'a Wcs,
    /// Output native vector = m · input native vector (TAN → TAN path).
    fast: Option<[[f64; 3]; 3]>,
}

impl Wcs {
    /// Prepare the pixel → pixel transform from this WCS to `to`.
    ///
    /// No celestial frame conversion is done: both WCS must use the same coordinates
    /// (e.g. RA/Dec with RA/Dec); `RADESYS` is not compared.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when the two WCS use different celestial coordinates.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// assert!(a.pixel_mapper(&a)?.is_fast());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn pixel_mapper<'a>(&'a self, to: &'a Wcs) -> Result<PixelMapper<'a>> {
        if self.coordinate_names() != to.coordinate_names() {
            return Err(Error::InvalidParameter {
                name: "to".into(),
                reason: format!(
                    "celestial coordinates differ: {:?} vs {:?} (no frame conversion is done)",
                    self.coordinate_names(),
                    to.coordinate_names()
                ),
            });
        }
        let fast = (self.projection_code() == "TAN"
            && to.projection_code() == "TAN"
            && !to.has_pixel_distortion())
        .then(|| {
            let a = self.rotation_matrix();
            let b = to.rotation_matrix();
            // m = bᵀ · a
            let mut m = [[0.0; 3]; 3];
            for (i, row) in m.iter_mut().enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = (0..3).map(|k| b[k][i] * a[k][j]).sum();
                }
            }
            m
        });
        Ok(PixelMapper {
            from: self,
            to,
            fast,
        })
    }

    /// Map pixels `(x[k], y[k])` of this image to pixels of `to`, writing into `x_out`,
    /// `y_out` (NaN where a point has no image). Parallel with rayon.
    ///
    /// # Errors
    ///
    /// As [`Wcs::pixel_mapper`] and [`PixelMapper::map_points`].
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let b = Wcs::new_tan((10.0, 20.0), (5.0, 5.0), [[-2e-4, 0.0], [0.0, 2e-4]])?;
    /// let (mut xo, mut yo) = ([0.0; 2], [0.0; 2]);
    /// a.pixel_to_pixel(&b, &[0.0, 10.0], &[0.0, 0.0], &mut xo, &mut yo)?;
    /// assert!((xo[1] - 10.0).abs() < 1e-6 && (yo[1] - 5.0).abs() < 1e-6);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn pixel_to_pixel(
        &self,
        to: &Wcs,
        x: &[f64],
        y: &[f64],
        x_out: &mut [f64],
        y_out: &mut [f64],
    ) -> Result<()> {
        self.pixel_mapper(to)?.map_points(x, y, x_out, y_out)
    }
}

impl PixelMapper<'_> {
    /// Whether the trig-free TAN → TAN path is used.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// assert!(a.pixel_mapper(&a)?.is_fast());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// Map one pixel; `(NaN, NaN)` when it has no image in the output (outside a
    /// projection's domain, or the output's distortion could not be inverted there).
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let m = a.pixel_mapper(&a)?;
    /// let (x, y) = m.map_point(3.0, 4.0);
    /// assert!((x - 3.0).abs() < 1e-9 && (y - 4.0).abs() < 1e-9);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    #[inline]
    pub fn map_point(&self, x: f64, y: f64) -> (f64, f64) {
        match &self.fast {
            Some(m) => self.map_fast(m, x, y),
            None => self
                .from
                .pixel_to_world(x, y)
                .and_then(|(l, b)| self.to.world_to_pixel(l, b))
                .unwrap_or((f64::NAN, f64::NAN)),
        }
    }

    #[inline(always)]
    fn map_fast(&self, m: &[[f64; 3]; 3], x: f64, y: f64) -> (f64, f64) {
        let (fx, fy) = self.from.pix_to_foc(x, y);
        self.map_fast_foc(m, fx, fy)
    }

    /// The fast path from the input focal plane (distortion already applied).
    #[inline(always)]
    fn map_fast_foc(&self, m: &[[f64; 3]; 3], fx: f64, fy: f64) -> (f64, f64) {
        let from = self.from;
        let to = self.to;
        let c = from.crpix_array();
        let (a, b) = from.linear().apply(fx - c[0], fy - c[1]);
        let (px, py) = if from.lon_index() == 0 {
            (a, b)
        } else {
            (b, a)
        };
        let n = [-py, px, R2D];
        let n0 = m[0][0] * n[0] + m[0][1] * n[1] + m[0][2] * n[2];
        let n1 = m[1][0] * n[0] + m[1][1] * n[1] + m[1][2] * n[2];
        let n2 = m[2][0] * n[0] + m[2][1] * n[1] + m[2][2] * n[2];
        if n2 <= 0.0 || !n2.is_finite() {
            return (f64::NAN, f64::NAN);
        }
        let k = R2D / n2;
        let (qx, qy) = (k * n1, -k * n0);
        let (a2, b2) = if to.lon_index() == 0 {
            (qx, qy)
        } else {
            (qy, qx)
        };
        let (dx, dy) = to.linear().apply_inverse(a2, b2);
        let c2 = to.crpix_array();
        (dx + c2[0], dy + c2[1])
    }

    /// One row of the fast path. With SIP alone (no lookup tables) the SIP sums over
    /// the row's `v` are computed once per row; the result is bit-identical to
    /// [`PixelMapper::map_point`].
    fn map_row_fast(&self, m: &[[f64; 3]; 3], x0: usize, y: f64, ox: &mut [f64], oy: &mut [f64]) {
        let from = self.from;
        match from.sip() {
            Some(sip) if !from.has_tables() => {
                let c = from.crpix_array();
                let v = y - c[1];
                let mut ia = [0.0; MAX_SIP_ORDER + 1];
                let mut ib = [0.0; MAX_SIP_ORDER + 1];
                sip.a.eval_inner(v, &mut ia);
                sip.b.eval_inner(v, &mut ib);
                for (i, (px, py)) in ox.iter_mut().zip(oy.iter_mut()).enumerate() {
                    let x = (x0 + i) as f64;
                    let u = x - c[0];
                    let fx = x + sip.a.eval_outer(&ia, u);
                    let fy = y + sip.b.eval_outer(&ib, u);
                    (*px, *py) = self.map_fast_foc(m, fx, fy);
                }
            }
            _ => {
                for (i, (px, py)) in ox.iter_mut().zip(oy.iter_mut()).enumerate() {
                    (*px, *py) = self.map_fast(m, (x0 + i) as f64, y);
                }
            }
        }
    }

    /// Map a list of pixels into `x_out`, `y_out` (NaN where there is no image).
    /// Parallel with rayon; bit-identical for any thread count.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when the slices differ in length.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let m = a.pixel_mapper(&a)?;
    /// let (mut xo, mut yo) = ([0.0; 3], [0.0; 3]);
    /// m.map_points(&[0.0, 1.0, 2.0], &[0.0, 0.0, 0.0], &mut xo, &mut yo)?;
    /// assert!((xo[2] - 2.0).abs() < 1e-9);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn map_points(
        &self,
        x: &[f64],
        y: &[f64],
        x_out: &mut [f64],
        y_out: &mut [f64],
    ) -> Result<()> {
        let n = x.len();
        for (name, len) in [
            ("y", y.len()),
            ("x_out", x_out.len()),
            ("y_out", y_out.len()),
        ] {
            if len != n {
                return Err(Error::InvalidParameter {
                    name: name.into(),
                    reason: format!("length {len} differs from the length {n} of x"),
                });
            }
        }
        crate::batch::for_chunks(x, y, x_out, y_out, |_, cx, cy, ox, oy| {
            for k in 0..cx.len() {
                let (a, b) = self.map_point(cx[k], cy[k]);
                ox[k] = a;
                oy[k] = b;
            }
            Ok(())
        })
    }

    /// Map the integer pixel grid `x0..x0+nx` × `y0..y0+ny` (a tile of the input image)
    /// into `x_out`, `y_out`, row-major (`k = (y - y0) * nx + (x - x0)`). Parallel over
    /// rows with rayon; bit-identical for any thread count.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when `x_out` or `y_out` do not hold `nx * ny` values.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let b = Wcs::new_tan((10.0, 20.0), (100.0, 100.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let m = a.pixel_mapper(&b)?;
    /// let (mut xo, mut yo) = (vec![0.0; 6], vec![0.0; 6]);
    /// m.map_tile(10, 20, 3, 2, &mut xo, &mut yo)?; // x 10..13, y 20..22
    /// assert!((xo[4] - 111.0).abs() < 1e-6 && (yo[4] - 121.0).abs() < 1e-6);
    /// # Ok::<(), astro_wcs::Error>(())
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
        let n = nx.checked_mul(ny).ok_or_else(|| Error::InvalidParameter {
            name: "nx".into(),
            reason: "nx * ny overflows".into(),
        })?;
        for (name, len) in [("x_out", x_out.len()), ("y_out", y_out.len())] {
            if len != n {
                return Err(Error::InvalidParameter {
                    name: name.into(),
                    reason: format!("holds {len} values, the tile {nx}×{ny} needs {n}"),
                });
            }
        }
        if n == 0 {
            return Ok(());
        }
        let row = |j: usize, ox: &mut [f64], oy: &mut [f64]| {
            let yy = (y0 + j) as f64;
            match &self.fast {
                Some(m) => self.map_row_fast(m, x0, yy, ox, oy),
                None => {
                    for i in 0..nx {
                        let (a, b) = self.map_point((x0 + i) as f64, yy);
                        ox[i] = a;
                        oy[i] = b;
                    }
                }
            }
        };
        #[cfg(feature = "rayon")]
        x_out
            .par_chunks_mut(nx)
            .zip(y_out.par_chunks_mut(nx))
            .enumerate()
            .for_each(|(j, (ox, oy))| row(j, ox, oy));
        #[cfg(not(feature = "rayon"))]
        for (j, (ox, oy)) in x_out.chunks_mut(nx).zip(y_out.chunks_mut(nx)).enumerate() {
            row(j, ox, oy);
        }
        Ok(())
    }

    /// The whole pixel map of an input image of shape `(ny, nx)`: arrays `(x_out, y_out)`
    /// of that shape (drizzle's pixmap split in two). This holds 16 bytes per input
    /// pixel; for bounded memory, map tiles with [`PixelMapper::map_tile`] instead.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when `ny * nx` overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Wcs;
    /// let a = Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let b = Wcs::new_tan((10.0, 20.0), (2.0, 3.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let (x, y) = a.pixel_mapper(&b)?.map_image((4, 5))?;
    /// assert_eq!(x.dim(), (4, 5));
    /// assert!((x[[1, 4]] - 6.0).abs() < 1e-9 && (y[[1, 4]] - 4.0).abs() < 1e-9);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn map_image(&self, shape: (usize, usize)) -> Result<(Array2<f64>, Array2<f64>)> {
        let (ny, nx) = shape;
        let n = ny.checked_mul(nx).ok_or_else(|| Error::InvalidParameter {
            name: "shape".into(),
            reason: format!("{shape:?} overflows"),
        })?;
        let (mut xo, mut yo) = (vec![0.0; n], vec![0.0; n]);
        self.map_tile(0, 0, nx, ny, &mut xo, &mut yo)?;
        let wrap = |v: Vec<f64>| {
            Array2::from_shape_vec((ny, nx), v).map_err(|e| Error::InvalidParameter {
                name: "shape".into(),
                reason: e.to_string(),
            })
        };
        Ok((wrap(xo)?, wrap(yo)?))
    }
}
