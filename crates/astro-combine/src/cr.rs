//! Cosmic-ray detection against a model image: AstroDrizzle's `driz_cr` (step 6) with its
//! derivative image (`quickDeriv.qderiv`), and the stcal / JWST outlier-detection
//! variant whose noise is the ERR array.
//!
//! Masks returned here are *flagged* masks: `true` = cosmic ray. (DrizzlePac's
//! `*_crmask.fits` files hold the complement, 1 = good.)

use std::cmp::Ordering;

use astro_mask::{CteDirection, driz_cr_grow};
use ndarray::{Array2, ArrayView2, Axis, Zip};

use crate::error::{CombineError, Result};

fn check_same(what: &'static str, a: (usize, usize), b: (usize, usize)) -> Result<()> {
    if a != b {
        return Err(CombineError::ShapeMismatch {
            what,
            index: 0,
            found: a,
            expected: b,
        });
    }
    Ok(())
}

/// drizzlepac's `quickDeriv.qderiv`: per pixel the maximum of `|B − neighbour|` over the
/// four neighbours (differences in `f64`, result rounded to `f32`), reproduced with its
/// edge behaviour: each of its four shifted copies leaves some pixels unfilled, and those
/// are compared with 0 instead, so `|B|` itself is a candidate in rows 0, ny−2 and ny−1
/// and in columns 0, nx−2 and nx−1. Use [`abs_deriv`] for a derivative without that edge
/// effect.
///
/// ```
/// use ndarray::Array2;
/// let b = Array2::from_shape_fn((5, 6), |(y, x)| (x + 10 * y) as f32);
/// let d = astro_combine::qderiv(b.view());
/// assert_eq!(d[[2, 2]], 10.0); // vertical step 10, horizontal 1
/// assert_eq!(d[[4, 2]], 42.0); // last row: |B| wins
/// ```
pub fn qderiv(model: ArrayView2<'_, f32>) -> Array2<f32> {
    let (ny, nx) = model.dim();
    let model = model.as_standard_layout();
    let m = model.as_slice().expect("standard layout");
    let mut out = Array2::<f32>::zeros((ny, nx));
    // Per pixel, qderiv's four passes in their order: neighbour offset (dy, dx) and the
    // pixels [y_lo, y_hi) x [x_lo, x_hi) that get a real neighbour; others compare with 0.
    let (y1, y2) = (ny.saturating_sub(1), ny.saturating_sub(2));
    let (x1, x2) = (nx.saturating_sub(1), nx.saturating_sub(2));
    let row = |y: usize, o: &mut [f32]| {
        let cur = &m[y * nx..(y + 1) * nx];
        let up = (y >= 1 && y < y1).then(|| &m[(y - 1) * nx..y * nx]);
        let down = (y < y2).then(|| &m[(y + 1) * nx..(y + 2) * nx]);
        let left_right = y < y1;
        for (x, o) in o.iter_mut().enumerate() {
            let a = f64::from(cur[x]);
            let nbs = [
                if left_right && x >= 1 && x < x1 {
                    f64::from(cur[x - 1])
                } else {
                    0.0
                },
                if left_right && x < x2 {
                    f64::from(cur[x + 1])
                } else {
                    0.0
                },
                match up {
                    Some(u) if x < x1 => f64::from(u[x]),
                    _ => 0.0,
                },
                match down {
                    Some(d) if x < x1 => f64::from(d[x]),
                    _ => 0.0,
                },
            ];
            let mut v = 0.0f64;
            for nb in nbs {
                let d = (a - nb).abs();
                // numpy.maximum propagates NaN
                v = if d.is_nan() || v.is_nan() {
                    f64::NAN
                } else {
                    v.max(d)
                };
            }
            *o = v as f32;
        }
    };
    for_rows(&mut out, row);
    out
}

/// `f(y, row y of out)` for every row, in parallel with the `rayon` feature (each row
/// is computed alone: the result does not depend on the threads).
fn for_rows<T: Send>(out: &mut Array2<T>, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    let nx = out.ncols().max(1);
    let s = out.as_slice_mut().expect("standard layout");
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        s.par_chunks_mut(nx).enumerate().for_each(|(y, r)| f(y, r));
    }
    #[cfg(not(feature = "rayon"))]
    for (y, r) in s.chunks_mut(nx).enumerate() {
        f(y, r);
    }
}

