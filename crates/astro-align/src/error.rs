//! The crate's error type.

/// Everything that can go wrong in `astro-align`.
///
/// Every variant names the parameter, catalog or column at fault and what was wrong.
///
/// # Examples
///
/// ```
/// use astro_align::{Error, FitGeometry, fit_linear, FitOptions};
/// let err = fit_linear(&[(0.0, 0.0)], &[(1.0, 1.0)], None, &FitOptions {
///     fitgeom: FitGeometry::General,
///     ..FitOptions::default()
/// })
/// .unwrap_err();
/// assert!(matches!(err, Error::TooFewSources { found: 1, needed: 3, .. }));
/// assert!(err.to_string().contains("found 1"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer sources (or matched pairs) than the operation needs.
    #[error("too few sources for {what}: found {found}, need at least {needed}")]
    TooFewSources {
        /// What needed the sources (e.g. "'general' fit", "matching").
        what: String,
        /// How many were available.
        found: usize,
        /// How many are needed.
        needed: usize,
    },
    /// No pair of sources lies within the search radius.
    #[error(
        "no matches between image '{image}' and the reference within the search radius of {searchrad} {units}"
    )]
    NoMatches {
        /// Name of the image catalog.
        image: String,
        /// The search radius used.
        searchrad: f64,
        /// Units of `searchrad` ("pixel" or "arcsec").
        units: String,
    },
    /// The normal equations of the fit are singular (e.g. collinear stars).
    #[error(
        "degenerate '{fitgeom}' fit: singular matrix, suspected collinear points ({npoints} points)"
    )]
    DegenerateFit {
        /// The fit geometry.
        fitgeom: String,
        /// Number of points in the fit.
        npoints: usize,
    },
    /// More than one reference source matched the same image sources beyond the
    /// output allocation (tweakwcs' `MatchSourceConfusionError`).
    #[error(
        "source confusion: {nmatches} matches for {ninput} image sources; try smaller 'tolerance' or larger 'separation'"
    )]
    MatchConfusion {
        /// Matches found.
        nmatches: usize,
        /// Sources in the image catalog.
        ninput: usize,
    },
    /// A parameter out of its valid range.
    #[error("invalid parameter '{name}': {reason}")]
    InvalidParameter {
        /// Parameter name (reference tools' vocabulary).
        name: String,
        /// What was wrong.
        reason: String,
    },
    /// A catalog lacks a column that was asked for.
    #[error("catalog '{catalog}' has no column '{column}' (columns: {available})")]
    MissingColumn {
        /// Catalog name.
        catalog: String,
        /// Column asked for.
        column: String,
        /// Columns found, comma-separated.
        available: String,
    },
    /// A catalog value that does not parse.
    #[error(
        "catalog '{catalog}', line {line}, column '{column}': cannot parse {value:?} as a number"
    )]
    BadValue {
        /// Catalog name.
        catalog: String,
        /// 1-based line number.
        line: usize,
        /// Column name.
        column: String,
        /// Offending text.
        value: String,
    },
    /// Input arrays of different lengths.
    #[error("length mismatch: {what}")]
    LengthMismatch {
        /// Description of the arrays.
        what: String,
    },
    /// A WCS operation failed.
    #[error("WCS error: {0}")]
    Wcs(#[from] astro_wcs::Error),
    /// Writing a plot failed.
    #[error("plot '{path}': {reason}")]
    Plot {
        /// Output path.
        path: String,
        /// What failed.
        reason: String,
    },
}

/// The crate's result type.
///
/// # Examples
///
/// ```
/// fn f() -> astro_align::Result<u8> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name: name.to_string(),
        reason: reason.into(),
    }
}
