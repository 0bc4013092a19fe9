//! HEALPix (HPX, `PV2_1` = H facets in longitude, default 4, `PV2_2` = K facets in
//! latitude, default 3) and its polar "butterfly" form XPH, after Calabretta & Roukema
//! (2007, MNRAS 381, 865) with WCSLIB's numerics.

use super::trig::{R2D, asind, sind};
use super::{Offset, bchk, param};
use std::f64::consts::PI;

/// HPX: HEALPix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hpx {
    k: f64,
    h_odd: bool,
    k_odd: bool,
    w2: f64,
    w3: f64,
    w4: f64,
    w5: f64,
    w6: f64,
    w7: f64,
}

impl Hpx {
    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let h = param(pv, 1, 4.0);
        let k = param(pv, 2, 3.0);
        if h <= 0.0 || k <= 0.0 || h.is_nan() || k.is_nan() {
            return Err(format!(
                "PV2_1 (H) = {h} and PV2_2 (K) = {k} must be positive"
            ));
        }
        Ok(Hpx {
            k,
            h_odd: ((h + 0.5) as i64) % 2 != 0,
            k_odd: ((k + 0.5) as i64) % 2 != 0,
            w2: (k - 1.0) / k,
            w3: 90.0 * k / h,
            w4: (k + 1.0) / 2.0,
            w5: 90.0 * (k - 1.0) / h,
            w6: 180.0 / h,
            w7: h / 360.0,
        })
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        let slim = self.w6 + 1.0e-12;
        let ylim = self.w6 * self.w4;
        let mut phi = x + o.x0;
        // Offset from the centre of the facet column (for K odd or the north).
        let centre = -180.0 + (2.0 * ((x + 180.0) * self.w7).floor() + 1.0) * self.w6;
        let mut dx = x - centre;
        let yr = y + o.y0;
        let absy = yr.abs();
        let theta = if absy <= self.w5 {
            // Equatorial regime.
            asind(yr / self.w3)
        } else if absy <= ylim {
            // Polar regime.
            let sigma = self.w4 - absy / self.w6;
            let (s, t) = if sigma == 0.0 {
                (1.0e9, 90.0)
            } else {
                let t = 1.0 - sigma * sigma / self.k;
                if t < -1.0 {
                    return None;
                }
                (1.0 / sigma, asind(t))
            };
            let t = if y < 0.0 { -t } else { t };
            if !(self.k_odd || y > 0.0) {
                // Offset the southern polar half-facets for even K.
                let h = (phi / self.w6).floor() as i64 + i64::from(self.h_odd);
                if h % 2 != 0 {
                    dx -= self.w6;
                } else {
                    dx += self.w6;
                }
            }
            let mut r = s * dx;
            if slim <= r.abs() {
                return None;
            }
            if r != 0.0 {
                r -= dx;
            }
            phi += r;
            t
        } else {
            // Beyond the latitude range.
            return None;
        };
        bchk(1.0e-12, phi, theta)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let mut x = phi - o.x0;
        let centre = -180.0 + (2.0 * ((phi + 180.0) * self.w7).floor() + 1.0) * self.w6;
        let mut dphi = phi - centre;
        let sin_t = sind(theta);
        let abssin = sin_t.abs();
        let y = if abssin <= self.w2 {
            // Equatorial regime.
            self.w3 * sin_t - o.y0
        } else {
            // Polar regime.
            let sigma = (self.k * (1.0 - abssin)).sqrt();
            let xi = sigma - 1.0;
            let mut eta = self.w6 * (self.w4 - sigma);
            if theta < 0.0 {
                eta = -eta;
            }
            if !(self.k_odd || theta > 0.0) {
                // Offset the southern polar half-facets for even K.
                let h = ((x + o.x0) / self.w6).floor() as i64 + i64::from(self.h_odd);
                if h % 2 != 0 {
                    dphi -= self.w6;
                } else {
                    dphi += self.w6;
                }
            }
            x += dphi * xi;
            if 180.0 < x {
                x = 360.0 - x;
            }
            eta - o.y0
        };
        if x.is_finite() && y.is_finite() {
            Some((x, y))
        } else {
            None
        }
    }
}

