//! Helpers shared by the io tests (inputs, products, bad_input): small synthetic HST-like
//! FITS files written with astro-fits.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use astro_fits::FitsWriter;
use astro_wcs::{Header, Wcs};
use ndarray::Array2;

/// The directory of the real test data, or `None` (after printing the SKIP line).
pub(crate) fn test_data(test: &str) -> Option<PathBuf> {
    match std::env::var_os("ASTRO_TEST_DATA") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            println!("SKIP {test}: ASTRO_TEST_DATA not set");
            None
        }
    }
}

/// A tangent-plane WCS of 0.05"/pixel centred near (10°, 20°), shifted by `dx` pixels.
pub(crate) fn tan_wcs(dx: f64) -> Wcs {
    let s = 0.05 / 3600.0;
    Wcs::new_tan((10.0, 20.0), (31.5 + dx, 24.5), [[-s, 0.0], [0.0, s]]).unwrap()
}

/// A small SIP header (order 2) on top of [`tan_wcs`].
pub(crate) fn sip_header(dx: f64) -> Header {
    let mut h = tan_wcs(dx).to_header().unwrap();
    h.set("CTYPE1", "RA---TAN-SIP");
    h.set("CTYPE2", "DEC--TAN-SIP");
    h.set("A_ORDER", 2);
    h.set("B_ORDER", 2);
    h.set("A_2_0", 2.0e-5);
    h.set("A_1_1", -1.0e-5);
    h.set("A_0_2", 3.0e-6);
    h.set("B_2_0", 1.0e-6);
    h.set("B_1_1", 2.0e-5);
    h.set("B_0_2", -4.0e-6);
    h
}

/// What [`write_mef`] writes.
#[derive(Debug, Clone)]
pub(crate) struct Mef {
    /// (ny, nx) of every chip.
    pub(crate) shape: (usize, usize),
    /// Number of chips (SCI,1..n).
    pub(crate) chips: usize,
    pub(crate) err: bool,
    pub(crate) dq: bool,
    /// Extra primary-header cards.
    pub(crate) primary: Vec<(&'static str, astro_wcs::Value)>,
    /// Extra SCI-header cards (every chip).
    pub(crate) sci: Vec<(&'static str, astro_wcs::Value)>,
    /// SIP distortion in the SCI headers.
    pub(crate) sip: bool,
    /// Alternate WCS 'A' (shifted by 5 pixels) in the SCI headers.
    pub(crate) alt_a: bool,
}

impl Default for Mef {
    fn default() -> Self {
        Mef {
            shape: (48, 64),
            chips: 1,
            err: true,
            dq: true,
            primary: vec![
                ("INSTRUME", "ACS".into()),
                ("DETECTOR", "WFC".into()),
                ("EXPTIME", 100.0.into()),
            ],
            sci: vec![("BUNIT", "ELECTRONS".into())],
            sip: false,
            alt_a: false,
        }
    }
}

/// Science value of chip `c` at (y, x).
pub(crate) fn sci_value(c: usize, y: usize, x: usize) -> f32 {
    (c * 10000 + y * 100 + x) as f32 * 0.25
}

/// Writes an HST-like MEF exposure.
pub(crate) fn write_mef(path: &Path, m: &Mef) {
    let mut primary = Header::new();
    for (k, v) in &m.primary {
        primary.set(k, v.clone());
    }
    primary.set("NEXTEND", (m.chips * 3) as i64);
    let mut w = FitsWriter::create(path, true).unwrap();
    w.write_primary(Some(&primary)).unwrap();
    for c in 1..=m.chips {
        let mut h = if m.sip {
            sip_header(c as f64 * 3.0)
        } else {
            tan_wcs(c as f64 * 3.0).to_header().unwrap()
        };
        if m.alt_a {
            let alt = tan_wcs(c as f64 * 3.0 + 5.0).to_header_key('A').unwrap();
            for card in alt.cards() {
                h.push(card.clone());
            }
        }
        for (k, v) in &m.sci {
            h.set(k, v.clone());
        }
        let sci = Array2::from_shape_fn(m.shape, |(y, x)| sci_value(c, y, x));
        w.write_image("SCI", c as i64, &h, sci.view()).unwrap();
        if m.err {
            let err = Array2::<f32>::from_elem(m.shape, c as f32);
            w.write_image("ERR", c as i64, &Header::new(), err.view())
                .unwrap();
        }
        if m.dq {
            let dq = Array2::from_shape_fn(m.shape, |(y, x)| {
                if (x + y) % 7 == 0 {
                    4096u16 + 16
                } else if x == 3 {
                    32768
                } else {
                    0
                }
            });
            w.write_image("DQ", c as i64, &Header::new(), dq.view())
                .unwrap();
        }
    }
    w.finish().unwrap();
}

/// FNV-1a hash of a file's bytes.
pub(crate) fn hash(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Hashes of every file under `dir` (recursively), by relative path.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), hash(&p));
            }
        }
    }
    out
}
