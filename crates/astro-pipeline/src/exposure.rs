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

// ------------------------------------------------------------------------ loading

use std::path::Path;

use astro_fits::{FitsReader, HduId, HduInfo};

use crate::config::{DrizzleConfig, WhtType};
use crate::error::{Error, Result};
use crate::inputs::InputFile;

impl Exposure {
    /// Reads one input exposure: every selected chip with its header, WCS, SCI, ERR and
    /// DQ, and the exposure time, units, gain and read noise.
    ///
    /// The file layout may be
    /// - a multi-extension file with `SCI,n` image extensions, each with its `ERR,n` and
    ///   `DQ,n` when present (HST FLT/FLC files); HST's constant arrays (`NAXIS = 0` with
    ///   `PIXVALUE`) are expanded to the SCI shape;
    /// - a single image: data in the primary HDU, or a lone image extension (other than
    ///   ERR, DQ, WCSDVARR and such auxiliary arrays), taken as one chip with `EXTVER = 1`.
    ///
    /// What `cfg` selects:
    /// - `group`: the EXTVERs to keep (`""` = all);
    /// - `wcskey`: the alternate WCS (`""` = primary); `coeffs = false` drops SIP, TPV and
    ///   lookup-table distortion, keeping the linear WCS;
    /// - `resetbits`: bits cleared in the in-memory DQ (the file is not touched);
    /// - exposure time: `exptime`, else the keyword `expkeyword`, else `EXPTIME` (primary
    ///   header first, then the first SCI header); it must be > 0;
    /// - units from `BUNIT` (first SCI header, then primary): `ELECTRONS`/`COUNTS`/`DN`
    ///   are counts, anything per second (`ELECTRONS/S`, `COUNTS/S`, `CPS`) a rate; without
    ///   `BUNIT`, WFC3/IR and NICMOS data are rates and everything else counts (the HST
    ///   conventions);
    /// - gain per chip, the *effective* gain (e⁻ per data unit, what the cosmic-ray step
    ///   uses): `gain`, else the keyword `gnkeyword` (SCI, then primary), else 1 for data in
    ///   electrons (ACS and WFC3 FLT files: DrizzlePac 3.11 sets their effective gain to 1
    ///   whatever `ATODGN*` say), else `ATODGAIN` (WFPC2, STIS), else the mean of the
    ///   non-zero `ATODGNA..D`, else `CCDGAIN`, else 1;
    /// - read noise per chip: `rdnoise`, else the keyword `rnkeyword`, else the mean of the
    ///   non-zero `READNSEA..D` (as DrizzlePac: zeros mark unused amplifiers), else
    ///   `READNSE` (STIS), else 0 (no read-noise term);
    /// - `final_wht_type = IVM`: the chip's inverse-variance map from the IVM file named in
    ///   the `@file` (its `SCI,n`, or its only image when it has one).
    ///
    /// `MDRIZSKY` and the `skyuser` keyword are left in the headers for the sky step.
    ///
    /// # Errors
    ///
    /// [`Error::Exposure`] naming the file and the extension or keyword: no SCI image
    /// (listing the HDUs found), a `group` EXTVER the file lacks, a missing alternate WCS,
    /// ERR/DQ/IVM shapes that differ from SCI, a missing or non-positive exposure time, a
    /// `BUNIT` that is neither counts nor a rate, a missing `gnkeyword`/`rnkeyword`;
    /// [`Error::Fits`] / [`Error::Wcs`] for unreadable files and invalid WCS headers;
    /// [`Error::Parameter`] for a malformed `group` or `resetbits`.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_fits::FitsWriter;
    /// use astro_pipeline::{DataUnits, DrizzleConfig, Exposure, InputFile};
    /// use astro_wcs::{Header, Wcs};
    /// use ndarray::Array2;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("sim_flt.fits");
    /// let mut primary = Header::new();
    /// primary.set("EXPTIME", 100.0);
    /// primary.set("INSTRUME", "ACS");
    /// let mut sci = Wcs::new_tan((10.0, 20.0), (50.0, 40.0), [[-1e-5, 0.0], [0.0, 1e-5]])?.to_header()?;
    /// sci.set("BUNIT", "ELECTRONS");
    /// let mut w = FitsWriter::create(&path, false)?;
    /// w.write_primary(Some(&primary))?;
    /// w.write_image("SCI", 1, &sci, Array2::<f32>::ones((80, 100)).view())?;
    /// w.write_image("DQ", 1, &Header::new(), Array2::<u16>::from_elem((80, 100), 4096 + 4).view())?;
    /// w.finish()?;
    ///
    /// let input = InputFile { path: path.clone(), ivm: None };
    /// let e = Exposure::load(&input, &DrizzleConfig::default())?;
    /// assert_eq!(e.rootname, "sim");
    /// assert_eq!((e.exptime, e.units), (100.0, DataUnits::Counts));
    /// assert_eq!(e.chips[0].shape(), (80, 100));
    /// assert_eq!(e.chips[0].dq.as_ref().unwrap()[[0, 0]], 4); // resetbits = 4096 cleared
    /// assert_eq!(e.chips[0].gain, 1.0); // electrons
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(input: &InputFile, cfg: &DrizzleConfig) -> Result<Exposure> {
        Self::load_arrays(input, cfg, true)
    }

