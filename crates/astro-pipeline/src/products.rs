//! The files a run writes: their names ([`ProductNames`]), the final products
//! ([`write_final`]) and the intermediate images ([`write_image`], [`write_mask`]).
//!
//! Every file is written atomically: astro-fits writes a temporary file beside the final
//! name and renames it when complete, so a failure (a full disk, an error part-way)
//! leaves nothing under the final name. [`write_final`] also stages all its files before
//! renaming any of them, so the products of one run appear together or not at all.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use astro_fits::{ClosedFits, Compression, FitsWriter, Pixel};
use astro_wcs::{Card, Header, Wcs};
use ndarray::{Array2, Array3, ArrayView2};

use crate::config::{DrizzleConfig, FinalUnits};
use crate::error::{Error, Result};
use crate::exposure::Exposure;

/// Every path a run writes, derived from `output` (or the first input) and `runfile`.
///
/// - Final products: `<output>_drz_sci.fits`, `<output>_drz_wht.fits`,
///   `<output>_drz_ctx.fits`, or with `build = true` one `<output>_drz.fits`.
/// - Intermediates (AstroDrizzle's names, in the output directory):
///   `<root>_single_sci.fits`, `<root>_single_wht.fits`, `<output>_med.fits`,
///   `<root>_sci<extver>_blt.fits`, `<root>_sci<extver>_crmask.fits`,
///   `<root>_crclean.fits`, where `<root>` is an exposure's rootname.
/// - Previews: `<output>_drz_sci.png`, `<output>_drz_wht.png`.
/// - The log: `runfile` (`None` when `runfile = ""`).
///
/// `output = ""` uses the rootname of the single input, or `final` when there are several
/// inputs (AstroDrizzle's rule). A trailing `_drz.fits`, `_drz_sci.fits`, `_drz` or
/// `.fits` given in `output` is dropped. Relative names resolve against the current
/// directory.
///
/// ```
/// use astro_pipeline::{DrizzleConfig, Exposure, DataUnits, ProductNames};
/// let dir = tempfile::tempdir()?;
/// let cfg = DrizzleConfig {
///     output: dir.path().join("m31").to_str().unwrap().into(),
///     runfile: String::new(),
///     ..Default::default()
/// };
/// let names = ProductNames::new(&cfg, &[])?;
/// assert_eq!(names.final_files(), vec![
///     dir.path().join("m31_drz_sci.fits"),
///     dir.path().join("m31_drz_wht.fits"),
///     dir.path().join("m31_drz_ctx.fits"),
/// ]);
/// assert_eq!(names.median(), dir.path().join("m31_med.fits"));
/// assert_eq!(names.log(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductNames {
    /// The output directory (absolute).
    dir: PathBuf,
    /// The products' stem (`<output>` without directory).
    stem: String,
    build: bool,
    context: bool,
    log: Option<PathBuf>,
}

