//! Opening a log, for writing or read-only: what it found (`Found`), a torn tail cut off, the journal resumed where the records end, and the records before damage read on their own.

use std::io::{self, BufReader};
use std::path::Path;
use std::sync::Arc;

use super::base;
use super::bytes::Bytes;
use super::faults::Faults;
use super::fs::{StoreDir, INDEX_FILE, LOG_FILE, SNAPSHOT_FILE};
use super::journal::{Journal, Place, PREALLOCATE, RESERVE};
use super::load::{check_index, load, Loaded, Rebuilt, Unloadable};
use super::record::{Damage, Stop};
use super::replay::{Replay, ReplayMachine};
use super::scan::Scanner;
use super::seal::Sealer;

/// What opening found.
pub(crate) enum Found<M> {
    /// No log: a new store. The journal has no chain yet.
    New,
    /// A log whose checks pass, replayed into the machine.
    Intact {
        machine: M,
        /// Set when bytes that were not part of the chain were cut off its end.
        repaired: Option<Repair>,
        /// Derived files that disagreed with the log and were rebuilt from it.
        rebuilt: Vec<Rebuilt>,
    },
    /// A log that failed its checks. The journal has no chain yet; the damaged files are
    /// still in place, to be kept aside. `replayed` is the state up to the damage, when any
    /// of it could be read (it names the store's owner).
    Damaged { damage: Damage, replayed: Option<M> },
}

/// Bytes cut off the end of the log on open: a torn append, or junk beyond the space the log
/// ever reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Repair {
    pub cut_at: u64,
    pub bytes_cut: u64,
}

