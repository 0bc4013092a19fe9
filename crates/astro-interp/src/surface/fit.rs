//! A fitted (or given) polynomial surface: specification, range, least-squares fit and
//! fast evaluation at points and on grids.

use nalgebra::{DMatrix, DVector};
use ndarray::{Array2, ArrayViewMut2};

use super::basis::{Function, MAX_ORDER, XTerms};
use crate::{Error, Result};

/// The rectangle over which a surface is defined: Chebyshev and Legendre coordinates
/// are normalised to [-1, 1] over it (IRAF `xmin, xmax, ymin, ymax`).
///
/// ```
/// use astro_interp::surface::SurfaceRange;
/// let r = SurfaceRange::new(0.0, 100.0, -5.0, 5.0).unwrap();
/// assert_eq!(r.xmax, 100.0);
/// assert!(SurfaceRange::new(1.0, 1.0, 0.0, 1.0).is_err()); // xmax must exceed xmin
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceRange {
    /// Smallest x of the range.
    pub xmin: f64,
    /// Largest x of the range.
    pub xmax: f64,
    /// Smallest y of the range.
    pub ymin: f64,
    /// Largest y of the range.
    pub ymax: f64,
}

impl SurfaceRange {
    /// A range with `xmin < xmax` and `ymin < ymax`, all finite.
    ///
    /// ```
    /// use astro_interp::surface::SurfaceRange;
    /// assert!(SurfaceRange::new(0.0, 1.0, 0.0, f64::NAN).is_err());
    /// ```
    pub fn new(xmin: f64, xmax: f64, ymin: f64, ymax: f64) -> Result<Self> {
        for (keyword, v) in [
            ("xmin", xmin),
            ("xmax", xmax),
            ("ymin", ymin),
            ("ymax", ymax),
        ] {
            if !v.is_finite() {
                return Err(Error::InvalidParameter {
                    name: keyword,
                    value: v.to_string(),
                    reason: "the surface range must be finite".into(),
                });
            }
        }
        if xmax <= xmin {
            return Err(Error::InvalidParameter {
                name: "xmax",
                value: xmax.to_string(),
                reason: format!("must be greater than xmin = {xmin}"),
            });
        }
        if ymax <= ymin {
            return Err(Error::InvalidParameter {
                name: "ymax",
                value: ymax.to_string(),
                reason: format!("must be greater than ymin = {ymin}"),
            });
        }
        Ok(Self {
            xmin,
            xmax,
            ymin,
            ymax,
        })
    }

    /// The bounding box of the points, as geomap uses when `xmin…ymax` are INDEF. A
    /// degenerate axis (all points share one coordinate) is widened by ±0.5, as IRAF does.
    ///
    /// ```
    /// use astro_interp::surface::SurfaceRange;
    /// let r = SurfaceRange::from_data(&[1.0, 3.0, 2.0], &[5.0, 5.0, 5.0]).unwrap();
    /// assert_eq!((r.xmin, r.xmax, r.ymin, r.ymax), (1.0, 3.0, 4.5, 5.5));
    /// ```
    pub fn from_data(x: &[f64], y: &[f64]) -> Result<Self> {
        check_len("y", y.len(), x.len())?;
        if x.is_empty() {
            return Err(Error::NoDegreesOfFreedom {
                fit: "surface range",
                npts: 0,
                ncoeff: 1,
            });
        }
        check_finite("x", x)?;
        check_finite("y", y)?;
        let (mut xmin, mut xmax) = min_max(x);
        let (mut ymin, mut ymax) = min_max(y);
        if xmin == xmax {
            xmin -= 0.5;
            xmax += 0.5;
        }
        if ymin == ymax {
            ymin -= 0.5;
            ymax += 0.5;
        }
        Self::new(xmin, xmax, ymin, ymax)
    }

    /// IRAF's `(xrange, xmaxmin, yrange, ymaxmin)`: `x̂ = (x + xmaxmin) · xrange`.
    fn normalisation(&self, function: Function) -> [f64; 4] {
        if function.is_normalised() {
            [
                2.0 / (self.xmax - self.xmin),
                -(self.xmax + self.xmin) / 2.0,
                2.0 / (self.ymax - self.ymin),
                -(self.ymax + self.ymin) / 2.0,
            ]
        } else {
            [1.0, 0.0, 1.0, 0.0]
        }
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &a| {
            (lo.min(a), hi.max(a))
        })
}

pub(crate) fn check_len(name: &'static str, len: usize, expected: usize) -> Result<()> {
    if len != expected {
        return Err(Error::LengthMismatch {
            name,
            len,
            expected,
        });
    }
    Ok(())
}