impl ProductNames {
    /// The names for a run of `cfg` on `exposures`; checks that the output directory
    /// exists and is writable (by creating and removing a probe file in it).
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the directory when it does not exist, is not a directory
    /// or cannot be written, or naming a product that would replace an input file;
    /// [`Error::Io`] when the current directory cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_pipeline::{DrizzleConfig, Error, ProductNames};
    /// let cfg = DrizzleConfig { output: "/no/such/dir/final".into(), ..Default::default() };
    /// let err = ProductNames::new(&cfg, &[]).unwrap_err();
    /// assert!(matches!(err, Error::Output { .. }));
    /// assert!(err.to_string().contains("/no/such/dir"), "{err}");
    /// ```
    pub fn new(cfg: &DrizzleConfig, exposures: &[Exposure]) -> Result<ProductNames> {
        let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        let output = cfg.output.trim();
        let output: String = if output.is_empty() {
            match exposures {
                [one] if !one.rootname.is_empty() => one.rootname.clone(),
                _ => "final".to_string(),
            }
        } else {
            strip_product_suffix(output).to_string()
        };
        let full = cwd.join(&output);
        let stem = full
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty() && n != "." && n != "..")
            .ok_or_else(|| Error::Output {
                path: full.clone(),
                reason: format!("output = {output:?} does not end in a file name"),
            })?;
        let dir = full.parent().map_or_else(|| cwd.clone(), Path::to_path_buf);
        check_writable_dir(&dir)?;
        let runfile = cfg.runfile.trim();
        let log = (!runfile.is_empty()).then(|| cwd.join(runfile));
        if let Some(l) = &log
            && let Some(parent) = l.parent()
        {
            check_writable_dir(parent)?;
        }
        let names = ProductNames {
            dir,
            stem,
            build: cfg.build,
            context: cfg.context,
            log,
        };
        let canon = |p: &Path| std::fs::canonicalize(p).ok();
        let mut products = names.final_files();
        products.push(names.median());
        for e in exposures {
            products.extend([names.single_sci(e), names.single_wht(e), names.cr_clean(e)]);
            for c in &e.chips {
                products.extend([names.blot(e, c.extver), names.cr_mask(e, c.extver)]);
            }
        }
        if let Some(l) = &names.log {
            products.push(l.clone());
        }
        for e in exposures {
            let input = canon(&e.path);
            if input.is_none() {
                continue;
            }
            if let Some(p) = products.iter().find(|p| canon(p) == input) {
                return Err(Error::Output {
                    path: p.clone(),
                    reason: format!("this product would replace the input {}", e.path.display()),
                });
            }
        }
        Ok(names)
    }

    /// The output directory.
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, ProductNames};
    /// let dir = tempfile::tempdir()?;
    /// let cfg = DrizzleConfig { output: dir.path().join("x").to_str().unwrap().into(), ..Default::default() };
    /// assert_eq!(ProductNames::new(&cfg, &[])?.dir(), dir.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The products' stem (`output` without directory and suffix).
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, ProductNames};
    /// let dir = tempfile::tempdir()?;
    /// let cfg = DrizzleConfig { output: dir.path().join("x_drz.fits").to_str().unwrap().into(), ..Default::default() };
    /// assert_eq!(ProductNames::new(&cfg, &[])?.stem(), "x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stem(&self) -> &str {
        &self.stem
    }

    fn file(&self, name: String) -> PathBuf {
        self.dir.join(name)
    }

    /// The final products: `[sci, wht, ctx]` (`ctx` only when `context` is set), or
    /// `[<output>_drz.fits]` with `build`.
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, ProductNames};
    /// let dir = tempfile::tempdir()?;
    /// let cfg = DrizzleConfig { output: dir.path().join("x").to_str().unwrap().into(), build: true, ..Default::default() };
    /// assert_eq!(ProductNames::new(&cfg, &[])?.final_files(), vec![dir.path().join("x_drz.fits")]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn final_files(&self) -> Vec<PathBuf> {
        if self.build {
            return vec![self.file(format!("{}_drz.fits", self.stem))];
        }
        let mut v = vec![self.final_sci(), self.final_wht()];
        if self.context {
            v.push(self.final_ctx());
        }
        v
    }

    fn final_sci(&self) -> PathBuf {
        self.file(format!("{}_drz_sci.fits", self.stem))
    }

    fn final_wht(&self) -> PathBuf {
        self.file(format!("{}_drz_wht.fits", self.stem))
    }

    fn final_ctx(&self) -> PathBuf {
        self.file(format!("{}_drz_ctx.fits", self.stem))
    }

    /// `<root>_single_sci.fits`: the exposure drizzled alone.
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, DataUnits, Exposure, ProductNames};
    /// # let dir = tempfile::tempdir()?;
    /// # let cfg = DrizzleConfig { output: dir.path().join("x").to_str().unwrap().into(), ..Default::default() };
    /// let e = Exposure { path: "j8bt06nyq_flt.fits".into(), rootname: "j8bt06nyq".into(),
    ///     primary: astro_wcs::Header::new(), exptime: 1.0, units: DataUnits::Counts,
    ///     chips: vec![], ivm_path: None };
    /// let names = ProductNames::new(&cfg, &[])?;
    /// assert!(names.single_sci(&e).ends_with("j8bt06nyq_single_sci.fits"));
    /// assert!(names.single_wht(&e).ends_with("j8bt06nyq_single_wht.fits"));
    /// assert!(names.blot(&e, 2).ends_with("j8bt06nyq_sci2_blt.fits"));
    /// assert!(names.cr_mask(&e, 1).ends_with("j8bt06nyq_sci1_crmask.fits"));
    /// assert!(names.cr_clean(&e).ends_with("j8bt06nyq_crclean.fits"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn single_sci(&self, e: &Exposure) -> PathBuf {
        self.file(format!("{}_single_sci.fits", e.rootname))
    }

    /// `<root>_single_wht.fits`: the weight of [`ProductNames::single_sci`].
    ///
    /// See [`ProductNames::single_sci`] for an example.
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, ProductNames};
    /// # let names = ProductNames::new(&DrizzleConfig { output: std::env::temp_dir().join("x").to_str().unwrap().into(), ..Default::default() }, &[])?;
    /// # let _ = names;
    /// # Ok::<(), astro_pipeline::Error>(())
    /// ```
    pub fn single_wht(&self, e: &Exposure) -> PathBuf {
        self.file(format!("{}_single_wht.fits", e.rootname))
    }

    /// `<output>_med.fits`: the median image.
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, ProductNames};
    /// # let dir = tempfile::tempdir()?;
    /// let cfg = DrizzleConfig { output: dir.path().join("x").to_str().unwrap().into(), ..Default::default() };
    /// assert_eq!(ProductNames::new(&cfg, &[])?.median(), dir.path().join("x_med.fits"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn median(&self) -> PathBuf {
        self.file(format!("{}_med.fits", self.stem))
    }

    /// `<root>_sci<extver>_blt.fits`: the median blotted back to a chip.
    ///
    /// See [`ProductNames::single_sci`] for an example.
    ///
    /// ```
    /// # let _ = astro_pipeline::ProductNames::blot;
    /// ```
    pub fn blot(&self, e: &Exposure, extver: i64) -> PathBuf {
        self.file(format!("{}_sci{extver}_blt.fits", e.rootname))
    }

    /// `<root>_sci<extver>_crmask.fits`: a chip's cosmic-ray mask (1 = good, 0 = CR).
    ///
    /// See [`ProductNames::single_sci`] for an example.
    ///
    /// ```
    /// # let _ = astro_pipeline::ProductNames::cr_mask;
    /// ```
    pub fn cr_mask(&self, e: &Exposure, extver: i64) -> PathBuf {
        self.file(format!("{}_sci{extver}_crmask.fits", e.rootname))
    }

    /// `<root>_crclean.fits`: the exposure with cosmic rays replaced (`driz_cr_corr`).
    ///
    /// See [`ProductNames::single_sci`] for an example.
    ///
    /// ```
    /// # let _ = astro_pipeline::ProductNames::cr_clean;
    /// ```
    pub fn cr_clean(&self, e: &Exposure) -> PathBuf {
        self.file(format!("{}_crclean.fits", e.rootname))
    }

    /// The log file (`runfile`), if one is written.
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, ProductNames};
    /// # let dir = tempfile::tempdir()?;
    /// let log = dir.path().join("run.log");
    /// let cfg = DrizzleConfig { output: dir.path().join("x").to_str().unwrap().into(),
    ///     runfile: log.to_str().unwrap().into(), ..Default::default() };
    /// assert_eq!(ProductNames::new(&cfg, &[])?.log(), Some(log));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log(&self) -> Option<PathBuf> {
        self.log.clone()
    }

    /// `<output>_drz_sci.png`: the preview of the final image.
    ///
    /// ```
    /// # use astro_pipeline::{DrizzleConfig, ProductNames};
    /// # let dir = tempfile::tempdir()?;
    /// let cfg = DrizzleConfig { output: dir.path().join("x").to_str().unwrap().into(), ..Default::default() };
    /// let names = ProductNames::new(&cfg, &[])?;
    /// assert_eq!(names.preview_sci(), dir.path().join("x_drz_sci.png"));
    /// assert_eq!(names.preview_wht(), dir.path().join("x_drz_wht.png"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn preview_sci(&self) -> PathBuf {
        self.file(format!("{}_drz_sci.png", self.stem))
    }

    /// `<output>_drz_wht.png`: the preview of the final weight map.
    ///
    /// See [`ProductNames::preview_sci`].
    ///
    /// ```
    /// # let _ = astro_pipeline::ProductNames::preview_wht;
    /// ```
    pub fn preview_wht(&self) -> PathBuf {
        self.file(format!("{}_drz_wht.png", self.stem))
    }
}

