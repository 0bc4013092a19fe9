//! The crate's error type.

use std::fmt;

/// Result alias used throughout `astro-mask`.
///
/// ```
/// fn parse(spec: &str) -> astro_mask::Result<astro_mask::GoodBits> {
///     spec.parse()
/// }
/// assert!(parse("4,8").is_ok());
/// ```
pub type Result<T> = std::result::Result<T, MaskError>;

/// Everything that can go wrong in `astro-mask`.
///
/// Every variant names the input that was wrong (the spec, the flag name, the parameter) and
/// what was wrong with it.
///
/// ```
/// use astro_mask::{GoodBits, MaskError, SpecProblem};
/// let err = GoodBits::parse("4++8").unwrap_err();
/// assert!(matches!(err, MaskError::Spec { problem: SpecProblem::EmptyToken, .. }));
/// assert_eq!(err.to_string(), "bit-flag spec \"4++8\": empty flag between separators");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// A good-bits / ignore-flags specification could not be interpreted.
    #[error("bit-flag spec {spec:?}: {problem}")]
    Spec {
        /// The specification exactly as given.
        spec: String,
        /// What was wrong with it.
        problem: SpecProblem,
    },
    /// A flag-name map entry is invalid.
    #[error("flag map entry {name:?} = {value}: {problem}")]
    FlagMap {
        /// The flag name.
        name: String,
        /// The flag value.
        value: u64,
        /// What was wrong with it.
        problem: FlagMapProblem,
    },
    /// A numeric parameter is out of its valid range.
    #[error("parameter {name}: {reason}")]
    Parameter {
        /// The parameter name as the reference tools spell it (`grow`, `crbit`, ...).
        name: &'static str,
        /// Why the value was refused.
        reason: String,
    },
    /// Two arrays that must have the same shape do not.
    #[error("shape mismatch: {what} has shape {found:?}, expected {expected:?}")]
    Shape {
        /// Which array had the wrong shape.
        what: &'static str,
        /// The expected (ny, nx).
        expected: (usize, usize),
        /// The shape found.
        found: (usize, usize),
    },
    /// Image statistics could not be computed (e.g. no finite pixel).
    #[error("image statistics: {0}")]
    Statistics(String),
}

/// What is wrong with a bit-flag specification (see [`MaskError::Spec`]).
///
/// ```
/// use astro_mask::{GoodBits, MaskError, SpecProblem};
/// match GoodBits::parse("4,6") {
///     Err(MaskError::Spec { problem: SpecProblem::NotPowerOfTwo(v), .. }) => assert_eq!(v, 6),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecProblem {
    /// A flag name that the flag-name map does not define.
    UnknownName(String),
    /// A flag name was given but no flag-name map was supplied.
    NameWithoutMap(String),
    /// Flag names and integers were mixed in one list.
    MixedNamesAndNumbers(String),
    /// A list element that is not an integer power of two (lists need single bits; a lone
    /// integer may be any mask).
    NotPowerOfTwo(i128),
    /// An empty element between (or before/after) separators, as in `"4++8"` or `"4,"`.
    EmptyToken,
    /// Nothing left to interpret after `~` and/or parentheses, as in `"~"` or `"()"`.
    EmptyList,
    /// `~` not at the very start of the spec, or more than one `~`.
    MisplacedNot,
    /// The number of `(` and `)` differ.
    UnbalancedParentheses,
    /// Parentheses that do not enclose the whole list.
    MisplacedParentheses,
    /// More than one kind of separator among `,` `+` `|`.
    MixedSeparators,
    /// An element that is neither an integer nor (with a map) a flag name.
    InvalidNumber(String),
    /// An integer outside the range a 64-bit DQ mask can represent
    /// (−2⁶⁴ ..= 2⁶⁴−1 for a lone integer, 1 ..= 2⁶³ for list elements).
    Overflow(String),
    /// A bit above the width of the DQ array (see [`crate::GoodBits::check_width`]).
    ExceedsWidth {
        /// The offending bit value.
        bit: u64,
        /// The DQ width in bits.
        width: u32,
    },
    /// `flip_bits` was given for an input that does not allow it (a string, where `~` must be
    /// used instead, or `None`).
    FlipBitsNotAllowed,
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownName(n) => write!(f, "unknown flag name {n:?}"),
            Self::NameWithoutMap(n) => {
                write!(f, "flag name {n:?} given but no flag-name map was supplied")
            }
            Self::MixedNamesAndNumbers(t) => {
                write!(f, "flag names and integers cannot be mixed (element {t:?})")
            }
            Self::NotPowerOfTwo(v) => write!(
                f,
                "list element {v} is not a power of 2 (only a lone integer may be a multi-bit mask)"
            ),
            Self::EmptyToken => write!(f, "empty flag between separators"),
            Self::EmptyList => write!(f, "empty flag list after '~' or parentheses"),
            Self::MisplacedNot => write!(f, "'~' may appear only once, at the start of the spec"),
            Self::UnbalancedParentheses => write!(f, "unbalanced parentheses"),
            Self::MisplacedParentheses => {
                write!(f, "parentheses must enclose the whole flag list")
            }
            Self::MixedSeparators => {
                write!(
                    f,
                    "only one kind of separator (',', '+' or '|') may be used"
                )
            }
            Self::InvalidNumber(t) => write!(f, "{t:?} is not an integer"),
            Self::Overflow(t) => write!(f, "{t} does not fit in a 64-bit DQ mask"),
            Self::ExceedsWidth { bit, width } => {
                write!(f, "bit {bit} does not fit in a {width}-bit DQ array")
            }
            Self::FlipBitsNotAllowed => write!(
                f,
                "flip_bits is not allowed here (prepend '~' to a string spec; None has no bits)"
            ),
        }
    }
}

/// What is wrong with a flag-name map entry (see [`MaskError::FlagMap`]).
///
/// ```
/// use astro_mask::{FlagMap, MaskError, FlagMapProblem};
/// let err = FlagMap::new([("HOT", 12)]).unwrap_err();
/// assert!(matches!(err, MaskError::FlagMap { problem: FlagMapProblem::NotPowerOfTwo, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlagMapProblem {
    /// The value is zero or has more than one bit set.
    NotPowerOfTwo,
    /// The name was already defined (names compare case-insensitively, as in astropy).
    DuplicateName,
    /// The name is not `[A-Za-z][A-Za-z0-9_]*`, or is `None`/`INDEF` (reserved spec words).
    InvalidName,
}

impl fmt::Display for FlagMapProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPowerOfTwo => write!(f, "flag value must be a power of 2"),
            Self::DuplicateName => write!(f, "flag name defined twice (case-insensitive)"),
            Self::InvalidName => write!(
                f,
                "flag name must match [A-Za-z][A-Za-z0-9_]* and not be NONE or INDEF"
            ),
        }
    }
}
