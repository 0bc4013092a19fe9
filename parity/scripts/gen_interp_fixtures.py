#!/usr/bin/env python
"""Generate the astro-interp parity fixtures (parity/fixtures/interp/).

Run with the oracle venv:

    /work/main/.venv-oracle/bin/python parity/scripts/gen_interp_fixtures.py

Reference tools (versions are checked below and written to meta.json):
  * drizzle 2.2.0: drizzle.resample.blot_image(data, pixmap, fillval=..., iscale=1.0,
    interp=...) for nearest, linear, poly3, poly5, lan3, lan5, sinc, lsinc;
  * scipy 1.17.1: scipy.ndimage.map_coordinates(data, [y, x], order=3, mode=..., cval=...)
    for spline3 with the modes nearest, mirror, reflect, grid-wrap, constant, grid-constant;
  * numpy: independent evaluations (written below from the formulas, not from any library)
    of the tapered sinc / lsinc and of poly3/poly5 with point-reflection edges, used where
    drizzle 2.2.0 reads wrong memory (see NOTES in meta.json).

Input: a 128x128 cut-out of SCI,1 of ACS/HRC j8bt06nyq_flt.fits (47 Tuc; a bright star),
rows/cols 448:576, stored as raw little-endian float32 (cutout.f32).
Pixel map: output grid 128x128, pixmap[j, i] = (x, y) in the cut-out of output pixel (i, j):
a 7 degree rotation about (63.5, 63.5) plus a shift of (2.3, -1.7) px, so that ~10% of the
output maps outside the cut-out. Coordinates are rounded to float32 (drizzle casts the pixmap
to float32 internally), stored as raw little-endian float32 (pixmap.f32, shape (128,128,2)).
Every output array is raw little-endian float32 of shape (128, 128).
"""

import json
import os
import sys

import numpy as np
from astropy.io import fits
import drizzle
import scipy
from scipy import ndimage
from drizzle.resample import blot_image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "interp")
DATA = os.environ.get("ASTRO_TEST_DATA", "/work/shared/data/real")
FLT = os.path.join(DATA, "hst", "acs_hrc_j8bt06nyq", "j8bt06nyq_flt.fits")

assert drizzle.__version__ == "2.2.0", drizzle.__version__
assert scipy.__version__ == "1.17.1", scipy.__version__

N = 128
Y0, X0 = 448, 448
FILL = -999.0
ANGLE = 7.0
SHIFT = (2.3, -1.7)


def save(name, arr):
    a = np.ascontiguousarray(arr, dtype="<f4")
    a.tofile(os.path.join(OUT, name))
    return name


def pixmap():
    j, i = np.indices((N, N), dtype=np.float64)
    c, s = np.cos(np.radians(ANGLE)), np.sin(np.radians(ANGLE))
    xc = yc = (N - 1) / 2.0
    dx, dy = i - xc, j - yc
    x = xc + c * dx - s * dy + SHIFT[0]
    y = yc + s * dx + c * dy + SHIFT[1]
    pm = np.dstack([x, y]).astype(np.float32).astype(np.float64)
    return pm


# ---------------------------------------------------------------- independent evaluations
def ext_index(idx, n, boundary):
    """Boundary index mapping (numpy arrays of ints)."""
    if boundary == "nearest":
        return np.clip(idx, 0, n - 1)
    if boundary == "reflect":  # about the edge pixel centre, periodic 2(n-1)
        p = 2 * (n - 1)
        r = np.mod(idx, p)
        return np.where(r < n, r, p - r)
    raise ValueError(boundary)


def pixel_ext(data, i, j, boundary):
    """Extended pixel values at integer arrays i, j (boundary nearest / constant0 / project)."""
    ny, nx = data.shape
    if boundary == "nearest":
        return data[ext_index(j, ny, "nearest"), ext_index(i, nx, "nearest")].astype(np.float64)
    if boundary == "constant0":
        inside = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
        v = data[np.clip(j, 0, ny - 1), np.clip(i, 0, nx - 1)].astype(np.float64)
        return np.where(inside, v, 0.0)
    if boundary == "project":
        d = data.astype(np.float64)

        def px(jj):
            inx = (i >= 0) & (i < nx)
            edge = np.where(i < 0, 0, nx - 1)
            mir = ext_index(i, nx, "reflect")
            return np.where(inx, d[jj, np.clip(i, 0, nx - 1)], 2.0 * d[jj, edge] - d[jj, mir])

        iny = (j >= 0) & (j < ny)
        edge = np.where(j < 0, 0, ny - 1)
        mir = ext_index(j, ny, "reflect")
        return np.where(iny, px(np.clip(j, 0, ny - 1)), 2.0 * px(edge) - px(mir))
    raise ValueError(boundary)


