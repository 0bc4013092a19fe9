//! The `astro` command line, as a library module so that it can be tested in-process.
//!
//! `astro drizzle` has one flag per [`DrizzleConfig`] parameter, spelled as AstroDrizzle
//! spells it (`--final_pixfrac 0.8`; the kebab-case `--final-pixfrac` is accepted too),
//! grouped in `--help` by AstroDrizzle's sections, each showing its default. Values are
//! read in three layers: the defaults (AstroDrizzle's), then a TOML file (`--config`), then
//! the flags.
//!
//! ```
//! use astro_pipeline::cli::{Cli, Commands};
//! use clap::Parser;
//!
//! let cli = Cli::try_parse_from(["astro", "drizzle", "a_flt.fits", "b_flt.fits",
//!                                "--final_pixfrac", "0.8", "--static", "false"])?;
//! let Commands::Drizzle(args) = cli.command else { unreachable!() };
//! let cfg = args.config()?;
//! assert_eq!(cfg.input, "a_flt.fits,b_flt.fits");
//! assert_eq!(cfg.final_pixfrac, 0.8);
//! assert!(!cfg.static_mask);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::LazyLock;

use clap::{Args, Parser, Subcommand};

use crate::config::{
    BlotInterp, CombineTypeName, DrizzleConfig, FinalUnits, KernelName, Pair, ProcUnit, SkyMethod,
    SkyStat, WeightScale, WhtType, is_none_word,
};
use crate::demo::DemoOptions;
use crate::error::{Error, Result};

/// `--help` heading of the general parameters.
pub const GENERAL: &str = "General";
/// `--help` heading of AstroDrizzle's "STATE OF INPUT FILES" section.
pub const STATE: &str = "State of input files";
/// `--help` heading of AstroDrizzle's step 1.
pub const STEP1: &str = "Step 1: static mask";
/// `--help` heading of AstroDrizzle's step 2.
pub const STEP2: &str = "Step 2: sky subtraction";
/// `--help` heading of AstroDrizzle's step 3.
pub const STEP3: &str = "Step 3: separate drizzle";
/// `--help` heading of AstroDrizzle's step 3a.
pub const STEP3A: &str = "Step 3a: custom WCS for separate outputs";
/// `--help` heading of AstroDrizzle's step 4.
pub const STEP4: &str = "Step 4: median";
/// `--help` heading of AstroDrizzle's step 5.
pub const STEP5: &str = "Step 5: blot";
/// `--help` heading of AstroDrizzle's step 6.
pub const STEP6: &str = "Step 6: cosmic rays (driz_cr)";
/// `--help` heading of AstroDrizzle's step 7.
pub const STEP7: &str = "Step 7: final drizzle";
/// `--help` heading of AstroDrizzle's step 7a.
pub const STEP7A: &str = "Step 7a: custom WCS for final output";
/// `--help` heading of AstroDrizzle's instrument parameters.
pub const INSTRUMENT: &str = "Instrument parameters";
/// `--help` heading of the parameters that are ours, not AstroDrizzle's.
pub const EXTRAS: &str = "astro extras";
/// `--help` heading of `--config`, `--print-config` and `--write-config`.
pub const CONFIGURATION: &str = "Configuration file";

/// The `astro` command line.
///
/// ```
/// use clap::CommandFactory;
/// let help = astro_pipeline::cli::Cli::command().render_long_help().to_string();
/// assert!(help.contains("drizzle") && help.contains("demo"));
/// ```
#[derive(Debug, Clone, Parser)]
#[command(
    name = "astro",
    version,
    about = "Drizzle astronomical exposures (AstroDrizzle's pipeline, in Rust)",
    long_about = "Drizzle astronomical exposures: AstroDrizzle's pipeline (drizzlepac 3.11 \
                  parameters and defaults), in Rust.\n\nastro drizzle --help lists every \
                  parameter; astro demo runs the pipeline on a simulated dataset.",
    arg_required_else_help = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Commands,
}

/// The subcommands of `astro`.
///
/// ```
/// use astro_pipeline::cli::{Cli, Commands};
/// use clap::Parser;
/// let cli = Cli::try_parse_from(["astro", "demo", "--seed", "7"])?;
/// assert!(matches!(cli.command, Commands::Demo(ref d) if d.seed == Some(7)));
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(Debug, Clone, Subcommand)]
pub enum Commands {
    /// Combine calibrated exposures with AstroDrizzle's seven steps: static mask, sky,
    /// separate drizzle, median, blot, cosmic rays, final drizzle.
    Drizzle(Box<DrizzleArgs>),
    /// Simulate a small dithered multi-chip dataset, drizzle it, and say where the products
    /// went.
    Demo(DemoArgs),
}

