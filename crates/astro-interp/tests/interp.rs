//! Behaviour tests of the interpolants: boundary semantics, out-of-bounds policies, hostile
//! coordinates, masks, batch = scalar, thread-count invariance, errors.

use astro_interp::{Boundary, Error, InterpOptions, Interpolant, Interpolator, OutOfBounds};
use ndarray::{Array1, Array2, Array3, s};

fn image(ny: usize, nx: usize) -> Array2<f32> {
    Array2::from_shape_fn((ny, nx), |(y, x)| {
        let (x, y) = (x as f32, y as f32);
        100.0 + 10.0 * (x * 0.7).sin() * (y * 0.45).cos() + 0.5 * x - 0.25 * y
    })
}

fn opts(boundary: Boundary, oob: OutOfBounds) -> InterpOptions {
    InterpOptions {
        boundary,
        out_of_bounds: oob,
        fillval: -7.0,
        ..InterpOptions::default()
    }
}

const SYMMETRIC_KERNELS: [Interpolant; 8] = [
    Interpolant::Linear,
    Interpolant::Poly3,
    Interpolant::Poly5,
    Interpolant::Spline3,
    Interpolant::Sinc,
    Interpolant::Lanczos2,
    Interpolant::Lanczos3,
    Interpolant::Lanczos5,
];

#[test]
fn interpolants_pass_through_pixel_centres() {
    let img = image(12, 15);
    for k in [
        Interpolant::Nearest,
        Interpolant::Linear,
        Interpolant::Poly3,
        Interpolant::Poly5,
        Interpolant::Spline3,
        Interpolant::Sinc,
        Interpolant::Lsinc,
    ] {
        let it = Interpolator::new(img.view(), k, InterpOptions::default()).unwrap();
        for (y, x) in [(0, 0), (5, 7), (11, 14), (3, 14)] {
            let v = it.eval(x as f64, y as f64);
            assert!(
                (v - img[[y, x]]).abs() < 1e-4,
                "{k} at ({x},{y}): {v} vs {}",
                img[[y, x]]
            );
        }
    }
}

#[test]
fn reflect_is_mirror_about_the_edge_pixel_centre() {
    // Reflect (IRAF reflect, scipy mirror): f(-d) = f(d) and f(n-1+d) = f(n-1-d).
    let img = image(10, 13);
    for k in SYMMETRIC_KERNELS {
        let it =
            Interpolator::new(img.view(), k, opts(Boundary::Reflect, OutOfBounds::Extend)).unwrap();
        // Offsets away from multiples of 0.003: Lanczos's LUT index is truncated, so at exact
        // table nodes mirrored distances may round to neighbouring entries.
        for d in [0.3137, 1.7219, 4.2581] {
            let a = it.eval(-d, 4.6119);
            let b = it.eval(d, 4.6119);
            assert!((a - b).abs() < 1e-4, "{k} x=±{d}: {a} vs {b}");
            let a = it.eval(6.1071, 9.0 + d);
            let b = it.eval(6.1071, 9.0 - d);
            assert!((a - b).abs() < 1e-4, "{k} y=9±{d}: {a} vs {b}");
        }
    }
}

#[test]
fn symmetric_is_mirror_about_the_pixel_edge() {
    // Symmetric (scipy reflect): f(-0.5 - d) = f(-0.5 + d).
    let img = image(10, 13);
    for k in SYMMETRIC_KERNELS {
        let it = Interpolator::new(
            img.view(),
            k,
            opts(Boundary::Symmetric, OutOfBounds::Extend),
        )
        .unwrap();
        for d in [0.2113, 1.3171, 3.9047] {
            let a = it.eval(-0.5 - d, 3.3173);
            let b = it.eval(-0.5 + d, 3.3173);
            assert!((a - b).abs() < 1e-4, "{k} d={d}: {a} vs {b}");
        }
    }
}

