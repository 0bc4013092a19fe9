//! AstroDrizzle-style pipelines and the `astro` command-line tool.
//!
//! This crate composes the other astro-* crates into AstroDrizzle's seven steps — static
//! mask, sky subtraction, separate drizzle, median, blot, cosmic-ray detection, final
//! drizzle — configured by [`DrizzleConfig`], whose fields carry AstroDrizzle's parameter
//! names and defaults. It is the only crate besides `astro-fits` that knows files exist.
//!
//! The happy path: name the inputs, change what differs from AstroDrizzle's defaults, run.
//!
//! ```
//! use astro_pipeline::{DemoOptions, DrizzleConfig, KernelName, run, simulate};
//!
//! let dir = tempfile::tempdir()?;
//! // Two small simulated two-chip exposures stand in for your *_flt.fits files.
//! let opts = DemoOptions { out_dir: dir.path().into(), n_exposures: 2, chip_shape: (48, 96), verbose: false, ..Default::default() };
//! simulate(&opts)?;
//! let cfg = DrizzleConfig {
//!     input: dir.path().join("*_flt.fits").display().to_string(),
//!     output: dir.path().join("example").display().to_string(),
//!     final_kernel: KernelName::Square,
//!     final_pixfrac: 0.8,
//!     in_memory: true,
//!     runfile: String::new(),
//!     previews: false,
//!     progress: false,
//!     ..Default::default()
//! };
//! let summary = run(&cfg)?;
//! assert!(summary.products.iter().any(|p| p.ends_with("example_drz_sci.fits")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`run_exposures`] does the same on [`Exposure`]s already in memory and writes nothing;
//! `astro drizzle --help` lists every parameter of the command-line form.
#![forbid(unsafe_code)]

pub mod cli;
mod config;
mod demo;
mod error;
mod exposure;
mod inputs;
mod log;
mod preview;
mod products;
mod run;
mod safety;
mod steps;

pub use config::{
    ASTRODRIZZLE_PARAMETERS, BlotInterp, CombineTypeName, DrizzleConfig, EXTRA_PARAMETERS,
    FinalUnits, KernelName, Pair, ProcUnit, SkyMethod, SkyStat, WeightScale, WhtType,
};
pub use demo::{
    CR_MARGINAL_SIGMA, CR_SIGNIFICANT_SIGMA, CrRecovery, DEMO_FULL_WELL, DEMO_OUTPUT,
    DEMO_PIXEL_SCALE, DEMO_READ_NOISE, DQ_BAD_PIXEL, DQ_HOT_PIXEL, DQ_SATURATED, DemoInput,
    DemoOptions, DemoReport, FinalComparison, Galaxy, Scene, SimulatedChip, SimulatedExposure,
    Simulation, Star, run_demo, simulate, simulate_scene,
};
pub use error::{Error, Result};
pub use exposure::{Chip, DataUnits, Exposure};
pub use inputs::{InputFile, resolve_inputs};
pub use preview::{
    NO_DATA_SHADE, PREVIEW_MAX_SIZE, SCI_HIGH_PERCENTILE, SCI_LOW_PERCENTILE, preview_shape,
    render_preview, render_weight_preview, write_preview, write_weight_preview,
};
pub use products::{FinalImages, ProductNames, write_final, write_image, write_mask};
pub use run::{Drizzled, RunSummary, run, run_exposures};
pub use safety::{ARCHIVE_DIR, archive_path, restore_inputs, update_inputs};
