//! Inputs: `resolve_inputs` (file, wildcard, comma list, @file), `Exposure::load`
//! (layouts, group, wcskey, coeffs, resetbits, exposure time, units, gain, read noise,
//! IVM) and the input-safety functions (`update_inputs`, `restore_inputs`).

// The crate's `Error` is large (it wraps every crate's error); tests return it as is.
#![allow(clippy::result_large_err)]

mod io_common;

use std::path::Path;

use astro_fits::{FitsReader, FitsWriter};
use astro_pipeline::{
    DataUnits, DrizzleConfig, Error, Exposure, InputFile, WhtType, archive_path, resolve_inputs,
    restore_inputs, update_inputs,
};
use astro_wcs::Header;
use io_common::{Mef, hash, sci_value, snapshot, test_data, write_mef};
use ndarray::Array2;

fn touch(dir: &Path, name: &str) {
    std::fs::write(dir.join(name), b"x").unwrap();
}

fn load(path: &Path, cfg: &DrizzleConfig) -> astro_pipeline::Result<Exposure> {
    Exposure::load(
        &InputFile {
            path: path.to_path_buf(),
            ivm: None,
        },
        cfg,
    )
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

// ------------------------------------------------------------------ resolve_inputs

#[test]
fn single_file_wildcard_and_comma_list() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["c_flt.fits", "a_flt.fits", "b_flt.fits", "z_raw.fits"] {
        touch(dir.path(), n);
    }
    let one = resolve_inputs(&s(&dir.path().join("b_flt.fits"))).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].path, dir.path().join("b_flt.fits"));
    assert_eq!(one[0].ivm, None);

    let all = resolve_inputs(&s(&dir.path().join("*_flt.fits"))).unwrap();
    let names: Vec<_> = all
        .iter()
        .map(|f| f.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a_flt.fits", "b_flt.fits", "c_flt.fits"]);

    // A comma list keeps its order; each element may be a wildcard.
    let spec = format!(
        "{} , {}",
        s(&dir.path().join("z_raw.fits")),
        s(&dir.path().join("[ab]_flt.fits"))
    );
    let listed = resolve_inputs(&spec).unwrap();
    let names: Vec<_> = listed
        .iter()
        .map(|f| f.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["z_raw.fits", "a_flt.fits", "b_flt.fits"]);
}

#[test]
fn at_file_with_ivm_comments_and_relative_names() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("data");
    std::fs::create_dir(&sub).unwrap();
    for n in ["a_flt.fits", "b_flt.fits", "a_ivm.fits"] {
        touch(&sub, n);
    }
    let list = sub.join("list.txt");
    std::fs::write(
        &list,
        "# exposures for the test\n\n  a_flt.fits   a_ivm.fits  # with its IVM\nb_flt.fits\n",
    )
    .unwrap();
    let got = resolve_inputs(&format!("@{}", s(&list))).unwrap();
    assert_eq!(
        got,
        vec![
            InputFile {
                path: sub.join("a_flt.fits"),
                ivm: Some(sub.join("a_ivm.fits"))
            },
            InputFile {
                path: sub.join("b_flt.fits"),
                ivm: None
            },
        ]
    );
}

#[test]
fn at_file_errors_name_the_file_line_and_name() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "a_flt.fits");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "a_flt.fits\nb_flt.fits\n").unwrap();
    let msg = resolve_inputs(&format!("@{}", s(&list)))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("list.txt") && msg.contains("line 2") && msg.contains("b_flt.fits"),
        "{msg}"
    );

    std::fs::write(&list, "a_flt.fits a_ivm.fits\n").unwrap();
    let msg = resolve_inputs(&format!("@{}", s(&list)))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("list.txt")
            && msg.contains("line 1")
            && msg.contains("IVM")
            && msg.contains("a_ivm.fits"),
        "{msg}"
    );

    std::fs::write(&list, "a_flt.fits ivm.fits extra\n").unwrap();
    let msg = resolve_inputs(&format!("@{}", s(&list)))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("line 1") && msg.contains("3 names"), "{msg}");

    std::fs::write(&list, "# nothing\n\n").unwrap();
    let msg = resolve_inputs(&format!("@{}", s(&list)))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("lists no exposure"), "{msg}");

    let msg = resolve_inputs(&format!("@{}", s(&dir.path().join("none.txt"))))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("none.txt") && msg.contains("does not exist"),
        "{msg}"
    );
}

