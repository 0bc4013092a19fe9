//! `astro demo`: simulate a small dithered HST-like dataset, drizzle it end to end, and
//! report how well the pipeline recovered what was planted.
//!
//! [`simulate`] writes `n_exposures` multi-chip `*_flt.fits` files shaped like a small
//! ACS/WFC: two chips side by side in one focal plane with a gap, each with a TAN-SIP WCS
//! (a cubic focal-plane distortion of a few pixels at the corners), exposures dithered by
//! a few and fractional pixels, a different sky in each exposure, Poisson and read noise,
//! stars (two-component gaussian PSF, power-law fluxes, the brightest saturated and
//! bleeding along columns), two extended galaxies, bad columns and hot pixels flagged in
//! DQ, and cosmic rays (tracks and blobs, different in every exposure, not flagged).
//! Everything is deterministic for a seed. [`simulate_scene`] does the same and also
//! returns the truth: the noiseless [`Scene`] on the sky, each chip's WCS, sky and
//! cosmic-ray pixels.

use std::f64::consts::PI;
use std::fmt;
use std::path::{Path, PathBuf};

use astro_fits::FitsWriter;
use astro_wcs::{Header, Wcs};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Poisson};
use rayon::prelude::*;

use crate::config::DrizzleConfig;
use crate::error::{Error, Result};
use crate::exposure::Exposure;
use crate::inputs::InputFile;
use crate::preview::{write_preview, write_weight_preview};
use crate::products::ProductNames;

/// Pixel scale of the simulated detector (arcsec), as ACS/WFC.
pub const DEMO_PIXEL_SCALE: f64 = 0.05;
/// Full well of the simulated detector (e⁻): brighter pixels are saturated (DQ 256).
pub const DEMO_FULL_WELL: f64 = 80_000.0;
/// Read noise of the simulated detector (e⁻).
pub const DEMO_READ_NOISE: f64 = 4.0;
/// DQ bit of bad detector pixels (bad columns), as ACS.
pub const DQ_BAD_PIXEL: u16 = 4;
/// DQ bit of hot pixels, as ACS.
pub const DQ_HOT_PIXEL: u16 = 16;
/// DQ bit of full-well saturation, as ACS.
pub const DQ_SATURATED: u16 = 256;
/// A planted cosmic-ray pixel is *significant* when its charge is at least this many
/// times the pixel's noise (√(expected e⁻ + read noise²)).
pub const CR_SIGNIFICANT_SIGMA: f64 = 5.0;
/// A planted cosmic-ray pixel is *marginal* when its charge is between this many times
/// the noise and [`CR_SIGNIFICANT_SIGMA`].
pub const CR_MARGINAL_SIGMA: f64 = 2.0;

/// Position angle (east of north) of the detector's +y axis.
const ORIENTATION_DEG: f64 = 27.5;
/// Centre of the field (RA, Dec), degrees.
const FIELD_CENTRE: (f64, f64) = (150.1163, 2.2009);
/// Core PSF σ (arcsec) and the halo's σ (arcsec) and flux fraction.
const PSF_CORE_SIGMA: f64 = 0.05;
const PSF_HALO_SIGMA: f64 = 0.15;
const PSF_HALO_FRACTION: f64 = 0.15;
/// Half-width (pixels) of the chip the distortion coefficients are given for.
const DISTORTION_REFERENCE_HALF_WIDTH: f64 = 256.0;

/// Options of the demo ([`simulate`], `run_demo`).
///
/// ```
/// use astro_pipeline::DemoOptions;
/// let opts = DemoOptions { out_dir: "my_demo".into(), seed: 42, ..Default::default() };
/// assert_eq!(opts.n_exposures, 3);
/// assert_eq!(opts.chip_shape, (256, 512));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Directory of the simulated inputs and of the products (created if missing).
    pub out_dir: PathBuf,
    /// Number of dithered exposures (≥ 2 for `run_demo`: cosmic rays are found by
    /// comparing exposures).
    pub n_exposures: usize,
    /// Seed of every random draw: the same seed gives the same files.
    pub seed: u64,
    /// `(ny, nx)` of each of the two chips.
    pub chip_shape: (usize, usize),
    /// Number of stars in the field (two bright saturated ones are added).
    pub n_stars: usize,
    /// Number of extended galaxies.
    pub n_galaxies: usize,
    /// Cosmic-ray events per 1000 pixels per exposure.
    pub cr_density: f64,
    /// Threads (`None` = all cores).
    pub num_cores: Option<usize>,
    /// Print what is being done to standard error.
    pub verbose: bool,
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions {
            out_dir: PathBuf::from("astro_demo"),
            n_exposures: 3,
            seed: 1,
            chip_shape: (256, 512),
            n_stars: 300,
            n_galaxies: 2,
            cr_density: 0.6,
            num_cores: None,
            verbose: false,
        }
    }
}

impl DemoOptions {
    /// Check the options.
    ///
    /// # Errors
    ///
    /// [`Error::Parameter`] naming the option: `n_exposures` outside 1..=100,
    /// `chip_shape` sides outside 32..=4096, `cr_density` negative or above 20, or
    /// `num_cores = Some(0)`.
    ///
    /// ```
    /// use astro_pipeline::DemoOptions;
    /// assert!(DemoOptions::default().validate().is_ok());
    /// let bad = DemoOptions { chip_shape: (8, 8), ..Default::default() };
    /// assert!(bad.validate().unwrap_err().to_string().contains("chip_shape"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(1..=100).contains(&self.n_exposures) {
            return Err(Error::parameter(
                "n_exposures",
                format!("{} is outside 1..=100", self.n_exposures),
            ));
        }
        let (ny, nx) = self.chip_shape;
        if !(32..=4096).contains(&ny) || !(32..=4096).contains(&nx) {
            return Err(Error::parameter(
                "chip_shape",
                format!("({ny}, {nx}): each side must be in 32..=4096"),
            ));
        }
        if !(0.0..=20.0).contains(&self.cr_density) {
            return Err(Error::parameter(
                "cr_density",
                format!(
                    "{} is outside 0..=20 events per 1000 pixels",
                    self.cr_density
                ),
            ));
        }
        if self.num_cores == Some(0) {
            return Err(Error::parameter("num_cores", "must be at least 1"));
        }
        Ok(())
    }
}

/// A point source of the simulated scene.
///
/// ```
/// let s = astro_pipeline::Star { ra: 150.0, dec: 2.0, flux: 10.0 };
/// assert_eq!(s.flux, 10.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Star {
    /// Right ascension (degrees).
    pub ra: f64,
    /// Declination (degrees).
    pub dec: f64,
    /// Total flux (e⁻/s).
    pub flux: f64,
}

/// An extended galaxy of the simulated scene: an exponential disk plus a gaussian bulge,
/// both with the same centre, axis ratio and position angle.
///
/// ```
/// let g = astro_pipeline::Galaxy {
///     ra: 150.0, dec: 2.0, flux: 500.0, bulge_fraction: 0.3,
///     scale_length: 0.6, axis_ratio: 0.5, position_angle: 30.0,
/// };
/// assert!(g.bulge_fraction < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Galaxy {
    /// Right ascension of the centre (degrees).
    pub ra: f64,
    /// Declination of the centre (degrees).
    pub dec: f64,
    /// Total flux (e⁻/s).
    pub flux: f64,
    /// Fraction of the flux in the bulge.
    pub bulge_fraction: f64,
    /// Scale length of the disk along the major axis (arcsec); the bulge's σ is a quarter
    /// of it.
    pub scale_length: f64,
    /// Minor over major axis.
    pub axis_ratio: f64,
    /// Position angle of the major axis, east of north (degrees).
    pub position_angle: f64,
}

/// The noiseless sky of the demo: stars and galaxies, fluxes in e⁻/s, no sky background.
///
/// ```
/// use astro_pipeline::{Scene, Star};
/// use astro_wcs::Wcs;
/// let scene = Scene { stars: vec![Star { ra: 10.0, dec: 20.0, flux: 100.0 }], galaxies: vec![] };
/// let s = 0.05 / 3600.0;
/// let wcs = Wcs::new_tan((10.0, 20.0), (16.0, 16.0), [[-s, 0.0], [0.0, s]])?;
/// let image = scene.render(&wcs, (33, 33), 0.0)?;
/// assert!((image.sum() - 100.0).abs() < 0.1); // all the flux lands on the image
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    /// The stars.
    pub stars: Vec<Star>,
    /// The galaxies.
    pub galaxies: Vec<Galaxy>,
}

