//! The privacy policy as a whole: whether the app asks for agreement to it, and where that agreement stands.

use serde::Serialize;

use crate::model::Actor;

/// Where the person stands with the app's privacy policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    /// The app asks for no agreement to its policy as a whole (its config sets no
    /// `policy_revision`): the per-feature rules alone apply.
    NotRequired,
    /// The policy was never put to the person (or a revision they never saw is current).
    NotAsked,
    /// The person agreed to the current revision.
    Agreed,
    /// The person declined the current revision: basic mode.
    Declined,
    /// The person agreed to an earlier revision: basic mode until they agree to this one.
    NeedsReconsent,
}

impl PolicyStatus {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyStatus::NotRequired => "not_required",
            PolicyStatus::NotAsked => "not_asked",
            PolicyStatus::Agreed => "agreed",
            PolicyStatus::Declined => "declined",
            PolicyStatus::NeedsReconsent => "needs_reconsent",
        }
    }
}

/// The privacy policy's state, for the first-launch dialog and Settings › Privacy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct PolicyState {
    /// Where agreement stands.
    pub status: PolicyStatus,
    /// The revision the app ships now; `None` when it asks for no agreement.
    pub revision: Option<u32>,
    /// The revision last agreed to, if any (it may be an earlier one).
    pub agreed_revision: Option<u32>,
    /// Who made the last decision about the policy.
    pub decided_by: Option<Actor>,
    /// When (Unix ms).
    pub decided_at_ms: Option<i64>,
    /// True while the current revision is not agreed to: no feature can be used or granted
    /// and no third-party SDK may start; the app offers what works without them.
    pub basic_mode: bool,
}
