//! Quad-cube projections (TSC, CSC, QSC), after Calabretta & Greisen (2002) §5.6 with
//! WCSLIB's numerics. The six faces are laid out in the plane as
//!
//! ```text
//!       0
//!   4 3 2 1 4 3 2
//!       5
//! ```
//!
//! with face 1 centred on the origin and each face 90° (2 units of 45°) wide.
//! CSC uses single-precision polynomial fits, as the COBE definition and WCSLIB do.

use super::trig::{asind, atan2d, atand, copysign, cosd, sincosd, sind};
use super::{Offset, bchk};
use std::f64::consts::PI;

/// Half a face, in plane units: 45°.
const W0: f64 = 45.0;
/// 1/W0.
const W1: f64 = 1.0 / 45.0;

/// Reject plane points outside the cross-shaped layout; `Some((xf, yf))` in face units.
#[inline]
fn layout(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let xf = (x + o.x0) * W1;
    let yf = (y + o.y0) * W1;
    inside_layout(xf, yf).then_some((xf, yf))
}

/// Whether face-unit coordinates lie on the cross-shaped layout.
#[inline]
fn inside_layout(xf: f64, yf: f64) -> bool {
    if xf.abs() <= 1.0 {
        yf.abs() <= 3.0
    } else {
        xf.abs() <= 7.0 && yf.abs() <= 1.0
    }
}

/// The face of a plane point and its coordinates relative to that face's centre.
#[inline]
fn face_of(mut xf: f64, mut yf: f64) -> (u8, f64, f64) {
    if xf < -1.0 {
        xf += 8.0;
    }
    if xf > 5.0 {
        (4, xf - 6.0, yf)
    } else if xf > 3.0 {
        (3, xf - 4.0, yf)
    } else if xf > 1.0 {
        (2, xf - 2.0, yf)
    } else if yf > 1.0 {
        yf -= 2.0;
        (0, xf, yf)
    } else if yf < -1.0 {
        yf += 2.0;
        (5, xf, yf)
    } else {
        (1, xf, yf)
    }
}

/// Direction cosines `(l, m, n)` of a native point and the face it falls on, with `zeta`
/// the cosine of the angle from that face's centre.
#[inline]
fn cube_face(phi: f64, theta: f64) -> (u8, f64, f64, f64, f64) {
    let (sin_p, cos_p) = sincosd(phi);
    let (sin_t, cos_t) = sincosd(theta);
    let l = cos_t * cos_p;
    let m = cos_t * sin_p;
    let n = sin_t;
    let mut face = 0;
    let mut zeta = n;
    if l > zeta {
        face = 1;
        zeta = l;
    }
    if m > zeta {
        face = 2;
        zeta = m;
    }
    if -l > zeta {
        face = 3;
        zeta = -l;
    }
    if -m > zeta {
        face = 4;
        zeta = -m;
    }
    if -n > zeta {
        face = 5;
        zeta = -n;
    }
    (face, l, m, n, zeta)
}

/// `(xi, eta, x0, y0)`: the in-face direction components and the face centre in the plane.
#[inline]
fn face_axes(face: u8, l: f64, m: f64, n: f64) -> (f64, f64, f64, f64) {
    match face {
        1 => (m, n, 0.0, 0.0),
        2 => (-l, n, 2.0, 0.0),
        3 => (-m, n, 4.0, 0.0),
        4 => (l, n, 6.0, 0.0),
        5 => (m, l, 0.0, -2.0),
        _ => (m, -l, 0.0, 2.0),
    }
}

/// Clamp a face coordinate within `tol` of ±1; `None` beyond.
#[inline]
fn clamp_face(v: f64, tol: f64) -> Option<f64> {
    if v.abs() > 1.0 {
        if v.abs() > 1.0 + tol {
            return None;
        }
        return Some(copysign(1.0, v));
    }
    Some(v)
}

/// Native coordinates from direction cosines.
#[inline]
fn native(l: f64, m: f64, n: f64, tol: f64) -> Option<(f64, f64)> {
    let phi = if l == 0.0 && m == 0.0 {
        0.0
    } else {
        atan2d(m, l)
    };
    bchk(tol, phi, asind(n))
}

