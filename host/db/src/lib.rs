//! The two databases Minyi stores in — SQLite (the embedded default) and PostgreSQL (several hosts
//! on one database) — behind one small interface: SQL written once with `$1` placeholders, rows of
//! plain values, and transactions that serialise changes to one key (a district, a day's case numbers).
#![deny(missing_docs)]

mod sqlite;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// A database failure, with the backend named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DbError(pub String);

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError(format!("sqlite: {e}"))
    }
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            // The server's own words: "db error" alone says nothing.
            Some(db) => DbError(format!("postgresql: {}: {}", db.code().code(), db.message())),
            // The cause too (a TLS handshake's reason, a refused connection's): the top alone is vague.
            None => match std::error::Error::source(&e) {
                Some(cause) => DbError(format!("postgresql: {e}: {cause}")),
                None => DbError(format!("postgresql: {e}")),
            },
        }
    }
}

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// A `TEXT` value.
    Text(String),
    /// A `BLOB` (SQLite) or `BYTEA` (PostgreSQL) value.
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Blob(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of one statement: `params![a, b]` is a `&[Value]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::Value::from($v)),*][..] };
}

/// One result row.
#[derive(Debug)]
pub struct Row(Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, DbError> {
        self.0.get(i).ok_or_else(|| DbError(format!("column {i} missing from the row")))
    }

    /// Column `i` as text (NULL refused).
    pub fn text(&self, i: usize) -> Result<String, DbError> {
        self.opt_text(i)?.ok_or_else(|| DbError(format!("column {i} is NULL")))
    }

    /// Column `i` as text or NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(DbError(format!("column {i}: expected text, found {other:?}"))),
        }
    }

    /// Column `i` as an integer.
    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.at(i)? {
            Value::Int(n) => Ok(*n),
            other => Err(DbError(format!("column {i}: expected an integer, found {other:?}"))),
        }
    }

    /// Column `i` as an integer, or `None` when NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Int(n) => Ok(Some(*n)),
            other => Err(DbError(format!("column {i}: expected an integer, found {other:?}"))),
        }
    }

    /// Column `i` as bytes.
    pub fn blob(&self, i: usize) -> Result<Vec<u8>, DbError> {
        match self.at(i)? {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(DbError(format!("column {i}: expected bytes, found {other:?}"))),
        }
    }
}

/// What a statement runs on: a connection, or a transaction of one.
pub trait Conn {
    /// Runs a statement; the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    /// Runs a query; its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    /// Serialises this transaction with every other one that locks `key` (PostgreSQL: an advisory
    /// lock until commit; SQLite: the write lock an immediate transaction already holds).
    fn lock_key(&mut self, key: &str) -> Result<(), DbError>;

    /// The first row, if any.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// Which database, and the connection to it.
pub enum Db {
    /// An SQLite file: transactions group-committed, reads on their own connection.
    Sqlite(Box<sqlite::Sqlite>),
    /// A PostgreSQL server, through a few connections opened as concurrent work needs them.
    Postgres(PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite(_) => "Db::Sqlite",
            Db::Postgres(_) => "Db::Postgres",
        })
    }
}

/// The triggers that keep `table` append-only, in each backend's dialect.
fn append_only(postgres: bool, table: &str) -> String {
    if postgres {
        format!(
            "CREATE OR REPLACE FUNCTION minyi_append_only() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME; END $$;\n\
             CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION minyi_append_only();\n\
             CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION minyi_append_only();\n"
        )
    } else {
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} \
             BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END;\n\
             CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} \
             BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END;\n"
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Db {
    /// Opens an SQLite file (creating it), with WAL so several processes can share it, and
    /// `synchronous=FULL`: a transaction that returned is on disk (WAL's default, `NORMAL`, may lose the
    /// last ones at a power cut, and an answered case must never be lost).
    /// Concurrent transactions are committed together (group commit): each returns only when its
    /// batch is on disk, and a batch costs one sync however many it holds.
    pub fn sqlite(path: &std::path::Path, schema: &str) -> Result<Db, DbError> {
        Ok(Db::Sqlite(Box::new(sqlite::Sqlite::open(path, schema)?)))
    }

    /// Connects to a PostgreSQL server (`postgres://user@host:port/db` or `host=… user=…`) and
    /// creates the schema when new.
    pub fn postgres(url: &str, schema: &str) -> Result<Db, DbError> {
        let mut client = pg_connect(url)?;
        // Several hosts may start at once: one creates the schema, the others wait for it.
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(7345)", &[])?;
        tx.batch_execute(schema)?;
        tx.commit()?;
        Ok(Db::Postgres(PgPool::new(url, client)))
    }

    /// Opens a `postgres://` or `postgresql://` URL, else the SQLite file at that path. In `schema`,
    /// `{serial}` becomes each backend's auto-numbered primary key and `{bytes}` its byte-string type.
    /// A line `{append_only} TABLE` becomes triggers that refuse every UPDATE and DELETE of the table
    /// (and TRUNCATE on PostgreSQL): histories and audit logs are only ever appended to.
    pub fn open_url(db: &str, schema: &str) -> Result<Db, DbError> {
        let postgres = db.starts_with("postgres://") || db.starts_with("postgresql://");
        let schema: String = schema
            .lines()
            .map(|line| match line.trim().strip_prefix("{append_only}") {
                Some(table) => append_only(postgres, table.trim()),
                None => format!("{line}\n"),
            })
            .collect();
        if postgres {
            Db::postgres(db, &schema.replace("{serial}", "BIGSERIAL PRIMARY KEY").replace("{bytes}", "BYTEA"))
        } else {
            let schema = schema.replace("{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT").replace("{bytes}", "BLOB");
            Db::sqlite(std::path::Path::new(db), &schema)
        }
    }

    /// Which database: `sqlite` or `postgresql`.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgresql",
        }
    }

    /// Runs `f` on the connection, its changes committed when it returns (on SQLite: as one
    /// transaction, committed with whatever runs at the same moment; on PostgreSQL: each statement on
    /// its own).
    pub fn run<T, E: From<DbError>>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T, E>) -> Result<T, E> {
        match self {
            Db::Sqlite(db) => db.transaction(f),
            Db::Postgres(pool) => f(pool.client()?.get()?),
        }
    }

    /// Runs `f`, which only reads, on a consistent view of what was committed when it began. On
    /// SQLite it has a connection of its own and never waits behind a commit's sync.
    pub fn read<T, E: From<DbError>>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T, E>) -> Result<T, E> {
        match self {
            Db::Sqlite(db) => db.read(f),
            Db::Postgres(pool) => f(pool.client()?.get()?),
        }
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise. It returns
    /// once the commit is durable. On SQLite, transactions running at the same moment share one
    /// commit (group commit), each in its own savepoint.
    pub fn transaction<T, E: From<DbError>>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T, E>) -> Result<T, E> {
        match self {
            Db::Sqlite(db) => db.transaction(f),
            Db::Postgres(pool) => {
                let mut client = pool.client()?;
                let mut tx = client.get()?.transaction().map_err(DbError::from)?;
                let out = f(&mut tx)?;
                tx.commit().map_err(DbError::from)?;
                Ok(out)
            }
        }
    }
}

