#!/usr/bin/env python
"""Generate the astropy parity fixtures of astro-wcs (pixel -> world).

Reference tool: astropy 8.0.2 (astropy.wcs / WCSLIB), run as
    /work/main/.venv-oracle/bin/python parity/scripts/gen_wcs_fixtures.py \
        [--data /work/shared/data/real] [--out parity/fixtures/wcs]

For every WCS header of the real-data folder (see CASES below) the script evaluates
astropy's ``WCS.all_pix2world(x, y, 0)`` (0-based pixels; SIP, TPV and the Paper IV
lookup tables CPDIS/D2IM included, the tables read from the file via ``fobj=``) on a
100 x 100 grid spanning the image (the ``*_wide`` map cases use 64 x 64 points over
+-3000 pixels instead, to cross projection boundaries; see the case's "grid"):

    x_i = numpy.linspace(0, nx - 1, 100)[i],  y_j = numpy.linspace(0, ny - 1, 100)[j]
    point k = j * 100 + i   (x fastest)

numpy.linspace computes ``start + i * ((stop - start) / (num - 1))`` and sets the last
point to ``stop`` exactly; the Rust test reproduces the same doubles.

Output, per case: ``<name>.f64`` = little-endian float64 pairs (ra_k, dec_k), k = 0..9999
(160 000 bytes for 100 x 100; NaN where astropy gives NaN), and one ``index.json`` with the source file
(relative to the data folder), the HDU, the WCS key, the grid, the astropy/WCSLIB
versions, warnings astropy emitted, and the NaN positions (as [start, stop) runs of k).

Optional second mode (``--check-ours DIR``): DIR holds ``<name>.hdr`` files written by our
``Wcs::to_header`` (see parity/tests/wcs_parity.rs, env ASTRO_WCS_DUMP_HEADERS); each is read
back with astropy and its all_pix2world compared with the fixture; the max difference is
printed per case. For cases with lookup tables our header is put in an HDUList beside the
source file's own WCSDVARR/D2IMARR extensions (our to_header() writes the CPDIS/DP and
D2IM record cards; the tables themselves travel as extensions).
"""

import argparse
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import astropy
from astropy.io import fits
from astropy import wcs as awcs

NPTS = 100

# (name, relative path, format, hdu selector, key, shape override (ny, nx), note)
# format: "hdr_raw" (80-column cards, no newlines), "hdr_text" (one card per line), "fits".
# hdu selector: None for the primary HDU, or (EXTNAME, EXTVER).
CASES = []

MAPS = [
    "AIR", "AIT", "ARC", "AZP", "BON", "CAR", "CEA", "COD", "COE", "COO", "COP", "CSC",
    "CYP", "HPX", "MER", "MOL", "NCP", "PAR", "PCO", "QSC", "SFL", "SIN", "STG", "SZP",
    "TAN", "TSC", "ZEA", "ZPN",
]
for p in MAPS:
    CASES.append((f"maps_{p}", f"wcs_headers/maps_1904-66/1904-66_{p}.hdr", "hdr_raw", None, " ", None, ""))
# The 192x192 example maps lie wholly inside every projection's valid region. The "wide"
# variants sample a 64x64 grid over +-3000 pixels (+-200 deg) around the reference pixel,
# so that they cross the projection boundaries and the NaN (invalid) regions are compared.
# The range is deliberately off-centre (-3000.37 .. +2999.71) so no point sits exactly on
# a symmetric boundary.
for p in MAPS:
    CASES.append((f"maps_{p}_wide", f"wcs_headers/maps_1904-66/1904-66_{p}.hdr", "hdr_raw", None, " ", None,
                  "WIDE"))

