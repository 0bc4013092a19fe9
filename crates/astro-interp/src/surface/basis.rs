//! Basis families, cross-term sets and the one-dimensional basis recurrences.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Largest number of terms per axis a surface may have (IRAF sets no limit; a 16-term
/// basis is a degree-15 polynomial, far beyond anything geomap is used for).
///
/// ```
/// use astro_interp::surface::{Function, MAX_ORDER, Surface, SurfaceRange, SurfaceSpec, XTerms};
/// let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
/// let too_big = SurfaceSpec::new(Function::Chebyshev, MAX_ORDER + 1, 1, XTerms::None);
/// assert!(Surface::new(too_big, r, vec![0.0; MAX_ORDER + 1]).is_err());
/// ```
pub const MAX_ORDER: usize = 16;

/// The family of one-dimensional basis functions (IRAF `function`).
///
/// Chebyshev and Legendre polynomials are evaluated at coordinates normalised to
/// [-1, 1] over the surface range, `x̂ = (2x - (xmax + xmin)) / (xmax - xmin)`;
/// the power series uses the raw coordinates, exactly as IRAF's `gsurfit` does
/// (`GS_XRANGE = 1`, `GS_XMAXMIN = 0` for `polynomial`).
///
/// ```
/// use astro_interp::surface::Function;
/// let f: Function = "chebyshev".parse().unwrap();
/// assert_eq!(f, Function::Chebyshev);
/// assert_eq!(Function::default(), Function::Polynomial); // geomap's default
/// assert_eq!(f.to_string(), "chebyshev");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Function {
    /// Chebyshev polynomials of the first kind, `T0 = 1, T1 = x̂, Tk = 2x̂T(k-1) - T(k-2)`.
    Chebyshev,
    /// Legendre polynomials, `Pk = ((2k-1) x̂ P(k-1) - (k-1) P(k-2)) / k`.
    Legendre,
    /// Power series `1, x, x², …` in the raw (unnormalised) coordinates.
    #[default]
    Polynomial,
}

impl Function {
    /// The IRAF name of the family.
    ///
    /// ```
    /// use astro_interp::surface::Function;
    /// assert_eq!(Function::Legendre.name(), "legendre");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Function::Chebyshev => "chebyshev",
            Function::Legendre => "legendre",
            Function::Polynomial => "polynomial",
        }
    }

    /// Whether coordinates are normalised to [-1, 1] over the surface range before the
    /// basis is evaluated (true for Chebyshev and Legendre).
    ///
    /// ```
    /// use astro_interp::surface::Function;
    /// assert!(Function::Chebyshev.is_normalised());
    /// assert!(!Function::Polynomial.is_normalised());
    /// ```
    pub fn is_normalised(self) -> bool {
        !matches!(self, Function::Polynomial)
    }

    /// Fill `out` with the first `out.len()` basis functions at the (already normalised,
    /// for Chebyshev/Legendre) coordinate `t`.
    ///
    /// ```
    /// use astro_interp::surface::Function;
    /// let mut b = [0.0; 4];
    /// Function::Chebyshev.basis(0.5, &mut b);
    /// assert_eq!(b, [1.0, 0.5, -0.5, -1.0]); // T2 = 2t²-1, T3 = 4t³-3t
    /// Function::Polynomial.basis(3.0, &mut b);
    /// assert_eq!(b, [1.0, 3.0, 9.0, 27.0]);
    /// ```
    pub fn basis(self, t: f64, out: &mut [f64]) {
        let n = out.len();
        if n == 0 {
            return;
        }
        out[0] = 1.0;
        if n == 1 {
            return;
        }
        out[1] = t;
        match self {
            Function::Polynomial => {
                for k in 2..n {
                    out[k] = out[k - 1] * t;
                }
            }
            Function::Chebyshev => {
                let two_t = 2.0 * t;
                for k in 2..n {
                    out[k] = two_t * out[k - 1] - out[k - 2];
                }
            }
            Function::Legendre => {
                for k in 2..n {
                    let kf = k as f64;
                    out[k] = ((2.0 * kf - 1.0) * t * out[k - 1] - (kf - 1.0) * out[k - 2]) / kf;
                }
            }
        }
    }
}

impl Function {
    /// Fill `val` with the basis functions at `t` (as [`Function::basis`]) and `der` with
    /// their derivatives with respect to `t`, by differentiating the recurrences.
    ///
    /// ```
    /// use astro_interp::surface::Function;
    /// let (mut v, mut d) = ([0.0; 4], [0.0; 4]);
    /// Function::Chebyshev.basis_and_derivative(0.5, &mut v, &mut d);
    /// assert_eq!(d, [0.0, 1.0, 2.0, 0.0]); // T2' = 4t, T3' = 12t² - 3
    /// Function::Legendre.basis_and_derivative(0.5, &mut v, &mut d);
    /// let want = [0.0, 1.0, 1.5, 0.375]; // P2' = 3t, P3' = (15t² - 3)/2
    /// assert!(d.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15));
    /// ```
    pub fn basis_and_derivative(self, t: f64, val: &mut [f64], der: &mut [f64]) {
        let n = val.len().min(der.len());
        if n == 0 {
            return;
        }
        self.basis(t, &mut val[..n]);
        der[0] = 0.0;
        if n == 1 {
            return;
        }
        der[1] = 1.0;
        for k in 2..n {
            // B_k = a·t·B_{k-1} - c·B_{k-2}  =>  B_k' = a·(B_{k-1} + t·B_{k-1}') - c·B_{k-2}'
            let (a, c) = match self {
                Function::Polynomial => (1.0, 0.0),
                Function::Chebyshev => (2.0, 1.0),
                Function::Legendre => {
                    let kf = k as f64;
                    ((2.0 * kf - 1.0) / kf, (kf - 1.0) / kf)
                }
            };
            der[k] = a * (val[k - 1] + t * der[k - 1]) - c * der[k - 2];
        }
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Function {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "chebyshev" => Ok(Function::Chebyshev),
            "legendre" => Ok(Function::Legendre),
            "polynomial" => Ok(Function::Polynomial),
            _ => Err(Error::InvalidParameter {
                name: "function",
                value: s.to_string(),
                reason: "expected chebyshev, legendre or polynomial".into(),
            }),
        }
    }
}

