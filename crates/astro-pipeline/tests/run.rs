//! End-to-end runs of the pipeline on synthetic dithered exposures (in memory): cosmic
//! rays found, the scene recovered, flux conserved, skies measured, thread-count
//! invariance, the step switches and their dependencies, bad parameters.

mod core_support;

use astro_pipeline::{DrizzleConfig, Error, run_exposures};
use core_support::*;

/// (ny, nx) positions of the final frame → position in exposure 0's pixels.
fn to_ref(out: &astro_pipeline::Drizzled, x: f64, y: f64) -> (f64, f64) {
    let (ra, dec) = out.wcs.pixel_to_world(x, y).unwrap();
    wcs_for(0.0, 0.0).world_to_pixel(ra, dec).unwrap()
}

#[test]
fn cosmic_rays_are_found_where_planted() {
    let (es, planted) = exposures(1);
    let dqs: Vec<_> = es.iter().map(|e| e.chips[0].dq.clone().unwrap()).collect();
    let out = run_exposures(&cfg(), es).unwrap();
    let mut found = 0;
    let mut total = 0;
    let mut false_pos = 0;
    for (k, crs) in planted.iter().enumerate() {
        let mask = out.cr_masks[k][0].as_ref().expect("driz_cr ran");
        for &(y, x) in crs {
            total += 1;
            if mask[[y, x]] {
                found += 1;
            }
        }
        // DQ-flagged pixels (a hot column) are outliers too; driz_cr ignores DQ, as
        // AstroDrizzle's: they are not counted as false positives
        let flagged = mask
            .iter()
            .zip(dqs[k].iter())
            .filter(|&(&b, &q)| b && q == 0)
            .count();
        let planted_flagged = crs.iter().filter(|&&(y, x)| mask[[y, x]]).count();
        false_pos += flagged - planted_flagged;
    }
    let frac = found as f64 / total as f64;
    assert!(frac >= 0.95, "found {found} of {total} planted CR pixels");
    // tolerance: fewer than 0.1 % of all pixels flagged without a planted CR
    assert!(
        false_pos < 3 * N * N / 1000,
        "{false_pos} false positives over 3 × {N}² pixels"
    );
    assert_eq!(out.cr_pixels().len(), 3);
}

#[test]
fn final_image_is_the_scene_within_noise_and_conserves_flux() {
    let (es, _) = exposures(2);
    let out = run_exposures(&cfg(), es).unwrap();
    let sci = out.sci.as_ref().unwrap();
    let wht = out.wht.as_ref().unwrap();
    let (ny, nx) = sci.dim();
    // noise of one output pixel in e⁻/s: three exposures of sky + read noise
    let sigma_sky = ((SKIES[1] + RDNOISE * RDNOISE) / 3.0).sqrt() / EXPTIME;
    let mut residuals = Vec::new();
    for y in 0..ny {
        for x in 0..nx {
            let (rx, ry) = to_ref(&out, x as f64, y as f64);
            if wht[[y, x]] <= 0.0
                || !(8.0..N as f64 - 8.0).contains(&rx)
                || !(8.0..N as f64 - 8.0).contains(&ry)
            {
                continue;
            }
            let truth = scene(rx, ry);
            let sd = ((truth * EXPTIME + SKIES[1] + RDNOISE * RDNOISE) / 3.0).sqrt() / EXPTIME;
            residuals.push((f64::from(sci[[y, x]]) - truth).abs() / sd.max(sigma_sky));
        }
    }
    residuals.sort_by(f64::total_cmp);
    let med = residuals[residuals.len() / 2];
    // tolerance: the median |Δ|/σ of a unit gaussian is 0.67; drizzling with pixfrac 1
    // correlates and smooths the noise (lower) and blurs the stars (higher): allow 1.0
    assert!(med < 1.0, "median |Δ|/σ = {med}");
    // flux of each star within 8 px of its centre, against its true rate
    for &(sx, sy, f) in &STARS {
        let (ra, dec) = wcs_for(0.0, 0.0).pixel_to_world(sx, sy).unwrap();
        let (ox, oy) = out.wcs.world_to_pixel(ra, dec).unwrap();
        let mut sum = 0.0;
        for y in (oy - 9.0).floor() as usize..=(oy + 9.0).ceil() as usize {
            for x in (ox - 9.0).floor() as usize..=(ox + 9.0).ceil() as usize {
                if (x as f64 - ox).hypot(y as f64 - oy) <= 8.0 {
                    sum += f64::from(sci[[y, x]]);
                }
            }
        }
        // gaussian flux inside r = 8 = 4σ: 1 − e⁻⁸ ≈ 0.99966; tolerance 2 % (noise, edges)
        let expect = f * (1.0 - (-8.0f64).exp());
        assert!(
            (sum - expect).abs() < 0.02 * expect,
            "star at ({sx}, {sy}): {sum} vs {expect}"
        );
    }
}

