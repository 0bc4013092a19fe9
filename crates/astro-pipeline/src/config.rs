//! The typed configuration of an AstroDrizzle-style run.
//!
//! [`DrizzleConfig`] has one field per AstroDrizzle parameter, spelled as AstroDrizzle
//! spells it (`final_pixfrac`, `driz_sep_bits`, `combine_type`...), and its
//! [`Default`] is AstroDrizzle's default (drizzlepac 3.11 `astrodrizzle.cfgspc`). It reads
//! from a flat TOML file (`final_pixfrac = 0.8`), prints back to one, and is what the
//! `astro drizzle` command line fills in.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Units the pipeline works in between the steps (`proc_unit`).
///
/// ```
/// assert_eq!("electrons".parse::<astro_pipeline::ProcUnit>().unwrap(), astro_pipeline::ProcUnit::Electrons);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ProcUnit {
    /// The units of the input files.
    #[default]
    Native,
    /// Electrons (counts × gain).
    Electrons,
}

/// How the sky of each exposure is computed (`skymethod`).
///
/// ```
/// use astro_pipeline::SkyMethod;
/// assert_eq!("globalmin+match".parse::<SkyMethod>().unwrap(), SkyMethod::GlobalminMatch);
/// assert_eq!(SkyMethod::GlobalminMatch.to_string(), "globalmin+match");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum SkyMethod {
    /// Per exposure, the minimum over its chips (AstroDrizzle's default).
    #[default]
    #[serde(rename = "localmin")]
    #[value(name = "localmin")]
    Localmin,
    /// The minimum over all chips of all exposures.
    #[serde(rename = "globalmin")]
    #[value(name = "globalmin")]
    Globalmin,
    /// Sky differences matched in the overlaps; the lowest is 0.
    #[serde(rename = "match")]
    #[value(name = "match")]
    Match,
    /// `match`, then the global minimum added to all.
    #[serde(rename = "globalmin+match")]
    #[value(name = "globalmin+match")]
    GlobalminMatch,
}

/// The statistic of the sky pixels (`skystat`).
///
/// ```
/// assert_eq!(astro_pipeline::SkyStat::default().to_string(), "median");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SkyStat {
    /// Clipped median.
    #[default]
    Median,
    /// Histogram mode.
    Mode,
    /// Clipped mean.
    Mean,
}

/// A drizzle kernel (`driz_sep_kernel`, `final_kernel`).
///
/// AstroDrizzle also lists `tophat`, which drizzle 2.x (the C kernel we match) no longer
/// has; it is refused with a clear error.
///
/// ```
/// use astro_pipeline::KernelName;
/// assert_eq!("lanczos3".parse::<KernelName>().unwrap(), KernelName::Lanczos3);
/// assert_eq!(astro_drizzle::Kernel::from(KernelName::Turbo), astro_drizzle::Kernel::Turbo);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum KernelName {
    /// Exact overlap of the shrunken pixel (AstroDrizzle's final default).
    #[default]
    Square,
    /// Axis-aligned box approximation of `square` (the separate-drizzle default).
    Turbo,
    /// All flux at the mapped centre.
    Point,
    /// Gaussian.
    Gaussian,
    /// Lanczos, order 2.
    Lanczos2,
    /// Lanczos, order 3.
    Lanczos3,
}

impl From<KernelName> for astro_drizzle::Kernel {
    fn from(k: KernelName) -> astro_drizzle::Kernel {
        match k {
            KernelName::Square => astro_drizzle::Kernel::Square,
            KernelName::Turbo => astro_drizzle::Kernel::Turbo,
            KernelName::Point => astro_drizzle::Kernel::Point,
            KernelName::Gaussian => astro_drizzle::Kernel::Gaussian,
            KernelName::Lanczos2 => astro_drizzle::Kernel::Lanczos2,
            KernelName::Lanczos3 => astro_drizzle::Kernel::Lanczos3,
        }
    }
}

/// How the single-drizzled images are combined (`combine_type`).
///
/// AstroDrizzle's `sum` is not offered: it is not a robust estimate for cosmic-ray
/// detection and astro-combine does not implement it.
///
/// ```
/// use astro_pipeline::CombineTypeName;
/// assert_eq!(CombineTypeName::default(), CombineTypeName::Minmed);
/// assert_eq!(astro_combine::CombineType::from(CombineTypeName::Imean), astro_combine::CombineType::IMean);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CombineTypeName {
    /// drizzlepac's minmed (AstroDrizzle's default).
    #[default]
    Minmed,
    /// minmed, all-rejected pixels from the first non-zero input.
    Iminmed,
    /// Median.
    Median,
    /// Mean (`average` is accepted too).
    #[serde(alias = "average")]
    #[value(alias = "average")]
    Mean,
    /// Median, all-rejected pixels from the first non-zero input.
    Imedian,
    /// Mean, all-rejected pixels from the first non-zero input (`iaverage`).
    #[serde(alias = "iaverage")]
    #[value(alias = "iaverage")]
    Imean,
}

impl From<CombineTypeName> for astro_combine::CombineType {
    fn from(c: CombineTypeName) -> astro_combine::CombineType {
        match c {
            CombineTypeName::Minmed => astro_combine::CombineType::Minmed,
            CombineTypeName::Iminmed => astro_combine::CombineType::IMinmed,
            CombineTypeName::Median => astro_combine::CombineType::Median,
            CombineTypeName::Mean => astro_combine::CombineType::Mean,
            CombineTypeName::Imedian => astro_combine::CombineType::IMedian,
            CombineTypeName::Imean => astro_combine::CombineType::IMean,
        }
    }
}

/// The interpolant of the blot step (`blot_interp`): AstroDrizzle's five plus the Lanczos
/// kernels drizzle's `blot_image` also has.
///
/// ```
/// use astro_pipeline::BlotInterp;
/// assert_eq!(astro_interp::Interpolant::from(BlotInterp::Poly5), astro_interp::Interpolant::Poly5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BlotInterp {
    /// Biquintic polynomial (AstroDrizzle's default).
    #[default]
    Poly5,
    /// Nearest pixel.
    Nearest,
    /// Bilinear.
    Linear,
    /// Bicubic polynomial.
    Poly3,
    /// Tapered sinc (scaled by `blot_sinscl`).
    Sinc,
    /// Lanczos, a = 3.
    Lanczos3,
    /// Lanczos, a = 5.
    Lanczos5,
}

