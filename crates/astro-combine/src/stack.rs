//! Image stacks: median, mean, minmed and their "i" variants, streamed in row bands
//! under one total memory budget (AstroDrizzle step 4, `createMedian`).
//!
//! Inputs come through [`RowSource`] (an in-memory array, a FITS reader adapter...), the
//! result goes to a [`RowSink`] band by band (or into memory with [`combine`]). Every
//! input row is read exactly once; weight images are read once more beforehand only when
//! `combine_maskpt > 0` needs their mean and [`StackInput::weight_mean`] is not given.
//!
//! Per-pixel rules (stsci.image `num_combine` and drizzlepac `min_med`):
//!
//! * a value is *bad* when its weight `W < combine_maskpt · mean(W[W ≥ 1e-8])`, when it is
//!   NaN, and (median/mean types only) when `value < combine_lthresh` or
//!   `value ≥ combine_hthresh`;
//! * `median` / `mean`: sort the good values, drop `combine_nlow` lowest and
//!   `combine_nhigh` highest; for the median, if that would drop everything both are
//!   decremented until something remains (even count → mean of the two middle values,
//!   computed in `f64` and rounded to `f32`); for the mean, nothing left → `fillval`;
//! * `minmed`: see [`CombineType::Minmed`];
//! * a pixel with no good value is `fillval` (default 0, as AstroDrizzle) with count 0;
//!   the "i" types use the first non-zero, non-NaN input value there instead (the
//!   documented intent of stsci.image's `imedian`; its C code does so only in column 0 —
//!   a quirk we do not copy).

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Slice};

use crate::error::{CombineError, Result};

/// A source of image rows: an input that is read band by band.
///
/// Implement it for anything that can deliver rows (a FITS file, a memory map, a
/// generator). [`ArraySource`] wraps an in-memory array and [`ConstantSource`] a constant
/// image.
///
/// ```
/// use astro_combine::{RowSource, ArraySource};
/// let a = ndarray::Array2::from_shape_fn((4, 3), |(y, x)| (y * 3 + x) as f32);
/// let mut src = ArraySource::new(a.view());
/// let mut band = ndarray::Array2::zeros((2, 3));
/// src.read_rows(1, 3, band.view_mut())?;
/// assert_eq!(band[[0, 0]], 3.0);
/// assert_eq!(src.shape(), (4, 3));
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub trait RowSource: Send {
    /// Image shape `(ny, nx)`.
    fn shape(&self) -> (usize, usize);
    /// Copy rows `y0..y1` into `out`, of shape `(y1 − y0, nx)`.
    fn read_rows(&mut self, y0: usize, y1: usize, out: ArrayViewMut2<'_, f32>) -> Result<()>;
}

/// A destination for combined rows, written top to bottom in bands.
///
/// ```
/// use astro_combine::{RowSink, CombineOutput};
/// let mut out = CombineOutput::new((2, 2));
/// let img = ndarray::array![[1.0f32, 2.0]];
/// let cnt = ndarray::array![[3u32, 3]];
/// out.write_rows(1, img.view(), cnt.view())?;
/// assert_eq!(out.image[[1, 1]], 2.0);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub trait RowSink {
    /// Receive rows `y0..y0 + image.nrows()` of the combined image and of the number of
    /// good values each pixel had.
    fn write_rows(
        &mut self,
        y0: usize,
        image: ArrayView2<'_, f32>,
        count: ArrayView2<'_, u32>,
    ) -> Result<()>;
}

/// An in-memory array as a [`RowSource`].
///
/// ```
/// let a = ndarray::Array2::<f32>::zeros((3, 5));
/// let src = astro_combine::ArraySource::new(a.view());
/// assert_eq!(astro_combine::RowSource::shape(&src), (3, 5));
/// ```
#[derive(Debug, Clone)]
pub struct ArraySource<'a> {
    data: ArrayView2<'a, f32>,
}

impl<'a> ArraySource<'a> {
    /// Wrap a view.
    ///
    /// ```
    /// let a = ndarray::Array2::<f32>::zeros((1, 1));
    /// let _ = astro_combine::ArraySource::new(a.view());
    /// ```
    pub fn new(data: ArrayView2<'a, f32>) -> Self {
        Self { data }
    }
}

impl RowSource for ArraySource<'_> {
    fn shape(&self) -> (usize, usize) {
        self.data.dim()
    }
    fn read_rows(&mut self, y0: usize, y1: usize, mut out: ArrayViewMut2<'_, f32>) -> Result<()> {
        out.assign(&self.data.slice_axis(Axis(0), Slice::from(y0..y1)));
        Ok(())
    }
}

/// A constant image as a [`RowSource`] (e.g. a weight image equal to the exposure time).
///
/// ```
/// use astro_combine::{ConstantSource, RowSource};
/// let mut c = ConstantSource::new((10, 4), 2.5);
/// let mut b = ndarray::Array2::zeros((1, 4));
/// c.read_rows(3, 4, b.view_mut())?;
/// assert_eq!(b[[0, 3]], 2.5);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ConstantSource {
    shape: (usize, usize),
    value: f32,
}

impl ConstantSource {
    /// A `shape` image filled with `value`.
    ///
    /// ```
    /// let _ = astro_combine::ConstantSource::new((2, 2), 1.0);
    /// ```
    pub fn new(shape: (usize, usize), value: f32) -> Self {
        Self { shape, value }
    }
}

