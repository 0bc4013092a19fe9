//! The error type of `astro-fits`.

use crate::HduId;
use std::fmt;
use std::path::PathBuf;

/// The kind of an HDU: an image (possibly tile-compressed) or a table.
///
/// # Examples
///
/// ```
/// use astro_fits::HduKind;
///
/// assert_eq!(HduKind::BinaryTable.to_string(), "binary table");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HduKind {
    /// An image (primary array or IMAGE extension).
    Image,
    /// A tile-compressed image (stored as a binary table; CFITSIO decompresses it).
    CompressedImage,
    /// An ASCII table (`XTENSION = 'TABLE'`).
    AsciiTable,
    /// A binary table (`XTENSION = 'BINTABLE'`).
    BinaryTable,
}

impl HduKind {
    /// Can pixels be read from an HDU of this kind?
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(astro_fits::HduKind::CompressedImage.is_image());
    /// assert!(!astro_fits::HduKind::AsciiTable.is_image());
    /// ```
    pub fn is_image(self) -> bool {
        matches!(self, HduKind::Image | HduKind::CompressedImage)
    }
}

impl fmt::Display for HduKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HduKind::Image => "image",
            HduKind::CompressedImage => "tile-compressed image",
            HduKind::AsciiTable => "ASCII table",
            HduKind::BinaryTable => "binary table",
        })
    }
}

/// Everything that can go wrong while reading or writing a FITS file.
///
/// Every variant names the file and, where it applies, the HDU (by index or by
/// `(EXTNAME, EXTVER)`) and the keyword.
///
/// # Examples
///
/// ```
/// use astro_fits::{Error, FitsReader};
///
/// let err = FitsReader::open("/no/such/file.fits").err().unwrap();
/// assert!(matches!(err, Error::NotFound { .. }));
/// assert!(err.to_string().contains("/no/such/file.fits"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file does not exist.
    #[error("{}: file not found", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The output file exists and overwriting was not requested.
    #[error("{}: file exists (set overwrite to replace it)", path.display())]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a FITS file (or its first header is damaged).
    #[error("{}: not a FITS file: {reason}", path.display())]
    NotFits {
        /// The file.
        path: PathBuf,
        /// What CFITSIO or our checks found.
        reason: String,
    },
    /// The file ends before the data (or header) of an HDU is complete.
    #[error("{}: {hdu}: file is truncated: {reason}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The HDU whose data or header is incomplete.
        hdu: HduId,
        /// Details (sizes, CFITSIO message).
        reason: String,
    },
    /// No HDU matches the request.
    #[error("{}: no HDU {hdu} (the file has: {available})", path.display())]
    HduNotFound {
        /// The file.
        path: PathBuf,
        /// What was asked for.
        hdu: HduId,
        /// The HDUs the file does have, e.g. `#0 PRIMARY, #1 (SCI, 1)`.
        available: String,
    },
    /// The HDU is not an image.
    #[error("{}: {hdu} is a {kind}, not an image", path.display())]
    NotImage {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: HduId,
        /// What it is instead.
        kind: HduKind,
    },
    /// The BITPIX of the HDU is not one FITS (or this crate) supports.
    #[error("{}: {hdu}: unsupported BITPIX {bitpix}", path.display())]
    UnsupportedBitpix {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: HduId,
        /// The BITPIX value found (0 if it could not be read).
        bitpix: i64,
    },
    /// The shape of the data is not what the operation needs (e.g. a 3-D cube where a
    /// 2-D image is expected, or rows outside the image).
    #[error("{}: {hdu}: shape {shape:?}: {reason}", path.display())]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: HduId,
        /// The shape involved, slowest axis first (numpy order).
        shape: Vec<usize>,
        /// What was expected.
        reason: String,
    },
    /// CFITSIO reported an error.
    #[error("{}{}: CFITSIO status {status} ({message}) while {operation}", path.display(), at(hdu))]
    Cfitsio {
        /// The file.
        path: PathBuf,
        /// The HDU, when one was involved.
        hdu: Option<HduId>,
        /// What we were doing, naming the keyword where one was involved.
        operation: String,
        /// CFITSIO's status code.
        status: i32,
        /// CFITSIO's text for the status (`ffgerr`).
        message: String,
    },
    /// A header could not be parsed, a card could not be written, or a WCS could not be
    /// built from a header (the source names the keyword).
    #[error("{}: {hdu}: {source}", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: HduId,
        /// The underlying `astro-wcs` error.
        #[source]
        source: astro_wcs::Error,
    },
    /// An operating-system I/O error (creating, renaming or removing a file).
    #[error("{}: {operation}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What we were doing.
        operation: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// An HDU cannot be edited in place as asked (see [`crate::RawFits::or_bits`]): it is
    /// tile-compressed, not an integer image, or a flagged value cannot be stored.
    #[error("{}: {hdu} cannot be edited in place: {reason}", path.display())]
    CannotEdit {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: HduId,
        /// What prevents the edit.
        reason: String,
    },
    /// An argument is invalid (a path CFITSIO cannot take, an empty EXTNAME, ...).
    #[error("{}: invalid {name}: {reason}", path.display())]
    InvalidArgument {
        /// The file.
        path: PathBuf,
        /// The parameter.
        name: String,
        /// What was wrong.
        reason: String,
    },
}

fn at(hdu: &Option<HduId>) -> String {
    match hdu {
        Some(h) => format!(": {h}"),
        None => String::new(),
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
