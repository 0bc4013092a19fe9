//! Products: names (`ProductNames`), the final products (`write_final`, separate files
//! and `build` MEF), intermediates (`write_image`, `write_mask`), atomicity, and astropy
//! reading the products back with a clean `verify('exception')` and the same WCS.
//!
//! The astropy check needs the reference Python: `ASTRO_ORACLE_PYTHON` (else
//! `<workspace>/.venv-oracle/bin/python` if it exists); without it the test prints a SKIP
//! line.

mod io_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use astro_fits::{FitsReader, HduKind};
use astro_pipeline::{
    DataUnits, DrizzleConfig, Error, Exposure, FinalImages, FinalUnits, ProductNames, write_final,
    write_image, write_mask,
};
use astro_wcs::{Card, Header, Wcs};
use io_common::{Mef, sip_header, tan_wcs, write_mef};
use ndarray::{Array2, Array3};

fn exposure(path: &Path, rootname: &str) -> Exposure {
    Exposure {
        path: path.to_path_buf(),
        rootname: rootname.into(),
        primary: Header::new(),
        exptime: 10.0,
        units: DataUnits::Counts,
        chips: vec![],
        ivm_path: None,
    }
}

fn cfg_in(dir: &Path, output: &str) -> DrizzleConfig {
    DrizzleConfig {
        output: dir.join(output).to_str().unwrap().into(),
        runfile: String::new(),
        ..Default::default()
    }
}

fn images(ny: usize, nx: usize, planes: usize) -> FinalImages {
    FinalImages {
        sci: Array2::from_shape_fn((ny, nx), |(y, x)| (y as f32) - 0.5 * x as f32),
        wht: Array2::from_shape_fn((ny, nx), |(y, x)| ((x + y) % 5) as f32 * 30.0),
        ctx: Some(Array3::from_shape_fn((planes, ny, nx), |(p, y, x)| {
            ((x + 3 * y + p) % 7) as i32 | if p == 0 { i32::MIN } else { 0 }
        })),
        wcs: tan_wcs(0.0),
    }
}

fn input_primary() -> Header {
    let mut h = Header::new();
    h.set("NEXTEND", 3);
    h.set("TELESCOP", "HST");
    h.set("INSTRUME", "ACS");
    h.set("DATE-OBS", "2002-04-13");
    h.set("FILENAME", "j8bt06nyq_flt.fits");
    h.set_with_comment("EXPTIME", 60.0, "exposure duration (seconds)");
    h.set("LONGSTR", "x".repeat(120));
    h.push(Card::commentary("HISTORY", "calibrated by CALACS"));
    h
}

