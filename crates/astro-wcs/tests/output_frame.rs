//! The output-frame builder: every input lies inside the frame; options are honoured.

use astro_wcs::{OutputFrameOptions, Wcs, output_frame, sky_bounding_box};

fn input(crval: (f64, f64), rot: f64, scale: f64) -> Wcs {
    let (s, c) = rot.to_radians().sin_cos();
    let d = scale / 3600.0;
    let mut w = Wcs::new_tan(crval, (511.5, 255.5), [[-d * c, d * s], [d * s, d * c]]).unwrap();
    w.set_array_shape(Some((512, 1024)));
    w
}

fn inside(out: &Wcs, w: &Wcs) -> bool {
    let (ny, nx) = out.array_shape().unwrap();
    w.footprint().unwrap().iter().all(|&(l, b)| {
        let (x, y) = out.world_to_pixel(l, b).unwrap();
        x >= -0.5 - 1e-6
            && y >= -0.5 - 1e-6
            && x <= nx as f64 - 0.5 + 1e-6
            && y <= ny as f64 - 0.5 + 1e-6
    })
}

#[test]
fn covers_all_inputs() {
    let a = input((359.99, -30.0), 20.0, 0.1);
    let b = input((0.02, -29.99), 65.0, 0.1);
    let c = input((0.0, -30.03), -10.0, 0.12);
    let inputs = [(&a, (512, 1024)), (&b, (512, 1024)), (&c, (512, 1024))];
    let out = output_frame(&inputs, &OutputFrameOptions::default()).unwrap();
    for w in [&a, &b, &c] {
        assert!(inside(&out, w));
    }
    let (cx, cy) = out.crpix();
    // Defaults: orientation and scale of the first input.
    assert!((out.orientation(cx, cy).unwrap() - 20.0).abs() < 1e-3);
    assert!((out.pixel_scale(cx, cy).unwrap() - 0.1).abs() < 1e-6);

    let north = output_frame(
        &inputs,
        &OutputFrameOptions {
            rotation: Some(0.0),
            pixel_scale: Some(0.2),
            ..Default::default()
        },
    )
    .unwrap();
    let (cx, cy) = north.crpix();
    assert!(north.orientation(cx, cy).unwrap().abs() < 1e-9);
    assert!((north.pixel_scale(cx, cy).unwrap() - 0.2).abs() < 1e-9);
    for w in [&a, &b, &c] {
        assert!(inside(&north, w));
    }
    let half = output_frame(
        &inputs,
        &OutputFrameOptions {
            rotation: Some(0.0),
            pixel_scale_ratio: 0.5,
            ..Default::default()
        },
    )
    .unwrap();
    let (hx, hy) = half.crpix();
    assert!((half.pixel_scale(hx, hy).unwrap() - 0.05).abs() < 1e-6);
}

#[test]
fn explicit_crval_crpix_shape() {
    let a = input((150.0, 2.0), 0.0, 0.1);
    let opts = OutputFrameOptions {
        crval: Some((150.001, 2.001)),
        crpix: Some((10.0, 20.0)),
        output_shape: Some((300, 400)),
        rotation: Some(0.0),
        ..Default::default()
    };
    let out = output_frame(&[(&a, (512, 1024))], &opts).unwrap();
    assert_eq!(out.crval(), (150.001, 2.001));
    assert_eq!(out.crpix(), (10.0, 20.0));
    assert_eq!(out.array_shape(), Some((300, 400)));
    // crpix alone: the frame grows to the farthest input point.
    let opts = OutputFrameOptions {
        crpix: Some((600.0, 300.0)),
        rotation: Some(0.0),
        ..Default::default()
    };
    let out = output_frame(&[(&a, (512, 1024))], &opts).unwrap();
    assert!(inside(&out, &a));
    // Invalid options are named.
    for (opts, name) in [
        (
            OutputFrameOptions {
                pixel_scale: Some(-1.0),
                ..Default::default()
            },
            "pixel_scale",
        ),
        (
            OutputFrameOptions {
                pixel_scale_ratio: 0.0,
                ..Default::default()
            },
            "pixel_scale_ratio",
        ),
        (
            OutputFrameOptions {
                rotation: Some(f64::NAN),
                ..Default::default()
            },
            "rotation",
        ),
        (
            OutputFrameOptions {
                crval: Some((0.0, 100.0)),
                ..Default::default()
            },
            "crval",
        ),
        (
            OutputFrameOptions {
                output_shape: Some((0, 10)),
                ..Default::default()
            },
            "output_shape",
        ),
        (
            OutputFrameOptions {
                max_pixels: 1000,
                ..Default::default()
            },
            "output_shape",
        ),
        (
            OutputFrameOptions {
                crval: Some((330.0, -2.0)),
                ..Default::default()
            },
            "crval",
        ),
    ] {
        let e = output_frame(&[(&a, (512, 1024))], &opts).unwrap_err();
        assert!(e.to_string().contains(name), "{name}: {e}");
    }
}

