//! Streams records out of a log, telling the end (zeroed free space), a torn tail and damage apart.

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

    /// The next whole record, `None` at the end (which may be followed by zeroed, preallocated
    /// space), or why the bytes cannot be read as one.
    pub fn next_record(&mut self) -> Result<Option<Record>, ScanStop> {
        let remaining = self.end.saturating_sub(self.offset);
        if remaining == 0 {
            return Ok(None);
        }
        let torn = ScanStop::Torn {
            offset: self.offset,
        };
        self.frame.clear();
        if remaining < HEADER_LEN as u64 {
            return if self.rest_is_zero()? {
                Ok(None)
            } else {
                Err(torn)
            };
        }
        self.frame.resize(HEADER_LEN, 0);
        self.reader
            .read_exact(&mut self.frame)
            .map_err(ScanStop::Io)?;
        let Some(len) = frame_len(self.frame[..HEADER_LEN].try_into().unwrap()) else {
            let header_zero = self.frame.iter().all(|&b| b == 0);
            let check_zero = self.frame[4..].iter().all(|&b| b == 0);
            let rest_zero = self.rest_is_zero()?;
            if rest_zero && header_zero {
                return Ok(None); // free space the log has not used yet
            }
            if rest_zero && check_zero {
                return Err(torn); // a header cut short by a crash, in free space
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
            Decoded::Corrupt(reason) => {
                // A record written into zeroed space and cut by a crash still has its hash
                // (written last) all zero, and only zeros follow. A wrong hash is damage.
                let hash_unwritten = self.frame[total - HASH_LEN..].iter().all(|&b| b == 0);
                if hash_unwritten && self.rest_is_zero()? {
                    return Err(torn);
                }
                Err(self.corrupt(reason))
            }
        }
    }

    /// Whether everything after the current frame's bytes, to the end, is zero.
    fn rest_is_zero(&mut self) -> Result<bool, ScanStop> {
        let consumed = self.offset + self.frame.len() as u64;
        let mut rest = Vec::new();
        (&mut self.reader)
            .take(self.end.saturating_sub(consumed))
            .read_to_end(&mut rest)
            .map_err(ScanStop::Io)?;
        Ok(rest.iter().all(|&b| b == 0))
    }

    fn corrupt(&self, reason: String) -> ScanStop {
        ScanStop::Corrupt {
            offset: self.offset,
            reason,
        }
    }
}