/// At most this many connections to PostgreSQL per [`Db`]: concurrent requests no longer queue behind
/// one connection, and an idle host holds one.
const PG_CONNECTIONS: usize = 4;

/// A few PostgreSQL connections: the first opened with the [`Db`], the others when every open one
/// is busy.
pub struct PgPool {
    url: String,
    slots: Vec<Mutex<Option<postgres::Client>>>,
    next: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL: it may hold a password.
        f.debug_struct("PgPool").field("slots", &self.slots.len()).finish_non_exhaustive()
    }
}

/// A connection of the pool, held until dropped.
struct PgClient<'a>(MutexGuard<'a, Option<postgres::Client>>);

impl PgClient<'_> {
    fn get(&mut self) -> Result<&mut postgres::Client, DbError> {
        self.0.as_mut().ok_or_else(|| DbError("postgresql: no connection".into()))
    }
}

impl PgPool {
    fn new(url: &str, first: postgres::Client) -> PgPool {
        let mut slots: Vec<_> = (0..PG_CONNECTIONS).map(|_| Mutex::new(None)).collect();
        slots[0] = Mutex::new(Some(first));
        PgPool { url: url.to_owned(), slots, next: Default::default() }
    }

    /// An idle open connection; else a new one in a free slot; else the next slot's, when it is free.
    fn client(&self) -> Result<PgClient<'_>, DbError> {
        let free = |open: bool| {
            self.slots.iter().find_map(|slot| match slot.try_lock() {
                Ok(guard) if guard.is_some() == open => Some(guard),
                _ => None,
            })
        };
        let mut guard = match free(true).or_else(|| free(false)) {
            Some(guard) => guard,
            None => {
                let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.slots.len();
                lock(&self.slots[i])
            }
        };
        // A connection the server closed (a restart, an idle timeout) is replaced.
        if guard.as_ref().is_none_or(postgres::Client::is_closed) {
            *guard = Some(pg_connect(&self.url)?);
        }
        Ok(PgClient(guard))
    }
}

