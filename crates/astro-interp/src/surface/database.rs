//! IRAF geomap database records: read the transforms IRAF wrote, write ours in its format.

use ndarray::Array2;

use super::Surface;
use super::geomap::{FitGeometry, GeoSurface, GeoTransform, LinearSummary};
use crate::{Error, Result};

/// One record of an IRAF `geomap` database file (`begin <name>` … `surface1` …
/// `surface2` …), as geomap writes it and geotran / geoxytran read it.
///
/// The scalar values are kept as IRAF printed them (`None` when absent or INDEF);
/// `x_fit` and `y_fit` are the restored surfaces, so the record can be evaluated
/// directly (the `geoxytran` use) or on grids (the `geotran` use).
///
/// ```
/// use astro_interp::surface::GeoMapRecord;
/// // The record IRAF's own geomap documentation shows for its `rtran` example.
/// let db = "# Tue 14:53:36 18-Apr-95
/// begin\trtran
/// \txrefmean\t256.5
/// \tyrefmean\t256.5
/// \txmean\t\t265.4999
/// \tymean\t\t265.5
/// \tgeometry\tgeneral
/// \tfunction\tpolynomial
/// \txshift\t\t183.826
/// \tyshift\t\t-154.6757
/// \txmag\t\t1.18
/// \tymag\t\t1.18
/// \txrotation\t326.
/// \tyrotation\t326.
/// \tsurface1\t11
/// \t\t\t3.\t3.
/// \t\t\t2.\t2.
/// \t\t\t2.\t2.
/// \t\t\t0.\t0.
/// \t\t\t1.\t1.
/// \t\t\t512.\t512.
/// \t\t\t1.\t1.
/// \t\t\t512.\t512.
/// \t\t\t183.826\t-154.6757
/// \t\t\t0.9782647\t0.6598474
/// \t\t\t-0.6598479\t0.9782643
/// \tsurface2\t0
/// ";
/// let recs = GeoMapRecord::parse_all(db).unwrap();
/// let (x, y) = recs[0].eval(1.0, 1.0);
/// // IRAF geoxytran printed (184.1444, -153.038) for (1, 1); the record gives -153.0376.
/// assert!((x - 184.1444).abs() < 1e-4 && (y + 153.0376).abs() < 1e-4);
/// assert_eq!(recs[0].name, "rtran");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GeoMapRecord {
    /// The record name (`begin <name>`).
    pub name: String,
    /// `geometry` (absent in old records).
    pub fitgeometry: Option<FitGeometry>,
    /// `xrefmean`.
    pub xrefmean: Option<f64>,
    /// `yrefmean`.
    pub yrefmean: Option<f64>,
    /// `xmean` (mean input x).
    pub xmean: Option<f64>,
    /// `ymean` (mean input y).
    pub ymean: Option<f64>,
    /// `xshift` as printed.
    pub xshift: Option<f64>,
    /// `yshift` as printed.
    pub yshift: Option<f64>,
    /// `xmag` as printed.
    pub xmag: Option<f64>,
    /// `ymag` as printed.
    pub ymag: Option<f64>,
    /// `xrotation` as printed (degrees).
    pub xrotation: Option<f64>,
    /// `yrotation` as printed (degrees).
    pub yrotation: Option<f64>,
    /// `xrms` as printed.
    pub xrms: Option<f64>,
    /// `yrms` as printed.
    pub yrms: Option<f64>,
    /// `xin(xref, yref)`: `surface1` (x column) plus `surface2` (x column) if present.
    pub x_fit: GeoSurface,
    /// `yin(xref, yref)`.
    pub y_fit: GeoSurface,
}

