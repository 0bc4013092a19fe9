//! Input-file safety: inputs are read-only unless `update_inputs` is set; then the
//! originals are archived in `OrIg_files/` (when `preserve` is set) before `MDRIZSKY` and
//! the cosmic-ray bits are written into them, as AstroDrizzle does. `restore` copies the
//! archived originals back before a run.
//!
//! An input is updated by rewriting it, never in place: the two edits are made on the raw
//! FITS bytes by astro-fits's [`RawFits`] (one header card per SCI header; the integer DQ
//! pixels flagged as cosmic rays) — only the headers and the DQ arrays are read for them —
//! and a copy of the file with these bytes replaced (the copy made by the kernel) is
//! written to a temporary file in the same directory that is then renamed over the input. Every other byte of the file — all HDUs, tables,
//! cards and padding — is preserved exactly. (A header that must grow by a block makes
//! the whole file be read and rebuilt.)

use std::io::Write;
use std::path::{Path, PathBuf};

use astro_fits::{BLOCK_LEN, RawFits, RawHdu};
use ndarray::Array2;
use rayon::prelude::*;

use crate::config::DrizzleConfig;
use crate::error::{Error, Result};
use crate::exposure::Exposure;
use crate::inputs::InputFile;

/// The directory, beside each input, holding the archived originals (AstroDrizzle's name).
pub const ARCHIVE_DIR: &str = "OrIg_files";

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

// ------------------------------------------------------------- the edits of an input

/// An `update_inputs` failure of `path`: the input is left unchanged.
fn unchanged(path: &Path, reason: impl std::fmt::Display) -> Error {
    // (astro-fits errors start with the path, which `Error::Exposure` shows already.)
    let reason = reason.to_string();
    let prefix = format!("{}: ", path.display());
    let reason = reason.strip_prefix(&prefix).unwrap_or(&reason);
    Error::Exposure {
        path: path.to_path_buf(),
        reason: format!("update_inputs: {reason}; the file is left unchanged"),
    }
}

/// The HDU holding a chip's science data (the same rules as [`Exposure::load`]).
fn science_hdu(raw: &RawFits, extver: i64) -> Option<usize> {
    let hdus = raw.hdus();
    let sci = |h: &RawHdu| h.extname().is_some_and(|n| n.eq_ignore_ascii_case("SCI"));
    if hdus.iter().any(sci) {
        return hdus.iter().position(|h| sci(h) && h.extver() == extver);
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
/// chip's DQ HDU (index) with the mask to flag there (chips without a mask or a DQ
/// extension have none).
#[allow(clippy::type_complexity)]
fn chip_edits<'m>(
    path: &Path,
    raw: &RawFits,
    e: &Exposure,
    skies: &[f64],
    masks: &'m [Option<Array2<bool>>],
) -> Result<(Vec<(usize, f64)>, Vec<(usize, &'m Array2<bool>)>)> {
    let mut headers = Vec::new();
    let mut dqs = Vec::new();
    for (chip, (&sky, mask)) in e.chips.iter().zip(skies.iter().zip(masks)) {
        let sci = science_hdu(raw, chip.extver).ok_or_else(|| {
            unchanged(
                path,
                format!(
                    "no SCI extension with EXTVER {} in the file any more",
                    chip.extver
                ),
            )
        })?;
        headers.push((sci, sky));
        if let (Some(mask), Some(dq)) = (mask, raw.find("DQ", chip.extver)) {
            dqs.push((dq, mask));
        }
    }
    Ok((headers, dqs))
}

/// A chip's SCI header with `MDRIZSKY` set to its sky.
fn sky_header(path: &Path, raw: &RawFits, hdu: usize, sky: f64) -> Result<Vec<u8>> {
    let card = astro_wcs::Card::with_comment("MDRIZSKY", sky, "Sky value computed by AstroDrizzle");
    raw.header_with_card(hdu, &card)
        .map_err(|e| unchanged(path, e))
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
        return Err(unchanged(path, "a gzip-compressed file cannot be updated"));
    }
    let raw = RawFits::scan(path, size, |pos, block| {
        file.read_exact_at(block, pos as u64)
    })
    .map_err(|e| unchanged(path, e))?;
    let mut patches = Vec::new();
    let (header_edits, dq_edits) = chip_edits(path, &raw, e, skies, masks)?;
    for (dq, mask) in dq_edits {
        // The DQ data alone, flagged in memory and written back over the copy.
        let h = &raw.hdus()[dq];
        let mut data = read_at(h.data_start(), h.data_len()).map_err(|err| Error::io(path, err))?;
        raw.or_bits(dq, &mut data, mask.view(), crbit)
            .map_err(|e| unchanged(path, e))?;
        patches.push((h.data_start() as u64, data));
    }
    for &(i, sky) in &header_edits {
        let h = sky_header(path, &raw, i, sky)?;
        if h.len() != raw.hdus()[i].header_len() {
            // A header grows by a block: the file is rebuilt.
            return whole();
        }
        patches.push((raw.hdus()[i].start() as u64, h));
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
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(unchanged(path, "a gzip-compressed file cannot be updated"));
    }
    let raw = RawFits::parse(path, &bytes).map_err(|e| unchanged(path, e))?;
    let mut bytes = bytes;
    let (header_edits, dq_edits) = chip_edits(path, &raw, e, skies, masks)?;
    for (dq, mask) in dq_edits {
        let h = &raw.hdus()[dq];
        let data = &mut bytes[h.data_start()..h.data_start() + h.data_len()];
        raw.or_bits(dq, data, mask.view(), crbit)
            .map_err(|e| unchanged(path, e))?;
    }
    let edited: Vec<(usize, Vec<u8>)> = header_edits
        .iter()
        .map(|&(i, sky)| sky_header(path, &raw, i, sky).map(|h| (i, h)))
        .collect::<Result<_>>()?;
    let hdus = raw.hdus();
    // The usual case: every edited header keeps its length (MDRIZSKY replaced, or added
    // in the header's blank padding): edited in place.
    if edited.iter().all(|(i, h)| h.len() == hdus[*i].header_len()) {
        for (i, h) in &edited {
            let start = hdus[*i].start();
            bytes[start..start + h.len()].copy_from_slice(h);
        }
        return Ok(bytes);
    }
    // Rebuild the file with the edited headers (a header may grow by a block).
    let mut out = Vec::with_capacity(bytes.len() + BLOCK_LEN);
    let mut pos = 0;
    for (i, h) in hdus.iter().enumerate() {
        debug_assert_eq!(pos, h.start());
        let end = h.data_start() + h.padded_data_len();
        match edited.iter().find(|(j, _)| *j == i) {
            Some((_, header)) => {
                out.extend_from_slice(header);
                out.extend_from_slice(&bytes[h.data_start()..end]);
            }
            None => out.extend_from_slice(&bytes[h.start()..end]),
        }
        pos = end;
    }
    out.extend_from_slice(&bytes[pos..]);
    Ok(out)
}
