//! Fault injection, shared by every mock: rules that make chosen requests fail the way real
//! networks and PSAs do. What a status fault's body looks like is each mock's own
//! (`halo::faults`, `connectwise::faults`).
//!
//! A request is counted and logged first; then every rule whose endpoint matches counts it, and
//! the first rule whose trigger fires decides the fault. Faults replace the normal answer, except
//! [`Fault::TruncatedBody`], [`Fault::WrongContentType`], [`Fault::SlowFirstByte`] and
//! [`Fault::ProcessThenDrop`], which run the request normally (so writes take effect) and then
//! mangle, delay or drop the answer.

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body::{Body, Frame, SizeHint};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::reply::{Reply, HTML};

/// One fault-injection rule: which requests, when, and what goes wrong.
///
/// # Text syntax (`FromStr`, used by the CLI)
///
/// Comma-separated `key=value` items (and the bare word `every`):
///
/// | item | meaning |
/// |---|---|
/// | `kind=<k>` | required; see below |
/// | `endpoint=<METHOD /path>` | an endpoint key as in [`MockHalo::count`](crate::MockServer::count) or [`MockConnectWise::count`](crate::MockServer::count) (case-insensitive, numeric segments may be given literally; for ConnectWise the `/{codebase}apis/3.0` prefix may be left out); a bare `/path` matches any method; omitted = every request |
/// | `nth=N` | only the N-th matching request (1-based) |
/// | `first=N` | the first N matching requests |
/// | `every` | every matching request (the default) |
/// | `p=F` / `probability=F` | each matching request with probability F (0..=1), from a RNG seeded with the mock's `seed` |
/// | `retry-after=S` | with `kind=429`: send `Retry-After: S` |
/// | `bytes=N` | with `kind=huge`: body size (default 52428800) |
/// | `ms=N` / `secs=N` | with `kind=slow`: delay before answering (default 3000 ms) |
///
/// Kinds: an HTTP status code such as `401`, `403`, `404`, `500`, `503` ([`Fault::Status`];
/// `429` gives [`Fault::RateLimited`]), `rate-limit`, `bad-gateway` ([`Fault::BadGatewayHtml`]),
/// `malformed` / `malformed-json`, `truncated`, `wrong-content-type` / `html`, `huge`, `slow`,
/// `reset`, `created-then-drop` / `process-then-drop`.
///
/// Examples (Halo; for ConnectWise e.g. `endpoint=POST /service/tickets`):
/// `kind=500,endpoint=POST /api/tickets,nth=2`, `kind=429,retry-after=2,first=3`,
/// `kind=reset,p=0.1`, `kind=huge,bytes=52428800`, `kind=slow,ms=3000`,
/// `kind=created-then-drop,endpoint=POST /api/tickets,every`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Endpoint key the rule applies to (e.g. `"POST /api/tickets"`); `None` = any request.
    pub endpoint: Option<String>,
    /// Which of the matching requests are hit.
    pub trigger: FaultTrigger,
    /// What happens to them.
    pub fault: Fault,
}

/// Which matching requests a [`FaultRule`] hits. Each rule counts its own matching requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultTrigger {
    /// Only the n-th matching request (1-based).
    Nth(u64),
    /// The first n matching requests.
    FirstN(u64),
    /// Every matching request.
    Every,
    /// Each matching request with probability `p` (seeded RNG, so runs are repeatable).
    Probability {
        /// Probability in `0.0..=1.0`.
        p: f64,
    },
}

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// That status with a small body like the PSA's (Halo: 401 plain text, 404 `{"message"}`,
    /// 500 `{"Message"}`, 502/504 HTML, 503 plain text, ...; ConnectWise: `{"code","message",
    /// "errors"}`, 403 `{"code":"Security"}`). The request is not processed.
    Status(u16),
    /// 429 with the PSA's words (Halo: the "Rate Limit Reached" text; ConnectWise:
    /// `{"error":"ConnectWiseAPI","message":"Too many requests…"}`), with or without
    /// `Retry-After` (seconds).
    RateLimited {
        /// Value of `Retry-After`, if any.
        retry_after: Option<u32>,
    },
    /// 502 with an HTML error page (`text/html`), as a proxy in front of the PSA sends.
    BadGatewayHtml,
    /// 200, `application/json`, but the body is not JSON.
    MalformedJson,
    /// 200 (the real status), the real body cut in half; `Content-Length` matches what is sent.
    /// The request is processed.
    TruncatedBody,
    /// The real answer, but with `Content-Type: text/html`. The request is processed.
    WrongContentType,
    /// 200, `application/json`, a body of exactly `bytes` bytes (`{"padding":"xxxx…"}`),
    /// streamed in chunks so it is never held in memory at once. The request is not processed.
    HugeBody {
        /// Body size in bytes.
        bytes: usize,
    },
    /// Wait, then answer normally.
    SlowFirstByte {
        /// Delay before the request is processed and answered.
        delay: Duration,
    },
    /// Close the connection with a TCP reset and no response at all. Not processed.
    ConnectionReset,
    /// Process the request (e.g. create the ticket), then close the connection without a
    /// response.
    ProcessThenDrop,
}

