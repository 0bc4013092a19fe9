//! Parity of `astro_drizzle` with drizzle 2.2.0's C kernel.
//!
//! Fixtures: `parity/fixtures/drizzle/`, written by `parity/scripts/gen_drizzle_fixtures.py`
//! (tool versions in `index.json`): a 160 × 160 cut-out of the real ACS/HRC exposure
//! j8bt06nyq (weights = DQ == 0) drizzled by every kernel × pixfrac {1, 0.7} ×
//! pscale_ratio {1, 0.5, 2} × map {shift, 30° rotation, real SIP distortion}; a sequence of
//! 35 adds (context past 32 inputs, variance, DQ); blot with every interpolant.
//!
//! Tolerances (written beside each comparison):
//! * sci: `|Δ| ≤ 1e-5 · max|sci|` where the reference weight > 0;
//! * wht: `|Δ| ≤ 1e-5 · max wht`;
//! * context: identical bits.
//!
//! ```text
//! cargo test -p astro-parity --test drizzle_parity -- --nocapture
//! ```

use astro_drizzle::{AddImageOptions, Drizzle, DrizzleOptions, FillValue, Input, Kernel, PixelMap};
use ndarray::{Array2, Array3};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/drizzle/");
/// Relative tolerance of sci (to max|sci|) and wht (to max wht).
const TOL_REL: f64 = 1e-5;

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).expect("fixture file")
}
fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}
fn f64s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}
fn index() -> Value {
    serde_json::from_slice(&read("index.json")).expect("index.json")
}

struct Cutout {
    sci: Array2<f32>,
    err: Array2<f32>,
    dq: Array2<u16>,
    sip: Vec<f64>,
    n: usize,
}

fn cutout() -> Cutout {
    let n = 160;
    let sci = Array2::from_shape_vec((n, n), f32s(&read("cutout_sci.f32"))).unwrap();
    let err = Array2::from_shape_vec((n, n), f32s(&read("cutout_err.f32"))).unwrap();
    let dq = Array2::from_shape_vec(
        (n, n),
        read("cutout_dq.u16")
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect(),
    )
    .unwrap();
    let sip = f64s(&read("sip_base.f64"));
    Cutout {
        sci,
        err,
        dq,
        sip,
        n,
    }
}

fn pixmap(ix: &Value, c: &Cutout, map: &str, scale: f64) -> Array3<f64> {
    let (cx, cy) = (ix["cx"].as_f64().unwrap(), ix["cy"].as_f64().unwrap());
    let (ox, oy) = (ix["ox"].as_f64().unwrap(), ix["oy"].as_f64().unwrap());
    let n = c.n;
    let a = 30f64.to_radians();
    let (ca, sa) = (a.cos(), a.sin());
    Array3::from_shape_fn((n, n, 2), |(j, i, k)| {
        let (x, y) = (i as f64, j as f64);
        let (bx, by) = match map {
            "shift" => (x, y),
            "rot30" => {
                let (dx, dy) = (x - cx, y - cy);
                (cx + (ca * dx - sa * dy), cy + (sa * dx + ca * dy))
            }
            _ => (c.sip[(j * n + i) * 2], c.sip[(j * n + i) * 2 + 1]),
        };
        if k == 0 {
            (bx - cx) / scale + ox
        } else {
            (by - cy) / scale + oy
        }
    })
}

struct Cmp {
    sci: f64,
    wht: f64,
    ctx_diff: usize,
}

fn compare(ours_sci: &[f32], ours_wht: &[f32], ref_sci: &[f32], ref_wht: &[f32]) -> (f64, f64) {
    let max_sci = ref_sci
        .iter()
        .zip(ref_wht)
        .filter(|(_, w)| **w > 0.0)
        .fold(0f64, |m, (s, _)| m.max((*s as f64).abs()))
        .max(1e-30);
    let max_wht = ref_wht
        .iter()
        .fold(0f64, |m, w| m.max(w.abs() as f64))
        .max(1e-30);
    let mut ws: f64 = 0.0;
    let mut ww: f64 = 0.0;
    for k in 0..ref_sci.len() {
        if ref_wht[k] > 0.0 {
            ws = ws.max((ours_sci[k] as f64 - ref_sci[k] as f64).abs() / max_sci);
        }
        ww = ww.max((ours_wht[k] as f64 - ref_wht[k] as f64).abs() / max_wht);
    }
    (ws, ww)
}

