//! Synthetic truth: star fields rendered with a Gaussian PSF, noise and SIP distortion
//! through a "true" WCS; the image's WCS to correct is the true one with CRVAL moved by
//! a known tangent-plane shift and the CD matrix rotated and scaled. Detection ->
//! matching -> fit -> WCS correction must recover the truth:
//! WCS residual <= 0.01 px rms over the image, rotation within 1e-4 deg, scale within 1e-5.

#![allow(clippy::needless_range_loop)]

use astro_align::{
    AlignOptions, Centroid, DetectOptions, FitGeometry, FitOptions, ImageCatalog, MatchAlgorithm,
    MatchOptions, TangentPlane, align_image, find_sources,
};
use astro_wcs::{Header, Wcs};
use ndarray::Array2;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, Normal};

const N: usize = 512;

fn truth_wcs() -> Wcs {
    let h = Header::parse_text(
        "CTYPE1  = 'RA---TAN-SIP'\nCTYPE2  = 'DEC--TAN-SIP'\n\
         CRPIX1  = 256.5\nCRPIX2  = 240.0\nCRVAL1  = 5.6234\nCRVAL2  = -72.0712\n\
         CD1_1   = -1.278e-5\nCD1_2   = 5.43e-6\nCD2_1   = 5.43e-6\nCD2_2   = 1.278e-5\n\
         A_ORDER = 2\nB_ORDER = 2\nA_2_0   = 4.0e-6\nA_1_1   = -3.0e-6\nA_0_2   = 6.0e-6\n\
         B_2_0   = -2.0e-6\nB_1_1   = 5.0e-6\nB_0_2   = 2.0e-6\n",
    )
    .unwrap();
    Wcs::from_header(&h).unwrap()
}

/// The truth with CRVAL moved by `shift` (plane pixels) and CD rotated by `rot` deg and
/// scaled by `scale`.
fn guess_wcs(truth: &Wcs, shift: (f64, f64), rot: f64, scale: f64) -> Wcs {
    let tp = TangentPlane::new(truth);
    let (cx, cy) = truth.crpix();
    let (ra, dec) = tp.tanp_to_world(cx + shift.0, cy + shift.1).unwrap();
    let (s, c) = rot.to_radians().sin_cos();
    let r = [[c, -s], [s, c]];
    let cd = truth.cd();
    let mut h = truth.to_header().unwrap();
    h.set("CRVAL1", ra);
    h.set("CRVAL2", dec);
    for i in 0..2 {
        for j in 0..2 {
            let v = (cd[i][0] * r[0][j] + cd[i][1] * r[1][j]) * scale;
            h.set(&format!("CD{}_{}", i + 1, j + 1), v);
        }
    }
    Wcs::from_header(&h).unwrap()
}

struct Field {
    image: Array2<f32>,
    /// reference catalog (RA, Dec), brightest first
    reference: Vec<(f64, f64)>,
}

fn render(truth: &Wcs, seed: u64, nstar: usize) -> Field {
    let mut rng = StdRng::seed_from_u64(seed);
    let sigma = 3.5 / 2.354_820_045;
    let mut stars: Vec<(f64, f64, f64)> = (0..nstar)
        .map(|_| {
            let x = rng.random_range(-30.0..(N as f64 + 30.0));
            let y = rng.random_range(-30.0..(N as f64 + 30.0));
            let flux = rng.random_range(3.0e4..3.0e5);
            (x, y, flux)
        })
        .collect();
    stars.sort_by(|a, b| b.2.total_cmp(&a.2));
    let noise = Normal::new(0.0, 5.0).unwrap();
    let mut image = Array2::<f32>::zeros((N, N));
    for v in image.iter_mut() {
        *v = 100.0 + noise.sample(&mut rng) as f32;
    }
    let mut reference = Vec::new();
    for &(x, y, flux) in &stars {
        let (ra, dec) = truth.pixel_to_world(x, y).unwrap();
        reference.push((ra, dec));
        let amp = flux / (2.0 * std::f64::consts::PI * sigma * sigma);
        let (x0, x1) = (
            (x - 8.0).floor().max(0.0) as usize,
            ((x + 8.0).ceil().max(0.0) as usize).min(N),
        );
        let (y0, y1) = (
            (y - 8.0).floor().max(0.0) as usize,
            ((y + 8.0).ceil().max(0.0) as usize).min(N),
        );
        for j in y0..y1 {
            for i in x0..x1 {
                let r2 = (i as f64 - x).powi(2) + (j as f64 - y).powi(2);
                image[[j, i]] += (amp * (-r2 / (2.0 * sigma * sigma)).exp()) as f32;
            }
        }
    }
    Field { image, reference }
}

