//! DQ arrays to boolean / integer / weight masks; resetting and setting DQ bits.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Zip};

use crate::error::{MaskError, Result};
use crate::spec::GoodBits;

mod sealed {
    pub trait Sealed {}
}

/// An integer DQ pixel type (`u8`, `u16`, `u32`, `u64`, `i8`, `i16`, `i32`, `i64`).
///
/// Bits are taken from the value's two's-complement pattern in its own width, as numpy does
/// (`-1i16` has all 16 bits set).
///
/// ```
/// use astro_mask::DqValue;
/// assert_eq!((-1i16).to_bits(), 0xFFFF);
/// assert_eq!(<u16 as DqValue>::BITS, 16);
/// assert_eq!(u8::from_bits(0x1FF), 0xFF);
/// ```
pub trait DqValue: Copy + Send + Sync + sealed::Sealed + 'static {
    /// Width in bits.
    const BITS: u32;
    /// The bit pattern, zero-extended to 64 bits.
    fn to_bits(self) -> u64;
    /// The value whose bit pattern is the low `BITS` bits of `bits`.
    fn from_bits(bits: u64) -> Self;
}

macro_rules! dq_value {
    ($($t:ty => $u:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl DqValue for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline]
            fn to_bits(self) -> u64 {
                // `as` between same-width integers reinterprets the bit pattern; the widening
                // to u64 then zero-extends.
                u64::from(self as $u)
            }
            #[inline]
            fn from_bits(bits: u64) -> Self {
                // Truncation to the low BITS bits is the documented intent.
                bits as $u as $t
            }
        }
    )*};
}
dq_value!(u8 => u8, u16 => u16, u32 => u32, u64 => u64, i8 => u8, i16 => u16, i32 => u32, i64 => u64);

/// An output element type for masks (numpy's `dtype` argument): `bool`, `u8`, `i16`, `i32`,
/// `f32`, `f64`. "True" is `true` / `1`, "false" is `false` / `0`.
///
/// ```
/// use astro_mask::MaskValue;
/// assert_eq!(<f32 as MaskValue>::from_bool(true), 1.0);
/// ```
pub trait MaskValue: Copy + Send + Sync + sealed::Sealed + 'static {
    /// `true` → 1, `false` → 0.
    fn from_bool(b: bool) -> Self;
}

macro_rules! mask_value {
    ($($t:ty => $one:expr, $zero:expr);*) => {$(
        impl MaskValue for $t {
            #[inline]
            fn from_bool(b: bool) -> Self { if b { $one } else { $zero } }
        }
    )*};
}
impl sealed::Sealed for bool {}
impl sealed::Sealed for f32 {}
impl sealed::Sealed for f64 {}
mask_value!(bool => true, false; u8 => 1, 0; i16 => 1, 0; i32 => 1, 0; f32 => 1.0, 0.0; f64 => 1.0, 0.0);

/// Converts a DQ array to a mask with astropy's `bitfield_to_boolean_mask` semantics, in the
/// output type `M` (numpy's `dtype`).
///
/// A pixel is *good* when `dq & !ignore == 0`, `ignore` being the good bits
/// ([`GoodBits::ignore_bits`]) truncated to the DQ width; good pixels get `good_mask_value`,
/// bad ones its opposite. [`GoodBits::NONE`] makes every pixel good.
///
/// ```
/// use astro_mask::{bitfield_to_mask, GoodBits};
/// use ndarray::array;
/// let dq = array![[0u16, 4, 8, 12, 16]];
/// let w: ndarray::Array2<f32> = bitfield_to_mask(dq.view(), GoodBits::parse("4,8")?, true);
/// assert_eq!(w, array![[1.0, 1.0, 1.0, 1.0, 0.0]]);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn bitfield_to_mask<T: DqValue, M: MaskValue>(
    dq: ArrayView2<'_, T>,
    good_bits: GoodBits,
    good_mask_value: bool,
) -> Array2<M> {
    let good = M::from_bool(good_mask_value);
    let bad = M::from_bool(!good_mask_value);
    let Some(ignore) = good_bits.ignore_bits() else {
        return Array2::from_elem(dq.raw_dim(), good);
    };
    let keep = !ignore;
    let zip = Zip::from(&dq);
    let f = move |&v: &T| if v.to_bits() & keep == 0 { good } else { bad };
    #[cfg(feature = "rayon")]
    {
        zip.par_map_collect(f)
    }
    #[cfg(not(feature = "rayon"))]
    {
        zip.map_collect(f)
    }
}