/// stcal's `_abs_deriv`: per pixel the maximum of `|B − neighbour|` over the (up to) four
/// neighbours inside the image, ignoring non-finite differences; NaN where `B` is NaN.
///
/// ```
/// use ndarray::array;
/// let b = array![[0.0f32, 1.0], [3.0, f32::NAN]];
/// let d = astro_combine::abs_deriv(b.view());
/// assert_eq!(d[[0, 0]], 3.0);
/// assert_eq!(d[[0, 1]], 1.0);
/// assert!(d[[1, 1]].is_nan());
/// ```
pub fn abs_deriv(model: ArrayView2<'_, f32>) -> Array2<f32> {
    let (ny, nx) = model.dim();
    Array2::from_shape_fn((ny, nx), |(y, x)| {
        let a = model[[y, x]];
        if a.is_nan() {
            return f32::NAN;
        }
        let mut m = 0.0f32;
        let mut upd = |b: f32| {
            let d = (a - b).abs();
            if d > m {
                m = d;
            }
        };
        if y > 0 {
            upd(model[[y - 1, x]]);
        }
        if y + 1 < ny {
            upd(model[[y + 1, x]]);
        }
        if x > 0 {
            upd(model[[y, x - 1]]);
        }
        if x + 1 < nx {
            upd(model[[y, x + 1]]);
        }
        m
    })
}

/// `true` where any pixel of the 3×3 neighbourhood (clipped to the image) is `true`.
fn any3x3(m: &Array2<bool>) -> Array2<bool> {
    let (ny, nx) = m.dim();
    let src = m.as_slice().expect("standard layout");
    let mut rows = Array2::from_elem((ny, nx), false);
    for_rows(&mut rows, |y, r| {
        let line = &src[y * nx..(y + 1) * nx];
        for (x, o) in r.iter_mut().enumerate() {
            *o = line[x] || (x > 0 && line[x - 1]) || (x + 1 < nx && line[x + 1]);
        }
    });
    let rs = rows.as_slice().expect("standard layout");
    let mut out = Array2::from_elem((ny, nx), false);
    for_rows(&mut out, |y, r| {
        let cur = &rs[y * nx..(y + 1) * nx];
        let up = (y > 0).then(|| &rs[(y - 1) * nx..y * nx]);
        let down = (y + 1 < ny).then(|| &rs[(y + 1) * nx..(y + 2) * nx]);
        for (x, o) in r.iter_mut().enumerate() {
            *o = cur[x] || up.is_some_and(|u| u[x]) || down.is_some_and(|d| d[x]);
        }
    });
    out
}

/// AstroDrizzle `driz_cr` parameters (names and defaults of astrodrizzle.cfg:
/// `driz_cr_snr = "3.5 3.0"`, `driz_cr_scale = "1.2 0.7"`, `driz_cr_grow = 1`,
/// `driz_cr_ctegrow = 0`).
///
/// ```
/// let p = astro_combine::DrizCrParams::default();
/// assert_eq!((p.driz_cr_snr, p.driz_cr_scale), ((3.5, 3.0), (1.2, 0.7)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrizCrParams {
    /// `(snr1, snr2)`: strict and loose signal-to-noise thresholds.
    pub driz_cr_snr: (f64, f64),
    /// `(scale1, scale2)`: multipliers of the model derivative.
    pub driz_cr_scale: (f64, f64),
    /// Width of the square box grown around each cosmic ray (1 = none).
    pub driz_cr_grow: usize,
    /// Length of the CTE tail masked along the column.
    pub driz_cr_ctegrow: usize,
    /// Readout direction of the chip, for the CTE tail.
    pub cte_dir: CteDirection,
}

impl Default for DrizCrParams {
    fn default() -> Self {
        Self {
            driz_cr_snr: (3.5, 3.0),
            driz_cr_scale: (1.2, 0.7),
            driz_cr_grow: 1,
            driz_cr_ctegrow: 0,
            cte_dir: CteDirection::None,
        }
    }
}

/// The noise model of one chip for `driz_cr`: effective gain (1 when the data are
/// already electrons), read noise (e⁻) and subtracted sky (e⁻).
///
/// ```
/// let n = astro_combine::ChipNoise { gain: 1.0, readnoise: 5.0, sky: 30.0 };
/// assert_eq!(n.readnoise, 5.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChipNoise {
    /// Effective gain `g` (e⁻/DN); AstroDrizzle works in electrons so this is usually 1.
    pub gain: f64,
    /// Read noise in electrons.
    pub readnoise: f64,
    /// Sky subtracted from the image, in electrons (added back to the model for noise).
    pub sky: f64,
}