#[test]
fn bounding_box_of_footprints() {
    let a = input((359.99, -30.0), 20.0, 0.1);
    let b = input((0.02, -29.99), 65.0, 0.1);
    let mut pts = a.footprint().unwrap().to_vec();
    pts.extend(b.footprint().unwrap());
    let bb = sky_bounding_box(&pts).unwrap();
    assert!(bb.lon_min > 359.0 && bb.lon_max > 360.0 && bb.lon_max < 361.0);
    for &(l, t) in &pts {
        assert!(bb.contains(l, t));
    }
}

#[test]
fn orientation_is_orientat() {
    // stwcs/AstroDrizzle ORIENTAT = atan2(CD1_2, CD2_2) at the reference pixel.
    let cd = [
        [1.29055156992758E-05, 5.95250078565221E-06],
        [5.02263821027651E-06, -1.2644844109546E-05],
    ];
    let w = Wcs::new_tan((5.63056810618, -72.05457184278998), (2047.0, 1023.0), cd).unwrap();
    let orientat = cd[0][1].atan2(cd[1][1]).to_degrees();
    assert!((w.orientation(2047.0, 1023.0).unwrap() - orientat).abs() < 1e-6);
    let scale = (cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0]).abs().sqrt() * 3600.0;
    assert!((w.pixel_scale(2047.0, 1023.0).unwrap() / scale - 1.0).abs() < 1e-8);
}

#[test]
fn output_keeps_the_celestial_system() {
    use astro_wcs::Header;
    let text: String = [
        ("CTYPE1", "'GLON-TAN'"),
        ("CTYPE2", "'GLAT-TAN'"),
        ("CRPIX1", "50.0"),
        ("CRPIX2", "50.0"),
        ("CRVAL1", "280.0"),
        ("CRVAL2", "-30.0"),
        ("CDELT1", "-1e-4"),
        ("CDELT2", "1e-4"),
    ]
    .iter()
    .map(|(k, v)| format!("{k:<8}= {v}\n"))
    .collect();
    let g = Wcs::from_header(&Header::parse_text(&text).unwrap()).unwrap();
    let out = output_frame(&[(&g, (100, 100))], &OutputFrameOptions::default()).unwrap();
    assert_eq!(out.coordinate_names(), ("GLON", "GLAT"));
    assert_eq!(out.radesys(), None);
    assert_eq!(out.ctype()[0], "GLON-TAN");
    let h = Header::parse_text(
        &(text.replace("GLON", "RA--").replace("GLAT", "DEC-")
            + &format!("{:<8}= 'FK5'\n", "RADESYS")),
    )
    .unwrap();
    let e = Wcs::from_header(&h).unwrap();
    let out = output_frame(&[(&e, (100, 100))], &OutputFrameOptions::default()).unwrap();
    assert_eq!(out.radesys(), Some("FK5"));
}
