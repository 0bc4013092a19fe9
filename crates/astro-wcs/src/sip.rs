//! Simple Imaging Polynomial (SIP) distortion (Shupe et al. 2005).
//!
//! Forward: `u' = u + Σ A_p_q u^p v^q`, `v' = v + Σ B_p_q u^p v^q` with `(u, v)` the pixel
//! offset from `CRPIX`. Optional `AP`/`BP` give an approximate inverse, which this crate
//! uses only as the first guess of an exact iterative inverse.

use crate::error::{Error, Result};
use crate::header::Header;

/// The largest SIP order accepted (astropy accepts any; real data stop at 9).
///
/// # Examples
///
/// ```
/// assert_eq!(astro_wcs::MAX_SIP_ORDER, 9);
/// ```
pub const MAX_SIP_ORDER: usize = 9;

/// One SIP polynomial: coefficients `c[p][q]` of `u^p v^q`, `p + q <= order`.
#[derive(Debug, Clone, PartialEq)]
pub struct SipPolynomial {
    order: usize,
    /// Row-major (order+1)², entry `p * (order + 1) + q`; zero where `p + q > order`.
    coeffs: Vec<f64>,
}

impl SipPolynomial {
    /// A polynomial of the given order with all coefficients zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::SipPolynomial;
    /// let mut a = SipPolynomial::zeros(2);
    /// a.set(2, 0, 1e-6);
    /// assert!((a.eval(100.0, 0.0) - 1e-2).abs() < 1e-15);
    /// ```
    pub fn zeros(order: usize) -> Self {
        SipPolynomial {
            order,
            coeffs: vec![0.0; (order + 1) * (order + 1)],
        }
    }

    /// The order.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(astro_wcs::SipPolynomial::zeros(3).order(), 3);
    /// ```
    pub fn order(&self) -> usize {
        self.order
    }

    /// Coefficient of `u^p v^q` (zero outside the order).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(astro_wcs::SipPolynomial::zeros(2).get(5, 5), 0.0);
    /// ```
    pub fn get(&self, p: usize, q: usize) -> f64 {
        if p + q > self.order {
            0.0
        } else {
            self.coeffs[p * (self.order + 1) + q]
        }
    }

    /// Set the coefficient of `u^p v^q`.
    ///
    /// # Panics
    ///
    /// If `p + q > order` (a programming error; headers are validated with an error).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = astro_wcs::SipPolynomial::zeros(2);
    /// a.set(1, 1, 3.0);
    /// assert_eq!(a.get(1, 1), 3.0);
    /// ```
    pub fn set(&mut self, p: usize, q: usize, value: f64) {
        assert!(
            p + q <= self.order,
            "SIP term {p}_{q} beyond order {}",
            self.order
        );
        self.coeffs[p * (self.order + 1) + q] = value;
    }

    /// Value at `(u, v)` (Horner in both variables).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = astro_wcs::SipPolynomial::zeros(2);
    /// a.set(0, 2, 2.0);
    /// a.set(1, 0, 1.0);
    /// assert_eq!(a.eval(3.0, 2.0), 11.0);
    /// ```
    #[inline]
    pub fn eval(&self, u: f64, v: f64) -> f64 {
        let n = self.order + 1;
        let mut sum = 0.0;
        for p in (0..n).rev() {
            let row = &self.coeffs[p * n..p * n + (n - p)];
            let mut inner = 0.0;
            for &c in row.iter().rev() {
                inner = inner * v + c;
            }
            sum = sum * u + inner;
        }
        sum
    }

    /// The inner Horner sums `Σ_q c[p][q] v^q` for every `p` (for a fixed `v`, e.g. one
    /// image row). [`SipPolynomial::eval_outer`] of them gives exactly (bit for bit)
    /// [`SipPolynomial::eval`].
    #[inline]
    pub(crate) fn eval_inner(&self, v: f64, out: &mut [f64; MAX_SIP_ORDER + 1]) {
        let n = self.order + 1;
        for (p, slot) in out.iter_mut().enumerate().take(n) {
            let row = &self.coeffs[p * n..p * n + (n - p)];
            let mut inner = 0.0;
            for &c in row.iter().rev() {
                inner = inner * v + c;
            }
            *slot = inner;
        }
    }

    /// The outer Horner sum over precomputed inner sums (see `eval_inner`).
    #[inline(always)]
    pub(crate) fn eval_outer(&self, inner: &[f64; MAX_SIP_ORDER + 1], u: f64) -> f64 {
        let mut sum = 0.0;
        for &c in inner[..=self.order].iter().rev() {
            sum = sum * u + c;
        }
        sum
    }