impl Scene {
    /// The scene seen through `wcs` on an image of `(ny, nx)` pixels, in e⁻/s per pixel:
    /// stars with the demo's PSF (a gaussian core of σ = 0.05″ plus a halo of σ = 0.15″
    /// holding 15 % of the flux, each widened in quadrature by `blur` pixels), integrated
    /// over each pixel; galaxies sampled 2×2 in each pixel through the WCS's local
    /// Jacobian at their centre. `blur = 0` is what the detector sees; a drizzled image is
    /// also smoothed by the input pixels (`blur` ≈ √(1/12) input pixels for the square
    /// kernel with `pixfrac = 1`).
    ///
    /// # Errors
    ///
    /// [`Error::Wcs`] when a source cannot be placed through `wcs`.
    ///
    /// # Examples
    ///
    /// See [`Scene`].
    pub fn render(&self, wcs: &Wcs, shape: (usize, usize), blur: f64) -> Result<Array2<f64>> {
        let mut image = Array2::<f64>::zeros(shape);
        let (ny, nx) = shape;
        let scale = wcs.pixel_scale(nx as f64 / 2.0, ny as f64 / 2.0)?;
        let width = |arcsec: f64| ((arcsec / scale).powi(2) + blur * blur).sqrt();
        let (core, halo) = (width(PSF_CORE_SIGMA), width(PSF_HALO_SIGMA));
        for s in &self.stars {
            let (x, y) = wcs.world_to_pixel(s.ra, s.dec)?;
            add_gaussian(&mut image, x, y, core, s.flux * (1.0 - PSF_HALO_FRACTION));
            add_gaussian(&mut image, x, y, halo, s.flux * PSF_HALO_FRACTION);
        }
        for g in &self.galaxies {
            add_galaxy(&mut image, wcs, g)?;
        }
        Ok(image)
    }
}

/// Truth about one simulated chip.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let opts = astro_pipeline::DemoOptions { out_dir: dir.path().into(), n_exposures: 1,
/// #     chip_shape: (64, 128), n_stars: 10, ..Default::default() };
/// let sim = astro_pipeline::simulate_scene(&opts)?;
/// let chip = &sim.exposures[0].chips[1];
/// assert_eq!(chip.extver, 2);
/// assert!(!chip.cr_pixels.is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SimulatedChip {
    /// `EXTVER` of its `SCI`/`ERR`/`DQ` extensions.
    pub extver: i64,
    /// The WCS written in its header (TAN-SIP).
    pub wcs: Wcs,
    /// The noiseless scene on the chip (e⁻ in the exposure, sky excluded).
    pub scene: Array2<f32>,
    /// Pixels `(y, x)` with a significant cosmic-ray charge ([`CR_SIGNIFICANT_SIGMA`])
    /// and no DQ flag.
    pub cr_pixels: Vec<(usize, usize)>,
    /// Pixels `(y, x)` with a marginal cosmic-ray charge ([`CR_MARGINAL_SIGMA`] up to
    /// [`CR_SIGNIFICANT_SIGMA`]) and no DQ flag.
    pub cr_marginal: Vec<(usize, usize)>,
    /// The DQ array written (bad columns, hot and saturated pixels).
    pub dq: Array2<u16>,
    /// Pixels with a non-zero DQ.
    pub dq_flagged: usize,
    /// Saturated pixels (DQ 256).
    pub saturated: usize,
}

/// Truth about one simulated exposure (file).
///
/// See [`SimulatedChip`] for an example.
#[derive(Debug, Clone)]
pub struct SimulatedExposure {
    /// The `*_flt.fits` file.
    pub path: PathBuf,
    /// Its `ROOTNAME`.
    pub rootname: String,
    /// Exposure time (s).
    pub exptime: f64,
    /// Sky level (e⁻ per pixel in the exposure), the same on both chips.
    pub sky: f64,
    /// Pointing offset from the first exposure, detector pixels `(x, y)`.
    pub dither: (f64, f64),
    /// The chips, `EXTVER` 1 and 2.
    pub chips: Vec<SimulatedChip>,
}

/// What [`simulate_scene`] wrote and the truth behind it.
///
/// See [`SimulatedChip`] for an example.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The noiseless scene on the sky.
    pub scene: Scene,
    /// The exposures, in file order.
    pub exposures: Vec<SimulatedExposure>,
}

impl Simulation {
    /// The input files, in order.
    ///
    /// ```
    /// # let sim = astro_pipeline::Simulation { scene: Default::default(), exposures: vec![] };
    /// assert!(sim.paths().is_empty());
    /// ```
    pub fn paths(&self) -> Vec<PathBuf> {
        self.exposures.iter().map(|e| e.path.clone()).collect()
    }
}

/// Write the demo's simulated `*_flt.fits` exposures into `opts.out_dir` and return
/// their paths. Existing files of the same names are replaced.
///
/// The files are shaped like a small ACS/WFC: two chips side by side in one focal plane
/// with a gap, each with a TAN-SIP WCS (a cubic focal-plane distortion of a few pixels at
/// the corners); exposures dithered by a few and fractional pixels; a different sky in
/// each exposure; Poisson and read noise; stars (two-component gaussian PSF, power-law
/// fluxes, the two brightest saturated and bleeding along columns); extended galaxies;
/// bad columns and hot pixels flagged in DQ; cosmic rays (tracks and blobs, different in
/// every exposure, not flagged). Deterministic for a seed, whatever the thread count.
///
/// # Errors
///
/// As [`simulate_scene`].
///
/// # Examples
///
/// ```
/// use astro_pipeline::{DemoOptions, simulate};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let opts = DemoOptions { out_dir: dir.path().into(), n_exposures: 2,
///                          chip_shape: (64, 128), n_stars: 20, ..Default::default() };
/// let files = simulate(&opts)?;
/// assert_eq!(files.len(), 2);
/// let hdus = astro_fits::list_hdus(&files[0])?;
/// assert_eq!(hdus.len(), 7); // PRIMARY, then SCI, ERR, DQ for each of the 2 chips
/// let (_, wcs) = astro_fits::read_wcs(&files[0], "SCI", 2, ' ')?;
/// assert!(wcs.sip().is_some());
/// # Ok(()) }
/// ```
pub fn simulate(opts: &DemoOptions) -> Result<Vec<PathBuf>> {
    simulate_scene(opts).map(|s| s.paths())
}

/// As [`simulate`], also returning the truth: the scene, and for each exposure and chip
/// its WCS, sky, and planted cosmic-ray pixels.
///
/// # Errors
///
/// As [`DemoOptions::validate`]; [`Error::Io`] when the output directory cannot be
/// created; [`Error::Fits`] when a file cannot be written; [`Error::Wcs`] for a WCS
/// failure (not expected with valid options).
///
/// # Examples
///
/// See [`SimulatedChip`].
pub fn simulate_scene(opts: &DemoOptions) -> Result<Simulation> {
    opts.validate()?;
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| Error::io(&opts.out_dir, e))?;
    let plane = FocalPlane::new(opts.chip_shape);
    let scene = make_scene(opts, &plane)?;
    let jobs: Vec<usize> = (0..opts.n_exposures).collect();
    let simulate_all = || {
        jobs.par_iter()
            .map(|&e| simulate_exposure(opts, &plane, &scene, e))
            .collect::<Result<Vec<_>>>()
    };
    let exposures = with_threads(opts.num_cores, simulate_all)??;
    Ok(Simulation { scene, exposures })
}

