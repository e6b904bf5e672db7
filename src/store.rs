//! `ConsentStore`, the exported facade: every exported method of the store is here, each a short delegation to the engine, a rules verb, a report or an export.
//!
//! Over 400 lines because the public surface is: one short, documented delegation per exported method, and no logic of its own.

use std::path::Path;
use std::sync::Arc;

use crate::ads::AdSignals;
use crate::advice::PromptAdvice;
use crate::age::AgeSignal;
use crate::audit::{AuditEntry, AuditFilter};
use crate::config::{ConsentConfig, StoreOptions};
use crate::engine::{Engine, HeadCheck, LogHead};
use crate::error::ConsentError;
use crate::export;
use crate::kinds::RecoveryNotice;
use crate::language::Language;
use crate::log::Sealer;
use crate::model::{Actor, Feature, FeatureState, GrantScope, OsPermission};
use crate::observer::{ConsentObserver, Subscription};
use crate::policy::PolicyState;
use crate::receipt;
use crate::report::{self, PrivacyReport, VerifyReport};
use crate::report_html;
use crate::rules::{Decision, Now, State};
use crate::sdk::{SdkCatalogEntry, SdkStatus};
use crate::session::UseSession;

/// The consent store of one app: decisions, use sessions, and the audit log that proves them.
///
/// Safe to share across threads. Every change is on disk before the call returns.
#[derive(uniffi::Object)]
pub struct ConsentStore {
    pub(crate) engine: Arc<Engine>,
}

#[uniffi::export]
impl ConsentStore {
    /// Opens (or creates) the durable store in `dir`, a directory the app owns.
    #[uniffi::constructor]
    pub fn open(dir: String, config: ConsentConfig) -> Result<Arc<ConsentStore>, ConsentError> {
        ConsentStore::open_with(Path::new(&dir), Some(config), StoreOptions::default())
    }

    /// `open`, with the log sealed by a key the platform holds: a seal at every checkpoint
    /// and on close, checked on open (with the anchor the sealer keeps beside the key) and by
    /// `verify()`. Edits, cuts and restored old copies are then damage, kept aside.
    #[uniffi::constructor]
    pub fn open_sealed(
        dir: String,
        config: ConsentConfig,
        sealer: Arc<dyn Sealer>,
    ) -> Result<Arc<ConsentStore>, ConsentError> {
        let options = StoreOptions {
            sealer: Some(sealer),
            ..StoreOptions::default()
        };
        ConsentStore::open_with(Path::new(&dir), Some(config), options)
    }

    /// A store that keeps everything in memory, for previews and tests.
    #[uniffi::constructor]
    pub fn open_in_memory(config: ConsentConfig) -> Result<Arc<ConsentStore>, ConsentError> {
        ConsentStore::open_in_memory_with(config, StoreOptions::default())
    }

    /// Opens an existing store to inspect it (a support screen, a QA tool): reads what is on
    /// disk up to the last complete record, writes nothing and takes no lock, so it works
    /// while the app holds the store and on a read-only filesystem. Every feature reads off;
    /// changing anything is `NotPermitted`; damage is reported, not kept aside.
    #[uniffi::constructor]
    pub fn open_read_only(dir: String) -> Result<Arc<ConsentStore>, ConsentError> {
        ConsentStore::open_read_only_with(Path::new(&dir), StoreOptions::default())
    }

    /// Where agreement to the privacy policy stands, and whether the app is in basic mode.
    pub fn policy_state(&self) -> PolicyState {
        self.engine.policy_state()
    }

    /// A person agrees to the current revision of the privacy policy (in the first-launch
    /// dialog, or after a new revision). `Actor::App` is refused. Agreeing turns no feature
    /// on by itself; it ends basic mode, so features can be asked for and SDKs may start.
    pub fn agree_to_policy(&self, actor: Actor) -> Result<(), ConsentError> {
        self.decide(|state, _| state.agree_to_policy(actor))
    }

    /// A person (or the app) declines the current revision: basic mode, and every open use
    /// session ends at once. Per-feature decisions are kept, unusable, until it is agreed to.
    pub fn decline_policy(&self, actor: Actor) -> Result<(), ConsentError> {
        self.decide(|state, now| state.decline_policy(actor, now))
    }

    /// The state of one feature.
    pub fn state(&self, feature: Feature) -> FeatureState {
        self.engine.feature_state(feature)
    }

    /// The state of every feature, in [`Feature::ALL`] order.
    pub fn states(&self) -> Vec<FeatureState> {
        self.engine.states()
    }

