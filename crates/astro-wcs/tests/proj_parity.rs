//! Parity of `astro_wcs::proj` and `astro_wcs::celestial` with WCSLIB through astropy.
//!
//! The fixtures in `tests/fixtures/proj/` were written by
//! `tests/scripts/gen_proj_fixtures.py` (astropy 8.0.2 / WCSLIB 8.6, versions recorded in
//! each file) from the 28 "1904-66" map headers of Calabretta & Greisen and from synthetic
//! cases (other CRVAL, LONPOLE, LATPOLE, PV1_m, NCP, GLS). Every point is replayed:
//!
//! * plane → native: `Projection::deproject` must fail exactly where WCSLIB flags the
//!   point (astropy returns NaN) and otherwise agree within `TOL_DEG`;
//! * native → celestial and celestial → native: `CelestialRotation` within `TOL_DEG`;
//! * native → plane: `Projection::project` with the same validity and within `TOL_DEG`
//!   (relative to the radius for points far out on divergent projections);
//! * the effective LONPOLE / LATPOLE and the native reference point.
//!
//! Run with `--nocapture` to see the per-case maximum errors.

// The fixtures are parallel columns; indexing them by point reads best.
#![allow(clippy::needless_range_loop)]

use astro_wcs::celestial::CelestialRotation;
use astro_wcs::proj::{Projection, ProjectionParams};
use serde_json::Value;
use std::path::PathBuf;

/// Maximum allowed difference, degrees (angles on the sky or in the native frame, and
/// plane coordinates up to 100° from the origin; beyond that it scales with the radius,
/// i.e. a relative 1e-12, since WCSLIB's own rounding grows with |x|).
const TOL_DEG: f64 = 1e-10;

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/proj");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 29,
        "expected the 28 map fixtures and synthetic ones"
    );
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn col(obj: &Value, key: &str) -> Vec<f64> {
    obj[key].as_array().unwrap().iter().map(f).collect()
}

fn flags(obj: &Value, key: &str) -> Vec<bool> {
    obj[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_bool().unwrap())
        .collect()
}

