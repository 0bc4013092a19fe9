//! Pixel maps from WCS: exact vs grid (stepsize) maps, measured error bound, NaN handling,
//! and drizzling straight from WCS equals drizzling the materialised array.

use astro_drizzle::{AddImageOptions, Drizzle, DrizzleOptions, Input, PixelMap};
use astro_wcs::{Header, Wcs};
use ndarray::Array2;

fn sip_wcs() -> Wcs {
    let h = Header::parse_text(
        "NAXIS   = 2\nNAXIS1  = 512\nNAXIS2  = 512\n\
         CTYPE1  = 'RA---TAN-SIP'\nCTYPE2  = 'DEC--TAN-SIP'\n\
         CRPIX1  = 256.5\nCRPIX2  = 256.5\nCRVAL1  = 6.02\nCRVAL2  = -72.08\n\
         CD1_1   = -7.35E-06\nCD1_2   = 1.85E-06\nCD2_1   = 2.88E-06\nCD2_2   = 6.64E-06\n\
         A_ORDER = 2\nB_ORDER = 2\nA_2_0   = 2.0E-05\nA_1_1   = -1.0E-05\nA_0_2   = 5.0E-06\n\
         B_2_0   = -3.0E-06\nB_1_1   = 1.5E-05\nB_0_2   = -8.0E-06\n",
    )
    .unwrap();
    Wcs::from_header(&h).unwrap()
}

#[test]
fn grid_map_error_is_measured_and_bounds_the_true_error() {
    let from = sip_wcs();
    let to = Wcs::new_tan(
        (6.02, -72.08),
        (300.0, 280.0),
        [[-7.0e-6, 0.0], [0.0, 7.0e-6]],
    )
    .unwrap();
    let shape = (512, 512);
    let exact = PixelMap::from_wcs(&from, &to, shape)
        .unwrap()
        .to_array()
        .unwrap();
    for step in [4usize, 16, 64] {
        let m = PixelMap::from_wcs_stepsize(&from, &to, shape, step).unwrap();
        let approx = m.to_array().unwrap();
        let mut worst: f64 = 0.0;
        for j in 0..512 {
            for i in 0..512 {
                let e = (approx[[j, i, 0]] - exact[[j, i, 0]])
                    .hypot(approx[[j, i, 1]] - exact[[j, i, 1]]);
                worst = worst.max(e);
            }
        }
        let measured = m.max_interpolation_error();
        println!("stepsize {step}: measured {measured:.3e} px, true worst {worst:.3e} px");
        // the measured bound (cell centres and edge midpoints) is the true worst to 10 %
        assert!(
            measured >= 0.9 * worst && measured <= worst * 1.0001 + 1e-12,
            "{measured} vs {worst}"
        );
    }
    let tol = 1e-3;
    let m = PixelMap::from_wcs_tolerance(&from, &to, shape, tol).unwrap();
    assert!(m.max_interpolation_error() <= tol);
}

