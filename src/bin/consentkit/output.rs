//! How the CLI prints states, logs, reports and verification: aligned tables for people, JSON for scripts.

use consentkit::{
    iso8601, AdSignals, AgeSignal, AuditEntry, AuditKind, ConsentStatus, ConsentStore, Feature,
    FeatureState, HeadCheck, LogHead, NotInForce, PolicyState, PolicyStatus, PrivacyReport,
    PromptAdvice, SdkBlock, SdkCatalogEntry, VerifyReport,
};
use serde::Serialize;

fn json<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialises")
    );
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub fn states(states: &[FeatureState], as_json: bool) {
    if as_json {
        return json(states);
    }
    println!(
        "{:<20} {:<16} {:<14} {:<8} {:>8} {:>7} {:>5}",
        "feature", "status", "scope", "os", "sessions", "allowed", "terms"
    );
    for s in states {
        println!(
            "{:<20} {:<16} {:<14} {:<8} {:>8} {:>7} {:>5}",
            s.feature.as_str(),
            status_in_force(s.status, s.not_in_force),
            s.scope.map_or("-", |x| x.as_str()),
            s.os_permission.as_str(),
            s.active_sessions,
            yes_no(s.allowed),
            s.terms_revision
        );
    }
}

pub fn log(entries: &[AuditEntry], as_json: bool) {
    if as_json {
        return json(entries);
    }
    println!(
        "{:>6}  {:<29}  {:<22} {:<18} {:<14} {:<8} detail",
        "seq", "time", "kind", "feature", "purpose", "actor"
    );
    for e in entries {
        println!(
            "{:>6}  {:<29}  {:<22} {:<18} {:<14} {:<8} {}",
            e.seq,
            iso8601(e.time_ms),
            e.kind.as_str(),
            e.feature.map_or("-", |f| f.as_str()),
            e.purpose.as_deref().unwrap_or("-"),
            e.actor.map_or("-", |a| a.as_str()),
            short(&detail(e))
        );
    }
}

/// The typed fields a record's kind carries, in a few words.
fn detail(e: &AuditEntry) -> String {
    let mut parts = Vec::new();
    if let Some(chain) = e.chain {
        parts.push(format!("chain {chain}"));
    }
    if let Some(notice) = &e.recovery {
        parts.push(format!(
            "after damage at #{}: {} (kept in {})",
            notice.first_bad_seq, notice.problem, notice.quarantined_as
        ));
    }
    if let Some(scope) = e.scope {
        parts.push(scope.as_str().to_string());
    }
    if let Some(reason) = e.end_reason {
        parts.push(reason.as_str().to_string());
    }
    if let Some(ms) = e.duration_ms {
        parts.push(format!("{:.1} s", ms as f64 / 1000.0));
    }
    if let Some(refusal) = e.refusal {
        parts.push(refusal.as_str().to_string());
    }
    if let Some(permission) = e.os_permission {
        parts.push(permission.as_str().to_string());
    }
    if let Some(foreground) = e.foreground {
        parts.push(
            if foreground {
                "foreground"
            } else {
                "background"
            }
            .to_string(),
        );
    }
    if e.kind != AuditKind::SessionBegan {
        if let Some(revision) = e.terms_revision {
            parts.push(format!("terms {revision}"));
        }
    }
    if !e.purposes.is_empty() {
        parts.push(e.purposes.join(","));
    }
    match (e.kind, e.policy_revision) {
        (AuditKind::AppTermsApplied, None) => parts.push("no policy step".into()),
        (_, Some(revision)) => parts.push(format!("policy {revision}")),
        _ => {}
    }
    if let Some(sdk) = &e.sdk {
        parts.push(format!("sdk {sdk}"));
    }
    if let Some(block) = e.sdk_block {
        parts.push(blocked(block));
    }
    if !e.sdks.is_empty() {
        parts.push(format!("sdks {}", e.sdks.join(",")));
    }
    if let (Some(through), Some(records)) = (e.pruned_through, e.pruned_records) {
        parts.push(format!(
            "{records} records through #{through} removed by retention"
        ));
    }
    if let Some(age) = &e.age {
        parts.push(format!(
            "age {} ({})",
            age.range_text(),
            age.source.as_str()
        ));
    }
    parts.join(" ")
}

