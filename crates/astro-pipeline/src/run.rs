//! The whole AstroDrizzle run: [`run_exposures`] on exposures in memory (no files), and
//! [`run`] from the configuration's `input` to the products on disk.
//!
//! Step switches and their dependencies: `median` needs `driz_separate`, `blot` needs
//! `median`, `driz_cr` needs `blot` (AstroDrizzle would read the previous run's
//! intermediate files instead; this pipeline never reads intermediates back, so such a
//! combination is refused with [`Error::Parameter`] naming the switch). `static`, `skysub`
//! and `driz_combine` are independent.

use std::path::PathBuf;

use astro_wcs::{Card, Wcs};
use ndarray::{Array2, Array3, ArrayView2};

use crate::config::{DrizzleConfig, FinalUnits};
use crate::error::{Error, Result};
use crate::exposure::Exposure;
use crate::inputs::resolve_inputs;
use crate::log::RunLog;
use crate::products::{FinalImages, ProductNames, write_final, write_image, write_mask};
use crate::safety::restore_inputs;
use crate::steps::frame::{CustomWcs, custom_frame, default_frame};
use crate::steps::{self, Shared, chip_infos, cr, drizzle, median, sky, static_mask};

/// The results of a run in memory ([`run_exposures`]).
///
/// ```
/// # use astro_pipeline::{Chip, DataUnits, DrizzleConfig, Exposure};
/// # let s = 0.05 / 3600.0;
/// # let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (31.5, 31.5), [[-s, 0.0], [0.0, s]])?;
/// # let chip = Chip { extver: 1, header: astro_wcs::Header::new(), wcs, sci: ndarray::Array2::from_elem((64, 64), 10.0),
/// #     err: None, dq: None, gain: 1.0, rdnoise: 3.0, ivm: None };
/// # let e = Exposure { path: "a_flt.fits".into(), rootname: "a".into(), primary: astro_wcs::Header::new(),
/// #     exptime: 100.0, units: DataUnits::Counts, chips: vec![chip], ivm_path: None };
/// let cfg = DrizzleConfig { median: false, blot: false, driz_cr: false, ..Default::default() };
/// let out = astro_pipeline::run_exposures(&cfg, vec![e])?;
/// assert_eq!(out.n_images, 1);
/// assert!(out.sci.is_some() && out.cr_masks[0][0].is_none());
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Drizzled {
    /// The final image (`driz_combine`), in `final_units`.
    pub sci: Option<Array2<f32>>,
    /// The final weight image.
    pub wht: Option<Array2<f32>>,
    /// The final context image `(planes, ny, nx)` when `context` is set.
    pub ctx: Option<Array3<i32>>,
    /// The final output frame.
    pub wcs: Wcs,
    /// The frame of the single-drizzled images and the median.
    pub single_wcs: Wcs,
    /// The median image (on `single_wcs`, a rate), when the median step ran.
    pub median: Option<Array2<f32>>,
    /// The sky subtracted from each chip (`MDRIZSKY`, data units), per exposure and chip.
    pub skies: Vec<Vec<f64>>,
    /// The cosmic rays of each chip (`true` = CR), when `driz_cr` ran.
    pub cr_masks: Vec<Vec<Option<Array2<bool>>>>,
    /// Pixels masked by the static masks, per detector signature.
    pub static_masked: Vec<usize>,
    /// Chips drizzled into the final image (`NDRIZIM`).
    pub n_images: usize,
    /// Total exposure time of the exposures (`EXPTIME`/`TEXPTIME` of the product).
    pub total_exptime: f64,
    /// `BUNIT` of the final image.
    pub bunit: String,
    /// Header cards describing the final image (NDRIZIM, EXPTIME, TEXPTIME, BUNIT,
    /// EXPSTART/EXPEND when the inputs have them, the drizzle parameters).
    pub cards: Vec<Card>,
    /// `(step, seconds)` of every step that ran, in order.
    pub timings: Vec<(String, f64)>,
}

