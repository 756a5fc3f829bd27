//! Every artifact is a component whose only imports are the ones its world grants (none), exporting its interface.

use wasmparser::{Encoding, Parser, Payload};

/// Fails to compile unless this file has a test named after every component.
macro_rules! assert_test_exists {
    ($name:ident) => {
        #[allow(unused_imports)]
        use self::$name as _;
    };
}
minyi_artifacts::foreach_component!(assert_test_exists);

/// Top-level imports and exports of a component binary.
fn inspect(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut depth = 0usize;
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut first = true;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.expect("the artifact parses");
        if first {
            let Payload::Version { encoding, .. } = &payload else { panic!("no version header") };
            assert_eq!(*encoding, Encoding::Component, "the artifact is a component, not a core module");
            first = false;
            continue;
        }
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(s) if depth == 0 => {
                for i in s {
                    imports.push(i.expect("import").name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(s) if depth == 0 => {
                for e in s {
                    exports.push(e.expect("export").name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

fn check(bytes: &[u8], export: &str) {
    // The world exports its vocabulary (`types`) so that it needs nothing from the host.
    check_exports(bytes, &["minyi:casework/types@0.1.0", export]);
}

fn check_exports(bytes: &[u8], want: &[&str]) {
    let (imports, exports) = inspect(bytes);
    eprintln!("{} bytes; imports {imports:?}; exports {exports:?}", bytes.len());
    assert_eq!(imports, Vec::<String>::new(), "a component imports nothing its world does not grant");
    assert_eq!(exports, want);
}

#[test]
fn validator() {
    check(minyi_artifacts::VALIDATOR_BYTES, "minyi:casework/validation@0.1.0");
}

#[test]
fn router() {
    // `minyi:casework`'s router world, and context routing from its own package.
    check_exports(
        minyi_artifacts::ROUTER_BYTES,
        &["minyi:casework/types@0.1.0", "minyi:casework/routing@0.1.0", "minyi:router/context-routing@0.1.0"],
    );
}

#[test]
fn scorer() {
    check(minyi_artifacts::SCORER_BYTES, "minyi:casework/scoring@0.1.0");
}

/// The classifier's package is its own (`minyi:classifier`), with its vocabulary inside its interface.
#[test]
fn classifier() {
    check_exports(minyi_artifacts::CLASSIFIER_BYTES, &["minyi:classifier/classification@0.1.0"]);
}

#[test]
fn test_trap_validator() {
    check(minyi_test_artifacts::TEST_TRAP_VALIDATOR_BYTES, "minyi:casework/validation@0.1.0");
}

#[test]
fn paths_hold_the_same_bytes() {
    for (name, path, bytes) in minyi_artifacts::ALL {
        assert_eq!(std::fs::read(path).expect("artifact file exists"), *bytes, "{name}");
    }
}
