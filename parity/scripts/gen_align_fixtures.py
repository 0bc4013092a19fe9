#!/usr/bin/env python
"""Generate the astro-align parity fixtures (parity/fixtures/align/).

Run with the oracle venv:

    /work/main/.venv-oracle/bin/python parity/scripts/gen_align_fixtures.py

Reference tools (versions checked below and written into every fixture):
  * tweakwcs 0.9.3: align_wcs(FITSWCSCorrector(wcs, meta={catalog}), refcat=Table(RA, DEC),
    match=XYXYMatch(searchrad, separation, tolerance, use2dhist=True), fitgeom, nclip=3,
    sigma=3) -- the image's own tangent plane (ref_tpwcs=None), as TweakReg does;
  * photutils 3.0.0: DAOStarFinder(threshold, fwhm) on SCI,1 of ACS/HRC j8bt06nyq_flt.fits
    (minus a sigma-clipped median background) -> daofind_hrc.json;
  * astropy 8.0.2 for the WCS.

tweakwcs cases (tweakwcs_*.json): a TAN(-SIP) "true" WCS of a 1024x1024 image; stars at random
pixels, their RA/Dec through the true WCS (with 0.02 px of sky noise) form the reference
catalog (plus stars outside the image); the image catalog is the pixel positions (0.05 px noise,
10 % spurious sources, 15 % of the reference stars missing); the image's WCS to correct is the
true one with CRVAL moved by a known tangent-plane shift, the CD matrix rotated and scaled.
Recorded: inputs (guess WCS header, catalogs, options) and tweakwcs' fit_info (matrix, shift,
rotations, scales, rmse, mae, matched pairs, fitmask) and the corrected CRVAL / CD.
"""

import json
import os
import sys

import numpy as np
import astropy
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS
import tweakwcs
from tweakwcs import FITSWCSCorrector, XYXYMatch, align_wcs
import photutils
from photutils.detection import DAOStarFinder
from astropy.stats import sigma_clipped_stats

assert tweakwcs.__version__.startswith("0.9.3"), tweakwcs.__version__
assert photutils.__version__.startswith("3.0.0"), photutils.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "align")
DATA = os.environ.get("ASTRO_TEST_DATA", "/work/shared/data/real")
FLT = os.path.join(DATA, "hst", "acs_hrc_j8bt06nyq", "j8bt06nyq_flt.fits")
VERSIONS = {
    "tweakwcs": tweakwcs.__version__,
    "photutils": photutils.__version__,
    "astropy": astropy.__version__,
    "numpy": np.__version__,
}


def make_wcs(crval, cd, sip):
    h = fits.Header()
    h["NAXIS"] = 2
    h["NAXIS1"] = 1024
    h["NAXIS2"] = 1024
    h["CTYPE1"] = "RA---TAN-SIP" if sip else "RA---TAN"
    h["CTYPE2"] = "DEC--TAN-SIP" if sip else "DEC--TAN"
    h["CRPIX1"] = 512.5
    h["CRPIX2"] = 480.0
    h["CRVAL1"] = crval[0]
    h["CRVAL2"] = crval[1]
    h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = cd[0][0], cd[0][1], cd[1][0], cd[1][1]
    if sip:
        h["A_ORDER"] = 2
        h["B_ORDER"] = 2
        h["A_2_0"] = 2.0e-6
        h["A_1_1"] = -1.5e-6
        h["A_0_2"] = 3.0e-6
        h["B_2_0"] = -1.0e-6
        h["B_1_1"] = 2.5e-6
        h["B_0_2"] = 1.0e-6
    w = WCS(h)
    w.pixel_shape = (1024, 1024)
    return w, h


def header_text(w):
    h = w.to_header(relax=True)
    h["NAXIS1"] = 1024
    h["NAXIS2"] = 1024
    return "\n".join(str(c) for c in h.cards)


def rot_cd(cd, deg, scale):
    t = np.deg2rad(deg)
    r = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return (np.asarray(cd) @ r) * scale


