//! Catalog matching in a tangent plane: the initial shift from a 2-D histogram of
//! pairwise offsets (tweakwcs `_estimate_2dhist_shift`), the `xyxymatch` "tolerance"
//! matcher, and a triangle matcher for large rotations/offsets.

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;

use crate::error::{Error, Result, invalid};

type Tree = ImmutableKdTree<f64, u32, 2, 32>;

/// Build a k-d tree over the finite points; returns the tree and the original index
/// of every tree item.
pub(crate) fn build_tree(points: &[(f64, f64)]) -> (Tree, Vec<usize>) {
    let mut pts = Vec::with_capacity(points.len());
    let mut idx = Vec::with_capacity(points.len());
    for (i, &(x, y)) in points.iter().enumerate() {
        if x.is_finite() && y.is_finite() {
            pts.push([x, y]);
            idx.push(i);
        }
    }
    (ImmutableKdTree::new_from_slice(&pts), idx)
}

/// Largest histogram half-width (bins each side of zero offset) that
/// [`estimate_2dhist_shift`] accepts: `searchrad / pscale` up to 2000.
///
/// # Examples
///
/// ```
/// assert_eq!(astro_align::MAX_HIST_HALF_WIDTH, 2000);
/// ```
pub const MAX_HIST_HALF_WIDTH: usize = 2000;

/// How the peak of the offset histogram was located (tweakwcs `_find_peak` status).
///
/// # Examples
///
/// ```
/// assert_ne!(astro_align::PeakStatus::Success, astro_align::PeakStatus::Edge);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeakStatus {
    /// Quadratic fit to the 5×5 box around the maximum.
    Success,
    /// Maximum on the edge of the box: integer bin returned.
    Edge,
    /// Quadratic without a maximum: centre of mass of the box.
    BadFit,
    /// Too few bins or a failed fit: centre of mass of the box.
    CenterOfMass,
    /// Exactly one non-empty bin: its centre.
    SingleBin,
    /// No pair within the search radius (shift 0, 0).
    NoData,
}

/// The 2-D histogram of offsets `image - reference` and its peak.
///
/// # Examples
///
/// ```
/// use astro_align::estimate_2dhist_shift;
/// let refp: Vec<(f64, f64)> = (0..50).map(|i| ((i * 37 % 101) as f64 * 3.1, (i * 53 % 97) as f64 * 2.9)).collect();
/// let img: Vec<_> = refp.iter().map(|&(x, y)| (x + 2.3, y - 1.2)).collect();
/// let h = estimate_2dhist_shift(&img, &refp, 5.0, 1.0)?;
/// assert!((h.shift.0 - 2.3).abs() < 0.5 && (h.shift.1 + 1.2).abs() < 0.5);
/// # Ok::<(), astro_align::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetHistogram {
    /// Shift `image - reference` in tangent-plane units (the `origin` for xyxymatch).
    pub shift: (f64, f64),
    /// How the peak was found.
    pub status: PeakStatus,
    /// Bin counts, `counts[iy][ix]`, `2·ceil(r)+1` square, bin `k` centred on
    /// `(k - ceil(r))·pscale`.
    pub counts: Vec<Vec<f64>>,
    /// Peak position in bin units (fractional).
    pub peak: (f64, f64),
    /// `ceil(searchrad / pscale)`.
    pub half_width: usize,
    /// Bin size in tangent-plane units.
    pub pscale: f64,
    /// Pairs in the peak box (tweakwcs "matches").
    pub npeak: usize,
}