CASES += [
    ("siponly", "wcs_headers/siponly.hdr", "hdr_raw", None, " ", None, ""),
    ("tpvonly", "wcs_headers/tpvonly.hdr", "hdr_raw", None, " ", None, ""),
    ("sip_fits", "wcs_headers/sip.fits", "fits", None, " ", (512, 512),
     "header-only file (NAXIS=0); grid spans 512x512 around CRPIX (Spitzer IRAC-size chip, guess)"),
    ("gwcs_acs_wfc", "wcs_headers/gwcs_acs_wfc.hdr", "hdr_text", None, " ", (2048, 4096),
     "NAXIS=0; grid spans the ACS/WFC chip 4096x2048. CPDIS/D2IM name WCSDVARR/D2IMARR "
     "extensions a bare header cannot hold: astropy (no fobj) ignores them, so this case is "
     "SIP only; the Rust test strips CPDIS*/DP*/D2IM* cards to match (flag strip_lookup)"),
    ("gwcs_acs_wfc_keyO", "wcs_headers/gwcs_acs_wfc.hdr", "hdr_text", None, "O", (2048, 4096),
     "alternate WCS 'O' (OPUS); same lookup note as gwcs_acs_wfc"),
    ("wfc3_uvis1", "wcs_headers/wfc3_uvis1.hdr", "hdr_raw", None, " ", None, ""),
    ("wfc3_uvis2", "wcs_headers/wfc3_uvis2.hdr", "hdr_raw", None, " ", None, ""),
    ("jwst_nrcb5_sip", "wcs_headers/jwst/nrcb5_sip_wcs.hdr", "hdr_text", None, " ", None, ""),
    ("jwst_psr_0p55", "wcs_headers/jwst/nrcb5_output_wcs_psr_0p55.hdr", "hdr_text", None, " ", None, ""),
    ("jwst_psr_1p0", "wcs_headers/jwst/nrcb5_output_wcs_psr_1p0.hdr", "hdr_text", None, " ", None, ""),
    ("jwst_psr_1p2", "wcs_headers/jwst/nrcb5_output_wcs_psr_1p2.hdr", "hdr_text", None, " ", None, ""),
    # HST
    ("hrc_flt_sci1", "hst/acs_hrc_j8bt06nyq/j8bt06nyq_flt.fits", "fits", ("SCI", 1), " ", None, ""),
    ("hrc_sip_sci1", "hst/acs_hrc_j8bt06nyq/j8bt06nyq_sip_flt.fits", "fits", ("SCI", 1), " ", (1024, 1024),
     "SCI has NAXIS=0 (header only); grid spans the flt's 1024x1024"),
    ("wfc_j94f05bgq_sci1", "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz", "fits", ("SCI", 1), " ", None,
     "full SIP + NPOL (CPDIS) + D2IM"),
    ("wfc_j94f05bgq_sci2", "hst/acs_wfc_j94f05bgq/j94f05bgq_flt_updatewcs.fits.gz", "fits", ("SCI", 2), " ", None,
     "full SIP + NPOL (CPDIS) + D2IM"),
    ("stub_2chipA_sci1", "hst/distortion_header_stubs/2chipA.fits.gz", "fits", ("SCI", 1), " ", (2048, 4096),
     "10x10 stub pixels; grid spans the real ACS/WFC chip 4096x2048 (stubbed 10x10 NPOL tables)"),
    ("stub_2chipA_sci2", "hst/distortion_header_stubs/2chipA.fits.gz", "fits", ("SCI", 2), " ", (2048, 4096),
     "as stub_2chipA_sci1"),
    ("stub_2chipB_sci1", "hst/distortion_header_stubs/2chipB.fits.gz", "fits", ("SCI", 1), " ", (2048, 4096),
     "as stub_2chipA_sci1"),
    ("stub_2chipB_sci2", "hst/distortion_header_stubs/2chipB.fits.gz", "fits", ("SCI", 2), " ", (2048, 4096),
     "as stub_2chipA_sci1"),
    ("stub_dist_lookup_sci1", "hst/distortion_header_stubs/dist_lookup.fits.gz", "fits", ("SCI", 1), " ", None,
     "100x100 SCI, real NPOL 65x33 tables and D2IM"),
    ("wfc3ir_drizzlepac_flt_sci1", "hst/wfc3ir_ib3y01c6q_drizzlepac/test_drizzlepac_flt.fits", "fits", ("SCI", 1),
     " ", None, "11x11 cutout: the 100x100 grid oversamples it"),
    # ground
    ("ground_tpv", "ground/galsim_wcs_registry/tpv.fits", "fits", None, " ", None, ""),
    ("ground_sipsample", "ground/galsim_wcs_registry/sipsample.fits", "fits", None, " ", None, ""),
    ("ground_tnx", "ground/galsim_wcs_registry/tnx.fits", "fits", None, " ", None,
     "IRAF TNX: not required; astropy's behaviour recorded (see astropy_behaviour)"),
]

