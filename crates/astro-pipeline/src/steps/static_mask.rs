//! Step 1: the static mask (drizzlepac `staticMask.py`): one mask per detector signature
//! (instrument/detector, chip shape, EXTVER), the AND of every chip's
//! `data < mode − static_sig·σ` test.

use astro_mask::static_mask_many;
use ndarray::{Array2, Zip};
use rayon::prelude::*;

use crate::error::Result;
use crate::exposure::Exposure;
use crate::log::RunLog;
use crate::steps::{Shared, keyword, lockstep_groups};

type Signature = (String, String, (usize, usize), i64);

fn signature(e: &Exposure, shape: (usize, usize), extver: i64) -> Signature {
    let k = |name: &str| keyword(e, name);
    (k("INSTRUME"), k("DETECTOR"), shape, extver)
}

/// Computes the static masks into `shared` (per-chip masks in parallel groups, AND-ed per
/// signature in exposure order). Returns the number of masked pixels per signature.
pub(crate) fn run(
    exposures: &[Exposure],
    static_sig: f64,
    shared: &mut Shared,
    log: &mut RunLog,
) -> Result<Vec<usize>> {
    let chips: Vec<(usize, usize)> = exposures
        .iter()
        .enumerate()
        .flat_map(|(e, ex)| (0..ex.chips.len()).map(move |c| (e, c)))
        .collect();
    let bar = log.bar("static mask", chips.len());
    // groups of chips in parallel, the chips of a group together (lockstep_groups)
    let masks: Vec<_> = lockstep_groups(chips.len())
        .into_par_iter()
        .map(|r| {
            let views: Vec<_> = chips[r]
                .iter()
                .map(|&(e, c)| exposures[e].chips[c].sci.view())
                .collect();
            let m = static_mask_many(&views, static_sig);
            bar.inc(views.len() as u64);
            m
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    bar.finish_and_clear();
    let mut sigs: Vec<Signature> = Vec::new();
    for (&(e, c), m) in chips.iter().zip(masks) {
        let (good, stats) = m?;
        let chip = &exposures[e].chips[c];
        log.detail(&format!(
            "static mask {} SCI,{}: mode = {:.6}, rms = {:.6}, static_sig = {}",
            exposures[e].rootname, chip.extver, stats.mode, stats.stddev, static_sig
        ));
        let sig = signature(&exposures[e], chip.shape(), chip.extver);
        let idx = match sigs.iter().position(|s| *s == sig) {
            Some(i) => {
                Zip::from(&mut shared.static_masks[i])
                    .and(&good)
                    .for_each(|a, &b| *a &= b);
                i
            }
            None => {
                sigs.push(sig);
                shared.static_masks.push(good);
                sigs.len() - 1
            }
        };
        shared.info[e][c].static_idx = Some(idx);
    }
    let counts: Vec<usize> = shared
        .static_masks
        .iter()
        .map(|m: &Array2<bool>| m.iter().filter(|&&g| !g).count())
        .collect();
    for (s, n) in sigs.iter().zip(&counts) {
        log.detail(&format!(
            "static mask {}/{} {:?} chip {}: {n} pixels masked",
            s.0, s.1, s.2, s.3
        ));
    }
    Ok(counts)
}
