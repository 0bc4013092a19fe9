//! Properties of the interpolants.
//!
//! What is exactly reproduced (away from the edges, so that the boundary plays no role):
//!
//! | interpolant | reproduces exactly |
//! |---|---|
//! | nearest | constants |
//! | linear | `a + b x + c y + d x y` (degree ≤ 1 per axis) |
//! | poly3 | every `x^i y^j`, i, j ≤ 3 (so all polynomials of total degree ≤ 3) |
//! | poly5 | every `x^i y^j`, i, j ≤ 5 |
//! | spline3 | every `x^i y^j`, i, j ≤ 3, up to the boundary error of the prefilter, which decays as 0.268^distance |
//! | sinc, lsinc | constants only (weights normalised per axis) |
//! | lanczos2/3/5 | nothing exactly: drizzle's look-up-table weights are not normalised (constants within 2%, lanczos2 5%) |
//!
//! A constant image is reproduced everywhere (any coordinate, any boundary whose extension of
//! a constant is that constant) by every interpolant but Lanczos.

use astro_interp::{Boundary, InterpOptions, Interpolant, Interpolator, OutOfBounds};
use ndarray::Array2;
use proptest::prelude::*;

fn boundary() -> impl Strategy<Value = Boundary> {
    prop_oneof![
        Just(Boundary::Nearest),
        Just(Boundary::Reflect),
        Just(Boundary::Symmetric),
        Just(Boundary::Wrap),
        Just(Boundary::Project),
    ]
}

fn exact_for_constants() -> impl Strategy<Value = Interpolant> {
    prop_oneof![
        Just(Interpolant::Nearest),
        Just(Interpolant::Linear),
        Just(Interpolant::Poly3),
        Just(Interpolant::Poly5),
        Just(Interpolant::Spline3),
        Just(Interpolant::Sinc),
        Just(Interpolant::Lsinc),
    ]
}

/// Relative check against the largest |value| of the polynomial over the image.
fn close(v: f32, want: f64, scale: f64, tol: f64) -> bool {
    ((v as f64) - want).abs() <= tol * scale.max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn constant_images_are_reproduced(
        c in -1e4f32..1e4,
        k in exact_for_constants(),
        b in boundary(),
        ny in 1usize..12,
        nx in 1usize..12,
        x in -30.0f64..40.0,
        y in -30.0f64..40.0,
    ) {
        let img = Array2::from_elem((ny, nx), c);
        let it = Interpolator::new(img.view(), k, InterpOptions { boundary: b, ..Default::default() }).unwrap();
        let v = it.eval(x, y);
        prop_assert!(close(v, c as f64, c.abs() as f64, 1e-5), "{} {:?}: {} vs {}", k, b, v, c);
        // And with the constant boundary of the same value, the fill policies inside.
        let o = InterpOptions { boundary: Boundary::Constant(c), out_of_bounds: OutOfBounds::Fill, fillval: c, ..Default::default() };
        let it = Interpolator::new(img.view(), k, o).unwrap();
        let v = it.eval(x, y);
        prop_assert!(close(v, c as f64, c.abs() as f64, 1e-5), "{} const: {} vs {}", k, v, c);
    }

    #[test]
    fn lanczos_reproduces_constants_within_its_lut_error(
        c in 1.0f32..1e4,
        a in prop_oneof![Just(Interpolant::Lanczos2), Just(Interpolant::Lanczos3), Just(Interpolant::Lanczos5)],
        x in 8.0f64..16.0,
        y in 8.0f64..16.0,
    ) {
        let img = Array2::from_elem((24, 24), c);
        let it = Interpolator::new(img.view(), a, InterpOptions::default()).unwrap();
        let v = it.eval(x, y) as f64 / c as f64;
        // Lanczos-2's window is too short for its sum to stay near 1 (and the table index is
        // truncated): a few percent; Lanczos-3/5 within 2%.
        let tol = if a == Interpolant::Lanczos2 { 0.05 } else { 0.02 };
        prop_assert!((v - 1.0).abs() < tol, "{} {}", a, v);
    }

    #[test]
    fn polynomials_are_reproduced_away_from_edges(
        coef in prop::collection::vec(-1.0f64..1.0, 36),
        x in 26.0f64..38.0,
        y in 26.0f64..38.0,
        b in boundary(),
    ) {
        // Centre the polynomial on the image to keep f32 rounding of the data small.
        let n = 64usize;
        let eval_poly = |deg: usize, x: f64, y: f64| -> f64 {
            let (u, v) = ((x - 32.0) / 8.0, (y - 32.0) / 8.0);
            let mut s = 0.0;
            for i in 0..=deg {
                for j in 0..=deg {
                    s += coef[i * 6 + j] * u.powi(i as i32) * v.powi(j as i32);
                }
            }
            s
        };
        for (k, deg, tol) in [
            (Interpolant::Linear, 1usize, 1e-5),
            (Interpolant::Poly3, 3, 1e-5),
            (Interpolant::Poly5, 5, 1e-5),
            (Interpolant::Spline3, 3, 1e-5),
        ] {
            let img = Array2::from_shape_fn((n, n), |(j, i)| eval_poly(deg, i as f64, j as f64) as f32);
            let scale = img.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()));
            let it = Interpolator::new(img.view(), k, InterpOptions { boundary: b, ..Default::default() }).unwrap();
            let v = it.eval(x, y);
            let want = eval_poly(deg, x, y);
            prop_assert!(close(v, want, scale, tol), "{} {:?} deg {}: {} vs {} (scale {})", k, b, deg, v, want, scale);
        }
    }

    #[test]
    fn linear_stays_within_the_range_of_its_corners(
        vals in prop::collection::vec(-1e3f32..1e3, 16),
        x in -2.0f64..6.0,
        y in -2.0f64..6.0,
        b in boundary(),
    ) {
        let img = Array2::from_shape_vec((4, 4), vals.clone()).unwrap();
        let it = Interpolator::new(img.view(), Interpolant::Linear, InterpOptions { boundary: b, ..Default::default() }).unwrap();
        let v = it.eval(x, y);
        let (lo, hi) = vals.iter().fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        if b != Boundary::Project {
            prop_assert!(v >= lo - 1e-3 && v <= hi + 1e-3, "{} not in [{}, {}]", v, lo, hi);
        } else {
            prop_assert!(v.is_finite());
        }
    }
}
