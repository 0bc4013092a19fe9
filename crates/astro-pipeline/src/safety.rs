//! Input-file safety: inputs are read-only unless `update_inputs` is set; then the
//! originals are archived in `OrIg_files/` (when `preserve` is set) before `MDRIZSKY` and
//! the cosmic-ray bits are written into them, as AstroDrizzle does. `restore` copies the
//! archived originals back before a run.
//!
//! astro-fits opens inputs read-only and cannot modify a file in place, so an input is
//! updated by rewriting it: the two edits are made on the raw FITS bytes (one header card
//! per SCI header; the integer DQ pixels flagged as cosmic rays) — only the headers and
//! the DQ arrays are read for them — and a copy of the file with these bytes replaced
//! (the copy made by the kernel) is written to a temporary file in the same directory
//! that is then renamed over the input. Every other byte of the file — all HDUs, tables,
//! cards and padding — is preserved exactly. (A header that must grow by a block makes
//! the whole file be read and rebuilt.)

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use rayon::prelude::*;

use crate::config::DrizzleConfig;
use crate::error::{Error, Result};
use crate::exposure::Exposure;
use crate::inputs::InputFile;

/// The directory, beside each input, holding the archived originals (AstroDrizzle's name).
pub const ARCHIVE_DIR: &str = "OrIg_files";

const BLOCK: usize = 2880;
const CARD: usize = 80;

/// Where the original of `input` is archived: `OrIg_files/<file name>` in the input's
/// directory.
///
/// ```
/// use std::path::Path;
/// assert_eq!(
///     astro_pipeline::archive_path(Path::new("data/j8bt06nyq_flt.fits")),
///     Path::new("data/OrIg_files/j8bt06nyq_flt.fits")
/// );
/// ```
pub fn archive_path(input: &Path) -> PathBuf {
    let dir = input.parent().unwrap_or(Path::new(""));
    let name = input.file_name().unwrap_or_default();
    dir.join(ARCHIVE_DIR).join(name)
}

/// AstroDrizzle's `restore`: when `cfg.restore` is set, copies each input's archived
/// original (`OrIg_files/<name>`) back over the input before processing. Inputs without
/// an archived copy are left as they are. Returns the inputs that were restored.
///
/// Each copy is atomic (temporary file, then rename).
///
/// # Errors
///
/// [`Error::Io`] naming the file that could not be copied.
///
/// # Examples
///
/// ```
/// use astro_pipeline::{archive_path, restore_inputs, DrizzleConfig, InputFile};
/// let dir = tempfile::tempdir()?;
/// let input = dir.path().join("a_flt.fits");
/// std::fs::write(&input, b"modified")?;
/// std::fs::create_dir(dir.path().join("OrIg_files"))?;
/// std::fs::write(archive_path(&input), b"original")?;
/// let inputs = [InputFile { path: input.clone(), ivm: None }];
///
/// let cfg = DrizzleConfig::default(); // restore = false: nothing happens
/// assert!(restore_inputs(&cfg, &inputs)?.is_empty());
/// let cfg = DrizzleConfig { restore: true, ..Default::default() };
/// assert_eq!(restore_inputs(&cfg, &inputs)?, vec![input.clone()]);
/// assert_eq!(std::fs::read(&input)?, b"original");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn restore_inputs(cfg: &DrizzleConfig, inputs: &[InputFile]) -> Result<Vec<PathBuf>> {
    let mut restored = Vec::new();
    if !cfg.restore {
        return Ok(restored);
    }
    for input in inputs {
        let archive = archive_path(&input.path);
        if archive.is_file() {
            // A symbolic link is followed: its target is restored, the link stays.
            let dest = std::fs::canonicalize(&input.path).unwrap_or_else(|_| input.path.clone());
            atomic_copy(&archive, &dest).map_err(|e| Error::Exposure {
                path: input.path.clone(),
                reason: format!(
                    "restore: copying back {} failed ({e}); the input is unchanged",
                    archive.display()
                ),
            })?;
            restored.push(input.path.clone());
        }
    }
    Ok(restored)
}