/// Why a fault rule string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault rule '{input}': {reason}")]
pub struct ParseFaultError {
    input: String,
    reason: String,
}

const DEFAULT_HUGE_BYTES: usize = 50 * 1024 * 1024;
const DEFAULT_SLOW: Duration = Duration::from_millis(3000);

impl FromStr for FaultRule {
    type Err = ParseFaultError;

    fn from_str(input: &str) -> Result<FaultRule, ParseFaultError> {
        let err = |reason: String| ParseFaultError {
            input: input.to_string(),
            reason,
        };
        let mut kind = None;
        let mut endpoint = None;
        let mut trigger = None;
        let mut retry_after = None;
        let mut bytes = None;
        let mut delay = None;
        let mut set_trigger = |t: FaultTrigger| -> Result<(), ParseFaultError> {
            if trigger.replace(t).is_some() {
                return Err(err(
                    "more than one trigger (nth, first, every, p) given".into()
                ));
            }
            Ok(())
        };
        let int = |key: &str, v: &str| -> Result<u64, ParseFaultError> {
            v.parse::<u64>()
                .map_err(|_| err(format!("{key} must be a non-negative integer, got '{v}'")))
        };
        for item in input.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim()),
                None => (item.to_ascii_lowercase(), ""),
            };
            match key.as_str() {
                "kind" => kind = Some(value.to_ascii_lowercase()),
                "endpoint" => {
                    if value.is_empty() {
                        return Err(err("endpoint is empty".into()));
                    }
                    endpoint = Some(value.to_string());
                }
                "nth" => match int("nth", value)? {
                    0 => return Err(err("nth is 1-based; 0 never matches".into())),
                    n => set_trigger(FaultTrigger::Nth(n))?,
                },
                "first" => set_trigger(FaultTrigger::FirstN(int("first", value)?))?,
                "every" if value.is_empty() || value.eq_ignore_ascii_case("true") => {
                    set_trigger(FaultTrigger::Every)?
                }
                "p" | "probability" => match value.parse::<f64>() {
                    Ok(p) if (0.0..=1.0).contains(&p) => {
                        set_trigger(FaultTrigger::Probability { p })?
                    }
                    _ => return Err(err(format!("p must be a number in 0..=1, got '{value}'"))),
                },
                "retry-after" | "retry_after" => {
                    retry_after = Some(u32::try_from(int("retry-after", value)?).map_err(|_| {
                        err(format!("retry-after is too large: '{value}'"))
                    })?)
                }
                "bytes" => {
                    bytes = Some(
                        usize::try_from(int("bytes", value)?)
                            .map_err(|_| err(format!("bytes is too large: '{value}'")))?,
                    )
                }
                "ms" => delay = Some(Duration::from_millis(int("ms", value)?)),
                "secs" | "s" => delay = Some(Duration::from_secs(int("secs", value)?)),
                other => {
                    return Err(err(format!(
                        "unknown item '{other}' (expected kind, endpoint, nth, first, every, p, retry-after, bytes, ms, secs)"
                    )))
                }
            }
        }
        let kind = kind.ok_or_else(|| err("missing kind=<fault>".into()))?;
        let fault = match kind.as_str() {
            "429" | "rate-limit" | "rate-limited" => Fault::RateLimited { retry_after },
            "bad-gateway" | "502-html" => Fault::BadGatewayHtml,
            "malformed" | "malformed-json" => Fault::MalformedJson,
            "truncated" | "truncate" => Fault::TruncatedBody,
            "wrong-content-type" | "html" => Fault::WrongContentType,
            "huge" => Fault::HugeBody {
                bytes: bytes.unwrap_or(DEFAULT_HUGE_BYTES),
            },
            "slow" => Fault::SlowFirstByte {
                delay: delay.unwrap_or(DEFAULT_SLOW),
            },
            "reset" | "connection-reset" => Fault::ConnectionReset,
            "created-then-drop" | "process-then-drop" => Fault::ProcessThenDrop,
            code => match code.parse::<u16>() {
                Ok(c) if (100..=599).contains(&c) => Fault::Status(c),
                _ => {
                    return Err(err(format!(
                        "unknown kind '{code}' (expected an HTTP status 100-599, rate-limit, bad-gateway, malformed, truncated, wrong-content-type, huge, slow, reset or created-then-drop)"
                    )))
                }
            },
        };
        let only = |present: bool, what: &str, kinds: &str| {
            if present {
                Err(err(format!("{what} only applies to kind={kinds}")))
            } else {
                Ok(())
            }
        };
        only(
            retry_after.is_some() && !matches!(fault, Fault::RateLimited { .. }),
            "retry-after",
            "429",
        )?;
        only(
            bytes.is_some() && !matches!(fault, Fault::HugeBody { .. }),
            "bytes",
            "huge",
        )?;
        only(
            delay.is_some() && !matches!(fault, Fault::SlowFirstByte { .. }),
            "ms/secs",
            "slow",
        )?;
        Ok(FaultRule {
            endpoint,
            trigger: trigger.unwrap_or(FaultTrigger::Every),
            fault,
        })
    }
}