/// Estimate the shift between an image and a reference catalog from the 2-D histogram
/// of all pairwise offsets within `searchrad` (tangent-plane units; `pscale` is the
/// size of one image pixel in those units and sets the bin size).
///
/// Semantics of tweakwcs 0.9.3, including its quirk: the shift is
/// `pscale·peak - searchrad`, biased by `(ceil(r) - r)·pscale` when `r =
/// searchrad/pscale` is not an integer (the tolerance match absorbs it).
///
/// # Examples
///
/// ```
/// use astro_align::{estimate_2dhist_shift, PeakStatus};
/// let h = estimate_2dhist_shift(&[(0.0, 0.0)], &[(100.0, 100.0)], 3.0, 1.0)?;
/// assert_eq!(h.status, PeakStatus::NoData);
/// assert_eq!(h.shift, (0.0, 0.0));
/// assert!(estimate_2dhist_shift(&[(0.0, 0.0)], &[(0.0, 0.0)], 1e9, 1.0).is_err());
/// # Ok::<(), astro_align::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a non-positive or non-finite `searchrad` or `pscale`,
/// or a histogram wider than [`MAX_HIST_HALF_WIDTH`] bins each side of zero.
pub fn estimate_2dhist_shift(
    image: &[(f64, f64)],
    reference: &[(f64, f64)],
    searchrad: f64,
    pscale: f64,
) -> Result<OffsetHistogram> {
    if !(searchrad > 0.0) || !searchrad.is_finite() {
        return Err(invalid(
            "searchrad",
            format!("must be positive and finite, got {searchrad}"),
        ));
    }
    if !(pscale > 0.0) || !pscale.is_finite() {
        return Err(invalid(
            "pscale",
            format!("must be positive and finite, got {pscale}"),
        ));
    }
    if searchrad / pscale > MAX_HIST_HALF_WIDTH as f64 {
        return Err(invalid(
            "searchrad",
            format!(
                "{searchrad} is {} bins of {pscale}; at most {MAX_HIST_HALF_WIDTH} are allowed",
                searchrad / pscale
            ),
        ));
    }
    let img: Vec<(f64, f64)> = image
        .iter()
        .map(|&(x, y)| (x / pscale, y / pscale))
        .collect();
    let refs: Vec<(f64, f64)> = reference
        .iter()
        .map(|&(x, y)| (x / pscale, y / pscale))
        .collect();
    let r = searchrad / pscale;
    let half = r.ceil().max(0.0) as usize;
    let nb = 2 * half + 1;
    let mut counts = vec![vec![0.0f64; nb]; nb];
    let (tree, tidx) = build_tree(&refs);
    let lim = r + 0.5;
    let qr = lim * std::f64::consts::SQRT_2;
    let lo = -(half as f64) - 0.5;
    let bin = |d: f64| -> Option<usize> {
        if !(d >= lo && d <= -lo) {
            return None;
        }
        let mut k = (d - lo).floor() as i64;
        let edge = |k: i64| lo + k as f64;
        if k > 0 && d < edge(k) {
            k -= 1;
        }
        if d >= edge(k + 1) {
            k += 1;
        }
        Some((k.max(0) as usize).min(nb - 1))
    };
    if tidx.is_empty() {
        return Ok(nodata(counts, half, pscale));
    }
    for &(x, y) in &img {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        for nn in tree.within_unsorted::<SquaredEuclidean>(&[x, y], qr * qr) {
            let (rx, ry) = refs[tidx[nn.item as usize]];
            let (dx, dy) = (x - rx, y - ry);
            if dx < lim
                && dx >= -lim
                && dy < lim
                && dy >= -lim
                && let (Some(ix), Some(iy)) = (bin(dx), bin(dy))
            {
                counts[iy][ix] += 1.0;
            }
        }
    }
    let nonzero = counts.iter().flatten().filter(|&&c| c > 0.0).count();
    if nonzero == 0 {
        return Ok(nodata(counts, half, pscale));
    }
    let (peak, status, npeak) = if nonzero == 1 {
        let mut pos = (0, 0);
        for (iy, row) in counts.iter().enumerate() {
            for (ix, &c) in row.iter().enumerate() {
                if c > 0.0 {
                    pos = (ix, iy);
                }
            }
        }
        let c = counts[pos.1][pos.0] as usize;
        ((pos.0 as f64, pos.1 as f64), PeakStatus::SingleBin, c)
    } else {
        find_peak(&counts)
    };
    if status == PeakStatus::NoData {
        return Ok(nodata(counts, half, pscale));
    }
    Ok(OffsetHistogram {
        shift: (pscale * peak.0 - searchrad, pscale * peak.1 - searchrad),
        status,
        counts,
        peak,
        half_width: half,
        pscale,
        npeak,
    })
}

fn nodata(counts: Vec<Vec<f64>>, half: usize, pscale: f64) -> OffsetHistogram {
    OffsetHistogram {
        shift: (0.0, 0.0),
        status: PeakStatus::NoData,
        counts,
        peak: (half as f64, half as f64),
        half_width: half,
        pscale,
        npeak: 0,
    }
}

