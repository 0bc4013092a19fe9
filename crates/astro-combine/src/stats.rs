//! Robust statistics: stsci.imagestats-style clipped statistics (mean, median, mode,
//! midpt — what skypac's `SkyStats` reports), drizzlepac's `computesig`, and astropy's
//! `sigma_clipped_stats`.
//!
//! NaN values are data, not errors: every function here ignores them.

use crate::error::{CombineError, Result};

/// Which statistic of the clipped distribution is the sky (skypac `skystat`).
///
/// ```
/// use astro_combine::SkyStatistic;
/// assert_eq!(SkyStatistic::default(), SkyStatistic::Median);
/// assert_eq!("mode".parse::<SkyStatistic>()?, SkyStatistic::Mode);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkyStatistic {
    /// Clipped mean.
    Mean,
    /// `numpy.median` of the pixels inside the last clipping range.
    #[default]
    Median,
    /// Histogram mode (bins of `binwidth · stddev`, parabolic refinement).
    Mode,
    /// IRAF `midpt`: the histogram's 50% point, linearly interpolated.
    Midpt,
}

impl std::str::FromStr for SkyStatistic {
    type Err = CombineError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mean" => Ok(Self::Mean),
            "median" => Ok(Self::Median),
            "mode" => Ok(Self::Mode),
            "midpt" => Ok(Self::Midpt),
            other => Err(CombineError::Parameter {
                name: "skystat",
                reason: format!("'{other}' is not one of mean, median, mode, midpt"),
            }),
        }
    }
}

/// Parameters of the clipped statistics, with stsci.imagestats `ImageStats` names.
/// The default is AstroDrizzle's sky step: `nclip = 5` (`skyclip`), `lsig = usig = 4`
/// (`skylsigma`, `skyusigma`), `binwidth = 0.1` (`skywidth`), no `lower`/`upper`.
///
/// ```
/// let p = astro_combine::ClipParams::default();
/// assert_eq!((p.nclip, p.lsig, p.usig, p.binwidth), (5, 4.0, 4.0, 0.1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipParams {
    /// Lower data cutoff (`skylower`); `None` = the data minimum.
    pub lower: Option<f64>,
    /// Upper data cutoff (`skyupper`); `None` = the data maximum.
    pub upper: Option<f64>,
    /// Number of clipping iterations (`skyclip`).
    pub nclip: usize,
    /// Lower clipping limit in standard deviations (`skylsigma`).
    pub lsig: f64,
    /// Upper clipping limit in standard deviations (`skyusigma`).
    pub usig: f64,
    /// Histogram bin width in standard deviations (`skywidth`).
    pub binwidth: f64,
}

impl Default for ClipParams {
    fn default() -> Self {
        Self {
            lower: None,
            upper: None,
            nclip: 5,
            lsig: 4.0,
            usig: 4.0,
            binwidth: 0.1,
        }
    }
}

/// Clipped statistics as stsci.imagestats reports them.
///
/// ```
/// use astro_combine::{clipped_stats, ClipParams};
/// let s = clipped_stats(&[1.0, 2.0, 2.0, 3.0, f32::NAN], &ClipParams::default())?;
/// assert_eq!((s.npix, s.mean, s.median), (4, 2.0, 2.0));
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ClippedStats {
    /// Pixels in the last clipping pass.
    pub npix: usize,
    /// Mean of the last pass (`f32` as imagestats computes it).
    pub mean: f64,
    /// Standard deviation of the last pass (N − 1 normalisation).
    pub stddev: f64,
    /// Minimum of the last pass.
    pub min: f64,
    /// Maximum of the last pass.
    pub max: f64,
    /// Median of the pixels inside the last clipping range.
    pub median: f64,
    /// Histogram mode.
    pub mode: f64,
    /// Histogram 50% point.
    pub midpt: f64,
    /// Number of histogram bins.
    pub nbins: usize,
}

