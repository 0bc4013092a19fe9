//! Drizzle and blot for astronomical images.
//!
//! `astro-drizzle` resamples images onto a common grid the way STScI's `drizzle` C kernel
//! does (Fruchter & Hook 2002), and back (blot):
//!
//! - [`PixelMap`]: where each input pixel centre lands on the output, from a user array
//!   `(ny, nx, 2)`, from two [`astro_wcs::Wcs`] exactly, or on a coarse grid with a measured
//!   interpolation error (drizzlepac's `stepsize`); generated tile by tile.
//! - [`Drizzle`]: the accumulator, with the square, turbo, point, gaussian, lanczos2 and
//!   lanczos3 kernels ([`Kernel`]), weights, context, DQ and variance arrays
//!   ([`DrizzleOptions`], [`AddImageOptions`]); parallel and bit-identical for any number
//!   of threads.
//! - [`blot`]: a drizzled image interpolated back onto an input grid with any
//!   [`astro_interp::Interpolant`].
//!
//! The crate sees only `ndarray` views and `astro_wcs` types, never files.
//!
//! Compatibility with drizzle 2.2.0's C kernel (shown by the parity tests of `astro-parity`,
//! `drizzle_parity.rs`): the same kernels, update rule, context and variance propagation,
//! agreeing to ~3e-7 relative in science and bit-for-bit in weight and context — with these
//! deliberate differences, each a bug of the reference:
//!
//! - input pixels that straddle the output edge are drizzled with their exact overlap
//!   (drizzle's scan-line limits drop them, losing flux along every output edge);
//! - NaN/inf data or weights give zero weight (drizzle lets them poison the output); a NaN
//!   in the pixel map drops only that input pixel (drizzle can lose the whole image);
//! - 1-row and 1-column inputs are accepted; the output shape is never inferred transposed;
//! - the fill value is applied once, in [`Drizzle::finalize`], so each `add_image` costs
//!   the input's size, not the output's;
//! - `pscale_ratio = None` is estimated as the linear size of an output pixel in input
//!   pixels (`1 / sqrt|det J|` of the pixel map at the centre of the input box).
//!
//! Speed (`parity/scripts/bench_drizzle_peers.py --repeat 5–15 --warm-memory 1500`: 4096²
//! f32 input rotated 7° onto 4996², pixfrac 0.8 (1 for lanczos), pixel map from the two TAN
//! WCS included in our time, drizzle 2.2.0's C kernel timed without its pixel map; best of
//! 5–15 interleaved runs on a shared 2-core VM, ±30 % from run to run; session 8). One
//! thread: square 0.38–0.39 s (drizzle 2.05–2.64 s; 5.4–6.7× best-of, 5.6–5.7× as the
//! median of the ratios within rounds), turbo 0.20 s (0.84 s), point 0.13 s (0.29 s),
//! lanczos3 1.53 s (5.77 s), blot poly5 0.32 s (1.70 s); two threads (one slab of output
//! rows each, see [`Drizzle`]): square 0.24–0.25 s (1.80–1.86× one thread as the median
//! of the ratios within rounds), turbo 0.14 s, point 0.09 s, lanczos3 0.83 s, blot 0.16 s
//! (the two-thread figures move most with the host's load: the slowest runs are those in
//! which the host took the vCPUs, its steal time, which the benchmark reports). Output
//! pixels are written in input order, so the result does not depend on the
//! number of threads. What costs: the exact overlap areas (AVX2 lanes for unclipped
//! footprints up to 3 × 3 output pixels; f32 × 8 lanes for the 2 × 2 ones, f64 where an
//! area is near zero, see the `square` kernel's docs),
//! the running weighted mean (one division per output-pixel update, as drizzle; f32 like
//! drizzle's numerator for square, turbo and point, f64 for the kernels with negative
//! weights; vector lanes per output column or row), the cache misses of the walk across the output rows
//! (prefetched ahead) and the first touch of the output pages (transparent huge pages,
//! with several threads first touched by the thread whose slab holds them; on a VM that returns free memory to its
//! host a fresh page also costs the host a fault, ~3 s per GB, hence the spread and the
//! benchmark's `--warm-memory`). TAN → TAN pixel maps are evaluated as a projective
//! transformation (~2–3 ns per pixel).
//!
//! Happy path:
//!
//! ```
//! use astro_drizzle::{AddImageOptions, Drizzle, DrizzleOptions, Input, PixelMap};
//! use astro_wcs::Wcs;
//! use ndarray::Array2;
//!
//! let in_wcs = Wcs::new_tan((10.0, 20.0), (31.5, 31.5), [[-1e-4, 0.0], [0.0, 1e-4]])?;
//! let out_wcs = Wcs::new_tan((10.0, 20.0), (40.0, 40.0), [[-1e-4, 0.0], [0.0, 1e-4]])?;
//! let sci = Array2::<f32>::from_elem((64, 64), 5.0);
//! let mut driz = Drizzle::new((80, 80), DrizzleOptions::default())?;
//! driz.add_image(&Input::new(sci.view()), &PixelMap::from_wcs(&in_wcs, &out_wcs, (64, 64))?,
//!                &AddImageOptions { pixfrac: 0.8, ..Default::default() })?;
//! let out = driz.finalize();
//! assert!((out.sci[[40, 40]] - 5.0).abs() < 1e-5);
//! # Ok::<(), astro_drizzle::Error>(())
//! ```
// `unsafe` is denied everywhere except three small modules (see their docs): `simd` (the AVX2
// square kernel, runtime-detected, same bits as the scalar code), `simd_kernels` (the same
// for the lanczos and turbo kernels) and `alloc` (the madvise call that asks for huge pages
// for the output arrays, and a cache prefetch hint).
#![deny(unsafe_code)]

#[allow(unsafe_code)]
mod alloc;
mod blot;
mod drizzle;
mod error;
mod kernels;
mod options;
mod pixmap;
#[allow(unsafe_code)]
mod simd;
#[allow(unsafe_code)]
mod simd_kernels;

pub use blot::{BlotOptions, blot};
pub use drizzle::{AddStats, Drizzle, DrizzleOutput, Input, weight_map};
pub use error::{Error, Result};
pub use options::{AddImageOptions, DrizzleOptions, FillValue, InUnits, Kernel, WeightType};
pub use pixmap::PixelMap;
