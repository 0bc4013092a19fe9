//! Our side of the astropy/drizzle speed race run by `parity/scripts/bench_wcs_peers.py`.
//!
//! ```text
//! peer_wcs p2w (--hdr FILE | --fits FILE --ext NAME,VER) --grid NX_IMG,NY_IMG,N
//!          [--reps R] [--threads T] [--dump OUT]
//! peer_wcs pixmap --hdr FILE --size S [--reps R] [--threads T] [--dump OUT]
//! ```
//!
//! `p2w` evaluates pixel → world on an N × N grid spanning an NX_IMG × NY_IMG image
//! (numpy.linspace points, x fastest) with `Wcs::pixel_to_world_many`. `pixmap` computes
//! the S × S pixel map from the TAN-SIP header to the TAN WCS with the same CRVAL, CRPIX
//! and CD (SIP removed), with `PixelMapper::map_tile` over the whole image (the output
//! arrays are allocated once, outside the timing). Both print one JSON line `{"seconds": best wall, "cpu_seconds": best CPU, ...}` and with
//! `--dump` write the results as little-endian f64 (`p2w`: (ra, dec) pairs; `pixmap`:
//! (x, y) pairs of every 64th row and column, as `pixmap[::64, ::64]` in numpy).
//! Work runs inside a rayon pool of `--threads` threads (default 1).

use astro_wcs::{Header, Wcs};
use std::time::Instant;

fn usage() -> ! {
    eprintln!(
        "usage: peer_wcs p2w (--hdr FILE | --fits FILE --ext NAME,VER) --grid NX,NY,N \
         [--reps R] [--threads T] [--dump OUT]\n       \
         peer_wcs pixmap --hdr FILE --size S [--reps R] [--threads T] [--dump OUT]"
    );
    std::process::exit(2)
}

struct Args {
    mode: String,
    hdr: Option<String>,
    fits: Option<String>,
    ext: (String, i64),
    grid: (usize, usize, usize),
    size: usize,
    reps: usize,
    threads: usize,
    dump: Option<String>,
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let mode = it.next().unwrap_or_else(|| usage());
    let mut a = Args {
        mode,
        hdr: None,
        fits: None,
        ext: ("SCI".into(), 1),
        grid: (0, 0, 0),
        size: 4096,
        reps: 3,
        threads: 1,
        dump: None,
    };
    while let Some(flag) = it.next() {
        let val = it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--hdr" => a.hdr = Some(val),
            "--fits" => a.fits = Some(val),
            "--ext" => {
                let (n, v) = val.split_once(',').unwrap_or_else(|| usage());
                a.ext = (n.to_string(), v.parse().unwrap_or_else(|_| usage()));
            }
            "--grid" => {
                let v: Vec<usize> = val
                    .split(',')
                    .map(|s| s.parse().unwrap_or_else(|_| usage()))
                    .collect();
                if v.len() != 3 {
                    usage();
                }
                a.grid = (v[0], v[1], v[2]);
            }
            "--size" => a.size = val.parse().unwrap_or_else(|_| usage()),
            "--reps" => a.reps = val.parse().unwrap_or_else(|_| usage()),
            "--threads" => a.threads = val.parse().unwrap_or_else(|_| usage()),
            "--dump" => a.dump = Some(val),
            _ => usage(),
        }
    }
    a
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("peer_wcs: {what}: {e}");
    std::process::exit(1)
}

fn read_hdr(path: &str) -> Header {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(path, e));
    Header::parse_text(&text).unwrap_or_else(|e| fail(path, e))
}

fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    v[num - 1] = stop;
    v
}

/// CPU time of this process in seconds: the sum over its threads of the time spent on a
/// CPU (`/proc/self/task/*/schedstat`, nanoseconds), so that a machine shared with other
/// work does not count others' time. `NaN` where /proc is not available.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let mut ns: u64 = 0;
    for t in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(t.path().join("schedstat")) {
            ns += text
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
        }
    }
    ns as f64 * 1e-9
}

