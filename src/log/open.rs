//! Opening a log: the snapshot checked against its checkpoint plus a short tail replayed, a torn tail cut off, and anything else reported as damage.

use std::io;

use super::fs::{Bytes, StoreDir, INDEX_FILE, SNAPSHOT_FILE};
use super::record::{check_magic, decode_frame, ChainCheck, Decoded, HEADER_LEN, MAGIC, MAX_FRAME};
use super::replay::{Damage, Replay, ReplayMachine, ReplayStop};
use super::scan::Scanner;
use super::snapshot::Snapshot;
use super::{Journal, Place};
use crate::entry::Entry;

/// What opening found.
pub(crate) enum Found<M> {
    /// No log: a new store. The journal has no chain yet.
    New,
    /// A log whose checks pass, replayed into the machine.
    Intact {
        machine: M,
        /// Set when a torn last record was cut off.
        repaired: Option<Repair>,
    },
    /// A log that failed its checks. The journal has no chain yet; the damaged files are
    /// still in place, to be kept aside. `replayed` is the state up to the damage, when any
    /// of it could be read (it names the store's owner).
    Damaged { damage: Damage, replayed: Option<M> },
}

/// A torn tail cut off on open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Repair {
    pub cut_at: u64,
    pub bytes_cut: u64,
}

#[derive(Debug)]
pub(crate) enum OpenError {
    Locked,
    Io(io::Error),
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> OpenError {
        OpenError::Io(e)
    }
}

/// A journal in memory, with no chain yet.
pub(crate) fn open_memory(checkpoint_every: u64) -> Journal {
    Journal::new(
        Place::Memory,
        Bytes::memory(Vec::new()),
        Bytes::memory(Vec::new()),
        checkpoint_every,
    )
}

/// Opens (or creates) the store directory, locks it, and reads its log.
pub(crate) fn open_dir<M: ReplayMachine>(
    path: &std::path::Path,
    checkpoint_every: u64,
) -> Result<(Journal, Found<M>), OpenError> {
    let dir = StoreDir::create(path)?;
    let lock = dir.lock()?.ok_or(OpenError::Locked)?;
    let Some(log) = dir.open_log()? else {
        let found = if dir.exists(SNAPSHOT_FILE) {
            Found::Damaged {
                damage: Damage {
                    first_bad_seq: 1,
                    problem: "the log is missing but its snapshot is present".into(),
                },
                replayed: None,
            }
        } else {
            Found::New
        };
        let place = Place::Disk { dir, _lock: lock };
        let journal = Journal::new(
            place,
            Bytes::memory(Vec::new()),
            Bytes::memory(Vec::new()),
            checkpoint_every,
        );
        return Ok((journal, found));
    };
    let loaded = load::<M>(&dir, &log)?;
    let index = dir.open_append(INDEX_FILE)?;
    let mut journal = Journal::new(
        Place::Disk { dir, _lock: lock },
        log.clone(),
        index,
        checkpoint_every,
    );
    let loaded = match loaded {
        Err((damage, replayed)) => return Ok((journal, Found::Damaged { damage, replayed })),
        Ok(loaded) => loaded,
    };
    let Loaded {
        replay,
        end,
        file_len,
        torn_at,
    } = loaded;
    if let Some(cut_at) = torn_at {
        log.set_len(cut_at)?;
        log.sync_all()?;
    }
    journal.chain = replay.chain;
    journal.end = end;
    journal.allocated = torn_at.unwrap_or(file_len);
    journal.since_checkpoint = replay.since_checkpoint;
    journal.max_time = replay.max_time;
    journal.last_time = replay.last_time;
    let repaired = torn_at.map(|cut_at| Repair {
        cut_at,
        bytes_cut: file_len - cut_at,
    });
    Ok((
        journal,
        Found::Intact {
            machine: replay.machine,
            repaired,
        },
    ))
}

struct Loaded<M> {
    replay: Replay<M>,
    /// Where the whole frames end (after a cut, if any).
    end: u64,
    file_len: u64,
    torn_at: Option<u64>,
}

