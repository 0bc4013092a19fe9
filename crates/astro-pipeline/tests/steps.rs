//! Behaviour of the individual steps through `run_exposures` on synthetic exposures:
//! static mask, the sky methods and user skies, custom output frames, weight types and
//! units, kernels and combine types, blot sky handling.

mod core_support;

use astro_pipeline::{
    CombineTypeName, DrizzleConfig, FinalUnits, KernelName, SkyMethod, WeightScale, WhtType,
    run_exposures,
};
use core_support::*;

fn three() -> Vec<astro_pipeline::Exposure> {
    exposures(11).0
}

#[test]
fn static_mask_flags_strongly_negative_pixels_and_drops_them() {
    let mut es = three();
    for e in &mut es {
        e.chips[0].sci[[64, 64]] = -5000.0;
        e.chips[0].dq = None; // only the static mask can remove it
    }
    let no_cr = DrizzleConfig {
        driz_separate: false,
        median: false,
        blot: false,
        driz_cr: false,
        ..cfg()
    };
    let with = run_exposures(&no_cr, es.clone()).unwrap();
    assert!(with.static_masked[0] >= 1);
    let without = run_exposures(
        &DrizzleConfig {
            static_mask: false,
            ..no_cr
        },
        es,
    )
    .unwrap();
    let (sw, sn) = (with.sci.unwrap(), without.sci.unwrap());
    let min_with = sw
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f32::INFINITY, f32::min);
    let min_without = sn
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f32::INFINITY, f32::min);
    assert!(
        min_without < -10.0,
        "the negative pixel is drizzled without the mask"
    );
    assert!(min_with > -5.0, "and masked with it: min {min_with}");
}

#[test]
fn sky_methods() {
    let es = three();
    let base = DrizzleConfig {
        driz_separate: false,
        median: false,
        blot: false,
        driz_cr: false,
        driz_combine: false,
        ..cfg()
    };
    let global = run_exposures(
        &DrizzleConfig {
            skymethod: SkyMethod::Globalmin,
            ..base.clone()
        },
        es.clone(),
    )
    .unwrap();
    // globalmin: every exposure gets the lowest sky (50 e⁻), tolerance 1 e⁻
    for s in &global.skies {
        assert!((s[0] - SKIES[0]).abs() < 1.0, "{s:?}");
    }
    let matched = run_exposures(
        &DrizzleConfig {
            skymethod: SkyMethod::Match,
            ..base.clone()
        },
        es.clone(),
    )
    .unwrap();
    // match: differences to the lowest (0, 10, 5), tolerance 1 e⁻
    for (k, s) in matched.skies.iter().enumerate() {
        assert!((s[0] - (SKIES[k] - SKIES[0])).abs() < 1.0, "{k}: {s:?}");
    }
    let gm = run_exposures(
        &DrizzleConfig {
            skymethod: SkyMethod::GlobalminMatch,
            ..base.clone()
        },
        es.clone(),
    )
    .unwrap();
    for (k, s) in gm.skies.iter().enumerate() {
        assert!((s[0] - SKIES[k]).abs() < 1.5, "{k}: {s:?}");
    }
}

