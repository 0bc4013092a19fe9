#!/usr/bin/env python
"""Dithered ACS/HRC exposures built from the real j8bt06nyq exposure (issue #7 parity inputs).

    /work/main/.venv-oracle/bin/python parity/scripts/make_dithers.py --out DIR [--n 3] [--seed 1]
        [--data /work/shared/data/real/hst/acs_hrc_j8bt06nyq] [--ncr 400]

Tools: astropy, numpy, scipy (ndimage), astroscrappy 1.3 (versions printed).
The real data directory is only read; everything is written to DIR (never commit it).

What it writes (all single-chip ACS/HRC `_flt.fits` MEFs: PRIMARY, SCI, ERR, DQ; SCI/ERR
float32 ELECTRONS, DQ int16, EXPTIME 60 s, each <= the original's size):

* ``j8bt06nyq_flt.fits``: the real exposure, pixels untouched (its own, real cosmic rays
  included), with the WCS cards of SCI,1 replaced by the distorted WCS of
  ``j8bt06nyq_sip_flt.fits`` (``RA---TAN-SIP``, A/B order 4, IDC n721640fj, plus the IDC*/OC*
  keywords, as drizzle's tests do). MDRIZSKY is removed.
* ``j8bt06d<k>q_flt.fits`` for k = 1..n-1: dithered copies. Their WCS is the SIP WCS with
  CRVAL moved to the sky position the original sees at CRPIX + (dx, dy) pixels (offsets
  below: (+2.3, -1.7), (-3.6, +4.2), then random). The pixel data are the sky the copy sees:
  for every copy pixel p, q = W0^-1(Wk(p)) through the full SIP WCS of both (astropy
  all_pix2world / all_world2pix), and the copy's value is a cubic-spline interpolation
  (scipy.ndimage.map_coordinates, order 3) of a CR-cleaned original at q. The original's
  own cosmic rays are first removed (astroscrappy.detect_cosmics, sigclip 6, objlim 30,
  sigfrac 0.5, niter 2, gain 1 because the data are electrons, readnoise 4.71 e-; in this
  crowded 47 Tuc field it also flags some Airy-ring pixels of bright stars, ~18k pixels in
  ~2900 groups, whose cleaned values stay smooth) so that they do not reappear at fixed sky
  positions in every copy. The interpolation smooths the original's noise: r = variance of
  unit white noise resampled with the same coordinates (~0.6-0.8); we add independent
  Gaussian noise of variance (1 - r) ERR^2 so that the noise per pixel matches the
  original's ERR. The copies therefore share a fraction r of their noise variance with the
  original (correlated) -- fine for a tool-vs-tool parity test, not a physical simulation.
  New cosmic rays (``--ncr`` events per copy: short straight tracks of 1-6 pixels, each
  pixel 300-8000 e-, Poisson-like count per event) are added to SCI and their variance to
  ERR^2. DQ is the original's DQ resampled by nearest neighbour; pixels whose q falls outside
  the original get SCI = 0, ERR = 0 and DQ bit 2 (fill).
* ``<root>_crtruth.fits``: uint8 truth mask of the cosmic rays of each file (planted for the
  copies, astroscrappy's detection for the real exposure).
* ``dithers.json``: offsets, CR counts, noise ratio r, sky estimates.

Header keywords AstroDrizzle reads for ACS (all kept from the original): INSTRUME, DETECTOR,
EXPTIME, EXPSTART, EXPEND (shifted by k * 0.01 d for copies), CCDAMP, CCDGAIN, ATODGN[A-D],
READNSE[A-D], BUNIT, IDCSCALE/IDCTHETA/IDCXREF/IDCYREF/IDCV2REF/IDCV3REF, OCX*/OCY*,
ROOTNAME/FILENAME/EXPNAME (set per copy). IDCTAB is removed from the primary header so that
no reference file (jref$) is needed: the WCS in the header is used as is.
"""

import argparse
import json
import os
import sys

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

DATA = "/work/shared/data/real/hst/acs_hrc_j8bt06nyq"
OFFSETS = [(0.0, 0.0), (2.3, -1.7), (-3.6, 4.2)]

# WCS-related cards of the flt's SCI,1 that are replaced by the SIP header's.
WCS_PREFIXES = ("CRPIX", "CRVAL", "CTYPE", "CD1_", "CD2_", "CDELT", "CUNIT", "PC1_", "PC2_",
                "A_", "B_", "AP_", "BP_", "WCS", "LONPOLE", "LATPOLE", "OCX", "OCY", "IDC",
                "ORIENTAT", "RADESYS", "MJDREF", "EQUINOX")


