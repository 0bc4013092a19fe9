//! The drizzle kernels: footprint of one input pixel on the output and its weights.
//!
//! Each kernel visits the output pixels of one input pixel restricted to the output rows
//! `[r0, r1)` (the stripe the calling task owns) and columns `[0, nx)`, and reports
//! `(ii, jj, dow)` with `dow` the kernel weight already multiplied by the pixel weight.

use crate::options::Kernel;

/// Local pixel map around the pixels being drizzled: centres of input pixels
/// `x0..x0+w` × `y0..y0+h`.
pub(crate) struct Tile {
    pub(crate) x0: usize,
    pub(crate) y0: usize,
    pub(crate) w: usize,
    pub(crate) h: usize,
    pub(crate) xs: Vec<f64>,
    pub(crate) ys: Vec<f64>,
}

impl Tile {
    #[inline(always)]
    pub(crate) fn at(&self, i: usize, j: usize) -> (f64, f64) {
        let k = (j - self.y0) * self.w + (i - self.x0);
        (self.xs[k], self.ys[k])
    }

    #[inline(always)]
    fn at_i(&self, i: isize, j: isize) -> Option<(f64, f64)> {
        if i < self.x0 as isize
            || j < self.y0 as isize
            || i >= (self.x0 + self.w) as isize
            || j >= (self.y0 + self.h) as isize
        {
            return None;
        }
        let p = self.at(i as usize, j as usize);
        (p.0.is_finite() && p.1.is_finite()).then_some(p)
    }

    /// Bilinear interpolation of the map at `(x, y)` on the cell holding it, the cell
    /// index clamped to the tile (extrapolation at the edges), as drizzle's
    /// `interpolate_point`. Needs `w >= 2` and `h >= 2`.
    #[inline(always)]
    fn bilinear(&self, x: f64, y: f64) -> (f64, f64) {
        let ci =
            (x.floor() as isize).clamp(self.x0 as isize, (self.x0 + self.w - 2) as isize) as usize;
        let cj =
            (y.floor() as isize).clamp(self.y0 as isize, (self.y0 + self.h - 2) as isize) as usize;
        let fx = x - ci as f64;
        let fy = y - cj as f64;
        let k = (cj - self.y0) * self.w + (ci - self.x0);
        let w = self.w;
        let (gx, gy) = (1.0 - fx, 1.0 - fy);
        let xs = &self.xs;
        let ys = &self.ys;
        let ox = (xs[k] * gx + xs[k + 1] * fx) * gy + (xs[k + w] * gx + xs[k + w + 1] * fx) * fy;
        let oy = (ys[k] * gx + ys[k + 1] * fx) * gy + (ys[k + w] * gx + ys[k + w + 1] * fx) * fy;
        (ox, oy)
    }

