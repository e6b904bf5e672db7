//! One feature's consent record in the shape of ISO/IEC TS 27560: who the controller is, under which notice, for which purposes and data, what the last event was, and only what the rules let count.

use std::collections::HashMap;
use std::ops::ControlFlow;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::engine::StateView;
use crate::entry::Entry;
use crate::error::Error;
use crate::iso8601::iso8601;
use crate::log::{LogReader, Record};
use crate::model::{
    Actor, ConsentStatus, Feature, FeatureState, GrantScope, NotInForce, OsPermission,
};
use crate::notice::{Controller, PurposeText};
use crate::sdk::SdkPolicy;
use crate::store_texts::StoreTexts;

/// The version of the record's shape: ISO/IEC TS 27560:2023's fields, in consentkit's names.
pub(crate) const RECORD_SCHEMA: &str = "consentkit.consent-record/1 (ISO/IEC TS 27560:2023)";

/// Where every record is kept.
const STORAGE_LOCATION: &str =
    "On the device only: the app's private storage, excluded from backups; never sent anywhere by consentkit";

/// What the log says of each feature's last event: the kind of each deciding record, and a
/// single use that ended (used up or lapsed) with nothing decided since.
#[derive(Default)]
pub(crate) struct Events {
    by_seq: HashMap<u64, &'static str>,
    /// Per feature, the record that ended a single use and the time it did.
    ended: [Option<(u64, i64)>; Feature::ALL.len()],
    /// Per feature, the kind of its last event so far.
    last: [Option<&'static str>; Feature::ALL.len()],
}

impl Events {
    /// Takes in `record`, oldest first.
    pub fn note(&mut self, view: &StateView, record: &Record) {
        let Some(mut event) = event_of(&record.entry) else {
            return;
        };
        let feature = record.entry.feature();
        // A "no" to a consent in force takes it back: withdrawn, not refused.
        let in_force = feature.and_then(|f| self.last[f.index()]) == Some("given");
        if event == "refused" && in_force {
            event = "withdrawn";
        }
        if view.decisions.contains(&record.seq) {
            self.by_seq.insert(record.seq, event);
        }
        if let Some(feature) = feature {
            self.last[feature.index()] = Some(event);
            self.ended[feature.index()] = match &record.entry {
                Entry::GrantConsumed { .. } | Entry::GrantLapsed { .. } => {
                    Some((record.seq, record.time_ms))
                }
                _ => None,
            };
        }
    }

    /// The events of `view`'s features in the log `reader` reads.
    pub fn read(reader: &LogReader, view: &StateView) -> Result<Events, Error> {
        let mut events = Events::default();
        reader
            .for_each(|record| {
                events.note(view, &record);
                ControlFlow::Continue(())
            })
            .map_err(|stop| Error::Unreadable(stop.to_string()))?;
        Ok(events)
    }
}

/// Refuses an export that has no room to say the store is damaged (receipts, access
/// intervals): none is made, rather than one that looks like a healthy store's.
pub(crate) fn undamaged(view: &StateView) -> Result<(), Error> {
    match &view.damage {
        Some(damage) => Err(Error::Unreadable(format!(
            "the store is damaged at record {} ({}): nothing in it counts; export_json says what the records before the damage say",
            damage.first_bad_seq, damage.problem
        ))),
        None => Ok(()),
    }
}

/// The kind of consent event a deciding record is.
fn event_of(entry: &Entry) -> Option<&'static str> {
    match entry {
        Entry::Granted { .. } => Some("given"),
        Entry::Denied { .. } => Some("refused"),
        Entry::Revoked { .. } => Some("withdrawn"),
        Entry::ReconsentRequired { .. }
        | Entry::GrantConsumed { .. }
        | Entry::GrantLapsed { .. } => Some("expired"),
        _ => None,
    }
}

/// The notice consent was given under.
#[derive(Serialize)]
pub(crate) struct Notice<'a> {
    /// The privacy policy's address, when the app gives it.
    pub url: Option<&'a str>,
    /// The policy revision agreed to as a whole (when the app asks for agreement).
    pub policy_revision: Option<u32>,
    /// The revision of this feature's terms the decision was made under.
    pub terms_revision: u32,
    pub language: &'a str,
}

/// How long records are kept.
#[derive(Serialize)]
pub(crate) struct Retention {
    /// Days use history is kept (`None`: until the person erases it).
    pub use_history_days: Option<u32>,
    pub decisions: &'static str,
}

