//! The compile cache ([`HostConfig::compile_cache`](crate::HostConfig::compile_cache)):
//! compiled components kept on disk so that a process loads a connector in milliseconds
//! instead of compiling it.
//!
//! - **Key**: SHA-256 of the component's bytes and of wasmtime's
//!   [`Engine::precompile_compatibility_hash`] (wasmtime version, target, compiler flags, CPU
//!   features, tunables, wasm features). A different component, a different wasmtime or an
//!   engine configured differently never reads another's entry: it computes another file name.
//!   The file is `<dir>/<64 hex digits>.cwasm`.
//! - **Hit**: the file is mapped with [`Component::deserialize_file`]; wasmtime checks its
//!   header (format, version, engine settings) and refuses a file that is not one of its own.
//!   A refused or unreadable file counts as [`CompileCacheStats::rejected`]: the component is
//!   compiled again and the entry overwritten.
//! - **Miss**: the component is compiled, serialized and written to a temporary file in the
//!   same directory, then renamed over the entry, so a reader (another process loading the
//!   same component) sees either no file or a whole one. Failing to write counts as
//!   [`CompileCacheStats::write_failures`] and never fails the load.
//!
//! The import and export checks run on the deserialized component exactly as on a freshly
//! compiled one.
//!
//! # Trust
//!
//! Deserializing runs the file's machine code without verifying it. That is sound here because
//! the cache directory is the host's own: only this host writes into it, each file whole
//! (temporary file + rename), created with mode 0700 when the host creates it. What a crash or a
//! full disk can leave (a truncated or empty file; never a half-renamed one) fails wasmtime's
//! checks and is recompiled. Whoever can write into the directory can run native code in the
//! host's process: point `compile_cache` only at a directory no one else can write.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// What the compile cache of one host has done since the host was created
/// ([`ConnectorHost::compile_cache_stats`](crate::ConnectorHost::compile_cache_stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompileCacheStats {
    /// Loads served from the cache.
    pub hits: u64,
    /// Loads that compiled because the cache had no entry (or a rejected one).
    pub misses: u64,
    /// Entries that existed but could not be used (corrupt, truncated, foreign): compiled again
    /// and overwritten. Each is also a miss.
    pub rejected: u64,
    /// Entries that could not be written (full disk, permissions). The load itself succeeded.
    pub write_failures: u64,
}

/// The cache of one host: its directory and counters.
pub(crate) struct CompileCache {
    dir: PathBuf,
    hits: AtomicU64,
    misses: AtomicU64,
    rejected: AtomicU64,
    write_failures: AtomicU64,
}

/// Feeds what [`Engine::precompile_compatibility_hash`] hashes into the SHA-256.
struct Sha256Hasher<'a>(&'a mut Sha256);

impl Hasher for Sha256Hasher<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Only the digest is read, never this.
        0
    }
}

/// The cache key of `bytes` compiled by `engine`: 64 hex digits.
pub(crate) fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    use std::hash::Hash;
    let mut sha = Sha256::new();
    sha.update(b"psa-host compile cache v1\0");
    sha.update((bytes.len() as u64).to_le_bytes());
    sha.update(bytes);
    engine
        .precompile_compatibility_hash()
        .hash(&mut Sha256Hasher(&mut sha));
    sha.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl CompileCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            write_failures: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> CompileCacheStats {
        CompileCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            write_failures: self.write_failures.load(Ordering::Relaxed),
        }
    }

    /// The path of the entry for `bytes` compiled by `engine`.
    pub(crate) fn entry(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        self.dir.join(format!("{}.cwasm", cache_key(engine, bytes)))
    }

    /// The component of `bytes`: from the cache when it has a usable entry, else compiled
    /// (and the entry written). Only compiling can fail the load.
    pub(crate) fn load(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
        let entry = self.entry(engine, bytes);
        if entry.is_file() {
            // SAFETY: `entry` is in the host's own cache directory, where only this host
            // writes, each file whole (temporary file + rename; see the module's "Trust").
            // Its name is the hash of these bytes and of this engine's compatibility hash, so
            // it holds this component compiled by an engine configured like this one.
            // wasmtime checks the header and the engine settings and returns an error for
            // anything else (a truncated or foreign file), which is handled below. The file
            // is mapped, not copied: it is replaced only by rename, never written in place,
            // so the mapping stays valid.
            match unsafe { Component::deserialize_file(engine, &entry) } {
                Ok(component) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(component);
                }
                Err(error) => {
                    self.rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        entry = %entry.display(),
                        error = %format!("{error:#}"),
                        "compile cache entry rejected; compiling again"
                    );
                }
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let component = Component::new(engine, bytes)?;
        if let Err(error) = component
            .serialize()
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
            .and_then(|compiled| write_atomically(&self.dir, &entry, &compiled))
        {
            self.write_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                entry = %entry.display(),
                %error,
                "compile cache entry not written"
            );
        }
        Ok(component)
    }
}

/// Writes `contents` to `path` through a temporary file in `dir` and a rename: a reader sees
/// no file or the whole one.
fn write_atomically(dir: &Path, path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if !dir.is_dir() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let temporary = dir.join(format!(
        ".{}.{}-{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = std::fs::File::create_new(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}
