//! DAOFind-like source detection, following photutils 3.0 `DAOStarFinder`.

use ndarray::{Array2, ArrayView2};

use crate::error::{Result, invalid};

/// Detection options (DrizzlePac `imagefindpars` / photutils names).
///
/// # Examples
///
/// ```
/// let o = astro_align::DetectOptions::default();
/// assert_eq!((o.conv_width, o.threshold), (3.5, 4.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DetectOptions {
    /// FWHM (pixels) of the Gaussian kernel (`conv_width`, photutils `fwhm`).
    pub conv_width: f64,
    /// Detection threshold in units of `sigma` above the background.
    pub threshold: f64,
    /// Noise sigma of the background; `None` computes it (`computesig`: 1.5 × the
    /// 3-sigma-clipped standard deviation).
    pub sigma: Option<f64>,
    /// Background level subtracted first; `None`: 3-sigma-clipped median.
    pub background: Option<f64>,
    /// Minor/major sigma ratio of the kernel (0 < ratio <= 1).
    pub ratio: f64,
    /// Position angle of the kernel's major axis (degrees, from +x counter-clockwise).
    pub theta: f64,
    /// Kernel truncation radius in sigmas.
    pub sigma_radius: f64,
    /// Lower sharpness limit.
    pub sharplo: f64,
    /// Upper sharpness limit.
    pub sharphi: f64,
    /// Lower roundness limit (both roundness1 and roundness2).
    pub roundlo: f64,
    /// Upper roundness limit.
    pub roundhi: f64,
    /// Minimum peak (background-subtracted data units).
    pub peakmin: Option<f64>,
    /// Maximum peak.
    pub peakmax: Option<f64>,
    /// Minimum flux (sum of the kernel-sized box).
    pub fluxmin: Option<f64>,
    /// Maximum flux.
    pub fluxmax: Option<f64>,
    /// Minimum separation between peaks (pixels); `None`: 2.5 × `conv_width`.
    pub min_separation: Option<f64>,
    /// Keep only the `n` brightest (by flux).
    pub nbrightest: Option<usize>,
    /// How sub-pixel centroids are measured.
    pub centroid: Centroid,
}

/// Sub-pixel centroid method.
///
/// # Examples
///
/// ```
/// assert_eq!(astro_align::Centroid::default(), astro_align::Centroid::Daofind);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Centroid {
    /// DAOFIND's marginal Gaussian fits (photutils `DAOStarFinder` positions).
    #[default]
    Daofind,
    /// Then refine by iterating a Gaussian-windowed centroid (window sigma = kernel
    /// sigma, SExtractor `XWIN`-like): unbiased for symmetric PSFs, best for alignment.
    Windowed,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            conv_width: 3.5,
            threshold: 4.0,
            sigma: None,
            background: None,
            ratio: 1.0,
            theta: 0.0,
            sigma_radius: 1.5,
            sharplo: 0.2,
            sharphi: 1.0,
            roundlo: -1.0,
            roundhi: 1.0,
            peakmin: None,
            peakmax: None,
            fluxmin: None,
            fluxmax: None,
            min_separation: None,
            nbrightest: None,
            centroid: Centroid::Daofind,
        }
    }
}

/// One detected source.
///
/// # Examples
///
/// See [`find_sources`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Source {
    /// Sub-pixel x centroid (0-based).
    pub x: f64,
    /// Sub-pixel y centroid (0-based).
    pub y: f64,
    /// Sum of the background-subtracted data in the kernel-sized box.
    pub flux: f64,
    /// Background-subtracted value at the peak pixel.
    pub peak: f64,
    /// DAOFIND sharpness.
    pub sharpness: f64,
    /// DAOFIND roundness from the 4-fold symmetry of the convolved image.
    pub roundness1: f64,
    /// DAOFIND roundness from the marginal Gaussian fits.
    pub roundness2: f64,
}

/// Result of [`find_sources`]: the sources (brightest first) and the levels used.
///
/// # Examples
///
/// See [`find_sources`].
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Sources sorted by decreasing flux.
    pub sources: Vec<Source>,
    /// Background subtracted.
    pub background: f64,
    /// Noise sigma used.
    pub sigma: f64,
    /// Absolute threshold `threshold × sigma`.
    pub threshold: f64,
}

