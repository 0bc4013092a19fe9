//! Interpolant names, boundary extension and evaluation options.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The interpolating kernel, by the names users know from drizzle's blot and IRAF geotran.
///
/// | name | support | what it is |
/// |---|---|---|
/// | `nearest` | 1 | value of the pixel whose centre is nearest (`floor(x + 0.5)`, halves round up) |
/// | `linear` | 2×2 | bilinear (inside the image: `f32` arithmetic, drizzle's formula) |
/// | `poly3` | 4×4 | cubic through 4 points per axis (drizzle/IRAF Everett form) |
/// | `poly5` | 6×6 | quintic through 6 points per axis (drizzle/IRAF Everett form) |
/// | `spline3` | 4×4 of prefiltered coefficients | interpolating cubic B-spline (`scipy.ndimage.map_coordinates(order=3)`) |
/// | `sinc` | (2·nsinc+1)² | tapered sinc, drizzle/IRAF taper, weights normalised per axis |
/// | `lsinc` | (2·nsinc+1)² | `sinc` with the fractional offset quantised to a look-up table |
/// | `lanczos2/3/5` | (2a)² | Lanczos-a from drizzle's look-up table (spacing 0.003, truncated index), **not** normalised |
///
/// `FromStr` is case-insensitive and also accepts drizzle 2.x's `lan3`/`lan5`.
///
/// # Examples
///
/// ```
/// use astro_interp::Interpolant;
///
/// let k: Interpolant = "poly5".parse().unwrap();
/// assert_eq!(k, Interpolant::Poly5);
/// assert_eq!("lan3".parse::<Interpolant>().unwrap(), Interpolant::Lanczos3);
/// assert_eq!(Interpolant::Spline3.to_string(), "spline3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Interpolant {
    /// Nearest pixel.
    Nearest,
    /// Bilinear.
    Linear,
    /// Bicubic polynomial (Lagrange through 4×4 pixels).
    Poly3,
    /// Biquintic polynomial (Lagrange through 6×6 pixels).
    Poly5,
    /// Bicubic B-spline with the exact interpolating prefilter.
    Spline3,
    /// Tapered sinc.
    Sinc,
    /// Look-up-table tapered sinc.
    Lsinc,
    /// Lanczos, a = 2.
    Lanczos2,
    /// Lanczos, a = 3.
    Lanczos3,
    /// Lanczos, a = 5.
    Lanczos5,
}

impl Interpolant {
    /// Every interpolant, in the order of the table above.
    ///
    /// ```
    /// use astro_interp::Interpolant;
    /// for k in Interpolant::ALL {
    ///     assert_eq!(k.to_string().parse::<Interpolant>().unwrap(), k);
    /// }
    /// ```
    pub const ALL: [Interpolant; 10] = [
        Interpolant::Nearest,
        Interpolant::Linear,
        Interpolant::Poly3,
        Interpolant::Poly5,
        Interpolant::Spline3,
        Interpolant::Sinc,
        Interpolant::Lsinc,
        Interpolant::Lanczos2,
        Interpolant::Lanczos3,
        Interpolant::Lanczos5,
    ];

    /// The canonical (lower-case) name.
    ///
    /// ```
    /// assert_eq!(astro_interp::Interpolant::Lanczos5.name(), "lanczos5");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Interpolant::Nearest => "nearest",
            Interpolant::Linear => "linear",
            Interpolant::Poly3 => "poly3",
            Interpolant::Poly5 => "poly5",
            Interpolant::Spline3 => "spline3",
            Interpolant::Sinc => "sinc",
            Interpolant::Lsinc => "lsinc",
            Interpolant::Lanczos2 => "lanczos2",
            Interpolant::Lanczos3 => "lanczos3",
            Interpolant::Lanczos5 => "lanczos5",
        }
    }

    /// Whether the kernel's weights sum to one exactly (so that a constant image is
    /// reproduced). False only for the Lanczos kernels, whose look-up-table weights are,
    /// as in drizzle, not renormalised (the sum deviates from 1 by up to ~2%, ~5% for
    /// `lanczos2`).
    ///
    /// ```
    /// use astro_interp::Interpolant;
    /// assert!(Interpolant::Poly5.is_partition_of_unity());
    /// assert!(!Interpolant::Lanczos3.is_partition_of_unity());
    /// ```
    pub fn is_partition_of_unity(self) -> bool {
        !matches!(
            self,
            Interpolant::Lanczos2 | Interpolant::Lanczos3 | Interpolant::Lanczos5
        )
    }
}

