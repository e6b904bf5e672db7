//! The `consentkit` command-line tool, run as a user would.
//!
//! Over 400 lines: one test per command of the tool, each running the binary.

use std::path::Path;
use std::process::{Command, Output};

fn consentkit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_consentkit"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn the_demo_runs_the_whole_flow_and_leaves_a_verified_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let demo = consentkit(&store, &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let text = stdout(&demo);
    for expected in [
        // The opening: the policy dialog first, basic mode after a decline, SDKs held until
        // agreement, then started; the ad toggle changing the signals.
        "privacy policy: revision 1 not asked — BASIC MODE",
        "sdk_started(ads) -> refused",
        "observer: privacy policy -> declined (basic mode)",
        "the privacy policy is not agreed to (basic mode)",
        "observer: privacy policy -> agreed",
        "app: SDK ads initialised",
        "observer: SDK ar_filters -> held (needs camera)",
        "observer: ad signals -> ad_storage=granted ad_user_data=granted ad_personalization=granted",
        "consent required: the app asks now",
        // Asking that fits: a purpose on its own, not again soon after a no, a guardian.
        "consent required for channel_stats",
        "prompt_advice(microphone) = not now (for 48 more hours)",
        "policy_prompt_advice = ask guardian",
        "grant by the minor -> refused: photo_library: a guardian must decide for a minor",
        "session ended (revoked)",
        "session ended (background)",
        "the single use was consumed",
        "the terms changed",
        "Privacy report",
        "intact:",
    ] {
        assert!(
            text.contains(expected),
            "demo output lacks {expected:?}:\n{text}"
        );
    }
    let verify = consentkit(&store, &["verify"]);
    assert!(verify.status.success());

    let states: serde_json::Value =
        serde_json::from_slice(&consentkit(&store, &["state", "--json"]).stdout).unwrap();
    let status = |i: usize| states[i]["status"].as_str().unwrap().to_string();
    assert_eq!(status(0), "denied", "camera was revoked");
    assert_eq!(
        status(2),
        "granted",
        "photo library asked again under new terms, granted by the guardian"
    );
    assert_eq!(states[2]["decided_by"], "guardian");
    assert_eq!(status(4), "granted", "motion sensors kept");
}