#[test]
fn missing_files_patterns_duplicates_and_empty_specs() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "a_flt.fits");
    let missing = s(&dir.path().join("nope_flt.fits"));
    let err = resolve_inputs(&missing).unwrap_err();
    assert!(matches!(err, Error::Input { ref spec, .. } if *spec == missing));
    assert!(err.to_string().contains("not found"), "{err}");

    let pattern = s(&dir.path().join("*_crj.fits"));
    let err = resolve_inputs(&pattern).unwrap_err();
    assert!(matches!(err, Error::Input { ref spec, .. } if *spec == pattern));
    assert!(err.to_string().contains("matches no file"), "{err}");

    let a = s(&dir.path().join("a_flt.fits"));
    let msg = resolve_inputs(&format!("{a},{}", s(&dir.path().join("*.fits"))))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("twice"), "{msg}");

    for spec in ["", "   ", &format!("{a},,{a}")] {
        assert!(
            matches!(resolve_inputs(spec), Err(Error::Input { .. })),
            "{spec:?}"
        );
    }
    // A directory is not an exposure.
    let msg = resolve_inputs(&s(dir.path())).unwrap_err().to_string();
    assert!(msg.contains("not a regular file"), "{msg}");
}

// ------------------------------------------------------------------ Exposure::load

#[test]
fn loads_a_multichip_mef() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jtest01a_flt.fits");
    write_mef(
        &path,
        &Mef {
            chips: 2,
            ..Default::default()
        },
    );
    let e = load(&path, &DrizzleConfig::default()).unwrap();
    assert_eq!(e.rootname, "jtest01a");
    assert_eq!(e.exptime, 100.0);
    assert_eq!(e.units, DataUnits::Counts);
    assert_eq!(e.chips.len(), 2);
    for (i, chip) in e.chips.iter().enumerate() {
        let c = i + 1;
        assert_eq!(chip.extver, c as i64);
        assert_eq!(chip.shape(), (48, 64));
        assert_eq!(chip.sci[[5, 7]], sci_value(c, 5, 7));
        assert_eq!(chip.err.as_ref().unwrap()[[0, 0]], c as f32);
        let dq = chip.dq.as_ref().unwrap();
        // resetbits = 4096 (default) cleared bit 4096, kept 16 and 32768.
        assert_eq!(dq[[0, 0]], 16);
        assert_eq!(dq[[1, 3]], 32768);
        assert_eq!(dq[[1, 4]], 0);
        assert_eq!(chip.gain, 1.0); // electrons
        assert_eq!(chip.rdnoise, 0.0); // no READNSE keywords
        assert!(chip.header.contains("BUNIT"));
        assert!(chip.ivm.is_none());
        let (ra, dec) = chip.wcs.pixel_to_world(0.0, 0.0).unwrap();
        let (ra0, dec0) = io_common::tan_wcs(c as f64 * 3.0)
            .pixel_to_world(0.0, 0.0)
            .unwrap();
        assert!((ra - ra0).abs() < 1e-12 && (dec - dec0).abs() < 1e-12);
    }
    assert_eq!(e.primary.get_str("INSTRUME").unwrap(), Some("ACS"));

    // group selects EXTVERs (in EXTVER order); resetbits = "0" keeps the DQ as stored.
    let cfg = DrizzleConfig {
        group: "2".into(),
        resetbits: "0".into(),
        ..Default::default()
    };
    let e = load(&path, &cfg).unwrap();
    assert_eq!(e.chips.len(), 1);
    assert_eq!(e.chips[0].extver, 2);
    assert_eq!(e.chips[0].dq.as_ref().unwrap()[[0, 0]], 4096 + 16);
    let cfg = DrizzleConfig {
        group: "3".into(),
        ..Default::default()
    };
    let msg = load(&path, &cfg).unwrap_err().to_string();
    assert!(
        msg.contains("jtest01a_flt.fits") && msg.contains("group") && msg.contains("EXTVER 3"),
        "{msg}"
    );
}

#[test]
fn single_image_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let wcs_h = io_common::tan_wcs(0.0).to_header().unwrap();
    let data = Array2::from_shape_fn((10, 12), |(y, x)| (y * 12 + x) as f32);

    // Data in the primary HDU.
    let p = dir.path().join("simple.fits");
    let mut h = wcs_h.clone();
    h.set("EXPTIME", 30.0);
    h.set("BUNIT", "COUNTS/S");
    let mut w = FitsWriter::create(&p, false).unwrap();
    w.write_primary_image(&h, data.view()).unwrap();
    w.finish().unwrap();
    let e = load(&p, &DrizzleConfig::default()).unwrap();
    assert_eq!((e.rootname.as_str(), e.chips.len()), ("simple", 1));
    assert_eq!(e.chips[0].extver, 1);
    assert_eq!(e.chips[0].sci, data);
    assert_eq!(e.units, DataUnits::CountRate);
    assert!(e.chips[0].dq.is_none() && e.chips[0].err.is_none());

    // A lone, unnamed-as-SCI image extension.
    let p = dir.path().join("lone.fits");
    let mut prim = Header::new();
    prim.set("EXPTIME", 12.5);
    let mut w = FitsWriter::create(&p, false).unwrap();
    w.write_primary(Some(&prim)).unwrap();
    w.write_image("IMAGE", 1, &wcs_h, data.view()).unwrap();
    w.finish().unwrap();
    let e = load(&p, &DrizzleConfig::default()).unwrap();
    assert_eq!((e.exptime, e.chips.len()), (12.5, 1));
    assert_eq!(e.chips[0].sci, data);
    assert_eq!(e.units, DataUnits::Counts); // no BUNIT, not WFC3/IR: counts
}