impl fmt::Display for FaultRule {
    /// Writes the rule in the [`FromStr`] syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fault {
            Fault::Status(c) => write!(f, "kind={c}")?,
            Fault::RateLimited { retry_after } => {
                write!(f, "kind=429")?;
                if let Some(r) = retry_after {
                    write!(f, ",retry-after={r}")?;
                }
            }
            Fault::BadGatewayHtml => write!(f, "kind=bad-gateway")?,
            Fault::MalformedJson => write!(f, "kind=malformed")?,
            Fault::TruncatedBody => write!(f, "kind=truncated")?,
            Fault::WrongContentType => write!(f, "kind=wrong-content-type")?,
            Fault::HugeBody { bytes } => write!(f, "kind=huge,bytes={bytes}")?,
            Fault::SlowFirstByte { delay } => write!(f, "kind=slow,ms={}", delay.as_millis())?,
            Fault::ConnectionReset => write!(f, "kind=reset")?,
            Fault::ProcessThenDrop => write!(f, "kind=created-then-drop")?,
        }
        if let Some(e) = &self.endpoint {
            write!(f, ",endpoint={e}")?;
        }
        match self.trigger {
            FaultTrigger::Nth(n) => write!(f, ",nth={n}"),
            FaultTrigger::FirstN(n) => write!(f, ",first={n}"),
            FaultTrigger::Every => write!(f, ",every"),
            FaultTrigger::Probability { p } => write!(f, ",p={p}"),
        }
    }
}

impl FaultRule {
    /// Whether the rule applies to requests with endpoint key `key`, given the mock's endpoint
    /// key function.
    fn matches(&self, key: &str, endpoint_key: KeyFn) -> bool {
        let Some(endpoint) = &self.endpoint else {
            return true;
        };
        let endpoint = endpoint.trim();
        match endpoint.split_once(char::is_whitespace) {
            Some((method, path)) => endpoint_key(method, path.trim()) == key,
            None => key
                .split_once(' ')
                .is_some_and(|(method, _)| endpoint_key(method, endpoint) == key),
        }
    }
}

/// One active rule with its counters.
#[derive(Debug)]
struct ActiveRule {
    rule: FaultRule,
    /// Matching requests seen.
    seen: u64,
    /// Faults this rule injected.
    fired: u64,
}

/// A mock's endpoint key function: `(method, path)` to the key requests are counted under.
pub(crate) type KeyFn = fn(&str, &str) -> String;

/// The active rules with their match counters.
#[derive(Debug)]
pub(crate) struct FaultSet {
    rules: Vec<ActiveRule>,
    endpoint_key: KeyFn,
    rng: StdRng,
    /// Faults injected since start, by every rule ever added (kept across [`FaultSet::clear`]).
    fired_total: u64,
}

impl FaultSet {
    /// No rules; `Probability` triggers draw from a RNG seeded with `seed`; rule endpoints are
    /// turned into keys with `endpoint_key`.
    pub fn new(seed: u64, endpoint_key: KeyFn) -> FaultSet {
        FaultSet {
            rules: Vec::new(),
            endpoint_key,
            rng: StdRng::seed_from_u64(seed),
            fired_total: 0,
        }
    }

