//! Reading a WCS with its lookup-table distortions: [`read_wcs`].

use crate::error::{Error, Result};
use crate::read::{FitsReader, HduId};
use astro_wcs::{Header, LookupTable, Wcs};
use std::path::Path;

impl FitsReader {
    /// Read the header of an image HDU and build its WCS (alternate key `key`, `' '` for
    /// the primary WCS), including the lookup-table distortions it refers to: the
    /// `WCSDVARR` extensions named by `DPj` (`CPDISj = 'Lookup'`) and the `D2IMARR`
    /// extensions named by `D2IMj` (`D2IMDISj = 'Lookup'`), read as `f64` (a 1-D table
    /// as one row).
    ///
    /// # Errors
    ///
    /// As [`FitsReader::header`]; [`Error::Header`] (naming the HDU and the keyword) when
    /// the WCS is invalid or a `DPj`/`D2IMj` card names an extension the file does not
    /// have; errors reading a table name that table's `(EXTNAME, EXTVER)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use astro_fits::{FitsReader, FitsWriter};
    /// use astro_wcs::Header;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("wcs.fits");
    /// let h = Header::parse_text(
    ///     "CTYPE1  = 'RA---TAN'\nCTYPE2  = 'DEC--TAN'\nCRPIX1  = 1.0\nCRPIX2  = 1.0\n\
    ///      CRVAL1  = 10.0\nCRVAL2  = 20.0\nCD1_1   = -1e-4\nCD1_2   = 0.0\n\
    ///      CD2_1   = 0.0\nCD2_2   = 1e-4\n",
    /// )?;
    /// let mut w = FitsWriter::create(&path, false)?;
    /// w.write_image("SCI", 1, &h, ndarray::Array2::<f32>::zeros((4, 4)).view())?;
    /// w.finish()?;
    ///
    /// let (_, wcs) = FitsReader::open(&path)?.read_wcs(("SCI", 1), ' ')?;
    /// let (ra, dec) = wcs.pixel_to_world(0.0, 0.0)?; // CRPIX is 1-based: pixel (0, 0)
    /// assert!((ra - 10.0).abs() < 1e-12 && (dec - 20.0).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_wcs(&mut self, hdu: impl Into<HduId>, key: char) -> Result<(Header, Wcs)> {
        let hdu = hdu.into();
        let header = self.header(hdu.clone())?;
        let wrap = |source| Error::Header {
            path: self.path().to_path_buf(),
            hdu: hdu.clone(),
            source,
        };
        let wanted = astro_wcs::required_tables(&header, key).map_err(wrap)?;
        let mut tables = Vec::with_capacity(wanted.len());
        for (extname, extver) in wanted {
            match self.read_hdu::<f64>((extname.as_str(), extver)) {
                Ok((header, data)) => tables.push(LookupTable {
                    extname,
                    extver,
                    header,
                    data,
                }),
                // Let astro-wcs report it: its error names the DPj / D2IMj keyword.
                Err(Error::HduNotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let wcs = Wcs::from_header_with_tables(&header, key, &tables).map_err(|source| {
            Error::Header {
                path: self.path().to_path_buf(),
                hdu: hdu.clone(),
                source,
            }
        })?;
        Ok((header, wcs))
    }
}

/// Read the header and WCS (with its lookup-table distortions) of the image HDU
/// `(extname, extver)` of a file; see [`FitsReader::read_wcs`].
///
/// # Errors
///
/// As [`FitsReader::open`] and [`FitsReader::read_wcs`].
///
/// # Examples
///
/// ```
/// # use astro_fits::FitsWriter;
/// # use astro_wcs::Header;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("wcs.fits");
/// # let h = Header::parse_text(
/// #     "CTYPE1  = 'RA---TAN'\nCTYPE2  = 'DEC--TAN'\nCRPIX1  = 1.0\nCRPIX2  = 1.0\n\
/// #      CRVAL1  = 10.0\nCRVAL2  = 20.0\nCDELT1  = -1e-4\nCDELT2  = 1e-4\n",
/// # )?;
/// # let mut w = FitsWriter::create(&path, false)?;
/// # w.write_image("SCI", 1, &h, ndarray::Array2::<f32>::zeros((4, 4)).view())?;
/// # w.finish()?;
/// let (header, wcs) = astro_fits::read_wcs(&path, "SCI", 1, ' ')?;
/// assert_eq!(header.get_str("CTYPE1")?, Some("RA---TAN"));
/// let (x, y) = wcs.world_to_pixel(10.0, 20.0)?;
/// assert!(x.abs() < 1e-9 && y.abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_wcs(
    path: impl AsRef<Path>,
    extname: &str,
    extver: i64,
    key: char,
) -> Result<(Header, Wcs)> {
    FitsReader::open(path)?.read_wcs((extname, extver), key)
}
