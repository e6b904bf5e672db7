//! Quarantine: a damaged chain's files, or a planted file of unwritten decisions, kept aside; and erasing what was kept aside.

use std::io;

use super::fs;
use super::journal::{Journal, Place};

impl Journal {
    /// Moves the chain's files aside into `quarantine/`, returning the folder's name relative
    /// to the store directory. Memory stores keep nothing aside.
    pub fn quarantine(&self, time_ms: i64) -> io::Result<String> {
        match &self.place {
            Place::Disk { dir, .. } => {
                if self.chain.next_seq > 1 {
                    self.log.sync_data()?;
                }
                dir.quarantine(time_ms)
            }
            Place::Memory => Ok(String::from("(memory store: nothing kept)")),
            Place::ReadOnly => Err(io::Error::other("the store was opened read-only")),
        }
    }

    /// Deletes the damaged copies kept aside (part of erasing everything).
    pub fn erase_kept_aside(&self) -> io::Result<()> {
        match &self.place {
            Place::Disk { dir, .. } => dir.erase_quarantine(),
            Place::Memory | Place::ReadOnly => Ok(()),
        }
    }

    /// Keeps the unwritten decisions' file aside (`.damaged`), when it held what no process
    /// could have kept.
    pub fn set_unwritten_aside(&self) -> io::Result<()> {
        match &self.place {
            Place::Disk { dir, .. } if dir.exists(fs::UNWRITTEN_FILE) => {
                dir.set_damaged_aside(fs::UNWRITTEN_FILE)
            }
            _ => Ok(()),
        }
    }
}