    /// [`Exposure::load`]; with `read_err = false` the `ERR` extensions are checked (shape)
    /// but not read (`err` stays `None`): a run reads them only for `final_wht_type = ERR`,
    /// the only step that uses them.
    pub(crate) fn load_arrays(
        input: &InputFile,
        cfg: &DrizzleConfig,
        read_err: bool,
    ) -> Result<Exposure> {
        let path = input.path.clone();
        let mut r = FitsReader::open(&path)?;
        let hdus = r.hdus()?;
        let primary = r.header(0)?;
        let sci_hdus = science_hdus(&path, &hdus)?;
        let selected = select_group(&path, cfg, &sci_hdus)?;
        let key = wcs_key(&cfg.wcskey);
        let resetbits = parse_bits("resetbits", &cfg.resetbits)?;
        let ivm_file = match (&input.ivm, cfg.final_wht_type) {
            (Some(p), WhtType::Ivm) => Some(p.clone()),
            _ => None,
        };
        let mut ivm_reader = match &ivm_file {
            Some(p) => Some(IvmSource::open(p)?),
            None => None,
        };

        let mut chips = Vec::with_capacity(selected.len());
        for sci in &selected {
            let id = sci.hdu.clone();
            let header = r.header(id.clone())?;
            if key != ' ' && !header.contains(&format!("CTYPE1{key}")) {
                return Err(Error::Exposure {
                    path: path.clone(),
                    reason: format!(
                        "wcskey = {key:?}: {id} has no alternate WCS {key} (no CTYPE1{key} keyword); \
                         alternate WCSs present: {}",
                        alternate_keys(&header)
                    ),
                });
            }
            let (_, wcs) = r.read_wcs(id.clone(), key)?;
            let wcs = if cfg.coeffs {
                wcs
            } else {
                wcs.without_distortion()
            };
            let data = r.read_image_f32(id.clone())?;
            let shape = data.dim();
            let err = match find_named(&hdus, "ERR", sci.extver) {
                Some(info) if read_err => Some(read_companion_f32(&mut r, &path, info, shape)?),
                Some(info) => {
                    if !info.shape.is_empty() && info.shape.as_slice() != [shape.0, shape.1] {
                        return Err(companion_shape_err(&path, info, shape));
                    }
                    None
                }
                None => None,
            };
            let dq = match find_named(&hdus, "DQ", sci.extver) {
                Some(info) => {
                    let mut dq = read_companion_dq(&mut r, &path, info, shape)?;
                    astro_mask::resetbits(dq.view_mut(), resetbits);
                    Some(dq)
                }
                None => None,
            };
            let ivm = match ivm_reader.as_mut() {
                Some(src) => Some(src.read(sci.extver, shape)?),
                None => None,
            };
            chips.push(Chip {
                extver: sci.extver,
                header,
                wcs,
                sci: data,
                err,
                dq,
                gain: 0.0,
                rdnoise: 0.0,
                ivm,
            });
        }

        let first_sci = chips.first().map(|c| &c.header);
        let exptime = exposure_time(&path, cfg, &primary, first_sci)?;
        let units = data_units(&path, &primary, first_sci)?;
        let in_electrons =
            bunit(&primary, first_sci).is_some_and(|b| b.to_ascii_uppercase().contains("ELECTRON"));
        for chip in &mut chips {
            chip.gain = chip_gain(&path, cfg, &primary, &chip.header, in_electrons)?;
            chip.rdnoise = chip_rdnoise(&path, cfg, &primary, &chip.header)?;
        }
        Ok(Exposure {
            rootname: rootname(&path),
            path,
            primary,
            exptime,
            units,
            chips,
            ivm_path: input.ivm.clone(),
        })
    }
}

