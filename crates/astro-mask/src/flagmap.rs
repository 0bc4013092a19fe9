//! Flag-name maps: mnemonic DQ flag names to bit values (JWST, HST, user-defined).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::error::{FlagMapProblem, MaskError, Result};

/// A validated map from mnemonic DQ flag names to single-bit values.
///
/// The counterpart of astropy's `BitFlagNameMap` / `extend_bit_flag_map`: names are looked up
/// case-insensitively, every value is a power of two, and a name may be defined only once
/// (several names may share a value, as aliases; the first one defined is the canonical name
/// used when printing).
///
/// ```
/// use astro_mask::{FlagMap, GoodBits};
/// let map = FlagMap::new([("CR", 1), ("CLOUDY", 4), ("RAINY", 8)])?;
/// assert_eq!(map.get("cloudy"), Some(4));
/// assert_eq!(GoodBits::parse_with("~(CLOUDY+RAINY)", &map)?, GoodBits::parse("~12")?);
/// # Ok::<(), astro_mask::MaskError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlagMap {
    entries: Vec<(String, u64)>,
    lookup: BTreeMap<String, u64>,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let upper = name.to_ascii_uppercase();
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && upper != "NONE"
        && upper != "INDEF"
}

impl FlagMap {
    /// Builds a map from `(name, value)` pairs, validating each entry.
    ///
    /// Errors: a value that is not a power of two, a name defined twice (case-insensitive), a
    /// name that is not `[A-Za-z][A-Za-z0-9_]*` or is `None`/`INDEF`.
    ///
    /// ```
    /// use astro_mask::FlagMap;
    /// let map = FlagMap::new([("HOT", 16), ("WARM", 64)])?;
    /// assert_eq!(map.len(), 2);
    /// assert!(FlagMap::new([("HOT", 16), ("hot", 32)]).is_err());
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn new<I, S>(pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = (S, u64)>,
        S: AsRef<str>,
    {
        Self::default().extended(pairs)
    }

    /// A copy of this map with more entries (astropy's `extend_bit_flag_map`).
    ///
    /// ```
    /// use astro_mask::FlagMap;
    /// let mine = FlagMap::jwst().extended([("MY_FLAG", 1 << 40)])?;
    /// assert_eq!(mine.get("MY_FLAG"), Some(1 << 40));
    /// assert_eq!(mine.get("DO_NOT_USE"), Some(1));
    /// # Ok::<(), astro_mask::MaskError>(())
    /// ```
    pub fn extended<I, S>(&self, pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = (S, u64)>,
        S: AsRef<str>,
    {
        let mut map = self.clone();
        for (name, value) in pairs {
            let name = name.as_ref();
            let err = |problem| MaskError::FlagMap {
                name: name.to_string(),
                value,
                problem,
            };
            if !valid_name(name) {
                return Err(err(FlagMapProblem::InvalidName));
            }
            if !value.is_power_of_two() {
                return Err(err(FlagMapProblem::NotPowerOfTwo));
            }
            let key = name.to_lowercase();
            if map.lookup.contains_key(&key) {
                return Err(err(FlagMapProblem::DuplicateName));
            }
            map.lookup.insert(key, value);
            map.entries.push((name.to_string(), value));
        }
        Ok(map)
    }

    /// The value of a flag, looked up case-insensitively.
    ///
    /// ```
    /// let jwst = astro_mask::FlagMap::jwst();
    /// assert_eq!(jwst.get("jump_det"), Some(4));
    /// assert_eq!(jwst.get("NOPE"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<u64> {
        self.lookup.get(&name.to_lowercase()).copied()
    }

    /// The canonical (first defined) name of a single-bit value.
    ///
    /// ```
    /// assert_eq!(astro_mask::FlagMap::hst_acs().name_of(4096), Some("CRDRIZ"));
    /// ```
    pub fn name_of(&self, value: u64) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, v)| *v == value)
            .map(|(n, _)| n.as_str())
    }

    /// The names of the flags set in a DQ value, lowest bit first (bits without a name are
    /// skipped).
    ///
    /// ```
    /// let jwst = astro_mask::FlagMap::jwst();
    /// assert_eq!(jwst.describe(5), vec!["DO_NOT_USE", "JUMP_DET"]);
    /// ```
    pub fn describe(&self, dq: u64) -> Vec<&str> {
        (0..64)
            .map(|b| 1u64 << b)
            .filter(|bit| dq & bit != 0)
            .filter_map(|bit| self.name_of(bit))
            .collect()
    }

    /// The entries in definition order.
    ///
    /// ```
    /// let first = astro_mask::FlagMap::jwst().iter().next();
    /// assert_eq!(first, Some(("DO_NOT_USE", 1)));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// Number of names (aliases included).
    ///
    /// ```
    /// assert_eq!(astro_mask::FlagMap::jwst().len(), 32);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map defines no name.
    ///
    /// ```
    /// assert!(astro_mask::FlagMap::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// JWST pixel DQ flags, bits 0–31 (`stdatamodels.jwst.datamodels.dqflags.pixel`, without
    /// `GOOD = 0`, which is not a bit; bit 4 `OUTLIER` was `RESERVED_1`, bit 28
    /// `UNRELIABLE_RESET`).
    ///
    /// ```
    /// let jwst = astro_mask::FlagMap::jwst();
    /// assert_eq!(jwst.get("REFERENCE_PIXEL"), Some(1 << 31));
    /// ```
    pub fn jwst() -> &'static FlagMap {
        static MAP: OnceLock<FlagMap> = OnceLock::new();
        MAP.get_or_init(|| build(JWST))
    }

    /// HST ACS (WFC, HRC, SBC) DQ flags, 16 bits, with the short names of STScI's `stginga`
    /// DQ table (`dqflags_acs.txt`, after the ACS Data Handbook): `LOST`=1, `FILLED`=2,
    /// `BADPIX`=4, `MASKED`=8, `HOT`=16, `UNSTABLE`=32, `WARM`=64, `BADCOL`=128,
    /// `SATURATED`=256, `BADREF`=512, `TRAP`=1024, `ATODSAT`=2048, `CRDRIZ`=4096 (AstroDrizzle
    /// `crbit`), `CRREJ`=8192, `USER`=16384, `UNUSED`=32768.
    ///
    /// ```
    /// assert_eq!(astro_mask::FlagMap::hst_acs().get("CRREJ"), Some(8192));
    /// ```
    pub fn hst_acs() -> &'static FlagMap {
        static MAP: OnceLock<FlagMap> = OnceLock::new();
        MAP.get_or_init(|| build(ACS))
    }

    /// HST WFC3 (UVIS and IR) DQ flags, 16 bits, with the short names of `stginga`'s
    /// `dqflags_wfc3.txt` (after calwf3's `wf3dq.h`; one bit can mean different things on
    /// UVIS and IR): `LOST`=1, `FILLED`=2, `BADPIX`=4, `MASKED`=8 (UVIS occulting bar / IR
    /// bad zero read), `HOT`=16, `CTE`=32 (UVIS CTE tail / IR unstable), `WARM`=64,
    /// `BADBIAS`=128, `SATURATED`=256, `BADREF`=512, `TRAP`=1024 (UVIS trap or sink / IR CR
    /// spike), `ATODSAT`=2048, `CRDRIZ`=4096, `CRREJ`=8192, `CRMAX`=16384, `USER`=32768.
    ///
    /// ```
    /// assert_eq!(astro_mask::FlagMap::hst_wfc3().get("CTE"), Some(32));
    /// ```
    pub fn hst_wfc3() -> &'static FlagMap {
        static MAP: OnceLock<FlagMap> = OnceLock::new();
        MAP.get_or_init(|| build(WFC3))
    }

    /// HST WFPC2 DQ flags (WFPC2 Data Handbook, table 3.4; the names are ours, the handbook
    /// has descriptions only): `REED_SOLOMON`=1, `CALIB_DEFECT`=2, `CAMERA_DEFECT`=4,
    /// `ATODSAT`=8, `MISSING`=16, `BADPIX`=32, `CHARGE_TRAP`=128, `QUESTIONABLE`=256,
    /// `WARM_UNREPAIRED`=512, `WARM_REPAIRED`=1024, `CHIP_MASKED`=2048, `CRDRIZ`=4096.
    ///
    /// ```
    /// assert_eq!(astro_mask::FlagMap::hst_wfpc2().get("WARM_REPAIRED"), Some(1024));
    /// ```
    pub fn hst_wfpc2() -> &'static FlagMap {
        static MAP: OnceLock<FlagMap> = OnceLock::new();
        MAP.get_or_init(|| build(WFPC2))
    }
}