#[test]
fn user_skies_from_a_file_and_a_keyword() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sky.txt");
    std::fs::write(
        &file,
        "# user skies\nsyn0_flt.fits 10.0\nsyn1 20.0\nsyn2_flt.fits 30\n",
    )
    .unwrap();
    let mut es = three();
    let c = DrizzleConfig {
        skyfile: file.to_string_lossy().into_owned(),
        ..cfg()
    };
    let out = run_exposures(&c, es.clone()).unwrap();
    assert_eq!(out.skies, vec![vec![10.0], vec![20.0], vec![30.0]]);
    // applied skies are not subtracted again: the final background stays at ~sky/exptime
    std::fs::write(&file, "# applied = yes\nsyn0 50\nsyn1 60\nsyn2 55\n").unwrap();
    let out = run_exposures(&c, es.clone()).unwrap();
    let sci = out.sci.unwrap();
    let (ny, _) = sci.dim();
    assert!(
        (sci[[ny / 2, 8]] - 0.55).abs() < 0.2,
        "{}",
        sci[[ny / 2, 8]]
    );
    // skyuser: the keyword holds a sky already removed by the user
    for (k, e) in es.iter_mut().enumerate() {
        e.chips[0].header.set("USERSKY", SKIES[k]);
    }
    let c = DrizzleConfig {
        skysub: false,
        skyuser: "USERSKY".into(),
        ..cfg()
    };
    let out = run_exposures(&c, es.clone()).unwrap();
    assert_eq!(out.skies, vec![vec![50.0], vec![60.0], vec![55.0]]);
    let c = DrizzleConfig {
        skysub: false,
        skyuser: "NOSUCHKW".into(),
        ..cfg()
    };
    let err = run_exposures(&c, es).unwrap_err();
    assert!(err.to_string().contains("NOSUCHKW"), "{err}");
}

#[test]
fn custom_output_frames() {
    let es = three();
    let c = DrizzleConfig {
        final_wcs: true,
        final_scale: Some(0.1),
        final_rot: Some(30.0),
        ..cfg()
    };
    let out = run_exposures(&c, es.clone()).unwrap();
    let cd = out.wcs.cd();
    let scale = (cd[0][0].powi(2) + cd[1][0].powi(2)).sqrt() * 3600.0;
    assert!((scale - 0.1).abs() < 1e-9);
    assert!((cd[0][1].atan2(cd[1][1]).to_degrees() - 30.0).abs() < 1e-9);
    assert_eq!(
        out.sci.as_ref().unwrap().dim(),
        out.wcs.array_shape().unwrap()
    );
    // flux per unit area is conserved: the 2× coarser frame has 4× the e⁻/s per pixel
    let fine = run_exposures(&cfg(), es.clone()).unwrap();
    let total = |s: &ndarray::Array2<f32>| {
        s.iter()
            .filter(|v| v.is_finite())
            .map(|&v| f64::from(v))
            .sum::<f64>()
    };
    let (a, b) = (
        total(fine.sci.as_ref().unwrap()),
        total(out.sci.as_ref().unwrap()),
    );
    assert!((a - b).abs() < 0.02 * a, "{a} vs {b}");
    let c = DrizzleConfig {
        driz_sep_wcs: true,
        driz_sep_outnx: Some(100),
        driz_sep_outny: Some(90),
        final_wcs: true,
        final_ra: Some(150.0),
        final_dec: Some(2.0),
        final_outnx: Some(64),
        final_outny: Some(64),
        ..cfg()
    };
    let out = run_exposures(&c, es).unwrap();
    assert_eq!(out.single_wcs.array_shape(), Some((90, 100)));
    assert_eq!(out.median.as_ref().unwrap().dim(), (90, 100));
    assert_eq!(out.sci.as_ref().unwrap().dim(), (64, 64));
    let (ra, dec) = out.wcs.pixel_to_world(31.5, 31.5).unwrap();
    assert!((ra - 150.0).abs() < 1e-9 && (dec - 2.0).abs() < 1e-9);
}

