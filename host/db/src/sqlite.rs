//! SQLite with group commit: transactions that arrive together share one `COMMIT` (one WAL sync),
//! each in its own savepoint, and each returns only once that commit is on disk; reads go to a
//! second connection and never wait behind a sync, and the WAL is copied back into the database
//! file by a thread of its own — the writer only copies what the last checkpoint left, now and then,
//! so that the WAL starts over instead of growing.

use crate::{DbError, SqliteConn, lock};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The oldest a batch gets while members keep arriving: past it, the next member to finish commits
/// it even though others are at the door (they open the next one).
const GATHER: Duration = Duration::from_millis(5);

/// Batches committed between two checkpoints (each one copies what the WAL holds into the database
/// file). SQLite's own default checkpoints at 1000 WAL pages, which a few dozen intakes fill.
const CHECKPOINT_EVERY: u64 = 32;

/// Every this many checkpoints, the writer copies the frames the last one left (those committed
/// while it ran), so the next batch writes the WAL from its start again. A checkpoint running beside
/// a busy writer never catches up with it: without this, under steady intake the WAL only grew (to
/// 486 MB in the intake bench's 9 s) and every commit appended to it.
const FINISH_EVERY: u64 = 4;

/// One SQLite file: a writing connection that batches transactions, a reading one, and a thread
/// that checkpoints the WAL.
pub struct Sqlite {
    writer: Mutex<Writer>,
    reader: Mutex<rusqlite::Connection>,
    /// Transactions waiting for the writer right now: the members a batch may still take in.
    arriving: AtomicUsize,
    /// Batches committed: what the syncs cost, against the transactions they held.
    commits: AtomicU64,
    checkpointer: Checkpointer,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").field("commits", &self.commits.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

struct Writer {
    conn: rusqlite::Connection,
    /// The batch open on `conn` (a `BEGIN IMMEDIATE` not yet committed), if any.
    open: Option<Arc<Batch>>,
}

/// A group of transactions committed together: its result is set once, when its `COMMIT` has ended.
struct Batch {
    opened: Instant,
    done: Mutex<Option<Result<(), DbError>>>,
    committed: Condvar,
}

impl Batch {
    fn new() -> Batch {
        Batch { opened: Instant::now(), done: Mutex::new(None), committed: Condvar::new() }
    }

    fn finish(&self, result: Result<(), DbError>) {
        *lock(&self.done) = Some(result);
        self.committed.notify_all();
    }

    fn is_done(&self) -> bool {
        lock(&self.done).is_some()
    }

