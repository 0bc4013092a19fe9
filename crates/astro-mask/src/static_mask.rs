//! AstroDrizzle step 1, the static mask: pixels far below the sky mode of their chip.
//!
//! DrizzlePac's `staticMask.py` computes, per chip, `stsci.imagestats.ImageStats(chip,
//! nclip=3, lsig=usig=3, binwidth=0.1, lower=nanmin(chip), upper=nanmax(chip),
//! fields="mode")` and, when its histogram has at least two bins, marks as bad every pixel
//! with `chip < mode − static_sig · stddev`; the masks of all chips with the same
//! detector signature are AND-ed (a pixel stays good only if it is good in every image).
//!
//! [`image_stats`] reproduces ImageStats (stsci.imagestats 1.8) operation by operation,
//! including its `f32` / `f64` mixture, so that mode and stddev agree to the last bit:
//!
//! * clipping: `nclip` passes over the pixels in `[clipmin, clipmax]` (inclusive); after each
//!   pass but the last, `clipmin = max(lower, mean − lsig·stddev)` and
//!   `clipmax = min(upper, mean + usig·stddev)`, rounded to `f32`;
//! * each pass: the sum in `f64` gives the `f32` mean; min/max start from the first pixel
//!   clamped to the clip range (an imagestats quirk we keep); stddev is the two-pass
//!   `sqrt(Σ(x−mean)²/(N−1))` over the pixels within `[min, max]`, squares in `f32`;
//! * the mode: a histogram of *all* pixels (not only the clipped ones) over `[min, max)`
//!   with `nbins = int((max−min)/(binwidth·stddev)) + 1` bins of width
//!   `(max−min)/(nbins−1)`; the peak is refined by a parabola through its neighbours,
//!   expressed in units of `binwidth·stddev` (another quirk we keep);
//! * NaN pixels are never inside a clip range, so they are ignored (but a NaN *first* pixel
//!   makes min and max NaN, as in imagestats, whose next clipping pass then finds no pixel:
//!   the step fails, in drizzlepac with a `ValueError`, here with
//!   [`MaskError::Statistics`]).
//!
//! ```
//! use astro_mask::static_mask::{StaticMask, image_stats, ImageStatsParams};
//! let sky = ndarray::Array2::from_shape_fn((24, 24), |(y, x)| 100.0 + ((x * 5 + y * 3) % 7) as f32);
//! let stats = image_stats(sky.view(), &ImageStatsParams::default())?;
//! let mut mask = StaticMask::new((24, 24), 4.0)?; // static_sig = 4
//! mask.add_chip(sky.view())?;
//! assert!(stats.nbins >= 2 && mask.good().iter().all(|&g| g));
//! # Ok::<(), astro_mask::MaskError>(())
//! ```

use ndarray::{Array2, ArrayView2, Zip};

use crate::error::{MaskError, Result};

/// Parameters of the clipped statistics (stsci.imagestats `ImageStats` names). The default
/// is what DrizzlePac's static mask uses: `nclip = 3`, `lsig = usig = 3`, `binwidth = 0.1`.
///
/// ```
/// let p = astro_mask::ImageStatsParams::default();
/// assert_eq!((p.nclip, p.lsig, p.usig, p.binwidth), (3, 3.0, 3.0, 0.1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageStatsParams {
    /// Number of clipping iterations.
    pub nclip: usize,
    /// Lower clipping limit, in standard deviations.
    pub lsig: f64,
    /// Upper clipping limit, in standard deviations.
    pub usig: f64,
    /// Histogram bin width, in standard deviations.
    pub binwidth: f64,
}

impl Default for ImageStatsParams {
    fn default() -> Self {
        Self {
            nclip: 3,
            lsig: 3.0,
            usig: 3.0,
            binwidth: 0.1,
        }
    }
}

