//! Opening a store: reading its log, starting a chain for a new or damaged one, and the records every open writes (a repaired tail, interrupted sessions, the app's terms).
//!
//! Over 400 lines: one procedure read top to bottom — every step an open takes, in the order it takes them (the order is the invariant: a kept "no" before the app's terms).

use std::path::Path;
use std::sync::Arc;

use parking_lot::RwLock;

use super::restart::ChainStart;
use super::{Core, Engine};
use crate::config::{resolve, ConsentConfig, Resolved, StoreOptions};
use crate::entry::Entry;
use crate::error::Error;
use crate::kinds::{RecoveryNotice, MAX_PROBLEM_LEN};
use crate::log::{self, Faults, Found, Journal, OpenError, Vouched, LOG_FILE};
use crate::observer::Notifier;
use crate::rules::{Decision, State};
use crate::store_texts::{LogPoint, StoreTexts, TextsFrom};

impl Engine {
    /// Opens (or creates) the durable store in `path`. Without a config the store is opened
    /// as it is, with its stored terms, and must exist.
    pub fn open_dir(
        path: &Path,
        config: Option<&ConsentConfig>,
        options: &StoreOptions,
    ) -> Result<Arc<Engine>, Error> {
        let config = config.map(resolve).transpose()?;
        if config.is_none() && !path.join(LOG_FILE).exists() {
            return Err(Error::NoStore(path.to_path_buf()));
        }
        let faults = Faults(options.io_faults.clone());
        let sealer = options.sealer.clone();
        let (journal, found) =
            log::open_dir::<State>(path, options.checkpoint_every, faults, sealer)
                .map_err(|e| open_error(path, e))?;
        Engine::start(journal, found, config, options)
    }

    /// Opens an existing store to inspect it: no lock, no writes, nothing kept aside. Works
    /// while the app holds the store and on a read-only filesystem. Damage is reported (by
    /// `recovery_notice` and `verify`) with everything off.
    pub fn open_read_only(path: &Path, options: &StoreOptions) -> Result<Arc<Engine>, Error> {
        let sealer = options.sealer.clone();
        let (mut journal, found) =
            log::open_read_only::<State>(path, options.checkpoint_every, sealer)
                .map_err(|e| open_error(path, e))?;
        let pending = journal.take_pending_view();
        let (state, unrecovered) = match found {
            // No log, but the key keeps an anchor: the store's files were deleted (I7, I6).
            Found::New => match Engine::lost(options.sealer.as_ref())? {
                Some((app_id, damage)) => (
                    State::new(&app_id),
                    Some(RecoveryNotice::new(
                        options.clock.now_ms(),
                        damage.first_bad_seq,
                        &damage.problem,
                        String::new(),
                    )),
                ),
                None => return Err(Error::NoStore(path.to_path_buf())),
            },
            Found::Intact { machine, .. } => (machine, None),
            // The good records before the damage are shown for what they say, with the damage
            // beside them: everything off, never an empty healthy store (I6).
            Found::Damaged { damage, replayed } => {
                let notice = RecoveryNotice::new(
                    options.clock.now_ms(),
                    damage.first_bad_seq,
                    &damage.problem,
                    String::new(),
                );
                (replayed.unwrap_or_else(|| State::new("")), Some(notice))
            }
        };
        let config = as_stored(&state.app_id, &journal, &state);
        let engine = Engine::new(journal, state, config, options, unrecovered);
        if let Some(pending) = pending {
            engine.show_pending(pending);
        }
        Ok(engine)
    }

