//! Conic (COP, COE, COD, COO) and polyconic (BON, PCO) projections, after Calabretta &
//! Greisen (2002) §5.4–5.5 with WCSLIB's numerics.
//!
//! Conic parameters: `PV2_1` = sigma = (theta1 + theta2)/2 (required), `PV2_2` = delta =
//! (theta2 - theta1)/2 (default 0), theta1/theta2 being the standard parallels.

use super::trig::{D2R, R2D, asind, atan2d, atand, copysign, cosd, sincosd, sind, tand};
use super::{Offset, bchk, param};

/// Radius of the generating sphere: 180/π.
const R0: f64 = R2D;

/// Which conic projection, with its constants.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConicKind {
    /// COP: conic perspective. `w4` = 1/(r0 cos delta), `w5` = cot sigma.
    Cop { w3: f64, w4: f64, w5: f64 },
    /// COE: conic equal area.
    Coe {
        w3: f64,
        w4: f64,
        w5: f64,
        w6: f64,
        w7: f64,
        w8: f64,
    },
    /// COD: conic equidistant. `w3` = Y0 + sigma.
    Cod { w3: f64 },
    /// COO: conic orthomorphic. `w3` = psi, `w4` = 1/psi.
    Coo { w3: f64, w4: f64 },
}

/// A conic projection: the constants every conic shares plus its own.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conic {
    sigma: f64,
    /// The cone constant C.
    c: f64,
    /// 1/C.
    inv_c: f64,
    /// Y0, the offset of the apex from the fiducial point.
    y0: f64,
    kind: ConicKind,
}

/// sigma (required) and delta (default 0) from `PV2_1`, `PV2_2`.
fn sigma_delta(pv: &[Option<f64>; 30], code: &str) -> Result<(f64, f64), String> {
    let Some(sigma) = pv[1] else {
        return Err(format!(
            "{code} requires PV2_1 (sigma, the mean standard parallel)"
        ));
    };
    Ok((sigma, param(pv, 2, 0.0)))
}

impl Conic {
    /// The native latitude of the fiducial point, sigma.
    pub(crate) fn sigma(&self) -> f64 {
        self.sigma
    }

    pub(crate) fn cop(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let (sigma, delta) = sigma_delta(pv, "COP")?;
        let c = sind(sigma);
        if c == 0.0 {
            return Err("COP: PV2_1 (sigma) must not be 0".into());
        }
        let w3 = R0 * cosd(delta);
        if w3 == 0.0 {
            return Err("COP: PV2_2 (delta) must not be ±90".into());
        }
        let w5 = 1.0 / tand(sigma);
        Ok(Conic {
            sigma,
            c,
            inv_c: 1.0 / c,
            y0: w3 * w5,
            kind: ConicKind::Cop {
                w3,
                w4: 1.0 / w3,
                w5,
            },
        })
    }

    pub(crate) fn coe(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let (sigma, delta) = sigma_delta(pv, "COE")?;
        let theta1 = sigma - delta;
        let theta2 = sigma + delta;
        let c = (sind(theta1) + sind(theta2)) / 2.0;
        if c == 0.0 {
            return Err("COE: the standard parallels are symmetric about the equator".into());
        }
        let w3 = R0 / c;
        let w4 = 1.0 + sind(theta1) * sind(theta2);
        let w5 = 2.0 * c;
        Ok(Conic {
            sigma,
            c,
            inv_c: 1.0 / c,
            y0: w3 * (w4 - w5 * sind(sigma)).sqrt(),
            kind: ConicKind::Coe {
                w3,
                w4,
                w5,
                w6: w3 * w3 * w4,
                w7: 1.0 / (2.0 * R0 * w3),
                w8: w3 * (w4 + w5).sqrt(),
            },
        })
    }

    pub(crate) fn cod(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let (sigma, delta) = sigma_delta(pv, "COD")?;
        let c = if delta == 0.0 {
            R0 * sind(sigma) * D2R
        } else {
            R0 * sind(sigma) * sind(delta) / delta
        };
        if c == 0.0 {
            return Err("COD: PV2_1 (sigma) must not be 0".into());
        }
        let y0 = R0 * cosd(delta) * cosd(sigma) / c;
        Ok(Conic {
            sigma,
            c,
            inv_c: 1.0 / c,
            y0,
            kind: ConicKind::Cod { w3: y0 + sigma },
        })
    }

