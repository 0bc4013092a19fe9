//! Zenithal (azimuthal) projections: AZP, SZP, TAN, STG, SIN, ARC, ZPN, ZEA, AIR.
//!
//! Every routine follows the formulae of Calabretta & Greisen (2002, A&A 395, 1077) §5.1
//! with the numerical safeguards, tolerances and boundary tests of WCSLIB's `prj.c`, so
//! that results (including which points are rejected) agree with astropy.

use super::trig::{D2R, R2D, acosd, asind, atan2d, atand, copysign, cosd, sincosd, sind};
use super::{Offset, bchk, param, theta_of_two_roots};

/// Radius of the generating sphere (WCSLIB's default `r0`): 180/π.
const R0: f64 = R2D;
/// `1 / R0`.
const INV_R0: f64 = 1.0 / R0;

/// Native longitude of a point at plane position `(x, y)` of a zenithal projection.
#[inline]
fn azimuth(x: f64, y: f64, r: f64) -> f64 {
    if r == 0.0 { 0.0 } else { atan2d(x, -y) }
}

/// AZP: zenithal perspective (`PV2_1` = mu, `PV2_2` = gamma).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Azp {
    mu: f64,
    r0mu1: f64,
    tan_g: f64,
    sec_g: f64,
    cos_g: f64,
    sin_g: f64,
    theta_min: f64,
    divergent_check: bool,
}

impl Azp {
    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let mu = param(pv, 1, 0.0);
        let gamma = param(pv, 2, 0.0);
        let r0mu1 = R0 * (mu + 1.0);
        if r0mu1 == 0.0 {
            return Err("PV2_1 (mu) = -1 puts the point of projection at the plane".into());
        }
        let cos_g = cosd(gamma);
        if cos_g == 0.0 {
            return Err("PV2_2 (gamma) = ±90 tilts the plane edge-on".into());
        }
        let sin_g = sind(gamma);
        Ok(Azp {
            mu,
            r0mu1,
            tan_g: sin_g / cos_g,
            sec_g: 1.0 / cos_g,
            cos_g,
            sin_g,
            theta_min: if mu.abs() > 1.0 {
                asind(-1.0 / mu)
            } else {
                -90.0
            },
            divergent_check: (mu * cos_g).abs() < 1.0,
        })
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        let xj = x + o.x0;
        let yj = y + o.y0;
        let yc = yj * self.cos_g;
        let r = (xj * xj + yc * yc).sqrt();
        if r == 0.0 {
            return bchk(1.0e-13, 0.0, 90.0);
        }
        let phi = atan2d(xj, -yc);
        let s = r / (self.r0mu1 + yj * self.sin_g);
        let t = s * self.mu / (s * s + 1.0).sqrt();
        let s = atan2d(1.0, s);
        let t = if t.abs() > 1.0 {
            if t.abs() > 1.0 + 1.0e-13 {
                return None;
            }
            copysign(90.0, t)
        } else {
            asind(t)
        };
        bchk(1.0e-13, phi, theta_of_two_roots(s, t))
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let (sin_p, cos_p) = sincosd(phi);
        let (sin_t, cos_t) = sincosd(theta);
        let s = self.tan_g * cos_p;
        let t = (self.mu + sin_t) + cos_t * s;
        if t == 0.0 {
            return None;
        }
        let r = self.r0mu1 * cos_t / t;
        if theta < self.theta_min {
            // The far side overlaps the near side.
            return None;
        }
        if self.divergent_check {
            let t = self.mu / (1.0 + s * s).sqrt();
            if t.abs() <= 1.0 && theta < theta_of_two_roots(atand(-s), asind(t)) {
                return None;
            }
        }
        Some((r * sin_p - o.x0, -r * cos_p * self.sec_g - o.y0))
    }
}

/// SZP: slant zenithal perspective (`PV2_1` = mu, `PV2_2` = phi_c, `PV2_3` = theta_c).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Szp {
    mu: f64,
    xp: f64,
    yp: f64,
    zp: f64,
    r0xp: f64,
    r0yp: f64,
    r0zp: f64,
    w7: f64,
    theta_min: f64,
}

