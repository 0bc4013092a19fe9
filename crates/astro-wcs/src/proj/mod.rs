//! Spherical map projections (FITS WCS Paper II, Calabretta & Greisen 2002).
//!
//! A [`Projection`] maps native spherical coordinates `(phi, theta)` to projection-plane
//! ("intermediate world") coordinates `(x, y)`, all in degrees, and back. All 28
//! projections of WCSLIB are implemented — AZP, SZP, TAN, STG, SIN, ARC, ZPN, ZEA, AIR,
//! CYP, CEA, CAR, MER, SFL, PAR, MOL, AIT, COP, COE, COD, COO, BON, PCO, TSC, CSC, QSC, HPX
//! and XPH — plus the aliases NCP ([`Projection::ncp`]) and GLS ([`Projection::gls`]).
//!
//! The numerics (tolerances, iterative inverses, which points are rejected as outside the
//! map, and even the evaluation of the degree trigonometry, which astropy builds with
//! WCSLIB's `WCSTRIG_MACRO`) follow WCSLIB 8 as bundled with astropy, so results agree
//! with `astropy.wcs` to a few 1e-13 degrees and fail exactly where it returns NaN (see
//! `tests/proj_parity.rs`). Where WCSLIB itself has a quirk it is kept: PCO cannot
//! deproject points with x = 0 exactly (a 0/0 in its iteration), CSC's forward and
//! inverse polynomial fits agree only to 45 arcseconds. The
//! projection parameters are the `PVi_m` cards of the latitude axis
//! ([`ProjectionParams::lat`]); `PV1_0..PV1_2` of the longitude axis
//! ([`ProjectionParams::lon`]) move the fiducial point as in WCSLIB.
//!
//! ```
//! use astro_wcs::proj::{Projection, ProjectionParams};
//!
//! let mut params = ProjectionParams::default();
//! params.lat[1] = Some(45.0); // COE needs sigma = PV2_1
//! let coe = Projection::new("COE", &params)?;
//! assert_eq!(coe.native_reference(), (0.0, 45.0));
//! let (x, y) = coe.project(30.0, 10.0)?;
//! let (phi, theta) = coe.deproject(x, y)?;
//! assert!((phi - 30.0).abs() < 1e-10 && (theta - 10.0).abs() < 1e-10);
//! # Ok::<(), astro_wcs::Error>(())
//! ```

mod conic;
mod cylindrical;
mod healpix;
mod quadcube;
pub(crate) mod trig;
mod zenithal;

use crate::error::{Error, Result};

/// Projection parameters `PVi_m` of the latitude axis (`PV2_m` for a (RA, Dec) image),
/// indexed by `m` (0..=29), plus those of the longitude axis (`PV1_0..PV1_4`: phi0,
/// theta0 offsets and LONPOLE/LATPOLE overrides). Absent values are `None`.
///
/// Longitude-axis parameters, as in WCSLIB: `lon[0]` non-zero asks for a fiducial offset
/// (the plane origin moves to the fiducial point `(lon[1], lon[2])`); `lon[1]`, `lon[2]`
/// are the native coordinates `(phi0, theta0)` of the fiducial point (each defaulting to
/// the projection's own); `lon[3]`, `lon[4]` override `LONPOLE` and `LATPOLE` (see
/// [`CelestialRotation::from_projection`](crate::celestial::CelestialRotation::from_projection)).
///
/// # Examples
///
/// ```
/// use astro_wcs::proj::ProjectionParams;
///
/// let mut p = ProjectionParams::default();
/// p.lat[1] = Some(2.0); // PV2_1
/// p.lat[2] = Some(30.0); // PV2_2
/// assert_eq!(p.lat[3], None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectionParams {
    /// `PV{lat}_m`, m = 0..=29.
    pub lat: [Option<f64>; 30],
    /// `PV{lon}_m`, m = 0..=4.
    pub lon: [Option<f64>; 5],
}

/// Offset of the plane origin from the fiducial point (zero unless `PV1_0` asks for it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Offset {
    pub(crate) x0: f64,
    pub(crate) y0: f64,
}

/// The projection-specific part, with the constants precomputed in [`Projection::new`].
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Azp(zenithal::Azp),
    Szp(zenithal::Szp),
    Tan,
    Stg,
    Sin(zenithal::Sin),
    Arc,
    Zpn(zenithal::Zpn),
    Zea,
    Air(zenithal::Air),
    Cyp(cylindrical::Cyp),
    Cea(cylindrical::Cea),
    Car,
    Mer,
    Sfl,
    Par,
    Mol,
    Ait,
    Conic(conic::Conic),
    Bon(conic::Bon),
    Pco,
    Tsc,
    Csc,
    Qsc,
    Hpx(healpix::Hpx),
    Xph,
}