impl Drizzled {
    /// Cosmic-ray pixels per exposure and chip (0 where `driz_cr` did not run).
    ///
    /// ```
    /// # use astro_pipeline::{Chip, DataUnits, DrizzleConfig, Exposure};
    /// # let s = 0.05 / 3600.0;
    /// # let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (31.5, 31.5), [[-s, 0.0], [0.0, s]])?;
    /// # let chip = Chip { extver: 1, header: astro_wcs::Header::new(), wcs, sci: ndarray::Array2::from_elem((64, 64), 10.0),
    /// #     err: None, dq: None, gain: 1.0, rdnoise: 3.0, ivm: None };
    /// # let e = Exposure { path: "a_flt.fits".into(), rootname: "a".into(), primary: astro_wcs::Header::new(),
    /// #     exptime: 100.0, units: DataUnits::Counts, chips: vec![chip], ivm_path: None };
    /// # let cfg = DrizzleConfig { median: false, blot: false, driz_cr: false, ..Default::default() };
    /// let out = astro_pipeline::run_exposures(&cfg, vec![e])?;
    /// assert_eq!(out.cr_pixels(), vec![vec![0]]);
    /// # Ok::<(), astro_pipeline::Error>(())
    /// ```
    pub fn cr_pixels(&self) -> Vec<Vec<usize>> {
        self.cr_masks
            .iter()
            .map(|v| {
                v.iter()
                    .map(|m| m.as_ref().map_or(0, |m| m.iter().filter(|&&b| b).count()))
                    .collect()
            })
            .collect()
    }
}

/// What a run wrote and measured ([`run`]).
///
/// ```
/// let s = astro_pipeline::RunSummary::default();
/// assert!(s.products.is_empty() && s.output_shape.is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// Every file written and kept (final products, previews, kept intermediates, log).
    pub products: Vec<PathBuf>,
    /// `MDRIZSKY` per exposure and chip (data units).
    pub skies: Vec<Vec<f64>>,
    /// Cosmic-ray pixels per exposure and chip.
    pub cr_pixels: Vec<Vec<usize>>,
    /// `(step, seconds)` of every step, in order, plus `"total"`.
    pub timings: Vec<(String, f64)>,
    /// `(ny, nx)` of the final image.
    pub output_shape: Option<(usize, usize)>,
    /// The log file, when one was written.
    pub log: Option<PathBuf>,
    /// The input files, in order.
    pub inputs: Vec<PathBuf>,
}

/// Where the intermediate products go (files for [`run`], nowhere for
/// [`run_exposures`]).
pub(crate) trait Intermediates: Send {
    /// Whether blotted images, single images and the median should be handed over.
    fn wanted(&self) -> bool {
        false
    }
    /// A single-drizzled image and its weight.
    fn single(
        &mut self,
        _e: &Exposure,
        _sci: ArrayView2<'_, f32>,
        _wht: ArrayView2<'_, f32>,
        _wcs: &Wcs,
    ) -> Result<()> {
        Ok(())
    }
    /// The median.
    fn median(&mut self, _median: ArrayView2<'_, f32>, _wcs: &Wcs) -> Result<()> {
        Ok(())
    }
    /// A blotted chip.
    fn blot(&mut self, _e: &Exposure, _extver: i64, _blot: ArrayView2<'_, f32>) -> Result<()> {
        Ok(())
    }
    /// The CR mask of a chip (`true` = CR).
    fn cr_mask(&mut self, _e: &Exposure, _extver: i64, _cr: ArrayView2<'_, bool>) -> Result<()> {
        Ok(())
    }
    /// The CR-cleaned chips of an exposure (`driz_cr_corr`), `(extver, image)`.
    fn cr_clean(&mut self, _e: &Exposure, _chips: &[(i64, Array2<f32>)]) -> Result<()> {
        Ok(())
    }
}

/// No intermediates.
pub(crate) struct NoIntermediates;
impl Intermediates for NoIntermediates {}

fn custom(cfg: &DrizzleConfig, final_: bool) -> CustomWcs {
    if final_ {
        CustomWcs {
            refimage: cfg.final_refimage.clone(),
            rot: cfg.final_rot,
            scale: cfg.final_scale,
            outnx: cfg.final_outnx,
            outny: cfg.final_outny,
            ra: cfg.final_ra,
            dec: cfg.final_dec,
            crpix1: cfg.final_crpix1,
            crpix2: cfg.final_crpix2,
            prefix: "final",
        }
    } else {
        CustomWcs {
            refimage: cfg.driz_sep_refimage.clone(),
            rot: cfg.driz_sep_rot,
            scale: cfg.driz_sep_scale,
            outnx: cfg.driz_sep_outnx,
            outny: cfg.driz_sep_outny,
            ra: cfg.driz_sep_ra,
            dec: cfg.driz_sep_dec,
            crpix1: cfg.driz_sep_crpix1,
            crpix2: cfg.driz_sep_crpix2,
            prefix: "driz_sep",
        }
    }
}