/// Clipped statistics of a chip, as stsci.imagestats reports them.
///
/// ```
/// use astro_mask::{image_stats, ImageStatsParams};
/// let data = ndarray::Array2::from_shape_fn((20, 20), |(y, x)| ((x * 7 + y * 13) % 10) as f32);
/// let s = image_stats(data.view(), &ImageStatsParams::default())?;
/// assert_eq!(s.npix, 400);
/// assert!(s.mode >= 0.0 && s.mode <= 9.0);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ImageStats {
    /// Number of pixels in the last clipping pass.
    pub npix: usize,
    /// Mean of the last pass.
    pub mean: f32,
    /// Standard deviation of the last pass (N−1 normalisation).
    pub stddev: f32,
    /// Minimum of the last pass.
    pub min: f32,
    /// Maximum of the last pass.
    pub max: f32,
    /// Histogram mode.
    pub mode: f64,
    /// Histogram 50 % point (imagestats `midpt`).
    pub midpt: f64,
    /// Number of histogram bins (the static mask needs at least 2).
    pub nbins: usize,
    /// Lower end of the last clipping range (inclusive).
    pub clip_min: f32,
    /// Upper end of the last clipping range (inclusive).
    pub clip_max: f32,
}

struct Pass {
    npix: usize,
    mean: f32,
    stddev: f32,
    min: f32,
    max: f32,
}

/// One clipping pass over the pixels in `[clipmin, clipmax]`; `first` is the first pixel
/// of the whole list (it seeds min/max, as in imagestats). The pixels kept (in their
/// order) are left in `kept`, so that a later pass with a narrower range can run over
/// them instead of the whole list: the same values in the same order give bit-identical
/// sums.
fn clipped_pass(
    first: f32,
    pixels: &[f32],
    clipmin: f32,
    clipmax: f32,
    kept: &mut Vec<f32>,
) -> Pass {
    let mut min = if clipmin > first { clipmin } else { first };
    let mut max = if clipmax < first { clipmax } else { first };
    let mut sum = 0.0f64;
    kept.clear();
    kept.reserve(pixels.len());
    for &v in pixels {
        if v >= clipmin && v <= clipmax {
            min = if v <= min { v } else { min };
            max = if v >= max { v } else { max };
            sum += f64::from(v);
            kept.push(v);
        }
    }
    let npix = kept.len();
    let mean = (sum / npix as f64) as f32;
    // min ≥ clipmin and max ≤ clipmax, so every pixel in [min, max] is in `kept`.
    let mut sumdiff = 0.0f64;
    for &v in kept.iter() {
        if v >= min && v <= max {
            let d = v - mean;
            sumdiff += f64::from(d * d);
        }
    }
    let stddev = (sumdiff / (npix as f64 - 1.0)).sqrt() as f32;
    Pass {
        npix,
        mean,
        stddev,
        min,
        max,
    }
}

/// Largest number of histogram bins accepted (imagestats would try to allocate any number).
const MAX_BINS: f64 = 1.0e7;

/// stsci.imagestats `ImageStats(data, nclip, lsig, usig, binwidth, lower=nanmin(data),
/// upper=nanmax(data), fields="mode")`; see the [module documentation](self) for the exact
/// arithmetic.
///
/// Errors: no non-NaN pixel, a clipping pass that keeps no pixel, non-positive `lsig`,
/// `usig` or `binwidth`, or a histogram of more than 10⁷ bins.
///
/// ```
/// use astro_mask::{image_stats, ImageStatsParams};
/// use ndarray::array;
/// let s = image_stats(array![[1.0f32, 2.0, 2.0, 3.0, f32::NAN]].view(), &ImageStatsParams::default())?;
/// assert_eq!((s.npix, s.mean, s.stddev), (4, 2.0, 0.8164966));
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn image_stats(data: ArrayView2<'_, f32>, params: &ImageStatsParams) -> Result<ImageStats> {
    check_params(params)?;
    let pixels: Vec<f32> = data.iter().copied().collect();
    let mut finite = pixels.iter().copied().filter(|v| !v.is_nan());
    let Some(first) = finite.next() else {
        return Err(MaskError::Statistics("no pixel that is not NaN".into()));
    };
    let (lower, upper) = finite.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)));
    image_stats_slice(&pixels, lower, upper, params)
}