SKIPPED = [
    {"source": "wcs_headers/jwst/nrcb5-wcs.asdf", "reason": "ASDF gWCS object, not a FITS header (out of scope)"},
    {"source": "wcs_headers/jwst/nrcb1-wcs.asdf", "reason": "ASDF gWCS object, not a FITS header (out of scope)"},
]


def load(data, rel, fmt, hdu, key):
    """Return (header, hdulist or None) as astropy sees them."""
    path = os.path.join(data, rel)
    if fmt == "hdr_raw":
        with open(path, "rb") as f:
            return fits.Header.fromstring(f.read().decode("ascii")), None
    if fmt == "hdr_text":
        return fits.Header.fromtextfile(path), None
    hdul = fits.open(path)
    ext = 0 if hdu is None else hdu
    return hdul[ext].header, hdul


def shape_of(header, override):
    if override is not None:
        return override
    return int(header["NAXIS2"]), int(header["NAXIS1"])


def grid(g):
    """Grid points of a case's "grid" entry: x fastest, k = j * nx + i."""
    xs = np.linspace(g["x0"], g["x1"], g["nx"])
    ys = np.linspace(g["y0"], g["y1"], g["ny"])
    gx, gy = np.meshgrid(xs, ys)  # gx[j, i] = xs[i]
    return gx.ravel(), gy.ravel()


def grid_of(header, shape, wide):
    ny, nx = shape
    if wide:
        cx = float(header["CRPIX1"]) - 1.0
        cy = float(header["CRPIX2"]) - 1.0
        return {"x0": cx - 3000.37, "x1": cx + 2999.71, "nx": 64,
                "y0": cy - 3000.37, "y1": cy + 2999.71, "ny": 64}
    return {"x0": 0.0, "x1": nx - 1.0, "nx": NPTS, "y0": 0.0, "y1": ny - 1.0, "ny": NPTS}


LOOKUP_CARDS = ("CPDIS1", "CPDIS2", "DP1", "DP2", "D2IMDIS1", "D2IMDIS2", "D2IM1", "D2IM2")


def strip_lookup(header):
    h = header.copy()
    for k in LOOKUP_CARDS:
        while k in h:
            del h[k]
    return h


def nan_runs(mask):
    runs = []
    k = 0
    n = len(mask)
    while k < n:
        if mask[k]:
            s = k
            while k < n and mask[k]:
                k += 1
            runs.append([int(s), int(k)])
        else:
            k += 1
    return runs


def make_wcs(header, hdul, key):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = awcs.WCS(header, fobj=hdul, key=key)
    msgs = sorted({str(c.message).strip() for c in caught})
    return w, msgs


def features(w):
    return {
        "ctype": list(w.wcs.ctype),
        "sip": w.sip is not None,
        "cpdis": [w.cpdis1 is not None, w.cpdis2 is not None],
        "d2im": [w.det2im1 is not None, w.det2im2 is not None],
    }


