//! Our side of the drizzle speed race run by `parity/scripts/bench_drizzle_peers.py`.
//!
//! ```text
//! peer_drizzle <square|turbo|point|gaussian|lanczos2|lanczos3|blot-<interp>>
//!              [--n 4096] [--nout 4996] [--angle 7] [--pixfrac 0.8] [--threads 1]
//!              [--pin 1]   # worker k of the pool pinned to CPU k
//!              [--start-at UNIX_SECONDS]  # wait until then to start the timed part
//!                                         # (this mode only; the others ignore it)
//! peer_drizzle twice-<kernel> [same options] [--adds 2]   # each add timed (diagnostics)
//! peer_drizzle fresh-<kernel> [same options] [--adds 2] # the timed part, repeated
//! peer_drizzle scaling-<kernel> [same options] [--adds 2] # 1 vs --threads, alternating
//! peer_drizzle map [same options]                        # the pixel map alone
//! peer_drizzle ceiling [--threads 1] [--iters 150000000]  # the machine's own scaling
//! ```
//!
//! Input: an N × N f32 image `sin(x/37) · cos(y/23) · 100 + 200` (the same formula as the
//! Python side), TAN WCS rotated by `--angle` degrees; output: TAN, north up, NOUT × NOUT,
//! same pixel scale and tangent point, centres aligned. The pixel map comes from the two WCS
//! (astro-wcs's TAN → TAN path), tile by tile, **inside the timing**. `blot-<interp>` first
//! drizzles (square, untimed) then times blotting the NOUT² result back onto the N² grid.
//! Prints one JSON line: seconds (wall), cpu_seconds (user + system, /proc), steal_ticks
//! (the host's steal time during the timed part, all vCPUs, 1/100 s), mpix_per_s (input pixels / s; blotted pixels for
//! blot), flux ratio Σ out·wht / Σ in, and a checksum.
//!
//! `ceiling` measures what this machine gives a second thread, not drizzle: a fixed amount
//! of pure arithmetic (`--iters` steps of eight register-held multiply-adds, no memory
//! traffic, nothing shared) split evenly over `--threads` threads and timed. Its
//! one-thread time over its two-thread time is the speed-up any code could get from a
//! second thread at that moment (2.0 on two idle cores of our own; less when the guest's
//! kernel packs the two threads onto one vCPU, see `pin_to_cpu`, or the host shares or
//! takes the cores). The race script runs it right after each of our runs, so that each
//! round's drizzle gain can be set beside the machine's.
//!
//! `--start-at` lets the race start two one-thread copies' timed parts at the same
//! instant (each copy on its own CPU): their times against one copy run alone are what
//! this machine gives two simultaneous runs of this very workload, memory traffic and
//! fresh output pages included, the ceiling of a two-thread run of it. The JSON line then
//! also gives `start_late_s`, how late the timed part started (0 when on time).

use astro_drizzle::{
    AddImageOptions, BlotOptions, Drizzle, DrizzleOptions, FillValue, Input, Kernel, PixelMap, blot,
};
use astro_wcs::Wcs;
use ndarray::Array2;
use std::time::Instant;

