//! The private Redis of the fleet soak and the tests ([`RedisServer`], in `psa_harness`): a
//! real `redis-server` on a free port whose data survives restarts and crashes.

pub use psa_harness::redis_server::RedisServer;

async fn connection(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .expect("a valid redis URL")
        .get_multiplexed_async_connection()
        .await
        .expect("connects to the test's redis-server")
}

async fn get(server: &RedisServer, key: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut connection(server).await)
        .await
        .expect("GET")
}

async fn set(server: &RedisServer, key: &str, value: &str) {
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query_async::<()>(&mut connection(server).await)
        .await
        .expect("SET");
}

/// Two servers get two free ports (neither Redis's default 6379), data survives a graceful
/// restart and a SIGKILL through the append-only file, and a stopped server refuses
/// connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_redis_on_a_free_port_keeps_its_data_across_restarts() {
    let mut server = RedisServer::start().unwrap();
    let other = RedisServer::start().unwrap();
    assert_ne!(server.port(), other.port());
    assert_ne!(server.port(), 6379, "not the default port");
    assert_eq!(
        server.url(),
        format!("redis://127.0.0.1:{}/", server.port())
    );
    drop(other);

    set(&server, "psa-e2e:before-restart", "kept").await;
    let port = server.port();
    server.restart().unwrap();
    assert_eq!(server.port(), port, "a restart keeps the port");
    assert_eq!(
        get(&server, "psa-e2e:before-restart").await.as_deref(),
        Some("kept"),
        "the append-only file survives a graceful restart"
    );

    set(&server, "psa-e2e:before-kill", "fsynced").await;
    server.kill();
    assert!(!server.is_running());
    assert!(
        redis::Client::open(server.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .is_err(),
        "a killed server refuses connections"
    );
    server.restart().unwrap();
    assert_eq!(
        get(&server, "psa-e2e:before-kill").await.as_deref(),
        Some("fsynced"),
        "appendfsync always: a write acknowledged before SIGKILL survives"
    );
    assert_eq!(
        get(&server, "psa-e2e:before-restart").await.as_deref(),
        Some("kept")
    );

    let dir = server.dir().to_path_buf();
    server.stop();
    assert!(!server.is_running());
    drop(server);
    assert!(!dir.exists(), "Drop removes the data directory");
}
