//! IRAF `geomap`: fit `xin = f(xref, yref)`, `yin = g(xref, yref)` with a fitting
//! geometry, iterative sigma rejection and geomap's summary of the linear part.

use std::f64::consts::TAU;
use std::fmt;
use std::str::FromStr;

use ndarray::{Array2, ArrayViewMut2};

use super::basis::{Function, MAX_ORDER, XTerms};
use super::fit::{
    Evaluator, Surface, SurfaceRange, SurfaceSpec, check_finite, check_grid, check_len,
    check_weights,
};
use crate::{Error, Result};

/// geomap's `fitgeometry`: which transformation family is fitted.
///
/// All but `General` are linear (IRAF `geo_fxy`, `geo_ftheta`, `geo_fmagnify`,
/// `geo_flinear`); `General` fits a plane per coordinate first and then a surface of the
/// requested orders to the residuals (only when an order exceeds 2 or the cross terms are
/// `full`), the fitted map being the sum of the two.
///
/// ```
/// use astro_interp::surface::FitGeometry;
/// assert_eq!("rxyscale".parse::<FitGeometry>().unwrap(), FitGeometry::RxyScale);
/// assert_eq!(FitGeometry::default(), FitGeometry::General);
/// assert_eq!(FitGeometry::XyScale.to_string(), "xyscale");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FitGeometry {
    /// `xin = xref + a`, `yin = yref + b` (weighted mean offsets).
    Shift,
    /// `xin = a + b·xref`, `yin = c + d·yref`: independent shifts and scales.
    XyScale,
    /// Shift and rotation (or rotation with an axis flip when the data demand it), no scale.
    Rotate,
    /// Shift, rotation and one magnification.
    RScale,
    /// Shift, rotation and separate x and y magnifications.
    RxyScale,
    /// Full linear map plus an optional higher-order residual surface.
    #[default]
    General,
}

impl FitGeometry {
    /// The IRAF name.
    ///
    /// ```
    /// use astro_interp::surface::FitGeometry;
    /// assert_eq!(FitGeometry::RScale.name(), "rscale");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            FitGeometry::Shift => "shift",
            FitGeometry::XyScale => "xyscale",
            FitGeometry::Rotate => "rotate",
            FitGeometry::RScale => "rscale",
            FitGeometry::RxyScale => "rxyscale",
            FitGeometry::General => "general",
        }
    }
}

impl fmt::Display for FitGeometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FitGeometry {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "shift" => FitGeometry::Shift,
            "xyscale" => FitGeometry::XyScale,
            "rotate" => FitGeometry::Rotate,
            "rscale" => FitGeometry::RScale,
            "rxyscale" => FitGeometry::RxyScale,
            "general" => FitGeometry::General,
            _ => {
                return Err(Error::InvalidParameter {
                    name: "fitgeometry",
                    value: s.to_string(),
                    reason: "expected shift, xyscale, rotate, rscale, rxyscale or general".into(),
                });
            }
        })
    }
}

/// Parameters of [`geomap`], named and defaulted as IRAF `geomap`'s
/// (`fitgeometry=general function=polynomial xxorder=2 xyorder=2 xxterms=half
/// yxorder=2 yyorder=2 yxterms=half maxiter=0 reject=3`, range INDEF).
///
/// mscimage uses `function=chebyshev` and all orders 4:
///
/// ```
/// use astro_interp::surface::{Function, GeoMapOptions};
/// let o = GeoMapOptions::mscimage();
/// assert_eq!((o.function, o.xxorder, o.yyorder), (Function::Chebyshev, 4, 4));
/// assert_eq!(GeoMapOptions::default().maxiter, 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GeoMapOptions {
    /// Transformation family.
    pub fitgeometry: FitGeometry,
    /// Basis of the surfaces.
    pub function: Function,
    /// Terms in x of the x fit (`general` only).
    pub xxorder: usize,
    /// Terms in y of the x fit (`general` only).
    pub xyorder: usize,
    /// Cross terms of the x fit (`general` only).
    pub xxterms: XTerms,
    /// Terms in x of the y fit (`general` only).
    pub yxorder: usize,
    /// Terms in y of the y fit (`general` only).
    pub yyorder: usize,
    /// Cross terms of the y fit (`general` only).
    pub yxterms: XTerms,
    /// Maximum number of rejection iterations (0 = no rejection).
    pub maxiter: usize,
    /// Rejection limit in units of the fit rms (`None` = INDEF = no rejection).
    pub reject: Option<f64>,
    /// Surface range; `None` = from the reference coordinates. Points outside a range
    /// given here are left out of the fit, as geomap skips them when reading.
    pub xmin: Option<f64>,
    /// See [`GeoMapOptions::xmin`].
    pub xmax: Option<f64>,
    /// See [`GeoMapOptions::xmin`].
    pub ymin: Option<f64>,
    /// See [`GeoMapOptions::xmin`].
    pub ymax: Option<f64>,
}

