//! ConnectWise's `conditions` language: a real lexer and recursive-descent parser, and its
//! evaluation against records kept as JSON.
//!
//! ```text
//! expr       := or
//! or         := and ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" unary | "(" expr ")" | comparison
//! comparison := FIELD op VALUE | FIELD ["not"] "in" "(" VALUE ("," VALUE)* ")"
//! op         := = | != | <> | < | <= | > | >= | contains | like | not contains | not like
//! VALUE      := "string" | 'string' | number | true | false | null | [datetime]
//! FIELD      := name ("/" name)*   (case-insensitive; checked against the resource's names)
//! ```
//!
//! Strings take `\"`, `\'` and `\\` escapes (and a doubled quote); a value never leaves its
//! quotes, so `summary="x\" or id>0 or x=\""` compares `summary` with one literal. String
//! comparison is case-insensitive (SQL Server's default collation); `like` takes `%` and `*` as
//! wildcards and `[[]` as a literal `[`. A field that is an array (e.g. `types/id`) matches
//! when any element does.

use std::cmp::Ordering;

use serde_json::Value;

use super::reply::{find_condition, Reply};

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// The text inside `[...]`.
    Date(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    NotContains,
    Like,
    NotLike,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    /// `field op value`; `field` is the canonical path.
    Cmp {
        field: String,
        op: Op,
        value: Lit,
    },
    /// `field [not] in (values)`.
    In {
        field: String,
        values: Vec<Lit>,
        negated: bool,
    },
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Date(String),
    Sym(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(input: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('\\') => match chars.get(i + 1) {
                            Some(&e) => {
                                s.push(e);
                                i += 2;
                            }
                            None => return Err("unterminated string".into()),
                        },
                        Some(&q) if q == quote => {
                            if chars.get(i + 1) == Some(&quote) {
                                s.push(quote);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&other) => {
                            s.push(other);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            '[' => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or("unterminated [datetime]")?;
                out.push(Tok::Date(
                    chars[i + 1..i + end]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .into(),
                ));
                i += end + 1;
            }
            '=' => {
                out.push(Tok::Sym("="));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Tok::Sym("!="));
                i += 2;
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let sym = match (c, next) {
                    ('<', Some('=')) => "<=",
                    ('<', Some('>')) => "<>",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                i += sym.len();
                out.push(Tok::Sym(sym));
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = i;
                i += 1;
                while chars
                    .get(i)
                    .is_some_and(|d| d.is_ascii_digit() || *d == '.')
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Tok::Num(
                    text.parse().map_err(|_| format!("bad number '{text}'"))?,
                ));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|d| d.is_alphanumeric() || matches!(d, '_' | '/' | '.'))
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(out)
}

/// Parses `input`; `resolve` maps a field as written to its canonical path, or says it is not a
/// recognised name. Errors are ready 400 ApiFindCondition answers.
pub(crate) fn parse(input: &str, resolve: &dyn Fn(&str) -> Option<String>) -> Result<Cond, Reply> {
    let tokens = lex(input).map_err(|e| find_condition(format!("Invalid conditions: {e}.")))?;
    let mut p = Parser {
        tokens,
        pos: 0,
        resolve,
    };
    let cond = p.or()?;
    if p.pos < p.tokens.len() {
        return Err(p.syntax(&format!("unexpected {}", p.describe())));
    }
    Ok(cond)
}

struct Parser<'a> {
    tokens: Vec<Tok>,
    pos: usize,
    resolve: &'a dyn Fn(&str) -> Option<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn describe(&self) -> String {
        match self.peek() {
            None => "end of conditions".into(),
            Some(Tok::Ident(s)) => format!("'{s}'"),
            Some(Tok::Str(s)) => format!("string \"{s}\""),
            Some(Tok::Num(n)) => format!("number {n}"),
            Some(Tok::Date(d)) => format!("[{d}]"),
            Some(Tok::Sym(s)) => format!("'{s}'"),
            Some(Tok::LParen) => "'('".into(),
            Some(Tok::RParen) => "')'".into(),
            Some(Tok::Comma) => "','".into(),
        }
    }

    fn syntax(&self, what: &str) -> Reply {
        find_condition(format!("Invalid conditions: {what}."))
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Cond, Reply> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, Reply> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Cond::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Cond, Reply> {
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.syntax(&format!("expected ')', found {}", self.describe())));
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Cond, Reply> {
        let field = match self.peek() {
            Some(Tok::Ident(name)) if !is_reserved(name) => name.clone(),
            _ => {
                return Err(
                    self.syntax(&format!("expected a field name, found {}", self.describe()))
                )
            }
        };
        self.pos += 1;
        let canonical = (self.resolve)(&field)
            .ok_or_else(|| find_condition(format!("{field} is not a recognized name.")))?;
        let negated = self.keyword("not");
        if negated {
            self.pos += 1;
        }
        let op = match self.peek().cloned() {
            Some(Tok::Ident(word)) if word.eq_ignore_ascii_case("in") => {
                self.pos += 1;
                return self.in_list(canonical, negated);
            }
            Some(Tok::Ident(word)) if word.eq_ignore_ascii_case("contains") => {
                if negated {
                    Op::NotContains
                } else {
                    Op::Contains
                }
            }
            Some(Tok::Ident(word)) if word.eq_ignore_ascii_case("like") => {
                if negated {
                    Op::NotLike
                } else {
                    Op::Like
                }
            }
            Some(Tok::Sym(sym)) if !negated => match sym {
                "=" => Op::Eq,
                "!=" | "<>" => Op::Ne,
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                _ => Op::Ge,
            },
            _ => {
                return Err(self.syntax(&format!(
                    "expected an operator after {field}, found {}",
                    self.describe()
                )))
            }
        };
        self.pos += 1;
        let value = self.value()?;
        Ok(Cond::Cmp {
            field: canonical,
            op,
            value,
        })
    }

    fn in_list(&mut self, field: String, negated: bool) -> Result<Cond, Reply> {
        if self.peek() != Some(&Tok::LParen) {
            return Err(self.syntax(&format!("expected '(' after in, found {}", self.describe())));
        }
        self.pos += 1;
        let mut values = vec![self.value()?];
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            values.push(self.value()?);
        }
        if self.peek() != Some(&Tok::RParen) {
            return Err(self.syntax(&format!(
                "expected ')' to close in, found {}",
                self.describe()
            )));
        }
        self.pos += 1;
        Ok(Cond::In {
            field,
            values,
            negated,
        })
    }

    fn value(&mut self) -> Result<Lit, Reply> {
        let lit = match self.peek() {
            Some(Tok::Str(s)) => Lit::Str(s.clone()),
            Some(Tok::Num(n)) => Lit::Num(*n),
            Some(Tok::Date(d)) => Lit::Date(d.clone()),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("true") => Lit::Bool(true),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("false") => Lit::Bool(false),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("null") => Lit::Null,
            _ => return Err(self.syntax(&format!("expected a value, found {}", self.describe()))),
        };
        self.pos += 1;
        Ok(lit)
    }
}

