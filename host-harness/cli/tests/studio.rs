//! `psa-harness studio` in a real browser: the distribution's headless Chromium driven through
//! chromedriver (WebDriver, the `fantoccini` crate) clicks through the admin's whole flow for
//! both bundled connectors against the studio's embedded mock — settings (a wrong secret first),
//! test connection, mapping (a suggestion accepted, an ambiguous tenant resolved by hand, search,
//! manual map and unmap), the profile from the lookups, pre-flight, a sample alert created →
//! noted → closed, the tickets list with "Show all", the audit trail and the rate budget.
//!
//! It checks the page and the mock's state (`/api/mock/tickets/{id}`), and that no secret value
//! typed into the form is ever in the page source or in any API answer the page received.
//! Screenshots of every step: `$CARGO_TARGET_DIR/studio-screenshots/<psa>/NN-step.png`.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium`, `chromium-driver`; `.ci/run`
//! installs them when missing).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use psa_mock::connectwise::seed_ids as cw_ids;
use psa_mock::halo::seed_ids as halo_ids;
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a step may take before the test gives up waiting (a liveness bound, not a
/// performance assertion: the first run compiles the component).
const PATIENCE: Duration = Duration::from_secs(180);

/// A child process killed when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver and the Chromium it started: a test that fails before closing its session
/// would leave the browser running once chromedriver is gone, so the whole process group is
/// killed.
struct DriverGroup(Process);

impl Drop for DriverGroup {
    fn drop(&mut self) {
        let group = format!("-{}", self.0 .0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
    }
}

/// What differs between the two PSAs in the flow.
struct Psa {
    name: &'static str,
    ticket_type: &'static str,
    team: &'static str,
    default_status: &'static str,
    /// Severity → a word of the priority's name.
    priorities: [(&'static str, &'static str); 5],
    /// The mock's organization id of Contoso (the accepted suggestion).
    contoso_id: i64,
}

const HALO: Psa = Psa {
    name: "halo",
    ticket_type: "Security Alert",
    team: "Security Operations",
    default_status: "New",
    priorities: [
        ("critical", "Critical"),
        ("high", "High"),
        ("medium", "Medium"),
        ("low", "Low"),
        ("info", "Low"),
    ],
    contoso_id: halo_ids::CLIENT_CONTOSO_ID,
};

const CONNECTWISE: Psa = Psa {
    name: "connectwise",
    ticket_type: "Security Alerts",
    team: "Security Operations",
    default_status: "Security Alerts: New",
    priorities: [
        ("critical", "Emergency"),
        ("high", "Quick"),
        ("medium", "Normal"),
        ("low", "Schedule"),
        ("info", "Schedule"),
    ],
    contoso_id: cw_ids::COMPANY_CONTOSO_ID,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn studio_walks_the_flow_for_halopsa_in_chromium() {
    walk_the_flow(&HALO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn studio_walks_the_flow_for_connectwise_in_chromium() {
    walk_the_flow(&CONNECTWISE).await;
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn screenshot_dir(psa: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .expect("the target directory")
                .to_path_buf()
        });
    let dir = target.join("studio-screenshots").join(psa);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

/// Starts `psa-harness studio --mock <psa> --port 0`; returns the process, the page's URL and
/// the settings the studio printed for its mock.
fn start_studio(psa: &str) -> (Process, String, Vec<(String, String)>) {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("studio-compile-cache");
    let mut child = Command::new(env!("CARGO_BIN_EXE_psa-harness"))
        .args(["studio", "--mock", psa, "--port", "0", "--compile-cache"])
        .arg(&cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start psa-harness studio");
    let stdout = child.stdout.take().expect("the studio's stdout");
    let process = Process(child);
    let mut settings = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the studio stopped before printing its address")
            .expect("read the studio's stdout");
        if let Some(rest) = line.trim().strip_prefix("setting ") {
            let (key, value) = rest.split_once(" = ").expect("`setting key = value`");
            settings.push((key.to_string(), value.to_string()));
        }
        if let Some(rest) = line.strip_prefix("studio on ") {
            break rest.split_whitespace().next().expect("the URL").to_string();
        }
    };
    // Keep draining stdout so the studio never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(!settings.is_empty(), "the studio printed no mock settings");
    (process, url, settings)
}

async fn start_browser() -> (DriverGroup, Client) {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's `chromium` and `chromium-driver` (.ci/run does)"
        );
    }
    let port = free_port();
    let driver = DriverGroup(Process(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, which the browsers it starts join: see `DriverGroup`.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {CHROMEDRIVER} ({e}): the studio's browser test needs Debian's \
                     chromium and chromium-driver packages (.ci/run installs them)"
                )
            }),
    ));
    let mut args = vec![
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1800",
    ];
    // Chromium refuses to run as root without --no-sandbox.
    if is_root() {
        args.push("--no-sandbox");
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": CHROMIUM, "args": args }),
    );
    let webdriver = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + PATIENCE;
    let client = loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&webdriver)
            .await
        {
            Ok(client) => break client,
            // chromedriver is still starting.
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a Chromium session through chromedriver: {e}"),
        }
    };
    (driver, client)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// The browser session and where its screenshots go.
