//! Step 2: the sky (drizzlepac `sky.py` → stsci.skypac `skymatch`), `skyfile` and
//! `skyuser`. The result per chip, in data units, is `MDRIZSKY`.

use std::path::Path;

use astro_combine::{
    SkyChip, SkyExposure, SkyGrid, SkyMethod as CombSkyMethod, SkyParams, SkyStatistic, chip_skies,
    compute_sky,
};
use astro_drizzle::{BlotOptions, PixelMap, blot};
use astro_interp::Interpolant;
use astro_wcs::Wcs;
use ndarray::{Array2, Zip};
use rayon::prelude::*;

use crate::config::{DrizzleConfig, SkyMethod, SkyStat};
use crate::error::{Error, Result};
use crate::exposure::Exposure;
use crate::log::RunLog;
use crate::steps::{Shared, good_mask, is_counts, lockstep_groups, parse_bits};

/// Largest side of the coarse common grid used by `match`.
const GRID_SIDE: usize = 600;

fn sky_params(cfg: &DrizzleConfig, method: CombSkyMethod) -> SkyParams {
    SkyParams {
        skymethod: method,
        skystat: match cfg.skystat {
            SkyStat::Median => SkyStatistic::Median,
            SkyStat::Mode => SkyStatistic::Mode,
            SkyStat::Mean => SkyStatistic::Mean,
        },
        skywidth: cfg.skywidth.unwrap_or(0.1),
        skyclip: cfg.skyclip as usize,
        skylsigma: cfg.skylsigma,
        skyusigma: cfg.skyusigma,
        skylower: cfg.skylower,
        skyupper: cfg.skyupper,
        match_down: true,
    }
}

