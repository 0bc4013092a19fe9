//! `read_wcs` on real HST files: SIP + CPDIS lookup tables (WCSDVARR) + D2IM (D2IMARR),
//! compared with astropy.wcs, and the error for a DP card naming an absent extension.

use astro_fits::{Error, FitsReader, FitsWriter};
use astro_wcs::Header;
use ndarray::Array2;
use std::path::PathBuf;

fn test_data(name: &str) -> Option<PathBuf> {
    match std::env::var_os("ASTRO_TEST_DATA") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            println!("SKIP {name}: ASTRO_TEST_DATA not set");
            None
        }
    }
}

/// astropy 8.0.2 `WCS(hdul['SCI', ver].header, hdul).all_pix2world([[x, y]], 0)`, printed by
/// `tests/scripts/wcs_reference.py`: (file, EXTVER, x, y, ra, dec).
const ASTROPY: &[(&str, i64, f64, f64, f64, f64)] = &[
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        1,
        0.0,
        0.0,
        5.526457896319575,
        -72.05171895427486,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        1,
        2047.5,
        1023.5,
        5.630599237182406,
        -72.0545756032475,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        1,
        4095.0,
        2047.0,
        5.737000016161622,
        -72.05703666330398,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        1,
        100.3,
        1900.7,
        5.5674131612354865,
        -72.0748752651907,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        1,
        50.0,
        60.0,
        5.529639441413699,
        -72.05223559231023,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        2,
        0.0,
        0.0,
        5.567045683934499,
        -72.07777807003399,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        2,
        2047.5,
        1023.5,
        5.6707595205752215,
        -72.08067834392065,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        2,
        4095.0,
        2047.0,
        5.776058042819741,
        -72.08304922925112,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        2,
        100.3,
        1900.7,
        5.607787935804531,
        -72.10005497702637,
    ),
    (
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        2,
        50.0,
        60.0,
        5.5702227595628,
        -72.07828407008435,
    ),
    (
        "hst/distortion_header_stubs/dist_lookup.fits.gz",
        1,
        0.0,
        0.0,
        5.526457896329408,
        -72.05171895426032,
    ),
    (
        "hst/distortion_header_stubs/dist_lookup.fits.gz",
        1,
        2047.5,
        1023.5,
        5.630599237182397,
        -72.05457560324753,
    ),
    (
        "hst/distortion_header_stubs/dist_lookup.fits.gz",
        1,
        4095.0,
        2047.0,
        5.737000016151512,
        -72.05703666331843,
    ),
    (
        "hst/distortion_header_stubs/dist_lookup.fits.gz",
        1,
        100.3,
        1900.7,
        5.567413161249538,
        -72.07487526520283,
    ),
    (
        "hst/distortion_header_stubs/dist_lookup.fits.gz",
        1,
        50.0,
        60.0,
        5.52963944142349,
        -72.05223559229654,
    ),
];

/// Tolerance: 1e-6 arcsec (1 micro-arcsecond) of sky separation; the ACS/WFC pixel is
/// 0.05 arcsec, so this checks that every table was read and applied, not just SIP.
const TOL_ARCSEC: f64 = 1e-6;

#[test]
fn read_wcs_matches_astropy_on_hst_files() {
    let Some(root) = test_data("read_wcs_matches_astropy_on_hst_files") else {
        return;
    };
    let mut worst: f64 = 0.0;
    for file in [
        "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz",
        "hst/distortion_header_stubs/dist_lookup.fits.gz",
    ] {
        let mut f = FitsReader::open(root.join(file)).unwrap();
        for ver in [1, 2] {
            let cases: Vec<_> = ASTROPY
                .iter()
                .filter(|c| c.0 == file && c.1 == ver)
                .collect();
            if cases.is_empty() {
                continue;
            }
            let (header, wcs) = f.read_wcs(("SCI", ver), ' ').unwrap();
            assert_eq!(header.get_str("CPDIS1").unwrap(), Some("Lookup"));
            for &&(_, _, x, y, ra, dec) in &cases {
                let (lon, lat) = wcs.pixel_to_world(x, y).unwrap();
                let dra = (lon - ra) * dec.to_radians().cos();
                let sep = (dra.hypot(lat - dec)) * 3600.0;
                worst = worst.max(sep);
                assert!(
                    sep < TOL_ARCSEC,
                    "{file} SCI,{ver} ({x}, {y}): {sep:e} arcsec"
                );
            }
        }
    }
    println!("read_wcs vs astropy: worst separation {worst:e} arcsec");
    // The free function gives the same WCS.
    let (_, wcs) = astro_fits::read_wcs(
        root.join("hst/distortion_header_stubs/dist_lookup.fits.gz"),
        "SCI",
        1,
        ' ',
    )
    .unwrap();
    let (ra, dec) = wcs.pixel_to_world(50.0, 60.0).unwrap();
    assert!((ra - 5.52963944142349).abs() < 1e-9 && (dec + 72.05223559229654).abs() < 1e-9);
}

#[test]
fn dp_card_naming_an_absent_extension_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nodist.fits");
    let h = Header::parse_text(
        "CTYPE1  = 'RA---TAN'\nCTYPE2  = 'DEC--TAN'\nCRPIX1  = 50.0\nCRPIX2  = 50.0\n\
         CRVAL1  = 5.6\nCRVAL2  = -72.0\nCD1_1   = -1.4e-5\nCD1_2   = 0.0\n\
         CD2_1   = 0.0\nCD2_2   = 1.4e-5\n\
         CPDIS1  = 'Lookup'\nDP1     = 'EXTVER: 3'\nDP1     = 'NAXES: 2'\n\
         DP1     = 'AXIS.1: 1'\nDP1     = 'AXIS.2: 2'\n",
    )
    .unwrap();
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.write_image("SCI", 1, &h, Array2::<f32>::zeros((10, 10)).view())
        .unwrap();
    // A WCSDVARR exists, but with EXTVER 1, not 3.
    let mut t = Header::new();
    t.set("CRPIX1", 1.0);
    t.set("CRPIX2", 1.0);
    t.set("CDELT1", 1.0);
    t.set("CDELT2", 1.0);
    w.write_image("WCSDVARR", 1, &t, Array2::<f32>::zeros((3, 3)).view())
        .unwrap();
    w.finish().unwrap();

    let err = astro_fits::read_wcs(&path, "SCI", 1, ' ').unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Header { .. }), "{text}");
    assert!(text.contains("nodist.fits"), "{text}");
    assert!(text.contains("(SCI, 1)"), "{text}");
    assert!(text.contains("WCSDVARR") && text.contains('3'), "{text}");
    assert!(text.contains("DP1"), "{text}");
    println!("{text}");
}
