//! Every bad input of the issue gives a clear error naming the file or parameter, modifies
//! no input, and leaves no product (and no temporary file) behind:
//! a missing file, a wildcard matching nothing, an @file naming a missing IVM, an exposure
//! with no SCI extension, conflicting parameters (`gain` and `gnkeyword`), an unwritable
//! output directory, and a disk-full write (simulated with a file-size limit in a child
//! process). Each case is checked through the library steps and through a whole
//! `astro_pipeline::run`.

// The crate's `Error` is large (it wraps every crate's error); tests return it as is.
#![allow(clippy::result_large_err)]

mod io_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use astro_fits::FitsWriter;
use astro_pipeline::{
    DrizzleConfig, Error, Exposure, FinalImages, ProductNames, resolve_inputs, write_final,
};
use astro_wcs::Header;
use io_common::{Mef, snapshot, tan_wcs, write_mef};
use ndarray::{Array2, Array3};

/// A directory with two good exposures; returns it and its snapshot.
fn workspace() -> (tempfile::TempDir, BTreeMap<PathBuf, u64>) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ja_flt.fits", "jb_flt.fits"] {
        write_mef(&dir.path().join(name), &Mef::default());
    }
    let snap = snapshot(dir.path());
    (dir, snap)
}

/// Resolve, validate, load and name the products as a run does; the first error.
fn prepare(cfg: &DrizzleConfig) -> astro_pipeline::Result<(Vec<Exposure>, ProductNames)> {
    cfg.validate()?;
    let inputs = resolve_inputs(&cfg.input)?;
    let exposures = inputs
        .iter()
        .map(|i| Exposure::load(i, cfg))
        .collect::<astro_pipeline::Result<Vec<_>>>()?;
    let names = ProductNames::new(cfg, &exposures)?;
    Ok((exposures, names))
}

fn cfg(dir: &Path, input: &str) -> DrizzleConfig {
    DrizzleConfig {
        input: input.into(),
        output: dir.join("final").to_str().unwrap().into(),
        runfile: String::new(),
        progress: false,
        previews: false,
        ..Default::default()
    }
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// The error of the library steps (`prepare`) and of a whole `run` (the same message),
/// after checking each time that nothing in `dir` changed.
fn fails_cleanly(
    dir: &Path,
    before: &BTreeMap<PathBuf, u64>,
    cfg: &DrizzleConfig,
) -> (Error, String) {
    let err = match prepare(cfg) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    };
    assert_eq!(&snapshot(dir), before, "inputs changed or files appeared");
    let msg = err.to_string();
    let run_err = match astro_pipeline::run(cfg) {
        Ok(s) => panic!("run succeeded: {:?}", s.products),
        Err(e) => e,
    };
    assert_eq!(run_err.to_string(), msg, "run reports the same error");
    assert_eq!(&snapshot(dir), before, "run changed inputs or left files");
    (err, msg)
}

#[test]
fn missing_file() {
    let (dir, before) = workspace();
    let missing = p(dir.path(), "jc_flt.fits");
    let spec = format!("{},{missing}", p(dir.path(), "ja_flt.fits"));
    let (err, msg) = fails_cleanly(dir.path(), &before, &cfg(dir.path(), &spec));
    assert!(matches!(err, Error::Input { .. }));
    assert!(msg.contains(&missing) && msg.contains("not found"), "{msg}");
}

#[test]
fn wildcard_matching_nothing() {
    let (dir, before) = workspace();
    let pattern = p(dir.path(), "*_flc.fits");
    let (err, msg) = fails_cleanly(dir.path(), &before, &cfg(dir.path(), &pattern));
    assert!(matches!(err, Error::Input { .. }));
    assert!(
        msg.contains(&pattern) && msg.contains("matches no file"),
        "{msg}"
    );
}

