//! Byte-level edits of an existing FITS file, for updating it without rewriting it through
//! CFITSIO: locate its HDUs from their headers alone, rebuild one header with a card set,
//! and OR bits into the raw pixels of an integer image. Every byte not edited (other HDUs,
//! tables, cards, padding) stays exactly as it was; where the edited bytes go (a patched
//! copy, a rebuilt file) is the caller's choice.
//!
//! ```
//! use astro_fits::{FitsWriter, RawFits};
//! use astro_wcs::{Card, Header};
//! use ndarray::Array2;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("a_flt.fits");
//! let mut w = FitsWriter::create(&path, false)?;
//! w.write_primary(None)?;
//! w.write_image("SCI", 1, &Header::new(), Array2::<f32>::zeros((2, 3)).view())?;
//! w.write_image("DQ", 1, &Header::new(), Array2::<i16>::zeros((2, 3)).view())?;
//! w.finish()?;
//!
//! let mut bytes = std::fs::read(&path)?;
//! let raw = RawFits::parse(&path, &bytes)?;
//! let sci = raw.find("SCI", 1).unwrap();
//! let dq = raw.find("DQ", 1).unwrap();
//! // Flag pixel (1, 2) of the DQ with bit 4096, in place.
//! let mask = Array2::from_shape_fn((2, 3), |(y, x)| (y, x) == (1, 2));
//! let (at, len) = (raw.hdus()[dq].data_start(), raw.hdus()[dq].data_len());
//! raw.or_bits(dq, &mut bytes[at..at + len], mask.view(), 4096)?;
//! // Set a card in the SCI header (same length here: it fits in the padding).
//! let header = raw.header_with_card(sci, &Card::new("MDRIZSKY", 12.5))?;
//! let start = raw.hdus()[sci].start();
//! assert_eq!(header.len(), raw.hdus()[sci].header_len());
//! bytes[start..start + header.len()].copy_from_slice(&header);
//! std::fs::write(&path, &bytes)?;
//!
//! let mut f = astro_fits::FitsReader::open(&path)?;
//! assert_eq!(f.read_image::<i16>(("DQ", 1))?[[1, 2]], 4096);
//! assert_eq!(f.header(("SCI", 1))?.get_f64("MDRIZSKY")?, Some(12.5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use ndarray::ArrayView2;

use crate::error::{Error, Result};
use crate::read::HduId;

/// Bytes in a FITS block (headers and data are whole blocks).
pub const BLOCK_LEN: usize = 2880;
/// Bytes in a header card.
pub const CARD_LEN: usize = 80;

/// One HDU located in the bytes of a FITS file by [`RawFits`].
///
/// ```
/// use astro_fits::{FitsWriter, RawFits};
/// use ndarray::Array2;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.fits");
/// let mut w = FitsWriter::create(&path, false)?;
/// w.write_primary(None)?;
/// w.write_image("SCI", 2, &astro_wcs::Header::new(), Array2::<f32>::zeros((4, 5)).view())?;
/// w.finish()?;
/// let raw = RawFits::parse(&path, &std::fs::read(&path)?)?;
/// let h = &raw.hdus()[1];
/// assert_eq!((h.extname(), h.extver(), h.shape()), (Some("SCI"), 2, &[4usize, 5][..]));
/// assert_eq!(h.data_len(), 4 * 5 * 4);
/// assert_eq!(h.data_start() % 2880, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RawHdu {
    index: usize,
    start: usize,
    /// The header's cards up to (not including) `END`.
    cards: Vec<[u8; CARD_LEN]>,
    header_len: usize,
    data_len: usize,
    bitpix: i64,
    /// Axis lengths, slowest first (numpy order).
    shape: Vec<usize>,
    extname: Option<String>,
    extver: i64,
    bzero: f64,
    bscale: f64,
    compressed: bool,
    is_image: bool,
}

