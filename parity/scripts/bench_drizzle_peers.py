#!/usr/bin/env python
"""Speed race of astro-drizzle against drizzle 2.2.0's C kernel on the same input.

    export CARGO_TARGET_DIR=/work/targets/drizzle
    cargo build --release -p astro-benches --bin peer_drizzle
    /work/main/.venv-oracle/bin/python parity/scripts/bench_drizzle_peers.py \
        [--peer $CARGO_TARGET_DIR/release/peer_drizzle] [--kernels square,turbo,point,lanczos3]
        [--blot poly5,lanczos3] [--n 4096] [--nout 4996] [--threads 1,2] \
        [--repeat 3] [--warm-memory 1500] [--ceiling-iters 150000000] [--scaling-pairs 20]
        [--copies 1]

Input: N x N float32 image sin(x/37) cos(y/23) 100 + 200, rotated by 7 degrees (+ centring
shift) onto an NOUT x NOUT output, pixfrac 0.8 (1.0 for lanczos), pscale_ratio 1.
drizzle side: the pixel map is a numpy rotation (computed before the timer: the C kernel
alone is timed, pixel map excluded; astropy's calc_pixmap would add ~20 s), then
Drizzle(kernel, out_shape).add_image(...). Our side (peer_drizzle) computes its pixel map
from two TAN WCS tile by tile INSIDE its timer. Each run is a separate process under
/usr/bin/time -v (peak RSS). Blot: drizzle.resample.blot_image of the drizzled square
output back onto the N x N grid vs our blot (pixel map included), interp poly5/lanczos3.
Prints one line per race with wall and CPU times (the machine is shared: under load the
CPU-time ratio is the fairer single-thread comparison; the 2-thread wall time against our
1-thread wall time shows the parallel gain), the speed-up and both peak RSS, plus the flux
ratios sum(out*wht)/sum(in) of both sides.

--repeat N runs every side N times, in interleaved rounds (drizzle, ours 1 thread, ours 2
threads, drizzle, ...), and reports each side's best wall time (with that run's CPU time),
then the ratios of wall times within each round (drizzle / ours, ours 1 thread / ours 2
threads; runs seconds apart, so slow drifts of the host's speed cancel): their median and
range over the rounds; the same over the rounds in which the host stole no CPU time from
this VM during either timed part (steal ticks of /proc/stat, 1/100 s, which both sides
report); and each round's times, CPU times and steal.
--warm-memory MB runs, right before every timed process (both sides alike), a throw-away
process that touches MB megabytes and exits. Why: this VM hands free memory back to its
host, and a process's first touch of such memory then costs ~3 s per GB instead of ~0.1 s
(measured with a C program touching 300 MB: 0.97-1.0 s cold, 0.03-0.2 s warm), at random.
The warm-up makes both sides find memory the host still backs; without it, timings of the
first add (which touches the whole output) swing by +-50 %.
--threads takes thread counts such as 1,2,2p: "2p" is two threads with worker k pinned to
CPU k (`peer_drizzle --pin 1`). This VM's kernel packs threads that were idle onto one
vCPU when they wake (it boots with sched_vcpu_pack), so the two workers of a fresh
process may take turns on one vCPU at the start of a run; pinned, they cannot.
--ceiling-iters N (0: off) runs, right after each of our timed runs, `peer_drizzle ceiling`
with the same thread count: N steps of register-only arithmetic split over the threads,
nothing shared, no memory traffic. Its one-thread / two-thread time ratio in a round is
what this VM gave a second thread at that moment (2.0 when the two workers run on two
idle cores; less when the guest packs them onto one vCPU, or the host shares a core or
steals time): the ceiling of any program's gain. The summary repeats our two-thread gain
over the rounds whose ceiling was >= 95 % of the thread count, and prints each round's
ceiling.
--copies 1 (0: off) also runs, in every round of a drizzle kernel, two one-thread copies of
our side at once, copy k pinned to CPU k (taskset), their timed parts started at the same
instant (`peer_drizzle --start-at`). Each copy does the whole one-thread job, pixel map,
memory traffic and fresh output pages included, so 2 x (our one-thread time of the round)
/ (the copies' mean time) is what this machine gives two simultaneous runs of this very
workload: the ceiling of a two-thread run of it, nearer the truth than `ceiling`, whose
arithmetic touches no memory. The summary (with --repeat > 1 and a first thread count of
1) sets our two-thread gain beside it round by round, and repeats both over the rounds
whose copies saw no steal: the host steals most when both vCPUs are busy.
--scaling-pairs N (0: off) then runs, per drizzle kernel, `peer_drizzle scaling-<kernel>`:
our timed part alternately on one thread and on the last --threads count, N pairs in one
process, each run followed by its ceiling. A diagnostic, not a figure: in one process
the one-thread runs meet memory the host has taken back far more often than the
two-thread ones, which overstates the gain. Prints every pair and the medians (all
pairs, pairs without steal, pairs whose ceiling was full).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

PY_SIDE = r'''
import json, sys, time
import numpy as np
from drizzle.resample import Drizzle, blot_image
def steal():
    with open("/proc/stat") as f:
        return int(next(l for l in f if l.startswith("cpu ")).split()[8])
kernel, n, nout, angle, pixfrac = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
y, x = np.indices((n, n), dtype=np.float64)
data = (np.sin(x / 37.0) * np.cos(y / 23.0) * 100.0 + 200.0).astype(np.float32)
a = np.deg2rad(angle)
c, s = np.cos(a), np.sin(a)
ci, co = (n - 1) / 2.0, (nout - 1) / 2.0
# output x points east-left like the WCS: same rotation sense as peer_drizzle's CD matrices
dx, dy = x - ci, y - ci
pm = np.dstack([co + c * dx - s * dy, co + s * dx + c * dy])
del x, y, dx, dy
if kernel.startswith("blot-"):
    d = Drizzle(kernel="square", out_shape=(nout, nout), fillval="0")
    d.add_image(data, exptime=1.0, pixmap=pm, pixfrac=pixfrac, pixel_scale_ratio=1.0)
    interp = {"lanczos3": "lan3", "lanczos5": "lan5"}.get(kernel[5:], kernel[5:])
    t, c0, s0 = time.perf_counter(), time.process_time(), steal()
    b = blot_image(d.out_img, pm, interp=interp, fillval=0.0)
    secs, cpu, st = time.perf_counter() - t, time.process_time() - c0, steal() - s0
    print(json.dumps({"seconds": secs, "cpu_seconds": cpu, "steal_ticks": st, "checksum": float(b.astype(np.float64).sum())}))
else:
    pf = 1.0 if kernel.startswith("lanczos") else pixfrac
    t, c0, s0 = time.perf_counter(), time.process_time(), steal()
    d = Drizzle(kernel=kernel, out_shape=(nout, nout), fillval="0")
    d.add_image(data, exptime=1.0, pixmap=pm, pixfrac=pf, pixel_scale_ratio=1.0)
    secs, cpu, st = time.perf_counter() - t, time.process_time() - c0, steal() - s0
    flux = float((d.out_img.astype(np.float64) * d.out_wht).sum() / data.astype(np.float64).sum())
    print(json.dumps({"seconds": secs, "cpu_seconds": cpu, "steal_ticks": st, "flux_ratio": flux}))
'''


def run(cmd):
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    return result(cmd, p.returncode, p.stdout, p.stderr)


def run_together(cmds):
    """`run` for commands started together; their results in order."""
    ps = [subprocess.Popen(["/usr/bin/time", "-v"] + c, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = [p.communicate() for p in ps]  # (the return codes are known only after it)
    return [result(c, p.returncode, *o) for c, p, o in zip(cmds, ps, outs)]


def result(cmd, returncode, stdout, stderr):
    """A finished run's last JSON line and peak RSS (MB, from /usr/bin/time -v)."""
    if returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1))
    line = [l for l in stdout.splitlines() if l.startswith("{")][-1]
    return json.loads(line), rss / 1024.0