impl ClippedStats {
    /// The statistic `which` of these results.
    ///
    /// ```
    /// use astro_combine::{clipped_stats, ClipParams, SkyStatistic};
    /// let s = clipped_stats(&[1.0, 2.0, 4.0], &ClipParams::default())?;
    /// assert_eq!(s.get(SkyStatistic::Median), 2.0);
    /// # Ok::<(), astro_combine::CombineError>(())
    /// ```
    pub fn get(&self, which: SkyStatistic) -> f64 {
        match which {
            SkyStatistic::Mean => self.mean,
            SkyStatistic::Median => self.median,
            SkyStatistic::Mode => self.mode,
            SkyStatistic::Midpt => self.midpt,
        }
    }
}

/// Median of a slice (sorted in place; even count: mean of the two middle values in
/// `f32`, as `numpy.median` of a `float32` array).
fn median_f32(v: &mut [f32]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f32::total_cmp);
    if n % 2 == 1 {
        f64::from(hi)
    } else {
        let lo = v[..n / 2]
            .iter()
            .copied()
            .max_by(f32::total_cmp)
            .unwrap_or(hi);
        f64::from((lo + hi) / 2.0)
    }
}

/// stsci.imagestats `ImageStats(data, fields="npix,mean,stddev,median,mode,midpt", lower,
/// upper, nclip, lsig, usig, binwidth)`, the statistic behind skypac's `SkyStats` (sky
/// step) and the static mask. NaN values are dropped first.
///
/// Clipping: `nclip` passes over the pixels in `[clipmin, clipmax]` (inclusive, bounds
/// rounded to `f32`); after each pass but the last, `clipmin = max(lower, mean − lsig·σ)`,
/// `clipmax = min(upper, mean + usig·σ)`. The median is that of the pixels inside the last
/// range; mode and midpt come from a histogram of *all* pixels over `[min, max]` of the
/// last pass with bins of `binwidth·σ`.
///
/// Errors: no non-NaN value, a pass that keeps no pixel, `lower > max`, `upper < min`,
/// `lower > upper`, non-positive `lsig`/`usig`/`binwidth`, more than 10⁷ histogram bins.
///
/// ```
/// use astro_combine::{clipped_stats, ClipParams};
/// let mut v: Vec<f32> = (0..1000).map(|i| (i % 17) as f32).collect();
/// v.push(1.0e6); // an outlier clipped away
/// let s = clipped_stats(&v, &ClipParams { nclip: 3, ..Default::default() })?;
/// assert_eq!(s.npix, 1000);
/// assert!((s.mean - 7.98).abs() < 0.05);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn clipped_stats(values: &[f32], params: &ClipParams) -> Result<ClippedStats> {
    clipped_stats_many(&[values], params)
        .pop()
        .expect("one result per list")
}

/// [`clipped_stats`] of several lists at once, on the calling thread (their clipping
/// passes in lockstep, [`astro_mask::image_stats_slices`]): the same results, bit for
/// bit, in the same order.
///
/// ```
/// use astro_combine::{clipped_stats, clipped_stats_many, ClipParams};
/// let p = ClipParams::default();
/// let a: Vec<f32> = (0..1000).map(|i| (i % 17) as f32).collect();
/// let b: Vec<f32> = (0..700).map(|i| (i % 23) as f32 * 0.5).collect();
/// let both = clipped_stats_many(&[&a, &b, &[f32::NAN]], &p);
/// assert_eq!(*both[0].as_ref().unwrap(), clipped_stats(&a, &p)?);
/// assert_eq!(*both[1].as_ref().unwrap(), clipped_stats(&b, &p)?);
/// assert!(both[2].is_err());
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn clipped_stats_many(lists: &[&[f32]], params: &ClipParams) -> Vec<Result<ClippedStats>> {
    clipped_stats_many_for(lists, params, None)
}