/// The stem of product names for an input file: the file name without its directory and
/// without an HST product suffix (`_flt.fits`, `_flc.fits`, `_cal.fits`, `_crf.fits`,
/// optionally gzipped) or a plain `.fits`/`.fit`/`.fits.gz` extension.
pub(crate) fn rootname(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let mut stem_len = name.len();
    for ext in [".fits.gz", ".fit.gz", ".fits", ".fit", ".fts"] {
        if lower.ends_with(ext) {
            stem_len = name.len() - ext.len();
            break;
        }
    }
    let stem_lower = &lower[..stem_len];
    for suffix in ["_flt", "_flc", "_cal", "_crf", "_crclean"] {
        if stem_lower.ends_with(suffix) && stem_len > suffix.len() {
            stem_len -= suffix.len();
            break;
        }
    }
    name[..stem_len].to_string()
}

/// A chip's science HDU.
struct SciHdu {
    hdu: HduId,
    extver: i64,
}

fn exposure_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Exposure {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn describe_hdus(hdus: &[HduInfo]) -> String {
    hdus.iter()
        .map(|h| {
            let name = match &h.extname {
                Some(n) => format!("({n}, {})", h.extver),
                None if h.index == 0 => "PRIMARY".to_string(),
                None => "(unnamed)".to_string(),
            };
            let what = if h.kind.is_image() && h.shape.is_empty() {
                "no data".to_string()
            } else {
                format!("{} {:?}", h.kind, h.shape)
            };
            format!("#{} {name} {what}", h.index)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_2d_image(h: &HduInfo) -> bool {
    h.kind.is_image() && h.shape.len() >= 2 && h.shape.iter().all(|&n| n > 0)
}

/// The science HDUs of a file (see [`Exposure::load`] for the layouts accepted).
fn science_hdus(path: &Path, hdus: &[HduInfo]) -> Result<Vec<SciHdu>> {
    let named: Vec<&HduInfo> = hdus
        .iter()
        .filter(|h| {
            h.extname
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case("SCI"))
        })
        .collect();
    if !named.is_empty() {
        let mut out = Vec::with_capacity(named.len());
        for h in named {
            if !is_2d_image(h) {
                return Err(exposure_err(
                    path,
                    format!(
                        "(SCI, {}) has no image data ({} of shape {:?}); HDUs: {}",
                        h.extver,
                        h.kind,
                        h.shape,
                        describe_hdus(hdus)
                    ),
                ));
            }
            if out.iter().any(|s: &SciHdu| s.extver == h.extver) {
                return Err(exposure_err(
                    path,
                    format!("two SCI extensions have EXTVER {}", h.extver),
                ));
            }
            out.push(SciHdu {
                hdu: HduId::named("SCI", h.extver),
                extver: h.extver,
            });
        }
        out.sort_by_key(|s| s.extver);
        return Ok(out);
    }
    // A single image: the primary's data, or a lone image extension.
    if let Some(p) = hdus.first().filter(|h| is_2d_image(h)) {
        return Ok(vec![SciHdu {
            hdu: HduId::Index(p.index),
            extver: 1,
        }]);
    }
    // Auxiliary arrays (error, quality, distortion tables...) are never the science.
    let auxiliary = |h: &HduInfo| {
        h.extname.as_deref().is_some_and(|n| {
            [
                "ERR",
                "DQ",
                "WHT",
                "CTX",
                "CON",
                "VAR",
                "SAMP",
                "TIME",
                "WCSDVARR",
                "D2IMARR",
                "SDQ",
                "VAR_POISSON",
                "VAR_RNOISE",
                "VAR_FLAT",
                "AREA",
            ]
            .iter()
            .any(|a| n.eq_ignore_ascii_case(a))
        })
    };
    let images: Vec<&HduInfo> = hdus
        .iter()
        .skip(1)
        .filter(|h| is_2d_image(h) && !auxiliary(h))
        .collect();
    if let [lone] = images.as_slice() {
        return Ok(vec![SciHdu {
            hdu: HduId::Index(lone.index),
            extver: 1,
        }]);
    }
    Err(exposure_err(
        path,
        format!(
            "has no SCI extension and no single image to use instead; HDUs found: {}",
            describe_hdus(hdus)
        ),
    ))
}

fn select_group(path: &Path, cfg: &DrizzleConfig, sci: &[SciHdu]) -> Result<Vec<SciHdu>> {
    let spec = cfg.group.trim();
    if spec.is_empty() {
        return Ok(sci
            .iter()
            .map(|s| SciHdu {
                hdu: s.hdu.clone(),
                extver: s.extver,
            })
            .collect());
    }
    let mut out: Vec<SciHdu> = Vec::new();
    for part in spec.split(',') {
        let extver: i64 = part.trim().parse().map_err(|_| {
            Error::parameter(
                "group",
                format!("{part:?} is not an EXTVER (a positive integer); use \"1,2\""),
            )
        })?;
        let Some(s) = sci.iter().find(|s| s.extver == extver) else {
            let have: Vec<String> = sci.iter().map(|s| s.extver.to_string()).collect();
            return Err(exposure_err(
                path,
                format!(
                    "group = {spec:?}: the file has no SCI extension with EXTVER {extver} \
                     (its SCI EXTVERs: {})",
                    have.join(", ")
                ),
            ));
        };
        if !out.iter().any(|o| o.extver == extver) {
            out.push(SciHdu {
                hdu: s.hdu.clone(),
                extver,
            });
        }
    }
    out.sort_by_key(|s| s.extver);
    Ok(out)
}

fn wcs_key(spec: &str) -> char {
    spec.trim()
        .chars()
        .next()
        .map_or(' ', |c| c.to_ascii_uppercase())
}

fn alternate_keys(header: &Header) -> String {
    let keys: String = ('A'..='Z')
        .filter(|k| header.contains(&format!("CTYPE1{k}")))
        .collect();
    if keys.is_empty() { "none".into() } else { keys }
}

pub(crate) fn parse_bits(name: &str, spec: &str) -> Result<astro_mask::GoodBits> {
    let s = spec.trim();
    if s.is_empty() {
        return Ok(astro_mask::GoodBits::NONE);
    }
    s.parse::<astro_mask::GoodBits>()
        .map_err(|e| Error::parameter(name, format!("{s:?} is not a bit specification: {e}")))
}

fn find_named<'a>(hdus: &'a [HduInfo], extname: &str, extver: i64) -> Option<&'a HduInfo> {
    hdus.iter().find(|h| {
        h.extver == extver
            && h.extname
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(extname))
    })
}

