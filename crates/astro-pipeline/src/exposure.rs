//! Input exposures in memory: the chips of one file with their WCS, DQ and the
//! instrument numbers the steps need.

use std::path::PathBuf;

use astro_wcs::{Header, Wcs};
use ndarray::Array2;

/// The units of an exposure's SCI data, from `BUNIT` (or the instrument's convention).
///
/// ```
/// use astro_pipeline::DataUnits;
/// assert!(DataUnits::CountRate.is_rate());
/// assert!(!DataUnits::Counts.is_rate());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataUnits {
    /// Counts or electrons per exposure (`COUNTS`, `ELECTRONS`, HST FLT of ACS/WFC3-UVIS).
    Counts,
    /// Counts or electrons per second (`COUNTS/S`, `ELECTRONS/S`, WFC3/IR, JWST rates).
    CountRate,
}

impl DataUnits {
    /// `true` for per-second units.
    ///
    /// ```
    /// assert!(astro_pipeline::DataUnits::CountRate.is_rate());
    /// ```
    pub fn is_rate(self) -> bool {
        matches!(self, DataUnits::CountRate)
    }
}

/// One chip (a `SCI` extension and its `ERR`/`DQ` of the same `EXTVER`) of an exposure.
///
/// ```
/// use astro_pipeline::Chip;
/// use astro_wcs::{Header, Wcs};
/// use ndarray::Array2;
/// let s = 0.05 / 3600.0;
/// let wcs = Wcs::new_tan((10.0, 20.0), (50.5, 50.5), [[-s, 0.0], [0.0, s]])?;
/// let chip = Chip {
///     extver: 1,
///     header: Header::new(),
///     wcs,
///     sci: Array2::zeros((100, 100)),
///     err: None,
///     dq: None,
///     gain: 1.0,
///     rdnoise: 4.0,
///     ivm: None,
/// };
/// assert_eq!(chip.shape(), (100, 100));
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Chip {
    /// `EXTVER` of the chip's `SCI` extension.
    pub extver: i64,
    /// The `SCI` extension header (the primary header's keywords are not merged in).
    pub header: Header,
    /// The chip's WCS (with distortion when `coeffs` is set, selected by `wcskey`).
    pub wcs: Wcs,
    /// Science data in the file's units, `(ny, nx)`.
    pub sci: Array2<f32>,
    /// The `ERR` extension, when the file has it.
    pub err: Option<Array2<f32>>,
    /// The `DQ` extension (after `resetbits` were cleared), when the file has it.
    pub dq: Option<Array2<u32>>,
    /// Gain, e⁻ per data unit (1 for data already in electrons).
    pub gain: f64,
    /// Read noise, e⁻.
    pub rdnoise: f64,
    /// A user inverse-variance map for `final_wht_type = IVM` (from the `@file`).
    pub ivm: Option<Array2<f32>>,
}

impl Chip {
    /// `(ny, nx)` of the science array.
    ///
    /// ```
    /// # use astro_pipeline::Chip;
    /// # let chip = Chip { extver: 1, header: astro_wcs::Header::new(),
    /// #   wcs: astro_wcs::Wcs::new_tan((0.0, 0.0), (1.0, 1.0), [[-1e-5, 0.0], [0.0, 1e-5]]).unwrap(),
    /// #   sci: ndarray::Array2::zeros((3, 4)), err: None, dq: None, gain: 1.0, rdnoise: 0.0, ivm: None };
    /// assert_eq!(chip.shape(), (3, 4));
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        self.sci.dim()
    }
}

/// One input exposure (one file): its chips and exposure-wide values.
///
/// ```
/// use astro_pipeline::{DataUnits, Exposure};
/// let e = Exposure {
///     path: "j8bt06nyq_flt.fits".into(),
///     rootname: "j8bt06nyq".into(),
///     primary: astro_wcs::Header::new(),
///     exptime: 500.0,
///     units: DataUnits::Counts,
///     chips: vec![],
///     ivm_path: None,
/// };
/// assert_eq!(e.rootname, "j8bt06nyq");
/// ```
#[derive(Debug, Clone)]
pub struct Exposure {
    /// The file it was read from.
    pub path: PathBuf,
    /// The file name without directory and without `_flt.fits`-style suffix: the stem of
    /// intermediate product names (`<rootname>_single_sci.fits`).
    pub rootname: String,
    /// The primary header.
    pub primary: Header,
    /// Exposure time (s), from `EXPTIME` or the `exptime`/`expkeyword` overrides.
    pub exptime: f64,
    /// Units of the SCI data.
    pub units: DataUnits,
    /// The chips, in `EXTVER` order (only those selected by `group`).
    pub chips: Vec<Chip>,
    /// The IVM file named beside this exposure in the `@file`, if any.
    pub ivm_path: Option<PathBuf>,
}