/// Runs the sky step; fills `computed_sky` / `subtracted_sky` of every chip and returns
/// the `MDRIZSKY` values (per exposure, per chip, data units).
pub(crate) fn run(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    single_frame: &Wcs,
    shared: &mut Shared,
    log: &mut RunLog,
) -> Result<Vec<Vec<f64>>> {
    if !cfg.skysub {
        let skyuser = cfg.skyuser.trim();
        if skyuser.is_empty() {
            for info in shared.info.iter_mut().flatten() {
                info.computed_sky = None;
                info.subtracted_sky = 0.0;
            }
        } else if let Some(file) = skyuser.strip_prefix('@') {
            let values = read_skyfile(Path::new(file.trim()), exposures, log, "skyuser")?;
            for (e, v) in values.0.into_iter().enumerate() {
                for (c, s) in v.into_iter().enumerate() {
                    shared.info[e][c].computed_sky = None;
                    shared.info[e][c].subtracted_sky = s;
                }
            }
        } else {
            for (e, ex) in exposures.iter().enumerate() {
                for (c, chip) in ex.chips.iter().enumerate() {
                    let v = chip
                        .header
                        .get_f64(skyuser)
                        .ok()
                        .flatten()
                        .or_else(|| ex.primary.get_f64(skyuser).ok().flatten())
                        .ok_or_else(|| Error::Exposure {
                            path: ex.path.clone(),
                            reason: format!(
                                "SCI,{}: skyuser keyword {skyuser} is missing or not a number",
                                chip.extver
                            ),
                        })?;
                    shared.info[e][c].computed_sky = None;
                    shared.info[e][c].subtracted_sky = v;
                }
            }
        }
        return Ok(collect(shared));
    }
    if !cfg.skyfile.trim().is_empty() {
        let (values, applied) =
            read_skyfile(Path::new(cfg.skyfile.trim()), exposures, log, "skyfile")?;
        for (e, v) in values.into_iter().enumerate() {
            for (c, s) in v.into_iter().enumerate() {
                shared.info[e][c].computed_sky = if applied { None } else { Some(s) };
                shared.info[e][c].subtracted_sky = s;
            }
        }
        return Ok(collect(shared));
    }
    let sky_bits = parse_bits("sky_bits", &cfg.sky_bits)?;
    // good masks (sky_bits ∧ static when use_static), computed in parallel
    let keys: Vec<(usize, usize)> = exposures
        .iter()
        .enumerate()
        .flat_map(|(e, ex)| (0..ex.chips.len()).map(move |c| (e, c)))
        .collect();
    let shared_ref = &*shared;
    let goods: Vec<Array2<bool>> = keys
        .par_iter()
        .map(|&(e, c)| {
            let st = if cfg.use_static {
                shared_ref.static_mask(e, c)
            } else {
                None
            };
            good_mask(&exposures[e].chips[c], sky_bits, st, None)
        })
        .collect();
    let to_b = |e: usize, c: usize| {
        let p = shared_ref.info[e][c].lin_pscale;
        let area = 1.0 / (p * p);
        if is_counts(&exposures[e]) {
            area / exposures[e].exptime
        } else {
            area
        }
    };
    let method = match cfg.skymethod {
        SkyMethod::Localmin => CombSkyMethod::Localmin,
        SkyMethod::Globalmin => CombSkyMethod::Globalmin,
        SkyMethod::Match => CombSkyMethod::Match,
        SkyMethod::GlobalminMatch => CombSkyMethod::GlobalminMatch,
    };
    let needs_grid = matches!(method, CombSkyMethod::Match | CombSkyMethod::GlobalminMatch);
    let params = sky_params(cfg, method);
    let result = if needs_grid {
        let grids = grid_images(exposures, &goods, single_frame, cfg.stepsize as usize)?;
        let mut sky_exps = Vec::with_capacity(exposures.len());
        let mut k = 0;
        for (e, ex) in exposures.iter().enumerate() {
            let mut chips = Vec::with_capacity(ex.chips.len());
            for (c, chip) in ex.chips.iter().enumerate() {
                chips.push(SkyChip {
                    data: chip.sci.view(),
                    good: Some(goods[k].view()),
                    to_brightness: to_b(e, c),
                });
                k += 1;
            }
            sky_exps.push(SkyExposure {
                chips,
                grid: Some(SkyGrid {
                    data: grids[e].0.view(),
                    good: grids[e].1.view(),
                    to_brightness: to_b(e, 0),
                }),
            });
        }
        match compute_sky(&sky_exps, &params) {
            Ok(r) => Some(r),
            Err(err) => {
                log.warn(&format!(
                    "sky matching failed ({err}); reverting to {} as AstroDrizzle does",
                    if method == CombSkyMethod::GlobalminMatch {
                        "globalmin"
                    } else {
                        "localmin"
                    }
                ));
                None
            }
        }
    } else {
        None
    };
    let mdrizsky: Vec<Vec<f64>> = match result {
        Some(r) => {
            for (e, ex) in exposures.iter().enumerate() {
                if r.unmatched.get(e).copied().unwrap_or(false) {
                    log.warn(&format!(
                        "{}: no overlap with any other exposure; its sky is not matched",
                        ex.rootname
                    ));
                }
            }
            r.mdrizsky
        }
        None => {
            // localmin / globalmin: the chip statistics are independent, computed in parallel
            let global = matches!(
                method,
                CombSkyMethod::Globalmin | CombSkyMethod::GlobalminMatch
            );
            // (groups of chips in parallel, the chips of a group together: lockstep_groups)
            let stats: Vec<Option<(f64, usize)>> = lockstep_groups(keys.len())
                .into_par_iter()
                .map(|r| {
                    let chips: Vec<SkyChip<'_>> = r
                        .map(|k| {
                            let (e, c) = keys[k];
                            SkyChip {
                                data: exposures[e].chips[c].sci.view(),
                                good: Some(goods[k].view()),
                                to_brightness: to_b(e, c),
                            }
                        })
                        .collect();
                    chip_skies(&chips, &params)
                })
                .collect::<std::result::Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
            let mut per_exp: Vec<Option<f64>> = vec![None; exposures.len()];
            for (&(e, c), s) in keys.iter().zip(&stats) {
                match s {
                    Some((b, n)) if *n >= 1 => {
                        log.detail(&format!(
                            "sky {} SCI,{}: brightness {b:.6} from {n} pixels",
                            exposures[e].rootname, exposures[e].chips[c].extver
                        ));
                        if per_exp[e].is_none_or(|m| m > *b) {
                            per_exp[e] = Some(*b);
                        }
                    }
                    _ => log.warn(&format!(
                        "{} SCI,{}: no sky statistic (no good pixel left)",
                        exposures[e].rootname, exposures[e].chips[c].extver
                    )),
                }
            }
            let gmin = per_exp
                .iter()
                .flatten()
                .copied()
                .fold(None, |m: Option<f64>, b| Some(m.map_or(b, |m| m.min(b))));
            exposures
                .iter()
                .enumerate()
                .map(|(e, ex)| {
                    let b = if global { gmin } else { per_exp[e] }.unwrap_or(0.0);
                    (0..ex.chips.len()).map(|c| b / to_b(e, c)).collect()
                })
                .collect()
        }
    };
    for (e, ex) in exposures.iter().enumerate() {
        for (c, chip) in ex.chips.iter().enumerate() {
            let s = mdrizsky[e][c];
            log.detail(&format!(
                "MDRIZSKY {} SCI,{} = {s:.6}",
                ex.rootname, chip.extver
            ));
            shared.info[e][c].computed_sky = Some(s);
            shared.info[e][c].subtracted_sky = s;
        }
    }
    Ok(collect(shared))
}

fn collect(shared: &Shared) -> Vec<Vec<f64>> {
    shared
        .info
        .iter()
        .map(|v| v.iter().map(|i| i.subtracted_sky).collect())
        .collect()
}