fn strip_product_suffix(output: &str) -> &str {
    let lower = output.to_ascii_lowercase();
    for suffix in ["_drz_sci.fits", "_drz.fits", "_drc.fits", "_drz", ".fits"] {
        if lower.ends_with(suffix) && output.len() > suffix.len() {
            return &output[..output.len() - suffix.len()];
        }
    }
    output
}

static PROBE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Fails with [`Error::Output`] unless `dir` is an existing directory where files can be
/// created (checked by creating and removing a probe file: permission bits alone do not
/// tell, e.g. for root or on read-only mounts).
pub(crate) fn check_writable_dir(dir: &Path) -> Result<()> {
    let out_err = |reason: String| Error::Output {
        path: dir.to_path_buf(),
        reason,
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(out_err("the output directory is not a directory".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(out_err(
                "the output directory does not exist (create it first)".into(),
            ));
        }
        Err(e) => return Err(out_err(format!("cannot access the output directory: {e}"))),
    }
    let probe = dir.join(format!(
        ".astro-write-probe.{}.{}",
        std::process::id(),
        PROBE_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(out_err(format!(
            "the output directory is not writable: {e}"
        ))),
    }
}

/// The final drizzled images, ready to write.
///
/// ```
/// use astro_pipeline::FinalImages;
/// use ndarray::{Array2, Array3};
/// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (5.0, 5.0), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let images = FinalImages {
///     sci: Array2::zeros((10, 10)),
///     wht: Array2::zeros((10, 10)),
///     ctx: Some(Array3::zeros((1, 10, 10))),
///     wcs,
/// };
/// assert_eq!(images.sci.dim(), (10, 10));
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FinalImages {
    /// The science image `(ny, nx)`, in the units of `final_units`.
    pub sci: Array2<f32>,
    /// The weight image `(ny, nx)`.
    pub wht: Array2<f32>,
    /// The context bit planes `(nplanes, ny, nx)` (bit `i` of plane `p` = input image
    /// `32 p + i` contributed), when `context` is set.
    pub ctx: Option<Array3<i32>>,
    /// The output WCS.
    pub wcs: Wcs,
}

/// Keywords of an input primary header that are not carried to a product, beyond the
/// structural ones (SIMPLE, BITPIX, NAXISn, BZERO, CHECKSUM, ...) that astro-fits never
/// copies when it writes a header: they describe the input file, not the product.
fn is_dropped_primary_keyword(keyword: &str) -> bool {
    matches!(
        keyword.to_ascii_uppercase().as_str(),
        "EXTNAME" | "EXTVER" | "NEXTEND" | "BLANK" | "FILENAME" | "FILETYPE"
    )
}

/// WCS keywords of an input header (any alternate key), which must not reach a product
/// whose WCS is the output WCS: the input's SIP or alternate WCSs would corrupt it.
fn is_wcs_keyword(keyword: &str) -> bool {
    let k = keyword.to_ascii_uppercase();
    // Alternate WCSs end in a letter A-Z; strip one to compare with the primary names.
    let bases: Vec<&str> = match k.as_bytes().last() {
        Some(c) if c.is_ascii_uppercase() && k.len() > 1 => vec![&k[..k.len() - 1], &k],
        _ => vec![&k],
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let indexed = |s: &str, prefix: &str| s.strip_prefix(prefix).is_some_and(digits);
    let matrix = |s: &str, prefix: &str| {
        s.strip_prefix(prefix)
            .and_then(|r| r.split_once('_'))
            .is_some_and(|(i, j)| digits(i) && digits(j))
    };
    let wcs_base = |s: &str| {
        matches!(
            s,
            "WCSAXES"
                | "WCSNAME"
                | "LONPOLE"
                | "LATPOLE"
                | "RADESYS"
                | "RADECSYS"
                | "EQUINOX"
                | "MJDREF"
                | "WCSVERS"
        ) || [
            "CTYPE", "CRPIX", "CRVAL", "CDELT", "CUNIT", "CROTA", "CRDER", "CSYER",
        ]
        .iter()
        .any(|p| indexed(s, p))
            || ["CD", "PC", "PV", "PS"].iter().any(|p| matrix(s, p))
    };
    // Distortion keywords carry no alternate key.
    let distortion = ["A_", "B_", "AP_", "BP_"].iter().any(|p| k.starts_with(p))
        || [
            "CPDIS", "CQDIS", "CPERR", "CQERR", "DP", "DQ", "D2IMDIS", "D2IMERR", "D2IM",
        ]
        .iter()
        .any(|p| indexed(&k, p))
        || matches!(
            k.as_str(),
            "D2IMEXT" | "NPOLEXT" | "SIPNAME" | "NPOLNAME" | "D2IMNAME"
        );
    distortion || bases.iter().any(|b| wcs_base(b))
}

fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// The primary header of a product: the first input's primary header without the cards
/// that describe the input file and without WCS keywords (of any key, and distortion), then
/// `extra_cards` (replacing keywords of the same name), then the effective
/// configuration as `HISTORY astro: name = value` cards.
fn product_primary(cfg: &DrizzleConfig, primary: &Header, extra_cards: &[Card]) -> Header {
    let mut h: Header = primary
        .cards()
        .iter()
        .filter(|c| !is_dropped_primary_keyword(&c.keyword) && !is_wcs_keyword(&c.keyword))
        .cloned()
        .collect();
    for card in extra_cards {
        if card.keyword.eq_ignore_ascii_case("BUNIT") {
            continue; // goes to the image headers
        }
        if card.is_commentary() {
            h.push(card.clone());
        } else {
            h.remove(&card.keyword);
            h.push(card.clone());
        }
    }
    h.push(Card::commentary(
        "HISTORY",
        format!(
            "astro: astro-pipeline {} effective configuration:",
            env!("CARGO_PKG_VERSION")
        ),
    ));
    for (name, value) in cfg.parameters() {
        // An empty value is shown as "" (trailing blanks do not survive in a card).
        let value = if value.is_empty() {
            "\"\"".to_string()
        } else {
            value
        };
        h.push(Card::commentary(
            "HISTORY",
            ascii(&format!("astro: {name} = {value}")),
        ));
    }
    h
}

/// The header of a product image: the WCS (without lookup tables, which would need
/// extensions of their own), `BUNIT` when given.
fn image_header(wcs: Option<&Wcs>, bunit: Option<&str>, cards: &[Card]) -> Result<Header> {
    let mut h = match wcs {
        Some(w) => w.to_header()?,
        None => Header::new(),
    };
    if let Some(b) = bunit {
        h.set_with_comment("BUNIT", b, "units of the data");
    }
    for card in cards {
        if card.is_commentary() {
            h.push(card.clone());
        } else {
            h.remove(&card.keyword);
            h.push(card.clone());
        }
    }
    Ok(h)
}

/// The staging name of a product: the final file is renamed from it once every product
/// of the set is complete.
fn staging_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{}.{}.staged",
        std::process::id(),
        PROBE_COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Removes staged files on drop unless disarmed.
struct Staged {
    files: Vec<(PathBuf, PathBuf)>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (staged, _) in &self.files {
            let _ = std::fs::remove_file(staged);
        }
    }
}

impl Staged {
    fn add(&mut self, final_path: &Path) -> PathBuf {
        let s = staging_name(final_path);
        self.files.push((s.clone(), final_path.to_path_buf()));
        s
    }

    /// Renames every staged file to its final name. If one rename fails, the products
    /// already renamed are removed again, so that a set of products is never left mixed
    /// (a new SCI beside an old WHT).
    fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = Vec::with_capacity(self.files.len());
        let files = std::mem::take(&mut self.files);
        for (i, (staged, dest)) in files.iter().enumerate() {
            if let Err(e) = std::fs::rename(staged, dest) {
                for (s, _) in &files[i..] {
                    let _ = std::fs::remove_file(s);
                }
                for done in &out {
                    let _ = std::fs::remove_file(done);
                }
                return Err(Error::Output {
                    path: dest.clone(),
                    reason: format!(
                        "cannot rename the completed file into place: {e}; no product of \
                         this set was kept"
                    ),
                });
            }
            out.push(dest.clone());
        }
        Ok(out)
    }
}

fn fits_write_err(path: &Path, e: astro_fits::Error) -> Error {
    // CFITSIO's WRITE_ERROR (106) is what a full disk or a file-size limit gives.
    let hint = match e {
        astro_fits::Error::Cfitsio { status: 106, .. } => {
            " (is the disk full, or a file-size limit reached?)"
        }
        _ => "",
    };
    Error::Output {
        path: path.to_path_buf(),
        reason: format!("writing failed, nothing was left under this name: {e}{hint}"),
    }
}

/// Writes the final products: with `build = false` three simple FITS files (data in the
/// primary HDU, as AstroDrizzle writes them) `<output>_drz_sci.fits` (f32),
/// `<output>_drz_wht.fits` (f32) and `<output>_drz_ctx.fits` (i32, when `images.ctx` is
/// given and `context` is set); with `build = true` one `<output>_drz.fits` with an empty
/// primary HDU and `SCI`, `WHT`, `CTX` image extensions. Returns the paths written.
///
/// Headers: the primary (or only) header is the first input's primary header `primary`
/// without structural cards and WCS keywords (of every alternate key, SIP and lookup-table
/// cards: the product's only WCS is the output WCS), plus `extra_cards` (e.g. `NDRIZIM`, `EXPTIME`; a card
/// replaces a keyword of the same name), plus the effective configuration as
/// `HISTORY astro: name = value` cards ([`DrizzleConfig::parameters`]; an empty value is written `""`). Each image carries
/// the output WCS ([`Wcs::to_header`]); the science image carries `BUNIT` — the value of
/// a `BUNIT` card in `extra_cards` if there is one, else `ELECTRONS/S` (`final_units =
/// cps`) or `ELECTRONS` (`counts`). Existing products of the same names are replaced.
///
/// Context with more than one plane (more than 32 inputs): astro-fits writes 2-D images
/// only, so the planes are written as image extensions `CTX,1`, `CTX,2`, ... (after an
/// empty primary HDU in the separate CTX file) instead of AstroDrizzle's 3-D cube; the
/// primary header then has `NCTXPLN` = the number of planes. With one plane the CTX image
/// is 2-D, as in AstroDrizzle.
///
/// All files are first written under temporary names and renamed only when every one of
/// them is complete: on any error nothing new appears under the final names and no
/// temporary file is left.
///
/// # Errors
///
/// [`Error::Output`] naming the file that could not be written (a full disk, a vanished
/// directory, a card that cannot be written); [`Error::Parameter`] when the images'
/// shapes disagree.
///
/// # Examples
///
/// ```
/// use astro_pipeline::{write_final, DrizzleConfig, FinalImages, ProductNames};
/// use astro_wcs::{Card, Header, Wcs};
/// use ndarray::{Array2, Array3};
///
/// let dir = tempfile::tempdir()?;
/// let cfg = DrizzleConfig { output: dir.path().join("m31").to_str().unwrap().into(), ..Default::default() };
/// let names = ProductNames::new(&cfg, &[])?;
/// let images = FinalImages {
///     sci: Array2::from_elem((20, 30), 1.5),
///     wht: Array2::from_elem((20, 30), 60.0),
///     ctx: Some(Array3::from_elem((1, 20, 30), 1)),
///     wcs: Wcs::new_tan((10.0, 20.0), (15.0, 10.0), [[-1e-5, 0.0], [0.0, 1e-5]])?,
/// };
/// let mut primary = Header::new();
/// primary.set("TELESCOP", "HST");
/// let written = write_final(&names, &cfg, &primary, &images, &[Card::new("NDRIZIM", 1)])?;
/// assert_eq!(written.len(), 3);
/// let h = astro_fits::read_header(&written[0], 0)?;
/// assert_eq!(h.get_i64("NDRIZIM")?, Some(1));
/// assert_eq!(h.get_str("BUNIT")?, Some("ELECTRONS/S"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_final(
    names: &ProductNames,
    cfg: &DrizzleConfig,
    primary: &Header,
    images: &FinalImages,
    extra_cards: &[Card],
) -> Result<Vec<PathBuf>> {
    let shape = images.sci.dim();
    if images.wht.dim() != shape {
        return Err(Error::parameter(
            "final images",
            format!(
                "WHT shape {:?} differs from SCI shape {:?}",
                images.wht.dim(),
                shape
            ),
        ));
    }
    let ctx = if cfg.context {
        images.ctx.as_ref()
    } else {
        None
    };
    if let Some(c) = ctx {
        let (n, ny, nx) = c.dim();
        if (ny, nx) != shape || n == 0 {
            return Err(Error::parameter(
                "final images",
                format!("CTX shape {:?} does not match SCI shape {shape:?}", c.dim()),
            ));
        }
    }
    let bunit = extra_cards
        .iter()
        .rev()
        .find(|c| c.keyword.eq_ignore_ascii_case("BUNIT"))
        .and_then(|c| c.value.as_ref())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| match cfg.final_units {
            FinalUnits::Cps => "ELECTRONS/S".to_string(),
            FinalUnits::Counts => "ELECTRONS".to_string(),
        });
    let mut prihdr = product_primary(cfg, primary, extra_cards);
    if let Some(c) = ctx
        && c.dim().0 > 1
    {
        prihdr.set_with_comment("NCTXPLN", c.dim().0 as i64, "context planes (CTX,1..n)");
    }
    let sci_hdr = image_header(Some(&images.wcs), Some(&bunit), &[])?;
    let plain_hdr = image_header(Some(&images.wcs), None, &[])?;

    let mut staged = Staged { files: Vec::new() };
    if names.build {
        let dest = names.final_files().remove(0);
        let tmp = staged.add(&dest);
        let write = || -> astro_fits::Result<()> {
            let mut w = FitsWriter::create(&tmp, true)?;
            let mut h = prihdr.clone();
            h.set_with_comment("FILENAME", file_name(&dest), "name of file");
            w.write_primary(Some(&h))?;
            w.write_image("SCI", 1, &sci_hdr, images.sci.view())?;
            w.write_image("WHT", 1, &plain_hdr, images.wht.view())?;
            if let Some(c) = ctx {
                for (p, plane) in c.outer_iter().enumerate() {
                    w.write_image("CTX", p as i64 + 1, &plain_hdr, plane)?;
                }
            }
            write_lookup_tables(&mut w, Some(&images.wcs))?;
            w.finish()
        };
        write().map_err(|e| fits_write_err(&dest, e))?;
    } else {
        let simple = |dest: &Path, filetype: &str, image: &Header| -> Header {
            let mut h = prihdr.clone();
            h.set_with_comment("FILENAME", file_name(dest), "name of file");
            h.set_with_comment("FILETYPE", filetype, "type of data in array");
            h.update(image);
            h
        };
        // The files are independent: written in parallel on the current rayon pool.
        let sci_dest = names.final_sci();
        let sci_tmp = staged.add(&sci_dest);
        let wht_dest = names.final_wht();
        let wht_tmp = staged.add(&wht_dest);
        let ctx_job = ctx.map(|c| {
            let dest = names.final_ctx();
            let tmp = staged.add(&dest);
            (c, dest, tmp)
        });
        // Each file is closed unsynced, then the three are synced and renamed together
        // (below), so that their waits for the disk overlap.
        let write_sci = || {
            write_simple_closed(
                &sci_tmp,
                &simple(&sci_dest, "SCI", &sci_hdr),
                images.sci.view(),
                Some(&images.wcs),
            )
            .map_err(|e| fits_write_err(&sci_dest, e))
        };
        let write_wht = || {
            write_simple_closed(
                &wht_tmp,
                &simple(&wht_dest, "WHT", &plain_hdr),
                images.wht.view(),
                Some(&images.wcs),
            )
            .map_err(|e| fits_write_err(&wht_dest, e))
        };
        let write_ctx = || -> Result<Option<ClosedFits>> {
            let Some((c, dest, tmp)) = &ctx_job else {
                return Ok(None);
            };
            let h = simple(dest, "CTX", &plain_hdr);
            let result = if c.dim().0 == 1 {
                write_simple_closed(
                    tmp,
                    &h,
                    c.index_axis(ndarray::Axis(0), 0),
                    Some(&images.wcs),
                )
            } else {
                (|| {
                    let mut w = FitsWriter::create(tmp, true)?;
                    w.write_primary(Some(&prihdr))?;
                    for (p, plane) in c.outer_iter().enumerate() {
                        w.write_image("CTX", p as i64 + 1, &plain_hdr, plane)?;
                    }
                    write_lookup_tables(&mut w, Some(&images.wcs))?;
                    w.close()
                })()
            };
            result.map(Some).map_err(|e| fits_write_err(dest, e))
        };
        let (r_sci, (r_wht, r_ctx)) = rayon::join(write_sci, || rayon::join(write_wht, write_ctx));
        // (an error drops the other closed files, which removes them)
        let mut closed = vec![(r_sci?, sci_dest.as_path()), (r_wht?, wht_dest.as_path())];
        if let (Some(c), Some((_, dest, _))) = (r_ctx?, &ctx_job) {
            closed.push((c, dest.as_path()));
        }
        commit_together(closed)?;
    }
    staged.commit()
}