#[test]
fn qa_decisions_inspection_and_exports_work_on_an_existing_store() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    // The demo's person turned out a minor: a guardian decides.
    let granted = consentkit(dir.path(), &["grant", "ad_personalization", "--guardian"]);
    assert!(granted.status.success(), "{}", stderr(&granted));
    assert!(stdout(&granted).contains("granted"));
    let log: serde_json::Value = serde_json::from_slice(
        &consentkit(
            dir.path(),
            &["log", "--feature", "ad_personalization", "--json"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(log[0]["kind"], "granted");
    let recent = consentkit(dir.path(), &["log", "--since", "1h", "--limit", "3"]);
    assert_eq!(
        stdout(&recent).lines().count(),
        4,
        "header and three records"
    );
    let report = consentkit(dir.path(), &["report", "--days", "1", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["features"][0]["feature"], "camera");
    let ndjson = stdout(&consentkit(dir.path(), &["export", "--format", "ndjson"]));
    assert!(ndjson
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    assert!(ndjson.contains("\"intervalBegin\""));
    let json: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["export"]).stdout).unwrap();
    assert_eq!(json["consent_records"].as_array().unwrap().len(), 6);
}

#[test]
fn verify_exits_non_zero_on_a_damaged_store_and_bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    let log = dir.path().join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let middle = 200; // inside the first records, not the zeroed free space after them
    bytes[middle] ^= 0x55;
    std::fs::write(&log, bytes).unwrap();
    let verify = consentkit(dir.path(), &["verify"]);
    assert_eq!(verify.status.code(), Some(3), "damaged");
    assert!(stdout(&verify).contains("DAMAGED"));

    let missing = consentkit(&dir.path().join("nothing-here"), &["state"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no consentkit store"));
    let bad_feature = consentkit(dir.path(), &["grant", "location"]);
    assert!(!bad_feature.status.success());
    let bad_since = consentkit(dir.path(), &["log", "--since", "yesterday"]);
    assert!(String::from_utf8_lossy(&bad_since.stderr).contains("--since"));
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_reader_closing_the_pipe_ends_the_tool_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    // `consentkit log | head -1`, with a log long enough to outlast the pipe's buffer.
    for _ in 0..300 {
        assert!(
            consentkit(dir.path(), &["grant", "camera", "--once", "--guardian"])
                .status
                .success()
        );
        assert!(consentkit(dir.path(), &["revoke", "camera"])
            .status
            .success());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_consentkit"))
        .arg("--dir")
        .arg(dir.path())
        .arg("log")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("seq"));
    let output = child.wait_with_output().unwrap();
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    assert_ne!(output.status.code(), Some(101), "a panic's exit code");
}

#[test]
fn time_arguments_take_ages_dates_and_rfc_3339_and_refuse_the_rest_clearly() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        consentkit(dir.path(), &["init", "--app-id", "com.example.camera"])
            .status
            .success()
    );
    for good in [
        "7d",
        "2026-11-01",
        "2026-11-01T00:00:00Z",
        "2026-11-01T08:00:00+08:00",
    ] {
        let out = consentkit(dir.path(), &["log", "--since", good]);
        assert!(out.status.success(), "{good}: {}", stderr(&out));
    }
    for bad in ["", "é", "yesterday", "7 days"] {
        let out = consentkit(dir.path(), &["log", "--since", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = stderr(&out);
        assert!(
            err.contains("--since") && !err.contains("panicked"),
            "{bad:?}: {err}"
        );
    }
    let none = consentkit(dir.path(), &["log", "--limit", "0", "--json"]);
    let none: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(none, serde_json::json!([]));
}

#[test]
fn init_creates_a_store_and_qa_verbs_on_an_empty_directory_say_how() {
    let dir = tempfile::tempdir().unwrap();
    let empty = consentkit(dir.path(), &["grant", "camera"]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        stderr(&empty).contains("consentkit init --app-id"),
        "{}",
        stderr(&empty)
    );
    let init = consentkit(dir.path(), &["init", "--app-id", "com.example.camera"]);
    assert!(init.status.success(), "{}", stderr(&init));
    assert!(consentkit(dir.path(), &["grant", "camera"])
        .status
        .success());
    let export: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["export"]).stdout).unwrap();
    assert_eq!(export["app_id"], "com.example.camera");
    assert_eq!(export["consent_records"][0]["status"], "granted");
}

#[test]
fn the_demo_never_writes_the_future_into_a_real_store() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let log: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["log", "--json"]).stdout).unwrap();
    let latest = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["time_ms"].as_i64().unwrap())
        .max();
    assert!(latest.unwrap() <= now, "a record from the future");
    // So a report right after the demo sees every use.
    let report: serde_json::Value = serde_json::from_slice(
        &consentkit(dir.path(), &["report", "--days", "1", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(report["features"][0]["uses"], 4);
}

#[test]
fn access_intervals_carry_the_devices_local_offset() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    // POSIX zone strings, so no time-zone database is needed: UTC+8, UTC-05:30, UTC.
    for (zone, offset) in [
        ("CST-8", "+08:00"),
        ("XYZ5:30", "-05:30"),
        ("UTC0", "+00:00"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_consentkit"))
            .env("TZ", zone)
            .arg("--dir")
            .arg(dir.path())
            .args(["export", "--format", "ndjson"])
            .output()
            .unwrap();
        let first: serde_json::Value =
            serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
        let stamp = first["timeStamp"].as_str().unwrap();
        assert!(stamp.ends_with(offset), "{zone}: {stamp}");
    }
}

#[test]
fn a_sealed_store_from_the_command_line_catches_a_restored_copy_and_a_saved_head_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("seal.key");
    let key = key.to_str().unwrap();
    let sealed = |args: &[&str]| {
        let mut all = vec!["--seal-key", key];
        all.extend_from_slice(args);
        consentkit(dir.path(), &all)
    };
    assert!(sealed(&["init", "--app-id", "com.example.camera"])
        .status
        .success());
    assert!(sealed(&["grant", "camera"]).status.success());
    let head = sealed(&["head", "--json"]);
    let saved = keys.path().join("head.json");
    std::fs::write(&saved, &head.stdout).unwrap();
    let head: serde_json::Value = serde_json::from_slice(&head.stdout).unwrap();
    assert!(head["seal"].is_string(), "{head}");
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("consent.log"),
        copy.path().join("consent.log"),
    )
    .unwrap();
    assert!(sealed(&["revoke", "camera"]).status.success());

    let verify = sealed(&["verify", "--head", saved.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    assert!(stdout(&verify).contains("sealed through record"));
    assert!(stdout(&verify).contains("still holds the saved head"));
    // A head the log does not hold: intact, but not that history (exit 1, not damage).
    let text = std::fs::read_to_string(&saved).unwrap();
    let mut other: serde_json::Value = serde_json::from_str(&text).unwrap();
    other["hash"] = serde_json::Value::String("00".repeat(32));
    let other_path = copy.path().join("other-head.json");
    std::fs::write(&other_path, other.to_string()).unwrap();
    let verify = sealed(&["verify", "--head", other_path.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(1), "{}", stdout(&verify));

    // An old copy put back: the anchor beside the key says the log lost records.
    std::fs::copy(
        copy.path().join("consent.log"),
        dir.path().join("consent.log"),
    )
    .unwrap();
    let _ = std::fs::remove_file(dir.path().join("consent.snapshot"));
    let verify = sealed(&["verify"]);
    assert!(!verify.status.success());
    assert!(stdout(&verify).contains("DAMAGED"), "{}", stdout(&verify));
}

#[test]
fn a_store_that_requires_the_policy_shows_basic_mode_agreement_and_the_sdk_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let init = consentkit(
        dir.path(),
        &[
            "init",
            "--app-id",
            "com.example.cn",
            "--policy-revision",
            "3",
        ],
    );
    assert!(init.status.success(), "{}", stderr(&init));
    assert!(stdout(&init).contains("revision 3 not asked — BASIC MODE"));
    let granted = consentkit(dir.path(), &["grant", "camera"]);
    assert!(!granted.status.success());
    assert!(
        stderr(&granted).contains("not agreed"),
        "{}",
        stderr(&granted)
    );

    let policy = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["policy", "--json"];
        all.extend(args);
        let out = consentkit(dir.path(), &all);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(policy(&[])["status"], "not_asked");
    assert_eq!(policy(&["--decline"])["status"], "declined");
    let agreed = policy(&["--agree"]);
    assert_eq!(agreed["status"], "agreed");
    assert_eq!(agreed["basic_mode"], false);
    assert_eq!(agreed["revision"], 3);
    assert!(consentkit(dir.path(), &["grant", "camera"])
        .status
        .success());

    let sdks: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["sdks", "--json"]).stdout).unwrap();
    assert_eq!(sdks["sdks"], serde_json::json!([]));
    assert_eq!(sdks["ad_signals"]["analytics_storage"], "granted");
    let table = stdout(&consentkit(dir.path(), &["sdks"]));
    assert!(table.contains("(no SDK declared)") && table.contains("ad_storage=granted"));
    let log = stdout(&consentkit(dir.path(), &["log"]));
    assert!(
        log.contains("policy_agreed") && log.contains("policy 3"),
        "{log}"
    );
}

