//! PostgreSQL over TLS: with `sslmode=verify-full` and the server's CA the connection is encrypted
//! (the server says so), and a server whose certificate the client cannot verify is refused.

use minyi_db::{Db, DbError};

/// The test server's URL and CA file, or why this test cannot run here (a failure under CI).
fn server() -> Option<(String, String)> {
    let (pg, ca) = (std::env::var("MINYI_TEST_PG"), std::env::var("MINYI_TEST_PG_CA"));
    match (pg, ca) {
        (Ok(pg), Ok(ca)) => Some((pg, ca)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI runs `cargo xtask test`, which starts PostgreSQL with TLS: MINYI_TEST_PG and MINYI_TEST_PG_CA must be set"
            );
            eprintln!(
                "skipped: no PostgreSQL with TLS (MINYI_TEST_PG, MINYI_TEST_PG_CA unset; `cargo xtask test` starts one)"
            );
            None
        }
    }
}

fn with(url: &str, params: &str) -> String {
    format!("{url}{}{params}", if url.contains('?') { '&' } else { '?' })
}

fn encrypted(db: &Db) -> Result<bool, DbError> {
    let row = db.read(|c| {
        c.query_opt(
            "SELECT (CASE WHEN ssl THEN 1 ELSE 0 END)::bigint FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
    })?;
    Ok(row.map(|r| r.int(0)).transpose()?.unwrap_or(0) == 1)
}

#[test]
fn verified_tls_is_used_and_an_unverifiable_server_is_refused() {
    let Some((pg, ca)) = server() else { return };
    let tls =
        Db::open_url(&with(&pg, &format!("sslmode=verify-full&sslrootcert={ca}")), "").expect("connects over TLS");
    assert!(encrypted(&tls).expect("reads"), "the server sees an encrypted connection");
    let plain = Db::open_url(&pg, "").expect("connects");
    assert!(!encrypted(&plain).expect("reads"), "without sslmode the connection is plain, as before");
    // The system's roots do not vouch for the test server's self-signed certificate.
    let refused = Db::open_url(&with(&pg, "sslmode=require"), "").expect_err("an unverifiable certificate");
    assert!(refused.0.contains("certificate") || refused.0.contains("Certificate"), "{refused}");
    // A root file that is not there is named.
    let missing = Db::open_url(&with(&pg, "sslmode=require&sslrootcert=/nonexistent/ca.pem"), "").expect_err("no file");
    assert!(missing.0.contains("/nonexistent/ca.pem"), "{missing}");
}