impl RowSource for ConstantSource {
    fn shape(&self) -> (usize, usize) {
        self.shape
    }
    fn read_rows(&mut self, _y0: usize, _y1: usize, mut out: ArrayViewMut2<'_, f32>) -> Result<()> {
        out.fill(self.value);
        Ok(())
    }
}

/// The combined image and, per pixel, the number of good input values (0 where every
/// input was masked — there the image holds the fill value).
///
/// ```
/// let out = astro_combine::CombineOutput::new((3, 4));
/// assert_eq!(out.image.dim(), (3, 4));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CombineOutput {
    /// The combined image.
    pub image: Array2<f32>,
    /// Good values per pixel (after masks and thresholds, before nlow/nhigh).
    pub count: Array2<u32>,
}

impl CombineOutput {
    /// Zero-filled output of `shape`.
    ///
    /// ```
    /// let out = astro_combine::CombineOutput::new((1, 1));
    /// assert_eq!(out.count[[0, 0]], 0);
    /// ```
    pub fn new(shape: (usize, usize)) -> Self {
        Self {
            image: Array2::zeros(shape),
            count: Array2::zeros(shape),
        }
    }
}

impl RowSink for CombineOutput {
    fn write_rows(
        &mut self,
        y0: usize,
        image: ArrayView2<'_, f32>,
        count: ArrayView2<'_, u32>,
    ) -> Result<()> {
        let y1 = y0 + image.nrows();
        if y1 > self.image.nrows() || image.ncols() != self.image.ncols() {
            return Err(CombineError::Io {
                index: usize::MAX,
                message: format!(
                    "rows {y0}..{y1} do not fit the output {:?}",
                    self.image.dim()
                ),
            });
        }
        self.image
            .slice_axis_mut(Axis(0), Slice::from(y0..y1))
            .assign(&image);
        self.count
            .slice_axis_mut(Axis(0), Slice::from(y0..y1))
            .assign(&count);
        Ok(())
    }
}

/// AstroDrizzle `combine_type`.
///
/// ```
/// use astro_combine::CombineType;
/// assert_eq!("iminmed".parse::<CombineType>()?, CombineType::IMinmed);
/// assert_eq!("average".parse::<CombineType>()?, CombineType::Mean);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CombineType {
    /// Median of the good values after nlow/nhigh.
    #[default]
    Median,
    /// Mean of the good values after nlow/nhigh (`average`).
    Mean,
    /// drizzlepac `min_med`, for 3–6 images in electrons (needs weights):
    ///
    /// ```text
    /// M = median of good values with nhigh = 1 (N > 2), their mean (N = 2),
    ///     the only good value when one is good;  m = minimum of good values
    /// T = Σ W_i (all inputs);  B = Σ W_i·sky_i/exptime_i;  R = Σ_good readnoise_i²
    /// σ = sqrt(max(M·T + B + R, 0));  flag = m·T < M·T − n1·σ
    /// threshold = M·T − n2·σ where a flag lies within ±grow pixels, else M·T − n1·σ
    /// result = m if m·T < threshold else M;  no good value → fillval
    /// ```
    /// (`combine_nlow`/`combine_nhigh`/thresholds are not used, as in AstroDrizzle.)
    Minmed,
    /// `median`, no-good-value pixels from the first non-zero input.
    IMedian,
    /// `mean`, no-good-value pixels from the first non-zero input (`iaverage`).
    IMean,
    /// `minmed` with `imedian` inside (identical to `minmed` here: all-bad pixels are set
    /// to the fill value either way).
    IMinmed,
}

impl std::str::FromStr for CombineType {
    type Err = CombineError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "median" => Ok(Self::Median),
            "mean" | "average" => Ok(Self::Mean),
            "minmed" => Ok(Self::Minmed),
            "imedian" => Ok(Self::IMedian),
            "imean" | "iaverage" => Ok(Self::IMean),
            "iminmed" => Ok(Self::IMinmed),
            other => Err(CombineError::Parameter {
                name: "combine_type",
                reason: format!(
                    "'{other}' is not median, mean/average, minmed, imedian, imean/iaverage, iminmed"
                ),
            }),
        }
    }
}

impl CombineType {
    fn is_minmed(self) -> bool {
        matches!(self, Self::Minmed | Self::IMinmed)
    }
    fn fills_from_input(self) -> bool {
        matches!(self, Self::IMedian | Self::IMean)
    }
}

/// Combine parameters with AstroDrizzle's names. Defaults: `median`, `combine_nsigma =
/// (4, 3)`, no nlow/nhigh/thresholds, `combine_grow = 1`, `combine_maskpt = 0.3`,
/// `combine_bufsize = 256 MiB`, `fillval = 0`.
///
/// `combine_bufsize` is the **total** budget in bytes for everything the stack holds at
/// once (bands of all inputs and weights, minmed's per-row intermediates), not
/// AstroDrizzle's megabytes per input.
///
/// ```
/// let p = astro_combine::CombineParams::default();
/// assert_eq!(p.combine_nsigma, (4.0, 3.0));
/// assert_eq!(p.combine_bufsize, 256 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CombineParams {
    /// The combination.
    pub combine_type: CombineType,
    /// minmed significances `(n1, n2)`.
    pub combine_nsigma: (f64, f64),
    /// Lowest good values dropped (median/mean types).
    pub combine_nlow: usize,
    /// Highest good values dropped (median/mean types).
    pub combine_nhigh: usize,
    /// Values below this are bad (median/mean types).
    pub combine_lthresh: Option<f64>,
    /// Values at or above this are bad (median/mean types).
    pub combine_hthresh: Option<f64>,
    /// minmed neighbour radius in pixels (box of `2·grow + 1`).
    pub combine_grow: usize,
    /// Weight fraction of the mean weight below which a pixel is bad (0 = weights never
    /// mask).
    pub combine_maskpt: f64,
    /// Total memory budget in bytes.
    pub combine_bufsize: usize,
    /// Value of pixels with no good input.
    pub fillval: f32,
}

