//! The consent rules as a pure state machine: each verb decides the records to append and its outcome; `apply` folds a record into state. No I/O, no clock.

mod advice;
mod app;
mod check;
mod decide;
mod feature;
mod state;

pub(crate) use state::State;

use crate::entry::Entry;
use crate::kinds::RefusalReason;
use crate::model::Feature;
use crate::sdk::SdkBlock;

/// The time a decision is made at: wall-clock time for records, the monotonic clock for
/// durations. The rules never read a clock themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Now {
    pub wall_ms: i64,
    pub mono_ms: u64,
}

/// What a verb decided: the records to append (possibly none), and its outcome.
#[derive(Debug)]
#[must_use]
pub(crate) struct Decision {
    pub entries: Vec<Entry>,
    pub outcome: Result<(), Refusal>,
    /// Whether the app is in the foreground from now on, when the verb learned it (recorded
    /// or not: see `State::set_foreground`).
    pub foreground: Option<bool>,
}

impl Decision {
    /// Accepted, with these records.
    pub fn records(entries: Vec<Entry>) -> Decision {
        Decision {
            entries,
            outcome: Ok(()),
            foreground: None,
        }
    }

    /// Accepted, and nothing changes: nothing is written.
    pub fn nothing() -> Decision {
        Decision::records(Vec::new())
    }

    /// Refused, and nothing is written.
    pub fn refused(refusal: Refusal) -> Decision {
        Decision {
            entries: Vec::new(),
            outcome: Err(refusal),
            foreground: None,
        }
    }
}

/// Why the rules said no. Refusals of a use are logged (as `SessionRefused`); refusals of a
/// decision are not, since nothing was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `begin_use` refused. `purpose` is the caller's own text, returned to the caller only.
    Use {
        feature: Feature,
        reason: RefusalReason,
        purpose: String,
        /// The feature it is only used during, if any.
        during: Option<Feature>,
    },
    /// Only a person may open a door: the app tried to grant.
    AppCannotGrant,
    /// A person decides through the app's UI, which is not on screen in the background.
    GrantInBackground(Feature),
    /// `OsPermission::Limited` exists only for the photo library.
    LimitedNotApplicable(Feature),
    /// Basic mode: nothing is granted until the current privacy policy is agreed to.
    PolicyNotAgreed(Feature),
    /// Only a person agrees to the privacy policy.
    AppCannotAgree,
    /// The policy is agreed to in the app's dialog, which is not on screen in the background.
    PolicyInBackground,
    /// The app's config asks for no agreement to its policy as a whole.
    NoPolicyStep,
    /// An SDK may not start. `sdk` is the caller's id, returned to the caller only.
    Sdk { sdk: String, block: SdkBlock },
    /// An age signal that cannot be (an empty range, an age over 150).
    InvalidAgeSignal(String),
    /// `grant_purposes` with no purpose, or a malformed one.
    InvalidPurposes(String),
    /// `grant_purposes` with a well-formed purpose the feature does not declare.
    UndeclaredPurpose { feature: Feature, purpose: String },
    /// The app's config lowers a terms revision (or the policy's) below the one in force.
    RevisionLowered(String),
    /// A single-use grant of a feature that has no single use (ad personalisation).
    SingleUseNotApplicable(Feature),
    /// An age signal from a weaker source that would loosen what a stronger one said (I2):
    /// why, in words.
    AgeSignalOutranked(String),
    /// The person is a minor: only a guardian grants (`Some(feature)`) or agrees to the
    /// policy (`None`).
    GuardianRequired(Option<Feature>),
}

#[cfg(test)]
mod tests;
