//! Linear transform fits between matched positions with iterative sigma clipping
//! (tweakwcs `iter_linear_fit` semantics).

use crate::error::{Error, Result, invalid};

/// Which linear transformation to fit (tweakwcs/TweakReg `fitgeom`).
///
/// # Examples
///
/// ```
/// use astro_align::FitGeometry;
/// let g: FitGeometry = "rscale".parse()?;
/// assert_eq!(g, FitGeometry::RScale);
/// assert_eq!(g.min_points(), 2);
/// assert_eq!(g.name(), "rscale");
/// # Ok::<(), astro_align::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FitGeometry {
    /// Shifts only (1 point minimum).
    Shift,
    /// Shift and rotation, scale fixed to 1 (2 points).
    RShift,
    /// Shift, rotation and one scale (2 points). TweakReg's default.
    #[default]
    RScale,
    /// Full 6-parameter affine transformation (3 points).
    General,
}

impl FitGeometry {
    /// Minimum number of matched pairs the fit needs.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(astro_align::FitGeometry::General.min_points(), 3);
    /// ```
    pub fn min_points(self) -> usize {
        match self {
            FitGeometry::Shift => 1,
            FitGeometry::RShift | FitGeometry::RScale => 2,
            FitGeometry::General => 3,
        }
    }

    /// The reference tools' name (`"shift"`, `"rshift"`, `"rscale"`, `"general"`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(astro_align::FitGeometry::Shift.name(), "shift");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            FitGeometry::Shift => "shift",
            FitGeometry::RShift => "rshift",
            FitGeometry::RScale => "rscale",
            FitGeometry::General => "general",
        }
    }
}

impl std::str::FromStr for FitGeometry {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shift" => Ok(FitGeometry::Shift),
            "rshift" => Ok(FitGeometry::RShift),
            "rscale" => Ok(FitGeometry::RScale),
            "general" => Ok(FitGeometry::General),
            other => Err(invalid(
                "fitgeom",
                format!("{other:?} is not one of 'shift', 'rshift', 'rscale', 'general'"),
            )),
        }
    }
}

/// The statistic that sets the clipping threshold (`sigma=(3, 'rmse')`).
///
/// # Examples
///
/// ```
/// let s = astro_align::ClipStatistic::default();
/// assert_eq!(s, astro_align::ClipStatistic::Rmse);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClipStatistic {
    /// Root-mean-square residual length.
    #[default]
    Rmse,
    /// Mean absolute residual length.
    Mae,
    /// Standard deviation of the residuals.
    Std,
    /// Median absolute residual length / sqrt(ln 2).
    Mad,
}

/// Options of [`fit_linear`], named as in tweakwcs.
///
/// # Examples
///
/// ```
/// let o = astro_align::FitOptions::default();
/// assert_eq!((o.nclip, o.sigma), (3, 3.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Transformation to fit.
    pub fitgeom: FitGeometry,
    /// Number of clipping iterations (0 = none).
    pub nclip: usize,
    /// Clipping threshold in units of `sigma_stat`.
    pub sigma: f64,
    /// Statistic for the clipping threshold.
    pub sigma_stat: ClipStatistic,
    /// Keep clipped points out of all later iterations (tweakwcs `clip_accum`).
    pub clip_accum: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            fitgeom: FitGeometry::RScale,
            nclip: 3,
            sigma: 3.0,
            sigma_stat: ClipStatistic::Rmse,
            clip_accum: false,
        }
    }
}

