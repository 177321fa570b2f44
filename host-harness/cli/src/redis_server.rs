//! [`RedisServer`]: a private Redis for the fleet soak and the tests — the system
//! `redis-server` (`.ci/run` installs it from the distribution's packages when it is missing),
//! started on a free loopback port with its own data directory, append-only file fsynced on
//! every write, no RDB snapshots. No fixed port, and never a mock of Redis.
//!
//! `restart` (and `kill` then `restart`) keeps the port and the directory, so the data written
//! before survives through the append-only file, as a Redis restarted under a fleet would.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a starting Redis may take to answer PING (it loads its append-only file first).
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a graceful stop may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Fresh ports tried when a first start fails (another process took the port meanwhile).
const START_ATTEMPTS: usize = 5;

/// A `redis-server` process of this test, on `127.0.0.1` and a port picked at start.
///
/// Dropping it kills the process and removes its data directory.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port with a fresh data directory and waits
    /// until it answers PING. Fails when `redis-server` is not on PATH or does not start.
    pub fn start() -> anyhow::Result<RedisServer> {
        let mut server = RedisServer {
            binary: redis_server_binary()?,
            port: 0,
            dir: fresh_dir()?,
            child: None,
        };
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            server.port = free_port();
            match server.spawn_and_wait() {
                Ok(()) => return Ok(server),
                Err(log) => last_log = log,
            }
        }
        drop(server); // removes the directory
        anyhow::bail!(
            "redis-server did not start in {START_ATTEMPTS} attempts; its last log:\n{last_log}"
        )
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Its data directory (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The port it listens on (the same across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the process is running (it was started and neither stopped nor killed).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Stops Redis gracefully (`SHUTDOWN`: the append-only file is flushed) and waits for the
    /// process to exit; kills it if it has not exited within 10 s. Nothing when not running.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Redis answers SHUTDOWN by closing the connection (no reply) once it has exited.
        if let Ok(mut stream) = self.connect() {
            let _ = stream.write_all(b"SHUTDOWN\r\n");
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        }
        if !wait_exit(&mut child, STOP_TIMEOUT) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops Redis (see [`RedisServer::stop`]; after [`RedisServer::kill`] there is nothing
    /// to stop) and starts it again on the same port and directory, so the data survives;
    /// waits until it answers PING.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.spawn_and_wait().map_err(|log| {
            anyhow::anyhow!(
                "redis-server did not restart on port {}; its log:\n{log}",
                self.port
            )
        })
    }

    /// Kills the process at once (SIGKILL), as a crash would; the data fsynced so far stays in
    /// the directory for [`RedisServer::restart`].
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Spawns the process on `self.port` and `self.dir` and waits for PING; `Err` carries the
    /// server's log when it exits or does not answer in time (the process is then killed).
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log_path = self.dir.join("redis.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let stderr = log
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", log_path.display()))?;
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "yes"])
            .args(["--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--protected-mode", "no"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.answers_ping() {
                return Ok(());
            }
            let exited = match &mut self.child {
                Some(child) => !matches!(child.try_wait(), Ok(None)),
                None => true,
            };
            if exited || Instant::now() >= deadline {
                self.kill();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let why = if exited {
                    "exited"
                } else {
                    "did not answer PING in time"
                };
                return Err(format!("({why})\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(STOP_TIMEOUT))?;
        Ok(stream)
    }

    /// A raw `PING` answered `+PONG` (a Redis still loading its data answers `-LOADING`).
    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = self.connect() else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `redis-server` from PATH, or how to get it.
fn redis_server_binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "redis-server is not on PATH: a real Redis is started here. `.ci/run` installs \
                 it (apt-get install redis-server); on another system install Redis's server \
                 binary from its packages, or pass --redis URL"
            )
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A port nothing listens on right now (bound on port 0, then released).
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// A new, empty directory under the system temp dir.
fn fresh_dir() -> anyhow::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "psa-harness-redis-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Waits up to `timeout` for `child` to exit; whether it did.
fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