fn is_reserved(word: &str) -> bool {
    [
        "and", "or", "not", "in", "contains", "like", "true", "false", "null",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(word))
}

/// The values at a slash `path` of `record` (keys matched case-insensitively; an array on the
/// way yields each element's value).
pub(crate) fn values_at<'v>(record: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![record];
    for segment in path.split('/') {
        let mut next = Vec::new();
        for v in current {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                if let Some(obj) = item.as_object() {
                    if let Some((_, found)) =
                        obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(segment))
                    {
                        next.push(found);
                    }
                }
            }
        }
        current = next;
    }
    current
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

impl Cond {
    /// Whether `record` satisfies the condition; a type mismatch is a 400.
    pub fn matches(&self, record: &Value) -> Result<bool, Reply> {
        Ok(match self {
            Cond::And(a, b) => a.matches(record)? && b.matches(record)?,
            Cond::Or(a, b) => a.matches(record)? || b.matches(record)?,
            Cond::Not(c) => !c.matches(record)?,
            Cond::In {
                field,
                values,
                negated,
            } => {
                let found = values_at(record, field);
                let mut any = false;
                for lit in values {
                    if holds(&found, Op::Eq, lit, field)? {
                        any = true;
                        break;
                    }
                }
                any != *negated
            }
            Cond::Cmp { field, op, value } => {
                let found = values_at(record, field);
                match op {
                    Op::Ne => !holds(&found, Op::Eq, value, field)?,
                    Op::NotContains => !holds(&found, Op::Contains, value, field)?,
                    Op::NotLike => !holds(&found, Op::Like, value, field)?,
                    _ => holds(&found, *op, value, field)?,
                }
            }
        })
    }
}

