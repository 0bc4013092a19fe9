//! Fuzz the FITS header parser: any bytes must give a header or an error, never a panic,
//! and a parsed header must serialize and parse back to itself.
#![no_main]

use astro_wcs::Header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for parsed in [Header::parse(data), std::str::from_utf8(data).map_or_else(|_| Header::parse(data), Header::parse_text)] {
        if let Ok(header) = parsed {
            if let Ok(bytes) = header.to_bytes() {
                let back = Header::parse(&bytes).expect("our own output must parse");
                assert_eq!(back.len(), header.len());
            }
        }
    }
});
