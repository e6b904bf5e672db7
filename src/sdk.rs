//! Third-party SDKs: what the app declares about each one for its catalogue, whether it may start now, and why not.

use serde::{Deserialize, Serialize};

use crate::model::{disguises_text, Feature};
use crate::terms::SdkTerms;

/// Longest SDK id.
pub const MAX_SDK_ID_LEN: usize = 64;
/// Most SDKs one app may declare.
pub const MAX_SDKS: usize = 64;
/// Longest display text of an SDK (name, vendor, purpose, each item of data collected).
pub const MAX_SDK_TEXT_LEN: usize = 200;
/// Longest privacy-policy link.
pub const MAX_URL_LEN: usize = 500;
/// Most items of data collected one SDK may list.
pub const MAX_SDK_DATA_ITEMS: usize = 16;

/// One third-party SDK the app embeds, as its privacy policy's SDK catalogue lists it.
///
/// Only the id and what the SDK needs reach the log; the texts are for screens and exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct SdkPolicy {
    /// A stable id, `[a-z0-9._-]{1,64}` (`ads`, `com.example.push`): what the app passes to
    /// `sdk_status` and `sdk_started`, and the only thing the log records of the SDK.
    pub id: String,
    /// Its name, as the catalogue shows it.
    pub name: String,
    /// Who makes it.
    pub vendor: String,
    /// What it is for, in the app's words ("Advertising", "Crash reports").
    pub purpose: String,
    /// The data it collects, each a short phrase ("Device identifiers (OAID)", "IP address").
    #[uniffi(default = [])]
    pub data_collected: Vec<String>,
    /// Features whose consent it cannot start without (an AR SDK and the camera).
    #[uniffi(default = [])]
    pub requires: Vec<Feature>,
    /// The vendor's privacy policy (`https://…`).
    pub privacy_policy_url: String,
    /// Must not start for a minor (a behavioural ad network, for instance). An SDK that
    /// requires ad personalisation never starts for a minor either way.
    #[uniffi(default = false)]
    pub not_for_minors: bool,
}

impl SdkPolicy {
    /// What the rules keep of it.
    pub(crate) fn terms(&self) -> SdkTerms {
        SdkTerms {
            id: self.id.clone(),
            requires: self.requires.clone(),
            not_for_minors: self.not_for_minors,
            recipient: crate::terms::text_digest(&self.vendor),
            purpose: crate::terms::text_digest(&self.purpose),
            collects: self
                .data_collected
                .iter()
                .map(|item| crate::terms::text_digest(item))
                .collect(),
        }
    }

    /// The catalogue entry of an SDK known only from the log (a tool opened the store without
    /// the app's config): its id stands in for the texts.
    pub(crate) fn from_terms(terms: &SdkTerms) -> SdkPolicy {
        SdkPolicy {
            id: terms.id.clone(),
            name: terms.id.clone(),
            vendor: String::new(),
            purpose: String::new(),
            data_collected: Vec::new(),
            requires: terms.requires.clone(),
            privacy_policy_url: String::new(),
            not_for_minors: terms.not_for_minors,
        }
    }

    /// What is wrong with the declaration, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        if !is_valid_sdk_id(&self.id) {
            let shown: String = self.id.chars().take(80).collect();
            return Some(format!(
                "SDK id {shown:?}: ids are 1 to {MAX_SDK_ID_LEN} characters of [a-z0-9._-]"
            ));
        }
        let id = &self.id;
        let texts = [
            ("name", &self.name),
            ("vendor", &self.vendor),
            ("purpose", &self.purpose),
        ];
        for (what, text) in texts.into_iter().chain(
            self.data_collected
                .iter()
                .map(|item| ("data_collected item", item)),
        ) {
            let len = text.chars().count();
            if text.trim().is_empty() || len > MAX_SDK_TEXT_LEN || text.chars().any(disguises_text)
            {
                return Some(format!(
                    "SDK {id}: {what} must be 1 to {MAX_SDK_TEXT_LEN} characters, none of them control, zero-width or direction-changing characters (got {len})"
                ));
            }
        }
        if self.data_collected.len() > MAX_SDK_DATA_ITEMS {
            return Some(format!(
                "SDK {id}: at most {MAX_SDK_DATA_ITEMS} items of data collected (got {})",
                self.data_collected.len()
            ));
        }
        for (i, feature) in self.requires.iter().enumerate() {
            if self.requires[..i].contains(feature) {
                return Some(format!("SDK {id} requires {} twice", feature.as_str()));
            }
        }
        let url = &self.privacy_policy_url;
        if !url.starts_with("https://")
            || url.len() <= "https://".len()
            || url.len() > MAX_URL_LEN
            || url.chars().any(|c| c.is_whitespace() || disguises_text(c))
        {
            return Some(format!(
                "SDK {id}: privacy_policy_url must be an https:// link of at most {MAX_URL_LEN} characters"
            ));
        }
        None
    }
}