fn damage<T>(first_bad_seq: u64, problem: impl Into<String>) -> io::Result<Result<T, Damage>> {
    Ok(Err(Damage {
        first_bad_seq,
        problem: problem.into(),
    }))
}

/// Damage found while loading, with the state replayed before it, if any.
type Unloadable<M> = (Damage, Option<M>);

/// Reads the snapshot and the records after it, checking everything it reads.
fn load<M: ReplayMachine>(
    dir: &StoreDir,
    log: &Bytes,
) -> io::Result<Result<Loaded<M>, Unloadable<M>>> {
    let unloadable = |damage: Damage| Ok(Err((damage, None)));
    let file_len = log.len()?;
    let mut header = [0u8; MAGIC.len()];
    let n = log.read_at(&mut header, 0)?;
    if let Err(problem) = check_magic(&header[..n]) {
        return unloadable(Damage {
            first_bad_seq: 1,
            problem,
        });
    }
    let snapshot = match Snapshot::read(dir) {
        Ok(snapshot) => snapshot,
        Err(problem) => {
            return unloadable(Damage {
                first_bad_seq: 1,
                problem,
            })
        }
    };
    let (mut replay, start) = match snapshot {
        None => (Replay::<M>::from_start(), MAGIC.len() as u64),
        Some(snapshot) => match resume_from(log, file_len, snapshot)? {
            Ok(resumed) => resumed,
            Err(damage) => return unloadable(damage),
        },
    };
    let mut scanner = Scanner::new(
        std::io::BufReader::with_capacity(64 * 1024, log.reader_at(start)),
        start,
        file_len,
    );
    let torn_at = match replay.run(&mut scanner) {
        Ok(torn_at) => torn_at,
        Err(ReplayStop::Damage(damage)) => return Ok(Err((damage, Some(replay.machine)))),
        Err(ReplayStop::Io(e)) => return Err(e),
    };
    if replay.chain.next_seq == 1 {
        return unloadable(Damage {
            first_bad_seq: 1,
            problem: "the log holds no records".into(),
        });
    }
    Ok(Ok(Loaded {
        replay,
        end: torn_at.unwrap_or(scanner.offset),
        file_len,
        torn_at,
    }))
}

/// A snapshot counts only if the checkpoint record it names is where it says, with the hash
/// it says, carrying the digest of the state it holds.
fn resume_from<M: ReplayMachine>(
    log: &Bytes,
    file_len: u64,
    snapshot: Snapshot,
) -> io::Result<Result<(Replay<M>, u64), Damage>> {
    let disagrees = |why: &str| {
        damage(
            snapshot.seq,
            format!("the snapshot disagrees with the log: {why}"),
        )
    };
    let in_bounds = snapshot.offset >= MAGIC.len() as u64
        && snapshot
            .offset
            .checked_add(HEADER_LEN as u64)
            .is_some_and(|end| end <= file_len);
    if !in_bounds {
        return disagrees("its checkpoint lies beyond the end of the log");
    }
    let available = (file_len - snapshot.offset).min(MAX_FRAME as u64) as usize;
    let mut buf = vec![0u8; available];
    log.read_at(&mut buf, snapshot.offset)?;
    let (record, len) = match decode_frame(&buf) {
        Decoded::Record(record, len) => (record, len),
        _ => return disagrees("its checkpoint record is unreadable"),
    };
    let Entry::Checkpoint { digest, .. } = record.entry else {
        return disagrees("its checkpoint record is a different record");
    };
    if record.seq != snapshot.seq || record.hash != snapshot.hash {
        return disagrees("its checkpoint record is a different record");
    }
    let machine = match M::decode(&snapshot.state) {
        Ok(machine) if machine.digest() == digest => machine,
        Ok(_) => return disagrees("its state does not match the checkpoint's digest"),
        Err(why) => return disagrees(&why),
    };
    let replay = Replay {
        machine,
        chain: ChainCheck {
            next_seq: record.seq + 1,
            last_hash: record.hash,
        },
        since_checkpoint: 0,
        max_time: snapshot.max_time.max(record.time_ms),
        last_time: record.time_ms,
    };
    Ok(Ok((replay, snapshot.offset + len as u64)))
}