def is_wcs_card(key):
    return key.startswith(WCS_PREFIXES) or (key.endswith("O") and key[:-1].startswith(
        ("CRPIX", "CRVAL", "CTYPE", "CD1_", "CD2_", "CDELT", "CUNIT", "LONPOLE", "LATPOLE",
         "WCSAXES", "WCSNAME")))


def sip_sci_header(flt_sci, sip_sci):
    """The flt's SCI header with its WCS cards replaced by the SIP header's."""
    h = flt_sci.copy()
    for key in list(h.keys()):
        if key and is_wcs_card(key):
            del h[key]
    h.remove("MDRIZSKY", ignore_missing=True)
    skip = {"XTENSION", "BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "EXTNAME", "EXTVER", "ORIGIN",
            "DATE", "IRAF-TLM", "INHERIT", "EXPNAME", "BUNIT", "MDRIZSKY", "WCSNAX1",
            "WCSNAX2", "HISTORY", "COMMENT", ""}
    for card in sip_sci.cards:
        if card.keyword in skip or card.keyword in h:
            continue
        if is_wcs_card(card.keyword) or card.keyword in ("DISTNAME", "SIPNAME"):
            h.append(card, end=True)
    return h


def with_wcs_of(h, sci_h):
    """ERR/DQ header with the same (SIP, shifted) WCS cards as the SCI header."""
    h = h.copy()
    for key in list(h.keys()):
        if key and is_wcs_card(key):
            del h[key]
    for card in sci_h.cards:
        if card.keyword and is_wcs_card(card.keyword) and not card.keyword.startswith(("IDC", "OCX", "OCY")):
            h.append(card, end=True)
    return h


