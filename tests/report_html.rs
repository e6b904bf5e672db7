//! `consentkit report --html`: one self-contained page with the report's table and a timeline.

use std::path::Path;
use std::process::Command;

fn consentkit(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_consentkit"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_html_report_has_a_row_per_feature_and_a_bar_per_use_and_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    consentkit(&store, &["demo"]);
    let page_path = dir.path().join("report.html");
    consentkit(&store, &["report", "--html", page_path.to_str().unwrap()]);
    let page = std::fs::read_to_string(&page_path).unwrap();

    let report: serde_json::Value =
        serde_json::from_slice(&consentkit(&store, &["report", "--json"]).stdout).unwrap();
    for feature in report["features"].as_array().unwrap() {
        let name = feature["feature"].as_str().unwrap();
        let row = format!("<tr><th>{name}</th><td>{}</td>", feature["uses"]);
        assert!(page.contains(&row), "no row {row:?} in\n{page}");
    }
    assert!(page.contains("Privacy policy revision 1: agreed."));

    // One bar per use session in the window: the demo closes every session it opens.
    let log: serde_json::Value =
        serde_json::from_slice(&consentkit(&store, &["log", "--since", "7d", "--json"]).stdout)
            .unwrap();
    let sessions = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "session_began")
        .count();
    assert!(sessions > 3);
    assert_eq!(page.matches("<rect class=\"use\"").count(), sessions);
    assert!(page.contains("<svg") && page.contains("</svg>"));

    // Self-contained: no scripts, no links, nothing loaded from anywhere.
    for outside in ["<script", "src=", "href=", "url(", "@import", "<link"] {
        assert!(!page.contains(outside), "the page loads {outside:?}");
    }
}

#[test]
fn an_unwritable_html_path_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    consentkit(dir.path(), &["init", "--app-id", "com.example.camera"]);
    let out = Command::new(env!("CARGO_BIN_EXE_consentkit"))
        .arg("--dir")
        .arg(dir.path())
        .args(["report", "--html"])
        .arg(dir.path().join("missing").join("report.html"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("report.html") && err.contains("No such file"),
        "{err}"
    );
}