impl Default for GeoMapOptions {
    fn default() -> Self {
        Self {
            fitgeometry: FitGeometry::General,
            function: Function::Polynomial,
            xxorder: 2,
            xyorder: 2,
            xxterms: XTerms::Half,
            yxorder: 2,
            yyorder: 2,
            yxterms: XTerms::Half,
            maxiter: 0,
            reject: Some(3.0),
            xmin: None,
            xmax: None,
            ymin: None,
            ymax: None,
        }
    }
}

impl GeoMapOptions {
    /// The parameters mscimage passes to geomap: `general`, `chebyshev`, all orders 4,
    /// `half` cross terms, no rejection (the surface range is set by the caller).
    ///
    /// ```
    /// use astro_interp::surface::{GeoMapOptions, XTerms};
    /// assert_eq!(GeoMapOptions::mscimage().xxterms, XTerms::Half);
    /// ```
    pub fn mscimage() -> Self {
        Self {
            function: Function::Chebyshev,
            xxorder: 4,
            xyorder: 4,
            yxorder: 4,
            yyorder: 4,
            reject: None,
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<()> {
        for (keyword, v) in [
            ("xxorder", self.xxorder),
            ("xyorder", self.xyorder),
            ("yxorder", self.yxorder),
            ("yyorder", self.yyorder),
        ] {
            if v == 0 || v > MAX_ORDER {
                return Err(Error::InvalidParameter {
                    name: keyword,
                    value: v.to_string(),
                    reason: format!("the number of terms must be in 1..={MAX_ORDER}"),
                });
            }
        }
        if let Some(r) = self.reject
            && !(r.is_finite() && r > 0.0)
        {
            return Err(Error::InvalidParameter {
                name: "reject",
                value: r.to_string(),
                reason: "the rejection limit must be a finite number of sigma > 0".into(),
            });
        }
        for (keyword, v) in [
            ("xmin", self.xmin),
            ("xmax", self.xmax),
            ("ymin", self.ymin),
            ("ymax", self.ymax),
        ] {
            if let Some(v) = v
                && !v.is_finite()
            {
                return Err(Error::InvalidParameter {
                    name: keyword,
                    value: v.to_string(),
                    reason: "the surface range must be finite".into(),
                });
            }
        }
        Ok(())
    }
}

/// One fitted coordinate: geomap's linear surface plus the optional higher-order surface
/// fitted to its residuals. Both share family and range; the value is their sum.
///
/// ```
/// use astro_interp::surface::{geomap, GeoMapOptions};
/// let xr = [0.0, 1.0, 0.0, 1.0];
/// let yr = [0.0, 0.0, 1.0, 1.0];
/// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
/// assert!(t.x_fit.higher().is_none()); // orders 2: linear only
/// assert!((t.x_fit.eval(0.25, 0.5) - 0.25).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GeoSurface {
    linear: Surface,
    higher: Option<Surface>,
}

impl GeoSurface {
    /// A fitted coordinate from its linear part (a plane: no term beyond `1, x, y`) and
    /// an optional higher-order surface of the same family and range.
    ///
    /// ```
    /// use astro_interp::surface::{Function, GeoSurface, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 10.0, 0.0, 10.0).unwrap();
    /// let lin = Surface::from_affine(Function::Chebyshev, r, 1.0, 1.0, 0.0).unwrap();
    /// let g = GeoSurface::new(lin.clone(), None).unwrap();
    /// assert!((g.eval(3.0, 4.0) - 4.0).abs() < 1e-12);
    /// let other = SurfaceRange::new(0.0, 20.0, 0.0, 10.0).unwrap();
    /// let h = Surface::from_affine(Function::Chebyshev, other, 0.0, 0.0, 0.0).unwrap();
    /// assert!(GeoSurface::new(lin, Some(h)).is_err()); // ranges differ
    /// ```
    pub fn new(linear: Surface, higher: Option<Surface>) -> Result<Self> {
        if linear.affine().is_none() {
            return Err(Error::InvalidParameter {
                name: "surface1",
                value: format!("{:?}", linear.spec()),
                reason: "the linear part must have no term beyond 1, x, y".into(),
            });
        }
        if let Some(h) = &higher
            && (h.spec().function != linear.spec().function || h.range() != linear.range())
        {
            return Err(Error::InvalidParameter {
                name: "surface2",
                value: format!("{} over {:?}", h.spec().function, h.range()),
                reason: format!(
                    "must share the function ({}) and range ({:?}) of the linear part",
                    linear.spec().function,
                    linear.range()
                ),
            });
        }
        Ok(Self { linear, higher })
    }