/// Peak of a histogram (bins with counts > 0 only), tweakwcs `_find_peak` with a 5-bin box.
fn find_peak(data: &[Vec<f64>]) -> ((f64, f64), PeakStatus, usize) {
    const BOX: usize = 5;
    let ny = data.len();
    let nx = data[0].len();
    let mut best: Option<(usize, usize)> = None;
    for (j, row) in data.iter().enumerate() {
        for (i, &v) in row.iter().enumerate() {
            if v > 0.0 && best.is_none_or(|(bi, bj)| v > data[bj][bi]) {
                best = Some((i, j));
            }
        }
    }
    let Some((imax, jmax)) = best else {
        return (
            ((nx as f64 - 1.0) / 2.0, (ny as f64 - 1.0) / 2.0),
            PeakStatus::NoData,
            0,
        );
    };
    if data[jmax][imax] < 1.0 {
        return (
            ((nx as f64 - 1.0) / 2.0, (ny as f64 - 1.0) / 2.0),
            PeakStatus::NoData,
            0,
        );
    }
    let mut x1 = imax.saturating_sub(BOX / 2);
    let mut x2 = nx.min(x1 + BOX);
    let mut y1 = jmax.saturating_sub(BOX / 2);
    let mut y2 = ny.min(y1 + BOX);
    let boxsum = |x1: usize, x2: usize, y1: usize, y2: usize| -> usize {
        (y1..y2)
            .map(|j| (x1..x2).map(|i| data[j][i]).sum::<f64>())
            .sum::<f64>() as usize
    };
    if imax == x1 || imax == x2 - 1 || jmax == y1 || jmax == y2 - 1 {
        return (
            (imax as f64, jmax as f64),
            PeakStatus::Edge,
            boxsum(x1, x2, y1, y2),
        );
    }
    if x2 - x1 < BOX {
        if x1 == 0 {
            x2 = nx.min(x1 + BOX);
        }
        if x2 == nx {
            x1 = x2.saturating_sub(BOX);
        }
    }
    if y2 - y1 < BOX {
        if y1 == 0 {
            y2 = ny.min(y1 + BOX);
        }
        if y2 == ny {
            y1 = y2.saturating_sub(BOX);
        }
    }
    let npeak = boxsum(x1, x2, y1, y2);
    // points (local coordinates start at 1 like tweakwcs) with counts > 0
    let mut pts = Vec::new();
    for j in y1..y2 {
        for i in x1..x2 {
            if data[j][i] > 0.0 {
                pts.push(((i + 1 - x1) as f64, (j + 1 - y1) as f64, data[j][i]));
            }
        }
    }
    let com = || {
        let tot: f64 = pts.iter().map(|p| p.2).sum();
        let xc = pts.iter().map(|p| p.0 * p.2).sum::<f64>() / tot;
        let yc = pts.iter().map(|p| p.1 * p.2).sum::<f64>() / tot;
        (x1 as f64 + xc - 1.0, y1 as f64 + yc - 1.0)
    };
    if pts.len() < 6 {
        return (com(), PeakStatus::CenterOfMass, npeak);
    }
    // least squares c0 + c10 x + c01 y + c11 xy + c20 x² + c02 y²
    let mut ata = [[0.0f64; 6]; 6];
    let mut atb = [0.0f64; 6];
    for &(x, y, d) in &pts {
        let v = [1.0, x, y, x * y, x * x, y * y];
        for r in 0..6 {
            atb[r] += v[r] * d;
            for c in 0..6 {
                ata[r][c] += v[r] * v[c];
            }
        }
    }
    let Some(c) = solve6(ata, atb) else {
        return (com(), PeakStatus::CenterOfMass, npeak);
    };
    let (c10, c01, c11, c20, c02) = (c[1], c[2], c[3], c[4], c[5]);
    let det = 4.0 * c02 * c20 - c11 * c11;
    if det <= 0.0 || (c20 > 0.0 && c02 >= 0.0) || (c20 >= 0.0 && c02 > 0.0) {
        return (com(), PeakStatus::BadFit, npeak);
    }
    let xm = (c01 * c11 - 2.0 * c02 * c10) / det + x1 as f64 - 1.0;
    let ym = (c10 * c11 - 2.0 * c01 * c20) / det + y1 as f64 - 1.0;
    if xm >= x1 as f64 && xm <= x2 as f64 - 1.0 && ym >= y1 as f64 && ym <= y2 as f64 - 1.0 {
        ((xm, ym), PeakStatus::Success, npeak)
    } else {
        (com(), PeakStatus::CenterOfMass, npeak)
    }
}

