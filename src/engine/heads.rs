//! Heads a store hands out and takes back (`LogHead`, `HeadCheck`): the chain's head with its seal, and the proof that the log still holds a head saved earlier (on the app's server, say).

use std::ops::ControlFlow;

use super::Engine;
use crate::error::Error;
use crate::log::{Hash, Keys};

/// The last record of a chain, with its seal when the store has a sealer: save it elsewhere
/// (the app's server) and `verify_extends` later proves the log still holds it unchanged.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Record)]
pub struct LogHead {
    /// Which chain of the store.
    pub chain: u64,
    /// Sequence number of the last record.
    pub seq: u64,
    /// Its hex SHA-256.
    pub hash: String,
    /// Hex HMAC of the head by this store's key, when it has a sealer.
    #[uniffi(default = None)]
    #[serde(default)]
    pub seal: Option<String>,
    /// The epoch whose key made `seal`.
    #[uniffi(default = None)]
    #[serde(default)]
    pub seal_epoch: Option<u64>,
}

impl LogHead {
    pub(crate) fn new(
        chain: u64,
        (seq, hash): (u64, Hash),
        seal: Option<(u64, [u8; 32])>,
    ) -> LogHead {
        LogHead {
            chain,
            seq,
            hash: hex::encode(hash),
            seal: seal.map(|(_, tag)| hex::encode(tag)),
            seal_epoch: seal.map(|(epoch, _)| epoch),
        }
    }
}

/// Whether the log still holds a head saved earlier.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct HeadCheck {
    /// True when the log holds the head unchanged (and its seal is this store's).
    pub extends: bool,
    /// Why not.
    pub problem: Option<String>,
}

impl HeadCheck {
    pub(crate) fn refused(problem: String) -> HeadCheck {
        HeadCheck {
            extends: false,
            problem: Some(problem),
        }
    }
}

impl Engine {
    /// The chain's head: its sequence number and hash and, with a sealer, its seal (left
    /// out, and logged, if the sealer fails). A closed store's head is empty.
    pub fn sealed_head(&self) -> LogHead {
        let mut core = self.core.write();
        let chain = core.state.chain;
        let Some(journal) = core.journal.as_mut() else {
            return LogHead::new(chain, (0, [0; 32]), None);
        };
        let head = journal.head();
        let seal = journal.seal_head().unwrap_or_else(|e| {
            ::log::warn!("consentkit: the head could not be sealed: {e}");
            None
        });
        LogHead::new(chain, head, seal)
    }

    /// Whether the log still holds `head` unchanged: the same chain, a record at its
    /// sequence number with its hash, and (with a sealer) a seal this store's key made.
    pub fn verify_extends(&self, head: &LogHead) -> Result<HeadCheck, Error> {
        let (reader, chain, owner, sealer) = {
            let core = self.core.read();
            let journal = core.journal.as_ref().ok_or(Error::Closed)?;
            (
                journal.reader(),
                core.state.chain,
                core.state.app_id.clone(),
                journal.sealer(),
            )
        };
        let refuse = |why: String| Ok(HeadCheck::refused(why));
        if head.chain != chain {
            return refuse(format!(
                "the log is on chain {chain}, the head on chain {}: the history was erased or recovered since, or replaced",
                head.chain
            ));
        }
        let Ok(hash) = hex::decode(&head.hash) else {
            return refuse("the head's hash is not hex".into());
        };
        let mut found = None;
        if let Some((cut_seq, cut_hash)) = reader.cut() {
            if head.seq == cut_seq {
                found = Some(cut_hash);
            } else if head.seq < cut_seq {
                return refuse(format!(
                    "retention removed the records up to #{cut_seq}: the log can no longer prove a head older than that"
                ));
            }
        }
        reader
            .for_each(|record| {
                if found.is_some() {
                    return ControlFlow::Break(());
                }
                if record.seq == head.seq {
                    found = Some(record.hash);
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })
            .map_err(|stop| Error::Unreadable(stop.to_string()))?;
        match found {
            None => return refuse(format!("the log ends before record {}", head.seq)),
            Some(actual) if actual[..] != hash[..] => {
                return refuse(format!("record {} was changed", head.seq))
            }
            Some(_) => {}
        }
        if let (Some(sealer), Some(seal), Some(epoch)) = (sealer, &head.seal, head.seal_epoch) {
            let tag: [u8; 32] = match hex::decode(seal).ok().and_then(|t| t.try_into().ok()) {
                Some(tag) => tag,
                None => return refuse("the head's seal is not 32 bytes of hex".into()),
            };
            let hash: [u8; 32] = hash.try_into().expect("checked equal to a record hash");
            let sound = Keys::new(sealer, &owner, chain)
                .check_head(epoch, head.seq, &hash, &tag)
                .map_err(|e| Error::io("checking the head's seal", std::io::Error::other(e)))?;
            if !sound {
                return refuse("the head's seal was not made with this store's key".into());
            }
        }
        Ok(HeadCheck {
            extends: true,
            problem: None,
        })
    }
}
