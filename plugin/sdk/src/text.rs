//! Alert text as a PSA can show it: cleaned, cut at a limit with a marker, escaped for HTML,
//! and the alert's evidence, contact and link as readable lines.
//!
//! Alert text is hostile input (phishing subjects, file names, user agents), so every text that
//! reaches a PSA goes through here: [`clean`] removes control characters (a C0/C1 control other
//! than newline and tab, and the bidirectional overrides that make text read differently than it
//! is stored), [`cut`] shortens text to a PSA's limit with a visible marker instead of letting
//! the PSA refuse it, and [`text_to_html`] escapes `& < > " '` so that no markup in the text is
//! ever live where the PSA renders HTML. Invalid Unicode cannot arrive: WIT strings are UTF-8,
//! and the host refuses anything else before the connector runs.
//!
//! ```
//! use psa_connector_sdk::text::{clean, cut, text_to_html};
//!
//! assert_eq!(clean("a\u{0}b\r\nc\u{202e}d"), "ab\ncd");
//! assert_eq!(text_to_html("<img src=x onerror=alert(1)>\nok", None),
//!            "&lt;img src=x onerror=alert(1)&gt;<br>\nok");
//! assert_eq!(cut("abcdefghij", 8), "ab [...]");
//! ```

use crate::types::{Alert, Contact, Fact};

/// What [`cut`] puts where it shortened a text.
pub const CUT_MARKER: &str = " [...]";

/// Text from an alert or a platform, cleaned ([`clean`]) and with the opening of the
/// connector's occurrence marker (`[alert-sync`) turned into `(alert-sync`: such text can never
/// pass for a marker and change an alert's occurrence count. Only the lifecycle writes markers.
pub fn clean_untrusted(text: &str) -> String {
    let defused = format!("({}", &crate::lifecycle::MARKER[1..]);
    clean(text).replace(crate::lifecycle::MARKER, &defused)
}

/// The text without control characters: CR LF and lone CR become LF, tab stays, every other
/// C0/C1 control, DEL and the bidirectional embedding/override/isolate characters are dropped.
pub fn clean(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .filter(|c| {
            matches!(c, '\n' | '\t')
                || !(c.is_control()
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        })
        .collect()
}

/// The text cut to at most `max` characters, ending in [`CUT_MARKER`] when it was longer.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(CUT_MARKER.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(CUT_MARKER);
    out
}

/// A one-line text (a summary, a name): cleaned ([`clean_untrusted`]), newlines and tabs as
/// spaces, trimmed and cut.
pub fn one_line(text: &str, max: usize) -> String {
    let line = clean_untrusted(text).replace(['\n', '\t'], " ");
    cut(line.trim(), max)
}

/// A body cut to `max` characters while keeping its last line (the occurrence marker) whole:
/// the text before it is cut, the marker never is.
pub fn cut_keeping_last_line(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    match text.rsplit_once('\n') {
        Some((body, last)) if last.chars().count() + 1 < max => {
            let room = max - last.chars().count() - 1;
            format!("{}\n{last}", cut(body, room))
        }
        _ => cut(text, max),
    }
}

/// `& < > " '` as HTML entities.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The text of an HTML fragment written by [`text_to_html`]: tags dropped, `<br>` and block
/// ends as newlines, the entities [`escape_html`] writes decoded (for reading markers back).
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = &rest[start..];
            break;
        };
        let tag = rest[start + 1..start + end].to_ascii_lowercase();
        let breaks = tag.starts_with("br") || tag == "/li" || tag == "/ul" || tag == "/p";
        if breaks && !out.ends_with('\n') {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let out = out.replace("\n\n", "\n");
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// An `https` URL fit to be a link, or `None`: absolute, scheme `https`, a host, no
/// credentials, no whitespace or control characters, at most 2000 characters.
pub fn https_url(url: &str) -> Option<String> {
    let url = url.trim();
    if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    (parsed.scheme() == "https"
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.username().is_empty()
        && parsed.password().is_none())
    .then(|| parsed.to_string())
}

/// The line that carries the alert's link, as [`alert_body`] writes it.
pub fn link_line(url: &str) -> String {
    format!("Alert in the platform: {url}")
}

/// Plain text to an HTML fragment: every character escaped, each line ended by `<br>`, a run of
/// lines starting with `- ` as a list, and the [`link_line`] of `link` (an already checked
/// [`https_url`]) as the one live link.
pub fn text_to_html(text: &str, link: Option<&str>) -> String {
    let link_line = link.map(link_line);
    let mut out = String::new();
    let mut in_list = false;
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        if let Some(item) = line.strip_prefix("- ") {
            if !in_list {
                out.push_str("<ul>");
                in_list = true;
            }
            out.push_str(&format!("<li>{}</li>", escape_html(item)));
            continue;
        }
        if in_list {
            out.push_str("</ul>\n");
            in_list = false;
        }
        match (&link_line, link) {
            (Some(wanted), Some(url)) if *line == wanted.as_str() => out.push_str(&format!(
                "Alert in the platform: <a href=\"{0}\" target=\"_blank\" rel=\"noopener noreferrer\">{0}</a>",
                escape_html(url)
            )),
            _ => out.push_str(&escape_html(line)),
        }
        if !last {
            out.push_str("<br>\n");
        }
    }
    if in_list {
        out.push_str("</ul>");
    }
    out
}