    /// A person grants a feature, for all its declared purposes. `Actor::App` is refused:
    /// only people open doors. Granting it again the same way changes nothing.
    pub fn grant(
        &self,
        feature: Feature,
        scope: GrantScope,
        actor: Actor,
    ) -> Result<(), ConsentError> {
        self.decide(|state, _| state.grant(feature, scope, actor))
    }

    /// A person grants a feature for some of its declared purposes only (the clipboard for
    /// `login`, not for `channel_stats`); added to what a standing grant of the same scope
    /// already covers. A use for a purpose not covered answers `ConsentRequired` naming it.
    pub fn grant_purposes(
        &self,
        feature: Feature,
        purposes: Vec<String>,
        scope: GrantScope,
        actor: Actor,
    ) -> Result<(), ConsentError> {
        self.decide(|state, _| state.grant_purposes(feature, &purposes, scope, actor))
    }

    /// Denies a feature and ends its open sessions. Denying a denied feature changes nothing.
    pub fn deny(&self, feature: Feature, actor: Actor) -> Result<(), ConsentError> {
        self.decide(|state, now| state.deny(feature, actor, now))
    }

    /// Withdraws consent: ends the feature's open sessions at once and tells observers. A
    /// feature never granted (or already denied) has nothing to withdraw: nothing changes.
    pub fn revoke(&self, feature: Feature, actor: Actor) -> Result<(), ConsentError> {
        self.decide(|state, now| state.revoke(feature, actor, now))
    }

    /// Opens a use session at the moment the person invokes the feature, or says why not.
    /// Refusals are logged too.
    pub fn begin_use(
        &self,
        feature: Feature,
        purpose: String,
    ) -> Result<Arc<UseSession>, ConsentError> {
        let (id, word) = self
            .engine
            .open_session(|state, _| state.begin_use(feature, &purpose))?;
        Ok(Arc::new(UseSession::new(
            self.engine.clone(),
            id,
            word,
            feature,
            purpose,
        )))
    }

    /// For the Kotlin and Swift layers' `isAllowed`: a counted reference to the store's
    /// allowed-features bits, read with the C function `consentkit_hot_word` (one atomic
    /// load, no UniFFI call) and released once with `consentkit_hot_word_release`. It
    /// stays valid after the store is closed (reading all off). Apps call `isAllowed`.
    pub fn hot_read_handle(&self) -> u64 {
        self.engine.hot_read_handle()
    }

    /// Records what the OS says; `Denied` ends the feature's sessions. `Limited` applies
    /// only to the photo library.
    pub fn set_os_permission(
        &self,
        feature: Feature,
        permission: OsPermission,
    ) -> Result<(), ConsentError> {
        self.decide(|state, now| state.set_os_permission(feature, permission, now))
    }

    /// The app moved to the foreground (`true`) or background (`false`). Background ends
    /// camera, microphone, clipboard and motion-sensor sessions, and unused single-use grants
    /// lapse.
    pub fn set_foreground(&self, foreground: bool) -> Result<(), ConsentError> {
        self.decide(|state, now| state.set_foreground(foreground, now))
    }

    /// The app reports how old the person is, as a range and its source (never a birth
    /// date). Below the age of digital consent for the app's jurisdiction, ads are never
    /// personalised and SDKs not for minors do not start.
    pub fn set_age_signal(&self, signal: AgeSignal) -> Result<(), ConsentError> {
        self.decide(|state, now| state.set_age_signal(signal, now))
    }

    /// The age signal last reported, if any.
    pub fn age_signal(&self) -> Option<AgeSignal> {
        self.engine.age_signal()
    }

    /// Whether the SDK `id` may start now, and why not.
    pub fn sdk_status(&self, id: String) -> SdkStatus {
        self.engine.sdk_status(&id)
    }

    /// Call right before starting the SDK `id`: recorded when it may start; refused with the
    /// reason (and the refusal recorded) when it may not — then do not start it.
    pub fn sdk_started(&self, id: String) -> Result<(), ConsentError> {
        self.decide(|state, _| state.sdk_started(&id))
    }

    /// Every declared SDK with its status and first start, for a Settings › Privacy ›
    /// Third-party SDKs screen.
    pub fn sdk_catalog(&self) -> Vec<SdkCatalogEntry> {
        self.engine.sdk_catalog()
    }

    /// What ad and analytics SDKs are told now (Google Consent Mode v2), derived from the
    /// policy, the ad-personalisation choice and the age signal.
    pub fn ad_signals(&self) -> AdSignals {
        self.engine.ad_signals()
    }

