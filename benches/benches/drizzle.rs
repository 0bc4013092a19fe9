//! Criterion benchmarks of astro-drizzle: one 1024 × 1024 input, rotated 7°, onto a
//! 1250 × 1250 output with each kernel (pixel map from the two WCS included), and blot
//! (poly5, lanczos3) back. The full 4096² race against drizzle's C kernel is
//! `parity/scripts/bench_drizzle_peers.py`.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/targets/drizzle cargo bench -p astro-benches --bench drizzle
//! ```

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use astro_drizzle::{
    AddImageOptions, BlotOptions, Drizzle, DrizzleOptions, Input, Kernel, PixelMap, blot,
};
use astro_interp::Interpolant;
use astro_wcs::Wcs;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use std::hint::black_box;

const N: usize = 1024;
const NOUT: usize = 1250;

fn wcs() -> (Wcs, Wcs) {
    let s = 1e-5;
    let a = 7f64.to_radians();
    let (c, sn) = (a.cos(), a.sin());
    let ci = (N as f64 - 1.0) / 2.0;
    let co = (NOUT as f64 - 1.0) / 2.0;
    (
        Wcs::new_tan((10.0, 20.0), (ci, ci), [[-s * c, s * sn], [s * sn, s * c]]).unwrap(),
        Wcs::new_tan((10.0, 20.0), (co, co), [[-s, 0.0], [0.0, s]]).unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    let (wi, wo) = wcs();
    let data = Array2::from_shape_fn((N, N), |(y, x)| {
        ((x as f64 / 37.0).sin() * (y as f64 / 23.0).cos() * 100.0 + 200.0) as f32
    });
    let mut g = c.benchmark_group("drizzle_1024_rot7");
    g.throughput(Throughput::Elements((N * N) as u64));
    g.sample_size(10);
    for kernel in Kernel::ALL {
        let pixfrac = if matches!(kernel, Kernel::Lanczos2 | Kernel::Lanczos3) {
            1.0
        } else {
            0.8
        };
        g.bench_function(kernel.name(), |b| {
            b.iter(|| {
                let map = PixelMap::from_wcs(&wi, &wo, (N, N)).unwrap();
                let mut d = Drizzle::new(
                    (NOUT, NOUT),
                    DrizzleOptions {
                        kernel,
                        disable_ctx: true,
                        ..Default::default()
                    },
                )
                .unwrap();
                d.add_image(
                    &Input::new(data.view()),
                    &map,
                    &AddImageOptions {
                        pixfrac,
                        ..Default::default()
                    },
                )
                .unwrap();
                black_box(d.finalize())
            })
        });
    }
    let map = PixelMap::from_wcs(&wi, &wo, (N, N)).unwrap();
    let mut d = Drizzle::new((NOUT, NOUT), DrizzleOptions::default()).unwrap();
    d.add_image(&Input::new(data.view()), &map, &AddImageOptions::default())
        .unwrap();
    let out = d.finalize();
    for interp in [Interpolant::Poly5, Interpolant::Lanczos3] {
        g.bench_function(format!("blot_{interp}"), |b| {
            b.iter(|| {
                black_box(
                    blot(
                        out.sci.view(),
                        &map,
                        &BlotOptions {
                            interp,
                            ..Default::default()
                        },
                    )
                    .unwrap(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