/// TSC: tangential spherical cube.
#[inline]
pub(crate) fn tsc_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    let (xf, yf) = layout(o, x, y)?;
    let (face, xf, yf) = face_of(xf, yf);
    let (l, m, n) = match face {
        4 => {
            let m = -1.0 / (1.0 + xf * xf + yf * yf).sqrt();
            (-m * xf, m, -m * yf)
        }
        3 => {
            let l = -1.0 / (1.0 + xf * xf + yf * yf).sqrt();
            (l, l * xf, -l * yf)
        }
        2 => {
            let m = 1.0 / (1.0 + xf * xf + yf * yf).sqrt();
            (-m * xf, m, m * yf)
        }
        0 => {
            let n = 1.0 / (1.0 + xf * xf + yf * yf).sqrt();
            (-n * yf, n * xf, n)
        }
        5 => {
            let n = -1.0 / (1.0 + xf * xf + yf * yf).sqrt();
            (-n * yf, -n * xf, n)
        }
        _ => {
            let l = 1.0 / (1.0 + xf * xf + yf * yf).sqrt();
            (l, l * xf, l * yf)
        }
    };
    native(l, m, n, 1.0e-13)
}

/// TSC: tangential spherical cube.
#[inline]
pub(crate) fn tsc_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-12;
    let (face, l, m, n, zeta) = cube_face(phi, theta);
    let (xi, eta, x0, y0) = face_axes(face, l, m, n);
    let xf = clamp_face(xi / zeta, TOL)?;
    let yf = clamp_face(eta / zeta, TOL)?;
    Some((W0 * (xf + x0) - o.x0, W0 * (yf + y0) - o.y0))
}

/// CSC: COBE quadrilateralized spherical cube (single-precision polynomial fits).
#[inline]
#[allow(clippy::excessive_precision)]
pub(crate) fn csc_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    const P: [[f32; 7]; 7] = [
        // P[i][j] multiplies x^(2i) y^(2j) (only i + j <= 6 used).
        [
            -0.272_926_96,
            -0.028_194_52,
            0.270_581_6,
            -0.604_415_6,
            0.934_120_77,
            -0.639_153_06,
            0.143_815_85,
        ],
        [
            -0.076_299_69,
            -0.014_715_65,
            -0.568_009_38,
            1.508_800_86,
            -1.416_019_2,
            0.520_322_38,
            0.0,
        ],
        [
            -0.227_970_56,
            0.480_515_09,
            0.308_033_17,
            -0.936_785_76,
            0.338_874_46,
            0.0,
            0.0,
        ],
        [
            0.548_523_84,
            -1.741_144_54,
            0.989_381_02,
            0.086_938_41,
            0.0,
            0.0,
            0.0,
        ],
        [
            -0.629_300_65,
            1.715_475_08,
            -0.831_804_69,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [0.257_957_94, -0.530_223_37, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.025_843_75, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ];
    let xf = ((x + o.x0) * W1) as f32;
    let yf = ((y + o.y0) * W1) as f32;
    if !inside_layout(f64::from(xf), f64::from(yf)) {
        return None;
    }
    let mut xf = xf;
    let mut yf = yf;
    if xf < -1.0 {
        xf += 8.0;
    }
    let face = if xf > 5.0 {
        xf -= 6.0;
        4
    } else if xf > 3.0 {
        xf -= 4.0;
        3
    } else if xf > 1.0 {
        xf -= 2.0;
        2
    } else if yf > 1.0 {
        yf -= 2.0;
        0
    } else if yf < -1.0 {
        yf += 2.0;
        5
    } else {
        1
    };
    let xx = xf * xf;
    let yy = yf * yf;
    // Horner in `a` of column j of the fit, then in `b` over j.
    let fit = |a: f32, b: f32| -> f32 {
        let col = |j: usize| -> f32 {
            let top = 6 - j;
            let mut z = P[top][j];
            for i in (0..top).rev() {
                z = P[i][j] + a * z;
            }
            z
        };
        let z: [f32; 7] = std::array::from_fn(col);
        z[0] + b * (z[1] + b * (z[2] + b * (z[3] + b * (z[4] + b * (z[5] + b * z[6])))))
    };
    // chi: x^(2i) runs down the rows, so the fit is Horner in xx within each column.
    let chi = xf + xf * (1.0 - xx) * fit(xx, yy);
    let psi = yf + yf * (1.0 - yy) * fit(yy, xx);
    let t = 1.0 / (f64::from(chi * chi + psi * psi) + 1.0).sqrt();
    let (chi, psi) = (f64::from(chi), f64::from(psi));
    let (l, m, n) = match face {
        1 => (t, chi * t, psi * t),
        2 => (-chi * t, t, psi * t),
        3 => (-t, chi * -t, -psi * -t),
        4 => (-chi * -t, -t, -psi * -t),
        5 => (-psi * -t, -chi * -t, -t),
        _ => (-psi * t, chi * t, t),
    };
    native(l, m, n, 1.0e-13)
}

/// CSC: COBE quadrilateralized spherical cube (single-precision polynomial fits).
#[inline]
#[allow(clippy::excessive_precision)]
pub(crate) fn csc_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-7;
    const GSTAR: f32 = 1.37484847732;
    const MM: f32 = 0.004869491981;
    const GAMMA: f32 = -0.13161671474;
    const OMEGA1: f32 = -0.159596235474;
    const D0: f32 = 0.0759196200467;
    const D1: f32 = -0.0217762490699;
    const C00: f32 = 0.141189631152;
    const C10: f32 = 0.0809701286525;
    const C01: f32 = -0.281528535557;
    const C11: f32 = 0.15384112876;
    const C20: f32 = -0.178251207466;
    const C02: f32 = 0.106959469314;
    let (face, l, m, n, zeta) = cube_face(phi, theta);
    let (xi, eta, x0, y0) = face_axes(face, l, m, n);
    let chi = (xi / zeta) as f32;
    let psi = (eta / zeta) as f32;
    let chi2 = chi * chi;
    let psi2 = psi * psi;
    let chi2co = 1.0 - chi2;
    let psi2co = 1.0 - psi2;
    // Avoid floating underflows.
    let chipsi = f64::from(chi * psi).abs() as f32;
    let chi4 = if chi2 > 1.0e-16 { chi2 * chi2 } else { 0.0 };
    let psi4 = if psi2 > 1.0e-16 { psi2 * psi2 } else { 0.0 };
    let chi2psi2 = if chipsi > 1.0e-16 { chi2 * psi2 } else { 0.0 };
    let xf = chi
        * (chi2
            + chi2co
                * (GSTAR
                    + psi2
                        * (GAMMA * chi2co
                            + MM * chi2
                            + psi2co
                                * (C00
                                    + C10 * chi2
                                    + C01 * psi2
                                    + C11 * chi2psi2
                                    + C20 * chi4
                                    + C02 * psi4))
                    + chi2 * (OMEGA1 - chi2co * (D0 + D1 * chi2))));
    let yf = psi
        * (psi2
            + psi2co
                * (GSTAR
                    + chi2
                        * (GAMMA * psi2co
                            + MM * psi2
                            + chi2co
                                * (C00
                                    + C10 * psi2
                                    + C01 * chi2
                                    + C11 * chi2psi2
                                    + C20 * psi4
                                    + C02 * chi4))
                    + psi2 * (OMEGA1 - psi2co * (D0 + D1 * psi2))));
    let xf = clamp_face(f64::from(xf), TOL)? as f32;
    let yf = clamp_face(f64::from(yf), TOL)? as f32;
    // The face offset is added in single precision, as in WCSLIB.
    Some((
        W0 * f64::from(xf + x0 as f32) - o.x0,
        W0 * f64::from(yf + y0 as f32) - o.y0,
    ))
}