/// An input primary header that carries a WCS of its own (as a single-image input does),
/// with SIP and an alternate WCS: none of it may reach a product.
fn input_primary_with_wcs() -> Header {
    let mut h = input_primary();
    h.update(&sip_header(7.0));
    h.update(&tan_wcs(-4.0).to_header_key('O').unwrap());
    h
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------ names

#[test]
fn names_from_output_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = exposure(&d.join("ja_flt.fits"), "ja");
    let b = exposure(&d.join("jb_flt.fits"), "jb");

    // output = "": the single input's rootname, else "final" (in the current directory).
    let cfg = DrizzleConfig {
        runfile: String::new(),
        ..Default::default()
    };
    let cwd = std::env::current_dir().unwrap();
    let n = ProductNames::new(&cfg, std::slice::from_ref(&a)).unwrap();
    assert_eq!(n.final_files()[0], cwd.join("ja_drz_sci.fits"));
    let n = ProductNames::new(&cfg, &[a.clone(), b.clone()]).unwrap();
    assert_eq!(n.final_files()[0], cwd.join("final_drz_sci.fits"));
    assert_eq!(n.stem(), "final");

    // Suffixes given in output are dropped.
    for out in [
        "m31",
        "m31_drz.fits",
        "m31_drz_sci.fits",
        "m31.fits",
        "m31_drz",
    ] {
        let n = ProductNames::new(&cfg_in(d, out), std::slice::from_ref(&a)).unwrap();
        assert_eq!(n.stem(), "m31", "{out}");
        assert_eq!(n.dir(), d);
    }

    let n = ProductNames::new(&cfg_in(d, "m31"), &[a.clone(), b.clone()]).unwrap();
    assert_eq!(
        n.final_files(),
        vec![
            d.join("m31_drz_sci.fits"),
            d.join("m31_drz_wht.fits"),
            d.join("m31_drz_ctx.fits")
        ]
    );
    assert_eq!(n.single_sci(&a), d.join("ja_single_sci.fits"));
    assert_eq!(n.single_wht(&b), d.join("jb_single_wht.fits"));
    assert_eq!(n.median(), d.join("m31_med.fits"));
    assert_eq!(n.blot(&a, 2), d.join("ja_sci2_blt.fits"));
    assert_eq!(n.cr_mask(&b, 1), d.join("jb_sci1_crmask.fits"));
    assert_eq!(n.cr_clean(&a), d.join("ja_crclean.fits"));
    assert_eq!(n.preview_sci(), d.join("m31_drz_sci.png"));
    assert_eq!(n.preview_wht(), d.join("m31_drz_wht.png"));
    assert_eq!(n.log(), None);

    let cfg = DrizzleConfig {
        build: true,
        ..cfg_in(d, "m31")
    };
    let n = ProductNames::new(&cfg, &[]).unwrap();
    assert_eq!(n.final_files(), vec![d.join("m31_drz.fits")]);
    let cfg = DrizzleConfig {
        context: false,
        runfile: d.join("run.log").to_str().unwrap().into(),
        ..cfg_in(d, "m31")
    };
    let n = ProductNames::new(&cfg, &[]).unwrap();
    assert_eq!(n.final_files().len(), 2);
    assert_eq!(n.log(), Some(d.join("run.log")));
    // Nothing was left behind by the writability probe.
    assert!(dir_names(d).is_empty());
}

#[test]
fn relative_output_resolves_against_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = std::env::current_dir().unwrap();
    // A relative path from the current directory to the temporary directory.
    let ups = cwd.components().count() - 1;
    let mut rel = PathBuf::new();
    for _ in 0..ups {
        rel.push("..");
    }
    rel.push(dir.path().strip_prefix("/").unwrap());
    rel.push("rel");
    let cfg = DrizzleConfig {
        output: rel.to_str().unwrap().into(),
        runfile: String::new(),
        ..Default::default()
    };
    let n = ProductNames::new(&cfg, &[]).unwrap();
    let sci = &n.final_files()[0];
    assert_eq!(
        std::fs::canonicalize(sci.parent().unwrap()).unwrap(),
        std::fs::canonicalize(dir.path()).unwrap()
    );
    assert!(sci.ends_with("rel_drz_sci.fits"));
}

#[test]
fn a_product_may_not_replace_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x_drz_sci.fits");
    std::fs::write(&input, b"input").unwrap();
    let e = exposure(&input, "x_drz_sci");
    let err = ProductNames::new(&cfg_in(dir.path(), "x"), &[e]).unwrap_err();
    assert!(matches!(err, Error::Output { .. }));
    assert!(err.to_string().contains("would replace the input"), "{err}");
}

// ------------------------------------------------------------------ write_final

