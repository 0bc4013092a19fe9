//! The drizzle accumulator.

use ndarray::{Array2, Array3, ArrayView2, Axis};

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use crate::alloc::{prefetch, zeroed2, zeroed3};
use crate::error::{Error, Result, param_err, shape_err};
use crate::kernels::{self, Clip, KernelParams, Sink, Tile};
use crate::options::{AddImageOptions, DrizzleOptions, WeightType};
use crate::pixmap::PixelMap;

/// Input pixels per band: the pixel map of one band (plus a one-pixel halo) per thread is
/// all that is held at a time (16 bytes per pixel, 1 MiB each; two bands with the
/// pipelined bands of costly maps, the one drizzled and the next one being set up), small
/// enough to stay in cache between their passes.
const BAND_PIXELS: usize = if cfg!(test) {
    // Unit tests: many bands on small images.
    1 << 10
} else {
    1 << 16
};
/// With more than one thread and a map costly to evaluate (the pipelined bands, see
/// [`Drizzle::add_image`]), the output rows a band can reach are split into this many
/// pieces per thread, of equal work, each drizzled by one task. Few, tall pieces keep the
/// walks along the output long (the hardware prefetchers follow an input row across the
/// output only over long runs: 128 fixed stripes cost 75 % more CPU than one).
#[cfg(feature = "rayon")]
const PIECES_PER_THREAD: usize = 2;
/// Pixels per block of a row whose output-y range is recorded, so that a stripe skips
/// blocks that cannot reach it.
const BLOCK: usize = kernels::CORNER_BLOCK;
/// How many input pixels ahead the output is prefetched.
const AHEAD: usize = 16;
/// The same for the point kernel, and every how many pixels ([`scan_point`]).
const POINT_AHEAD: usize = 32;
const POINT_PREFETCH_STEP: usize = 4;
const _: () = assert!(BLOCK == crate::simd_kernels::POINT_BLOCK);

/// One input image and its per-pixel companions for [`Drizzle::add_image`].
///
/// # Examples
///
/// ```
/// use astro_drizzle::Input;
/// use ndarray::Array2;
/// let sci = Array2::<f32>::ones((4, 4));
/// let wht = Array2::<f32>::ones((4, 4));
/// let var = Array2::<f32>::ones((4, 4));
/// let input = Input::new(sci.view()).with_weights(wht.view()).with_variances(vec![var.view()]);
/// assert_eq!(input.variances.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// Science data, shape `(ny, nx)`.
    pub data: ArrayView2<'a, f32>,
    /// Per-pixel weights (drizzle's `weight_map`); 1 when `None`.
    pub weights: Option<ArrayView2<'a, f32>>,
    /// Per-pixel DQ flags, OR-ed into the output DQ (needs [`DrizzleOptions::with_dq`]).
    pub dq: Option<ArrayView2<'a, u32>>,
    /// Variance-like arrays resampled with squared weights (drizzle's `data2`), as many as
    /// [`DrizzleOptions::n_variance`].
    pub variances: Vec<ArrayView2<'a, f32>>,
}

impl<'a> Input<'a> {
    /// An input with data only (unit weights, no DQ, no variance).
    ///
    /// ```
    /// let d = ndarray::Array2::<f32>::zeros((2, 3));
    /// assert!(astro_drizzle::Input::new(d.view()).weights.is_none());
    /// ```
    pub fn new(data: ArrayView2<'a, f32>) -> Self {
        Input {
            data,
            weights: None,
            dq: None,
            variances: Vec::new(),
        }
    }

    /// With a weight map.
    ///
    /// ```
    /// let d = ndarray::Array2::<f32>::zeros((2, 3));
    /// assert!(astro_drizzle::Input::new(d.view()).with_weights(d.view()).weights.is_some());
    /// ```
    pub fn with_weights(mut self, weights: ArrayView2<'a, f32>) -> Self {
        self.weights = Some(weights);
        self
    }

    /// With DQ flags.
    ///
    /// ```
    /// let d = ndarray::Array2::<f32>::zeros((2, 3));
    /// let q = ndarray::Array2::<u32>::zeros((2, 3));
    /// assert!(astro_drizzle::Input::new(d.view()).with_dq(q.view()).dq.is_some());
    /// ```
    pub fn with_dq(mut self, dq: ArrayView2<'a, u32>) -> Self {
        self.dq = Some(dq);
        self
    }

    /// With variance arrays.
    ///
    /// ```
    /// let d = ndarray::Array2::<f32>::zeros((2, 3));
    /// assert_eq!(astro_drizzle::Input::new(d.view()).with_variances(vec![d.view(), d.view()]).variances.len(), 2);
    /// ```
    pub fn with_variances(mut self, variances: Vec<ArrayView2<'a, f32>>) -> Self {
        self.variances = variances;
        self
    }
}

/// What one [`Drizzle::add_image`] did.
///
/// ```
/// let s = astro_drizzle::AddStats::default();
/// assert_eq!((s.nmiss, s.nskip), (0, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AddStats {
    /// Pixels of the input box that reached no output pixel (no map, or off the output).
    pub nmiss: usize,
    /// Rows of the input box none of whose pixels reached the output.
    pub nskip: usize,
    /// Context id (0-based image number) given to this image.
    pub ctx_id: usize,
    /// The `pscale_ratio` used (given or estimated).
    pub pscale_ratio: f64,
}

/// The products of a [`Drizzle`] after [`Drizzle::finalize`].
///
/// ```
/// use astro_drizzle::{Drizzle, DrizzleOptions};
/// let out = Drizzle::new((3, 4), DrizzleOptions::default())?.finalize();
/// assert_eq!(out.sci.dim(), (3, 4));
/// assert!(out.sci[[0, 0]].is_nan()); // no input: filled with NaN
/// assert_eq!(out.ctx.unwrap().dim(), (1, 3, 4));
/// # Ok::<(), astro_drizzle::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DrizzleOutput {
    /// Weighted mean of the inputs (filled where `wht == 0`).
    pub sci: Array2<f32>,
    /// Total weight.
    pub wht: Array2<f32>,
    /// Context: plane `k / 32`, bit `k % 32` set where image `k` contributed with positive
    /// weight; shape `(planes, ny, nx)`. `None` when disabled.
    pub ctx: Option<Array3<i32>>,
    /// OR of the DQ of contributing pixels, when requested.
    pub dq: Option<Array2<u32>>,
    /// Resampled variances `Σ w² v / (Σ w)²` (filled like `sci` where `wht == 0`).
    pub variances: Vec<Array2<f32>>,
    /// `sqrt(Σ variances)` when there are variance arrays.
    pub err: Option<Array2<f32>>,
    /// Sum of the `exptime` of the images added.
    pub total_exptime: f64,
    /// Number of images added.
    pub n_images: usize,
}

/// The drizzle accumulator (Fruchter & Hook 2002): images are added one by one
/// ([`Drizzle::add_image`]) onto a fixed output grid, then [`Drizzle::finalize`] applies
/// the fill value once and returns the products.
///
/// Update rule per (input pixel, output pixel) pair with weight `dow` (drizzle's C kernel):
/// nothing happens when `dow == 0`; the context bit is set when `dow > 0`; the first
/// contribution overwrites, later ones form the running weighted mean (in f32 as drizzle
/// for the square, turbo and point kernels, in f64 for gaussian and lanczos; stored f32,
/// in input-pixel order exactly as drizzle), variances are combined with
/// squared weights, DQ is OR-ed and the weight accumulates.
///
/// NaN or infinite data or weights give the pixel zero weight (they never poison the
/// output); NaN in the pixel map drops only that pixel. The input is drizzled in bands
/// of rows, in input order; with several threads the output rows are split into one slab
/// per thread of about equal work, each drizzled by its own task that walks every band
/// reaching its rows in input order (no task waits for another). Every output pixel thus
/// receives its contributions in input order: the result is bit-identical for any number
/// of threads. The output arrays are backed by transparent
/// huge pages where Linux offers them (`ASTRO_MADVISE_HUGEPAGE=0` in the environment
/// turns this off).
///
/// # Examples
///
/// ```
/// use astro_drizzle::{AddImageOptions, Drizzle, DrizzleOptions, Input, PixelMap};
/// use ndarray::{Array2, Array3};
///
/// let data = Array2::<f32>::from_elem((10, 10), 3.0);
/// // shift by (+2.5, +1) output pixels
/// let pm = Array3::from_shape_fn((10, 10, 2), |(j, i, k)| if k == 0 { i as f64 + 2.5 } else { j as f64 + 1.0 });
/// let mut driz = Drizzle::new((12, 14), DrizzleOptions::default())?;
/// driz.add_image(&Input::new(data.view()), &PixelMap::from_array(pm.view())?, &AddImageOptions::default())?;
/// let out = driz.finalize();
/// assert_eq!(out.sci[[5, 7]], 3.0);
/// assert_eq!(out.wht[[5, 7]], 1.0);
/// assert_eq!(out.wht[[5, 2]], 0.5); // half covered
/// assert!((out.wht.sum() - 100.0).abs() < 1e-4); // every input weight lands
/// # Ok::<(), astro_drizzle::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Drizzle {
    opts: DrizzleOptions,
    ny: usize,
    nx: usize,
    sci: Array2<f32>,
    wht: Array2<f32>,
    ctx: Vec<Array2<i32>>,
    dq: Option<Array2<u32>>,
    var: Vec<Array2<f32>>,
    n_images: usize,
    total_exptime: f64,
    /// A context bit owed by an add that did not write the context per update
    /// ([`Drizzle::add_image`]): `(plane, bit)`, set wherever the weight is > 0 by
    /// [`Drizzle::pay_ctx`] before anything else reads or writes the context.
    ctx_owed: Option<(usize, i32)>,
    /// Whether every output weight is still 0: a new accumulator before its first add.
    wht_all_zero: bool,
}

fn bytes_needed(ny: usize, nx: usize, opts: &DrizzleOptions, ctx_planes: usize) -> u128 {
    let per = 8 + 4 * ctx_planes + if opts.with_dq { 4 } else { 0 } + 4 * opts.n_variance;
    ny as u128 * nx as u128 * per as u128
}

impl Drizzle {
    /// A new accumulator for an output of shape `(ny, nx)`.
    ///
    /// # Errors
    ///
    /// An empty shape; [`Error::OutputTooLarge`] when the output arrays would exceed
    /// [`DrizzleOptions::max_memory_bytes`] (checked before allocating).
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_drizzle::{Drizzle, DrizzleOptions, Error};
    /// let small = DrizzleOptions { max_memory_bytes: 1 << 20, ..Default::default() };
    /// assert!(matches!(Drizzle::new((100_000, 100_000), small), Err(Error::OutputTooLarge { .. })));
    /// assert!(Drizzle::new((10, 10), DrizzleOptions::default()).is_ok());
    /// ```
    pub fn new(shape: (usize, usize), options: DrizzleOptions) -> Result<Drizzle> {
        let (ny, nx) = shape;
        if ny == 0 || nx == 0 {
            return Err(shape_err("output", &[1, 1], &[ny, nx]));
        }
        let planes = usize::from(!options.disable_ctx);
        let needed = bytes_needed(ny, nx, &options, planes);
        if needed > options.max_memory_bytes as u128 {
            return Err(Error::OutputTooLarge {
                ny,
                nx,
                needed,
                limit: options.max_memory_bytes as u128,
            });
        }
        Ok(Drizzle {
            ny,
            nx,
            sci: zeroed2(shape),
            wht: zeroed2(shape),
            ctx: (0..planes).map(|_| zeroed2(shape)).collect(),
            dq: options.with_dq.then(|| zeroed2(shape)),
            var: (0..options.n_variance).map(|_| zeroed2(shape)).collect(),
            opts: options,
            n_images: 0,
            total_exptime: 0.0,
            ctx_owed: None,
            wht_all_zero: true,
        })
    }

