//! Reading the record back: audit filters, the privacy report under a jumping clock, and the exports' shapes.
//!
//! Over 400 lines: one test per question a report or export answers, each short, sharing one app's history.

mod common;

use common::*;
use consentkit::*;

const HOUR: i64 = 3_600_000;

/// An in-memory store on a fake clock, with the camera granted.
fn store_with_camera_granted() -> (std::sync::Arc<FakeClock>, std::sync::Arc<ConsentStore>) {
    let clock = clock();
    let store = on_screen(ConsentStore::open_in_memory_with(config(), options(&clock)).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    (clock, store)
}

#[test]
fn durations_come_from_the_monotonic_clock_and_order_from_sequence_numbers() {
    let (clock, store) = store_with_camera_granted();
    let session = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    clock.advance(5_000);
    clock.set_wall(T0 - 2 * HOUR); // the user sets the clock back mid-recording
    session.end().unwrap();

    let log = store.audit_log(AuditFilter::default()).unwrap();
    let ended = &log[0];
    assert_eq!(ended.kind, AuditKind::SessionEnded);
    assert_eq!(ended.duration_ms, Some(5_000));
    assert!(ended.time_ms < log[1].time_ms, "wall time went backwards");
    assert!(ended.seq > log[1].seq, "but the order did not");

    let report = store.privacy_report(T0 - 3 * HOUR, T0 + HOUR).unwrap();
    let camera = &report.features[Feature::Camera.index()];
    assert_eq!((camera.uses, camera.time_in_use_ms), (1, 5_000));
}

#[test]
fn sessions_ended_by_revocation_or_os_denial_count_their_time_in_use() {
    let (clock, store) = store_with_camera_granted();
    let _revoked = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    clock.advance(1_500);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    let _denied_by_os = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    clock.advance(700);
    store
        .set_os_permission(Feature::Camera, OsPermission::Denied)
        .unwrap();
    let report = store.privacy_report(T0, T0 + HOUR).unwrap();
    assert_eq!(
        report.features[Feature::Camera.index()].time_in_use_ms,
        2_200
    );
}

#[test]
fn the_privacy_report_counts_uses_time_refusals_and_purposes_in_its_window() {
    let (clock, store) = store_with_camera_granted();
    // Outside the window: yesterday.
    let old = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    clock.advance(1_000);
    old.end().unwrap();
    clock.advance(24 * HOUR as u64);
    let since = clock.now_ms();
    for (purpose, ms) in [
        ("shoot_photo", 2_000),
        ("record_video", 30_000),
        ("shoot_photo", 500),
    ] {
        let session = store.begin_use(Feature::Camera, purpose.into()).unwrap();
        clock.advance(ms);
        session.end().unwrap();
    }
    let last_use = clock.now_ms();
    let last = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    let _ = store
        .begin_use(Feature::Microphone, "voice_note".into())
        .unwrap_err();
    let report = store.privacy_report(since, clock.now_ms() + 1).unwrap();
    let camera = &report.features[Feature::Camera.index()];
    assert_eq!(camera.uses, 4);
    assert_eq!(
        camera.time_in_use_ms, 32_500,
        "the open session has no time yet"
    );
    assert_eq!(camera.last_use_ms, Some(last_use));
    assert_eq!(camera.status, ConsentStatus::Granted);
    assert_eq!(
        camera.purposes,
        vec![
            PurposeUse {
                purpose: "shoot_photo".into(),
                uses: 3
            },
            PurposeUse {
                purpose: "record_video".into(),
                uses: 1
            },
        ]
    );
    // Never asked is the app's cue to ask, not a refusal; a person's "no" is.
    let microphone = &report.features[Feature::Microphone.index()];
    assert_eq!(
        (
            microphone.uses,
            microphone.refused,
            microphone.needed_consent
        ),
        (0, 0, 1)
    );
    store.deny(Feature::Microphone, Actor::User).unwrap();
    let _ = store
        .begin_use(Feature::Microphone, "voice_note".into())
        .unwrap_err();
    let report = store.privacy_report(since, clock.now_ms() + 1).unwrap();
    let microphone = &report.features[Feature::Microphone.index()];
    assert_eq!((microphone.refused, microphone.needed_consent), (1, 1));
    drop(last);
}

#[test]
fn the_audit_log_filters_by_feature_time_and_limit_newest_first() {
    let (clock, store) = store_with_camera_granted();
    clock.advance(HOUR as u64);
    let middle = clock.now_ms();
    store.deny(Feature::Microphone, Actor::User).unwrap();
    clock.advance(HOUR as u64);
    store.revoke(Feature::Camera, Actor::User).unwrap();

    let camera = store
        .audit_log(AuditFilter {
            feature: Some(Feature::Camera),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        camera.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![AuditKind::Revoked, AuditKind::Granted]
    );
    let window = store
        .audit_log(AuditFilter {
            since_ms: Some(middle),
            until_ms: Some(middle + 1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(window.len(), 1);
    assert_eq!(window[0].feature, Some(Feature::Microphone));
    let newest = store
        .audit_log(AuditFilter {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        newest.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![AuditKind::Revoked, AuditKind::Denied]
    );
    // The log holds no personal data: only codes, features, purposes, times, revisions.
    let everything = store.audit_log(AuditFilter::default()).unwrap();
    assert_eq!(everything.last().unwrap().kind, AuditKind::ChainStarted);
    assert_eq!(everything.last().unwrap().chain, Some(1));
}

#[test]
fn the_json_export_holds_consent_records_and_the_whole_log() {
    let (_clock, store) = store_with_camera_granted();
    use_once(&store, Feature::Camera, "shoot_photo");
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    assert_eq!(export["format"], "consentkit.export/1");
    assert_eq!(export["app_id"], APP);
    let records = export["consent_records"].as_array().unwrap();
    assert_eq!(records.len(), 6);
    let camera = &records[0];
    assert_eq!(camera["feature"], "camera");
    assert_eq!(camera["status"], "granted");
    assert_eq!(camera["actor"], "user");
    // Record 2 is the app saying it is on screen; 3 the grant.
    assert_eq!(camera["record_id"], format!("{APP}/1/camera/3"));
    assert_eq!(camera["recorded_in"], "log");
    assert!(export.get("base").is_none(), "nothing cut");
    assert_eq!(camera["terms_revision"], 1);
    assert_eq!(
        camera["purposes"],
        serde_json::json!(["shoot_photo", "record_video"])
    );
    assert!(camera["how_to_withdraw"]
        .as_str()
        .unwrap()
        .contains("Settings"));
    assert!(camera["decided_at"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(records[1]["record_id"], serde_json::Value::Null);
    let log = export["log"].as_array().unwrap();
    assert_eq!(log.len() as u64, store.head().seq);
    assert_eq!(log[0]["kind"], "chain_started");
    assert_eq!(log[3]["purpose"], "shoot_photo");
    assert_eq!(export["head"]["hash"], store.head().hash);
}

#[test]
fn a_no_is_exported_with_its_own_record_and_the_terms_it_was_said_under() {
    let (_clock, store) = store_with_camera_granted();
    use_once(&store, Feature::Camera, "shoot_photo");
    store.revoke(Feature::Camera, Actor::User).unwrap();
    let revoked = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.kind == AuditKind::Revoked)
        .unwrap();
    let state = store.state(Feature::Camera);
    assert_eq!((state.decided_terms_revision, state.terms_revision), (1, 1));
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    let camera = &export["consent_records"][0];
    assert_eq!(camera["status"], "denied");
    assert_eq!(
        camera["record_id"],
        format!("{APP}/1/camera/{}", revoked.seq),
        "the withdrawal's own record, not the grant's"
    );
    assert_eq!(camera["terms_revision"], 1);
}

#[test]
fn an_exported_record_names_only_the_purposes_the_consent_covers() {
    let (_clock, store) = store_with_camera_granted();
    login_and_share_code_once(&store, Actor::User);
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    let records = export["consent_records"].as_array().unwrap();
    let clipboard = records
        .iter()
        .find(|r| r["feature"] == "clipboard")
        .unwrap();
    assert_eq!(clipboard["purposes"], serde_json::json!(["login"]));
    assert_eq!(
        clipboard["single_use_purposes"],
        serde_json::json!(["share_code"])
    );
    assert_eq!(
        clipboard["declared_purposes"],
        serde_json::json!(["login", "share_code", "channel_stats"])
    );
    // Nothing granted, nothing covered.
    let microphone = records
        .iter()
        .find(|r| r["feature"] == "microphone")
        .unwrap();
    assert_eq!(microphone["purposes"], serde_json::json!([]));
}

#[test]
fn an_exported_grant_that_no_longer_counts_says_so_and_why() {
    // An adult's own camera grant, then the OS says the person is 10–12 in China: the
    // grant is still the log's, but the rules no longer let it count (I6).
    let clock = clock();
    let china = ConsentConfig {
        jurisdiction: Some("CN".into()),
        ..config()
    };
    let store = on_screen(ConsentStore::open_in_memory_with(china, options(&clock)).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    let records = |store: &ConsentStore| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&store.export_json().unwrap()).unwrap()
            ["consent_records"]
            .clone()
    };
    assert_eq!(records(&store)[0]["counts"], true);
    store.set_age_signal(age_range(10, Some(12))).unwrap();
    let camera = &records(&store)[0];
    assert_eq!(camera["status"], "granted");
    assert_eq!(camera["counts"], false, "{camera}");
    assert_eq!(camera["not_counting"], "guardian_required");
    // What was never granted counts for nothing, and says no reason.
    let microphone = &records(&store)[1];
    assert_eq!(microphone["counts"], false);
    assert!(microphone.get("not_counting").is_none(), "{microphone}");
}

#[test]
fn an_exported_no_says_whether_it_was_refused_or_withdrawn() {
    let (_clock, store) = store_with_camera_granted();
    store.revoke(Feature::Camera, Actor::User).unwrap();
    store.deny(Feature::Microphone, Actor::User).unwrap();
    grant(&store, Feature::PhotoLibrary, GrantScope::UntilRevoked);
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    let event = |feature: Feature| {
        let record = &export["consent_records"][feature.index()];
        (record["status"].clone(), record["event"].clone())
    };
    assert_eq!(
        event(Feature::Camera),
        ("denied".into(), "withdrawn".into())
    );
    assert_eq!(
        event(Feature::Microphone),
        ("denied".into(), "refused".into())
    );
    assert_eq!(
        event(Feature::PhotoLibrary),
        ("granted".into(), "given".into())
    );
    assert_eq!(
        event(Feature::Clipboard).1,
        serde_json::Value::Null,
        "never asked"
    );
}

#[test]
fn the_access_export_pairs_interval_begin_and_end_like_apples_report() {
    let (clock, store) = store_with_camera_granted();
    grant(&store, Feature::Clipboard, GrantScope::Once);
    let a = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    let b = store
        .begin_use(Feature::Clipboard, "share_code".into())
        .unwrap();
    clock.advance(1_500);
    a.end().unwrap();
    b.end().unwrap();
    let lines: Vec<serde_json::Value> = store
        .export_access_ndjson()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let first = &lines[0];
    assert_eq!(first["accessor"]["identifier"], APP);
    assert_eq!(first["accessor"]["identifierType"], "bundleID");
    assert_eq!(first["category"], "camera");
    assert_eq!(first["kind"], "intervalBegin");
    assert_eq!(first["type"], "access");
    assert_eq!(first["timeStamp"], iso8601_local(T0));
    assert_eq!(lines[1]["category"], "pasteboard");
    let camera_end = &lines[2];
    assert_eq!(camera_end["kind"], "intervalEnd");
    assert_eq!(camera_end["identifier"], first["identifier"]);
    assert_ne!(lines[1]["identifier"], first["identifier"]);
    assert_eq!(camera_end["timeStamp"], iso8601_local(T0 + 1_500));
}

fn access_lines(store: &ConsentStore) -> Vec<serde_json::Value> {
    store
        .export_access_ndjson()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn parse_time(value: &serde_json::Value) -> i64 {
    let text = value.as_str().unwrap();
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[test]
fn an_audit_query_limited_to_zero_records_returns_none() {
    let (_clock, store) = store_with_camera_granted();
    let none = store
        .audit_log(AuditFilter {
            limit: Some(0),
            ..Default::default()
        })
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn a_session_cut_short_by_a_crash_exports_an_interval_ending_when_its_process_was_last_seen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let crashed = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path(), &clock);
        grant(&store, Feature::Camera, GrantScope::UntilRevoked);
        let _recording = store
            .begin_use(Feature::Camera, "record_video".into())
            .unwrap();
        clock.advance(4_000);
        store
            .set_os_permission(Feature::Camera, OsPermission::Granted)
            .unwrap();
        // The process dies here: what is on disk now is what the next open finds.
        for name in ["consent.log", "consent.snapshot", "consent.index"] {
            if dir.path().join(name).exists() {
                std::fs::copy(dir.path().join(name), crashed.path().join(name)).unwrap();
            }
        }
    }
    clock.advance(3 * 24 * HOUR as u64);
    let store = open(crashed.path(), &clock);
    let log = store.audit_log(AuditFilter::default()).unwrap();
    let ended = log
        .iter()
        .find(|e| e.kind == AuditKind::SessionEnded)
        .unwrap();
    assert_eq!(ended.end_reason, Some(SessionEndReason::Interrupted));
    assert_eq!(
        ended.duration_ms,
        Some(4_000),
        "up to the last record, not the reopening"
    );
    let report = store.privacy_report(T0 - HOUR, clock.now_ms() + 1).unwrap();
    assert_eq!(report.features[0].time_in_use_ms, 4_000);
    let lines = access_lines(&store);
    assert_eq!(lines.len(), 2);
    let (begin, end) = (
        parse_time(&lines[0]["timeStamp"]),
        parse_time(&lines[1]["timeStamp"]),
    );
    assert_eq!(end - begin, 4_000, "never days of invented use");
}

#[test]
fn a_wall_clock_set_back_mid_use_never_ends_an_interval_before_it_began() {
    let (clock, store) = store_with_camera_granted();
    let session = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    clock.advance(2_000);
    clock.set_wall(T0 - 5 * HOUR);
    session.end().unwrap();
    let lines = access_lines(&store);
    let (begin, end) = (
        parse_time(&lines[0]["timeStamp"]),
        parse_time(&lines[1]["timeStamp"]),
    );
    assert_eq!(end - begin, 2_000);
}

#[test]
fn access_intervals_are_named_by_version_8_uuids_with_apples_categories() {
    let (clock, store) = store_with_camera_granted();
    for feature in [Feature::Camera, Feature::PhotoLibrary, Feature::Microphone] {
        store
            .grant(feature, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
        let purpose = feature.default_purposes()[0];
        let session = store.begin_use(feature, purpose.into()).unwrap();
        clock.advance(10);
        session.end().unwrap();
    }
    let lines = access_lines(&store);
    let categories: Vec<_> = lines
        .iter()
        .map(|l| l["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        [
            "camera",
            "camera",
            "photos",
            "photos",
            "microphone",
            "microphone"
        ]
    );
    for line in &lines {
        let id = line["identifier"].as_str().unwrap();
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(uuid.get_version_num(), 8, "{id}");
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{id}");
        assert_eq!(
            id,
            id.to_uppercase(),
            "Apple writes identifiers in capitals"
        );
    }
}

#[test]
fn the_export_tells_how_to_withdraw_in_the_apps_own_words() {
    let mut camera = FeaturePolicy::default_for(Feature::Camera);
    camera.how_to_withdraw = Some("我的 › 隐私设置 › 相机权限：关闭即可撤回".into());
    let store = on_screen(ConsentStore::open_in_memory(config().with_policy(camera)).unwrap());
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    let records = export["consent_records"].as_array().unwrap();
    assert_eq!(
        records[0]["how_to_withdraw"],
        "我的 › 隐私设置 › 相机权限：关闭即可撤回"
    );
    // Features the app says nothing about get the built-in sentence naming them.
    assert!(records[1]["how_to_withdraw"]
        .as_str()
        .unwrap()
        .contains("Settings › Privacy › Microphone:"));
}

#[test]
fn a_used_up_single_use_grant_reads_as_never_decided_everywhere() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::Clipboard, GrantScope::Once);
    use_once(&store, Feature::Clipboard, "share_code");
    let state = store.state(Feature::Clipboard);
    assert_eq!(state.status, ConsentStatus::NotAsked);
    assert_eq!(
        (state.decided_by, state.decided_at_ms, state.scope),
        (None, None, None)
    );
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    let clipboard = &export["consent_records"][Feature::Clipboard.index()];
    assert_eq!(clipboard["status"], "not_asked");
    assert_eq!(clipboard["actor"], serde_json::Value::Null);
    assert_eq!(clipboard["counts"], false);
    // The export still says what happened last: the single use expired, at the record that
    // used it up (ISO/IEC TS 27560's event, with a record id that resolves).
    assert_eq!(clipboard["event"], "expired");
    assert!(clipboard["record_id"]
        .as_str()
        .unwrap()
        .contains("/clipboard/"));
}

#[test]
fn the_report_carries_its_timeline_one_interval_per_session() {
    let (clock, store) = store_with_camera_granted();
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    let early = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    clock.advance(2 * HOUR as u64);
    let since = clock.now_ms() - HOUR; // the window opens while `early` is in use
    early.end().unwrap();
    let ended_early = clock.now_ms();
    let photo = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    let began_photo = clock.now_ms();
    clock.advance(5_000);
    clock.set_wall(began_photo - HOUR / 2); // the clock set back mid-use
    photo.end().unwrap();
    let open = store
        .begin_use(Feature::Microphone, "voice_note".into())
        .unwrap();

    let report = store.privacy_report(since, clock.now_ms() + HOUR).unwrap();
    let interval = |feature, session_id, purpose: Option<&str>, begin_ms, end_ms| UseInterval {
        feature,
        session_id,
        purpose: purpose.map(str::to_string),
        begin_ms,
        end_ms,
    };
    assert_eq!(
        report.intervals,
        vec![
            // Begun before the window: counted back from its end, its purpose unknown.
            interval(
                Feature::Camera,
                early.id(),
                None,
                ended_early - 2 * HOUR,
                Some(ended_early)
            ),
            // Its end is its beginning plus its time in use, whatever the wall clock did.
            interval(
                Feature::Camera,
                photo.id(),
                Some("shoot_photo"),
                began_photo,
                Some(began_photo + 5_000)
            ),
            // Still open at the window's end.
            interval(
                Feature::Microphone,
                open.id(),
                Some("voice_note"),
                clock.now_ms(),
                None
            ),
        ]
    );
    // The same sessions as the report's counts.
    assert_eq!(
        report.features[0].uses, 1,
        "only the photo began in the window"
    );
}
