//! AstroDrizzle's seven steps on in-memory exposures, composed from the astro-* crates.
//!
//! Units follow AstroDrizzle (drizzlepac 3.11): the input data stay in their own units;
//! the sky (`MDRIZSKY`, data units) is subtracted on the fly when a chip is drizzled;
//! drizzled images are rates (counts-like inputs are divided by the exposure time);
//! blotted images are back in the chip's data units with the sky added; `driz_cr`
//! compares the unmodified chip with its blotted model.

pub(crate) mod cr;
pub(crate) mod drizzle;
pub(crate) mod frame;
pub(crate) mod median;
pub(crate) mod pixmap;
pub(crate) mod sky;
pub(crate) mod static_mask;

use astro_mask::{GoodBits, build_mask};
use ndarray::{Array2, Zip};

use crate::config::{DrizzleConfig, ProcUnit, WeightScale};
use crate::error::{Error, Result};
use crate::exposure::{Chip, DataUnits, Exposure};

/// What the steps know about one chip besides its arrays.
#[derive(Debug, Clone)]
pub(crate) struct ChipInfo {
    /// Data units → processing units: the gain for `proc_unit = electrons` on data that
    /// are not electrons yet, else 1 (drizzlepac `_conversionFactor`).
    pub conv: f64,
    /// Data units → electrons (drizzlepac `_conversionFactor` with its `_effGain` of 1):
    /// the gain unless the data are electrons already, times the exposure time for rates.
    /// `driz_cr`, minmed's sky term and the IVM weights work in electrons.
    pub to_electrons: f64,
    /// Undistorted pixel scale (arcsec, drizzlepac `wcslin_pscale`).
    pub lin_pscale: f64,
    /// CTE readout direction (drizzlepac `cte_dir`: 1, -1 or 0).
    pub cte_dir: i32,
    /// Index of the chip's static mask in [`Shared::static_masks`].
    pub static_idx: Option<usize>,
    /// Sky subtracted before drizzling and added back to the blotted image (drizzlepac
    /// `computedSky`); `None` when the data already had it removed (`skyuser`, or a
    /// `skyfile` marked applied).
    pub computed_sky: Option<f64>,
    /// The sky removed from the data, by us or the user (`MDRIZSKY`, `subtractedSky`).
    pub subtracted_sky: f64,
}

/// The state shared by the steps.
pub(crate) struct Shared {
    /// Per exposure, per chip.
    pub info: Vec<Vec<ChipInfo>>,
    /// Static masks (`true` = good), one per detector signature.
    pub static_masks: Vec<Array2<bool>>,
}

impl Shared {
    /// The static mask of chip `(e, c)`, if any.
    pub(crate) fn static_mask(&self, e: usize, c: usize) -> Option<&Array2<bool>> {
        self.info[e][c].static_idx.map(|i| &self.static_masks[i])
    }
}

/// Splits `n` chips into the groups whose statistics one thread computes together (their
/// clipping passes in lockstep, astro-mask's `image_stats_slices`): one group per thread
/// of the current pool, at most 4 chips a group, in chip order. The statistics do not
/// depend on the grouping.
pub(crate) fn lockstep_groups(n: usize) -> Vec<std::ops::Range<usize>> {
    let threads = rayon::current_num_threads().max(1);
    let g = threads.min(n).max(n.div_ceil(4)).max(1);
    (0..g).map(|i| i * n / g..(i + 1) * n / g).collect()
}

/// `true` when the chip's SCI data are electrons (or electrons per second).
pub(crate) fn is_electrons(chip: &Chip, exposure: &Exposure) -> bool {
    let bunit = chip
        .header
        .get_str("BUNIT")
        .ok()
        .flatten()
        .or_else(|| exposure.primary.get_str("BUNIT").ok().flatten())
        .unwrap_or("");
    bunit.trim().to_ascii_uppercase().starts_with("ELECTRON")
}