impl RawHdu {
    /// Position of the HDU in the file (0 = primary).
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[0].index(), 0);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// Byte offset of the header in the file.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[0].start(), 0);
    /// ```
    pub fn start(&self) -> usize {
        self.start
    }

    /// Length of the header in bytes (whole blocks, `END` and padding included).
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[0].header_len() % 2880, 0);
    /// ```
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Byte offset of the data in the file.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// let h = &raw.hdus()[1];
    /// assert_eq!(h.data_start(), h.start() + h.header_len());
    /// ```
    pub fn data_start(&self) -> usize {
        self.start + self.header_len
    }

    /// Length of the data in bytes, without the padding to a whole block.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[0].data_len(), 0); // an empty primary HDU
    /// ```
    pub fn data_len(&self) -> usize {
        self.data_len
    }

    /// Length of the data in bytes, padded to a whole block.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[1].padded_data_len() % 2880, 0);
    /// ```
    pub fn padded_data_len(&self) -> usize {
        self.data_len.div_ceil(BLOCK_LEN) * BLOCK_LEN
    }

    /// `BITPIX`.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[1].bitpix(), -32);
    /// ```
    pub fn bitpix(&self) -> i64 {
        self.bitpix
    }

    /// Axis lengths, slowest first (numpy order, `(ny, nx)` for an image); empty when
    /// `NAXIS = 0`.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[1].shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// `EXTNAME`, trimmed, if any.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[1].extname(), Some("SCI"));
    /// ```
    pub fn extname(&self) -> Option<&str> {
        self.extname.as_deref()
    }

    /// `EXTVER` (1 when absent).
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[1].extver(), 1);
    /// ```
    pub fn extver(&self) -> i64 {
        self.extver
    }

    /// Whether the HDU is an image (the primary HDU or an `IMAGE` extension; a
    /// tile-compressed image is a binary table, see [`RawHdu::is_compressed`]).
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert!(raw.hdus()[1].is_image());
    /// ```
    pub fn is_image(&self) -> bool {
        self.is_image
    }

    /// Whether the HDU is a tile-compressed image (`ZIMAGE = T`).
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert!(!raw.hdus()[1].is_compressed());
    /// ```
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Whether the HDU is an image with at least two axes, none of length 0.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert!(!raw.hdus()[0].has_data_2d());
    /// assert!(raw.hdus()[1].has_data_2d());
    /// ```
    pub fn has_data_2d(&self) -> bool {
        self.is_image && self.shape.len() >= 2 && self.shape.iter().all(|&n| n > 0)
    }

    /// The HDU as errors name it: `(EXTNAME, EXTVER)` when it has a name, else its index.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[1].id().to_string(), "(SCI, 1)");
    /// ```
    pub fn id(&self) -> HduId {
        match &self.extname {
            Some(n) => HduId::Name {
                extname: n.clone(),
                extver: self.extver,
            },
            None => HduId::Index(self.index),
        }
    }
}

/// The HDUs of a FITS file, located from its headers alone (the data are never read), for
/// byte-level edits: [`RawFits::header_with_card`] and [`RawFits::or_bits`].
///
/// Bytes after the last complete HDU that do not start a full header are ignored (left
/// alone by the edits); a file that ends inside an HDU's data is an error.
///
/// ```
/// use astro_fits::RawFits;
/// let raw = RawFits::parse("x.fits", &astro_fits::edit_example_bytes())?;
/// assert_eq!(raw.hdus().len(), 3);
/// assert_eq!(raw.find("dq", 1), Some(2)); // EXTNAME compared without case
/// assert_eq!(raw.find("DQ", 2), None);
/// # Ok::<(), astro_fits::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RawFits {
    path: PathBuf,
    hdus: Vec<RawHdu>,
}

impl RawFits {
    /// Locate the HDUs of the FITS file `bytes` (`path` only names the file in errors).
    ///
    /// # Errors
    ///
    /// [`Error::NotFits`] when the first header is incomplete or an HDU lacks `BITPIX`,
    /// `NAXIS` or an `NAXISn`; [`Error::Truncated`] when the file ends inside an HDU's data.
    ///
    /// ```
    /// use astro_fits::{Error, RawFits};
    /// assert!(matches!(RawFits::parse("x.fits", b"SIMPLE  ="), Err(Error::NotFits { .. })));
    /// ```
    pub fn parse(path: impl AsRef<Path>, bytes: &[u8]) -> Result<RawFits> {
        Self::scan(path, bytes.len(), |pos, block| {
            block.copy_from_slice(&bytes[pos..pos + BLOCK_LEN]);
            Ok(())
        })
    }

