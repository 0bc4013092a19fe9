//! Cylindrical (CYP, CEA, CAR, MER), pseudo-cylindrical (SFL, PAR, MOL) and conventional
//! (AIT) projections, after Calabretta & Greisen (2002) §5.2–5.3 with WCSLIB's numerics.

use super::trig::{R2D, asind, atan2d, atand, copysign, cosd, sincosd, sind, tand};
use super::{Offset, bchk, param};
use std::f64::consts::PI;

/// Radius of the generating sphere: 180/π.
const R0: f64 = R2D;

/// CYP: cylindrical perspective (`PV2_1` = mu, `PV2_2` = lambda, both default 1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cyp {
    mu: f64,
    w0: f64,
    w1: f64,
    w2: f64,
    w3: f64,
}

impl Cyp {
    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let mu = param(pv, 1, 1.0);
        let lambda = param(pv, 2, 1.0);
        if lambda == 0.0 {
            return Err("PV2_2 (lambda) must not be zero".into());
        }
        let w2 = R2D * (mu + lambda);
        if w2 == 0.0 {
            return Err("PV2_1 + PV2_2 (mu + lambda) must not be zero".into());
        }
        Ok(Cyp {
            mu,
            w0: lambda,
            w1: 1.0 / lambda,
            w2,
            w3: 1.0 / w2,
        })
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        let phi = self.w1 * (x + o.x0);
        let eta = self.w3 * (y + o.y0);
        let theta = atan2d(eta, 1.0) + asind(eta * self.mu / (eta * eta + 1.0).sqrt());
        bchk(1.0e-13, phi, theta)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let x = self.w0 * phi - o.x0;
        let eta = self.mu + cosd(theta);
        if eta == 0.0 {
            return None;
        }
        Some((x, self.w2 * sind(theta) / eta - o.y0))
    }
}

/// CEA: cylindrical equal area (`PV2_1` = lambda in (0, 1], default 1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cea {
    w2: f64,
    w3: f64,
}

impl Cea {
    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let lambda = param(pv, 1, 1.0);
        if lambda <= 0.0 || lambda > 1.0 || lambda.is_nan() {
            return Err(format!("PV2_1 (lambda) = {lambda} must be in (0, 1]"));
        }
        Ok(Cea {
            w2: R0 / lambda,
            w3: lambda / R0,
        })
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        let phi = x + o.x0;
        let s = self.w3 * (y + o.y0);
        let theta = if s.abs() > 1.0 {
            if s.abs() > 1.0 + 1.0e-13 {
                return None;
            }
            copysign(90.0, s)
        } else {
            asind(s)
        };
        bchk(1.0e-13, phi, theta)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        Some((phi - o.x0, self.w2 * sind(theta) - o.y0))
    }
}

/// CAR: plate carrée.
#[inline]
pub(crate) fn car_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    bchk(1.0e-13, x + o.x0, y + o.y0)
}

/// CAR: plate carrée.
#[inline]
pub(crate) fn car_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    Some((phi - o.x0, theta - o.y0))
}

/// MER: Mercator.
#[inline]
pub(crate) fn mer_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let theta = 2.0 * atand(((y + o.y0) / R0).exp()) - 90.0;
    bchk(1.0e-13, x + o.x0, theta)
}

/// MER: Mercator.
#[inline]
pub(crate) fn mer_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    if theta <= -90.0 || theta >= 90.0 || theta.is_nan() {
        return None;
    }
    Some((phi - o.x0, R0 * tand((theta + 90.0) / 2.0).ln() - o.y0))
}

/// SFL: Sanson-Flamsteed (global sinusoid).
#[inline]
pub(crate) fn sfl_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let yj = y + o.y0;
    let s = (yj / R0).cos();
    if s == 0.0 {
        return None;
    }
    bchk(1.0e-12, (x + o.x0) * (1.0 / s), yj)
}

/// SFL: Sanson-Flamsteed (global sinusoid).
#[inline]
pub(crate) fn sfl_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    Some((cosd(theta) * phi - o.x0, theta - o.y0))
}

/// PAR: parabolic.
#[inline]
pub(crate) fn par_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let xj = x + o.x0;
    let r = (y + o.y0) * (1.0 / 180.0);
    if !(-1.0..=1.0).contains(&r) {
        return None;
    }
    let s = 1.0 - 4.0 * r * r;
    let phi = if s == 0.0 {
        // At the poles only x = 0 is on the map.
        if xj.abs() - 1.0e-13 >= 0.0 {
            return None;
        }
        0.0
    } else {
        xj * (1.0 / s)
    };
    bchk(1.0e-12, phi, 3.0 * asind(r))
}

