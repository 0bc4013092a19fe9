//! The TPV distortion: a polynomial in intermediate world coordinates (degrees), applied
//! after the linear transformation and before the TAN projection (SCAMP / WCSLIB
//! convention, `CTYPEi = 'RA---TPV'`, coefficients `PV1_0..PV1_39`, `PV2_0..PV2_39`).
//!
//! `ξ = Σ PV1_k T_k(x, y)`, `η = Σ PV2_k T_k(y, x)` where `T_k` runs over
//! `1, x, y, r, x², xy, y², x³, x²y, xy², y³, r³, x⁴, … , y⁷, r⁷` and `r = √(x² + y²)`.
//! Absent coefficients are zero, as in WCSLIB.

use crate::error::{Error, Result};
use crate::header::Header;

/// Number of TPV coefficients per axis (`PVi_0` … `PVi_39`).
///
/// # Examples
///
/// ```
/// assert_eq!(astro_wcs::TPV_TERMS, 40);
/// ```
pub const TPV_TERMS: usize = 40;

/// Powers `(px, py, pr)` of term `k`.
const fn term_powers() -> [(u8, u8, u8); TPV_TERMS] {
    let mut out = [(0u8, 0u8, 0u8); TPV_TERMS];
    let mut k = 0;
    let mut degree = 0u8;
    while degree <= 7 {
        let mut py = 0u8;
        while py <= degree {
            out[k] = (degree - py, py, 0);
            k += 1;
            py += 1;
        }
        if degree % 2 == 1 {
            out[k] = (0, 0, degree);
            k += 1;
        }
        degree += 1;
    }
    out
}

const POWERS: [(u8, u8, u8); TPV_TERMS] = term_powers();

/// TPV polynomial coefficients of both axes.
///
/// # Examples
///
/// ```
/// use astro_wcs::{Header, Tpv};
/// let h = Header::parse_text("PV1_1   = 1.0\nPV2_1   = 1.0\nPV1_4   = 0.5\n")?;
/// let tpv = Tpv::from_header(&h, 1, 2, "")?.expect("TPV coefficients");
/// let (xi, eta) = tpv.apply(0.1, 0.2);
/// assert!((xi - (0.1 + 0.5 * 0.01)).abs() < 1e-15 && (eta - 0.2).abs() < 1e-15);
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tpv {
    /// Coefficients of ξ (`PV{lon}_k`).
    pub xi: [f64; TPV_TERMS],
    /// Coefficients of η (`PV{lat}_k`).
    pub eta: [f64; TPV_TERMS],
}

fn eval_poly(c: &[f64; TPV_TERMS], x: f64, y: f64) -> (f64, f64, f64) {
    // Value and gradient (d/dx, d/dy).
    let r = x.hypot(y);
    let mut xp = [1.0f64; 8];
    let mut yp = [1.0f64; 8];
    let mut rp = [1.0f64; 8];
    for i in 1..8 {
        xp[i] = xp[i - 1] * x;
        yp[i] = yp[i - 1] * y;
        rp[i] = rp[i - 1] * r;
    }
    let (mut f, mut fx, mut fy) = (0.0, 0.0, 0.0);
    for (k, &(px, py, pr)) in POWERS.iter().enumerate() {
        let ck = c[k];
        if ck == 0.0 {
            continue;
        }
        let (px, py, pr) = (px as usize, py as usize, pr as usize);
        if pr > 0 {
            f += ck * rp[pr];
            if r > 0.0 {
                // d r^n / dx = n r^(n-2) x
                let d = pr as f64 * rp[pr - 1] / r;
                fx += ck * d * x;
                fy += ck * d * y;
            } else if pr == 1 {
                // not differentiable at the origin; use the one-sided value 0
            }
        } else {
            f += ck * xp[px] * yp[py];
            if px > 0 {
                fx += ck * px as f64 * xp[px - 1] * yp[py];
            }
            if py > 0 {
                fy += ck * py as f64 * xp[px] * yp[py - 1];
            }
        }
    }
    (f, fx, fy)
}

