#!/usr/bin/env python
"""Speed races of astro-align against its reference tools, in one run.

    cargo build --release -p astro-benches --bin peer_align   (CARGO_TARGET_DIR respected)
    /work/main/.venv-oracle/bin/python parity/scripts/bench_align_peers.py

1. Detection: photutils 3.0.0 DAOStarFinder(threshold=5*sigma, fwhm=2.5) vs
   astro_align::find_sources with the same background/sigma/FWHM/threshold, on SCI,1 of
   ACS/HRC j8bt06nyq_flt.fits (1024x1024, ~4100 sources). Ours with RAYON_NUM_THREADS=1 and 2.
2. Alignment: tweakwcs 0.9.3 align_wcs (FITSWCSCorrector, XYXYMatch, rscale fit, 3 clips) vs
   astro_align::align_image on the committed fixture tweakwcs_rscale_dense.json (1100 image
   sources, 1300 reference stars). Best of 3 wall-clock runs each; prints the ratios.
"""

import json
import logging
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from astropy.io import fits
from astropy.stats import sigma_clipped_stats
from astropy.table import Table
from astropy.wcs import WCS
import photutils
from photutils.detection import DAOStarFinder
import tweakwcs
from tweakwcs import FITSWCSCorrector, XYXYMatch, align_wcs

logging.disable(logging.CRITICAL)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "peer_align")
DATA = os.environ.get("ASTRO_TEST_DATA", "/work/shared/data/real")
FLT = os.path.join(DATA, "hst", "acs_hrc_j8bt06nyq", "j8bt06nyq_flt.fits")


def best(f, reps=3):
    t = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f()
        t.append(time.perf_counter() - t0)
    return min(t), out


def ours(args, threads):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    out = subprocess.run([BIN] + args, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    if not os.path.exists(BIN):
        sys.exit(f"build first: cargo build --release -p astro-benches --bin peer_align ({BIN})")
    print(f"photutils {photutils.__version__}, tweakwcs {tweakwcs.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        # 1. detection
        data = fits.getdata(FLT, ("SCI", 1)).astype(np.float32)
        _, median, std = sigma_clipped_stats(data, sigma=3.0, maxiters=5)
        finder = DAOStarFinder(threshold=5.0 * float(std), fwhm=2.5)
        sub = data - np.float32(median)
        t_py, tbl = best(lambda: finder.find_stars(sub))
        img = os.path.join(tmp, "sci.f32")
        data.astype("<f4").tofile(img)
        args = ["detect", "--image", img, "--shape", "1024,1024", "--fwhm", "2.5", "--nsigma",
                "5", "--sigma", repr(float(std)), "--background", repr(float(median))]
        for th in (1, 2):
            r = ours(args, th)
            print(f"detect: photutils {t_py:.3f} s ({len(tbl)} sources); ours {th} thread(s) "
                  f"{r['seconds']:.4f} s ({r['nsources']} sources): {t_py / r['seconds']:.1f}x")
        # 2. alignment
        fx = json.load(open(os.path.join(ROOT, "parity", "fixtures", "align",
                                         "tweakwcs_rscale_dense.json")))
        hdr = os.path.join(tmp, "wcs.hdr")
        open(hdr, "w").write(fx["guess_header"])
        ixy = os.path.join(tmp, "img.txt")
        np.savetxt(ixy, np.array(fx["image_xy"]), fmt="%.17g")
        rrd = os.path.join(tmp, "ref.txt")
        np.savetxt(rrd, np.array(fx["ref_radec"]), fmt="%.17g")
        o = fx["options"]
        w = WCS(fits.Header.fromstring(fx["guess_header"], sep="\n"))
        w.pixel_shape = (1024, 1024)
        ixy_a = np.array(fx["image_xy"])
        rrd_a = np.array(fx["ref_radec"])

        def tw():
            c = FITSWCSCorrector(w.deepcopy(), meta={"catalog": Table({"x": ixy_a[:, 0], "y": ixy_a[:, 1]})})
            align_wcs(c, refcat=Table({"RA": rrd_a[:, 0], "DEC": rrd_a[:, 1]}),
                      match=XYXYMatch(searchrad=o["searchrad"], separation=0.5, tolerance=1.0),
                      fitgeom=o["fitgeom"], nclip=3, sigma=3.0)
            return c.meta["fit_info"]["nmatches"]

        t_tw, nm = best(tw)
        r = ours(["align", "--header", hdr, "--image-xy", ixy, "--ref-radec", rrd,
                  "--searchrad", str(o["searchrad"]), "--fitgeom", o["fitgeom"]], 1)
        print(f"align: tweakwcs {t_tw:.3f} s ({nm} matches); ours {r['seconds']:.5f} s "
              f"({r['nmatches']} matches): {t_tw / r['seconds']:.0f}x")


if __name__ == "__main__":
    main()
