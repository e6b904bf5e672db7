//! Age signals and the age of digital consent: who counts as a minor, from an age range and the app's jurisdiction — never a birth date.

use serde::{Deserialize, Serialize};

/// Where an age signal comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum AgeSource {
    /// The person said so (an age gate in the app).
    Declared,
    /// A guardian said so.
    Guardian,
    /// The operating system's age-range service: Apple's Declared Age Range, Google Play's
    /// Age Signals. They answer with ranges such as 13–15, 16–17 and 18+.
    OsAgeRange,
}

impl AgeSource {
    /// Standing (I2): a guardian's word or the OS's age range outranks what the person
    /// declares; a weaker source may tighten what a stronger one said, never loosen it.
    pub(crate) fn rank(self) -> u8 {
        match self {
            AgeSource::Declared => 0,
            AgeSource::Guardian | AgeSource::OsAgeRange => 1,
        }
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgeSource::Declared => "declared",
            AgeSource::Guardian => "guardian",
            AgeSource::OsAgeRange => "os_age_range",
        }
    }
}

/// How old the person is, as a range in whole years and where it comes from. The store keeps
/// and logs the range, never a birth date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct AgeSignal {
    /// The youngest the person may be.
    pub lower: u32,
    /// The oldest, when the range is bounded; `None` for "`lower` or older" (as in 18+).
    pub upper: Option<u32>,
    /// Who says so.
    pub source: AgeSource,
}

/// Oldest age an age signal may name.
pub const MAX_AGE: u32 = 150;

impl AgeSignal {
    /// What is wrong with the signal, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.lower > MAX_AGE || self.upper.is_some_and(|u| u > MAX_AGE) {
            return Some(format!("an age signal's bounds are at most {MAX_AGE}"));
        }
        match self.upper {
            Some(upper) if upper < self.lower => Some(format!(
                "an age range runs from its lower bound up: {}–{upper} is empty",
                self.lower
            )),
            _ => None,
        }
    }

    /// Whether the person may be younger than `age`. A range reaching below it counts: when
    /// a signal of 13–15 meets an age of consent of 14, the person is treated as a minor.
    pub(crate) fn may_be_below(&self, age: u32) -> bool {
        self.lower < age
    }

    /// `13-15`, `18+`, `16`.
    pub fn range_text(&self) -> String {
        match self.upper {
            None => format!("{}+", self.lower),
            Some(upper) if upper == self.lower => upper.to_string(),
            Some(upper) => format!("{}-{upper}", self.lower),
        }
    }
}

/// The age of digital consent where the app's jurisdiction is not in the table (or not set):
/// the GDPR's Article 8 default, the highest in the table, so doubt errs towards protection.
pub(crate) const DEFAULT_AGE_OF_CONSENT: u32 = 16;

/// Below these ages a person cannot consent alone to an information-society service: the
/// GDPR's Article 8 as each EU/EEA member state set it (13 to 16), the UK GDPR, China's PIPL
/// (article 31: under 14 needs a guardian), and the United States' COPPA.
const AGES_OF_CONSENT: &[(&str, u32)] = &[
    ("AT", 14),
    ("BE", 13),
    ("BG", 14),
    ("CN", 14),
    ("CY", 14),
    ("CZ", 15),
    ("DE", 16),
    ("DK", 13),
    ("EE", 13),
    ("ES", 14),
    ("FI", 13),
    ("FR", 15),
    ("GB", 13),
    ("GR", 15),
    ("HR", 16),
    ("HU", 16),
    ("IE", 16),
    ("IS", 13),
    ("IT", 14),
    ("LI", 16),
    ("LT", 14),
    ("LU", 16),
    ("LV", 13),
    ("MT", 13),
    ("NL", 16),
    ("NO", 13),
    ("PL", 16),
    ("PT", 13),
    ("RO", 16),
    ("SE", 13),
    ("SI", 15),
    ("SK", 16),
    ("US", 13),
];

/// Whether `code` is an ISO 3166 code: a country (`DE`) or a subdivision (`US-CA`).
pub(crate) fn is_valid_jurisdiction(code: &str) -> bool {
    let (country, subdivision) = match code.split_once('-') {
        Some((country, sub)) => (country, Some(sub)),
        None => (code, None),
    };
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && subdivision.is_none_or(|s| {
            (1..=3).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

/// The age of digital consent in `jurisdiction` (an ISO 3166 code such as `CN`, `DE` or
/// `US-CA`; a subdivision follows its country): the built-in table, or 16 — the GDPR's
/// default and the table's highest — for a jurisdiction it does not list or none.
#[uniffi::export]
pub fn age_of_digital_consent(jurisdiction: Option<String>) -> u32 {
    let Some(code) = jurisdiction.filter(|c| is_valid_jurisdiction(c)) else {
        return DEFAULT_AGE_OF_CONSENT;
    };
    let country = code.split('-').next().unwrap_or_default();
    AGES_OF_CONSENT
        .binary_search_by(|(c, _)| (*c).cmp(country))
        .map_or(DEFAULT_AGE_OF_CONSENT, |i| AGES_OF_CONSENT[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(code: &str) -> u32 {
        age_of_digital_consent(Some(code.into()))
    }

    #[test]
    fn the_table_follows_each_law() {
        assert_eq!(age("CN"), 14);
        assert_eq!(age("DE"), 16);
        assert_eq!(age("FR"), 15);
        assert_eq!(age("ES"), 14);
        assert_eq!(age("DK"), 13);
        assert_eq!(age("GB"), 13);
        assert_eq!(age("US"), 13);
        assert_eq!(age("US-CA"), 13, "a subdivision follows its country");
        assert!(
            AGES_OF_CONSENT.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted"
        );
        assert!(AGES_OF_CONSENT
            .iter()
            .all(|(_, a)| (13..=DEFAULT_AGE_OF_CONSENT).contains(a)));
    }

    #[test]
    fn an_unlisted_or_missing_jurisdiction_gets_the_strictest_default() {
        assert_eq!(age("JP"), 16);
        assert_eq!(age_of_digital_consent(None), 16);
        assert_eq!(age("germany"), 16);
    }

    #[test]
    fn jurisdictions_are_iso_3166_codes() {
        assert!(is_valid_jurisdiction("CN"));
        assert!(is_valid_jurisdiction("US-CA"));
        assert!(is_valid_jurisdiction("GB-ENG"));
        assert!(!is_valid_jurisdiction("cn"));
        assert!(!is_valid_jurisdiction("CHN"));
        assert!(!is_valid_jurisdiction("US-"));
        assert!(!is_valid_jurisdiction(""));
    }

    #[test]
    fn a_range_reaching_below_the_age_of_consent_counts_as_a_minor() {
        let range = |lower, upper| AgeSignal {
            lower,
            upper,
            source: AgeSource::OsAgeRange,
        };
        assert!(range(13, Some(15)).may_be_below(14));
        assert!(!range(16, Some(17)).may_be_below(16));
        assert!(!range(18, None).may_be_below(16));
        assert_eq!(range(13, Some(15)).range_text(), "13-15");
        assert_eq!(range(18, None).range_text(), "18+");
        assert!(range(15, Some(13)).problem().unwrap().contains("empty"));
        assert!(range(13, Some(200)).problem().is_some());
        assert_eq!(range(16, Some(16)).problem(), None);
    }
}
