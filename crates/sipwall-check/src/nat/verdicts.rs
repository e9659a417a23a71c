//! From transactions to verdicts: how each test reads its answers and its silences.

use std::net::SocketAddr;
use std::time::Instant;

use super::report::{naming, rfc4787_checks, topology_hints};
use super::transaction::{Transaction, TxResult};
use super::{
    FilterTest, Filtering, GenericAlg, Hairpin, LargePackets, LossCount, LossEstimate, MAX_ROUNDS,
    MAX_SILENCE_ERROR, Mapping, MappingSample, NatBehaviour, NatReport, PortPreservation,
    PortPurpose, PortResult, RewrittenAddress, ServerCoverage, ServerRole, Side, SocketUse, Step,
    TransactionEvidence, TransactionOutcome,
};

/// What a probe that may legitimately go unanswered tells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Silence {
    /// An answer arrived: the packet got through.
    Passed,
    /// Nothing arrived although the controls did, and loss cannot explain it.
    Blocked,
    /// Undecided; `retry` when another round of transactions could decide it.
    Open { reason: String, retry: bool },
}

impl Silence {
    pub(crate) fn retry(&self) -> bool {
        matches!(self, Silence::Open { retry: true, .. })
    }

    fn open(reason: impl Into<String>, retry: bool) -> Silence {
        Silence::Open {
            reason: reason.into(),
            retry,
        }
    }

    /// `Blocked` if the chance that loss alone made `silent_tries` independent tries fail
    /// (`chance`) is small enough, else open.
    fn from_chance(chance: f64, silent_tries: u32, rates: Rates) -> Silence {
        if chance <= MAX_SILENCE_ERROR {
            Silence::Blocked
        } else {
            Silence::open(
                format!(
                    "{silent_tries} transmissions went unanswered, but with the loss seen ({}) the chance that loss alone did it is {chance:.1e}",
                    rates.describe()
                ),
                true,
            )
        }
    }
}

/// The per-transmission failure rates silence is read against (upper bounds of the loss on
/// the plain requests): one for the first transmission of a request, one for each
/// retransmission. Equal unless [`LossEstimate::split`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rates {
    pub first: f64,
    pub retransmission: f64,
}

impl Rates {
    pub(crate) fn uniform(q: f64) -> Rates {
        Rates {
            first: q,
            retransmission: q,
        }
    }

    /// The chance that loss alone made all `attempts` transmissions of one request fail.
    pub(crate) fn request(self, attempts: u8) -> f64 {
        match attempts {
            0 => 1.0,
            n => self.first * self.retransmission.powi(i32::from(n) - 1),
        }
    }

    fn describe(self) -> String {
        if self.first == self.retransmission {
            format!("up to {:.0} % per transmission", self.first * 100.0)
        } else {
            format!(
                "up to {:.0} % for first transmissions, {:.0} % for retransmissions",
                self.first * 100.0,
                self.retransmission * 100.0
            )
        }
    }
}

/// The silence of some requests: the chance that loss alone explains it, and how many
/// transmissions went unanswered.
#[derive(Debug, Clone, Copy)]
struct Silent {
    chance: f64,
    tries: u32,
}

impl Silent {
    const NONE: Silent = Silent {
        chance: 1.0,
        tries: 0,
    };

    fn add(self, other: Silent) -> Silent {
        Silent {
            chance: self.chance * other.chance,
            tries: self.tries + other.tries,
        }
    }
}

impl NatBehaviour {
    /// Loss on the plain requests, every one of which should have been answered.
    pub(crate) fn loss(&self) -> LossEstimate {
        let (mut attempts, mut unanswered) = (0u32, 0u32);
        let (mut first, mut retx) = ((0u32, 0u32), (0u32, 0u32));
        for tx in self.txs.iter().filter(|t| t.step.is_reference()) {
            if let Some(failed) = tx.unanswered_attempts()
                && tx.attempts > 0
            {
                attempts += u32::from(tx.attempts);
                unanswered += failed;
                // The failures are the earliest transmissions (an answer is credited to the
                // last one), so the first one failed if any did.
                first.0 += 1;
                first.1 += u32::from(failed > 0);
                retx.0 += u32::from(tx.attempts) - 1;
                retx.1 += failed.saturating_sub(1);
            }
        }
        let count = |(attempts, unanswered): (u32, u32)| LossCount {
            attempts,
            unanswered,
            upper_bound: wilson_upper_bound(unanswered, attempts),
        };
        let (first, retransmissions) = (count(first), count(retx));
        // Two kinds of transmission lost at rates that cannot be one rate: the first
        // datagram of a request meets something its retransmissions do not.
        let differ = |a: LossCount, b: LossCount| {
            wilson_lower_bound(a.unanswered, a.attempts) > b.upper_bound
        };
        LossEstimate {
            attempts,
            unanswered,
            observed: if attempts == 0 {
                0.0
            } else {
                f64::from(unanswered) / f64::from(attempts)
            },
            upper_bound: wilson_upper_bound(unanswered, attempts),
            first_transmissions: first,
            retransmissions,
            split: differ(first, retransmissions) || differ(retransmissions, first),
        }
    }