impl From<BlotInterp> for astro_interp::Interpolant {
    fn from(b: BlotInterp) -> astro_interp::Interpolant {
        match b {
            BlotInterp::Poly5 => astro_interp::Interpolant::Poly5,
            BlotInterp::Nearest => astro_interp::Interpolant::Nearest,
            BlotInterp::Linear => astro_interp::Interpolant::Linear,
            BlotInterp::Poly3 => astro_interp::Interpolant::Poly3,
            BlotInterp::Sinc => astro_interp::Interpolant::Sinc,
            BlotInterp::Lanczos3 => astro_interp::Interpolant::Lanczos3,
            BlotInterp::Lanczos5 => astro_interp::Interpolant::Lanczos5,
        }
    }
}

/// The weighting of the final drizzle (`final_wht_type`).
///
/// ```
/// assert_eq!("IVM".parse::<astro_pipeline::WhtType>().unwrap(), astro_pipeline::WhtType::Ivm);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum WhtType {
    /// Exposure time × good-pixel mask.
    #[default]
    #[serde(rename = "EXP", alias = "exp")]
    #[value(name = "EXP", alias = "exp")]
    Exp,
    /// `(exptime / ERR)²` × mask, from each chip's ERR extension.
    #[serde(rename = "ERR", alias = "err")]
    #[value(name = "ERR", alias = "err")]
    Err,
    /// Inverse variance: a user IVM file (from the `@file`'s second column) or one built
    /// from the flat, dark, sky and read noise.
    #[serde(rename = "IVM", alias = "ivm")]
    #[value(name = "IVM", alias = "ivm")]
    Ivm,
}

/// Units of the final image (`final_units`).
///
/// ```
/// assert_eq!(astro_pipeline::FinalUnits::default(), astro_pipeline::FinalUnits::Cps);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FinalUnits {
    /// Total counts (rate × total exposure time).
    Counts,
    /// Counts (or electrons) per second.
    #[default]
    Cps,
}

/// A drizzle weight scale (`driz_sep_wt_scl`, `final_wt_scl`): `exptime`, `expsq` or a
/// number.
///
/// ```
/// use astro_pipeline::WeightScale;
/// assert_eq!("expsq".parse::<WeightScale>().unwrap(), WeightScale::Expsq);
/// assert_eq!("2.5".parse::<WeightScale>().unwrap(), WeightScale::Value(2.5));
/// assert_eq!(WeightScale::Exptime.to_string(), "exptime");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "Scalar", into = "String")]
pub enum WeightScale {
    /// The exposure time (AstroDrizzle's default).
    #[default]
    Exptime,
    /// The exposure time squared.
    Expsq,
    /// A fixed number.
    Value(f64),
}

impl FromStr for WeightScale {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<WeightScale, String> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "exptime" | "" => Ok(WeightScale::Exptime),
            "expsq" => Ok(WeightScale::Expsq),
            other => match other.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok(WeightScale::Value(v)),
                _ => Err(format!(
                    "{t:?} is not \"exptime\", \"expsq\" or a positive number"
                )),
            },
        }
    }
}

impl fmt::Display for WeightScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightScale::Exptime => f.write_str("exptime"),
            WeightScale::Expsq => f.write_str("expsq"),
            WeightScale::Value(v) => write!(f, "{v}"),
        }
    }
}

impl TryFrom<Scalar> for WeightScale {
    type Error = String;
    fn try_from(s: Scalar) -> std::result::Result<WeightScale, String> {
        match s {
            Scalar::Text(t) => t.parse(),
            number => number.to_string().parse(),
        }
    }
}

impl From<WeightScale> for String {
    fn from(w: WeightScale) -> String {
        w.to_string()
    }
}

/// Two numbers given as one string, as AstroDrizzle's `combine_nsigma = "4 3"`,
/// `driz_cr_snr = "3.5 3.0"` and `driz_cr_scale = "1.2 0.7"`.
///
/// ```
/// use astro_pipeline::Pair;
/// let p: Pair = "3.5 3.0".parse().unwrap();
/// assert_eq!((p.first, p.second), (3.5, 3.0));
/// assert_eq!(p.to_string(), "3.5 3");
/// assert!("3.5".parse::<Pair>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pair {
    /// The first (strict) value.
    pub first: f64,
    /// The second (loose) value.
    pub second: f64,
}

impl Pair {
    /// A pair from its two values.
    ///
    /// ```
    /// assert_eq!(astro_pipeline::Pair::new(4.0, 3.0).to_string(), "4 3");
    /// ```
    pub fn new(first: f64, second: f64) -> Pair {
        Pair { first, second }
    }
}

impl FromStr for Pair {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Pair, String> {
        let parts: Vec<&str> = s
            .split([' ', ',', '\t'])
            .filter(|p| !p.is_empty())
            .collect();
        let [a, b] = parts.as_slice() else {
            return Err(format!("{s:?} must be two numbers separated by a space"));
        };
        let parse = |p: &str| {
            p.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{p:?} in {s:?} is not a finite number"))
        };
        Ok(Pair {
            first: parse(a)?,
            second: parse(b)?,
        })
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.first, self.second)
    }
}

impl TryFrom<String> for Pair {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Pair, String> {
        s.parse()
    }
}

impl From<Pair> for String {
    fn from(p: Pair) -> String {
        p.to_string()
    }
}

/// `true` for the words that mean "no value" in AstroDrizzle's configurations: `None`,
/// `INDEF` (any case) and the empty string.
pub(crate) fn is_none_word(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("indef")
}

/// A TOML scalar as written by the user: AstroDrizzle's configurations write some numbers
/// as strings (`gain = "2.0"`), and `None`/`INDEF` as words.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(v) => write!(f, "{v}"),
            Scalar::Float(v) => write!(f, "{v}"),
            Scalar::Text(v) => write!(f, "{v:?}"),
        }
    }
}

