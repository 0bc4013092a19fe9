#!/usr/bin/env python
"""Generate the numpy least-squares parity fixtures of astro-interp's polynomial surfaces.

Reference tool: numpy (version recorded in the output; generated with the oracle venv)
    /work/main/.venv-oracle/bin/python parity/scripts/gen_surface_fixtures.py \
        [--out parity/fixtures/surface/lstsq.json]

Why numpy and not IRAF: there is no IRAF here, and stsci.stimage.geomap (the C port of
geomap, 0.3.2 in the venv) returns garbage for most geometries and functions (e.g. rms
4e3 px and coefficients of 1e255 for a chebyshev "general" fit of a smooth map), so it
cannot serve as an oracle. The surface fit itself is a linear least-squares problem whose
answer is unique, so numpy.linalg.lstsq of the same design matrix is an exact oracle.

The design matrix is built here independently of the Rust code, from numpy's own basis
routines, following IRAF gsurfit's definitions:

* x-hat = (2x - (xmax + xmin)) / (xmax - xmin) for chebyshev / legendre
  (numpy.polynomial.chebyshev.chebvander, numpy.polynomial.legendre.legvander),
  raw x for polynomial (numpy.polynomial.polynomial.polyvander);
* term (i, j) = B_i(x-hat) * B_j(y-hat), ordered y power outer, x power inner, keeping
  "none": i == 0 or j == 0; "half": i + j <= max(xorder, yorder) - 1; "full": all;
* weighted: rows scaled by sqrt(w) (zero-weight rows are all zero and drop out);
  coefficients = numpy.linalg.lstsq(sqrt(w) A / n, sqrt(w) z, rcond=None) / n, with n the
  column norms of sqrt(w) A (equilibration; the fixtures assert full rank).

Data: smooth non-polynomial functions (so the fit is a genuine approximation) plus
Gaussian noise, random weights in [0.2, 3] with ~10 % zeros, at random points over the
range; plus check points (xe, ye) where numpy's fitted surface is evaluated (ze).

Output: one JSON file with "numpy_version" and "cases": [{name, function, xorder,
yorder, xterms, range [xmin, xmax, ymin, ymax], x, y, z, w, coeffs, xe, ye, ze, cond}],
cond being the 2-norm condition number of the column-equilibrated weighted design.

Second output (``--geomap-out``, default parity/fixtures/surface/geomap.json): whole
geomap fits, each solved here by independent means rather than by IRAF's formulas:

* ``general`` (with and without sigma rejection): the final map is the least-squares
  surface of the requested orders (geomap's plane + residual surface spans the same
  space), solved with lstsq; the rejection loop follows geomap's rule (cut = reject *
  sqrt(sum w r^2 / (n - n0 - 1)) per axis, reject where |rx| > cutx or |ry| > cuty,
  rejected points stay out, stop when nothing new or after maxiter refits); the linear
  summary comes from the least-squares plane [1, x, y] with the final weights;
* ``rotate`` / ``rscale``: orthogonal Procrustes with the SVD (rotation or reflection,
  whichever fits best, as geomap chooses by the sign of the cross-covariance
  determinant), scale = trace(S Sigma) / sum |xref - mean|^2 (Umeyama);
* rms = sqrt(sum w r^2 / (ngood - 1)) as geomap prints it.

Each case stores the inputs, the options, the indices rejected, rms, the linear summary
(xshift, yshift, xmag, ymag, xrotation, yrotation) and fitted (xin, yin) at check points.
"""

import argparse
import json
import os

import numpy as np
from numpy.polynomial import chebyshev, legendre, polynomial

VANDER = {
    "chebyshev": chebyshev.chebvander,
    "legendre": legendre.legvander,
    "polynomial": polynomial.polyvander,
}


def terms(xorder, yorder, xterms):
    m = max(xorder, yorder)
    out = []
    for j in range(yorder):
        for i in range(xorder):
            if xterms == "full" or (xterms == "none" and (i == 0 or j == 0)) or (
                xterms == "half" and i + j <= m - 1
            ):
                out.append((i, j))
    return out


