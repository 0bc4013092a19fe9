#!/usr/bin/env python
"""Generate the astro-pipeline parameter fixture (parity/fixtures/pipeline/).

Run with the oracle venv:

    /work/main/.venv-oracle/bin/python parity/scripts/gen_pipeline_fixtures.py

Reference tool: drizzlepac 3.11 (checked below). Its AstroDrizzle parameters are declared in
`drizzlepac/pars/astrodrizzle.cfgspc` (read from the installed package); their defaults are
taken from `stsci.tools.teal.load("astrodrizzle", defaults=True)`, i.e. the values
AstroDrizzle itself starts from after configobj validation, and checked against the
`default=` written in the cfgspc.

Writes `astrodrizzle_parameters.json`: for every user parameter, in the cfgspc order,
  name     -- AstroDrizzle's name,
  type     -- the cfgspc kind without `_kw` (string, boolean, integer, float, option,
              integer_or_none, float_or_none),
  default  -- the default (JSON null for None),
  section  -- the cfgspc section (`GENERAL` for the parameters before the first section),
  options  -- the allowed values of `option` parameters, else absent,
  comment  -- AstroDrizzle's one-line description.
GUI-only entries (`_task_name_`, `_mdriztab_btn_`, the `_RULES_` section) are left out.
"""

import json
import os
import re
import sys

import drizzlepac
from stsci.tools import teal

assert drizzlepac.__version__.startswith("3.11"), drizzlepac.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "fixtures", "pipeline")
CFGSPC = os.path.join(os.path.dirname(drizzlepac.__file__), "pars", "astrodrizzle.cfgspc")

LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([a-z_]+)_kw\((.*)\)\s*$")
SECTION = re.compile(r"^\s*\[\s*(.*?)\s*\]\s*$")
QUOTED = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)')\s*""")


def split_args(text):
    """Split the argument list of a `*_kw(...)` call at top-level commas."""
    parts, depth, quote, cur = [], 0, None, ""
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            cur += ch
        elif ch == "(":
            depth += 1
            cur += ch
        elif ch == ")":
            depth -= 1
            cur += ch
        elif ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def literal(text):
    """A cfgspc literal: a quoted string, True/False/None or a number."""
    m = QUOTED.match(text)
    if m:
        return m.group(1) if m.group(1) is not None else m.group(2)
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_cfgspc(path):
    params, section = [], "GENERAL"
    with open(path) as f:
        for line in f:
            if line.lstrip().startswith("#"):
                continue
            m = SECTION.match(line)
            if m:
                section = m.group(1)
                continue
            m = LINE.match(line)
            if not m:
                continue
            name, kind, args = m.groups()
            if name.startswith("_") or section == "_RULES_":
                continue
            entry = {"name": name, "type": kind, "section": section}
            options = []
            for arg in split_args(args):
                if "=" in arg and not QUOTED.match(arg):
                    key, value = arg.split("=", 1)
                    key = key.strip()
                    if key == "default":
                        entry["default"] = literal(value.strip())
                    elif key == "comment":
                        entry["comment"] = literal(value.strip()).strip()
                else:
                    options.append(literal(arg))
            if kind == "option":
                entry["options"] = options
            params.append(entry)
    return params


def main():
    params = parse_cfgspc(CFGSPC)
    loaded = teal.load("astrodrizzle", defaults=True)
    flat = {}
    for key, value in loaded.items():
        if hasattr(value, "items"):
            flat.update(value)
        else:
            flat[key] = value
    for p in params:
        value = flat[p["name"]]
        if p["default"] != value:
            sys.exit(f"{p['name']}: cfgspc default {p['default']!r} != teal default {value!r}")
        p["default"] = value
    names = [p["name"] for p in params]
    assert len(names) == len(set(names)) == 99, len(names)
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, "astrodrizzle_parameters.json")
    doc = {
        "generator": "parity/scripts/gen_pipeline_fixtures.py",
        "source": "drizzlepac/pars/astrodrizzle.cfgspc + stsci.tools.teal.load(defaults=True)",
        "drizzlepac": drizzlepac.__version__,
        "parameters": params,
    }
    # one parameter per line: small and easy to diff
    with open(out, "w") as f:
        f.write("{\n")
        for key in ("generator", "source", "drizzlepac"):
            f.write(f"  {json.dumps(key)}: {json.dumps(doc[key])},\n")
        f.write('  "parameters": [\n')
        f.write(",\n".join("    " + json.dumps(p) for p in params))
        f.write("\n  ]\n}\n")
    print(f"wrote {out}: {len(params)} parameters, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