/// AstroDrizzle's final update of its inputs, done only when `cfg.update_inputs` is set
/// (otherwise this returns at once and no file is touched):
///
/// 1. with `cfg.preserve`, each input is first copied to `OrIg_files/<name>` beside it;
///    an existing archive copy (the original from an earlier run) is kept unless
///    `cfg.overwrite` is set;
/// 2. each chip's SCI header gets `MDRIZSKY` = its sky (`skies[exposure][chip]`, in the
///    data's units);
/// 3. each chip's DQ gets `crbit` OR-ed where `cr_masks[exposure][chip]` is `true`
///    (chips without a mask, or without a DQ extension, are left alone).
///
/// Every input is checked (layout, shapes, DQ type) before any file is archived or
/// changed, and each input is replaced atomically (an input given as a symbolic link has
/// its target replaced; the link and the archive beside it stay where they are). The
/// checks read only each input's headers and DQ arrays; the inputs are read and written
/// in parallel on the current rayon pool (a failed write leaves that input unchanged; the
/// others are still updated).
///
/// # Errors
///
/// [`Error::Parameter`] when `skies`/`cr_masks` do not match the exposures and chips;
/// [`Error::Exposure`] naming the file and extension when an input cannot be updated
/// (gzip-compressed, tile-compressed or constant DQ, a DQ shape or type that does not fit,
/// a read-only file); [`Error::Io`] naming the file for a copy, read or write failure.
///
/// # Examples
///
/// ```
/// use astro_pipeline::{update_inputs, DrizzleConfig};
/// // Default configuration: update_inputs = false, nothing is written.
/// update_inputs(&DrizzleConfig::default(), &[], &[], &[])?;
/// # Ok::<(), astro_pipeline::Error>(())
/// ```
pub fn update_inputs(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    skies: &[Vec<f64>],
    cr_masks: &[Vec<Option<Array2<bool>>>],
) -> Result<()> {
    update_inputs_on(cfg, exposures, skies, cr_masks, true)
}

/// [`update_inputs`], the inputs in parallel on the current rayon pool (`parallel`) or
/// one after the other on the calling thread (for a helper thread outside the pool).
pub(crate) fn update_inputs_on(
    cfg: &DrizzleConfig,
    exposures: &[Exposure],
    skies: &[Vec<f64>],
    cr_masks: &[Vec<Option<Array2<bool>>>],
    parallel: bool,
) -> Result<()> {
    if !cfg.update_inputs {
        return Ok(());
    }
    if skies.len() != exposures.len() || cr_masks.len() != exposures.len() {
        return Err(Error::parameter(
            "update_inputs",
            format!(
                "{} exposures but {} sky lists and {} mask lists",
                exposures.len(),
                skies.len(),
                cr_masks.len()
            ),
        ));
    }
    for ((e, s), m) in exposures.iter().zip(skies).zip(cr_masks) {
        if s.len() != e.chips.len() || m.len() != e.chips.len() {
            return Err(Error::parameter(
                "update_inputs",
                format!(
                    "{}: {} chips but {} skies and {} masks",
                    e.path.display(),
                    e.chips.len(),
                    s.len(),
                    m.len()
                ),
            ));
        }
        if let Some(bad) = s.iter().find(|v| !v.is_finite()) {
            return Err(Error::Exposure {
                path: e.path.clone(),
                reason: format!("MDRIZSKY: the sky {bad} is not a finite number"),
            });
        }
    }
    // 1. Check every input can be updated before touching anything: each file is read
    //    once and its updated bytes are kept for step 3 (inputs in parallel; the first
    //    failing input, in input order, is reported).
    let updated: Vec<Result<Update>> = map_inputs(exposures.len(), parallel, |i| {
        let (e, s, m) = (&exposures[i], &skies[i], &cr_masks[i]);
        {
            let readonly = std::fs::metadata(&e.path)
                .map_err(|err| Error::io(&e.path, err))?
                .permissions()
                .readonly();
            if readonly {
                return Err(Error::Exposure {
                    path: e.path.clone(),
                    reason: "update_inputs: the file is read-only; it is left unchanged".into(),
                });
            }
            input_update(&e.path, e, s, m, cfg.crbit)
        }
    });
    let updated = updated.into_iter().collect::<Result<Vec<_>>>()?;
    // 2. Archive.
    if cfg.preserve {
        for e in exposures {
            let archive = archive_path(&e.path);
            if archive.exists() && !cfg.overwrite {
                continue;
            }
            let dir = archive.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
            atomic_copy(&e.path, &archive).map_err(|err| Error::Output {
                path: archive.clone(),
                reason: format!(
                    "archiving the original of {} failed ({err}); no input was modified",
                    e.path.display()
                ),
            })?;
        }
    }
    // 3. Update (inputs in parallel, each atomically; the first failure in input order
    //    is reported).
    let written: Vec<Result<()>> = map_inputs(exposures.len(), parallel, |i| {
        let (e, new) = (&exposures[i], &updated[i]);
        {
            // A symbolic link is followed: its target is updated (as an in-place update
            // would), the link stays a link.
            let dest = std::fs::canonicalize(&e.path).unwrap_or_else(|_| e.path.clone());
            let written = match new {
                Update::Patches { len, patches } => atomic_patch(&dest, &e.path, *len, patches),
                Update::Whole(bytes) => atomic_write(&dest, bytes),
            };
            written.map_err(|err| Error::Exposure {
                path: e.path.clone(),
                reason: format!(
                    "update_inputs: writing the updated file failed ({err}); the input is unchanged"
                ),
            })
        }
    });
    written.into_iter().collect::<Result<()>>()
}

