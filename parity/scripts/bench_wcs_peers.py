#!/usr/bin/env python
"""Speed race of astro-wcs against astropy 8.0.2 / drizzle 2.2.0 on the same inputs.

    export CARGO_TARGET_DIR=/work/targets/wcsverify
    cargo build --release -p astro-benches --bin peer_wcs
    /work/main/.venv-oracle/bin/python parity/scripts/bench_wcs_peers.py \
        [--data /work/shared/data/real] [--peer $CARGO_TARGET_DIR/release/peer_wcs]

Races (best of --reps runs each, wall time):
  (a) pixel -> world, TAN-SIP order 4 (wcs_headers/siponly.hdr, SIP A/B order 4),
      1000 x 1000 grid spanning the 2048 x 4096 image, single thread:
      astropy ``WCS.all_pix2world(x, y, 0)`` vs our ``pixel_to_world_many``.
  (b) pixel -> world, full ACS/WFC model (SIP + NPOL lookup + D2IM) of
      hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz SCI,1, same grid over 4096 x 2048,
      single thread (astropy reads the tables with ``fobj=``).
  (c) a whole 4096 x 4096 pixel map TAN-SIP (siponly.hdr) -> TAN (same CRVAL, CRPIX, CD, no
      SIP): ``drizzle.utils.calc_pixmap(wcs_from, wcs_to, shape=(4096, 4096))`` vs our pixel
      map on 2 threads, each in its own process under ``/usr/bin/time -v`` for the peak RSS.

Each race also checks that both sides computed the same numbers (max difference printed).
Times are given as wall time and as CPU time of the process (``time.process_time`` for
Python; the sum of the threads' on-CPU time from /proc for ours): on a shared, loaded
machine the CPU time is the fairer measure, the wall time what a user would see.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import astropy
from astropy.io import fits
from astropy.wcs import WCS

warnings.simplefilter("ignore")

SIP_HDR = "wcs_headers/siponly.hdr"
ACS_FITS = "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz"


def grid(nx_img, ny_img, n):
    xs = np.linspace(0.0, nx_img - 1.0, n)
    ys = np.linspace(0.0, ny_img - 1.0, n)
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def best_of(fn, reps):
    """Best wall and best CPU (process_time) seconds over reps runs; and the last output."""
    best = cpu = float("inf")
    out = None
    for _ in range(reps):
        c = time.process_time()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return best, cpu, out


def run_peer(peer, args, threads=1, timed=False):
    cmd = [peer] + args + ["--threads", str(threads)]
    if timed:
        cmd = ["/usr/bin/time", "-v"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"peer_wcs failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    result = json.loads(r.stdout.strip().splitlines()[-1])
    if timed:
        result["max_rss_kb"] = max_rss(r.stderr)
    return result


def max_rss(time_v_stderr):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_v_stderr)
    return int(m.group(1)) if m else None


def sky_diff(ra1, dec1, ra2, dec2):
    dra = ((ra1 - ra2 + 180.0) % 360.0 - 180.0) * np.cos(np.radians(dec2))
    return float(np.nanmax(np.maximum(np.abs(dra), np.abs(dec1 - dec2))))


def race_p2w(label, w, nx_img, ny_img, n, reps, peer, peer_args, tmp):
    gx, gy = grid(nx_img, ny_img, n)
    t_ast, c_ast, (ra, dec) = best_of(lambda: w.all_pix2world(gx, gy, 0), reps)
    dump = os.path.join(tmp, "".join(ch if ch.isalnum() else "_" for ch in label) + ".f64")
    ours = run_peer(peer, peer_args + ["--grid", f"{nx_img},{ny_img},{n}", "--reps", str(reps),
                                        "--dump", dump])
    got = np.fromfile(dump, dtype="<f8").reshape(-1, 2)
    diff = sky_diff(got[:, 0], got[:, 1], ra, dec)
    npts = gx.size
    a_ns = t_ast / npts * 1e9
    o_ns = ours["seconds"] / npts * 1e9
    a_cpu = c_ast / npts * 1e9
    o_cpu = ours["cpu_seconds"] / npts * 1e9
    print(f"{label:34s} {npts:>8d} {a_ns:>8.1f} {o_ns:>8.1f} {a_ns / o_ns:>6.1f}x "
          f"{a_cpu:>8.1f} {o_cpu:>8.1f} {a_cpu / o_cpu:>6.1f}x  maxdiff {diff:.2e} deg")
    return {"label": label, "points": npts, "astropy_ns": a_ns, "ours_ns": o_ns, "ratio": a_ns / o_ns,
            "astropy_cpu_ns": a_cpu, "ours_cpu_ns": o_cpu, "cpu_ratio": a_cpu / o_cpu,
            "max_diff_deg": diff}


CALC_PIXMAP_CHILD = r"""
import sys, time, json, warnings
warnings.simplefilter("ignore")
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from drizzle.utils import calc_pixmap
hdr_path, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
h = fits.Header.fromstring(open(hdr_path, "rb").read().decode("ascii"))
w_from = WCS(h)
w_to = WCS(h, relax=True)
w_to.sip = None
w_to.wcs.ctype = ["RA---TAN", "DEC--TAN"]
w_to.wcs.set()
c = time.process_time()
t = time.perf_counter()
pm = calc_pixmap(w_from, w_to, shape=(size, size))
dt = time.perf_counter() - t
dc = time.process_time() - c
np.save(out, pm[::64, ::64])
print(json.dumps({"seconds": dt, "cpu_seconds": dc, "shape": list(pm.shape)}))
"""


def race_pixmap(data, size, peer, tmp, threads):
    hdr = os.path.join(data, SIP_HDR)
    child = os.path.join(tmp, "calc_pixmap_child.py")
    with open(child, "w") as f:
        f.write(CALC_PIXMAP_CHILD)
    out = os.path.join(tmp, "pm.npy")
    r = subprocess.run(["/usr/bin/time", "-v", sys.executable, child, hdr, str(size), out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"calc_pixmap child failed:\n{r.stdout}\n{r.stderr}")
    ref = json.loads(r.stdout.strip().splitlines()[-1])
    ref_rss = max_rss(r.stderr)
    ref_sub = np.load(out)  # pixmap[::64, ::64, :]
    dump = os.path.join(tmp, "pm_ours.f64")
    ours = run_peer(peer, ["pixmap", "--hdr", hdr, "--size", str(size), "--dump", dump],
                    threads=threads, timed=True)
    got = np.fromfile(dump, dtype="<f8").reshape(ref_sub.shape)
    diff = float(np.nanmax(np.abs(got - ref_sub)))
    mpix = size * size / 1e6
    a = mpix / ref["seconds"]
    o = mpix / ours["seconds"]
    # CPU-time rates: what each would do with its cores to itself (ours: threads x the rate
    # per CPU-second, i.e. assuming the rows scale perfectly over the threads).
    a_cpu = mpix / ref["cpu_seconds"]
    o_cpu = mpix / ours["cpu_seconds"] * threads
    print(f"(c) pixel map {size}x{size} TAN-SIP -> TAN, ours on {threads} threads")
    print(f"    wall: calc_pixmap {a:.2f} Mpix/s ({ref['seconds']:.2f} s), ours {o:.1f} Mpix/s "
          f"({ours['seconds']:.3f} s): ratio {o / a:.1f}x")
    print(f"    CPU : calc_pixmap {a_cpu:.2f} Mpix/CPU-s, ours {o_cpu / threads:.1f} Mpix/CPU-s "
          f"(x{threads} threads = {o_cpu:.1f} Mpix/s on idle cores): ratio {o_cpu / a_cpu:.1f}x")
    print(f"    peak RSS: calc_pixmap {ref_rss / 1024:.0f} MiB, ours {ours['max_rss_kb'] / 1024:.0f} MiB; "
          f"max |pixmap diff| {diff:.2e} px (every 64th pixel)")
    return {"calc_pixmap_mpix_s": a, "ours_mpix_s": o, "ratio": o / a, "calc_pixmap_cpu_mpix_s": a_cpu,
            "ours_cpu_mpix_s_x_threads": o_cpu, "cpu_ratio": o_cpu / a_cpu, "calc_pixmap_rss_kb": ref_rss,
            "ours_rss_kb": ours["max_rss_kb"], "max_diff_px": diff}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("ASTRO_TEST_DATA", "/work/shared/data/real"))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.path.dirname(__file__), "../../target"))
    ap.add_argument("--peer", default=os.path.join(target, "release", "peer_wcs"))
    ap.add_argument("--n", type=int, default=1000, help="grid points per axis for (a) and (b)")
    ap.add_argument("--size", type=int, default=4096, help="pixel map side for (c)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="our threads for (c)")
    args = ap.parse_args()
    import drizzle
    print(f"astropy {astropy.__version__}, drizzle {drizzle.__version__}, numpy {np.__version__}; "
          f"peer {args.peer}")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':34s} {'':>8s} {'--- wall ns/point ---':>24s} {'--- CPU ns/point ---':>24s}")
    print(f"{'race (single thread)':34s} {'points':>8s} {'astropy':>8s} {'ours':>8s} {'ratio':>7s} "
          f"{'astropy':>8s} {'ours':>8s} {'ratio':>7s}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sip_path = os.path.join(args.data, SIP_HDR)
        h = fits.Header.fromstring(open(sip_path, "rb").read().decode("ascii"))
        results["sip4"] = race_p2w("(a) TAN-SIP order 4 (siponly.hdr)", WCS(h), h["NAXIS1"], h["NAXIS2"],
                                   args.n, args.reps, args.peer, ["p2w", "--hdr", sip_path], tmp)
        acs_path = os.path.join(args.data, ACS_FITS)
        with fits.open(acs_path) as hdul:
            sci = hdul["SCI", 1].header
            w = WCS(sci, fobj=hdul)
            results["acs_full"] = race_p2w("(b) ACS/WFC SIP+NPOL+D2IM (SCI,1)", w, sci["NAXIS1"],
                                           sci["NAXIS2"], args.n, args.reps, args.peer,
                                           ["p2w", "--fits", acs_path, "--ext", "SCI,1"], tmp)
        results["pixmap"] = race_pixmap(args.data, args.size, args.peer, tmp, args.threads)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
