//! Agreement with real IRAF geomap output, and the geomap database format.
//!
//! 1. IRAF's own geomap documentation example (`rtran`, images.immatch.geomap help and
//!    the IRAF community test suite): four points, `geomap rtran rtran.db 1.0 512.0 1.0
//!    512.0`; the record IRAF wrote and the positions `geoxytran` computed from it.
//! 2. A real MOSFIRE mask-to-pixel solution (`legendre`, `general`, surface2 of order
//!    6×6 with half cross terms) as IRAF wrote it: our reading of `surface1` must give the
//!    summary IRAF printed in the same record.

use astro_interp::surface::{FitGeometry, Function, GeoMapOptions, GeoMapRecord, XTerms, geomap};

const RTRAN_DB: &str = "# Tue 14:53:36 18-Apr-95
begin\trtran
\txrefmean\t256.5
\tyrefmean\t256.5
\txmean\t\t265.4999084472656
\tymean\t\t265.5
\tgeometry\tgeneral
\tfunction\tpolynomial
\txshift\t\t183.826
\tyshift\t\t-154.6757
\txmag\t\t1.18
\tymag\t\t1.18
\txrotation\t326.
\tyrotation\t326.
\tsurface1\t11
\t\t\t3.\t3.
\t\t\t2.\t2.
\t\t\t2.\t2.
\t\t\t0.\t0.
\t\t\t1.\t1.
\t\t\t512.\t512.
\t\t\t1.\t1.
\t\t\t512.\t512.
\t\t\t183.826\t-154.6757
\t\t\t0.9782647\t0.6598474
\t\t\t-0.6598479\t0.9782643
\tsurface2\t0
";

/// The `rtran` coordinate list: xref yref xin yin.
const RTRAN: [[f64; 4]; 4] = [
    [1.0, 1.0, 184.1445, -153.0376],
    [512.0, 1.0, 684.0376, 184.1445],
    [512.0, 512.0, 346.8555, 684.0376],
    [1.0, 512.0, -153.0380, 346.8555],
];

/// `geoxytran rtran STDOUT rtran.db rtran`: fitted xin yin for each point.
const GEOXYTRAN: [[f64; 2]; 4] = [
    [184.1444, -153.038],
    [684.0377, 184.1444],
    [346.8554, 684.0375],
    [-153.038, 346.8555],
];

#[test]
fn rtran_fit_matches_iraf_geomap() {
    let col = |k: usize| RTRAN.iter().map(|r| r[k]).collect::<Vec<f64>>();
    let (xr, yr, xi, yi) = (col(0), col(1), col(2), col(3));
    let opts = GeoMapOptions {
        xmin: Some(1.0),
        xmax: Some(512.0),
        ymin: Some(1.0),
        ymax: Some(512.0),
        ..GeoMapOptions::default()
    };
    let t = geomap(&xr, &yr, &xi, &yi, None, &opts).unwrap();
    let iraf = &GeoMapRecord::parse_all(RTRAN_DB).unwrap()[0];
    // IRAF computed in single precision (calctype=real; note xmean) and printed 7
    // significant digits: coefficients agree to 2e-6 relative to the largest one.
    let (ox, oy) = (t.x_fit.linear().to_iraf(), t.y_fit.linear().to_iraf());
    let (ix, iy) = (iraf.x_fit.linear().to_iraf(), iraf.y_fit.linear().to_iraf());
    assert_eq!(
        ox[..8],
        ix[..8],
        "surface header (type, orders, xterms, range)"
    );
    assert_eq!(oy[..8], iy[..8]);
    for (o, i) in [(&ox, &ix), (&oy, &iy)] {
        let scale = i[8..].iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for k in 8..o.len() {
            assert!(
                (o[k] - i[k]).abs() <= 2e-6 * scale,
                "coefficient {k}: {} vs IRAF {}",
                o[k],
                i[k]
            );
        }
    }
    assert!(t.x_fit.higher().is_none() && iraf.x_fit.higher().is_none());
    // The printed summary (7 significant digits; rotations to 1e-4 deg).
    let l = &t.linear;
    assert!((l.xshift - iraf.xshift.unwrap()).abs() < 2e-4);
    assert!((l.yshift - iraf.yshift.unwrap()).abs() < 2e-4);
    assert!((l.xmag - 1.18).abs() < 2e-6 && (l.ymag - 1.18).abs() < 2e-6);
    assert!((l.xrotation - 326.0).abs() < 1e-4 && (l.yrotation - 326.0).abs() < 1e-4);
    assert!((t.xin_mean - iraf.xmean.unwrap()).abs() < 1e-4);
    assert_eq!(t.fitgeometry, FitGeometry::General);
    // geoxytran's fitted positions. IRAF's own test suite compares these with
    // `decimals=2`: its printed -153.038 for point 0 is itself 4e-4 from what the
    // record's coefficients give (-154.6757 + 0.6598474 + 0.9782643 = -153.0376), so the
    // tolerance is 5e-4 px.
    for (k, g) in GEOXYTRAN.iter().enumerate() {
        let (a, b) = t.eval(xr[k], yr[k]);
        assert!(
            (a - g[0]).abs() < 5e-4 && (b - g[1]).abs() < 5e-4,
            "point {k}: ({a}, {b}) vs IRAF {g:?}"
        );
        let (a, b) = iraf.eval(xr[k], yr[k]);
        assert!(
            (a - g[0]).abs() < 5e-4 && (b - g[1]).abs() < 5e-4,
            "record, point {k}"
        );
    }
}