impl Default for CombineParams {
    fn default() -> Self {
        Self {
            combine_type: CombineType::Median,
            combine_nsigma: (4.0, 3.0),
            combine_nlow: 0,
            combine_nhigh: 0,
            combine_lthresh: None,
            combine_hthresh: None,
            combine_grow: 1,
            combine_maskpt: 0.3,
            combine_bufsize: 256 << 20,
            fillval: 0.0,
        }
    }
}

/// One image of the stack, with what minmed needs to know about it.
///
/// ```
/// use astro_combine::{ArraySource, StackInput};
/// let a = ndarray::Array2::<f32>::zeros((2, 2));
/// let input = StackInput::new(ArraySource::new(a.view()));
/// assert_eq!(input.exptime, 1.0);
/// ```
pub struct StackInput<'a> {
    /// The (single-drizzled) science image, in electrons for minmed.
    pub data: Box<dyn RowSource + 'a>,
    /// Its weight image (`None` = weight 1 everywhere).
    pub weight: Option<Box<dyn RowSource + 'a>>,
    /// `mean(W[W ≥ 1e-8])` if already known (saves a pass over the weight image).
    pub weight_mean: Option<f64>,
    /// Exposure time (minmed background term).
    pub exptime: f64,
    /// Read noise in electrons (minmed).
    pub readnoise: f64,
    /// Subtracted sky in electrons (minmed background term).
    pub sky: f64,
}

impl<'a> StackInput<'a> {
    /// An input without weights; `exptime = 1`, `readnoise = sky = 0`.
    ///
    /// ```
    /// let a = ndarray::Array2::<f32>::zeros((2, 2));
    /// let i = astro_combine::StackInput::new(astro_combine::ArraySource::new(a.view()));
    /// assert!(i.weight.is_none());
    /// ```
    pub fn new(data: impl RowSource + 'a) -> Self {
        Self {
            data: Box::new(data),
            weight: None,
            weight_mean: None,
            exptime: 1.0,
            readnoise: 0.0,
            sky: 0.0,
        }
    }

    /// The same input with a weight image.
    ///
    /// ```
    /// use astro_combine::{ArraySource, StackInput};
    /// let a = ndarray::Array2::<f32>::ones((2, 2));
    /// let i = StackInput::new(ArraySource::new(a.view())).with_weight(ArraySource::new(a.view()));
    /// assert!(i.weight.is_some());
    /// ```
    pub fn with_weight(mut self, weight: impl RowSource + 'a) -> Self {
        self.weight = Some(Box::new(weight));
        self
    }

    /// The same input with minmed's noise terms (exposure time, read noise and sky in
    /// electrons).
    ///
    /// ```
    /// use astro_combine::{ArraySource, StackInput};
    /// let a = ndarray::Array2::<f32>::ones((2, 2));
    /// let i = StackInput::new(ArraySource::new(a.view())).with_noise(100.0, 5.0, 30.0);
    /// assert_eq!((i.exptime, i.readnoise, i.sky), (100.0, 5.0, 30.0));
    /// ```
    pub fn with_noise(mut self, exptime: f64, readnoise: f64, sky: f64) -> Self {
        self.exptime = exptime;
        self.readnoise = readnoise;
        self.sky = sky;
        self
    }
}

/// Combine a stack into memory; see [`combine_into`].
///
/// ```
/// use astro_combine::{combine, ArraySource, CombineParams, StackInput};
/// use ndarray::array;
/// let imgs = [array![[1.0f32, 5.0]], array![[2.0, 7.0]], array![[9.0, 6.0]], array![[4.0, 8.0]]];
/// let inputs = imgs.iter().map(|a| StackInput::new(ArraySource::new(a.view()))).collect();
/// let out = combine(inputs, &CombineParams::default())?;
/// assert_eq!(out.image, array![[3.0, 6.5]]); // even counts: mean of the middle two
/// assert_eq!(out.count, array![[4, 4]]);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn combine(inputs: Vec<StackInput<'_>>, params: &CombineParams) -> Result<CombineOutput> {
    let shape = inputs
        .first()
        .map(|i| i.data.shape())
        .ok_or(CombineError::NoInputs)?;
    let mut out = CombineOutput::new(shape);
    combine_into(inputs, params, &mut out)?;
    Ok(out)
}

/// Bytes the per-row intermediates of minmed keep (min, median, m·T, M·T as f32; σ as
/// f64; flag, all-bad and count).
const MINMED_ROW_BYTES: usize = 4 * 4 + 8 + 1 + 1 + 4;

