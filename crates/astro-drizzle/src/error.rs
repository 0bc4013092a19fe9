//! The error type of `astro-drizzle`.

/// Everything that can go wrong while building a pixel map, drizzling or blotting.
///
/// Every variant names the parameter or array that was wrong and how.
///
/// # Examples
///
/// ```
/// use astro_drizzle::{AddImageOptions, Error};
///
/// let opts = AddImageOptions { pixfrac: 0.0, ..AddImageOptions::default() };
/// let err = opts.validate().unwrap_err();
/// assert!(matches!(err, Error::InvalidParameter { name: "pixfrac", .. }));
/// assert!(err.to_string().contains("pixfrac"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter has an unusable value.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter name (`pixfrac`, `exptime`, `kernel`, ...).
        name: &'static str,
        /// The offending value, as text.
        value: String,
        /// What is allowed.
        reason: String,
    },
    /// Two arrays that must have the same shape do not.
    #[error("shape mismatch: {what} has shape {got:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Which array (`"weights"`, `"dq"`, `"pixmap"`, `"variance 1"`, ...).
        what: String,
        /// The shape it should have.
        expected: Vec<usize>,
        /// The shape it has.
        got: Vec<usize>,
    },
    /// The output arrays would need more memory than allowed
    /// ([`DrizzleOptions::max_memory_bytes`](crate::DrizzleOptions::max_memory_bytes)).
    /// Raised before anything is allocated.
    #[error(
        "output frame {ny} x {nx} needs {needed} bytes, more than the limit of {limit} bytes \
         (max_memory_bytes)"
    )]
    OutputTooLarge {
        /// Output rows.
        ny: usize,
        /// Output columns.
        nx: usize,
        /// Bytes the requested output arrays need.
        needed: u128,
        /// The configured limit.
        limit: u128,
    },
    /// A WCS operation failed while building a pixel map.
    #[error("WCS: {0}")]
    Wcs(#[from] astro_wcs::Error),
    /// The interpolator used by blot rejected its input.
    #[error("interpolation: {0}")]
    Interp(#[from] astro_interp::Error),
}

/// Result alias of the drizzle API.
///
/// ```
/// fn f() -> astro_drizzle::Result<u8> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn shape_err(what: impl Into<String>, expected: &[usize], got: &[usize]) -> Error {
    Error::ShapeMismatch {
        what: what.into(),
        expected: expected.to_vec(),
        got: got.to_vec(),
    }
}

pub(crate) fn param_err(
    name: &'static str,
    value: impl ToString,
    reason: impl Into<String>,
) -> Error {
    Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason: reason.into(),
    }
}
