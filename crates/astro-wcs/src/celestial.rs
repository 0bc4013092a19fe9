//! The spherical rotation between native `(phi, theta)` and celestial `(lon, lat)`
//! coordinates (FITS WCS Paper II §2.3), computed as WCSLIB's `celset`, `sphx2s` and
//! `sphs2x` do, so results agree with astropy.
//!
//! The rotation is fixed by the celestial coordinates `CRVAL` = (alpha0, delta0) of the
//! fiducial point, its native coordinates (phi0, theta0) (from
//! [`Projection::native_reference`]), and `LONPOLE` / `LATPOLE` (the native longitude of
//! the celestial pole, and the celestial latitude of the native pole used to pick between
//! two solutions). Defaults are WCSLIB's: `LONPOLE` = phi0 + (0 if delta0 >= theta0 else
//! 180), wrapped into [-180, 180]; `LATPOLE` = +90.
//!
//! ```
//! use astro_wcs::celestial::CelestialRotation;
//!
//! // A TAN image at (RA, Dec) = (150, 2): the fiducial point is the native pole.
//! let rot = CelestialRotation::new((150.0, 2.0), (0.0, 90.0), None, None)?;
//! assert_eq!(rot.lonpole(), 180.0);
//! let (ra, dec) = rot.native_to_celestial(0.0, 90.0);
//! assert!((ra - 150.0).abs() < 1e-12 && (dec - 2.0).abs() < 1e-12);
//! let (phi, theta) = rot.celestial_to_native(151.0, 3.0);
//! let (ra, dec) = rot.native_to_celestial(phi, theta);
//! assert!((ra - 151.0).abs() < 1e-10 && (dec - 3.0).abs() < 1e-10);
//! # Ok::<(), astro_wcs::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::proj::Projection;
use crate::proj::trig::{acosd, asind, atan2d, copysign, cosd, sincosd, sind};

/// Tolerance of WCSLIB's `celset` for near-degenerate geometry (degrees or cosines).
const TOL: f64 = 1.0e-10;
/// Below this |x| the longitude formula is rearranged to reduce round-off (`sph.c`).
const SPH_TOL: f64 = 1.0e-5;

/// The rotation from native spherical coordinates to celestial ones and back.
///
/// # Examples
///
/// ```
/// use astro_wcs::celestial::CelestialRotation;
///
/// // An all-sky Aitoff map centred on the south celestial pole (native reference
/// // (0, 0)), with LONPOLE = 180 and LATPOLE = 0 as in the header.
/// let rot = CelestialRotation::new((0.0, -90.0), (0.0, 0.0), Some(180.0), Some(0.0))?;
/// assert_eq!((rot.lonpole(), rot.latpole()), (180.0, 0.0));
/// let (lon, lat) = rot.native_to_celestial(0.0, 0.0);
/// assert!((lat + 90.0).abs() < 1e-12);
/// # let _ = lon;
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CelestialRotation {
    crval: (f64, f64),
    native_ref: (f64, f64),
    lonpole: f64,
    latpole: f64,
    /// alpha_p, 90 - delta_p, phi_p, cos(90 - delta_p), sin(90 - delta_p).
    euler: [f64; 5],
}

fn invalid(name: &str, reason: String) -> Error {
    Error::InvalidParameter {
        name: name.to_string(),
        reason,
    }
}

/// Wrap a celestial longitude into [0, 360).
#[inline]
fn wrap360(mut lng: f64) -> f64 {
    if lng < 0.0 {
        lng += 360.0;
    }
    if lng >= 360.0 {
        lng -= 360.0;
    }
    lng
}

/// WCSLIB's longitude normalisation: same sign as `ref_lng`, within one turn.
#[inline]
fn normalize_like(mut lng: f64, ref_lng: f64) -> f64 {
    if ref_lng >= 0.0 {
        if lng < 0.0 {
            lng += 360.0;
        }
    } else if lng > 0.0 {
        lng -= 360.0;
    }
    if lng > 360.0 {
        lng -= 360.0;
    } else if lng < -360.0 {
        lng += 360.0;
    }
    lng
}

/// Wrap a native longitude into [-180, 180].
#[inline]
fn wrap180(mut phi: f64) -> f64 {
    if phi > 180.0 {
        phi -= 360.0;
    } else if phi < -180.0 {
        phi += 360.0;
    }
    phi
}