    /// Adds a rule (after the existing ones).
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.push(ActiveRule {
            rule,
            seen: 0,
            fired: 0,
        });
    }

    /// Removes every rule (the total of faults fired is kept).
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Counts a request with endpoint key `key` against every matching rule and returns the
    /// fault of the first rule that fires.
    /// The fault is counted as fired by that rule (a later rule whose trigger also fired is not:
    /// only one fault reaches the request).
    pub fn pick(&mut self, key: &str) -> Option<Fault> {
        let mut chosen = None;
        for active in &mut self.rules {
            if !active.rule.matches(key, self.endpoint_key) {
                continue;
            }
            active.seen += 1;
            let fire = match active.rule.trigger {
                FaultTrigger::Nth(n) => active.seen == n,
                FaultTrigger::FirstN(n) => active.seen <= n,
                FaultTrigger::Every => true,
                FaultTrigger::Probability { p } => self.rng.random::<f64>() < p,
            };
            if fire && chosen.is_none() {
                active.fired += 1;
                self.fired_total += 1;
                chosen = Some(active.rule.fault.clone());
            }
        }
        chosen
    }

    /// Faults injected since start, by every rule ever added.
    pub fn fired_total(&self) -> u64 {
        self.fired_total
    }

    /// The active rules, in order, with how many faults each injected.
    pub fn fired_by_rule(&self) -> Vec<(FaultRule, u64)> {
        self.rules
            .iter()
            .map(|a| (a.rule.clone(), a.fired))
            .collect()
    }
}

/// Applies a response-mangling fault to the real answer.
pub(crate) fn mangle(fault: &Fault, mut reply: Reply) -> Reply {
    match fault {
        Fault::TruncatedBody => {
            let half = reply.body.len() / 2;
            reply.body = reply.body.slice(..half);
        }
        Fault::WrongContentType => reply.content_type = HTML,
        _ => {}
    }
    reply
}

/// An HTML error page like a reverse proxy's.
pub(crate) fn html_error(status: StatusCode) -> Reply {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    Reply::new(
        status,
        HTML,
        format!(
            "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body><center><h1>{title}</h1></center>\n<hr><center>nginx</center>\n</body></html>\n"
        ),
    )
}

/// A streamed `{"padding":"xxx…"}` body of an exact size (just `x`s when too small for that).
#[derive(Debug)]
pub(crate) struct HugeBody {
    total: usize,
    sent: usize,
    filler: Bytes,
}

const HUGE_PREFIX: &[u8] = br#"{"padding":""#;
const HUGE_SUFFIX: &[u8] = br#""}"#;
const HUGE_CHUNK: usize = 64 * 1024;

impl HugeBody {
    /// A body of exactly `total` bytes.
    pub fn new(total: usize) -> HugeBody {
        HugeBody {
            total,
            sent: 0,
            filler: Bytes::from(vec![b'x'; HUGE_CHUNK]),
        }
    }

    fn next_chunk(&self) -> Option<Bytes> {
        let (pos, total) = (self.sent, self.total);
        if pos >= total {
            return None;
        }
        let framed = total >= HUGE_PREFIX.len() + HUGE_SUFFIX.len();
        let (head, tail) = if framed {
            (HUGE_PREFIX.len(), total - HUGE_SUFFIX.len())
        } else {
            (0, total)
        };
        Some(if pos < head {
            Bytes::from_static(&HUGE_PREFIX[pos..])
        } else if pos < tail {
            self.filler.slice(..HUGE_CHUNK.min(tail - pos))
        } else {
            Bytes::from_static(&HUGE_SUFFIX[pos - tail..])
        })
    }
}

