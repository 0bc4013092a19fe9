//! Header rules against astropy 8.0.2 (`tests/fixtures/header_cases.json`, written by
//! `tests/fixtures/gen_header_cases.py`), and every bad-input error naming its keyword.

use astro_wcs::{Error, Header, Wcs};
use serde_json::Value;

/// all_pix2world agreement with astropy, degrees (Δlon·cos lat and Δlat).
const TOL_SKY_DEG: f64 = 1e-9;

fn floats(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Value::as_f64).collect()
}

#[test]
fn header_cases_match_astropy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/header_cases.json"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 14);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cards: String = case["cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{}\n", c.as_str().unwrap()))
            .collect();
        let header = Header::parse_text(&cards).unwrap();
        let key = case["key"].as_str().unwrap().chars().next().unwrap();
        let wcs = Wcs::from_header_key(&header, key).unwrap_or_else(|e| panic!("{name}: {e}"));
        let m = case["pixel_scale_matrix"].as_array().unwrap();
        for i in 0..2 {
            for j in 0..2 {
                let want = m[i][j].as_f64().unwrap();
                assert!(
                    (wcs.cd()[i][j] - want).abs() <= 1e-15 * want.abs().max(1e-10),
                    "{name}: cd {:?} vs {m:?}",
                    wcs.cd()
                );
            }
        }
        assert!(
            (wcs.lonpole() - case["lonpole"].as_f64().unwrap()).abs() < 1e-12,
            "{name}"
        );
        assert!(
            (wcs.latpole() - case["latpole"].as_f64().unwrap()).abs() < 1e-12,
            "{name}"
        );
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let (lon, lat) = (floats(&case["lon"]), floats(&case["lat"]));
        for k in 0..x.len() {
            let ours = wcs.pixel_to_world(x[k].unwrap(), y[k].unwrap());
            match (lon[k], lat[k], ours) {
                (Some(a), Some(b), Ok((l, t))) => {
                    let dl = (l - a + 180.0).rem_euclid(360.0) - 180.0;
                    let err = (dl * b.to_radians().cos()).abs().max((t - b).abs());
                    assert!(err <= TOL_SKY_DEG, "{name} point {k}: {err:e} deg");
                    let (px, py) = wcs.world_to_pixel(l, t).unwrap();
                    assert!(
                        (px - x[k].unwrap()).abs() < 1e-8 && (py - y[k].unwrap()).abs() < 1e-8,
                        "{name} point {k}: round trip ({px}, {py})"
                    );
                }
                (None, None, Err(_)) => {}
                (a, b, o) => panic!("{name} point {k}: astropy {a:?},{b:?} ours {o:?}"),
            }
        }
    }
}

fn card(k: &str, v: &str) -> String {
    format!("{k:<8}= {v}\n")
}

fn base() -> String {
    [
        ("CTYPE1", "'RA---TAN-SIP'"),
        ("CTYPE2", "'DEC--TAN-SIP'"),
        ("CRPIX1", "100.0"),
        ("CRPIX2", "50.0"),
        ("CRVAL1", "10.0"),
        ("CRVAL2", "20.0"),
        ("CD1_1", "-1e-5"),
        ("CD2_2", "1e-5"),
    ]
    .iter()
    .map(|(k, v)| card(k, v))
    .collect()
}

fn build(text: &str) -> Result<Wcs, Error> {
    Wcs::from_header(&Header::parse_text(text).unwrap())
}

fn without(text: &str, keyword: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with(&format!("{keyword:<8}=")))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn assert_names(err: Error, keyword: &str) {
    assert!(
        err.to_string().contains(keyword),
        "{err} should name {keyword}"
    );
}

#[test]
fn missing_keywords_are_named() {
    for kw in ["CRVAL1", "CRVAL2", "CRPIX1", "CRPIX2", "CTYPE1", "CTYPE2"] {
        let err = build(&without(&base(), kw)).unwrap_err();
        assert!(
            matches!(err, Error::MissingKeyword { ref keyword } if keyword == kw),
            "{kw}: {err}"
        );
    }
}