    /// The rates silence is read against.
    pub(crate) fn rates(&self) -> Rates {
        rates_of(&self.loss())
    }

    fn answered(&self, step: Step) -> bool {
        self.first_answer(step).is_some()
    }

    /// The transactions matching `pred` that ended in silence, read against `rates`.
    fn silent(&self, pred: impl Fn(Step) -> bool, rates: Rates) -> Silent {
        self.txs
            .iter()
            .filter(|t| pred(t.step) && t.is_lost())
            .fold(Silent::NONE, |acc, t| {
                acc.add(Silent {
                    chance: rates.request(t.attempts),
                    tries: u32::from(t.attempts),
                })
            })
    }

    fn first_error(&self, pred: impl Fn(Step) -> bool) -> Option<u16> {
        self.txs
            .iter()
            .filter(|t| pred(t.step))
            .find_map(|t| match t.result {
                TxResult::Error { code, .. } => Some(code),
                _ => None,
            })
    }

    fn first_rejected(&self, pred: impl Fn(Step) -> bool) -> Option<String> {
        self.txs
            .iter()
            .filter(|t| pred(t.step))
            .find_map(|t| t.rejected.first())
            .map(|r| format!("a reply from {} was not accepted ({})", r.source, r.reason))
    }

    /// RFC 5780 §4.4 test II (EIF) or III (ADF) over all copies and rounds.
    pub(crate) fn filter_silence(&self, test: FilterTest, rates: Rates) -> Silence {
        let role = test.answers_from();
        if self.config.server.get(role).is_none() {
            return Silence::open(
                format!(
                    "the reflector lists no {} address, so the {} test cannot run",
                    role.name(),
                    test.name()
                ),
                false,
            );
        }
        let is_change = |s: Step| matches!(s, Step::FilterChange(t, _) if t == test);
        let changes = || self.txs.iter().filter(|t| is_change(t.step));
        if changes().any(|t| t.answer().is_some()) {
            return Silence::Passed;
        }
        if let Some(code) = self.first_error(is_change) {
            let reason = if code == 420 {
                "the reflector answered CHANGE-REQUEST with 420: it has only one address".into()
            } else {
                format!("the reflector answered CHANGE-REQUEST with error {code}")
            };
            return Silence::open(reason, false);
        }
        if let Some(rejected) = self.first_rejected(is_change) {
            return Silence::open(
                format!(
                    "{rejected}: the reflector ignored CHANGE-REQUEST or something in front of it rewrote the source"
                ),
                false,
            );
        }
        if self.issues.iter().any(|i| i.doubts_alternate()) {
            return Silence::open(
                "the reflector's OTHER-ADDRESS does not match its socket list, so its silence says nothing about the NAT",
                false,
            );
        }
        // Only copies whose own control was answered have a path known to work.
        let silent = (0..self.config.options.filtering_copies)
            .filter(|&copy| self.answered(Step::FilterControl(test, copy)))
            .map(|copy| self.silent(|s| s == Step::FilterChange(test, copy), rates))
            .fold(Silent::NONE, Silent::add);
        if silent.tries == 0 {
            return Silence::open(
                format!(
                    "no {} socket had both an answered control and a silent CHANGE-REQUEST",
                    test.name()
                ),
                true,
            );
        }
        Silence::from_chance(silent.chance, silent.tries, rates)
    }

