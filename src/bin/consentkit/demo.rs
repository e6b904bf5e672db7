//! `consentkit demo`: a camera app's consent flow, step by step, on an on-disk store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use consentkit::{
    Actor, AuditFilter, Clock, ConsentChange, ConsentConfig, ConsentError, ConsentObserver,
    ConsentStore, FakeClock, Feature, FeaturePolicy, GrantScope, OsPermission, StoreOptions,
    SystemClock, UseSession,
};

use crate::output;

const APP_ID: &str = "com.example.camera";

/// The user's scripted pauses add up to this. The demo's simulated clock starts this long
/// before now, so the store it leaves never holds a record from the future.
const SCRIPTED_PAUSES_MS: u64 = 2_000 + 12_000 + 300 + 100 + 4_000 + 1_500;

/// Prints what an app's observer would hear: the moments the UI must react to.
struct PrintChanges;

impl ConsentObserver for PrintChanges {
    fn on_change(&self, change: ConsentChange) {
        let what = match change.end_reason {
            Some(reason) => format!("session ended ({})", reason.as_str()),
            None => change.kind.as_str().replace('_', " "),
        };
        println!(
            "      observer: {} {what} -> {}{}",
            change.feature.as_str(),
            change.state.status.as_str(),
            if change.state.allowed { ", in use" } else { "" }
        );
    }
}

struct Demo {
    store: Arc<ConsentStore>,
    clock: Arc<FakeClock>,
    dir: PathBuf,
    step: u32,
}

impl Demo {
    fn step(&mut self, title: &str) {
        self.step += 1;
        println!("\n{}. {title}", self.step);
    }

    /// The app opens a use session; when consent was never asked it prompts right then.
    fn use_feature(
        &self,
        feature: Feature,
        purpose: &str,
        user_allows: Option<GrantScope>,
    ) -> Result<Option<Arc<UseSession>>, String> {
        match self.store.begin_use(feature, purpose.into()) {
            Ok(session) => {
                println!(
                    "   begin_use({}, {purpose}) -> session #{}",
                    feature.as_str(),
                    session.id()
                );
                Ok(Some(session))
            }
            Err(ConsentError::ConsentRequired { .. }) => {
                println!("   begin_use({}, {purpose}) -> consent required: the app asks now, at the moment of use", feature.as_str());
                match user_allows {
                    Some(scope) => {
                        println!(
                            "   prompt: \"Allow {} for '{purpose}'?\" -> user taps {}",
                            feature.as_str(),
                            if scope == GrantScope::Once {
                                "Allow once"
                            } else {
                                "Allow"
                            }
                        );
                        self.store
                            .grant(feature, scope, Actor::User)
                            .map_err(|e| e.to_string())?;
                        println!("   then the OS permission dialog -> Allow");
                        self.store
                            .set_os_permission(feature, OsPermission::Granted)
                            .map_err(|e| e.to_string())?;
                        self.use_feature(feature, purpose, None)
                    }
                    None => {
                        println!(
                            "   prompt: \"Allow {} for '{purpose}'?\" -> user taps Don't allow",
                            feature.as_str()
                        );
                        self.store
                            .deny(feature, Actor::User)
                            .map_err(|e| e.to_string())?;
                        Ok(None)
                    }
                }
            }
            Err(refused) => {
                println!(
                    "   begin_use({}, {purpose}) -> refused: {refused}",
                    feature.as_str()
                );
                Ok(None)
            }
        }
    }

    fn show_allowed(&self, feature: Feature) {
        println!(
            "   is_allowed({}) = {}",
            feature.as_str(),
            self.store.is_allowed(feature)
        );
    }

    fn reopen(&mut self, config: ConsentConfig) -> Result<(), String> {
        self.store.close().map_err(|e| e.to_string())?;
        self.store = open(&self.dir, config, &self.clock)?;
        Ok(())
    }
}

fn open(
    dir: &Path,
    config: ConsentConfig,
    clock: &Arc<FakeClock>,
) -> Result<Arc<ConsentStore>, String> {
    let options = StoreOptions {
        clock: clock.clone(),
        ..StoreOptions::default()
    };
    let store = ConsentStore::open_with(dir, Some(config), options).map_err(|e| e.to_string())?;
    // The subscription lives as long as the store; the demo never unsubscribes.
    std::mem::forget(store.subscribe(Arc::new(PrintChanges)));
    Ok(store)
}

