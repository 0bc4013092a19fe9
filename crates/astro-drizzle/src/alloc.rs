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
//! is made resident (zeroed) as a whole at its first touch. `ASTRO_MADVISE_HUGEPAGE=0` in
//! the environment turns the advice off (as `NUMPY_MADVISE_HUGEPAGE=0` does for numpy):
//! worth it on virtual machines that hand free memory back to their host, where every
//! fresh 2 MiB page costs the host a page fault.
//!
//! The module also holds the cache prefetch hint of the drizzle loop ([`prefetch`]): the
//! output pixels an input pixel `AHEAD` further along its row will update are requested
//! early, so that the cache misses of a walk across the output rows overlap.
//!
//! With `simd` (the AVX2 square kernel), one of the two modules of the crate with `unsafe`
//! code (here: one `madvise` call, one prefetch instruction).

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
    if bytes >= MIN_HUGE_BYTES && huge_pages_wanted() {
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

/// Ask the CPU to bring the cache line holding `v` into its caches (a hint: no effect on
/// any value; a no-op off x86-64).
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn prefetch<T>(v: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is an SSE instruction (part of the x86-64 baseline, so always
    // available) that only hints the cache hierarchy: it never faults, writes nothing and
    // reads no value into the program; the pointer comes from a live reference anyway.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((v as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Whether `ASTRO_MADVISE_HUGEPAGE` (read once) allows huge pages: unset or not `0`.
fn huge_pages_wanted() -> bool {
    static WANTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WANTED.get_or_init(|| std::env::var_os("ASTRO_MADVISE_HUGEPAGE").is_none_or(|v| v != "0"))
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
