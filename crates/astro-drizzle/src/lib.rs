//! Drizzle and blot for astronomical images.
//!
//! **Status: not yet implemented.** This crate will hold the heart of the project
//! (issue "astro-drizzle"):
//!
//! - `PixelMap`: input pixel → output pixel from two `astro_wcs::Wcs`, exact or on a coarse
//!   grid with a bounded interpolation error, generated tile by tile;
//! - `Drizzle`: the accumulator of Fruchter & Hook (2002) with the square, turbo, point,
//!   gaussian, lanczos2 and lanczos3 kernels, weights, context and variance arrays;
//! - `blot`: a drizzled image interpolated back onto an input grid.
//!
//! It will see only `ndarray` views and `astro_wcs` types, never files.
#![forbid(unsafe_code)]