/// Checks the step switches' dependencies.
fn check_switches(cfg: &DrizzleConfig) -> Result<()> {
    let need = |on: bool, name: &str, dep_on: bool, dep: &str| {
        if on && !dep_on {
            Err(Error::parameter(
                name,
                format!(
                    "{name} = true needs {dep} = true (intermediate products of earlier runs are not read back)"
                ),
            ))
        } else {
            Ok(())
        }
    };
    need(cfg.median, "median", cfg.driz_separate, "driz_separate")?;
    need(cfg.blot, "blot", cfg.median, "median")?;
    need(cfg.driz_cr, "driz_cr", cfg.blot, "blot")?;
    Ok(())
}

/// Checks the exposures the steps rely on.
fn check_exposures(exposures: &[Exposure]) -> Result<()> {
    if exposures.is_empty() {
        return Err(Error::Input {
            spec: String::new(),
            reason: "no exposures to drizzle".into(),
        });
    }
    for e in exposures {
        let bad = |reason: String| Error::Exposure {
            path: e.path.clone(),
            reason,
        };
        if e.chips.is_empty() {
            return Err(bad("no SCI extension (no chip to drizzle)".into()));
        }
        if !(e.exptime.is_finite() && e.exptime > 0.0) {
            return Err(bad(format!(
                "exposure time {} is not a positive number (EXPTIME, or set exptime/expkeyword)",
                e.exptime
            )));
        }
        for c in &e.chips {
            let sh = c.shape();
            if sh.0 == 0 || sh.1 == 0 {
                return Err(bad(format!("SCI,{} is empty", c.extver)));
            }
            let check = |what: &str, d: Option<(usize, usize)>| match d {
                Some(d) if d != sh => Err(bad(format!(
                    "{what},{} has shape {d:?}, SCI,{} has {sh:?}",
                    c.extver, c.extver
                ))),
                _ => Ok(()),
            };
            check("DQ", c.dq.as_ref().map(|a| a.dim()))?;
            check("ERR", c.err.as_ref().map(|a| a.dim()))?;
            check("IVM", c.ivm.as_ref().map(|a| a.dim()))?;
            if !(c.gain.is_finite() && c.gain > 0.0) {
                return Err(bad(format!(
                    "SCI,{}: gain {} is not a positive number",
                    c.extver, c.gain
                )));
            }
            if !(c.rdnoise.is_finite() && c.rdnoise >= 0.0) {
                return Err(bad(format!(
                    "SCI,{}: read noise {} is not a number >= 0",
                    c.extver, c.rdnoise
                )));
            }
        }
    }
    Ok(())
}

fn bunit_of(cfg: &DrizzleConfig, exposures: &[Exposure]) -> String {
    let e = &exposures[0];
    let raw = e.chips[0]
        .header
        .get_str("BUNIT")
        .ok()
        .flatten()
        .or_else(|| e.primary.get_str("BUNIT").ok().flatten())
        .filter(|b| !b.to_ascii_lowercase().contains("ergs"))
        .unwrap_or("ELECTRONS/S")
        .trim()
        .to_string();
    match (cfg.final_units, raw.find('/')) {
        (FinalUnits::Cps, Some(_)) => raw,
        (FinalUnits::Cps, None) => format!("{raw}/S"),
        (FinalUnits::Counts, Some(i)) => raw[..i].to_string(),
        (FinalUnits::Counts, None) => raw,
    }
}

