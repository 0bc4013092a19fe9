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
    /// Whether to fill the histogram for `mode` and `midpt` (default `true`). When
    /// `false`, both are NaN and the pass over the pixels that fills it is skipped (for a
    /// caller that needs only the clipped npix/mean/stddev/min/max); `nbins` is computed
    /// and its bound checked all the same, so the errors are those of a full run.
    ///
    /// ```
    /// use astro_mask::{image_stats_slice, ImageStatsParams};
    /// let v: Vec<f32> = (0..100).map(|i| (i % 10) as f32).collect();
    /// let full = image_stats_slice(&v, 0.0, 9.0, &ImageStatsParams::default())?;
    /// let p = ImageStatsParams { histogram: false, ..Default::default() };
    /// let s = image_stats_slice(&v, 0.0, 9.0, &p)?;
    /// assert_eq!((s.npix, s.mean, s.stddev, s.nbins), (full.npix, full.mean, full.stddev, full.nbins));
    /// assert!(s.mode.is_nan() && s.midpt.is_nan());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub histogram: bool,
}

impl Default for ImageStatsParams {
    fn default() -> Self {
        Self {
            nclip: 3,
            lsig: 3.0,
            usig: 3.0,
            binwidth: 0.1,
            histogram: true,
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

#[derive(Debug, Clone, Copy)]
struct Pass {
    npix: usize,
    mean: f32,
    stddev: f32,
    min: f32,
    max: f32,
}

/// Most statistics computed in lockstep by one call of the pass kernel.
const LOCKSTEP: usize = 4;

/// One clipping pass of `K` independent pixel lists in lockstep: for list `j`, the pixels
/// of `src[j]` in `[lo[j], hi[j]]` (inclusive) are copied, in order, to the start of
/// `out[j]` (at least as long as `src[j]`); `first[j]` is the first pixel of that list's
/// whole data (it seeds min/max, as in imagestats). Each list's sums run in its own
/// order, exactly as a pass over that list alone: the lists only share the loop, which
/// keeps `K` independent addition chains in flight instead of one (the sums, being
/// sequential, are latency-bound).
#[allow(clippy::needless_range_loop)] // element i of each of the K lists, in lockstep
fn clipped_pass_k<const K: usize>(
    src: [&[f32]; K],
    out: [&mut [f32]; K],
    first: [f32; K],
    lo: [f32; K],
    hi: [f32; K],
) -> [Pass; K] {
    let mut min: [f32; K] =
        std::array::from_fn(|j| if lo[j] > first[j] { lo[j] } else { first[j] });
    let mut max: [f32; K] =
        std::array::from_fn(|j| if hi[j] < first[j] { hi[j] } else { first[j] });
    let mut sum = [0.0f64; K];
    let mut n = [0usize; K];
    let common = src.iter().map(|s| s.len()).min().unwrap_or(0);
    for i in 0..common {
        for j in 0..K {
            let v = src[j][i];
            if v >= lo[j] && v <= hi[j] {
                min[j] = if v <= min[j] { v } else { min[j] };
                max[j] = if v >= max[j] { v } else { max[j] };
                sum[j] += f64::from(v);
                out[j][n[j]] = v;
                n[j] += 1;
            }
        }
    }
    for j in 0..K {
        let (o, (mut mn, mut mx, mut s, mut k)) = (&mut *out[j], (min[j], max[j], sum[j], n[j]));
        for &v in &src[j][common..] {
            if v >= lo[j] && v <= hi[j] {
                mn = if v <= mn { v } else { mn };
                mx = if v >= mx { v } else { mx };
                s += f64::from(v);
                o[k] = v;
                k += 1;
            }
        }
        (min[j], max[j], sum[j], n[j]) = (mn, mx, s, k);
    }
    let mean: [f32; K] = std::array::from_fn(|j| (sum[j] / n[j] as f64) as f32);
    // Σ(x − mean)² over the kept pixels within [min, max]. Unless min or max is NaN (a NaN
    // first pixel), min ≤ every kept pixel ≤ max (both start at `first` clamped to the
    // clipping range, which holds every kept pixel), so the test can be skipped.
    let mut sumdiff = [0.0f64; K];
    if (0..K).all(|j| min[j] <= max[j]) {
        let common = n.iter().copied().min().unwrap_or(0);
        for i in 0..common {
            for j in 0..K {
                let d = out[j][i] - mean[j];
                sumdiff[j] += f64::from(d * d);
            }
        }
        for j in 0..K {
            for &v in &out[j][common..n[j]] {
                let d = v - mean[j];
                sumdiff[j] += f64::from(d * d);
            }
        }
    } else {
        for j in 0..K {
            for &v in &out[j][..n[j]] {
                if v >= min[j] && v <= max[j] {
                    let d = v - mean[j];
                    sumdiff[j] += f64::from(d * d);
                }
            }
        }
    }
    std::array::from_fn(|j| Pass {
        npix: n[j],
        mean: mean[j],
        stddev: (sumdiff[j] / (n[j] as f64 - 1.0)).sqrt() as f32,
        min: min[j],
        max: max[j],
    })
}

/// The clipping state of one list of [`image_stats_slices`].
struct Job<'a> {
    pixels: &'a [f32],
    lower: f32,
    upper: f32,
    clipmin: f32,
    clipmax: f32,
    /// The pixels kept by the last pass (the first `prev_len`), within `[prev_lo, prev_hi]`.
    prev: Vec<f32>,
    prev_len: usize,
    prev_lo: f32,
    prev_hi: f32,
    /// The buffer the next pass writes.
    cur: Vec<f32>,
    pass: Option<Pass>,
    /// Set when a pass kept no pixel.
    failed: Option<MaskError>,
}

impl Job<'_> {
    /// The pixels pass `iter` runs over: a later pass with a range within the previous
    /// one runs over the previous pass's pixels (the same values in the same order give
    /// bit-identical sums).
    fn source_is_prev(&self, iter: usize) -> bool {
        iter > 0 && self.clipmin >= self.prev_lo && self.clipmax <= self.prev_hi
    }
}

/// Runs pass `iter` of the jobs (at most [`LOCKSTEP`]) in lockstep.
fn run_pass(jobs: &mut [&mut Job<'_>], iter: usize) {
    let k = jobs.len();
    let (mut srcs, mut outs) = (Vec::with_capacity(k), Vec::with_capacity(k));
    let (mut first, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
    for j in jobs.iter_mut() {
        let j: &mut Job<'_> = j;
        let src: &[f32] = if j.source_is_prev(iter) {
            &j.prev[..j.prev_len]
        } else {
            j.pixels
        };
        srcs.push(src);
        outs.push(&mut j.cur[..]);
        first.push(j.pixels[0]);
        lo.push(j.clipmin);
        hi.push(j.clipmax);
    }
    macro_rules! go {
        ($k:literal) => {
            clipped_pass_k::<$k>(
                srcs.try_into().expect("K lists"),
                outs.try_into().expect("K buffers"),
                first.try_into().expect("K values"),
                lo.try_into().expect("K values"),
                hi.try_into().expect("K values"),
            )
            .to_vec()
        };
    }
    let passes = match k {
        0 => return,
        1 => go!(1),
        2 => go!(2),
        3 => go!(3),
        _ => go!(4),
    };
    for (j, p) in jobs.iter_mut().zip(passes) {
        std::mem::swap(&mut j.prev, &mut j.cur);
        j.prev_len = p.npix;
        (j.prev_lo, j.prev_hi) = (j.clipmin, j.clipmax);
        j.pass = Some(p);
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
    image_stats_many(&[data], params)
        .pop()
        .expect("one result per image")
}

/// [`image_stats`] of several images at once, on the calling thread (their clipping
/// passes in lockstep, as [`image_stats_slices`]): the same results, bit for bit, in the
/// same order.
///
/// ```
/// use astro_mask::{image_stats, image_stats_many, ImageStatsParams};
/// let p = ImageStatsParams::default();
/// let a = ndarray::Array2::from_shape_fn((20, 20), |(y, x)| ((x * 7 + y * 13) % 10) as f32);
/// let b = a.t().mapv(|v| v * 2.0 + 1.0);
/// let both = image_stats_many(&[a.view(), b.view()], &p);
/// assert_eq!(both[0], image_stats(a.view(), &p));
/// assert_eq!(both[1], image_stats(b.view(), &p));
/// ```
pub fn image_stats_many(
    data: &[ArrayView2<'_, f32>],
    params: &ImageStatsParams,
) -> Vec<Result<ImageStats>> {
    if let Err(e) = check_params(params) {
        return data.iter().map(|_| Err(e.clone())).collect();
    }
    // The pixels in memory order (no copy for an array in standard layout).
    let pixels: Vec<std::borrow::Cow<'_, [f32]>> = data
        .iter()
        .map(|d| match d.as_slice() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(d.iter().copied().collect()),
        })
        .collect();
    let ranges: Vec<Option<(f32, f32)>> = pixels
        .iter()
        .map(|p| {
            let mut finite = p.iter().copied().filter(|v| !v.is_nan());
            let first = finite.next()?;
            Some(finite.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
        })
        .collect();
    let lists: Vec<(&[f32], f32, f32)> = pixels
        .iter()
        .zip(&ranges)
        .filter_map(|(p, r)| r.map(|(lo, hi)| (&p[..], lo, hi)))
        .collect();
    let mut stats = image_stats_slices(&lists, params).into_iter();
    ranges
        .iter()
        .map(|r| match r {
            Some(_) => stats.next().expect("one result per list"),
            None => Err(MaskError::Statistics("no pixel that is not NaN".into())),
        })
        .collect()
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
    image_stats_slices(&[(pixels, lower, upper)], params)
        .pop()
        .expect("one result per list")
}

/// [`image_stats_slice`] of several pixel lists at once, on the calling thread: the
/// results are those of [`image_stats_slice`] on each `(pixels, lower, upper)` alone, bit
/// for bit, in the same order. The clipping passes of up to 4 lists run in lockstep (one
/// loop, one sequential sum per list), which takes little more time than one list: the
/// passes' sums, which must stay sequential to give the same bits, are limited by the
/// latency of one addition after another, not by the processor's throughput.
///
/// ```
/// use astro_mask::{image_stats_slice, image_stats_slices, ImageStatsParams};
/// let p = ImageStatsParams::default();
/// let a: Vec<f32> = (0..500).map(|i| ((i * 7) % 13) as f32).collect();
/// let b: Vec<f32> = (0..300).map(|i| ((i * 5) % 11) as f32 - 4.0).collect();
/// let both = image_stats_slices(&[(&a, 0.0, 12.0), (&b, -4.0, 6.0), (&[], 0.0, 1.0)], &p);
/// assert_eq!(both[0], image_stats_slice(&a, 0.0, 12.0, &p));
/// assert_eq!(both[1], image_stats_slice(&b, -4.0, 6.0, &p));
/// assert!(both[2].is_err()); // an empty list
/// ```
pub fn image_stats_slices(
    lists: &[(&[f32], f32, f32)],
    params: &ImageStatsParams,
) -> Vec<Result<ImageStats>> {
    image_stats_slices_kept(lists, params)
        .into_iter()
        .map(|r| r.map(|(s, _)| s))
        .collect()
}

/// [`image_stats_slices`], each list's statistics with the pixels its last clipping pass
/// kept: those of the list within `[clip_min, clip_max]`, in list order (the whole list
/// when it is within `[lower, upper]` and `nclip` is 0), e.g. for a median of the clipped
/// pixels without another pass over the list.
///
/// ```
/// use astro_mask::{image_stats_slices_kept, ImageStatsParams};
/// let v = [1.0f32, 2.0, 2.0, 3.0, 50.0];
/// let r = image_stats_slices_kept(&[(&v, 1.0, 50.0)], &ImageStatsParams { nclip: 1, ..Default::default() });
/// let (stats, kept) = r[0].as_ref().unwrap();
/// let inside: Vec<f32> = v.iter().copied().filter(|&x| x >= stats.clip_min && x <= stats.clip_max).collect();
/// assert_eq!(kept, &inside);
/// ```
pub fn image_stats_slices_kept(
    lists: &[(&[f32], f32, f32)],
    params: &ImageStatsParams,
) -> Vec<Result<(ImageStats, Vec<f32>)>> {
    if let Err(e) = check_params(params) {
        return lists.iter().map(|_| Err(e.clone())).collect();
    }
    let mut jobs: Vec<Job<'_>> = lists
        .iter()
        .map(|&(pixels, lower, upper)| Job {
            pixels,
            lower,
            upper,
            clipmin: lower,
            clipmax: upper,
            prev: Vec::new(),
            prev_len: 0,
            prev_lo: lower,
            prev_hi: upper,
            cur: Vec::new(),
            pass: None,
            failed: pixels
                .is_empty()
                .then(|| MaskError::Statistics("no pixel".into())),
        })
        .collect();
    for iter in 0..=params.nclip {
        let mut active: Vec<&mut Job<'_>> =
            jobs.iter_mut().filter(|j| j.failed.is_none()).collect();
        for j in active.iter_mut() {
            if j.cur.len() < j.pixels.len() {
                j.cur = vec![0.0; j.pixels.len()];
            }
        }
        for chunk in active.chunks_mut(LOCKSTEP) {
            run_pass(chunk, iter);
        }
        for j in active {
            let pass = j.pass.expect("the pass ran");
            if pass.npix == 0 {
                j.failed = Some(MaskError::Statistics(format!(
                    "no pixel within [{}, {}] in clipping iteration {iter}",
                    j.clipmin, j.clipmax
                )));
                continue;
            }
            if iter < params.nclip {
                let (mean, sd) = (f64::from(pass.mean), f64::from(pass.stddev));
                let lo = mean - params.lsig * sd;
                let hi = mean + params.usig * sd;
                // Python's max()/min(): the first argument unless the second is strictly beyond.
                j.clipmin = if lo > f64::from(j.lower) {
                    lo as f32
                } else {
                    j.lower
                };
                j.clipmax = if hi < f64::from(j.upper) {
                    hi as f32
                } else {
                    j.upper
                };
            }
        }
    }
    jobs.into_iter()
        .map(|mut j| match &j.failed {
            Some(e) => Err(e.clone()),
            None => finish(&j, params).map(|s| {
                drop(std::mem::take(&mut j.cur));
                j.prev.truncate(j.prev_len);
                (s, j.prev)
            }),
        })
        .collect()
}

/// The histogram mode and 50 % point of a job whose clipping passes are done.
fn finish(job: &Job<'_>, params: &ImageStatsParams) -> Result<ImageStats> {
    let pass = job.pass.expect("at least one pass");
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

    if !params.histogram {
        return Ok(ImageStats {
            npix: pass.npix,
            mean: pass.mean,
            stddev: pass.stddev,
            min: pass.min,
            max: pass.max,
            mode: f64::NAN,
            midpt: f64::NAN,
            nbins,
            clip_min: job.clipmin,
            clip_max: job.clipmax,
        });
    }
    let bin_width = dz as f32;
    let lo_edge = pass.min;
    let hi_edge = lo_edge + bin_width * nbins as f32;
    let mut hist = vec![0u32; nbins];
    // Counting does not depend on the order: the last pass's pixels suffice when the
    // histogram range lies within its clipping range.
    let source: &[f32] = if lo_edge >= job.prev_lo && hi_edge <= job.prev_hi {
        &job.prev[..job.prev_len]
    } else {
        job.pixels
    };
    let bin = |v: f32| -> Option<usize> {
        if v >= lo_edge && v < hi_edge {
            let idx = (f64::from(v - lo_edge) / f64::from(bin_width)) as i64;
            Some(idx.clamp(0, nbins as i64 - 1) as usize)
        } else {
            None
        }
    };
    // Four partial histograms, pixel i counted in partial i % 4, then added: the same
    // integer counts, without the chain of increments of one bin (neighbouring sky
    // pixels mostly fall in the same bin, and each increment waited for the previous).
    let mut part = vec![[0u32; 4]; nbins];
    let mut quads = source.chunks_exact(4);
    for q in &mut quads {
        for (k, &v) in q.iter().enumerate() {
            if let Some(b) = bin(v) {
                part[b][k] += 1;
            }
        }
    }
    for &v in quads.remainder() {
        if let Some(b) = bin(v) {
            part[b][0] += 1;
        }
    }
    for (h, p) in hist.iter_mut().zip(&part) {
        *h = p[0] + p[1] + p[2] + p[3];
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
        clip_min: job.clipmin,
        clip_max: job.clipmax,
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
        self.apply(data, &stats);
        Ok(stats)
    }

    /// Marks `data < mode − static_sig·stddev` as bad when the histogram has at least 2
    /// bins (the shapes already checked).
    fn apply(&mut self, data: ArrayView2<'_, f32>, stats: &ImageStats) {
        if stats.nbins >= 2 {
            let threshold = (stats.mode - self.static_sig * f64::from(stats.stddev)) as f32;
            Zip::from(&mut self.good).and(&data).for_each(|g, &v| {
                // NaN is never below the threshold: it stays good, as in numpy.
                let below = v.partial_cmp(&threshold) == Some(std::cmp::Ordering::Less);
                *g &= !below;
            });
        }
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

/// [`static_mask`] of several chips at once, on the calling thread (their statistics
/// computed together by [`image_stats_many`]): the same masks and statistics, in order.
///
/// ```
/// use astro_mask::{static_mask, static_mask_many};
/// let mut a = ndarray::Array2::from_shape_fn((16, 16), |(y, x)| ((x + 3 * y) % 5) as f32);
/// a[[0, 3]] = -50.0;
/// let b = a.t().to_owned();
/// let both = static_mask_many(&[a.view(), b.view()], 4.0);
/// assert_eq!(both[0], static_mask(a.view(), 4.0));
/// assert!(!both[1].as_ref().unwrap().0[[3, 0]]);
/// ```
pub fn static_mask_many(
    data: &[ArrayView2<'_, f32>],
    static_sig: f64,
) -> Vec<Result<(Array2<bool>, ImageStats)>> {
    let stats = image_stats_many(data, &ImageStatsParams::default());
    data.iter()
        .zip(stats)
        .map(|(d, s)| {
            let mut mask = StaticMask::new(d.dim(), static_sig)?;
            let s = s?;
            mask.apply(*d, &s);
            Ok((mask.into_good(), s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The single-list pass as it was before the lockstep kernel (reference).
    fn reference_pass(first: f32, pixels: &[f32], clipmin: f32, clipmax: f32) -> (Pass, Vec<f32>) {
        let mut min = if clipmin > first { clipmin } else { first };
        let mut max = if clipmax < first { clipmax } else { first };
        let mut sum = 0.0f64;
        let mut kept = Vec::new();
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
        let mut sumdiff = 0.0f64;
        for &v in &kept {
            if v >= min && v <= max {
                let d = v - mean;
                sumdiff += f64::from(d * d);
            }
        }
        let stddev = (sumdiff / (npix as f64 - 1.0)).sqrt() as f32;
        (
            Pass {
                npix,
                mean,
                stddev,
                min,
                max,
            },
            kept,
        )
    }

    /// Deterministic noisy pixels with outliers, tiny values and an optional NaN first.
    fn pixels(n: usize, seed: u64, nan_first: bool) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut v: Vec<f32> = (0..n)
            .map(|i| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (s >> 40) as f32 / (1u64 << 24) as f32;
                match i % 97 {
                    0 => 1.0e4 * u,
                    1 => -300.0 * u,
                    2 => 1.0e-7 * u,
                    _ => 150.0 + 40.0 * (u - 0.5) + (i % 7) as f32 * 0.013,
                }
            })
            .collect();
        if nan_first && !v.is_empty() {
            v[0] = f32::NAN;
        }
        v
    }

    #[test]
    fn lockstep_pass_matches_the_single_pass() {
        let lists: Vec<Vec<f32>> = (0..4)
            .map(|k| pixels(1000 + 37 * k, k as u64, k == 2))
            .collect();
        let first: [f32; 4] = std::array::from_fn(|j| lists[j][0]);
        let lo = [-400.0, 140.0, 100.0, f32::MIN];
        let hi = [1.0e5, 160.0, 200.0, 151.0];
        let mut bufs: Vec<Vec<f32>> = lists.iter().map(|l| vec![0.0; l.len()]).collect();
        let mut it = bufs.iter_mut();
        let outs: [&mut [f32]; 4] = std::array::from_fn(|_| &mut it.next().unwrap()[..]);
        let src: [&[f32]; 4] = std::array::from_fn(|j| &lists[j][..]);
        let got = clipped_pass_k::<4>(src, outs, first, lo, hi);
        for j in 0..4 {
            let (want, kept) = reference_pass(first[j], &lists[j], lo[j], hi[j]);
            let g = got[j];
            assert_eq!(g.npix, want.npix);
            assert_eq!(g.mean.to_bits(), want.mean.to_bits(), "list {j}");
            assert_eq!(g.stddev.to_bits(), want.stddev.to_bits(), "list {j}");
            assert_eq!(g.min.to_bits(), want.min.to_bits());
            assert_eq!(g.max.to_bits(), want.max.to_bits());
            assert_eq!(&bufs[j][..g.npix], &kept[..]);
        }
    }

    #[test]
    fn lists_together_give_the_results_alone() {
        let p = ImageStatsParams::default();
        let lists: Vec<Vec<f32>> = (0..6)
            .map(|k| pixels(800 + 113 * k, 10 + k as u64, k == 4))
            .collect();
        let mut jobs: Vec<(&[f32], f32, f32)> = lists
            .iter()
            .map(|l| (&l[..], -300.0f32, 1.0e4f32))
            .collect();
        jobs.push((&[], 0.0, 1.0)); // empty: an error
        jobs.push((&lists[0], 1.0e6, 2.0e6)); // no pixel in range: an error
        let together = image_stats_slices(&jobs, &p);
        for (j, &(l, lo, hi)) in jobs.iter().enumerate() {
            let alone = image_stats_slice(l, lo, hi, &p);
            match (&together[j], &alone) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.mean.to_bits(), b.mean.to_bits());
                    assert_eq!(a.stddev.to_bits(), b.stddev.to_bits());
                    assert_eq!(a.mode.to_bits(), b.mode.to_bits());
                    assert_eq!(a, b);
                }
                (Err(a), Err(b)) => assert_eq!(a, b),
                other => panic!("list {j}: {other:?}"),
            }
        }
        assert!(together[6].is_err() && together[7].is_err());
    }
}