/// The codes [`Projection::new`] accepts, in WCSLIB's order.
pub const PROJECTION_CODES: [&str; 28] = [
    "AZP", "SZP", "TAN", "STG", "SIN", "ARC", "ZPN", "ZEA", "AIR", "CYP", "CEA", "CAR", "MER",
    "COP", "COE", "COD", "COO", "SFL", "PAR", "MOL", "AIT", "BON", "PCO", "TSC", "CSC", "QSC",
    "HPX", "XPH",
];

/// A spherical projection with its parameters.
///
/// Build it once with [`Projection::new`] (which validates the parameters and precomputes
/// every constant), then call [`project`](Projection::project) /
/// [`deproject`](Projection::deproject) per point: both are branch-light and allocate
/// only on error.
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
    code: &'static str,
    params: ProjectionParams,
    kind: Kind,
    phi0: f64,
    theta0: f64,
    offset: Offset,
}

/// `pv[m]`, or `default` when absent.
#[inline]
pub(crate) fn param(pv: &[Option<f64>; 30], m: usize, default: f64) -> f64 {
    pv[m].unwrap_or(default)
}

/// Of the two candidate latitudes `s - t` and `s + t + 180` (each wrapped to ≤ 90), the
/// one nearer the native pole (AZP, SZP).
#[inline]
pub(crate) fn theta_of_two_roots(s: f64, t: f64) -> f64 {
    let mut a = s - t;
    let mut b = s + t + 180.0;
    if a > 90.0 {
        a -= 360.0;
    }
    if b > 90.0 {
        b -= 360.0;
    }
    if a > b { a } else { b }
}

/// WCSLIB's bounds check on deprojected native coordinates: values beyond ±180 / ±90 by
/// more than `tol` are rejected, those within `tol` are clamped; NaN is rejected.
#[inline]
pub(crate) fn bchk(tol: f64, mut phi: f64, mut theta: f64) -> Option<(f64, f64)> {
    if phi < -180.0 {
        if phi < -180.0 - tol {
            return None;
        }
        phi = -180.0;
    } else if phi > 180.0 {
        if phi > 180.0 + tol {
            return None;
        }
        phi = 180.0;
    }
    if theta < -90.0 {
        if theta < -90.0 - tol {
            return None;
        }
        theta = -90.0;
    } else if theta > 90.0 {
        if theta > 90.0 + tol {
            return None;
        }
        theta = 90.0;
    }
    if phi.is_nan() || theta.is_nan() {
        return None;
    }
    Some((phi, theta))
}