struct Kernel {
    nx: usize,
    ny: usize,
    /// zero-sum normalised kernel (0 outside the support)
    data: Vec<f64>,
    /// unmasked Gaussian
    gauss: Vec<f64>,
    mask: Vec<bool>,
    npix: usize,
    rel_err: f64,
    x_sigma: f64,
    y_sigma: f64,
}

impl Kernel {
    fn new(fwhm: f64, ratio: f64, theta: f64, sigma_radius: f64) -> Kernel {
        let x_sigma = fwhm / (2.0 * (2.0 * 2f64.ln()).sqrt());
        let y_sigma = x_sigma * ratio;
        let (st, ct) = theta.to_radians().sin_cos();
        let (x2, y2) = (x_sigma * x_sigma, y_sigma * y_sigma);
        let a = ct * ct / (2.0 * x2) + st * st / (2.0 * y2);
        let b = 0.5 * ct * st * (1.0 / x2 - 1.0 / y2);
        let c = st * st / (2.0 * x2) + ct * ct / (2.0 * y2);
        let f = sigma_radius * sigma_radius / 2.0;
        let denom = a * c - b * b;
        let nx = 2 * ((c * f / denom).sqrt().max(2.0) as usize) + 1;
        let ny = 2 * ((a * f / denom).sqrt().max(2.0) as usize) + 1;
        let (xc, yc) = ((nx / 2) as f64, (ny / 2) as f64);
        let mut gauss = vec![0.0; nx * ny];
        let mut mask = vec![false; nx * ny];
        for j in 0..ny {
            for i in 0..nx {
                let (dx, dy) = (i as f64 - xc, j as f64 - yc);
                let e = a * dx * dx + 2.0 * b * dx * dy + c * dy * dy;
                let r = dx.hypot(dy);
                gauss[j * nx + i] = (-e).exp();
                mask[j * nx + i] = e <= f || r <= 2.0;
            }
        }
        let npix = mask.iter().filter(|&&m| m).count();
        let g: Vec<f64> = gauss
            .iter()
            .zip(&mask)
            .map(|(g, &m)| if m { *g } else { 0.0 })
            .collect();
        let s: f64 = g.iter().sum();
        let s2: f64 = g.iter().map(|v| v * v).sum();
        let den = s2 - s * s / npix as f64;
        let data = g
            .iter()
            .zip(&mask)
            .map(|(v, &m)| if m { (v - s / npix as f64) / den } else { 0.0 })
            .collect();
        Kernel {
            nx,
            ny,
            data,
            gauss,
            mask,
            npix,
            rel_err: 1.0 / den.sqrt(),
            x_sigma,
            y_sigma,
        }
    }
}

/// 3-sigma-clipped median and standard deviation of the finite values (5 iterations).
fn clipped_stats(values: &mut Vec<f64>) -> (f64, f64) {
    let median = |v: &mut Vec<f64>| -> f64 {
        let n = v.len();
        let (_, m, _) = v.select_nth_unstable_by(n / 2, |a, b| a.total_cmp(b));
        let hi = *m;
        if n % 2 == 1 {
            hi
        } else {
            let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            0.5 * (lo + hi)
        }
    };
    let (mut med, mut std) = (f64::NAN, f64::NAN);
    for _ in 0..5 {
        if values.is_empty() {
            break;
        }
        med = median(values);
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let before = values.len();
        values.retain(|v| (v - med).abs() <= 3.0 * std);
        if values.len() == before {
            break;
        }
    }
    (med, std)
}

