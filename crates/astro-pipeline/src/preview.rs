//! PNG previews of the final image and its weight map: 8-bit grayscale, north up for a
//! north-up image (FITS row 0 is drawn at the bottom), at most [`PREVIEW_MAX_SIZE`]
//! pixels on the long side.
//!
//! The science preview uses an asinh stretch between robust limits (the
//! [`SCI_LOW_PERCENTILE`] and [`SCI_HIGH_PERCENTILE`] percentiles of the pixels that have
//! data), which shows the noise of the sky and the cores of bright stars in one picture.
//! Pixels without data (NaN, infinite, or weight ≤ 0) are drawn in the flat shade
//! [`NO_DATA_SHADE`], a mid-dark gray that no noisy sky looks like. The weight preview is
//! linear from 0 (black) to the largest weight (white).
//!
//! Large images are reduced by averaging square blocks of pixels (only the pixels with
//! data count; a block with none has no data). Files are written atomically: a temporary
//! file in the same directory, renamed over the final name once complete.

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};

/// The longest side, in pixels, of a preview; larger images are block-averaged down.
pub const PREVIEW_MAX_SIZE: usize = 1024;

/// Gray level of pixels without data (NaN, infinite, or zero weight) in the science
/// preview, and of NaN weights in the weight preview.
pub const NO_DATA_SHADE: u8 = 96;

/// Percentile (of the pixels with data) drawn black in the science preview.
pub const SCI_LOW_PERCENTILE: f64 = 0.5;

/// Percentile (of the pixels with data) drawn white in the science preview.
pub const SCI_HIGH_PERCENTILE: f64 = 99.8;

/// Softening of the asinh stretch, as a fraction of the range between the limits: values
/// below it are shown almost linearly, above it almost logarithmically.
const ASINH_SOFTENING: f64 = 0.05;

/// The block size and `(ny, nx)` of the preview of an image of shape `(ny, nx)`: the
/// smallest integer factor that brings the long side to at most [`PREVIEW_MAX_SIZE`],
/// and the shape after block averaging (partial blocks at the top and right edges count).
///
/// ```
/// use astro_pipeline::preview_shape;
/// assert_eq!(preview_shape((500, 800)), (1, (500, 800)));
/// assert_eq!(preview_shape((2048, 4096)), (4, (512, 1024)));
/// assert_eq!(preview_shape((1000, 1025)), (2, (500, 513)));
/// ```
pub fn preview_shape((ny, nx): (usize, usize)) -> (usize, (usize, usize)) {
    let long = ny.max(nx);
    let block = long.div_ceil(PREVIEW_MAX_SIZE).max(1);
    (block, (ny.div_ceil(block), nx.div_ceil(block)))
}

/// Render the science preview of `image` as gray levels, shape [`preview_shape`], row 0
/// = the image's row 0 (the caller flips when writing). `weight`, when given, must have
/// the image's shape; pixels with weight ≤ 0 (or NaN weight) have no data.
///
/// # Errors
///
/// [`Error::Parameter`] (named `weight`) when the shapes differ, or (named `image`) when
/// the image is empty.
///
/// ```
/// use astro_pipeline::{NO_DATA_SHADE, render_preview};
/// use ndarray::Array2;
/// let mut image = Array2::from_shape_fn((10, 20), |(y, x)| (x + y) as f32);
/// image[[0, 0]] = f32::NAN;
/// let gray = render_preview(image.view(), None)?;
/// assert_eq!(gray.dim(), (10, 20));
/// assert_eq!(gray[[0, 0]], NO_DATA_SHADE);
/// assert_eq!(gray[[9, 19]], 255); // the brightest pixel is white
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
pub fn render_preview(
    image: ArrayView2<'_, f32>,
    weight: Option<ArrayView2<'_, f32>>,
) -> Result<Array2<u8>> {
    check_shapes(image, weight)?;
    let reduced = block_average(image, weight);
    let mut values: Vec<f64> = reduced.iter().filter_map(|v| *v).collect();
    if values.is_empty() {
        return Ok(reduced.mapv(|_| NO_DATA_SHADE));
    }
    let lo = percentile(&mut values, SCI_LOW_PERCENTILE);
    let hi = percentile(&mut values, SCI_HIGH_PERCENTILE);
    let range = if hi > lo { hi - lo } else { 1.0 };
    let norm = (1.0 / ASINH_SOFTENING).asinh();
    Ok(reduced.mapv(|v| match v {
        None => NO_DATA_SHADE,
        Some(v) => {
            let t = ((v - lo) / range).clamp(0.0, 1.0);
            to_gray((t / ASINH_SOFTENING).asinh() / norm)
        }
    }))
}

