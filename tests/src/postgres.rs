//! The test PostgreSQL server (`cargo xtask test` starts one and sets `MINYI_TEST_PG`) and a fresh,
//! empty database on it per test.

use std::sync::atomic::{AtomicU32, Ordering};

/// The server's URL; `None` (with a note) outside `cargo xtask test`; under CI a missing server fails.
pub fn server() -> Option<String> {
    match std::env::var("MINYI_TEST_PG") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => panic!("MINYI_TEST_PG is not set: run `cargo xtask test`"),
        Err(_) => {
            eprintln!("skipped: no PostgreSQL (MINYI_TEST_PG unset; `cargo xtask test` starts one)");
            None
        }
    }
}

/// Creates an empty database named after `prefix`, the process and a counter (dropping a stale one of
/// that name); its URL. Panics when the server does not answer: a test cannot go on without it.
pub fn fresh_database(server: &str, prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = postgres::Client::connect(server, postgres::NoTls).expect("the test PostgreSQL server answers");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).expect("drops a stale database");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("creates a database");
    let (base, _) = server.rsplit_once('/').expect("a URL ending in /database");
    format!("{base}/{name}")
}
