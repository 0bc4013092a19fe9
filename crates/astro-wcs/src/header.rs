//! FITS header cards: [`Card`], [`Value`] and [`Header`].
//!
//! A FITS header is a sequence of 80-character ASCII cards stored in 2880-byte blocks and
//! closed by an `END` card. This module parses such bytes (and the looser text forms in
//! which headers are often kept: one card per line, or cards without `END`), keeps the
//! cards in order, gives typed access whose errors name the keyword, and writes valid
//! cards back, splitting long strings over `CONTINUE` cards.

use crate::error::{Error, Result};
use std::fmt;

/// Length of one header card in bytes.
pub const CARD_LEN: usize = 80;
/// Length of one FITS block in bytes.
pub const BLOCK_LEN: usize = 2880;

/// The value of a header card.
///
/// # Examples
///
/// ```
/// use astro_wcs::Value;
///
/// assert_eq!(Value::from(2.5).as_f64(), Some(2.5));
/// assert_eq!(Value::from(3_i64).as_f64(), Some(3.0));
/// assert_eq!(Value::from("RA---TAN").as_str(), Some("RA---TAN"));
/// assert_eq!(Value::from(true).as_bool(), Some(true));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `T` or `F`.
    Logical(bool),
    /// An integer.
    Integer(i64),
    /// A floating-point number (`E` or `D` exponent on input).
    Real(f64),
    /// A complex number `(re, im)`.
    Complex(f64, f64),
    /// A character string (quotes removed, `''` unescaped, trailing blanks dropped).
    String(String),
    /// A value card with an empty value field.
    Undefined,
}

impl Value {
    /// The value as a float, if it is an integer or a real.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Value;
    /// assert_eq!(Value::Integer(7).as_f64(), Some(7.0));
    /// assert_eq!(Value::String("7".into()).as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Integer(i) => Some(i as f64),
            Value::Real(r) => Some(r),
            _ => None,
        }
    }

    /// The value as an integer, if it is an integer (or a real with no fractional part).
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Value;
    /// assert_eq!(Value::Integer(7).as_i64(), Some(7));
    /// assert_eq!(Value::Real(7.0).as_i64(), Some(7));
    /// assert_eq!(Value::Real(7.5).as_i64(), None);
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(i) => Some(i),
            Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Some(r as i64),
            _ => None,
        }
    }

    /// The value as a string slice, if it is a string.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Value;
    /// assert_eq!(Value::from("SCI").as_str(), Some("SCI"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a boolean, if it is logical.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Value;
    /// assert_eq!(Value::Logical(false).as_bool(), Some(false));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Logical(b) => Some(b),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Value::Logical(_) => "a logical",
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Complex(..) => "a complex",
            Value::String(_) => "a string",
            Value::Undefined => "undefined",
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Real(f64::from(v))
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(i64::from(v))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Integer(v as i64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Logical(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl fmt::Display for Value {
    /// The value as it appears in a card's value field (strings quoted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Logical(b) => f.write_str(if *b { "T" } else { "F" }),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => f.write_str(&format_real(*r)),
            Value::Complex(a, b) => write!(f, "({}, {})", format_real(*a), format_real(*b)),
            Value::String(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Value::Undefined => Ok(()),
        }
    }
}

/// Shortest text that reads back as exactly `r`, in a form FITS accepts.
fn format_real(r: f64) -> String {
    // Debug gives the shortest round-trip digits, with an exponent for very large or very
    // small magnitudes and always either a '.' or an exponent.
    let s = format!("{r:?}");
    match s.find('e') {
        Some(pos) => {
            let (mant, exp) = s.split_at(pos);
            let mant = if mant.contains('.') {
                mant.to_string()
            } else {
                format!("{mant}.0")
            };
            format!("{mant}E{}", &exp[1..])
        }
        None => s,
    }
}

/// One header card: a keyword with a value and comment, or a commentary card.
///
/// Commentary cards (`COMMENT`, `HISTORY`, blank keyword, or any keyword without `= ` in
/// columns 9–10) have `value == None` and their text in `comment`.
///
/// # Examples
///
/// ```
/// use astro_wcs::{Card, Value};
///
/// let card = Card::parse("CRVAL1  =        5.63056810618 / [deg] RA at reference point").unwrap();
/// assert_eq!(card.keyword, "CRVAL1");
/// assert_eq!(card.value, Some(Value::Real(5.63056810618)));
/// assert_eq!(card.comment.as_deref(), Some("[deg] RA at reference point"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The keyword, without a `HIERARCH ` prefix; upper case for standard keywords.
    pub keyword: String,
    /// The value, or `None` for a commentary card.
    pub value: Option<Value>,
    /// The comment (for a commentary card: its text).
    pub comment: Option<String>,
}