def design(function, xorder, yorder, xterms, rng_, x, y):
    xmin, xmax, ymin, ymax = rng_
    if function == "polynomial":
        tx, ty = x, y
    else:
        tx = (2.0 * x - (xmax + xmin)) / (xmax - xmin)
        ty = (2.0 * y - (ymax + ymin)) / (ymax - ymin)
    bx = VANDER[function](tx, xorder - 1)
    by = VANDER[function](ty, yorder - 1)
    return np.column_stack([bx[:, i] * by[:, j] for i, j in terms(xorder, yorder, xterms)])


def make_case(gen, name, function, xorder, yorder, xterms, rng_, npts, noise):
    xmin, xmax, ymin, ymax = rng_
    x = gen.uniform(xmin, xmax, npts)
    y = gen.uniform(ymin, ymax, npts)
    u = (x - xmin) / (xmax - xmin)
    v = (y - ymin) / (ymax - ymin)
    z = 100.0 * np.sin(2.2 * u + 0.3) * np.cos(1.7 * v - 0.4) + 15.0 * u * v + 3.0 * np.exp(u)
    z = z + gen.normal(0.0, noise, npts)
    w = gen.uniform(0.2, 3.0, npts)
    w[gen.uniform(0.0, 1.0, npts) < 0.1] = 0.0
    a = design(function, xorder, yorder, xterms, rng_, x, y)
    sw = np.sqrt(w)
    aw = a * sw[:, None]
    # Solve with the columns scaled to unit norm (mathematically the same least-squares
    # solution when the design has full rank; without it numpy's rank cut-off drops
    # columns of the raw power series over pixel ranges, whose columns span 1 .. 1e17).
    norms = np.linalg.norm(aw, axis=0)
    scaled, _, rank, sv = np.linalg.lstsq(aw / norms, sw * z, rcond=None)
    assert rank == a.shape[1], (name, rank, a.shape)
    coeffs = scaled / norms
    cond = float(sv[0] / sv[-1])
    xe = gen.uniform(xmin, xmax, 25)
    ye = gen.uniform(ymin, ymax, 25)
    ze = design(function, xorder, yorder, xterms, rng_, xe, ye) @ coeffs
    return {
        "name": name,
        "function": function,
        "xorder": xorder,
        "yorder": yorder,
        "xterms": xterms,
        "range": [xmin, xmax, ymin, ymax],
        "x": x.tolist(),
        "y": y.tolist(),
        "z": z.tolist(),
        "w": w.tolist(),
        "coeffs": coeffs.tolist(),
        "xe": xe.tolist(),
        "ye": ye.tolist(),
        "ze": ze.tolist(),
        "cond": cond,
    }


def summary(ax, ay):
    a, b, c, d = ax[1], ax[2], ay[1], ay[2]

    def ang(num, den):
        if num == 0.0 and den == 0.0:
            return 0.0
        t = np.degrees(np.arctan2(num, den))
        return t + 360.0 if t < 0 else t

    return {
        "xshift": ax[0], "yshift": ay[0], "xmag": float(np.hypot(a, c)),
        "ymag": float(np.hypot(b, d)), "xrotation": ang(-c, a), "yrotation": ang(b, d),
    }


def plane(x, y, z, w):
    a = np.column_stack([np.ones_like(x), x, y]) * np.sqrt(w)[:, None]
    return np.linalg.lstsq(a, np.sqrt(w) * z, rcond=None)[0]


def general_fit(function, orders, rng_, xr, yr, xi, yi, w):
    out = []
    for z, (xo, yo, xt) in zip((xi, yi), orders):
        if xo > 2 or yo > 2 or xt == "full":
            a = design(function, xo, yo, xt, rng_, xr, yr)
        else:
            a = design(function, 2, 2, "none", rng_, xr, yr)
        aw = a * np.sqrt(w)[:, None]
        n = np.linalg.norm(aw, axis=0)
        coef = np.linalg.lstsq(aw / n, np.sqrt(w) * z, rcond=None)[0] / n
        out.append((a, coef, xo, yo, xt))
    return out


def eval_general(fit, function, rng_, x, y):
    return [design(function, xo, yo, xt, rng_, x, y) @ coef
            if (xo > 2 or yo > 2 or xt == "full") else design(function, 2, 2, "none", rng_, x, y) @ coef
            for (_, coef, xo, yo, xt) in fit]