/// Per-row state of minmed kept until the rows `grow` below are known.
struct MinmedRow {
    min: Vec<f32>,
    med: Vec<f32>,
    minw: Vec<f32>,
    medw: Vec<f32>,
    rms: Vec<f64>,
    flag: Vec<bool>,
    count: Vec<u32>,
}

/// Combine a stack, streaming: rows are read in bands sized so that the bands of all
/// inputs (and weights) plus the per-row intermediates fit `combine_bufsize`, each band
/// is combined (in parallel over rows with the `rayon` feature; the result does not
/// depend on the thread count) and handed to `sink`. minmed's grow needs `grow` rows of
/// look-ahead, which it keeps in a small window instead of re-reading.
///
/// Errors: no inputs, inputs or weights of different shapes, `combine_nlow +
/// combine_nhigh ≥ N`, minmed on an input without weight image, a negative or NaN
/// `combine_maskpt` / `combine_nsigma`, a budget too small for one band (1 row, or
/// `2·grow + 1` rows of intermediates for minmed), and whatever a source or sink reports.
///
/// ```
/// use astro_combine::{combine_into, ArraySource, CombineOutput, CombineParams, StackInput};
/// let a = ndarray::Array2::from_shape_fn((100, 50), |(y, x)| (x + y) as f32);
/// let inputs = (0..3).map(|_| StackInput::new(ArraySource::new(a.view()))).collect();
/// let params = CombineParams { combine_bufsize: 3 * 50 * 4 * 7, ..Default::default() }; // 7-row bands
/// let mut out = CombineOutput::new((100, 50));
/// combine_into(inputs, &params, &mut out)?;
/// assert_eq!(out.image, a);
/// # Ok::<(), astro_combine::CombineError>(())
/// ```
pub fn combine_into(
    mut inputs: Vec<StackInput<'_>>,
    params: &CombineParams,
    sink: &mut dyn RowSink,
) -> Result<()> {
    let n = inputs.len();
    if n == 0 {
        return Err(CombineError::NoInputs);
    }
    let shape = inputs[0].data.shape();
    let (ny, nx) = shape;
    for (i, inp) in inputs.iter().enumerate() {
        let check = |what, found: (usize, usize)| {
            if found != shape {
                Err(CombineError::ShapeMismatch {
                    what,
                    index: i,
                    found,
                    expected: shape,
                })
            } else {
                Ok(())
            }
        };
        check("data", inp.data.shape())?;
        if let Some(w) = &inp.weight {
            check("weight", w.shape())?;
        }
    }
    let minmed = params.combine_type.is_minmed();
    validate(params, n, minmed)?;
    if minmed && let Some(i) = inputs.iter().position(|i| i.weight.is_none()) {
        return Err(CombineError::Parameter {
            name: "combine_type",
            reason: format!("minmed needs a weight image for every input; input {i} has none"),
        });
    }
    if ny == 0 || nx == 0 {
        return Ok(());
    }
    let has_weight = inputs.iter().any(|i| i.weight.is_some());
    let grow = if minmed { params.combine_grow } else { 0 };

    // --- memory plan ---
    let per_row_inputs = n * nx * 4 * if has_weight { 2 } else { 1 };
    let per_row_out = nx * (4 + 4);
    let per_row_minmed = if minmed { nx * MINMED_ROW_BYTES } else { 0 };
    // minmed keeps up to band + 2·grow rows of intermediates
    // (and the output band grows by `grow` rows of the previous band at the end)
    let fixed = per_row_minmed * 2 * grow + per_row_out * grow;
    let per_row = per_row_inputs + per_row_out + per_row_minmed;
    let min_rows = 1;
    let needed = fixed + per_row * min_rows;
    if params.combine_bufsize < needed {
        return Err(CombineError::BudgetTooSmall {
            budget: params.combine_bufsize,
            needed,
            rows: min_rows + 2 * grow,
            n_inputs: n,
            nx,
        });
    }
    let band = ((params.combine_bufsize - fixed) / per_row).clamp(1, ny);

    // --- weight thresholds (maskpt) ---
    let mut thresholds = vec![f64::NEG_INFINITY; n];
    if params.combine_maskpt > 0.0 {
        // the means not given, computed together (weight_means)
        let mut missing: Vec<(usize, &mut dyn RowSource)> = Vec::new();
        for (i, inp) in inputs.iter_mut().enumerate() {
            let given = inp.weight_mean;
            let Some(w) = inp.weight.as_mut() else {
                continue;
            };
            match given {
                Some(m) => thresholds[i] = m * params.combine_maskpt,
                None => missing.push((i, w.as_mut())),
            }
        }
        for (i, mean) in weight_means(missing, band, nx)? {
            thresholds[i] = mean * params.combine_maskpt;
        }
    }

    let consts = Consts {
        n,
        nx,
        params: *params,
        thresholds,
        bkg_rate: inputs.iter().map(|i| i.sky / i.exptime).collect(),
        rn2: inputs.iter().map(|i| i.readnoise * i.readnoise).collect(),
    };

    let mut data_buf: Vec<Array2<f32>> = (0..n).map(|_| Array2::zeros((band, nx))).collect();
    let mut wht_buf: Vec<Array2<f32>> = if has_weight {
        (0..n).map(|_| Array2::zeros((band, nx))).collect()
    } else {
        Vec::new()
    };
    let mut out_img = Array2::<f32>::zeros((band + grow, nx));
    let mut out_cnt = Array2::<u32>::zeros((band + grow, nx));
    let mut window: std::collections::VecDeque<MinmedRow> = std::collections::VecDeque::new();
    let mut window_y0 = 0usize; // image row of window[0]
    let mut next_emit = 0usize;

    let mut y0 = 0usize;
    while y0 < ny {
        let y1 = (y0 + band).min(ny);
        let rows = y1 - y0;
        read_band(&mut inputs, &mut data_buf, &mut wht_buf, y0, y1)?;
        let data: Vec<ArrayView2<'_, f32>> = data_buf
            .iter()
            .map(|b| b.slice_axis(Axis(0), Slice::from(..rows)))
            .collect();
        let wht: Vec<ArrayView2<'_, f32>> = wht_buf
            .iter()
            .map(|b| b.slice_axis(Axis(0), Slice::from(..rows)))
            .collect();
        if minmed {
            let new_rows = minmed_rows(&consts, &data, &wht, rows);
            window.extend(new_rows);
            // emit every row whose look-ahead is complete
            let complete = if y1 == ny {
                ny
            } else {
                y1.saturating_sub(grow)
            };
            let emit_rows = complete - next_emit;
            if emit_rows > 0 {
                let mut img = out_img.slice_axis_mut(Axis(0), Slice::from(..emit_rows));
                let mut cnt = out_cnt.slice_axis_mut(Axis(0), Slice::from(..emit_rows));
                minmed_finish(
                    &consts,
                    &window,
                    window_y0,
                    next_emit,
                    ny,
                    grow,
                    img.view_mut(),
                    cnt.view_mut(),
                );
                sink.write_rows(next_emit, img.view(), cnt.view())?;
                next_emit = complete;
                // drop rows no longer needed as neighbours
                while window_y0 + grow < next_emit && !window.is_empty() {
                    window.pop_front();
                    window_y0 += 1;
                }
            }
        } else {
            let mut img = out_img.slice_axis_mut(Axis(0), Slice::from(..rows));
            let mut cnt = out_cnt.slice_axis_mut(Axis(0), Slice::from(..rows));
            combine_rows(&consts, &data, &wht, img.view_mut(), cnt.view_mut());
            sink.write_rows(y0, img.view(), cnt.view())?;
        }
        y0 = y1;
    }
    Ok(())
}