/// An SDK id is `[a-z0-9._-]{1,64}`: short and machine-readable, so the log can keep it.
pub fn is_valid_sdk_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_SDK_ID_LEN
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Why an SDK may not start now. Stored by position in the log: append new reasons at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum SdkBlock {
    /// The app declares no SDK with this id.
    UnknownSdk,
    /// The current privacy policy is not agreed to (basic mode).
    PolicyNotAgreed,
    /// The person is a minor, and this SDK is not for minors (or needs ad personalisation).
    Minor,
    /// A feature the SDK requires is not granted (or the OS denies it).
    FeatureNotGranted {
        /// The first such feature, in the SDK's order.
        feature: Feature,
    },
    /// The store cannot record the start (it failed, is closed, or found damage):
    /// nothing may start that the log would not show.
    StoreUnavailable,
}

impl SdkBlock {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SdkBlock::UnknownSdk => "unknown_sdk",
            SdkBlock::PolicyNotAgreed => "policy_not_agreed",
            SdkBlock::Minor => "minor",
            SdkBlock::FeatureNotGranted { .. } => "feature_not_granted",
            SdkBlock::StoreUnavailable => "store_unavailable",
        }
    }
}

/// Whether an SDK may start now, and why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct SdkStatus {
    /// The SDK's id.
    pub id: String,
    /// True when `sdk_started(id)` would be accepted now.
    pub may_start: bool,
    /// Why not, when it may not.
    pub blocked_by: Option<SdkBlock>,
    /// Whether ads may be personalised now (the same for every SDK; see `ad_signals()`).
    pub personalized_ads: bool,
    /// When it was first started in this chain of the log (Unix ms).
    pub first_started_ms: Option<i64>,
    /// When it was last started.
    pub last_started_ms: Option<i64>,
}

/// One line of the SDK catalogue: the declaration and the status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct SdkCatalogEntry {
    /// What the app declares about the SDK.
    pub sdk: SdkPolicy,
    /// Whether it may start now, and when it started.
    pub status: SdkStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ads() -> SdkPolicy {
        SdkPolicy {
            id: "ads".into(),
            name: "Example Ads".into(),
            vendor: "Example Ltd.".into(),
            purpose: "Advertising".into(),
            data_collected: vec!["Device identifiers".into()],
            requires: vec![],
            privacy_policy_url: "https://ads.example/privacy".into(),
            not_for_minors: true,
        }
    }

    #[test]
    fn declarations_are_checked_with_the_reason() {
        assert_eq!(ads().problem(), None);
        let with = |f: fn(&mut SdkPolicy)| {
            let mut sdk = ads();
            f(&mut sdk);
            sdk.problem().unwrap()
        };
        assert!(with(|s| s.id = "Ads SDK".into()).contains("[a-z0-9._-]"));
        assert!(with(|s| s.name = " ".into()).contains("name"));
        assert!(with(|s| s.data_collected = vec!["x".repeat(201)]).contains("data_collected"));
        assert!(with(|s| s.privacy_policy_url = "http://a.example".into()).contains("https"));
        assert!(with(|s| s.requires = vec![Feature::Camera, Feature::Camera]).contains("twice"));
    }

    #[test]
    fn sdk_ids_are_short_machine_readable_names() {
        assert!(is_valid_sdk_id("com.example.push-2_x"));
        assert!(!is_valid_sdk_id(""));
        assert!(!is_valid_sdk_id("Ads"));
        assert!(!is_valid_sdk_id(&"a".repeat(65)));
    }
}