fn ok<T>(result: Result<T, ConsentError>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

pub fn run(dir: Option<&Path>) -> Result<(), String> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => tempfile::Builder::new()
            .prefix("consentkit-demo-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep(),
    };
    // The user's pauses are scripted so the report has real durations; they end about now.
    let started = SystemClock::default().now_ms() - SCRIPTED_PAUSES_MS as i64;
    let clock = Arc::new(FakeClock::new(started));
    println!(
        "consentkit demo: a camera app ({APP_ID}) with its store in {}",
        dir.display()
    );
    println!("(the user's pauses are scripted on a simulated clock)");
    let mut demo = Demo {
        store: open(&dir, ConsentConfig::new(APP_ID), &clock)?,
        clock,
        dir,
        step: 0,
    };

    demo.step("Launch. Nothing is asked at launch; every feature starts off.");
    output::states(&demo.store.states(), false);

    demo.step("The user taps the shutter.");
    let photo = demo.use_feature(
        Feature::Camera,
        "shoot_photo",
        Some(GrantScope::UntilRevoked),
    )?;
    demo.show_allowed(Feature::Camera);
    let sensors = demo.use_feature(
        Feature::MotionSensors,
        "orientation",
        Some(GrantScope::UntilRevoked),
    )?;
    demo.clock.advance(2_000);
    println!("   photo taken (landscape, from the motion sensors); sessions end");
    drop(sensors);
    drop(photo);
    demo.show_allowed(Feature::Camera);

    demo.step("The user records a video; the app asks for the microphone, the user declines.");
    let video = demo.use_feature(Feature::Camera, "record_video", None)?;
    let _no_mic = demo.use_feature(Feature::Microphone, "record_video", None)?;
    demo.clock.advance(12_000);
    println!("   a silent 12 s video is recorded");
    drop(video);

    demo.step("The user saves it to the photo library.");
    let save = demo.use_feature(
        Feature::PhotoLibrary,
        "save_media",
        Some(GrantScope::UntilRevoked),
    )?;
    demo.clock.advance(300);
    drop(save);

    demo.step("The user pastes a share code: clipboard allowed once.");
    let paste = demo.use_feature(Feature::Clipboard, "share_code", Some(GrantScope::Once))?;
    demo.clock.advance(100);
    drop(paste);
    println!(
        "   clipboard is now {} (the single use was consumed)",
        demo.store.state(Feature::Clipboard).status.as_str()
    );
    demo.use_feature(Feature::Clipboard, "login", None)?;

    demo.step("The user starts shooting, then switches apps: background is not use.");
    let shooting = demo.use_feature(Feature::Camera, "shoot_photo", None)?;
    demo.clock.advance(4_000);
    ok(demo.store.set_foreground(false))?;
    println!(
        "   session still active? {}",
        shooting.as_ref().is_some_and(|s| s.is_active())
    );
    demo.use_feature(Feature::Camera, "shoot_photo", None)?;
    ok(demo.store.set_foreground(true))?;

    demo.step("Back in the app the camera is in use; the user revokes it in Settings › Privacy.");
    let live = demo.use_feature(Feature::Camera, "shoot_photo", None)?;
    demo.clock.advance(1_500);
    ok(demo.store.revoke(Feature::Camera, Actor::User))?;
    println!(
        "   session still active? {}",
        live.as_ref().is_some_and(|s| s.is_active())
    );
    demo.show_allowed(Feature::Camera);
    demo.use_feature(Feature::Camera, "shoot_photo", None)?;

    demo.step(
        "The app ships revision 2 of its photo-library terms; only that feature is asked again.",
    );
    let mut library = FeaturePolicy::default_for(Feature::PhotoLibrary);
    library.terms_revision = 2;
    demo.reopen(ConsentConfig::new(APP_ID).with_policy(library))?;
    demo.use_feature(
        Feature::PhotoLibrary,
        "save_media",
        Some(GrantScope::UntilRevoked),
    )?;
    output::states(&demo.store.states(), false);

    demo.step("Settings › Privacy › Privacy report (last 7 days).");
    let now = demo.clock.now_ms();
    output::report(
        &ok(demo.store.privacy_report(now - 7 * 86_400_000, now + 1))?,
        false,
    );

    demo.step("The audit log (newest 12 of its records) and its verification.");
    output::log(
        &ok(demo.store.audit_log(AuditFilter {
            limit: Some(12),
            ..AuditFilter::default()
        }))?,
        false,
    );
    output::verify(&ok(demo.store.verify())?, false);

    ok(demo.store.close())?;
    if demo.clock.now_ms() > SystemClock::default().now_ms() {
        return Err(
            "the demo's script ran past the present: SCRIPTED_PAUSES_MS is out of date".into(),
        );
    }
    println!("\nThe store is in {0}. Try:\n  consentkit --dir {0} log\n  consentkit --dir {0} export --format ndjson", demo.dir.display());
    Ok(())
}