#[test]
fn separate_products_hold_data_wcs_headers_and_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg_in(dir.path(), "m31");
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let im = images(30, 40, 1);
    let extra = [
        Card::with_comment("NDRIZIM", 4, "number of drizzled images"),
        Card::new("EXPTIME", 240.0),
        Card::new("BUNIT", "COUNTS/S"),
    ];
    let written = write_final(&names, &cfg, &input_primary_with_wcs(), &im, &extra).unwrap();
    assert_eq!(written, names.final_files());
    assert_eq!(
        dir_names(dir.path()),
        ["m31_drz_ctx.fits", "m31_drz_sci.fits", "m31_drz_wht.fits"]
    );

    for (path, kind) in written.iter().zip(["SCI", "WHT", "CTX"]) {
        let mut f = FitsReader::open(path).unwrap();
        let hdus = f.hdus().unwrap();
        assert_eq!(hdus.len(), 1, "{kind}: a simple FITS file");
        let h = f.header(0).unwrap();
        assert_eq!(h.get_str("FILETYPE").unwrap(), Some(kind));
        assert_eq!(
            h.get_str("FILENAME").unwrap(),
            path.file_name().unwrap().to_str()
        );
        assert_eq!(h.get_i64("NDRIZIM").unwrap(), Some(4));
        assert_eq!(h.get_f64("EXPTIME").unwrap(), Some(240.0)); // replaced, not doubled
        assert_eq!(
            h.cards().iter().filter(|c| c.keyword == "EXPTIME").count(),
            1
        );
        assert!(!h.contains("NEXTEND"));
        assert_eq!(h.get_str("TELESCOP").unwrap(), Some("HST"));
        assert_eq!(h.get_str("LONGSTR").unwrap().map(str::len), Some(120));
        let history: Vec<String> = h
            .cards()
            .iter()
            .filter(|c| c.keyword == "HISTORY")
            .filter_map(|c| c.comment.clone())
            .collect();
        assert!(history.iter().any(|t| t == "calibrated by CALACS"));
        for (name, value) in cfg.parameters() {
            let value = if value.is_empty() {
                "\"\"".to_string()
            } else {
                value
            };
            let want = format!("astro: {name} = {value}");
            assert!(history.contains(&want), "{kind}: missing HISTORY {want}");
        }
        let wcs = Wcs::from_header(&h).unwrap();
        assert!(!h.contains("A_ORDER") && !h.contains("CTYPE1O") && wcs.sip().is_none());
        for (x, y) in [(0.0, 0.0), (39.0, 29.0), (12.25, 7.5)] {
            let (a, b) = wcs.pixel_to_world(x, y).unwrap();
            let (a0, b0) = im.wcs.pixel_to_world(x, y).unwrap();
            assert!((a - a0).abs() < 1e-12 && (b - b0).abs() < 1e-12);
        }
        if kind == "SCI" {
            assert_eq!(h.get_str("BUNIT").unwrap(), Some("COUNTS/S"));
        } else {
            assert!(!h.contains("BUNIT"));
        }
    }
    let (_, sci) = astro_fits::read_image::<f32>(&written[0], 0).unwrap();
    assert_eq!(sci, im.sci);
    let (_, wht) = astro_fits::read_image::<f32>(&written[1], 0).unwrap();
    assert_eq!(wht, im.wht);
    let mut f = FitsReader::open(&written[2]).unwrap();
    assert_eq!(f.hdus().unwrap()[0].dtype, Some("int32"));
    let ctx = f.read_image::<i32>(0).unwrap();
    assert_eq!(
        ctx,
        im.ctx.as_ref().unwrap().index_axis(ndarray::Axis(0), 0)
    );

    // A second run replaces the products.
    let im2 = FinalImages {
        sci: im.sci.mapv(|v| v + 1.0),
        ..im.clone()
    };
    let cfg_counts = DrizzleConfig {
        final_units: FinalUnits::Counts,
        ..cfg.clone()
    };
    write_final(&names, &cfg_counts, &input_primary(), &im2, &[]).unwrap();
    let (h, sci) = astro_fits::read_image::<f32>(&written[0], 0).unwrap();
    assert_eq!(sci, im2.sci);
    assert_eq!(h.get_str("BUNIT").unwrap(), Some("ELECTRONS"));
    assert_eq!(dir_names(dir.path()).len(), 3);
}