impl fmt::Display for Interpolant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Interpolant {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "nearest" => Interpolant::Nearest,
            "linear" => Interpolant::Linear,
            "poly3" => Interpolant::Poly3,
            "poly5" => Interpolant::Poly5,
            "spline3" => Interpolant::Spline3,
            "sinc" => Interpolant::Sinc,
            "lsinc" => Interpolant::Lsinc,
            "lanczos2" | "lan2" => Interpolant::Lanczos2,
            "lanczos3" | "lan3" => Interpolant::Lanczos3,
            "lanczos5" | "lan5" => Interpolant::Lanczos5,
            _ => {
                return Err(Error::InvalidParameter {
                    name: "interpolant",
                    value: s.to_string(),
                    reason: "expected one of nearest, linear, poly3, poly5, spline3, sinc, \
                             lsinc, lanczos2, lanczos3, lanczos5 (or lan3, lan5)"
                        .into(),
                });
            }
        })
    }
}

/// How the image is extended beyond its edges: the value of the virtual pixel `(i, j)` when
/// `i ∉ [0, nx)` or `j ∉ [0, ny)`. Every interpolant reads these virtual pixels for the part
/// of its support that falls off the image, and (with [`OutOfBounds::Extend`]) for
/// coordinates outside the image.
///
/// With `n` pixels along an axis (first centre at 0, last at `n-1`):
///
/// | boundary | pixel `-k` (k ≥ 1) | pixel `n-1+k` | IRAF / scipy name |
/// |---|---|---|---|
/// | `Nearest` | `p[0]` | `p[n-1]` | IRAF `nearest`, scipy `nearest` |
/// | `Constant(c)` | `c` | `c` | IRAF `constant`, scipy `grid-constant` |
/// | `Reflect` | `p[k]` | `p[n-1-k]` | IRAF `reflect` (about the edge pixel *centre*; the edge pixel is not repeated), scipy `mirror`, numpy.pad `reflect` |
/// | `Symmetric` | `p[k-1]` | `p[n-k]` | scipy `reflect` (about the pixel *edge*; the edge pixel is repeated), numpy.pad `symmetric` |
/// | `Wrap` | `p[n-k]` | `p[k-1]` | IRAF `wrap` (periodic), scipy `grid-wrap` |
/// | `Project` | `2p[0] − p[k]` | `2p[n-1] − p[n-1-k]` | IRAF `project` (point reflection about the edge pixel); drizzle blot's poly3/poly5 edge rule |
///
/// `Reflect`, `Symmetric` and `Wrap` fold indices periodically, so any index, however far
/// out, maps into the image. `Project` folds its mirror index like `Reflect`. Both axes are
/// extended, x first then y (for `Project` this is drizzle's order).
///
/// IRAF `geotran` applies `reflect`/`wrap`/`nearest` to the *coordinate* rather than the
/// pixels; for `reflect` the two are identical (the interpolant of a mirror-symmetric image
/// is mirror-symmetric), for `nearest` they are identical for `nearest`/`linear` and differ
/// only within a kernel half-width of the edge for the wider kernels.
///
/// `FromStr` accepts `nearest`, `constant` (value 0), `reflect`, `symmetric`, `wrap`, `project`,
/// and scipy's `mirror` (= `Reflect`), `grid-constant` (= `Constant(0)`), `grid-wrap` (= `Wrap`).
/// Note that scipy's **`reflect` is our `Symmetric`**: the string `"reflect"` means IRAF's.
///
/// # Examples
///
/// ```
/// use astro_interp::Boundary;
///
/// assert_eq!("reflect".parse::<Boundary>().unwrap(), Boundary::Reflect);
/// assert_eq!("mirror".parse::<Boundary>().unwrap(), Boundary::Reflect);
/// assert_eq!("constant".parse::<Boundary>().unwrap(), Boundary::Constant(0.0));
/// // Index mapping along an axis of 5 pixels (None: the constant value).
/// assert_eq!(Boundary::Reflect.map_index(-2, 5), Some(2));
/// assert_eq!(Boundary::Symmetric.map_index(-2, 5), Some(1));
/// assert_eq!(Boundary::Wrap.map_index(6, 5), Some(1));
/// assert_eq!(Boundary::Nearest.map_index(99, 5), Some(4));
/// assert_eq!(Boundary::Constant(3.0).map_index(-1, 5), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Boundary {
    /// Repeat the edge pixel.
    Nearest,
    /// Pixels outside the image have this value.
    Constant(f32),
    /// Mirror about the edge pixel centre (IRAF `reflect`, scipy `mirror`).
    Reflect,
    /// Mirror about the pixel edge, repeating the edge pixel (scipy `reflect`).
    Symmetric,
    /// Periodic.
    Wrap,
    /// Point reflection about the edge pixel: `2·p[edge] − p[mirror]` (IRAF `project`).
    Project,
}

