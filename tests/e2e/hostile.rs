//! Sandbox proofs: a hostile connector component (`tests/fixtures/hostile-connector`, built by
//! `tests/build.rs`) misbehaves in one session while healthy sessions run beside it.
//!
//! Each hostile mode runs in a strict host (short call budget, small memory cap). Beside it, in
//! the same test and concurrently, two healthy neighbours keep working: a session of the real
//! HaloPSA connector (its own host, `common::connector()`) and a session of the same hostile
//! component in `healthy` mode in the same strict host (same engine, linker, epoch ticker).
//! Only the host library's public API is used.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use psa_host::types::*;
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, HostError, LoadedConnector, OpResult};
use psa_mock::halo::{MockConfig, MockHalo};

use crate::common;

/// Call budget of the strict host: short, so a spinning guest is cut off quickly.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Memory cap per instance of the strict host.
const MEMORY_LIMIT: usize = 64 << 20;
/// Only turns a containment failure (a hostile call that never comes back) into a test failure
/// instead of a hung test binary; no assertion depends on how fast anything is.
const HANG_GUARD: Duration = Duration::from_secs(120);
/// Healthy rounds run at most this many times while one hostile call is in flight.
const MAX_ROUNDS_DURING: usize = 10;

/// What `fs-env` mode tries to write (the fixture's `WRITE_PROBE`).
const WRITE_PROBE: &str = "/tmp/psa-hostile-connector-write-probe";

/// The strict host and the hostile component loaded in it, compiled once per test binary.
fn strict() -> &'static (ConnectorHost, LoadedConnector) {
    static LOADED: OnceLock<(ConnectorHost, LoadedConnector)> = OnceLock::new();
    LOADED.get_or_init(|| {
        let config = HostConfig {
            call_timeout: CALL_TIMEOUT,
            memory_limit_bytes: MEMORY_LIMIT,
            ..HostConfig::default()
        };
        let host = ConnectorHost::new(config).expect("strict host");
        let loaded = host
            .load(env!("HOSTILE_CONNECTOR_WASM"))
            .expect("the hostile fixture loads: it implements the psa-connector world");
        (host, loaded)
    })
}

/// Runs a test body on its own multi-thread runtime (two workers, like the other e2e tests).
/// If a hostile call ever escaped its budget and blocked a worker for good, dropping the
/// runtime would hang the test binary; shutting it down with a timeout leaks that worker
/// instead, so the test fails with its message rather than hanging.
fn run(body: impl Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(body)));
    runtime.shutdown_timeout(Duration::from_secs(5));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn hostile() -> LoadedConnector {
    strict().1.clone()
}

fn hostile_settings(base_url: &str, target_url: &str, mode: &str) -> Vec<(String, String)> {
    vec![
        ("base_url".into(), base_url.into()),
        ("target_url".into(), target_url.into()),
        ("mode".into(), mode.into()),
    ]
}

/// Opens a session of the hostile component (opening never misbehaves).
async fn open_hostile(base_url: &str, target_url: &str, mode: &str) -> ConnectorSession {
    match hostile()
        .open(hostile_settings(base_url, target_url, mode))
        .await
    {
        Ok(Ok(session)) => session,
        Ok(Err(error)) => panic!("the hostile connector refused its settings: {error:?}"),
        Err(error) => panic!("host error opening a hostile session: {error}"),
    }
}

/// The healthy sessions that must keep working beside a hostile one.
struct Neighbours {
    mock: MockHalo,
    /// The real HaloPSA connector, in the default host.
    halo: ConnectorSession,
    /// The hostile component in `healthy` mode, in the strict host.
    fixture: ConnectorSession,
    rounds: usize,
}

impl Neighbours {
    async fn start() -> Self {
        let mock = MockHalo::start(MockConfig::default())
            .await
            .expect("mock starts");
        let halo = common::open(mock.connector_settings())
            .await
            .expect("halo session opens");
        let fixture = open_hostile(&mock.base_url(), "", "healthy").await;
        Self {
            mock,
            halo,
            fixture,
            rounds: 0,
        }
    }