fn product_cards(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    n_images: usize,
    total: f64,
    bunit: &str,
) -> Vec<Card> {
    let mut cards = vec![
        Card::with_comment(
            "NDRIZIM",
            n_images as i64,
            "Drizzle, number of images drizzled",
        ),
        Card::with_comment("EXPTIME", total, "total exposure time (s)"),
        Card::with_comment("TEXPTIME", total, "total exposure time (s)"),
        Card::with_comment("BUNIT", bunit, "units of the final image"),
    ];
    let starts: Vec<f64> = exposures
        .iter()
        .filter_map(|e| e.primary.get_f64("EXPSTART").ok().flatten())
        .collect();
    let ends: Vec<f64> = exposures
        .iter()
        .filter_map(|e| e.primary.get_f64("EXPEND").ok().flatten())
        .collect();
    if starts.len() == exposures.len() {
        let v = starts.iter().copied().fold(f64::INFINITY, f64::min);
        cards.push(Card::with_comment(
            "EXPSTART",
            v,
            "earliest exposure start (MJD)",
        ));
    }
    if ends.len() == exposures.len() {
        let v = ends.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        cards.push(Card::with_comment("EXPEND", v, "latest exposure end (MJD)"));
    }
    // photometric keywords of the first input (AstroDrizzle copies the first chip's SCI
    // header): without them the product cannot be flux-calibrated
    let (chip0, prim0) = (&exposures[0].chips[0].header, &exposures[0].primary);
    for key in [
        "PHOTMODE", "PHOTFLAM", "PHOTFNU", "PHOTZPT", "PHOTPLAM", "PHOTBW",
    ] {
        if let Some(card) = chip0.card(key).or_else(|| prim0.card(key))
            && card.value.is_some()
        {
            cards.push(card.clone());
        }
    }
    let fill = cfg
        .final_fillval
        .map_or("INDEF".to_string(), |v| v.to_string());
    cards.extend([
        Card::with_comment("D001KERN", cfg.final_kernel.to_string(), "Drizzle, kernel"),
        Card::with_comment("D001PIXF", cfg.final_pixfrac, "Drizzle, pixel fraction"),
        Card::with_comment(
            "D001WTSC",
            cfg.final_wt_scl.to_string(),
            "Drizzle, weight scale",
        ),
        Card::with_comment(
            "D001WKEY",
            cfg.final_wht_type.to_string(),
            "Drizzle, weight type",
        ),
        Card::with_comment("D001FVAL", fill, "Drizzle, fill value"),
        Card::with_comment(
            "D001OUUN",
            cfg.final_units.to_string(),
            "Drizzle, output units",
        ),
    ]);
    cards
}

/// The rayon pool of a run: `num_cores` threads (all cores when unset).
fn run_pool(cfg: &DrizzleConfig) -> Result<rayon::ThreadPool> {
    let threads = match cfg.num_cores {
        None => 0, // rayon: all cores
        Some(n) => n.max(1),
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::parameter("num_cores", format!("cannot start the threads: {e}")))
}

/// The pipeline on exposures in memory, with the intermediates handed to `inter`, on a
/// pool of `num_cores` threads.
pub(crate) fn run_core(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    inter: &mut dyn Intermediates,
    keep_median: bool,
    log: &mut RunLog,
) -> Result<Drizzled> {
    cfg.validate()?;
    let pool = run_pool(cfg)?;
    pool.install(|| run_core_in_pool(cfg, exposures, inter, keep_median, None, log))
        .map(|(d, _)| d)
}

/// What is done with the inputs once their skies and cosmic rays are known (the update
/// of the input files), on a helper thread while the final drizzle runs.
type InputUpdate<'a> = &'a (dyn Fn(&[Vec<f64>], &[Vec<Option<Array2<bool>>>]) -> Result<()> + Sync);

/// The outcome of an [`InputUpdate`] and its duration (seconds).
type Updated = Option<(Result<()>, f64)>;

/// [`run_core`] on the current rayon pool (the caller's `num_cores` pool), with the
/// input update, if any, run beside the final drizzle.
fn run_core_in_pool(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    inter: &mut dyn Intermediates,
    keep_median: bool,
    update: Option<InputUpdate<'_>>,
    log: &mut RunLog,
) -> Result<(Drizzled, Updated)> {
    cfg.validate()?;
    check_switches(cfg)?;
    check_exposures(exposures)?;
    log.detail(&format!(
        "{} exposures, {} chips, {} threads",
        exposures.len(),
        exposures.iter().map(|e| e.chips.len()).sum::<usize>(),
        rayon::current_num_threads()
    ));
    run_steps(cfg, exposures, inter, keep_median, update, log)
}

