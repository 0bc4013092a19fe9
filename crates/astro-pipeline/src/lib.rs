//! AstroDrizzle-style pipelines and the `astro` command-line tool.
//!
//! This crate composes the other astro-* crates into AstroDrizzle's seven steps — static
//! mask, sky subtraction, separate drizzle, median, blot, cosmic-ray detection, final
//! drizzle — configured by [`DrizzleConfig`], whose fields carry AstroDrizzle's parameter
//! names and defaults. It is the only crate besides `astro-fits` that knows files exist.
#![forbid(unsafe_code)]

pub mod cli;
mod config;
mod demo;
mod error;
mod exposure;
mod preview;
mod inputs;
mod products;
mod safety;
mod log;
mod run;
mod steps;

pub use config::{
    ASTRODRIZZLE_PARAMETERS, BlotInterp, CombineTypeName, DrizzleConfig, EXTRA_PARAMETERS,
    FinalUnits, KernelName, Pair, ProcUnit, SkyMethod, SkyStat, WeightScale, WhtType,
};
pub use error::{Error, Result};
pub use exposure::{Chip, DataUnits, Exposure};
pub use inputs::{InputFile, resolve_inputs};
pub use products::{FinalImages, ProductNames, write_final, write_image, write_mask};
pub use safety::{ARCHIVE_DIR, archive_path, restore_inputs, update_inputs};
pub use run::{Drizzled, RunSummary, run, run_exposures};
pub use demo::{
    CR_MARGINAL_SIGMA, CR_SIGNIFICANT_SIGMA, CrRecovery, DEMO_FULL_WELL, DEMO_OUTPUT,
    DEMO_PIXEL_SCALE, DEMO_READ_NOISE, DQ_BAD_PIXEL, DQ_HOT_PIXEL, DQ_SATURATED, DemoInput,
    DemoOptions, DemoReport, FinalComparison, Galaxy, Scene, SimulatedChip, SimulatedExposure,
    Simulation, Star, run_demo, simulate, simulate_scene,
};
pub use preview::{
    NO_DATA_SHADE, PREVIEW_MAX_SIZE, SCI_HIGH_PERCENTILE, SCI_LOW_PERCENTILE, preview_shape,
    render_preview, render_weight_preview, write_preview, write_weight_preview,
};
