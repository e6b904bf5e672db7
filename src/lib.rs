//! consentkit: per-feature consent for camera apps, enforced at the moment of use and proven
//! by a local, tamper-evident audit log.
//!
//! Data flows one way: the exported facade ([`ConsentStore`], `store`) delegates to the
//! `engine`, the one write path, which asks the pure `rules` what to record and hands the
//! records to the `log`, which knows nothing of the rules. `ARCHITECTURE.md` has the map.
#![deny(missing_docs)]

mod ads;
mod advice;
mod age;
mod audit;
mod clock;
mod config;
mod consent_record;
mod engine;
mod entry;
mod error;
mod export;
mod hot;
mod iso8601;
mod kinds;
mod language;
mod log;
mod model;
mod notice;
mod observer;
mod policy;
mod receipt;
mod report;
mod report_html;
mod report_words;
mod rules;
mod sdk;
mod session;
mod store;
mod store_texts;
mod terms;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;

pub use ads::{AdSignals, ConsentSignal};
pub use advice::{PromptAdvice, DEFAULT_REPROMPT_AFTER_MS};
pub use age::{age_of_digital_consent, AgeSignal, AgeSource, MAX_AGE};
pub use audit::{AuditEntry, AuditFilter};
pub use clock::{Clock, FakeClock, SystemClock};
pub use config::{default_policies, ConsentConfig, FeaturePolicy, StoreOptions, MAX_PURPOSES};
pub use engine::{HeadCheck, LogHead};
pub use error::ConsentError;
pub use export::access_category;
pub use iso8601::{iso8601, iso8601_local};
pub use kinds::{AuditKind, DerivedFile, RecoveryNotice, RefusalReason, SessionEndReason};
pub use language::{default_feature_name, default_purpose_text, language_for_tag, Language};
pub use log::{software_sealer, IoFaults, IoKind, IoOp, Sealer, SealerError};
pub use model::{
    is_valid_purpose, Actor, ConsentStatus, Feature, FeatureState, GrantScope, NotInForce,
    OsPermission, MAX_PURPOSE_LEN,
};
pub use notice::{
    default_pii_categories, is_language_tag, Controller, PurposeText, DEFAULT_COLLECTION_METHOD,
    DEFAULT_POLICY_LANGUAGE, MAX_NOTICE_TEXT_LEN, MAX_PII_CATEGORIES, MAX_TEXT_LEN,
};
pub use observer::{ConsentChange, ConsentObserver, Subscription};
pub use policy::{PolicyState, PolicyStatus};
pub use report::{FeatureReport, PrivacyReport, PurposeUse, UseInterval, VerifyReport};
pub use sdk::{
    is_valid_sdk_id, SdkBlock, SdkCatalogEntry, SdkPolicy, SdkStatus, MAX_SDKS, MAX_SDK_DATA_ITEMS,
    MAX_SDK_ID_LEN,
};
pub use session::UseSession;
pub use store::ConsentStore;

uniffi::setup_scaffolding!();