impl Card {
    /// A value card.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Card;
    /// let card = Card::new("EXPTIME", 60.0);
    /// assert_eq!(card.value.unwrap().as_f64(), Some(60.0));
    /// ```
    pub fn new(keyword: impl Into<String>, value: impl Into<Value>) -> Self {
        Card {
            keyword: keyword.into(),
            value: Some(value.into()),
            comment: None,
        }
    }

    /// A value card with a comment.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Card;
    /// let card = Card::with_comment("EXPTIME", 60.0, "seconds");
    /// assert_eq!(card.comment.as_deref(), Some("seconds"));
    /// ```
    pub fn with_comment(
        keyword: impl Into<String>,
        value: impl Into<Value>,
        comment: impl Into<String>,
    ) -> Self {
        Card {
            keyword: keyword.into(),
            value: Some(value.into()),
            comment: Some(comment.into()),
        }
    }

    /// A commentary card such as `COMMENT` or `HISTORY`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Card;
    /// let card = Card::commentary("HISTORY", "drizzled by astro");
    /// assert!(card.value.is_none());
    /// ```
    pub fn commentary(keyword: impl Into<String>, text: impl Into<String>) -> Self {
        Card {
            keyword: keyword.into(),
            value: None,
            comment: Some(text.into()),
        }
    }

    /// Parse one card (up to 80 ASCII characters; shorter text is padded with blanks).
    ///
    /// Errors carry index 0; [`Header::parse`] reports the card's real position.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::{Card, Value};
    /// let card = Card::parse("CTYPE1  = 'RA---TAN-SIP'").unwrap();
    /// assert_eq!(card.value, Some(Value::String("RA---TAN-SIP".into())));
    /// assert!(Card::parse("NAXIS1  = 12 34").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Card> {
        parse_card(text.as_bytes(), 0).map(|(card, _)| card)
    }

    /// Is this a commentary card (no value)?
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Card;
    /// assert!(Card::commentary("COMMENT", "x").is_commentary());
    /// ```
    pub fn is_commentary(&self) -> bool {
        self.value.is_none()
    }

    /// Write the card as one or more 80-character card images (long strings become
    /// `CONTINUE` cards, long commentary is split over several cards).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKeywordName`] for a keyword that no card can hold, and
    /// [`Error::InvalidKeyword`] for a value FITS cannot represent (NaN or infinite reals,
    /// non-ASCII strings) or that does not fit in a card.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::Card;
    /// let images = Card::new("NAXIS1", 4096).to_card_images().unwrap();
    /// assert_eq!(images.len(), 1);
    /// assert_eq!(&images[0][..30], "NAXIS1  =                 4096");
    /// ```
    pub fn to_card_images(&self) -> Result<Vec<String>> {
        let kw = self.keyword.as_str();
        let bad = |reason: &str| Error::InvalidKeyword {
            keyword: kw.to_string(),
            reason: reason.to_string(),
        };
        if !kw.is_ascii() || kw.chars().any(|c| c.is_ascii_control() || c == '=') {
            return Err(Error::InvalidKeywordName {
                keyword: kw.to_string(),
                reason: "keywords are printable ASCII without '='".into(),
            });
        }
        if let Some(c) = &self.comment
            && (!c.is_ascii() || c.chars().any(|ch| ch.is_ascii_control()))
        {
            return Err(bad("comment is not printable ASCII"));
        }
        let standard = is_standard_keyword(kw);
        let Some(value) = &self.value else {
            if !standard {
                return Err(Error::InvalidKeywordName {
                    keyword: kw.to_string(),
                    reason: "a commentary keyword has at most 8 characters from A-Z 0-9 - _".into(),
                });
            }
            let text = self.comment.as_deref().unwrap_or("");
            let mut out = Vec::new();
            let chunks: Vec<&str> = if text.is_empty() {
                vec![""]
            } else {
                text.as_bytes()
                    .chunks(72)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect()
            };
            for chunk in chunks {
                out.push(pad80(format!("{kw:<8}{chunk}")));
            }
            return Ok(out);
        };
        let prefix = if standard {
            format!("{kw:<8}= ")
        } else {
            if kw.trim().is_empty() || kw.len() > 66 {
                return Err(Error::InvalidKeywordName {
                    keyword: kw.to_string(),
                    reason: "not a valid HIERARCH keyword".into(),
                });
            }
            format!("HIERARCH {kw} = ")
        };
        let comment = self.comment.as_deref().filter(|c| !c.is_empty());
        if let Value::String(s) = value {
            if !s.is_ascii() || s.chars().any(|c| c.is_ascii_control()) {
                return Err(bad("string is not printable ASCII"));
            }
            return string_card_images(&prefix, s, comment, standard).ok_or_else(|| {
                bad("string value does not fit in a HIERARCH card (CONTINUE needs a standard keyword)")
            });
        }
        let field = match value {
            Value::Real(r) if !r.is_finite() => {
                return Err(bad("NaN or infinite reals cannot be written"));
            }
            Value::Complex(a, b) if !a.is_finite() || !b.is_finite() => {
                return Err(bad("NaN or infinite reals cannot be written"));
            }
            Value::Undefined => String::new(),
            v => v.to_string(),
        };
        let mut card = if standard && field.len() <= 20 {
            format!("{prefix}{field:>20}")
        } else {
            format!("{prefix}{field}")
        };
        if card.len() > CARD_LEN {
            return Err(bad("value does not fit in one card"));
        }
        if let Some(c) = comment {
            append_comment(&mut card, c);
        }
        Ok(vec![pad80(card)])
    }
}