fn build(table: &[(&str, u64)]) -> FlagMap {
    // The built-in tables are constants checked by the unit tests below.
    FlagMap::new(table.iter().copied()).unwrap_or_default()
}

const JWST: &[(&str, u64)] = &[
    ("DO_NOT_USE", 1 << 0),
    ("SATURATED", 1 << 1),
    ("JUMP_DET", 1 << 2),
    ("DROPOUT", 1 << 3),
    ("OUTLIER", 1 << 4),
    ("PERSISTENCE", 1 << 5),
    ("AD_FLOOR", 1 << 6),
    ("RESERVED_4", 1 << 7),
    ("UNRELIABLE_ERROR", 1 << 8),
    ("NON_SCIENCE", 1 << 9),
    ("DEAD", 1 << 10),
    ("HOT", 1 << 11),
    ("WARM", 1 << 12),
    ("LOW_QE", 1 << 13),
    ("RC", 1 << 14),
    ("TELEGRAPH", 1 << 15),
    ("NONLINEAR", 1 << 16),
    ("BAD_REF_PIXEL", 1 << 17),
    ("NO_FLAT_FIELD", 1 << 18),
    ("NO_GAIN_VALUE", 1 << 19),
    ("NO_LIN_CORR", 1 << 20),
    ("NO_SAT_CHECK", 1 << 21),
    ("UNRELIABLE_BIAS", 1 << 22),
    ("UNRELIABLE_DARK", 1 << 23),
    ("UNRELIABLE_SLOPE", 1 << 24),
    ("UNRELIABLE_FLAT", 1 << 25),
    ("OPEN", 1 << 26),
    ("ADJ_OPEN", 1 << 27),
    ("UNRELIABLE_RESET", 1 << 28),
    ("MSA_FAILED_OPEN", 1 << 29),
    ("OTHER_BAD_PIXEL", 1 << 30),
    ("REFERENCE_PIXEL", 1 << 31),
];