/// [`clipped_stats_many`] for a caller that reads one statistic only (`Some`): the
/// histogram (mode, midpt) is filled only for `Mode`/`Midpt` and the median taken only
/// for `Median`; the statistics not computed are NaN, every other field (and every error)
/// is that of [`clipped_stats_many`]. `None`: everything.
pub(crate) fn clipped_stats_many_for(
    lists: &[&[f32]],
    params: &ClipParams,
    only: Option<SkyStatistic>,
) -> Vec<Result<ClippedStats>> {
    let want_histogram = !matches!(only, Some(SkyStatistic::Mean | SkyStatistic::Median));
    let want_median = !matches!(
        only,
        Some(SkyStatistic::Mean | SkyStatistic::Mode | SkyStatistic::Midpt)
    );
    // NaN dropped (no copy when there is none), then the data cutoffs.
    // (lists in parallel with the `rayon` feature)
    #[cfg(feature = "rayon")]
    let prepared: Vec<Result<Prepared<'_>>> = {
        use rayon::prelude::*;
        lists.par_iter().map(|&v| prepare_list(v, params)).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let prepared: Vec<Result<Prepared<'_>>> =
        lists.iter().map(|&v| prepare_list(v, params)).collect();
    // The clipping passes, mode and midpt are astro-mask's imagestats core (the static mask
    // uses the same one); the median is ours.
    let core_params = astro_mask::ImageStatsParams {
        nclip: params.nclip,
        lsig: params.lsig,
        usig: params.usig,
        binwidth: params.binwidth,
        histogram: want_histogram,
    };
    let core_lists: Vec<(&[f32], f32, f32)> = prepared
        .iter()
        .filter_map(|p| p.as_ref().ok().map(|(v, lo, hi)| (&v[..], *lo, *hi)))
        .collect();
    let mut cores = astro_mask::image_stats_slices_kept(&core_lists, &core_params).into_iter();
    let pairs: Vec<_> = prepared
        .into_iter()
        .map(|p| {
            let core = p
                .is_ok()
                .then(|| cores.next().expect("one result per list"));
            (p, core)
        })
        .collect();
    // The medians of the lists are independent: in parallel with the `rayon` feature
    // (another thread, done with its own lists, takes some).
    let finish = |(p, core): (Result<Prepared<'_>>, Option<CoreResult>)| {
        let (pixels, _, _) = p?;
        let (core, kept) = core.expect("one result per list").map_err(|e| match e {
            astro_mask::MaskError::Parameter { name, reason } => {
                CombineError::Parameter { name, reason }
            }
            astro_mask::MaskError::Statistics(message) => CombineError::Statistics(message),
            other => CombineError::Mask(other),
        })?;
        // The median of the pixels within the last clipping range: those the last pass
        // kept (the same values; their order does not change the median).
        let mut inside: Vec<f32> = if params.nclip > 0 {
            kept
        } else {
            pixels.into_owned()
        };
        let median = if want_median {
            median_f32(&mut inside)
        } else {
            f64::NAN
        };
        Ok(ClippedStats {
            npix: core.npix,
            mean: f64::from(core.mean),
            stddev: f64::from(core.stddev),
            min: f64::from(core.min),
            max: f64::from(core.max),
            median,
            mode: core.mode,
            midpt: core.midpt,
            nbins: core.nbins,
        })
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        pairs.into_par_iter().map(finish).collect()
    }
    #[cfg(not(feature = "rayon"))]
    pairs.into_iter().map(finish).collect()
}

/// The imagestats core's result for a list, with the pixels its last pass kept.
type CoreResult = astro_mask::Result<(astro_mask::ImageStats, Vec<f32>)>;

/// NaN-free pixels and their data cutoffs `(lower, upper)`.
type Prepared<'a> = (std::borrow::Cow<'a, [f32]>, f32, f32);

