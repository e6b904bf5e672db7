//! The app's words around consent — controller, notice, feature names, "why" per purpose, PII categories, SDK texts — checked, with defaults, and kept beside the log as the store's texts.

use serde::{Deserialize, Serialize};

use crate::language::{default_feature_name, default_purpose_text, Language};
use crate::model::{disguises_text, Feature};
use crate::sdk::SdkPolicy;
use crate::terms::SdkTerms;

/// Longest text of the notice (a name, a contact, a "why", a PII category), in characters.
pub const MAX_NOTICE_TEXT_LEN: usize = 200;
/// Longest "how to withdraw" text or postal address accepted, in characters.
pub const MAX_TEXT_LEN: usize = 500;
/// Most PII categories one feature may declare.
pub const MAX_PII_CATEGORIES: usize = 16;
/// The largest file of texts a store reads back: a planted file is not read whole.
pub(crate) const MAX_TEXTS_FILE: usize = 256 << 10;

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

/// What the app says about one feature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FeatureTexts {
    pub feature: Feature,
    /// The app's name for it (`None`: the built-in name, in the language shown).
    pub name: Option<String>,
    /// The app's "why" of each purpose it gave one for.
    pub purposes: Vec<PurposeText>,
    pub pii_categories: Vec<String>,
    pub how_to_withdraw: String,
    /// When the "why"s or PII categories last changed (`None`: not since the store began):
    /// a decision made before then was not made on these words.
    #[serde(default)]
    pub changed_at_ms: Option<i64>,
}

impl FeatureTexts {
    /// The feature's name: the app's, or the built-in one in `language`.
    pub fn name(&self, language: Language) -> &str {
        self.name
            .as_deref()
            .unwrap_or_else(|| default_feature_name(self.feature, language))
    }

    /// Why the feature is used for `purpose`: the app's words, the built-in "why" of a
    /// built-in purpose in `language`, or the purpose's id.
    pub fn why<'a>(&'a self, purpose: &'a str, language: Language) -> &'a str {
        self.purposes
            .iter()
            .find(|p| p.purpose == purpose)
            .map(|p| p.description.as_str())
            .or_else(|| default_purpose_text(self.feature, purpose, language))
            .unwrap_or(purpose)
    }
}

/// Where the texts an export shows came from, so a reader can tell the app's words from a
/// fallback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct TextsSource {
    /// `config` (the app's own, as it opened the store), `file` (kept beside the log) or
    /// `built_in` (no file, or one that could not be read: the problem says why).
    pub from: &'static str,
    /// The file was checked with the store's key (only this app's sealer writes what it vouches for).
    pub vouched_by_key: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Default for TextsSource {
    fn default() -> TextsSource {
        TextsSource {
            from: "built_in",
            vouched_by_key: false,
            problem: None,
        }
    }
}

/// Everything the app says that the log does not keep (it keeps ids and digests): the texts
/// exports, receipts and the report show, kept beside the log so a tool that opens the store
/// without the app's config shows the app's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoreTexts {
    pub controller: Option<Controller>,
    pub policy_url: Option<String>,
    pub policy_language: String,
    pub collection_method: String,
    pub jurisdiction: Option<String>,
    /// Days use history is kept (0: everything).
    pub retention_days: u32,
    /// In [`Feature::ALL`] order.
    pub features: Vec<FeatureTexts>,
    /// The SDK catalogue's texts, in the config's order.
    pub sdks: Vec<SdkPolicy>,
    /// This install's random id (a UUID), from which the person's pseudonymous id in consent
    /// records is derived: made by the first open, kept when the texts change.
    pub install_id: Option<String>,
    /// When the controller, the policy's address or language, the collection method or the
    /// jurisdiction last changed (`None`: not since the store began).
    #[serde(default)]
    pub notice_changed_at_ms: Option<i64>,
    #[serde(skip)]
    pub source: TextsSource,
}