#[test]
fn build_writes_one_mef_and_context_planes_as_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = DrizzleConfig {
        build: true,
        ..cfg_in(dir.path(), "m31")
    };
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let im = images(20, 25, 2);
    let written = write_final(&names, &cfg, &input_primary(), &im, &[]).unwrap();
    assert_eq!(written, vec![dir.path().join("m31_drz.fits")]);
    let mut f = FitsReader::open(&written[0]).unwrap();
    let hdus = f.hdus().unwrap();
    let ids: Vec<String> = hdus.iter().map(|h| h.id().to_string()).collect();
    assert_eq!(hdus.len(), 5, "{ids:?}");
    assert!(hdus[0].shape.is_empty());
    for (i, (name, ver)) in [("SCI", 1), ("WHT", 1), ("CTX", 1), ("CTX", 2)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(hdus[i + 1].extname.as_deref(), Some(name));
        assert_eq!(hdus[i + 1].extver, ver);
        assert_eq!(hdus[i + 1].shape, vec![20, 25]);
        assert_eq!(hdus[i + 1].kind, HduKind::Image);
    }
    let p = f.header(0).unwrap();
    assert_eq!(p.get_i64("NCTXPLN").unwrap(), Some(2));
    assert_eq!(f.read_image::<f32>(("SCI", 1)).unwrap(), im.sci);
    assert_eq!(f.read_image::<f32>(("WHT", 1)).unwrap(), im.wht);
    let c = im.ctx.as_ref().unwrap();
    assert_eq!(
        f.read_image::<i32>(("CTX", 2)).unwrap(),
        c.index_axis(ndarray::Axis(0), 1)
    );
    assert_eq!(
        f.header(("SCI", 1)).unwrap().get_str("BUNIT").unwrap(),
        Some("ELECTRONS/S")
    );

    // Separate files with two planes: CTX,1 and CTX,2 after an empty primary.
    let cfg = cfg_in(dir.path(), "sep");
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let written = write_final(&names, &cfg, &input_primary(), &im, &[]).unwrap();
    let hdus = FitsReader::open(&written[2]).unwrap().hdus().unwrap();
    assert_eq!(hdus.len(), 3);

    // context = false: no CTX product even if images.ctx is given.
    let cfg = DrizzleConfig {
        context: false,
        ..cfg_in(dir.path(), "noctx")
    };
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let written = write_final(&names, &cfg, &input_primary(), &im, &[]).unwrap();
    assert_eq!(written.len(), 2);
    assert!(!dir.path().join("noctx_drz_ctx.fits").exists());
}

#[test]
fn mismatched_shapes_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg_in(dir.path(), "bad");
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let mut im = images(10, 10, 1);
    im.wht = Array2::zeros((10, 11));
    let err = write_final(&names, &cfg, &Header::new(), &im, &[]).unwrap_err();
    assert!(err.to_string().contains("WHT shape"), "{err}");
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn a_failed_rename_leaves_no_product_of_the_set() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg_in(dir.path(), "m31");
    let names = ProductNames::new(&cfg, &[]).unwrap();
    // The WHT's final name is taken by a directory: its rename fails after the SCI's.
    std::fs::create_dir(dir.path().join("m31_drz_wht.fits")).unwrap();
    let err = write_final(&names, &cfg, &input_primary(), &images(8, 8, 1), &[]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("m31_drz_wht.fits"), "{msg}");
    assert_eq!(dir_names(dir.path()), ["m31_drz_wht.fits"]);
}

// ------------------------------------------------------------------ intermediates