pub(crate) fn check_finite(name: &'static str, v: &[f64]) -> Result<()> {
    match v.iter().position(|a| !a.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            name,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_weights(w: &[f64]) -> Result<()> {
    match w.iter().position(|a| !(a.is_finite() && *a >= 0.0)) {
        Some(index) => Err(Error::InvalidWeight {
            index,
            value: w[index],
        }),
        None => Ok(()),
    }
}

/// The shape of a surface: basis family, number of terms per axis and cross terms
/// (IRAF `function`, `xorder`, `yorder`, `xterms`). `order` is the number of terms, so
/// order 4 is a cubic.
///
/// ```
/// use astro_interp::surface::{Function, SurfaceSpec, XTerms};
/// let spec = SurfaceSpec::new(Function::Chebyshev, 4, 4, XTerms::Half);
/// assert_eq!(spec.ncoeff(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SurfaceSpec {
    /// Basis family.
    pub function: Function,
    /// Number of terms in x (1 = constant, 2 = linear, 4 = cubic), `1..=16`.
    pub xorder: usize,
    /// Number of terms in y, `1..=16`.
    pub yorder: usize,
    /// Cross terms.
    pub xterms: XTerms,
}

impl SurfaceSpec {
    /// A specification (validated when a surface is built or fitted).
    ///
    /// ```
    /// use astro_interp::surface::{Function, SurfaceSpec, XTerms};
    /// let s = SurfaceSpec::new(Function::Legendre, 3, 2, XTerms::Full);
    /// assert_eq!(s.ncoeff(), 6);
    /// ```
    pub fn new(function: Function, xorder: usize, yorder: usize, xterms: XTerms) -> Self {
        Self {
            function,
            xorder,
            yorder,
            xterms,
        }
    }

    /// Number of coefficients.
    ///
    /// ```
    /// use astro_interp::surface::{Function, SurfaceSpec, XTerms};
    /// assert_eq!(SurfaceSpec::new(Function::Polynomial, 3, 3, XTerms::None).ncoeff(), 5);
    /// ```
    pub fn ncoeff(&self) -> usize {
        self.xterms.ncoeff(self.xorder, self.yorder)
    }

    /// The `(i, j)` powers of the terms in coefficient order (y power outer).
    ///
    /// ```
    /// use astro_interp::surface::{Function, SurfaceSpec, XTerms};
    /// let s = SurfaceSpec::new(Function::Polynomial, 2, 2, XTerms::Full);
    /// assert_eq!(s.terms(), vec![(0, 0), (1, 0), (0, 1), (1, 1)]);
    /// ```
    pub fn terms(&self) -> Vec<(usize, usize)> {
        self.xterms.terms(self.xorder, self.yorder)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        for (keyword, v) in [("xorder", self.xorder), ("yorder", self.yorder)] {
            if v == 0 || v > MAX_ORDER {
                return Err(Error::InvalidParameter {
                    name: keyword,
                    value: v.to_string(),
                    reason: format!("the number of terms must be in 1..={MAX_ORDER}"),
                });
            }
        }
        Ok(())
    }
}

/// A two-dimensional polynomial surface `z = Σ c_ij B_i(x̂) B_j(ŷ)` in the manner of
/// IRAF `gsurfit`, with its coefficients, family, orders, cross terms and range.
///
/// Fit it with [`Surface::fit`] (weighted least squares by QR, with an SVD minimum-norm
/// fallback when the design matrix is rank deficient) or build it from known
/// coefficients with [`Surface::new`]. Evaluation at a point and on a grid give
/// bit-identical values for the same coordinates, for any number of threads.
///
/// ```
/// use astro_interp::surface::{Function, Surface, SurfaceRange, SurfaceSpec, XTerms};
/// // z = 1 + 2x + 3y sampled on a few points, fitted with a Chebyshev plane.
/// let x = [0.0, 10.0, 0.0, 10.0, 5.0];
/// let y = [0.0, 0.0, 10.0, 10.0, 5.0];
/// let z: Vec<f64> = x.iter().zip(&y).map(|(x, y)| 1.0 + 2.0 * x + 3.0 * y).collect();
/// let spec = SurfaceSpec::new(Function::Chebyshev, 2, 2, XTerms::None);
/// let range = SurfaceRange::from_data(&x, &y).unwrap();
/// let s = Surface::fit(spec, range, &x, &y, &z, None).unwrap();
/// assert!((s.eval(2.0, 7.0) - 26.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Surface {
    spec: SurfaceSpec,
    range: SurfaceRange,
    coeffs: Vec<f64>,
    terms: Vec<(usize, usize)>,
    rank: usize,
}