impl Szp {
    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let mu = param(pv, 1, 0.0);
        let phi_c = param(pv, 2, 0.0);
        let theta_c = param(pv, 3, 90.0);
        let zp = mu * sind(theta_c) + 1.0;
        if zp == 0.0 {
            return Err(
                "PV2_1 (mu) and PV2_3 (theta_c) put the point of projection at the plane".into(),
            );
        }
        let xp = -mu * cosd(theta_c) * sind(phi_c);
        let yp = mu * cosd(theta_c) * cosd(phi_c);
        Ok(Szp {
            mu,
            xp,
            yp,
            zp,
            r0xp: R0 * xp,
            r0yp: R0 * yp,
            r0zp: R0 * zp,
            w7: (zp - 1.0) * zp - 1.0,
            theta_min: if (zp - 1.0).abs() < 1.0 {
                asind(1.0 - zp)
            } else {
                -90.0
            },
        })
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        const TOL: f64 = 1.0e-13;
        let xr = (x + o.x0) * INV_R0;
        let yr = (y + o.y0) * INV_R0;
        let r2 = xr * xr + yr * yr;
        let x1 = (xr - self.xp) / self.zp;
        let y1 = (yr - self.yp) / self.zp;
        let xy = xr * x1 + yr * y1;
        let (theta, z) = if r2 < 1.0e-10 {
            (90.0 - R2D * (r2 / (1.0 + xy)).sqrt(), r2 / 2.0)
        } else {
            let t = x1 * x1 + y1 * y1;
            let a = t + 1.0;
            let b = xy - t;
            let c = r2 - xy - xy + t - 1.0;
            let sin_t = pole_root(a, b, c, TOL)?;
            (asind(sin_t), 1.0 - sin_t)
        };
        let phi = atan2d(xr - x1 * z, -(yr - y1 * z));
        bchk(1.0e-13, phi, theta)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let (sin_p, cos_p) = sincosd(phi);
        let s = 1.0 - sind(theta);
        let t = self.zp - s;
        if t == 0.0 {
            return None;
        }
        let r = self.r0zp * cosd(theta) / t;
        let u = self.r0xp * s / t + o.x0;
        let v = self.r0yp * s / t + o.y0;
        if theta < self.theta_min {
            return None;
        }
        if self.mu.abs() > 1.0 {
            let s = self.xp * sin_p - self.yp * cos_p;
            let t = 1.0 / (self.w7 + s * s).sqrt();
            if t.abs() <= 1.0 {
                let limit = theta_of_two_roots(atan2d(s, self.zp - 1.0), asind(t));
                if theta < limit {
                    return None;
                }
            }
        }
        Some((r * sin_p - u, -r * cos_p - v))
    }
}

/// The root of `a s² + 2 b s + c = 0` nearest the pole (largest `s` in [-1, 1]), as SZP and
/// the synthesis form of SIN pick it. `None` when there is no acceptable root.
#[inline]
fn pole_root(a: f64, b: f64, c: f64, tol: f64) -> Option<f64> {
    let d = b * b - a * c;
    if d < 0.0 {
        return None;
    }
    let d = d.sqrt();
    let s1 = (-b + d) / a;
    let s2 = (-b - d) / a;
    let mut s = s1.max(s2);
    if s > 1.0 {
        s = if s - 1.0 < tol { 1.0 } else { s1.min(s2) };
    }
    if s < -1.0 && s + 1.0 > -tol {
        s = -1.0;
    }
    if !(-1.0..=1.0).contains(&s) {
        return None;
    }
    Some(s)
}

/// TAN: gnomonic.
#[inline]
pub(crate) fn tan_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let xj = x + o.x0;
    let yj = y + o.y0;
    let r = (xj * xj + yj * yj).sqrt();
    bchk(1.0e-13, azimuth(xj, yj, r), atan2d(R0, r))
}

/// TAN: gnomonic.
#[inline]
pub(crate) fn tan_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    let s = sind(theta);
    if s <= 0.0 {
        // s == 0 is the divergent horizon, s < 0 the far hemisphere.
        return None;
    }
    let r = R0 * cosd(theta) / s;
    let (sin_p, cos_p) = sincosd(phi);
    Some((r * sin_p - o.x0, -r * cos_p - o.y0))
}

/// STG: stereographic (no bounds check on deprojection, as in WCSLIB).
#[inline]
pub(crate) fn stg_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let xj = x + o.x0;
    let yj = y + o.y0;
    let r = (xj * xj + yj * yj).sqrt();
    let theta = 90.0 - 2.0 * atand(r * (std::f64::consts::PI / 360.0));
    finite(azimuth(xj, yj, r), theta)
}