impl Boundary {
    /// The in-image index that virtual pixel `i` takes its value from, along an axis of
    /// `n ≥ 1` pixels; `None` for [`Boundary::Constant`] outside the image. For
    /// [`Boundary::Project`] this is the *mirror* index (the value is
    /// `2·p[edge] − p[mirror]`).
    ///
    /// ```
    /// use astro_interp::Boundary;
    /// assert_eq!(Boundary::Project.map_index(-3, 10), Some(3));
    /// assert_eq!(Boundary::Reflect.map_index(-20, 10), Some(2)); // periodic fold, period 18
    /// ```
    pub fn map_index(self, i: i64, n: usize) -> Option<usize> {
        let n = n.max(1) as i64;
        if (0..n).contains(&i) {
            return Some(i as usize);
        }
        let j = match self {
            Boundary::Nearest => i.clamp(0, n - 1),
            Boundary::Constant(_) => return None,
            Boundary::Reflect | Boundary::Project => {
                if n == 1 {
                    0
                } else {
                    let p = 2 * (n - 1);
                    let r = i.rem_euclid(p);
                    if r < n { r } else { p - r }
                }
            }
            Boundary::Symmetric => {
                let p = 2 * n;
                let r = i.rem_euclid(p);
                if r < n { r } else { p - 1 - r }
            }
            Boundary::Wrap => i.rem_euclid(n),
        };
        Some(j as usize)
    }

    pub(crate) fn is_periodic(self) -> bool {
        matches!(
            self,
            Boundary::Reflect | Boundary::Symmetric | Boundary::Wrap
        )
    }
}

impl FromStr for Boundary {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "nearest" => Boundary::Nearest,
            "constant" | "grid-constant" => Boundary::Constant(0.0),
            "reflect" | "mirror" => Boundary::Reflect,
            "symmetric" => Boundary::Symmetric,
            "wrap" | "grid-wrap" => Boundary::Wrap,
            "project" => Boundary::Project,
            _ => {
                return Err(Error::InvalidParameter {
                    name: "boundary",
                    value: s.to_string(),
                    reason: "expected one of nearest, constant, reflect, symmetric, wrap, \
                             project (or scipy's mirror, grid-constant, grid-wrap)"
                        .into(),
                });
            }
        })
    }
}

/// What to return for coordinates outside the image.
///
/// | policy | coordinate accepted when | else |
/// |---|---|---|
/// | `Extend` | always (the extended image of [`Boundary`] is interpolated) | — |
/// | `Fill` | `0 ≤ x ≤ nx−1` and `0 ≤ y ≤ ny−1` (IRAF geotran `constant`, scipy `mode='constant'`) | `fillval` |
/// | `FillBlot` | `0 ≤ x < nx` and `0 ≤ y < ny` (drizzle `blot`: the half-pixel beyond the last centre is inside) | `fillval` |
///
/// A non-finite coordinate (NaN, ±inf) always gives `fillval`.
///
/// ```
/// use astro_interp::OutOfBounds;
/// assert_eq!(OutOfBounds::default(), OutOfBounds::Extend);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutOfBounds {
    /// Interpolate the boundary-extended image everywhere.
    #[default]
    Extend,
    /// `fillval` outside the closed range of pixel centres.
    Fill,
    /// `fillval` outside `[0, n)` (drizzle blot's test).
    FillBlot,
}

