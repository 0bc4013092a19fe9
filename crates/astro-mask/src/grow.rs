//! Growing flagged regions: boxes, disks, and AstroDrizzle's `driz_cr_grow` / `ctegrow`.
//!
//! All functions take a *flagged* mask (`true` = bad pixel) and return a new flagged mask
//! in which every pixel near a flagged pixel is flagged too.

use ndarray::{Array2, ArrayView2, Axis};

use crate::error::{MaskError, Result};

/// The CCD readout direction of a chip, AstroDrizzle's `cte_dir`, which decides on which
/// side of a cosmic ray `ctegrow` masks the CTE tail.
///
/// ```
/// use astro_mask::CteDirection;
/// assert_eq!(CteDirection::from_cte_dir(-1)?, CteDirection::Negative);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CteDirection {
    /// `cte_dir = 1` (ACS/WFC chip `SCI,1`, HRC amps C/D, WFPC2): the tail is masked toward
    /// decreasing row index, rows `y0−n ..= y0−1` of a flagged pixel at `y0`.
    Positive,
    /// `cte_dir = −1` (ACS/WFC `SCI,2`, HRC amps A/B): the tail is masked toward increasing
    /// row index, rows `y0+1 ..= y0+n`.
    Negative,
    /// `cte_dir = 0` (no CTE direction, e.g. IR detectors): no tail. (DrizzlePac's kernel is
    /// then all zeros and, for `ctegrow > 0`, flags every pixel; we do not copy that bug.)
    #[default]
    None,
}

impl CteDirection {
    /// From DrizzlePac's integer `cte_dir` (1, −1 or 0).
    ///
    /// ```
    /// use astro_mask::CteDirection;
    /// assert_eq!(CteDirection::from_cte_dir(1)?, CteDirection::Positive);
    /// assert!(CteDirection::from_cte_dir(2).is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn from_cte_dir(cte_dir: i32) -> Result<Self> {
        match cte_dir {
            1 => Ok(Self::Positive),
            -1 => Ok(Self::Negative),
            0 => Ok(Self::None),
            other => Err(MaskError::Parameter {
                name: "cte_dir",
                reason: format!("{other} is not 1, -1 or 0"),
            }),
        }
    }
}

/// Reflects an out-of-range index like scipy's `boundary='symm'` (edge pixel repeated).
fn reflect(p: isize, n: isize) -> usize {
    let m = p.rem_euclid(2 * n);
    (if m < n { m } else { 2 * n - 1 - m }) as usize
}

/// OR of `src` over the window `[i+lo, i+hi]` along `axis`; outside the array the value is
/// the symmetric reflection (`symmetric`) or `false`.
fn dilate_axis(
    src: ArrayView2<'_, bool>,
    axis: Axis,
    lo: isize,
    hi: isize,
    symmetric: bool,
) -> Array2<bool> {
    let mut out = Array2::from_elem(src.raw_dim(), false);
    let n = src.len_of(axis) as isize;
    if n == 0 || hi < lo {
        return out;
    }
    let span = (hi - lo) as usize;
    let mut prefix = vec![0u32; n as usize + span + 1];
    for (line, mut out_line) in src.lanes(axis).into_iter().zip(out.lanes_mut(axis)) {
        for k in 0..n as usize + span {
            let p = k as isize + lo;
            let v = if (0..n).contains(&p) {
                line[p as usize]
            } else if symmetric {
                line[reflect(p, n)]
            } else {
                false
            };
            prefix[k + 1] = prefix[k] + u32::from(v);
        }
        for (i, o) in out_line.iter_mut().enumerate() {
            *o = prefix[i + span + 1] > prefix[i];
        }
    }
    out
}

/// Flags every pixel within a `(2·half_width+1)²` box of a flagged pixel (a binary
/// dilation; nothing outside the array is flagged).
///
/// ```
/// use astro_mask::grow_box;
/// use ndarray::Array2;
/// let mut f = Array2::from_elem((5, 5), false);
/// f[[2, 2]] = true;
/// let g = grow_box(f.view(), 1);
/// assert_eq!(g.iter().filter(|&&b| b).count(), 9);
/// ```
pub fn grow_box(flagged: ArrayView2<'_, bool>, half_width: usize) -> Array2<bool> {
    // A box wider than the array covers all of it.
    let (ny, nx) = flagged.dim();
    let n = half_width.min(ny.max(nx)) as isize;
    let rows = dilate_axis(flagged, Axis(1), -n, n, false);
    dilate_axis(rows.view(), Axis(0), -n, n, false)
}

