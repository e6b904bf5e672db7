//! Consent records in the ISO/IEC TS 27560 shape, Kantara receipts, and the app's texts kept beside the log so a tool's export is the app's.

mod common;

use std::sync::Arc;

use common::*;
use consentkit::*;
use serde_json::Value;

fn controller() -> Controller {
    Controller {
        name: "Example Camera Ltd.".into(),
        email: "privacy@example.com".into(),
        contact: Some("Data Protection Officer".into()),
        phone: None,
        address: Some("1 Example Road, Shanghai".into()),
        url: Some("https://example.com".into()),
    }
}

fn ar_filters() -> SdkPolicy {
    SdkPolicy {
        id: "ar_filters".into(),
        name: "Example AR Filters".into(),
        vendor: "Example Vision Co.".into(),
        purpose: "Face filters in the camera".into(),
        data_collected: vec!["Camera frames, processed on the device".into()],
        requires: vec![Feature::Camera],
        privacy_policy_url: "https://vision.example.com/privacy".into(),
        not_for_minors: false,
    }
}

/// An app that declares everything a consent record names.
fn declared() -> ConsentConfig {
    let camera = FeaturePolicy {
        name: Some("相机".into()),
        purpose_texts: vec![PurposeText {
            purpose: "shoot_photo".into(),
            description: "在你按下快门时拍照".into(),
        }],
        pii_categories: vec!["照片".into()],
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    let mut config = config()
        .with_notice(controller(), "https://example.com/privacy", "zh-Hans")
        .with_policy(camera)
        .with_sdk(ar_filters());
    config.jurisdiction = Some("CN".into());
    config.retention_days = 90;
    config
}

fn export(store: &ConsentStore) -> Value {
    serde_json::from_str(&store.export_json().unwrap()).unwrap()
}

fn record(export: &Value, feature: Feature) -> Value {
    export["consent_records"][feature.index()].clone()
}

#[test]
fn a_consent_record_names_controller_notice_purposes_data_and_recipients() {
    let clock = clock();
    let store = on_screen(ConsentStore::open_in_memory_with(declared(), options(&clock)).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    let export = export(&store);
    let camera = record(&export, Feature::Camera);
    assert!(camera["schema_version"]
        .as_str()
        .unwrap()
        .contains("ISO/IEC TS 27560"));
    assert_eq!(camera["controller"]["name"], "Example Camera Ltd.");
    assert_eq!(camera["controller"]["email"], "privacy@example.com");
    assert_eq!(camera["notice"]["url"], "https://example.com/privacy");
    assert_eq!(camera["notice"]["language"], "zh-Hans");
    assert_eq!(camera["notice"]["terms_revision"], 1);
    assert_eq!(camera["feature_name"], "相机");
    // The app's own "why", and for the purpose it gave none, the built-in one in its language.
    assert_eq!(
        camera["purposes_granted"],
        serde_json::json!([
            {"purpose": "shoot_photo", "description": "在你按下快门时拍照"},
            {"purpose": "record_video", "description": "在你按下录制键时录像"},
        ])
    );
    assert_eq!(camera["pii_categories"], serde_json::json!(["照片"]));
    assert_eq!(camera["event"], "given");
    assert_eq!(camera["actor"], "user");
    assert_eq!(camera["validity"], "until_withdrawn");
    assert_eq!(camera["jurisdiction"], "CN");
    assert_eq!(camera["collection_method"], DEFAULT_COLLECTION_METHOD);
    assert_eq!(camera["retention"]["use_history_days"], 90);
    assert!(camera["storage_location"]
        .as_str()
        .unwrap()
        .starts_with("On the device"));
    assert_eq!(camera["recipients"][0]["id"], "ar_filters");
    assert_eq!(camera["recipients"][0]["vendor"], "Example Vision Co.");
    // The built-in categories of a feature the app said nothing about.
    let microphone = record(&export, Feature::Microphone);
    assert_eq!(
        microphone["pii_categories"],
        serde_json::json!(default_pii_categories(Feature::Microphone))
    );
    assert_eq!(microphone["recipients"], serde_json::json!([]));
    assert_eq!(microphone["feature_name"], "麦克风");
    // The principal is a pseudonym: a UUID that names neither the app nor the device.
    let principal = camera["pii_principal_id"].as_str().unwrap();
    assert_eq!(
        uuid::Uuid::parse_str(principal).unwrap().get_version_num(),
        8
    );
    assert_eq!(microphone["pii_principal_id"], principal);
}

#[test]
fn a_record_stops_naming_recipients_and_purposes_once_the_consent_stops_counting() {
    let clock = clock();
    let store = on_screen(ConsentStore::open_in_memory_with(declared(), options(&clock)).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    store.set_age_signal(age_range(10, Some(12))).unwrap();
    let camera = record(&export(&store), Feature::Camera);
    assert_eq!(camera["status"], "granted");
    assert_eq!(camera["event"], "voided", "{camera}");
    assert_eq!(camera["purposes"], serde_json::json!([]));
    assert_eq!(camera["purposes_granted"], serde_json::json!([]));
    assert_eq!(camera["recipients"], serde_json::json!([]));
    assert!(camera.get("validity").is_none());
}

#[test]
fn the_principal_is_the_same_in_every_export_and_new_after_erasure() {
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    let principal =
        |store: &ConsentStore| record(&export(store), Feature::Camera)["pii_principal_id"].clone();
    let first = principal(&store);
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    store.close().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    assert_eq!(principal(&store), first);
    store.erase_all().unwrap();
    assert_ne!(principal(&store), first);
}

#[test]
fn doubtful_notice_texts_are_refused_with_the_reason() {
    let refused = |config: ConsentConfig| match ConsentStore::open_in_memory(config) {
        Err(ConsentError::InvalidConfig { reason }) => reason,
        other => panic!("accepted: {:?}", other.map(|_| ())),
    };
    let with_controller = |c: Controller| config().with_notice(c, "https://example.com/p", "en");
    assert!(refused(with_controller(Controller {
        email: "privacy at example".into(),
        ..controller()
    }))
    .contains("email"));
    assert!(refused(with_controller(Controller {
        name: " ".into(),
        ..controller()
    }))
    .contains("controller"));
    assert!(refused(ConsentConfig {
        policy_url: Some("http://example.com/privacy".into()),
        ..config()
    })
    .contains("policy_url"));
    assert!(refused(ConsentConfig {
        policy_url: Some("https://example.com/\u{202E}fdp.exe".into()),
        ..config()
    })
    .contains("policy_url"));
    assert!(refused(with_controller(Controller {
        email: "privacy@exa\u{200B}mple.com".into(),
        ..controller()
    }))
    .contains("email"));
    assert!(refused(config().with_policy(FeaturePolicy {
        name: Some("Cam\u{00AD}era\u{E0041}".into()),
        ..FeaturePolicy::default_for(Feature::Camera)
    }))
    .contains("direction-changing"));
    assert!(refused(ConsentConfig {
        policy_language: Some("english".into()),
        ..config()
    })
    .contains("BCP 47"));
    let with_camera = |policy: FeaturePolicy| config().with_policy(policy);
    assert!(refused(with_camera(FeaturePolicy {
        purpose_texts: vec![PurposeText {
            purpose: "scan_code".into(),
            description: "Scan a QR code".into(),
        }],
        ..FeaturePolicy::default_for(Feature::Camera)
    }))
    .contains("does not declare"));
    assert!(refused(with_camera(FeaturePolicy {
        pii_categories: vec!["Photos".into(), "Photos".into()],
        ..FeaturePolicy::default_for(Feature::Camera)
    }))
    .contains("twice"));
    assert!(refused(with_camera(FeaturePolicy {
        name: Some("Cam\u{7}era".into()),
        ..FeaturePolicy::default_for(Feature::Camera)
    }))
    .contains("control"));
    // Text that displays as something else: a right-to-left override, a zero-width space.
    assert!(refused(with_controller(Controller {
        name: "Evil\u{202E}moc.elgoog".into(),
        ..controller()
    }))
    .contains("controller name"));
    assert!(refused(with_camera(FeaturePolicy {
        name: Some("Cam\u{200B}era".into()),
        ..FeaturePolicy::default_for(Feature::Camera)
    }))
    .contains("direction-changing"));
    assert!(refused(config().with_sdk(SdkPolicy {
        vendor: "Example\u{2066} Ltd.".into(),
        ..ar_filters()
    }))
    .contains("vendor"));
    // Which field is wrong, by name.
    assert!(refused(with_controller(Controller {
        contact: Some(String::new()),
        ..controller()
    }))
    .contains("controller contact"));
    // The same category however it is spaced or capitalised.
    assert!(refused(with_camera(FeaturePolicy {
        pii_categories: vec!["Photos".into(), " photos ".into()],
        ..FeaturePolicy::default_for(Feature::Camera)
    }))
    .contains("twice"));
}

#[test]
fn a_catalogue_too_large_for_the_log_is_refused_with_the_reason_and_a_large_one_opens() {
    let sdk = |i: usize, items: usize| SdkPolicy {
        id: format!("com.example.sdk{i:02}"),
        data_collected: (0..items).map(|k| format!("Data item {k}")).collect(),
        ..ar_filters()
    };
    let with_sdks = |count: usize, items: usize| {
        (0..count).fold(config(), |config, i| config.with_sdk(sdk(i, items)))
    };
    for (count, items, why) in [(30, 16, "bytes of the log's record"), (1, 17, "at most 16")] {
        let dir = tempfile::tempdir().unwrap();
        match ConsentStore::open(dir.path().to_str().unwrap().into(), with_sdks(count, items)) {
            Err(ConsentError::InvalidConfig { reason }) => {
                assert!(reason.contains(why), "{reason}")
            }
            other => panic!("{count} SDKs of {items} items: {:?}", other.map(|_| ())),
        }
    }
    // Twenty SDKs listing four kinds of data each: recorded, and there after a relaunch.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open_with_config(dir.path(), &clock, with_sdks(20, 4));
    store.close().unwrap();
    let store = open_with_config(dir.path(), &clock, with_sdks(20, 4));
    assert_eq!(store.sdk_catalog().len(), 20);
}

/// What a JSON value must be, as the Kantara Consent Receipt v1.1 specification types it.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    Obj,
    /// A non-empty array of strings.
    Strs,
    /// An array (possibly empty).
    Arr,
    /// A non-empty array of objects.
    Objs,
}

fn check(value: &Value, at: &str, fields: &[(&str, Kind)]) {
    for (name, kind) in fields {
        let v = value
            .get(name)
            .unwrap_or_else(|| panic!("{at}: the required {name} is missing in {value}"));
        let ok = match kind {
            Kind::Str => v.as_str().is_some_and(|s| !s.is_empty()),
            Kind::Int => v.as_i64().is_some(),
            Kind::Bool => v.is_boolean(),
            Kind::Obj => v.is_object(),
            Kind::Strs => v
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string)),
            Kind::Arr => v.is_array(),
            Kind::Objs => v
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_object)),
        };
        assert!(ok, "{at}.{name} has the wrong type: {v}");
    }
}

