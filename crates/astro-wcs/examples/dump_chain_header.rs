//! Print `to_header()` of the distortion-chain fixture (used to check that astropy reads
//! our lookup-table record cards back): `cargo run -p astro-wcs --example dump_chain_header`.

use astro_wcs::{Header, LookupTable, Wcs};
use ndarray::Array2;
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/distortion_chain.json"
    ))?;
    let v: Value = serde_json::from_str(&text)?;
    let cards: String = v["header_cards"]
        .as_array()
        .ok_or("cards")?
        .iter()
        .filter_map(|c| c.as_str().map(|s| format!("{s}\n")))
        .collect();
    let header = Header::parse_text(&cards)?;
    let mut tables = Vec::new();
    for t in v["tables"].as_array().ok_or("tables")? {
        let shape: Vec<usize> = t["shape"]
            .as_array()
            .ok_or("shape")?
            .iter()
            .filter_map(|s| s.as_u64().map(|u| u as usize))
            .collect();
        let data: Vec<f64> = t["data"]
            .as_array()
            .ok_or("data")?
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        let mut h = Header::new();
        for (k, val) in t["header"].as_object().ok_or("header")? {
            h.set(k, val.as_f64().ok_or("value")?);
        }
        tables.push(LookupTable {
            extname: t["extname"].as_str().ok_or("extname")?.to_string(),
            extver: t["extver"].as_i64().ok_or("extver")?,
            header: h,
            data: Array2::from_shape_vec((shape[0], shape[1]), data)?,
        });
    }
    let wcs = Wcs::from_header_with_tables(&header, ' ', &tables)?;
    let bytes = wcs.to_header()?.to_bytes()?;
    for card in bytes.chunks(80) {
        let s = String::from_utf8_lossy(card);
        if s.trim().is_empty() {
            break;
        }
        println!("{}", s.trim_end());
    }
    Ok(())
}
