//! The WIT package's semver holds: `wit/released/casework.wit` is the last released interface, and the
//! working `wit/casework.wit` may add to it only with a minor version bump and change or remove
//! anything in it only with a major one. Items are compared after wit-component prints both packages
//! the same way (docs left out: rewording a comment changes nothing).

use std::collections::BTreeMap;
use std::path::Path;

/// A version `major.minor.patch`.
type Version = (u64, u64, u64);

/// A package's version and its items: `interface types / record case-form` → its printed text.
struct Package {
    version: Version,
    items: BTreeMap<String, String>,
}

fn package(name: &str, wit: &str) -> Package {
    let mut resolve = wit_parser::Resolve::default();
    let id = resolve.push_str(name, wit).unwrap_or_else(|e| panic!("{name} parses: {e:#}"));
    let version = resolve.packages[id].name.version.as_ref().unwrap_or_else(|| panic!("{name} has a version"));
    let mut printer = wit_component::WitPrinter::default();
    printer.emit_docs(false);
    printer.print(&resolve, id, &[]).expect("prints");
    Package { version: (version.major, version.minor, version.patch), items: items(&printer.output.to_string()) }
}

/// Splits a printed package into its items: each top-level `interface`/`world` block, and inside it
/// each type, function, `use`, import and export (a block item, such as a record, with its body).
fn items(printed: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let (mut block, mut item): (Option<String>, Option<(String, String)>) = (None, None);
    let flush = |item: &mut Option<(String, String)>, out: &mut BTreeMap<String, String>| {
        if let Some((key, text)) = item.take() {
            out.insert(key, text);
        }
    };
    for line in printed.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("package ") {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            flush(&mut item, &mut out);
            if trimmed == "}" {
                block = None;
            } else {
                let head = trimmed.trim_end_matches('{').trim().to_owned();
                out.insert(head.clone(), String::new());
                block = Some(head);
            }
        } else if indent == 2 && trimmed != "}" {
            flush(&mut item, &mut out);
            let name = match trimmed.split_once(':') {
                Some((name, _)) if !trimmed.starts_with("use ") => name.to_owned(),
                _ => trimmed.trim_end_matches('{').trim().to_owned(),
            };
            let key = format!("{} / {name}", block.as_deref().unwrap_or("package"));
            item = Some((key, format!("{trimmed}\n")));
        } else if let Some((_, text)) = item.as_mut() {
            text.push_str(trimmed);
            text.push('\n');
        }
    }
    flush(&mut item, &mut out);
    out
}

/// What changed from `released` to `current`: (removed or changed, added).
fn diff(released: &Package, current: &Package) -> (Vec<String>, Vec<String>) {
    let broken =
        released.items.iter().filter(|(k, v)| current.items.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect();
    let added = current.items.keys().filter(|k| !released.items.contains_key(*k)).cloned().collect();
    (broken, added)
}

/// Why `current`'s version does not fit what changed since `released`, if it does not.
fn verdict(released: &Package, current: &Package) -> Result<(), String> {
    let (r, c) = (released.version, current.version);
    let (broken, added) = diff(released, current);
    if !broken.is_empty() && c.0 <= r.0 {
        return Err(format!(
            "changed or removed since {}.{}.{}: {broken:?} — an incompatible change needs a major version ({}.0.0)",
            r.0,
            r.1,
            r.2,
            r.0 + 1
        ));
    }
    if broken.is_empty() && !added.is_empty() && c.0 == r.0 && c.1 <= r.1 {
        return Err(format!(
            "added since {}.{}.{}: {added:?} — a compatible addition needs a minor version ({}.{}.0)",
            r.0,
            r.1,
            r.2,
            r.0,
            r.1 + 1
        ));
    }
    if c < r {
        return Err(format!("{c:?} is older than the released {r:?}"));
    }
    Ok(())
}

#[test]
fn the_wit_version_says_what_changed_since_the_release() {
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let released = package("released/casework.wit", &read(&wit.join("released/casework.wit")));
    let current = package("casework.wit", &read(&wit.join("casework.wit")));
    assert!(released.items.len() > 50, "the items are read: {:?}", released.items.keys());
    if let Err(why) = verdict(&released, &current) {
        panic!("wit/casework.wit: {why}. Bump `package minyi:casework@…`; on release, copy it to wit/released/.");
    }
    // The hosts speak the version the WIT declares.
    let (major, minor, patch) = current.version;
    assert_eq!(minyi_registry::WIT_PACKAGE, format!("minyi:casework@{major}.{minor}.{patch}"));
}

/// The checker itself: an addition, a change and a removal, each with and without the right bump.
#[test]
fn additions_need_a_minor_version_and_changes_a_major_one() {
    let base = "package a:b@1.2.3;\ninterface i {\n  record r { x: u32 }\n  f: func(r: r) -> string;\n}\nworld w { export i; }\n";
    let released = package("base.wit", base);
    let with = |version: &str, body: &str| package("new.wit", &format!("package a:b@{version};\n{body}"));
    let body = |interface: &str| format!("interface i {{\n{interface}\n}}\nworld w {{ export i; }}\n");

    // Docs and formatting are not changes.
    let same = with("1.2.3", &body("  /// the r\n  record r {\n    x: u32,\n  }\n  f: func(r: r) -> string;"));
    assert_eq!(verdict(&released, &same), Ok(()));
    // A function added: minor.
    let added = body("  record r { x: u32 }\n  f: func(r: r) -> string;\n  g: func() -> u32;");
    assert!(verdict(&released, &with("1.2.4", &added)).is_err_and(|e| e.contains("minor")));
    assert_eq!(verdict(&released, &with("1.3.0", &added)), Ok(()));
    // A record field added, a function's result changed, an interface removed: major.
    for broken in [
        body("  record r { x: u32, y: u32 }\n  f: func(r: r) -> string;"),
        body("  record r { x: u32 }\n  f: func(r: r) -> u32;"),
        "interface j {}\nworld w { export j; }\n".to_owned(),
    ] {
        assert!(verdict(&released, &with("1.3.0", &broken)).is_err_and(|e| e.contains("major")), "{broken}");
        assert_eq!(verdict(&released, &with("2.0.0", &broken)), Ok(()), "{broken}");
    }
}
