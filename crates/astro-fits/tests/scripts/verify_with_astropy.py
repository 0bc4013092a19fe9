#!/usr/bin/env python3
"""Check a FITS file written by astro-fits with astropy.

Usage: verify_with_astropy.py FILE [KEYWORD ...]

Opens FILE with astropy.io.fits, turns every warning into an error, runs
``verify('exception')`` on the whole file and on each HDU, touches every header and
every data array, and prints, for the Rust test to compare:

    ASTROPY <version>
    HDU <index> <EXTNAME> <EXTVER> <numpy dtype or -> <shape as NYxNX or -> <sum as repr or ->
    KEY <index> <KEYWORD> <repr of the value>        (for each KEYWORD present in that HDU)
    OK

Exit status 0 only if everything passed. Tested with astropy 8.0.2 and numpy 2.
"""
import sys
import warnings

import astropy
import numpy as np
from astropy.io import fits


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, keywords = argv[1], argv[2:]
    warnings.simplefilter("error")  # any astropy warning (VerifyWarning, ...) fails
    print(f"ASTROPY {astropy.__version__}")
    with fits.open(path, mode="readonly") as hdul:
        hdul.verify("exception")
        for index, hdu in enumerate(hdul):
            hdu.verify("exception")
            header = hdu.header
            _ = repr(header)  # parses every card
            data = hdu.data
            if data is None:
                dtype, shape, total = "-", "-", "-"
            else:
                dtype = str(data.dtype.newbyteorder("=")) if data.dtype.byteorder == ">" else str(data.dtype)
                dtype = np.dtype(dtype).name
                shape = "x".join(str(n) for n in data.shape)
                total = repr(float(np.sum(data, dtype=np.float64)))
            print(f"HDU {index} {hdu.name} {hdu.ver} {dtype} {shape} {total}")
            for key in keywords:
                if key in header:
                    print(f"KEY {index} {key} {header[key]!r}")
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
