//! Data-quality bit flags and masks.
#![forbid(unsafe_code)]
