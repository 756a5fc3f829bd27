//! Compiles the reference data (`data/beijing-divisions.json`, `data/categories.toml`, `data/phrases.toml`)
//! into static tables, so components need no parse per call.

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
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("divisions.rs"), out)?;
    std::fs::write(out_dir.join("categories.rs"), categories()?)?;
    std::fs::write(out_dir.join("phrases.rs"), phrases()?)?;
    Ok(())
}

/// Every node of the category tree, sorted by code, as `Category` literals.
fn categories() -> Result<String, Box<dyn std::error::Error>> {
    let src = "data/categories.toml";
    println!("cargo::rerun-if-changed={src}");
    let tree: toml::Table = toml::from_str(&std::fs::read_to_string(src)?)?;
    let text = |t: &toml::Table, k: &str, code: &str| -> Result<String, String> {
        t.get(k).and_then(toml::Value::as_str).map(str::to_owned).ok_or_else(|| format!("{src}: {code} has no `{k}`"))
    };
    let mut nodes: Vec<(String, String, String, u8)> = Vec::new();
    for (c1, v1) in &tree {
        let t1 = v1.as_table().ok_or_else(|| format!("{src}: {c1} is not a table"))?;
        nodes.push((c1.clone(), text(t1, "zh", c1)?, text(t1, "en", c1)?, 1));
        for (c2, v2) in t1.iter().filter(|(_, v)| v.is_table()) {
            let t2 = v2.as_table().ok_or("unreachable")?;
            let code2 = format!("{c1}.{c2}");
            nodes.push((code2.clone(), text(t2, "zh", &code2)?, text(t2, "en", &code2)?, 2));
            let leaves = t2
                .get("leaves")
                .and_then(toml::Value::as_array)
                .ok_or_else(|| format!("{src}: {code2} has no leaves"))?;
            for leaf in leaves {
                let parts: Vec<&str> =
                    leaf.as_array().map(|a| a.iter().filter_map(toml::Value::as_str).collect()).unwrap_or_default();
                let [c3, zh, en] = parts[..] else {
                    return Err(format!("{src}: a leaf of {code2} is not [code, zh, en]").into());
                };
                nodes.push((format!("{code2}.{c3}"), zh.to_owned(), en.to_owned(), 3));
            }
        }
    }
    nodes.sort();
    let mut out =
        String::from("/// Every node of the category tree, sorted by code.\npub static CATEGORIES: &[Category] = &[\n");
    for (code, zh, en, level) in nodes {
        writeln!(out, "    Category {{ code: {code:?}, zh_cn: {zh:?}, en: {en:?}, level: {level} }},")?;
    }
    out.push_str("];\n");
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseFile {
    list: Vec<PhraseList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseList {
    name: String,
    #[serde(default)]
    redirect: Option<Redirect>,
    keywords: Vec<String>,
    #[serde(default)]
    unless: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Redirect {
    to: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
    en: String,
}

/// The emergency and out-of-scope phrase lists, in file order, as `PhraseList` literals.
fn phrases() -> Result<String, Box<dyn std::error::Error>> {
    let src = "data/phrases.toml";
    println!("cargo::rerun-if-changed={src}");
    let file: PhraseFile = toml::from_str(&std::fs::read_to_string(src)?).map_err(|e| format!("{src}: {e}"))?;
    let mut out = String::from(
        "/// The phrase lists of `data/phrases.toml`, in file order.\npub static LISTS: &[PhraseList] = &[\n",
    );
    for l in &file.list {
        if l.keywords.iter().chain(&l.unless).any(|w| w.trim().is_empty()) {
            return Err(format!("{src}: list {:?} has an empty word", l.name).into());
        }
        let redirect = match &l.redirect {
            Some(r) => format!("Some(PhraseRedirect {{ to: {:?}, zh_cn: {:?}, en: {:?} }})", r.to, r.zh_cn, r.en),
            None => "None".to_owned(),
        };
        writeln!(
            out,
            "    PhraseList {{ name: {:?}, redirect: {redirect}, keywords: &{:?}, unless: &{:?} }},",
            l.name, l.keywords, l.unless
        )?;
    }
    out.push_str("];\n");
    Ok(out)
}
