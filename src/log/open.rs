//! Opening a log: the snapshot checked against its checkpoint and a short tail replayed, a torn tail cut off, derived files checked (and rebuilt from the log when they disagree), and damage reported.

use std::io::{self, BufReader};
use std::path::Path;
use std::sync::Arc;

use super::base;
use super::fs::{Bytes, Faults, StoreDir, INDEX_FILE, LOG_FILE, SNAPSHOT_FILE};
use super::index::{self, IndexEntry};
use super::journal::{Journal, Place, PREALLOCATE, RESERVE};
use super::record::{check_magic, decode_frame, Decoded, Hash, HEADER_LEN, MAGIC, MAX_FRAME};
use super::record::{Damage, Stop};
use super::replay::{Replay, ReplayMachine};
use super::scan::Scanner;
use super::seal::{self, Sealer};
use super::snapshot::Snapshot;
use crate::entry::{DerivedFile, Entry};

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

/// A derived file that was not believed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rebuilt {
    pub file: DerivedFile,
    pub problem: String,
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
    // Damage found after the records were read (a seal, the anchor): what is shown is what
    // the records before it say, and nothing after.
    if let Err((damage, Some((replay, _)))) = &loaded {
        if damage.first_bad_seq < replay.chain.next_seq {
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
        (Some(sealer), Some(app_id)) => Some(super::unwritten::FileKey { sealer, app_id }),
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

struct Loaded<M> {
    replay: Replay<M>,
    /// The key's anchor says the last process closed cleanly.
    anchored_closed: bool,
    /// The key's anchor names a file of closing decisions waiting to be recorded.
    nos_pending: Option<Hash>,
    /// Where the first frame is (after the base of a compacted log).
    first_frame: u64,
    /// Where the whole frames end (before a torn tail, if any).
    end: u64,
    file_len: u64,
    torn_at: Option<u64>,
    rebuilt: Vec<Rebuilt>,
}

/// Damage found while loading, with the replay of the good records before it (and where the
/// first frame is), when there were any.
type Unloadable<M> = (Damage, Option<(Replay<M>, u64)>);

/// Reads the snapshot and the records after it, checking everything it reads. A snapshot
/// whose own checksum fails, or whose state disagrees with the checkpoint it names, is not
/// believed: the log is replayed from its start instead. A snapshot naming a checkpoint the
/// log no longer holds is evidence that records were lost: damage.
fn load<M: ReplayMachine>(
    dir: &StoreDir,
    log: &Bytes,
    sealer: Option<&Arc<dyn Sealer>>,
) -> io::Result<Result<Loaded<M>, Unloadable<M>>> {
    let unloadable = |first_bad_seq: u64, problem: String| {
        Ok(Err((
            Damage {
                first_bad_seq,
                problem,
            },
            None,
        )))
    };
    let file_len = log.len()?;
    let mut header = [0u8; MAGIC.len()];
    let n = log.read_at(&mut header, 0)?;
    if let Err(problem) = check_magic(&header[..n]) {
        return unloadable(1, problem);
    }
    let (first_frame, base) = match base::read(log)? {
        Ok(found) => found,
        Err(problem) => return unloadable(1, problem),
    };
    let mut rebuilt = Vec::new();
    let mut not_believed = |problem: String| {
        rebuilt.push(Rebuilt {
            file: DerivedFile::Snapshot,
            problem,
        });
        None
    };
    let resumed = match Snapshot::read(dir) {
        Ok(None) => None,
        Err(problem) => not_believed(problem),
        Ok(Some(snapshot)) => match resume_from::<M>(log, first_frame, file_len, snapshot)? {
            Resumed::Yes(replay, start) => Some((*replay, start)),
            Resumed::Disagrees(problem) => not_believed(problem),
            Resumed::LogLost(seq, problem) => return unloadable(seq, problem),
        },
    };
    let (mut replay, start) = match (resumed, base) {
        (Some(resumed), _) => resumed,
        (None, Some(base)) => match base.resume::<M>() {
            Ok(replay) => (replay, first_frame),
            Err(damage) => return Ok(Err((damage, None))),
        },
        (None, None) => (Replay::<M>::from_start(), first_frame),
    };
    let mut scanner = Scanner::new(
        BufReader::with_capacity(64 * 1024, log.reader_at(start)),
        start,
        file_len,
    );
    let torn_at = match replay.run(&mut scanner) {
        Ok(torn_at) => torn_at,
        Err(Stop::Damage(damage)) => return Ok(Err((damage, Some((replay, first_frame))))),
        Err(Stop::Io(e)) => return Err(e),
        Err(Stop::Sealer(e)) => return Err(io::Error::other(e)),
        Err(other) => return Err(io::Error::other(other.to_string())),
    };
    if replay.chain.next_seq == 1 {
        return unloadable(1, "the log holds no records".into());
    }
    let mut status = seal::SealStatus::default();
    if let (Some(sealer), Some(owner)) = (sealer, &replay.owner) {
        let head = replay.chain.next_seq - 1;
        let seals = (replay.seen_seals.as_slice(), replay.seals);
        match seal::check_chain(sealer, owner, seals, head, replay.started_at)
            .map_err(io::Error::other)?
        {
            Err(damage) => return Ok(Err((damage, Some((replay, first_frame))))),
            Ok(checked) => status = checked,
        }
        if let Some(damage) = replay.unsealed_opening() {
            return Ok(Err((damage, Some((replay, first_frame)))));
        }
    }
    Ok(Ok(Loaded {
        anchored_closed: status.anchored_closed,
        nos_pending: status.nos_pending,
        replay,
        first_frame,
        end: torn_at.unwrap_or(scanner.offset),
        file_len,
        torn_at,
        rebuilt,
    }))
}

enum Resumed<M> {
    Yes(Box<Replay<M>>, u64),
    /// The snapshot is wrong; the log may well be right.
    Disagrees(String),
    /// The log does not hold the checkpoint the snapshot was bound to: it lost records.
    LogLost(u64, String),
}

/// A snapshot counts only if the checkpoint record it names is where it says, with the hash
/// it says, carrying the digest of the state it holds.
fn resume_from<M: ReplayMachine>(
    log: &Bytes,
    first_frame: u64,
    file_len: u64,
    snapshot: Snapshot,
) -> io::Result<Resumed<M>> {
    let lost = |why: &str| {
        Ok(Resumed::LogLost(
            snapshot.seq,
            format!("the log no longer holds the checkpoint its snapshot names: {why}"),
        ))
    };
    let in_bounds = snapshot.offset >= first_frame
        && snapshot
            .offset
            .checked_add(HEADER_LEN as u64)
            .is_some_and(|end| end <= file_len);
    if !in_bounds {
        return lost("it lies beyond the end of the log");
    }
    let available = (file_len - snapshot.offset).min(MAX_FRAME as u64) as usize;
    let mut buf = vec![0u8; available];
    log.read_at(&mut buf, snapshot.offset)?;
    let (record, len) = match decode_frame(&buf) {
        Decoded::Record(record, len) => (record, len),
        _ => return lost("there is no whole record where it should be"),
    };
    let Entry::Checkpoint { digest, .. } = record.entry else {
        return lost("a different record stands where it should be");
    };
    if record.seq != snapshot.seq || record.hash != snapshot.hash {
        return lost("a different checkpoint stands where it should be");
    }
    let machine = match M::decode(&snapshot.state) {
        Ok(machine) if machine.digest() == digest => machine,
        Ok(_) => {
            return Ok(Resumed::Disagrees(
                "the snapshot's state does not match its checkpoint's digest".into(),
            ))
        }
        Err(why) => return Ok(Resumed::Disagrees(why)),
    };
    let owner = (snapshot.app_id.clone(), snapshot.chain);
    let max_time = snapshot.max_time.max(record.time_ms);
    let replay = Replay::resumed(machine, &record, owner, snapshot.seals, max_time);
    Ok(Resumed::Yes(Box::new(replay), snapshot.offset + len as u64))
}

/// The time index, checked against the log; rebuilt from the log's checkpoints (and the
/// rebuild noted) when it fails its checks.
fn check_index(
    dir: &StoreDir,
    log: &Bytes,
    end: u64,
    rebuilt: &mut Vec<Rebuilt>,
) -> io::Result<Bytes> {
    let problem = match dir.open_file(INDEX_FILE, true) {
        Ok(None) => None,
        Err(e) => Some(e.to_string()),
        Ok(Some(index)) => match index::read(&index) {
            Err(problem) => Some(problem),
            Ok(entries) => index::check(&entries, end, log).err(),
        },
    };
    if let Some(problem) = problem {
        let entries = checkpoints(log, end)?;
        dir.remove(INDEX_FILE)?;
        dir.replace(INDEX_FILE, &index::encode_all(&entries))?;
        rebuilt.push(Rebuilt {
            file: DerivedFile::Index,
            problem,
        });
    }
    dir.open_append(INDEX_FILE)
}

/// Where every checkpoint of the log is: a full scan, for rebuilding the index.
fn checkpoints(log: &Bytes, end: u64) -> io::Result<Vec<IndexEntry>> {
    let start = base::first_frame(log)?;
    let reader = BufReader::with_capacity(64 * 1024, log.reader_at(start));
    let mut scanner = Scanner::new(reader, start, end);
    let mut entries = Vec::new();
    loop {
        let offset = scanner.offset;
        match scanner.next_record() {
            Ok(Some(record)) => {
                if matches!(record.entry, Entry::Checkpoint { .. }) {
                    entries.push(IndexEntry {
                        offset,
                        seq: record.seq,
                    });
                }
            }
            Err(Stop::Io(e)) => return Err(e),
            // The end, a torn tail or damage: the checkpoints before it are what there is.
            Ok(None) | Err(_) => return Ok(entries),
        }
    }
}