#[test]
fn skies_are_recovered() {
    let (es, _) = exposures(3);
    let out = run_exposures(&cfg(), es).unwrap();
    for (k, s) in out.skies.iter().enumerate() {
        // tolerance: the clipped median of ~16000 sky pixels with σ ≈ 9 e⁻, slightly
        // biased by the star wings: 1 e⁻
        assert!(
            (s[0] - SKIES[k]).abs() < 1.0,
            "exposure {k}: sky {} vs {}",
            s[0],
            SKIES[k]
        );
    }
    let cards = &out.cards;
    let get = |k: &str| cards.iter().find(|c| c.keyword == k).unwrap();
    assert_eq!(get("NDRIZIM").value.as_ref().unwrap().as_i64(), Some(3));
    assert_eq!(
        get("TEXPTIME").value.as_ref().unwrap().as_f64(),
        Some(3.0 * EXPTIME)
    );
    assert_eq!(
        get("BUNIT").value.as_ref().unwrap().as_str(),
        Some("ELECTRONS/S")
    );
    assert_eq!(out.n_images, 3);
    assert!(out.timings.iter().any(|(s, _)| s == "driz_combine"));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (es, _) = exposures(4);
    let one = run_exposures(&cfg(), es.clone()).unwrap();
    let two = run_exposures(
        &DrizzleConfig {
            num_cores: Some(2),
            ..cfg()
        },
        es,
    )
    .unwrap();
    let bits = |a: &ndarray::Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(one.sci.as_ref().unwrap()),
        bits(two.sci.as_ref().unwrap())
    );
    assert_eq!(
        bits(one.wht.as_ref().unwrap()),
        bits(two.wht.as_ref().unwrap())
    );
    assert_eq!(one.ctx, two.ctx);
    assert_eq!(
        bits(one.median.as_ref().unwrap()),
        bits(two.median.as_ref().unwrap())
    );
    assert_eq!(one.cr_masks, two.cr_masks);
    assert_eq!(one.skies, two.skies);
}

#[test]
fn each_switch_can_be_turned_off() {
    let (es, _) = exposures(5);
    // static mask off
    let out = run_exposures(
        &DrizzleConfig {
            static_mask: false,
            ..cfg()
        },
        es.clone(),
    )
    .unwrap();
    assert!(out.static_masked.is_empty() && out.sci.is_some());
    // sky off: the final image keeps the sky (e⁻/s)
    let out = run_exposures(
        &DrizzleConfig {
            skysub: false,
            ..cfg()
        },
        es.clone(),
    )
    .unwrap();
    assert_eq!(out.skies, vec![vec![0.0]; 3]);
    let sci = out.sci.unwrap();
    let (ny, _) = sci.dim();
    let corner = f64::from(sci[[ny / 2, 8]]);
    assert!((corner - 55.0 / EXPTIME).abs() < 0.2, "{corner}");
    // driz_cr off (blot on): no masks
    let out = run_exposures(
        &DrizzleConfig {
            driz_cr: false,
            ..cfg()
        },
        es.clone(),
    )
    .unwrap();
    assert!(out.cr_masks.iter().flatten().all(|m| m.is_none()));
    assert!(out.median.is_some());
    // the whole CR chain off
    let off = DrizzleConfig {
        driz_separate: false,
        median: false,
        blot: false,
        driz_cr: false,
        ..cfg()
    };
    let out = run_exposures(&off, es.clone()).unwrap();
    assert!(out.median.is_none() && out.sci.is_some());
    // a planted CR survives into the final image without driz_cr (its pixel is brighter)
    // final drizzle off
    let out = run_exposures(
        &DrizzleConfig {
            driz_combine: false,
            ..cfg()
        },
        es,
    )
    .unwrap();
    assert!(out.sci.is_none() && out.median.is_some());
    assert!(out.cr_masks[0][0].is_some());
}

#[test]
fn steps_whose_input_is_off_are_refused() {
    let (es, _) = exposures(6);
    for (cfg, name) in [
        (
            DrizzleConfig {
                driz_separate: false,
                ..cfg()
            },
            "median",
        ),
        (
            DrizzleConfig {
                median: false,
                ..cfg()
            },
            "blot",
        ),
        (
            DrizzleConfig {
                blot: false,
                ..cfg()
            },
            "driz_cr",
        ),
    ] {
        let err = run_exposures(&cfg, es.clone()).unwrap_err();
        assert!(
            matches!(&err, Error::Parameter { name: n, .. } if n == name),
            "{err}"
        );
    }
}

