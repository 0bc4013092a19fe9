#!/usr/bin/env python
"""Speed race: drizzle 2.2.0 blot_image vs astro-interp (Interpolator::eval_pixmap_into).

    cargo build --release -p astro-benches --bin peer_interp   (CARGO_TARGET_DIR respected)
    /work/main/.venv-oracle/bin/python parity/scripts/bench_interp_peers.py [--size 4096]

Input: a SIZE x SIZE float32 image (smooth background + Gaussian stars + noise, fixed seed)
and a pixel map of the same shape rotating by 7 degrees about the centre plus a (2.3, -1.7)
shift (the blot coordinate convention). drizzle is called single-threaded (its C loop is
serial); ours with RAYON_NUM_THREADS=1 and 2. Best of 3 runs each; throughput = output
pixels / s. Also prints max |ours - drizzle| / max|drizzle| over in-bounds pixels.

What is timed, on both sides: interpolation of the image at the precomputed full-size
pixel map (float64, (N, N, 2)) into a preallocated, already-touched float32 output
(drizzle: `blot_image(..., out_img=out)`; ours: `Interpolator::eval_pixmap_into`). Not
timed on either side: computing the pixel map (WCS evaluation) and allocating the output.
Ours also excludes building the Interpolator (printed as "build s"; ~0 for these kernels).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import drizzle
from drizzle.resample import blot_image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_inputs(n, seed=1):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    img = 100.0 + 10.0 * np.sin(x / 97.0) * np.cos(y / 131.0)
    for _ in range(400):
        cx, cy = rng.uniform(0, n, 2)
        f = rng.uniform(1e2, 1e4)
        r = 12
        x0, x1 = int(max(cx - r, 0)), int(min(cx + r, n))
        y0, y1 = int(max(cy - r, 0)), int(min(cy + r, n))
        img[y0:y1, x0:x1] += f * np.exp(
            -((x[y0:y1, x0:x1] - cx) ** 2 + (y[y0:y1, x0:x1] - cy) ** 2) / (2 * 1.5**2)
        )
    img += rng.normal(0, 3, img.shape).astype(np.float32)
    img = img.astype(np.float32)
    j, i = np.indices((n, n), dtype=np.float64)
    c, s = np.cos(np.radians(7.0)), np.sin(np.radians(7.0))
    xc = yc = (n - 1) / 2.0
    pm = np.dstack(
        [xc + c * (i - xc) - s * (j - yc) + 2.3, yc + s * (i - xc) + c * (j - yc) - 1.7]
    )
    # drizzle casts pixmap coordinates to float32; give both sides the same coordinates.
    return img, pm.astype(np.float32).astype(np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--interps", default="linear,poly5,lanczos3")
    args = ap.parse_args()
    n = args.size
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.path.join(target, "release", "peer_interp")
    if not os.path.exists(exe):
        sys.exit(f"build first: cargo build --release -p astro-benches --bin peer_interp ({exe})")

    img, pm = make_inputs(n)
    inside = (pm[..., 0] >= 0) & (pm[..., 0] < n) & (pm[..., 1] >= 0) & (pm[..., 1] < n)
    print(f"drizzle {drizzle.__version__}, image {n}x{n}, rotated pixmap, "
          f"{inside.mean() * 100:.1f}% in bounds")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        fimg = os.path.join(tmp, "img.f32")
        fpm = os.path.join(tmp, "pm.f64")
        img.astype("<f4").tofile(fimg)
        pm.astype("<f8").tofile(fpm)
        for interp in args.interps.split(","):
            dname = {"lanczos3": "lan3", "lanczos5": "lan5"}.get(interp, interp)
            best = np.inf
            # A preallocated, touched output, as ours gets: allocation is timed on neither side.
            ref = np.zeros((n, n), dtype=np.float32)
            c0 = time.process_time()
            for _ in range(args.reps):
                t = time.perf_counter()
                blot_image(img, pm, out_img=ref, fillval=0.0, iscale=1.0, interp=dname)
                best = min(best, time.perf_counter() - t)
            d_cpu = (time.process_time() - c0) / args.reps
            d_mpix = n * n / best / 1e6
            d_mpix_cpu = n * n / d_cpu / 1e6
            res = {}
            for threads in (1, 2):
                env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
                dump = os.path.join(tmp, "out.f32")
                cmd = [exe, "--image", fimg, "--pixmap", fpm, "--shape", f"{n},{n}",
                       "--out-shape", f"{n},{n}", "--interp", interp, "--fillval", "0",
                       "--reps", str(args.reps)]
                if threads == 1:
                    cmd += ["--dump", dump]
                out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
                res[threads] = json.loads(out.stdout.strip().splitlines()[-1])
                if threads == 1:
                    ours = np.fromfile(dump, "<f4").reshape(n, n)
                    # drizzle's poly3/poly5 rows are wrong within 3 px of the top edge
                    # (see gen_interp_fixtures.py); compare away from it.
                    m = inside & (pm[..., 1] < n - 3)
                    rel = np.max(np.abs(ours[m] - ref[m])) / np.max(np.abs(ref[m]))
            r1, r2 = res[1]["mpix_per_s"], res[2]["mpix_per_s"]
            c1 = res[1]["mpix_per_cpu_s"]
            rows.append((interp, d_mpix, r1, r2, rel, res[1]["build_seconds"], d_mpix_cpu, c1))
    print("wall clock (best of reps):")
    print(f"{'interp':10s} {'drizzle':>10s} {'ours 1T':>10s} {'ours 2T':>10s} "
          f"{'1T/driz':>8s} {'2T/driz':>8s} {'2T/1T':>6s} {'max rel diff':>13s} {'build s':>8s}")
    for interp, d, r1, r2, rel, b, _, _ in rows:
        print(f"{interp:10s} {d:10.1f} {r1:10.1f} {r2:10.1f} {r1 / d:8.2f} {r2 / d:8.2f} "
              f"{r2 / r1:6.2f} {rel:13.2e} {b:8.3f}")
    print("per CPU-second (process CPU time, mean of reps; robust to a shared machine):")
    print(f"{'interp':10s} {'drizzle':>10s} {'ours 1T':>10s} {'1T/driz':>8s}")
    for interp, _, _, _, _, _, dc, c1 in rows:
        print(f"{interp:10s} {dc:10.1f} {c1:10.1f} {c1 / dc:8.2f}")
    print("(Mpix/s = output pixels per second; drizzle single-threaded)")


if __name__ == "__main__":
    main()
