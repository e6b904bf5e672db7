//! Terms as their content (invariant I3): what a feature's consent and the policy agreement are given under, and what widened between the terms a person agreed to and the terms the app ships now.

use serde::{Deserialize, Serialize};

use crate::model::Feature;

/// The terms a feature's consent is given under, as the rules keep them and the log records
/// them: its declared purposes, the revision of its terms, and the feature whose use it
/// depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FeatureTerms {
    pub purposes: Vec<String>,
    pub terms_revision: u32,
    pub only_during: Option<Feature>,
}

impl FeatureTerms {
    /// The built-in terms of a feature: its default purposes under revision 1.
    pub fn default_for(feature: Feature) -> FeatureTerms {
        FeatureTerms {
            purposes: feature
                .default_purposes()
                .iter()
                .map(|p| p.to_string())
                .collect(),
            terms_revision: 1,
            only_during: feature.default_only_during(),
        }
    }

    pub fn declares(&self, purpose: &str) -> bool {
        self.purposes.iter().any(|p| p == purpose)
    }

    /// `chosen` (all declared) in declared order, without repeats.
    pub fn in_declared_order<'a>(&self, chosen: impl Fn(&str) -> bool + 'a) -> Vec<String> {
        self.purposes
            .iter()
            .filter(|p| chosen(p))
            .cloned()
            .collect()
    }
}

/// What the app declares about itself as a whole, as the rules keep it and the log records
/// it: the privacy policy's revision, the SDKs it embeds, and who counts as a minor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AppTerms {
    /// The privacy policy's revision, when the app asks for agreement to it as a whole.
    pub policy_revision: Option<u32>,
    /// The third-party SDKs, as far as the rules need them.
    pub sdks: Vec<SdkTerms>,
    /// Below this age a person is a minor.
    pub age_of_consent: u32,
    /// Whether a person whose age is unknown is treated as a minor.
    pub unknown_age_is_minor: bool,
}

impl Default for AppTerms {
    /// No policy step, no SDK, the GDPR's default age of digital consent, unknown age adult.
    fn default() -> AppTerms {
        AppTerms {
            policy_revision: None,
            sdks: Vec::new(),
            age_of_consent: crate::age::DEFAULT_AGE_OF_CONSENT,
            unknown_age_is_minor: false,
        }
    }
}

/// One SDK as the rules see it: its id, what it may not start without, and — as digests, so
/// the catalogue's texts stay out of the log — who receives the data and what it collects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SdkTerms {
    pub id: String,
    pub requires: Vec<Feature>,
    pub not_for_minors: bool,
    /// The vendor's name (`text_digest`).
    pub recipient: TextDigest,
    /// What it is for (`text_digest`): a purpose said otherwise may say more.
    pub purpose: TextDigest,
    /// Each item of the data it collects (`text_digest`).
    pub collects: Vec<TextDigest>,
}

/// The digest a catalogue text is compared by: SHA-256 of its words, lower-cased and single-
/// spaced, cut to 16 bytes.
pub(crate) type TextDigest = [u8; 16];

pub(crate) fn text_digest(text: &str) -> TextDigest {
    use sha2::{Digest, Sha256};
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let hash = Sha256::digest(words.join(" ").as_bytes());
    hash[..16].try_into().expect("16 of 32 bytes")
}

impl AppTerms {
    pub fn sdk(&self, id: &str) -> Option<&SdkTerms> {
        self.sdks.iter().find(|s| s.id == id)
    }
}

/// One way the terms the app ships now are wider than the terms a person agreed to: each is
/// a reason to ask again. Narrowing (a purpose or SDK removed, a dependency or need added)
/// is never one. Stored in the log by position: append new kinds at the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Widening {
    /// The revision changed (a feature's terms, or the privacy policy).
    Revision { from: u32, to: u32 },
    /// The feature was used only during another's session; now it is not, or during
    /// another feature's.
    DependencyDropped { was: Feature, now: Option<Feature> },
    /// An SDK the agreement did not list.
    SdkAdded { sdk: String },
    /// An SDK now starts without a feature it needed when the person agreed.
    SdkNeedsLess { sdk: String, no_longer: Feature },
    /// An SDK that was not for minors now is.
    SdkForMinors { sdk: String },
    /// The age of digital consent went down: fewer people count as minors.
    AgeOfConsentLowered { from: u32, to: u32 },
    /// A person whose age is unknown no longer counts as a minor.
    UnknownAgeNotMinor,
    /// An SDK's data goes to another vendor.
    SdkRecipientChanged { sdk: String },
    /// An SDK collects data it did not when the person agreed (`items` of them).
    SdkCollectsMore { sdk: String, items: u32 },
    /// What an SDK is for is said otherwise.
    SdkPurposeChanged { sdk: String },
}

impl Widening {
    /// A short machine-readable line for logs and exports: `revision 1->2`,
    /// `only_during camera dropped`, `sdk tracker added`.
    pub fn describe(&self) -> String {
        match self {
            Widening::Revision { from, to } => format!("revision {from}->{to}"),
            Widening::DependencyDropped { was, now: None } => {
                format!("only_during {} dropped", was.as_str())
            }
            Widening::DependencyDropped {
                was,
                now: Some(now),
            } => {
                format!("only_during {}->{}", was.as_str(), now.as_str())
            }
            Widening::SdkAdded { sdk } => format!("sdk {sdk} added"),
            Widening::SdkNeedsLess { sdk, no_longer } => {
                format!("sdk {sdk} no longer requires {}", no_longer.as_str())
            }
            Widening::SdkForMinors { sdk } => format!("sdk {sdk} allowed for minors"),
            Widening::AgeOfConsentLowered { from, to } => format!("age_of_consent {from}->{to}"),
            Widening::UnknownAgeNotMinor => "unknown age no longer a minor".to_string(),
            Widening::SdkRecipientChanged { sdk } => format!("sdk {sdk} sends to another vendor"),
            Widening::SdkCollectsMore { sdk, items } => {
                format!("sdk {sdk} collects {items} more")
            }
            Widening::SdkPurposeChanged { sdk } => format!("sdk {sdk} is for something else"),
        }
    }
}

