#!/usr/bin/env python
"""Generate the astro-mask parity fixtures (parity/fixtures/mask/*.json).

Run with the oracle venv from the repository root:

    .venv-oracle/bin/python parity/scripts/gen_mask_fixtures.py

Reference tools (versions are also written into every fixture):
  * astropy 8.0.2  -- astropy.nddata.bitmask.interpret_bit_flags / bitfield_to_boolean_mask
  * stsci.imagestats 1.8.4 (drizzlepac 3.11.0) -- ImageStats as drizzlepac's staticMask.py calls it
  * scipy 1.17 -- signal.convolve2d(boundary='symm', mode='same') as drizzlepac's drizCR.py uses it

Fixtures:
  bitmask.json  (spec, flag map, flip_bits) -> interpret_bit_flags result or the exception
                astropy raises, and bitfield_to_boolean_mask(dq, spec) (good_mask_value=False)
                over fixed DQ vectors of five integer dtypes.
  static.json   small float32 chips -> ImageStats(nclip=3, fields='mode', lower=nanmin,
                upper=nanmax) and the static mask drizzlepac builds from it.
  drizcr.json   boolean CR masks -> drizCR's grow / ctegrow convolution result.
"""

import json
import random
import sys
import warnings
from pathlib import Path

import astropy
import drizzlepac
import numpy as np
import scipy
from astropy.nddata import bitmask
from scipy import signal
from stsci import imagestats
from stsci.imagestats import ImageStats

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "mask"
VERSIONS = {
    "astropy": astropy.__version__,
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "drizzlepac": drizzlepac.__version__,
    "stsci.imagestats": imagestats.__version__,
    "python": sys.version.split()[0],
}

# ---------------------------------------------------------------------------------------
# flag maps (same names and values as astro_mask::FlagMap)
JWST = [
    "DO_NOT_USE", "SATURATED", "JUMP_DET", "DROPOUT", "OUTLIER", "PERSISTENCE", "AD_FLOOR",
    "RESERVED_4", "UNRELIABLE_ERROR", "NON_SCIENCE", "DEAD", "HOT", "WARM", "LOW_QE", "RC",
    "TELEGRAPH", "NONLINEAR", "BAD_REF_PIXEL", "NO_FLAT_FIELD", "NO_GAIN_VALUE", "NO_LIN_CORR",
    "NO_SAT_CHECK", "UNRELIABLE_BIAS", "UNRELIABLE_DARK", "UNRELIABLE_SLOPE", "UNRELIABLE_FLAT",
    "OPEN", "ADJ_OPEN", "UNRELIABLE_RESET", "MSA_FAILED_OPEN", "OTHER_BAD_PIXEL",
    "REFERENCE_PIXEL",
]
ACS = ["LOST", "FILLED", "BADPIX", "MASKED", "HOT", "UNSTABLE", "WARM", "BADCOL", "SATURATED",
       "BADREF", "TRAP", "ATODSAT", "CRDRIZ", "CRREJ", "USER", "UNUSED"]
MAPS = {
    "jwst": [(n, 1 << i) for i, n in enumerate(JWST)],
    "acs": [(n, 1 << i) for i, n in enumerate(ACS)],
    "st_dq": [("CR", 2), ("CLOUDY", 4), ("RAINY", 8), ("HOT", 16), ("DEAD", 32)],
}
PY_MAPS = {k: bitmask.extend_bit_flag_map("MAP_" + k, **dict(v)) for k, v in MAPS.items()}

# DQ vectors per dtype (bit patterns that exercise low, middle, sign and top bits)
DQ = {
    "uint8": [0, 1, 2, 3, 4, 5, 8, 12, 16, 64, 128, 255],
    "int16": [0, 1, 2, 4, 6, 8, 12, 16, 4096, 8192, 16384, -32768, -1, -4097, 32767],
    "uint16": [0, 1, 2, 4, 6, 8, 12, 16, 512, 4096, 4100, 8192, 32768, 65535, 61440],
    "int32": [0, 1, 2, 4, 12, 4096, 65536, 1 << 20, 1 << 30, -(1 << 31), -1, 2147483647, 5],
    "uint32": [0, 1, 2, 4, 12, 4096, 65536, 1 << 20, 1 << 30, 1 << 31, 4294967295, 3, 1 << 16 | 4],
}


