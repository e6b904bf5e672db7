//! Errors in two tiers: rich internal errors, and the one small public enum that crosses the FFI, mapped from them in one place.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::kinds::RefusalReason;
use crate::model::{purpose_problem, Feature};
use crate::rules::Refusal;
use crate::sdk::SdkBlock;

/// What went wrong inside the store, with everything a developer or a log line needs.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{} is open in another process or handle", .0.display())]
    Locked(PathBuf),
    #[error("{} is sealed with a platform key: open it with its sealer to change it (or read-only to inspect it)", .0.display())]
    NeedsSealer(PathBuf),
    #[error("this store belongs to {stored:?}, not {given:?}")]
    WrongStore { stored: String, given: String },
    #[error("no consentkit store in {} (create one with `consentkit init --app-id ID --dir {}`)", .0.display(), .0.display())]
    NoStore(PathBuf),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("the log could not be read ({0}); run verify() to recover")]
    Unreadable(String),
    #[error("the store failed earlier and answers off to everything until reopened: {0}")]
    Failed(String),
    #[error("the store is closed")]
    Closed,
    #[error("the store was opened read-only, to inspect it: nothing can be changed through it")]
    ReadOnly,
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Why a consentkit call failed. The first group are refusals of a use or a decision (a
/// refused use is also recorded in the audit log); the rest are misuse or storage failures.
/// `is_refusal()` and `should_ask()` classify them, so apps need no table of their own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ConsentError {
    /// The feature was never asked (or a single-use grant was used), or its grant does not
    /// cover this purpose: ask the person now — for this purpose, if only it is missing.
    #[error("{}: consent required{} — ask the person now", feature.as_str(), purpose.as_ref().map_or(String::new(), |p| format!(" for {p}")))]
    ConsentRequired {
        /// The feature.
        feature: Feature,
        /// The purpose the use was for.
        purpose: Option<String>,
    },
    /// A person (or the app) denied or withdrew consent.
    #[error("{}: consent denied", feature.as_str())]
    Denied {
        /// The feature.
        feature: Feature,
    },
    /// The terms changed since consent was given: ask again.
    #[error("{}: the terms changed — ask again", feature.as_str())]
    NeedsReconsent {
        /// The feature.
        feature: Feature,
    },
    /// The operating system's permission is denied.
    #[error("{}: the OS permission is denied", feature.as_str())]
    OsPermissionDenied {
        /// The feature.
        feature: Feature,
    },
    /// The app is in the background: this feature is not used there, and nobody can be
    /// asked there.
    #[error("{}: not while the app is in the background", feature.as_str())]
    InBackground {
        /// The feature.
        feature: Feature,
    },
    /// The feature is only used while another feature is in use (motion sensors while the
    /// camera shoots), and it is not.
    #[error("{}: only while {} is in use", feature.as_str(), during.as_str())]
    OnlyDuring {
        /// The feature.
        feature: Feature,
        /// The feature that must be in use.
        during: Feature,
    },
    /// A single-use grant is already being used by an open session.
    #[error("{}: the single-use grant is already in use", feature.as_str())]
    SingleUseInProgress {
        /// The feature.
        feature: Feature,
    },
    /// The purpose is well-formed but not declared in the feature's policy.
    #[error("{}: purpose {purpose:?} is not declared", feature.as_str())]
    UnknownPurpose {
        /// The feature.
        feature: Feature,
        /// The refused purpose.
        purpose: String,
    },
    /// Basic mode: the current privacy policy is not agreed to, so nothing can be used or
    /// granted. Show the policy dialog, not the feature's prompt.
    #[error("{}: the privacy policy is not agreed to (basic mode)", feature.as_str())]
    PolicyNotAgreed {
        /// The feature that was asked for.
        feature: Feature,
    },
    /// The person is a minor: only a guardian can grant a feature (`feature`) or agree to the
    /// privacy policy (no feature), and a minor's own earlier consent does not count.
    #[error("{}: a guardian must decide for a minor", feature.map_or("the privacy policy", |f| f.as_str()))]
    GuardianRequired {
        /// The feature, or none for the privacy policy.
        feature: Option<Feature>,
    },
    /// A third-party SDK may not start now (the refusal is recorded).
    #[error("SDK {sdk:?} may not start: {}", reason.as_str())]
    SdkBlocked {
        /// The SDK's id.
        sdk: String,
        /// Why not.
        reason: SdkBlock,
    },
    /// An argument is malformed (a purpose outside `[a-z0-9_]{1,64}`, a permission that does
    /// not apply to the feature, …).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// The app's configuration cannot be used (a purpose declared twice, revision 0, …).
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// The actor may not do this (the app tried to grant).
    #[error("not permitted: {reason}")]
    NotPermitted {
        /// What is wrong.
        reason: String,
    },
    /// The directory holds another app's store.
    #[error("wrong store: {reason}")]
    WrongStore {
        /// Whose store it is.
        reason: String,
    },
    /// Another process or handle has the store open.
    #[error("store is locked: {reason}")]
    StoreLocked {
        /// Which store.
        reason: String,
    },
    /// Reading or writing the store failed; the store now answers "off" to everything.
    #[error("storage failure: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
}