    /// The linear part (a plane: order 2×2 without cross terms as fitted here; a record
    /// read from an IRAF database may hold geomap's 2×1 / 1×2 `xyscale` planes).
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let [c, cx, cy] = t.x_fit.linear().affine().unwrap();
    /// assert!(c.abs() < 1e-12 && (cx - 1.0).abs() < 1e-12 && cy.abs() < 1e-12);
    /// ```
    pub fn linear(&self) -> &Surface {
        &self.linear
    }

    /// The higher-order residual surface (`general` geometry with an order above 2 or
    /// `full` cross terms), if any.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// assert!(t.y_fit.higher().is_none());
    /// ```
    pub fn higher(&self) -> Option<&Surface> {
        self.higher.as_ref()
    }

    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator::new(&self.linear, self.higher.as_ref())
    }

    /// The fitted coordinate at `(x, y)`.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &yr, &xr, None, &GeoMapOptions::default()).unwrap();
    /// assert!((t.x_fit.eval(0.2, 0.7) - 0.7).abs() < 1e-12); // xin = yref
    /// ```
    pub fn eval(&self, x: f64, y: f64) -> f64 {
        self.evaluator().point(x, y)
    }

    /// The partial derivatives `(∂f/∂x, ∂f/∂y)` of the fitted coordinate at `(x, y)`.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let xi: Vec<f64> = xr.iter().zip(&yr).map(|(x, y)| 2.0 * x - y).collect();
    /// let t = geomap(&xr, &yr, &xi, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let (dx, dy) = t.x_fit.derivatives(0.3, 0.3);
    /// assert!((dx - 2.0).abs() < 1e-12 && (dy + 1.0).abs() < 1e-12);
    /// ```
    pub fn derivatives(&self, x: f64, y: f64) -> (f64, f64) {
        self.evaluator().gradient(x, y)
    }

    /// Values on the grid `xs × ys`, shape `(ys.len(), xs.len())`, bit-identical to
    /// [`GeoSurface::eval`] (see [`Surface::eval_grid`]).
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let g = t.x_fit.eval_grid(&[0.0, 0.5], &[0.0, 1.0, 2.0]);
    /// assert_eq!(g[[2, 1]], t.x_fit.eval(0.5, 2.0));
    /// ```
    pub fn eval_grid(&self, xs: &[f64], ys: &[f64]) -> Array2<f64> {
        let mut out = Array2::zeros((ys.len(), xs.len()));
        self.evaluator().grid_into(xs, ys, out.view_mut());
        out
    }

    /// [`GeoSurface::eval_grid`] into an existing `(ys.len(), xs.len())` array.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let mut out = ndarray::Array2::zeros((1, 2));
    /// t.y_fit.eval_grid_into(&[0.0, 1.0], &[0.5], out.view_mut()).unwrap();
    /// assert!((out[[0, 1]] - 0.5).abs() < 1e-12);
    /// ```
    pub fn eval_grid_into(
        &self,
        xs: &[f64],
        ys: &[f64],
        out: ArrayViewMut2<'_, f64>,
    ) -> Result<()> {
        check_grid(xs, ys, &out)?;
        self.evaluator().grid_into(xs, ys, out);
        Ok(())
    }
}

/// The linear part of a geomap solution as geomap prints it (`geo_lcoeff`): with
/// `xin = xshift + a·xref + b·yref`, `yin = yshift + c·xref + d·yref`,
/// `xmag = √(a² + c²)`, `ymag = √(b² + d²)`, `xrotation = atan2(-c, a)`,
/// `yrotation = atan2(b, d)`, both in degrees in [0, 360). The shifts are the linear
/// fit evaluated at `xref = yref = 0` (so they depend on the coordinate origin: 0-based
/// pixel coordinates give shifts one pixel's worth different from IRAF's 1-based ones
/// when the scale is not 1).
///
/// ```
/// use astro_interp::surface::LinearSummary;
/// // 30° rotation, scale 2, shift (5, -1)
/// let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
/// let l = LinearSummary::from_affine([5.0, 2.0 * c, 2.0 * s], [-1.0, -2.0 * s, 2.0 * c]);
/// assert!((l.xmag - 2.0).abs() < 1e-12 && (l.xrotation - 30.0).abs() < 1e-12);
/// assert!((l.yrotation - 30.0).abs() < 1e-12 && l.xshift == 5.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearSummary {
    /// x shift: the linear x fit at the origin.
    pub xshift: f64,
    /// y shift: the linear y fit at the origin.
    pub yshift: f64,
    /// Scale of the x axis, `xin / xref`.
    pub xmag: f64,
    /// Scale of the y axis, `yin / yref`.
    pub ymag: f64,
    /// Rotation of the x axis, degrees in [0, 360).
    pub xrotation: f64,
    /// Rotation of the y axis, degrees in [0, 360).
    pub yrotation: f64,
}