    /// Hairpin probes of all pairs. With endpoint-independent filtering every transmission
    /// is an independent try; otherwise a direction's probes can all be filtered while the
    /// other direction's are lost (its filter never opened), so only the weaker direction
    /// counts, twice.
    pub(crate) fn hairpin_silence(&self, rates: Rates) -> Silence {
        let probes = || {
            self.txs
                .iter()
                .filter(|t| matches!(t.step, Step::HairpinProbe(..)))
        };
        if probes().any(|t| matches!(t.result, TxResult::Received { .. })) {
            return Silence::Passed;
        }
        if let Some(rejected) = self.first_rejected(|s| matches!(s, Step::HairpinProbe(..))) {
            return Silence::open(rejected, false);
        }
        let eif = self.filtering(rates) == Filtering::Eif;
        let (mut total, mut any) = (Silent::NONE, false);
        for pair in 0..super::HAIRPIN_PAIRS {
            let a = self.silent(|s| s == Step::HairpinProbe(pair, Side::A), rates);
            let b = self.silent(|s| s == Step::HairpinProbe(pair, Side::B), rates);
            if a.tries == 0 || b.tries == 0 {
                continue;
            }
            any = true;
            total = total.add(if eif {
                a.add(b)
            } else {
                // The direction that loss explains more easily.
                let weaker = if a.chance >= b.chance { a } else { b };
                Silent {
                    chance: (2.0 * weaker.chance).min(1.0),
                    tries: weaker.tries,
                }
            });
        }
        if !any {
            return Silence::open(
                "no hairpin pair learned both public addresses from the reflector",
                false,
            );
        }
        Silence::from_chance(total.chance, total.tries, rates)
    }

    /// The padded requests against the small control from the same socket.
    pub(crate) fn padded_silence(&self, rates: Rates) -> Silence {
        let is_padded = |s: Step| matches!(s, Step::Padded(_));
        let arrived = |t: &Transaction| t.answer().is_some() || t.mangled_arrival.is_some();
        if self.txs.iter().any(|t| is_padded(t.step) && arrived(t)) {
            return Silence::Passed;
        }
        if let Some(code) = self.first_error(is_padded) {
            return Silence::open(
                format!("the reflector answered the padded request with error {code}"),
                false,
            );
        }
        if let Some(rejected) = self.first_rejected(is_padded) {
            return Silence::open(rejected, false);
        }
        if !self.answered(Step::PaddedControl) {
            return Silence::open("the small control request got no answer", true);
        }
        let silent = self.silent(is_padded, rates);
        if silent.tries == 0 {
            return Silence::open("no padded request was sent", false);
        }
        Silence::from_chance(silent.chance, silent.tries, rates)
    }

    pub(crate) fn filtering(&self, rates: Rates) -> Filtering {
        combine_filtering(
            &self.filter_silence(FilterTest::Eif, rates),
            &self.filter_silence(FilterTest::Adf, rates),
        )
    }

    fn mapping_samples(&self) -> Vec<MappingSample> {
        [
            ServerRole::Pp,
            ServerRole::Ap,
            ServerRole::Aa,
            ServerRole::Pa,
        ]
        .into_iter()
        .filter_map(|role| {
            let answer = self.first_answer(Step::Map(role))?;
            Some(MappingSample {
                role,
                destination: self.config.server.get(role)?,
                mapped: answer.mapped()?,
            })
        })
        .collect()
    }

    fn mapping(&self, samples: &[MappingSample]) -> Mapping {
        let opened = self
            .socket_of(SocketUse::Mapping)
            .and_then(|s| self.local(s))
            .is_some();
        if !opened {
            return Mapping::Inconclusive {
                reason: "the mapping socket could not be opened".into(),
            };
        }
        classify_mapping(samples)
    }

    /// The socket's own address, for "is there a NAT at all": an unspecified bind address is
    /// replaced by the configured local IP.
    fn own_address(&self, tx: &Transaction) -> Option<SocketAddr> {
        let local = self.local(tx.socket)?;
        let ip = if local.ip().is_unspecified() {
            self.config.local_ip.to_canonical()
        } else {
            local.ip()
        };
        Some(SocketAddr::new(ip, local.port()))
    }

    fn nat_present(&self) -> Option<bool> {
        let mut verdict = None;
        for tx in &self.txs {
            let (Some(answer), Some(own)) = (tx.answer(), self.own_address(tx)) else {
                continue;
            };
            let Some(mapped) = answer.mapped() else {
                continue;
            };
            if mapped != own {
                return Some(true);
            }
            verdict = Some(false);
        }
        verdict
    }

    fn public_address(&self) -> Option<SocketAddr> {
        self.first_answer(Step::Map(ServerRole::Pp))
            .and_then(|a| a.mapped())
            .or_else(|| {
                self.txs
                    .iter()
                    .find_map(|t| t.answer().and_then(|a| a.mapped()))
            })
    }

