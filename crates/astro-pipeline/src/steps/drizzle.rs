//! Steps 3 and 7: the separate drizzle (each exposure onto its own copy of the frame)
//! and the final drizzle (all chips onto one output), drizzlepac `adrizzle.py`
//! `run_driz_chip` / `do_driz` semantics:
//!
//! * input value = `(data − MDRIZSKY) · conv · pix_ratio² / exptime` (counts-like data) —
//!   drizzle's `iscale = pix_ratio²`, `in_units = counts`; `pix_ratio` = output pixel
//!   scale / the chip's undistorted scale, which also sizes the turbo/gaussian/lanczos
//!   kernels;
//! * weights: separate = `exptime · good`; final `EXP` = `exptime · good`, `ERR` =
//!   `(exptime / ERR)² · good` with `wt_scl = 1 / pix_ratio⁴`, `IVM` = the user IVM (or
//!   `1 / (dark + sky + rdnoise²)`, flat = 1) `· good` with `wt_scl = exptime² /
//!   pix_ratio⁴`; otherwise `wt_scl` = `{driz_sep,final}_wt_scl` (`exptime`/`expsq` → 1,
//!   as drizzlepac's `set_wtscl`).

use astro_drizzle::{
    AddImageOptions, AddStats, Drizzle, DrizzleOptions, FillValue, InUnits, Input, Kernel, PixelMap,
};
use astro_mask::GoodBits;
use astro_wcs::Wcs;
use ndarray::{Array2, Array3, Zip};
use rayon::prelude::*;

use crate::config::{DrizzleConfig, FinalUnits, WhtType};
use crate::error::{Error, Result};
use crate::exposure::Exposure;
use crate::log::RunLog;
use crate::steps::frame::frame_pscale;
use crate::steps::pixmap::drizzlepac_pixmap;
use crate::steps::{ChipInfo, Shared, good_mask, is_counts, parse_bits, wt_scl};

/// A single-drizzled exposure.
pub(crate) struct Single {
    pub sci: Array2<f32>,
    pub wht: Array2<f32>,
}

/// The final drizzle's products.
pub(crate) struct Final {
    pub sci: Array2<f32>,
    pub wht: Array2<f32>,
    pub ctx: Option<Array3<i32>>,
    /// Chips drizzled (`NDRIZIM`).
    pub n_images: usize,
    /// Sum of the exposures' exposure times (`TEXPTIME`).
    pub total_exptime: f64,
}

fn fill(v: Option<f64>) -> FillValue {
    match v {
        None => FillValue::Indef,
        Some(x) => FillValue::Value(x as f32),
    }
}

/// The final image's fill: `final_fillval`, else `final_maskval` (the value drizzlepac
/// initialises the output with), else NaN — AstroDrizzle's final image is NaN where no
/// input pixel lands.
fn final_fill(cfg: &DrizzleConfig) -> FillValue {
    match (cfg.final_fillval, cfg.final_maskval) {
        (Some(x), _) | (None, Some(x)) => FillValue::Value(x as f32),
        (None, None) => FillValue::Nan,
    }
}

/// One chip made ready for an accumulator: everything but the (ordered) add itself, so
/// that it can be prepared while the previous chip is being added.
struct PreparedChip {
    /// The sky-subtracted, converted data (`None`: the chip's data as they are).
    data: Option<Array2<f32>>,
    weights: Array2<f32>,
    wt_scale: f64,
    pix_ratio: f64,
    pm: Array3<f64>,
    /// Seconds spent on the pixel map.
    t_map: f64,
}

/// Prepares chip `c` of `ex` for `frame` with the given weights and weight scale.
fn prepare_chip(
    ex: &Exposure,
    c: usize,
    info: &ChipInfo,
    frame: &Wcs,
    (weights, wt_scale): (Array2<f32>, f64),
    stepsize: usize,
) -> Result<PreparedChip> {
    let chip = &ex.chips[c];
    let sky = info.computed_sky.unwrap_or(0.0) as f32;
    let conv = info.conv as f32;
    let data = (sky != 0.0 || conv != 1.0)
        .then(|| Zip::from(&chip.sci).par_map_collect(|&v| (v - sky) * conv));
    let pix_ratio = frame_pscale(frame) / info.lin_pscale;
    let t0 = std::time::Instant::now();
    let pm = drizzlepac_pixmap(&chip.wcs, frame, chip.shape(), stepsize)?;
    Ok(PreparedChip {
        data,
        weights,
        wt_scale,
        pix_ratio,
        pm,
        t_map: t0.elapsed().as_secs_f64(),
    })
}