    /// One round of real work in both healthy sessions; fails the test if any of it fails.
    async fn round(&mut self) {
        let report = common::ok(self.halo.test_connection().await);
        assert!(report.ok, "healthy HaloPSA session: {report:?}");
        let statuses = common::ok(self.halo.list_statuses().await);
        assert!(
            !statuses.is_empty(),
            "healthy HaloPSA session lists statuses"
        );
        let report = common::ok(self.fixture.test_connection().await);
        assert!(report.ok, "healthy fixture session: {report:?}");
        let statuses = common::ok(self.fixture.list_statuses().await);
        assert_eq!(
            statuses[0].id, "200",
            "healthy fixture reached /api/authinfo"
        );
        assert!(!self.halo.is_poisoned() && !self.fixture.is_poisoned());
        self.rounds += 1;
    }

    /// After the hostile call: one more round, and the healthy work really reached the mock.
    async fn finish(mut self) {
        self.round().await;
        assert!(
            self.mock.count("GET /api/authinfo") >= 2,
            "{:?}",
            self.mock.counts()
        );
        assert_eq!(self.fixture.requests().denied, 0);
        assert_eq!(self.halo.requests().denied, 0);
        self.halo
            .close()
            .await
            .expect("healthy HaloPSA session closes");
        self.fixture
            .close()
            .await
            .expect("healthy fixture session closes");
    }
}

/// How one hostile `test-connection` went.
struct Contained {
    session: ConnectorSession,
    result: OpResult<ConnectionReport>,
    elapsed: Duration,
    /// Healthy rounds that started after the hostile call started and completed before it came
    /// back (by the monotonic clock both tasks read).
    rounds_during: usize,
}

/// Runs the hostile session's `test-connection` on its own task and, once that call has
/// started, healthy rounds back to back until it comes back (at most [`MAX_ROUNDS_DURING`]).
/// Each round's start and end, and the hostile call's, are taken from the same monotonic clock,
/// so "during" is an ordering, not a guess about speed.
async fn beside(mut session: ConnectorSession, neighbours: &mut Neighbours) -> Contained {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let hostile = tokio::spawn(async move {
        let started = Instant::now();
        let _ = started_tx.send(());
        let result = session.test_connection().await;
        (session, result, started, Instant::now())
    });
    started_rx.await.expect("the hostile task starts its call");
    let mut rounds = Vec::new();
    while !hostile.is_finished() && rounds.len() < MAX_ROUNDS_DURING {
        let round_started = Instant::now();
        neighbours.round().await;
        rounds.push((round_started, Instant::now()));
    }
    let (session, result, started, ended) = tokio::time::timeout(HANG_GUARD, hostile)
        .await
        .expect("containment failed: the hostile call did not come back")
        .expect("the hostile call's task did not panic");
    let elapsed = ended - started;
    let rounds_during = rounds
        .iter()
        .filter(|(from, to)| *from >= started && *to <= ended)
        .count();
    eprintln!(
        "hostile test-connection came back after {elapsed:?} ({rounds_during} healthy rounds \
         completed meanwhile): {}",
        describe(&result)
    );
    Contained {
        session,
        result,
        elapsed,
        rounds_during,
    }
}

fn describe(result: &OpResult<ConnectionReport>) -> String {
    match result {
        Ok(Ok(report)) => format!("Ok(Ok({report:?}))"),
        Ok(Err(error)) => format!("Ok(Err({error:?}))"),
        Err(error) => format!("Err({error:?}): {error}"),
    }
}

/// The session is poisoned: it says so, every later call is refused without entering the guest,
/// and closing it is fine.
async fn assert_poisoned(mut session: ConnectorSession) {
    assert!(
        session.is_poisoned(),
        "a trap or timeout poisons the session"
    );
    match session.test_connection().await {
        Err(HostError::Poisoned) => {}
        other => panic!("expected HostError::Poisoned, got {}", describe(&other)),
    }
    match session.list_statuses().await {
        Err(HostError::Poisoned) => {}
        Err(other) => panic!("expected HostError::Poisoned, got {other}"),
        Ok(other) => panic!("expected HostError::Poisoned, got Ok({other:?})"),
    }
    session
        .close()
        .await
        .expect("a poisoned session closes quietly");
}

