//! Option structs and enums of the drizzle accumulator, with the reference tools' names.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result, param_err};

/// How the flux of one input pixel is spread over the output (drizzle's `kernel`).
///
/// | kernel | footprint | flux conserving |
/// |---|---|---|
/// | `Square` | the input pixel shrunk by `pixfrac`, mapped exactly (quadrilateral overlap) | yes |
/// | `Turbo` | an axis-aligned box of side `pixfrac / pscale_ratio` output pixels | yes |
/// | `Point` | the single output pixel holding the mapped centre | yes |
/// | `Gaussian` | a Gaussian of FWHM `pixfrac / pscale_ratio` output pixels | approximately |
/// | `Lanczos2`, `Lanczos3` | a Lanczos window of 2 or 3 input pixels (`pixfrac` ignored) | no |
///
/// # Examples
///
/// ```
/// use astro_drizzle::Kernel;
/// assert_eq!("lanczos3".parse::<Kernel>().unwrap(), Kernel::Lanczos3);
/// assert_eq!(Kernel::default(), Kernel::Square);
/// assert_eq!(Kernel::Turbo.to_string(), "turbo");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Kernel {
    /// The classic drizzle kernel: exact overlap of the mapped (shrunken) pixel.
    #[default]
    Square,
    /// Axis-aligned box approximation of `Square`.
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

impl Kernel {
    /// Whether every weight of the kernel's footprint is ≥ 0 (all but the Lanczos kernels).
    pub(crate) fn weights_nonnegative(self) -> bool {
        !matches!(self, Kernel::Lanczos2 | Kernel::Lanczos3)
    }

    /// All kernels, in drizzle's order.
    ///
    /// ```
    /// assert_eq!(astro_drizzle::Kernel::ALL.len(), 6);
    /// ```
    pub const ALL: [Kernel; 6] = [
        Kernel::Square,
        Kernel::Turbo,
        Kernel::Point,
        Kernel::Gaussian,
        Kernel::Lanczos2,
        Kernel::Lanczos3,
    ];

    /// Drizzle's name of the kernel.
    ///
    /// ```
    /// assert_eq!(astro_drizzle::Kernel::Lanczos2.name(), "lanczos2");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Square => "square",
            Kernel::Turbo => "turbo",
            Kernel::Point => "point",
            Kernel::Gaussian => "gaussian",
            Kernel::Lanczos2 => "lanczos2",
            Kernel::Lanczos3 => "lanczos3",
        }
    }

    /// Whether Σ out·wht = Σ in·w holds exactly (square, turbo, point) when the output
    /// covers the input.
    ///
    /// ```
    /// use astro_drizzle::Kernel;
    /// assert!(Kernel::Turbo.is_flux_conserving());
    /// assert!(!Kernel::Lanczos3.is_flux_conserving());
    /// ```
    pub fn is_flux_conserving(self) -> bool {
        matches!(self, Kernel::Square | Kernel::Turbo | Kernel::Point)
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kernel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Kernel> {
        let k = s.trim().to_ascii_lowercase();
        Kernel::ALL
            .into_iter()
            .find(|k2| k2.name() == k)
            .ok_or_else(|| {
                param_err(
                    "kernel",
                    s,
                    "expected one of square, turbo, point, gaussian, lanczos2, lanczos3",
                )
            })
    }
}

/// Units of the input data (drizzle's `in_units`).
///
/// With [`InUnits::Counts`] the data are divided by `exptime` (and variances by
/// `exptime²`) so that the output is a rate.
///
/// ```
/// use astro_drizzle::InUnits;
/// assert_eq!("counts".parse::<InUnits>().unwrap(), InUnits::Counts);
/// assert_eq!(InUnits::default(), InUnits::Cps);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum InUnits {
    /// Counts per second (a rate): data are used as they are.
    #[default]
    Cps,
    /// Counts: data are divided by `exptime`.
    Counts,
}

impl FromStr for InUnits {
    type Err = Error;
    fn from_str(s: &str) -> Result<InUnits> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cps" => Ok(InUnits::Cps),
            "counts" => Ok(InUnits::Counts),
            _ => Err(param_err("in_units", s, "expected \"cps\" or \"counts\"")),
        }
    }
}