impl Projection {
    /// Build a projection from its three-letter code and parameters.
    ///
    /// Defaults are WCSLIB's: AZP mu = gamma = 0; SZP mu = 0, phi_c = 0, theta_c = 90;
    /// SIN xi = eta = 0; ZPN coefficients 0; AIR theta_b = 90; CYP mu = lambda = 1; CEA
    /// lambda = 1; conics delta = 0 (sigma = `PV2_1` is required); BON theta1 required
    /// (0 gives SFL); HPX H = 4, K = 3.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedProjection`] for an unknown code, and
    /// [`Error::InvalidProjectionParameters`] for parameters outside their domain
    /// (non-finite values, a missing required parameter, degenerate geometry, a
    /// fiducial point the projection cannot map) and for NCP / GLS, which need the
    /// reference latitude: build those with [`Projection::ncp`] / [`Projection::gls`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// use astro_wcs::Error;
    ///
    /// assert!(matches!(
    ///     Projection::new("XYZ", &ProjectionParams::default()),
    ///     Err(Error::UnsupportedProjection { .. })
    /// ));
    /// // COO needs PV2_1 (sigma).
    /// assert!(matches!(
    ///     Projection::new("COO", &ProjectionParams::default()),
    ///     Err(Error::InvalidProjectionParameters { .. })
    /// ));
    /// ```
    pub fn new(code: &str, params: &ProjectionParams) -> Result<Projection> {
        let Some(&code) = PROJECTION_CODES.iter().find(|&&c| c == code) else {
            if code == "NCP" || code == "GLS" {
                return Err(Error::InvalidProjectionParameters {
                    code: code.to_string(),
                    reason: format!(
                        "{code} depends on CRVAL of the latitude axis: build it with \
                         Projection::{}(crval2)",
                        code.to_lowercase()
                    ),
                });
            }
            return Err(Error::UnsupportedProjection {
                keyword: "CTYPE".into(),
                code: code.to_string(),
            });
        };
        let bad = |reason: String| Error::InvalidProjectionParameters {
            code: code.to_string(),
            reason,
        };
        for (m, v) in params.lat.iter().enumerate() {
            if let Some(v) = v
                && !v.is_finite()
            {
                return Err(bad(format!("PV2_{m} = {v} is not finite")));
            }
        }
        for (m, v) in params.lon.iter().enumerate() {
            if let Some(v) = v
                && !v.is_finite()
            {
                return Err(bad(format!("PV1_{m} = {v} is not finite")));
            }
        }
        let pv = &params.lat;
        let (kind, theta0) = match code {
            "AZP" => (Kind::Azp(zenithal::Azp::new(pv).map_err(bad)?), 90.0),
            "SZP" => (Kind::Szp(zenithal::Szp::new(pv).map_err(bad)?), 90.0),
            "TAN" => (Kind::Tan, 90.0),
            "STG" => (Kind::Stg, 90.0),
            "SIN" => (Kind::Sin(zenithal::Sin::new(pv)), 90.0),
            "ARC" => (Kind::Arc, 90.0),
            "ZPN" => (Kind::Zpn(zenithal::Zpn::new(pv).map_err(bad)?), 90.0),
            "ZEA" => (Kind::Zea, 90.0),
            "AIR" => (Kind::Air(zenithal::Air::new(pv).map_err(bad)?), 90.0),
            "CYP" => (Kind::Cyp(cylindrical::Cyp::new(pv).map_err(bad)?), 0.0),
            "CEA" => (Kind::Cea(cylindrical::Cea::new(pv).map_err(bad)?), 0.0),
            "CAR" => (Kind::Car, 0.0),
            "MER" => (Kind::Mer, 0.0),
            "SFL" => (Kind::Sfl, 0.0),
            "PAR" => (Kind::Par, 0.0),
            "MOL" => (Kind::Mol, 0.0),
            "AIT" => (Kind::Ait, 0.0),
            "COP" | "COE" | "COD" | "COO" => {
                let c = match code {
                    "COP" => conic::Conic::cop(pv),
                    "COE" => conic::Conic::coe(pv),
                    "COD" => conic::Conic::cod(pv),
                    _ => conic::Conic::coo(pv),
                }
                .map_err(bad)?;
                let sigma = c.sigma();
                (Kind::Conic(c), sigma)
            }
            "BON" => match conic::Bon::new(pv).map_err(bad)? {
                Some(b) => (Kind::Bon(b), 0.0),
                None => (Kind::Sfl, 0.0),
            },
            "PCO" => (Kind::Pco, 0.0),
            "TSC" => (Kind::Tsc, 0.0),
            "CSC" => (Kind::Csc, 0.0),
            "QSC" => (Kind::Qsc, 0.0),
            "HPX" => (Kind::Hpx(healpix::Hpx::new(pv).map_err(bad)?), 0.0),
            _ => (Kind::Xph, 90.0),
        };
        let mut proj = Projection {
            code,
            params: params.clone(),
            kind,
            phi0: params.lon[1].unwrap_or(0.0),
            theta0: params.lon[2].unwrap_or(theta0),
            offset: Offset::default(),
        };
        if proj.theta0.abs() > 90.0 {
            if proj.theta0.abs() > 90.0 + 1.0e-10 {
                return Err(bad(format!(
                    "PV1_2 (theta0) = {} is beyond ±90",
                    proj.theta0
                )));
            }
            proj.theta0 = trig::copysign(90.0, proj.theta0);
        }
        // A fiducial offset needs both phi0 and theta0 given explicitly (WCSLIB `prjoff`).
        if let (Some(flag), Some(phi0), Some(theta0)) =
            (params.lon[0], params.lon[1], params.lon[2])
            && flag != 0.0
        {
            let (x0, y0) = proj.s2x(phi0, theta0).ok_or_else(|| {
                bad(format!(
                    "the fiducial point (PV1_1, PV1_2) = ({phi0}, {theta0}) has no image"
                ))
            })?;
            proj.offset = Offset { x0, y0 };
        }
        Ok(proj)
    }

