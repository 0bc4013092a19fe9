//! Output frames: a distortion-free gnomonic (TAN) [`Wcs`] covering several inputs
//! (AstroDrizzle's `final_wcs` group, stcal's `wcs_pars`), and sky bounding boxes.

use crate::error::{Error, Result};
use crate::wcs::{D2R, R2D, Wcs};

/// Options of [`output_frame`], named after AstroDrizzle `final_*` / stcal `wcs_pars`.
///
/// # Examples
///
/// ```
/// use astro_wcs::OutputFrameOptions;
/// let options = OutputFrameOptions { pixel_scale: Some(0.05), rotation: Some(0.0), ..Default::default() };
/// assert_eq!(options.pixel_scale_ratio, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFrameOptions {
    /// Output pixel scale in arcsec (`final_scale`, `pixel_scale`). `None`: the scale of
    /// the first input at its centre times [`pixel_scale_ratio`](Self::pixel_scale_ratio).
    pub pixel_scale: Option<f64>,
    /// Ratio of output to reference pixel scale (`pixel_scale_ratio`, default 1); ignored
    /// when [`pixel_scale`](Self::pixel_scale) is given.
    pub pixel_scale_ratio: f64,
    /// Position angle of the output +y axis, degrees east of north (`final_rot`,
    /// `rotation`): `Some(0.0)` is north up, east left; `None` keeps the orientation of
    /// the first input at its centre.
    pub rotation: Option<f64>,
    /// Tangent point `(ra, dec)` in degrees (`final_ra`/`final_dec`, `crval`). `None`: the
    /// centre of the inputs' outlines (stcal: midpoint of the unit-vector extremes).
    pub crval: Option<(f64, f64)>,
    /// 0-based pixel of the tangent point (`crpix`). `None`: chosen so the inputs are
    /// centred in the frame.
    pub crpix: Option<(f64, f64)>,
    /// Output shape `(ny, nx)` (ndarray order; `final_outny`/`final_outnx`,
    /// `output_shape` reversed). `None`: just large enough for every input.
    pub output_shape: Option<(usize, usize)>,
    /// Refuse frames with more pixels than this (default 2³², a 32 GiB f64 image), before
    /// anything is allocated.
    pub max_pixels: u64,
}

impl Default for OutputFrameOptions {
    fn default() -> Self {
        OutputFrameOptions {
            pixel_scale: None,
            pixel_scale_ratio: 1.0,
            rotation: None,
            crval: None,
            crpix: None,
            output_shape: None,
            max_pixels: 1 << 32,
        }
    }
}

/// Extents within this many pixels of an integer are rounded down (so projecting an
/// image onto its own grid does not grow the frame by a pixel through rounding).
const EXTENT_SLACK: f64 = 0.01;

/// Points per image edge sampled to outline an input (distortion bends the edges).
const EDGE_SAMPLES: usize = 16;

fn to_unit(lon: f64, lat: f64) -> [f64; 3] {
    let (sl, cl) = (lon * D2R).sin_cos();
    let (sb, cb) = (lat * D2R).sin_cos();
    [cb * cl, cb * sl, sb]
}

fn outline(wcs: &Wcs, shape: (usize, usize)) -> Result<Vec<(f64, f64)>> {
    let (ny, nx) = shape;
    if nx == 0 || ny == 0 {
        return Err(Error::InvalidParameter {
            name: "inputs".into(),
            reason: format!("input shape {shape:?} is empty"),
        });
    }
    let (x0, x1) = (-0.5, nx as f64 - 0.5);
    let (y0, y1) = (-0.5, ny as f64 - 0.5);
    let mut pts = Vec::with_capacity(4 * EDGE_SAMPLES);
    for k in 0..EDGE_SAMPLES {
        let t = k as f64 / EDGE_SAMPLES as f64;
        for (x, y) in [
            (x0 + t * (x1 - x0), y0),
            (x1, y0 + t * (y1 - y0)),
            (x1 - t * (x1 - x0), y1),
            (x0, y1 - t * (y1 - y0)),
        ] {
            pts.push(wcs.pixel_to_world(x, y)?);
        }
    }
    Ok(pts)
}