def case(name, seed, shift_px, rot_deg, scale, fitgeom, sip, searchrad, nstar=300):
    rng = np.random.default_rng(seed)
    pscale = 0.05 / 3600.0
    cd = rot_cd([[-pscale, 0.0], [0.0, pscale]], 23.0, 1.0)
    truth, _ = make_wcs((5.6234, -72.0712), cd, sip)
    # stars over a region larger than the image
    x = rng.uniform(-80, 1104, nstar)
    y = rng.uniform(-80, 1104, nstar)
    ra, dec = truth.all_pix2world(x, y, 0)
    # reference catalog: sky positions (0.02 px noise), 15 % of in-image stars missing
    xn = x + rng.normal(0, 0.02, nstar)
    yn = y + rng.normal(0, 0.02, nstar)
    rra, rdec = truth.all_pix2world(xn, yn, 0)
    inside = (x > 0) & (x < 1023) & (y > 0) & (y < 1023)
    keep_ref = ~(inside & (rng.uniform(size=nstar) < 0.15))
    # image catalog: in-image stars with 0.05 px noise + 10 % spurious
    ix = x[inside] + rng.normal(0, 0.05, inside.sum())
    iy = y[inside] + rng.normal(0, 0.05, inside.sum())
    nsp = int(0.1 * inside.sum())
    ix = np.concatenate([ix, rng.uniform(0, 1023, nsp)])
    iy = np.concatenate([iy, rng.uniform(0, 1023, nsp)])
    perm = rng.permutation(len(ix))
    ix, iy = ix[perm], iy[perm]
    # guess WCS: CRVAL moved by a tangent-plane shift, CD rotated/scaled
    tx, ty = truth.wcs.crpix[0] - 1 + shift_px[0], truth.wcs.crpix[1] - 1 + shift_px[1]
    cra, cdec = truth.wcs_pix2world([[tx, ty]], 0)[0]
    guess, _ = make_wcs((float(cra), float(cdec)), rot_cd(truth.wcs.cd, rot_deg, scale), sip)
    guess_header = header_text(guess)

    corr = FITSWCSCorrector(guess.deepcopy(), meta={"catalog": Table({"x": ix, "y": iy}), "name": name})
    refcat = Table({"RA": rra[keep_ref], "DEC": rdec[keep_ref]})
    match = XYXYMatch(searchrad=searchrad, separation=0.5, tolerance=1.0, use2dhist=True)
    align_wcs(corr, refcat=refcat, match=match, fitgeom=fitgeom, nclip=3, sigma=3.0)
    fi = corr.meta["fit_info"]
    assert fi["status"] == "SUCCESS", fi["status"]
    new = corr.wcs
    cdn = new.wcs.cd if new.wcs.has_cd() else new.wcs.get_pc() * new.wcs.cdelt[:, None]
    out = {
        "versions": VERSIONS,
        "name": name,
        "truth": {"shift_px": shift_px, "rot_deg": rot_deg, "scale": scale,
                  "crval": [float(v) for v in truth.wcs.crval], "cd": truth.wcs.cd.tolist()},
        "guess_header": guess_header,
        "naxis": [1024, 1024],
        "image_xy": np.column_stack([ix, iy]).tolist(),
        "ref_radec": np.column_stack([rra[keep_ref], rdec[keep_ref]]).tolist(),
        "options": {"fitgeom": fitgeom, "searchrad": searchrad, "separation": 0.5,
                    "tolerance": 1.0, "nclip": 3, "sigma": 3.0},
        "tweakwcs": {
            "matrix": np.asarray(fi["matrix"]).tolist(),
            "shift": np.asarray(fi["shift"]).tolist(),
            "proper_rot": float(fi["proper_rot"]),
            "rot": [float(v) for v in fi["rot"]],
            "scale": [float(v) for v in fi["scale"]],
            "mean_scale": float(fi["<scale>"]),
            "rmse": float(fi["rmse"]),
            "mae": float(fi["mae"]),
            "nmatches": int(fi["nmatches"]),
            "matched_ref_idx": np.asarray(fi["matched_ref_idx"]).tolist(),
            "matched_input_idx": np.asarray(fi["matched_input_idx"]).tolist(),
            "fitmask": np.asarray(fi["fitmask"]).astype(int).tolist(),
            "crval": [float(v) for v in new.wcs.crval],
            "cd": np.asarray(cdn).tolist(),
        },
    }
    with open(os.path.join(OUT, f"tweakwcs_{name}.json"), "w") as f:
        json.dump(out, f)
    print(name, "matches", fi["nmatches"], "rmse", fi["rmse"], "rot", fi["proper_rot"],
          "scale", fi["<scale>"])


def daofind():
    if not os.path.exists(FLT):
        print("SKIP daofind: no", FLT)
        return
    data = fits.getdata(FLT, ("SCI", 1)).astype(np.float32)
    mean, median, std = sigma_clipped_stats(data, sigma=3.0, maxiters=5)
    fwhm = 2.5
    nsig = 5.0
    thr = nsig * float(std)
    finder = DAOStarFinder(threshold=thr, fwhm=fwhm)
    tbl = finder.find_stars(data - np.float32(median))
    out = {
        "versions": VERSIONS,
        "image": "j8bt06nyq_flt.fits[SCI,1]",
        "background": float(median),
        "sigma": float(std),
        "nsigma": nsig,
        "fwhm": fwhm,
        "call": "DAOStarFinder(threshold=nsigma*sigma, fwhm=fwhm).find_stars(data - background)",
        "x": [round(float(v), 5) for v in tbl["x_centroid"]],
        "y": [round(float(v), 5) for v in tbl["y_centroid"]],
        "flux": [round(float(v), 3) for v in tbl["flux"]],
    }
    with open(os.path.join(OUT, "daofind_hrc.json"), "w") as f:
        json.dump(out, f)
    print("daofind", len(tbl), "sources")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    # tweakwcs' histogram + tolerance match only works when rotation/scale errors move the
    # image edges by less than `tolerance` (1 px): 0.05 deg is 0.45 px at 512 px.
    case("rscale_sip", 1, [7.3, -4.1], 0.05, 1.0004, "rscale", True, 12.0)
    case("general_sip", 2, [-11.8, 9.6], -0.06, 0.9997, "general", True, 20.0)
    case("shift_tan", 3, [2.2, 1.4], 0.0, 1.0, "shift", False, 3.0)
    case("rshift_tan", 4, [14.6, -13.9], 0.07, 1.0, "rshift", False, 25.0)
    case("rscale_dense", 5, [-0.6, 0.9], 0.02, 1.0002, "rscale", True, 3.0, nstar=1500)
    daofind()
