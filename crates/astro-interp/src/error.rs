//! The error type of the image interpolants.

/// Everything that can go wrong while building an [`Interpolator`] or evaluating it in batch.
///
/// Every variant names the parameter or array that was wrong and how. (The polynomial
/// surface fits of [`surface`](crate::surface) have their own error type.)
///
/// [`Interpolator`]: crate::Interpolator
///
/// # Examples
///
/// ```
/// use astro_interp::{Error, Interpolant};
///
/// let err = "cubic".parse::<Interpolant>().unwrap_err();
/// assert!(matches!(err, Error::InvalidParameter { name: "interpolant", .. }));
/// assert!(err.to_string().contains("cubic"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter has an unusable value.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter name (`interpolant`, `boundary`, `sinscl`, `nsinc`...).
        name: &'static str,
        /// The offending value, as text.
        value: String,
        /// What is allowed.
        reason: String,
    },
    /// Two arrays that must have the same shape do not.
    #[error("shape mismatch: {what} has shape {got:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Which array (e.g. `"y coordinates"`, `"mask"`, `"pixmap"`).
        what: &'static str,
        /// The shape it should have.
        expected: Vec<usize>,
        /// The shape it has.
        got: Vec<usize>,
    },
    /// The image to interpolate has no pixels.
    #[error("image is empty (shape {ny} x {nx})")]
    EmptyImage {
        /// Number of rows.
        ny: usize,
        /// Number of columns.
        nx: usize,
    },
}

/// Result alias of the interpolation API.
///
/// ```
/// fn f() -> astro_interp::Result<u8> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T> = std::result::Result<T, Error>;