def plant_crs(rng, shape, ncr):
    """Cosmic-ray image (electrons) and mask: short straight tracks."""
    ny, nx = shape
    img = np.zeros(shape, np.float32)
    for _ in range(ncr):
        y0, x0 = rng.uniform(0, ny - 1), rng.uniform(0, nx - 1)
        length = rng.integers(1, 7)
        ang = rng.uniform(0, np.pi)
        amp = rng.uniform(300.0, 8000.0)
        for t in range(length):
            x = int(round(x0 + t * np.cos(ang)))
            y = int(round(y0 + t * np.sin(ang)))
            if 0 <= x < nx and 0 <= y < ny:
                img[y, x] += amp * rng.uniform(0.5, 1.0)
    return img, img > 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ncr", type=int, default=400)
    ap.add_argument("--data", default=DATA)
    args = ap.parse_args()
    if args.n < 1 or args.n > 9:
        sys.exit("--n must be 1..9")

    import astropy
    import astroscrappy
    import scipy
    from scipy import ndimage

    print(f"astropy {astropy.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"astroscrappy {astroscrappy.__version__}")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    offsets = list(OFFSETS[: args.n])
    while len(offsets) < args.n:
        offsets.append(tuple(np.round(rng.uniform(-5, 5, 2), 2)))

    src = fits.open(os.path.join(args.data, "j8bt06nyq_flt.fits"))
    sip = fits.open(os.path.join(args.data, "j8bt06nyq_sip_flt.fits"))
    prim = src[0].header.copy()
    prim.remove("IDCTAB", ignore_missing=True)
    sci_h0 = sip_sci_header(src["SCI", 1].header, sip["SCI", 1].header)
    sci0 = src["SCI", 1].data.astype(np.float32)
    err0 = src["ERR", 1].data.astype(np.float32)
    dq0 = src["DQ", 1].data.astype(np.int16)
    err_h, dq_h = src["ERR", 1].header.copy(), src["DQ", 1].header.copy()
    ny, nx = sci0.shape
    w0 = WCS(sci_h0)
    assert w0.sip is not None, "SIP header not applied"

    # The real exposure's own cosmic rays (so that the copies do not inherit them).
    good = dq0 == 0
    crmask0, clean0 = astroscrappy.detect_cosmics(
        sci0, inmask=~good, sigclip=6.0, objlim=30.0, sigfrac=0.5, gain=1.0, readnoise=4.71,
        satlevel=1e9, niter=2, cleantype="medmask")
    clean0 = clean0.astype(np.float32)
    print(f"real exposure: {int(crmask0.sum())} CR pixels found by astroscrappy")

    info = {"offsets_px": offsets, "files": [], "seed": args.seed}
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float64)
    for k, (dx, dy) in enumerate(offsets):
        root = "j8bt06nyq" if k == 0 else f"j8bt06d{k}q"
        ph = prim.copy()
        sh = sci_h0.copy()
        for h in (ph, sh):
            for key, val in (("ROOTNAME", root), ("FILENAME", f"{root}_flt.fits"), ("EXPNAME", root)):
                if key in h:
                    h[key] = val
        if k == 0:
            sci, err, dq, truth = sci0.copy(), err0.copy(), dq0.copy(), crmask0.astype(np.uint8)
            entry = {"root": root, "offset_px": [0.0, 0.0], "cr_pixels": int(truth.sum())}
        else:
            ph["EXPSTART"] = prim["EXPSTART"] + 0.01 * k
            ph["EXPEND"] = prim["EXPEND"] + 0.01 * k
            crpix = np.array([[sh["CRPIX1"] - 1 + dx, sh["CRPIX2"] - 1 + dy]])
            ra, dec = w0.all_pix2world(crpix, 0)[0]
            sh["CRVAL1"], sh["CRVAL2"] = float(ra), float(dec)
            wk = WCS(sh)
            world = wk.all_pix2world(np.column_stack([xx.ravel(), yy.ravel()]), 0)
            q = w0.all_world2pix(world, 0, tolerance=1e-8, maxiter=50)
            qx, qy = q[:, 0].reshape(ny, nx), q[:, 1].reshape(ny, nx)
            inside = (qx >= 0) & (qx <= nx - 1) & (qy >= 0) & (qy <= ny - 1)
            coords = np.array([qy, qx])
            sci = ndimage.map_coordinates(clean0, coords, order=3, mode="nearest").astype(np.float32)
            err_i = ndimage.map_coordinates(err0, coords, order=1, mode="nearest").astype(np.float32)
            iy = np.clip(np.rint(qy).astype(int), 0, ny - 1)
            ix = np.clip(np.rint(qx).astype(int), 0, nx - 1)
            dq = dq0[iy, ix].copy()
            # noise lost to the interpolation: variance of unit white noise resampled the same way
            white = rng.standard_normal(sci.shape).astype(np.float32)
            wi = ndimage.map_coordinates(white, coords, order=3, mode="nearest")
            r = float(np.var(wi[inside]))
            sci += (rng.standard_normal(sci.shape) * np.sqrt(1.0 - r) * err_i).astype(np.float32)
            crimg, truth = plant_crs(rng, sci.shape, args.ncr)
            sci += crimg
            err = np.sqrt(err_i.astype(np.float64) ** 2 + crimg).astype(np.float32)
            sci[~inside], err[~inside] = 0.0, 0.0
            dq[~inside] |= 2
            truth = (truth & inside).astype(np.uint8)
            entry = {"root": root, "offset_px": [dx, dy], "cr_pixels": int(truth.sum()),
                     "noise_ratio_r": r,
                     "crval": [float(ra), float(dec)], "off_edge_pixels": int((~inside).sum())}
        hdul = fits.HDUList([
            fits.PrimaryHDU(header=ph),
            fits.ImageHDU(sci, header=sh, name="SCI", ver=1),
            fits.ImageHDU(err, header=with_wcs_of(err_h, sh), name="ERR", ver=1),
            fits.ImageHDU(dq.astype(np.int16), header=with_wcs_of(dq_h, sh), name="DQ", ver=1),
        ])
        hdul[1].header["EXTVER"] = 1
        path = os.path.join(args.out, f"{root}_flt.fits")
        hdul.writeto(path, overwrite=True, output_verify="silentfix")
        fits.PrimaryHDU(truth).writeto(os.path.join(args.out, f"{root}_crtruth.fits"), overwrite=True)
        entry["path"] = path
        info["files"].append(entry)
        print(f"wrote {path}: offset ({dx:+.2f}, {dy:+.2f}) px, {entry['cr_pixels']} CR pixels"
              + (f", noise ratio r = {entry['noise_ratio_r']:.3f}" if k else ""))
    with open(os.path.join(args.out, "dithers.json"), "w") as f:
        json.dump(info, f, indent=1)


if __name__ == "__main__":
    main()