    /// Whether to show the feature's prompt now (rule 8): `Ask` (or `AskGuardian` for a
    /// minor); `NotNow` for the quiet period after a person said no (`reprompt_after_ms`);
    /// `OpenSettings` when the OS will not show its dialog again; `NoNeed` when granted;
    /// `AgreeToPolicyFirst` in basic mode. `begin_use` still decides; this says whether to ask.
    pub fn prompt_advice(&self, feature: Feature) -> PromptAdvice {
        self.engine.prompt_advice(feature)
    }

    /// Whether to show the privacy-policy dialog now: after a decline, not again during the
    /// quiet period.
    pub fn policy_prompt_advice(&self) -> PromptAdvice {
        self.engine.policy_prompt_advice()
    }

    /// Registers an observer until the returned subscription is cancelled or dropped.
    pub fn subscribe(&self, observer: Arc<dyn ConsentObserver>) -> Arc<Subscription> {
        Arc::new(self.engine.subscribe(observer))
    }

    /// Why the store restarted its log after finding damage, if it did since the last erase
    /// (opened read-only: the damage found, left in place).
    pub fn recovery_notice(&self) -> Option<RecoveryNotice> {
        self.engine.recovery_notice()
    }

    /// Damage an inspector (`open_read_only`) found and left in place: where and why. The
    /// store then answers off to everything, and its states, policy, log and exports are what
    /// the records before the damage say. `None` for a store opened for writing, which keeps
    /// damage aside and starts a new chain (`recovery_notice`).
    pub fn damage(&self) -> Option<RecoveryNotice> {
        self.engine.damage()
    }

    /// Why the store stopped writing (a full disk, a failed write), if it did: every feature
    /// is off until the store is reopened.
    pub fn storage_failure(&self) -> Option<String> {
        self.engine.failure()
    }

    /// The right to deletion: ends open sessions, removes all history (and damaged copies
    /// kept aside) and starts a new log with an erasure record, everything off.
    pub fn erase_all(&self) -> Result<(), ConsentError> {
        Ok(self
            .engine
            .restart(crate::engine::ChainStart::Erase)
            .map(|_| ())?)
    }

    /// Retention now: removes the use history older than `ConsentConfig.retention_days`
    /// (opening does it too, once there is enough to remove). Decisions still in force stay
    /// as proof of consent, and the chain still verifies from its new start, which names the
    /// last record removed. Returns how many records were removed.
    pub fn compact(&self) -> Result<u64, ConsentError> {
        Ok(self.engine.compact()?)
    }

    /// The first record the log still holds: 1, unless retention cut older history off.
    pub fn history_start_seq(&self) -> u64 {
        self.engine
            .reader()
            .map_or(1, |(reader, _)| reader.first_seq())
    }

