//! Behaviour of the sky step beyond the skymatch parity fixtures: errors, unmatched
//! exposures, chips without good pixels, unit conversion per chip.

use astro_combine::{
    CombineError, SkyChip, SkyExposure, SkyGrid, SkyMethod, SkyParams, SkyResult, compute_sky,
};
use ndarray::Array2;

fn exposure<'a>(
    data: &'a Array2<f32>,
    good: &'a Array2<bool>,
    conv: f64,
    grid: Option<(&'a Array2<f32>, &'a Array2<bool>)>,
) -> SkyExposure<'a> {
    SkyExposure {
        chips: vec![SkyChip {
            data: data.view(),
            good: Some(good.view()),
            to_brightness: conv,
        }],
        grid: grid.map(|(d, g)| SkyGrid {
            data: d.view(),
            good: g.view(),
            to_brightness: conv,
        }),
    }
}

#[test]
fn match_needs_grids_of_one_shape() {
    let d = Array2::from_elem((10, 10), 5.0f32);
    let g = Array2::from_elem((10, 10), true);
    let exps = vec![exposure(&d, &g, 1.0, None), exposure(&d, &g, 1.0, None)];
    for m in [SkyMethod::Match, SkyMethod::GlobalminMatch] {
        let p = SkyParams {
            skymethod: m,
            ..Default::default()
        };
        assert!(matches!(
            compute_sky(&exps, &p),
            Err(CombineError::Parameter {
                name: "skymethod",
                ..
            })
        ));
    }
    let d2 = Array2::from_elem((10, 11), 5.0f32);
    let g2 = Array2::from_elem((10, 11), true);
    let exps = vec![
        exposure(&d, &g, 1.0, Some((&d, &g))),
        exposure(&d, &g, 1.0, Some((&d2, &g2))),
    ];
    let p = SkyParams {
        skymethod: SkyMethod::Match,
        ..Default::default()
    };
    assert!(matches!(
        compute_sky(&exps, &p),
        Err(CombineError::ShapeMismatch { index: 1, .. })
    ));
}

#[test]
fn exposure_without_overlap_is_unmatched() {
    let a = Array2::from_elem((10, 30), 5.0f32);
    let b = Array2::from_elem((10, 30), 9.0f32);
    let c = Array2::from_elem((10, 30), 20.0f32);
    let all = Array2::from_elem((10, 30), true);
    let ga = Array2::from_shape_fn((10, 30), |(_, x)| x < 12);
    let gb = Array2::from_shape_fn((10, 30), |(_, x)| (8..20).contains(&x));
    let gc = Array2::from_shape_fn((10, 30), |(_, x)| x >= 25); // overlaps nobody
    let exps = vec![
        exposure(&a, &all, 1.0, Some((&a, &ga))),
        exposure(&b, &all, 1.0, Some((&b, &gb))),
        exposure(&c, &all, 1.0, Some((&c, &gc))),
    ];
    let p = SkyParams {
        skymethod: SkyMethod::Match,
        ..Default::default()
    };
    let r = compute_sky(&exps, &p).unwrap();
    assert_eq!(r.unmatched, vec![false, false, true]);
    assert!((r.brightness[0] - 0.0).abs() < 1e-9);
    assert!((r.brightness[1] - 4.0).abs() < 1e-9);
    assert_eq!(r.brightness[2], 0.0);
    // globalmin+match: the unmatched exposure gets the global minimum only
    let p = SkyParams {
        skymethod: SkyMethod::GlobalminMatch,
        ..Default::default()
    };
    let r = compute_sky(&exps, &p).unwrap();
    assert!((r.brightness[0] - 5.0).abs() < 1e-9);
    assert!((r.brightness[1] - 9.0).abs() < 1e-9);
    assert!((r.brightness[2] - 5.0).abs() < 1e-9);
}

#[test]
fn chips_without_good_pixels_are_skipped_and_units_convert_per_chip() {
    let d1 = Array2::from_elem((8, 8), 100.0f32);
    let d2 = Array2::from_elem((8, 8), 10.0f32);
    let none = Array2::from_elem((8, 8), false);
    let all = Array2::from_elem((8, 8), true);
    let e = SkyExposure {
        chips: vec![
            SkyChip {
                data: d1.view(),
                good: Some(all.view()),
                to_brightness: 0.1,
            },
            SkyChip {
                data: d2.view(),
                good: Some(none.view()), // nothing usable: skipped
                to_brightness: 1.0,
            },
            SkyChip {
                data: d2.view(),
                good: None,
                to_brightness: 2.0,
            },
        ],
        grid: None,
    };
    let r = compute_sky(&[e], &SkyParams::default()).unwrap();
    // min brightness over usable chips: min(100·0.1, 10·2) = 10
    assert_eq!(r.brightness, vec![10.0]);
    assert_eq!(r.mdrizsky, vec![vec![100.0, 10.0, 5.0]]);
    // an exposure with no usable chip at all gets 0 (as skymatch)
    let e = SkyExposure {
        chips: vec![SkyChip {
            data: d2.view(),
            good: Some(none.view()),
            to_brightness: 1.0,
        }],
        grid: None,
    };
    assert_eq!(
        compute_sky(&[e], &SkyParams::default()).unwrap().brightness,
        vec![0.0]
    );
}

#[test]
fn user_sky_and_parse_errors() {
    let r = SkyResult::from_user(vec![vec![1.5, 2.5]]);
    assert_eq!(r.mdrizsky, vec![vec![1.5, 2.5]]);
    assert!("nonsense".parse::<SkyMethod>().is_err());
    assert!("avg".parse::<astro_combine::SkyStatistic>().is_err());
    // a mask of another shape
    let d = Array2::from_elem((4, 4), 1.0f32);
    let g = Array2::from_elem((4, 5), true);
    let e = SkyExposure {
        chips: vec![SkyChip {
            data: d.view(),
            good: Some(g.view()),
            to_brightness: 1.0,
        }],
        grid: None,
    };
    assert!(compute_sky(&[e], &SkyParams::default()).is_err());
}