/// Result of [`fit_linear`]: `reference ≈ matrix · image + shift`.
///
/// # Examples
///
/// ```
/// use astro_align::{fit_linear, FitOptions};
/// let img = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (7.0, 3.0)];
/// let refp: Vec<_> = img.iter().map(|&(x, y)| (x + 1.5, y - 2.0)).collect();
/// let fit = fit_linear(&refp, &img, None, &FitOptions::default())?;
/// let (x, y) = fit.apply(3.0, 4.0);
/// assert!((x - 4.5).abs() < 1e-12 && (y - 2.0).abs() < 1e-12);
/// assert!(fit.rmse < 1e-12);
/// # Ok::<(), astro_align::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearFit {
    /// The fitted geometry.
    pub fitgeom: FitGeometry,
    /// 2×2 matrix `F` (rows: output x, output y).
    pub matrix: [[f64; 2]; 2],
    /// Shift `s` for the centre of rotation at (0, 0): `ref = F·img + s`.
    pub shift: [f64; 2],
    /// Centre used during the fit (mean of the image positions).
    pub center: [f64; 2],
    /// `det F >= 0`.
    pub proper: bool,
    /// Rotation (degrees) as if the rotation were proper.
    pub proper_rot: f64,
    /// Rotations of the x and y axes (degrees).
    pub rot: (f64, f64),
    /// Arithmetic mean of `rot`.
    pub mean_rot: f64,
    /// Scales along x and y.
    pub scale: (f64, f64),
    /// Geometric mean scale `sqrt|det F|`.
    pub mean_scale: f64,
    /// Skew (degrees).
    pub skew: f64,
    /// Root-mean-square residual length of the points used.
    pub rmse: f64,
    /// Mean absolute residual length.
    pub mae: f64,
    /// Standard deviation of the residuals.
    pub std: f64,
    /// Median absolute residual / sqrt(ln 2).
    pub mad: f64,
    /// Which input pairs the final fit used.
    pub fitmask: Vec<bool>,
    /// Residuals `ref - fit(img)` for every input pair (NaN where not finite).
    pub residuals: Vec<[f64; 2]>,
    /// Number of clipping iterations that clipped something.
    pub eff_nclip: usize,
}

impl LinearFit {
    /// Apply the fit to an image position.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_align::LinearFit;
    /// let f = LinearFit::identity();
    /// assert_eq!(f.apply(1.0, 2.0), (1.0, 2.0));
    /// ```
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.matrix;
        (
            m[0][0] * x + m[0][1] * y + self.shift[0],
            m[1][0] * x + m[1][1] * y + self.shift[1],
        )
    }

    /// The identity transformation (no points, zero statistics).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = astro_align::LinearFit::identity();
    /// assert_eq!(f.matrix, [[1.0, 0.0], [0.0, 1.0]]);
    /// ```
    pub fn identity() -> LinearFit {
        LinearFit {
            fitgeom: FitGeometry::Shift,
            matrix: [[1.0, 0.0], [0.0, 1.0]],
            shift: [0.0, 0.0],
            center: [0.0, 0.0],
            proper: true,
            proper_rot: 0.0,
            rot: (0.0, 0.0),
            mean_rot: 0.0,
            scale: (1.0, 1.0),
            mean_scale: 1.0,
            skew: 0.0,
            rmse: 0.0,
            mae: 0.0,
            std: 0.0,
            mad: 0.0,
            fitmask: Vec::new(),
            residuals: Vec::new(),
            eff_nclip: 0,
        }
    }

    /// Number of pairs used by the final fit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(astro_align::LinearFit::identity().nfit(), 0);
    /// ```
    pub fn nfit(&self) -> usize {
        self.fitmask.iter().filter(|&&m| m).count()
    }
}

/// Result of one un-clipped fit on centred data.
struct RawFit {
    /// p = [F00, F01, sx], q = [F10, F11, sy] in the centred frame.
    p: [f64; 3],
    q: [f64; 3],
}