#[test]
fn wrap_is_periodic_including_huge_coordinates() {
    let img = image(10, 13);
    for k in SYMMETRIC_KERNELS {
        let it =
            Interpolator::new(img.view(), k, opts(Boundary::Wrap, OutOfBounds::Extend)).unwrap();
        for x in [0.4123, 5.5571, 12.6093] {
            let a = it.eval(x, 2.2137);
            let b = it.eval(x + 13.0, 2.2137);
            let c = it.eval(x - 26.0, 2.2137 + 30.0);
            assert!(
                (a - b).abs() < 1e-4 && (a - c).abs() < 1e-4,
                "{k} x={x}: {a} {b} {c}"
            );
        }
        // Beyond the conditioning limit the coordinate is reduced modulo the period.
        let far = it.eval(13.0 * 1e10 + 5.5, 2.2);
        assert!(far.is_finite(), "{k}: {far}");
    }
}

#[test]
fn constant_boundary_fills_beyond_the_support() {
    let img = image(8, 8);
    for k in SYMMETRIC_KERNELS {
        let it = Interpolator::new(
            img.view(),
            k,
            opts(Boundary::Constant(3.0), OutOfBounds::Extend),
        )
        .unwrap();
        let v = it.eval(-30.0, 4.0);
        if k.is_partition_of_unity() {
            assert!((v - 3.0).abs() < 1e-5, "{k}: {v}");
        } else {
            assert!((v - 3.0).abs() < 0.05, "{k}: {v}");
        }
    }
}

#[test]
fn project_continues_linear_trends_across_the_edge() {
    let ramp = Array2::from_shape_fn((9, 9), |(y, x)| (2 * x + 5 * y) as f32);
    for k in [Interpolant::Linear, Interpolant::Poly3, Interpolant::Poly5] {
        let it = Interpolator::new(ramp.view(), k, opts(Boundary::Project, OutOfBounds::Extend))
            .unwrap();
        for (x, y) in [(-1.5, 3.25), (8.7, 0.1), (9.9, 8.6), (-2.0, -1.25)] {
            let v = it.eval(x, y) as f64;
            assert!((v - (2.0 * x + 5.0 * y)).abs() < 1e-4, "{k} ({x},{y}): {v}");
        }
    }
}

#[test]
fn out_of_bounds_policies() {
    let img = image(6, 7);
    let fill = InterpOptions {
        out_of_bounds: OutOfBounds::Fill,
        fillval: -7.0,
        ..InterpOptions::default()
    };
    let blot = InterpOptions::blot(Interpolant::Linear, -7.0);
    let a = Interpolator::new(img.view(), Interpolant::Linear, fill).unwrap();
    let b = Interpolator::new(img.view(), Interpolant::Linear, blot).unwrap();
    // Closed [0, n-1] vs blot's half-open [0, n).
    assert_eq!(a.eval(6.0, 2.0), img[[2, 6]]);
    assert_eq!(a.eval(6.2, 2.0), -7.0);
    assert_eq!(b.eval(6.2, 2.0), img[[2, 6]]); // last column: constant beyond the centre
    assert_eq!(b.eval(7.0, 2.0), -7.0);
    assert_eq!(a.eval(-1e-9, 2.0), -7.0);
    assert_eq!(b.eval(-1e-9, 2.0), -7.0);
}

