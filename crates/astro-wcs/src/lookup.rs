//! Lookup-table distortions of WCS Paper IV as used by HST: `CPDISj = 'Lookup'` (tables in
//! `WCSDVARR` extensions) and the detector-to-image correction `D2IMDISj = 'Lookup'`
//! (tables in `D2IMARR` extensions).
//!
//! This crate never touches files: the caller reads the extensions (see
//! [`required_tables`]) and hands them over as [`LookupTable`]s.
//!
//! The record-valued keywords that point at the tables are written in FITS as repeated
//! cards with a string value, e.g. `DP1 = 'EXTVER: 1'`, `DP1 = 'AXIS.1: 1'`; astropy calls
//! them `DP1.EXTVER`, `DP1.AXIS.1`. Both spellings are understood.

use crate::error::{Error, Result};
use crate::header::{Header, Value};
use ndarray::Array2;

/// One lookup-table extension (`WCSDVARR` or `D2IMARR`) as read from a FITS file.
///
/// `data` has shape `(NAXIS2, NAXIS1)` of the extension (ndarray convention, indexed
/// `[[y, x]]`); a one-dimensional extension is given as shape `(1, NAXIS1)`. The header
/// supplies `CRPIXi`, `CRVALi` and `CDELTi` of the table (defaults 0, 0 and 1 as astropy).
///
/// # Examples
///
/// ```
/// use astro_wcs::{Header, LookupTable};
/// use ndarray::Array2;
///
/// let table = LookupTable {
///     extname: "WCSDVARR".into(),
///     extver: 1,
///     header: Header::new(),
///     data: Array2::zeros((33, 65)),
/// };
/// assert_eq!(table.data.dim(), (33, 65));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LookupTable {
    /// `EXTNAME` of the extension: `WCSDVARR` or `D2IMARR`.
    pub extname: String,
    /// `EXTVER` of the extension.
    pub extver: i64,
    /// The extension header (for `CRPIXi`, `CRVALi`, `CDELTi`).
    pub header: Header,
    /// The table values, shape `(NAXIS2, NAXIS1)`.
    pub data: Array2<f64>,
}

/// Which family of lookup-table distortion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableKind {
    /// `CPDISj` / `DPj` / `WCSDVARR`.
    Cpdis,
    /// `D2IMDISj` / `D2IMj` / `D2IMARR`.
    D2im,
}

impl TableKind {
    pub(crate) fn dis_keyword(self, axis: usize) -> String {
        match self {
            TableKind::Cpdis => format!("CPDIS{axis}"),
            TableKind::D2im => format!("D2IMDIS{axis}"),
        }
    }
    pub(crate) fn record_keyword(self, axis: usize) -> String {
        match self {
            TableKind::Cpdis => format!("DP{axis}"),
            TableKind::D2im => format!("D2IM{axis}"),
        }
    }
    pub(crate) fn extname(self) -> &'static str {
        match self {
            TableKind::Cpdis => "WCSDVARR",
            TableKind::D2im => "D2IMARR",
        }
    }
    fn kind_name(self) -> &'static str {
        match self {
            TableKind::Cpdis => "CPDIS",
            TableKind::D2im => "D2IM",
        }
    }
}

/// The value of a record-valued keyword field, e.g. `field = "EXTVER"` of `DP1`.
/// Returns the full astropy-style keyword name (for error messages) and the value.
fn record_field(header: &Header, record: &str, field: &str) -> Result<Option<f64>> {
    let dotted = format!("{record}.{field}");
    for card in header.cards() {
        if card.keyword.eq_ignore_ascii_case(&dotted) {
            return match card.value.as_ref().and_then(Value::as_f64) {
                Some(v) => Ok(Some(v)),
                None => Err(Error::InvalidKeyword {
                    keyword: dotted,
                    reason: "expected a number".into(),
                }),
            };
        }
        if !card.keyword.eq_ignore_ascii_case(record) {
            continue;
        }
        let Some(Value::String(text)) = &card.value else {
            continue;
        };
        let Some((name, value)) = text.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case(field) {
            continue;
        }
        return match value.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(Error::InvalidKeyword {
                keyword: dotted,
                reason: format!("record value {:?} is not a number", value.trim()),
            }),
        };
    }
    Ok(None)
}