/// The pixels of `values` that are not NaN (no copy when there is none) and their data
/// cutoffs.
fn prepare_list<'a>(values: &'a [f32], params: &ClipParams) -> Result<Prepared<'a>> {
    let pixels: std::borrow::Cow<'a, [f32]> = if values.iter().any(|v| v.is_nan()) {
        values.iter().copied().filter(|v| !v.is_nan()).collect()
    } else {
        values.into()
    };
    let (lower, upper) = cutoffs(&pixels, params)?;
    Ok((pixels, lower, upper))
}

/// The data cutoffs `(lower, upper)` of NaN-free pixels: `params.lower`/`upper`, else
/// the data minimum/maximum.
fn cutoffs(pixels: &[f32], params: &ClipParams) -> Result<(f32, f32)> {
    let Some(&first) = pixels.first() else {
        return Err(CombineError::Statistics(
            "no value that is not NaN".to_string(),
        ));
    };
    let (dmin, dmax) = pixels
        .iter()
        .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let lower = match params.lower {
        None => dmin,
        Some(l) if l > f64::from(dmax) => {
            return Err(CombineError::Statistics(format!(
                "lower cutoff {l} is larger than the maximum value {dmax}"
            )));
        }
        Some(l) if params.upper.is_some_and(|u| l > u) => {
            return Err(CombineError::Parameter {
                name: "lower",
                reason: format!("{l} is larger than upper"),
            });
        }
        Some(l) => l as f32,
    };
    let upper = match params.upper {
        None => dmax,
        Some(u) if u < f64::from(dmin) => {
            return Err(CombineError::Statistics(format!(
                "upper cutoff {u} is smaller than the minimum value {dmin}"
            )));
        }
        Some(u) => u as f32,
    };
    Ok((lower, upper))
}

/// drizzlepac's `computesig` sky sigma for source finding: `sqrt(2·|mode|)` of
/// `ImageStats(data without NaN, nclip=3, binwidth=0.01)` (lsig = usig = 3).
///
/// ```
/// let v: Vec<f32> = (0..2000).map(|i| 50.0 + ((i * 37) % 11) as f32).collect();
/// let sig = astro_combine::computesig(&v)?;
/// assert!(sig > 10.0 && sig < 11.0);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn computesig(values: &[f32]) -> Result<f64> {
    let p = ClipParams {
        lower: None,
        upper: None,
        nclip: 3,
        lsig: 3.0,
        usig: 3.0,
        binwidth: 0.01,
    };
    Ok((2.0 * clipped_stats(values, &p)?.mode.abs()).sqrt())
}

/// Centre function of [`sigma_clipped_stats`] (astropy `cenfunc`).
///
/// ```
/// assert_eq!(astro_combine::CenFunc::default(), astro_combine::CenFunc::Median);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CenFunc {
    /// `median` (astropy's default).
    #[default]
    Median,
    /// `mean`.
    Mean,
}

/// Spread function of [`sigma_clipped_stats`] (astropy `stdfunc`).
///
/// ```
/// assert_eq!(astro_combine::StdFunc::default(), astro_combine::StdFunc::Std);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StdFunc {
    /// Population standard deviation (`numpy.std`, ddof 0; astropy's default).
    #[default]
    Std,
    /// Median absolute deviation × 1.482602218505602 (`mad_std`).
    MadStd,
}

/// Parameters of astropy's `sigma_clipped_stats` (astropy names; defaults as astropy:
/// `sigma = 3`, `maxiters = 5`, `cenfunc = median`, `stdfunc = std`, `std_ddof = 0`).
///
/// ```
/// let p = astro_combine::SigmaClip::default();
/// assert_eq!((p.sigma, p.maxiters), (3.0, Some(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SigmaClip {
    /// Clipping limit in standard deviations, both sides.
    pub sigma: f64,
    /// Lower limit; `None` = `sigma`.
    pub sigma_lower: Option<f64>,
    /// Upper limit; `None` = `sigma`.
    pub sigma_upper: Option<f64>,
    /// Maximum iterations; `None` = until nothing changes.
    pub maxiters: Option<usize>,
    /// Centre of the clipping range.
    pub cenfunc: CenFunc,
    /// Width of the clipping range.
    pub stdfunc: StdFunc,
    /// Delta degrees of freedom of the reported standard deviation.
    pub std_ddof: usize,
}

