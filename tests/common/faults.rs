//! A fault plan for the store's I/O seam: counts every change to the disk, fails the N-th with an error of choice, or "crashes" after it — and can then put the disk back the way a power cut would have left it, keeping only what was synced.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use consentkit::{IoFaults, IoKind, IoOp};
use parking_lot::Mutex;

/// What happens at operation `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The operation fails with this errno (EIO, ENOSPC); the process goes on.
    Fail(i32),
    /// The operation succeeds, then the process "dies": every later operation fails, and
    /// `power_cut` restores the disk to what was synced.
    CrashAfter,
}

pub struct FaultPlan {
    dir: PathBuf,
    at: u64,
    fault: Fault,
    count: AtomicU64,
    dead: AtomicBool,
    /// Bumped for each operation that only changes what a crash would lose.
    durable: Mutex<Durable>,
    pub seen: Mutex<Vec<IoOp>>,
}

/// What survives a power cut: each file's content as last synced (by inode), and each
/// directory's entries as last synced.
#[derive(Default)]
struct Durable {
    files: HashMap<u64, Vec<u8>>,
    dirs: HashMap<PathBuf, BTreeMap<String, u64>>,
}

impl FaultPlan {
    /// A plan for the store in `dir`, whose present content counts as durable.
    pub fn new(dir: &Path, at: u64, fault: Fault) -> FaultPlan {
        let plan = FaultPlan {
            dir: dir.to_path_buf(),
            at,
            fault,
            count: AtomicU64::new(0),
            dead: AtomicBool::new(false),
            durable: Mutex::default(),
            seen: Mutex::default(),
        };
        plan.record_tree(Path::new(""));
        plan
    }

    /// How many operations were attempted.
    pub fn operations(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Whether the fault was injected (the plan reached operation `at`).
    pub fn fired(&self) -> bool {
        self.operations() >= self.at
    }

    fn record_tree(&self, rel: &Path) {
        let full = self.dir.join(rel);
        let Ok(entries) = fs::read_dir(&full) else {
            return;
        };
        let mut listing = BTreeMap::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = fs::symlink_metadata(entry.path()).unwrap();
            listing.insert(name.clone(), meta.ino());
            if meta.is_dir() {
                self.record_tree(&rel.join(&name));
            } else if meta.is_file() {
                let bytes = fs::read(entry.path()).unwrap_or_default();
                self.durable.lock().files.insert(meta.ino(), bytes);
            }
        }
        self.durable.lock().dirs.insert(rel.to_path_buf(), listing);
    }

    fn synced_file(&self, rel: &str) {
        let path = self.dir.join(rel);
        if let (Ok(meta), Ok(bytes)) = (fs::symlink_metadata(&path), fs::read(&path)) {
            self.durable.lock().files.insert(meta.ino(), bytes);
        }
    }

    fn synced_dir(&self, rel: &str) {
        let rel = PathBuf::from(rel);
        let Ok(entries) = fs::read_dir(self.dir.join(&rel)) else {
            return;
        };
        let listing = entries
            .flatten()
            .map(|e| {
                let ino = fs::symlink_metadata(e.path()).map(|m| m.ino()).unwrap_or(0);
                (e.file_name().to_string_lossy().into_owned(), ino)
            })
            .collect();
        self.durable.lock().dirs.insert(rel, listing);
    }

    /// Puts the disk back as a power cut after the crash would have left it: directories
    /// hold the entries they held when last synced, files the content they had when last
    /// synced (empty if never). Call once the store using this plan has been dropped.
    pub fn power_cut(&self) {
        self.restore_dir(Path::new(""));
    }

    fn restore_dir(&self, rel: &Path) {
        let full = self.dir.join(rel);
        let durable = self.durable.lock().dirs.get(rel).cloned();
        let Some(listing) = durable else {
            // Never synced into its parent: it does not survive.
            let _ = fs::remove_dir_all(&full);
            return;
        };
        if let Ok(entries) = fs::read_dir(&full) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !listing.contains_key(&name) {
                    let path = entry.path();
                    if path.is_dir() && !path.is_symlink() {
                        fs::remove_dir_all(&path).unwrap();
                    } else {
                        fs::remove_file(&path).unwrap();
                    }
                }
            }
        }
        for (name, ino) in listing {
            let path = full.join(&name);
            if self.durable.lock().dirs.contains_key(&rel.join(&name)) {
                fs::create_dir_all(&path).unwrap();
                self.restore_dir(&rel.join(&name));
                continue;
            }
            let content = self
                .durable
                .lock()
                .files
                .get(&ino)
                .cloned()
                .unwrap_or_default();
            let _ = fs::remove_file(&path);
            fs::write(&path, content).unwrap();
        }
    }
}

impl IoFaults for FaultPlan {
    fn before(&self, op: &IoOp) -> io::Result<()> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(io::Error::other("the process crashed"));
        }
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        self.seen.lock().push(op.clone());
        match self.fault {
            Fault::Fail(errno) if n == self.at => Err(io::Error::from_raw_os_error(errno)),
            _ => Ok(()),
        }
    }

    fn after(&self, op: &IoOp) {
        match op.kind {
            IoKind::SyncData | IoKind::SyncAll | IoKind::Allocate => self.synced_file(&op.file),
            IoKind::DirSync => self.synced_dir(&op.file),
            _ => {}
        }
        if self.fault == Fault::CrashAfter && self.count.load(Ordering::SeqCst) == self.at {
            self.dead.store(true, Ordering::SeqCst);
        }
    }
}