    fn port_preservation(&self) -> Vec<PortPreservation> {
        [
            (PortPurpose::Sip, self.config.options.sip_port),
            (PortPurpose::Rtp, self.config.options.rtp_base_port),
        ]
        .into_iter()
        .map(|(purpose, port)| PortPreservation {
            purpose,
            port,
            result: self.port_result(purpose, port),
        })
        .collect()
    }

    fn port_result(&self, purpose: PortPurpose, port: u16) -> PortResult {
        let local = self
            .socket_of(SocketUse::Port(purpose))
            .and_then(|s| self.local(s));
        let Some(local) = local else {
            return PortResult::NotTested {
                reason: "no UDP socket could be opened".into(),
            };
        };
        if local.port() != port {
            return PortResult::NotTested {
                reason: format!(
                    "local port {port} is in use on this host (a softphone or PBX?); the socket got {}",
                    local.port()
                ),
            };
        }
        match self
            .first_answer(Step::Port(purpose))
            .and_then(|a| a.mapped())
        {
            Some(mapped) if mapped.port() == port => PortResult::Preserved { mapped },
            Some(mapped) => PortResult::NotPreserved { mapped },
            None => PortResult::Inconclusive {
                reason: "the reflector never answered this socket".into(),
            },
        }
    }

    fn hairpin(&self, rates: Rates, mapping: &Mapping, filtering: &Filtering) -> Hairpin {
        if self.nat_present() == Some(false) {
            return Hairpin::NotApplicable {
                reason: "no NAT: the probes went straight to the other socket".into(),
            };
        }
        if let Some(hairpin) = self.hairpin_received() {
            return hairpin;
        }
        match self.hairpin_silence(rates) {
            // `hairpin_received` reports every received probe; nothing else passes.
            Silence::Passed => Hairpin::Inconclusive {
                reason: "a probe passed without a recorded source".into(),
            },
            // A probe leaves from the mapping for its destination; unless that is the one the
            // other socket's filter knows (EIM) or the filter lets anyone in (EIF), silence
            // cannot tell a missing hairpin from filtering.
            Silence::Blocked if *mapping == Mapping::Eim || *filtering == Filtering::Eif => {
                Hairpin::NoHairpin
            }
            Silence::Blocked => Hairpin::Inconclusive {
                reason: "nothing arrived, but with a mapping that is not endpoint-independent and filtering that is not endpoint-independent the probes leave from new public ports the other socket's filter never saw".into(),
            },
            Silence::Open { reason, .. } => Hairpin::Inconclusive { reason },
        }
    }

    fn hairpin_received(&self) -> Option<Hairpin> {
        self.txs.iter().find_map(|tx| {
            let TxResult::Received { source } = tx.result else {
                return None;
            };
            let Step::HairpinProbe(pair, side) = tx.step else {
                return None;
            };
            let sender_public = self
                .first_answer(Step::HairpinLearn(pair, side))
                .and_then(|a| a.mapped());
            Some(Hairpin::Works {
                source,
                external_source: sender_public.is_some_and(|p| p.ip() == source.ip()),
            })
        })
    }

    fn large_packets(&self, rates: Rates) -> LargePackets {
        if !self.config.options.padded_run {
            return LargePackets::NotTested {
                reason: "the padded run is switched off".into(),
            };
        }
        let padded = || {
            self.txs
                .iter()
                .filter(|t| matches!(t.step, Step::Padded(_)))
        };
        let request_bytes = padded().map(|t| t.request.len()).max().unwrap_or(0);
        match self.padded_silence(rates) {
            Silence::Passed => LargePackets::Passed {
                request_bytes,
                response_bytes: padded()
                    .find_map(|t| t.answer().map(|a| a.bytes).or(t.mangled_arrival))
                    .unwrap_or(0),
            },
            Silence::Blocked => LargePackets::Dropped { request_bytes },
            Silence::Open { reason, .. } => LargePackets::Inconclusive { reason },
        }
    }