fn check_params(params: &ImageStatsParams) -> Result<()> {
    for (name, v) in [
        ("lsig", params.lsig),
        ("usig", params.usig),
        ("binwidth", params.binwidth),
    ] {
        if !(v > 0.0 && v.is_finite()) {
            return Err(MaskError::Parameter {
                name,
                reason: format!("{v} is not a positive number"),
            });
        }
    }
    Ok(())
}

/// The core of stsci.imagestats over a list of pixels, with the data cutoffs `lower` and
/// `upper` given: the clipping passes, then the histogram mode and 50 % point. Shared by
/// [`image_stats`] (the static mask) and the sky statistics of `astro-combine`.
///
/// The first pixel seeds the pass minimum and maximum, as in imagestats, so callers that
/// want NaN ignored drop NaN first (a leading NaN makes the statistics NaN or an error).
///
/// Errors: non-positive `lsig`, `usig` or `binwidth`, an empty list, a clipping pass that
/// keeps no pixel, or a histogram of more than 10⁷ bins.
///
/// ```
/// use astro_mask::{image_stats_slice, ImageStatsParams};
/// let s = image_stats_slice(&[1.0, 2.0, 2.0, 3.0, 50.0], 1.0, 3.0, &ImageStatsParams::default())?;
/// assert_eq!((s.npix, s.mean, s.clip_max), (4, 2.0, 3.0)); // 50 lies above `upper`
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn image_stats_slice(
    pixels: &[f32],
    lower: f32,
    upper: f32,
    params: &ImageStatsParams,
) -> Result<ImageStats> {
    check_params(params)?;
    if pixels.is_empty() {
        return Err(MaskError::Statistics("no pixel".into()));
    }
    let (mut clipmin, mut clipmax) = (lower, upper);
    let first = pixels[0];
    // `prev` holds the pixels of the previous pass, within [prev_lo, prev_hi].
    let (mut prev, mut cur) = (Vec::new(), Vec::new());
    let mut pass = clipped_pass(first, pixels, clipmin, clipmax, &mut prev);
    let (mut prev_lo, mut prev_hi) = (clipmin, clipmax);
    for iter in 0..=params.nclip {
        if iter > 0 {
            let source: &[f32] = if clipmin >= prev_lo && clipmax <= prev_hi {
                &prev
            } else {
                pixels
            };
            pass = clipped_pass(first, source, clipmin, clipmax, &mut cur);
            std::mem::swap(&mut prev, &mut cur);
            (prev_lo, prev_hi) = (clipmin, clipmax);
        }
        if pass.npix == 0 {
            return Err(MaskError::Statistics(format!(
                "no pixel within [{clipmin}, {clipmax}] in clipping iteration {iter}"
            )));
        }
        if iter < params.nclip {
            let (mean, sd) = (f64::from(pass.mean), f64::from(pass.stddev));
            let lo = mean - params.lsig * sd;
            let hi = mean + params.usig * sd;
            // Python's max()/min(): the first argument unless the second is strictly beyond.
            clipmin = if lo > f64::from(lower) {
                lo as f32
            } else {
                lower
            };
            clipmax = if hi < f64::from(upper) {
                hi as f32
            } else {
                upper
            };
        }
    }

    let (min, max) = (f64::from(pass.min), f64::from(pass.max));
    let hwidth = params.binwidth * f64::from(pass.stddev);
    let drange = max - min;
    let min_float = 10.0 * f32::EPSILON;
    let (nbins, dz) =
        if (hwidth as f32) < min_float || (drange.abs() as f32) < min_float || hwidth > drange {
            (1usize, drange)
        } else {
            let n = (drange / hwidth).trunc() + 1.0;
            if n > MAX_BINS {
                return Err(MaskError::Statistics(format!(
                    "the mode histogram would need {n} bins (binwidth·stddev = {hwidth})"
                )));
            }
            let n = n as usize;
            (n, drange / (n - 1) as f64)
        };

    let bin_width = dz as f32;
    let lo_edge = pass.min;
    let hi_edge = lo_edge + bin_width * nbins as f32;
    let mut hist = vec![0u32; nbins];
    // Counting does not depend on the order: the last pass's pixels suffice when the
    // histogram range lies within its clipping range.
    let source: &[f32] = if lo_edge >= prev_lo && hi_edge <= prev_hi {
        &prev
    } else {
        pixels
    };
    for &v in source {
        if v >= lo_edge && v < hi_edge {
            let idx = (f64::from(v - lo_edge) / f64::from(bin_width)) as i64;
            let idx = idx.clamp(0, nbins as i64 - 1) as usize;
            hist[idx] += 1;
        }
    }

    let mode = match nbins {
        1 => min + 0.5 * hwidth,
        2 => match hist[0].cmp(&hist[1]) {
            std::cmp::Ordering::Greater => min + 0.5 * hwidth,
            std::cmp::Ordering::Less => min + 1.5 * hwidth,
            std::cmp::Ordering::Equal => min + hwidth,
        },
        _ => {
            let peak_value = hist.iter().copied().max().unwrap_or(0);
            let peak = hist.iter().position(|&h| h == peak_value).unwrap_or(0);
            if peak == 0 {
                min + 0.5 * hwidth
            } else if peak == nbins - 1 {
                min + (nbins as f64 - 0.5) * hwidth
            } else {
                let dh1 = hist[peak] - hist[peak - 1];
                let dh2 = hist[peak] - hist[peak + 1];
                let denom = u64::from(dh1) + u64::from(dh2);
                if denom == 0 {
                    min + (peak as f64 + 0.5) * hwidth
                } else {
                    let m = peak as f64
                        + 1.0
                        + 0.5 * (i64::from(dh1) - i64::from(dh2)) as f64 / denom as f64;
                    min + (m - 0.5) * hwidth
                }
            }
        }
    };

    let midpt = if nbins > 1 {
        // Cumulative histogram normalised in f32, as imagestats does.
        let mut cum = Vec::with_capacity(nbins);
        let mut acc = 0u64;
        for &h in &hist {
            acc += u64::from(h);
            cum.push(acc as f32);
        }
        let total = *cum.last().unwrap_or(&1.0);
        for c in &mut cum {
            *c /= total;
        }
        let lo = cum.iter().position(|&c| c >= 0.5).unwrap_or(nbins - 1);
        let h1 = min + lo as f64 * hwidth;
        let hdiff = if lo == 0 {
            cum[lo]
        } else {
            cum[lo] - cum[lo - 1]
        };
        if hdiff == 0.0 {
            h1
        } else if lo == 0 {
            h1 + f64::from(0.5 / hdiff) * hwidth
        } else {
            h1 + f64::from((0.5 - cum[lo - 1]) / hdiff) * hwidth
        }
    } else {
        f64::from(hist[0])
    };

    Ok(ImageStats {
        npix: pass.npix,
        mean: pass.mean,
        stddev: pass.stddev,
        min: pass.min,
        max: pass.max,
        mode,
        midpt,
        nbins,
        clip_min: clipmin,
        clip_max: clipmax,
    })
}