    /// A new accumulator continuing from existing science and weight arrays (e.g. to keep
    /// the values of pixels that get no weight with [`FillValue::Indef`](crate::FillValue::Indef)). Pixels with
    /// weight > 0 are averaged with new inputs; their context starts empty.
    ///
    /// # Errors
    ///
    /// As [`Drizzle::new`]; `sci` and `wht` of different shapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_drizzle::{Drizzle, DrizzleOptions, FillValue};
    /// use ndarray::Array2;
    /// let opts = DrizzleOptions { fillval: FillValue::Indef, ..Default::default() };
    /// let d = Drizzle::with_initial_output(Array2::from_elem((2, 2), 7.0), Array2::zeros((2, 2)), opts)?;
    /// assert_eq!(d.finalize().sci[[1, 1]], 7.0);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn with_initial_output(
        sci: Array2<f32>,
        wht: Array2<f32>,
        options: DrizzleOptions,
    ) -> Result<Drizzle> {
        if sci.dim() != wht.dim() {
            return Err(shape_err("wht", sci.shape(), wht.shape()));
        }
        let mut d = Drizzle::new(sci.dim(), options)?;
        d.sci = sci.as_standard_layout().into_owned();
        d.wht = wht.as_standard_layout().into_owned();
        d.wht_all_zero = false;
        Ok(d)
    }

    /// Output shape `(ny, nx)`.
    ///
    /// ```
    /// let d = astro_drizzle::Drizzle::new((3, 5), Default::default())?;
    /// assert_eq!(d.shape(), (3, 5));
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        (self.ny, self.nx)
    }

    /// The options.
    ///
    /// ```
    /// let d = astro_drizzle::Drizzle::new((3, 5), Default::default())?;
    /// assert_eq!(d.options().kernel, astro_drizzle::Kernel::Square);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn options(&self) -> &DrizzleOptions {
        &self.opts
    }

    /// Number of images added so far (the next context id).
    ///
    /// ```
    /// let d = astro_drizzle::Drizzle::new((3, 5), Default::default())?;
    /// assert_eq!(d.n_images(), 0);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn n_images(&self) -> usize {
        self.n_images
    }

    /// The science array so far (unfilled: pixels without weight hold their initial value).
    ///
    /// ```
    /// let d = astro_drizzle::Drizzle::new((3, 5), Default::default())?;
    /// assert_eq!(d.sci()[[0, 0]], 0.0);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn sci(&self) -> ArrayView2<'_, f32> {
        self.sci.view()
    }

    /// The weight array so far.
    ///
    /// ```
    /// let d = astro_drizzle::Drizzle::new((3, 5), Default::default())?;
    /// assert_eq!(d.wht().sum(), 0.0);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn wht(&self) -> ArrayView2<'_, f32> {
        self.wht.view()
    }

    /// Resample `input` through `pixmap` (input pixel → output pixel, of the input's shape)
    /// and add it to the output.
    ///
    /// # Errors
    ///
    /// Invalid options ([`AddImageOptions::validate`]); weights, DQ, variances or pixel map
    /// of another shape than the data; a number of variance arrays other than
    /// [`DrizzleOptions::n_variance`]; DQ without [`DrizzleOptions::with_dq`]; an input box
    /// (`xmin..xmax`, `ymin..ymax`) outside the image or empty; context growth beyond the
    /// memory limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_drizzle::{AddImageOptions, Drizzle, Input, Kernel, DrizzleOptions, PixelMap};
    /// use ndarray::{Array2, Array3};
    /// let data = Array2::<f32>::from_elem((4, 4), 2.0);
    /// let pm = Array3::from_shape_fn((4, 4, 2), |(j, i, k)| if k == 0 { i as f64 } else { j as f64 });
    /// let map = PixelMap::from_array(pm.view())?;
    /// let mut d = Drizzle::new((4, 4), DrizzleOptions { kernel: Kernel::Point, ..Default::default() })?;
    /// let stats = d.add_image(&Input::new(data.view()), &map, &AddImageOptions::default())?;
    /// assert_eq!(stats.nmiss, 0);
    /// assert_eq!(d.sci()[[3, 3]], 2.0);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn add_image(
        &mut self,
        input: &Input<'_>,
        pixmap: &PixelMap<'_>,
        options: &AddImageOptions,
    ) -> Result<AddStats> {
        options.validate()?;
        let (ny_in, nx_in) = input.data.dim();
        let dshape = [ny_in, nx_in];
        if ny_in == 0 || nx_in == 0 {
            return Err(shape_err("data", &[1, 1], &dshape));
        }
        if let Some(w) = &input.weights
            && w.dim() != (ny_in, nx_in)
        {
            return Err(shape_err("weights", &dshape, w.shape()));
        }
        if let Some(q) = &input.dq {
            if q.dim() != (ny_in, nx_in) {
                return Err(shape_err("dq", &dshape, q.shape()));
            }
            if !self.opts.with_dq {
                return Err(param_err(
                    "dq",
                    "given",
                    "the accumulator was created without with_dq",
                ));
            }
        }
        if input.variances.len() != self.opts.n_variance {
            return Err(param_err(
                "variances",
                input.variances.len(),
                format!("n_variance is {}", self.opts.n_variance),
            ));
        }
        for (k, v) in input.variances.iter().enumerate() {
            if v.dim() != (ny_in, nx_in) {
                return Err(shape_err(format!("variance {k}"), &dshape, v.shape()));
            }
        }
        if pixmap.shape() != (ny_in, nx_in) {
            let (a, b) = pixmap.shape();
            return Err(shape_err("pixmap", &[ny_in, nx_in, 2], &[a, b, 2]));
        }
        let xmin = options.xmin.unwrap_or(0);
        let xmax = options.xmax.unwrap_or(nx_in - 1);
        let ymin = options.ymin.unwrap_or(0);
        let ymax = options.ymax.unwrap_or(ny_in - 1);
        if xmax >= nx_in || xmin > xmax {
            return Err(param_err(
                "xmin/xmax",
                format!("{xmin}..={xmax}"),
                format!("must satisfy xmin <= xmax < {nx_in}"),
            ));
        }
        if ymax >= ny_in || ymin > ymax {
            return Err(param_err(
                "ymin/ymax",
                format!("{ymin}..={ymax}"),
                format!("must satisfy ymin <= ymax < {ny_in}"),
            ));
        }

        // Context plane for this image.
        let ctx_id = self.n_images;
        let plane = ctx_id / 32;
        let bit: i32 = 1i32 << (ctx_id % 32);
        // Whether some output array may still hold pages never written (then worth making
        // resident ahead, see `Band::touch`): the first image, or a new context plane.
        let fresh_pages = ctx_id == 0 || (!self.opts.disable_ctx && self.ctx.len() <= plane);
        if !self.opts.disable_ctx {
            while self.ctx.len() <= plane {
                let needed = bytes_needed(self.ny, self.nx, &self.opts, self.ctx.len() + 1);
                if needed > self.opts.max_memory_bytes as u128 {
                    return Err(Error::OutputTooLarge {
                        ny: self.ny,
                        nx: self.nx,
                        needed,
                        limit: self.opts.max_memory_bytes as u128,
                    });
                }
                self.ctx.push(zeroed2((self.ny, self.nx)));
            }
        }
        // The context of the first add into a new accumulator, when no weight can be
        // negative (the kernels with non-negative footprints, no negative input weight),
        // is not written per update but owed, and set once afterwards wherever the weight
        // is > 0 (`pay_ctx`): the same bits, since a pixel then has weight > 0 exactly when
        // a contribution of weight > 0 reached it (weights only add up from 0; zero ones
        // are skipped, non-finite ones are 0). One output array fewer in the hot loop.
        self.pay_ctx();
        if !self.opts.disable_ctx
            && self.wht_all_zero
            && self.opts.kernel.weights_nonnegative()
            && weights_nonnegative(input.weights.as_ref(), options.wt_scl)
        {
            self.ctx_owed = Some((plane, bit));
        }
        self.wht_all_zero = false;

        let psr = match options.pscale_ratio {
            Some(p) => p,
            None => estimate_pscale_ratio(pixmap, (xmin, xmax, ymin, ymax)),
        };
        let kernel = self.opts.kernel;
        let kp = KernelParams::new(kernel, options.pixfrac, psr);
        let iscale = options.effective_iscale();
        let iscale2 = iscale * iscale;
        let wt_scl = options.wt_scl;

        let stats = {
            let ny_out = self.ny;
            let nx_out = self.nx;
            // Bands of input rows are drizzled in input order. With several threads: one
            // slab of output rows per thread, each drizzled by one task visiting the bands
            // that reach it in input order (`drizzle_slabs`); or, for maps costly to
            // evaluate, the pipelined bands (each band's output rows split into pieces
            // drizzled in parallel, see below). Every output pixel thus receives its
            // contributions in input order: the same bits for any number of threads.
            #[cfg(feature = "rayon")]
            let threads = rayon::current_num_threads();
            #[cfg(not(feature = "rayon"))]
            let threads = 1;
            // With several threads, whole-image slabs of output rows (see `drizzle_slabs`),
            // unless the map is costly to evaluate (slabs evaluate some bands twice, and
            // some maps once more to bound them): then the pipelined bands below.
            let use_slabs = threads > 1 && !pixmap.is_costly();
            #[cfg(feature = "rayon")]
            let max_pieces = if threads == 1 || use_slabs {
                1
            } else {
                PIECES_PER_THREAD * threads
            };
            #[cfg(not(feature = "rayon"))]
            let max_pieces = 1;
            let mut outs = Outputs {
                sci: self.sci.as_slice_mut().expect("standard layout"),
                wht: self.wht.as_slice_mut().expect("standard layout"),
                ctx: if self.opts.disable_ctx || self.ctx_owed.is_some() {
                    None
                } else {
                    Some(self.ctx[plane].as_slice_mut().expect("standard layout"))
                },
                dq: self
                    .dq
                    .as_mut()
                    .map(|q| q.as_slice_mut().expect("standard layout")),
                var: self
                    .var
                    .iter_mut()
                    .map(|v| v.as_slice_mut().expect("standard layout"))
                    .collect(),
            };

            let halo = match kp {
                KernelParams::Square { dh } => dh.floor() as usize + 1,
                _ => 0,
            };
            let c0 = xmin.saturating_sub(halo);
            let c1 = (xmax + 1 + halo).min(nx_in);
            let tw = c1 - c0;
            // The same bands for any number of threads: a band's footprint margin (from
            // its tile) decides which pixels count as missing, so `AddStats` too is the
            // same for any number of threads.
            let band_h = (BAND_PIXELS / tw.max(1)).clamp(8, 1 << 16);
            // Bands of equal height (no short last band).
            let n_rows = ymax + 1 - ymin;
            let band_h = n_rows.div_ceil(n_rows.div_ceil(band_h));
            let full = (nx_in >= 2, ny_in >= 2);
            let data_c = input.data.as_standard_layout();
            let wht_c = input.weights.as_ref().map(|w| w.as_standard_layout());
            let dq_c = input.dq.as_ref().map(|q| q.as_standard_layout());
            let var_c: Vec<_> = input
                .variances
                .iter()
                .map(|v| v.as_standard_layout())
                .collect();
            let px = Pix {
                nx: nx_in,
                data: data_c.as_slice().expect("standard layout"),
                weights: wht_c
                    .as_ref()
                    .map(|w| w.as_slice().expect("standard layout")),
                dq: dq_c
                    .as_ref()
                    .map(|q| q.as_slice().expect("standard layout")),
                vars: var_c
                    .iter()
                    .map(|v| v.as_slice().expect("standard layout"))
                    .collect(),
                iscale,
                iscale2,
                wt_scl,
            };
            let mut stats = AddStats {
                ctx_id,
                pscale_ratio: psr,
                ..AddStats::default()
            };
            let geo = BandGeom {
                kp: &kp,
                pixmap,
                c0,
                tw,
                halo,
                band_h,
                ny_in,
                xmin,
                xmax,
                ymax,
                nx_out,
                ny_out,
                max_pieces,
            };
            if use_slabs {
                let (nmiss, nskip) = drizzle_slabs(&geo, ymin, threads, &mut outs, &px, bit, full)?;
                stats.nmiss = nmiss;
                stats.nskip = nskip;
            } else {
                // Double-buffered bands: while the pieces of one band are drizzled, the next
                // band is set up (pixel map, extents, pieces) by another thread, which also
                // makes the output rows that band reaches first resident (see `Band::touch`).
                let mut cur = Band::new(c0, tw);
                let mut next = Band::new(c0, tw);
                cur.prepare(ymin, &geo, None)?;
                loop {
                    stats.nmiss += cur.nmiss;
                    stats.nskip += cur.nskip;
                    let jn = cur.jb1;
                    // Rows below `split` belong to this band's pieces, the others to the set-up
                    // of the next band.
                    let split = cur.bounds.last().copied().unwrap_or(0);
                    let (mut low, mut high) = outs.split_at_row(split, nx_out);
                    let (band, g, pxr) = (&cur, &geo, &px);
                    let mut drizzle = move || band.drizzle(&mut low, g, pxr, bit, full);
                    if jn > ymax {
                        drizzle();
                        break;
                    }
                    let fresh = fresh_pages.then_some((&mut high, split));
                    let prepare = || next.prepare(jn, g, fresh);
                    #[cfg(feature = "rayon")]
                    let ((), done) = rayon::join(drizzle, prepare);
                    #[cfg(not(feature = "rayon"))]
                    let done = {
                        drizzle();
                        prepare()
                    };
                    done?;
                    std::mem::swap(&mut cur, &mut next);
                }
            }
            stats
        };
        self.n_images += 1;
        self.total_exptime += options.exptime;
        Ok(stats)
    }

    /// Apply the fill value once (where the weight is 0) and return the products.
    ///
    /// ```
    /// use astro_drizzle::{Drizzle, DrizzleOptions, FillValue};
    /// let d = Drizzle::new((2, 2), DrizzleOptions { fillval: FillValue::Value(-1.0), ..Default::default() })?;
    /// assert_eq!(d.finalize().sci[[0, 1]], -1.0);
    /// # Ok::<(), astro_drizzle::Error>(())
    /// ```
    pub fn finalize(mut self) -> DrizzleOutput {
        self.pay_ctx();
        let Drizzle {
            opts,
            ny,
            nx,
            mut sci,
            wht,
            ctx,
            dq,
            mut var,
            n_images,
            total_exptime,
            ctx_owed: _,
            wht_all_zero: _,
        } = self;
        let err = (!var.is_empty()).then(|| {
            let mut e = zeroed2::<f32>((ny, nx));
            for v in &var {
                e += v;
            }
            e.mapv_inplace(f32::sqrt);
            e
        });
        let mut err = err;
        if let Some(f) = opts.fillval.value() {
            let fill = |a: &mut Array2<f32>| fill_unweighted(a, &wht, f);
            fill(&mut sci);
            for v in var.iter_mut() {
                fill(v);
            }
            if let Some(e) = err.as_mut() {
                fill(e);
            }
        }
        let ctx = (!opts.disable_ctx).then(|| {
            let planes = ctx.len();
            if planes == 1 {
                // No copy for the common case.
                return ctx
                    .into_iter()
                    .next()
                    .expect("one plane")
                    .insert_axis(Axis(0));
            }
            let mut c = zeroed3::<i32>((planes, ny, nx));
            for (k, p) in ctx.into_iter().enumerate() {
                c.index_axis_mut(Axis(0), k).assign(&p);
            }
            c
        });
        DrizzleOutput {
            sci,
            wht,
            ctx,
            dq,
            variances: var,
            err,
            total_exptime,
            n_images,
        }
    }
}

impl Drizzle {
    /// Set the owed context bit (see [`Drizzle::add_image`]) wherever the weight is > 0.
    fn pay_ctx(&mut self) {
        if let Some((plane, bit)) = self.ctx_owed.take() {
            set_bit_where_weighted(&mut self.ctx[plane], &self.wht, bit);
        }
    }
}

/// Whether no input weight `weights · wt_scl` can be < 0 (NaN weights count as 0, as in
/// the drizzle loops).
fn weights_nonnegative(weights: Option<&ArrayView2<'_, f32>>, wt_scl: f64) -> bool {
    let nonneg = |v: f32| v >= 0.0 || v.is_nan();
    let ok = |w: &[f32]| w.iter().fold(true, |a, &v| a & nonneg(v));
    // (`wt_scl` is finite: `AddImageOptions::validate`.)
    if wt_scl < 0.0 {
        return false;
    }
    match weights {
        None => true,
        Some(w) => match w.as_slice() {
            #[cfg(feature = "rayon")]
            Some(s) => s.par_chunks(1 << 16).all(ok),
            #[cfg(not(feature = "rayon"))]
            Some(s) => ok(s),
            None => w.iter().all(|&v| nonneg(v)),
        },
    }
}

/// `lane(t, w)` for lanes of up to 16 pixels of `t` and of `wht` (same shapes, standard
/// layout, as every array the accumulator owns), in parallel over blocks of rows.
fn for_each_lane<T: Send>(
    t: &mut Array2<T>,
    wht: &Array2<f32>,
    lane: impl Fn(&mut [T], &[f32]) + Sync,
) {
    const CHUNK: usize = 1 << 14;
    const LANES: usize = 16;
    assert_eq!(t.dim(), wht.dim(), "same shapes");
    let t = t.as_slice_mut().expect("standard layout");
    let w = wht.as_slice().expect("standard layout");
    let chunk = |(t, w): (&mut [T], &[f32])| {
        for (t, w) in t.chunks_mut(LANES).zip(w.chunks(LANES)) {
            lane(t, w);
        }
    };
    #[cfg(feature = "rayon")]
    t.par_chunks_mut(CHUNK)
        .zip(w.par_chunks(CHUNK))
        .for_each(chunk);
    #[cfg(not(feature = "rayon"))]
    t.chunks_mut(CHUNK).zip(w.chunks(CHUNK)).for_each(chunk);
}

/// Set `a` to `f` where `wht == 0` (same shapes, standard layout). Only what changes is
/// written: pages never touched stay unmapped zeros.
fn fill_unweighted(a: &mut Array2<f32>, wht: &Array2<f32>, f: f32) {
    let fb = f.to_bits();
    let lane = |s: &mut [f32], w: &[f32]| {
        // Whole lanes are tested first (vectorised); most need no write.
        let any = s.iter().zip(w).fold(false, |acc, (s, &w)| {
            acc | ((w == 0.0) & (s.to_bits() != fb))
        });
        if any {
            for (s, &w) in s.iter_mut().zip(w) {
                if w == 0.0 {
                    *s = f;
                }
            }
        }
    };
    for_each_lane(a, wht, lane);
}

/// `ctx |= bit` where `wht > 0` (same shapes, standard layout). Only what changes is
/// written: lanes without weight are only read.
fn set_bit_where_weighted(ctx: &mut Array2<i32>, wht: &Array2<f32>, bit: i32) {
    let lane = |c: &mut [i32], w: &[f32]| {
        if w.iter().fold(false, |a, &w| a | (w > 0.0)) {
            for (c, &w) in c.iter_mut().zip(w) {
                *c |= bit & -i32::from(w > 0.0);
            }
        }
    };
    for_each_lane(ctx, wht, lane);
}

/// Input pixel accessors (contiguous, row-major) and scales.
struct Pix<'b> {
    nx: usize,
    data: &'b [f32],
    weights: Option<&'b [f32]>,
    dq: Option<&'b [u32]>,
    vars: Vec<&'b [f32]>,
    iscale: f64,
    iscale2: f64,
    wt_scl: f64,
}

impl Pix<'_> {
    /// `(d, w)` of a pixel of value `v` and weight-map value `wm`: w = 0 for non-finite
    /// data or weight.
    #[inline(always)]
    fn value(&self, v: f32, wm: Option<f32>) -> (f32, f64) {
        let w = match wm {
            Some(wm) => wm as f64 * self.wt_scl,
            None => self.wt_scl,
        };
        if !v.is_finite() || !w.is_finite() {
            return (0.0, 0.0);
        }
        ((v as f64 * self.iscale) as f32, w)
    }
}

struct Stripe<'s> {
    r0: usize,
    r1: usize,
    sci: &'s mut [f32],
    wht: &'s mut [f32],
    ctx: Option<&'s mut [i32]>,
    dq: Option<&'s mut [u32]>,
    var: Vec<&'s mut [f32]>,
}

impl Stripe<'_> {
    /// One stripe per piece of rows `bounds[k]..bounds[k + 1]` (from `r0` to `r1`).
    fn split(&mut self, bounds: &[usize], nx: usize) -> Vec<Stripe<'_>> {
        let r0 = self.r0;
        let outs = Outputs {
            sci: &mut *self.sci,
            wht: &mut *self.wht,
            ctx: self.ctx.as_deref_mut(),
            dq: self.dq.as_deref_mut(),
            var: self.var.iter_mut().map(|v| &mut **v).collect(),
        };
        let local: Vec<usize> = bounds.iter().map(|&b| b - r0).collect();
        let mut pieces = outs.into_pieces(nx, &local);
        for p in pieces.iter_mut() {
            p.r0 += r0;
            p.r1 += r0;
        }
        pieces
    }
}

/// `a()` and `b()`, in parallel with the `rayon` feature; their results.
fn join<RA: Send, RB: Send>(
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB + Send,
) -> (RA, RB) {
    #[cfg(feature = "rayon")]
    return rayon::join(a, b);
    #[cfg(not(feature = "rayon"))]
    (a(), b())
}

/// The output arrays (or this image's context plane) as row-major slices.
struct Outputs<'s> {
    sci: &'s mut [f32],
    wht: &'s mut [f32],
    ctx: Option<&'s mut [i32]>,
    dq: Option<&'s mut [u32]>,
    var: Vec<&'s mut [f32]>,
}