/// One feature's consent record.
#[derive(Serialize)]
pub(crate) struct ConsentRecord<'a> {
    pub schema_version: &'static str,
    pub record_id: Option<String>,
    /// Pseudonymous, for this install's chain of records: never a device or account id.
    /// `None` when the install's id is not known (its texts file is gone).
    pub pii_principal_id: Option<&'a str>,
    pub app_id: &'a str,
    /// `None`: the app declares no controller.
    pub controller: Option<&'a Controller>,
    pub notice: Notice<'a>,
    pub feature: Feature,
    /// The feature's name in the app's words.
    pub feature_name: &'a str,
    /// What the consent covers now: the purposes granted (none unless granted and counting).
    pub purposes: Vec<&'a str>,
    /// The granted purposes with the app's "why" for each.
    pub purposes_granted: Vec<PurposeText>,
    /// Single uses given on top of a standing grant, not yet used.
    pub single_use_purposes: &'a [String],
    /// What the app declares the feature is used for.
    pub declared_purposes: &'a [String],
    pub pii_categories: &'a [String],
    pub status: ConsentStatus,
    /// What the deciding record was: `given`, `refused`, `withdrawn`, `expired` (the terms
    /// widened, a single use used or lapsed), or `voided` (given, and no longer counting: a
    /// minor's own grant, a policy no longer agreed). Absent when nothing was decided, or when
    /// the record was cut off into the base (which keeps the decision, not its kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'static str>,
    /// When the deciding record was made.
    pub decided_at: Option<String>,
    #[serde(skip)]
    pub decided_at_ms: Option<i64>,
    /// Who made it (the event's actor).
    pub actor: Option<Actor>,
    pub scope: Option<GrantScope>,
    /// `once` or `until_withdrawn`, for a consent that counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<&'static str>,
    /// Whether the rules let this consent count now (I6).
    pub counts: bool,
    /// The app's words for this feature (its "why"s, PII categories) or the notice changed
    /// after this decision: the person did not decide on the words this record shows.
    pub words_changed_since_decision: bool,
    /// Why a grant does not count now (`guardian_required`, `policy_not_agreed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_counting: Option<&'static str>,
    pub terms_revision: u32,
    pub current_terms_revision: u32,
    pub os_permission: OsPermission,
    pub jurisdiction: Option<&'a str>,
    pub collection_method: &'a str,
    /// The SDKs that may start now and need this feature: who receives what it collects.
    pub recipients: Vec<&'a SdkPolicy>,
    pub storage_location: &'static str,
    pub retention: Retention,
    /// How to withdraw, in the app's words.
    pub how_to_withdraw: &'a str,
    /// Where `record_id`'s record is: `log`, or — cut off by retention — the log's `base`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_in: Option<&'static str>,
}

/// What records are built from: the state, the app's texts, the kinds of the deciding
/// records still in the log, and where retention cut it.
pub(crate) struct Records<'a> {
    view: &'a StateView,
    texts: &'a StoreTexts,
    events: &'a Events,
    /// Records up to here were cut off into the base (0: none).
    cut_through: u64,
    principal: Option<String>,
}