struct Page {
    client: Client,
    dir: PathBuf,
    step: std::cell::Cell<u32>,
    /// Secret values typed into the form: never in the page nor in an API answer.
    secrets: Vec<String>,
}

impl Page {
    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element `{css}`: {e}"))
    }

    async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
        // Whatever the click started (an API call) has finished.
        self.settle().await;
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// Waits until the text of `css` satisfies `ready`; returns it.
    async fn wait_text(&self, css: &str, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if ready(&text) {
                return text;
            }
            if std::time::Instant::now() > deadline {
                self.shot("timeout").await;
                let mut errors = Vec::new();
                for element in self
                    .client
                    .find_all(Locator::Css(".error:not([hidden])"))
                    .await
                    .unwrap_or_default()
                {
                    errors.push(element.text().await.unwrap_or_default());
                }
                panic!(
                    "waiting for {what} in `{css}`; it reads:\n{text}\nerrors on the page: {errors:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until every action the page started has finished (`body[data-pending='0']`).
    async fn settle(&self) {
        self.find("body[data-pending='0']").await;
    }

    /// Waits until `css` matches `n` elements.
    async fn wait_count(&self, css: &str, n: usize) {
        let deadline = std::time::Instant::now() + PATIENCE;
        while self.count(css).await != n {
            assert!(
                std::time::Instant::now() < deadline,
                "waiting for {n} elements `{css}`"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("clear the input");
        input.send_keys(text).await.expect("type into the input");
    }

    /// Picks the first option of the select `id` whose text contains `word`.
    async fn choose(&self, id: &str, word: &str) {
        let xpath = format!("//select[@id='{id}']/option[contains(normalize-space(.), '{word}')]");
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no option containing `{word}` in #{id}: {e}"))
            .click()
            .await
            .expect("select the option");
        self.settle().await;
    }

    /// Saves a screenshot of the step and checks the page source holds no secret.
    async fn shot(&self, name: &str) {
        self.step.set(self.step.get() + 1);
        let path = self.dir.join(format!("{:02}-{name}.png", self.step.get()));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write the screenshot");
        println!("screenshot: {}", path.display());
        let source = self.client.source().await.expect("page source");
        for secret in &self.secrets {
            assert!(
                !source.contains(secret.as_str()),
                "a secret is in the page source at step {name}"
            );
        }
    }

    /// A document from the studio's API, fetched by the page (and so recorded with the rest).
    async fn api(&self, path: &str) -> Value {
        let script = "const [path, done] = arguments; \
            fetch(path).then(r => r.text()).then(t => { window.__studioResponses.push(t); done(t); });";
        let text = self
            .client
            .execute_async(script, vec![json!(path)])
            .await
            .unwrap_or_else(|e| panic!("fetch {path}: {e}"));
        serde_json::from_str(text.as_str().expect("a text answer")).expect("JSON answer")
    }
}

impl Page {
    /// POSTs `body` to the studio's API from the page; the status and the JSON answer.
    async fn post(&self, path: &str, body: &str) -> (u64, Value) {
        self.post_as(path, "application/json", body).await
    }

    /// As [`Self::post`], with this content type.
    async fn post_as(&self, path: &str, content_type: &str, body: &str) -> (u64, Value) {
        let script = "const [path, type, body, done] = arguments; \
            fetch(path, {method: 'POST', headers: {'content-type': type}, body}) \
              .then(r => r.text().then(t => { window.__studioResponses.push(t); done([r.status, t]); }));";
        let answer = self
            .client
            .execute_async(script, vec![json!(path), json!(content_type), json!(body)])
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = answer[0].as_u64().expect("a status");
        let text = answer[1].as_str().expect("a text answer");
        (status, serde_json::from_str(text).expect("JSON answer"))
    }
}

async fn walk_the_flow(psa: &Psa) {
    let (_studio, url, settings) = start_studio(psa.name);
    let (_driver, client) = start_browser().await;
    let mut page = Page {
        client,
        dir: screenshot_dir(psa.name),
        step: std::cell::Cell::new(0),
        secrets: Vec::new(),
    };
    // A page that reached the studio through another host name (DNS rebinding) is refused.
    let answer = raw_get(&url, "/api/state", "rebind.example:80");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("\"forbidden\""), "{answer}");
    client_flow(&mut page, psa, &url, &settings).await;
    page.client
        .close()
        .await
        .expect("close the browser session");
}

async fn client_flow(page: &mut Page, psa: &Psa, url: &str, settings: &[(String, String)]) {
    page.client.goto(url).await.expect("open the studio");
    page.find("body[data-ready='true']").await;
    let connector = page.text("#connector").await;
    assert!(connector.contains("capabilities:"), "{connector}");
    page.shot("loaded").await;

    // ---- 1. settings: a wrong secret first, then the right one --------------------------------
    let mut secret_keys = Vec::new();
    for (key, _) in settings {
        let kind = page
            .find(&format!("#setting-{key}"))
            .await
            .attr("type")
            .await
            .expect("input type");
        if kind.as_deref() == Some("password") {
            secret_keys.push(key.clone());
        }
    }
    assert!(!secret_keys.is_empty(), "no secret field in the form");
    // A malformed URL: the connector's typed error, shown in the page.
    let (url_key, _) = &settings[0];
    page.type_into(&format!("#setting-{url_key}"), "not a url")
        .await;
    page.click("#save-settings").await;
    let error = page
        .wait_text("#settings-error", "the typed error", |t| !t.is_empty())
        .await;
    assert!(
        error.contains(&format!("invalid-settings ({url_key})")),
        "{error}"
    );
    assert_eq!(page.text("#session-status").await, "no session");
    page.shot("invalid-url").await;

    let wrong = "wrong-secret-value-4821";
    page.secrets.push(wrong.to_string());
    for (key, value) in settings {
        let value = if secret_keys.contains(key) {
            wrong
        } else {
            value
        };
        page.type_into(&format!("#setting-{key}"), value).await;
    }
    page.click("#save-settings").await;
    page.wait_text("#session-status", "an open session", |t| {
        t == "session open"
    })
    .await;
    page.click("#test-connection").await;
    let error = page
        .wait_text("#test-error", "the typed error", |t| !t.is_empty())
        .await;
    assert!(error.contains("auth-failed"), "{error}");
    page.shot("wrong-secret").await;

    for (key, value) in settings {
        if secret_keys.contains(key) {
            page.secrets.push(value.clone());
            page.type_into(&format!("#setting-{key}"), value).await;
        }
    }
    page.shot("settings-filled").await;
    page.click("#save-settings").await;
    page.wait_text("#session-status", "an open session", |t| {
        t == "session open"
    })
    .await;
    for key in &secret_keys {
        let input = page.find(&format!("#setting-{key}")).await;
        assert_eq!(input.prop("value").await.unwrap().as_deref(), Some(""));
        assert_eq!(page.text(&format!("#setting-status-{key}")).await, "set");
    }
    page.shot("settings-saved").await;

    // ---- 2. test connection -------------------------------------------------------------------
    page.click("#test-connection").await;
    let status = page
        .wait_text("#connection-status", "the report", |t| !t.is_empty())
        .await;
    assert_eq!(status, "all checks passed");
    let checks = page.count("#permission-checks li").await;
    assert!(checks >= 4, "{checks} permission lines");
    assert!(page.text("#permission-checks").await.contains('✓'));
    assert!(page.text("#test-error").await.is_empty());
    page.shot("test-connection").await;

    // ---- 3. mapping -----------------------------------------------------------------------------
    page.click("#load-mapping").await;
    page.wait_text("#mapping-count", "the tenants", |t| t.starts_with("0 of"))
        .await;
    let contoso = page.text("#tenant-t-contoso").await;
    assert!(
        contoso.contains("Contoso Ltd") && contoso.contains('%'),
        "{contoso}"
    );
    let adatum = page.text("#tenant-t-adatum").await;
    assert!(adatum.contains("Ambiguous"), "{adatum}");
    page.shot("suggestions").await;
    page.click("#accept-t-contoso").await;
    page.choose("pick-t-adatum", "Adatum Corporation").await;
    page.click("#pick-map-t-adatum").await;
    page.wait_text("#mapping-count", "two mapped", |t| t.starts_with("2 of"))
        .await;
    // Search filters both lists.
    page.type_into("#mapping-search", "globex").await;
    page.wait_text("#tenant-list", "only Globex", |t| {
        t.contains("Globex") && !t.contains("Contoso")
    })
    .await;
    assert_eq!(page.count("#org-list li").await, 0);
    page.type_into("#mapping-search", "fabrikam").await;
    page.wait_text("#org-list", "Fabrikam only", |t| t.contains("Fabrikam"))
        .await;
    assert_eq!(page.count("#org-list li").await, 1);
    assert_eq!(page.count("#tenant-list li").await, 1);
    page.shot("search").await;
    // Manual map of the tenant that matched nothing, then unmap.
    // Empty the search box as a user does (the last character deleted with Backspace).
    page.type_into("#mapping-search", "x\u{E003}").await;
    page.wait_count("#tenant-list li", 8).await;
    page.click("#tenant-t-globex").await;
    page.click("#org-list li").await;
    page.click("#map-selected").await;
    page.wait_text("#mapping-count", "three mapped", |t| t.starts_with("3 of"))
        .await;
    assert!(page.text("#tenant-t-globex").await.contains('→'));
    page.shot("manual-map").await;
    page.click("#unmap-t-globex").await;
    page.wait_text("#mapping-count", "two mapped", |t| t.starts_with("2 of"))
        .await;
    page.shot("mapping").await;

    // ---- 4. profile -----------------------------------------------------------------------------
    page.click("#load-lookups").await;
    page.find("#priority-critical option").await;
    page.settle().await;
    page.choose("ticket-type", psa.ticket_type).await;
    // Changing the type reloads its priorities.
    page.settle().await;
    for (severity, word) in psa.priorities {
        page.choose(&format!("priority-{severity}"), word).await;
    }
    page.choose("team", psa.team).await;
    page.choose("default-status", psa.default_status).await;
    page.choose("strategy", "Create, update and close").await;
    page.shot("profile").await;

    // ---- 5. pre-flight --------------------------------------------------------------------------
    page.click("#validate").await;
    let status = page
        .wait_text("#validation-status", "the report", |t| !t.is_empty())
        .await;
    assert!(status.starts_with("ready"), "{status}");
    assert!(page.text("#findings").await.contains("Fix"));
    page.shot("preflight").await;

    // ---- 6. the alert's lifecycle ---------------------------------------------------------------
    page.choose("alert-tenant", "Contoso").await;
    page.click("#send-alert").await;
    let events = page
        .wait_text("#lifecycle", "created", |t| t.lines().count() >= 1)
        .await;
    assert!(events.contains("sync-alert: created"), "{events}");
    page.wait_text("#ticket-closed", "open", |t| t == "open")
        .await;
    let ticket_id = page
        .find("#ticket-state")
        .await
        .attr("data-ticket-id")
        .await
        .unwrap()
        .expect("the ticket id");
    let stored = page.api(&format!("/api/mock/tickets/{ticket_id}")).await;
    assert_eq!(
        organization_of(psa, &stored["ticket"]),
        Some(psa.contoso_id)
    );
    assert!(!is_closed(psa, &stored["ticket"]), "{stored}");
    let notes_before = stored["notes"].as_array().map_or(0, Vec::len);
    page.shot("alert-created").await;

    page.click("#send-alert").await;
    let events = page
        .wait_text("#lifecycle", "noted", |t| t.lines().count() >= 2)
        .await;
    assert!(events.contains("sync-alert: noted"), "{events}");
    assert!(events.contains("occurrence 2"), "{events}");
    let stored = page.api(&format!("/api/mock/tickets/{ticket_id}")).await;
    let notes_after = stored["notes"].as_array().map_or(0, Vec::len);
    assert!(notes_after > notes_before, "no note was added: {stored}");
    page.shot("alert-noted").await;

    page.click("#resolve-alert").await;
    let events = page
        .wait_text("#lifecycle", "closed", |t| t.lines().count() >= 3)
        .await;
    assert!(events.contains("resolve-alert: closed"), "{events}");
    page.wait_text("#ticket-closed", "closed", |t| t == "closed")
        .await;
    let stored = page.api(&format!("/api/mock/tickets/{ticket_id}")).await;
    assert!(is_closed(psa, &stored["ticket"]), "{stored}");
    page.shot("alert-closed").await;

    // ---- 7. tickets and "Show all" --------------------------------------------------------------
    let row = format!("#tickets tr[data-ticket='{ticket_id}']");
    page.click("#load-tickets").await;
    page.wait_text("#tickets-total", "the list", |t| t.ends_with("tickets"))
        .await;
    assert_eq!(
        page.count(&row).await,
        0,
        "a closed ticket in the open list"
    );
    page.shot("tickets-open").await;
    page.click("#show-all").await;
    page.wait_text(&row, "the closed ticket", |t| t.contains("yes"))
        .await;
    page.shot("tickets-all").await;
    page.click("#show-all").await;
    page.settle().await;
    page.wait_count(&row, 0).await;

    // ---- 8. audit trail and rate budget ---------------------------------------------------------
    let audit = page
        .wait_text("#audit", "the audit trail", |t| t.contains("resolve-alert"))
        .await;
    for expected in [
        "sync-alert",
        "Decision: created",
        "test-connection",
        "→ 200",
    ] {
        assert!(
            audit.contains(expected),
            "`{expected}` not in the audit trail:\n{audit}"
        );
    }
    let stats = page.text("#stats").await;
    assert!(
        stats.contains("Requests:") && stats.contains("Rate budget"),
        "{stats}"
    );
    page.find("#s-audit").await;
    page.client
        .execute(
            "document.getElementById('s-audit').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    page.shot("audit").await;
    // The whole page in one picture.
    let height = page
        .client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .expect("the page's height")
        .as_u64()
        .expect("a height");
    page.client
        .set_window_size(1280, u32::try_from(height + 200).unwrap_or(u32::MAX))
        .await
        .expect("resize the window");
    page.shot("whole-page").await;

    // ---- no secret in any API answer the page received ------------------------------------------
    let answers = page
        .client
        .execute("return window.__studioResponses", vec![])
        .await
        .expect("the recorded answers");
    let answers = answers.as_array().expect("an array of answers");
    assert!(
        answers.len() > 20,
        "only {} answers recorded",
        answers.len()
    );
    let all = answers
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    for secret in &page.secrets {
        assert!(
            !all.contains(secret.as_str()),
            "a secret is in an API answer"
        );
    }
    // The server answers bad input with a typed error, not a blank page or a panic.
    let bad = page.api("/api/mock/tickets/not-a-number").await;
    assert_eq!(bad["error"]["kind"], "bad-request", "{bad}");
    let missing = page.api("/api/nothing-here").await;
    assert_eq!(missing["error"]["kind"], "not-found", "{missing}");
    for (path, body, status, kind) in [
        ("/api/settings", "{not json", 400, "bad-request"),
        (
            "/api/settings",
            r#"{"values": {"no_such_key": "x"}}"#,
            400,
            "bad-request",
        ),
        ("/api/call/no-such-operation", "[]", 400, "host"),
        ("/api/call/get-ticket", r#"{"args": [42]}"#, 400, "host"),
        (
            "/api/call/get-ticket",
            r#"{"args": ["999999"]}"#,
            422,
            "connector",
        ),
    ] {
        let (got, answer) = page.post(path, body).await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["kind"], kind, "{path} {body}: {answer}");
        assert!(answer["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // What a cross-site form could send is refused before it reaches the connector.
    let calls = page.api("/api/log").await.as_array().map_or(0, Vec::len);
    let (got, answer) = page
        .post_as("/api/call/test-connection", "text/plain", "[]")
        .await;
    assert_eq!(got, 415, "{answer}");
    assert_eq!(
        answer["error"]["kind"], "unsupported-media-type",
        "{answer}"
    );
    let after = page.api("/api/log").await.as_array().map_or(0, Vec::len);
    assert_eq!(after, calls, "the refused request reached the connector");
}

/// A GET over a plain TCP connection with this `Host` header; the whole answer as text.
fn raw_get(url: &str, path: &str, host: &str) -> String {
    use std::io::{Read, Write};
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect to the studio");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    answer
}

fn organization_of(psa: &Psa, ticket: &Value) -> Option<i64> {
    match psa.name {
        "halo" => ticket["client_id"].as_i64(),
        _ => ticket["company"]["id"].as_i64(),
    }
}

fn is_closed(psa: &Psa, ticket: &Value) -> bool {
    match psa.name {
        "halo" => ticket["status_id"].as_i64() == Some(halo_ids::STATUS_CLOSED),
        _ => ticket["closedFlag"].as_bool() == Some(true),
    }
}