impl Default for SigmaClip {
    fn default() -> Self {
        Self {
            sigma: 3.0,
            sigma_lower: None,
            sigma_upper: None,
            maxiters: Some(5),
            cenfunc: CenFunc::Median,
            stdfunc: StdFunc::Std,
            std_ddof: 0,
        }
    }
}

/// `(mean, median, std)` of the sigma-clipped values, as astropy's
/// `sigma_clipped_stats(data, sigma, sigma_lower, sigma_upper, maxiters, cenfunc, stdfunc,
/// std_ddof)` with `grow=False` computes them in `float64`. NaN and ±∞ are ignored.
///
/// Each iteration keeps the values in `[cen − σ_lo·std, cen + σ_hi·std]` (inclusive) of
/// the values kept so far; it stops when nothing changes or after `maxiters`.
/// No value left → `(NaN, NaN, NaN)` (astropy warns and returns NaN too).
///
/// ```
/// use astro_combine::{sigma_clipped_stats, SigmaClip};
/// let mut v: Vec<f32> = (0..50).map(|i| (i % 5 + 1) as f32).collect();
/// v.push(1000.0); // clipped in the first iteration
/// let (mean, median, std) = sigma_clipped_stats(&v, &SigmaClip::default());
/// assert_eq!((mean, median), (3.0, 3.0));
/// assert!((std - 2.0f64.sqrt()).abs() < 1e-12);
/// ```
pub fn sigma_clipped_stats(values: &[f32], params: &SigmaClip) -> (f64, f64, f64) {
    let mut data: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|&v| f64::from(v))
        .collect();
    let lo_sig = params.sigma_lower.unwrap_or(params.sigma);
    let hi_sig = params.sigma_upper.unwrap_or(params.sigma);
    let mut iter = 0usize;
    let mut scratch = Vec::with_capacity(data.len());
    loop {
        if params.maxiters.is_some_and(|m| iter >= m) || data.is_empty() {
            break;
        }
        iter += 1;
        let cen = match params.cenfunc {
            CenFunc::Median => median_f64(&data, &mut scratch),
            CenFunc::Mean => mean_f64(&data),
        };
        let std = match params.stdfunc {
            StdFunc::Std => std_f64(&data, 0),
            StdFunc::MadStd => {
                let med = median_f64(&data, &mut scratch);
                let dev: Vec<f64> = data.iter().map(|v| (v - med).abs()).collect();
                median_f64(&dev, &mut scratch) * 1.482_602_218_505_602
            }
        };
        let (lo, hi) = (cen - std * lo_sig, cen + std * hi_sig);
        let before = data.len();
        data.retain(|&v| v >= lo && v <= hi);
        if data.len() == before {
            break;
        }
    }
    if data.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = mean_f64(&data);
    let median = median_f64(&data, &mut scratch);
    let std = std_f64(&data, params.std_ddof);
    (mean, median, std)
}

/// Pairwise sum as numpy's (blocks of 8 below 128 elements), for agreement with its
/// rounding on long arrays.
fn pairwise_sum(v: &[f64]) -> f64 {
    if v.len() < 8 {
        v.iter().sum()
    } else if v.len() <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&v[..8]);
        let mut i = 8;
        while i + 8 <= v.len() {
            for k in 0..8 {
                r[k] += v[i + k];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &v[i..] {
            s += x;
        }
        s
    } else {
        let mut n2 = v.len() / 2;
        n2 -= n2 % 8;
        pairwise_sum(&v[..n2]) + pairwise_sum(&v[n2..])
    }
}

fn mean_f64(v: &[f64]) -> f64 {
    pairwise_sum(v) / v.len() as f64
}