impl Surface {
    /// A surface with the given coefficients, in the order of [`SurfaceSpec::terms`].
    ///
    /// ```
    /// use astro_interp::surface::{Function, Surface, SurfaceRange, SurfaceSpec, XTerms};
    /// let spec = SurfaceSpec::new(Function::Polynomial, 2, 2, XTerms::Full);
    /// let range = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// // z = 1 + 2x + 3y + 4xy
    /// let s = Surface::new(spec, range, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    /// assert_eq!(s.eval(2.0, 3.0), 1.0 + 4.0 + 9.0 + 24.0);
    /// ```
    pub fn new(spec: SurfaceSpec, range: SurfaceRange, coeffs: Vec<f64>) -> Result<Self> {
        spec.validate()?;
        SurfaceRange::new(range.xmin, range.xmax, range.ymin, range.ymax)?;
        check_len("coefficients", coeffs.len(), spec.ncoeff())?;
        check_finite("coefficients", &coeffs)?;
        let rank = coeffs.len();
        Ok(Self {
            spec,
            range,
            terms: spec.terms(),
            coeffs,
            rank,
        })
    }

    /// The plane `z = c + cx·x + cy·y` (raw coordinates) as an order 2×2 surface without
    /// cross terms of the given family over `range` (how geomap stores its linear part).
    ///
    /// ```
    /// use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let range = SurfaceRange::new(0.0, 100.0, 0.0, 50.0).unwrap();
    /// let s = Surface::from_affine(Function::Legendre, range, 1.0, 2.0, -3.0).unwrap();
    /// assert!((s.eval(10.0, 20.0) - (1.0 + 20.0 - 60.0)).abs() < 1e-12);
    /// let [c, cx, cy] = s.affine().unwrap();
    /// assert!((c - 1.0).abs() < 1e-12 && (cx - 2.0).abs() < 1e-15 && (cy + 3.0).abs() < 1e-15);
    /// ```
    pub fn from_affine(
        function: Function,
        range: SurfaceRange,
        c: f64,
        cx: f64,
        cy: f64,
    ) -> Result<Self> {
        let [rx, mx, ry, my] = range.normalisation(function);
        let c1 = cx / rx;
        let c2 = cy / ry;
        let c0 = c - c1 * mx * rx - c2 * my * ry;
        Self::new(
            SurfaceSpec::new(function, 2, 2, XTerms::None),
            range,
            vec![c0, c1, c2],
        )
    }