/// Value given at [`Drizzle::finalize`](crate::Drizzle::finalize) to output pixels that
/// received no weight (drizzle's `fillval`). Applied once, at the end.
///
/// ```
/// use astro_drizzle::FillValue;
/// assert_eq!("INDEF".parse::<FillValue>().unwrap(), FillValue::Indef);
/// assert_eq!("0".parse::<FillValue>().unwrap(), FillValue::Value(0.0));
/// assert_eq!("nan".parse::<FillValue>().unwrap(), FillValue::Nan);
/// assert!(FillValue::default().value().unwrap().is_nan());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum FillValue {
    /// Leave those pixels untouched (they keep their initial value: 0, or the value of
    /// the arrays given to [`Drizzle::with_initial_output`](crate::Drizzle::with_initial_output)).
    Indef,
    /// Set those pixels to this value (NaN by default).
    Value(f32),
    /// NaN (the default).
    #[default]
    Nan,
}

impl FillValue {
    /// The value to write, `None` for [`FillValue::Indef`].
    ///
    /// ```
    /// use astro_drizzle::FillValue;
    /// assert_eq!(FillValue::Value(2.0).value(), Some(2.0));
    /// assert_eq!(FillValue::Indef.value(), None);
    /// ```
    pub fn value(self) -> Option<f32> {
        match self {
            FillValue::Indef => None,
            FillValue::Value(v) => Some(v),
            FillValue::Nan => Some(f32::NAN),
        }
    }
}

impl FromStr for FillValue {
    type Err = Error;
    fn from_str(s: &str) -> Result<FillValue> {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("indef") || t.eq_ignore_ascii_case("none") {
            return Ok(FillValue::Indef);
        }
        if t.eq_ignore_ascii_case("nan") {
            return Ok(FillValue::Nan);
        }
        t.parse::<f32>()
            .map(FillValue::Value)
            .map_err(|_| param_err("fillval", s, "expected INDEF, NaN or a number"))
    }
}

/// How per-pixel input weights are built by [`weight_map`](crate::weight_map) (JWST
/// resample's `weight_type`).
///
/// ```
/// use astro_drizzle::WeightType;
/// assert_eq!("ivm".parse::<WeightType>().unwrap(), WeightType::Ivm);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum WeightType {
    /// Every good pixel weighs the exposure time.
    Exptime,
    /// Inverse read-noise variance `1 / var_rnoise` (0 where it is not finite and > 0).
    #[default]
    Ivm,
}

impl FromStr for WeightType {
    type Err = Error;
    fn from_str(s: &str) -> Result<WeightType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "exptime" => Ok(WeightType::Exptime),
            "ivm" => Ok(WeightType::Ivm),
            _ => Err(param_err(
                "weight_type",
                s,
                "expected \"exptime\" or \"ivm\"",
            )),
        }
    }
}

/// Options of a [`Drizzle`](crate::Drizzle) accumulator (fixed for all its inputs).
///
/// ```
/// use astro_drizzle::{DrizzleOptions, FillValue, Kernel};
/// let o = DrizzleOptions { kernel: Kernel::Turbo, fillval: FillValue::Value(0.0), ..Default::default() };
/// assert!(!o.disable_ctx);
/// assert_eq!(o.n_variance, 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DrizzleOptions {
    /// The kernel (default square).
    pub kernel: Kernel,
    /// Fill value for pixels without weight, applied once at `finalize` (default NaN).
    pub fillval: FillValue,
    /// Do not keep a context image (default false: keep it).
    pub disable_ctx: bool,
    /// Keep an output DQ array, the OR of the DQ of every contributing input pixel.
    pub with_dq: bool,
    /// Number of variance-like arrays resampled with squared weights (JWST var_rnoise,
    /// var_poisson, var_flat: 3). Every `add_image` must then give that many.
    pub n_variance: usize,
    /// Refuse output frames whose arrays would need more bytes than this (checked before
    /// allocating, also when the context grows). Default 16 GiB.
    pub max_memory_bytes: u64,
}

