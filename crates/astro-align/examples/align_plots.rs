//! Writes the example diagnostics of docs/align/: offset histogram, residuals and
//! residual vectors for one synthetic and one real alignment.
//!
//! ```text
//! cargo run -p astro-align --features plots --example align_plots -- docs/align
//! ```
//! The real case needs ASTRO_TEST_DATA (ACS/HRC j8bt06nyq): sources detected on SCI,1,
//! the image's plain TAN WCS (pre-updatewcs) aligned to the same sources placed on the
//! sky by the distortion-corrected IDC solution (j8bt06nyq_sip_flt.fits, TAN-SIP order 4);
//! a `general` fit cannot absorb the distortion, which the residual plots show.

#![allow(clippy::needless_range_loop)]

use std::path::{Path, PathBuf};

use astro_align::plots::{plot_histogram, plot_residuals, plot_vectors};
use astro_align::{
    AlignOptions, AlignResult, Centroid, DetectOptions, FitGeometry, FitOptions, ImageCatalog,
    MatchOptions, TangentPlane, align_image, find_sources,
};
use astro_wcs::{Header, Wcs};
use ndarray::Array2;

fn plots(r: &AlignResult, dir: &Path, prefix: &str) -> astro_align::Result<()> {
    if let Some(h) = &r.matches.histogram {
        plot_histogram(h, &dir.join(format!("{prefix}_histogram.png")))?;
    }
    plot_residuals(r, &dir.join(format!("{prefix}_residuals.png")))?;
    plot_vectors(r, &dir.join(format!("{prefix}_vectors.png")))?;
    println!(
        "{prefix}: {:?}, {} pairs ({} used), shift {:?}, rot {:.5} deg, scale {:.6}, rms {:.4} px",
        r.matches.algorithm,
        r.matches.pairs.len(),
        r.fit.nfit(),
        r.fit.shift,
        r.fit.mean_rot,
        r.fit.mean_scale,
        r.fit.rmse
    );
    Ok(())
}

/// A small LCG so the example needs no RNG crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn synthetic(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let truth = Wcs::from_header(&Header::parse_text(
        "CTYPE1  = 'RA---TAN-SIP'\nCTYPE2  = 'DEC--TAN-SIP'\n\
         CRPIX1  = 256.5\nCRPIX2  = 240.0\nCRVAL1  = 5.6234\nCRVAL2  = -72.0712\n\
         CD1_1   = -1.278e-5\nCD1_2   = 5.43e-6\nCD2_1   = 5.43e-6\nCD2_2   = 1.278e-5\n\
         A_ORDER = 2\nB_ORDER = 2\nA_2_0   = 4.0e-6\nA_1_1   = -3.0e-6\nA_0_2   = 6.0e-6\n\
         B_2_0   = -2.0e-6\nB_1_1   = 5.0e-6\nB_0_2   = 2.0e-6\n",
    )?)?;
    let n = 512;
    let mut rng = Lcg(7);
    let sigma = 3.5 / 2.354_820_045;
    let mut img = Array2::<f32>::zeros((n, n));
    for v in img.iter_mut() {
        *v = (100.0 + 5.0 * rng.normal()) as f32;
    }
    let mut refcat = Vec::new();
    for _ in 0..250 {
        let (x, y) = (rng.next() * 572.0 - 30.0, rng.next() * 572.0 - 30.0);
        let amp = (3e4 + rng.next() * 2.7e5) / (2.0 * std::f64::consts::PI * sigma * sigma);
        refcat.push(truth.pixel_to_world(x, y)?);
        for j in (y - 8.0).max(0.0) as usize..((y + 8.0).max(0.0) as usize).min(n) {
            for i in (x - 8.0).max(0.0) as usize..((x + 8.0).max(0.0) as usize).min(n) {
                let r2 = (i as f64 - x).powi(2) + (j as f64 - y).powi(2);
                img[[j, i]] += (amp * (-r2 / (2.0 * sigma * sigma)).exp()) as f32;
            }
        }
    }
    // the WCS to correct: CRVAL moved by (7.3, -4.2) px, rotated 0.03 deg, scaled 1.0002
    let tp = TangentPlane::new(&truth);
    let (cx, cy) = truth.crpix();
    let (ra, dec) = tp.tanp_to_world(cx + 7.3, cy - 4.2)?;
    let (s, c) = 0.03f64.to_radians().sin_cos();
    let cd = truth.cd();
    let mut h = truth.to_header()?;
    h.set("CRVAL1", ra);
    h.set("CRVAL2", dec);
    for i in 0..2 {
        h.set(
            &format!("CD{}_1", i + 1),
            (cd[i][0] * c + cd[i][1] * s) * 1.0002,
        );
        h.set(
            &format!("CD{}_2", i + 1),
            (-cd[i][0] * s + cd[i][1] * c) * 1.0002,
        );
    }
    let guess = Wcs::from_header(&h)?;
    let det = find_sources(
        img.view(),
        None,
        &DetectOptions {
            threshold: 10.0,
            centroid: Centroid::Windowed,
            ..Default::default()
        },
    )?;
    let cat = ImageCatalog::new(
        "synthetic",
        guess,
        (n, n),
        det.sources.iter().map(|s| (s.x, s.y)).collect(),
    );
    let opts = AlignOptions {
        matching: MatchOptions {
            searchrad: 12.0,
            ..Default::default()
        },
        fit: FitOptions {
            fitgeom: FitGeometry::General,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = align_image(&cat, &refcat, &opts)?;
    plots(&r, dir, "synthetic")?;
    Ok(())
}

fn real(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let Ok(data) = std::env::var("ASTRO_TEST_DATA") else {
        println!("SKIP real case: ASTRO_TEST_DATA not set");
        return Ok(());
    };
    let base = PathBuf::from(data).join("hst/acs_hrc_j8bt06nyq");
    let (hdr, sci) = astro_fits::read_image_f32(base.join("j8bt06nyq_flt.fits"), ("SCI", 1))?;
    let tan = Wcs::from_header(&hdr)?;
    let sip_hdr = astro_fits::read_header(base.join("j8bt06nyq_sip_flt.fits"), ("SCI", 1))?;
    let sip = Wcs::from_header(&sip_hdr)?;
    let det = find_sources(
        sci.view(),
        None,
        &DetectOptions {
            conv_width: 2.5,
            threshold: 10.0,
            nbrightest: Some(1500),
            ..Default::default()
        },
    )?;
    let pix: Vec<(f64, f64)> = det.sources.iter().map(|s| (s.x, s.y)).collect();
    let refcat: Vec<(f64, f64)> = pix
        .iter()
        .map(|&(x, y)| sip.pixel_to_world(x, y))
        .collect::<Result<_, _>>()?;
    let cat = ImageCatalog::new("j8bt06nyq SCI,1 (TAN vs IDC SIP)", tan, (1024, 1024), pix);
    let opts = AlignOptions {
        matching: MatchOptions {
            searchrad: 30.0,
            tolerance: 3.0,
            ..Default::default()
        },
        fit: FitOptions {
            fitgeom: FitGeometry::General,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = align_image(&cat, &refcat, &opts)?;
    plots(&r, dir, "hrc_real")?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "docs/align".into()),
    );
    std::fs::create_dir_all(&dir)?;
    synthetic(&dir)?;
    real(&dir)?;
    Ok(())
}
