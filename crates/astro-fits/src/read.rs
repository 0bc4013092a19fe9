//! Reading: [`FitsReader`], [`HduId`], [`HduInfo`].

use crate::error::{Error, HduKind, Result};
use crate::ffi::{self, Handle, RawHduType, Status, code};
use crate::pixel::Pixel;
use astro_wcs::Header;
use ndarray::Array2;
use std::ffi::CString;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Which HDU: by 0-based index (0 is the primary HDU) or by `(EXTNAME, EXTVER)`.
///
/// Names match case-insensitively (as CFITSIO and astropy do; `HDUNAME` is accepted too).
/// An HDU without `EXTVER` has version 1. `"PRIMARY"` names the primary HDU when no HDU
/// has that EXTNAME.
///
/// # Examples
///
/// ```
/// use astro_fits::HduId;
///
/// assert_eq!(HduId::from(0), HduId::Index(0));
/// assert_eq!(HduId::from("SCI"), HduId::named("SCI", 1));
/// assert_eq!(HduId::from(("DQ", 2)).to_string(), "(DQ, 2)");
/// assert_eq!(HduId::Index(3).to_string(), "HDU #3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HduId {
    /// 0-based position in the file.
    Index(usize),
    /// `EXTNAME` (or `HDUNAME`) and `EXTVER`.
    Name {
        /// The extension name, e.g. `SCI`.
        extname: String,
        /// The extension version (1 when the HDU has no `EXTVER`).
        extver: i64,
    },
}

impl HduId {
    /// The HDU with this EXTNAME and EXTVER.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = astro_fits::HduId::named("SCI", 2);
    /// assert_eq!(id.to_string(), "(SCI, 2)");
    /// ```
    pub fn named(extname: impl Into<String>, extver: i64) -> Self {
        HduId::Name {
            extname: extname.into(),
            extver,
        }
    }
}

impl fmt::Display for HduId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HduId::Index(i) => write!(f, "HDU #{i}"),
            HduId::Name { extname, extver } => write!(f, "({extname}, {extver})"),
        }
    }
}

impl From<usize> for HduId {
    fn from(i: usize) -> Self {
        HduId::Index(i)
    }
}
impl From<&str> for HduId {
    fn from(name: &str) -> Self {
        HduId::named(name, 1)
    }
}
impl From<String> for HduId {
    fn from(name: String) -> Self {
        HduId::named(name, 1)
    }
}
impl From<(&str, i64)> for HduId {
    fn from((name, ver): (&str, i64)) -> Self {
        HduId::named(name, ver)
    }
}
impl From<(String, i64)> for HduId {
    fn from((name, ver): (String, i64)) -> Self {
        HduId::named(name, ver)
    }
}
impl From<&HduId> for HduId {
    fn from(id: &HduId) -> Self {
        id.clone()
    }
}

/// A summary of one HDU, as listed by [`FitsReader::hdus`].
///
/// # Examples
///
/// ```
/// use astro_fits::{FitsWriter, FitsReader, HduKind};
/// use astro_wcs::Header;
/// use ndarray::Array2;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("x.fits");
/// let mut w = FitsWriter::create(&path, false)?;
/// w.write_image("SCI", 1, &Header::new(), Array2::<f32>::zeros((3, 4)).view())?;
/// w.finish()?;
///
/// let hdus = FitsReader::open(&path)?.hdus()?;
/// assert_eq!(hdus.len(), 2);
/// assert_eq!(hdus[1].extname.as_deref(), Some("SCI"));
/// assert_eq!((hdus[1].kind, hdus[1].shape.as_slice()), (HduKind::Image, &[3, 4][..]));
/// assert_eq!(hdus[1].dtype, Some("float32"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HduInfo {
    /// 0-based position in the file.
    pub index: usize,
    /// `EXTNAME`, if the HDU has one.
    pub extname: Option<String>,
    /// `EXTVER` (1 when absent).
    pub extver: i64,
    /// Image, compressed image or table.
    pub kind: HduKind,
    /// For images, the axis lengths slowest first (numpy order: `[ny, nx]` for 2-D, empty
    /// when NAXIS = 0); for tables, `[rows, columns]`.
    pub shape: Vec<usize>,
    /// For images, the numpy name of the pixel type after BZERO/BSCALE (`"uint16"` for
    /// BITPIX 16 with BZERO 32768, `"float32"` when BSCALE is not an integer, ...).
    pub dtype: Option<&'static str>,
}