impl LinearSummary {
    /// The summary of `xin = ax[0] + ax[1]·x + ax[2]·y`, `yin = ay[0] + ay[1]·x + ay[2]·y`.
    ///
    /// ```
    /// use astro_interp::surface::LinearSummary;
    /// let l = LinearSummary::from_affine([0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
    /// assert_eq!((l.xmag, l.ymag, l.xrotation, l.yrotation), (1.0, 1.0, 0.0, 0.0));
    /// ```
    pub fn from_affine(ax: [f64; 3], ay: [f64; 3]) -> Self {
        let (a, b, c, d) = (ax[1], ax[2], ay[1], ay[2]);
        let angle = |num: f64, den: f64| {
            if num == 0.0 && den == 0.0 {
                0.0
            } else {
                let t = num.atan2(den).to_degrees();
                if t < 0.0 { t + 360.0 } else { t }
            }
        };
        Self {
            xshift: ax[0],
            yshift: ay[0],
            xmag: a.hypot(c),
            ymag: b.hypot(d),
            xrotation: angle(-c, a),
            yrotation: angle(b, d),
        }
    }
}

/// The result of [`geomap`]: the two fitted coordinates and geomap's statistics.
///
/// ```
/// use astro_interp::surface::{geomap, GeoMapOptions};
/// let xr = [0.0, 10.0, 0.0, 10.0, 5.0];
/// let yr = [0.0, 0.0, 10.0, 10.0, 5.0];
/// let xi: Vec<f64> = xr.iter().map(|x| x + 1.0).collect();
/// let t = geomap(&xr, &yr, &xi, &yr, None, &GeoMapOptions::default()).unwrap();
/// assert_eq!(t.npts, 5);
/// assert!(t.xrms < 1e-12);
/// let (x, y) = t.eval(3.0, 4.0);
/// assert!((x - 4.0).abs() < 1e-12 && (y - 4.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GeoTransform {
    /// The geometry that was fitted.
    pub fitgeometry: FitGeometry,
    /// The surface range (normalisation of Chebyshev/Legendre surfaces).
    pub range: SurfaceRange,
    /// `xin(xref, yref)`.
    pub x_fit: GeoSurface,
    /// `yin(xref, yref)`.
    pub y_fit: GeoSurface,
    /// geomap's linear summary (shift, magnification, rotation).
    pub linear: LinearSummary,
    /// geomap's x fit rms, `√(Σ w·rx² / (ngood - 1))` (0 when `ngood <= 1`).
    pub xrms: f64,
    /// geomap's y fit rms.
    pub yrms: f64,
    /// Number of points given.
    pub npts: usize,
    /// Points of positive weight in the final fit (IRAF `npts - nwts0`).
    pub ngood: usize,
    /// Indices of the points rejected by the sigma clipping, in rejection order.
    pub rejected: Vec<usize>,
    /// Rejection iterations performed (refits after a rejection).
    pub niter: usize,
    /// Mean reference x of the points in range (geomap's "Mean Xref").
    pub xref_mean: f64,
    /// Mean reference y of the points in range.
    pub yref_mean: f64,
    /// Mean input x of the points in range.
    pub xin_mean: f64,
    /// Mean input y of the points in range.
    pub yin_mean: f64,
    /// `xin - x_fit(xref, yref)` for every point (rejected ones included).
    pub xresid: Vec<f64>,
    /// `yin - y_fit(xref, yref)` for every point.
    pub yresid: Vec<f64>,
    /// The weights of the final fit (0 for rejected and out-of-range points).
    pub weights: Vec<f64>,
}

impl GeoTransform {
    /// Number of rejected points.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// assert_eq!(t.nrejected(), 0);
    /// ```
    pub fn nrejected(&self) -> usize {
        self.rejected.len()
    }

    /// `(xin, yin)` at the reference point `(x, y)`.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &yr, &xr, None, &GeoMapOptions::default()).unwrap();
    /// let (xi, yi) = t.eval(0.25, 0.75);
    /// assert!((xi - 0.75).abs() < 1e-12 && (yi - 0.25).abs() < 1e-12);
    /// ```
    pub fn eval(&self, x: f64, y: f64) -> (f64, f64) {
        (self.x_fit.eval(x, y), self.y_fit.eval(x, y))
    }

