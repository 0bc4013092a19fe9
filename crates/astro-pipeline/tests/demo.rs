//! The demo: simulated inputs read back as intended, previews are valid PNGs, and a small
//! demo runs end to end.

use std::path::Path;

use astro_pipeline::{
    DQ_BAD_PIXEL, DemoOptions, NO_DATA_SHADE, run_demo, simulate, simulate_scene, write_preview,
    write_weight_preview,
};
use ndarray::Array2;

fn small(dir: &Path) -> DemoOptions {
    DemoOptions {
        out_dir: dir.to_path_buf(),
        n_exposures: 2,
        seed: 7,
        chip_shape: (64, 128),
        n_stars: 40,
        n_galaxies: 1,
        num_cores: Some(2),
        ..Default::default()
    }
}

/// Decode a PNG: (width, height, color type, bit depth, pixels).
fn read_png(path: &Path) -> (u32, u32, png::ColorType, png::BitDepth, Vec<u8>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (
        info.width,
        info.height,
        info.color_type,
        info.bit_depth,
        buf,
    )
}

#[test]
fn simulated_inputs_read_back_with_their_wcs() {
    let dir = tempfile::tempdir().unwrap();
    let opts = small(dir.path());
    let sim = simulate_scene(&opts).unwrap();
    assert_eq!(sim.exposures.len(), 2);
    for e in &sim.exposures {
        assert!(e.path.exists(), "{}", e.path.display());
        let names: Vec<(String, i64)> = astro_fits::list_hdus(&e.path)
            .unwrap()
            .iter()
            .skip(1)
            .map(|h| (h.extname.clone().unwrap_or_default(), h.extver))
            .collect();
        let want: Vec<(String, i64)> = [
            ("SCI", 1),
            ("ERR", 1),
            ("DQ", 1),
            ("SCI", 2),
            ("ERR", 2),
            ("DQ", 2),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
        assert_eq!(names, want);
        let primary = astro_fits::read_header(&e.path, 0).unwrap();
        assert_eq!(primary.get_str("INSTRUME").unwrap(), Some("ACS"));
        assert_eq!(primary.get_str("DETECTOR").unwrap(), Some("WFC"));
        assert_eq!(primary.get_f64("EXPTIME").unwrap(), Some(e.exptime));
        for chip in &e.chips {
            let (header, wcs) = astro_fits::read_wcs(&e.path, "SCI", chip.extver, ' ').unwrap();
            assert_eq!(header.get_str("BUNIT").unwrap(), Some("ELECTRONS"));
            assert_eq!(header.get_str("CTYPE1").unwrap(), Some("RA---TAN-SIP"));
            let sip = wcs.sip().expect("SIP");
            assert_eq!(sip.a.order(), 3);
            // The WCS in the file is the one the scene was rendered through (a few
            // 1e-10 deg: the header's decimal digits).
            for (x, y) in [(0.0, 0.0), (127.0, 63.0), (60.5, 10.25)] {
                let (ra0, dec0) = chip.wcs.pixel_to_world(x, y).unwrap();
                let (ra1, dec1) = wcs.pixel_to_world(x, y).unwrap();
                assert!((ra0 - ra1).abs() < 1e-9 && (dec0 - dec1).abs() < 1e-9);
            }
            let (_, sci) = astro_fits::read_image_f32(&e.path, ("SCI", chip.extver)).unwrap();
            assert_eq!(sci.dim(), (64, 128));
            let (_, dq) = astro_fits::read_image::<u16>(&e.path, ("DQ", chip.extver)).unwrap();
            assert!(
                dq.iter().any(|&d| d & DQ_BAD_PIXEL != 0),
                "bad column flagged"
            );
            assert_eq!(dq.iter().filter(|&&d| d != 0).count(), chip.dq_flagged);
            assert!(!chip.cr_pixels.is_empty());
            // Planted CR pixels are bright and not flagged.
            for &(y, x) in &chip.cr_pixels {
                assert_eq!(dq[[y, x]], 0);
                assert!(sci[[y, x]] > chip.scene[[y, x]]);
            }
        }
    }
    // The chips sit side by side: chip 2's bottom edge is just above chip 1's top edge.
    let c = &sim.exposures[0].chips;
    let top1 = c[0].wcs.pixel_to_world(63.5, 63.5).unwrap();
    let (x, y) = c[1].wcs.world_to_pixel(top1.0, top1.1).unwrap();
    assert!(
        (x - 63.5).abs() < 1.0 && (-8.0..-2.0).contains(&y),
        "({x}, {y})"
    );
    // The second exposure is dithered: a star falls at different pixels.
    let star = sim.scene.stars[0];
    let p0 = c[0].wcs.world_to_pixel(star.ra, star.dec).unwrap();
    let p1 = sim.exposures[1].chips[0]
        .wcs
        .world_to_pixel(star.ra, star.dec)
        .unwrap();
    assert!(
        (p0.0 - p1.0 - 2.5).abs() < 0.2 && (p0.1 - p1.1 - 1.5).abs() < 0.2,
        "{p0:?} {p1:?}"
    );
}

#[test]
fn simulation_is_deterministic_for_a_seed() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let fa = simulate(&small(a.path())).unwrap();
    let fb = simulate(&DemoOptions {
        num_cores: Some(1),
        ..small(b.path())
    })
    .unwrap();
    let fc = simulate(&DemoOptions {
        seed: 8,
        ..small(c.path())
    })
    .unwrap();
    for hdu in [("SCI", 1), ("DQ", 2), ("ERR", 2)] {
        let read = |p: &Path| astro_fits::read_image_f32(p, hdu).unwrap().1;
        assert_eq!(read(&fa[1]), read(&fb[1]), "{hdu:?}");
        if hdu.0 == "SCI" {
            assert_ne!(read(&fa[1]), read(&fc[1]));
        }
    }
}

