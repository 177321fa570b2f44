//! The report: figures, their statistics and units, and how values read.

use std::time::Duration;

use crate::psa::Psa;

/// The unit of a [`Figure`]'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds (a latency).
    Millis,
    /// Calls per second.
    PerSecond,
    /// Bytes.
    Bytes,
    /// A count (requests, connections, mappings).
    Count,
}

impl Unit {
    pub(super) fn name(self) -> &'static str {
        match self {
            Unit::Millis => "ms",
            Unit::PerSecond => "calls/s",
            Unit::Bytes => "bytes",
            Unit::Count => "count",
        }
    }
}

/// One measurement's distribution (a single value has n = 1 and min = median = p95).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// Number of samples.
    pub n: usize,
    /// Smallest.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// 95th percentile (of latencies: the slow end).
    pub p95: f64,
}

impl Stat {
    /// The distribution of `durations`, in milliseconds.
    pub(super) fn of_durations(durations: &[Duration]) -> Stat {
        let mut ms: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Stat {
            n: ms.len(),
            min: ms[0],
            median: at(0.5),
            p95: at(0.95),
        }
    }

    /// One value (measured once, or a total over `n` operations).
    pub(super) fn single(value: f64, n: usize) -> Stat {
        Stat {
            n,
            min: value,
            median: value,
            p95: value,
        }
    }
}

/// What the issue asks of a figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// wasm's median at most this many times native's (latency).
    AtMostTimesNative(f64),
    /// wasm's median at least this many times native's (throughput).
    AtLeastTimesNative(f64),
    /// wasm's median at most this value.
    AtMost(f64),
}

impl Target {
    /// Whether `figure` meets it (`None` when a value it needs is missing).
    pub fn met(self, figure: &Figure) -> Option<bool> {
        match self {
            Target::AtMostTimesNative(r) => figure.ratio().map(|x| x <= r),
            Target::AtLeastTimesNative(r) => figure.ratio().map(|x| x >= r),
            Target::AtMost(v) => figure.wasm.map(|w| w.median <= v),
        }
    }

    /// `≤ 1.10× native`, `≥ 0.8× native`, `≤ 1 GiB`...
    pub fn describe(self, unit: Unit) -> String {
        match self {
            Target::AtMostTimesNative(r) => format!("≤ {r:.2}× native"),
            Target::AtLeastTimesNative(r) => format!("≥ {r:.2}× native"),
            Target::AtMost(v) => format!("≤ {}", value(unit, v)),
        }
    }
}

/// One row of the report: a measurement of the component (wasm) and of the same logic
/// natively, where both exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Stable name (`http_call`, `throughput_16`...), for `--json` and tests.
    pub key: String,
    /// What it is, in words.
    pub label: String,
    /// The unit of the values.
    pub unit: Unit,
    /// In the component, through the host.
    pub wasm: Option<Stat>,
    /// The same logic natively.
    pub native: Option<Stat>,
    /// What issue 12 asks of it, if anything.
    pub target: Option<Target>,
}

impl Figure {
    /// wasm's median over native's, where both exist.
    pub fn ratio(&self) -> Option<f64> {
        match (self.wasm, self.native) {
            (Some(w), Some(n)) if n.median > 0.0 => Some(w.median / n.median),
            _ => None,
        }
    }
}

/// The results for one connector.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The PSA (and connector) measured.
    pub psa: Psa,
    /// Every figure, in the order measured.
    pub figures: Vec<Figure>,
}

impl BenchReport {
    /// The figure named `key`.
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.key == key)
    }

    pub(super) fn push(
        &mut self,
        key: &str,
        label: &str,
        unit: Unit,
        wasm: Option<Stat>,
        native: Option<Stat>,
    ) {
        self.figures.push(Figure {
            key: key.into(),
            label: label.into(),
            unit,
            wasm,
            native,
            target: None,
        });
    }

    pub(super) fn target(&mut self, key: &str, target: Target) {
        if let Some(f) = self.figures.iter_mut().find(|f| f.key == key) {
            f.target = Some(target);
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let stat = |s: Option<Stat>| {
            s.map(|s| serde_json::json!({"n": s.n, "min": s.min, "median": s.median, "p95": s.p95}))
        };
        serde_json::json!({
            "psa": self.psa.name(),
            "figures": self.figures.iter().map(|f| serde_json::json!({
                "key": f.key,
                "label": f.label,
                "unit": f.unit.name(),
                "wasm": stat(f.wasm),
                "native": stat(f.native),
                "ratio": f.ratio(),
                "target": f.target.map(|t| t.describe(f.unit)),
                "target_met": f.target.and_then(|t| t.met(f)),
            })).collect::<Vec<_>>(),
        })
    }
}

/// A value in its unit, for people.
pub fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Millis if v < 1.0 => format!("{:.1} µs", v * 1e3),
        Unit::Millis => format!("{v:.2} ms"),
        Unit::PerSecond => format!("{v:.0}/s"),
        Unit::Bytes if v >= (1 << 30) as f64 => format!("{:.2} GiB", v / (1u64 << 30) as f64),
        Unit::Bytes if v >= (1 << 20) as f64 => format!("{:.1} MiB", v / (1u64 << 20) as f64),
        Unit::Bytes => format!("{:.0} KiB", v / 1024.0),
        Unit::Count => format!("{v:.2}"),
    }
}
