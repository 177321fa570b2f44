//! Calls on a warm session, wasm next to native: in the guest only, create-ticket,
//! sync-alert, and one HTTP and HTTPS request (and the HTTPS side, [`Tls`], which the
//! throughput phase also uses). Each phase has a session of its own on both sides.

use std::sync::Arc;
use std::time::Instant;

use crate::psa::PsaMock;
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, LoadedConnector};
use psa_native::NativeClient;

use super::fixtures::{
    get_organization, host_types, native_get_organization, open, open_warm, sdk_types, Native,
};
use super::report::{BenchReport, Stat, Target, Unit};
use super::Run;

/// `list-statuses` again on a warm session (HaloPSA: from the session's cache), and the
/// requests each made. Returns the wasm session, which the run keeps open to its end.
pub(super) async fn in_guest_call(
    run: &Run<'_>,
    connector: &LoadedConnector,
    report: &mut BenchReport,
) -> anyhow::Result<ConnectorSession> {
    let Run {
        iterations,
        psa,
        mock,
        native,
        ..
    } = *run;
    let mut session = open(connector, mock).await?;
    get_organization(&mut session, psa).await?; // the token
    let mut in_guest = Vec::with_capacity(iterations);
    session
        .list_statuses()
        .await?
        .map_err(|e| anyhow::anyhow!("list-statuses failed: {e:?}"))?;
    let before = mock.server().total_requests();
    for _ in 0..iterations {
        let started = Instant::now();
        session
            .list_statuses()
            .await?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        in_guest.push(started.elapsed());
    }
    let requests_per_list = (mock.server().total_requests() - before) as f64 / iterations as f64;
    let native_in_guest = native.run(|n| {
        let session = n.open()?;
        session
            .list_statuses()
            .map_err(|e| anyhow::anyhow!("native list-statuses: {e:?}"))?;
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                session
                    .list_statuses()
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                Ok(started.elapsed())
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    report.push(
        "in_guest_call",
        "list-statuses, again on a warm session (HaloPSA: from the session's cache)",
        Unit::Millis,
        Some(Stat::of_durations(&in_guest)),
        Some(Stat::of_durations(&native_in_guest)),
    );
    report.push(
        "requests_per_list_statuses",
        "requests per list-statuses on a warm session (mock's count)",
        Unit::Count,
        Some(Stat::single(requests_per_list, iterations)),
        None,
    );
    Ok(session)
}

/// create-ticket with a warm token (and its lookups cached by one create first), and the
/// requests each made. Returns the wasm session, which the run keeps open to its end.
pub(super) async fn create_ticket(
    run: &Run<'_>,
    connector: &LoadedConnector,
    report: &mut BenchReport,
) -> anyhow::Result<ConnectorSession> {
    let Run {
        iterations,
        psa,
        mock,
        native,
        ..
    } = *run;
    let (mut session, wasm_profile) = open_warm(connector, mock, psa).await?;
    let before = mock.server().total_requests();
    let mut creates = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let request = ticket_request!(host_types, i + 1);
        let started = Instant::now();
        session
            .create_ticket(&wasm_profile, &request)
            .await?
            .map_err(|e| anyhow::anyhow!("create-ticket failed: {e:?}"))?;
        creates.push(started.elapsed());
    }
    let wasm_requests_per_create =
        (mock.server().total_requests() - before) as f64 / iterations as f64;
    let (native_creates, native_requests_per_create) = native.run(|n| {
        let (session, profile) = n.open_warm()?;
        let before = mock.server().total_requests();
        let mut creates = Vec::with_capacity(iterations);
        for i in 0..iterations {
            let request = ticket_request!(sdk_types, i + 1);
            let started = Instant::now();
            session
                .create_ticket(&profile, &request)
                .map_err(|e| anyhow::anyhow!("native create-ticket: {e:?}"))?;
            creates.push(started.elapsed());
        }
        let requests = (mock.server().total_requests() - before) as f64 / iterations as f64;
        Ok((creates, requests))
    })?;
    report.push(
        "create_ticket",
        "create-ticket, warm token",
        Unit::Millis,
        Some(Stat::of_durations(&creates)),
        Some(Stat::of_durations(&native_creates)),
    );
    report.push(
        "requests_per_create",
        "requests per create-ticket (mock's count)",
        Unit::Count,
        Some(Stat::single(wasm_requests_per_create, iterations)),
        Some(Stat::single(native_requests_per_create, iterations)),
    );
    report.target("requests_per_create", Target::AtMost(1.0));
    Ok(session)
}

/// sync-alert of a new alert: a ticket created for it; and the requests each made. Returns
/// the wasm session, which the run keeps open to its end.
pub(super) async fn sync_alert(
    run: &Run<'_>,
    connector: &LoadedConnector,
    report: &mut BenchReport,
) -> anyhow::Result<ConnectorSession> {
    let Run {
        iterations,
        psa,
        mock,
        native,
        ..
    } = *run;
    let (mut session, wasm_profile) = open_warm(connector, mock, psa).await?;
    let mut syncs = Vec::with_capacity(iterations);
    let before = mock.server().total_requests();
    for i in 0..iterations {
        let request = new_alert!(host_types, format!("bench/wasm/{i}"), i);
        let started = Instant::now();
        let outcome = session
            .sync_alert(&wasm_profile, &request)
            .await?
            .map_err(|e| anyhow::anyhow!("sync-alert failed: {e:?}"))?;
        syncs.push(started.elapsed());
        anyhow::ensure!(
            outcome.decision == host_types::SyncDecision::Created,
            "sync-alert of a new alert did not create a ticket: {:?}",
            outcome.decision
        );
    }
    let wasm_requests_per_sync =
        (mock.server().total_requests() - before) as f64 / iterations as f64;
    let (native_syncs, native_requests_per_sync) = native.run(|n| {
        let (session, profile) = n.open_warm()?;
        let before = mock.server().total_requests();
        let mut syncs = Vec::with_capacity(iterations);
        for i in 0..iterations {
            let request = new_alert!(sdk_types, format!("bench/native/{i}"), i);
            let started = Instant::now();
            let outcome = session
                .sync_alert(&profile, &request)
                .map_err(|e| anyhow::anyhow!("native sync-alert: {e:?}"))?;
            syncs.push(started.elapsed());
            anyhow::ensure!(
                outcome.decision == sdk_types::SyncDecision::Created,
                "native sync-alert of a new alert did not create a ticket"
            );
        }
        let requests = (mock.server().total_requests() - before) as f64 / iterations as f64;
        Ok((syncs, requests))
    })?;
    report.push(
        "sync_alert",
        "sync-alert, new alert (ticket created)",
        Unit::Millis,
        Some(Stat::of_durations(&syncs)),
        Some(Stat::of_durations(&native_syncs)),
    );
    report.push(
        "requests_per_sync",
        "requests per sync-alert of a new alert (mock's count)",
        Unit::Count,
        Some(Stat::single(wasm_requests_per_sync, iterations)),
        Some(Stat::single(native_requests_per_sync, iterations)),
    );
    Ok(session)
}

/// A call with one HTTP request (`get-organization`).
pub(super) async fn http_call(
    run: &Run<'_>,
    connector: &LoadedConnector,
    report: &mut BenchReport,
) -> anyhow::Result<()> {
    let Run {
        iterations,
        psa,
        mock,
        native,
        ..
    } = *run;
    let mut session = open(connector, mock).await?;
    get_organization(&mut session, psa).await?;
    let mut http = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        get_organization(&mut session, psa).await?;
        http.push(started.elapsed());
    }
    let native_http = native.run(|n| {
        let session = n.open()?;
        native_get_organization(&session, n.psa)?;
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                native_get_organization(&session, n.psa)?;
                Ok(started.elapsed())
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    report.push(
        "http_call",
        "a call with one HTTP request (get-organization)",
        Unit::Millis,
        Some(Stat::of_durations(&http)),
        Some(Stat::of_durations(&native_http)),
    );
    report.target("http_call", Target::AtMostTimesNative(1.10));
    drop(session);
    Ok(())
}

/// The HTTPS side of the run: a mock serving a test CA's certificate, a host that trusts the
/// CA through `extra_ca_pem` (with its connector) and a native client that trusts it too. The
/// HTTPS call and the HTTPS throughput measure with it; the run keeps it (with its engine) to
/// its end.
pub(super) struct Tls {
    pub(super) mock: PsaMock,
    pub(super) connector: LoadedConnector,
    pub(super) native: Native,
}

impl Tls {
    /// Starts the TLS mock and loads the component on a host that trusts its CA.
    pub(super) async fn start(run: &Run<'_>) -> anyhow::Result<Tls> {
        let Run { config, psa, .. } = *run;
        let ca = psa_mock::tls::TestCa::generate()?;
        let mock = PsaMock::start_tls(psa, &ca).await?;
        let host = ConnectorHost::new(HostConfig {
            rate_budget: None,
            extra_ca_pem: vec![ca.ca_pem()],
            ..HostConfig::default()
        })?;
        let path = config.component.clone();
        let connector = tokio::task::spawn_blocking(move || host.load(path)).await??;
        let native = Native {
            psa,
            client: NativeClient::with_ca(tokio::runtime::Handle::current(), &[ca.ca_pem()])?,
            settings: Arc::new(mock.connector_settings()),
        };
        Ok(Tls {
            mock,
            connector,
            native,
        })
    }
}

/// The same call over HTTPS ([`Tls`]), each side on a kept-alive TLS connection.
pub(super) async fn https_call(
    run: &Run<'_>,
    tls: &Tls,
    report: &mut BenchReport,
) -> anyhow::Result<()> {
    let Run {
        iterations, psa, ..
    } = *run;
    let mut session = open(&tls.connector, &tls.mock).await?;
    get_organization(&mut session, psa).await?;
    let mut https = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        get_organization(&mut session, psa).await?;
        https.push(started.elapsed());
    }
    drop(session);
    let native_https = tls.native.run(|n| {
        let session = n.open()?;
        native_get_organization(&session, n.psa)?;
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                native_get_organization(&session, n.psa)?;
                Ok(started.elapsed())
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    report.push(
        "https_call",
        "a call with one HTTPS request (get-organization, TLS on a kept-alive connection)",
        Unit::Millis,
        Some(Stat::of_durations(&https)),
        Some(Stat::of_durations(&native_https)),
    );
    Ok(())
}
