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
//! ```text
//! cargo test -p astro-parity --test surface -- --nocapture   # prints the worst errors
//! ```

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
