//! The Redis coordination backend against a real `redis-server`: leases one holder at a time
//! across hosts, expiry when a holder dies, fencing of a holder that lost its lease, a budget
//! shared by hosts, and Redis down or restarted. Then, with the real connector: a call whose
//! lease was taken over sends nothing more, and two hosts racing on one alert make one ticket.

use std::sync::Arc;
use std::time::Duration;

use psa_host::coordination::{CoordinationError, Coordinator, RedisCoordinator};
use psa_host::types::{SyncDecision, SyncStrategy};
use psa_host::{
    ConnectorHost, Coordination, HostConfig, HostError, RateBudgetConfig, RedisCoordination,
};
use psa_mock::{Fault, FaultRule, FaultTrigger};

use crate::common::{alert, for_each_psa, profile_on, tickets_with_key, Psa, PsaMock};
use crate::redis_server::RedisServer;

const LEASE: Duration = Duration::from_secs(30);
const HOLD: Duration = Duration::from_secs(60);

fn coordinator(redis: &RedisServer) -> RedisCoordinator {
    coordinator_waiting(redis, Duration::from_secs(10))
}

fn coordinator_waiting(redis: &RedisServer, unavailable_wait: Duration) -> RedisCoordinator {
    RedisCoordinator::connect(&RedisCoordination {
        unavailable_wait,
        ..RedisCoordination::new(redis.url())
    })
    .expect("a well-formed URL")
}