impl HduInfo {
    /// The identifier of this HDU: `(EXTNAME, EXTVER)` when it has a name, else its index.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_fits::{HduId, HduInfo, HduKind};
    /// let info = HduInfo {
    ///     index: 1, extname: Some("SCI".into()), extver: 2,
    ///     kind: HduKind::Image, shape: vec![10, 10], dtype: Some("float32"),
    /// };
    /// assert_eq!(info.id(), HduId::named("SCI", 2));
    /// ```
    pub fn id(&self) -> HduId {
        match &self.extname {
            Some(name) => HduId::named(name.clone(), self.extver),
            None => HduId::Index(self.index),
        }
    }
}

/// CFITSIO turns the header of a tile-compressed image into that of a *primary* image
/// (`SIMPLE`, `EXTEND`, two COMMENT cards citing the FITS paper). Give it back the form of
/// the IMAGE extension it stands for: `XTENSION = 'IMAGE'`, `PCOUNT`, `GCOUNT`.
fn as_image_extension(header: &Header) -> Header {
    use astro_wcs::Card;
    let boilerplate = |c: &Card| {
        c.keyword == "COMMENT"
            && c.comment.as_deref().is_some_and(|t| {
                t.contains("FITS (Flexible Image Transport System) format is defined")
                    || t.contains("and Astrophysics', volume 376, page 359")
            })
    };
    let mut out = Vec::with_capacity(header.len() + 2);
    let naxis = header.get_i64("NAXIS").ok().flatten().unwrap_or(0);
    for card in header.cards() {
        match card.keyword.as_str() {
            "SIMPLE" => out.push(Card::with_comment("XTENSION", "IMAGE", "Image extension")),
            "EXTEND" => {}
            _ if boilerplate(card) => {}
            k => {
                out.push(card.clone());
                let last_axis = if naxis == 0 {
                    "NAXIS".to_string()
                } else {
                    format!("NAXIS{naxis}")
                };
                if k == last_axis {
                    out.push(Card::with_comment(
                        "PCOUNT",
                        0,
                        "number of random group parameters",
                    ));
                    out.push(Card::with_comment("GCOUNT", 1, "number of random groups"));
                }
            }
        }
    }
    out.into_iter().collect()
}

/// numpy dtype name for a CFITSIO equivalent image type.
fn dtype_name(equiv_bitpix: i32) -> Option<&'static str> {
    Some(match equiv_bitpix {
        8 => "uint8",
        10 => "int8",
        16 => "int16",
        20 => "uint16",
        32 => "int32",
        40 => "uint32",
        64 => "int64",
        80 => "uint64",
        -32 => "float32",
        -64 => "float64",
        _ => return None,
    })
}

/// A FITS file open for reading (read-only: the file is never modified).
///
/// Plain and gzip-compressed (`.fits.gz`, decompressed into memory by CFITSIO) files are
/// read, and tile-compressed image HDUs are decompressed transparently. Images come back
/// as `ndarray::Array2<T>` of shape `(ny, nx)` (`NAXIS2`, `NAXIS1`), indexed `[[y, x]]`.
/// A 1-D image (`NAXIS = 1`) reads as shape `(1, n)`; cubes whose extra axes all have
/// length 1 read as 2-D.
///
/// A `FitsReader` holds one CFITSIO handle and is `Send` but not `Sync`; to read in
/// parallel, open one reader per thread.
///
/// # Examples
///
/// ```
/// use astro_fits::{FitsReader, FitsWriter};
/// use astro_wcs::Header;
/// use ndarray::array;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("img.fits");
/// let mut w = FitsWriter::create(&path, false)?;
/// let mut h = Header::new();
/// h.set("EXPTIME", 30.0);
/// w.write_image("SCI", 1, &h, array![[1.0f32, 2.0], [3.0, 4.0]].view())?;
/// w.write_image("DQ", 1, &Header::new(), array![[0u16, 40000], [4, 0]].view())?;
/// w.finish()?;
///
/// let mut f = FitsReader::open(&path)?;
/// let (header, sci) = f.read_hdu::<f32>("SCI")?;
/// assert_eq!(header.get_f64("EXPTIME")?, Some(30.0));
/// assert_eq!(sci[[1, 0]], 3.0); // y = 1, x = 0
/// let dq = f.read_image::<u16>(("DQ", 1))?;
/// assert_eq!(dq[[0, 1]], 40000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FitsReader {
    path: PathBuf,
    handle: Handle,
    /// On-disk length when the file is an uncompressed FITS file (starts with `SIMPLE`),
    /// used to detect truncated data before reading it.
    plain_len: Option<u64>,
}

impl fmt::Debug for FitsReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FitsReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Convert a path to the C string CFITSIO takes.
pub(crate) fn c_path(path: &Path) -> Result<CString> {
    let invalid = |reason: &str| Error::InvalidArgument {
        path: path.to_path_buf(),
        name: "path".into(),
        reason: reason.into(),
    };
    let text = path
        .to_str()
        .ok_or_else(|| invalid("not valid UTF-8 (CFITSIO takes text file names)"))?;
    if text.len() > 1024 {
        return Err(invalid("longer than CFITSIO's 1024-byte limit"));
    }
    ffi::c_string(text).ok_or_else(|| invalid("contains a NUL byte"))
}

