//! The app's configuration: what it declares about each feature, checked and completed with defaults before a store opens.

use std::sync::Arc;

use crate::advice::DEFAULT_REPROMPT_AFTER_MS;
use crate::age::{age_of_digital_consent, is_valid_jurisdiction, MAX_AGE};
use crate::clock::{Clock, SystemClock};
use crate::log::{IoFaults, Sealer};
use crate::model::{is_valid_app_id, purpose_problem, Feature};
use crate::notice::{Controller, PurposeText};
use crate::sdk::{SdkPolicy, MAX_SDKS};
use crate::store_texts::StoreTexts;
use crate::terms::{AppTerms, FeatureTerms};

/// Most purposes one feature may declare.
pub const MAX_PURPOSES: usize = 16;

/// What a feature may be used for, under which revision of its terms, and how a person
/// withdraws consent in this app.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FeaturePolicy {
    /// The feature this policy governs.
    pub feature: Feature,
    /// Declared purposes, each `[a-z0-9_]{1,64}`, at least one, no repeats; any other purpose is refused.
    pub purposes: Vec<String>,
    /// Revision of the terms this feature's consent is given under, from 1. Changing it asks again.
    pub terms_revision: u32,
    /// How a person withdraws consent for this feature in this app, in the app's own words and
    /// language (exports and Settings screens show it). A built-in English sentence when unset.
    #[uniffi(default = None)]
    pub how_to_withdraw: Option<String>,
    /// Used only while a session of this other feature is open (motion sensors while the
    /// camera shoots): a use is refused otherwise, and ending that feature's last session
    /// ends this one's. The built-in motion-sensor policy depends on the camera.
    #[uniffi(default = None)]
    pub only_during: Option<Feature>,
    /// The feature's name in the app's words and language ("相机"); a built-in English name
    /// when unset. Screens, the report and consent records show it.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// Why the app uses the feature for each purpose, in its own words: the "why" prompts,
    /// Settings, the report and consent records show. Each names a declared purpose; a purpose
    /// left out is shown by its id.
    #[uniffi(default = [])]
    pub purpose_texts: Vec<PurposeText>,
    /// The kinds of personal data a use collects ("Photos and videos taken with the camera"),
    /// for consent records; the built-in ones (`default_pii_categories`) when empty.
    #[uniffi(default = [])]
    pub pii_categories: Vec<String>,
}

impl FeaturePolicy {
    /// The built-in policy of a feature: its default purposes under terms revision 1.
    pub fn default_for(feature: Feature) -> FeaturePolicy {
        FeaturePolicy {
            feature,
            purposes: FeatureTerms::default_for(feature).purposes,
            terms_revision: 1,
            how_to_withdraw: None,
            only_during: feature.default_only_during(),
            name: None,
            purpose_texts: Vec::new(),
            pii_categories: Vec::new(),
        }
    }
}

/// The app's consent configuration, passed each time the store is opened. Everything left out
/// gets a default.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ConsentConfig {
    /// The app's bundle id / application id; a store belongs to exactly one app.
    pub app_id: String,
    /// Per-feature policies; a feature left out gets [`FeaturePolicy::default_for`].
    #[uniffi(default = [])]
    pub features: Vec<FeaturePolicy>,
    /// The privacy policy's revision, from 1, when the app must have its policy agreed to as a
    /// whole before anything else (as Chinese apps must): until the current revision is agreed
    /// to, the app is in basic mode. `None` (the GDPR asks for consent per purpose, not to a
    /// notice): the per-feature rules alone apply.
    #[uniffi(default = None)]
    pub policy_revision: Option<u32>,
    /// The third-party SDKs the app embeds, for the SDK gate and catalogue.
    #[uniffi(default = [])]
    pub sdks: Vec<SdkPolicy>,
    /// Where the app's users are, as an ISO 3166 code (`CN`, `DE`, `US-CA`): selects the age
    /// of digital consent (see `age_of_digital_consent`).
    #[uniffi(default = None)]
    pub jurisdiction: Option<String>,
    /// Overrides the age of digital consent the jurisdiction gives.
    #[uniffi(default = None)]
    pub age_of_digital_consent: Option<u32>,
    /// Treat a person whose age is unknown (no age signal yet) as a minor. Off by default: an
    /// app for a general audience treats people as adults until a signal says otherwise.
    #[uniffi(default = false)]
    pub unknown_age_is_minor: bool,
    /// After a person says no, `prompt_advice` advises not asking again for this long (48
    /// hours by default, following Chinese app-store guidance against repeated requests; 0
    /// turns the quiet period off).
    #[uniffi(default = 172800000)]
    pub reprompt_after_ms: u64,
    /// Use history (sessions begun, ended, refused) older than this many days is removed on
    /// open and by `compact()`; decisions still in force are kept as proof of consent. 180
    /// days by default; 0 keeps everything.
    #[uniffi(default = 180)]
    pub retention_days: u32,
    /// Who is responsible for the person's data: every consent record and receipt names it.
    /// Unset, records say no controller was declared, and receipts cannot be made.
    #[uniffi(default = None)]
    pub controller: Option<Controller>,
    /// Where the privacy policy is published (`https://…`): the notice consent is given under.
    #[uniffi(default = None)]
    pub policy_url: Option<String>,
    /// The language of the policy and of the app's texts, as a BCP 47 tag (`en`, `zh-Hans`);
    /// `en` when unset.
    #[uniffi(default = None)]
    pub policy_language: Option<String>,
    /// How consent is collected, for consent records ("In-app consent prompt" when unset).
    #[uniffi(default = None)]
    pub collection_method: Option<String>,
}