#[test]
fn the_demo_store_lists_its_sdks_with_their_first_start() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    let sdks: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["sdks", "--json"]).stdout).unwrap();
    let ids: Vec<&str> = sdks["sdks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sdk"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ads", "crash_reports", "ar_filters"]);
    let ar = &sdks["sdks"][2]["status"];
    assert!(
        ar["first_started_ms"].is_i64(),
        "started once the camera was granted"
    );
    assert_eq!(ar["may_start"], false, "the camera was revoked since");
    let policy = stdout(&consentkit(dir.path(), &["state"]));
    assert!(
        policy.starts_with("privacy policy: revision 1 agreed"),
        "{policy}"
    );
}

#[test]
fn advice_and_state_say_when_to_ask_how_old_and_how_much_history() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    let advice: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["advice", "--json"]).stdout).unwrap();
    assert_eq!(advice["policy"]["advice"], "no_need");
    let microphone = &advice["features"][1];
    assert_eq!(microphone["feature"], "microphone");
    assert_eq!(microphone["advice"], "not_now");
    assert!(microphone["until_ms"].is_i64());
    assert_eq!(
        advice["features"][2]["advice"], "no_need",
        "granted by the guardian"
    );
    let table = stdout(&consentkit(dir.path(), &["advice"]));
    assert!(
        table.contains("microphone           not now (until "),
        "{table}"
    );
    let state = stdout(&consentkit(dir.path(), &["state"]));
    assert!(state.contains("age: 13-15 (os_age_range)"), "{state}");
    assert!(
        state.contains("history: complete, from record #1"),
        "{state}"
    );
}