const ACS: &[(&str, u64)] = &[
    ("LOST", 1),
    ("FILLED", 2),
    ("BADPIX", 4),
    ("MASKED", 8),
    ("HOT", 16),
    ("UNSTABLE", 32),
    ("WARM", 64),
    ("BADCOL", 128),
    ("SATURATED", 256),
    ("BADREF", 512),
    ("TRAP", 1024),
    ("ATODSAT", 2048),
    ("CRDRIZ", 4096),
    ("CRREJ", 8192),
    ("USER", 16384),
    ("UNUSED", 32768),
];

const WFC3: &[(&str, u64)] = &[
    ("LOST", 1),
    ("FILLED", 2),
    ("BADPIX", 4),
    ("MASKED", 8),
    ("HOT", 16),
    ("CTE", 32),
    ("WARM", 64),
    ("BADBIAS", 128),
    ("SATURATED", 256),
    ("BADREF", 512),
    ("TRAP", 1024),
    ("ATODSAT", 2048),
    ("CRDRIZ", 4096),
    ("CRREJ", 8192),
    ("CRMAX", 16384),
    ("USER", 32768),
];

const WFPC2: &[(&str, u64)] = &[
    ("REED_SOLOMON", 1),
    ("CALIB_DEFECT", 2),
    ("CAMERA_DEFECT", 4),
    ("ATODSAT", 8),
    ("MISSING", 16),
    ("BADPIX", 32),
    ("CHARGE_TRAP", 128),
    ("QUESTIONABLE", 256),
    ("WARM_UNREPAIRED", 512),
    ("WARM_REPAIRED", 1024),
    ("CHIP_MASKED", 2048),
    ("CRDRIZ", 4096),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_are_valid() {
        for (table, n) in [(JWST, 32), (ACS, 16), (WFC3, 16), (WFPC2, 12)] {
            let map = FlagMap::new(table.iter().copied()).unwrap();
            assert_eq!(map.len(), n);
        }
        for (i, (_, v)) in FlagMap::jwst().iter().enumerate() {
            assert_eq!(v, 1u64 << i);
        }
    }

    #[test]
    fn invalid_entries() {
        for (name, value, problem) in [
            ("", 1, FlagMapProblem::InvalidName),
            ("_X", 1, FlagMapProblem::InvalidName),
            ("4", 1, FlagMapProblem::InvalidName),
            ("A B", 1, FlagMapProblem::InvalidName),
            ("none", 1, FlagMapProblem::InvalidName),
            ("Indef", 1, FlagMapProblem::InvalidName),
            ("A", 0, FlagMapProblem::NotPowerOfTwo),
            ("A", 3, FlagMapProblem::NotPowerOfTwo),
        ] {
            let err = FlagMap::new([(name, value)]).unwrap_err();
            assert_eq!(
                err,
                MaskError::FlagMap {
                    name: name.into(),
                    value,
                    problem
                },
                "{name} {value}"
            );
        }
        let err = FlagMap::new([("A", 1), ("a", 1)]).unwrap_err();
        assert!(matches!(
            err,
            MaskError::FlagMap {
                problem: FlagMapProblem::DuplicateName,
                ..
            }
        ));
        // aliases (same value, different names) are allowed; the first is canonical
        let map = FlagMap::new([("A", 2), ("B", 2)]).unwrap();
        assert_eq!(map.name_of(2), Some("A"));
    }
}