/// HST writes constant arrays as `NAXIS = 0` with `PIXVALUE` (and `NPIX1`, `NPIX2`).
fn constant_value(r: &mut FitsReader, info: &HduInfo) -> Result<Option<f64>> {
    if !info.shape.is_empty() {
        return Ok(None);
    }
    let h = r.header(info.id())?;
    Ok(h.get_f64("PIXVALUE")?)
}

fn companion_shape_err(path: &Path, info: &HduInfo, shape: (usize, usize)) -> Error {
    exposure_err(
        path,
        format!(
            "{} has shape {:?} but its SCI extension has shape [{}, {}]",
            info.id(),
            info.shape,
            shape.0,
            shape.1
        ),
    )
}

fn read_companion_f32(
    r: &mut FitsReader,
    path: &Path,
    info: &HduInfo,
    shape: (usize, usize),
) -> Result<Array2<f32>> {
    if let Some(v) = constant_value(r, info)? {
        return Ok(Array2::from_elem(shape, v as f32));
    }
    if info.shape.as_slice() != [shape.0, shape.1] {
        return Err(companion_shape_err(path, info, shape));
    }
    Ok(r.read_image_f32(info.id())?)
}

/// DQ as `u32`: values are read as `i64`; negative values (a signed 16-bit DQ with bit
/// 15 set) are taken as their 16-bit pattern.
fn read_companion_dq(
    r: &mut FitsReader,
    path: &Path,
    info: &HduInfo,
    shape: (usize, usize),
) -> Result<Array2<u32>> {
    let to_u32 = |v: i64| -> u32 {
        if (i64::from(i16::MIN)..0).contains(&v) {
            u32::from(v as i16 as u16)
        } else {
            v as u32
        }
    };
    if let Some(v) = constant_value(r, info)? {
        return Ok(Array2::from_elem(shape, to_u32(v as i64)));
    }
    if info.shape.as_slice() != [shape.0, shape.1] {
        return Err(companion_shape_err(path, info, shape));
    }
    // 16-bit DQ (HST's) read as such: the same values as through i64, 4x less to
    // convert
    match info.dtype {
        Some("int16") => Ok(r
            .read_image::<i16>(info.id())?
            .mapv(|v| u32::from(v as u16))),
        Some("uint16") => Ok(r.read_image::<u16>(info.id())?.mapv(u32::from)),
        _ => Ok(r.read_image::<i64>(info.id())?.mapv(to_u32)),
    }
}