#[test]
fn at_file_naming_a_missing_ivm() {
    let (dir, _) = workspace();
    let list = dir.path().join("inputs.lst");
    std::fs::write(&list, "ja_flt.fits ja_ivm.fits\njb_flt.fits jb_ivm.fits\n").unwrap();
    write_mef(&dir.path().join("ja_ivm.fits"), &Mef::default());
    let before = snapshot(dir.path());
    let spec = format!("@{}", list.display());
    let (err, msg) = fails_cleanly(dir.path(), &before, &cfg(dir.path(), &spec));
    assert!(matches!(err, Error::Input { .. }));
    assert!(
        msg.contains("inputs.lst")
            && msg.contains("line 2")
            && msg.contains("IVM")
            && msg.contains("jb_ivm.fits"),
        "{msg}"
    );
}

#[test]
fn exposure_with_no_sci_extension() {
    let (dir, _) = workspace();
    // A primary header and a table-less set of non-SCI stubs: no image to drizzle.
    let bad = dir.path().join("jc_flt.fits");
    let mut w = FitsWriter::create(&bad, false).unwrap();
    let mut h = Header::new();
    h.set("EXPTIME", 10.0);
    w.write_primary(Some(&h)).unwrap();
    w.write_image(
        "ERR",
        1,
        &Header::new(),
        Array2::<f32>::zeros((4, 4)).view(),
    )
    .unwrap();
    w.write_image("DQ", 1, &Header::new(), Array2::<u16>::zeros((4, 4)).view())
        .unwrap();
    w.finish().unwrap();
    let before = snapshot(dir.path());
    let (err, msg) = fails_cleanly(
        dir.path(),
        &before,
        &cfg(dir.path(), &p(dir.path(), "j*_flt.fits")),
    );
    assert!(matches!(err, Error::Exposure { ref path, .. } if *path == bad));
    assert!(
        msg.contains("jc_flt.fits")
            && msg.contains("no SCI extension")
            && msg.contains("(ERR, 1)")
            && msg.contains("(DQ, 1)"),
        "{msg}"
    );

    // A header-only file (NAXIS = 0 everywhere).
    let empty = dir.path().join("jd_flt.fits");
    let mut w = FitsWriter::create(&empty, false).unwrap();
    w.write_primary(Some(&h)).unwrap();
    w.finish().unwrap();
    let before = snapshot(dir.path());
    let (_, msg) = fails_cleanly(
        dir.path(),
        &before,
        &cfg(dir.path(), &p(dir.path(), "jd_flt.fits")),
    );
    assert!(
        msg.contains("jd_flt.fits") && msg.contains("no SCI extension"),
        "{msg}"
    );
}

#[test]
fn conflicting_gain_and_gnkeyword() {
    let (dir, before) = workspace();
    let c = DrizzleConfig {
        gain: Some(2.0),
        gnkeyword: Some("ATODGNA".into()),
        ..cfg(dir.path(), &p(dir.path(), "*_flt.fits"))
    };
    let (err, msg) = fails_cleanly(dir.path(), &before, &c);
    assert!(matches!(err, Error::Parameter { .. }));
    assert!(msg.contains("gain") && msg.contains("gnkeyword"), "{msg}");
}