/// Solve a 6×6 system by Gaussian elimination with partial pivoting (`None` if singular).
fn solve6(mut a: [[f64; 6]; 6], mut b: [f64; 6]) -> Option<[f64; 6]> {
    let scale = a.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for col in 0..6 {
        let piv = (col..6).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if !(a[piv][col].abs() > 1e-12 * scale) {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for r in col + 1..6 {
            let f = a[r][col] / a[col][col];
            for c in col..6 {
                a[r][c] -= f * a[col][c];
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = [0.0; 6];
    for r in (0..6).rev() {
        let s: f64 = (r + 1..6).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Sort indices of finite points by (y, x) and drop later points within `separation`
/// of an earlier kept one (stimage `xysort` + `xycoincide`).
fn sorted_unique(points: &[(f64, f64)], separation: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    order.sort_by(|&a, &b| {
        points[a]
            .1
            .total_cmp(&points[b].1)
            .then(points[a].0.total_cmp(&points[b].0))
            .then(a.cmp(&b))
    });
    let sep2 = separation * separation;
    let mut keep: Vec<Option<usize>> = order.into_iter().map(Some).collect();
    for p in 0..keep.len() {
        let Some(ip) = keep[p] else { continue };
        for q in p + 1..keep.len() {
            let Some(iq) = keep[q] else { continue };
            let dy = points[iq].1 - points[ip].1;
            let mut r2 = dy * dy;
            if r2 > sep2 {
                break;
            }
            let dx = points[iq].0 - points[ip].0;
            r2 += dx * dx;
            if r2 <= sep2 {
                keep[q] = None;
            }
        }
    }
    keep.into_iter().flatten().collect()
}

/// Match two lists within `tolerance` after subtracting `origin` from the image
/// positions (stimage `xyxymatch`, algorithm "tolerance"): both lists are sorted by
/// (y, x), near-duplicates closer than `separation` are dropped, and every reference
/// source takes the closest image source within `tolerance`.
///
/// Returns `(reference index, image index)` pairs in the order of the y-sorted
/// reference list. As in stimage, one image source may match several reference
/// sources; [`one_to_one`] resolves that.
///
/// # Errors
///
/// [`Error::MatchConfusion`] when there are more matches than image sources
/// (tweakwcs' `MatchSourceConfusionError`); [`Error::InvalidParameter`] for a
/// non-positive `tolerance` or negative `separation`.
///
/// # Examples
///
/// ```
/// use astro_align::xyxymatch;
/// let refp = [(10.0, 10.0), (20.0, 30.0), (50.0, 5.0)];
/// let img = [(22.1, 31.0), (12.0, 11.1)];
/// let m = xyxymatch(&img, &refp, (2.0, 1.0), 0.5, 0.5)?;
/// assert_eq!(m, vec![(0, 1), (1, 0)]);
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn xyxymatch(
    image: &[(f64, f64)],
    reference: &[(f64, f64)],
    origin: (f64, f64),
    tolerance: f64,
    separation: f64,
) -> Result<Vec<(usize, usize)>> {
    if !(tolerance > 0.0) {
        return Err(invalid(
            "tolerance",
            format!("must be positive, got {tolerance}"),
        ));
    }
    if !(separation >= 0.0) {
        return Err(invalid(
            "separation",
            format!("must be non-negative, got {separation}"),
        ));
    }
    let moved: Vec<(f64, f64)> = image
        .iter()
        .map(|&(x, y)| (x - origin.0, y - origin.1))
        .collect();
    let rs = sorted_unique(reference, separation);
    let is = sorted_unique(&moved, separation);
    let tol2 = tolerance * tolerance;
    let mut out = Vec::new();
    let mut blp = 0usize;
    for &r in &rs {
        let (rx, ry) = reference[r];
        let mut dy = f64::NAN;
        while blp < is.len() {
            dy = ry - moved[is[blp]].1;
            if dy < tolerance {
                break;
            }
            blp += 1;
        }
        if blp >= is.len() {
            break;
        }
        if dy < -tolerance {
            continue;
        }
        let mut best: Option<usize> = None;
        let mut rmax2 = tol2;
        for &l in &is[blp..] {
            let dy = ry - moved[l].1;
            if dy < -tolerance {
                break;
            }
            let dx = rx - moved[l].0;
            let r2 = dx * dx + dy * dy;
            if r2 <= rmax2 {
                rmax2 = r2;
                best = Some(l);
            }
        }
        if let Some(l) = best {
            out.push((r, l));
        }
    }
    if out.len() > image.len() {
        return Err(Error::MatchConfusion {
            nmatches: out.len(),
            ninput: image.len(),
        });
    }
    Ok(out)
}

/// Keep, for every image source matched more than once, only the closest pair
/// (distance after subtracting `origin`); order of the remaining pairs is kept.
///
/// # Examples
///
/// ```
/// use astro_align::one_to_one;
/// let refp = [(0.0, 0.0), (0.6, 0.0)];
/// let img = [(0.5, 0.0)];
/// assert_eq!(one_to_one(&[(0, 0), (1, 0)], &img, &refp, (0.0, 0.0)), vec![(1, 0)]);
/// ```
pub fn one_to_one(
    pairs: &[(usize, usize)],
    image: &[(f64, f64)],
    reference: &[(f64, f64)],
    origin: (f64, f64),
) -> Vec<(usize, usize)> {
    let d2 = |&(r, i): &(usize, usize)| {
        let dx = image[i].0 - origin.0 - reference[r].0;
        let dy = image[i].1 - origin.1 - reference[r].1;
        dx * dx + dy * dy
    };
    let mut best: std::collections::HashMap<usize, (f64, usize)> = Default::default();
    for (k, p) in pairs.iter().enumerate() {
        let d = d2(p);
        let e = best.entry(p.1).or_insert((d, k));
        if d < e.0 {
            *e = (d, k);
        }
    }
    pairs
        .iter()
        .enumerate()
        .filter(|(k, p)| best[&p.1].1 == *k)
        .map(|(_, p)| *p)
        .collect()
}

/// Largest `nmatch` of [`TriangleOptions`] (C(100, 3) = 161 700 triangles per list).
///
/// # Examples
///
/// ```
/// assert_eq!(astro_align::MAX_TRIANGLE_SOURCES, 100);
/// ```
pub const MAX_TRIANGLE_SOURCES: usize = 100;

/// Options of the triangle (asterism) matcher, [`match_triangles`].
///
/// # Examples
///
/// ```
/// let o = astro_align::TriangleOptions::default();
/// assert_eq!(o.nmatch, 30);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TriangleOptions {
    /// Number of sources of each list used to build triangles (the first ones: pass
    /// lists sorted by brightness). stimage's `nmatch`.
    pub nmatch: usize,
    /// Maximum ratio of longest to shortest side (stimage `maxratio`).
    pub maxratio: f64,
    /// Tolerance on the side-length ratios of similar triangles.
    pub ratio_tolerance: f64,
    /// Final matching tolerance (tangent-plane units) after applying the solution.
    pub tolerance: f64,
    /// Whether mirrored solutions (improper rotations) are allowed.
    pub allow_reflection: bool,
}

impl Default for TriangleOptions {
    fn default() -> Self {
        TriangleOptions {
            nmatch: 30,
            maxratio: 10.0,
            ratio_tolerance: 0.005,
            tolerance: 1.0,
            allow_reflection: false,
        }
    }
}

/// Solution of [`match_triangles`].
///
/// # Examples
///
/// ```
/// # use astro_align::{match_triangles, TriangleOptions};
/// let refp: Vec<(f64, f64)> = (0..40).map(|i| ((i * 37 % 101) as f64 * 9.7, (i * 53 % 97) as f64 * 10.3)).collect();
/// let img: Vec<_> = refp.iter().map(|&(x, y)| (-y + 500.0, x - 80.0)).collect(); // 90° rotation
/// let sol = match_triangles(&img, &refp, &TriangleOptions::default())?;
/// assert_eq!(sol.pairs.len(), 40);
/// assert!((sol.rotation.abs() - 90.0).abs() < 1e-6);
/// # Ok::<(), astro_align::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TriangleSolution {
    /// Matched `(reference index, image index)` pairs.
    pub pairs: Vec<(usize, usize)>,
    /// Similarity transform image -> reference: matrix.
    pub matrix: [[f64; 2]; 2],
    /// Similarity transform image -> reference: shift.
    pub shift: [f64; 2],
    /// Rotation of the solution (degrees, tweakwcs sign convention).
    pub rotation: f64,
    /// Scale of the solution.
    pub scale: f64,
    /// Number of triangle pairs that voted for the solution.
    pub votes: usize,
}

struct Tri {
    v: [usize; 3],
    inv: [f64; 2],
    longest: f64,
    orient: f64,
}

fn triangles(points: &[(f64, f64)], idx: &[usize], maxratio: f64) -> Vec<Tri> {
    let mut out = Vec::new();
    let n = idx.len();
    let d = |a: usize, b: usize| {
        let (p, q) = (points[a], points[b]);
        (p.0 - q.0).hypot(p.1 - q.1)
    };
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let (a, b, c) = (idx[i], idx[j], idx[k]);
                // sides opposite each vertex
                let mut s = [(d(b, c), a), (d(a, c), b), (d(a, b), c)];
                s.sort_by(|x, y| y.0.total_cmp(&x.0));
                let (l0, l1, l2) = (s[0].0, s[1].0, s[2].0);
                if !(l2 > 0.0) || l0 / l2 > maxratio {
                    continue;
                }
                // ambiguous vertex labelling for (near) isosceles triangles
                if (l0 - l1) / l0 < 0.02 || (l1 - l2) / l0 < 0.02 {
                    continue;
                }
                let v = [s[0].1, s[1].1, s[2].1];
                let (p0, p1, p2) = (points[v[0]], points[v[1]], points[v[2]]);
                let orient = (p1.0 - p0.0) * (p2.1 - p0.1) - (p1.1 - p0.1) * (p2.0 - p0.0);
                out.push(Tri {
                    v,
                    inv: [l1 / l0, l2 / l0],
                    longest: l0,
                    orient: orient.signum(),
                });
            }
        }
    }
    out
}

/// Match two lists whatever their relative rotation, scale and offset by voting on
/// similar triangles built from the first `nmatch` sources of each list (the
/// asterism method of stimage's "triangles" algorithm, which tweakwcs does not use):
/// similar triangles vote for a rotation/scale; the winning triangles vote for
/// vertex pairs; a clipped `rscale` fit to the best pairs gives the transformation,
/// and a final tolerance match of all sources gives the pairs.
///
/// # Errors
///
/// [`Error::TooFewSources`] with fewer than 3 usable sources in a list,
/// [`Error::InvalidParameter`] for `nmatch` above [`MAX_TRIANGLE_SOURCES`],
/// [`Error::NoMatches`] when no consistent set of triangles is found.
///
/// # Examples
///
/// See [`TriangleSolution`].
pub fn match_triangles(
    image: &[(f64, f64)],
    reference: &[(f64, f64)],
    opts: &TriangleOptions,
) -> Result<TriangleSolution> {
    if opts.nmatch > MAX_TRIANGLE_SOURCES {
        return Err(invalid(
            "nmatch",
            format!(
                "{} sources make too many triangles; at most {MAX_TRIANGLE_SOURCES}",
                opts.nmatch
            ),
        ));
    }
    let first = |pts: &[(f64, f64)]| -> Vec<usize> {
        (0..pts.len())
            .filter(|&i| pts[i].0.is_finite() && pts[i].1.is_finite())
            .take(opts.nmatch.max(3))
            .collect()
    };
    let ii = first(image);
    let ri = first(reference);
    for (n, what) in [(ii.len(), "image"), (ri.len(), "reference")] {
        if n < 3 {
            return Err(Error::TooFewSources {
                what: format!("triangle matching ({what} list)"),
                found: n,
                needed: 3,
            });
        }
    }
    let it = triangles(image, &ii, opts.maxratio);
    let rt = triangles(reference, &ri, opts.maxratio);
    let no_match = || Error::NoMatches {
        image: "image".to_string(),
        searchrad: f64::INFINITY,
        units: "(triangle matcher)".to_string(),
    };
    if it.is_empty() || rt.is_empty() {
        return Err(no_match());
    }
    let inv: Vec<[f64; 2]> = rt.iter().map(|t| t.inv).collect();
    let tree: ImmutableKdTree<f64, u32, 2, 32> = ImmutableKdTree::new_from_slice(&inv);
    let tol2 = opts.ratio_tolerance * opts.ratio_tolerance;
    // candidate triangle pairs with their rotation (deg) and log-scale
    let mut cands: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (a, t) in it.iter().enumerate() {
        for nn in tree.within_unsorted::<SquaredEuclidean>(&t.inv, tol2) {
            let b = nn.item as usize;
            let r = &rt[b];
            let mirrored = r.orient != t.orient;
            if mirrored && !opts.allow_reflection {
                continue;
            }
            let ang = |pts: &[(f64, f64)], v: &[usize; 3]| {
                let (p, q) = (pts[v[0]], pts[v[1]]);
                (q.1 - p.1).atan2(q.0 - p.0)
            };
            let rot = (ang(reference, &r.v) - ang(image, &t.v))
                .to_degrees()
                .rem_euclid(360.0);
            cands.push((a, b, rot, (r.longest / t.longest).ln()));
        }
    }
    if cands.is_empty() {
        return Err(no_match());
    }
    // vote in (rotation, log scale) bins of 1° × 0.01
    let key = |rot: f64, ls: f64| {
        (
            (rot.floor() as i64).rem_euclid(360),
            (ls / 0.01).floor() as i64,
        )
    };
    let mut votes: std::collections::HashMap<(i64, i64), usize> = Default::default();
    for c in &cands {
        let (kr, ks) = key(c.2, c.3);
        for dr in -1..=1 {
            for ds in -1..=1 {
                *votes
                    .entry(((kr + dr).rem_euclid(360), ks + ds))
                    .or_default() += 1;
            }
        }
    }
    let (&best, &nvotes) = votes
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .ok_or_else(no_match)?;
    if nvotes < 2 {
        return Err(no_match());
    }
    // vertex votes of the triangle pairs in the winning neighbourhood
    let mut vv: std::collections::HashMap<(usize, usize), usize> = Default::default();
    let mut ntri = 0;
    for c in &cands {
        let (kr, ks) = key(c.2, c.3);
        let dr = (kr - best.0).rem_euclid(360);
        if (dr <= 1 || dr >= 359) && (ks - best.1).abs() <= 1 {
            ntri += 1;
            for m in 0..3 {
                *vv.entry((rt[c.1].v[m], it[c.0].v[m])).or_default() += 1;
            }
        }
    }
    let mut vlist: Vec<((usize, usize), usize)> = vv.into_iter().collect();
    vlist.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let maxv = vlist.first().map_or(0, |v| v.1);
    let mut used_r = std::collections::HashSet::new();
    let mut used_i = std::collections::HashSet::new();
    let mut seed = Vec::new();
    for ((r, i), n) in vlist {
        if n * 4 < maxv || n < 2 {
            break;
        }
        if used_r.insert(r) && used_i.insert(i) {
            seed.push((r, i));
        }
    }
    if seed.len() < 3 {
        return Err(no_match());
    }
    let geom = if opts.allow_reflection {
        crate::fit::FitGeometry::General
    } else {
        crate::fit::FitGeometry::RScale
    };
    let fit = crate::fit::fit_linear(
        &seed.iter().map(|p| reference[p.0]).collect::<Vec<_>>(),
        &seed.iter().map(|p| image[p.1]).collect::<Vec<_>>(),
        None,
        &crate::fit::FitOptions {
            fitgeom: geom,
            nclip: 3,
            sigma: 3.0,
            ..Default::default()
        },
    )?;
    let moved: Vec<(f64, f64)> = image.iter().map(|&(x, y)| fit.apply(x, y)).collect();
    let pairs = xyxymatch(&moved, reference, (0.0, 0.0), opts.tolerance, 0.0)
        .map(|p| one_to_one(&p, &moved, reference, (0.0, 0.0)))?;
    if pairs.is_empty() {
        return Err(no_match());
    }
    // refine on all pairs
    let fit = crate::fit::fit_linear(
        &pairs.iter().map(|p| reference[p.0]).collect::<Vec<_>>(),
        &pairs.iter().map(|p| image[p.1]).collect::<Vec<_>>(),
        None,
        &crate::fit::FitOptions {
            fitgeom: geom,
            nclip: 3,
            sigma: 3.0,
            ..Default::default()
        },
    )
    .unwrap_or(fit);
    let moved: Vec<(f64, f64)> = image.iter().map(|&(x, y)| fit.apply(x, y)).collect();
    let pairs = xyxymatch(&moved, reference, (0.0, 0.0), opts.tolerance, 0.0)
        .map(|p| one_to_one(&p, &moved, reference, (0.0, 0.0)))?;
    Ok(TriangleSolution {
        pairs,
        matrix: fit.matrix,
        shift: fit.shift,
        rotation: fit.proper_rot,
        scale: fit.mean_scale,
        votes: ntri,
    })
}
