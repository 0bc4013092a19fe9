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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join("parity", "fixtures", "surface", "lstsq.json"))
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


if __name__ == "__main__":
    main()
