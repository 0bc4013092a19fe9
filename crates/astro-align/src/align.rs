//! Aligning image catalogs to a reference (TweakReg / tweakwcs `align_wcs`).

use astro_wcs::Wcs;

use crate::correct::{TangentPlane, correct_wcs};
use crate::error::{Error, Result, invalid};
use crate::fit::{FitOptions, LinearFit, fit_linear};
use crate::matching::{
    OffsetHistogram, TriangleOptions, estimate_2dhist_shift, match_triangles, one_to_one, xyxymatch,
};

/// Units of the search radius.
///
/// # Examples
///
/// ```
/// assert_eq!(astro_align::SearchUnits::default(), astro_align::SearchUnits::Pixels);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchUnits {
    /// Tangent-plane pixels (tweakwcs for FITS WCS).
    #[default]
    Pixels,
    /// Arcseconds (TweakReg `searchunits='arcseconds'`), converted with the plane's
    /// pixel scale at its reference pixel.
    Arcsec,
}

/// When the triangle matcher is used.
///
/// # Examples
///
/// ```
/// assert_eq!(astro_align::TriangleMode::default(), astro_align::TriangleMode::Fallback);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TriangleMode {
    /// Never (pure tweakwcs behaviour).
    Never,
    /// When the histogram + tolerance match finds fewer than `minobj` pairs or fewer
    /// than 10 % of the smaller catalog (large rotations, big offsets).
    #[default]
    Fallback,
    /// Always use the triangle matcher.
    Always,
}

/// Which matcher produced the pairs.
///
/// # Examples
///
/// ```
/// assert_ne!(astro_align::MatchAlgorithm::Tolerance, astro_align::MatchAlgorithm::Triangles);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchAlgorithm {
    /// 2-D histogram (or given offsets) + xyxymatch tolerance matching.
    Tolerance,
    /// Triangle (asterism) voting.
    Triangles,
}

/// Matching options (tweakwcs `XYXYMatch` names and defaults).
///
/// # Examples
///
/// ```
/// let m = astro_align::MatchOptions::default();
/// assert_eq!((m.searchrad, m.separation, m.tolerance, m.use2dhist), (3.0, 0.5, 1.0, true));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MatchOptions {
    /// Search radius for the initial offset histogram.
    pub searchrad: f64,
    /// Units of `searchrad`.
    pub searchunits: SearchUnits,
    /// Minimum separation (plane units) of distinct sources.
    pub separation: f64,
    /// Matching tolerance (plane units).
    pub tolerance: f64,
    /// Find the initial offset with the 2-D histogram.
    pub use2dhist: bool,
    /// Initial offset x (plane units) when `use2dhist` is false.
    pub xoffset: f64,
    /// Initial offset y (plane units) when `use2dhist` is false.
    pub yoffset: f64,
    /// Keep only the closest pair when an image source matched several references.
    pub one_to_one: bool,
    /// When to use the triangle matcher.
    pub triangles: TriangleMode,
    /// Options of the triangle matcher.
    pub triangle_options: TriangleOptions,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            searchrad: 3.0,
            searchunits: SearchUnits::Pixels,
            separation: 0.5,
            tolerance: 1.0,
            use2dhist: true,
            xoffset: 0.0,
            yoffset: 0.0,
            one_to_one: true,
            triangles: TriangleMode::Fallback,
            triangle_options: TriangleOptions::default(),
        }
    }
}

/// Result of [`match_catalogs`].
///
/// # Examples
///
/// See [`match_catalogs`].
#[derive(Debug, Clone, PartialEq)]
pub struct MatchResult {
    /// `(reference index, image index)` pairs.
    pub pairs: Vec<(usize, usize)>,
    /// Offset `image - reference` used as xyxymatch origin.
    pub origin: (f64, f64),
    /// The offset histogram, when it was computed.
    pub histogram: Option<OffsetHistogram>,
    /// The matcher that produced `pairs`.
    pub algorithm: MatchAlgorithm,
}