/// astropy's `bitfield_to_boolean_mask(dq, ignore_flags=good_bits, good_mask_value=...)`
/// with `dtype=bool`.
///
/// With `good_mask_value = false` (astropy's default) `true` marks *bad* pixels; with
/// `true`, `true` marks good pixels.
///
/// ```
/// use astro_mask::{bitfield_to_boolean_mask, GoodBits};
/// use ndarray::array;
/// let dq = array![[0i32, 1, 2, 6]];
/// let bad = bitfield_to_boolean_mask(dq.view(), GoodBits::parse("~(2+4)")?, false);
/// assert_eq!(bad, array![[false, false, true, true]]);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn bitfield_to_boolean_mask<T: DqValue>(
    dq: ArrayView2<'_, T>,
    good_bits: GoodBits,
    good_mask_value: bool,
) -> Array2<bool> {
    bitfield_to_mask(dq, good_bits, good_mask_value)
}

/// DrizzlePac's `buildMask(dqarr, bits)`: the DQ array is first cast to `u16` (higher bits
/// dropped, as drizzlepac does), then converted to a `u8` mask with 1 = good, 0 = bad.
///
/// ```
/// use astro_mask::{build_mask, GoodBits};
/// use ndarray::array;
/// let dq = array![[0u32, 4096, 65536 + 4]];
/// assert_eq!(build_mask(dq.view(), GoodBits::parse("4096")?), array![[1u8, 1, 0]]);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn build_mask<T: DqValue>(dq: ArrayView2<'_, T>, bits: GoodBits) -> Array2<u8> {
    let Some(ignore) = bits.ignore_bits() else {
        return Array2::from_elem(dq.raw_dim(), 1);
    };
    let keep = !ignore & 0xFFFF;
    dq.map(|&v| u8::from(v.to_bits() & keep == 0))
}

/// A weight mask: `1.0` where the pixel is good under `good_bits`, `0.0` where it is bad
/// (`bitfield_to_mask(dq, good_bits, true)` as `f32`), ready to multiply exposure time or an
/// inverse-variance map.
///
/// ```
/// use astro_mask::{weight_mask, FlagMap, GoodBits};
/// use ndarray::array;
/// let dq = array![[0u32, 4, 1 | 4]];
/// let w = weight_mask(dq.view(), GoodBits::parse_with("JUMP_DET", FlagMap::jwst())?);
/// assert_eq!(w, array![[1.0f32, 1.0, 0.0]]);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn weight_mask<T: DqValue>(dq: ArrayView2<'_, T>, good_bits: GoodBits) -> Array2<f32> {
    bitfield_to_mask(dq, good_bits, true)
}

/// AstroDrizzle's `resetbits`: clears the given bits in a DQ array in place
/// (`dq = dq & ~bits`, drizzlepac `reset_dq_bits`). A flipped spec clears every bit *but*
/// the listed ones, exactly as drizzlepac does; [`GoodBits::NONE`] clears nothing.
///
/// ```
/// use astro_mask::{resetbits, GoodBits};
/// use ndarray::array;
/// let mut dq = array![[4096u16, 4096 + 16, 8192]];
/// resetbits(dq.view_mut(), GoodBits::parse("4096")?);
/// assert_eq!(dq, array![[0, 16, 8192]]);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn resetbits<T: DqValue>(mut dq: ArrayViewMut2<'_, T>, bits: GoodBits) {
    if let Some(clear) = bits.ignore_bits() {
        dq.map_inplace(|v| *v = T::from_bits(v.to_bits() & !clear));
    }
}