/// What the header says about one lookup-table distortion of one axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableRef {
    pub(crate) kind: TableKind,
    /// 1-based image axis whose coordinate the table corrects.
    pub(crate) axis: usize,
    pub(crate) extver: i64,
    /// `DPj.AXIS.j == j`: the table is used as stored; otherwise transposed.
    pub(crate) transposed: bool,
    /// Named by the old `AXISCORR` keyword rather than `D2IMDISj`.
    pub(crate) old_style: bool,
}

impl TableRef {
    pub(crate) fn extver_keyword(&self) -> String {
        if self.old_style {
            return "AXISCORR".into();
        }
        format!("{}.EXTVER", self.kind.record_keyword(self.axis))
    }
}

/// Read the table references of one kind from the header (axes 1 and 2).
pub(crate) fn table_refs(header: &Header, kind: TableKind) -> Result<Vec<TableRef>> {
    let mut refs = Vec::new();
    if kind == TableKind::D2im
        && !header.contains("D2IMDIS1")
        && !header.contains("D2IMDIS2")
        && let Some(axis) = header.get_i64("AXISCORR")?
    {
        // The old (pre-2012) detector-to-image convention, still read by astropy:
        // `AXISCORR = 1|2` names the corrected axis, the table is (D2IMARR, 1).
        if axis != 1 && axis != 2 {
            return Err(Error::InvalidKeyword {
                keyword: "AXISCORR".into(),
                reason: format!("{axis}: expected 1 or 2"),
            });
        }
        refs.push(TableRef {
            kind,
            axis: axis as usize,
            extver: 1,
            transposed: false,
            old_style: true,
        });
        return Ok(refs);
    }
    for axis in 1..=2 {
        let dis = kind.dis_keyword(axis);
        let Some(value) = header.get_str(&dis)? else {
            continue;
        };
        if !value.trim().eq_ignore_ascii_case("lookup") {
            return Err(Error::InvalidDistortion {
                kind: kind.kind_name().into(),
                reason: format!("{dis} = {value:?}: only 'Lookup' table distortions are supported"),
            });
        }
        let record = kind.record_keyword(axis);
        let extver = match record_field(header, &record, "EXTVER")? {
            None => 1,
            Some(v) if v.fract() == 0.0 && v >= 0.0 => v as i64,
            Some(v) => {
                return Err(Error::InvalidKeyword {
                    keyword: format!("{record}.EXTVER"),
                    reason: format!("{v} is not a valid extension version"),
                });
            }
        };
        let axis_key = format!("AXIS.{axis}");
        let transposed = match record_field(header, &record, &axis_key)? {
            None => {
                return Err(Error::MissingKeyword {
                    keyword: format!("{record}.{axis_key}"),
                });
            }
            Some(v) => v != axis as f64,
        };
        if let Some(naxes) = record_field(header, &record, "NAXES")?
            && naxes != 2.0
            && naxes != 1.0
        {
            return Err(Error::InvalidKeyword {
                keyword: format!("{record}.NAXES"),
                reason: format!("{naxes} independent variables; only 1 or 2 are supported"),
            });
        }
        refs.push(TableRef {
            kind,
            axis,
            extver,
            transposed,
            old_style: false,
        });
    }
    Ok(refs)
}

