//! "Good bits" specifications: parsing, canonical printing, and the astropy-compatible
//! `interpret_bit_flags`.

use std::fmt;
use std::str::FromStr;

use crate::error::{MaskError, Result, SpecProblem};
use crate::flagmap::FlagMap;

/// A parsed DQ bit-flag specification: which DQ bits are *good* (ignored when deciding
/// whether a pixel is bad).
///
/// This is the value astropy's `interpret_bit_flags` returns and the meaning of AstroDrizzle's
/// `driz_sep_bits` / `final_bits` and JWST's `good_bits`:
///
/// * "none" ([`GoodBits::NONE`], from `None`, `"None"`, `"INDEF"`, `""`): the DQ array is
///   ignored and every pixel is good;
/// * a mask of listed bits, not flipped (`"4,8"`, `12`): those bits are ignored, any other
///   set bit makes a pixel bad;
/// * a flipped mask (`"~4,8"`, `"~(4+8)"`, a negative integer): *only* the listed bits make
///   a pixel bad.
///
/// The default is `0`: every non-zero DQ value is bad. [`Display`](fmt::Display) prints a
/// canonical spec (`None`, `12`, `~12`) that parses back to the same value.
///
/// ```
/// use astro_mask::GoodBits;
/// let bits: GoodBits = "~4+8".parse()?;
/// assert!(bits.is_flipped());
/// assert_eq!(bits.mask(), Some(12));
/// assert_eq!(bits.value(), Some(-13)); // what astropy returns: ~12
/// assert_eq!(bits.to_string(), "~12");
/// assert!(bits.is_good(16) && !bits.is_good(4));
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoodBits {
    repr: Option<Bits>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Bits {
    mask: u64,
    flipped: bool,
}

impl Default for GoodBits {
    /// `0`: no bit is good, any non-zero DQ value is bad (astropy's and AstroDrizzle's default).
    fn default() -> Self {
        Self::from_mask(0)
    }
}

/// An input to [`interpret_bit_flags`], mirroring the Python types astropy accepts.
///
/// ```
/// use astro_mask::{interpret_bit_flags, BitFlagsInput};
/// let bits = interpret_bit_flags(BitFlagsInput::Ints(&[4, 8]), Some(true), None)?;
/// assert_eq!(bits.value(), Some(!12));
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitFlagsInput<'a> {
    /// Python `None`: no mask.
    None,
    /// A Python integer: a bit mask, any value (negative = flipped).
    Int(i128),
    /// A string spec (`"4,8"`, `"~(4+8)"`, `"JUMP_DET, DROPOUT"`, ...).
    Str(&'a str),
    /// A Python list of integer flags (each a power of two).
    Ints(&'a [i128]),
    /// A Python list of flag names (needs a flag-name map).
    Names(&'a [&'a str]),
}

impl fmt::Display for BitFlagsInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => write!(f, "None"),
            Self::Int(v) => write!(f, "{v}"),
            Self::Str(s) => write!(f, "{s}"),
            Self::Ints(v) => write!(f, "{v:?}"),
            Self::Names(v) => write!(f, "{v:?}"),
        }
    }
}