fn append_comment(card: &mut String, comment: &str) {
    let room = CARD_LEN.saturating_sub(card.len() + 3);
    if room > 0 {
        card.push_str(" / ");
        card.push_str(&comment[..comment.len().min(room)]);
    }
}

fn pad80(mut s: String) -> String {
    while s.len() < CARD_LEN {
        s.push(' ');
    }
    s
}

/// Build the card images for a string value, with CONTINUE cards where needed.
fn string_card_images(
    prefix: &str,
    s: &str,
    comment: Option<&str>,
    standard: bool,
) -> Option<Vec<String>> {
    let escaped_len = |t: &str| t.len() + t.matches('\'').count();
    // The whole string on one card, padded to at least 8 characters inside the quotes.
    let first_room = CARD_LEN - prefix.len() - 2;
    if escaped_len(s) <= first_room {
        let inner = s.replace('\'', "''");
        let mut card = format!("{prefix}'{inner:<8}'");
        if let Some(c) = comment {
            append_comment(&mut card, c);
        }
        return Some(vec![pad80(card)]);
    }
    if !standard {
        return None;
    }
    // Split the raw string so that every escaped piece plus '&' fits in its card.
    let mut pieces = Vec::new();
    let mut rest = s;
    let mut room = first_room - 1; // room for '&'
    while !rest.is_empty() {
        let mut take = 0;
        let mut used = 0;
        for (i, ch) in rest.char_indices() {
            let w = if ch == '\'' { 2 } else { 1 };
            if used + w > room {
                break;
            }
            used += w;
            take = i + ch.len_utf8();
        }
        pieces.push(&rest[..take]);
        rest = &rest[take..];
        room = CARD_LEN - 10 - 2 - 1; // "CONTINUE  " + quotes + '&'
    }
    let n = pieces.len();
    let mut out = Vec::with_capacity(n);
    for (i, piece) in pieces.iter().enumerate() {
        let inner = piece.replace('\'', "''");
        let amp = if i + 1 < n { "&" } else { "" };
        let head = if i == 0 {
            prefix.to_string()
        } else {
            "CONTINUE  ".to_string()
        };
        let mut card = format!("{head}'{inner}{amp}'");
        if i + 1 == n
            && let Some(c) = comment
        {
            append_comment(&mut card, c);
        }
        out.push(pad80(card));
    }
    Some(out)
}

