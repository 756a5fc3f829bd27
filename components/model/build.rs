//! Compiles `data/beijing-divisions.json` into a static table, so components need no JSON parse per call.

use serde::Deserialize;
use std::fmt::Write as _;

#[derive(Deserialize)]
struct Division {
    code: String,
    name: String,
    #[serde(default)]
    streets: Vec<Division>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let src = "data/beijing-divisions.json";
    println!("cargo::rerun-if-changed={src}");
    let districts: Vec<Division> = serde_json::from_str(&std::fs::read_to_string(src)?)?;
    let mut out = String::from(
        "/// Beijing's districts with their township-level units.\npub static DISTRICTS: &[District] = &[\n",
    );
    for d in &districts {
        writeln!(out, "    District {{ code: {:?}, name: {:?}, streets: &[", d.code, d.name)?;
        for s in &d.streets {
            writeln!(out, "        Street {{ code: {:?}, name: {:?} }},", s.code, s.name)?;
        }
        writeln!(out, "    ] }},")?;
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR")?).join("divisions.rs");
    std::fs::write(dest, out)?;
    Ok(())
}
