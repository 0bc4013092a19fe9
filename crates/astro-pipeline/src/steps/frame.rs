//! Output frames as AstroDrizzle builds them: the default frame of all chips
//! (stwcs `output_wcs`) and the custom `driz_sep_*` / `final_*` parameters applied to it
//! (drizzlepac `mergeWCS`).

use std::path::Path;

use astro_fits::{FitsReader, HduId};
use astro_wcs::Wcs;

use crate::error::{Error, Result};
use crate::exposure::{Chip, Exposure};

const D2R: f64 = std::f64::consts::PI / 180.0;

/// The custom-WCS parameters of one drizzle step (`driz_sep_*` or `final_*`).
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomWcs {
    /// `<prefix>_refimage`.
    pub refimage: String,
    pub rot: Option<f64>,
    pub scale: Option<f64>,
    pub outnx: Option<usize>,
    pub outny: Option<usize>,
    pub ra: Option<f64>,
    pub dec: Option<f64>,
    /// 1-based (FITS) reference pixel.
    pub crpix1: Option<f64>,
    pub crpix2: Option<f64>,
    /// Parameter prefix for error messages.
    pub prefix: &'static str,
}

/// `sqrt(CD1_1² + CD2_1²)` in arcsec (HSTWCS `pscale`).
pub(crate) fn frame_pscale(wcs: &Wcs) -> f64 {
    let cd = wcs.cd();
    (cd[0][0] * cd[0][0] + cd[1][0] * cd[1][0]).sqrt() * 3600.0
}

/// `atan2(CD1_2, CD2_2)` in degrees (HSTWCS `orientat`).
pub(crate) fn frame_orientat(wcs: &Wcs) -> f64 {
    let cd = wcs.cd();
    cd[0][1].atan2(cd[1][1]) / D2R
}

fn cd_det(wcs: &Wcs) -> f64 {
    let cd = wcs.cd();
    cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0]
}

/// The chip's undistorted ("linear") pixel scale in arcsec, as drizzlepac's
/// `wcslin_pscale`: the header's `IDCSCALE` when present, else `sqrt|det CD|`.
pub(crate) fn lin_pscale(chip: &Chip) -> f64 {
    match chip.header.get_f64("IDCSCALE") {
        Ok(Some(s)) if s.is_finite() && s > 0.0 => s,
        _ => cd_det(&chip.wcs).abs().sqrt() * 3600.0,
    }
}

fn geographic_midpoint(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
    for &(a, d) in points {
        let (a, d) = (a * D2R, d * D2R);
        x += d.cos() * a.cos();
        y += d.cos() * a.sin();
        z += d.sin();
    }
    let (x, y, z) = (x / n, y / n, z / n);
    (
        (y.atan2(x) / D2R).rem_euclid(360.0),
        z.atan2((x * x + y * y).sqrt()) / D2R,
    )
}

