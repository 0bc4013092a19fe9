//! Fuzz astro-fits's byte-level FITS editor (`RawFits`, used to update inputs in place):
//! any bytes must locate HDUs or give an error, never a panic; an edited header must be
//! whole blocks and, written back where it fits, leave a file that locates the same HDUs;
//! OR-ing bits into any HDU must succeed or give an error, never a panic.
#![no_main]

use astro_fits::{BLOCK_LEN, RawFits};
use astro_wcs::Card;
use libfuzzer_sys::fuzz_target;
use ndarray::Array2;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = RawFits::parse("fuzz.fits", data) else {
        return;
    };
    for (i, h) in raw.hdus().iter().enumerate() {
        assert!(h.data_start() + h.padded_data_len() <= data.len());
        if let Ok(header) = raw.header_with_card(i, &Card::new("MDRIZSKY", 1.5)) {
            assert_eq!(header.len() % BLOCK_LEN, 0);
            if header.len() == h.header_len() {
                let mut bytes = data.to_vec();
                bytes[h.start()..h.start() + header.len()].copy_from_slice(&header);
                let again = RawFits::parse("fuzz.fits", &bytes).expect("an edited header parses");
                assert_eq!(again.hdus().len(), raw.hdus().len());
            }
        }
        if h.shape().len() == 2 && h.shape().iter().product::<usize>() <= 1 << 16 {
            let mask = Array2::from_elem((h.shape()[0], h.shape()[1]), true);
            let mut bytes = data[h.data_start()..h.data_start() + h.data_len()].to_vec();
            let _ = raw.or_bits(i, &mut bytes, mask.view(), 4);
        }
    }
});