def warm(mb):
    if mb > 0:
        subprocess.run([sys.executable, "-c",
                        f"import numpy as np; a = np.ones({mb} << 18, dtype=np.float32); print(a[::1024].sum())"],
                       capture_output=True, check=True)


def best(runs):
    """The run with the smallest wall time, and the largest peak RSS of all runs."""
    r = min(runs, key=lambda x: x[0]["seconds"])
    return r[0], max(x[1] for x in runs)


def main():
    ap = argparse.ArgumentParser()
    tgt = os.environ.get("CARGO_TARGET_DIR", "/work/targets/drizzle")
    ap.add_argument("--peer", default=os.path.join(tgt, "release", "peer_drizzle"))
    ap.add_argument("--kernels", default="square,turbo,point,lanczos3")
    ap.add_argument("--blot", default="poly5,lanczos3")
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--nout", type=int, default=4996)
    ap.add_argument("--angle", type=float, default=7.0)
    ap.add_argument("--pixfrac", type=float, default=0.8)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--warm-memory", type=int, default=0, metavar="MB")
    ap.add_argument("--ceiling-iters", type=int, default=150_000_000, metavar="N")
    ap.add_argument("--scaling-pairs", type=int, default=0, metavar="N")
    ap.add_argument("--copies", type=int, default=0, metavar="0|1")
    args = ap.parse_args()
    # Thread counts; "2p": two threads, each worker pinned to a CPU (`peer_drizzle --pin 1`).
    threads = [t.strip() for t in args.threads.split(",")]
    nthr = lambda t: int(t.rstrip("p"))
    pin = lambda t: ["--pin", "1"] if t.endswith("p") else []
    # Our side's command for `what` (a mode of peer_drizzle) on the race's input.
    side = lambda what, *extra: [args.peer, what, "--n", str(args.n), "--nout", str(args.nout),
                                 "--angle", str(args.angle), "--pixfrac", str(args.pixfrac),
                                 *extra]
    import drizzle
    print(f"drizzle {drizzle.__version__}, numpy {np.__version__}; N={args.n} NOUT={args.nout} "
          f"angle={args.angle} pixfrac={args.pixfrac}; repeat {args.repeat}, warm memory "
          f"{args.warm_memory} MB; load average {os.getloadavg()}")
    whats = [k for k in args.kernels.split(",") if k] + ["blot-" + b for b in args.blot.split(",") if b]
    for what in whats:
        refs, ours_runs, ceil_runs = [], {t: [] for t in threads}, {t: [] for t in threads}
        copies = []
        do_copies = args.copies > 0 and not what.startswith("blot-") and threads[0] == "1"
        for _ in range(args.repeat):
            warm(args.warm_memory)
            refs.append(run([sys.executable, "-c", PY_SIDE, what, str(args.n), str(args.nout),
                             str(args.angle), str(args.pixfrac)]))
            for t in threads:
                warm(args.warm_memory)
                ours_runs[t].append(run(side(what, "--threads", str(nthr(t)), *pin(t))))
                if args.ceiling_iters > 0:
                    ceil_runs[t].append(run([args.peer, "ceiling", "--threads", str(nthr(t)),
                                             "--iters", str(args.ceiling_iters)] + pin(t)))
            if do_copies:
                warm(args.warm_memory)
                # Both timed parts start 0.8 s from now (each process makes its input first,
                # ~0.15 s, up to 0.7 s on a busy host; not much later: the host takes back the
                # warmed memory).
                at = f"{time.time() + 0.8:.3f}"
                copies.append(run_together([
                    ["taskset", "-c", str(cpu)] + side(what, "--threads", "1", "--start-at", at)
                    for cpu in (0, 1)]))
        ref, ref_rss = best(refs)
        line = (f"{what:14} drizzle wall {ref['seconds']:6.2f} s cpu {ref['cpu_seconds']:6.2f} s "
                f"({args.n**2 / ref['cpu_seconds'] / 1e6:5.1f} Mpix/cpu-s, RSS {ref_rss:5.0f} MB)")
        for t in threads:
            ours, rss = best(ours_runs[t])
            line += (f" | ours {t} thr wall {ours['seconds']:6.2f} s cpu {ours['cpu_seconds']:6.2f} s "
                     f"({args.n**2 / ours['seconds'] / nthr(t) / 1e6:5.1f} Mpix/s/thread, "
                     f"x{ref['seconds'] / ours['seconds']:5.2f} wall, "
                     f"x{ref['cpu_seconds'] / max(ours['cpu_seconds'], 1e-3):5.2f} cpu, RSS {rss:5.0f} MB)")
        if "flux_ratio" in ref:
            line += f" | flux ratio drizzle {ref['flux_ratio']:.6f} ours {ours['flux_ratio']:.6f}"
        print(line, flush=True)
        if args.repeat > 1:
            # Ratios within each round (runs seconds apart), robust to the host's slow
            # drifts of speed: median [min - max] over the rounds.
            def spread(xs):
                xs = sorted(xs)
                return f"{statistics.median(xs):.2f} [{xs[0]:.2f} - {xs[-1]:.2f}]"
            wall = lambda r: r[0]["seconds"]
            t0, rounds = threads[0], range(len(refs))
            # Our gain in round k from the first thread count to `t`.
            ours_gain = lambda t, k: wall(ours_runs[t0][k]) / wall(ours_runs[t][k])
            pairs = f"{what:14} per-round ratios:"
            for t in threads:
                pairs += (f" drizzle / ours {t} thr "
                          f"{spread([wall(a) / wall(b) for a, b in zip(refs, ours_runs[t])])};")
            for t in threads[1:]:
                pairs += f" ours {t0} thr / {t} thr {spread([ours_gain(t, k) for k in rounds])};"
            print(pairs, flush=True)
            # Steal: ticks (1/100 s, all vCPUs) the hypervisor gave this VM's CPUs to
            # something else during a timed part (/proc/stat). The same ratios over the
            # rounds where no run of the pair lost a tick; and every round's figures.
            st = lambda r: r[0].get("steal_ticks", 0)
            quiet = f"{what:14} rounds without steal:"
            for t in threads:
                xs = [wall(a) / wall(b) for a, b in zip(refs, ours_runs[t]) if st(a) + st(b) == 0]
                quiet += f" drizzle / ours {t} thr {spread(xs) if xs else '-'} ({len(xs)});"
            # (Neither of our runs of round k, first thread count and `t`, lost a tick.)
            calm_ours = lambda t, k: st(ours_runs[t0][k]) + st(ours_runs[t][k]) == 0
            for t in threads[1:]:
                xs = [ours_gain(t, k) for k in rounds if calm_ours(t, k)]
                quiet += (f" ours {t0} thr / {t} thr {spread(xs) if xs else '-'} "
                          f"({len(xs)} of {len(refs)});")
            print(quiet, flush=True)
            if args.ceiling_iters > 0 and len(threads) > 1:
                # The machine's own gain from more threads in each round (`ceiling`), and
                # ours over the rounds in which it gave (nearly) whole cores.
                ceil = lambda t, k: wall(ceil_runs[t0][k]) / wall(ceil_runs[t][k])
                line = f"{what:14} machine ceiling:"
                for t in threads[1:]:
                    cs = [ceil(t, k) for k in rounds]
                    full = [ours_gain(t, k) for k in rounds
                            if ceil(t, k) >= 0.95 * nthr(t) / nthr(t0)]
                    line += (f" {t0} thr / {t} thr {spread(cs)}; ours {t0} thr / {t} thr over the "
                             f"rounds with ceiling >= {0.95 * nthr(t) / nthr(t0):.2f}: "
                             f"{spread(full) if full else '-'} ({len(full)} of {len(refs)});")
                print(line, flush=True)
            if copies:
                # Two one-thread copies at once against our one-thread run of the round.
                mean_copy = lambda k: statistics.mean(wall(c) for c in copies[k])
                gain = [2 * wall(ours_runs[t0][k]) / mean_copy(k) for k in rounds]
                line = f"{what:14} two copies at once: gain 2 x 1 thr / copy {spread(gain)};"
                for t in threads[1:]:
                    line += (f" ours {t0} thr / {t} thr {spread([ours_gain(t, k) for k in rounds])}, "
                             f"that / the copies' gain "
                             f"{spread([ours_gain(t, k) / gain[k] for k in rounds])};")
                # The host steals most when both vCPUs are busy: the same over the rounds in
                # which neither copy, nor the runs compared, lost a tick.
                calm = [k for k in rounds if all(st(c) == 0 for c in copies[k])]
                line += (f" over the {len(calm)} rounds whose copies saw no steal: copies' gain "
                         f"{spread([gain[k] for k in calm]) if calm else '-'}")
                for t in threads[1:]:
                    xs = [ours_gain(t, k) for k in calm if calm_ours(t, k)]
                    line += f", ours {t0} thr / {t} thr {spread(xs) if xs else '-'} ({len(xs)})"
                line += ";"
                late = max(c[0].get("start_late_s", 0.0) for cs in copies for c in cs)
                print(line + f" latest copy start {late:.3f} s late", flush=True)
            for k in range(len(refs)):
                row = f"{what:14}   round {k + 1}: drizzle {wall(refs[k]):.3f} s (steal {st(refs[k])})"
                for t in threads:
                    r = ours_runs[t][k]
                    row += f" | {t} thr {wall(r):.3f} s cpu {r[0]['cpu_seconds']:.2f} (steal {st(r)})"
                if args.ceiling_iters > 0:
                    row += " | ceiling " + " ".join(f"{t} thr {wall(ceil_runs[t][k]):.3f} s"
                                                    for t in threads)
                if copies:
                    row += " | copies " + " ".join(f"{wall(c):.3f} s (steal {st(c)})"
                                                   for c in copies[k])
                print(row, flush=True)
        if args.scaling_pairs > 0 and len(threads) > 1 and not what.startswith("blot-"):
            warm(args.warm_memory)
            p = subprocess.run(side("scaling-" + what, "--threads", str(nthr(threads[-1])),
                                    "--adds", str(args.scaling_pairs), "--iters",
                                    str(args.ceiling_iters or 150_000_000), *pin(threads[-1])),
                               capture_output=True, text=True, check=True)
            for l in p.stdout.splitlines():
                print(f"{what:14} scaling {l}", flush=True)


if __name__ == "__main__":
    main()