impl FitsReader {
    /// Open a FITS file read-only.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the file does not exist, [`Error::NotFits`] when it is not
    /// a FITS file (or is empty, or its first header is damaged or cut short),
    /// [`Error::InvalidArgument`] for a path CFITSIO cannot take (not UTF-8).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("notes.txt");
    /// std::fs::write(&path, "hello")?;
    /// let err = astro_fits::FitsReader::open(&path).unwrap_err();
    /// assert!(matches!(err, astro_fits::Error::NotFits { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<FitsReader> {
        let path = path.as_ref().to_path_buf();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound { path });
            }
            Err(source) => {
                return Err(Error::Io {
                    path,
                    operation: "reading file metadata".into(),
                    source,
                });
            }
        };
        if !meta.is_file() {
            return Err(Error::NotFits {
                path,
                reason: "not a regular file".into(),
            });
        }
        let not_fits = |path: PathBuf, reason: String| Err(Error::NotFits { path, reason });
        if meta.len() == 0 {
            return not_fits(path, "the file is empty".into());
        }
        let mut magic = [0u8; 9];
        let n = std::fs::File::open(&path)
            .and_then(|mut f| f.read(&mut magic))
            .map_err(|source| Error::Io {
                path: path.clone(),
                operation: "opening the file".into(),
                source,
            })?;
        let magic = &magic[..n];
        let plain = magic.starts_with(b"SIMPLE  =");
        // Compressed containers CFITSIO can decompress: gzip, Unix compress, pkzip.
        let compressed = magic.starts_with(&[0x1f, 0x8b])
            || magic.starts_with(&[0x1f, 0x9d])
            || magic.starts_with(&[0x1f, 0xa0])
            || magic.starts_with(b"PK");
        if !plain && !compressed {
            return not_fits(
                path,
                "the file does not start with 'SIMPLE  =' (and is not gzip-compressed)".into(),
            );
        }
        if plain && meta.len() < 2880 {
            return not_fits(
                path,
                format!(
                    "the file has {} bytes, less than one 2880-byte FITS block",
                    meta.len()
                ),
            );
        }
        let cpath = c_path(&path)?;
        let handle = match Handle::open_readonly(&cpath) {
            Ok(h) => h,
            Err(status) => {
                return not_fits(
                    path,
                    format!("CFITSIO status {} ({})", status.0, status.text()),
                );
            }
        };
        Ok(FitsReader {
            path,
            handle,
            plain_len: plain.then_some(meta.len()),
        })
    }

    /// The file's path.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// # w.write_primary(None)?;
    /// # w.finish()?;
    /// let f = FitsReader::open(&path)?;
    /// assert_eq!(f.path(), path.as_path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cfitsio(&self, hdu: Option<&HduId>, operation: impl Into<String>, s: Status) -> Error {
        if matches!(s.0, code::END_OF_FILE | code::READ_ERROR)
            && let Some(h) = hdu
        {
            return Error::Truncated {
                path: self.path.clone(),
                hdu: h.clone(),
                reason: format!(
                    "CFITSIO status {} ({}) while {}",
                    s.0,
                    s.text(),
                    operation.into()
                ),
            };
        }
        if s.0 == code::BAD_BITPIX
            && let Some(h) = hdu
        {
            return Error::UnsupportedBitpix {
                path: self.path.clone(),
                hdu: h.clone(),
                bitpix: 0,
            };
        }
        Error::Cfitsio {
            path: self.path.clone(),
            hdu: hdu.cloned(),
            operation: operation.into(),
            status: s.0,
            message: s.text(),
        }
    }

    /// Number of HDUs in the file (walks the whole file).
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] or [`Error::Cfitsio`] when a header cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// # w.write_primary(None)?;
    /// # w.finish()?;
    /// assert_eq!(FitsReader::open(&path)?.len()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::len_without_is_empty)] // a FITS file always has a primary HDU
    pub fn len(&mut self) -> Result<usize> {
        match self.handle.num_hdus() {
            Ok(n) => Ok(n),
            Err(s) => Err(self.cfitsio(Some(&HduId::Index(0)), "counting HDUs", s)),
        }
    }

    /// Move to an HDU, returning its index and CFITSIO type.
    fn select(&mut self, hdu: &HduId) -> Result<(usize, RawHduType)> {
        match hdu {
            HduId::Index(i) => match self.handle.move_to(*i) {
                Ok(t) => Ok((*i, t)),
                Err(s) if matches!(s.0, code::END_OF_FILE | code::BAD_HDU_NUM) => {
                    // Past the last HDU, or a damaged header on the way there.
                    let n = self.len()?;
                    if *i >= n {
                        Err(self.not_found(hdu))
                    } else {
                        Err(self.cfitsio(Some(hdu), "moving to the HDU", s))
                    }
                }
                Err(s) => Err(self.cfitsio(Some(hdu), "moving to the HDU", s)),
            },
            HduId::Name { extname, extver } => {
                let invalid = |reason: &str| Error::InvalidArgument {
                    path: self.path.clone(),
                    name: "EXTNAME/EXTVER".into(),
                    reason: format!("{hdu}: {reason}"),
                };
                let name = ffi::c_string(extname).ok_or_else(|| invalid("NUL in EXTNAME"))?;
                if extname.trim().is_empty() {
                    return Err(invalid("empty EXTNAME"));
                }
                // EXTVER 0 would mean "any version" to CFITSIO; we want exact matches.
                let ver = i32::try_from(*extver)
                    .ok()
                    .filter(|v| *v >= 1)
                    .ok_or_else(|| invalid("EXTVER must be a positive integer"))?;
                match self.handle.move_to_named(&name, ver) {
                    Ok(i) => {
                        let t = self
                            .handle
                            .current_type()
                            .map_err(|s| self.cfitsio(Some(hdu), "reading the HDU type", s))?;
                        Ok((i, t))
                    }
                    Err(s) if s.0 == code::BAD_HDU_NUM || s.0 == code::END_OF_FILE => {
                        if extname.eq_ignore_ascii_case("PRIMARY") && ver == 1 {
                            let t = self
                                .handle
                                .move_to(0)
                                .map_err(|s| self.cfitsio(Some(hdu), "moving to the HDU", s))?;
                            return Ok((0, t));
                        }
                        Err(self.not_found(hdu))
                    }
                    Err(s) => Err(self.cfitsio(Some(hdu), "searching for the HDU", s)),
                }
            }
        }
    }

    fn not_found(&mut self, hdu: &HduId) -> Error {
        let listed = self.hdus();
        if let (Ok(list), Some(len)) = (&listed, self.plain_len)
            && let Some(reason) = self.incomplete_hdu(list.len(), len)
        {
            return Error::Truncated {
                path: self.path.clone(),
                hdu: hdu.clone(),
                reason,
            };
        }
        let available = match listed {
            Ok(list) => {
                let mut names: Vec<String> = list
                    .iter()
                    .take(30)
                    .map(|h| match &h.extname {
                        Some(n) => format!("#{} ({n}, {})", h.index, h.extver),
                        None if h.index == 0 => "#0 PRIMARY".to_string(),
                        None => format!("#{} (no EXTNAME)", h.index),
                    })
                    .collect();
                if list.len() > 30 {
                    names.push(format!("... {} HDUs in all", list.len()));
                }
                names.join(", ")
            }
            Err(e) => format!("(could not list the HDUs: {e})"),
        };
        Error::HduNotFound {
            path: self.path.clone(),
            hdu: hdu.clone(),
            available,
        }
    }

    /// For an uncompressed file of `len` bytes with `n` HDUs, describe a header cut short:
    /// an HDU whose header runs past the end of the file, or bytes after the last HDU that
    /// do not form a complete header.
    fn incomplete_hdu(&mut self, n: usize, len: u64) -> Option<String> {
        let mut last_end = 0;
        for index in 0..n {
            self.handle.move_to(index).ok()?;
            let (_, data_start, end) = self.handle.hdu_offsets().ok()?;
            if u64::try_from(data_start).ok()? > len {
                return Some(format!("the header of HDU #{index} is cut off"));
            }
            last_end = u64::try_from(end).ok()?;
        }
        (last_end < len).then(|| {
            format!(
                "the {} bytes after HDU #{} do not form a complete header",
                len - last_end,
                n.saturating_sub(1)
            )
        })
    }

    fn current_header(&mut self, hdu: &HduId) -> Result<Header> {
        let bytes = self
            .handle
            .header_bytes()
            .map_err(|s| self.cfitsio(Some(hdu), "reading the header", s))?;
        let header = Header::parse(&bytes).map_err(|source| Error::Header {
            path: self.path.clone(),
            hdu: hdu.clone(),
            source,
        })?;
        let compressed = self
            .handle
            .is_compressed_image()
            .map_err(|s| self.cfitsio(Some(hdu), "checking for tile compression", s))?;
        if compressed && self.handle.current_index() > 0 {
            Ok(as_image_extension(&header))
        } else {
            Ok(header)
        }
    }

    fn current_kind(&mut self, hdu: &HduId, t: RawHduType) -> Result<HduKind> {
        Ok(match t {
            RawHduType::AsciiTable => HduKind::AsciiTable,
            RawHduType::BinaryTable => HduKind::BinaryTable,
            RawHduType::Image => {
                let compressed = self
                    .handle
                    .is_compressed_image()
                    .map_err(|s| self.cfitsio(Some(hdu), "checking for tile compression", s))?;
                if compressed {
                    HduKind::CompressedImage
                } else {
                    HduKind::Image
                }
            }
        })
    }

    /// List every HDU: index, EXTNAME, EXTVER, kind, shape and pixel type.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the file ends inside an HDU's header or before the next
    /// HDU, [`Error::Header`] for a header with an invalid card.
    ///
    /// # Examples
    ///
    /// See [`HduInfo`].
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// # w.write_primary(None)?;
    /// # w.finish()?;
    /// let hdus = FitsReader::open(&path)?.hdus()?;
    /// assert_eq!(hdus[0].shape, Vec::<usize>::new()); // NAXIS = 0
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hdus(&mut self) -> Result<Vec<HduInfo>> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for index in 0..n {
            let id = HduId::Index(index);
            let t = self
                .handle
                .move_to(index)
                .map_err(|s| self.cfitsio(Some(&id), "moving to the HDU", s))?;
            let kind = self.current_kind(&id, t)?;
            let header = self.current_header(&id)?;
            let header_err = |source| Error::Header {
                path: self.path.clone(),
                hdu: id.clone(),
                source,
            };
            let extname = header
                .get_str("EXTNAME")
                .map_err(header_err)?
                .map(|s| s.to_string());
            let extver = header.get_i64("EXTVER").map_err(header_err)?.unwrap_or(1);
            let (shape, dtype) = if kind.is_image() {
                let (bitpix, naxes) = self
                    .handle
                    .image_params()
                    .map_err(|s| self.cfitsio(Some(&id), "reading the image size", s))?;
                let shape = naxes
                    .iter()
                    .rev()
                    .map(|&n| usize::try_from(n).unwrap_or(0))
                    .collect();
                (shape, dtype_name(bitpix))
            } else {
                let (rows, cols) = self
                    .handle
                    .table_params()
                    .map_err(|s| self.cfitsio(Some(&id), "reading the table size", s))?;
                (
                    vec![
                        usize::try_from(rows).unwrap_or(0),
                        usize::try_from(cols).unwrap_or(0),
                    ],
                    None,
                )
            };
            out.push(HduInfo {
                index,
                extname,
                extver,
                kind,
                shape,
                dtype,
            });
        }
        Ok(out)
    }

    /// The header of an HDU. For a tile-compressed image it is the header of the
    /// uncompressed image (`BITPIX`, `NAXISn` of the image, not of the table).
    /// `CONTINUE` long strings are joined and `HIERARCH` keywords kept.
    ///
    /// # Errors
    ///
    /// [`Error::HduNotFound`], or [`Error::Header`] for a card that is not valid FITS.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # use astro_wcs::Header;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// let mut h = Header::new();
    /// h.set("NOTE", "x".repeat(150)); // written with CONTINUE cards
    /// w.write_primary(Some(&h))?;
    /// # w.finish()?;
    /// let header = FitsReader::open(&path)?.header(0)?;
    /// assert_eq!(header.get_str("NOTE")?.map(str::len), Some(150));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(&mut self, hdu: impl Into<HduId>) -> Result<Header> {
        let hdu = hdu.into();
        self.select(&hdu)?;
        self.current_header(&hdu)
    }

    /// Select an image HDU and return its 2-D shape `(ny, nx)` and whether undefined
    /// pixels must be looked for (integer or compressed storage read as float).
    fn image_shape(&mut self, hdu: &HduId) -> Result<((usize, usize), bool)> {
        let (_, t) = self.select(hdu)?;
        let kind = self.current_kind(hdu, t)?;
        if !kind.is_image() {
            return Err(Error::NotImage {
                path: self.path.clone(),
                hdu: hdu.clone(),
                kind,
            });
        }
        let (bitpix, naxes) = self
            .handle
            .image_params()
            .map_err(|s| self.cfitsio(Some(hdu), "reading the image size", s))?;
        let shape: Vec<usize> = naxes
            .iter()
            .rev()
            .map(|&n| usize::try_from(n).unwrap_or(0))
            .collect();
        if dtype_name(bitpix).is_none() {
            return Err(Error::UnsupportedBitpix {
                path: self.path.clone(),
                hdu: hdu.clone(),
                bitpix: i64::from(bitpix),
            });
        }
        let bad = |reason: &str| Error::ShapeMismatch {
            path: self.path.clone(),
            hdu: hdu.clone(),
            shape: shape.clone(),
            reason: reason.into(),
        };
        let (ny, nx) = match naxes.as_slice() {
            [] => return Err(bad("the HDU has no data (NAXIS = 0)")),
            [n1] => (1, *n1),
            [n1, n2, rest @ ..] if rest.iter().all(|&n| n == 1) => (*n2, *n1),
            _ => return Err(bad("expected a 2-D image (extra axes must have length 1)")),
        };
        let (ny, nx) = (
            usize::try_from(ny).unwrap_or(0),
            usize::try_from(nx).unwrap_or(0),
        );
        if ny.checked_mul(nx).is_none() {
            return Err(bad("the image is too large to address"));
        }
        self.check_complete(hdu, kind)?;
        // Undefined pixels of integer data (BLANK) become NaN when read as float. Stored
        // floats are not checked: CFITSIO's check would also turn +-Inf into NaN.
        let null_check = bitpix > 0 || kind == HduKind::CompressedImage;
        Ok(((ny, nx), null_check))
    }

    /// For an uncompressed file, check that the data of the current HDU is inside the file.
    fn check_complete(&mut self, hdu: &HduId, kind: HduKind) -> Result<()> {
        let Some(len) = self.plain_len else {
            return Ok(());
        };
        let (_, _, data_end) = self
            .handle
            .hdu_offsets()
            .map_err(|s| self.cfitsio(Some(hdu), "reading the HDU offsets", s))?;
        // CFITSIO's data end includes the padding to a whole 2880-byte block, which some
        // writers omit after the last HDU; require only the data bytes themselves.
        let data_end = u64::try_from(data_end).unwrap_or(u64::MAX);
        let needed = if kind == HduKind::Image {
            self.exact_data_end(hdu).unwrap_or(data_end)
        } else {
            data_end
        };
        if needed > len {
            return Err(Error::Truncated {
                path: self.path.clone(),
                hdu: hdu.clone(),
                reason: format!("the data needs {needed} bytes but the file has {len}"),
            });
        }
        Ok(())
    }

    /// End of the unpadded data of the current (uncompressed) image HDU.
    fn exact_data_end(&mut self, _hdu: &HduId) -> Option<u64> {
        let (_, data_start, _) = self.handle.hdu_offsets().ok()?;
        let (bitpix_equiv, naxes) = self.handle.image_params().ok()?;
        let bytes_per = match bitpix_equiv {
            8 | 10 => 1,
            16 | 20 => 2,
            32 | 40 | -32 => 4,
            64 | 80 | -64 => 8,
            _ => return None,
        };
        let mut n: u64 = if naxes.is_empty() { 0 } else { 1 };
        for a in naxes {
            n = n.checked_mul(u64::try_from(a).ok()?)?;
        }
        u64::try_from(data_start)
            .ok()?
            .checked_add(n.checked_mul(bytes_per)?)
    }

    /// Read the pixels of rows `y0..y1` of the selected image, whose width is `nx`.
    fn read_band<T: Pixel>(
        &mut self,
        hdu: &HduId,
        nx: usize,
        rows: Range<usize>,
        null_check: bool,
    ) -> Result<Array2<T>> {
        let ny = rows.len();
        let n = ny * nx; // checked by image_shape: ny * nx fits in usize
        let mut buf: Vec<T> = Vec::new();
        buf.try_reserve_exact(n).map_err(|_| Error::ShapeMismatch {
            path: self.path.clone(),
            hdu: hdu.clone(),
            shape: vec![ny, nx],
            reason: format!("cannot allocate memory for {n} pixels"),
        })?;
        buf.resize(n, T::default());
        let first = (rows.start as u64) * (nx as u64);
        self.handle
            .read_pixels(first, &mut buf, null_check)
            .map_err(|s| self.cfitsio(Some(hdu), "reading pixels", s))?;
        Array2::from_shape_vec((ny, nx), buf).map_err(|e| Error::ShapeMismatch {
            path: self.path.clone(),
            hdu: hdu.clone(),
            shape: vec![ny, nx],
            reason: e.to_string(),
        })
    }

    /// Read a whole image HDU as `Array2<T>` of shape `(ny, nx)`, converting the stored
    /// type to `T` (BZERO/BSCALE applied; see [`Pixel`]).
    ///
    /// # Errors
    ///
    /// [`Error::HduNotFound`], [`Error::NotImage`], [`Error::ShapeMismatch`] (no data, or
    /// more than 2 non-trivial axes), [`Error::Truncated`] when the file ends inside the
    /// data, [`Error::Cfitsio`] when a value does not fit in `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # use astro_wcs::Header;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// w.write_image("DQ", 1, &Header::new(), ndarray::array![[1i16, -2, 3]].view())?;
    /// # w.finish()?;
    /// let mut f = FitsReader::open(&path)?;
    /// let as_f64 = f.read_image::<f64>("DQ")?; // converted on read
    /// assert_eq!(as_f64.shape(), &[1, 3]);
    /// assert_eq!(as_f64[[0, 1]], -2.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_image<T: Pixel>(&mut self, hdu: impl Into<HduId>) -> Result<Array2<T>> {
        let hdu = hdu.into();
        let ((ny, nx), null_check) = self.image_shape(&hdu)?;
        self.read_band(&hdu, nx, 0..ny, null_check)
    }

    /// Read a whole image HDU as `f32` (the usual type of science data).
    ///
    /// # Errors
    ///
    /// As [`FitsReader::read_image`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # use astro_wcs::Header;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// w.write_image("SCI", 1, &Header::new(), ndarray::array![[7u16]].view())?;
    /// # w.finish()?;
    /// let sci = FitsReader::open(&path)?.read_image_f32("SCI")?;
    /// assert_eq!(sci[[0, 0]], 7.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_image_f32(&mut self, hdu: impl Into<HduId>) -> Result<Array2<f32>> {
        self.read_image::<f32>(hdu)
    }

    /// Read rows `rows.start..rows.end` (0-based, `y`) of an image: an array of shape
    /// `(rows.len(), nx)`. Use it to stream a large image in bands.
    ///
    /// # Errors
    ///
    /// As [`FitsReader::read_image`], and [`Error::ShapeMismatch`] when the rows are not
    /// inside the image.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # use astro_wcs::Header;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// let image = ndarray::Array2::from_shape_fn((100, 8), |(y, x)| (y * 8 + x) as f32);
    /// w.write_image("SCI", 1, &Header::new(), image.view())?;
    /// # w.finish()?;
    /// let mut f = FitsReader::open(&path)?;
    /// let band = f.read_rows::<f32>("SCI", 10..12)?;
    /// assert_eq!(band.shape(), &[2, 8]);
    /// assert_eq!(band[[1, 3]], (11 * 8 + 3) as f32);
    /// assert!(f.read_rows::<f32>("SCI", 99..101).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_rows<T: Pixel>(
        &mut self,
        hdu: impl Into<HduId>,
        rows: Range<usize>,
    ) -> Result<Array2<T>> {
        let hdu = hdu.into();
        let ((ny, nx), null_check) = self.image_shape(&hdu)?;
        if rows.start > rows.end || rows.end > ny {
            return Err(Error::ShapeMismatch {
                path: self.path.clone(),
                hdu,
                shape: vec![ny, nx],
                reason: format!("rows {}..{} are not inside 0..{ny}", rows.start, rows.end),
            });
        }
        self.read_band(&hdu, nx, rows, null_check)
    }

    /// Read an image HDU of any dimension (e.g. a pixel-map cube of shape `(ny, nx, 2)`)
    /// as an `ArrayD<T>` whose shape lists the axes slowest first (numpy order:
    /// `[NAXISn, ..., NAXIS1]`). An HDU without data gives an empty 0-element array of
    /// shape `[0]`.
    ///
    /// # Errors
    ///
    /// As [`FitsReader::read_image`], except that any number of axes is accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # use astro_wcs::Header;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// w.write_image("SCI", 1, &Header::new(), ndarray::array![[1.0f32, 2.0]].view())?;
    /// # w.finish()?;
    /// let any = FitsReader::open(&path)?.read_array::<f64>("SCI")?;
    /// assert_eq!(any.shape(), &[1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_array<T: Pixel>(&mut self, hdu: impl Into<HduId>) -> Result<ndarray::ArrayD<T>> {
        let hdu = hdu.into();
        let (_, t) = self.select(&hdu)?;
        let kind = self.current_kind(&hdu, t)?;
        if !kind.is_image() {
            return Err(Error::NotImage {
                path: self.path.clone(),
                hdu,
                kind,
            });
        }
        let (bitpix, naxes) = self
            .handle
            .image_params()
            .map_err(|s| self.cfitsio(Some(&hdu), "reading the image size", s))?;
        if dtype_name(bitpix).is_none() {
            return Err(Error::UnsupportedBitpix {
                path: self.path.clone(),
                hdu,
                bitpix: i64::from(bitpix),
            });
        }
        let shape: Vec<usize> = naxes
            .iter()
            .rev()
            .map(|&n| usize::try_from(n).unwrap_or(0))
            .collect();
        let n = if shape.is_empty() {
            0
        } else {
            shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| Error::ShapeMismatch {
                    path: self.path.clone(),
                    hdu: hdu.clone(),
                    shape: shape.clone(),
                    reason: "the image is too large to address".into(),
                })?
        };
        self.check_complete(&hdu, kind)?;
        let null_check = bitpix > 0 || kind == HduKind::CompressedImage;
        let flat = self.read_band::<T>(&hdu, n, 0..usize::from(n > 0), null_check)?;
        let shape = if shape.is_empty() { vec![0] } else { shape };
        let (data, _) = flat.into_raw_vec_and_offset();
        ndarray::ArrayD::from_shape_vec(shape.clone(), data).map_err(|e| Error::ShapeMismatch {
            path: self.path.clone(),
            hdu,
            shape,
            reason: e.to_string(),
        })
    }

    /// Read an image HDU's header and pixels.
    ///
    /// # Errors
    ///
    /// As [`FitsReader::header`] and [`FitsReader::read_image`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_fits::{FitsReader, FitsWriter};
    /// # use astro_wcs::Header;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// # let mut w = FitsWriter::create(&path, false)?;
    /// w.write_image("SCI", 2, &Header::new(), ndarray::array![[1.5f64]].view())?;
    /// # w.finish()?;
    /// let (header, data) = FitsReader::open(&path)?.read_hdu::<f64>(("SCI", 2))?;
    /// assert_eq!(header.get_i64("EXTVER")?, Some(2));
    /// assert_eq!(data[[0, 0]], 1.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_hdu<T: Pixel>(&mut self, hdu: impl Into<HduId>) -> Result<(Header, Array2<T>)> {
        let hdu = hdu.into();
        let ((ny, nx), null_check) = self.image_shape(&hdu)?;
        let header = self.current_header(&hdu)?;
        let data = self.read_band(&hdu, nx, 0..ny, null_check)?;
        Ok((header, data))
    }
}