/// The options of `astro demo` (unset = the demo's default, [`DemoOptions::default`]).
///
/// ```
/// use astro_pipeline::cli::{Cli, Commands};
/// use clap::Parser;
/// let cli = Cli::try_parse_from(["astro", "demo", "--out", "d", "--exposures", "4"])?;
/// let Commands::Demo(d) = cli.command else { unreachable!() };
/// let opts = d.options();
/// assert_eq!(opts.out_dir, std::path::Path::new("d"));
/// assert_eq!(opts.n_exposures, 4);
/// assert_eq!(opts.seed, astro_pipeline::DemoOptions::default().seed);
/// assert!(opts.verbose);
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(Debug, Clone, Default, Args)]
pub struct DemoArgs {
    /// Directory for the simulated inputs and the products.
    #[arg(long, value_name = "DIR",
          help = format!("Directory for the simulated inputs and the products [default: {}]",
                         DemoOptions::default().out_dir.display()))]
    pub out: Option<PathBuf>,
    /// Number of dithered exposures to simulate.
    #[arg(long, value_name = "N",
          help = format!("Number of dithered exposures to simulate [default: {}]",
                         DemoOptions::default().n_exposures))]
    pub exposures: Option<usize>,
    /// Seed of the random numbers (noise, stars, cosmic rays).
    #[arg(long, value_name = "S",
          help = format!("Seed of the random numbers (same seed, same files) [default: {}]",
                         DemoOptions::default().seed))]
    pub seed: Option<u64>,
    /// Threads to use (default: all cores).
    #[arg(long = "num_cores", alias = "num-cores", value_name = "INT")]
    pub num_cores: Option<usize>,
    /// Print only the final summary, not each step.
    #[arg(long)]
    pub quiet: bool,
}

impl DemoArgs {
    /// The demo's options: [`DemoOptions::default`] with the flags given.
    ///
    /// ```
    /// let opts = astro_pipeline::cli::DemoArgs { seed: Some(9), ..Default::default() }.options();
    /// assert_eq!(opts.seed, 9);
    /// ```
    pub fn options(&self) -> DemoOptions {
        let d = DemoOptions::default();
        DemoOptions {
            out_dir: self.out.clone().unwrap_or(d.out_dir),
            n_exposures: self.exposures.unwrap_or(d.n_exposures),
            seed: self.seed.unwrap_or(d.seed),
            num_cores: self.num_cores.or(d.num_cores),
            verbose: !self.quiet,
            ..d
        }
    }
}

/// A flag value that may be AstroDrizzle's `None` / `INDEF` (also accepted: an empty
/// string): `OrNone(None)`, else `OrNone(Some(value))`.
///
/// ```
/// use astro_pipeline::cli::OrNone;
/// assert_eq!("INDEF".parse::<OrNone<f64>>().unwrap(), OrNone(None));
/// assert_eq!("0.05".parse::<OrNone<f64>>().unwrap(), OrNone(Some(0.05)));
/// assert!("x".parse::<OrNone<f64>>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrNone<T>(pub Option<T>);

impl<T: FromStr> FromStr for OrNone<T>
where
    T::Err: std::fmt::Display,
{
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<OrNone<T>, String> {
        let t = s.trim();
        if is_none_word(t) {
            return Ok(OrNone(None));
        }
        t.parse::<T>()
            .map(|v| OrNone(Some(v)))
            .map_err(|e| format!("{e} (use None or INDEF for no value)"))
    }
}

impl<T> From<OrNone<T>> for Option<T> {
    fn from(v: OrNone<T>) -> Option<T> {
        v.0
    }
}

/// Parses a boolean flag value: `true`/`false`, `yes`/`no`, `t`/`f`, `y`/`n`, `on`/`off`,
/// `1`/`0`, in any case (AstroDrizzle users write `static=False`).
///
/// ```
/// use astro_pipeline::cli::parse_bool;
/// assert_eq!(parse_bool("False"), Ok(false));
/// assert_eq!(parse_bool("yes"), Ok(true));
/// assert!(parse_bool("maybe").is_err());
/// ```
pub fn parse_bool(s: &str) -> std::result::Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "on" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "off" | "0" => Ok(false),
        _ => Err(format!(
            "{s:?} is not a boolean: use true or false (or yes/no)"
        )),
    }
}

fn or_none<T: FromStr>(s: &str) -> std::result::Result<OrNone<T>, String>
where
    T::Err: std::fmt::Display,
{
    s.parse()
}

/// The effective value of every parameter in `DrizzleConfig::default()`, for `--help`.
static DEFAULTS: LazyLock<Vec<(String, String)>> =
    LazyLock::new(|| DrizzleConfig::default().parameters());

/// `text` followed by `[default: <AstroDrizzle's default>]`.
fn d(name: &str, text: &str) -> String {
    let value = DEFAULTS
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} is not a DrizzleConfig parameter"));
    if value.is_empty() {
        format!("{text} [default: \"\"]")
    } else {
        format!("{text} [default: {value}]")
    }
}