/// Serde of the `Option` parameters: `None` is written as AstroDrizzle writes it (`"None"`
/// for numbers, `""` for keyword names), so that a written configuration reads back
/// exactly; reading accepts `None`, `INDEF` and `""` for `None`, and numbers written as
/// strings.
mod none_or {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Scalar, is_none_word};

    /// A type an `Option` parameter holds.
    pub(super) trait Value: Sized + Serialize {
        /// How `None` is written.
        const NONE: &'static str;
        /// The value of a non-`None` scalar.
        fn from_scalar(v: &Scalar) -> Option<Self>;
        /// What was expected, for the error message.
        const EXPECTED: &'static str;
    }

    impl Value for f64 {
        const NONE: &'static str = "None";
        const EXPECTED: &'static str = "a number, or None/INDEF";
        fn from_scalar(v: &Scalar) -> Option<f64> {
            match v {
                Scalar::Int(i) => Some(*i as f64),
                Scalar::Float(x) => Some(*x),
                Scalar::Text(t) => t.trim().parse().ok(),
            }
        }
    }

    impl Value for usize {
        const NONE: &'static str = "None";
        const EXPECTED: &'static str = "a non-negative integer, or None/INDEF";
        fn from_scalar(v: &Scalar) -> Option<usize> {
            match v {
                Scalar::Int(i) => usize::try_from(*i).ok(),
                Scalar::Float(_) => None,
                Scalar::Text(t) => t.trim().parse().ok(),
            }
        }
    }

    impl Value for String {
        const NONE: &'static str = "";
        const EXPECTED: &'static str = "a header keyword (a string), or \"\"/None";
        fn from_scalar(v: &Scalar) -> Option<String> {
            match v {
                Scalar::Text(t) => Some(t.trim().to_string()),
                _ => None,
            }
        }
    }

    pub(super) fn serialize<T: Value, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match v {
            Some(x) => x.serialize(s),
            None => s.serialize_str(T::NONE),
        }
    }

    pub(super) fn deserialize<'de, T: Value, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<T>, D::Error> {
        let raw = Scalar::deserialize(d)
            .map_err(|_| serde::de::Error::custom(format!("expected {}", T::EXPECTED)))?;
        if let Scalar::Text(t) = &raw
            && is_none_word(t)
        {
            return Ok(None);
        }
        T::from_scalar(&raw)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{raw} is not {}", T::EXPECTED)))
    }
}

macro_rules! display_via_serde {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let v = clap::ValueEnum::to_possible_value(self).expect("no skipped variants");
                f.write_str(v.get_name())
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> std::result::Result<$t, String> {
                <$t as clap::ValueEnum>::from_str(s.trim(), true)
            }
        }
    )*};
}
display_via_serde!(
    ProcUnit,
    SkyMethod,
    SkyStat,
    KernelName,
    CombineTypeName,
    BlotInterp,
    WhtType,
    FinalUnits
);

