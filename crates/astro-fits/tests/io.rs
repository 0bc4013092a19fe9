//! Behaviour tests of astro-fits: round trips, HDU selection, errors on bad files,
//! compressed files and headers.

use astro_fits::{Compression, Error, FitsReader, FitsWriter, HduId, HduKind, Pixel};
use astro_wcs::{Card, Header};
use ndarray::{Array2, s};
use std::path::{Path, PathBuf};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// A deterministic test image whose values cover the range of `T`.
fn pattern<T: Pixel>(ny: usize, nx: usize, f: impl Fn(usize, usize) -> T) -> Array2<T> {
    Array2::from_shape_fn((ny, nx), |(y, x)| f(y, x))
}

fn round_trip<T: Pixel + PartialEq>(data: &Array2<T>, bitpix: i64, bzero: Option<f64>) {
    let dir = tmp();
    let path = dir.path().join("rt.fits");
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.write_image("SCI", 1, &Header::new(), data.view())
        .unwrap();
    w.finish().unwrap();
    let mut f = FitsReader::open(&path).unwrap();
    let (header, back) = f.read_hdu::<T>(("SCI", 1)).unwrap();
    assert_eq!(&back, data, "{}", std::any::type_name::<T>());
    assert_eq!(header.get_i64("BITPIX").unwrap(), Some(bitpix));
    assert_eq!(header.get_f64("BZERO").unwrap(), bzero);
    assert_eq!(header.get_i64("NAXIS1").unwrap(), Some(data.ncols() as i64));
    assert_eq!(header.get_i64("NAXIS2").unwrap(), Some(data.nrows() as i64));
    // The band reader agrees with the full read.
    let band = f.read_rows::<T>("SCI", 3..7).unwrap();
    assert_eq!(band, data.slice(s![3..7, ..]));
}

#[test]
fn round_trip_every_pixel_type() {
    let (ny, nx) = (13, 17);
    round_trip(
        &pattern(ny, nx, |y, x| ((y * nx + x) * 37 % 256) as u8),
        8,
        None,
    );
    round_trip(
        &pattern(ny, nx, |y, x| (y as i16 - 6) * 5000 + x as i16 - 8),
        16,
        None,
    );
    let u16s = pattern(ny, nx, |y, x| ((y * nx + x) as u32 * 1009 % 65536) as u16);
    assert!(u16s.iter().any(|&v| v > 32767) && u16s.iter().any(|&v| v < 100));
    round_trip(&u16s, 16, Some(32768.0));
    round_trip(
        &pattern(ny, nx, |y, x| (y as i32 - 6) * 300_000_000 + x as i32),
        32,
        None,
    );
    round_trip(
        &pattern(ny, nx, |y, x| (y as i64 - 6) * 1_000_000_000_000 + x as i64),
        64,
        None,
    );
    let mut f32s = pattern(ny, nx, |y, x| (y as f32 - 6.5) * 1.0e-3 + x as f32 * 1.0e7);
    f32s[[0, 0]] = f32::NAN;
    f32s[[0, 1]] = f32::INFINITY;
    f32s[[0, 2]] = -0.0;
    f32s[[0, 3]] = f32::MIN_POSITIVE;
    // NaN != NaN: compare bit patterns.
    let dir = tmp();
    let path = dir.path().join("f.fits");
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.write_image("SCI", 1, &Header::new(), f32s.view())
        .unwrap();
    w.write_image("SCI", 2, &Header::new(), f32s.mapv(f64::from).view())
        .unwrap();
    w.finish().unwrap();
    let mut f = FitsReader::open(&path).unwrap();
    let back = f.read_image::<f32>("SCI").unwrap();
    for (a, b) in back.iter().zip(&f32s) {
        assert_eq!(a.to_bits(), b.to_bits(), "{a} {b}");
    }
    let back = f.read_image::<f64>(("SCI", 2)).unwrap();
    assert!(
        back.iter()
            .zip(&f32s)
            .all(|(a, b)| a.to_bits() == f64::from(*b).to_bits())
    );
    round_trip(
        &pattern(ny, nx, |y, x| {
            (y as f64 - 6.5) * 1.0e-300 + x as f64 * 1.0e300
        }),
        -64,
        None,
    );
}