#[test]
fn kernels_match_drizzle_c() {
    let ix = index();
    let c = cutout();
    println!(
        "drizzle {} astropy {}",
        ix["drizzle_version"].as_str().unwrap(),
        ix["astropy_version"].as_str().unwrap()
    );
    let nout = ix["nout"].as_u64().unwrap() as usize;
    let np = nout * nout;
    let weights = c.dq.mapv(|q| if q == 0 { 1.0f32 } else { 0.0 });
    let mut failures = Vec::new();
    for g in ix["groups"].as_array().unwrap() {
        let kernel: Kernel = g["kernel"].as_str().unwrap().parse().unwrap();
        let map = g["map"].as_str().unwrap();
        let blob = read(g["file"].as_str().unwrap());
        let per = np * 8 + np.div_ceil(8);
        for (ci, case) in g["cases"].as_array().unwrap().iter().enumerate() {
            let pixfrac = case["pixfrac"].as_f64().unwrap();
            let scale = case["scale"].as_f64().unwrap();
            let b = &blob[ci * per..(ci + 1) * per];
            let ref_sci = f32s(&b[..np * 4]);
            let ref_wht = f32s(&b[np * 4..np * 8]);
            let ref_ctx = &b[np * 8..];
            let pm = pixmap(&ix, &c, map, scale);
            let mut d = Drizzle::new(
                (nout, nout),
                DrizzleOptions {
                    kernel,
                    fillval: FillValue::Value(0.0),
                    ..Default::default()
                },
            )
            .unwrap();
            d.add_image(
                &Input::new(c.sci.view()).with_weights(weights.view()),
                &PixelMap::from_array(pm.view()).unwrap(),
                &AddImageOptions {
                    pixfrac,
                    pscale_ratio: Some(scale),
                    iscale: scale * scale,
                    ..Default::default()
                },
            )
            .unwrap();
            let out = d.finalize();
            let ctx = out.ctx.unwrap();
            let ours_ctx = ctx.as_slice().unwrap();
            let ctx_diff = (0..np)
                .filter(|&k| ((ref_ctx[k / 8] >> (k % 8)) & 1) as i32 != (ours_ctx[k] & 1))
                .count();
            let (ws, ww) = compare(
                out.sci.as_slice().unwrap(),
                out.wht.as_slice().unwrap(),
                &ref_sci,
                &ref_wht,
            );
            let r = Cmp {
                sci: ws,
                wht: ww,
                ctx_diff,
            };
            let ok = r.sci <= TOL_REL && r.wht <= TOL_REL && r.ctx_diff == 0;
            println!(
                "{:9} {:5} pixfrac {pixfrac:3} scale {scale:3}: max|Δsci|/max {:.2e}  max|Δwht|/max {:.2e}  ctx diff {} {}",
                kernel.name(),
                map,
                r.sci,
                r.wht,
                r.ctx_diff,
                if ok { "ok" } else { "FAIL" }
            );
            if !ok && std::env::var("DRIZ_DEBUG").is_ok() {
                let (os, ow) = (out.sci.as_slice().unwrap(), out.wht.as_slice().unwrap());
                let mut shown = 0;
                for k in 0..np {
                    if (ow[k] - ref_wht[k]).abs() > 1e-5 && shown < 12 {
                        shown += 1;
                        println!(
                            "   [{}, {}] ours sci {} wht {}  ref sci {} wht {}",
                            k / nout,
                            k % nout,
                            os[k],
                            ow[k],
                            ref_sci[k],
                            ref_wht[k]
                        );
                    }
                }
            }
            if !ok {
                failures.push(format!("{} {map} {pixfrac} {scale}", kernel.name()));
            }
        }
    }
    assert!(failures.is_empty(), "failed cases: {failures:?}");
}