/// QSC: quadrilateralized spherical cube.
#[inline]
pub(crate) fn qsc_x2s(o: &Offset, x: f64, y: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-12;
    let (xf, yf) = layout(o, x, y)?;
    let (face, xf, yf) = face_of(xf, yf);
    let direct = xf.abs() > yf.abs();
    let (a, b) = if direct { (xf, yf) } else { (yf, xf) };
    let (omega, tau, zeco, zeta) = if a == 0.0 {
        (0.0, 1.0, 0.0, 1.0)
    } else {
        let w = 15.0 * b / a;
        let (sin_w, cos_w) = if direct {
            (sind(w), cosd(w))
        } else {
            sincosd(w)
        };
        let omega = sin_w / (cos_w - 1.0 / std::f64::consts::SQRT_2);
        let tau = 1.0 + omega * omega;
        let zeco = a * a * (1.0 - 1.0 / (1.0 + tau).sqrt());
        (omega, tau, zeco, 1.0 - zeco)
    };
    let (zeta, w) = if zeta < -1.0 {
        if zeta < -1.0 - TOL {
            return None;
        }
        (-1.0, 0.0)
    } else {
        (zeta, (zeco * (2.0 - zeco) / tau).sqrt())
    };
    // `w` along the dominant axis with its sign, the other component scaled by omega.
    let (l, m, n) = match face {
        1 => {
            if direct {
                let m = if xf < 0.0 { -w } else { w };
                (zeta, m, m * omega)
            } else {
                let n = if yf < 0.0 { -w } else { w };
                (zeta, n * omega, n)
            }
        }
        2 => {
            if direct {
                let l = if xf > 0.0 { -w } else { w };
                (l, zeta, -l * omega)
            } else {
                let n = if yf < 0.0 { -w } else { w };
                (-n * omega, zeta, n)
            }
        }
        3 => {
            if direct {
                let m = if xf > 0.0 { -w } else { w };
                (-zeta, m, -m * omega)
            } else {
                let n = if yf < 0.0 { -w } else { w };
                (-zeta, -n * omega, n)
            }
        }
        4 => {
            if direct {
                let l = if xf < 0.0 { -w } else { w };
                (l, -zeta, l * omega)
            } else {
                let n = if yf < 0.0 { -w } else { w };
                (n * omega, -zeta, n)
            }
        }
        5 => {
            if direct {
                let m = if xf < 0.0 { -w } else { w };
                (m * omega, m, -zeta)
            } else {
                let l = if yf < 0.0 { -w } else { w };
                (l, l * omega, -zeta)
            }
        }
        _ => {
            if direct {
                let m = if xf < 0.0 { -w } else { w };
                (-m * omega, m, zeta)
            } else {
                let l = if yf > 0.0 { -w } else { w };
                (l, -l * omega, zeta)
            }
        }
    };
    native(l, m, n, 1.0e-13)
}