    /// The Jacobian `[[∂xin/∂x, ∂xin/∂y], [∂yin/∂x, ∂yin/∂y]]` of the map at `(x, y)`;
    /// its determinant is the pixel-area ratio geotran's `fluxconserve` multiplies by.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let xi: Vec<f64> = xr.iter().map(|x| 2.0 * x).collect();
    /// let t = geomap(&xr, &yr, &xi, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let j = t.jacobian(0.5, 0.5);
    /// let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    /// assert!((det - 2.0).abs() < 1e-12);
    /// ```
    pub fn jacobian(&self, x: f64, y: f64) -> [[f64; 2]; 2] {
        let (a, b) = self.x_fit.derivatives(x, y);
        let (c, d) = self.y_fit.derivatives(x, y);
        [[a, b], [c, d]]
    }

    /// `(xin, yin)` on the output grid `xs × ys` (each of shape `(ys.len(), xs.len())`),
    /// as geotran needs them.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let xs: Vec<f64> = (0..4).map(|i| i as f64).collect();
    /// let (gx, gy) = t.eval_grid(&xs, &[0.0, 1.0]);
    /// assert_eq!(gx.dim(), (2, 4));
    /// assert!((gx[[1, 3]] - 3.0).abs() < 1e-12 && (gy[[1, 3]] - 1.0).abs() < 1e-12);
    /// ```
    pub fn eval_grid(&self, xs: &[f64], ys: &[f64]) -> (Array2<f64>, Array2<f64>) {
        (self.x_fit.eval_grid(xs, ys), self.y_fit.eval_grid(xs, ys))
    }
}