impl GeoMapRecord {
    /// Parse every record of a geomap database text.
    ///
    /// Errors ([`Error::InvalidRecord`], with the 1-based line number) on values before
    /// the first `begin`, a record without `surface1`, a `surfaceN` block shorter than
    /// announced or with non-numeric entries, and surfaces IRAF could not have written.
    ///
    /// ```
    /// use astro_interp::Error;
    /// use astro_interp::surface::GeoMapRecord;
    /// assert!(matches!(GeoMapRecord::parse_all("begin a\n\txmean 1\n"),
    ///                  Err(Error::InvalidRecord { .. })));
    /// assert!(GeoMapRecord::parse_all("").unwrap().is_empty());
    /// ```
    pub fn parse_all(text: &str) -> Result<Vec<GeoMapRecord>> {
        let lines: Vec<&str> = text.lines().collect();
        let mut out = Vec::new();
        let mut cur: Option<Builder> = None;
        let mut i = 0;
        while i < lines.len() {
            let lineno = i + 1;
            let t = lines[i].trim();
            i += 1;
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut words = t.split_whitespace();
            let key = words.next().unwrap_or_default();
            let value = words.next();
            if key == "begin" {
                if let Some(b) = cur.take() {
                    out.push(b.finish()?);
                }
                let name = t["begin".len()..].trim().to_string();
                cur = Some(Builder {
                    name,
                    start: lineno,
                    ..Builder::default()
                });
                continue;
            }
            let Some(b) = cur.as_mut() else {
                return Err(Error::InvalidRecord {
                    line: lineno,
                    reason: format!("'{key}' before the first 'begin'"),
                });
            };
            match key {
                "surface1" | "surface2" => {
                    let n: usize =
                        value
                            .and_then(|v| v.parse().ok())
                            .ok_or_else(|| Error::InvalidRecord {
                                line: lineno,
                                reason: format!("{key} needs a count of coefficient lines"),
                            })?;
                    let (mut xc, mut yc) = (Vec::with_capacity(n), Vec::with_capacity(n));
                    for k in 0..n {
                        let Some(l) = lines.get(i + k) else {
                            return Err(Error::InvalidRecord {
                                line: lineno,
                                reason: format!(
                                    "{key} announces {n} lines, the text ends after {k}"
                                ),
                            });
                        };
                        let nums: Vec<f64> = l
                            .split_whitespace()
                            .filter_map(|w| w.parse().ok())
                            .collect();
                        if nums.len() != 2 || l.split_whitespace().count() != 2 {
                            return Err(Error::InvalidRecord {
                                line: i + k + 1,
                                reason: format!(
                                    "{key} line '{}' must hold two numbers (x and y surfaces)",
                                    l.trim()
                                ),
                            });
                        }
                        xc.push(nums[0]);
                        yc.push(nums[1]);
                    }
                    i += n;
                    let slot = if key == "surface1" {
                        &mut b.surface1
                    } else {
                        &mut b.surface2
                    };
                    *slot = Some((lineno, xc, yc));
                }
                _ => {
                    if let Some(v) = value {
                        b.values.push((key.to_string(), v.to_string()));
                    }
                }
            }
        }
        if let Some(b) = cur.take() {
            out.push(b.finish()?);
        }
        Ok(out)
    }

    /// `(xin, yin)` at the reference point `(x, y)` (geoxytran's forward transform).
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions, GeoMapRecord};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &yr, &xr, None, &GeoMapOptions::default()).unwrap();
    /// let rec = &GeoMapRecord::parse_all(&t.to_database_record("swap")).unwrap()[0];
    /// assert_eq!(rec.eval(0.25, 0.75), t.eval(0.25, 0.75));
    /// ```
    pub fn eval(&self, x: f64, y: f64) -> (f64, f64) {
        (self.x_fit.eval(x, y), self.y_fit.eval(x, y))
    }

    /// `(xin, yin)` on the grid `xs × ys`, each of shape `(ys.len(), xs.len())`.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions, GeoMapRecord};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let rec = &GeoMapRecord::parse_all(&t.to_database_record("id")).unwrap()[0];
    /// let (gx, _) = rec.eval_grid(&[0.0, 2.0], &[1.0]);
    /// assert!((gx[[0, 1]] - 2.0).abs() < 1e-12);
    /// ```
    pub fn eval_grid(&self, xs: &[f64], ys: &[f64]) -> (Array2<f64>, Array2<f64>) {
        (self.x_fit.eval_grid(xs, ys), self.y_fit.eval_grid(xs, ys))
    }

    /// The linear summary recomputed from `surface1` (IRAF's `geo_lcoeff`), to compare
    /// with the printed `xshift … yrotation`.
    ///
    /// ```
    /// # use astro_interp::surface::{geomap, GeoMapOptions, GeoMapRecord};
    /// # let xr = [0.0, 1.0, 0.0, 1.0]; let yr = [0.0, 0.0, 1.0, 1.0];
    /// let t = geomap(&xr, &yr, &xr, &yr, None, &GeoMapOptions::default()).unwrap();
    /// let rec = &GeoMapRecord::parse_all(&t.to_database_record("id")).unwrap()[0];
    /// assert_eq!(rec.linear(), t.linear);
    /// ```
    pub fn linear(&self) -> LinearSummary {
        // Both linear parts are planes by construction (GeoSurface::new checks it).
        let ax = self.x_fit.linear().affine().unwrap_or([0.0; 3]);
        let ay = self.y_fit.linear().affine().unwrap_or([0.0; 3]);
        LinearSummary::from_affine(ax, ay)
    }
}

#[derive(Default)]
struct Builder {
    name: String,
    start: usize,
    values: Vec<(String, String)>,
    surface1: Option<(usize, Vec<f64>, Vec<f64>)>,
    surface2: Option<(usize, Vec<f64>, Vec<f64>)>,
}