/// Every parameter of an AstroDrizzle run, with AstroDrizzle's names and defaults.
///
/// Strings that are bit specifications (`resetbits`, `sky_bits`, `driz_sep_bits`,
/// `final_bits`) follow `astropy.nddata.bitmask.interpret_bit_flags` (see
/// [`astro_mask::GoodBits`]); `""`/`"None"`/`"INDEF"` mean "ignore the DQ array".
/// `None` in an `Option` field is AstroDrizzle's `None`/`INDEF`.
///
/// Three fields are ours, not AstroDrizzle's, and come last: [`update_inputs`],
/// [`previews`] and [`progress`].
///
/// [`update_inputs`]: DrizzleConfig::update_inputs
/// [`previews`]: DrizzleConfig::previews
/// [`progress`]: DrizzleConfig::progress
///
/// ```
/// use astro_pipeline::{DrizzleConfig, KernelName};
/// let cfg = DrizzleConfig::from_toml_str("final_pixfrac = 0.8\nfinal_kernel = \"point\"\n")?;
/// assert_eq!(cfg.final_pixfrac, 0.8);
/// assert_eq!(cfg.final_kernel, KernelName::Point);
/// assert_eq!(cfg.driz_sep_kernel, KernelName::Turbo); // AstroDrizzle's default
/// cfg.validate()?;
/// let back = DrizzleConfig::from_toml_str(&cfg.to_toml_string())?;
/// assert_eq!(back, cfg);
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrizzleConfig {
    // ---- general ----
    /// Input exposures: a file name, a wildcard, a comma-separated list, or `@file` (one
    /// name per line, optionally followed by an IVM file name).
    pub input: String,
    /// Root name of the products (`<output>_drz_sci.fits`...); `""` = from the first
    /// input's name (`final` when that cannot be derived).
    pub output: String,
    /// The log file (`""` = no log file).
    pub runfile: String,
    /// The WCS key of the inputs' WCS to use (`""` = the primary WCS, else `A`–`Z`).
    pub wcskey: String,
    /// Units used between the steps.
    pub proc_unit: ProcUnit,
    /// Apply the header distortion (SIP, lookup tables); `false` = only the linear WCS.
    pub coeffs: bool,
    /// Build the context image in the final drizzle.
    pub context: bool,
    /// The chips to process: `""` = all, else a comma list of EXTVERs (`"1,2"`).
    pub group: String,
    /// Write the final products as one MEF (`<output>_drz.fits` with SCI, WHT, CTX)
    /// instead of three files.
    pub build: bool,
    /// The DQ bit marking cosmic rays found by `driz_cr`.
    pub crbit: u32,
    /// Spacing (pixels) of the grid on which the exact pixel map is computed; between the
    /// nodes it is interpolated. `1` = exact at every pixel.
    pub stepsize: u32,
    /// Bits cleared in the DQ arrays before processing (the inputs' files are not touched
    /// unless [`update_inputs`](DrizzleConfig::update_inputs) is set).
    pub resetbits: String,
    /// Threads to use (`None` = all cores, `< 2` = one).
    #[serde(with = "none_or")]
    pub num_cores: Option<usize>,
    /// Keep intermediate products in memory instead of writing them (`false` writes the
    /// single-drizzled images, median, blotted images and CR masks beside the products, as
    /// AstroDrizzle does).
    pub in_memory: bool,
    /// Header blending rules (accepted for compatibility; the product header is the first
    /// input's primary header plus the effective configuration).
    pub rules_file: String,
    // ---- state of input files ----
    /// Copy inputs back from the `OrIg_files` archive before processing.
    pub restore: bool,
    /// Archive the inputs in `OrIg_files/` before modifying them (only relevant with
    /// `update_inputs`).
    pub preserve: bool,
    /// Overwrite an existing archive copy.
    pub overwrite: bool,
    /// Delete intermediate files at the end.
    pub clean: bool,
    // ---- step 1: static mask ----
    /// Build the static mask of strongly negative pixels.
    #[serde(rename = "static")]
    pub static_mask: bool,
    /// Pixels below mode − `static_sig`·σ are masked.
    pub static_sig: f64,
    // ---- step 2: sky ----
    /// Subtract the sky.
    pub skysub: bool,
    /// How the sky is computed.
    pub skymethod: SkyMethod,
    /// The statistic of sky pixels.
    pub skystat: SkyStat,
    /// Histogram bin width in σ (for `mode`).
    #[serde(with = "none_or")]
    pub skywidth: Option<f64>,
    /// Lower limit of usable sky data (electrons).
    #[serde(with = "none_or")]
    pub skylower: Option<f64>,
    /// Upper limit of usable sky data (electrons).
    #[serde(with = "none_or")]
    pub skyupper: Option<f64>,
    /// Clipping iterations.
    pub skyclip: u32,
    /// Lower clipping factor (σ).
    pub skylsigma: f64,
    /// Upper clipping factor (σ).
    pub skyusigma: f64,
    /// A catalog of user masks per image (`""` = none).
    pub skymask_cat: String,
    /// Exclude static-mask pixels from the sky statistics.
    pub use_static: bool,
    /// DQ bits that are good for the sky.
    pub sky_bits: String,
    /// A file of user sky values (`name value` per line) to subtract instead.
    pub skyfile: String,
    /// A header keyword holding a sky already subtracted by the user.
    pub skyuser: String,
    // ---- step 3: separate drizzle ----
    /// Drizzle each exposure onto its own output.
    pub driz_separate: bool,
    /// Kernel of the separate drizzle.
    pub driz_sep_kernel: KernelName,
    /// Weight scale of the separate drizzle.
    pub driz_sep_wt_scl: WeightScale,
    /// Drop size of the separate drizzle.
    pub driz_sep_pixfrac: f64,
    /// Value of pixels nothing landed on (`None` = INDEF, i.e. NaN).
    #[serde(with = "none_or")]
    pub driz_sep_fillval: Option<f64>,
    /// DQ bits that are good for the separate drizzle.
    pub driz_sep_bits: String,
    /// Tile-compress the single-drizzled files.
    pub driz_sep_compress: bool,
    // ---- step 3a: custom WCS of the separate outputs ----
    /// Use the custom WCS below for the separate outputs.
    pub driz_sep_wcs: bool,
    /// A FITS file (`name.fits[ext]`) whose WCS is the output frame.
    pub driz_sep_refimage: String,
    /// Position angle of +y (degrees east of north).
    #[serde(with = "none_or")]
    pub driz_sep_rot: Option<f64>,
    /// Output pixel scale (arcsec).
    #[serde(with = "none_or")]
    pub driz_sep_scale: Option<f64>,
    /// Output width (pixels).
    #[serde(with = "none_or")]
    pub driz_sep_outnx: Option<usize>,
    /// Output height (pixels).
    #[serde(with = "none_or")]
    pub driz_sep_outny: Option<usize>,
    /// Right ascension of the output centre (degrees).
    #[serde(with = "none_or")]
    pub driz_sep_ra: Option<f64>,
    /// Declination of the output centre (degrees).
    #[serde(with = "none_or")]
    pub driz_sep_dec: Option<f64>,
    /// CRPIX1 of the output (1-based, FITS).
    #[serde(with = "none_or")]
    pub driz_sep_crpix1: Option<f64>,
    /// CRPIX2 of the output (1-based, FITS).
    #[serde(with = "none_or")]
    pub driz_sep_crpix2: Option<f64>,
    // ---- step 4: median ----
    /// Combine the single-drizzled images.
    pub median: bool,
    /// Mask pixels whose weight is below `combine_maskpt` × the image's mean weight.
    pub median_newmasks: bool,
    /// Fraction of the mean weight below which a pixel is masked.
    pub combine_maskpt: f64,
    /// The combination.
    pub combine_type: CombineTypeName,
    /// minmed's significance thresholds.
    pub combine_nsigma: Pair,
    /// Lowest good values dropped per pixel.
    pub combine_nlow: u32,
    /// Highest good values dropped per pixel.
    pub combine_nhigh: u32,
    /// Values below are masked.
    #[serde(with = "none_or")]
    pub combine_lthresh: Option<f64>,
    /// Values at or above are masked.
    #[serde(with = "none_or")]
    pub combine_hthresh: Option<f64>,
    /// minmed neighbour growth (pixels).
    pub combine_grow: u32,
    /// Memory per input image (MiB) for the median; `None` = a 1 MiB default band.
    #[serde(with = "none_or")]
    pub combine_bufsize: Option<f64>,
    // ---- step 5: blot ----
    /// Blot the median back onto each chip.
    pub blot: bool,
    /// The interpolant.
    pub blot_interp: BlotInterp,
    /// Scale of the sinc interpolant.
    pub blot_sinscl: f64,
    /// Add each chip's subtracted sky (`MDRIZSKY`) back.
    pub blot_addsky: bool,
    /// A sky value to add instead (when `blot_addsky` is false).
    pub blot_skyval: f64,
    // ---- step 6: cosmic rays ----
    /// Find cosmic rays by comparing each chip with its blotted median.
    pub driz_cr: bool,
    /// Write `_crclean` (cleaned inputs) and `_crmask` files.
    pub driz_cr_corr: bool,
    /// Signal-to-noise thresholds (strict, loose).
    pub driz_cr_snr: Pair,
    /// Box width of the mask growth (1 = none).
    pub driz_cr_grow: u32,
    /// Length of the CTE-trail growth (0 = none).
    pub driz_cr_ctegrow: u32,
    /// Derivative scale factors (strict, loose).
    pub driz_cr_scale: Pair,
    // ---- step 7: final drizzle ----
    /// Drizzle all exposures onto the final output.
    pub driz_combine: bool,
    /// The final weighting.
    pub final_wht_type: WhtType,
    /// Kernel of the final drizzle.
    pub final_kernel: KernelName,
    /// Weight scale of the final drizzle.
    pub final_wt_scl: WeightScale,
    /// Drop size of the final drizzle.
    pub final_pixfrac: f64,
    /// Value of pixels nothing landed on (`None` = INDEF, i.e. NaN).
    #[serde(with = "none_or")]
    pub final_fillval: Option<f64>,
    /// Value given to input pixels outside the SCI image (accepted; no effect with
    /// drizzle 2.x semantics).
    #[serde(with = "none_or")]
    pub final_maskval: Option<f64>,
    /// DQ bits that are good for the final drizzle.
    pub final_bits: String,
    /// Units of the final image.
    pub final_units: FinalUnits,
    // ---- step 7a: custom WCS of the final output ----
    /// Use the custom WCS below for the final output.
    pub final_wcs: bool,
    /// A FITS file (`name.fits[ext]`) whose WCS is the output frame.
    pub final_refimage: String,
    /// Position angle of +y (degrees east of north).
    #[serde(with = "none_or")]
    pub final_rot: Option<f64>,
    /// Output pixel scale (arcsec).
    #[serde(with = "none_or")]
    pub final_scale: Option<f64>,
    /// Output width (pixels).
    #[serde(with = "none_or")]
    pub final_outnx: Option<usize>,
    /// Output height (pixels).
    #[serde(with = "none_or")]
    pub final_outny: Option<usize>,
    /// Right ascension of the output centre (degrees).
    #[serde(with = "none_or")]
    pub final_ra: Option<f64>,
    /// Declination of the output centre (degrees).
    #[serde(with = "none_or")]
    pub final_dec: Option<f64>,
    /// CRPIX1 of the output (1-based, FITS).
    #[serde(with = "none_or")]
    pub final_crpix1: Option<f64>,
    /// CRPIX2 of the output (1-based, FITS).
    #[serde(with = "none_or")]
    pub final_crpix2: Option<f64>,
    // ---- instrument parameters ----
    /// Gain (e⁻/DN) overriding the headers.
    #[serde(with = "none_or")]
    pub gain: Option<f64>,
    /// Header keyword holding the gain (instead of the instrument's default keywords).
    #[serde(with = "none_or", alias = "gainkeyword")]
    pub gnkeyword: Option<String>,
    /// Read noise (e⁻) overriding the headers.
    #[serde(with = "none_or")]
    pub rdnoise: Option<f64>,
    /// Header keyword holding the read noise.
    #[serde(with = "none_or", alias = "rdnoisekeyword")]
    pub rnkeyword: Option<String>,
    /// Exposure time (s) overriding the headers.
    #[serde(with = "none_or")]
    pub exptime: Option<f64>,
    /// Header keyword holding the exposure time.
    #[serde(with = "none_or", alias = "exptimekeyword")]
    pub expkeyword: Option<String>,
    // ---- ours ----
    /// Write the sky (`MDRIZSKY`) and the cosmic-ray bits into the input files, as
    /// AstroDrizzle does (after archiving them when `preserve` is set). Off by default:
    /// inputs are never modified unless asked.
    pub update_inputs: bool,
    /// Write PNG previews of the final image and weight map.
    pub previews: bool,
    /// Show progress bars on the terminal.
    pub progress: bool,
}

