//! Robust statistics, sky, image stacks and cosmic-ray detection — AstroDrizzle's steps 2
//! (sky), 4 (median) and 6 (driz_cr), and the JWST/stcal outlier step, on `ndarray` views
//! and row sources, never files.
//!
//! * statistics: [`clipped_stats`] (stsci.imagestats / skypac `SkyStats`: clipped mean,
//!   median, mode, midpt with lower/upper limits and separate sigmas), [`computesig`],
//!   [`sigma_clipped_stats`] (astropy semantics);
//! * sky: [`compute_sky`] with `localmin`, `globalmin`, `match`, `globalmin+match`
//!   ([`SkyMethod`]), or user values ([`SkyResult::from_user`]) → `MDRIZSKY` per chip;
//! * stacks: [`combine`] / [`combine_into`] — median, mean, minmed and the "i" variants,
//!   nlow/nhigh, thresholds, weight masks with `combine_maskpt`, streamed in row bands
//!   under one total budget `combine_bufsize` from [`RowSource`]s to a [`RowSink`];
//! * cosmic rays: [`qderiv`], [`driz_cr`], [`cr_clean`], and stcal's
//!   [`flag_resampled_crs`] / [`flag_crs`].
//!
//! The happy path — the median of a stack of three images:
//!
//! ```
//! use astro_combine::{combine, ArraySource, CombineParams, StackInput};
//! let images: Vec<ndarray::Array2<f32>> = (1..=3).map(|k| ndarray::Array2::from_elem((64, 64), k as f32)).collect();
//! let inputs = images.iter().map(|a| StackInput::new(ArraySource::new(a.view()))).collect();
//! let median = combine(inputs, &CombineParams::default())?.image;
//! assert!(median.iter().all(|&v| v == 2.0));
//! # Ok::<(), astro_combine::CombineError>(())
//! ```
//!
//! Parity with drizzlepac 3.11, stsci.image 2.3.11, stsci.skypac 1.0.12 and astropy is
//! checked by `parity/tests/combine.rs` against fixtures made by
//! `parity/scripts/gen_combine_fixtures.py`. With the `rayon` feature (default) the work is
//! parallel and the results are bit-identical for any number of threads (pixels are
//! independent; reductions run in a fixed order).
#![forbid(unsafe_code)]

mod cr;
mod error;
mod sky;
mod stack;
mod stats;

pub use astro_mask::CteDirection;
pub use cr::{
    ChipNoise, DrizCrParams, OutlierParams, abs_deriv, cr_clean, driz_cr, flag_crs,
    flag_resampled_crs, median_filter, qderiv,
};
pub use error::{CombineError, Result};
pub use sky::{
    SkyChip, SkyExposure, SkyGrid, SkyMethod, SkyParams, SkyResult, chip_skies, chip_sky,
    compute_sky,
};
pub use stack::{
    ArraySource, CombineOutput, CombineParams, CombineType, ConstantSource, RowSink, RowSource,
    StackInput, combine, combine_into,
};
pub use stats::{
    CenFunc, ClipParams, ClippedStats, SigmaClip, SkyStatistic, StdFunc, clipped_stats,
    clipped_stats_many, computesig, sigma_clipped_stats,
};