def procrustes(xr, yr, xi, yi, w, with_scale):
    sw = w.sum()
    m = np.array([np.dot(w, xr), np.dot(w, yr)]) / sw
    mi = np.array([np.dot(w, xi), np.dot(w, yi)]) / sw
    p = np.column_stack([xr, yr]) - m
    q = np.column_stack([xi, yi]) - mi
    h = (q * w[:, None]).T @ p  # sum w q p^T
    u, sv, vt = np.linalg.svd(h)
    r = u @ vt  # best orthogonal matrix (rotation or reflection)
    s = sv.sum() / np.dot(w, (p * p).sum(axis=1)) if with_scale else 1.0
    a = s * r
    t = mi - a @ m
    return [t[0], a[0, 0], a[0, 1]], [t[1], a[1, 0], a[1, 1]]


def geomap_case(gen, name, geometry, function, orders, npts, noise, outliers, maxiter, reject):
    # Reference points on a jittered grid over a 2k x 4k chip (as mscimage samples).
    nx = int(np.sqrt(npts / 2))
    ny = npts // nx
    gx, gy = np.meshgrid(np.linspace(0, 2047, nx), np.linspace(0, 4095, ny))
    xr = gx.ravel() + gen.uniform(-3, 3, nx * ny)
    yr = gy.ravel() + gen.uniform(-3, 3, nx * ny)
    u, v = xr / 1024.0 - 1.0, yr / 2048.0 - 1.0
    if geometry == "general":
        xi = 20.0 + 0.9991 * xr + 0.0013 * yr + 1.7 * u * u - 0.9 * u * v + 0.6 * v * v + 0.5 * u ** 3
        yi = -11.0 - 0.0021 * xr + 1.0007 * yr + 1.2 * u * v - 0.7 * u * u + 0.8 * v ** 3
    else:
        th = np.radians(33.0)
        sc = 1.0 if geometry == "rotate" else 0.87
        flip = -1.0 if "mirror" in name else 1.0
        xi = 5.0 + sc * (flip * np.cos(th) * xr + np.sin(th) * yr)
        yi = -9.0 + sc * (-flip * np.sin(th) * xr + np.cos(th) * yr)
    xi = xi + gen.normal(0, noise, xi.size)
    yi = yi + gen.normal(0, noise, yi.size)
    for k, dx, dy in outliers:
        xi[k] += dx
        yi[k] += dy
    rng_ = (float(xr.min()), float(xr.max()), float(yr.min()), float(yr.max()))
    n = xr.size
    w = np.ones(n)
    rejected = []

    def fit(w):
        if geometry == "general":
            f = general_fit(function, orders, rng_, xr, yr, xi, yi, w)
            fx, fy = eval_general(f, function, rng_, xr, yr)
            return (xi - fx, yi - fy), f
        ax, ay = procrustes(xr, yr, xi, yi, w, geometry == "rscale")
        fx = ax[0] + ax[1] * xr + ax[2] * yr
        fy = ay[0] + ay[1] * xr + ay[2] * yr
        return (xi - fx, yi - fy), (ax, ay)

    (rx, ry), f = fit(w)
    niter = 0
    if maxiter > 0:
        while True:
            n0 = int((w <= 0).sum())
            if n - n0 > 1:
                cx = reject * np.sqrt(np.dot(w, rx * rx) / (n - n0 - 1))
                cy = reject * np.sqrt(np.dot(w, ry * ry) / (n - n0 - 1))
            else:
                cx = cy = np.inf
            new = [k for k in range(n) if w[k] > 0 and (abs(rx[k]) > cx or abs(ry[k]) > cy)]
            if not new:
                break
            for k in new:
                w[k] = 0.0
            rejected += new
            (rx, ry), f = fit(w)
            niter += 1
            if niter >= maxiter:
                break
    ngood = int((w > 0).sum())
    rms = [float(np.sqrt(np.dot(w, r * r) / (ngood - 1))) for r in (rx, ry)]
    if geometry == "general":
        ax, ay = plane(xr, yr, xi, w), plane(xr, yr, yi, w)
    else:
        ax, ay = f
    xe = gen.uniform(rng_[0], rng_[1], 20)
    ye = gen.uniform(rng_[2], rng_[3], 20)
    if geometry == "general":
        xe_fit, ye_fit = eval_general(f, function, rng_, xe, ye)
    else:
        xe_fit = ax[0] + ax[1] * xe + ax[2] * ye
        ye_fit = ay[0] + ay[1] * xe + ay[2] * ye
    return {
        "name": name, "fitgeometry": geometry, "function": function,
        "xxorder": orders[0][0], "xyorder": orders[0][1], "xxterms": orders[0][2],
        "yxorder": orders[1][0], "yyorder": orders[1][1], "yxterms": orders[1][2],
        "maxiter": maxiter, "reject": reject,
        "xref": xr.tolist(), "yref": yr.tolist(), "xin": xi.tolist(), "yin": yi.tolist(),
        "rejected": rejected, "niter": niter, "ngood": ngood, "xrms": rms[0], "yrms": rms[1],
        "summary": summary([float(v) for v in ax], [float(v) for v in ay]),
        "xe": xe.tolist(), "ye": ye.tolist(),
        "xe_fit": np.asarray(xe_fit).tolist(), "ye_fit": np.asarray(ye_fit).tolist(),
    }