/// `driz_cr` on one chip: `sci` and `blot` (the median model blotted back, sky added) in
/// electrons. In `f32` exactly as drizzlepac computes it:
///
/// ```text
/// diff  = |sci − blot|;  deriv = qderiv(blot);  noise = sqrt(g·|blot + sky| + rn²)
/// pass1 = diff ≤ scale1·deriv + snr1·noise/g ;  pass2 = diff ≤ scale2·deriv + snr2·noise/g
/// CR    = ¬pass2 ∧ (some pixel of the 3×3 around fails pass1)
/// ```
/// then grown by `driz_cr_grow` (box width) and `driz_cr_ctegrow` (tail along the column)
/// with astro-mask's [`driz_cr_grow`]. Returns the flagged mask (`true` = CR).
///
/// Errors: shapes differ, `driz_cr_grow = 0`, a non-positive gain.
///
/// ```
/// use astro_combine::{driz_cr, ChipNoise, DrizCrParams};
/// use ndarray::Array2;
/// let blot = Array2::from_elem((9, 9), 100.0f32);
/// let mut sci = blot.clone();
/// sci[[4, 4]] += 500.0; // a cosmic ray
/// let noise = ChipNoise { gain: 1.0, readnoise: 5.0, sky: 0.0 };
/// let cr = driz_cr(sci.view(), blot.view(), &noise, &DrizCrParams::default())?;
/// assert!(cr[[4, 4]]);
/// assert_eq!(cr.iter().filter(|&&c| c).count(), 1);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn driz_cr(
    sci: ArrayView2<'_, f32>,
    blot: ArrayView2<'_, f32>,
    noise: &ChipNoise,
    params: &DrizCrParams,
) -> Result<Array2<bool>> {
    check_same("blot", blot.dim(), sci.dim())?;
    if !(noise.gain > 0.0 && noise.gain.is_finite()) {
        return Err(CombineError::Parameter {
            name: "gain",
            reason: format!("{} is not a positive number", noise.gain),
        });
    }
    let deriv = qderiv(blot);
    let g = noise.gain as f32;
    let sky = noise.sky as f32;
    let rn2 = (noise.readnoise * noise.readnoise) as f32;
    let (snr1, snr2) = (params.driz_cr_snr.0 as f32, params.driz_cr_snr.1 as f32);
    let (m1, m2) = (params.driz_cr_scale.0 as f32, params.driz_cr_scale.1 as f32);
    let mut fail1 = Array2::from_elem(sci.dim(), false);
    let mut fail2 = Array2::from_elem(sci.dim(), false);
    let zip = Zip::from(&mut fail1)
        .and(&mut fail2)
        .and(sci)
        .and(blot)
        .and(&deriv);
    let op = |f1: &mut bool, f2: &mut bool, &i: &f32, &b: &f32, &d: &f32| {
        let t1 = (i - b).abs();
        let ta = (g * (b + sky).abs() + rn2).sqrt();
        let t2a = m1 * d + snr1 * ta / g;
        let t2b = m2 * d + snr2 * ta / g;
        *f1 = !matches!(t1.partial_cmp(&t2a), Some(Ordering::Less | Ordering::Equal));
        *f2 = !matches!(t1.partial_cmp(&t2b), Some(Ordering::Less | Ordering::Equal));
    };
    // (elementwise: in parallel with the `rayon` feature, the same result)
    #[cfg(feature = "rayon")]
    zip.par_for_each(op);
    #[cfg(not(feature = "rayon"))]
    zip.for_each(op);
    let near1 = any3x3(&fail1);
    let zip = Zip::from(&fail2).and(&near1);
    #[cfg(feature = "rayon")]
    let cr = zip.par_map_collect(|&f2, &n1| f2 && n1);
    #[cfg(not(feature = "rayon"))]
    let cr = zip.map_collect(|&f2, &n1| f2 && n1);
    Ok(driz_cr_grow(
        cr.view(),
        params.driz_cr_grow,
        params.driz_cr_ctegrow,
        params.cte_dir,
    )?)
}

/// The CR-cleaned image of `driz_cr_corr`: `sci` where good, `blot` on flagged pixels.
///
/// ```
/// use ndarray::array;
/// let c = astro_combine::cr_clean(array![[1.0f32, 9.0]].view(), array![[1.0f32, 2.0]].view(), array![[false, true]].view())?;
/// assert_eq!(c, array![[1.0, 2.0]]);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn cr_clean(
    sci: ArrayView2<'_, f32>,
    blot: ArrayView2<'_, f32>,
    flagged: ArrayView2<'_, bool>,
) -> Result<Array2<f32>> {
    check_same("blot", blot.dim(), sci.dim())?;
    check_same("mask", flagged.dim(), sci.dim())?;
    Ok(Zip::from(sci)
        .and(blot)
        .and(flagged)
        .map_collect(|&s, &b, &f| if f { b } else { s }))
}