    /// Output positions of the four corners `(i∓dh, j±dh)` of input pixel `(i, j)`, in
    /// drizzle's order (clockwise with y up): top-left, top-right, bottom-right,
    /// bottom-left. Bilinear on the map like drizzle; where that meets a NaN (or the image
    /// is a single row/column) a local affine model around the centre is used instead, so
    /// a NaN only drops the pixels that are NaN themselves.
    #[inline(always)]
    pub(crate) fn corners(
        &self,
        i: usize,
        j: usize,
        dh: f64,
        full_w: bool,
        full_h: bool,
    ) -> Option<([f64; 4], [f64; 4])> {
        let (fi, fj) = (i as f64, j as f64);
        let px = [fi - dh, fi + dh, fi + dh, fi - dh];
        let py = [fj + dh, fj + dh, fj - dh, fj - dh];
        let mut xo = [0.0; 4];
        let mut yo = [0.0; 4];
        // Fast path: the 3×3 neighbourhood is in the tile and every corner lies in one of
        // the four cells around the centre; bilinear interpolation is then separable:
        // first along x at i ± dh in rows j-1, j, j+1, then along y.
        if dh <= 1.0
            && i > self.x0
            && j > self.y0
            && i + 1 < self.x0 + self.w
            && j + 1 < self.y0 + self.h
        {
            let k = (j - self.y0) * self.w + (i - self.x0);
            let w = self.w;
            let (a, b) = (1.0 - dh, dh);
            let xs = &self.xs[k - w - 1..k + w + 2];
            let ys = &self.ys[k - w - 1..k + w + 2];
            // rows: 0 = j-1, 1 = j, 2 = j+1; column offsets 0 = i-1, 1 = i, 2 = i+1
            let hm = |v: &[f64], r: usize| a * v[r * w + 1] + b * v[r * w];
            let hp = |v: &[f64], r: usize| a * v[r * w + 1] + b * v[r * w + 2];
            let (xm0, xm1, xm2) = (hm(xs, 0), hm(xs, 1), hm(xs, 2));
            let (xp0, xp1, xp2) = (hp(xs, 0), hp(xs, 1), hp(xs, 2));
            let (ym0, ym1, ym2) = (hm(ys, 0), hm(ys, 1), hm(ys, 2));
            let (yp0, yp1, yp2) = (hp(ys, 0), hp(ys, 1), hp(ys, 2));
            xo = [
                a * xm1 + b * xm2,
                a * xp1 + b * xp2,
                a * xp1 + b * xp0,
                a * xm1 + b * xm0,
            ];
            yo = [
                a * ym1 + b * ym2,
                a * yp1 + b * yp2,
                a * yp1 + b * yp0,
                a * ym1 + b * ym0,
            ];
            if xo.iter().chain(yo.iter()).all(|v| v.is_finite()) {
                return Some((xo, yo));
            }
        }
        if full_w && full_h {
            let mut ok = true;
            for k in 0..4 {
                let (a, b) = self.bilinear(px[k], py[k]);
                xo[k] = a;
                yo[k] = b;
                ok &= a.is_finite() && b.is_finite();
            }
            if ok {
                return Some((xo, yo));
            }
        }
        // Local affine fallback.
        let (cx, cy) = self.at(i, j);
        if !(cx.is_finite() && cy.is_finite()) {
            return None;
        }
        let (ii, jj) = (i as isize, j as isize);
        let deriv = |di: isize, dj: isize| -> Option<(f64, f64)> {
            if let Some((x, y)) = self.at_i(ii + di, jj + dj) {
                return Some((x - cx, y - cy));
            }
            self.at_i(ii - di, jj - dj).map(|(x, y)| (cx - x, cy - y))
        };
        let (ex, ey) = match (deriv(1, 0), deriv(0, 1)) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, (-a.1, a.0)),
            (None, Some(b)) => ((b.1, -b.0), b),
            (None, None) => ((1.0, 0.0), (0.0, 1.0)),
        };
        for k in 0..4 {
            let (dx, dy) = (px[k] - fi, py[k] - fj);
            xo[k] = cx + ex.0 * dx + ey.0 * dy;
            yo[k] = cy + ex.1 * dx + ey.1 * dy;
        }
        Some((xo, yo))
    }
}

/// Prepared constants of one kernel for one image.
pub(crate) enum KernelParams {
    Square { dh: f64 },
    Turbo { pfo: f64, ac: f64 },
    Point,
    Gaussian { pfo: f64, efac: f64, es: f64 },
    Lanczos { pfo: f64, sdp: f64, lut: Vec<f64> },
}

/// Look-up table spacing of the Lanczos kernel (input pixels).
const LANCZOS_DEL: f64 = 0.003;

