//! The `consentkit` command-line tool: run the demo, inspect a store, and make decisions for QA.
//!
//! Over 400 lines: the CLI's arguments (clap derives) and one short arm per verb; the work is in `demo.rs`, `output.rs`, `html.rs` and the library.

mod demo;
mod html;
mod keys;
mod output;
mod timespec;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use consentkit::{
    Actor, AuditFilter, ConsentConfig, ConsentError, ConsentStore, Feature, GrantScope, Language,
    LogHead, StoreOptions,
};

/// Exit status 3: the store is damaged. Inspecting commands still print what the records
/// before the damage say, and say where and why on stderr.
const DAMAGED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "consentkit",
    version,
    about = "Consent and audit log for camera apps",
    after_help = "Exit status: 0 done; 1 verify: the log no longer holds the saved head (--head); \
2 an error (a bad argument, no store, a store locked or sealed); 3 the store is damaged: an \
inspecting command still prints what the records before the damage say, marked as such, and \
says where and why on stderr (everything there is off)."
)]
struct Cli {
    /// The store directory (for `demo`: a new temporary one when omitted).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    /// Machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// Seal the log with the software key in FILE (hex; created if missing), keeping the
    /// anchor in FILE.anchor: for QA and tests, as an app does with its platform key.
    #[arg(long, global = true, value_name = "FILE")]
    seal_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A camera app's consent flow on an on-disk store, ending with the privacy report.
    Demo,
    /// Creates a store for an app in --dir, with the built-in policy of every feature.
    Init {
        /// The app's bundle id / application id.
        #[arg(long)]
        app_id: String,
        /// Require agreement to this revision of the privacy policy before anything else
        /// (basic mode until then).
        #[arg(long, value_name = "N")]
        policy_revision: Option<u32>,
        /// Apply this config to the store already in --dir (terms and revisions only go
        /// forward; a policy step is never dropped). Without it, an existing store is left
        /// as it is.
        #[arg(long)]
        reconfigure: bool,
    },
    /// The privacy policy's state: agreed, declined, basic mode. QA: --agree or --decline.
    Policy {
        /// QA: agree to the current revision as the user (or --guardian).
        #[arg(long, conflicts_with = "decline")]
        agree: bool,
        /// QA: decline the current revision as the user (or --by-app).
        #[arg(long)]
        decline: bool,
        /// Decided by a guardian.
        #[arg(long)]
        guardian: bool,
        /// Decided by the app rather than the user (declining only).
        #[arg(long)]
        by_app: bool,
    },
    /// The third-party SDK catalogue with each SDK's status, and the ad signals.
    Sdks,
    /// Whether the app should prompt now: for the policy and for each feature.
    Advice,
    /// Each feature's consent, OS permission and sessions.
    State,
    /// The audit log, newest first.
    Log {
        /// Only this feature.
        #[arg(long, value_parser = parse_feature)]
        feature: Option<Feature>,
        /// Only records since: an age (30m, 24h, 7d), a date (2026-11-01, local midnight) or
        /// an RFC 3339 time (2026-11-01T08:00:00Z).
        #[arg(long)]
        since: Option<String>,
        /// At most this many records.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Uses, time in use, last use and refusals per feature.
    Report {
        /// The window: the last N days (1 to 3660, ten years: longer than any history kept).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3660))]
        days: u32,
        /// Write the report as one self-contained HTML page (a card per feature, a timeline
        /// of uses and every use listed), readable on a phone; written for its owner only.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// The page's language: `en` or `zh` (Simplified Chinese; `zh-Hans`, `zh-CN` too).
        #[arg(long, default_value = "en", value_parser = parse_language, requires = "html")]
        lang: Language,
    },
    /// Checks the whole chain (and, with --head, that it still holds a head saved
    /// earlier); exits non-zero unless the history is intact.
    Verify {
        /// A head saved earlier (the JSON of `head --json`).
        #[arg(long, value_name = "FILE")]
        head: Option<PathBuf>,
    },
    /// The chain's head, with its seal: save it elsewhere, check it later with verify --head.
    Head,
    /// Everything the store holds, for the user to take away.
    Export {
        /// `json`: consent records (ISO/IEC TS 27560 fields) and log; `ndjson`:
        /// App-Privacy-Report-style access intervals; `kantara`: a Kantara Consent Receipt
        /// v1.1 per consent that counts.
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
    /// QA: grant a feature as the user.
    Grant {
        /// The feature.
        #[arg(value_parser = parse_feature)]
        feature: Feature,
        /// A single-use grant.
        #[arg(long)]
        once: bool,
        /// Decided by a guardian.
        #[arg(long)]
        guardian: bool,
    },
    /// QA: deny a feature.
    Deny {
        /// The feature.
        #[arg(value_parser = parse_feature)]
        feature: Feature,
        /// Decided by the app rather than the user.
        #[arg(long)]
        by_app: bool,
    },
    /// QA: withdraw a feature's consent.
    Revoke {
        /// The feature.
        #[arg(value_parser = parse_feature)]
        feature: Feature,
        /// Decided by the app rather than the user.
        #[arg(long)]
        by_app: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Json,
    Ndjson,
    Kantara,
}

/// `en`, or Simplified Chinese (`zh`, `zh-Hans`, `zh-CN`, …).
fn parse_language(tag: &str) -> Result<Language, String> {
    Language::from_tag(tag).ok_or_else(|| {
        format!("{tag:?}: the report comes in en (English) and zh (Simplified Chinese)")
    })
}

/// Feature names as the log and exports write them (`camera`, `photo_library`, …).
fn parse_feature(name: &str) -> Result<Feature, String> {
    Feature::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Feature::ALL.iter().map(|f| f.as_str()).collect();
        format!("unknown feature {name:?}; one of: {}", names.join(", "))
    })
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("consentkit: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    if let Command::Demo = cli.command {
        return demo::run(cli.dir.as_deref()).map(|()| ExitCode::SUCCESS);
    }
    let dir = cli
        .dir
        .as_deref()
        .ok_or("--dir DIR is required (the store directory)")?;
    let options = StoreOptions {
        sealer: cli.seal_key.as_deref().map(keys::sealer).transpose()?,
        ..StoreOptions::default()
    };
    if let Command::Init {
        app_id,
        policy_revision,
        reconfigure,
    } = &cli.command
    {
        // A damaged store is left for the app to keep aside (a new config would start its new
        // chain without what the damaged one said — its policy step, say); a store whose log
        // is gone while the key keeps its anchor is one.
        if let Ok(found) = ConsentStore::open_read_only_with(dir, options.clone()) {
            if let Some(damage) = found.damage() {
                eprintln!(
                    "consentkit: {} holds a store damaged at record {}: {}. Nothing changed: open it with the app (or a QA verb) to keep the damage aside first.",
                    dir.display(),
                    damage.first_bad_seq,
                    damage.problem
                );
                return Ok(ExitCode::from(DAMAGED));
            }
        }
        // An existing store is never initialised again by accident.
        let exists = dir.join("consent.log").exists();
        if exists && !reconfigure {
            return Err(format!(
                "{} already holds a store: nothing changed (to apply this config to it, add --reconfigure)",
                dir.display()
            ));
        }
        let mut config = ConsentConfig::new(app_id);
        config.policy_revision = *policy_revision;
        let store = ConsentStore::open_with(dir, Some(config), options).map_err(describe)?;
        if !cli.json {
            let done = if exists { "reconfigured" } else { "created" };
            println!("{done} the store of {app_id} in {}", dir.display());
            output::policy(&store.policy_state(), false);
        }
        output::states(&store.states(), cli.json);
        return Ok(ExitCode::SUCCESS);
    }
    let inspecting = matches!(
        cli.command,
        Command::State
            | Command::Sdks
            | Command::Advice
            | Command::Policy {
                agree: false,
                decline: false,
                ..
            }
            | Command::Log { .. }
            | Command::Report { .. }
            | Command::Verify { .. }
            | Command::Head
            | Command::Export { .. }
    );
    // Inspecting never writes: it works while the app holds the store, on a read-only
    // filesystem, and on a damaged store (which it reports, and leaves for the app to keep aside).
    let store = if inspecting {
        ConsentStore::open_read_only_with(dir, options).map_err(describe)?
    } else {
        let store = ConsentStore::open_with(dir, None, options).map_err(describe)?;
        // A QA decision stands for a person deciding on the app's screen: the store is told
        // it is in the foreground (it is in the background until told).
        store.set_foreground(true).map_err(describe)?;
        store
    };
    let by = |app: bool| if app { Actor::App } else { Actor::User };
    // A damaged store is never shown as an empty, healthy one (I6): said on stderr, marked on
    // stdout, and a distinct exit status — with what the good records before it say.
    let damage = store.damage();
    if let Some(damage) = &damage {
        eprintln!(
            "consentkit: the store is damaged at record {}: {}. Shown: what the records before it say; everything is off.",
            damage.first_bad_seq, damage.problem
        );
        // Exports are data for other programs: the JSON says `damaged` itself.
        let data = matches!(cli.command, Command::Export { .. } | Command::Head);
        if !cli.json && !data {
            println!(
                "DAMAGED at record {} — what the records before it say (everything is off):",
                damage.first_bad_seq
            );
        }
    } else if let Some(recovery) = store.recovery_notice() {
        eprintln!(
            "consentkit: note: the log was restarted after damage ({}); the damaged files are kept in {}",
            recovery.problem, recovery.quarantined_as
        );
    }
    let damaged = if damage.is_some() {
        ExitCode::from(DAMAGED)
    } else {
        ExitCode::SUCCESS
    };
    match cli.command {
        Command::Demo | Command::Init { .. } => unreachable!("handled above"),
        Command::State => {
            if !cli.json {
                output::policy(&store.policy_state(), false);
                output::age_and_retention(store.age_signal(), store.history_start_seq());
            }
            output::states(&store.states(), cli.json);
        }
        Command::Advice => output::advice(&store, cli.json),
        Command::Policy {
            agree,
            decline,
            guardian,
            by_app,
        } => {
            let actor = match (guardian, by_app) {
                (true, _) => Actor::Guardian,
                (false, app) => by(app),
            };
            if agree {
                store.agree_to_policy(actor).map_err(describe)?;
            } else if decline {
                store.decline_policy(actor).map_err(describe)?;
            }
            output::policy(&store.policy_state(), cli.json);
        }
        Command::Sdks => output::sdks(&store.sdk_catalog(), &store.ad_signals(), cli.json),
        Command::Log {
            feature,
            since,
            limit,
        } => {
            let since_ms = since
                .as_deref()
                .map(|text| timespec::parse_since(text, now_ms()))
                .transpose()
                .map_err(|e| format!("--since {e}"))?;
            let filter = AuditFilter {
                feature,
                since_ms,
                until_ms: None,
                limit,
            };
            output::log(&store.audit_log(filter).map_err(describe)?, cli.json);
        }
        Command::Report { days, html, lang } => {
            let now = now_ms();
            let since = now - i64::from(days) * 86_400_000;
            match html {
                Some(path) => {
                    let page = store
                        .privacy_report_html(since, now + 1, lang)
                        .map_err(describe)?;
                    html::write(&path, &page).map_err(|e| format!("{}: {e}", path.display()))?;
                    match cli.json {
                        true => println!("{}", serde_json::json!({ "html": path })),
                        false => println!("wrote {}", path.display()),
                    }
                }
                None => output::report(
                    &store.privacy_report(since, now + 1).map_err(describe)?,
                    cli.json,
                ),
            }
        }
        Command::Verify { head } => {
            let report = store.verify().map_err(describe)?;
            output::verify(&report, cli.json);
            let mut fine = report.intact;
            if let Some(path) = head {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let saved: LogHead = serde_json::from_str(&text)
                    .map_err(|e| format!("{}: not a head ({e})", path.display()))?;
                let check = store.verify_extends(saved).map_err(describe)?;
                output::head_check(&check, cli.json);
                fine &= check.extends;
            }
            // Damage found at open or only now, by the full check (before a snapshot): 3.
            if damage.is_some() || !report.intact {
                return Ok(ExitCode::from(DAMAGED));
            }
            if !fine {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Head => output::head(&store.head(), cli.json),
        Command::Export { format } => {
            let text = match format {
                ExportFormat::Json => store.export_json(),
                ExportFormat::Ndjson => store.export_access_ndjson(),
                ExportFormat::Kantara => store.export_kantara_receipts(),
            };
            match text {
                Ok(text) => print!("{text}"),
                // Receipts and access intervals have no room to say a store is damaged: none
                // are printed, and the damage (said above) ends the tool with its status.
                Err(e) if store.damage().is_some() => eprintln!("consentkit: {e}"),
                Err(e) => return Err(describe(e)),
            }
        }
        Command::Grant {
            feature,
            once,
            guardian,
        } => {
            let scope = if once {
                GrantScope::Once
            } else {
                GrantScope::UntilRevoked
            };
            let actor = if guardian {
                Actor::Guardian
            } else {
                Actor::User
            };
            store.grant(feature, scope, actor).map_err(describe)?;
            output::states(&[store.state(feature)], cli.json);
        }
        Command::Deny { feature, by_app } => {
            store.deny(feature, by(by_app)).map_err(describe)?;
            output::states(&[store.state(feature)], cli.json);
        }
        Command::Revoke { feature, by_app } => {
            store.revoke(feature, by(by_app)).map_err(describe)?;
            output::states(&[store.state(feature)], cli.json);
        }
    }
    Ok(damaged)
}

fn describe(e: ConsentError) -> String {
    e.to_string()
}

fn now_ms() -> i64 {
    use consentkit::Clock;
    consentkit::SystemClock::default().now_ms()
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`consentkit log | head -1`) would
/// panic; like other command-line tools, end quietly instead.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