/// Fit the coordinate map `(xref, yref) -> (xin, yin)` as IRAF `geomap` does.
///
/// * `weights`: `None` for unit weights (geomap always uses 1), else finite, ≥ 0.
/// * Non-finite coordinates are an error ([`Error::NonFinite`]), not skipped.
/// * The surface range is `opts.xmin…ymax` where given, the data's bounding box
///   elsewhere (widened by ±0.5 on a degenerate axis); given limits also exclude the
///   points outside them.
/// * Rejection (`maxiter > 0` and `reject` set): after each fit,
///   `cutx = reject·√(Σ w·rx² / (n - n0 - 1))` (n0 = points of zero weight), same in y;
///   every point still in the fit with `|rx| > cutx` or `|ry| > cuty` gets weight 0, and
///   the fit is redone, until no new point is rejected or `maxiter` refits were done.
///   Rejected points stay rejected.
/// * Errors with [`Error::NoDegreesOfFreedom`] when too few points remain for a fit
///   (`shift` 1, `xyscale` 2, `rotate`/`rscale` 2, `rxyscale` 3, `general` 3 and then
///   the number of coefficients of the residual surface).
///
/// ```
/// use astro_interp::surface::{geomap, FitGeometry, GeoMapOptions};
/// // A 5×5 grid rotated by 10° and scaled by 1.5 (xin = R·s·xref + t), one planted outlier.
/// let (s, c) = 10f64.to_radians().sin_cos();
/// let (mut xr, mut yr, mut xi, mut yi) = (vec![], vec![], vec![], vec![]);
/// for j in 0..5 {
///     for i in 0..5 {
///         let (x, y) = (i as f64 * 50.0, j as f64 * 50.0);
///         xr.push(x); yr.push(y);
///         xi.push(10.0 + 1.5 * (c * x + s * y));
///         yi.push(-4.0 + 1.5 * (-s * x + c * y));
///     }
/// }
/// xi[7] += 5.0;
/// let opts = GeoMapOptions { fitgeometry: FitGeometry::RScale, maxiter: 3, ..Default::default() };
/// let t = geomap(&xr, &yr, &xi, &yi, None, &opts).unwrap();
/// assert_eq!(t.rejected, vec![7]);
/// assert!((t.linear.xmag - 1.5).abs() < 1e-12 && (t.linear.xrotation - 10.0).abs() < 1e-9);
/// ```
pub fn geomap(
    xref: &[f64],
    yref: &[f64],
    xin: &[f64],
    yin: &[f64],
    weights: Option<&[f64]>,
    opts: &GeoMapOptions,
) -> Result<GeoTransform> {
    opts.validate()?;
    let n = xref.len();
    check_len("yref", yref.len(), n)?;
    check_len("xin", xin.len(), n)?;
    check_len("yin", yin.len(), n)?;
    check_finite("xref", xref)?;
    check_finite("yref", yref)?;
    check_finite("xin", xin)?;
    check_finite("yin", yin)?;
    if let Some(w) = weights {
        check_len("weights", w.len(), n)?;
        check_weights(w)?;
    }

    // Points inside the user-given limits (all of them when no limit is given).
    let inside = |k: usize| {
        opts.xmin.is_none_or(|v| xref[k] >= v)
            && opts.xmax.is_none_or(|v| xref[k] <= v)
            && opts.ymin.is_none_or(|v| yref[k] >= v)
            && opts.ymax.is_none_or(|v| yref[k] <= v)
    };
    let kept: Vec<usize> = (0..n).filter(|&k| inside(k)).collect();
    if kept.is_empty() {
        return Err(Error::NoDegreesOfFreedom {
            fit: "coordinate list (no data in range)",
            npts: 0,
            ncoeff: 1,
        });
    }
    let range = surface_range(opts, xref, yref, &kept)?;
    let mean = |v: &[f64]| kept.iter().map(|&k| v[k]).sum::<f64>() / kept.len() as f64;
    let (xref_mean, yref_mean, xin_mean, yin_mean) = (mean(xref), mean(yref), mean(xin), mean(yin));

    let mut w: Vec<f64> = (0..n)
        .map(|k| {
            if inside(k) {
                weights.map_or(1.0, |w| w[k])
            } else {
                0.0
            }
        })
        .collect();
    let data = Data {
        xref,
        yref,
        xin,
        yin,
    };

    let (mut xs, mut ys) = fit_geometry(opts, range, &data, &w)?;
    let (mut xresid, mut yresid) = residuals(&data, &xs, &ys);
    let mut rejected = Vec::new();
    let mut niter = 0;
    if let (Some(reject), true) = (opts.reject, opts.maxiter > 0) {
        loop {
            let n0 = w.iter().filter(|&&v| v <= 0.0).count();
            let (cutx, cuty) = if n - n0 > 1 {
                let dof = (n - n0 - 1) as f64;
                (
                    reject * (weighted_ss(&w, &xresid) / dof).sqrt(),
                    reject * (weighted_ss(&w, &yresid) / dof).sqrt(),
                )
            } else {
                (f64::INFINITY, f64::INFINITY)
            };
            let before = rejected.len();
            for k in 0..n {
                if w[k] > 0.0 && (xresid[k].abs() > cutx || yresid[k].abs() > cuty) {
                    w[k] = 0.0;
                    rejected.push(k);
                }
            }
            if rejected.len() == before {
                break;
            }
            (xs, ys) = fit_geometry(opts, range, &data, &w)?;
            (xresid, yresid) = residuals(&data, &xs, &ys);
            niter += 1;
            if niter >= opts.maxiter {
                break;
            }
        }
    }

    let ngood = w.iter().filter(|&&v| v > 0.0).count();
    let rms = |r: &[f64]| {
        if ngood > 1 {
            (weighted_ss(&w, r) / (ngood - 1) as f64).sqrt()
        } else {
            0.0
        }
    };
    let (xrms, yrms) = (rms(&xresid), rms(&yresid));
    let ax = xs.linear.affine().ok_or(Error::Numerical {
        reason: "linear x surface is not affine",
    })?;
    let ay = ys.linear.affine().ok_or(Error::Numerical {
        reason: "linear y surface is not affine",
    })?;
    Ok(GeoTransform {
        fitgeometry: opts.fitgeometry,
        range,
        x_fit: xs,
        y_fit: ys,
        linear: LinearSummary::from_affine(ax, ay),
        xrms,
        yrms,
        npts: n,
        ngood,
        rejected,
        niter,
        xref_mean,
        yref_mean,
        xin_mean,
        yin_mean,
        xresid,
        yresid,
        weights: w,
    })
}

struct Data<'a> {
    xref: &'a [f64],
    yref: &'a [f64],
    xin: &'a [f64],
    yin: &'a [f64],
}

fn weighted_ss(w: &[f64], r: &[f64]) -> f64 {
    w.iter().zip(r).map(|(w, r)| w * r * r).sum()
}

fn residuals(d: &Data<'_>, xs: &GeoSurface, ys: &GeoSurface) -> (Vec<f64>, Vec<f64>) {
    let (ex, ey) = (xs.evaluator(), ys.evaluator());
    let n = d.xref.len();
    let xr = (0..n)
        .map(|k| d.xin[k] - ex.point(d.xref[k], d.yref[k]))
        .collect();
    let yr = (0..n)
        .map(|k| d.yin[k] - ey.point(d.xref[k], d.yref[k]))
        .collect();
    (xr, yr)
}

