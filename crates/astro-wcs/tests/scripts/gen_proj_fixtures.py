#!/usr/bin/env python3
"""Generate the projection / celestial-rotation parity fixtures of astro-wcs.

Run with the oracle venv from the repository root:

    /work/main/.venv-oracle/bin/python crates/astro-wcs/tests/scripts/gen_proj_fixtures.py \
        [--maps DIR] [--out crates/astro-wcs/tests/fixtures/proj]

Reference: astropy.wcs (WCSLIB), versions recorded in every fixture ("generator").
For every header of the Calabretta & Greisen "1904-66" map set (one per projection) and
for a handful of synthetic cases (other CRVAL / LONPOLE / LATPOLE / PV1_m combinations,
NCP and GLS), the fixture holds:

* pix2sky: a pixel grid covering the map and beyond its boundary, converted with
  Wcsprm.p2s: intermediate (x, y) = imgcrd, native (phi, theta), world (lon, lat), and
  whether WCSLIB accepted the point (stat == 0 and finite output);
* sky2pix: a sky grid converted with Wcsprm.s2p: native (phi, theta), plane (x, y), ok;
* native2plane: a native grid including the special angles, through Prjprm.prjs2x;
* effective: LONPOLE/LATPOLE after wcsset, phi0/theta0, the fiducial offset x0/y0, or
  "error" when wcsset rejected the description.

The test crates/astro-wcs/tests/proj_parity.rs replays every point through
astro_wcs::proj and astro_wcs::celestial.
"""

import argparse
import json
import math
import pathlib
import sys

import numpy as np
import astropy
from astropy.io import fits
from astropy import wcs
from astropy.wcs import _wcs


def num(v):
    """A JSON-safe float: None for NaN/inf."""
    v = float(v)
    return v if math.isfinite(v) else None


def nums(a):
    return [num(v) for v in np.asarray(a, dtype=float).ravel()]


def pv_of(header):
    """PV cards of the latitude (PV2_m) and longitude (PV1_m) axes as {m: value}."""
    lat, lon = {}, {}
    for key in header:
        if key.startswith("PV") and "_" in key:
            i, m = key[2:].split("_")
            if not (i.isdigit() and m.isdigit()):
                continue
            (lat if int(i) == 2 else lon)[int(m)] = float(header[key])
    return lat, lon


def sample(ww, name, code, lat_pv, lon_pv, crval, lonpole, latpole, pix_grid, sky_grid):
    case = {
        "name": name,
        "code": code,
        "pv_lat": {str(k): v for k, v in sorted(lat_pv.items())},
        "pv_lon": {str(k): v for k, v in sorted(lon_pv.items())},
        "crval": list(crval),
        "lonpole": lonpole,
        "latpole": latpole,
    }
    try:
        ww.set()
    except Exception as exc:  # wcsset rejected the description
        case["error"] = f"{type(exc).__name__}: {exc}"
        return case
    prj = ww.cel.prj
    case["effective"] = {
        "lonpole": num(ww.lonpole),
        "latpole": num(ww.latpole),
        "phi0": num(ww.cel.phi0),
        "theta0": num(ww.cel.theta0),
        "x0": num(prj.x0),
        "y0": num(prj.y0),
        "prj_code": prj.code,
        "prj_pv": [num(v) for v in prj.pv],
    }

    # Pixel -> sky. origin = 1 (1-based pixels): astropy shifts the returned imgcrd by
    # (1 - origin) as well as pixcrd, so only origin = 1 gives the true plane coordinates.
    r = ww.p2s(pix_grid + 1.0, 1)
    ok = (r["stat"] == 0) & np.isfinite(r["phi"]) & np.isfinite(r["theta"]) \
        & np.all(np.isfinite(r["world"]), axis=1)
    case["pix2sky"] = {
        "x": nums(r["imgcrd"][:, 0]),
        "y": nums(r["imgcrd"][:, 1]),
        "phi": nums(np.where(ok, r["phi"], np.nan)),
        "theta": nums(np.where(ok, r["theta"], np.nan)),
        "lon": nums(np.where(ok, r["world"][:, 0], np.nan)),
        "lat": nums(np.where(ok, r["world"][:, 1], np.nan)),
        "ok": [bool(v) for v in ok],
    }

    # Sky -> pixel.
    r = ww.s2p(sky_grid, 1)
    ok = (r["stat"] == 0) & np.all(np.isfinite(r["imgcrd"]), axis=1)
    case["sky2pix"] = {
        "lon": nums(sky_grid[:, 0]),
        "lat": nums(sky_grid[:, 1]),
        "phi": nums(r["phi"]),
        "theta": nums(r["theta"]),
        "x": nums(np.where(ok, r["imgcrd"][:, 0], np.nan)),
        "y": nums(np.where(ok, r["imgcrd"][:, 1], np.nan)),
        "ok": [bool(v) for v in ok],
    }

    # Native -> plane, including the special angles (poles, +-180, multiples of 90).
    phi, theta = np.meshgrid(np.arange(-180.0, 180.1, 20.0), np.arange(-90.0, 90.1, 10.0))
    phi, theta = phi.ravel(), theta.ravel()
    x, y = prj.prjs2x(phi, theta)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    case["native2plane"] = {
        "phi": nums(phi),
        "theta": nums(theta),
        "x": nums(x),
        "y": nums(y),
        "ok": [bool(v) for v in ok],
    }
    return case