/// Whether any of `found` satisfies `op lit` (a missing value only equals `null`).
fn holds(found: &[&Value], op: Op, lit: &Lit, field: &str) -> Result<bool, Reply> {
    if found.is_empty() || found.iter().all(|v| v.is_null()) {
        return Ok(op == Op::Eq && *lit == Lit::Null);
    }
    for v in found {
        if compare_one(v, op, lit, field)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn compare_one(v: &Value, op: Op, lit: &Lit, field: &str) -> Result<bool, Reply> {
    let ordering: Option<Ordering> = match (v, lit) {
        (_, Lit::Null) => return Ok(v.is_null() == (op == Op::Eq)),
        (Value::Bool(b), Lit::Bool(l)) => Some(b.cmp(l)),
        (Value::Bool(_), other) => {
            return Err(find_condition(format!(
                "Expected a boolean value, not a {} for {field}.",
                kind(other)
            )))
        }
        (Value::Number(n), Lit::Num(l)) => n.as_f64().and_then(|n| n.partial_cmp(l)),
        (Value::Number(_), other) => {
            return Err(find_condition(format!(
                "Expected a numeric value, not a {} for {field}.",
                kind(other)
            )))
        }
        (Value::String(s), Lit::Str(l)) => {
            let (s, l) = (s.to_lowercase(), l.to_lowercase());
            match op {
                Op::Contains => return Ok(s.contains(&l)),
                Op::Like => return Ok(like(&s, &l)),
                _ => Some(s.cmp(&l)),
            }
        }
        (Value::String(s), Lit::Date(d)) => Some(normalise_date(s).cmp(&normalise_date(d))),
        (Value::String(s), Lit::Num(n)) => Some(s.cmp(&n.to_string())),
        (Value::String(_), Lit::Bool(_)) => {
            return Err(find_condition(format!(
                "Expected a string value, not a boolean for {field}."
            )))
        }
        _ => None,
    };
    let Some(ord) = ordering else {
        return Ok(false);
    };
    Ok(match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        // Contains/like on non-strings compare as equality.
        _ => ord == Ordering::Equal,
    })
}

fn kind(lit: &Lit) -> &'static str {
    match lit {
        Lit::Str(_) => "string",
        Lit::Num(_) => "numeric",
        Lit::Bool(_) => "boolean",
        Lit::Null => "null",
        Lit::Date(_) => "datetime",
    }
}

/// `2025-01-06T09:00:00Z` and `2025-01-06T09:00:00` compare equal.
fn normalise_date(s: &str) -> String {
    s.trim().trim_end_matches('Z').replace(' ', "T")
}