impl Default for DrizzleOptions {
    fn default() -> Self {
        DrizzleOptions {
            kernel: Kernel::Square,
            fillval: FillValue::Nan,
            disable_ctx: false,
            with_dq: false,
            n_variance: 0,
            max_memory_bytes: 16 << 30,
        }
    }
}

/// Per-image options of [`Drizzle::add_image`](crate::Drizzle::add_image), with drizzle's
/// names.
///
/// The input value used is `data · iscale` (divided by `exptime` when `in_units` is
/// counts), its weight `weights · wt_scl` (1 where no weight map is given).
///
/// ```
/// use astro_drizzle::{AddImageOptions, InUnits};
/// let o = AddImageOptions { pixfrac: 0.8, exptime: 400.0, in_units: InUnits::Counts, ..Default::default() };
/// assert!(o.validate().is_ok());
/// assert_eq!(AddImageOptions::default().pscale_ratio, Some(1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AddImageOptions {
    /// Linear shrink factor of the input pixel footprint (drizzle `pixfrac`), > 0.
    pub pixfrac: f64,
    /// Linear size of an output pixel in input pixels (drizzle `pixel_scale_ratio`); sizes
    /// the turbo, gaussian and lanczos footprints. `None`: estimated from the pixel map's
    /// Jacobian at the centre of the input box.
    pub pscale_ratio: Option<f64>,
    /// Multiplies every input value (variances by `iscale²`).
    pub iscale: f64,
    /// Multiplies every input weight (drizzle `wht_scale` / `wt_scl`).
    pub wt_scl: f64,
    /// Units of the input.
    pub in_units: InUnits,
    /// Exposure time of the image, > 0.
    pub exptime: f64,
    /// First input column processed (default 0).
    pub xmin: Option<usize>,
    /// Last input column processed, inclusive (default the last column).
    pub xmax: Option<usize>,
    /// First input row processed.
    pub ymin: Option<usize>,
    /// Last input row processed, inclusive.
    pub ymax: Option<usize>,
}

impl Default for AddImageOptions {
    fn default() -> Self {
        AddImageOptions {
            pixfrac: 1.0,
            pscale_ratio: Some(1.0),
            iscale: 1.0,
            wt_scl: 1.0,
            in_units: InUnits::Cps,
            exptime: 1.0,
            xmin: None,
            xmax: None,
            ymin: None,
            ymax: None,
        }
    }
}

impl AddImageOptions {
    /// Check every scalar parameter.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming `pixfrac`, `exptime`, `pscale_ratio`, `iscale`
    /// or `wt_scl` when it is not finite or (for the first three) not > 0.
    ///
    /// ```
    /// use astro_drizzle::AddImageOptions;
    /// let bad = AddImageOptions { exptime: -1.0, ..Default::default() };
    /// assert!(bad.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.pixfrac.is_finite() && self.pixfrac > 0.0) {
            return Err(param_err("pixfrac", self.pixfrac, "must be finite and > 0"));
        }
        if !(self.exptime.is_finite() && self.exptime > 0.0) {
            return Err(param_err("exptime", self.exptime, "must be finite and > 0"));
        }
        if let Some(p) = self.pscale_ratio
            && !(p.is_finite() && p > 0.0)
        {
            return Err(param_err("pscale_ratio", p, "must be finite and > 0"));
        }
        if !self.iscale.is_finite() {
            return Err(param_err("iscale", self.iscale, "must be finite"));
        }
        if !self.wt_scl.is_finite() {
            return Err(param_err("wt_scl", self.wt_scl, "must be finite"));
        }
        Ok(())
    }

    /// The factor applied to input values: `iscale`, divided by `exptime` for counts.
    ///
    /// ```
    /// use astro_drizzle::{AddImageOptions, InUnits};
    /// let o = AddImageOptions { iscale: 2.0, exptime: 4.0, in_units: InUnits::Counts, ..Default::default() };
    /// assert_eq!(o.effective_iscale(), 0.5);
    /// ```
    pub fn effective_iscale(&self) -> f64 {
        match self.in_units {
            InUnits::Cps => self.iscale,
            InUnits::Counts => self.iscale / self.exptime,
        }
    }
}
