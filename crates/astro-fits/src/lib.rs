//! FITS image I/O for the astro-* crates: multi-extension files to
//! ([`astro_wcs::Header`], `ndarray::Array2`) and back, through CFITSIO.
//!
//! This is the one crate of the workspace that touches FITS files. It reads plain and
//! gzip-compressed files and tile-compressed images, selects HDUs by index or by
//! `(EXTNAME, EXTVER)`, returns headers as [`astro_wcs::Header`] (parsed from the raw
//! 80-character cards, so `CONTINUE` long strings and `HIERARCH` keywords survive), and
//! images as `Array2<T>` of shape `(ny, nx)` indexed `[[y, x]]`. It writes new files
//! atomically (temporary name, then rename) that astropy verifies without warnings.
//!
//! CFITSIO comes from the `fitsio` crate's vendored sources (feature `fitsio-src`), so
//! only a C compiler is needed. Input files are always opened read-only.
//!
//! Entry points:
//! - reading: [`FitsReader`] ([`FitsReader::hdus`], [`FitsReader::header`],
//!   [`FitsReader::read_image`], [`FitsReader::read_rows`] for bands,
//!   [`FitsReader::read_array`] for cubes) and the one-call helpers [`read_image`],
//!   [`read_image_f32`], [`read_header`], [`list_hdus`];
//! - WCS with HST lookup-table distortions (`WCSDVARR`, `D2IMARR`): [`read_wcs`];
//! - writing: [`FitsWriter`] (whole images with [`FitsWriter::write_image`], or band by
//!   band with [`FitsWriter::begin_image`] + [`FitsWriter::write_rows`]; optional
//!   [`Compression`]);
//! - editing an existing file's bytes in place (a header card set, bits OR-ed into an
//!   integer image), every other byte kept: [`RawFits`] (the one place besides CFITSIO
//!   that reads FITS structure; used by astro-pipeline's `update_inputs`);
//! - errors: [`Error`], each naming the file, the HDU and the keyword involved.
//!
//! ```
//! use astro_fits::{FitsReader, FitsWriter};
//! use astro_wcs::Header;
//! use ndarray::Array2;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("example_flt.fits");
//!
//! // Write a primary HDU and SCI/DQ extensions...
//! let mut w = FitsWriter::create(&path, false)?;
//! w.write_primary(None)?;
//! let mut sci = Header::new();
//! sci.set("BUNIT", "ELECTRONS");
//! w.write_image("SCI", 1, &sci, Array2::<f32>::from_elem((100, 200), 1.5).view())?;
//! w.write_image("DQ", 1, &Header::new(), Array2::<u16>::zeros((100, 200)).view())?;
//! w.finish()?;
//!
//! // ...and read them back.
//! let mut f = FitsReader::open(&path)?;
//! let (header, data) = f.read_hdu::<f32>(("SCI", 1))?;
//! assert_eq!(header.get_str("BUNIT")?, Some("ELECTRONS"));
//! assert_eq!(data.dim(), (100, 200));
//! let dq = f.read_image::<u16>("DQ")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)]

mod edit;
mod error;
#[allow(unsafe_code)]
mod ffi;
mod pixel;
mod read;
mod wcs;
mod write;

#[doc(hidden)]
pub use edit::edit_example_bytes;
pub use edit::{BLOCK_LEN, CARD_LEN, RawFits, RawHdu};
pub use error::{Error, HduKind, Result};
pub use pixel::Pixel;
pub use read::{FitsReader, HduId, HduInfo, list_hdus, read_header, read_image, read_image_f32};
pub use wcs::read_wcs;
pub use write::{ClosedFits, Compression, FitsWriter};
