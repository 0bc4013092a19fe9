//! Fuzz WCS construction: any bytes, read as a FITS header (blocks) or as header text, then
//! `Wcs::from_header` / `from_header_key` and a few transforms. Any input must give a value
//! or an error, never a panic (NaN and errors are fine; infinite loops are caught by
//! libFuzzer's timeout).
#![no_main]

use astro_wcs::{Header, Wcs};
use libfuzzer_sys::fuzz_target;

/// Pixels and sky positions tried on every WCS that builds: the origin, the reference
/// region, far outside the image, the poles and NaN.
const PIXELS: [(f64, f64); 6] = [
    (0.0, 0.0),
    (100.5, -3.25),
    (2047.0, 4095.0),
    (-1.0e6, 3.0e7),
    (f64::NAN, 1.0),
    (1.0e300, -1.0e300),
];
const WORLDS: [(f64, f64); 5] = [
    (0.0, 0.0),
    (359.9, 89.999),
    (180.0, -90.0),
    (-720.0, 45.0),
    (10.0, f64::NAN),
];

fn exercise(header: &Header) {
    for key in [' ', 'A', 'O'] {
        let Ok(wcs) = Wcs::from_header_key(header, key) else {
            continue;
        };
        for &(x, y) in &PIXELS {
            if let Ok((ra, dec)) = wcs.pixel_to_world(x, y) {
                let _ = wcs.world_to_pixel(ra, dec);
            }
        }
        for &(ra, dec) in &WORLDS {
            let _ = wcs.world_to_pixel(ra, dec);
        }
        let xs: Vec<f64> = PIXELS.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = PIXELS.iter().map(|p| p.1).collect();
        let _ = wcs.pixel_to_world_many(&xs, &ys);
        let _ = wcs.to_header();
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = Header::parse(data) {
        exercise(&header);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(header) = Header::parse_text(text) {
            let _ = Wcs::from_header(&header);
            exercise(&header);
        }
    }
});