def run_case(kind, value, flip_bits=None, map_name=None, deviation=None):
    """Evaluate one input with astropy; return the fixture record."""
    fmap = PY_MAPS[map_name] if map_name else None
    if kind == "int":
        arg = int(value)
    elif kind == "ints":
        arg = [int(v) for v in value]
    else:
        arg = value
    rec = {"kind": kind, "input": value if kind != "int" else str(value),
           "flip_bits": flip_bits, "map": map_name}
    if kind == "ints":
        rec["input"] = [str(v) for v in value]
    if deviation:
        rec["deviation"] = deviation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = bitmask.interpret_bit_flags(arg, flip_bits=flip_bits, flag_name_map=fmap)
        except Exception as e:  # noqa: BLE001 -- every astropy rejection is a case
            rec["ok"] = False
            rec["error"] = f"{type(e).__name__}: {e}"
            return rec
        rec["ok"] = True
        rec["value"] = None if res is None else str(int(res))
        masks = {}
        for dt, vals in DQ.items():
            arr = np.array(vals, dtype=dt)
            m = bitmask.bitfield_to_boolean_mask(
                arr, ignore_flags=arg, flip_bits=flip_bits, good_mask_value=False,
                dtype=bool, flag_name_map=fmap)
            masks[dt] = [int(b) for b in m]
        rec["bad"] = masks
    return rec


def string_specs():
    specs = [
        # numbers, separators, flips, parentheses, whitespace
        "0", "1", "4", "12", "4096", "65535", "65536", "4294967295", "18446744073709551615",
        "4,8", "4+8", "4|8", "4, 8", " 4 + 8 ", "4 |8", "4,8,16", "1,2,4,8,16,32,64,128",
        "~4", "~12", "~4,8", "~4+8", "~4|8", "~(4+8)", "~(4,8)", "~ (4|8)", "~ 4 , 8",
        "(4)", "(4+8)", "((4+8))", "( ( 4 , 8 ) )", "~((4))", "~0", "~1", "~65535",
        "~18446744073709551615", "-1", "-5", "~-5", "-13", "-18446744073709551616", "+4",
        "4,4", "4,4,8", "8,4", "0010", "1_024", "1_0,4", "512,4096", "4096,8192",
        "1024+2048+4096", "32768,16384", "2147483648", "2147483648,1", "4294967296",
        "9223372036854775808", "9223372036854775808,1",
        # None-like
        "", " ", "None", "none", "NONE", "INDEF", "indef", " None ", "\t",
        # malformed
        "4++8", "4,,8", "4,", ",4", "+", ",", "|", "~", "~ ", "()", "~()", "( )", "~~4",
        "~ ~4", "4~", "4+~8", "4,~8", "(~4)", "(4+8", "4+8)", "((4+8)", "(4)+(8)", "4+(8)",
        "(4),8", ")4+8(", "4,6", "3", "3,4", "0,4", "4,0", "-4,8", "12,16", "4,8+16",
        "4|8,16", "4+8|16", "1e3", "0x10", "4 8", "4.0", "four", "1__0", "_10", "10_",
        "4,8 16", "DO_NOT_USE", "~JUMP_DET", "18446744073709551616",
        "-18446744073709551617", "4,18446744073709551616", "99999999999999999999999999",
        "None,4", "4,None", "INDEF+4", "٤", "4,٨",
    ]
    return specs


DEVIATIONS = {
    # astropy accepts these (Python ints are unbounded, int() reads non-ASCII digits);
    # astro-mask refuses them with a typed error.
    "18446744073709551616": "overflow",
    "-18446744073709551617": "overflow",
    "4,18446744073709551616": "overflow",
    "99999999999999999999999999": "overflow",
    "٤": "non-ascii-digit",
    "4,٨": "non-ascii-digit",
}


def random_specs(rng, n):
    out = []
    for _ in range(n):
        k = rng.randint(1, 5)
        bits = [1 << rng.randrange(0, 32) for _ in range(k)]
        sep = rng.choice([",", "+", "|"])
        ws = lambda: rng.choice(["", " ", "  ", "\t"])  # noqa: E731
        body = sep.join(f"{ws()}{b}{ws()}" for b in bits)
        if rng.random() < 0.4:
            body = "(" + body + ")"
        if rng.random() < 0.5:
            body = "~" + ws() + body
        out.append(ws() + body + ws())
    return out