/// `f(0..n)` in parallel on the current rayon pool or in order on this thread.
fn map_inputs<T: Send>(n: usize, parallel: bool, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if parallel {
        (0..n).into_par_iter().map(&f).collect()
    } else {
        (0..n).map(f).collect()
    }
}

/// The temporary file beside `dest` that replaces it.
fn temporary_for(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.update.tmp", std::process::id()))
}

/// Replaces `dest` by a file that `fill` writes: a synced temporary file in the same
/// directory (with `dest`'s permissions), then a rename; on failure the temporary file is
/// removed and `dest` is unchanged.
fn atomic_replace(
    dest: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temporary_for(dest);
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(dest) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`atomic_replace`] of `dest` by a copy of `src` (of `len` bytes) with `patches`
/// (offset, bytes) applied; the copy is made by the kernel (`copy_file_range`), without
/// reading the file into memory.
fn atomic_patch(
    dest: &Path,
    src: &Path,
    len: u64,
    patches: &[(u64, Vec<u8>)],
) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    atomic_replace(dest, |f| {
        let mut from = std::fs::File::open(src)?;
        let copied = std::io::copy(&mut from, f)?;
        if copied != len {
            return Err(std::io::Error::other(format!(
                "the file changed during the run ({len} bytes, then {copied})"
            )));
        }
        for (offset, bytes) in patches {
            f.write_all_at(bytes, *offset)?;
        }
        Ok(())
    })
}

/// Copies `from` to `to` through a temporary file beside `to`, keeping `from`'s
/// permissions.
fn atomic_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(from)?;
    atomic_write(to, &bytes)?;
    if let Ok(meta) = std::fs::metadata(from) {
        let _ = std::fs::set_permissions(to, meta.permissions());
    }
    Ok(())
}

/// [`atomic_replace`] of `dest` by `bytes`.
fn atomic_write(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    atomic_replace(dest, |f| f.write_all(bytes))
}

// ------------------------------------------------------------- raw FITS editing

/// One HDU located in the raw bytes of a FITS file.
#[derive(Debug, Clone)]
struct RawHdu {
    /// Byte offset of the header.
    start: usize,
    /// The header's cards up to (not including) `END`.
    cards: Vec<[u8; CARD]>,
    /// Length of the header in bytes (whole blocks).
    header_len: usize,
    /// Length of the data in bytes (without padding).
    data_len: usize,
    bitpix: i64,
    naxes: Vec<usize>,
    extname: Option<String>,
    extver: i64,
    bzero: f64,
    bscale: f64,
    compressed: bool,
    is_image: bool,
}

impl RawHdu {
    fn data_start(&self) -> usize {
        self.start + self.header_len
    }

    fn padded_data_len(&self) -> usize {
        self.data_len.div_ceil(BLOCK) * BLOCK
    }

    fn has_data_2d(&self) -> bool {
        self.is_image && self.naxes.len() >= 2 && self.naxes.iter().all(|&n| n > 0)
    }

    fn describe(&self) -> String {
        match &self.extname {
            Some(n) => format!("({n}, {})", self.extver),
            None => format!("HDU at byte {}", self.start),
        }
    }
}

fn keyword_of(card: &[u8; CARD]) -> String {
    String::from_utf8_lossy(&card[..8]).trim_end().to_string()
}