impl ConsentConfig {
    /// A config with the built-in policy for every feature.
    pub fn new(app_id: impl Into<String>) -> ConsentConfig {
        ConsentConfig {
            app_id: app_id.into(),
            features: Vec::new(),
            policy_revision: None,
            sdks: Vec::new(),
            jurisdiction: None,
            age_of_digital_consent: None,
            unknown_age_is_minor: false,
            reprompt_after_ms: DEFAULT_REPROMPT_AFTER_MS,
            retention_days: DEFAULT_RETENTION_DAYS,
            controller: None,
            policy_url: None,
            policy_language: None,
            collection_method: None,
        }
    }

    /// Names the controller, the policy's address and its language.
    pub fn with_notice(
        mut self,
        controller: Controller,
        policy_url: impl Into<String>,
        policy_language: impl Into<String>,
    ) -> ConsentConfig {
        self.controller = Some(controller);
        self.policy_url = Some(policy_url.into());
        self.policy_language = Some(policy_language.into());
        self
    }

    /// Asks for agreement to the privacy policy's revision `revision` before anything else.
    pub fn with_policy_revision(mut self, revision: u32) -> ConsentConfig {
        self.policy_revision = Some(revision);
        self
    }

    /// Declares (or replaces) a third-party SDK.
    pub fn with_sdk(mut self, sdk: SdkPolicy) -> ConsentConfig {
        self.sdks.retain(|s| s.id != sdk.id);
        self.sdks.push(sdk);
        self
    }

    /// Replaces (or adds) the policy of one feature.
    pub fn with_policy(mut self, policy: FeaturePolicy) -> ConsentConfig {
        self.features.retain(|p| p.feature != policy.feature);
        self.features.push(policy);
        self
    }
}

/// The most the app's terms may take in the log's record (the rest of a record's room is for
/// what the record says beside them).
const MAX_APP_TERMS_BYTES: usize = crate::log::MAX_PAYLOAD - 512;

/// Use history is kept this long by default: half a year.
pub const DEFAULT_RETENTION_DAYS: u32 = 180;

/// Records between checkpoints: bounds the tail replayed on open.
pub(crate) const DEFAULT_CHECKPOINT_EVERY: u64 = 1024;

/// How a store runs, for Rust callers and tests; apps use `open` / `open_in_memory`.
#[derive(Clone)]
pub struct StoreOptions {
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Records between checkpoints (bounds the replay on open).
    pub checkpoint_every: u64,
    /// Tests only: told of every change to the disk, and may fail any of them.
    pub io_faults: Option<Arc<dyn IoFaults>>,
    /// Seals the log with a key the platform holds (see [`Sealer`]).
    pub sealer: Option<Arc<dyn Sealer>>,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            clock: Arc::new(SystemClock::default()),
            checkpoint_every: DEFAULT_CHECKPOINT_EVERY,
            io_faults: None,
            sealer: None,
        }
    }
}

/// The built-in policies of all six features, for apps that want to start from them.
#[uniffi::export]
pub fn default_policies() -> Vec<FeaturePolicy> {
    Feature::ALL
        .into_iter()
        .map(FeaturePolicy::default_for)
        .collect()
}

/// A config that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ConfigError(pub String);

/// A checked config with every default filled in, in [`Feature::ALL`] order.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub app_id: String,
    /// The app's terms; `None` for tools that open a store as it is, with its stored terms.
    pub terms: Option<Vec<FeatureTerms>>,
    /// The app's terms as a whole; `None` likewise.
    pub app_terms: Option<AppTerms>,
    /// The app's words: kept beside the log, and read back from there by tools that open the
    /// store without the config.
    pub texts: StoreTexts,
    pub reprompt_after_ms: u64,
    /// 0: keep everything.
    pub retention_days: u32,
}