/// Syncs and renames closed files, each on its own thread: the threads only wait for the
/// disk, together rather than one after the other (a file whose thread cannot be started
/// is committed on the calling thread). The first error, in the order given, is returned.
fn commit_together(closed: Vec<(ClosedFits, &Path)>) -> Result<()> {
    let commit = |c: ClosedFits, dest: &Path| c.commit().map_err(|e| fits_write_err(dest, e));
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let mut pending = Vec::new();
        for (c, dest) in closed {
            // The thread takes the file through a channel so that it is still here if
            // the thread cannot be started.
            let (tx, rx) = std::sync::mpsc::channel::<ClosedFits>();
            let started = std::thread::Builder::new()
                .name("astro-commit".into())
                .spawn_scoped(scope, move || match rx.recv() {
                    Ok(c) => commit(c, dest),
                    Err(_) => Ok(()),
                });
            match started {
                Ok(h) => {
                    tx.send(c).expect("the commit thread waits for its file");
                    pending.push(Err(h));
                }
                Err(_) => pending.push(Ok(commit(c, dest))),
            }
        }
        pending
            .into_iter()
            .map(|p| match p {
                Ok(r) => r,
                Err(h) => h
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            })
            .collect()
    });
    results.into_iter().collect()
}

fn file_name(p: &Path) -> String {
    ascii(
        &p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

fn write_simple<T: Pixel>(
    path: &Path,
    header: &Header,
    data: ArrayView2<'_, T>,
    wcs: Option<&Wcs>,
) -> astro_fits::Result<()> {
    write_simple_closed(path, header, data, wcs)?.commit()
}

/// [`write_simple`] up to the closed, not yet synced file.
fn write_simple_closed<T: Pixel>(
    path: &Path,
    header: &Header,
    data: ArrayView2<'_, T>,
    wcs: Option<&Wcs>,
) -> astro_fits::Result<ClosedFits> {
    let mut w = FitsWriter::create(path, true)?;
    w.write_primary_image(header, data)?;
    write_lookup_tables(&mut w, wcs)?;
    w.close()
}

/// The lookup tables of a distorted WCS (`CPDISj`/`D2IMDISj = 'Lookup'`) as the
/// `WCSDVARR`/`D2IMARR` extensions its header cards refer to (as `f32` images, the type
/// HST uses and astropy requires; a 1-D `D2IMARR` table is written as one row).
fn write_lookup_tables(w: &mut FitsWriter, wcs: Option<&Wcs>) -> astro_fits::Result<()> {
    for t in wcs.map(Wcs::lookup_tables).unwrap_or_default() {
        // float32, as HST writes them and as astropy's DistortionLookupTable requires.
        let data = t.data.mapv(|v| v as f32);
        w.write_image(&t.extname, t.extver, &t.header, data.view())?;
    }
    Ok(())
}

/// Writes an intermediate image (single-drizzled image, median, blotted image, CR-cleaned
/// chip): a FITS file with the data in the primary HDU, the WCS if given and `cards`
/// (a WCS with lookup-table distortion gets its `WCSDVARR`/`D2IMARR` tables as image
/// extensions after the data, so that astropy reads the same WCS back); with `compress` (`driz_sep_compress`) the data go instead to a
/// tile-compressed (lossless GZIP) `SCI,1` extension after an empty primary HDU, since a
/// primary HDU cannot be compressed. An existing file is replaced, atomically.
///
/// # Errors
///
/// [`Error::Output`] naming the file when it cannot be written.
///
/// # Examples
///
/// ```
/// use astro_pipeline::write_image;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("x_med.fits");
/// let data = ndarray::Array2::<f32>::from_elem((8, 9), 2.0);
/// write_image(&path, data.view(), None, &[astro_wcs::Card::new("NCOMBINE", 3)], false)?;
/// let (h, back) = astro_fits::FitsReader::open(&path)?.read_hdu::<f32>(0)?;
/// assert_eq!((h.get_i64("NCOMBINE")?, back), (Some(3), data));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_image(
    path: &Path,
    data: ArrayView2<'_, f32>,
    wcs: Option<&Wcs>,
    cards: &[Card],
    compress: bool,
) -> Result<()> {
    let header = image_header(wcs, None, cards)?;
    let result = if compress {
        (|| {
            let mut w = FitsWriter::create(path, true)?;
            w.write_primary(None)?;
            w.set_compression(Compression::Gzip);
            w.write_image("SCI", 1, &header, data)?;
            w.set_compression(Compression::None);
            write_lookup_tables(&mut w, wcs)?;
            w.finish()
        })()
    } else {
        write_simple(path, &header, data, wcs)
    };
    result.map_err(|e| fits_write_err(path, e))
}

/// Writes a mask (CR mask, static mask) as an 8-bit FITS image (data in the primary HDU)
/// with the WCS if given (and its lookup tables, as [`write_image`] does). An existing
/// file is replaced, atomically.
///
/// # Errors
///
/// [`Error::Output`] naming the file when it cannot be written.
///
/// # Examples
///
/// ```
/// use astro_pipeline::write_mask;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("x_sci1_crmask.fits");
/// let mask = ndarray::Array2::<u8>::from_elem((4, 5), 1);
/// write_mask(&path, mask.view(), None)?;
/// assert_eq!(astro_fits::read_image::<u8>(&path, 0)?.1, mask);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_mask(path: &Path, mask: ArrayView2<'_, u8>, wcs: Option<&Wcs>) -> Result<()> {
    let header = image_header(wcs, None, &[])?;
    write_simple(path, &header, mask, wcs).map_err(|e| fits_write_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::{is_wcs_keyword, strip_product_suffix};

    #[test]
    fn wcs_keywords() {
        for k in [
            "CTYPE1", "CRPIX2", "CRVAL1A", "CD1_1", "CD2_1O", "PC1_2", "PV2_1", "CDELT1",
            "WCSNAME", "WCSNAMEO", "A_ORDER", "A_2_0", "BP_0_3", "CPDIS1", "DP2", "D2IMDIS1",
            "D2IMEXT", "LONPOLE", "RADESYS", "WCSAXESA",
        ] {
            assert!(is_wcs_keyword(k), "{k}");
        }
        for k in [
            "EXPTIME", "TELESCOP", "DATE-OBS", "CCDAMP", "PCA", "CDBSFILE", "DQ", "IDCTAB",
            "ORIENTAT", "BUNIT",
        ] {
            assert!(!is_wcs_keyword(k), "{k}");
        }
    }

    #[test]
    fn product_suffixes() {
        assert_eq!(strip_product_suffix("a/b_drz.fits"), "a/b");
        assert_eq!(strip_product_suffix("x_DRZ_SCI.FITS"), "x");
        assert_eq!(strip_product_suffix("plain"), "plain");
        assert_eq!(strip_product_suffix(".fits"), ".fits");
    }
}
