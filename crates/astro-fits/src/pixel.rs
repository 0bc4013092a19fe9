//! The pixel types that images are read into and written from.

use crate::ffi::RawPixel;
use std::ffi::c_int;

mod sealed {
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

/// A pixel type that can be read from and written to a FITS image: `u8`, `i16`, `u16`,
/// `i32`, `i64`, `f32` and `f64`.
///
/// On read, CFITSIO converts whatever is stored (any BITPIX, with BZERO/BSCALE applied) to
/// the requested type; a value that does not fit (e.g. 300.0 read as `u8`) is an error.
/// Undefined integer pixels (`BLANK`) become NaN when read as `f32`/`f64`.
///
/// On write, the type decides what is stored: `u8` as BITPIX 8, `i16` as 16, `u16` as
/// BITPIX 16 with BZERO = 32768 (the FITS convention for unsigned 16-bit data, used by HST
/// DQ arrays), `i32` as 32, `i64` as 64, `f32` as −32 and `f64` as −64.
///
/// The trait is sealed: it cannot be implemented outside this crate.
///
/// # Examples
///
/// ```
/// use astro_fits::Pixel;
///
/// fn describe<T: Pixel>() -> i32 {
///     T::BITPIX
/// }
/// assert_eq!(describe::<u16>(), 16);
/// assert_eq!(describe::<f32>(), -32);
/// assert_eq!(<u16 as Pixel>::BZERO, 32768.0);
/// ```
pub trait Pixel: RawPixel + sealed::Sealed + Send + Sync + std::fmt::Debug + 'static {
    /// The BITPIX this type is stored with.
    const BITPIX: i32;
    /// The BZERO this type is stored with (0 except for `u16`).
    const BZERO: f64;
}

macro_rules! pixel {
    ($t:ty, $datatype:expr, $img:expr, $bitpix:expr, $bzero:expr, $null:expr) => {
        impl sealed::Sealed for $t {}
        impl RawPixel for $t {
            const DATATYPE: c_int = $datatype;
            const IMG: c_int = $img;
            fn null_value() -> Option<Self> {
                $null
            }
        }
        impl Pixel for $t {
            const BITPIX: i32 = $bitpix;
            const BZERO: f64 = $bzero;
        }
    };
}

// CFITSIO datatype codes: TBYTE 11, TSHORT 21, TUSHORT 20, TINT 31, TLONGLONG 81,
// TFLOAT 42, TDOUBLE 82. Image codes: BYTE_IMG 8, SHORT_IMG 16, USHORT_IMG 20,
// LONG_IMG 32, LONGLONG_IMG 64, FLOAT_IMG -32, DOUBLE_IMG -64.
pixel!(u8, 11, 8, 8, 0.0, None);
pixel!(i16, 21, 16, 16, 0.0, None);
pixel!(u16, 20, 20, 16, 32768.0, None);
pixel!(i32, 31, 32, 32, 0.0, None);
pixel!(i64, 81, 64, 64, 0.0, None);
pixel!(f32, 42, -32, -32, 0.0, Some(f32::NAN));
pixel!(f64, 82, -64, -64, 0.0, Some(f64::NAN));