#[test]
fn conversion_on_read() {
    let dir = tmp();
    let path = dir.path().join("c.fits");
    let dq = pattern(4, 5, |y, x| (y * 20000 + x) as u16);
    let sci = pattern(4, 5, |y, x| (y * 100 + x) as f32 + 0.25);
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.write_image("DQ", 1, &Header::new(), dq.view()).unwrap();
    w.write_image("SCI", 1, &Header::new(), sci.view()).unwrap();
    w.finish().unwrap();
    let mut f = FitsReader::open(&path).unwrap();
    // u16 (BZERO 32768) read as f32, f64 and i32.
    assert_eq!(f.read_image_f32("DQ").unwrap(), dq.mapv(f32::from));
    assert_eq!(f.read_image::<f64>("DQ").unwrap(), dq.mapv(f64::from));
    assert_eq!(f.read_image::<i32>("DQ").unwrap(), dq.mapv(i32::from));
    // A value that does not fit is an error naming the HDU, not garbage.
    let err = f.read_image::<u8>("SCI").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Cfitsio { .. }), "{text}");
    assert!(
        text.contains("(SCI, 1)") && text.contains("c.fits"),
        "{text}"
    );
}

fn write_mef(path: &Path) -> Vec<Array2<f32>> {
    let mut w = FitsWriter::create(path, false).unwrap();
    let mut primary = Header::new();
    primary.set("INSTRUME", "ACS");
    w.write_primary(Some(&primary)).unwrap();
    let mut images = Vec::new();
    for ver in 1..=2 {
        let sci = pattern(6, 8, |y, x| (ver * 1000 + y * 8 + x) as f32);
        w.write_image("SCI", ver as i64, &Header::new(), sci.view())
            .unwrap();
        w.write_image(
            "ERR",
            ver as i64,
            &Header::new(),
            sci.mapv(f32::sqrt).view(),
        )
        .unwrap();
        w.write_image(
            "DQ",
            ver as i64,
            &Header::new(),
            Array2::<u16>::from_elem((6, 8), ver as u16).view(),
        )
        .unwrap();
        images.push(sci);
    }
    w.finish().unwrap();
    images
}

#[test]
fn select_by_extname_and_extver() {
    let dir = tmp();
    let path = dir.path().join("mef.fits");
    let sci = write_mef(&path);
    let mut f = FitsReader::open(&path).unwrap();
    let hdus = f.hdus().unwrap();
    let ids: Vec<HduId> = hdus.iter().map(|h| h.id()).collect();
    assert_eq!(hdus.len(), 7);
    assert_eq!(hdus[0].extname, None);
    assert_eq!(ids[4], HduId::named("SCI", 2));
    assert_eq!(hdus[6].dtype, Some("uint16"));
    assert_eq!(hdus[4].shape, vec![6, 8]);
    assert_eq!(f.read_image_f32(("SCI", 2)).unwrap(), sci[1]);
    assert_eq!(f.read_image_f32("SCI").unwrap(), sci[0]); // EXTVER defaults to 1
    assert_eq!(f.read_image_f32(("sci", 2)).unwrap(), sci[1]); // case-insensitive
    assert_eq!(f.read_image_f32(4).unwrap(), sci[1]); // by index
    assert_eq!(f.read_image::<u16>(("DQ", 2)).unwrap()[[0, 0]], 2);
    assert_eq!(
        f.header("PRIMARY").unwrap().get_str("INSTRUME").unwrap(),
        Some("ACS")
    );
    // Headers carry EXTNAME/EXTVER.
    let h = f.header(("ERR", 2)).unwrap();
    assert_eq!(h.get_str("EXTNAME").unwrap(), Some("ERR"));
    assert_eq!(h.get_i64("EXTVER").unwrap(), Some(2));
}

