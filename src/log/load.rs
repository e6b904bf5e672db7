//! Reading a log back for opening: the snapshot checked against its checkpoint and the records after it replayed, the time index checked (and rebuilt from the log's checkpoints when it fails), and what a derived file that was not believed says.

use std::io::{self, BufReader};
use std::sync::Arc;

use super::base;
use super::bytes::Bytes;
use super::fs::{StoreDir, INDEX_FILE};
use super::index::{self, IndexEntry};
use super::record::{check_magic, decode_frame, Decoded, Hash, HEADER_LEN, MAGIC, MAX_FRAME};
use super::record::{Damage, Stop};
use super::replay::{Replay, ReplayMachine};
use super::scan::Scanner;
use super::seal::{self, Sealer};
use super::snapshot::Snapshot;
use crate::entry::Entry;
use crate::kinds::DerivedFile;

/// A derived file that was not believed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rebuilt {
    pub file: DerivedFile,
    pub problem: String,
}

pub(super) struct Loaded<M> {
    pub(super) replay: Replay<M>,
    /// The key's anchor says the last process closed cleanly.
    pub(super) anchored_closed: bool,
    /// The key's anchor names a file of closing decisions waiting to be recorded.
    pub(super) nos_pending: Option<Hash>,
    /// Where the first frame is (after the base of a compacted log).
    pub(super) first_frame: u64,
    /// Where the whole frames end (before a torn tail, if any).
    pub(super) end: u64,
    pub(super) file_len: u64,
    pub(super) torn_at: Option<u64>,
    pub(super) rebuilt: Vec<Rebuilt>,
}

/// Damage found while loading, with the replay of the good records before it (and where the
/// first frame is), when there were any.
pub(super) type Unloadable<M> = (Damage, Option<(Replay<M>, u64)>);

/// Reads the snapshot and the records after it, checking everything it reads. A snapshot
/// whose own checksum fails, or whose state disagrees with the checkpoint it names, is not
/// believed: the log is replayed from its start instead. A snapshot naming a checkpoint the
/// log no longer holds is evidence that records were lost: damage.
pub(super) fn load<M: ReplayMachine>(
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
pub(super) fn check_index(
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