/// Fit `reference ≈ F·image + s` (tweakwcs `iter_linear_fit` with `xy = reference`,
/// `uv = image`), clipping `nclip` times at `sigma × statistic`.
///
/// `weights`, if given, are the combined per-pair weights (tweakwcs combines image and
/// reference weights as `w1 w2 / (w1 + w2)`); pairs with zero weight or non-finite
/// coordinates are left out.
///
/// # Errors
///
/// [`Error::TooFewSources`] (found/needed), [`Error::DegenerateFit`] for collinear
/// points in a `general` fit (or all points identical), [`Error::LengthMismatch`],
/// [`Error::InvalidParameter`] for negative weights or `sigma <= 0`.
///
/// # Examples
///
/// ```
/// use astro_align::{fit_linear, FitGeometry, FitOptions};
/// // a 1° rotation and 0.5 % scale about the origin, plus a shift
/// let (c, s) = (1f64.to_radians().cos() * 1.005, 1f64.to_radians().sin() * 1.005);
/// let img: Vec<(f64, f64)> = (0..20).map(|i| ((i * 37 % 101) as f64, (i * 53 % 97) as f64)).collect();
/// let refp: Vec<_> = img.iter().map(|&(x, y)| (c * x + s * y + 3.0, -s * x + c * y - 1.0)).collect();
/// let fit = fit_linear(&refp, &img, None, &FitOptions { fitgeom: FitGeometry::RScale, ..Default::default() })?;
/// assert!((fit.proper_rot - 1.0).abs() < 1e-9);
/// assert!((fit.mean_scale - 1.005).abs() < 1e-12);
/// assert!((fit.shift[0] - 3.0).abs() < 1e-9 && (fit.shift[1] + 1.0).abs() < 1e-9);
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn fit_linear(
    reference: &[(f64, f64)],
    image: &[(f64, f64)],
    weights: Option<&[f64]>,
    opts: &FitOptions,
) -> Result<LinearFit> {
    let n = reference.len();
    if image.len() != n {
        return Err(Error::LengthMismatch {
            what: format!(
                "{} reference positions but {} image positions",
                n,
                image.len()
            ),
        });
    }
    if let Some(w) = weights {
        if w.len() != n {
            return Err(Error::LengthMismatch {
                what: format!("{} weights for {} position pairs", w.len(), n),
            });
        }
        if w.iter().any(|&v| v < 0.0) {
            return Err(invalid("weights", "weights must be non-negative"));
        }
    }
    if !(opts.sigma > 0.0) && opts.nclip > 0 {
        return Err(invalid(
            "sigma",
            format!("must be positive, got {}", opts.sigma),
        ));
    }
    let minobj = opts.fitgeom.min_points();
    let valid: Vec<bool> = (0..n)
        .map(|i| {
            let (x, y) = reference[i];
            let (u, v) = image[i];
            x.is_finite()
                && y.is_finite()
                && u.is_finite()
                && v.is_finite()
                && weights.is_none_or(|w| w[i] > 0.0 && w[i].is_finite())
        })
        .collect();
    let nvalid = valid.iter().filter(|&&v| v).count();
    if nvalid < minobj {
        return Err(Error::TooFewSources {
            what: format!("'{}' fit", opts.fitgeom.name()),
            found: nvalid,
            needed: minobj,
        });
    }
    let mut nclip = opts.nclip;
    if nvalid == minobj {
        nclip = 0;
    }
    // centre: plain mean of the valid image positions
    let (mut cu, mut cv) = (0.0, 0.0);
    for i in (0..n).filter(|&i| valid[i]) {
        cu += image[i].0;
        cv += image[i].1;
    }
    cu /= nvalid as f64;
    cv /= nvalid as f64;
    let xy: Vec<[f64; 2]> = reference.iter().map(|&(x, y)| [x - cu, y - cv]).collect();
    let uv: Vec<[f64; 2]> = image.iter().map(|&(u, v)| [u - cu, v - cv]).collect();

    let mut mask = valid.clone();
    let mut raw = raw_fit(&xy, &uv, weights, &mask, opts.fitgeom)?;
    let mut eff = 0;
    for _ in 0..nclip {
        let res = residuals(&xy, &uv, &raw);
        let st = stats(&res, weights, &mask);
        let cutoff = opts.sigma
            * match opts.sigma_stat {
                ClipStatistic::Rmse => st.rmse,
                ClipStatistic::Mae => st.mae,
                ClipStatistic::Std => st.std,
                ClipStatistic::Mad => st.mad,
            };
        let keep: Vec<bool> = (0..n)
            .map(|i| mask[i] && res[i][0].hypot(res[i][1]) < cutoff)
            .collect();
        let nkeep = keep.iter().filter(|&&k| k).count();
        let nmask = mask.iter().filter(|&&k| k).count();
        if nkeep < minobj || nkeep == nmask {
            break;
        }
        eff += 1;
        let prev = mask.clone();
        if !opts.clip_accum {
            mask = valid.clone();
        }
        for i in 0..n {
            if prev[i] {
                mask[i] = mask[i] && keep[i];
            }
        }
        raw = raw_fit(&xy, &uv, weights, &mask, opts.fitgeom)?;
    }
    let res = residuals(&xy, &uv, &raw);
    let st = stats(&res, weights, &mask);
    let matrix = [[raw.p[0], raw.p[1]], [raw.q[0], raw.q[1]]];
    // shift for the centre at (0, 0): s0 = s + c - F·c
    let shift = [
        raw.p[2] + cu - (matrix[0][0] * cu + matrix[0][1] * cv),
        raw.q[2] + cv - (matrix[1][0] * cu + matrix[1][1] * cv),
    ];
    let mut fit = derived(matrix, shift, opts.fitgeom);
    fit.center = [cu, cv];
    fit.rmse = st.rmse;
    fit.mae = st.mae;
    fit.std = st.std;
    fit.mad = st.mad;
    fit.residuals = (0..n)
        .map(|i| {
            if valid[i] {
                res[i]
            } else {
                [f64::NAN, f64::NAN]
            }
        })
        .collect();
    fit.fitmask = mask;
    fit.eff_nclip = eff;
    Ok(fit)
}