    /// Fit the surface to `z(x, y)` by weighted least squares over `range`.
    ///
    /// * `weights`: `None` for unit weights; otherwise one finite, non-negative weight
    ///   per point. Points of zero weight are left out of the fit.
    /// * Errors: any non-finite `x`, `y`, `z` ([`Error::NonFinite`]: NaN is refused, not
    ///   skipped; give such a point weight 0 *and* a finite placeholder if it must stay
    ///   in the list), a negative or non-finite weight, mismatched lengths, and fewer
    ///   points of positive weight than coefficients ([`Error::NoDegreesOfFreedom`]).
    /// * Rank-deficient designs (e.g. all points on a line) are not an error: the
    ///   minimum-norm solution is returned, as `numpy.linalg.lstsq` does, and
    ///   [`Surface::rank`] reports the numerical rank (IRAF warns "singular fit").
    ///
    /// The design matrix (rows scaled by `sqrt(w)`, columns equilibrated to unit norm) is
    /// solved by Householder QR; the normal equations IRAF uses are avoided because they
    /// square the condition number (a raw-coordinate power series of order 6 over a
    /// 4k-pixel range is hopeless with them).
    ///
    /// ```
    /// use astro_interp::Error;
    /// use astro_interp::surface::{Function, Surface, SurfaceRange, SurfaceSpec, XTerms};
    /// let spec = SurfaceSpec::new(Function::Chebyshev, 3, 3, XTerms::Full); // 9 coefficients
    /// let range = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// let p = [0.0, 0.5, 1.0];
    /// let e = Surface::fit(spec, range, &p, &p, &p, None).unwrap_err();
    /// assert!(matches!(e, Error::NoDegreesOfFreedom { npts: 3, ncoeff: 9, .. }));
    /// ```
    pub fn fit(
        spec: SurfaceSpec,
        range: SurfaceRange,
        x: &[f64],
        y: &[f64],
        z: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Self> {
        Self::fit_labelled("surface fit", spec, range, x, y, z, weights)
    }

    pub(crate) fn fit_labelled(
        label: &'static str,
        spec: SurfaceSpec,
        range: SurfaceRange,
        x: &[f64],
        y: &[f64],
        z: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Self> {
        spec.validate()?;
        let range = SurfaceRange::new(range.xmin, range.xmax, range.ymin, range.ymax)?;
        let n = x.len();
        check_len("y", y.len(), n)?;
        check_len("z", z.len(), n)?;
        check_finite("x", x)?;
        check_finite("y", y)?;
        check_finite("z", z)?;
        if let Some(w) = weights {
            check_len("weights", w.len(), n)?;
            check_weights(w)?;
        }
        let wt = |k: usize| weights.map_or(1.0, |w| w[k]);
        let rows: Vec<usize> = (0..n).filter(|&k| wt(k) > 0.0).collect();
        let terms = spec.terms();
        let m = terms.len();
        if rows.len() < m {
            return Err(Error::NoDegreesOfFreedom {
                fit: label,
                npts: rows.len(),
                ncoeff: m,
            });
        }
        let [rx, mx, ry, my] = range.normalisation(spec.function);
        let mut a = DMatrix::<f64>::zeros(rows.len(), m);
        let mut b = DVector::<f64>::zeros(rows.len());
        let mut bx = [0.0; MAX_ORDER];
        let mut by = [0.0; MAX_ORDER];
        for (r, &k) in rows.iter().enumerate() {
            let sw = wt(k).sqrt();
            spec.function
                .basis((x[k] + mx) * rx, &mut bx[..spec.xorder]);
            spec.function
                .basis((y[k] + my) * ry, &mut by[..spec.yorder]);
            for (c, &(i, j)) in terms.iter().enumerate() {
                a[(r, c)] = sw * bx[i] * by[j];
            }
            b[r] = sw * z[k];
        }
        let (coeffs, rank) = lstsq(a, b)?;
        Ok(Self {
            spec,
            range,
            coeffs,
            terms,
            rank,
        })
    }

    /// The family, orders and cross terms.
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange, SurfaceSpec, XTerms};
    /// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// let s = Surface::from_affine(Function::Chebyshev, r, 0.0, 1.0, 0.0).unwrap();
    /// assert_eq!(s.spec().xorder, 2);
    /// ```
    pub fn spec(&self) -> SurfaceSpec {
        self.spec
    }

    /// The normalisation range.
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 8.0, 0.0, 4.0).unwrap();
    /// let s = Surface::from_affine(Function::Polynomial, r, 0.0, 1.0, 0.0).unwrap();
    /// assert_eq!(s.range(), r);
    /// ```
    pub fn range(&self) -> SurfaceRange {
        self.range
    }

    /// The coefficients in the order of [`Surface::terms`].
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(-1.0, 1.0, -1.0, 1.0).unwrap();
    /// let s = Surface::from_affine(Function::Chebyshev, r, 1.0, 2.0, 3.0).unwrap();
    /// assert_eq!(s.coefficients(), &[1.0, 2.0, 3.0]); // [-1,1] range: x̂ = x
    /// ```
    pub fn coefficients(&self) -> &[f64] {
        &self.coeffs
    }

    /// The `(i, j)` powers (x, y) of the terms, y power outer as IRAF stores them.
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// let s = Surface::from_affine(Function::Chebyshev, r, 0.0, 0.0, 0.0).unwrap();
    /// assert_eq!(s.terms(), &[(0, 0), (1, 0), (0, 1)]);
    /// ```
    pub fn terms(&self) -> &[(usize, usize)] {
        &self.terms
    }

    /// Number of coefficients.
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// assert_eq!(Surface::from_affine(Function::Legendre, r, 0.0, 0.0, 0.0).unwrap().ncoeff(), 3);
    /// ```
    pub fn ncoeff(&self) -> usize {
        self.coeffs.len()
    }

