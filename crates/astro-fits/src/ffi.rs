//! The only module of the workspace with `unsafe` code: a thin, safe wrapper over the few
//! CFITSIO calls we need (through `fitsio::sys`, built from the vendored CFITSIO sources).
//!
//! Every function here returns `Result<_, Status>`, where [`Status`] is CFITSIO's status
//! code; the caller turns it into the crate's [`Error`](crate::Error) with the file and HDU
//! context. Nothing here panics on bad files: CFITSIO reports them through the status.

use fitsio::sys;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr::{self, NonNull};

/// A CFITSIO status code (> 0 means an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status(pub(crate) i32);

impl Status {
    /// CFITSIO's short text for this status (`ffgerr`).
    pub(crate) fn text(self) -> String {
        // FLEN_STATUS is 31 including the terminating NUL; give generous room.
        let mut buf = [0 as c_char; 96];
        // SAFETY: `ffgerr` writes at most FLEN_STATUS (31) bytes, NUL-terminated, into the
        // buffer, which is 96 bytes long; it only reads the integer status.
        unsafe { sys::ffgerr(self.0, buf.as_mut_ptr()) };
        // SAFETY: the buffer was zero-initialised and `ffgerr` NUL-terminates what it writes,
        // so it holds a NUL-terminated string within its bounds.
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) };
        let text = text.to_string_lossy().trim().to_string();
        if text.is_empty() {
            format!("unknown CFITSIO status {}", self.0)
        } else {
            text
        }
    }
}

/// CFITSIO status codes we interpret.
pub(crate) mod code {
    pub(crate) const FILE_NOT_OPENED: i32 = 104;
    pub(crate) const END_OF_FILE: i32 = 107;
    pub(crate) const READ_ERROR: i32 = 108;
    pub(crate) const BAD_BITPIX: i32 = 211;
    pub(crate) const BAD_HDU_NUM: i32 = 301;
}

fn check(status: c_int) -> Result<(), Status> {
    if status > 0 {
        Err(Status(status))
    } else {
        Ok(())
    }
}

/// Pixel types CFITSIO can read into and write from; implemented in `pixel.rs`.
///
/// `DATATYPE` is CFITSIO's `Txxx` code for the in-memory type and `IMG` the `xxx_IMG`
/// code of the on-disk type used when writing. It is `pub` only so that it can be the
/// supertrait of the public, sealed [`Pixel`](crate::Pixel) trait; this module is private.
#[allow(unreachable_pub)]
pub trait RawPixel: Copy + Default {
    const DATATYPE: c_int;
    const IMG: c_int;
    /// The value that replaces undefined pixels on read (NaN for floats), or `None` for
    /// "no null checking" (integers).
    fn null_value() -> Option<Self>;
}

/// The type of an HDU as CFITSIO reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawHduType {
    Image,
    AsciiTable,
    BinaryTable,
}

/// An open CFITSIO file; closed (ignoring errors) on drop, or checked with [`Handle::close`].
pub(crate) struct Handle {
    ptr: NonNull<sys::fitsfile>,
}

// SAFETY: CFITSIO is built with `--enable-reentrant`, so distinct `fitsfile` handles may be
// used from different threads. A `Handle` is never shared (every call takes `&mut self`),
// so moving it to another thread is sound.
unsafe impl Send for Handle {}

impl Handle {
    /// Open a disk file read-only. The name is used literally (no extended filename
    /// syntax); gzip-compressed files are decompressed into memory by CFITSIO.
    pub(crate) fn open_readonly(path: &CStr) -> Result<Handle, Status> {
        let mut fptr: *mut sys::fitsfile = ptr::null_mut();
        let mut status: c_int = 0;
        // SAFETY: `fptr` is a valid out-pointer, `path` is NUL-terminated and outlives the
        // call, mode 0 is READONLY, `status` is a valid in/out pointer.
        unsafe { sys::ffdkopn(&mut fptr, path.as_ptr(), 0, &mut status) };
        check(status)?;
        NonNull::new(fptr)
            .map(|ptr| Handle { ptr })
            .ok_or(Status(code::FILE_NOT_OPENED))
    }

    /// Create a new disk file (fails if it exists). The name is used literally.
    pub(crate) fn create(path: &CStr) -> Result<Handle, Status> {
        let mut fptr: *mut sys::fitsfile = ptr::null_mut();
        let mut status: c_int = 0;
        // SAFETY: as in `open_readonly`; `ffdkinit` creates the file named literally.
        unsafe { sys::ffdkinit(&mut fptr, path.as_ptr(), &mut status) };
        check(status)?;
        NonNull::new(fptr)
            .map(|ptr| Handle { ptr })
            .ok_or(Status(code::FILE_NOT_OPENED))
    }

    fn raw(&mut self) -> *mut sys::fitsfile {
        self.ptr.as_ptr()
    }

