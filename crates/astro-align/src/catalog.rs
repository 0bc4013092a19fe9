//! Reading source catalogs from text (the caller opens the file).

use crate::error::{Error, Result};

/// Parse named numeric columns from CSV text with a header line. Fields are separated
/// by commas (or, if the header has no comma, by whitespace); lines starting with `#`
/// and blank lines are skipped; column names match case-insensitively.
///
/// Returns one vector per requested column.
///
/// # Errors
///
/// [`Error::MissingColumn`] naming the column and the columns found;
/// [`Error::BadValue`] with the line number for a field that is not a number
/// (empty fields and `nan` read as NaN).
///
/// # Examples
///
/// ```
/// let text = "ra,dec,mag\n10.0,20.0,15\n10.1,20.2,16\n";
/// let cols = astro_align::parse_csv_columns(text, "gaia", &["RA", "dec"])?;
/// assert_eq!(cols[0], vec![10.0, 10.1]);
/// let err = astro_align::parse_csv_columns(text, "gaia", &["flux"]).unwrap_err();
/// assert!(err.to_string().contains("no column 'flux'"));
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn parse_csv_columns(text: &str, catalog: &str, columns: &[&str]) -> Result<Vec<Vec<f64>>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err(Error::MissingColumn {
            catalog: catalog.to_string(),
            column: columns.first().unwrap_or(&"").to_string(),
            available: "(empty catalog: no header line)".to_string(),
        });
    };
    let comma = header.contains(',');
    let split = |l: &str| -> Vec<String> {
        if comma {
            l.split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .collect()
        } else {
            l.split_whitespace().map(|s| s.to_string()).collect()
        }
    };
    let names = split(header);
    let mut idx = Vec::with_capacity(columns.len());
    for c in columns {
        match names.iter().position(|n| n.eq_ignore_ascii_case(c)) {
            Some(i) => idx.push(i),
            None => {
                return Err(Error::MissingColumn {
                    catalog: catalog.to_string(),
                    column: c.to_string(),
                    available: names.join(", "),
                });
            }
        }
    }
    let mut out = vec![Vec::new(); columns.len()];
    for (ln, l) in lines {
        let f = split(l);
        for (k, &i) in idx.iter().enumerate() {
            let s = f.get(i).map(|s| s.as_str()).unwrap_or("");
            let v = if s.is_empty() {
                f64::NAN
            } else {
                s.parse::<f64>().map_err(|_| Error::BadValue {
                    catalog: catalog.to_string(),
                    line: ln + 1,
                    column: columns[k].to_string(),
                    value: s.to_string(),
                })?
            };
            out[k].push(v);
        }
    }
    Ok(out)
}

/// Parse an RA/Dec catalog (degrees) from CSV text with columns `ra_col`, `dec_col`.
///
/// # Errors
///
/// As [`parse_csv_columns`].
///
/// # Examples
///
/// ```
/// let text = "# Gaia cut-out\nRA,DEC\n5.61,-72.05\n5.62,-72.06\n";
/// let radec = astro_align::parse_radec_csv(text, "gaia", "RA", "DEC")?;
/// assert_eq!(radec, vec![(5.61, -72.05), (5.62, -72.06)]);
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn parse_radec_csv(
    text: &str,
    catalog: &str,
    ra_col: &str,
    dec_col: &str,
) -> Result<Vec<(f64, f64)>> {
    let c = parse_csv_columns(text, catalog, &[ra_col, dec_col])?;
    Ok(c[0].iter().copied().zip(c[1].iter().copied()).collect())
}