#[test]
fn bad_parameters_and_exposures_give_named_errors() {
    let (es, _) = exposures(7);
    let err = run_exposures(
        &DrizzleConfig {
            final_pixfrac: 0.0,
            ..cfg()
        },
        es.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Parameter { name, .. } if name == "final_pixfrac"),
        "{err}"
    );
    let err = run_exposures(
        &DrizzleConfig {
            final_bits: "4++".into(),
            ..cfg()
        },
        es.clone(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("final_bits"), "{err}");
    let err = run_exposures(&cfg(), vec![]).unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err}");
    let mut bad = es.clone();
    bad[1].chips.clear();
    let err = run_exposures(&cfg(), bad).unwrap_err();
    assert!(
        matches!(&err, Error::Exposure { path, .. } if path.ends_with("syn1_flt.fits")),
        "{err}"
    );
    let mut bad = es.clone();
    bad[2].exptime = 0.0;
    let err = run_exposures(&cfg(), bad).unwrap_err();
    assert!(err.to_string().contains("exposure time"), "{err}");
    let mut bad = es;
    bad[0].chips[0].dq = Some(ndarray::Array2::zeros((3, 3)));
    let err = run_exposures(&cfg(), bad).unwrap_err();
    assert!(err.to_string().contains("DQ,1"), "{err}");
}