def core_round_trip(w, gx, gy):
    """astropy's own round trips through the WCSLIB core (projection, TPV; no SIP/tables):
    pixel -> world -> pixel and world -> pixel -> world. Some projections are not exact
    inverses (CSC's polynomials, AIR's iterative inverse) and wide grids alias (quad cubes);
    the Rust test never asks more of us than max(its tolerance, 2 x these)."""
    ra, dec = w.wcs_pix2world(gx, gy, 0)
    ok = np.isfinite(ra) & np.isfinite(dec)
    x2, y2 = w.wcs_world2pix(ra[ok], dec[ok], 0)
    ra3, dec3 = w.wcs_pix2world(x2, y2, 0)
    dp = np.maximum(np.abs(x2 - gx[ok]), np.abs(y2 - gy[ok]))
    dra = ((ra3 - ra[ok] + 180.0) % 360.0 - 180.0) * np.cos(np.radians(dec[ok]))
    dw = np.maximum(np.abs(dra), np.abs(dec3 - dec[ok]))
    return {
        "max_pixel": float(np.nanmax(dp)) if ok.any() else 0.0,
        "max_world_deg": float(np.nanmax(dw)) if ok.any() else 0.0,
        "w2p_failures": int((~np.isfinite(x2) | ~np.isfinite(y2)).sum()),
    }