/// Sets `crbit` in the DQ array wherever `flagged` is true (AstroDrizzle's final step,
/// `updateInputDQArray`: `dq |= crbit` on the cosmic-ray pixels).
///
/// Errors when the shapes differ or `crbit` has bits above the DQ width.
///
/// ```
/// use astro_mask::set_crbit;
/// use ndarray::array;
/// let mut dq = array![[0u16, 16, 0]];
/// set_crbit(dq.view_mut(), array![[true, true, false]].view(), 4096)?;
/// assert_eq!(dq, array![[4096, 4112, 0]]);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
pub fn set_crbit<T: DqValue>(
    mut dq: ArrayViewMut2<'_, T>,
    flagged: ArrayView2<'_, bool>,
    crbit: u64,
) -> Result<()> {
    if dq.dim() != flagged.dim() {
        return Err(MaskError::Shape {
            what: "flagged",
            expected: dq.dim(),
            found: flagged.dim(),
        });
    }
    if T::BITS < 64 && crbit >> T::BITS != 0 {
        return Err(MaskError::Parameter {
            name: "crbit",
            reason: format!("{crbit} does not fit in a {}-bit DQ array", T::BITS),
        });
    }
    Zip::from(&mut dq).and(&flagged).for_each(|v, &f| {
        if f {
            *v = T::from_bits(v.to_bits() | crbit);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn astropy_docstring_examples() {
        let dq = array![[0u16, 0, 1, 2, 0, 8, 12, 0], [10, 4, 0, 0, 0, 16, 6, 0]];
        let m =
            |spec: GoodBits, good: bool| -> Array2<i32> { bitfield_to_mask(dq.view(), spec, good) };
        assert_eq!(
            m(GoodBits::from_mask(0), false),
            array![[0, 0, 1, 1, 0, 1, 1, 0], [1, 1, 0, 0, 0, 1, 1, 0]]
        );
        assert_eq!(
            m(GoodBits::from_mask(6), false),
            array![[0, 0, 1, 0, 0, 1, 1, 0], [1, 0, 0, 0, 0, 1, 0, 0]]
        );
        let used = array![[0, 0, 0, 1, 0, 0, 1, 0], [1, 1, 0, 0, 0, 0, 1, 0]];
        assert_eq!(m(GoodBits::from_mask(6).flip(), false), used);
        assert_eq!(m(GoodBits::parse("~(2+4)").unwrap(), false), used);
        assert_eq!(m(GoodBits::NONE, true), Array2::from_elem((2, 8), 1));
    }

    #[test]
    fn signed_and_narrow_types() {
        let dq = array![[-1i16, 0, 1]];
        let bad = bitfield_to_boolean_mask(dq.view(), GoodBits::parse("~32768").unwrap(), false);
        assert_eq!(bad, array![[true, false, false]]);
        let dq = array![[255u8, 0]];
        assert_eq!(
            bitfield_to_boolean_mask(dq.view(), GoodBits::from_mask(255), false),
            array![[false, false]]
        );
        let mut dq = array![[-1i16]];
        resetbits(dq.view_mut(), GoodBits::from_mask(1));
        assert_eq!(dq[[0, 0]], -2);
    }

    #[test]
    fn crbit_errors() {
        let mut dq = array![[0u8]];
        let f = array![[true]];
        assert!(matches!(
            set_crbit(dq.view_mut(), f.view(), 4096),
            Err(MaskError::Parameter { name: "crbit", .. })
        ));
        let g = array![[true, false]];
        assert!(matches!(
            set_crbit(dq.view_mut(), g.view(), 1),
            Err(MaskError::Shape { .. })
        ));
    }
}
