//! Bad input and edge cases of the cosmic-ray functions.

use astro_combine::{
    ChipNoise, CombineError, CteDirection, DrizCrParams, OutlierParams, abs_deriv, cr_clean,
    driz_cr, flag_crs, flag_resampled_crs, median_filter, qderiv,
};
use ndarray::Array2;

#[test]
fn shape_mismatches_and_bad_parameters_are_errors() {
    let a = Array2::<f32>::zeros((5, 5));
    let b = Array2::<f32>::zeros((5, 6));
    let m = Array2::from_elem((5, 6), false);
    let noise = ChipNoise {
        gain: 1.0,
        readnoise: 5.0,
        sky: 0.0,
    };
    let p = DrizCrParams::default();
    assert!(matches!(
        driz_cr(a.view(), b.view(), &noise, &p),
        Err(CombineError::ShapeMismatch { .. })
    ));
    let zero_gain = ChipNoise { gain: 0.0, ..noise };
    assert!(driz_cr(a.view(), a.view(), &zero_gain, &p).is_err());
    let no_grow = DrizCrParams {
        driz_cr_grow: 0,
        ..p
    };
    assert!(matches!(
        driz_cr(a.view(), a.view(), &noise, &no_grow),
        Err(CombineError::Mask(_))
    ));
    assert!(cr_clean(a.view(), a.view(), m.view()).is_err());
    assert!(flag_resampled_crs(a.view(), b.view(), a.view(), &OutlierParams::default()).is_err());
    assert!(flag_crs(a.view(), a.view(), b.view(), 5.0).is_err());
    assert!(median_filter(a.view(), 4).is_err());
    assert!(median_filter(a.view(), 0).is_err());
}

#[test]
fn tiny_and_empty_images_do_not_panic() {
    for (ny, nx) in [(0, 0), (1, 1), (1, 5), (5, 1), (2, 2)] {
        let a = Array2::from_shape_fn((ny, nx), |(y, x)| (y * 3 + x) as f32);
        assert_eq!(qderiv(a.view()).dim(), (ny, nx));
        assert_eq!(abs_deriv(a.view()).dim(), (ny, nx));
        let noise = ChipNoise {
            gain: 1.0,
            readnoise: 5.0,
            sky: 0.0,
        };
        let p = DrizCrParams {
            driz_cr_grow: 2,
            driz_cr_ctegrow: 3,
            cte_dir: CteDirection::Positive,
            ..Default::default()
        };
        assert_eq!(
            driz_cr(a.view(), a.view(), &noise, &p).unwrap().dim(),
            (ny, nx)
        );
    }
}

#[test]
fn grow_and_ctegrow_extend_the_mask() {
    let blot = Array2::from_elem((15, 15), 100.0f32);
    let mut sci = blot.clone();
    sci[[7, 7]] += 2000.0;
    let noise = ChipNoise {
        gain: 1.0,
        readnoise: 5.0,
        sky: 0.0,
    };
    let count = |p: &DrizCrParams| {
        driz_cr(sci.view(), blot.view(), &noise, p)
            .unwrap()
            .iter()
            .filter(|&&c| c)
            .count()
    };
    assert_eq!(count(&DrizCrParams::default()), 1);
    // grow is a box width: 3 → 3x3
    assert_eq!(
        count(&DrizCrParams {
            driz_cr_grow: 3,
            ..Default::default()
        }),
        9
    );
    // a CTE tail of 4 pixels
    assert_eq!(
        count(&DrizCrParams {
            driz_cr_ctegrow: 4,
            cte_dir: CteDirection::Negative,
            ..Default::default()
        }),
        5
    );
}

#[test]
fn nan_err_counts_as_zero_noise() {
    let blot = Array2::from_elem((5, 5), 10.0f32);
    let mut sci = blot.clone();
    sci[[2, 2]] = 10.5;
    let mut err = Array2::from_elem((5, 5), 1.0f32);
    err[[2, 2]] = f32::NAN;
    let cr = flag_crs(sci.view(), err.view(), blot.view(), 5.0).unwrap();
    assert!(cr[[2, 2]]);
    assert_eq!(cr.iter().filter(|&&c| c).count(), 1);
}
