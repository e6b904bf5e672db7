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
fn the_html_report_has_a_card_per_feature_a_bar_and_an_item_per_use_and_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    consentkit(&store, &["demo"]);
    let page_path = dir.path().join("report.html");
    consentkit(&store, &["report", "--html", page_path.to_str().unwrap()]);
    let page = std::fs::read_to_string(&page_path).unwrap();

    let report: serde_json::Value =
        serde_json::from_slice(&consentkit(&store, &["report", "--json"]).stdout).unwrap();
    for feature in report["features"].as_array().unwrap() {
        let id = feature["feature"].as_str().unwrap();
        let card = format!(r#"<article class="card" data-feature="{id}""#);
        assert!(page.contains(&card), "no card {card:?} in\n{page}");
        let uses = format!(r#"<dd data-field="uses">{}</dd>"#, feature["uses"]);
        let card_text = &page[page.find(&card).unwrap()..];
        let card_text = &card_text[..card_text.find("</article>").unwrap()];
        assert!(card_text.contains(&uses), "{uses} not in {card_text}");
    }
    assert!(page.contains("Privacy policy revision 1: agreed."));
    // Landmarks, and the names the app's texts give instead of ids.
    for landmark in ["<header>", "<main>", "<footer>", r#"<html lang="en">"#] {
        assert!(page.contains(landmark), "{landmark}");
    }
    assert!(
        page.contains("Photo library") && page.contains("Take a photo when you tap the shutter")
    );

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
    // Every use is also a list item (touch and screen readers do not reach the bars).
    assert_eq!(page.matches("<li data-begin=").count(), sessions);

    // In Simplified Chinese: the same page in the person's language.
    let zh_path = dir.path().join("report-zh.html");
    consentkit(
        &store,
        &[
            "report",
            "--html",
            zh_path.to_str().unwrap(),
            "--lang",
            "zh-CN",
        ],
    );
    let zh = std::fs::read_to_string(&zh_path).unwrap();
    assert!(zh.contains(r#"<html lang="zh-Hans">"#) && zh.contains("隐私报告"));
    assert!(zh.contains("相册") && zh.contains("在你按下快门时拍照"));
    assert_eq!(zh.matches("<li data-begin=").count(), sessions);

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

#[test]
fn a_language_the_report_does_not_come_in_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    consentkit(&store, &["init", "--app-id", "com.example.camera"]);
    let out = Command::new(env!("CARGO_BIN_EXE_consentkit"))
        .arg("--dir")
        .arg(&store)
        .args(["report", "--html"])
        .arg(dir.path().join("r.html"))
        .args(["--lang", "zh-TW"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("zh (Simplified Chinese)"), "{err}");
    assert!(!dir.path().join("r.html").exists());
}
