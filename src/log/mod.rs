//! The durable, hash-chained audit log: the journal that appends and commits, and beside it one file per job — checkpoints, new chains, quarantine, retention cuts, sealing, the "no"s kept for the next open. It knows nothing of the rules.

pub(crate) mod base;
mod chain;
mod checkpoint;
mod durability;
pub(crate) mod fs;
pub(crate) mod index;
mod journal;
mod keeping;
mod open;
mod quarantine;
mod reader;
pub(crate) mod record;
pub(crate) mod replay;
mod retention;
pub(crate) mod scan;
pub(crate) mod seal;
mod sealing;
pub(crate) mod snapshot;
mod unwritten;

pub(crate) use durability::Durability;
pub(crate) use fs::{Faults, LOG_FILE};
pub use fs::{IoFaults, IoKind, IoOp};
pub(crate) use journal::{AppendError, Appended, Journal};
pub(crate) use open::{open_dir, open_memory, open_read_only, Found, OpenError};
pub(crate) use reader::LogReader;
pub(crate) use record::{Damage, Hash, Record};
pub(crate) use replay::ReplayMachine;
pub(crate) use seal::SealKeys as Keys;
pub(crate) use seal::{anchor_for, anchored_app};
pub use seal::{software_sealer, Sealer, SealerError};
pub(crate) use unwritten::{Kept, Unwritten};
