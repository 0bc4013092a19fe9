//! Image interpolation and polynomial surface fits.
#![forbid(unsafe_code)]

pub mod surface;
