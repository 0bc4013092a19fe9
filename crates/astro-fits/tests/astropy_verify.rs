//! Files written by astro-fits pass astropy's `verify('exception')` with warnings turned
//! into errors, and astropy reads back the same names, types, shapes, sums and keywords.
//!
//! Needs the reference Python environment: `ASTRO_ORACLE_PYTHON`, else
//! `<workspace>/.venv-oracle/bin/python`; without it the test prints a SKIP line.

use astro_fits::{Compression, FitsWriter};
use astro_wcs::Header;
use ndarray::Array2;
use std::path::{Path, PathBuf};
use std::process::Command;

fn oracle_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ASTRO_ORACLE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-oracle/bin/python");
    p.exists().then_some(p)
}

fn sci_header(long: &str) -> Header {
    let mut h = Header::new();
    for (k, v) in [
        ("CRPIX1", 100.5),
        ("CRPIX2", 75.5),
        ("CRVAL1", 5.6305681061800),
        ("CRVAL2", -72.0759382811),
        ("CD1_1", -1.0e-5),
        ("CD1_2", 2.5e-6),
        ("CD2_1", 2.4e-6),
        ("CD2_2", 1.1e-5),
        ("A_2_0", 1.2345678901234e-06),
        ("A_1_1", -2.5e-7),
        ("A_0_2", 0.0),
        ("B_2_0", 3.1e-7),
        ("B_1_1", 1.0e-8),
        ("B_0_2", -4.4e-7),
    ] {
        h.set(k, v);
    }
    h.set("CTYPE1", "RA---TAN-SIP");
    h.set("CTYPE2", "DEC--TAN-SIP");
    h.set("A_ORDER", 2);
    h.set("B_ORDER", 2);
    h.set("BUNIT", "ELECTRONS");
    h.set_with_comment("LONGSTR", long, "a long string over CONTINUE cards");
    h
}

fn run(python: &Path, file: &Path, keys: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/verify_with_astropy.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(file)
        .args(keys)
        .output()
        .expect("running the oracle python");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "astropy rejected {}:\n{stdout}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.lines().any(|l| l == "OK"), "{stdout}");
    stdout
}

#[test]
fn astropy_verifies_written_mef() {
    let Some(python) = oracle_python() else {
        println!("SKIP astropy_verifies_written_mef: no oracle python (set ASTRO_ORACLE_PYTHON)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let long: String = (0..150)
        .map(|i| char::from(b'A' + (i % 26) as u8))
        .collect();
    let (ny, nx) = (150, 200);
    let sci = Array2::from_shape_fn((ny, nx), |(y, x)| (y * nx + x) as f32 * 0.5);
    let err = sci.mapv(|v| (v + 1.0).sqrt());
    let dq = Array2::from_shape_fn(
        (ny, nx),
        |(y, x)| if (x + y) % 7 == 0 { 40000u16 } else { 4 },
    );
    let mut primary = Header::new();
    primary.set("TELESCOP", "HST");
    primary.set("NEXTEND", 6);

    for (name, compression) in [
        ("mef.fits", Compression::None),
        ("mef_rice.fits", Compression::Rice),
    ] {
        let path = dir.path().join(name);
        let mut w = FitsWriter::create(&path, false).unwrap();
        w.write_primary(Some(&primary)).unwrap();
        w.set_compression(compression);
        for ver in 1..=2 {
            w.write_image("SCI", ver, &sci_header(&long), sci.view())
                .unwrap();
            w.write_image("ERR", ver, &Header::new(), err.view())
                .unwrap();
            w.write_image("DQ", ver, &Header::new(), dq.view()).unwrap();
        }
        w.finish().unwrap();

        let out = run(
            &python,
            &path,
            &["LONGSTR", "A_2_0", "A_0_2", "CTYPE1", "BZERO"],
        );
        println!("{name}:\n{out}");
        let sum = |a: &Array2<f32>| a.iter().map(|&v| f64::from(v)).sum::<f64>();
        let sum_dq = dq.iter().map(|&v| f64::from(v)).sum::<f64>();
        let hdu_lines: Vec<&str> = out.lines().filter(|l| l.starts_with("HDU ")).collect();
        assert_eq!(hdu_lines.len(), 7, "{out}");
        assert_eq!(hdu_lines[0], "HDU 0 PRIMARY 1 - - -");
        for (i, ver) in [(1, 1), (4, 2)] {
            let f: Vec<&str> = hdu_lines[i].split(' ').collect();
            assert_eq!(
                &f[2..6],
                &["SCI", &ver.to_string(), "float32", "150x200"],
                "{out}"
            );
            // Sums agree to rounding of the float64 summation order (exact data).
            let s: f64 = f[6].parse().unwrap();
            assert!(
                (s - sum(&sci)).abs() <= 1e-9 * sum(&sci),
                "{s} vs {}",
                sum(&sci)
            );
            let f: Vec<&str> = hdu_lines[i + 1].split(' ').collect();
            assert_eq!(&f[2..6], &["ERR", &ver.to_string(), "float32", "150x200"]);
            let s: f64 = f[6].parse().unwrap();
            assert!((s - sum(&err)).abs() <= 1e-9 * sum(&err));
            let f: Vec<&str> = hdu_lines[i + 2].split(' ').collect();
            assert_eq!(
                &f[2..6],
                &["DQ", &ver.to_string(), "uint16", "150x200"],
                "{out}"
            );
            assert_eq!(f[6].parse::<f64>().unwrap(), sum_dq);
        }
        assert!(out.contains(&format!("KEY 1 LONGSTR '{long}'")), "{out}");
        assert!(out.contains("KEY 1 A_2_0 1.2345678901234e-06"), "{out}");
        assert!(out.contains("KEY 1 A_0_2 0.0"), "{out}");
        assert!(out.contains("KEY 1 CTYPE1 'RA---TAN-SIP'"), "{out}");
    }
}
