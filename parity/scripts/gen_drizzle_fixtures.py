#!/usr/bin/env python
"""Fixtures for the astro-drizzle parity tests (parity/tests/drizzle_parity.rs).

    /work/main/.venv-oracle/bin/python parity/scripts/gen_drizzle_fixtures.py \
        [--data /work/shared/data/real]

Tools: drizzle 2.2.0 (its C kernel through drizzle.resample.Drizzle / blot_image),
astropy 8.0.2 (the SIP pixel map), numpy. Versions are written into index.json.

Input: a 160 x 160 cut-out (rows/cols 400..560) of the real ACS/HRC exposure
hst/acs_hrc_j8bt06nyq/j8bt06nyq_flt.fits: SCI (electrons) as little-endian f32, DQ as
little-endian u16, ERR as f32. Weights used everywhere: weight = (DQ == 0).

Pixel maps (input pixel -> output pixel) for pscale_ratio s in {1, 0.5, 2}, all of the form
    u = (X - cx) / s + ox,   v = (Y - cy) / s + oy
with (cx, cy) = (79.5, 79.5), (ox, oy) = (35.875, 35.8125) on a 72 x 72 output, and
    shift: (X, Y) = (x, y)
    rot30: (X, Y) = (cx + c (x - cx) - s30 (y - cy), cy + s30 (x - cx) + c (y - cy))
    sip:   (X, Y) = base SIP map (astropy: SIP WCS of j8bt06nyq_sip_flt.fits SCI,1 ->
           TAN with the same CRVAL/CRPIX, north up, same pixel area), centred on the
           cut-out centre (committed as sip_base.f64, (160, 160, 2) little-endian f64)
The Rust test rebuilds the same maps with the same formulas.

Cases: every kernel (square, turbo, point, gaussian, lanczos2, lanczos3) x pixfrac {1.0, 0.7}
x s {1, 0.5, 2} x map {shift, rot30, sip}; iscale = s**2, in_units cps, exptime 1,
pixel_scale_ratio = s. drizzle's C scanner keeps only input pixels that fit whole inside
the output frame (it drops the part of an edge-straddling input pixel that does land on the
output), which astro-drizzle deliberately does not copy; so each case is drizzled onto a frame
padded by PAD = 10 pixels on every side (pixmap + PAD) and the central 72 x 72 is stored: that
is what an edge-exact drizzle gives on the 72 x 72 frame. Outputs: out_img (f32), out_wht (f32), out_ctx bit 0 (packed, numpy packbits little bit order),
one binary file per kernel x map (6 cases).

Sequence: 35 adds of 24 x 24 pieces of the cut-out onto a 40 x 40 output (square, pixfrac
0.8, padded like the cases, varying sub-pixel shifts and 5 degree steps of rotation), with data2 = ERR**2 (variance)
and dq = DQ (uint32), weight = 1 where DQ == 0 else 0.25: out_img, out_wht, out_ctx
(2 planes), out_img2, out_dq.

Blot: the cut-out blotted onto a 72 x 72 grid through the inverse-like map
x = cx + (c u - s v) * 0.9 + 0.3, y = cy + (s u + c v) * 0.9 - 0.2 (u, v relative to
(35.5, 35.5), 12 degrees), plus a few points outside the source (fill value -7), for
interp in nearest, linear, poly3, poly5, sinc, lan3, lan5 (iscale 1.5).
"""

import argparse
import json
import os
import warnings

import numpy as np
import astropy
from astropy.io import fits
from astropy.wcs import WCS
import drizzle
from drizzle.resample import Drizzle, blot_image