#[test]
fn intermediate_images_and_masks() {
    let dir = tempfile::tempdir().unwrap();
    let wcs = Wcs::from_header(&sip_header(0.0)).unwrap();
    let data = Array2::from_shape_fn((16, 24), |(y, x)| (y * 24 + x) as f32);
    let p = dir.path().join("a_single_sci.fits");
    write_image(
        &p,
        data.view(),
        Some(&wcs),
        &[Card::new("EXPTIME", 5.0)],
        false,
    )
    .unwrap();
    let (h, back) = astro_fits::read_image::<f32>(&p, 0).unwrap();
    assert_eq!(back, data);
    assert_eq!(h.get_f64("EXPTIME").unwrap(), Some(5.0));
    let w2 = Wcs::from_header(&h).unwrap();
    assert!(w2.sip().is_some());
    let (a, b) = w2.pixel_to_world(20.0, 3.0).unwrap();
    let (a0, b0) = wcs.pixel_to_world(20.0, 3.0).unwrap();
    assert!((a - a0).abs() < 1e-12 && (b - b0).abs() < 1e-12);

    // Compressed: a tile-compressed SCI extension.
    let p = dir.path().join("a_single_wht.fits");
    write_image(&p, data.view(), None, &[], true).unwrap();
    let mut f = FitsReader::open(&p).unwrap();
    assert_eq!(f.hdus().unwrap()[1].kind, HduKind::CompressedImage);
    assert_eq!(f.read_image::<f32>(("SCI", 1)).unwrap(), data);

    // Replacing an existing file.
    write_image(&p, data.mapv(|v| -v).view(), None, &[], false).unwrap();
    assert_eq!(
        astro_fits::read_image::<f32>(&p, 0).unwrap().1[[1, 1]],
        -25.0
    );

    let mask = Array2::from_shape_fn((16, 24), |(y, x)| u8::from(x != y));
    let p = dir.path().join("a_sci1_crmask.fits");
    write_mask(&p, mask.view(), Some(&wcs)).unwrap();
    let mut f = FitsReader::open(&p).unwrap();
    assert_eq!(f.hdus().unwrap()[0].dtype, Some("uint8"));
    assert_eq!(f.read_image::<u8>(0).unwrap(), mask);
    assert_eq!(
        dir_names(dir.path()),
        [
            "a_sci1_crmask.fits",
            "a_single_sci.fits",
            "a_single_wht.fits"
        ]
    );
}

// ------------------------------------------------------------------ astropy

fn oracle_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ASTRO_ORACLE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-oracle/bin/python");
    p.exists().then_some(p)
}

/// For each job `[path, ext, [[x, y], ...]]` read from stdin (JSON): opens the file with
/// astropy (warnings are errors), runs `verify('exception')`, builds the WCS of HDU `ext`
/// and prints the world coordinates of the 0-based pixels, one per line, then the data
/// shape and type.
const ASTROPY_SCRIPT: &str = r#"
import sys, json, warnings
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning
warnings.simplefilter("error")
for k, (path, ext, pts) in enumerate(json.load(sys.stdin)):
    ext = int(ext) if ext.isdigit() else (ext, 1)
    with fits.open(path) as f:
        f.verify("exception")
        hdr = f[ext].header
        data = f[ext].data
        with warnings.catch_warnings():
            # DATE-OBS -> MJD-OBS 'datfix' notes are informational, not a WCS problem.
            warnings.simplefilter("ignore", FITSFixedWarning)
            w = WCS(hdr, f)
        world = w.all_pix2world(np.array(pts, dtype=float), 0)
        print("JOB", k)
        for ra, dec in world:
            print(f"{ra:.15f} {dec:.15f}")
        print("SHAPE", " ".join(str(n) for n in data.shape), data.dtype.name)
print("OK")
"#;

/// Files (and HDUs) to check with astropy against our WCS, in one Python run.
#[derive(Default)]
struct AstropyJobs {
    jobs: Vec<(PathBuf, String, Wcs, (usize, usize))>,
}

impl AstropyJobs {
    fn add(&mut self, file: &Path, ext: &str, wcs: &Wcs, shape: (usize, usize)) {
        self.jobs
            .push((file.to_path_buf(), ext.to_string(), wcs.clone(), shape));
    }

    fn points(shape: (usize, usize)) -> [(f64, f64); 4] {
        [
            (0.0, 0.0),
            ((shape.1 - 1) as f64, (shape.0 - 1) as f64),
            (7.25, 3.5),
            (shape.1 as f64 / 2.0, shape.0 as f64 / 3.0),
        ]
    }