/// STG: stereographic.
#[inline]
pub(crate) fn stg_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    let s = 1.0 + sind(theta);
    if s == 0.0 {
        return None;
    }
    let r = (360.0 / std::f64::consts::PI) * cosd(theta) / s;
    let (sin_p, cos_p) = sincosd(phi);
    Some((r * sin_p - o.x0, -r * cos_p - o.y0))
}

/// `Some((a, b))` when both are finite (NaN is never a valid coordinate).
#[inline]
fn finite(a: f64, b: f64) -> Option<(f64, f64)> {
    if a.is_finite() && b.is_finite() {
        Some((a, b))
    } else {
        None
    }
}

/// SIN: orthographic / synthesis (`PV2_1` = xi, `PV2_2` = eta).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sin {
    xi: f64,
    eta: f64,
    w1: f64,
    w2: f64,
    w3: f64,
}

impl Sin {
    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Self {
        let xi = param(pv, 1, 0.0);
        let eta = param(pv, 2, 0.0);
        let w1 = xi * xi + eta * eta;
        Sin {
            xi,
            eta,
            w1,
            w2: w1 + 1.0,
            w3: w1 - 1.0,
        }
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        let x0 = (x + o.x0) * INV_R0;
        let y0 = (y + o.y0) * INV_R0;
        let r2 = x0 * x0 + y0 * y0;
        if self.w1 == 0.0 {
            // Orthographic.
            let phi = if r2 != 0.0 { atan2d(x0, -y0) } else { 0.0 };
            let theta = if r2 < 0.5 {
                acosd(r2.sqrt())
            } else if r2 <= 1.0 {
                asind((1.0 - r2).sqrt())
            } else {
                return None;
            };
            return bchk(1.0e-13, phi, theta);
        }
        // Synthesis.
        let xy = x0 * self.xi + y0 * self.eta;
        let (theta, z) = if r2 < 1.0e-10 {
            (90.0 - R2D * (r2 / (1.0 + xy)).sqrt(), r2 / 2.0)
        } else {
            let b = xy - self.w1;
            let c = r2 - xy - xy + self.w3;
            let sin_t = pole_root(self.w2, b, c, 1.0e-13)?;
            (asind(sin_t), 1.0 - sin_t)
        };
        let x1 = -y0 + self.eta * z;
        let y1 = x0 - self.xi * z;
        let phi = if x1 == 0.0 && y1 == 0.0 {
            0.0
        } else {
            atan2d(y1, x1)
        };
        bchk(1.0e-13, phi, theta)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let t = (90.0 - theta.abs()) * D2R;
        let (z, cos_t) = if t < 1.0e-5 {
            let z = if theta > 0.0 {
                t * t / 2.0
            } else {
                2.0 - t * t / 2.0
            };
            (z, t)
        } else {
            (1.0 - sind(theta), cosd(theta))
        };
        let r = R0 * cos_t;
        let (sin_p, cos_p) = sincosd(phi);
        if self.w1 == 0.0 {
            if theta < 0.0 {
                return None;
            }
            return Some((r * sin_p - o.x0, -r * cos_p - o.y0));
        }
        let z = z * R0;
        let z1 = self.xi * z - o.x0;
        let z2 = self.eta * z - o.y0;
        if theta < -atand(self.xi * sin_p - self.eta * cos_p) {
            return None;
        }
        Some((r * sin_p + z1, -r * cos_p + z2))
    }
}

/// ARC: zenithal equidistant.
#[inline]
pub(crate) fn arc_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let xj = x + o.x0;
    let yj = y + o.y0;
    let r = (xj * xj + yj * yj).sqrt();
    if r == 0.0 {
        return bchk(1.0e-13, 0.0, 90.0);
    }
    bchk(1.0e-13, atan2d(xj, -yj), 90.0 - r)
}

/// ARC: zenithal equidistant.
#[inline]
pub(crate) fn arc_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    let r = 90.0 - theta;
    let (sin_p, cos_p) = sincosd(phi);
    finite(r * sin_p - o.x0, -r * cos_p - o.y0)
}

/// ZPN: zenithal polynomial, `R(zeta) = sum PV2_m zeta^m` (zeta in radians).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Zpn {
    pv: [f64; 30],
    /// Degree of the polynomial.
    n: usize,
    /// Colatitude (radians) of the first point of inflection (π if none).
    zd_max: f64,
    /// `R` at `zd_max` (only used when `n > 2`).
    r_max: f64,
}