#[test]
fn bad_values_are_named() {
    let e = build(&(base() + &card("CD1_2", "-1e-5") + &card("CD2_1", "1e-5"))).unwrap_err();
    assert!(
        matches!(e, Error::SingularMatrix { ref matrix, .. } if matrix == "CD"),
        "{e}"
    );
    let e = build(&(without(&base(), "CRVAL2") + &card("CRVAL2", "'abc'"))).unwrap_err();
    assert_names(e, "CRVAL2");
    let e = build(&(without(&base(), "CRVAL2") + &card("CRVAL2", "95.0"))).unwrap_err();
    assert_names(e, "CRVAL2");
    let e = build(
        &base()
            .replace("RA---TAN-SIP", "RA---QQQ-SIP")
            .replace("DEC--TAN-SIP", "DEC--QQQ-SIP"),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::UnsupportedProjection { ref keyword, ref code } if keyword == "CTYPE1" && code == "QQQ"),
        "{e}"
    );
    let e = build(&base().replace("DEC--TAN-SIP", "DEC--SIN-SIP")).unwrap_err();
    assert_names(e, "CTYPE2");
    let e = build(&base().replace("DEC--TAN-SIP", "RA---TAN-SIP")).unwrap_err();
    assert_names(e, "CTYPE2");
    let e = build(&base().replace("RA---TAN-SIP", "FREQ-TAN-SIP")).unwrap_err();
    assert_names(e, "CTYPE1");
    let e = build(
        &base()
            .replace("RA---TAN-SIP", "RA---TAN-TAB")
            .replace("DEC--TAN-SIP", "DEC--TAN-TAB"),
    )
    .unwrap_err();
    assert_names(e, "CTYPE1");
    let e = build(&(base() + &card("WCSAXES", "3"))).unwrap_err();
    assert_names(e, "WCSAXES");
    let e = build(&(base() + &card("CUNIT2", "'km'"))).unwrap_err();
    assert_names(e, "CUNIT2");
    let e = build(&(base() + &card("LONPOLE", "'x'"))).unwrap_err();
    assert_names(e, "LONPOLE");
    let e = build(&base().replace("TAN-SIP", "TNX").replace("TAN-SIP", "TNX")).unwrap_err();
    assert!(matches!(e, Error::UnsupportedProjection { .. }), "{e}");
}

#[test]
fn sip_inconsistencies_are_errors() {
    let a = base() + &card("A_ORDER", "2") + &card("A_2_0", "1e-6");
    let e = build(&a).unwrap_err();
    assert!(
        matches!(e, Error::MissingKeyword { ref keyword } if keyword == "B_ORDER"),
        "{e}"
    );
    let b = base() + &card("B_ORDER", "2");
    let e = build(&b).unwrap_err();
    assert!(
        matches!(e, Error::MissingKeyword { ref keyword } if keyword == "A_ORDER"),
        "{e}"
    );
    let beyond = base() + &card("A_ORDER", "2") + &card("B_ORDER", "2") + &card("A_2_1", "1e-9");
    assert_names(build(&beyond).unwrap_err(), "A_2_1");
    let ap = base() + &card("A_ORDER", "2") + &card("B_ORDER", "2") + &card("AP_ORDER", "2");
    let e = build(&ap).unwrap_err();
    assert!(
        matches!(e, Error::MissingKeyword { ref keyword } if keyword == "BP_ORDER"),
        "{e}"
    );
    let low = base() + &card("A_ORDER", "3") + &card("B_ORDER", "1");
    assert_names(build(&low).unwrap_err(), "B_ORDER");
    let huge = base() + &card("A_ORDER", "10") + &card("B_ORDER", "2");
    assert_names(build(&huge).unwrap_err(), "A_ORDER");
    let nan = base() + &card("A_ORDER", "2") + &card("B_ORDER", "2") + &card("A_1_1", "'x'");
    assert_names(build(&nan).unwrap_err(), "A_1_1");
}

#[test]
fn lookup_inconsistencies_are_errors() {
    let dp = base()
        + &card("CPDIS1", "'Lookup'")
        + &card("DP1", "'EXTVER: 4'")
        + &card("DP1", "'AXIS.1: 1'");
    let e = build(&dp).unwrap_err();
    assert!(
        matches!(e, Error::MissingTable { ref keyword, extver: 4, .. } if keyword == "DP1.EXTVER"),
        "{e}"
    );
    let no_axis = base() + &card("CPDIS2", "'Lookup'") + &card("DP2", "'EXTVER: 1'");
    assert_names(build(&no_axis).unwrap_err(), "DP2.AXIS.2");
    let poly = base() + &card("CPDIS1", "'Polynomial'");
    assert_names(build(&poly).unwrap_err(), "CPDIS1");
    let d2 = base()
        + &card("D2IMDIS2", "'Lookup'")
        + &card("D2IM2", "'EXTVER: 2'")
        + &card("D2IM2", "'AXIS.2: 2'");
    let e = build(&d2).unwrap_err();
    assert!(
        matches!(e, Error::MissingTable { ref keyword, .. } if keyword == "D2IM2.EXTVER"),
        "{e}"
    );
    let bad = base()
        + &card("CPDIS1", "'Lookup'")
        + &card("DP1", "'EXTVER: one'")
        + &card("DP1", "'AXIS.1: 1'");
    assert_names(build(&bad).unwrap_err(), "DP1.EXTVER");
}

