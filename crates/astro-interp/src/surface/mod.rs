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

/// Errors of the surface-fitting module.
///
/// ```
/// use astro_interp::surface::{Error, Function};
/// let e = "spline".parse::<Function>().unwrap_err();
/// assert!(matches!(e, Error::InvalidParameter { keyword: "function", .. }));
/// assert!(e.to_string().contains("spline"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter (named by its IRAF keyword) has an unusable value.
    #[error("invalid {keyword} = {value}: {reason}")]
    InvalidParameter {
        /// The IRAF keyword (`function`, `xxorder`, `reject`, `xmin`, …).
        keyword: &'static str,
        /// The offending value, as text.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// Two arrays that must pair up element by element have different lengths.
    #[error("{name} has {len} elements, expected {expected}")]
    LengthMismatch {
        /// The array at fault.
        name: &'static str,
        /// Its length.
        len: usize,
        /// The length it should have.
        expected: usize,
    },
    /// An input coordinate or value is NaN or infinite.
    #[error("{name}[{index}] = {value} is not finite")]
    NonFinite {
        /// The array at fault (`xref`, `yin`, `z`, …).
        name: &'static str,
        /// Index of the first offending element.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A weight is negative, NaN or infinite.
    #[error("weights[{index}] = {value} must be finite and >= 0")]
    InvalidWeight {
        /// Index of the first offending weight.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// Fewer points of positive weight than coefficients (IRAF "Too few data points").
    #[error(
        "no degrees of freedom in the {fit}: {npts} points of positive weight for {ncoeff} coefficients"
    )]
    NoDegreesOfFreedom {
        /// Which fit (`x fit`, `y fit`, `surface fit`, …).
        fit: &'static str,
        /// Points of positive weight.
        npts: usize,
        /// Coefficients (or minimum points) the fit needs.
        ncoeff: usize,
    },
    /// An output array has the wrong shape.
    #[error("output array has shape {found:?}, expected {expected:?} (ny, nx)")]
    ShapeMismatch {
        /// `(ys.len(), xs.len())`.
        expected: (usize, usize),
        /// The array's shape.
        found: (usize, usize),
    },
    /// A geomap database record could not be read.
    #[error("geomap database, line {line}: {reason}")]
    InvalidRecord {
        /// 1-based line number in the text.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A numerical routine failed (never seen in practice; reported rather than panicking).
    #[error("numerical failure: {reason}")]
    Numerical {
        /// What failed.
        reason: &'static str,
    },
}

/// Result type of the surface-fitting module.
pub type Result<T> = std::result::Result<T, Error>;