#[test]
fn missing_hdu_is_an_error_naming_file_and_hdu() {
    let dir = tmp();
    let path = dir.path().join("mef.fits");
    write_mef(&path);
    let mut f = FitsReader::open(&path).unwrap();
    let err = f.read_image_f32(("SCI", 3)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::HduNotFound { .. }), "{text}");
    assert!(text.contains("mef.fits"), "{text}");
    assert!(text.contains("(SCI, 3)"), "{text}");
    assert!(text.contains("(SCI, 2)"), "lists what exists: {text}");
    assert!(matches!(
        f.header("WCSDVARR").unwrap_err(),
        Error::HduNotFound { .. }
    ));
    assert!(matches!(
        f.header(99).unwrap_err(),
        Error::HduNotFound { .. }
    ));
    assert!(matches!(
        f.header(("SCI", 0)).unwrap_err(),
        Error::InvalidArgument { .. }
    ));
    // The primary HDU has no data.
    assert!(matches!(
        f.read_image_f32(0).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
}

#[test]
fn truncated_file_is_an_error() {
    let dir = tmp();
    let path = dir.path().join("full.fits");
    let data = pattern(100, 100, |y, x| (y * 100 + x) as f32);
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.write_image("SCI", 1, &Header::new(), data.view())
        .unwrap();
    w.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // primary (1 block) + SCI header (1 block) + 40000 bytes of data (14 blocks)
    assert_eq!(bytes.len(), 2880 * 16);
    // Cut in the middle of the data.
    let cut = dir.path().join("cut.fits");
    std::fs::write(&cut, &bytes[..2880 * 2 + 20000]).unwrap();
    let mut f = FitsReader::open(&cut).unwrap();
    let err = f.read_image_f32("SCI").unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("cut.fits") && err.to_string().contains("(SCI, 1)"));
    // Rows before the cut are still readable; rows after it are not.
    assert_eq!(
        f.read_rows::<f32>("SCI", 0..10).unwrap_err().to_string(),
        err.to_string()
    );
    // Cut at a block boundary inside the data, and inside the SCI header.
    for (name, len) in [("cut2.fits", 2880 * 10), ("cut3.fits", 2880 + 800)] {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes[..len]).unwrap();
        let result = FitsReader::open(&p).and_then(|mut f| f.read_image_f32("SCI"));
        match result {
            Err(e @ Error::Truncated { .. }) => assert!(e.to_string().contains(name), "{e}"),
            other => panic!("{name}: expected Truncated, got {other:?}"),
        }
    }
    // Data complete but the final block padding missing: the pixels are all there.
    let p = dir.path().join("unpadded.fits");
    std::fs::write(&p, &bytes[..2880 * 2 + 40000]).unwrap();
    match FitsReader::open(&p).and_then(|mut f| f.read_image_f32("SCI")) {
        Ok(back) => assert_eq!(back, data),
        Err(e) => assert!(matches!(e, Error::Truncated { .. }), "{e}"),
    }
    // A truncated gzip file.
    let gz = dir.path().join("cut.fits.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    let gzbytes = enc.finish().unwrap();
    std::fs::write(&gz, &gzbytes[..gzbytes.len() / 2]).unwrap();
    let result = FitsReader::open(&gz).and_then(|mut f| f.read_image_f32("SCI"));
    assert!(result.is_err(), "truncated gzip file read without error");
}

#[test]
fn not_fits_and_missing_files() {
    let dir = tmp();
    let missing = dir.path().join("missing.fits");
    let err = FitsReader::open(&missing).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("missing.fits"));
    for (name, content) in [
        ("text.fits", b"This is not a FITS file at all".repeat(200)),
        ("empty.fits", Vec::new()),
        ("short.fits", b"SIMPLE  =                    T".to_vec()),
        ("garbage.fits", {
            let mut v = format!("{:<80}", "SIMPLE  =                    T").into_bytes();
            v.extend(std::iter::repeat_n(0xffu8, 2800));
            v
        }),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let err = FitsReader::open(&p).and_then(|mut f| f.hdus()).unwrap_err();
        assert!(matches!(err, Error::NotFits { .. }), "{name}: {err}");
        assert!(err.to_string().contains(name), "{err}");
    }
    // A directory.
    assert!(matches!(
        FitsReader::open(dir.path()).unwrap_err(),
        Error::NotFits { .. }
    ));
}