/// Keywords that fit the standard 8-character form.
fn is_standard_keyword(kw: &str) -> bool {
    kw.len() <= 8
        && kw
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn card_error(index: usize, raw: &[u8], reason: impl Into<String>) -> Error {
    Error::InvalidCard {
        index,
        text: String::from_utf8_lossy(raw).trim_end().to_string(),
        reason: reason.into(),
    }
}

/// Parse one raw card (at most 80 bytes). Returns the card and whether it is a
/// `CONTINUE` card (whose string value must be appended to the previous card).
fn parse_card(raw: &[u8], index: usize) -> Result<(Card, bool)> {
    if raw.len() > CARD_LEN {
        return Err(card_error(index, raw, "longer than 80 characters"));
    }
    if let Some(pos) = raw.iter().position(|&b| !(32..=126).contains(&b)) {
        return Err(card_error(
            index,
            raw,
            format!(
                "byte {:#04x} at column {} is not printable ASCII",
                raw[pos],
                pos + 1
            ),
        ));
    }
    // Printable ASCII, so valid UTF-8.
    let text = std::str::from_utf8(raw).map_err(|_| card_error(index, raw, "not ASCII"))?;
    let text = format!("{text:<80}");
    let key_field = text[..8].trim_end();
    if !key_field.is_empty() && key_field.contains(' ') {
        return Err(card_error(index, raw, "keyword contains a blank"));
    }
    if key_field == "HIERARCH" {
        let rest = &text[8..];
        if let Some(eq) = find_equals_outside_quotes(rest) {
            let keyword = rest[..eq].trim().to_string();
            if keyword.is_empty() {
                return Err(card_error(index, raw, "HIERARCH card without a keyword"));
            }
            let (value, comment) = parse_value_field(&rest[eq + 1..])
                .map_err(|reason| card_error(index, raw, reason))?;
            return Ok((
                Card {
                    keyword,
                    value: Some(value),
                    comment,
                },
                false,
            ));
        }
        return Ok((Card::commentary("HIERARCH", rest.trim_end()), false));
    }
    if key_field == "CONTINUE" {
        let (value, comment) =
            parse_value_field(&text[8..]).map_err(|reason| card_error(index, raw, reason))?;
        return match value {
            Value::String(_) => Ok((
                Card {
                    keyword: "CONTINUE".into(),
                    value: Some(value),
                    comment,
                },
                true,
            )),
            _ => Ok((Card::commentary("CONTINUE", text[8..].trim_end()), false)),
        };
    }
    let is_commentary_key = matches!(key_field, "COMMENT" | "HISTORY" | "" | "END");
    if !is_commentary_key && &text[8..9] == "=" {
        let (value, comment) =
            parse_value_field(&text[9..]).map_err(|reason| card_error(index, raw, reason))?;
        return Ok((
            Card {
                keyword: key_field.to_string(),
                value: Some(value),
                comment,
            },
            false,
        ));
    }
    Ok((Card::commentary(key_field, text[8..].trim_end()), false))
}

fn find_equals_outside_quotes(s: &str) -> Option<usize> {
    let q = s.find('\'');
    let e = s.find('=')?;
    match q {
        Some(q) if q < e => None,
        _ => Some(e),
    }
}

/// Parse the value field (everything after `=`), returning the value and the comment.
fn parse_value_field(field: &str) -> std::result::Result<(Value, Option<String>), String> {
    let trimmed = field.trim_start();
    if let Some(body) = trimmed.strip_prefix('\'') {
        let bytes = body.as_bytes();
        let mut s = String::new();
        let mut i = 0;
        loop {
            if i >= bytes.len() {
                return Err("unterminated string".into());
            }
            if bytes[i] == b'\'' {
                if i + 1 < bytes.len() && bytes[i + 1] == b'\'' {
                    s.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            s.push(bytes[i] as char);
            i += 1;
        }
        let rest = body[i..].trim();
        let comment = if rest.is_empty() {
            None
        } else if let Some(c) = rest.strip_prefix('/') {
            Some(c.trim().to_string())
        } else {
            return Err(format!("unexpected text {rest:?} after the string"));
        };
        let s = s.trim_end().to_string();
        return Ok((Value::String(s), comment));
    }
    let (value_text, comment) = match trimmed.find('/') {
        Some(p) => (
            trimmed[..p].trim(),
            Some(trimmed[p + 1..].trim().to_string()),
        ),
        None => (trimmed.trim(), None),
    };
    let comment = comment.filter(|c| !c.is_empty());
    if value_text.is_empty() {
        return Ok((Value::Undefined, comment));
    }
    let value = match value_text {
        "T" => Value::Logical(true),
        "F" => Value::Logical(false),
        v if v.starts_with('(') => {
            let inner = v
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| format!("malformed complex value {v:?}"))?;
            let mut parts = inner.split(',');
            let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("malformed complex value {v:?}"));
            };
            Value::Complex(parse_real(a.trim())?, parse_real(b.trim())?)
        }
        v => parse_number(v)?,
    };
    Ok((value, comment))
}