def name_specs():
    return [
        ("JUMP_DET, DROPOUT", "jwst"), ("~DO_NOT_USE+SATURATED", "jwst"),
        ("DO_NOT_USE", "jwst"), ("do_not_use", "jwst"), ("Jump_Det|Dropout", "jwst"),
        ("~(JUMP_DET, DROPOUT)", "jwst"), ("REFERENCE_PIXEL", "jwst"),
        ("~REFERENCE_PIXEL", "jwst"), ("OUTLIER+PERSISTENCE+AD_FLOOR", "jwst"),
        ("JUMP_DET,JUMP_DET", "jwst"), ("4,8", "jwst"), ("~4", "jwst"), ("12", "jwst"),
        ("None", "jwst"), ("JUMP_DET,NOPE", "jwst"), ("NOPE", "jwst"), ("JUMP_DET,4", "jwst"),
        ("4,JUMP_DET", "jwst"), ("JUMP_DET,", "jwst"), ("~~JUMP_DET", "jwst"),
        ("JUMP DET", "jwst"), ("JUMP_DET+DROPOUT,HOT", "jwst"), ("(JUMP_DET", "jwst"),
        ("UNRELIABLE_RESET|MSA_FAILED_OPEN|OTHER_BAD_PIXEL", "jwst"), ("~", "jwst"),
        ("HOT, WARM", "acs"), ("CRDRIZ", "acs"), ("~CRDRIZ", "acs"), ("crrej+crdriz", "acs"),
        ("~(SATURATED|ATODSAT)", "acs"), ("HOT,64", "acs"), ("UNUSED", "acs"),
        ("~(CR,CLOUDY)", "st_dq"), ("~(CR+CLOUDY)", "st_dq"), ("CLOUDY,RAINY,HOT", "st_dq"),
        ("RAINY", "st_dq"), ("SNOWY", "st_dq"), ("dead|hot", "st_dq"),
    ]


def bitmask_fixture():
    rng = random.Random(20261121)
    cases = []
    for s in string_specs():
        cases.append(run_case("str", s, deviation=DEVIATIONS.get(s)))
    for s in random_specs(rng, 60):
        cases.append(run_case("str", s))
    for s, m in name_specs():
        cases.append(run_case("str", s, map_name=m))
    for v in [0, 4, 12, 4096, 65535, 65536, 1 << 31, (1 << 64) - 1, -1, -5, -13, -(1 << 64)]:
        for fb in [None, False, True]:
            cases.append(run_case("int", v, flip_bits=fb))
    for v in [1 << 64, -(1 << 64) - 1]:
        cases.append(run_case("int", v, deviation="overflow"))
    for lst in [[], [4], [4, 8], [4, 8, 8], [1, 2, 4, 8, 16], [3], [0], [4, 12], [-4], [1 << 63]]:
        for fb in [None, True]:
            cases.append(run_case("ints", lst, flip_bits=fb))
    for names, m in [(["JUMP_DET", "DROPOUT"], "jwst"), (["hot"], "acs"), (["NOPE"], "jwst")]:
        for fb in [None, True]:
            cases.append(run_case("names", names, flip_bits=fb, map_name=m))
    cases.append(run_case("names", ["HOT"], flip_bits=None, map_name=None))
    for s in ["4", "~4", "None", ""]:
        for fb in [False, True]:
            cases.append(run_case("str", s, flip_bits=fb))
    for fb in [None, False, True]:
        cases.append(run_case("none", None, flip_bits=fb))

    # drizzlepac buildMask: DQ cast to uint16, uint8 mask with 1 = good
    build = []
    dq = np.array([0, 1, 4, 4096, 4100, 8192, 65535, 65536 + 4, 1 << 20 | 4096, 12], dtype=np.uint32)
    from drizzlepac.buildmask import buildMask
    for bits in [0, 4096, "4096", "4,4096", "~4", None, 65535]:
        build.append({"bits": None if bits is None else str(bits),
                      "good": [int(v) for v in buildMask(dq, bits)]})
    return {
        "generator": "parity/scripts/gen_mask_fixtures.py",
        "versions": VERSIONS,
        "maps": MAPS,
        "dq": {k: [str(v) for v in vals] for k, vals in DQ.items()},
        "cases": cases,
        "build_mask": {"dq": [int(v) for v in dq], "cases": build},
    }


# ---------------------------------------------------------------------------------------
def static_case(name, chips, static_sig=4.0):
    """drizzlepac staticMask.addMember for chips of one signature (mask AND-ed)."""
    mask = np.ones(chips[0].shape, dtype=np.int16)
    stats_out = []
    for chip in chips:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                stats = ImageStats(chip, nclip=3, fields="mode",
                                   lower=np.nanmin(chip), upper=np.nanmax(chip))
            except ValueError as e:  # drizzlepac's static mask step fails the same way
                return {"name": name, "static_sig": static_sig, "shape": list(chip.shape),
                        "chips": [[None if np.isnan(v) else float(v) for v in c.ravel()]
                                  for c in chips],
                        "error": f"{type(e).__name__}: {e}"}
        mode, rms, nbins = stats.mode, stats.stddev, len(stats.histogram)
        if nbins >= 2:
            sky_rms_diff = mode - (static_sig * rms)
            np.bitwise_and(mask, np.logical_not(np.less(chip, sky_rms_diff)), mask)
        stats_out.append({"npix": int(stats.npix), "mean": float(stats.mean),
                          "stddev": float(stats.stddev), "min": float(stats.min),
                          "max": float(stats.max), "nbins": nbins,
                          # as text: serde_json does not always parse floats to the last bit
                          "mode": repr(float(mode))})
    return {
        "name": name, "static_sig": static_sig, "shape": list(chips[0].shape),
        "chips": [[None if np.isnan(v) else float(v) for v in c.ravel()] for c in chips],
        "stats": stats_out,
        "bad_index": [int(i) for i in np.flatnonzero(mask == 0)],
    }