impl KernelParams {
    pub(crate) fn new(kernel: Kernel, pixfrac: f64, psr: f64) -> KernelParams {
        match kernel {
            Kernel::Square => KernelParams::Square { dh: 0.5 * pixfrac },
            Kernel::Turbo => KernelParams::Turbo {
                pfo: pixfrac / psr / 2.0,
                ac: psr * psr / (pixfrac * pixfrac),
            },
            Kernel::Point => KernelParams::Point,
            Kernel::Gaussian => {
                let efac = 2.3548 * 2.3548 * psr * psr / (pixfrac * pixfrac) / 2.0;
                KernelParams::Gaussian {
                    pfo: (2.5 * pixfrac / 2.3548 / psr).max(1.2 / psr),
                    efac,
                    es: efac / std::f64::consts::PI,
                }
            }
            Kernel::Lanczos2 | Kernel::Lanczos3 => {
                let order = if kernel == Kernel::Lanczos2 { 2.0 } else { 3.0 };
                let nlut = (order / LANCZOS_DEL).ceil() as usize + 1;
                let lut = (0..nlut)
                    .map(|k| {
                        let x = k as f64 * LANCZOS_DEL;
                        if k == 0 {
                            1.0
                        } else if x <= order {
                            let a = std::f64::consts::PI * x;
                            (a.sin() / a) * ((a / order).sin() / (a / order))
                        } else {
                            0.0
                        }
                    })
                    .collect();
                KernelParams::Lanczos {
                    pfo: order / psr,
                    sdp: psr / LANCZOS_DEL,
                    lut,
                }
            }
        }
    }

    /// Half-size (output pixels) of the footprint around the mapped centre, for kernels
    /// centred on it (not square).
    pub(crate) fn half_extent(&self) -> f64 {
        match self {
            KernelParams::Square { .. } | KernelParams::Point => 0.0,
            KernelParams::Turbo { pfo, .. }
            | KernelParams::Gaussian { pfo, .. }
            | KernelParams::Lanczos { pfo, .. } => *pfo,
        }
    }
}

