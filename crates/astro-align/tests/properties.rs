//! Invariants (proptest): exact transforms are recovered exactly, the identity
//! correction changes nothing, matching finds every pair of a shifted copy whatever the
//! input order, and detection is identical for any thread count.

use astro_align::{
    DetectOptions, FitGeometry, FitOptions, MatchOptions, SearchUnits, TangentPlane, correct_wcs,
    find_sources, fit_linear, match_catalogs,
};
use ndarray::Array2;
use proptest::prelude::*;

fn points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut s = seed
        .wrapping_mul(2862933555777941757)
        .wrapping_add(3037000493);
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| (next() * 1000.0, next() * 1000.0)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rscale_and_general_recover_exact_transforms(
        rot in -180.0f64..180.0, scale in 0.9f64..1.1, sx in -50.0f64..50.0, sy in -50.0f64..50.0,
        skew in -0.01f64..0.01, seed in 0u64..1000,
    ) {
        let img = points(40, seed);
        let (s, c) = rot.to_radians().sin_cos();
        let m = [[scale * c, scale * s + skew], [-scale * s, scale * c]];
        let refp: Vec<_> = img.iter().map(|&(x, y)| (m[0][0] * x + m[0][1] * y + sx, m[1][0] * x + m[1][1] * y + sy)).collect();
        let g = fit_linear(&refp, &img, None, &FitOptions { fitgeom: FitGeometry::General, ..Default::default() }).unwrap();
        for (gr, mr) in g.matrix.iter().zip(&m) {
            for (a, b) in gr.iter().zip(mr) {
                prop_assert!((a - b).abs() < 1e-9);
            }
        }
        prop_assert!((g.shift[0] - sx).abs() < 1e-6 && (g.shift[1] - sy).abs() < 1e-6);
        if skew == 0.0 || skew.abs() < 1e-300 {
            let f = fit_linear(&refp, &img, None, &FitOptions::default()).unwrap();
            prop_assert!((f.mean_scale - scale).abs() < 1e-9);
        }
        let m2 = [[scale * c, scale * s], [-scale * s, scale * c]];
        let refp2: Vec<_> = img.iter().map(|&(x, y)| (m2[0][0] * x + m2[0][1] * y + sx, m2[1][0] * x + m2[1][1] * y + sy)).collect();
        let f = fit_linear(&refp2, &img, None, &FitOptions::default()).unwrap();
        prop_assert!((f.mean_scale - scale).abs() < 1e-9);
        let d = (f.proper_rot - rot + 180.0).rem_euclid(360.0) - 180.0;
        prop_assert!(d.abs() < 1e-8, "rot {} vs {}", f.proper_rot, rot);
    }

    #[test]
    fn identity_correction_keeps_the_wcs(ra in 0.0f64..360.0, dec in -80.0f64..80.0, pa in 0.0f64..360.0) {
        let (s, c) = pa.to_radians().sin_cos();
        let p = 1.4e-5;
        let wcs = astro_wcs::Wcs::new_tan((ra, dec), (511.5, 480.0), [[-p * c, p * s], [p * s, p * c]]).unwrap();
        let tp = TangentPlane::new(&wcs);
        let out = correct_wcs(&wcs, &tp, [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], (1024, 1024)).unwrap();
        let (a, b) = (out.crval(), wcs.crval());
        prop_assert!((a.0 - b.0).abs() < 1e-10 && (a.1 - b.1).abs() < 1e-10);
        for (or, wr) in out.cd().iter().zip(&wcs.cd()) {
            for (a, b) in or.iter().zip(wr) {
                prop_assert!((a - b).abs() < 1e-8 * p, "{:e}", a - b);
            }
        }
    }

    #[test]
    fn matching_a_shifted_permuted_copy_finds_every_pair(
        dx in -9.0f64..9.0, dy in -9.0f64..9.0, seed in 0u64..1000, rotate in 0usize..150,
    ) {
        // distinct stars: drop any closer than 3 px to an earlier one
        let mut refp: Vec<(f64, f64)> = Vec::new();
        for p in points(200, seed) {
            if refp.len() < 150 && refp.iter().all(|q| (p.0 - q.0).hypot(p.1 - q.1) > 3.0) {
                refp.push(p);
            }
        }
        prop_assume!(refp.len() == 150);
        let mut order: Vec<usize> = (0..150).collect();
        order.rotate_left(rotate);
        let img: Vec<(f64, f64)> = order.iter().map(|&k| (refp[k].0 + dx, refp[k].1 + dy)).collect();
        let opts = MatchOptions { searchrad: 10.0, ..Default::default() };
        let m = match_catalogs(&img, &refp, 1.0, 1.0, 2, &opts).unwrap();
        prop_assert_eq!(m.pairs.len(), 150);
        for &(r, i) in &m.pairs { prop_assert_eq!(order[i], r); }
        // the same radius in arcsec at 0.05"/px
        let arc = MatchOptions { searchrad: 0.5, searchunits: SearchUnits::Arcsec, ..Default::default() };
        let m2 = match_catalogs(&img, &refp, 1.0, 0.05, 2, &arc).unwrap();
        prop_assert_eq!(m2.pairs.len(), 150);
    }
}

#[test]
fn detection_is_identical_for_any_thread_count() {
    let n = 300;
    let mut img = Array2::<f32>::zeros((n, n));
    for (k, &(x, y)) in points(120, 5).iter().enumerate() {
        let (x, y) = (x * 0.3, y * 0.3);
        for j in 0..n {
            for i in 0..n {
                let r2 = (i as f64 - x).powi(2) + (j as f64 - y).powi(2);
                if r2 < 64.0 {
                    img[[j, i]] += (500.0 * (1.0 + k as f64 % 7.0) * (-r2 / 3.0).exp()) as f32;
                }
            }
        }
    }
    for (k, v) in img.iter_mut().enumerate() {
        *v += ((k * 7919) % 13) as f32;
    }
    let opts = DetectOptions {
        conv_width: 2.5,
        ..DetectOptions::default()
    };
    let run = |t: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
            .install(|| find_sources(img.view(), None, &opts).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert!(!a.sources.is_empty());
    assert_eq!(a, b);
}