/// Build a FITS file by hand from header cards and raw data bytes.
fn handmade(path: &Path, cards: &[(&str, astro_wcs::Value)], data: &[u8]) {
    let mut h = Header::new();
    for (k, v) in cards {
        h.push(Card::new(*k, v.clone()));
    }
    let mut bytes = h.to_bytes().unwrap();
    bytes.extend_from_slice(data);
    bytes.resize(bytes.len().div_ceil(2880) * 2880, 0);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn shapes_and_bitpix() {
    use astro_wcs::Value::{Integer as I, Logical as L};
    let dir = tmp();
    // A 3-D cube is not a 2-D image.
    let cube = dir.path().join("cube.fits");
    handmade(
        &cube,
        &[
            ("SIMPLE", L(true)),
            ("BITPIX", I(8)),
            ("NAXIS", I(3)),
            ("NAXIS1", I(2)),
            ("NAXIS2", I(2)),
            ("NAXIS3", I(2)),
        ],
        &[1, 2, 3, 4, 5, 6, 7, 8],
    );
    let err = FitsReader::open(&cube)
        .unwrap()
        .read_image::<u8>(0)
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    // A cube with a degenerate third axis reads as 2-D; a 1-D image as (1, n).
    let flat = dir.path().join("flat.fits");
    handmade(
        &flat,
        &[
            ("SIMPLE", L(true)),
            ("BITPIX", I(8)),
            ("NAXIS", I(3)),
            ("NAXIS1", I(3)),
            ("NAXIS2", I(2)),
            ("NAXIS3", I(1)),
        ],
        &[1, 2, 3, 4, 5, 6],
    );
    let img = FitsReader::open(&flat)
        .unwrap()
        .read_image::<u8>(0)
        .unwrap();
    assert_eq!(img, ndarray::array![[1, 2, 3], [4, 5, 6]]);
    let line = dir.path().join("line.fits");
    handmade(
        &line,
        &[
            ("SIMPLE", L(true)),
            ("BITPIX", I(8)),
            ("NAXIS", I(1)),
            ("NAXIS1", I(4)),
        ],
        &[9, 8, 7, 6],
    );
    let img = FitsReader::open(&line)
        .unwrap()
        .read_image::<f64>(0)
        .unwrap();
    assert_eq!(img, ndarray::array![[9.0, 8.0, 7.0, 6.0]]);
    // BITPIX 24 does not exist.
    let bad = dir.path().join("bitpix24.fits");
    handmade(
        &bad,
        &[
            ("SIMPLE", L(true)),
            ("BITPIX", I(24)),
            ("NAXIS", I(2)),
            ("NAXIS1", I(2)),
            ("NAXIS2", I(2)),
        ],
        &[0; 12],
    );
    let err = FitsReader::open(&bad)
        .and_then(|mut f| f.read_image::<f32>(0))
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFits { .. } | Error::UnsupportedBitpix { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("bitpix24.fits"));
}

#[test]
fn tile_compressed_images_round_trip() {
    let dir = tmp();
    let path = dir.path().join("rice.fits");
    let dq = pattern(300, 200, |y, x| {
        if (x + y) % 17 == 0 {
            4096
        } else {
            (x % 3) as u16
        }
    });
    let counts = pattern(300, 200, |y, x| (y as i16 - 150) * 100 + x as i16);
    let sci = pattern(300, 200, |y, x| ((y * 200 + x) as f32).sin() * 1.0e3);
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.set_compression(Compression::Rice);
    let mut h = Header::new();
    h.set("BUNIT", "UNITLESS");
    w.write_image("DQ", 1, &h, dq.view()).unwrap();
    w.write_image("RAW", 1, &Header::new(), counts.view())
        .unwrap();
    w.write_image("SCI", 1, &Header::new(), sci.view()).unwrap();
    w.set_compression(Compression::None);
    w.write_image("SCI", 2, &Header::new(), sci.view()).unwrap();
    w.finish().unwrap();
    let plain_size = 2880 * 2 + 300 * 200 * 4;
    assert!(std::fs::metadata(&path).unwrap().len() < 3 * plain_size);
    let mut f = FitsReader::open(&path).unwrap();
    let hdus = f.hdus().unwrap();
    assert_eq!(hdus[1].kind, HduKind::CompressedImage);
    assert_eq!(hdus[1].shape, vec![300, 200]);
    assert_eq!(hdus[1].dtype, Some("uint16"));
    assert_eq!(hdus[4].kind, HduKind::Image);
    assert_eq!(f.read_image::<u16>("DQ").unwrap(), dq);
    assert_eq!(f.read_image::<i16>("RAW").unwrap(), counts);
    assert_eq!(f.read_image::<f32>("SCI").unwrap(), sci); // lossless
    assert_eq!(
        f.read_rows::<u16>("DQ", 100..120).unwrap(),
        dq.slice(s![100..120, ..])
    );
    // The header is that of the image, not of the binary table holding it.
    let h = f.header("DQ").unwrap();
    assert_eq!(h.get_str("BUNIT").unwrap(), Some("UNITLESS"));
    assert_eq!(h.get_i64("NAXIS1").unwrap(), Some(200));
    assert_eq!(h.get_str("XTENSION").unwrap(), Some("IMAGE"));
}

#[test]
fn header_cards_survive() {
    let dir = tmp();
    let path = dir.path().join("h.fits");
    let long: String = (0..150)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let mut h = Header::new();
    h.set("CTYPE1", "RA---TAN-SIP");
    h.set("A_ORDER", 4);
    h.set("A_2_0", 1.2345678901234e-06);
    h.set("A_0_2", 0.0);
    h.set("B_1_1", -3.3333333333333335e-17);
    h.set_with_comment("LONGSTR", long.as_str(), "a 150-character string");
    h.set("QUOTED", "it's");
    h.push(Card::new("ESO DET CHIP ID", "ccd62")); // HIERARCH
    h.push(Card::commentary("HISTORY", "drizzled by astro"));
    h.push(Card::commentary("COMMENT", "a comment"));
    h.set("CHOSEN", true);
    // Structural keywords in the user header are ignored: CFITSIO writes its own.
    h.set("NAXIS1", 999);
    h.set("BITPIX", 8);
    h.set("BZERO", 5.0);
    h.set("EXTNAME", "WRONG");
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.write_image("SCI", 1, &h, Array2::<f32>::zeros((3, 4)).view())
        .unwrap();
    w.finish().unwrap();
    let back = FitsReader::open(&path).unwrap().header("SCI").unwrap();
    assert_eq!(back.get_str("LONGSTR").unwrap(), Some(long.as_str()));
    for k in ["A_2_0", "A_0_2", "B_1_1"] {
        assert_eq!(
            back.get_f64(k).unwrap().map(f64::to_bits),
            h.get_f64(k).unwrap().map(f64::to_bits),
            "{k}"
        );
    }
    assert_eq!(back.get_str("QUOTED").unwrap(), Some("it's"));
    assert_eq!(back.get_str("ESO DET CHIP ID").unwrap(), Some("ccd62"));
    assert_eq!(back.get_bool("CHOSEN").unwrap(), Some(true));
    assert_eq!(back.get_i64("NAXIS1").unwrap(), Some(4));
    assert_eq!(back.get_i64("BITPIX").unwrap(), Some(-32));
    assert!(!back.contains("BZERO"));
    assert_eq!(back.get_str("EXTNAME").unwrap(), Some("SCI"));
    let history: Vec<_> = back
        .cards()
        .iter()
        .filter(|c| c.keyword == "HISTORY")
        .collect();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].comment.as_deref(), Some("drizzled by astro"));
    // The primary HDU carries no CFITSIO boilerplate comments.
    let primary = FitsReader::open(&path).unwrap().header(0).unwrap();
    assert!(!primary.cards().iter().any(|c| c.keyword == "COMMENT"));
}

