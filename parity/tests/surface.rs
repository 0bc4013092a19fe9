//! Parity of `astro_interp::surface` least-squares fits with `numpy.linalg.lstsq`.
//!
//! Fixtures: `parity/fixtures/surface/lstsq.json`, written by
//! `parity/scripts/gen_surface_fixtures.py` (numpy version inside the file). Each case is a
//! weighted fit of noisy smooth data with one family (chebyshev, legendre, polynomial),
//! one order pair and one cross-term set; numpy solved the same design matrix, built from
//! numpy's own basis routines. For every case we fit the same points and weights and check
//!
//! * fitted values at the 25 check points and at every data point:
//!   `|ours - numpy| <= 1e-8 · max|z|` (the data span ~±100, so 1e-6 absolute);
//! * for the normalised families (chebyshev, legendre; condition numbers <= 70):
//!   every coefficient `|Δc| <= 1e-8 · max|c|`.
//!
//! Second fixture, `geomap.json` (same script): whole [`geomap`] fits
//! (`general` chebyshev/legendre/polynomial with mscimage's orders, `general` with planted
//! outliers and 3-sigma rejection, `rotate` and `rscale` plain, mirrored and with
//! rejection), solved by the script with independent mathematics (least-squares surface
//! of the full orders; SVD orthogonal Procrustes / Umeyama scale). We check the rejected
//! points (exactly), fitted coordinates (1e-8 px), rms (1e-9 relative), shifts (1e-8 px),
//! magnifications (1e-11) and rotations (1e-8 deg).
//!
//! ```text
//! cargo test -p astro-parity --test surface -- --nocapture   # prints the worst errors
//! ```
//!
//! [`geomap`]: astro_interp::surface::geomap

#![allow(clippy::needless_range_loop)] // parallel coordinate arrays are indexed together

use astro_interp::surface::{Surface, SurfaceRange, SurfaceSpec};
use serde::Deserialize;

/// Fitted values: relative to the largest |z| of the case.
const TOL_VALUE_REL: f64 = 1e-8;
/// Coefficients of the normalised bases: relative to the largest |coefficient|.
const TOL_COEFF_REL: f64 = 1e-8;

#[derive(Deserialize)]
struct Fixture {
    numpy_version: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    function: String,
    xorder: usize,
    yorder: usize,
    xterms: String,
    range: [f64; 4],
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
    w: Vec<f64>,
    coeffs: Vec<f64>,
    xe: Vec<f64>,
    ye: Vec<f64>,
    ze: Vec<f64>,
    cond: f64,
}

#[test]
fn surface_fits_match_numpy_lstsq() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/surface/lstsq.json");
    let text = std::fs::read_to_string(path).expect("fixture file");
    let fx: Fixture = serde_json::from_str(&text).expect("fixture JSON");
    assert!(fx.cases.len() >= 60);
    println!("numpy {}: {} cases", fx.numpy_version, fx.cases.len());
    let (mut worst_val, mut worst_coef): (f64, f64) = (0.0, 0.0);
    for c in &fx.cases {
        let spec = SurfaceSpec::new(
            c.function.parse().unwrap(),
            c.xorder,
            c.yorder,
            c.xterms.parse().unwrap(),
        );
        let [x0, x1, y0, y1] = c.range;
        let range = SurfaceRange::new(x0, x1, y0, y1).unwrap();
        let s = Surface::fit(spec, range, &c.x, &c.y, &c.z, Some(&c.w)).unwrap();
        assert_eq!(s.ncoeff(), c.coeffs.len(), "{}", c.name);
        assert!(!s.is_singular(), "{}", c.name);
        let zmax = c.z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        // numpy's surface at the data points, from its coefficients and our (independently
        // tested) evaluation; the check points use numpy's own evaluation.
        let theirs = Surface::new(spec, range, c.coeffs.clone()).unwrap();
        let mut val: f64 = 0.0;
        for k in 0..c.xe.len() {
            val = val.max((s.eval(c.xe[k], c.ye[k]) - c.ze[k]).abs() / zmax);
        }
        for k in 0..c.x.len() {
            val = val.max((s.eval(c.x[k], c.y[k]) - theirs.eval(c.x[k], c.y[k])).abs() / zmax);
        }
        assert!(
            val <= TOL_VALUE_REL,
            "{}: fitted values differ by {val:e} of max|z|",
            c.name
        );
        worst_val = worst_val.max(val);
        if c.function != "polynomial" {
            let cmax = c.coeffs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let coef = s
                .coefficients()
                .iter()
                .zip(&c.coeffs)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs() / cmax));
            assert!(
                coef <= TOL_COEFF_REL,
                "{}: coefficients differ by {coef:e} of max|c|",
                c.name
            );
            worst_coef = worst_coef.max(coef);
        }
        println!("  {:32} cond {:9.3e}  values {val:.2e}", c.name, c.cond);
    }
    println!(
        "worst fitted-value difference {worst_val:.2e} of max|z|; worst chebyshev/legendre coefficient difference {worst_coef:.2e} of max|c|"
    );
}

