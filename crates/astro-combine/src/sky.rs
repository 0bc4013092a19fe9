//! Sky estimation and matching (AstroDrizzle step 2, stsci.skypac `skymatch`).
//!
//! The caller hands in arrays and numbers, never files: each exposure is a list of chips
//! (data, good-pixel mask, data → brightness factor), and for `match` each exposure also
//! brings its pixels resampled onto one common grid with a good mask, from which the
//! pairwise overlaps are taken.
//!
//! Brightness is `data · to_brightness` (AstroDrizzle: `1 / (pixel_scale² · exptime)` when
//! the data are counts, `1 / pixel_scale²` for rates). The per-chip result in data units
//! (`MDRIZSKY`) is the exposure's sky brightness divided by the chip's factor.

use ndarray::{ArrayView2, Zip};

use crate::error::{CombineError, Result};
use crate::stats::{ClipParams, SkyStatistic, clipped_stats, clipped_stats_many_for};

/// AstroDrizzle / skymatch `skymethod`.
///
/// ```
/// use astro_combine::SkyMethod;
/// assert_eq!("globalmin+match".parse::<SkyMethod>()?, SkyMethod::GlobalminMatch);
/// assert_eq!(SkyMethod::default(), SkyMethod::Localmin);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkyMethod {
    /// Per exposure, the minimum over its chips of the chip statistic (AstroDrizzle's
    /// default).
    #[default]
    Localmin,
    /// The minimum over all chips of all exposures, the same for every exposure.
    Globalmin,
    /// Sky *differences* from the overlaps, by least squares; the lowest is 0
    /// (`match_down`).
    Match,
    /// `match`, then the global minimum of the matched skies added to all.
    GlobalminMatch,
}

impl std::str::FromStr for SkyMethod {
    type Err = CombineError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "localmin" => Ok(Self::Localmin),
            "globalmin" => Ok(Self::Globalmin),
            "match" => Ok(Self::Match),
            "globalmin+match" => Ok(Self::GlobalminMatch),
            other => Err(CombineError::Parameter {
                name: "skymethod",
                reason: format!("'{other}' is not localmin, globalmin, match or globalmin+match"),
            }),
        }
    }
}

/// Sky-step parameters with AstroDrizzle's names and defaults (`skymethod = localmin`,
/// `skystat = median`, `skywidth = 0.1`, `skyclip = 5`, `skylsigma = skyusigma = 4`,
/// no `skylower` / `skyupper`, `match_down = true`).
///
/// ```
/// let p = astro_combine::SkyParams::default();
/// assert_eq!((p.skyclip, p.skylsigma, p.skywidth), (5, 4.0, 0.1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkyParams {
    /// How skies are combined over chips and exposures.
    pub skymethod: SkyMethod,
    /// Which clipped statistic is the sky.
    pub skystat: SkyStatistic,
    /// Histogram bin width (standard deviations) for `mode` / `midpt`.
    pub skywidth: f64,
    /// Clipping iterations.
    pub skyclip: usize,
    /// Lower clipping limit (standard deviations).
    pub skylsigma: f64,
    /// Upper clipping limit (standard deviations).
    pub skyusigma: f64,
    /// Lower data cutoff.
    pub skylower: Option<f64>,
    /// Upper data cutoff.
    pub skyupper: Option<f64>,
    /// `match`: subtract the lowest matched sky (`true`) or the highest (`false`).
    pub match_down: bool,
}

impl Default for SkyParams {
    fn default() -> Self {
        Self {
            skymethod: SkyMethod::Localmin,
            skystat: SkyStatistic::Median,
            skywidth: 0.1,
            skyclip: 5,
            skylsigma: 4.0,
            skyusigma: 4.0,
            skylower: None,
            skyupper: None,
            match_down: true,
        }
    }
}

impl SkyParams {
    /// The clipped-statistics parameters these sky parameters stand for.
    ///
    /// ```
    /// let c = astro_combine::SkyParams::default().clip_params();
    /// assert_eq!(c.nclip, 5);
    /// ```
    pub fn clip_params(&self) -> ClipParams {
        ClipParams {
            lower: self.skylower,
            upper: self.skyupper,
            nclip: self.skyclip,
            lsig: self.skylsigma,
            usig: self.skyusigma,
            binwidth: self.skywidth,
        }
    }
}