    pub(crate) fn coo(pv: &[Option<f64>; 30]) -> Result<Self, String> {
        let (sigma, delta) = sigma_delta(pv, "COO")?;
        let theta1 = sigma - delta;
        let theta2 = sigma + delta;
        let tan1 = tand((90.0 - theta1) / 2.0);
        let cos1 = cosd(theta1);
        let c = if theta1 == theta2 {
            sind(theta1)
        } else {
            let tan2 = tand((90.0 - theta2) / 2.0);
            let cos2 = cosd(theta2);
            (cos2 / cos1).ln() / (tan2 / tan1).ln()
        };
        if c == 0.0 || c.is_nan() {
            return Err(
                "COO: the cone constant is zero or undefined for these PV2_1, PV2_2".into(),
            );
        }
        let w3 = R0 * (cos1 / c) / tan1.powf(c);
        if w3 == 0.0 || w3.is_nan() {
            return Err("COO: the cone scale is zero or undefined for these PV2_1, PV2_2".into());
        }
        Ok(Conic {
            sigma,
            c,
            inv_c: 1.0 / c,
            y0: w3 * tand((90.0 - sigma) / 2.0).powf(c),
            kind: ConicKind::Coo { w3, w4: 1.0 / w3 },
        })
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        let xj = x + o.x0;
        let dy = self.y0 - (y + o.y0);
        let mut r = (xj * xj + dy * dy).sqrt();
        if self.sigma < 0.0 {
            r = -r;
        }
        let alpha = if r == 0.0 {
            0.0
        } else {
            atan2d(xj / r, dy / r)
        };
        let phi = alpha * self.inv_c;
        let theta = match self.kind {
            ConicKind::Cop { w4, w5, .. } => self.sigma + atand(w5 - r * w4),
            ConicKind::Coe { w6, w7, w8, .. } => {
                const TOL: f64 = 1.0e-12;
                if (r - w8).abs() < TOL {
                    -90.0
                } else {
                    let w = (w6 - r * r) * w7;
                    if w.abs() > 1.0 {
                        if (w - 1.0).abs() < TOL {
                            90.0
                        } else if (w + 1.0).abs() < TOL {
                            -90.0
                        } else {
                            return None;
                        }
                    } else {
                        asind(w)
                    }
                }
            }
            ConicKind::Cod { w3 } => w3 - r,
            ConicKind::Coo { w4, .. } => {
                if r == 0.0 {
                    if self.c < 0.0 {
                        -90.0
                    } else {
                        return None;
                    }
                } else {
                    90.0 - 2.0 * atand((r * w4).powf(self.inv_c))
                }
            }
        };
        bchk(1.0e-13, phi, theta)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let (sin_a, cos_a) = sincosd(self.c * phi);
        let r = match self.kind {
            ConicKind::Cop { w3, .. } => {
                let t = theta - self.sigma;
                let s = cosd(t);
                if s == 0.0 {
                    // Latitude of divergence.
                    return None;
                }
                if theta.abs() == 90.0 {
                    if (theta < 0.0) != (self.sigma < 0.0) {
                        return None;
                    }
                    0.0
                } else {
                    let r = self.y0 - w3 * sind(t) / s;
                    if r * self.c < 0.0 {
                        return None;
                    }
                    r
                }
            }
            ConicKind::Coe { w3, w4, w5, w8, .. } => {
                if theta == -90.0 {
                    w8
                } else {
                    w3 * (w4 - w5 * sind(theta)).sqrt()
                }
            }
            ConicKind::Cod { w3 } => w3 - theta,
            ConicKind::Coo { w3, .. } => {
                if theta == -90.0 {
                    if self.c >= 0.0 {
                        return None;
                    }
                    0.0
                } else {
                    w3 * tand((90.0 - theta) / 2.0).powf(self.c)
                }
            }
        };
        let x = r * sin_a - o.x0;
        let y = -r * cos_a - (o.y0 - self.y0);
        if x.is_finite() && y.is_finite() {
            Some((x, y))
        } else {
            None
        }
    }
}

/// BON: Bonne's equal area (`PV2_1` = theta1, required; 0 means SFL).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bon {
    theta1: f64,
    y0: f64,
}