/// A fresh session of the same loaded component works after a hostile one was contained.
async fn assert_recreated(base_url: &str) {
    let mut fresh = open_hostile(base_url, "", "healthy").await;
    let report = common::ok(fresh.test_connection().await);
    assert!(report.ok, "{report:?}");
    assert!(!fresh.is_poisoned());
    fresh.close().await.unwrap();
}

// ------------------------------------------------------------------------------------------------
// Egress
// ------------------------------------------------------------------------------------------------

/// A request to an origin outside the allow-list (a `text` setting pointing at another port of
/// the loopback) is denied by the host: the guest sees `HttpRequestDenied`, the target receives
/// nothing, the session counts the denial and stays usable.
#[test]
fn egress_outside_the_allow_list_is_denied() {
    run(async {
        let mut neighbours = Neighbours::start().await;
        let forbidden = MockHalo::start(MockConfig::default()).await.unwrap();
        let target = format!("{}/api/authinfo", forbidden.base_url());
        let session = open_hostile(&neighbours.mock.base_url(), &target, "egress").await;
        let allowed: Vec<String> = session
            .egress()
            .origins()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            allowed,
            [neighbours.mock.base_url()],
            "only base_url is allow-listed"
        );

        let Contained {
            mut session,
            result,
            ..
        } = beside(session, &mut neighbours).await;
        match result {
            Ok(Err(ConnectorError::Transport(message))) => {
                assert!(message.contains("HttpRequestDenied"), "{message}");
            }
            other => panic!(
                "expected transport(HttpRequestDenied), got {}",
                describe(&other)
            ),
        }
        assert_eq!(
            forbidden.total_requests(),
            0,
            "the forbidden target received nothing"
        );
        let stats = session.requests();
        assert!(stats.denied >= 1, "{stats:?}");
        assert_eq!(stats.success, 0, "{stats:?}");

        // A denial is the connector's business, not a trap: the session stays usable.
        assert!(!session.is_poisoned());
        match session.test_connection().await {
            Ok(Err(ConnectorError::Transport(message))) => {
                assert!(message.contains("HttpRequestDenied"), "{message}")
            }
            other => panic!("{}", describe(&other)),
        }
        assert!(session.requests().denied >= 2);
        assert_eq!(forbidden.total_requests(), 0);
        session.close().await.unwrap();
        neighbours.finish().await;
    });
}

// ------------------------------------------------------------------------------------------------
// CPU
// ------------------------------------------------------------------------------------------------

/// An endless loop without host calls is cut off at the call budget (epoch interruption or the
/// host-side timeout), poisons its session only, and the component can be instantiated again.
#[test]
fn spinning_guest_is_interrupted_and_poisoned() {
    run(async {
        let mut neighbours = Neighbours::start().await;
        let session = open_hostile(&neighbours.mock.base_url(), "", "spin").await;

        let Contained {
            session,
            result,
            elapsed,
            rounds_during,
        } = beside(session, &mut neighbours).await;
        match &result {
            Err(HostError::Timeout { op, after }) => {
                assert_eq!(op, "test-connection");
                assert_eq!(*after, CALL_TIMEOUT);
            }
            Err(HostError::Trap { op, message }) => {
                assert_eq!(op, "test-connection");
                assert!(message.to_lowercase().contains("interrupt"), "{message}");
            }
            other => panic!("expected a timeout, got {}", describe(other)),
        }
        // Cut at its budget, not before (a lower bound: no loaded machine makes it shorter).
        assert!(
            elapsed >= CALL_TIMEOUT,
            "the spinning call came back after only {elapsed:?}"
        );
        // The neighbours did real work while the guest spun, not only before and after.
        assert!(
            rounds_during >= 1,
            "no healthy round completed while the guest spun for {elapsed:?}"
        );

        assert_poisoned(session).await;
        assert_recreated(&neighbours.mock.base_url()).await;
        // Opening another session in the same hostile mode works too: nothing of the old
        // instance lingers.
        let again = open_hostile(&neighbours.mock.base_url(), "", "spin").await;
        assert!(!again.is_poisoned());
        drop(again);
        neighbours.finish().await;
    });
}