/// A primary-header string keyword of `e`, trimmed and upper-cased (`""` when absent).
pub(crate) fn keyword(e: &Exposure, name: &str) -> String {
    e.primary
        .get_str(name)
        .ok()
        .flatten()
        .unwrap_or("")
        .trim()
        .to_ascii_uppercase()
}

/// drizzlepac's `cte_dir` of a chip: ACS/WFC and WFC3/UVIS chip 1 → -1, chip 2 → 1;
/// ACS/HRC amps A/B → 1, C/D → -1; WFPC2 → -1; everything else 0.
pub(crate) fn cte_dir(e: &Exposure, extver: i64) -> i32 {
    let inst = keyword(e, "INSTRUME");
    let det = keyword(e, "DETECTOR");
    match (inst.as_str(), det.as_str()) {
        ("ACS", "WFC") | ("WFC3", "UVIS") => match extver {
            1 => -1,
            2 => 1,
            _ => 0,
        },
        ("ACS", "HRC") => match keyword(e, "CCDAMP").as_str() {
            "A" | "B" => 1,
            "C" | "D" => -1,
            _ => 0,
        },
        ("WFPC2", _) => -1,
        _ => 0,
    }
}

/// A bit specification parameter: `""`, `None` and `INDEF` mean "ignore the DQ array".
pub(crate) fn parse_bits(name: &str, spec: &str) -> Result<Option<GoodBits>> {
    let t = spec.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("indef") {
        return Ok(None);
    }
    t.parse::<GoodBits>()
        .map(Some)
        .map_err(|e| Error::parameter(name, format!("{spec:?} is not a bit specification: {e}")))
}

/// The good-pixel mask of a chip (`true` = good): DQ under `bits` (drizzlepac
/// `buildMask`, DQ cast to 16 bits) AND the static mask AND NOT the cosmic rays.
pub(crate) fn good_mask(
    chip: &Chip,
    bits: Option<GoodBits>,
    static_mask: Option<&Array2<bool>>,
    cr: Option<&Array2<bool>>,
) -> Array2<bool> {
    let mut good = match (&chip.dq, bits) {
        (Some(dq), Some(b)) => build_mask(dq.view(), b).mapv(|v| v != 0),
        _ => Array2::from_elem(chip.shape(), true),
    };
    if let Some(s) = static_mask {
        Zip::from(&mut good).and(s).for_each(|g, &s| *g &= s);
    }
    if let Some(c) = cr {
        Zip::from(&mut good).and(c).for_each(|g, &c| *g &= !c);
    }
    good
}

/// drizzlepac `set_wtscl`: `exptime` and `expsq` give 1 (the exposure time is already in
/// the weight mask), a number is used as is.
pub(crate) fn wt_scl(w: WeightScale) -> f64 {
    match w {
        WeightScale::Exptime | WeightScale::Expsq => 1.0,
        WeightScale::Value(v) => v,
    }
}

/// Builds the per-chip information (everything but static masks and skies).
pub(crate) fn chip_infos(cfg: &DrizzleConfig, exposures: &[Exposure]) -> Vec<Vec<ChipInfo>> {
    exposures
        .iter()
        .map(|e| {
            e.chips
                .iter()
                .map(|c| {
                    let electrons = is_electrons(c, e);
                    let convert = cfg.proc_unit == ProcUnit::Electrons && !electrons;
                    let conv = if convert { c.gain } else { 1.0 };
                    let gain = if electrons { 1.0 } else { c.gain };
                    let to_electrons = gain * if is_counts(e) { 1.0 } else { e.exptime };
                    ChipInfo {
                        conv,
                        to_electrons,
                        lin_pscale: frame::lin_pscale(c),
                        cte_dir: cte_dir(e, c.extver),
                        static_idx: None,
                        computed_sky: None,
                        subtracted_sky: 0.0,
                    }
                })
                .collect()
        })
        .collect()
}

/// `true` when the exposure's data are per-exposure (counts, electrons), i.e. divided by
/// the exposure time when drizzled.
pub(crate) fn is_counts(e: &Exposure) -> bool {
    e.units == DataUnits::Counts
}