impl Zpn {
    pub(crate) fn new(pvs: &[Option<f64>; 30]) -> Result<Self, String> {
        const TOL: f64 = 1.0e-13;
        let mut pv = [0.0; 30];
        for (m, v) in pvs.iter().enumerate() {
            pv[m] = v.unwrap_or(0.0);
        }
        let Some(n) = (0..30).rev().find(|&k| pv[k] != 0.0) else {
            return Err("all PV2_m coefficients are zero".into());
        };
        if n == 0 {
            return Err("only PV2_0 is non-zero: R(zeta) is constant".into());
        }
        let deriv = |zd: f64| (1..=n).rev().fold(0.0, |d, m| d * zd + m as f64 * pv[m]);
        let poly = |zd: f64| (0..=n).rev().fold(0.0, |r, m| r * zd + pv[m]);
        let (zd_max, r_max) = if n < 2 {
            (std::f64::consts::PI, 0.0)
        } else {
            // Find the point of inflection closest to the pole: first where R'(zeta) <= 0.
            let mut zd1 = 0.0;
            let mut d1 = pv[1];
            if d1 <= 0.0 {
                return Err("PV2_1 must be positive when the degree exceeds 1".into());
            }
            let mut found = None;
            for j in 0..180 {
                let zd2 = j as f64 * D2R;
                let d2 = deriv(zd2);
                if d2 <= 0.0 {
                    found = Some((zd2, d2));
                    break;
                }
                zd1 = zd2;
                d1 = d2;
            }
            let zd = match found {
                None => std::f64::consts::PI,
                Some((mut zd2, mut d2)) => {
                    let mut zd = zd1;
                    for _ in 1..=10 {
                        zd = zd1 - d1 * (zd2 - zd1) / (d2 - d1);
                        let d = deriv(zd);
                        if d.abs() < TOL {
                            break;
                        }
                        if d < 0.0 {
                            zd2 = zd;
                            d2 = d;
                        } else {
                            zd1 = zd;
                            d1 = d;
                        }
                    }
                    zd
                }
            };
            (zd, poly(zd))
        };
        Ok(Zpn {
            pv,
            n,
            zd_max,
            r_max,
        })
    }

    #[inline]
    fn poly(&self, zd: f64) -> f64 {
        self.pv[..=self.n]
            .iter()
            .rev()
            .fold(0.0, |r, &c| r * zd + c)
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        const TOL: f64 = 1.0e-13;
        use std::f64::consts::PI;
        let xj = x + o.x0;
        let yj = y + o.y0;
        let r = (xj * xj + yj * yj).sqrt() / R0;
        let phi = azimuth(xj, yj, r);
        let pv = &self.pv;
        let zd = if self.n == 1 {
            (r - pv[0]) / pv[1]
        } else if self.n == 2 {
            let (a, b, c) = (pv[2], pv[1], pv[0] - r);
            let d = b * b - 4.0 * a * c;
            if d < 0.0 {
                return None;
            }
            let d = d.sqrt();
            let zd1 = (-b + d) / (2.0 * a);
            let zd2 = (-b - d) / (2.0 * a);
            let mut zd = zd1.min(zd2);
            if zd < -TOL {
                zd = zd1.max(zd2);
            }
            if zd < 0.0 {
                if zd < -TOL {
                    return None;
                }
                0.0
            } else if zd > PI {
                if zd > PI + TOL {
                    return None;
                }
                PI
            } else {
                zd
            }
        } else {
            // Bracketed root search between the pole and the first point of inflection.
            let (mut zd1, mut r1) = (0.0, pv[0]);
            let (mut zd2, mut r2) = (self.zd_max, self.r_max);
            if r < r1 {
                if r < r1 - TOL {
                    return None;
                }
                zd1
            } else if r > r2 {
                if r > r2 + TOL {
                    return None;
                }
                zd2
            } else {
                let mut zd = zd1;
                for _ in 0..100 {
                    let lambda = ((r2 - r) / (r2 - r1)).clamp(0.1, 0.9);
                    zd = zd2 - lambda * (zd2 - zd1);
                    let rt = self.poly(zd);
                    if rt < r {
                        if r - rt < TOL {
                            break;
                        }
                        r1 = rt;
                        zd1 = zd;
                    } else {
                        if rt - r < TOL {
                            break;
                        }
                        r2 = rt;
                        zd2 = zd;
                    }
                    if (zd2 - zd1).abs() < TOL {
                        break;
                    }
                }
                zd
            }
        };
        bchk(1.0e-13, phi, 90.0 - zd * R2D)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let s = (90.0 - theta) * D2R;
        if s > self.zd_max {
            return None;
        }
        let r = self.poly(s) * R0;
        let (sin_p, cos_p) = sincosd(phi);
        finite(r * sin_p - o.x0, -r * cos_p - o.y0)
    }
}