    fn run(self, python: &Path) {
        let json = format!(
            "[{}]",
            self.jobs
                .iter()
                .map(|(file, ext, _, shape)| {
                    let pts: Vec<String> = Self::points(*shape)
                        .iter()
                        .map(|(x, y)| format!("[{x}, {y}]"))
                        .collect();
                    format!(
                        "[{:?}, {ext:?}, [{}]]",
                        file.to_str().unwrap(),
                        pts.join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut child = Command::new(python)
            .arg("-c")
            .arg(ASTROPY_SCRIPT)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("running the oracle python");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(json.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success() && stdout.lines().any(|l| l == "OK"),
            "astropy rejected a product:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = stdout.lines().collect();
        for (k, (file, ext, wcs, shape)) in self.jobs.iter().enumerate() {
            let at = lines.iter().position(|l| *l == format!("JOB {k}")).unwrap();
            for (i, (x, y)) in Self::points(*shape).iter().enumerate() {
                let v: Vec<f64> = lines[at + 1 + i]
                    .split_whitespace()
                    .map(|t| t.parse().unwrap())
                    .collect();
                let (ra, dec) = wcs.pixel_to_world(*x, *y).unwrap();
                // Tolerance: 1e-9 degree (3.6 µas), far below any pixel.
                assert!(
                    (v[0] - ra).abs() < 1e-9 && (v[1] - dec).abs() < 1e-9,
                    "{} [{ext}] pixel ({x}, {y}): astropy ({}, {}) vs ours ({ra}, {dec})",
                    file.display(),
                    v[0],
                    v[1]
                );
            }
            let shape_line = lines[at + 5];
            assert!(
                shape_line.starts_with(&format!("SHAPE {} {}", shape.0, shape.1)),
                "{} [{ext}]: {shape_line}",
                file.display()
            );
        }
    }
}

#[test]
fn products_verify_in_astropy_with_the_intended_wcs() {
    let Some(python) = oracle_python() else {
        println!(
            "SKIP products_verify_in_astropy_with_the_intended_wcs: no oracle python (set \
             ASTRO_ORACLE_PYTHON)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A rotated output WCS, as a custom final_rot would give.
    let (s, t) = (0.04 / 3600.0, 25f64.to_radians());
    let wcs = Wcs::new_tan(
        (6.0219, -72.0817),
        (60.3, 41.7),
        [[-s * t.cos(), s * t.sin()], [s * t.sin(), s * t.cos()]],
    )
    .unwrap();
    let mut im = images(90, 120, 1);
    im.wcs = wcs.clone();
    let extra = [Card::new("NDRIZIM", 2), Card::new("EXPTIME", 120.0)];

    let cfg = cfg_in(dir.path(), "sep");
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let written = write_final(&names, &cfg, &input_primary_with_wcs(), &im, &extra).unwrap();
    let mut jobs = AstropyJobs::default();
    for f in &written {
        jobs.add(f, "0", &wcs, (90, 120));
    }

    let cfg = DrizzleConfig {
        build: true,
        ..cfg_in(dir.path(), "mef")
    };
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let written = write_final(&names, &cfg, &input_primary(), &im, &extra).unwrap();
    for ext in ["SCI", "WHT", "CTX"] {
        jobs.add(&written[0], ext, &wcs, (90, 120));
    }

    // An intermediate with the input's SIP distortion.
    let sip = Wcs::from_header(&sip_header(0.0)).unwrap();
    let p = dir.path().join("x_sci1_blt.fits");
    write_image(&p, im.sci.view(), Some(&sip), &[], false).unwrap();
    jobs.add(&p, "0", &sip, (90, 120));
    let p = dir.path().join("x_sci1_crmask.fits");
    write_mask(&p, im.sci.mapv(|v| u8::from(v > 0.0)).view(), Some(&sip)).unwrap();
    jobs.add(&p, "0", &sip, (90, 120));
    jobs.run(&python);
}

#[test]
fn real_exposure_header_makes_a_valid_product() {
    let Some(data) = io_common::test_data("real_exposure_header_makes_a_valid_product") else {
        return;
    };
    let Some(python) = oracle_python() else {
        println!("SKIP real_exposure_header_makes_a_valid_product: no oracle python");
        return;
    };
    // The real primary header (251 cards) carried into a product.
    let flt = data.join("hst/acs_hrc_j8bt06nyq/j8bt06nyq_flt.fits");
    let primary = astro_fits::read_header(&flt, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg_in(dir.path(), "j8bt06nyq");
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let im = images(64, 64, 1);
    let written = write_final(&names, &cfg, &primary, &im, &[]).unwrap();
    let h = astro_fits::read_header(&written[0], 0).unwrap();
    assert_eq!(h.get_str("ROOTNAME").unwrap(), Some("j8bt06nyq"));
    let mut jobs = AstropyJobs::default();
    jobs.add(&written[0], "0", &im.wcs, (64, 64));
    jobs.run(&python);

    // And a synthetic MEF input written by our helpers loads back.
    let p = dir.path().join("syn_flt.fits");
    write_mef(&p, &Mef::default());
    assert!(
        Exposure::load(
            &astro_pipeline::InputFile { path: p, ivm: None },
            &DrizzleConfig::default()
        )
        .is_ok()
    );
}

#[test]
fn lookup_table_distortion_is_written_with_its_tables() {
    let Some(data) = io_common::test_data("lookup_table_distortion_is_written_with_its_tables")
    else {
        return;
    };
    // ACS/WFC chip 2: SIP + CPDIS (WCSDVARR) + D2IM (D2IMARR), 100 x 100.
    let src = data.join("hst/distortion_header_stubs/dist_lookup.fits.gz");
    let (_, wcs) = astro_fits::read_wcs(&src, "SCI", 1, ' ').unwrap();
    assert!(!wcs.lookup_tables().is_empty());
    let dir = tempfile::tempdir().unwrap();
    let image = Array2::from_shape_fn((100, 100), |(y, x)| (x + y) as f32);
    let p = dir.path().join("wfc_sci1_blt.fits");
    write_image(&p, image.view(), Some(&wcs), &[], false).unwrap();
    let q = dir.path().join("wfc_sci1_crmask.fits");
    write_mask(&q, image.mapv(|v| u8::from(v > 50.0)).view(), Some(&wcs)).unwrap();
    let c = dir.path().join("wfc_single_sci.fits");
    write_image(&c, image.view(), Some(&wcs), &[], true).unwrap();
    // Our own reader gets the same transform back.
    for (file, ext) in [(&p, "0"), (&q, "0"), (&c, "SCI")] {
        let mut r = FitsReader::open(file).unwrap();
        let (_, back) = if ext == "0" {
            r.read_wcs(0, ' ').unwrap()
        } else {
            r.read_wcs(("SCI", 1), ' ').unwrap()
        };
        for (x, y) in [(0.0, 0.0), (99.0, 99.0), (31.5, 70.25)] {
            let (a, b) = back.pixel_to_world(x, y).unwrap();
            let (a0, b0) = wcs.pixel_to_world(x, y).unwrap();
            assert!((a - a0).abs() < 1e-12 && (b - b0).abs() < 1e-12);
        }
    }
    let Some(python) = oracle_python() else {
        println!(
            "SKIP lookup_table_distortion_is_written_with_its_tables (astropy part): no oracle \
             python"
        );
        return;
    };
    let mut jobs = AstropyJobs::default();
    jobs.add(&p, "0", &wcs, (100, 100));
    jobs.add(&q, "0", &wcs, (100, 100));
    jobs.add(&c, "SCI", &wcs, (100, 100));
    jobs.run(&python);
}