fn surface_range(
    opts: &GeoMapOptions,
    xref: &[f64],
    yref: &[f64],
    kept: &[usize],
) -> Result<SurfaceRange> {
    let lim = |v: &[f64]| {
        kept.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &k| {
                (lo.min(v[k]), hi.max(v[k]))
            })
    };
    let (dxmin, dxmax) = lim(xref);
    let (dymin, dymax) = lim(yref);
    let (mut xmin, mut xmax) = (opts.xmin.unwrap_or(dxmin), opts.xmax.unwrap_or(dxmax));
    let (mut ymin, mut ymax) = (opts.ymin.unwrap_or(dymin), opts.ymax.unwrap_or(dymax));
    // geo_fxy: a degenerate range is widened by ±0.5.
    if xmin == xmax {
        xmin -= 0.5;
        xmax += 0.5;
    }
    if ymin == ymax {
        ymin -= 0.5;
        ymax += 0.5;
    }
    SurfaceRange::new(xmin, xmax, ymin, ymax)
}

fn npos(w: &[f64]) -> usize {
    w.iter().filter(|&&v| v > 0.0).count()
}

fn require(fit: &'static str, w: &[f64], needed: usize) -> Result<()> {
    let have = npos(w);
    if have < needed {
        return Err(Error::NoDegreesOfFreedom {
            fit,
            npts: have,
            ncoeff: needed,
        });
    }
    Ok(())
}

fn fit_geometry(
    opts: &GeoMapOptions,
    range: SurfaceRange,
    d: &Data<'_>,
    w: &[f64],
) -> Result<(GeoSurface, GeoSurface)> {
    let f = opts.function;
    let lin = |s: Surface| GeoSurface {
        linear: s,
        higher: None,
    };
    match opts.fitgeometry {
        FitGeometry::Shift => {
            require("x and y fits (shift)", w, 1)?;
            let sw: f64 = w.iter().sum();
            let mx = (0..w.len())
                .map(|k| w[k] * (d.xin[k] - d.xref[k]))
                .sum::<f64>()
                / sw;
            let my = (0..w.len())
                .map(|k| w[k] * (d.yin[k] - d.yref[k]))
                .sum::<f64>()
                / sw;
            Ok((
                lin(Surface::from_affine(f, range, mx, 1.0, 0.0)?),
                lin(Surface::from_affine(f, range, my, 0.0, 1.0)?),
            ))
        }
        FitGeometry::XyScale => {
            let sx = Surface::fit_labelled(
                "x fit (xyscale)",
                SurfaceSpec::new(f, 2, 1, XTerms::None),
                range,
                d.xref,
                d.yref,
                d.xin,
                Some(w),
            )?;
            let sy = Surface::fit_labelled(
                "y fit (xyscale)",
                SurfaceSpec::new(f, 1, 2, XTerms::None),
                range,
                d.xref,
                d.yref,
                d.yin,
                Some(w),
            )?;
            let to_plane = |s: &Surface| -> Result<Surface> {
                let [c, cx, cy] = s.affine().ok_or(Error::Numerical {
                    reason: "xyscale surface is not affine",
                })?;
                Surface::from_affine(f, range, c, cx, cy)
            };
            Ok((lin(to_plane(&sx)?), lin(to_plane(&sy)?)))
        }
        FitGeometry::Rotate | FitGeometry::RScale | FitGeometry::RxyScale => {
            let needed = if opts.fitgeometry == FitGeometry::RxyScale {
                3
            } else {
                2
            };
            require("x and y fits", w, needed)?;
            let [ax, ay] = closed_form(opts.fitgeometry, d, w);
            Ok((
                lin(Surface::from_affine(f, range, ax[0], ax[1], ax[2])?),
                lin(Surface::from_affine(f, range, ay[0], ay[1], ay[2])?),
            ))
        }
        FitGeometry::General => {
            let x = general_axis(
                "x fit",
                f,
                range,
                d,
                d.xin,
                w,
                (opts.xxorder, opts.xyorder, opts.xxterms),
            )?;
            let y = general_axis(
                "y fit",
                f,
                range,
                d,
                d.yin,
                w,
                (opts.yxorder, opts.yyorder, opts.yxterms),
            )?;
            Ok((x, y))
        }
    }
}

