//! Exports a user can take away: everything as JSON, and use intervals as App-Privacy-Report-style NDJSON.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::entry::{AuditEntry, AuditKind};
use crate::error::ConsentError;
use crate::model::{Feature, FeatureState};
use crate::report::LogHead;
use crate::store::ConsentStore;

const EXPORT_FORMAT: &str = "consentkit.export/1";

/// Unix milliseconds as ISO-8601 with milliseconds and an explicit offset (UTC: `+00:00`),
/// as Apple's App Privacy Report writes them.
pub fn iso8601(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
    );
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("@{ms}ms"))
}

/// Apple's App Privacy Report category for a feature; the last two have no Apple
/// counterpart and use the names their OS APIs use.
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
    consent_records: Vec<ConsentRecord<'a>>,
    log: Vec<LogLine>,
    head: LogHead,
}

#[derive(Serialize)]
struct ConsentRecord<'a> {
    record_id: Option<String>,
    app_id: &'a str,
    feature: Feature,
    purposes: &'a [String],
    status: crate::model::ConsentStatus,
    scope: Option<crate::model::GrantScope>,
    actor: Option<crate::model::Actor>,
    decided_at: Option<String>,
    terms_revision: u32,
    current_terms_revision: u32,
    os_permission: crate::model::OsPermission,
    how_to_withdraw: String,
}

#[derive(Serialize)]
struct LogLine {
    time: String,
    #[serde(flatten)]
    entry: AuditEntry,
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

#[uniffi::export]
impl ConsentStore {
    /// Everything the store holds about the user, machine-readable: one consent record per
    /// feature (with how to withdraw it) and the whole log. For the rights of access and
    /// portability.
    pub fn export_json(&self) -> Result<String, ConsentError> {
        let (app_id, states, decisions) = self.identity_and_states();
        let mut log = Vec::new();
        self.scan(None, |entry| {
            log.push(LogLine {
                time: iso8601(entry.time_ms),
                entry,
            })
        })?;
        let consent_records = states
            .iter()
            .zip(decisions)
            .map(|(s, decision_seq)| ConsentRecord {
                record_id: (decision_seq > 0)
                    .then(|| format!("{app_id}/{}/{decision_seq}", s.feature.as_str())),
                app_id: &app_id,
                feature: s.feature,
                purposes: &s.purposes,
                status: s.status,
                scope: s.scope,
                actor: s.decided_by,
                decided_at: s.decided_at_ms.map(iso8601),
                terms_revision: s.decided_terms_revision,
                current_terms_revision: s.terms_revision,
                os_permission: s.os_permission,
                how_to_withdraw: format!(
                    "Settings › Privacy › {}: switch it off. Takes effect at once and ends any use in progress.",
                    s.feature.as_str()
                ),
            })
            .collect();
        let export = Export {
            format: EXPORT_FORMAT,
            app_id: &app_id,
            exported_at: iso8601(self.inner.clock.now_ms()),
            consent_records,
            log,
            head: self.head(),
        };
        serde_json::to_string_pretty(&export).map_err(ConsentError::storage)
    }

    /// Use sessions as access intervals, one JSON object per line, in the shape of Apple's
    /// App Privacy Report (`intervalBegin` / `intervalEnd` pairs sharing an `identifier`).
    pub fn export_access_ndjson(&self) -> Result<String, ConsentError> {
        let (app_id, chain_started_ms) = {
            let core = self.inner.core.read();
            (core.state.app_id.clone(), core.state.chain_started_ms)
        };
        let mut out = String::new();
        self.scan(None, |entry| {
            let kind = match entry.kind {
                AuditKind::SessionBegan => "intervalBegin",
                AuditKind::SessionEnded => "intervalEnd",
                _ => return,
            };
            let Some(feature) = entry.feature else { return };
            let line = Access {
                accessor: Accessor {
                    identifier: &app_id,
                    identifier_type: "bundleID",
                },
                category: access_category(feature),
                identifier: interval_id(&app_id, chain_started_ms, entry.session_id),
                kind,
                time_stamp: iso8601(entry.time_ms),
                kind_of_record: "access",
            };
            out.push_str(&serde_json::to_string(&line).expect("access line serialises"));
            out.push('\n');
        })?;
        Ok(out)
    }
}

impl ConsentStore {
    fn identity_and_states(&self) -> (String, Vec<FeatureState>, Vec<u64>) {
        let core = self.inner.core.read();
        let states = Feature::ALL
            .into_iter()
            .map(|f| core.feature_state(f))
            .collect();
        let decisions = Feature::ALL
            .into_iter()
            .map(|f| core.state.record(f).decision_seq)
            .collect();
        (core.state.app_id.clone(), states, decisions)
    }
}

/// A stable UUID-shaped id for one session of one chain, like Apple's interval identifiers.
fn interval_id(app_id: &str, chain_started_ms: i64, session_id: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app_id.as_bytes());
    hasher.update(chain_started_ms.to_le_bytes());
    hasher.update(session_id.to_le_bytes());
    let h = hex::encode_upper(&hasher.finalize()[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_carry_milliseconds_and_an_offset() {
        assert_eq!(iso8601(1_700_000_000_123), "2023-11-14T22:13:20.123+00:00");
    }

    #[test]
    fn interval_ids_are_uuid_shaped_and_distinct_per_session() {
        let a = interval_id("com.example", 1, 7);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, interval_id("com.example", 1, 8));
    }
}