impl StoreTexts {
    /// The built-in texts of a store whose app said nothing.
    pub fn builtin() -> StoreTexts {
        StoreTexts {
            controller: None,
            policy_url: None,
            policy_language: DEFAULT_POLICY_LANGUAGE.into(),
            collection_method: DEFAULT_COLLECTION_METHOD.into(),
            jurisdiction: None,
            retention_days: 0,
            features: Feature::ALL
                .into_iter()
                .map(|feature| FeatureTexts {
                    feature,
                    name: None,
                    purposes: Vec::new(),
                    pii_categories: default_pii_categories(feature),
                    how_to_withdraw: default_withdraw_text(feature),
                    changed_at_ms: None,
                })
                .collect(),
            sdks: Vec::new(),
            install_id: None,
            notice_changed_at_ms: None,
            source: TextsSource::default(),
        }
    }

    pub fn feature(&self, feature: Feature) -> &FeatureTexts {
        &self.features[feature.index()]
    }

    /// The language of the app's notice, when the built-in texts come in it (English else).
    pub fn language(&self) -> Language {
        Language::from_tag(&self.policy_language).unwrap_or(Language::English)
    }

    /// Carries what the store's earlier texts knew into these, the app's as it opens the
    /// store: the install's id, and when the notice and each feature's words last changed.
    /// With no earlier texts to compare (`before: None`) in a store that is not new, the
    /// words are taken as changed now — a decision made earlier is not claimed for them.
    pub fn carry_over(&mut self, before: Option<&StoreTexts>, fresh_store: bool, now_ms: i64) {
        let unknown = (!fresh_store).then_some(now_ms);
        self.install_id = before
            .and_then(|b| b.install_id.clone())
            .or_else(|| Some(StoreTexts::new_install_id()));
        let notice = |t: &StoreTexts| {
            (
                t.controller.clone(),
                t.policy_url.clone(),
                t.policy_language.clone(),
                t.collection_method.clone(),
                t.jurisdiction.clone(),
            )
        };
        self.notice_changed_at_ms = match before {
            Some(b) if notice(b) == notice(self) => b.notice_changed_at_ms,
            Some(_) => Some(now_ms),
            None => unknown,
        };
        for (i, words) in self.features.iter_mut().enumerate() {
            let earlier = before.map(|b| &b.features[i]);
            words.changed_at_ms = match earlier {
                Some(e)
                    if (&e.purposes, &e.pii_categories)
                        == (&words.purposes, &words.pii_categories) =>
                {
                    e.changed_at_ms
                }
                Some(_) => Some(now_ms),
                None => unknown,
            };
        }
    }

    /// Whether `feature`'s words or the notice changed after `decided_at_ms`.
    pub fn changed_since(&self, feature: Feature, decided_at_ms: i64) -> bool {
        [
            self.notice_changed_at_ms,
            self.feature(feature).changed_at_ms,
        ]
        .into_iter()
        .flatten()
        .any(|changed| changed > decided_at_ms)
    }

    /// A new install's random id.
    pub fn new_install_id() -> String {
        uuid::Uuid::new_v4().hyphenated().to_string()
    }

    /// The texts as the file beside the log holds them.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("texts always serialise")
    }

    /// Texts read back from the file beside the log: only if they are whole and within every
    /// bound a config is held to, and only the SDK texts the log's digests vouch for (an SDK
    /// whose texts were edited shows its id, as one unknown to the file does).
    pub fn from_bytes(bytes: &[u8], sdk_terms: &[SdkTerms]) -> Result<StoreTexts, String> {
        if bytes.len() > MAX_TEXTS_FILE {
            return Err(format!("larger than {MAX_TEXTS_FILE} bytes"));
        }
        let mut texts: StoreTexts = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let in_order = texts.features.len() == Feature::ALL.len()
            && texts
                .features
                .iter()
                .zip(Feature::ALL)
                .all(|(t, f)| t.feature == f);
        if !in_order {
            return Err("its features are not the six, in order".into());
        }
        if let Some(problem) = texts.problem() {
            return Err(problem);
        }
        if texts
            .install_id
            .as_deref()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_err())
        {
            return Err("its install id is not a UUID".into());
        }
        texts
            .sdks
            .retain(|sdk| sdk_terms.iter().any(|terms| sdk.terms() == *terms));
        Ok(texts)
    }

    /// What is wrong with the texts, if anything: the bounds every text is held to.
    pub fn problem(&self) -> Option<String> {
        if let Some(c) = &self.controller {
            let texts = [
                ("controller name", Some(&c.name)),
                ("controller contact", c.contact.as_ref()),
                ("controller phone", c.phone.as_ref()),
            ];
            for (what, text) in texts {
                if let Some(problem) =
                    text.and_then(|text| text_problem(what, text, MAX_NOTICE_TEXT_LEN))
                {
                    return Some(problem);
                }
            }
            if let Some(problem) = c
                .address
                .as_ref()
                .and_then(|a| text_problem("controller address", a, MAX_TEXT_LEN))
            {
                return Some(problem);
            }
            if !is_email(&c.email) {
                return Some("controller email must be an address like privacy@example.com".into());
            }
            if c.url.as_deref().is_some_and(|u| !is_https_url(u)) {
                return Some(url_problem("controller url"));
            }
        }
        if self.policy_url.as_deref().is_some_and(|u| !is_https_url(u)) {
            return Some(url_problem("policy_url"));
        }
        if !is_language_tag(&self.policy_language) {
            return Some(
                "policy_language must be a BCP 47 language tag such as en, zh-Hans or de-AT".into(),
            );
        }
        if let Some(problem) = text_problem(
            "collection_method",
            &self.collection_method,
            MAX_NOTICE_TEXT_LEN,
        ) {
            return Some(problem);
        }
        self.features.iter().find_map(FeatureTexts::problem)
    }
}