/// The whole `run` on the dithered ACS/HRC exposures made by
/// `parity/scripts/make_dithers.py` (directory in `ASTRO_PIPELINE_DITHERS`), writing the
/// products and intermediates into a temporary directory (or `ASTRO_PIPELINE_OUT`).
#[test]
fn run_on_dithered_hrc_exposures() {
    let Ok(dir) = std::env::var("ASTRO_PIPELINE_DITHERS") else {
        eprintln!("SKIP run_on_dithered_hrc_exposures: ASTRO_PIPELINE_DITHERS not set");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = std::env::var("ASTRO_PIPELINE_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().to_path_buf());
    std::fs::create_dir_all(&out_dir).unwrap();
    let cfg = DrizzleConfig {
        input: format!(
            "{dir}/j8bt06nyq_flt.fits,{dir}/j8bt06d1q_flt.fits,{dir}/j8bt06d2q_flt.fits"
        ),
        output: out_dir.join("adz").to_string_lossy().into_owned(),
        runfile: out_dir.join("adz.log").to_string_lossy().into_owned(),
        in_memory: std::env::var("ASTRO_PIPELINE_IN_MEMORY").is_ok_and(|v| v == "1"),
        clean: false,
        preserve: false,
        progress: false,
        previews: false,
        num_cores: Some(
            std::env::var("ASTRO_PIPELINE_NUM_CORES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
        ),
        ..Default::default()
    };
    let s = astro_pipeline::run(&cfg).unwrap();
    eprintln!("skies {:?}", s.skies);
    eprintln!("cr pixels {:?}", s.cr_pixels);
    eprintln!("shape {:?}", s.output_shape);
    eprintln!("timings {:?}", s.timings);
    assert_eq!(s.skies.len(), 3);
    assert!(
        s.products
            .iter()
            .any(|p| p.to_string_lossy().ends_with("adz_drz_sci.fits"))
    );
}

/// Writes the synthetic exposures as `_flt.fits` files (PRIMARY, SCI, ERR, DQ).
fn write_inputs(dir: &std::path::Path, es: &[astro_pipeline::Exposure]) -> Vec<std::path::PathBuf> {
    use astro_fits::FitsWriter;
    let mut paths = Vec::new();
    for e in es {
        let p = dir.join(e.path.file_name().unwrap());
        let mut w = FitsWriter::create(&p, true).unwrap();
        let mut primary = e.primary.clone();
        primary.set("EXPTIME", e.exptime);
        w.write_primary(Some(&primary)).unwrap();
        let c = &e.chips[0];
        let mut h = c.wcs.to_header().unwrap();
        h.set("BUNIT", "ELECTRONS");
        h.set("PHOTFLAM", 1.5e-19);
        w.write_image("SCI", 1, &h, c.sci.view()).unwrap();
        w.write_image("ERR", 1, &h, c.err.as_ref().unwrap().view())
            .unwrap();
        let dq = c.dq.as_ref().unwrap().mapv(|v| v as u16);
        w.write_image("DQ", 1, &h, dq.view()).unwrap();
        w.finish().unwrap();
        paths.push(p);
    }
    paths
}

#[test]
fn run_writes_products_intermediates_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let (es, _) = exposures(8);
    let inputs = write_inputs(dir.path(), &es);
    let before: Vec<Vec<u8>> = inputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let base = DrizzleConfig {
        input: dir
            .path()
            .join("syn*_flt.fits")
            .to_string_lossy()
            .into_owned(),
        output: dir.path().join("out").to_string_lossy().into_owned(),
        runfile: dir.path().join("run.log").to_string_lossy().into_owned(),
        in_memory: false,
        clean: false,
        driz_cr_corr: true,
        ..cfg()
    };
    let s = astro_pipeline::run(&base).unwrap();
    let names: Vec<String> = s
        .products
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "out_drz_sci.fits",
        "out_drz_wht.fits",
        "out_drz_ctx.fits",
        "syn0_single_sci.fits",
        "syn2_single_wht.fits",
        "out_med.fits",
        "syn1_sci1_blt.fits",
        "syn1_sci1_crmask.fits",
        "syn0_crclean.fits",
        "run.log",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    for p in &s.products {
        assert!(p.exists(), "{}", p.display());
    }
    assert_eq!(s.output_shape.map(|(ny, _)| ny > 100), Some(true));
    assert!(s.cr_pixels.iter().all(|v| v[0] > 20));
    let log = std::fs::read_to_string(dir.path().join("run.log")).unwrap();
    for want in [
        "parameter final_kernel = square",
        "step sky: start",
        "MDRIZSKY",
        "CR pixels",
        "wrote",
    ] {
        assert!(log.contains(want), "log lacks {want:?}");
    }
    let h = astro_fits::read_header(dir.path().join("out_drz_sci.fits"), 0).unwrap();
    assert_eq!(h.get_i64("NDRIZIM").unwrap(), Some(3));
    assert_eq!(h.get_f64("PHOTFLAM").unwrap(), Some(1.5e-19));
    // the inputs are untouched (update_inputs is off)
    for (p, b) in inputs.iter().zip(&before) {
        assert_eq!(
            &std::fs::read(p).unwrap(),
            b,
            "{} was modified",
            p.display()
        );
    }
    // clean = true removes the intermediates, keeps the products
    let s = astro_pipeline::run(&DrizzleConfig {
        clean: true,
        driz_cr_corr: false,
        ..base.clone()
    })
    .unwrap();
    assert!(!dir.path().join("syn0_sci1_blt.fits").exists());
    assert!(!dir.path().join("out_med.fits").exists());
    assert!(dir.path().join("out_drz_sci.fits").exists());
    assert!(s.products.iter().all(|p| p.exists()));
    // a run that fails part-way leaves its log and writes no product
    let bad = DrizzleConfig {
        output: dir.path().join("bad").to_string_lossy().into_owned(),
        final_wcs: true,
        final_refimage: dir
            .path()
            .join("missing.fits")
            .to_string_lossy()
            .into_owned(),
        ..base
    };
    let err = astro_pipeline::run(&bad).unwrap_err();
    assert!(err.to_string().contains("final_refimage"), "{err}");
    assert!(!dir.path().join("bad_drz_sci.fits").exists());
    let log = std::fs::read_to_string(dir.path().join("run.log")).unwrap();
    assert!(log.contains("run failed"), "{log}");
}

#[test]
fn count_rate_exposures_are_handled_in_electrons() {
    // the same exposures as rates (e⁻/s, as WFC3/IR or JWST): drizzled as they are,
    // compared with their blotted model in electrons (× exposure time), as drizzlepac
    let (mut es, planted) = exposures(9);
    for e in &mut es {
        e.units = astro_pipeline::DataUnits::CountRate;
        let c = &mut e.chips[0];
        c.sci.mapv_inplace(|v| v / EXPTIME as f32);
        c.header.set("BUNIT", "ELECTRONS/S");
    }
    let out = run_exposures(&cfg(), es).unwrap();
    for (k, s) in out.skies.iter().enumerate() {
        // tolerance as skies_are_recovered, in e⁻/s
        assert!((s[0] - SKIES[k] / EXPTIME).abs() < 0.01, "{k}: {s:?}");
    }
    let mut found = 0;
    let mut total = 0;
    for (k, crs) in planted.iter().enumerate() {
        let mask = out.cr_masks[k][0].as_ref().unwrap();
        total += crs.len();
        found += crs.iter().filter(|&&(y, x)| mask[[y, x]]).count();
    }
    assert!(found as f64 >= 0.95 * total as f64, "{found} of {total}");
    assert_eq!(out.bunit, "ELECTRONS/S");
}