def sky_grid():
    lon, lat = np.meshgrid(np.arange(7.5, 360.0, 15.0), np.arange(-82.5, 83.0, 15.0))
    return np.column_stack([lon.ravel(), lat.ravel()])


def plane_grids():
    """Intermediate (x, y) grids, degrees, spanning every projection's whole plane and
    beyond its boundary: a non-round 27 x 27 grid and an exact 17 x 17 grid (multiples
    of 45, which hit the special cases x = 0, y = 0, face edges...)."""
    g1 = np.linspace(-359.3, 359.3, 27)
    g2 = np.arange(-360.0, 360.1, 45.0)
    out = []
    for g in (g1, g2):
        gx, gy = np.meshgrid(g, g)
        out.append(np.column_stack([gx.ravel(), gy.ravel()]))
    return np.vstack(out)


def header_cases(maps_dir):
    # 21 x 21 pixels from -20 to 211: the 192 x 192 map and a margin beyond it ...
    p = np.linspace(-20.0, 211.0, 21)
    px, py = np.meshgrid(p, p)
    pix = np.column_stack([px.ravel(), py.ravel()])
    for path in sorted(pathlib.Path(maps_dir).glob("1904-66_*.hdr")):
        header = fits.Header.fromstring(path.read_text())
        w = wcs.WCS(header)
        # ... plus the whole-plane grids, converted to 0-based pixels (PC is the identity
        # in these headers).
        crpix = np.array([header["CRPIX1"], header["CRPIX2"]], dtype=float)
        cdelt = np.array([header["CDELT1"], header["CDELT2"]], dtype=float)
        pix_all = np.vstack([pix, plane_grids() / cdelt + crpix - 1.0])
        code = header["CTYPE1"][5:8]
        lat_pv, lon_pv = pv_of(header)
        case = sample(
            w.wcs, path.name, code, lat_pv, lon_pv,
            (float(header["CRVAL1"]), float(header["CRVAL2"])),
            float(header["LONPOLE"]) if "LONPOLE" in header else None,
            float(header["LATPOLE"]) if "LATPOLE" in header else None,
            pix_all, sky_grid(),
        )
        yield path.stem.split("_")[1], case