#[test]
fn hostile_coordinates_never_panic() {
    let img = image(5, 6);
    let coords = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -1e300,
        1e18,
        -4e9,
        f64::MAX,
        f64::MIN_POSITIVE,
        -0.0,
        5.999999999999,
    ];
    let boundaries = [
        Boundary::Nearest,
        Boundary::Constant(1.0),
        Boundary::Reflect,
        Boundary::Symmetric,
        Boundary::Wrap,
        Boundary::Project,
    ];
    for k in Interpolant::ALL {
        for b in boundaries {
            for oob in [
                OutOfBounds::Extend,
                OutOfBounds::Fill,
                OutOfBounds::FillBlot,
            ] {
                let it = Interpolator::new(img.view(), k, opts(b, oob)).unwrap();
                for &x in &coords {
                    for &y in &[2.0, f64::NAN, 1e300, -3.5] {
                        let v = it.eval(x, y);
                        if x.is_nan() || y.is_nan() || x.is_infinite() {
                            assert_eq!(v, -7.0, "{k} {b:?} {oob:?} ({x},{y})");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn one_pixel_and_one_row_images() {
    for shape in [(1, 1), (1, 6), (6, 1)] {
        let img = Array2::from_elem(shape, 4.5f32);
        for k in Interpolant::ALL {
            for b in [
                Boundary::Nearest,
                Boundary::Reflect,
                Boundary::Symmetric,
                Boundary::Wrap,
                Boundary::Project,
            ] {
                let it = Interpolator::new(img.view(), k, opts(b, OutOfBounds::Extend)).unwrap();
                let v = it.eval(0.3, -0.2);
                if k.is_partition_of_unity() {
                    assert!((v - 4.5).abs() < 1e-5, "{k} {b:?} {shape:?}: {v}");
                } else {
                    assert!(v.is_finite());
                }
            }
        }
    }
}

#[test]
fn masks_follow_the_documented_rules() {
    let mut img = image(10, 10);
    img[[4, 5]] = 1e6;
    let mut mask = Array2::from_elem((10, 10), false);
    mask[[4, 5]] = true;
    let o = InterpOptions {
        fillval: -7.0,
        ..InterpOptions::default()
    };
    // nearest: the masked pixel itself gives fillval, a neighbour is unaffected.
    let it = Interpolator::with_mask(img.view(), mask.view(), Interpolant::Nearest, o).unwrap();
    assert_eq!(it.eval(5.2, 3.9), -7.0);
    assert_eq!(it.eval(6.2, 3.9), img[[4, 6]]);
    // linear: the masked corner is dropped and the others renormalised.
    let it = Interpolator::with_mask(img.view(), mask.view(), Interpolant::Linear, o).unwrap();
    let (x, y) = (5.25, 4.5);
    let want = {
        let w = [
            (0.75 * 0.5, img[[4, 6]]),
            (0.25 * 0.5, img[[5, 5]]),
            (0.75 * 0.5, img[[5, 6]]),
        ];
        let s: f64 = w.iter().map(|p| p.0).sum();
        w.iter().map(|p| p.0 * p.1 as f64).sum::<f64>() / s
    };
    let _ = want;
    let v = it.eval(4.75, 4.5) as f64; // corners (4,4) (5,4) (4,5) (5,5); (5,4) masked
    let want = (0.25 * 0.5 * img[[4, 4]] as f64
        + 0.25 * 0.5 * img[[5, 4]] as f64
        + 0.75 * 0.5 * img[[5, 5]] as f64)
        / (0.25 * 0.5 + 0.25 * 0.5 + 0.75 * 0.5);
    assert!((v - want).abs() < 1e-3, "{v} vs {want}");
    let _ = (x, y);
    // every wider kernel falls back to masked linear near the masked pixel, and never sees
    // the masked 1e6.
    for k in [
        Interpolant::Poly3,
        Interpolant::Poly5,
        Interpolant::Spline3,
        Interpolant::Sinc,
        Interpolant::Lsinc,
        Interpolant::Lanczos3,
    ] {
        let it = Interpolator::with_mask(img.view(), mask.view(), k, o).unwrap();
        let v = it.eval(4.75, 4.5) as f64;
        assert!((v - want).abs() < 1e-3, "{k}: {v} vs {want}");
        // Far from it, the kernel is used as is (no 1e6 leaks in).
        let far = it.eval(1.5, 8.25);
        assert!(far > 50.0 && far < 150.0, "{k}: {far}");
    }
    // All four corners masked: fillval.
    let all = Array2::from_elem((10, 10), true);
    let it = Interpolator::with_mask(img.view(), all.view(), Interpolant::Poly5, o).unwrap();
    assert_eq!(it.eval(3.5, 3.5), -7.0);
}

#[test]
fn spline3_is_not_poisoned_by_nan_pixels() {
    let mut img = image(32, 32);
    img[[10, 10]] = f32::NAN;
    let it = Interpolator::new(img.view(), Interpolant::Spline3, InterpOptions::default()).unwrap();
    // Far away: finite and close to the clean spline.
    let clean_img = image(32, 32);
    let clean = Interpolator::new(
        clean_img.view(),
        Interpolant::Spline3,
        InterpOptions::default(),
    )
    .unwrap();
    let (a, b) = (it.eval(25.3, 24.6), clean.eval(25.3, 24.6));
    assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    // Next to it: the linear fallback without the NaN pixel.
    assert!(it.eval(10.4, 10.5).is_finite());
    // Other kernels let NaN data propagate.
    let it = Interpolator::new(img.view(), Interpolant::Poly3, InterpOptions::default()).unwrap();
    assert!(it.eval(10.4, 10.5).is_nan());
}

#[test]
fn batch_equals_scalar_bit_for_bit() {
    let img = image(40, 37);
    let pm = Array3::from_shape_fn((23, 29, 2), |(j, i, k)| {
        let (x, y) = (i as f64 * 1.37 - 2.0, j as f64 * 1.81 - 1.5);
        let v = if k == 0 { x + 0.1 * y } else { y - 0.07 * x };
        if i == 3 && j == 4 { f64::NAN } else { v }
    });
    for k in Interpolant::ALL {
        for o in [
            InterpOptions::blot(k, -1.0),
            opts(Boundary::Reflect, OutOfBounds::Extend),
        ] {
            let it = Interpolator::new(img.view(), k, o).unwrap();
            let out = it.eval_pixmap(pm.view()).unwrap();
            let xs = pm.slice(s![.., .., 0]).to_owned();
            let ys = pm.slice(s![.., .., 1]).to_owned();
            let many = it.eval_many(xs.view(), ys.view()).unwrap();
            let mut points = Array2::<f32>::zeros(xs.dim());
            it.eval_points_into(
                xs.as_slice().unwrap(),
                ys.as_slice().unwrap(),
                points.as_slice_mut().unwrap(),
            )
            .unwrap();
            for ((j, i), &v) in out.indexed_iter() {
                let e = it.eval(pm[[j, i, 0]], pm[[j, i, 1]]);
                assert_eq!(v.to_bits(), e.to_bits(), "{k} ({i},{j})");
                assert_eq!(many[[j, i]].to_bits(), e.to_bits(), "{k} ({i},{j})");
                assert_eq!(points[[j, i]].to_bits(), e.to_bits(), "{k} ({i},{j})");
            }
            // A non-contiguous pixmap view (every other column) gives the same values.
            let sub = pm.slice(s![.., ..;2, ..]);
            let out2 = it.eval_pixmap(sub).unwrap();
            for ((j, i), &v) in out2.indexed_iter() {
                assert_eq!(v.to_bits(), out[[j, 2 * i]].to_bits());
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let img = image(300, 260);
    let pm = Array3::from_shape_fn((257, 241, 2), |(j, i, k)| {
        let (c, s) = (0.99f64, 0.141);
        let (x, y) = (i as f64 - 120.0, j as f64 - 128.0);
        if k == 0 {
            130.0 + c * x - s * y
        } else {
            150.0 + s * x + c * y
        }
    });
    for k in Interpolant::ALL {
        let it = Interpolator::new(img.view(), k, InterpOptions::blot(k, 0.0)).unwrap();
        let run = |n: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
                .install(|| it.eval_pixmap(pm.view()).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert!(
            a.iter()
                .zip(b.iter())
                .all(|(p, q)| p.to_bits() == q.to_bits()),
            "{k}"
        );
        // The spline prefilter is also parallel: rebuild inside pools.
        if k == Interpolant::Spline3 {
            let build = |n: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .unwrap()
                    .install(|| {
                        let it2 =
                            Interpolator::new(img.view(), k, InterpOptions::default()).unwrap();
                        it2.eval(77.3, 91.6)
                    })
            };
            assert_eq!(build(1).to_bits(), build(2).to_bits());
        }
    }
}

#[test]
fn non_contiguous_images_are_copied_not_misread() {
    let big = image(20, 30);
    let view = big.slice(s![2..18;2, 5..25]);
    let owned = view.to_owned();
    for k in Interpolant::ALL {
        let a = Interpolator::new(view, k, InterpOptions::default()).unwrap();
        let b = Interpolator::new(owned.view(), k, InterpOptions::default()).unwrap();
        assert_eq!(a.shape(), (8, 20));
        assert_eq!(
            a.eval(7.3, 4.1).to_bits(),
            b.eval(7.3, 4.1).to_bits(),
            "{k}"
        );
    }
}

#[test]
fn errors_name_the_problem() {
    let img = image(4, 4);
    let e = Interpolator::new(
        Array2::<f32>::zeros((0, 3)).view(),
        Interpolant::Linear,
        InterpOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e, Error::EmptyImage { ny: 0, nx: 3 });
    let mask = Array2::from_elem((4, 5), false);
    let e = Interpolator::with_mask(
        img.view(),
        mask.view(),
        Interpolant::Linear,
        InterpOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "mask", .. }),
        "{e}"
    );
    let it = Interpolator::new(img.view(), Interpolant::Linear, InterpOptions::default()).unwrap();
    let e = it.eval_pixmap(Array3::zeros((2, 2, 3)).view()).unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "pixmap", .. }),
        "{e}"
    );
    let e = it
        .eval_many(Array1::zeros(3).view(), Array1::zeros(4).view())
        .unwrap_err();
    assert!(e.to_string().contains("y coordinates"), "{e}");
    let mut out = Array2::zeros((3, 3));
    let e = it
        .eval_pixmap_into(Array3::zeros((2, 2, 2)).view(), out.view_mut())
        .unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "output", .. }),
        "{e}"
    );
    for (o, name) in [
        (
            InterpOptions {
                sinscl: f64::NAN,
                ..Default::default()
            },
            "sinscl",
        ),
        (
            InterpOptions {
                nsinc: 0,
                ..Default::default()
            },
            "nsinc",
        ),
        (
            InterpOptions {
                lsinc_resolution: 0,
                ..Default::default()
            },
            "lsinc_resolution",
        ),
    ] {
        let e = Interpolator::new(img.view(), Interpolant::Sinc, o).unwrap_err();
        assert!(
            matches!(e, Error::InvalidParameter { name: n, .. } if n == name),
            "{e}"
        );
    }
    let e = "mirrorx".parse::<Boundary>().unwrap_err();
    assert!(e.to_string().contains("boundary") && e.to_string().contains("mirrorx"));
    assert_eq!(
        "Lanczos3".parse::<Interpolant>().unwrap(),
        Interpolant::Lanczos3
    );
    assert_eq!(
        " SPLINE3 ".parse::<Interpolant>().unwrap(),
        Interpolant::Spline3
    );
}

#[test]
fn sinscl_and_nsinc_change_the_sinc() {
    let img = image(40, 40);
    let base = Interpolator::new(img.view(), Interpolant::Sinc, InterpOptions::default()).unwrap();
    let wide = Interpolator::new(
        img.view(),
        Interpolant::Sinc,
        InterpOptions {
            nsinc: 15,
            ..Default::default()
        },
    )
    .unwrap();
    let scaled = Interpolator::new(
        img.view(),
        Interpolant::Sinc,
        InterpOptions {
            sinscl: 0.5,
            ..Default::default()
        },
    )
    .unwrap();
    let (a, b, c) = (
        base.eval(20.3, 19.6),
        wide.eval(20.3, 19.6),
        scaled.eval(20.3, 19.6),
    );
    assert!(a != b && a != c);
    assert!((a - b).abs() < 1.0);
    // lsinc with a fine table converges to sinc.
    let l = Interpolator::new(
        img.view(),
        Interpolant::Lsinc,
        InterpOptions {
            lsinc_resolution: 10000,
            ..Default::default()
        },
    )
    .unwrap();
    assert!((l.eval(20.3, 19.6) - a).abs() < 1e-3);
}