/// Match image positions to reference positions, both in one tangent plane.
/// `pscale` is the size of one image pixel in plane units (bin size of the histogram),
/// `arcsec_per_unit` converts `searchrad` given in arcsec; `minobj` drives the triangle
/// fallback.
///
/// # Errors
///
/// [`Error::NoMatches`] when nothing matches; [`Error::TooFewSources`] for empty
/// catalogs; errors of [`xyxymatch`] and [`match_triangles`].
///
/// # Examples
///
/// ```
/// use astro_align::{match_catalogs, MatchOptions, MatchAlgorithm};
/// let refp: Vec<(f64, f64)> = (0..60).map(|i| ((i * 37 % 101) as f64 * 5.1, (i * 53 % 97) as f64 * 4.9)).collect();
/// let img: Vec<_> = refp.iter().map(|&(x, y)| (x + 1.7, y - 2.2)).collect();
/// let m = match_catalogs(&img, &refp, 1.0, 1.0, 2, &MatchOptions::default())?;
/// assert_eq!(m.pairs.len(), 60);
/// assert_eq!(m.algorithm, MatchAlgorithm::Tolerance);
/// assert!(m.pairs.iter().all(|&(r, i)| r == i));
/// # Ok::<(), astro_align::Error>(())
/// ```
pub fn match_catalogs(
    image: &[(f64, f64)],
    reference: &[(f64, f64)],
    pscale: f64,
    arcsec_per_unit: f64,
    minobj: usize,
    opts: &MatchOptions,
) -> Result<MatchResult> {
    if !(opts.searchrad > 0.0) {
        return Err(invalid(
            "searchrad",
            format!("must be positive, got {}", opts.searchrad),
        ));
    }
    if !(pscale > 0.0) || !pscale.is_finite() {
        return Err(invalid("pscale", format!("must be positive, got {pscale}")));
    }
    let nimg = image
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .count();
    let nref = reference
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .count();
    for (n, what) in [
        (nimg, "matching (image catalog)"),
        (nref, "matching (reference catalog)"),
    ] {
        if n == 0 {
            return Err(Error::TooFewSources {
                what: what.into(),
                found: 0,
                needed: 1,
            });
        }
    }
    let searchrad = match opts.searchunits {
        SearchUnits::Pixels => opts.searchrad,
        SearchUnits::Arcsec => opts.searchrad / arcsec_per_unit,
    };
    let triangles = || -> Result<MatchResult> {
        let mut to = opts.triangle_options.clone();
        to.tolerance = opts.tolerance;
        let sol = match_triangles(image, reference, &to)?;
        Ok(MatchResult {
            pairs: sol.pairs,
            origin: (0.0, 0.0),
            histogram: None,
            algorithm: MatchAlgorithm::Triangles,
        })
    };
    if opts.triangles == TriangleMode::Always {
        return triangles();
    }
    let (origin, histogram) = if opts.use2dhist {
        let h = estimate_2dhist_shift(image, reference, searchrad, pscale)?;
        (h.shift, Some(h))
    } else {
        ((opts.xoffset, opts.yoffset), None)
    };
    let mut pairs = xyxymatch(image, reference, origin, opts.tolerance, opts.separation)?;
    if opts.one_to_one {
        pairs = one_to_one(&pairs, image, reference, origin);
    }
    let few = pairs.len() < minobj.max(1) || pairs.len() * 10 < nimg.min(nref);
    if few
        && opts.triangles == TriangleMode::Fallback
        && nimg >= 3
        && nref >= 3
        && let Ok(t) = triangles()
        && t.pairs.len() > pairs.len()
    {
        return Ok(MatchResult { histogram, ..t });
    }
    if pairs.is_empty() {
        return Err(Error::NoMatches {
            image: "image".into(),
            searchrad: opts.searchrad,
            units: match opts.searchunits {
                SearchUnits::Pixels => "pixel".into(),
                SearchUnits::Arcsec => "arcsec".into(),
            },
        });
    }
    Ok(MatchResult {
        pairs,
        origin,
        histogram,
        algorithm: MatchAlgorithm::Tolerance,
    })
}