/// A distortion-free TAN [`Wcs`] whose frame covers every input, with its
/// [`array_shape`](Wcs::array_shape) set: AstroDrizzle's output WCS / stcal's
/// `wcs_from_footprints`. The celestial system (coordinate names, `RADESYS`, `EQUINOX`)
/// is that of the first input; all inputs are assumed to share it.
///
/// `inputs` are `(wcs, (ny, nx))` pairs. Each input's outline (its pixel edges, sampled
/// along every side, distortion included) is projected onto the output plane; the shape
/// is the smallest that holds all of them (`ceil` of the extent, with 0.01 px slack),
/// centred unless `crpix`
/// is given. With `crpix` and no `output_shape`, the frame starts at pixel edge `-0.5`
/// and extends to the farthest outline point (parts left/below pixel 0 are not covered).
///
/// # Errors
///
/// [`Error::InvalidParameter`] naming the option for no inputs, an empty input shape,
/// a non-positive or non-finite scale, a frame beyond `max_pixels`; errors of the input
/// WCS for outline points without a sky position.
///
/// # Examples
///
/// ```
/// use astro_wcs::{OutputFrameOptions, Wcs, output_frame};
///
/// // Two 100×100 images at 0.1"/px, offset by 50 px in x.
/// let a = Wcs::new_tan((150.0, 2.0), (49.5, 49.5), [[-0.1 / 3600.0, 0.0], [0.0, 0.1 / 3600.0]])?;
/// let b = Wcs::new_tan((150.0, 2.0), (-0.5, 49.5), [[-0.1 / 3600.0, 0.0], [0.0, 0.1 / 3600.0]])?;
/// let options = OutputFrameOptions { rotation: Some(0.0), ..Default::default() };
/// let out = output_frame(&[(&a, (100, 100)), (&b, (100, 100))], &options)?;
/// assert_eq!(out.array_shape(), Some((100, 150)));
/// assert!((out.pixel_scale(75.0, 50.0)? - 0.1).abs() < 1e-9);
/// # Ok::<(), astro_wcs::Error>(())
/// ```
pub fn output_frame(
    inputs: &[(&Wcs, (usize, usize))],
    options: &OutputFrameOptions,
) -> Result<Wcs> {
    let Some(&(reference, ref_shape)) = inputs.first() else {
        return Err(Error::InvalidParameter {
            name: "inputs".into(),
            reason: "no input WCS".into(),
        });
    };
    let mut points = Vec::new();
    for &(w, shape) in inputs {
        points.extend(outline(w, shape)?);
    }
    let crval = match options.crval {
        Some(c) => {
            if !(c.0.is_finite() && c.1.is_finite() && c.1.abs() <= 90.0) {
                return Err(Error::InvalidParameter {
                    name: "crval".into(),
                    reason: format!("{c:?} is not a valid (ra, dec)"),
                });
            }
            c
        }
        None => {
            let mut lo = [f64::INFINITY; 3];
            let mut hi = [f64::NEG_INFINITY; 3];
            for &(l, b) in &points {
                let u = to_unit(l, b);
                for i in 0..3 {
                    lo[i] = lo[i].min(u[i]);
                    hi[i] = hi[i].max(u[i]);
                }
            }
            let m: Vec<f64> = (0..3).map(|i| 0.5 * (lo[i] + hi[i])).collect();
            let norm = (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]).sqrt();
            if norm < 1e-6 {
                return Err(Error::InvalidParameter {
                    name: "crval".into(),
                    reason: "the inputs cover too much of the sky to choose a tangent point".into(),
                });
            }
            let lon = m[1].atan2(m[0]) * R2D;
            let lat = (m[2] / norm).clamp(-1.0, 1.0).asin() * R2D;
            (lon.rem_euclid(360.0), lat)
        }
    };
    let (ny_ref, nx_ref) = ref_shape;
    let (cx, cy) = ((nx_ref as f64 - 1.0) / 2.0, (ny_ref as f64 - 1.0) / 2.0);
    let scale = match options.pixel_scale {
        Some(s) => s,
        None => {
            let r = options.pixel_scale_ratio;
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::InvalidParameter {
                    name: "pixel_scale_ratio".into(),
                    reason: format!("{r} must be positive and finite"),
                });
            }
            reference.pixel_scale(cx, cy)? * r
        }
    };
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::InvalidParameter {
            name: "pixel_scale".into(),
            reason: format!("{scale} must be positive and finite"),
        });
    }
    let rotation = match options.rotation {
        Some(r) if r.is_finite() => r,
        Some(r) => {
            return Err(Error::InvalidParameter {
                name: "rotation".into(),
                reason: format!("{r} is not finite"),
            });
        }
        None => reference.orientation(cx, cy)?,
    };
    let s = scale / 3600.0;
    let (st, ct) = (rotation * D2R).sin_cos();
    let cd = [[-s * ct, s * st], [s * st, s * ct]];
    let probe = Wcs::new_tan(crval, (0.0, 0.0), cd)?;
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(l, b) in &points {
        let (x, y) = probe
            .world_to_pixel(l, b)
            .map_err(|_| Error::InvalidParameter {
                name: "crval".into(),
                reason: format!(
                    "input point ({l}, {b}) is not on the tangent plane at {crval:?} \
                 (more than 90° away)"
                ),
            })?;
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymin = ymin.min(y);
        ymax = ymax.max(y);
    }
    let extent = |lo: f64, hi: f64| ((hi - lo) - EXTENT_SLACK).ceil().max(1.0);
    let (shape, crpix) = match (options.output_shape, options.crpix) {
        (Some(shape), Some(c)) => (shape, c),
        (Some((ny, nx)), None) => (
            (ny, nx),
            (
                (nx as f64 - 1.0) / 2.0 - 0.5 * (xmin + xmax),
                (ny as f64 - 1.0) / 2.0 - 0.5 * (ymin + ymax),
            ),
        ),
        (None, Some(c)) => {
            let nx = (xmax + c.0 + 0.5 - EXTENT_SLACK).ceil().max(1.0);
            let ny = (ymax + c.1 + 0.5 - EXTENT_SLACK).ceil().max(1.0);
            ((ny as usize, nx as usize), c)
        }
        (None, None) => {
            let nx = extent(xmin, xmax);
            let ny = extent(ymin, ymax);
            let check = nx * ny;
            if !(check.is_finite() && check <= options.max_pixels as f64) {
                return Err(Error::InvalidParameter {
                    name: "output_shape".into(),
                    reason: format!(
                        "the inputs need a {ny}×{nx} frame, more than max_pixels = {}",
                        options.max_pixels
                    ),
                });
            }
            (
                (ny as usize, nx as usize),
                (
                    (nx - 1.0) / 2.0 - 0.5 * (xmin + xmax),
                    (ny - 1.0) / 2.0 - 0.5 * (ymin + ymax),
                ),
            )
        }
    };
    let (ny, nx) = shape;
    if nx == 0 || ny == 0 || (nx as u64).saturating_mul(ny as u64) > options.max_pixels {
        return Err(Error::InvalidParameter {
            name: "output_shape".into(),
            reason: format!(
                "{ny}×{nx} frame is empty or exceeds max_pixels = {}",
                options.max_pixels
            ),
        });
    }
    let mut out = Wcs::new_tan(crval, crpix, cd)?;
    out.adopt_celestial_system(reference);
    out.set_array_shape(Some(shape));
    Ok(out)
}