// ------------------------------------------------------------------------------------------------
// Memory
// ------------------------------------------------------------------------------------------------

/// Unbounded allocation hits the per-instance memory cap: a trap, not an out-of-memory host.
#[test]
fn unbounded_allocation_traps_at_the_memory_cap() {
    run(async {
        let mut neighbours = Neighbours::start().await;
        let session = open_hostile(&neighbours.mock.base_url(), "", "alloc").await;

        let Contained {
            session, result, ..
        } = beside(session, &mut neighbours).await;
        match &result {
            Err(HostError::Trap { op, message }) => {
                assert_eq!(op, "test-connection");
                // wasmtime's words for a growth the store's limiter refused: the cap, not some
                // other failure, stopped the guest.
                let grown_to: usize = message
                    .split("growing memory to ")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("not a memory-limit trap: {message}"));
                assert!(
                    grown_to > MEMORY_LIMIT && grown_to <= MEMORY_LIMIT + (2 << 20),
                    "the guest was stopped growing to {grown_to} bytes, cap {MEMORY_LIMIT}"
                );
            }
            other => panic!("expected a trap at the memory cap, got {}", describe(other)),
        }

        assert_poisoned(session).await;
        assert_recreated(&neighbours.mock.base_url()).await;
        neighbours.finish().await;
    });
}

// ------------------------------------------------------------------------------------------------
// Panic
// ------------------------------------------------------------------------------------------------

/// A panic in the guest is a typed trap for the host, never a host panic.
#[test]
fn guest_panic_is_a_trap() {
    run(async {
        let mut neighbours = Neighbours::start().await;
        let session = open_hostile(&neighbours.mock.base_url(), "", "panic").await;

        let Contained {
            session, result, ..
        } = beside(session, &mut neighbours).await;
        match &result {
            Err(HostError::Trap { op, message }) => {
                assert_eq!(op, "test-connection");
                let lower = message.to_lowercase();
                assert!(
                    lower.contains("panic") || lower.contains("unreachable"),
                    "{message}"
                );
            }
            other => panic!("expected a trap, got {}", describe(other)),
        }
        assert_poisoned(session).await;
        assert_recreated(&neighbours.mock.base_url()).await;
        neighbours.finish().await;
    });
}

// ------------------------------------------------------------------------------------------------
// Files, environment, sockets
// ------------------------------------------------------------------------------------------------

/// The guest finds no environment variable and no argument, through std's own APIs.
#[test]
fn guest_sees_no_environment_or_arguments() {
    run(async {
        let mut neighbours = Neighbours::start().await;
        let target = format!("{}/", neighbours.mock.base_url());
        let session = open_hostile(&neighbours.mock.base_url(), &target, "fs-env").await;

        let Contained {
            session, result, ..
        } = beside(session, &mut neighbours).await;
        let message = match result {
            Ok(Err(ConnectorError::Transport(message))) => message,
            other => panic!("expected the fs-env report, got {}", describe(&other)),
        };
        let report: Vec<(&str, &str)> = message
            .split("; ")
            .filter_map(|part| part.split_once('='))
            .collect();
        let get = |key: &str| {
            report
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("no `{key}` in the report: {message}"))
        };
        assert_eq!(get("vars"), "0", "no environment variables: {message}");
        assert_eq!(get("home"), "None", "{message}");
        assert_eq!(get("path"), "None", "{message}");
        assert_eq!(get("args"), "0", "no arguments: {message}");
        assert_eq!(session.requests().total, 0, "no HTTP either");
        assert!(!session.is_poisoned());
        session.close().await.unwrap();
        neighbours.finish().await;
    });
}

