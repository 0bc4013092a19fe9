//! Criterion benchmarks of astro-interp's interpolants: blot-style evaluation of a 1024 ×
//! 1024 image at a rotated (7°) + shifted pixel map of the same size, for every interpolant
//! (drizzle blot semantics), with all threads and with one; plus the per-image setup of
//! `spline3` (the prefilter) and scalar evaluation.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/targets/interp cargo bench -p astro-benches --bench interp
//! ```
//!
//! The 4096² race against drizzle itself is `parity/scripts/bench_interp_peers.py`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use astro_interp::{InterpOptions, Interpolant, Interpolator};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array2, Array3};
use std::hint::black_box;

const N: usize = 1024;

fn image() -> Array2<f32> {
    Array2::from_shape_fn((N, N), |(y, x)| {
        let (x, y) = (x as f32, y as f32);
        100.0 + 10.0 * (x / 37.0).sin() * (y / 53.0).cos() + 0.01 * x
    })
}

fn pixmap() -> Array3<f64> {
    let (c, s) = (7f64.to_radians().cos(), 7f64.to_radians().sin());
    let h = (N as f64 - 1.0) / 2.0;
    Array3::from_shape_fn((N, N, 2), |(j, i, k)| {
        let (x, y) = (i as f64 - h, j as f64 - h);
        if k == 0 {
            h + c * x - s * y + 2.3
        } else {
            h + s * x + c * y - 1.7
        }
    })
}

fn bench(c: &mut Criterion) {
    let img = image();
    let pm = pixmap();
    let mut out = Array2::<f32>::zeros((N, N));
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    let mut g = c.benchmark_group("blot_1024");
    g.sample_size(10);
    g.throughput(Throughput::Elements((N * N) as u64));
    for k in Interpolant::ALL {
        let it = Interpolator::new(img.view(), k, InterpOptions::blot(k, 0.0)).unwrap();
        g.bench_function(BenchmarkId::new("all_threads", k), |b| {
            b.iter(|| {
                it.eval_pixmap_into(black_box(pm.view()), out.view_mut())
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("one_thread", k), |b| {
            b.iter(|| {
                one.install(|| {
                    it.eval_pixmap_into(black_box(pm.view()), out.view_mut())
                        .unwrap()
                })
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("setup_1024");
    g.sample_size(10);
    g.throughput(Throughput::Elements((N * N) as u64));
    g.bench_function("spline3_prefilter", |b| {
        b.iter(|| {
            Interpolator::new(
                black_box(img.view()),
                Interpolant::Spline3,
                InterpOptions::default(),
            )
            .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("scalar");
    let it = Interpolator::new(img.view(), Interpolant::Poly5, InterpOptions::default()).unwrap();
    g.bench_function("poly5_eval", |b| {
        b.iter(|| it.eval(black_box(511.37), black_box(200.81)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
