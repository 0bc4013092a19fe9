//! Source detection, catalog matching, transform fitting and WCS correction.
//!
//! **Status: not yet implemented.** This crate will hold the TweakReg step (issue
//! "astro-align"): DAOFind-like detection, 2-D-histogram and tolerance matching, a
//! triangle matcher for large offsets, `shift`/`rscale`/`general` fits with sigma
//! clipping, tweakwcs-style WCS correction and residual plots.
#![forbid(unsafe_code)]
