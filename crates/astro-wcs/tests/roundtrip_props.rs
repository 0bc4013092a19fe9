//! Property tests: pixel ↔ world round trips (TAN, TAN-SIP, TPV and other projections)
//! and `to_header` → `from_header` identity.
//!
//! Tolerances (the targets): pixel → world → pixel ≤ 1e-8 px; world → pixel →
//! world ≤ 1e-10 deg on the sky.
//!
//! Pixel scales are drawn from 1e-5 deg (0.036") up: a longitude near 360° is only
//! representable to ulp(360°) ≈ 5.7e-14 deg, i.e. 5.7e-8 px at 1e-6 deg/px, so the pixel
//! round trip limit of f64 world coordinates is ≈ 5.7e-14 / scale px.

use astro_wcs::{Header, Wcs};
use proptest::prelude::*;

const TOL_PIXEL: f64 = 1e-8;
const TOL_WORLD_DEG: f64 = 1e-10;

fn sky_err(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dl = (a.0 - b.0 + 180.0).rem_euclid(360.0) - 180.0;
    (dl * b.1.to_radians().cos()).abs().max((a.1 - b.1).abs())
}

fn card(k: &str, v: impl std::fmt::Display) -> String {
    format!("{k:<8}= {v}\n")
}

fn header(code: &str, crval: (f64, f64), scale: f64, rot: f64, flip: bool, extra: &str) -> Header {
    let (s, c) = rot.to_radians().sin_cos();
    let p = if flip { -1.0 } else { 1.0 };
    let cd = [[-scale * c, scale * s * p], [scale * s, scale * c * p]];
    let sipx = if extra.contains("A_ORDER") {
        "-SIP"
    } else {
        ""
    };
    let text = card("CTYPE1", format!("'RA---{code}{sipx}'"))
        + &card("CTYPE2", format!("'DEC--{code}{sipx}'"))
        + &card("CRPIX1", 1024.5)
        + &card("CRPIX2", 512.5)
        + &card("CRVAL1", crval.0)
        + &card("CRVAL2", crval.1)
        + &card("CD1_1", cd[0][0])
        + &card("CD1_2", cd[0][1])
        + &card("CD2_1", cd[1][0])
        + &card("CD2_2", cd[1][1])
        + extra;
    Header::parse_text(&text).unwrap()
}

fn check_round_trips(wcs: &Wcs, x: f64, y: f64) -> Result<(), TestCaseError> {
    let w = wcs
        .pixel_to_world(x, y)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let (bx, by) = wcs
        .world_to_pixel(w.0, w.1)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        (bx - x).abs() <= TOL_PIXEL && (by - y).abs() <= TOL_PIXEL,
        "pixel ({x}, {y}) -> {w:?} -> ({bx}, {by})"
    );
    let w2 = wcs
        .pixel_to_world(bx, by)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(sky_err(w2, w) <= TOL_WORLD_DEG, "world {w:?} -> {w2:?}");
    Ok(())
}