impl CelestialRotation {
    /// Set up the rotation (WCSLIB `celset`).
    ///
    /// * `crval` — celestial `(alpha0, delta0)` of the fiducial point (`CRVAL1`,
    ///   `CRVAL2`), degrees.
    /// * `native_ref` — its native `(phi0, theta0)`, from
    ///   [`Projection::native_reference`].
    /// * `lonpole` — `LONPOLE` (native longitude of the celestial pole); `None` (or the
    ///   AIPS placeholder 999) for the default phi0 + (0 if delta0 >= theta0 else 180).
    /// * `latpole` — `LATPOLE`; `None` for +90. Used only to choose between the two
    ///   solutions for the celestial latitude of the native pole, or when it is the sole
    ///   determinant.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for non-finite input, `|delta0| > 90`, `|theta0| > 90`,
    /// or a geometry with no solution (e.g. `|delta0|` too large for these phi_p, phi0,
    /// theta0), with WCSLIB's explanation.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((10.0, -30.0), (0.0, 90.0), None, None)?;
    /// assert_eq!((rot.lonpole(), rot.latpole()), (180.0, -30.0));
    /// // A cylindrical projection (theta0 = 0) with |phi_p - phi0| = 90 needs delta0 = 0.
    /// assert!(CelestialRotation::new((0.0, 10.0), (0.0, 0.0), Some(90.0), None).is_err());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn new(
        crval: (f64, f64),
        native_ref: (f64, f64),
        lonpole: Option<f64>,
        latpole: Option<f64>,
    ) -> Result<Self> {
        let (lng0, lat0) = crval;
        let (phi0, mut theta0) = native_ref;
        if !lng0.is_finite() || !lat0.is_finite() {
            return Err(invalid("CRVAL", format!("({lng0}, {lat0}) is not finite")));
        }
        if lat0.abs() > 90.0 {
            return Err(invalid(
                "CRVAL",
                format!("latitude {lat0} of the reference point is beyond ±90"),
            ));
        }
        if !phi0.is_finite() || !theta0.is_finite() {
            return Err(invalid(
                "native_ref",
                format!("({phi0}, {theta0}) is not finite"),
            ));
        }
        if theta0.abs() > 90.0 {
            if theta0.abs() > 90.0 + TOL {
                return Err(invalid(
                    "native_ref",
                    format!("theta0 = {theta0} is beyond ±90"),
                ));
            }
            theta0 = copysign(90.0, theta0);
        }
        if let Some(v) = lonpole.filter(|v| !v.is_finite()) {
            return Err(invalid("LONPOLE", format!("{v} is not finite")));
        }
        if let Some(v) = latpole.filter(|v| !v.is_finite()) {
            return Err(invalid("LATPOLE", format!("{v} is not finite")));
        }

        let phip = match lonpole {
            Some(v) if v != 999.0 => v,
            _ => wrap180(if lat0 < theta0 { 180.0 } else { 0.0 } + phi0),
        };
        let mut latp = latpole.unwrap_or(90.0);

        let lngp;
        if theta0 == 90.0 {
            // The fiducial point is the native pole.
            lngp = lng0;
            latp = lat0;
        } else {
            let (slat0, clat0) = sincosd(lat0);
            let (sthe0, cthe0) = sincosd(theta0);
            let (sphip, cphip, u, v, sole) = if phip == phi0 {
                (0.0, 1.0, theta0, 90.0 - lat0, false)
            } else {
                let (sphip, cphip) = sincosd(phip - phi0);
                let x = cthe0 * cphip;
                let y = sthe0;
                let z = (x * x + y * y).sqrt();
                if z == 0.0 {
                    if slat0 != 0.0 {
                        return Err(invalid(
                            "CRVAL",
                            "delta0 = 0 is required for |phi_p - phi0| = 90 and theta0 = 0"
                                .to_string(),
                        ));
                    }
                    // LATPOLE alone determines delta_p.
                    latp = latp.clamp(-90.0, 90.0);
                    (sphip, cphip, 0.0, 0.0, true)
                } else {
                    let mut slz = slat0 / z;
                    if slz.abs() > 1.0 {
                        if slz.abs() - 1.0 < TOL {
                            slz = copysign(1.0, slz);
                        } else {
                            return Err(invalid(
                                "CRVAL",
                                format!(
                                    "|delta0| <= {:.3} is required for LONPOLE = {phip}, \
                                     phi0 = {phi0}, theta0 = {theta0}",
                                    asind(z)
                                ),
                            ));
                        }
                    }
                    (sphip, cphip, atan2d(y, x), acosd(slz), false)
                }
            };
            let _ = cphip;
            if !sole {
                let latp1 = wrap180(u + v);
                let latp2 = wrap180(u - v);
                let ok1 = latp1.abs() < 90.0 + TOL;
                let ok2 = latp2.abs() < 90.0 + TOL;
                latp = if (latp - latp1).abs() < (latp - latp2).abs() {
                    if ok1 { latp1 } else { latp2 }
                } else if ok2 {
                    latp2
                } else {
                    latp1
                };
                if latp.abs() < 90.0 + TOL {
                    latp = latp.clamp(-90.0, 90.0);
                }
            }

            let z = cosd(latp) * clat0;
            let mut lp = if z.abs() < TOL {
                if clat0.abs() < TOL {
                    // The celestial pole is the fiducial point.
                    lng0
                } else if latp > 0.0 {
                    // The celestial north pole is the native pole.
                    lng0 + phip - phi0 - 180.0
                } else {
                    // The celestial south pole is the native pole.
                    lng0 - phip + phi0
                }
            } else {
                let x = (sthe0 - sind(latp) * slat0) / z;
                let y = sphip * cthe0 / clat0;
                if x == 0.0 && y == 0.0 {
                    return Err(invalid(
                        "LONPOLE",
                        "no celestial longitude of the native pole (internal inconsistency)"
                            .to_string(),
                    ));
                }
                lng0 - atan2d(y, x)
            };
            // Same sign as the reference longitude.
            if lng0 >= 0.0 {
                if lp < 0.0 {
                    lp += 360.0;
                } else if lp > 360.0 {
                    lp -= 360.0;
                }
            } else if lp > 0.0 {
                lp -= 360.0;
            } else if lp < -360.0 {
                lp += 360.0;
            }
            lngp = lp;
        }

        if latp.abs() > 90.0 + TOL {
            return Err(invalid(
                "LATPOLE",
                format!(
                    "no valid celestial latitude of the native pole for LONPOLE = {phip}, \
                     phi0 = {phi0}, theta0 = {theta0}"
                ),
            ));
        }
        let e1 = 90.0 - latp;
        let (s1, c1) = sincosd(e1);
        Ok(CelestialRotation {
            crval,
            native_ref: (phi0, theta0),
            lonpole: phip,
            latpole: latp,
            euler: [lngp, e1, phip, c1, s1],
        })
    }

    /// [`CelestialRotation::new`] for a projection, applying WCSLIB's overrides: `PV1_3`
    /// (`params().lon[3]`) replaces `LONPOLE` and `PV1_4` (`params().lon[4]`) replaces
    /// `LATPOLE` when present; the native reference is
    /// [`Projection::native_reference`].
    ///
    /// # Errors
    ///
    /// As [`CelestialRotation::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    /// use astro_wcs::proj::{Projection, ProjectionParams};
    ///
    /// let car = Projection::new("CAR", &ProjectionParams::default())?;
    /// let rot = CelestialRotation::from_projection((30.0, 0.0), &car, None, None)?;
    /// let (lon, lat) = rot.native_to_celestial(10.0, 5.0);
    /// assert!((lon - 40.0).abs() < 1e-12 && (lat - 5.0).abs() < 1e-12);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn from_projection(
        crval: (f64, f64),
        projection: &Projection,
        lonpole: Option<f64>,
        latpole: Option<f64>,
    ) -> Result<Self> {
        let lon = &projection.params().lon;
        CelestialRotation::new(
            crval,
            projection.native_reference(),
            lon[3].or(lonpole),
            lon[4].or(latpole),
        )
    }

    /// The effective `LONPOLE`: native longitude phi_p of the celestial pole, degrees
    /// (the default when none was given), for writing headers back.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((0.0, 90.0), (0.0, 90.0), None, None)?;
    /// assert_eq!(rot.lonpole(), 0.0); // delta0 >= theta0
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn lonpole(&self) -> f64 {
        self.lonpole
    }

    /// The effective `LATPOLE`: celestial latitude delta_p of the native pole, degrees.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((45.0, 20.0), (0.0, 0.0), None, None)?;
    /// assert!((rot.latpole() - 70.0).abs() < 1e-12);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn latpole(&self) -> f64 {
        self.latpole
    }

    /// Celestial coordinates `(alpha_p, delta_p)` of the native pole, degrees.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((45.0, 20.0), (0.0, 90.0), None, None)?;
    /// assert_eq!(rot.celestial_pole(), (45.0, 20.0));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn celestial_pole(&self) -> (f64, f64) {
        (self.euler[0], self.latpole)
    }

    /// The `CRVAL` and native reference the rotation was built from.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((45.0, 20.0), (0.0, 90.0), None, None)?;
    /// assert_eq!(rot.reference(), ((45.0, 20.0), (0.0, 90.0)));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn reference(&self) -> ((f64, f64), (f64, f64)) {
        (self.crval, self.native_ref)
    }

    /// Native `(phi, theta)` → celestial `(lon, lat)`, degrees, with `lon` in [0, 360)
    /// (WCSLIB `sphx2s`).
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((350.0, 0.0), (0.0, 0.0), None, None)?;
    /// let (lon, lat) = rot.native_to_celestial(20.0, 0.0);
    /// assert!((lon - 10.0).abs() < 1e-12 && lat.abs() < 1e-12);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    #[inline]
    pub fn native_to_celestial(&self, phi: f64, theta: f64) -> (f64, f64) {
        let [e0, e1, e2, e3, e4] = self.euler;
        if e4 == 0.0 {
            // A change of origin of longitude (and possibly a flip).
            let (lng, lat) = if e1 == 0.0 {
                (phi + (e0 + 180.0 - e2) % 360.0, theta)
            } else {
                ((e0 + e2) % 360.0 - phi, -theta)
            };
            return (wrap360(normalize_like(lng, e0)), lat);
        }
        let dphi = phi - e2;
        let (sin_t, cos_t) = sincosd(theta);
        let (sin_p, cos_p) = sincosd(dphi);
        let cos_t3 = cos_t * e3;
        let mut x = sin_t * e4 - cos_t3 * cos_p;
        if x.abs() < SPH_TOL {
            x = -cosd(theta + e1) + cos_t3 * (1.0 - cos_p);
        }
        let y = -cos_t * sin_p;
        let dlng = if x != 0.0 || y != 0.0 {
            atan2d(y, x)
        } else if e1 < 90.0 {
            dphi + 180.0
        } else {
            -dphi
        };
        let lng = wrap360(normalize_like(e0 + dlng, e0));
        let lat = if dphi % 180.0 == 0.0 {
            let lat = theta + cos_p * e1;
            if lat > 90.0 {
                180.0 - lat
            } else if lat < -90.0 {
                -180.0 - lat
            } else {
                lat
            }
        } else {
            let z = sin_t * e3 + cos_t * e4 * cos_p;
            if z.abs() > 0.99 {
                copysign(acosd((x * x + y * y).sqrt()), z)
            } else {
                asind(z)
            }
        };
        (lng, lat)
    }

    /// Celestial `(lon, lat)` → native `(phi, theta)`, degrees, with `phi` in
    /// [-180, 180] (WCSLIB `sphs2x`).
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((150.0, 2.0), (0.0, 90.0), None, None)?;
    /// let (_, theta) = rot.celestial_to_native(150.0, 2.0);
    /// assert!((theta - 90.0).abs() < 1e-12);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    #[inline]
    pub fn celestial_to_native(&self, lon: f64, lat: f64) -> (f64, f64) {
        let [e0, e1, e2, e3, e4] = self.euler;
        if e4 == 0.0 {
            let (phi, theta) = if e1 == 0.0 {
                ((lon + (e2 - 180.0 - e0) % 360.0) % 360.0, lat)
            } else {
                (((e2 + e0) % 360.0 - lon) % 360.0, -lat)
            };
            return (wrap180(phi), theta);
        }
        let dlng = lon - e0;
        let (sin_l, cos_l) = sincosd(lat);
        let (sin_g, cos_g) = sincosd(dlng);
        let cos_l3 = cos_l * e3;
        let mut x = sin_l * e4 - cos_l3 * cos_g;
        if x.abs() < SPH_TOL {
            x = -cosd(lat + e1) + cos_l3 * (1.0 - cos_g);
        }
        let y = -cos_l * sin_g;
        let dphi = if x != 0.0 || y != 0.0 {
            atan2d(y, x)
        } else if e1 < 90.0 {
            dlng - 180.0
        } else {
            -dlng
        };
        let phi = wrap180((e2 + dphi) % 360.0);
        let theta = if dlng % 180.0 == 0.0 {
            let theta = lat + cos_g * e1;
            if theta > 90.0 {
                180.0 - theta
            } else if theta < -90.0 {
                -180.0 - theta
            } else {
                theta
            }
        } else {
            let z = sin_l * e3 + cos_l * e4 * cos_g;
            if z.abs() > 0.99 {
                copysign(acosd((x * x + y * y).sqrt()), z)
            } else {
                asind(z)
            }
        };
        (phi, theta)
    }

    /// The rotation matrix `R` taking a native unit vector
    /// `(cos θ cos φ, cos θ sin φ, sin θ)` to the celestial unit vector
    /// `(cos δ cos α, cos δ sin α, sin δ)`; its transpose is the inverse. Lets a caller
    /// build a trig-light fast path (e.g. TAN, where the native vector comes straight
    /// from the plane coordinates).
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::celestial::CelestialRotation;
    ///
    /// let rot = CelestialRotation::new((150.0, 2.0), (0.0, 90.0), None, None)?;
    /// let m = rot.matrix();
    /// // The native pole (0, 0, 1) goes to the reference point.
    /// let (a, d) = (150f64.to_radians(), 2f64.to_radians());
    /// assert!((m[0][2] - d.cos() * a.cos()).abs() < 1e-15);
    /// assert!((m[1][2] - d.cos() * a.sin()).abs() < 1e-15);
    /// assert!((m[2][2] - d.sin()).abs() < 1e-15);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn matrix(&self) -> [[f64; 3]; 3] {
        let [e0, _, e2, sin_dp, cos_dp] = self.euler;
        let (sa, ca) = sincosd(e0);
        let (sp, cp) = sincosd(e2);
        // Rows of the celestial components in the frame whose x axis points at alpha_p.
        let xr = [-sin_dp * cp, -sin_dp * sp, cos_dp];
        let yr = [sp, -cp, 0.0];
        let zr = [cos_dp * cp, cos_dp * sp, sin_dp];
        let mut m = [[0.0; 3]; 3];
        for j in 0..3 {
            m[0][j] = ca * xr[j] - sa * yr[j];
            m[1][j] = sa * xr[j] + ca * yr[j];
            m[2][j] = zr[j];
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(lon: f64, lat: f64) -> [f64; 3] {
        let (sl, cl) = sincosd(lon);
        let (sb, cb) = sincosd(lat);
        [cb * cl, cb * sl, sb]
    }

    #[test]
    fn matrix_agrees_with_the_trigonometric_path() {
        let cases = [
            ((150.0, 2.0), (0.0, 90.0), None, None),
            ((10.0, -30.0), (0.0, 0.0), None, None),
            ((200.0, 60.0), (0.0, 45.0), Some(10.0), Some(-20.0)),
            ((0.0, -90.0), (0.0, 0.0), Some(180.0), Some(0.0)),
            ((0.0, 90.0), (0.0, 90.0), None, None),
        ];
        for (crval, nref, lp, bp) in cases {
            let rot = CelestialRotation::new(crval, nref, lp, bp).unwrap();
            let m = rot.matrix();
            for &(phi, theta) in &[(0.0, 0.0), (37.0, 12.0), (-120.0, -60.0), (179.0, 80.0)] {
                let n = unit(phi, theta);
                let (lon, lat) = rot.native_to_celestial(phi, theta);
                let c = unit(lon, lat);
                for i in 0..3 {
                    let v: f64 = (0..3).map(|j| m[i][j] * n[j]).sum();
                    assert!(
                        (v - c[i]).abs() < 1e-13,
                        "{crval:?} {phi} {theta}: {v} vs {}",
                        c[i]
                    );
                }
            }
        }
    }

    #[test]
    fn defaults_and_special_cases() {
        // Zenithal: fiducial point at the native pole.
        let r = CelestialRotation::new((10.0, 30.0), (0.0, 90.0), None, None).unwrap();
        assert_eq!((r.lonpole(), r.latpole()), (180.0, 30.0));
        let r = CelestialRotation::new((10.0, 90.0), (0.0, 90.0), None, None).unwrap();
        assert_eq!(r.lonpole(), 0.0);
        // Cylindrical at the equator: two solutions, LATPOLE picks.
        let r = CelestialRotation::new((0.0, 0.0), (0.0, 0.0), None, None).unwrap();
        assert_eq!(r.latpole(), 90.0);
        let r = CelestialRotation::new((0.0, 0.0), (0.0, 0.0), None, Some(-90.0)).unwrap();
        assert_eq!(r.latpole(), -90.0);
        // 999 means "default".
        let r = CelestialRotation::new((10.0, 30.0), (0.0, 90.0), Some(999.0), None).unwrap();
        assert_eq!(r.lonpole(), 180.0);
        // Bad input.
        assert!(CelestialRotation::new((f64::NAN, 0.0), (0.0, 90.0), None, None).is_err());
        assert!(CelestialRotation::new((0.0, 91.0), (0.0, 90.0), None, None).is_err());
        assert!(CelestialRotation::new((0.0, 0.0), (0.0, 95.0), None, None).is_err());
        assert!(CelestialRotation::new((0.0, 10.0), (0.0, 0.0), Some(90.0), None).is_err());
        assert!(CelestialRotation::new((0.0, 60.0), (0.0, 0.0), Some(60.0), None).is_err());
    }
}