/// Rows `bounds[k]..bounds[k + 1]` of a row-major slice `nx` wide, for every `k`.
fn split_rows<'a, T>(s: &'a mut [T], nx: usize, bounds: &[usize]) -> Vec<&'a mut [T]> {
    let mut rest = &mut s[bounds[0] * nx..];
    bounds
        .windows(2)
        .map(|w| {
            let (a, b) = std::mem::take(&mut rest).split_at_mut((w[1] - w[0]) * nx);
            rest = b;
            a
        })
        .collect()
}

impl<'s> Outputs<'s> {
    /// Rows `0..r` and `r..` (clamped to the arrays) of every array.
    fn split_at_row(&mut self, r: usize, nx: usize) -> (Outputs<'_>, Outputs<'_>) {
        fn cut<T>(s: &mut [T], k: usize) -> (&mut [T], &mut [T]) {
            let k = k.min(s.len());
            s.split_at_mut(k)
        }
        let k = r * nx;
        let (sci0, sci1) = cut(self.sci, k);
        let (wht0, wht1) = cut(self.wht, k);
        let (ctx0, ctx1) = match self.ctx.as_deref_mut() {
            Some(c) => {
                let (a, b) = cut(c, k);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let (dq0, dq1) = match self.dq.as_deref_mut() {
            Some(q) => {
                let (a, b) = cut(q, k);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let (var0, var1) = self.var.iter_mut().map(|v| cut(v, k)).unzip();
        (
            Outputs {
                sci: sci0,
                wht: wht0,
                ctx: ctx0,
                dq: dq0,
                var: var0,
            },
            Outputs {
                sci: sci1,
                wht: wht1,
                ctx: ctx1,
                dq: dq1,
                var: var1,
            },
        )
    }

    /// Rewrite element `p` of every array with its own value (see [`Band::touch`]).
    #[inline]
    fn touch(&mut self, p: usize) {
        fn again<T: Copy>(s: &mut [T], p: usize) {
            if let Some(v) = s.get_mut(p) {
                // (`black_box` keeps the store: it makes the written value opaque.)
                *v = std::hint::black_box(*v);
            }
        }
        again(self.sci, p);
        again(self.wht, p);
        if let Some(c) = self.ctx.as_deref_mut() {
            again(c, p);
        }
        if let Some(q) = self.dq.as_deref_mut() {
            again(q, p);
        }
        for v in self.var.iter_mut() {
            again(v, p);
        }
    }

    /// One [`Stripe`] per piece of rows `bounds[k]..bounds[k + 1]`.
    fn pieces(&mut self, nx: usize, bounds: &[usize]) -> Vec<Stripe<'_>> {
        self.reborrow().into_pieces(nx, bounds)
    }

    /// The same arrays, borrowed for a shorter time.
    fn reborrow(&mut self) -> Outputs<'_> {
        Outputs {
            sci: &mut *self.sci,
            wht: &mut *self.wht,
            ctx: self.ctx.as_deref_mut(),
            dq: self.dq.as_deref_mut(),
            var: self.var.iter_mut().map(|v| &mut **v).collect(),
        }
    }

    /// [`Outputs::pieces`], consuming the outputs.
    fn into_pieces(self, nx: usize, bounds: &[usize]) -> Vec<Stripe<'s>> {
        let sci = split_rows(self.sci, nx, bounds);
        let wht = split_rows(self.wht, nx, bounds);
        let mut ctx = self.ctx.map(|c| split_rows(c, nx, bounds).into_iter());
        let mut dq = self.dq.map(|q| split_rows(q, nx, bounds).into_iter());
        let mut var: Vec<_> = self
            .var
            .into_iter()
            .map(|v| split_rows(v, nx, bounds).into_iter())
            .collect();
        bounds
            .windows(2)
            .zip(sci.into_iter().zip(wht))
            .map(|(w, (sci, wht))| Stripe {
                r0: w[0],
                r1: w[1],
                sci,
                wht,
                ctx: ctx.as_mut().map(|it| it.next().expect("piece")),
                dq: dq.as_mut().map(|it| it.next().expect("piece")),
                var: var.iter_mut().map(|it| it.next().expect("piece")).collect(),
            })
            .collect()
    }
}

/// Split output rows `r_start..r_end` into at most `n` pieces of about equal work: the
/// blocks of the band (~[`BLOCK`] pixels each) counted at the output row of their centre.
/// Returns the piece boundaries, strictly increasing, from `r_start` to `r_end`.
fn piece_bounds(blocks: &[(f64, f64)], r_start: usize, r_end: usize, n: usize) -> Vec<usize> {
    let len = r_end - r_start;
    if n <= 1 || len < 2 {
        return vec![r_start, r_end];
    }
    let mut hist = vec![0usize; len];
    for &(blo, bhi) in blocks {
        if blo <= bhi {
            let c = (0.5 * (blo + bhi) + 0.5).floor() - r_start as f64;
            hist[(c.max(0.0) as usize).min(len - 1)] += 1;
        }
    }
    let total: usize = hist.iter().sum();
    let mut bounds = vec![r_start];
    let mut acc = 0;
    let mut k = 1;
    for (r, &h) in hist.iter().enumerate() {
        acc += h;
        // Close a piece after row r once its share of the work is reached.
        while k < n && acc * n >= k * total {
            let b = r_start + r + 1;
            if b > *bounds.last().expect("start") && b < r_end {
                bounds.push(b);
            }
            k += 1;
        }
    }
    bounds.push(r_end);
    bounds
}

/// How many sampled input pixels set the slabs' boundaries ([`slab_bounds`]).
const SLAB_SAMPLES: usize = 1 << 15;

/// The output rows the footprints of a band's pixels may reach, `[a, b]` (`a > b`: none):
/// from `[lo, hi]`, a range holding the output y of the centres of its pixels that may
/// reach the output, and `margin`, at least its [`footprint_margin`]; widened for rounding.
#[derive(Debug, Clone, Copy)]
struct Reach {
    /// First input row of the band.
    jb0: usize,
    a: f64,
    b: f64,
}

impl Reach {
    fn new(jb0: usize, lo: f64, hi: f64, margin: f64) -> Reach {
        if lo > hi || lo.is_nan() || hi.is_nan() {
            return Reach {
                jb0,
                a: f64::INFINITY,
                b: f64::NEG_INFINITY,
            };
        }
        let (a, b) = (lo - margin, hi + margin);
        let eps = 1e-6 + 1e-9 * a.abs().max(b.abs());
        Reach {
            jb0,
            a: a - eps,
            b: b + eps,
        }
    }

    /// Whether drizzling the band clipped to output rows `r0..r1` may write anything: the
    /// scans then visit only pixels with a centre in `[r0 - 0.5 - margin, r1 - 0.5 +
    /// margin]` ([`run`]), and only the rows and blocks of the band with such centres.
    fn meets(&self, r0: usize, r1: usize) -> bool {
        self.a <= self.b && self.b >= r0 as f64 - 0.5 && self.a <= r1 as f64 - 0.5
    }
}

/// Phase 0 of [`drizzle_slabs`]: the [`Reach`] of every band (from input row `ymin` on, of
/// `g.band_h` rows), cheaply from [`PixelMap::rect_bound`] over the band's tile, else (user
/// arrays, projective maps with a horizon, grid cells without image) from the band set up
/// as [`Band::prepare`] does (exact: the extents and margin the scans use).
fn plan_bands(g: &BandGeom<'_, '_>, ymin: usize) -> Result<Vec<Reach>> {
    let starts: Vec<usize> = (ymin..=g.ymax).step_by(g.band_h).collect();
    let reach = |band: &mut Option<Band>, &jb0: &usize| -> Result<Reach> {
        let jb1 = (jb0 + g.band_h).min(g.ymax + 1);
        let t0 = jb0.saturating_sub(g.halo);
        let t1 = (jb1 + g.halo).min(g.ny_in);
        if let Some(rb) = g.pixmap.rect_bound(g.c0, t0, g.tw, t1 - t0) {
            // (A step of 0 counts as 1 in `footprint_margin`.)
            let margin = margin_for_step(g.kp, rb.step.max(1.0));
            return Ok(Reach::new(jb0, rb.y_lo, rb.y_hi, margin));
        }
        let band = band.get_or_insert_with(|| Band::new(g.c0, g.tw));
        band.prepare(jb0, g, None)?;
        Ok(Reach::new(jb0, band.lo, band.hi, band.margin))
    };
    #[cfg(feature = "rayon")]
    let plans = starts.par_iter().map_init(|| None, reach).collect();
    #[cfg(not(feature = "rayon"))]
    let plans = {
        let mut band = None;
        starts.iter().map(|j| reach(&mut band, j)).collect()
    };
    plans
}

/// Boundaries of at most `n` slabs of output rows (from 0 to `g.ny_out`, increasing) of
/// about equal work: the output rows of the centres of a lattice of about
/// [`SLAB_SAMPLES`] pixels of the input box (rows from `ymin`), counted where they land
/// on the output (grown by a pixel).
fn slab_bounds(g: &BandGeom<'_, '_>, ymin: usize, n: usize) -> Vec<usize> {
    let (w, h) = (g.xmax + 1 - g.xmin, g.ymax + 1 - ymin);
    let stride = ((w as f64 * h as f64 / SLAB_SAMPLES as f64).sqrt().ceil() as usize).max(1);
    let (nx, ny) = (g.nx_out as f64, g.ny_out as f64);
    let row = |j: usize| -> Vec<(f64, f64)> {
        (g.xmin + (stride / 2).min(w - 1)..=g.xmax)
            .step_by(stride)
            .filter_map(|i| {
                let (x, y) = g.pixmap.map_point(i, j);
                ((x > -1.5) & (x < nx + 0.5) & (y > -1.5) & (y < ny + 0.5)).then_some((y, y))
            })
            .collect()
    };
    let rows = (ymin + (stride / 2).min(h - 1)..=g.ymax).step_by(stride);
    #[cfg(feature = "rayon")]
    let samples: Vec<(f64, f64)> = rows
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(row)
        .collect();
    #[cfg(not(feature = "rayon"))]
    let samples: Vec<(f64, f64)> = rows.flat_map(row).collect();
    piece_bounds(&samples, 0, g.ny_out, n)
}

/// Drizzle the bands of input rows from `ymin` on (of `g.band_h` rows) in `threads` slabs
/// of output rows of about equal work ([`slab_bounds`]), one task each, in parallel: a
/// task walks all the bands in input order and sets up and drizzles, clipped to its rows,
/// only those that may reach them ([`plan_bands`], [`Reach::meets`]). Every output pixel
/// thus receives its contributions in input order, as with one thread; no task waits for
/// another, and only the bands reaching two slabs are set up twice. Equal work is not
/// equal time (the host may slow one vCPU, or make it fault in memory it took back), so
/// once a slab is done the tasks still running hand out work: each band's rows are split
/// in two pieces of equal work ([`piece_bounds`]) while the next band is set up, three
/// jobs under `rayon::join` for the idle thread to share (the same writes, in the same
/// order per output pixel). Setting up the next band beside the pieces matters: set up
/// alone between two splits, it left the idle thread waiting (the slabs' ends, 27 ms
/// apart in the median of 12 runs of the 4096² race, came 4–14 ms apart with it). Each
/// task writes its own rows first, so the pages of fresh output arrays are also made
/// resident in parallel. Returns `(nmiss, nskip)` of [`AddStats`], each band counted
/// once: by the first slab it reaches, or as wholly missing when it reaches none.
fn drizzle_slabs(
    g: &BandGeom<'_, '_>,
    ymin: usize,
    threads: usize,
    outs: &mut Outputs<'_>,
    px: &Pix<'_>,
    bit: i32,
    full: (bool, bool),
) -> Result<(usize, usize)> {
    let plans = plan_bands(g, ymin)?;
    let bounds = slab_bounds(g, ymin, threads);
    let n_slabs = bounds.len() - 1;
    let (mut nmiss, mut nskip) = (0, 0);
    let owners: Vec<Option<usize>> = plans
        .iter()
        .map(|p| {
            let owner = (0..n_slabs).find(|&k| p.meets(bounds[k], bounds[k + 1]));
            if owner.is_none() {
                // No centre within the margin of the output: every pixel misses.
                let rows = (p.jb0 + g.band_h).min(g.ymax + 1) - p.jb0;
                nmiss += rows * (g.xmax + 1 - g.xmin);
                nskip += rows;
            }
            owner
        })
        .collect();
    let mut slabs = outs.pieces(g.nx_out, &bounds);
    // Slabs finished: from then on, the others hand work to the idle thread.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let task = |(k, s): (usize, &mut Stripe<'_>)| -> Result<(usize, usize)> {
        // The bands reaching this slab, in input order.
        let mine: Vec<usize> = (0..plans.len())
            .filter(|&i| plans[i].meets(s.r0, s.r1))
            .collect();
        let (mut band, mut next) = (Band::new(g.c0, g.tw), Band::new(g.c0, g.tw));
        let mut centres = Vec::new();
        let (mut nmiss, mut nskip) = (0, 0);
        // Whether `band` already holds the band at `mine[q]` (set up beside the last one).
        let mut ready = false;
        for (q, &i) in mine.iter().enumerate() {
            if !ready {
                band.prepare(plans[i].jb0, g, None)?;
            }
            if owners[i] == Some(k) {
                nmiss += band.nmiss;
                nskip += band.nskip;
            }
            let view = band.view(g, px, bit, full);
            // (Always in unit tests, to test it.)
            let split = cfg!(test) || done.load(std::sync::atomic::Ordering::Relaxed) > 0;
            if !(split && n_slabs > 1) {
                process_stripe(s, &view);
                ready = false;
                continue;
            }
            // Another slab is done: this band is drizzled in two pieces of rows of equal
            // work while the next band is set up, three jobs for the idle thread to share.
            let (lo, hi) = (s.r0 as f64 - 0.5, s.r1 as f64 - 0.5);
            centres.clear();
            centres.extend(band.blocks.iter().copied().filter(|&(blo, bhi)| {
                let c = 0.5 * (blo + bhi);
                blo <= bhi && c >= lo && c < hi
            }));
            let cuts = piece_bounds(&centres, s.r0, s.r1, 2);
            let mut halves = s.split(&cuts, g.nx_out);
            let following = mine.get(q + 1).map(|&j| plans[j].jb0);
            let drizzle = || match halves.as_mut_slice() {
                [a, b] => {
                    join(|| process_stripe(a, &view), || process_stripe(b, &view));
                }
                _ => halves.iter_mut().for_each(|h| process_stripe(h, &view)),
            };
            let set_up = || match following {
                Some(jb0) => next.prepare(jb0, g, None),
                None => Ok(()),
            };
            let ((), r) = join(drizzle, set_up);
            r?;
            std::mem::swap(&mut band, &mut next);
            ready = following.is_some();
        }
        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok((nmiss, nskip))
    };
    #[cfg(feature = "rayon")]
    let counts: Vec<Result<(usize, usize)>> = slabs
        .par_iter_mut()
        .enumerate()
        .with_max_len(1)
        .map(task)
        .collect();
    #[cfg(not(feature = "rayon"))]
    let counts: Vec<Result<(usize, usize)>> = slabs.iter_mut().enumerate().map(task).collect();
    for c in counts {
        let (m, k) = c?;
        nmiss += m;
        nskip += k;
    }
    Ok((nmiss, nskip))
}

/// What every band of one [`Drizzle::add_image`] shares.
struct BandGeom<'g, 'm> {
    kp: &'g KernelParams,
    pixmap: &'g PixelMap<'m>,
    /// Tile columns `c0..c0 + tw` (the input box and its halo).
    c0: usize,
    tw: usize,
    /// Rows of pixel map beyond the band needed by the kernel.
    halo: usize,
    band_h: usize,
    ny_in: usize,
    xmin: usize,
    xmax: usize,
    ymax: usize,
    nx_out: usize,
    ny_out: usize,
    max_pieces: usize,
}

/// One band of input rows `jb0..jb1`, set up: its pixel map, the output-y extents of its
/// rows and blocks, and the pieces of output rows to drizzle.
struct Band {
    tile: Tile,
    blocks: Vec<(f64, f64)>,
    rows: Vec<RowInfo>,
    jb0: usize,
    jb1: usize,
    margin: f64,
    /// Min / max output y of the mapped centres of its rows' pixels (`lo > hi`: none) that
    /// lie inside the output grown by `margin` (see [`row_info`]).
    lo: f64,
    hi: f64,
    /// Piece boundaries (output rows, increasing); empty when the band reaches no output.
    bounds: Vec<usize>,
    nmiss: usize,
    nskip: usize,
}

impl Band {
    fn new(c0: usize, tw: usize) -> Band {
        Band {
            tile: Tile::new(c0, tw),
            blocks: Vec::new(),
            rows: Vec::new(),
            jb0: 0,
            jb1: 0,
            margin: 0.0,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            bounds: Vec::new(),
            nmiss: 0,
            nskip: 0,
        }
    }

