//! Behaviour tests of the IRAF geomap-style polynomial surfaces.

#![allow(clippy::needless_range_loop)] // parallel coordinate arrays are indexed together

use astro_interp::Error;
use astro_interp::surface::{
    FitGeometry, Function, GeoMapOptions, Surface, SurfaceRange, SurfaceSpec, XTerms, geomap,
};

const FUNCTIONS: [Function; 3] = [
    Function::Chebyshev,
    Function::Legendre,
    Function::Polynomial,
];
const XTERMS: [XTerms; 3] = [XTerms::None, XTerms::Half, XTerms::Full];

/// Small deterministic generator (xorshift64*), uniform in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// A jittered `n × n` grid over the rectangle.
fn spread_points(rng: &mut Rng, n: usize, r: SurfaceRange) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (vec![], vec![]);
    let (dx, dy) = ((r.xmax - r.xmin) / n as f64, (r.ymax - r.ymin) / n as f64);
    for j in 0..n {
        for i in 0..n {
            x.push(r.xmin + dx * (i as f64 + rng.uniform(0.05, 0.95)));
            y.push(r.ymin + dy * (j as f64 + rng.uniform(0.05, 0.95)));
        }
    }
    (x, y)
}

/// Random coefficients, scaled for the power series so every term contributes comparably
/// over the range (raw coordinates).
fn random_surface(rng: &mut Rng, spec: SurfaceSpec, range: SurfaceRange) -> Surface {
    let sx = range.xmax.abs().max(range.xmin.abs());
    let sy = range.ymax.abs().max(range.ymin.abs());
    let coeffs = spec
        .terms()
        .iter()
        .map(|&(i, j)| {
            let c = rng.uniform(-1.0, 1.0);
            if spec.function == Function::Polynomial {
                c / (sx.powi(i as i32) * sy.powi(j as i32))
            } else {
                c
            }
        })
        .collect();
    Surface::new(spec, range, coeffs).unwrap()
}

#[test]
fn recovers_exact_polynomials_of_every_family_order_and_xterms() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let range = SurfaceRange::new(-40.0, 2100.0, 15.0, 1300.0).unwrap();
    let (x, y) = spread_points(&mut rng, 14, range); // 196 points >= 36 coefficients
    let (xt, yt) = spread_points(&mut rng, 7, range); // off-sample check points
    let mut worst: f64 = 0.0;
    for function in FUNCTIONS {
        for xterms in XTERMS {
            for xorder in 1..=6 {
                for yorder in 1..=6 {
                    let spec = SurfaceSpec::new(function, xorder, yorder, xterms);
                    let truth = random_surface(&mut rng, spec, range);
                    let z = truth.eval_points(&x, &y).unwrap();
                    let zmax = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    let fit = Surface::fit(spec, range, &x, &y, &z, None).unwrap();
                    assert_eq!(fit.rank(), spec.ncoeff());
                    for (px, py) in x.iter().zip(&y).chain(xt.iter().zip(&yt)) {
                        let err = (fit.eval(*px, *py) - truth.eval(*px, *py)).abs() / zmax;
                        worst = worst.max(err);
                        // Tolerance: 1e-10 of the largest sampled |z| (evaluated values).
                        assert!(err < 1e-10, "{spec:?}: relative error {err:e}");
                    }
                    if function != Function::Polynomial {
                        // Normalised bases are well conditioned: the coefficients themselves
                        // come back to 1e-10 absolute (they are O(1)).
                        for (a, b) in fit.coefficients().iter().zip(truth.coefficients()) {
                            assert!((a - b).abs() < 1e-10, "{spec:?}: coefficient {a} vs {b}");
                        }
                    }
                }
            }
        }
    }
    println!("worst relative error over 324 exact surfaces: {worst:e}");
}

#[test]
fn weights_zero_excludes_points() {
    let mut rng = Rng(7);
    let range = SurfaceRange::new(0.0, 100.0, 0.0, 100.0).unwrap();
    let (x, y) = spread_points(&mut rng, 6, range);
    let spec = SurfaceSpec::new(Function::Legendre, 3, 3, XTerms::Half);
    let truth = random_surface(&mut rng, spec, range);
    let mut z = truth.eval_points(&x, &y).unwrap();
    let mut w = vec![1.0; z.len()];
    z[5] += 1000.0; // garbage, but weight 0
    w[5] = 0.0;
    let fit = Surface::fit(spec, range, &x, &y, &z, Some(&w)).unwrap();
    assert!((fit.eval(50.0, 50.0) - truth.eval(50.0, 50.0)).abs() < 1e-10);
}