/// Interprets bit flags exactly as astropy 8's `astropy.nddata.bitmask.interpret_bit_flags`
/// does (same accepted inputs, same results, an error wherever astropy raises one).
///
/// * `flip_bits` must be `None` for strings (use a leading `~`) and for `None` input;
/// * `flag_name_map` translates mnemonic names, case-insensitively.
///
/// Deliberate differences, all on inputs astropy accepts: integers outside −2⁶⁴ ..= 2⁶⁴−1
/// (astropy keeps Python's unbounded integers, then drops the bits above 64) are an
/// [`SpecProblem::Overflow`] error; non-ASCII digits (which Python's `int()` accepts) are
/// [`SpecProblem::InvalidNumber`].
///
/// ```
/// use astro_mask::{interpret_bit_flags, BitFlagsInput, FlagMap};
/// let jwst = FlagMap::jwst();
/// let bits = interpret_bit_flags(BitFlagsInput::Str("~DO_NOT_USE+SATURATED"), None, Some(jwst))?;
/// assert_eq!(bits.value(), Some(!3));
/// assert!(interpret_bit_flags(BitFlagsInput::Str("4"), Some(true), None).is_err());
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn interpret_bit_flags(
    bit_flags: BitFlagsInput<'_>,
    flip_bits: Option<bool>,
    flag_name_map: Option<&FlagMap>,
) -> Result<GoodBits> {
    let spec_err = |problem| MaskError::Spec {
        spec: bit_flags.to_string(),
        problem,
    };
    let flip = flip_bits.unwrap_or(false);
    match bit_flags {
        BitFlagsInput::None => match flip_bits {
            Some(_) => Err(spec_err(SpecProblem::FlipBitsNotAllowed)),
            None => Ok(GoodBits::NONE),
        },
        BitFlagsInput::Int(v) => {
            let bits = GoodBits::from_int(v)?;
            Ok(if flip { bits.flip() } else { bits })
        }
        BitFlagsInput::Str(s) => match flip_bits {
            Some(_) => Err(spec_err(SpecProblem::FlipBitsNotAllowed)),
            None => parse_spec(s, flag_name_map),
        },
        BitFlagsInput::Ints(values) => {
            let mask = sum_flags(values.iter().copied()).map_err(spec_err)?;
            Ok(GoodBits::from_mask(mask).flip_if(flip))
        }
        BitFlagsInput::Names(names) => {
            let Some(map) = flag_name_map else {
                let first = names.first().copied().unwrap_or_default();
                return Err(spec_err(SpecProblem::NameWithoutMap(first.to_string())));
            };
            let mut values = Vec::with_capacity(names.len());
            for name in names {
                let v = map
                    .get(name)
                    .ok_or_else(|| spec_err(SpecProblem::UnknownName(name.to_string())))?;
                values.push(i128::from(v));
            }
            let mask = sum_flags(values).map_err(spec_err)?;
            Ok(GoodBits::from_mask(mask).flip_if(flip))
        }
    }
}

impl GoodBits {
    /// No mask: the DQ array is ignored, every pixel is good (`None`, `"None"`, `"INDEF"`,
    /// `""`).
    ///
    /// ```
    /// use astro_mask::GoodBits;
    /// assert_eq!(GoodBits::parse("INDEF")?, GoodBits::NONE);
    /// assert!(GoodBits::NONE.is_good(u64::MAX));
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub const NONE: GoodBits = GoodBits { repr: None };

    /// A plain (not flipped) mask of good bits, like the integer `mask` in Python.
    ///
    /// ```
    /// use astro_mask::GoodBits;
    /// assert_eq!(GoodBits::from_mask(12), GoodBits::parse("4+8")?);
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub const fn from_mask(mask: u64) -> Self {
        GoodBits {
            repr: Some(Bits {
                mask,
                flipped: false,
            }),
        }
    }