/// The age signal and how much history the log holds, under the policy line of `state`.
pub fn age_and_retention(age: Option<AgeSignal>, history_start: u64) {
    match age {
        Some(age) => println!("age: {} ({})", age.range_text(), age.source.as_str()),
        None => println!("age: unknown (no age signal)"),
    }
    if history_start > 1 {
        println!(
            "history: from record #{history_start} (retention cut the older use history; decisions in force are kept)"
        );
    } else {
        println!("history: complete, from record #1");
    }
}

/// Prompt advice in words: what the app should do now.
fn advice_text(advice: PromptAdvice) -> String {
    match advice {
        PromptAdvice::NotNow { until_ms } => format!("not now (until {})", iso8601(until_ms)),
        other => other.as_str().replace('_', " "),
    }
}

pub fn advice(store: &ConsentStore, as_json: bool) {
    let policy = store.policy_prompt_advice();
    let features: Vec<(Feature, PromptAdvice)> = Feature::ALL
        .into_iter()
        .map(|f| (f, store.prompt_advice(f)))
        .collect();
    if as_json {
        #[derive(Serialize)]
        struct Line {
            feature: Feature,
            #[serde(flatten)]
            advice: PromptAdvice,
        }
        #[derive(Serialize)]
        struct Advice {
            policy: PromptAdvice,
            features: Vec<Line>,
        }
        let features = features
            .into_iter()
            .map(|(feature, advice)| Line { feature, advice })
            .collect();
        return json(&Advice { policy, features });
    }
    println!("{:<20} {}", "privacy policy", advice_text(policy));
    for (feature, advice) in features {
        println!("{:<20} {}", feature.as_str(), advice_text(advice));
    }
}

/// Why an SDK may not start, in a few words.
pub fn blocked(block: SdkBlock) -> String {
    match block {
        SdkBlock::FeatureNotGranted { feature } => format!("needs {}", feature.as_str()),
        other => other.as_str().replace('_', " "),
    }
}

pub fn policy(policy: &PolicyState, as_json: bool) {
    if as_json {
        return json(policy);
    }
    let revision = |r: Option<u32>| r.map_or("-".to_string(), |r| r.to_string());
    match policy.status {
        PolicyStatus::NotRequired => {
            println!("privacy policy: no agreement asked (per-feature consent only)")
        }
        status => println!(
            "privacy policy: revision {} {}{}{}",
            revision(policy.revision),
            status.as_str().replace('_', " "),
            match (policy.agreed_revision, status) {
                (Some(agreed), PolicyStatus::NeedsReconsent | PolicyStatus::Declined) =>
                    format!(" (revision {agreed} was agreed to)"),
                _ => String::new(),
            },
            if policy.basic_mode {
                " — BASIC MODE: nothing can be used or granted, no SDK starts"
            } else {
                ""
            }
        ),
    }
}

pub fn sdks(catalog: &[SdkCatalogEntry], ads: &AdSignals, as_json: bool) {
    if as_json {
        #[derive(Serialize)]
        struct Sdks<'a> {
            sdks: &'a [SdkCatalogEntry],
            ad_signals: &'a AdSignals,
        }
        return json(&Sdks {
            sdks: catalog,
            ad_signals: ads,
        });
    }
    println!(
        "{:<16} {:<22} {:<16} {:<20} {:<29} requires",
        "sdk", "name", "vendor", "may start", "first started"
    );
    for entry in catalog {
        let (sdk, status) = (&entry.sdk, &entry.status);
        let requires: Vec<&str> = sdk.requires.iter().map(|f| f.as_str()).collect();
        println!(
            "{:<16} {:<22} {:<16} {:<20} {:<29} {}",
            sdk.id,
            short_to(&sdk.name, 22),
            short_to(
                if sdk.vendor.is_empty() {
                    "-"
                } else {
                    &sdk.vendor
                },
                16
            ),
            status
                .blocked_by
                .map_or("yes".to_string(), |b| format!("no: {}", blocked(b))),
            status.first_started_ms.map_or("-".to_string(), iso8601),
            if requires.is_empty() {
                "-".to_string()
            } else {
                requires.join(",")
            }
        );
    }
    if catalog.is_empty() {
        println!("(no SDK declared)");
    }
    println!("ad signals: {}", ad_signals_line(ads));
}