/// Connects over TLS when the URL asks for it (`sslmode=require`, or libpq's `verify-ca` and
/// `verify-full`, which mean the same here): the server's certificate is always verified, against
/// `sslrootcert=FILE` (PEM) when given, else the system's roots, and must name the host. Without
/// `sslmode`, or with `disable` or `prefer`, the connection is plain.
fn pg_connect(url: &str) -> Result<postgres::Client, DbError> {
    let (url, mode, rootcert) = tls_params(url);
    if !matches!(mode.as_deref(), Some("require" | "verify-ca" | "verify-full")) {
        let config: postgres::Config = url.parse()?;
        let remote = config.get_hosts().iter().any(|h| match h {
            postgres::config::Host::Tcp(name) => !matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1"),
            _ => false,
        });
        if remote {
            tracing::warn!("PostgreSQL over the network without TLS: add sslmode=verify-full&sslrootcert=FILE");
        }
        return Ok(config.connect(postgres::NoTls)?);
    }
    let mut roots = rustls::RootCertStore::empty();
    let certs: Vec<rustls_pki_types::CertificateDer<'static>> = match &rootcert {
        Some(file) => {
            use rustls_pki_types::pem::PemObject as _;
            rustls_pki_types::CertificateDer::pem_file_iter(file)
                .and_then(|certs| certs.collect::<Result<_, _>>())
                .map_err(|e| DbError(format!("postgresql: sslrootcert {file}: {e}")))?
        }
        None => rustls_native_certs::load_native_certs().certs,
    };
    for cert in certs {
        roots.add(cert).map_err(|e| DbError(format!("postgresql: a root certificate is unusable: {e}")))?;
    }
    if roots.is_empty() {
        return Err(DbError("postgresql: sslmode=require, but no root certificate to verify the server with".into()));
    }
    // ring, not aws-lc (which needs cmake to build); it lacks only post-quantum key exchange, which
    // PostgreSQL servers do not offer either.
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError(format!("postgresql: TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(postgres::Client::connect(&url, tokio_postgres_rustls::MakeRustlsConnect::new(config))?)
}

/// Takes what the driver does not read from a connection URL: `sslrootcert`, and `sslmode` values
/// beyond its own (`verify-ca` and `verify-full` become `require`). The URL left, the mode and the
/// root-certificate file.
fn tls_params(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None, None) };
    let (mut mode, mut rootcert, mut kept) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslrootcert", file)) => rootcert = Some(file.to_owned()),
            Some(("sslmode", m)) => {
                mode = Some(m.to_owned());
                let m = if m.starts_with("verify-") { "require" } else { m };
                kept.push(format!("sslmode={m}"));
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (url, mode, rootcert)
}

/// The `VALUES` list of a multi-row insert: `rows` rows, each the `shared` parameters `$1 … $shared`
/// (the same for every row) followed by `per_row` of its own, numbered on in row order —
/// `values_rows(2, 1, 2)` is `($1, $2, $3), ($1, $4, $5)`. One statement writes them all, and the rows
/// get their ids in that order.
pub fn values_rows(rows: usize, shared: usize, per_row: usize) -> String {
    let mut out = String::with_capacity(rows * (shared + per_row) * 5);
    for i in 0..rows {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('(');
        let own = (0..per_row).map(|k| shared + 1 + i * per_row + k);
        for (n, p) in (1..=shared).chain(own).enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&p.to_string());
        }
        out.push(')');
    }
    out
}

/// `$1` placeholders as SQLite's `?1`.
fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// A parameter as SQLite binds it: borrowed, never copied.
impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ValueRef;
        Ok(rusqlite::types::ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// An SQLite connection, or a transaction of one (which derefs to its connection).
struct SqliteConn<'a>(&'a rusqlite::Connection);

impl Conn for SqliteConn<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let n = self.0.prepare_cached(&sqlite_sql(sql))?.execute(rusqlite::params_from_iter(params))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.0.prepare_cached(&sqlite_sql(sql))?;
        let width = stmt.column_count();
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            let mut row = Vec::with_capacity(width);
            for i in 0..width {
                row.push(match r.get::<_, rusqlite::types::Value>(i)? {
                    rusqlite::types::Value::Null => Value::Null,
                    rusqlite::types::Value::Integer(n) => Value::Int(n),
                    rusqlite::types::Value::Real(x) => Value::Text(x.to_string()),
                    rusqlite::types::Value::Text(s) => Value::Text(s),
                    rusqlite::types::Value::Blob(b) => Value::Blob(b),
                });
            }
            Ok(Row(row))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn lock_key(&mut self, _key: &str) -> Result<(), DbError> {
        Ok(())
    }
}

