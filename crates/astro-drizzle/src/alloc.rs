//! Zeroed output arrays backed by transparent huge pages where the system offers them.
//!
//! The output arrays of a drizzle are large (100 MB each for 5000²) and are touched in an
//! order that jumps across many output rows per input row. With 4 KiB pages that costs one
//! page fault per 4 KiB (two when the first touch is a read: shared zero page, then
//! copy-on-write) and a TLB miss on most updates. On Linux the arrays are allocated
//! zeroed as usual (`calloc`: untouched pages stay unmapped) and their 2 MiB-aligned
//! interior is marked `MADV_HUGEPAGE`, which makes the kernel back it with 2 MiB pages
//! when its THP mode is `always` or `madvise` (numpy does the same for large arrays).
//! The values are the same either way; only the page size changes. The cost: a 2 MiB page
//! is made resident (zeroed) as a whole at its first touch.
//!
//! This is the only module of the crate with `unsafe` code (one `madvise` call).

use ndarray::{Array2, Array3};

/// Arrays smaller than this (bytes) are left to the allocator alone.
const MIN_HUGE_BYTES: usize = 4 << 20;

/// Size of a transparent huge page on x86-64 and aarch64 (4 KiB base pages).
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Element types whose zero value is all-zero bits (so that `vec![0; n]` is a lazily
/// zeroed allocation).
pub(crate) trait ZeroBits: Copy + Default + Send + Sync {}
impl ZeroBits for f32 {}
impl ZeroBits for i32 {}
impl ZeroBits for u32 {}

/// A zeroed vector of `n` elements whose large interior is advised to use huge pages.
pub(crate) fn zeroed_vec<T: ZeroBits>(n: usize) -> Vec<T> {
    let v = vec![T::default(); n];
    let bytes = std::mem::size_of_val(v.as_slice());
    if bytes >= MIN_HUGE_BYTES {
        advise_huge(v.as_ptr().cast::<u8>(), bytes);
    }
    v
}

/// A zeroed `(ny, nx)` array (as [`zeroed_vec`]).
pub(crate) fn zeroed2<T: ZeroBits>(shape: (usize, usize)) -> Array2<T> {
    let n = shape
        .0
        .checked_mul(shape.1)
        .expect("array size overflows usize");
    Array2::from_shape_vec(shape, zeroed_vec(n)).expect("length matches the shape")
}

/// A zeroed `(nz, ny, nx)` array (as [`zeroed_vec`]).
pub(crate) fn zeroed3<T: ZeroBits>(shape: (usize, usize, usize)) -> Array3<T> {
    let n = shape
        .0
        .checked_mul(shape.1)
        .and_then(|n| n.checked_mul(shape.2))
        .expect("array size overflows usize");
    Array3::from_shape_vec(shape, zeroed_vec(n)).expect("length matches the shape")
}

/// Mark the whole 2 MiB pages inside `[ptr, ptr + len)` `MADV_HUGEPAGE` (best effort: an
/// error, e.g. a kernel without THP, changes nothing).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn advise_huge(ptr: *const u8, len: usize) {
    let a = ptr as usize;
    let start = a.next_multiple_of(HUGE_PAGE);
    let end = (a + len) / HUGE_PAGE * HUGE_PAGE;
    if end <= start {
        return;
    }
    // SAFETY: `[start, end)` lies inside one live allocation of `len` bytes at `ptr` that
    // the caller owns, and `start` is page-aligned as madvise requires. MADV_HUGEPAGE only
    // tells the kernel which page size to back the range with: it never changes the
    // mapping's contents, its validity or Rust's view of the memory (no pointer is
    // created or dereferenced here).
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_ptr: *const u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_arrays_are_zero_and_writable() {
        // Large enough to be advised, small enough for a test.
        let mut a: Array2<f32> = zeroed2((1200, 1000));
        assert!(a.is_standard_layout());
        assert!(a.iter().all(|&v| v.to_bits() == 0));
        a[[1199, 999]] = 3.0;
        a[[0, 0]] = 1.0;
        assert_eq!(a.sum(), 4.0);
        let c: Array3<i32> = zeroed3((2, 3, 4));
        assert_eq!(c.dim(), (2, 3, 4));
        assert!(c.iter().all(|&v| v == 0));
        let q: Vec<u32> = zeroed_vec(0);
        assert!(q.is_empty());
    }
}