impl Resolved {
    /// A store opened as it is, keeping its stored terms, with the built-in texts.
    pub fn as_stored(app_id: &str) -> Resolved {
        Resolved {
            app_id: app_id.to_string(),
            terms: None,
            app_terms: None,
            texts: StoreTexts::builtin(),
            reprompt_after_ms: DEFAULT_REPROMPT_AFTER_MS,
            retention_days: 0,
        }
    }
}

/// Checks the app's config and fills in built-in policies.
pub(crate) fn resolve(config: &ConsentConfig) -> Result<Resolved, ConfigError> {
    let bad = |why: String| Err(ConfigError(why));
    if !is_valid_app_id(&config.app_id) {
        return bad("app_id must be 1 to 255 characters of [A-Za-z0-9._-]".into());
    }
    let mut resolved = Resolved::as_stored(&config.app_id);
    let mut terms: Vec<FeatureTerms> = Feature::ALL
        .into_iter()
        .map(FeatureTerms::default_for)
        .collect();
    let mut seen = [false; Feature::ALL.len()];
    for policy in &config.features {
        let feature = policy.feature;
        let name = feature.as_str();
        if std::mem::replace(&mut seen[feature.index()], true) {
            return bad(format!("{name} has two policies"));
        }
        if policy.purposes.is_empty() {
            return bad(format!(
                "{name} declares no purpose: declare at least one, or leave the feature out to use its built-in policy"
            ));
        }
        if policy.purposes.len() > MAX_PURPOSES {
            return bad(format!("{name} declares more than {MAX_PURPOSES} purposes"));
        }
        for (i, purpose) in policy.purposes.iter().enumerate() {
            if let Some(problem) = purpose_problem(purpose) {
                let shown: String = purpose.chars().take(80).collect();
                return bad(format!("{name}: purpose {shown:?}: {problem}"));
            }
            if policy.purposes[..i].contains(purpose) {
                return bad(format!("{name} declares purpose {purpose:?} twice"));
            }
        }
        // 0 is what a never-decided feature records: a policy revision starts at 1.
        if policy.terms_revision == 0 {
            return bad(format!("{name}: terms revisions start at 1"));
        }
        // The texts are checked with the rest of the app's words, below.
        let texts = &mut resolved.texts.features[feature.index()];
        if let Some(text) = &policy.how_to_withdraw {
            texts.how_to_withdraw = text.clone();
        }
        texts.name = policy.name.clone();
        for text in &policy.purpose_texts {
            if !policy.purposes.contains(&text.purpose) {
                let shown: String = text.purpose.chars().take(80).collect();
                return bad(format!(
                    "{name}: a text for purpose {shown:?}, which it does not declare"
                ));
            }
        }
        texts.purposes = policy.purpose_texts.clone();
        if !policy.pii_categories.is_empty() {
            texts.pii_categories = policy.pii_categories.clone();
        }
        if let Some(during) = policy.only_during {
            if during == feature {
                return bad(format!("{name} cannot be used only during its own use"));
            }
        }
        terms[feature.index()] = FeatureTerms {
            purposes: policy.purposes.clone(),
            terms_revision: policy.terms_revision,
            only_during: policy.only_during,
        };
    }
    // One level only: a feature another depends on may not depend on a third itself.
    for (feature, t) in Feature::ALL.into_iter().zip(&terms) {
        if let Some(during) = t.only_during {
            if terms[during.index()].only_during.is_some() {
                return bad(format!(
                    "{} is only used during {}, which itself is only used during another feature: one level of dependency at most",
                    feature.as_str(),
                    during.as_str()
                ));
            }
        }
    }
    resolved.terms = Some(terms);
    resolved.app_terms = Some(resolve_app_terms(config)?);
    let texts = &mut resolved.texts;
    texts.sdks = config.sdks.clone();
    texts.controller = config.controller.clone();
    texts.policy_url = config.policy_url.clone();
    if let Some(language) = &config.policy_language {
        texts.policy_language = language.clone();
    }
    if let Some(method) = &config.collection_method {
        texts.collection_method = method.clone();
    }
    texts.jurisdiction = config.jurisdiction.clone();
    texts.retention_days = config.retention_days;
    if let Some(problem) = texts.problem() {
        return bad(problem);
    }
    resolved.reprompt_after_ms = config.reprompt_after_ms;
    resolved.retention_days = config.retention_days;
    Ok(resolved)
}