    fn generic_alg(&self) -> GenericAlg {
        let mut compared = 0u32;
        let mut rewritten: Vec<RewrittenAddress> = Vec::new();
        for answer in self.txs.iter().filter_map(Transaction::answer) {
            let (Some(xor_mapped), Some(mapped)) = (answer.xor_mapped, answer.plain_mapped) else {
                continue;
            };
            compared += 1;
            let pair = RewrittenAddress { xor_mapped, mapped };
            if xor_mapped != mapped && !rewritten.contains(&pair) {
                rewritten.push(pair);
            }
        }
        if !rewritten.is_empty() || self.fingerprint_failures > 0 {
            GenericAlg::Detected {
                rewritten,
                fingerprint_failures: self.fingerprint_failures,
            }
        } else if compared > 0 {
            GenericAlg::NotDetected {
                responses_compared: compared,
            }
        } else {
            GenericAlg::NotTested {
                reason: "no answer carried both MAPPED-ADDRESS and XOR-MAPPED-ADDRESS".into(),
            }
        }
    }

    fn coverage(&self) -> ServerCoverage {
        let server = self.config.server;
        let missing: Vec<&str> = [ServerRole::Pa, ServerRole::Ap, ServerRole::Aa]
            .into_iter()
            .filter(|r| server.get(*r).is_none())
            .map(ServerRole::name)
            .collect();
        let note = (!missing.is_empty()).then(|| {
            let mut note = format!("the reflector lacks {}: ", missing.join(", "));
            note.push_str(if server.ap.is_none() && server.aa.is_none() {
                "with one IP, mapping can only tell address-and-port-dependent from \"EIM or ADM\" and endpoint-independent filtering cannot be tested"
            } else {
                "some mapping and filtering tests cannot run"
            });
            note
        });
        ServerCoverage {
            addresses: server,
            complete: server.is_complete(),
            note,
        }
    }

    fn evidence(&self) -> Vec<TransactionEvidence> {
        self.txs
            .iter()
            .map(|tx| TransactionEvidence {
                test: tx.step.label(),
                round: tx.round,
                socket: tx.socket.0,
                local: self.local(tx.socket),
                destination: tx.destination,
                expected_source: tx.expected_source,
                request_bytes: tx.request.len(),
                attempts: tx.attempts,
                outcome: outcome(tx),
                rejected: tx.rejected.clone(),
            })
            .collect()
    }

    pub(crate) fn build_report(&self, finished: Instant) -> NatReport {
        let loss = self.loss();
        let rates = rates_of(&loss);
        let samples = self.mapping_samples();
        let mapping = self.mapping(&samples);
        let filtering = self.filtering(rates);
        let nat_present = self.nat_present();
        let public_address = self.public_address();
        let hairpin = self.hairpin(rates, &mapping, &filtering);
        let (classic_type, seed_terms) = naming(nat_present, &mapping, &filtering);
        let elapsed = self
            .started
            .map_or(0, |s| finished.saturating_duration_since(s).as_millis());
        NatReport {
            server: self.coverage(),
            nat_present,
            public_address,
            rfc4787: rfc4787_checks(nat_present, &mapping, &filtering, &hairpin),
            topology: topology_hints(
                self.config.local_ip,
                public_address,
                nat_present,
                self.config.options.router_public_ip,
            ),
            mapping,
            mapped_by_destination: samples,
            filtering,
            port_preservation: self.port_preservation(),
            hairpin,
            generic_alg: self.generic_alg(),
            large_packets: self.large_packets(rates),
            classic_type,
            seed_terms,
            server_issues: self.issues.clone(),
            loss,
            rounds: self.round.min(MAX_ROUNDS),
            elapsed_ms: u64::try_from(elapsed).unwrap_or(u64::MAX),
            stray_datagrams: self.stray,
            evidence: self.evidence(),
        }
    }
}

/// The rates a loss estimate implies: its own upper bound for every transmission, or one per
/// kind when the kinds differ ([`LossEstimate::split`]).
pub(crate) fn rates_of(loss: &LossEstimate) -> Rates {
    if loss.split {
        Rates {
            first: loss.first_transmissions.upper_bound,
            retransmission: loss.retransmissions.upper_bound,
        }
    } else {
        Rates::uniform(loss.upper_bound)
    }
}

/// One-sided 95 % Wilson score upper bound of a failure rate seen `failures` times in
/// `trials`; 1.0 without trials.
pub(crate) fn wilson_upper_bound(failures: u32, trials: u32) -> f64 {
    wilson_bounds(failures, trials).1
}

/// One-sided 95 % Wilson score lower bound; 0.0 without trials.
pub(crate) fn wilson_lower_bound(failures: u32, trials: u32) -> f64 {
    wilson_bounds(failures, trials).0
}