/// Adds a prepared chip `c` of `ex` to `driz`.
fn add_prepared(
    driz: &mut Drizzle,
    ex: &Exposure,
    c: usize,
    p: PreparedChip,
    pixfrac: f64,
) -> Result<AddStats> {
    let view = p.data.as_ref().map_or(ex.chips[c].sci.view(), |d| d.view());
    let opts = AddImageOptions {
        pixfrac,
        pscale_ratio: Some(p.pix_ratio),
        iscale: p.pix_ratio * p.pix_ratio,
        wt_scl: p.wt_scale,
        in_units: if is_counts(ex) {
            InUnits::Counts
        } else {
            InUnits::Cps
        },
        exptime: ex.exptime,
        ..Default::default()
    };
    let map = PixelMap::from_array(p.pm.view())?;
    Ok(driz.add_image(
        &Input::new(view).with_weights(p.weights.view()),
        &map,
        &opts,
    )?)
}

fn exptime_weights(good: &Array2<bool>, exptime: f64) -> Array2<f32> {
    let t = exptime as f32;
    good.mapv(|g| if g { t } else { 0.0 })
}

/// Step 3: one single-drizzled image per exposure on `frame` (exposures in parallel,
/// each with its own accumulator: the result does not depend on the thread count).
pub(crate) fn separate(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    shared: &Shared,
    frame: &Wcs,
    log: &mut RunLog,
) -> Result<Vec<Single>> {
    let bits = parse_bits("driz_sep_bits", &cfg.driz_sep_bits)?;
    let shape = frame
        .array_shape()
        .ok_or_else(|| Error::parameter("driz_sep_wcs", "the output frame has no shape"))?;
    let kernel: Kernel = cfg.driz_sep_kernel.into();
    let scale = wt_scl(cfg.driz_sep_wt_scl);
    let bar = log.bar("driz_separate", exposures.len());
    let out: Vec<Result<(Single, Vec<AddStats>)>> = exposures
        .par_iter()
        .enumerate()
        .map(|(e, ex)| {
            let opts = DrizzleOptions {
                kernel,
                fillval: fill(cfg.driz_sep_fillval),
                disable_ctx: true,
                ..Default::default()
            };
            let mut driz = Drizzle::new(shape, opts)?;
            let mut stats = Vec::new();
            for c in 0..ex.chips.len() {
                let good = good_mask(&ex.chips[c], bits, shared.static_mask(e, c), None);
                let w = exptime_weights(&good, ex.exptime);
                drop(good);
                let p = prepare_chip(
                    ex,
                    c,
                    &shared.info[e][c],
                    frame,
                    (w, scale),
                    cfg.stepsize as usize,
                )?;
                stats.push(add_prepared(&mut driz, ex, c, p, cfg.driz_sep_pixfrac)?);
            }
            let o = driz.finalize();
            bar.inc(1);
            Ok((
                Single {
                    sci: o.sci,
                    wht: o.wht,
                },
                stats,
            ))
        })
        .collect();
    bar.finish_and_clear();
    let mut singles = Vec::with_capacity(out.len());
    for (ex, r) in exposures.iter().zip(out) {
        let (s, stats) = r?;
        for (chip, st) in ex.chips.iter().zip(&stats) {
            log.detail(&format!(
                "driz_separate {} SCI,{}: {} pixels off the frame, pscale_ratio {:.6}",
                ex.rootname, chip.extver, st.nmiss, st.pscale_ratio
            ));
        }
        singles.push(s);
    }
    Ok(singles)
}

/// The final weights of chip `c`, the weight scale to use with them and a warning for
/// the log (a missing ERR or IVM array).
fn final_weights(
    cfg: &DrizzleConfig,
    ex: &Exposure,
    c: usize,
    info: &ChipInfo,
    good: &Array2<bool>,
    pix_ratio: f64,
) -> (Array2<f32>, f64, Option<String>) {
    let chip = &ex.chips[c];
    let t = ex.exptime;
    match cfg.final_wht_type {
        WhtType::Exp => (exptime_weights(good, t), wt_scl(cfg.final_wt_scl), None),
        WhtType::Err => match &chip.err {
            Some(err) => {
                let tf = t as f32;
                let mut w = Array2::<f32>::zeros(chip.shape());
                Zip::from(&mut w).and(err).and(good).for_each(|w, &e, &g| {
                    let v = (tf / e) * (tf / e);
                    *w = if g && v.is_finite() { v } else { 0.0 };
                });
                (w, 1.0 / pix_ratio.powi(4), None)
            }
            None => (
                good.mapv(|g| f32::from(u8::from(g))),
                wt_scl(cfg.final_wt_scl),
                Some(format!(
                    "{}: no ERR extension: final_wht_type = ERR falls back to the bare \
                     good-pixel mask (as drizzlepac's buildERRmask)",
                    ex.rootname
                )),
            ),
        },
        WhtType::Ivm => {
            let scale = t * t / pix_ratio.powi(4);
            match &chip.ivm {
                Some(ivm) => {
                    let mut w = ivm.clone();
                    Zip::from(&mut w).and(good).for_each(|w, &g| {
                        if !g || !w.is_finite() {
                            *w = 0.0;
                        }
                    });
                    (w, scale, None)
                }
                None => {
                    // drizzlepac: flat² / (dark + sky·flat + RN²) with the flat from the
                    // reference files; reference files are not read here: flat = 1.
                    let dark = chip
                        .header
                        .get_f64("MEANDARK")
                        .ok()
                        .flatten()
                        .unwrap_or(0.0);
                    let sky = info.subtracted_sky * info.to_electrons;
                    let denom = dark + sky + chip.rdnoise * chip.rdnoise;
                    let v = if denom > 0.0 {
                        (1.0 / denom) as f32
                    } else {
                        0.0
                    };
                    (
                        good.mapv(|g| if g { v } else { 0.0 }),
                        scale,
                        Some(format!(
                            "{}: no IVM file: using 1/(dark + sky + rdnoise²) with a flat of 1",
                            ex.rootname
                        )),
                    )
                }
            }
        }
    }
}

