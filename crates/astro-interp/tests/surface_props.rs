//! Property tests of the polynomial surfaces.

#![allow(clippy::needless_range_loop)] // parallel coordinate arrays are indexed together

use astro_interp::surface::{
    FitGeometry, Function, GeoMapOptions, Surface, SurfaceRange, SurfaceSpec, XTerms, geomap,
};
use proptest::prelude::*;

fn function() -> impl Strategy<Value = Function> {
    prop_oneof![
        Just(Function::Chebyshev),
        Just(Function::Legendre),
        Just(Function::Polynomial)
    ]
}

fn xterms() -> impl Strategy<Value = XTerms> {
    prop_oneof![Just(XTerms::None), Just(XTerms::Half), Just(XTerms::Full)]
}

/// A surface with random O(1) coefficients (scaled per power for the raw power series)
/// over a random range, and a jittered grid of sample points spread over the range.
#[derive(Debug)]
struct Case {
    truth: Surface,
    x: Vec<f64>,
    y: Vec<f64>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        function(),
        1usize..=5,
        1usize..=5,
        xterms(),
        -1000.0..1000.0f64,
        1.0..3000.0f64,
        -1000.0..1000.0f64,
        1.0..3000.0f64,
    )
        .prop_flat_map(|(f, xo, yo, xt, x0, wx, y0, wy)| {
            // The raw power series is only well conditioned on ranges near the origin
            // (IRAF has the same limitation): keep 0 inside the range for it.
            let (x0, y0) = if f == Function::Polynomial {
                (-wx * 0.3, -wy * 0.6)
            } else {
                (x0, y0)
            };
            let range = SurfaceRange::new(x0, x0 + wx, y0, y0 + wy).unwrap();
            let spec = SurfaceSpec::new(f, xo, yo, xt);
            let n = xo.max(yo) + 3;
            (
                Just((spec, range, n)),
                prop::collection::vec(-1.0..1.0f64, spec.ncoeff()),
                prop::collection::vec((0.05..0.95f64, 0.05..0.95f64), n * n),
            )
        })
        .prop_map(|((spec, range, n), c, jitter)| {
            let sx = range.xmax.abs().max(range.xmin.abs());
            let sy = range.ymax.abs().max(range.ymin.abs());
            let coeffs = spec
                .terms()
                .iter()
                .zip(c)
                .map(|(&(i, j), c)| {
                    if spec.function == Function::Polynomial {
                        c / (sx.powi(i as i32) * sy.powi(j as i32))
                    } else {
                        c
                    }
                })
                .collect();
            let truth = Surface::new(spec, range, coeffs).unwrap();
            let (dx, dy) = (
                (range.xmax - range.xmin) / n as f64,
                (range.ymax - range.ymin) / n as f64,
            );
            let (mut x, mut y) = (vec![], vec![]);
            for (k, (jx, jy)) in jitter.into_iter().enumerate() {
                x.push(range.xmin + dx * ((k % n) as f64 + jx));
                y.push(range.ymin + dy * ((k / n) as f64 + jy));
            }
            Case { truth, x, y }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Fitting samples of an exact polynomial of the same family and shape gives a
    /// surface that evaluates back to the samples.
    #[test]
    fn exact_polynomial_fits_back_to_its_samples(c in case()) {
        let z = c.truth.eval_points(&c.x, &c.y).unwrap();
        let zmax = z.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
        let fit = Surface::fit(c.truth.spec(), c.truth.range(), &c.x, &c.y, &z, None).unwrap();
        prop_assert_eq!(fit.rank(), fit.ncoeff());
        for k in 0..z.len() {
            // Tolerance: 1e-9 of the largest |z| (evaluated values).
            let err = (fit.eval(c.x[k], c.y[k]) - z[k]).abs() / zmax;
            prop_assert!(err < 1e-9, "point {}: relative error {:e}", k, err);
        }
    }

    /// A pure shift is recovered by every fit geometry (each family contains it).
    #[test]
    fn every_geometry_recovers_a_shift(
        dx in -100.0..100.0f64, dy in -100.0..100.0f64, f in function(),
        g in prop_oneof![Just(FitGeometry::Shift), Just(FitGeometry::XyScale), Just(FitGeometry::Rotate),
                         Just(FitGeometry::RScale), Just(FitGeometry::RxyScale), Just(FitGeometry::General)],
    ) {
        let (mut xr, mut yr) = (vec![], vec![]);
        for j in 0..5 {
            for i in 0..6 {
                xr.push(i as f64 * 97.0 + 0.3 * j as f64);
                yr.push(j as f64 * 61.0 - 0.2 * i as f64);
            }
        }
        let xi: Vec<f64> = xr.iter().map(|x| x + dx).collect();
        let yi: Vec<f64> = yr.iter().map(|y| y + dy).collect();
        let opts = GeoMapOptions { fitgeometry: g, function: f, ..GeoMapOptions::default() };
        let t = geomap(&xr, &yr, &xi, &yi, None, &opts).unwrap();
        prop_assert!((t.linear.xshift - dx).abs() < 1e-9 && (t.linear.yshift - dy).abs() < 1e-9);
        prop_assert!((t.linear.xmag - 1.0).abs() < 1e-12 && (t.linear.ymag - 1.0).abs() < 1e-12);
        for k in 0..xr.len() {
            prop_assert!(t.xresid[k].abs() < 1e-9 && t.yresid[k].abs() < 1e-9);
        }
    }
}
