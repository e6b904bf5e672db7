//! The store's texts: everything the app says that the log does not keep (controller, notice, names, "why"s, PII categories, the SDK catalogue, the install's id), what exports show them from, and reading them back from the file beside the log.

use serde::{Deserialize, Serialize};

use crate::language::{default_feature_name, default_purpose_text, Language};
use crate::model::Feature;
use crate::notice::{
    default_pii_categories, default_withdraw_text, is_email, is_https_url, is_language_tag,
    text_problem, url_problem, Controller, PurposeText, DEFAULT_COLLECTION_METHOD,
    DEFAULT_POLICY_LANGUAGE, MAX_NOTICE_TEXT_LEN, MAX_PII_CATEGORIES, MAX_TEXT_LEN,
};
use crate::sdk::SdkPolicy;
use crate::terms::SdkTerms;

/// The largest file of texts a store reads back: a planted file is not read whole.
pub(crate) const MAX_TEXTS_FILE: usize = 256 << 10;

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
    /// Where the log stood when the name, the "why"s, the PII categories or how to withdraw
    /// last changed (`None`: not since the store began): a decision recorded up to there was
    /// not made on these words.
    #[serde(default)]
    pub changed_at: Option<LogPoint>,
}

/// A place in the log — its chain and the last record then — which orders events whatever
/// the wall clock said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LogPoint {
    pub chain: u64,
    pub seq: u64,
}

impl LogPoint {
    /// Whether the record `seq` of chain `chain` was recorded at or before this point.
    fn covers(self, chain: u64, seq: u64) -> bool {
        match self.chain.cmp(&chain) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => seq <= self.seq,
            // A point in a later chain than the record's: the record is older.
            std::cmp::Ordering::Greater => true,
        }
    }
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

/// Where the texts an export shows come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TextsFrom {
    /// The app's own config, as it opened the store.
    Config,
    /// The file kept beside the log.
    File,
    /// The built-in texts: no file, or one that could not be read (the problem says why).
    #[default]
    BuiltIn,
}

/// Where the texts an export shows came from, so a reader can tell the app's words from a
/// fallback.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct TextsSource {
    pub from: TextsFrom,
    /// The file was checked with the store's key (only this app's sealer writes what it vouches for).
    pub vouched_by_key: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
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
    /// Where the log stood when the controller, the policy's address or language, the
    /// collection method, the jurisdiction or the SDK catalogue (who receives the data) last
    /// changed (`None`: not since the store began).
    #[serde(default)]
    pub notice_changed_at: Option<LogPoint>,
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
                    changed_at: None,
                })
                .collect(),
            sdks: Vec::new(),
            install_id: None,
            notice_changed_at: None,
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
    pub fn carry_over(&mut self, before: Option<&StoreTexts>, fresh_store: bool, now: LogPoint) {
        let unknown = (!fresh_store).then_some(now);
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
                t.sdks.clone(),
            )
        };
        self.notice_changed_at = match before {
            Some(b) if notice(b) == notice(self) => b.notice_changed_at,
            Some(_) => Some(now),
            None => unknown,
        };
        for (i, words) in self.features.iter_mut().enumerate() {
            let earlier = before.map(|b| &b.features[i]);
            let said = |t: &FeatureTexts| {
                (
                    t.name.clone(),
                    t.purposes.clone(),
                    t.pii_categories.clone(),
                    t.how_to_withdraw.clone(),
                )
            };
            words.changed_at = match earlier {
                Some(e) if said(e) == said(words) => e.changed_at,
                Some(_) => Some(now),
                None => unknown,
            };
        }
    }

    /// Whether `feature`'s words or the notice changed after the decision recorded as `seq`
    /// of chain `chain` — by the log's order, never the wall clock. Texts that are not the
    /// app's (a file that could not be read) cannot show what was agreed to: changed.
    pub fn changed_since(&self, feature: Feature, chain: u64, seq: u64) -> bool {
        if self.source.from == TextsFrom::BuiltIn && self.source.problem.is_some() {
            return true;
        }
        [self.notice_changed_at, self.feature(feature).changed_at]
            .into_iter()
            .flatten()
            .any(|changed| changed.covers(chain, seq))
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

#[cfg(test)]
mod tests {
    use super::*;

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