/// geo_fxy for `general`: a plane, then (if asked for) a surface fitted to its residuals.
fn general_axis(
    label: &'static str,
    f: Function,
    range: SurfaceRange,
    d: &Data<'_>,
    z: &[f64],
    w: &[f64],
    (xo, yo, xterms): (usize, usize, XTerms),
) -> Result<GeoSurface> {
    let linear = Surface::fit_labelled(
        label,
        SurfaceSpec::new(f, 2, 2, XTerms::None),
        range,
        d.xref,
        d.yref,
        z,
        Some(w),
    )?;
    let higher = if xo > 2 || yo > 2 || xterms == XTerms::Full {
        let e = Evaluator::new(&linear, None);
        let resid: Vec<f64> = (0..z.len())
            .map(|k| z[k] - e.point(d.xref[k], d.yref[k]))
            .collect();
        Some(Surface::fit_labelled(
            label,
            SurfaceSpec::new(f, xo, yo, xterms),
            range,
            d.xref,
            d.yref,
            &resid,
            Some(w),
        )?)
    } else {
        None
    };
    Ok(GeoSurface { linear, higher })
}

/// IRAF's `fp_equald`: equal to within a few units in the last place.
fn fp_equal(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 8.0 * f64::EPSILON * a.abs().max(b.abs())
}

/// The closed-form rotate / rscale / rxyscale solutions of geo_ftheta, geo_fmagnify and
/// geo_flinear; returns the raw affine coefficients `[c, cx, cy]` of the x and y fits.
#[allow(clippy::needless_range_loop)] // five parallel arrays indexed together
fn closed_form(geometry: FitGeometry, d: &Data<'_>, w: &[f64]) -> [[f64; 3]; 2] {
    let n = w.len();
    let sw: f64 = w.iter().sum();
    let wmean = |v: &[f64]| (0..n).map(|k| w[k] * v[k]).sum::<f64>() / sw;
    let (xr0, yr0, xi0, yi0) = (wmean(d.xref), wmean(d.yref), wmean(d.xin), wmean(d.yin));
    let (mut sxrxr, mut syryr, mut syrxi, mut sxryi, mut sxrxi, mut syryi) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for k in 0..n {
        let (xr, yr, xi, yi) = (
            d.xref[k] - xr0,
            d.yref[k] - yr0,
            d.xin[k] - xi0,
            d.yin[k] - yi0,
        );
        sxrxr += w[k] * xr * xr;
        syryr += w[k] * yr * yr;
        syrxi += w[k] * yr * xi;
        sxryi += w[k] * xr * yi;
        sxrxi += w[k] * xr * xi;
        syryi += w[k] * yr * yi;
    }
    let angle = |num: f64, den: f64, half: bool| {
        if num == 0.0 && den == 0.0 {
            0.0
        } else {
            let mut t = num.atan2(den);
            if half {
                t /= 2.0;
            }
            if t < 0.0 { t + TAU } else { t }
        }
    };
    // (cthetax, sthetax, sthetay, cthetay): xin = cthetax·x + sthetax·y,
    // yin = -sthetay·x + cthetay·y about the weighted means.
    let (ctx, stx, sty, cty) = match geometry {
        FitGeometry::RxyScale => {
            let num = 2.0 * (sxrxr * syrxi * syryi - syryr * sxrxi * sxryi);
            let den = syryr * (sxrxi - sxryi) * (sxrxi + sxryi)
                - sxrxr * (syrxi + syryi) * (syrxi - syryi);
            let theta = angle(num, den, true);
            let (st, ct) = theta.sin_cos();
            let xmag = if sxrxr <= 0.0 {
                1.0
            } else {
                (sxrxi * ct - sxryi * st) / sxrxr
            };
            let ymag = if syryr <= 0.0 {
                1.0
            } else {
                (syrxi * st + syryi * ct) / syryr
            };
            (xmag * ct, ymag * st, xmag * st, ymag * ct)
        }
        _ => {
            let (p, q) = (sxrxi * syryi, syrxi * sxryi);
            let det = if fp_equal(p, q) { 0.0 } else { p - q };
            let (num, den) = if det < 0.0 {
                (syrxi + sxryi, -sxrxi + syryi)
            } else {
                (syrxi - sxryi, sxrxi + syryi)
            };
            let theta = angle(num, den, false);
            let (st, ct) = theta.sin_cos();
            let mag = if geometry == FitGeometry::RScale {
                let denom = sxrxr + syryr;
                if denom <= 0.0 {
                    1.0
                } else {
                    (den * ct + num * st) / denom
                }
            } else {
                1.0
            };
            let flip = if det < 0.0 { -1.0 } else { 1.0 };
            (flip * mag * ct, mag * st, flip * mag * st, mag * ct)
        }
    };
    [
        [xi0 - (xr0 * ctx + yr0 * stx), ctx, stx],
        [yi0 - (-xr0 * sty + yr0 * cty), -sty, cty],
    ]
}