/// The IVM file of an exposure.
struct IvmSource {
    path: std::path::PathBuf,
    reader: FitsReader,
    hdus: Vec<HduInfo>,
}

impl IvmSource {
    fn open(path: &Path) -> Result<IvmSource> {
        let mut reader = FitsReader::open(path)?;
        let hdus = reader.hdus()?;
        Ok(IvmSource {
            path: path.to_path_buf(),
            reader,
            hdus,
        })
    }

    fn read(&mut self, extver: i64, shape: (usize, usize)) -> Result<Array2<f32>> {
        let info = match find_named(&self.hdus, "SCI", extver) {
            Some(i) => i.clone(),
            None => {
                let images: Vec<&HduInfo> = self.hdus.iter().filter(|h| is_2d_image(h)).collect();
                match images.as_slice() {
                    [only] => (*only).clone(),
                    _ => {
                        return Err(exposure_err(
                            &self.path,
                            format!(
                                "IVM file: no (SCI, {extver}) extension for chip {extver} and not a \
                                 single-image file; HDUs found: {}",
                                describe_hdus(&self.hdus)
                            ),
                        ));
                    }
                }
            }
        };
        if info.shape.as_slice() != [shape.0, shape.1] {
            return Err(exposure_err(
                &self.path,
                format!(
                    "IVM file: {} has shape {:?} but chip {extver} of the exposure has shape \
                     [{}, {}]",
                    info.id(),
                    info.shape,
                    shape.0,
                    shape.1
                ),
            ));
        }
        Ok(self.reader.read_image_f32(info.id())?)
    }
}