/// An image's source catalog with its WCS: what is aligned.
///
/// # Examples
///
/// ```
/// use astro_align::ImageCatalog;
/// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (49.5, 49.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let cat = ImageCatalog::new("img1", wcs, (100, 100), vec![(10.0, 12.0), (40.0, 80.5)]);
/// assert_eq!(cat.sources.len(), 2);
/// # Ok::<(), astro_wcs::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ImageCatalog {
    /// Name used in messages and the shift file.
    pub name: String,
    /// The image's (distorted) WCS.
    pub wcs: Wcs,
    /// Image size `(nx, ny)` (FITS NAXIS1, NAXIS2).
    pub naxis: (usize, usize),
    /// Source positions, 0-based pixels.
    pub sources: Vec<(f64, f64)>,
    /// Optional per-source weights.
    pub weights: Option<Vec<f64>>,
}

impl ImageCatalog {
    /// A catalog without weights.
    ///
    /// # Examples
    ///
    /// See [`ImageCatalog`].
    pub fn new(name: &str, wcs: Wcs, naxis: (usize, usize), sources: Vec<(f64, f64)>) -> Self {
        ImageCatalog {
            name: name.to_string(),
            wcs,
            naxis,
            sources,
            weights: None,
        }
    }

    /// World coordinates of the sources through the full (distorted) WCS; NaN where
    /// the WCS fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # use astro_align::ImageCatalog;
    /// let wcs = astro_wcs::Wcs::new_tan((10.0, 20.0), (0.0, 0.0), [[-1e-5, 0.0], [0.0, 1e-5]])?;
    /// let c = ImageCatalog::new("a", wcs, (10, 10), vec![(0.0, 0.0)]);
    /// let (ra, dec) = c.world()[0];
    /// assert!((ra - 10.0).abs() < 1e-12 && (dec - 20.0).abs() < 1e-12);
    /// # Ok::<(), astro_wcs::Error>(())
    /// ```
    pub fn world(&self) -> Vec<(f64, f64)> {
        self.sources
            .iter()
            .map(|&(x, y)| {
                self.wcs
                    .pixel_to_world(x, y)
                    .unwrap_or((f64::NAN, f64::NAN))
            })
            .collect()
    }
}

/// Alignment options: matching, fitting, and how the new WCS is named.
///
/// # Examples
///
/// ```
/// let o = astro_align::AlignOptions::default();
/// assert_eq!(o.wcsname, "TWEAK");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AlignOptions {
    /// Matching options.
    pub matching: MatchOptions,
    /// Fit options.
    pub fit: FitOptions,
    /// Minimum number of matches (`None`: the fit geometry's minimum, as tweakwcs).
    pub minobj: Option<usize>,
    /// WCSNAME of the corrected solution.
    pub wcsname: String,
}

impl Default for AlignOptions {
    fn default() -> Self {
        AlignOptions {
            matching: MatchOptions::default(),
            fit: FitOptions::default(),
            minobj: None,
            wcsname: "TWEAK".to_string(),
        }
    }
}

/// Everything learned aligning one image.
///
/// # Examples
///
/// See [`align_image`].
#[derive(Debug, Clone)]
pub struct AlignResult {
    /// Image name.
    pub name: String,
    /// The fit in the image's tangent plane: `reference ≈ F·image + s`.
    pub fit: LinearFit,
    /// Matching outcome (pairs index the image sources and the reference list).
    pub matches: MatchResult,
    /// Tangent-plane positions of the matched image sources (fit input).
    pub image_tp: Vec<(f64, f64)>,
    /// Tangent-plane positions of the matched reference sources (fit input).
    pub reference_tp: Vec<(f64, f64)>,
    /// The corrected WCS.
    pub wcs: Wcs,
}