/// Render the weight-map preview of `weight` as gray levels: linear from 0 (black) to
/// the largest finite weight (white); negative weights are black, NaN weights
/// [`NO_DATA_SHADE`]. Shape [`preview_shape`], row 0 = the map's row 0.
///
/// # Errors
///
/// [`Error::Parameter`] (named `weight`) when the map is empty.
///
/// ```
/// use astro_pipeline::render_weight_preview;
/// let w = ndarray::array![[0.0f32, 50.0], [100.0, 100.0]];
/// let gray = render_weight_preview(w.view())?;
/// assert_eq!(gray, ndarray::array![[0u8, 128], [255, 255]]);
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
pub fn render_weight_preview(weight: ArrayView2<'_, f32>) -> Result<Array2<u8>> {
    if weight.is_empty() {
        return Err(Error::parameter("weight", "the weight map is empty"));
    }
    let reduced = block_average(weight, None);
    let max = reduced
        .iter()
        .filter_map(|v| *v)
        .fold(0.0f64, |m, v| if v > m { v } else { m });
    Ok(reduced.mapv(|v| match v {
        None => NO_DATA_SHADE,
        Some(_) if max <= 0.0 => 0,
        Some(v) => to_gray((v / max).clamp(0.0, 1.0)),
    }))
}

/// Write the science preview of `image` as an 8-bit grayscale PNG at `path`, north up
/// (row 0 at the bottom), atomically (a temporary file renamed over `path`).
///
/// The stretch is an asinh between the [`SCI_LOW_PERCENTILE`] and
/// [`SCI_HIGH_PERCENTILE`] percentiles of the pixels with data; pixels without data (NaN,
/// infinite, or weight ≤ 0) are drawn flat in [`NO_DATA_SHADE`]; images larger than
/// [`PREVIEW_MAX_SIZE`] are block-averaged ([`preview_shape`]).
///
/// # Errors
///
/// As [`render_preview`]; [`Error::Io`] naming the file when it cannot be created,
/// written or renamed; [`Error::Output`] naming the file when PNG encoding fails. The
/// final name is untouched on failure.
///
/// ```
/// use astro_pipeline::write_preview;
/// use ndarray::Array2;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("final_sci.png");
/// let image = Array2::from_shape_fn((300, 400), |(y, x)| ((x * y) % 17) as f32);
/// let weight = Array2::from_elem((300, 400), 1.0f32);
/// write_preview(&path, image.view(), Some(weight.view()))?;
/// assert!(path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_preview(
    path: &Path,
    image: ArrayView2<'_, f32>,
    weight: Option<ArrayView2<'_, f32>>,
) -> Result<()> {
    let gray = render_preview(image, weight)?;
    write_gray_png(path, &gray)
}

/// Write the weight-map preview of `weight` (linear, 0 black to the maximum white) as an
/// 8-bit grayscale PNG at `path`, north up (row 0 at the bottom), atomically.
///
/// # Errors
///
/// As [`write_preview`].
///
/// ```
/// use astro_pipeline::write_weight_preview;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("final_wht.png");
/// let weight = ndarray::Array2::from_shape_fn((64, 64), |(y, _)| y as f32);
/// write_weight_preview(&path, weight.view())?;
/// assert!(path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_weight_preview(path: &Path, weight: ArrayView2<'_, f32>) -> Result<()> {
    let gray = render_weight_preview(weight)?;
    write_gray_png(path, &gray)
}

fn check_shapes(image: ArrayView2<'_, f32>, weight: Option<ArrayView2<'_, f32>>) -> Result<()> {
    if image.is_empty() {
        return Err(Error::parameter("image", "the image is empty"));
    }
    if let Some(w) = weight
        && w.dim() != image.dim()
    {
        return Err(Error::parameter(
            "weight",
            format!(
                "shape {:?} differs from the image's {:?}",
                w.dim(),
                image.dim()
            ),
        ));
    }
    Ok(())
}

