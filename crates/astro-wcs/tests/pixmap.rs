//! Pixel → pixel maps: the trig-free TAN → TAN path against the general path, tiles
//! against point lists, and bit-identical results for any thread count.

use astro_wcs::{Header, Wcs};

fn card(k: &str, v: impl std::fmt::Display) -> String {
    format!("{k:<8}= {v}\n")
}

/// An ACS/WFC-like TAN-SIP chip (order 4 coefficients of j94f05bgq).
fn sip_input() -> Wcs {
    let mut t = card("CTYPE1", "'RA---TAN-SIP'") + &card("CTYPE2", "'DEC--TAN-SIP'");
    for (k, v) in [
        ("CRPIX1", 2048.0),
        ("CRPIX2", 1024.0),
        ("CRVAL1", 5.63056810618),
        ("CRVAL2", -72.05457184279),
        ("CD1_1", 1.29055156992758E-05),
        ("CD1_2", 5.95250078565221E-06),
        ("CD2_1", 5.02263821027651E-06),
        ("CD2_2", -1.2644844109546E-05),
        ("A_ORDER", 4.0),
        ("B_ORDER", 4.0),
        ("A_0_2", 2.16615952976212E-06),
        ("B_0_2", -7.2168814507744E-06),
        ("A_1_1", -5.1974576466834E-06),
        ("B_1_1", 6.18443235774478E-06),
        ("A_2_0", 8.55127758255650E-06),
        ("B_2_0", -1.7464918770586E-06),
        ("A_0_3", 1.08193519820265E-11),
        ("B_0_3", -4.1754720492749E-10),
        ("A_3_0", -4.7304448292227E-10),
        ("B_3_0", 8.56763542781631E-11),
        ("A_2_2", 3.46791267104378E-14),
        ("B_2_2", -3.6614325928657E-14),
    ] {
        t += &card(k, v);
    }
    Wcs::from_header(&Header::parse_text(&t).unwrap()).unwrap()
}

fn output() -> Wcs {
    let th = 7f64.to_radians();
    let s = 0.05 / 3600.0;
    Wcs::new_tan(
        (5.6305, -72.0546),
        (2600.0, 2600.0),
        [[-s * th.cos(), s * th.sin()], [s * th.sin(), s * th.cos()]],
    )
    .unwrap()
}

#[test]
fn fast_path_agrees_with_general_path() {
    let input = sip_input();
    let out = output();
    let mapper = input.pixel_mapper(&out).unwrap();
    assert!(mapper.is_fast());
    let mut worst: f64 = 0.0;
    for j in 0..33 {
        for i in 0..65 {
            let (x, y) = (i as f64 * 64.0 - 0.5, j as f64 * 64.0 - 0.5);
            let (fx, fy) = mapper.map_point(x, y);
            let (l, b) = input.pixel_to_world(x, y).unwrap();
            let (gx, gy) = out.world_to_pixel(l, b).unwrap();
            worst = worst.max((fx - gx).abs()).max((fy - gy).abs());
        }
    }
    // The general path goes through degrees (ulp(72°) ≈ 1.4e-14° ≈ 1e-9 px here).
    assert!(worst < 1e-8, "fast vs general: {worst:e} px");
}

#[test]
fn general_path_for_other_projections() {
    let text = card("CTYPE1", "'RA---SIN'")
        + &card("CTYPE2", "'DEC--SIN'")
        + &card("CRPIX1", 50.0)
        + &card("CRPIX2", 50.0)
        + &card("CRVAL1", 5.63)
        + &card("CRVAL2", -72.05)
        + &card("CDELT1", -1e-4)
        + &card("CDELT2", 1e-4);
    let sin = Wcs::from_header(&Header::parse_text(&text).unwrap()).unwrap();
    let out = output();
    let m = sin.pixel_mapper(&out).unwrap();
    assert!(!m.is_fast());
    let (x, y) = m.map_point(10.0, 20.0);
    let (l, b) = sin.pixel_to_world(10.0, 20.0).unwrap();
    assert_eq!((x, y), out.world_to_pixel(l, b).unwrap());
    // and the reverse direction (distorted output: also the general path)
    let sip = sip_input();
    let back = out.pixel_mapper(&sip).unwrap();
    assert!(!back.is_fast());
    let (bx, by) = back.map_point(x, y);
    let (cx, cy) = sip.world_to_pixel(l, b).unwrap();
    assert!(
        (bx - cx).abs() < 1e-8 && (by - cy).abs() < 1e-8,
        "{bx} {cx} {by} {cy}"
    );
}

#[cfg(feature = "rayon")]
#[test]
fn tiles_equal_points_and_threads_do_not_matter() {
    let input = sip_input();
    let out = output();
    let mapper = input.pixel_mapper(&out).unwrap();
    let (x0, y0, nx, ny) = (1000, 500, 300, 70);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let (mut tx, mut ty) = (vec![0.0; nx * ny], vec![0.0; nx * ny]);
            mapper.map_tile(x0, y0, nx, ny, &mut tx, &mut ty).unwrap();
            let (px, py): (Vec<f64>, Vec<f64>) = (0..nx * ny)
                .map(|k| ((x0 + k % nx) as f64, (y0 + k / nx) as f64))
                .unzip();
            let (mut qx, mut qy) = (vec![0.0; nx * ny], vec![0.0; nx * ny]);
            input
                .pixel_to_pixel(&out, &px, &py, &mut qx, &mut qy)
                .unwrap();
            let (wl, wb) = input.pixel_to_world_many(&px, &py).unwrap();
            (tx, ty, qx, qy, wl, wb)
        })
    };
    let a = run(1);
    let b = run(2);
    let bits = |v: &Vec<f64>| v.iter().map(|f| f.to_bits()).collect::<Vec<u64>>();
    assert_eq!(bits(&a.0), bits(&a.2), "tile vs points (x)");
    assert_eq!(bits(&a.1), bits(&a.3), "tile vs points (y)");
    assert_eq!(bits(&a.0), bits(&b.0));
    assert_eq!(bits(&a.1), bits(&b.1));
    assert_eq!(bits(&a.4), bits(&b.4));
    assert_eq!(bits(&a.5), bits(&b.5));
}

#[test]
fn bad_arguments() {
    let input = sip_input();
    let out = output();
    let m = input.pixel_mapper(&out).unwrap();
    let (mut a, mut b) = (vec![0.0; 5], vec![0.0; 6]);
    assert!(m.map_tile(0, 0, 2, 3, &mut a, &mut b).is_err());
    assert!(
        input
            .pixel_to_pixel(&out, &[0.0], &[0.0, 1.0], &mut a, &mut b)
            .is_err()
    );
    let gal = Wcs::from_header(
        &Header::parse_text(
            &(card("CTYPE1", "'GLON-TAN'")
                + &card("CTYPE2", "'GLAT-TAN'")
                + &card("CRPIX1", 1.0)
                + &card("CRPIX2", 1.0)
                + &card("CRVAL1", 1.0)
                + &card("CRVAL2", 1.0)),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        input
            .pixel_mapper(&gal)
            .unwrap_err()
            .to_string()
            .contains("differ")
    );
    // Points behind the output tangent plane are NaN, not errors.
    let far = Wcs::new_tan((185.63, 72.05), (0.0, 0.0), [[-1e-5, 0.0], [0.0, 1e-5]]).unwrap();
    let (x, y) = input.pixel_mapper(&far).unwrap().map_point(0.0, 0.0);
    assert!(x.is_nan() && y.is_nan());
}
