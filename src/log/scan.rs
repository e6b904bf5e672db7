//! Streams records out of a log in fixed-size reads, telling the end (zeroed free space), a torn tail and damage apart.

use std::io::Read;

use super::record::{
    decode_frame, frame_len, Decoded, Record, Stop, HASH_LEN, HEADER_LEN, MAX_FRAME,
};

/// Reads frames one by one from `offset` up to `end` (bytes). Memory and time stay bounded
/// whatever the file holds: one frame at a time, and after the last record only as much free
/// space is checked as one record could occupy — enough to tell a torn append from damage,
/// and the cost of opening does not depend on how much space is preallocated.
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
    pub fn next_record(&mut self) -> Result<Option<Record>, Stop> {
        let remaining = self.end.saturating_sub(self.offset);
        if remaining == 0 {
            return Ok(None);
        }
        let torn = Stop::Torn {
            offset: self.offset,
        };
        self.frame.clear();
        if remaining < HEADER_LEN as u64 {
            self.frame.resize(remaining as usize, 0);
            self.reader.read_exact(&mut self.frame).map_err(Stop::Io)?;
            return if self.frame.iter().all(|&b| b == 0) {
                Ok(None)
            } else {
                Err(torn)
            };
        }
        self.frame.resize(HEADER_LEN, 0);
        self.reader.read_exact(&mut self.frame).map_err(Stop::Io)?;
        let header: [u8; HEADER_LEN] = self.frame[..HEADER_LEN].try_into().unwrap();
        let Some(len) = frame_len(&header) else {
            let header_zero = header.iter().all(|&b| b == 0);
            if (header_zero || is_cut_header(&header)) && self.rest_is_zero()? {
                return if header_zero {
                    Ok(None) // free space the log has not used yet
                } else {
                    Err(torn) // a header cut short by a crash, in free space
                };
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
            .map_err(Stop::Io)?;
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

    /// Whether the next frame's worth of bytes after the current frame's are zero.
    fn rest_is_zero(&mut self) -> Result<bool, Stop> {
        let consumed = self.offset + self.frame.len() as u64;
        let limit = (consumed + MAX_FRAME as u64).min(self.end);
        let mut left = limit.saturating_sub(consumed);
        let mut buf = [0u8; 4096];
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            self.reader.read_exact(&mut buf[..n]).map_err(Stop::Io)?;
            if buf[..n].iter().any(|&b| b != 0) {
                return Ok(false);
            }
            left -= n as u64;
        }
        Ok(true)
    }

    fn corrupt(&self, reason: String) -> Stop {
        Stop::Corrupt {
            offset: self.offset,
            reason,
        }
    }
}

/// Whether `header` is the first bytes of a sound header with the rest still zero: an append
/// a crash cut inside its header. The bytes of the check half that were written must match.
fn is_cut_header(header: &[u8; HEADER_LEN]) -> bool {
    let check = (!u32::from_le_bytes(header[..4].try_into().unwrap())).to_le_bytes();
    (1..HEADER_LEN).any(|written| {
        header[written..].iter().all(|&b| b == 0)
            && (written <= 4 || header[4..written] == check[..written - 4])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{Entry, Genesis};
    use crate::log::record::{encode_frame, GENESIS_PREV, MAX_PAYLOAD};

    fn one_record() -> Vec<u8> {
        let mut log = Vec::new();
        let genesis = Entry::ChainStarted(Genesis {
            app_id: "a".into(),
            chain: 1,
            recovery: None,
        });
        encode_frame(&mut log, &GENESIS_PREV, 1, 0, &genesis);
        log
    }

    fn scan(bytes: &[u8]) -> (Vec<u64>, Option<String>) {
        let mut scanner = Scanner::new(bytes, 0, bytes.len() as u64);
        let mut seqs = Vec::new();
        loop {
            match scanner.next_record() {
                Ok(Some(r)) => seqs.push(r.seq),
                Ok(None) => return (seqs, None),
                Err(Stop::Torn { .. }) => return (seqs, Some("torn".into())),
                Err(stop) => return (seqs, Some(stop.to_string())),
            }
        }
    }

    #[test]
    fn zeros_end_the_log_and_a_zeroed_header_mid_log_is_damage_not_the_end() {
        let record = one_record();
        let mut log = record.clone();
        log.extend_from_slice(&[0; 100]);
        assert_eq!(scan(&log), (vec![1], None));
        // A zeroed header followed by a real record is not free space: later records would
        // be silently ignored.
        let mut hidden = record.clone();
        hidden.extend_from_slice(&[0; 8]);
        hidden.extend_from_slice(&record);
        let (seqs, stop) = scan(&hidden);
        assert_eq!(seqs, vec![1]);
        assert!(stop.unwrap().contains("inconsistent"));
        // Nor is a header whose check half alone is zero, when bytes follow.
        let mut half = record.clone();
        half.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0]);
        half.extend_from_slice(&record);
        assert!(scan(&half).1.unwrap().contains("inconsistent"));
    }

    #[test]
    fn the_last_eight_bytes_are_judged_as_a_header() {
        let mut log = one_record();
        log.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(scan(&log).1.unwrap().contains("inconsistent"));
        let mut log = one_record();
        log.extend_from_slice(&[0; 8]);
        assert_eq!(scan(&log), (vec![1], None));
    }

    #[test]
    fn a_header_partly_written_into_free_space_is_a_torn_tail() {
        let record = one_record();
        for kept in 1..HEADER_LEN {
            let mut log = record.clone();
            log.extend_from_slice(&record[..kept]);
            log.resize(log.len() + 64, 0);
            let (seqs, stop) = scan(&log);
            assert_eq!(seqs, vec![1]);
            assert_eq!(stop.as_deref(), Some("torn"), "{kept} header bytes");
        }
    }

    #[test]
    fn only_one_frame_of_the_free_space_is_read() {
        // The largest frame, written out: header, the largest payload, hash.
        const LARGEST_FRAME: usize = 8 + 4096 + 32;
        let record = one_record();
        let mut log = record.clone();
        log.resize(record.len() + HEADER_LEN + LARGEST_FRAME + 10, 0);
        let far = record.len() + HEADER_LEN + LARGEST_FRAME;
        log[far] = 7;
        assert_eq!(
            scan(&log),
            (vec![1], None),
            "beyond one frame: not looked at"
        );
        log[far - 1] = 7;
        assert!(
            scan(&log).1.unwrap().contains("inconsistent"),
            "within one frame: damage"
        );
    }

    #[test]
    fn a_largest_frame_with_an_unwritten_hash_is_torn_only_if_zeros_follow() {
        let mut frame = Vec::new();
        frame.extend_from_slice(&(MAX_PAYLOAD as u32).to_le_bytes());
        frame.extend_from_slice(&(!(MAX_PAYLOAD as u32)).to_le_bytes());
        frame.extend(std::iter::repeat_n(0x5A, MAX_PAYLOAD));
        frame.extend_from_slice(&[0; HASH_LEN]);
        let mut log = one_record();
        log.extend_from_slice(&frame);
        log.resize(log.len() + MAX_FRAME, 0);
        assert_eq!(scan(&log).1.as_deref(), Some("torn"));
        let last = log.len() - 1;
        log[last] = 1;
        assert!(
            scan(&log).1.unwrap().contains("hash"),
            "garbage after it: damage"
        );
    }
}
