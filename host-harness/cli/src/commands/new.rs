//! `psa-harness new`: a connector crate on the guest SDK, from the template embedded in this
//! binary (`templates/connector/`): it builds for `wasm32-wasip2` outside any workspace, loads in
//! the harness, implements `info`, `open` and `test-connection`, and answers `unsupported` for
//! the rest, each with a `TODO` naming the SDK item to use (see `docs/writing-a-connector.md`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::EXIT_HOST_ERROR;

/// Arguments of `new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The crate's name (lower case letters, digits, `-`, `_`), e.g. `acme-connector`; also the
    /// connector's name in `info`.
    pub name: String,
    /// Where to create the crate (a new or empty directory); default: `./NAME`.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The PSA product's name as `info` shows it; default: from NAME (`acme-connector` → "Acme
    /// PSA").
    #[arg(long)]
    pub psa_name: Option<String>,
    /// The guest SDK crate (`plugin/sdk` of a psa-connector checkout) the crate depends on by
    /// path; default: the one this binary was built from.
    #[arg(long)]
    pub sdk: Option<PathBuf>,
}

/// The template: (path in the new crate, content). `{{name}}`, `{{psa_name}}`, `{{sdk_path}}`
/// and `{{artifact}}` are replaced.
const TEMPLATE: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/connector/Cargo.toml.tmpl"),
    ),
    (
        "rust-toolchain.toml",
        include_str!("../../templates/connector/rust-toolchain.toml.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/connector/gitignore.tmpl"),
    ),
    (
        "settings.example.json",
        include_str!("../../templates/connector/settings.example.json.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/connector/README.md.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/connector/src/lib.rs.tmpl"),
    ),
];

/// The SDK this binary was built from.
const BUILT_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugin/sdk");

/// What `new` created.
#[derive(Debug)]
pub struct Created {
    /// The crate's directory.
    pub dir: PathBuf,
    /// The component's path once built: `target/wasm32-wasip2/release/<name with _>.wasm`,
    /// relative to `dir`.
    pub artifact: String,
    /// The SDK it depends on (absolute).
    pub sdk: PathBuf,
}

/// Runs `new`.
pub(crate) fn run(args: NewArgs) -> ExitCode {
    match create(&args) {
        Ok(created) => {
            let dir = created.dir.display();
            let wasm = format!("target/wasm32-wasip2/release/{}", created.artifact);
            println!(
                "created {dir}: a connector on the SDK at {}",
                created.sdk.display()
            );
            println!("next:");
            println!("  cd {dir}");
            println!("  cargo build --target wasm32-wasip2 --release");
            println!("  psa-harness call --component {wasm} info");
            println!("  cp settings.example.json settings.json   # your sandbox, or `psa-harness mock-halo`");
            println!(
                "  psa-harness call --component {wasm} --settings settings.json test-connection"
            );
            println!(
                "  psa-harness conformance --component {wasm} --mock none --settings settings.json"
            );
            println!("guide: docs/writing-a-connector.md; what is left: the TODOs in src/lib.rs");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

/// Writes the crate: checks the name, the directory and the SDK, then every template file.
pub(crate) fn create(args: &NewArgs) -> Result<Created, String> {
    check_name(&args.name)?;
    let psa_name = match &args.psa_name {
        Some(given) => given.trim().to_string(),
        None => default_psa_name(&args.name),
    };
    if psa_name.is_empty() || psa_name.chars().any(char::is_control) {
        return Err("--psa-name must be one line of text".into());
    }
    let sdk = find_sdk(args.sdk.as_deref())?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .next()
            .is_some()
    {
        return Err(format!(
            "{} exists and is not empty; choose another --dir",
            dir.display()
        ));
    }
    let artifact = format!("{}.wasm", args.name.replace('-', "_"));
    let sdk_text = sdk.display().to_string();
    for (path, template) in TEMPLATE {
        // TOML and Rust string literals share `\` and `"` escapes; the README is plain text.
        let literal = |s: &str| {
            if path.ends_with(".md") {
                s.to_string()
            } else {
                s.replace('\\', "\\\\").replace('"', "\\\"")
            }
        };
        let content = template
            .replace("{{name}}", &args.name)
            .replace("{{psa_name}}", &literal(&psa_name))
            .replace("{{sdk_path}}", &literal(&sdk_text))
            .replace("{{artifact}}", &artifact);
        write(&dir.join(path), &content)?;
    }
    // The dependency versions the SDK is built and tested with (cargo drops what the new crate
    // does not use), so the first build resolves what the repository's connectors use.
    let lock = sdk.join("../../Cargo.lock");
    if lock.is_file() {
        let content = std::fs::read_to_string(&lock)
            .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
        write(&dir.join("Cargo.lock"), &content)?;
    }
    Ok(Created { dir, artifact, sdk })
}

fn write(path: &Path, content: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A cargo package name that is also a plain file name: `[a-z][a-z0-9_-]*`, at most 64.
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !first_ok || !rest_ok || name.len() > 64 {
        return Err(format!(
            "'{name}' is not a crate name: lower case letters, digits, '-' and '_', starting with a letter (e.g. acme-connector)"
        ));
    }
    if name == "psa-connector-sdk" || name == "psa_connector_sdk" {
        return Err("the crate cannot be named like the SDK it depends on".into());
    }
    Ok(())
}

/// `acme-connector` → "Acme PSA".
fn default_psa_name(name: &str) -> String {
    let base = name
        .trim_end_matches("-connector")
        .trim_end_matches("_connector");
    let mut chars = base.chars();
    let capitalised: String = chars
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(chars.map(|c| if c == '-' || c == '_' { ' ' } else { c }))
        .collect();
    format!("{capitalised} PSA")
}

/// The SDK crate directory, absolute: the given one or the one this binary was built from.
fn find_sdk(given: Option<&Path>) -> Result<PathBuf, String> {
    let candidate = given.unwrap_or(Path::new(BUILT_SDK));
    let sdk = std::fs::canonicalize(candidate).map_err(|e| {
        format!(
            "no SDK at {} ({e}); pass --sdk PATH, the plugin/sdk directory of a psa-connector checkout",
            candidate.display()
        )
    })?;
    let manifest = std::fs::read_to_string(sdk.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"psa-connector-sdk\"") {
        return Err(format!(
            "{} is not the psa-connector-sdk crate (plugin/sdk of a psa-connector checkout)",
            sdk.display()
        ));
    }
    Ok(sdk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_defaults() {
        assert!(check_name("acme-connector").is_ok());
        assert!(check_name("Acme").is_err());
        assert!(check_name("9lives").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("").is_err());
        assert_eq!(default_psa_name("acme-connector"), "Acme PSA");
        assert_eq!(default_psa_name("big_desk"), "Big desk PSA");
    }

    #[test]
    fn writes_the_crate_with_escaped_names_and_refuses_a_full_directory() {
        let dir = std::env::temp_dir().join(format!("psa-new-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let args = NewArgs {
            name: "acme-connector".into(),
            dir: Some(dir.clone()),
            psa_name: Some(r#"Acme "Desk" \ PSA"#.into()),
            sdk: None,
        };
        let created = create(&args).unwrap();
        assert_eq!(created.artifact, "acme_connector.wasm");
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains(r#"const PSA_NAME: &str = "Acme \"Desk\" \\ PSA";"#));
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"acme-connector\""));
        assert!(manifest.contains(&format!("path = \"{}\"", created.sdk.display())));
        assert!(!lib.contains("{{") && !manifest.contains("{{"));
        assert!(create(&args).unwrap_err().contains("not empty"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
