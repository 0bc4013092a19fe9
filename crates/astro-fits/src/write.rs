//! Writing: [`FitsWriter`], [`Compression`].

use crate::error::{Error, Result};
use crate::ffi::{self, Handle, Status};
use crate::pixel::Pixel;
use crate::read::{HduId, c_path};
use astro_wcs::{Card, Header, Value};
use ndarray::ArrayView2;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Tile compression for the image extensions a [`FitsWriter`] writes next.
///
/// Compressed images are stored as binary tables (the FITS tiled-image convention, one
/// tile per row); CFITSIO, astropy and ds9 read them as images. Integer images are
/// compressed losslessly. Floating-point images are also stored losslessly (no
/// quantization): CFITSIO allows that only with GZIP, so float images are written with
/// `GZIP_2` (byte-shuffled GZIP) whichever algorithm is chosen; expect modest gains.
///
/// # Examples
///
/// ```
/// use astro_fits::{Compression, FitsReader, FitsWriter, HduKind};
/// use astro_wcs::Header;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("dq.fits");
/// let mut w = FitsWriter::create(&path, false)?;
/// w.set_compression(Compression::Rice);
/// let dq = ndarray::Array2::<u16>::from_elem((64, 64), 4);
/// w.write_image("DQ", 1, &Header::new(), dq.view())?;
/// w.finish()?;
///
/// let mut f = FitsReader::open(&path)?;
/// assert_eq!(f.hdus()?[1].kind, HduKind::CompressedImage);
/// assert_eq!(f.read_image::<u16>("DQ")?, dq);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// No compression (the default).
    #[default]
    None,
    /// Rice (`RICE_1`): fast, good for integer data such as DQ arrays.
    Rice,
    /// GZIP (`GZIP_1`).
    Gzip,
}

impl Compression {
    fn cfitsio_code(self) -> i32 {
        match self {
            Compression::None => 0,
            Compression::Rice => 11,
            Compression::Gzip => 21,
        }
    }
}

/// Keywords CFITSIO writes itself (or that would be wrong after rewriting the data); they
/// are skipped when copying a user header.
fn is_structural(keyword: &str) -> bool {
    let k = keyword.to_ascii_uppercase();
    let numbered = |prefix: &str| {
        k.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    };
    matches!(
        k.as_str(),
        "SIMPLE"
            | "BITPIX"
            | "NAXIS"
            | "EXTEND"
            | "PCOUNT"
            | "GCOUNT"
            | "XTENSION"
            | "BZERO"
            | "BSCALE"
            | "END"
            | "CHECKSUM"
            | "DATASUM"
            | "ZIMAGE"
            | "ZBITPIX"
            | "ZNAXIS"
            | "ZCMPTYPE"
            | "ZQUANTIZ"
            | "ZDITHER0"
            | "ZSIMPLE"
            | "ZTENSION"
            | "ZEXTEND"
            | "ZPCOUNT"
            | "ZGCOUNT"
            | "ZHECKSUM"
            | "ZDATASUM"
            | "ZBLANK"
            | "ZBLOCKED"
            | "TFIELDS"
    ) || numbered("NAXIS")
        || numbered("ZNAXIS")
        || numbered("ZTILE")
        || numbered("ZNAME")
        || numbered("ZVAL")
        || numbered("TTYPE")
        || numbered("TFORM")
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes a new FITS file: a primary HDU and image extensions, each from an
/// [`astro_wcs::Header`] and an `ndarray` image.
///
/// The file is written under a temporary name in the same directory and renamed to its
/// final name by [`FitsWriter::finish`]; if anything fails, or the writer is dropped
/// without `finish`, the temporary file is removed and nothing appears under the final
/// name. An existing file is replaced only when `overwrite` is true.
///
/// Header cards are written through CFITSIO, which validates them. Structural keywords
/// (`SIMPLE`, `BITPIX`, `NAXISn`, `EXTEND`, `PCOUNT`, `GCOUNT`, `XTENSION`, `BZERO`,
/// `BSCALE`, `CHECKSUM`/`DATASUM` and the tile-compression `Z*` keywords) are not copied
/// from the user header: CFITSIO writes the right ones for the data. `BLANK` is dropped for
/// floating-point data (it is only defined for integers). Long strings are written with
/// `CONTINUE` cards; reals are written with the shortest text that reads back exactly.
///
/// # Examples
///
/// ```
/// use astro_fits::{FitsReader, FitsWriter};
/// use astro_wcs::Header;
/// use ndarray::Array2;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out_flt.fits");
///
/// let mut primary = Header::new();
/// primary.set("TELESCOP", "HST");
/// let mut sci_header = Header::new();
/// sci_header.set("CTYPE1", "RA---TAN-SIP");
/// sci_header.set("A_2_0", 1.2345678901234e-06);
///
/// let mut w = FitsWriter::create(&path, false)?;
/// w.write_primary(Some(&primary))?;
/// w.write_image("SCI", 1, &sci_header, Array2::<f32>::ones((20, 30)).view())?;
/// w.write_image("ERR", 1, &Header::new(), Array2::<f32>::zeros((20, 30)).view())?;
/// w.write_image("DQ", 1, &Header::new(), Array2::<u16>::zeros((20, 30)).view())?;
/// w.finish()?;
///
/// let mut f = FitsReader::open(&path)?;
/// assert_eq!(f.len()?, 4);
/// assert_eq!(f.header("SCI")?.get_f64("A_2_0")?, Some(1.2345678901234e-06));
/// // Refuses to replace an existing file unless asked.
/// assert!(FitsWriter::create(&path, false).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FitsWriter {
    dest: PathBuf,
    tmp: PathBuf,
    handle: Option<Handle>,
    hdus: usize,
    compression: Compression,
    overwrite: bool,
    /// The image extension begun by `begin_image` whose rows are still being written.
    pending: Option<Pending>,
}

