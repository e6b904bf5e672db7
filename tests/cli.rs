//! The `consentkit` command-line tool, run as a user would.

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
        "consent required: the app asks now",
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
    assert_eq!(status(2), "needs_reconsent", "photo library terms changed");
    assert_eq!(status(4), "granted", "motion sensors kept");
}

#[test]
fn qa_decisions_inspection_and_exports_work_on_an_existing_store() {
    let dir = tempfile::tempdir().unwrap();
    assert!(consentkit(dir.path(), &["demo"]).status.success());
    let granted = consentkit(dir.path(), &["grant", "ad_personalization"]);
    assert!(granted.status.success());
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
    assert!(!verify.status.success());
    assert!(stdout(&verify).contains("DAMAGED"));

    let missing = consentkit(&dir.path().join("nothing-here"), &["state"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no consentkit store"));
    let bad_feature = consentkit(dir.path(), &["grant", "location"]);
    assert!(!bad_feature.status.success());
    let bad_since = consentkit(dir.path(), &["log", "--since", "yesterday"]);
    assert!(String::from_utf8_lossy(&bad_since.stderr).contains("--since"));
}
