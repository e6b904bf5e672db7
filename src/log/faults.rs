//! Fault injection: the changes to the disk a test's injector is told of (`IoKind`, `IoOp`, `IoFaults`), and the store's hook that runs each one through it.

use std::io;
use std::sync::Arc;

/// A change to the disk, as a fault injector sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoKind {
    /// A file created (or opened for writing for the first time).
    Create,
    /// Bytes written into a file.
    Write,
    /// A file extended with zeros and synced: the log's preallocation.
    Allocate,
    /// A file's data made durable (`fdatasync`).
    SyncData,
    /// A file's data and size made durable (`fsync`).
    SyncAll,
    /// A file cut short.
    Truncate,
    /// A file renamed over another.
    Rename,
    /// A hard link made (a quarantine keeping a file aside).
    Link,
    /// A file removed.
    Remove,
    /// A directory created.
    MakeDir,
    /// A directory's entries made durable.
    DirSync,
}

/// One change to the disk: its kind, and the file (relative to the store directory; empty
/// for the directory itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoOp {
    /// What is done.
    pub kind: IoKind,
    /// To which file or directory, relative to the store directory.
    pub file: String,
}

/// Fault injection for tests: told of every change to the disk before and after it.
/// `before` returning an error fails the operation with it; `after` sees only successes.
pub trait IoFaults: Send + Sync {
    /// About to do `op`; an error makes it fail instead.
    fn before(&self, op: &IoOp) -> io::Result<()>;
    /// `op` succeeded.
    fn after(&self, op: &IoOp) {
        let _ = op;
    }
}

/// The fault injector of a store, if any. Without one, operations cost nothing extra.
#[derive(Clone, Default)]
pub(crate) struct Faults(pub Option<Arc<dyn IoFaults>>);

impl Faults {
    pub(super) fn run<T>(
        &self,
        kind: IoKind,
        file: &str,
        f: impl FnOnce() -> io::Result<T>,
    ) -> io::Result<T> {
        let Some(hook) = &self.0 else { return f() };
        let op = IoOp {
            kind,
            file: file.to_string(),
        };
        hook.before(&op)?;
        let out = f()?;
        hook.after(&op);
        Ok(out)
    }
}