/// A box in (longitude, latitude), degrees. `lon_min` is in `[0, 360)` and
/// `lon_max >= lon_min` may exceed 360 when the box crosses longitude 0.
///
/// # Examples
///
/// ```
/// use astro_wcs::sky_bounding_box;
/// let b = sky_bounding_box(&[(359.0, -1.0), (1.0, 1.0)]).unwrap();
/// assert_eq!((b.lon_min, b.lon_max), (359.0, 361.0));
/// assert!(b.contains(0.5, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkyBox {
    /// Western edge, degrees in `[0, 360)`.
    pub lon_min: f64,
    /// Eastern edge, degrees, `>= lon_min` (may exceed 360).
    pub lon_max: f64,
    /// Southern edge, degrees.
    pub lat_min: f64,
    /// Northern edge, degrees.
    pub lat_max: f64,
}

impl SkyBox {
    /// Whether `(lon, lat)` lies inside the box (edges included).
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::SkyBox;
    /// let b = SkyBox { lon_min: 10.0, lon_max: 20.0, lat_min: -5.0, lat_max: 5.0 };
    /// assert!(b.contains(15.0, 0.0) && !b.contains(25.0, 0.0));
    /// ```
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let d = (lon - self.lon_min).rem_euclid(360.0);
        d <= self.lon_max - self.lon_min && lat >= self.lat_min && lat <= self.lat_max
    }
}