/// The static mask of one detector signature, accumulated over chips (AstroDrizzle step 1).
///
/// `true` = good, as DrizzlePac's mask value 1. Each [`StaticMask::add_chip`] AND-s in the
/// chip's own mask.
///
/// ```
/// use astro_mask::StaticMask;
/// use ndarray::Array2;
/// let mut chip = Array2::from_shape_fn((32, 32), |(y, x)| ((x * 7 + y * 3) % 11) as f32);
/// chip[[5, 5]] = -1000.0; // badly over-subtracted dark
/// let mut mask = StaticMask::new((32, 32), 4.0)?;
/// mask.add_chip(chip.view())?;
/// assert!(!mask.good()[[5, 5]]);
/// assert_eq!(mask.good().iter().filter(|&&g| !g).count(), 1);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StaticMask {
    good: Array2<bool>,
    static_sig: f64,
}

impl StaticMask {
    /// An all-good mask of shape `(ny, nx)`; `static_sig` is AstroDrizzle's parameter
    /// (default 4.0), which must be finite.
    ///
    /// ```
    /// let mask = astro_mask::StaticMask::new((4, 6), 4.0)?;
    /// assert!(mask.good().iter().all(|&g| g));
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn new(shape: (usize, usize), static_sig: f64) -> Result<Self> {
        if !static_sig.is_finite() {
            return Err(MaskError::Parameter {
                name: "static_sig",
                reason: format!("{static_sig} is not finite"),
            });
        }
        Ok(Self {
            good: Array2::from_elem(shape, true),
            static_sig,
        })
    }

