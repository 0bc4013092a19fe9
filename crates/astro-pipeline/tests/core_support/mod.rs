//! Synthetic dithered exposures for the pipeline's step and run tests: a few gaussian
//! stars on a flat sky, known sub-pixel dithers (through CRPIX), Poisson-like noise,
//! planted cosmic rays and bad pixels.
#![allow(dead_code)]

use astro_pipeline::{Chip, DataUnits, Exposure};
use astro_wcs::{Header, Wcs};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

pub(crate) const N: usize = 128;
pub(crate) const SCALE: f64 = 0.05; // arcsec
pub(crate) const EXPTIME: f64 = 100.0;
pub(crate) const RDNOISE: f64 = 5.0;
pub(crate) const SIGMA: f64 = 2.0; // star gaussian sigma (pixels)

/// Stars: (x, y) in exposure 0's pixels, total rate (e⁻/s).
pub(crate) const STARS: [(f64, f64, f64); 4] = [
    (40.3, 50.7, 800.0),
    (85.6, 70.2, 1500.0),
    (60.1, 95.4, 500.0),
    (95.0, 30.0, 1000.0),
];

/// Dithers (pixels) and skies (e⁻) per exposure.
pub(crate) const DITHERS: [(f64, f64); 3] = [(0.0, 0.0), (2.4, 1.3), (-1.6, 3.1)];
pub(crate) const SKIES: [f64; 3] = [50.0, 60.0, 55.0];

/// The true rate (e⁻/s per pixel) at `(x, y)` of exposure 0's pixel grid.
pub(crate) fn scene(x: f64, y: f64) -> f64 {
    STARS
        .iter()
        .map(|&(sx, sy, f)| {
            let r2 = (x - sx).powi(2) + (y - sy).powi(2);
            f / (2.0 * std::f64::consts::PI * SIGMA * SIGMA) * (-r2 / (2.0 * SIGMA * SIGMA)).exp()
        })
        .sum()
}

pub(crate) fn wcs_for(dx: f64, dy: f64) -> Wcs {
    let s = SCALE / 3600.0;
    Wcs::new_tan((150.0, 2.0), (63.5 + dx, 63.5 + dy), [[-s, 0.0], [0.0, s]]).unwrap()
}

/// One exposure: returns it and its planted CR pixels `(y, x)`.
pub(crate) fn exposure(k: usize, seed: u64, with_crs: bool) -> (Exposure, Vec<(usize, usize)>) {
    let (dx, dy) = DITHERS[k];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed + k as u64);
    let unit = Normal::new(0.0, 1.0).unwrap();
    let mut sci = Array2::<f32>::zeros((N, N));
    for y in 0..N {
        for x in 0..N {
            // pixel (x, y) of exposure k sees the sky of pixel (x - dx, y - dy) of exposure 0
            let v = scene(x as f64 - dx, y as f64 - dy) * EXPTIME + SKIES[k];
            let sd = (v + RDNOISE * RDNOISE).sqrt();
            sci[[y, x]] = (v + sd * unit.sample(&mut rng)) as f32;
        }
    }
    let mut crs = Vec::new();
    if with_crs {
        for _ in 0..25 {
            let (y, x) = (rng.random_range(4..N - 4), rng.random_range(4..N - 4));
            let amp = rng.random_range(800.0..3000.0);
            sci[[y, x]] += amp as f32;
            crs.push((y, x));
            if rng.random_bool(0.3) {
                sci[[y, x + 1]] += (amp * 0.6) as f32;
                crs.push((y, x + 1));
            }
        }
    }
    let mut dq = Array2::<u32>::zeros((N, N));
    // a bad column segment and a few hot pixels, flagged in DQ
    for y in 10..30 {
        dq[[y, 20 + k]] = 4;
        sci[[y, 20 + k]] = 5000.0;
    }
    let mut header = Header::new();
    header.set("BUNIT", "ELECTRONS");
    let chip = Chip {
        extver: 1,
        header,
        wcs: wcs_for(dx, dy),
        sci,
        err: Some(Array2::from_elem((N, N), 10.0)),
        dq: Some(dq),
        gain: 1.0,
        rdnoise: RDNOISE,
        ivm: None,
    };
    let mut primary = Header::new();
    primary.set("INSTRUME", "SYNTH");
    primary.set("DETECTOR", "CCD");
    primary.set("EXPSTART", 50000.0 + k as f64);
    primary.set("EXPEND", 50000.01 + k as f64);
    let e = Exposure {
        path: format!("syn{k}_flt.fits").into(),
        rootname: format!("syn{k}"),
        primary,
        exptime: EXPTIME,
        units: DataUnits::Counts,
        chips: vec![chip],
        ivm_path: None,
    };
    (e, crs)
}

/// Three exposures and their planted CRs.
pub(crate) fn exposures(seed: u64) -> (Vec<Exposure>, Vec<Vec<(usize, usize)>>) {
    let mut es = Vec::new();
    let mut crs = Vec::new();
    for k in 0..3 {
        let (e, c) = exposure(k, seed, true);
        es.push(e);
        crs.push(c);
    }
    (es, crs)
}

/// A small config for tests: 1 thread unless changed, no log file, no progress bars.
pub(crate) fn cfg() -> astro_pipeline::DrizzleConfig {
    astro_pipeline::DrizzleConfig {
        input: "syn*_flt.fits".into(),
        runfile: String::new(),
        progress: false,
        previews: false,
        num_cores: Some(1),
        in_memory: true,
        ..Default::default()
    }
}
