#!/usr/bin/env python
"""End-to-end race and parity check: AstroDrizzle (drizzlepac 3.11) against `astro drizzle`.

    export CARGO_TARGET_DIR=/work/targets/peer
    cargo build --release -p astro-pipeline
    /work/main/.venv-oracle/bin/python parity/scripts/bench_pipeline_peers.py \
        --astro $CARGO_TARGET_DIR/release/astro [--n 3] [--num-cores 1] [--keep DIR] \
        [--repeat 1] [--param name=value ...] [--self-test]

1. Inputs: parity/scripts/make_dithers.py writes N dithered ACS/HRC exposures built from the
   real j8bt06nyq exposure (SIP WCS, shifted CRVAL, independent noise and cosmic rays) into
   DIR/inputs (a temporary directory unless --keep). Both tools get their own copy (both
   write MDRIZSKY and the CR flags, DQ bit 4096, into their inputs).
2. Runs, each a separate process under /usr/bin/time -v (wall time, CPU time, peak RSS),
   with the same parameters (AstroDrizzle's names):
       in_memory=True, num_cores=N, build=False, clean=False, context=True, preserve=False,
       everything else at its default (plus any --param name=value, given to both).
   AstroDrizzle: `astrodrizzle.AstroDrizzle(inputs, output="adz", **params)` in DIR/adz.
   astro: `astro drizzle --input a,b,c --output astro --in_memory true ...` in DIR/astro,
   plus `--update_inputs true` (our opt-in for what AstroDrizzle always does: MDRIZSKY and
   CR flags written into the inputs, which is where both CR masks are read from) and
   `--previews false --progress false` when the CLI has those flags (AstroDrizzle makes no
   previews). --self-test replaces `astro` by a second AstroDrizzle run (in_memory=False,
   CR masks read from its `_crmask` files) to check this script itself.
3. Comparison of the final products (`<output>_drz_sci/_wht/_ctx.fits`, or the SCI/WHT/CTX
   extensions of `<output>_drz.fits`):
   * frame: shape, CRPIX, CRVAL, CD, and the largest sky offset between the two WCSs over
     the output grid, in output pixels;
   * SCI: median |Δ| / σ_noise over pixels where both WHT > 0 (target ≤ 0.05), with
     σ_noise = the noise of one final sky pixel in e-/s predicted from the inputs:
         σ_i  = median of ERR_i over the DQ-good pixels of exposure i at or below its
                median SCI (the sky-dominated half; electrons),
         σ_noise = sqrt(Σ_i (σ_i / EXPTIME_i)²) / N   (the mean of N exposures, in cps);
     also the mean Δ / σ_noise (bias), 99th percentile and max |Δ|;
   * WHT: relative difference |W_astro − W_ad| / W_ad where either > 0 (target 1e-4),
     over all pixels and over the pixels away from any CR-mask disagreement (output pixels
     reached by an input pixel that one tool flags as CR and the other does not, grown by
     1 pixel: a CR masked by one tool only changes WHT there by construction);
   * CTX: number of differing pixels, in total and away from CR-mask disagreements
     (target 0);
   * CR masks (input DQ bit 4096 after the run): |A ∩ B| / |A ∪ B| per exposure and in
     total (target ≥ 0.95), and each tool's recall of the planted CRs (information);
   * sky values (MDRIZSKY) per exposure;
   * speed: process wall time ratio AstroDrizzle / astro (target ≥ 20) and peak RSS ratio
     astro / AstroDrizzle (target ≤ 0.5); the AstroDrizzle() call alone and CPU times are
     printed too (the machine may be shared: `uptime` is printed before the race).
Prints a table and exits 1 if any target fails (2 on a usage/run error).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

AD_SIDE = r'''
import json, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
from drizzlepac import astrodrizzle
import drizzlepac
t1 = time.perf_counter()
spec = json.loads(sys.argv[1])
astrodrizzle.AstroDrizzle(spec["inputs"], output=spec["output"], **spec["params"])
t2 = time.perf_counter()
print(json.dumps({"import_seconds": t1 - t0, "call_seconds": t2 - t1,
                  "version": drizzlepac.__version__}))
'''

TARGETS = {
    "sci_median_abs_over_sigma": 0.05,
    "wht_rel": 1e-4,
    "cr_agreement": 0.95,
    "speedup": 20.0,
    "rss_ratio": 0.5,
}


def timed(cmd, cwd, log_path):
    """Run cmd under /usr/bin/time -v; returns (wall s, user+sys s, peak RSS MiB, stdout)."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=cwd, capture_output=True, text=True)
    wall_py = time.perf_counter() - t
    with open(log_path, "w") as f:
        f.write("$ " + " ".join(cmd) + "\n--- stdout\n" + p.stdout + "\n--- stderr\n" + p.stderr)
    if p.returncode != 0:
        tail = "\n".join(p.stderr.splitlines()[-40:])
        raise RuntimeError(f"failed ({p.returncode}): {' '.join(cmd)}\n{tail}\n(full log: {log_path})")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024.0
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", p.stderr).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", p.stderr).group(1))
    return {"wall": wall_py, "cpu": user + sys_, "rss_mib": rss, "stdout": p.stdout}