    /// Adds one chip (science data in its native units): computes its [`image_stats`] with
    /// the default parameters and, when the histogram has at least 2 bins, marks
    /// `data < mode − static_sig·stddev` as bad (the threshold compared in `f32`, as numpy
    /// does). Returns the statistics.
    ///
    /// Errors when the chip's shape differs from the mask's or its statistics fail.
    ///
    /// ```
    /// use astro_mask::StaticMask;
    /// let mut mask = StaticMask::new((2, 2), 4.0)?;
    /// assert!(mask.add_chip(ndarray::Array2::zeros((3, 3)).view()).is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn add_chip(&mut self, data: ArrayView2<'_, f32>) -> Result<ImageStats> {
        if data.dim() != self.good.dim() {
            return Err(MaskError::Shape {
                what: "static-mask chip",
                expected: self.good.dim(),
                found: data.dim(),
            });
        }
        let stats = image_stats(data, &ImageStatsParams::default())?;
        if stats.nbins >= 2 {
            let threshold = (stats.mode - self.static_sig * f64::from(stats.stddev)) as f32;
            Zip::from(&mut self.good).and(&data).for_each(|g, &v| {
                // NaN is never below the threshold: it stays good, as in numpy.
                let below = v.partial_cmp(&threshold) == Some(std::cmp::Ordering::Less);
                *g &= !below;
            });
        }
        Ok(stats)
    }

    /// The mask: `true` = good.
    ///
    /// ```
    /// let mask = astro_mask::StaticMask::new((1, 1), 4.0)?;
    /// assert!(mask.good()[[0, 0]]);
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn good(&self) -> ArrayView2<'_, bool> {
        self.good.view()
    }

    /// The mask, consumed: `true` = good.
    ///
    /// ```
    /// let mask = astro_mask::StaticMask::new((1, 2), 4.0)?.into_good();
    /// assert_eq!(mask.dim(), (1, 2));
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn into_good(self) -> Array2<bool> {
        self.good
    }

    /// The `static_sig` this mask was built with.
    ///
    /// ```
    /// assert_eq!(astro_mask::StaticMask::new((1, 1), 3.5)?.static_sig(), 3.5);
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn static_sig(&self) -> f64 {
        self.static_sig
    }
}

/// The static mask of a single chip (`true` = good) and its statistics: a one-chip
/// [`StaticMask`].
///
/// ```
/// use astro_mask::static_mask;
/// let mut chip = ndarray::Array2::from_shape_fn((16, 16), |(y, x)| ((x + 3 * y) % 5) as f32);
/// chip[[0, 3]] = -50.0;
/// let (good, stats) = static_mask(chip.view(), 4.0)?;
/// assert!(!good[[0, 3]] && stats.nbins >= 2);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn static_mask(
    data: ArrayView2<'_, f32>,
    static_sig: f64,
) -> Result<(Array2<bool>, ImageStats)> {
    let mut mask = StaticMask::new(data.dim(), static_sig)?;
    let stats = mask.add_chip(data)?;
    Ok((mask.into_good(), stats))
}