/// Every property the specification's JSON Schema requires, at every level, with its type.
fn assert_kantara_receipt(receipt: &Value) {
    use Kind::*;
    check(
        receipt,
        "receipt",
        &[
            ("version", Str),
            ("jurisdiction", Str),
            ("consentTimestamp", Int),
            ("collectionMethod", Str),
            ("consentReceiptID", Str),
            ("piiPrincipalId", Str),
            ("piiControllers", Objs),
            ("policyUrl", Str),
            ("services", Objs),
            ("sensitive", Bool),
            ("spiCat", Arr),
        ],
    );
    assert_eq!(receipt["version"], "KI-CR-v1.1.0");
    assert!(receipt["policyUrl"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    for controller in receipt["piiControllers"].as_array().unwrap() {
        check(
            controller,
            "piiControllers[]",
            &[
                ("piiController", Str),
                ("contact", Str),
                ("address", Obj),
                ("email", Str),
            ],
        );
        assert!(controller["phone"].is_string(), "phone is a string");
    }
    for service in receipt["services"].as_array().unwrap() {
        check(
            service,
            "services[]",
            &[("service", Str), ("purposes", Objs)],
        );
        for purpose in service["purposes"].as_array().unwrap() {
            check(
                purpose,
                "purposes[]",
                &[
                    ("purpose", Str),
                    ("purposeCategory", Strs),
                    ("consentType", Str),
                    ("piiCategory", Strs),
                    ("termination", Str),
                    ("thirdPartyDisclosure", Bool),
                ],
            );
            if purpose["thirdPartyDisclosure"] == true {
                check(purpose, "purposes[]", &[("thirdPartyName", Str)]);
            }
        }
    }
    if receipt["sensitive"] == true {
        check(receipt, "receipt", &[("spiCat", Strs)]);
    }
}

#[test]
fn kantara_receipts_carry_every_required_field_one_per_consent_that_counts() {
    let clock = clock();
    let store = on_screen(ConsentStore::open_in_memory_with(declared(), options(&clock)).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    grant(&store, Feature::Clipboard, GrantScope::Once);
    store.deny(Feature::Microphone, Actor::User).unwrap();
    grant(&store, Feature::PhotoLibrary, GrantScope::UntilRevoked);
    store.revoke(Feature::PhotoLibrary, Actor::User).unwrap();
    let receipts: Value = serde_json::from_str(&store.export_kantara_receipts().unwrap()).unwrap();
    let receipts = receipts.as_array().unwrap();
    assert_eq!(
        receipts.len(),
        2,
        "camera and clipboard, never the refused or withdrawn"
    );
    receipts.iter().for_each(assert_kantara_receipt);
    let camera = &receipts[0];
    assert_eq!(camera["services"][0]["service"], "相机");
    assert_eq!(camera["consentTimestamp"], T0 / 1000);
    assert_eq!(camera["jurisdiction"], "CN");
    assert_eq!(camera["language"], "zh-Hans");
    assert_eq!(
        camera["piiControllers"][0]["piiController"],
        "Example Camera Ltd."
    );
    let shoot = &camera["services"][0]["purposes"][0];
    assert_eq!(shoot["purpose"], "在你按下快门时拍照");
    assert_eq!(shoot["purposeCategory"], serde_json::json!(["shoot_photo"]));
    assert_eq!(shoot["thirdPartyDisclosure"], true);
    assert_eq!(shoot["thirdPartyName"], "Example AR Filters");
    let clipboard_terms = receipts[1]["services"][0]["purposes"][0]["termination"]
        .as_str()
        .unwrap();
    assert!(
        clipboard_terms.starts_with("After one use"),
        "{clipboard_terms}"
    );
    // The receipt ids are distinct, and the principal is the records'.
    assert_ne!(camera["consentReceiptID"], receipts[1]["consentReceiptID"]);
    let export = export(&store);
    assert_eq!(
        camera["piiPrincipalId"],
        record(&export, Feature::Camera)["pii_principal_id"]
    );
    // A minor's own grant is voided: no receipt for it.
    store.set_age_signal(age_range(10, Some(12))).unwrap();
    assert_eq!(store.export_kantara_receipts().unwrap(), "[]");
}

#[test]
fn a_receipt_is_refused_when_the_config_names_no_controller() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    match store.export_kantara_receipts() {
        Err(ConsentError::InvalidArgument { reason }) => assert!(reason.contains("controller")),
        other => panic!("{other:?}"),
    }
}

fn without_texts(mut export: Value) -> Value {
    export.as_object_mut().unwrap().remove("texts");
    export
}

/// The export without the moments it was made at.
fn timeless(mut export: Value) -> Value {
    export.as_object_mut().unwrap().remove("exported_at");
    export
}

#[test]
fn a_tool_that_opens_the_store_without_the_config_exports_what_the_app_exports() {
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    store.sdk_started("ar_filters".into()).unwrap();
    let apps = timeless(export(&store));
    assert_eq!(apps["texts"]["from"], "config");
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    let inspectors = timeless(export(&inspector));
    // The same words, and the export says where they came from: the file, which no key
    // vouches for in an unsealed store.
    assert_eq!(
        inspectors["texts"],
        serde_json::json!({"from": "file", "vouched_by_key": false})
    );
    assert_eq!(without_texts(inspectors), without_texts(apps.clone()));
    assert_eq!(inspector.sdk_catalog()[0].sdk, ar_filters());
    assert_eq!(
        inspector.export_kantara_receipts().unwrap(),
        store.export_kantara_receipts().unwrap()
    );
    store.close().unwrap();
    // A tool that opens it for writing, as it is (no config), keeps them too.
    let tool = ConsentStore::open_with(dir.path(), None, options(&clock)).unwrap();
    let tools = timeless(export(&tool));
    assert_eq!(tools["consent_records"], apps["consent_records"]);
    assert_eq!(tools["sdks"], apps["sdks"]);
}

fn sealer() -> Arc<dyn Sealer> {
    software_sealer(b"a platform key, never exported..".to_vec(), None).unwrap()
}

/// Rewrites the store's texts file as someone without the key would: a new body, with a
/// checksum a store without a sealer would accept.
fn forge_texts(dir: &std::path::Path, edit: impl Fn(&mut Value)) {
    use sha2::{Digest, Sha256};
    let path = dir.join("consent.texts");
    let bytes = std::fs::read(&path).unwrap();
    let len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut body: Value = serde_json::from_slice(&bytes[12..12 + len]).unwrap();
    edit(&mut body);
    let body = serde_json::to_vec(&body).unwrap();
    let mut out = bytes[..8].to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&Sha256::digest(&body));
    std::fs::write(&path, out).unwrap();
}

/// A store sealed with a key, opened with the declared config, the camera granted.
fn sealed_store_with_the_camera_granted(
    clock: &Arc<FakeClock>,
) -> (tempfile::TempDir, StoreOptions, Arc<ConsentStore>) {
    let dir = tempfile::tempdir().unwrap();
    let sealed = StoreOptions {
        sealer: Some(sealer()),
        ..options(clock)
    };
    let store =
        on_screen(ConsentStore::open_with(dir.path(), Some(declared()), sealed.clone()).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    (dir, sealed, store)
}

#[test]
fn texts_edited_without_the_key_are_not_shown() {
    let clock = clock();
    let (dir, sealed, store) = sealed_store_with_the_camera_granted(&clock);
    store.close().unwrap();
    forge_texts(dir.path(), |body| {
        body["controller"]["name"] = "Someone Else".into();
    });
    let inspector = ConsentStore::open_read_only_with(dir.path(), sealed).unwrap();
    let export = export(&inspector);
    assert_eq!(export["texts"]["from"], "built_in");
    assert!(export["texts"]["problem"]
        .as_str()
        .unwrap()
        .contains("not written with this store's key"));
    let camera = record(&export, Feature::Camera);
    assert_eq!(camera["controller"], Value::Null, "{camera}");
    assert_eq!(
        camera["feature_name"], "Camera",
        "the built-in name, not the file's"
    );
    // The consent itself is the log's, whatever the file says.
    assert_eq!(camera["status"], "granted");
}

#[test]
fn sdk_texts_the_logs_digests_do_not_vouch_for_are_not_shown() {
    // Without a sealer nothing vouches for the file, but the log keeps each SDK's texts by
    // digest: an SDK whose vendor was edited is shown by its id.
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    store.close().unwrap();
    forge_texts(dir.path(), |body| {
        body["sdks"][0]["vendor"] = "A Trusted Vendor".into();
    });
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    let sdk = &inspector.sdk_catalog()[0].sdk;
    assert_eq!((sdk.name.as_str(), sdk.vendor.as_str()), ("ar_filters", ""));
}

#[test]
fn two_installs_opened_in_the_same_millisecond_have_their_own_principal_and_receipts() {
    // Same app, same clock: only the install's own random id tells them apart.
    let principal_and_receipt = |dir: &std::path::Path| {
        let store = open_with_config(dir, &clock(), declared());
        grant(&store, Feature::Camera, GrantScope::UntilRevoked);
        let receipts: Value =
            serde_json::from_str(&store.export_kantara_receipts().unwrap()).unwrap();
        (
            record(&export(&store), Feature::Camera)["pii_principal_id"].clone(),
            receipts[0]["consentReceiptID"].clone(),
        )
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (first, second) = (
        principal_and_receipt(a.path()),
        principal_and_receipt(b.path()),
    );
    assert_ne!(first.0, second.0, "principals");
    assert_ne!(first.1, second.1, "receipt ids");
    // The install keeps its id when the app's texts change.
    let store = open_with_config(a.path(), &clock(), config().with_sdk(ar_filters()));
    assert_eq!(
        record(&export(&store), Feature::Camera)["pii_principal_id"],
        first.0
    );
}

#[test]
fn terms_that_widened_and_single_uses_that_ended_are_expired_and_say_where() {
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    grant(&store, Feature::Clipboard, GrantScope::Once);
    use_once(&store, Feature::Clipboard, "login");
    store.close().unwrap();
    let wider = FeaturePolicy {
        terms_revision: 2,
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    let store = open_with_config(dir.path(), &clock, declared().with_policy(wider));
    let export = export(&store);
    let camera = record(&export, Feature::Camera);
    assert_eq!(
        (&camera["status"], &camera["event"], &camera["counts"]),
        (&"needs_reconsent".into(), &"expired".into(), &false.into()),
        "{camera}"
    );
    let clipboard = record(&export, Feature::Clipboard);
    assert_eq!(clipboard["status"], "not_asked");
    assert_eq!(clipboard["event"], "expired", "{clipboard}");
    // The record id names the record that used it up, which the log holds.
    let id = clipboard["record_id"].as_str().unwrap();
    let seq: u64 = id.rsplit('/').next().unwrap().parse().unwrap();
    let used_up = export["log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["seq"] == seq)
        .unwrap();
    assert_eq!(used_up["kind"], "grant_consumed", "{used_up}");
    assert_eq!(clipboard["recorded_in"], "log");
}

/// A store of the declared app in a new directory, the camera granted, closed.
fn camera_granted_and_closed(clock: &Arc<FakeClock>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_config(dir.path(), clock, declared());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    store.close().unwrap();
    dir
}

/// The card of `feature` on a report page.
fn card(page: &str, feature: Feature) -> String {
    let start = page
        .find(&format!(r#"data-feature="{}""#, feature.as_str()))
        .unwrap();
    let card = &page[start..];
    card[..card.find("</article>").unwrap()].to_string()
}

#[test]
fn the_report_page_never_shows_a_grant_that_does_not_count_as_allowed() {
    let clock = clock();
    let store = on_screen(ConsentStore::open_in_memory_with(declared(), options(&clock)).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    store
        .set_os_permission(Feature::Microphone, OsPermission::Denied)
        .unwrap();
    grant(&store, Feature::PhotoLibrary, GrantScope::UntilRevoked);
    let page = |store: &ConsentStore, language| {
        store
            .privacy_report_html(0, clock.now_ms() + 1, language)
            .unwrap()
    };
    let before = page(&store, Language::English);
    assert!(card(&before, Feature::Camera).contains(r#"class="status granted">allowed<"#));
    // The OS switched the microphone off: allowed by the person, off all the same.
    assert!(card(&before, Feature::Microphone)
        .contains("allowed, but switched off in the system settings"));
    // A minor's own grants stop counting: the page says so, in both languages.
    store.set_age_signal(age_range(10, Some(12))).unwrap();
    for (language, says) in [
        (Language::English, "a guardian must decide"),
        (Language::SimplifiedChinese, "需由监护人决定"),
    ] {
        let after = page(&store, language);
        for feature in [Feature::Camera, Feature::PhotoLibrary] {
            let card = card(&after, feature);
            assert!(
                card.contains(r#"class="status off""#) && card.contains(says),
                "{card}"
            );
        }
    }
}

#[test]
fn a_report_page_for_a_window_that_ends_before_it_begins_is_refused_and_any_other_renders() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    use_once(&store, Feature::Camera, "shoot_photo");
    assert!(matches!(
        store.privacy_report_html(T0 + 1, T0, Language::English),
        Err(ConsentError::InvalidArgument { .. })
    ));
    // The report itself says the same of the same window.
    assert!(matches!(
        store.privacy_report(i64::MAX, i64::MIN),
        Err(ConsentError::InvalidArgument { .. })
    ));
    for (since, until) in [(i64::MIN, i64::MAX), (0, 0), (i64::MAX, i64::MAX)] {
        let page = store
            .privacy_report_html(since, until, Language::SimplifiedChinese)
            .unwrap();
        assert!(page.ends_with("</html>\n"), "{since}..{until}");
    }
}

#[test]
fn a_tool_without_the_key_shows_a_sealed_stores_texts_as_not_vouched_for() {
    let clock = clock();
    let (dir, sealed, store) = sealed_store_with_the_camera_granted(&clock);
    let apps = export(&store);
    store.close().unwrap();
    let with_key = ConsentStore::open_read_only_with(dir.path(), sealed).unwrap();
    assert_eq!(
        export(&with_key)["texts"],
        serde_json::json!({"from": "file", "vouched_by_key": true})
    );
    let keyless = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    let keylesss = export(&keyless);
    assert_eq!(keylesss["texts"]["vouched_by_key"], false);
    assert!(keylesss["texts"]["problem"]
        .as_str()
        .unwrap()
        .contains("not checked"));
    // The app's words all the same, and the SDK texts the log's digests vouch for.
    assert_eq!(
        keylesss["consent_records"][0]["controller"],
        apps["consent_records"][0]["controller"]
    );
    assert_eq!(keyless.sdk_catalog()[0].sdk, ar_filters());
}

#[test]
fn a_no_to_a_consent_in_force_is_a_withdrawal() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    store.deny(Feature::Camera, Actor::User).unwrap();
    store.deny(Feature::Microphone, Actor::User).unwrap();
    let export = export(&store);
    assert_eq!(record(&export, Feature::Camera)["event"], "withdrawn");
    assert_eq!(record(&export, Feature::Microphone)["event"], "refused");
}

#[test]
fn a_minors_receipt_says_their_data_is_sensitive() {
    let clock = clock();
    let store = on_screen(ConsentStore::open_in_memory_with(declared(), options(&clock)).unwrap());
    store.set_age_signal(age_range(10, Some(12))).unwrap();
    guardian_grants(&store, Feature::Camera);
    let receipts: Value = serde_json::from_str(&store.export_kantara_receipts().unwrap()).unwrap();
    assert_eq!(receipts.as_array().unwrap().len(), 1, "{receipts}");
    assert_eq!(receipts[0]["sensitive"], true);
    assert_eq!(
        receipts[0]["spiCat"],
        serde_json::json!(["Personal information of a minor"])
    );
    assert_kantara_receipt(&receipts[0]);
}

#[test]
fn ad_personalisation_for_a_minor_is_never_in_force_whoever_granted_it() {
    let clock = clock();
    let store = on_screen(ConsentStore::open_in_memory_with(declared(), options(&clock)).unwrap());
    store.set_age_signal(age_range(10, Some(12))).unwrap();
    guardian_grants(&store, Feature::AdPersonalization);
    let state = store.state(Feature::AdPersonalization);
    assert_eq!(state.status, ConsentStatus::Granted);
    assert_eq!(state.not_in_force, Some(NotInForce::Minor));
    let ads = record(&export(&store), Feature::AdPersonalization);
    assert_eq!(
        (&ads["counts"], &ads["not_counting"], &ads["event"]),
        (&false.into(), &"minor".into(), &"voided".into()),
        "{ads}"
    );
    assert_eq!(store.export_kantara_receipts().unwrap(), "[]");
    let page = store
        .privacy_report_html(0, clock.now_ms() + 1, Language::English)
        .unwrap();
    assert!(card(&page, Feature::AdPersonalization).contains("never personalised for a minor"));
    // The report and every state say it too, not a bare "granted".
    let report = store.privacy_report(0, clock.now_ms() + 1).unwrap();
    assert_eq!(
        report.features[Feature::AdPersonalization.index()].not_in_force,
        Some(NotInForce::Minor)
    );
}

#[test]
fn words_changed_after_a_consent_are_not_claimed_for_it() {
    // The person allowed the camera to take photos; the app's next version says it uploads
    // them for training, under the same terms revision. The record says the words changed
    // since the decision, and no receipt claims the new words were agreed to.
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    assert_eq!(
        record(&export(&store), Feature::Camera)["words_changed_since_decision"],
        false
    );
    store.close().unwrap();
    clock.advance(1_000);
    let camera = FeaturePolicy {
        purpose_texts: vec![PurposeText {
            purpose: "shoot_photo".into(),
            description: "Upload every photo to train our models".into(),
        }],
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    let store = open_with_config(dir.path(), &clock, declared().with_policy(camera));
    let export = export(&store);
    assert_eq!(
        record(&export, Feature::Camera)["words_changed_since_decision"],
        true
    );
    assert_eq!(
        record(&export, Feature::Microphone)["words_changed_since_decision"],
        false
    );
    let receipts: Value = serde_json::from_str(&store.export_kantara_receipts().unwrap()).unwrap();
    let services: Vec<&Value> = receipts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["services"][0]["service"])
        .collect();
    assert_eq!(services, [&Value::from("麦克风")]);
    // A new controller changes the notice of every consent.
    store.close().unwrap();
    clock.advance(1_000);
    let other = declared().with_notice(
        Controller {
            name: "Data Broker Inc.".into(),
            ..controller()
        },
        "https://example.com/privacy",
        "zh-Hans",
    );
    let store = open_with_config(dir.path(), &clock, other);
    assert_eq!(store.export_kantara_receipts().unwrap(), "[]");
}

#[test]
fn a_lost_texts_file_says_the_install_has_a_new_id_and_words_that_may_have_changed() {
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    let before = record(&export(&store), Feature::Camera)["pii_principal_id"].clone();
    store.close().unwrap();
    std::fs::remove_file(dir.path().join("consent.texts")).unwrap();
    // A tool in between knows no install id: no principal rather than one another store shares.
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    assert_eq!(
        record(&export(&inspector), Feature::Camera)["pii_principal_id"],
        Value::Null
    );
    drop(inspector);
    clock.advance(1_000);
    let store = open_with_config(dir.path(), &clock, declared());
    let export = export(&store);
    assert!(export["texts"]["problem"]
        .as_str()
        .unwrap()
        .contains("new id"));
    let camera = record(&export, Feature::Camera);
    assert_ne!(camera["pii_principal_id"], before);
    assert_eq!(camera["words_changed_since_decision"], true);
    assert_eq!(store.export_kantara_receipts().unwrap(), "[]");
}

#[test]
fn the_page_says_when_the_apps_words_could_not_be_checked() {
    let clock = clock();
    let dir = camera_granted_and_closed(&clock);
    let page = |dir: &std::path::Path| {
        ConsentStore::open_read_only_with(dir, options(&clock))
            .unwrap()
            .privacy_report_html(0, clock.now_ms() + 1, Language::English)
            .unwrap()
    };
    assert!(!page(dir.path()).contains("could not be checked"));
    let bytes = std::fs::read(dir.path().join("consent.texts")).unwrap();
    let mut edited = bytes.clone();
    let at = edited.len() - 40;
    edited[at] ^= 0x01;
    std::fs::write(dir.path().join("consent.texts"), edited).unwrap();
    assert!(page(dir.path()).contains("could not be checked against the app itself"));
}

#[test]
fn words_changed_after_a_consent_are_known_by_the_logs_order_not_the_clock() {
    // The person consents; the device clock is then set back a day and the app's next
    // version names another controller and another "why": still changed words, no receipt.
    let clock = clock();
    let dir = camera_granted_and_closed(&clock);
    clock.set_wall(T0 - 86_400_000);
    let camera = FeaturePolicy {
        purpose_texts: vec![PurposeText {
            purpose: "shoot_photo".into(),
            description: "Upload every photo to train our models".into(),
        }],
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    let store = open_with_config(dir.path(), &clock, declared().with_policy(camera));
    assert_eq!(
        record(&export(&store), Feature::Camera)["words_changed_since_decision"],
        true
    );
    assert_eq!(store.export_kantara_receipts().unwrap(), "[]");
    // A consent given again, after the words changed, is on these words.
    store.revoke(Feature::Camera, Actor::User).unwrap();
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    assert_eq!(
        record(&export(&store), Feature::Camera)["words_changed_since_decision"],
        false
    );
}

#[test]
fn a_new_recipient_or_its_new_words_are_not_claimed_for_an_earlier_consent() {
    // No policy step (consent per feature): a new SDK that needs the camera, or the same SDK
    // under another vendor, is not in what the person agreed to.
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let without_sdks = ConsentConfig {
        sdks: Vec::new(),
        ..declared()
    };
    let store = open_with_config(dir.path(), &clock, without_sdks);
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    store.close().unwrap();
    let store = open_with_config(dir.path(), &clock, declared());
    let camera = record(&export(&store), Feature::Camera);
    assert_eq!(camera["words_changed_since_decision"], true, "{camera}");
    assert_eq!(store.export_kantara_receipts().unwrap(), "[]");
    // Agreed again with the SDK declared: receipted; then its vendor changes.
    store.revoke(Feature::Camera, Actor::User).unwrap();
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    assert_ne!(store.export_kantara_receipts().unwrap(), "[]");
    store.close().unwrap();
    let broker = declared().with_sdk(SdkPolicy {
        vendor: "Data Broker Inc.".into(),
        ..ar_filters()
    });
    let store = open_with_config(dir.path(), &clock, broker);
    assert_eq!(store.export_kantara_receipts().unwrap(), "[]");
}

#[test]
fn a_tool_that_cannot_read_the_texts_claims_no_words_were_agreed_to() {
    let clock = clock();
    let dir = camera_granted_and_closed(&clock);
    std::fs::remove_file(dir.path().join("consent.texts")).unwrap();
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    let camera = record(&export(&inspector), Feature::Camera);
    assert_eq!(camera["status"], "granted");
    assert_eq!(camera["words_changed_since_decision"], true, "{camera}");
}

#[test]
fn an_sdk_link_cannot_disguise_itself() {
    for link in [
        "https://ar\u{202E}elpmaxe.evil/p",
        "https://ar.example/p\n<script>",
    ] {
        let config = config().with_sdk(SdkPolicy {
            privacy_policy_url: link.into(),
            ..ar_filters()
        });
        assert!(matches!(
            ConsentStore::open_in_memory(config),
            Err(ConsentError::InvalidConfig { .. })
        ));
    }
}

#[test]
fn the_texts_file_is_written_only_when_the_texts_change() {
    use std::os::unix::fs::MetadataExt;
    let clock = clock();
    let dir = camera_granted_and_closed(&clock);
    let inode = || {
        std::fs::metadata(dir.path().join("consent.texts"))
            .unwrap()
            .ino()
    };
    let first = inode();
    open_with_config(dir.path(), &clock, declared())
        .close()
        .unwrap();
    assert_eq!(inode(), first, "the same texts are not written again");
    let renamed = FeaturePolicy {
        name: Some("Camera".into()),
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    open_with_config(dir.path(), &clock, declared().with_policy(renamed))
        .close()
        .unwrap();
    assert_ne!(inode(), first, "changed texts replace the file");
}