    /// [`RawFits::parse`] of a file of `len` bytes whose header blocks are read on demand:
    /// `read_block(pos, block)` fills `block` with the [`BLOCK_LEN`] bytes at offset `pos`
    /// (only header blocks are asked for).
    ///
    /// # Errors
    ///
    /// As [`RawFits::parse`], and [`Error::Io`] when `read_block` fails.
    ///
    /// ```
    /// use astro_fits::RawFits;
    /// use std::os::unix::fs::FileExt;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("x.fits");
    /// std::fs::write(&path, astro_fits::edit_example_bytes())?;
    /// let file = std::fs::File::open(&path)?;
    /// let len = file.metadata()?.len() as usize;
    /// let raw = RawFits::scan(&path, len, |pos, block| file.read_exact_at(block, pos as u64))?;
    /// assert_eq!(raw.hdus().len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scan(
        path: impl AsRef<Path>,
        len: usize,
        mut read_block: impl FnMut(usize, &mut [u8]) -> std::io::Result<()>,
    ) -> Result<RawFits> {
        let path = path.as_ref().to_path_buf();
        let not_fits = |reason: String| Error::NotFits {
            path: path.clone(),
            reason,
        };
        let mut hdus: Vec<RawHdu> = Vec::new();
        let mut block = vec![0u8; BLOCK_LEN];
        let mut pos = 0;
        while pos < len {
            let start = pos;
            let mut cards = Vec::new();
            let mut found_end = false;
            while !found_end {
                if pos + BLOCK_LEN > len {
                    if hdus.is_empty() {
                        return Err(not_fits("the file ends inside its first header".into()));
                    }
                    // Trailing bytes that are not a full header: left alone.
                    return Ok(RawFits { path, hdus });
                }
                read_block(pos, &mut block).map_err(|source| Error::Io {
                    path: path.clone(),
                    operation: format!("reading the header block at byte {pos}"),
                    source,
                })?;
                for chunk in block.chunks_exact(CARD_LEN) {
                    let card: [u8; CARD_LEN] = chunk.try_into().expect("80 bytes");
                    if keyword_of(&card) == "END" {
                        found_end = true;
                        break;
                    }
                    cards.push(card);
                }
                pos += BLOCK_LEN;
            }
            let index = hdus.len();
            let get = |kw: &str| {
                cards
                    .iter()
                    .find(|c| keyword_of(c) == kw)
                    .and_then(value_of)
            };
            let int = |kw: &str| get(kw).and_then(|v| v.as_i64());
            let missing = |kw: &str| not_fits(format!("HDU {index} (at byte {start}): no {kw}"));
            let bitpix = int("BITPIX").ok_or_else(|| missing("BITPIX"))?;
            let naxis = int("NAXIS").ok_or_else(|| missing("NAXIS"))?;
            let mut axes = Vec::new();
            for i in 1..=naxis {
                let kw = format!("NAXIS{i}");
                let n = int(&kw).ok_or_else(|| missing(&kw))?;
                axes.push(
                    usize::try_from(n).map_err(|_| not_fits(format!("HDU {index}: {kw} = {n}")))?,
                );
            }
            let pcount = int("PCOUNT").unwrap_or(0).max(0) as usize;
            let gcount = int("GCOUNT").unwrap_or(1).max(0) as usize;
            let elements: usize = if axes.is_empty() {
                0
            } else {
                axes.iter().product()
            };
            let data_len = (bitpix.unsigned_abs() as usize / 8) * gcount * (pcount + elements);
            let xtension = get("XTENSION").and_then(|v| v.as_str().map(|s| s.trim().to_string()));
            let hdu = RawHdu {
                index,
                start,
                header_len: pos - start,
                data_len,
                bitpix,
                shape: axes.iter().rev().copied().collect(),
                extname: get("EXTNAME").and_then(|v| v.as_str().map(|s| s.trim().to_string())),
                extver: int("EXTVER").unwrap_or(1),
                bzero: get("BZERO").and_then(|v| v.as_f64()).unwrap_or(0.0),
                bscale: get("BSCALE").and_then(|v| v.as_f64()).unwrap_or(1.0),
                compressed: get("ZIMAGE").and_then(|v| v.as_bool()).unwrap_or(false),
                is_image: xtension.as_deref().is_none_or(|x| x == "IMAGE"),
                cards,
            };
            pos = hdu.data_start() + hdu.padded_data_len();
            if pos > len {
                return Err(Error::Truncated {
                    path,
                    hdu: hdu.id(),
                    reason: format!(
                        "the file ends inside the data ({} bytes expected from byte {})",
                        hdu.data_len,
                        hdu.data_start()
                    ),
                });
            }
            hdus.push(hdu);
        }
        Ok(RawFits { path, hdus })
    }

    /// The file's HDUs, in file order.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.hdus()[2].extname(), Some("DQ"));
    /// ```
    pub fn hdus(&self) -> &[RawHdu] {
        &self.hdus
    }

    /// The index of the HDU named `extname` (compared without case) with `EXTVER` `extver`.
    ///
    /// ```
    /// # let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes()).unwrap();
    /// assert_eq!(raw.find("SCI", 1), Some(1));
    /// ```
    pub fn find(&self, extname: &str, extver: i64) -> Option<usize> {
        self.hdus.iter().position(|h| {
            h.extver == extver
                && h.extname
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(extname))
        })
    }

    /// The bytes of HDU `hdu`'s header with `card` set: the card with its keyword replaced
    /// where it exists, otherwise inserted after the last non-blank card (blank cards
    /// before `END` are padding). The result is whole blocks; it is one block longer than
    /// [`RawHdu::header_len`] only when the header had no room left.
    ///
    /// # Errors
    ///
    /// [`Error::Header`] when the card cannot be written as one 80-character card image.
    ///
    /// ```
    /// use astro_wcs::Card;
    /// let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes())?;
    /// let h = raw.header_with_card(1, &Card::new("MDRIZSKY", 3.0))?;
    /// let text = String::from_utf8_lossy(&h);
    /// assert!(text.contains("MDRIZSKY= "));
    /// assert_eq!(h.len(), raw.hdus()[1].header_len());
    /// # Ok::<(), astro_fits::Error>(())
    /// ```
    pub fn header_with_card(&self, hdu: usize, card: &astro_wcs::Card) -> Result<Vec<u8>> {
        let h = &self.hdus[hdu];
        let header_err = |source| Error::Header {
            path: self.path.clone(),
            hdu: h.id(),
            source,
        };
        let images = card.to_card_images().map_err(header_err)?;
        let text = match images.as_slice() {
            [one] => one.as_bytes(),
            _ => {
                return Err(header_err(astro_wcs::Error::InvalidKeyword {
                    keyword: images
                        .first()
                        .map_or(String::new(), |t| card_key(t.as_bytes())),
                    reason: format!(
                        "needs {} card images (CONTINUE); only a one-card value can be set in place",
                        images.len()
                    ),
                }));
            }
        };
        let mut new_card = [b' '; CARD_LEN];
        let n = text.len().min(CARD_LEN);
        new_card[..n].copy_from_slice(&text[..n]);
        let key = card_key(&new_card);
        let mut cards = h.cards.clone();
        match cards.iter().position(|c| card_key(c) == key) {
            Some(i) => cards[i] = new_card,
            None => {
                let last = cards
                    .iter()
                    .rposition(|c| c.iter().any(|&b| b != b' '))
                    .map_or(0, |i| i + 1);
                cards.insert(last, new_card);
            }
        }
        let mut out = Vec::with_capacity(h.header_len + BLOCK_LEN);
        for c in &cards {
            out.extend_from_slice(c);
        }
        let mut end = [b' '; CARD_LEN];
        end[..3].copy_from_slice(b"END");
        out.extend_from_slice(&end);
        out.resize(out.len().div_ceil(BLOCK_LEN) * BLOCK_LEN, b' ');
        Ok(out)
    }

    /// OR `bits` into the pixels of integer image HDU `hdu` where `mask` is true, in
    /// `data`, the HDU's data bytes (its [`RawHdu::data_len`] bytes from
    /// [`RawHdu::data_start`]). Values are physical: with `BZERO` (e.g. unsigned 16-bit
    /// stored as signed), the bits are set in `raw + BZERO` and stored back; a signed
    /// array without `BZERO` whose value is negative gets the bits set in its bit pattern.
    /// Nothing is changed when an error is returned.
    ///
    /// # Errors
    ///
    /// [`Error::CannotEdit`] naming the HDU when it is tile-compressed or not an image,
    /// has no data (`NAXIS = 0`), a floating-point `BITPIX`, `BSCALE` ≠ 1 or a fractional
    /// `BZERO`, when `bits` do not fit the integer width, or a flagged value could not be
    /// stored; [`Error::ShapeMismatch`] when `mask`'s shape is not the image's;
    /// [`Error::InvalidArgument`] when `data` is not `data_len` bytes long.
    ///
    /// ```
    /// use ndarray::Array2;
    /// let raw = astro_fits::RawFits::parse("x.fits", &astro_fits::edit_example_bytes())?;
    /// let mut data = vec![0u8; raw.hdus()[2].data_len()]; // 2 x 3 int16, all 0
    /// let mask = Array2::from_shape_fn((2, 3), |(y, x)| y == 0 && x == 1);
    /// raw.or_bits(2, &mut data, mask.view(), 4096)?;
    /// assert_eq!(&data[..6], &[0, 0, 0x10, 0x00, 0, 0]);
    /// assert!(raw.or_bits(1, &mut vec![0; 24], mask.view(), 1).is_err()); // float SCI
    /// # Ok::<(), astro_fits::Error>(())
    /// ```
    pub fn or_bits(
        &self,
        hdu: usize,
        data: &mut [u8],
        mask: ArrayView2<'_, bool>,
        bits: u32,
    ) -> Result<()> {
        let h = &self.hdus[hdu];
        let cannot = |reason: String| Error::CannotEdit {
            path: self.path.clone(),
            hdu: h.id(),
            reason,
        };
        if h.compressed || !h.is_image {
            return Err(cannot(
                "it is tile-compressed (or not an image); its pixels cannot be edited in place"
                    .into(),
            ));
        }
        if h.shape.is_empty() {
            return Err(cannot(
                "it is a constant array (NAXIS = 0), without pixels to flag".into(),
            ));
        }
        if h.shape.as_slice() != mask.shape() {
            return Err(Error::ShapeMismatch {
                path: self.path.clone(),
                hdu: h.id(),
                shape: h.shape.clone(),
                reason: format!("the mask to flag has shape {:?}", mask.shape()),
            });
        }
        if data.len() != h.data_len {
            return Err(Error::InvalidArgument {
                path: self.path.clone(),
                name: "data".into(),
                reason: format!(
                    "{} bytes given for {}, whose data are {} bytes",
                    data.len(),
                    h.id(),
                    h.data_len
                ),
            });
        }
        let width = match h.bitpix {
            8 | 16 | 32 | 64 => h.bitpix as u32,
            b => {
                return Err(cannot(format!(
                    "BITPIX {b}: only integer arrays can be flagged"
                )));
            }
        };
        if h.bscale != 1.0 || h.bzero.fract() != 0.0 {
            return Err(cannot(format!(
                "BSCALE = {} and BZERO = {}: only integer arrays can be flagged",
                h.bscale, h.bzero
            )));
        }
        if width < 64 && u64::from(bits) >> width != 0 {
            return Err(cannot(format!(
                "the bits {bits} do not fit in its {width}-bit integers"
            )));
        }
        let nbytes = (width / 8) as usize;
        let bzero = h.bzero as i128;
        let pattern_mask: i128 = if width == 64 {
            i128::from(u64::MAX)
        } else {
            (1i128 << width) - 1
        };
        let (min_raw, max_raw) = if width == 8 {
            (0, 255)
        } else {
            (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
        };
        // Every new value first (nothing is written if one cannot be stored), then stored.
        let mut edits = Vec::new();
        for (k, _) in mask.iter().enumerate().filter(|(_, f)| **f) {
            let off = k * nbytes;
            // Big-endian, signed except BITPIX 8.
            let mut raw = data[off..off + nbytes]
                .iter()
                .fold(0i128, |a, &b| (a << 8) | i128::from(b));
            if width > 8 && raw >> (width - 1) & 1 == 1 {
                raw -= 1i128 << width;
            }
            let physical = raw + bzero;
            let new_raw = if physical >= 0 {
                (physical | i128::from(bits)) - bzero
            } else if bzero == 0 {
                // A signed value with its top bit set: flag the same bit pattern.
                ((raw & pattern_mask) | i128::from(bits)) - (1i128 << width)
            } else {
                return Err(cannot(format!(
                    "negative value {physical} with BZERO {bzero} cannot be flagged"
                )));
            };
            if new_raw > max_raw || new_raw < min_raw {
                return Err(cannot(format!(
                    "value {physical} | {bits} cannot be stored with BZERO {bzero}"
                )));
            }
            edits.push((off, (new_raw & pattern_mask) as u128));
        }
        for (off, stored) in edits {
            for (i, b) in data[off..off + nbytes].iter_mut().enumerate() {
                *b = (stored >> (8 * (nbytes - 1 - i))) as u8;
            }
        }
        Ok(())
    }
}

