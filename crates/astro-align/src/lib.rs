//! Source detection, catalog matching, transform fitting and WCS correction: the
//! TweakReg step of DrizzlePac, with the semantics of tweakwcs 0.9.3.
//!
//! * [`find_sources`]: DAOFind-like detection (Gaussian kernel, sigma threshold,
//!   sharpness/roundness limits, sub-pixel centroids, masks).
//! * [`estimate_2dhist_shift`], [`xyxymatch`], [`match_triangles`], [`match_catalogs`]:
//!   matching in a tangent plane (2-D offset histogram + tolerance matching, or triangle
//!   voting for large rotations).
//! * [`fit_linear`]: `shift`/`rshift`/`rscale`/`general` fits with sigma clipping.
//! * [`correct_wcs`], [`archive_header`]: tweakwcs' `FITSWCSCorrector` update of a
//!   [`astro_wcs::Wcs`] and the header cards that keep the previous solution.
//! * [`align_image`], [`align_images`], [`shift_file`]: the whole step.
//! * `plots` feature: PNG diagnostics (offset histogram, residuals, vectors).
//!
//! Conventions: 0-based pixels, degrees; tangent-plane units are the pixels of the
//! image's undistorted WCS (tweakwcs' FITS tangent plane).
//!
//! The happy path — a catalog, a reference, a corrected WCS:
//!
//! ```
//! use astro_align::{align_image, AlignOptions, ImageCatalog};
//! let truth = astro_wcs::Wcs::new_tan((10.0, 20.0), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
//! let guess = astro_wcs::Wcs::new_tan((10.00002, 19.99999), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
//! let stars: Vec<(f64, f64)> = (0..50).map(|i| ((i * 37 % 101) as f64 * 1.9, (i * 53 % 97) as f64 * 2.0)).collect();
//! let refcat: Vec<(f64, f64)> = stars.iter().map(|&(x, y)| truth.pixel_to_world(x, y).unwrap()).collect();
//! let result = align_image(&ImageCatalog::new("img", guess, (200, 200), stars), &refcat, &AlignOptions::default())?;
//! assert!((result.wcs.crval().0 - 10.0).abs() < 1e-9 && (result.wcs.crval().1 - 20.0).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
// `!(x > 0.0)` is deliberate throughout: it rejects NaN together with non-positive values.
#![allow(clippy::neg_cmp_op_on_partial_ord)]
// Index loops mirror the reference formulas (matrices, kernels, histograms).
#![allow(clippy::needless_range_loop)]

mod align;
mod catalog;
mod correct;
mod detect;
mod error;
mod fit;
mod matching;
#[cfg(feature = "plots")]
pub mod plots;

pub use align::{
    AlignOptions, AlignReference, AlignResult, ImageCatalog, MatchAlgorithm, MatchOptions,
    MatchResult, SearchUnits, TriangleMode, align_image, align_images, match_catalogs, shift_file,
};
pub use catalog::{parse_csv_columns, parse_radec_csv};
pub use correct::{TangentPlane, archive_header, correct_wcs};
pub use detect::{Centroid, DetectOptions, Detection, Source, find_sources};
pub use error::{Error, Result};
pub use fit::{ClipStatistic, FitGeometry, FitOptions, LinearFit, fit_linear};
pub use matching::{
    MAX_HIST_HALF_WIDTH, MAX_TRIANGLE_SOURCES, OffsetHistogram, PeakStatus, TriangleOptions,
    TriangleSolution, estimate_2dhist_shift, match_triangles, one_to_one, xyxymatch,
};