fn residuals(xy: &[[f64; 2]], uv: &[[f64; 2]], f: &RawFit) -> Vec<[f64; 2]> {
    xy.iter()
        .zip(uv)
        .map(|(a, b)| {
            [
                a[0] - (f.p[0] * b[0] + f.p[1] * b[1] + f.p[2]),
                a[1] - (f.q[0] * b[0] + f.q[1] * b[1] + f.q[2]),
            ]
        })
        .collect()
}

struct Stats {
    rmse: f64,
    mae: f64,
    std: f64,
    mad: f64,
}

fn stats(res: &[[f64; 2]], weights: Option<&[f64]>, mask: &[bool]) -> Stats {
    let idx: Vec<usize> = (0..res.len()).filter(|&i| mask[i]).collect();
    let m = idx.len();
    if m == 0 {
        return Stats {
            rmse: f64::NAN,
            mae: f64::NAN,
            std: f64::NAN,
            mad: f64::NAN,
        };
    }
    let w: Vec<f64> = match weights {
        Some(w) => {
            let tot: f64 = idx.iter().map(|&i| w[i]).sum();
            idx.iter().map(|&i| w[i] / tot).collect()
        }
        None => vec![1.0 / m as f64; m],
    };
    let norms: Vec<f64> = idx.iter().map(|&i| res[i][0].hypot(res[i][1])).collect();
    let rmse = idx
        .iter()
        .zip(&w)
        .map(|(&i, wk)| wk * (res[i][0] * res[i][0] + res[i][1] * res[i][1]))
        .sum::<f64>()
        .sqrt();
    let mae = norms.iter().zip(&w).map(|(r, wk)| r * wk).sum();
    let (mut mx, mut my) = (0.0, 0.0);
    for (&i, wk) in idx.iter().zip(&w) {
        mx += wk * res[i][0];
        my += wk * res[i][1];
    }
    let mut var = 0.0;
    for (&i, wk) in idx.iter().zip(&w) {
        var += wk * ((res[i][0] - mx).powi(2) + (res[i][1] - my).powi(2));
    }
    let std = if weights.is_some() {
        if m == 1 {
            0.0
        } else {
            let v2: f64 = w.iter().map(|x| x * x).sum();
            (var / (1.0 - v2)).sqrt()
        }
    } else {
        var.sqrt()
    };
    // (weighted) median of the residual lengths
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| norms[a].total_cmp(&norms[b]));
    let med = if weights.is_none() {
        if m % 2 == 1 {
            norms[order[m / 2]]
        } else {
            0.5 * (norms[order[m / 2 - 1]] + norms[order[m / 2]])
        }
    } else {
        let half = 0.5 * w.iter().sum::<f64>();
        let mut acc = 0.0;
        let mut val = norms[order[m - 1]];
        for &k in &order {
            acc += w[k];
            if acc >= half {
                val = norms[k];
                break;
            }
        }
        val
    };
    Stats {
        rmse,
        mae,
        std,
        mad: med / 2f64.ln().sqrt(),
    }
}