fn keyword_of(card: &[u8; CARD_LEN]) -> String {
    String::from_utf8_lossy(&card[..8]).trim_end().to_string()
}

/// The keyword a card sets: its first 8 characters, or for `HIERARCH` cards the text up
/// to `=` (so that two `HIERARCH` keywords are not taken for one).
fn card_key(card: &[u8]) -> String {
    let head = &card[..card.len().min(8)];
    if head == b"HIERARCH" {
        let upto = card.iter().position(|&b| b == b'=').unwrap_or(card.len());
        let text = String::from_utf8_lossy(&card[..upto]);
        return text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    String::from_utf8_lossy(head).trim_end().to_string()
}

fn value_of(card: &[u8; CARD_LEN]) -> Option<astro_wcs::Value> {
    let text = std::str::from_utf8(card).ok()?;
    astro_wcs::Card::parse(text).ok()?.value
}

/// A small FITS file for the examples of this module: an empty primary HDU, `SCI,1`
/// (2 × 3 float32) and `DQ,1` (2 × 3 int16, zeros).
///
/// ```
/// assert_eq!(astro_fits::edit_example_bytes().len() % 2880, 0);
/// ```
#[doc(hidden)]
pub fn edit_example_bytes() -> Vec<u8> {
    fn header(cards: &[String]) -> Vec<u8> {
        let mut out = Vec::new();
        for c in cards.iter().map(String::as_str).chain(["END"]) {
            let mut card = [b' '; CARD_LEN];
            card[..c.len()].copy_from_slice(c.as_bytes());
            out.extend_from_slice(&card);
        }
        out.resize(out.len().div_ceil(BLOCK_LEN) * BLOCK_LEN, b' ');
        out
    }
    let kv = |k: &str, v: &str| format!("{k:<8}= {v:>20}");
    let mut out = header(&[
        kv("SIMPLE", "T"),
        kv("BITPIX", "8"),
        kv("NAXIS", "0"),
        kv("EXTEND", "T"),
    ]);
    for (name, bitpix, size) in [("'SCI     '", "-32", 24), ("'DQ      '", "16", 12)] {
        out.extend(header(&[
            kv("XTENSION", "'IMAGE   '"),
            kv("BITPIX", bitpix),
            kv("NAXIS", "2"),
            kv("NAXIS1", "3"),
            kv("NAXIS2", "2"),
            kv("PCOUNT", "0"),
            kv("GCOUNT", "1"),
            kv("EXTNAME", name),
        ]));
        out.extend(std::iter::repeat_n(0u8, size));
        out.resize(out.len().div_ceil(BLOCK_LEN) * BLOCK_LEN, 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn one_dq(bitpix: i64, bzero: f64, n: usize) -> RawFits {
        RawFits {
            path: "t.fits".into(),
            hdus: vec![RawHdu {
                index: 1,
                start: 0,
                cards: Vec::new(),
                header_len: 0,
                data_len: n * (bitpix as usize / 8),
                bitpix,
                shape: vec![1, n],
                extname: Some("DQ".into()),
                extver: 1,
                bzero,
                bscale: 1.0,
                compressed: false,
                is_image: true,
            }],
        }
    }

    #[test]
    fn flags_int16_uint16_and_bytes() {
        let mask = Array2::from_elem((1, 2), true);
        // int16 with bit 15 set (stored -32768), and 16.
        let mut b = vec![0x80, 0x00, 0x00, 0x10];
        one_dq(16, 0.0, 2)
            .or_bits(0, &mut b, mask.view(), 4096)
            .unwrap();
        assert_eq!(b, vec![0x90, 0x00, 0x10, 0x10]);
        // uint16 (BZERO 32768): physical 0 is stored as -32768 = 0x8000.
        let mut b = vec![0x80, 0x00, 0xFF, 0xFF];
        one_dq(16, 32768.0, 2)
            .or_bits(0, &mut b, mask.view(), 4096)
            .unwrap();
        assert_eq!(b, vec![0x90, 0x00, 0xFF, 0xFF]);
        let one = Array2::from_elem((1, 1), true);
        let mut b = vec![0x01];
        one_dq(8, 0.0, 1).or_bits(0, &mut b, one.view(), 4).unwrap();
        assert_eq!(b, vec![0x05]);
        let err = one_dq(8, 0.0, 1)
            .or_bits(0, &mut [0u8], one.view(), 4096)
            .unwrap_err();
        assert!(matches!(err, Error::CannotEdit { .. }), "{err}");
        assert!(err.to_string().contains("(DQ, 1)"), "{err}");
    }

    #[test]
    fn a_value_that_cannot_be_stored_changes_nothing() {
        // uint16 via BZERO 32768 with a negative physical value (raw -32768 - 1 is not
        // representable, so use BZERO 10: raw -20 is physical -10).
        let mut b = vec![0x00, 0x01, 0xFF, 0xEC];
        let before = b.clone();
        let mask = Array2::from_elem((1, 2), true);
        let err = one_dq(16, 10.0, 2)
            .or_bits(0, &mut b, mask.view(), 2)
            .unwrap_err();
        assert!(err.to_string().contains("negative value -10"), "{err}");
        assert_eq!(b, before);
    }

    #[test]
    fn parse_locates_hdus_and_rejects_truncated_files() {
        let bytes = edit_example_bytes();
        let raw = RawFits::parse("x.fits", &bytes).unwrap();
        let h = &raw.hdus()[2];
        assert_eq!(
            (h.bitpix(), h.shape(), h.data_len()),
            (16, &[2usize, 3][..], 12)
        );
        assert_eq!(h.start(), 3 * BLOCK_LEN); // after the primary header, SCI header and data
        // Trailing bytes that are not a header are left alone.
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0u8; 100]);
        assert_eq!(RawFits::parse("x.fits", &longer).unwrap().hdus().len(), 3);
        // Files cut inside the DQ data and inside the SCI data.
        for (cut, id) in [(4, "(DQ, 1)"), (2, "(SCI, 1)")] {
            let err = RawFits::parse("x.fits", &bytes[..cut * BLOCK_LEN]).unwrap_err();
            assert!(matches!(err, Error::Truncated { .. }), "{err}");
            assert!(err.to_string().contains(id), "{err}");
        }
        // A file cut inside its first header.
        let err = RawFits::parse("x.fits", &bytes[..100]).unwrap_err();
        assert!(matches!(err, Error::NotFits { .. }), "{err}");
    }

    #[test]
    fn header_with_card_replaces_or_inserts() {
        let raw = RawFits::parse("x.fits", &edit_example_bytes()).unwrap();
        let once = raw
            .header_with_card(1, &astro_wcs::Card::new("MDRIZSKY", 1.0))
            .unwrap();
        let count = |h: &[u8]| {
            h.chunks(CARD_LEN)
                .filter(|c| c.starts_with(b"MDRIZSKY"))
                .count()
        };
        assert_eq!(count(&once), 1);
        // Set again on the edited header: replaced, not added.
        let mut bytes = edit_example_bytes();
        let start = raw.hdus()[1].start();
        bytes[start..start + once.len()].copy_from_slice(&once);
        let raw2 = RawFits::parse("x.fits", &bytes).unwrap();
        let twice = raw2
            .header_with_card(1, &astro_wcs::Card::new("MDRIZSKY", 2.0))
            .unwrap();
        assert_eq!(count(&twice), 1);
        assert_eq!(twice.len(), once.len());
    }
}