    /// Numerical rank of the weighted design matrix of the fit (singular values above
    /// `eps · max(n, ncoeff) · σ_max`, numpy's `lstsq` default); `ncoeff` for a surface
    /// built from coefficients.
    ///
    /// ```
    /// use astro_interp::surface::{Function, Surface, SurfaceRange, SurfaceSpec, XTerms};
    /// // Points on the line y = x cannot separate the x and y terms.
    /// let p = [0.0, 1.0, 2.0, 3.0];
    /// let spec = SurfaceSpec::new(Function::Polynomial, 2, 2, XTerms::None);
    /// let r = SurfaceRange::new(0.0, 3.0, 0.0, 3.0).unwrap();
    /// let s = Surface::fit(spec, r, &p, &p, &p, None).unwrap();
    /// assert_eq!(s.rank(), 2);
    /// assert!(s.is_singular());
    /// assert!((s.eval(1.5, 1.5) - 1.5).abs() < 1e-12);
    /// ```
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Whether the fit was rank deficient (IRAF's "Warning singular fit").
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// assert!(!Surface::from_affine(Function::Chebyshev, r, 0.0, 1.0, 0.0).unwrap().is_singular());
    /// ```
    pub fn is_singular(&self) -> bool {
        self.rank < self.coeffs.len()
    }

    /// The raw-coordinate plane `[c, cx, cy]` (`z = c + cx·x + cy·y`) when the surface
    /// has no term beyond `1, x, y`; `None` otherwise.
    ///
    /// ```
    /// use astro_interp::surface::{Function, Surface, SurfaceRange, SurfaceSpec, XTerms};
    /// let r = SurfaceRange::new(0.0, 10.0, 0.0, 10.0).unwrap();
    /// let quad = Surface::new(SurfaceSpec::new(Function::Chebyshev, 3, 1, XTerms::None), r,
    ///                         vec![0.0, 0.0, 1.0]).unwrap();
    /// assert!(quad.affine().is_none());
    /// ```
    pub fn affine(&self) -> Option<[f64; 3]> {
        let [rx, mx, ry, my] = self.range.normalisation(self.spec.function);
        let mut out = [0.0; 3];
        for (&(i, j), &c) in self.terms.iter().zip(&self.coeffs) {
            match (i, j) {
                (0, 0) => out[0] += c,
                (1, 0) => {
                    out[1] += c * rx;
                    out[0] += c * mx * rx;
                }
                (0, 1) => {
                    out[2] += c * ry;
                    out[0] += c * my * ry;
                }
                _ => return None,
            }
        }
        Some(out)
    }

    /// The surface in IRAF's `gssave` layout, as geomap writes it to its database:
    /// `[type, xorder, yorder, xterms, xmin, xmax, ymin, ymax, c…]` with type 1 = chebyshev,
    /// 2 = legendre, 3 = polynomial and xterms 0 = none, 1 = full, 2 = half.
    ///
    /// ```
    /// use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(1.0, 512.0, 1.0, 512.0).unwrap();
    /// let s = Surface::from_affine(Function::Polynomial, r, 183.826, 0.9782647, -0.6598479).unwrap();
    /// assert_eq!(
    ///     s.to_iraf(),
    ///     vec![3.0, 2.0, 2.0, 0.0, 1.0, 512.0, 1.0, 512.0, 183.826, 0.9782647, -0.6598479]
    /// );
    /// assert_eq!(Surface::from_iraf(&s.to_iraf()).unwrap(), s);
    /// ```
    pub fn to_iraf(&self) -> Vec<f64> {
        let t = match self.spec.function {
            Function::Chebyshev => 1.0,
            Function::Legendre => 2.0,
            Function::Polynomial => 3.0,
        };
        let xt = match self.spec.xterms {
            XTerms::None => 0.0,
            XTerms::Full => 1.0,
            XTerms::Half => 2.0,
        };
        let r = self.range;
        let mut out = vec![
            t,
            self.spec.xorder as f64,
            self.spec.yorder as f64,
            xt,
            r.xmin,
            r.xmax,
            r.ymin,
            r.ymax,
        ];
        out.extend_from_slice(&self.coeffs);
        out
    }

    /// A surface from IRAF's `gssave` layout (see [`Surface::to_iraf`]), e.g. one column
    /// of a geomap database `surface1`/`surface2` block. Entries beyond the coefficients
    /// (IRAF pads the shorter column with zeros) are ignored.
    ///
    /// ```
    /// use astro_interp::surface::{Function, Surface, XTerms};
    /// let save = [2.0, 2.0, 2.0, 0.0, -137.0, 137.0, -137.0, 137.0, 1042.987, 1050.882, -4.465763];
    /// let s = Surface::from_iraf(&save).unwrap();
    /// assert_eq!((s.spec().function, s.spec().xterms), (Function::Legendre, XTerms::None));
    /// assert!((s.eval(0.0, 0.0) - 1042.987).abs() < 1e-9);
    /// assert!(Surface::from_iraf(&save[..9]).is_err());
    /// ```
    pub fn from_iraf(save: &[f64]) -> Result<Self> {
        let bad = |reason: &str, v: f64| Error::InvalidParameter {
            name: "surface",
            value: v.to_string(),
            reason: reason.to_string(),
        };
        if save.len() < 8 {
            return Err(bad(
                "an IRAF surface needs at least 8 header values",
                save.len() as f64,
            ));
        }
        let int = |v: f64, what: &str| -> Result<usize> {
            if v.fract() == 0.0 && (0.0..=1e6).contains(&v) {
                Ok(v as usize)
            } else {
                Err(bad(what, v))
            }
        };
        let function = match int(save[0], "surface type must be 1, 2 or 3")? {
            1 => Function::Chebyshev,
            2 => Function::Legendre,
            3 => Function::Polynomial,
            _ => {
                return Err(bad(
                    "surface type must be 1 (chebyshev), 2 (legendre) or 3 (polynomial)",
                    save[0],
                ));
            }
        };
        let xorder = int(save[1], "xorder must be a whole number")?;
        let yorder = int(save[2], "yorder must be a whole number")?;
        let xterms = match int(save[3], "xterms must be 0, 1 or 2")? {
            0 => XTerms::None,
            1 => XTerms::Full,
            2 => XTerms::Half,
            _ => {
                return Err(bad(
                    "xterms must be 0 (none), 1 (full) or 2 (half)",
                    save[3],
                ));
            }
        };
        let spec = SurfaceSpec::new(function, xorder, yorder, xterms);
        spec.validate()?;
        let range = SurfaceRange::new(save[4], save[5], save[6], save[7])?;
        let n = spec.ncoeff();
        if save.len() < 8 + n {
            return Err(Error::LengthMismatch {
                name: "surface coefficients",
                len: save.len() - 8,
                expected: n,
            });
        }
        Self::new(spec, range, save[8..8 + n].to_vec())
    }

    /// The value at `(x, y)`. Points outside the range are extrapolated (as IRAF does).
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// let s = Surface::from_affine(Function::Chebyshev, r, 1.0, 1.0, 1.0).unwrap();
    /// assert!((s.eval(3.0, -1.0) - 3.0).abs() < 1e-12);
    /// ```
    pub fn eval(&self, x: f64, y: f64) -> f64 {
        Evaluator::new(self, None).point(x, y)
    }

    /// The partial derivatives `(∂z/∂x, ∂z/∂y)` at `(x, y)` (raw coordinates).
    ///
    /// ```
    /// use astro_interp::surface::{Function, Surface, SurfaceRange, SurfaceSpec, XTerms};
    /// let r = SurfaceRange::new(0.0, 10.0, 0.0, 10.0).unwrap();
    /// // z = 1 + 2x + 3y + 4xy (power series)
    /// let s = Surface::new(SurfaceSpec::new(Function::Polynomial, 2, 2, XTerms::Full), r,
    ///                      vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    /// assert_eq!(s.derivatives(1.0, 2.0), (2.0 + 8.0, 3.0 + 4.0));
    /// ```
    pub fn derivatives(&self, x: f64, y: f64) -> (f64, f64) {
        Evaluator::new(self, None).gradient(x, y)
    }

    /// Values at many points `(x[k], y[k])`.
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// let s = Surface::from_affine(Function::Polynomial, r, 0.0, 1.0, 10.0).unwrap();
    /// assert_eq!(s.eval_points(&[1.0, 2.0], &[0.0, 1.0]).unwrap(), vec![1.0, 12.0]);
    /// ```
    pub fn eval_points(&self, x: &[f64], y: &[f64]) -> Result<Vec<f64>> {
        check_len("y", y.len(), x.len())?;
        let e = Evaluator::new(self, None);
        Ok(x.iter().zip(y).map(|(&x, &y)| e.point(x, y)).collect())
    }

    /// Values on the grid `xs × ys`, an array of shape `(ys.len(), xs.len())` indexed
    /// `[[row, column]]`. The basis is evaluated once per column and once per row, so
    /// the cost is about `xorder` multiply-adds per pixel; rows run in parallel with the
    /// `rayon` feature, and every value is bit-identical to [`Surface::eval`] at the
    /// same point.
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// let r = SurfaceRange::new(0.0, 3.0, 0.0, 1.0).unwrap();
    /// let s = Surface::from_affine(Function::Chebyshev, r, 0.0, 1.0, 10.0).unwrap();
    /// let g = s.eval_grid(&[0.0, 1.0, 2.0, 3.0], &[0.0, 1.0]);
    /// assert_eq!(g.dim(), (2, 4));
    /// assert_eq!(g[[1, 2]], s.eval(2.0, 1.0));
    /// ```
    pub fn eval_grid(&self, xs: &[f64], ys: &[f64]) -> Array2<f64> {
        let mut out = Array2::zeros((ys.len(), xs.len()));
        Evaluator::new(self, None).grid_into(xs, ys, out.view_mut());
        out
    }

    /// [`Surface::eval_grid`] into an existing array of shape `(ys.len(), xs.len())`.
    ///
    /// ```
    /// # use astro_interp::surface::{Function, Surface, SurfaceRange};
    /// # use ndarray::Array2;
    /// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    /// let s = Surface::from_affine(Function::Legendre, r, 2.0, 0.0, 0.0).unwrap();
    /// let mut out = Array2::zeros((3, 2));
    /// s.eval_grid_into(&[0.0, 1.0], &[0.0, 0.5, 1.0], out.view_mut()).unwrap();
    /// assert!(out.iter().all(|&v| (v - 2.0).abs() < 1e-15));
    /// assert!(s.eval_grid_into(&[0.0], &[0.0], out.view_mut()).is_err());
    /// ```
    pub fn eval_grid_into(
        &self,
        xs: &[f64],
        ys: &[f64],
        out: ArrayViewMut2<'_, f64>,
    ) -> Result<()> {
        check_grid(xs, ys, &out)?;
        Evaluator::new(self, None).grid_into(xs, ys, out);
        Ok(())
    }
}

pub(crate) fn check_grid(xs: &[f64], ys: &[f64], out: &ArrayViewMut2<'_, f64>) -> Result<()> {
    if out.dim() != (ys.len(), xs.len()) {
        return Err(Error::ShapeMismatch {
            what: "output grid",
            expected: vec![ys.len(), xs.len()],
            got: out.shape().to_vec(),
        });
    }
    Ok(())
}

/// Weighted least squares on an already weighted design: equilibrate the columns, solve
/// by Householder QR, and fall back to an SVD minimum-norm solution with numpy's default
/// cut-off when the triangular factor shows the problem is (nearly) rank deficient.
fn lstsq(mut a: DMatrix<f64>, b: DVector<f64>) -> Result<(Vec<f64>, usize)> {
    let (n, m) = a.shape();
    let mut scale = vec![0.0; m];
    for (c, s) in scale.iter_mut().enumerate() {
        let norm = a.column(c).norm();
        *s = if norm > 0.0 { 1.0 / norm } else { 1.0 };
        a.column_mut(c).scale_mut(*s);
    }
    let rcond = f64::EPSILON * n.max(m) as f64;
    let qr = a.clone().qr();
    let r = qr.r();
    let diag: Vec<f64> = (0..m).map(|k| r[(k, k)].abs()).collect();
    let dmax = diag.iter().cloned().fold(0.0, f64::max);
    let dmin = diag.iter().cloned().fold(f64::INFINITY, f64::min);
    let (sol, rank) = if dmax > 0.0 && dmin > 1e-10 * dmax {
        let mut qtb = b.clone();
        qr.q_tr_mul(&mut qtb);
        let top = qtb.rows(0, m).into_owned();
        match r.solve_upper_triangular(&top) {
            Some(s) => (s, m),
            None => svd_solve(a, &b, rcond)?,
        }
    } else {
        svd_solve(a, &b, rcond)?
    };
    let coeffs = sol.iter().zip(&scale).map(|(v, s)| v * s).collect();
    Ok((coeffs, rank))
}

fn svd_solve(a: DMatrix<f64>, b: &DVector<f64>, rcond: f64) -> Result<(DVector<f64>, usize)> {
    let svd = nalgebra::SVD::try_new(a, true, true, f64::EPSILON, 0).ok_or(Error::Numerical {
        reason: "the SVD of the design matrix did not converge",
    })?;
    let smax = svd.singular_values.iter().cloned().fold(0.0, f64::max);
    let cut = rcond * smax;
    let rank = svd.singular_values.iter().filter(|&&s| s > cut).count();
    let sol = svd
        .solve(b, cut)
        .map_err(|reason| Error::Numerical { reason })?;
    Ok((sol, rank))
}

/// Shared evaluation engine for one or several surfaces of one family and range (the
/// linear part plus the higher-order residual of a geomap fit are summed term by term).
///
/// The value at `(x, y)` is computed as `Σ_i B_i(x̂) · cx_i(ŷ)` with
/// `cx_i = Σ_surfaces Σ_j c_ij B_j(ŷ)`, in a fixed order, for points and grids alike.
pub(crate) struct Evaluator<'a> {
    function: Function,
    norm: [f64; 4],
    xorder: usize,
    yorder: usize,
    first: &'a Surface,
    second: Option<&'a Surface>,
}