/// Whether `future` is still pending after `wait` (a lower bound: it proves waiting, never
/// speed).
async fn still_waiting<F: std::future::Future>(future: F, wait: Duration) -> bool {
    tokio::time::timeout(wait, future).await.is_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_has_one_holder_across_hosts_and_other_keys_do_not_wait() {
    let redis = RedisServer::start().unwrap();
    let (a, b) = (Arc::new(coordinator(&redis)), Arc::new(coordinator(&redis)));
    let held = a.lock("alert-1", LEASE).await.unwrap();
    // Another key is free at once; the same key waits for the holder.
    let other = b.lock("alert-2", LEASE).await.unwrap();
    let waiter = {
        let b = b.clone();
        tokio::spawn(async move { b.lock("alert-1", LEASE).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "alert-1 is held by host a");
    assert!(a.renew(&held, LEASE).await.unwrap());
    a.release(held.clone()).await.unwrap();
    let taken = waiter.await.unwrap().unwrap();
    assert_ne!(taken.token, held.token);
    // The old holder's lease is gone: renewing it fails, and so does the fencing check.
    assert!(!a.renew(&held, LEASE).await.unwrap());
    b.release(taken).await.unwrap();
    b.release(other).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holder_s_lease_expires_and_fencing_stops_it_afterwards() {
    let redis = RedisServer::start().unwrap();
    let (dead, alive) = (coordinator(&redis), coordinator(&redis));
    // The holder takes a short lease and never renews it (it "died").
    let stale = dead
        .lock("alert", Duration::from_millis(400))
        .await
        .unwrap();
    let taken = alive.lock("alert", LEASE).await.unwrap();
    assert_ne!(taken.token, stale.token);
    // Came back to life: it may not send anything more under its old lease.
    let budget = RateBudgetConfig::default();
    let refused = dead
        .take_request_slot("https://psa.example:443", budget, HOLD, Some(&stale))
        .await;
    assert_eq!(
        refused,
        Err(CoordinationError::LeaseLost {
            key: "alert".into()
        })
    );
    assert!(!dead.renew(&stale, LEASE).await.unwrap());
    // The new holder may.
    let slot = alive
        .take_request_slot("https://psa.example:443", budget, HOLD, Some(&taken))
        .await
        .unwrap();
    alive
        .finish_request_slot("https://psa.example:443", slot)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_share_one_budget_per_instance() {
    let redis = RedisServer::start().unwrap();
    let (a, b) = (Arc::new(coordinator(&redis)), Arc::new(coordinator(&redis)));
    let budget = RateBudgetConfig {
        max_requests: 3,
        window: Duration::from_secs(3600),
    };
    let instance = "https://acme.halopsa.com:443";
    for c in [&a, &a, &b] {
        let slot = c
            .take_request_slot(instance, budget, HOLD, None)
            .await
            .unwrap();
        c.finish_request_slot(instance, slot).await.unwrap();
    }
    let state = b.budget_state(instance, budget).await.unwrap().unwrap();
    assert_eq!((state.used, state.remaining), (3, 0), "{state:?}");
    // A fourth request, from either host, waits for the window.
    let fourth = b.take_request_slot(instance, budget, HOLD, None);
    assert!(still_waiting(fourth, Duration::from_millis(300)).await);
    // Another instance has its own budget.
    let other = a
        .take_request_slot("https://other.halopsa.com:443", budget, HOLD, None)
        .await;
    assert!(other.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_keeps_its_slot_until_it_finishes() {
    let redis = RedisServer::start().unwrap();
    let c = Arc::new(coordinator(&redis));
    let budget = RateBudgetConfig {
        max_requests: 1,
        window: Duration::from_millis(200),
    };
    let instance = "https://psa.example:443";
    let slow = c
        .take_request_slot(instance, budget, HOLD, None)
        .await
        .unwrap();
    // Several windows later the slow request is still in flight: nobody else may start.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let next = {
        let c = c.clone();
        tokio::spawn(async move { c.take_request_slot(instance, budget, HOLD, None).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!next.is_finished());
    c.finish_request_slot(instance, slow).await.unwrap();
    // Served one window after the slow request finished.
    assert!(next.await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_redis_keeps_the_window_and_the_leases() {
    let mut redis = RedisServer::start().unwrap();
    let c = coordinator(&redis);
    let budget = RateBudgetConfig {
        max_requests: 5,
        window: Duration::from_secs(3600),
    };
    let instance = "https://psa.example:443";
    for _ in 0..2 {
        let slot = c
            .take_request_slot(instance, budget, HOLD, None)
            .await
            .unwrap();
        c.finish_request_slot(instance, slot).await.unwrap();
    }
    let lease = c.lock("alert", LEASE).await.unwrap();
    redis.restart().unwrap();
    // The same coordinator reconnects by itself; its scripts are loaded again.
    let state = c.budget_state(instance, budget).await.unwrap().unwrap();
    assert_eq!(state.used, 2, "{state:?}");
    assert!(c.renew(&lease, LEASE).await.unwrap(), "the lease survived");
    assert!(c
        .take_request_slot(instance, budget, HOLD, Some(&lease))
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_a_typed_error_after_the_wait_and_recovers_when_it_is_back() {
    let mut redis = RedisServer::start().unwrap();
    let c = coordinator_waiting(&redis, Duration::from_millis(500));
    let lease = c.lock("alert", LEASE).await.unwrap();
    redis.kill();
    let err = c.lock("another", LEASE).await.unwrap_err();
    assert!(
        matches!(
            &err,
            CoordinationError::Unavailable {
                backend: "redis",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("retry it later"), "{err}");
    let err = c
        .take_request_slot(
            "https://psa.example:443",
            RateBudgetConfig::default(),
            HOLD,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoordinationError::Unavailable { .. }),
        "{err:?}"
    );
    redis.restart().unwrap();
    assert!(
        c.renew(&lease, LEASE).await.unwrap(),
        "the append-only file kept it"
    );
    assert!(c.lock("another", LEASE).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_password_never_shows_in_errors() {
    let redis = RedisServer::start().unwrap();
    let url = redis.url().replace("redis://", "redis://:hunter2@");
    let c = RedisCoordinator::connect(&RedisCoordination {
        unavailable_wait: Duration::from_millis(200),
        ..RedisCoordination::new(url)
    })
    .unwrap();
    // This Redis has no password: AUTH fails, and the error must not echo the secret.
    let err = c.lock("alert", LEASE).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
}

/// A host of `psa`'s bundled connector coordinating through `redis`.
fn redis_host(psa: Psa, redis: &RedisServer, alert_lease: Duration) -> psa_host::LoadedConnector {
    let host = ConnectorHost::new(HostConfig {
        coordination: Coordination::Redis(RedisCoordination::new(redis.url())),
        alert_lease,
        ..HostConfig::default()
    })
    .unwrap();
    assert_eq!(host.coordination_backend(), "redis");
    let component = match psa {
        Psa::Halo => psa_harness::bundled_halo_connector(),
        Psa::Connectwise => psa_harness::bundled_connectwise_connector(),
    };
    host.load(component).expect("the bundled connector loads")
}

/// Two hosts (two coordinators, as two processes would have) fire one alert through a
/// barrier, eight sessions each: one ticket, every other call notes it.
async fn two_hosts_racing_on_one_alert_make_one_ticket(psa: Psa) {
    let redis = RedisServer::start().unwrap();
    let mock = PsaMock::start(psa, None).await.unwrap();
    let hosts = [
        redis_host(psa, &redis, LEASE),
        redis_host(psa, &redis, LEASE),
    ];
    let profile = profile_on(psa, SyncStrategy::CreateAndUpdate);
    let per_host = 4;
    let barrier = Arc::new(tokio::sync::Barrier::new(2 * per_host));
    let mut calls = Vec::new();
    for host in &hosts {
        for _ in 0..per_host {
            let mut session = host.open(mock.connector_settings()).await.unwrap().unwrap();
            let (barrier, profile) = (barrier.clone(), profile.clone());
            calls.push(tokio::spawn(async move {
                let request = alert("fleet-race-1", psa_host::types::Severity::High, None);
                barrier.wait().await;
                session.sync_alert(&profile, &request).await
            }));
        }
    }
    let mut decisions = Vec::new();
    for call in calls {
        let outcome = call.await.unwrap().unwrap().unwrap();
        decisions.push(outcome.decision);
    }
    let created = decisions
        .iter()
        .filter(|d| **d == SyncDecision::Created)
        .count();
    assert_eq!(created, 1, "{decisions:?}");
    assert_eq!(tickets_with_key(&mock, "fleet-race-1"), 1);
}

for_each_psa!(two_hosts_racing_on_one_alert_make_one_ticket);

/// Fencing with the real connector: while a `sync-alert` waits on a slow look-up, another
/// holder takes the alert's lease over; the call then sends nothing more (no ticket) and
/// fails with a typed `lease-lost`; a retry creates the one ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_lease_was_taken_over_sends_nothing_more() {
    let psa = Psa::Halo;
    let redis = RedisServer::start().unwrap();
    let mock = PsaMock::start(psa, None).await.unwrap();
    let connector = redis_host(psa, &redis, Duration::from_secs(3));
    let mut session = connector
        .open(mock.connector_settings())
        .await
        .unwrap()
        .unwrap();
    let profile = profile_on(psa, SyncStrategy::CreateAndUpdate);
    // Warm the session (token), so that the next call's first request is the look-up.
    let warm = alert("fencing-warm", psa_host::types::Severity::High, None);
    session.sync_alert(&profile, &warm).await.unwrap().unwrap();
    mock.server().add_fault(FaultRule {
        endpoint: Some("GET /api/tickets".into()),
        trigger: FaultTrigger::FirstN(1),
        fault: Fault::SlowFirstByte {
            delay: Duration::from_secs(4),
        },
    });
    let lookups_before = mock.server().count("GET /api/tickets");
    let request = alert("fencing-1", psa_host::types::Severity::High, None);
    let call = {
        let profile = profile.clone();
        let request = request.clone();
        tokio::spawn(async move {
            let result = session.sync_alert(&profile, &request).await;
            (session, result)
        })
    };
    // Once the look-up reached the PSA (and hangs there), another holder takes the lease.
    while mock.server().count("GET /api/tickets") == lookups_before {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let client = redis::Client::open(redis.url()).unwrap();
    let mut redis_conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("psa:lock:*fencing-1")
        .query_async(&mut redis_conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let _: () = redis::cmd("SET")
        .arg(&keys[0])
        .arg("another-host")
        .query_async(&mut redis_conn)
        .await
        .unwrap();
    let (mut session, result) = call.await.unwrap();
    assert!(
        matches!(
            &result,
            Err(HostError::Coordination(CoordinationError::LeaseLost { key })) if key.ends_with("|fencing-1")
        ),
        "{result:?}"
    );
    assert_eq!(tickets_with_key(&mock, "fencing-1"), 0, "nothing created");
    assert!(!session.is_poisoned());
    // The other holder finishes (here: gives the lease back); the retry makes the ticket.
    let _: () = redis::cmd("DEL")
        .arg(&keys[0])
        .query_async(&mut redis_conn)
        .await
        .unwrap();
    let outcome = session
        .sync_alert(&profile, &request)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.decision, SyncDecision::Created);
    assert_eq!(tickets_with_key(&mock, "fencing-1"), 1);
}