    /// The NCP ("north celestial pole") projection of old radio-synthesis images, as
    /// WCSLIB and astropy read it: SIN with `PV2_1 = 0`, `PV2_2 = cot(delta0)`, where
    /// `delta0` is `CRVAL` of the latitude axis. The result reports code `"SIN"` and those
    /// parameters (which is also how astropy writes the header back).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProjectionParameters`] for `delta0 = 0` (NCP diverges on the
    /// equator) or a non-finite `delta0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::proj::Projection;
    ///
    /// let ncp = Projection::ncp(45.0)?;
    /// assert_eq!(ncp.code(), "SIN");
    /// assert!((ncp.params().lat[2].unwrap() - 1.0).abs() < 1e-15);
    /// assert!(Projection::ncp(0.0).is_err());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn ncp(delta0: f64) -> Result<Projection> {
        if delta0 == 0.0 || !delta0.is_finite() {
            return Err(Error::InvalidProjectionParameters {
                code: "NCP".into(),
                reason: format!("NCP is undefined for CRVAL (latitude) = {delta0}"),
            });
        }
        let mut params = ProjectionParams::default();
        params.lat[1] = Some(0.0);
        params.lat[2] = Some(trig::cosd(delta0) / trig::sind(delta0));
        Projection::new("SIN", &params)
    }

    /// The GLS ("global sinusoidal") projection of AIPS, as WCSLIB reads it: SFL with the
    /// fiducial point at native `(0, delta0)` and the plane origin moved there, where
    /// `delta0` is `CRVAL` of the latitude axis. Reports code `"SFL"`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProjectionParameters`] for `|delta0| > 90` or a non-finite value.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::proj::Projection;
    ///
    /// let gls = Projection::gls(30.0)?;
    /// assert_eq!(gls.code(), "SFL");
    /// assert_eq!(gls.native_reference(), (0.0, 30.0));
    /// let (x, y) = gls.project(0.0, 30.0)?;
    /// assert!(x.abs() < 1e-12 && y.abs() < 1e-12);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn gls(delta0: f64) -> Result<Projection> {
        let mut params = ProjectionParams::default();
        params.lon[0] = Some(1.0);
        params.lon[1] = Some(0.0);
        params.lon[2] = Some(delta0);
        Projection::new("SFL", &params)
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
        self.code
    }

    /// The parameters the projection was built with (as given, without defaults filled
    /// in).
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

    /// Native coordinates `(phi0, theta0)` of the fiducial point, in degrees: the
    /// projection's default — (0, 90) for zenithal projections and XPH, (0, sigma) for
    /// conics, (0, 0) otherwise — unless overridden by `PV1_1` / `PV1_2`. This is what
    /// the celestial rotation needs together with `CRVAL`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// let p = Projection::new("TAN", &ProjectionParams::default())?;
    /// assert_eq!(p.native_reference(), (0.0, 90.0));
    /// let p = Projection::new("AIT", &ProjectionParams::default())?;
    /// assert_eq!(p.native_reference(), (0.0, 0.0));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn native_reference(&self) -> (f64, f64) {
        (self.phi0, self.theta0)
    }

    /// The plane coordinates `(x0, y0)` subtracted from every projected point: the image
    /// of the fiducial point when `PV1_0` asks for a fiducial offset, else `(0, 0)`.
    /// A caller with its own fast path for a projection (e.g. TAN) must honour it.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::proj::{Projection, ProjectionParams};
    ///
    /// assert_eq!(Projection::new("TAN", &ProjectionParams::default())?.fiducial_offset(), (0.0, 0.0));
    /// let gls = Projection::gls(30.0)?; // SFL with the origin moved to theta = 30
    /// assert_eq!(gls.fiducial_offset(), (0.0, 30.0));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn fiducial_offset(&self) -> (f64, f64) {
        (self.offset.x0, self.offset.y0)
    }

    /// Native spherical `(phi, theta)` → projection plane `(x, y)`, degrees.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfDomain`] where the projection has no image of the point (e.g. the
    /// far hemisphere of TAN or SIN, the poles of MER) or WCSLIB's bounds check rejects
    /// it (the overlapping far side of AZP/SZP, beyond ZPN's point of inflection...).
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// let p = Projection::new("TAN", &ProjectionParams::default())?;
    /// assert!(p.project(0.0, -10.0).is_err());
    /// let (x, y) = p.project(90.0, 45.0)?;
    /// assert!((x - 180.0 / std::f64::consts::PI).abs() < 1e-12 && y.abs() < 1e-12);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    #[inline]
    pub fn project(&self, phi: f64, theta: f64) -> Result<(f64, f64)> {
        match self.s2x(phi, theta) {
            Some(xy) => Ok(xy),
            None => Err(self.out_of_domain(phi, theta, "native (phi, theta)")),
        }
    }

    /// Projection plane `(x, y)` → native spherical `(phi, theta)`, degrees, with `phi`
    /// in [-180, 180] and `theta` in [-90, 90].
    ///
    /// # Errors
    ///
    /// [`Error::OutOfDomain`] for points outside the projection's boundary, exactly where
    /// WCSLIB (and so astropy, which returns NaN there) flags them: `r > 1` for SIN,
    /// outside the ellipse of AIT/MOL, outside the cube-face layout, `|phi| > 180` for
    /// the cylindrical projections, ...
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::proj::{Projection, ProjectionParams};
    /// let p = Projection::new("TAN", &ProjectionParams::default())?;
    /// let (_, theta) = p.deproject(0.0, 0.0)?;
    /// assert_eq!(theta, 90.0);
    /// let sin = Projection::new("SIN", &ProjectionParams::default())?;
    /// assert!(sin.deproject(60.0, 0.0).is_err()); // beyond r0 = 57.3°
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    #[inline]
    pub fn deproject(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        match self.x2s(x, y) {
            Some(pt) => Ok(pt),
            None => Err(self.out_of_domain(x, y, "plane (x, y)")),
        }
    }

    #[cold]
    fn out_of_domain(&self, a: f64, b: f64, what: &str) -> Error {
        Error::OutOfDomain {
            x: a,
            y: b,
            what: format!("{} projection ({what})", self.code),
        }
    }

    #[inline]
    fn s2x(&self, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let o = &self.offset;
        match &self.kind {
            Kind::Azp(p) => p.s2x(o, phi, theta),
            Kind::Szp(p) => p.s2x(o, phi, theta),
            Kind::Tan => zenithal::tan_s2x(o, phi, theta),
            Kind::Stg => zenithal::stg_s2x(o, phi, theta),
            Kind::Sin(p) => p.s2x(o, phi, theta),
            Kind::Arc => zenithal::arc_s2x(o, phi, theta),
            Kind::Zpn(p) => p.s2x(o, phi, theta),
            Kind::Zea => zenithal::zea_s2x(o, phi, theta),
            Kind::Air(p) => p.s2x(o, phi, theta),
            Kind::Cyp(p) => p.s2x(o, phi, theta),
            Kind::Cea(p) => p.s2x(o, phi, theta),
            Kind::Car => cylindrical::car_s2x(o, phi, theta),
            Kind::Mer => cylindrical::mer_s2x(o, phi, theta),
            Kind::Sfl => cylindrical::sfl_s2x(o, phi, theta),
            Kind::Par => cylindrical::par_s2x(o, phi, theta),
            Kind::Mol => cylindrical::mol_s2x(o, phi, theta),
            Kind::Ait => cylindrical::ait_s2x(o, phi, theta),
            Kind::Conic(p) => p.s2x(o, phi, theta),
            Kind::Bon(p) => p.s2x(o, phi, theta),
            Kind::Pco => conic::pco_s2x(o, phi, theta),
            Kind::Tsc => quadcube::tsc_s2x(o, phi, theta),
            Kind::Csc => quadcube::csc_s2x(o, phi, theta),
            Kind::Qsc => quadcube::qsc_s2x(o, phi, theta),
            Kind::Hpx(p) => p.s2x(o, phi, theta),
            Kind::Xph => healpix::xph_s2x(o, phi, theta),
        }
        .filter(|(x, y)| x.is_finite() && y.is_finite())
    }

    #[inline]
    fn x2s(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let o = &self.offset;
        match &self.kind {
            Kind::Azp(p) => p.x2s(o, x, y),
            Kind::Szp(p) => p.x2s(o, x, y),
            Kind::Tan => zenithal::tan_x2s(o, x, y),
            Kind::Stg => zenithal::stg_x2s(o, x, y),
            Kind::Sin(p) => p.x2s(o, x, y),
            Kind::Arc => zenithal::arc_x2s(o, x, y),
            Kind::Zpn(p) => p.x2s(o, x, y),
            Kind::Zea => zenithal::zea_x2s(o, x, y),
            Kind::Air(p) => p.x2s(o, x, y),
            Kind::Cyp(p) => p.x2s(o, x, y),
            Kind::Cea(p) => p.x2s(o, x, y),
            Kind::Car => cylindrical::car_x2s(o, x, y),
            Kind::Mer => cylindrical::mer_x2s(o, x, y),
            Kind::Sfl => cylindrical::sfl_x2s(o, x, y),
            Kind::Par => cylindrical::par_x2s(o, x, y),
            Kind::Mol => cylindrical::mol_x2s(o, x, y),
            Kind::Ait => cylindrical::ait_x2s(o, x, y),
            Kind::Conic(p) => p.x2s(o, x, y),
            Kind::Bon(p) => p.x2s(o, x, y),
            Kind::Pco => conic::pco_x2s(o, x, y),
            Kind::Tsc => quadcube::tsc_x2s(o, x, y),
            Kind::Csc => quadcube::csc_x2s(o, x, y),
            Kind::Qsc => quadcube::qsc_x2s(o, x, y),
            Kind::Hpx(p) => p.x2s(o, x, y),
            Kind::Xph => healpix::xph_x2s(o, x, y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(lat: &[(usize, f64)]) -> ProjectionParams {
        let mut p = ProjectionParams::default();
        for &(m, v) in lat {
            p.lat[m] = Some(v);
        }
        p
    }

    #[test]
    fn every_code_builds_with_typical_parameters() {
        for code in PROJECTION_CODES {
            let params = match code {
                "COP" | "COE" | "COD" | "COO" => with(&[(1, 45.0), (2, 25.0)]),
                "BON" => with(&[(1, 45.0)]),
                "ZPN" => with(&[(1, 1.0)]),
                _ => ProjectionParams::default(),
            };
            let p = Projection::new(code, &params).unwrap();
            let (phi0, theta0) = p.native_reference();
            let (x, y) = p.project(phi0, theta0).unwrap();
            assert!(x.abs() < 1e-9 && y.abs() < 1e-9, "{code}: ({x}, {y})");
        }
    }

    #[test]
    fn invalid_parameters_are_errors() {
        let cases: [(&str, ProjectionParams); 10] = [
            ("AZP", with(&[(1, -1.0)])),
            ("COD", with(&[(1, 0.0)])),
            ("SZP", with(&[(1, -1.0)])),
            ("ZPN", ProjectionParams::default()),
            ("AIR", with(&[(1, -90.0)])),
            ("CEA", with(&[(1, 1.5)])),
            ("CYP", with(&[(1, -1.0), (2, 1.0)])),
            ("COE", with(&[(1, 20.0), (2, 70.0)]).clone()),
            ("HPX", with(&[(1, 0.0)])),
            ("TAN", with(&[(1, f64::NAN)])),
        ];
        for (code, params) in cases {
            let r = Projection::new(code, &params);
            if code == "COE" {
                // sigma = 20, delta = 70: theta1 = -50, theta2 = 90 — legal.
                assert!(r.is_ok());
                continue;
            }
            assert!(
                matches!(r, Err(Error::InvalidProjectionParameters { .. })),
                "{code}: {r:?}"
            );
        }
        let mut p = ProjectionParams::default();
        p.lon[2] = Some(91.0);
        assert!(Projection::new("CAR", &p).is_err());
        assert!(matches!(
            Projection::new("NCP", &ProjectionParams::default()),
            Err(Error::InvalidProjectionParameters { .. })
        ));
    }

    #[test]
    fn fiducial_offset() {
        let mut p = ProjectionParams::default();
        p.lon[0] = Some(1.0);
        p.lon[1] = Some(20.0);
        p.lon[2] = Some(10.0);
        let car = Projection::new("CAR", &p).unwrap();
        assert_eq!(car.native_reference(), (20.0, 10.0));
        let (x, y) = car.project(20.0, 10.0).unwrap();
        assert!(x.abs() < 1e-12 && y.abs() < 1e-12);
        let (phi, theta) = car.deproject(0.0, 0.0).unwrap();
        assert!((phi - 20.0).abs() < 1e-12 && (theta - 10.0).abs() < 1e-12);
        // Without PV1_0 the reference moves but the plane origin does not.
        p.lon[0] = None;
        let car = Projection::new("CAR", &p).unwrap();
        assert_eq!(car.native_reference(), (20.0, 10.0));
        assert_eq!(car.project(0.0, 0.0).unwrap(), (0.0, 0.0));
    }
}
