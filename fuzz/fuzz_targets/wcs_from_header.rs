//! Fuzz WCS construction: any bytes, read as a FITS header (blocks) or as header text, then
//! `Wcs::from_header` / `from_header_key` and a few transforms. Any input must give a value
//! or an error, never a panic (NaN and errors are fine; infinite loops are caught by
//! libFuzzer's timeout).
#![no_main]

use astro_wcs::{Header, LookupTable, Wcs, required_tables};
use libfuzzer_sys::fuzz_target;
use ndarray::Array2;

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
        exercise_wcs(&wcs);
        let xs: Vec<f64> = PIXELS.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = PIXELS.iter().map(|p| p.1).collect();
        let _ = wcs.pixel_to_world_many(&xs, &ys);
        let _ = wcs.to_header();
    }
}

/// Lookup tables for whatever `CPDISj`/`D2IMj` records the header names, with sizes and
/// header values taken from the last input bytes (so degenerate tables get tried too:
/// 1×1, zero CDELT, huge CRPIX).
fn tables_for(header: &Header, data: &[u8]) -> Option<Vec<LookupTable>> {
    let wanted = required_tables(header, ' ').ok()?;
    if wanted.is_empty() {
        return None;
    }
    let tail = |i: usize| {
        data.get(data.len().wrapping_sub(1 + i))
            .copied()
            .unwrap_or(3)
    };
    let mut out = Vec::new();
    for (n, (extname, extver)) in wanted.into_iter().enumerate() {
        let nx = 1 + usize::from(tail(4 * n) % 70);
        let ny = if extname == "D2IMARR" {
            1
        } else {
            1 + usize::from(tail(4 * n + 1) % 40)
        };
        let mut h = Header::new();
        h.set("CRPIX1", f64::from(tail(4 * n + 2)) - 8.0);
        h.set("CRPIX2", f64::from(tail(4 * n + 3)) - 8.0);
        h.set("CRVAL1", 2048.0);
        h.set("CRVAL2", 1024.0);
        h.set("CDELT1", f64::from(tail(4 * n + 2) % 5) * 16.0);
        h.set("CDELT2", f64::from(tail(4 * n + 3) % 5) * 16.0);
        let data = Array2::from_shape_fn((ny, nx), |(j, i)| ((i * 7 + j * 3) % 11) as f64 * 0.01);
        out.push(LookupTable {
            extname,
            extver,
            header: h,
            data,
        });
    }
    Some(out)
}

fn exercise_wcs(wcs: &Wcs) {
    for &(x, y) in &PIXELS {
        if let Ok((ra, dec)) = wcs.pixel_to_world(x, y) {
            let _ = wcs.world_to_pixel(ra, dec);
        }
    }
    for &(ra, dec) in &WORLDS {
        let _ = wcs.world_to_pixel(ra, dec);
    }
}

fn with_tables(header: &Header, data: &[u8]) {
    let Some(tables) = tables_for(header, data) else {
        return;
    };
    let Ok(wcs) = Wcs::from_header_with_tables(header, ' ', &tables) else {
        return;
    };
    exercise_wcs(&wcs);
    if let Ok(to) = Wcs::new_tan((10.0, 20.0), (5.0, 5.0), [[-1e-4, 0.0], [0.0, 1e-4]])
        && let Ok(mapper) = wcs.pixel_mapper(&to)
    {
        let (mut xo, mut yo) = ([0.0; 6], [0.0; 6]);
        let _ = mapper.map_tile(0, 0, 3, 2, &mut xo, &mut yo);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = Header::parse(data) {
        let _ = Wcs::from_header(&header);
        exercise(&header);
        with_tables(&header, data);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(header) = Header::parse_text(text)
    {
        let _ = Wcs::from_header(&header);
        exercise(&header);
        with_tables(&header, data);
    }
});