/// What `terms` widen against a grant given under `granted_revision` while the feature was
/// only used during `granted_only_during`.
pub(crate) fn feature_widenings(
    granted_revision: u32,
    granted_only_during: Option<Feature>,
    terms: &FeatureTerms,
) -> Vec<Widening> {
    let mut widened = Vec::new();
    if granted_revision != terms.terms_revision {
        widened.push(Widening::Revision {
            from: granted_revision,
            to: terms.terms_revision,
        });
    }
    if let Some(was) = granted_only_during {
        if terms.only_during != Some(was) {
            widened.push(Widening::DependencyDropped {
                was,
                now: terms.only_during,
            });
        }
    }
    widened
}

/// What the SDK catalogue `now` widens against the catalogue a person agreed to.
pub(crate) fn catalogue_widenings(agreed: &[SdkTerms], now: &[SdkTerms]) -> Vec<Widening> {
    let mut widened = Vec::new();
    for sdk in now {
        let Some(then) = agreed.iter().find(|a| a.id == sdk.id) else {
            widened.push(Widening::SdkAdded {
                sdk: sdk.id.clone(),
            });
            continue;
        };
        if let Some(&dropped) = then.requires.iter().find(|f| !sdk.requires.contains(f)) {
            widened.push(Widening::SdkNeedsLess {
                sdk: sdk.id.clone(),
                no_longer: dropped,
            });
        }
        if then.not_for_minors && !sdk.not_for_minors {
            widened.push(Widening::SdkForMinors {
                sdk: sdk.id.clone(),
            });
        }
        if then.purpose != sdk.purpose {
            widened.push(Widening::SdkPurposeChanged {
                sdk: sdk.id.clone(),
            });
        }
        if then.recipient != sdk.recipient {
            widened.push(Widening::SdkRecipientChanged {
                sdk: sdk.id.clone(),
            });
        }
        let more = sdk
            .collects
            .iter()
            .filter(|item| !then.collects.contains(item))
            .count();
        if more > 0 {
            widened.push(Widening::SdkCollectsMore {
                sdk: sdk.id.clone(),
                items: more as u32,
            });
        }
    }
    widened
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk(id: &str, requires: &[Feature], not_for_minors: bool) -> SdkTerms {
        SdkTerms {
            id: id.into(),
            requires: requires.to_vec(),
            not_for_minors,
            ..SdkTerms::default()
        }
    }

    #[test]
    fn another_vendor_or_more_data_widens_less_data_or_rewording_case_does_not() {
        let with = |vendor: &str, data: &[&str]| SdkTerms {
            recipient: text_digest(vendor),
            collects: data.iter().map(|d| text_digest(d)).collect(),
            ..sdk("crash", &[], false)
        };
        let agreed = [with("Acme", &["Crash logs", "Device model"])];
        let same = [with(" acme ", &["crash  LOGS", "Device model"])];
        assert!(catalogue_widenings(&agreed, &same).is_empty());
        let less = [with("Acme", &["Crash logs"])];
        assert!(catalogue_widenings(&agreed, &less).is_empty());
        let wider = [with(
            "DataBroker Inc",
            &["Crash logs", "Contacts", "Precise location"],
        )];
        assert_eq!(
            catalogue_widenings(&agreed, &wider),
            [
                Widening::SdkRecipientChanged {
                    sdk: "crash".into()
                },
                Widening::SdkCollectsMore {
                    sdk: "crash".into(),
                    items: 2
                },
            ]
        );
    }

    #[test]
    fn a_wider_catalogue_names_each_widening_and_a_narrower_none() {
        let agreed = [
            sdk("ads", &[Feature::AdPersonalization], true),
            sdk("ar", &[], false),
        ];
        assert!(catalogue_widenings(&agreed, &agreed).is_empty());
        let narrower = [sdk(
            "ads",
            &[Feature::AdPersonalization, Feature::Camera],
            true,
        )];
        assert!(catalogue_widenings(&agreed, &narrower).is_empty());
        let wider = [sdk("ads", &[], false), sdk("tracker", &[], false)];
        assert_eq!(
            catalogue_widenings(&agreed, &wider),
            [
                Widening::SdkNeedsLess {
                    sdk: "ads".into(),
                    no_longer: Feature::AdPersonalization
                },
                Widening::SdkForMinors { sdk: "ads".into() },
                Widening::SdkAdded {
                    sdk: "tracker".into()
                },
            ]
        );
    }

    #[test]
    fn a_dropped_or_moved_dependency_widens_an_added_one_does_not() {
        let terms = |only_during| FeatureTerms {
            purposes: vec!["orientation".into()],
            terms_revision: 1,
            only_during,
        };
        assert!(
            feature_widenings(1, Some(Feature::Camera), &terms(Some(Feature::Camera))).is_empty()
        );
        assert!(feature_widenings(1, None, &terms(Some(Feature::Camera))).is_empty());
        assert_eq!(
            feature_widenings(1, Some(Feature::Camera), &terms(None)),
            [Widening::DependencyDropped {
                was: Feature::Camera,
                now: None
            }]
        );
        assert_eq!(
            feature_widenings(2, Some(Feature::Camera), &terms(Some(Feature::Microphone)))[0]
                .describe(),
            "revision 2->1"
        );
    }
}
