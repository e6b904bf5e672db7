//! consentkit: per-feature consent for camera apps, enforced at the moment of use and proven
//! by a local, tamper-evident audit log.
//!
//! The rules live in [`rules`](crate::rules) with no I/O; the log in `log`; the one exported
//! object, [`ConsentStore`], joins them. Kotlin and Swift reach the same surface through UniFFI.
#![deny(missing_docs)]

#[cfg(feature = "bench-support")]
mod bench_support;
mod clock;
mod entry;
mod error;
mod export;
mod log;
mod model;
mod observer;
mod report;
mod rules;
mod session;
mod store;

pub use clock::{Clock, FakeClock, SystemClock};
pub use entry::{AuditEntry, AuditFilter, AuditKind, SessionEndReason};
pub use error::ConsentError;
pub use export::{access_category, iso8601};
pub use model::{
    default_policies, is_valid_purpose, Actor, ConsentConfig, ConsentStatus, Feature,
    FeaturePolicy, FeatureState, GrantScope, OsPermission, MAX_PURPOSE_LEN,
};
pub use observer::{ConsentChange, ConsentObserver, Subscription};
pub use report::{FeatureReport, LogHead, PrivacyReport, PurposeUse, VerifyReport};
pub use rules::RecoveryNotice;
pub use session::UseSession;
pub use store::{ConsentStore, StoreOptions, MAX_PURPOSES};

uniffi::setup_scaffolding!();
