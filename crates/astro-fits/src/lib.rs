//! FITS image I/O for the astro-* crates.
