//! The privacy report as one self-contained HTML page a person opens on their phone: a card per feature, a timeline that scrolls inside itself, every use listed, in English or Simplified Chinese, nothing fetched.

use std::fmt::Write;

use crate::engine::StateView;
use crate::iso8601::iso8601_local;
use crate::language::Language;
use crate::model::{ConsentStatus, Feature, NotInForce};
use crate::report::{FeatureReport, PrivacyReport};
use crate::report_words::{duration, policy_status, status_text, words};
use crate::store_texts::{StoreTexts, TextsFrom};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The device's offset from UTC at `ms` (`+08:00`).
fn offset(ms: i64) -> String {
    let text = iso8601_local(ms);
    text.get(text.len().saturating_sub(6)..)
        .filter(|o| o.starts_with(['+', '-']))
        .unwrap_or("+00:00")
        .to_string()
}

/// A moment in the device's local time, to the second (`2026-12-08 10:01:02`).
fn local(ms: i64) -> String {
    let text = iso8601_local(ms);
    match text.len() >= 19 && !text.starts_with('@') {
        true => text[..19].replace('T', " "),
        false => text,
    }
}

const WIDTH: f64 = 720.0;
const LABEL: f64 = 130.0;
const ROW: f64 = 34.0;

/// The timeline: one row per feature, a bar per use (at least 2 px wide, so a photo shows),
/// each clamped to the window; its axis from the window's start, or the first use when the
/// uses begin later, to the window's end.
fn timeline(report: &PrivacyReport, texts: &StoreTexts, language: Language) -> String {
    let (since, until) = (report.since_ms, report.until_ms);
    let start_ms = report
        .intervals
        .iter()
        .map(|i| i.begin_ms)
        .min()
        .unwrap_or(since)
        .clamp(since, until);
    let span_ms = until.saturating_sub(start_ms).max(1);
    let x =
        |ms: i64| LABEL + (ms as f64 - start_ms as f64) / span_ms as f64 * (WIDTH - LABEL - 10.0);
    let height = ROW * Feature::ALL.len() as f64 + 30.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}">"##,
        words(language).timeline
    );
    for (row, feature) in Feature::ALL.into_iter().enumerate() {
        let y = row as f64 * ROW;
        let _ = write!(
            svg,
            r##"<rect x="{LABEL}" y="{}" width="{}" height="{}" fill="#f1f3f5"/><text x="6" y="{}" class="label">{}</text>"##,
            y + 4.0,
            WIDTH - LABEL - 10.0,
            ROW - 8.0,
            y + ROW / 2.0 + 5.0,
            escape(texts.feature(feature).name(language))
        );
        for use_ in report.intervals.iter().filter(|u| u.feature == feature) {
            let begin = use_.begin_ms.max(since);
            let end = use_.end_ms.unwrap_or(until).min(until);
            let left = x(begin);
            let _ = write!(
                svg,
                r##"<rect class="use" x="{left:.1}" y="{}" width="{:.1}" height="{}"/>"##,
                y + 7.0,
                (x(end) - left).max(2.0),
                ROW - 14.0,
            );
        }
    }
    let axis = ROW * Feature::ALL.len() as f64 + 18.0;
    const TICKS: i64 = 3;
    for tick in 0..=TICKS {
        let at = (i128::from(start_ms) + i128::from(span_ms) * i128::from(tick) / i128::from(TICKS))
            as i64;
        let anchor = ["start", "middle", "middle", "end"][tick as usize];
        let label = local(at);
        let label = match span_ms > 2 * 86_400_000 {
            true => label.get(5..16).unwrap_or(&label).to_string(),
            false => label.get(11..19).unwrap_or(&label).to_string(),
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{axis}" class="axis" text-anchor="{anchor}">{}</text>"##,
            x(at),
            escape(&label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A card per feature: its status, counts, time in use and what it was used for.
/// What a card says of a feature: its status as the rules apply it now — a grant that does
/// not count, or that the OS switches off, is not shown as plainly allowed (I6).
fn standing(
    f: &FeatureReport,
    view: &StateView,
    language: Language,
) -> (&'static str, &'static str) {
    let w = words(language);
    if view.damage.is_some() {
        return ("off", w.damaged_off);
    }
    match (f.status, view.states[f.feature.index()].not_in_force) {
        (_, Some(NotInForce::PolicyNotAgreed)) => ("off", w.not_counting_policy),
        (_, Some(NotInForce::Minor)) => ("off", w.not_counting_minor),
        (_, Some(NotInForce::GuardianRequired)) => ("off", w.not_counting_guardian),
        (ConsentStatus::Granted, None) if f.os_permission.is_denied() => ("off", w.os_off),
        (status, _) => (status.as_str(), status_text(status, language)),
    }
}

fn cards(
    report: &PrivacyReport,
    view: &StateView,
    texts: &StoreTexts,
    language: Language,
) -> String {
    let w = words(language);
    let mut out = String::new();
    for f in &report.features {
        let words_of = texts.feature(f.feature);
        let id = f.feature.as_str();
        let (status, status_text) = standing(f, view, language);
        let _ = write!(
            out,
            r#"<article class="card" data-feature="{id}" aria-labelledby="f-{id}"><h3 id="f-{id}">{name}</h3><p class="status {status}">{status_text}</p><dl>"#,
            name = escape(words_of.name(language)),
        );
        let last = f.last_use_ms.map_or(w.never.to_string(), local);
        for (field, label, value) in [
            ("uses", w.uses, f.uses.to_string()),
            ("time_in_use", w.time_in_use, duration(f.time_in_use_ms, w)),
            ("refused", w.refused, f.refused.to_string()),
            ("needed_consent", w.asked, f.needed_consent.to_string()),
            ("last_use", w.last_use, last),
        ] {
            let _ = write!(
                out,
                r#"<div><dt>{label}</dt><dd data-field="{field}">{}</dd></div>"#,
                escape(&value)
            );
        }
        out.push_str("</dl>");
        if !f.purposes.is_empty() {
            out.push_str(r#"<ul class="purposes">"#);
            for p in &f.purposes {
                let _ = write!(
                    out,
                    r#"<li data-purpose="{}">{} <span class="count">×{}</span></li>"#,
                    escape(&p.purpose),
                    escape(words_of.why(&p.purpose, language)),
                    p.uses
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</article>");
    }
    out
}

/// Every use, by feature: when it began and ended, how long, and why — reachable by touch
/// and screen reader, where the timeline's bars are only a picture.
fn every_use(report: &PrivacyReport, texts: &StoreTexts, language: Language) -> String {
    let w = words(language);
    if report.intervals.is_empty() {
        return format!("<p>{}</p>", w.no_uses);
    }
    let mut out = String::new();
    for feature in Feature::ALL {
        let uses: Vec<_> = report
            .intervals
            .iter()
            .filter(|u| u.feature == feature)
            .collect();
        if uses.is_empty() {
            continue;
        }
        let words_of = texts.feature(feature);
        let count = match (language, uses.len()) {
            (Language::English, 1) => "1 use".to_string(),
            (Language::English, n) => format!("{n} uses"),
            (Language::SimplifiedChinese, n) => format!("使用 {n} 次"),
        };
        let _ = write!(
            out,
            r#"<details data-feature="{}"><summary>{} · {count}</summary><ol class="uses">"#,
            feature.as_str(),
            escape(words_of.name(language)),
        );
        for use_ in uses {
            let end = match use_.end_ms {
                Some(end) => format!(
                    "{} · {}",
                    local(end),
                    duration(end.saturating_sub(use_.begin_ms).max(0) as u64, w)
                ),
                None => w.in_use.to_string(),
            };
            let why = use_
                .purpose
                .as_deref()
                .map(|p| format!(" · {}", escape(words_of.why(p, language))))
                .unwrap_or_default();
            let _ = write!(
                out,
                r#"<li data-begin="{}">{} → {}{why}</li>"#,
                use_.begin_ms,
                local(use_.begin_ms),
                end
            );
        }
        out.push_str("</ol></details>");
    }
    out
}

const STYLE: &str = r#"
*, *::before, *::after { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 0; color: #1d2125; background: #fff; }
header, main, footer { max-width: 980px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 20px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 28px 0 10px; } h3 { font-size: 17px; margin: 0; }
p.window, p.note, footer p { color: #525a61; margin: 0 0 12px; font-size: 14px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; }
.card { border: 1px solid #d0d5da; border-radius: 10px; padding: 12px 14px; }
.card .status { margin: 2px 0 8px; font-weight: 600; }
.status.granted { color: #17692f; } .status.denied { color: #a3202d; } .status.not_asked, .status.needs_reconsent { color: #525a61; }
dl { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 12px; margin: 0; }
dl div { display: contents; } dt { color: #525a61; font-size: 14px; } dd { margin: 0; text-align: right; overflow-wrap: anywhere; }
ul.purposes { margin: 10px 0 0; padding-left: 18px; font-size: 14px; } .count { color: #525a61; white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid #d0d5da; border-radius: 10px; padding: 6px 0; }
.scroll:focus { outline: 2px solid #1d5fc9; outline-offset: 2px; }
svg { display: block; width: 100%; min-width: 720px; height: auto; } svg .label { font: 13px system-ui, sans-serif; fill: #1d2125; } svg .axis { font: 12px system-ui, sans-serif; fill: #525a61; }
svg .use { fill: #1d5fc9; stroke: #fff; stroke-width: 0.5; }
details { border-bottom: 1px solid #e3e6e9; padding: 8px 0; } summary { cursor: pointer; min-height: 32px; font-weight: 600; }
ol.uses { margin: 6px 0 0; padding-left: 22px; font-size: 14px; } ol.uses li { margin: 4px 0; overflow-wrap: anywhere; }
.card, .card h3, ul.purposes li, summary, p.policy { overflow-wrap: anywhere; min-width: 0; }
p.damage { border: 2px solid #a3202d; border-radius: 10px; padding: 10px 12px; color: #7a1620; font-weight: 600; overflow-wrap: anywhere; }
.status.off { color: #7a1620; }
footer { padding-bottom: 24px; margin-top: 24px; }
"#;

/// The whole page, in `language`, with the app's names and "why"s from `texts`.
pub(crate) fn page(
    view: &StateView,
    report: &PrivacyReport,
    texts: &StoreTexts,
    language: Language,
) -> String {
    let w = words(language);
    let (app_id, policy) = (&view.app_id, &view.policy);
    let mut notices = String::new();
    if let Some(damage) = &view.damage {
        let text = w
            .damaged
            .replace("{seq}", &damage.first_bad_seq.to_string())
            .replace("{problem}", &damage.problem);
        let _ = write!(
            notices,
            r#"<p class="damage" role="alert">{}</p>"#,
            escape(&text)
        );
    }
    if texts.source.from != TextsFrom::Config && texts.source.problem.is_some() {
        let _ = write!(notices, r#"<p class="damage">{}</p>"#, w.unchecked_words);
    }
    if view.recovery.is_some() {
        let _ = write!(notices, r#"<p class="damage">{}</p>"#, w.recovered);
    }
    let policy_line = match policy.revision {
        None => w.policy_none.to_string(),
        Some(revision) => format!(
            "{} {revision}{}{}{}{}",
            w.policy_revision,
            w.colon,
            policy_status(policy, language),
            if policy.basic_mode {
                format!(" ({})", w.basic_mode)
            } else {
                String::new()
            },
            w.stop
        ),
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — {app}</title>
<style>{STYLE}</style></head>
<body>
<header><h1>{title}</h1><p class="window">{app} · {since} — {until} (UTC{offset})</p></header>
<main>
{notices}<p class="policy">{policy}</p>
<section aria-labelledby="features"><h2 id="features">{features}</h2>
<div class="cards">{cards}</div></section>
<section aria-labelledby="timeline"><h2 id="timeline">{timeline}</h2>
<div class="scroll" role="region" aria-label="{timeline_box}" tabindex="0">{svg}</div>
<p class="note">{note}</p>
<h3 class="every">{every}</h3>
{uses}
</section>
</main>
<footer><p>{footer}</p></footer>
</body></html>
"#,
        lang = language.tag(),
        title = w.title,
        app = escape(app_id),
        since = local(report.since_ms),
        until = local(report.until_ms),
        offset = offset(report.until_ms),
        policy = escape(&policy_line),
        features = w.features,
        cards = cards(report, view, texts, language),
        timeline = w.timeline,
        timeline_box = w.timeline_box,
        svg = timeline(report, texts, language),
        note = w.timeline_note,
        every = w.every_use,
        uses = every_use(report, texts, language),
        footer = w.footer,
    )
}
