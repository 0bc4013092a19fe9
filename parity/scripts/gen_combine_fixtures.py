#!/usr/bin/env python
"""Fixtures for parity/tests/combine.rs (astro-combine) from the reference tools.

    /work/main/.venv-oracle/bin/python parity/scripts/gen_combine_fixtures.py \
        [--data /work/shared/data/real]

Tools (versions are written into index.json): drizzlepac 3.11.0 (minmed.min_med,
quickDeriv.qderiv, the driz_cr rule of drizCR._driz_cr), stsci.image 2.3.11
(numcombine.num_combine), stsci.imagestats 1.8.4 (ImageStats), stsci.skypac 1.0.12
(SkyStats, skymatch._find_optimum_sky_deltas), stcal 1.20.0
(outlier_detection.utils.flag_resampled_crs / flag_crs), astropy (sigma_clipped_stats),
astroscrappy 1.3.0 (detect_cosmics on the GMOS cut-out).

Inputs: five aligned 5 s frames of M13 (ground/m13_blue, 160 x 160 cut-outs at
rows 440..600, columns 600..760) with synthetic weight images and injected cosmic rays,
and the GMOS cut-out (ground/gmos_cosmic_rays/gmos.fits).

Arrays are raw little-endian files (`.f32`, `.u8`) of the shape given in index.json.

What is called directly and what is re-stated here (each marked in the code):
* stacks: exactly createMedian._median's per-section logic on one section: weight masks
  `W < maskpt * ImageStats(W, lower=1e-8, nclip=0).mean`, then `min_med(...)` or
  `num_combine(...)` (called directly);
* driz_cr: `_driz_cr` needs a full imageObject; the twelve lines of its rule are
  re-stated below with drizzlepac's own `qderiv` and scipy's `convolve2d`, unchanged;
* sky: `SkyStats.calc_sky` is called directly for each statistic; skymatch's
  `_find_optimum_sky_deltas` is called directly with `_calc_sky` replaced by the overlap
  statistic on a common grid (our API's geometry: each exposure already on one grid with
  a mask), and the localmin / globalmin / match_down / globalmin+match steps of
  `skymatch.skymatch` are re-stated (min over chips, min over exposures, subtract
  `amin(deltas, initial=0)`, add the global minimum of `sky - delta`).
"""

import argparse
import json
import os
from pathlib import Path

import numpy as np
from astropy.io import fits

import astropy
import astroscrappy
import drizzlepac
import scipy
import stcal
import stsci.image
import stsci.imagestats
import stsci.skypac
from astropy.stats import sigma_clipped_stats
from drizzlepac.minmed import min_med
from drizzlepac.quickDeriv import qderiv
from scipy import signal
from stcal.outlier_detection.utils import flag_crs, flag_resampled_crs
from stsci.image.numcombine import num_combine
from stsci.imagestats import ImageStats
from stsci.skypac import skymatch as skymatch_mod
from stsci.skypac.skystatistics import SkyStats

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "combine"
index = {
    "versions": {
        "drizzlepac": drizzlepac.__version__,
        "stsci.image": stsci.image.__version__,
        "stsci.imagestats": getattr(stsci.imagestats, "__version__", "1.8.4"),
        "stsci.skypac": stsci.skypac.__version__,
        "stcal": stcal.__version__,
        "astropy": astropy.__version__,
        "astroscrappy": astroscrappy.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    },
    "arrays": {},
}