const MOSFIRE_DB: &str = "# Sun 14:34:16 16-Jan-2011
begin\tmm2pix.finalshift
\txrefmean\t0.4451433
\tyrefmean\t-3.111243
\txmean\t\t1046.501
\tymean\t\t1012.034
\tgeometry\tgeneral
\tfunction\tlegendre
\txshift\t\t1042.987
\tyshift\t\t1035.884
\txmag\t\t7.670743
\tymag\t\t7.67076
\txrotation\t359.7552
\tyrotation\t359.7565
\txrms\t\t0.04616478
\tyrms\t\t0.05277011
\tsurface1\t11
\t\t\t2.\t2.
\t\t\t2.\t2.
\t\t\t2.\t2.
\t\t\t0.\t0.
\t\t\t-137.\t-137.
\t\t\t137.\t137.
\t\t\t-137.\t-137.
\t\t\t137.\t137.
\t\t\t1042.987\t1035.884
\t\t\t1050.882\t4.488986
\t\t\t-4.465763\t1050.885
\tsurface2\t29
\t\t\t2.\t2.
\t\t\t6.\t6.
\t\t\t6.\t6.
\t\t\t2.\t2.
\t\t\t-137.\t-137.
\t\t\t137.\t137.
\t\t\t-137.\t-137.
\t\t\t137.\t137.
\t\t\t-0.005353444\t0.04255729
\t\t\t0.6608887\t-0.01530954
\t\t\t-0.05799868\t0.1157489
\t\t\t0.9264673\t-0.01261903
\t\t\t0.01994258\t0.0797478
\t\t\t0.2227303\t0.01168982
\t\t\t-0.01945649\t0.6234929
\t\t\t0.03669446\t0.2193253
\t\t\t-0.04854986\t1.709188
\t\t\t0.03470791\t0.1229889
\t\t\t-0.04925432\t0.3735662
\t\t\t-0.01216916\t0.1628895
\t\t\t1.833832\t-0.02406128
\t\t\t0.1073147\t0.2629326
\t\t\t1.076982\t-0.09890223
\t\t\t-0.009983247\t0.848157
\t\t\t-0.02049647\t0.05725569
\t\t\t5.596653E-4\t0.9405158
\t\t\t0.06984585\t0.0326806
\t\t\t0.4765024\t-0.04174766
\t\t\t-0.01029157\t0.225348
";