/// ZEA: zenithal equal area.
#[inline]
pub(crate) fn zea_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let xj = x + o.x0;
    let yj = y + o.y0;
    let r = (xj * xj + yj * yj).sqrt();
    let phi = azimuth(xj, yj, r);
    let s = r * (std::f64::consts::PI / 360.0);
    let theta = if s.abs() > 1.0 {
        if (r - 360.0 / std::f64::consts::PI).abs() < 1.0e-12 {
            -90.0
        } else {
            return None;
        }
    } else {
        90.0 - 2.0 * asind(s)
    };
    bchk(1.0e-13, phi, theta)
}

/// ZEA: zenithal equal area.
#[inline]
pub(crate) fn zea_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    let r = (360.0 / std::f64::consts::PI) * sind((90.0 - theta) / 2.0);
    let (sin_p, cos_p) = sincosd(phi);
    finite(r * sin_p - o.x0, -r * cos_p - o.y0)
}

/// AIR: Airy's zenithal (`PV2_1` = theta_b, default 90).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Air {
    w1: f64,
    w3: f64,
    w5: f64,
    w6: f64,
}

impl Air {
    const SMALL: f64 = 1.0e-4;

    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let theta_b = param(pv, 1, 90.0);
        let (w1, w2) = if theta_b == 90.0 {
            (-0.5, 1.0)
        } else if theta_b > -90.0 {
            let cos_xi = cosd((90.0 - theta_b) / 2.0);
            let w1 = cos_xi.ln() * (cos_xi * cos_xi) / (1.0 - cos_xi * cos_xi);
            (w1, 0.5 - w1)
        } else {
            return Err(format!("PV2_1 (theta_b) = {theta_b} must exceed -90"));
        };
        Ok(Air {
            w1,
            w3: 2.0 * R0 * w2,
            w5: w2 * Self::SMALL,
            w6: R2D / w2,
        })
    }

    #[inline]
    fn radius(&self, cos_xi: f64) -> f64 {
        let tan_xi = (1.0 - cos_xi * cos_xi).sqrt() / cos_xi;
        -(cos_xi.ln() / tan_xi + self.w1 * tan_xi)
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        const TOL: f64 = 1.0e-12;
        let xj = x + o.x0;
        let yj = y + o.y0;
        let r = (xj * xj + yj * yj).sqrt() / (2.0 * R0);
        let phi = azimuth(xj, yj, r);
        let xi = if r == 0.0 {
            0.0
        } else if r < self.w5 {
            r * self.w6
        } else {
            // Bracket the solution in cos(xi), then weighted bisection.
            let (mut x1, mut r1) = (1.0, 0.0);
            let (mut x2, mut r2) = (1.0, 0.0);
            let mut bracketed = false;
            for _ in 0..30 {
                x2 = x1 / 2.0;
                r2 = self.radius(x2);
                if r2 >= r {
                    bracketed = true;
                    break;
                }
                x1 = x2;
                r1 = r2;
            }
            if !bracketed {
                return None;
            }
            let mut converged = false;
            let mut cos_xi = x2;
            for _ in 0..100 {
                let lambda = ((r2 - r) / (r2 - r1)).clamp(0.1, 0.9);
                cos_xi = x2 - lambda * (x2 - x1);
                let rt = self.radius(cos_xi);
                if rt < r {
                    if r - rt < TOL {
                        converged = true;
                        break;
                    }
                    r1 = rt;
                    x1 = cos_xi;
                } else {
                    if rt - r < TOL {
                        converged = true;
                        break;
                    }
                    r2 = rt;
                    x2 = cos_xi;
                }
            }
            if !converged {
                return None;
            }
            acosd(cos_xi)
        };
        bchk(1.0e-13, phi, 90.0 - 2.0 * xi)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let r = if theta == 90.0 {
            0.0
        } else if theta > -90.0 {
            let xi = D2R * (90.0 - theta) / 2.0;
            if xi < Self::SMALL {
                xi * self.w3
            } else {
                2.0 * R0 * self.radius(cosd((90.0 - theta) / 2.0))
            }
        } else {
            return None;
        };
        let (sin_p, cos_p) = sincosd(phi);
        finite(r * sin_p - o.x0, -r * cos_p - o.y0)
    }
}