/// The contact as a line of the details: `Contact: name <email>`.
pub fn contact_line(contact: &Contact) -> Option<String> {
    let name = contact.name.as_deref().map(|n| one_line(n, 200));
    let email = contact.email.as_deref().map(|e| one_line(e, 250));
    match (
        name.filter(|n| !n.is_empty()),
        email.filter(|e| !e.is_empty()),
    ) {
        (Some(n), Some(e)) => Some(format!("Contact: {n} <{e}>")),
        (Some(n), None) => Some(format!("Contact: {n}")),
        (None, Some(e)) => Some(format!("Contact: <{e}>")),
        (None, None) => None,
    }
}

/// The evidence as `- name: value` lines (a list in HTML), each value on one line.
pub fn evidence_lines(evidence: &[Fact]) -> Vec<String> {
    evidence
        .iter()
        .map(|f| format!("- {}: {}", one_line(&f.name, 100), one_line(&f.value, 1000)))
        .collect()
}

/// The readable body of an alert's ticket or note, before its marker: the (cleaned) text, the
/// evidence list, and the link line when the alert's link is an `https` URL.
pub fn alert_body(text: &str, alert: &Alert) -> String {
    let mut out = clean_untrusted(text).trim_end().to_string();
    let evidence = evidence_lines(&alert.evidence);
    if !evidence.is_empty() {
        out.push_str("\n\nEvidence:\n");
        out.push_str(&evidence.join("\n"));
    }
    if let Some(url) = alert.link_url.as_deref().and_then(https_url) {
        out.push_str("\n\n");
        out.push_str(&link_line(&url));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_text_cannot_forge_an_occurrence_marker() {
        let forged =
            "phish [alert-sync occurrence=999 occurrence-id=next]\n[alert-sync occurrence=5]";
        let cleaned = clean_untrusted(forged);
        assert!(!cleaned.contains("[alert-sync"), "{cleaned}");
        let found = crate::lifecycle::read_markers([cleaned.as_str()].into_iter());
        assert_eq!(found.count, 0);
        // The text still reads the same to a technician.
        assert!(cleaned.contains("(alert-sync occurrence=999"));
    }

    #[test]
    fn markup_is_never_live() {
        for hostile in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "\"><svg onload=alert(1)>",
            "&lt;script&gt;",
        ] {
            let html = text_to_html(hostile, None);
            assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<a "));
            assert_eq!(html_to_text(&html), hostile);
        }
    }

    #[test]
    fn only_https_links_and_only_the_alerts_own() {
        assert_eq!(https_url("javascript:alert(1)"), None);
        assert_eq!(https_url("http://platform.example/a/1"), None);
        assert_eq!(https_url("https://user:pw@platform.example/"), None);
        assert_eq!(https_url("https://platform.example/a b"), None);
        let url = https_url("https://platform.example/alerts/1?x=\"<b>").unwrap();
        assert!(!url.contains('"') && !url.contains('<'));
        let text = format!(
            "{}\n{}",
            link_line("https://evil.example/"),
            link_line(&url)
        );
        let html = text_to_html(&text, Some(&url));
        assert_eq!(html.matches("<a ").count(), 1);
        assert!(html.contains(&format!("href=\"{}\"", escape_html(&url))));
    }

    #[test]
    fn cutting_keeps_the_marker_line() {
        let body = format!("{}\n[alert-sync occurrence=2]", "x".repeat(100));
        let cut_body = cut_keeping_last_line(&body, 50);
        assert_eq!(cut_body.chars().count(), 50);
        assert!(cut_body.ends_with("[...]\n[alert-sync occurrence=2]"));
        assert_eq!(one_line("a\nb\u{7}c", 10), "a bc");
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn evidence_becomes_a_list() {
        let html = text_to_html("Evidence:\n- user: <b>alice</b>\n- ip: 1.2.3.4\nend", None);
        assert_eq!(
            html,
            "Evidence:<br>\n<ul><li>user: &lt;b&gt;alice&lt;/b&gt;</li><li>ip: 1.2.3.4</li></ul>\nend"
        );
    }
}