/// stcal / JWST outlier-detection parameters (`snr = "5.0 4.0"`, `scale = "1.2 0.7"`,
/// `backg = 0`).
///
/// ```
/// assert_eq!(astro_combine::OutlierParams::default().snr, (5.0, 4.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutlierParams {
    /// `(snr1, snr2)`.
    pub snr: (f64, f64),
    /// `(scale1, scale2)`.
    pub scale: (f64, f64),
    /// Background subtracted from the difference.
    pub backg: f64,
}

impl Default for OutlierParams {
    fn default() -> Self {
        Self {
            snr: (5.0, 4.0),
            scale: (1.2, 0.7),
            backg: 0.0,
        }
    }
}

/// stcal `flag_resampled_crs`: with `err` = ERR (NaN → 0), `deriv = abs_deriv(blot)`,
/// `diff = |sci − blot − backg|`, `m1 = diff > scale1·deriv + snr1·err`,
/// `m2 = diff > scale2·deriv + snr2·err`, CR = dilate3×3(m1) ∧ m2.
///
/// ```
/// use astro_combine::{flag_resampled_crs, OutlierParams};
/// use ndarray::Array2;
/// let blot = Array2::from_elem((7, 7), 10.0f32);
/// let err = Array2::from_elem((7, 7), 1.0f32);
/// let mut sci = blot.clone();
/// sci[[3, 3]] = 100.0;
/// let cr = flag_resampled_crs(sci.view(), err.view(), blot.view(), &OutlierParams::default())?;
/// assert!(cr[[3, 3]] && cr.iter().filter(|&&c| c).count() == 1);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn flag_resampled_crs(
    sci: ArrayView2<'_, f32>,
    err: ArrayView2<'_, f32>,
    blot: ArrayView2<'_, f32>,
    params: &OutlierParams,
) -> Result<Array2<bool>> {
    check_same("err", err.dim(), sci.dim())?;
    check_same("blot", blot.dim(), sci.dim())?;
    let deriv = abs_deriv(blot);
    let backg = params.backg as f32;
    let (s1, s2) = (params.snr.0 as f32, params.snr.1 as f32);
    let (c1, c2) = (params.scale.0 as f32, params.scale.1 as f32);
    let mut m1 = Array2::from_elem(sci.dim(), false);
    let mut m2 = Array2::from_elem(sci.dim(), false);
    Zip::from(&mut m1)
        .and(&mut m2)
        .and(sci)
        .and(err)
        .and(blot)
        .and(&deriv)
        .for_each(|a, b, &s, &e, &bl, &d| {
            let e = if e.is_nan() {
                0.0
            } else {
                e.clamp(f32::MIN, f32::MAX)
            };
            let diff = (s - bl - backg).abs();
            *a = diff > c1 * d + s1 * e;
            *b = diff > c2 * d + s2 * e;
        });
    let near = any3x3(&m1);
    Ok(Zip::from(&near).and(&m2).map_collect(|&a, &b| a && b))
}

/// stcal `flag_crs` (no resampling): CR where `|sci − model| > snr · err` (ERR NaN → 0).
///
/// ```
/// use ndarray::array;
/// let cr = astro_combine::flag_crs(array![[5.0f32, 20.0]].view(), array![[1.0f32, 1.0]].view(), array![[4.0f32, 4.0]].view(), 5.0)?;
/// assert_eq!(cr, array![[false, true]]);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn flag_crs(
    sci: ArrayView2<'_, f32>,
    err: ArrayView2<'_, f32>,
    model: ArrayView2<'_, f32>,
    snr: f64,
) -> Result<Array2<bool>> {
    check_same("err", err.dim(), sci.dim())?;
    check_same("model", model.dim(), sci.dim())?;
    let snr = snr as f32;
    Ok(Zip::from(sci)
        .and(err)
        .and(model)
        .map_collect(|&s, &e, &m| {
            let e = if e.is_nan() { 0.0 } else { e };
            (s - m).abs() > snr * e
        }))
}