#[test]
fn writing_is_atomic_and_refuses_to_overwrite() {
    let dir = tmp();
    let path = dir.path().join("out.fits");
    std::fs::write(&path, b"precious").unwrap();
    let err = FitsWriter::create(&path, false).unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");

    // A failing write leaves neither the final file nor a temporary file behind.
    let fresh = dir.path().join("fresh.fits");
    let mut w = FitsWriter::create(&fresh, false).unwrap();
    w.write_primary(None).unwrap();
    let mut bad = Header::new();
    bad.set("NANVALUE", f64::NAN); // FITS cannot hold NaN in a header
    let err = w
        .write_image("SCI", 1, &bad, Array2::<f32>::zeros((2, 2)).view())
        .unwrap_err();
    assert!(matches!(err, Error::Header { .. }), "{err}");
    assert!(err.to_string().contains("NANVALUE"), "{err}");
    drop(w);
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(leftovers, vec![path.clone()], "{leftovers:?}");

    // overwrite = true replaces the file only at finish.
    let mut w = FitsWriter::create(&path, true).unwrap();
    w.write_image("SCI", 1, &Header::new(), Array2::<u8>::ones((2, 2)).view())
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    w.finish().unwrap();
    assert_eq!(
        astro_fits::read_image::<u8>(&path, "SCI").unwrap().1,
        Array2::<u8>::ones((2, 2))
    );
    // Writing into a missing directory fails cleanly.
    let err = FitsWriter::create(dir.path().join("no/such/dir/x.fits"), false).unwrap_err();
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

#[test]
fn invalid_extension_names() {
    let dir = tmp();
    let mut w = FitsWriter::create(dir.path().join("x.fits"), false).unwrap();
    let img = Array2::<f32>::zeros((1, 1));
    for (name, ver) in [("", 1), ("SCI", 0), ("SCΙ", 1)] {
        let err = w
            .write_image(name, ver, &Header::new(), img.view())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    }
}

/// Real data: `ASTRO_TEST_DATA` points at the shared data directory.
fn test_data(name: &str) -> Option<PathBuf> {
    match std::env::var_os("ASTRO_TEST_DATA") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            println!("SKIP {name}: ASTRO_TEST_DATA not set");
            None
        }
    }
}

