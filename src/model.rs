//! The public vocabulary: features, statuses, actors, policies and the state records the store hands out.

use serde::{Deserialize, Serialize};

/// A protected capability of the device that the app may only touch with consent.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, uniffi::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// The camera.
    Camera,
    /// The microphone.
    Microphone,
    /// The photo library (reading or saving media).
    PhotoLibrary,
    /// The system clipboard (pasteboard).
    Clipboard,
    /// Motion sensors (accelerometer, gyroscope), used for orientation while shooting.
    MotionSensors,
    /// Personalised advertising.
    AdPersonalization,
}

impl Feature {
    /// Every feature, in a fixed order that is also the order of `states()`.
    pub const ALL: [Feature; 6] = [
        Feature::Camera,
        Feature::Microphone,
        Feature::PhotoLibrary,
        Feature::Clipboard,
        Feature::MotionSensors,
        Feature::AdPersonalization,
    ];

    /// Position in [`Feature::ALL`]; also the byte used in the on-disk log.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The feature at a position of [`Feature::ALL`].
    pub fn from_index(index: usize) -> Option<Feature> {
        Feature::ALL.get(index).copied()
    }

    /// The stable snake_case name used in logs, exports and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Camera => "camera",
            Feature::Microphone => "microphone",
            Feature::PhotoLibrary => "photo_library",
            Feature::Clipboard => "clipboard",
            Feature::MotionSensors => "motion_sensors",
            Feature::AdPersonalization => "ad_personalization",
        }
    }

    /// Parses the snake_case name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Rule 7: these are only used while the app is in the foreground.
    pub fn ends_in_background(self) -> bool {
        matches!(
            self,
            Feature::Camera | Feature::Microphone | Feature::Clipboard | Feature::MotionSensors
        )
    }

    /// The feature whose use session this one may only be used during, when the config says
    /// nothing: motion sensors read the orientation while the camera shoots.
    pub fn default_only_during(self) -> Option<Feature> {
        (self == Feature::MotionSensors).then_some(Feature::Camera)
    }

    /// Whether a grant may be for a single use (rule 6). Ad personalisation is a standing
    /// choice: no use session bounds it, since ad SDKs read it whenever they serve an ad.
    pub fn has_single_use(self) -> bool {
        self != Feature::AdPersonalization
    }

    /// Whether the OS can grant this feature partially (`OsPermission::Limited`): only the
    /// photo library has a "selected photos" grant, on iOS and on Android 14 and later.
    pub fn accepts_limited(self) -> bool {
        self == Feature::PhotoLibrary
    }

    /// The purposes a feature may be used for when the app's config says nothing.
    pub fn default_purposes(self) -> &'static [&'static str] {
        match self {
            Feature::Camera => &["shoot_photo", "record_video"],
            Feature::Microphone => &["record_video", "voice_note"],
            Feature::PhotoLibrary => &["save_media", "import_media"],
            Feature::Clipboard => &["login", "share_code", "channel_stats"],
            Feature::MotionSensors => &["orientation"],
            Feature::AdPersonalization => &["personalized_ads"],
        }
    }
}

/// Where a feature's consent stands. Only `Granted` can ever open the door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    /// Never decided (or a single-use grant was used up): off, ask at the moment of use.
    NotAsked,
    /// A person said yes.
    Granted,
    /// A person said no, or withdrew a grant.
    Denied,
    /// Granted under terms that have since changed: off until asked again.
    NeedsReconsent,
}

impl ConsentStatus {
    /// The stable snake_case name used in exports and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::NotAsked => "not_asked",
            ConsentStatus::Granted => "granted",
            ConsentStatus::Denied => "denied",
            ConsentStatus::NeedsReconsent => "needs_reconsent",
        }
    }
}

/// How long a grant lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// Until a person or the app revokes it.
    UntilRevoked,
    /// For one use session; consumed when that session ends.
    Once,
}

impl GrantScope {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantScope::UntilRevoked => "until_revoked",
            GrantScope::Once => "once",
        }
    }
}

/// Who made a decision. Only people grant; the app may only close doors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The person using the app.
    User,
    /// A guardian deciding for a minor.
    Guardian,
    /// The app itself (for example on a policy or account change): may deny or revoke, never grant.
    App,
}

impl Actor {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::Guardian => "guardian",
            Actor::App => "app",
        }
    }
}

/// What the operating system says about its own permission for a feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum OsPermission {
    /// Not reported yet, or the app cannot tell; does not block (the OS will ask or refuse by
    /// itself) — and never lifts a refusal the OS reported: only `Granted` or `Limited` does.
    Unknown,
    /// Granted by the OS.
    Granted,
    /// Partially granted (for example a limited photo selection).
    Limited,
    /// Refused by the OS: closes the door whatever the app consent says.
    Denied,
    /// Refused, and the OS will not show its dialog again (iOS after any denial; Android when
    /// `shouldShowRequestPermissionRationale` turns false): only the Settings app can change
    /// it, so the store advises opening Settings rather than asking.
    DeniedPermanently,
}

impl OsPermission {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OsPermission::Unknown => "unknown",
            OsPermission::Granted => "granted",
            OsPermission::Limited => "limited",
            OsPermission::Denied => "denied",
            OsPermission::DeniedPermanently => "denied_permanently",
        }
    }

    /// Refused by the OS, for now or for good.
    pub fn is_denied(self) -> bool {
        matches!(self, OsPermission::Denied | OsPermission::DeniedPermanently)
    }
}