/// PAR: parabolic.
#[inline]
pub(crate) fn par_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    let s = sind(theta / 3.0);
    Some(((1.0 - 4.0 * s * s) * phi - o.x0, 180.0 * s - o.y0))
}

/// MOL: Mollweide.
#[inline]
pub(crate) fn mol_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-12;
    const W0: f64 = std::f64::consts::SQRT_2 * R0;
    let xj = x + o.x0;
    let yj = y + o.y0;
    let y0 = yj / R0;
    let r = 2.0 - y0 * y0;
    // 0: fine, 1: outside, -1: on the pole line (valid only at x = 0).
    let mut status = 0;
    let (r, s) = if r <= TOL {
        status = if r < -TOL { 1 } else { -1 };
        (0.0, 0.0)
    } else {
        let r = r.sqrt();
        (r, 1.0 / r)
    };
    let mut z = yj * (1.0 / W0);
    if z.abs() > 1.0 {
        if z.abs() > 1.0 + TOL {
            z = 0.0;
            status = 1;
        } else {
            z = copysign(1.0, z) + y0 * r / PI;
        }
    } else {
        z = z.asin() * (2.0 / PI) + y0 * r / PI;
    }
    if z.abs() > 1.0 {
        if z.abs() > 1.0 + TOL {
            z = 0.0;
            status = 1;
        } else {
            z = copysign(1.0, z);
        }
    }
    if status == 1 || (status == -1 && xj.abs() - TOL >= 0.0) {
        return None;
    }
    bchk(1.0e-11, (90.0 / R0) * xj * s, asind(z))
}

/// MOL: Mollweide.
#[inline]
pub(crate) fn mol_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-13;
    const W0: f64 = std::f64::consts::SQRT_2 * R0;
    let (xi, eta) = if theta.abs() == 90.0 {
        (0.0, copysign(W0, theta))
    } else if theta == 0.0 {
        (1.0, 0.0)
    } else {
        // Solve v + sin(v) = pi sin(theta) by bisection.
        let u = PI * sind(theta);
        let (mut v0, mut v1) = (-PI, PI);
        let mut v = u;
        for _ in 0..100 {
            let resid = (v - u) + v.sin();
            if resid < 0.0 {
                if resid > -TOL {
                    break;
                }
                v0 = v;
            } else {
                if resid < TOL {
                    break;
                }
                v1 = v;
            }
            v = (v0 + v1) / 2.0;
        }
        let gamma = v / 2.0;
        (gamma.cos(), W0 * gamma.sin())
    };
    let x = xi * ((W0 / 90.0) * phi) - o.x0;
    let y = eta - o.y0;
    if x.is_finite() && y.is_finite() {
        Some((x, y))
    } else {
        None
    }
}

/// AIT: Hammer-Aitoff.
#[inline]
pub(crate) fn ait_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-13;
    const W0: f64 = 2.0 * R0 * R0;
    const W1: f64 = 1.0 / (2.0 * W0);
    const W2: f64 = W1 / 4.0;
    const W3: f64 = 1.0 / (2.0 * R0);
    let xj = x + o.x0;
    let yj = y + o.y0;
    let mut s = (1.0 - xj * xj * W2) - yj * yj * W1;
    let mut bad = false;
    if s < 0.5 {
        if s < 0.5 - TOL {
            bad = true;
        }
        s = 0.5;
    }
    let z = s.sqrt();
    let x0 = 2.0 * z * z - 1.0;
    let y0 = z * (xj * W3);
    let phi = if x0 == 0.0 && y0 == 0.0 {
        0.0
    } else {
        2.0 * atan2d(y0, x0)
    };
    let t = z * yj / R0;
    let theta = if t.abs() > 1.0 {
        if t.abs() > 1.0 + TOL {
            bad = true;
        }
        copysign(90.0, t)
    } else {
        asind(t)
    };
    if bad {
        return None;
    }
    bchk(1.0e-13, phi, theta)
}

/// AIT: Hammer-Aitoff.
#[inline]
pub(crate) fn ait_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    const W0: f64 = 2.0 * R0 * R0;
    let (sin_p, cos_p) = sincosd(phi / 2.0);
    let (sin_t, cos_t) = sincosd(theta);
    let w = (W0 / (1.0 + cos_t * cos_p)).sqrt();
    let x = 2.0 * w * cos_t * sin_p - o.x0;
    let y = w * sin_t - o.y0;
    if x.is_finite() && y.is_finite() {
        Some((x, y))
    } else {
        None
    }
}
