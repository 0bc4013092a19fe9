//! Polynomial surface fits in the manner of IRAF `geomap` (`gsurfit`).
//!
//! * [`Surface`]: `z = Σ c_ij B_i(x̂) B_j(ŷ)` with Chebyshev, Legendre (coordinates
//!   normalised to [-1, 1] over the surface range) or power-series (raw coordinates)
//!   bases, IRAF's orders (`order` = number of terms, 4 = cubic) and cross-term sets
//!   (`none`, `half`, `full`); weighted least-squares fit by QR; fast separable
//!   evaluation on grids.
//! * [`geomap`]: the coordinate-map fit `xin = f(xref, yref)`, `yin = g(xref, yref)` with
//!   geomap's `fitgeometry` (`shift`, `xyscale`, `rotate`, `rscale`, `rxyscale`,
//!   `general`), iterative sigma rejection, rms and the linear summary geomap prints;
//!   the resulting [`GeoTransform`] evaluates on output grids (the geotran use).
//! * [`GeoMapRecord`]: read the records of an IRAF geomap database (and write ours in
//!   its format with [`GeoTransform::to_database_record`]).
//!
//! Happy path:
//!
//! ```
//! use astro_interp::surface::{geomap, FitGeometry, Function, GeoMapOptions};
//! // A reference grid and its positions in the input image (a shift and a slight shear).
//! let (mut xref, mut yref, mut xin, mut yin) = (vec![], vec![], vec![], vec![]);
//! for j in 0..10 {
//!     for i in 0..10 {
//!         let (x, y) = (i as f64 * 100.0, j as f64 * 100.0);
//!         xref.push(x); yref.push(y);
//!         xin.push(3.0 + x + 1e-3 * y); yin.push(-2.0 + y);
//!     }
//! }
//! let opts = GeoMapOptions { function: Function::Chebyshev, ..GeoMapOptions::default() };
//! let t = geomap(&xref, &yref, &xin, &yin, None, &opts).unwrap();
//! assert!((t.linear.xshift - 3.0).abs() < 1e-9);
//! let (gx, gy) = t.eval_grid(&[0.0, 512.0], &[0.0, 256.0]);
//! assert!((gx[[1, 1]] - (3.0 + 512.0 + 0.256)).abs() < 1e-9 && (gy[[1, 1]] - 254.0).abs() < 1e-9);
//! ```
//!
//! Deviations from IRAF (all deliberate, see each item's docs): the least-squares
//! problem is solved by QR (IRAF: normal equations + Cholesky) with an SVD minimum-norm
//! fallback for rank-deficient designs; non-finite input coordinates are an error rather
//! than silently poisoning the fit; the "no degrees of freedom" test counts points of
//! positive weight.

mod basis;
mod database;
mod fit;
mod geomap;

pub use basis::{Function, MAX_ORDER, XTerms};
pub use database::GeoMapRecord;
pub use fit::{Surface, SurfaceRange, SurfaceSpec};
pub use geomap::{FitGeometry, GeoMapOptions, GeoSurface, GeoTransform, LinearSummary, geomap};

/// Former error type of the surface-fitting module, now the crate's [`Error`](crate::Error)
/// (every surface function returns [`crate::Result`]).
///
/// ```
/// use astro_interp::{surface::Function, Error};
/// let e = "spline".parse::<Function>().unwrap_err();
/// assert!(matches!(e, Error::InvalidParameter { name: "function", .. }));
/// assert!(e.to_string().contains("spline"));
/// ```
#[deprecated(
    since = "0.1.0",
    note = "use astro_interp::Error, the crate's one error type"
)]
pub type Error = crate::Error;

/// Former result type of the surface-fitting module, now [`crate::Result`].
///
/// ```
/// fn f() -> astro_interp::Result<u8> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
#[deprecated(since = "0.1.0", note = "use astro_interp::Result")]
pub type Result<T> = crate::Result<T>;