/// Align one image catalog to reference sources given in world coordinates (RA, Dec
/// degrees), as tweakwcs `align_wcs(FITSWCSCorrector, refcat)` does: the tangent plane
/// is the image's own undistorted pixel frame, the histogram bin is the image's
/// central pixel scale, the fit maps image to reference plane positions, and the WCS
/// is corrected with [`correct_wcs`].
///
/// # Errors
///
/// [`Error::TooFewSources`] (matches fewer than `minobj`, saying how many), matching
/// and fitting errors, WCS errors.
///
/// # Examples
///
/// ```
/// use astro_align::{align_image, AlignOptions, ImageCatalog};
/// let truth = astro_wcs::Wcs::new_tan((10.0, 20.0), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let guess = astro_wcs::Wcs::new_tan((10.00001, 20.0), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let pix: Vec<(f64, f64)> = (0..40).map(|i| ((i * 37 % 101) as f64 * 1.9, (i * 53 % 97) as f64 * 2.0)).collect();
/// let world: Vec<(f64, f64)> = pix.iter().map(|&(x, y)| truth.pixel_to_world(x, y).unwrap()).collect();
/// let cat = ImageCatalog::new("img", guess, (200, 200), pix);
/// let res = align_image(&cat, &world, &AlignOptions::default())?;
/// assert_eq!(res.matches.pairs.len(), 40);
/// assert!((res.wcs.crval().0 - 10.0).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn align_image(
    image: &ImageCatalog,
    reference: &[(f64, f64)],
    opts: &AlignOptions,
) -> Result<AlignResult> {
    let tp = TangentPlane::new(&image.wcs);
    let pscale = TangentPlane::center_pixel_scale(&image.wcs)?;
    let (cx, cy) = image.wcs.crpix();
    let arcsec = tp.wcs().pixel_scale(cx, cy)?;
    let img_tp: Vec<(f64, f64)> = image
        .world()
        .into_iter()
        .map(|(a, d)| tp.world_to_tanp(a, d).unwrap_or((f64::NAN, f64::NAN)))
        .collect();
    let ref_tp: Vec<(f64, f64)> = reference
        .iter()
        .map(|&(a, d)| tp.world_to_tanp(a, d).unwrap_or((f64::NAN, f64::NAN)))
        .collect();
    let minobj = opts.minobj.unwrap_or(opts.fit.fitgeom.min_points());
    let matches = match_catalogs(&img_tp, &ref_tp, pscale, arcsec, minobj, &opts.matching)
        .map_err(|e| match e {
            Error::NoMatches {
                searchrad, units, ..
            } => Error::NoMatches {
                image: image.name.clone(),
                searchrad,
                units,
            },
            other => other,
        })?;
    if matches.pairs.len() < minobj {
        return Err(Error::TooFewSources {
            what: format!("aligning '{}' (matched pairs)", image.name),
            found: matches.pairs.len(),
            needed: minobj,
        });
    }
    let reference_tp: Vec<(f64, f64)> = matches.pairs.iter().map(|p| ref_tp[p.0]).collect();
    let image_tp: Vec<(f64, f64)> = matches.pairs.iter().map(|p| img_tp[p.1]).collect();
    let weights: Option<Vec<f64>> = image
        .weights
        .as_ref()
        .map(|w| matches.pairs.iter().map(|p| w[p.1]).collect());
    let fit = fit_linear(&reference_tp, &image_tp, weights.as_deref(), &opts.fit)?;
    let mut wcs = correct_wcs(&image.wcs, &tp, fit.matrix, fit.shift, image.naxis)?;
    wcs.set_name(Some(opts.wcsname.clone()));
    Ok(AlignResult {
        name: image.name.clone(),
        fit,
        matches,
        image_tp,
        reference_tp,
        wcs,
    })
}

/// The reference of [`align_images`].
///
/// # Examples
///
/// ```
/// let r = astro_align::AlignReference::FirstImage;
/// assert!(matches!(r, astro_align::AlignReference::FirstImage));
/// ```
#[derive(Debug, Clone)]
pub enum AlignReference {
    /// The sources of the first image (through its WCS); it is not corrected.
    FirstImage,
    /// The sources of image `n`.
    Image(usize),
    /// A catalog of (RA, Dec) in degrees (e.g. from [`crate::parse_radec_csv`]).
    Catalog(Vec<(f64, f64)>),
}

