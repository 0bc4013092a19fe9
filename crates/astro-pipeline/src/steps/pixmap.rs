//! drizzlepac's pixel map (`cdriz.DefaultWCSMapping`): the exact WCS transformation at
//! nodes every `stepsize` pixels — 0-based `-1, step − 1, 2·step − 1, …` (the C code
//! places them at 1-based multiples of `step`), one node beyond each far edge — and
//! bilinear interpolation in the node cell holding each pixel. Reproducing the node
//! placement matters: other nodes change the weights of 1–3 % of the pixels by more than
//! 1e-4 relative against AstroDrizzle.

use astro_wcs::Wcs;
use ndarray::{Array3, Axis};
use rayon::prelude::*;

use crate::error::Result;

/// The map from pixels of `from` (of `shape`) to pixels of `to`, `(ny, nx, 2)` with
/// `[.., 0] = x`, `[.., 1] = y`. `stepsize <= 1` or a node without a position: exact.
pub(crate) fn drizzlepac_pixmap(
    from: &Wcs,
    to: &Wcs,
    shape: (usize, usize),
    stepsize: usize,
) -> Result<Array3<f64>> {
    let (ny, nx) = shape;
    let mapper = from.pixel_mapper(to)?;
    let mut out = Array3::<f64>::zeros((ny, nx, 2));
    let exact = |out: &mut Array3<f64>| -> Result<()> {
        let (mx, my) = mapper.map_image(shape)?;
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(j, mut row)| {
                for i in 0..nx {
                    row[[i, 0]] = mx[[j, i]];
                    row[[i, 1]] = my[[j, i]];
                }
            });
        Ok(())
    };
    if stepsize <= 1 {
        exact(&mut out)?;
        return Ok(out);
    }
    let step = stepsize as f64;
    let gx: Vec<f64> = (0..=nx / stepsize + 1)
        .map(|i| i as f64 * step - 1.0)
        .collect();
    let gy: Vec<f64> = (0..=ny / stepsize + 1)
        .map(|j| j as f64 * step - 1.0)
        .collect();
    let (ngx, ngy) = (gx.len(), gy.len());
    let px: Vec<f64> = (0..ngy).flat_map(|_| gx.iter().copied()).collect();
    let py: Vec<f64> = gy
        .iter()
        .flat_map(|&y| std::iter::repeat_n(y, ngx))
        .collect();
    let (mut vx, mut vy) = (vec![0.0; px.len()], vec![0.0; px.len()]);
    if mapper.map_points(&px, &py, &mut vx, &mut vy).is_err()
        || vx.iter().chain(&vy).any(|v| !v.is_finite())
    {
        exact(&mut out)?;
        return Ok(out);
    }
    let cell = |p: f64, n: usize| -> (usize, f64) {
        let f = (p + 1.0) / step;
        let k = (f.floor().max(0.0) as usize).min(n - 2);
        (k, f - k as f64)
    };
    // The node cell and offset of every column, once; each row then reads two node rows.
    let cols: Vec<(usize, f64)> = (0..nx).map(|i| cell(i as f64, ngx)).collect();
    out.as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(2 * nx)
        .enumerate()
        .for_each(|(j, row)| {
            let (jy, u) = cell(j as f64, ngy);
            let (a, b) = (jy * ngx, (jy + 1) * ngx);
            let (x0, x1) = (&vx[a..a + ngx], &vx[b..b + ngx]);
            let (y0, y1) = (&vy[a..a + ngx], &vy[b..b + ngx]);
            for (p, &(ix, t)) in row.chunks_exact_mut(2).zip(&cols) {
                let bil = |v0: &[f64], v1: &[f64]| {
                    (1.0 - t) * (1.0 - u) * v0[ix]
                        + t * (1.0 - u) * v0[ix + 1]
                        + (1.0 - t) * u * v1[ix]
                        + t * u * v1[ix + 1]
                };
                p[0] = bil(x0, x1);
                p[1] = bil(y0, y1);
            }
        });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_maps_are_reproduced_and_nodes_start_at_minus_one() {
        let a = Wcs::new_tan((10.0, 20.0), (50.0, 40.0), [[-1e-5, 0.0], [0.0, 1e-5]]).unwrap();
        let b = Wcs::new_tan((10.0, 20.0), (52.5, 41.0), [[-1e-5, 0.0], [0.0, 1e-5]]).unwrap();
        let m = drizzlepac_pixmap(&a, &b, (33, 47), 10).unwrap();
        for (j, i) in [(0, 0), (32, 46), (17, 9)] {
            assert!((m[[j, i, 0]] - (i as f64 + 2.5)).abs() < 1e-6);
            assert!((m[[j, i, 1]] - (j as f64 + 1.0)).abs() < 1e-6);
        }
        let e = drizzlepac_pixmap(&a, &b, (33, 47), 1).unwrap();
        assert!((e[[5, 5, 0]] - 7.5).abs() < 1e-9);
    }
}
