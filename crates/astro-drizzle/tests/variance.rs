//! Variance propagation: exact aperture identity with the point kernel on a distorted map,
//! and a Monte-Carlo check that the propagated error matches the scatter of the output.

use astro_drizzle::{AddImageOptions, Drizzle, DrizzleOptions, FillValue, Input, Kernel, PixelMap};
use ndarray::{Array2, Array3};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

/// A distorted map (rotation, scale and quadratic terms), input 64 × 64 → output 80 × 80.
fn distorted(n: usize) -> Array3<f64> {
    let c = (n as f64 - 1.0) / 2.0;
    Array3::from_shape_fn((n, n, 2), |(j, i, k)| {
        let (u, v) = (i as f64 - c, j as f64 - c);
        let (a, b) = (0.2f64.cos(), 0.2f64.sin());
        let x = 40.0 + 1.1 * (a * u - b * v) + 0.004 * u * u - 0.002 * u * v;
        let y = 39.5 + 1.1 * (b * u + a * v) + 0.003 * v * v + 0.001 * u * v;
        if k == 0 { x } else { y }
    })
}

/// Point kernel, unit weights: out_var · wht² summed over an output aperture equals the
/// input variance summed over the pixels that land in it (1e-6 relative), for the three
/// JWST variance arrays; the error array is sqrt of their sum.
#[test]
fn point_kernel_aperture_variance_is_exact() {
    let n = 64;
    let pm = distorted(n);
    let data = Array2::from_shape_fn((n, n), |(y, x)| (x + y) as f32);
    let vars: Vec<Array2<f32>> = (0..3)
        .map(|k| Array2::from_shape_fn((n, n), |(y, x)| 1.0 + ((x * 3 + y * 7 + k) % 11) as f32))
        .collect();
    let mut d = Drizzle::new(
        (80, 80),
        DrizzleOptions {
            kernel: Kernel::Point,
            n_variance: 3,
            fillval: FillValue::Value(0.0),
            ..Default::default()
        },
    )
    .unwrap();
    d.add_image(
        &Input::new(data.view()).with_variances(vars.iter().map(|v| v.view()).collect()),
        &PixelMap::from_array(pm.view()).unwrap(),
        &AddImageOptions::default(),
    )
    .unwrap();
    let out = d.finalize();
    // apertures: circles of radius 6, 10, 15 around (40, 40)
    for r in [6.0f64, 10.0, 15.0] {
        let inside = |x: f64, y: f64| (x - 40.0).hypot(y - 40.0) <= r;
        for (k, v) in vars.iter().enumerate() {
            let mut s_in = 0.0;
            for j in 0..n {
                for i in 0..n {
                    let (x, y) = (pm[[j, i, 0]].round(), pm[[j, i, 1]].round());
                    if inside(x, y) {
                        s_in += v[[j, i]] as f64;
                    }
                }
            }
            let mut s_out = 0.0;
            for ((yy, xx), &ov) in out.variances[k].indexed_iter() {
                if inside(xx as f64, yy as f64) {
                    let w = out.wht[[yy, xx]] as f64;
                    s_out += ov as f64 * w * w;
                }
            }
            assert!(
                (s_out - s_in).abs() <= 1e-6 * s_in,
                "r {r} var {k}: {s_out} vs {s_in}"
            );
        }
    }
    let err = out.err.unwrap();
    for ((yy, xx), &e) in err.indexed_iter() {
        let s: f32 = (0..3).map(|k| out.variances[k][[yy, xx]]).sum();
        assert!((e - s.sqrt()).abs() <= 1e-6 * e.max(1.0));
    }
}

/// 400 noise realisations (σ varying per pixel), square kernel on the distorted map,
/// three overlapping inputs with different weights: the propagated error of each output
/// pixel matches the scatter of the output over the realisations within 5 % (median and
/// 90 % of pixels within 15 %, as expected from 400 samples).
#[test]
fn propagated_error_matches_monte_carlo_scatter() {
    let n = 40;
    let nreal = 400;
    let sigma = Array2::from_shape_fn((n, n), |(y, x)| 1.0 + ((x * 5 + y * 3) % 7) as f32 * 0.5);
    let var = sigma.mapv(|s| s * s);
    let maps: Vec<Array3<f64>> = (0..3)
        .map(|k| {
            let base = distorted(n);
            Array3::from_shape_fn((n, n, 2), |(j, i, c)| {
                base[[j, i, c]] - 15.0
                    + if c == 0 {
                        0.37 * k as f64
                    } else {
                        -0.29 * k as f64
                    }
            })
        })
        .collect();
    let weights: Vec<f32> = vec![1.0, 2.0, 0.5];
    let nout = 60;
    let mut rng = StdRng::seed_from_u64(7);
    let norm = Normal::new(0.0f32, 1.0).unwrap();
    let mut sum = Array2::<f64>::zeros((nout, nout));
    let mut sum2 = Array2::<f64>::zeros((nout, nout));
    let mut prop = None;
    for _ in 0..nreal {
        let mut d = Drizzle::new(
            (nout, nout),
            DrizzleOptions {
                kernel: Kernel::Square,
                n_variance: 1,
                fillval: FillValue::Value(0.0),
                ..Default::default()
            },
        )
        .unwrap();
        for (k, pm) in maps.iter().enumerate() {
            let data = sigma.mapv(|s| s * norm.sample(&mut rng));
            let w = Array2::from_elem((n, n), weights[k]);
            d.add_image(
                &Input::new(data.view())
                    .with_weights(w.view())
                    .with_variances(vec![var.view()]),
                &PixelMap::from_array(pm.view()).unwrap(),
                &AddImageOptions {
                    pixfrac: 0.8,
                    ..Default::default()
                },
            )
            .unwrap();
        }
        let out = d.finalize();
        sum.zip_mut_with(&out.sci, |s, &v| *s += v as f64);
        sum2.zip_mut_with(&out.sci, |s, &v| *s += (v as f64).powi(2));
        prop.get_or_insert((out.err.unwrap(), out.wht));
    }
    let (err, wht) = prop.unwrap();
    let mut ratios = Vec::new();
    for ((yy, xx), &w) in wht.indexed_iter() {
        if w > 1.0 {
            let m = sum[[yy, xx]] / nreal as f64;
            let sd = (sum2[[yy, xx]] / nreal as f64 - m * m).max(0.0).sqrt()
                * (nreal as f64 / (nreal as f64 - 1.0)).sqrt();
            ratios.push(sd / err[[yy, xx]] as f64);
        }
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    let within =
        ratios.iter().filter(|r| (**r - 1.0).abs() <= 0.15).count() as f64 / ratios.len() as f64;
    println!(
        "{} pixels: median scatter/propagated {median:.4}, {:.1} % within 15 %",
        ratios.len(),
        within * 100.0
    );
    assert!(ratios.len() > 500);
    assert!((median - 1.0).abs() <= 0.05, "median ratio {median}");
    assert!(within >= 0.9, "{within}");
}