    /// Set the band up for input rows from `jb0`. `fresh`: the output rows from a given
    /// row on, which no band being drizzled meanwhile writes: their pages this band will
    /// write are made resident (values unchanged).
    fn prepare(
        &mut self,
        jb0: usize,
        g: &BandGeom<'_, '_>,
        fresh: Option<(&mut Outputs<'_>, usize)>,
    ) -> Result<()> {
        let jb1 = (jb0 + g.band_h).min(g.ymax + 1);
        (self.jb0, self.jb1) = (jb0, jb1);
        let t0 = jb0.saturating_sub(g.halo);
        let t1 = (jb1 + g.halo).min(g.ny_in);
        let tile = &mut self.tile;
        tile.y0 = t0;
        tile.h = t1 - t0;
        tile.xs.resize(g.tw * tile.h, 0.0);
        tile.ys.resize(g.tw * tile.h, 0.0);
        g.pixmap
            .map_tile(g.c0, t0, g.tw, tile.h, &mut tile.xs, &mut tile.ys)?;
        if let KernelParams::Square { dh } = *g.kp {
            tile.prepare_square(dh);
        }
        let tile = &self.tile;

        // Per-row extent (output y) and misses.
        let margin = footprint_margin(g.kp, tile);
        self.margin = margin;
        let (xmin, xmax) = (g.xmin, g.xmax);
        let nblk = (xmax + 1 - xmin).div_ceil(BLOCK);
        self.blocks.clear();
        self.blocks.resize((jb1 - jb0) * nblk, (0.0, 0.0));
        let (nx_out, ny_out) = (g.nx_out, g.ny_out);
        let f = |(jr, b): (usize, &mut [(f64, f64)])| {
            row_info(tile, jb0 + jr, xmin, xmax, margin, nx_out, ny_out, b)
        };
        #[cfg(feature = "rayon")]
        self.blocks
            .par_chunks_mut(nblk)
            .enumerate()
            .map(f)
            .collect_into_vec(&mut self.rows);
        #[cfg(not(feature = "rayon"))]
        {
            self.rows.clear();
            self.rows
                .extend(self.blocks.chunks_mut(nblk).enumerate().map(f));
        }
        self.nmiss = self.rows.iter().map(|r| r.nmiss).sum();
        self.nskip = self
            .rows
            .iter()
            .filter(|r| r.nmiss == xmax + 1 - xmin)
            .count();
        let (lo, hi) = self
            .rows
            .iter()
            .filter(|r| r.lo <= r.hi)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, r| {
                (a.0.min(r.lo), a.1.max(r.hi))
            });
        (self.lo, self.hi) = (lo, hi);
        self.bounds.clear();
        if lo <= hi {
            // Output rows any footprint of the band may reach (generously; one piece: the
            // whole output, as no split needs the margin then).
            let (r_start, r_end) = if g.max_pieces > 1 {
                let r0 = ((lo - margin - 1.0).floor().max(0.0) as usize).min(ny_out);
                let r1 = (hi + margin + 2.0).ceil().min(ny_out as f64) as usize;
                (r0, r1.max(r0))
            } else {
                (0, ny_out)
            };
            if r_end > r_start {
                self.bounds = piece_bounds(&self.blocks, r_start, r_end, g.max_pieces);
            }
        }
        if let Some((outs, row0)) = fresh {
            self.touch(outs, row0, g);
        }
        Ok(())
    }

    /// Make resident the pages of `outs` (output rows from `row0` on) that the centres of
    /// a sample of the band's pixels fall in, by rewriting one value of each: the first
    /// write to a fresh page (zeroing it, possibly a 2 MiB one) is then paid here, in the
    /// set-up that runs beside the previous band's pieces, rather than by the one piece
    /// of this band that reaches the fresh rows, which the other threads would wait for.
    fn touch(&self, outs: &mut Outputs<'_>, row0: usize, g: &BandGeom<'_, '_>) {
        /// Every this many rows and columns of the band.
        const ROW_STEP: usize = 8;
        const COL_STEP: usize = 32;
        let Some(&r_end) = self.bounds.last() else {
            return;
        };
        if r_end <= row0 {
            return;
        }
        let (nx, tile) = (g.nx_out, &self.tile);
        let n_rows = r_end - row0;
        let mut last = usize::MAX;
        for j in (self.jb0..self.jb1).step_by(ROW_STEP) {
            let t0 = (j - tile.y0) * tile.w + (g.xmin - tile.x0);
            let n = g.xmax + 1 - g.xmin;
            for (&x, &y) in tile.xs[t0..t0 + n]
                .iter()
                .zip(&tile.ys[t0..t0 + n])
                .step_by(COL_STEP)
            {
                let (ii, jj) = (kernels::nint(x), kernels::nint(y) - row0 as i64);
                if ii < 0 || ii >= nx as i64 || jj < 0 || jj >= n_rows as i64 {
                    continue;
                }
                let p = jj as usize * nx + ii as usize;
                // One touch per 4 KiB of f32.
                if p >> 10 == last {
                    continue;
                }
                last = p >> 10;
                outs.touch(p);
            }
        }
    }

    /// Drizzle the band's pieces (in parallel) into `outs` (output rows from 0 on, at
    /// least up to the last piece).
    fn drizzle(
        &self,
        outs: &mut Outputs<'_>,
        g: &BandGeom<'_, '_>,
        px: &Pix<'_>,
        bit: i32,
        full: (bool, bool),
    ) {
        if self.bounds.len() < 2 {
            return;
        }
        let view = self.view(g, px, bit, full);
        let mut pieces = outs.pieces(g.nx_out, &self.bounds);
        let work = |s: &mut Stripe<'_>| process_stripe(s, &view);
        #[cfg(feature = "rayon")]
        pieces.par_iter_mut().with_max_len(1).for_each(work);
        #[cfg(not(feature = "rayon"))]
        pieces.iter_mut().for_each(work);
    }

    /// What a stripe task sees of the band.
    fn view<'b, 'p>(
        &'b self,
        g: &BandGeom<'b, '_>,
        px: &'b Pix<'p>,
        bit: i32,
        full: (bool, bool),
    ) -> BandView<'b, 'p> {
        BandView {
            kp: g.kp,
            tile: &self.tile,
            px,
            rows: &self.rows,
            blocks: &self.blocks,
            jb0: self.jb0,
            xmin: g.xmin,
            xmax: g.xmax,
            margin: self.margin,
            nx_out: g.nx_out,
            bit,
            full,
        }
    }
}

#[derive(Clone, Copy)]
struct RowInfo {
    /// Min / max output y of mapped centres in the row (lo > hi: none).
    lo: f64,
    hi: f64,
    nmiss: usize,
}

/// Conservative half-size (output pixels) of any footprint in the tile around its centre.
fn footprint_margin(kp: &KernelParams, tile: &Tile) -> f64 {
    match kp {
        KernelParams::Square { .. } => {
            // Corners lie within dh·(|∂y/∂i| + |∂y/∂j| + same for x) of the centre
            // (bilinear, including extrapolation); take the largest neighbour step.
            let (w, h) = (tile.w, tile.h);
            let row_step = |j: usize| -> f64 {
                let (xr, yr) = (&tile.xs[j * w..(j + 1) * w], &tile.ys[j * w..(j + 1) * w]);
                let (l, r) = (w.saturating_sub(1), 1.min(w));
                let mut step = max_finite_step(&xr[..l], &xr[r..], &yr[..l], &yr[r..]);
                if j + 1 < h {
                    let (xn, yn) = (
                        &tile.xs[(j + 1) * w..(j + 2) * w],
                        &tile.ys[(j + 1) * w..(j + 2) * w],
                    );
                    step = step.max(max_finite_step(xr, xn, yr, yn));
                }
                step
            };
            #[cfg(feature = "rayon")]
            let step = (0..h)
                .into_par_iter()
                .map(row_step)
                .reduce(|| 0.0, f64::max);
            #[cfg(not(feature = "rayon"))]
            let step = (0..h).map(row_step).fold(0.0, f64::max);
            margin_for_step(kp, step)
        }
        _ => margin_for_step(kp, 0.0),
    }
}

/// [`footprint_margin`] of a tile whose largest finite step between adjacent pixels is
/// `step` (non-decreasing in `step`, except that 0 counts as 1).
fn margin_for_step(kp: &KernelParams, step: f64) -> f64 {
    match kp {
        KernelParams::Square { dh } => {
            let step = if step == 0.0 { 1.0 } else { step };
            // 3·dh·step covers bilinear extrapolation of curved maps comfortably.
            3.0 * dh * step + 1.0
        }
        _ => kp.half_extent() + 1.0,
    }
}

/// The largest finite `max(|x1 - x0|, |y1 - y0|)` over the slices' elements (`f64::max`:
/// a NaN operand gives the other), 0 if none: in L independent branch-free lanes (the
/// compiler vectorises them), NaN and ∞ becoming 0, which never wins.
fn max_finite_step(x0: &[f64], x1: &[f64], y0: &[f64], y1: &[f64]) -> f64 {
    // (Compiled for AVX2 where available: 4 lanes per instruction; the same operations.)
    crate::simd::with_avx2(
        #[inline(always)]
        || max_finite_step_impl(x0, x1, y0, y1),
    )
}

#[inline(always)]
fn max_finite_step_impl(x0: &[f64], x1: &[f64], y0: &[f64], y1: &[f64]) -> f64 {
    const L: usize = 8;
    let mut acc = [0.0f64; L];
    let mut take = |k: usize, dx: f64, dy: f64| {
        let (a, b) = (dx.abs(), dy.abs());
        let d = if (a > b) | b.is_nan() { a } else { b };
        let d = if d < f64::INFINITY { d } else { 0.0 };
        acc[k] = if d > acc[k] { d } else { acc[k] };
    };
    let n = x0.len().min(x1.len()).min(y0.len()).min(y1.len());
    let (x0, x1, y0, y1) = (&x0[..n], &x1[..n], &y0[..n], &y1[..n]);
    let (c0, c1, d0, d1) = (
        x0.chunks_exact(L),
        x1.chunks_exact(L),
        y0.chunks_exact(L),
        y1.chunks_exact(L),
    );
    let tail = (
        c0.remainder(),
        c1.remainder(),
        d0.remainder(),
        d1.remainder(),
    );
    for (((a0, a1), b0), b1) in c0.zip(c1).zip(d0).zip(d1) {
        for k in 0..L {
            take(k, a1[k] - a0[k], b1[k] - b0[k]);
        }
    }
    for k in 0..tail.0.len() {
        take(k, tail.1[k] - tail.0[k], tail.3[k] - tail.2[k]);
    }
    acc.iter().fold(0.0, |m, &v| if v > m { v } else { m })
}

/// Output-y extent and misses of row `j` (pixels `xmin..=xmax`); writes the extent of
/// every block of [`BLOCK`] pixels into `blocks`.
#[allow(clippy::too_many_arguments)]
fn row_info(
    tile: &Tile,
    j: usize,
    xmin: usize,
    xmax: usize,
    margin: f64,
    nx_out: usize,
    ny_out: usize,
    blocks: &mut [(f64, f64)],
) -> RowInfo {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut nmiss = 0;
    // A pixel is in when its centre is inside the output grown by the margin.
    let bounds = (
        -0.5 - margin,
        nx_out as f64 - 0.5 + margin,
        -0.5 - margin,
        ny_out as f64 - 0.5 + margin,
    );
    let t0 = (j - tile.y0) * tile.w + (xmin - tile.x0);
    let n = xmax + 1 - xmin;
    let (xr, yr) = (&tile.xs[t0..t0 + n], &tile.ys[t0..t0 + n]);
    for ((blk, xb), yb) in blocks
        .iter_mut()
        .zip(xr.chunks(BLOCK))
        .zip(yr.chunks(BLOCK))
    {
        let (b_lo, b_hi, miss) = crate::simd::box_extent(xb, yb, bounds);
        nmiss += miss;
        *blk = (b_lo, b_hi);
        lo = lo.min(b_lo);
        hi = hi.max(b_hi);
    }
    RowInfo { lo, hi, nmiss }
}

/// Per input pixel set-up of a [`Sink`]: the pixel's data value (and, for the full sink,
/// DQ and variances read at input index `kin`).
trait PixelSink: Sink {
    fn begin(&mut self, kin: usize, d: f32);
    /// Prefetch the output pixels near `(x, y)` (rows `floor(y)` and `floor(y) + 1`).
    #[inline(always)]
    fn prefetch_near(&self, _x: f64, _y: f64) {}
    /// The updates of a run of four square- or turbo-kernel pixels with values `d`
    /// ([`kernels::Runs4`]: lower-left output pixel `(ii + k, jj)` of pixel
    /// `k`, weights `dow[m][k]` as for [`Sink::add_2x2`]), all at once: the same as
    /// `begin` and `add_2x2` for each in turn. Returns `false`, doing nothing, where the
    /// sink cannot.
    #[inline(always)]
    fn add_run4(&mut self, _at: (usize, usize), _dow: [&[f32; 4]; 4], _d: &[f32; 4]) -> bool {
        false
    }
    /// `begin` and [`kernels::LanczosFoot::apply`] of four consecutive input pixels
    /// (footprints `feet`, weights `ws`, values `ds`) in that order, at once where the sink
    /// can: `true` when done, `false` (nothing done) when not.
    #[inline(always)]
    fn lanczos_run4(
        &mut self,
        _feet: &[kernels::LanczosFoot; 4],
        _ws: &[f64; 4],
        _ds: &[f32; 4],
    ) -> bool {
        false
    }
}

/// Drizzle's running weighted mean (`update_data`): the science of an output pixel with
/// science `s` and weight `vc` after adding value `d` with weight `dow`,
/// `(s·vc + dow·d) / (vc + dow)`, for `vc != 0` and `vc + dow != 0`.
///
/// With `f32_mean` (the square, turbo and point kernels, whose weights are never
/// negative) all in f32, as drizzle forms the numerator (two f32 products and their f32
/// sum, no fused multiply-add); drizzle then divides by the f64 sum, we by the f32 sum
/// (that sum rounded once more), so the quotients differ by about an ulp of f32 at most.
/// The numerator's rounding errors are then at most ~2⁻²⁴ of `max(|s|, |d|)·(vc + dow)`:
/// an ulp or so of the larger value. The vector updates of those kernels (`crate::simd`)
/// do these f32 operations per lane, half the work of f64 lanes.
///
/// Otherwise (gaussian, lanczos) in f64 and rounded to f32 once: Lanczos weights are
/// negative in places, and where `vc + dow` nearly cancels, the f32 numerator's rounding
/// would be divided by a small sum (a constant image would not stay constant; drizzle
/// has that flaw). `crate::simd_kernels` does these f64 operations per lane.
#[inline(always)]
pub(crate) fn running_mean(f32_mean: bool, s: f32, vc: f32, dow: f32, d: f32) -> f32 {
    if f32_mean {
        (s * vc + dow * d) / (vc + dow)
    } else {
        ((s as f64 * vc as f64 + dow as f64 * d as f64) / (vc as f64 + dow as f64)) as f32
    }
}

/// Sink for science, weight and (when `CTX`) context only.
pub(crate) struct FastSink<'a, const CTX: bool> {
    pub(crate) sci: &'a mut [f32],
    pub(crate) wht: &'a mut [f32],
    pub(crate) ctx: &'a mut [i32],
    pub(crate) base: usize,
    pub(crate) nx: usize,
    pub(crate) bit: i32,
    pub(crate) d: f32,
    /// [`running_mean`] in f32 (the square, turbo and point kernels; the only ones whose
    /// vector updates `add_2x2`, `add_3x3` and `add_run4` are used).
    pub(crate) f32_mean: bool,
}