#[test]
fn weight_types_units_and_context() {
    let es = three();
    let exp = run_exposures(&cfg(), es.clone()).unwrap();
    let w = exp.wht.as_ref().unwrap();
    let (ny, nx) = w.dim();
    // EXP: three exposures of 100 s fully overlapping at the centre
    assert!(
        (w[[ny / 2, nx / 2]] - 300.0).abs() < 1e-3,
        "{}",
        w[[ny / 2, nx / 2]]
    );
    let ctx = exp.ctx.as_ref().unwrap();
    assert_eq!(ctx.dim().0, 1);
    assert_eq!(ctx[[0, ny / 2, nx / 2]], 0b111);
    // ERR = 10 everywhere: (100 / 10)² = 100 per exposure
    let err = run_exposures(
        &DrizzleConfig {
            final_wht_type: WhtType::Err,
            ..cfg()
        },
        es.clone(),
    )
    .unwrap();
    assert!((err.wht.as_ref().unwrap()[[ny / 2, nx / 2]] - 300.0).abs() < 1e-2);
    // IVM without user maps: 1/(sky + rn²) · exptime² per exposure
    let ivm = run_exposures(
        &DrizzleConfig {
            final_wht_type: WhtType::Ivm,
            ..cfg()
        },
        es.clone(),
    )
    .unwrap();
    let expect: f64 = (0..3)
        .map(|k| EXPTIME * EXPTIME / (ivm.skies[k][0] + RDNOISE * RDNOISE))
        .sum();
    let got = f64::from(ivm.wht.as_ref().unwrap()[[ny / 2, nx / 2]]);
    assert!((got - expect).abs() < 1e-3 * expect, "{got} vs {expect}");
    // counts = cps × total exposure time; a numeric wt_scl scales the weights
    let counts = run_exposures(
        &DrizzleConfig {
            final_units: FinalUnits::Counts,
            final_wt_scl: WeightScale::Value(2.0),
            context: false,
            ..cfg()
        },
        es,
    )
    .unwrap();
    let (a, b) = (exp.sci.as_ref().unwrap(), counts.sci.as_ref().unwrap());
    let r = b[[ny / 2, nx / 2]] / a[[ny / 2, nx / 2]];
    assert!((r - 300.0).abs() < 1e-2, "{r}");
    assert!((counts.wht.as_ref().unwrap()[[ny / 2, nx / 2]] - 600.0).abs() < 1e-2);
    assert!(counts.ctx.is_none());
    assert_eq!(counts.bunit, "ELECTRONS");
    // no input at all lands on a pixel: NaN by default (AstroDrizzle), else final_fillval
    let nan = a
        .iter()
        .zip(exp.wht.as_ref().unwrap())
        .all(|(s, &w)| w > 0.0 || s.is_nan());
    assert!(nan);
}

#[test]
fn kernels_and_combine_types_run() {
    let es = three();
    for k in [
        KernelName::Point,
        KernelName::Turbo,
        KernelName::Gaussian,
        KernelName::Lanczos3,
    ] {
        let out = run_exposures(
            &DrizzleConfig {
                final_kernel: k,
                final_pixfrac: if k == KernelName::Point { 1.0 } else { 0.8 },
                ..cfg()
            },
            es.clone(),
        )
        .unwrap();
        assert!(out.sci.unwrap().iter().any(|v| v.is_finite()), "{k:?}");
    }
    for t in [
        CombineTypeName::Median,
        CombineTypeName::Mean,
        CombineTypeName::Imedian,
    ] {
        let out = run_exposures(
            &DrizzleConfig {
                combine_type: t,
                combine_nhigh: if t == CombineTypeName::Mean { 1 } else { 0 },
                ..cfg()
            },
            es.clone(),
        )
        .unwrap();
        let med = out.median.unwrap();
        let (ny, _) = med.dim();
        assert!(med[[ny / 2, 8]].abs() < 0.5, "{t:?}: {}", med[[ny / 2, 8]]);
    }
}

#[test]
fn blot_without_the_sky_finds_every_pixel_deviant() {
    let es = three();
    // the blotted model lacks the ~55 e⁻ sky: almost every pixel differs by > 3.5σ
    let out = run_exposures(
        &DrizzleConfig {
            blot_addsky: false,
            blot_skyval: 0.0,
            ..cfg()
        },
        es.clone(),
    )
    .unwrap();
    let n = out.cr_pixels()[0][0];
    assert!(n > N * N / 2, "{n}");
    // with blot_skyval = the sky, the model is right again
    let out = run_exposures(
        &DrizzleConfig {
            blot_addsky: false,
            blot_skyval: SKIES[0],
            skymethod: SkyMethod::Globalmin,
            ..cfg()
        },
        es,
    )
    .unwrap();
    assert!(out.cr_pixels()[0][0] < 200, "{}", out.cr_pixels()[0][0]);
}
