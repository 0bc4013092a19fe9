//! Spherical map projections (FITS WCS Paper II, Calabretta & Greisen 2002).
//!
//! A [`Projection`] maps native spherical coordinates `(phi, theta)` to projection-plane
//! ("intermediate world") coordinates `(x, y)`, all in degrees, and back.

use crate::error::{Error, Result};

/// Projection parameters `PVi_m` of the latitude axis (`PV2_m` for a (RA, Dec) image),
/// indexed by `m` (0..=29), plus those of the longitude axis (`PV1_0..PV1_4`: phi0,
/// theta0 offsets and LONPOLE/LATPOLE overrides). Absent values are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectionParams {
    /// `PV{lat}_m`, m = 0..=29.
    pub lat: [Option<f64>; 30],
    /// `PV{lon}_m`, m = 0..=4.
    pub lon: [Option<f64>; 5],
}

/// A spherical projection with its parameters.
///
/// # Examples
///
/// ```
/// use astro_wcs::proj::{Projection, ProjectionParams};
///
/// let tan = Projection::new("TAN", &ProjectionParams::default())?;
/// let (x, y) = tan.project(0.0, 89.0)?;
/// let (phi, theta) = tan.deproject(x, y)?;
/// assert!((theta - 89.0).abs() < 1e-12 && phi.abs() < 1e-12);
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    code: String,
    params: ProjectionParams,
}

const R2D: f64 = 180.0 / std::f64::consts::PI;

impl Projection {
    /// Build a projection from its three-letter code and parameters.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedProjection`] for an unknown code and
    /// [`Error::InvalidProjectionParameters`] for parameters outside their domain.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// assert!(Projection::new("XYZ", &ProjectionParams::default()).is_err());
    /// ```
    pub fn new(code: &str, params: &ProjectionParams) -> Result<Projection> {
        match code {
            "TAN" => Ok(Projection {
                code: code.to_string(),
                params: params.clone(),
            }),
            _ => Err(Error::UnsupportedProjection {
                keyword: "CTYPE".into(),
                code: code.to_string(),
            }),
        }
    }

    /// The three-letter code.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// assert_eq!(Projection::new("TAN", &ProjectionParams::default())?.code(), "TAN");
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The parameters the projection was built with.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// let p = Projection::new("TAN", &ProjectionParams::default())?;
    /// assert_eq!(p.params().lat[1], None);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn params(&self) -> &ProjectionParams {
        &self.params
    }

    /// Native coordinates `(phi0, theta0)` of the fiducial point, in degrees.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// let p = Projection::new("TAN", &ProjectionParams::default())?;
    /// assert_eq!(p.native_reference(), (0.0, 90.0));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn native_reference(&self) -> (f64, f64) {
        (0.0, 90.0)
    }

    /// Native spherical `(phi, theta)` → projection plane `(x, y)`, degrees.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfDomain`] where the projection has no image of the point.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// let p = Projection::new("TAN", &ProjectionParams::default())?;
    /// assert!(p.project(0.0, -10.0).is_err());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn project(&self, phi: f64, theta: f64) -> Result<(f64, f64)> {
        let s = (theta / R2D).sin();
        if s <= 0.0 {
            return Err(Error::OutOfDomain {
                x: phi,
                y: theta,
                what: "TAN projection".into(),
            });
        }
        let r = R2D * (theta / R2D).cos() / s;
        let (sp, cp) = (phi / R2D).sin_cos();
        Ok((r * sp, -r * cp))
    }

    /// Projection plane `(x, y)` → native spherical `(phi, theta)`, degrees.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfDomain`] for points outside the projection's boundary.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// let p = Projection::new("TAN", &ProjectionParams::default())?;
    /// let (_, theta) = p.deproject(0.0, 0.0)?;
    /// assert_eq!(theta, 90.0);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn deproject(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        let r = x.hypot(y);
        let phi = if r == 0.0 { 0.0 } else { x.atan2(-y) * R2D };
        let theta = R2D.atan2(r) * R2D;
        Ok((phi, theta))
    }
}
