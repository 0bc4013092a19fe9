//! Criterion benchmarks of the astro-* crates (`cargo bench -p astro-benches`).