def cli_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


def copy_inputs(src_dir, roots, dst):
    os.makedirs(dst, exist_ok=True)
    names = []
    for r in roots:
        name = f"{r}_flt.fits"
        shutil.copyfile(os.path.join(src_dir, name), os.path.join(dst, name))
        os.chmod(os.path.join(dst, name), 0o644)
        names.append(name)
    return names


def astro_flags(astro):
    """The long flags `astro drizzle --help` lists (empty set if --help fails)."""
    try:
        p = subprocess.run([astro, "drizzle", "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return set(re.findall(r"--([A-Za-z0-9_\-]+)", p.stdout + p.stderr))


def run_ad(workdir, inputs, output, params, tag):
    spec = {"inputs": inputs, "output": output, "params": params}
    r = timed([sys.executable, "-c", AD_SIDE, json.dumps(spec)], workdir,
              os.path.join(workdir, f"{tag}.time.log"))
    line = [ln for ln in r["stdout"].splitlines() if ln.startswith("{")][-1]
    r.update(json.loads(line))
    return r


def run_astro(astro, workdir, inputs, output, params, flags):
    cmd = [astro, "drizzle", "--input", ",".join(inputs), "--output", output]
    extra = {"update_inputs": True, "previews": False, "progress": False}
    for k, v in list(params.items()) + [(k, v) for k, v in extra.items() if k not in params]:
        if flags and k not in flags:
            if k in extra:
                continue
            raise RuntimeError(f"`astro drizzle --help` has no --{k}")
        cmd += [f"--{k}", cli_value(v)]
    r = timed(cmd, workdir, os.path.join(workdir, "astro.time.log"))
    r["call_seconds"] = None
    return r


def load_products(workdir, output):
    """(sci, wht, ctx, header of SCI) of the final products."""
    from astropy.io import fits

    def first_image(path):
        with fits.open(path) as f:
            for h in f:
                if h.data is not None and getattr(h.data, "ndim", 0) >= 2:
                    return np.asarray(h.data), h.header.copy()
        raise RuntimeError(f"{path}: no image HDU")

    mef = os.path.join(workdir, f"{output}_drz.fits")
    if os.path.exists(mef):
        with fits.open(mef) as f:
            sci, hdr = np.asarray(f["SCI"].data), f["SCI"].header.copy()
            wht = np.asarray(f["WHT"].data)
            ctx = np.asarray(f["CTX"].data) if "CTX" in f else None
        return sci, wht, ctx, hdr
    sci, hdr = first_image(os.path.join(workdir, f"{output}_drz_sci.fits"))
    wht, _ = first_image(os.path.join(workdir, f"{output}_drz_wht.fits"))
    cpath = os.path.join(workdir, f"{output}_drz_ctx.fits")
    ctx = first_image(cpath)[0] if os.path.exists(cpath) else None
    return sci, wht, ctx, hdr


def cr_masks(workdir, roots, prefer_files):
    """True = CR, per exposure: `_sci1_crmask.fits` (0 = CR) if asked and present, else DQ & 4096."""
    from astropy.io import fits
    out = []
    for r in roots:
        path = os.path.join(workdir, f"{r}_sci1_crmask.fits")
        if prefer_files and os.path.exists(path):
            out.append(fits.getdata(path) == 0)
        else:
            dq = fits.getdata(os.path.join(workdir, f"{r}_flt.fits"), ("DQ", 1))
            out.append((dq.astype(np.int64) & 4096) != 0)
    return out


def sky_values(workdir, roots):
    from astropy.io import fits
    return [fits.getheader(os.path.join(workdir, f"{r}_flt.fits"), ("SCI", 1)).get("MDRIZSKY")
            for r in roots]


def sigma_noise(input_dir, roots):
    """Predicted noise of one final sky pixel (e-/s); see the module docstring."""
    from astropy.io import fits
    terms = []
    for r in roots:
        with fits.open(os.path.join(input_dir, f"{r}_flt.fits")) as f:
            sci, err, dq = f["SCI", 1].data, f["ERR", 1].data, f["DQ", 1].data
            t = float(f[0].header["EXPTIME"])
        good = dq == 0
        low = good & (sci <= np.median(sci[good]))
        terms.append((float(np.median(err[low])) / t) ** 2)
    return float(np.sqrt(np.sum(terms)) / len(roots)), [float(np.sqrt(x)) for x in terms]


def disagreement_footprint(input_dir, roots, masks_a, masks_b, out_hdr, shape):
    """Output pixels reached by input pixels whose CR flags differ (grown by 1 pixel)."""
    from astropy.io import fits
    from astropy.wcs import WCS
    from scipy import ndimage
    wout = WCS(out_hdr)
    hit = np.zeros(shape, bool)
    for r, a, b in zip(roots, masks_a, masks_b):
        yy, xx = np.nonzero(a != b)
        if len(yy) == 0:
            continue
        win = WCS(fits.getheader(os.path.join(input_dir, f"{r}_flt.fits"), ("SCI", 1)))
        # the 4 corners of each disagreeing input pixel
        for ox, oy in ((-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)):
            world = win.all_pix2world(np.column_stack([xx + ox, yy + oy]).astype(float), 0)
            p = wout.all_world2pix(world, 0)
            ix, iy = np.rint(p[:, 0]).astype(int), np.rint(p[:, 1]).astype(int)
            ok = (ix >= 0) & (ix < shape[1]) & (iy >= 0) & (iy < shape[0])
            hit[iy[ok], ix[ok]] = True
    return ndimage.binary_dilation(hit, iterations=2)


def frame_offset(h_a, h_b, shape):
    """Largest distance (output pixels) between where the two WCSs put the same sky point."""
    from astropy.wcs import WCS
    wa, wb = WCS(h_a), WCS(h_b)
    ny, nx = shape
    g = np.array([[x, y] for x in np.linspace(0, nx - 1, 9) for y in np.linspace(0, ny - 1, 9)])
    q = wb.all_world2pix(wa.all_pix2world(g, 0), 0)
    return float(np.max(np.hypot(*(q - g).T)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--astro", help="path of the `astro` binary")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--num-cores", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one, deleted)")
    ap.add_argument("--inputs", help="reuse dithers already made in this directory")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool; the fastest counts")
    ap.add_argument("--param", action="append", default=[], help="name=value given to both tools")
    ap.add_argument("--self-test", action="store_true",
                    help="race AstroDrizzle against itself (in_memory=False) instead of astro")
    args = ap.parse_args()
    if not args.astro and not args.self_test:
        ap.error("--astro PATH (or --self-test) is required")

    import warnings

    import astropy
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyWarning

    warnings.simplefilter("ignore", AstropyWarning)

    work = args.keep or tempfile.mkdtemp(prefix="bench_pipeline_")
    os.makedirs(work, exist_ok=True)
    try:
        return race(args, work, fits, astropy)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def race(args, work, fits, astropy):
    input_dir = args.inputs or os.path.join(work, "inputs")
    if not args.inputs:
        subprocess.run([sys.executable, os.path.join(HERE, "make_dithers.py"), "--out", input_dir,
                        "--n", str(args.n), "--seed", str(args.seed)], check=True)
    with open(os.path.join(input_dir, "dithers.json")) as f:
        roots = [e["root"] for e in json.load(f)["files"]][: args.n]

    params = {"in_memory": True, "num_cores": args.num_cores, "build": False, "clean": False,
              "context": True, "preserve": False}
    for kv in args.param:
        k, _, v = kv.partition("=")
        low = v.lower()
        params[k] = True if low == "true" else False if low == "false" else (
            int(v) if re.fullmatch(r"-?\d+", v) else float(v) if re.fullmatch(r"-?[\d.]+(e-?\d+)?", low) else v)
    params_ad = dict(params, runfile="adz.log")
    params_b = dict(params, runfile="astro.log")

    print(f"python {sys.version.split()[0]}, astropy {astropy.__version__}, numpy {np.__version__}")
    print("parameters (both tools):", json.dumps(params))
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())

    best_ad, best_b = None, None
    flags = set() if args.self_test else astro_flags(args.astro)
    if not args.self_test and not flags:
        print("warning: `astro drizzle --help` listed no flags; passing them anyway")
    for rep in range(args.repeat):
        ad_dir, b_dir = os.path.join(work, "adz"), os.path.join(work, "astro")
        for d in (ad_dir, b_dir):
            shutil.rmtree(d, ignore_errors=True)
        ad_inputs = copy_inputs(input_dir, roots, ad_dir)
        b_inputs = copy_inputs(input_dir, roots, b_dir)
        r_ad = run_ad(ad_dir, ad_inputs, "adz", params_ad, "adz")
        if args.self_test:
            r_b = run_ad(b_dir, b_inputs, "astro", dict(params_b, in_memory=False), "astro")
        else:
            r_b = run_astro(args.astro, b_dir, b_inputs, "astro", params_b, flags)
        print(f"run {rep + 1}: AstroDrizzle {r_ad['wall']:.2f} s wall / {r_ad['rss_mib']:.0f} MiB; "
              f"{'AstroDrizzle (self-test)' if args.self_test else 'astro'} {r_b['wall']:.2f} s wall / "
              f"{r_b['rss_mib']:.0f} MiB")
        best_ad = r_ad if best_ad is None or r_ad["wall"] < best_ad["wall"] else best_ad
        best_b = r_b if best_b is None or r_b["wall"] < best_b["wall"] else best_b
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())

    # ---------------- comparison ----------------
    sa, wa, ca, ha = load_products(ad_dir, "adz")
    sb, wb, cb, hb = load_products(b_dir, "astro")
    rows, fails = [], []

    def row(name, value, target=None, ok=None, note=""):
        rows.append((name, value, target, ok, note))
        if ok is False:
            fails.append(name)

    same_shape = sa.shape == sb.shape
    row("output shape (ny, nx)", f"AD {sa.shape} / astro {sb.shape}", "equal", same_shape)
    for k in ("CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2", "CD1_1", "CD1_2", "CD2_1", "CD2_2"):
        va, vb = ha.get(k), hb.get(k)
        d = None if va is None or vb is None else abs(float(va) - float(vb))
        row(f"  {k}", f"{va!r} / {vb!r}", "", None, "" if d is None else f"|Δ| = {d:.3g}")
    if not same_shape:
        print_table(rows, best_ad, best_b)
        print("FAIL: the output frames differ; nothing else compared")
        return 1
    off = frame_offset(ha, hb, sa.shape)
    row("WCS offset over the grid (px)", f"{off:.3g}", "< 1e-3", off < 1e-3)

    # CR masks
    ma = cr_masks(ad_dir, roots, prefer_files=False)
    mb = cr_masks(b_dir, roots, prefer_files=args.self_test)
    truth = [fits.getdata(os.path.join(input_dir, f"{r}_crtruth.fits")).astype(bool) for r in roots]
    tot_i = tot_u = 0
    for r, a, b, t in zip(roots, ma, mb, truth):
        inter, union = int((a & b).sum()), int((a | b).sum())
        tot_i, tot_u = tot_i + inter, tot_u + union
        row(f"CR mask {r}", f"AD {int(a.sum())} / astro {int(b.sum())} px, agree {inter / max(union, 1):.4f}",
            "", None, f"planted/real CR recall AD {(a & t).sum() / max(t.sum(), 1):.3f}, "
                      f"astro {(b & t).sum() / max(t.sum(), 1):.3f}")
    agree = tot_i / max(tot_u, 1)
    row("CR masks: |A∩B|/|A∪B| (all)", f"{agree:.4f}", f">= {TARGETS['cr_agreement']}",
        agree >= TARGETS["cr_agreement"])

    # sky
    ska, skb = sky_values(ad_dir, roots), sky_values(b_dir, roots)
    row("MDRIZSKY (e-)", ", ".join(f"{a}/{b}" for a, b in zip(ska, skb)), "", None, "AD / astro")

    # SCI
    sig, per = sigma_noise(input_dir, roots)
    both = (wa > 0) & (wb > 0) & np.isfinite(sa) & np.isfinite(sb)
    d = (sb.astype(np.float64) - sa.astype(np.float64))[both]
    med = float(np.median(np.abs(d)) / sig)
    row("σ_noise (e-/s, final sky pixel)", f"{sig:.5g}", "", None,
        "per-exposure sky ERR/EXPTIME: " + ", ".join(f"{p:.4g}" for p in per))
    row("SCI median |Δ| / σ_noise", f"{med:.4g}", f"<= {TARGETS['sci_median_abs_over_sigma']}",
        med <= TARGETS["sci_median_abs_over_sigma"], f"{int(both.sum())} px with both WHT > 0")
    row("SCI mean Δ / σ_noise (bias)", f"{float(d.mean() / sig):.4g}")
    row("SCI p99 |Δ| / σ_noise", f"{float(np.percentile(np.abs(d), 99) / sig):.4g}")
    row("SCI max |Δ| (e-/s)", f"{float(np.abs(d).max()):.4g}", "", None,
        f"AD SCI range {np.nanmin(sa[both]):.4g}..{np.nanmax(sa[both]):.4g}")
    row("SCI px with |Δ| > σ_noise", f"{int((np.abs(d) > sig).sum())}")

    # WHT and CTX, overall and away from CR-mask disagreements
    far = ~disagreement_footprint(input_dir, roots, ma, mb, ha, sa.shape)
    anyw = (wa > 0) | (wb > 0)
    rel = np.abs(wb.astype(np.float64) - wa) / np.maximum(np.abs(wa.astype(np.float64)), 1e-30)
    rel = np.where(anyw, rel, 0.0)
    row("WHT max rel Δ (all px)", f"{float(rel.max()):.3g}", "", None,
        f"{int((rel > TARGETS['wht_rel']).sum())} px > 1e-4; one-sided zero: {int(((wa > 0) != (wb > 0)).sum())}")
    rel_far = float(rel[far].max()) if far.any() else 0.0
    row("WHT max rel Δ (away from CR disagreements)", f"{rel_far:.3g}", f"<= {TARGETS['wht_rel']:g}",
        rel_far <= TARGETS["wht_rel"], f"{int((rel[far] > TARGETS['wht_rel']).sum())} px > 1e-4; "
                                       f"{int((~far).sum())} px excluded")
    if ca is None or cb is None:
        row("CTX", f"AD {'present' if ca is not None else 'missing'} / astro "
                   f"{'present' if cb is not None else 'missing'}", "both", False)
    else:
        ca2, cb2 = ca.reshape((-1,) + sa.shape), cb.reshape((-1,) + sb.shape)
        if ca2.shape != cb2.shape:
            row("CTX planes", f"{ca2.shape} / {cb2.shape}", "equal", False)
        else:
            diff = np.any(ca2 != cb2, axis=0)
            row("CTX differing px (all)", f"{int(diff.sum())}", "", None, f"dtype AD {ca.dtype} / astro {cb.dtype}")
            row("CTX differing px (away from CR disagreements)", f"{int(diff[far].sum())}", "0",
                int(diff[far].sum()) == 0)

    # speed and memory
    speed = best_ad["wall"] / best_b["wall"]
    rss = best_b["rss_mib"] / best_ad["rss_mib"]
    row("wall time (s)", f"AD {best_ad['wall']:.2f} / astro {best_b['wall']:.2f}", "", None,
        f"AstroDrizzle() call alone {best_ad['call_seconds']:.2f} s (+{best_ad['import_seconds']:.1f} s imports)")
    row("CPU time user+sys (s)", f"AD {best_ad['cpu']:.2f} / astro {best_b['cpu']:.2f}", "", None,
        f"CPU ratio {best_ad['cpu'] / max(best_b['cpu'], 1e-9):.1f}x")
    row("speed-up (AD wall / astro wall)", f"{speed:.1f}x", f">= {TARGETS['speedup']:g}x",
        speed >= TARGETS["speedup"], f"call-only: {best_ad['call_seconds'] / best_b['wall']:.1f}x")
    row("peak RSS (MiB)", f"AD {best_ad['rss_mib']:.0f} / astro {best_b['rss_mib']:.0f}")
    row("RSS ratio (astro / AD)", f"{rss:.3f}", f"<= {TARGETS['rss_ratio']}", rss <= TARGETS["rss_ratio"])

    print_table(rows, best_ad, best_b)
    print(f"work directory: {work}" + ("" if args.keep else " (deleted; use --keep DIR to keep it)"))
    if fails:
        print("FAIL: " + "; ".join(fails))
        return 1
    print("PASS: every target met")
    return 0


def print_table(rows, r_ad, r_b):
    print(f"\nAstroDrizzle (drizzlepac {r_ad.get('version', '?')}) vs astro drizzle")
    w = max(len(r[0]) for r in rows)
    for name, value, target, ok, note in rows:
        mark = "" if ok is None else ("PASS" if ok else "FAIL")
        tgt = f"[{target}]" if target else ""
        print(f"  {name:<{w}}  {value:<32} {tgt:<14} {mark:<4} {note}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        sys.stdout.flush()
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
