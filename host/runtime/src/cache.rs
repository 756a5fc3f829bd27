//! The node-local compiled-code cache: a component compiled once by Cranelift is kept as native code on
//! disk, keyed by the SHA-256 of its bytes and the engine's configuration, so the next process that
//! loads the same bytes on the same engine takes milliseconds instead of a compile.
//!
//! Native code is trusted by wasmtime, so the cache is only used when nobody else can write it: the
//! directory and every entry must belong to this process's user and be writable by nobody else
//! (created `0700` / `0600`). Each entry carries the SHA-256 of its code, checked before it is loaded,
//! so a torn or truncated write is a miss, never a crash. Entries are written to a temporary file
//! and renamed, so concurrent processes never see half an entry. Any failure falls back to compiling.

use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The first bytes of every entry (and the format's version).
const MAGIC: &[u8; 16] = b"minyi-cwasm-v1\n\0";
/// Entries kept; the oldest go when a write takes the directory over this.
const MAX_ENTRIES: usize = 64;

/// The environment variable naming the cache directory; `off` (or empty) turns the cache off.
pub const CACHE_DIR_VAR: &str = "MINYI_CACHE_DIR";

/// Why a cache directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The directory could not be created or read.
    #[error("compiled-code cache {dir}: {source}")]
    Io {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Someone other than this user could put native code in it.
    #[error("compiled-code cache {dir}: {problem}; not used")]
    Unsafe {
        /// The directory or entry.
        dir: PathBuf,
        /// What is wrong (owner, mode).
        problem: String,
    },
}

/// Where a component's code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Loaded from the cache.
    Hit,
    /// Compiled now (and written to the cache when possible).
    Compiled,
}

/// A compiled-code cache directory.
#[derive(Debug, Clone)]
pub struct CodeCache {
    dir: PathBuf,
}

