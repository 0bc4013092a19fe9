//! AstroDrizzle-style pipelines and the `astro` command-line tool.
//!
//! This crate composes the other astro-* crates into AstroDrizzle's seven steps — static
//! mask, sky subtraction, separate drizzle, median, blot, cosmic-ray detection, final
//! drizzle — configured by [`DrizzleConfig`], whose fields carry AstroDrizzle's parameter
//! names and defaults. It is the only crate besides `astro-fits` that knows files exist.
#![forbid(unsafe_code)]

pub mod cli;
mod config;
mod error;
mod exposure;
mod inputs;
mod products;
mod safety;

pub use config::{
    ASTRODRIZZLE_PARAMETERS, BlotInterp, CombineTypeName, DrizzleConfig, EXTRA_PARAMETERS,
    FinalUnits, KernelName, Pair, ProcUnit, SkyMethod, SkyStat, WeightScale, WhtType,
};
pub use error::{Error, Result};
pub use exposure::{Chip, DataUnits, Exposure};
pub use inputs::{InputFile, resolve_inputs};
pub use products::{FinalImages, ProductNames, write_final, write_image, write_mask};
pub use safety::{ARCHIVE_DIR, archive_path, restore_inputs, update_inputs};
