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

#[test]
fn the_html_report_is_its_owners_only_says_where_it_went_in_json_and_takes_a_bounded_window() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    consentkit(&store, &["init", "--app-id", "com.example.camera"]);
    let page = dir.path().join("report.html");
    // Written as the store is (0600), also over a page another program left readable.
    std::fs::write(&page, "old").unwrap();
    std::fs::set_permissions(&page, std::fs::Permissions::from_mode(0o644)).unwrap();
    let page_arg = page.to_str().unwrap();
    let wrote = consentkit(&store, &["--json", "report", "--html", page_arg]);
    let mode = std::fs::metadata(&page).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    assert!(std::fs::read_to_string(&page).unwrap().contains("<svg"));
    // --json is honoured: where the page went, as JSON.
    let said: serde_json::Value = serde_json::from_slice(&wrote.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&wrote.stdout)));
    assert_eq!(said["html"], page_arg);
    // A window of a hundred million days is refused, not turned into a negative time.
    let out = Command::new(env!("CARGO_BIN_EXE_consentkit"))
        .arg("--dir")
        .arg(&store)
        .args(["report", "--days", "100000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--days"), "{err}");
}
