//! Sequence-number bookkeeping for one stream: extension past the 16-bit wrap, duplicate and
//! late detection, and the longest run of missing numbers. Memory is a fixed 128-byte bitmap.

/// How many of the most recent extended sequence numbers the arrival bitmap remembers.
pub(crate) const SEQ_WINDOW: i64 = 1024;

const WORDS: usize = (SEQ_WINDOW as usize) / 64;

/// What a packet's sequence number says about it, relative to the packets seen before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeqArrival {
    /// The first packet of the stream.
    First,
    /// A new highest sequence number; `skipped` numbers between the old and the new highest
    /// are (for now) missing.
    Ahead { skipped: u64 },
    /// A number already received, within the last [`SEQ_WINDOW`] numbers.
    Duplicate,
    /// Lower than the highest so far and not known as a duplicate: reordered, or a duplicate
    /// too old for the window to tell.
    Late,
}

/// RFC 3550 A.1-style tracking, minus the probation/restart machinery: a packet is placed at
/// the extended number nearest to the current highest (signed 16-bit distance), so a forward
/// jump of up to 32767 is accepted and its skipped numbers count as lost, and anything behind
/// is a duplicate or late. Extended numbers are `i64` so a very late packet can sit below the
/// first one without underflow.
#[derive(Clone, Debug)]
pub(crate) struct SeqTracker {
    /// Lowest extended number received; lowered by late packets so that `expected` covers every
    /// number received (RFC 3550 keeps the first one; lowering it is less surprising).
    base: i64,
    /// Highest extended number received.
    max: i64,
    started: bool,
    /// Bit for extended number `n` at position `n mod SEQ_WINDOW`, valid for
    /// `max - SEQ_WINDOW < n <= max`.
    bits: [u64; WORDS],
    /// Missing numbers immediately before the window, in a run not yet closed.
    open_run: u64,
    /// Longest run of missing numbers that has already left the window.
    closed_max_run: u64,
}

impl Default for SeqTracker {
    fn default() -> Self {
        Self {
            base: 0,
            max: 0,
            started: false,
            bits: [0; WORDS],
            open_run: 0,
            closed_max_run: 0,
        }
    }
}

impl SeqTracker {
    pub(crate) fn on_seq(&mut self, seq: u16) -> SeqArrival {
        if !self.started {
            self.started = true;
            self.base = i64::from(seq);
            self.max = self.base;
            self.set(self.max);
            return SeqArrival::First;
        }
        // Truncating `max` to 16 bits recovers the wire number of the highest packet.
        let delta = i64::from(seq.wrapping_sub(self.max as u16) as i16);
        if delta > 0 {
            self.advance(self.max + delta);
            self.set(self.max);
            return SeqArrival::Ahead {
                skipped: (delta - 1) as u64,
            };
        }
        let ext = self.max + delta;
        self.base = self.base.min(ext);
        if self.max - ext >= SEQ_WINDOW {
            return SeqArrival::Late;
        }
        if self.get(ext) {
            SeqArrival::Duplicate
        } else {
            self.set(ext);
            SeqArrival::Late
        }
    }

    /// RFC 3550 A.3: highest extended number minus the base, plus one.
    pub(crate) fn expected(&self) -> u64 {
        if self.started {
            (self.max - self.base + 1) as u64
        } else {
            0
        }
    }

    /// Longest run of consecutive numbers between base and highest never received. Exact for
    /// gaps while they are inside the window; a late packet that arrives after its number left
    /// the window still counts as received but no longer splits the run it was part of.
    pub(crate) fn max_missing_run(&self) -> u64 {
        let mut best = self.closed_max_run;
        let mut run = self.open_run;
        if !self.started {
            return 0;
        }
        for n in self.window_start().max(self.base)..=self.max {
            if self.get(n) {
                best = best.max(run);
                run = 0;
            } else {
                run += 1;
            }
        }
        best.max(run)
    }

    fn window_start(&self) -> i64 {
        self.max - SEQ_WINDOW + 1
    }

    /// Moves the highest number to `new_max`, retiring the oldest numbers from the window into
    /// the run counters; their slots become the new numbers' slots, cleared.
    fn advance(&mut self, new_max: i64) {
        let shift = new_max - self.max;
        let start = self.window_start();
        for n in start..start + shift.min(SEQ_WINDOW) {
            if n >= self.base {
                if self.get(n) {
                    self.closed_max_run = self.closed_max_run.max(self.open_run);
                    self.open_run = 0;
                } else {
                    self.open_run += 1;
                }
            }
            self.clear(n);
        }
        // Numbers jumped over so far that they never entered the window: all missing.
        if shift > SEQ_WINDOW {
            self.open_run += (shift - SEQ_WINDOW) as u64;
        }
        self.max = new_max;
    }

    fn slot(n: i64) -> (usize, u64) {
        let i = n.rem_euclid(SEQ_WINDOW) as usize;
        (i / 64, 1 << (i % 64))
    }

    fn get(&self, n: i64) -> bool {
        let (w, b) = Self::slot(n);
        self.bits[w] & b != 0
    }

    fn set(&mut self, n: i64) {
        let (w, b) = Self::slot(n);
        self.bits[w] |= b;
    }

    fn clear(&mut self, n: i64) {
        let (w, b) = Self::slot(n);
        self.bits[w] &= !b;
    }
}
