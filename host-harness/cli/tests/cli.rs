//! The `psa-harness` binary as scripts use it: `call` with the README's example files, `--json`
//! output and exit codes, and the secrets canary — at the most verbose log level (`-vvv`), neither the
//! client secret nor any token appears in stdout, stderr, errors or audit records, and the mock
//! received the secret only in the token request and tokens only in `Authorization` headers.

use std::path::{Path, PathBuf};
use std::process::Output;

use psa_mock::halo::{MockConfig, MockHalo};
use serde_json::Value;

const CANARY_SECRET: &str = "CANARY-secret-7f3a91-do-not-log";
const WRONG_CANARY: &str = "CANARY-wrong-secret-55e2";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn scratch(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("psa-harness-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// The example settings pointed at the mock, with the given secret.
fn settings_file(mock: &MockHalo, name: &str, secret: &str) -> PathBuf {
    let mut settings: Value =
        serde_json::from_str(&std::fs::read_to_string(examples().join("settings.json")).unwrap())
            .unwrap();
    settings["base_url"] = mock.base_url().into();
    settings["client_secret"] = secret.into();
    scratch(name, &settings.to_string())
}

async fn harness(args: Vec<String>, verbose: bool) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_psa-harness"));
        command.env_remove("RUST_LOG");
        if verbose {
            command.arg("-vvv");
        }
        command.args(&args).output().expect("psa-harness runs")
    })
    .await
    .unwrap()
}

fn call(settings: &Path, rest: &[&str]) -> Vec<String> {
    let mut args = vec![
        "call".to_string(),
        "--settings".into(),
        settings.display().to_string(),
        "--json".into(),
    ];
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

fn example(name: &str) -> String {
    examples().join(name).display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_files_work_and_no_secret_or_token_leaks_at_trace_level() {
    let mock = MockHalo::start(MockConfig {
        client_secret: CANARY_SECRET.into(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let settings = settings_file(&mock, "settings.json", CANARY_SECRET);
    let mut transcript = String::new();
    let run = |output: &Output, transcript: &mut String| {
        transcript.push_str(&String::from_utf8_lossy(&output.stdout));
        transcript.push_str(&String::from_utf8_lossy(&output.stderr));
    };

    // Successful operations, at the most verbose log level.
    let mut created_id = String::new();
    for rest in [
        vec!["test-connection"],
        vec!["suggest-mapping", "--tenants", &example("tenants.json")],
        vec!["validate-mapping", "--profile", &example("profile.json")],
        vec![
            "create-ticket",
            "--profile",
            &example("profile.json"),
            "--request",
            &example("ticket-request.json"),
        ],
        vec![
            "sync-alert",
            "--profile",
            &example("profile.json"),
            "--request",
            &example("sync-request.json"),
        ],
        vec!["list-tickets"],
    ] {
        let output = harness(call(&settings, &rest), true).await;
        run(&output, &mut transcript);
        assert!(
            output.status.success(),
            "{rest:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let result: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{rest:?}: stdout is one JSON document: {e}"));
        match rest[0] {
            "test-connection" => assert_eq!(result["ok"], true),
            "validate-mapping" => assert_eq!(result["ok"], true, "{result}"),
            "create-ticket" => {
                created_id = result["ticket"]["id"].as_str().unwrap().to_string();
                assert_eq!(result["audit"]["decision"], "created");
            }
            "sync-alert" => assert_eq!(result["decision"], "created"),
            "list-tickets" => assert!(result["total"].as_u64().unwrap() >= 2),
            _ => {}
        }
    }
    let update = harness(
        call(
            &settings,
            &[
                "update-ticket",
                &created_id,
                "--update",
                &example("ticket-update.json"),
            ],
        ),
        true,
    )
    .await;
    run(&update, &mut transcript);
    assert!(
        update.status.success(),
        "{}",
        String::from_utf8_lossy(&update.stderr)
    );

    // Failures: typed error documents on stderr, exit code 1; still at trace level.
    let wrong = settings_file(&mock, "wrong.json", WRONG_CANARY);
    let output = harness(call(&wrong, &["test-connection"]), true).await;
    run(&output, &mut transcript);
    assert_eq!(output.status.code(), Some(1));

    // Without -v, stderr is exactly the error document.
    let output = harness(call(&wrong, &["list-statuses"]), false).await;
    run(&output, &mut transcript);
    assert_eq!(output.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&output.stderr).expect("stderr is one JSON document");
    assert!(
        error["auth-failed"]
            .as_str()
            .unwrap()
            .contains("invalid_client"),
        "{error}"
    );
    let output = harness(call(&settings, &["get-ticket", "not-a-number"]), false).await;
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert!(error.get("invalid-input").is_some(), "{error}");
    let missing = vec![
        "call".into(),
        "--component".into(),
        "/nonexistent/connector.wasm".into(),
        "--json".into(),
        "info".into(),
    ];
    let output = harness(missing, false).await;
    assert_eq!(output.status.code(), Some(2), "host/usage errors exit 2");
    let error: Value = serde_json::from_slice(&output.stderr).expect("stderr is one JSON document");
    assert!(error.get("host-error").is_some(), "{error}");

    // What leaked where?
    let received = mock.received();
    let tokens: Vec<String> = received
        .iter()
        .filter_map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        })
        .filter_map(|(_, v)| v.split_whitespace().nth(1).map(str::to_string))
        .collect();
    assert!(!tokens.is_empty());
    for canary in [CANARY_SECRET, WRONG_CANARY]
        .iter()
        .map(|s| s.to_string())
        .chain(tokens.iter().cloned())
    {
        assert!(
            !transcript.contains(&canary),
            "{canary} appears in the CLI's output"
        );
    }
    for request in &received {
        let is_token_request = request.path.ends_with("/token");
        let headers: String = request
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect();
        let outside = format!(
            "{} {}?{}\n{headers}",
            request.method, request.path, request.query
        );
        let body = if is_token_request {
            String::new()
        } else {
            request.body.clone()
        };
        for secret in [CANARY_SECRET, WRONG_CANARY] {
            assert!(
                !outside.contains(secret) && !body.contains(secret),
                "the secret reached {} {}",
                request.method,
                request.path
            );
        }
        for token in &tokens {
            assert!(
                !outside.contains(token.as_str()) && !request.body.contains(token.as_str()),
                "a token reached {} {} outside Authorization",
                request.method,
                request.path
            );
        }
    }
    assert!(
        transcript.contains("TRACE") || transcript.contains("DEBUG"),
        "the verbose run did log"
    );
}

/// `mock-connectwise` prints its address first, then its credentials, and serves discovery.
#[test]
fn mock_connectwise_prints_its_address_and_serves() {
    use std::io::{BufRead, BufReader, Read, Write};

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_psa-harness"))
        .args([
            "mock-connectwise",
            "--addr",
            "127.0.0.1:0",
            "--companies",
            "20",
        ])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("psa-harness runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first}"))
        .to_string();
    let rest: Vec<String> = lines.by_ref().take(5).map(Result::unwrap).collect();
    assert!(rest[0].contains("/v4_6_release/apis/3.0"), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains(psa_mock::connectwise::seed_ids::CLIENT_ID)),
        "{rest:?}"
    );

    let mut stream = std::net::TcpStream::connect(&base).unwrap();
    write!(
        stream,
        "GET /login/companyinfo/psademo HTTP/1.1\r\nHost: {base}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("\"Codebase\":\"v4_6_release/\""),
        "{response}"
    );
}