/// Flags every pixel whose offset `(dx, dy)` from a flagged pixel has `dx² + dy² ≤ radius²`.
///
/// Errors when `radius` is negative or not finite.
///
/// ```
/// use astro_mask::grow_disk;
/// use ndarray::Array2;
/// let mut f = Array2::from_elem((7, 7), false);
/// f[[3, 3]] = true;
/// let g = grow_disk(f.view(), 2.0)?;
/// assert_eq!(g.iter().filter(|&&b| b).count(), 13);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn grow_disk(flagged: ArrayView2<'_, bool>, radius: f64) -> Result<Array2<bool>> {
    if !(radius.is_finite() && radius >= 0.0) {
        return Err(MaskError::Parameter {
            name: "radius",
            reason: format!("{radius} is not a finite non-negative number"),
        });
    }
    let (ny, nx) = flagged.dim();
    // No offset larger than the array matters.
    let r2 = radius * radius;
    let rmax = (radius.floor() as usize).min(ny.max(nx));
    // half-width of the disk on row offset dy
    let width = |dy: usize| -> usize {
        let mut w = 0usize;
        while w < rmax && ((w + 1) * (w + 1) + dy * dy) as f64 <= r2 {
            w += 1;
        }
        w
    };
    let widths: Vec<usize> = (0..=rmax).map(width).collect();
    let mut rows: Vec<Option<Array2<bool>>> = vec![None; rmax + 1];
    let mut out = Array2::from_elem((ny, nx), false);
    for (dy, &w) in widths.iter().enumerate() {
        let h = rows[w]
            .get_or_insert_with(|| dilate_axis(flagged, Axis(1), -(w as isize), w as isize, false));
        for y in 0..ny {
            let mut row = out.row_mut(y);
            let sources = [y.checked_sub(dy), y.checked_add(dy).filter(|&s| s < ny)];
            for sy in sources.into_iter().flatten() {
                row.zip_mut_with(&h.row(sy), |o, &v| *o |= v);
            }
        }
    }
    Ok(out)
}

/// AstroDrizzle `driz_cr` mask growth, exactly as drizzlepac's `drizCR.py` computes it
/// from the cosmic-ray mask:
///
/// * `grow` is the *width* of a square box (drizzlepac's `ones((grow, grow))`; `1` changes
///   nothing, an even width extends one more pixel toward −x/−y than toward +x/+y);
/// * `ctegrow` masks a tail of that many pixels along the column, on the side given by
///   `cte_dir` (see [`CteDirection`]);
/// * both use scipy's symmetric boundary (the array mirrored about its edges), so a tail
///   that leaves the array folds back in, as in drizzlepac.
///
/// Errors when `grow` is 0 (drizzlepac cannot convolve with an empty kernel either).
///
/// ```
/// use astro_mask::{driz_cr_grow, CteDirection};
/// use ndarray::Array2;
/// let mut cr = Array2::from_elem((6, 1), false);
/// cr[[3, 0]] = true;
/// let g = driz_cr_grow(cr.view(), 1, 2, CteDirection::Negative)?;
/// assert_eq!(g.column(0).to_vec(), [false, false, false, true, true, true]);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn driz_cr_grow(
    flagged: ArrayView2<'_, bool>,
    grow: usize,
    ctegrow: usize,
    cte_dir: CteDirection,
) -> Result<Array2<bool>> {
    if grow == 0 {
        return Err(MaskError::Parameter {
            name: "grow",
            reason: "must be at least 1".into(),
        });
    }
    // With the symmetric boundary, a window of 2·n pixels along an axis of n pixels already
    // sees every pixel of the line, so larger values change nothing: clamp them.
    let (ny, nx) = flagged.dim();
    let grow = grow.min(2 * ny.max(nx) + 2);
    let ctegrow = ctegrow.min(2 * ny + 1);
    let (lo, hi) = (-((grow / 2) as isize), ((grow - 1) / 2) as isize);
    let mut out = if grow == 1 {
        // a window of one pixel: the mask itself
        flagged.to_owned()
    } else {
        let rows = dilate_axis(flagged, Axis(1), lo, hi, true);
        dilate_axis(rows.view(), Axis(0), lo, hi, true)
    };
    let c = ctegrow as isize;
    let tail = match cte_dir {
        _ if ctegrow == 0 => None,
        CteDirection::Positive => Some((1, c)),
        CteDirection::Negative => Some((-c, -1)),
        CteDirection::None => None,
    };
    if let Some((lo, hi)) = tail {
        let t = dilate_axis(flagged, Axis(0), lo, hi, true);
        out.zip_mut_with(&t, |o, &v| *o |= v);
    }
    Ok(out)
}