fn parse_number(v: &str) -> std::result::Result<Value, String> {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = v.trim_start_matches('+').parse::<i64>()
    {
        return Ok(Value::Integer(i));
    }
    parse_real(v).map(Value::Real)
}

fn parse_real(v: &str) -> std::result::Result<f64, String> {
    let ok = !v.is_empty()
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.EeDd".contains(&b));
    if !ok {
        return Err(format!("cannot read {v:?} as a number, logical or string"));
    }
    let normal: String = v
        .chars()
        .map(|c| if c == 'D' || c == 'd' { 'E' } else { c })
        .collect();
    normal
        .parse::<f64>()
        .map_err(|_| format!("cannot read {v:?} as a number"))
}

/// An ordered list of header cards with typed access.
///
/// Lookups compare keywords case-insensitively and return the first matching card.
///
/// # Examples
///
/// ```
/// use astro_wcs::Header;
///
/// let mut header = Header::new();
/// header.set("CTYPE1", "RA---TAN");
/// header.set("CRVAL1", 5.63);
/// header.set("NAXIS1", 1024);
/// assert_eq!(header.require_f64("CRVAL1")?, 5.63);
/// assert_eq!(header.get_str("CTYPE1")?, Some("RA---TAN"));
///
/// // Write it as FITS bytes and read it back.
/// let bytes = header.to_bytes()?;
/// assert_eq!(bytes.len() % 2880, 0);
/// assert_eq!(astro_wcs::Header::parse(&bytes)?, header);
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    cards: Vec<Card>,
}