impl Default for DrizzleConfig {
    fn default() -> DrizzleConfig {
        DrizzleConfig {
            input: "*flt.fits".into(),
            output: String::new(),
            runfile: "astrodrizzle.log".into(),
            wcskey: String::new(),
            proc_unit: ProcUnit::Native,
            coeffs: true,
            context: true,
            group: String::new(),
            build: false,
            crbit: 4096,
            stepsize: 10,
            resetbits: "4096".into(),
            num_cores: None,
            in_memory: false,
            rules_file: String::new(),
            restore: false,
            preserve: true,
            overwrite: false,
            clean: false,
            static_mask: true,
            static_sig: 4.0,
            skysub: true,
            skymethod: SkyMethod::Localmin,
            skystat: SkyStat::Median,
            skywidth: Some(0.1),
            skylower: None,
            skyupper: None,
            skyclip: 5,
            skylsigma: 4.0,
            skyusigma: 4.0,
            skymask_cat: String::new(),
            use_static: true,
            sky_bits: "0".into(),
            skyfile: String::new(),
            skyuser: String::new(),
            driz_separate: true,
            driz_sep_kernel: KernelName::Turbo,
            driz_sep_wt_scl: WeightScale::Exptime,
            driz_sep_pixfrac: 1.0,
            driz_sep_fillval: None,
            driz_sep_bits: "0".into(),
            driz_sep_compress: false,
            driz_sep_wcs: false,
            driz_sep_refimage: String::new(),
            driz_sep_rot: None,
            driz_sep_scale: None,
            driz_sep_outnx: None,
            driz_sep_outny: None,
            driz_sep_ra: None,
            driz_sep_dec: None,
            driz_sep_crpix1: None,
            driz_sep_crpix2: None,
            median: true,
            median_newmasks: true,
            combine_maskpt: 0.3,
            combine_type: CombineTypeName::Minmed,
            combine_nsigma: Pair::new(4.0, 3.0),
            combine_nlow: 0,
            combine_nhigh: 0,
            combine_lthresh: None,
            combine_hthresh: None,
            combine_grow: 1,
            combine_bufsize: None,
            blot: true,
            blot_interp: BlotInterp::Poly5,
            blot_sinscl: 1.0,
            blot_addsky: true,
            blot_skyval: 0.0,
            driz_cr: true,
            driz_cr_corr: false,
            driz_cr_snr: Pair::new(3.5, 3.0),
            driz_cr_grow: 1,
            driz_cr_ctegrow: 0,
            driz_cr_scale: Pair::new(1.2, 0.7),
            driz_combine: true,
            final_wht_type: WhtType::Exp,
            final_kernel: KernelName::Square,
            final_wt_scl: WeightScale::Exptime,
            final_pixfrac: 1.0,
            final_fillval: None,
            final_maskval: None,
            final_bits: "0".into(),
            final_units: FinalUnits::Cps,
            final_wcs: false,
            final_refimage: String::new(),
            final_rot: None,
            final_scale: None,
            final_outnx: None,
            final_outny: None,
            final_ra: None,
            final_dec: None,
            final_crpix1: None,
            final_crpix2: None,
            gain: None,
            gnkeyword: None,
            rdnoise: None,
            rnkeyword: None,
            exptime: None,
            expkeyword: None,
            update_inputs: false,
            previews: true,
            progress: true,
        }
    }
}