/// The options of `astro drizzle`: the inputs, the configuration file, and one flag per
/// [`DrizzleConfig`] parameter (unset flags keep the file's or the default value).
///
/// ```
/// use astro_pipeline::cli::{Cli, Commands};
/// use clap::Parser;
/// let cli = Cli::try_parse_from(["astro", "drizzle", "--input", "@list.txt",
///     "--final-kernel", "lanczos3", "--skywidth", "None", "--final_wht_type", "IVM"])?;
/// let Commands::Drizzle(args) = cli.command else { unreachable!() };
/// let cfg = args.config()?;
/// assert_eq!(cfg.input, "@list.txt");
/// assert_eq!(cfg.final_kernel, astro_pipeline::KernelName::Lanczos3);
/// assert_eq!(cfg.skywidth, None);
/// assert_eq!(cfg.final_wht_type, astro_pipeline::WhtType::Ivm);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, Args)]
#[command(
    allow_negative_numbers = true,
    after_long_help = "Values: booleans take true/false (or yes/no); parameters that may be None \
                       take None or INDEF; every flag also answers to its kebab-case spelling \
                       (--final-pixfrac). Precedence: defaults < --config file < flags."
)]
pub struct DrizzleArgs {
    /// The input exposures (AstroDrizzle's input): files, wildcards, @file lists; several
    /// are joined into one comma-separated list.
    #[arg(value_name = "INPUT", conflicts_with = "input", help_heading = GENERAL)]
    pub inputs: Vec<String>,

