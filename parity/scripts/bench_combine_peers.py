#!/usr/bin/env python
"""Speed and memory race of astro-combine's streamed stacks against numpy, in one run.

    export CARGO_TARGET_DIR=/work/targets/combine
    cargo build --release -p astro-benches --bin peer_combine
    /work/main/.venv-oracle/bin/python parity/scripts/bench_combine_peers.py \
        [--peer $CARGO_TARGET_DIR/release/peer_combine] [--n 10] [--size 4096] \
        [--budget-mib 256] [--threads 2] [--tmp /tmp/combine_bench]

1. Writes N float32 SIZE x SIZE FITS images to --tmp (not committed): sky 100 e- with
   Poisson-like noise, a few hundred stars at fixed positions, and ~2000 cosmic-ray hits per
   image at random positions.
2. Runs ``peer_combine`` (median, then minmed) with a total budget of --budget-mib, each in
   its own process under ``/usr/bin/time -v``: wall time, peak RSS, and the rows read per
   input (each input must be read exactly once).
3. numpy: loads the cube into memory (time reported separately) and times
   ``numpy.nanmedian(cube, axis=0)`` alone; peak RSS of that process via
   ``/usr/bin/time -v`` as well.
4. Checks that our median equals numpy's nanmedian pixel for pixel (numpy takes the mean of
   the two middle values of an even count in float32, we in float64 rounded to float32, so
   a last-bit difference is possible; the number of differing pixels is printed).
Prints one summary table.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from astropy.io import fits


def make_inputs(tmp: Path, n: int, size: int):
    tmp.mkdir(parents=True, exist_ok=True)
    paths = [tmp / f"in_{k:02d}.fits" for k in range(n)]
    if all(p.exists() and p.stat().st_size >= size * size * 4 for p in paths):
        return paths
    rng = np.random.default_rng(42)
    ys, xs = rng.integers(0, size, 300), rng.integers(0, size, 300)
    stars = np.zeros((size, size), np.float32)
    stars[ys, xs] = rng.uniform(1e3, 5e4, 300).astype(np.float32)
    for k, p in enumerate(paths):
        img = (100.0 + 10.0 * rng.standard_normal((size, size), dtype=np.float32)).astype(np.float32)
        img += stars
        cy, cx = rng.integers(0, size, 2000), rng.integers(0, size, 2000)
        img[cy, cx] += rng.uniform(200, 5000, 2000).astype(np.float32)
        fits.PrimaryHDU(img).writeto(p, overwrite=True)
        print(f"wrote {p}", file=sys.stderr)
    return paths


def timed(cmd):
    """Run under /usr/bin/time -v; return (stdout, wall seconds, max RSS MiB, CPU seconds)."""
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{r.stdout}\n{r.stderr}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", r.stderr).group(1))
              for k in ("User", "System"))
    return r.stdout, wall, int(m.group(1)) / 1024.0, cpu


NUMPY_CHILD = r"""
import sys, time, json, numpy as np
from astropy.io import fits
paths = sys.argv[1].split(",")
t0 = time.perf_counter()
cube = np.stack([fits.getdata(p, memmap=False).astype(np.float32) for p in paths])
t1 = time.perf_counter()
c1 = time.process_time()
med = np.nanmedian(cube, axis=0)
t2 = time.perf_counter()
c2 = time.process_time()
np.save(sys.argv[2], med)
print(json.dumps({"load": t1 - t0, "nanmedian": t2 - t1, "nanmedian_cpu": c2 - c1}))
"""


def main():
    ap = argparse.ArgumentParser()
    tgt = os.environ.get("CARGO_TARGET_DIR", "/work/targets/combine")
    ap.add_argument("--peer", default=f"{tgt}/release/peer_combine")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--budget-mib", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tmp", default="/tmp/combine_bench")
    args = ap.parse_args()
    tmp = Path(args.tmp)
    paths = make_inputs(tmp, args.n, args.size)
    budget = args.budget_mib << 20
    rows = []
    ours = {}
    for ty in ["median", "minmed"]:
        out = tmp / f"ours_{ty}.fits"
        stdout, wall, rss, cpu = timed([args.peer, "--type", ty, "--budget", str(budget),
                                   "--threads", str(args.threads), "--exptime", "100",
                                   "--readnoise", "5", "--sky", "100", "--out", str(out)]
                                  + [str(p) for p in paths])
        info = json.loads(stdout.strip().splitlines()[-1])
        once = all(r == args.size for r in info["rows_read"])
        ours[ty] = (info["seconds"], wall, rss, once, out, cpu)
        rows.append((f"astro-combine {ty}", info["seconds"], cpu, rss,
                     f"each input read once: {once}; wall/CPU include reading the FITS files"))
    stdout, wall, rss, _ = timed([sys.executable, "-c", NUMPY_CHILD, ",".join(map(str, paths)),
                               str(tmp / "numpy_median.npy")])
    npinfo = json.loads(stdout.strip().splitlines()[-1])
    rows.append(("numpy nanmedian (compute only)", npinfo["nanmedian"], npinfo["nanmedian_cpu"], rss,
                 f"+ {npinfo['load']:.2f} s to load the cube"))
    ref = np.load(tmp / "numpy_median.npy")
    mine = fits.getdata(ours["median"][4], ext=1)
    diff = float(np.max(np.abs(mine.astype(np.float64) - ref.astype(np.float64))))
    nd = int(np.count_nonzero(mine != ref))
    in_mib = args.n * args.size * args.size * 4 / 2**20
    print(f"\n{args.n} x {args.size}^2 float32 ({in_mib:.0f} MiB of inputs), budget {args.budget_mib} MiB, "
          f"{args.threads} threads")
    print(f"{'run':34s} {'wall s':>8s} {'CPU s':>8s} {'peak RSS MiB':>13s}  note")
    for name, secs, cpu_, rss_, note in rows:
        print(f"{name:34s} {secs:8.2f} {cpu_:8.2f} {rss_:13.0f}  {note}")
    for ty in ["median", "minmed"]:
        print(f"speed-up of our {ty} (incl. reading the FITS files) over numpy nanmedian compute: "
              f"wall {npinfo['nanmedian'] / ours[ty][0]:.1f}x, CPU {npinfo['nanmedian_cpu'] / ours[ty][5]:.1f}x")
    print(f"(uptime load average during the run: {os.getloadavg()})")
    print(f"our median vs numpy nanmedian: max |diff| = {diff:.3g}, pixels differing: {nd}")


if __name__ == "__main__":
    main()