    /// Value and partial derivatives `(f, df/du, df/dv)` at `(u, v)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = astro_wcs::SipPolynomial::zeros(2);
    /// a.set(1, 1, 2.0);
    /// assert_eq!(a.eval_with_gradient(3.0, 5.0), (30.0, 10.0, 6.0));
    /// ```
    pub fn eval_with_gradient(&self, u: f64, v: f64) -> (f64, f64, f64) {
        let n = self.order + 1;
        let (mut f, mut fu, mut fv) = (0.0, 0.0, 0.0);
        for p in (0..n).rev() {
            let row = &self.coeffs[p * n..p * n + (n - p)];
            // inner(v) and its derivative
            let (mut g, mut gv) = (0.0, 0.0);
            for &c in row.iter().rev() {
                gv = gv * v + g;
                g = g * v + c;
            }
            fu = fu * u + f;
            f = f * u + g;
            fv = fv * u + gv;
        }
        (f, fu, fv)
    }

    fn read(header: &Header, name: &str) -> Result<Option<SipPolynomial>> {
        let order_kw = format!("{name}_ORDER");
        let Some(order) = header.get_i64(&order_kw)? else {
            return Ok(None);
        };
        if !(0..=MAX_SIP_ORDER as i64).contains(&order) {
            return Err(Error::InvalidKeyword {
                keyword: order_kw,
                reason: format!("SIP order {order} outside 0..={MAX_SIP_ORDER}"),
            });
        }
        let order = order as usize;
        if order < 2 {
            // astropy: an order below 2 means "no SIP polynomial".
            return Ok(None);
        }
        let mut poly = SipPolynomial::zeros(order);
        let prefix = format!("{name}_");
        for card in header.cards() {
            let Some(rest) = card
                .keyword
                .to_ascii_uppercase()
                .strip_prefix(&prefix)
                .map(str::to_string)
            else {
                continue;
            };
            if card.value.is_none() || rest == "ORDER" || rest == "DMAX" {
                continue;
            }
            let Some((p, q)) = rest.split_once('_') else {
                continue;
            };
            let (Ok(p), Ok(q)) = (p.parse::<usize>(), q.parse::<usize>()) else {
                continue;
            };
            if p.checked_add(q).is_none_or(|n| n > order) {
                return Err(Error::InvalidDistortion {
                    kind: "SIP".into(),
                    reason: format!("{} is beyond {order_kw} = {order}", card.keyword),
                });
            }
            let value = header.require_f64(&card.keyword)?;
            if !value.is_finite() {
                return Err(Error::InvalidKeyword {
                    keyword: card.keyword.clone(),
                    reason: "SIP coefficient must be finite".into(),
                });
            }
            poly.set(p, q, value);
        }
        Ok(Some(poly))
    }
}

/// SIP distortion: forward polynomials `A`, `B` and optional inverse `AP`, `BP`, all
/// relative to `CRPIX`.
///
/// # Examples
///
/// ```
/// use astro_wcs::{Header, Sip};
///
/// let header = Header::parse_text(
///     "A_ORDER = 2\nB_ORDER = 2\nA_2_0   = 1e-6\nB_0_2   = -1e-6\n",
/// )?;
/// let sip = Sip::from_header(&header)?.expect("SIP present");
/// // offsets from CRPIX (u, v) -> corrections (du, dv)
/// let (du, dv) = sip.distortion(100.0, 100.0);
/// assert!((du - 1e-2).abs() < 1e-15 && (dv + 1e-2).abs() < 1e-15);
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sip {
    /// `A_p_q`.
    pub a: SipPolynomial,
    /// `B_p_q`.
    pub b: SipPolynomial,
    /// `AP_p_q`, if present.
    pub ap: Option<SipPolynomial>,
    /// `BP_p_q`, if present.
    pub bp: Option<SipPolynomial>,
}

