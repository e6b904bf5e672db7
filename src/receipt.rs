//! Kantara Consent Receipt v1.1 receipts: one per consent that counts now, from the same consent records the export holds.

use serde::Serialize;

use crate::consent_record::{derived_uuid, undamaged, ConsentRecord, Events, Records};
use crate::engine::StateView;
use crate::error::Error;
use crate::log::LogReader;
use crate::store_texts::StoreTexts;

/// The specification's version string.
const VERSION: &str = "KI-CR-v1.1.0";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Receipt<'a> {
    version: &'static str,
    jurisdiction: &'a str,
    /// Seconds since the epoch.
    consent_timestamp: i64,
    collection_method: &'a str,
    #[serde(rename = "consentReceiptID")]
    consent_receipt_id: String,
    language: &'a str,
    pii_principal_id: &'a str,
    pii_controllers: [PiiController<'a>; 1],
    policy_url: &'a str,
    services: [Service<'a>; 1],
    sensitive: bool,
    spi_cat: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PiiController<'a> {
    pii_controller: &'a str,
    on_behalf: bool,
    contact: &'a str,
    address: Address<'a>,
    email: &'a str,
    phone: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pii_controller_url: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Address<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    street_address: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Service<'a> {
    service: &'a str,
    purposes: Vec<Purpose<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Purpose<'a> {
    purpose: &'a str,
    purpose_category: [&'a str; 1],
    consent_type: &'static str,
    pii_category: &'a [String],
    primary_purpose: bool,
    termination: String,
    third_party_disclosure: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    third_party_name: Option<String>,
}

/// A Kantara Consent Receipt v1.1 for every consent that counts now, as a JSON array: a
/// consent that does not count (refused, withdrawn, voided) gets none. A receipt names its
/// controller, notice and jurisdiction, so the app's config must declare them.
pub(crate) fn kantara(
    reader: &LogReader,
    view: &StateView,
    texts: &StoreTexts,
) -> Result<String, Error> {
    undamaged(view)?;
    let events = Events::read(reader, view)?;
    let records = Records::new(view, texts, &events, reader);
    receipts(&records.all(), texts, view.minor)
}

/// A minor's personal information is sensitive (China's PIPL, art. 28, for those under 14 —
/// the age of digital consent there; the GDPR's recital 38 asks for specific protection).
const MINORS_DATA: &str = "Personal information of a minor";

fn receipts(records: &[ConsentRecord], texts: &StoreTexts, minor: bool) -> Result<String, Error> {
    let missing = |what: &str| {
        Err(Error::InvalidArgument(format!(
            "a Kantara receipt names the {what}: declare it in the app's config (and open the store with it once, so tools read it too)"
        )))
    };
    let Some(controller) = &texts.controller else {
        return missing("controller");
    };
    let Some(policy_url) = texts.policy_url.as_deref() else {
        return missing("policy_url");
    };
    let Some(jurisdiction) = texts.jurisdiction.as_deref() else {
        return missing("jurisdiction");
    };
    let mut receipts = Vec::new();
    // A consent whose words changed since it was given is not receipted for the new words.
    for record in records
        .iter()
        .filter(|r| r.counts && !r.words_changed_since_decision)
    {
        let Some(principal) = record.pii_principal_id else {
            return missing("install's id (kept with the texts beside the log)");
        };
        let (Some(id), Some(decided_at_ms)) = (&record.record_id, record.decided_at_ms) else {
            continue;
        };
        let termination = match record.validity {
            Some("once") => format!("After one use. {}", record.how_to_withdraw),
            _ => format!("When withdrawn: {}", record.how_to_withdraw),
        };
        let names: Vec<&str> = record.recipients.iter().map(|s| s.name.as_str()).collect();
        let purposes = record
            .purposes_granted
            .iter()
            .map(|p| Purpose {
                purpose: &p.description,
                purpose_category: [p.purpose.as_str()],
                consent_type: "EXPLICIT",
                pii_category: record.pii_categories,
                primary_purpose: true,
                termination: termination.clone(),
                third_party_disclosure: !names.is_empty(),
                third_party_name: (!names.is_empty()).then(|| names.join(", ")),
            })
            .collect();
        receipts.push(Receipt {
            version: VERSION,
            jurisdiction,
            consent_timestamp: decided_at_ms.div_euclid(1000),
            collection_method: record.collection_method,
            // Unique per receipt: the decision's place in this install's log, under the
            // install's own principal.
            consent_receipt_id: derived_uuid(
                b"consentkit/receipt/2",
                &[principal.as_bytes(), id.as_bytes()],
            ),
            language: record.notice.language,
            pii_principal_id: principal,
            pii_controllers: [PiiController {
                pii_controller: &controller.name,
                on_behalf: false,
                contact: controller.contact.as_deref().unwrap_or(&controller.name),
                address: Address {
                    street_address: controller.address.as_deref(),
                },
                email: &controller.email,
                phone: controller.phone.as_deref().unwrap_or(""),
                pii_controller_url: controller.url.as_deref(),
            }],
            policy_url,
            services: [Service {
                service: record.feature_name,
                purposes,
            }],
            sensitive: minor,
            spi_cat: match minor {
                true => vec![MINORS_DATA],
                false => Vec::new(),
            },
        });
    }
    serde_json::to_string(&receipts).map_err(|e| Error::InvalidArgument(e.to_string()))
}
