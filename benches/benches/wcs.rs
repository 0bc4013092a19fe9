//! Criterion benchmarks of astro-wcs: pixel → world (TAN, TAN-SIP order 4, the full ACS/WFC
//! SIP + NPOL + D2IM model), world → pixel, and a pixel map TAN-SIP → TAN.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/targets/wcsverify ASTRO_TEST_DATA=/work/shared/data/real \
//!     cargo bench -p astro-benches --bench wcs
//! ```
//!
//! The ACS/WFC case needs `ASTRO_TEST_DATA` (it reads the lookup tables from
//! `hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz`) and is skipped without it.
//! The peer comparison against astropy/drizzle is `parity/scripts/bench_wcs_peers.py`.
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use astro_wcs::{Header, Wcs};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// A 2048 × 4096 TAN-SIP header of order 4 (forward A/B only) with coefficients of the
/// size found in real wide-field cameras.
fn sip4_header() -> Header {
    let mut text = String::from(
        "NAXIS   = 2\nNAXIS1  = 2048\nNAXIS2  = 4096\n\
         CTYPE1  = 'RA---TAN-SIP'\nCTYPE2  = 'DEC--TAN-SIP'\n\
         CRPIX1  = 1024.5\nCRPIX2  = 2048.5\nCRVAL1  = 215.2\nCRVAL2  = 52.9\n\
         CD1_1   = -2.8e-4\nCD1_2   = 1.1e-6\nCD2_1   = 1.3e-6\nCD2_2   = 2.8e-4\n\
         A_ORDER = 4\nB_ORDER = 4\n",
    );
    let coef = |p: u32, q: u32, s: f64| s * 10f64.powi(-((2 + 2 * (p + q)) as i32));
    for p in 0..=4u32 {
        for q in 0..=(4 - p) {
            if p + q < 2 {
                continue;
            }
            text += &format!("A_{p}_{q}   = {:e}\n", coef(p, q, 1.7));
            text += &format!("B_{p}_{q}   = {:e}\n", coef(p, q, -2.3));
        }
    }
    Header::parse_text(&text).expect("synthetic SIP header")
}

fn tan_of(header: &Header) -> Header {
    let mut h = header.clone();
    for k in ["A_ORDER", "B_ORDER", "AP_ORDER", "BP_ORDER"] {
        h.remove(k);
    }
    h.set("CTYPE1", "RA---TAN");
    h.set("CTYPE2", "DEC--TAN");
    h
}

fn grid(nx_img: f64, ny_img: f64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut px = Vec::with_capacity(n * n);
    let mut py = Vec::with_capacity(n * n);
    for j in 0..n {
        for i in 0..n {
            px.push(i as f64 * (nx_img - 1.0) / (n - 1) as f64);
            py.push(j as f64 * (ny_img - 1.0) / (n - 1) as f64);
        }
    }
    (px, py)
}

fn acs_wcs() -> Option<Wcs> {
    let root = std::env::var_os("ASTRO_TEST_DATA")?;
    let path =
        std::path::Path::new(&root).join("hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz");
    match astro_fits::read_wcs(&path, "SCI", 1, ' ') {
        Ok((_, w)) => Some(w),
        Err(e) => {
            eprintln!("SKIP acs_full: {e}");
            None
        }
    }
}

fn bench_pixel_to_world(c: &mut Criterion) {
    let sip_h = sip4_header();
    let mut cases = vec![
        (
            "tan",
            Wcs::from_header(&tan_of(&sip_h)).expect("TAN"),
            2048.0,
            4096.0,
        ),
        (
            "tan_sip4",
            Wcs::from_header(&sip_h).expect("SIP"),
            2048.0,
            4096.0,
        ),
    ];
    match acs_wcs() {
        Some(w) => cases.push(("acs_full", w, 4096.0, 2048.0)),
        None => eprintln!("SKIP acs_full: ASTRO_TEST_DATA not set or unreadable"),
    }
    let n = 100;
    let mut g = c.benchmark_group("wcs_pixel_to_world");
    g.throughput(Throughput::Elements((n * n) as u64));
    for (name, wcs, nx, ny) in &cases {
        let (px, py) = grid(*nx, *ny, n);
        g.bench_with_input(BenchmarkId::new("single", name), &wcs, |b, w| {
            b.iter(|| {
                let mut acc = 0.0;
                for k in 0..px.len() {
                    let (ra, dec) = w
                        .pixel_to_world(black_box(px[k]), black_box(py[k]))
                        .unwrap();
                    acc += ra + dec;
                }
                acc
            })
        });
        g.bench_with_input(BenchmarkId::new("many", name), &wcs, |b, w| {
            b.iter(|| {
                w.pixel_to_world_many(black_box(&px), black_box(&py))
                    .unwrap()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("wcs_world_to_pixel");
    g.throughput(Throughput::Elements((n * n) as u64));
    for (name, wcs, nx, ny) in &cases {
        let (px, py) = grid(*nx, *ny, n);
        let (ra, dec) = wcs.pixel_to_world_many(&px, &py).unwrap();
        g.bench_with_input(BenchmarkId::new("single", name), &wcs, |b, w| {
            b.iter(|| {
                let mut acc = 0.0;
                for k in 0..ra.len() {
                    let (x, y) = w
                        .world_to_pixel(black_box(ra[k]), black_box(dec[k]))
                        .unwrap();
                    acc += x + y;
                }
                acc
            })
        });
    }
    g.finish();
}

fn bench_pixel_map(c: &mut Criterion) {
    let sip_h = sip4_header();
    let from = Wcs::from_header(&sip_h).expect("SIP");
    let to = Wcs::from_header(&tan_of(&sip_h)).expect("TAN");
    let size = 512;
    let mut g = c.benchmark_group("wcs_pixel_map");
    g.throughput(Throughput::Elements((size * size) as u64));
    g.sample_size(20);
    let mut xo = vec![0.0; size * size];
    let mut yo = vec![0.0; size * size];
    g.bench_function("tan_sip4_to_tan_512", |b| {
        b.iter(|| {
            let m = from.pixel_mapper(black_box(&to)).unwrap();
            m.map_tile(0, 0, size, size, &mut xo, &mut yo).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench_pixel_to_world, bench_pixel_map);
criterion_main!(benches);
