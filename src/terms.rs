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

/// One SDK as the rules see it: its id and what it may not start without.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SdkTerms {
    pub id: String,
    pub requires: Vec<Feature>,
    pub not_for_minors: bool,
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
        }
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