warnings.simplefilter("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "drizzle")

Y0, X0, N = 400, 400, 160
CX = CY = 79.5
OX, OY = 35.875, 35.8125
NOUT = 72
PAD = 10
KERNELS = ["square", "turbo", "point", "gaussian", "lanczos2", "lanczos3"]
PIXFRACS = [1.0, 0.7]
SCALES = [1.0, 0.5, 2.0]
MAPS = ["shift", "rot30", "sip"]


def base_map(name, sip_base):
    y, x = np.indices((N, N), dtype=np.float64)
    if name == "shift":
        return x, y
    if name == "rot30":
        a = np.deg2rad(30.0)
        c, s = np.cos(a), np.sin(a)
        dx, dy = x - CX, y - CY
        return CX + (c * dx - s * dy), CY + (s * dx + c * dy)
    return sip_base[..., 0], sip_base[..., 1]


def make_pixmap(name, scale, sip_base):
    X, Y = base_map(name, sip_base)
    u = (X - CX) / scale + OX
    v = (Y - CY) / scale + OY
    return np.dstack([u, v])


def sip_base_map(data_dir):
    hdr = fits.getheader(os.path.join(data_dir, "hst/acs_hrc_j8bt06nyq/j8bt06nyq_sip_flt.fits"), 1)
    w_in = WCS(hdr)
    cd = w_in.wcs.cd
    s = np.sqrt(abs(np.linalg.det(cd)))
    w_out = WCS(naxis=2)
    w_out.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w_out.wcs.crval = w_in.wcs.crval
    w_out.wcs.crpix = w_in.wcs.crpix
    w_out.wcs.cd = np.array([[-s, 0.0], [0.0, s]])
    y, x = np.indices((N, N), dtype=np.float64)
    ra, dec = w_in.all_pix2world(x + X0, y + Y0, 0)
    u, v = w_out.all_world2pix(ra, dec, 0)
    # centre the cut-out centre on (CX, CY)
    uc, vc = w_out.all_world2pix(*w_in.all_pix2world([CX + X0], [CY + Y0], 0), 0)
    return np.dstack([u - uc[0] + CX, v - vc[0] + CY])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("ASTRO_TEST_DATA", "/work/shared/data/real"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)

    with fits.open(os.path.join(args.data, "hst/acs_hrc_j8bt06nyq/j8bt06nyq_flt.fits")) as f:
        sci = f["SCI"].data[Y0:Y0 + N, X0:X0 + N].astype("<f4")
        err = f["ERR"].data[Y0:Y0 + N, X0:X0 + N].astype("<f4")
        dq = f["DQ"].data[Y0:Y0 + N, X0:X0 + N].astype("<u2")
    sci.tofile(os.path.join(OUT, "cutout_sci.f32"))
    err.tofile(os.path.join(OUT, "cutout_err.f32"))
    dq.tofile(os.path.join(OUT, "cutout_dq.u16"))
    wht = (dq == 0).astype(np.float32)

    sip_base = sip_base_map(args.data).astype("<f8")
    sip_base.tofile(os.path.join(OUT, "sip_base.f64"))

    index = {
        "drizzle_version": drizzle.__version__,
        "astropy_version": astropy.__version__,
        "numpy_version": np.__version__,
        "cutout": {"y0": Y0, "x0": X0, "n": N},
        "nout": NOUT,
        "cx": CX, "cy": CY, "ox": OX, "oy": OY,
        "groups": [],
    }
    for kernel in KERNELS:
        for mname in MAPS:
            blobs = []
            cases = []
            for pixfrac in PIXFRACS:
                for scale in SCALES:
                    pm = make_pixmap(mname, scale, sip_base) + PAD
                    d = Drizzle(kernel=kernel, out_shape=(NOUT + 2 * PAD, NOUT + 2 * PAD), fillval="0")
                    d.add_image(sci, exptime=1.0, pixmap=pm, weight_map=wht, pixfrac=pixfrac,
                                pixel_scale_ratio=scale, iscale=scale * scale, in_units="cps")
                    cases.append({"pixfrac": pixfrac, "scale": scale})
                    crop = (slice(PAD, PAD + NOUT), slice(PAD, PAD + NOUT))
                    blobs += [d.out_img[crop].astype("<f4").tobytes(),
                              d.out_wht[crop].astype("<f4").tobytes(),
                              np.packbits((d.out_ctx[0][crop] & 1).astype(np.uint8).ravel(),
                                          bitorder="little").tobytes()]
            fname = f"case_{kernel}_{mname}.bin"
            with open(os.path.join(OUT, fname), "wb") as fh:
                for b in blobs:
                    fh.write(b)
            index["groups"].append({"kernel": kernel, "map": mname, "file": fname, "cases": cases})

    # Sequence of 35 adds with variance and DQ.
    rng = np.random.default_rng(42)
    seq = []
    n_small, n_seq_out = 24, 40
    d = Drizzle(kernel="square", out_shape=(n_seq_out + 2 * PAD, n_seq_out + 2 * PAD), fillval="0")
    for k in range(35):
        py, px = int(rng.integers(0, N - n_small)), int(rng.integers(0, N - n_small))
        dx, dy = float(rng.uniform(4, 12)), float(rng.uniform(4, 12))
        dx, dy = round(dx * 1024) / 1024, round(dy * 1024) / 1024
        ang = 5.0 * k
        a = np.deg2rad(ang)
        c, s = np.cos(a), np.sin(a)
        y, x = np.indices((n_small, n_small), dtype=np.float64)
        xc, yc = x - 11.5, y - 11.5
        pm = np.dstack([11.5 + c * xc - s * yc + dx, 11.5 + s * xc + c * yc + dy]) + PAD
        data = sci[py:py + n_small, px:px + n_small].copy()
        var = (err[py:py + n_small, px:px + n_small] ** 2).astype(np.float32)
        q = dq[py:py + n_small, px:px + n_small].astype(np.uint32)
        w = np.where(q == 0, 1.0, 0.25).astype(np.float32)
        d.add_image(data, exptime=1.0, pixmap=pm, weight_map=w, pixfrac=0.8, data2=var, dq=q)
        seq.append({"py": py, "px": px, "dx": dx, "dy": dy, "angle": ang})
    crop = (slice(PAD, PAD + n_seq_out), slice(PAD, PAD + n_seq_out))
    with open(os.path.join(OUT, "sequence.bin"), "wb") as fh:
        fh.write(d.out_img[crop].astype("<f4").tobytes())
        fh.write(d.out_wht[crop].astype("<f4").tobytes())
        fh.write(d.out_ctx[:, crop[0], crop[1]].astype("<i4").tobytes())
        fh.write(np.asarray(d.out_img2[0])[crop].astype("<f4").tobytes())
        fh.write(np.asarray(d.out_dq)[crop].astype("<u4").tobytes())
    index["sequence"] = {"n_small": n_small, "nout": n_seq_out, "pixfrac": 0.8,
                         "ctx_planes": int(d.out_ctx.shape[0]), "adds": seq}

    # Blot.
    a = np.deg2rad(12.0)
    c, s = np.cos(a), np.sin(a)
    y, x = np.indices((NOUT, NOUT), dtype=np.float64)
    u, v = x - 35.5, y - 35.5
    bx = CX + (c * u - s * v) * 0.9 + 0.3
    by = CY + (s * u + c * v) * 0.9 - 0.2
    bx[0, :5] = -3.0          # outside the source: fill value
    by[1, :5] = N + 2.0
    bpm = np.dstack([bx, by])
    index["blot"] = {"angle": 12.0, "zoom": 0.9, "dx": 0.3, "dy": -0.2, "iscale": 1.5,
                     "fillval": -7.0, "interps": []}
    with open(os.path.join(OUT, "blot.bin"), "wb") as fh:
        for interp in ["nearest", "linear", "poly3", "poly5", "sinc", "lan3", "lan5"]:
            out = blot_image(sci, bpm, iscale=1.5, interp=interp, fillval=-7.0)
            fh.write(out.astype("<f4").tobytes())
            index["blot"]["interps"].append(interp)

    with open(os.path.join(OUT, "index.json"), "w") as fh:
        json.dump(index, fh, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
