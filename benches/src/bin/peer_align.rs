//! Our side of the speed races run by `parity/scripts/bench_align_peers.py`.
//!
//! ```text
//! peer_align detect --image FILE --shape NY,NX --fwhm F --nsigma N --sigma S --background B [--reps R]
//! peer_align align --header FILE --image-xy FILE --ref-radec FILE --searchrad R --fitgeom G [--reps R]
//! ```
//!
//! `detect`: the image is little-endian f32 of shape (NY, NX); times `find_sources` (the
//! same FWHM / threshold / background / sigma as photutils' `DAOStarFinder`).
//! `align`: the WCS header is FITS cards as text, the catalogs are whitespace-separated
//! "x y" / "ra dec" lines; times `align_image` (tweakwcs `align_wcs` equivalent).
//! Best of `--reps` (default 3) wall seconds; prints one JSON line.

use std::time::Instant;

use astro_align::{
    AlignOptions, DetectOptions, FitOptions, ImageCatalog, MatchOptions, TriangleMode, align_image,
    find_sources,
};
use ndarray::Array2;

fn usage() -> ! {
    eprintln!(
        "usage: peer_align detect --image FILE --shape NY,NX --fwhm F --nsigma N --sigma S \
         --background B [--reps R]\n       peer_align align --header FILE --image-xy FILE \
         --ref-radec FILE --searchrad R --fitgeom G [--reps R]"
    );
    std::process::exit(2)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn num(args: &[String], name: &str) -> f64 {
    arg(args, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| usage())
}

fn pairs(path: &str) -> Vec<(f64, f64)> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|_| usage())
        .lines()
        .filter_map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .filter_map(|t| t.parse().ok())
                .collect();
            (v.len() >= 2).then(|| (v[0], v[1]))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps = arg(&args, "--reps")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize);
    match args.first().map(String::as_str) {
        Some("detect") => {
            let shape = arg(&args, "--shape").unwrap_or_else(|| usage());
            let s: Vec<usize> = shape.split(',').filter_map(|t| t.parse().ok()).collect();
            if s.len() != 2 {
                usage()
            }
            let bytes = std::fs::read(arg(&args, "--image").unwrap_or_else(|| usage()))
                .unwrap_or_else(|_| usage());
            let data: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let img = Array2::from_shape_vec((s[0], s[1]), data).unwrap_or_else(|_| usage());
            let opts = DetectOptions {
                conv_width: num(&args, "--fwhm"),
                threshold: num(&args, "--nsigma"),
                sigma: Some(num(&args, "--sigma")),
                background: Some(num(&args, "--background")),
                ..DetectOptions::default()
            };
            let mut best = f64::INFINITY;
            let mut n = 0;
            for _ in 0..reps {
                let t = Instant::now();
                let det = find_sources(img.view(), None, &opts).expect("find_sources");
                best = best.min(t.elapsed().as_secs_f64());
                n = det.sources.len();
            }
            println!(
                "{{\"task\": \"detect\", \"threads\": {}, \"seconds\": {best}, \"nsources\": {n}}}",
                rayon::current_num_threads()
            );
        }
        Some("align") => {
            let text = std::fs::read_to_string(arg(&args, "--header").unwrap_or_else(|| usage()))
                .unwrap_or_else(|_| usage());
            let header = astro_wcs::Header::parse_text(&text).expect("header");
            let wcs = astro_wcs::Wcs::from_header(&header).expect("wcs");
            let img = pairs(&arg(&args, "--image-xy").unwrap_or_else(|| usage()));
            let refc = pairs(&arg(&args, "--ref-radec").unwrap_or_else(|| usage()));
            let fitgeom = arg(&args, "--fitgeom")
                .and_then(|g| g.parse().ok())
                .unwrap_or_else(|| usage());
            let opts = AlignOptions {
                matching: MatchOptions {
                    searchrad: num(&args, "--searchrad"),
                    triangles: TriangleMode::Never,
                    ..MatchOptions::default()
                },
                fit: FitOptions {
                    fitgeom,
                    ..FitOptions::default()
                },
                ..AlignOptions::default()
            };
            let cat = ImageCatalog::new("peer", wcs, (1024, 1024), img);
            let mut best = f64::INFINITY;
            let mut n = 0;
            for _ in 0..reps {
                let t = Instant::now();
                let r = align_image(&cat, &refc, &opts).expect("align_image");
                best = best.min(t.elapsed().as_secs_f64());
                n = r.matches.pairs.len();
            }
            println!("{{\"task\": \"align\", \"seconds\": {best}, \"nmatches\": {n}}}");
        }
        _ => usage(),
    }
}
