//! The README's Rust quickstart, compiled with every test run so it cannot rot.

use std::sync::Arc;

use consentkit::{
    Actor, Clock, ConsentChange, ConsentConfig, ConsentError, ConsentObserver, ConsentStore,
    Feature, GrantScope, SystemClock,
};

struct PrivacyScreen;

impl ConsentObserver for PrivacyScreen {
    fn on_change(&self, change: ConsentChange) {
        if let Some(state) = change.state {
            println!("{:?} is now {:?}", state.feature, state.status);
        }
    }
}

fn main() -> Result<(), ConsentError> {
    let dir = std::env::temp_dir().join(format!("consentkit-quickstart-{}", std::process::id()));
    let store = ConsentStore::open(
        dir.display().to_string(),
        ConsentConfig::new("com.example.camera"),
    )?;
    store.set_foreground(true)?; // on screen: a store is in the background until told
    let _subscription = store.subscribe(Arc::new(PrivacyScreen));

    // The shutter was tapped: open a use session, prompting at this moment if needed.
    let session = match store.begin_use(Feature::Camera, "shoot_photo".into()) {
        Ok(session) => session,
        Err(ConsentError::ConsentRequired { .. }) => {
            // Show the prompt; the user allows:
            store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)?;
            store.begin_use(Feature::Camera, "shoot_photo".into())?
        }
        Err(refused) => return Err(refused), // denied, needs reconsent, OS denied, …
    };
    assert!(store.is_allowed(Feature::Camera));
    // … take the photo …
    session.end()?; // or just drop it

    // Settings › Privacy
    for state in store.states() {
        println!("{:?}: {:?}", state.feature, state.status);
    }
    let now = SystemClock::default().now_ms();
    let report = store.privacy_report(now - 7 * 86_400_000, now + 1)?;
    println!("camera used {} time(s)", report.features[0].uses);
    let portable = store.export_json()?; // consent records + the whole log
    println!("export: {} bytes", portable.len());

    store.close()?;
    std::fs::remove_dir_all(dir).ok();
    Ok(())
}