#[test]
fn unwritable_output_directory() {
    let (dir, _) = workspace();
    // A path under a regular file: not writable even for root.
    std::fs::write(dir.path().join("file.txt"), b"not a directory").unwrap();
    let before = snapshot(dir.path());
    let c = DrizzleConfig {
        output: p(dir.path(), "file.txt/out"),
        ..cfg(dir.path(), &p(dir.path(), "*_flt.fits"))
    };
    let (err, msg) = fails_cleanly(dir.path(), &before, &c);
    assert!(matches!(err, Error::Output { .. }));
    assert!(
        msg.contains("file.txt") && msg.contains("not a directory"),
        "{msg}"
    );

    // A directory that does not exist.
    let c = DrizzleConfig {
        output: p(dir.path(), "missing/out"),
        ..cfg(dir.path(), &p(dir.path(), "*_flt.fits"))
    };
    let (_, msg) = fails_cleanly(dir.path(), &before, &c);
    assert!(
        msg.contains("missing") && msg.contains("does not exist"),
        "{msg}"
    );

    // A read-only directory (permission bits do not stop root: then say so and skip).
    use std::os::unix::fs::PermissionsExt;
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let root_writes = std::fs::write(ro.join("probe"), b"").is_ok();
    if root_writes {
        let _ = std::fs::remove_file(ro.join("probe"));
        println!(
            "SKIP unwritable_output_directory (read-only dir part): running as root, \
             permission bits do not stop writes; the file.txt/out case above covers it"
        );
    } else {
        let before = snapshot(dir.path());
        let c = DrizzleConfig {
            output: ro.join("out").to_str().unwrap().into(),
            ..cfg(dir.path(), &p(dir.path(), "*_flt.fits"))
        };
        let (_, msg) = fails_cleanly(dir.path(), &before, &c);
        assert!(msg.contains("ro") && msg.contains("not writable"), "{msg}");
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// ------------------------------------------------------------------ disk full

const CHILD_ENV: &str = "ASTRO_IO_DISK_FULL_CHILD";

/// Run in a child process under a small file-size limit (see the test below); a no-op in
/// a normal test run.
#[test]
fn disk_full_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let cfg = DrizzleConfig {
        output: dir.join("full").to_str().unwrap().into(),
        runfile: String::new(),
        ..Default::default()
    };
    let names = ProductNames::new(&cfg, &[]).unwrap();
    let (ny, nx) = (300, 300); // 360 kB per image, above the limit
    let images = FinalImages {
        sci: Array2::from_elem((ny, nx), 1.0),
        wht: Array2::from_elem((ny, nx), 2.0),
        ctx: Some(Array3::from_elem((1, ny, nx), 1)),
        wcs: tan_wcs(0.0),
    };
    match write_final(&names, &cfg, &Header::new(), &images, &[]) {
        Ok(p) => {
            println!("CHILD-UNEXPECTED-OK {p:?}");
            std::process::exit(3);
        }
        Err(e) => {
            println!("CHILD-ERROR {e}");
            std::process::exit(0);
        }
    }
}

#[test]
fn disk_full_write_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ja_flt.fits");
    write_mef(&input, &Mef::default());
    let before = snapshot(dir.path());
    let exe = std::env::current_exe().unwrap();
    // SIGXFSZ ignored so that writes past the limit fail with EFBIG instead of killing
    // the process; `ulimit -f 64` = 32 or 64 kB depending on the shell's block unit.
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 64 && exec \"$0\" --exact disk_full_child --nocapture --test-threads=1")
        .arg(&exe)
        .env(CHILD_ENV, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("CHILD-ERROR"))
        .unwrap_or_else(|| panic!("no error from the child:\n{stdout}\n{stderr}"));
    println!("{line}");
    assert!(line.contains("full_drz_sci.fits"), "{line}");
    assert!(line.contains("nothing was left under this name"), "{line}");
    // No product, no temporary or staged file; the input is untouched.
    assert_eq!(snapshot(dir.path()), before, "{line}");
}

const UPDATE_CHILD_ENV: &str = "ASTRO_IO_UPDATE_FULL_CHILD";