/// One chip of an exposure, in its own pixels.
///
/// ```
/// use astro_combine::SkyChip;
/// let data = ndarray::Array2::<f32>::ones((4, 4));
/// let chip = SkyChip { data: data.view(), good: None, to_brightness: 1.0 };
/// assert_eq!(chip.to_brightness, 1.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SkyChip<'a> {
    /// Science pixels.
    pub data: ArrayView2<'a, f32>,
    /// Good-pixel mask (`true` = usable: DQ `sky_bits` ∧ static mask ∧ user mask).
    pub good: Option<ArrayView2<'a, bool>>,
    /// Multiplier from data units to brightness.
    pub to_brightness: f64,
}

/// An exposure on the common grid shared by all exposures (for `match`): its pixels
/// resampled there (e.g. single-drizzled) and where they are valid.
///
/// ```
/// use astro_combine::SkyGrid;
/// let d = ndarray::Array2::<f32>::zeros((3, 3));
/// let g = ndarray::Array2::from_elem((3, 3), true);
/// let grid = SkyGrid { data: d.view(), good: g.view(), to_brightness: 1.0 };
/// assert_eq!(grid.data.dim(), (3, 3));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SkyGrid<'a> {
    /// Pixels on the common grid.
    pub data: ArrayView2<'a, f32>,
    /// `true` where this exposure covers the grid pixel with good data.
    pub good: ArrayView2<'a, bool>,
    /// Multiplier from these data units to brightness.
    pub to_brightness: f64,
}

/// One exposure: its chips, and (for `match`) its image on the common grid.
///
/// ```
/// use astro_combine::{SkyChip, SkyExposure};
/// let d = ndarray::Array2::<f32>::ones((4, 4));
/// let e = SkyExposure { chips: vec![SkyChip { data: d.view(), good: None, to_brightness: 1.0 }], grid: None };
/// assert_eq!(e.chips.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct SkyExposure<'a> {
    /// The chips (`SCI,1`, `SCI,2`...).
    pub chips: Vec<SkyChip<'a>>,
    /// The exposure on the common grid; required by `match` and `globalmin+match`.
    pub grid: Option<SkyGrid<'a>>,
}

/// Result of the sky step.
///
/// ```
/// use astro_combine::SkyResult;
/// let r = SkyResult::from_user(vec![vec![12.5, 13.0]]);
/// assert_eq!(r.mdrizsky[0][1], 13.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SkyResult {
    /// Sky brightness per exposure (NaN if the user gave data-unit values only).
    pub brightness: Vec<f64>,
    /// Sky per chip in that chip's data units: the `MDRIZSKY` keyword value.
    pub mdrizsky: Vec<Vec<f64>>,
    /// `match`: exposures that took part in no overlap equation (their match delta is
    /// undetermined; skymatch leaves them unchanged and so do we).
    pub unmatched: Vec<bool>,
}

impl SkyResult {
    /// User-supplied sky (AstroDrizzle `skyuser` keyword or `skyfile`): the values per
    /// exposure and chip, in data units, are the result.
    ///
    /// ```
    /// let r = astro_combine::SkyResult::from_user(vec![vec![1.0], vec![2.0]]);
    /// assert_eq!(r.mdrizsky.len(), 2);
    /// ```
    pub fn from_user(values: Vec<Vec<f64>>) -> Self {
        let n = values.len();
        Self {
            brightness: vec![f64::NAN; n],
            mdrizsky: values,
            unmatched: vec![false; n],
        }
    }
}

/// The sky statistic of one chip, converted to brightness, and its pixel count; `None`
/// when no statistic can be computed (no good pixel, nothing left after clipping).
///
/// ```
/// use astro_combine::{chip_sky, SkyChip, SkyParams};
/// let d = ndarray::Array2::from_elem((8, 8), 10.0f32);
/// let (b, n) = chip_sky(&SkyChip { data: d.view(), good: None, to_brightness: 0.5 }, &SkyParams::default())?.unwrap();
/// assert_eq!((b, n), (5.0, 64));
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn chip_sky(chip: &SkyChip<'_>, params: &SkyParams) -> Result<Option<(f64, usize)>> {
    chip_skies(std::slice::from_ref(chip), params).map(|mut v| v.pop().flatten())
}