impl<'a> Evaluator<'a> {
    /// Both surfaces must share function and range (guaranteed by the callers).
    pub(crate) fn new(first: &'a Surface, second: Option<&'a Surface>) -> Self {
        let function = first.spec.function;
        let (xo2, yo2) = second.map_or((1, 1), |s| (s.spec.xorder, s.spec.yorder));
        Self {
            function,
            norm: first.range.normalisation(function),
            xorder: first.spec.xorder.max(xo2),
            yorder: first.spec.yorder.max(yo2),
            first,
            second,
        }
    }

    fn surfaces(&self) -> impl Iterator<Item = &'a Surface> {
        std::iter::once(self.first).chain(self.second)
    }

    #[inline]
    fn x_basis(&self, x: f64, out: &mut [f64]) {
        self.function
            .basis((x + self.norm[1]) * self.norm[0], &mut out[..self.xorder]);
    }

    #[inline]
    fn row_coeffs(&self, y: f64, cx: &mut [f64; MAX_ORDER]) {
        let mut by = [0.0; MAX_ORDER];
        self.function
            .basis((y + self.norm[3]) * self.norm[2], &mut by[..self.yorder]);
        cx[..self.xorder].fill(0.0);
        for s in self.surfaces() {
            for (&(i, j), &c) in s.terms.iter().zip(&s.coeffs) {
                cx[i] += c * by[j];
            }
        }
    }

    /// `(∂f/∂x, ∂f/∂y)` in raw coordinates.
    pub(crate) fn gradient(&self, x: f64, y: f64) -> (f64, f64) {
        let (mut bx, mut dbx, mut by, mut dby) = (
            [0.0; MAX_ORDER],
            [0.0; MAX_ORDER],
            [0.0; MAX_ORDER],
            [0.0; MAX_ORDER],
        );
        let tx = (x + self.norm[1]) * self.norm[0];
        let ty = (y + self.norm[3]) * self.norm[2];
        self.function
            .basis_and_derivative(tx, &mut bx[..self.xorder], &mut dbx[..self.xorder]);
        self.function
            .basis_and_derivative(ty, &mut by[..self.yorder], &mut dby[..self.yorder]);
        let (mut gx, mut gy) = (0.0, 0.0);
        for s in self.surfaces() {
            for (&(i, j), &c) in s.terms.iter().zip(&s.coeffs) {
                gx += c * dbx[i] * by[j];
                gy += c * bx[i] * dby[j];
            }
        }
        (gx * self.norm[0], gy * self.norm[2])
    }

    pub(crate) fn point(&self, x: f64, y: f64) -> f64 {
        let mut cx = [0.0; MAX_ORDER];
        self.row_coeffs(y, &mut cx);
        let mut bx = [0.0; MAX_ORDER];
        self.x_basis(x, &mut bx);
        let mut s = cx[0] * bx[0];
        for k in 1..self.xorder {
            s += cx[k] * bx[k];
        }
        s
    }

    /// Fill `out` (shape checked by the caller) with the values on `xs × ys`.
    pub(crate) fn grid_into(&self, xs: &[f64], ys: &[f64], mut out: ArrayViewMut2<'_, f64>) {
        let nx = xs.len();
        if nx == 0 || ys.is_empty() {
            return;
        }
        // Basis table, power-major: table[k * nx + i] = B_k(x̂_i).
        let mut table = vec![0.0; self.xorder * nx];
        let mut bx = [0.0; MAX_ORDER];
        for (i, &x) in xs.iter().enumerate() {
            self.x_basis(x, &mut bx);
            for k in 0..self.xorder {
                table[k * nx + i] = bx[k];
            }
        }
        let row = |y: f64, dst: &mut [f64]| {
            let mut cx = [0.0; MAX_ORDER];
            self.row_coeffs(y, &mut cx);
            let c0 = cx[0];
            for (d, &b) in dst.iter_mut().zip(&table[..nx]) {
                *d = c0 * b;
            }
            for k in 1..self.xorder {
                let ck = cx[k];
                for (d, &b) in dst.iter_mut().zip(&table[k * nx..(k + 1) * nx]) {
                    *d += ck * b;
                }
            }
        };
        let fill = |y: f64, mut r: ndarray::ArrayViewMut1<'_, f64>| match r.as_slice_mut() {
            Some(s) => row(y, s),
            None => {
                let mut buf = vec![0.0; nx];
                row(y, &mut buf);
                r.iter_mut().zip(&buf).for_each(|(d, &v)| *d = v);
            }
        };
        #[cfg(feature = "rayon")]
        {
            use ndarray::parallel::prelude::*;
            out.axis_iter_mut(ndarray::Axis(0))
                .into_par_iter()
                .with_min_len(4)
                .enumerate()
                .for_each(|(j, r)| fill(ys[j], r));
        }
        #[cfg(not(feature = "rayon"))]
        for (j, r) in out.axis_iter_mut(ndarray::Axis(0)).enumerate() {
            fill(ys[j], r);
        }
    }
}