/// NULL for a parameter of any type.
#[derive(Debug)]
struct PgNull;

impl postgres::types::ToSql for PgNull {
    fn to_sql(
        &self,
        _: &postgres::types::Type,
        _: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(postgres::types::IsNull::Yes)
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn pg_params(params: &[Value]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Value::Null => Box::new(PgNull),
                Value::Int(n) => Box::new(*n),
                Value::Text(s) => Box::new(s.clone()),
                Value::Blob(b) => Box::new(b.clone()),
            }
        })
        .collect()
}

fn pg_row(row: &postgres::Row) -> Result<Row, DbError> {
    use postgres::types::Type;
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?.map_or(Value::Null, |n| Value::Int(n.into()))
        } else if *ty == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)?.map_or(Value::Null, Value::Blob)
        } else {
            row.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text)
        };
        out.push(value);
    }
    Ok(Row(out))
}

fn pg_execute(c: &mut impl postgres::GenericClient, sql: &str, params: &[Value]) -> Result<u64, DbError> {
    let owned = pg_params(params);
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = owned.iter().map(|b| &**b).collect();
    Ok(c.execute(sql, &refs)?)
}

fn pg_query(c: &mut impl postgres::GenericClient, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
    let owned = pg_params(params);
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = owned.iter().map(|b| &**b).collect();
    c.query(sql, &refs)?.iter().map(pg_row).collect()
}

impl Conn for postgres::Client {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        pg_execute(self, sql, params)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        pg_query(self, sql, params)
    }

    fn lock_key(&mut self, _key: &str) -> Result<(), DbError> {
        // Outside a transaction a lock would be released at once: nothing to serialise.
        Ok(())
    }
}

impl Conn for postgres::Transaction<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        pg_execute(self, sql, params)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        pg_query(self, sql, params)
    }

    fn lock_key(&mut self, key: &str) -> Result<(), DbError> {
        pg_execute(self, "SELECT pg_advisory_xact_lock(hashtext($1))", params![key]).map(drop)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tls_parameters_are_taken_from_the_url() {
        let (url, mode, root) = super::tls_params("postgres://u@h:5/db?sslmode=verify-full&sslrootcert=/ca.pem&x=1");
        assert_eq!(url, "postgres://u@h:5/db?sslmode=require&x=1");
        assert_eq!((mode.as_deref(), root.as_deref()), (Some("verify-full"), Some("/ca.pem")));
        assert_eq!(super::tls_params("postgres://u@h/db"), ("postgres://u@h/db".into(), None, None));
    }

    #[test]
    fn multi_row_values_share_the_first_parameters_and_number_the_rest_in_row_order() {
        assert_eq!(super::values_rows(2, 1, 2), "($1, $2, $3), ($1, $4, $5)");
        assert_eq!(super::values_rows(1, 0, 3), "($1, $2, $3)");
        assert_eq!(super::values_rows(3, 2, 1), "($1, $2, $3), ($1, $2, $4), ($1, $2, $5)");
        assert_eq!(super::values_rows(0, 1, 1), "");
    }

    #[test]
    fn placeholders_become_sqlite_ones() {
        assert_eq!(super::sqlite_sql("a = $1 AND b = $12, '$x'"), "a = ?1 AND b = ?12, '$x'");
    }

    #[test]
    fn sqlite_commits_are_durable_and_shared() {
        let dir = std::env::temp_dir().join(format!("minyi-db-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let db = super::Db::open_url(&dir.join("t.db").display().to_string(), "CREATE TABLE IF NOT EXISTS t (x INT);")
            .expect("opens");
        let super::Db::Sqlite(sqlite) = &db else { panic!("an SQLite path opens SQLite") };
        sqlite.with_writer(|conn| {
            let read = |name: &str| conn.pragma_query_value(None, name, |r| r.get::<_, String>(0)).expect("pragma");
            assert_eq!(read("journal_mode"), "wal");
            // 2 is FULL: every commit is synced before it returns.
            assert_eq!(conn.pragma_query_value(None, "synchronous", |r| r.get::<_, i64>(0)).expect("pragma"), 2);
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