fn std_f64(v: &[f64], ddof: usize) -> f64 {
    let m = mean_f64(v);
    let sq: Vec<f64> = v.iter().map(|x| (x - m) * (x - m)).collect();
    (pairwise_sum(&sq) / (v.len() as f64 - ddof as f64)).sqrt()
}

fn median_f64(v: &[f64], scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend_from_slice(v);
    let n = scratch.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut hi, _) = scratch.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        hi
    } else {
        let lo = scratch[..n / 2]
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(hi);
        (lo + hi) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_matches_plain_sum_on_integers() {
        let v: Vec<f64> = (0..1000).map(f64::from).collect();
        assert_eq!(pairwise_sum(&v), 499_500.0);
    }

    #[test]
    fn one_statistic_only_gives_the_same_values() {
        let a: Vec<f32> = (0..5000)
            .map(|i| 100.0 + ((i * 37) % 101) as f32 * 0.37 + if i % 89 == 0 { 900.0 } else { 0.0 })
            .collect();
        let b: Vec<f32> = a.iter().rev().map(|v| v * 0.5 - 3.0).collect();
        let lists = [&a[..], &b[..]];
        let p = ClipParams::default();
        let all = clipped_stats_many(&lists, &p);
        for which in [
            SkyStatistic::Mean,
            SkyStatistic::Median,
            SkyStatistic::Mode,
            SkyStatistic::Midpt,
        ] {
            let only = clipped_stats_many_for(&lists, &p, Some(which));
            for (x, y) in all.iter().zip(&only) {
                let (x, y) = (x.as_ref().unwrap(), y.as_ref().unwrap());
                assert_eq!(x.get(which).to_bits(), y.get(which).to_bits(), "{which:?}");
                assert_eq!((x.npix, x.nbins), (y.npix, y.nbins));
                assert_eq!(x.mean.to_bits(), y.mean.to_bits());
                assert_eq!(x.stddev.to_bits(), y.stddev.to_bits());
            }
        }
    }

    #[test]
    fn clipped_errors() {
        assert!(clipped_stats(&[f32::NAN], &ClipParams::default()).is_err());
        let p = ClipParams {
            lower: Some(10.0),
            ..Default::default()
        };
        assert!(clipped_stats(&[1.0, 2.0], &p).is_err());
        let p = ClipParams {
            lsig: 0.0,
            ..Default::default()
        };
        assert!(clipped_stats(&[1.0, 2.0], &p).is_err());
    }

    #[test]
    fn median_is_that_of_the_pixels_in_the_last_range() {
        for n in [5usize, 6, 101, 1000, 1001] {
            let v: Vec<f32> = (0..n)
                .map(|i| {
                    let h = (i * 2654435761) % 1013;
                    if h % 97 == 0 { 1.0e4 } else { h as f32 * 0.25 }
                })
                .collect();
            let p = ClipParams {
                nclip: 3,
                lsig: 2.0,
                usig: 2.0,
                ..Default::default()
            };
            let s = clipped_stats(&v, &p).unwrap();
            let mut inside: Vec<f32> = v
                .iter()
                .copied()
                .filter(|&x| f64::from(x) >= s.min && f64::from(x) <= s.max)
                .collect();
            inside.sort_by(f32::total_cmp);
            let m = inside.len();
            let want = if m % 2 == 1 {
                f64::from(inside[m / 2])
            } else {
                f64::from((inside[m / 2 - 1] + inside[m / 2]) / 2.0)
            };
            assert_eq!(s.median.to_bits(), want.to_bits(), "n = {n}");
            assert_eq!(m, s.npix);
        }
    }

    #[test]
    fn sigma_clip_all_nan() {
        let (a, b, c) = sigma_clipped_stats(&[f32::NAN], &SigmaClip::default());
        assert!(a.is_nan() && b.is_nan() && c.is_nan());
    }
}