impl Header {
    /// An empty header.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(astro_wcs::Header::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Header::default()
    }

    /// Parse a FITS header: 80-byte cards up to and including `END`. Bytes after the `END`
    /// card (block padding, data) are ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when no `END` card is found and [`Error::InvalidCard`] for a card
    /// that is not valid FITS (non-ASCII bytes, malformed values, unterminated strings).
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Header;
    /// let text = format!("{:<80}{:<80}", "NAXIS   =                    2", "END");
    /// let header = Header::parse(text.as_bytes())?;
    /// assert_eq!(header.get_i64("NAXIS")?, Some(2));
    /// assert!(Header::parse(&text.as_bytes()[..80]).is_err()); // no END
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<Header> {
        let mut header = Header::new();
        for (index, raw) in bytes.chunks(CARD_LEN).enumerate() {
            if raw.len() < CARD_LEN {
                break;
            }
            if raw.starts_with(b"END") && raw[3..].iter().all(|&b| b == b' ') {
                return Ok(header);
            }
            header.push_parsed(raw, index)?;
        }
        Err(Error::Truncated { bytes: bytes.len() })
    }

    /// Parse the looser text forms in which headers are kept outside FITS files: cards
    /// concatenated without newlines (astropy's `Header.fromstring`) or one card per line
    /// (`Header.fromtextfile`), with or without a closing `END`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCard`] for a card that is not valid FITS or a line longer than 80
    /// characters.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_wcs::Header;
    /// let header = Header::parse_text("CRPIX1  = 512.0\nCRPIX2  = 512.0\n")?;
    /// assert_eq!(header.len(), 2);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn parse_text(text: &str) -> Result<Header> {
        let bytes = text.as_bytes();
        let mut header = Header::new();
        let lines: Vec<&[u8]> = if bytes.contains(&b'\n') {
            bytes
                .split(|&b| b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .collect()
        } else {
            bytes.chunks(CARD_LEN).collect()
        };
        for (index, raw) in lines.into_iter().enumerate() {
            if raw.iter().all(|&b| b == b' ') && raw.len() < CARD_LEN {
                continue; // empty line
            }
            let end_trimmed = {
                let mut r = raw;
                while let [rest @ .., b' '] = r {
                    r = rest;
                }
                r
            };
            if end_trimmed == b"END" {
                break;
            }
            header.push_parsed(raw, index)?;
        }
        Ok(header)
    }

    fn push_parsed(&mut self, raw: &[u8], index: usize) -> Result<()> {
        let (card, is_continue) = parse_card(raw, index)?;
        if is_continue {
            // Append to the previous long string when it ended with '&'.
            if let Some(Card {
                value: Some(Value::String(prev)),
                comment,
                ..
            }) = self.cards.last_mut()
                && prev.ends_with('&')
            {
                prev.pop();
                if let Some(Value::String(more)) = card.value {
                    prev.push_str(&more);
                }
                if let Some(c) = card.comment {
                    *comment = Some(match comment.take() {
                        Some(old) if !old.is_empty() => format!("{old} {c}"),
                        _ => c,
                    });
                }
                return Ok(());
            }
            // A stray CONTINUE: keep it as commentary so nothing is lost.
            let text = String::from_utf8_lossy(&raw[8..]).trim_end().to_string();
            self.cards.push(Card::commentary("CONTINUE", text));
            return Ok(());
        }
        self.cards.push(card);
        Ok(())
    }

    /// Write the header as FITS bytes: the cards, `END`, and blank padding to a multiple
    /// of 2880 bytes.
    ///
    /// # Errors
    ///
    /// As [`Card::to_card_images`], for the first card that cannot be written.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("EXTNAME", "SCI");
    /// let bytes = h.to_bytes()?;
    /// assert_eq!(bytes.len(), 2880);
    /// assert!(bytes.starts_with(b"EXTNAME = 'SCI     '"));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity((self.cards.len() + 1) * CARD_LEN);
        for card in &self.cards {
            for image in card.to_card_images()? {
                out.extend_from_slice(image.as_bytes());
            }
        }
        out.extend_from_slice(format!("{:<80}", "END").as_bytes());
        let padded = out.len().div_ceil(BLOCK_LEN) * BLOCK_LEN;
        out.resize(padded, b' ');
        Ok(out)
    }

    /// All cards, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("A", 1);
    /// assert_eq!(h.cards()[0].keyword, "A");
    /// ```
    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    /// Number of cards (a long string counts once).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(astro_wcs::Header::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.cards.len()
    }

    /// Whether the header has no cards.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(astro_wcs::Header::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }

    fn position(&self, keyword: &str) -> Option<usize> {
        self.cards
            .iter()
            .position(|c| c.value.is_some() && c.keyword.eq_ignore_ascii_case(keyword))
    }

    /// The first value card with this keyword.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("EXPTIME", 60.0);
    /// assert!(h.card("exptime").is_some());
    /// ```
    pub fn card(&self, keyword: &str) -> Option<&Card> {
        self.position(keyword).map(|i| &self.cards[i])
    }

    /// The value of the first card with this keyword.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::{Header, Value};
    /// let mut h = Header::new();
    /// h.set("NAXIS", 2);
    /// assert_eq!(h.get("NAXIS"), Some(&Value::Integer(2)));
    /// assert_eq!(h.get("NAXIS3"), None);
    /// ```
    pub fn get(&self, keyword: &str) -> Option<&Value> {
        self.card(keyword).and_then(|c| c.value.as_ref())
    }

    /// Whether a value card with this keyword exists.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("A_ORDER", 4);
    /// assert!(h.contains("A_ORDER") && !h.contains("B_ORDER"));
    /// ```
    pub fn contains(&self, keyword: &str) -> bool {
        self.position(keyword).is_some()
    }

    /// Set a keyword's value, replacing the first existing card (keeping its comment) or
    /// appending a new one.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("CRVAL1", 1.0);
    /// h.set("CRVAL1", 2.0);
    /// assert_eq!(h.len(), 1);
    /// assert_eq!(h.get_f64("CRVAL1")?, Some(2.0));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn set(&mut self, keyword: &str, value: impl Into<Value>) {
        match self.position(keyword) {
            Some(i) => self.cards[i].value = Some(value.into()),
            None => self.cards.push(Card::new(keyword, value)),
        }
    }

    /// Set a keyword's value and comment, replacing the first existing card or appending.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set_with_comment("EXPTIME", 60.0, "[s] exposure time");
    /// assert_eq!(h.card("EXPTIME").unwrap().comment.as_deref(), Some("[s] exposure time"));
    /// ```
    pub fn set_with_comment(&mut self, keyword: &str, value: impl Into<Value>, comment: &str) {
        let card = Card::with_comment(keyword, value, comment);
        match self.position(keyword) {
            Some(i) => self.cards[i] = card,
            None => self.cards.push(card),
        }
    }

    /// Append a card (commentary cards and duplicates included).
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_wcs::{Card, Header};
    /// let mut h = Header::new();
    /// h.push(Card::commentary("HISTORY", "one"));
    /// h.push(Card::commentary("HISTORY", "two"));
    /// assert_eq!(h.len(), 2);
    /// ```
    pub fn push(&mut self, card: Card) {
        self.cards.push(card);
    }

    /// Remove every value card with this keyword; returns how many were removed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("A_ORDER", 4);
    /// assert_eq!(h.remove("A_ORDER"), 1);
    /// assert!(!h.contains("A_ORDER"));
    /// ```
    pub fn remove(&mut self, keyword: &str) -> usize {
        let before = self.cards.len();
        self.cards
            .retain(|c| !(c.value.is_some() && c.keyword.eq_ignore_ascii_case(keyword)));
        before - self.cards.len()
    }

    /// Append every card of `other`, replacing value cards whose keyword exists already.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = astro_wcs::Header::new();
    /// a.set("X", 1);
    /// let mut b = astro_wcs::Header::new();
    /// b.set("X", 2);
    /// b.set("Y", 3);
    /// a.update(&b);
    /// assert_eq!((a.get_i64("X")?, a.get_i64("Y")?), (Some(2), Some(3)));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn update(&mut self, other: &Header) {
        for card in &other.cards {
            match (&card.value, self.position(&card.keyword)) {
                (Some(_), Some(i)) => self.cards[i] = card.clone(),
                _ => self.cards.push(card.clone()),
            }
        }
    }

    fn typed<T>(
        &self,
        keyword: &str,
        want: &str,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.get(keyword) {
            None | Some(Value::Undefined) => Ok(None),
            Some(v) => convert(v).map(Some).ok_or_else(|| Error::InvalidKeyword {
                keyword: keyword.to_string(),
                reason: format!("expected {want}, found {} value {v}", v.type_name()),
            }),
        }
    }

    /// A numeric value, `None` when absent or undefined.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKeyword`] when the value is present but not a number.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("CDELT1", -0.0002);
    /// h.set("CTYPE1", "RA---TAN");
    /// assert_eq!(h.get_f64("CDELT1")?, Some(-0.0002));
    /// assert_eq!(h.get_f64("CDELT2")?, None);
    /// assert!(h.get_f64("CTYPE1").is_err());
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn get_f64(&self, keyword: &str) -> Result<Option<f64>> {
        self.typed(keyword, "a number", Value::as_f64)
    }

    /// A numeric value that must be present.
    ///
    /// # Errors
    ///
    /// [`Error::MissingKeyword`] when absent, [`Error::InvalidKeyword`] when not a number.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = astro_wcs::Header::new();
    /// assert!(h.require_f64("CRVAL1").unwrap_err().to_string().contains("CRVAL1"));
    /// ```
    pub fn require_f64(&self, keyword: &str) -> Result<f64> {
        self.get_f64(keyword)?.ok_or_else(|| missing(keyword))
    }

    /// An integer value, `None` when absent or undefined.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKeyword`] when the value is present but not an integer.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("EXTVER", 2);
    /// assert_eq!(h.get_i64("EXTVER")?, Some(2));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn get_i64(&self, keyword: &str) -> Result<Option<i64>> {
        self.typed(keyword, "an integer", Value::as_i64)
    }

    /// An integer value that must be present.
    ///
    /// # Errors
    ///
    /// [`Error::MissingKeyword`] when absent, [`Error::InvalidKeyword`] when not an integer.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("NAXIS1", 4096);
    /// assert_eq!(h.require_i64("NAXIS1")?, 4096);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn require_i64(&self, keyword: &str) -> Result<i64> {
        self.get_i64(keyword)?.ok_or_else(|| missing(keyword))
    }

    /// A string value, `None` when absent or undefined.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKeyword`] when the value is present but not a string.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("RADESYS", "ICRS");
    /// assert_eq!(h.get_str("RADESYS")?, Some("ICRS"));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn get_str(&self, keyword: &str) -> Result<Option<&str>> {
        match self.get(keyword) {
            None | Some(Value::Undefined) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(Error::InvalidKeyword {
                keyword: keyword.to_string(),
                reason: format!("expected a string, found {} value {v}", v.type_name()),
            }),
        }
    }

    /// A string value that must be present.
    ///
    /// # Errors
    ///
    /// [`Error::MissingKeyword`] when absent, [`Error::InvalidKeyword`] when not a string.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("CTYPE1", "RA---TAN");
    /// assert_eq!(h.require_str("CTYPE1")?, "RA---TAN");
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn require_str(&self, keyword: &str) -> Result<&str> {
        self.get_str(keyword)?.ok_or_else(|| missing(keyword))
    }

    /// A logical value, `None` when absent or undefined.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKeyword`] when the value is present but not logical.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = astro_wcs::Header::new();
    /// h.set("SIMPLE", true);
    /// assert_eq!(h.get_bool("SIMPLE")?, Some(true));
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn get_bool(&self, keyword: &str) -> Result<Option<bool>> {
        self.typed(keyword, "a logical", Value::as_bool)
    }
}

