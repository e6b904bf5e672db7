//! Streams records out of a log, telling a torn tail from damage.

use std::io::{self, Read};

use super::record::{decode_frame, frame_len, Decoded, Record, HASH_LEN, HEADER_LEN};

/// Why a scan stopped before the end.
#[derive(Debug)]
pub(crate) enum ScanStop {
    /// The bytes from `offset` to the end are an incomplete append: safe to cut.
    Torn {
        offset: u64,
    },
    /// The frame at `offset` is damaged.
    Corrupt {
        offset: u64,
        reason: String,
    },
    Io(io::Error),
}

impl std::fmt::Display for ScanStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanStop::Torn { offset } => write!(f, "the log ends inside a record at byte {offset}"),
            ScanStop::Corrupt { offset, reason } => {
                write!(f, "damaged record at byte {offset}: {reason}")
            }
            ScanStop::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads frames one by one from `offset` up to `end` (bytes), through a buffered reader.
pub(crate) struct Scanner<R> {
    reader: R,
    pub offset: u64,
    end: u64,
    frame: Vec<u8>,
}

impl<R: Read> Scanner<R> {
    /// `reader` must be positioned at `offset`.
    pub fn new(reader: R, offset: u64, end: u64) -> Scanner<R> {
        Scanner {
            reader,
            offset,
            end,
            frame: Vec::with_capacity(256),
        }
    }

    /// The next whole record, `None` at the end, or why the bytes cannot be read as one.
    pub fn next_record(&mut self) -> Result<Option<Record>, ScanStop> {
        let remaining = self.end.saturating_sub(self.offset);
        if remaining == 0 {
            return Ok(None);
        }
        let torn = ScanStop::Torn {
            offset: self.offset,
        };
        if remaining < HEADER_LEN as u64 {
            return Err(torn);
        }
        self.frame.clear();
        self.frame.resize(HEADER_LEN, 0);
        self.reader
            .read_exact(&mut self.frame)
            .map_err(ScanStop::Io)?;
        let Some(len) = frame_len(self.frame[..HEADER_LEN].try_into().unwrap()) else {
            // A header that disagrees with itself is damage, unless only zeros follow
            // (a file extended by a crash before its data reached the disk).
            let mut rest = Vec::new();
            (&mut self.reader)
                .take(remaining - HEADER_LEN as u64)
                .read_to_end(&mut rest)
                .map_err(ScanStop::Io)?;
            if self.frame.iter().chain(rest.iter()).all(|&b| b == 0) {
                return Err(torn);
            }
            return Err(self.corrupt("frame header is inconsistent".into()));
        };
        let total = HEADER_LEN + len + HASH_LEN;
        if remaining < total as u64 {
            return Err(torn);
        }
        self.frame.resize(total, 0);
        self.reader
            .read_exact(&mut self.frame[HEADER_LEN..])
            .map_err(ScanStop::Io)?;
        match decode_frame(&self.frame) {
            Decoded::Record(record, n) => {
                self.offset += n as u64;
                Ok(Some(*record))
            }
            Decoded::Torn => Err(torn),
            Decoded::Corrupt(reason) => Err(self.corrupt(reason)),
        }
    }

    fn corrupt(&self, reason: String) -> ScanStop {
        ScanStop::Corrupt {
            offset: self.offset,
            reason,
        }
    }
}