impl<const CTX: bool> Sink for FastSink<'_, CTX> {
    #[inline(always)]
    fn add(&mut self, ii: usize, jj: usize, dow: f32) {
        if dow == 0.0 {
            return;
        }
        let p = (jj * self.nx + ii) - self.base;
        let vc = self.wht[p];
        if CTX {
            // (Lanczos weights change sign within a footprint: no branch.)
            self.ctx[p] |= self.bit & -i32::from(dow > 0.0);
        }
        let vcd = vc + dow;
        if vc == 0.0 {
            self.sci[p] = self.d;
        } else {
            if vcd == 0.0 {
                // Negative (Lanczos) weights cancelled exactly: the next contribution
                // starts afresh.
                self.wht[p] = 0.0;
                return;
            }
            self.sci[p] = running_mean(self.f32_mean, self.sci[p], vc, dow, self.d);
        }
        self.wht[p] = vcd;
    }

    #[inline(always)]
    fn add_2x2(&mut self, ii: usize, jj: usize, dow: [f32; 4]) {
        // The four updates of `add` at once where the CPU allows (same bits).
        let p = (jj * self.nx + ii) - self.base;
        let (sci, wht, ctx) = (&mut *self.sci, &mut *self.wht, &mut *self.ctx);
        if !(self.f32_mean
            && crate::simd::update_2x2::<CTX>(sci, wht, ctx, self.bit, p, self.nx, dow, self.d))
        {
            kernels::add_2x2_each(self, ii, jj, dow);
        }
    }

    #[inline(always)]
    fn add_3x3(&mut self, ii: usize, jj: usize, (nc, nr): (usize, usize), dow: [f32; 9]) {
        // A column at a time where the CPU allows (same bits as `add` per pixel).
        let p = (jj * self.nx + ii) - self.base;
        for c in 0..nc.min(3) {
            let (sci, wht, ctx) = (&mut *self.sci, &mut *self.wht, &mut *self.ctx);
            let col = (nr, [dow[c], dow[3 + c], dow[6 + c]]);
            if !(self.f32_mean
                && crate::simd::update_col::<CTX>(
                    sci,
                    wht,
                    ctx,
                    self.bit,
                    p + c,
                    self.nx,
                    col,
                    self.d,
                ))
            {
                for r in 0..nr.min(3) {
                    let d = dow[3 * r + c];
                    if d != 0.0 {
                        self.add(ii + c, jj + r, d);
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn add_outer8(
        &mut self,
        ii: usize,
        jj: usize,
        size: (usize, usize),
        wx: &[f64; 8],
        wy: &[f64; 8],
        w: f64,
    ) {
        // The updates of `add`, a row at a time, where the CPU allows (same bits).
        let p = (jj * self.nx + ii) - self.base;
        let (sci, wht, ctx) = (&mut *self.sci, &mut *self.wht, &mut *self.ctx);
        let (nx, bit, d) = (self.nx, self.bit, self.d);
        if !crate::simd_kernels::update_outer8::<CTX>(sci, wht, ctx, bit, p, nx, size, wx, wy, w, d)
        {
            kernels::add_outer8_each(self, ii, jj, size, wx, wy, w);
        }
    }

    #[inline(always)]
    fn prefetch(&self, ii: usize, jj: usize) {
        let p = (jj * self.nx + ii).wrapping_sub(self.base);
        if let Some(w) = self.wht.get(p) {
            prefetch(w);
            prefetch(&self.sci[p]);
            if CTX {
                prefetch(&self.ctx[p]);
            }
        }
    }
}

impl<const CTX: bool> PixelSink for FastSink<'_, CTX> {
    #[inline(always)]
    fn begin(&mut self, _kin: usize, d: f32) {
        self.d = d;
    }

    #[inline(always)]
    fn add_run4(&mut self, (ii, jj): (usize, usize), dow: [&[f32; 4]; 4], d: &[f32; 4]) -> bool {
        let p = (jj * self.nx + ii) - self.base;
        let (sci, wht, ctx) = (&mut *self.sci, &mut *self.wht, &mut *self.ctx);
        self.f32_mean
            && crate::simd::update_run4::<CTX>(sci, wht, ctx, self.bit, p, self.nx, dow, d)
    }

    #[inline(always)]
    fn lanczos_run4(
        &mut self,
        feet: &[kernels::LanczosFoot; 4],
        ws: &[f64; 4],
        ds: &[f32; 4],
    ) -> bool {
        // (`begin` only sets `d`: the run takes the four values itself.)
        let (sci, wht, ctx) = (&mut *self.sci, &mut *self.wht, &mut *self.ctx);
        let at = (self.base, self.nx);
        crate::simd_kernels::update_lanczos_run4::<CTX>(sci, wht, ctx, self.bit, at, feet, ws, ds)
    }

    #[inline(always)]
    fn prefetch_near(&self, x: f64, y: f64) {
        // (Saturating casts: NaN and negative values give 0, a harmless prefetch.)
        let (ii, jj) = ((x + 0.5) as usize, y as usize);
        let p = jj
            .wrapping_mul(self.nx)
            .wrapping_add(ii)
            .wrapping_sub(self.base);
        for p in [p, p.wrapping_add(self.nx)] {
            if let Some(w) = self.wht.get(p) {
                prefetch(w);
                prefetch(&self.sci[p]);
                if CTX {
                    prefetch(&self.ctx[p]);
                }
            }
        }
    }
}

/// Sink for every output array (DQ, variances).
struct FullSink<'a, 's, 'p> {
    st: &'a mut Stripe<'s>,
    px: &'a Pix<'p>,
    base: usize,
    nx: usize,
    bit: i32,
    d: f32,
    q: u32,
    d2: Vec<f32>,
    /// As [`FastSink::f32_mean`] (the science only; the variances stay f64, as drizzle's).
    f32_mean: bool,
}

impl Sink for FullSink<'_, '_, '_> {
    #[inline(always)]
    fn add(&mut self, ii: usize, jj: usize, dow: f32) {
        if dow == 0.0 {
            return;
        }
        let p = (jj * self.nx + ii) - self.base;
        let st = &mut *self.st;
        let vc = st.wht[p];
        if dow > 0.0
            && let Some(c) = st.ctx.as_deref_mut()
        {
            c[p] |= self.bit;
        }
        let vcd = vc as f64 + dow as f64;
        if vc == 0.0 {
            st.sci[p] = self.d;
            for (v, &d2) in st.var.iter_mut().zip(&self.d2) {
                v[p] = d2;
            }
            if let Some(o) = st.dq.as_deref_mut() {
                o[p] = self.q;
            }
        } else {
            if vcd == 0.0 {
                // Negative (Lanczos) weights cancelled exactly: the next contribution
                // starts afresh.
                st.wht[p] = 0.0;
                return;
            }
            st.sci[p] = running_mean(self.f32_mean, st.sci[p], vc, dow, self.d);
            let (vc2, dow2, s2) = ((vc as f64).powi(2), (dow as f64).powi(2), vcd * vcd);
            for (v, &d2) in st.var.iter_mut().zip(&self.d2) {
                v[p] = ((v[p] as f64 * vc2 + d2 as f64 * dow2) / s2) as f32;
            }
            if let Some(o) = st.dq.as_deref_mut() {
                o[p] |= self.q;
            }
        }
        st.wht[p] = vcd as f32;
    }
}

impl PixelSink for FullSink<'_, '_, '_> {
    #[inline(always)]
    fn begin(&mut self, kin: usize, d: f32) {
        self.d = d;
        self.q = self.px.dq.map_or(0, |q| q[kin]);
        for (k, v) in self.px.vars.iter().enumerate() {
            self.d2[k] = (v[kin] as f64 * self.px.iscale2) as f32;
        }
    }
}

/// What a stripe task sees of the current band.
struct BandView<'b, 'p> {
    kp: &'b KernelParams,
    tile: &'b Tile,
    px: &'b Pix<'p>,
    rows: &'b [RowInfo],
    blocks: &'b [(f64, f64)],
    jb0: usize,
    xmin: usize,
    xmax: usize,
    margin: f64,
    nx_out: usize,
    bit: i32,
    full: (bool, bool),
}

fn process_stripe(s: &mut Stripe<'_>, b: &BandView<'_, '_>) {
    let base = s.r0 * b.nx_out;
    let f32_mean = b.kp.f32_mean();
    if s.dq.is_some() || !s.var.is_empty() {
        let nvar = s.var.len();
        let mut sink = FullSink {
            st: s,
            px: b.px,
            base,
            nx: b.nx_out,
            bit: b.bit,
            d: 0.0,
            q: 0,
            d2: vec![0.0; nvar],
            f32_mean,
        };
        let (r0, r1) = (sink.st.r0, sink.st.r1);
        run(&mut sink, b, r0, r1);
    } else if let Some(ctx) = s.ctx.as_deref_mut() {
        let mut sink = FastSink::<true> {
            sci: &mut *s.sci,
            wht: &mut *s.wht,
            ctx,
            base,
            nx: b.nx_out,
            bit: b.bit,
            d: 0.0,
            f32_mean,
        };
        run(&mut sink, b, s.r0, s.r1);
    } else {
        let mut sink = FastSink::<false> {
            sci: &mut *s.sci,
            wht: &mut *s.wht,
            ctx: &mut [],
            base,
            nx: b.nx_out,
            bit: b.bit,
            d: 0.0,
            f32_mean,
        };
        run(&mut sink, b, s.r0, s.r1);
    }
}

/// Drizzle the band's pixels that may reach output rows `[r0, r1)` into `sink`, one loop
/// per kernel.
fn run<S: PixelSink>(sink: &mut S, b: &BandView<'_, '_>, r0: usize, r1: usize) {
    let clip = Clip {
        r0: r0 as i64,
        r1: r1 as i64,
        nx: b.nx_out as i64,
    };
    let (lo, hi) = (r0 as f64 - 0.5 - b.margin, r1 as f64 - 0.5 + b.margin);
    match *b.kp {
        KernelParams::Point => scan_point(sink, b, lo, hi, clip),
        // (Compiled for AVX2 where available, so that the sink's updates inline; the same
        // operations either way.)
        KernelParams::Turbo { pfo, ac } => {
            #[cfg(test)]
            if square_sink_tests::SCALAR_TURBO.load(std::sync::atomic::Ordering::Relaxed) {
                // The reference for the tests: every pixel by the scalar kernel.
                return scan(sink, b, lo, hi, |s, _, _, ox, oy, w| {
                    kernels::turbo(ox, oy, pfo, ac, w, clip, s)
                });
            }
            crate::simd::with_avx2(
                #[inline(always)]
                || scan_turbo(sink, b, lo, hi, (pfo, ac), clip),
            )
        }
        KernelParams::Gaussian { pfo, efac, es } => scan(sink, b, lo, hi, |s, _, _, ox, oy, w| {
            kernels::gaussian(ox, oy, pfo, efac, es, w, clip, s)
        }),
        // (Compiled for AVX2 where available, so that the sink's row update inlines; the
        // same operations either way.)
        KernelParams::Lanczos { pfo, sdp, ref lut } => crate::simd::with_avx2(
            #[inline(always)]
            || scan_lanczos(sink, b, lo, hi, (pfo, sdp, lut), clip),
        ),
        KernelParams::Square { dh } => {
            #[cfg(test)]
            if square_sink_tests::SCALAR_SQUARE.load(std::sync::atomic::Ordering::Relaxed) {
                // The reference for the tests: every pixel by the scalar kernel.
                return scan(sink, b, lo, hi, |s, i, j, _, _, w| {
                    if let Some((xo, yo)) = b.tile.corners(i, j, dh, b.full.0, b.full.1) {
                        kernels::square(&xo, &yo, w, clip, s);
                    }
                });
            }
            scan_square(sink, b, lo, hi, dh, clip)
        }
    }
}

/// [`scan`] for the square kernel, a block of [`BLOCK`] pixels of a row at a time: their
/// corners are made together ([`kernels::CornerBlock`]), the overlap areas of those with
/// unclipped footprints of up to 3 × 3 output pixels too (8 pixels per vector instruction
/// for the 2 × 2 areas, 4 for the larger ones, [`kernels::SquareBlock`]); then the pixels are added one by one in input order (runs of
/// four 2 × 2 footprints stepping one output column at a time together,
/// [`PixelSink::add_run4`]), the others by [`kernels::square`]. The next block's output
/// rows are prefetched meanwhile. The same sink updates, with the same values (those of
/// one input pixel, distinct output pixels, possibly in another order), as `scan` with
/// `kernels::square`.
fn scan_square<S: PixelSink>(
    sink: &mut S,
    b: &BandView<'_, '_>,
    lo: f64,
    hi: f64,
    dh: f64,
    clip: kernels::Clip,
) {
    // Compiled for AVX2 where available, so that the vector parts inline; the same
    // operations either way.
    crate::simd::with_avx2(
        #[inline(always)]
        || scan_square_body(sink, b, lo, hi, dh, clip),
    )
}

/// One block of [`BLOCK`] input pixels of a band row that may reach output rows `[lo, hi]`:
/// pixels `o0..o1` of the row slices (offsets from `xmin`).
struct RowBlock<'a> {
    /// Input row.
    j: usize,
    /// Input index of the row's pixel `xmin`.
    k0: usize,
    o0: usize,
    o1: usize,
    /// The row's mapped centres, data and weights, from `xmin`.
    xs: &'a [f64],
    ys: &'a [f64],
    data: &'a [f32],
    wts: Option<&'a [f32]>,
}

/// Call `f` for the band's blocks whose recorded output-y extent meets `[lo, hi]`, row by
/// row in input order (the walk shared by [`scan`] and the square kernel's scan).
#[inline(always)]
fn for_each_block<F: FnMut(&RowBlock<'_>)>(b: &BandView<'_, '_>, lo: f64, hi: f64, mut f: F) {
    let (tile, px) = (b.tile, b.px);
    let n = b.xmax + 1 - b.xmin;
    let nblk = b.blocks.len() / b.rows.len().max(1);
    for (jr, r) in b.rows.iter().enumerate() {
        if r.lo > r.hi || r.hi < lo || r.lo > hi {
            continue;
        }
        let j = b.jb0 + jr;
        let t0 = (j - tile.y0) * tile.w + (b.xmin - tile.x0);
        let k0 = j * px.nx + b.xmin;
        let mut rb = RowBlock {
            j,
            k0,
            o0: 0,
            o1: 0,
            xs: &tile.xs[t0..t0 + n],
            ys: &tile.ys[t0..t0 + n],
            data: &px.data[k0..k0 + n],
            wts: px.weights.map(|w| &w[k0..k0 + n]),
        };
        for (bi, &(blo, bhi)) in b.blocks[jr * nblk..(jr + 1) * nblk].iter().enumerate() {
            if blo > bhi || bhi < lo || blo > hi {
                continue;
            }
            rb.o0 = bi * BLOCK;
            rb.o1 = (rb.o0 + BLOCK).min(n);
            f(&rb);
        }
    }
}

#[inline(always)]
fn scan_square_body<S: PixelSink>(
    sink: &mut S,
    b: &BandView<'_, '_>,
    lo: f64,
    hi: f64,
    dh: f64,
    clip: kernels::Clip,
) {
    let (tile, px) = (b.tile, b.px);
    let mut blk = kernels::CornerBlock::new();
    let mut sq = kernels::SquareBlock::new();
    let mut ws = [0.0f64; BLOCK];
    let mut ds = [0.0f32; BLOCK];
    // (Inlined, so that it is compiled for AVX2 with the rest of `scan_square`.)
    for_each_block(
        b,
        lo,
        hi,
        #[inline(always)]
        |rb| {
            let o0 = rb.o0;
            if !block_values(rb, px, (lo, hi), &mut ws, &mut ds) {
                return;
            }
            let i0 = b.xmin + o0;
            blk.fill(tile, dh, i0, i0 + BLOCK, rb.j);
            let ok = blk.square_areas(&ws, clip, &mut sq);
            let (fast, big) = if ok { (sq.fast, sq.big) } else { (0, 0) };
            let runs = if ok { sq.runs() } else { sq.runs().none() };
            update_block(
                sink,
                rb,
                &runs,
                (&ws, &ds),
                // (Inlined, so that it is compiled for AVX2 with the rest of the scan.)
                #[inline(always)]
                |sink, q, w| {
                    if fast >> q & 1 == 1 {
                        sq.apply(q, sink);
                    } else if big >> q & 1 == 1 {
                        sq.apply_big(q, sink);
                    } else if let Some((xo, yo)) = blk.corners(tile, i0 + q, rb.j, dh, b.full) {
                        kernels::square(&xo, &yo, w, clip, sink);
                    }
                },
            );
        },
    );
}

/// Pixel values and weights of the block's pixels into `ws`, `ds` (from 0) as
/// `Pix::value`: weight and value 0 for a centre not usable for rows `[lo, hi]`
/// ([`kernels::centre_usable`]), or a non-finite value or weight. Branch-free over zipped slices (no indices), so that
/// the loops vectorise. Returns whether any weight is not 0.
#[inline(always)]
fn block_values(
    rb: &RowBlock<'_>,
    px: &Pix<'_>,
    (lo, hi): (f64, f64),
    ws: &mut [f64; BLOCK],
    ds: &mut [f32; BLOCK],
) -> bool {
    let (o0, o1) = (rb.o0, rb.o1);
    let (xs, ys, data) = (&rb.xs[o0..o1], &rb.ys[o0..o1], &rb.data[o0..o1]);
    let take = |(cx, cy): (f64, f64), v: f32, w: f64| -> (f64, f32) {
        let ok = kernels::centre_usable(cx, cy, lo, hi) & v.is_finite() & w.is_finite();
        let d = (v as f64 * px.iscale) as f32;
        (if ok { w } else { 0.0 }, if ok { d } else { 0.0 })
    };
    let outs = ws.iter_mut().zip(ds.iter_mut());
    let ins = xs.iter().zip(ys).zip(data);
    match rb.wts {
        Some(wm) => {
            for (((w, d), ((&cx, &cy), &v)), &m) in outs.zip(ins).zip(&wm[o0..o1]) {
                (*w, *d) = take((cx, cy), v, m as f64 * px.wt_scl);
            }
        }
        None => {
            for ((w, d), ((&cx, &cy), &v)) in outs.zip(ins) {
                (*w, *d) = take((cx, cy), v, px.wt_scl);
            }
        }
    }
    ws[..o1 - o0].iter().fold(false, |a, &w| a | (w != 0.0))
}