/// Run `f` on a pool of `num_cores` threads (the global pool when `None`).
pub(crate) fn with_threads<T: Send>(
    num_cores: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T> {
    match num_cores {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .map_err(|e| Error::parameter("num_cores", e.to_string()))?;
            Ok(pool.install(f))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Geometry

/// A polynomial `Σ c[p][q] u^p v^q`, `p + q ≤ 3`.
type Poly = [[f64; 4]; 4];

/// The two-chip focal plane: where each chip sits and the distortion.
struct FocalPlane {
    chip_shape: (usize, usize),
    /// Focal-plane y of each chip's centre.
    chip_offsets: [f64; 2],
    /// Distortion `ΔU(U, V)`, `ΔV(U, V)` in focal-plane pixels.
    du: Poly,
    dv: Poly,
    /// Linear part (degrees per pixel), detector +y at ORIENTATION_DEG east of north.
    cd: [[f64; 2]; 2],
}

impl FocalPlane {
    fn new(chip_shape: (usize, usize)) -> FocalPlane {
        let (ny, nx) = chip_shape;
        let gap = (ny as f64 / 32.0).max(4.0).round();
        let half = (ny as f64 + gap) / 2.0;
        // Coefficients for a 512-pixel-wide chip, rescaled so that the distortion at the
        // corners stays a few pixels whatever the chip size.
        let k = DISTORTION_REFERENCE_HALF_WIDTH / (nx as f64 / 2.0);
        let mut du = [[0.0; 4]; 4];
        let mut dv = [[0.0; 4]; 4];
        let terms_u = [
            (2, 0, 3.0e-5),
            (1, 1, -2.0e-5),
            (0, 2, 1.5e-5),
            (3, 0, -2.0e-8),
            (2, 1, 1.0e-8),
            (1, 2, -1.5e-8),
            (0, 3, 0.5e-8),
        ];
        let terms_v = [
            (2, 0, -1.2e-5),
            (1, 1, 2.5e-5),
            (0, 2, -3.0e-5),
            (3, 0, 0.8e-8),
            (2, 1, -1.8e-8),
            (1, 2, 1.2e-8),
            (0, 3, -2.0e-8),
        ];
        for (p, q, c) in terms_u {
            du[p][q] = c * k.powi((p + q) as i32 - 1);
        }
        for (p, q, c) in terms_v {
            dv[p][q] = c * k.powi((p + q) as i32 - 1);
        }
        let s = DEMO_PIXEL_SCALE / 3600.0;
        let (sin, cos) = ORIENTATION_DEG.to_radians().sin_cos();
        FocalPlane {
            chip_shape,
            chip_offsets: [-half, half],
            du,
            dv,
            cd: [[-s * cos, s * sin], [s * sin, s * cos]],
        }
    }

    /// Half extents of the focal plane (pixels).
    fn half_extent(&self) -> (f64, f64) {
        let (ny, nx) = self.chip_shape;
        (nx as f64 / 2.0, self.chip_offsets[1] + ny as f64 / 2.0)
    }

    /// The undistorted tangent-plane WCS of the focal plane pointed at `centre`, in
    /// focal-plane pixel coordinates (origin at the centre).
    fn tangent(&self, centre: (f64, f64)) -> Result<Wcs> {
        Ok(Wcs::new_tan(centre, (0.0, 0.0), self.cd)?)
    }

    /// The header cards (TAN-SIP) of chip `index` (0 or 1) with the focal plane pointed
    /// at `centre`.
    #[allow(clippy::needless_range_loop)] // polynomial exponents index the arrays
    fn chip_header(&self, index: usize, centre: (f64, f64)) -> Result<Header> {
        let (ny, nx) = self.chip_shape;
        let (cx, cy) = ((nx as f64 - 1.0) / 2.0, (ny as f64 - 1.0) / 2.0);
        let off = self.chip_offsets[index];
        // Chip pixel offsets (u, v) from (cx, cy) are focal-plane (U, V) = (u, v + off).
        let pu = shift_v(&self.du, off);
        let pv = shift_v(&self.dv, off);
        // U' = U + ΔU = c + L (u, v) + H(u, v)
        let c = (pu[0][0], off + pv[0][0]);
        let l = [[1.0 + pu[1][0], pu[0][1]], [pv[1][0], 1.0 + pv[0][1]]];
        let det = l[0][0] * l[1][1] - l[0][1] * l[1][0];
        let li = [
            [l[1][1] / det, -l[0][1] / det],
            [-l[1][0] / det, l[0][0] / det],
        ];
        let mut a = [[0.0; 4]; 4];
        let mut b = [[0.0; 4]; 4];
        for p in 0..4 {
            for q in 0..4 - p {
                if p + q >= 2 {
                    a[p][q] = li[0][0] * pu[p][q] + li[0][1] * pv[p][q];
                    b[p][q] = li[1][0] * pu[p][q] + li[1][1] * pv[p][q];
                }
            }
        }
        let crval = self.tangent(centre)?.pixel_to_world(c.0, c.1)?;
        let cd = [
            [
                self.cd[0][0] * l[0][0] + self.cd[0][1] * l[1][0],
                self.cd[0][0] * l[0][1] + self.cd[0][1] * l[1][1],
            ],
            [
                self.cd[1][0] * l[0][0] + self.cd[1][1] * l[1][0],
                self.cd[1][0] * l[0][1] + self.cd[1][1] * l[1][1],
            ],
        ];
        let mut h = Header::new();
        h.set("WCSAXES", 2i64);
        h.set("CTYPE1", "RA---TAN-SIP");
        h.set("CTYPE2", "DEC--TAN-SIP");
        h.set_with_comment("CRPIX1", cx + 1.0, "chip centre (1-based)");
        h.set_with_comment("CRPIX2", cy + 1.0, "chip centre (1-based)");
        h.set("CRVAL1", crval.0);
        h.set("CRVAL2", crval.1);
        h.set("CUNIT1", "deg");
        h.set("CUNIT2", "deg");
        h.set("CD1_1", cd[0][0]);
        h.set("CD1_2", cd[0][1]);
        h.set("CD2_1", cd[1][0]);
        h.set("CD2_2", cd[1][1]);
        h.set("RADESYS", "ICRS");
        h.set("WCSNAME", "DEMO-SIP");
        h.set_with_comment("A_ORDER", 3i64, "SIP polynomial order, axis 1");
        for p in 0..4 {
            for q in 0..4 - p {
                if p + q >= 2 {
                    h.set(&format!("A_{p}_{q}"), a[p][q]);
                }
            }
        }
        h.set_with_comment("B_ORDER", 3i64, "SIP polynomial order, axis 2");
        for p in 0..4 {
            for q in 0..4 - p {
                if p + q >= 2 {
                    h.set(&format!("B_{p}_{q}"), b[p][q]);
                }
            }
        }
        let orientat = cd[0][1].atan2(cd[1][1]).to_degrees();
        h.set_with_comment("ORIENTAT", orientat, "position angle of image y axis (deg)");
        h.set_with_comment("IDCSCALE", DEMO_PIXEL_SCALE, "pixel scale (arcsec)");
        Ok(h)
    }
}

/// `P(u, v + off)` as a polynomial in `(u, v)`.
#[allow(clippy::needless_range_loop)] // polynomial exponents index the arrays
fn shift_v(poly: &Poly, off: f64) -> Poly {
    let mut out = [[0.0; 4]; 4];
    for p in 0..4 {
        for q in 0..4 - p {
            let c = poly[p][q];
            if c == 0.0 {
                continue;
            }
            // (v + off)^q = Σ_j C(q, j) v^j off^(q-j)
            for j in 0..=q {
                out[p][j] += c * binomial(q, j) * off.powi((q - j) as i32);
            }
        }
    }
    out
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Pointing offset (detector pixels) of exposure `e`: a small pattern with fractional
/// steps, as the ACS dither boxes.
fn dither(e: usize) -> (f64, f64) {
    const PATTERN: [(f64, f64); 6] = [
        (0.0, 0.0),
        (2.5, 1.5),
        (5.25, 3.75),
        (-2.5, 4.25),
        (3.75, -2.25),
        (-4.5, -1.5),
    ];
    let (x, y) = PATTERN[e % PATTERN.len()];
    let round = (e / PATTERN.len()) as f64;
    (x + 0.33 * round, y + 0.67 * round)
}

// ---------------------------------------------------------------------------------------
// Random numbers

/// SplitMix64 mixing of the seed with a stream tag: independent, reproducible streams
/// for the scene, each chip's defects, each exposure's noise and cosmic rays.
fn stream(seed: u64, tag: u64) -> StdRng {
    let mut z = seed ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = z;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    };
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        chunk.copy_from_slice(&next().to_le_bytes());
    }
    StdRng::from_seed(key)
}

const TAG_SCENE: u64 = 1;
const TAG_DEFECTS: u64 = 100;
const TAG_EXPOSURE: u64 = 1000;
const TAG_NOISE: u64 = 100_000;
const TAG_CR: u64 = 200_000;

fn log_uniform(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

// ---------------------------------------------------------------------------------------
// Scene

fn make_scene(opts: &DemoOptions, plane: &FocalPlane) -> Result<Scene> {
    let mut rng = stream(opts.seed, TAG_SCENE);
    let tan = plane.tangent(FIELD_CENTRE)?;
    let (hx, hy) = plane.half_extent();
    let margin = 12.0;
    let place = |rng: &mut StdRng, inset: f64| -> Result<(f64, f64)> {
        let u = (rng.random::<f64>() * 2.0 - 1.0) * (hx + margin - inset);
        let v = (rng.random::<f64>() * 2.0 - 1.0) * (hy + margin - inset);
        Ok(tan.pixel_to_world(u, v)?)
    };
    let mut stars = Vec::with_capacity(opts.n_stars + 2);
    // Power law N(> F) ∝ F^-0.9 above 1 e⁻/s, capped.
    for _ in 0..opts.n_stars {
        let (ra, dec) = place(&mut rng, 0.0)?;
        let u: f64 = rng.random::<f64>().max(1e-12);
        let flux = (1.0 * u.powf(-1.0 / 0.9)).min(2.0e4);
        stars.push(Star { ra, dec, flux });
    }
    // Two bright stars that saturate and bleed.
    for f in [4000.0, 9000.0] {
        let (ra, dec) = place(&mut rng, hx.min(hy) * 0.3)?;
        stars.push(Star { ra, dec, flux: f });
    }
    let scale = opts.chip_shape.1 as f64 / 512.0;
    let mut galaxies = Vec::with_capacity(opts.n_galaxies);
    for i in 0..opts.n_galaxies {
        let (ra, dec) = place(&mut rng, hx.min(hy) * 0.4)?;
        let big = i % 2 == 0;
        galaxies.push(Galaxy {
            ra,
            dec,
            flux: if big { 900.0 } else { 350.0 }
                * scale
                * scale
                * (0.8 + 0.4 * rng.random::<f64>()),
            bulge_fraction: if big { 0.25 } else { 0.6 },
            scale_length: if big { 0.9 } else { 0.35 } * scale,
            axis_ratio: 0.35 + 0.5 * rng.random::<f64>(),
            position_angle: 180.0 * rng.random::<f64>(),
        });
    }
    Ok(Scene { stars, galaxies })
}

/// `Φ` differences: the fraction of a unit gaussian (centre `c`, σ) falling in each
/// pixel `lo..lo + n` (pixel `i` spans `i - 0.5 .. i + 0.5`).
fn pixel_fractions(c: f64, sigma: f64, lo: i64, n: usize) -> Vec<f64> {
    let k = 1.0 / (sigma * std::f64::consts::SQRT_2);
    let cdf = |t: f64| 0.5 * (1.0 + erf(t * k));
    (0..n)
        .map(|i| {
            let x = (lo + i as i64) as f64;
            (cdf(x + 0.5 - c) - cdf(x - 0.5 - c)).max(0.0)
        })
        .collect()
}

/// The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let y = 1.0 - poly * (-x * x).exp();
    if x < 0.0 { -y } else { y }
}

/// Add a pixel-integrated gaussian of total `flux` centred at `(x, y)`.
fn add_gaussian(image: &mut Array2<f64>, x: f64, y: f64, sigma: f64, flux: f64) {
    let (ny, nx) = image.dim();
    let r = (6.0 * sigma).ceil() + 1.0;
    if !(x.is_finite() && y.is_finite()) {
        return;
    }
    let x0 = ((x - r).floor() as i64).max(0);
    let x1 = ((x + r).ceil() as i64).min(nx as i64 - 1);
    let y0 = ((y - r).floor() as i64).max(0);
    let y1 = ((y + r).ceil() as i64).min(ny as i64 - 1);
    if x1 < x0 || y1 < y0 {
        return;
    }
    let fx = pixel_fractions(x, sigma, x0, (x1 - x0 + 1) as usize);
    let fy = pixel_fractions(y, sigma, y0, (y1 - y0 + 1) as usize);
    for (j, wy) in fy.iter().enumerate() {
        for (i, wx) in fx.iter().enumerate() {
            image[[y0 as usize + j, x0 as usize + i]] += flux * wy * wx;
        }
    }
}

/// Offsets (arcsec, east and north) of `(lon, lat)` from `(lon0, lat0)` on a small field.
fn sky_offset((lon0, lat0): (f64, f64), (lon, lat): (f64, f64)) -> (f64, f64) {
    let dlon = (lon - lon0 + 540.0).rem_euclid(360.0) - 180.0;
    (
        dlon * lat0.to_radians().cos() * 3600.0,
        (lat - lat0) * 3600.0,
    )
}

fn add_galaxy(image: &mut Array2<f64>, wcs: &Wcs, g: &Galaxy) -> Result<()> {
    let (ny, nx) = image.dim();
    let (xc, yc) = wcs.world_to_pixel(g.ra, g.dec)?;
    let centre = (g.ra, g.dec);
    let px = sky_offset(centre, wcs.pixel_to_world(xc + 1.0, yc)?);
    let py = sky_offset(centre, wcs.pixel_to_world(xc, yc + 1.0)?);
    let p0 = sky_offset(centre, wcs.pixel_to_world(xc, yc)?);
    // Jacobian: (east, north) arcsec per pixel step in x and y.
    let j = [[px.0 - p0.0, py.0 - p0.0], [px.1 - p0.1, py.1 - p0.1]];
    let area = (j[0][0] * j[1][1] - j[0][1] * j[1][0]).abs();
    let scale = area.sqrt();
    let h = g.scale_length;
    let sb = g.bulge_fraction.clamp(0.0, 1.0);
    let sigma_b = 0.25 * h;
    let q = g.axis_ratio.clamp(0.05, 1.0);
    let disk_norm = g.flux * (1.0 - sb) / (2.0 * PI * h * h * q);
    let bulge_norm = g.flux * sb / (2.0 * PI * sigma_b * sigma_b * q);
    let (sin, cos) = g.position_angle.to_radians().sin_cos();
    let r = (10.0 * h / scale).ceil();
    let x0 = ((xc - r).floor() as i64).max(0);
    let x1 = ((xc + r).ceil() as i64).min(nx as i64 - 1);
    let y0 = ((yc - r).floor() as i64).max(0);
    let y1 = ((yc + r).ceil() as i64).min(ny as i64 - 1);
    const SUB: [f64; 2] = [-0.25, 0.25];
    for y in y0..=y1 {
        for x in x0..=x1 {
            let mut sum = 0.0;
            for sy in SUB {
                for sx in SUB {
                    let dx = x as f64 + sx - xc;
                    let dy = y as f64 + sy - yc;
                    let east = j[0][0] * dx + j[0][1] * dy;
                    let north = j[1][0] * dx + j[1][1] * dy;
                    let major = east * sin + north * cos;
                    let minor = east * cos - north * sin;
                    let r2 = major * major + (minor / q) * (minor / q);
                    sum += disk_norm * (-r2.sqrt() / h).exp()
                        + bulge_norm * (-r2 / (2.0 * sigma_b * sigma_b)).exp();
                }
            }
            image[[y as usize, x as usize]] += sum / 4.0 * area;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Detector

/// One chip's pixels after the detector: data, error, DQ, and the CR truth.
struct ChipPixels {
    sci: Array2<f32>,
    err: Array2<f32>,
    dq: Array2<u16>,
    scene: Array2<f32>,
    cr_pixels: Vec<(usize, usize)>,
    cr_marginal: Vec<(usize, usize)>,
}

/// Fixed defects of chip `index`: bad columns (as column, first row) and hot pixels (as
/// `(y, x, e⁻/s)`), the same in every exposure.
struct Defects {
    bad_columns: Vec<(usize, usize)>,
    hot: Vec<(usize, usize, f64)>,
}

fn defects(seed: u64, index: usize, (ny, nx): (usize, usize)) -> Defects {
    let mut rng = stream(seed, TAG_DEFECTS + index as u64);
    let bad_columns = if index == 0 {
        vec![((nx * 3) / 10, 0)]
    } else {
        vec![((nx * 7) / 10, ny / 3)]
    };
    let n_hot = (ny * nx / 2000).max(3);
    let hot = (0..n_hot)
        .map(|_| {
            (
                rng.random_range(0..ny),
                rng.random_range(0..nx),
                log_uniform(&mut rng, 1.0, 20.0),
            )
        })
        .collect();
    Defects { bad_columns, hot }
}

fn simulate_chip(
    opts: &DemoOptions,
    scene: &Scene,
    wcs: &Wcs,
    index: usize,
    e: usize,
    exptime: f64,
    sky: f64,
) -> Result<ChipPixels> {
    let shape = opts.chip_shape;
    let (ny, nx) = shape;
    let tag = (e as u64) * 16 + index as u64;
    let rate = scene.render(wcs, shape, 0.0)?;
    let expected = rate.mapv(|r| r * exptime);
    let mut dq = Array2::<u16>::zeros(shape);
    let defects = defects(opts.seed, index, shape);
    let mut dark = Array2::<f64>::zeros(shape);
    for &(y, x, r) in &defects.hot {
        dark[[y, x]] += r * exptime;
        dq[[y, x]] |= DQ_HOT_PIXEL;
    }
    // Photon and read noise.
    let mut rng = stream(opts.seed, TAG_NOISE + tag);
    let read = Normal::new(0.0, DEMO_READ_NOISE)
        .map_err(|e| Error::parameter("read noise", e.to_string()))?;
    let mut counts = Array2::<f64>::zeros(shape);
    for ((c, &s), &d) in counts.iter_mut().zip(expected.iter()).zip(dark.iter()) {
        let lambda = s + sky + d;
        let n = if lambda > 0.0 {
            Poisson::new(lambda).map_or(lambda, |p| p.sample(&mut rng))
        } else {
            0.0
        };
        *c = n + read.sample(&mut rng);
    }
    // Saturation: charge above the full well bleeds up and down the column.
    for x in 0..nx {
        for y in 0..ny {
            let v = counts[[y, x]];
            if v <= DEMO_FULL_WELL {
                continue;
            }
            counts[[y, x]] = DEMO_FULL_WELL;
            dq[[y, x]] |= DQ_SATURATED;
            let mut up = (v - DEMO_FULL_WELL) / 2.0;
            let mut down = up;
            let mut j = y + 1;
            while up > 0.0 && j < ny {
                let room = (DEMO_FULL_WELL - counts[[j, x]]).max(0.0);
                let take = room.min(up);
                counts[[j, x]] += take;
                up -= take;
                if counts[[j, x]] >= DEMO_FULL_WELL {
                    dq[[j, x]] |= DQ_SATURATED;
                }
                j += 1;
            }
            let mut j = y;
            while down > 0.0 && j > 0 {
                j -= 1;
                let room = (DEMO_FULL_WELL - counts[[j, x]]).max(0.0);
                let take = room.min(down);
                counts[[j, x]] += take;
                down -= take;
                if counts[[j, x]] >= DEMO_FULL_WELL {
                    dq[[j, x]] |= DQ_SATURATED;
                }
            }
        }
    }
    // Bad columns read low and noisy.
    for &(x, y_start) in &defects.bad_columns {
        for y in y_start..ny {
            counts[[y, x]] = 0.2 * (expected[[y, x]] + sky) + read.sample(&mut rng);
            dq[[y, x]] |= DQ_BAD_PIXEL;
        }
    }
    // Cosmic rays: unflagged.
    let mut cr = Array2::<f64>::zeros(shape);
    let mut rng = stream(opts.seed, TAG_CR + tag);
    let mean_events = opts.cr_density * (ny * nx) as f64 / 1000.0;
    let n_events = if mean_events > 0.0 {
        Poisson::new(mean_events).map_or(mean_events, |p| p.sample(&mut rng)) as usize
    } else {
        0
    };
    for _ in 0..n_events {
        let x = rng.random::<f64>() * nx as f64 - 0.5;
        let y = rng.random::<f64>() * ny as f64 - 0.5;
        if rng.random::<f64>() < 0.4 {
            // A blob: 300..8000 e⁻ in a compact spot.
            let energy = log_uniform(&mut rng, 300.0, 8000.0);
            let sigma = 0.35 + 0.4 * rng.random::<f64>();
            add_gaussian(&mut cr, x, y, sigma, energy);
        } else {
            // A track: 150..1500 e⁻ per pixel of length, 1..40 pixels long.
            let de = log_uniform(&mut rng, 150.0, 1500.0);
            let length = (1.0 - 4.0 * rng.random::<f64>().max(1e-12).ln()).min(40.0);
            let angle = rng.random::<f64>() * PI;
            let (s, c) = angle.sin_cos();
            let steps = (length / 0.1).ceil() as usize;
            for k in 0..=steps {
                let t = k as f64 * 0.1 - length / 2.0;
                deposit_bilinear(&mut cr, x + t * c, y + t * s, de * 0.1);
            }
        }
    }
    let mut cr_pixels = Vec::new();
    let mut cr_marginal = Vec::new();
    for ((y, x), &d) in cr.indexed_iter() {
        if d <= 0.0 || dq[[y, x]] != 0 {
            continue;
        }
        let noise =
            (expected[[y, x]] + sky + dark[[y, x]] + DEMO_READ_NOISE * DEMO_READ_NOISE).sqrt();
        if d >= CR_SIGNIFICANT_SIGMA * noise {
            cr_pixels.push((y, x));
        } else if d >= CR_MARGINAL_SIGMA * noise {
            cr_marginal.push((y, x));
        }
    }
    let sci = Array2::from_shape_fn(shape, |(y, x)| {
        (counts[[y, x]] + cr[[y, x]]).min(DEMO_FULL_WELL) as f32
    });
    let err =
        sci.mapv(|v| (f64::from(v).max(0.0) + DEMO_READ_NOISE * DEMO_READ_NOISE).sqrt() as f32);
    Ok(ChipPixels {
        sci,
        err,
        dq,
        scene: expected.mapv(|v| v as f32),
        cr_pixels,
        cr_marginal,
    })
}

/// Spread `charge` at `(x, y)` over the four nearest pixels.
fn deposit_bilinear(image: &mut Array2<f64>, x: f64, y: f64, charge: f64) {
    let (ny, nx) = image.dim();
    let (fx, fy) = (x.floor(), y.floor());
    let (tx, ty) = (x - fx, y - fy);
    for (dy, wy) in [(0i64, 1.0 - ty), (1, ty)] {
        for (dx, wx) in [(0i64, 1.0 - tx), (1, tx)] {
            let (px, py) = (fx as i64 + dx, fy as i64 + dy);
            if px >= 0 && py >= 0 && (px as usize) < nx && (py as usize) < ny {
                image[[py as usize, px as usize]] += charge * wx * wy;
            }
        }
    }
}

fn simulate_exposure(
    opts: &DemoOptions,
    plane: &FocalPlane,
    scene: &Scene,
    e: usize,
) -> Result<SimulatedExposure> {
    let mut rng = stream(opts.seed, TAG_EXPOSURE + e as u64);
    let exptime = 400.0 + 10.0 * ((e * 7) % 5) as f64;
    let sky = 30.0 + 30.0 * rng.random::<f64>();
    let offset = dither(e);
    let pointing = plane
        .tangent(FIELD_CENTRE)?
        .pixel_to_world(offset.0, offset.1)?;
    let rootname = format!("jdemo{:03}q", e + 1);
    let path = opts.out_dir.join(format!("{rootname}_flt.fits"));

    let mut primary = Header::new();
    primary.set_with_comment("ORIGIN", "astro-pipeline demo", "simulated data");
    primary.set("TELESCOP", "HST");
    primary.set("INSTRUME", "ACS");
    primary.set("DETECTOR", "WFC");
    primary.set("FILTER1", "F606W");
    primary.set("FILTER2", "CLEAR2L");
    primary.set("OBSTYPE", "IMAGING");
    primary.set("TARGNAME", "DEMO-FIELD");
    primary.set("ROOTNAME", rootname.as_str());
    primary.set("FILENAME", format!("{rootname}_flt.fits"));
    primary.set("NEXTEND", 6i64);
    primary.set_with_comment("EXPTIME", exptime, "exposure time (s)");
    let start = 61000.25 + e as f64 * 0.01;
    primary.set("EXPSTART", start);
    primary.set("EXPEND", start + exptime / 86400.0);
    primary.set("RA_TARG", pointing.0);
    primary.set("DEC_TARG", pointing.1);
    primary.set("PA_V3", ORIENTATION_DEG);
    primary.set("CCDAMP", "ABCD");
    primary.set("CCDGAIN", 2.0);
    for amp in ['A', 'B', 'C', 'D'] {
        primary.set(&format!("ATODGN{amp}"), 2.0);
        primary.set(&format!("READNSE{amp}"), DEMO_READ_NOISE);
    }
    primary.set_with_comment("SIMSKY", sky, "simulated sky (e-/pixel)");
    primary.set_with_comment("SIMSEED", opts.seed as i64, "seed of the simulation");
    primary.push(astro_wcs::Card::commentary(
        "HISTORY",
        "Simulated by astro-pipeline's demo: not real data.",
    ));

    let mut writer = FitsWriter::create(&path, true)?;
    writer.write_primary(Some(&primary))?;
    let mut chips = Vec::with_capacity(2);
    for index in 0..2 {
        let extver = index as i64 + 1;
        let wcs_header = plane.chip_header(index, pointing)?;
        let wcs = Wcs::from_header(&wcs_header)?;
        let px = simulate_chip(opts, scene, &wcs, index, e, exptime, sky)?;
        let mut sci = wcs_header.clone();
        sci.set("BUNIT", "ELECTRONS");
        sci.set_with_comment("CCDCHIP", 2 - index as i64, "CCD chip (1 or 2)");
        sci.set("EXPNAME", rootname.as_str());
        writer.write_image("SCI", extver, &sci, px.sci.view())?;
        let mut err = wcs_header.clone();
        err.set("BUNIT", "ELECTRONS");
        writer.write_image("ERR", extver, &err, px.err.view())?;
        writer.write_image("DQ", extver, &wcs_header, px.dq.view())?;
        chips.push(SimulatedChip {
            extver,
            wcs,
            scene: px.scene,
            cr_pixels: px.cr_pixels,
            cr_marginal: px.cr_marginal,
            dq_flagged: px.dq.iter().filter(|&&d| d != 0).count(),
            saturated: px.dq.iter().filter(|&&d| d & DQ_SATURATED != 0).count(),
            dq: px.dq,
        });
    }
    writer.finish()?;
    Ok(SimulatedExposure {
        path,
        rootname,
        exptime,
        sky,
        dither: offset,
        chips,
    })
}

impl fmt::Display for Simulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "simulated {} exposures: {} stars, {} galaxies",
            self.exposures.len(),
            self.scene.stars.len(),
            self.scene.galaxies.len()
        )?;
        for e in &self.exposures {
            let cr: usize = e.chips.iter().map(|c| c.cr_pixels.len()).sum();
            let sat: usize = e.chips.iter().map(|c| c.saturated).sum();
            writeln!(
                f,
                "  {}  EXPTIME {:.0} s  sky {:.1} e-  dither ({:+.2}, {:+.2}) px  {} CR pixels  {} saturated",
                e.path.display(),
                e.exptime,
                e.sky,
                e.dither.0,
                e.dither.1,
                cr,
                sat
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The demo: simulate, run, compare with the truth

/// Stem of the demo's products (`<out_dir>/demo_drz_sci.fits`...).
pub const DEMO_OUTPUT: &str = "demo";

/// One simulated input and the sky the pipeline found in it.
///
/// See [`DemoReport`].
#[derive(Debug, Clone, PartialEq)]
pub struct DemoInput {
    /// The `*_flt.fits` file.
    pub path: PathBuf,
    /// Exposure time (s).
    pub exptime: f64,
    /// Pointing offset from the first exposure, detector pixels `(x, y)`.
    pub dither: (f64, f64),
    /// The simulated sky (e⁻ per pixel).
    pub sky_simulated: f64,
    /// The sky the pipeline subtracted from each chip (`MDRIZSKY`, e⁻ per pixel).
    pub sky_recovered: Vec<f64>,
}

/// How many planted cosmic-ray pixels the pipeline flagged.
///
/// ```
/// let cr = astro_pipeline::CrRecovery { planted: 200, flagged: 190, ..Default::default() };
/// assert_eq!(cr.fraction(), 0.95);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CrRecovery {
    /// Significant planted CR pixels ([`CR_SIGNIFICANT_SIGMA`], no DQ flag).
    pub planted: usize,
    /// Of those, flagged by the pipeline.
    pub flagged: usize,
    /// Marginal planted CR pixels ([`CR_MARGINAL_SIGMA`] to [`CR_SIGNIFICANT_SIGMA`]).
    pub marginal_planted: usize,
    /// Of those, flagged by the pipeline.
    pub marginal_flagged: usize,
    /// Pixels without a DQ flag that the pipeline flagged but that hold no significant or
    /// marginal planted charge (faint track edges, star cores, noise).
    pub other_flagged: usize,
    /// Pixels without a DQ flag in all the chips.
    pub good_pixels: usize,
}

impl CrRecovery {
    /// `flagged / planted` (1 when nothing was planted).
    ///
    /// ```
    /// assert_eq!(astro_pipeline::CrRecovery::default().fraction(), 1.0);
    /// ```
    pub fn fraction(&self) -> f64 {
        if self.planted == 0 {
            1.0
        } else {
            self.flagged as f64 / self.planted as f64
        }
    }
}

/// The final image against the noiseless truth rendered on the same frame.
///
/// See [`DemoReport`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FinalComparison {
    /// Pixels compared (finite, weight > 0).
    pub pixels: usize,
    /// Median of final − truth (e⁻/s per pixel).
    pub median_residual: f64,
    /// Robust standard deviation of final − truth (1.4826 × MAD, e⁻/s per pixel): the
    /// noise of the final image.
    pub noise: f64,
    /// Isolated, bright, unsaturated stars measured.
    pub stars: usize,
    /// Median over those stars of the aperture flux (radius 6 pixels, local sky
    /// subtracted) in the final image over that in the truth; `None` without stars.
    pub flux_ratio: Option<f64>,
}

impl FinalComparison {
    /// `median_residual / noise`.
    ///
    /// ```
    /// let c = astro_pipeline::FinalComparison { median_residual: 0.01, noise: 0.1, ..Default::default() };
    /// assert!((c.residual_sigma() - 0.1).abs() < 1e-12);
    /// ```
    pub fn residual_sigma(&self) -> f64 {
        if self.noise > 0.0 {
            self.median_residual / self.noise
        } else {
            0.0
        }
    }
}

/// What [`run_demo`] did and measured; its `Display` is the demo's printout.
///
/// ```no_run
/// let report = astro_pipeline::run_demo(&astro_pipeline::DemoOptions::default())?;
/// println!("{report}");
/// assert!(report.cosmic_rays.fraction() > 0.9);
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    /// The demo's directory.
    pub out_dir: PathBuf,
    /// `(ny, nx)` of each chip.
    pub chip_shape: (usize, usize),
    /// The simulated inputs.
    pub inputs: Vec<DemoInput>,
    /// Every file the pipeline wrote and kept (products, intermediates, log).
    pub products: Vec<PathBuf>,
    /// The PNG previews of the final image and weight map.
    pub previews: Vec<PathBuf>,
    /// The log file.
    pub log: Option<PathBuf>,
    /// `(ny, nx)` of the final image.
    pub output_shape: (usize, usize),
    /// Cosmic-ray recovery.
    pub cosmic_rays: CrRecovery,
    /// Final image against the truth.
    pub final_vs_truth: FinalComparison,
    /// `(what, seconds)`: simulation, each pipeline step, comparison, total.
    pub timings: Vec<(String, f64)>,
}

/// Simulate the demo's dataset ([`simulate_scene`]) in `opts.out_dir`, drizzle it with
/// AstroDrizzle's defaults ([`run`](crate::run); products `<out_dir>/demo_drz_*.fits`,
/// intermediates kept, log `<out_dir>/demo.log`), write the PNG previews, and compare
/// the results with the truth: planted cosmic-ray pixels flagged, sky recovered, final
/// image against the noiseless scene. Print the returned report to show it all.
///
/// # Errors
///
/// [`Error::Parameter`] (`n_exposures`) for fewer than 2 exposures, and as
/// [`simulate_scene`] and [`run`](crate::run).
///
/// # Examples
///
/// ```no_run
/// use astro_pipeline::{DemoOptions, run_demo};
/// let report = run_demo(&DemoOptions { out_dir: "astro_demo".into(), ..Default::default() })?;
/// println!("{report}");
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
pub fn run_demo(opts: &DemoOptions) -> Result<DemoReport> {
    if opts.n_exposures < 2 {
        return Err(Error::parameter(
            "n_exposures",
            format!(
                "{}: the demo needs at least 2 exposures (cosmic rays are found by comparing them)",
                opts.n_exposures
            ),
        ));
    }
    let start = std::time::Instant::now();
    let say = |what: &str| {
        if opts.verbose {
            eprintln!("astro demo: {what}");
        }
    };
    say(&format!(
        "simulating {} exposures in {}",
        opts.n_exposures,
        opts.out_dir.display()
    ));
    let sim = simulate_scene(opts)?;
    let mut timings = vec![("simulate".to_string(), start.elapsed().as_secs_f64())];

    say("drizzling (AstroDrizzle's seven steps)");
    let cfg = demo_config(opts, &sim)?;
    let t = std::time::Instant::now();
    let summary = crate::run(&cfg)?;
    let run_seconds = t.elapsed().as_secs_f64();
    for (step, seconds) in &summary.timings {
        if step != "total" {
            timings.push((format!("pipeline: {step}"), *seconds));
        }
    }
    timings.push(("pipeline (total)".to_string(), run_seconds));

    say("comparing with the truth");
    let t = std::time::Instant::now();
    let inputs: Vec<InputFile> = sim
        .paths()
        .into_iter()
        .map(|path| InputFile { path, ivm: None })
        .collect();
    let exposures = inputs
        .iter()
        .map(|i| Exposure::load(i, &cfg))
        .collect::<Result<Vec<_>>>()?;
    let names = ProductNames::new(&cfg, &exposures)?;
    let final_files = names.final_files();
    let (sci_path, wht_path) = (final_files[0].clone(), final_files[1].clone());
    let mut reader = astro_fits::FitsReader::open(&sci_path)?;
    let (_, final_wcs) = reader.read_wcs(0usize, ' ')?;
    let final_sci = reader.read_image_f32(0usize)?;
    let final_wht = astro_fits::read_image_f32(&wht_path, 0usize)?.1;

    let mut products = summary.products.clone();
    let previews = vec![names.preview_sci(), names.preview_wht()];
    if !previews.iter().all(|p| products.contains(p)) {
        write_preview(&previews[0], final_sci.view(), Some(final_wht.view()))?;
        write_weight_preview(&previews[1], final_wht.view())?;
    }
    products.retain(|p| !previews.contains(p));

    let mut masks = Vec::with_capacity(exposures.len());
    for e in &exposures {
        let mut chips = Vec::with_capacity(e.chips.len());
        for c in &e.chips {
            chips.push(read_cr_mask(&names.cr_mask(e, c.extver))?);
        }
        masks.push(chips);
    }
    let cosmic_rays = cr_recovery(&sim, &masks);
    let final_vs_truth = compare_final(
        &sim.scene,
        &final_wcs,
        &final_sci,
        &final_wht,
        DEMO_PIXEL_SCALE,
    )?;
    timings.push((
        "compare with the truth".to_string(),
        t.elapsed().as_secs_f64(),
    ));
    timings.push(("total".to_string(), start.elapsed().as_secs_f64()));

    let inputs = sim
        .exposures
        .iter()
        .enumerate()
        .map(|(i, e)| DemoInput {
            path: e.path.clone(),
            exptime: e.exptime,
            dither: e.dither,
            sky_simulated: e.sky,
            sky_recovered: summary.skies.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(DemoReport {
        out_dir: opts.out_dir.clone(),
        chip_shape: opts.chip_shape,
        inputs,
        products,
        previews,
        log: summary.log.clone(),
        output_shape: final_sci.dim(),
        cosmic_rays,
        final_vs_truth,
        timings,
    })
}

/// The demo's configuration: AstroDrizzle's defaults, the simulated files as input, the
/// products in the demo directory, the intermediates kept.
fn demo_config(opts: &DemoOptions, sim: &Simulation) -> Result<DrizzleConfig> {
    let text = |p: &Path| {
        p.to_str().map(str::to_string).ok_or_else(|| Error::Output {
            path: p.to_path_buf(),
            reason: "the demo directory's name is not UTF-8".into(),
        })
    };
    let input = sim
        .paths()
        .iter()
        .map(|p| text(p))
        .collect::<Result<Vec<_>>>()?
        .join(",");
    Ok(DrizzleConfig {
        input,
        output: text(&opts.out_dir.join(DEMO_OUTPUT))?,
        runfile: text(&opts.out_dir.join(format!("{DEMO_OUTPUT}.log")))?,
        num_cores: opts.num_cores,
        in_memory: false,
        clean: false,
        previews: true,
        progress: false,
        ..DrizzleConfig::default()
    })
}

/// A CR mask written by the pipeline, as `true` = cosmic ray. AstroDrizzle's
/// `_crmask.fits` convention is 1 = good, 0 = cosmic ray.
fn read_cr_mask(path: &Path) -> Result<Array2<bool>> {
    let (_, mask) = astro_fits::read_image::<u8>(path, 0usize)?;
    Ok(mask.mapv(|m| m == 0))
}

fn cr_recovery(sim: &Simulation, masks: &[Vec<Array2<bool>>]) -> CrRecovery {
    let mut r = CrRecovery::default();
    for (e, chips) in sim.exposures.iter().zip(masks) {
        for (c, mask) in e.chips.iter().zip(chips) {
            let mut planted = Array2::<bool>::from_elem(mask.dim(), false);
            r.planted += c.cr_pixels.len();
            r.marginal_planted += c.cr_marginal.len();
            for &(y, x) in &c.cr_pixels {
                planted[[y, x]] = true;
                r.flagged += usize::from(mask[[y, x]]);
            }
            for &(y, x) in &c.cr_marginal {
                planted[[y, x]] = true;
                r.marginal_flagged += usize::from(mask[[y, x]]);
            }
            for ((&m, &p), &d) in mask.iter().zip(planted.iter()).zip(c.dq.iter()) {
                if d == 0 {
                    r.good_pixels += 1;
                    r.other_flagged += usize::from(m && !p);
                }
            }
        }
    }
    r
}

/// Median of `values` (non-empty, finite); reorders them.
fn median_of(values: &mut [f64]) -> f64 {
    let mid = values.len() / 2;
    let (_, m, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    *m
}

fn compare_final(
    scene: &Scene,
    wcs: &Wcs,
    sci: &Array2<f32>,
    wht: &Array2<f32>,
    input_scale: f64,
) -> Result<FinalComparison> {
    let (ny, nx) = sci.dim();
    let out_scale = wcs.pixel_scale(nx as f64 / 2.0, ny as f64 / 2.0)?;
    // The square kernel with pixfrac 1 smooths by the input pixel: σ² += 1/12 input px².
    let blur = (1.0f64 / 12.0).sqrt() * input_scale / out_scale;
    let truth = scene.render(wcs, (ny, nx), blur)?;
    let good = |y: usize, x: usize| wht[[y, x]] > 0.0 && sci[[y, x]].is_finite();
    let mut residuals: Vec<f64> = Vec::with_capacity(ny * nx);
    for ((y, x), &t) in truth.indexed_iter() {
        if good(y, x) {
            residuals.push(f64::from(sci[[y, x]]) - t);
        }
    }
    if residuals.is_empty() {
        return Ok(FinalComparison::default());
    }
    let pixels = residuals.len();
    let median_residual = median_of(&mut residuals);
    let mut dev: Vec<f64> = residuals
        .iter()
        .map(|r| (r - median_residual).abs())
        .collect();
    let noise = 1.4826 * median_of(&mut dev);

    // Aperture photometry of isolated, bright, unsaturated stars.
    let r_ap = 6.0 * DEMO_PIXEL_SCALE / out_scale;
    let (r_in, r_out) = (2.0 * r_ap, 3.0 * r_ap);
    let isolation = r_out * out_scale; // arcsec
    let mut ratios = Vec::new();
    for s in &scene.stars {
        // Peak under ~ a third of the full well in a 400 s exposure, and well measured.
        let counts = s.flux * 400.0;
        if !(5.0e3..=0.3 * DEMO_FULL_WELL * 2.0 * PI).contains(&counts) {
            continue;
        }
        // A star of comparable brightness inside the sky annulus would bias the local sky
        // of both images alike, but keep the sample clean; fainter neighbours are in the
        // truth too.
        let crowded = scene.stars.iter().any(|o| {
            let (e, n) = sky_offset((s.ra, s.dec), (o.ra, o.dec));
            !std::ptr::eq(o, s) && o.flux > 0.2 * s.flux && e.hypot(n) < isolation
        }) || scene.galaxies.iter().any(|g| {
            let (e, n) = sky_offset((s.ra, s.dec), (g.ra, g.dec));
            e.hypot(n) < 8.0 * g.scale_length
        });
        if crowded {
            continue;
        }
        let (x, y) = wcs.world_to_pixel(s.ra, s.dec)?;
        let (x0, x1) = ((x - r_out).floor() as i64, (x + r_out).ceil() as i64);
        let (y0, y1) = ((y - r_out).floor() as i64, (y + r_out).ceil() as i64);
        if x0 < 0 || y0 < 0 || x1 >= nx as i64 || y1 >= ny as i64 {
            continue;
        }
        let (mut f_ap, mut t_ap, mut n_ap) = (0.0, 0.0, 0usize);
        let mut annulus = Vec::new();
        let mut complete = true;
        for py in y0..=y1 {
            for px in x0..=x1 {
                let (py, px) = (py as usize, px as usize);
                let d = (px as f64 - x).hypot(py as f64 - y);
                if d <= r_ap {
                    if !good(py, px) {
                        complete = false;
                    }
                    f_ap += f64::from(sci[[py, px]]);
                    t_ap += truth[[py, px]];
                    n_ap += 1;
                } else if (r_in..=r_out).contains(&d) && good(py, px) {
                    annulus.push(f64::from(sci[[py, px]]) - truth[[py, px]]);
                }
            }
        }
        if !complete || annulus.len() < 20 || t_ap <= 0.0 {
            continue;
        }
        let sky = median_of(&mut annulus);
        ratios.push((f_ap - sky * n_ap as f64) / t_ap);
    }
    let stars = ratios.len();
    let flux_ratio = (!ratios.is_empty()).then(|| median_of(&mut ratios));
    Ok(FinalComparison {
        pixels,
        median_residual,
        noise,
        stars,
        flux_ratio,
    })
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self
            .timings
            .iter()
            .find(|(w, _)| w == "total")
            .map_or(0.0, |t| t.1);
        let pipeline = self
            .timings
            .iter()
            .find(|(w, _)| w == "pipeline (total)")
            .map_or(0.0, |t| t.1);
        let (ny, nx) = self.chip_shape;
        writeln!(
            f,
            "astro demo: {} simulated ACS/WFC-like exposures (2 chips of {nx}×{ny} pixels, SIP \
             distortion, dithered), drizzled with AstroDrizzle's defaults in {pipeline:.1} s \
             ({total:.1} s with the simulation and the comparison)",
            self.inputs.len()
        )?;
        writeln!(f)?;
        writeln!(f, "Inputs (simulated):")?;
        for i in &self.inputs {
            writeln!(
                f,
                "  {}   EXPTIME {:.0} s, dither ({:+.2}, {:+.2}) px",
                i.path.display(),
                i.exptime,
                i.dither.0,
                i.dither.1
            )?;
        }
        writeln!(f, "Products:")?;
        for p in &self.products {
            writeln!(f, "  {}", p.display())?;
        }
        writeln!(f, "Previews:")?;
        for p in &self.previews {
            writeln!(f, "  {}", p.display())?;
        }
        if let Some(l) = &self.log {
            writeln!(f, "Log:\n  {}", l.display())?;
        }
        writeln!(f)?;
        writeln!(f, "Recovered vs simulated:")?;
        writeln!(f, "  sky (e-/pixel)        simulated   subtracted per chip")?;
        for i in &self.inputs {
            let name = i
                .path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let rec: Vec<String> = i.sky_recovered.iter().map(|s| format!("{s:8.2}")).collect();
            writeln!(
                f,
                "    {name:<20} {:8.2}   {}",
                i.sky_simulated,
                rec.join(" ")
            )?;
        }
        let cr = &self.cosmic_rays;
        let pct = |a: usize, b: usize| {
            if b == 0 {
                100.0
            } else {
                100.0 * a as f64 / b as f64
            }
        };
        writeln!(
            f,
            "  cosmic rays: {} of {} planted pixels ≥ {CR_SIGNIFICANT_SIGMA}σ flagged ({:.1} %); \
             {CR_MARGINAL_SIGMA}–{CR_SIGNIFICANT_SIGMA}σ: {} of {} ({:.1} %)",
            cr.flagged,
            cr.planted,
            100.0 * cr.fraction(),
            cr.marginal_flagged,
            cr.marginal_planted,
            pct(cr.marginal_flagged, cr.marginal_planted)
        )?;
        writeln!(
            f,
            "               {} other pixels flagged ({:.2} % of the {} unflagged input pixels)",
            cr.other_flagged,
            pct(cr.other_flagged, cr.good_pixels),
            cr.good_pixels
        )?;
        let c = &self.final_vs_truth;
        let (oy, ox) = self.output_shape;
        writeln!(
            f,
            "  final image ({ox}×{oy}) − noiseless truth: median {:+.4} e-/s = {:+.3} σ \
             (σ = {:.4} e-/s per pixel, {} pixels with weight)",
            c.median_residual,
            c.residual_sigma(),
            c.noise,
            c.pixels
        )?;
        match c.flux_ratio {
            Some(r) => writeln!(
                f,
                "  photometry: {} isolated bright stars, median flux final/truth = {r:.4}",
                c.stars
            )?,
            None => writeln!(f, "  photometry: no isolated bright star to measure")?,
        }
        writeln!(f)?;
        writeln!(f, "Timings (s):")?;
        for (what, s) in &self.timings {
            writeln!(f, "  {what:<28} {s:7.2}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::needless_range_loop)]
    fn eval(p: &Poly, u: f64, v: f64) -> f64 {
        let mut sum = 0.0;
        for a in 0..4 {
            for b in 0..4 - a {
                sum += p[a][b] * u.powi(a as i32) * v.powi(b as i32);
            }
        }
        sum
    }

    #[test]
    fn erf_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_8),
            (1.0, 0.842_700_792_9),
            (-2.0, -0.995_322_265),
        ] {
            assert!((erf(x) - want).abs() < 2e-7, "{x}");
        }
    }

    #[test]
    fn shifted_polynomial_matches() {
        let plane = FocalPlane::new((256, 512));
        let off = 132.0;
        let s = shift_v(&plane.du, off);
        for (u, v) in [(0.0, 0.0), (100.0, -50.0), (-255.0, 127.0)] {
            assert!((eval(&s, u, v) - eval(&plane.du, u, v + off)).abs() < 1e-9);
        }
    }

    /// The chip WCS reproduces the focal-plane model (distortion then tangent plane).
    #[test]
    fn chip_wcs_matches_focal_plane() {
        let plane = FocalPlane::new((256, 512));
        let centre = FIELD_CENTRE;
        let tan = plane.tangent(centre).unwrap();
        let mut max_dist: f64 = 0.0;
        for index in 0..2 {
            let wcs = Wcs::from_header(&plane.chip_header(index, centre).unwrap()).unwrap();
            let off = plane.chip_offsets[index];
            for (x, y) in [(0.0, 0.0), (511.0, 255.0), (200.0, 17.0), (511.0, 0.0)] {
                let (u, v) = (x - 255.5, y - 127.5 + off);
                let (du, dv) = (eval(&plane.du, u, v), eval(&plane.dv, u, v));
                max_dist = max_dist.max(du.hypot(dv));
                let want = tan.pixel_to_world(u + du, v + dv).unwrap();
                let got = wcs.pixel_to_world(x, y).unwrap();
                let (de, dn) = sky_offset(want, got);
                // The chip's own tangent point differs from the focal plane's: far below
                // a milli-arcsecond on this field.
                assert!(de.hypot(dn) < 1e-3, "{index} ({x}, {y}): {de} {dn}");
            }
        }
        assert!(max_dist > 2.0 && max_dist < 10.0, "{max_dist}");
    }

    #[test]
    fn render_conserves_flux() {
        let scene = Scene {
            stars: vec![Star {
                ra: 10.0,
                dec: 20.0,
                flux: 1000.0,
            }],
            galaxies: vec![Galaxy {
                ra: 10.0,
                dec: 20.0,
                flux: 500.0,
                bulge_fraction: 0.3,
                scale_length: 0.3,
                axis_ratio: 0.5,
                position_angle: 40.0,
            }],
        };
        let s = 0.05 / 3600.0;
        let wcs = Wcs::new_tan((10.0, 20.0), (100.0, 100.0), [[-s, 0.0], [0.0, s]]).unwrap();
        let image = scene.render(&wcs, (201, 201), 0.0).unwrap();
        assert!((image.sum() - 1500.0).abs() < 1.0, "{}", image.sum());
    }
}