    // ---- general ----
    #[arg(long = "input", value_name = "FILES", help_heading = GENERAL,
          help = d("input", "Input exposures: a file, a wildcard, a comma list, or @file (name [ivm] per line)"))]
    input: Option<String>,
    #[arg(long = "output", value_name = "ROOT", help_heading = GENERAL,
          help = d("output", "Root name of the products (\"\" = from the first input)"))]
    output: Option<String>,
    #[arg(long = "runfile", value_name = "FILE", help_heading = GENERAL,
          help = d("runfile", "Log file (\"\" = none)"))]
    runfile: Option<String>,
    #[arg(long = "wcskey", value_name = "KEY", help_heading = GENERAL,
          help = d("wcskey", "Which WCS of the inputs to use: \"\" = primary, else a letter A-Z"))]
    wcskey: Option<String>,
    #[arg(long = "proc_unit", alias = "proc-unit", value_name = "UNIT", ignore_case = true, help_heading = GENERAL,
          help = d("proc_unit", "Units of the data between the steps"))]
    proc_unit: Option<ProcUnit>,
    #[arg(long = "coeffs", value_name = "BOOL", value_parser = parse_bool, help_heading = GENERAL,
          help = d("coeffs", "Apply the distortion stored in the headers (SIP, lookup tables)"))]
    coeffs: Option<bool>,
    #[arg(long = "context", value_name = "BOOL", value_parser = parse_bool, help_heading = GENERAL,
          help = d("context", "Build the context (which-input-contributed) image"))]
    context: Option<bool>,
    #[arg(long = "group", value_name = "EXTVERS", help_heading = GENERAL,
          help = d("group", "Chips to process, as a comma list of EXTVERs (\"\" = all)"))]
    group: Option<String>,
    #[arg(long = "build", value_name = "BOOL", value_parser = parse_bool, help_heading = GENERAL,
          help = d("build", "Write one multi-extension product (SCI, WHT, CTX) instead of three files"))]
    build: Option<bool>,
    #[arg(long = "crbit", value_name = "INT", help_heading = GENERAL,
          help = d("crbit", "DQ bit that marks the cosmic rays found"))]
    crbit: Option<u32>,
    #[arg(long = "stepsize", value_name = "INT", help_heading = GENERAL,
          help = d("stepsize", "Grid spacing (pixels) of the exact coordinate transform; interpolated between"))]
    stepsize: Option<u32>,
    #[arg(long = "resetbits", value_name = "BITS", help_heading = GENERAL,
          help = d("resetbits", "DQ bits cleared before processing"))]
    resetbits: Option<String>,
    #[arg(long = "num_cores", alias = "num-cores", value_name = "INT|None", value_parser = or_none::<usize>, help_heading = GENERAL,
          help = d("num_cores", "Threads to use (None = all cores, below 2 = one)"))]
    num_cores: Option<OrNone<usize>>,
    #[arg(long = "in_memory", alias = "in-memory", value_name = "BOOL", value_parser = parse_bool, help_heading = GENERAL,
          help = d("in_memory", "Keep the intermediate images in memory instead of writing them"))]
    in_memory: Option<bool>,
    #[arg(long = "rules_file", alias = "rules-file", value_name = "FILE", help_heading = GENERAL,
          help = d("rules_file", "Header-blending rules (accepted for compatibility; not used)"))]
    rules_file: Option<String>,

    // ---- state of input files ----
    #[arg(long = "restore", value_name = "BOOL", value_parser = parse_bool, help_heading = STATE,
          help = d("restore", "Copy the inputs back from OrIg_files/ before processing"))]
    restore: Option<bool>,
    #[arg(long = "preserve", value_name = "BOOL", value_parser = parse_bool, help_heading = STATE,
          help = d("preserve", "Archive the inputs in OrIg_files/ before they are modified"))]
    preserve: Option<bool>,
    #[arg(long = "overwrite", value_name = "BOOL", value_parser = parse_bool, help_heading = STATE,
          help = d("overwrite", "Replace an existing archived copy"))]
    overwrite: Option<bool>,
    #[arg(long = "clean", value_name = "BOOL", value_parser = parse_bool, help_heading = STATE,
          help = d("clean", "Delete the intermediate files at the end"))]
    clean: Option<bool>,

    // ---- step 1 ----
    #[arg(long = "static", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP1,
          help = d("static", "Mask pixels that are far below the sky in every exposure"))]
    static_mask: Option<bool>,
    #[arg(long = "static_sig", alias = "static-sig", value_name = "FLOAT", help_heading = STEP1,
          help = d("static_sig", "How many sigma below the mode a pixel must be to be masked"))]
    static_sig: Option<f64>,

    // ---- step 2 ----
    #[arg(long = "skysub", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP2,
          help = d("skysub", "Measure and subtract the sky"))]
    skysub: Option<bool>,
    #[arg(long = "skymethod", value_name = "METHOD", ignore_case = true, help_heading = STEP2,
          help = d("skymethod", "How the sky of each exposure is found"))]
    skymethod: Option<SkyMethod>,
    #[arg(long = "skystat", value_name = "STAT", ignore_case = true, help_heading = STEP2,
          help = d("skystat", "Statistic of the clipped sky pixels"))]
    skystat: Option<SkyStat>,
    #[arg(long = "skywidth", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP2,
          help = d("skywidth", "Histogram bin width, in sigma, for the mode"))]
    skywidth: Option<OrNone<f64>>,
    #[arg(long = "skylower", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP2,
          help = d("skylower", "Ignore sky pixels below this value (electrons)"))]
    skylower: Option<OrNone<f64>>,
    #[arg(long = "skyupper", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP2,
          help = d("skyupper", "Ignore sky pixels above this value (electrons)"))]
    skyupper: Option<OrNone<f64>>,
    #[arg(long = "skyclip", value_name = "INT", help_heading = STEP2,
          help = d("skyclip", "Number of sigma-clipping passes"))]
    skyclip: Option<u32>,
    #[arg(long = "skylsigma", value_name = "FLOAT", help_heading = STEP2,
          help = d("skylsigma", "Lower clipping limit, in sigma"))]
    skylsigma: Option<f64>,
    #[arg(long = "skyusigma", value_name = "FLOAT", help_heading = STEP2,
          help = d("skyusigma", "Upper clipping limit, in sigma"))]
    skyusigma: Option<f64>,
    #[arg(long = "skymask_cat", alias = "skymask-cat", value_name = "FILE", help_heading = STEP2,
          help = d("skymask_cat", "File listing a user mask for each image (\"\" = none)"))]
    skymask_cat: Option<String>,
    #[arg(long = "use_static", alias = "use-static", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP2,
          help = d("use_static", "Leave static-mask pixels out of the sky statistics"))]
    use_static: Option<bool>,
    #[arg(long = "sky_bits", alias = "sky-bits", value_name = "BITS", help_heading = STEP2,
          help = d("sky_bits", "DQ bits still counted as good sky"))]
    sky_bits: Option<String>,
    #[arg(long = "skyfile", value_name = "FILE", help_heading = STEP2,
          help = d("skyfile", "File of user sky values (name value per line) to subtract instead"))]
    skyfile: Option<String>,
    #[arg(long = "skyuser", value_name = "KEYWORD", help_heading = STEP2,
          help = d("skyuser", "Header keyword with a sky the user already subtracted"))]
    skyuser: Option<String>,

    // ---- step 3 ----
    #[arg(long = "driz_separate", alias = "driz-separate", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP3,
          help = d("driz_separate", "Drizzle each exposure onto its own output"))]
    driz_separate: Option<bool>,
    #[arg(long = "driz_sep_kernel", alias = "driz-sep-kernel", value_name = "KERNEL", ignore_case = true, help_heading = STEP3,
          help = d("driz_sep_kernel", "Footprint of a drizzled pixel"))]
    driz_sep_kernel: Option<KernelName>,
    #[arg(long = "driz_sep_wt_scl", alias = "driz-sep-wt-scl", value_name = "exptime|expsq|FLOAT", help_heading = STEP3,
          help = d("driz_sep_wt_scl", "Weight of each exposure"))]
    driz_sep_wt_scl: Option<WeightScale>,
    #[arg(long = "driz_sep_pixfrac", alias = "driz-sep-pixfrac", value_name = "FLOAT", help_heading = STEP3,
          help = d("driz_sep_pixfrac", "Drop size, as a fraction of the input pixel's side"))]
    driz_sep_pixfrac: Option<f64>,
    #[arg(long = "driz_sep_fillval", alias = "driz-sep-fillval", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP3,
          help = d("driz_sep_fillval", "Value of output pixels that received nothing (None = NaN)"))]
    driz_sep_fillval: Option<OrNone<f64>>,
    #[arg(long = "driz_sep_bits", alias = "driz-sep-bits", value_name = "BITS", help_heading = STEP3,
          help = d("driz_sep_bits", "DQ bits still drizzled as good"))]
    driz_sep_bits: Option<String>,
    #[arg(long = "driz_sep_compress", alias = "driz-sep-compress", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP3,
          help = d("driz_sep_compress", "Compress the single-drizzled files"))]
    driz_sep_compress: Option<bool>,

    // ---- step 3a ----
    #[arg(long = "driz_sep_wcs", alias = "driz-sep-wcs", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP3A,
          help = d("driz_sep_wcs", "Use the WCS defined below for the separate outputs"))]
    driz_sep_wcs: Option<bool>,
    #[arg(long = "driz_sep_refimage", alias = "driz-sep-refimage", value_name = "FITS[ext]", help_heading = STEP3A,
          help = d("driz_sep_refimage", "Image whose WCS is the output frame"))]
    driz_sep_refimage: Option<String>,
    #[arg(long = "driz_sep_rot", alias = "driz-sep-rot", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP3A,
          help = d("driz_sep_rot", "Orientation of the output +y axis, degrees east of north"))]
    driz_sep_rot: Option<OrNone<f64>>,
    #[arg(long = "driz_sep_scale", alias = "driz-sep-scale", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP3A,
          help = d("driz_sep_scale", "Output pixel size (arcsec)"))]
    driz_sep_scale: Option<OrNone<f64>>,
    #[arg(long = "driz_sep_outnx", alias = "driz-sep-outnx", value_name = "INT|None", value_parser = or_none::<usize>, help_heading = STEP3A,
          help = d("driz_sep_outnx", "Output width (pixels)"))]
    driz_sep_outnx: Option<OrNone<usize>>,
    #[arg(long = "driz_sep_outny", alias = "driz-sep-outny", value_name = "INT|None", value_parser = or_none::<usize>, help_heading = STEP3A,
          help = d("driz_sep_outny", "Output height (pixels)"))]
    driz_sep_outny: Option<OrNone<usize>>,
    #[arg(long = "driz_sep_ra", alias = "driz-sep-ra", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP3A,
          help = d("driz_sep_ra", "Right ascension of the output centre (degrees)"))]
    driz_sep_ra: Option<OrNone<f64>>,
    #[arg(long = "driz_sep_dec", alias = "driz-sep-dec", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP3A,
          help = d("driz_sep_dec", "Declination of the output centre (degrees)"))]
    driz_sep_dec: Option<OrNone<f64>>,
    #[arg(long = "driz_sep_crpix1", alias = "driz-sep-crpix1", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP3A,
          help = d("driz_sep_crpix1", "Reference pixel x (FITS, 1-based)"))]
    driz_sep_crpix1: Option<OrNone<f64>>,
    #[arg(long = "driz_sep_crpix2", alias = "driz-sep-crpix2", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP3A,
          help = d("driz_sep_crpix2", "Reference pixel y (FITS, 1-based)"))]
    driz_sep_crpix2: Option<OrNone<f64>>,

    // ---- step 4 ----
    #[arg(long = "median", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP4,
          help = d("median", "Combine the single-drizzled images into a clean reference"))]
    median: Option<bool>,
    #[arg(long = "median_newmasks", alias = "median-newmasks", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP4,
          help = d("median_newmasks", "Leave out pixels of low weight (see combine_maskpt)"))]
    median_newmasks: Option<bool>,
    #[arg(long = "combine_maskpt", alias = "combine-maskpt", value_name = "FLOAT", help_heading = STEP4,
          help = d("combine_maskpt", "Fraction of an image's mean weight below which its pixels are left out"))]
    combine_maskpt: Option<f64>,
    #[arg(long = "combine_type", alias = "combine-type", value_name = "TYPE", ignore_case = true, help_heading = STEP4,
          help = d("combine_type", "How the images are combined"))]
    combine_type: Option<CombineTypeName>,
    #[arg(long = "combine_nsigma", alias = "combine-nsigma", value_name = "\"F F\"", help_heading = STEP4,
          help = d("combine_nsigma", "minmed: significance (two values) for taking the minimum over the median"))]
    combine_nsigma: Option<Pair>,
    #[arg(long = "combine_nlow", alias = "combine-nlow", value_name = "INT", help_heading = STEP4,
          help = d("combine_nlow", "Lowest values left out at each pixel"))]
    combine_nlow: Option<u32>,
    #[arg(long = "combine_nhigh", alias = "combine-nhigh", value_name = "INT", help_heading = STEP4,
          help = d("combine_nhigh", "Highest values left out at each pixel"))]
    combine_nhigh: Option<u32>,
    #[arg(long = "combine_lthresh", alias = "combine-lthresh", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP4,
          help = d("combine_lthresh", "Values below this are left out"))]
    combine_lthresh: Option<OrNone<f64>>,
    #[arg(long = "combine_hthresh", alias = "combine-hthresh", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP4,
          help = d("combine_hthresh", "Values at or above this are left out"))]
    combine_hthresh: Option<OrNone<f64>>,
    #[arg(long = "combine_grow", alias = "combine-grow", value_name = "INT", help_heading = STEP4,
          help = d("combine_grow", "minmed: radius (pixels) of the neighbour rejection"))]
    combine_grow: Option<u32>,
    #[arg(long = "combine_bufsize", alias = "combine-bufsize", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP4,
          help = d("combine_bufsize", "Memory per input image for the median (MiB)"))]
    combine_bufsize: Option<OrNone<f64>>,

    // ---- step 5 ----
    #[arg(long = "blot", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP5,
          help = d("blot", "Map the median back onto each input chip"))]
    blot: Option<bool>,
    #[arg(long = "blot_interp", alias = "blot-interp", value_name = "INTERP", ignore_case = true, help_heading = STEP5,
          help = d("blot_interp", "Interpolant used to resample the median"))]
    blot_interp: Option<BlotInterp>,
    #[arg(long = "blot_sinscl", alias = "blot-sinscl", value_name = "FLOAT", help_heading = STEP5,
          help = d("blot_sinscl", "Width scale of the sinc interpolant"))]
    blot_sinscl: Option<f64>,
    #[arg(long = "blot_addsky", alias = "blot-addsky", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP5,
          help = d("blot_addsky", "Add each chip's subtracted sky (MDRIZSKY) back"))]
    blot_addsky: Option<bool>,
    #[arg(long = "blot_skyval", alias = "blot-skyval", value_name = "FLOAT", help_heading = STEP5,
          help = d("blot_skyval", "Sky value added instead when blot_addsky is false"))]
    blot_skyval: Option<f64>,

    // ---- step 6 ----
    #[arg(long = "driz_cr", alias = "driz-cr", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP6,
          help = d("driz_cr", "Flag cosmic rays by comparing each chip with its blotted median"))]
    driz_cr: Option<bool>,
    #[arg(long = "driz_cr_corr", alias = "driz-cr-corr", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP6,
          help = d("driz_cr_corr", "Also write the cleaned inputs (_crclean) and the masks (_crmask)"))]
    driz_cr_corr: Option<bool>,
    #[arg(long = "driz_cr_snr", alias = "driz-cr-snr", value_name = "\"F F\"", help_heading = STEP6,
          help = d("driz_cr_snr", "Detection thresholds in sigma: strict, then loose for neighbours"))]
    driz_cr_snr: Option<Pair>,
    #[arg(long = "driz_cr_grow", alias = "driz-cr-grow", value_name = "INT", help_heading = STEP6,
          help = d("driz_cr_grow", "Width of the box each detection is grown to (1 = no growth)"))]
    driz_cr_grow: Option<u32>,
    #[arg(long = "driz_cr_ctegrow", alias = "driz-cr-ctegrow", value_name = "INT", help_heading = STEP6,
          help = d("driz_cr_ctegrow", "Length (pixels) of the CTE-trail growth along y (0 = none)"))]
    driz_cr_ctegrow: Option<u32>,
    #[arg(long = "driz_cr_scale", alias = "driz-cr-scale", value_name = "\"F F\"", help_heading = STEP6,
          help = d("driz_cr_scale", "Weights of the median's gradient in the noise: strict, loose"))]
    driz_cr_scale: Option<Pair>,

    // ---- step 7 ----
    #[arg(long = "driz_combine", alias = "driz-combine", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP7,
          help = d("driz_combine", "Drizzle all exposures onto the final output"))]
    driz_combine: Option<bool>,
    #[arg(long = "final_wht_type", alias = "final-wht-type", value_name = "TYPE", ignore_case = true, help_heading = STEP7,
          help = d("final_wht_type", "Weighting of the input pixels"))]
    final_wht_type: Option<WhtType>,
    #[arg(long = "final_kernel", alias = "final-kernel", value_name = "KERNEL", ignore_case = true, help_heading = STEP7,
          help = d("final_kernel", "Footprint of a drizzled pixel"))]
    final_kernel: Option<KernelName>,
    #[arg(long = "final_wt_scl", alias = "final-wt-scl", value_name = "exptime|expsq|FLOAT", help_heading = STEP7,
          help = d("final_wt_scl", "Weight of each exposure"))]
    final_wt_scl: Option<WeightScale>,
    #[arg(long = "final_pixfrac", alias = "final-pixfrac", value_name = "FLOAT", help_heading = STEP7,
          help = d("final_pixfrac", "Drop size, as a fraction of the input pixel's side"))]
    final_pixfrac: Option<f64>,
    #[arg(long = "final_fillval", alias = "final-fillval", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7,
          help = d("final_fillval", "Value of output pixels that received nothing (None = NaN)"))]
    final_fillval: Option<OrNone<f64>>,
    #[arg(long = "final_maskval", alias = "final-maskval", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7,
          help = d("final_maskval", "Value for input pixels outside the SCI image (accepted; no effect)"))]
    final_maskval: Option<OrNone<f64>>,
    #[arg(long = "final_bits", alias = "final-bits", value_name = "BITS", help_heading = STEP7,
          help = d("final_bits", "DQ bits still drizzled as good"))]
    final_bits: Option<String>,
    #[arg(long = "final_units", alias = "final-units", value_name = "UNITS", ignore_case = true, help_heading = STEP7,
          help = d("final_units", "Units of the final image"))]
    final_units: Option<FinalUnits>,

    // ---- step 7a ----
    #[arg(long = "final_wcs", alias = "final-wcs", value_name = "BOOL", value_parser = parse_bool, help_heading = STEP7A,
          help = d("final_wcs", "Use the WCS defined below for the final output"))]
    final_wcs: Option<bool>,
    #[arg(long = "final_refimage", alias = "final-refimage", value_name = "FITS[ext]", help_heading = STEP7A,
          help = d("final_refimage", "Image whose WCS is the output frame"))]
    final_refimage: Option<String>,
    #[arg(long = "final_rot", alias = "final-rot", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7A,
          help = d("final_rot", "Orientation of the output +y axis, degrees east of north"))]
    final_rot: Option<OrNone<f64>>,
    #[arg(long = "final_scale", alias = "final-scale", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7A,
          help = d("final_scale", "Output pixel size (arcsec)"))]
    final_scale: Option<OrNone<f64>>,
    #[arg(long = "final_outnx", alias = "final-outnx", value_name = "INT|None", value_parser = or_none::<usize>, help_heading = STEP7A,
          help = d("final_outnx", "Output width (pixels)"))]
    final_outnx: Option<OrNone<usize>>,
    #[arg(long = "final_outny", alias = "final-outny", value_name = "INT|None", value_parser = or_none::<usize>, help_heading = STEP7A,
          help = d("final_outny", "Output height (pixels)"))]
    final_outny: Option<OrNone<usize>>,
    #[arg(long = "final_ra", alias = "final-ra", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7A,
          help = d("final_ra", "Right ascension of the output centre (degrees)"))]
    final_ra: Option<OrNone<f64>>,
    #[arg(long = "final_dec", alias = "final-dec", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7A,
          help = d("final_dec", "Declination of the output centre (degrees)"))]
    final_dec: Option<OrNone<f64>>,
    #[arg(long = "final_crpix1", alias = "final-crpix1", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7A,
          help = d("final_crpix1", "Reference pixel x (FITS, 1-based)"))]
    final_crpix1: Option<OrNone<f64>>,
    #[arg(long = "final_crpix2", alias = "final-crpix2", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = STEP7A,
          help = d("final_crpix2", "Reference pixel y (FITS, 1-based)"))]
    final_crpix2: Option<OrNone<f64>>,

    // ---- instrument parameters ----
    #[arg(long = "gain", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = INSTRUMENT,
          help = d("gain", "Gain (e-/DN) to use instead of the headers'"))]
    gain: Option<OrNone<f64>>,
    #[arg(long = "gnkeyword", alias = "gainkeyword", value_name = "KEYWORD|None", value_parser = or_none::<String>, help_heading = INSTRUMENT,
          help = d("gnkeyword", "Header keyword to read the gain from"))]
    gnkeyword: Option<OrNone<String>>,
    #[arg(long = "rdnoise", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = INSTRUMENT,
          help = d("rdnoise", "Read noise (e-) to use instead of the headers'"))]
    rdnoise: Option<OrNone<f64>>,
    #[arg(long = "rnkeyword", alias = "rdnoisekeyword", value_name = "KEYWORD|None", value_parser = or_none::<String>, help_heading = INSTRUMENT,
          help = d("rnkeyword", "Header keyword to read the read noise from"))]
    rnkeyword: Option<OrNone<String>>,
    #[arg(long = "exptime", value_name = "FLOAT|None", value_parser = or_none::<f64>, help_heading = INSTRUMENT,
          help = d("exptime", "Exposure time (s) to use instead of the headers'"))]
    exptime: Option<OrNone<f64>>,
    #[arg(long = "expkeyword", alias = "exptimekeyword", value_name = "KEYWORD|None", value_parser = or_none::<String>, help_heading = INSTRUMENT,
          help = d("expkeyword", "Header keyword to read the exposure time from"))]
    expkeyword: Option<OrNone<String>>,

    // ---- ours ----
    #[arg(long = "update_inputs", alias = "update-inputs", value_name = "BOOL", value_parser = parse_bool, help_heading = EXTRAS,
          help = d("update_inputs", "Write MDRIZSKY and the cosmic-ray DQ bits into the input files (archived first when preserve)"))]
    update_inputs: Option<bool>,
    #[arg(long = "previews", value_name = "BOOL", value_parser = parse_bool, help_heading = EXTRAS,
          help = d("previews", "Write PNG previews of the final image and weight"))]
    previews: Option<bool>,
    #[arg(long = "progress", value_name = "BOOL", value_parser = parse_bool, help_heading = EXTRAS,
          help = d("progress", "Show progress bars on the terminal"))]
    progress: Option<bool>,

    /// Read parameters from this TOML file (final_pixfrac = 0.8, one per line); flags
    /// given on the command line override it.
    #[arg(long, value_name = "FILE", help_heading = CONFIGURATION)]
    pub config: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit without running.
    #[arg(long, help_heading = CONFIGURATION)]
    pub print_config: bool,
    /// Write the effective configuration as TOML to FILE and exit without running.
    #[arg(long, value_name = "FILE", help_heading = CONFIGURATION)]
    pub write_config: Option<PathBuf>,
}