/// CPU time (user + system) of this process in seconds, from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |k: usize| f.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Ticks (1/100 s) the host's hypervisor ran something else while a vCPU of this virtual
/// machine wanted to run: the `steal` column of the `cpu` line of `/proc/stat`, summed
/// over all vCPUs (0 where the kernel does not account it).
fn steal_ticks() -> u64 {
    let s = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("cpu "))
        .and_then(|l| l.split_whitespace().nth(8))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `f()` timed: (wall seconds, CPU seconds of this process, the host's steal ticks, its
/// result).
fn measure<R>(f: impl FnOnce() -> R) -> (f64, f64, u64, R) {
    let (c0, s0) = (cpu_seconds(), steal_ticks());
    let t = Instant::now();
    let r = f();
    let secs = t.elapsed().as_secs_f64();
    (secs, cpu_seconds() - c0, steal_ticks() - s0, r)
}

/// Restrict the calling thread to CPU `k` (modulo the CPUs there are). For `--pin 1`:
/// this VM's kernel packs threads that have been idle onto one vCPU when they wake
/// (`sched_vcpu_pack`), so the two workers of a fresh pool can share one vCPU for the
/// first tens of milliseconds of a run (seen in `sched_switch` traces: 4 ms turns). Pinned,
/// each worker keeps a vCPU of its own, as `OMP_PROC_BIND` would do.
#[allow(unsafe_code)]
fn pin_to_cpu(k: usize) {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: `cpu_set_t` is plain data (all-zero is the empty set); CPU_SET writes within
    // it for an index below CPU_SETSIZE; sched_setaffinity(0, ...) only changes the calling
    // thread's affinity mask and reads the set we pass.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(k % n, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    // A run asked to be pinned must not go on unpinned.
    assert_eq!(
        rc,
        0,
        "pinning a worker to CPU {}: {}",
        k % n,
        std::io::Error::last_os_error()
    );
}

/// `iters` steps of eight independent `x·a + b` chains (`a`, `b` opaque to the
/// optimiser): a fixed amount of arithmetic on registers alone.
fn spin(iters: u64) -> f64 {
    let (a, b) = (
        std::hint::black_box(1.000_000_1f64),
        std::hint::black_box(1e-9f64),
    );
    let mut x = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    for _ in 0..iters {
        for v in &mut x {
            *v = *v * a + b;
        }
    }
    x.iter().sum()
}

/// [`spin`] of `total` steps split evenly over the `threads` threads of `pool`, one task
/// each, [`measure`]d.
fn ceiling(pool: &rayon::ThreadPool, threads: usize, total: u64) -> (f64, f64, u64, f64) {
    use rayon::prelude::*;
    let per = total / threads as u64;
    measure(|| {
        let sum: f64 = pool.install(|| {
            (0..threads)
                .into_par_iter()
                .with_max_len(1)
                .map(|_| spin(per))
                .sum()
        });
        std::hint::black_box(sum)
    })
}

/// Sleep until `at` (seconds since the Unix epoch); how late that was (0 if on time).
fn wait_until(at: f64) -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    if at > now {
        std::thread::sleep(std::time::Duration::from_secs_f64(at - now));
        0.0
    } else {
        now - at
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!(
            "usage: peer_drizzle <kernel|blot-INTERP> [--n N] [--nout N] [--angle DEG] [--pixfrac F] [--threads T]"
        );
        std::process::exit(2);
    }
    let what = args[1].clone();
    let mut n = 4096usize;
    let mut nout = 4996usize;
    let mut angle = 7.0f64;
    let mut pixfrac = 0.8f64;
    let mut threads = 1usize;
    let mut adds = 2usize;
    let mut iters = 150_000_000u64;
    let mut pin = false;
    let mut start_at: Option<f64> = None;
    let mut i = 2;
    while i + 1 < args.len() {
        let v = &args[i + 1];
        match args[i].as_str() {
            "--n" => n = v.parse().unwrap(),
            "--nout" => nout = v.parse().unwrap(),
            "--angle" => angle = v.parse().unwrap(),
            "--pixfrac" => pixfrac = v.parse().unwrap(),
            "--threads" => threads = v.parse().unwrap(),
            "--adds" => adds = v.parse().unwrap(),
            "--iters" => iters = v.parse().unwrap(),
            "--pin" => pin = v == "1",
            "--start-at" => start_at = Some(v.parse().unwrap()),
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    // `--pin 1`: worker k of every pool runs on CPU k only (see `pin_to_cpu`).
    let pool_of = |n: usize| {
        let b = rayon::ThreadPoolBuilder::new().num_threads(n);
        if pin { b.start_handler(pin_to_cpu) } else { b }
            .build()
            .unwrap()
    };
    let pool = pool_of(threads);
    if what == "ceiling" {
        let (secs, cpu, steal, _) = ceiling(&pool, threads, iters);
        println!(
            "{{\"what\": \"ceiling\", \"threads\": {threads}, \"seconds\": {secs:.4}, \"cpu_seconds\": {cpu:.2}, \"steal_ticks\": {steal}}}"
        );
        return;
    }
    let data = Array2::from_shape_fn((n, n), |(y, x)| {
        ((x as f64 / 37.0).sin() * (y as f64 / 23.0).cos() * 100.0 + 200.0) as f32
    });
    let s = 1e-5;
    let (c, sn) = (angle.to_radians().cos(), angle.to_radians().sin());
    let c_in = (n as f64 - 1.0) / 2.0;
    let c_out = (nout as f64 - 1.0) / 2.0;
    let w_in = Wcs::new_tan(
        (10.0, 20.0),
        (c_in, c_in),
        [[-s * c, s * sn], [s * sn, s * c]],
    )
    .unwrap();
    let w_out = Wcs::new_tan((10.0, 20.0), (c_out, c_out), [[-s, 0.0], [0.0, s]]).unwrap();
    let sum_in: f64 = data.iter().map(|&v| v as f64).sum();

    let drizzle_once = |kernel: Kernel, pf: f64| {
        let map = PixelMap::from_wcs(&w_in, &w_out, (n, n)).unwrap();
        let mut d = Drizzle::new(
            (nout, nout),
            DrizzleOptions {
                kernel,
                fillval: FillValue::Value(0.0),
                ..Default::default()
            },
        )
        .unwrap();
        d.add_image(
            &Input::new(data.view()),
            &map,
            &AddImageOptions {
                pixfrac: pf,
                pscale_ratio: Some(1.0),
                ..Default::default()
            },
        )
        .unwrap();
        d.finalize()
    };
    // A kernel's name, and the pixfrac it is raced with (1 for lanczos).
    let kernel_pixfrac = |name: &str| -> (Kernel, f64) {
        let kernel: Kernel = name.parse().unwrap();
        let pf = if matches!(kernel, Kernel::Lanczos2 | Kernel::Lanczos3) {
            1.0
        } else {
            pixfrac
        };
        (kernel, pf)
    };
    // The race's timed part on `p`, [`measure`]d.
    let timed = |p: &rayon::ThreadPool, kernel: Kernel, pf: f64| {
        measure(|| p.install(|| drizzle_once(kernel, pf)))
    };

    if let Some(k) = what.strip_prefix("scaling-") {
        // Diagnostics: the race's timed part alternately on one thread and on `--threads`
        // threads, `--adds` pairs in this process (runs a fraction of a second apart, so
        // the host's slow drifts of speed cancel in each pair's ratio), each run timed
        // with its CPU and the host's steal; then the median of the pairs' ratios.
        let (kernel, pf) = kernel_pixfrac(k);
        let one = pool_of(1);
        let mut ratios = Vec::new();
        let mut quiet = Vec::new();
        let mut ceilings = Vec::new();
        let mut full = Vec::new();
        // Each of our runs is followed by `ceiling` with its thread count (what the
        // machine gave a second thread at that moment), and the pairs alternate which
        // thread count runs first: a run that follows the other's release of its output
        // arrays may find that memory still backed by the host (this VM reports freed
        // memory to its host at once, and a first touch of memory the host took back costs
        // up to ~3 s per GB), so neither thread count may always come second.
        for k in 0..adds {
            let run_one = || {
                let (a, ca, sa, _) = timed(&one, kernel, pf);
                (a, ca, sa, ceiling(&one, 1, iters).0)
            };
            let run_many = || {
                let (b, cb, sb, _) = timed(&pool, kernel, pf);
                (b, cb, sb, ceiling(&pool, threads, iters).0)
            };
            let ((a, ca, sa, c1), (b, cb, sb, c2)) = if k % 2 == 0 {
                let x = run_one();
                (x, run_many())
            } else {
                let y = run_many();
                (run_one(), y)
            };
            let first = if k % 2 == 0 { 1 } else { threads };
            println!(
                "pair: 1 thread {a:.4} s cpu {ca:.2} steal {sa} | {threads} threads {b:.4} s cpu {cb:.2} steal {sb} | ratio {:.3} | ceiling {:.3} | first {first}",
                a / b,
                c1 / c2
            );
            ratios.push(a / b);
            ceilings.push(c1 / c2);
            if sa + sb == 0 {
                quiet.push(a / b);
            }
            if c1 / c2 >= 0.95 * threads as f64 {
                full.push(a / b);
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            match v.len() {
                0 => f64::NAN,
                n if n % 2 == 1 => v[n / 2],
                n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
            }
        };
        let (n_quiet, n_full) = (quiet.len(), full.len());
        println!(
            "{{\"what\": \"{what}\", \"threads\": {threads}, \"pairs\": {adds}, \"median_ratio\": {:.3}, \"pairs_without_steal\": {n_quiet}, \"median_ratio_without_steal\": {:.3}, \"median_ceiling\": {:.3}, \"pairs_with_full_ceiling\": {n_full}, \"median_ratio_with_full_ceiling\": {:.3}}}",
            median(&mut ratios),
            median(&mut quiet),
            median(&mut ceilings),
            median(&mut full)
        );
        return;
    }
    if let Some(k) = what.strip_prefix("fresh-") {
        // Diagnostics: the race's timed part (pixel map, new accumulator, one add,
        // finalize) `--adds` times in this process, each timed: many samples for A/B
        // comparisons without a new process (and input) per sample.
        let (kernel, pf) = kernel_pixfrac(k);
        for _ in 0..adds {
            let (secs, cpu, steal, out) = timed(&pool, kernel, pf);
            println!(
                "fresh: wall {secs:.4} cpu {cpu:.2} steal {steal} {}",
                out.sci[[nout / 2, nout / 2]]
            );
        }
        return;
    }
    if let Some(k) = what.strip_prefix("twice-") {
        // Diagnostics: the same image added `--adds` times (default twice) to one
        // accumulator, each add timed (later adds touch no fresh output page).
        let (kernel, pixfrac) = kernel_pixfrac(k);
        pool.install(|| {
            let map = PixelMap::from_wcs(&w_in, &w_out, (n, n)).unwrap();
            let t = Instant::now();
            let mut d = Drizzle::new(
                (nout, nout),
                DrizzleOptions {
                    kernel,
                    ..Default::default()
                },
            )
            .unwrap();
            let t_new = t.elapsed().as_secs_f64();
            for _ in 0..adds {
                let (secs, cpu, steal, _) = measure(|| {
                    d.add_image(
                        &Input::new(data.view()),
                        &map,
                        &AddImageOptions {
                            pixfrac,
                            pscale_ratio: Some(1.0),
                            ..Default::default()
                        },
                    )
                    .unwrap()
                });
                println!("add: wall {secs:.4} cpu {cpu:.2} steal {steal}");
            }
            let (secs, cpu, steal, out) = measure(|| d.finalize());
            println!(
                "new {t_new:.4} finalize: wall {secs:.4} cpu {cpu:.2} steal {steal} {}",
                out.sci[[0, 0]]
            );
        });
        return;
    }
    if what == "map" {
        // Pixel map alone, in bands of 256 rows as the kernels use it.
        let (secs, cpu, steal, acc) = measure(|| {
            pool.install(|| {
                let map = PixelMap::from_wcs(&w_in, &w_out, (n, n)).unwrap();
                let (mut xs, mut ys) = (vec![0.0; 256 * n], vec![0.0; 256 * n]);
                let mut acc = 0.0;
                for y0 in (0..n).step_by(256) {
                    let h = 256.min(n - y0);
                    map.map_tile(0, y0, n, h, &mut xs[..h * n], &mut ys[..h * n])
                        .unwrap();
                    acc += xs[0] + ys[h * n - 1];
                }
                acc
            })
        });
        println!(
            "{{\"what\": \"map\", \"threads\": {threads}, \"seconds\": {secs:.4}, \"cpu_seconds\": {cpu:.2}, \"steal_ticks\": {steal}, \"mpix_per_s\": {:.2}, \"checksum\": {acc:.6e}}}",
            (n * n) as f64 / secs / 1e6
        );
        return;
    }
    if let Some(interp) = what.strip_prefix("blot-") {
        let interp: astro_interp::Interpolant = interp.parse().unwrap();
        let out = pool.install(|| drizzle_once(Kernel::Square, pixfrac));
        let (secs, cpu, steal, b) = measure(|| {
            pool.install(|| {
                let map = PixelMap::from_wcs(&w_in, &w_out, (n, n)).unwrap();
                blot(
                    out.sci.view(),
                    &map,
                    &BlotOptions {
                        interp,
                        ..Default::default()
                    },
                )
                .unwrap()
            })
        });
        let checksum: f64 = b.iter().map(|&v| v as f64).sum();
        println!(
            "{{\"what\": \"{what}\", \"threads\": {threads}, \"seconds\": {secs:.4}, \"cpu_seconds\": {cpu:.2}, \"steal_ticks\": {steal}, \"mpix_per_s\": {:.2}, \"checksum\": {checksum:.6e}}}",
            (n * n) as f64 / secs / 1e6
        );
        return;
    }
    let (kernel, pf) = kernel_pixfrac(&what);
    let late = start_at.map_or(0.0, wait_until);
    let (secs, cpu, steal, out) = timed(&pool, kernel, pf);
    let flux: f64 = out
        .sci
        .iter()
        .zip(out.wht.iter())
        .map(|(&a, &w)| a as f64 * w as f64)
        .sum();
    let checksum: f64 = out.sci.iter().map(|&v| v as f64).sum();
    // FNV-1a over the bits of sci, wht and context: equal hashes mean bit-identical outputs.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |v: u32| {
        hash ^= v as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    out.sci.iter().for_each(|v| eat(v.to_bits()));
    out.wht.iter().for_each(|v| eat(v.to_bits()));
    if let Some(c) = &out.ctx {
        c.iter().for_each(|&v| eat(v as u32));
    }
    println!(
        "{{\"what\": \"{what}\", \"threads\": {threads}, \"seconds\": {secs:.4}, \"cpu_seconds\": {cpu:.2}, \"steal_ticks\": {steal}, \"mpix_per_s\": {:.2}, \"flux_ratio\": {:.7}, \"checksum\": {checksum:.6e}, \"hash\": \"{hash:016x}\", \"start_late_s\": {late:.3}}}",
        (n * n) as f64 / secs / 1e6,
        flux / sum_in
    );
}