#[test]
fn bad_options_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = simulate(&DemoOptions {
        n_exposures: 0,
        ..small(dir.path())
    })
    .unwrap_err();
    assert!(e.to_string().contains("n_exposures"), "{e}");
    let e = simulate(&DemoOptions {
        cr_density: -1.0,
        ..small(dir.path())
    })
    .unwrap_err();
    assert!(e.to_string().contains("cr_density"), "{e}");
    // An output directory under a file cannot be created.
    let file = dir.path().join("plain");
    std::fs::write(&file, b"x").unwrap();
    let e = simulate(&DemoOptions {
        out_dir: file.join("sub"),
        ..small(dir.path())
    })
    .unwrap_err();
    assert!(e.to_string().contains("plain"), "{e}");
}

#[test]
fn previews_are_grayscale_pngs_north_up() {
    let dir = tempfile::tempdir().unwrap();
    // A gradient brighter at the top (high rows) with a no-data corner at row 0.
    let mut image = Array2::from_shape_fn((60, 80), |(y, _)| y as f32);
    image[[0, 0]] = f32::NAN;
    let mut weight = Array2::from_elem((60, 80), 2.0f32);
    weight[[0, 79]] = 0.0;
    let sci = dir.path().join("p_sci.png");
    write_preview(&sci, image.view(), Some(weight.view())).unwrap();
    let (w, h, color, depth, px) = read_png(&sci);
    assert_eq!((w, h), (80, 60));
    assert_eq!(
        (color, depth),
        (png::ColorType::Grayscale, png::BitDepth::Eight)
    );
    // Row 0 of the image is the last row of the picture.
    let at = |x: usize, y_img: usize| px[(59 - y_img) * 80 + x];
    assert_eq!(at(0, 0), NO_DATA_SHADE);
    assert_eq!(at(79, 0), NO_DATA_SHADE);
    assert!(at(40, 59) > at(40, 30) && at(40, 30) > at(40, 1));
    let wht = dir.path().join("p_wht.png");
    write_weight_preview(&wht, weight.view()).unwrap();
    let (w, h, _, _, px) = read_png(&wht);
    assert_eq!((w, h), (80, 60));
    assert_eq!(px[59 * 80 + 79], 0);
    assert_eq!(px[0], 255);
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 2);
}

