//! Tangent planes and the tweakwcs-style correction of a FITS WCS.

use astro_wcs::{Header, Wcs};

use crate::error::{Error, Result};

/// The tangent plane of a FITS WCS in tweakwcs' `FITSWCSCorrector` sense: the
/// undistorted (linear + projection only) pixel frame of that WCS, 0-based.
///
/// # Examples
///
/// ```
/// use astro_align::TangentPlane;
/// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (49.5, 49.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let tp = TangentPlane::new(&wcs);
/// let (x, y) = tp.world_to_tanp(10.0, 20.0)?;
/// assert!((x - 49.5).abs() < 1e-9 && (y - 49.5).abs() < 1e-9);
/// let (ra, dec) = tp.tanp_to_world(x, y)?;
/// assert!((ra - 10.0).abs() < 1e-12 && (dec - 20.0).abs() < 1e-12);
/// # Ok::<(), astro_align::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TangentPlane {
    linear: Wcs,
}

impl TangentPlane {
    /// The tangent plane of `wcs` (its distortions are dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-5, 0.0], [0.0, 1e-5]])?;
    /// let tp = astro_align::TangentPlane::new(&wcs);
    /// assert_eq!(tp.wcs().crval(), (10.0, 20.0));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn new(wcs: &Wcs) -> TangentPlane {
        TangentPlane {
            linear: wcs.without_distortion(),
        }
    }

    /// The undistorted WCS that defines the plane.
    ///
    /// # Examples
    ///
    /// ```
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-5, 0.0], [0.0, 1e-5]])?;
    /// assert!(!astro_align::TangentPlane::new(&wcs).wcs().has_pixel_distortion());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn wcs(&self) -> &Wcs {
        &self.linear
    }

    /// World (degrees) to tangent-plane coordinates (astropy `wcs_world2pix`, origin 0).
    ///
    /// # Errors
    ///
    /// WCS errors (e.g. a point behind the tangent plane).
    ///
    /// # Examples
    ///
    /// See [`TangentPlane`].
    pub fn world_to_tanp(&self, ra: f64, dec: f64) -> Result<(f64, f64)> {
        Ok(self.linear.world_to_pixel(ra, dec)?)
    }

    /// Tangent-plane coordinates to world (astropy `wcs_pix2world`, origin 0).
    ///
    /// # Errors
    ///
    /// WCS errors.
    ///
    /// # Examples
    ///
    /// See [`TangentPlane`].
    pub fn tanp_to_world(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        Ok(self.linear.pixel_to_world(x, y)?)
    }

    /// Size (in plane units) of one pixel of `wcs` at its CRPIX, measured as tweakwcs'
    /// `tanp_center_pixel_scale` does for a FITS WCS in its own plane: the square root
    /// of the area of the distorted unit pixel. (tweakwcs evaluates it at pixel
    /// `(CRPIX1, CRPIX2)` read as 0-based; so do we.)
    ///
    /// # Errors
    ///
    /// WCS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (9.0, 9.0), [[-1e-5, 0.0], [0.0, 1e-5]])?;
    /// let s = astro_align::TangentPlane::center_pixel_scale(&wcs)?;
    /// assert!((s - 1.0).abs() < 1e-9);
    /// # Ok::<(), astro_align::Error>(())
    /// ```
    pub fn center_pixel_scale(wcs: &Wcs) -> Result<f64> {
        let own = TangentPlane::new(wcs);
        let (cx, cy) = wcs.crpix();
        let (x, y) = (cx + 1.0, cy + 1.0);
        let corners = [
            (x - 0.5, y - 0.5),
            (x - 0.5, y + 0.5),
            (x + 0.5, y + 0.5),
            (x + 0.5, y - 0.5),
        ];
        let mut t = [(0.0, 0.0); 4];
        let exact = wcs.lookup_tables().is_empty();
        for (k, &(px, py)) in corners.iter().enumerate() {
            t[k] = if exact {
                // astropy pix2foc: pixel + SIP(pixel - CRPIX), exact like tweakwcs
                match wcs.sip() {
                    Some(sip) => {
                        let (du, dv) = sip.distortion(px - cx, py - cy);
                        (px + du, py + dv)
                    }
                    None => (px, py),
                }
            } else {
                let (ra, dec) = wcs.pixel_to_world(px, py)?;
                own.world_to_tanp(ra, dec)?
            };
        }
        let mut area = 0.0;
        for k in 0..4 {
            let (a, b) = (t[k], t[(k + 1) % 4]);
            area += a.0 * b.1 - b.0 * a.1;
        }
        Ok((0.5 * area.abs()).sqrt())
    }
}