fn value_of(card: &[u8; CARD]) -> Option<astro_wcs::Value> {
    let text = std::str::from_utf8(card).ok()?;
    astro_wcs::Card::parse(text).ok()?.value
}

fn parse_raw(bytes: &[u8]) -> std::result::Result<Vec<RawHdu>, String> {
    parse_raw_blocks(bytes.len(), |pos| Ok(bytes[pos..pos + BLOCK].to_vec()))
}

/// [`parse_raw`] of a file of `len` bytes whose header blocks are read by `block(pos)`
/// (only the headers are read).
fn parse_raw_blocks(
    len: usize,
    mut block: impl FnMut(usize) -> std::result::Result<Vec<u8>, String>,
) -> std::result::Result<Vec<RawHdu>, String> {
    let mut hdus = Vec::new();
    let mut pos = 0;
    while pos < len {
        let start = pos;
        let mut cards = Vec::new();
        let mut found_end = false;
        while !found_end {
            if pos + BLOCK > len {
                if hdus.is_empty() {
                    return Err("the file ends inside its first header".into());
                }
                // Trailing bytes that are not a full header: leave them alone.
                return Ok(hdus);
            }
            let bytes = block(pos)?;
            for i in 0..BLOCK / CARD {
                let mut card = [0u8; CARD];
                card.copy_from_slice(&bytes[i * CARD..(i + 1) * CARD]);
                if keyword_of(&card) == "END" {
                    found_end = true;
                    break;
                }
                cards.push(card);
            }
            pos += BLOCK;
        }
        let header_len = pos - start;
        let get = |kw: &str| {
            cards
                .iter()
                .find(|c| keyword_of(c) == kw)
                .and_then(value_of)
        };
        let int = |kw: &str| get(kw).and_then(|v| v.as_i64());
        let bitpix = int("BITPIX").ok_or_else(|| format!("HDU at byte {start}: no BITPIX"))?;
        let naxis = int("NAXIS").ok_or_else(|| format!("HDU at byte {start}: no NAXIS"))?;
        let mut naxes = Vec::new();
        for i in 1..=naxis {
            let n = int(&format!("NAXIS{i}"))
                .ok_or_else(|| format!("HDU at byte {start}: no NAXIS{i}"))?;
            naxes.push(usize::try_from(n).map_err(|_| format!("negative NAXIS{i}"))?);
        }
        let pcount = int("PCOUNT").unwrap_or(0).max(0) as usize;
        let gcount = int("GCOUNT").unwrap_or(1).max(0) as usize;
        let elements: usize = if naxes.is_empty() {
            0
        } else {
            naxes.iter().product()
        };
        let data_len = (bitpix.unsigned_abs() as usize / 8) * gcount * (pcount + elements);
        let xtension = get("XTENSION").and_then(|v| v.as_str().map(|s| s.trim().to_string()));
        let is_image = match &xtension {
            None => true,
            Some(x) => x == "IMAGE",
        };
        let hdu = RawHdu {
            start,
            header_len,
            data_len,
            bitpix,
            naxes: naxes.iter().rev().copied().collect(), // numpy order
            extname: get("EXTNAME").and_then(|v| v.as_str().map(|s| s.trim().to_string())),
            extver: int("EXTVER").unwrap_or(1),
            bzero: get("BZERO").and_then(|v| v.as_f64()).unwrap_or(0.0),
            bscale: get("BSCALE").and_then(|v| v.as_f64()).unwrap_or(1.0),
            compressed: get("ZIMAGE").and_then(|v| v.as_bool()).unwrap_or(false),
            is_image,
            cards,
        };
        pos = hdu.data_start() + hdu.padded_data_len();
        if pos > len {
            return Err(format!(
                "{}: the file ends inside the data ({} bytes expected)",
                hdu.describe(),
                hdu.data_len
            ));
        }
        hdus.push(hdu);
    }
    Ok(hdus)
}

fn named<'a>(hdus: &'a [RawHdu], extname: &str, extver: i64) -> Option<&'a RawHdu> {
    hdus.iter().find(|h| {
        h.extver == extver
            && h.extname
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(extname))
    })
}

