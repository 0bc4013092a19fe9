//! Invariants of astro-mask (proptest).

use astro_mask::{
    CteDirection, DqValue, FlagMap, GoodBits, bitfield_to_boolean_mask, bitfield_to_mask,
    build_mask, driz_cr_grow, grow_box, grow_disk, resetbits, set_crbit, weight_mask,
};
use ndarray::Array2;
use proptest::prelude::*;

fn good_bits() -> impl Strategy<Value = GoodBits> {
    prop_oneof![
        1 => Just(GoodBits::NONE),
        4 => (any::<u64>(), any::<bool>()).prop_map(|(m, f)| {
            let b = GoodBits::from_mask(m);
            if f { b.flip() } else { b }
        }),
        4 => (prop::collection::vec(0u32..64, 0..6), any::<bool>()).prop_map(|(bits, f)| {
            let b = GoodBits::from_mask(bits.iter().fold(0u64, |m, &b| m | (1 << b)));
            if f { b.flip() } else { b }
        }),
    ]
}

/// A well-formed spec written the many ways astropy accepts, with its expected mask.
fn spec_text() -> impl Strategy<Value = (String, u64, bool)> {
    (
        prop::collection::vec(0u32..64, 1..6),
        prop::sample::select(vec![',', '+', '|']),
        any::<bool>(),
        0usize..3,
        prop::collection::vec(prop::sample::select(vec!["", " ", "\t", "  "]), 16),
    )
        .prop_map(|(bits, sep, flip, parens, ws)| {
            let mut w = ws.into_iter().cycle();
            let mut body = bits
                .iter()
                .map(|b| format!("{}{}{}", w.next().unwrap(), 1u64 << b, w.next().unwrap()))
                .collect::<Vec<_>>()
                .join(&sep.to_string());
            for _ in 0..parens {
                body = format!("({}{body}{})", w.next().unwrap(), w.next().unwrap());
            }
            let text = format!(
                "{}{}{}{body}",
                w.next().unwrap(),
                if flip { "~" } else { "" },
                w.next().unwrap()
            );
            (text, bits.iter().fold(0u64, |m, &b| m | (1 << b)), flip)
        })
}

fn expected_bad(dq_bits: u64, width: u32, bits: GoodBits) -> bool {
    let width_mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    match bits.ignore_bits() {
        None => false,
        Some(ignore) => dq_bits & width_mask & !ignore != 0,
    }
}