    /// Log records matching `filter`, newest first.
    pub fn audit_log(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>, ConsentError> {
        Ok(report::audit_log(&self.engine.reader()?.0, &filter)?)
    }

    /// Per feature: uses, time in use, last use, refusals and uses that needed consent in
    /// `[since_ms, until_ms)`, with the current status. A window that ends before it begins
    /// is refused (`InvalidArgument`).
    pub fn privacy_report(
        &self,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<PrivacyReport, ConsentError> {
        if since_ms > until_ms {
            return Err(ConsentError::InvalidArgument {
                reason: "the report's window ends before it begins".into(),
            });
        }
        let (reader, _) = self.engine.reader()?;
        Ok(report::privacy_report(
            &reader,
            &self.engine.view(),
            since_ms,
            until_ms,
        )?)
    }

    /// The privacy report between `since_ms` and `until_ms` as one self-contained HTML page in
    /// `language` (see `language_for_tag`), with the app's names and "why"s: a card per
    /// feature, a timeline that scrolls inside itself on a phone, and every use listed by
    /// time. Nothing in it is fetched from anywhere. Show it in a browser or save it; it says
    /// what the person used and when, so keep it private.
    pub fn privacy_report_html(
        &self,
        since_ms: i64,
        until_ms: i64,
        language: Language,
    ) -> Result<String, ConsentError> {
        let report = self.privacy_report(since_ms, until_ms)?;
        Ok(report_html::page(
            &self.engine.view(),
            &report,
            self.engine.texts(),
            language,
        ))
    }

    /// Checks the whole chain. Damage turns every feature off, keeps the files aside and
    /// starts a new chain that names them; the report says where and why.
    pub fn verify(&self) -> Result<VerifyReport, ConsentError> {
        let verification = self.engine.verify()?;
        Ok(report::verify_report(verification, self.head()))
    }

    /// The chain's last record, with its seal when the store has a sealer: keep it elsewhere
    /// (on the app's server) and `verify_extends` proves later that the log still holds it.
    pub fn head(&self) -> LogHead {
        self.engine.sealed_head()
    }

    /// Whether the log still holds `head` (from `head()`, saved earlier) unchanged: the same
    /// chain, the same record at its sequence number, and a seal made with this store's key.
    pub fn verify_extends(&self, head: LogHead) -> Result<HeadCheck, ConsentError> {
        Ok(self.engine.verify_extends(&head)?)
    }

    /// Everything the store holds about the person, machine-readable: one consent record per
    /// feature (with how to withdraw it) and the whole log. For the rights of access and
    /// portability.
    pub fn export_json(&self) -> Result<String, ConsentError> {
        let (reader, _) = self.engine.reader()?;
        let engine = &self.engine;
        Ok(export::json(
            &reader,
            &engine.view(),
            engine.sealed_head(),
            engine.texts(),
            engine.now_ms(),
        )?)
    }

    /// A Kantara Consent Receipt (v1.1) for every consent that counts now, as a JSON array:
    /// refused, withdrawn and voided consents get none. Receipts name the controller, the
    /// policy's address and the jurisdiction: without them in the app's config this fails
    /// with `InvalidArgument`, saying which is missing.
    pub fn export_kantara_receipts(&self) -> Result<String, ConsentError> {
        let (reader, _) = self.engine.reader()?;
        Ok(receipt::kantara(
            &reader,
            &self.engine.view(),
            self.engine.texts(),
        )?)
    }

    /// Use sessions as access intervals, one JSON object per line, in the shape of Apple's
    /// App Privacy Report (`intervalBegin` / `intervalEnd` pairs sharing an `identifier`).
    pub fn export_access_ndjson(&self) -> Result<String, ConsentError> {
        let (reader, _) = self.engine.reader()?;
        Ok(export::access_ndjson(
            &reader,
            &self.engine.view(),
            self.engine.texts(),
        )?)
    }
}

impl ConsentStore {
    /// True only while a use session of the feature is open, consent is granted and the OS
    /// permission is not denied. (Kotlin and Swift answer the same from the same bits,
    /// without a UniFFI call: see `hot_read_handle`.)
    pub fn is_allowed(&self, feature: Feature) -> bool {
        self.engine.is_allowed(feature)
    }

    /// Every feature's `is_allowed` at once, as bits (bit i: `Feature::ALL[i]`).
    pub(crate) fn allowed_bits(&self) -> u32 {
        self.engine.allowed_bits()
    }

    /// The id of the app the store belongs to.
    pub fn app_id(&self) -> String {
        self.engine.view().app_id
    }

    /// Opens a durable store with options. `config: None` opens the store as it is, with
    /// the terms stored in it (for tools that must not change them), and fails when there is
    /// none.
    pub fn open_with(
        dir: &Path,
        config: Option<ConsentConfig>,
        options: StoreOptions,
    ) -> Result<Arc<ConsentStore>, ConsentError> {
        let engine = Engine::open_dir(dir, config.as_ref(), &options)?;
        Ok(Arc::new(ConsentStore { engine }))
    }

    /// `open_read_only` with options.
    pub fn open_read_only_with(
        dir: &Path,
        options: StoreOptions,
    ) -> Result<Arc<ConsentStore>, ConsentError> {
        let engine = Engine::open_read_only(dir, &options)?;
        Ok(Arc::new(ConsentStore { engine }))
    }

    /// An in-memory store with options.
    pub fn open_in_memory_with(
        config: ConsentConfig,
        options: StoreOptions,
    ) -> Result<Arc<ConsentStore>, ConsentError> {
        let engine = Engine::open_memory(&config, &options)?;
        Ok(Arc::new(ConsentStore { engine }))
    }

    /// Ends open sessions (unused single-use grants lapse), then releases the directory;
    /// idempotent. Later calls fail with `Closed`. Dropping the store does the same, which is
    /// how Kotlin's `close()` / `use {}` and Swift's release close it.
    pub fn close(&self) -> Result<(), ConsentError> {
        Ok(self.engine.close()?)
    }

    /// Runs a rules verb through the one write path.
    fn decide(&self, verb: impl FnOnce(&State, Now) -> Decision) -> Result<(), ConsentError> {
        self.engine
            .decide(verb)
            .map(|_| ())
            .map_err(ConsentError::from)
    }
}

impl Drop for ConsentStore {
    fn drop(&mut self) {
        if let Err(e) = self.engine.close() {
            ::log::warn!("consentkit: closing the store on release failed: {e}");
        }
    }
}

impl std::fmt::Debug for ConsentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentStore")
            .field("head_seq", &self.engine.head().0)
            .finish_non_exhaustive()
    }
}