#[test]
fn wcskey_and_coeffs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sip_flt.fits");
    write_mef(
        &path,
        &Mef {
            sip: true,
            alt_a: true,
            ..Default::default()
        },
    );
    let e = load(&path, &DrizzleConfig::default()).unwrap();
    assert!(e.chips[0].wcs.sip().is_some());
    let with_sip = e.chips[0].wcs.pixel_to_world(60.0, 40.0).unwrap();

    let cfg = DrizzleConfig {
        coeffs: false,
        ..Default::default()
    };
    let e = load(&path, &cfg).unwrap();
    assert!(e.chips[0].wcs.sip().is_none());
    assert!(!e.chips[0].wcs.has_pixel_distortion());
    let linear = e.chips[0].wcs.pixel_to_world(60.0, 40.0).unwrap();
    let tan = io_common::tan_wcs(3.0).pixel_to_world(60.0, 40.0).unwrap();
    assert!((linear.0 - tan.0).abs() < 1e-12 && (linear.1 - tan.1).abs() < 1e-12);
    assert!(
        (with_sip.0 - linear.0).abs() > 1e-7,
        "SIP should move the pixel"
    );

    // The alternate WCS 'A' is shifted by 5 pixels (without SIP: as in astropy, SIP
    // keywords carry no key and would apply to every alternate WCS).
    write_mef(
        &path,
        &Mef {
            alt_a: true,
            ..Default::default()
        },
    );
    let cfg = DrizzleConfig {
        wcskey: "A".into(),
        ..Default::default()
    };
    let e = load(&path, &cfg).unwrap();
    let a = e.chips[0].wcs.pixel_to_world(0.0, 0.0).unwrap();
    let want = io_common::tan_wcs(8.0).pixel_to_world(0.0, 0.0).unwrap();
    assert!((a.0 - want.0).abs() < 1e-12 && (a.1 - want.1).abs() < 1e-12);

    let cfg = DrizzleConfig {
        wcskey: "B".into(),
        ..Default::default()
    };
    let msg = load(&path, &cfg).unwrap_err().to_string();
    assert!(
        msg.contains("sip_flt.fits") && msg.contains("wcskey") && msg.contains("present: A"),
        "{msg}"
    );
}

#[test]
fn exposure_time_units_gain_and_read_noise() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dn_flt.fits");
    let counts = Mef {
        primary: vec![
            ("INSTRUME", "WFPC2".into()),
            ("EXPTIME", 40.0.into()),
            ("EXPEND", 7.0.into()),
            ("CCDAMP", "CD".into()),
            ("ATODGNA", 9.0.into()),
            ("ATODGNC", 2.0.into()),
            ("ATODGND", 2.5.into()),
            ("READNSEA", 99.0.into()),
            ("READNSEC", 4.0.into()),
            ("READNSED", 5.0.into()),
            ("MYGAIN", 3.5.into()),
        ],
        sci: vec![("BUNIT", "COUNTS".into()), ("MYRN", 6.5.into())],
        ..Default::default()
    };
    write_mef(&path, &counts);
    let e = load(&path, &DrizzleConfig::default()).unwrap();
    assert_eq!(e.units, DataUnits::Counts);
    assert_eq!(e.exptime, 40.0);
    // DrizzlePac's rule: the mean of the non-zero ATODGNA..D / READNSEA..D (B is absent).
    assert_eq!(e.chips[0].gain, (9.0 + 2.0 + 2.5) / 3.0);
    assert_eq!(e.chips[0].rdnoise, (99.0 + 4.0 + 5.0) / 3.0);

    let cfg = DrizzleConfig {
        gnkeyword: Some("MYGAIN".into()),
        rnkeyword: Some("myrn".into()),
        expkeyword: Some("EXPEND".into()),
        ..Default::default()
    };
    let e = load(&path, &cfg).unwrap();
    assert_eq!(
        (e.chips[0].gain, e.chips[0].rdnoise, e.exptime),
        (3.5, 6.5, 7.0)
    );

    let cfg = DrizzleConfig {
        gain: Some(1.5),
        rdnoise: Some(3.0),
        exptime: Some(11.0),
        ..Default::default()
    };
    let e = load(&path, &cfg).unwrap();
    assert_eq!(
        (e.chips[0].gain, e.chips[0].rdnoise, e.exptime),
        (1.5, 3.0, 11.0)
    );

    // Missing keywords are errors naming the parameter and keyword.
    for (cfg, words) in [
        (
            DrizzleConfig {
                gnkeyword: Some("NOGAIN".into()),
                ..Default::default()
            },
            ["gnkeyword", "NOGAIN"],
        ),
        (
            DrizzleConfig {
                rnkeyword: Some("NORN".into()),
                ..Default::default()
            },
            ["rnkeyword", "NORN"],
        ),
        (
            DrizzleConfig {
                expkeyword: Some("NOEXP".into()),
                ..Default::default()
            },
            ["expkeyword", "NOEXP"],
        ),
    ] {
        let msg = load(&path, &cfg).unwrap_err().to_string();
        assert!(
            msg.contains("dn_flt.fits") && words.iter().all(|w| msg.contains(w)),
            "{msg}"
        );
    }

    // Units by BUNIT, and by instrument convention without it.
    for (bunit, primary, want) in [
        (Some("ELECTRONS/S"), vec![], Some(DataUnits::CountRate)),
        (Some("counts/s"), vec![], Some(DataUnits::CountRate)),
        (Some("DN"), vec![], Some(DataUnits::Counts)),
        (Some("MJy/sr"), vec![], None),
        (
            None,
            vec![("INSTRUME", "WFC3".into()), ("DETECTOR", "IR".into())],
            Some(DataUnits::CountRate),
        ),
        (
            None,
            vec![("INSTRUME", "NICMOS".into())],
            Some(DataUnits::CountRate),
        ),
        (
            None,
            vec![("INSTRUME", "WFC3".into()), ("DETECTOR", "UVIS".into())],
            Some(DataUnits::Counts),
        ),
    ] {
        let mut m = Mef {
            sci: bunit.map(|b| vec![("BUNIT", b.into())]).unwrap_or_default(),
            primary,
            ..Default::default()
        };
        m.primary.push(("EXPTIME", 10.0.into()));
        write_mef(&path, &m);
        match (load(&path, &DrizzleConfig::default()), want) {
            (Ok(e), Some(u)) => assert_eq!(e.units, u, "{bunit:?}"),
            (Err(e), None) => assert!(e.to_string().contains("BUNIT"), "{e}"),
            (r, w) => panic!("{bunit:?}: {r:?} vs {w:?}"),
        }
    }

    // Exposure time: missing or non-positive.
    for primary in [vec![], vec![("EXPTIME", 0.0.into())]] {
        let m = Mef {
            primary,
            ..Default::default()
        };
        write_mef(&path, &m);
        let msg = load(&path, &DrizzleConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("EXPTIME") && msg.contains("dn_flt.fits"),
            "{msg}"
        );
    }
}