/// The HDU holding a chip's science data (the same rules as [`Exposure::load`]).
fn science_hdu(hdus: &[RawHdu], extver: i64) -> Option<usize> {
    let sci = |h: &RawHdu| {
        h.extname
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case("SCI"))
    };
    if hdus.iter().any(sci) {
        return hdus.iter().position(|h| sci(h) && h.extver == extver);
    }
    if extver != 1 {
        return None;
    }
    if hdus.first().is_some_and(RawHdu::has_data_2d) {
        return Some(0);
    }
    let images: Vec<usize> = (1..hdus.len()).filter(|&i| hdus[i].has_data_2d()).collect();
    match images.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The edits of one input: each chip's SCI header (HDU index) with its sky, and each
/// chip's DQ HDU with the mask to flag there (chips without a mask or a DQ extension have
/// none).
#[allow(clippy::type_complexity)]
fn chip_edits<'h, 'm>(
    hdus: &'h [RawHdu],
    e: &Exposure,
    skies: &[f64],
    masks: &'m [Option<Array2<bool>>],
) -> std::result::Result<(Vec<(usize, f64)>, Vec<(&'h RawHdu, &'m Array2<bool>)>), String> {
    let mut headers = Vec::new();
    let mut dqs = Vec::new();
    for (chip, (&sky, mask)) in e.chips.iter().zip(skies.iter().zip(masks)) {
        let sci = science_hdu(hdus, chip.extver).ok_or_else(|| {
            format!(
                "no SCI extension with EXTVER {} in the file any more",
                chip.extver
            )
        })?;
        headers.push((sci, sky));
        if let (Some(mask), Some(dq)) = (mask, named(hdus, "DQ", chip.extver)) {
            dqs.push((dq, mask));
        }
    }
    Ok((headers, dqs))
}

/// How one input file is updated.
enum Update {
    /// Byte ranges (offset, new bytes) to overwrite in a copy of the file of `len` bytes:
    /// the usual case, where every edited header keeps its length.
    Patches {
        len: u64,
        patches: Vec<(u64, Vec<u8>)>,
    },
    /// The whole new file (a header grew by a block).
    Whole(Vec<u8>),
}

/// The update of `path`: `MDRIZSKY` set in each chip's SCI header and `crbit` OR-ed into
/// each chip's DQ where its mask is true, as [`updated_bytes`], reading only the headers
/// and the DQ arrays.
fn input_update(
    path: &Path,
    e: &Exposure,
    skies: &[f64],
    masks: &[Option<Array2<bool>>],
    crbit: u32,
) -> Result<Update> {
    use std::os::unix::fs::FileExt;
    let fail = |reason: String| Error::Exposure {
        path: path.to_path_buf(),
        reason: format!("update_inputs: {reason}; the file is left unchanged"),
    };
    let file = std::fs::File::open(path).map_err(|err| Error::io(path, err))?;
    let len = file.metadata().map_err(|err| Error::io(path, err))?.len();
    let read_at = |pos: usize, n: usize| -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        file.read_exact_at(&mut buf, pos as u64)?;
        Ok(buf)
    };
    let whole = || -> Result<Update> {
        let bytes = std::fs::read(path).map_err(|err| Error::io(path, err))?;
        updated_bytes(path, bytes, e, skies, masks, crbit).map(Update::Whole)
    };
    let Ok(size) = usize::try_from(len) else {
        return whole();
    };
    if size >= 2 && read_at(0, 2).map_err(|err| Error::io(path, err))? == [0x1f, 0x8b] {
        return Err(fail("a gzip-compressed file cannot be updated".into()));
    }
    let hdus = parse_raw_blocks(size, |pos| {
        read_at(pos, BLOCK).map_err(|err| format!("reading the header at byte {pos}: {err}"))
    })
    .map_err(fail)?;
    let mut patches = Vec::new();
    let (header_edits, dq_edits) = chip_edits(&hdus, e, skies, masks).map_err(fail)?;
    for (dq, mask) in dq_edits {
        // The DQ data alone, flagged as in the whole file (offsets from its start).
        let mut data = read_at(dq.data_start(), dq.data_len).map_err(|err| Error::io(path, err))?;
        let local = RawHdu {
            start: 0,
            header_len: 0,
            ..dq.clone()
        };
        flag_dq(&mut data, &local, mask, crbit).map_err(fail)?;
        patches.push((dq.data_start() as u64, data));
    }
    for &(i, sky) in &header_edits {
        let h = edited_header(&hdus[i], sky).map_err(fail)?;
        if h.len() != hdus[i].header_len {
            // A header grows by a block: the file is rebuilt.
            return whole();
        }
        patches.push((hdus[i].start as u64, h));
    }
    Ok(Update::Patches { len, patches })
}