/// Find stars in `data` the way DAOFIND / photutils `DAOStarFinder` does: subtract
/// the background, convolve with a zero-sum Gaussian kernel of FWHM `conv_width`
/// (zero outside the image), keep local maxima of the convolved image above
/// `threshold × sigma × rel_err` that are the maximum within `min_separation`,
/// measure sharpness, roundness1/2 and sub-pixel centroids (marginal Gaussian fits),
/// then apply the sharpness/roundness/peak/flux limits.
///
/// `mask` (true = bad) pixels, and non-finite pixels, are set to the background
/// before convolution and never hold a peak.
///
/// # Errors
///
/// [`crate::Error::InvalidParameter`] for a non-positive FWHM, threshold or sigma,
/// a ratio outside (0, 1], or a mask of another shape; [`crate::Error::TooFewSources`]
/// when the image has no finite unmasked pixel.
///
/// # Examples
///
/// ```
/// use astro_align::{find_sources, DetectOptions};
/// use ndarray::Array2;
/// let mut img = Array2::<f32>::zeros((40, 40));
/// for ((y, x), v) in img.indexed_iter_mut() {
///     let r2 = (x as f64 - 20.3).powi(2) + (y as f64 - 15.6).powi(2);
///     *v = (100.0 * (-r2 / (2.0 * 1.3f64.powi(2))).exp()) as f32 + ((x * 7 + y * 13) % 5) as f32 * 0.1;
/// }
/// let opts = DetectOptions { conv_width: 3.0, threshold: 5.0, sigma: Some(1.0), background: Some(0.2), ..Default::default() };
/// let det = find_sources(img.view(), None, &opts)?;
/// assert_eq!(det.sources.len(), 1);
/// let s = det.sources[0];
/// assert!((s.x - 20.3).abs() < 0.05 && (s.y - 15.6).abs() < 0.05);
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn find_sources(
    data: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    opts: &DetectOptions,
) -> Result<Detection> {
    if !(opts.conv_width > 0.0) {
        return Err(invalid(
            "conv_width",
            format!("must be positive, got {}", opts.conv_width),
        ));
    }
    if !(opts.threshold > 0.0) {
        return Err(invalid(
            "threshold",
            format!("must be positive, got {}", opts.threshold),
        ));
    }
    if !(opts.ratio > 0.0 && opts.ratio <= 1.0) {
        return Err(invalid(
            "ratio",
            format!("must be in (0, 1], got {}", opts.ratio),
        ));
    }
    if !(opts.sigma_radius > 0.0) {
        return Err(invalid(
            "sigma_radius",
            format!("must be positive, got {}", opts.sigma_radius),
        ));
    }
    if let Some(m) = &mask
        && m.dim() != data.dim()
    {
        {
            return Err(invalid(
                "mask",
                format!(
                    "shape {:?} differs from the image shape {:?}",
                    m.dim(),
                    data.dim()
                ),
            ));
        }
    }
    let (ny, nx) = data.dim();
    let bad = |y: usize, x: usize| -> bool {
        !data[[y, x]].is_finite() || mask.as_ref().is_some_and(|m| m[[y, x]])
    };
    let (background, sigma) = match (opts.background, opts.sigma) {
        (Some(b), Some(s)) => (b, s),
        (b, s) => {
            let mut vals: Vec<f64> = Vec::with_capacity(nx * ny);
            for ((y, x), v) in data.indexed_iter() {
                if !bad(y, x) {
                    vals.push(*v as f64);
                }
            }
            if vals.is_empty() {
                return Err(crate::Error::TooFewSources {
                    what: "background statistics (finite unmasked pixels)".into(),
                    found: 0,
                    needed: 1,
                });
            }
            let (med, std) = clipped_stats(&mut vals);
            (b.unwrap_or(med), s.unwrap_or(1.5 * std))
        }
    };
    if !(sigma > 0.0) || !sigma.is_finite() {
        return Err(invalid(
            "sigma",
            format!("must be positive and finite, got {sigma}"),
        ));
    }
    let threshold = opts.threshold * sigma;
    let k = Kernel::new(opts.conv_width, opts.ratio, opts.theta, opts.sigma_radius);
    let img: Array2<f64> = Array2::from_shape_fn((ny, nx), |(y, x)| {
        if bad(y, x) {
            0.0
        } else {
            data[[y, x]] as f64 - background
        }
    });
    let conv = convolve(&img, &k);
    let thr_eff = threshold * k.rel_err;
    let min_sep = opts.min_separation.unwrap_or(2.5 * opts.conv_width);
    let peaks = find_peaks(&conv, thr_eff, min_sep, bad);
    let (kcx, kcy) = (k.nx / 2, k.ny / 2);
    let cut = |a: &Array2<f64>, px: usize, py: usize| -> Vec<f64> {
        let mut c = vec![0.0; k.nx * k.ny];
        for j in 0..k.ny {
            let y = py as i64 + j as i64 - kcy as i64;
            if y < 0 || y >= ny as i64 {
                continue;
            }
            for i in 0..k.nx {
                let x = px as i64 + i as i64 - kcx as i64;
                if x >= 0 && x < nx as i64 {
                    c[j * k.nx + i] = a[[y as usize, x as usize]];
                }
            }
        }
        c
    };
    let mut out = Vec::new();
    for (px, py) in peaks {
        let d = cut(&img, px, py);
        let cv = cut(&conv, px, py);
        let peak = d[kcy * k.nx + kcx];
        let cpeak = cv[kcy * k.nx + kcx];
        let flux: f64 = d.iter().sum();
        let msum: f64 = d
            .iter()
            .zip(&k.mask)
            .filter(|(_, m)| **m)
            .map(|(v, _)| v)
            .sum();
        let sharpness = (peak - (msum - peak) / (k.npix as f64 - 1.0)) / cpeak;
        // roundness1: 2-fold symmetry of the convolved cut-out, centre excluded
        let mut sum2 = 0.0;
        let mut sum4 = 0.0;
        for j in 0..k.ny {
            for i in 0..k.nx {
                if i == kcx && j == kcy {
                    continue;
                }
                let v = cv[j * k.nx + i];
                sum4 += v.abs();
                let q1 = j <= kcy && i > kcx;
                let q2 = j < kcy && i <= kcx;
                let q3 = j >= kcy && i < kcx;
                let q4 = j > kcy && i >= kcx;
                if q1 || q3 {
                    sum2 -= v;
                }
                if q2 || q4 {
                    sum2 += v;
                }
            }
        }
        let roundness1 = 2.0 * sum2 / sum4;
        let (dx, hx) = marginal_fit(&d, &k, 1);
        let (dy, hy) = marginal_fit(&d, &k, 0);
        let roundness2 = 2.0 * (hx - hy) / (hx + hy);
        let s = Source {
            x: px as f64 + dx,
            y: py as f64 + dy,
            flux,
            peak,
            sharpness,
            roundness1,
            roundness2,
        };
        let finite = [
            s.x,
            s.y,
            hx,
            hy,
            s.sharpness,
            s.roundness1,
            s.roundness2,
            s.peak,
            s.flux,
        ]
        .iter()
        .all(|v| v.is_finite());
        let inside = |v: f64, lo: f64, hi: f64| v >= lo && v <= hi;
        if !finite
            || !inside(s.sharpness, opts.sharplo, opts.sharphi)
            || !inside(s.roundness1, opts.roundlo, opts.roundhi)
            || !inside(s.roundness2, opts.roundlo, opts.roundhi)
            || opts.peakmax.is_some_and(|m| s.peak > m)
            || opts.peakmin.is_some_and(|m| s.peak < m)
            || opts.fluxmax.is_some_and(|m| s.flux > m)
            || opts.fluxmin.is_some_and(|m| s.flux < m)
        {
            continue;
        }
        out.push(s);
    }
    if opts.centroid == Centroid::Windowed {
        for s in &mut out {
            if let Some((x, y)) = windowed(&img, s.x, s.y, k.x_sigma, &bad) {
                s.x = x;
                s.y = y;
            }
        }
    }
    out.sort_by(|a, b| b.flux.total_cmp(&a.flux));
    if let Some(n) = opts.nbrightest {
        out.truncate(n);
    }
    Ok(Detection {
        sources: out,
        background,
        sigma,
        threshold,
    })
}

