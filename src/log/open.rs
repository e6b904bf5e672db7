//! Opening a log: snapshot plus short tail, a torn tail cut off, anything else quarantined and a new chain started.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::record::{decode_frame, ChainCheck, Decoded, HEADER_LEN, MAGIC};
use super::scan::{ScanStop, Scanner};
use super::snapshot::Snapshot;
use super::{
    create_chain_file, index, new_chain_bytes, open_log_for_writing, quarantine_files, DirLock,
    Journal, Storage, TimeIndex, LOG_FILE, SNAPSHOT_FILE,
};
use crate::entry::AuditKind;
use crate::rules::{Genesis, RecoveryNotice, State};

/// A journal ready for appends, and the state its records add up to.
pub(crate) struct Opened {
    pub journal: Journal,
    pub state: State,
    /// Set when a torn last record was cut off: what was cut.
    pub repaired: Option<String>,
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

pub(crate) fn open_memory(app_id: &str, checkpoint_every: u64, time_ms: i64) -> Opened {
    let genesis = Genesis {
        app_id: app_id.to_string(),
        recovery: None,
    }
    .entry(AuditKind::ChainStarted);
    let (buf, chain) = new_chain_bytes(&genesis, time_ms);
    let end = buf.len() as u64;
    let mut state = State::new("");
    state.apply(1, time_ms, &genesis, None);
    let storage = Storage::Memory(Arc::new(parking_lot::RwLock::new(buf)));
    let mut journal = Journal::new(
        storage,
        TimeIndex::Memory(Arc::default()),
        chain,
        end,
        checkpoint_every,
    );
    journal.max_time = time_ms;
    Opened {
        journal,
        state,
        repaired: None,
    }
}

/// Opens (or creates) the store's log in `dir`. `app_id` names a new chain's owner.
pub(crate) fn open_dir(
    dir: &Path,
    app_id: &str,
    checkpoint_every: u64,
    time_ms: i64,
) -> Result<Opened, OpenError> {
    create_private_dir(dir)?;
    let lock = DirLock::acquire(dir)?.map_err(|_| OpenError::Locked)?;
    let (genesis, loaded) = match load(dir, app_id)? {
        Load::Missing => (
            Some(Genesis::new(app_id, None).entry(AuditKind::ChainStarted)),
            None,
        ),
        Load::Damaged {
            first_bad_seq,
            problem,
        } => {
            let quarantined_as = quarantine_files(dir, time_ms)?;
            ::log::warn!(
                "consentkit: log failed its checks ({problem}); kept aside as {quarantined_as}"
            );
            let notice = RecoveryNotice {
                found_at_ms: time_ms,
                first_bad_seq,
                problem,
                quarantined_as,
            };
            (
                Some(Genesis::new(app_id, Some(notice)).entry(AuditKind::Recovered)),
                None,
            )
        }
        Load::Intact(loaded) => (None, Some(loaded)),
    };
    if let Some(genesis) = genesis {
        let (file, chain, end) = create_chain_file(dir, &genesis, time_ms)?;
        let mut state = State::new("");
        state.apply(1, time_ms, &genesis, None);
        let storage = Storage::Disk {
            dir: dir.to_path_buf(),
            file,
            _lock: lock,
        };
        let time_index = TimeIndex::fresh(&storage)?;
        let mut journal = Journal::new(storage, time_index, chain, end, checkpoint_every);
        journal.max_time = time_ms;
        return Ok(Opened {
            journal,
            state,
            repaired: None,
        });
    }
    let loaded = loaded.expect("intact when no genesis is needed");
    let file = open_log_for_writing(dir)?;
    if let Some(cut_at) = loaded.torn_at {
        file.set_len(cut_at)?;
        file.sync_all()?;
    }
    let allocated = loaded.torn_at.unwrap_or(loaded.file_len);
    let storage = Storage::Disk {
        dir: dir.to_path_buf(),
        file: Arc::new(file),
        _lock: lock,
    };
    let time_index = TimeIndex::Disk(Arc::new(index::open_for_append(dir)?));
    let mut journal = Journal::new(
        storage,
        time_index,
        loaded.chain,
        loaded.end,
        checkpoint_every,
    );
    journal.since_checkpoint = loaded.since_checkpoint;
    journal.max_time = loaded.max_time;
    journal.allocated = allocated;
    Ok(Opened {
        journal,
        state: loaded.state,
        repaired: loaded
            .torn_at
            .map(|at| format!("cut a torn record at offset {at}")),
    })
}

impl Genesis {
    fn new(app_id: &str, recovery: Option<RecoveryNotice>) -> Genesis {
        Genesis {
            app_id: app_id.to_string(),
            recovery,
        }
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

enum Load {
    Missing,
    Damaged { first_bad_seq: u64, problem: String },
    Intact(Box<Loaded>),
}

struct Loaded {
    state: State,
    chain: ChainCheck,
    /// Where the whole frames end (after a cut, if any).
    end: u64,
    file_len: u64,
    torn_at: Option<u64>,
    since_checkpoint: u64,
    max_time: i64,
}

fn damaged(first_bad_seq: u64, problem: impl Into<String>) -> Result<Load, io::Error> {
    Ok(Load::Damaged {
        first_bad_seq,
        problem: problem.into(),
    })
}

/// Reads the snapshot and the records after it, checking everything it reads.
fn load(dir: &Path, app_id: &str) -> io::Result<Load> {
    let mut file = match File::open(dir.join(LOG_FILE)) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if dir.join(SNAPSHOT_FILE).exists() {
                return damaged(1, "the log is missing but its snapshot is present");
            }
            return Ok(Load::Missing);
        }
        Err(e) => return Err(e),
    };
    let file_len = file.metadata()?.len();
    let mut magic = [0u8; 8];
    if file_len < MAGIC.len() as u64 || {
        file.read_exact(&mut magic)?;
        &magic != MAGIC
    } {
        return damaged(1, "the log does not start with the consentkit header");
    }
    let snapshot = match Snapshot::read(dir) {
        Ok(snapshot) => snapshot,
        Err(problem) => return damaged(1, problem),
    };
    let (mut state, mut chain, start, mut max_time) = match snapshot {
        None => (
            State::new(app_id),
            ChainCheck::new(),
            MAGIC.len() as u64,
            i64::MIN,
        ),
        Some(snapshot) => match check_snapshot(&mut file, file_len, snapshot)? {
            Ok(resumed) => resumed,
            Err((seq, problem)) => return damaged(seq, problem),
        },
    };
    file.seek(SeekFrom::Start(start))?;
    let mut scanner = Scanner::new(BufReader::with_capacity(64 * 1024, file), start, file_len);
    let mut since_checkpoint = 0;
    let torn_at = loop {
        match scanner.next_record() {
            Ok(None) => break None,
            Ok(Some(record)) => {
                if let Err(problem) = chain.accept(&record) {
                    return damaged(record.seq.min(chain.next_seq), problem);
                }
                since_checkpoint += 1;
                if record.entry.kind == AuditKind::Checkpoint {
                    if record.entry.detail != state.digest() {
                        return damaged(
                            record.seq,
                            "a checkpoint disagrees with the records before it",
                        );
                    }
                    since_checkpoint = 0;
                }
                max_time = max_time.max(record.time_ms);
                state.apply(record.seq, record.time_ms, &record.entry, None);
            }
            Err(ScanStop::Torn { offset }) => break Some(offset),
            Err(ScanStop::Corrupt { reason, .. }) => return damaged(chain.next_seq, reason),
            Err(ScanStop::Io(e)) => return Err(e),
        }
    };
    if chain.next_seq == 1 {
        return damaged(1, "the log holds no records");
    }
    Ok(Load::Intact(Box::new(Loaded {
        state,
        chain,
        end: torn_at.unwrap_or(scanner.offset),
        file_len,
        torn_at,
        since_checkpoint,
        max_time,
    })))
}

type Resumed = (State, ChainCheck, u64, i64);

/// A snapshot counts only if the checkpoint record it names is where it says, with the
/// hash it says, carrying the digest of the state it holds.
fn check_snapshot(
    file: &mut File,
    file_len: u64,
    snapshot: Snapshot,
) -> io::Result<Result<Resumed, (u64, String)>> {
    let disagrees = |why: &str| {
        Ok(Err((
            snapshot.seq,
            format!("the snapshot disagrees with the log: {why}"),
        )))
    };
    if snapshot.offset < MAGIC.len() as u64 || snapshot.offset + HEADER_LEN as u64 > file_len {
        return disagrees("its checkpoint lies beyond the end of the log");
    }
    let available = (file_len - snapshot.offset).min(super::record::MAX_PAYLOAD as u64 + 64);
    let mut buf = vec![0u8; available as usize];
    file.seek(SeekFrom::Start(snapshot.offset))?;
    file.read_exact(&mut buf)?;
    let (record, len) = match decode_frame(&buf) {
        Decoded::Record(record, len) => (record, len),
        _ => return disagrees("its checkpoint record is unreadable"),
    };
    if record.seq != snapshot.seq
        || record.entry.kind != AuditKind::Checkpoint
        || hex::encode(record.hash) != snapshot.hash
    {
        return disagrees("its checkpoint record is a different record");
    }
    if record.entry.detail != snapshot.state.digest() {
        return disagrees("its state does not match the checkpoint's digest");
    }
    let chain = ChainCheck {
        next_seq: record.seq + 1,
        last_hash: record.hash,
    };
    let max_time = snapshot.max_time.max(record.time_ms);
    Ok(Ok((
        snapshot.state,
        chain,
        snapshot.offset + len as u64,
        max_time,
    )))
}