fn validate(params: &CombineParams, n: usize, minmed: bool) -> Result<()> {
    if !(params.combine_maskpt >= 0.0 && params.combine_maskpt.is_finite()) {
        return Err(CombineError::Parameter {
            name: "combine_maskpt",
            reason: format!("{} is not a finite number ≥ 0", params.combine_maskpt),
        });
    }
    let (n1, n2) = params.combine_nsigma;
    if !(n1.is_finite() && n2.is_finite() && n1 >= 0.0 && n2 >= 0.0) {
        return Err(CombineError::Parameter {
            name: "combine_nsigma",
            reason: format!("({n1}, {n2}) must be two finite numbers ≥ 0"),
        });
    }
    if !minmed && params.combine_nlow + params.combine_nhigh >= n {
        return Err(CombineError::Parameter {
            name: "combine_nlow",
            reason: format!(
                "combine_nlow + combine_nhigh = {} rejects all {n} inputs",
                params.combine_nlow + params.combine_nhigh
            ),
        });
    }
    for (name, v) in [
        ("combine_lthresh", params.combine_lthresh),
        ("combine_hthresh", params.combine_hthresh),
    ] {
        if v.is_some_and(f64::is_nan) {
            return Err(CombineError::Parameter {
                name,
                reason: "is NaN".into(),
            });
        }
    }
    Ok(())
}

fn relabel(e: CombineError, index: usize) -> CombineError {
    match e {
        CombineError::Io { message, .. } => CombineError::Io { index, message },
        other => other,
    }
}

/// `mean(W[W ≥ 1e-8])` of each weight source, as stsci.imagestats computes it (f64 sum
/// in pixel order, f32 mean); 0 when no pixel qualifies (AstroDrizzle's fallback).
/// `(input index, mean)` in the order given. The sources are read band by band together
/// and their sums, each in its own pixel order, run in lockstep (up to 4 at a time): the
/// sequential sums are latency-bound, so several take the time of one. A read error is
/// reported for the first input, in the order given, that has one.
fn weight_means(
    mut srcs: Vec<(usize, &mut dyn RowSource)>,
    band: usize,
    nx: usize,
) -> Result<Vec<(usize, f64)>> {
    let k = srcs.len();
    if k == 0 {
        return Ok(Vec::new());
    }
    let (ny, _) = srcs[0].1.shape();
    let rows = band.min(ny).max(1);
    let mut bufs: Vec<Array2<f32>> = (0..k).map(|_| Array2::zeros((rows, nx))).collect();
    let (mut sums, mut cnts) = (vec![0.0f64; k], vec![0usize; k]);
    let mut failed: Vec<Option<CombineError>> = (0..k).map(|_| None).collect();
    let mut y0 = 0;
    while y0 < ny {
        let y1 = (y0 + band).min(ny);
        let mut active = Vec::with_capacity(k);
        for (j, ((i, src), buf)) in srcs.iter_mut().zip(&mut bufs).enumerate() {
            if failed[j].is_some() {
                continue;
            }
            let mut v = buf.slice_axis_mut(Axis(0), Slice::from(..y1 - y0));
            match src.read_rows(y0, y1, v.view_mut()) {
                Ok(()) => active.push(j),
                Err(e) => failed[j] = Some(relabel(e, *i)),
            }
        }
        let len = (y1 - y0) * nx;
        for group in active.chunks(4) {
            let part = |j: usize| &bufs[j].as_slice().expect("standard layout")[..len];
            macro_rules! go {
                ($k:literal) => {{
                    let src: [&[f32]; $k] = std::array::from_fn(|g| part(group[g]));
                    let mut s: [f64; $k] = std::array::from_fn(|g| sums[group[g]]);
                    let mut c: [usize; $k] = std::array::from_fn(|g| cnts[group[g]]);
                    sum_weights_k::<$k>(src, &mut s, &mut c);
                    for g in 0..$k {
                        (sums[group[g]], cnts[group[g]]) = (s[g], c[g]);
                    }
                }};
            }
            match group.len() {
                1 => go!(1),
                2 => go!(2),
                3 => go!(3),
                _ => go!(4),
            }
        }
        y0 = y1;
    }
    if let Some(e) = failed.into_iter().flatten().next() {
        return Err(e);
    }
    Ok(srcs
        .iter()
        .enumerate()
        .map(|(j, (i, _))| {
            let mean = if cnts[j] == 0 {
                0.0
            } else {
                f64::from((sums[j] / cnts[j] as f64) as f32)
            };
            (*i, mean)
        })
        .collect())
}