/// Read the header and pixels of one image HDU of a file (opens and closes the file).
///
/// # Errors
///
/// As [`FitsReader::open`] and [`FitsReader::read_hdu`].
///
/// # Examples
///
/// ```
/// # use astro_fits::FitsWriter;
/// # use astro_wcs::Header;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("p.fits");
/// # let mut w = FitsWriter::create(&path, false)?;
/// # w.write_image("SCI", 1, &Header::new(), ndarray::array![[1u8, 2]].view())?;
/// # w.finish()?;
/// let (header, sci) = astro_fits::read_image::<u8>(&path, ("SCI", 1))?;
/// assert_eq!(sci.shape(), &[1, 2]);
/// assert_eq!(header.get_str("EXTNAME")?, Some("SCI"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_image<T: Pixel>(
    path: impl AsRef<Path>,
    hdu: impl Into<HduId>,
) -> Result<(Header, Array2<T>)> {
    FitsReader::open(path)?.read_hdu(hdu)
}

/// Read the header and pixels (as `f32`) of one image HDU of a file.
///
/// # Errors
///
/// As [`read_image`].
///
/// # Examples
///
/// ```
/// # use astro_fits::FitsWriter;
/// # use astro_wcs::Header;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("p.fits");
/// # let mut w = FitsWriter::create(&path, false)?;
/// # w.write_image("SCI", 1, &Header::new(), ndarray::array![[1i32, 2]].view())?;
/// # w.finish()?;
/// let (_, sci) = astro_fits::read_image_f32(&path, "SCI")?;
/// assert_eq!(sci[[0, 1]], 2.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_image_f32(
    path: impl AsRef<Path>,
    hdu: impl Into<HduId>,
) -> Result<(Header, Array2<f32>)> {
    read_image::<f32>(path, hdu)
}

