//! Criterion benchmarks of astro-combine: median and minmed of 10 in-memory 1024 × 1024
//! images (64 MiB budget), driz_cr on one 1024 × 1024 chip, and the clipped sky statistic
//! of 1 Mpix. The full-size streamed race against numpy is
//! `parity/scripts/bench_combine_peers.py`.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/targets/combine cargo bench -p astro-benches --bench combine
//! ```

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use astro_combine::{
    ArraySource, ChipNoise, ClipParams, CombineParams, CombineType, ConstantSource, DrizCrParams,
    StackInput, clipped_stats, combine, driz_cr,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use std::hint::black_box;

fn image(seed: u64, n: usize) -> Array2<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    Array2::from_shape_fn((n, n), |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        100.0 + (s % 1000) as f32 * 0.01
    })
}

fn bench(c: &mut Criterion) {
    let n = 1024;
    let imgs: Vec<Array2<f32>> = (0..10).map(|k| image(k + 1, n)).collect();
    let mut g = c.benchmark_group("combine");
    g.sample_size(10);
    g.throughput(Throughput::Elements((n * n) as u64));
    for ty in [CombineType::Median, CombineType::Minmed] {
        g.bench_function(format!("{ty:?}_10x1024"), |b| {
            b.iter(|| {
                let inputs = imgs
                    .iter()
                    .map(|a| {
                        let mut i = StackInput::new(ArraySource::new(a.view()))
                            .with_weight(ConstantSource::new((n, n), 100.0))
                            .with_noise(100.0, 5.0, 10.0);
                        i.weight_mean = Some(100.0);
                        i
                    })
                    .collect();
                let p = CombineParams {
                    combine_type: ty,
                    combine_bufsize: 64 << 20,
                    ..Default::default()
                };
                black_box(combine(inputs, &p).unwrap())
            })
        });
    }
    let noise = ChipNoise {
        gain: 1.0,
        readnoise: 5.0,
        sky: 10.0,
    };
    g.bench_function("driz_cr_1024", |b| {
        b.iter(|| {
            black_box(
                driz_cr(
                    imgs[0].view(),
                    imgs[1].view(),
                    &noise,
                    &DrizCrParams::default(),
                )
                .unwrap(),
            )
        })
    });
    let flat: Vec<f32> = imgs[0].iter().copied().collect();
    g.bench_function("clipped_stats_1M", |b| {
        b.iter(|| black_box(clipped_stats(&flat, &ClipParams::default()).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