impl DrizzleArgs {
    /// Overrides the parameters of `cfg` that were given as flags (or as positional inputs).
    ///
    /// ```
    /// use astro_pipeline::{cli::{Cli, Commands}, DrizzleConfig};
    /// use clap::Parser;
    /// let cli = Cli::try_parse_from(["astro", "drizzle", "--final_scale", "0.05"])?;
    /// let Commands::Drizzle(args) = cli.command else { unreachable!() };
    /// let mut cfg = DrizzleConfig { final_pixfrac: 0.7, ..Default::default() };
    /// args.apply_to(&mut cfg);
    /// assert_eq!((cfg.final_pixfrac, cfg.final_scale), (0.7, Some(0.05)));
    /// # Ok::<(), clap::Error>(())
    /// ```
    pub fn apply_to(&self, cfg: &mut DrizzleConfig) {
        macro_rules! set {
            ($($field:ident),* $(,)?) => {$(
                if let Some(v) = &self.$field {
                    cfg.$field = v.clone().into();
                }
            )*};
        }
        set!(
            input,
            output,
            runfile,
            wcskey,
            proc_unit,
            coeffs,
            context,
            group,
            build,
            crbit,
            stepsize,
            resetbits,
            num_cores,
            in_memory,
            rules_file,
            restore,
            preserve,
            overwrite,
            clean,
            static_mask,
            static_sig,
            skysub,
            skymethod,
            skystat,
            skywidth,
            skylower,
            skyupper,
            skyclip,
            skylsigma,
            skyusigma,
            skymask_cat,
            use_static,
            sky_bits,
            skyfile,
            skyuser,
            driz_separate,
            driz_sep_kernel,
            driz_sep_wt_scl,
            driz_sep_pixfrac,
            driz_sep_fillval,
            driz_sep_bits,
            driz_sep_compress,
            driz_sep_wcs,
            driz_sep_refimage,
            driz_sep_rot,
            driz_sep_scale,
            driz_sep_outnx,
            driz_sep_outny,
            driz_sep_ra,
            driz_sep_dec,
            driz_sep_crpix1,
            driz_sep_crpix2,
            median,
            median_newmasks,
            combine_maskpt,
            combine_type,
            combine_nsigma,
            combine_nlow,
            combine_nhigh,
            combine_lthresh,
            combine_hthresh,
            combine_grow,
            combine_bufsize,
            blot,
            blot_interp,
            blot_sinscl,
            blot_addsky,
            blot_skyval,
            driz_cr,
            driz_cr_corr,
            driz_cr_snr,
            driz_cr_grow,
            driz_cr_ctegrow,
            driz_cr_scale,
            driz_combine,
            final_wht_type,
            final_kernel,
            final_wt_scl,
            final_pixfrac,
            final_fillval,
            final_maskval,
            final_bits,
            final_units,
            final_wcs,
            final_refimage,
            final_rot,
            final_scale,
            final_outnx,
            final_outny,
            final_ra,
            final_dec,
            final_crpix1,
            final_crpix2,
            gain,
            gnkeyword,
            rdnoise,
            rnkeyword,
            exptime,
            expkeyword,
            update_inputs,
            previews,
            progress,
        );
        if !self.inputs.is_empty() {
            cfg.input = self.inputs.join(",");
        }
    }

