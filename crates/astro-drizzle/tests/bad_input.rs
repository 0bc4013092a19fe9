//! Bad input is an `Err` naming what was wrong, never a panic; NaN is data.

use astro_drizzle::{
    AddImageOptions, BlotOptions, Drizzle, DrizzleOptions, Error, FillValue, Input, Kernel,
    PixelMap, blot,
};
use ndarray::{Array2, Array3};

fn shift_map(ny: usize, nx: usize, dx: f64, dy: f64) -> Array3<f64> {
    Array3::from_shape_fn((ny, nx, 2), |(j, i, k)| {
        if k == 0 { i as f64 + dx } else { j as f64 + dy }
    })
}

fn drizzle(kernel: Kernel) -> Drizzle {
    Drizzle::new(
        (20, 20),
        DrizzleOptions {
            kernel,
            fillval: FillValue::Value(0.0),
            with_dq: true,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn mismatched_shapes_are_errors() {
    let data = Array2::<f32>::ones((10, 12));
    let bad = Array2::<f32>::ones((12, 10));
    let badq = Array2::<u32>::zeros((10, 11));
    let pm = shift_map(10, 12, 2.0, 2.0);
    let map = PixelMap::from_array(pm.view()).unwrap();
    let mut d = drizzle(Kernel::Square);
    let o = AddImageOptions::default();
    let e = d
        .add_image(&Input::new(data.view()).with_weights(bad.view()), &map, &o)
        .unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { ref what, .. } if what == "weights"),
        "{e}"
    );
    let e = d
        .add_image(&Input::new(data.view()).with_dq(badq.view()), &map, &o)
        .unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { ref what, .. } if what == "dq"),
        "{e}"
    );
    // wrong number of variance arrays, then a wrong shape
    let e = d
        .add_image(
            &Input::new(data.view()).with_variances(vec![data.view()]),
            &map,
            &o,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "variances",
                ..
            }
        ),
        "{e}"
    );
    let mut dv = Drizzle::new(
        (20, 20),
        DrizzleOptions {
            n_variance: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let e = dv
        .add_image(
            &Input::new(data.view()).with_variances(vec![bad.view()]),
            &map,
            &o,
        )
        .unwrap_err();
    assert!(e.to_string().contains("variance 0"), "{e}");
    // pixel map of the transposed shape
    let pm_t = shift_map(12, 10, 0.0, 0.0);
    let e = d
        .add_image(
            &Input::new(data.view()),
            &PixelMap::from_array(pm_t.view()).unwrap(),
            &o,
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { ref what, .. } if what == "pixmap"),
        "{e}"
    );
    // pixel map whose last axis is not 2
    let pm3 = Array3::<f64>::zeros((10, 12, 3));
    assert!(matches!(
        PixelMap::from_array(pm3.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    // nothing was added by the failed calls
    assert_eq!(d.n_images(), 0);
    assert_eq!(d.wht().sum(), 0.0);
}

#[test]
fn bad_scalars_are_errors() {
    let data = Array2::<f32>::ones((4, 4));
    let pm = shift_map(4, 4, 1.0, 1.0);
    let map = PixelMap::from_array(pm.view()).unwrap();
    let mut d = drizzle(Kernel::Square);
    for exptime in [0.0, -3.0, f64::NAN] {
        let e = d
            .add_image(
                &Input::new(data.view()),
                &map,
                &AddImageOptions {
                    exptime,
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidParameter {
                    name: "exptime",
                    ..
                }
            ),
            "{e}"
        );
    }
    for pixfrac in [0.0, -0.5, f64::INFINITY] {
        let e = d
            .add_image(
                &Input::new(data.view()),
                &map,
                &AddImageOptions {
                    pixfrac,
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidParameter {
                    name: "pixfrac",
                    ..
                }
            ),
            "{e}"
        );
    }
    let e = d
        .add_image(
            &Input::new(data.view()),
            &map,
            &AddImageOptions {
                pscale_ratio: Some(0.0),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "pscale_ratio",
                ..
            }
        ),
        "{e}"
    );
    let e = d
        .add_image(
            &Input::new(data.view()),
            &map,
            &AddImageOptions {
                xmax: Some(4),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("xmax"), "{e}");
    assert!("cubic".parse::<Kernel>().is_err());
    assert!("jansky".parse::<astro_drizzle::InUnits>().is_err());
    assert!("maybe".parse::<FillValue>().is_err());
}

#[test]
fn absurd_output_frame_is_refused_before_allocating() {
    // 1e6 x 1e6 pixels would need ~12 TB: refused with the default 16 GiB limit.
    let e = Drizzle::new((1_000_000, 1_000_000), DrizzleOptions::default()).unwrap_err();
    match e {
        Error::OutputTooLarge { needed, limit, .. } => {
            assert_eq!(needed, 12 * 1_000_000u128 * 1_000_000);
            assert_eq!(limit, 16 << 30);
        }
        other => panic!("{other}"),
    }
    // A configurable limit.
    let opts = DrizzleOptions {
        max_memory_bytes: 1000,
        ..Default::default()
    };
    assert!(matches!(
        Drizzle::new((10, 10), opts.clone()),
        Err(Error::OutputTooLarge { .. })
    ));
    // Context growth past 32 inputs is checked too.
    let opts = DrizzleOptions {
        max_memory_bytes: 10 * 10 * 12,
        ..Default::default()
    };
    let mut d = Drizzle::new((10, 10), opts).unwrap();
    let data = Array2::<f32>::ones((4, 4));
    let pm = shift_map(4, 4, 1.0, 1.0);
    let map = PixelMap::from_array(pm.view()).unwrap();
    for _ in 0..32 {
        d.add_image(&Input::new(data.view()), &map, &AddImageOptions::default())
            .unwrap();
    }
    let e = d
        .add_image(&Input::new(data.view()), &map, &AddImageOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::OutputTooLarge { .. }), "{e}");
    assert!(matches!(
        Drizzle::new((0, 5), DrizzleOptions::default()),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn nan_data_gets_zero_weight_and_does_not_poison() {
    for kernel in Kernel::ALL {
        let mut data = Array2::<f32>::from_elem((10, 10), 2.0);
        data[[5, 5]] = f32::NAN;
        data[[2, 7]] = f32::INFINITY;
        let mut wht = Array2::<f32>::ones((10, 10));
        wht[[1, 1]] = f32::NAN;
        let pm = shift_map(10, 10, 4.3, 3.6);
        let mut d = drizzle(kernel);
        d.add_image(
            &Input::new(data.view()).with_weights(wht.view()),
            &PixelMap::from_array(pm.view()).unwrap(),
            &AddImageOptions {
                pixfrac: 0.8,
                ..Default::default()
            },
        )
        .unwrap();
        let out = d.finalize();
        assert!(
            out.sci.iter().all(|v| v.is_finite()),
            "{kernel}: NaN leaked"
        );
        assert!(out.wht.iter().all(|v| v.is_finite()), "{kernel}");
        for (&s, &w) in out.sci.iter().zip(out.wht.iter()) {
            if w > 0.0 {
                assert!((s - 2.0).abs() < 1e-4, "{kernel}: {s}");
            }
        }
    }
}

#[test]
fn nan_in_pixel_map_drops_only_that_pixel() {
    // drizzle 3.0.0 lost the whole 8x8 image to one NaN at its centre.
    for kernel in [Kernel::Square, Kernel::Turbo, Kernel::Point] {
        let data = Array2::<f32>::from_elem((8, 8), 1.0);
        let mut pm = shift_map(8, 8, 3.0, 3.0);
        pm[[4, 4, 0]] = f64::NAN;
        pm[[4, 4, 1]] = f64::NAN;
        let mut d = drizzle(kernel);
        let st = d
            .add_image(
                &Input::new(data.view()),
                &PixelMap::from_array(pm.view()).unwrap(),
                &AddImageOptions::default(),
            )
            .unwrap();
        assert_eq!(st.nmiss, 1, "{kernel}");
        let total: f64 = d.wht().iter().map(|&w| w as f64).sum();
        assert!(
            (total - 63.0).abs() < 1e-4,
            "{kernel}: total weight {total}"
        );
    }
    // Blot: a NaN position gives the fill value for that pixel only.
    let src = Array2::<f32>::from_elem((8, 8), 5.0);
    let mut pm = shift_map(6, 6, 0.5, 0.5);
    pm[[2, 3, 0]] = f64::NAN;
    let b = blot(
        src.view(),
        &PixelMap::from_array(pm.view()).unwrap(),
        &BlotOptions {
            fillval: -1.0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(b[[2, 3]], -1.0);
    assert_eq!(b.iter().filter(|&&v| v == -1.0).count(), 1);
    assert!(
        b.iter()
            .filter(|&&v| v != -1.0)
            .all(|&v| (v - 5.0).abs() < 1e-5)
    );
}

#[test]
fn one_row_and_one_column_inputs_are_drizzled() {
    // drizzle rejects them ("No or too few valid pixels in the pixel map").
    for (ny, nx) in [(1usize, 9usize), (9, 1), (1, 1)] {
        for kernel in [Kernel::Square, Kernel::Turbo, Kernel::Point] {
            let data = Array2::<f32>::from_elem((ny, nx), 3.0);
            let pm = shift_map(ny, nx, 5.0, 5.0);
            let mut d = drizzle(kernel);
            d.add_image(
                &Input::new(data.view()),
                &PixelMap::from_array(pm.view()).unwrap(),
                &AddImageOptions::default(),
            )
            .unwrap();
            let total: f64 = d.wht().iter().map(|&w| w as f64).sum();
            assert!(
                (total - (nx * ny) as f64).abs() < 1e-4,
                "{kernel} {ny}x{nx}: {total}"
            );
            let out = d.finalize();
            assert!(
                out.sci
                    .iter()
                    .zip(out.wht.iter())
                    .all(|(&s, &w)| w == 0.0 || (s - 3.0).abs() < 1e-5)
            );
        }
    }
}

#[test]
fn output_shape_is_never_transposed_and_fill_is_applied_once() {
    // drizzle inferred (nx, ny) from a 10x30 pixmap; we always use the shape given.
    let data = Array2::<f32>::from_elem((10, 30), 1.0);
    let pm = shift_map(10, 30, 0.0, 0.0);
    let mut d = Drizzle::new(
        (10, 30),
        DrizzleOptions {
            fillval: FillValue::Nan,
            ..Default::default()
        },
    )
    .unwrap();
    d.add_image(
        &Input::new(data.view()),
        &PixelMap::from_array(pm.view()).unwrap(),
        &AddImageOptions::default(),
    )
    .unwrap();
    let out = d.finalize();
    assert_eq!(out.sci.dim(), (10, 30));
    assert!(out.wht.iter().all(|&w| (w - 1.0).abs() < 1e-6)); // all 300 pixels drizzled
    // INDEF keeps the initial values where nothing landed.
    let init = Array2::<f32>::from_elem((6, 6), 9.0);
    let mut d = Drizzle::with_initial_output(
        init,
        Array2::zeros((6, 6)),
        DrizzleOptions {
            fillval: FillValue::Indef,
            ..Default::default()
        },
    )
    .unwrap();
    let small = Array2::<f32>::from_elem((2, 2), 1.0);
    let pm = shift_map(2, 2, 0.0, 0.0);
    d.add_image(
        &Input::new(small.view()),
        &PixelMap::from_array(pm.view()).unwrap(),
        &AddImageOptions::default(),
    )
    .unwrap();
    let out = d.finalize();
    assert_eq!(out.sci[[0, 0]], 1.0);
    assert_eq!(out.sci[[5, 5]], 9.0);
}