/// The AstroDrizzle parameters [`DrizzleConfig`] carries, by AstroDrizzle's names, in the
/// order of its configuration file (drizzlepac 3.11 `astrodrizzle.cfgspc`, without the
/// GUI-only `_task_name_`, `_mdriztab_btn_` and `_rule*_` entries).
///
/// ```
/// assert!(astro_pipeline::ASTRODRIZZLE_PARAMETERS.contains(&"final_wht_type"));
/// assert_eq!(astro_pipeline::ASTRODRIZZLE_PARAMETERS.len(), 99);
/// ```
pub const ASTRODRIZZLE_PARAMETERS: &[&str] = &[
    "input",
    "output",
    "runfile",
    "wcskey",
    "proc_unit",
    "coeffs",
    "context",
    "group",
    "build",
    "crbit",
    "stepsize",
    "resetbits",
    "num_cores",
    "in_memory",
    "rules_file",
    "restore",
    "preserve",
    "overwrite",
    "clean",
    "static",
    "static_sig",
    "skysub",
    "skymethod",
    "skystat",
    "skywidth",
    "skylower",
    "skyupper",
    "skyclip",
    "skylsigma",
    "skyusigma",
    "skymask_cat",
    "use_static",
    "sky_bits",
    "skyfile",
    "skyuser",
    "driz_separate",
    "driz_sep_kernel",
    "driz_sep_wt_scl",
    "driz_sep_pixfrac",
    "driz_sep_fillval",
    "driz_sep_bits",
    "driz_sep_compress",
    "driz_sep_wcs",
    "driz_sep_refimage",
    "driz_sep_rot",
    "driz_sep_scale",
    "driz_sep_outnx",
    "driz_sep_outny",
    "driz_sep_ra",
    "driz_sep_dec",
    "driz_sep_crpix1",
    "driz_sep_crpix2",
    "median",
    "median_newmasks",
    "combine_maskpt",
    "combine_type",
    "combine_nsigma",
    "combine_nlow",
    "combine_nhigh",
    "combine_lthresh",
    "combine_hthresh",
    "combine_grow",
    "combine_bufsize",
    "blot",
    "blot_interp",
    "blot_sinscl",
    "blot_addsky",
    "blot_skyval",
    "driz_cr",
    "driz_cr_corr",
    "driz_cr_snr",
    "driz_cr_grow",
    "driz_cr_ctegrow",
    "driz_cr_scale",
    "driz_combine",
    "final_wht_type",
    "final_kernel",
    "final_wt_scl",
    "final_pixfrac",
    "final_fillval",
    "final_maskval",
    "final_bits",
    "final_units",
    "final_wcs",
    "final_refimage",
    "final_rot",
    "final_scale",
    "final_outnx",
    "final_outny",
    "final_ra",
    "final_dec",
    "final_crpix1",
    "final_crpix2",
    "gain",
    "gnkeyword",
    "rdnoise",
    "rnkeyword",
    "exptime",
    "expkeyword",
];

/// The parameters that are ours, not AstroDrizzle's (see [`DrizzleConfig`]).
///
/// ```
/// assert_eq!(astro_pipeline::EXTRA_PARAMETERS, &["update_inputs", "previews", "progress"]);
/// ```
pub const EXTRA_PARAMETERS: &[&str] = &["update_inputs", "previews", "progress"];

impl DrizzleConfig {
    /// Reads a configuration from TOML text: flat `name = value` lines with AstroDrizzle's
    /// names; missing names keep their defaults; unknown names are an error.
    ///
    /// ```
    /// let err = astro_pipeline::DrizzleConfig::from_toml_str("final_pixfrak = 0.8").unwrap_err();
    /// assert!(err.to_string().contains("final_pixfrak"));
    /// ```
    pub fn from_toml_str(text: &str) -> Result<DrizzleConfig> {
        toml::from_str(text).map_err(|e| Error::ConfigFile {
            path: "<text>".into(),
            reason: e.to_string(),
        })
    }