    /// A Python-style integer mask: a negative value is the bitwise NOT of a mask
    /// (`-13 == ~12`, i.e. "only bits 4 and 8 are bad").
    ///
    /// Errors with [`SpecProblem::Overflow`] outside −2⁶⁴ ..= 2⁶⁴−1.
    ///
    /// ```
    /// use astro_mask::GoodBits;
    /// assert_eq!(GoodBits::from_int(-13)?, GoodBits::parse("~(4+8)")?);
    /// assert!(GoodBits::from_int(1 << 64).is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn from_int(value: i128) -> Result<Self> {
        let overflow = || MaskError::Spec {
            spec: value.to_string(),
            problem: SpecProblem::Overflow(value.to_string()),
        };
        if value >= 0 {
            let mask = u64::try_from(value).map_err(|_| overflow())?;
            Ok(Self::from_mask(mask))
        } else {
            let mask = u64::try_from(-(value + 1)).map_err(|_| overflow())?;
            Ok(GoodBits {
                repr: Some(Bits {
                    mask,
                    flipped: true,
                }),
            })
        }
    }

    /// A list of single-bit flags, OR-ed (astropy's list input), optionally flipped.
    ///
    /// Every element must be a power of two (duplicates are ignored).
    ///
    /// ```
    /// use astro_mask::GoodBits;
    /// assert_eq!(GoodBits::from_flags(&[4, 8, 8], true)?.to_string(), "~12");
    /// assert!(GoodBits::from_flags(&[12], false).is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn from_flags(flags: &[u64], flip_bits: bool) -> Result<Self> {
        let mask =
            sum_flags(flags.iter().map(|&v| i128::from(v))).map_err(|problem| MaskError::Spec {
                spec: format!("{flags:?}"),
                problem,
            })?;
        Ok(Self::from_mask(mask).flip_if(flip_bits))
    }

    /// A list of flag names looked up in `map`, OR-ed, optionally flipped.
    ///
    /// ```
    /// use astro_mask::{FlagMap, GoodBits};
    /// let bits = GoodBits::from_names(&["JUMP_DET", "dropout"], FlagMap::jwst(), false)?;
    /// assert_eq!(bits.mask(), Some(12));
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn from_names(names: &[&str], map: &FlagMap, flip_bits: bool) -> Result<Self> {
        interpret_bit_flags(BitFlagsInput::Names(names), Some(flip_bits), Some(map))
    }

    /// Parses a string spec with numbers only (`"12"`, `"4,8"`, `"4|8"`, `"~(4+8)"`,
    /// `"None"`).
    ///
    /// ```
    /// use astro_mask::GoodBits;
    /// assert_eq!(GoodBits::parse(" ~ ( 4 | 8 ) ")?.value(), Some(!12));
    /// assert!(GoodBits::parse("~~4").is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn parse(spec: &str) -> Result<Self> {
        parse_spec(spec, None)
    }

    /// Parses a string spec that may use the flag names of `map` (`"JUMP_DET, DROPOUT"`,
    /// `"~DO_NOT_USE+SATURATED"`). Names and numbers cannot be mixed in one spec.
    ///
    /// ```
    /// use astro_mask::{FlagMap, GoodBits};
    /// let acs = FlagMap::hst_acs();
    /// assert_eq!(GoodBits::parse_with("HOT, WARM", acs)?.mask(), Some(80));
    /// assert!(GoodBits::parse_with("HOT, 64", acs).is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn parse_with(spec: &str, map: &FlagMap) -> Result<Self> {
        parse_spec(spec, Some(map))
    }

    /// The bitwise NOT of the mask (Python `~`); `NONE` stays `NONE`.
    ///
    /// ```
    /// use astro_mask::GoodBits;
    /// assert_eq!(GoodBits::from_mask(12).flip().to_string(), "~12");
    /// assert_eq!(GoodBits::from_mask(12).flip().flip(), GoodBits::from_mask(12));
    /// ```
    #[must_use]
    pub const fn flip(self) -> Self {
        match self.repr {
            Some(Bits { mask, flipped }) => GoodBits {
                repr: Some(Bits {
                    mask,
                    flipped: !flipped,
                }),
            },
            None => self,
        }
    }

    const fn flip_if(self, flip: bool) -> Self {
        if flip { self.flip() } else { self }
    }

    /// Whether this is [`GoodBits::NONE`] (DQ ignored).
    ///
    /// ```
    /// assert!(astro_mask::GoodBits::parse("none").unwrap().is_none());
    /// ```
    pub const fn is_none(&self) -> bool {
        self.repr.is_none()
    }

    /// The listed bits (before any flip); `None` for [`GoodBits::NONE`].
    ///
    /// ```
    /// assert_eq!(astro_mask::GoodBits::parse("~4,8").unwrap().mask(), Some(12));
    /// ```
    pub const fn mask(&self) -> Option<u64> {
        match self.repr {
            Some(b) => Some(b.mask),
            None => None,
        }
    }

    /// Whether the mask is flipped (`~` spec, negative integer, `flip_bits`).
    ///
    /// ```
    /// assert!(astro_mask::GoodBits::from_int(-1).unwrap().is_flipped());
    /// ```
    pub const fn is_flipped(&self) -> bool {
        matches!(self.repr, Some(Bits { flipped: true, .. }))
    }

    /// The Python integer astropy's `interpret_bit_flags` returns (`None` for no mask).
    ///
    /// ```
    /// assert_eq!(astro_mask::GoodBits::parse("~0").unwrap().value(), Some(-1));
    /// ```
    pub const fn value(&self) -> Option<i128> {
        match self.repr {
            Some(Bits {
                mask,
                flipped: false,
            }) => Some(mask as i128),
            Some(Bits {
                mask,
                flipped: true,
            }) => Some(-(mask as i128) - 1),
            None => None,
        }
    }

    /// The 64 bits that are ignored in a DQ value (`value & (2⁶⁴−1)` in astropy terms);
    /// `None` when the DQ array is ignored altogether.
    ///
    /// ```
    /// assert_eq!(astro_mask::GoodBits::parse("~12").unwrap().ignore_bits(), Some(!12u64));
    /// ```
    pub const fn ignore_bits(&self) -> Option<u64> {
        match self.repr {
            Some(Bits {
                mask,
                flipped: false,
            }) => Some(mask),
            Some(Bits {
                mask,
                flipped: true,
            }) => Some(!mask),
            None => None,
        }
    }

    /// Whether a DQ value (its bit pattern, zero-extended) is good under this spec:
    /// `dq & !ignore_bits == 0`.
    ///
    /// ```
    /// let bits = astro_mask::GoodBits::parse("4,8").unwrap();
    /// assert!(bits.is_good(0) && bits.is_good(12) && !bits.is_good(13));
    /// ```
    #[inline]
    pub const fn is_good(&self, dq: u64) -> bool {
        match self.ignore_bits() {
            Some(ignore) => dq & !ignore == 0,
            None => true,
        }
    }

    /// Checks that every listed bit fits in a DQ array of `width` bits (16 for HST, 32 for
    /// JWST) and returns `self`; [`SpecProblem::ExceedsWidth`] otherwise. astropy silently
    /// drops such bits; use this to refuse them.
    ///
    /// ```
    /// use astro_mask::GoodBits;
    /// assert!(GoodBits::parse("4096")?.check_width(16).is_ok());
    /// assert!(GoodBits::parse("65536")?.check_width(16).is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn check_width(self, width: u32) -> Result<Self> {
        if let Some(mask) = self.mask()
            && width < 64
            && mask >> width != 0
        {
            let bit = 1u64 << (63 - mask.leading_zeros());
            return Err(MaskError::Spec {
                spec: self.to_string(),
                problem: SpecProblem::ExceedsWidth { bit, width },
            });
        }
        Ok(self)
    }

    /// A spec written with the flag names of `map` when every listed bit has one
    /// (`"~DO_NOT_USE+SATURATED"`), the numeric canonical form otherwise. It parses back
    /// with [`GoodBits::parse_with`] to the same value.
    ///
    /// ```
    /// use astro_mask::{FlagMap, GoodBits};
    /// let jwst = FlagMap::jwst();
    /// let bits = GoodBits::parse("~3")?;
    /// assert_eq!(bits.display_with(jwst), "~DO_NOT_USE+SATURATED");
    /// assert_eq!(GoodBits::parse_with(&bits.display_with(jwst), jwst)?, bits);
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn display_with(&self, map: &FlagMap) -> String {
        let Some(Bits { mask, flipped }) = self.repr else {
            return self.to_string();
        };
        if mask == 0 {
            return self.to_string();
        }
        let mut names = Vec::new();
        for b in 0..64 {
            let bit = 1u64 << b;
            if mask & bit != 0 {
                match map.name_of(bit) {
                    Some(n) => names.push(n),
                    None => return self.to_string(),
                }
            }
        }
        format!("{}{}", if flipped { "~" } else { "" }, names.join("+"))
    }
}