fn run_steps(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    inter: &mut dyn Intermediates,
    keep_median: bool,
    update: Option<InputUpdate<'_>>,
    log: &mut RunLog,
) -> Result<(Drizzled, Updated)> {
    if !cfg.skymask_cat.trim().is_empty() {
        log.warn(&format!(
            "skymask_cat = {:?}: user sky masks are not supported; the sky uses DQ (sky_bits) and the static mask only",
            cfg.skymask_cat
        ));
    }
    let mut shared = Shared {
        info: chip_infos(cfg, exposures),
        static_masks: Vec::new(),
    };
    // output frames
    let t = log.start_step("output frames");
    let default = default_frame(exposures)?;
    let single_wcs = if cfg.driz_sep_wcs {
        custom_frame(&default, &custom(cfg, false))?
    } else {
        default.clone()
    };
    let final_wcs = if cfg.final_wcs {
        custom_frame(&default, &custom(cfg, true))?
    } else {
        default
    };
    for (name, w) in [("single", &single_wcs), ("final", &final_wcs)] {
        log.detail(&format!(
            "{name} frame: shape {:?}, crval {:?}, crpix (0-based) {:?}, scale {:.6}\", orientat {:.6}°",
            w.array_shape(),
            w.crval(),
            w.crpix(),
            steps::frame::frame_pscale(w),
            steps::frame::frame_orientat(w)
        ));
    }
    log.end_step(t);

    // 1. static mask
    let mut static_masked = Vec::new();
    if cfg.static_mask {
        let t = log.start_step("static mask");
        static_masked = static_mask::run(exposures, cfg.static_sig, &mut shared, log)?;
        log.info(&format!(
            "static mask: {} pixels masked",
            static_masked.iter().sum::<usize>()
        ));
        log.end_step(t);
    }

    // 2. sky
    let t = log.start_step("sky");
    let skies = sky::run(cfg, exposures, &single_wcs, &mut shared, log)?;
    for (e, s) in exposures.iter().zip(&skies) {
        log.detail(&format!(
            "sky {}: {}",
            e.rootname,
            s.iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let (lo, hi) = skies
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    log.info(&format!(
        "sky: MDRIZSKY {lo:.4} to {hi:.4} over {} exposures",
        exposures.len()
    ));
    log.end_step(t);

    // 3. separate drizzle
    let mut singles = Vec::new();
    if cfg.driz_separate {
        let t = log.start_step("driz_separate");
        singles = drizzle::separate(cfg, exposures, &shared, &single_wcs, log)?;
        if inter.wanted() {
            for (e, s) in exposures.iter().zip(&singles) {
                inter.single(e, s.sci.view(), s.wht.view(), &single_wcs)?;
            }
        }
        log.end_step(t);
    }

    // 4. median
    let mut median_img = None;
    if cfg.median {
        let t = log.start_step("median");
        let m = median::run(cfg, exposures, &shared, &singles, log)?;
        drop(std::mem::take(&mut singles));
        if inter.wanted() {
            inter.median(m.view(), &single_wcs)?;
        }
        median_img = Some(m);
        log.end_step(t);
    }
    drop(singles);

    // 5 + 6. blot and driz_cr
    let mut cr_masks: Vec<Vec<Option<Array2<bool>>>> = exposures
        .iter()
        .map(|e| vec![None; e.chips.len()])
        .collect();
    if cfg.blot
        && let Some(m) = median_img.as_ref()
    {
        let t = log.start_step(if cfg.driz_cr {
            "blot + driz_cr"
        } else {
            "blot"
        });
        let res = cr::run(cfg, exposures, &shared, m, &single_wcs, inter.wanted(), log)?;
        let mut n_cr = 0;
        for (e, (ex, chips)) in exposures.iter().zip(res).enumerate() {
            let mut cleaned = Vec::new();
            for (c, r) in chips.into_iter().enumerate() {
                let extver = ex.chips[c].extver;
                if let Some(b) = r.blot.as_ref() {
                    inter.blot(ex, extver, b.view())?;
                }
                if let Some(cr) = r.cr {
                    let n = cr.iter().filter(|&&b| b).count();
                    log.detail(&format!(
                        "driz_cr {} SCI,{extver}: {n} CR pixels",
                        ex.rootname
                    ));
                    n_cr += n;
                    if inter.wanted() || cfg.driz_cr_corr {
                        inter.cr_mask(ex, extver, cr.view())?;
                    }
                    cr_masks[e][c] = Some(cr);
                }
                if let Some(cl) = r.clean {
                    cleaned.push((extver, cl));
                }
            }
            if cfg.driz_cr_corr && !cleaned.is_empty() {
                inter.cr_clean(ex, &cleaned)?;
            }
        }
        if cfg.driz_cr {
            log.info(&format!("driz_cr: {n_cr} cosmic-ray pixels flagged"));
        }
        log.end_step(t);
    }
    if !keep_median {
        median_img = None;
    }

    // 7. final drizzle, the inputs updated meanwhile on a helper thread (their skies and
    // cosmic rays are known: AstroDrizzle, too, updates them before its final drizzle)
    let bunit = bunit_of(cfg, exposures);
    let total_exptime: f64 = exposures.iter().map(|e| e.exptime).sum();
    let (images, updated) = std::thread::scope(|scope| {
        let helper = update.map(|u| {
            let (skies, cr_masks) = (&skies, &cr_masks);
            scope.spawn(move || {
                let t0 = std::time::Instant::now();
                let r = u(skies, cr_masks);
                (r, t0.elapsed().as_secs_f64())
            })
        });
        let images = if cfg.driz_combine {
            let t = log.start_step("driz_combine");
            drizzle::final_drizzle(cfg, exposures, &shared, &final_wcs, &cr_masks, log).map(|f| {
                log.info(&format!(
                    "final image {:?}, {} chips, total exposure time {} s",
                    f.sci.dim(),
                    f.n_images,
                    f.total_exptime
                ));
                log.end_step(t);
                (Some(f.sci), Some(f.wht), f.ctx, f.n_images)
            })
        } else {
            Ok((None, None, None, 0))
        };
        let updated = helper.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (images, updated)
    });
    // A failed final drizzle is reported first (the inputs are updated all the same).
    let (sci, wht, ctx, n_images) = images?;
    let cards = product_cards(cfg, exposures, n_images, total_exptime, &bunit);
    let d = Drizzled {
        sci,
        wht,
        ctx,
        wcs: final_wcs,
        single_wcs,
        median: median_img,
        skies,
        cr_masks,
        static_masked,
        n_images,
        total_exptime,
        bunit,
        cards,
        timings: log.timings.clone(),
    };
    Ok((d, updated))
}

/// AstroDrizzle's seven steps on exposures already in memory: no file is read or
/// written (no log file, no intermediates, nothing on stderr). `cfg.input`, `output`,
/// `runfile`, `in_memory`, `clean`, `build` and the file-state parameters are ignored.
///
/// # Errors
///
/// [`Error::Parameter`] for an invalid configuration or step switches whose inputs
/// are off (`median` without `driz_separate`...), [`Error::Exposure`] for an exposure
/// without chips, a non-positive exposure time or arrays of different shapes, and the
/// errors of the crates the steps use.
///
/// # Examples
///
/// ```
/// use astro_pipeline::{Chip, DataUnits, DrizzleConfig, Exposure};
/// use astro_wcs::{Header, Wcs};
/// use ndarray::Array2;
/// let s = 0.05 / 3600.0;
/// let exposure = |dx: f64, name: &str| -> Exposure {
///     let wcs = Wcs::new_tan((10.0, 20.0), (31.5 + dx, 31.5), [[-s, 0.0], [0.0, s]]).unwrap();
///     let sci = Array2::from_elem((64, 64), 100.0f32);
///     let chip = Chip { extver: 1, header: Header::new(), wcs, sci, err: None, dq: None,
///                       gain: 1.0, rdnoise: 4.0, ivm: None };
///     Exposure { path: format!("{name}_flt.fits").into(), rootname: name.into(),
///                primary: Header::new(), exptime: 100.0, units: DataUnits::Counts,
///                chips: vec![chip], ivm_path: None }
/// };
/// let cfg = DrizzleConfig { num_cores: Some(1), ..Default::default() };
/// let out = astro_pipeline::run_exposures(&cfg, vec![exposure(0.0, "a"), exposure(2.0, "b"), exposure(4.0, "c")])?;
/// assert!((out.skies[0][0] - 100.0).abs() < 1e-3); // flat sky found and removed
/// let sci = out.sci.unwrap();
/// let (ny, nx) = sci.dim();
/// assert!(sci[[ny / 2, nx / 2]].abs() < 1e-3);
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
pub fn run_exposures(cfg: &DrizzleConfig, exposures: Vec<Exposure>) -> Result<Drizzled> {
    let mut log = RunLog::silent();
    run_core(cfg, &exposures, &mut NoIntermediates, true, &mut log)
}

/// Intermediate products written as files (`in_memory = false`), with AstroDrizzle's
/// names; also the requested CR products (`driz_cr_corr`).
struct FileIntermediates<'a> {
    cfg: &'a DrizzleConfig,
    names: &'a ProductNames,
    /// Files that `clean` deletes at the end.
    temporary: Vec<PathBuf>,
    /// Files kept (CR-cleaned images, CR masks requested by `driz_cr_corr`).
    kept: Vec<PathBuf>,
}

impl Intermediates for FileIntermediates<'_> {
    fn wanted(&self) -> bool {
        !self.cfg.in_memory
    }
    fn single(
        &mut self,
        e: &Exposure,
        sci: ArrayView2<'_, f32>,
        wht: ArrayView2<'_, f32>,
        wcs: &Wcs,
    ) -> Result<()> {
        let cards = [Card::with_comment(
            "EXPTIME",
            e.exptime,
            "exposure time (s)",
        )];
        let p = self.names.single_sci(e);
        write_image(&p, sci, Some(wcs), &cards, self.cfg.driz_sep_compress)?;
        self.temporary.push(p);
        let p = self.names.single_wht(e);
        write_image(&p, wht, Some(wcs), &[], self.cfg.driz_sep_compress)?;
        self.temporary.push(p);
        Ok(())
    }
    fn median(&mut self, median: ArrayView2<'_, f32>, wcs: &Wcs) -> Result<()> {
        let p = self.names.median();
        write_image(&p, median, Some(wcs), &[], false)?;
        self.temporary.push(p);
        Ok(())
    }
    fn blot(&mut self, e: &Exposure, extver: i64, blot: ArrayView2<'_, f32>) -> Result<()> {
        let wcs = e.chips.iter().find(|c| c.extver == extver).map(|c| &c.wcs);
        let p = self.names.blot(e, extver);
        write_image(&p, blot, wcs, &[], false)?;
        self.temporary.push(p);
        Ok(())
    }
    fn cr_mask(&mut self, e: &Exposure, extver: i64, cr: ArrayView2<'_, bool>) -> Result<()> {
        // AstroDrizzle's _crmask files: 1 = good, 0 = cosmic ray
        let wcs = e.chips.iter().find(|c| c.extver == extver).map(|c| &c.wcs);
        let p = self.names.cr_mask(e, extver);
        write_mask(&p, cr.mapv(|b| u8::from(!b)).view(), wcs)?;
        if self.cfg.driz_cr_corr {
            self.kept.push(p);
        } else {
            self.temporary.push(p);
        }
        Ok(())
    }
    fn cr_clean(&mut self, e: &Exposure, chips: &[(i64, Array2<f32>)]) -> Result<()> {
        let dest = self.names.cr_clean(e);
        let tmp = dest.with_extension("fits.part");
        let write = || -> astro_fits::Result<()> {
            let mut w = astro_fits::FitsWriter::create(&tmp, true)?;
            w.write_primary(Some(&e.primary))?;
            for (extver, data) in chips {
                let header = e
                    .chips
                    .iter()
                    .find(|c| c.extver == *extver)
                    .map(|c| c.header.clone())
                    .unwrap_or_default();
                w.write_image("SCI", *extver, &header, data.view())?;
            }
            w.finish()
        };
        if let Err(err) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::Output {
                path: dest,
                reason: err.to_string(),
            });
        }
        std::fs::rename(&tmp, &dest).map_err(|err| Error::io(&dest, err))?;
        self.kept.push(dest);
        Ok(())
    }
}

