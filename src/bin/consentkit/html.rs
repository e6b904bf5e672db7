//! `consentkit report --html FILE`: the privacy report as one self-contained page — a table per feature and a timeline of use intervals in inline SVG, nothing fetched from the network.

use std::fmt::Write;

use consentkit::{iso8601, Feature, PolicyState, PrivacyReport};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn seconds(ms: u64) -> String {
    let s = ms / 1000;
    if s < 60 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

const WIDTH: f64 = 960.0;
const LABEL: f64 = 150.0;
const ROW: f64 = 34.0;

/// A tick's label: the date and minute over a long span, the time to the second over a short one.
fn tick_label(ms: i64, span_ms: i64) -> String {
    let text = iso8601(ms); // 2026-11-16T07:33:52.048+00:00
    if span_ms > 2 * 86_400_000 {
        text[5..16].replace('T', " ")
    } else {
        text[11..19].to_string()
    }
}

/// The timeline: one row per feature, a bar per use session (at least 2 px wide, so a photo
/// shows), each clamped to the window. Its axis runs from the window's start, or from the
/// first use when the uses begin later (a young history is not a sliver at the end), to the
/// window's end.
fn timeline(report: &PrivacyReport) -> String {
    let (since, until) = (report.since_ms, report.until_ms);
    let start_ms = report
        .intervals
        .iter()
        .map(|i| i.begin_ms)
        .min()
        .unwrap_or(since)
        .clamp(since, until);
    let span_ms = (report.until_ms - start_ms).max(1);
    let span = span_ms as f64;
    let x = |ms: i64| LABEL + (ms - start_ms) as f64 / span * (WIDTH - LABEL - 10.0);
    let height = ROW * Feature::ALL.len() as f64 + 30.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Timeline of uses">"##
    );
    for (row, feature) in Feature::ALL.into_iter().enumerate() {
        let y = row as f64 * ROW;
        let _ = write!(
            svg,
            r##"<rect x="{LABEL}" y="{}" width="{}" height="{}" fill="#f1f3f5"/><text x="8" y="{}" class="label">{}</text>"##,
            y + 4.0,
            WIDTH - LABEL - 10.0,
            ROW - 8.0,
            y + ROW / 2.0 + 5.0,
            escape(feature.as_str())
        );
        for use_ in report.intervals.iter().filter(|u| u.feature == feature) {
            let (begin, end) = (
                use_.begin_ms.max(since),
                use_.end_ms.unwrap_or(until).min(until),
            );
            let left = x(begin);
            let width = (x(end) - left).max(2.0);
            let _ = write!(
                svg,
                r##"<rect class="use" x="{left:.1}" y="{}" width="{width:.1}" height="{}"><title>{} {} → {}</title></rect>"##,
                y + 7.0,
                ROW - 14.0,
                escape(use_.purpose.as_deref().unwrap_or("")),
                iso8601(begin),
                iso8601(end)
            );
        }
    }
    let axis = ROW * Feature::ALL.len() as f64 + 18.0;
    const TICKS: i64 = 4;
    for tick in 0..=TICKS {
        let at = start_ms + span_ms * tick / TICKS;
        let anchor = match tick {
            0 => "start",
            TICKS => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{axis}" class="axis" text-anchor="{anchor}">{}</text>"##,
            x(at),
            escape(&tick_label(at, span_ms))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The whole page: the policy's state, the table, the timeline.
pub fn page(app_id: &str, policy: &PolicyState, report: &PrivacyReport) -> String {
    let mut rows = String::new();
    for f in &report.features {
        let purposes: Vec<String> = f
            .purposes
            .iter()
            .map(|p| format!("{} ×{}", escape(&p.purpose), p.uses))
            .collect();
        let _ = write!(
            rows,
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"status {}\">{}</td><td>{}</td></tr>",
            escape(f.feature.as_str()),
            f.uses,
            seconds(f.time_in_use_ms),
            f.refused,
            f.needed_consent,
            f.status.as_str(),
            f.status.as_str().replace('_', " "),
            purposes.join(", ")
        );
    }
    let policy_line = match policy.revision {
        None => {
            "No agreement to the policy as a whole is asked: consent is per feature.".to_string()
        }
        Some(revision) => format!(
            "Privacy policy revision {revision}: {}{}.",
            policy.status.as_str().replace('_', " "),
            if policy.basic_mode {
                " (basic mode)"
            } else {
                ""
            }
        ),
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Privacy report — {app}</title>
<style>
body {{ font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 32px; color: #1d2125; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }} p.window {{ color: #5c636a; margin: 0 0 20px; }}
table {{ border-collapse: collapse; margin: 12px 0 28px; min-width: 720px; }}
th, td {{ padding: 6px 12px; border-bottom: 1px solid #dee2e6; text-align: left; }}
thead th {{ font-size: 13px; color: #5c636a; font-weight: 600; }}
td.status.granted {{ color: #1b7f3b; }} td.status.denied {{ color: #b02a37; }}
svg .label {{ font: 13px system-ui, sans-serif; fill: #1d2125; }}
svg .axis {{ font: 12px system-ui, sans-serif; fill: #5c636a; }}
svg .use {{ fill: #2f6fdf; stroke: #fff; stroke-width: 0.5; }}
</style></head>
<body>
<h1>Privacy report</h1>
<p class="window">{app} · {since} — {until}</p>
<p>{policy}</p>
<table>
<thead><tr><th>Feature</th><th>Uses</th><th>Time in use</th><th>Refused</th><th>To ask</th><th>Status</th><th>Purposes</th></tr></thead>
<tbody>{rows}</tbody>
</table>
<h2>Timeline of uses</h2>
{timeline}
<p class="window">Each bar is one use session, from the moment the feature was opened to the moment it was closed.</p>
</body></html>
"#,
        app = escape(app_id),
        since = iso8601(report.since_ms),
        until = iso8601(report.until_ms),
        policy = escape(&policy_line),
        rows = rows,
        timeline = timeline(report),
    )
}

/// Writes `page` to `path` for its owner only (0600, as the store's own files are): the
/// report says what the person used and when. An existing file is replaced, its mode too.
pub fn write(path: &std::path::Path, page: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(page.as_bytes())
}