#[test]
fn reads_gzip_files_from_hst() {
    let Some(root) = test_data("reads_gzip_files_from_hst") else {
        return;
    };
    let path = root.join("hst/distortion_header_stubs/dist_lookup.fits.gz");
    let mut f = FitsReader::open(&path).unwrap();
    let hdus = f.hdus().unwrap();
    let find = |name: &str, ver: i64| {
        hdus.iter()
            .find(|h| h.extname.as_deref() == Some(name) && h.extver == ver)
            .unwrap_or_else(|| panic!("{name},{ver} in {hdus:?}"))
    };
    assert_eq!(find("SCI", 1).shape, vec![100, 100]);
    assert_eq!(find("WCSDVARR", 1).shape, vec![33, 65]);
    assert_eq!(find("D2IMARR", 1).shape, vec![1, 4096]); // NAXIS1 = 4096, NAXIS2 = 1
    let sci = f.header(("SCI", 1)).unwrap();
    assert_eq!(sci.get_str("CPDIS1").unwrap(), Some("Lookup"));
    let table = f.read_image::<f64>(("WCSDVARR", 1)).unwrap();
    assert_eq!(table.dim(), (33, 65));
    assert!(table.iter().all(|v| v.is_finite()) && table.iter().any(|&v| v != 0.0));
    // A 1-D table reads as one row.
    let d2im = f.read_image::<f64>(("D2IMARR", 1)).unwrap();
    assert_eq!(d2im.dim(), (1, 4096));
}