    /// The effective configuration: AstroDrizzle's defaults, overridden by the `--config`
    /// file when one is given, overridden by the flags. Not yet validated (see
    /// [`DrizzleConfig::validate`]).
    ///
    /// ```
    /// use astro_pipeline::cli::{Cli, Commands};
    /// use clap::Parser;
    /// let dir = tempfile::tempdir()?;
    /// let toml = dir.path().join("run.toml");
    /// std::fs::write(&toml, "final_pixfrac = 0.6\nfinal_scale = 0.04\n")?;
    /// let cli = Cli::try_parse_from(["astro", "drizzle", "--config", toml.to_str().unwrap(),
    ///                                "--final_pixfrac", "0.8"])?;
    /// let Commands::Drizzle(args) = cli.command else { unreachable!() };
    /// let cfg = args.config()?;
    /// assert_eq!((cfg.final_pixfrac, cfg.final_scale), (0.8, Some(0.04)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> Result<DrizzleConfig> {
        let mut cfg = match &self.config {
            Some(path) => DrizzleConfig::from_toml_file(path)?,
            None => DrizzleConfig::default(),
        };
        self.apply_to(&mut cfg);
        Ok(cfg)
    }
}

/// The text `astro` prints for an error: `astro: error: <message>`, then one
/// `  caused by: <source>` line per source in the chain whose text the lines above do not
/// already contain.
///
/// ```
/// let e = astro_pipeline::Error::io("out/x.fits", std::io::Error::other("disk full"));
/// assert_eq!(astro_pipeline::cli::error_report(&e), "astro: error: out/x.fits: disk full");
/// ```
pub fn error_report(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("astro: error: {err}");
    let mut source = err.source();
    while let Some(s) = source {
        let line = s.to_string();
        if !text.contains(&line) {
            let _ = write!(text, "\n  caused by: {line}");
        }
        source = s.source();
    }
    text
}

/// Writes the effective configuration as TOML to `path`, with a comment line saying where
/// it came from.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("run.toml");
/// let cfg = astro_pipeline::DrizzleConfig { final_pixfrac: 0.8, ..Default::default() };
/// astro_pipeline::cli::write_config(&cfg, &path)?;
/// assert_eq!(astro_pipeline::DrizzleConfig::from_toml_file(&path)?, cfg);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_config(cfg: &DrizzleConfig, path: &std::path::Path) -> Result<()> {
    let text = format!(
        "# astro drizzle configuration (astro {}); every AstroDrizzle parameter\n{}",
        env!("CARGO_PKG_VERSION"),
        cfg.to_toml_string()
    );
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}
