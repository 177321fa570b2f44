//! `--compile-cache DIR` / `--no-compile-cache`: where the CLI keeps compiled components
//! (`psa_host::HostConfig::compile_cache`). On by default, so only the first run of a
//! component compiles it.

use std::path::PathBuf;

use clap::Args;

/// The compile cache options of a command that loads a component.
#[derive(Debug, Clone, Default, Args)]
pub struct CompileCacheArgs {
    /// Keep compiled components in DIR; default: `$XDG_CACHE_HOME/psa-harness/components`
    /// (else `~/.cache/psa-harness/components`). The directory must be writable by you only:
    /// the host runs the code it finds there.
    #[arg(long, value_name = "DIR", conflicts_with = "no_compile_cache")]
    pub compile_cache: Option<PathBuf>,
    /// Compile the component on every run; read and write no cache.
    #[arg(long)]
    pub no_compile_cache: bool,
}

impl CompileCacheArgs {
    /// The cache directory to use, or `None` for none (disabled, or no home to put it in).
    pub fn dir(&self) -> Option<PathBuf> {
        if self.no_compile_cache {
            return None;
        }
        self.compile_cache
            .clone()
            .or_else(|| default_dir(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME")))
    }
}

/// `$XDG_CACHE_HOME/psa-harness/components`, else `$HOME/.cache/psa-harness/components` (a
/// relative `XDG_CACHE_HOME` is ignored, as the XDG specification says).
fn default_dir(
    xdg_cache_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let base = xdg_cache_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".cache"))
        })?;
    Some(base.join("psa-harness").join("components"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_directory_follows_xdg_then_home() {
        let dir = |xdg: Option<&str>, home: Option<&str>| {
            default_dir(xdg.map(Into::into), home.map(Into::into))
        };
        assert_eq!(
            dir(Some("/x/cache"), Some("/home/a")),
            Some(PathBuf::from("/x/cache/psa-harness/components"))
        );
        assert_eq!(
            dir(Some("relative"), Some("/home/a")),
            Some(PathBuf::from("/home/a/.cache/psa-harness/components"))
        );
        assert_eq!(
            dir(None, Some("/home/a")),
            Some(PathBuf::from("/home/a/.cache/psa-harness/components"))
        );
        assert_eq!(dir(None, None), None);
        let disabled = CompileCacheArgs {
            compile_cache: None,
            no_compile_cache: true,
        };
        assert_eq!(disabled.dir(), None);
        let given = CompileCacheArgs {
            compile_cache: Some("/tmp/c".into()),
            no_compile_cache: false,
        };
        assert_eq!(given.dir(), Some(PathBuf::from("/tmp/c")));
    }
}