/// AstroDrizzle end to end: resolves `cfg.input`, restores the inputs from the archive
/// when `restore` is set, loads the exposures, runs the seven steps, writes the final
/// products (and the intermediates when `in_memory` is false, deleted again when
/// `clean`), then the PNG previews when `previews`, and logs everything to the `runfile`
/// and (briefly) to stderr. Everything runs on one pool of `num_cores` threads, except
/// the update of the inputs (`update_inputs`), done on a helper thread while the final
/// drizzle runs, once the skies and cosmic rays are known.
///
/// A run that fails part-way leaves its log file and no product under a final name (the
/// inputs are updated, when asked, even if the final drizzle or writing the products
/// fails, as AstroDrizzle does: it updates them in its sky and driz_cr steps).
///
/// # Errors
///
/// Every error of [`resolve_inputs`], [`Exposure::load`], [`run_exposures`] and of the
/// product writers, each naming the file or parameter concerned.
///
/// # Examples
///
/// ```
/// let cfg = astro_pipeline::DrizzleConfig { input: "/nonexistent/*_flt.fits".into(), ..Default::default() };
/// let err = astro_pipeline::run(&cfg).unwrap_err();
/// assert!(matches!(err, astro_pipeline::Error::Input { .. }));
/// ```
pub fn run(cfg: &DrizzleConfig) -> Result<RunSummary> {
    let start = std::time::Instant::now();
    cfg.validate()?;
    let inputs = resolve_inputs(&cfg.input)?;
    restore_inputs(cfg, &inputs)?;
    // One pool of `num_cores` threads for the whole run: reading the inputs, the steps,
    // writing the products and updating the inputs.
    let pool = run_pool(cfg)?;
    pool.install(|| run_loaded(cfg, start, inputs))
}

