//! Degree-based trigonometry with exact results at the special angles.
//!
//! WCSLIB returns exact values at multiples of 90° (and a few other angles) and clamps
//! inverse functions whose argument strays past ±1 by rounding; parity with it at the
//! projection boundaries depends on reproducing that behaviour, so every projection uses
//! these helpers instead of `f64::to_radians().sin()` and friends.

use std::f64::consts::PI;

/// Degrees per radian.
pub(crate) const R2D: f64 = 180.0 / PI;
/// Radians per degree.
pub(crate) const D2R: f64 = PI / 180.0;

/// Tolerance by which the argument of `asind`/`acosd` may exceed 1 in magnitude.
const INV_TOL: f64 = 1.0e-10;

/// Quadrant index of an exact multiple of 90°, shifted by `shift` quarter turns.
#[inline]
fn quadrant(angle: f64, shift: f64) -> i64 {
    ((angle / 90.0 + shift).floor() as i64).abs() % 4
}

/// Cosine of an angle in degrees; exact at multiples of 90°.
#[inline]
pub(crate) fn cosd(angle: f64) -> f64 {
    if angle % 90.0 == 0.0 {
        match quadrant(angle, 0.5) {
            0 => 1.0,
            2 => -1.0,
            _ => 0.0,
        }
    } else {
        (angle * D2R).cos()
    }
}

/// Sine of an angle in degrees; exact at multiples of 90°.
#[inline]
pub(crate) fn sind(angle: f64) -> f64 {
    if angle % 90.0 == 0.0 {
        match quadrant(angle, -0.5) {
            0 => 1.0,
            2 => -1.0,
            _ => 0.0,
        }
    } else {
        (angle * D2R).sin()
    }
}

/// `(sin, cos)` of an angle in degrees; exact at multiples of 90°.
#[inline]
pub(crate) fn sincosd(angle: f64) -> (f64, f64) {
    if angle % 90.0 == 0.0 {
        let up = if angle > 0.0 { 1.0 } else { -1.0 };
        match quadrant(angle, 0.5) {
            0 => (0.0, 1.0),
            1 => (up, 0.0),
            2 => (0.0, -1.0),
            _ => (-up, 0.0),
        }
    } else {
        (angle * D2R).sin_cos()
    }
}

/// Tangent of an angle in degrees; exact at multiples of 45°.
#[inline]
pub(crate) fn tand(angle: f64) -> f64 {
    let resid = angle % 360.0;
    if resid == 0.0 || resid.abs() == 180.0 {
        0.0
    } else if resid == 45.0 || resid == 225.0 {
        1.0
    } else if resid == -135.0 || resid == -315.0 {
        -1.0
    } else {
        (angle * D2R).tan()
    }
}

/// Arc cosine in degrees, clamping arguments within 1e-10 beyond ±1.
#[inline]
pub(crate) fn acosd(v: f64) -> f64 {
    if v >= 1.0 {
        if v - 1.0 < INV_TOL {
            return 0.0;
        }
    } else if v == 0.0 {
        return 90.0;
    } else if v <= -1.0 && v + 1.0 > -INV_TOL {
        return 180.0;
    }
    v.acos() * R2D
}

/// Arc sine in degrees, clamping arguments within 1e-10 beyond ±1.
#[inline]
pub(crate) fn asind(v: f64) -> f64 {
    if v <= -1.0 {
        if v + 1.0 > -INV_TOL {
            return -90.0;
        }
    } else if v == 0.0 {
        return 0.0;
    } else if v >= 1.0 && v - 1.0 < INV_TOL {
        return 90.0;
    }
    v.asin() * R2D
}

/// Arc tangent in degrees; exact at 0 and ±1.
#[inline]
pub(crate) fn atand(v: f64) -> f64 {
    if v == -1.0 {
        -45.0
    } else if v == 0.0 {
        0.0
    } else if v == 1.0 {
        45.0
    } else {
        v.atan() * R2D
    }
}

/// Two-argument arc tangent in degrees; exact on the axes (and 180°, never -180°, on the
/// negative x axis).
#[inline]
pub(crate) fn atan2d(y: f64, x: f64) -> f64 {
    if y == 0.0 {
        if x >= 0.0 {
            return 0.0;
        } else if x < 0.0 {
            return 180.0;
        }
    } else if x == 0.0 {
        if y > 0.0 {
            return 90.0;
        } else if y < 0.0 {
            return -90.0;
        }
    }
    y.atan2(x) * R2D
}

/// `|a|` with the sign of `b` (negative only when `b < 0`, so `-0.0` counts as positive).
#[inline]
pub(crate) fn copysign(a: f64, b: f64) -> f64 {
    if b < 0.0 { -a.abs() } else { a.abs() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_special_angles() {
        assert_eq!(cosd(90.0), 0.0);
        assert_eq!(cosd(-180.0), -1.0);
        assert_eq!(sind(90.0), 1.0);
        assert_eq!(sind(-90.0), -1.0);
        assert_eq!(sind(180.0), 0.0);
        assert_eq!(sincosd(-90.0), (-1.0, 0.0));
        assert_eq!(sincosd(270.0), (-1.0, 0.0));
        assert_eq!(sincosd(-270.0), (1.0, 0.0));
        assert_eq!(tand(45.0), 1.0);
        assert_eq!(tand(-135.0), -1.0);
        assert_eq!(asind(1.0 + 1e-12), 90.0);
        assert!(asind(1.0 + 1e-9).is_nan());
        assert_eq!(acosd(-1.0 - 1e-12), 180.0);
        assert_eq!(atan2d(0.0, -1.0), 180.0);
        assert_eq!(atan2d(-0.0, -1.0), 180.0);
        assert_eq!(atan2d(-2.0, 0.0), -90.0);
        assert_eq!(atand(1.0), 45.0);
        assert_eq!(copysign(2.0, -0.0), 2.0);
    }

    #[test]
    fn generic_angles_match_std() {
        for a in [-359.5, -123.4, -1e-9, 0.3, 37.0, 89.999, 181.0] {
            assert!((sind(a) - a.to_radians().sin()).abs() < 1e-15);
            assert!((cosd(a) - a.to_radians().cos()).abs() < 1e-15);
            let (s, c) = sincosd(a);
            assert!((s - sind(a)).abs() < 1e-15 && (c - cosd(a)).abs() < 1e-15);
        }
    }
}