impl FeatureTexts {
    fn problem(&self) -> Option<String> {
        let name = self.feature.as_str();
        if let Some(problem) = self
            .name
            .as_ref()
            .and_then(|shown| text_problem(&format!("{name}: name"), shown, 64))
        {
            return Some(problem);
        }
        for (i, text) in self.purposes.iter().enumerate() {
            if self.purposes[..i].iter().any(|t| t.purpose == text.purpose) {
                return Some(format!("{name}: purpose {:?} has two texts", text.purpose));
            }
            let what = format!("{name}: the description of {:?}", text.purpose);
            if let Some(problem) = text_problem(&what, &text.description, MAX_NOTICE_TEXT_LEN) {
                return Some(problem);
            }
        }
        if self.pii_categories.is_empty() || self.pii_categories.len() > MAX_PII_CATEGORIES {
            return Some(format!(
                "{name}: 1 to {MAX_PII_CATEGORIES} PII categories (none declared gives the built-in ones)"
            ));
        }
        // The same category however it is spaced or capitalised.
        let key = |text: &str| {
            text.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        for (i, category) in self.pii_categories.iter().enumerate() {
            if self.pii_categories[..i]
                .iter()
                .any(|c| key(c) == key(category))
            {
                return Some(format!("{name}: PII category {category:?} twice"));
            }
            let what = format!("{name}: PII category");
            if let Some(problem) = text_problem(&what, category, MAX_NOTICE_TEXT_LEN) {
                return Some(problem);
            }
        }
        text_problem(
            &format!("{name}: how_to_withdraw"),
            &self.how_to_withdraw,
            MAX_TEXT_LEN,
        )
    }
}

fn text_problem(what: &str, text: &str, max: usize) -> Option<String> {
    let len = text.chars().count();
    (text.trim().is_empty() || len > max || text.chars().any(disguises_text)).then(|| {
        format!("{what} must be 1 to {max} characters, none of them control, zero-width or direction-changing characters (got {len})")
    })
}

fn url_problem(what: &str) -> String {
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

fn is_email(email: &str) -> bool {
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

    #[test]
    fn a_file_of_texts_is_read_back_only_whole_and_within_bounds() {
        let texts = StoreTexts::builtin();
        assert_eq!(
            StoreTexts::from_bytes(&texts.to_bytes(), &[]).unwrap(),
            texts
        );
        let mut long = texts.clone();
        long.features[0].name = Some("x".repeat(65));
        assert!(StoreTexts::from_bytes(&long.to_bytes(), &[])
            .unwrap_err()
            .contains("camera: name"));
        let mut short = texts.clone();
        short.features.pop();
        assert!(StoreTexts::from_bytes(&short.to_bytes(), &[]).is_err());
        assert!(StoreTexts::from_bytes(b"{", &[]).is_err());
        assert!(StoreTexts::from_bytes(&vec![b' '; MAX_TEXTS_FILE + 1], &[]).is_err());
    }
}
