//! PNG diagnostics of an alignment (feature `plots`): the 2-D offset histogram with the
//! chosen peak, fit residuals against x and y, and a residual vector plot.
//!
//! plotters writes the PNG to the path the caller gives; nothing else touches files.

use std::path::Path;

use plotters::prelude::*;

use crate::align::AlignResult;
use crate::error::{Error, Result};
use crate::matching::OffsetHistogram;

fn perr(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Plot {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Dark blue -> yellow colour ramp for `t` in [0, 1].
fn ramp(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(20.0, 250.0), lerp(20.0, 230.0), lerp(90.0, 30.0))
}

/// Draw the offset histogram (offsets in plane units, counts as colour) and mark the
/// chosen peak with a red cross.
///
/// # Errors
///
/// [`Error::Plot`] when plotters cannot draw or write the file.
///
/// # Examples
///
/// ```no_run
/// use astro_align::{estimate_2dhist_shift, plots::plot_histogram};
/// let refp: Vec<(f64, f64)> = (0..50).map(|i| ((i * 37 % 101) as f64 * 3.0, (i * 53 % 97) as f64 * 3.0)).collect();
/// let img: Vec<_> = refp.iter().map(|&(x, y)| (x + 2.3, y - 1.2)).collect();
/// let h = estimate_2dhist_shift(&img, &refp, 5.0, 1.0)?;
/// plot_histogram(&h, std::path::Path::new("hist.png"))?;
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn plot_histogram(h: &OffsetHistogram, path: &Path) -> Result<()> {
    let root = BitMapBackend::new(path, (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(path, e))?;
    let half = h.half_width as f64;
    let lim = (half + 0.5) * h.pscale;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "offset histogram: peak ({:.3}, {:.3}) {:?}",
                h.shift.0, h.shift.1, h.status
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(-lim..lim, -lim..lim)
        .map_err(|e| perr(path, e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("dx = image - reference (plane px)")
        .y_desc("dy")
        .draw()
        .map_err(|e| perr(path, e))?;
    let max = h
        .counts
        .iter()
        .flatten()
        .fold(0.0f64, |m, &v| m.max(v))
        .max(1.0);
    let n = h.counts.len();
    chart
        .draw_series(
            (0..n)
                .flat_map(|iy| (0..n).map(move |ix| (ix, iy)))
                .map(|(ix, iy)| {
                    let c = h.counts[iy][ix];
                    let x0 = (ix as f64 - half - 0.5) * h.pscale;
                    let y0 = (iy as f64 - half - 0.5) * h.pscale;
                    Rectangle::new(
                        [(x0, y0), (x0 + h.pscale, y0 + h.pscale)],
                        ramp((c / max).sqrt()).filled(),
                    )
                }),
        )
        .map_err(|e| perr(path, e))?;
    // the peak (histogram coordinates of the chosen position)
    let (px, py) = ((h.peak.0 - half) * h.pscale, (h.peak.1 - half) * h.pscale);
    let d = 0.6 * h.pscale;
    chart
        .draw_series([
            PathElement::new(
                vec![(px - d, py - d), (px + d, py + d)],
                RED.stroke_width(3),
            ),
            PathElement::new(
                vec![(px - d, py + d), (px + d, py - d)],
                RED.stroke_width(3),
            ),
        ])
        .map_err(|e| perr(path, e))?;
    root.present().map_err(|e| perr(path, e))?;
    Ok(())
}

/// Draw the fit residuals (reference − fit, plane px) of the pairs used (blue) and
/// clipped (red) against the image x and y: four panels dx(x), dy(x), dx(y), dy(y).
///
/// # Errors
///
/// [`Error::Plot`].
///
/// # Examples
///
/// ```no_run
/// # fn demo(result: &astro_align::AlignResult) -> astro_align::Result<()> {
/// astro_align::plots::plot_residuals(result, std::path::Path::new("resid.png"))?;
/// # Ok(()) }
/// ```
pub fn plot_residuals(r: &AlignResult, path: &Path) -> Result<()> {
    let root = BitMapBackend::new(path, (900, 700)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(path, e))?;
    let root = root
        .titled(
            &format!(
                "{}: {} fit, {} of {} pairs, rms {:.4} px",
                r.name,
                r.fit.fitgeom.name(),
                r.fit.nfit(),
                r.fit.fitmask.len(),
                r.fit.rmse
            ),
            ("sans-serif", 18),
        )
        .map_err(|e| perr(path, e))?;
    let panels = root.split_evenly((2, 2));
    let res = &r.fit.residuals;
    let lim = res
        .iter()
        .zip(&r.fit.fitmask)
        .filter(|(_, m)| **m)
        .fold(0.0f64, |m, (v, _)| m.max(v[0].abs()).max(v[1].abs()))
        .max(1e-3)
        * 1.5;
    let (xmin, xmax) = r
        .image_tp
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
            (a.0.min(p.0.min(p.1)), a.1.max(p.0.max(p.1)))
        });
    let (xmin, xmax) = if xmin < xmax {
        (xmin, xmax)
    } else {
        (0.0, 1.0)
    };
    for (k, area) in panels.iter().enumerate() {
        let (axis, comp) = (k / 2, k % 2);
        let mut chart = ChartBuilder::on(area)
            .margin(8)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(xmin..xmax, -lim..lim)
            .map_err(|e| perr(path, e))?;
        chart
            .configure_mesh()
            .x_desc(if axis == 0 {
                "x (plane px)"
            } else {
                "y (plane px)"
            })
            .y_desc(if comp == 0 { "dx (px)" } else { "dy (px)" })
            .draw()
            .map_err(|e| perr(path, e))?;
        chart
            .draw_series(r.image_tp.iter().zip(res).zip(&r.fit.fitmask).filter_map(
                |((p, v), &m)| {
                    let x = if axis == 0 { p.0 } else { p.1 };
                    let y = v[comp];
                    y.is_finite().then(|| {
                        Circle::new(
                            (x, y.clamp(-lim, lim)),
                            2,
                            if m { BLUE.filled() } else { RED.filled() },
                        )
                    })
                },
            ))
            .map_err(|e| perr(path, e))?;
    }
    root.present().map_err(|e| perr(path, e))?;
    Ok(())
}

/// Draw residual vectors at the image positions, magnified so that the rms residual
/// spans about 3 % of the field (the scale is printed in the title).
///
/// # Errors
///
/// [`Error::Plot`].
///
/// # Examples
///
/// ```no_run
/// # fn demo(result: &astro_align::AlignResult) -> astro_align::Result<()> {
/// astro_align::plots::plot_vectors(result, std::path::Path::new("vectors.png"))?;
/// # Ok(()) }
/// ```
pub fn plot_vectors(r: &AlignResult, path: &Path) -> Result<()> {
    let root = BitMapBackend::new(path, (700, 700)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(path, e))?;
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for p in &r.image_tp {
        if p.0.is_finite() && p.1.is_finite() {
            x0 = x0.min(p.0);
            x1 = x1.max(p.0);
            y0 = y0.min(p.1);
            y1 = y1.max(p.1);
        }
    }
    if !(x0 < x1 && y0 < y1) {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let span = (x1 - x0).max(y1 - y0);
    let mag = 0.03 * span / r.fit.rmse.max(1e-6);
    let pad = 0.05 * span;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: residual vectors x{:.0} (rms {:.4} px)",
                r.name, mag, r.fit.rmse
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), (y0 - pad)..(y1 + pad))
        .map_err(|e| perr(path, e))?;
    chart
        .configure_mesh()
        .x_desc("x (plane px)")
        .y_desc("y (plane px)")
        .draw()
        .map_err(|e| perr(path, e))?;
    let res = &r.fit.residuals;
    chart
        .draw_series(
            r.image_tp
                .iter()
                .zip(res)
                .zip(&r.fit.fitmask)
                .filter(|((_, v), _)| v[0].is_finite() && v[1].is_finite())
                .map(|((p, v), &m)| {
                    let end = (p.0 + mag * v[0], p.1 + mag * v[1]);
                    PathElement::new(
                        vec![*p, end],
                        if m {
                            BLUE.stroke_width(2)
                        } else {
                            RED.stroke_width(1)
                        },
                    )
                }),
        )
        .map_err(|e| perr(path, e))?;
    chart
        .draw_series(
            r.image_tp
                .iter()
                .map(|p| Circle::new(*p, 2, BLACK.filled())),
        )
        .map_err(|e| perr(path, e))?;
    root.present().map_err(|e| perr(path, e))?;
    Ok(())
}