fn project(wcs: &Wcs, points: &[(f64, f64)]) -> Result<(f64, f64, f64, f64)> {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(a, d) in points {
        let (x, y) = wcs.world_to_pixel(a, d)?;
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    Ok((x0, x1, y0, y1))
}

/// The roll angle at the target (degrees) from the V1 roll `PA_V3`, the target's
/// declination and the aperture's V2/V3 position (arcsec): Colin Cox's formula as stwcs
/// `makewcs.troll`.
fn troll(roll: f64, dec: f64, v2: f64, v3: f64) -> f64 {
    let roll = roll * D2R;
    let dec = dec * D2R;
    let v2 = (v2 / 3600.0) * D2R;
    let v3 = (v3 / 3600.0) * D2R;
    let (s2, s3) = (v2.sin(), v3.sin());
    let sin_rho = ((s2 * s2 + s3 * s3) - s2 * s2 * s3 * s3).sqrt();
    let rho = sin_rho.asin();
    let mut beta = (s3 / sin_rho).asin();
    if v2 < 0.0 {
        beta = std::f64::consts::PI - beta;
    }
    let mut gamma = (s2 / sin_rho).asin();
    if v3 < 0.0 {
        gamma = std::f64::consts::PI - gamma;
    }
    let a = std::f64::consts::FRAC_PI_2 + roll - beta;
    let b = (a.sin() * dec.cos()).atan2(dec.sin() * sin_rho - dec.cos() * rho.cos() * a.cos());
    (std::f64::consts::PI - (gamma + b)) / D2R
}

/// Orientation (degrees) and parity of the default frame, as stwcs
/// `make_orthogonal_cd`: for HST chips with `IDCV2REF`/`IDCV3REF` (SCI header) and
/// `PA_V3` (primary), the roll at the aperture plus `IDCTHETA` with the HST parity
/// `diag(−1, 1)`; otherwise `atan2(CD1_2, CD2_2)` with the CD's parity.
fn reference_orientation(first: &Chip, primary: &astro_wcs::Header) -> (f64, f64) {
    let num = |k: &str| {
        first
            .header
            .get_f64(k)
            .ok()
            .flatten()
            .or_else(|| primary.get_f64(k).ok().flatten())
    };
    if let (Some(v2), Some(v3), Some(pav3)) = (num("IDCV2REF"), num("IDCV3REF"), num("PA_V3"))
        && (v2 != 0.0 || v3 != 0.0)
    {
        let mut pv = troll(pav3, first.wcs.crval().1, v2, v3);
        if let Some(th) = num("IDCTHETA")
            && th != 0.0
        {
            pv += th;
        }
        return (pv, -1.0);
    }
    let par = if cd_det(&first.wcs) < 0.0 { -1.0 } else { 1.0 };
    (frame_orientat(&first.wcs), par)
}

/// AstroDrizzle's default output frame over every chip of every exposure (stwcs
/// `output_wcs(undistort=True)`): tangent point at the geographic midpoint of the chips'
/// corner-pixel centres, an orthogonal CD with the first chip's linear scale
/// (`IDCSCALE`, else `sqrt|det CD|`) and orientation (`atan2(CD1_2, CD2_2)`), size
/// `ceil` of the projected extent, `CRPIX = size / 2` (1-based) and the tangent point
/// moved so the lowest corner lands on pixel 0.
pub(crate) fn default_frame(exposures: &[Exposure]) -> Result<Wcs> {
    let mut corners = Vec::new();
    for e in exposures {
        for c in &e.chips {
            let (ny, nx) = c.shape();
            let (xm, ym) = (nx.saturating_sub(1) as f64, ny.saturating_sub(1) as f64);
            for (x, y) in [(0.0, 0.0), (0.0, ym), (xm, ym), (xm, 0.0)] {
                corners.push(c.wcs.pixel_to_world(x, y).map_err(|e| {
                    Error::Exposure {
                        path: exposures
                            .iter()
                            .find(|ex| ex.chips.iter().any(|cc| std::ptr::eq(cc, c)))
                            .map(|ex| ex.path.clone())
                            .unwrap_or_default(),
                        reason: format!(
                            "SCI,{}: corner ({x}, {y}) has no sky position: {e}",
                            c.extver
                        ),
                    }
                })?);
            }
        }
    }
    let first = exposures
        .first()
        .and_then(|e| e.chips.first())
        .ok_or_else(|| Error::parameter("input", "no chips to drizzle"))?;
    let crval0 = geographic_midpoint(&corners);
    let scale = lin_pscale(first) / 3600.0;
    let (rot_deg, par) = reference_orientation(first, &exposures[0].primary);
    let rot = rot_deg * D2R;
    let (sn, cs) = rot.sin_cos();
    let cd = [
        [par * cs * scale, sn * scale],
        [-par * sn * scale, cs * scale],
    ];
    let probe = Wcs::new_tan(crval0, (0.0, 0.0), cd)?;
    let (x0, x1, y0, y1) = project(&probe, &corners)?;
    let nx = ((x1 - x0).ceil() as usize).max(1);
    let ny = ((y1 - y0).ceil() as usize).max(1);
    let crpix0 = (nx as f64 / 2.0 - 1.0, ny as f64 / 2.0 - 1.0);
    let w2 = Wcs::new_tan(crval0, crpix0, cd)?;
    let (mx, _, my, _) = project(&w2, &corners)?;
    let crval = w2.pixel_to_world(crpix0.0 + mx, crpix0.1 + my)?;
    let mut out = Wcs::new_tan(crval, crpix0, cd)?;
    out.set_array_shape(Some((ny, nx)));
    Ok(out)
}

/// Reads the WCS of `spec` = `file.fits[ext]` (`[1]`, `[sci,1]`, `[sci]`; without an
/// extension: the primary HDU when it has a WCS, else HDU 1), with its shape.
pub(crate) fn read_refimage(spec: &str, param: &str) -> Result<Wcs> {
    let spec = spec.trim();
    let (file, ext) = match spec.find('[') {
        Some(i) if spec.ends_with(']') => (&spec[..i], Some(&spec[i + 1..spec.len() - 1])),
        _ => (spec, None),
    };
    let path = Path::new(file);
    if !path.is_file() {
        return Err(Error::parameter(
            param,
            format!("reference image {file:?} does not exist"),
        ));
    }
    let mut reader = FitsReader::open(path)?;
    let hdu: HduId = match ext {
        Some(e) => {
            let parts: Vec<&str> = e.split(',').map(str::trim).collect();
            match parts.as_slice() {
                [n] if n.parse::<usize>().is_ok() => HduId::Index(n.parse().unwrap_or(0)),
                [name] => HduId::named(name.to_ascii_uppercase(), 1),
                [name, v] => HduId::named(
                    name.to_ascii_uppercase(),
                    v.parse::<i64>().map_err(|_| {
                        Error::parameter(param, format!("{e:?} is not an extension spec"))
                    })?,
                ),
                _ => {
                    return Err(Error::parameter(
                        param,
                        format!("{e:?} is not an extension spec"),
                    ));
                }
            }
        }
        None => {
            let primary = reader.header(HduId::Index(0))?;
            if primary.contains("CTYPE1") {
                HduId::Index(0)
            } else {
                HduId::Index(1)
            }
        }
    };
    let (header, mut wcs) = reader.read_wcs(hdu, ' ')?;
    let nx = header.get_i64("NAXIS1")?.unwrap_or(0);
    let ny = header.get_i64("NAXIS2")?.unwrap_or(0);
    if nx < 1 || ny < 1 {
        return Err(Error::parameter(
            param,
            format!("reference image {spec:?} has no 2-D image (NAXIS1/NAXIS2)"),
        ));
    }
    wcs.set_array_shape(Some((ny as usize, nx as usize)));
    Ok(wcs)
}

fn rotate_cd(cd: [[f64; 2]; 2], theta_deg: f64) -> [[f64; 2]; 2] {
    let (s, c) = (theta_deg * D2R).sin_cos();
    // cd · [[c, s], [-s, c]]
    [
        [cd[0][0] * c - cd[0][1] * s, cd[0][0] * s + cd[0][1] * c],
        [cd[1][0] * c - cd[1][1] * s, cd[1][0] * s + cd[1][1] * c],
    ]
}

/// `default` modified by the custom parameters (drizzlepac `mergeWCS`); with a
/// `refimage` that image's WCS replaces `default` first. A custom frame is always a
/// distortion-free TAN.
pub(crate) fn custom_frame(default: &Wcs, p: &CustomWcs) -> Result<Wcs> {
    let base = if p.refimage.trim().is_empty() {
        default.clone()
    } else {
        read_refimage(&p.refimage, &format!("{}_refimage", p.prefix))?
    };
    let none = p.rot.is_none()
        && p.scale.is_none()
        && p.outnx.is_none()
        && p.outny.is_none()
        && p.ra.is_none()
        && p.dec.is_none()
        && p.crpix1.is_none()
        && p.crpix2.is_none();
    if none {
        return Ok(base);
    }
    let (ny0, nx0) = base.array_shape().ok_or_else(|| {
        Error::parameter(
            format!("{}_refimage", p.prefix),
            "the reference frame has no size",
        )
    })?;
    let pscale = frame_pscale(&base);
    let orientat = frame_orientat(&base);
    let crval = match (p.ra, p.dec) {
        (Some(a), Some(d)) => Some((a, d)),
        _ => None,
    };
    let ratio = p.scale.and_then(|s| {
        let close = (s - pscale).abs() <= 10.0 * f64::EPSILON * pscale.abs();
        (!close).then_some(pscale / s)
    });
    let delta_rot = p.rot.map(|r| orientat - r).filter(|d| *d != 0.0);
    let mut crpix1b = match (p.crpix1, p.crpix2) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let base_crpix1b = (base.crpix().0 + 1.0, base.crpix().1 + 1.0);
    let mut shape = None; // (nx, ny)
    if let (Some(nx), Some(ny)) = (p.outnx, p.outny) {
        shape = Some((nx, ny));
        if crpix1b.is_none() {
            crpix1b = Some(((nx as f64 + 1.0) / 2.0, (ny as f64 + 1.0) / 2.0));
        }
    } else if let Some(dr) = delta_rot {
        let mut corners = [
            [0.5, 0.5],
            [nx0 as f64 + 0.5, 0.5],
            [0.5, ny0 as f64 + 0.5],
            [nx0 as f64 + 0.5, ny0 as f64 + 0.5],
        ];
        for c in corners.iter_mut() {
            c[0] -= base_crpix1b.0;
            c[1] -= base_crpix1b.1;
            if let Some(r) = ratio {
                c[0] *= r;
                c[1] *= r;
            }
        }
        let (s, co) = (dr * D2R).sin_cos();
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for c in corners {
            // corners · [[cos, sin], [-sin, cos]]
            let x = c[0] * co - c[1] * s;
            let y = c[0] * s + c[1] * co;
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        shape = Some((
            ((x1 - x0).ceil() as usize).max(1),
            ((y1 - y0).ceil() as usize).max(1),
        ));
        if crpix1b.is_none() {
            crpix1b = Some((-x0 + 0.5, -y0 + 0.5));
        }
    } else if let Some(r) = ratio {
        shape = Some((
            ((r * nx0 as f64).ceil() as usize).max(1),
            ((r * ny0 as f64).ceil() as usize).max(1),
        ));
        if crpix1b.is_none() {
            crpix1b = Some((
                1.0 + r * (base_crpix1b.0 - 1.0),
                1.0 + r * (base_crpix1b.1 - 1.0),
            ));
        }
    }
    let mut cd = base.cd();
    if let Some(r) = ratio {
        for row in cd.iter_mut() {
            for v in row.iter_mut() {
                *v /= r;
            }
        }
    }
    if let Some(dr) = delta_rot {
        cd = rotate_cd(cd, dr);
    }
    let (nx, ny) = shape.unwrap_or((nx0, ny0));
    let c1 = crpix1b.unwrap_or(base_crpix1b);
    let mut out = Wcs::new_tan(crval.unwrap_or(base.crval()), (c1.0 - 1.0, c1.1 - 1.0), cd)
        .map_err(|e| Error::parameter(format!("{}_wcs", p.prefix), e.to_string()))?;
    out.set_array_shape(Some((ny, nx)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tan(crval: (f64, f64), crpix: (f64, f64), s: f64) -> Wcs {
        Wcs::new_tan(crval, crpix, [[-s / 3600.0, 0.0], [0.0, s / 3600.0]]).unwrap()
    }

    #[test]
    fn custom_scale_and_shape() {
        let mut base = tan((10.0, 20.0), (49.0, 49.0), 0.1);
        base.set_array_shape(Some((100, 100)));
        let p = CustomWcs {
            scale: Some(0.05),
            prefix: "final",
            ..Default::default()
        };
        let w = custom_frame(&base, &p).unwrap();
        assert_eq!(w.array_shape(), Some((200, 200)));
        assert!((frame_pscale(&w) - 0.05).abs() < 1e-12);
        // crpix (1-based) 50 -> 1 + 2 * 49 = 99 -> 0-based 98
        assert!((w.crpix().0 - 98.0).abs() < 1e-9);
        let p = CustomWcs {
            rot: Some(0.0),
            outnx: Some(30),
            outny: Some(40),
            prefix: "final",
            ..Default::default()
        };
        let w = custom_frame(&base, &p).unwrap();
        assert_eq!(w.array_shape(), Some((40, 30)));
        assert!((w.crpix().0 - 14.5).abs() < 1e-9);
    }

    #[test]
    fn custom_rotation_grows_the_frame() {
        let mut base = tan((10.0, 20.0), (49.0, 49.0), 0.1);
        base.set_array_shape(Some((100, 100)));
        let p = CustomWcs {
            rot: Some(45.0),
            prefix: "final",
            ..Default::default()
        };
        let w = custom_frame(&base, &p).unwrap();
        let (ny, nx) = w.array_shape().unwrap();
        assert_eq!((ny, nx), (142, 142));
        assert!((frame_orientat(&w) - 45.0).abs() < 1e-9);
    }
}
