//! The full astropy distortion chain (D2IM table → SIP + CPDIS tables → CD → TAN) against
//! astropy 8.0.2 on a synthetic header whose tables are small enough to commit.
//!
//! Fixture: `tests/fixtures/distortion_chain.json`, written by
//! `tests/fixtures/gen_distortion_fixture.py` (astropy and numpy versions inside). The
//! grid reaches 20–30 px beyond the image, so the tables' edge clamping is exercised;
//! `CPDIS2` uses `DP2.AXIS.1 = 2` (a transposed table) and `CRVAL1 = 359.99` (RA wrap).

use astro_wcs::{Error, Header, LookupTable, Wcs, required_tables};
use ndarray::Array2;
use serde_json::Value;

/// all_pix2world agreement with astropy, degrees (Δra·cos dec and Δdec).
const TOL_SKY_DEG: f64 = 1e-9;
/// world → pixel → world round trip, degrees.
const TOL_RT_WORLD_DEG: f64 = 1e-10;
/// pixel → world → pixel round trip, pixels.
const TOL_RT_PIXEL: f64 = 1e-8;

struct Fixture {
    header: Header,
    tables: Vec<LookupTable>,
    x: Vec<f64>,
    y: Vec<f64>,
    ra: Vec<f64>,
    dec: Vec<f64>,
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn load() -> Fixture {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/distortion_chain.json"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let cards: String = v["header_cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}\n", c.as_str().unwrap()))
        .collect();
    let header = Header::parse_text(&cards).unwrap();
    let tables = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let shape: Vec<usize> = t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_u64().unwrap() as usize)
                .collect();
            let mut h = Header::new();
            for (k, val) in t["header"].as_object().unwrap() {
                h.set(k, val.as_f64().unwrap());
            }
            LookupTable {
                extname: t["extname"].as_str().unwrap().to_string(),
                extver: t["extver"].as_i64().unwrap(),
                header: h,
                data: Array2::from_shape_vec((shape[0], shape[1]), floats(&t["data"])).unwrap(),
            }
        })
        .collect();
    Fixture {
        header,
        tables,
        x: floats(&v["x"]),
        y: floats(&v["y"]),
        ra: floats(&v["ra"]),
        dec: floats(&v["dec"]),
    }
}

fn sky_err(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dra = (a.0 - b.0 + 180.0).rem_euclid(360.0) - 180.0;
    (dra * b.1.to_radians().cos()).abs().max((a.1 - b.1).abs())
}

#[test]
fn required_tables_lists_d2im_then_cpdis() {
    let f = load();
    assert_eq!(
        required_tables(&f.header, ' ').unwrap(),
        vec![
            ("D2IMARR".to_string(), 1),
            ("WCSDVARR".to_string(), 1),
            ("WCSDVARR".to_string(), 2)
        ]
    );
}

#[test]
fn full_chain_matches_astropy() {
    let f = load();
    let wcs = Wcs::from_header_with_tables(&f.header, ' ', &f.tables).unwrap();
    assert_eq!(wcs.name(), Some("SYNTH"));
    assert_eq!(wcs.array_shape(), Some((120, 200)));
    let mut worst: f64 = 0.0;
    let mut worst_rt_w: f64 = 0.0;
    let mut worst_rt_p: f64 = 0.0;
    for k in 0..f.x.len() {
        let ours = wcs.pixel_to_world(f.x[k], f.y[k]).unwrap();
        worst = worst.max(sky_err(ours, (f.ra[k], f.dec[k])));
        let (px, py) = wcs.world_to_pixel(ours.0, ours.1).unwrap();
        worst_rt_p = worst_rt_p.max((px - f.x[k]).abs()).max((py - f.y[k]).abs());
        let back = wcs.pixel_to_world(px, py).unwrap();
        worst_rt_w = worst_rt_w.max(sky_err(back, ours));
    }
    println!(
        "vs astropy: max sky error {worst:.2e} deg; round trips {worst_rt_w:.2e} deg, \
         {worst_rt_p:.2e} px"
    );
    assert!(worst <= TOL_SKY_DEG, "max sky error {worst:e} deg");
    assert!(
        worst_rt_w <= TOL_RT_WORLD_DEG,
        "world round trip {worst_rt_w:e}"
    );
    assert!(
        worst_rt_p <= TOL_RT_PIXEL,
        "pixel round trip {worst_rt_p:e}"
    );
    let (ra, dec) = wcs.pixel_to_world_many(&f.x, &f.y).unwrap();
    for k in 0..f.x.len() {
        let one = wcs.pixel_to_world(f.x[k], f.y[k]).unwrap();
        assert_eq!(
            (ra[k].to_bits(), dec[k].to_bits()),
            (one.0.to_bits(), one.1.to_bits())
        );
    }
}

#[test]
fn missing_tables_are_named() {
    let f = load();
    let err = Wcs::from_header(&f.header).unwrap_err();
    assert!(
        matches!(err, Error::MissingTable { ref keyword, ref extname, extver: 1 }
            if keyword == "D2IM1.EXTVER" && extname == "D2IMARR"),
        "{err}"
    );
    let only_d2im: Vec<LookupTable> = f.tables[..2].to_vec();
    let err = Wcs::from_header_with_tables(&f.header, ' ', &only_d2im).unwrap_err();
    assert!(
        matches!(err, Error::MissingTable { ref keyword, extver: 2, .. } if keyword == "DP2.EXTVER"),
        "{err}"
    );
}

#[test]
fn to_header_keeps_the_chain() {
    let f = load();
    let wcs = Wcs::from_header_with_tables(&f.header, ' ', &f.tables).unwrap();
    let h = wcs.to_header().unwrap();
    assert_eq!(required_tables(&h, ' ').unwrap().len(), 3);
    let back = Wcs::from_header_with_tables(&h, ' ', &wcs.lookup_tables()).unwrap();
    for k in (0..f.x.len()).step_by(7) {
        let a = wcs.pixel_to_world(f.x[k], f.y[k]).unwrap();
        let b = back.pixel_to_world(f.x[k], f.y[k]).unwrap();
        assert!(sky_err(a, b) < 1e-13, "{a:?} {b:?}");
    }
}