/// Options of an [`Interpolator`](crate::Interpolator), with the reference tools'
/// parameter names (`sinscl`, `fillval`).
///
/// The default is IRAF-like: [`Boundary::Nearest`], [`OutOfBounds::Extend`], `fillval = NaN`,
/// `sinscl = 1`, `nsinc = 7` (drizzle's 15-tap sinc; IRAF uses 15, i.e. 31 taps),
/// `lsinc_resolution = 20` table entries per pixel.
///
/// [`InterpOptions::blot`] gives drizzle blot's semantics for a given interpolant.
///
/// # Examples
///
/// ```
/// use astro_interp::{Boundary, InterpOptions, OutOfBounds};
///
/// let geotran_constant = InterpOptions {
///     boundary: Boundary::Constant(0.0),
///     out_of_bounds: OutOfBounds::Fill,
///     fillval: 0.0,
///     ..InterpOptions::default()
/// };
/// assert_eq!(geotran_constant.sinscl, 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InterpOptions {
    /// Extension of the image beyond its edges.
    pub boundary: Boundary,
    /// Policy for coordinates outside the image.
    pub out_of_bounds: OutOfBounds,
    /// Value for rejected coordinates (out of bounds, non-finite) and for points whose
    /// every contributing pixel is masked.
    pub fillval: f32,
    /// Scale applied to the fractional pixel offsets of `sinc`/`lsinc` (drizzle/IRAF
    /// `sinscl`); must be finite and > 0.
    pub sinscl: f64,
    /// Half-width of the sinc kernel in pixels (taps `-nsinc..=nsinc`), 1..=64.
    pub nsinc: usize,
    /// Entries per pixel of the `lsinc` look-up table (offset quantum `1/lsinc_resolution`),
    /// 1..=10000.
    pub lsinc_resolution: usize,
}

impl Default for InterpOptions {
    fn default() -> Self {
        InterpOptions {
            boundary: Boundary::Nearest,
            out_of_bounds: OutOfBounds::Extend,
            fillval: f32::NAN,
            sinscl: 1.0,
            nsinc: 7,
            lsinc_resolution: 20,
        }
    }
}

impl InterpOptions {
    /// The semantics of drizzle's `blot_image(interp=...)`: coordinates outside `[0, n)` give
    /// `fillval`; inside, the kernel's support off the image is handled as drizzle does:
    /// `nearest`/`linear`/`spline3`/`sinc`/`lsinc` repeat the edge pixel
    /// ([`Boundary::Nearest`]), `poly3`/`poly5` use point reflection ([`Boundary::Project`]),
    /// Lanczos truncates its window (missing pixels are 0: [`Boundary::Constant`]`(0.0)`).
    ///
    /// ```
    /// use astro_interp::{Boundary, InterpOptions, Interpolant, OutOfBounds};
    /// let o = InterpOptions::blot(Interpolant::Poly5, 0.0);
    /// assert_eq!(o.boundary, Boundary::Project);
    /// assert_eq!(o.out_of_bounds, OutOfBounds::FillBlot);
    /// ```
    pub fn blot(interpolant: Interpolant, fillval: f32) -> Self {
        let boundary = match interpolant {
            Interpolant::Poly3 | Interpolant::Poly5 => Boundary::Project,
            Interpolant::Lanczos2 | Interpolant::Lanczos3 | Interpolant::Lanczos5 => {
                Boundary::Constant(0.0)
            }
            _ => Boundary::Nearest,
        };
        InterpOptions {
            boundary,
            out_of_bounds: OutOfBounds::FillBlot,
            fillval,
            ..InterpOptions::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(self.sinscl.is_finite() && self.sinscl > 0.0) {
            return Err(Error::InvalidParameter {
                name: "sinscl",
                value: self.sinscl.to_string(),
                reason: "must be finite and > 0".into(),
            });
        }
        if !(1..=64).contains(&self.nsinc) {
            return Err(Error::InvalidParameter {
                name: "nsinc",
                value: self.nsinc.to_string(),
                reason: "must be in 1..=64".into(),
            });
        }
        if !(1..=10000).contains(&self.lsinc_resolution) {
            return Err(Error::InvalidParameter {
                name: "lsinc_resolution",
                value: self.lsinc_resolution.to_string(),
                reason: "must be in 1..=10000".into(),
            });
        }
        Ok(())
    }
}