/// [`run`] from the resolved inputs on, on the run's pool.
fn run_loaded(
    cfg: &DrizzleConfig,
    start: std::time::Instant,
    inputs: Vec<crate::inputs::InputFile>,
) -> Result<RunSummary> {
    // inputs are read in parallel (CFITSIO is reentrant); the first failing input, in
    // input order, is reported
    let loaded: Vec<Result<Exposure>> = {
        use rayon::prelude::*;
        let read_err = cfg.final_wht_type == crate::config::WhtType::Err;
        inputs
            .par_iter()
            .map(|i| Exposure::load_arrays(i, cfg, read_err))
            .collect()
    };
    let exposures = loaded.into_iter().collect::<Result<Vec<_>>>()?;
    let names = ProductNames::new(cfg, &exposures)?;
    let log_path = names.log();
    let mut log = RunLog::new(log_path.as_deref(), true, cfg.progress)?;
    log.detail(&format!("astro-pipeline {} run", env!("CARGO_PKG_VERSION")));
    for (k, v) in cfg.parameters() {
        log.detail(&format!("parameter {k} = {v}"));
    }
    for e in &exposures {
        log.detail(&format!(
            "input {}: {} chip(s), exptime {} s, units {:?}",
            e.path.display(),
            e.chips.len(),
            e.exptime,
            e.units
        ));
    }
    let result = run_files(cfg, &exposures, &names, &mut log);
    match result {
        Ok(mut summary) => {
            let total = start.elapsed().as_secs_f64();
            log.info(&format!("total {total:.3} s"));
            summary.timings.push(("total".into(), total));
            summary.inputs = inputs.into_iter().map(|i| i.path).collect();
            if let Some(p) = log.path() {
                summary.log = Some(p.to_path_buf());
                summary.products.push(p.to_path_buf());
            }
            Ok(summary)
        }
        Err(err) => {
            log.warn(&format!("run failed: {err}"));
            Err(err)
        }
    }
}

