//! The suite's result: [`ConformanceReport`], one [`CheckResult`] per check, as lines or JSON.

use serde::Serialize;

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "kebab-case")]
pub enum Outcome {
    /// The connector did what the check asks; what was seen.
    Pass(String),
    /// It did not; the reason.
    Fail(String),
    /// The check does not apply (a capability the connector does not declare, a write check in
    /// read-only live mode, a check that needs the mock); why.
    NotApplicable(String),
}

impl Outcome {
    /// The outcome's word in a line: `PASS`, `FAIL` or `N/A`.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Pass(_) => "PASS",
            Outcome::Fail(_) => "FAIL",
            Outcome::NotApplicable(_) => "N/A",
        }
    }

    /// The detail, reason or why-not.
    pub fn detail(&self) -> &str {
        match self {
            Outcome::Pass(d) | Outcome::Fail(d) | Outcome::NotApplicable(d) => d,
        }
    }

    /// Whether the check failed.
    pub fn is_fail(&self) -> bool {
        matches!(self, Outcome::Fail(_))
    }
}

/// One check's id, title and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Stable id, e.g. `no-secrets` (the README's table lists them).
    pub id: &'static str,
    /// What the check proves, in a few words.
    pub title: &'static str,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What [`run`](crate::run) found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConformanceReport {
    /// The component file that was checked.
    pub component: String,
    /// The connector's name (`info.name`), when `info` answered.
    pub connector: Option<String>,
    /// The contract version `info` reports, when it answered.
    pub contract_version: Option<String>,
    /// What it ran against: `mock HaloPSA`, `mock ConnectWise PSA`, `live (read-only)`...
    pub target: String,
    /// Every check, in the suite's order.
    pub checks: Vec<CheckResult>,
}

impl ConformanceReport {
    /// True when no applicable check failed.
    pub fn passed(&self) -> bool {
        !self.checks.iter().any(|c| c.outcome.is_fail())
    }

    /// The check with this id.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The ids of the checks that failed.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.outcome.is_fail())
            .map(|c| c.id)
            .collect()
    }

    /// One line per check (`PASS  id  title: detail`), then a summary line.
    pub fn lines(&self) -> Vec<String> {
        let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        let mut lines: Vec<String> = self
            .checks
            .iter()
            .map(|c| {
                format!(
                    "{:<4}  {:<width$}  {}: {}",
                    c.outcome.word(),
                    c.id,
                    c.title,
                    c.outcome.detail()
                )
            })
            .collect();
        let count = |word| {
            self.checks
                .iter()
                .filter(|c| c.outcome.word() == word)
                .count()
        };
        lines.push(format!(
            "{}: {} passed, {} failed, {} not applicable ({} against {})",
            if self.passed() {
                "conformant"
            } else {
                "NOT conformant"
            },
            count("PASS"),
            count("FAIL"),
            count("N/A"),
            self.connector.as_deref().unwrap_or(&self.component),
            self.target
        ));
        lines
    }

    /// The report as a JSON document (`passed` added).
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["passed"] = serde_json::Value::Bool(self.passed());
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_json() {
        let report = ConformanceReport {
            component: "c.wasm".into(),
            connector: Some("halopsa".into()),
            contract_version: Some("0.2.0".into()),
            target: "mock HaloPSA".into(),
            checks: vec![
                CheckResult {
                    id: "a",
                    title: "first",
                    outcome: Outcome::Pass("fine".into()),
                },
                CheckResult {
                    id: "bb",
                    title: "second",
                    outcome: Outcome::Fail("broken".into()),
                },
                CheckResult {
                    id: "c",
                    title: "third",
                    outcome: Outcome::NotApplicable("no capability".into()),
                },
            ],
        };
        let lines = report.lines();
        assert_eq!(lines[0], "PASS  a   first: fine");
        assert_eq!(lines[1], "FAIL  bb  second: broken");
        assert_eq!(lines[2], "N/A   c   third: no capability");
        assert!(lines[3].starts_with("NOT conformant: 1 passed, 1 failed, 1 not applicable"));
        assert!(!report.passed());
        assert_eq!(report.failed(), vec!["bb"]);
        let json = report.to_json();
        assert_eq!(json["passed"], false);
        assert_eq!(json["checks"][1]["outcome"], "fail");
        assert_eq!(json["checks"][1]["detail"], "broken");
        assert_eq!(json["checks"][2]["outcome"], "not-applicable");
    }
}