fn sip_cards(c: &[f64; 7]) -> String {
    // Order-3 SIP with coefficients scaled so the distortion stays a few tens of pixels
    // over ±1500 px (HST-like) and is invertible.
    let names = [
        "A_2_0", "A_1_1", "A_0_2", "B_2_0", "B_1_1", "B_0_2", "A_3_0",
    ];
    let mut s = card("A_ORDER", 3) + &card("B_ORDER", 3);
    for (n, v) in names.iter().zip(c) {
        let scale = if n.ends_with("3_0") { 1e-10 } else { 1e-5 };
        s += &card(n, v * scale);
    }
    s + &card("B_0_3", c[6] * -1e-10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tan_round_trip(
        ra in 0.0..360.0f64, dec in -89.0..89.0f64,
        scale in 1e-5..1e-3f64, rot in -180.0..180.0f64, flip: bool,
        x in -1500.0..3500.0f64, y in -1500.0..2500.0f64,
    ) {
        let wcs = Wcs::from_header(&header("TAN", (ra, dec), scale, rot, flip, "")).unwrap();
        check_round_trips(&wcs, x, y)?;
    }

    #[test]
    fn tan_sip_round_trip(
        ra in 0.0..360.0f64, dec in -85.0..85.0f64,
        scale in 1e-5..1e-4f64, rot in -180.0..180.0f64,
        c in prop::array::uniform7(-1.0..1.0f64),
        x in -200.0..2200.0f64, y in -200.0..1200.0f64,
    ) {
        let wcs = Wcs::from_header(&header("TAN", (ra, dec), scale, rot, false, &sip_cards(&c))).unwrap();
        prop_assert!(wcs.sip().is_some());
        check_round_trips(&wcs, x, y)?;
    }

    #[test]
    fn tpv_round_trip(
        dec in -80.0..80.0f64,
        c in prop::array::uniform6(-1.0..1.0f64),
        x in 0.0..2048.0f64, y in 0.0..1024.0f64,
    ) {
        let extra = card("PV1_1", 1.0) + &card("PV2_1", 1.0)
            + &card("PV1_4", c[0] * 0.05) + &card("PV1_5", c[1] * 0.05)
            + &card("PV2_4", c[2] * 0.05) + &card("PV2_6", c[3] * 0.05)
            + &card("PV1_3", c[4] * 0.01) + &card("PV2_11", c[5] * 0.1);
        let wcs = Wcs::from_header(&header("TPV", (150.0, dec), 2e-4, 10.0, false, &extra)).unwrap();
        check_round_trips(&wcs, x, y)?;
    }

    #[test]
    fn other_projections_round_trip(
        which in 0usize..8,
        ra in 0.0..360.0f64, dec in -60.0..60.0f64,
        x in 824.0..1224.0f64, y in 312.0..712.0f64,
    ) {
        let code = ["SIN", "ZEA", "ARC", "STG", "CAR", "AIT", "CEA", "MER"][which];
        let wcs = Wcs::from_header(&header(code, (ra, dec), 0.01, 15.0, false, "")).unwrap();
        check_round_trips(&wcs, x, y)?;
    }

    #[test]
    fn to_header_identity(
        ra in 0.0..360.0f64, dec in -89.0..89.0f64,
        scale in 1e-6..1e-3f64, rot in -180.0..180.0f64,
        c in prop::array::uniform7(-1.0..1.0f64),
        with_sip: bool,
        x in -100.0..2100.0f64, y in -100.0..1100.0f64,
    ) {
        let extra = if with_sip { sip_cards(&c) } else { String::new() };
        let wcs = Wcs::from_header(&header("TAN", (ra, dec), scale, rot, false, &extra)).unwrap();
        let bytes = wcs.to_header().unwrap().to_bytes().unwrap();
        let back = Wcs::from_header(&Header::parse(&bytes).unwrap()).unwrap();
        prop_assert_eq!(back.crpix(), wcs.crpix());
        prop_assert_eq!(back.crval(), wcs.crval());
        prop_assert_eq!(back.cd(), wcs.cd());
        prop_assert_eq!(back.sip(), wcs.sip());
        let a = wcs.pixel_to_world(x, y).unwrap();
        let b = back.pixel_to_world(x, y).unwrap();
        prop_assert_eq!((a.0.to_bits(), a.1.to_bits()), (b.0.to_bits(), b.1.to_bits()));
    }
}

#[test]
fn to_header_identity_other_forms() {
    // PC+CDELT, TPV, a projection with parameters, swapped axes, an alternate key.
    let texts = [
        card("CTYPE1", "'RA---SIN'")
            + &card("CTYPE2", "'DEC--SIN'")
            + &card("CRPIX1", 10.0)
            + &card("CRPIX2", 20.0)
            + &card("CRVAL1", 30.0)
            + &card("CRVAL2", -40.0)
            + &card("CDELT1", -0.01)
            + &card("CDELT2", 0.01)
            + &card("PC1_2", 0.1)
            + &card("PV2_1", 0.1)
            + &card("PV2_2", -0.05),
        card("CTYPE1", "'RA---TPV'")
            + &card("CTYPE2", "'DEC--TPV'")
            + &card("CRPIX1", 10.0)
            + &card("CRPIX2", 20.0)
            + &card("CRVAL1", 30.0)
            + &card("CRVAL2", -40.0)
            + &card("CD1_1", -1e-4)
            + &card("CD2_2", 1e-4)
            + &card("PV1_1", 1.0)
            + &card("PV2_1", 1.0)
            + &card("PV1_3", 0.01)
            + &card("PV2_7", 0.02),
        card("CTYPE1", "'DEC--NCP'")
            + &card("CTYPE2", "'RA---NCP'")
            + &card("CRPIX1", 10.0)
            + &card("CRPIX2", 20.0)
            + &card("CRVAL1", 60.0)
            + &card("CRVAL2", 30.0)
            + &card("CDELT1", 0.01)
            + &card("CDELT2", -0.01),
        card("CTYPE1", "'GLON-ZEA'")
            + &card("CTYPE2", "'GLAT-ZEA'")
            + &card("CRPIX1", 10.0)
            + &card("CRPIX2", 20.0)
            + &card("CRVAL1", 60.0)
            + &card("CRVAL2", 30.0)
            + &card("CDELT1", -0.01)
            + &card("CDELT2", 0.01)
            + &card("LONPOLE", 170.0),
    ];
    for text in &texts {
        let wcs = Wcs::from_header(&Header::parse_text(text).unwrap()).unwrap();
        for key in [' ', 'C'] {
            let h = wcs.to_header_key(key).unwrap();
            let back =
                Wcs::from_header_key(&Header::parse(&h.to_bytes().unwrap()).unwrap(), key).unwrap();
            for &(x, y) in &[(0.0, 0.0), (15.0, 25.0), (-30.0, 60.0)] {
                let a = wcs.pixel_to_world(x, y).unwrap();
                let b = back.pixel_to_world(x, y).unwrap();
                assert!(sky_err(a, b) < 1e-12, "{text}\n{a:?} {b:?}");
            }
        }
    }
}