impl Tpv {
    /// Read `PV{lon}_k` and `PV{lat}_k` (with the alternate-WCS letter `key_suffix`, `""`
    /// for the primary WCS). `None` when no coefficient is present.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKeyword`] for a non-numeric or non-finite coefficient, or an index
    /// beyond 39.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::{Header, Tpv};
    /// assert!(Tpv::from_header(&Header::new(), 1, 2, "")?.is_none());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn from_header(
        header: &Header,
        lon_axis: usize,
        lat_axis: usize,
        key_suffix: &str,
    ) -> Result<Option<Tpv>> {
        let mut tpv = Tpv {
            xi: [0.0; TPV_TERMS],
            eta: [0.0; TPV_TERMS],
        };
        let mut any = false;
        for (axis, target) in [(lon_axis, &mut tpv.xi), (lat_axis, &mut tpv.eta)] {
            let prefix = format!("PV{axis}_");
            for card in header.cards() {
                if card.value.is_none() {
                    continue;
                }
                let kw = card.keyword.to_ascii_uppercase();
                let Some(rest) = kw.strip_prefix(&prefix) else {
                    continue;
                };
                let Some(index) = rest.strip_suffix(key_suffix) else {
                    continue;
                };
                let Ok(m) = index.parse::<usize>() else {
                    continue;
                };
                if m >= TPV_TERMS {
                    return Err(Error::InvalidKeyword {
                        keyword: card.keyword.clone(),
                        reason: format!("TPV has coefficients 0..={} only", TPV_TERMS - 1),
                    });
                }
                let v = header.require_f64(&card.keyword)?;
                if !v.is_finite() {
                    return Err(Error::InvalidKeyword {
                        keyword: card.keyword.clone(),
                        reason: "TPV coefficient must be finite".into(),
                    });
                }
                target[m] = v;
                any = true;
            }
        }
        Ok(any.then_some(tpv))
    }

    /// Apply the polynomial to intermediate world coordinates `(x, y)` (degrees).
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Tpv;
    /// let mut tpv = Tpv { xi: [0.0; 40], eta: [0.0; 40] };
    /// tpv.xi[1] = 1.0;
    /// tpv.eta[1] = 1.0;
    /// assert_eq!(tpv.apply(0.25, -0.5), (0.25, -0.5));
    /// ```
    #[inline]
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        (eval_poly(&self.xi, x, y).0, eval_poly(&self.eta, y, x).0)
    }

    /// The polynomial with its Jacobian `[[dξ/dx, dξ/dy], [dη/dx, dη/dy]]`.
    pub(crate) fn apply_with_jacobian(&self, x: f64, y: f64) -> ((f64, f64), [[f64; 2]; 2]) {
        let (xi, xi_x, xi_y) = eval_poly(&self.xi, x, y);
        // η's polynomial takes (y, x): its "x" derivative is d/dy.
        let (eta, eta_y, eta_x) = eval_poly(&self.eta, y, x);
        ((xi, eta), [[xi_x, xi_y], [eta_x, eta_y]])
    }

    /// Invert the polynomial by Newton iteration, starting from `(xi, eta)` itself.
    ///
    /// # Errors
    ///
    /// [`Error::NoConvergence`] (coordinates in degrees) when the iteration fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Tpv;
    /// let mut tpv = Tpv { xi: [0.0; 40], eta: [0.0; 40] };
    /// tpv.xi[1] = 1.0;
    /// tpv.eta[1] = 1.0;
    /// tpv.xi[4] = 0.1;
    /// let (xi, eta) = tpv.apply(0.3, 0.2);
    /// let (x, y) = tpv.invert(xi, eta)?;
    /// assert!((x - 0.3).abs() < 1e-14 && (y - 0.2).abs() < 1e-14);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn invert(&self, xi: f64, eta: f64) -> Result<(f64, f64)> {
        let (mut x, mut y) = (xi, eta);
        let scale = xi.abs().max(eta.abs()).max(1e-3);
        let mut last = f64::INFINITY;
        for it in 0..100 {
            let ((fx, fy), j) = self.apply_with_jacobian(x, y);
            let (rx, ry) = (fx - xi, fy - eta);
            let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
            if det == 0.0 || !det.is_finite() {
                return Err(Error::NoConvergence {
                    x,
                    y,
                    iterations: it,
                    residual: rx.hypot(ry),
                });
            }
            let dx = (j[1][1] * rx - j[0][1] * ry) / det;
            let dy = (-j[1][0] * rx + j[0][0] * ry) / det;
            x -= dx;
            y -= dy;
            let step = dx.hypot(dy);
            last = step;
            if step <= 1e-15 * scale {
                return Ok((x, y));
            }
        }
        let ((fx, fy), _) = self.apply_with_jacobian(x, y);
        if (fx - xi).hypot(fy - eta) <= 1e-14 * scale {
            return Ok((x, y));
        }
        Err(Error::NoConvergence {
            x,
            y,
            iterations: 100,
            residual: last,
        })
    }

    pub(crate) fn write(
        &self,
        header: &mut Header,
        lon_axis: usize,
        lat_axis: usize,
        suffix: &str,
    ) {
        for (axis, c) in [(lon_axis, &self.xi), (lat_axis, &self.eta)] {
            for (m, &v) in c.iter().enumerate() {
                if v != 0.0 {
                    header.set(&format!("PV{axis}_{m}{suffix}"), v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_table() {
        assert_eq!(POWERS[0], (0, 0, 0));
        assert_eq!(POWERS[1], (1, 0, 0));
        assert_eq!(POWERS[2], (0, 1, 0));
        assert_eq!(POWERS[3], (0, 0, 1));
        assert_eq!(POWERS[4], (2, 0, 0));
        assert_eq!(POWERS[6], (0, 2, 0));
        assert_eq!(POWERS[10], (0, 3, 0));
        assert_eq!(POWERS[11], (0, 0, 3));
        assert_eq!(POWERS[12], (4, 0, 0));
        assert_eq!(POWERS[23], (0, 0, 5));
        assert_eq!(POWERS[24], (6, 0, 0));
        assert_eq!(POWERS[31], (7, 0, 0));
        assert_eq!(POWERS[38], (0, 7, 0));
        assert_eq!(POWERS[39], (0, 0, 7));
    }

    #[test]
    fn jacobian_matches_finite_difference() {
        let mut tpv = Tpv {
            xi: [0.0; TPV_TERMS],
            eta: [0.0; TPV_TERMS],
        };
        for k in 0..TPV_TERMS {
            tpv.xi[k] = 0.01 * (k as f64 + 1.0).sin();
            tpv.eta[k] = 0.01 * (k as f64 + 2.0).cos();
        }
        tpv.xi[1] += 1.0;
        tpv.eta[1] += 1.0;
        let (x, y) = (0.3, -0.2);
        let (_, j) = tpv.apply_with_jacobian(x, y);
        let h = 1e-6;
        let (a, b) = tpv.apply(x + h, y);
        let (c, d) = tpv.apply(x - h, y);
        assert!(((a - c) / (2.0 * h) - j[0][0]).abs() < 1e-8);
        assert!(((b - d) / (2.0 * h) - j[1][0]).abs() < 1e-8);
        let (a, b) = tpv.apply(x, y + h);
        let (c, d) = tpv.apply(x, y - h);
        assert!(((a - c) / (2.0 * h) - j[0][1]).abs() < 1e-8);
        assert!(((b - d) / (2.0 * h) - j[1][1]).abs() < 1e-8);
        let (xi, eta) = tpv.apply(x, y);
        let (bx, by) = tpv.invert(xi, eta).unwrap();
        assert!((bx - x).abs() < 1e-13 && (by - y).abs() < 1e-13);
    }
}