#[test]
fn ivm_is_read_per_chip_when_final_wht_type_is_ivm() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("a_flt.fits");
    write_mef(
        &exp,
        &Mef {
            chips: 2,
            ..Default::default()
        },
    );
    let ivm = dir.path().join("a_ivm.fits");
    let mut w = FitsWriter::create(&ivm, false).unwrap();
    for c in 1..=2 {
        let a = Array2::<f32>::from_elem((48, 64), c as f32 * 10.0);
        w.write_image("SCI", c, &Header::new(), a.view()).unwrap();
    }
    w.finish().unwrap();
    let input = InputFile {
        path: exp.clone(),
        ivm: Some(ivm.clone()),
    };
    let cfg = DrizzleConfig {
        final_wht_type: WhtType::Ivm,
        ..Default::default()
    };
    let e = Exposure::load(&input, &cfg).unwrap();
    assert_eq!(e.ivm_path.as_deref(), Some(ivm.as_path()));
    assert_eq!(e.chips[1].ivm.as_ref().unwrap()[[3, 3]], 20.0);
    // Not read for other weightings.
    let e = Exposure::load(&input, &DrizzleConfig::default()).unwrap();
    assert!(e.chips[0].ivm.is_none());

    // Shape mismatch.
    let mut w = FitsWriter::create(&ivm, true).unwrap();
    w.write_primary_image(&Header::new(), Array2::<f32>::ones((4, 4)).view())
        .unwrap();
    w.finish().unwrap();
    let msg = Exposure::load(&input, &cfg).unwrap_err().to_string();
    assert!(msg.contains("a_ivm.fits") && msg.contains("shape"), "{msg}");
}

