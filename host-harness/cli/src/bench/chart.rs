//! The SVG chart of one or more reports.

use super::report::{value, BenchReport, Figure, Unit};

/// Chart colours: wasm, native.
const COLOURS: [&str; 2] = ["#3b6fb6", "#e08a2c"];

/// The latency figures the chart shows, with short labels.
const CHART_LATENCY: [(&str, &str); 5] = [
    ("open_pooled", "open session (pooling)"),
    ("in_guest_call", "list-statuses (2nd call)"),
    ("http_call", "get-organization (1 req)"),
    ("create_ticket", "create-ticket"),
    ("sync_alert", "sync-alert (new)"),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An SVG chart of `reports` (one column per connector): latency medians with p95 whiskers
/// on a log scale, and throughput at each session count, wasm next to native.
pub fn chart_svg(reports: &[BenchReport], subtitle: &str) -> String {
    use std::fmt::Write;
    const PANEL_W: f64 = 470.0;
    const LABEL_W: f64 = 170.0;
    const BAR_H: f64 = 11.0;
    const ROW_H: f64 = 34.0;
    let columns = reports.len().max(1) as f64;
    let width = 20.0 + columns * (PANEL_W + 20.0);
    let latency_top = 80.0;
    let latency_h = 40.0 + CHART_LATENCY.len() as f64 * ROW_H;
    let throughput_top = latency_top + latency_h + 40.0;
    let throughput_rows = reports
        .iter()
        .map(|r| {
            r.figures
                .iter()
                .filter(|f| f.key.starts_with("throughput_"))
                .count()
        })
        .max()
        .unwrap_or(0) as f64;
    let throughput_h = 40.0 + throughput_rows * ROW_H;
    let height = throughput_top + throughput_h + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        svg,
        r##"<text x="20" y="28" font-size="17" font-weight="bold">psa-harness bench: the connector in wasm vs the same logic natively</text>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="20" y="48" fill="#555">{}. Bars: median; whiskers: p95. Lower latency, higher throughput is better.</text>"##,
        escape(subtitle)
    );
    for (i, name) in ["wasm (psa-host)", "native (psa-native)"]
        .iter()
        .enumerate()
    {
        let x = 20.0 + i as f64 * 170.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="58" width="12" height="12" fill="{}"/><text x="{}" y="69">{name}</text>"##,
            COLOURS[i],
            x + 17.0
        );
    }
    // Log scale from 1 µs to 100 ms.
    let (lo, hi) = (1e-3_f64.log10(), 100.0_f64.log10());
    for (col, report) in reports.iter().enumerate() {
        let left = 20.0 + col as f64 * (PANEL_W + 20.0);
        let plot_x = left + LABEL_W;
        let plot_w = PANEL_W - LABEL_W - 10.0;
        let x_of =
            |ms: f64| plot_x + plot_w * ((ms.max(1e-3).log10() - lo) / (hi - lo)).clamp(0.0, 1.0);
        let _ = writeln!(
            svg,
            r##"<text x="{left}" y="{}" font-weight="bold">{}: latency, median and p95 (log scale)</text>"##,
            latency_top,
            report.psa.title()
        );
        let axis_y = latency_top + 16.0 + CHART_LATENCY.len() as f64 * ROW_H;
        for (tick, label) in [
            (1e-3, "1 µs"),
            (1e-2, "10 µs"),
            (0.1, "100 µs"),
            (1.0, "1 ms"),
            (10.0, "10 ms"),
            (100.0, "100 ms"),
        ] {
            let x = x_of(tick);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{axis_y:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555" font-size="10">{label}</text>"##,
                latency_top + 10.0,
                axis_y + 12.0
            );
        }
        for (row, (key, label)) in CHART_LATENCY.iter().enumerate() {
            let y = latency_top + 16.0 + row as f64 * ROW_H;
            let _ = writeln!(
                svg,
                r##"<text x="{left}" y="{:.1}">{}</text>"##,
                y + BAR_H + 4.0,
                escape(label)
            );
            let Some(figure) = report.figure(key) else {
                continue;
            };
            for (i, stat) in [figure.wasm, figure.native].into_iter().enumerate() {
                let Some(stat) = stat else { continue };
                let by = y + i as f64 * (BAR_H + 1.0);
                let (x0, xm, xp) = (plot_x, x_of(stat.median), x_of(stat.p95));
                let _ = writeln!(
                    svg,
                    r##"<rect x="{x0:.1}" y="{by:.1}" width="{:.1}" height="{BAR_H}" fill="{}"/><line x1="{xm:.1}" y1="{:.1}" x2="{xp:.1}" y2="{:.1}" stroke="#333"/><line x1="{xp:.1}" y1="{by:.1}" x2="{xp:.1}" y2="{:.1}" stroke="#333"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#222">{}</text>"##,
                    (xm - x0).max(1.0),
                    COLOURS[i],
                    by + BAR_H / 2.0,
                    by + BAR_H / 2.0,
                    by + BAR_H,
                    xp + 4.0,
                    by + BAR_H - 1.5,
                    escape(&value(Unit::Millis, stat.median))
                );
            }
            if let Some(ratio) = figure.ratio() {
                let _ = writeln!(
                    svg,
                    r##"<text x="{left}" y="{:.1}" font-size="10" fill="#555">wasm/native {ratio:.2}×</text>"##,
                    y + BAR_H + 17.0
                );
            }
        }
        // Throughput: linear scale from 0 to the panel's largest rate.
        let throughput: Vec<&Figure> = report
            .figures
            .iter()
            .filter(|f| f.key.starts_with("throughput_"))
            .collect();
        let max = throughput
            .iter()
            .flat_map(|f| [f.wasm, f.native])
            .flatten()
            .map(|s| s.median)
            .fold(1.0_f64, f64::max);
        let _ = writeln!(
            svg,
            r##"<text x="{left}" y="{throughput_top}" font-weight="bold">{}: throughput, get-organization calls/s</text>"##,
            report.psa.title()
        );
        for (row, figure) in throughput.iter().enumerate() {
            let y = throughput_top + 16.0 + row as f64 * ROW_H;
            let sessions = figure.key.trim_start_matches("throughput_");
            let _ = writeln!(
                svg,
                r##"<text x="{left}" y="{:.1}">{sessions} sessions / threads</text>"##,
                y + BAR_H + 4.0
            );
            for (i, stat) in [figure.wasm, figure.native].into_iter().enumerate() {
                let Some(stat) = stat else { continue };
                let by = y + i as f64 * (BAR_H + 1.0);
                let w = (plot_w - 60.0) * stat.median / max;
                let _ = writeln!(
                    svg,
                    r##"<rect x="{plot_x:.1}" y="{by:.1}" width="{:.1}" height="{BAR_H}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#222">{:.0}/s</text>"##,
                    w.max(1.0),
                    COLOURS[i],
                    plot_x + w + 4.0,
                    by + BAR_H - 1.5,
                    stat.median
                );
            }
            if let Some(ratio) = figure.ratio() {
                let _ = writeln!(
                    svg,
                    r##"<text x="{left}" y="{:.1}" font-size="10" fill="#555">wasm/native {ratio:.2}×</text>"##,
                    y + BAR_H + 17.0
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}