/// Masks the CTE tail of every flagged pixel: `ctegrow` pixels along its column on the
/// side given by `cte_dir` (AstroDrizzle `driz_cr_ctegrow`; [`driz_cr_grow`] with
/// `grow = 1`). Flagged pixels stay flagged.
///
/// ```
/// use astro_mask::{ctegrow, CteDirection};
/// use ndarray::Array2;
/// let mut cr = Array2::from_elem((6, 1), false);
/// cr[[3, 0]] = true;
/// let g = ctegrow(cr.view(), 2, CteDirection::Positive);
/// assert_eq!(g.column(0).to_vec(), [false, true, true, true, false, false]);
/// ```
pub fn ctegrow(
    flagged: ArrayView2<'_, bool>,
    ctegrow: usize,
    cte_dir: CteDirection,
) -> Array2<bool> {
    // grow = 1 is always accepted
    driz_cr_grow(flagged, 1, ctegrow, cte_dir).unwrap_or_else(|_| flagged.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(flagged: &Array2<bool>, offsets: &[(isize, isize)], symmetric: bool) -> Array2<bool> {
        let (ny, nx) = flagged.dim();
        Array2::from_shape_fn((ny, nx), |(y, x)| {
            offsets.iter().any(|&(dy, dx)| {
                let (py, px) = (y as isize + dy, x as isize + dx);
                if (0..ny as isize).contains(&py) && (0..nx as isize).contains(&px) {
                    flagged[[py as usize, px as usize]]
                } else if symmetric {
                    flagged[[reflect(py, ny as isize), reflect(px, nx as isize)]]
                } else {
                    false
                }
            })
        })
    }

    fn pattern(ny: usize, nx: usize, seed: u64) -> Array2<bool> {
        let mut s = seed;
        Array2::from_shape_fn((ny, nx), |_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 60) == 0
        })
    }

    #[test]
    fn against_naive() {
        for (ny, nx, seed) in [(7, 9, 1), (1, 5, 2), (12, 3, 3), (2, 2, 4)] {
            let f = pattern(ny, nx, seed);
            for n in 0..4isize {
                let offs: Vec<_> = (-n..=n)
                    .flat_map(|dy| (-n..=n).map(move |dx| (dy, dx)))
                    .collect();
                assert_eq!(grow_box(f.view(), n as usize), naive(&f, &offs, false));
            }
            for r in [0.0, 1.0, 1.5, 2.3, 4.0] {
                let ri = 5isize;
                let offs: Vec<_> = (-ri..=ri)
                    .flat_map(|dy| (-ri..=ri).map(move |dx| (dy, dx)))
                    .filter(|&(dy, dx)| ((dy * dy + dx * dx) as f64) <= r * r)
                    .collect();
                assert_eq!(
                    grow_disk(f.view(), r).unwrap(),
                    naive(&f, &offs, false),
                    "r={r}"
                );
            }
            for g in 1..5usize {
                let (lo, hi) = (-((g / 2) as isize), ((g - 1) / 2) as isize);
                for c in 0..5isize {
                    for dir in [
                        CteDirection::Positive,
                        CteDirection::Negative,
                        CteDirection::None,
                    ] {
                        let mut offs: Vec<_> = (lo..=hi)
                            .flat_map(|dy| (lo..=hi).map(move |dx| (dy, dx)))
                            .collect();
                        match dir {
                            CteDirection::Positive => offs.extend((1..=c).map(|d| (d, 0))),
                            CteDirection::Negative => offs.extend((1..=c).map(|d| (-d, 0))),
                            CteDirection::None => {}
                        }
                        let got = driz_cr_grow(f.view(), g, c as usize, dir).unwrap();
                        assert_eq!(got, naive(&f, &offs, true), "g={g} c={c} {dir:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn huge_parameters_are_clamped() {
        let mut f = Array2::from_elem((4, 3), false);
        f[[1, 1]] = true;
        assert!(grow_box(f.view(), usize::MAX).iter().all(|&b| b));
        assert!(grow_disk(f.view(), 1e300).unwrap().iter().all(|&b| b));
        assert!(
            driz_cr_grow(f.view(), usize::MAX, 0, CteDirection::None)
                .unwrap()
                .iter()
                .all(|&b| b)
        );
        let tail = ctegrow(f.view(), usize::MAX, CteDirection::Positive);
        // the mirrored tail covers the whole column, nothing else
        assert!(tail.column(1).iter().all(|&b| b));
        assert!(!tail.column(0).iter().any(|&b| b));
        assert_eq!(tail, ctegrow(f.view(), 9, CteDirection::Positive));
    }

    #[test]
    fn parameters() {
        let f = Array2::from_elem((2, 2), false);
        assert!(driz_cr_grow(f.view(), 0, 0, CteDirection::None).is_err());
        assert!(grow_disk(f.view(), -1.0).is_err());
        assert!(grow_disk(f.view(), f64::NAN).is_err());
        let e = Array2::from_elem((0, 3), false);
        assert_eq!(grow_box(e.view(), 2).dim(), (0, 3));
        assert_eq!(
            driz_cr_grow(e.view(), 2, 3, CteDirection::Positive)
                .unwrap()
                .dim(),
            (0, 3)
        );
    }
}