/// Convolution with zero padding (scipy `convolve`, mode constant 0), rows in parallel.
fn convolve(img: &Array2<f64>, k: &Kernel) -> Array2<f64> {
    let (ny, nx) = img.dim();
    let (kcx, kcy) = ((k.nx / 2) as i64, (k.ny / 2) as i64);
    let taps: Vec<(i64, i64, f64)> = (0..k.ny)
        .flat_map(|j| (0..k.nx).map(move |i| (j, i)))
        .filter(|&(j, i)| k.data[j * k.nx + i] != 0.0)
        // convolution flips the kernel: out[y,x] += K[j,i] * in[y + kcy - j, x + kcx - i]
        .map(|(j, i)| (kcy - j as i64, kcx - i as i64, k.data[j * k.nx + i]))
        .collect();
    let flat = img.as_slice();
    let lin: Vec<(isize, f64)> = taps
        .iter()
        .map(|&(dy, dx, w)| ((dy * nx as i64 + dx) as isize, w))
        .collect();
    let (mx, my) = (
        kcx.max(k.nx as i64 - 1 - kcx) as usize,
        kcy.max(k.ny as i64 - 1 - kcy) as usize,
    );
    let row = |y: usize, out: &mut [f64]| {
        let interior_row = y >= my && y + my < ny;
        for (x, o) in out.iter_mut().enumerate() {
            if let Some(f) = flat
                && interior_row
                && x >= mx
                && x + mx < nx
            {
                // all taps inside: same terms in the same order, no bounds tests
                let base = (y * nx + x) as isize;
                let mut s = 0.0;
                for &(off, w) in &lin {
                    s += w * f[(base + off) as usize];
                }
                *o = s;
                continue;
            }
            let mut s = 0.0;
            for &(dy, dx, w) in &taps {
                let (yy, xx) = (y as i64 + dy, x as i64 + dx);
                if yy >= 0 && yy < ny as i64 && xx >= 0 && xx < nx as i64 {
                    s += w * img[[yy as usize, xx as usize]];
                }
            }
            *o = s;
        }
    };
    let mut out = vec![0.0; ny * nx];
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(nx.max(1))
            .enumerate()
            .for_each(|(y, o)| row(y, o));
    }
    #[cfg(not(feature = "rayon"))]
    for (y, o) in out.chunks_mut(nx.max(1)).enumerate() {
        row(y, o);
    }
    Array2::from_shape_vec((ny, nx), out).unwrap_or_else(|_| Array2::zeros((ny, nx)))
}