/// The bytes of `path` with `MDRIZSKY` set in each chip's SCI header and `crbit` OR-ed
/// into each chip's DQ where its mask is true.
fn updated_bytes(
    path: &Path,
    bytes: Vec<u8>,
    e: &Exposure,
    skies: &[f64],
    masks: &[Option<Array2<bool>>],
    crbit: u32,
) -> Result<Vec<u8>> {
    let fail = |reason: String| Error::Exposure {
        path: path.to_path_buf(),
        reason: format!("update_inputs: {reason}; the file is left unchanged"),
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(fail("a gzip-compressed file cannot be updated".into()));
    }
    let hdus = parse_raw(&bytes).map_err(fail)?;
    let mut bytes = bytes;
    let (header_edits, dq_edits) = chip_edits(&hdus, e, skies, masks).map_err(fail)?;
    for (dq, mask) in dq_edits {
        flag_dq(&mut bytes, dq, mask, crbit).map_err(fail)?;
    }
    let edited: Vec<(usize, Vec<u8>)> = header_edits
        .iter()
        .map(|&(i, sky)| edited_header(&hdus[i], sky).map(|h| (i, h)))
        .collect::<std::result::Result<_, _>>()
        .map_err(fail)?;
    // The usual case: every edited header keeps its length (MDRIZSKY replaced, or added
    // in the header's blank padding): edited in place.
    if edited.iter().all(|(i, h)| h.len() == hdus[*i].header_len) {
        for (i, h) in &edited {
            let start = hdus[*i].start;
            bytes[start..start + h.len()].copy_from_slice(h);
        }
        return Ok(bytes);
    }
    // Rebuild the file with the edited headers (a header may grow by a block).
    let mut out = Vec::with_capacity(bytes.len() + BLOCK);
    let mut pos = 0;
    for (i, h) in hdus.iter().enumerate() {
        debug_assert_eq!(pos, h.start);
        let end = h.data_start() + h.padded_data_len();
        match edited.iter().find(|(j, _)| *j == i) {
            Some((_, header)) => {
                out.extend_from_slice(header);
                out.extend_from_slice(&bytes[h.data_start()..end]);
            }
            None => out.extend_from_slice(&bytes[h.start..end]),
        }
        pos = end;
    }
    out.extend_from_slice(&bytes[pos..]);
    Ok(out)
}

fn edited_header(h: &RawHdu, sky: f64) -> std::result::Result<Vec<u8>, String> {
    let card = astro_wcs::Card::with_comment("MDRIZSKY", sky, "Sky value computed by AstroDrizzle");
    let images = card
        .to_card_images()
        .map_err(|e| format!("MDRIZSKY: {e}"))?;
    let mut new_card = [b' '; CARD];
    let text = images.first().ok_or("MDRIZSKY: no card image")?;
    new_card[..text.len().min(CARD)].copy_from_slice(&text.as_bytes()[..text.len().min(CARD)]);
    let mut cards = h.cards.clone();
    match cards.iter().position(|c| keyword_of(c) == "MDRIZSKY") {
        Some(i) => cards[i] = new_card,
        None => {
            // After the last non-blank card (blank cards before END are padding).
            let last = cards
                .iter()
                .rposition(|c| c.iter().any(|&b| b != b' '))
                .map_or(0, |i| i + 1);
            cards.insert(last, new_card);
        }
    }
    let mut out = Vec::with_capacity(h.header_len + BLOCK);
    for c in &cards {
        out.extend_from_slice(c);
    }
    let mut end = [b' '; CARD];
    end[..3].copy_from_slice(b"END");
    out.extend_from_slice(&end);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, b' ');
    Ok(out)
}

