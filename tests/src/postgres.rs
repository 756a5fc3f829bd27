//! The test PostgreSQL server (`cargo xtask test` starts one and sets `MINYI_TEST_PG`), a fresh,
//! empty database on it per test, and the [`Backend`] a store test runs on, each test on both.

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

/// Which database a test runs on: an SQLite file (the embedded default) or PostgreSQL (several hosts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

impl Backend {
    /// A fresh, empty database: `{prefix}.db` in `dir`, or a PostgreSQL database named after `prefix`;
    /// its path or URL. `None` when there is no PostgreSQL server here (see [`server`]).
    pub fn database(self, dir: &std::path::Path, prefix: &str) -> Option<String> {
        match self {
            Backend::Sqlite => Some(dir.join(format!("{prefix}.db")).to_string_lossy().into_owned()),
            Backend::Postgres => Some(fresh_database(&server()?, prefix)),
        }
    }

    /// The name the stores report as their backend.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// Runs each listed `fn name(Backend)` twice: as `sqlite::name` and as `postgresql::name`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name($crate::postgres::Backend::Sqlite) })*
        }
        mod postgresql {
            $(#[test] fn $name() { super::$name($crate::postgres::Backend::Postgres) })*
        }
    };
}