#[uniffi::export]
impl ConsentError {
    /// True when the rules said no (to a use or a decision); false for misuse and failures.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ConsentError::ConsentRequired { .. }
                | ConsentError::Denied { .. }
                | ConsentError::NeedsReconsent { .. }
                | ConsentError::OsPermissionDenied { .. }
                | ConsentError::InBackground { .. }
                | ConsentError::SingleUseInProgress { .. }
                | ConsentError::OnlyDuring { .. }
                | ConsentError::UnknownPurpose { .. }
                | ConsentError::NotPermitted { .. }
                | ConsentError::PolicyNotAgreed { .. }
                | ConsentError::GuardianRequired { .. }
                | ConsentError::SdkBlocked { .. }
        )
    }

    /// True when the person is a minor and a guardian must decide: ask the guardian.
    pub fn needs_guardian(&self) -> bool {
        matches!(self, ConsentError::GuardianRequired { .. })
    }

    /// True when the app is in basic mode: show the privacy-policy dialog (not a feature's
    /// prompt), and call again once it is agreed to.
    pub fn needs_policy_agreement(&self) -> bool {
        matches!(
            self,
            ConsentError::PolicyNotAgreed { .. }
                | ConsentError::SdkBlocked {
                    reason: SdkBlock::PolicyNotAgreed,
                    ..
                }
        )
    }

    /// True when the app should ask the person now, at this moment of use.
    pub fn should_ask(&self) -> bool {
        matches!(
            self,
            ConsentError::ConsentRequired { .. } | ConsentError::NeedsReconsent { .. }
        )
    }

    /// The feature a refusal is about (for an SDK, the feature it lacks).
    pub fn feature(&self) -> Option<Feature> {
        match self {
            ConsentError::GuardianRequired { feature } => *feature,
            ConsentError::PolicyNotAgreed { feature }
            | ConsentError::SdkBlocked {
                reason: SdkBlock::FeatureNotGranted { feature },
                ..
            } => Some(*feature),
            ConsentError::ConsentRequired { feature, .. }
            | ConsentError::OnlyDuring { feature, .. }
            | ConsentError::Denied { feature }
            | ConsentError::NeedsReconsent { feature }
            | ConsentError::OsPermissionDenied { feature }
            | ConsentError::InBackground { feature }
            | ConsentError::SingleUseInProgress { feature }
            | ConsentError::UnknownPurpose { feature, .. } => Some(*feature),
            _ => None,
        }
    }
}

/// The one mapping from internal errors to the public enum.
impl From<Error> for ConsentError {
    fn from(e: Error) -> ConsentError {
        match e {
            Error::Refused(refusal) => refused(refusal),
            Error::Config(e) => ConsentError::InvalidConfig { reason: e.0 },
            Error::InvalidArgument(reason) => ConsentError::InvalidArgument { reason },
            Error::Locked(_) => ConsentError::StoreLocked {
                reason: e.to_string(),
            },
            Error::WrongStore { .. } => ConsentError::WrongStore {
                reason: e.to_string(),
            },
            Error::NoStore(_) => ConsentError::InvalidArgument {
                reason: e.to_string(),
            },
            Error::Io { .. } | Error::Unreadable(_) | Error::Failed(_) => ConsentError::Storage {
                reason: e.to_string(),
            },
            Error::Closed => ConsentError::Closed,
            Error::ReadOnly | Error::NeedsSealer(_) => ConsentError::NotPermitted {
                reason: e.to_string(),
            },
        }
    }
}