impl fmt::Display for GoodBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.repr {
            None => write!(f, "None"),
            Some(Bits {
                mask,
                flipped: false,
            }) => write!(f, "{mask}"),
            Some(Bits {
                mask,
                flipped: true,
            }) => write!(f, "~{mask}"),
        }
    }
}

impl FromStr for GoodBits {
    type Err = MaskError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Python's `str.isspace()` (Rust's White_Space plus the four ASCII information separators).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

enum PyInt {
    Value(i128),
    TooBig,
    Invalid,
}

/// Python's `int(s)` for base 10 with ASCII digits: surrounding whitespace, optional sign,
/// digits with single underscores between them.
fn parse_py_int(s: &str) -> PyInt {
    let s = py_strip(s);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let bytes = digits.as_bytes();
    if bytes.is_empty() || !bytes[0].is_ascii_digit() || !bytes[bytes.len() - 1].is_ascii_digit() {
        return PyInt::Invalid;
    }
    let mut value: Option<i128> = Some(0);
    let mut prev_underscore = false;
    for &b in bytes {
        if b == b'_' {
            if prev_underscore {
                return PyInt::Invalid;
            }
            prev_underscore = true;
            continue;
        }
        if !b.is_ascii_digit() {
            return PyInt::Invalid;
        }
        prev_underscore = false;
        let d = i128::from(b - b'0');
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(d));
    }
    match value {
        Some(v) => PyInt::Value(if negative { -v } else { v }),
        None => PyInt::TooBig,
    }
}