def generate(data, out):
    os.makedirs(out, exist_ok=True)
    cases = []
    for name, rel, fmt, hdu, key, override, note in CASES:
        header, hdul = load(data, rel, fmt, hdu, key)
        shape = shape_of(header, override)
        wide = note == "WIDE"
        if wide:
            note = "wide grid crossing the projection's boundaries (see CASES comment)"
        g = grid_of(header, shape, wide)
        strip = fmt != "fits" and any(k in header for k in ("CPDIS1", "CPDIS2", "D2IMDIS1", "D2IMDIS2"))
        behaviour = None
        if strip:
            try:
                make_wcs(header, None, key)
                behaviour = "WCS() accepted the lookup cards without fobj"
            except Exception as exc:
                behaviour = (f"without fobj WCS() raised {type(exc).__name__}: {exc}; fixture made from "
                             f"the header with the cards {list(LOOKUP_CARDS)} removed (SIP only)")
            header = strip_lookup(header)
        entry = {
            "name": name,
            "source": rel,
            "format": fmt,
            "hdu": None if hdu is None else {"extname": hdu[0], "extver": hdu[1]},
            "key": key,
            "shape": list(shape),
            "grid": g,
            "note": note,
            "strip_lookup": strip,
        }
        if behaviour:
            entry["astropy_behaviour"] = behaviour
        try:
            w, msgs = make_wcs(header, hdul, key)
        except Exception as exc:  # astropy refuses the header: record, no binary
            entry.update({"astropy_behaviour": f"WCS() raised {type(exc).__name__}: {exc}", "file": None})
            cases.append(entry)
            print(f"{name:28s} astropy raised {type(exc).__name__}: {exc}")
            continue
        gx, gy = grid(g)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ra, dec = w.all_pix2world(gx, gy, 0)
        msgs += sorted({str(c.message).strip() for c in caught})
        ra = np.asarray(ra, dtype="<f8")
        dec = np.asarray(dec, dtype="<f8")
        bad = ~(np.isfinite(ra) & np.isfinite(dec))
        ra[bad] = np.nan
        dec[bad] = np.nan
        buf = np.empty(2 * ra.size, dtype="<f8")
        buf[0::2] = ra
        buf[1::2] = dec
        raw = buf.tobytes()
        assert len(raw) < 1_000_000
        fname = f"{name}.f64"
        with open(os.path.join(out, fname), "wb") as f:
            f.write(raw)
        entry.update({
            "file": fname,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "points": int(ra.size),
            "nan_count": int(bad.sum()),
            "nan_runs": nan_runs(bad),
            "astropy_features": features(w),
            "astropy_core_round_trip": core_round_trip(w, gx, gy),
            "astropy_warnings": msgs,
        })
        if name == "ground_tnx":
            entry["astropy_behaviour"] = (
                "WCS() accepted the header; CTYPE as seen by WCSLIB: "
                f"{list(w.wcs.ctype)}; WAT distortion cards are ignored by astropy")
        cases.append(entry)
        print(f"{name:28s} shape={shape} nan={int(bad.sum()):5d} feats={features(w)}")
    index = {
        "tool": f"astropy {astropy.__version__} (WCSLIB {awcs._wcs.WCSLIB_VERSION}), numpy {np.__version__}",
        "astropy_version": astropy.__version__,
        "call": "WCS(header, fobj=hdulist_or_None, key=key).all_pix2world(x, y, 0)",
        "grid_rule": "per case: x_i = linspace(x0, x1, nx)[i], y_j = linspace(y0, y1, ny)[j], "
                     "k = j*nx + i (0-based pixels); default x0=y0=0, x1=NAXIS1-1, y1=NAXIS2-1, nx=ny=100",
        "layout": "little-endian float64 pairs (ra_k, dec_k) in degrees; NaN where astropy gives NaN",
        "skipped": SKIPPED,
        "cases": cases,
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


def check_ours(data, out, dump_dir):
    """Read headers written by our to_header() with astropy and compare with the fixtures."""
    with open(os.path.join(out, "index.json")) as f:
        index = json.load(f)
    worst = 0.0
    print(f"{'case':28s} {'max dsky [deg]':>16s}  note")
    for c in index["cases"]:
        path = os.path.join(dump_dir, c["name"] + ".hdr")
        if c.get("file") is None or not os.path.exists(path):
            continue
        with open(path) as f:
            text = f.read()
        hdr = fits.Header.fromstring(text, sep="\n" if "\n" in text else "")
        lookup = any(c["astropy_features"]["cpdis"]) or any(c["astropy_features"]["d2im"])
        fobj = None
        if lookup:
            # Our header + the file's own WCSDVARR/D2IMARR extensions, as a FITS file would be.
            with fits.open(os.path.join(data, c["source"])) as src:
                tables = [h.copy() for h in src if h.name in ("WCSDVARR", "D2IMARR")]
            fobj = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(header=hdr, name="SCI")] + tables)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = awcs.WCS(hdr, fobj=fobj)  # to_header() writes the primary key
        ref = np.fromfile(os.path.join(out, c["file"]), dtype="<f8").reshape(-1, 2)
        gx, gy = grid(c["grid"])
        ra, dec = w.all_pix2world(gx, gy, 0)
        dra = ((ra - ref[:, 0] + 180.0) % 360.0 - 180.0) * np.cos(np.radians(ref[:, 1]))
        dd = np.hypot(dra, dec - ref[:, 1])
        both = np.isfinite(dd)
        m = float(np.max(dd[both])) if both.any() else 0.0
        validity = bool(np.all(np.isfinite(ra) == np.isfinite(ref[:, 0])))
        note = "" if validity else "VALIDITY DIFFERS"
        feats = features(w)
        if feats != c["astropy_features"]:
            note += f" features differ: {feats}"
        if lookup:
            note += " (with the source file's lookup-table extensions)"
        print(f"{c['name']:28s} {m:16.3e}  {note}")
        worst = max(worst, m if validity else float("inf"))
    print(f"worst: {worst:.3e} deg")
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.environ.get("ASTRO_TEST_DATA", "/work/shared/data/real"))
    ap.add_argument("--out", default=os.path.join(here, "..", "fixtures", "wcs"))
    ap.add_argument("--check-ours", metavar="DIR", help="compare headers written by our to_header()")
    args = ap.parse_args()
    if astropy.__version__ != "8.0.2":
        print(f"warning: fixtures were specified for astropy 8.0.2, running {astropy.__version__}",
              file=sys.stderr)
    if args.check_ours:
        worst = check_ours(args.data, args.out, args.check_ours)
        sys.exit(0 if worst <= 1e-9 else 1)
    generate(args.data, args.out)


if __name__ == "__main__":
    main()
