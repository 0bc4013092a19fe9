//! The crate's one error type (image interpolants and polynomial surface fits).

/// Everything that can go wrong while building an [`Interpolator`], evaluating it in batch,
/// or fitting, evaluating and reading the polynomial surfaces of [`surface`](crate::surface).
///
/// Every variant names the parameter, array or record that was wrong and how.
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
        /// The parameter name (`interpolant`, `boundary`, `sinscl`, `nsinc`...), for the
        /// surface fits the IRAF keyword (`function`, `xxorder`, `reject`, `xmin`, …).
        name: &'static str,
        /// The offending value, as text.
        value: String,
        /// What is allowed.
        reason: String,
    },
    /// Two arrays that must have the same shape do not.
    #[error("shape mismatch: {what} has shape {got:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Which array (e.g. `"y coordinates"`, `"mask"`, `"pixmap"`, `"output grid"`).
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
    /// Two arrays that must pair up element by element have different lengths.
    #[error("{name} has {len} elements, expected {expected}")]
    LengthMismatch {
        /// The array at fault.
        name: &'static str,
        /// Its length.
        len: usize,
        /// The length it should have.
        expected: usize,
    },
    /// An input coordinate or value is NaN or infinite.
    #[error("{name}[{index}] = {value} is not finite")]
    NonFinite {
        /// The array at fault (`xref`, `yin`, `z`, …).
        name: &'static str,
        /// Index of the first offending element.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A fit weight is negative, NaN or infinite.
    #[error("weights[{index}] = {value} must be finite and >= 0")]
    InvalidWeight {
        /// Index of the first offending weight.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// Fewer points of positive weight than coefficients (IRAF "Too few data points").
    #[error(
        "no degrees of freedom in the {fit}: {npts} points of positive weight for {ncoeff} coefficients"
    )]
    NoDegreesOfFreedom {
        /// Which fit (`x fit`, `y fit`, `surface fit`, …).
        fit: &'static str,
        /// Points of positive weight.
        npts: usize,
        /// Coefficients (or minimum points) the fit needs.
        ncoeff: usize,
    },
    /// A geomap database record could not be read.
    #[error("geomap database, line {line}: {reason}")]
    InvalidRecord {
        /// 1-based line number in the text.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A numerical routine failed (never seen in practice; reported rather than panicking).
    #[error("numerical failure: {reason}")]
    Numerical {
        /// What failed.
        reason: &'static str,
    },
}

/// Result alias of the interpolation API.
///
/// ```
/// fn f() -> astro_interp::Result<u8> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T> = std::result::Result<T, Error>;