/// [`chip_sky`] of several chips at once, on the calling thread (their clipped
/// statistics computed together by [`clipped_stats_many`](crate::clipped_stats_many)): the same results, in order;
/// the first error, in chip order, is returned.
///
/// ```
/// use astro_combine::{chip_sky, chip_skies, SkyChip, SkyParams};
/// let p = SkyParams::default();
/// let a = ndarray::Array2::from_shape_fn((8, 8), |(y, x)| 10.0 + ((x * 3 + y) % 5) as f32);
/// let b = a.mapv(|v| v * 2.0);
/// let chips = [
///     SkyChip { data: a.view(), good: None, to_brightness: 0.5 },
///     SkyChip { data: b.view(), good: None, to_brightness: 1.0 },
/// ];
/// let both = chip_skies(&chips, &p)?;
/// assert_eq!(both[0], chip_sky(&chips[0], &p)?);
/// assert_eq!(both[1], chip_sky(&chips[1], &p)?);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn chip_skies(chips: &[SkyChip<'_>], params: &SkyParams) -> Result<Vec<Option<(f64, usize)>>> {
    for chip in chips {
        if let Some(g) = chip.good
            && g.dim() != chip.data.dim()
        {
            return Err(CombineError::ShapeMismatch {
                what: "good mask",
                index: 0,
                found: g.dim(),
                expected: chip.data.dim(),
            });
        }
    }
    // The good pixels that are not NaN (the statistics drop NaN anyway); the chips in
    // parallel with the `rayon` feature.
    let values = |chip: &SkyChip<'_>| -> Vec<f32> {
        match chip.good {
            None => chip.data.iter().copied().filter(|v| !v.is_nan()).collect(),
            Some(g) => chip
                .data
                .iter()
                .zip(g.iter())
                .filter(|&(v, g)| *g && !v.is_nan())
                .map(|(v, _)| *v)
                .collect(),
        }
    };
    #[cfg(feature = "rayon")]
    let lists: Vec<Vec<f32>> = {
        use rayon::prelude::*;
        chips.par_iter().map(values).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let lists: Vec<Vec<f32>> = chips.iter().map(values).collect();
    let nonempty: Vec<&[f32]> = lists
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| &v[..])
        .collect();
    let mut stats =
        clipped_stats_many_for(&nonempty, &params.clip_params(), Some(params.skystat)).into_iter();
    let mut out = Vec::with_capacity(chips.len());
    for (chip, values) in chips.iter().zip(&lists) {
        if values.is_empty() {
            out.push(None);
            continue;
        }
        out.push(match stats.next().expect("one result per list") {
            Ok(s) => Some((s.get(params.skystat) * chip.to_brightness, s.npix)),
            Err(CombineError::Statistics(_)) => None,
            Err(e) => return Err(e),
        });
    }
    Ok(out)
}