/// Whole geomap fits (`parity/fixtures/surface/geomap.json`): the oracle solved each one
/// by independent means (least-squares surface of the full orders for `general`, SVD
/// orthogonal Procrustes / Umeyama for `rotate` / `rscale`) with geomap's rejection rule.
mod geomap_parity {
    use astro_interp::surface::{GeoMapOptions, geomap};
    use serde::Deserialize;

    /// Fitted coordinates at the check points, pixels (coordinates up to ~4100 px).
    const TOL_PX: f64 = 1e-8;
    /// rms, relative.
    const TOL_RMS_REL: f64 = 1e-9;
    /// Magnifications, absolute.
    const TOL_MAG: f64 = 1e-11;
    /// Rotations, degrees.
    const TOL_ROT_DEG: f64 = 1e-8;

    #[derive(Deserialize)]
    struct Fixture {
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Summary {
        xshift: f64,
        yshift: f64,
        xmag: f64,
        ymag: f64,
        xrotation: f64,
        yrotation: f64,
    }

    #[derive(Deserialize)]
    struct Case {
        name: String,
        fitgeometry: String,
        function: String,
        xxorder: usize,
        xyorder: usize,
        xxterms: String,
        yxorder: usize,
        yyorder: usize,
        yxterms: String,
        maxiter: usize,
        reject: f64,
        xref: Vec<f64>,
        yref: Vec<f64>,
        xin: Vec<f64>,
        yin: Vec<f64>,
        rejected: Vec<usize>,
        niter: usize,
        ngood: usize,
        xrms: f64,
        yrms: f64,
        summary: Summary,
        xe: Vec<f64>,
        ye: Vec<f64>,
        xe_fit: Vec<f64>,
        ye_fit: Vec<f64>,
    }

    fn dang(a: f64, b: f64) -> f64 {
        let d = (a - b).rem_euclid(360.0);
        d.min(360.0 - d)
    }

    #[test]
    fn geomap_fits_match_independent_solutions() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/surface/geomap.json");
        let fx: Fixture = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(fx.cases.len() >= 12);
        let mut worst = [0.0f64; 4];
        for c in &fx.cases {
            let opts = GeoMapOptions {
                fitgeometry: c.fitgeometry.parse().unwrap(),
                function: c.function.parse().unwrap(),
                xxorder: c.xxorder,
                xyorder: c.xyorder,
                xxterms: c.xxterms.parse().unwrap(),
                yxorder: c.yxorder,
                yyorder: c.yyorder,
                yxterms: c.yxterms.parse().unwrap(),
                maxiter: c.maxiter,
                reject: (c.reject > 0.0).then_some(c.reject),
                ..GeoMapOptions::default()
            };
            let t = geomap(&c.xref, &c.yref, &c.xin, &c.yin, None, &opts).unwrap();
            assert_eq!(t.rejected, c.rejected, "{}: rejected points", c.name);
            assert_eq!((t.niter, t.ngood), (c.niter, c.ngood), "{}", c.name);
            let mut px: f64 = 0.0;
            for k in 0..c.xe.len() {
                let (a, b) = t.eval(c.xe[k], c.ye[k]);
                px = px.max((a - c.xe_fit[k]).abs()).max((b - c.ye_fit[k]).abs());
            }
            let rms = ((t.xrms - c.xrms) / c.xrms)
                .abs()
                .max(((t.yrms - c.yrms) / c.yrms).abs());
            let s = &c.summary;
            let l = &t.linear;
            let shift = (l.xshift - s.xshift).abs().max((l.yshift - s.yshift).abs());
            let mag = (l.xmag - s.xmag).abs().max((l.ymag - s.ymag).abs());
            let rot = dang(l.xrotation, s.xrotation).max(dang(l.yrotation, s.yrotation));
            println!(
                "  {:28} fit {px:.1e} px  rms {rms:.1e}  shift {shift:.1e} px  mag {mag:.1e}  rot {rot:.1e} deg",
                c.name
            );
            assert!(
                px <= TOL_PX,
                "{}: fitted coordinates differ by {px:e} px",
                c.name
            );
            assert!(
                rms <= TOL_RMS_REL,
                "{}: rms differs by {rms:e} (relative)",
                c.name
            );
            assert!(shift <= TOL_PX, "{}: shifts differ by {shift:e} px", c.name);
            assert!(
                mag <= TOL_MAG,
                "{}: magnifications differ by {mag:e}",
                c.name
            );
            assert!(
                rot <= TOL_ROT_DEG,
                "{}: rotations differ by {rot:e} deg",
                c.name
            );
            worst = [
                worst[0].max(px),
                worst[1].max(rms),
                worst[2].max(mag),
                worst[3].max(rot),
            ];
        }
        println!(
            "worst: fit {:.1e} px, rms {:.1e} rel, mag {:.1e}, rotation {:.1e} deg",
            worst[0], worst[1], worst[2], worst[3]
        );
    }
}