/// Local maxima above `thr` that equal the maximum over photutils' circular footprint of
/// radius `r` (out-of-image pixels count as 0), not on bad pixels.
fn find_peaks(
    conv: &Array2<f64>,
    thr: f64,
    r: f64,
    bad: impl Fn(usize, usize) -> bool + Sync,
) -> Vec<(usize, usize)> {
    let (ny, nx) = conv.dim();
    let mut offs: Vec<(i64, i64)> = Vec::new();
    if r > 0.0 {
        // photutils: idx = arange(-r, r + 1); footprint centred at index size//2
        let size = (2.0 * r + 1.0).ceil() as i64;
        let half = size / 2;
        for fy in 0..size {
            for fx in 0..size {
                let (ox, oy) = (-r + fx as f64, -r + fy as f64);
                if ox * ox + oy * oy <= r * r {
                    offs.push((fy - half, fx - half));
                }
            }
        }
    } else {
        for dy in -1..=1 {
            for dx in -1..=1 {
                offs.push((dy, dx));
            }
        }
    }
    // neighbours first: most candidates fail there
    offs.sort_by_key(|&(dy, dx)| dy.abs().max(dx.abs()));
    let at = |yy: i64, xx: i64| -> f64 {
        if yy >= 0 && yy < ny as i64 && xx >= 0 && xx < nx as i64 {
            conv[[yy as usize, xx as usize]]
        } else {
            0.0
        }
    };
    let row = |y: usize| -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for x in 0..nx {
            let v = conv[[y, x]];
            if !(v > thr) || bad(y, x) {
                continue;
            }
            if offs
                .iter()
                .all(|&(dy, dx)| at(y as i64 + dy, x as i64 + dx) <= v)
            {
                out.push((x, y));
            }
        }
        out
    };
    #[cfg(feature = "rayon")]
    let rows: Vec<Vec<(usize, usize)>> = {
        use rayon::prelude::*;
        (0..ny).into_par_iter().map(row).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let rows: Vec<Vec<(usize, usize)>> = (0..ny).map(row).collect();
    rows.into_iter().flatten().collect()
}