/// The four Consent Mode signals on one line.
pub fn ad_signals_line(ads: &AdSignals) -> String {
    format!(
        "ad_storage={} ad_user_data={} ad_personalization={} analytics_storage={}",
        ads.ad_storage.as_str(),
        ads.ad_user_data.as_str(),
        ads.ad_personalization.as_str(),
        ads.analytics_storage.as_str()
    )
}

fn short_to(text: &str, width: usize) -> String {
    if text.chars().count() > width {
        format!("{}…", text.chars().take(width - 1).collect::<String>())
    } else {
        text.to_string()
    }
}

fn short(detail: &str) -> String {
    if detail.chars().count() > 60 {
        format!("{}…", detail.chars().take(59).collect::<String>())
    } else {
        detail.to_string()
    }
}

pub fn report(report: &PrivacyReport, as_json: bool) {
    if as_json {
        return json(report);
    }
    println!(
        "Privacy report {} — {}",
        iso8601(report.since_ms),
        iso8601(report.until_ms)
    );
    println!(
        "{:<20} {:>5} {:>12} {:<29} {:>8} {:>7}  {:<16} purposes",
        "feature", "uses", "time in use", "last use", "refused", "to ask", "status"
    );
    for f in &report.features {
        let purposes: Vec<String> = f
            .purposes
            .iter()
            .map(|p| format!("{}×{}", p.purpose, p.uses))
            .collect();
        println!(
            "{:<20} {:>5} {:>12} {:<29} {:>8} {:>7}  {:<16} {}",
            f.feature.as_str(),
            f.uses,
            format!("{:.1} s", f.time_in_use_ms as f64 / 1000.0),
            f.last_use_ms.map_or("-".to_string(), iso8601),
            f.refused,
            f.needed_consent,
            status_in_force(f.status, f.not_in_force),
            purposes.join(", ")
        );
    }
}

pub fn verify(report: &VerifyReport, as_json: bool) {
    if as_json {
        return json(report);
    }
    if report.intact {
        println!(
            "intact: {} records, head #{} {}",
            report.records_checked, report.head.seq, report.head.hash
        );
        match report.sealed_through {
            Some(seq) => println!(
                "sealed through record #{seq}; {} records after it are sealed at the next checkpoint or on close",
                report.unsealed_records
            ),
            None => println!("not sealed: no key was given (--seal-key), or nothing was sealed yet"),
        }
    } else {
        println!(
            "DAMAGED at record #{}: {}",
            report.first_bad_seq.unwrap_or(0),
            report.problem.as_deref().unwrap_or("?")
        );
        match &report.quarantined_as {
            Some(kept) => {
                println!("the damaged log is kept aside in {kept}; every feature was turned off")
            }
            None => println!(
                "inspected read-only: the damaged log is left in place; the app keeps it aside and turns every feature off when it next opens the store"
            ),
        }
    }
}

pub fn head(head: &LogHead, as_json: bool) {
    if as_json {
        return json(head);
    }
    println!("chain {} record #{} {}", head.chain, head.seq, head.hash);
    match (&head.seal, head.seal_epoch) {
        (Some(seal), Some(epoch)) => println!("sealed (epoch {epoch}): {seal}"),
        _ => println!("not sealed (no key given)"),
    }
}

pub fn head_check(check: &HeadCheck, as_json: bool) {
    if as_json {
        return json(check);
    }
    match &check.problem {
        None => println!("the log still holds the saved head"),
        Some(problem) => println!("the log does NOT hold the saved head: {problem}"),
    }
}

/// A status as the rules apply it: a grant not in force says so (`granted, not in force:
/// guardian_required`), never a bare `granted`.
fn status_in_force(status: ConsentStatus, not_in_force: Option<NotInForce>) -> String {
    match not_in_force {
        Some(why) => format!("{}, not in force: {}", status.as_str(), why.as_str()),
        None => status.as_str().to_string(),
    }
}