def separable(data, x, y, start_x, wx, start_y, wy, boundary):
    out = np.zeros(x.shape)
    for b in range(wy.shape[-1]):
        row = np.zeros(x.shape)
        for a in range(wx.shape[-1]):
            row += wx[..., a] * pixel_ext(data, start_x + a, start_y + b, boundary)
        out += wy[..., b] * row
    return out


def lagrange(x, nodes):
    f = np.floor(x)
    t = x - f
    w = []
    for k in nodes:
        num = np.ones_like(t)
        den = 1.0
        for m in nodes:
            if m != k:
                num = num * (t - m)
                den *= k - m
        w.append(num / den)
    return f.astype(np.int64) + nodes[0], np.stack(w, axis=-1)


def poly_indep(data, x, y, order):
    nodes = [-1, 0, 1, 2] if order == 3 else [-2, -1, 0, 1, 2, 3]
    sx, wx = lagrange(x, nodes)
    sy, wy = lagrange(y, nodes)
    return separable(data, x, y, sx, wx, sy, wy, "project")


def sinc_taper(nsinc=7):
    d = np.arange(-nsinc, nsinc + 1)
    u = (np.pi / 2 / nsinc) ** 2 * d * d
    t = (1.0 - 0.49670 * u + 0.03705 * u * u) ** 2
    return np.where(d % 2 == 1, -t, t)


def sinc_w(dx, taper):
    nsinc = len(taper) // 2
    d = np.arange(-nsinc, nsinc + 1)
    den = dx[..., None] - d
    safe = np.where(den == 0.0, 1.0, den)
    w = np.where(den == 0.0, 1.0, taper / safe)
    w = np.where((dx == 0.0)[..., None], (d == 0).astype(float), w)
    return w / w.sum(axis=-1, keepdims=True)