/// Which lookup-table extensions `(EXTNAME, EXTVER)` a header refers to, in the order
/// they are applied: detector-to-image tables (`D2IMARR`) first, then the Paper IV
/// distortion tables (`WCSDVARR`). Duplicates are listed once.
///
/// The old detector-to-image convention (`AXISCORR = 1|2`, table `(D2IMARR, 1)`) is
/// understood when no `D2IMDISj` is present.
///
/// As in astropy, lookup-table distortions are shared by all alternate WCS of a header;
/// `key` is accepted for symmetry with [`Wcs::from_header_key`] and validated.
///
/// [`Wcs::from_header_key`]: crate::Wcs::from_header_key
///
/// # Errors
///
/// [`Error::InvalidDistortion`] for a `CPDISj`/`D2IMDISj` other than `'Lookup'`,
/// [`Error::MissingKeyword`] for a missing `DPj.AXIS.j`, [`Error::InvalidKeyword`] for
/// malformed record values, [`Error::InvalidParameter`] for an invalid key.
///
/// # Examples
///
/// ```
/// use astro_wcs::{Header, required_tables};
///
/// let header = Header::parse_text(
///     "CPDIS1  = 'Lookup'\nDP1     = 'EXTVER: 1'\nDP1     = 'AXIS.1: 1'\n\
///      CPDIS2  = 'Lookup'\nDP2     = 'EXTVER: 2'\nDP2     = 'AXIS.2: 2'\n\
///      D2IMDIS1= 'Lookup'\nD2IM1   = 'EXTVER: 1'\nD2IM1   = 'AXIS.1: 1'\n",
/// )?;
/// let tables = required_tables(&header, ' ')?;
/// assert_eq!(
///     tables,
///     vec![
///         ("D2IMARR".to_string(), 1),
///         ("WCSDVARR".to_string(), 1),
///         ("WCSDVARR".to_string(), 2),
///     ]
/// );
/// # Ok::<(), astro_wcs::Error>(())
/// ```
pub fn required_tables(header: &Header, key: char) -> Result<Vec<(String, i64)>> {
    crate::wcs::validate_key(key)?;
    let mut out: Vec<(String, i64)> = Vec::new();
    for kind in [TableKind::D2im, TableKind::Cpdis] {
        for r in table_refs(header, kind)? {
            let item = (kind.extname().to_string(), r.extver);
            if !out.contains(&item) {
                out.push(item);
            }
        }
    }
    Ok(out)
}

/// A lookup table ready for evaluation: astropy's `DistortionLookupTable`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DistortionTable {
    /// Values of the (possibly transposed) table in row-major order: `n2` rows of `n1`,
    /// `j1` following image axis 1.
    values: Vec<f64>,
    n1: usize,
    n2: usize,
    pub(crate) crpix: [f64; 2],
    pub(crate) crval: [f64; 2],
    pub(crate) cdelt: [f64; 2],
    /// Where it came from (for `to_header`).
    pub(crate) reference: TableRef,
    /// The original extension (for writing back).
    pub(crate) source: LookupTable,
}

