//! Property: any header we can write parses back to the same cards.
//!
//! Keywords and values must come back exactly (reals bit for bit, long strings through
//! CONTINUE cards); a comment may only be shortened, never changed, when its card is full.

use astro_wcs::{Card, Header, Value};
use proptest::prelude::*;

/// Printable ASCII text that neither starts nor ends with a blank (FITS drops trailing
/// blanks of strings and comments, and comments are trimmed).
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!-~]([ -~]{{0,{max}}}[!-~])?")).unwrap()
}

fn value(max_string: usize) -> impl Strategy<Value = Value> {
    prop_oneof![
        simple_value(max_string),
        (-1e300..1e300f64, -1e-300..1e-300f64).prop_map(|(a, b)| Value::Complex(a, b)),
    ]
}

/// Values without complex numbers (two 24-character reals do not fit beside a long
/// HIERARCH keyword; that is refused with an error, tested elsewhere).
fn simple_value(max_string: usize) -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Logical),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(Value::Real),
        text(max_string).prop_map(Value::String),
        Just(Value::Undefined),
    ]
}

fn value_card() -> impl Strategy<Value = Card> {
    let standard = proptest::string::string_regex("[A-Z][A-Z0-9_-]{0,7}")
        .unwrap()
        .prop_filter("not a commentary keyword", |k| {
            !matches!(
                k.as_str(),
                "COMMENT" | "HISTORY" | "CONTINUE" | "END" | "HIERARCH"
            )
        });
    let hierarch =
        proptest::string::string_regex("[A-Za-z][A-Za-z0-9._-]{2,8}( [A-Za-z0-9._-]{1,8}){1,3}")
            .unwrap();
    prop_oneof![
        (standard, value(200), proptest::option::of(text(60))).prop_map(|(k, v, c)| Card {
            keyword: k,
            value: Some(v),
            comment: c
        }),
        // HIERARCH cards cannot use CONTINUE, so their strings stay short.
        (hierarch, simple_value(16), proptest::option::of(text(10))).prop_map(|(k, v, c)| Card {
            keyword: k,
            value: Some(v),
            comment: c
        }),
    ]
}

fn commentary_card() -> impl Strategy<Value = Card> {
    (
        prop_oneof![Just("COMMENT"), Just("HISTORY"), Just("")],
        text(70),
    )
        .prop_map(|(k, t)| Card::commentary(k, t))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn written_headers_parse_back(cards in proptest::collection::vec(
        prop_oneof![4 => value_card(), 1 => commentary_card()], 0..40)) {
        let header: Header = cards.iter().cloned().collect();
        let bytes = header.to_bytes().expect("every generated card is writable");
        prop_assert_eq!(bytes.len() % 2880, 0);
        let back = Header::parse(&bytes).expect("our own output parses");
        prop_assert_eq!(back.len(), header.len());
        for (got, want) in back.cards().iter().zip(header.cards()) {
            prop_assert_eq!(&got.keyword, &want.keyword);
            match (&got.value, &want.value) {
                // Reals compare bit for bit (0.0 and -0.0 differ).
                (Some(Value::Real(a)), Some(Value::Real(b))) => prop_assert_eq!(a.to_bits(), b.to_bits()),
                (a, b) => prop_assert_eq!(a, b),
            }
            match (&got.comment, &want.comment) {
                (Some(g), Some(w)) => prop_assert!(w.starts_with(g.as_str()), "{g:?} is not a prefix of {w:?}"),
                (None, Some(w)) => prop_assert!(want.value.is_some(), "commentary text {w:?} lost"),
                (g, None) => prop_assert_eq!(g, &None),
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        let _ = Header::parse(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = Header::parse_text(text);
        }
    }
}
