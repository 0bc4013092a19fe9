//! Batched pixel ↔ world transforms over slices, parallel with rayon (feature `rayon`).
//!
//! Every point is computed independently by the same code as the one-point methods, so
//! the results are bit-identical to [`Wcs::pixel_to_world`] / [`Wcs::world_to_pixel`]
//! and to each other for any number of threads.

use crate::error::{Error, Result};
use crate::wcs::Wcs;
use ndarray::{Array, ArrayBase, Data, Dimension};

#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// Points per parallel work item.
pub(crate) const CHUNK: usize = 4096;

fn check_lengths(names: [&str; 2], a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(Error::InvalidParameter {
            name: names[1].into(),
            reason: format!("length {b} differs from the length {a} of {}", names[0]),
        });
    }
    Ok(())
}

/// Run `f(index_offset, in_a, in_b, out_a, out_b)` over fixed chunks, in parallel when
/// the `rayon` feature is on. Returns the error of the lowest-indexed failing chunk.
pub(crate) fn for_chunks<F>(
    a: &[f64],
    b: &[f64],
    oa: &mut [f64],
    ob: &mut [f64],
    f: F,
) -> Result<()>
where
    F: Fn(usize, &[f64], &[f64], &mut [f64], &mut [f64]) -> Result<()> + Sync,
{
    #[cfg(feature = "rayon")]
    {
        let results: Vec<Result<()>> = a
            .par_chunks(CHUNK)
            .zip(b.par_chunks(CHUNK))
            .zip(oa.par_chunks_mut(CHUNK).zip(ob.par_chunks_mut(CHUNK)))
            .enumerate()
            .map(|(i, ((ca, cb), (coa, cob)))| f(i * CHUNK, ca, cb, coa, cob))
            .collect();
        results.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
    }
    #[cfg(not(feature = "rayon"))]
    {
        for (i, ((ca, cb), (coa, cob))) in a
            .chunks(CHUNK)
            .zip(b.chunks(CHUNK))
            .zip(oa.chunks_mut(CHUNK).zip(ob.chunks_mut(CHUNK)))
            .enumerate()
        {
            f(i * CHUNK, ca, cb, coa, cob)?;
        }
        Ok(())
    }
}