/// A component that imports files or sockets (std's `fs` and `net`, here the fixture's escape
/// probes) is refused at load time, naming what it imports: the host links only the world's
/// imports, so no file or socket call can ever reach it.
#[test]
fn files_and_sockets_are_refused_at_load_time() {
    let host = ConnectorHost::new(HostConfig::default()).unwrap();
    let err = host
        .load(env!("HOSTILE_ESCAPE_CONNECTOR_WASM"))
        .err()
        .expect("a component importing files and sockets must not load");
    let HostError::Incompatible(message) = &err else {
        panic!("expected HostError::Incompatible, got {err}");
    };
    assert!(
        message.contains("wasi:filesystem") || message.contains("wasi:sockets"),
        "the refusal names the import: {message}"
    );
    assert!(
        !Path::new(WRITE_PROBE).exists(),
        "the guest wrote {WRITE_PROBE} on the host"
    );
}

// ------------------------------------------------------------------------------------------------
// Loading what is not a connector
// ------------------------------------------------------------------------------------------------

fn component(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).expect("valid WAT")
}

/// Garbage, a core module and components that do not implement the world are typed load
/// errors, never panics; the host keeps loading real connectors afterwards.
#[test]
fn what_is_not_a_connector_fails_to_load_with_a_typed_error() {
    run(async {
        let host = &strict().0;

        let err = host
            .load_bytes(b"not wasm")
            .err()
            .expect("garbage does not load");
        assert!(matches!(err, HostError::Load { .. }), "{err:?}");

        let missing = Path::new("/nonexistent/psa-hostile/missing.wasm");
        let err = host
            .load(missing)
            .err()
            .expect("a missing file does not load");
        assert!(
            matches!(&err, HostError::Load { path, .. } if path == missing),
            "{err:?}"
        );

        let core_module = component("(module (func (export \"info\")))");
        let err = host
            .load_bytes(&core_module)
            .err()
            .expect("a core module is no component");
        assert!(matches!(err, HostError::Load { .. }), "{err:?}");

        let empty = component("(component)");
        let err = host
            .load_bytes(&empty)
            .err()
            .expect("an empty component is no connector");
        assert!(
            matches!(&err, HostError::Incompatible(m) if m.contains("psa:connector")),
            "{err:?}"
        );

        // Exports a function, not the connector interface.
        let other_export = component(
            r#"(component
                (core module $m (func (export "answer") (result i32) i32.const 42))
                (core instance $i (instantiate $m))
                (func $answer (result u32) (canon lift (core func $i "answer")))
                (export "answer" (func $answer)))"#,
        );
        let err = host
            .load_bytes(&other_export)
            .err()
            .expect("another export is no connector");
        assert!(matches!(err, HostError::Incompatible(_)), "{err:?}");

        // Exports the connector interface by name, with the wrong types.
        let wrong_types = component(
            r#"(component
                (core module $m (func (export "info") (result i32) i32.const 1))
                (core instance $i (instantiate $m))
                (func $info (result u32) (canon lift (core func $i "info")))
                (instance $c (export "info" (func $info)))
                (export "psa:connector/connector@0.2.0" (instance $c)))"#,
        );
        let err = host
            .load_bytes(&wrong_types)
            .err()
            .expect("wrong types are no connector");
        assert!(matches!(err, HostError::Incompatible(_)), "{err:?}");

        // Imports something the host does not provide.
        let greedy = component(
            r#"(component
                (import "evil:secrets/vault@1.0.0" (instance (export "reveal" (func)))))"#,
        );
        let err = host
            .load_bytes(&greedy)
            .err()
            .expect("unknown imports are refused");
        assert!(
            matches!(&err, HostError::Incompatible(m) if m.contains("evil:secrets")),
            "{err:?}"
        );

        // The host is unharmed: a real component still loads and answers.
        let loaded = host
            .load(env!("HOSTILE_CONNECTOR_WASM"))
            .expect("the fixture still loads");
        assert_eq!(loaded.info().await.expect("info").name, "hostile");
    });
}