/// Which cross terms a surface has (IRAF `xxterms` / `yxterms`).
///
/// With 0-based powers `i` in x (`i < xorder`) and `j` in y (`j < yorder`):
/// `None` keeps only the terms with `i = 0` or `j = 0` (`xorder + yorder - 1` terms),
/// `Half` keeps `i + j <= max(xorder, yorder) - 1`
/// (`xorder·yorder - m(m-1)/2` terms, `m = min(xorder, yorder)`), `Full` keeps all
/// `xorder·yorder` terms.
///
/// ```
/// use astro_interp::surface::XTerms;
/// assert_eq!(XTerms::Half.ncoeff(4, 4), 10);
/// assert_eq!(XTerms::None.ncoeff(4, 4), 7);
/// assert_eq!(XTerms::Full.ncoeff(4, 4), 16);
/// assert_eq!("half".parse::<XTerms>().unwrap(), XTerms::Half);
/// assert_eq!(XTerms::default(), XTerms::Half); // geomap's default
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum XTerms {
    /// No cross terms.
    None,
    /// Cross terms up to total degree `max(xorder, yorder) - 1`.
    #[default]
    Half,
    /// All cross terms.
    Full,
}

impl XTerms {
    /// The IRAF name of the cross-term setting.
    ///
    /// ```
    /// use astro_interp::surface::XTerms;
    /// assert_eq!(XTerms::Full.name(), "full");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            XTerms::None => "none",
            XTerms::Half => "half",
            XTerms::Full => "full",
        }
    }

    /// Number of x powers present in the row of y power `j`.
    pub(crate) fn row_len(self, xorder: usize, yorder: usize, j: usize) -> usize {
        match self {
            XTerms::Full => xorder,
            XTerms::None => {
                if j == 0 {
                    xorder
                } else {
                    1
                }
            }
            XTerms::Half => xorder.min(xorder.max(yorder) - j),
        }
    }

    /// Number of coefficients of a surface with these orders and this cross-term set.
    ///
    /// ```
    /// use astro_interp::surface::XTerms;
    /// assert_eq!(XTerms::Half.ncoeff(2, 2), 3); // half == none for a linear surface
    /// assert_eq!(XTerms::Half.ncoeff(5, 3), 12);
    /// ```
    pub fn ncoeff(self, xorder: usize, yorder: usize) -> usize {
        (0..yorder).map(|j| self.row_len(xorder, yorder, j)).sum()
    }

    /// The `(i, j)` powers of the terms in IRAF's storage order: y power `j` outer,
    /// x power `i` inner.
    ///
    /// ```
    /// use astro_interp::surface::XTerms;
    /// assert_eq!(
    ///     XTerms::Half.terms(3, 3),
    ///     vec![(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (0, 2)]
    /// );
    /// assert_eq!(XTerms::None.terms(2, 3), vec![(0, 0), (1, 0), (0, 1), (0, 2)]);
    /// ```
    pub fn terms(self, xorder: usize, yorder: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.ncoeff(xorder, yorder));
        for j in 0..yorder {
            for i in 0..self.row_len(xorder, yorder, j) {
                out.push((i, j));
            }
        }
        out
    }
}

impl fmt::Display for XTerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for XTerms {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "no" => Ok(XTerms::None),
            "half" => Ok(XTerms::Half),
            "full" | "yes" => Ok(XTerms::Full),
            _ => Err(Error::InvalidParameter {
                name: "xterms",
                value: s.to_string(),
                reason: "expected none, half or full".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_matches_iraf_count_formula() {
        for xo in 1..=8 {
            for yo in 1..=8 {
                let m = xo.min(yo);
                assert_eq!(XTerms::Half.ncoeff(xo, yo), xo * yo - m * (m - 1) / 2);
                assert_eq!(XTerms::None.ncoeff(xo, yo), xo + yo - 1);
                assert_eq!(XTerms::Full.ncoeff(xo, yo), xo * yo);
                let mx = xo.max(yo);
                for (i, j) in XTerms::Half.terms(xo, yo) {
                    assert!(i + j < mx && i < xo && j < yo);
                }
            }
        }
    }

    #[test]
    fn legendre_values() {
        let mut b = [0.0; 4];
        Function::Legendre.basis(0.5, &mut b);
        // P2 = (3t²-1)/2 = -0.125, P3 = (5t³-3t)/2 = -0.4375
        assert_eq!(b, [1.0, 0.5, -0.125, -0.4375]);
    }
}