SYNTHETIC = [
    # name, code, PV2_m, PV1_m, CRVAL, LONPOLE, LATPOLE
    ("tan-cosmos", "TAN", {}, {}, (150.1191666, 2.2058333), None, None),
    ("tan-south", "TAN", {}, {}, (10.0, -30.0), None, None),
    ("tan-npole", "TAN", {}, {}, (0.0, 90.0), None, None),
    ("tan-spole", "TAN", {}, {}, (200.0, -90.0), None, None),
    ("tan-lonpole45", "TAN", {}, {}, (359.9, 0.0), 45.0, None),
    ("tan-lonpole999", "TAN", {}, {}, (33.0, 12.0), 999.0, None),
    ("sin-synthesis", "SIN", {1: 0.1, 2: -0.2}, {}, (83.6, 22.0), None, None),
    ("car-equator", "CAR", {}, {}, (30.0, 0.0), None, None),
    ("car-dec20", "CAR", {}, {}, (30.0, 20.0), None, None),
    ("car-dec20-latpole-90", "CAR", {}, {}, (30.0, 20.0), None, -90.0),
    ("car-lonpole120", "CAR", {}, {}, (45.0, -60.0), 120.0, None),
    ("car-lonpole90-sole", "CAR", {}, {}, (45.0, 0.0), 90.0, 30.0),
    ("car-lonpole90-bad", "CAR", {}, {}, (45.0, 10.0), 90.0, None),
    ("car-offset", "CAR", {}, {0: 1.0, 1: 20.0, 2: 10.0}, (40.0, 10.0), None, None),
    ("cyp-theta0", "CYP", {}, {2: 30.0}, (120.0, 45.0), None, None),
    ("ait-galactic-centre", "AIT", {}, {}, (266.4, -28.94), None, None),
    ("mol-lonpole", "MOL", {}, {}, (180.0, 30.0), 170.0, 10.0),
    ("coe-45", "COE", {1: 45.0}, {}, (10.0, 45.0), None, None),
    ("coe-60", "COE", {1: 45.0}, {}, (10.0, 60.0), None, None),
    ("coe-south", "COE", {1: 45.0, 2: 10.0}, {}, (350.0, -20.0), None, None),
    ("cod-negative", "COD", {1: -30.0, 2: 15.0}, {}, (5.0, -30.0), None, None),
    ("zea-pv1-override", "ZEA", {}, {3: 150.0, 4: 80.0}, (60.0, 40.0), 180.0, 90.0),
    ("hpx-even-k", "HPX", {1: 4.0, 2: 4.0}, {}, (0.0, 0.0), None, None),
    ("xph", "XPH", {}, {}, (0.0, 90.0), None, None),
    ("ncp", "NCP", {}, {}, (45.0, 30.0), None, None),
    ("gls", "GLS", {}, {}, (20.0, 30.0), None, None),
    # Parameter variants not covered by the maps.
    ("zpn-linear", "ZPN", {0: 0.01, 1: 1.1}, {}, (30.0, 40.0), None, None),
    ("zpn-quadratic", "ZPN", {1: 1.0, 2: -0.1}, {}, (30.0, 40.0), None, None),
    ("azp-mu05-gamma20", "AZP", {1: 0.5, 2: 20.0}, {}, (30.0, 40.0), None, None),
    ("szp-mu05", "SZP", {1: 0.5, 2: 30.0, 3: 70.0}, {}, (30.0, 40.0), None, None),
    ("air-default", "AIR", {}, {}, (30.0, 40.0), None, None),
    ("bon-zero-is-sfl", "BON", {1: 0.0}, {}, (30.0, 0.0), None, None),
    ("cea-half", "CEA", {1: 0.5}, {}, (30.0, 10.0), None, None),
    ("cyp-mu0", "CYP", {1: 0.0, 2: 1.0}, {}, (30.0, 10.0), None, None),
    ("coo-south", "COO", {1: -40.0, 2: 10.0}, {}, (30.0, -40.0), None, None),
    ("cop-south", "COP", {1: -30.0, 2: 20.0}, {}, (30.0, -30.0), None, None),
    ("hpx-odd-h", "HPX", {1: 5.0, 2: 3.0}, {}, (0.0, 0.0), None, None),
    ("tan-offset", "TAN", {}, {0: 1.0, 1: 0.0, 2: 60.0}, (30.0, 40.0), None, None),
    ("ait-phi0-no-offset", "AIT", {}, {1: 30.0, 2: 20.0}, (30.0, 40.0), None, None),
    ("zea-bad-theta0", "ZEA", {}, {2: 95.0}, (30.0, 40.0), None, None),
]


def synthetic_cases():
    # Plane grid (degrees) covering +-60 around the fiducial point.
    g = np.linspace(-60.0, 60.0, 13)
    gx, gy = np.meshgrid(g, g)
    img = np.vstack([np.column_stack([gx.ravel(), gy.ravel()]), plane_grids()])
    for name, code, lat_pv, lon_pv, crval, lonpole, latpole in SYNTHETIC:
        w = wcs.Wcsprm(naxis=2)
        w.ctype = [f"RA---{code}", f"DEC--{code}"]
        w.crval = list(crval)
        w.crpix = [0.0, 0.0]
        w.cdelt = [1.0, 1.0]
        pv = [(2, m, v) for m, v in lat_pv.items()] + [(1, m, v) for m, v in lon_pv.items()]
        if pv:
            w.set_pv(pv)
        if lonpole is not None:
            w.lonpole = lonpole
        if latpole is not None:
            w.latpole = latpole
        # With CRPIX = 0 and unit CDELT the 0-based pixel coordinate p maps to imgcrd
        # p + 1; shift so that the plane grid is exactly `img` (up to rounding).
        yield sample(w, name, code, lat_pv, lon_pv, crval, lonpole, latpole,
                     img - 1.0, sky_grid())


def main():
    here = pathlib.Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--maps", default="/work/shared/data/real/wcs_headers/maps_1904-66")
    ap.add_argument("--out", default=str(here.parent / "fixtures" / "proj"))
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    generator = {
        "script": "crates/astro-wcs/tests/scripts/gen_proj_fixtures.py",
        "astropy": astropy.__version__,
        "wcslib": _wcs.WCSLIB_VERSION,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    for stem, case in header_cases(args.maps):
        doc = {"generator": generator, "cases": [case]}
        (out / f"map_{stem}.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    # Synthetic cases in files of 5 to keep each fixture well under 1 MB.
    synth = list(synthetic_cases())
    for k in range(0, len(synth), 5):
        doc = {"generator": generator, "cases": synth[k:k + 5]}
        name = f"synthetic_{k // 5}.json"
        (out / name).write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    sizes = sorted((p.stat().st_size, p.name) for p in out.glob("*.json"))
    print(f"wrote {len(sizes)} fixtures to {out}; largest {sizes[-1][1]} = {sizes[-1][0]} bytes")


if __name__ == "__main__":
    main()
