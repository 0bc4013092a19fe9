//! Invariants (proptest): flux conservation, non-negative weights, constant images, and
//! bit-identical results for any number of threads.

use astro_drizzle::{AddImageOptions, Drizzle, DrizzleOptions, FillValue, Input, Kernel, PixelMap};
use ndarray::{Array2, Array3};
use proptest::prelude::*;

/// Affine map: rotation `angle` (deg), output pixels per input pixel `1/psr`, centred on an
/// output large enough to hold the whole input.
fn affine_map(n: usize, angle: f64, psr: f64, dx: f64, dy: f64, nout: usize) -> Array3<f64> {
    let (c, s) = (angle.to_radians().cos(), angle.to_radians().sin());
    let ci = (n as f64 - 1.0) / 2.0;
    let co = (nout as f64 - 1.0) / 2.0;
    Array3::from_shape_fn((n, n, 2), |(j, i, k)| {
        let (u, v) = (i as f64 - ci, j as f64 - ci);
        if k == 0 {
            co + dx + (c * u - s * v) / psr
        } else {
            co + dy + (s * u + c * v) / psr
        }
    })
}

fn run(
    kernel: Kernel,
    data: &Array2<f32>,
    w: &Array2<f32>,
    pm: &Array3<f64>,
    nout: usize,
    pixfrac: f64,
    psr: f64,
) -> astro_drizzle::DrizzleOutput {
    let mut d = Drizzle::new(
        (nout, nout),
        DrizzleOptions {
            kernel,
            fillval: FillValue::Value(0.0),
            ..Default::default()
        },
    )
    .unwrap();
    d.add_image(
        &Input::new(data.view()).with_weights(w.view()),
        &PixelMap::from_array(pm.view()).unwrap(),
        &AddImageOptions {
            pixfrac,
            pscale_ratio: Some(psr),
            ..Default::default()
        },
    )
    .unwrap();
    d.finalize()
}

fn conserving() -> impl Strategy<Value = Kernel> {
    prop_oneof![
        Just(Kernel::Square),
        Just(Kernel::Turbo),
        Just(Kernel::Point)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Σ out·wht = Σ in·w (1e-5 relative) for square, turbo and point when the output
    /// covers the input; weights never negative.
    #[test]
    fn flux_is_conserved(
        kernel in conserving(),
        n in 2usize..24,
        angle in -180.0f64..180.0,
        psr in 0.5f64..2.0,
        dx in -0.5f64..0.5,
        dy in -0.5f64..0.5,
        pixfrac in 0.3f64..1.0,
        seed in 0u64..1000,
    ) {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = move || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s >> 11) as f64 / (1u64 << 53) as f64 };
        let data = Array2::from_shape_fn((n, n), |_| (next() * 100.0 - 20.0) as f32);
        let w = Array2::from_shape_fn((n, n), |_| if next() < 0.1 { 0.0 } else { next() as f32 });
        let nout = (2.0 * n as f64 / psr) as usize + 6;
        let pm = affine_map(n, angle, psr, dx, dy, nout);
        let out = run(kernel, &data, &w, &pm, nout, pixfrac, psr);
        let sum_in: f64 = data.iter().zip(w.iter()).map(|(&d, &w)| d as f64 * w as f64).sum();
        let sum_out: f64 = out.sci.iter().zip(out.wht.iter()).map(|(&d, &w)| d as f64 * w as f64).sum();
        let scale: f64 = data.iter().zip(w.iter()).map(|(&d, &w)| (d as f64 * w as f64).abs()).sum::<f64>().max(1e-30);
        prop_assert!((sum_out - sum_in).abs() <= 1e-5 * scale, "{kernel}: {sum_out} vs {sum_in}");
        let w_in: f64 = w.iter().map(|&v| v as f64).sum();
        let w_out: f64 = out.wht.iter().map(|&v| v as f64).sum();
        prop_assert!((w_out - w_in).abs() <= 1e-5 * w_in.max(1e-30));
        prop_assert!(out.wht.iter().all(|&v| v >= 0.0));
    }

    /// A constant image drizzles to the same constant wherever weight > 0 (every kernel).
    #[test]
    fn constant_stays_constant(
        kernel in prop_oneof![Just(Kernel::Square), Just(Kernel::Turbo), Just(Kernel::Point), Just(Kernel::Gaussian), Just(Kernel::Lanczos2), Just(Kernel::Lanczos3)],
        n in 2usize..20,
        angle in -180.0f64..180.0,
        psr in 0.5f64..2.0,
        pixfrac in 0.3f64..1.0,
        value in -1e4f32..1e4,
    ) {
        let data = Array2::from_elem((n, n), value);
        let w = Array2::from_elem((n, n), 1.0f32);
        let nout = (2.0 * n as f64 / psr) as usize + 10;
        let pm = affine_map(n, angle, psr, 0.1, -0.2, nout);
        let out = run(kernel, &data, &w, &pm, nout, pixfrac, psr);
        for (&s, &wt) in out.sci.iter().zip(out.wht.iter()) {
            if wt > 0.0 {
                prop_assert!((s - value).abs() <= 1e-5 * value.abs().max(1.0), "{kernel}: {s} vs {value}");
            }
        }
    }
}