/// The updates of the block's pixels (`q < o1 - o0`, weights and values `ws[q]`, `ds[q]`
/// from [`block_values`]) in input order: the runs of four 2 × 2 footprints wholly in the
/// block together ([`PixelSink::add_run4`]), each other pixel with a weight by
/// `pixel(sink, q, w)` after `sink.begin`. Meanwhile the next block's output rows are
/// prefetched, a block ahead, spread over the updates: the upper row at each 4th pixel's
/// centre (the lower one was the previous input row's upper row).
#[inline(always)]
fn update_block<S: PixelSink>(
    sink: &mut S,
    rb: &RowBlock<'_>,
    runs: &kernels::Runs4<'_>,
    (ws, ds): (&[f64; BLOCK], &[f32; BLOCK]),
    mut pixel: impl FnMut(&mut S, usize, f64),
) {
    let (o0, o1) = (rb.o0, rb.o1);
    let n = o1 - o0;
    // (Runs wholly among the block's `n` pixels.)
    let within = (1u64 << n.saturating_sub(3)) - 1;
    let bits = runs.bits & within;
    let ahead = rb.xs.len().saturating_sub(o1).min(BLOCK);
    let mut pf = 0;
    let mut q = 0;
    while q < n {
        while pf <= q && pf < ahead {
            let o = o1 + pf;
            // (Saturating casts: NaN and negative values give a harmless prefetch.)
            sink.prefetch((rb.xs[o] + 0.5) as usize, rb.ys[o] as usize + 1);
            pf += 4;
        }
        if bits >> q & 1 == 1 {
            let (at, dow) = runs.run4(q);
            let d = ds[q..q + 4]
                .try_into()
                .expect("a run lies within the block");
            if sink.add_run4(at, dow, d) {
                q += 4;
                continue;
            }
        }
        let cur = q;
        q += 1;
        let w = ws[cur];
        if w == 0.0 {
            continue;
        }
        sink.begin(rb.k0 + o0 + cur, ds[cur]);
        pixel(sink, cur, w);
    }
}

/// [`scan`] with the point kernel: the whole weight of a pixel to the output pixel holding
/// its centre (`nint` of each coordinate, drizzle's rounding). Its pixels update one output
/// pixel each, along a line across the output rows. A block of pixels at a time: first which
/// pixels add what where ([`crate::simd_kernels::PointBlock`]: 4 pixels per AVX2
/// instruction where available, the same values), then the updates in input order. The output pixel of the pixel [`POINT_AHEAD`] further along the row is
/// prefetched, for every [`POINT_PREFETCH_STEP`]-th pixel only (a cache line holds 16
/// pixels of an output row, and the line leaves an output row every few pixels; more
/// prefetches cost more instructions than they save misses).
fn scan_point<S: PixelSink>(sink: &mut S, b: &BandView<'_, '_>, lo: f64, hi: f64, clip: Clip) {
    crate::simd::with_avx2(
        #[inline(always)]
        || scan_point_body(sink, b, lo, hi, clip),
    )
}

#[inline(always)]
fn scan_point_body<S: PixelSink>(sink: &mut S, b: &BandView<'_, '_>, lo: f64, hi: f64, clip: Clip) {
    let px = b.px;
    let mut blk = crate::simd_kernels::PointBlock::new();
    let pp = crate::simd_kernels::PointParams {
        iscale: px.iscale,
        wt_scl: px.wt_scl,
        lo,
        hi,
        clip,
    };
    for_each_block(b, lo, hi, |rb| {
        let (o0, o1) = (rb.o0, rb.o1);
        blk.fill(
            &rb.xs[o0..o1],
            &rb.ys[o0..],
            &rb.data[o0..],
            rb.wts.map(|w| &w[o0..]),
            pp,
        );
        for q in 0..o1 - o0 {
            let o = o0 + q;
            if o % POINT_PREFETCH_STEP == 0
                && let (Some(&x), Some(&y)) =
                    (rb.xs.get(o + POINT_AHEAD), rb.ys.get(o + POINT_AHEAD))
            {
                // (Saturating casts: NaN and negative values give 0, a harmless prefetch.)
                sink.prefetch((x + 0.5) as usize, (y + 0.5) as usize);
            }
            if blk.dow[q] != 0.0 {
                sink.begin(rb.k0 + o, blk.ds[q]);
                sink.add(blk.ii[q], blk.jj[q], blk.dow[q]);
            }
        }
    });
}

/// [`scan`] with [`kernels::lanczos`], a block of [`BLOCK`] pixels of a row at a time: the
/// footprints (look-up-table taps) of the block's pixels are made first, independent work
/// that overlaps in the CPU; then the pixels are added in input order, runs of four whose
/// footprints step one output column at a time together where the sink can
/// ([`PixelSink::lanczos_run4`]: the next pixel's update no longer waits for the previous
/// one's stores of the 5 columns they share), the others one by one. The same updates of
/// each output pixel, with the same values in the same order, as `scan` with
/// `kernels::lanczos`.
#[inline(always)]
fn scan_lanczos<S: PixelSink>(
    sink: &mut S,
    b: &BandView<'_, '_>,
    lo: f64,
    hi: f64,
    (pfo, sdp, lut): (f64, f64, &[f64]),
    clip: kernels::Clip,
) {
    let px = b.px;
    let mut feet = [kernels::LanczosFoot::EMPTY; BLOCK];
    let mut kinds = [kernels::Foot::Empty; BLOCK];
    let mut ws = [0.0f64; BLOCK];
    let mut ds = [0.0f32; BLOCK];
    for_each_block(b, lo, hi, |rb| {
        let (xs, ys) = (rb.xs, rb.ys);
        for o in rb.o0..rb.o1 {
            let q = o - rb.o0;
            let cy = ys[o];
            let (d, w) = if kernels::centre_usable(xs[o], cy, lo, hi) {
                px.value(rb.data[o], rb.wts.map(|w| w[o]))
            } else {
                (0.0, 0.0)
            };
            ws[q] = w;
            ds[q] = d;
            kinds[q] = if w != 0.0 {
                kernels::lanczos_foot(xs[o], cy, pfo, sdp, lut, clip, &mut feet[q])
            } else {
                kernels::Foot::Empty
            };
        }
        // (No prefetch here: the footprint's rows come from the previous input row, still
        // in the cache; measured, prefetching them ahead, or the two rows of
        // `prefetch_near`, only adds instructions.)
        // Runs of four pixels whose footprints step one output column at a time go to
        // the sink together (`PixelSink::lanczos_run4`), the others one by one.
        let n = rb.o1 - rb.o0;
        let mut q = 0;
        while q < n {
            if let (Some(k4), Some(f4), Some(w4), Some(d4)) = (
                kinds[q..n].first_chunk::<4>(),
                feet[q..n].first_chunk::<4>(),
                ws[q..n].first_chunk::<4>(),
                ds[q..n].first_chunk::<4>(),
            ) && k4.iter().all(|&k| k == kernels::Foot::Small)
                && sink.lanczos_run4(f4, w4, d4)
            {
                q += 4;
                continue;
            }
            let o = rb.o0 + q;
            let w = ws[q];
            q += 1;
            if w == 0.0 {
                continue;
            }
            sink.begin(rb.k0 + o, ds[o - rb.o0]);
            match kinds[o - rb.o0] {
                kernels::Foot::Empty => {}
                kernels::Foot::Small => feet[o - rb.o0].apply(w, sink),
                kernels::Foot::Large => {
                    kernels::lanczos(xs[o], ys[o], pfo, sdp, lut, w, clip, sink)
                }
            }
        }
    });
}

/// [`scan`] with [`kernels::turbo`], a block of [`BLOCK`] pixels of a row at a time: the
/// weights of the pixels in the common case ([`kernels::turbo_2x2`]) are made first, 4 at a
/// time ([`crate::simd_kernels::TurboBlock`]),
/// independent work that overlaps in the CPU; then the pixels are added in input order
/// ([`update_block`], shared with the square kernel: runs of four 2 × 2 footprints stepping
/// one output column at a time together by [`PixelSink::add_run4`], the other 2 × 2 ones by
/// [`Sink::add_2x2`], the rest by `kernels::turbo`; the next block's output rows prefetched
/// meanwhile). The same contributions, in the same order for every output pixel, as `scan`
/// with `kernels::turbo`.
#[inline(always)]
fn scan_turbo<S: PixelSink>(
    sink: &mut S,
    b: &BandView<'_, '_>,
    lo: f64,
    hi: f64,
    (pfo, ac): (f64, f64),
    clip: kernels::Clip,
) {
    let px = b.px;
    let mut tb = crate::simd_kernels::TurboBlock::new();
    let mut ws = [0.0f64; BLOCK];
    let mut ds = [0.0f32; BLOCK];
    // (Inlined, so that it is compiled for AVX2 with the rest of `scan_turbo`.)
    for_each_block(
        b,
        lo,
        hi,
        #[inline(always)]
        |rb| {
            if !block_values(rb, px, (lo, hi), &mut ws, &mut ds) {
                return;
            }
            let (o0, o1) = (rb.o0, rb.o1);
            let (xs, ys) = (&rb.xs[o0..o1], &rb.ys[o0..o1]);
            tb.fill(xs, ys, &ws, (pfo, ac), clip);
            let fast = tb.fast;
            update_block(
                sink,
                rb,
                &tb.runs(),
                (&ws, &ds),
                // (Inlined, so that it is compiled for AVX2 with the rest of the scan.)
                #[inline(always)]
                |sink, q, w| {
                    if fast >> q & 1 == 1 {
                        let (ii, jj, dow) = tb.get(q);
                        sink.add_2x2(ii, jj, dow);
                    } else {
                        kernels::turbo(xs[q], ys[q], pfo, ac, w, clip, sink);
                    }
                },
            );
        },
    );
}

/// Visit the band's input pixels with a centre usable for output rows `[lo, hi]`
/// ([`kernels::centre_usable`]) and a usable value, in input order: `f(sink, i, j, x, y, w)` after
/// `sink.begin`.
#[inline(always)]
fn scan<S: PixelSink, F: FnMut(&mut S, usize, usize, f64, f64, f64)>(
    sink: &mut S,
    b: &BandView<'_, '_>,
    lo: f64,
    hi: f64,
    mut f: F,
) {
    let px = b.px;
    for_each_block(b, lo, hi, |rb| {
        let (xs, ys) = (rb.xs, rb.ys);
        for o in rb.o0..rb.o1 {
            if let (Some(&x), Some(&y)) = (xs.get(o + AHEAD), ys.get(o + AHEAD)) {
                sink.prefetch_near(x, y);
            }
            let cy = ys[o];
            if !kernels::centre_usable(xs[o], cy, lo, hi) {
                continue;
            }
            let (d, w) = px.value(rb.data[o], rb.wts.map(|w| w[o]));
            if w == 0.0 {
                continue;
            }
            sink.begin(rb.k0 + o, d);
            f(sink, b.xmin + o, rb.j, xs[o], cy, w);
        }
    });
}

/// Linear size of an output pixel in input pixels, from the pixel map's Jacobian at the
/// centre of the input box (1 when it cannot be estimated).
fn estimate_pscale_ratio(pixmap: &PixelMap<'_>, bbox: (usize, usize, usize, usize)) -> f64 {
    let (ny, nx) = pixmap.shape();
    let (xmin, xmax, ymin, ymax) = bbox;
    let i = ((xmin + xmax) / 2).min(nx.saturating_sub(2));
    let j = ((ymin + ymax) / 2).min(ny.saturating_sub(2));
    let p = pixmap.map_point(i, j);
    let a = pixmap.map_point(i + 1, j);
    let b = pixmap.map_point(i, j + 1);
    let det = (a.0 - p.0) * (b.1 - p.1) - (a.1 - p.1) * (b.0 - p.0);
    if det.is_finite() && det != 0.0 && nx >= 2 && ny >= 2 {
        1.0 / det.abs().sqrt()
    } else {
        1.0
    }
}

/// Per-pixel input weights as JWST resample builds them (`weight_type`): `exptime` for
/// every good pixel, or the inverse read-noise variance `1 / var_rnoise` (0 where it is not
/// finite and > 0); bad pixels (`good == false`) weigh 0.
///
/// # Errors
///
/// A `good` mask or `var_rnoise` of another shape than `shape`; `Ivm` without
/// `var_rnoise`; a non-finite or non-positive `exptime` with `Exptime`.
///
/// # Examples
///
/// ```
/// use astro_drizzle::{weight_map, WeightType};
/// use ndarray::array;
/// let var = array![[4.0f32, 0.0], [f32::NAN, 0.5]];
/// let w = weight_map(WeightType::Ivm, 100.0, None, Some(var.view()), (2, 2))?;
/// assert_eq!(w, array![[0.25f32, 0.0], [0.0, 2.0]]);
/// let good = array![[true, false], [true, true]];
/// let w = weight_map(WeightType::Exptime, 100.0, Some(good.view()), None, (2, 2))?;
/// assert_eq!(w, array![[100.0f32, 0.0], [100.0, 100.0]]);
/// # Ok::<(), astro_drizzle::Error>(())
/// ```
pub fn weight_map(
    weight_type: WeightType,
    exptime: f64,
    good: Option<ArrayView2<'_, bool>>,
    var_rnoise: Option<ArrayView2<'_, f32>>,
    shape: (usize, usize),
) -> Result<Array2<f32>> {
    let sh = [shape.0, shape.1];
    if let Some(g) = &good
        && g.dim() != shape
    {
        return Err(shape_err("good", &sh, g.shape()));
    }
    let mut w = match weight_type {
        WeightType::Exptime => {
            if !(exptime.is_finite() && exptime > 0.0) {
                return Err(param_err("exptime", exptime, "must be finite and > 0"));
            }
            Array2::from_elem(shape, exptime as f32)
        }
        WeightType::Ivm => {
            let v = var_rnoise.ok_or_else(|| {
                param_err(
                    "var_rnoise",
                    "None",
                    "weight_type ivm needs the read-noise variance",
                )
            })?;
            if v.dim() != shape {
                return Err(shape_err("var_rnoise", &sh, v.shape()));
            }
            v.mapv(|x| {
                if x.is_finite() && x > 0.0 {
                    1.0 / x
                } else {
                    0.0
                }
            })
        }
    };
    if let Some(g) = good {
        ndarray::Zip::from(&mut w).and(&g).for_each(|w, &ok| {
            if !ok {
                *w = 0.0;
            }
        });
    }
    Ok(w)
}