def static_fixture():
    rng = np.random.default_rng(42)
    shape = (40, 48)

    def sky(level=100.0, sigma=5.0):
        return rng.normal(level, sigma, shape).astype(np.float32)

    cases = []
    a = sky()
    a.ravel()[rng.choice(a.size, 12, replace=False)] = -200.0
    cases.append(static_case("gaussian_with_holes", [a]))
    b = sky()
    b.ravel()[rng.choice(b.size, 30, replace=False)] = np.nan
    b.ravel()[rng.choice(b.size, 5, replace=False)] = 50.0
    cases.append(static_case("nans", [b]))
    c = sky()
    c[0, 0] = np.nan
    c[3, 3] = -500.0
    cases.append(static_case("first_pixel_nan", [c]))
    d = sky()
    d[0, 0] = -1000.0
    d[5, 7] = -300.0
    cases.append(static_case("first_pixel_below_clip", [d]))
    e = np.full(shape, 7.5, dtype=np.float32)
    cases.append(static_case("constant", [e]))
    f = rng.poisson(20.0, shape).astype(np.float32)
    f[10, 10] = -40.0
    cases.append(static_case("poisson_integers", [f]))
    g = sky(level=0.0, sigma=1.0)
    g[20:22, 30:33] = -6.0
    cases.append(static_case("zero_sky_sig3", [g], static_sig=3.0))
    h1, h2 = sky(), sky(level=120.0, sigma=8.0)
    h1[1, 2] = -100.0
    h2[30, 40] = -100.0
    cases.append(static_case("two_chips_and", [h1, h2]))
    k = sky(level=1000.0, sigma=30.0)
    k[::7, ::5] -= 200.0
    cases.append(static_case("grid_of_low_pixels", [k]))
    return {"generator": "parity/scripts/gen_mask_fixtures.py", "versions": VERSIONS,
            "cases": cases}


# ---------------------------------------------------------------------------------------
def drizcr_grow(cr_bad, grow, ctegrow, cte_dir):
    """drizCR.py PART III on a flagged mask (True = CR), returning the flagged result."""
    cr_mask = ~cr_bad  # drizzlepac's cr_mask: True = good
    kernel = np.ones((grow, grow), dtype=np.uint16)
    grow_conv = signal.convolve2d(cr_mask, kernel, boundary="symm", mode="same")
    cte_kernel = np.zeros((2 * ctegrow + 1, 2 * ctegrow + 1))
    if cte_dir == 1:
        cte_kernel[0:ctegrow, ctegrow] = 1
    elif cte_dir == -1:
        cte_kernel[ctegrow + 1:2 * ctegrow + 1, ctegrow] = 1
    cte_conv = signal.convolve2d(cr_mask, cte_kernel, boundary="symm", mode="same")
    good = (grow_conv >= grow ** 2) & (cte_conv >= ctegrow)
    return ~good


def drizcr_fixture():
    rng = np.random.default_rng(7)
    cases = []
    for shape in [(12, 9), (3, 5), (1, 6), (8, 1)]:
        bad = rng.random(shape) < 0.08
        if not bad.any():
            bad[shape[0] // 2, shape[1] // 2] = True
        for grow in [1, 2, 3, 4]:
            for ctegrow in [0, 1, 2, 5]:
                for cte_dir in [1, -1]:
                    out = drizcr_grow(bad, grow, ctegrow, cte_dir)
                    cases.append({"shape": list(shape), "grow": grow, "ctegrow": ctegrow,
                                  "cte_dir": cte_dir,
                                  "flagged": [int(v) for v in bad.ravel()],
                                  "result": [int(v) for v in out.ravel()]})
    return {"generator": "parity/scripts/gen_mask_fixtures.py", "versions": VERSIONS,
            "note": "cte_dir=0 with ctegrow>0 is not included: drizzlepac then flags every "
                    "pixel (all-zero kernel), a bug astro-mask does not copy",
            "cases": cases}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in [("bitmask.json", bitmask_fixture()), ("static.json", static_fixture()),
                       ("drizcr.json", drizcr_fixture())]:
        path = OUT / name
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        n = len(data["cases"])
        print(f"{path}: {n} cases, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