fn flag_dq(
    bytes: &mut [u8],
    dq: &RawHdu,
    mask: &Array2<bool>,
    crbit: u32,
) -> std::result::Result<(), String> {
    let id = dq.describe();
    if dq.compressed || !dq.is_image {
        return Err(format!(
            "{id} is tile-compressed; a compressed DQ cannot be updated"
        ));
    }
    if dq.naxes.is_empty() {
        return Err(format!(
            "{id} is a constant array (NAXIS = 0); cosmic-ray flags cannot be stored in it"
        ));
    }
    if dq.naxes.as_slice() != mask.shape() {
        return Err(format!(
            "{id} has shape {:?} but the cosmic-ray mask has shape {:?}",
            dq.naxes,
            mask.shape()
        ));
    }
    let width = match dq.bitpix {
        8 | 16 | 32 | 64 => dq.bitpix as u32,
        b => return Err(format!("{id} has BITPIX {b}; a DQ array must be integers")),
    };
    if dq.bscale != 1.0 || dq.bzero.fract() != 0.0 {
        return Err(format!(
            "{id} has BSCALE = {} and BZERO = {}; only integer DQ arrays can be updated",
            dq.bscale, dq.bzero
        ));
    }
    if width < 64 && u64::from(crbit) >> width != 0 {
        return Err(format!(
            "crbit = {crbit} does not fit in the {width}-bit DQ array {id}"
        ));
    }
    let nbytes = (width / 8) as usize;
    let bzero = dq.bzero as i128;
    let pattern_mask: i128 = if width == 64 {
        i128::from(u64::MAX)
    } else {
        (1i128 << width) - 1
    };
    let base = dq.data_start();
    for (k, &flag) in mask.iter().enumerate() {
        if !flag {
            continue;
        }
        let off = base + k * nbytes;
        let raw_bytes = &bytes[off..off + nbytes];
        // Big-endian, signed except BITPIX 8.
        let mut raw: i128 = 0;
        for &b in raw_bytes {
            raw = (raw << 8) | i128::from(b);
        }
        if width > 8 && raw >> (width - 1) & 1 == 1 {
            raw -= 1i128 << width;
        }
        let physical = raw + bzero;
        let new_raw = if physical >= 0 {
            (physical | i128::from(crbit)) - bzero
        } else if bzero == 0 {
            // A signed DQ with its top bit set: flag the same bit pattern.
            let pattern = (raw & pattern_mask) | i128::from(crbit);
            pattern - (1i128 << width)
        } else {
            return Err(format!(
                "{id}: negative DQ value {physical} with BZERO {bzero}"
            ));
        };
        let (min_raw, max_raw) = if width == 8 {
            (0, 255)
        } else {
            (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
        };
        if new_raw > max_raw || new_raw < min_raw {
            return Err(format!(
                "{id}: value {physical} | crbit {crbit} cannot be stored with BZERO {bzero}"
            ));
        }
        let stored = (new_raw & pattern_mask) as u128;
        for (i, b) in bytes[off..off + nbytes].iter_mut().enumerate() {
            *b = (stored >> (8 * (nbytes - 1 - i))) as u8;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dq_hdu(bitpix: i64, bzero: f64, n: usize) -> RawHdu {
        RawHdu {
            start: 0,
            cards: Vec::new(),
            header_len: 0,
            data_len: n * (bitpix as usize / 8),
            bitpix,
            naxes: vec![1, n],
            extname: Some("DQ".into()),
            extver: 1,
            bzero,
            bscale: 1.0,
            compressed: false,
            is_image: true,
        }
    }

    #[test]
    fn flags_int16_uint16_and_bytes() {
        // int16 with bit 15 set (stored -32768), and 16.
        let mut b = vec![0x80, 0x00, 0x00, 0x10];
        let mask = Array2::from_elem((1, 2), true);
        flag_dq(&mut b, &dq_hdu(16, 0.0, 2), &mask, 4096).unwrap();
        assert_eq!(b, vec![0x90, 0x00, 0x10, 0x10]);
        // uint16 (BZERO 32768): physical 0 is stored as -32768 = 0x8000.
        let mut b = vec![0x80, 0x00, 0xFF, 0xFF];
        flag_dq(&mut b, &dq_hdu(16, 32768.0, 2), &mask, 4096).unwrap();
        assert_eq!(b, vec![0x90, 0x00, 0xFF, 0xFF]);
        let mut b = vec![0x01];
        flag_dq(
            &mut b,
            &dq_hdu(8, 0.0, 1),
            &Array2::from_elem((1, 1), true),
            4,
        )
        .unwrap();
        assert_eq!(b, vec![0x05]);
        assert!(
            flag_dq(
                &mut [0u8],
                &dq_hdu(8, 0.0, 1),
                &Array2::from_elem((1, 1), true),
                4096
            )
            .is_err()
        );
    }
}
