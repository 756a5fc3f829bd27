//! The real data in `../shared/data` beside the repository (see its PROVENANCE.md): present on CI and
//! on the team's machines, never copied into the repo. A test on it skips with a note when the file
//! is absent — except under `CI=true`, where CI always has it, so a missing file fails the test
//! instead of letting it pass without running.

use std::path::PathBuf;

/// The path of `../shared/data/<name>` when present. Absent: `None` with a note on stderr, or a panic
/// under `CI=true`.
pub fn data(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(name);
    if path.exists() {
        return Some(path);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true but {} is missing: CI always has ../shared, so this test may not skip", path.display());
    eprintln!("skipping: {} is not present (it is on CI)", path.display());
    None
}