fn missing(keyword: &str) -> Error {
    Error::MissingKeyword {
        keyword: keyword.to_string(),
    }
}

impl FromIterator<Card> for Header {
    fn from_iter<I: IntoIterator<Item = Card>>(iter: I) -> Self {
        Header {
            cards: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_value_types() {
        let cases = [
            (
                "SIMPLE  =                    T / conforms",
                Value::Logical(true),
            ),
            ("NAXIS   =                    2", Value::Integer(2)),
            (
                "CRVAL1  =   5.6305681061800E+00",
                Value::Real(5.63056810618),
            ),
            ("A_2_0   = 1.2345D-06", Value::Real(1.2345e-6)),
            ("CMPLX   = (1.5, -2)", Value::Complex(1.5, -2.0)),
            (
                "OBJECT  = 'NGC 104 '           / target",
                Value::String("NGC 104".into()),
            ),
            ("QUOTE   = 'it''s'", Value::String("it's".into())),
            ("LEAD    = '  x'", Value::String("  x".into())),
            ("UNDEF   =                      / nothing", Value::Undefined),
            ("NEG     = -12", Value::Integer(-12)),
        ];
        for (text, want) in cases {
            let card = Card::parse(text).unwrap();
            assert_eq!(card.value, Some(want), "{text}");
        }
    }

    #[test]
    fn commentary_and_hierarch() {
        let c = Card::parse("HISTORY drizzled  / not a comment").unwrap();
        assert_eq!(c.keyword, "HISTORY");
        assert_eq!(c.comment.as_deref(), Some("drizzled  / not a comment"));
        let c = Card::parse("HIERARCH ESO DET CHIP1 ID = 'ccd62' / chip").unwrap();
        assert_eq!(c.keyword, "ESO DET CHIP1 ID");
        assert_eq!(c.value, Some(Value::String("ccd62".into())));
        let c = Card::parse("").unwrap();
        assert_eq!(c.keyword, "");
        assert!(c.is_commentary());
    }

    #[test]
    fn rejects_malformed() {
        for text in [
            "X       = 'open",
            "X       = 1 2",
            "X       = abc",
            "X       = ''' x",
        ] {
            assert!(Card::parse(text).is_err(), "{text}");
        }
        let err = Header::parse(b"NAXIS   = \xff").unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidCard { .. } | Error::Truncated { .. }
        ));
    }

