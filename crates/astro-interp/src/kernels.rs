//! One-dimensional kernel weights. Every 2-D interpolant here is separable: the value at
//! `(x, y)` is `Σ_j wy[j] Σ_i wx[i] p(sx + i, sy + j)`.

/// Spacing of drizzle's Lanczos look-up table (pixels).
pub(crate) const LANCZOS_LUT_DELTA: f64 = 0.003;

/// `floor` as an `i64`; the caller guarantees `|x| < 2^62`. (A truncating conversion and a
/// compare: `f64::floor` is a libm call on baseline x86-64.)
#[inline(always)]
pub(crate) fn ifloor(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

/// Linear weights: taps `floor(x)`, `floor(x)+1`.
#[inline(always)]
pub(crate) fn linear(x: f64) -> (i64, [f64; 2]) {
    let i = ifloor(x);
    let t = x - i as f64;
    (i, [1.0 - t, t])
}

/// Cubic Lagrange weights through the nodes -1, 0, 1, 2 (relative to `floor(x)`). This is
/// the polynomial that Everett's central-difference formula in drizzle/IRAF evaluates.
#[inline(always)]
pub(crate) fn poly3(x: f64) -> (i64, [f64; 4]) {
    let i = ifloor(x);
    let t = x - i as f64;
    let (tm1, tm2, tp1) = (t - 1.0, t - 2.0, t + 1.0);
    (
        i - 1,
        [
            -t * tm1 * tm2 * (1.0 / 6.0),
            tp1 * tm1 * tm2 * 0.5,
            -tp1 * t * tm2 * 0.5,
            tp1 * t * tm1 * (1.0 / 6.0),
        ],
    )
}

/// Quintic Lagrange weights through the nodes -2..=3 (relative to `floor(x)`).
#[inline(always)]
pub(crate) fn poly5(x: f64) -> (i64, [f64; 6]) {
    let i = ifloor(x);
    (i - 2, poly5_weights(x - i as f64))
}

/// [`poly5`]'s weights for the fraction `t = x − floor(x)`.
#[inline(always)]
pub(crate) fn poly5_weights(t: f64) -> [f64; 6] {
    let d = [t + 2.0, t + 1.0, t, t - 1.0, t - 2.0, t - 3.0];
    // w_k = Π_{m≠k} d_m / Π_{m≠k} (k − m). The products of all factors but one, from the
    // three pair products (a short dependency chain), times the reciprocals of the
    // denominators (-120, 24, -12, 12, -24, 120): no divisions.
    let (a, b, c) = (d[0] * d[1], d[2] * d[3], d[4] * d[5]);
    let (bc, ac, ab) = (b * c, a * c, a * b);
    [
        d[1] * bc * (-1.0 / 120.0),
        d[0] * bc * (1.0 / 24.0),
        d[3] * ac * (-1.0 / 12.0),
        d[2] * ac * (1.0 / 12.0),
        d[5] * ab * (-1.0 / 24.0),
        d[4] * ab * (1.0 / 120.0),
    ]
}

/// Cubic B-spline basis weights: taps `floor(x)-1 ..= floor(x)+2`.
#[inline(always)]
pub(crate) fn bspline3(x: f64) -> (i64, [f64; 4]) {
    let i = ifloor(x);
    let t = x - i as f64;
    let u = 1.0 - t;
    let t2 = t * t;
    let t3 = t2 * t;
    (
        i - 1,
        [
            u * u * u / 6.0,
            (3.0 * t3 - 6.0 * t2 + 4.0) / 6.0,
            (-3.0 * t3 + 3.0 * t2 + 3.0 * t + 1.0) / 6.0,
            t3 / 6.0,
        ],
    )
}

/// drizzle's Lanczos look-up table: `lut[k] = sinc(k δ) sinc(k δ / a)` for `k δ ≤ a`, else 0,
/// with `δ = 0.003` and `ceil(a/δ) + 1` entries.
pub(crate) fn lanczos_lut(a: usize) -> Vec<f64> {
    let order = a as f64;
    let n = (order / LANCZOS_LUT_DELTA).ceil() as usize + 1;
    let mut lut = vec![0.0; n];
    lut[0] = 1.0;
    for (k, v) in lut.iter_mut().enumerate().skip(1) {
        let x = k as f64 * LANCZOS_LUT_DELTA;
        if x <= order {
            let p = std::f64::consts::PI * x;
            let r = p / order;
            *v = p.sin() * r.sin() / (p * r);
        }
    }
    lut
}

/// Lanczos-a weights from the table: taps `floor(x)-a+1 ..= floor(x)+a`, weight of tap `i` =
/// `lut[trunc(|x - i| / δ)]` (0 past the table), not renormalised.
#[inline(always)]
pub(crate) fn lanczos<const N: usize>(x: f64, lut: &[f64]) -> (i64, [f64; N]) {
    let a = (N / 2) as i64;
    let s = ifloor(x) - a + 1;
    let mut w = [0.0; N];
    for (k, wk) in w.iter_mut().enumerate() {
        // trunc(|x - i| / δ) exactly as drizzle (i64: one conversion instruction).
        let idx = ((x - (s + k as i64) as f64).abs() / LANCZOS_LUT_DELTA) as i64;
        *wk = match lut.get(idx as usize) {
            Some(&v) => v,
            None => 0.0,
        };
    }
    (s, w)
}

/// Signed taper of the drizzle/IRAF tapered sinc: `(-1)^d (1 + a2 u + a4 u²)²`,
/// `u = (π / (2 nsinc))² d²`, for `d = -nsinc..=nsinc`.
pub(crate) fn sinc_taper(nsinc: usize) -> Vec<f64> {
    const A2: f64 = -0.49670;
    const A4: f64 = 0.03705;
    let c = (std::f64::consts::FRAC_PI_2 / nsinc as f64).powi(2);
    (-(nsinc as i64)..=nsinc as i64)
        .map(|d| {
            let u = c * (d * d) as f64;
            let t = (1.0 + A2 * u + A4 * u * u).powi(2);
            if d.rem_euclid(2) == 1 { -t } else { t }
        })
        .collect()
}

/// Normalised tapered-sinc weights for a (scaled) offset `dx` from the central tap:
/// `w_d ∝ taper_d / (dx − d)`; a delta at `d = 0` when `dx == 0`.
pub(crate) fn sinc_weights(dx: f64, taper: &[f64], w: &mut [f64]) {
    let nsinc = (taper.len() / 2) as i64;
    if dx == 0.0 {
        w.fill(0.0);
        w[nsinc as usize] = 1.0;
        return;
    }
    let mut sum = 0.0;
    for (k, (wk, tk)) in w.iter_mut().zip(taper).enumerate() {
        let d = k as i64 - nsinc;
        let den = dx - d as f64;
        *wk = if den == 0.0 { 1.0 } else { tk / den };
        sum += *wk;
    }
    for wk in w.iter_mut() {
        *wk /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poly_weights_reproduce_polynomials() {
        for &x in &[0.0, 0.25, 0.5, 0.99, -3.7, 12.125] {
            let (s, w) = poly3(x);
            let v: f64 = (0..4).map(|k| w[k] * ((s + k as i64) as f64).powi(3)).sum();
            assert!((v - x.powi(3)).abs() < 1e-9 * (1.0 + x.abs().powi(3)));
            let (s, w) = poly5(x);
            let v: f64 = (0..6).map(|k| w[k] * ((s + k as i64) as f64).powi(5)).sum();
            assert!((v - x.powi(5)).abs() < 1e-8 * (1.0 + x.abs().powi(5)));
            let (_, w) = bspline3(x);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        }
    }

    #[test]
    fn sinc_taper_matches_drizzle_sign_convention() {
        let t = sinc_taper(7);
        assert_eq!(t.len(), 15);
        assert!(t[7] == 1.0 && t[6] < 0.0 && t[8] < 0.0 && t[0] < 0.0);
        let mut w = vec![0.0; 15];
        sinc_weights(0.3, &t, &mut w);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        // sinc(dx - d): positive at d = 0, 1 (offsets 0.3, -0.7), negative at d = -1 (1.3).
        assert!(w[7] > w[8] && w[8] > 0.0 && w[6] < 0.0);
    }

    #[test]
    fn lanczos_lut_has_drizzle_size() {
        let lut = lanczos_lut(3);
        assert_eq!(lut.len(), 1001);
        assert_eq!(lut[0], 1.0);
        assert!(lut[1000].abs() < 1e-12);
    }
}
