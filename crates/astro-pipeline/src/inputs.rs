//! The `input` parameter: one file, a wildcard, a comma list, or an `@file`, resolved to
//! the exposures to process (and their optional inverse-variance maps).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One input exposure named by the `input` parameter, with the IVM file given beside it
/// in an `@file` (used when `final_wht_type = IVM`).
///
/// ```
/// use astro_pipeline::InputFile;
/// let f = InputFile { path: "j8bt06nyq_flt.fits".into(), ivm: None };
/// assert_eq!(f.path.to_str(), Some("j8bt06nyq_flt.fits"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InputFile {
    /// The exposure's FITS file (as named: relative names stay relative to the current
    /// directory, names from an `@file` are joined to the `@file`'s directory).
    pub path: PathBuf,
    /// The inverse-variance map named in the `@file`'s second column, if any.
    pub ivm: Option<PathBuf>,
}

/// Resolves AstroDrizzle's `input` parameter to the list of exposures.
///
/// `spec` is one of
/// - a file name (`j8bt06nyq_flt.fits`);
/// - a wildcard (`*flt.fits`, `data/j8*_fl?.fits`; glob syntax), expanded in sorted order;
/// - a comma-separated list whose elements are file names, wildcards or `@file`s;
/// - `@list.txt`: one exposure per line, optionally followed by the name of its IVM file;
///   blank lines and `#` comments are ignored, relative names are relative to the
///   directory of the `@file`.
///
/// The order is the order given (a wildcard contributes its matches sorted by name).
///
/// # Errors
///
/// [`Error::Input`] naming the part of `spec` concerned: an empty spec, a missing file, a
/// wildcard that matches no file (or is malformed), an `@file` that cannot be read, a
/// line of an `@file` whose exposure or IVM file is missing (the error names the `@file`,
/// the line number and the missing name), or the same exposure named twice.
///
/// # Examples
///
/// ```
/// use astro_pipeline::resolve_inputs;
/// let dir = tempfile::tempdir()?;
/// for name in ["b_flt.fits", "a_flt.fits", "ivm_a.fits"] {
///     std::fs::write(dir.path().join(name), b"")?;
/// }
/// let pattern = dir.path().join("*_flt.fits");
/// let found = resolve_inputs(pattern.to_str().unwrap())?;
/// assert_eq!(found.len(), 2);
/// assert!(found[0].path.ends_with("a_flt.fits")); // sorted
///
/// std::fs::write(dir.path().join("list.txt"), "# exposures\na_flt.fits ivm_a.fits\n\nb_flt.fits\n")?;
/// let listed = resolve_inputs(&format!("@{}", dir.path().join("list.txt").display()))?;
/// assert_eq!(listed[0].ivm.as_deref(), Some(dir.path().join("ivm_a.fits").as_path()));
/// assert_eq!(listed[1].ivm, None);
///
/// let err = resolve_inputs(dir.path().join("nothing*.fits").to_str().unwrap()).unwrap_err();
/// assert!(err.to_string().contains("matches no file"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_inputs(spec: &str) -> Result<Vec<InputFile>> {
    let trimmed = spec.trim();
    if trimmed.is_empty() {
        return Err(input_err(spec, "is empty: name the exposures to combine"));
    }
    let mut out = Vec::new();
    for element in trimmed.split(',') {
        let element = element.trim();
        if element.is_empty() {
            return Err(input_err(
                spec,
                "has an empty element in its comma-separated list",
            ));
        }
        if let Some(list) = element.strip_prefix('@') {
            out.extend(read_at_file(element, Path::new(list.trim()))?);
        } else if is_wildcard(element) {
            out.extend(
                expand_wildcard(element)?
                    .into_iter()
                    .map(|path| InputFile { path, ivm: None }),
            );
        } else {
            let path = PathBuf::from(element);
            check_file(&path).map_err(|reason| input_err(element, reason))?;
            out.push(InputFile { path, ivm: None });
        }
    }
    check_duplicates(&out)?;
    Ok(out)
}

fn input_err(spec: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Input {
        spec: spec.into(),
        reason: reason.into(),
    }
}

fn is_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `Ok` when `path` is an existing regular file (or a link to one), else the reason.
fn check_file(path: &Path) -> std::result::Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(format!("{} is not a regular file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("file {} not found", path.display()))
        }
        Err(e) => Err(format!("cannot access {}: {e}", path.display())),
    }
}

fn expand_wildcard(pattern: &str) -> Result<Vec<PathBuf>> {
    let paths = glob::glob(pattern)
        .map_err(|e| input_err(pattern, format!("is not a valid wildcard: {e}")))?;
    let mut found = Vec::new();
    for entry in paths {
        let path = entry.map_err(|e| {
            let p = e.path().to_path_buf();
            Error::io(p, std::io::Error::from(e))
        })?;
        if path.is_file() {
            found.push(path);
        }
    }
    if found.is_empty() {
        return Err(input_err(
            pattern,
            "the wildcard matches no file (check the directory and the pattern)",
        ));
    }
    found.sort();
    Ok(found)
}

fn read_at_file(element: &str, list: &Path) -> Result<Vec<InputFile>> {
    if list.as_os_str().is_empty() {
        return Err(input_err(element, "names no file after '@'"));
    }
    let text = match std::fs::read_to_string(list) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(input_err(
                element,
                format!("the @file {} does not exist", list.display()),
            ));
        }
        Err(e) => {
            return Err(input_err(
                element,
                format!("cannot read the @file {}: {e}", list.display()),
            ));
        }
    };
    let base = list.parent().unwrap_or(Path::new(""));
    let resolve = |name: &str| {
        let p = Path::new(name);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|f| !f.is_empty())
            .collect();
        if fields.len() > 2 {
            return Err(input_err(
                element,
                format!(
                    "line {line_no}: expected an exposure and at most one IVM file, found {} names",
                    fields.len()
                ),
            ));
        }
        let path = resolve(fields[0]);
        check_file(&path)
            .map_err(|r| input_err(element, format!("line {line_no}: exposure {r}")))?;
        let ivm = match fields.get(1) {
            Some(name) => {
                let ivm = resolve(name);
                check_file(&ivm)
                    .map_err(|r| input_err(element, format!("line {line_no}: IVM {r}")))?;
                Some(ivm)
            }
            None => None,
        };
        out.push(InputFile { path, ivm });
    }
    if out.is_empty() {
        return Err(input_err(
            element,
            format!("the @file {} lists no exposure", list.display()),
        ));
    }
    Ok(out)
}

fn check_duplicates(inputs: &[InputFile]) -> Result<()> {
    let mut seen: HashMap<PathBuf, &Path> = HashMap::new();
    for f in inputs {
        let key = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
        if let Some(first) = seen.insert(key, &f.path) {
            return Err(input_err(
                f.path.display().to_string(),
                format!(
                    "the same exposure is named twice ({} and {})",
                    first.display(),
                    f.path.display()
                ),
            ));
        }
    }
    Ok(())
}