/// The smallest longitude interval (and the latitude range) holding all `points`
/// (`(lon, lat)` degrees, e.g. the corners of several [`Wcs::footprint`]s). `None` for
/// no finite points. Boxes around a pole are not special-cased: pass the pole's
/// neighbourhood explicitly if a footprint contains it.
///
/// # Examples
///
/// ```
/// use astro_wcs::sky_bounding_box;
/// let b = sky_bounding_box(&[(10.0, 1.0), (12.0, -2.0), (11.0, 3.0)]).unwrap();
/// assert_eq!((b.lon_min, b.lon_max, b.lat_min, b.lat_max), (10.0, 12.0, -2.0, 3.0));
/// ```
pub fn sky_bounding_box(points: &[(f64, f64)]) -> Option<SkyBox> {
    let mut lons: Vec<f64> = points
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|p| p.0.rem_euclid(360.0))
        .collect();
    if lons.is_empty() {
        return None;
    }
    lons.sort_by(f64::total_cmp);
    // The box is the complement of the largest gap between consecutive longitudes.
    let n = lons.len();
    let mut best_gap = lons[0] + 360.0 - lons[n - 1];
    let mut start = 0;
    for i in 1..n {
        let gap = lons[i] - lons[i - 1];
        if gap > best_gap {
            best_gap = gap;
            start = i;
        }
    }
    let lon_min = lons[start];
    let lon_max = lon_min + (360.0 - best_gap);
    let lats = points
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|p| p.1);
    let lat_min = lats.clone().fold(f64::INFINITY, f64::min);
    let lat_max = lats.fold(f64::NEG_INFINITY, f64::max);
    Some(SkyBox {
        lon_min,
        lon_max,
        lat_min,
        lat_max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_box() {
        let b = sky_bounding_box(&[(350.0, 0.0), (5.0, 1.0), (355.0, 2.0)]).unwrap();
        assert_eq!(b.lon_min, 350.0);
        assert_eq!(b.lon_max, 365.0);
        assert!(sky_bounding_box(&[]).is_none());
    }

    #[test]
    fn frame_defaults_follow_reference() {
        // Rotated input: the default output keeps its orientation and scale.
        let th = 30f64.to_radians();
        let s = 0.05 / 3600.0;
        let cd = [[-s * th.cos(), s * th.sin()], [s * th.sin(), s * th.cos()]];
        let a = Wcs::new_tan((10.0, -30.0), (99.5, 49.5), cd).unwrap();
        let out = output_frame(&[(&a, (100, 200))], &OutputFrameOptions::default()).unwrap();
        let (cx, cy) = out.crpix();
        assert!((out.orientation(cx, cy).unwrap() - 30.0).abs() < 1e-6);
        assert!((out.pixel_scale(cx, cy).unwrap() - 0.05).abs() < 1e-9);
        assert_eq!(out.array_shape(), Some((100, 200)));
        let e = output_frame(&[], &OutputFrameOptions::default()).unwrap_err();
        assert!(e.to_string().contains("inputs"));
        let e = output_frame(
            &[(&a, (100, 200))],
            &OutputFrameOptions {
                pixel_scale: Some(1e-9),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("output_shape"), "{e}");
    }
}
