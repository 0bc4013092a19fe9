//! Throughput of the tile-by-tile pixel map (TAN-SIP input → TAN output), as drizzle uses
//! it: `cargo run --release -p astro-wcs --example pixmap_speed [size] [threads]`.
//!
//! The input is a 4096² (default) ACS/WFC-like TAN-SIP WCS (order 4), the output a TAN
//! grid rotated by 7°; the map is generated in 512-row bands into one reusable buffer.

use astro_wcs::{Header, Wcs};
use std::time::Instant;

/// CPU time (user + system) of this process in seconds, from /proc/self/stat (Linux);
/// `None` elsewhere. Lets the throughput be judged on a shared, loaded machine.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(4096), |s| s.parse())?;
    let threads: usize = args.get(2).map_or(Ok(2), |s| s.parse())?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()?;
    let mut text = String::new();
    for (k, v) in [
        ("CTYPE1", "'RA---TAN-SIP'"),
        ("CTYPE2", "'DEC--TAN-SIP'"),
        ("CRPIX1", "2048.0"),
        ("CRPIX2", "1024.0"),
        ("CRVAL1", "5.63056810618"),
        ("CRVAL2", "-72.05457184279"),
        ("CD1_1", "1.29055156992758E-05"),
        ("CD1_2", "5.95250078565221E-06"),
        ("CD2_1", "5.02263821027651E-06"),
        ("CD2_2", "-1.2644844109546E-05"),
        ("A_ORDER", "4"),
        ("B_ORDER", "4"),
        ("A_0_2", "2.16615952976212E-06"),
        ("B_0_2", "-7.2168814507744E-06"),
        ("A_1_1", "-5.1974576466834E-06"),
        ("B_1_1", "6.18443235774478E-06"),
        ("A_2_0", "8.55127758255650E-06"),
        ("B_2_0", "-1.7464918770586E-06"),
        ("A_0_3", "1.08193519820265E-11"),
        ("B_0_3", "-4.1754720492749E-10"),
        ("A_1_2", "-5.2348707436924E-10"),
        ("B_1_2", "-6.1692652686813E-11"),
        ("A_2_1", "-3.9771547747287E-11"),
        ("B_2_1", "-5.0857161673862E-10"),
        ("A_3_0", "-4.7304448292227E-10"),
        ("B_3_0", "8.56763542781631E-11"),
        ("A_0_4", "1.49356171166048E-14"),
        ("B_0_4", "-9.9570490655478E-15"),
        ("A_1_3", "-2.4569975537746E-14"),
        ("B_1_3", "1.21743011568848E-14"),
        ("A_2_2", "3.46791267104378E-14"),
        ("B_2_2", "-3.6614325928657E-14"),
        ("A_3_1", "1.97102297166030E-15"),
        ("B_3_1", "-3.7795068054874E-15"),
        ("A_4_0", "2.37430106240231E-14"),
        ("B_4_0", "-1.7687653826004E-14"),
    ] {
        text.push_str(&format!("{k:<8}= {v}\n"));
    }
    let input = Wcs::from_header(&Header::parse_text(&text)?)?;
    let th = 7f64.to_radians();
    let s = 0.05 / 3600.0;
    let output = Wcs::new_tan(
        (5.6305, -72.0546),
        (2600.0, 2600.0),
        [[-s * th.cos(), s * th.sin()], [s * th.sin(), s * th.cos()]],
    )?;
    let mapper = input.pixel_mapper(&output)?;
    assert!(mapper.is_fast());
    let band = 512.min(n);
    let mut xo = vec![0.0; n * band];
    let mut yo = vec![0.0; n * band];
    let mut checksum = 0.0;
    let c0 = cpu_seconds();
    let t = Instant::now();
    let mut y0 = 0;
    while y0 < n {
        let rows = band.min(n - y0);
        let (bx, by) = (&mut xo[..n * rows], &mut yo[..n * rows]);
        mapper.map_tile(0, y0, n, rows, bx, by)?;
        checksum += bx[0] + by[n * rows - 1];
        y0 += rows;
    }
    let dt = t.elapsed().as_secs_f64();
    let mpix = (n * n) as f64 / dt / 1e6;
    println!(
        "fast TAN-SIP -> TAN pixmap {n}x{n} on {threads} threads: {dt:.3} s = {mpix:.1} Mpix/s (checksum {checksum:.6})"
    );
    if let (Some(a), Some(b)) = (c0, cpu_seconds()) {
        let cpu = b - a;
        println!(
            "  CPU time {cpu:.2} s = {:.1} ns/pixel/thread -> {:.1} Mpix/s on {threads} idle threads",
            cpu / (n * n) as f64 * 1e9,
            (n * n) as f64 / cpu * threads as f64 / 1e6
        );
    }

    // The general path (pixel -> world -> pixel) on a smaller grid, for comparison.
    let m = 512.min(n);
    let (mut gx, mut gy) = (vec![0.0; m * m], vec![0.0; m * m]);
    let (px, py): (Vec<f64>, Vec<f64>) = (0..m * m)
        .map(|k| ((k % m) as f64 * 8.0, (k / m) as f64 * 8.0))
        .unzip();
    let t = Instant::now();
    let mut worst: f64 = 0.0;
    for k in 0..m * m {
        let (l, b) = input.pixel_to_world(px[k], py[k])?;
        let (x, y) = output.world_to_pixel(l, b)?;
        gx[k] = x;
        gy[k] = y;
    }
    let dt = t.elapsed().as_secs_f64();
    for k in 0..m * m {
        let (fx, fy) = mapper.map_point(px[k], py[k]);
        worst = worst.max((fx - gx[k]).abs()).max((fy - gy[k]).abs());
    }
    println!(
        "general path (1 thread): {:.1} Mpix/s; max |fast - general| = {worst:.2e} px",
        (m * m) as f64 / dt / 1e6
    );

    // Batched pixel -> world on 1000 x 1000 points (what astropy's all_pix2world does).
    let (bx, by): (Vec<f64>, Vec<f64>) = (0..1_000_000)
        .map(|k| ((k % 1000) as f64 * 4.095, (k / 1000) as f64 * 2.047))
        .unzip();
    let c0 = cpu_seconds();
    let t = Instant::now();
    let (ra, _dec) = input.pixel_to_world_many(&bx, &by)?;
    let dt = t.elapsed().as_secs_f64();
    let cpu = match (c0, cpu_seconds()) {
        (Some(a), Some(b)) => format!(", CPU {:.0} ns/point", (b - a) / 1e6 * 1e9),
        _ => String::new(),
    };
    println!(
        "pixel_to_world_many 1e6 TAN-SIP points on {threads} threads: {dt:.3} s{cpu} (ra[0] = {})",
        ra[0]
    );
    Ok(())
}