#[test]
fn drizzling_from_wcs_equals_drizzling_the_array() {
    let from = sip_wcs();
    let to = Wcs::new_tan(
        (6.02, -72.08),
        (300.0, 280.0),
        [[-7.0e-6, 0.0], [0.0, 7.0e-6]],
    )
    .unwrap();
    let shape = (200, 230);
    let data = Array2::from_shape_fn(shape, |(y, x)| ((x * 31 + y * 17) % 101) as f32);
    let lazy = PixelMap::from_wcs(&from, &to, shape).unwrap();
    let arr = lazy.to_array().unwrap();
    let eager = PixelMap::from_array(arr.view()).unwrap();
    let run = |m: &PixelMap<'_>| {
        let mut d = Drizzle::new((600, 600), DrizzleOptions::default()).unwrap();
        d.add_image(
            &Input::new(data.view()),
            m,
            &AddImageOptions {
                pixfrac: 0.9,
                ..Default::default()
            },
        )
        .unwrap();
        d.finalize()
    };
    let (a, b) = (run(&lazy), run(&eager));
    assert_eq!(a.wht, b.wht);
    assert!(
        a.sci
            .iter()
            .zip(b.sci.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
}

#[test]
fn points_without_image_are_nan() {
    // A TAN output centred on the antipode of the input: nothing maps.
    let from = Wcs::new_tan((10.0, 20.0), (5.0, 5.0), [[-1e-3, 0.0], [0.0, 1e-3]]).unwrap();
    let to = Wcs::new_tan((190.0, -20.0), (5.0, 5.0), [[-1e-3, 0.0], [0.0, 1e-3]]).unwrap();
    let m = PixelMap::from_wcs(&from, &to, (10, 10)).unwrap();
    let (x, y) = m.map_point(3, 3);
    assert!(x.is_nan() && y.is_nan());
    let g = PixelMap::from_wcs_stepsize(&from, &to, (10, 10), 4).unwrap();
    assert!(g.map_point(3, 3).0.is_nan());
    assert!(PixelMap::from_wcs_stepsize(&from, &to, (10, 10), 0).is_err());
    assert!(PixelMap::from_wcs(&from, &to, (0, 10)).is_err());
}

/// TAN → TAN maps are evaluated as a projective transformation: they must agree with
/// astro-wcs's exact pixel → pixel path to 1e-8 px everywhere (here: every 7th pixel of
/// large, rotated, scaled and offset pairs with different tangent points).
#[test]
fn projective_tan_to_tan_map_agrees_with_the_exact_path() {
    let cases = [
        // (crval_in, crpix_in, cd_in, crval_out, crpix_out, cd_out, shape)
        (
            (10.0, 20.0),
            (2047.5, 2047.5),
            7.0f64,
            1e-5,
            (10.0, 20.0),
            (2497.5, 2497.5),
            0.0,
            1e-5,
            (4096, 4096),
        ),
        (
            (150.1, 2.2),
            (100.0, 900.0),
            -33.0,
            2.7e-5,
            (150.0, 2.25),
            (3000.0, 400.0),
            12.0,
            3.1e-5,
            (2000, 1500),
        ),
        (
            (30.0, -85.0),
            (500.0, 500.0),
            95.0,
            1e-4,
            (31.0, -84.5),
            (0.0, 0.0),
            0.0,
            2e-4,
            (1000, 1000),
        ),
        (
            (359.9, 0.1),
            (10.0, 10.0),
            180.0,
            5e-5,
            (0.05, 0.0),
            (40.0, 40.0),
            3.0,
            5e-5,
            (64, 1024),
        ),
    ];
    for (k, &(cv_in, cp_in, ang_in, s_in, cv_out, cp_out, ang_out, s_out, shape)) in
        cases.iter().enumerate()
    {
        let cd = |a: f64, s: f64| {
            let (c, sn) = (a.to_radians().cos(), a.to_radians().sin());
            [[-s * c, s * sn], [s * sn, s * c]]
        };
        let from = Wcs::new_tan(cv_in, cp_in, cd(ang_in, s_in)).unwrap();
        let to = Wcs::new_tan(cv_out, cp_out, cd(ang_out, s_out)).unwrap();
        let map = PixelMap::from_wcs(&from, &to, shape).unwrap();
        let exact = from.pixel_mapper(&to).unwrap();
        let (ny, nx) = shape;
        let mut worst: f64 = 0.0;
        let (mut xs, mut ys) = (vec![0.0; nx], vec![0.0; nx]);
        for j in (0..ny).step_by(7).chain([ny - 1]) {
            map.map_tile(0, j, nx, 1, &mut xs, &mut ys).unwrap();
            for i in (0..nx).step_by(7).chain([nx - 1]) {
                let (ex, ey) = exact.map_point(i as f64, j as f64);
                let (mx, my) = map.map_point(i, j);
                assert_eq!(
                    (mx.to_bits(), my.to_bits()),
                    (xs[i].to_bits(), ys[i].to_bits())
                );
                worst = worst.max((ex - mx).abs()).max((ey - my).abs());
            }
        }
        println!("case {k}: worst |projective - exact| = {worst:.2e} px");
        assert!(worst <= 1e-8, "case {k}: {worst}");
    }
}