#[test]
fn large_previews_are_block_averaged() {
    let dir = tempfile::tempdir().unwrap();
    let image = Array2::from_shape_fn((1500, 3000), |(y, x)| ((x / 7 + y / 5) % 11) as f32);
    let path = dir.path().join("big.png");
    write_preview(&path, image.view(), None).unwrap();
    let (w, h, ..) = read_png(&path);
    assert_eq!((w, h), (1000, 500));
}

#[test]
fn preview_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let image = Array2::<f32>::zeros((4, 4));
    let path = dir.path().join("missing_dir").join("x.png");
    let e = write_preview(&path, image.view(), None).unwrap_err();
    assert!(e.to_string().contains("x.png"), "{e}");
    let e = write_preview(
        &dir.path().join("y.png"),
        Array2::<f32>::zeros((0, 3)).view(),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("image"), "{e}");
    assert!(!dir.path().join("y.png").exists());
}

#[test]
fn small_demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let opts = small(dir.path());
    let report = run_demo(&opts).unwrap();
    println!("{report}");
    assert_eq!(report.inputs.len(), 2);
    for i in &report.inputs {
        assert!(i.path.exists());
        // the sky subtracted is the simulated one, give or take the faint sources
        assert_eq!(i.sky_recovered.len(), 2);
        for s in &i.sky_recovered {
            assert!(
                (s - i.sky_simulated).abs() < 2.0,
                "{s} vs {}",
                i.sky_simulated
            );
        }
    }
    let sci = dir.path().join("demo_drz_sci.fits");
    let wht = dir.path().join("demo_drz_wht.fits");
    for p in [&sci, &wht, &dir.path().join("demo_drz_ctx.fits")] {
        assert!(
            report.products.contains(p),
            "{} not in {:?}",
            p.display(),
            report.products
        );
        assert!(p.exists());
    }
    assert!(report.log.as_ref().is_some_and(|l| l.exists()));
    let (_, image) = astro_fits::read_image_f32(&sci, 0usize).unwrap();
    assert_eq!(image.dim(), report.output_shape);
    // CR recovery (significant planted pixels) and few false detections.
    let cr = report.cosmic_rays;
    assert!(cr.planted > 50, "{cr:?}");
    assert!(cr.fraction() >= 0.9, "{cr:?}");
    assert!(
        (cr.other_flagged as f64) < 0.01 * cr.good_pixels as f64,
        "{cr:?}"
    );
    // The final image agrees with the truth: median residual well inside the noise.
    let c = report.final_vs_truth;
    assert!(c.pixels > 10_000 && c.noise > 0.0, "{c:?}");
    assert!(c.residual_sigma().abs() < 0.5, "{c:?}");
    // Previews: grayscale PNGs the size of the final image (it is < 1024 pixels).
    assert_eq!(
        report.previews,
        vec![
            dir.path().join("demo_drz_sci.png"),
            dir.path().join("demo_drz_wht.png")
        ]
    );
    for p in &report.previews {
        let (w, h, color, depth, _) = read_png(p);
        let (ny, nx) = report.output_shape;
        assert_eq!((h as usize, w as usize), (ny, nx));
        assert_eq!(
            (color, depth),
            (png::ColorType::Grayscale, png::BitDepth::Eight)
        );
    }
    let text = report.to_string();
    for needle in [
        "demo_drz_sci.fits",
        "demo_drz_sci.png",
        "cosmic rays",
        "sky",
        "Timings",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    // fewer than 2 exposures is refused
    let e = run_demo(&DemoOptions {
        n_exposures: 1,
        ..small(dir.path())
    })
    .unwrap_err();
    assert!(e.to_string().contains("n_exposures"), "{e}");
}