/// Step 7: every chip of every exposure onto `frame`, in input order (context ids
/// follow it), cosmic rays (`cr_masks`, `true` = CR) excluded.
pub(crate) fn final_drizzle(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    shared: &Shared,
    frame: &Wcs,
    cr_masks: &[Vec<Option<Array2<bool>>>],
    log: &mut RunLog,
) -> Result<Final> {
    let bits: Option<GoodBits> = parse_bits("final_bits", &cfg.final_bits)?;
    let shape = frame
        .array_shape()
        .ok_or_else(|| Error::parameter("final_wcs", "the output frame has no shape"))?;
    let opts = DrizzleOptions {
        kernel: cfg.final_kernel.into(),
        fillval: final_fill(cfg),
        disable_ctx: !cfg.context,
        ..Default::default()
    };
    let mut driz = Drizzle::new(shape, opts)?;
    let chips: Vec<(usize, usize)> = exposures
        .iter()
        .enumerate()
        .flat_map(|(e, ex)| (0..ex.chips.len()).map(move |c| (e, c)))
        .collect();
    let bar = log.bar("driz_combine", chips.len());
    let out_pscale = frame_pscale(frame);
    let stepsize = cfg.stepsize as usize;
    // Everything a chip needs before its add (mask, weights, converted data, pixel map)
    // is independent of the accumulator: chip k + 1 is prepared while chip k is added.
    // The adds stay in input order (context ids and the accumulated bits follow it).
    let prepare = |&(e, c): &(usize, usize)| -> Result<(PreparedChip, Option<String>)> {
        let ex = &exposures[e];
        let info = &shared.info[e][c];
        let cr = cr_masks
            .get(e)
            .and_then(|v| v.get(c))
            .and_then(|m| m.as_ref());
        let good = good_mask(&ex.chips[c], bits, shared.static_mask(e, c), cr);
        let pix_ratio = out_pscale / info.lin_pscale;
        let (w, scale, warning) = final_weights(cfg, ex, c, info, &good, pix_ratio);
        drop(good);
        let p = prepare_chip(ex, c, info, frame, (w, scale), stepsize)?;
        Ok((p, warning))
    };
    let mut next = chips.first().map(prepare);
    let mut warned = vec![false; exposures.len()];
    for (k, &(e, c)) in chips.iter().enumerate() {
        let ex = &exposures[e];
        let (p, warning) = next.take().expect("prepared before its add")?;
        if let Some(w) = warning
            && !warned[e]
        {
            log.warn(&w);
            warned[e] = true;
        }
        let (scale, t_map) = (p.wt_scale, p.t_map);
        let t0 = std::time::Instant::now();
        let driz_ref = &mut driz;
        let (added, prepared) = rayon::join(
            || add_prepared(driz_ref, ex, c, p, cfg.final_pixfrac),
            || chips.get(k + 1).map(prepare),
        );
        next = prepared;
        let st = added?;
        log.detail(&format!(
            "driz_combine {} SCI,{}: wt_scl {scale:.6}, {} pixels off the frame, {:.3} s \
             (pixel map {t_map:.3} s, prepared before)",
            ex.rootname,
            ex.chips[c].extver,
            st.nmiss,
            t0.elapsed().as_secs_f64()
        ));
        bar.inc(1);
    }
    let n_images = chips.len();
    bar.finish_and_clear();
    let o = driz.finalize();
    let total_exptime: f64 = exposures.iter().map(|e| e.exptime).sum();
    let mut sci = o.sci;
    if cfg.final_units == FinalUnits::Counts {
        let t = total_exptime as f32;
        sci.par_mapv_inplace(|v| v * t);
    }
    Ok(Final {
        sci,
        wht: o.wht,
        ctx: o.ctx,
        n_images,
        total_exptime,
    })
}