/// C `round` (half away from zero) to an integer, without a libm call. Saturates for
/// huge or non-finite values (which then fall outside every output range).
#[inline(always)]
pub(crate) fn nint(x: f64) -> i64 {
    let t = x as i64;
    let f = x - t as f64;
    if f >= 0.5 {
        t + 1
    } else if f <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// `floor` to an integer without a libm call (saturating).
#[inline(always)]
pub(crate) fn ifloor(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

/// One edge of a quadrilateral with its cached slope.
#[derive(Clone, Copy)]
struct Edge {
    x1: f64,
    y1: f64,
    xlo: f64,
    xhi: f64,
    m: f64,
    sgn: f64,
}

#[inline(always)]
fn ramp_integral(t: f64) -> f64 {
    // ∫_{-inf}^{t} clamp(s, 0, 1)' ... i.e. F(t) with F' = clamp(t, 0, 1), F(0) = 0.
    if t <= 0.0 {
        0.0
    } else if t <= 1.0 {
        0.5 * t * t
    } else {
        t - 0.5
    }
}

impl Edge {
    /// Area between this edge and the line y = py, clipped to the unit square
    /// `[px, px+1] × [py, py+1]` (positive; the caller applies `sgn`).
    #[inline(always)]
    fn under(&self, px: f64, py: f64) -> f64 {
        let a = self.xlo.max(px);
        let b = self.xhi.min(px + 1.0);
        if a >= b {
            return 0.0;
        }
        let ya = self.y1 + self.m * (a - self.x1) - py;
        let yb = self.y1 + self.m * (b - self.x1) - py;
        clipped_area(b - a, ya, yb, self.m)
    }
}

/// Most output columns a quad may span for the column-cached boxer.
const MAX_COLS: usize = 8;

/// Area under a segment of width `w` going linearly from height `ya` to `yb` (relative to
/// the bottom of a unit-high row, slope `m`), clipped to the row `[0, 1]`.
#[inline(always)]
fn clipped_area(w: f64, ya: f64, yb: f64, m: f64) -> f64 {
    let (lo, hi) = if ya <= yb { (ya, yb) } else { (yb, ya) };
    if hi <= 0.0 {
        0.0
    } else if lo >= 1.0 {
        w
    } else if lo >= 0.0 && hi <= 1.0 {
        0.5 * w * (lo + hi)
    } else {
        // crossing y = 0 or y = 1: hi > lo, hence m != 0 and hi - lo = |m| w
        (ramp_integral(hi) - ramp_integral(lo)) / m.abs()
    }
}

/// Signed overlap area of the quadrilateral (edges) with output pixel `(ii, jj)`.
#[inline(always)]
fn boxer(edges: &[Edge; 4], n: usize, ii: i64, jj: i64) -> f64 {
    let px = ii as f64 - 0.5;
    let py = jj as f64 - 0.5;
    let mut s = 0.0;
    for e in &edges[..n] {
        s += e.sgn * e.under(px, py);
    }
    s
}

/// Output region a task may write: rows `[r0, r1)`, columns `[0, nx)`.
#[derive(Clone, Copy)]
pub(crate) struct Clip {
    pub(crate) r0: i64,
    pub(crate) r1: i64,
    pub(crate) nx: i64,
}

/// Visit the output pixels of input pixel `(i, j)` (weight `w`) inside `clip`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn deposit<F: FnMut(usize, usize, f32)>(
    kp: &KernelParams,
    tile: &Tile,
    i: usize,
    j: usize,
    w: f64,
    full: (bool, bool),
    clip: Clip,
    mut upd: F,
) {
    match kp {
        KernelParams::Point => {
            let (ox, oy) = tile.at(i, j);
            let ii = nint(ox);
            let jj = nint(oy);
            if ii >= 0 && ii < clip.nx && jj >= clip.r0 && jj < clip.r1 {
                upd(ii as usize, jj as usize, w as f32);
            }
        }
        KernelParams::Turbo { pfo, ac } => {
            let (ox, oy) = tile.at(i, j);
            let (xxi, xxa, yyi, yya) = (ox - pfo, ox + pfo, oy - pfo, oy + pfo);
            let i0 = nint(xxi).max(0);
            let i1 = nint(xxa).min(clip.nx - 1);
            let j0 = nint(yyi).max(clip.r0);
            let j1 = nint(yya).min(clip.r1 - 1);
            for jj in j0..=j1 {
                let dy = yya.min(jj as f64 + 0.5) - yyi.max(jj as f64 - 0.5);
                if dy <= 0.0 {
                    continue;
                }
                for ii in i0..=i1 {
                    let dx = xxa.min(ii as f64 + 0.5) - xxi.max(ii as f64 - 0.5);
                    if dx > 0.0 {
                        let dow = (dx * dy * ac * w) as f32;
                        upd(ii as usize, jj as usize, dow);
                    }
                }
            }
        }
        KernelParams::Gaussian { pfo, efac, es } => {
            let (ox, oy) = tile.at(i, j);
            let i0 = nint(ox - pfo).max(0);
            let i1 = nint(ox + pfo).min(clip.nx - 1);
            let j0 = nint(oy - pfo).max(clip.r0);
            let j1 = nint(oy + pfo).min(clip.r1 - 1);
            for jj in j0..=j1 {
                let ddy = oy - jj as f64;
                for ii in i0..=i1 {
                    let ddx = ox - ii as f64;
                    let r2 = ddx * ddx + ddy * ddy;
                    let dover = (es * (-r2 * efac).exp()) as f32;
                    upd(ii as usize, jj as usize, (dover as f64 * w) as f32);
                }
            }
        }
        KernelParams::Lanczos { pfo, sdp, lut } => {
            let (ox, oy) = tile.at(i, j);
            let i0 = (ifloor(ox - pfo) + 1).max(0);
            let i1 = ifloor(ox + pfo).min(clip.nx - 1);
            let j0 = (ifloor(oy - pfo) + 1).max(clip.r0);
            let j1 = ifloor(oy + pfo).min(clip.r1 - 1);
            let nlut = lut.len();
            for jj in j0..=j1 {
                let iy = nint((oy - jj as f64).abs() * sdp) as usize;
                if iy >= nlut {
                    continue;
                }
                let ly = lut[iy];
                for ii in i0..=i1 {
                    let ix = nint((ox - ii as f64).abs() * sdp) as usize;
                    if ix >= nlut {
                        continue;
                    }
                    let dow = (lut[ix] * ly * w) as f32;
                    upd(ii as usize, jj as usize, dow);
                }
            }
        }
        KernelParams::Square { dh } => {
            let Some((xo, yo)) = tile.corners(i, j, *dh, full.0, full.1) else {
                return;
            };
            let jaco =
                0.5 * ((xo[1] - xo[3]) * (yo[0] - yo[2]) - (xo[0] - xo[2]) * (yo[1] - yo[3]));
            if jaco == 0.0 || !jaco.is_finite() {
                return;
            }
            let (mut xmin, mut xmax, mut ymin, mut ymax) = (xo[0], xo[0], yo[0], yo[0]);
            for k in 1..4 {
                xmin = xmin.min(xo[k]);
                xmax = xmax.max(xo[k]);
                ymin = ymin.min(yo[k]);
                ymax = ymax.max(yo[k]);
            }
            let j0 = nint(ymin).max(clip.r0);
            let j1 = nint(ymax).min(clip.r1 - 1);
            let i0 = nint(xmin).max(0);
            let i1 = nint(xmax).min(clip.nx - 1);
            if j0 > j1 || i0 > i1 {
                return;
            }
            let wj = w / jaco;
            let sj = jaco.signum();
            let mut edges = [Edge {
                x1: 0.0,
                y1: 0.0,
                xlo: 0.0,
                xhi: 0.0,
                m: 0.0,
                sgn: 0.0,
            }; 4];
            let mut n = 0;
            for k in 0..4 {
                let k2 = (k + 1) & 3;
                let (x1, y1, x2, y2) = (xo[k], yo[k], xo[k2], yo[k2]);
                let dx = x2 - x1;
                if dx == 0.0 {
                    continue;
                }
                let m = (y2 - y1) / dx;
                edges[n] = Edge {
                    x1,
                    y1,
                    xlo: x1.min(x2),
                    xhi: x1.max(x2),
                    m,
                    sgn: dx.signum(),
                };
                n += 1;
            }
            let ncol = (i1 - i0 + 1) as usize;
            if ncol <= MAX_COLS {
                // Per (edge, column): the edge clipped to the column, and its absolute y at
                // both ends; only the row offset changes from one output row to the next.
                let mut seg = [[(0.0f64, 0.0f64, 0.0f64); MAX_COLS]; 4];
                for (e, row) in edges[..n].iter().zip(seg.iter_mut()) {
                    for (c, sg) in row[..ncol].iter_mut().enumerate() {
                        let px = (i0 + c as i64) as f64 - 0.5;
                        let a = e.xlo.max(px);
                        let b = e.xhi.min(px + 1.0);
                        *sg = if a >= b {
                            (0.0, f64::NAN, f64::NAN)
                        } else {
                            (b - a, e.y1 + e.m * (a - e.x1), e.y1 + e.m * (b - e.x1))
                        };
                    }
                }
                for jj in j0..=j1 {
                    let py = jj as f64 - 0.5;
                    for c in 0..ncol {
                        let mut area = 0.0;
                        for (e, row) in edges[..n].iter().zip(seg.iter()) {
                            let (w, ya, yb) = row[c];
                            if w > 0.0 {
                                area += e.sgn * clipped_area(w, ya - py, yb - py, e.m);
                            }
                        }
                        if area * sj > 0.0 {
                            upd((i0 + c as i64) as usize, jj as usize, (area * wj) as f32);
                        }
                    }
                }
            } else {
                for jj in j0..=j1 {
                    for ii in i0..=i1 {
                        let a = boxer(&edges, n, ii, jj);
                        if a * sj > 0.0 {
                            let dow = (a * wj) as f32;
                            upd(ii as usize, jj as usize, dow);
                        }
                    }
                }
            }
        }
    }
}
