//! The app's words around consent — controller, notice, "why" per purpose, PII categories — their defaults and the bounds every text is held to.

use serde::{Deserialize, Serialize};

use crate::language::{default_feature_name, Language};
use crate::model::{disguises_text, Feature};

/// Longest text of the notice (a name, a contact, a "why", a PII category), in characters.
pub const MAX_NOTICE_TEXT_LEN: usize = 200;
/// Longest "how to withdraw" text or postal address accepted, in characters.
pub const MAX_TEXT_LEN: usize = 500;
/// Most PII categories one feature may declare.
pub const MAX_PII_CATEGORIES: usize = 16;

/// Who decides why and how the person's data is processed (the PII controller of ISO/IEC
/// 29100, the data controller of the GDPR): named in every consent record and receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Controller {
    /// The organisation's name ("Example Camera Ltd.").
    pub name: String,
    /// Where people write about their data (`privacy@example.com`).
    pub email: String,
    /// The person or office to contact ("Data Protection Officer"); the name when unset.
    #[uniffi(default = None)]
    pub contact: Option<String>,
    /// A telephone number, if the app gives one.
    #[uniffi(default = None)]
    pub phone: Option<String>,
    /// A postal address on one line, if the app gives one.
    #[uniffi(default = None)]
    pub address: Option<String>,
    /// The organisation's website (`https://…`).
    #[uniffi(default = None)]
    pub url: Option<String>,
}

/// What one declared purpose is for, in the app's words: the "why" a prompt, the Settings
/// screen, the report and every consent record show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct PurposeText {
    /// A purpose the feature declares.
    pub purpose: String,
    /// Why the app uses the feature for it ("Take a photo when you tap the shutter").
    pub description: String,
}

/// The PII categories a feature's use collects when the app declares none.
pub fn default_pii_categories(feature: Feature) -> Vec<String> {
    let categories: &[&str] = match feature {
        Feature::Camera => &["Photos and videos taken with the camera"],
        Feature::Microphone => &["Audio recordings"],
        Feature::PhotoLibrary => &["Photos and videos in the photo library"],
        Feature::Clipboard => &["Clipboard contents"],
        Feature::MotionSensors => &["Device motion and orientation"],
        Feature::AdPersonalization => &["Advertising identifier", "Ad interactions"],
    };
    categories.iter().map(|c| c.to_string()).collect()
}

/// How consent is collected when the app does not say.
pub const DEFAULT_COLLECTION_METHOD: &str = "In-app consent prompt";
/// The notice's language when the app does not say.
pub const DEFAULT_POLICY_LANGUAGE: &str = "en";

/// The sentence used when the app gives none.
pub(crate) fn default_withdraw_text(feature: Feature) -> String {
    format!(
        "Settings › Privacy › {}: switch it off. It takes effect at once and ends any use in progress.",
        default_feature_name(feature, Language::English)
    )
}

pub(crate) fn text_problem(what: &str, text: &str, max: usize) -> Option<String> {
    let len = text.chars().count();
    (text.trim().is_empty() || len > max || text.chars().any(disguises_text)).then(|| {
        format!("{what} must be 1 to {max} characters, none of them control, zero-width or direction-changing characters (got {len})")
    })
}

pub(crate) fn url_problem(what: &str) -> String {
    format!(
        "{what} must be an https:// link of at most {} characters",
        crate::sdk::MAX_URL_LEN
    )
}

/// `https://` and something after it, within the bound an SDK's link is held to.
pub(crate) fn is_https_url(url: &str) -> bool {
    url.starts_with("https://")
        && url.len() > "https://".len()
        && url.len() <= crate::sdk::MAX_URL_LEN
        && !url.chars().any(|c| c.is_whitespace() || disguises_text(c))
}

pub(crate) fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(|c: char| c.is_whitespace() || disguises_text(c) || c == '<' || c == '>')
        && !domain.contains('@')
}

/// A BCP 47 tag in its common shape: a 2–3 letter language, then subtags of 1–8 letters or
/// digits (`en`, `zh-Hans`, `zh-Hans-CN`, `de-AT`).
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or("");
    tag.len() <= 35
        && (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_emails_and_links_are_checked() {
        for good in ["en", "zh-Hans", "zh-Hans-CN", "de-AT", "yue"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in ["", "e", "english", "zh_CN", "en-", "en--US", "zh-Hans!"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
        assert!(is_email("privacy@example.com"));
        for bad in [
            "privacy",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@.com",
            "a@b.c@d.e",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_https_url("https://example.com/privacy"));
        assert!(!is_https_url("http://example.com"));
        assert!(!is_https_url("https://"));
        assert!(!is_https_url("https://example.com/a b"));
    }
}
