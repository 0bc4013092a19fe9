//! Step 4: the median of the single-drizzled images (drizzlepac `createMedian.py`):
//! weight masks `W < combine_maskpt · mean(W)` when `median_newmasks`, `minmed` with each
//! exposure's exposure time, read noise `sqrt(mean rdnoise²)` over its chips and the
//! lowest subtracted sky of its chips, `combine_grow` for minmed only.

use astro_combine::{ArraySource, CombineParams, StackInput, combine};
use ndarray::Array2;

use crate::config::{CombineTypeName, DrizzleConfig};
use crate::error::{Error, Result};
use crate::exposure::Exposure;
use crate::log::RunLog;
use crate::steps::Shared;
use crate::steps::drizzle::Single;

/// Bytes per pixel of minmed's per-row intermediates (astro-combine).
const MINMED_ROW_BYTES: usize = 30;

/// Combines the single-drizzled images.
pub(crate) fn run(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    shared: &Shared,
    singles: &[Single],
    log: &mut RunLog,
) -> Result<Array2<f32>> {
    let n = singles.len();
    let first = singles
        .first()
        .ok_or_else(|| Error::parameter("median", "no single-drizzled image to combine"))?;
    let (_, nx) = first.sci.dim();
    let minmed = matches!(
        cfg.combine_type,
        CombineTypeName::Minmed | CombineTypeName::Iminmed
    );
    if minmed && n > 6 {
        log.warn(&format!(
            "combine_type = minmed is designed for 3-6 images and biased low for more ({n} given)"
        ));
    }
    let grow = if minmed { cfg.combine_grow as usize } else { 0 };
    let per_image = cfg.combine_bufsize.unwrap_or(1.0) * 1_048_576.0;
    let wanted = (per_image * 2.0 * n as f64) as usize;
    let floor = (2 * grow + 3) * nx * (8 * n + MINMED_ROW_BYTES);
    let params = CombineParams {
        combine_type: cfg.combine_type.into(),
        combine_nsigma: (cfg.combine_nsigma.first, cfg.combine_nsigma.second),
        combine_nlow: cfg.combine_nlow as usize,
        combine_nhigh: cfg.combine_nhigh as usize,
        combine_lthresh: cfg.combine_lthresh,
        combine_hthresh: cfg.combine_hthresh,
        combine_grow: grow,
        combine_maskpt: if cfg.median_newmasks {
            cfg.combine_maskpt
        } else {
            0.0
        },
        combine_bufsize: wanted.max(floor),
        fillval: 0.0,
    };
    let mut inputs = Vec::with_capacity(n);
    for (e, (ex, s)) in exposures.iter().zip(singles).enumerate() {
        let infos = &shared.info[e];
        let nchips = ex.chips.len().max(1) as f64;
        let rn = (ex.chips.iter().map(|c| c.rdnoise * c.rdnoise).sum::<f64>() / nchips).sqrt();
        let bsky = infos
            .iter()
            .map(|i| i.subtracted_sky * i.to_electrons)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))))
            .unwrap_or(0.0);
        log.detail(&format!(
            "median input {}: exptime {}, readnoise {rn:.4}, reference sky {bsky:.6}",
            ex.rootname, ex.exptime
        ));
        inputs.push(
            StackInput::new(ArraySource::new(s.sci.view()))
                .with_weight(ArraySource::new(s.wht.view()))
                .with_noise(ex.exptime, rn, bsky),
        );
    }
    Ok(combine(inputs, &params)?.image)
}