/// A median-filtered model of a single image (for single-frame cosmic-ray detection where
/// no dithered stack exists): each pixel is the median of the `size × size` box around it
/// (clipped to the image, NaN ignored). `size` must be odd.
///
/// ```
/// use ndarray::Array2;
/// let mut img = Array2::from_elem((9, 9), 10.0f32);
/// img[[4, 4]] = 1000.0;
/// let m = astro_combine::median_filter(img.view(), 5)?;
/// assert_eq!(m[[4, 4]], 10.0);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn median_filter(image: ArrayView2<'_, f32>, size: usize) -> Result<Array2<f32>> {
    if size == 0 || size.is_multiple_of(2) {
        return Err(CombineError::Parameter {
            name: "size",
            reason: format!("{size} is not an odd positive number"),
        });
    }
    let (ny, nx) = image.dim();
    let h = size / 2;
    let mut out = Array2::<f32>::zeros((ny, nx));
    let row = |y: usize, out_row: &mut [f32]| {
        let mut buf = Vec::with_capacity(size * size);
        let (y0, y1) = (y.saturating_sub(h), (y + h + 1).min(ny));
        for (x, o) in out_row.iter_mut().enumerate() {
            buf.clear();
            let (x0, x1) = (x.saturating_sub(h), (x + h + 1).min(nx));
            for yy in y0..y1 {
                for xx in x0..x1 {
                    let v = image[[yy, xx]];
                    if !v.is_nan() {
                        buf.push(v);
                    }
                }
            }
            *o = if buf.is_empty() {
                f32::NAN
            } else {
                let n = buf.len();
                let (_, &mut hi, _) = buf.select_nth_unstable_by(n / 2, f32::total_cmp);
                if n % 2 == 1 {
                    hi
                } else {
                    let lo = buf[..n / 2]
                        .iter()
                        .copied()
                        .max_by(f32::total_cmp)
                        .unwrap_or(hi);
                    ((f64::from(lo) + f64::from(hi)) / 2.0) as f32
                }
            };
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(y, mut r)| {
                if let Some(s) = r.as_slice_mut() {
                    row(y, s);
                }
            });
    }
    #[cfg(not(feature = "rayon"))]
    for (y, mut r) in out.axis_iter_mut(Axis(0)).enumerate() {
        if let Some(s) = r.as_slice_mut() {
            row(y, s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// qderiv as first written: four whole-image passes (the reference).
    fn qderiv_passes(model: ArrayView2<'_, f32>) -> Array2<f32> {
        let (ny, nx) = model.dim();
        let mut out = Array2::<f64>::zeros((ny, nx));
        let passes: [(isize, isize, usize, usize, usize, usize); 4] = [
            (0, -1, 0, ny.saturating_sub(1), 1, nx.saturating_sub(1)),
            (0, 1, 0, ny.saturating_sub(1), 0, nx.saturating_sub(2)),
            (-1, 0, 1, ny.saturating_sub(1), 0, nx.saturating_sub(1)),
            (1, 0, 0, ny.saturating_sub(2), 0, nx.saturating_sub(1)),
        ];
        for (dy, dx, ylo, yhi, xlo, xhi) in passes {
            for y in 0..ny {
                for x in 0..nx {
                    let a = f64::from(model[[y, x]]);
                    let inside = y >= ylo && y < yhi && x >= xlo && x < xhi;
                    let nb = if inside {
                        f64::from(model[[(y as isize + dy) as usize, (x as isize + dx) as usize]])
                    } else {
                        0.0
                    };
                    let d = (a - nb).abs();
                    let o = &mut out[[y, x]];
                    *o = if d.is_nan() || o.is_nan() {
                        f64::NAN
                    } else {
                        o.max(d)
                    };
                }
            }
        }
        out.mapv(|v| v as f32)
    }

    #[test]
    fn qderiv_matches_the_four_passes() {
        for (ny, nx) in [(1, 1), (1, 5), (5, 1), (2, 2), (3, 4), (17, 23), (64, 40)] {
            let m = Array2::from_shape_fn((ny, nx), |(y, x)| {
                let k = y * 131 + x * 71;
                if k % 37 == 5 {
                    f32::NAN
                } else {
                    ((k * 2654435761) % 1000) as f32 * 0.37 - 120.0
                }
            });
            let (a, b) = (qderiv(m.view()), qderiv_passes(m.view()));
            assert!(
                a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{ny}x{nx}"
            );
            // a view that is not in standard layout
            let t = m.t();
            let (a, b) = (qderiv(t), qderiv_passes(t));
            assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
        }
    }
}