def save(name, arr):
    arr = np.ascontiguousarray(arr)
    if arr.dtype == np.float32:
        fname = name + ".f32"
        data = arr.astype("<f4").tobytes()
    elif arr.dtype == bool or arr.dtype == np.uint8:
        fname = name + ".u8"
        data = arr.astype(np.uint8).tobytes()
    else:
        raise TypeError(arr.dtype)
    assert len(data) < 1_000_000, name
    (OUT / fname).write_bytes(data)
    index["arrays"][name] = {"file": fname, "shape": list(arr.shape)}
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("ASTRO_TEST_DATA", "/work/shared/data/real"))
    args = ap.parse_args()
    data_dir = Path(args.data)
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261121)

    # ---------------- inputs: M13 cut-outs ----------------
    y0, x0, n = 440, 600, 160
    frames = []
    for k in range(1, 6):
        with fits.open(data_dir / f"ground/m13_blue/M13_blue_000{k}.fits") as h:
            frames.append(h[0].data[y0:y0 + n, x0:x0 + n].astype(np.float32))
    frames = np.array(frames)
    # cosmic rays: single pixels and short tracks, some shared by two frames
    for k in range(5):
        for _ in range(25):
            y, x = rng.integers(5, n - 5, 2)
            e = np.float32(rng.uniform(200, 5000))
            frames[k, y, x] += e
            if rng.random() < 0.4:
                frames[k, y + 1, x] += e * np.float32(0.5)
    for _ in range(10):
        y, x = rng.integers(5, n - 5, 2)
        frames[1, y, x] += np.float32(3000)
        frames[2, y, x] += np.float32(2500)
    weights = []
    for k in range(5):
        w = np.full((n, n), 5.0, np.float32) * np.float32(rng.uniform(0.9, 1.1, (n, n)))
        w[:, 150 - 7 * k:152 - 7 * k] = 0.0  # a chip gap, different per frame
        w[rng.random((n, n)) < 0.03] = np.float32(0.5)  # scattered low weights
        w[60:64, 80:90] = 0.0  # masked in every frame: fill value, count 0
        weights.append(w)
    weights = np.array(weights)
    for k in range(5):
        save(f"m13_sci_{k}", frames[k])
        save(f"m13_wht_{k}", weights[k])

    # ---------------- stacks ----------------
    def weight_masks(ws, maskpt):
        thr = []
        for w in ws:
            try:
                m = ImageStats(w, lower=1e-8, fields="mean", nclip=0).mean
            except ValueError:
                m = 0.0
            thr.append(m * maskpt)
        return np.less(ws, np.asarray(thr)[:, None, None]).astype(np.uint8)

    stacks = []
    exptime = [5.0, 5.0, 5.0, 5.0, 5.0]
    readnoise = [5.0, 6.0, 5.5, 5.0, 4.5]
    sky = [40.0, 42.0, 38.0, 41.0, 39.0]
    cases = [
        dict(name="median", combine_type="median", nimg=5, maskpt=0.3),
        dict(name="median_n4", combine_type="median", nimg=4, maskpt=0.3),
        dict(name="median_nlow1_nhigh1", combine_type="median", nimg=5, maskpt=0.3, nlow=1, nhigh=1),
        dict(name="median_nhigh2", combine_type="median", nimg=5, maskpt=0.7, nhigh=2),
        dict(name="median_thresh", combine_type="median", nimg=5, maskpt=0.3, lthresh=300.0, hthresh=2000.0),
        dict(name="mean", combine_type="mean", nimg=5, maskpt=0.3),
        dict(name="mean_nlow1_nhigh1", combine_type="mean", nimg=5, maskpt=0.3, nlow=1, nhigh=1),
        dict(name="median_nomask", combine_type="median", nimg=5, maskpt=0.0),
        dict(name="minmed", combine_type="minmed", nimg=5, maskpt=0.3, grow=1),
        dict(name="minmed_grow0", combine_type="minmed", nimg=5, maskpt=0.3, grow=0),
        dict(name="minmed_grow2", combine_type="minmed", nimg=5, maskpt=0.7, grow=2, nsigma=(3.0, 2.0)),
        dict(name="minmed_n3", combine_type="minmed", nimg=3, maskpt=0.3, grow=1),
        dict(name="minmed_n2", combine_type="minmed", nimg=2, maskpt=0.3, grow=1),
    ]
    for c in cases:
        k = c["nimg"]
        imgs = frames[:k].copy()
        ws = weights[:k]
        masks = weight_masks(ws, c["maskpt"])
        if c["combine_type"] == "minmed":
            n1, n2 = c.get("nsigma", (4.0, 3.0))
            # drizzlepac.minmed.min_med, called directly
            res = min_med(imgs, ws, readnoise[:k], exptime[:k], sky[:k], weight_masks=masks,
                          combine_grow=c["grow"], combine_nsigma1=n1, combine_nsigma2=n2,
                          fillval=False)
        else:
            # stsci.image.numcombine.num_combine, called directly
            res = num_combine(imgs, masks=masks, combination_type=c["combine_type"],
                              nlow=c.get("nlow", 0), nhigh=c.get("nhigh", 0),
                              upper=c.get("hthresh"), lower=c.get("lthresh"))
        assert res.dtype == np.float32
        c["result"] = save("stack_" + c["name"], res)
        c["exptime"], c["readnoise"], c["sky"] = exptime[:k], readnoise[:k], sky[:k]
        stacks.append(c)
    index["stacks"] = stacks

    # ---------------- driz_cr ----------------
    blot = num_combine(frames[1:], combination_type="median").astype(np.float32)
    save("cr_blot", blot)
    save("cr_qderiv", qderiv(blot))
    dcr = []
    cr_cases = [
        dict(name="default", snr=(3.5, 3.0), scale=(1.2, 0.7), grow=1, ctegrow=0, cte_dir=0,
             gain=1.0, rn=5.0, backg=40.0),
        dict(name="grow3_cte2_pos", snr=(3.5, 3.0), scale=(1.2, 0.7), grow=3, ctegrow=2, cte_dir=1,
             gain=1.0, rn=5.0, backg=40.0),
        dict(name="grow2_cte3_neg_gain2", snr=(4.0, 2.5), scale=(0.5, 0.4), grow=2, ctegrow=3,
             cte_dir=-1, gain=2.0, rn=4.0, backg=10.0),
    ]
    sci = frames[0].copy()
    for c in cr_cases:
        input_image, blot_data = sci.copy(), blot.copy()
        # ---- the rule of drizCR._driz_cr (drizzlepac 3.11), re-stated unchanged ----
        blot_deriv = qderiv(blot_data)
        snr1, snr2 = c["snr"]
        mult1, mult2 = c["scale"]
        gain, rn, backg = c["gain"], c["rn"], c["backg"]
        grow, ctegrow = c["grow"], c["ctegrow"]
        t1 = np.absolute(input_image - blot_data)
        ta = np.sqrt(gain * np.abs(blot_data + backg) + rn**2)
        t2 = (mult1 * blot_deriv + snr1 * ta / gain)
        tmp1 = t1 <= t2
        kernel = np.ones((3, 3), dtype=np.uint16)
        tmp2 = signal.convolve2d(tmp1, kernel, boundary='symm', mode='same')
        t2 = (mult2 * blot_deriv + snr2 * ta / gain)
        cr_mask = (t1 <= t2) | (tmp2 >= 9)
        cr_grow_kernel = np.ones((grow, grow), dtype=np.uint16)
        cr_grow_kernel_conv = signal.convolve2d(cr_mask, cr_grow_kernel, boundary='symm', mode='same')
        cr_ctegrow_kernel = np.zeros((2 * ctegrow + 1, 2 * ctegrow + 1))
        if c["cte_dir"] == 1:
            cr_ctegrow_kernel[0:ctegrow, ctegrow] = 1
        elif c["cte_dir"] == -1:
            cr_ctegrow_kernel[ctegrow + 1:2 * ctegrow + 1, ctegrow] = 1
        cr_ctegrow_kernel_conv = signal.convolve2d(cr_mask, cr_ctegrow_kernel, boundary='symm', mode='same')
        cr_grow_mask = cr_grow_kernel_conv >= grow**2
        cr_ctegrow_mask = cr_ctegrow_kernel_conv >= ctegrow
        cr_mask = cr_grow_mask & cr_ctegrow_mask
        # ---- end of the re-stated rule; cr_mask is True = good ----
        c["good"] = save("drizcr_good_" + c["name"], cr_mask)
        c["corr"] = save("drizcr_corr_" + c["name"], np.where(cr_mask, input_image, blot_data).astype(np.float32))
        dcr.append(c)
    index["driz_cr"] = dcr

    # stcal variants, called directly
    err = np.sqrt(np.abs(blot) + 25.0).astype(np.float32)
    err[5, 5] = np.nan
    save("stcal_err", err)
    st = []
    for c in [dict(name="default", snr=(5.0, 4.0), scale=(1.2, 0.7), backg=0.0),
              dict(name="backg", snr=(4.0, 3.0), scale=(0.8, 0.5), backg=3.0)]:
        m = flag_resampled_crs(sci, err, blot, c["snr"][0], c["snr"][1], c["scale"][0], c["scale"][1], c["backg"])
        c["mask"] = save("stcal_resampled_" + c["name"], m)
        st.append(c)
    index["stcal_resampled"] = st
    index["stcal_flag_crs"] = {"snr": 5.0, "mask": save("stcal_flag_crs", flag_crs(sci, err, blot, 5.0))}

    # ---------------- statistics ----------------
    sets = {
        "m13": frames[0].ravel(),
        "gauss": (rng.normal(100.0, 5.0, 20000)).astype(np.float32),
    }
    g = sets["gauss"].copy()
    g[rng.integers(0, g.size, 300)] += np.float32(200.0)
    g[rng.integers(0, g.size, 100)] = np.nan
    sets["gauss_outliers_nan"] = g
    for k, v in sets.items():
        save("stats_" + k, v.astype(np.float32))
    scs = []
    sc_params = [
        dict(),
        dict(sigma=2.5, maxiters=None),
        dict(sigma_lower=2.0, sigma_upper=4.0, cenfunc="mean"),
        dict(stdfunc="mad_std", maxiters=10),
        dict(std_ddof=1, sigma=3.5),
    ]
    for k, v in sets.items():
        for p in sc_params:
            mean, med, std = sigma_clipped_stats(v.astype(np.float64), **p)
            scs.append(dict(data="stats_" + k, params=p, mean=float(mean), median=float(med), std=float(std)))
    index["sigma_clipped_stats"] = scs

    sky_stats = []
    sky_params = [
        dict(nclip=5, lsig=4.0, usig=4.0, binwidth=0.1),
        dict(nclip=3, lsig=3.0, usig=2.0, binwidth=0.05),
        dict(nclip=0, lsig=3.0, usig=3.0, binwidth=0.1),
        dict(nclip=5, lsig=4.0, usig=4.0, binwidth=0.1, lower=50.0, upper=400.0),
    ]
    for k, v in sets.items():
        vals = v[np.isfinite(v)] if k != "m13" else v
        if k == "m13" or True:
            for p in sky_params:
                if "lower" in p and k != "m13":
                    continue
                rec = dict(data="stats_" + k, params=p)
                for stat in ["mean", "median", "mode", "midpt"]:
                    ss = SkyStats(skystat=stat, **p)
                    val, npix = ss.calc_sky(vals)
                    rec[stat] = float(val)
                    rec["npix"] = int(npix)
                sky_stats.append(rec)
    index["skystats"] = sky_stats
    index["computesig"] = {
        "data": "stats_m13",
        "value": float(np.sqrt(2.0 * np.abs(ImageStats(sets["m13"], nclip=3, fields="mode,stddev", binwidth=0.01).mode))),
    }

    # ---------------- sky methods ----------------
    # three exposures with two chips each; chip data are M13 cut-outs plus a sky offset
    # (data units); to_brightness differs per exposure (different exposure times).
    offsets = [30.0, 12.0, 55.0]
    conv = [1.0 / 5.0, 1.0 / 4.0, 1.0 / 6.0]
    chips = []
    for e in range(3):
        cl = []
        for c in range(2):
            d = (frames[(e + c) % 5][:, :80 + 40 * c] - np.float32(300.0) + np.float32(offsets[e] + 3.0 * c)).astype(np.float32)
            goodm = np.ones(d.shape, bool)
            goodm[:, :5] = False
            cl.append((d, goodm))
            save(f"sky_chip_{e}_{c}", d)
            save(f"sky_good_{e}_{c}", goodm)
        chips.append(cl)
    # common grid 160 x 200; exposure e covers columns [20 e, 20 e + 140)
    grids = []
    for e in range(3):
        gd = np.zeros((160, 200), np.float32)
        gm = np.zeros((160, 200), bool)
        gd[:, 20 * e:20 * e + 140] = frames[e][:, :140] - np.float32(300.0) + np.float32(offsets[e])
        gm[:, 20 * e:20 * e + 140] = True
        gm[70:75, :] = False
        grids.append((gd, gm))
        save(f"sky_grid_{e}", gd)
        save(f"sky_gridgood_{e}", gm)
    sky_results = []
    for stat in ["median", "mode", "mean"]:
        skystat = SkyStats(skystat=stat, lower=None, upper=None, nclip=5, lsig=4.0, usig=4.0, binwidth=0.1)

        def chip_b(e, delta=0.0):
            best = None
            for d, gm in chips[e]:
                try:
                    s, npix = skystat.calc_sky(d[gm])
                except ValueError:
                    continue
                if npix < 1:
                    continue
                b = s * conv[e] - delta
                if best is None or best > b:
                    best = b
            return best

        localmin = [chip_b(e) or 0.0 for e in range(3)]
        gmin = min(localmin)

        # skymatch._find_optimum_sky_deltas, called directly with _calc_sky on the grid
        def calc_sky(i, j, _skystat):
            both = grids[i][1] & grids[j][1]
            if not both.any():
                return (None, None, None, None, 0.0)
            s1, w1 = skystat.calc_sky(grids[i][0][both])
            s2, w2 = skystat.calc_sky(grids[j][0][both])
            return (s1 * conv[i], w1, s2 * conv[j], w2, 1.0)

        orig = skymatch_mod._calc_sky
        skymatch_mod._calc_sky = calc_sky
        try:
            import logging
            deltas = skymatch_mod._find_optimum_sky_deltas([0, 1, 2], skystat, logging.getLogger("x"))
        finally:
            skymatch_mod._calc_sky = orig
        good = np.isfinite(deltas)
        deltas[good] -= np.amin(deltas[good], initial=0.0)
        match = [float(d) if np.isfinite(d) else 0.0 for d in deltas]
        gm2 = min(chip_b(e, match[e]) for e in range(3))
        gmatch = [m + gm2 for m in match]
        for method, b in [("localmin", localmin), ("globalmin", [gmin] * 3),
                          ("match", match), ("globalmin+match", gmatch)]:
            sky_results.append(dict(skystat=stat, skymethod=method, brightness=[float(x) for x in b],
                                    mdrizsky=[[float(x) / conv[e]] * 2 for e, x in enumerate(b)]))
    index["sky"] = {"conv": conv, "results": sky_results}

    # ---------------- GMOS: astroscrappy mask ----------------
    with fits.open(data_dir / "ground/gmos_cosmic_rays/gmos.fits") as h:
        gsci = h["SCI"].data.astype(np.float32)
        gvar = h["VAR"].data.astype(np.float32)
        gsky = h["SKYFIT"].data.astype(np.float32)
    m3, _ = astroscrappy.detect_cosmics(gsci, inbkg=gsky, invar=gvar, readnoise=4.24, gain=1.933)
    save("gmos_astroscrappy", m3.astype(np.uint8))
    index["gmos"] = {"call": "detect_cosmics(sci, inbkg=SKYFIT, invar=VAR, readnoise=4.24, gain=1.933)",
                     "npix": int(m3.sum())}

    (OUT / "index.json").write_text(json.dumps(index, indent=1))
    total = sum((OUT / a["file"]).stat().st_size for a in index["arrays"].values())
    print(f"wrote {len(index['arrays'])} arrays ({total / 1e6:.2f} MB) to {OUT}")


if __name__ == "__main__":
    main()
