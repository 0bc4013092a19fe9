//! The crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// `Result` with the pipeline's [`Error`](enum@Error).
///
/// ```
/// fn f() -> astro_pipeline::Result<u8> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can stop a pipeline run. Each variant names the file, extension,
/// keyword or parameter concerned and what was wrong with it.
///
/// ```
/// use astro_pipeline::{DrizzleConfig, Error};
/// let cfg = DrizzleConfig { final_pixfrac: 0.0, ..Default::default() };
/// let err = cfg.validate().unwrap_err();
/// assert!(matches!(err, Error::Parameter { ref name, .. } if name == "final_pixfrac"));
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration parameter is out of its domain, malformed, or conflicts with another.
    #[error("parameter {name}: {reason}")]
    Parameter {
        /// The parameter's name, as AstroDrizzle spells it.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A configuration file could not be read or parsed.
    #[error("configuration file {path}: {reason}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// What went wrong (the TOML parser's message, with line and column).
        reason: String,
    },
    /// The `input` specification names nothing usable (missing file, wildcard matching
    /// nothing, unreadable or malformed `@file`, a missing IVM file...).
    #[error("input {spec:?}: {reason}")]
    Input {
        /// The part of the `input` parameter concerned (a name, a pattern, an `@file`).
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An input exposure is not usable (no SCI extension, missing keyword, shapes that
    /// disagree...).
    #[error("{path}: {reason}")]
    Exposure {
        /// The exposure's file.
        path: PathBuf,
        /// What is wrong with it, naming the extension and keyword.
        reason: String,
    },
    /// A product could not be written (the final name is left untouched).
    #[error("output {path}: {reason}")]
    Output {
        /// The product's file or directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An operating-system error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// FITS reading or writing.
    #[error(transparent)]
    Fits(#[from] astro_fits::Error),
    /// World coordinates.
    #[error(transparent)]
    Wcs(#[from] astro_wcs::Error),
    /// Bit masks and good-bit specifications.
    #[error(transparent)]
    Mask(#[from] astro_mask::MaskError),
    /// Interpolation.
    #[error(transparent)]
    Interp(#[from] astro_interp::Error),
    /// Drizzling and blotting.
    #[error(transparent)]
    Drizzle(#[from] astro_drizzle::Error),
    /// Sky, median and cosmic-ray statistics.
    #[error(transparent)]
    Combine(#[from] astro_combine::CombineError),
    /// Source detection, matching and fitting.
    #[error(transparent)]
    Align(#[from] astro_align::Error),
}

impl Error {
    /// A [`Error::Parameter`] for `name`.
    ///
    /// ```
    /// let e = astro_pipeline::Error::parameter("final_scale", "must be > 0");
    /// assert_eq!(e.to_string(), "parameter final_scale: must be > 0");
    /// ```
    pub fn parameter(name: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Parameter {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Io`] for `path`.
    ///
    /// ```
    /// let e = astro_pipeline::Error::io("x.fits", std::io::Error::other("disk full"));
    /// assert_eq!(e.to_string(), "x.fits: disk full");
    /// ```
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