#[derive(Debug)]
pub(crate) enum OpenError {
    Locked,
    /// The log holds seals and no sealer was given: it is written only with its key.
    Sealed,
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

/// Opens (or creates) the store directory for writing, locks it, and reads its log.
pub(crate) fn open_dir<M: ReplayMachine>(
    path: &Path,
    checkpoint_every: u64,
    faults: Faults,
    sealer: Option<Arc<dyn Sealer>>,
) -> Result<(Journal, Found<M>), OpenError> {
    let (mut journal, found) = open_for_writing(path, checkpoint_every, faults, sealer.as_ref())?;
    journal.set_sealer(sealer);
    Ok((journal, found))
}

fn open_for_writing<M: ReplayMachine>(
    path: &Path,
    checkpoint_every: u64,
    faults: Faults,
    sealer: Option<&Arc<dyn Sealer>>,
) -> Result<(Journal, Found<M>), OpenError> {
    let dir = StoreDir::create(path, faults)?;
    let lock = dir.lock()?.ok_or(OpenError::Locked)?;
    dir.remove_leftovers()?;
    let log = match dir.open_file(LOG_FILE, false) {
        Ok(log) => log,
        Err(e) if !is_plain_file_problem(&e) => return Err(e.into()),
        Err(e) => {
            return Ok(chainless(
                dir,
                lock,
                checkpoint_every,
                damaged(1, e.to_string()),
            ))
        }
    };
    let Some(log) = log else {
        let found = if dir.exists(SNAPSHOT_FILE) {
            damaged(1, "the log is missing but its snapshot is present".into())
        } else {
            Found::New
        };
        return Ok(chainless(dir, lock, checkpoint_every, found));
    };
    let loaded = match load::<M>(&dir, &log, sealer)? {
        Err((damage, replayed)) => {
            let replayed = replayed.map(|(replay, _)| replay.machine);
            let found = Found::Damaged { damage, replayed };
            return Ok(chainless(dir, lock, checkpoint_every, found));
        }
        Ok(loaded) => loaded,
    };
    let Loaded {
        replay,
        anchored_closed,
        nos_pending,
        first_frame,
        end,
        file_len,
        torn_at,
        mut rebuilt,
    } = loaded;
    // A sealed store is written only with its key: without it, what this process wrote would
    // be sealed later as if the key's holder had (I7).
    if sealer.is_none() && replay.seals > 0 {
        return Err(OpenError::Sealed);
    }
    // Cut a torn append, and junk beyond any space the log ever reserved (it is never read,
    // but must not sit where the log will grow). A torn append is zeroed where it lies rather
    // than cut off the file: the room reserved for closing decisions survives the repair
    // (truncating gave it back to a disk that may be full by now).
    let ours = end.div_ceil(PREALLOCATE) * PREALLOCATE + PREALLOCATE;
    let cut_at = torn_at.or((file_len > ours).then_some(ours));
    if file_len > ours {
        log.set_len(ours)?;
        log.sync_all()?;
    }
    if let Some(torn_at) = torn_at {
        log.zero_fill_within(torn_at, file_len.min(ours))?;
    }
    let index = check_index(&dir, &log, end, &mut rebuilt)?;
    let mut journal = Journal::new(
        Place::Disk { dir, _lock: lock },
        log,
        index,
        checkpoint_every,
    );
    resume(&mut journal, &replay, first_frame, end);
    journal.anchored_closed = anchored_closed;
    journal.nos_pending = nos_pending;
    // The room reserved by the last process is the room of this one, where it reads as zeros.
    let room = cut_at.unwrap_or(file_len).min(end + RESERVE + 4096);
    journal.zeroed = end + zeros_from(&journal.log, end, room)?;
    let repaired = cut_at.map(|cut_at| Repair {
        cut_at,
        bytes_cut: file_len - cut_at,
    });
    let found = Found::Intact {
        machine: replay.machine,
        repaired,
        rebuilt,
    };
    Ok((journal, found))
}

/// Opens a store to inspect it: reads the consistent prefix up to the last complete record,
/// writes nothing (not even a repair), takes no lock. Works while the app holds the store,
/// and on a read-only filesystem.
pub(crate) fn open_read_only<M: ReplayMachine>(
    path: &Path,
    checkpoint_every: u64,
    sealer: Option<Arc<dyn Sealer>>,
) -> Result<(Journal, Found<M>), OpenError> {
    let none = || Bytes::memory(Vec::new());
    let dir = match StoreDir::open_existing(path, Faults::default()) {
        Ok(dir) => dir,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok((
                Journal::new(Place::ReadOnly, none(), none(), checkpoint_every),
                Found::New,
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let log = match dir.open_file(LOG_FILE, true) {
        Ok(Some(log)) => log,
        Ok(None) => {
            return Ok((
                Journal::new(Place::ReadOnly, none(), none(), checkpoint_every),
                Found::New,
            ))
        }
        Err(e) if is_plain_file_problem(&e) => {
            let journal = Journal::new(Place::ReadOnly, none(), none(), checkpoint_every);
            return Ok((journal, damaged(1, e.to_string())));
        }
        Err(e) => return Err(e.into()),
    };
    // A record the app is writing this very moment can read as damaged: look again before
    // calling it damage.
    let mut loaded = load::<M>(&dir, &log, sealer.as_ref())?;
    for _ in 0..3 {
        if loaded.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        loaded = load::<M>(&dir, &log, sealer.as_ref())?;
    }
    // What is shown is what the records before the damage say, and nothing after: read again
    // up to it with every seal checked, since the damage may sit behind records read before it
    // (a seal, the anchor) or end records that no seal of this key vouches for.
    if let Err((damage, Some((replay, _)))) = &loaded {
        if damage.first_bad_seq <= replay.chain.next_seq {
            let (damage, before) = prefix::<M>(&log, damage.clone(), sealer.as_ref())?;
            loaded = Err((damage, before));
        }
    }
    let index = match dir.open_file(INDEX_FILE, true) {
        Ok(Some(index)) => index,
        _ => none(),
    };
    let mut journal = Journal::new(Place::ReadOnly, log, index, checkpoint_every);
    let mut anchored = None;
    let found = match loaded {
        // The good records before the damage stay readable, marked as what they are.
        Err((damage, replayed)) => match replayed {
            Some((replay, first_frame)) => {
                resume(&mut journal, &replay, first_frame, replay.good_end);
                Found::Damaged {
                    damage,
                    replayed: Some(replay.machine),
                }
            }
            None => Found::Damaged {
                damage,
                replayed: None,
            },
        },
        Ok(loaded) => {
            // A torn last record is an append in progress, or a crash's: read up to it.
            resume(&mut journal, &loaded.replay, loaded.first_frame, loaded.end);
            anchored = loaded.nos_pending;
            Found::Intact {
                machine: loaded.replay.machine,
                repaired: None,
                rebuilt: Vec::new(),
            }
        }
    };
    // What the last process could not write is shown with the rest (I6): read, left in place.
    let app_id = journal.owner.as_ref().map(|(app_id, _)| app_id.clone());
    let file_key = match (sealer.clone(), app_id) {
        (Some(sealer), Some(app_id)) => Some(super::sidefile::FileKey { sealer, app_id }),
        _ => None,
    };
    let mut pending = super::unwritten::peek(&dir, file_key.as_ref(), true, anchored);
    if pending.unreadable.is_some() && file_key.is_none() {
        // Vouched for by a key this inspector does not have: its "no"s can only turn off.
        let unchecked = super::unwritten::peek(&dir, None, false, None);
        if unchecked.unreadable.is_none() {
            pending = unchecked;
        }
    }
    journal.pending_view = Some(pending);
    journal.texts_view = super::texts::read(&dir, file_key.as_ref());
    journal.set_sealer(sealer);
    Ok((journal, found))
}

/// How many bytes of `log` from `start` up to `end` read as zeros.
fn zeros_from(log: &Bytes, start: u64, end: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; end.saturating_sub(start) as usize];
    let read = log.read_at(&mut buf, start)?;
    Ok(buf[..read].iter().position(|b| *b != 0).unwrap_or(read) as u64)
}

fn chainless<M>(
    dir: StoreDir,
    lock: super::fs::DirLock,
    every: u64,
    found: Found<M>,
) -> (Journal, Found<M>) {
    let none = || Bytes::memory(Vec::new());
    let journal = Journal::new(Place::Disk { dir, _lock: lock }, none(), none(), every);
    (journal, found)
}

fn damaged<M>(first_bad_seq: u64, problem: String) -> Found<M> {
    Found::Damaged {
        damage: Damage {
            first_bad_seq,
            problem,
        },
        replayed: None,
    }
}

/// A store file that is a symbolic link (or otherwise not a plain file) is damage, not an
/// I/O failure: it is kept aside like any other damage.
fn is_plain_file_problem(e: &io::Error) -> bool {
    e.to_string().contains("symbolic link")
}

fn resume<M>(journal: &mut Journal, replay: &Replay<M>, first_frame: u64, end: u64) {
    journal.start = first_frame;
    journal.chain = replay.chain.clone();
    journal.end = end;
    // Nothing past the last record is trusted to be zero until the journal zeroes it.
    journal.zeroed = end;
    journal.since_checkpoint = replay.since_checkpoint;
    journal.max_time = replay.max_time;
    journal.last_time = replay.last_time;
    journal.owner = replay.owner.clone();
    journal.seals = replay.seals;
    journal.last_is_seal = replay
        .seen_seals
        .last()
        .is_some_and(|seal| seal.at.0 == replay.chain.next_seq - 1);
    journal.last_seal = replay
        .seen_seals
        .last()
        .map(|seal| (seal.epoch, seal.at.0, seal.at.1));
}

/// The replay of the records before `damage` only (after the base of a compacted log), and
/// where its first frame is; `None` when nothing before it can be read on its own. With a
/// sealer every seal is checked on the way: one that fails earlier (another key fails them
/// all) is where the damage starts.
fn prefix<M: ReplayMachine>(
    log: &Bytes,
    damage: Damage,
    sealer: Option<&Arc<dyn Sealer>>,
) -> io::Result<Unloadable<M>> {
    let file_len = log.len()?;
    let Ok((first_frame, base)) = base::read(log)? else {
        return Ok((damage, None));
    };
    let mut replay = match base.map(|base| base.resume::<M>()) {
        Some(Ok(replay)) => replay,
        Some(Err(_)) => return Ok((damage, None)),
        None => Replay::from_start(),
    };
    if damage.first_bad_seq < replay.started_at {
        return Ok((damage, None));
    }
    replay.stop_before = Some(damage.first_bad_seq);
    replay.check_seals = sealer.cloned();
    let mut scanner = Scanner::new(
        BufReader::with_capacity(64 * 1024, log.reader_at(first_frame)),
        first_frame,
        file_len,
    );
    match replay.run(&mut scanner) {
        Ok(_) => Ok((damage, Some((replay, first_frame)))),
        Err(Stop::Damage(earlier)) => Ok((earlier, Some((replay, first_frame)))),
        Err(Stop::Io(e)) => Err(e),
        // The sealer could not check a seal (replay reports nothing else).
        Err(_) => Ok((damage, None)),
    }
}