impl Wcs {
    /// Pixel → world for many points: `(lon, lat)` vectors. A point without a world
    /// position (outside a projection's domain, non-finite input) gives NaN, as astropy.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when `x` and `y` differ in length.
    ///
    /// # Examples
    ///
    /// ```
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let (ra, dec) = wcs.pixel_to_world_many(&[0.0, 1.0, f64::NAN], &[0.0, 2.0, 0.0])?;
    /// assert_eq!((ra[1], dec[1]), wcs.pixel_to_world(1.0, 2.0)?);
    /// assert!(ra[2].is_nan());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn pixel_to_world_many(&self, x: &[f64], y: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut lon = vec![0.0; x.len()];
        let mut lat = vec![0.0; x.len()];
        self.pixel_to_world_into(x, y, &mut lon, &mut lat)?;
        Ok((lon, lat))
    }

    /// Pixel → world into caller-provided slices (NaN where a point has no world
    /// position).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when the four slices differ in length.
    ///
    /// # Examples
    ///
    /// ```
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let (mut ra, mut dec) = ([0.0; 2], [0.0; 2]);
    /// wcs.pixel_to_world_into(&[0.0, 5.0], &[0.0, 5.0], &mut ra, &mut dec)?;
    /// assert_eq!(ra[0], 10.0);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn pixel_to_world_into(
        &self,
        x: &[f64],
        y: &[f64],
        lon: &mut [f64],
        lat: &mut [f64],
    ) -> Result<()> {
        check_lengths(["x", "y"], x.len(), y.len())?;
        check_lengths(["x", "lon"], x.len(), lon.len())?;
        check_lengths(["x", "lat"], x.len(), lat.len())?;
        for_chunks(x, y, lon, lat, |_, cx, cy, cl, cb| {
            for k in 0..cx.len() {
                let (l, b) = self
                    .pixel_to_world(cx[k], cy[k])
                    .unwrap_or((f64::NAN, f64::NAN));
                cl[k] = l;
                cb[k] = b;
            }
            Ok(())
        })
    }

    /// World → pixel for many points: `(x, y)` vectors. A point the projection cannot
    /// represent (or non-finite input) gives NaN.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when `lon` and `lat` differ in length;
    /// [`Error::NoConvergence`] for the lowest-indexed point where the distortion could
    /// not be inverted (never a wrong pixel).
    ///
    /// # Examples
    ///
    /// ```
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let (x, y) = wcs.world_to_pixel_many(&[10.0, 190.0], &[20.0, -20.0])?;
    /// assert!(x[0].abs() < 1e-9 && y[0].abs() < 1e-9);
    /// assert!(x[1].is_nan()); // the antipode has no TAN pixel
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn world_to_pixel_many(&self, lon: &[f64], lat: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut x = vec![0.0; lon.len()];
        let mut y = vec![0.0; lon.len()];
        self.world_to_pixel_into(lon, lat, &mut x, &mut y)?;
        Ok((x, y))
    }

    /// World → pixel into caller-provided slices.
    ///
    /// # Errors
    ///
    /// As [`Wcs::world_to_pixel_many`], plus slices of different lengths.
    ///
    /// # Examples
    ///
    /// ```
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let (mut x, mut y) = ([0.0; 1], [0.0; 1]);
    /// wcs.world_to_pixel_into(&[10.0], &[20.0], &mut x, &mut y)?;
    /// assert!(x[0].abs() < 1e-9);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn world_to_pixel_into(
        &self,
        lon: &[f64],
        lat: &[f64],
        x: &mut [f64],
        y: &mut [f64],
    ) -> Result<()> {
        check_lengths(["lon", "lat"], lon.len(), lat.len())?;
        check_lengths(["lon", "x"], lon.len(), x.len())?;
        check_lengths(["lon", "y"], lon.len(), y.len())?;
        for_chunks(lon, lat, x, y, |_, cl, cb, cx, cy| {
            let mut first_err = None;
            for k in 0..cl.len() {
                match self.world_to_pixel(cl[k], cb[k]) {
                    Ok((a, b)) => {
                        cx[k] = a;
                        cy[k] = b;
                    }
                    Err(e @ Error::NoConvergence { .. }) => {
                        cx[k] = f64::NAN;
                        cy[k] = f64::NAN;
                        if first_err.is_none() {
                            first_err = Some(e);
                        }
                    }
                    Err(_) => {
                        cx[k] = f64::NAN;
                        cy[k] = f64::NAN;
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }

    /// Pixel → world over ndarray arrays of any dimension (e.g. a grid of pixel
    /// coordinates): `(lon, lat)` arrays of the same shape, NaN where a point has no world
    /// position. Same values as [`Wcs::pixel_to_world_many`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when `x` and `y` differ in shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Array2;
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let x = Array2::from_shape_fn((3, 4), |(_, i)| i as f64);
    /// let y = Array2::from_shape_fn((3, 4), |(j, _)| j as f64);
    /// let (ra, dec) = wcs.pixel_to_world_arrays(&x, &y)?;
    /// assert_eq!(ra.dim(), (3, 4));
    /// assert_eq!((ra[[2, 1]], dec[[2, 1]]), wcs.pixel_to_world(1.0, 2.0)?);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn pixel_to_world_arrays<S, D>(
        &self,
        x: &ArrayBase<S, D>,
        y: &ArrayBase<S, D>,
    ) -> Result<(Array<f64, D>, Array<f64, D>)>
    where
        S: Data<Elem = f64>,
        D: Dimension,
    {
        self.map_arrays(x, y, |a, b| self.pixel_to_world_many(a, b))
    }

    /// World → pixel over ndarray arrays of any dimension: `(x, y)` arrays of the same
    /// shape. Same values and errors as [`Wcs::world_to_pixel_many`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when `lon` and `lat` differ in shape;
    /// [`Error::NoConvergence`] as [`Wcs::world_to_pixel_many`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::array;
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
    /// let (x, y) = wcs.world_to_pixel_arrays(&array![10.0, 10.0], &array![20.0, 20.001])?;
    /// assert!(x[0].abs() < 1e-9 && (y[1] - 10.0).abs() < 1e-3);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn world_to_pixel_arrays<S, D>(
        &self,
        lon: &ArrayBase<S, D>,
        lat: &ArrayBase<S, D>,
    ) -> Result<(Array<f64, D>, Array<f64, D>)>
    where
        S: Data<Elem = f64>,
        D: Dimension,
    {
        self.map_arrays(lon, lat, |a, b| self.world_to_pixel_many(a, b))
    }

    fn map_arrays<S, D, F>(
        &self,
        a: &ArrayBase<S, D>,
        b: &ArrayBase<S, D>,
        f: F,
    ) -> Result<(Array<f64, D>, Array<f64, D>)>
    where
        S: Data<Elem = f64>,
        D: Dimension,
        F: Fn(&[f64], &[f64]) -> Result<(Vec<f64>, Vec<f64>)>,
    {
        if a.shape() != b.shape() {
            return Err(Error::InvalidParameter {
                name: "arrays".into(),
                reason: format!("shapes {:?} and {:?} differ", a.shape(), b.shape()),
            });
        }
        let sa = a.as_standard_layout();
        let sb = b.as_standard_layout();
        let (Some(va), Some(vb)) = (sa.as_slice(), sb.as_slice()) else {
            return Err(Error::InvalidParameter {
                name: "arrays".into(),
                reason: "arrays could not be laid out contiguously".into(),
            });
        };
        let (oa, ob) = f(va, vb)?;
        let wrap = |v: Vec<f64>| {
            Array::from_shape_vec(a.raw_dim(), v).map_err(|e| Error::InvalidParameter {
                name: "arrays".into(),
                reason: e.to_string(),
            })
        };
        Ok((wrap(oa)?, wrap(ob)?))
    }
}