/// SQL-style `like` on lowercased text: `%` or `*` is any run, `_` one character, `[[]` a `[`.
fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Ch(char),
    }
    let pattern = pattern.replace("[[]", "\u{0}");
    let pat: Vec<P> = pattern
        .chars()
        .map(|c| match c {
            '%' | '*' => P::Any,
            '_' => P::One,
            '\u{0}' => P::Ch('['),
            c => P::Ch(c),
        })
        .collect();
    let text: Vec<char> = text.chars().collect();
    // Classic DP over (text, pattern) prefixes.
    let mut dp = vec![vec![false; pat.len() + 1]; text.len() + 1];
    dp[0][0] = true;
    for j in 1..=pat.len() {
        dp[0][j] = dp[0][j - 1] && pat[j - 1] == P::Any;
    }
    for i in 1..=text.len() {
        for j in 1..=pat.len() {
            dp[i][j] = match pat[j - 1] {
                P::Any => dp[i - 1][j] || dp[i][j - 1],
                P::One => dp[i - 1][j - 1],
                P::Ch(c) => dp[i - 1][j - 1] && text[i - 1] == c,
            };
        }
    }
    dp[text.len()][pat.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resolve(f: &str) -> Option<String> {
        [
            "id",
            "summary",
            "closedFlag",
            "company/id",
            "company/name",
            "board/name",
            "_info/lastUpdated",
            "types/id",
        ]
        .iter()
        .find(|k| k.eq_ignore_ascii_case(f))
        .map(|k| k.to_string())
        .or_else(|| {
            f.eq_ignore_ascii_case("lastUpdated")
                .then(|| "_info/lastUpdated".into())
        })
    }

    fn eval(cond: &str, record: &Value) -> Result<bool, String> {
        parse(cond, &resolve)
            .and_then(|c| c.matches(record))
            .map_err(|r| String::from_utf8_lossy(&r.body).into_owned())
    }

    #[test]
    fn operators_and_precedence() {
        let t = json!({ "id": 7, "summary": "Disk \"C:\" full", "closedFlag": false,
            "company": { "id": 19, "name": "Contoso Ltd" }, "board": { "name": "Help Desk" },
            "_info": { "lastUpdated": "2025-01-06T09:00:00Z" }, "types": [{ "id": 1 }, { "id": 2 }] });
        for (c, want) in [
            ("id = 7", true),
            ("id != 7", false),
            ("id <> 8", true),
            ("id < 8 and id <= 7 and id > 6 and id >= 7", true),
            ("ID=7 AND ClosedFlag=False", true),
            ("company/id=19 and closedFlag=false", true),
            ("company/name = \"contoso ltd\"", true),
            ("company/name contains 'toso'", true),
            ("company/name not contains 'toso'", false),
            ("company/name like \"Con%\"", true),
            ("company/name like \"Con*Lt_\"", true),
            ("company/name like \"Fab%\"", false),
            ("id in (1, 7, 9)", true),
            ("id not in (1, 9)", true),
            ("board/name in (\"Help Desk\", \"Other\")", true),
            ("not id = 7", false),
            ("id = 1 or id = 7 and closedFlag = true", false),
            ("(id = 1 or id = 7) and not closedFlag = true", true),
            ("summary = \"Disk \\\"C:\\\" full\"", true),
            ("summary = 'Disk \"C:\" full'", true),
            (
                "lastUpdated > [2025-01-01T00:00:00Z] and lastUpdated < [2025-02-01T00:00:00Z]",
                true,
            ),
            ("types/id = 2", true),
            ("company/id = null", false),
            ("summary != null", true),
        ] {
            assert_eq!(eval(c, &t), Ok(want), "{c}");
        }
    }

    #[test]
    fn a_quoted_value_stays_a_literal() {
        let t = json!({ "id": 7, "summary": "x\" or id>0 or x=\"" });
        // Properly escaped, the whole text is one string literal.
        assert_eq!(eval(r#"summary = "x\" or id>0 or x=\"""#, &t), Ok(true));
        assert_eq!(
            eval(r#"summary = "x\" or id>0 or x=\"" and id = 8"#, &t),
            Ok(false)
        );
        // Unescaped, the injection is parsed as conditions and `x` is not a recognized name.
        let e = eval(r#"summary = "x" or id>0 or x="""#, &t).unwrap_err();
        assert!(
            e.contains("ApiFindCondition") && e.contains("x is not a recognized name."),
            "{e}"
        );
    }

    #[test]
    fn errors_are_api_find_condition() {
        let t = json!({ "id": 7, "closedFlag": false });
        for (c, needle) in [
            ("board/nam = \"x\"", "board/nam is not a recognized name."),
            ("id =", "expected a value"),
            ("id = 7 and", "expected a field name"),
            ("(id = 7", "expected ')'"),
            ("summary = \"open", "unterminated string"),
            ("id 7", "expected an operator"),
            ("closedFlag = 1", "Expected a boolean value, not a numeric"),
            ("id in 7", "expected '('"),
            ("id = 7 )", "unexpected ')'"),
        ] {
            let e = eval(c, &t).unwrap_err();
            assert!(
                e.contains("ApiFindCondition") && e.contains(needle),
                "{c}: {e}"
            );
        }
    }
}