#[test]
fn alternate_keys_and_metadata() {
    let text = base()
        + &card("WCSNAME", "'IDC_postsm4'")
        + &card("RADESYS", "'FK5'")
        + &card("EQUINOX", "2000.0")
        + &card("WCSNAMEO", "'OPUS'")
        + &card("CTYPE1O", "'RA---TAN'")
        + &card("CTYPE2O", "'DEC--TAN'")
        + &card("CRPIX1O", "100.0")
        + &card("CRPIX2O", "50.0")
        + &card("CRVAL1O", "10.001")
        + &card("CRVAL2O", "20.0")
        + &card("CD1_1O", "-1.1e-5")
        + &card("CD2_2O", "1.1e-5")
        + &card("ZNAXIS1", "4096")
        + &card("ZNAXIS2", "2048")
        + &card("NAXIS1", "8")
        + &card("NAXIS2", "100");
    let h = Header::parse_text(&text).unwrap();
    let p = Wcs::from_header(&h).unwrap();
    assert_eq!(p.name(), Some("IDC_postsm4"));
    assert_eq!(p.radesys(), Some("FK5"));
    assert_eq!(p.equinox(), Some(2000.0));
    assert_eq!(
        p.array_shape(),
        Some((2048, 4096)),
        "ZNAXISi win over NAXISi"
    );
    let o = Wcs::from_header_key(&h, 'O').unwrap();
    assert_eq!(o.name(), Some("OPUS"));
    assert_eq!(o.crval(), (10.001, 20.0));
    assert_eq!(o.cd(), [[-1.1e-5, 0.0], [0.0, 1.1e-5]]);
    let e = Wcs::from_header_key(&h, 'Q').unwrap_err();
    assert!(matches!(e, Error::MissingKeyword { ref keyword } if keyword == "CTYPE1Q"));
    assert!(Wcs::from_header_key(&h, '1').is_err());
    // RADESYS defaults (WCSLIB): FK4 before 1984, FK5 with an equinox, ICRS otherwise.
    let fk4 = build(&(base() + &card("EQUINOX", "1950.0"))).unwrap();
    assert_eq!(fk4.radesys(), Some("FK4"));
    assert_eq!(build(&base()).unwrap().radesys(), Some("ICRS"));
    assert_eq!(
        build(&(base() + &card("RADECSYS", "'FK5'")))
            .unwrap()
            .radesys(),
        Some("FK5")
    );
}

#[test]
fn header_without_celestial_pair() {
    let e = build(&base().replace("DEC--TAN-SIP", "GLAT-TAN-SIP")).unwrap_err();
    assert_names(e, "CTYPE2");
}

#[test]
fn old_d2im_convention() {
    use astro_wcs::{LookupTable, required_tables};
    let text = base() + &card("AXISCORR", "1");
    let h = Header::parse_text(&text).unwrap();
    assert_eq!(
        required_tables(&h, ' ').unwrap(),
        vec![("D2IMARR".to_string(), 1)]
    );
    let e = Wcs::from_header(&h).unwrap_err();
    assert!(
        matches!(e, Error::MissingTable { ref keyword, .. } if keyword == "AXISCORR"),
        "{e}"
    );
    let table = LookupTable {
        extname: "D2IMARR".into(),
        extver: 1,
        header: Header::new(),
        data: ndarray::Array2::from_elem((1, 4096), 0.5),
    };
    let w = Wcs::from_header_with_tables(&h, ' ', &[table]).unwrap();
    let plain = build(&base()).unwrap();
    let a = w.pixel_to_world(100.0, 7.0).unwrap();
    let b = plain.pixel_to_world(100.5, 7.0).unwrap();
    assert!((a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12);
    let bad = base() + &card("AXISCORR", "3");
    assert_names(build(&bad).unwrap_err(), "AXISCORR");
}