/// The policy revision, the SDKs and the age of consent, checked.
fn resolve_app_terms(config: &ConsentConfig) -> Result<AppTerms, ConfigError> {
    let bad = |why: String| Err(ConfigError(why));
    if config.policy_revision == Some(0) {
        return bad(
            "policy_revision starts at 1 (leave it unset when no agreement is asked)".into(),
        );
    }
    if config.sdks.len() > MAX_SDKS {
        return bad(format!("at most {MAX_SDKS} SDKs may be declared"));
    }
    for (i, sdk) in config.sdks.iter().enumerate() {
        if let Some(problem) = sdk.problem() {
            return bad(problem);
        }
        if config.sdks[..i].iter().any(|s| s.id == sdk.id) {
            return bad(format!("SDK {} is declared twice", sdk.id));
        }
    }
    if let Some(code) = &config.jurisdiction {
        if !is_valid_jurisdiction(code) {
            let shown: String = code.chars().take(20).collect();
            return bad(format!(
                "jurisdiction {shown:?} is not an ISO 3166 code such as CN, DE or US-CA"
            ));
        }
    }
    let age_of_consent = match config.age_of_digital_consent {
        Some(age) if age == 0 || age > MAX_AGE => {
            return bad(format!("age_of_digital_consent must be 1 to {MAX_AGE}"))
        }
        Some(age) => age,
        None => age_of_digital_consent(config.jurisdiction.clone()),
    };
    let terms = AppTerms {
        policy_revision: config.policy_revision,
        sdks: config.sdks.iter().map(SdkPolicy::terms).collect(),
        age_of_consent,
        unknown_age_is_minor: config.unknown_age_is_minor,
    };
    // The terms are one record of the log: a catalogue too large for one is refused here, with
    // the reason, rather than at the write.
    let size = postcard::to_allocvec(&terms).map_or(usize::MAX, |bytes| bytes.len());
    if size > MAX_APP_TERMS_BYTES {
        return bad(format!(
            "the SDK catalogue takes {size} bytes of the log's record, which holds {MAX_APP_TERMS_BYTES}: declare fewer SDKs, or fewer items of data collected"
        ));
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::MAX_TEXT_LEN;

    fn with(policy: FeaturePolicy) -> Result<Resolved, ConfigError> {
        resolve(&ConsentConfig::new("com.example").with_policy(policy))
    }

    fn camera(purposes: &[&str], terms_revision: u32) -> FeaturePolicy {
        FeaturePolicy {
            feature: Feature::Camera,
            purposes: purposes.iter().map(|p| p.to_string()).collect(),
            terms_revision,
            how_to_withdraw: None,
            only_during: None,
            name: None,
            purpose_texts: Vec::new(),
            pii_categories: Vec::new(),
        }
    }

    #[test]
    fn features_left_out_get_their_built_in_policy() {
        let resolved = with(camera(&["scan_code"], 3)).unwrap();
        let terms = resolved.terms.as_ref().unwrap();
        assert_eq!(terms[0].purposes, ["scan_code"]);
        assert_eq!(terms[0].terms_revision, 3);
        assert_eq!(
            terms[Feature::Microphone.index()],
            FeatureTerms::default_for(Feature::Microphone)
        );
        assert!(resolved
            .texts
            .feature(Feature::Camera)
            .how_to_withdraw
            .contains("Settings › Privacy › Camera:"));
    }

    #[test]
    fn doubtful_policies_are_refused_with_the_reason() {
        let refused = |p: FeaturePolicy| with(p).unwrap_err().0;
        assert!(refused(camera(&[], 1)).contains("no purpose"));
        assert!(refused(camera(&["a", "a"], 1)).contains("twice"));
        assert!(refused(camera(&["a"], 0)).contains("start at 1"));
        assert!(refused(camera(&["Shoot"], 1)).contains("capital letters"));
        let mut long_text = camera(&["a"], 1);
        long_text.how_to_withdraw = Some("x".repeat(MAX_TEXT_LEN + 1));
        assert!(refused(long_text).contains("how_to_withdraw"));
    }

    #[test]
    fn the_app_words_how_to_withdraw() {
        let mut policy = camera(&["shoot_photo"], 1);
        policy.how_to_withdraw = Some("我的 › 隐私设置 › 相机：关闭".into());
        let resolved = with(policy).unwrap();
        assert_eq!(
            resolved.texts.feature(Feature::Camera).how_to_withdraw,
            "我的 › 隐私设置 › 相机：关闭"
        );
    }
}