/// 35 adds onto one output (context past 32 inputs: 2 planes), with a variance array
/// (ERR²) and DQ; weight 1 where DQ == 0 else 0.25.
#[test]
fn sequence_of_35_adds_matches_drizzle_c() {
    let ix = index();
    let c = cutout();
    let sq = &ix["sequence"];
    let ns = sq["n_small"].as_u64().unwrap() as usize;
    let nout = sq["nout"].as_u64().unwrap() as usize;
    let planes = sq["ctx_planes"].as_u64().unwrap() as usize;
    let np = nout * nout;
    let blob = read("sequence.bin");
    let ref_sci = f32s(&blob[..np * 4]);
    let ref_wht = f32s(&blob[np * 4..np * 8]);
    let ref_ctx: Vec<i32> = blob[np * 8..np * (8 + 4 * planes)]
        .chunks_exact(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let o = np * (8 + 4 * planes);
    let ref_var = f32s(&blob[o..o + np * 4]);
    let ref_dq: Vec<u32> = blob[o + np * 4..o + np * 8]
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let mut d = Drizzle::new(
        (nout, nout),
        DrizzleOptions {
            kernel: Kernel::Square,
            fillval: FillValue::Value(0.0),
            with_dq: true,
            n_variance: 1,
            ..Default::default()
        },
    )
    .unwrap();
    for add in sq["adds"].as_array().unwrap() {
        let py = add["py"].as_u64().unwrap() as usize;
        let px = add["px"].as_u64().unwrap() as usize;
        let (dx, dy) = (add["dx"].as_f64().unwrap(), add["dy"].as_f64().unwrap());
        let a = add["angle"].as_f64().unwrap().to_radians();
        let (ca, sa) = (a.cos(), a.sin());
        let pm = Array3::from_shape_fn((ns, ns, 2), |(j, i, k)| {
            let (xc, yc) = (i as f64 - 11.5, j as f64 - 11.5);
            if k == 0 {
                11.5 + ca * xc - sa * yc + dx
            } else {
                11.5 + sa * xc + ca * yc + dy
            }
        });
        let s = ndarray::s![py..py + ns, px..px + ns];
        let data = c.sci.slice(s).to_owned();
        let var = c.err.slice(s).mapv(|e| e * e);
        let q = c.dq.slice(s).mapv(u32::from);
        let w = q.mapv(|q| if q == 0 { 1.0f32 } else { 0.25 });
        d.add_image(
            &Input::new(data.view())
                .with_weights(w.view())
                .with_dq(q.view())
                .with_variances(vec![var.view()]),
            &PixelMap::from_array(pm.view()).unwrap(),
            &AddImageOptions {
                pixfrac: 0.8,
                ..Default::default()
            },
        )
        .unwrap();
    }
    let out = d.finalize();
    assert_eq!(out.n_images, 35);
    let ctx = out.ctx.unwrap();
    assert_eq!(ctx.dim(), (planes, nout, nout));
    let (ws, ww) = compare(
        out.sci.as_slice().unwrap(),
        out.wht.as_slice().unwrap(),
        &ref_sci,
        &ref_wht,
    );
    // variance: |Δ| ≤ 1e-5 · max var where wht > 0
    let (wv, _) = compare(
        out.variances[0].as_slice().unwrap(),
        out.wht.as_slice().unwrap(),
        &ref_var,
        &ref_wht,
    );
    let ctx_diff = ctx.iter().zip(&ref_ctx).filter(|(a, b)| a != b).count();
    let dq_diff = out
        .dq
        .unwrap()
        .iter()
        .zip(&ref_dq)
        .filter(|(a, b)| a != b)
        .count();
    println!(
        "35 adds: max|Δsci|/max {ws:.2e} max|Δwht|/max {ww:.2e} max|Δvar|/max {wv:.2e} ctx diff {ctx_diff} dq diff {dq_diff}"
    );
    assert!(ws <= TOL_REL && ww <= TOL_REL && wv <= TOL_REL); // 1e-5 relative
    assert_eq!(ctx_diff, 0); // identical context (2 planes)
    assert_eq!(dq_diff, 0); // identical DQ
}

/// Blot of the cut-out with every interpolant drizzle 2.2.0 has.
#[test]
fn blot_matches_drizzle_c() {
    use astro_drizzle::{BlotOptions, blot};
    use astro_interp::Interpolant;
    let ix = index();
    let c = cutout();
    let b = &ix["blot"];
    let nout = ix["nout"].as_u64().unwrap() as usize;
    let np = nout * nout;
    let (cx, cy) = (ix["cx"].as_f64().unwrap(), ix["cy"].as_f64().unwrap());
    let a = b["angle"].as_f64().unwrap().to_radians();
    let (ca, sa) = (a.cos(), a.sin());
    let zoom = b["zoom"].as_f64().unwrap();
    let (dx, dy) = (b["dx"].as_f64().unwrap(), b["dy"].as_f64().unwrap());
    let n = c.n as f64;
    let pm = Array3::from_shape_fn((nout, nout, 2), |(j, i, k)| {
        let (u, v) = (i as f64 - 35.5, j as f64 - 35.5);
        if k == 0 {
            if j == 0 && i < 5 {
                -3.0
            } else {
                cx + (ca * u - sa * v) * zoom + dx
            }
        } else if j == 1 && i < 5 {
            n + 2.0
        } else {
            cy + (sa * u + ca * v) * zoom + dy
        }
    });
    let map = PixelMap::from_array(pm.view()).unwrap();
    let blob = read("blot.bin");
    let mut fails = Vec::new();
    for (k, name) in b["interps"].as_array().unwrap().iter().enumerate() {
        let name = name.as_str().unwrap();
        let interp: Interpolant = match name {
            "lan3" => Interpolant::Lanczos3,
            "lan5" => Interpolant::Lanczos5,
            other => other.parse().unwrap(),
        };
        let reference = f32s(&blob[k * np * 4..(k + 1) * np * 4]);
        let opts = BlotOptions {
            interp,
            iscale: b["iscale"].as_f64().unwrap(),
            fillval: b["fillval"].as_f64().unwrap() as f32,
            ..Default::default()
        };
        let ours = blot(c.sci.view(), &map, &opts).unwrap();
        let ours = ours.as_slice().unwrap();
        let max = reference.iter().fold(0f64, |m, v| m.max(v.abs() as f64));
        let worst = ours
            .iter()
            .zip(&reference)
            .map(|(a, b)| (*a as f64 - *b as f64).abs() / max)
            .fold(0.0, f64::max);
        // |Δ| ≤ 1e-5 · max|blot|. BlotOptions::f32_coordinates (the default) rounds positions
        // to f32 as drizzle's C blot does; without it Lanczos picks a neighbouring table entry
        // at a few pixels (up to 2.7e-3 relative here).
        let tol = TOL_REL;
        println!("blot {name:8}: max|Δ|/max {worst:.2e} (tolerance {tol:.0e})");
        if worst > tol && std::env::var("DRIZ_DEBUG").is_ok() {
            for k in 0..np {
                if (ours[k] as f64 - reference[k] as f64).abs() / max > tol {
                    println!(
                        "   [{}, {}] at ({:.3}, {:.3}) ours {} ref {}",
                        k / nout,
                        k % nout,
                        pm[[k / nout, k % nout, 0]],
                        pm[[k / nout, k % nout, 1]],
                        ours[k],
                        reference[k]
                    );
                }
            }
        }
        if worst > tol {
            fails.push(name);
        }
    }
    assert!(fails.is_empty(), "{fails:?}");
}