/// Best wall and best CPU seconds over `reps` runs of `f`.
fn time_best(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps.max(1) {
        let c0 = cpu_seconds();
        let t = Instant::now();
        f();
        wall = wall.min(t.elapsed().as_secs_f64());
        cpu = cpu.min(cpu_seconds() - c0);
    }
    (wall, cpu)
}

fn write_f64(path: &str, values: impl Iterator<Item = f64>) {
    let bytes: Vec<u8> = values.flat_map(f64::to_le_bytes).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| fail(path, e));
}

fn p2w(a: &Args) {
    let wcs = match (&a.hdr, &a.fits) {
        (Some(h), None) => {
            Wcs::from_header(&read_hdr(h)).unwrap_or_else(|e| fail("from_header", e))
        }
        (None, Some(f)) => {
            astro_fits::read_wcs(f, &a.ext.0, a.ext.1, ' ')
                .unwrap_or_else(|e| fail(f, e))
                .1
        }
        _ => usage(),
    };
    let (nx_img, ny_img, n) = a.grid;
    if n < 2 {
        usage();
    }
    let xs = linspace(0.0, nx_img as f64 - 1.0, n);
    let ys = linspace(0.0, ny_img as f64 - 1.0, n);
    let px: Vec<f64> = ys.iter().flat_map(|_| xs.iter().copied()).collect();
    let py: Vec<f64> = ys.iter().flat_map(|&y| std::iter::repeat_n(y, n)).collect();
    let mut out = None;
    let (best, cpu) = time_best(a.reps, || {
        let r = wcs
            .pixel_to_world_many(&px, &py)
            .unwrap_or_else(|e| fail("pixel_to_world_many", e));
        out = Some(r);
    });
    let (ra, dec) = out.expect("at least one repetition");
    if let Some(d) = &a.dump {
        write_f64(d, ra.iter().zip(&dec).flat_map(|(&r, &d)| [r, d]));
    }
    println!(
        "{{\"seconds\": {best}, \"cpu_seconds\": {cpu}, \"points\": {}, \"threads\": {}}}",
        px.len(),
        a.threads
    );
}

fn pixmap(a: &Args) {
    let header = read_hdr(a.hdr.as_deref().unwrap_or_else(|| usage()));
    let from = Wcs::from_header(&header).unwrap_or_else(|e| fail("from_header", e));
    // The output frame: the same header without SIP, projected TAN.
    let mut plain = header.clone();
    for k in ["A_ORDER", "B_ORDER", "AP_ORDER", "BP_ORDER"] {
        plain.remove(k);
    }
    plain.set("CTYPE1", "RA---TAN");
    plain.set("CTYPE2", "DEC--TAN");
    let to = Wcs::from_header(&plain).unwrap_or_else(|e| fail("output TAN WCS", e));
    let s = a.size;
    let mut mx = vec![0.0; s * s];
    let mut my = vec![0.0; s * s];
    let (best, cpu) = time_best(a.reps, || {
        let mapper = from
            .pixel_mapper(&to)
            .unwrap_or_else(|e| fail("pixel_mapper", e));
        mapper
            .map_tile(0, 0, s, s, &mut mx, &mut my)
            .unwrap_or_else(|e| fail("map_tile", e));
    });
    if let Some(d) = &a.dump {
        let mut v = Vec::new();
        for j in (0..s).step_by(64) {
            for i in (0..s).step_by(64) {
                v.push(mx[j * s + i]);
                v.push(my[j * s + i]);
            }
        }
        write_f64(d, v.into_iter());
    }
    println!(
        "{{\"seconds\": {best}, \"cpu_seconds\": {cpu}, \"pixels\": {}, \"threads\": {}}}",
        s * s,
        a.threads
    );
}

fn main() {
    let a = parse_args();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.max(1))
        .build()
        .unwrap_or_else(|e| fail("thread pool", e));
    pool.install(|| match a.mode.as_str() {
        "p2w" => p2w(&a),
        "pixmap" => pixmap(&a),
        _ => usage(),
    });
}
