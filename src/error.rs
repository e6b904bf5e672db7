//! Errors: rich internal ones, and the one small public enum that crosses the FFI, mapped in one place.

use crate::model::Feature;
use crate::rules::Refusal;

/// Why a consentkit call failed. The first group are refusals of `begin_use`, which are
/// also recorded in the audit log; the rest are misuse or storage failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ConsentError {
    /// The feature was never asked (or a single-use grant was used): ask the user now.
    #[error("{feature:?}: consent required — ask the user now")]
    ConsentRequired {
        /// The feature.
        feature: Feature,
    },
    /// The user (or the app) denied or withdrew consent.
    #[error("{feature:?}: consent denied")]
    Denied {
        /// The feature.
        feature: Feature,
    },
    /// The terms changed since consent was given: ask again.
    #[error("{feature:?}: the terms changed — ask again")]
    NeedsReconsent {
        /// The feature.
        feature: Feature,
    },
    /// The operating system's permission is denied.
    #[error("{feature:?}: the OS permission is denied")]
    OsPermissionDenied {
        /// The feature.
        feature: Feature,
    },
    /// The app is in the background and this feature is only used in the foreground.
    #[error("{feature:?}: not used while the app is in the background")]
    InBackground {
        /// The feature.
        feature: Feature,
    },
    /// A single-use grant is already being used by an open session.
    #[error("{feature:?}: the single-use grant is already in use")]
    SingleUseInProgress {
        /// The feature.
        feature: Feature,
    },
    /// The purpose is well-formed but not declared in the feature's policy.
    #[error("{feature:?}: purpose {purpose:?} is not declared")]
    UnknownPurpose {
        /// The feature.
        feature: Feature,
        /// The refused purpose.
        purpose: String,
    },
    /// An argument is malformed (a purpose outside `[a-z0-9_]{1,64}`, a bad config, …).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// The actor may not do this (the app tried to grant).
    #[error("not permitted: {reason}")]
    NotPermitted {
        /// What is wrong.
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

impl ConsentError {
    pub(crate) fn refused(feature: Feature, refusal: Refusal, purpose: &str) -> ConsentError {
        match refusal {
            Refusal::ConsentRequired => ConsentError::ConsentRequired { feature },
            Refusal::Denied => ConsentError::Denied { feature },
            Refusal::NeedsReconsent => ConsentError::NeedsReconsent { feature },
            Refusal::OsPermissionDenied => ConsentError::OsPermissionDenied { feature },
            Refusal::InBackground => ConsentError::InBackground { feature },
            Refusal::SingleUseInProgress => ConsentError::SingleUseInProgress { feature },
            Refusal::UnknownPurpose => ConsentError::UnknownPurpose {
                feature,
                purpose: purpose.to_string(),
            },
            Refusal::InvalidPurpose => ConsentError::invalid(format!(
                "a purpose is 1 to 64 characters of [a-z0-9_] (got {} bytes)",
                purpose.len()
            )),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> ConsentError {
        ConsentError::InvalidArgument {
            reason: message.into(),
        }
    }

    pub(crate) fn storage(e: impl std::fmt::Display) -> ConsentError {
        ConsentError::Storage {
            reason: e.to_string(),
        }
    }
}

impl From<std::io::Error> for ConsentError {
    fn from(e: std::io::Error) -> ConsentError {
        ConsentError::storage(e)
    }
}