fn refused(refusal: Refusal) -> ConsentError {
    match refusal {
        Refusal::Use {
            feature,
            reason,
            purpose,
            during,
        } => match reason {
            RefusalReason::ConsentRequired | RefusalReason::PurposeNotGranted => {
                ConsentError::ConsentRequired {
                    feature,
                    purpose: Some(purpose),
                }
            }
            RefusalReason::OnlyDuring => ConsentError::OnlyDuring {
                feature,
                during: during.unwrap_or(feature),
            },
            RefusalReason::Denied => ConsentError::Denied { feature },
            RefusalReason::NeedsReconsent => ConsentError::NeedsReconsent { feature },
            RefusalReason::OsPermissionDenied => ConsentError::OsPermissionDenied { feature },
            RefusalReason::InBackground => ConsentError::InBackground { feature },
            RefusalReason::SingleUseInProgress => ConsentError::SingleUseInProgress { feature },
            RefusalReason::UnknownPurpose => ConsentError::UnknownPurpose { feature, purpose },
            RefusalReason::PolicyNotAgreed => ConsentError::PolicyNotAgreed { feature },
            RefusalReason::GuardianRequired => ConsentError::GuardianRequired {
                feature: Some(feature),
            },
            RefusalReason::InvalidPurpose => ConsentError::InvalidArgument {
                reason: purpose_problem(&purpose)
                    .unwrap_or_else(|| "the purpose is not valid".into()),
            },
        },
        Refusal::AppCannotGrant => ConsentError::NotPermitted {
            reason: "only a person (the user or a guardian) can grant consent".into(),
        },
        Refusal::GrantInBackground(feature) => ConsentError::InBackground { feature },
        Refusal::PolicyNotAgreed(feature) => ConsentError::PolicyNotAgreed { feature },
        Refusal::AppCannotAgree => ConsentError::NotPermitted {
            reason: "only a person (the user or a guardian) can agree to the privacy policy".into(),
        },
        Refusal::PolicyInBackground => ConsentError::NotPermitted {
            reason: "the privacy policy is agreed to in the app's dialog, not from the background"
                .into(),
        },
        Refusal::NoPolicyStep => ConsentError::InvalidArgument {
            reason: "this app's config sets no policy_revision, so there is no policy to agree to or decline"
                .into(),
        },
        Refusal::Sdk { sdk, block } => ConsentError::SdkBlocked { sdk, reason: block },
        Refusal::InvalidAgeSignal(reason) | Refusal::InvalidPurposes(reason) => {
            ConsentError::InvalidArgument { reason }
        }
        Refusal::UndeclaredPurpose { feature, purpose } => {
            ConsentError::UnknownPurpose { feature, purpose }
        }
        Refusal::RevisionLowered(reason) => ConsentError::InvalidConfig { reason },
        Refusal::GuardianRequired(feature) => ConsentError::GuardianRequired { feature },
        Refusal::LimitedNotApplicable(feature) => ConsentError::InvalidArgument {
            reason: format!(
                "{}: the OS grants it in full or not at all; Limited applies only to photo_library",
                feature.as_str()
            ),
        },
        Refusal::SingleUseNotApplicable(feature) => ConsentError::InvalidArgument {
            reason: format!(
                "{}: a standing choice with no single use (no use session bounds it); grant it until revoked",
                feature.as_str()
            ),
        },
        Refusal::AgeSignalOutranked(reason) => ConsentError::NotPermitted { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_asking_are_classified_in_one_place() {
        let use_refusal = |reason| {
            ConsentError::from(Error::Refused(Refusal::Use {
                during: None,
                feature: Feature::Camera,
                reason,
                purpose: "shoot_photo".into(),
            }))
        };
        let required = use_refusal(RefusalReason::ConsentRequired);
        assert!(required.is_refusal() && required.should_ask());
        assert_eq!(required.feature(), Some(Feature::Camera));
        let denied = use_refusal(RefusalReason::Denied);
        assert!(denied.is_refusal() && !denied.should_ask());
        let invalid = use_refusal(RefusalReason::InvalidPurpose);
        assert!(!invalid.is_refusal());
        assert!(!ConsentError::Closed.is_refusal());
        let storage = ConsentError::from(Error::Failed("disk full".into()));
        assert!(!storage.is_refusal() && !storage.should_ask());
    }
}
