//! Criterion benchmarks of astro-align: detection on a 1024² star field, catalog matching
//! (2-D histogram + xyxymatch) of 2000 sources, a clipped `general` fit, and the triangle
//! matcher on a 90°-rotated list.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use astro_align::{
    DetectOptions, FitGeometry, FitOptions, TriangleOptions, estimate_2dhist_shift, find_sources,
    fit_linear, match_triangles, xyxymatch,
};
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use std::hint::black_box;

fn lcg(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

fn field(n: usize, nstar: usize) -> (Array2<f32>, Vec<(f64, f64)>) {
    let mut s = 3u64;
    let mut img = Array2::<f32>::from_elem((n, n), 100.0);
    for v in img.iter_mut() {
        *v += (lcg(&mut s) * 10.0) as f32;
    }
    let mut pts = Vec::new();
    for _ in 0..nstar {
        let (x, y) = (lcg(&mut s) * n as f64, lcg(&mut s) * n as f64);
        let amp = 200.0 + 5000.0 * lcg(&mut s);
        pts.push((x, y));
        for j in (y - 6.0).max(0.0) as usize..((y + 6.0) as usize).min(n) {
            for i in (x - 6.0).max(0.0) as usize..((x + 6.0) as usize).min(n) {
                let r2 = (i as f64 - x).powi(2) + (j as f64 - y).powi(2);
                img[[j, i]] += (amp * (-r2 / 2.2).exp()) as f32;
            }
        }
    }
    (img, pts)
}

fn bench(c: &mut Criterion) {
    let (img, pts) = field(1024, 2000);
    let opts = DetectOptions {
        conv_width: 2.5,
        threshold: 5.0,
        ..DetectOptions::default()
    };
    c.bench_function("find_sources 1024² (2000 stars)", |b| {
        b.iter(|| find_sources(black_box(img.view()), None, &opts).unwrap())
    });
    let moved: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x + 3.3, y - 1.7)).collect();
    c.bench_function("2dhist + xyxymatch (2000 x 2000)", |b| {
        b.iter(|| {
            let h = estimate_2dhist_shift(black_box(&moved), &pts, 5.0, 1.0).unwrap();
            xyxymatch(&moved, &pts, h.shift, 1.0, 0.5).unwrap()
        })
    });
    let fo = FitOptions {
        fitgeom: FitGeometry::General,
        ..FitOptions::default()
    };
    c.bench_function("general fit, 3 clips (2000 pairs)", |b| {
        b.iter(|| fit_linear(black_box(&pts), &moved, None, &fo).unwrap())
    });
    let rot: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (1024.0 - y, x)).collect();
    c.bench_function("triangle matcher (90°, 2000 sources)", |b| {
        b.iter(|| match_triangles(black_box(&rot), &pts, &TriangleOptions::default()).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