fn stat_of(values: &[f32], params: &SkyParams) -> Result<Option<(f64, usize)>> {
    if values.is_empty() {
        return Ok(None);
    }
    match clipped_stats(values, &params.clip_params()) {
        Ok(s) => Ok(Some((s.get(params.skystat), s.npix))),
        Err(CombineError::Statistics(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sky of each exposure on a common grid in the overlaps with each other exposure:
/// `A[(i, j)] = (brightness of i inside good_i ∧ good_j, npix)`.
type Overlaps = Vec<Vec<Option<(f64, usize)>>>;

fn overlap_skies(grids: &[SkyGrid<'_>], params: &SkyParams) -> Result<Overlaps> {
    let n = grids.len();
    let mut a = vec![vec![None; n]; n];
    let mut buf = Vec::new();
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            buf.clear();
            Zip::from(grids[i].data)
                .and(grids[i].good)
                .and(grids[j].good)
                .for_each(|&v, &gi, &gj| {
                    if gi && gj {
                        buf.push(v);
                    }
                });
            a[i][j] = stat_of(&buf, params)?.map(|(s, n)| (s * grids[i].to_brightness, n));
        }
    }
    Ok(a)
}

/// Least-squares sky deltas as skymatch's `_find_optimum_sky_deltas`: one equation
/// `W_ij (δ_i − δ_j) = W_ij (s_i − s_j)` per overlapping pair (`W_ij` = mean of the two
/// pixel counts), minimum-norm solution by the pseudo-inverse (`rcond = 1e-12`);
/// exposures in no equation get NaN.
#[allow(clippy::needless_range_loop)] // pairs (i, j) index a square table
fn optimum_deltas(a: &Overlaps) -> Vec<f64> {
    let n = a.len();
    let mut rows: Vec<(usize, usize, f64, f64)> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if let (Some((si, wi)), Some((sj, wj))) = (a[i][j], a[j][i])
                && wi > 0
                && wj > 0
            {
                let w = 0.5 * (wi as f64 + wj as f64);
                rows.push((i, j, w, w * (si - sj)));
            }
        }
    }
    let mut invalid = vec![true; n];
    if rows.is_empty() {
        return vec![f64::NAN; n];
    }
    let mut k = nalgebra::DMatrix::<f64>::zeros(rows.len(), n);
    let mut f = nalgebra::DVector::<f64>::zeros(rows.len());
    for (e, &(i, j, w, rhs)) in rows.iter().enumerate() {
        k[(e, i)] = w;
        k[(e, j)] = -w;
        f[e] = rhs;
        invalid[i] = false;
        invalid[j] = false;
    }
    let svd = k.svd(true, true);
    let smax = svd.singular_values.iter().copied().fold(0.0f64, f64::max);
    let deltas = match svd.pseudo_inverse(1.0e-12 * smax) {
        Ok(pinv) => pinv * f,
        Err(_) => return vec![f64::NAN; n],
    };
    deltas
        .iter()
        .zip(&invalid)
        .map(|(&d, &bad)| if bad { f64::NAN } else { d })
        .collect()
}

/// The minimum over an exposure's chips of `brightness − delta`; `None` if no chip has a
/// statistic.
fn exposure_min(exp: &SkyExposure<'_>, params: &SkyParams, delta: f64) -> Result<Option<f64>> {
    let mut best: Option<f64> = None;
    for chip in &exp.chips {
        if let Some((b, npix)) = chip_sky(chip, params)? {
            if npix < 1 {
                continue;
            }
            let b = b - delta;
            if best.is_none_or(|m| m > b) {
                best = Some(b);
            }
        }
    }
    Ok(best)
}

/// Compute the sky of every exposure with `params.skymethod` (skymatch semantics, see
/// [`SkyMethod`]); the result per chip is the `MDRIZSKY` value to subtract.
///
/// * `localmin`: an exposure whose chips have no statistic gets 0.
/// * `globalmin`: minimum of the per-exposure minima (0 if none).
/// * `match`: deltas from [`SkyExposure::grid`] overlaps; then `δ −= min(0, min δ)`
///   (`match_down`, or the maximum when `match_down = false`); unmatched exposures get 0.
/// * `globalmin+match`: `δ_i + min_k(min over chips of k of (b − δ_k))`.
///
/// Errors: `match` without a grid on every exposure, grids of different shapes, a good
/// mask whose shape differs from its data, bad clipping parameters.
///
/// ```
/// use astro_combine::{compute_sky, SkyChip, SkyExposure, SkyGrid, SkyMethod, SkyParams};
/// use ndarray::Array2;
/// // two exposures on a 20×20 grid, skies 5 and 8, overlapping in columns 5..15
/// let a = Array2::from_elem((20, 20), 5.0f32);
/// let b = Array2::from_elem((20, 20), 8.0f32);
/// let ga = Array2::from_shape_fn((20, 20), |(_, x)| x < 15);
/// let gb = Array2::from_shape_fn((20, 20), |(_, x)| x >= 5);
/// let exps = vec![
///     SkyExposure { chips: vec![SkyChip { data: a.view(), good: None, to_brightness: 1.0 }],
///                   grid: Some(SkyGrid { data: a.view(), good: ga.view(), to_brightness: 1.0 }) },
///     SkyExposure { chips: vec![SkyChip { data: b.view(), good: None, to_brightness: 1.0 }],
///                   grid: Some(SkyGrid { data: b.view(), good: gb.view(), to_brightness: 1.0 }) },
/// ];
/// let p = SkyParams { skymethod: SkyMethod::Match, ..Default::default() };
/// let r = compute_sky(&exps, &p)?;
/// assert!((r.mdrizsky[0][0] - 0.0).abs() < 1e-9 && (r.mdrizsky[1][0] - 3.0).abs() < 1e-9);
/// let p = SkyParams { skymethod: SkyMethod::GlobalminMatch, ..Default::default() };
/// let r = compute_sky(&exps, &p)?;
/// assert!((r.mdrizsky[0][0] - 5.0).abs() < 1e-9 && (r.mdrizsky[1][0] - 8.0).abs() < 1e-9);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn compute_sky(exposures: &[SkyExposure<'_>], params: &SkyParams) -> Result<SkyResult> {
    let n = exposures.len();
    let to_data = |b: &[f64]| -> Vec<Vec<f64>> {
        exposures
            .iter()
            .zip(b)
            .map(|(e, &b)| e.chips.iter().map(|c| b / c.to_brightness).collect())
            .collect()
    };
    let mut unmatched = vec![false; n];
    let brightness: Vec<f64> = match params.skymethod {
        SkyMethod::Localmin => exposures
            .iter()
            .map(|e| Ok(exposure_min(e, params, 0.0)?.unwrap_or(0.0)))
            .collect::<Result<_>>()?,
        SkyMethod::Globalmin => {
            let mut g: Option<f64> = None;
            for e in exposures {
                if let Some(m) = exposure_min(e, params, 0.0)?
                    && g.is_none_or(|g| m < g)
                {
                    g = Some(m);
                }
            }
            vec![g.unwrap_or(0.0); n]
        }
        SkyMethod::Match | SkyMethod::GlobalminMatch => {
            let mut grids = Vec::with_capacity(n);
            for (i, e) in exposures.iter().enumerate() {
                let Some(g) = e.grid else {
                    return Err(CombineError::Parameter {
                        name: "skymethod",
                        reason: format!(
                            "'match' needs a common-grid image (grid) for exposure {i}"
                        ),
                    });
                };
                let expected = exposures[0].grid.map(|g| g.data.dim()).unwrap_or_default();
                for (what, dim) in [("grid data", g.data.dim()), ("grid mask", g.good.dim())] {
                    if dim != expected {
                        return Err(CombineError::ShapeMismatch {
                            what,
                            index: i,
                            found: dim,
                            expected,
                        });
                    }
                }
                grids.push(g);
            }
            let a = overlap_skies(&grids, params)?;
            let mut deltas = optimum_deltas(&a);
            let finite: Vec<f64> = deltas.iter().copied().filter(|d| d.is_finite()).collect();
            let refsky = if params.match_down {
                finite.iter().copied().fold(0.0f64, f64::min)
            } else {
                finite.iter().copied().fold(0.0f64, f64::max)
            };
            for (d, u) in deltas.iter_mut().zip(unmatched.iter_mut()) {
                if d.is_finite() {
                    *d -= refsky;
                } else {
                    *u = true;
                    *d = 0.0;
                }
            }
            if params.skymethod == SkyMethod::GlobalminMatch {
                let mut g: Option<f64> = None;
                for (e, &d) in exposures.iter().zip(&deltas) {
                    if let Some(m) = exposure_min(e, params, d)?
                        && g.is_none_or(|g| m < g)
                    {
                        g = Some(m);
                    }
                }
                let g = g.unwrap_or(0.0);
                deltas.iter_mut().for_each(|d| *d += g);
            }
            deltas
        }
    };
    Ok(SkyResult {
        mdrizsky: to_data(&brightness),
        brightness,
        unmatched,
    })
}