    #[test]
    fn continue_round_trip() {
        let long: String = (0..200)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect::<String>()
            + "'quoted'";
        let mut h = Header::new();
        h.set_with_comment("LONGSTR", long.as_str(), "a long one");
        let bytes = h.to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("CONTINUE  '"));
        let back = Header::parse(&bytes).unwrap();
        assert_eq!(back.get_str("LONGSTR").unwrap(), Some(long.as_str()));
    }

    #[test]
    fn reals_round_trip_exactly() {
        for v in [
            0.0_f64,
            -0.0,
            1.0,
            2.5e-300,
            1.7976931348623157e308,
            5.63056810618,
            1e20,
            -1.2345678901234e-6,
        ] {
            let mut h = Header::new();
            h.set("V", v);
            let back = Header::parse(&h.to_bytes().unwrap()).unwrap();
            assert_eq!(
                back.get_f64("V").unwrap().unwrap().to_bits(),
                v.to_bits(),
                "{v}"
            );
        }
        let mut h = Header::new();
        h.set("V", f64::NAN);
        assert!(h.to_bytes().is_err());
    }

    #[test]
    fn truncated_is_an_error() {
        let text = format!("{:<80}", "NAXIS   = 2");
        assert_eq!(
            Header::parse(text.as_bytes()),
            Err(Error::Truncated { bytes: 80 })
        );
    }

    #[test]
    fn text_forms() {
        let h = Header::parse_text("B       = 2\n\nEND\nC       = 3").unwrap();
        assert_eq!(h.get_i64("B").unwrap(), Some(2));
        assert!(!h.contains("C"));
        // A keyword field with an embedded blank is not a valid card.
        assert!(Header::parse_text("A = 1\n").is_err());
    }
}