    /// An inspector shows the "no"s an earlier process could not write as the next open will
    /// record them (I6): taken in memory, each at its own time, the file left in place.
    fn show_pending(&self, pending: log::Kept) {
        let now = self.now();
        if let Some(problem) = pending.unreadable {
            let mut core = self.write();
            let decision = core.state.assume_every_no(problem, now);
            self.apply_unrecorded(&mut core, &decision.entries, now);
        }
        // As the next open will: a "no" said before the log went on is stale (the file put
        // back), and an erasure is carried out once.
        let found_at = {
            let core = self.core.read();
            let head = core.journal.as_ref().map_or(0, |j| j.head().0);
            (core.state.chain, head)
        };
        let mut erased = false;
        for item in pending.items {
            let at = crate::rules::Now {
                wall_ms: item.time_ms,
                mono_ms: now.mono_ms,
            };
            if item.chain != found_at.0 || found_at.1 > item.after_seq {
                continue;
            }
            if let Entry::Erased(_) = &item.entry {
                if !std::mem::replace(&mut erased, true) {
                    self.erase_in_memory(at);
                }
                continue;
            }
            let mut core = self.write();
            let decision = core.state.redecide(&item.entry, at);
            self.apply_unrecorded(&mut core, &decision.entries, at);
        }
        self.notifier.deliver();
    }

    fn new(
        journal: Journal,
        mut state: State,
        config: Resolved,
        options: &StoreOptions,
        unrecovered: Option<RecoveryNotice>,
    ) -> Arc<Engine> {
        // Unknown context is the restrictive one (I5): a process may start in the background
        // (a push, a widget), so the store is there until the app says otherwise, whatever
        // the last process recorded.
        state.live_foreground = Some(false);
        let engine = Arc::new(Engine {
            durability: journal.durability(),
            allowed: Default::default(),
            session_words: Default::default(),
            retention_due: Default::default(),
            notifier: Arc::<Notifier>::default(),
            clock: options.clock.clone(),
            core: RwLock::new(Core {
                state,
                journal: Some(journal),
                failed: None,
                unrecovered,
                unconfirmed: Vec::new(),
            }),
            config,
        });
        engine.refresh_allowed(&engine.core.read());
        engine
    }

    /// A store that keeps everything in memory.
    pub fn open_memory(
        config: &ConsentConfig,
        options: &StoreOptions,
    ) -> Result<Arc<Engine>, Error> {
        let config = resolve(config)?;
        let mut journal = log::open_memory(options.checkpoint_every);
        journal.set_sealer(options.sealer.clone());
        Engine::start(journal, Found::New, Some(config), options)
    }