impl Builder {
    fn get(&self, key: &str) -> Option<f64> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
    }

    fn finish(self) -> Result<GeoMapRecord> {
        let Some((l1, x1, y1)) = &self.surface1 else {
            return Err(Error::InvalidRecord {
                line: self.start,
                reason: format!("record '{}' has no surface1", self.name),
            });
        };
        let restore = |line: usize, col: &[f64]| -> Result<Option<Surface>> {
            // An empty block, or a column IRAF left zero (no surface for that axis).
            if col.is_empty() || col[0] == 0.0 {
                return Ok(None);
            }
            Surface::from_iraf(col)
                .map(Some)
                .map_err(|e| Error::InvalidRecord {
                    line,
                    reason: e.to_string(),
                })
        };
        let need = |line: usize, s: Option<Surface>| {
            s.ok_or(Error::InvalidRecord {
                line,
                reason: "surface1 has an empty column".into(),
            })
        };
        let lx = need(*l1, restore(*l1, x1)?)?;
        let ly = need(*l1, restore(*l1, y1)?)?;
        let (hx, hy) = match &self.surface2 {
            Some((l2, x2, y2)) => (restore(*l2, x2)?, restore(*l2, y2)?),
            None => (None, None),
        };
        let wrap = |lin, hi| {
            GeoSurface::new(lin, hi).map_err(|e| Error::InvalidRecord {
                line: *l1,
                reason: e.to_string(),
            })
        };
        let x_fit = wrap(lx, hx)?;
        let y_fit = wrap(ly, hy)?;
        let fitgeometry = self
            .values
            .iter()
            .rev()
            .find(|(k, _)| k == "geometry")
            .and_then(|(_, v)| v.parse().ok());
        Ok(GeoMapRecord {
            fitgeometry,
            xrefmean: self.get("xrefmean"),
            yrefmean: self.get("yrefmean"),
            xmean: self.get("xmean"),
            ymean: self.get("ymean"),
            xshift: self.get("xshift"),
            yshift: self.get("yshift"),
            xmag: self.get("xmag"),
            ymag: self.get("ymag"),
            xrotation: self.get("xrotation"),
            yrotation: self.get("yrotation"),
            xrms: self.get("xrms"),
            yrms: self.get("yrms"),
            x_fit,
            y_fit,
            name: self.name,
        })
    }
}

/// A number in a form IRAF reads and that round-trips exactly.
fn num(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || (1e-4..1e15).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

fn block(out: &mut String, key: &str, x: Option<Vec<f64>>, y: Option<Vec<f64>>) {
    let n = x
        .as_ref()
        .map_or(0, Vec::len)
        .max(y.as_ref().map_or(0, Vec::len));
    out.push_str(&format!("\t{key}\t{n}\n"));
    let col =
        |c: &Option<Vec<f64>>, k: usize| c.as_ref().and_then(|v| v.get(k).copied()).unwrap_or(0.0);
    for k in 0..n {
        out.push_str(&format!("\t\t\t{}\t{}\n", num(col(&x, k)), num(col(&y, k))));
    }
}

impl GeoTransform {
    /// This fit as an IRAF geomap database record named `name` (append it to a database
    /// file for geotran / geoxytran). Numbers are written in full precision, so
    /// [`GeoMapRecord::parse_all`] restores the surfaces exactly.
    ///
    /// ```
    /// use astro_interp::surface::{geomap, Function, GeoMapOptions, GeoMapRecord};
    /// let xr = [0.0, 10.0, 0.0, 10.0, 5.0];
    /// let yr = [0.0, 0.0, 10.0, 10.0, 5.0];
    /// let xi: Vec<f64> = xr.iter().map(|x| x + 0.5).collect();
    /// let opts = GeoMapOptions { function: Function::Chebyshev, ..Default::default() };
    /// let t = geomap(&xr, &yr, &xi, &yr, None, &opts).unwrap();
    /// let text = t.to_database_record("chip1");
    /// assert!(text.contains("begin\tchip1") && text.contains("function\tchebyshev"));
    /// let rec = &GeoMapRecord::parse_all(&text).unwrap()[0];
    /// assert_eq!(rec.x_fit, t.x_fit);
    /// ```
    pub fn to_database_record(&self, name: &str) -> String {
        let mut s = format!(
            "# geomap record written by astro-interp {}\n",
            env!("CARGO_PKG_VERSION")
        );
        s.push_str(&format!("begin\t{name}\n"));
        let l = &self.linear;
        let f = self.x_fit.linear().spec().function;
        for (k, v) in [
            ("xrefmean", self.xref_mean),
            ("yrefmean", self.yref_mean),
            ("xmean", self.xin_mean),
            ("ymean", self.yin_mean),
        ] {
            s.push_str(&format!("\t{k}\t{}\n", num(v)));
        }
        s.push_str(&format!(
            "\tgeometry\t{}\n\tfunction\t{f}\n",
            self.fitgeometry
        ));
        for (k, v) in [
            ("xshift", l.xshift),
            ("yshift", l.yshift),
            ("xmag", l.xmag),
            ("ymag", l.ymag),
            ("xrotation", l.xrotation),
            ("yrotation", l.yrotation),
            ("xrms", self.xrms),
            ("yrms", self.yrms),
        ] {
            s.push_str(&format!("\t{k}\t{}\n", num(v)));
        }
        block(
            &mut s,
            "surface1",
            Some(self.x_fit.linear().to_iraf()),
            Some(self.y_fit.linear().to_iraf()),
        );
        block(
            &mut s,
            "surface2",
            self.x_fit.higher().map(Surface::to_iraf),
            self.y_fit.higher().map(Surface::to_iraf),
        );
        s
    }
}
