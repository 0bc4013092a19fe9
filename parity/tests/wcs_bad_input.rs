//! Bad input that needs real files: truncated FITS files, Paper IV record cards with a
//! missing `EXTVER`, and `DPj`/`D2IMj` cards naming an extension the file does not have.
//! None may panic; each must give a typed error naming what was wrong (or, where astropy
//! defines a default, behave as astropy does).
//!
//! ```text
//! ASTRO_TEST_DATA=/work/shared/data/real cargo test -p astro-parity --test wcs_bad_input -- --nocapture
//! ```

use astro_wcs::{Card, Header, LookupTable, Value, Wcs};
use ndarray::Array2;
use std::path::{Path, PathBuf};

fn data_root(test: &str) -> Option<PathBuf> {
    match std::env::var_os("ASTRO_TEST_DATA") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            println!("SKIP {test}: ASTRO_TEST_DATA not set");
            None
        }
    }
}

/// A scratch file path unique to this process and test: each test gets its own
/// directory (named after the test) so one test's clean-up cannot remove another's files.
fn scratch(test: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "astro-parity-wcs-bad-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// The full ACS/WFC SCI header (text, one card per line) with SIP, CPDIS and D2IM cards.
fn acs_header(root: &Path) -> Header {
    let text = std::fs::read_to_string(root.join("wcs_headers/gwcs_acs_wfc.hdr")).expect("read");
    Header::parse_text(&text).expect("gwcs_acs_wfc.hdr parses")
}

/// Zero lookup tables for the extensions `gwcs_acs_wfc.hdr` names (WCSDVARR 1, 2; D2IMARR 1).
fn zero_tables() -> Vec<LookupTable> {
    let mut t = Vec::new();
    for extver in 1..=2 {
        let mut h = Header::new();
        for (k, v) in [
            ("CRPIX1", 33.0),
            ("CRPIX2", 17.0),
            ("CRVAL1", 2048.0),
            ("CRVAL2", 1024.0),
        ] {
            h.set(k, v);
        }
        h.set("CDELT1", 64.0);
        h.set("CDELT2", 64.0);
        t.push(LookupTable {
            extname: "WCSDVARR".into(),
            extver,
            header: h,
            data: Array2::zeros((33, 65)),
        });
    }
    let mut h = Header::new();
    h.set("CRPIX1", 2048.0);
    h.set("CRVAL1", 2048.0);
    h.set("CDELT1", 1.0);
    t.push(LookupTable {
        extname: "D2IMARR".into(),
        extver: 1,
        header: h,
        data: Array2::zeros((1, 4096)),
    });
    t
}

/// A copy of `header` where the record card `keyword = '<field>: ...'` is dropped or has its
/// value replaced.
fn edit_record(header: &Header, keyword: &str, field: &str, new_value: Option<&str>) -> Header {
    let mut out = Header::new();
    let mut hits = 0;
    for card in header.cards() {
        let is_target = card.keyword == keyword
            && matches!(&card.value, Some(Value::String(s)) if s.trim_start().starts_with(field));
        if is_target {
            hits += 1;
            if let Some(v) = new_value {
                out.push(Card::new(keyword, v.to_string()));
            }
        } else {
            out.push(card.clone());
        }
    }
    assert_eq!(hits, 1, "{keyword} {field} card");
    out
}

#[test]
fn lookup_cards_without_tables_are_an_error() {
    let Some(root) = data_root("lookup_cards_without_tables_are_an_error") else {
        return;
    };
    // astropy raises "an astropy.io.fits.HDUList is required for Lookup table distortion".
    let header = acs_header(&root);
    let err = Wcs::from_header(&header).expect_err("CPDIS without tables must be an error");
    println!("from_header without tables: {err}");
    let err = Wcs::from_header_with_tables(&header, ' ', &[]).expect_err("no tables");
    let msg = err.to_string();
    println!("from_header_with_tables(&[]): {msg}");
    assert!(
        msg.contains("WCSDVARR") || msg.contains("D2IMARR"),
        "names the extension: {msg}"
    );
    // With the tables it builds.
    Wcs::from_header_with_tables(&header, ' ', &zero_tables()).expect("with tables");
}

#[test]
fn dp_card_naming_an_absent_extension() {
    let Some(root) = data_root("dp_card_naming_an_absent_extension") else {
        return;
    };
    let header = edit_record(&acs_header(&root), "DP1", "EXTVER", Some("EXTVER: 7"));
    let err = Wcs::from_header_with_tables(&header, ' ', &zero_tables())
        .expect_err("DP1 names WCSDVARR 7, which is not given");
    let msg = err.to_string();
    println!("DP1 EXTVER 7: {msg}");
    assert!(
        msg.contains("WCSDVARR") && msg.contains('7'),
        "names WCSDVARR,7: {msg}"
    );

    let header = edit_record(&acs_header(&root), "D2IM1", "EXTVER", Some("EXTVER: 3"));
    let err = Wcs::from_header_with_tables(&header, ' ', &zero_tables())
        .expect_err("D2IM1 names D2IMARR 3, which is not given");
    let msg = err.to_string();
    println!("D2IM1 EXTVER 3: {msg}");
    assert!(
        msg.contains("D2IMARR") && msg.contains('3'),
        "names D2IMARR,3: {msg}"
    );
}

#[test]
fn dp_record_without_extver() {
    let Some(root) = data_root("dp_record_without_extver") else {
        return;
    };
    // astropy reads `DP1.EXTVER` with default 1 (wcs.py `_read_distortion_kw`). We accept
    // either that default (then the result equals the explicit EXTVER 1) or a typed error
    // naming DP1; never a panic, never another table.
    let full = acs_header(&root);
    let header = edit_record(&full, "DP1", "EXTVER", None);
    match Wcs::from_header_with_tables(&header, ' ', &zero_tables()) {
        Ok(w) => {
            let reference = Wcs::from_header_with_tables(&full, ' ', &zero_tables()).unwrap();
            for (x, y) in [(0.0, 0.0), (2047.5, 1023.5), (4095.0, 2047.0)] {
                let a = w.pixel_to_world(x, y).unwrap();
                let b = reference.pixel_to_world(x, y).unwrap();
                assert_eq!(a, b, "default EXTVER 1 as astropy");
            }
            println!("DP1 without EXTVER: accepted with EXTVER 1 (as astropy)");
        }
        Err(e) => {
            let msg = e.to_string();
            println!("DP1 without EXTVER: {msg}");
            assert!(msg.contains("DP1"), "names DP1: {msg}");
        }
    }
    // A record with no AXIS.1 is an error in astropy too (KeyError).
    let header = edit_record(&full, "DP1", "AXIS.1", None);
    let err =
        Wcs::from_header_with_tables(&header, ' ', &zero_tables()).expect_err("DP1 without AXIS.1");
    println!("DP1 without AXIS.1: {err}");
}

/// A FITS file made by hand: an empty primary HDU and one `SCI` image extension (NAXIS = 0)
/// whose header is `cards`, with no `WCSDVARR`/`D2IMARR` extensions.
fn write_sci_only_file(path: &Path, cards: &Header) {
    let mut primary = Header::new();
    primary.set("SIMPLE", true);
    primary.set("BITPIX", 8_i64);
    primary.set("NAXIS", 0_i64);
    primary.set("EXTEND", true);
    let mut ext = Header::new();
    ext.set("XTENSION", "IMAGE");
    ext.set("BITPIX", 16_i64);
    ext.set("NAXIS", 0_i64);
    ext.set("PCOUNT", 0_i64);
    ext.set("GCOUNT", 1_i64);
    ext.set("EXTNAME", "SCI");
    ext.set("EXTVER", 1_i64);
    const STRUCTURAL: [&str; 10] = [
        "SIMPLE", "BITPIX", "NAXIS", "EXTEND", "XTENSION", "PCOUNT", "GCOUNT", "EXTNAME", "EXTVER",
        "NEXTEND",
    ];
    for card in cards.cards() {
        if !STRUCTURAL.contains(&card.keyword.as_str()) && card.keyword != "END" {
            ext.push(card.clone());
        }
    }
    let mut bytes = primary.to_bytes().expect("primary");
    bytes.extend(ext.to_bytes().expect("extension"));
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn fits_file_missing_the_named_extensions() {
    let Some(root) = data_root("fits_file_missing_the_named_extensions") else {
        return;
    };
    let path = scratch("missing_ext", "sci_only.fits");
    write_sci_only_file(&path, &acs_header(&root));
    let err = astro_fits::read_wcs(&path, "SCI", 1, ' ')
        .expect_err("CPDIS/D2IM name extensions the file lacks");
    let msg = err.to_string();
    println!("read_wcs of a file without WCSDVARR/D2IMARR: {msg}");
    assert!(
        msg.contains("WCSDVARR") || msg.contains("D2IMARR"),
        "names the extension: {msg}"
    );
    // Stripped of the lookup cards the same file is a plain SIP WCS.
    let mut h = acs_header(&root);
    for k in [
        "CPDIS1", "CPDIS2", "DP1", "DP2", "D2IMDIS1", "D2IMDIS2", "D2IM1", "D2IM2",
    ] {
        h.remove(k);
    }
    let path = scratch("missing_ext", "sci_sip.fits");
    write_sci_only_file(&path, &h);
    astro_fits::read_wcs(&path, "SCI", 1, ' ').expect("SIP-only file reads");
    // An EXTVER the file does not have.
    let err = astro_fits::read_wcs(&path, "SCI", 2, ' ').expect_err("no SCI,2");
    println!("read_wcs SCI,2 absent: {err}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn truncated_files_are_errors() {
    let Some(root) = data_root("truncated_files_are_errors") else {
        return;
    };
    // Plain FITS: cut inside the primary header, inside the SCI header, inside the SCI data.
    let src = root.join("hst/wfc3ir_ib3y01c6q_drizzlepac/test_drizzlepac_flt.fits");
    let bytes = std::fs::read(&src).expect("read flt");
    astro_fits::read_wcs(&src, "SCI", 1, ' ').expect("the intact file reads");
    for (cut, must_fail) in [
        (1000, true),
        (2880 * 4 + 1200, true),
        (bytes.len() / 2, false),
        (0, true),
    ] {
        let cut = cut.min(bytes.len());
        let path = scratch("truncated", &format!("truncated_{cut}.fits"));
        std::fs::write(&path, &bytes[..cut]).expect("write");
        let r = astro_fits::read_wcs(&path, "SCI", 1, ' ');
        println!(
            "flt cut at {cut} bytes: {}",
            r.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into())
        );
        if must_fail {
            assert!(r.is_err(), "cut at {cut} must be an error");
        }
    }
    // Gzipped file with lookup tables at the end: cut the compressed stream in half.
    let src = root.join("hst/distortion_header_stubs/dist_lookup.fits.gz");
    let gz = std::fs::read(&src).expect("read gz");
    astro_fits::read_wcs(&src, "SCI", 1, ' ').expect("the intact file reads");
    let path = scratch("truncated", "dist_lookup_cut.fits.gz");
    std::fs::write(&path, &gz[..gz.len() / 2]).expect("write");
    let r = astro_fits::read_wcs(&path, "SCI", 1, ' ');
    println!(
        "dist_lookup.fits.gz cut in half: {}",
        r.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into())
    );
    assert!(r.is_err(), "the lookup tables are past the cut");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