    /// Waits for the batch's commit to end; its result.
    fn wait(&self) -> Result<(), DbError> {
        let mut done = lock(&self.done);
        loop {
            if let Some(result) = &*done {
                return result.clone();
            }
            done = self.committed.wait(done).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

fn connect(path: &std::path::Path) -> Result<rusqlite::Connection, DbError> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Statement journals (each savepoint of a batch may need one) in memory, not in temporary files.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoints are the checkpointer's: a commit copies the WAL back only to finish one (`FINISH_EVERY`).
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    // Every statement the stores run stays prepared (rusqlite keeps 16 by default, fewer than intake
    // alone runs, so each case parsed some of its SQL again).
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

/// Runs one statement that takes no parameters and returns no rows, prepared once per connection.
fn exec(conn: &rusqlite::Connection, sql: &str) -> Result<(), DbError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// `PRAGMA wal_checkpoint(PASSIVE)` on `conn`: copies what no reader still needs, waits for nobody. A
/// failure is not a loss (the frames stay in the WAL, which SQLite reads as part of the database).
fn checkpoint(conn: &rusqlite::Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "the WAL checkpoint failed; the next one tries again");
    }
}

/// The thread that checkpoints the WAL into the database file (`PRAGMA wal_checkpoint(PASSIVE)`, on a
/// connection of its own: it never blocks the writer or a reader) every [`CHECKPOINT_EVERY`] batches.
/// Under `synchronous=FULL` a checkpoint syncs the database file; done by a writer, as SQLite does by
/// default, every transaction queued behind it waited for that sync too. Every [`FINISH_EVERY`]
/// checkpoints the writer finishes one, right after a commit.
struct Checkpointer {
    shared: Arc<(Mutex<Wake>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Wake {
    /// Batches committed that no checkpoint has seen yet.
    due: u64,
    stop: bool,
    /// Checkpoints run (for tests).
    runs: u64,
    /// Checkpoints run since the writer last finished one.
    passes: u64,
    /// The last checkpoint has just ended: the frames committed while it ran are all it left to copy.
    tail: bool,
}

impl Checkpointer {
    fn start(path: &std::path::Path) -> Result<Checkpointer, DbError> {
        let conn = connect(path)?;
        let shared = Arc::new((Mutex::new(Wake::default()), Condvar::new()));
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("minyi-sqlite-checkpoint".into())
            .spawn(move || {
                let (wake, bell) = &*theirs;
                loop {
                    let mut w = lock(wake);
                    while w.due < CHECKPOINT_EVERY && !w.stop {
                        w = bell.wait(w).unwrap_or_else(PoisonError::into_inner);
                    }
                    if w.stop {
                        return;
                    }
                    w.due = 0;
                    drop(w);
                    checkpoint(&conn);
                    let mut w = lock(wake);
                    w.runs += 1;
                    w.passes += 1;
                    w.tail = w.passes >= FINISH_EVERY;
                }
            })
            .map_err(|e| DbError(format!("sqlite: cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { shared, thread: Some(thread) })
    }

    /// One more batch committed; whether the writer should now copy what the last checkpoint left
    /// (every [`FINISH_EVERY`] checkpoints).
    fn committed(&self) -> bool {
        let (wake, bell) = &*self.shared;
        let mut w = lock(wake);
        w.due += 1;
        if w.due >= CHECKPOINT_EVERY {
            bell.notify_one();
        }
        let finish = std::mem::take(&mut w.tail);
        if finish {
            w.passes = 0;
        }
        finish
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (wake, bell) = &*self.shared;
        lock(wake).stop = true;
        bell.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Sqlite {
    /// Opens `path` (creating it) and runs `schema` on it.
    pub fn open(path: &std::path::Path, schema: &str) -> Result<Sqlite, DbError> {
        let conn = connect(path)?;
        conn.execute_batch(schema)?;
        let reader = connect(path)?;
        Ok(Sqlite {
            writer: Mutex::new(Writer { conn, open: None }),
            reader: Mutex::new(reader),
            arriving: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            checkpointer: Checkpointer::start(path)?,
        })
    }

    /// Runs `f` in a transaction of its own inside the open batch (opening one if none is), and
    /// returns once the batch holding it is committed — on disk, under `synchronous=FULL`. If `f`
    /// fails, only its own changes are undone; if the commit fails, every member of the batch fails.
    ///
    /// Who commits: the member that finishes while no other transaction is waiting to join (or once
    /// the batch is [`GATHER`] old). The others wait for it without spinning. Every member takes this
    /// decision — one whose `f` failed or panicked too — so a batch is never left open.
    pub fn transaction<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn crate::Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        self.arriving.fetch_add(1, Ordering::SeqCst);
        let mut writer = lock(&self.writer);
        self.arriving.fetch_sub(1, Ordering::SeqCst);
        let batch = match &writer.open {
            Some(batch) => batch.clone(),
            None => {
                exec(&writer.conn, "BEGIN IMMEDIATE")?;
                let batch = Arc::new(Batch::new());
                writer.open = Some(batch.clone());
                batch
            }
        };
        let run = member(&mut writer, f);
        if writer.conn.is_autocommit() {
            // A failure SQLite answers by rolling back the whole transaction took the batch with it.
            writer.open = None;
            batch.finish(Err(DbError("sqlite: the transaction was rolled back".into())));
        }
        let last = self.arriving.load(Ordering::SeqCst) == 0 || batch.opened.elapsed() >= GATHER;
        if last && !batch.is_done() {
            let result = exec(&writer.conn, "COMMIT");
            if result.is_err() && !writer.conn.is_autocommit() {
                let _ = exec(&writer.conn, "ROLLBACK");
            }
            writer.open = None;
            self.commits.fetch_add(1, Ordering::Relaxed);
            batch.finish(result);
            if self.checkpointer.committed() {
                // The checkpointer copied all but the last few batches: copying those too lets the
                // next batch write the WAL from its start again ([`FINISH_EVERY`]).
                checkpoint(&writer.conn);
            }
            drop(writer);
        } else {
            drop(writer);
        }
        let out = match run {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(out) => out?,
        };
        batch.wait().map(|()| out).map_err(E::from)
    }

    /// Runs `f` on the reading connection in one read transaction: what was committed when it began.
    pub fn read<T, E: From<DbError>>(&self, f: impl FnOnce(&mut dyn crate::Conn) -> Result<T, E>) -> Result<T, E> {
        let mut conn = lock(&self.reader);
        let tx = conn.transaction().map_err(DbError::from)?;
        let out = f(&mut SqliteConn(&tx))?;
        tx.commit().map_err(DbError::from)?;
        Ok(out)
    }

    /// How many batches have been committed.
    #[cfg(test)]
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// How many checkpoints the checkpointer has run.
    #[cfg(test)]
    pub(crate) fn checkpoints(&self) -> u64 {
        lock(&self.checkpointer.shared.0).runs
    }

    /// The writing connection, for tests of its settings.
    #[cfg(test)]
    pub(crate) fn with_writer<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        f(&lock(&self.writer).conn)
    }
}

/// Runs `f` in a savepoint of the open batch: released when it returns `Ok`, rolled back otherwise
/// (a panic included, handed back to go on once the batch is seen to).
fn member<T, E: From<DbError>>(
    writer: &mut Writer,
    f: impl FnOnce(&mut dyn crate::Conn) -> Result<T, E>,
) -> std::thread::Result<Result<T, E>> {
    if let Err(e) = exec(&writer.conn, "SAVEPOINT member") {
        return Ok(Err(E::from(e)));
    }
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut SqliteConn(&writer.conn))));
    let ended = match &run {
        Ok(Ok(_)) => exec(&writer.conn, "RELEASE member"),
        _ => exec(&writer.conn, "ROLLBACK TO member").and_then(|()| exec(&writer.conn, "RELEASE member")),
    };
    run.map(|out| match ended {
        Ok(()) => out,
        Err(e) => Err(E::from(e)),
    })
}

#[cfg(test)]
mod tests {
    use crate::{Conn, Db, DbError, params};
    use std::sync::{Arc, Barrier};

    fn open(dir: &tempfile::TempDir) -> Db {
        let path = dir.path().join("t.db").display().to_string();
        Db::open_url(&path, "CREATE TABLE IF NOT EXISTS t (x BIGINT PRIMARY KEY);").expect("opens")
    }

    fn count(db: &Db) -> i64 {
        db.read(|c| c.query_opt("SELECT COUNT(*) FROM t", &[])).expect("reads").map_or(0, |r| r.int(0).expect("int"))
    }

    fn insert(c: &mut dyn Conn, x: i64) -> Result<(), DbError> {
        c.execute("INSERT INTO t (x) VALUES ($1)", params![x]).map(drop)
    }

    #[test]
    fn concurrent_transactions_share_commits_and_all_land() {
        let dir = tempfile::tempdir().expect("dir");
        let db = Arc::new(open(&dir));
        let (threads, rounds) = (16, 20);
        let start = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (db, start) = (db.clone(), start.clone());
                std::thread::spawn(move || {
                    for r in 0..rounds {
                        start.wait();
                        db.transaction(|c| insert(c, (t * rounds + r) as i64)).expect("commits");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("a writer");
        }
        let total = (threads * rounds) as i64;
        assert_eq!(count(&db), total, "every transaction that returned is committed");
        let Db::Sqlite(sqlite) = &*db else { panic!("SQLite") };
        let commits = sqlite.commits() as i64;
        assert!(commits < total, "{total} transactions arriving 16 at a time took {commits} commits");
        // And they are durable: a new connection on the file sees them all.
        drop(db);
        assert_eq!(count(&open(&dir)), total);
    }

    #[test]
    fn under_steady_writes_the_wal_starts_over_instead_of_growing() {
        let dir = tempfile::tempdir().expect("dir");
        let db = Arc::new(open(&dir));
        db.transaction(|c| c.execute("CREATE TABLE w (x BIGINT PRIMARY KEY, pad TEXT NOT NULL)", &[])).expect("table");
        // Four writers without a pause: two pages a row, 48 MB of pages in all (without the writer
        // finishing checkpoints, the WAL ended at ~80 MB; with it, ~6 MB).
        let (writers, rows) = (4i64, 1_500i64);
        let threads: Vec<_> = (0..writers)
            .map(|t| {
                let db = Arc::clone(&db);
                std::thread::spawn(move || {
                    for i in 0..rows {
                        let pad = "x".repeat(6_000);
                        db.transaction(|c| {
                            c.execute("INSERT INTO w (x, pad) VALUES ($1, $2)", params![t * rows + i, pad])
                        })
                        .expect("commits");
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("writer"));
        let wal = std::fs::metadata(dir.path().join("t.db-wal")).expect("WAL").len();
        assert!(wal < 24 << 20, "the WAL started over: {wal} bytes after 48 MB of pages");
        let n = db.read(|c| c.query_opt("SELECT COUNT(*) FROM w", &[])).expect("reads").map(|r| r.int(0).expect("int"));
        assert_eq!(n, Some(writers * rows));
    }

    #[test]
    fn the_wal_is_copied_into_the_database_by_the_checkpointer_not_by_a_writer() {
        let dir = tempfile::tempdir().expect("dir");
        let db = open(&dir);
        let Db::Sqlite(sqlite) = &db else { panic!("SQLite") };
        let auto: i64 =
            sqlite.with_writer(|c| c.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))).expect("pragma");
        assert_eq!(auto, 0, "a commit never checkpoints while it holds the writer");
        let file = dir.path().join("t.db");
        // Until a checkpoint, what is written (the table's pages) is in the WAL alone.
        let before = std::fs::metadata(&file).expect("db file").len();
        for x in 0..(3 * super::CHECKPOINT_EVERY) as i64 {
            db.transaction(|c| insert(c, x)).expect("commits");
        }
        let waited = std::time::Instant::now();
        while sqlite.checkpoints() == 0 && waited.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(sqlite.checkpoints() >= 1, "the checkpointer ran");
        let after = std::fs::metadata(&file).expect("db file").len();
        assert!(after > before, "the checkpoint wrote the table into the database file ({before} → {after} bytes)");
        assert_eq!(count(&db), 3 * super::CHECKPOINT_EVERY as i64);
        drop(db);
        assert_eq!(count(&open(&dir)), 3 * super::CHECKPOINT_EVERY as i64, "all of it, reopened");
    }

    #[test]
    fn a_failing_or_panicking_member_undoes_only_itself() {
        let dir = tempfile::tempdir().expect("dir");
        let db = Arc::new(open(&dir));
        db.transaction(|c| insert(c, 1)).expect("commits");
        // A failure after a write: the write is undone, the next transaction is unharmed.
        let failed = db.transaction(|c| {
            insert(c, 2)?;
            insert(c, 1)
        });
        assert!(failed.is_err(), "the duplicate key fails");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            db.transaction(|c| -> Result<(), DbError> {
                insert(c, 3)?;
                panic!("a member panics mid-transaction")
            })
        }));
        assert!(panicked.is_err());
        db.transaction(|c| insert(c, 4)).expect("commits");
        let rows = db.read(|c| c.query("SELECT x FROM t ORDER BY x", &[])).expect("reads");
        let xs: Vec<i64> = rows.iter().map(|r| r.int(0).expect("int")).collect();
        assert_eq!(xs, [1, 4], "neither the failed nor the panicked member's write is kept");
    }
}
