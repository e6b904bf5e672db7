//! `consentkit demo`: a camera app's consent flow, step by step, on an on-disk store.
//!
//! Over 400 lines on purpose: one script read top to bottom — the app's config, the observers
//! whose lines interleave with each step's, then the story, a method per step.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use consentkit::{
    Actor, AgeSignal, AgeSource, AuditFilter, Clock, ConsentChange, ConsentConfig, ConsentError,
    ConsentObserver, ConsentStore, Controller, FakeClock, Feature, FeaturePolicy, GrantScope,
    OsPermission, PromptAdvice, SdkPolicy, StoreOptions, SystemClock, UseSession,
};

use crate::output;

const APP_ID: &str = "com.example.camera";

/// The user's scripted pauses add up to this. The demo's simulated clock starts this long
/// before now, so the store it leaves never holds a record from the future.
const SCRIPTED_PAUSES_MS: u64 = 2_000 + 12_000 + 300 + 100 + 4_000 + 1_500;

/// Prints what an app's observer would hear: the moments the UI must react to. Of SDK
/// statuses, only whether each may start (what an app acts on).
#[derive(Default)]
struct PrintChanges {
    sdk_may_start: Mutex<HashMap<String, bool>>,
}

impl ConsentObserver for PrintChanges {
    fn on_change(&self, change: ConsentChange) {
        if let (Some(feature), Some(state)) = (change.feature, &change.state) {
            let what = match change.end_reason {
                Some(reason) => format!("session ended ({})", reason.as_str()),
                None => change.kind.as_str().replace('_', " "),
            };
            println!(
                "      observer: {} {what} -> {}{}",
                feature.as_str(),
                state.status.as_str(),
                if state.allowed { ", in use" } else { "" }
            );
        } else if let Some(policy) = &change.policy {
            println!(
                "      observer: privacy policy -> {}{}",
                policy.status.as_str(),
                if policy.basic_mode {
                    " (basic mode)"
                } else {
                    ""
                }
            );
        } else if let Some(status) = change.sdk {
            let before = self
                .sdk_may_start
                .lock()
                .unwrap()
                .insert(status.id.clone(), status.may_start);
            if before == Some(status.may_start) {
                return;
            }
            println!(
                "      observer: SDK {} -> {}",
                status.id,
                status
                    .blocked_by
                    .map_or("may start".to_string(), |b| format!(
                        "held ({})",
                        output::blocked(b)
                    ))
            );
        } else if let Some(ads) = change.ad_signals {
            println!(
                "      observer: ad signals -> {}",
                output::ad_signals_line(&ads)
            );
        }
    }
}

/// What an app does with each SDK: start it as soon as it may, never before (the Kotlin and
/// Swift layers call this `whenSdkMayStart`). Each start is recorded first.
struct SdkLauncher {
    store: Mutex<Weak<ConsentStore>>,
    started: Mutex<HashSet<String>>,
}

impl SdkLauncher {
    /// Starts every SDK that may start now (at launch).
    fn launch_ready(&self) {
        let Some(store) = self.store.lock().unwrap().upgrade() else {
            return;
        };
        for entry in store.sdk_catalog() {
            if entry.status.may_start {
                self.launch(&store, &entry.sdk.id);
            }
        }
    }

    /// Starts `id` once per process. It is marked first: recording the start changes its
    /// status, and this observer hears of that before `sdk_started` returns.
    fn launch(&self, store: &ConsentStore, id: &str) {
        if !self.started.lock().unwrap().insert(id.to_string()) {
            return;
        }
        // Recorded before the SDK runs; refused (and recorded) if it may not after all.
        match store.sdk_started(id.to_string()) {
            Ok(()) => println!("      app: SDK {id} initialised (its start is recorded)"),
            Err(_) => {
                self.started.lock().unwrap().remove(id);
            }
        }
    }
}