fn run_files(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    names: &ProductNames,
    log: &mut RunLog,
) -> Result<RunSummary> {
    let mut inter = FileIntermediates {
        cfg,
        names,
        temporary: Vec::new(),
        kept: Vec::new(),
    };
    // The inputs are updated on a helper thread (outside the pool, one file after the
    // other) while the final drizzle runs.
    let update = |skies: &[Vec<f64>], cr_masks: &[Vec<Option<Array2<bool>>>]| {
        crate::safety::update_inputs_on(cfg, exposures, skies, cr_masks, false)
    };
    let update: Option<InputUpdate<'_>> = cfg.update_inputs.then_some(&update);
    let outcome = run_core_in_pool(cfg, exposures, &mut inter, false, update, log);
    let (d, updated) = match outcome {
        Ok(d) => d,
        Err(err) => {
            if cfg.clean {
                for p in &inter.temporary {
                    let _ = std::fs::remove_file(p);
                }
            }
            return Err(err);
        }
    };
    let mut products = Vec::new();
    let output_shape = d.sci.as_ref().map(|s| s.dim());
    let cr_pixels = d.cr_pixels();
    let Drizzled {
        sci,
        wht,
        ctx,
        wcs,
        skies,
        cards,
        ..
    } = d;
    let images = match (sci, wht) {
        (Some(sci), Some(wht)) => Some(FinalImages { sci, wht, ctx, wcs }),
        _ => None,
    };
    // AstroDrizzle, too, updates its inputs whatever becomes of its products: it writes
    // MDRIZSKY and the CR flags during the sky and driz_cr steps. A failure to write the
    // products is reported before a failure to update the inputs.
    if let Some((_, t_update)) = &updated {
        log.detail(&format!("inputs updated in {t_update:.3} s"));
    }
    let update_result = updated.map_or(Ok(()), |(r, _)| r);
    if let Some(im) = &images {
        let t = log.start_step("write products");
        let written = write_final(names, cfg, &exposures[0].primary, im, &cards)?;
        for p in &written {
            log.info(&format!("wrote {}", p.display()));
        }
        products.extend(written);
        log.end_step(t);
    }
    update_result?;
    if cfg.previews
        && let Some(images) = &images
    {
        let t = log.start_step("previews");
        let p = names.preview_sci();
        crate::preview::write_preview(&p, images.sci.view(), Some(images.wht.view()))?;
        products.push(p);
        let p = names.preview_wht();
        crate::preview::write_weight_preview(&p, images.wht.view())?;
        products.push(p);
        log.end_step(t);
    }
    if cfg.clean {
        for p in &inter.temporary {
            if let Err(e) = std::fs::remove_file(p) {
                log.warn(&format!("could not delete {}: {e}", p.display()));
            }
        }
    } else {
        products.extend(inter.temporary.iter().cloned());
    }
    products.extend(inter.kept.iter().cloned());
    Ok(RunSummary {
        products,
        skies,
        cr_pixels,
        timings: log.timings.clone(),
        output_shape,
        log: None,
        inputs: Vec::new(),
    })
}