/// Read the header of one HDU of a file.
///
/// # Errors
///
/// As [`FitsReader::open`] and [`FitsReader::header`].
///
/// # Examples
///
/// ```
/// # use astro_fits::FitsWriter;
/// # use astro_wcs::Header;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("p.fits");
/// # let mut w = FitsWriter::create(&path, false)?;
/// # w.write_primary(None)?;
/// # w.finish()?;
/// let primary = astro_fits::read_header(&path, 0)?;
/// assert_eq!(primary.get_bool("SIMPLE")?, Some(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_header(path: impl AsRef<Path>, hdu: impl Into<HduId>) -> Result<Header> {
    FitsReader::open(path)?.header(hdu)
}

/// List the HDUs of a file.
///
/// # Errors
///
/// As [`FitsReader::open`] and [`FitsReader::hdus`].
///
/// # Examples
///
/// ```
/// # use astro_fits::FitsWriter;
/// # use astro_wcs::Header;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("p.fits");
/// # let mut w = FitsWriter::create(&path, false)?;
/// # w.write_image("SCI", 1, &Header::new(), ndarray::array![[1.0f32]].view())?;
/// # w.finish()?;
/// for hdu in astro_fits::list_hdus(&path)? {
///     println!("{} {:?} {} {:?}", hdu.index, hdu.extname, hdu.kind, hdu.shape);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn list_hdus(path: impl AsRef<Path>) -> Result<Vec<HduInfo>> {
    FitsReader::open(path)?.hdus()
}