/// An image whose rows are written band by band.
#[derive(Debug)]
struct Pending {
    id: HduId,
    ny: usize,
    nx: usize,
    next_row: usize,
}

impl std::fmt::Debug for FitsWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitsWriter")
            .field("dest", &self.dest)
            .field("hdus", &self.hdus)
            .finish_non_exhaustive()
    }
}

impl FitsWriter {
    /// Start writing a new file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when the file exists and `overwrite` is false,
    /// [`Error::Io`] / [`Error::Cfitsio`] when the temporary file cannot be created (e.g.
    /// the directory does not exist), [`Error::InvalidArgument`] for a path CFITSIO cannot
    /// take.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("new.fits");
    /// let mut w = astro_fits::FitsWriter::create(&path, false)?;
    /// w.write_primary(None)?;
    /// w.finish()?;
    /// assert!(path.exists());
    /// // With overwrite = true the file is replaced.
    /// let mut w = astro_fits::FitsWriter::create(&path, true)?;
    /// w.write_primary(None)?;
    /// w.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, overwrite: bool) -> Result<FitsWriter> {
        let dest = path.as_ref().to_path_buf();
        if !overwrite && dest.exists() {
            return Err(Error::AlreadyExists { path: dest });
        }
        let file_name =
            dest.file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::InvalidArgument {
                    path: dest.clone(),
                    name: "path".into(),
                    reason: "has no UTF-8 file name".into(),
                })?;
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(Error::NotFound { path: dir });
        }
        let tmp = dir.join(format!(
            ".{file_name}.{}.{}.tmp",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let ctmp = c_path(&tmp)?;
        let handle = Handle::create(&ctmp).map_err(|s| Error::Cfitsio {
            path: dest.clone(),
            hdu: None,
            operation: format!("creating the temporary file {}", tmp.display()),
            status: s.0,
            message: s.text(),
        })?;
        Ok(FitsWriter {
            dest,
            tmp,
            handle: Some(handle),
            hdus: 0,
            compression: Compression::None,
            overwrite,
            pending: None,
        })
    }

    /// Compression for the image extensions written from now on (the primary HDU is never
    /// compressed).
    ///
    /// # Examples
    ///
    /// See [`Compression`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut w = astro_fits::FitsWriter::create(dir.path().join("c.fits"), false)?;
    /// w.set_compression(astro_fits::Compression::Gzip);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_compression(&mut self, compression: Compression) {
        self.compression = compression;
    }

    /// Number of HDUs written so far.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut w = astro_fits::FitsWriter::create(dir.path().join("n.fits"), false)?;
    /// w.write_primary(None)?;
    /// assert_eq!(w.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.hdus
    }

    fn handle(&mut self) -> &mut Handle {
        // `handle` is `Some` from `create` until `finish` consumes `self`.
        self.handle
            .as_mut()
            .unwrap_or_else(|| unreachable!("FitsWriter used after finish"))
    }

    fn cfitsio(&self, hdu: &HduId, operation: impl Into<String>, s: Status) -> Error {
        Error::Cfitsio {
            path: self.dest.clone(),
            hdu: Some(hdu.clone()),
            operation: operation.into(),
            status: s.0,
            message: s.text(),
        }
    }

    /// Write the primary HDU without data (`NAXIS = 0`, `EXTEND = T`), with the cards of
    /// `header` if given.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if an HDU was written already; [`Error::Header`] or
    /// [`Error::Cfitsio`] for a card that cannot be written (naming the keyword).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// let mut h = astro_wcs::Header::new();
    /// h.set("INSTRUME", "ACS");
    /// let mut w = astro_fits::FitsWriter::create(&path, false)?;
    /// w.write_primary(Some(&h))?;
    /// w.finish()?;
    /// assert_eq!(astro_fits::read_header(&path, 0)?.get_str("INSTRUME")?, Some("ACS"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_primary(&mut self, header: Option<&Header>) -> Result<()> {
        self.start_primary()?;
        let id = HduId::Index(0);
        self.handle()
            .create_image(8, &[])
            .map_err(|s| self.cfitsio(&id, "creating the primary HDU", s))?;
        self.hdus = 1;
        self.drop_boilerplate();
        if let Some(h) = header {
            self.write_cards(h, &id, false, false)?;
        }
        Ok(())
    }

    /// Write the primary HDU with an image (for single-image files).
    ///
    /// # Errors
    ///
    /// As [`FitsWriter::write_primary`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// let mut w = astro_fits::FitsWriter::create(&path, false)?;
    /// w.write_primary_image(&astro_wcs::Header::new(), ndarray::array![[1.0f32, 2.0]].view())?;
    /// w.finish()?;
    /// let (_, data) = astro_fits::read_image_f32(&path, 0)?;
    /// assert_eq!(data.shape(), &[1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_primary_image<T: Pixel>(
        &mut self,
        header: &Header,
        data: ArrayView2<'_, T>,
    ) -> Result<()> {
        self.start_primary()?;
        let id = HduId::Index(0);
        let (ny, nx) = data.dim();
        self.handle()
            .create_image(T::IMG, &[nx as i64, ny as i64])
            .map_err(|s| self.cfitsio(&id, "creating the primary HDU", s))?;
        self.hdus = 1;
        self.drop_boilerplate();
        self.write_cards(header, &id, false, T::BITPIX < 0)?;
        self.write_data(&id, data, 0, nx)
    }

    fn start_primary(&mut self) -> Result<()> {
        self.check_pending()?;
        if self.hdus > 0 {
            return Err(Error::InvalidArgument {
                path: self.dest.clone(),
                name: "primary HDU".into(),
                reason: "the primary HDU was written already".into(),
            });
        }
        let _ = self.handle().set_compression(0, 0.0);
        Ok(())
    }

    /// CFITSIO adds two COMMENT cards citing the FITS paper to every primary header; drop
    /// them so that a header read from one file and written to another does not collect
    /// copies.
    fn drop_boilerplate(&mut self) {
        if let Some(key) = ffi::c_string("COMMENT") {
            for _ in 0..2 {
                if self.handle().delete_key(&key).is_err() {
                    break;
                }
            }
        }
    }

    /// Append an image extension named `(extname, extver)` with the cards of `header`
    /// (its own `EXTNAME`/`EXTVER` cards, if any, are replaced) and the pixels of `data`
    /// (shape `(ny, nx)`; any memory layout). Writes an empty primary HDU first if none was
    /// written.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty or non-ASCII EXTNAME or an EXTVER < 1;
    /// [`Error::Header`] or [`Error::Cfitsio`] for a card that cannot be written (naming the
    /// keyword) or a write failure.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("p.fits");
    /// let mut w = astro_fits::FitsWriter::create(&path, false)?;
    /// let image = ndarray::Array2::<f32>::zeros((4, 6));
    /// w.write_image("SCI", 1, &astro_wcs::Header::new(), image.t())?; // transposed view is fine
    /// w.finish()?;
    /// assert_eq!(astro_fits::read_image_f32(&path, "SCI")?.1.shape(), &[6, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_image<T: Pixel>(
        &mut self,
        extname: &str,
        extver: i64,
        header: &Header,
        data: ArrayView2<'_, T>,
    ) -> Result<()> {
        self.begin_image::<T>(extname, extver, header, data.dim())?;
        self.write_rows(data)
    }

    /// Start an image extension of shape `(ny, nx)` and pixel type `T` whose pixels are
    /// then given band by band, in order, with [`FitsWriter::write_rows`]: a large output
    /// never has to be held in memory whole. The header is handled as in
    /// [`FitsWriter::write_image`].
    ///
    /// # Errors
    ///
    /// As [`FitsWriter::write_image`], and [`Error::ShapeMismatch`] if the previous image
    /// begun this way did not receive all its rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_fits::FitsWriter;
    /// use astro_wcs::Header;
    /// use ndarray::Array2;
    ///
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("big.fits");
    /// let mut w = FitsWriter::create(&path, false)?;
    /// w.begin_image::<f32>("SCI", 1, &Header::new(), (1000, 64))?;
    /// for y0 in (0..1000).step_by(100) {
    ///     let band = Array2::from_shape_fn((100, 64), |(y, _)| (y0 + y) as f32);
    ///     w.write_rows(band.view())?;
    /// }
    /// w.finish()?;
    /// let band = astro_fits::FitsReader::open(&path)?.read_rows::<f32>("SCI", 998..1000)?;
    /// assert_eq!(band[[1, 0]], 999.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn begin_image<T: Pixel>(
        &mut self,
        extname: &str,
        extver: i64,
        header: &Header,
        (ny, nx): (usize, usize),
    ) -> Result<()> {
        self.check_pending()?;
        let id = HduId::named(extname, extver);
        let invalid = |reason: &str| Error::InvalidArgument {
            path: self.dest.clone(),
            name: "EXTNAME/EXTVER".into(),
            reason: format!("{id}: {reason}"),
        };
        if extname.trim().is_empty() || !extname.is_ascii() || extname.len() > 68 {
            return Err(invalid("EXTNAME must be 1 to 68 ASCII characters"));
        }
        if extver < 1 {
            return Err(invalid("EXTVER must be at least 1"));
        }
        let name_c = ffi::c_string(extname).ok_or_else(|| invalid("NUL in EXTNAME"))?;
        let axes = [i64::try_from(nx), i64::try_from(ny)];
        let [Ok(naxis1), Ok(naxis2)] = axes else {
            return Err(invalid("image too large"));
        };
        if self.hdus == 0 {
            self.write_primary(None)?;
        }
        let compression = self.compression;
        // CFITSIO compresses floating-point data losslessly only with GZIP; GZIP_2
        // (byte-shuffled) does better than GZIP_1 on floats.
        let ctype = match compression {
            Compression::None => 0,
            _ if T::BITPIX < 0 => 22,
            c => c.cfitsio_code(),
        };
        self.handle()
            .set_compression(ctype, 0.0)
            .map_err(|s| self.cfitsio(&id, "selecting the compression", s))?;
        self.handle()
            .create_image(T::IMG, &[naxis1, naxis2])
            .map_err(|s| self.cfitsio(&id, "creating the image extension", s))?;
        self.hdus += 1;
        let (k_name, k_ver) = (c"EXTNAME", c"EXTVER");
        self.handle()
            .write_key_str(k_name, &name_c)
            .map_err(|s| self.cfitsio(&id, "writing keyword EXTNAME", s))?;
        self.handle()
            .write_key_int(k_ver, extver)
            .map_err(|s| self.cfitsio(&id, "writing keyword EXTVER", s))?;
        self.write_cards(header, &id, true, T::BITPIX < 0)?;
        if ny > 0 && nx > 0 {
            self.pending = Some(Pending {
                id,
                ny,
                nx,
                next_row: 0,
            });
        }
        Ok(())
    }

    /// Write the next rows of the image begun with [`FitsWriter::begin_image`] (or being
    /// written by [`FitsWriter::write_image`]). `rows` has shape `(n, nx)`; values are
    /// converted to the image's type by CFITSIO (an out-of-range value is an error).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if no image is being written, [`Error::ShapeMismatch`]
    /// if the width differs or the rows go past the end of the image, [`Error::Cfitsio`]
    /// if writing fails.
    ///
    /// # Examples
    ///
    /// See [`FitsWriter::begin_image`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut w = astro_fits::FitsWriter::create(dir.path().join("x.fits"), false)?;
    /// w.begin_image::<u8>("DQ", 1, &astro_wcs::Header::new(), (2, 3))?;
    /// assert!(w.write_rows(ndarray::Array2::<u8>::zeros((1, 4)).view()).is_err()); // wrong width
    /// w.write_rows(ndarray::Array2::<u8>::zeros((2, 3)).view())?;
    /// w.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_rows<T: Pixel>(&mut self, rows: ArrayView2<'_, T>) -> Result<()> {
        let (n, width) = rows.dim();
        let Some(p) = &self.pending else {
            if n == 0 || width == 0 {
                return Ok(()); // an empty image, or nothing to write
            }
            return Err(Error::InvalidArgument {
                path: self.dest.clone(),
                name: "rows".into(),
                reason: "no image is being written (call begin_image first)".into(),
            });
        };
        if width != p.nx || p.next_row + n > p.ny {
            return Err(Error::ShapeMismatch {
                path: self.dest.clone(),
                hdu: p.id.clone(),
                shape: vec![p.ny, p.nx],
                reason: format!(
                    "cannot write {n} rows of width {width} at row {} of the image",
                    p.next_row
                ),
            });
        }
        let (id, first_row, nx) = (p.id.clone(), p.next_row, p.nx);
        self.write_data(&id, rows, first_row, nx)?;
        if let Some(p) = self.pending.as_mut() {
            p.next_row += n;
            if p.next_row == p.ny {
                self.pending = None;
            }
        }
        Ok(())
    }

    /// Fail if an image begun with `begin_image` did not get all its rows.
    fn check_pending(&mut self) -> Result<()> {
        match self.pending.take() {
            Some(p) => Err(Error::ShapeMismatch {
                path: self.dest.clone(),
                hdu: p.id,
                shape: vec![p.ny, p.nx],
                reason: format!("only {} of {} rows were written", p.next_row, p.ny),
            }),
            None => Ok(()),
        }
    }

    fn write_cards(
        &mut self,
        header: &Header,
        id: &HduId,
        skip_ext: bool,
        float_data: bool,
    ) -> Result<()> {
        for card in header.cards() {
            let kw = card.keyword.as_str();
            if is_structural(kw)
                || (skip_ext
                    && (kw.eq_ignore_ascii_case("EXTNAME") || kw.eq_ignore_ascii_case("EXTVER")))
                || (float_data && kw.eq_ignore_ascii_case("BLANK"))
            {
                continue;
            }
            self.write_card(card, id)?;
        }
        Ok(())
    }

    fn write_card(&mut self, card: &Card, id: &HduId) -> Result<()> {
        let kw = card.keyword.as_str();
        let images = card.to_card_images().map_err(|source| Error::Header {
            path: self.dest.clone(),
            hdu: id.clone(),
            source,
        })?;
        let dest = self.dest.clone();
        let nul = |what: &str| Error::InvalidArgument {
            path: dest.clone(),
            name: format!("keyword {kw}"),
            reason: format!("NUL byte in the {what}"),
        };
        if let (Some(Value::String(s)), true) = (&card.value, images.len() > 1) {
            // A long string: let CFITSIO split it over CONTINUE cards.
            let k = ffi::c_string(kw).ok_or_else(|| nul("keyword"))?;
            let v = ffi::c_string(s).ok_or_else(|| nul("value"))?;
            let c = match card.comment.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => Some(ffi::c_string(c).ok_or_else(|| nul("comment"))?),
                None => None,
            };
            return self
                .handle()
                .write_long_string(&k, &v, c.as_deref())
                .map_err(|s| self.cfitsio(id, format!("writing keyword {kw}"), s));
        }
        for image in images {
            let c = ffi::c_string(&image).ok_or_else(|| nul("card"))?;
            self.handle()
                .write_record(&c)
                .map_err(|s| self.cfitsio(id, format!("writing keyword {kw}"), s))?;
        }
        Ok(())
    }

    fn write_data<T: Pixel>(
        &mut self,
        id: &HduId,
        data: ArrayView2<'_, T>,
        first_row: usize,
        nx: usize,
    ) -> Result<()> {
        let ny = data.nrows();
        if ny == 0 || nx == 0 {
            return Ok(());
        }
        // Copy into a private buffer (CFITSIO takes a mutable pointer) in bands of whole
        // rows of about a million pixels (whole rows are whole tiles of a compressed
        // image, whose default tiling is row by row).
        let rows_per_band = ((1 << 20) / nx).max(1);
        let mut buf: Vec<T> = Vec::with_capacity(rows_per_band.min(ny) * nx);
        let mut y0 = 0;
        while y0 < ny {
            let y1 = (y0 + rows_per_band).min(ny);
            buf.clear();
            buf.extend(data.slice(ndarray::s![y0..y1, ..]).iter().copied());
            let first = ((first_row + y0) as u64) * (nx as u64);
            self.handle()
                .write_pixels(first, &mut buf)
                .map_err(|s| self.cfitsio(id, "writing pixels", s))?;
            y0 = y1;
        }
        Ok(())
    }

    /// Close the file and move it to its final name. Until this returns `Ok`, nothing
    /// exists under the final name (an existing file there is replaced only if the
    /// writer was created with `overwrite`).
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if an image begun with [`FitsWriter::begin_image`] did not
    /// get all its rows, [`Error::Cfitsio`] if flushing or closing fails (e.g. a full disk),
    /// [`Error::AlreadyExists`] if a file appeared under the final name meanwhile and
    /// `overwrite` is false, [`Error::Io`] if the rename fails. The temporary file is
    /// removed in every error case.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("f.fits");
    /// let mut w = astro_fits::FitsWriter::create(&path, false)?;
    /// w.write_primary(None)?;
    /// assert!(!path.exists()); // not yet
    /// w.finish()?;
    /// assert!(path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(self) -> Result<()> {
        self.close()?.commit()
    }

    /// The first half of [`FitsWriter::finish`]: completes and closes the temporary file
    /// but neither syncs it to the disk nor gives it its final name; [`ClosedFits::commit`]
    /// does both. Several files can so be written one after the other and then committed
    /// at the same time (e.g. on as many threads, which then wait for their disk writes
    /// together instead of one after the other).
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if an image begun with [`FitsWriter::begin_image`] did not
    /// get all its rows, [`Error::Cfitsio`] if flushing or closing fails (e.g. a full
    /// disk). The temporary file is removed in every error case, and when the returned
    /// [`ClosedFits`] is dropped without being committed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("f.fits");
    /// let mut w = astro_fits::FitsWriter::create(&path, false)?;
    /// w.write_primary(None)?;
    /// let closed = w.close()?;
    /// assert!(!path.exists()); // not yet
    /// closed.commit()?;
    /// assert!(path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(mut self) -> Result<ClosedFits> {
        self.check_pending()?;
        if self.hdus == 0 {
            self.write_primary(None)?;
        }
        let mut handle = self
            .handle
            .take()
            .unwrap_or_else(|| unreachable!("FitsWriter finished twice"));
        let closed = handle.flush().and_then(|()| handle.close());
        let id = HduId::Index(self.hdus.saturating_sub(1));
        closed.map_err(|s| self.cfitsio(&id, "flushing and closing the file", s))?;
        // From here the temporary file belongs to the ClosedFits (which removes it unless
        // committed); this writer's Drop then has nothing to remove.
        Ok(ClosedFits {
            dest: self.dest.clone(),
            tmp: std::mem::take(&mut self.tmp),
            overwrite: self.overwrite,
        })
    }
}

