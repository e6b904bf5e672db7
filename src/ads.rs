//! Ad signals: what ad and analytics SDKs are told, in Google Consent Mode v2's names, derived from the policy, the ad-personalisation choice and the age signal.

use serde::Serialize;

/// One Consent Mode value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ConsentSignal {
    /// Consent is given.
    Granted,
    /// Consent is not given (the default, and the answer to any doubt).
    Denied,
}

impl ConsentSignal {
    /// `granted` or `denied`, as Consent Mode spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentSignal::Granted => "granted",
            ConsentSignal::Denied => "denied",
        }
    }

    fn from(granted: bool) -> ConsentSignal {
        if granted {
            ConsentSignal::Granted
        } else {
            ConsentSignal::Denied
        }
    }
}

/// What ad and analytics SDKs are told now, in Google Consent Mode v2's names, plus a plain
/// switch for SDKs that only have one. Ad personalisation is a standing choice: SDKs read
/// these whenever they serve an ad; there is no use session per ad request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct AdSignals {
    /// Storage (cookies, device identifiers) for advertising.
    pub ad_storage: ConsentSignal,
    /// Sending personal data to the ad platform for advertising.
    pub ad_user_data: ConsentSignal,
    /// Personalised advertising (remarketing, interest-based ads).
    pub ad_personalization: ConsentSignal,
    /// Storage for analytics.
    pub analytics_storage: ConsentSignal,
    /// True exactly when `ad_personalization` is granted.
    pub personalized_ads: bool,
}

/// What the signals are derived from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdInputs {
    /// The store can record and answer (not failed, closed or damaged).
    pub healthy: bool,
    /// The app asks for agreement to its policy and the current revision is agreed to.
    pub policy_agreed: bool,
    /// Basic mode: a policy is required and not agreed to.
    pub basic_mode: bool,
    /// A person granted ad personalisation and the OS (App Tracking Transparency) does not deny it.
    pub personalization_granted: bool,
    /// The age signal (or the config, for an unknown age) says minor.
    pub minor: bool,
}

impl AdSignals {
    /// Every signal denied.
    pub fn denied() -> AdSignals {
        AdSignals::from_inputs(AdInputs {
            healthy: false,
            policy_agreed: false,
            basic_mode: true,
            personalization_granted: false,
            minor: true,
        })
    }

    /// Personalisation needs the person's own grant, never for a minor, never in basic mode.
    /// Storage for ads follows that grant, or the agreed policy (whose SDK catalogue
    /// discloses the ad SDKs), but not for a minor. Analytics storage needs an agreed policy:
    /// without a policy step the store holds no consent to analytics, so it stays denied.
    pub(crate) fn from_inputs(inputs: AdInputs) -> AdSignals {
        let AdInputs {
            healthy,
            policy_agreed,
            basic_mode,
            personalization_granted,
            minor,
        } = inputs;
        let personal = healthy && !basic_mode && personalization_granted && !minor;
        let agreed = healthy && policy_agreed;
        AdSignals {
            ad_storage: ConsentSignal::from(personal || (agreed && !minor)),
            ad_user_data: ConsentSignal::from(personal),
            ad_personalization: ConsentSignal::from(personal),
            analytics_storage: ConsentSignal::from(agreed),
            personalized_ads: personal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> AdInputs {
        AdInputs {
            healthy: true,
            policy_agreed: true,
            basic_mode: false,
            personalization_granted: true,
            minor: false,
        }
    }

    #[test]
    fn an_adult_who_agreed_and_allowed_gets_every_signal() {
        let all = AdSignals::from_inputs(inputs());
        assert!(all.personalized_ads);
        assert_eq!(all.ad_personalization, ConsentSignal::Granted);
        assert_eq!(all.analytics_storage, ConsentSignal::Granted);
    }

    #[test]
    fn a_minor_never_gets_personalised_ads() {
        let minor = AdSignals::from_inputs(AdInputs {
            minor: true,
            ..inputs()
        });
        assert!(!minor.personalized_ads);
        assert_eq!(minor.ad_personalization, ConsentSignal::Denied);
        assert_eq!(minor.ad_user_data, ConsentSignal::Denied);
        assert_eq!(minor.ad_storage, ConsentSignal::Denied);
    }

    #[test]
    fn basic_mode_or_a_failed_store_denies_everything() {
        for off in [
            AdInputs {
                basic_mode: true,
                policy_agreed: false,
                ..inputs()
            },
            AdInputs {
                healthy: false,
                ..inputs()
            },
        ] {
            assert_eq!(AdSignals::from_inputs(off), AdSignals::denied());
        }
    }

    #[test]
    fn without_a_personalisation_grant_only_the_agreed_policy_counts() {
        let agreed = AdSignals::from_inputs(AdInputs {
            personalization_granted: false,
            ..inputs()
        });
        assert_eq!(agreed.ad_storage, ConsentSignal::Granted);
        assert_eq!(agreed.ad_personalization, ConsentSignal::Denied);
        let no_policy_step = AdSignals::from_inputs(AdInputs {
            policy_agreed: false,
            ..inputs()
        });
        assert_eq!(no_policy_step.analytics_storage, ConsentSignal::Denied);
        assert!(no_policy_step.personalized_ads);
    }
}
