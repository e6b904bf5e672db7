//! The privacy report as one self-contained HTML page a person opens on their phone: a card per feature, a timeline that scrolls inside itself, every use listed, in English or Simplified Chinese, nothing fetched.

use std::fmt::Write;

use crate::engine::StateView;
use crate::iso8601::iso8601_local;
use crate::language::Language;
use crate::model::{ConsentStatus, Feature, NotInForce};
use crate::notice::StoreTexts;
use crate::policy::{PolicyState, PolicyStatus};
use crate::report::{FeatureReport, PrivacyReport};

/// The page's own words, in one language.
struct Words {
    title: &'static str,
    policy_none: &'static str,
    /// `{}`: revision, then status.
    policy_revision: &'static str,
    basic_mode: &'static str,
    features: &'static str,
    uses: &'static str,
    time_in_use: &'static str,
    refused: &'static str,
    asked: &'static str,
    last_use: &'static str,
    never: &'static str,
    timeline: &'static str,
    /// The timeline's scrolling box (a landmark of its own: named apart from its section).
    timeline_box: &'static str,
    timeline_note: &'static str,
    every_use: &'static str,
    no_uses: &'static str,
    in_use: &'static str,
    footer: &'static str,
    seconds: &'static str,
    minutes: &'static str,
    hours: &'static str,
    colon: &'static str,
    stop: &'static str,
    not_counting_guardian: &'static str,
    not_counting_policy: &'static str,
    not_counting_minor: &'static str,
    os_off: &'static str,
    damaged_off: &'static str,
    /// `{}`: the first bad record, then the problem.
    damaged: &'static str,
    recovered: &'static str,
    unchecked_words: &'static str,
}

const ENGLISH: Words = Words {
    title: "Privacy report",
    policy_none: "No agreement to the policy as a whole is asked: consent is per feature.",
    policy_revision: "Privacy policy revision",
    basic_mode: "basic mode",
    features: "What each feature did",
    uses: "Uses",
    time_in_use: "Time in use",
    refused: "Refused",
    asked: "Consent asked for",
    last_use: "Last use",
    never: "never",
    timeline: "Timeline of uses",
    timeline_box: "Timeline, scrolls sideways",
    timeline_note: "Each bar is one use, from the moment the feature was opened to the moment it was closed. Swipe the timeline sideways on a small screen.",
    every_use: "Every use",
    no_uses: "No uses in this period.",
    in_use: "still in use",
    footer: "Made on this device from its own tamper-evident record; nothing here was sent anywhere.",
    seconds: "s",
    minutes: "min",
    hours: "h",
    colon: ": ",
    stop: ".",
    not_counting_guardian: "given by the person, not in force: a guardian must decide",
    not_counting_policy: "not in force: the privacy policy is not agreed to",
    not_counting_minor: "not in force: ads are never personalised for a minor",
    os_off: "allowed, but switched off in the system settings",
    damaged_off: "off: the record is damaged",
    damaged: "This record is damaged at entry {seq} ({problem}). Everything in it is off; this report shows what the entries before the damage say.",
    recovered: "The record was found damaged earlier and restarted; the history before that was kept aside and is not in this report.",
    unchecked_words: "The app's names and reasons on this page could not be checked against the app itself; what was allowed, refused and used comes from the tamper-evident record.",
};

const CHINESE: Words = Words {
    title: "隐私报告",
    policy_none: "本应用不要求整体同意隐私政策：按功能逐项征得同意。",
    policy_revision: "隐私政策版本",
    basic_mode: "基本模式",
    features: "各功能的使用情况",
    uses: "使用次数",
    time_in_use: "使用时长",
    refused: "被拒绝",
    asked: "请求同意",
    last_use: "最近使用",
    never: "从未",
    timeline: "使用时间线",
    timeline_box: "时间线（可横向滚动）",
    timeline_note: "每一条代表一次使用，从功能打开到关闭。在小屏幕上可左右滑动时间线。",
    every_use: "每一次使用",
    no_uses: "此期间没有使用。",
    in_use: "仍在使用",
    footer: "本报告由本设备根据其防篡改记录生成，未发送到任何地方。",
    seconds: "秒",
    minutes: "分",
    hours: "小时",
    colon: "：",
    stop: "。",
    not_counting_guardian: "本人已允许，但未生效：需由监护人决定",
    not_counting_policy: "未生效：尚未同意隐私政策",
    not_counting_minor: "未生效：不向未成年人展示个性化广告",
    os_off: "已允许，但在系统设置中已关闭",
    damaged_off: "已关闭：记录已损坏",
    damaged:
        "此记录在第 {seq} 条处已损坏（{problem}）。其中所有功能均已关闭；本报告显示损坏之前的记录。",
    recovered: "此前发现记录损坏并已重新开始；之前的历史已另行保存，不在本报告中。",
    unchecked_words:
        "本页中应用的名称和用途说明无法与应用本身核对；允许、拒绝和使用情况来自防篡改记录。",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::English => &ENGLISH,
        Language::SimplifiedChinese => &CHINESE,
    }
}

fn status_text(status: ConsentStatus, language: Language) -> &'static str {
    use ConsentStatus::*;
    match (status, language) {
        (Granted, Language::English) => "allowed",
        (Denied, Language::English) => "not allowed",
        (NotAsked, Language::English) => "not asked",
        (NeedsReconsent, Language::English) => "to ask again",
        (Granted, Language::SimplifiedChinese) => "已允许",
        (Denied, Language::SimplifiedChinese) => "未允许",
        (NotAsked, Language::SimplifiedChinese) => "未询问",
        (NeedsReconsent, Language::SimplifiedChinese) => "需重新询问",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A duration as a person reads it: `2.5 s`, `3 min 5 s`, `1 h 20 min`.
fn duration(ms: u64, w: &Words) -> String {
    let s = ms / 1000;
    if s < 60 {
        format!("{:.1} {}", ms as f64 / 1000.0, w.seconds)
    } else if s < 3600 {
        format!("{} {} {} {}", s / 60, w.minutes, s % 60, w.seconds)
    } else {
        format!("{} {} {} {}", s / 3600, w.hours, (s % 3600) / 60, w.minutes)
    }
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
    if texts.source.from != "config" && texts.source.problem.is_some() {
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

fn policy_status(policy: &PolicyState, language: Language) -> String {
    let zh = language == Language::SimplifiedChinese;
    match (policy.status, zh) {
        (PolicyStatus::Agreed, false) => "agreed",
        (PolicyStatus::Agreed, true) => "已同意",
        (PolicyStatus::Declined, false) => "declined",
        (PolicyStatus::Declined, true) => "已拒绝",
        (PolicyStatus::NeedsReconsent, false) => "to agree again",
        (PolicyStatus::NeedsReconsent, true) => "需重新同意",
        (_, false) => "not agreed yet",
        (_, true) => "尚未同意",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_both_languages() {
        assert_eq!(duration(2_500, &ENGLISH), "2.5 s");
        assert_eq!(duration(185_000, &ENGLISH), "3 min 5 s");
        assert_eq!(duration(4_800_000, &CHINESE), "1 小时 20 分");
    }
}