/// A FITS file written and closed under its temporary name by [`FitsWriter::close`],
/// waiting for [`ClosedFits::commit`]. Dropped uncommitted, it removes its temporary file
/// (nothing ever appears under the final name).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("dropped.fits");
/// let mut w = astro_fits::FitsWriter::create(&path, false)?;
/// w.write_primary(None)?;
/// drop(w.close()?);
/// assert!(!path.exists());
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 0); // no temporary file left
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClosedFits {
    dest: PathBuf,
    tmp: PathBuf,
    overwrite: bool,
}

impl ClosedFits {
    /// The final name the file gets when committed.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("n.fits");
    /// let mut w = astro_fits::FitsWriter::create(&path, false)?;
    /// w.write_primary(None)?;
    /// assert_eq!(w.close()?.path(), path);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// The second half of [`FitsWriter::finish`]: syncs the temporary file to the disk,
    /// then moves it to its final name. Until this returns `Ok`, nothing exists under the
    /// final name (an existing file there is replaced only if the writer was created with
    /// `overwrite`).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the sync or the rename fails, [`Error::AlreadyExists`] if a file
    /// appeared under the final name meanwhile and `overwrite` is false. The temporary
    /// file is removed in every error case.
    ///
    /// # Examples
    ///
    /// See [`FitsWriter::close`].
    pub fn commit(self) -> Result<()> {
        let io = |operation: &str, source| Error::Io {
            path: self.dest.clone(),
            operation: operation.into(),
            source,
        };
        std::fs::File::open(&self.tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io("syncing the temporary file", e))?;
        if self.overwrite {
            std::fs::rename(&self.tmp, &self.dest)
                .map_err(|e| io("renaming the temporary file", e))?;
        } else {
            // A hard link fails if the destination exists: no race with another writer.
            match std::fs::hard_link(&self.tmp, &self.dest) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&self.tmp);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::AlreadyExists {
                        path: self.dest.clone(),
                    });
                }
                Err(_) => {
                    // File systems without hard links: check, then rename.
                    if self.dest.exists() {
                        return Err(Error::AlreadyExists {
                            path: self.dest.clone(),
                        });
                    }
                    std::fs::rename(&self.tmp, &self.dest)
                        .map_err(|e| io("renaming the temporary file", e))?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for ClosedFits {
    fn drop(&mut self) {
        // After a successful commit the temporary file no longer exists: a no-op.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

impl Drop for FitsWriter {
    fn drop(&mut self) {
        // Close the handle if `finish` did not, then remove the temporary file (after a
        // successful `finish` it no longer exists and this is a no-op).
        drop(self.handle.take());
        if !self.tmp.as_os_str().is_empty() {
            // (empty once `close` handed the file to a ClosedFits)
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_structural;

    #[test]
    fn structural_keywords() {
        for k in [
            "SIMPLE", "naxis", "NAXIS2", "BZERO", "ZTILE1", "PCOUNT", "XTENSION",
        ] {
            assert!(is_structural(k), "{k}");
        }
        for k in ["NAXISX", "CRPIX1", "EXTNAME", "BLANK", "A_2_0", "ZP"] {
            assert!(!is_structural(k), "{k}");
        }
    }
}