/// Reads a sky file (`name value [value per chip...]` per line, `#` comments, a
/// `# applied = yes` line when the values were already subtracted). Exposures are matched
/// by path, file name or rootname; an exposure not in the file gets 0 (logged).
fn read_skyfile(
    path: &Path,
    exposures: &[Exposure],
    log: &mut RunLog,
    param: &str,
) -> Result<(Vec<Vec<f64>>, bool)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::parameter(
            param,
            format!("cannot read sky file {}: {e}", path.display()),
        )
    })?;
    let mut applied = false;
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(c) = t.strip_prefix('#') {
            if c.to_ascii_lowercase().contains("applied") {
                let v = c
                    .split(['=', ':'])
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                applied = matches!(v.as_str(), "yes" | "true" | "y" | "t");
            }
            continue;
        }
        let mut parts = t.split_whitespace();
        let name = parts.next().unwrap_or("").to_string();
        let vals: Vec<f64> = parts
            .map(|p| {
                p.parse::<f64>().map_err(|_| {
                    Error::parameter(
                        param,
                        format!("{} line {}: {p:?} is not a number", path.display(), n + 1),
                    )
                })
            })
            .collect::<Result<_>>()?;
        if vals.is_empty() {
            return Err(Error::parameter(
                param,
                format!(
                    "{} line {}: no sky value after {name:?}",
                    path.display(),
                    n + 1
                ),
            ));
        }
        rows.push((name, vals));
    }
    let mut out = Vec::with_capacity(exposures.len());
    for ex in exposures {
        let fname = ex
            .path
            .file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default();
        let full = ex.path.to_string_lossy().to_string();
        let row = rows.iter().find(|(n, _)| {
            let base = Path::new(n)
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            *n == full || *n == fname || base == fname || *n == ex.rootname
        });
        let chips = ex.chips.len();
        match row {
            Some((_, v)) => {
                if v.len() != 1 && v.len() < chips {
                    return Err(Error::parameter(
                        param,
                        format!(
                            "{}: {} values for {}, which has {chips} chips",
                            path.display(),
                            v.len(),
                            ex.rootname
                        ),
                    ));
                }
                out.push(
                    (0..chips)
                        .map(|c| if v.len() == 1 { v[0] } else { v[c] })
                        .collect(),
                );
            }
            None => {
                log.warn(&format!(
                    "no user sky value for {} in {}: using 0",
                    ex.rootname,
                    path.display()
                ));
                out.push(vec![0.0; chips]);
            }
        }
    }
    Ok((out, applied))
}

/// Every exposure's chips resampled (nearest pixel) onto a coarse version of the output
/// frame, with where they are good: the common grid on which `match` measures the sky
/// of each pair of exposures in their overlap.
fn grid_images(
    exposures: &[Exposure],
    goods: &[Array2<bool>],
    frame: &Wcs,
    stepsize: usize,
) -> Result<Vec<(Array2<f32>, Array2<bool>)>> {
    let (ny, nx) = frame
        .array_shape()
        .ok_or_else(|| Error::parameter("skymethod", "the output frame has no shape"))?;
    let f = nx.max(ny).div_ceil(GRID_SIDE).max(1);
    let (gny, gnx) = (ny.div_ceil(f), nx.div_ceil(f));
    let cd = frame.cd();
    let ff = f as f64;
    let gcd = [
        [cd[0][0] * ff, cd[0][1] * ff],
        [cd[1][0] * ff, cd[1][1] * ff],
    ];
    let (cx, cy) = frame.crpix();
    let grid_wcs = Wcs::new_tan(
        frame.crval(),
        ((cx + 0.5) / ff - 0.5, (cy + 0.5) / ff - 0.5),
        gcd,
    )?;
    let opts = BlotOptions {
        interp: Interpolant::Nearest,
        fillval: f32::NAN,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(exposures.len());
    let mut k = 0;
    for ex in exposures {
        let mut data = Array2::<f32>::from_elem((gny, gnx), f32::NAN);
        let mut good = Array2::from_elem((gny, gnx), false);
        for chip in &ex.chips {
            let map = PixelMap::from_wcs_stepsize(&grid_wcs, &chip.wcs, (gny, gnx), stepsize)?;
            let d = blot(chip.sci.view(), &map, &opts)?;
            let g = blot(
                goods[k].mapv(|b| f32::from(u8::from(b))).view(),
                &map,
                &opts,
            )?;
            Zip::from(&mut data)
                .and(&mut good)
                .and(&d)
                .and(&g)
                .for_each(|o, og, &v, &gv| {
                    if v.is_finite() && gv > 0.5 {
                        *o = v;
                        *og = true;
                    }
                });
            k += 1;
        }
        out.push((data, good));
    }
    Ok(out)
}