#[cfg(test)]
mod square_sink_tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Set: `run` drizzles the square kernel pixel by pixel with the scalar kernel (the
    /// reference of `square_scan_matches_scalar_kernel`; the same bits either way, so
    /// other tests running meanwhile are not affected).
    pub(super) static SCALAR_SQUARE: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    /// [`SCALAR_SQUARE`] for the turbo kernel (`turbo_scan_matches_scalar_kernel`).
    pub(super) static SCALAR_TURBO: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    /// The square kernel's block scan (2 × 2 and general-path lanes, column updates, runs
    /// of four pixels)
    /// gives the bits of the scalar kernel applied pixel by pixel, on rotated, sheared and
    /// curved maps with NaN holes, pixfrac 1 and 0.7 (footprints up to 3 × 3 and beyond),
    /// weight maps with zeros, and 1 to 3 threads (stripe edges clip footprints).
    #[test]
    fn square_scan_matches_scalar_kernel() {
        scan_matches_scalar_kernel(crate::Kernel::Square, &SCALAR_SQUARE, 9, (1.0, 0.7));
    }

    /// The turbo kernel's block scan (2 × 2 lanes, runs of four pixels stepping one output
    /// column at a time) gives the bits of `kernels::turbo` applied pixel by pixel, on the
    /// maps of [`square_scan_matches_scalar_kernel`], pixfrac 0.8 and 0.6 (boxes narrower
    /// than an output pixel at scale < 1.25: the 2 × 2 case), 1 to 3 threads.
    #[test]
    fn turbo_scan_matches_scalar_kernel() {
        scan_matches_scalar_kernel(crate::Kernel::Turbo, &SCALAR_TURBO, 10, (0.8, 0.6));
    }

    /// `kernel`'s scan (reference: `flag` set, every pixel by the scalar kernel) on rotated,
    /// sheared and curved maps with NaN holes, pixfracs `pf.0` and `pf.1` in turn, weight
    /// maps with zeros, and 1 to 3 threads; rounds 0 and 1 with the race's geometry.
    fn scan_matches_scalar_kernel(
        kernel: crate::Kernel,
        flag: &std::sync::atomic::AtomicBool,
        seed: u64,
        pf: (f64, f64),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        for round in 0..6 {
            let (ny, nx) = (
                rng.random_range(40..90usize),
                rng.random_range(40..120usize),
            );
            let th: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let scale = rng.random_range(0.6..1.6);
            // (Rounds 0 and 1: the race's geometry, 7° and the same scale: runs of pixels
            // stepping one output column at a time.)
            let (th, scale) = if round < 2 { (0.122, 1.0) } else { (th, scale) };
            let (c, s) = (th.cos(), th.sin());
            let shear = rng.random_range(-0.3..0.3);
            let curve = rng.random_range(0.0..2e-3);
            let pm = ndarray::Array3::from_shape_fn((ny, nx, 2), |(j, i, k)| {
                let (u, v) = (i as f64 - nx as f64 / 2.0, j as f64 - ny as f64 / 2.0);
                let (u, v) = (u + shear * v + curve * v * v, v + curve * u * u);
                let (x, y) = (c * u - s * v, s * u + c * v);
                let hole = (i + 3 * j) % 97 == 5 || (j > ny / 2 && j < ny / 2 + 2 && i < 7);
                if hole {
                    f64::NAN
                } else if k == 0 {
                    scale * x + 80.0
                } else {
                    scale * y + 80.0
                }
            });
            let data = ndarray::Array2::from_shape_fn((ny, nx), |(j, i)| {
                ((i * 7 + j * 3) % 11) as f32 - 2.0 + if (i + j) % 13 == 0 { f32::NAN } else { 0.0 }
            });
            let wts = ndarray::Array2::from_shape_fn((ny, nx), |(j, i)| {
                if (i * j) % 17 == 3 {
                    0.0
                } else {
                    1.0 + ((i + j) % 5) as f32 * 0.25
                }
            });
            let map = PixelMap::from_array(pm.view()).unwrap();
            let pixfrac = if round % 2 == 0 { pf.0 } else { pf.1 };
            let run = |scalar: bool, threads: usize| {
                flag.store(scalar, std::sync::atomic::Ordering::Relaxed);
                let go = || {
                    let mut d = Drizzle::new(
                        (160, 160),
                        DrizzleOptions {
                            kernel,
                            ..Default::default()
                        },
                    )
                    .unwrap();
                    let opts = AddImageOptions {
                        pixfrac,
                        ..Default::default()
                    };
                    let input = Input::new(data.view()).with_weights(wts.view());
                    for _ in 0..2 {
                        d.add_image(&input, &map, &opts).unwrap();
                    }
                    d.finalize()
                };
                #[cfg(feature = "rayon")]
                let out = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(go);
                #[cfg(not(feature = "rayon"))]
                let out = {
                    let _ = threads;
                    go()
                };
                flag.store(false, std::sync::atomic::Ordering::Relaxed);
                let bits =
                    |a: &ndarray::Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                let ctx = out
                    .ctx
                    .as_ref()
                    .map(|c| c.iter().copied().collect::<Vec<_>>());
                (bits(&out.sci), bits(&out.wht), ctx)
            };
            let want = run(true, 1);
            assert!(
                want.1.iter().any(|&w| w != 0),
                "round {round}: nothing drizzled"
            );
            for threads in 1..=3 {
                assert!(
                    run(false, threads) == want,
                    "round {round}, {threads} threads"
                );
            }
        }
    }

    /// On the race's geometry (7°, the same scale, pixfrac 0.8) a turbo block has runs of
    /// four, and a run's corner and weights are its pixels' ([`kernels::Runs4::run4`], shared with
    /// the square kernel).
    #[test]
    fn turbo_block_runs_of_four() {
        use crate::simd_kernels::{TURBO_BLOCK, TurboBlock};
        let (c, s) = (0.122f64.cos(), 0.122f64.sin());
        let clip = Clip {
            r0: 0,
            r1: 200,
            nx: 200,
        };
        for j in 0..4 {
            let xs: Vec<f64> = (0..TURBO_BLOCK)
                .map(|i| c * i as f64 - s * j as f64 + 40.3)
                .collect();
            let ys: Vec<f64> = (0..TURBO_BLOCK)
                .map(|i| s * i as f64 + c * j as f64 + 40.7)
                .collect();
            let mut tb = TurboBlock::new();
            tb.fill(&xs, &ys, &[1.5; TURBO_BLOCK], (0.4, 1.0 / 0.64), clip);
            let runs = tb.runs();
            assert!(runs.bits.count_ones() >= 8, "row {j}: {:b}", runs.bits);
            for q in (0..TURBO_BLOCK).filter(|q| runs.bits >> q & 1 == 1) {
                let ((ii, jj), dow) = runs.run4(q);
                let got: [_; 4] = std::array::from_fn(|k| {
                    (ii + k, jj, [dow[0][k], dow[1][k], dow[2][k], dow[3][k]])
                });
                let want: [_; 4] = std::array::from_fn(|k| tb.get(q + k));
                assert_eq!(got, want, "row {j}, pixel {q}");
            }
        }
    }

    /// A context-writing sink on the output rows from `base` on (bit 8, value `d`).
    fn test_sink<'a>(
        sci: &'a mut [f32],
        wht: &'a mut [f32],
        ctx: &'a mut [i32],
        (base, nx): (usize, usize),
        d: f32,
    ) -> FastSink<'a, true> {
        FastSink {
            sci: &mut sci[base..],
            wht: &mut wht[base..],
            ctx: &mut ctx[base..],
            base,
            nx,
            bit: 8,
            d,
            f32_mean: true,
        }
    }

    /// A weight for the sink tests: 0, -0, NaN, negative (cancelling) or positive.
    fn pick(rng: &mut StdRng) -> f32 {
        match rng.random_range(0..8) {
            0 => 0.0,
            1 => -0.0,
            2 => f32::NAN,
            3 => -rng.random_range(0.1f32..2.0),
            _ => rng.random_range(0.0f32..3.0),
        }
    }

    /// `FastSink::add_2x2` (AVX2 where available) gives the bits of four `add` calls, with
    /// empty, negative (cancelling), NaN and zero weights (NaN as NaN).
    #[test]
    fn add_2x2_matches_four_adds() {
        let mut rng = StdRng::seed_from_u64(3);
        let (nx, ny) = (7usize, 5usize);
        for round in 0..3000 {
            let sci0: Vec<f32> = (0..nx * ny)
                .map(|_| rng.random_range(-5.0f32..5.0))
                .collect();
            let wht0: Vec<f32> = (0..nx * ny).map(|_| pick(&mut rng)).collect();
            let ctx0: Vec<i32> = (0..nx * ny).map(|_| rng.random_range(0..4)).collect();
            let mut dow = [0.0f32; 4];
            for (k, v) in dow.iter_mut().enumerate() {
                *v = pick(&mut rng);
                if round % 3 == 0 && k > 0 {
                    // a weight cancelling the pixel's own
                    *v = -wht0[k % 2];
                }
            }
            let d = rng.random_range(-10.0f32..10.0);
            let (ii, jj) = (rng.random_range(0..nx - 1), rng.random_range(1..ny - 1));
            let base = nx;
            let run = |two: bool| {
                let (mut sci, mut wht, mut ctx) = (sci0.clone(), wht0.clone(), ctx0.clone());
                let mut s = test_sink(&mut sci, &mut wht, &mut ctx, (base, nx), d);
                if two {
                    s.add_2x2(ii, jj, dow);
                } else {
                    kernels::add_2x2_each(&mut s, ii, jj, dow);
                }
                // (Which NaN an operation on two NaNs returns is not specified by Rust;
                // NaN weights only come from a user's initial output.)
                let bits = |v: &[f32]| {
                    v.iter()
                        .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
                        .collect::<Vec<_>>()
                };
                (bits(&sci), bits(&wht), ctx)
            };
            assert_eq!(run(true), run(false), "round {round}: {dow:?} at {ii},{jj}");
        }
    }

    /// `FastSink::add_run4` (four pixels' 2 × 2 footprints stepping one column at a time,
    /// AVX2 where available) gives the bits of the pixels' `add` calls in input order, with
    /// empty, negative (cancelling), NaN and zero weights (NaN as NaN).
    #[test]
    fn add_run4_matches_pixel_adds() {
        let mut rng = StdRng::seed_from_u64(6);
        let (nx, ny) = (9usize, 5usize);
        let mut done = 0;
        for round in 0..3000 {
            let sci0: Vec<f32> = (0..nx * ny)
                .map(|_| rng.random_range(-5.0f32..5.0))
                .collect();
            let wht0: Vec<f32> = (0..nx * ny).map(|_| pick(&mut rng)).collect();
            let ctx0: Vec<i32> = (0..nx * ny).map(|_| rng.random_range(0..4)).collect();
            let (ii, jj) = (rng.random_range(0..nx - 4), rng.random_range(1..ny - 1));
            let mut dow = [[0.0f32; 4]; 4];
            for (m, row) in dow.iter_mut().enumerate() {
                for (k, v) in row.iter_mut().enumerate() {
                    *v = pick(&mut rng);
                    if round % 3 == 0 && (m + k) % 2 == 1 {
                        // a weight cancelling the output pixel's own
                        *v = -wht0[(jj + m / 2) * nx + ii + k + m % 2];
                    }
                }
            }
            let d: [f32; 4] = std::array::from_fn(|_| rng.random_range(-10.0f32..10.0));
            let base = nx;
            let run = |together: bool| {
                let (mut sci, mut wht, mut ctx) = (sci0.clone(), wht0.clone(), ctx0.clone());
                let mut s = test_sink(&mut sci, &mut wht, &mut ctx, (base, nx), 0.0);
                let ok = together && s.add_run4((ii, jj), [&dow[0], &dow[1], &dow[2], &dow[3]], &d);
                if !ok {
                    for k in 0..4 {
                        s.begin(0, d[k]);
                        let w = [dow[0][k], dow[1][k], dow[2][k], dow[3][k]];
                        kernels::add_2x2_each(&mut s, ii + k, jj, w);
                    }
                }
                let bits = |v: &[f32]| {
                    v.iter()
                        .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
                        .collect::<Vec<_>>()
                };
                (ok, bits(&sci), bits(&wht), ctx)
            };
            let (ok, a, b, c) = run(true);
            done += usize::from(ok);
            assert_eq!(
                (a, b, c),
                {
                    let r = run(false);
                    (r.1, r.2, r.3)
                },
                "round {round}: {dow:?} at {ii},{jj}"
            );
        }
        if crate::simd::avx2_available() {
            assert_eq!(done, 3000);
        }
    }

    /// `FastSink::add_3x3` (a column at a time, AVX2 where available) gives the bits of
    /// the single `add` calls, for every footprint size up to 3 × 3 (NaN as NaN).
    #[test]
    fn add_3x3_matches_single_adds() {
        let mut rng = StdRng::seed_from_u64(4);
        let (nx, ny) = (8usize, 7usize);
        for round in 0..3000 {
            let sci0: Vec<f32> = (0..nx * ny)
                .map(|_| rng.random_range(-5.0f32..5.0))
                .collect();
            let wht0: Vec<f32> = (0..nx * ny).map(|_| pick(&mut rng)).collect();
            let ctx0: Vec<i32> = (0..nx * ny).map(|_| rng.random_range(0..4)).collect();
            let (nc, nr) = (rng.random_range(1..4usize), rng.random_range(1..4usize));
            let (ii, jj) = (rng.random_range(0..nx - 2), rng.random_range(1..ny - 3));
            let mut dow = [0.0f32; 9];
            for (k, v) in dow.iter_mut().enumerate() {
                *v = pick(&mut rng);
                if round % 3 == 0 && k % 2 == 1 {
                    // a weight cancelling the pixel's own
                    *v = -wht0[(jj + k / 3) * nx + ii + k % 3];
                }
            }
            let d = rng.random_range(-10.0f32..10.0);
            let base = nx;
            let run = |vector: bool| {
                let (mut sci, mut wht, mut ctx) = (sci0.clone(), wht0.clone(), ctx0.clone());
                let mut s = test_sink(&mut sci, &mut wht, &mut ctx, (base, nx), d);
                if vector {
                    s.add_3x3(ii, jj, (nc, nr), dow);
                } else {
                    kernels::add_3x3_each(&mut s, ii, jj, (nc, nr), dow);
                }
                let bits = |v: &[f32]| {
                    v.iter()
                        .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
                        .collect::<Vec<_>>()
                };
                (bits(&sci), bits(&wht), ctx)
            };
            assert_eq!(
                run(true),
                run(false),
                "round {round}: {dow:?} {nc}x{nr} at {ii},{jj}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that two outputs are bit-identical: science, weight and variances bit for
    /// bit, context and DQ equal (`what` labels a failure).
    fn assert_same_bits(o: &DrizzleOutput, o0: &DrizzleOutput, what: &str) {
        let bits = |a: &Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&o.sci), bits(&o0.sci), "{what}");
        assert_eq!(bits(&o.wht), bits(&o0.wht), "{what}");
        assert_eq!(o.ctx, o0.ctx, "{what}");
        assert_eq!(o.dq, o0.dq, "{what}");
        assert_eq!(o.variances.len(), o0.variances.len(), "{what}");
        for (a, b) in o.variances.iter().zip(&o0.variances) {
            assert_eq!(bits(a), bits(b), "{what}");
        }
    }

    /// `go()` run on rayon pools of 1, 2 and 3 threads, the three results in that order.
    fn on_1_2_3_threads<R: Send>(go: impl Fn() -> R + Sync + Send) -> Vec<R> {
        [1, 2, 3]
            .iter()
            .map(|&t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap()
                    .install(&go)
            })
            .collect()
    }

    /// A test value: NaN, ±∞ or one of `specials` about half the time, else uniform in
    /// `range`.
    fn special_or(
        rng: &mut rand::rngs::StdRng,
        specials: &[f64],
        range: std::ops::Range<f64>,
    ) -> f64 {
        use rand::Rng;
        let k = rng.random_range(0..2 * (specials.len() + 3));
        match k {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            _ if k < specials.len() + 3 => specials[k - 3],
            _ => rng.random_range(range),
        }
    }

    /// `simd::box_extent` (AVX2) gives the scalar loop's extent and miss count: NaN, ±∞,
    /// values on the box's borders and inside it, every length up to 70.
    #[test]
    fn box_extent_lanes_match_scalar() {
        use rand::{Rng, SeedableRng, rngs::StdRng};
        if !crate::simd::avx2_available() {
            eprintln!("SKIP box_extent_lanes_match_scalar: no AVX2");
            return;
        }
        let mut rng = StdRng::seed_from_u64(8);
        let b = (-1.5, 20.5, -2.5, 10.5);
        for round in 0..3000 {
            let n = rng.random_range(0..70);
            let mut v = || special_or(&mut rng, &[-1.5, 10.5, 0.0, -0.0], -5.0..25.0);
            let (xs, ys): (Vec<f64>, Vec<f64>) = (0..n).map(|_| (v(), v())).unzip();
            let want = crate::simd::box_extent_scalar(&xs, &ys, b);
            let got = crate::simd::box_extent(&xs, &ys, b);
            // (Equal as numbers: only the sign of a zero extent may differ.)
            assert_eq!(got, want, "round {round}: {xs:?} {ys:?}");
        }
    }

    /// `max_finite_step` is the largest finite `f64::max(|Δx|, |Δy|)` (the old per-pair
    /// loop), with NaN and ±∞ among the values, for every length.
    #[test]
    fn max_finite_step_matches_the_plain_loop() {
        use rand::{Rng, SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(5);
        for round in 0..2000 {
            let n = rng.random_range(0..20);
            let mut v = || special_or(&mut rng, &[0.0], -50.0..50.0);
            let a: Vec<[f64; 4]> = (0..n).map(|_| [v(), v(), v(), v()]).collect();
            let (x0, x1, y0, y1): (Vec<_>, Vec<_>, Vec<_>, Vec<_>) = (
                a.iter().map(|p| p[0]).collect(),
                a.iter().map(|p| p[1]).collect(),
                a.iter().map(|p| p[2]).collect(),
                a.iter().map(|p| p[3]).collect(),
            );
            let mut want: f64 = 0.0;
            for k in 0..n {
                let d = (x1[k] - x0[k]).abs().max((y1[k] - y0[k]).abs());
                if d.is_finite() {
                    want = want.max(d);
                }
            }
            let got = max_finite_step(&x0, &x1, &y0, &y1);
            assert_eq!(got.to_bits(), want.to_bits(), "round {round}: {a:?}");
        }
    }

    #[test]
    fn piece_bounds_split_work_evenly_and_cover_the_range() {
        // One block per row over rows 10..110: 4 pieces of ~25 rows.
        let blocks: Vec<(f64, f64)> = (10..110).map(|r| (r as f64, r as f64)).collect();
        let b = piece_bounds(&blocks, 5, 120, 4);
        assert_eq!((b[0], *b.last().unwrap()), (5, 120));
        assert!(b.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(b.len(), 5);
        for w in b[1..4].windows(2) {
            assert!((w[1] - w[0]).abs_diff(25) <= 1, "{b:?}");
        }
        // All the work in one row, or none: valid, increasing bounds.
        let one = vec![(50.0, 50.0); 10];
        let b = piece_bounds(&one, 0, 100, 4);
        assert!(b.windows(2).all(|w| w[0] < w[1]) && b[0] == 0 && b[b.len() - 1] == 100);
        let none = vec![(1.0, 0.0); 10];
        let b = piece_bounds(&none, 0, 100, 4);
        assert!(b.windows(2).all(|w| w[0] < w[1]) && b[0] == 0 && b[b.len() - 1] == 100);
        assert_eq!(piece_bounds(&blocks, 3, 4, 4), vec![3, 4]);
        assert_eq!(piece_bounds(&blocks, 0, 100, 1), vec![0, 100]);
    }

    #[test]
    fn fill_unweighted_sets_exactly_the_unweighted_pixels() {
        let shape = (7, 37);
        let wht =
            Array2::from_shape_fn(shape, |(j, i)| if (i * 7 + j) % 3 == 0 { 0.0 } else { 1.0 });
        let sci = Array2::from_shape_fn(shape, |(j, i)| (i + 100 * j) as f32);
        for f in [0.0f32, -1.5, f32::NAN] {
            let mut a = sci.clone();
            fill_unweighted(&mut a, &wht, f);
            for ((&o, &w), &s0) in a.iter().zip(&wht).zip(&sci) {
                let want = if w == 0.0 { f } else { s0 };
                assert_eq!(o.to_bits(), want.to_bits());
            }
        }
    }

    #[test]
    fn split_rows_gives_the_rows_asked() {
        let mut v: Vec<u32> = (0..30).collect();
        let parts = split_rows(&mut v, 3, &[2, 5, 10]);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], &[6, 7, 8, 9, 10, 11, 12, 13, 14]);
        assert_eq!(parts[1].len(), 15);
        assert_eq!(parts[1][0], 15);
    }

    /// Drizzle `adds` times with every kernel (and once more with DQ and variance for
    /// `kernels_full`) at 1, 2 and 3 threads: the same stats and bits.
    fn same_for_any_thread_count(
        map: &PixelMap<'_>,
        nout: (usize, usize),
        opts: &AddImageOptions,
        adds: usize,
        kernels: &[crate::Kernel],
        kernels_full: &[crate::Kernel],
        what: &str,
    ) {
        use crate::Input;
        let (ny, nx) = map.shape();
        let data = Array2::from_shape_fn((ny, nx), |(y, x)| ((x * 7 + y * 13) % 97) as f32 - 20.0);
        let var = data.mapv(|v| v.abs() + 1.0);
        let dq = Array2::from_shape_fn((ny, nx), |(y, x)| ((x ^ y) % 5) as u32);
        let w = Array2::from_shape_fn((ny, nx), |(y, x)| 0.5 + ((x + y) % 3) as f32);
        let cases = kernels
            .iter()
            .map(|&k| (k, false))
            .chain(kernels_full.iter().map(|&k| (k, true)));
        for (kernel, full) in cases {
            let go = || {
                let mut d = Drizzle::new(
                    nout,
                    DrizzleOptions {
                        kernel,
                        with_dq: full,
                        n_variance: usize::from(full),
                        ..Default::default()
                    },
                )
                .unwrap();
                let mut input = Input::new(data.view()).with_weights(w.view());
                if full {
                    input = input.with_dq(dq.view()).with_variances(vec![var.view()]);
                }
                let stats: Vec<_> = (0..adds)
                    .map(|_| {
                        let s = d.add_image(&input, map, opts).unwrap();
                        (s.nmiss, s.nskip, s.ctx_id)
                    })
                    .collect();
                (stats, d.finalize())
            };
            let outs = on_1_2_3_threads(go);
            let (st0, o0) = &outs[0];
            assert!(o0.wht.iter().any(|&v| v != 0.0), "{what} {kernel}");
            for (st, o) in &outs[1..] {
                assert_eq!(st, st0, "{what} {kernel}");
                assert_same_bits(o, o0, &format!("{what} {kernel}"));
            }
        }
    }

    /// A pixel whose pixel-map x is NaN while its y is finite, or whose x or y is
    /// infinite, maps nowhere: every kernel adds exactly what it adds when that pixel has
    /// weight 0 (on 1, 2 and 3 threads). (A NaN x used to land in output column 0 with
    /// the point and turbo kernels: `nint(NaN)` is 0; an infinite x overflowed `nint + 1`.)
    #[test]
    fn non_finite_map_entries_add_nothing() {
        use crate::{Input, Kernel};
        let (ny, nx) = (9, 8);
        // (row, column, x, y) of the pixels that map nowhere.
        let bad = [
            (2usize, 3usize, f64::NAN, 2.1),
            (4, 5, f64::INFINITY, 3.9),
            (6, 1, 1.4, f64::INFINITY),
            (1, 6, f64::NEG_INFINITY, 1.2),
        ];
        let pm = ndarray::Array3::from_shape_fn((ny, nx, 2), |(j, i, k)| {
            match (bad.iter().find(|b| (b.0, b.1) == (j, i)), k) {
                (Some(b), 0) => b.2,
                (Some(b), _) => b.3,
                (None, 0) => i as f64 * 1.1 + 0.2,
                (None, _) => j as f64 * 0.9 + 0.3,
            }
        });
        let map = PixelMap::from_array(pm.view()).unwrap();
        let data = Array2::from_shape_fn((ny, nx), |(j, i)| (i * 3 + j * 5) as f32 + 1.0);
        let ones = Array2::<f32>::ones((ny, nx));
        let mut zeroed = ones.clone();
        for b in bad {
            zeroed[[b.0, b.1]] = 0.0;
        }
        for kernel in Kernel::ALL {
            let go = |w: &Array2<f32>| {
                let mut d = Drizzle::new(
                    (10, 10),
                    DrizzleOptions {
                        kernel,
                        ..Default::default()
                    },
                )
                .unwrap();
                let input = Input::new(data.view()).with_weights(w.view());
                d.add_image(
                    &input,
                    &map,
                    &AddImageOptions {
                        pixfrac: 0.6,
                        ..Default::default()
                    },
                )
                .unwrap();
                d.finalize()
            };
            let want = go(&zeroed);
            assert!(want.wht.iter().any(|&w| w != 0.0), "{kernel}");
            for got in on_1_2_3_threads(|| go(&ones)) {
                assert_same_bits(&got, &want, &format!("{kernel}"));
            }
        }
    }

    /// The context owed by a first add (written once afterwards where the weight is > 0,
    /// see `Drizzle::add_image`) is the context the updates write: every kernel, with and
    /// without weight maps (zero, NaN, huge and, in some cases, negative weights), NaN and
    /// infinite data, NaN and infinite pixel-map entries, DQ and variances, every fill
    /// value, one to three adds, on 1, 2 and 3 threads: the same bits as with the owing
    /// turned off.
    #[test]
    fn owed_context_is_the_context_of_the_updates() {
        use crate::{FillValue, Input, Kernel};
        use rand::{Rng, SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(21);
        let mut owed_cases = 0;
        for case in 0..60 {
            let (ny, nx) = (rng.random_range(1..24usize), rng.random_range(1..24usize));
            let nout = (rng.random_range(1..30usize), rng.random_range(1..30usize));
            let (a, sh) = (
                rng.random_range(-0.6f64..0.6),
                rng.random_range(-3.0f64..3.0),
            );
            let (c, sn) = (a.cos(), a.sin());
            let pm = ndarray::Array3::from_shape_fn((ny, nx, 2), |(j, i, k)| {
                let (x, y) = (i as f64, j as f64);
                let v = if k == 0 {
                    c * x - sn * y + sh
                } else {
                    sn * x + c * y - sh
                };
                match rng.random_range(0..40) {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    _ => v,
                }
            });
            let map = PixelMap::from_array(pm.view()).unwrap();
            let data = Array2::from_shape_fn((ny, nx), |_| match rng.random_range(0..30) {
                0 => f32::NAN,
                1 => f32::INFINITY,
                _ => rng.random_range(-5.0f32..50.0),
            });
            let negative = case % 5 == 4;
            let w = Array2::from_shape_fn((ny, nx), |_| match rng.random_range(0..12) {
                0 => 0.0,
                1 => f32::NAN,
                2 => 3e38,
                3 if negative => -0.5,
                _ => rng.random_range(0.0f32..2.0),
            });
            let var = data.mapv(|v| v.abs() + 1.0);
            let dq = Array2::from_shape_fn((ny, nx), |(y, x)| ((x ^ y) % 5) as u32);
            let kernel = Kernel::ALL[case % 6];
            let full = case % 4 == 3;
            let weighted = case % 3 != 0;
            let adds = 1 + case % 3;
            let fillval = [FillValue::Nan, FillValue::Value(-1.0), FillValue::Indef][case % 3];
            let opts = AddImageOptions {
                pixfrac: rng.random_range(0.3..1.2),
                ..Default::default()
            };
            let go = |owe: bool| {
                let mut d = Drizzle::new(
                    nout,
                    DrizzleOptions {
                        kernel,
                        fillval,
                        with_dq: full,
                        n_variance: usize::from(full),
                        ..Default::default()
                    },
                )
                .unwrap();
                // (Turned off: the updates write the context, as for any later add.)
                d.wht_all_zero = owe;
                let mut input = Input::new(data.view());
                if weighted {
                    input = input.with_weights(w.view());
                }
                if full {
                    input = input.with_dq(dq.view()).with_variances(vec![var.view()]);
                }
                let mut owed = false;
                for _ in 0..adds {
                    d.add_image(&input, &map, &opts).unwrap();
                    owed |= d.ctx_owed.is_some();
                }
                (owed, d.finalize())
            };
            let what = format!("case {case}: {kernel} {ny}x{nx} -> {nout:?}, {adds} adds");
            let eagers = on_1_2_3_threads(|| go(false));
            for (k, (owed, e)) in eagers.iter().enumerate() {
                assert!(!owed, "{what}");
                assert_same_bits(e, &eagers[0].1, &format!("{what}: eager, thread count {k}"));
            }
            let (_, eager) = &eagers[0];
            for (owed, o) in on_1_2_3_threads(|| go(true)) {
                let expect_owed =
                    kernel.weights_nonnegative() && !(weighted && w.iter().any(|&v| v < 0.0));
                assert_eq!(owed, expect_owed, "{what}");
                owed_cases += usize::from(owed);
                assert_same_bits(&o, eager, &what);
            }
        }
        assert!(owed_cases > 60, "{owed_cases}");
    }

    /// The slabs of output rows (several threads) on maps whose bands come back over rows
    /// already drizzled, have NaN rows and pixels, fall partly off the output, are
    /// projective with a 187° rotation, a grid, or exact (then the pipelined bands), with
    /// and without an input box, on outputs of 1 row or few rows, and with context planes
    /// past 32 images: the same stats and bits as one thread.
    #[test]
    fn slabs_are_bit_identical_to_one_thread_where_bands_come_back() {
        use crate::Kernel;
        use astro_wcs::Wcs;
        let (ny, nx) = (70, 60);
        // y falls then rises with j (bands come back), x mirrored; NaN rows and pixels.
        let folded = |y0: f64| {
            Array3::from_shape_fn((ny, nx, 2), move |(j, i, k)| {
                if j == 20 || j == 21 || (i * 7 + j * 3) % 41 == 0 || (k == 1 && i == 13) {
                    return f64::NAN;
                }
                let t = j as f64 - 35.0;
                if k == 0 {
                    100.0 - 1.1 * i as f64 - 0.02 * t * t
                } else {
                    y0 + 0.05 * t * t + 0.3 * i as f64 + 0.2 * (i as f64 * 0.3).sin()
                }
            })
        };
        let (high, low) = (folded(10.0), folded(-1.0));
        let folded = PixelMap::from_array(high.view()).unwrap();
        let low = PixelMap::from_array(low.view()).unwrap();
        let boxed = AddImageOptions {
            pixfrac: 0.8,
            xmin: Some(3),
            xmax: Some(50),
            ymin: Some(5),
            ymax: Some(66),
            ..Default::default()
        };
        let plain = AddImageOptions {
            pixfrac: 0.7,
            ..Default::default()
        };
        for opts in [&plain, &boxed] {
            same_for_any_thread_count(
                &folded,
                (80, 90),
                opts,
                2,
                &Kernel::ALL,
                &[Kernel::Square, Kernel::Lanczos3],
                "folded",
            );
        }
        same_for_any_thread_count(
            &low,
            (1, 110),
            &plain,
            1,
            &[Kernel::Square, Kernel::Turbo],
            &[],
            "1 row",
        );
        same_for_any_thread_count(
            &low,
            (3, 110),
            &plain,
            1,
            &[Kernel::Square, Kernel::Point],
            &[],
            "3 rows",
        );
        // Context planes past 32 images.
        same_for_any_thread_count(&folded, (80, 90), &plain, 35, &[Kernel::Square], &[], "ctx");

        let (c, s) = (
            187f64.to_radians().cos() * 1e-4,
            187f64.to_radians().sin() * 1e-4,
        );
        let a = Wcs::new_tan((10.0, 20.0), (30.0, 35.0), [[-c, s], [s, c]]).unwrap();
        let b = Wcs::new_tan((10.0, 20.0), (40.0, 38.0), [[-1.1e-4, 0.0], [0.0, 1.1e-4]]).unwrap();
        let proj = PixelMap::from_wcs(&a, &b, (ny, nx)).unwrap();
        let grid = PixelMap::from_wcs_stepsize(&a, &b, (ny, nx), 8).unwrap();
        let exact = PixelMap::from_wcs_exact(&a, &b, (ny, nx));
        assert!(!proj.is_costly() && !grid.is_costly() && exact.is_costly());
        for (map, what) in [(&proj, "projective"), (&grid, "grid"), (&exact, "exact")] {
            for opts in [&plain, &boxed] {
                same_for_any_thread_count(
                    map,
                    (75, 70),
                    opts,
                    1,
                    &Kernel::ALL,
                    &[Kernel::Square],
                    what,
                );
            }
        }
    }

    /// Many double-buffered bands (small bands in unit tests), every kernel with DQ,
    /// variance and context, two adds, and a first add whose next bands make fresh output
    /// pages resident: the same bits for 1, 2 and 3 threads.
    #[test]
    fn pipelined_bands_are_bit_identical_for_any_thread_count() {
        use crate::{Input, Kernel};
        let (ny, nx, nout) = (90, 110, 150);
        let data = Array2::from_shape_fn((ny, nx), |(y, x)| ((x * 7 + y * 13) % 97) as f32 - 20.0);
        let var = data.mapv(|v| v.abs() + 1.0);
        let dq = Array2::from_shape_fn((ny, nx), |(y, x)| ((x ^ y) % 5) as u32);
        let w = Array2::from_shape_fn((ny, nx), |(y, x)| 0.5 + ((x + y) % 3) as f32);
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        let pm = Array3::from_shape_fn((ny, nx, 2), |(j, i, k)| {
            let (u, v) = (i as f64 - 55.0, j as f64 - 45.0);
            if k == 0 {
                75.0 + (c * u - s * v) / 0.9
            } else {
                75.0 + (s * u + c * v) / 0.9
            }
        });
        let map = PixelMap::from_array(pm.view()).unwrap();
        for kernel in Kernel::ALL {
            for (with_dq, n_variance) in [(false, 0), (true, 1)] {
                let go = || {
                    let mut d = Drizzle::new(
                        (nout, nout),
                        DrizzleOptions {
                            kernel,
                            with_dq,
                            n_variance,
                            ..Default::default()
                        },
                    )
                    .unwrap();
                    let mut input = Input::new(data.view()).with_weights(w.view());
                    if with_dq {
                        input = input.with_dq(dq.view()).with_variances(vec![var.view()]);
                    }
                    let opts = AddImageOptions {
                        pixfrac: 0.7,
                        pscale_ratio: Some(0.9),
                        ..Default::default()
                    };
                    let s1 = d.add_image(&input, &map, &opts).unwrap();
                    let s2 = d.add_image(&input, &map, &opts).unwrap();
                    ((s1.nmiss, s1.nskip, s2.nmiss), d.finalize())
                };
                let outs = on_1_2_3_threads(go);
                let (st0, o0) = &outs[0];
                assert!(
                    o0.wht.iter().filter(|&&v| v > 0.0).count() > 5000,
                    "{kernel}"
                );
                for (st, o) in &outs[1..] {
                    assert_eq!(st, st0, "{kernel}");
                    assert_same_bits(o, o0, &kernel.to_string());
                }
            }
        }
    }
}