#[test]
fn reads_real_acs_and_refuses_tables() {
    let Some(root) = test_data("reads_real_acs_and_refuses_tables") else {
        return;
    };
    let path = root.join("hst/acs_hrc_j8bt06nyq/j8bt06nyq_flt.fits");
    let mut f = FitsReader::open(&path).unwrap();
    let (h, sci) = f.read_hdu::<f32>(("SCI", 1)).unwrap();
    assert_eq!(sci.dim(), (1024, 1024));
    assert_eq!(h.get_str("CTYPE1").unwrap(), Some("RA---TAN"));
    let dq = f.read_image::<i16>(("DQ", 1)).unwrap();
    assert_eq!(dq.dim(), (1024, 1024));
    let band = f.read_rows::<f32>(("SCI", 1), 500..510).unwrap();
    assert_eq!(band, sci.slice(s![500..510, ..]));

    let sip = root.join("hst/acs_hrc_j8bt06nyq/j8bt06nyq_sip_flt.fits");
    let mut f = FitsReader::open(&sip).unwrap();
    let hdus = f.hdus().unwrap();
    let table = hdus
        .iter()
        .find(|h| h.kind == HduKind::BinaryTable)
        .expect("WCSCORR table");
    let err = f.read_image_f32(table.index).unwrap_err();
    assert!(matches!(err, Error::NotImage { .. }), "{err}");
    assert!(err.to_string().contains("binary table"), "{err}");
    let header = f.header(("SCI", 1)).unwrap();
    assert_eq!(header.get_i64("A_ORDER").unwrap(), Some(4));

    // drizzle's test pixel map is a (11, 11, 2) cube: read_image refuses it, read_array
    // reads it.
    let pixmap = root.join("hst/wfc3ir_ib3y01c6q_drizzlepac/test_drizzlepac_pixmap.fits");
    let mut f = FitsReader::open(&pixmap).unwrap();
    assert!(matches!(
        f.read_image::<f64>(0).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let map = f.read_array::<f64>(0).unwrap();
    assert_eq!(map.shape(), &[11, 11, 2]);
    assert!(map.iter().all(|v| v.is_finite()));
}

#[test]
fn scaled_and_blank_integer_data() {
    use astro_wcs::Value::{Integer as I, Logical as L, Real as R};
    let dir = tmp();
    // int16 0..11 with BSCALE 0.5, BZERO 10 -> 10.0, 10.5, ..., 15.5 (astropy's bscale test).
    let path = dir.path().join("bscale.fits");
    let raw: Vec<u8> = (0i16..12).flat_map(|v| v.to_be_bytes()).collect();
    handmade(
        &path,
        &[
            ("SIMPLE", L(true)),
            ("BITPIX", I(16)),
            ("NAXIS", I(2)),
            ("NAXIS1", I(4)),
            ("NAXIS2", I(3)),
            ("BSCALE", R(0.5)),
            ("BZERO", R(10.0)),
        ],
        &raw,
    );
    let mut f = FitsReader::open(&path).unwrap();
    assert_eq!(f.hdus().unwrap()[0].dtype, Some("float32"));
    let img = f.read_image::<f64>(0).unwrap();
    assert_eq!(
        img,
        Array2::from_shape_fn((3, 4), |(y, x)| 10.0 + 0.5 * (y * 4 + x) as f64)
    );
    // BLANK marks undefined integer pixels: NaN as float, the raw value as integer.
    let path = dir.path().join("blank.fits");
    let raw: Vec<u8> = [1i16, -32768, 3, 4]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    handmade(
        &path,
        &[
            ("SIMPLE", L(true)),
            ("BITPIX", I(16)),
            ("NAXIS", I(2)),
            ("NAXIS1", I(2)),
            ("NAXIS2", I(2)),
            ("BLANK", I(-32768)),
        ],
        &raw,
    );
    let mut f = FitsReader::open(&path).unwrap();
    let img = f.read_image_f32(0).unwrap();
    assert!(img[[0, 1]].is_nan());
    assert_eq!((img[[0, 0]], img[[1, 1]]), (1.0, 4.0));
    assert_eq!(f.read_image::<i16>(0).unwrap()[[0, 1]], -32768);
}

#[test]
fn file_names_are_taken_literally() {
    // CFITSIO's extended filename syntax would read "[1]" as an HDU selector and a
    // leading "!" as "overwrite"; astro-fits passes names through unchanged.
    let dir = tmp();
    for name in ["img[1].fits", "!bang.fits", "with space (copy).fits"] {
        let path = dir.path().join(name);
        let mut w = FitsWriter::create(&path, false).unwrap();
        w.write_image("SCI", 1, &Header::new(), Array2::<u8>::ones((2, 3)).view())
            .unwrap();
        w.finish().unwrap();
        assert!(path.exists(), "{name}");
        let (_, img) = astro_fits::read_image::<u8>(&path, "SCI").unwrap();
        assert_eq!(img.dim(), (2, 3), "{name}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn readers_work_in_parallel_threads() {
    let dir = tmp();
    let path = dir.path().join("mef.fits");
    let sci = write_mef(&path);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let path = &path;
                scope.spawn(move || {
                    // One reader per thread; a reader may also move between threads.
                    let mut f = FitsReader::open(path).unwrap();
                    let ver = 1 + (i % 2) as i64;
                    (ver, f.read_image_f32(("SCI", ver)).unwrap())
                })
            })
            .collect();
        for h in handles {
            let (ver, img) = h.join().unwrap();
            assert_eq!(img, sci[(ver - 1) as usize]);
        }
    });
}