/// `demo --psa connectwise`: the same binary walks the seed flow on the bundled ConnectWise
/// component against the embedded mock ConnectWise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_on_connectwise() {
    let out = harness(
        vec!["demo".into(), "--psa".into(), "connectwise".into()],
        false,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "Mock ConnectWise PSA",
        "connectwise-connector",
        "ticket type: Security Alerts (21)",
        "-> closed ",
        "-> reopened ",
        "-> left-open-touched ticket",
        "demo completed",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing in:\n{stdout}"
        );
    }
}

/// `call --redis URL`: two processes sync one alert at the same time through one Redis — one
/// ticket; the budget and the alert's lease lived in Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_with_redis_coordinates_two_processes_on_one_alert() {
    let redis = psa_harness::redis_server::RedisServer::start().expect("redis-server starts");
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let settings = settings_file(
        &mock,
        "settings-redis.json",
        &MockConfig::default().client_secret,
    );
    let sync = |redis: String| {
        let mut args = call(
            &settings,
            &[
                "sync-alert",
                "--profile",
                &example("profile.json"),
                "--request",
                &example("sync-request.json"),
            ],
        );
        args.splice(1..1, ["--redis".to_string(), redis]);
        harness(args, false)
    };
    let (first, second) = tokio::join!(sync(redis.url()), sync(redis.url()));
    let mut decisions = Vec::new();
    for output in [&first, &second] {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let result: Value = serde_json::from_slice(&output.stdout).unwrap();
        decisions.push(result["decision"].as_str().unwrap().to_string());
    }
    decisions.sort();
    assert_eq!(decisions[0], "created", "{decisions:?}");
    assert!(
        ["noted", "unchanged"].contains(&decisions[1].as_str()),
        "{decisions:?}"
    );
    let with_key = mock
        .tickets()
        .iter()
        .filter(|t| {
            t["supplier_reference"]
                .as_str()
                .is_some_and(|r| r.ends_with("#defender/laptop-7/trojan"))
        })
        .count();
    assert_eq!(with_key, 1);
    // The budget was taken in Redis, not in each process.
    let mut connection = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let budgets: Vec<String> = redis::cmd("KEYS")
        .arg("psa:budget:*")
        .query_async(&mut connection)
        .await
        .unwrap();
    let port = mock.addr().port().to_string();
    assert!(
        budgets.len() == 1 && budgets[0].ends_with(&port),
        "{budgets:?}"
    );
}