/// XPH plane scale: 1/sqrt(2).
const XPH_W0: f64 = 1.0 / std::f64::consts::SQRT_2;
/// XPH: colatitude (radians) below which the polar formula is linearised.
const XPH_TOL: f64 = 1.0e-4;

/// sqrt(2/3) * 180/pi.
#[inline]
fn xph_w4() -> f64 {
    (2.0f64 / 3.0).sqrt() * R2D
}

/// XPH: HEALPix polar ("butterfly").
#[inline]
pub(crate) fn xph_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-12;
    let xr = (x + o.x0) * XPH_W0;
    let yr = (y + o.y0) * XPH_W0;
    let (xi1, eta1, mut phi) = if xr <= 0.0 && 0.0 < yr {
        (-xr - yr, xr - yr, -180.0)
    } else if xr < 0.0 && yr <= 0.0 {
        (xr - yr, xr + yr, -90.0)
    } else if 0.0 <= xr && yr < 0.0 {
        (xr + yr, -xr + yr, 0.0)
    } else {
        (-xr + yr, -xr - yr, 90.0)
    };
    let xi = xi1 + 45.0;
    let eta = eta1 + 90.0;
    let abseta = eta.abs();
    if abseta > 90.0 || abseta.is_nan() {
        return None;
    }
    let theta = if abseta <= 45.0 {
        // Equatorial regime.
        phi += xi;
        if 45.0 + TOL < xi1.abs() {
            return None;
        }
        asind(eta / 67.5)
    } else {
        // Polar regime.
        let sigma = (90.0 - abseta) / 45.0;
        if xr == 0.0 {
            phi = if yr <= 0.0 { 0.0 } else { 180.0 };
        } else if yr == 0.0 {
            phi = if xr < 0.0 { -90.0 } else { 90.0 };
        } else {
            phi += 45.0 + xi1 / sigma;
        }
        let mut theta = if sigma < XPH_TOL {
            90.0 - sigma * xph_w4()
        } else {
            asind(1.0 - sigma * sigma / 3.0)
        };
        if eta < 0.0 {
            theta = -theta;
        }
        if eta < -45.0 && eta + 90.0 + TOL < xi1.abs() {
            return None;
        }
        theta
    };
    bchk(1.0e-12, phi, theta)
}

/// XPH: HEALPix polar ("butterfly").
#[inline]
pub(crate) fn xph_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    let mut chi = phi;
    if 180.0 <= chi.abs() {
        chi %= 360.0;
        if chi < -180.0 {
            chi += 360.0;
        } else if 180.0 <= chi {
            chi -= 360.0;
        }
    }
    // phi is recomputed from chi to avoid rounding problems.
    chi += 180.0;
    let psi = chi % 90.0;
    let phi = chi - 180.0;
    let sin_t = sind(theta);
    let abssin = sin_t.abs();
    let (xi, eta) = if abssin <= 2.0 / 3.0 {
        (psi, 67.5 * sin_t)
    } else {
        let sigma = if theta < 90.0 - XPH_TOL * xph_w4() {
            (3.0 * (1.0 - abssin)).sqrt()
        } else {
            (90.0 - theta) * (1.5f64.sqrt() * (PI / 180.0))
        };
        let eta = 45.0 * (2.0 - sigma);
        (
            45.0 + (psi - 45.0) * sigma,
            if theta < 0.0 { -eta } else { eta },
        )
    };
    let xi = xi - 45.0;
    let eta = eta - 90.0;
    let (x, y) = if phi < -90.0 {
        (XPH_W0 * (-xi + eta), XPH_W0 * (-xi - eta))
    } else if phi < 0.0 {
        (XPH_W0 * (xi + eta), XPH_W0 * (-xi + eta))
    } else if phi < 90.0 {
        (XPH_W0 * (xi - eta), XPH_W0 * (xi + eta))
    } else {
        (XPH_W0 * (-xi - eta), XPH_W0 * (xi - eta))
    };
    let (x, y) = (x - o.x0, y - o.y0);
    if x.is_finite() && y.is_finite() {
        Some((x, y))
    } else {
        None
    }
}
