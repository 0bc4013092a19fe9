//! Fuzz the good-bits spec parser: any string, with or without a flag-name map, must give a
//! `GoodBits` or a typed error, never a panic; an accepted spec must print to a canonical
//! spec that parses back to the same value.
#![no_main]

use astro_mask::{FlagMap, GoodBits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [
        GoodBits::parse(text),
        GoodBits::parse_with(text, FlagMap::jwst()),
    ] {
        if let Ok(bits) = parsed {
            let canonical = bits.to_string();
            assert_eq!(
                GoodBits::parse(&canonical).expect("canonical spec parses"),
                bits
            );
            let named = bits.display_with(FlagMap::jwst());
            assert_eq!(
                GoodBits::parse_with(&named, FlagMap::jwst()).expect("named spec parses"),
                bits
            );
            let _ = bits.check_width(16);
        }
    }
});