def geomap_cases(gen):
    o4 = ((4, 4, "half"), (4, 4, "half"))
    o3f = ((3, 3, "full"), (3, 2, "none"))
    out = []
    for function in ("chebyshev", "legendre", "polynomial"):
        out.append(geomap_case(gen, f"mscimage_{function}", "general", function, o4, 200, 0.01, [], 0, 0.0))
        out.append(geomap_case(gen, f"general_reject_{function}", "general", function, o3f, 200, 0.02,
                               [(5, 0.9, 0.0), (44, 0.0, -1.2), (120, 0.5, 0.5), (187, -2.0, 0.0)], 5, 3.0))
    for g in ("rotate", "rscale"):
        out.append(geomap_case(gen, f"{g}_noisy", g, "chebyshev", ((2, 2, "half"),) * 2, 50, 0.05, [], 0, 0.0))
        out.append(geomap_case(gen, f"{g}_mirror_noisy", g, "legendre", ((2, 2, "half"),) * 2, 50, 0.05, [], 0, 0.0))
        out.append(geomap_case(gen, f"{g}_reject", g, "polynomial", ((2, 2, "half"),) * 2, 50, 0.05,
                               [(7, 3.0, 0.0), (30, 0.0, 2.0)], 3, 3.0))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join("parity", "fixtures", "surface", "lstsq.json"))
    p.add_argument("--geomap-out", default=os.path.join("parity", "fixtures", "surface", "geomap.json"))
    args = p.parse_args()
    gen = np.random.default_rng(20261121)
    orders = [(1, 1), (2, 2), (3, 2), (2, 4), (4, 4), (5, 3), (6, 6)]
    cases = []
    for function in ("chebyshev", "legendre", "polynomial"):
        for xterms in ("none", "half", "full"):
            for xo, yo in orders:
                if function == "polynomial":
                    # Raw coordinates: a range around the origin keeps the monomials
                    # well conditioned (IRAF has the same limitation).
                    rng_ = (-3.0, 7.0, -2.0, 5.0)
                else:
                    rng_ = (-50.0, 2100.0, 10.0, 4100.0)
                name = f"{function}_{xterms}_{xo}x{yo}"
                cases.append(make_case(gen, name, function, xo, yo, xterms, rng_, 100, 0.5))
    # Raw power series over a pixel-sized range (columns span 1 .. 1e9): tests the
    # column equilibration of our QR.
    for xterms in ("none", "half", "full"):
        cases.append(
            make_case(gen, f"polynomial_pixels_{xterms}_4x4", "polynomial", 4, 4, xterms,
                      (0.0, 1000.0, 0.0, 800.0), 100, 0.5)
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"numpy_version": np.__version__, "cases": cases}, f)
    print(f"wrote {len(cases)} cases to {args.out} (numpy {np.__version__})")
    for c in cases:
        print(f"  {c['name']:32s} ncoeff {len(c['coeffs']):3d}  cond {c['cond']:.3g}")
    gcases = geomap_cases(np.random.default_rng(424242))
    with open(args.geomap_out, "w") as f:
        json.dump({"numpy_version": np.__version__, "cases": gcases}, f)
    print(f"wrote {len(gcases)} geomap cases to {args.geomap_out}")
    for c in gcases:
        print(f"  {c['name']:28s} rejected {c['rejected']} rms {c['xrms']:.4g} {c['yrms']:.4g} {c['summary']}")


if __name__ == "__main__":
    main()