/// DAOFIND marginal Gaussian fit along x (`axis = 1`) or y (`axis = 0`): (offset, height).
fn marginal_fit(d: &[f64], k: &Kernel, axis: usize) -> (f64, f64) {
    let (nx, ny) = (k.nx, k.ny);
    let (xc, yc) = (nx / 2, ny / 2);
    let xx: Vec<f64> = (0..nx)
        .map(|i| xc as f64 - (i as f64 - xc as f64).abs() + 1.0)
        .collect();
    let yy: Vec<f64> = (0..ny)
        .map(|j| yc as f64 - (j as f64 - yc as f64).abs() + 1.0)
        .collect();
    let (wt, size, center, sigma) = if axis == 1 {
        (&xx, nx, xc as f64, k.x_sigma)
    } else {
        (&yy, ny, yc as f64, k.y_sigma)
    };
    // marginal sums along the other axis, weighted by its triangular weights
    let (mut ksum1d, mut dsum1d) = (vec![0.0; size], vec![0.0; size]);
    for j in 0..ny {
        for i in 0..nx {
            let (m, w) = if axis == 1 { (i, yy[j]) } else { (j, xx[i]) };
            ksum1d[m] += k.gauss[j * nx + i] * w;
            dsum1d[m] += d[j * nx + i] * w;
        }
    }
    let dxk: Vec<f64> = (0..size).map(|m| center - m as f64).collect();
    let dxx: Vec<f64> = (0..size)
        .map(|m| {
            if axis == 1 {
                center - m as f64
            } else {
                m as f64 - center
            }
        })
        .collect();
    let wt_sum: f64 = wt.iter().sum();
    let (mut kern_sum, mut kern2_sum, mut dk_sum, mut dk2_sum, mut k_dk_sum) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut data_sum, mut data_kern_sum, mut data_dk_sum, mut data_dx_sum) = (0.0, 0.0, 0.0, 0.0);
    for m in 0..size {
        let w = wt[m];
        let kk = ksum1d[m];
        let dk = kk * dxk[m];
        kern_sum += kk * w;
        kern2_sum += kk * kk * w;
        dk_sum += dk * w;
        dk2_sum += dk * dk * w;
        k_dk_sum += kk * dk * w;
        data_sum += dsum1d[m] * w;
        data_kern_sum += dsum1d[m] * kk * w;
        data_dk_sum += dsum1d[m] * dk * w;
        data_dx_sum += dsum1d[m] * dxx[m] * w;
    }
    let numer = data_kern_sum - data_sum * kern_sum / wt_sum;
    let denom = kern2_sum - kern_sum * kern_sum / wt_sum;
    if numer <= 0.0 || denom <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let h = numer / denom;
    let mut dx = (k_dk_sum - (data_dk_sum - dk_sum * data_sum)) / (h * dk2_sum / (sigma * sigma));
    let hsize = size as f64 / 2.0;
    if dx.abs() > hsize {
        dx = if data_sum == 0.0 {
            0.0
        } else {
            data_dx_sum / data_sum
        };
    }
    if dx.abs() > hsize {
        dx = 0.0;
    }
    (dx, h)
}

