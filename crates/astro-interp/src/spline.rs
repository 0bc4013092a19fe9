//! Cubic B-spline prefilter (interpolating coefficients), the same boundary conditions as
//! `scipy.ndimage.spline_filter`.

use crate::Boundary;

/// The pole of the cubic B-spline prefilter, `√3 − 2`.
const Z: f64 = -0.267_949_192_431_122_7;
/// Terms kept in the truncated geometric sums of the initial conditions (`|z|^40 ≈ 1e-23`).
const HORIZON: usize = 40;
/// Padding used (like scipy) for the boundaries without an exact filter initialisation.
pub(crate) const PAD: usize = 12;

/// Exact initial condition families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Init {
    /// Whole-sample symmetric (mirror about the end samples).
    Mirror,
    /// Half-sample symmetric (the end sample repeated).
    Symmetric,
    /// Periodic.
    Periodic,
}

impl Init {
    fn boundary(self) -> Boundary {
        match self {
            Init::Mirror => Boundary::Reflect,
            Init::Symmetric => Boundary::Symmetric,
            Init::Periodic => Boundary::Wrap,
        }
    }

    fn period(self, n: usize) -> usize {
        match self {
            Init::Mirror => 2 * n - 2,
            Init::Symmetric => 2 * n,
            Init::Periodic => n,
        }
    }
}

/// In-place prefilter of one line read through `get`/`set` (a strided view).
pub(crate) fn filter_line(line: &mut [f64], init: Init) {
    let n = line.len();
    if n < 2 {
        return;
    }
    let gain = (1.0 - Z) * (1.0 - 1.0 / Z);
    for v in line.iter_mut() {
        *v *= gain;
    }
    let b = init.boundary();
    let p = init.period(n);
    // Causal init: c+[0] = Σ_k z^k x[-k] over one period / (1 - z^p).
    let terms = p.min(HORIZON);
    let mut zk = 1.0;
    let mut s = 0.0;
    for k in 0..terms {
        let idx = b.map_index(-(k as i64), n).unwrap_or(0);
        s += zk * line[idx];
        zk *= Z;
    }
    let zp = if p <= HORIZON { Z.powi(p as i32) } else { 0.0 };
    line[0] = s / (1.0 - zp);
    for k in 1..n {
        line[k] += Z * line[k - 1];
    }
    // Anticausal init.
    line[n - 1] = match init {
        Init::Mirror => Z / (Z * Z - 1.0) * (line[n - 1] + Z * line[n - 2]),
        Init::Symmetric => Z / (Z - 1.0) * line[n - 1],
        Init::Periodic => {
            let zn = if n <= HORIZON { Z.powi(n as i32) } else { 0.0 };
            let mut zm = Z;
            let mut s = 0.0;
            for m in 0..n.min(HORIZON) {
                s += zm * line[(n - 1 + m) % n];
                zm *= Z;
            }
            -s / (1.0 - zn)
        }
    };
    for k in (0..n - 1).rev() {
        line[k] = Z * (line[k + 1] - line[k]);
    }
}

/// Prefilter a row-major `(ny, nx)` array in place along both axes.
pub(crate) fn filter_2d(c: &mut [f64], ny: usize, nx: usize, init: Init) {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        c.par_chunks_mut(nx).for_each(|row| filter_line(row, init));
        // Columns in fixed chunks of 32 (independent, so thread count does not matter).
        let chunks: Vec<usize> = (0..nx).step_by(32).collect();
        let cols: Vec<Vec<f64>> = chunks
            .par_iter()
            .map(|&x0| {
                let w = 32.min(nx - x0);
                let mut buf = vec![0.0; ny * w];
                let mut line = vec![0.0; ny];
                for dx in 0..w {
                    for j in 0..ny {
                        line[j] = c[j * nx + x0 + dx];
                    }
                    filter_line(&mut line, init);
                    for j in 0..ny {
                        buf[j * w + dx] = line[j];
                    }
                }
                buf
            })
            .collect();
        for (&x0, buf) in chunks.iter().zip(&cols) {
            let w = 32.min(nx - x0);
            for j in 0..ny {
                c[j * nx + x0..j * nx + x0 + w].copy_from_slice(&buf[j * w..(j + 1) * w]);
            }
        }
    }
    #[cfg(not(feature = "rayon"))]
    {
        for row in c.chunks_mut(nx) {
            filter_line(row, init);
        }
        let mut line = vec![0.0; ny];
        for x in 0..nx {
            for j in 0..ny {
                line[j] = c[j * nx + x];
            }
            filter_line(&mut line, init);
            for j in 0..ny {
                c[j * nx + x] = line[j];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The B-spline through the coefficients must pass through the samples:
    /// f[k] = (c[k-1] + 4 c[k] + c[k+1]) / 6 with c extended by the same symmetry.
    #[test]
    fn coefficients_interpolate_samples() {
        for init in [Init::Mirror, Init::Symmetric, Init::Periodic] {
            for n in [2usize, 3, 5, 17, 64] {
                let f: Vec<f64> = (0..n).map(|k| ((k * 7919) % 13) as f64 - 3.5).collect();
                let mut c = f.clone();
                filter_line(&mut c, init);
                let b = init.boundary();
                for k in 0..n as i64 {
                    let g = |i: i64| c[b.map_index(i, n).unwrap()];
                    let v = (g(k - 1) + 4.0 * g(k) + g(k + 1)) / 6.0;
                    assert!(
                        (v - f[k as usize]).abs() < 1e-10,
                        "{init:?} n={n} k={k}: {v} vs {}",
                        f[k as usize]
                    );
                }
            }
        }
    }
}
