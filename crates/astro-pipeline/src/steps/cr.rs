//! Steps 5 and 6: the median blotted back onto every chip (drizzlepac `ablot.py`) and
//! the cosmic rays found by comparing each chip with it (`drizCR.py`).
//!
//! Blot: `interp(median) · exptime / pix_ratio²` (counts-like data; rates are not
//! multiplied), divided by `conv`, plus the chip's `MDRIZSKY` (`blot_addsky`) or
//! `blot_skyval`. driz_cr: the unmodified chip against the blot, both in electrons
//! (`to_electrons`, effective gain 1), with the chip's read noise and subtracted sky, CTE
//! tails along the chip's readout direction.

use astro_combine::{ChipNoise, CteDirection, DrizCrParams, driz_cr};
use astro_drizzle::{BlotOptions, PixelMap, blot};
use astro_mask::GoodBits;
use astro_wcs::Wcs;
use ndarray::{Array2, Zip};
use rayon::prelude::*;

use crate::config::DrizzleConfig;
use crate::error::Result;
use crate::exposure::Exposure;
use crate::log::RunLog;
use crate::steps::frame::frame_pscale;
use crate::steps::pixmap::drizzlepac_pixmap;

/// The pixel-map step of blot: AstroDrizzle's `run_blot` always uses 10.
const BLOT_STEPSIZE: usize = 10;
use crate::steps::{Shared, good_mask, is_counts};

/// What the blot and driz_cr steps produce for one chip.
pub(crate) struct ChipCr {
    /// The blotted median (data units, sky added), when asked to keep it.
    pub blot: Option<Array2<f32>>,
    /// Cosmic rays (`true` = CR), when `driz_cr` ran.
    pub cr: Option<Array2<bool>>,
    /// The CR-cleaned chip (`driz_cr_corr`).
    pub clean: Option<Array2<f32>>,
}

/// Blots `median` (on `frame`) onto every chip and, with `driz_cr`, flags the cosmic
/// rays. Chips are processed in parallel, each independently (thread-count invariant).
pub(crate) fn run(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    shared: &Shared,
    median: &Array2<f32>,
    frame: &Wcs,
    keep_blot: bool,
    log: &mut RunLog,
) -> Result<Vec<Vec<ChipCr>>> {
    let keys: Vec<(usize, usize)> = exposures
        .iter()
        .enumerate()
        .flat_map(|(e, ex)| (0..ex.chips.len()).map(move |c| (e, c)))
        .collect();
    let out_pscale = frame_pscale(frame);
    let crbit_good = GoodBits::from_int(i128::from(cfg.crbit))?;
    let bar = log.bar("blot/driz_cr", keys.len());
    let results: Vec<Result<ChipCr>> = keys
        .par_iter()
        .map(|&(e, c)| {
            let ex = &exposures[e];
            let chip = &ex.chips[c];
            let info = &shared.info[e][c];
            let pix_ratio = out_pscale / info.lin_pscale;
            // drizzlepac's run_blot does not pass `stepsize` on: blot always uses 10
            let pm = drizzlepac_pixmap(&chip.wcs, frame, chip.shape(), BLOT_STEPSIZE)?;
            let opts = BlotOptions {
                interp: cfg.blot_interp.into(),
                sinscl: cfg.blot_sinscl,
                iscale: 1.0 / (pix_ratio * pix_ratio),
                exptime: if is_counts(ex) { ex.exptime } else { 1.0 },
                fillval: 0.0,
                ..Default::default()
            };
            let mut b = blot(median.view(), &PixelMap::from_array(pm.view())?, &opts)?;
            let conv = info.conv as f32;
            let sky = if cfg.blot_addsky {
                info.computed_sky.map(|s| s as f32)
            } else {
                Some(cfg.blot_skyval as f32)
            };
            let f = info.to_electrons as f32;
            // When the blot is only driz_cr's model, it goes to electrons in this pass
            // (the same operations, in the same order, as converting it afterwards).
            let model_only = cfg.driz_cr && !keep_blot && !cfg.driz_cr_corr && f != 1.0;
            b.par_mapv_inplace(|v| {
                let v = if conv != 1.0 { v / conv } else { v };
                let v = match sky {
                    Some(s) => v + s,
                    None => v,
                };
                if model_only { v * f } else { v }
            });
            let mut out = ChipCr {
                blot: None,
                cr: None,
                clean: None,
            };
            if cfg.driz_cr {
                let (img, model) = if f != 1.0 {
                    (
                        Some(Zip::from(&chip.sci).par_map_collect(|&v| v * f)),
                        (!model_only).then(|| Zip::from(&b).par_map_collect(|&v| v * f)),
                    )
                } else {
                    (None, None)
                };
                let noise = ChipNoise {
                    gain: 1.0,
                    readnoise: chip.rdnoise,
                    sky: info.subtracted_sky * info.to_electrons,
                };
                let params = DrizCrParams {
                    driz_cr_snr: (cfg.driz_cr_snr.first, cfg.driz_cr_snr.second),
                    driz_cr_scale: (cfg.driz_cr_scale.first, cfg.driz_cr_scale.second),
                    driz_cr_grow: cfg.driz_cr_grow as usize,
                    driz_cr_ctegrow: cfg.driz_cr_ctegrow as usize,
                    cte_dir: CteDirection::from_cte_dir(info.cte_dir)?,
                };
                let cr = driz_cr(
                    img.as_ref().map_or(chip.sci.view(), |a| a.view()),
                    model.as_ref().map_or(b.view(), |a| a.view()),
                    &noise,
                    &params,
                )?;
                if cfg.driz_cr_corr {
                    // drizCR: where(buildMask(dq, crbit) & good, input, blot)
                    let ok = good_mask(chip, Some(crbit_good), None, Some(&cr));
                    let mut clean = chip.sci.clone();
                    Zip::from(&mut clean)
                        .and(&ok)
                        .and(&b)
                        .for_each(|v, &g, &m| {
                            if !g {
                                *v = m;
                            }
                        });
                    out.clean = Some(clean);
                }
                out.cr = Some(cr);
            }
            if keep_blot {
                out.blot = Some(b);
            }
            bar.inc(1);
            Ok(out)
        })
        .collect();
    bar.finish_and_clear();
    let mut out: Vec<Vec<ChipCr>> = exposures
        .iter()
        .map(|e| Vec::with_capacity(e.chips.len()))
        .collect();
    for (&(e, _), r) in keys.iter().zip(results) {
        out[e].push(r?);
    }
    Ok(out)
}