/// Mean of the pixels with data in each block; `None` for a block without data.
fn block_average(
    image: ArrayView2<'_, f32>,
    weight: Option<ArrayView2<'_, f32>>,
) -> Array2<Option<f64>> {
    let (block, shape) = preview_shape(image.dim());
    let (ny, nx) = image.dim();
    Array2::from_shape_fn(shape, |(by, bx)| {
        let (mut sum, mut n) = (0.0f64, 0usize);
        for y in by * block..((by + 1) * block).min(ny) {
            for x in bx * block..((bx + 1) * block).min(nx) {
                let v = image[[y, x]];
                let has_weight = weight.is_none_or(|w| w[[y, x]] > 0.0);
                if v.is_finite() && has_weight {
                    sum += f64::from(v);
                    n += 1;
                }
            }
        }
        (n > 0).then(|| sum / n as f64)
    })
}

/// The `p`-th percentile (0..=100) of `values` (non-empty, all finite), by the nearest
/// rank on the sorted values; reorders `values`.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    let last = values.len() - 1;
    let k = ((p / 100.0) * last as f64).round() as usize;
    let (_, v, _) = values.select_nth_unstable_by(k.min(last), f64::total_cmp);
    *v
}

fn to_gray(t: f64) -> u8 {
    (t * 255.0).round().clamp(0.0, 255.0) as u8
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Encode `gray` (row 0 = bottom of the picture) as a grayscale PNG at `path`, through a
/// temporary file in the same directory.
fn write_gray_png(path: &Path, gray: &Array2<u8>) -> Result<()> {
    let (ny, nx) = gray.dim();
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Output {
            path: path.to_path_buf(),
            reason: "the path has no UTF-8 file name".into(),
        })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    // Rows from the top of the picture: the image's last row first.
    let mut bytes = Vec::with_capacity(ny * nx);
    for row in gray.outer_iter().rev() {
        bytes.extend(row.iter());
    }
    let result = encode(&tmp, path, nx, ny, &bytes)
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn encode(tmp: &Path, path: &Path, nx: usize, ny: usize, bytes: &[u8]) -> Result<()> {
    let too_large = || Error::Output {
        path: path.to_path_buf(),
        reason: format!("a {nx}×{ny} preview is too large for PNG"),
    };
    let width = u32::try_from(nx).map_err(|_| too_large())?;
    let height = u32::try_from(ny).map_err(|_| too_large())?;
    let file = fs::File::create(tmp).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::new(file);
    let png_error = |e: png::EncodingError| match e {
        png::EncodingError::IoError(e) => Error::io(path, e),
        e => Error::Output {
            path: path.to_path_buf(),
            reason: format!("PNG encoding: {e}"),
        },
    };
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(bytes).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
    }
    let file = out
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_nearest_rank() {
        let mut v: Vec<f64> = (0..101).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.0), 0.0);
        assert_eq!(percentile(&mut v, 50.0), 50.0);
        assert_eq!(percentile(&mut v, 100.0), 100.0);
    }

    #[test]
    fn block_average_skips_missing() {
        let mut image = Array2::from_elem((2050, 10), 2.0f32);
        image[[0, 0]] = f32::NAN;
        image[[1, 0]] = 4.0;
        let mut weight = Array2::from_elem((2050, 10), 1.0f32);
        weight[[2, 0]] = 0.0;
        image[[2, 0]] = 1000.0;
        let r = block_average(image.view(), Some(weight.view()));
        // blocks of 3: rows 0..3, cols 0..3 hold six 2s, one 4, one NaN, one weightless
        assert_eq!(r.dim(), (684, 4));
        assert!((r[[0, 0]].unwrap() - (6.0 * 2.0 + 4.0) / 7.0).abs() < 1e-12);
        // the last row of blocks has 2050 - 683*3 = 1 row
        assert_eq!(r[[683, 3]], Some(2.0));
    }

    #[test]
    fn all_missing_is_flat() {
        let image = Array2::from_elem((4, 4), f32::NAN);
        let g = render_preview(image.view(), None).unwrap();
        assert!(g.iter().all(|&v| v == NO_DATA_SHADE));
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let image = Array2::<f32>::zeros((4, 4));
        let w = Array2::<f32>::zeros((4, 5));
        let e = render_preview(image.view(), Some(w.view())).unwrap_err();
        assert!(e.to_string().contains("weight"), "{e}");
    }
}