impl Bon {
    /// `Ok(None)` when `PV2_1` = 0, where Bonne's projection is Sanson-Flamsteed.
    pub(crate) fn new(pv: &[Option<f64>; 30]) -> Result<Option<Self>, String> {
        let Some(theta1) = pv[1] else {
            return Err("BON requires PV2_1 (theta1)".into());
        };
        if theta1 == 0.0 {
            return Ok(None);
        }
        Ok(Some(Bon {
            theta1,
            y0: R0 * cosd(theta1) / sind(theta1) + theta1,
        }))
    }

    #[inline]
    pub(crate) fn x2s(&self, o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
        let xj = x + o.x0;
        let dy = self.y0 - (y + o.y0);
        let mut r = (xj * xj + dy * dy).sqrt();
        if self.theta1 < 0.0 {
            r = -r;
        }
        let alpha = if r == 0.0 {
            0.0
        } else {
            atan2d(xj / r, dy / r)
        };
        let theta = self.y0 - r;
        let cos_t = cosd(theta);
        let phi = if cos_t == 0.0 {
            0.0
        } else {
            alpha * (r / R0) / cos_t
        };
        bchk(1.0e-11, phi, theta)
    }

    #[inline]
    pub(crate) fn s2x(&self, o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let r = self.y0 - theta;
        let alpha = cosd(theta) / r * (R0 * phi);
        let (sin_a, cos_a) = sincosd(alpha);
        let x = r * sin_a - o.x0;
        let y = -r * cos_a - (o.y0 - self.y0);
        if x.is_finite() && y.is_finite() {
            Some((x, y))
        } else {
            None
        }
    }
}

/// PCO: polyconic.
#[inline]
pub(crate) fn pco_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-12;
    const W2: f64 = 360.0 / std::f64::consts::PI;
    const W3: f64 = D2R / W2;
    let xj = x + o.x0;
    let yj = y + o.y0;
    let w = yj.abs();
    if w < TOL {
        return bchk(1.0e-12, xj, 0.0);
    }
    if (w - 90.0).abs() < TOL {
        return bchk(1.0e-12, 0.0, copysign(90.0, yj));
    }
    let (the, ymthe, tanthe) = if w < 1.0e-4 {
        // Near the equator, avoid cot(theta) blowing up.
        let the = yj / (1.0 + W3 * xj * xj);
        (the, yj - the, tand(the))
    } else {
        // Weighted bisection on theta.
        let mut thepos = yj;
        let mut theneg = 0.0;
        let xx = xj * xj;
        let mut fpos = xx;
        let mut fneg = -xx;
        let mut the = thepos;
        let mut ymthe = 0.0;
        let mut tanthe = 0.0;
        for _ in 0..64 {
            // NaN (x = 0) passes through unclamped, as in WCSLIB.
            let lambda = (fpos / (fpos - fneg)).clamp(0.1, 0.9);
            the = thepos - lambda * (thepos - theneg);
            ymthe = yj - the;
            tanthe = tand(the);
            let f = xx + ymthe * (ymthe - W2 / tanthe);
            if f.abs() < TOL || (thepos - theneg).abs() < TOL {
                break;
            }
            if f > 0.0 {
                thepos = the;
                fpos = f;
            } else {
                theneg = the;
                fneg = f;
            }
        }
        (the, ymthe, tanthe)
    };
    let x1 = R0 - ymthe * tanthe;
    let y1 = xj * tanthe;
    let phi = if x1 == 0.0 && y1 == 0.0 {
        0.0
    } else {
        atan2d(y1, x1) / sind(the)
    };
    bchk(1.0e-12, phi, the)
}

/// PCO: polyconic.
#[inline]
pub(crate) fn pco_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    const W3: f64 = D2R / (360.0 / std::f64::consts::PI);
    let (x, y) = if theta == 0.0 {
        (phi - o.x0, -o.y0)
    } else if theta.abs() < 1.0e-4 {
        let x = phi * cosd(theta) - o.x0;
        // WCSLIB evaluates y with the already offset x; kept for parity.
        (x, (1.0 + W3 * x * x) * theta - o.y0)
    } else {
        let therad = theta * D2R;
        let (sin_t, cos_t) = sincosd(theta);
        let (sin_psi, cos_psi) = sincosd(phi * sin_t);
        let cot_t = cos_t / sin_t;
        (
            R0 * cot_t * sin_psi - o.x0,
            R0 * (cot_t * (1.0 - cos_psi) + therad) - o.y0,
        )
    };
    if x.is_finite() && y.is_finite() {
        Some((x, y))
    } else {
        None
    }
}