/// Apply a linear correction, defined in the tangent plane `tp` as
/// `tp_corrected = matrix · tp + shift`, to `wcs` the way tweakwcs'
/// `FITSWCSCorrector.set_correction` does:
///
/// 1. the new CRVAL is the corrected tangent-plane position of the old CRVAL (CRPIX kept);
/// 2. the new CD is `CD · U`, where `U` is the 5-point numerical Jacobian at CRPIX of
///    pixel -> (old linear WCS) world -> plane -> correction -> world -> (new linear
///    WCS) pixel, with step `h = clamp(min(10, (CRPIX-1)/100, (NAXIS-CRPIX)/100), >= 1)`
///    (FITS 1-based CRPIX, `naxis = (nx, ny)`);
/// 3. distortions (SIP, lookup tables) are kept unchanged.
///
/// Like tweakwcs' `FITSWCSCorrector`, this is exact for distortions applied before the
/// CD matrix (SIP, CPDIS, D2IM). A TPV polynomial acts after it; its PV terms are kept
/// as they are, so the correction of a TPV WCS is only approximate.
///
/// # Errors
///
/// [`Error::DegenerateFit`] for a singular `matrix`; WCS errors.
///
/// # Examples
///
/// ```
/// use astro_align::{correct_wcs, TangentPlane};
/// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let tp = TangentPlane::new(&wcs);
/// // a pure 2-pixel shift in x moves CRVAL by two pixels
/// let new = correct_wcs(&wcs, &tp, [[1.0, 0.0], [0.0, 1.0]], [2.0, 0.0], (200, 200))?;
/// let (ra, dec) = tp.tanp_to_world(101.5, 99.5)?;
/// assert!((new.crval().0 - ra).abs() < 1e-12 && (new.crval().1 - dec).abs() < 1e-12);
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn correct_wcs(
    wcs: &Wcs,
    tp: &TangentPlane,
    matrix: [[f64; 2]; 2],
    shift: [f64; 2],
    naxis: (usize, usize),
) -> Result<Wcs> {
    let det = matrix[0][0] * matrix[1][1] - matrix[0][1] * matrix[1][0];
    if !(det.abs() > 0.0) || !det.is_finite() {
        return Err(Error::DegenerateFit {
            fitgeom: "correction matrix".into(),
            npoints: 0,
        });
    }
    let apply = |x: f64, y: f64| {
        (
            matrix[0][0] * x + matrix[0][1] * y + shift[0],
            matrix[1][0] * x + matrix[1][1] * y + shift[1],
        )
    };
    let old_lin = wcs.without_distortion();
    let (c1, c2) = wcs.crval();
    let (lon0, lat0) = if wcs.longitude_first() {
        (c1, c2)
    } else {
        (c2, c1)
    };
    let (tx, ty) = tp.world_to_tanp(lon0, lat0)?;
    let (nx, ny) = apply(tx, ty);
    let (new_lon, new_lat) = tp.tanp_to_world(nx, ny)?;
    let crval_new = if wcs.longitude_first() {
        (new_lon, new_lat)
    } else {
        (new_lat, new_lon)
    };
    let mid = rebuild(wcs, crval_new, wcs.cd())?;
    let mid_lin = mid.without_distortion();

    let (cp1, cp2) = wcs.crpix();
    let (f1, f2) = (cp1 + 1.0, cp2 + 1.0);
    let step =
        |c: f64, n: usize| 1f64.max(10f64.min((c - 1.0) / 100.0).min((n as f64 - c) / 100.0));
    let hx = step(f1, naxis.0);
    let hy = step(f2, naxis.1);
    let map = |x: f64, y: f64| -> Result<(f64, f64)> {
        let (a, d) = old_lin.pixel_to_world(x, y)?;
        let (u, v) = tp.world_to_tanp(a, d)?;
        let (u, v) = apply(u, v);
        let (a, d) = tp.tanp_to_world(u, v)?;
        Ok(mid_lin.world_to_pixel(a, d)?)
    };
    let (x0, y0) = (cp1, cp2);
    let px = [
        map(x0 - hx, y0)?,
        map(x0 - 0.5 * hx, y0)?,
        map(x0 + 0.5 * hx, y0)?,
        map(x0 + hx, y0)?,
    ];
    let py = [
        map(x0, y0 - hy)?,
        map(x0, y0 - 0.5 * hy)?,
        map(x0, y0 + 0.5 * hy)?,
        map(x0, y0 + hy)?,
    ];
    let d = |p: &[(f64, f64); 4], h: f64, k: usize| {
        let g = |q: (f64, f64)| if k == 0 { q.0 } else { q.1 };
        ((g(p[0]) - g(p[3])) + 8.0 * (g(p[2]) - g(p[1]))) / (6.0 * h)
    };
    // U[i][j] = d p_i / d x_j
    let u = [
        [d(&px, hx, 0), d(&py, hy, 0)],
        [d(&px, hx, 1), d(&py, hy, 1)],
    ];
    let cd = wcs.cd();
    let mut cd_new = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            cd_new[i][j] = cd[i][0] * u[0][j] + cd[i][1] * u[1][j];
        }
    }
    rebuild(wcs, crval_new, cd_new)
}