fn detect(image: &Array2<f32>) -> Vec<(f64, f64)> {
    let opts = DetectOptions {
        conv_width: 3.5,
        threshold: 10.0,
        centroid: Centroid::Windowed,
        ..DetectOptions::default()
    };
    let det = find_sources(image.view(), None, &opts).unwrap();
    det.sources.iter().map(|s| (s.x, s.y)).collect()
}

/// rms over a pixel grid of |W^-1(T(p)) - p|.
fn wcs_rms(fitted: &Wcs, truth: &Wcs) -> f64 {
    let mut s = 0.0;
    let mut n = 0.0;
    for j in 0..9 {
        for i in 0..9 {
            let (x, y) = (i as f64 * 63.8, j as f64 * 63.8);
            let (ra, dec) = truth.pixel_to_world(x, y).unwrap();
            let (u, v) = fitted.world_to_pixel(ra, dec).unwrap();
            s += (u - x).powi(2) + (v - y).powi(2);
            n += 1.0;
        }
    }
    (s / n).sqrt()
}

fn run(seed: u64, shift: (f64, f64), rot: f64, scale: f64) -> (astro_align::AlignResult, f64) {
    let truth = truth_wcs();
    let field = render(&truth, seed, 200);
    let sources = detect(&field.image);
    assert!(sources.len() > 130, "detected {}", sources.len());
    let guess = guess_wcs(&truth, shift, rot, scale);
    let before = wcs_rms(&guess, &truth);
    let cat = ImageCatalog::new("synthetic", guess, (N, N), sources);
    let opts = AlignOptions {
        matching: MatchOptions {
            searchrad: 20.0,
            ..MatchOptions::default()
        },
        fit: FitOptions {
            fitgeom: FitGeometry::RScale,
            nclip: 10,
            clip_accum: true,
            ..FitOptions::default()
        },
        ..AlignOptions::default()
    };
    let res = align_image(&cat, &field.reference, &opts).unwrap();
    let truth = &truth;
    let after = wcs_rms(&res.wcs, truth);
    println!(
        "seed {seed}: shift {shift:?} rot {rot} scale {scale}: matcher {:?}, {} pairs, fit rot {:.7} scale {:.8} rmse {:.4} px; WCS rms before {before:.2} px after {after:.5} px",
        res.matches.algorithm,
        res.fit.nfit(),
        res.fit.proper_rot,
        res.fit.mean_scale,
        res.fit.rmse
    );
    // Expected fit: F ≈ R(rot)/scale in tweakwcs' convention, plus the small rotation
    // between the tangent planes of the true and the shifted CRVAL (meridian
    // convergence). Take it from a noiseless fit of the exact mapping on a grid.
    let tp = TangentPlane::new(&cat.wcs);
    let (mut it, mut rt) = (Vec::new(), Vec::new());
    for j in 0..9 {
        for i in 0..9 {
            let (x, y) = (i as f64 * 63.8, j as f64 * 63.8);
            let (a, d) = cat.wcs.pixel_to_world(x, y).unwrap();
            it.push(tp.world_to_tanp(a, d).unwrap());
            let (a, d) = truth.pixel_to_world(x, y).unwrap();
            rt.push(tp.world_to_tanp(a, d).unwrap());
        }
    }
    let exact = astro_align::fit_linear(
        &rt,
        &it,
        None,
        &FitOptions {
            fitgeom: FitGeometry::RScale,
            nclip: 0,
            ..FitOptions::default()
        },
    )
    .unwrap();
    assert!((exact.proper_rot - rot + 180.0).rem_euclid(360.0) - 180.0 < 1e-2);
    let drot = (res.fit.proper_rot - exact.proper_rot + 180.0).rem_euclid(360.0) - 180.0;
    let dscale = res.fit.mean_scale - exact.mean_scale;
    println!(
        "   vs exact mapping: rot {:.7} (|d| {:.1e} deg), scale {:.8} (|d| {:.1e})",
        exact.proper_rot,
        drot.abs(),
        exact.mean_scale,
        dscale.abs()
    );
    assert!(drot.abs() <= 1e-4, "rotation off by {drot} deg");
    assert!(dscale.abs() <= 1e-5, "scale off by {dscale}");
    assert!(after <= 0.01, "WCS rms after correction {after} px");
    (res, after)
}

#[test]
fn recovers_small_offsets_with_the_histogram() {
    let (res, _) = run(11, (3.4, -2.7), 0.02, 1.0001);
    assert_eq!(res.matches.algorithm, MatchAlgorithm::Tolerance);
}

#[test]
fn recovers_15px_5deg_1pct() {
    run(12, (15.0, -12.5), 5.0, 1.01);
    run(13, (-9.3, 14.2), -4.2, 0.99);
}

#[test]
fn recovers_large_rotation_with_triangles() {
    let (res, _) = run(14, (10.0, 6.0), 120.0, 1.004);
    assert_eq!(res.matches.algorithm, MatchAlgorithm::Triangles);
}