    /// Flush and close, reporting any error (e.g. a full disk).
    pub(crate) fn close(self) -> Result<(), Status> {
        let ptr = self.ptr.as_ptr();
        std::mem::forget(self);
        let mut status: c_int = 0;
        // SAFETY: `ptr` came from a successful open/create and has not been closed: `self`
        // was consumed and forgotten, so `Drop` will not close it a second time.
        unsafe { sys::ffclos(ptr, &mut status) };
        check(status)
    }

    /// Number of HDUs in the file.
    pub(crate) fn num_hdus(&mut self) -> Result<usize, Status> {
        let mut n: c_int = 0;
        let mut status: c_int = 0;
        // SAFETY: valid open handle and out-pointers.
        unsafe { sys::ffthdu(self.raw(), &mut n, &mut status) };
        check(status)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Move to the HDU with this 0-based index.
    pub(crate) fn move_to(&mut self, index: usize) -> Result<RawHduType, Status> {
        let hdunum = c_int::try_from(index + 1).map_err(|_| Status(code::BAD_HDU_NUM))?;
        let mut hdutype: c_int = 0;
        let mut status: c_int = 0;
        // SAFETY: valid open handle and out-pointers.
        unsafe { sys::ffmahd(self.raw(), hdunum, &mut hdutype, &mut status) };
        check(status)?;
        Ok(hdu_type(hdutype))
    }

    /// Move to the first HDU with this EXTNAME (or HDUNAME) and EXTVER; return its 0-based
    /// index.
    pub(crate) fn move_to_named(&mut self, extname: &CStr, extver: i32) -> Result<usize, Status> {
        let mut status: c_int = 0;
        // CFITSIO takes a mutable pointer but only reads the name; pass a private copy so
        // that even a stray write could not touch the caller's string.
        let mut name: Vec<u8> = extname.to_bytes_with_nul().to_vec();
        // SAFETY: valid open handle; `name` is a NUL-terminated buffer that outlives the
        // call; ANY_HDU accepts images and tables.
        unsafe {
            sys::ffmnhd(
                self.raw(),
                sys::ANY_HDU,
                name.as_mut_ptr().cast::<c_char>(),
                extver,
                &mut status,
            )
        };
        check(status)?;
        Ok(self.current_index())
    }

    /// 0-based index of the current HDU.
    pub(crate) fn current_index(&mut self) -> usize {
        let mut n: c_int = 0;
        // SAFETY: valid open handle and out-pointer; `ffghdn` cannot fail.
        unsafe { sys::ffghdn(self.raw(), &mut n) };
        usize::try_from(n - 1).unwrap_or(0)
    }

    /// Type of the current HDU (a tile-compressed image reports `Image`).
    pub(crate) fn current_type(&mut self) -> Result<RawHduType, Status> {
        let mut t: c_int = 0;
        let mut status: c_int = 0;
        // SAFETY: valid open handle and out-pointers.
        unsafe { sys::ffghdt(self.raw(), &mut t, &mut status) };
        check(status)?;
        Ok(hdu_type(t))
    }

    /// Is the current HDU a tile-compressed image?
    pub(crate) fn is_compressed_image(&mut self) -> Result<bool, Status> {
        let mut status: c_int = 0;
        // SAFETY: valid open handle and status pointer.
        let r = unsafe { sys::fits_is_compressed_image(self.raw(), &mut status) };
        check(status)?;
        Ok(r != 0)
    }

    /// Equivalent BITPIX (after BZERO/BSCALE; e.g. 20 for unsigned 16-bit) and the axis
    /// lengths in FITS order (NAXIS1 first) of the current image HDU.
    pub(crate) fn image_params(&mut self) -> Result<(i32, Vec<i64>), Status> {
        let mut status: c_int = 0;
        let mut bitpix: c_int = 0;
        let mut naxis: c_int = 0;
        // SAFETY: valid open handle and out-pointers.
        unsafe {
            sys::ffgiet(self.raw(), &mut bitpix, &mut status);
            sys::ffgidm(self.raw(), &mut naxis, &mut status);
        }
        check(status)?;
        let n = usize::try_from(naxis).unwrap_or(0);
        let mut naxes: Vec<sys::LONGLONG> = vec![0; n.max(1)];
        // SAFETY: `naxes` has room for `naxis` values (at least 1 element so the pointer is
        // valid even when NAXIS = 0).
        unsafe { sys::ffgiszll(self.raw(), naxis, naxes.as_mut_ptr(), &mut status) };
        check(status)?;
        naxes.truncate(n);
        Ok((bitpix, naxes))
    }

    /// Rows and columns of the current table HDU.
    pub(crate) fn table_params(&mut self) -> Result<(i64, i32), Status> {
        let mut status: c_int = 0;
        let mut rows: sys::LONGLONG = 0;
        let mut cols: c_int = 0;
        // SAFETY: valid open handle and out-pointers.
        unsafe {
            sys::ffgnrwll(self.raw(), &mut rows, &mut status);
            sys::ffgncl(self.raw(), &mut cols, &mut status);
        }
        check(status)?;
        Ok((rows, cols))
    }

    /// Byte offsets (header start, data start, data end) of the current HDU in the file
    /// as CFITSIO sees it (for a gzip file: in the decompressed copy).
    pub(crate) fn hdu_offsets(&mut self) -> Result<(i64, i64, i64), Status> {
        let mut status: c_int = 0;
        let (mut h, mut d, mut e): (sys::LONGLONG, sys::LONGLONG, sys::LONGLONG) = (0, 0, 0);
        // SAFETY: valid open handle and out-pointers.
        unsafe { sys::ffghadll(self.raw(), &mut h, &mut d, &mut e, &mut status) };
        check(status)?;
        Ok((h, d, e))
    }

    /// The header of the current HDU as 80-byte card images ending with `END`. For a
    /// tile-compressed image this is the header of the equivalent uncompressed image
    /// (`fits_convert_hdr2str`).
    pub(crate) fn header_bytes(&mut self) -> Result<Vec<u8>, Status> {
        let mut status: c_int = 0;
        let mut text: *mut c_char = ptr::null_mut();
        let mut nkeys: c_int = 0;
        // SAFETY: valid open handle; no exclusion list (null with count 0); CFITSIO
        // allocates `text` (nkeys * 80 + 1 bytes, NUL-terminated) and we free it below.
        unsafe {
            sys::ffcnvthdr2str(
                self.raw(),
                0,
                ptr::null_mut(),
                0,
                &mut text,
                &mut nkeys,
                &mut status,
            )
        };
        if text.is_null() {
            check(status)?;
            return Err(Status(code::READ_ERROR));
        }
        // SAFETY: on success `text` is a NUL-terminated buffer allocated by CFITSIO.
        let bytes = unsafe { CStr::from_ptr(text) }.to_bytes().to_vec();
        let mut free_status: c_int = 0;
        // SAFETY: `text` was allocated by CFITSIO and is freed exactly once, by CFITSIO.
        unsafe { sys::fffree(text.cast::<c_void>(), &mut free_status) };
        check(status)?;
        Ok(bytes)
    }

    /// Read `out.len()` pixels of the current image starting at 0-based element `first`
    /// (FITS order), converting to `T` (BZERO/BSCALE applied). With `null_check`, undefined
    /// pixels become NaN for float types.
    pub(crate) fn read_pixels<T: RawPixel>(
        &mut self,
        first: u64,
        out: &mut [T],
        null_check: bool,
    ) -> Result<(), Status> {
        if out.is_empty() {
            return Ok(());
        }
        let mut status: c_int = 0;
        let mut anynul: c_int = 0;
        let mut null = if null_check { T::null_value() } else { None };
        let null_ptr = match null.as_mut() {
            Some(v) => (v as *mut T).cast::<c_void>(),
            None => ptr::null_mut(),
        };
        let firstelem =
            sys::LONGLONG::try_from(first + 1).map_err(|_| Status(code::BAD_HDU_NUM))?;
        let nelem = sys::LONGLONG::try_from(out.len()).map_err(|_| Status(code::BAD_HDU_NUM))?;
        // SAFETY: valid open handle positioned on an image HDU; `out` has room for `nelem`
        // values of the type named by `T::DATATYPE`; `null_ptr` is null or points to one `T`
        // that lives until the call returns.
        unsafe {
            sys::ffgpv(
                self.raw(),
                T::DATATYPE,
                firstelem,
                nelem,
                null_ptr,
                out.as_mut_ptr().cast::<c_void>(),
                &mut anynul,
                &mut status,
            )
        };
        check(status)
    }

    /// Select tile compression for the next image created (0 = none) and, for floating
    /// point images, the quantization level (0 = lossless).
    pub(crate) fn set_compression(&mut self, ctype: c_int, quantize: f32) -> Result<(), Status> {
        let mut status: c_int = 0;
        // SAFETY: valid open handle and status pointer.
        unsafe {
            sys::fits_set_compression_type(self.raw(), ctype, &mut status);
            if ctype != 0 {
                sys::fits_set_quantize_level(self.raw(), quantize, &mut status);
            }
        }
        check(status)
    }

    /// Append a new image HDU (the primary HDU if the file is empty).
    pub(crate) fn create_image(
        &mut self,
        img: c_int,
        naxes_fits_order: &[i64],
    ) -> Result<(), Status> {
        let mut status: c_int = 0;
        let mut naxes: Vec<sys::LONGLONG> = naxes_fits_order.to_vec();
        naxes.push(0); // keep the pointer valid when NAXIS = 0
        let naxis =
            c_int::try_from(naxes_fits_order.len()).map_err(|_| Status(code::BAD_HDU_NUM))?;
        // SAFETY: valid handle open for writing; `naxes` holds `naxis` values (plus one).
        unsafe { sys::ffcrimll(self.raw(), img, naxis, naxes.as_mut_ptr(), &mut status) };
        check(status)
    }

    /// Delete the first card with this keyword in the current HDU.
    pub(crate) fn delete_key(&mut self, keyword: &CStr) -> Result<(), Status> {
        let mut status: c_int = 0;
        // SAFETY: valid handle open for writing; `keyword` is NUL-terminated.
        unsafe { sys::ffdkey(self.raw(), keyword.as_ptr(), &mut status) };
        check(status)
    }

    /// Append one 80-character card image to the current header (validated by CFITSIO).
    pub(crate) fn write_record(&mut self, card: &CStr) -> Result<(), Status> {
        let mut status: c_int = 0;
        // SAFETY: valid handle open for writing; `card` is NUL-terminated.
        unsafe { sys::ffprec(self.raw(), card.as_ptr(), &mut status) };
        check(status)
    }

    /// Append a string keyword of any length (split over CONTINUE cards by CFITSIO).
    pub(crate) fn write_long_string(
        &mut self,
        keyword: &CStr,
        value: &CStr,
        comment: Option<&CStr>,
    ) -> Result<(), Status> {
        let mut status: c_int = 0;
        let comment = comment.map_or(ptr::null(), CStr::as_ptr);
        // SAFETY: valid handle open for writing; all strings NUL-terminated (comment may be
        // null, which CFITSIO accepts).
        unsafe {
            sys::ffpkls(
                self.raw(),
                keyword.as_ptr(),
                value.as_ptr(),
                comment,
                &mut status,
            )
        };
        check(status)
    }

    /// Append a string keyword that fits on one card.
    pub(crate) fn write_key_str(&mut self, keyword: &CStr, value: &CStr) -> Result<(), Status> {
        let mut status: c_int = 0;
        // SAFETY: valid handle open for writing; strings NUL-terminated; null comment.
        unsafe {
            sys::ffpkys(
                self.raw(),
                keyword.as_ptr(),
                value.as_ptr(),
                ptr::null(),
                &mut status,
            )
        };
        check(status)
    }

    /// Append an integer keyword.
    pub(crate) fn write_key_int(&mut self, keyword: &CStr, value: i64) -> Result<(), Status> {
        let mut status: c_int = 0;
        // SAFETY: valid handle open for writing; keyword NUL-terminated; null comment.
        unsafe {
            sys::ffpkyj(
                self.raw(),
                keyword.as_ptr(),
                value,
                ptr::null(),
                &mut status,
            )
        };
        check(status)
    }

    /// Write pixels to the current image starting at 0-based element `first`.
    pub(crate) fn write_pixels<T: RawPixel>(
        &mut self,
        first: u64,
        data: &mut [T],
    ) -> Result<(), Status> {
        if data.is_empty() {
            return Ok(());
        }
        let mut status: c_int = 0;
        let firstelem =
            sys::LONGLONG::try_from(first + 1).map_err(|_| Status(code::BAD_HDU_NUM))?;
        let nelem = sys::LONGLONG::try_from(data.len()).map_err(|_| Status(code::BAD_HDU_NUM))?;
        // SAFETY: valid handle open for writing, positioned on an image; `data` holds
        // `nelem` values of the type named by `T::DATATYPE`. CFITSIO may scribble on the
        // buffer (it is declared non-const), which is why callers pass a private scratch
        // copy.
        unsafe {
            sys::ffppr(
                self.raw(),
                T::DATATYPE,
                firstelem,
                nelem,
                data.as_mut_ptr().cast::<c_void>(),
                &mut status,
            )
        };
        check(status)
    }

    /// Flush buffers to disk.
    pub(crate) fn flush(&mut self) -> Result<(), Status> {
        let mut status: c_int = 0;
        // SAFETY: valid open handle and status pointer.
        unsafe { sys::ffflus(self.raw(), &mut status) };
        check(status)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut status: c_int = 0;
        // SAFETY: the pointer came from a successful open/create and is closed only here
        // (`close` forgets `self` before closing).
        unsafe { sys::ffclos(self.ptr.as_ptr(), &mut status) };
    }
}

fn hdu_type(t: c_int) -> RawHduType {
    match t {
        1 => RawHduType::AsciiTable,
        2 => RawHduType::BinaryTable,
        _ => RawHduType::Image,
    }
}

/// A C string from Rust text, or `None` if it contains a NUL byte.
pub(crate) fn c_string(s: &str) -> Option<CString> {
    CString::new(s).ok()
}
