//! Exports a person can take away: everything as JSON, and use intervals as App-Privacy-Report-style NDJSON.

use std::collections::HashMap;

use serde::Serialize;

use crate::ads::AdSignals;
use crate::age::AgeSignal;
use crate::audit::AuditEntry;
use crate::consent_record::{derived_uuid, undamaged, ConsentRecord, Events, Records};
use crate::engine::{LogHead, StateView};
use crate::entry::Entry;
use crate::error::Error;
use crate::iso8601::{iso8601, iso8601_local};
use crate::kinds::RecoveryNotice;
use crate::log::LogReader;
use crate::model::Feature;
use crate::policy::PolicyState;
use crate::report::scan;
use crate::sdk::{SdkCatalogEntry, SdkPolicy};
use crate::store_texts::{StoreTexts, TextsSource};

const EXPORT_FORMAT: &str = "consentkit.export/1";

/// The App Privacy Report category of a feature. `camera`, `microphone` and `photos` are
/// Apple's own; Apple reports no clipboard, motion or advertising access, so those use
/// `pasteboard`, `motion` and `advertising`, the names of the iOS APIs involved.
pub fn access_category(feature: Feature) -> &'static str {
    match feature {
        Feature::Camera => "camera",
        Feature::Microphone => "microphone",
        Feature::PhotoLibrary => "photos",
        Feature::Clipboard => "pasteboard",
        Feature::MotionSensors => "motion",
        Feature::AdPersonalization => "advertising",
    }
}

#[derive(Serialize)]
struct Export<'a> {
    format: &'static str,
    app_id: &'a str,
    exported_at: String,
    /// Agreement to the privacy policy as a whole.
    policy: &'a PolicyState,
    consent_records: Vec<ConsentRecord<'a>>,
    /// Where the app's words in this export come from (its config, the file beside the log,
    /// or the built-in texts) and whether a key vouched for them.
    texts: &'a TextsSource,
    /// The SDKs that may start now: everyone the person's data can reach.
    recipients: Vec<&'a SdkPolicy>,
    /// The third-party SDK catalogue, with each SDK's status and first start.
    sdks: &'a [SdkCatalogEntry],
    /// What ad SDKs are told (Consent Mode v2).
    ad_signals: &'a AdSignals,
    /// The age range the app reported, if any, and whether it makes the person a minor.
    age_signal: Option<AgeSignal>,
    minor: bool,
    /// The store is damaged (found by an inspector, left in place): everything in this export
    /// is what the records before the damage say, and the store answers off to everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    damaged: Option<&'a RecoveryNotice>,
    /// The log was restarted after damage (the damaged files kept aside): the history before
    /// it is not in this export.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovered_from_damage: Option<&'a RecoveryNotice>,
    /// Retention cut the log: the records up to `through_seq` are gone, and what was in force
    /// then — decisions included — is the log's base, bound to that record's hash. A consent
    /// record whose decision was cut off is `recorded_in: "base"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    base: Option<BaseRef>,
    log: Vec<LogLine>,
    head: LogHead,
}

#[derive(Serialize)]
struct BaseRef {
    through_seq: u64,
    through_hash: String,
}

#[derive(Serialize)]
struct LogLine {
    time: String,
    #[serde(flatten)]
    entry: AuditEntry,
}

/// Everything the store holds about the person, machine-readable: one consent record per
/// feature in the ISO/IEC TS 27560 shape (in the app's words) and the whole log.
pub(crate) fn json(
    reader: &LogReader,
    view: &StateView,
    head: LogHead,
    texts: &StoreTexts,
    now_ms: i64,
) -> Result<String, Error> {
    let mut log = Vec::new();
    // What each feature's deciding record was: a "no" refused or withdrawn, a consent given.
    let mut events = Events::default();
    scan(reader, None, |record| {
        events.note(view, record);
        log.push(LogLine {
            time: iso8601(record.time_ms),
            entry: AuditEntry::from_record(record),
        })
    })?;
    let cut = reader.cut();
    let records = Records::new(view, texts, &events, reader);
    let export = Export {
        format: EXPORT_FORMAT,
        app_id: &view.app_id,
        exported_at: iso8601(now_ms),
        policy: &view.policy,
        consent_records: records.all(),
        texts: &texts.source,
        recipients: view
            .sdks
            .iter()
            .filter(|e| e.status.may_start)
            .map(|e| &e.sdk)
            .collect(),
        sdks: &view.sdks,
        ad_signals: &view.ad_signals,
        age_signal: view.age,
        minor: view.minor,
        damaged: view.damage.as_ref(),
        recovered_from_damage: view.recovery.as_ref(),
        base: cut.map(|(through_seq, hash)| BaseRef {
            through_seq,
            through_hash: hex::encode(hash),
        }),
        log,
        head,
    };
    serde_json::to_string(&export).map_err(|e| Error::InvalidArgument(e.to_string()))
}