#[test]
fn real_acs_hrc_exposure() {
    let Some(data) = test_data("real_acs_hrc_exposure") else {
        return;
    };
    let dir = data.join("hst/acs_hrc_j8bt06nyq");
    let flt = dir.join("j8bt06nyq_flt.fits");
    let before = hash(&flt);
    let e = load(&flt, &DrizzleConfig::default()).unwrap();
    assert_eq!(e.rootname, "j8bt06nyq");
    assert_eq!((e.exptime, e.units), (60.0, DataUnits::Counts));
    assert_eq!(e.chips.len(), 1);
    let c = &e.chips[0];
    assert_eq!(c.shape(), (1024, 1024));
    assert!(c.err.is_some() && c.dq.is_some());
    assert_eq!(c.gain, 1.0); // ELECTRONS
    assert_eq!(c.rdnoise, 4.71); // READNSEC, the only non-zero READNSEA..D
    assert_eq!(hash(&flt), before, "loading must not modify the input");

    // The flt pixels with the SIP header of j8bt06nyq_sip_flt.fits (what drizzle's tests do).
    let sip_header = FitsReader::open(dir.join("j8bt06nyq_sip_flt.fits"))
        .unwrap()
        .header(("SCI", 1))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let combined = tmp.path().join("j8bt06nyq_flt.fits");
    let mut w = FitsWriter::create(&combined, false).unwrap();
    w.write_primary(Some(&e.primary)).unwrap();
    w.write_image("SCI", 1, &sip_header, c.sci.view()).unwrap();
    w.finish().unwrap();
    let e2 = load(&combined, &DrizzleConfig::default()).unwrap();
    assert!(e2.chips[0].wcs.sip().is_some());
    assert!(e2.chips[0].dq.is_none());
    let linear = load(
        &combined,
        &DrizzleConfig {
            coeffs: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(linear.chips[0].wcs.sip().is_none());
    // The header-only SIP file itself has no SCI data: a clear error.
    let msg = load(
        &dir.join("j8bt06nyq_sip_flt.fits"),
        &DrizzleConfig::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("(SCI, 1) has no image data"), "{msg}");
}

// ------------------------------------------------------------------ input safety

fn masks_for(e: &Exposure) -> Vec<Option<Array2<bool>>> {
    e.chips
        .iter()
        .map(|c| {
            Some(Array2::from_shape_fn(c.shape(), |(y, x)| {
                y == 2 && x < 10 || x == 3
            }))
        })
        .collect()
}

#[test]
fn default_configuration_never_changes_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a_flt.fits");
    write_mef(
        &path,
        &Mef {
            chips: 2,
            ..Default::default()
        },
    );
    let before = snapshot(dir.path());
    let cfg = DrizzleConfig::default();
    let e = load(&path, &cfg).unwrap();
    update_inputs(
        &cfg,
        std::slice::from_ref(&e),
        &[vec![1.0, 2.0]],
        &[masks_for(&e)],
    )
    .unwrap();
    let inputs = [InputFile {
        path: path.clone(),
        ivm: None,
    }];
    assert!(restore_inputs(&cfg, &inputs).unwrap().is_empty());
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn update_inputs_archives_then_writes_sky_and_cr_bits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a_flt.fits");
    write_mef(
        &path,
        &Mef {
            chips: 2,
            ..Default::default()
        },
    );
    let original = std::fs::read(&path).unwrap();
    let cfg = DrizzleConfig {
        update_inputs: true,
        resetbits: "0".into(),
        ..Default::default()
    };
    let e = load(&path, &cfg).unwrap();
    let masks = masks_for(&e);
    update_inputs(
        &cfg,
        std::slice::from_ref(&e),
        &[vec![12.5, -3.25]],
        std::slice::from_ref(&masks),
    )
    .unwrap();

    // The archive holds the original bytes.
    assert_eq!(std::fs::read(archive_path(&path)).unwrap(), original);
    // The input has MDRIZSKY and the CR bits, and nothing else changed.
    let after = load(&path, &cfg).unwrap();
    for (k, (chip, sky)) in after.chips.iter().zip([12.5, -3.25]).enumerate() {
        assert_eq!(chip.header.get_f64("MDRIZSKY").unwrap(), Some(sky));
        assert_eq!(chip.sci, e.chips[k].sci);
        assert_eq!(chip.err, e.chips[k].err);
        let (old, new) = (e.chips[k].dq.as_ref().unwrap(), chip.dq.as_ref().unwrap());
        let mask = masks[k].as_ref().unwrap();
        for ((o, n), m) in old.iter().zip(new).zip(mask) {
            assert_eq!(*n, if *m { o | 4096 } else { *o });
        }
    }
    assert_eq!(after.primary, e.primary);

    // A second update keeps the archive (the true original) and replaces MDRIZSKY.
    let size = std::fs::metadata(&path).unwrap().len();
    update_inputs(
        &cfg,
        std::slice::from_ref(&after),
        &[vec![1.0, 2.0]],
        &[vec![None, None]],
    )
    .unwrap();
    assert_eq!(std::fs::read(archive_path(&path)).unwrap(), original);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    let again = load(&path, &cfg).unwrap();
    assert_eq!(
        again.chips[1].header.get_f64("MDRIZSKY").unwrap(),
        Some(2.0)
    );
    assert_eq!(
        again.chips[1]
            .header
            .cards()
            .iter()
            .filter(|c| c.keyword == "MDRIZSKY")
            .count(),
        1
    );

    // restore brings the original back.
    let cfg = DrizzleConfig {
        restore: true,
        ..Default::default()
    };
    let inputs = [InputFile {
        path: path.clone(),
        ivm: None,
    }];
    assert_eq!(restore_inputs(&cfg, &inputs).unwrap(), vec![path.clone()]);
    assert_eq!(std::fs::read(&path).unwrap(), original);
    // No temporary file is left.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["OrIg_files", "a_flt.fits"]);
}

#[test]
fn update_inputs_without_preserve_and_with_full_header_blocks() {
    // Headers whose END card falls on every position of the block: MDRIZSKY must fit in,
    // growing the header by a block when needed, and the data must follow intact.
    let dir = tempfile::tempdir().unwrap();
    let cfg = DrizzleConfig {
        update_inputs: true,
        preserve: false,
        ..Default::default()
    };
    for extra in 0..36 {
        let path = dir.path().join(format!("h{extra}_flt.fits"));
        let mut m = Mef::default();
        let names: Vec<&'static str> = (0..extra)
            .map(|i| &*Box::leak(format!("KEY{i}").into_boxed_str()))
            .collect();
        for n in names {
            m.sci.push((n, 1i64.into()));
        }
        write_mef(&path, &m);
        let e = load(&path, &cfg).unwrap();
        update_inputs(
            &cfg,
            std::slice::from_ref(&e),
            &[vec![0.5]],
            &[masks_for(&e)],
        )
        .unwrap();
        let after = load(&path, &cfg).unwrap();
        assert_eq!(
            after.chips[0].header.get_f64("MDRIZSKY").unwrap(),
            Some(0.5)
        );
        assert_eq!(after.chips[0].sci, e.chips[0].sci, "extra = {extra}");
        assert_eq!(after.chips[0].err, e.chips[0].err, "extra = {extra}");
        assert!(!archive_path(&path).exists());
    }
}

#[test]
fn update_inputs_preserves_tables_of_a_real_file() {
    let Some(data) = test_data("update_inputs_preserves_tables_of_a_real_file") else {
        return;
    };
    // The SIP file has PRIMARY, SCI (header only) and a WCSCORR binary table.
    let src = data.join("hst/acs_hrc_j8bt06nyq/j8bt06nyq_sip_flt.fits");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j8bt06nyq_flt.fits");
    std::fs::copy(&src, &path).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let original = std::fs::read(&path).unwrap();
    // An Exposure standing for the file's one chip (its SCI has no pixels to load).
    let header = FitsReader::open(&path).unwrap().header(("SCI", 1)).unwrap();
    let e = Exposure {
        path: path.clone(),
        rootname: "j8bt06nyq".into(),
        primary: Header::new(),
        exptime: 60.0,
        units: DataUnits::Counts,
        chips: vec![astro_pipeline::Chip {
            extver: 1,
            wcs: astro_wcs::Wcs::from_header(&header).unwrap(),
            header,
            sci: Array2::zeros((1024, 1024)),
            err: None,
            dq: None,
            gain: 1.0,
            rdnoise: 0.0,
            ivm: None,
        }],
        ivm_path: None,
    };
    let cfg = DrizzleConfig {
        update_inputs: true,
        ..Default::default()
    };
    update_inputs(&cfg, &[e], &[vec![33.0]], &[vec![None]]).unwrap();
    let new = std::fs::read(&path).unwrap();
    assert_eq!(std::fs::read(archive_path(&path)).unwrap(), original);
    let mut f = FitsReader::open(&path).unwrap();
    let hdus = f.hdus().unwrap();
    assert_eq!(hdus.len(), 3);
    assert_eq!(
        f.header(("SCI", 1)).unwrap().get_f64("MDRIZSKY").unwrap(),
        Some(33.0)
    );
    // The primary header and the table are byte-identical (the SCI header had room).
    assert_eq!(new.len(), original.len());
    let differing: Vec<usize> = (0..new.len()).filter(|&i| new[i] != original[i]).collect();
    let (first, last) = (differing[0], *differing.last().unwrap());
    let sci_start = {
        // The SCI header starts after the primary header (no data).
        let end = (0..original.len() / 80)
            .find(|&k| &original[k * 80..k * 80 + 8] == b"END     ")
            .unwrap();
        (end * 80 / 2880 + 1) * 2880
    };
    let sci_end = {
        let k0 = sci_start / 80;
        let end = (k0..original.len() / 80)
            .find(|&k| &original[k * 80..k * 80 + 8] == b"END     ")
            .unwrap();
        (end * 80 / 2880 + 1) * 2880
    };
    assert!(
        first >= sci_start && last < sci_end,
        "{first}..{last} vs {sci_start}..{sci_end}"
    );
}

fn oracle_python() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("ASTRO_ORACLE_PYTHON") {
        return Some(p.into());
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-oracle/bin/python");
    p.exists().then_some(p)
}

/// astropy: the updated file verifies, differs from the original only by MDRIZSKY in the
/// SCI header and by bit 4096 in DQ where flat index % 37 == 0.
const CHECK_UPDATED: &str = r#"
import sys, warnings
import numpy as np
from astropy.io import fits
warnings.simplefilter("error")
new, old = sys.argv[1], sys.argv[2]
with fits.open(new) as a, fits.open(old) as b:
    a.verify("exception")
    assert len(a) == len(b), (len(a), len(b))
    assert a[1].header["MDRIZSKY"] == 12.34, a[1].header["MDRIZSKY"]
    for i in range(len(a)):
        ha, hb = a[i].header.copy(), b[i].header.copy()
        ha.remove("MDRIZSKY", ignore_missing=True)
        assert list(ha.cards) == list(hb.cards) or str(ha) == str(hb), i
    assert np.array_equal(a["SCI"].data, b["SCI"].data, equal_nan=True)
    assert np.array_equal(a["ERR"].data, b["ERR"].data, equal_nan=True)
    dq_new, dq_old = a["DQ"].data, b["DQ"].data
    assert dq_new.dtype == dq_old.dtype, (dq_new.dtype, dq_old.dtype)
    flag = (np.arange(dq_old.size).reshape(dq_old.shape) % 37) == 0
    want = np.where(flag, dq_old | 4096, dq_old)
    assert np.array_equal(dq_new, want), int((dq_new != want).sum())
print("OK")
"#;

#[test]
fn updated_real_flt_verifies_in_astropy() {
    let Some(data) = test_data("updated_real_flt_verifies_in_astropy") else {
        return;
    };
    let Some(python) = oracle_python() else {
        println!(
            "SKIP updated_real_flt_verifies_in_astropy: no oracle python (set ASTRO_ORACLE_PYTHON)"
        );
        return;
    };
    let src = data.join("hst/acs_hrc_j8bt06nyq/j8bt06nyq_flt.fits");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j8bt06nyq_flt.fits");
    std::fs::write(&path, std::fs::read(&src).unwrap()).unwrap();
    let cfg = DrizzleConfig {
        update_inputs: true,
        ..Default::default()
    };
    let e = load(&path, &cfg).unwrap();
    let shape = e.chips[0].shape();
    let mask = Array2::from_shape_fn(shape, |(y, x)| (y * shape.1 + x).is_multiple_of(37));
    update_inputs(
        &cfg,
        std::slice::from_ref(&e),
        &[vec![12.34]],
        &[vec![Some(mask)]],
    )
    .unwrap();
    let archive = archive_path(&path);
    assert_eq!(hash(&archive), hash(&src));
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(CHECK_UPDATED)
        .arg(&path)
        .arg(&archive)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().any(|l| l == "OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

mod update_property {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, Copy)]
    enum DqType {
        U8,
        I16,
        U16,
        I32,
    }

    fn write_with_dq(path: &Path, dq: &Array2<i64>, t: DqType, extra_cards: usize) {
        let shape = dq.dim();
        let mut primary = Header::new();
        primary.set("EXPTIME", 10.0);
        let mut h = io_common::tan_wcs(0.0).to_header().unwrap();
        h.set("BUNIT", "ELECTRONS");
        for i in 0..extra_cards {
            h.set(&format!("PAD{i}"), i as i64);
        }
        let sci = Array2::from_shape_fn(shape, |(y, x)| (y * 31 + x) as f32 - 7.5);
        let mut w = FitsWriter::create(path, true).unwrap();
        w.write_primary(Some(&primary)).unwrap();
        w.write_image("SCI", 1, &h, sci.view()).unwrap();
        let e = Header::new();
        match t {
            DqType::U8 => w.write_image("DQ", 1, &e, dq.mapv(|v| v as u8).view()),
            DqType::I16 => w.write_image("DQ", 1, &e, dq.mapv(|v| v as i16).view()),
            DqType::U16 => w.write_image("DQ", 1, &e, dq.mapv(|v| v as u16).view()),
            DqType::I32 => w.write_image("DQ", 1, &e, dq.mapv(|v| v as i32).view()),
        }
        .unwrap();
        w.finish().unwrap();
    }

    fn case() -> impl Strategy<Value = (DqType, usize, usize, Vec<i64>, Vec<bool>, f64, usize)> {
        (
            prop_oneof![
                Just(DqType::U8),
                Just(DqType::I16),
                Just(DqType::U16),
                Just(DqType::I32)
            ],
            1usize..12,
            1usize..12,
            -1e6f64..1e6,
            0usize..80,
        )
            .prop_flat_map(|(t, ny, nx, sky, extra)| {
                let range = match t {
                    DqType::U8 => 0i64..256,
                    DqType::I16 => -32768i64..32768,
                    DqType::U16 => 0i64..65536,
                    DqType::I32 => -(1i64 << 31)..(1i64 << 31),
                };
                (
                    Just(t),
                    Just(ny),
                    Just(nx),
                    proptest::collection::vec(range, ny * nx),
                    proptest::collection::vec(any::<bool>(), ny * nx),
                    Just(sky),
                    Just(extra),
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// update_inputs changes exactly MDRIZSKY and the CR bit of the flagged DQ pixels,
        /// whatever the DQ type and the header length, and archives the original bytes.
        #[test]
        fn update_changes_only_sky_and_flagged_bits(
            (t, ny, nx, values, flags, sky, extra) in case()
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p_flt.fits");
            let dq = Array2::from_shape_vec((ny, nx), values).unwrap();
            write_with_dq(&path, &dq, t, extra);
            let original = std::fs::read(&path).unwrap();
            let crbit = if matches!(t, DqType::U8) { 4 } else { 4096 };
            let cfg = DrizzleConfig {
                update_inputs: true,
                resetbits: "0".into(),
                crbit,
                ..Default::default()
            };
            let before = load(&path, &cfg).unwrap();
            let mask = Array2::from_shape_vec((ny, nx), flags).unwrap();
            update_inputs(
                &cfg,
                std::slice::from_ref(&before),
                &[vec![sky]],
                &[vec![Some(mask.clone())]],
            )
            .unwrap();
            prop_assert_eq!(std::fs::read(archive_path(&path)).unwrap(), original);
            let after = load(&path, &cfg).unwrap();
            let (b, a) = (&before.chips[0], &after.chips[0]);
            prop_assert_eq!(a.header.get_f64("MDRIZSKY").unwrap(), Some(sky));
            prop_assert_eq!(&a.sci, &b.sci);
            let (old, new) = (b.dq.as_ref().unwrap(), a.dq.as_ref().unwrap());
            for ((o, n), m) in old.iter().zip(new).zip(&mask) {
                prop_assert_eq!(*n, if *m { o | crbit } else { *o });
            }
            let mut h = a.header.clone();
            h.remove("MDRIZSKY");
            prop_assert_eq!(h, b.header.clone());
        }
    }
}

#[test]
fn real_two_chip_wfc_with_lookup_tables() {
    let Some(data) = test_data("real_two_chip_wfc_with_lookup_tables") else {
        return;
    };
    // ACS/WFC, gzipped, SCI/ERR/DQ x 2 (10 x 10 stubs), SIP + CPDIS + D2IM lookup tables.
    let path = data.join("hst/distortion_header_stubs/2chipA.fits.gz");
    let e = load(&path, &DrizzleConfig::default()).unwrap();
    assert_eq!(e.rootname, "2chipA");
    assert_eq!(e.chips.len(), 2);
    assert_eq!((e.exptime, e.units), (400.0, DataUnits::Counts));
    for c in &e.chips {
        assert!(c.wcs.sip().is_some() && c.wcs.has_pixel_distortion());
        assert_eq!(c.gain, 1.0); // ELECTRONS
        let mean_rn = (4.9699998 + 4.8499999 + 5.2399998 + 4.8499999) / 4.0;
        assert!((c.rdnoise - mean_rn).abs() < 1e-6, "{}", c.rdnoise);
        assert!(c.err.is_some() && c.dq.is_some());
    }
    let e2 = load(
        &path,
        &DrizzleConfig {
            group: "2".into(),
            coeffs: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(e2.chips.len(), 1);
    assert!(!e2.chips[0].wcs.has_pixel_distortion());

    let Some(python) = oracle_python() else {
        println!("SKIP real_two_chip_wfc_with_lookup_tables (astropy part): no oracle python");
        return;
    };
    // astropy's full distortion chain agrees with the loaded WCS (1e-9 degree).
    let script = r#"
import sys, warnings
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter("ignore")
with fits.open(sys.argv[1]) as f:
    for ver in (1, 2):
        w = WCS(f["SCI", ver].header, f)
        for ra, dec in w.all_pix2world(np.array([[0.0, 0.0], [9.0, 9.0], [3.25, 6.5]]), 0):
            print(f"{ra:.15f} {dec:.15f}")
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    for c in &e.chips {
        for (x, y) in [(0.0, 0.0), (9.0, 9.0), (3.25, 6.5)] {
            let v: Vec<f64> = lines
                .next()
                .unwrap()
                .split_whitespace()
                .map(|t| t.parse().unwrap())
                .collect();
            let (ra, dec) = c.wcs.pixel_to_world(x, y).unwrap();
            assert!(
                (v[0] - ra).abs() < 1e-9 && (v[1] - dec).abs() < 1e-9,
                "chip {} ({x}, {y}): astropy {v:?} vs ours ({ra}, {dec})",
                c.extver
            );
        }
    }
}

#[test]
fn update_inputs_follows_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("raw");
    std::fs::create_dir(&real_dir).unwrap();
    let target = real_dir.join("a_flt.fits");
    write_mef(&target, &Mef::default());
    let original = std::fs::read(&target).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let link = work.join("a_flt.fits");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let cfg = DrizzleConfig {
        update_inputs: true,
        ..Default::default()
    };
    let e = load(&link, &cfg).unwrap();
    update_inputs(&cfg, std::slice::from_ref(&e), &[vec![3.0]], &[vec![None]]).unwrap();
    // The link is still a link; its target was updated; the archive is beside the link.
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        load(&target, &cfg).unwrap().chips[0]
            .header
            .get_f64("MDRIZSKY")
            .unwrap(),
        Some(3.0)
    );
    assert_eq!(
        std::fs::read(work.join("OrIg_files/a_flt.fits")).unwrap(),
        original
    );
    let restored = restore_inputs(
        &DrizzleConfig {
            restore: true,
            ..Default::default()
        },
        &[InputFile {
            path: link.clone(),
            ivm: None,
        }],
    )
    .unwrap();
    assert_eq!(restored, vec![link.clone()]);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), original);
}