impl Body for HugeBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let chunk = self.next_chunk();
        if let Some(c) = &chunk {
            self.sent += c.len();
        }
        Poll::Ready(chunk.map(|c| Ok(Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.total
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.total - self.sent) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_examples() {
        let r: FaultRule = "kind=500,endpoint=POST /api/tickets,nth=2".parse().unwrap();
        assert_eq!(
            r,
            FaultRule {
                endpoint: Some("POST /api/tickets".into()),
                trigger: FaultTrigger::Nth(2),
                fault: Fault::Status(500)
            }
        );
        let r: FaultRule = "kind=429,retry-after=2,first=3".parse().unwrap();
        assert_eq!(
            r.fault,
            Fault::RateLimited {
                retry_after: Some(2)
            }
        );
        assert_eq!(r.trigger, FaultTrigger::FirstN(3));
        let r: FaultRule = "kind=reset,p=0.1".parse().unwrap();
        assert_eq!(r.trigger, FaultTrigger::Probability { p: 0.1 });
        assert_eq!(r.fault, Fault::ConnectionReset);
        let r: FaultRule = "kind=huge,bytes=52428800".parse().unwrap();
        assert_eq!(r.fault, Fault::HugeBody { bytes: 52_428_800 });
        let r: FaultRule = "kind=slow,ms=3000".parse().unwrap();
        assert_eq!(
            r.fault,
            Fault::SlowFirstByte {
                delay: Duration::from_secs(3)
            }
        );
        let r: FaultRule = "kind=created-then-drop,endpoint=POST /api/tickets,every"
            .parse()
            .unwrap();
        assert_eq!(r.fault, Fault::ProcessThenDrop);
        assert_eq!(r.trigger, FaultTrigger::Every);
        // Display round-trips.
        assert_eq!(r.to_string().parse::<FaultRule>().unwrap(), r);
    }

    #[test]
    fn rejects_bad_rules_with_reasons() {
        for (input, needle) in [
            ("endpoint=GET /api/client", "missing kind"),
            ("kind=teapot", "unknown kind"),
            ("kind=500,nth=0", "1-based"),
            ("kind=500,nth=1,first=2", "more than one trigger"),
            ("kind=500,p=2", "0..=1"),
            ("kind=500,retry-after=3", "only applies to kind=429"),
            ("kind=reset,bytes=3", "only applies to kind=huge"),
            ("kind=500,colour=red", "unknown item"),
            ("kind=500,first=x", "non-negative integer"),
        ] {
            let e = input.parse::<FaultRule>().unwrap_err().to_string();
            assert!(e.contains(needle), "{input}: {e}");
        }
    }

    #[test]
    fn triggers_count_matching_requests() {
        let mut set = FaultSet::new(1, crate::server::endpoint_key);
        set.add("kind=500,endpoint=post /API/Tickets,nth=2".parse().unwrap());
        set.add("kind=404,endpoint=/api/client/77,first=1".parse().unwrap());
        assert_eq!(set.pick("GET /api/tickets"), None);
        assert_eq!(set.pick("POST /api/tickets"), None);
        assert_eq!(set.pick("POST /api/tickets"), Some(Fault::Status(500)));
        assert_eq!(set.pick("POST /api/tickets"), None);
        assert_eq!(set.pick("GET /api/client/{id}"), Some(Fault::Status(404)));
        assert_eq!(set.pick("GET /api/client/{id}"), None);

        // Only the fault that reached a request counts as fired.
        assert_eq!(set.fired_total(), 2);
        assert_eq!(
            set.fired_by_rule()
                .iter()
                .map(|(_, n)| *n)
                .collect::<Vec<_>>(),
            [1, 1]
        );
        set.add("kind=503,every".parse().unwrap());
        set.add("kind=502,every".parse().unwrap());
        assert_eq!(set.pick("GET /x"), Some(Fault::Status(503)));
        let fired: Vec<u64> = set.fired_by_rule().iter().map(|(_, n)| *n).collect();
        assert_eq!(fired, [1, 1, 1, 0], "the shadowed rule fired nothing");
        set.clear();
        assert_eq!(
            set.fired_total(),
            3,
            "the total survives clearing the rules"
        );
        assert!(set.fired_by_rule().is_empty());

        let mut p = FaultSet::new(7, crate::server::endpoint_key);
        p.add("kind=reset,p=0.5".parse().unwrap());
        let hits = (0..1000).filter(|_| p.pick("GET /x").is_some()).count();
        assert!((400..600).contains(&hits), "{hits}");
        assert_eq!(p.fired_total(), hits as u64);
    }

    #[test]
    fn huge_body_has_the_exact_size_and_is_json() {
        for total in [0usize, 5, 14, 15, 200_000] {
            let mut b = HugeBody::new(total);
            let mut out = Vec::new();
            while let Some(c) = b.next_chunk() {
                b.sent += c.len();
                out.extend_from_slice(&c);
            }
            assert_eq!(out.len(), total);
            if total >= 14 {
                assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
            }
        }
    }
}