    fn start(
        journal: Journal,
        found: Found<State>,
        config: Option<Resolved>,
        options: &StoreOptions,
    ) -> Result<Arc<Engine>, Error> {
        let last_alive_ms = journal.last_time();
        // Where the log stood as found, before this open writes anything.
        let found_at = journal.head().0;
        let fresh = matches!(found, Found::New);
        let (state, chain_start, repaired, rebuilt) = match found {
            Found::New => {
                let start = Engine::first_or_lost(&journal, config.as_ref())?;
                (State::new(""), Some(start), None, Vec::new())
            }
            Found::Damaged { damage, replayed } => {
                let replayed = replayed.unwrap_or_else(|| State::new(""));
                let chain_start = ChainStart::Recover {
                    damage,
                    seen_chain: None,
                };
                (replayed, Some(chain_start), None, Vec::new())
            }
            Found::Intact {
                machine,
                repaired,
                rebuilt,
            } => (machine, None, repaired, rebuilt),
        };
        // Never write into (or quarantine) another app's store.
        let stored_app = state.app_id.clone();
        let app_id = match &config {
            Some(config) if !stored_app.is_empty() && stored_app != config.app_id => {
                return Err(Error::WrongStore {
                    stored: stored_app,
                    given: config.app_id.clone(),
                });
            }
            Some(config) => config.app_id.clone(),
            None if stored_app.is_empty() => {
                return Err(Error::InvalidArgument(
                    "the store is damaged and names no app: open it with the app's config".into(),
                ))
            }
            None => stored_app,
        };
        // The texts file as this open found it, read once: what carries over, and whether it
        // must be written again.
        let mut texts_kept = false;
        let config = match config {
            Some(mut config) => {
                // The install keeps its random id across changes of the texts, which say when
                // their words changed.
                let read = journal.stored_texts().and_then(Result::ok);
                let stored = read
                    .as_ref()
                    .and_then(|(body, _)| StoreTexts::from_bytes(body, &state.app.sdks).ok());
                let now = LogPoint {
                    chain: state.chain,
                    seq: journal.head().0,
                };
                config.texts.carry_over(stored.as_ref(), fresh, now);
                // Already on disk, and vouched for as well as this store can (a sealed store's
                // file read without its key is written again).
                texts_kept = read.is_some_and(|(body, vouched)| {
                    vouched != Vouched::Nothing && body == config.texts.to_bytes()
                });
                config.texts.source.from = TextsFrom::Config;
                if stored.is_none() && !fresh {
                    config.texts.source.problem = Some(
                        "the texts kept beside the log were missing or unreadable: this install has a new id (the principal differs from earlier exports), and the words count as changed since every decision"
                            .into(),
                    );
                }
                config
            }
            None => as_stored(&app_id, &journal, &state),
        };
        let found_at = (state.chain, found_at);
        let engine = Engine::new(journal, state, config, options, None);
        let chain_was_restarted = chain_start.is_some();
        match chain_start {
            Some(start) => {
                engine.restart(start)?;
            }
            None => {
                // What the log's own checks found comes first: a repaired tail, derived files
                // that were not believed (rebuilt: the checkpoint below rewrites them).
                let mut found = Vec::new();
                if let Some(repair) = repaired {
                    found.push(Entry::TailRepaired {
                        cut_at: repair.cut_at,
                        bytes_cut: repair.bytes_cut,
                    });
                }
                // Records no seal covers are never sealed as if this store had written them:
                // the log says so first (I7). Then the anchor of a clean close says open again.
                let unvouched = {
                    let mut core = engine.core.write();
                    let journal = core.journal.as_mut().ok_or(Error::Closed)?;
                    journal
                        .anchor_as_open()
                        .map_err(|e| Error::io("anchoring the store as open", e))?;
                    journal.unvouched()
                };
                if let Some((from_seq, through_seq)) = unvouched {
                    found.push(Entry::UnvouchedRecords {
                        from_seq,
                        through_seq,
                    });
                }
                for rebuilt in &rebuilt {
                    let mut problem = rebuilt.problem.clone();
                    problem.truncate(MAX_PROBLEM_LEN);
                    found.push(Entry::DerivedFileRebuilt {
                        file: rebuilt.file,
                        problem,
                    });
                }
                if !found.is_empty() {
                    engine.on_open(engine.decide(|_, _| Decision::records(found)))?;
                }
                // A "no" the last process could not write was made before it ended: recorded
                // before what its end left behind, and before the app's terms change anything.
                engine.on_open(engine.record_unwritten(Some(found_at)))?;
                engine.on_open(engine.decide(|state, _| state.reopened(last_alive_ms)))?;
                if !rebuilt.is_empty() {
                    engine.on_open(engine.checkpoint_now())?;
                }
            }
        }
        if chain_was_restarted {
            engine.record_unwritten(None)?;
        }
        // The app's terms, per feature and as a whole, in one decision: a config the store
        // refuses changes nothing.
        if let (Some(terms), Some(app)) =
            (engine.config.terms.clone(), engine.config.app_terms.clone())
        {
            engine.on_open(engine.decide(|state, _| state.apply_config(&terms, &app)))?;
        }
        // Retention on open: what aged out since the last launch goes now.
        engine.on_open(engine.compact())?;
        if !texts_kept {
            engine.keep_texts();
        }
        Ok(engine)
    }

    /// Writes the app's texts beside the log for tools that open the store without its config
    /// (they are words, not consent: a disk that refuses them fails nothing).
    fn keep_texts(&self) {
        if self.config.terms.is_none() {
            return;
        }
        let core = self.core.read();
        let Some(journal) = core.journal.as_ref() else {
            return;
        };
        if let Err(e) = journal.keep_texts(&self.config.texts.to_bytes()) {
            ::log::warn!("consentkit: the app's texts could not be kept beside the log ({e})");
        }
    }