/// A keyword's numeric value, looked up in `first` then `second`.
fn lookup_f64(
    keyword: &str,
    first: Option<&Header>,
    second: Option<&Header>,
) -> Result<Option<f64>> {
    for h in [first, second].into_iter().flatten() {
        if let Some(v) = h.get_f64(keyword)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn exposure_time(
    path: &Path,
    cfg: &DrizzleConfig,
    primary: &Header,
    sci: Option<&Header>,
) -> Result<f64> {
    if let Some(t) = cfg.exptime {
        return Ok(t);
    }
    let (keyword, param) = match cfg.expkeyword.as_deref().map(str::trim) {
        Some(k) if !k.is_empty() => (k.to_ascii_uppercase(), "expkeyword"),
        _ => ("EXPTIME".to_string(), "exptime"),
    };
    let value = lookup_f64(&keyword, Some(primary), sci)
        .map_err(|e| exposure_err(path, format!("exposure time: {e}")))?;
    match value {
        Some(t) if t.is_finite() && t > 0.0 => Ok(t),
        Some(t) => Err(exposure_err(
            path,
            format!(
                "exposure time keyword {keyword} = {t} is not > 0 (set the {param} parameter to \
                 override it)"
            ),
        )),
        None => Err(exposure_err(
            path,
            format!(
                "no exposure time: keyword {keyword} is in neither the primary nor the SCI \
                 header (set exptime, or expkeyword to the keyword that holds it)"
            ),
        )),
    }
}

fn bunit<'a>(primary: &'a Header, sci: Option<&'a Header>) -> Option<&'a str> {
    [sci, Some(primary)]
        .into_iter()
        .flatten()
        .find_map(|h| h.get_str("BUNIT").ok().flatten())
        .filter(|s| !s.trim().is_empty())
}

fn data_units(path: &Path, primary: &Header, sci: Option<&Header>) -> Result<DataUnits> {
    match bunit(primary, sci) {
        Some(b) => {
            let u: String = b
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            let per_second = ["/S", "/SEC", "/SECOND", "S-1", "S**-1", "S^-1"]
                .iter()
                .any(|s| u.ends_with(s))
                || u == "CPS";
            let base = u.split(['/', '*']).next().unwrap_or("");
            let counts = base.starts_with("ELECTRON")
                || base.starts_with("COUNT")
                || base == "DN"
                || base == "CPS"
                || base == "ADU"
                || base == "E-"
                || base == "PHOTONS";
            match (counts, per_second) {
                (true, true) => Ok(DataUnits::CountRate),
                (true, false) => Ok(DataUnits::Counts),
                _ => Err(exposure_err(
                    path,
                    format!(
                        "BUNIT = {b:?} is neither counts (ELECTRONS, COUNTS, DN) nor a count rate \
                         (ELECTRONS/S, COUNTS/S)"
                    ),
                )),
            }
        }
        None => {
            let get = |k: &str| {
                lookup_str(k, Some(primary), sci)
                    .unwrap_or_default()
                    .to_ascii_uppercase()
            };
            let (instrument, detector) = (get("INSTRUME"), get("DETECTOR"));
            let rate = instrument.starts_with("NICMOS")
                || (instrument.starts_with("WFC3") && detector.starts_with("IR"));
            Ok(if rate {
                DataUnits::CountRate
            } else {
                DataUnits::Counts
            })
        }
    }
}

fn lookup_str(keyword: &str, first: Option<&Header>, second: Option<&Header>) -> Option<String> {
    [first, second].into_iter().flatten().find_map(|h| {
        h.get_str(keyword)
            .ok()
            .flatten()
            .map(|s| s.trim().to_string())
    })
}

fn keyword_value(
    path: &Path,
    param: &str,
    keyword: &str,
    primary: &Header,
    sci: &Header,
) -> Result<f64> {
    let k = keyword.trim().to_ascii_uppercase();
    match lookup_f64(&k, Some(sci), Some(primary))
        .map_err(|e| exposure_err(path, format!("{param} = {k:?}: {e}")))?
    {
        Some(v) if v.is_finite() => Ok(v),
        Some(v) => Err(exposure_err(
            path,
            format!("{param} = {k:?}: the keyword's value {v} is not finite"),
        )),
        None => Err(exposure_err(
            path,
            format!("{param} = {k:?}: keyword {k} is in neither the SCI nor the primary header"),
        )),
    }
}

/// Mean of the non-zero `<prefix>A..D` values present (DrizzlePac's `_averageFromList`
/// over `ATODGNA,ATODGNB,ATODGNC,ATODGND` or `READNSEA..D`: zeros mark unused amplifiers
/// and are skipped).
fn amp_mean(prefix: &str, primary: &Header, sci: &Header) -> Result<Option<f64>> {
    let mut sum = 0.0;
    let mut n = 0usize;
    for a in ['A', 'B', 'C', 'D'] {
        if let Some(v) = lookup_f64(&format!("{prefix}{a}"), Some(sci), Some(primary))?
            && v.is_finite()
            && v != 0.0
        {
            sum += v;
            n += 1;
        }
    }
    Ok((n > 0).then(|| sum / n as f64))
}

fn chip_gain(
    path: &Path,
    cfg: &DrizzleConfig,
    primary: &Header,
    sci: &Header,
    in_electrons: bool,
) -> Result<f64> {
    if let Some(g) = cfg.gain {
        return Ok(g);
    }
    if let Some(k) = cfg.gnkeyword.as_deref().filter(|k| !k.trim().is_empty()) {
        let g = keyword_value(path, "gnkeyword", k, primary, sci)?;
        if g <= 0.0 {
            return Err(exposure_err(
                path,
                format!("gnkeyword = {k:?}: the gain {g} is not > 0"),
            ));
        }
        return Ok(g);
    }
    if in_electrons {
        return Ok(1.0);
    }
    // WFPC2 and STIS: ATODGAIN; then the ACS/WFC3 amplifier gains; then CCDGAIN.
    if let Some(g) =
        lookup_f64("ATODGAIN", Some(sci), Some(primary))?.filter(|g| g.is_finite() && *g > 0.0)
    {
        return Ok(g);
    }
    if let Some(g) = amp_mean("ATODGN", primary, sci)?.filter(|g| *g > 0.0) {
        return Ok(g);
    }
    Ok(lookup_f64("CCDGAIN", Some(sci), Some(primary))?
        .filter(|g| g.is_finite() && *g > 0.0)
        .unwrap_or(1.0))
}

fn chip_rdnoise(path: &Path, cfg: &DrizzleConfig, primary: &Header, sci: &Header) -> Result<f64> {
    if let Some(r) = cfg.rdnoise {
        return Ok(r);
    }
    if let Some(k) = cfg.rnkeyword.as_deref().filter(|k| !k.trim().is_empty()) {
        let r = keyword_value(path, "rnkeyword", k, primary, sci)?;
        if r < 0.0 {
            return Err(exposure_err(
                path,
                format!("rnkeyword = {k:?}: the read noise {r} is negative"),
            ));
        }
        return Ok(r);
    }
    // ACS/WFC3: the amplifiers' READNSEA..D; STIS: READNSE.
    if let Some(r) = amp_mean("READNSE", primary, sci)?.filter(|r| *r > 0.0) {
        return Ok(r);
    }
    Ok(lookup_f64("READNSE", Some(sci), Some(primary))?
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::rootname;
    use std::path::Path;

    #[test]
    fn rootnames() {
        for (name, root) in [
            ("/data/j8bt06nyq_flt.fits", "j8bt06nyq"),
            ("j8bt06nyq_flc.fits", "j8bt06nyq"),
            ("x/ib3y01c6q_cal.fits.gz", "ib3y01c6q"),
            ("a_crf.fits", "a"),
            ("image.fits", "image"),
            ("image.FITS", "image"),
            ("noext", "noext"),
            ("_flt.fits", "_flt"),
        ] {
            assert_eq!(rootname(Path::new(name)), root, "{name}");
        }
    }
}
