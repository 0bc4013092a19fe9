//! The error type of `astro-wcs`.

/// Everything that can go wrong while parsing a header or building and using a [`Wcs`].
///
/// Every variant names what was wrong: the keyword, the card, the projection code or the
/// pixel at which an iteration failed.
///
/// [`Wcs`]: crate::Wcs
///
/// # Examples
///
/// ```
/// use astro_wcs::{Error, Header};
///
/// let header = Header::new();
/// let err = header.require_f64("CRVAL1").unwrap_err();
/// assert!(matches!(err, Error::MissingKeyword { ref keyword } if keyword == "CRVAL1"));
/// assert!(err.to_string().contains("CRVAL1"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A card could not be parsed.
    #[error("card {index} ({text:?}): {reason}")]
    InvalidCard {
        /// 0-based index of the card in the header.
        index: usize,
        /// The card text (trimmed).
        text: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The header bytes ended before an `END` card.
    #[error("header is truncated: no END card in {bytes} bytes")]
    Truncated {
        /// How many bytes were read.
        bytes: usize,
    },
    /// A keyword that is required is absent.
    #[error("missing keyword {keyword}")]
    MissingKeyword {
        /// The keyword, e.g. `CRVAL1`.
        keyword: String,
    },
    /// A keyword is present but its value is not usable.
    #[error("keyword {keyword}: {reason}")]
    InvalidKeyword {
        /// The keyword, e.g. `CTYPE1`.
        keyword: String,
        /// What was wrong with the value.
        reason: String,
    },
    /// A keyword name cannot be written as a FITS card.
    #[error("keyword {keyword:?} cannot be written as a FITS card: {reason}")]
    InvalidKeywordName {
        /// The offending name.
        keyword: String,
        /// Why it is not allowed.
        reason: String,
    },
    /// The projection code of `CTYPEi` is not one we implement.
    #[error("unknown or unsupported projection {code:?} in {keyword}")]
    UnsupportedProjection {
        /// The keyword holding the code, e.g. `CTYPE1`.
        keyword: String,
        /// The three-letter code (or the whole CTYPE when it could not be split).
        code: String,
    },
    /// A projection parameter (`PVi_m`) is out of its domain.
    #[error("projection {code}: invalid parameters: {reason}")]
    InvalidProjectionParameters {
        /// The projection code.
        code: String,
        /// What was wrong.
        reason: String,
    },
    /// The linear transformation matrix cannot be inverted.
    #[error("the {matrix} matrix is singular (determinant {determinant:e})")]
    SingularMatrix {
        /// Which matrix: `CD`, `PC*CDELT`, ...
        matrix: String,
        /// Its determinant.
        determinant: f64,
    },
    /// A distortion description is inconsistent.
    #[error("distortion {kind}: {reason}")]
    InvalidDistortion {
        /// `SIP`, `TPV`, `CPDIS`, `D2IM`, ...
        kind: String,
        /// What was wrong.
        reason: String,
    },
    /// A lookup-table distortion refers to an extension that was not supplied.
    #[error("{keyword} refers to extension ({extname}, {extver}), which is absent")]
    MissingTable {
        /// The keyword that named the table, e.g. `DP1.EXTVER`.
        keyword: String,
        /// `WCSDVARR` or `D2IMARR`.
        extname: String,
        /// The extension version.
        extver: i64,
    },
    /// A point has no image under the projection (e.g. the far hemisphere of TAN).
    #[error("point ({x}, {y}) is outside the domain of the {what}")]
    OutOfDomain {
        /// First coordinate of the point.
        x: f64,
        /// Second coordinate of the point.
        y: f64,
        /// What the point was given to (e.g. "TAN projection").
        what: String,
    },
    /// An iterative inverse did not converge.
    #[error(
        "world->pixel did not converge at ({x}, {y}) after {iterations} iterations \
         (last step {residual:e} px)"
    )]
    NoConvergence {
        /// Best pixel x reached.
        x: f64,
        /// Best pixel y reached.
        y: f64,
        /// Iterations done.
        iterations: usize,
        /// Size of the last correction, in pixels.
        residual: f64,
    },
    /// An argument passed by the caller is invalid.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter name, as in the function signature or the reference tool.
        name: String,
        /// What was wrong.
        reason: String,
    },
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