/// Same bits for 1, 2 and 3 threads (every kernel, with variance, DQ and context).
#[test]
fn bit_identical_for_any_thread_count() {
    let n = 300;
    let data = Array2::from_shape_fn((n, n), |(y, x)| {
        ((x * 7 + y * 13) % 97) as f32 * 1.37 - 20.0
    });
    let var = data.mapv(|v| v.abs() + 1.0);
    let dq = Array2::from_shape_fn((n, n), |(y, x)| ((x ^ y) % 5) as u32);
    let w = Array2::from_shape_fn((n, n), |(y, x)| 0.5 + ((x + y) % 3) as f32);
    let nout = 420;
    let pm = affine_map(n, 23.0, 0.8, 0.3, -0.1, nout);
    for kernel in Kernel::ALL {
        let go = || {
            let mut d = Drizzle::new(
                (nout, nout),
                DrizzleOptions {
                    kernel,
                    with_dq: true,
                    n_variance: 1,
                    ..Default::default()
                },
            )
            .unwrap();
            for _ in 0..2 {
                d.add_image(
                    &Input::new(data.view())
                        .with_weights(w.view())
                        .with_dq(dq.view())
                        .with_variances(vec![var.view()]),
                    &PixelMap::from_array(pm.view()).unwrap(),
                    &AddImageOptions {
                        pixfrac: 0.7,
                        pscale_ratio: Some(0.8),
                        ..Default::default()
                    },
                )
                .unwrap();
            }
            d.finalize()
        };
        let outs: Vec<_> = [1, 2, 3]
            .iter()
            .map(|&t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap()
                    .install(go)
            })
            .collect();
        for o in &outs[1..] {
            let bits = |a: &Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&o.sci), bits(&outs[0].sci), "{kernel}");
            assert_eq!(bits(&o.wht), bits(&outs[0].wht), "{kernel}");
            assert_eq!(
                bits(&o.variances[0]),
                bits(&outs[0].variances[0]),
                "{kernel}"
            );
            assert_eq!(o.ctx, outs[0].ctx, "{kernel}");
            assert_eq!(o.dq, outs[0].dq, "{kernel}");
        }
    }
}

/// Large footprints (input pixels 4 output pixels wide) over many thin output stripes:
/// the rows a footprint reaches beyond its centre are still drizzled.
#[test]
fn wide_footprints_reach_every_stripe() {
    let n = 10;
    let data = Array2::from_elem((n, n), 1.0f32);
    let w = Array2::from_elem((n, n), 1.0f32);
    let nout = 256; // 64 stripes of 4 rows
    let pm = affine_map(n, 17.0, 0.25, 0.3, 0.2, nout);
    for kernel in [Kernel::Square, Kernel::Turbo] {
        let out = run(kernel, &data, &w, &pm, nout, 1.0, 0.25);
        let total: f64 = out.wht.iter().map(|&v| v as f64).sum();
        assert!((total - 100.0).abs() < 1e-4, "{kernel}: {total}");
    }
}