/// Run in a child process under a small file-size limit: `update_inputs` on an input
/// larger than the limit. A no-op in a normal test run.
#[test]
fn update_inputs_disk_full_child() {
    let Some(path) = std::env::var_os(UPDATE_CHILD_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let cfg = DrizzleConfig {
        update_inputs: true,
        preserve: std::env::var_os("ASTRO_IO_PRESERVE").is_some(),
        ..Default::default()
    };
    let e = Exposure::load(
        &astro_pipeline::InputFile {
            path: path.clone(),
            ivm: None,
        },
        &cfg,
    )
    .unwrap();
    let mask = Some(Array2::from_elem(e.chips[0].shape(), true));
    match astro_pipeline::update_inputs(&cfg, std::slice::from_ref(&e), &[vec![5.0]], &[vec![mask]])
    {
        Ok(()) => {
            println!("CHILD-UNEXPECTED-OK");
            std::process::exit(3);
        }
        Err(e) => {
            println!("CHILD-ERROR {e}");
            std::process::exit(0);
        }
    }
}

#[test]
fn update_inputs_on_a_full_disk_leaves_the_input_intact() {
    for preserve in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("ja_flt.fits");
        write_mef(
            &input,
            &Mef {
                shape: (200, 200),
                ..Default::default()
            },
        );
        let before = snapshot(dir.path());
        let exe = std::env::current_exe().unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(
                "trap '' XFSZ; ulimit -f 64 && exec \"$0\" --exact update_inputs_disk_full_child \
                 --nocapture --test-threads=1",
            )
            .arg(&exe)
            .env(UPDATE_CHILD_ENV, &input);
        if preserve {
            cmd.env("ASTRO_IO_PRESERVE", "1");
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{:?}\n{stdout}", out.status);
        let line = stdout
            .lines()
            .find(|l| l.contains("CHILD-ERROR"))
            .unwrap_or_else(|| panic!("no error from the child:\n{stdout}"));
        println!("preserve = {preserve}: {line}");
        assert!(line.contains("ja_flt.fits"), "{line}");
        // The input is byte-identical; with preserve, an empty OrIg_files/ may remain but no
        // partial archive copy and no temporary file.
        let mut after = snapshot(dir.path());
        after.retain(|p, _| !p.starts_with("OrIg_files") || preserve);
        assert_eq!(after, before, "preserve = {preserve}: {line}");
    }
}

// ------------------------------------------------------------------ whole runs

const RUN_CHILD_ENV: &str = "ASTRO_IO_RUN_FULL_CHILD";

/// Two small dithered exposures (200 x 200, 3-pixel shift) in `dir`.
fn run_inputs(dir: &Path) {
    for name in ["ja_flt.fits", "jb_flt.fits"] {
        write_mef(
            &dir.join(name),
            &Mef {
                shape: (200, 200),
                ..Default::default()
            },
        );
    }
}

/// A whole `run` in a child process under a small file-size limit; a no-op normally.
#[test]
fn run_disk_full_child() {
    let Some(dir) = std::env::var_os(RUN_CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let cfg = DrizzleConfig {
        input: p(&dir, "*_flt.fits"),
        output: p(&dir, "final"),
        runfile: String::new(),
        in_memory: std::env::var_os("ASTRO_IO_IN_MEMORY").is_some(),
        progress: false,
        previews: false,
        ..Default::default()
    };
    match astro_pipeline::run(&cfg) {
        Ok(s) => {
            println!("CHILD-UNEXPECTED-OK {:?}", s.products);
            std::process::exit(3);
        }
        Err(e) => {
            println!("CHILD-ERROR {e}");
            std::process::exit(0);
        }
    }
}

#[test]
fn a_run_on_a_full_disk_fails_clearly_and_leaves_no_product() {
    for in_memory in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        run_inputs(dir.path());
        let before = snapshot(dir.path());
        let exe = std::env::current_exe().unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(
                "trap '' XFSZ; ulimit -f 64 && exec \"$0\" --exact run_disk_full_child \
                 --nocapture --test-threads=1",
            )
            .arg(&exe)
            .env(RUN_CHILD_ENV, dir.path());
        if in_memory {
            cmd.env("ASTRO_IO_IN_MEMORY", "1");
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find(|l| l.contains("CHILD-ERROR"))
            .unwrap_or_else(|| panic!("no error from the child:\n{stdout}"));
        println!("in_memory = {in_memory}: {line}");
        assert!(line.contains(".fits"), "{line}");
        let after = snapshot(dir.path());
        // The inputs are byte-identical; no final product and no temporary file exists
        // (complete intermediates written before the failure may remain when
        // in_memory = false, as AstroDrizzle leaves them).
        for (path, h) in &before {
            assert_eq!(after.get(path), Some(h), "{} changed", path.display());
        }
        for path in after.keys() {
            let name = path.to_str().unwrap();
            assert!(
                !name.contains("_drz") && !name.starts_with('.'),
                "in_memory = {in_memory}: {name} left behind ({line})"
            );
        }
    }
}