impl<'a> Records<'a> {
    pub fn new(
        view: &'a StateView,
        texts: &'a StoreTexts,
        events: &'a Events,
        reader: &LogReader,
    ) -> Records<'a> {
        Records {
            view,
            texts,
            events,
            cut_through: reader.cut().map_or(0, |(seq, _)| seq),
            principal: principal_id(view, texts),
        }
    }

    /// One record per feature, in [`Feature::ALL`] order.
    pub fn all(&'a self) -> Vec<ConsentRecord<'a>> {
        self.view
            .states
            .iter()
            .zip(&self.view.decisions)
            .map(|(state, &seq)| {
                self.record(state, seq, state.not_in_force.map(NotInForce::as_str))
            })
            .collect()
    }

    fn record(
        &'a self,
        s: &'a FeatureState,
        decision_seq: u64,
        not_counting: Option<&'static str>,
    ) -> ConsentRecord<'a> {
        let (view, texts) = (self.view, self.texts);
        let words = texts.feature(s.feature);
        let language = texts.language();
        // A damaged store answers off to everything: nothing in it counts (I6).
        let counts =
            s.status == ConsentStatus::Granted && not_counting.is_none() && view.damage.is_none();
        let purposes: Vec<&str> = match counts {
            true => s.granted_purposes.iter().map(String::as_str).collect(),
            false => Vec::new(),
        };
        // A single use used up or lapsed, with nothing decided since: that record is the last
        // event, and the consent has expired.
        let ended = match (decision_seq, s.status) {
            (0, ConsentStatus::NotAsked) => self.events.ended[s.feature.index()],
            _ => None,
        };
        let decision_seq = ended.map_or(decision_seq, |(seq, _)| seq);
        let event = match (ended, s.status) {
            (Some(_), _) | (None, ConsentStatus::NeedsReconsent) => Some("expired"),
            // A grant cut off into the base was a consent given, whatever else was cut.
            _ => self
                .events
                .by_seq
                .get(&decision_seq)
                .copied()
                .or((decision_seq > 0 && s.status == ConsentStatus::Granted).then_some("given")),
        };
        ConsentRecord {
            schema_version: RECORD_SCHEMA,
            record_id: (decision_seq > 0).then(|| record_id(view, s.feature, decision_seq)),
            pii_principal_id: self.principal.as_deref(),
            app_id: &view.app_id,
            controller: texts.controller.as_ref(),
            notice: Notice {
                url: texts.policy_url.as_deref(),
                policy_revision: view.policy.revision,
                terms_revision: s.decided_terms_revision,
                language: &texts.policy_language,
            },
            feature: s.feature,
            feature_name: words.name(language),
            purposes_granted: purposes
                .iter()
                .map(|p| PurposeText {
                    purpose: p.to_string(),
                    description: words.why(p, language).to_string(),
                })
                .collect(),
            purposes,
            single_use_purposes: match counts {
                true => &s.single_use_purposes,
                false => &[],
            },
            declared_purposes: &s.purposes,
            pii_categories: &words.pii_categories,
            status: s.status,
            event: match (event, not_counting) {
                (Some("given"), Some(_)) if s.status == ConsentStatus::Granted => Some("voided"),
                _ => event,
            },
            decided_at: ended.map(|(_, at)| at).or(s.decided_at_ms).map(iso8601),
            decided_at_ms: s.decided_at_ms,
            actor: s.decided_by,
            scope: s.scope,
            validity: counts.then_some(match s.scope {
                Some(GrantScope::Once) => "once",
                _ => "until_withdrawn",
            }),
            counts,
            words_changed_since_decision: decision_seq > 0
                && texts.changed_since(s.feature, view.chain, decision_seq),
            not_counting,
            terms_revision: s.decided_terms_revision,
            current_terms_revision: s.terms_revision,
            os_permission: s.os_permission,
            jurisdiction: texts.jurisdiction.as_deref(),
            collection_method: &texts.collection_method,
            recipients: view
                .sdks
                .iter()
                .filter(|e| e.status.may_start && e.sdk.requires.contains(&s.feature))
                .map(|e| &e.sdk)
                .collect(),
            storage_location: STORAGE_LOCATION,
            retention: Retention {
                use_history_days: (texts.retention_days > 0).then_some(texts.retention_days),
                decisions: "kept while in force, and until the person erases them",
            },
            how_to_withdraw: &words.how_to_withdraw,
            recorded_in: (decision_seq > 0).then_some(match decision_seq <= self.cut_through {
                true => "base",
                false => "log",
            }),
        }
    }
}

/// `app/chain/feature/seq`: names the deciding record in this store's log (or its base).
fn record_id(view: &StateView, feature: Feature, seq: u64) -> String {
    format!("{}/{}/{}/{seq}", view.app_id, view.chain, feature.as_str())
}

/// An RFC 9562 version-8 UUID derived from `parts` under `domain`: the same inputs always
/// give the same identifier, and nothing about the device is in them.
pub(crate) fn derived_uuid(domain: &[u8], parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let bytes: [u8; 16] = hasher.finalize()[..16].try_into().expect("16 bytes");
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The person's pseudonymous id in this store's records: derived from the install's random id
/// (kept with the app's texts beside the log) and the log's chain, so it is the same in every
/// export of a chain, unique to the install, and a new one after the person erases
/// everything. No device, advertising or account identifier goes in. `None` when the
/// install's id is not known: a tool reading a store whose texts file is gone.
pub(crate) fn principal_id(view: &StateView, texts: &StoreTexts) -> Option<String> {
    let install = texts.install_id.as_ref()?;
    Some(derived_uuid(
        b"consentkit/principal/2",
        &[install.as_bytes(), &view.chain.to_le_bytes()],
    ))
}