/// A copy of `wcs` with a new CRVAL (header axis order) and CD matrix, all else kept.
fn rebuild(wcs: &Wcs, crval: (f64, f64), cd: [[f64; 2]; 2]) -> Result<Wcs> {
    let mut h = wcs.to_header()?;
    h.set("CRVAL1", crval.0);
    h.set("CRVAL2", crval.1);
    for k in [
        "PC1_1", "PC1_2", "PC2_1", "PC2_2", "CDELT1", "CDELT2", "LATPOLE",
    ] {
        h.remove(k);
    }
    for i in 0..2 {
        for j in 0..2 {
            h.set(&format!("CD{}_{}", i + 1, j + 1), cd[i][j]);
        }
    }
    let tables = wcs.lookup_tables();
    let mut out = if tables.is_empty() {
        Wcs::from_header(&h)?
    } else {
        Wcs::from_header_with_tables(&h, ' ', &tables)?
    };
    out.set_array_shape(wcs.array_shape());
    Ok(out)
}

/// Header cards for an aligned image: the new WCS as the primary solution named
/// `wcsname`, and the previous one kept under the alternate key `key` with its old
/// name (or `"ORIGINAL"`), as TweakReg archives WCS solutions. Merge the cards into the
/// image header with [`Header::update`].
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a key outside `'A'..='Z'`; WCS errors.
///
/// # Examples
///
/// ```
/// use astro_align::archive_header;
/// let old = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let new = astro_wcs::Wcs::new_tan((10.0001, 20.0), (0.0, 0.0), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let h = archive_header(&new, &old, 'O', "TWEAK")?;
/// assert_eq!(h.get_str("WCSNAME")?, Some("TWEAK"));
/// assert_eq!(h.get_str("WCSNAMEO")?, Some("ORIGINAL"));
/// assert_eq!(h.get_f64("CRVAL1O")?, Some(10.0));
/// assert_eq!(astro_wcs::Wcs::from_header_key(&h, 'O')?.crval(), (10.0, 20.0));
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn archive_header(new: &Wcs, old: &Wcs, key: char, wcsname: &str) -> Result<Header> {
    if !key.is_ascii_uppercase() {
        return Err(crate::error::invalid(
            "key",
            format!("alternate WCS key must be 'A'..'Z', got {key:?}"),
        ));
    }
    let mut newn = new.clone();
    newn.set_name(Some(wcsname.to_string()));
    let mut h = newn.to_header()?;
    let mut oldn = old.clone();
    if oldn.name().is_none() {
        oldn.set_name(Some("ORIGINAL".to_string()));
    }
    let alt = oldn.to_header_key(key)?;
    h.update(&alt);
    Ok(h)
}