#[test]
fn mosfire_record_summary_matches_what_iraf_printed() {
    let recs = GeoMapRecord::parse_all(MOSFIRE_DB).unwrap();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.name, "mm2pix.finalshift");
    assert_eq!(r.fitgeometry, Some(FitGeometry::General));
    let h = r.x_fit.higher().unwrap();
    assert_eq!(h.spec().function, Function::Legendre);
    assert_eq!(
        (h.spec().xorder, h.spec().yorder, h.spec().xterms),
        (6, 6, XTerms::Half)
    );
    assert_eq!(h.ncoeff(), 21);
    assert_eq!(h.coefficients()[17], 5.596653e-4);
    let l = r.linear();
    // Printed with 7 significant digits (%g): relative 1e-6; rotations 1e-4 deg.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs();
    assert!(close(l.xshift, r.xshift.unwrap()) && close(l.yshift, r.yshift.unwrap()));
    assert!(
        close(l.xmag, r.xmag.unwrap()) && close(l.ymag, r.ymag.unwrap()),
        "{l:?}"
    );
    assert!((l.xrotation - r.xrotation.unwrap()).abs() < 1e-4);
    assert!((l.yrotation - r.yrotation.unwrap()).abs() < 1e-4);
    assert_eq!((r.xrms, r.yrms), (Some(0.04616478), Some(0.05277011)));
    // The mask centre maps near the detector centre, and the distortion term is small.
    let (x, y) = r.eval(0.0, 0.0);
    assert!((x - 1042.987).abs() < 5.0 && (y - 1035.884).abs() < 5.0);
}

#[test]
fn database_records_round_trip_exactly() {
    let (mut xr, mut yr) = (vec![], vec![]);
    for j in 0..8 {
        for i in 0..8 {
            xr.push(i as f64 * 300.0 + 0.1 * j as f64);
            yr.push(j as f64 * 500.0 - 0.3 * i as f64);
        }
    }
    let xi: Vec<f64> = xr
        .iter()
        .zip(&yr)
        .map(|(x, y)| 3.0 + 1.001 * x + 1e-7 * x * y)
        .collect();
    let yi: Vec<f64> = xr
        .iter()
        .zip(&yr)
        .map(|(_, y)| -1.0 + 0.999 * y + 2e-8 * y * y)
        .collect();
    let cases = [
        GeoMapOptions::mscimage(),
        GeoMapOptions {
            xxorder: 2,
            xyorder: 2,
            yxorder: 3,
            yyorder: 3,
            ..GeoMapOptions::default()
        },
        GeoMapOptions {
            fitgeometry: FitGeometry::XyScale,
            function: Function::Legendre,
            ..Default::default()
        },
        GeoMapOptions {
            fitgeometry: FitGeometry::RxyScale,
            ..Default::default()
        },
    ];
    let mut db = String::new();
    let mut fits = vec![];
    for (k, o) in cases.iter().enumerate() {
        let t = geomap(&xr, &yr, &xi, &yi, None, o).unwrap();
        db.push_str(&t.to_database_record(&format!("case{k}")));
        fits.push(t);
    }
    let recs = GeoMapRecord::parse_all(&db).unwrap();
    assert_eq!(recs.len(), fits.len());
    for (r, t) in recs.iter().zip(&fits) {
        assert_eq!(r.x_fit, t.x_fit);
        assert_eq!(r.y_fit, t.y_fit);
        assert_eq!(r.fitgeometry, Some(t.fitgeometry));
        assert_eq!(r.linear(), t.linear);
        assert_eq!((r.xrms, r.yrms), (Some(t.xrms), Some(t.yrms)));
        assert_eq!(r.eval(123.4, 567.8), t.eval(123.4, 567.8));
    }
    // Only the y fit has a higher-order surface in case 1: the x column of surface2 is
    // zero-filled (as IRAF writes it) and reads back as "no surface".
    assert!(recs[1].x_fit.higher().is_none() && recs[1].y_fit.higher().is_some());
}

#[test]
fn malformed_records_are_typed_errors() {
    use astro_interp::Error;
    let bad = |t: &str| matches!(GeoMapRecord::parse_all(t), Err(Error::InvalidRecord { .. }));
    assert!(bad("xshift 1\n"));
    assert!(bad("begin a\n\tsurface1\t11\n\t\t\t3.\t3.\n"));
    assert!(bad("begin a\n\tsurface1\t2\n\t\t\t3.\t3.\n\t\t\tx\t3.\n"));
    assert!(bad(
        "begin a\n\tsurface1\t9\n3 3\n2 2\n2 2\n0 0\n1 1\n512 512\n1 1\n512 512\n1 1\n"
    ));
    assert!(bad(&RTRAN_DB.replace("\t\t\t3.\t3.\n", "\t\t\t7.\t3.\n")));
    assert!(bad(&RTRAN_DB.replace(
        "\t\t\t512.\t512.\n\t\t\t1.\t1.",
        "\t\t\t0.\t0.\n\t\t\t1.\t1."
    )));
}