/// Exit status 3: the store is damaged (documented in `--help` and the README).
const DAMAGED: i32 = 3;

#[test]
fn every_inspector_says_a_damaged_store_is_damaged_and_shows_what_its_good_records_say() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    let log = dir.path().join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    // Flip a byte in the record after the first records: agreement and the first grants
    // come before it.
    let end = {
        let mut pos = 8;
        let mut ends = Vec::new();
        while bytes[pos..pos + 8].iter().any(|&b| b != 0) {
            let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            pos += 8 + len + 32;
            ends.push(pos);
        }
        ends[ends.len() / 2]
    };
    bytes[end + 12] ^= 1;
    std::fs::write(&log, bytes).unwrap();
    for args in [
        &["state"][..],
        &["log"],
        &["report"],
        &["advice"],
        &["sdks"],
        &["policy"],
        &["export"],
        &["export", "--format", "ndjson"],
        &["export", "--format", "kantara"],
        &["verify"],
        &["--json", "state"],
        &["--json", "verify"],
    ] {
        let out = consentkit(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(DAMAGED),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("damaged at record"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !stdout(&out).contains("from record #1") || stdout(&out).contains("DAMAGED"),
            "{args:?}: never an empty healthy store"
        );
    }
    // What the good records say is there, marked.
    let state = stdout(&consentkit(dir.path(), &["state"]));
    assert!(state.starts_with("DAMAGED at record"), "{state}");
    assert!(
        state.contains("agreed"),
        "the policy agreed before the damage: {state}"
    );
    let verify: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["--json", "verify"]).stdout).unwrap();
    assert!(verify["records_checked"].as_u64().unwrap() > 5, "{verify}");
    let export: serde_json::Value =
        serde_json::from_slice(&consentkit(dir.path(), &["export"]).stdout).unwrap();
    assert!(
        export["damaged"]["first_bad_seq"].is_u64(),
        "the export says so"
    );
    assert!(!export["log"].as_array().unwrap().is_empty());
    let advice = stdout(&consentkit(dir.path(), &["advice"]));
    assert!(advice.contains("not now"), "{advice}");
    // The help says what the exit statuses mean.
    let help = Command::new(env!("CARGO_BIN_EXE_consentkit"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(stdout(&help).contains("3 the store is damaged"));
}

#[test]
fn an_existing_store_is_never_initialised_again_by_accident() {
    let dir = tempfile::tempdir().unwrap();
    let init = |args: &[&str]| {
        let mut all = vec!["init", "--app-id", "com.example.camera"];
        all.extend_from_slice(args);
        consentkit(dir.path(), &all)
    };
    assert!(init(&["--policy-revision", "2"]).status.success());
    let log = std::fs::read(dir.path().join("consent.log")).unwrap();
    let again = init(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already holds a store"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read(dir.path().join("consent.log")).unwrap(),
        log,
        "nothing changed"
    );
    // Asked explicitly: applied — but a policy step is never dropped.
    let dropped = init(&["--reconfigure"]);
    assert_eq!(dropped.status.code(), Some(2));
    assert!(
        stderr(&dropped).contains("policy step"),
        "{}",
        stderr(&dropped)
    );
    assert!(init(&["--reconfigure", "--policy-revision", "3"])
        .status
        .success());
    let policy = stdout(&consentkit(dir.path(), &["policy"]));
    assert!(policy.contains("revision 3"), "{policy}");
    // The demo runs on a new store, never on an existing one (its own included).
    let demo = tempfile::tempdir().unwrap();
    assert!(consentkit(demo.path(), &["demo"]).status.success());
    let twice = consentkit(demo.path(), &["demo"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("already holds a store"));
}

#[test]
fn a_damaged_store_or_one_whose_log_is_gone_is_never_initialised_again() {
    // A store with a policy step, agreed, then damaged: reconfiguring it would start its new
    // chain without the step.
    let dir = tempfile::tempdir().unwrap();
    let init = |dir: &Path, args: &[&str]| {
        let mut all = vec!["init", "--app-id", "com.example.camera"];
        all.extend_from_slice(args);
        consentkit(dir, &all)
    };
    assert!(init(dir.path(), &["--policy-revision", "2"])
        .status
        .success());
    assert!(consentkit(dir.path(), &["policy", "--agree"])
        .status
        .success());
    assert!(consentkit(dir.path(), &["grant", "camera"])
        .status
        .success());
    let log = dir.path().join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[200] ^= 0x10;
    std::fs::write(&log, &bytes).unwrap();
    let again = init(dir.path(), &["--reconfigure"]);
    assert_eq!(again.status.code(), Some(DAMAGED), "{}", stderr(&again));
    assert!(stderr(&again).contains("damaged"), "{}", stderr(&again));
    assert_eq!(std::fs::read(&log).unwrap(), bytes, "nothing changed");

    // A sealed store whose log was deleted: the key's anchor says it existed.
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("key");
    let key = key.to_str().unwrap();
    let sealed = |args: &[&str]| {
        let mut all = vec!["--seal-key", key];
        all.extend_from_slice(args);
        consentkit(dir.path(), &all)
    };
    assert!(sealed(&[
        "init",
        "--app-id",
        "com.example.camera",
        "--policy-revision",
        "2"
    ])
    .status
    .success());
    assert!(sealed(&["policy", "--agree"]).status.success());
    for name in ["consent.log", "consent.snapshot", "consent.index"] {
        let _ = std::fs::remove_file(dir.path().join(name));
    }
    for args in [&["state"][..], &["verify"], &["log"], &["export"]] {
        let out = sealed(args);
        assert_eq!(
            out.status.code(),
            Some(DAMAGED),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("missing"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let again = sealed(&["init", "--app-id", "com.example.camera"]);
    assert_eq!(again.status.code(), Some(DAMAGED), "{}", stderr(&again));
    assert!(!dir.path().join("consent.log").exists(), "nothing created");
}

#[test]
fn the_tools_export_has_the_apps_texts_and_kantara_receipts() {
    // The demo's app declares its SDKs' vendors, purposes, data and links, and its
    // controller: the tool, opening the store without the app's config, exports them too.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert!(consentkit(&store, &["demo"]).status.success());
    let export: serde_json::Value =
        serde_json::from_str(&stdout(&consentkit(&store, &["export"]))).unwrap();
    for entry in export["sdks"].as_array().unwrap() {
        let sdk = &entry["sdk"];
        for text in ["vendor", "purpose", "privacy_policy_url"] {
            assert_ne!(sdk[text], "", "{text} of {sdk}");
        }
        assert_ne!(sdk["name"], sdk["id"], "{sdk}");
    }
    let camera = &export["consent_records"][0];
    assert_eq!(
        camera["controller"]["name"], "Example Camera Ltd.",
        "{camera}"
    );
    assert_eq!(
        camera["notice"]["url"],
        "https://camera.example.com/privacy"
    );
    let receipts = consentkit(&store, &["export", "--format", "kantara"]);
    assert!(receipts.status.success(), "{}", stderr(&receipts));
    let receipts: serde_json::Value = serde_json::from_str(&stdout(&receipts)).unwrap();
    let counting = export["consent_records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["counts"] == true)
        .count();
    assert!(counting > 0);
    assert_eq!(receipts.as_array().unwrap().len(), counting);
    assert_eq!(receipts[0]["version"], "KI-CR-v1.1.0");
}