/// OR of a list of single-bit flags (duplicates ignored), as astropy does for lists.
fn sum_flags(values: impl IntoIterator<Item = i128>) -> std::result::Result<u64, SpecProblem> {
    let mut mask = 0u64;
    for v in values {
        if v < 1 || v.count_ones() != 1 {
            return Err(SpecProblem::NotPowerOfTwo(v));
        }
        let bit = u64::try_from(v).map_err(|_| SpecProblem::Overflow(v.to_string()))?;
        mask |= bit;
    }
    Ok(mask)
}

fn looks_like_name(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

fn parse_spec(spec: &str, map: Option<&FlagMap>) -> Result<GoodBits> {
    let err = |problem| MaskError::Spec {
        spec: spec.to_string(),
        problem,
    };
    let s = py_strip(spec);
    let upper = s.to_uppercase();
    if upper.is_empty() || upper == "NONE" || upper == "INDEF" {
        return Ok(GoodBits::NONE);
    }

    // A single '~', first: flip the whole list.
    let (flip, mut body) = match s.find('~') {
        Some(0) => (true, s[1..].trim_start_matches(is_py_space)),
        Some(_) => return Err(err(SpecProblem::MisplacedNot)),
        None => (false, s),
    };

    // Enclosing parentheses, possibly nested: "((4+8))".
    loop {
        let open = body.matches('(').count();
        let close = body.matches(')').count();
        if open == 0 && close == 0 {
            break;
        }
        if open != close {
            return Err(err(SpecProblem::UnbalancedParentheses));
        }
        if !body.starts_with('(') || !body.ends_with(')') {
            return Err(err(SpecProblem::MisplacedParentheses));
        }
        body = py_strip(&body[1..body.len() - 1]);
    }

    let separators: Vec<char> = [',', '+', '|']
        .into_iter()
        .filter(|&c| body.contains(c))
        .collect();
    let tokens: Vec<&str> = match separators.as_slice() {
        [] if body.is_empty() => return Err(err(SpecProblem::EmptyList)),
        [] => vec![body],
        [sep] => body.split(*sep).map(py_strip).collect(),
        _ => return Err(err(SpecProblem::MixedSeparators)),
    };

    // With a map, the kind of the first element decides: a non-integer means names.
    let names_mode = map.is_some() && matches!(parse_py_int(tokens[0]), PyInt::Invalid);
    let mut values = Vec::with_capacity(tokens.len());
    for &token in &tokens {
        let problem = if token.is_empty() {
            Some(SpecProblem::EmptyToken)
        } else if token.contains('~') {
            Some(SpecProblem::MisplacedNot)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(err(problem));
        }
        let parsed = parse_py_int(token);
        let value = match (names_mode, map) {
            (true, Some(map)) => match (map.get(token), parsed) {
                (Some(v), _) => i128::from(v),
                (None, PyInt::Invalid) => {
                    return Err(err(SpecProblem::UnknownName(token.to_string())));
                }
                (None, _) => {
                    return Err(err(SpecProblem::MixedNamesAndNumbers(token.to_string())));
                }
            },
            _ => match parsed {
                PyInt::Value(v) => v,
                PyInt::TooBig => return Err(err(SpecProblem::Overflow(token.to_string()))),
                PyInt::Invalid => {
                    let problem = match map {
                        Some(_) if looks_like_name(token) => {
                            SpecProblem::MixedNamesAndNumbers(token.to_string())
                        }
                        None if looks_like_name(token) => {
                            SpecProblem::NameWithoutMap(token.to_string())
                        }
                        _ => SpecProblem::InvalidNumber(token.to_string()),
                    };
                    return Err(err(problem));
                }
            },
        };
        values.push(value);
    }

    let bits = if values.len() == 1 {
        // A lone integer may be any mask, even negative.
        GoodBits::from_int(values[0])
            .map_err(|_| err(SpecProblem::Overflow(values[0].to_string())))?
    } else {
        GoodBits::from_mask(sum_flags(values).map_err(err)?)
    };
    Ok(bits.flip_if(flip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(spec: &str) -> SpecProblem {
        match GoodBits::parse(spec) {
            Err(MaskError::Spec { spec: s, problem }) => {
                assert_eq!(s, spec);
                problem
            }
            other => panic!("{spec:?} -> {other:?}"),
        }
    }

    #[test]
    fn accepted() {
        for (spec, value) in [
            ("12", Some(12)),
            ("4,8", Some(12)),
            ("4+8", Some(12)),
            ("4|8", Some(12)),
            ("~4+8", Some(!12)),
            ("~(4+8)", Some(!12)),
            ("((4, 8))", Some(12)),
            ("~ ( 4 | 8 )", Some(!12)),
            ("0", Some(0)),
            ("~0", Some(-1)),
            ("-5", Some(-5)),
            ("~-5", Some(4)),
            ("4,4", Some(4)),
            ("1_024", Some(1024)),
            ("0010", Some(10)),
            ("None", None),
            ("INDEF", None),
            ("  ", None),
            ("none", None),
            ("18446744073709551615", Some(u64::MAX as i128)),
            ("-18446744073709551616", Some(-(1i128 << 64))),
        ] {
            assert_eq!(GoodBits::parse(spec).unwrap().value(), value, "{spec}");
        }
    }

    #[test]
    fn malformed_specs_are_typed_errors() {
        use SpecProblem as P;
        assert_eq!(problem("4++8"), P::EmptyToken);
        assert_eq!(problem("4,"), P::EmptyToken);
        assert_eq!(problem("+4"), P::EmptyToken);
        assert_eq!(problem("~"), P::EmptyList);
        assert_eq!(problem("()"), P::EmptyList);
        assert_eq!(problem("~~4"), P::MisplacedNot);
        assert_eq!(problem("4+~8"), P::MisplacedNot);
        assert_eq!(problem("(4+8"), P::UnbalancedParentheses);
        assert_eq!(problem("4+8)"), P::UnbalancedParentheses);
        assert_eq!(problem("(4)+(8)"), P::MisplacedParentheses);
        assert_eq!(problem("4+(8)"), P::MisplacedParentheses);
        assert_eq!(problem("4,6"), P::NotPowerOfTwo(6));
        assert_eq!(problem("0,4"), P::NotPowerOfTwo(0));
        assert_eq!(problem("-4,8"), P::NotPowerOfTwo(-4));
        assert_eq!(problem("4,8+16"), P::MixedSeparators);
        assert_eq!(
            problem("18446744073709551616"),
            P::Overflow("18446744073709551616".into())
        );
        assert_eq!(
            problem("4,18446744073709551616"),
            P::Overflow("18446744073709551616".into())
        );
        assert!(matches!(problem("1e3"), P::InvalidNumber(_)));
        assert!(matches!(problem("4 8"), P::InvalidNumber(_)));
        assert!(matches!(problem("1__0"), P::InvalidNumber(_)));
        assert_eq!(
            problem("DO_NOT_USE"),
            P::NameWithoutMap("DO_NOT_USE".into())
        );
        assert!(matches!(problem(&"9".repeat(60)), P::Overflow(_)));
    }

    #[test]
    fn names() {
        let jwst = FlagMap::jwst();
        let p = |s: &str| GoodBits::parse_with(s, jwst);
        assert_eq!(p("JUMP_DET, DROPOUT").unwrap().value(), Some(12));
        assert_eq!(p("~DO_NOT_USE+SATURATED").unwrap().value(), Some(!3));
        assert_eq!(p("jump_det|dropout").unwrap().value(), Some(12));
        assert_eq!(p("4,8").unwrap().value(), Some(12));
        let e = |s: &str| match p(s) {
            Err(MaskError::Spec { problem, .. }) => problem,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(e("JUMP_DET,NOPE"), SpecProblem::UnknownName("NOPE".into()));
        assert_eq!(
            e("JUMP_DET,4"),
            SpecProblem::MixedNamesAndNumbers("4".into())
        );
        assert_eq!(
            e("4,JUMP_DET"),
            SpecProblem::MixedNamesAndNumbers("JUMP_DET".into())
        );
        assert_eq!(e("JUMP_DET,"), SpecProblem::EmptyToken);
        assert_eq!(e("~~JUMP_DET"), SpecProblem::MisplacedNot);
    }

    #[test]
    fn flip_bits_rules() {
        use BitFlagsInput as I;
        assert!(interpret_bit_flags(I::Str("4"), Some(false), None).is_err());
        assert!(interpret_bit_flags(I::None, Some(false), None).is_err());
        assert_eq!(
            interpret_bit_flags(I::Int(4), Some(true), None)
                .unwrap()
                .value(),
            Some(-5)
        );
        assert_eq!(
            interpret_bit_flags(I::Int(-5), Some(true), None)
                .unwrap()
                .value(),
            Some(4)
        );
        assert_eq!(
            interpret_bit_flags(I::Ints(&[]), Some(true), None)
                .unwrap()
                .value(),
            Some(-1)
        );
        assert!(interpret_bit_flags(I::Ints(&[3]), None, None).is_err());
        assert!(interpret_bit_flags(I::Names(&["HOT"]), None, None).is_err());
    }

    #[test]
    fn width() {
        let e = GoodBits::parse("~65536")
            .unwrap()
            .check_width(16)
            .unwrap_err();
        assert_eq!(
            e,
            MaskError::Spec {
                spec: "~65536".into(),
                problem: SpecProblem::ExceedsWidth {
                    bit: 65536,
                    width: 16
                }
            }
        );
        assert!(GoodBits::NONE.check_width(8).is_ok());
        assert!(GoodBits::from_mask(u64::MAX).check_width(64).is_ok());
    }
}