fn raw_fit(
    xy: &[[f64; 2]],
    uv: &[[f64; 2]],
    weights: Option<&[f64]>,
    mask: &[bool],
    geom: FitGeometry,
) -> Result<RawFit> {
    let idx: Vec<usize> = (0..xy.len()).filter(|&i| mask[i]).collect();
    let npoints = idx.len();
    if npoints < geom.min_points() {
        return Err(Error::TooFewSources {
            what: format!("'{}' fit", geom.name()),
            found: npoints,
            needed: geom.min_points(),
        });
    }
    let w: Vec<f64> = match weights {
        Some(w) => idx.iter().map(|&i| w[i]).collect(),
        None => vec![1.0; npoints],
    };
    let sw: f64 = w.iter().sum();
    let wmean = |f: &dyn Fn(usize) -> f64| -> f64 {
        idx.iter().zip(&w).map(|(&i, wk)| wk * f(i)).sum::<f64>() / sw
    };
    let degenerate = || Error::DegenerateFit {
        fitgeom: geom.name().to_string(),
        npoints,
    };
    match geom {
        FitGeometry::Shift => {
            let dx = wmean(&|i| xy[i][0] - uv[i][0]);
            let dy = wmean(&|i| xy[i][1] - uv[i][1]);
            Ok(RawFit {
                p: [1.0, 0.0, dx],
                q: [0.0, 1.0, dy],
            })
        }
        FitGeometry::RShift | FitGeometry::RScale => {
            let xm = wmean(&|i| xy[i][0]);
            let ym = wmean(&|i| xy[i][1]);
            let um = wmean(&|i| uv[i][0]);
            let vm = wmean(&|i| uv[i][1]);
            let (mut sxu, mut sxv, mut syu, mut syv, mut su2, mut sv2) =
                (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for (&i, wk) in idx.iter().zip(&w) {
                let (x, y, u, v) = (xy[i][0] - xm, xy[i][1] - ym, uv[i][0] - um, uv[i][1] - vm);
                sxu += wk * x * u;
                sxv += wk * x * v;
                syu += wk * y * u;
                syv += wk * y * v;
                su2 += wk * u * u;
                sv2 += wk * v * v;
            }
            let det = sxu * syv - sxv * syu;
            let (num, den) = if det < 0.0 {
                (sxv + syu, sxu - syv)
            } else {
                (sxv - syu, sxu + syv)
            };
            let theta = if num == den { 0.0 } else { num.atan2(den) };
            let (st, ct) = theta.sin_cos();
            let mag = if geom == FitGeometry::RShift {
                1.0
            } else if su2 + sv2 > 0.0 {
                (den * ct + num * st) / (su2 + sv2)
            } else {
                return Err(degenerate());
            };
            let (sthetax, cthetay) = if det < 0.0 {
                (-mag * st, -mag * ct)
            } else {
                (mag * st, mag * ct)
            };
            let cthetax = mag * ct;
            let sthetay = mag * st;
            let sdet = if det > 0.0 {
                1.0
            } else if det < 0.0 {
                -1.0
            } else {
                0.0
            };
            let xshift = xm - um * cthetax - sdet * vm * sthetax;
            let yshift = ym + sdet * um * sthetay - vm * cthetay;
            Ok(RawFit {
                p: [cthetax, sthetay, xshift],
                q: [-sthetax, cthetay, yshift],
            })
        }
        FitGeometry::General => {
            // centred least squares: x = a u + b v + c (same for y)
            let um = wmean(&|i| uv[i][0]);
            let vm = wmean(&|i| uv[i][1]);
            let xm = wmean(&|i| xy[i][0]);
            let ym = wmean(&|i| xy[i][1]);
            let (mut suu, mut svv, mut suv, mut sxu, mut sxv, mut syu, mut syv) =
                (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for (&i, wk) in idx.iter().zip(&w) {
                let (x, y, u, v) = (xy[i][0] - xm, xy[i][1] - ym, uv[i][0] - um, uv[i][1] - vm);
                suu += wk * u * u;
                svv += wk * v * v;
                suv += wk * u * v;
                sxu += wk * x * u;
                sxv += wk * x * v;
                syu += wk * y * u;
                syv += wk * y * v;
            }
            let det = suu * svv - suv * suv;
            if !(det > 1e-12 * (suu * svv).max(f64::MIN_POSITIVE)) || !det.is_finite() {
                return Err(degenerate());
            }
            let a = (sxu * svv - sxv * suv) / det;
            let b = (sxv * suu - sxu * suv) / det;
            let c = (syu * svv - syv * suv) / det;
            let d = (syv * suu - syu * suv) / det;
            Ok(RawFit {
                p: [a, b, xm - a * um - b * vm],
                q: [c, d, ym - c * um - d * vm],
            })
        }
    }
}

fn derived(matrix: [[f64; 2]; 2], shift: [f64; 2], geom: FitGeometry) -> LinearFit {
    let mut fit = LinearFit::identity();
    fit.fitgeom = geom;
    fit.matrix = matrix;
    fit.shift = shift;
    let det = matrix[0][0] * matrix[1][1] - matrix[0][1] * matrix[1][0];
    let sdet = if det > 0.0 {
        1.0
    } else if det < 0.0 {
        -1.0
    } else {
        0.0
    };
    fit.proper = sdet >= 0.0;
    if geom == FitGeometry::Shift {
        return fit;
    }
    let s = det.abs().sqrt();
    let (sx, sy) = if geom == FitGeometry::General {
        (
            matrix[0][0].hypot(matrix[1][0]),
            matrix[0][1].hypot(matrix[1][1]),
        )
    } else {
        (s, s)
    };
    let w = [
        [matrix[0][0] / sx, matrix[0][1] / sy],
        [matrix[1][0] / sx, matrix[1][1] / sy],
    ];
    let prop = (w[0][1] - sdet * w[1][0])
        .atan2(w[0][0] + sdet * w[1][1])
        .to_degrees();
    fit.proper_rot = prop;
    if fit.proper && geom != FitGeometry::General {
        fit.rot = (prop, prop);
        fit.mean_rot = prop;
    } else {
        let rx = (-w[1][0]).atan2(w[0][0]).to_degrees();
        let ry = w[0][1].atan2(w[1][1]).to_degrees();
        fit.rot = (rx, ry);
        fit.mean_rot = 0.5 * (rx + ry);
        fit.skew = (ry - rx - 180.0).rem_euclid(360.0) - 180.0;
    }
    fit.scale = (sx, sy);
    fit.mean_scale = s;
    fit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_recovers_affine_and_clips_outlier() {
        let img: Vec<(f64, f64)> = (0..30)
            .map(|i| ((i * 37 % 101) as f64, (i * 53 % 97) as f64))
            .collect();
        let f = [[1.001, 0.002], [-0.003, 0.998]];
        let mut refp: Vec<(f64, f64)> = img
            .iter()
            .map(|&(u, v)| {
                (
                    f[0][0] * u + f[0][1] * v + 2.0,
                    f[1][0] * u + f[1][1] * v - 3.0,
                )
            })
            .collect();
        refp[5].0 += 20.0;
        let fit = fit_linear(
            &refp,
            &img,
            None,
            &FitOptions {
                fitgeom: FitGeometry::General,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!fit.fitmask[5]);
        for r in 0..2 {
            for c in 0..2 {
                assert!((fit.matrix[r][c] - f[r][c]).abs() < 1e-12);
            }
        }
        assert!((fit.shift[0] - 2.0).abs() < 1e-10 && (fit.shift[1] + 3.0).abs() < 1e-10);
        assert!(fit.rmse < 1e-10);
    }

    #[test]
    fn collinear_general_is_degenerate() {
        let img: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        let err = fit_linear(
            &img,
            &img,
            None,
            &FitOptions {
                fitgeom: FitGeometry::General,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::DegenerateFit { npoints: 10, .. }),
            "{err}"
        );
    }

    #[test]
    fn improper_rscale() {
        let img: Vec<(f64, f64)> = (0..12)
            .map(|i| ((i * 7 % 13) as f64, (i * 5 % 11) as f64))
            .collect();
        let refp: Vec<(f64, f64)> = img.iter().map(|&(u, v)| (-u + 1.0, v)).collect();
        let fit = fit_linear(&refp, &img, None, &FitOptions::default()).unwrap();
        assert!(!fit.proper);
        assert!((fit.matrix[0][0] + 1.0).abs() < 1e-12 && (fit.matrix[1][1] - 1.0).abs() < 1e-12);
    }
}