/// Iterated Gaussian-windowed centroid (factor 2 update, as SExtractor's XWIN).
fn windowed(
    img: &Array2<f64>,
    x0: f64,
    y0: f64,
    sw: f64,
    bad: &impl Fn(usize, usize) -> bool,
) -> Option<(f64, f64)> {
    let (ny, nx) = img.dim();
    let rad = (4.0 * sw).ceil();
    let (mut x, mut y) = (x0, y0);
    for _ in 0..50 {
        let (ylo, yhi) = (
            (y - rad).floor().max(0.0) as usize,
            (y + rad).ceil().min(ny as f64 - 1.0),
        );
        let (xlo, xhi) = (
            (x - rad).floor().max(0.0) as usize,
            (x + rad).ceil().min(nx as f64 - 1.0),
        );
        if yhi < 0.0 || xhi < 0.0 {
            return None;
        }
        let (mut sw0, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for j in ylo..=yhi as usize {
            for i in xlo..=xhi as usize {
                if bad(j, i) {
                    continue;
                }
                let (dx, dy) = (i as f64 - x, j as f64 - y);
                let r2 = dx * dx + dy * dy;
                if r2 > rad * rad {
                    continue;
                }
                let w = (-r2 / (2.0 * sw * sw)).exp() * img[[j, i]];
                sw0 += w;
                sx += w * dx;
                sy += w * dy;
            }
        }
        if !(sw0 > 0.0) {
            return None;
        }
        let (ddx, ddy) = (2.0 * sx / sw0, 2.0 * sy / sw0);
        x += ddx;
        y += ddy;
        if (x - x0).hypot(y - y0) > 2.0 * sw.max(1.0) || !x.is_finite() || !y.is_finite() {
            return None;
        }
        if ddx.abs() < 1e-7 && ddy.abs() < 1e-7 {
            break;
        }
    }
    Some((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_stars() -> Array2<f32> {
        let mut img = Array2::<f32>::from_elem((60, 80), 10.0);
        for (cx, cy, a) in [(20.3, 30.1, 400.0), (55.7, 22.4, 900.0)] {
            for ((y, x), v) in img.indexed_iter_mut() {
                let r2 = (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2);
                *v += (a * (-r2 / (2.0 * 1.3f64.powi(2))).exp()) as f32;
            }
        }
        img
    }

    fn opts() -> DetectOptions {
        DetectOptions {
            conv_width: 3.0,
            threshold: 5.0,
            sigma: Some(1.0),
            background: Some(10.0),
            ..DetectOptions::default()
        }
    }

    #[test]
    fn masks_peaks_fluxes_and_nan_are_honoured() {
        let img = two_stars();
        assert_eq!(
            find_sources(img.view(), None, &opts())
                .unwrap()
                .sources
                .len(),
            2
        );
        // a mask over the fainter star removes it
        let mut mask = Array2::from_elem(img.dim(), false);
        for y in 25..36 {
            for x in 15..26 {
                mask[[y, x]] = true;
            }
        }
        let det = find_sources(img.view(), Some(mask.view()), &opts()).unwrap();
        assert_eq!(det.sources.len(), 1);
        assert!((det.sources[0].x - 55.7).abs() < 0.1);
        // peakmax / fluxmin select one star each
        let o = DetectOptions {
            peakmax: Some(600.0),
            ..opts()
        };
        let s = find_sources(img.view(), None, &o).unwrap().sources;
        assert_eq!(s.len(), 1);
        assert!((s[0].x - 20.3).abs() < 0.1);
        let o = DetectOptions {
            fluxmin: Some(s[0].flux * 1.5),
            ..opts()
        };
        assert_eq!(find_sources(img.view(), None, &o).unwrap().sources.len(), 1);
        // NaN pixels are data, not a crash
        let mut with_nan = img.clone();
        with_nan[[0, 0]] = f32::NAN;
        assert_eq!(
            find_sources(with_nan.view(), None, &opts())
                .unwrap()
                .sources
                .len(),
            2
        );
        // a wrong-shaped mask is a typed error
        let bad = Array2::from_elem((3, 3), false);
        assert!(find_sources(img.view(), Some(bad.view()), &opts()).is_err());
        // an all-NaN image with automatic statistics
        let nan = Array2::from_elem((10, 10), f32::NAN);
        let o = DetectOptions::default();
        assert!(matches!(
            find_sources(nan.view(), None, &o),
            Err(crate::Error::TooFewSources { .. })
        ));
    }

    #[test]
    fn automatic_sigma_is_one_and_a_half_clipped_std() {
        let mut img = Array2::<f32>::zeros((100, 100));
        for (k, v) in img.iter_mut().enumerate() {
            *v = 50.0 + if k % 2 == 0 { 2.0 } else { -2.0 };
        }
        let det = find_sources(img.view(), None, &DetectOptions::default()).unwrap();
        assert!((det.background - 50.0).abs() < 1e-9);
        assert!((det.sigma - 3.0).abs() < 1e-9);
        assert!(det.sources.is_empty());
    }
}
