//! Robust statistics, sky, image stacks and cosmic-ray detection.
//!
//! **Status: not yet implemented.** This crate will hold AstroDrizzle's steps 2, 4 and 6
//! and the JWST outlier step (issue "astro-combine"):
//!
//! - sigma-clipped statistics and the histogram mode;
//! - sky estimation (`localmin`, `globalmin`, `match`, `globalmin+match`);
//! - median, mean and minmed stacks streamed in row bands under one total memory budget;
//! - cosmic-ray detection with the driz_cr rule and the stcal variant.
//!
//! It will see only `ndarray` views and masks, never files.
#![forbid(unsafe_code)]