impl Sip {
    /// Read SIP keywords (which never carry an alternate-WCS letter). `None` when the header
    /// has no `A_ORDER` and no `B_ORDER` (an order below 2 counts as absent, as in astropy).
    ///
    /// Unlike astropy, which silently drops SIP when `B_ORDER < 2`, and ignores
    /// coefficients beyond the order, inconsistent SIP keywords are errors here.
    ///
    /// # Errors
    ///
    /// [`Error::MissingKeyword`] for `A_ORDER` without `B_ORDER` (and the reverse, and the
    /// same for `AP`/`BP`), [`Error::InvalidDistortion`] for a coefficient beyond its
    /// order or `AP` without `BP`, [`Error::InvalidKeyword`] for orders outside 0..=9.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::{Error, Header, Sip};
    /// let h = Header::parse_text("A_ORDER = 2\nA_1_1   = 1e-6\n")?;
    /// let err = Sip::from_header(&h).unwrap_err();
    /// assert!(matches!(err, Error::MissingKeyword { ref keyword } if keyword == "B_ORDER"));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn from_header(header: &Header) -> Result<Option<Sip>> {
        let a = SipPolynomial::read(header, "A")?;
        let b = SipPolynomial::read(header, "B")?;
        let ap = SipPolynomial::read(header, "AP")?;
        let bp = SipPolynomial::read(header, "BP")?;
        let pair = |x: &Option<SipPolynomial>, y: &Option<SipPolynomial>, nx: &str, ny: &str| {
            let mismatch = |have: &str, other: &str| {
                let kw = format!("{other}_ORDER");
                if header.contains(&kw) {
                    Err(Error::InvalidDistortion {
                        kind: "SIP".into(),
                        reason: format!(
                            "{have}_ORDER >= 2 but {kw} < 2: both polynomials must be present"
                        ),
                    })
                } else {
                    Err(Error::MissingKeyword { keyword: kw })
                }
            };
            match (x.is_some(), y.is_some()) {
                (true, false) => mismatch(nx, ny),
                (false, true) => mismatch(ny, nx),
                _ => Ok(()),
            }
        };
        pair(&a, &b, "A", "B")?;
        pair(&ap, &bp, "AP", "BP")?;
        match (a, b) {
            (Some(a), Some(b)) => Ok(Some(Sip { a, b, ap, bp })),
            _ => {
                if ap.is_some() {
                    return Err(Error::InvalidDistortion {
                        kind: "SIP".into(),
                        reason: "AP_ORDER/BP_ORDER present without A_ORDER/B_ORDER".into(),
                    });
                }
                Ok(None)
            }
        }
    }

    /// Forward correction `(A(u, v), B(u, v))` at offsets `(u, v)` from `CRPIX`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::{Sip, SipPolynomial};
    /// let sip = Sip { a: SipPolynomial::zeros(2), b: SipPolynomial::zeros(2), ap: None, bp: None };
    /// assert_eq!(sip.distortion(5.0, 5.0), (0.0, 0.0));
    /// ```
    #[inline]
    pub fn distortion(&self, u: f64, v: f64) -> (f64, f64) {
        (self.a.eval(u, v), self.b.eval(u, v))
    }

    /// The approximate inverse correction `(AP(U, V), BP(U, V))`, if present.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::{Sip, SipPolynomial};
    /// let sip = Sip { a: SipPolynomial::zeros(2), b: SipPolynomial::zeros(2), ap: None, bp: None };
    /// assert_eq!(sip.inverse_guess(5.0, 5.0), None);
    /// ```
    pub fn inverse_guess(&self, u: f64, v: f64) -> Option<(f64, f64)> {
        match (&self.ap, &self.bp) {
            (Some(ap), Some(bp)) => Some((ap.eval(u, v), bp.eval(u, v))),
            _ => None,
        }
    }

    /// Write the SIP keywords into `header`.
    pub(crate) fn write(&self, header: &mut Header) {
        let mut put = |name: &str, poly: &SipPolynomial| {
            header.set(&format!("{name}_ORDER"), poly.order as i64);
            for p in 0..=poly.order {
                for q in 0..=(poly.order - p) {
                    let c = poly.get(p, q);
                    if c != 0.0 {
                        header.set(&format!("{name}_{p}_{q}"), c);
                    }
                }
            }
        };
        put("A", &self.a);
        put("B", &self.b);
        if let (Some(ap), Some(bp)) = (&self.ap, &self.bp) {
            put("AP", ap);
            put("BP", bp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_matches_naive_sum() {
        let mut a = SipPolynomial::zeros(4);
        let mut k = 1.0;
        for p in 0..=4 {
            for q in 0..=(4 - p) {
                a.set(p, q, k * 1e-3);
                k += 1.0;
            }
        }
        let (u, v): (f64, f64) = (1.7, -2.3);
        let mut naive = 0.0;
        let mut du = 0.0;
        let mut dv = 0.0;
        for p in 0..=4usize {
            for q in 0..=(4 - p) {
                let c = a.get(p, q);
                naive += c * u.powi(p as i32) * v.powi(q as i32);
                if p > 0 {
                    du += c * p as f64 * u.powi(p as i32 - 1) * v.powi(q as i32);
                }
                if q > 0 {
                    dv += c * q as f64 * u.powi(p as i32) * v.powi(q as i32 - 1);
                }
            }
        }
        assert!((a.eval(u, v) - naive).abs() < 1e-14);
        let (f, fu, fv) = a.eval_with_gradient(u, v);
        assert!((f - naive).abs() < 1e-14);
        assert!((fu - du).abs() < 1e-13, "{fu} {du}");
        assert!((fv - dv).abs() < 1e-13, "{fv} {dv}");
    }

    #[test]
    fn errors() {
        let h = Header::parse_text("A_ORDER = 2\nB_ORDER = 2\nA_3_0   = 1.0\n").unwrap();
        let e = Sip::from_header(&h).unwrap_err();
        assert!(e.to_string().contains("A_3_0"), "{e}");
        let h = Header::parse_text("A_ORDER = 2\nB_ORDER = 2\nAP_ORDER= 2\n").unwrap();
        let e = Sip::from_header(&h).unwrap_err();
        assert!(matches!(e, Error::MissingKeyword { ref keyword } if keyword == "BP_ORDER"));
        let h = Header::parse_text("A_ORDER = 12\nB_ORDER = 2\n").unwrap();
        assert!(
            Sip::from_header(&h)
                .unwrap_err()
                .to_string()
                .contains("A_ORDER")
        );
    }
}
