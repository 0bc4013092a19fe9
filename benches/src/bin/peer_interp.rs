//! Our side of the drizzle-blot speed race run by `parity/scripts/bench_interp_peers.py`.
//!
//! ```text
//! peer_interp --image FILE --pixmap FILE --shape NY,NX --out-shape NY,NX --interp NAME
//!             [--fillval V] [--reps R] [--dump OUT]
//! ```
//!
//! Reads the image (little-endian f32, `(NY, NX)`) and the pixel map (little-endian f64,
//! `(NY_OUT, NX_OUT, 2)`), builds an `Interpolator` with drizzle blot's semantics
//! (`InterpOptions::blot`) and times `eval_pixmap_into` (output allocated and touched once,
//! outside the timing), best of `--reps` (default 3). Threads: rayon's global pool, so set
//! `RAYON_NUM_THREADS`. Prints one JSON line
//! `{"interp": .., "threads": .., "seconds": best wall, "cpu_seconds": mean process CPU
//! time per run, "build_seconds": .., "mpix_per_s": .., "mpix_per_cpu_s": ..}`;
//! `--dump` writes the output as little-endian f32.

use std::time::Instant;

use astro_interp::{InterpOptions, Interpolant, Interpolator};
use ndarray::{Array2, Array3};

fn usage() -> ! {
    eprintln!(
        "usage: peer_interp --image FILE --pixmap FILE --shape NY,NX --out-shape NY,NX \
         --interp NAME [--fillval V] [--reps R] [--dump OUT]"
    );
    std::process::exit(2)
}

/// User + system CPU time of the whole process (all threads), from `/proc/self/stat`
/// (clock ticks of 10 ms; the machine is shared, so CPU time is steadier than wall time).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |k: usize| {
        f.get(k - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(14) + ticks(15)) / 100.0
}

fn pair(s: &str) -> (usize, usize) {
    let v: Vec<usize> = s
        .split(',')
        .map(|t| t.parse().unwrap_or_else(|_| usage()))
        .collect();
    if v.len() != 2 {
        usage()
    }
    (v[0], v[1])
}

fn main() {
    let mut image = None;
    let mut pixmap = None;
    let mut shape = None;
    let mut out_shape = None;
    let mut interp = None;
    let mut fillval = 0.0f32;
    let mut reps = 3usize;
    let mut dump = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--image" => image = Some(val()),
            "--pixmap" => pixmap = Some(val()),
            "--shape" => shape = Some(pair(&val())),
            "--out-shape" => out_shape = Some(pair(&val())),
            "--interp" => interp = Some(val()),
            "--fillval" => fillval = val().parse().unwrap_or_else(|_| usage()),
            "--reps" => reps = val().parse().unwrap_or_else(|_| usage()),
            "--dump" => dump = Some(val()),
            _ => usage(),
        }
    }
    let (Some(image), Some(pixmap), Some((ny, nx)), Some((ony, onx)), Some(interp)) =
        (image, pixmap, shape, out_shape, interp)
    else {
        usage()
    };
    let interp: Interpolant = interp.parse().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let bytes = std::fs::read(&image).expect("read image");
    let img: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let img = Array2::from_shape_vec((ny, nx), img).expect("image shape");
    let bytes = std::fs::read(&pixmap).expect("read pixmap");
    let pm: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let pm = Array3::from_shape_vec((ony, onx, 2), pm).expect("pixmap shape");

    let t0 = Instant::now();
    let it = Interpolator::new(img.view(), interp, InterpOptions::blot(interp, fillval))
        .expect("interpolator");
    let build = t0.elapsed().as_secs_f64();
    let mut out = Array2::<f32>::zeros((ony, onx));
    // Touch the output's pages before timing (zeros are mapped lazily): no first-run page
    // faults in the timed calls, as on the drizzle side.
    out.fill(1.0);
    let mut best = f64::INFINITY;
    let cpu0 = cpu_seconds();
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        it.eval_pixmap_into(pm.view(), out.view_mut())
            .expect("eval");
        best = best.min(t.elapsed().as_secs_f64());
    }
    let cpu = (cpu_seconds() - cpu0) / reps.max(1) as f64;
    if let Some(path) = dump {
        let mut b = Vec::with_capacity(out.len() * 4);
        for v in out.iter() {
            b.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(path, b).expect("write dump");
    }
    println!(
        "{{\"interp\": \"{}\", \"threads\": {}, \"seconds\": {:.6}, \"cpu_seconds\": {:.6}, \"build_seconds\": {:.6}, \"mpix_per_s\": {:.3}, \"mpix_per_cpu_s\": {:.3}}}",
        interp,
        rayon::current_num_threads(),
        best,
        cpu,
        build,
        (ony * onx) as f64 / best / 1e6,
        (ony * onx) as f64 / cpu / 1e6
    );
}