#[test]
fn streamed_images_in_bands() {
    let dir = tmp();
    let full = pattern(50, 33, |y, x| (y * 33 + x) as u16 * 7);
    let sci = full.mapv(|v| f32::from(v) * 0.25);
    for compression in [Compression::None, Compression::Rice] {
        let path = dir.path().join(format!("stream_{compression:?}.fits"));
        let mut w = FitsWriter::create(&path, false).unwrap();
        w.set_compression(compression);
        w.begin_image::<u16>("DQ", 1, &Header::new(), (50, 33))
            .unwrap();
        for y0 in (0..50).step_by(7) {
            let y1 = (y0 + 7).min(50);
            w.write_rows(full.slice(s![y0..y1, ..])).unwrap();
        }
        w.begin_image::<f32>("SCI", 1, &Header::new(), (50, 33))
            .unwrap();
        for y0 in (0..50).step_by(10) {
            w.write_rows(sci.slice(s![y0..y0 + 10, ..])).unwrap();
        }
        // Past the end of the image.
        assert!(matches!(
            w.write_rows(sci.slice(s![0..1, ..])).unwrap_err(),
            Error::InvalidArgument { .. }
        ));
        w.finish().unwrap();
        let mut f = FitsReader::open(&path).unwrap();
        assert_eq!(f.read_image::<u16>("DQ").unwrap(), full, "{compression:?}");
        assert_eq!(f.read_image::<f32>("SCI").unwrap(), sci, "{compression:?}");
    }
    // An image that does not get all its rows is an error, and no file appears.
    let path = dir.path().join("incomplete.fits");
    let mut w = FitsWriter::create(&path, false).unwrap();
    w.begin_image::<u16>("DQ", 1, &Header::new(), (50, 33))
        .unwrap();
    w.write_rows(full.slice(s![0..10, ..])).unwrap();
    let err = w.finish().unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    assert!(err.to_string().contains("10 of 50 rows"), "{err}");
    assert!(!path.exists());
}

#[test]
fn cubes_read_as_nd_arrays() {
    use astro_wcs::Value::{Integer as I, Logical as L};
    let dir = tmp();
    let cube = dir.path().join("cube.fits");
    handmade(
        &cube,
        &[
            ("SIMPLE", L(true)),
            ("BITPIX", I(8)),
            ("NAXIS", I(3)),
            ("NAXIS1", I(2)),
            ("NAXIS2", I(3)),
            ("NAXIS3", I(4)),
        ],
        &(0u8..24).collect::<Vec<_>>(),
    );
    let a = FitsReader::open(&cube)
        .unwrap()
        .read_array::<f32>(0)
        .unwrap();
    assert_eq!(a.shape(), &[4, 3, 2]);
    assert_eq!(a[[3, 2, 1]], 23.0);
    assert_eq!(a[[1, 0, 1]], 7.0);
}

#[test]
fn public_types_are_thread_friendly() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Error>();
    send_sync::<HduId>();
    send_sync::<astro_fits::HduInfo>();
    send::<FitsReader>();
    send::<FitsWriter>();
}
