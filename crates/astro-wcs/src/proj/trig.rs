//! Degree-based trigonometry, evaluated exactly as astropy's build of WCSLIB does.
//!
//! astropy compiles WCSLIB with `WCSTRIG_MACRO`, which turns `sind`, `cosd`, `atan2d`...
//! into plain radian calls (`sin(x*PI/180)`, `atan2(y, x)*180/PI`) without WCSLIB's
//! special handling of multiples of 90° or its clamping of `asin`/`acos` arguments that
//! stray past ±1. Reproducing that (including the order of the multiplication and the
//! division by 180 or π) is what makes our results — and, above all, the points rejected
//! at projection boundaries and in degenerate rotations — identical to astropy's.

use std::f64::consts::PI;

/// Degrees per radian.
pub(crate) const R2D: f64 = 180.0 / PI;
/// Radians per degree.
pub(crate) const D2R: f64 = PI / 180.0;

/// Degrees to radians as `x*PI/180.0`.
#[inline(always)]
fn rad(angle: f64) -> f64 {
    angle * PI / 180.0
}

/// Radians to degrees as `x*180.0/PI`.
#[inline(always)]
fn deg(v: f64) -> f64 {
    v * 180.0 / PI
}

/// Cosine of an angle in degrees.
#[inline]
pub(crate) fn cosd(angle: f64) -> f64 {
    rad(angle).cos()
}

/// Sine of an angle in degrees.
#[inline]
pub(crate) fn sind(angle: f64) -> f64 {
    rad(angle).sin()
}

/// `(sin, cos)` of an angle in degrees.
#[inline]
pub(crate) fn sincosd(angle: f64) -> (f64, f64) {
    rad(angle).sin_cos()
}

/// Tangent of an angle in degrees.
#[inline]
pub(crate) fn tand(angle: f64) -> f64 {
    rad(angle).tan()
}

/// Arc cosine in degrees (NaN outside [-1, 1]).
#[inline]
pub(crate) fn acosd(v: f64) -> f64 {
    deg(v.acos())
}

/// Arc sine in degrees (NaN outside [-1, 1]).
#[inline]
pub(crate) fn asind(v: f64) -> f64 {
    deg(v.asin())
}

/// Arc tangent in degrees.
#[inline]
pub(crate) fn atand(v: f64) -> f64 {
    deg(v.atan())
}

/// Two-argument arc tangent in degrees, in [-180, 180].
#[inline]
pub(crate) fn atan2d(y: f64, x: f64) -> f64 {
    deg(y.atan2(x))
}

/// `|a|` with the sign of `b` (negative only when `b < 0`, so `-0.0` counts as positive),
/// as WCSLIB's `copysign` macro.
#[inline]
pub(crate) fn copysign(a: f64, b: f64) -> f64 {
    if b < 0.0 { -a.abs() } else { a.abs() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_radian_semantics() {
        // Not special-cased: sin(180°) is sin(π) ≈ 1.2e-16, as in astropy.
        assert!(sind(180.0) != 0.0 && sind(180.0).abs() < 1e-15);
        assert!(cosd(90.0).abs() < 1e-16);
        assert_eq!(sind(0.0), 0.0);
        assert_eq!(sind(90.0), 1.0);
        assert!(asind(1.0 + 1e-12).is_nan());
        assert_eq!(asind(1.0), 90.0);
        assert_eq!(atan2d(0.0, -1.0), 180.0);
        assert_eq!(atan2d(-0.0, -1.0), -180.0);
        assert_eq!(atand(1.0), 45.0);
        assert_eq!(copysign(2.0, -0.0), 2.0);
        assert_eq!(copysign(2.0, -1.0), -2.0);
    }

    #[test]
    fn generic_angles_match_std() {
        for a in [-359.5, -123.4, -1e-9, 0.3, 37.0, 89.999, 181.0] {
            assert!((sind(a) - a.to_radians().sin()).abs() < 1e-15);
            assert!((cosd(a) - a.to_radians().cos()).abs() < 1e-15);
            let (s, c) = sincosd(a);
            assert!((s - sind(a)).abs() < 1e-15 && (c - cosd(a)).abs() < 1e-15);
        }
        let _ = (R2D, D2R);
    }
}