/// Align many images to a reference image (the first by default) or a catalog.
/// Returns one entry per image; the reference image's entry is `None`. Each image's
/// error is returned in place so one bad image does not stop the others.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a reference index out of range; per-image errors
/// inside the returned vector.
///
/// # Examples
///
/// ```
/// use astro_align::{align_images, AlignOptions, AlignReference, ImageCatalog};
/// let truth = astro_wcs::Wcs::new_tan((10.0, 20.0), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let guess = astro_wcs::Wcs::new_tan((10.00001, 20.0), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]])?;
/// let pix: Vec<(f64, f64)> = (0..40).map(|i| ((i * 37 % 101) as f64 * 1.9, (i * 53 % 97) as f64 * 2.0)).collect();
/// let a = ImageCatalog::new("ref", truth, (200, 200), pix.clone());
/// let b = ImageCatalog::new("img", guess, (200, 200), pix);
/// let out = align_images(&[a, b], &AlignReference::FirstImage, &AlignOptions::default())?;
/// assert!(out[0].is_none());
/// let r = out[1].as_ref().unwrap().as_ref().unwrap();
/// assert!((r.wcs.crval().0 - 10.0).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn align_images(
    images: &[ImageCatalog],
    reference: &AlignReference,
    opts: &AlignOptions,
) -> Result<Vec<Option<Result<AlignResult>>>> {
    let (refw, skip) = match reference {
        AlignReference::FirstImage | AlignReference::Image(_) => {
            let k = if let AlignReference::Image(k) = reference {
                *k
            } else {
                0
            };
            let im = images.get(k).ok_or_else(|| {
                invalid(
                    "reference",
                    format!("image {k} requested but {} given", images.len()),
                )
            })?;
            (im.world(), Some(k))
        }
        AlignReference::Catalog(c) => (c.clone(), None),
    };
    Ok(images
        .iter()
        .enumerate()
        .map(|(k, im)| (Some(k) != skip).then(|| align_image(im, &refw, opts)))
        .collect())
}

/// A TweakReg-style shift file: one line per aligned image with the shifts (plane
/// pixels), rotation (degrees), scale and the x/y fit rms, under a header naming the
/// reference and units. The caller writes it to a file.
///
/// # Examples
///
/// ```
/// use astro_align::{shift_file, LinearFit};
/// let mut f = LinearFit::identity();
/// f.shift = [1.25, -0.5];
/// let text = shift_file("ref.fits", &[("img.fits", &f)]);
/// assert!(text.contains("# refimage: ref.fits"));
/// assert!(text.lines().last().unwrap().starts_with("img.fits    1.250000  -0.500000"));
/// ```
pub fn shift_file(refname: &str, fits: &[(&str, &LinearFit)]) -> String {
    let mut s = String::new();
    s.push_str("# frame: output\n");
    s.push_str(&format!("# refimage: {refname}\n"));
    s.push_str("# form: delta\n");
    s.push_str("# units: pixels\n");
    for (name, f) in fits {
        let (rx, ry) = rms_xy(f);
        s.push_str(&format!(
            "{}    {:.6}  {:.6}    {:.6}     {:.6}   {:.6}  {:.6}\n",
            name,
            f.shift[0],
            f.shift[1],
            f.mean_rot.rem_euclid(360.0),
            f.mean_scale,
            rx,
            ry
        ));
    }
    s
}

fn rms_xy(f: &LinearFit) -> (f64, f64) {
    let mut n = 0usize;
    let (mut sx, mut sy) = (0.0, 0.0);
    for (r, &m) in f.residuals.iter().zip(&f.fitmask) {
        if m {
            n += 1;
            sx += r[0] * r[0];
            sy += r[1] * r[1];
        }
    }
    if n == 0 {
        (0.0, 0.0)
    } else {
        ((sx / n as f64).sqrt(), (sy / n as f64).sqrt())
    }
}