/// QSC: quadrilateralized spherical cube.
#[inline]
pub(crate) fn qsc_s2x(o: &Offset, phi: f64, theta: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1.0e-12;
    if theta.abs() == 90.0 {
        return Some((-o.x0, copysign(2.0 * W0, theta) - o.y0));
    }
    let (face, l, m, n, zeta) = cube_face(phi, theta);
    let (xi, eta, x0, y0) = face_axes(face, l, m, n);
    let mut zeco = 1.0 - zeta;
    if zeco < 1.0e-8 {
        // Small-angle formula for the distance from the face centre.
        let (sin_p, cos_p) = sincosd(phi);
        let t = theta * (PI / 180.0);
        let p = match face {
            1 => Some((sin_p).atan2(cos_p)),
            2 => Some(sin_p.atan2(cos_p) - PI / 2.0),
            3 => {
                let p = sin_p.atan2(cos_p);
                Some(p - copysign(PI, p))
            }
            4 => Some(sin_p.atan2(cos_p) + PI / 2.0),
            _ => None,
        };
        zeco = match (face, p) {
            (_, Some(p)) => (p * p + t * t) / 2.0,
            (5, None) => {
                let t = (theta + 90.0) * (PI / 180.0);
                t * t / 2.0
            }
            _ => {
                let t = (90.0 - theta) * (PI / 180.0);
                t * t / 2.0
            }
        };
    }
    let (mut xf, mut yf) = (0.0, 0.0);
    if xi != 0.0 || eta != 0.0 {
        let along = |a: f64, b: f64, sign: f64| -> (f64, f64) {
            let omega = b / a;
            let tau = 1.0 + omega * omega;
            let u = sign * (zeco / (1.0 - 1.0 / (1.0 + tau).sqrt())).sqrt();
            let v = (u / 15.0) * (atand(omega) - asind(omega / (tau + tau).sqrt()));
            (u, v)
        };
        if -xi > eta.abs() {
            (xf, yf) = along(xi, eta, -1.0);
        } else if xi > eta.abs() {
            (xf, yf) = along(xi, eta, 1.0);
        } else if -eta >= xi.abs() {
            (yf, xf) = along(eta, xi, -1.0);
        } else if eta >= xi.abs() {
            (yf, xf) = along(eta, xi, 1.0);
        }
    }
    let xf = clamp_face(xf, TOL)?;
    let yf = clamp_face(yf, TOL)?;
    Some((W0 * (xf + x0) - o.x0, W0 * (yf + y0) - o.y0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_centres() {
        let o = Offset::default();
        for f in [tsc_s2x, csc_s2x, qsc_s2x] {
            let (x, y) = f(&o, 0.0, 0.0).unwrap();
            assert!(x.abs() < 1e-12 && y.abs() < 1e-12);
            let (x, y) = f(&o, 90.0, 0.0).unwrap();
            assert!((x - 90.0).abs() < 1e-9 && y.abs() < 1e-9, "{x} {y}");
        }
    }
}
