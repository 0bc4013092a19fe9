//! Per-image options: input box, units, scales, weights, context growth, DQ.

use astro_drizzle::{
    AddImageOptions, Drizzle, DrizzleOptions, FillValue, InUnits, Input, Kernel, PixelMap,
};
use ndarray::{Array2, Array3};

fn shift_map(ny: usize, nx: usize, dx: f64, dy: f64) -> Array3<f64> {
    Array3::from_shape_fn((ny, nx, 2), |(j, i, k)| {
        if k == 0 { i as f64 + dx } else { j as f64 + dy }
    })
}

#[test]
fn input_box_limits_the_pixels_drizzled() {
    let data = Array2::<f32>::from_elem((20, 30), 1.0);
    let pm = shift_map(20, 30, 0.0, 0.0);
    let mut d = Drizzle::new(
        (20, 30),
        DrizzleOptions {
            kernel: Kernel::Point,
            ..Default::default()
        },
    )
    .unwrap();
    let st = d
        .add_image(
            &Input::new(data.view()),
            &PixelMap::from_array(pm.view()).unwrap(),
            &AddImageOptions {
                xmin: Some(5),
                xmax: Some(9),
                ymin: Some(2),
                ymax: Some(4),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(st.nmiss, 0);
    assert_eq!(d.wht().sum(), 15.0);
    assert_eq!(d.wht()[[3, 7]], 1.0);
    assert_eq!(d.wht()[[5, 7]], 0.0);
}

#[test]
fn units_scales_and_exptime() {
    let data = Array2::<f32>::from_elem((6, 6), 100.0);
    let var = Array2::<f32>::from_elem((6, 6), 400.0);
    let pm = shift_map(6, 6, 1.0, 1.0);
    let map = PixelMap::from_array(pm.view()).unwrap();
    let mut d = Drizzle::new(
        (8, 8),
        DrizzleOptions {
            n_variance: 1,
            fillval: FillValue::Value(-1.0),
            ..Default::default()
        },
    )
    .unwrap();
    // counts / exptime 50, iscale 2: value 100 * 2 / 50 = 4, variance 400 * 4 / 2500 = 0.64
    d.add_image(
        &Input::new(data.view()).with_variances(vec![var.view()]),
        &map,
        &AddImageOptions {
            in_units: InUnits::Counts,
            exptime: 50.0,
            iscale: 2.0,
            wt_scl: 3.0,
            ..Default::default()
        },
    )
    .unwrap();
    let out = d.finalize();
    assert!((out.sci[[3, 3]] - 4.0).abs() < 1e-6);
    assert!((out.variances[0][[3, 3]] - 0.64).abs() < 1e-6);
    assert!((out.wht[[3, 3]] - 3.0).abs() < 1e-6); // wt_scl
    assert!((out.err.as_ref().unwrap()[[3, 3]] - 0.8).abs() < 1e-6);
    assert_eq!(out.sci[[0, 0]], -1.0); // filled once at the end
    assert_eq!(out.variances[0][[0, 0]], -1.0);
    assert_eq!(out.total_exptime, 50.0);
}

#[test]
fn weighted_mean_context_and_dq_over_many_images() {
    let pm = shift_map(4, 4, 0.0, 0.0);
    let map = PixelMap::from_array(pm.view()).unwrap();
    let mut d = Drizzle::new(
        (4, 4),
        DrizzleOptions {
            kernel: Kernel::Point,
            with_dq: true,
            ..Default::default()
        },
    )
    .unwrap();
    let mut num = 0.0;
    let mut den = 0.0;
    for k in 0..70usize {
        let v = k as f32;
        let w = if k % 7 == 3 {
            0.0
        } else {
            1.0 + (k % 3) as f32
        };
        let data = Array2::<f32>::from_elem((4, 4), v);
        let wm = Array2::<f32>::from_elem((4, 4), w);
        let dq = Array2::<u32>::from_elem((4, 4), 1 << (k % 5));
        d.add_image(
            &Input::new(data.view())
                .with_weights(wm.view())
                .with_dq(dq.view()),
            &map,
            &AddImageOptions::default(),
        )
        .unwrap();
        num += (v * w) as f64;
        den += w as f64;
    }
    let out = d.finalize();
    assert!((out.sci[[1, 1]] as f64 - num / den).abs() < 1e-4);
    let ctx = out.ctx.unwrap();
    assert_eq!(ctx.dim().0, 3); // 70 images: 3 planes of 32 bits
    for k in 0..70usize {
        let bit = (ctx[[k / 32, 2, 2]] >> (k % 32)) & 1;
        assert_eq!(bit, i32::from(k % 7 != 3), "image {k}");
    }
    // zero-weight images add neither DQ nor context: bit 3 came only from k = 3 (mod 7 == 3
    // → weight 0), 8, 13, ... (k % 5 == 3); all flags 1..16 appear
    assert_eq!(out.dq.unwrap()[[0, 0]], 0b11111);
}