impl DistortionTable {
    pub(crate) fn build(reference: TableRef, tables: &[LookupTable]) -> Result<Self> {
        let extname = reference.kind.extname();
        let source = tables
            .iter()
            .find(|t| {
                t.extname.trim().eq_ignore_ascii_case(extname) && t.extver == reference.extver
            })
            .ok_or_else(|| Error::MissingTable {
                keyword: reference.extver_keyword(),
                extname: extname.to_string(),
                extver: reference.extver,
            })?;
        let data = if reference.transposed {
            source.data.t().to_owned()
        } else {
            source.data.clone()
        };
        let (n2, n1) = data.dim();
        if n1 == 0 || n2 == 0 {
            return Err(Error::InvalidDistortion {
                kind: reference.kind.kind_name().into(),
                reason: format!("table ({extname}, {}) is empty", reference.extver),
            });
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidDistortion {
                kind: reference.kind.kind_name().into(),
                reason: format!(
                    "table ({extname}, {}) holds non-finite values",
                    reference.extver
                ),
            });
        }
        let h = &source.header;
        let get = |kw: &str, default: f64| -> Result<f64> { Ok(h.get_f64(kw)?.unwrap_or(default)) };
        let crpix = [get("CRPIX1", 0.0)?, get("CRPIX2", 0.0)?];
        let crval = [get("CRVAL1", 0.0)?, get("CRVAL2", 0.0)?];
        let cdelt = [get("CDELT1", 1.0)?, get("CDELT2", 1.0)?];
        for (i, &c) in cdelt.iter().enumerate() {
            if c == 0.0 || !c.is_finite() {
                return Err(Error::InvalidKeyword {
                    keyword: format!("CDELT{} of ({extname}, {})", i + 1, reference.extver),
                    reason: format!("table step {c} must be finite and non-zero"),
                });
            }
        }
        let values: Vec<f64> = data.as_standard_layout().iter().copied().collect();
        Ok(DistortionTable {
            values,
            n1,
            n2,
            crpix,
            crval,
            cdelt,
            reference,
            source: source.clone(),
        })
    }

    /// Table offset at 0-based image pixel `(x, y)`: bilinear interpolation with the
    /// table coordinate clamped to the table, exactly as astropy's `distortion.c`
    /// (which works on 1-based image coordinates).
    #[inline]
    pub(crate) fn offset(&self, x: f64, y: f64) -> f64 {
        let (n1, n2) = (self.n1, self.n2);
        // 1-based image coordinates -> 0-based table coordinates, clamped to the table
        // (f64::clamp keeps NaN).
        let p0 = ((x + 1.0 - self.crval[0]) / self.cdelt[0] + self.crpix[0] - 1.0)
            .clamp(0.0, (n1 - 1) as f64);
        let p1 = ((y + 1.0 - self.crval[1]) / self.cdelt[1] + self.crpix[1] - 1.0)
            .clamp(0.0, (n2 - 1) as f64);
        if p0.is_nan() || p1.is_nan() {
            return f64::NAN;
        }
        let f0 = p0.floor();
        let f1 = p1.floor();
        let w0 = p0 - f0;
        let w1 = p1 - f1;
        let i0 = f0 as usize;
        let i1 = f1 as usize;
        let i0b = (i0 + 1).min(n1 - 1);
        let i1b = (i1 + 1).min(n2 - 1);
        let v = &self.values;
        let (r, rb) = (i1 * n1, i1b * n1);
        v[r + i0] * (1.0 - w0) * (1.0 - w1)
            + v[rb + i0] * (1.0 - w0) * w1
            + v[r + i0b] * w0 * (1.0 - w1)
            + v[rb + i0b] * w0 * w1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn table(data: Array2<f64>, hdr: &str) -> DistortionTable {
        let t = LookupTable {
            extname: "WCSDVARR".into(),
            extver: 1,
            header: Header::parse_text(hdr).unwrap(),
            data,
        };
        DistortionTable::build(
            TableRef {
                kind: TableKind::Cpdis,
                axis: 1,
                extver: 1,
                transposed: false,
                old_style: false,
            },
            &[t],
        )
        .unwrap()
    }

    #[test]
    fn bilinear_and_clamp() {
        // 1-based table pixel (CRPIX=1, CRVAL=1, CDELT=1): image pixel 0 -> table index 0.
        let t = table(
            array![[0.0, 1.0, 2.0], [10.0, 11.0, 12.0]],
            "CRPIX1  = 1\nCRPIX2  = 1\nCRVAL1  = 1\nCRVAL2  = 1\n",
        );
        assert_eq!(t.offset(0.0, 0.0), 0.0);
        assert_eq!(t.offset(1.0, 1.0), 11.0);
        assert!((t.offset(0.5, 0.5) - 5.5).abs() < 1e-15);
        // clamped outside
        assert_eq!(t.offset(-5.0, -5.0), 0.0);
        assert_eq!(t.offset(10.0, 10.0), 12.0);
        assert!((t.offset(1.5, 7.0) - 11.5).abs() < 1e-15);
        assert!(t.offset(f64::NAN, 0.0).is_nan());
    }

    #[test]
    fn missing_extension_names_keyword() {
        let err = DistortionTable::build(
            TableRef {
                kind: TableKind::Cpdis,
                axis: 2,
                extver: 7,
                transposed: false,
                old_style: false,
            },
            &[],
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::MissingTable { ref keyword, extver: 7, .. } if keyword == "DP2.EXTVER")
        );
    }

    #[test]
    fn record_fields() {
        let h = Header::parse_text("DP1     = 'EXTVER: 3.0'\nDP1     = 'AXIS.1: 2'\n").unwrap();
        assert_eq!(record_field(&h, "DP1", "EXTVER").unwrap(), Some(3.0));
        assert_eq!(record_field(&h, "DP1", "AXIS.1").unwrap(), Some(2.0));
        assert_eq!(record_field(&h, "DP1", "NAXES").unwrap(), None);
        let refs = table_refs(
            &Header::parse_text(
                "CPDIS1  = 'Lookup'\nDP1     = 'EXTVER: 3.0'\nDP1     = 'AXIS.1: 2'\n",
            )
            .unwrap(),
            TableKind::Cpdis,
        )
        .unwrap();
        assert_eq!(refs[0].extver, 3);
        assert!(refs[0].transposed);
        let err = table_refs(
            &Header::parse_text("CPDIS1  = 'Lookup'\nDP1     = 'EXTVER: 3.0'\n").unwrap(),
            TableKind::Cpdis,
        )
        .unwrap_err();
        assert!(err.to_string().contains("DP1.AXIS.1"));
    }
}