def sinc_indep(data, x, y, lsinc_res=None, sinscl=1.0, nsinc=7):
    """Tapered sinc (drizzle/IRAF taper, normalised per axis) at (x, y), nearest-edge pixels."""
    taper = sinc_taper(nsinc)
    n0x, n0y = np.round(x), np.round(y)  # arrays here are >= 0: round-half-even vs half-up
    # differ only at exact .5, which float32 rotated coordinates do not hit; checked below.
    fx, fy = x - n0x, y - n0y
    if lsinc_res is not None:
        qx = np.minimum(np.round((fx + 0.5) * lsinc_res), lsinc_res)
        qy = np.minimum(np.round((fy + 0.5) * lsinc_res), lsinc_res)
        dx = (qx / lsinc_res - 0.5) * sinscl
        dy = (qy / lsinc_res - 0.5) * sinscl
    else:
        dx, dy = fx * sinscl, fy * sinscl
    wx, wy = sinc_w(dx, taper), sinc_w(dy, taper)
    ix, iy = n0x.astype(np.int64), n0y.astype(np.int64)
    out = separable(data, x, y, ix - nsinc, wx, iy - nsinc, wy, "nearest")
    if lsinc_res is None:
        near = (np.abs(dx) < 0.001) & (np.abs(dy) < 0.001)
        out = np.where(near, pixel_ext(data, ix, iy, "nearest"), out)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    sci = fits.getdata(FLT, ("SCI", 1)).astype(np.float32)
    data = np.ascontiguousarray(sci[Y0 : Y0 + N, X0 : X0 + N])
    pm = pixmap()
    x, y = pm[..., 0], pm[..., 1]
    assert not np.any(np.mod(x, 1.0) == 0.5) and not np.any(np.mod(y, 1.0) == 0.5)
    inside = (x >= 0) & (x < N) & (y >= 0) & (y < N)

    files = {"cutout": save("cutout.f32", data), "pixmap": save("pixmap.f32", pm)}
    blot = {}
    for interp in ["nearest", "linear", "poly3", "poly5", "lan3", "lan5", "sinc", "lsinc"]:
        out = blot_image(data, pm, fillval=FILL, iscale=1.0, interp=interp)
        blot[interp] = out
        if interp != "lsinc":  # lsinc runs the same C code as sinc (checked below)
            files["blot_" + interp] = save(f"blot_{interp}.f32", out)

    spline = {}
    for mode, cval in [
        ("nearest", 0.0),
        ("mirror", 0.0),
        ("reflect", 0.0),
        ("grid-wrap", 0.0),
        ("constant", -5.0),
        ("grid-constant", -5.0),
    ]:
        out = ndimage.map_coordinates(
            data.astype(np.float64), [y, x], order=3, mode=mode, cval=cval, prefilter=True
        )
        spline[mode] = out
        files["spline3_" + mode] = save(f"spline3_{mode}.f32", out)

    # Independent evaluations (numpy, float64), blot domain [0, N) -> FILL outside.
    indep = {
        "sinc": sinc_indep(data, x, y),
        "lsinc": sinc_indep(data, x, y, lsinc_res=20),
        "poly3": poly_indep(data, x, y, 3),
        "poly5": poly_indep(data, x, y, 5),
    }
    for k, v in indep.items():
        files["indep_" + k] = save(f"indep_{k}.f32", np.where(inside, v, FILL))

    # drizzle 2.2.0's sinc/lsinc: record what it returned (it is not usable as a reference).
    ds = blot["sinc"]
    sinc_stats = {
        "in_bounds": int(inside.sum()),
        "nan": int(np.isnan(ds[inside]).sum()),
        "finite": int(np.isfinite(ds[inside]).sum()),
    }
    fin = inside & np.isfinite(ds)
    sinc_stats["finite_values"] = sorted(set(float(v) for v in ds[fin]))[:5]
    sinc_stats["lsinc_nan"] = int(np.isnan(blot["lsinc"][inside]).sum())

    # poly check: drizzle equals the independent point-reflection evaluation where it reads
    # valid memory.
    def relerr(a, b, m):
        return float(np.max(np.abs(a[m] - b[m])) / np.max(np.abs(b[m])))

    p3ok = inside & (y < N - 1)
    p5ok = inside & (y < N - 3)
    meta = {
        "generator": "parity/scripts/gen_interp_fixtures.py",
        "versions": {
            "drizzle": drizzle.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "source": "hst/acs_hrc_j8bt06nyq/j8bt06nyq_flt.fits SCI,1",
        "cutout": {"y0": Y0, "x0": X0, "ny": N, "nx": N},
        "pixmap": {"angle_deg": ANGLE, "shift": SHIFT, "shape": [N, N, 2], "dtype": "<f4"},
        "dtype": "<f4",
        "fillval": FILL,
        "spline3_cval": {"constant": -5.0, "grid-constant": -5.0},
        "lsinc_resolution": 20,
        "files": files,
        "checks": {
            "drizzle_sinc": sinc_stats,
            "drizzle_poly3_vs_indep_rel_y_lt_n_minus_1": relerr(blot["poly3"], indep["poly3"], p3ok),
            "drizzle_poly5_vs_indep_rel_y_lt_n_minus_3": relerr(blot["poly5"], indep["poly5"], p5ok),
        },
        "notes": [
            "nearest: drizzle 2.2.0 takes data[int(y+0.5), int(x+0.5)] without clamping, so "
            "x >= nx-0.5 or y >= ny-0.5 reads past the row/array (out-of-bounds read).",
            "poly3: for y in [ny-1, ny) drizzle 2.2.0 reflects the 4th row from coeff[-1] "
            "(outside its 4x4 block: out-of-bounds stack read).",
            "poly5: for y >= ny-3 drizzle 2.2.0 leaves the 6th row of the block as image row "
            "ny-4 instead of reflecting it (the reflection loop stops at nterms-2).",
            "sinc/lsinc: drizzle 2.2.0's port of IRAF's Fortran keeps 1-based indices: it "
            "reads taper[-1], writes ac[-1]/ar[-1] (outside the arrays), never sets ac[14], "
            "and its tap j gets the weight of tap j+1 (the kernel is centred on x-1); the "
            "result is memory-dependent (NaN for every in-bounds pixel here, ~1e31 in other "
            "runs). lsinc is the same code as sinc (no table). Ours is compared with the "
            "independent numpy evaluation (indep_sinc, indep_lsinc) instead.",
        ],
    }
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta["checks"], indent=1))


if __name__ == "__main__":
    main()