impl CodeCache {
    /// The cache at `dir`, created (`0700`) when missing; refused when another user owns it or others
    /// may write to it.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, CacheError> {
        let dir = dir.into();
        let io = |source| CacheError::Io { dir: dir.clone(), source };
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&dir).map_err(io)?;
        }
        let meta = std::fs::metadata(&dir).map_err(io)?;
        if !meta.is_dir() {
            return Err(CacheError::Unsafe { dir, problem: "not a directory".into() });
        }
        owned_and_private(&meta).map_err(|problem| CacheError::Unsafe { dir: dir.clone(), problem })?;
        Ok(Self { dir })
    }

    /// The cache the environment names: `$MINYI_CACHE_DIR`, else `$XDG_CACHE_HOME/minyi`, else
    /// `$HOME/.cache/minyi`. None when it is turned off (`MINYI_CACHE_DIR=off`), when no location is
    /// known, or when the directory cannot be used (logged).
    pub fn from_env() -> Option<Self> {
        let dir = match std::env::var_os(CACHE_DIR_VAR) {
            Some(v) if v.is_empty() || v == "off" => return None,
            Some(v) => PathBuf::from(v),
            None => match (std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME")) {
                (Some(xdg), _) if !xdg.is_empty() => PathBuf::from(xdg).join("minyi"),
                (_, Some(home)) if !home.is_empty() => PathBuf::from(home).join(".cache/minyi"),
                _ => return None,
            },
        };
        match Self::open(&dir) {
            Ok(cache) => Some(cache),
            Err(e) => {
                tracing::warn!(error = %e, "compiling without the compiled-code cache");
                None
            }
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `bytes` as a component of `engine`: from the cache when an entry for these bytes and this
    /// engine's configuration is there and intact, else compiled now and stored. Errors are
    /// compile errors only; a cache that cannot be read or written is logged and passed by.
    pub fn component(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<(Component, Source)> {
        let path = self.entry(engine, bytes);
        match self.read(&path) {
            Ok(Some(code)) => {
                // SAFETY: `code` is exactly what `Component::serialize` wrote under this engine's
                // compatibility key (the key is in the entry's name, its SHA-256 checked above), in a
                // directory only this user can write; wasmtime checks the version and settings again.
                #[allow(unsafe_code)]
                match unsafe { Component::deserialize(engine, &code) } {
                    Ok(component) => return Ok((component, Source::Hit)),
                    Err(e) => {
                        tracing::warn!(entry = %path.display(), error = %format!("{e:#}"), "cached code unusable; compiling")
                    }
                }
            }
            Ok(None) => {}
            Err(problem) => tracing::warn!(entry = %path.display(), %problem, "cached code not used; compiling"),
        }
        let component = Component::new(engine, bytes)?;
        match component.serialize() {
            Ok(code) => {
                if let Err(e) = self.write(&path, &code) {
                    tracing::warn!(entry = %path.display(), error = %e, "cannot write the compiled-code cache");
                }
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot serialize compiled code"),
        }
        Ok((component, Source::Compiled))
    }

    /// The entry for `bytes` on `engine`: the bytes' SHA-256 and the engine's compatibility hash.
    fn entry(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        self.dir.join(format!("{}-{:016x}.cwasm", hex::encode(Sha256::digest(bytes)), h.finish()))
    }

    /// The code of an intact entry, None when there is none, or why it cannot be trusted.
    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>, String> {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        if !meta.is_file() {
            return Err("not a regular file".into());
        }
        owned_and_private(&meta)?;
        let data = std::fs::read(path).map_err(|e| e.to_string())?;
        let body = data.strip_prefix(MAGIC.as_slice()).ok_or("not a cache entry")?;
        let (digest, code) = body.split_at_checked(32).ok_or("truncated")?;
        if Sha256::digest(code).as_slice() != digest {
            return Err("its code does not match its checksum (torn or changed)".into());
        }
        Ok(Some(code.to_vec()))
    }

    /// Writes an entry through a temporary file and a rename, then trims the directory.
    fn write(&self, path: &Path, code: &[u8]) -> std::io::Result<()> {
        let mut file = tempfile::Builder::new().prefix(".tmp-").tempfile_in(&self.dir)?;
        file.write_all(MAGIC)?;
        file.write_all(&Sha256::digest(code))?;
        file.write_all(code)?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        self.trim();
        Ok(())
    }

    /// Removes the oldest entries past [`MAX_ENTRIES`] (a developer's rebuilds leave old ones).
    fn trim(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        if found.len() <= MAX_ENTRIES {
            return;
        }
        found.sort();
        for (_, old) in &found[..found.len() - MAX_ENTRIES] {
            let _ = std::fs::remove_file(old);
        }
    }
}

/// Whether `meta` belongs to this process's user and nobody else may write it.
#[cfg(unix)]
fn owned_and_private(meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt as _;
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!("owned by uid {}, not this user ({me})", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("mode {:o}: others may write to it", meta.mode() & 0o777));
    }
    Ok(())
}

/// Elsewhere the directory's own permissions are the protection.
#[cfg(not(unix))]
fn owned_and_private(_meta: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component there is.
    const EMPTY: &[u8] = b"\0asm\x0d\0\x01\0";

    fn engine() -> Engine {
        Engine::default()
    }

    #[test]
    fn a_second_load_is_a_hit_and_a_damaged_entry_is_compiled_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = CodeCache::open(dir.path().join("c")).expect("cache");
        let engine = engine();
        assert_eq!(cache.component(&engine, EMPTY).expect("compiles").1, Source::Compiled);
        assert_eq!(cache.component(&engine, EMPTY).expect("loads").1, Source::Hit);
        let entry = cache.entry(&engine, EMPTY);
        // A flipped byte of code: the checksum refuses it, the component is compiled again and the
        // entry rewritten.
        let mut data = std::fs::read(&entry).expect("entry");
        let last = data.len() - 1;
        data[last] ^= 1;
        std::fs::write(&entry, &data).expect("write");
        assert_eq!(cache.component(&engine, EMPTY).expect("compiles").1, Source::Compiled);
        assert_eq!(cache.component(&engine, EMPTY).expect("loads").1, Source::Hit);
        // Truncated: the same.
        std::fs::write(&entry, &data[..20]).expect("write");
        assert_eq!(cache.component(&engine, EMPTY).expect("compiles").1, Source::Compiled);
        // Another engine configuration has its own entry.
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let fuel = Engine::new(&config).expect("engine");
        assert_ne!(cache.entry(&fuel, EMPTY), entry);
        assert_eq!(cache.component(&fuel, EMPTY).expect("compiles").1, Source::Compiled);
        // Bad bytes are a compile error, not a cache problem.
        assert!(cache.component(&engine, b"\0asm junk").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_others_may_write_is_not_used() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let open = dir.path().join("open");
        std::fs::create_dir(&open).expect("dir");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let err = CodeCache::open(&open).expect_err("refused");
        assert!(err.to_string().contains("others may write"), "{err}");

        // An entry others may write is passed by (compiled again), and a fresh entry replaces it.
        let cache = CodeCache::open(dir.path().join("c")).expect("cache");
        let engine = engine();
        cache.component(&engine, EMPTY).expect("compiles");
        let entry = cache.entry(&engine, EMPTY);
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        assert_eq!(cache.read(&entry).expect_err("refused"), "mode 666: others may write to it");
        assert_eq!(cache.component(&engine, EMPTY).expect("compiles").1, Source::Compiled);
        assert_eq!(cache.component(&engine, EMPTY).expect("loads").1, Source::Hit);
    }

    #[test]
    fn the_directory_is_trimmed_to_its_entry_budget() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = CodeCache::open(dir.path()).expect("cache");
        for n in 0..MAX_ENTRIES + 3 {
            std::fs::write(dir.path().join(format!("{n:04}.cwasm")), b"x").expect("write");
        }
        cache.trim();
        let left = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(left, MAX_ENTRIES);
    }
}