/// Adds the weights `>= 1e-8` of `K` equally long pixel lists to their sums and counts,
/// element `x` of every list in turn (each sum in its own order).
#[allow(clippy::needless_range_loop)] // element x of each of the K lists, in lockstep
fn sum_weights_k<const K: usize>(src: [&[f32]; K], sums: &mut [f64; K], cnts: &mut [usize; K]) {
    let n = src.iter().map(|s| s.len()).min().unwrap_or(0);
    let (mut s, mut c) = (*sums, *cnts);
    for x in 0..n {
        for j in 0..K {
            let w = src[j][x];
            if w >= 1.0e-8_f32 {
                s[j] += f64::from(w);
                c[j] += 1;
            }
        }
    }
    (*sums, *cnts) = (s, c);
}

fn read_band(
    inputs: &mut [StackInput<'_>],
    data: &mut [Array2<f32>],
    wht: &mut [Array2<f32>],
    y0: usize,
    y1: usize,
) -> Result<()> {
    let rows = y1 - y0;
    let job = |(i, (inp, d)): (usize, (&mut StackInput<'_>, &mut Array2<f32>))| -> Result<()> {
        inp.data
            .read_rows(y0, y1, d.slice_axis_mut(Axis(0), Slice::from(..rows)))
            .map_err(|e| relabel(e, i))
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        inputs
            .par_iter_mut()
            .zip(data.par_iter_mut())
            .enumerate()
            .try_for_each(job)?;
    }
    #[cfg(not(feature = "rayon"))]
    inputs
        .iter_mut()
        .zip(data.iter_mut())
        .enumerate()
        .try_for_each(job)?;
    if !wht.is_empty() {
        for (i, (inp, w)) in inputs.iter_mut().zip(wht.iter_mut()).enumerate() {
            let mut v = w.slice_axis_mut(Axis(0), Slice::from(..rows));
            match inp.weight.as_mut() {
                Some(src) => src
                    .read_rows(y0, y1, v.view_mut())
                    .map_err(|e| relabel(e, i))?,
                None => v.fill(1.0),
            }
        }
    }
    Ok(())
}

struct Consts {
    n: usize,
    nx: usize,
    params: CombineParams,
    thresholds: Vec<f64>,
    bkg_rate: Vec<f64>,
    rn2: Vec<f64>,
}

impl Consts {
    #[inline]
    fn weight_ok(&self, i: usize, w: Option<f32>) -> bool {
        match w {
            // a NaN weight is not below the threshold (numpy's `less` is false)
            Some(w) => !matches!(
                f64::from(w).partial_cmp(&self.thresholds[i]),
                Some(std::cmp::Ordering::Less)
            ),
            None => true,
        }
    }
}

/// Row `y` of a band buffer (standard layout, so always a contiguous slice).
fn row_slice<'b>(a: &'b ArrayView2<'_, f32>, y: usize) -> &'b [f32] {
    a.row(y)
        .to_slice()
        .expect("band buffers are contiguous by construction")
}

/// Sort ascending with `total_cmp` (insertion sort for the usual small stacks).
#[inline]
fn sort_small(v: &mut [f64]) {
    if v.len() <= 24 {
        for i in 1..v.len() {
            let x = v[i];
            let mut j = i;
            while j > 0 && v[j - 1].total_cmp(&x).is_gt() {
                v[j] = v[j - 1];
                j -= 1;
            }
            v[j] = x;
        }
    } else {
        v.sort_unstable_by(f64::total_cmp);
    }
}

/// stsci.image `_inner_median` on sorted good values (nlow/nhigh decremented until
/// something remains); `None` when there is no value.
fn median_of(sorted: &[f64], nlow: usize, nhigh: usize) -> Option<f64> {
    let good = sorted.len();
    if good == 0 {
        return None;
    }
    let (mut lo, mut hi) = (nlow, nhigh);
    while lo + hi >= good {
        lo = lo.saturating_sub(1);
        hi = hi.saturating_sub(1);
    }
    let m = good - lo - hi;
    let mid = m / 2;
    Some(if m % 2 == 1 {
        sorted[mid + lo]
    } else {
        (sorted[mid + lo] + sorted[mid + lo - 1]) / 2.0
    })
}

/// stsci.image `_inner_average`: mean after nlow/nhigh, `None` if nothing is left.
fn mean_of(sorted: &[f64], nlow: usize, nhigh: usize) -> Option<f64> {
    let good = sorted.len();
    if good <= nlow + nhigh {
        return None;
    }
    let m = good - nlow - nhigh;
    let sum: f64 = sorted[nlow..nlow + m].iter().sum();
    Some(sum / m as f64)
}

fn for_rows<F>(mut img: ArrayViewMut2<'_, f32>, mut cnt: ArrayViewMut2<'_, u32>, f: F)
where
    F: Fn(usize, &mut [f32], &mut [u32]) + Sync + Send,
{
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        let rows: Vec<_> = img
            .axis_iter_mut(Axis(0))
            .zip(cnt.axis_iter_mut(Axis(0)))
            .enumerate()
            .collect();
        rows.into_par_iter().for_each(|(y, (mut r, mut c))| {
            if let (Some(r), Some(c)) = (r.as_slice_mut(), c.as_slice_mut()) {
                f(y, r, c);
            }
        });
    }
    #[cfg(not(feature = "rayon"))]
    for (y, (mut r, mut c)) in img
        .axis_iter_mut(Axis(0))
        .zip(cnt.axis_iter_mut(Axis(0)))
        .enumerate()
    {
        if let (Some(r), Some(c)) = (r.as_slice_mut(), c.as_slice_mut()) {
            f(y, r, c);
        }
    }
}

#[allow(clippy::needless_range_loop)] // i indexes several per-input tables
fn combine_rows(
    c: &Consts,
    data: &[ArrayView2<'_, f32>],
    wht: &[ArrayView2<'_, f32>],
    img: ArrayViewMut2<'_, f32>,
    cnt: ArrayViewMut2<'_, u32>,
) {
    let p = &c.params;
    let lthresh = p.combine_lthresh;
    let hthresh = p.combine_hthresh;
    let mean = matches!(p.combine_type, CombineType::Mean | CombineType::IMean);
    let fill_from_input = p.combine_type.fills_from_input();
    for_rows(img, cnt, |y, out, count| {
        let mut vals = vec![0.0f64; c.n];
        let drows: Vec<&[f32]> = data.iter().map(|d| row_slice(d, y)).collect();
        let wrows: Vec<&[f32]> = wht.iter().map(|w| row_slice(w, y)).collect();
        for x in 0..c.nx {
            let mut k = 0;
            for i in 0..c.n {
                let v = drows[i][x];
                if v.is_nan() || !c.weight_ok(i, wrows.get(i).map(|w| w[x])) {
                    continue;
                }
                let vd = f64::from(v);
                if lthresh.is_some_and(|l| vd < l) || hthresh.is_some_and(|h| vd >= h) {
                    continue;
                }
                vals[k] = vd;
                k += 1;
            }
            count[x] = k as u32;
            let good = &mut vals[..k];
            sort_small(good);
            let r = if mean {
                mean_of(good, p.combine_nlow, p.combine_nhigh)
            } else {
                median_of(good, p.combine_nlow, p.combine_nhigh)
            };
            out[x] = match r {
                Some(v) => v as f32,
                None if k == 0 && fill_from_input => (0..c.n)
                    .map(|i| drows[i][x])
                    .find(|v| *v != 0.0 && !v.is_nan())
                    .unwrap_or(p.fillval),
                None => p.fillval,
            };
        }
    });
}

/// minmed per-row quantities of a band (everything but the grow decision).
#[allow(clippy::needless_range_loop)] // i indexes several per-input tables
fn minmed_rows(
    c: &Consts,
    data: &[ArrayView2<'_, f32>],
    wht: &[ArrayView2<'_, f32>],
    rows: usize,
) -> Vec<MinmedRow> {
    let n1 = c.params.combine_nsigma.0;
    let one = |y: usize| -> MinmedRow {
        let nx = c.nx;
        let mut r = MinmedRow {
            min: vec![0.0; nx],
            med: vec![0.0; nx],
            minw: vec![0.0; nx],
            medw: vec![0.0; nx],
            rms: vec![0.0; nx],
            flag: vec![false; nx],
            count: vec![0; nx],
        };
        let mut vals = vec![0.0f64; c.n];
        let drows: Vec<&[f32]> = data.iter().map(|d| row_slice(d, y)).collect();
        let wrows: Vec<&[f32]> = wht.iter().map(|w| row_slice(w, y)).collect();
        for x in 0..nx {
            let mut k = 0;
            let mut t = 0.0f32; // Σ W (float32, input order)
            let mut b = 0.0f64; // Σ W·sky/exptime
            let mut rn = 0.0f64; // Σ_good rn²
            for i in 0..c.n {
                let w = wrows[i][x];
                t += w;
                b += f64::from(w) * c.bkg_rate[i];
                let v = drows[i][x];
                if v.is_nan() || !c.weight_ok(i, Some(w)) {
                    continue;
                }
                rn += c.rn2[i];
                vals[k] = f64::from(v);
                k += 1;
            }
            r.count[x] = k as u32;
            if k == 0 {
                continue; // all bad: result is the fill value
            }
            let good = &mut vals[..k];
            sort_small(good);
            let med = if c.n == 2 {
                mean_of(good, 0, 0)
            } else if k == 1 {
                Some(good[0])
            } else {
                median_of(good, 0, 1)
            }
            .unwrap_or(0.0) as f32;
            let min = good[0] as f32;
            let minw = min * t;
            let medw = med * t;
            let rms2 = (f64::from(medw) + b) + rn;
            let rms = if rms2 > 0.0 { rms2.sqrt() } else { 0.0 };
            r.min[x] = min;
            r.med[x] = med;
            r.minw[x] = minw;
            r.medw[x] = medw;
            r.rms[x] = rms;
            r.flag[x] = f64::from(minw) < f64::from(medw) - rms * n1;
        }
        r
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        (0..rows).into_par_iter().map(one).collect()
    }
    #[cfg(not(feature = "rayon"))]
    (0..rows).map(one).collect()
}

/// The minmed decision for rows `y_start..y_start + img.nrows()`, with the flags of the
/// rows within `grow` from the window.
#[allow(clippy::too_many_arguments)]
fn minmed_finish(
    c: &Consts,
    window: &std::collections::VecDeque<MinmedRow>,
    window_y0: usize,
    y_start: usize,
    ny: usize,
    grow: usize,
    img: ArrayViewMut2<'_, f32>,
    cnt: ArrayViewMut2<'_, u32>,
) {
    let (n1, n2) = c.params.combine_nsigma;
    let fill = c.params.fillval;
    let nx = c.nx;
    for_rows(img, cnt, |dy, out, count| {
        let y = y_start + dy;
        let row = &window[y - window_y0];
        let ylo = y.saturating_sub(grow);
        let yhi = (y + grow).min(ny - 1);
        // columns having a flag within ±grow rows, then dilate along x
        let mut colflag = vec![false; nx];
        if grow > 0 {
            for yy in ylo..=yhi {
                for (cf, &f) in colflag.iter_mut().zip(&window[yy - window_y0].flag) {
                    *cf |= f;
                }
            }
        }
        let mut run = 0usize; // flagged columns in [x - grow, x + grow]
        if grow > 0 {
            for &cf in colflag.iter().take(grow.min(nx)) {
                run += usize::from(cf);
            }
        }
        for x in 0..nx {
            if grow > 0 {
                if x + grow < nx {
                    run += usize::from(colflag[x + grow]);
                }
                if x > grow {
                    run -= usize::from(colflag[x - grow - 1]);
                }
            }
            count[x] = row.count[x];
            if row.count[x] == 0 {
                out[x] = fill;
                continue;
            }
            let nsig = if grow > 0 && run > 0 { n2 } else { n1 };
            let thr = f64::from(row.medw[x]) - row.rms[x] * nsig;
            out[x] = if f64::from(row.minw[x]) < thr {
                row.min[x]
            } else {
                row.med[x]
            };
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_rules() {
        assert_eq!(median_of(&[1.0, 2.0, 3.0, 4.0], 0, 0), Some(2.5));
        assert_eq!(median_of(&[1.0, 2.0, 3.0, 4.0], 0, 1), Some(2.0));
        assert_eq!(median_of(&[1.0, 2.0], 1, 1), Some(1.5));
        assert_eq!(median_of(&[1.0, 2.0, 3.0], 2, 2), Some(2.0));
        assert_eq!(median_of(&[], 0, 0), None);
        assert_eq!(mean_of(&[1.0, 2.0, 6.0], 1, 0), Some(4.0));
        assert_eq!(mean_of(&[1.0, 2.0], 1, 1), None);
    }
}

#[cfg(test)]
mod weight_mean_tests {
    use super::*;

    #[test]
    fn weight_means_together_match_one_by_one() {
        let (ny, nx) = (37, 23);
        let images: Vec<Array2<f32>> = (0..6)
            .map(|k| {
                Array2::from_shape_fn((ny, nx), |(y, x)| {
                    let h = (y * 131 + x * 71 + k * 17) % 97;
                    if h % 11 == 0 {
                        0.0
                    } else {
                        h as f32 * 0.731 + 1.0e-3 * k as f32
                    }
                })
            })
            .collect();
        // one by one: the f64 sum in pixel order, the f32 mean
        let want: Vec<f64> = images
            .iter()
            .map(|a| {
                let (mut s, mut c) = (0.0f64, 0usize);
                for &w in a.iter() {
                    if w >= 1.0e-8 {
                        s += f64::from(w);
                        c += 1;
                    }
                }
                f64::from((s / c as f64) as f32)
            })
            .collect();
        for band in [1, 5, 37] {
            let mut srcs: Vec<ArraySource<'_>> =
                images.iter().map(|a| ArraySource::new(a.view())).collect();
            let list: Vec<(usize, &mut dyn RowSource)> = srcs
                .iter_mut()
                .enumerate()
                .map(|(i, s)| (i * 2, s as &mut dyn RowSource))
                .collect();
            let got = weight_means(list, band, nx).unwrap();
            for (j, (i, m)) in got.iter().enumerate() {
                assert_eq!(*i, j * 2);
                assert_eq!(m.to_bits(), want[j].to_bits(), "band {band}, input {j}");
            }
        }
    }
}