fn wilson_bounds(failures: u32, trials: u32) -> (f64, f64) {
    const Z: f64 = 1.645;
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = f64::from(trials);
    let p = f64::from(failures) / n;
    let z2 = Z * Z;
    let centre = p + z2 / (2.0 * n);
    let margin = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let scale = 1.0 + z2 / n;
    (
        ((centre - margin) / scale).max(0.0),
        ((centre + margin) / scale).min(1.0),
    )
}

fn outcome(tx: &Transaction) -> TransactionOutcome {
    match &tx.result {
        TxResult::Answered(a) => TransactionOutcome::Answered {
            source: a.source,
            xor_mapped: a.xor_mapped,
            mapped: a.plain_mapped,
            response_origin: a.response_origin,
            other_address: a.other_address,
            rtt_ms: a.rtt.map(|d| d.as_secs_f64() * 1000.0),
            late: a.late,
            response_bytes: a.bytes,
        },
        TxResult::Error { source, code } => TransactionOutcome::Error {
            source: *source,
            code: *code,
        },
        TxResult::Received { source } => TransactionOutcome::Received { source: *source },
        TxResult::Lost | TxResult::Pending => TransactionOutcome::Lost,
        TxResult::NotSent(reason) => TransactionOutcome::NotSent {
            reason: (*reason).into(),
        },
    }
}

/// RFC 5780 §4.3 generalised to whatever answered: a change of mapping between two
/// destinations on one IP means port dependence (APDM); between IPs it means ADM or APDM,
/// told apart by a same-IP pair; an unchanged mapping across IPs means EIM.
pub(crate) fn classify_mapping(samples: &[MappingSample]) -> Mapping {
    let (mut port_dep, mut port_indep, mut ip_dep, mut ip_indep) = (false, false, false, false);
    for (i, a) in samples.iter().enumerate() {
        for b in &samples[i + 1..] {
            let same_mapping = a.mapped == b.mapped;
            match (a.destination.ip() == b.destination.ip(), same_mapping) {
                (true, true) => port_indep = true,
                (true, false) => port_dep = true,
                (false, true) => ip_indep = true,
                (false, false) => ip_dep = true,
            }
        }
    }
    let inconclusive = |why: &str| Mapping::Inconclusive {
        reason: format!("{why}; seen: {}", describe_samples(samples)),
    };
    if port_dep {
        Mapping::Apdm
    } else if ip_dep && port_indep {
        Mapping::Adm
    } else if ip_dep {
        inconclusive(
            "the mapping changed with the destination IP, but no two ports of one IP answered to tell ADM from APDM",
        )
    } else if ip_indep {
        Mapping::Eim
    } else if port_indep {
        inconclusive(
            "the same mapping for two ports of one IP: EIM or ADM (the reflector answered on one IP only)",
        )
    } else {
        inconclusive("fewer than two destinations answered: EIM or unknown")
    }
}

fn describe_samples(samples: &[MappingSample]) -> String {
    if samples.is_empty() {
        return "nothing".into();
    }
    let parts: Vec<String> = samples
        .iter()
        .map(|s| format!("{} → {}", s.role.name(), s.mapped))
        .collect();
    parts.join(", ")
}

/// RFC 5780 §4.4: test II (EIF) answered → EIF; test III (ADF) answered → ADF; both silent
/// → APDF. A silent test III alone already rules out EIF and ADF.
pub(crate) fn combine_filtering(eif: &Silence, adf: &Silence) -> Filtering {
    let inconclusive = |reason: String| Filtering::Inconclusive { reason };
    match (eif, adf) {
        (Silence::Passed, Silence::Blocked) => inconclusive(
            "contradiction: answers from the other IP arrived but not from the other port of the same IP".into(),
        ),
        (Silence::Passed, _) => Filtering::Eif,
        (_, Silence::Blocked) => Filtering::Apdf,
        (Silence::Blocked, Silence::Passed) => Filtering::Adf,
        (Silence::Blocked, Silence::Open { reason, .. }) => {
            inconclusive(format!("ADF or APDF: {reason}"))
        }
        (Silence::Open { reason, .. }, Silence::Passed) => {
            inconclusive(format!("EIF or ADF: {reason}"))
        }
        (Silence::Open { reason: a, .. }, Silence::Open { reason: b, .. }) => {
            inconclusive(if a == b { a.clone() } else { format!("{a}; {b}") })
        }
    }
}