#[derive(Serialize)]
struct Access<'a> {
    accessor: Accessor<'a>,
    category: &'static str,
    identifier: String,
    kind: &'static str,
    #[serde(rename = "timeStamp")]
    time_stamp: String,
    #[serde(rename = "type")]
    kind_of_record: &'static str,
}

#[derive(Serialize)]
struct Accessor<'a> {
    identifier: &'a str,
    #[serde(rename = "identifierType")]
    identifier_type: &'static str,
}

/// Use sessions as access intervals, one JSON object per line, in the shape of Apple's App
/// Privacy Report: `intervalBegin` / `intervalEnd` pairs sharing an `identifier`. An interval
/// ends at its beginning plus its time in use (from the monotonic clock, or for a session
/// interrupted by a crash, up to the last record its process wrote), so a clock set backwards
/// or a process killed mid-use never makes an interval end before it began or span the gap.
pub(crate) fn access_ndjson(
    reader: &LogReader,
    view: &StateView,
    texts: &StoreTexts,
) -> Result<String, Error> {
    undamaged(view)?;
    let install = texts.install_id.as_deref();
    let mut out = String::new();
    let mut begun: HashMap<u64, i64> = HashMap::new();
    let mut line = |feature: Feature, session: u64, kind: &'static str, time_ms: i64| {
        let access = Access {
            accessor: Accessor {
                identifier: &view.app_id,
                identifier_type: "bundleID",
            },
            category: access_category(feature),
            identifier: interval_id(view, install, session),
            kind,
            time_stamp: iso8601_local(time_ms),
            kind_of_record: "access",
        };
        out.push_str(&serde_json::to_string(&access).expect("access lines serialise"));
        out.push('\n');
    };
    scan(reader, None, |record| match &record.entry {
        Entry::SessionBegan { feature, .. } => {
            begun.insert(record.seq, record.time_ms);
            line(*feature, record.seq, "intervalBegin", record.time_ms);
        }
        Entry::SessionEnded {
            feature,
            session,
            duration_ms,
            ..
        } => {
            // A session whose beginning went with the history retention removed is no
            // longer there to report: its end alone is no interval (as in the report, I6).
            if let Some(began) = begun.remove(session) {
                let duration = i64::try_from(*duration_ms).unwrap_or(i64::MAX);
                line(
                    *feature,
                    *session,
                    "intervalEnd",
                    began.saturating_add(duration),
                );
            }
        }
        _ => {}
    })?;
    Ok(out)
}

/// An RFC 9562 version-8 UUID for one session of one chain of one store: derived, so the same
/// session always exports under the same identifier, and distinct across stores and chains.
fn interval_id(view: &StateView, install: Option<&str>, session: u64) -> String {
    derived_uuid(
        b"consentkit/interval/2",
        &[
            install.unwrap_or(&view.app_id).as_bytes(),
            &view.chain.to_le_bytes(),
            &view.chain_started_ms.to_le_bytes(),
            &session.to_le_bytes(),
        ],
    )
    .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> StateView {
        StateView {
            app_id: "com.example".into(),
            chain: 1,
            chain_started_ms: 1,
            states: Vec::new(),
            decisions: Vec::new(),
            policy: crate::rules::State::new("a").policy_state(),
            sdks: Vec::new(),
            ad_signals: AdSignals::denied(),
            age: None,
            minor: false,
            damage: None,
            recovery: None,
        }
    }

    #[test]
    fn interval_ids_are_version_8_uuids_distinct_per_session() {
        let a = interval_id(&view(), None, 7);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 8);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, interval_id(&view(), None, 8));
        assert_eq!(a, interval_id(&view(), None, 7));
    }
}
