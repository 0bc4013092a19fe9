//! Bad input: every case is a typed error that says what was wrong, never a panic.

use astro_align::{
    AlignOptions, Error, FitGeometry, FitOptions, ImageCatalog, MatchOptions, TriangleMode,
    align_image, parse_radec_csv,
};
use astro_wcs::Wcs;

fn wcs() -> Wcs {
    Wcs::new_tan((10.0, 20.0), (99.5, 99.5), [[-1e-5, 0.0], [0.0, 1e-5]]).unwrap()
}

fn grid(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| ((i * 37 % 101) as f64 * 1.9, (i * 53 % 97) as f64 * 2.0))
        .collect()
}

#[test]
fn too_few_sources_to_fit_says_found_and_needed() {
    let w = wcs();
    let pix = grid(2);
    let world: Vec<_> = pix
        .iter()
        .map(|&(x, y)| w.pixel_to_world(x, y).unwrap())
        .collect();
    let cat = ImageCatalog::new("two_stars", w, (200, 200), pix);
    let opts = AlignOptions {
        fit: FitOptions {
            fitgeom: FitGeometry::General,
            ..FitOptions::default()
        },
        ..AlignOptions::default()
    };
    let err = align_image(&cat, &world, &opts).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooFewSources {
                found: 2,
                needed: 3,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("two_stars") && msg.contains("found 2") && msg.contains("need at least 3"),
        "{msg}"
    );
}

#[test]
fn no_matches_within_the_search_radius() {
    let w = wcs();
    let pix = grid(30);
    // reference 100 px away from every source, far beyond searchrad = 3 px
    let world: Vec<_> = pix
        .iter()
        .map(|&(x, y)| w.pixel_to_world(x + 100.0, y + 100.0).unwrap())
        .collect();
    let cat = ImageCatalog::new("lost", w, (200, 200), pix);
    let opts = AlignOptions {
        matching: MatchOptions {
            triangles: TriangleMode::Never,
            ..MatchOptions::default()
        },
        ..AlignOptions::default()
    };
    let err = align_image(&cat, &world, &opts).unwrap_err();
    assert!(matches!(err, Error::NoMatches { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("'lost'") && msg.contains("search radius of 3 pixel"),
        "{msg}"
    );
}

#[test]
fn collinear_stars_are_a_degenerate_general_fit() {
    let w = wcs();
    let pix: Vec<(f64, f64)> = (0..20)
        .map(|i| (10.0 + 8.0 * i as f64, 20.0 + 4.0 * i as f64))
        .collect();
    let world: Vec<_> = pix
        .iter()
        .map(|&(x, y)| w.pixel_to_world(x, y).unwrap())
        .collect();
    let cat = ImageCatalog::new("line", w, (200, 200), pix);
    let opts = AlignOptions {
        fit: FitOptions {
            fitgeom: FitGeometry::General,
            ..FitOptions::default()
        },
        ..AlignOptions::default()
    };
    let err = align_image(&cat, &world, &opts).unwrap_err();
    assert!(
        matches!(err, Error::DegenerateFit { npoints: 20, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("collinear"));
}

#[test]
fn catalogs_without_the_columns_asked_for() {
    let text = "x,y,flux\n1,2,3\n";
    let err = parse_radec_csv(text, "sources.csv", "RA", "DEC").unwrap_err();
    assert!(
        matches!(err, Error::MissingColumn { ref column, .. } if column == "RA"),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("sources.csv") && msg.contains("x, y, flux"),
        "{msg}"
    );
    // a value that is not a number names line and column
    let err = parse_radec_csv("ra,dec\n1.0,abc\n", "c", "ra", "dec").unwrap_err();
    assert!(matches!(err, Error::BadValue { line: 2, .. }), "{err}");
    // empty text
    assert!(matches!(
        parse_radec_csv("", "c", "ra", "dec"),
        Err(Error::MissingColumn { .. })
    ));
}

#[test]
fn nan_positions_and_bad_parameters_are_not_panics() {
    let w = wcs();
    let mut pix = grid(30);
    pix[3] = (f64::NAN, 5.0);
    let world: Vec<_> = grid(30)
        .iter()
        .map(|&(x, y)| w.pixel_to_world(x, y).unwrap())
        .collect();
    let cat = ImageCatalog::new("nan", w.clone(), (200, 200), pix);
    let res = align_image(&cat, &world, &AlignOptions::default()).unwrap();
    assert_eq!(res.matches.pairs.len(), 29);
    let opts = AlignOptions {
        matching: MatchOptions {
            searchrad: -1.0,
            ..MatchOptions::default()
        },
        ..AlignOptions::default()
    };
    assert!(matches!(
        align_image(&cat, &world, &opts),
        Err(Error::InvalidParameter { .. })
    ));
    let empty = ImageCatalog::new("empty", w, (200, 200), vec![]);
    assert!(matches!(
        align_image(&empty, &world, &AlignOptions::default()),
        Err(Error::TooFewSources { found: 0, .. })
    ));
}