/// Difference of two longitudes, modulo 360.
fn dlon(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

fn build(case: &Value) -> astro_wcs::Result<(Projection, CelestialRotation)> {
    let mut params = ProjectionParams::default();
    for (m, v) in case["pv_lat"].as_object().unwrap() {
        params.lat[m.parse::<usize>().unwrap()] = Some(f(v));
    }
    for (m, v) in case["pv_lon"].as_object().unwrap() {
        params.lon[m.parse::<usize>().unwrap()] = Some(f(v));
    }
    let crval = (f(&case["crval"][0]), f(&case["crval"][1]));
    let code = case["code"].as_str().unwrap();
    let proj = match code {
        "NCP" => Projection::ncp(crval.1)?,
        "GLS" => Projection::gls(crval.1)?,
        _ => Projection::new(code, &params)?,
    };
    let lonpole = case["lonpole"].as_f64();
    let latpole = case["latpole"].as_f64();
    let rot = CelestialRotation::from_projection(crval, &proj, lonpole, latpole)?;
    Ok((proj, rot))
}

#[derive(Default)]
struct Stats {
    points: usize,
    mismatched_validity: Vec<String>,
    max_native: f64,
    max_celestial: f64,
    max_to_native: f64,
    max_plane: f64,
    too_far: Vec<String>,
}

impl Stats {
    fn check(&mut self, what: &str, err: f64, scale: f64, ctx: impl FnOnce() -> String) {
        let slot = match what {
            "native" => &mut self.max_native,
            "celestial" => &mut self.max_celestial,
            "to_native" => &mut self.max_to_native,
            _ => &mut self.max_plane,
        };
        let rel = err / scale.max(1.0);
        *slot = slot.max(rel);
        // TOL_DEG: the documented tolerance (scaled for plane points beyond 100°).
        if rel.is_nan() || rel > TOL_DEG {
            self.too_far
                .push(format!("{what}: {} (err {err:e})", ctx()));
        }
    }
}

fn replay(name: &str, case: &Value) -> Stats {
    let mut st = Stats::default();
    let built = build(case);
    if let Some(err) = case.get("error") {
        assert!(
            built.is_err(),
            "{name}: astropy rejected the description ({err}) but we accepted it"
        );
        return st;
    }
    let (proj, rot) = built.unwrap_or_else(|e| panic!("{name}: {e}"));
    let eff = &case["effective"];
    let tol = TOL_DEG;
    assert!(
        (rot.lonpole() - f(&eff["lonpole"])).abs() <= tol,
        "{name}: LONPOLE"
    );
    assert!(
        (rot.latpole() - f(&eff["latpole"])).abs() <= tol,
        "{name}: LATPOLE"
    );
    let (phi0, theta0) = proj.native_reference();
    assert!((phi0 - f(&eff["phi0"])).abs() <= tol, "{name}: phi0");
    assert!((theta0 - f(&eff["theta0"])).abs() <= tol, "{name}: theta0");

    // Plane -> native -> celestial.
    let p2s = &case["pix2sky"];
    let (xs, ys) = (col(p2s, "x"), col(p2s, "y"));
    let (phis, thetas) = (col(p2s, "phi"), col(p2s, "theta"));
    let (lons, lats) = (col(p2s, "lon"), col(p2s, "lat"));
    let oks = flags(p2s, "ok");
    for i in 0..xs.len() {
        st.points += 1;
        let got = proj.deproject(xs[i], ys[i]);
        if got.is_ok() != oks[i] {
            st.mismatched_validity.push(format!(
                "deproject({}, {}): ours {:?}, WCSLIB ok = {}",
                xs[i], ys[i], got, oks[i]
            ));
            continue;
        }
        let Ok((phi, theta)) = got else { continue };
        let ctx = || {
            format!(
                "deproject({}, {}) = ({phi}, {theta}) vs ({}, {})",
                xs[i], ys[i], phis[i], thetas[i]
            )
        };
        let e_phi = if theta.abs() > 90.0 - 1e-9 {
            0.0
        } else {
            dlon(phi, phis[i])
        };
        st.check("native", e_phi.max((theta - thetas[i]).abs()), 1.0, ctx);
        let (lon, lat) = rot.native_to_celestial(phis[i], thetas[i]);
        let e_lon = dlon(lon, lons[i]) * lats[i].to_radians().cos();
        st.check("celestial", e_lon.max((lat - lats[i]).abs()), 1.0, || {
            format!(
                "native_to_celestial({}, {}) = ({lon}, {lat}) vs ({}, {})",
                phis[i], thetas[i], lons[i], lats[i]
            )
        });
    }

    // Celestial -> native -> plane.
    let s2p = &case["sky2pix"];
    let (lons, lats) = (col(s2p, "lon"), col(s2p, "lat"));
    let (phis, thetas) = (col(s2p, "phi"), col(s2p, "theta"));
    let (xs, ys) = (col(s2p, "x"), col(s2p, "y"));
    let oks = flags(s2p, "ok");
    for i in 0..lons.len() {
        st.points += 1;
        let (phi, theta) = rot.celestial_to_native(lons[i], lats[i]);
        if !oks[i] {
            // astropy blanks the native coordinates of points the projection rejects:
            // ours must be rejected too.
            plane_point(&mut st, &proj, phi, theta, xs[i], ys[i], false);
            continue;
        }
        let e_phi = dlon(phi, phis[i]) * thetas[i].to_radians().cos();
        st.check(
            "to_native",
            e_phi.max((theta - thetas[i]).abs()),
            1.0,
            || {
                format!(
                    "celestial_to_native({}, {}) = ({phi}, {theta}) vs ({}, {})",
                    lons[i], lats[i], phis[i], thetas[i]
                )
            },
        );
        plane_point(&mut st, &proj, phis[i], thetas[i], xs[i], ys[i], oks[i]);
    }

    // Native grid with the special angles -> plane.
    let n2p = &case["native2plane"];
    let (phis, thetas) = (col(n2p, "phi"), col(n2p, "theta"));
    let (xs, ys) = (col(n2p, "x"), col(n2p, "y"));
    let oks = flags(n2p, "ok");
    for i in 0..phis.len() {
        st.points += 1;
        plane_point(&mut st, &proj, phis[i], thetas[i], xs[i], ys[i], oks[i]);
    }
    st
}

fn plane_point(st: &mut Stats, proj: &Projection, phi: f64, theta: f64, x: f64, y: f64, ok: bool) {
    let got = proj.project(phi, theta);
    if got.is_ok() != ok {
        st.mismatched_validity.push(format!(
            "project({phi}, {theta}): ours {got:?}, WCSLIB ok = {ok} ({x}, {y})"
        ));
        return;
    }
    if let Ok((gx, gy)) = got {
        let err = (gx - x).abs().max((gy - y).abs());
        let scale = x.hypot(y) / 100.0;
        st.check("plane", err, scale, || {
            format!("project({phi}, {theta}) = ({gx}, {gy}) vs ({x}, {y})")
        });
    }
}

#[test]
fn projections_and_rotation_match_wcslib() {
    let mut failures = Vec::new();
    let mut total = 0;
    println!(
        "{:<34} {:>6} {:>10} {:>10} {:>10} {:>10}",
        "case", "points", "native", "celestial", "to_native", "plane"
    );
    for (file, doc) in fixtures() {
        let gen_ = &doc["generator"];
        assert!(
            gen_["astropy"].is_string() && gen_["wcslib"].is_string(),
            "{file}: no versions"
        );
        for case in doc["cases"].as_array().unwrap() {
            let name = format!("{file}:{}", case["name"].as_str().unwrap());
            let st = replay(&name, case);
            total += st.points;
            println!(
                "{:<34} {:>6} {:>10.1e} {:>10.1e} {:>10.1e} {:>10.1e}{}",
                case["name"].as_str().unwrap(),
                st.points,
                st.max_native,
                st.max_celestial,
                st.max_to_native,
                st.max_plane,
                if case.get("error").is_some() {
                    "  (rejected, as WCSLIB)"
                } else {
                    ""
                }
            );
            for m in st.mismatched_validity.iter().chain(&st.too_far).take(5) {
                println!("    {m}");
            }
            if !st.mismatched_validity.is_empty() || !st.too_far.is_empty() {
                failures.push(format!(
                    "{name}: {} validity mismatches, {} beyond {TOL_DEG:e}",
                    st.mismatched_validity.len(),
                    st.too_far.len()
                ));
            }
        }
    }
    println!("{total} points replayed");
    assert!(
        failures.is_empty(),
        "parity failures:\n{}",
        failures.join("\n")
    );
}