    /// Reads a TOML configuration file (see [`DrizzleConfig::from_toml_str`]).
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("drizzle.toml");
    /// std::fs::write(&path, "skymethod = \"globalmin+match\"\n")?;
    /// let cfg = astro_pipeline::DrizzleConfig::from_toml_file(&path)?;
    /// assert_eq!(cfg.skymethod, astro_pipeline::SkyMethod::GlobalminMatch);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<DrizzleConfig> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The configuration as TOML text: every parameter, `None` written as AstroDrizzle
    /// writes it (`"None"` for numbers, `""` for keyword names), so that it reads back to
    /// the same configuration.
    ///
    /// ```
    /// let text = astro_pipeline::DrizzleConfig::default().to_toml_string();
    /// assert!(text.contains("final_kernel = \"square\""));
    /// assert!(text.contains("static = true"));
    /// ```
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self).expect("every field serialises to TOML")
    }

    /// `(name, value)` of every parameter, in [`ASTRODRIZZLE_PARAMETERS`] order followed
    /// by [`EXTRA_PARAMETERS`]; `None` is written `None`, strings without quotes. For the
    /// log and the product header.
    ///
    /// ```
    /// let cfg = astro_pipeline::DrizzleConfig::default();
    /// let p = cfg.parameters();
    /// assert_eq!(p[0], ("input".to_string(), "*flt.fits".to_string()));
    /// assert!(p.iter().any(|(k, v)| k == "final_fillval" && v == "None"));
    /// assert_eq!(p.len(), 102);
    /// ```
    pub fn parameters(&self) -> Vec<(String, String)> {
        let value = toml::Value::try_from(self).expect("every field serialises to TOML");
        let table = value.as_table().expect("a struct serialises to a table");
        ASTRODRIZZLE_PARAMETERS
            .iter()
            .chain(EXTRA_PARAMETERS)
            .map(|&name| {
                let v = match table.get(name) {
                    None => "None".to_string(),
                    Some(toml::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                (name.to_string(), v)
            })
            .collect()
    }

    /// Checks every parameter's domain and the combinations AstroDrizzle refuses or
    /// silently mishandles; the error names the parameter.
    ///
    /// ```
    /// use astro_pipeline::DrizzleConfig;
    /// let cfg = DrizzleConfig { gain: Some(2.0), gnkeyword: Some("ATODGNA".into()), ..Default::default() };
    /// let msg = cfg.validate().unwrap_err().to_string();
    /// assert!(msg.contains("gain") && msg.contains("gnkeyword"), "{msg}");
    /// assert!(DrizzleConfig::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::parameter(
                    name,
                    format!("must be a finite number > 0, got {v}"),
                ))
            }
        };
        let opt_positive = |name: &str, v: Option<f64>| v.map_or(Ok(()), |v| positive(name, v));
        let finite = |name: &str, v: Option<f64>| match v {
            Some(x) if !x.is_finite() => {
                Err(Error::parameter(name, format!("must be finite, got {x}")))
            }
            _ => Ok(()),
        };
        if self.input.trim().is_empty() {
            return Err(Error::parameter(
                "input",
                "is empty: name the exposures to combine",
            ));
        }
        if !self.wcskey.trim().is_empty() {
            let k = self.wcskey.trim();
            let ok = k.len() == 1 && k.chars().all(|c| c.is_ascii_uppercase())
                || k.eq_ignore_ascii_case("O");
            if !ok {
                return Err(Error::parameter(
                    "wcskey",
                    format!("{k:?} is not a WCS key: use \"\" (primary) or one letter A-Z"),
                ));
            }
        }
        if self.stepsize == 0 {
            return Err(Error::parameter("stepsize", "must be at least 1"));
        }
        if !self.group.trim().is_empty() {
            for part in self.group.split(',') {
                if part.trim().parse::<u32>().map_or(true, |v| v == 0) {
                    return Err(Error::parameter(
                        "group",
                        format!("{part:?} is not an EXTVER (a positive integer); use \"1,2\""),
                    ));
                }
            }
        }
        if self.num_cores == Some(0) {
            // AstroDrizzle treats n < 2 as serial; accept it.
        }
        for (name, spec) in [
            ("resetbits", &self.resetbits),
            ("sky_bits", &self.sky_bits),
            ("driz_sep_bits", &self.driz_sep_bits),
            ("final_bits", &self.final_bits),
        ] {
            spec.parse::<astro_mask::GoodBits>().map_err(|e| {
                Error::parameter(name, format!("{spec:?} is not a bit specification: {e}"))
            })?;
        }
        positive("static_sig", self.static_sig)?;
        opt_positive("skywidth", self.skywidth)?;
        finite("skylower", self.skylower)?;
        finite("skyupper", self.skyupper)?;
        if let (Some(lo), Some(hi)) = (self.skylower, self.skyupper)
            && lo >= hi
        {
            return Err(Error::parameter(
                "skylower",
                format!("{lo} is not below skyupper = {hi}"),
            ));
        }
        positive("skylsigma", self.skylsigma)?;
        positive("skyusigma", self.skyusigma)?;
        if !self.skyfile.trim().is_empty() && !self.skyuser.trim().is_empty() {
            return Err(Error::parameter(
                "skyfile",
                "both skyfile and skyuser are set: give the user sky one way",
            ));
        }
        positive("driz_sep_pixfrac", self.driz_sep_pixfrac)?;
        positive("final_pixfrac", self.final_pixfrac)?;
        if let WeightScale::Value(v) = self.driz_sep_wt_scl {
            positive("driz_sep_wt_scl", v)?;
        }
        if let WeightScale::Value(v) = self.final_wt_scl {
            positive("final_wt_scl", v)?;
        }
        finite("driz_sep_fillval", self.driz_sep_fillval)?;
        finite("final_fillval", self.final_fillval)?;
        for (prefix, scale, rot, nx, ny, ra, dec, c1, c2) in [
            (
                "driz_sep",
                self.driz_sep_scale,
                self.driz_sep_rot,
                self.driz_sep_outnx,
                self.driz_sep_outny,
                self.driz_sep_ra,
                self.driz_sep_dec,
                self.driz_sep_crpix1,
                self.driz_sep_crpix2,
            ),
            (
                "final",
                self.final_scale,
                self.final_rot,
                self.final_outnx,
                self.final_outny,
                self.final_ra,
                self.final_dec,
                self.final_crpix1,
                self.final_crpix2,
            ),
        ] {
            opt_positive(&format!("{prefix}_scale"), scale)?;
            finite(&format!("{prefix}_rot"), rot)?;
            finite(&format!("{prefix}_crpix1"), c1)?;
            finite(&format!("{prefix}_crpix2"), c2)?;
            if nx == Some(0) || ny == Some(0) {
                return Err(Error::parameter(
                    format!("{prefix}_outnx"),
                    "output sizes must be at least 1 pixel",
                ));
            }
            if nx.is_some() != ny.is_some() {
                return Err(Error::parameter(
                    format!("{prefix}_outnx"),
                    format!("{prefix}_outnx and {prefix}_outny must be given together"),
                ));
            }
            if ra.is_some() != dec.is_some() {
                return Err(Error::parameter(
                    format!("{prefix}_ra"),
                    format!("{prefix}_ra and {prefix}_dec must be given together"),
                ));
            }
            if let Some(d) = dec
                && !(-90.0..=90.0).contains(&d)
            {
                return Err(Error::parameter(
                    format!("{prefix}_dec"),
                    format!("{d} is not a declination in [-90, 90]"),
                ));
            }
            if let Some(r) = ra
                && !r.is_finite()
            {
                return Err(Error::parameter(format!("{prefix}_ra"), "must be finite"));
            }
            if c1.is_some() != c2.is_some() {
                return Err(Error::parameter(
                    format!("{prefix}_crpix1"),
                    format!("{prefix}_crpix1 and {prefix}_crpix2 must be given together"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.combine_maskpt) {
            return Err(Error::parameter(
                "combine_maskpt",
                format!("{} is not a fraction in [0, 1]", self.combine_maskpt),
            ));
        }
        positive("combine_nsigma", self.combine_nsigma.first)?;
        positive("combine_nsigma", self.combine_nsigma.second)?;
        finite("combine_lthresh", self.combine_lthresh)?;
        finite("combine_hthresh", self.combine_hthresh)?;
        if let (Some(lo), Some(hi)) = (self.combine_lthresh, self.combine_hthresh)
            && lo >= hi
        {
            return Err(Error::parameter(
                "combine_lthresh",
                format!("{lo} is not below combine_hthresh = {hi}"),
            ));
        }
        opt_positive("combine_bufsize", self.combine_bufsize)?;
        positive("blot_sinscl", self.blot_sinscl)?;
        if !self.blot_skyval.is_finite() {
            return Err(Error::parameter("blot_skyval", "must be finite"));
        }
        for (name, p) in [
            ("driz_cr_snr", self.driz_cr_snr),
            ("driz_cr_scale", self.driz_cr_scale),
        ] {
            positive(name, p.first)?;
            positive(name, p.second)?;
        }
        if self.driz_cr_grow == 0 {
            return Err(Error::parameter(
                "driz_cr_grow",
                "is a box width: at least 1 (1 = no growth)",
            ));
        }
        for (value, keyword, vname, kname) in [
            (self.gain, &self.gnkeyword, "gain", "gnkeyword"),
            (self.rdnoise, &self.rnkeyword, "rdnoise", "rnkeyword"),
            (self.exptime, &self.expkeyword, "exptime", "expkeyword"),
        ] {
            if value.is_some() && keyword.as_deref().is_some_and(|k| !k.trim().is_empty()) {
                return Err(Error::parameter(
                    vname,
                    format!(
                        "both {vname} and {kname} are set: give one (the value or the keyword holding it)"
                    ),
                ));
            }
        }
        if let Some(g) = self.gain {
            positive("gain", g)?;
        }
        if let Some(r) = self.rdnoise
            && !(r.is_finite() && r >= 0.0)
        {
            return Err(Error::parameter(
                "rdnoise",
                format!("must be >= 0, got {r}"),
            ));
        }
        if let Some(t) = self.exptime {
            positive("exptime", t)?;
        }
        if !(self.driz_separate
            || self.median
            || self.blot
            || self.driz_cr
            || self.driz_combine
            || self.static_mask
            || self.skysub)
        {
            return Err(Error::parameter(
                "driz_combine",
                "every step is switched off: nothing to do",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_astrodrizzle_parameter_is_a_field() {
        let p = DrizzleConfig::default().parameters();
        let names: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
        let value = toml::Value::try_from(DrizzleConfig::default()).unwrap();
        let table = value.as_table().unwrap();
        for name in ASTRODRIZZLE_PARAMETERS.iter().chain(EXTRA_PARAMETERS) {
            assert!(names.contains(name));
            // fields whose default is None are absent from the table; the rest are present
            let _ = table.get(*name);
        }
        for key in table.keys() {
            assert!(names.contains(&key.as_str()), "{key} is not listed");
        }
    }

    #[test]
    fn toml_round_trip_with_every_option_set() {
        let cfg = DrizzleConfig {
            final_rot: Some(12.5),
            final_scale: Some(0.05),
            final_outnx: Some(100),
            final_outny: Some(120),
            gain: Some(2.0),
            expkeyword: Some("EXPTIME".into()),
            driz_sep_wt_scl: WeightScale::Value(3.0),
            final_wht_type: WhtType::Ivm,
            skymethod: SkyMethod::GlobalminMatch,
            ..Default::default()
        };
        let back = DrizzleConfig::from_toml_str(&cfg.to_toml_string()).unwrap();
        assert_eq!(back, cfg);
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let e = DrizzleConfig::from_toml_str("combine_nsigma = \"4\"").unwrap_err();
        assert!(e.to_string().contains("combine_nsigma"), "{e}");
        let e = DrizzleConfig::from_toml_str("final_kernel = \"tophat\"").unwrap_err();
        assert!(e.to_string().contains("tophat"), "{e}");
        let cfg = DrizzleConfig {
            final_bits: "4++8".into(),
            ..Default::default()
        };
        assert!(
            cfg.validate()
                .unwrap_err()
                .to_string()
                .contains("final_bits")
        );
        let cfg = DrizzleConfig {
            final_outnx: Some(10),
            ..Default::default()
        };
        assert!(
            cfg.validate()
                .unwrap_err()
                .to_string()
                .contains("final_outny")
        );
        let cfg = DrizzleConfig {
            group: "1,x".into(),
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().to_string().contains("group"));
    }

    #[test]
    fn aliases_are_accepted() {
        let cfg = DrizzleConfig::from_toml_str(
            "gainkeyword = \"ATODGNA\"\ncombine_type = \"average\"\nfinal_wht_type = \"ivm\"",
        )
        .unwrap();
        assert_eq!(cfg.gnkeyword.as_deref(), Some("ATODGNA"));
        assert_eq!(cfg.combine_type, CombineTypeName::Mean);
        assert_eq!(cfg.final_wht_type, WhtType::Ivm);
    }
}
