//! AstroDrizzle-style pipelines and the `astro` command-line tool.
//!
//! **Status: not yet implemented.** This crate will compose the other astro-* crates
//! (issue "astro-pipeline"): AstroDrizzle's seven steps with every parameter, a typed
//! configuration with AstroDrizzle's defaults, the `astro drizzle` and `astro demo`
//! commands, and the products (SCI, WHT, CTX) written through `astro-fits`.
#![forbid(unsafe_code)]