    /// A step of an open on a disk too full to grow the log: the store stays open — every
    /// feature off, closing decisions landing in what room there is — rather than fail, so
    /// a "no" can still be said (I4). Any other failure fails the open.
    fn on_open<T>(&self, step: Result<T, Error>) -> Result<(), Error> {
        match step {
            Err(Error::Failed(_)) if self.out_of_room() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Whether the store stopped because the disk has no room left to grow the log.
    fn out_of_room(&self) -> bool {
        self.core
            .read()
            .failed
            .as_ref()
            .is_some_and(|failure| failure.out_of_room)
    }
}

/// The config of a store opened as it is: its stored terms, and the app's texts kept beside
/// the log when they read back whole (the built-in texts otherwise).
fn as_stored(app_id: &str, journal: &Journal, state: &State) -> Resolved {
    let mut config = Resolved::as_stored(app_id);
    let read = journal.stored_texts().map(|read| {
        read.and_then(|(body, vouched)| {
            StoreTexts::from_bytes(&body, &state.app.sdks).map(|texts| (texts, vouched))
        })
    });
    match read {
        Some(Ok((texts, vouched))) => {
            config.texts = texts;
            config.texts.source.from = TextsFrom::File;
            config.texts.source.vouched_by_key = vouched == Vouched::Key;
            if vouched == Vouched::Nothing {
                config.texts.source.problem = Some(
                    "not checked: its checksum does not match — written with a store key this reader does not have, or edited since (the SDK texts are checked against the log)"
                        .into(),
                );
            }
        }
        Some(Err(e)) => {
            ::log::warn!("consentkit: the app's texts are not shown ({e})");
            config.texts.source.problem = Some(e);
        }
        None => {
            config.texts.source.problem =
                Some("no texts are kept beside the log: the built-in ones are shown".into());
        }
    }
    config
}

impl Engine {
    /// A store with no log is new — unless the sealer keeps an anchor for this app's store:
    /// then its files were deleted or replaced, which is damage (I7), not a fresh start.
    fn first_or_lost(journal: &Journal, config: Option<&Resolved>) -> Result<ChainStart, Error> {
        let (Some(sealer), Some(config)) = (journal.sealer(), config) else {
            return Ok(ChainStart::First);
        };
        let anchor = log::anchor_for(&sealer, &config.app_id).map_err(|e| {
            Error::io(
                "reading the anchor kept with the key",
                std::io::Error::other(e),
            )
        })?;
        match anchor {
            Ok(None) => Ok(ChainStart::First),
            Ok(Some(anchor)) => Ok(ChainStart::Recover {
                damage: log::Damage {
                    first_bad_seq: 1,
                    problem: format!(
                        "the log is missing, but the key's anchor names chain {}, record {}: the store's files were deleted or replaced",
                        anchor.chain, anchor.seq
                    ),
                },
                seen_chain: None,
            }),
            Err(problem) => Ok(ChainStart::Recover {
                damage: log::Damage {
                    first_bad_seq: 1,
                    problem,
                },
                seen_chain: None,
            }),
        }
    }
}

impl Engine {
    /// For an inspector with the key, of a directory without a log: the damage, when the key
    /// keeps an anchor — for an app (checked) or unreadable — and whose app it is.
    fn lost(sealer: Option<&Arc<dyn log::Sealer>>) -> Result<Option<(String, log::Damage)>, Error> {
        let Some(sealer) = sealer else {
            return Ok(None);
        };
        let failed = |e: String| {
            Error::io(
                "reading the anchor kept with the key",
                std::io::Error::other(e),
            )
        };
        let Some(app_id) = log::anchored_app(sealer).map_err(failed)? else {
            return Ok(None);
        };
        let problem = match log::anchor_for(sealer, &app_id).map_err(failed)? {
            Ok(None) => return Ok(None),
            Ok(Some(anchor)) => format!(
                "the log is missing, but the key's anchor names chain {}, record {}: the store's files were deleted or replaced",
                anchor.chain, anchor.seq
            ),
            Err(problem) => format!("the log is missing, and {problem}"),
        };
        let damage = log::Damage {
            first_bad_seq: 1,
            problem,
        };
        Ok(Some((app_id, damage)))
    }
}

fn open_error(path: &Path, e: OpenError) -> Error {
    match e {
        OpenError::Locked => Error::Locked(path.to_path_buf()),
        OpenError::Sealed => Error::NeedsSealer(path.to_path_buf()),
        OpenError::Io(e) => Error::io(format!("opening {}", path.display()), e),
    }
}

impl Engine {
    /// Records the "no"s an earlier process could not write (I4), each at the time it was
    /// made; then forgets them. Failing to forget them is a storage failure: recording them
    /// again later changes nothing, but nothing else may be decided meanwhile. `found_at`:
    /// where the log stood as found (chain, last record) — a "no" said before the log went on
    /// is stale, the file put back after a later process recorded it (the person may have
    /// decided again since); `None` when this open started a new chain (all stand).
    fn record_unwritten(&self, found_at: Option<(u64, u64)>) -> Result<(), Error> {
        let kept = match self.core.read().journal.as_ref() {
            Some(journal) => journal.take_unwritten(),
            None => return Ok(()),
        };
        if kept.items.is_empty() && kept.unreadable.is_none() {
            return Ok(());
        }
        let chain_before = self.core.read().state.chain;
        // Only "no"s are ever kept: anything else was planted, and the file is kept aside.
        let planted = {
            let core = self.core.read();
            let planted = kept
                .items
                .iter()
                .find(|i| !core.state.may_redecide(&i.entry));
            planted.map(|item| {
                if let Some(journal) = &core.journal {
                    if let Err(e) = journal.set_unwritten_aside() {
                        ::log::error!("consentkit: keeping a planted file aside failed ({e})");
                    }
                }
                format!(
                    "the unwritten decisions hold what no process keeps ({}): planted",
                    item.entry.kind().as_str()
                )
            })
        };
        if let Some(problem) = kept.unreadable.or(planted) {
            // What it held cannot be known, and it can only have held "no"s: all of them.
            self.decide(|state, now| state.assume_every_no(problem, now))?;
        }
        for item in &kept.items {
            if let Some((chain, head)) = found_at {
                if item.chain != chain || head > item.after_seq {
                    ::log::warn!(
                        "consentkit: a kept decision from before the log went on is not recorded again ({}, after record {} of chain {})",
                        item.entry.kind().as_str(),
                        item.after_seq,
                        item.chain
                    );
                    continue;
                }
            }
            let now = crate::rules::Now {
                wall_ms: item.time_ms,
                mono_ms: self.clock.monotonic_ms(),
            };
            if let Entry::Erased(_) = &item.entry {
                // Carried out once: a second erasure kept beside it asks for nothing more. (A
                // chain this open started on finding damage is not the erasure's: it goes too.)
                if self.core.read().state.chain == chain_before {
                    self.restart_at(ChainStart::Erase, now)?;
                }
                continue;
            }
            match self.decide_as_of(now, |state, now| state.redecide(&item.entry, now)) {
                Err(Error::Refused(refusal)) => ::log::warn!(
                    "consentkit: a decision kept from an earlier process no longer applies: {refusal:?}"
                ),
                decided => {
                    decided?;
                }
            }
        }
        let mut core = self.core.write();
        let cleared = core
            .journal
            .as_mut()
            .map_or(Ok(()), |j| j.clear_unwritten());
        if let Err(e) = cleared {
            let why = format!("forgetting decisions recorded late failed ({e})");
            self.fail_locked(&mut core, false, why.clone());
            return Err(Error::Failed(why));
        }
        Ok(())
    }
}
