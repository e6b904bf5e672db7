//! Opening a store: reading its log, starting a chain for a new or damaged one, and the records every open writes (a repaired tail, interrupted sessions, the app's terms).

use std::path::Path;
use std::sync::Arc;

use parking_lot::RwLock;

use super::{ChainStart, Core, Engine};
use crate::config::{resolve, ConsentConfig, Resolved, StoreOptions};
use crate::entry::Entry;
use crate::error::Error;
use crate::log::{self, Found, Journal, OpenError, LOG_FILE};
use crate::observer::Notifier;
use crate::rules::State;

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
        let (journal, found) =
            log::open_dir::<State>(path, options.checkpoint_every).map_err(|e| match e {
                OpenError::Locked => Error::Locked(path.to_path_buf()),
                OpenError::Io(e) => Error::io(format!("opening {}", path.display()), e),
            })?;
        Engine::start(journal, found, config, options)
    }

    /// A store that keeps everything in memory.
    pub fn open_memory(
        config: &ConsentConfig,
        options: &StoreOptions,
    ) -> Result<Arc<Engine>, Error> {
        let config = resolve(config)?;
        let journal = log::open_memory(options.checkpoint_every);
        Engine::start(journal, Found::New, Some(config), options)
    }

    fn start(
        journal: Journal,
        found: Found<State>,
        config: Option<Resolved>,
        options: &StoreOptions,
    ) -> Result<Arc<Engine>, Error> {
        let last_alive_ms = journal.last_time();
        let (state, chain_start, repaired) = match found {
            Found::New => (State::new(""), Some(ChainStart::First), None),
            Found::Damaged { damage, replayed } => {
                let replayed = replayed.unwrap_or_else(|| State::new(""));
                let chain_start = ChainStart::Recover {
                    damage,
                    seen_chain: None,
                };
                (replayed, Some(chain_start), None)
            }
            Found::Intact { machine, repaired } => (machine, None, repaired),
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
        let config = config.unwrap_or_else(|| Resolved::as_stored(&app_id));
        let engine = Arc::new(Engine {
            durability: journal.durability(),
            allowed: Default::default(),
            notifier: Arc::<Notifier>::default(),
            clock: options.clock.clone(),
            core: RwLock::new(Core {
                state,
                journal: Some(journal),
                failed: None,
            }),
            config,
        });
        match chain_start {
            Some(start) => {
                engine.restart(start)?;
            }
            None => {
                engine.decide(|state, _| {
                    let mut decision = state.reopened(last_alive_ms);
                    if let Some(repair) = repaired {
                        let repaired = Entry::TailRepaired {
                            cut_at: repair.cut_at,
                            bytes_cut: repair.bytes_cut,
                        };
                        decision.entries.insert(0, repaired);
                    }
                    decision
                })?;
            }
        }
        if let Some(terms) = engine.config.terms.clone() {
            engine.decide(|state, _| state.apply_terms(&terms))?;
        }
        Ok(engine)
    }
}
