//! The crate's error type.

use thiserror::Error;

/// `Result` with [`CombineError`].
///
/// ```
/// fn f() -> astro_combine::Result<u8> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T> = std::result::Result<T, CombineError>;

/// Everything that can go wrong in `astro-combine`. Each variant names the parameter,
/// input or statistic concerned.
///
/// ```
/// use astro_combine::{CombineError, CombineParams, ArraySource, StackInput, combine};
/// let r = combine(Vec::<StackInput>::new(), &CombineParams::default());
/// assert!(matches!(r, Err(CombineError::NoInputs)));
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CombineError {
    /// A stack needs at least one input image.
    #[error("no input images to combine")]
    NoInputs,
    /// An input (or its weight image) does not have the shape of the first input.
    #[error(
        "{what} of input {index} has shape {found:?}, expected {expected:?} (the shape of input 0)"
    )]
    ShapeMismatch {
        /// Which array: "data", "weight", "err", "mask"...
        what: &'static str,
        /// Index of the input in the stack (0-based).
        index: usize,
        /// Its shape `(ny, nx)`.
        found: (usize, usize),
        /// The expected shape `(ny, nx)`.
        expected: (usize, usize),
    },
    /// A parameter is out of its domain.
    #[error("parameter {name}: {reason}")]
    Parameter {
        /// The parameter's name, as AstroDrizzle / stcal spell it.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The memory budget cannot hold the smallest unit of work.
    #[error(
        "combine_bufsize = {budget} bytes is too small: one band of {rows} row(s) of {n_inputs} \
         input(s) of {nx} columns needs {needed} bytes"
    )]
    BudgetTooSmall {
        /// The budget given (bytes).
        budget: usize,
        /// What the smallest band needs (bytes).
        needed: usize,
        /// Rows in the smallest band (1 + 2·grow for minmed).
        rows: usize,
        /// Number of inputs.
        n_inputs: usize,
        /// Row length.
        nx: usize,
    },
    /// A statistic could not be computed (e.g. no pixel left after clipping).
    #[error("statistics: {0}")]
    Statistics(String),
    /// A row source or sink failed (the message comes from the source, e.g. a FITS reader).
    #[error("input {index}: {message}")]
    Io {
        /// Index of the input (or `usize::MAX` for the output sink).
        index: usize,
        /// What the source reported.
        message: String,
    },
    /// Errors from astro-mask (mask growing parameters).
    #[error(transparent)]
    Mask(#[from] astro_mask::MaskError),
}