fn check_masks<T: DqValue + std::fmt::Debug>(
    values: &[T],
    bits: GoodBits,
) -> Result<(), TestCaseError> {
    let arr = Array2::from_shape_vec((1, values.len()), values.to_vec()).unwrap();
    let bad = bitfield_to_boolean_mask(arr.view(), bits, false);
    let good = bitfield_to_boolean_mask(arr.view(), bits, true);
    let weights = weight_mask(arr.view(), bits);
    let as_u8: Array2<u8> = bitfield_to_mask(arr.view(), bits, false);
    for (i, v) in values.iter().enumerate() {
        let want = expected_bad(v.to_bits(), T::BITS, bits);
        prop_assert_eq!(bad[[0, i]], want, "{:?} under {}", v, bits);
        prop_assert_eq!(good[[0, i]], !want);
        prop_assert_eq!(weights[[0, i]], if want { 0.0 } else { 1.0 });
        prop_assert_eq!(as_u8[[0, i]], u8::from(want));
        prop_assert_eq!(bits.is_good(v.to_bits()), !want);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn display_parse_round_trip(bits in good_bits()) {
        let text = bits.to_string();
        prop_assert_eq!(GoodBits::parse(&text).unwrap(), bits, "{}", text);
        for map in [FlagMap::jwst(), FlagMap::hst_acs(), FlagMap::hst_wfc3(), FlagMap::hst_wfpc2()] {
            let named = bits.display_with(map);
            prop_assert_eq!(GoodBits::parse_with(&named, map).unwrap(), bits, "{}", named);
        }
        // value() is the Python integer; from_int inverts it
        if let Some(v) = bits.value() {
            prop_assert_eq!(GoodBits::from_int(v).unwrap(), bits);
        }
    }

    #[test]
    fn written_specs_parse_to_their_bits((text, mask, flip) in spec_text()) {
        let bits = GoodBits::parse(&text).unwrap();
        prop_assert_eq!(bits.mask(), Some(mask), "{:?}", text);
        prop_assert_eq!(bits.is_flipped(), flip);
    }

    #[test]
    fn parser_never_panics(text in ".{0,40}") {
        let _ = GoodBits::parse(&text);
        let _ = GoodBits::parse_with(&text, FlagMap::jwst());
    }

    #[test]
    fn parser_never_panics_on_spec_alphabet(text in "[~()0-9,+| a-zA-Z_-]{0,24}") {
        if let Ok(bits) = GoodBits::parse_with(&text, FlagMap::jwst()) {
            prop_assert_eq!(GoodBits::parse(&bits.to_string()).unwrap(), bits);
        }
    }

    #[test]
    fn boolean_mask_is_bit_arithmetic(
        bits in good_bits(),
        u8s in prop::collection::vec(any::<u8>(), 0..20),
        i16s in prop::collection::vec(any::<i16>(), 0..20),
        u16s in prop::collection::vec(any::<u16>(), 0..20),
        i32s in prop::collection::vec(any::<i32>(), 0..20),
        u32s in prop::collection::vec(any::<u32>(), 0..20),
    ) {
        check_masks(&u8s, bits)?;
        check_masks(&i16s, bits)?;
        check_masks(&u16s, bits)?;
        check_masks(&i32s, bits)?;
        check_masks(&u32s, bits)?;
        // drizzlepac's buildMask looks at the low 16 bits only
        let arr = Array2::from_shape_vec((1, u32s.len()), u32s.clone()).unwrap();
        let bm = build_mask(arr.view(), bits);
        for (i, v) in u32s.iter().enumerate() {
            prop_assert_eq!(bm[[0, i]], u8::from(!expected_bad(u64::from(*v), 16, bits)));
        }
    }

    #[test]
    fn resetbits_then_mask_is_good(bits in good_bits(), dq in prop::collection::vec(any::<u16>(), 1..30)) {
        let mut arr = Array2::from_shape_vec((1, dq.len()), dq.clone()).unwrap();
        resetbits(arr.view_mut(), bits);
        for (before, after) in dq.iter().zip(arr.iter()) {
            match bits.ignore_bits() {
                None => prop_assert_eq!(before, after),
                Some(clear) => {
                    prop_assert_eq!(u64::from(*after), u64::from(*before) & !clear);
                    // the reset bits can no longer make a pixel bad under "~bits"
                    prop_assert!(u64::from(*after) & clear == 0);
                }
            }
        }
    }

    #[test]
    fn crbit_sets_exactly_the_flagged(
        flags in prop::collection::vec(any::<bool>(), 1..40),
        dq0 in any::<u16>(),
        bit in 0u32..16,
    ) {
        let crbit = 1u64 << bit;
        let mut dq = Array2::from_elem((1, flags.len()), dq0);
        let f = Array2::from_shape_vec((1, flags.len()), flags.clone()).unwrap();
        set_crbit(dq.view_mut(), f.view(), crbit).unwrap();
        for (v, fl) in dq.iter().zip(&flags) {
            let expect = if *fl { u64::from(dq0) | crbit } else { u64::from(dq0) };
            prop_assert_eq!(u64::from(*v), expect);
        }
    }

    #[test]
    fn growth_is_monotone(
        ny in 1usize..12, nx in 1usize..12, seed in any::<u64>(),
        n in 0usize..4, r in 0.0f64..4.0, grow in 1usize..4, cte in 0usize..4, neg in any::<bool>(),
    ) {
        let mut s = seed;
        let f = Array2::from_shape_fn((ny, nx), |_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 61) == 0
        });
        let boxed = grow_box(f.view(), n);
        let bigger = grow_box(f.view(), n + 1);
        let disk = grow_disk(f.view(), r).unwrap();
        let dir = if neg { CteDirection::Negative } else { CteDirection::Positive };
        let cr = driz_cr_grow(f.view(), grow, cte, dir).unwrap();
        for ((((&a, &b), &c), &d), &e) in f.iter().zip(&boxed).zip(&bigger).zip(&disk).zip(&cr) {
            prop_assert!(!a || (b && c && d && e));
            prop_assert!(!b || c);
        }
        prop_assert_eq!(grow_box(f.view(), 0), f.clone());
        prop_assert_eq!(driz_cr_grow(f.view(), 1, 0, dir).unwrap(), f.clone());
        // a disk of radius r lies within the box of half-width floor(r)
        let outer = grow_box(f.view(), r.floor() as usize);
        for (&d, &o) in disk.iter().zip(&outer) {
            prop_assert!(!d || o);
        }
    }
}