/// Why a grant is not in force now, though the person's last word was yes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum NotInForce {
    /// The person is a minor and the grant is their own: a guardian must decide.
    GuardianRequired,
    /// The privacy policy is not agreed to (basic mode).
    PolicyNotAgreed,
    /// Ads are never personalised for a minor, whoever granted it.
    Minor,
}

impl NotInForce {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotInForce::GuardianRequired => "guardian_required",
            NotInForce::PolicyNotAgreed => "policy_not_agreed",
            NotInForce::Minor => "minor",
        }
    }
}

/// Everything the app needs to show or decide about one feature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct FeatureState {
    /// The feature.
    pub feature: Feature,
    /// Consent status.
    pub status: ConsentStatus,
    /// Scope of the grant, when granted.
    pub scope: Option<GrantScope>,
    /// Who made the last decision, if any.
    pub decided_by: Option<Actor>,
    /// When the last decision was made (Unix milliseconds, wall clock as observed).
    pub decided_at_ms: Option<i64>,
    /// Terms revision the last decision was made under (0 when never decided).
    pub decided_terms_revision: u32,
    /// Terms revision the app ships now.
    pub terms_revision: u32,
    /// Declared purposes.
    pub purposes: Vec<String>,
    /// The purposes the grant covers (empty unless granted): a purpose declared but not
    /// covered needs asking for on its own.
    pub granted_purposes: Vec<String>,
    /// Purposes granted for one use on top of a standing grant (`scope` stays
    /// `UntilRevoked`): used up when that use ends, lapsing unused in the background.
    pub single_use_purposes: Vec<String>,
    /// The feature whose use session this one may only be used during, if any.
    pub only_during: Option<Feature>,
    /// Last OS permission the app reported.
    pub os_permission: OsPermission,
    /// Use sessions open right now.
    pub active_sessions: u32,
    /// True exactly when `is_allowed(feature)` is.
    pub allowed: bool,
    /// Granted, but not in force now, and why: screens and exports never show such a grant
    /// as allowed (I6). `None` when not granted, or granted and in force.
    pub not_in_force: Option<NotInForce>,
}

/// Longest purpose name accepted.
pub const MAX_PURPOSE_LEN: usize = 64;
/// Longest app id accepted.
pub const MAX_APP_ID_LEN: usize = 255;

/// A purpose is `[a-z0-9_]{1,64}`: short, machine-readable, never free text or personal data.
pub fn is_valid_purpose(purpose: &str) -> bool {
    purpose_problem(purpose).is_none()
}

/// A character that hides or reorders text where it is shown — control characters, zero-width
/// characters and bidirectional overrides (`"Evil\u{202E}moc.elgoog"` displays as another
/// name): never accepted in a text the app shows the person.
pub(crate) fn disguises_text(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}'
            | '\u{070F}' | '\u{08E2}' | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
            | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}')
}

/// What is wrong with a purpose, in words a developer can act on; `None` when it is valid.
pub(crate) fn purpose_problem(purpose: &str) -> Option<String> {
    if purpose.is_empty() {
        return Some("a purpose may not be empty".into());
    }
    if purpose.len() > MAX_PURPOSE_LEN {
        return Some(format!(
            "a purpose is at most {MAX_PURPOSE_LEN} characters (this one has {})",
            purpose.chars().count()
        ));
    }
    let bad = purpose
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))?;
    let what = if bad.is_uppercase() {
        "capital letters are not allowed".to_string()
    } else if bad.is_whitespace() {
        "spaces are not allowed".to_string()
    } else {
        format!("{bad:?} is not allowed")
    };
    Some(format!(
        "a purpose is lowercase letters, digits and '_' only: {what}"
    ))
}

/// An app id is a reverse-DNS style identifier: `[A-Za-z0-9._-]{1,255}`.
pub fn is_valid_app_id(app_id: &str) -> bool {
    !app_id.is_empty()
        && app_id.len() <= MAX_APP_ID_LEN
        && app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_short_lowercase_identifiers() {
        assert!(is_valid_purpose("shoot_photo"));
        assert!(is_valid_purpose(&"a".repeat(64)));
        assert!(!is_valid_purpose(&"a".repeat(65)));
        assert!(!is_valid_purpose(""));
        assert!(!is_valid_purpose("Shoot"));
        assert!(!is_valid_purpose("shoot photo"));
        assert!(!is_valid_purpose("jane@example.com"));
    }

    #[test]
    fn an_invalid_purpose_says_what_is_wrong() {
        let problem = |p: &str| purpose_problem(p).unwrap();
        assert!(problem("ShootPhoto").contains("capital letters"));
        assert!(problem("shoot photo").contains("spaces"));
        assert!(problem("a@b").contains("'@'"));
        assert!(problem(&"a".repeat(65)).contains("at most 64"));
        assert!(problem("").contains("empty"));
        assert_eq!(purpose_problem("shoot_photo_2"), None);
    }

    #[test]
    fn feature_names_round_trip_and_index_matches_order() {
        for (i, f) in Feature::ALL.into_iter().enumerate() {
            assert_eq!(Feature::parse(f.as_str()), Some(f));
            assert_eq!(f.index(), i);
            assert_eq!(Feature::from_index(i), Some(f));
        }
        assert_eq!(Feature::parse("location"), None);
    }

    #[test]
    fn app_ids_are_reverse_dns_like() {
        assert!(is_valid_app_id("com.example.camera"));
        assert!(!is_valid_app_id(""));
        assert!(!is_valid_app_id("com example"));
        assert!(!is_valid_app_id(&"a".repeat(256)));
    }
}
