//! Criterion benchmarks of astro-interp's geomap-style surfaces: a `general` chebyshev
//! order-4 fit of 200 points (mscimage's setting), and evaluating a fitted transform on a
//! 1024 × 1024 grid (the geotran use): into new arrays, into preallocated ones (compute
//! only) with all threads and with one, and point by point.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/targets/surface cargo bench -p astro-benches --bench surface
//! ```

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use astro_interp::surface::{
    Function, GeoMapOptions, GeoTransform, Surface, SurfaceRange, SurfaceSpec, XTerms, geomap,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// A smooth wide-field distortion of a 4k × 4k chip (pixels).
fn distortion(x: f64, y: f64) -> (f64, f64) {
    let (u, v) = (x / 2048.0 - 1.0, y / 2048.0 - 1.0);
    (
        15.0 + 0.9993 * x + 0.0021 * y + 2.1 * u * u - 0.7 * u * v + 1.3 * v * v + 0.9 * u * u * u,
        -8.0 - 0.0017 * x + 1.0004 * y + 1.6 * u * v - 0.8 * u * u + 1.1 * v * v * v,
    )
}

/// 200 points on a jittered 10 × 20 grid (mscimage's nx=10, ny=20) with 0.01 px noise.
fn points() -> [Vec<f64>; 4] {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let (mut xr, mut yr, mut xi, mut yi) = (vec![], vec![], vec![], vec![]);
    for j in 0..20 {
        for i in 0..10 {
            let (x, y) = (
                i as f64 * 4095.0 / 9.0 + next(),
                j as f64 * 4095.0 / 19.0 + next(),
            );
            let (a, b) = distortion(x, y);
            xr.push(x);
            yr.push(y);
            xi.push(a + 0.01 * next());
            yi.push(b + 0.01 * next());
        }
    }
    [xr, yr, xi, yi]
}

fn fit(c: &mut Criterion) {
    let [xr, yr, xi, yi] = points();
    let opts = GeoMapOptions::mscimage();
    let mut g = c.benchmark_group("surface_fit");
    g.throughput(Throughput::Elements(xr.len() as u64));
    g.bench_function("geomap_general_cheb4_half_200pts", |b| {
        b.iter(|| geomap(black_box(&xr), &yr, &xi, &yi, None, &opts).unwrap())
    });
    let rej = GeoMapOptions {
        maxiter: 3,
        reject: Some(3.0),
        ..opts.clone()
    };
    g.bench_function("geomap_general_cheb4_half_200pts_reject3", |b| {
        b.iter(|| geomap(black_box(&xr), &yr, &xi, &yi, None, &rej).unwrap())
    });
    let spec = SurfaceSpec::new(Function::Chebyshev, 4, 4, XTerms::Half);
    let range = SurfaceRange::from_data(&xr, &yr).unwrap();
    g.bench_function("surface_fit_cheb4_half_200pts", |b| {
        b.iter(|| Surface::fit(spec, range, black_box(&xr), &yr, &xi, None).unwrap())
    });
    g.finish();
}

fn fitted() -> GeoTransform {
    let [xr, yr, xi, yi] = points();
    geomap(&xr, &yr, &xi, &yi, None, &GeoMapOptions::mscimage()).unwrap()
}

fn grid(c: &mut Criterion) {
    let t = fitted();
    let n = 1024;
    let xs: Vec<f64> = (0..n).map(|i| i as f64 * 4.0).collect();
    let ys = xs.clone();
    let mut g = c.benchmark_group("surface_grid");
    g.throughput(Throughput::Elements((n * n) as u64));
    g.bench_function("geotransform_xy_1024x1024", |b| {
        b.iter(|| t.eval_grid(black_box(&xs), &ys))
    });
    // Into preallocated arrays: the compute cost alone (a fresh 8 MB array costs page
    // faults that dominate on this VM, see geotransform_xy_1024x1024).
    let (mut bx, mut by) = (
        ndarray::Array2::zeros((n, n)),
        ndarray::Array2::zeros((n, n)),
    );
    g.bench_function("geotransform_xy_1024x1024_into", |b| {
        b.iter(|| {
            t.x_fit
                .eval_grid_into(black_box(&xs), &ys, bx.view_mut())
                .unwrap();
            t.y_fit
                .eval_grid_into(black_box(&xs), &ys, by.view_mut())
                .unwrap();
        })
    });
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    g.bench_function("geotransform_xy_1024x1024_into_1thread", |b| {
        b.iter(|| {
            one.install(|| {
                t.x_fit
                    .eval_grid_into(black_box(&xs), &ys, bx.view_mut())
                    .unwrap();
                t.y_fit
                    .eval_grid_into(black_box(&xs), &ys, by.view_mut())
                    .unwrap();
            })
        })
    });
    g.bench_function("x_fit_points_1024x1024_1thread", |b| {
        b.iter(|| {
            let mut s = 0.0;
            for &y in &ys {
                for &x in &xs {
                    s += t.x_fit.eval(x, y);
                }
            }
            black_box(s)
        })
    });
    g.finish();
}

criterion_group!(benches, fit, grid);
criterion_main!(benches);