#[test]
fn grid_is_bit_identical_to_points() {
    let mut rng = Rng(99);
    let range = SurfaceRange::new(0.0, 511.0, 0.0, 255.0).unwrap();
    for function in FUNCTIONS {
        let spec = SurfaceSpec::new(function, 5, 4, XTerms::Full);
        let s = random_surface(&mut rng, spec, range);
        let xs: Vec<f64> = (0..37).map(|i| i as f64 * 14.2 - 3.0).collect();
        let ys: Vec<f64> = (0..23).map(|j| j as f64 * 11.7).collect();
        let g = s.eval_grid(&xs, &ys);
        for (j, &yv) in ys.iter().enumerate() {
            for (i, &xv) in xs.iter().enumerate() {
                assert_eq!(g[[j, i]].to_bits(), s.eval(xv, yv).to_bits());
            }
        }
        // Non-contiguous output rows take the buffered path and agree too.
        let mut big = ndarray::Array2::<f64>::zeros((ys.len(), 2 * xs.len()));
        let view = big.slice_mut(ndarray::s![.., ..;2]);
        s.eval_grid_into(&xs, &ys, view).unwrap();
        assert_eq!(big.slice(ndarray::s![.., ..;2]), g);
    }
}

#[cfg(feature = "rayon")]
#[test]
fn grid_is_identical_for_any_thread_count() {
    let mut rng = Rng(5);
    let range = SurfaceRange::new(0.0, 1023.0, 0.0, 1023.0).unwrap();
    let spec = SurfaceSpec::new(Function::Chebyshev, 4, 4, XTerms::Half);
    let s = random_surface(&mut rng, spec, range);
    let xs: Vec<f64> = (0..300).map(|i| i as f64 * 3.4).collect();
    let ys: Vec<f64> = (0..301).map(|i| i as f64 * 3.4).collect();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| s.eval_grid(&xs, &ys))
    };
    let one = run(1);
    for t in [2, 3, 7] {
        let other = run(t);
        assert!(
            one.iter()
                .zip(other.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
}

/// A smooth distortion: affine plus quadratic and a little cubic.
fn distortion(x: f64, y: f64) -> (f64, f64) {
    let (u, v) = (x / 1000.0, y / 1000.0);
    (
        12.0 + 0.998 * x + 0.013 * y + 3.0 * u * u - 1.5 * u * v + 0.8 * v * v + 0.4 * u * u * u,
        -7.0 - 0.011 * x + 1.003 * y + 2.0 * u * v - 1.1 * u * u + 0.6 * v * v * v,
    )
}

#[test]
fn rejection_removes_exactly_the_planted_outliers() {
    let mut rng = Rng(0xfeed);
    let range = SurfaceRange::new(0.0, 2000.0, 0.0, 4000.0).unwrap();
    let (xr, yr) = spread_points(&mut rng, 12, range);
    let sigma = 0.02;
    // Bounded (uniform) noise with rms sigma: a clean point can never pass a 3-sigma cut.
    let half = sigma * 3f64.sqrt();
    let (mut xi, mut yi): (Vec<f64>, Vec<f64>) = xr
        .iter()
        .zip(&yr)
        .map(|(&x, &y)| {
            let (a, b) = distortion(x, y);
            (a + rng.uniform(-half, half), b + rng.uniform(-half, half))
        })
        .unzip();
    let planted = [3usize, 17, 42, 77, 90, 131];
    for (n, &k) in planted.iter().enumerate() {
        let amp = [1.5, -2.0, 0.8, 1.0, -0.9, 3.0][n];
        if n % 2 == 0 {
            xi[k] += amp
        } else {
            yi[k] += amp
        }
    }
    for function in FUNCTIONS {
        let opts = GeoMapOptions {
            function,
            xxorder: 4,
            xyorder: 4,
            yxorder: 4,
            yyorder: 4,
            maxiter: 10,
            reject: Some(3.0),
            ..GeoMapOptions::default()
        };
        let t = geomap(&xr, &yr, &xi, &yi, None, &opts).unwrap();
        let mut got = t.rejected.clone();
        got.sort_unstable();
        assert_eq!(got, planted, "{function}");
        assert_eq!(t.ngood, xr.len() - planted.len());
        // The clean fit's rms is the noise level (within 25 % for 138 points).
        assert!((t.xrms / sigma - 1.0).abs() < 0.25 && (t.yrms / sigma - 1.0).abs() < 0.25);
        // Without rejection the outliers inflate the rms several-fold.
        let plain = geomap(
            &xr,
            &yr,
            &xi,
            &yi,
            None,
            &GeoMapOptions { maxiter: 0, ..opts },
        )
        .unwrap();
        assert!(plain.rejected.is_empty() && plain.xrms > 5.0 * t.xrms);
    }
}

fn grid_points(n: usize, step: f64) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (vec![], vec![]);
    for j in 0..n {
        for i in 0..n {
            x.push(i as f64 * step + 0.37 * j as f64);
            y.push(j as f64 * step + 0.21 * i as f64);
        }
    }
    (x, y)
}

fn check_map(
    t: &astro_interp::surface::GeoTransform,
    xr: &[f64],
    yr: &[f64],
    xi: &[f64],
    yi: &[f64],
    tol: f64,
) {
    for k in 0..xr.len() {
        let (a, b) = t.eval(xr[k], yr[k]);
        assert!(
            (a - xi[k]).abs() < tol && (b - yi[k]).abs() < tol,
            "point {k}: ({a}, {b}) vs ({}, {})",
            xi[k],
            yi[k]
        );
    }
}

/// Angle difference in degrees, modulo 360.
fn dang(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[test]
fn each_fitgeometry_recovers_its_transform() {
    let (xr, yr) = grid_points(9, 120.0);
    let apply = |f: &dyn Fn(f64, f64) -> (f64, f64)| -> (Vec<f64>, Vec<f64>) {
        xr.iter().zip(&yr).map(|(&x, &y)| f(x, y)).unzip()
    };
    for function in FUNCTIONS {
        let opts = |g: FitGeometry| GeoMapOptions {
            fitgeometry: g,
            function,
            ..GeoMapOptions::default()
        };
        // Tolerance: 1e-9 px on ~1000 px coordinates; 1e-9 on scales; 1e-7 deg on angles.
        let tol = 1e-9;

        // shift
        let (xi, yi) = apply(&|x, y| (x + 3.5, y - 2.25));
        let t = geomap(&xr, &yr, &xi, &yi, None, &opts(FitGeometry::Shift)).unwrap();
        check_map(&t, &xr, &yr, &xi, &yi, tol);
        assert!((t.linear.xshift - 3.5).abs() < tol && (t.linear.yshift + 2.25).abs() < tol);
        assert_eq!((t.linear.xmag, t.linear.ymag), (1.0, 1.0));

        // xyscale
        let (xi, yi) = apply(&|x, y| (1.0 + 1.2 * x, -2.0 + 0.8 * y));
        let t = geomap(&xr, &yr, &xi, &yi, None, &opts(FitGeometry::XyScale)).unwrap();
        check_map(&t, &xr, &yr, &xi, &yi, tol);
        assert!((t.linear.xmag - 1.2).abs() < tol && (t.linear.ymag - 0.8).abs() < tol);
        assert!((t.linear.xshift - 1.0).abs() < tol && (t.linear.yshift + 2.0).abs() < tol);

        // rotate, plain and mirrored
        for theta in [25.0f64, 160.0, 300.0] {
            let (s, c) = theta.to_radians().sin_cos();
            let (xi, yi) = apply(&|x, y| (4.0 + c * x + s * y, 9.0 - s * x + c * y));
            let t = geomap(&xr, &yr, &xi, &yi, None, &opts(FitGeometry::Rotate)).unwrap();
            check_map(&t, &xr, &yr, &xi, &yi, tol);
            assert!(
                dang(t.linear.xrotation, theta) < 1e-7 && dang(t.linear.yrotation, theta) < 1e-7
            );
            assert!((t.linear.xmag - 1.0).abs() < tol);

            let (xi, yi) = apply(&|x, y| (4.0 - c * x + s * y, 9.0 + s * x + c * y));
            let t = geomap(&xr, &yr, &xi, &yi, None, &opts(FitGeometry::Rotate)).unwrap();
            check_map(&t, &xr, &yr, &xi, &yi, tol);
            assert!(dang(t.linear.xrotation, theta + 180.0) < 1e-7);
            assert!(dang(t.linear.yrotation, theta) < 1e-7);
        }

        // rscale
        let (s, c) = 41f64.to_radians().sin_cos();
        let (xi, yi) = apply(&|x, y| (-5.0 + 0.7 * (c * x + s * y), 2.0 + 0.7 * (-s * x + c * y)));
        let t = geomap(&xr, &yr, &xi, &yi, None, &opts(FitGeometry::RScale)).unwrap();
        check_map(&t, &xr, &yr, &xi, &yi, tol);
        assert!((t.linear.xmag - 0.7).abs() < tol && (t.linear.ymag - 0.7).abs() < tol);
        assert!(dang(t.linear.xrotation, 41.0) < 1e-7);

        // rxyscale
        for theta in [12.0f64, 135.0, 230.0] {
            let (s, c) = theta.to_radians().sin_cos();
            let (mx, my) = (1.3, 0.9);
            let (xi, yi) = apply(&|x, y| {
                (
                    6.0 + mx * c * x + my * s * y,
                    -1.0 - mx * s * x + my * c * y,
                )
            });
            let t = geomap(&xr, &yr, &xi, &yi, None, &opts(FitGeometry::RxyScale)).unwrap();
            check_map(&t, &xr, &yr, &xi, &yi, 1e-8);
            assert!((t.linear.xmag - mx).abs() < 1e-9 && (t.linear.ymag - my).abs() < 1e-9);
            assert!(
                dang(t.linear.xrotation, theta) < 1e-7 && dang(t.linear.yrotation, theta) < 1e-7
            );
        }

        // general: linear only (orders 2)
        let (xi, yi) = apply(&|x, y| (3.0 + 1.01 * x - 0.02 * y, -4.0 + 0.03 * x + 0.97 * y));
        let t = geomap(&xr, &yr, &xi, &yi, None, &opts(FitGeometry::General)).unwrap();
        check_map(&t, &xr, &yr, &xi, &yi, tol);
        assert!(t.x_fit.higher().is_none());
        assert!((t.linear.xshift - 3.0).abs() < tol && (t.linear.yshift + 4.0).abs() < tol);
        assert!((t.linear.xmag - 1.01f64.hypot(0.03)).abs() < tol);
        assert!(dang(t.linear.xrotation, (-0.03f64).atan2(1.01).to_degrees()) < 1e-7);

        // general with a cubic distortion, all cross-term settings that can hold it.
        let (xi, yi) = apply(&distortion);
        for xterms in [XTerms::Half, XTerms::Full] {
            let o = GeoMapOptions {
                xxorder: 4,
                xyorder: 4,
                yxorder: 4,
                yyorder: 4,
                xxterms: xterms,
                yxterms: xterms,
                ..opts(FitGeometry::General)
            };
            let t = geomap(&xr, &yr, &xi, &yi, None, &o).unwrap();
            assert!(t.x_fit.higher().is_some());
            check_map(&t, &xr, &yr, &xi, &yi, 1e-9);
            assert!(t.xrms < 1e-9 && t.yrms < 1e-9);
        }
    }
}

#[test]
fn geomap_matches_a_direct_fit_of_the_full_surface() {
    // geomap's linear-then-residual scheme spans the same function space as a direct fit.
    let mut rng = Rng(31);
    let range = SurfaceRange::new(0.0, 2000.0, 0.0, 2000.0).unwrap();
    let (xr, yr) = spread_points(&mut rng, 10, range);
    let xi: Vec<f64> = xr
        .iter()
        .zip(&yr)
        .map(|(&x, &y)| distortion(x, y).0 + rng.uniform(-0.05, 0.05))
        .collect();
    let opts = GeoMapOptions {
        xxorder: 3,
        xyorder: 3,
        ..GeoMapOptions::mscimage()
    };
    let t = geomap(&xr, &yr, &xi, &yr, None, &opts).unwrap();
    let direct = Surface::fit(
        SurfaceSpec::new(Function::Chebyshev, 3, 3, XTerms::Half),
        t.range,
        &xr,
        &yr,
        &xi,
        None,
    )
    .unwrap();
    for k in 0..xr.len() {
        assert!((t.x_fit.eval(xr[k], yr[k]) - direct.eval(xr[k], yr[k])).abs() < 1e-9);
    }
}

#[test]
fn user_range_excludes_points_outside_it() {
    let (xr, yr) = grid_points(6, 10.0);
    let mut xi: Vec<f64> = xr.iter().map(|x| x + 1.0).collect();
    let yi = yr.clone();
    // A wild point beyond xmax is ignored.
    let far = xr.iter().position(|&x| x > 45.0).unwrap();
    xi[far] = 1e6;
    let opts = GeoMapOptions {
        xmin: Some(0.0),
        xmax: Some(45.0),
        ..GeoMapOptions::default()
    };
    let t = geomap(&xr, &yr, &xi, &yi, None, &opts).unwrap();
    assert_eq!(t.weights[far], 0.0);
    assert_eq!((t.range.xmin, t.range.xmax), (0.0, 45.0));
    assert!((t.linear.xshift - 1.0).abs() < 1e-9);
    assert!(t.ngood < t.npts);
}

#[test]
fn bad_input_is_a_typed_error() {
    let (xr, yr) = grid_points(4, 10.0);
    let ok = GeoMapOptions::default();
    let mut bad = xr.clone();
    bad[5] = f64::NAN;
    match geomap(&bad, &yr, &xr, &yr, None, &ok) {
        Err(Error::NonFinite {
            name: "xref",
            index: 5,
            ..
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
    let mut yin = yr.clone();
    yin[2] = f64::INFINITY;
    assert!(matches!(
        geomap(&xr, &yr, &xr, &yin, None, &ok),
        Err(Error::NonFinite {
            name: "yin",
            index: 2,
            ..
        })
    ));
    assert!(matches!(
        geomap(&xr, &yr[..3], &xr, &yr, None, &ok),
        Err(Error::LengthMismatch { name: "yref", .. })
    ));
    let mut w = vec![1.0; xr.len()];
    w[1] = -1.0;
    assert!(matches!(
        geomap(&xr, &yr, &xr, &yr, Some(&w), &ok),
        Err(Error::InvalidWeight { index: 1, .. })
    ));
    let opts = GeoMapOptions {
        reject: Some(f64::NAN),
        ..ok.clone()
    };
    assert!(matches!(
        geomap(&xr, &yr, &xr, &yr, None, &opts),
        Err(Error::InvalidParameter { name: "reject", .. })
    ));
    let opts = GeoMapOptions {
        xxorder: 0,
        ..ok.clone()
    };
    assert!(matches!(
        geomap(&xr, &yr, &xr, &yr, None, &opts),
        Err(Error::InvalidParameter {
            name: "xxorder",
            ..
        })
    ));
    // 16 points cannot hold a full 5x5 surface (25 coefficients).
    let opts = GeoMapOptions {
        xxorder: 5,
        xyorder: 5,
        xxterms: XTerms::Full,
        ..ok.clone()
    };
    match geomap(&xr, &yr, &xr, &yr, None, &opts) {
        Err(Error::NoDegreesOfFreedom {
            fit: "x fit",
            npts: 16,
            ncoeff: 25,
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
    // Two points for rxyscale.
    let opts = GeoMapOptions {
        fitgeometry: FitGeometry::RxyScale,
        ..ok.clone()
    };
    assert!(matches!(
        geomap(&xr[..2], &yr[..2], &xr[..2], &yr[..2], None, &opts),
        Err(Error::NoDegreesOfFreedom { .. })
    ));
    // Empty input.
    assert!(matches!(
        geomap(&[], &[], &[], &[], None, &ok),
        Err(Error::NoDegreesOfFreedom { .. })
    ));
    // Surface-level errors.
    let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    let spec = SurfaceSpec::new(Function::Chebyshev, 17, 1, XTerms::None);
    assert!(matches!(
        Surface::fit(spec, r, &[0.0], &[0.0], &[0.0], None),
        Err(Error::InvalidParameter { name: "xorder", .. })
    ));
    let spec = SurfaceSpec::new(Function::Chebyshev, 2, 2, XTerms::None);
    assert!(matches!(
        Surface::new(spec, r, vec![1.0]),
        Err(Error::LengthMismatch {
            name: "coefficients",
            ..
        })
    ));
    assert!(matches!(
        Surface::fit(
            spec,
            r,
            &[0.0, 1.0, 0.0],
            &[0.0, 0.0, 1.0],
            &[1.0, f64::NAN, 0.0],
            None
        ),
        Err(Error::NonFinite {
            name: "z",
            index: 1,
            ..
        })
    ));
}

#[test]
fn rank_deficient_design_gives_the_minimum_norm_solution() {
    // All points on one row: the y terms are undetermined.
    let x: Vec<f64> = (0..10).map(|i| i as f64).collect();
    let y = vec![5.0; 10];
    let z: Vec<f64> = x.iter().map(|x| 2.0 + 0.5 * x).collect();
    let spec = SurfaceSpec::new(Function::Chebyshev, 2, 2, XTerms::None);
    let r = SurfaceRange::from_data(&x, &y).unwrap();
    let s = Surface::fit(spec, r, &x, &y, &z, None).unwrap();
    assert!(s.is_singular() && s.rank() == 2);
    for (&xv, &zv) in x.iter().zip(&z) {
        assert!((s.eval(xv, 5.0) - zv).abs() < 1e-12);
    }
}

#[test]
fn derivatives_match_finite_differences() {
    let mut rng = Rng(77);
    let range = SurfaceRange::new(-100.0, 900.0, 50.0, 1550.0).unwrap();
    for function in FUNCTIONS {
        for xterms in XTERMS {
            let spec = SurfaceSpec::new(function, 6, 5, xterms);
            let s = random_surface(&mut rng, spec, range);
            for _ in 0..20 {
                let (x, y) = (rng.uniform(-100.0, 900.0), rng.uniform(50.0, 1550.0));
                let h = 1e-3;
                let fx = (s.eval(x + h, y) - s.eval(x - h, y)) / (2.0 * h);
                let fy = (s.eval(x, y + h) - s.eval(x, y - h)) / (2.0 * h);
                let (dx, dy) = s.derivatives(x, y);
                // Central differences: truncation ~h²·f''' and rounding ~eps·|f|/h; the
                // surfaces have |f| <~ 20 over a 1000-px range, so 1e-7 absolute is ample.
                assert!(
                    (dx - fx).abs() < 1e-7 && (dy - fy).abs() < 1e-7,
                    "{spec:?}: ({dx}, {dy}) vs ({fx}, {fy})"
                );
            }
        }
    }
    // The Jacobian of a geomap fit of the cubic distortion matches the distortion's.
    let (xr, yr) = grid_points(9, 120.0);
    let (xi, yi): (Vec<f64>, Vec<f64>) =
        xr.iter().zip(&yr).map(|(&x, &y)| distortion(x, y)).unzip();
    let opts = GeoMapOptions {
        xxorder: 4,
        xyorder: 4,
        yxorder: 4,
        yyorder: 4,
        ..GeoMapOptions::mscimage()
    };
    let t = geomap(&xr, &yr, &xi, &yi, None, &opts).unwrap();
    let (x, y, h) = (333.0, 555.0, 1e-3);
    let j = t.jacobian(x, y);
    let num = |f: &dyn Fn(f64, f64) -> f64| {
        [
            (f(x + h, y) - f(x - h, y)) / (2.0 * h),
            (f(x, y + h) - f(x, y - h)) / (2.0 * h),
        ]
    };
    let jx = num(&|a, b| distortion(a, b).0);
    let jy = num(&|a, b| distortion(a, b).1);
    for k in 0..2 {
        assert!((j[0][k] - jx[k]).abs() < 1e-8 && (j[1][k] - jy[k]).abs() < 1e-8);
    }
}

#[test]
fn surface_errors_are_the_crate_error() {
    // One error type for the whole crate: a wrong output grid names the array and shapes.
    let r = SurfaceRange::new(0.0, 1.0, 0.0, 1.0).unwrap();
    let s = Surface::from_affine(Function::Legendre, r, 2.0, 0.0, 0.0).unwrap();
    let mut out = ndarray::Array2::zeros((2, 2));
    let e: Error = s
        .eval_grid_into(&[0.0], &[0.0], out.view_mut())
        .unwrap_err();
    assert_eq!(
        e,
        Error::ShapeMismatch {
            what: "output grid",
            expected: vec![1, 1],
            got: vec![2, 2]
        }
    );
    // The deprecated alias still names the same type, so older code keeps compiling.
    #[allow(deprecated)]
    let old: astro_interp::surface::Result<()> = Err(e.clone());
    #[allow(deprecated)]
    let matched = matches!(
        old,
        Err(astro_interp::surface::Error::ShapeMismatch {
            what: "output grid",
            ..
        })
    );
    assert!(matched);
}