impl ConsentObserver for SdkLauncher {
    fn on_change(&self, change: ConsentChange) {
        let Some(status) = change.sdk.filter(|s| s.may_start) else {
            return;
        };
        if let Some(store) = self.store.lock().unwrap().upgrade() {
            self.launch(&store, &status.id);
        }
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
            Err(refused) if refused.needs_policy_agreement() => {
                println!(
                    "   begin_use({}, {purpose}) -> refused: {refused}",
                    feature.as_str()
                );
                println!("   the app shows what works in basic mode, and a banner to review the policy (no camera prompt)");
                Ok(None)
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
    // The demo app is on screen: it says so, as its first activity would (a store is in the
    // background until told).
    store.set_foreground(true).map_err(|e| e.to_string())?;
    // The subscriptions live as long as the store; the demo never unsubscribes.
    std::mem::forget(store.subscribe(Arc::new(PrintChanges::default())));
    let launcher = Arc::new(SdkLauncher {
        store: Mutex::new(Arc::downgrade(&store)),
        started: Mutex::default(),
    });
    std::mem::forget(store.subscribe(launcher.clone()));
    launcher.launch_ready();
    Ok(store)
}

/// The demo app's config: a privacy policy agreed to as a whole (as a Chinese app's must be),
/// its users in China, and the three SDKs its policy's catalogue lists.
fn config() -> ConsentConfig {
    let sdk = |id: &str, name: &str, vendor: &str, purpose: &str, data: &[&str]| SdkPolicy {
        id: id.into(),
        name: name.into(),
        vendor: vendor.into(),
        purpose: purpose.into(),
        data_collected: data.iter().map(|d| d.to_string()).collect(),
        requires: Vec::new(),
        privacy_policy_url: format!("https://{id}.example.com/privacy"),
        not_for_minors: false,
    };
    let mut config = ConsentConfig::new(APP_ID)
        .with_policy_revision(1)
        .with_sdk(sdk(
            "ads",
            "Example Ads",
            "Example Ads Ltd.",
            "Advertising",
            &["Device identifiers (OAID, IDFA)", "IP address"],
        ))
        .with_sdk(sdk(
            "crash_reports",
            "Example Crash Reporter",
            "Example Diagnostics Inc.",
            "Crash reports",
            &["Device model and OS version", "Crash stack traces"],
        ))
        .with_sdk(SdkPolicy {
            requires: vec![Feature::Camera],
            ..sdk(
                "ar_filters",
                "Example AR Filters",
                "Example Vision Co.",
                "Face filters in the camera",
                &["Camera frames, processed on the device"],
            )
        });
    config.jurisdiction = Some("CN".into());
    config.with_notice(
        Controller {
            name: "Example Camera Ltd.".into(),
            email: "privacy@camera.example.com".into(),
            contact: Some("Personal Information Protection Officer".into()),
            phone: None,
            address: Some("1 Example Road, Shanghai".into()),
            url: Some("https://camera.example.com".into()),
        },
        "https://camera.example.com/privacy",
        "en",
    )
}

fn ok<T>(result: Result<T, ConsentError>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

/// Prompt advice in a few words.
fn advice_text(advice: PromptAdvice) -> String {
    match advice {
        PromptAdvice::NotNow { until_ms } => {
            let hours = (until_ms - SystemClock::default().now_ms()) as f64 / 3_600_000.0;
            format!("not now (for {hours:.0} more hours)")
        }
        other => other.as_str().replace('_', " "),
    }
}

/// A call's outcome in a few words, for calls the demo expects to be refused.
fn describe(result: Result<(), ConsentError>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => format!("refused: {e}"),
    }
}

/// The demo's story, a step per method of [`Demo`]: first launch and the policy, the first
/// photo, settings, purposes asked for one by one, the background and a revoke, a terms update,
/// a minor and their guardian, then what the person can see (SDKs, report, audit log).
pub fn run(dir: Option<&Path>) -> Result<(), String> {
    let mut demo = Demo::start(new_store_dir(dir)?)?;
    demo.first_launch();
    demo.policy_declined()?;
    demo.policy_agreed_from_the_banner()?;
    demo.first_photo()?;
    demo.personalised_ads_on_and_off()?;
    demo.video_without_the_microphone()?;
    demo.save_to_the_photo_library()?;
    demo.paste_a_share_code_once()?;
    demo.paste_a_login_code()?;
    demo.background_is_not_use()?;
    demo.revoke_while_in_use()?;
    demo.relaunch_with_new_terms()?;
    demo.a_minor_and_their_guardian()?;
    demo.sdk_settings();
    demo.privacy_report()?;
    demo.audit_log()?;
    demo.finish()
}

/// The directory the demo's store goes in: `dir`, or a new temporary one.
fn new_store_dir(dir: Option<&Path>) -> Result<PathBuf, String> {
    match dir {
        // The demo changes its terms as it goes: it runs on a new store, never on one that
        // exists (its own from an earlier run included), which it would leave as it is.
        Some(dir) if dir.join("consent.log").exists() => Err(format!(
            "{} already holds a store: nothing changed (the demo runs on a new one: give another --dir, or none)",
            dir.display()
        )),
        Some(dir) => Ok(dir.to_path_buf()),
        None => Ok(tempfile::Builder::new()
            .prefix("consentkit-demo-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep()),
    }
}

impl Demo {
    /// Opens the app's store in `dir` on a simulated clock.
    fn start(dir: PathBuf) -> Result<Demo, String> {
        // The user's pauses are scripted so the report has real durations; they end about now.
        let started = SystemClock::default().now_ms() - SCRIPTED_PAUSES_MS as i64;
        let clock = Arc::new(FakeClock::new(started));
        println!(
            "consentkit demo: a camera app ({APP_ID}) with its store in {}",
            dir.display()
        );
        println!("(the user's pauses are scripted on a simulated clock)");
        Ok(Demo {
            store: open(&dir, config(), &clock)?,
            clock,
            dir,
            step: 0,
        })
    }

    fn first_launch(&mut self) {
        self.step("First launch: the privacy-policy dialog comes before anything else.");
        output::policy(&self.store.policy_state(), false);
        println!("   the SDK catalogue the policy links to; each SDK waits for whenSdkMayStart:");
        output::sdks(&self.store.sdk_catalog(), &self.store.ad_signals(), false);
        println!(
            "   an SDK that tries to start anyway: sdk_started(ads) -> {}",
            describe(self.store.sdk_started("ads".into()))
        );
    }

    fn policy_declined(&mut self) -> Result<(), String> {
        self.step("The user taps Disagree: basic mode. The app still opens, without them.");
        ok(self.store.decline_policy(Actor::User))?;
        self.use_feature(Feature::Camera, "shoot_photo", None)?;
        println!(
            "   grant(camera) -> {}",
            describe(
                self.store
                    .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
            )
        );
        Ok(())
    }

    fn policy_agreed_from_the_banner(&mut self) -> Result<(), String> {
        self.step("From the basic-mode banner the user reads the policy again and taps Agree.");
        ok(self.store.agree_to_policy(Actor::User))?;
        println!(
            "   agreeing turned no feature on: camera is {}; nothing was asked at launch",
            self.store.state(Feature::Camera).status.as_str()
        );
        Ok(())
    }

    fn first_photo(&mut self) -> Result<(), String> {
        self.step("The user taps the shutter.");
        let photo = self.use_feature(
            Feature::Camera,
            "shoot_photo",
            Some(GrantScope::UntilRevoked),
        )?;
        self.show_allowed(Feature::Camera);
        let sensors = self.use_feature(
            Feature::MotionSensors,
            "orientation",
            Some(GrantScope::UntilRevoked),
        )?;
        self.clock.advance(2_000);
        println!("   photo taken (landscape, from the motion sensors); sessions end");
        drop(sensors);
        drop(photo);
        self.show_allowed(Feature::Camera);
        Ok(())
    }

    fn personalised_ads_on_and_off(&mut self) -> Result<(), String> {
        self.step(
            "Settings › Privacy › Personalised ads: the user switches it on, then off again.",
        );
        ok(self.store.grant(
            Feature::AdPersonalization,
            GrantScope::UntilRevoked,
            Actor::User,
        ))?;
        ok(self.store.revoke(Feature::AdPersonalization, Actor::User))?;
        println!(
            "   ads are served with {}",
            output::ad_signals_line(&self.store.ad_signals())
        );
        Ok(())
    }

    fn video_without_the_microphone(&mut self) -> Result<(), String> {
        self.step("The user records a video; the app asks for the microphone, the user declines.");
        let video = self.use_feature(Feature::Camera, "record_video", None)?;
        let _no_mic = self.use_feature(Feature::Microphone, "record_video", None)?;
        println!(
            "   prompt_advice(microphone) = {}: the next video does not prompt again; the app shows a way to Settings",
            advice_text(self.store.prompt_advice(Feature::Microphone))
        );
        self.clock.advance(12_000);
        println!("   a silent 12 s video is recorded");
        drop(video);
        Ok(())
    }

    fn save_to_the_photo_library(&mut self) -> Result<(), String> {
        self.step("The user saves it to the photo library.");
        let save = self.use_feature(
            Feature::PhotoLibrary,
            "save_media",
            Some(GrantScope::UntilRevoked),
        )?;
        self.clock.advance(300);
        drop(save);
        Ok(())
    }

    fn paste_a_share_code_once(&mut self) -> Result<(), String> {
        self.step("The user pastes a share code: clipboard allowed once.");
        let paste = self.use_feature(Feature::Clipboard, "share_code", Some(GrantScope::Once))?;
        self.clock.advance(100);
        drop(paste);
        println!(
            "   clipboard is now {} (the single use was consumed)",
            self.store.state(Feature::Clipboard).status.as_str()
        );
        Ok(())
    }

    fn paste_a_login_code(&mut self) -> Result<(), String> {
        self.step("Later the user pastes a login code: the app asks for 'login' only.");
        match self.store.begin_use(Feature::Clipboard, "login".into()) {
            Err(ConsentError::ConsentRequired {
                purpose: Some(purpose),
                ..
            }) => println!("   begin_use(clipboard, login) -> consent required for {purpose}"),
            other => return Err(format!("expected to be asked for login, got {other:?}")),
        }
        println!("   prompt: \"Allow reading the clipboard to sign you in?\" -> user taps Allow");
        ok(self.store.grant_purposes(
            Feature::Clipboard,
            vec!["login".into()],
            GrantScope::UntilRevoked,
            Actor::User,
        ))?;
        drop(ok(self
            .store
            .begin_use(Feature::Clipboard, "login".into()))?);
        println!(
            "   clipboard covers {:?}: the login code is read",
            self.store.state(Feature::Clipboard).granted_purposes
        );
        let stats = self
            .store
            .begin_use(Feature::Clipboard, "channel_stats".into());
        println!(
            "   the app's channel statistics would read it too: begin_use(clipboard, channel_stats) -> {}",
            stats.err().map_or("ok".into(), |e| e.to_string())
        );
        println!("   a purpose the grant does not cover is asked for on its own, when it is used");
        Ok(())
    }

    fn background_is_not_use(&mut self) -> Result<(), String> {
        self.step("The user starts shooting, then switches apps: background is not use.");
        let shooting = self.use_feature(Feature::Camera, "shoot_photo", None)?;
        self.clock.advance(4_000);
        ok(self.store.set_foreground(false))?;
        println!(
            "   session still active? {}",
            shooting.as_ref().is_some_and(|s| s.is_active())
        );
        self.use_feature(Feature::Camera, "shoot_photo", None)?;
        ok(self.store.set_foreground(true))?;
        Ok(())
    }

    fn revoke_while_in_use(&mut self) -> Result<(), String> {
        self.step(
            "Back in the app the camera is in use; the user revokes it in Settings › Privacy.",
        );
        let live = self.use_feature(Feature::Camera, "shoot_photo", None)?;
        self.clock.advance(1_500);
        ok(self.store.revoke(Feature::Camera, Actor::User))?;
        println!(
            "   session still active? {}",
            live.as_ref().is_some_and(|s| s.is_active())
        );
        self.show_allowed(Feature::Camera);
        self.use_feature(Feature::Camera, "shoot_photo", None)?;
        Ok(())
    }

    fn relaunch_with_new_terms(&mut self) -> Result<(), String> {
        self.step(
            "The app is updated with revision 2 of its photo-library terms and relaunched: the SDKs that may start do so at once; only the photo library is asked again.",
        );
        let mut library = FeaturePolicy::default_for(Feature::PhotoLibrary);
        library.terms_revision = 2;
        self.reopen(config().with_policy(library))?;
        self.use_feature(
            Feature::PhotoLibrary,
            "save_media",
            Some(GrantScope::UntilRevoked),
        )?;
        output::states(&self.store.states(), false);
        Ok(())
    }

    fn a_minor_and_their_guardian(&mut self) -> Result<(), String> {
        self.step("The OS age-range service reports 13-15: in China (14) the person is a minor.");
        ok(self.store.set_age_signal(AgeSignal {
            lower: 13,
            upper: Some(15),
            source: AgeSource::OsAgeRange,
        }))?;
        println!(
            "   the policy now needs a guardian: policy_prompt_advice = {}",
            advice_text(self.store.policy_prompt_advice())
        );
        println!("   a guardian reviews the policy with the minor and agrees");
        ok(self.store.agree_to_policy(Actor::Guardian))?;
        println!(
            "   the minor saves a photo: photo_library advice = {}",
            advice_text(self.store.prompt_advice(Feature::PhotoLibrary))
        );
        println!(
            "   grant by the minor -> {}",
            describe(self.store.grant(
                Feature::PhotoLibrary,
                GrantScope::UntilRevoked,
                Actor::User
            ))
        );
        ok(self.store.grant(
            Feature::PhotoLibrary,
            GrantScope::UntilRevoked,
            Actor::Guardian,
        ))?;
        println!("   the guardian allows it:");
        drop(self.use_feature(Feature::PhotoLibrary, "save_media", None)?);
        println!(
            "   ads for a minor: {}",
            output::ad_signals_line(&self.store.ad_signals())
        );
        Ok(())
    }

    fn sdk_settings(&mut self) {
        self.step("Settings › Privacy › Third-party SDKs.");
        output::sdks(&self.store.sdk_catalog(), &self.store.ad_signals(), false);
    }

    fn privacy_report(&mut self) -> Result<(), String> {
        self.step("Settings › Privacy › Privacy report (last 7 days).");
        let now = self.clock.now_ms();
        output::report(
            &ok(self.store.privacy_report(now - 7 * 86_400_000, now + 1))?,
            false,
        );
        Ok(())
    }

    fn audit_log(&mut self) -> Result<(), String> {
        self.step("The audit log (newest 12 of its records) and its verification.");
        output::log(
            &ok(self.store.audit_log(AuditFilter {
                limit: Some(12),
                ..AuditFilter::default()
            }))?,
            false,
        );
        output::verify(&ok(self.store.verify())?, false);
        Ok(())
    }

    /// Closes the store, and says where it is and how to look at it.
    fn finish(self) -> Result<(), String> {
        ok(self.store.close())?;
        if self.clock.now_ms() > SystemClock::default().now_ms() {
            return Err(
                "the demo's script ran past the present: SCRIPTED_PAUSES_MS is out of date".into(),
            );
        }
        println!("\nThe store is in {0}. Try:\n  consentkit --dir {0} log\n  consentkit --dir {0} export --format ndjson", self.dir.display());
        Ok(())
    }
}
