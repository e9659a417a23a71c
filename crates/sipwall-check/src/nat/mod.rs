//! NAT behaviour discovery (RFC 5780), reported in RFC 4787's terms, as one sans-IO machine.
//!
//! [`NatBehaviour`] runs every sub-test at once, each on its own sockets, against the
//! reflector's STUN addresses (docs/protocol.md: `stun-pp`, `stun-pa`, `stun-ap`, `stun-aa`):
//!
//! | test | sockets | what decides |
//! |---|---|---|
//! | mapping (RFC 5780 §4.3) | 1: Binding to PP, AP, AA, PA | XOR-MAPPED-ADDRESS per destination |
//! | filtering (§4.4) | 2 × [`NatOptions::filtering_copies`], fresh | CHANGE-REQUEST answered from AA (EIF test) or PA (ADF test); a plain request to PP from the same socket is the positive control |
//! | port preservation | local SIP port and RTP base | mapped port = local port |
//! | hairpinning (§4.5, RFC 4787 REQ-9) | 3 pairs | each socket of a pair sends to the other's public address |
//! | generic ALG (§3.6) | every answer | MAPPED-ADDRESS ≠ XOR-MAPPED-ADDRESS, or a broken FINGERPRINT |
//! | large packets | 1 | ≈1500-byte PADDING request vs a small one from the same socket |
//!
//! **Answers are verified.** A reply is accepted only with a known transaction ID, on the
//! socket that sent the request, from the address it had to come from (the destination, or
//! the socket CHANGE-REQUEST names). RESPONSE-ORIGIN is compared with that source, and the
//! OTHER-ADDRESS of answers from PP with the listed AA; mismatches become [`ServerIssue`]s,
//! and one about PP's OTHER-ADDRESS keeps filtering inconclusive. OTHER-ADDRESS from the
//! other sockets is only noted ([`ServerIssue::OtherAddressNote`]): servers disagree on it
//! (coturn) without being wrong about where they answer from. A reply from the wrong
//! address is evidence, never an answer — a reflector that ignores CHANGE-REQUEST must not
//! make a NAT look "full cone".
//!
//! **Silence is read only with numbers.** Positive verdicts rest on an answer. Negative ones
//! ("filtered", "no hairpin", "large packets dropped") rest on silence and are given only when
//! the same socket's control was answered and the chance that the loss measured on the plain
//! requests explains all the silence is at most [`MAX_SILENCE_ERROR`] (the silent
//! transmissions are independent tries, so that chance is the loss estimate to the power of
//! their number; when first transmissions and retransmissions are lost at clearly different
//! rates, each kind is charged its own, see [`LossEstimate::split`]). Otherwise the silent
//! probes (and any lost plain request) are sent again as new transactions in another round,
//! up to [`MAX_ROUNDS`]; after that the verdict is inconclusive. Redundant copies make a
//! round decisive: one positive copy is enough (an answer cannot be produced by loss), while
//! "filtered" needs every copy silent.
//!
//! Requests carry no FINGERPRINT: a payload-rewriting ALG would invalidate it and turn itself
//! into apparent loss, where without it the MAPPED / XOR-MAPPED comparison shows it. Replies
//! whose FINGERPRINT fails anyway count as ALG evidence.
//!
//! Not covered here: TCP mapping, binding lifetime (its own machine), UPnP/NAT-PMP queries
//! for the router's address (pass it in [`NatOptions::router_public_ip`]), and RFC 5780's
//! pacing of 10 new transactions per second: a round sends at most 25 requests (75
//! datagrams with retransmissions) to PP, which the reflector's per-source burst of 200
//! (docs/serve.md) absorbs, and pacing would stretch the run from ≈0.5 s to ≈3 s.

mod report;
mod transaction;
mod verdicts;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sipwall_proto::stun::{
    Attribute, BindingResponse, ChangeRequest, Class, Message, Method, ResponseError, Seal,
    TransactionId, binding_request,
};

pub use report::{
    Filtering, GenericAlg, Hairpin, LargePackets, LossCount, LossEstimate, Mapping, MappingSample,
    NatReport, PortPreservation, PortPurpose, PortResult, RejectedReply, RequirementCheck,
    RequirementStatus, RewrittenAddress, ServerCoverage, ServerIssue, ServerRole, TopologyHint,
    TransactionEvidence, TransactionOutcome,
};
pub use transaction::{RandomTransactionIds, TransactionIds};

use crate::sansio::{Machine, SocketId, SocketKind, SocketRequest, Transmit};
use transaction::{Answer, Rto, Transaction, TxResult};

/// Transmissions per request (the first and two retransmissions).
pub const MAX_TRANSMISSIONS: u8 = 3;
/// Rounds of transactions at most; a round is added only while loss leaves a verdict open.
pub const MAX_ROUNDS: u8 = 3;
/// The largest accepted chance that a negative verdict read from silence is really loss.
pub const MAX_SILENCE_ERROR: f64 = 1e-4;
/// Size of the large-packet probe as an IP packet (Ethernet MTU).
pub const LARGE_PACKET_IP_BYTES: usize = 1500;
/// Hairpin socket pairs (three: with a filtering NAT only the weaker direction of a pair
/// counts, see `hairpin_silence`).
const HAIRPIN_PAIRS: u8 = 3;
/// Padded requests per round: several, so one round can be decisive at low loss.
const PADDED_COPIES: u8 = 3;

/// The reflector's STUN UDP addresses by RFC 5780 role, from its `ports` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerAddresses {
    /// Primary IP, primary port (required).
    pub pp: SocketAddr,
    /// Primary IP, alternate port.
    pub pa: Option<SocketAddr>,
    /// Alternate IP, primary port.
    pub ap: Option<SocketAddr>,
    /// Alternate IP, alternate port.
    pub aa: Option<SocketAddr>,
}

impl ServerAddresses {
    /// A reflector with one address: mapping and filtering can only be partly decided.
    pub fn one_address(pp: SocketAddr) -> ServerAddresses {
        ServerAddresses {
            pp,
            pa: None,
            ap: None,
            aa: None,
        }
    }

    /// The address of a role, if the reflector has it.
    pub fn get(&self, role: ServerRole) -> Option<SocketAddr> {
        match role {
            ServerRole::Pp => Some(self.pp),
            ServerRole::Pa => self.pa,
            ServerRole::Ap => self.ap,
            ServerRole::Aa => self.aa,
        }
    }

    /// All four addresses present.
    pub fn is_complete(&self) -> bool {
        self.pa.is_some() && self.ap.is_some() && self.aa.is_some()
    }

    fn canonical(self) -> ServerAddresses {
        ServerAddresses {
            pp: canonical(self.pp),
            pa: self.pa.map(canonical),
            ap: self.ap.map(canonical),
            aa: self.aa.map(canonical),
        }
    }
}

/// Knobs of the NAT test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatOptions {
    /// Local port whose preservation is tested as the SIP port.
    pub sip_port: u16,
    /// Local port whose preservation is tested as the RTP base port.
    pub rtp_base_port: u16,
    /// Send a ≈1500-byte padded request to test large packets.
    pub padded_run: bool,
    /// Sockets per filtering test (clamped to 1..=3): one lost packet cannot flip a verdict.
    pub filtering_copies: u8,
    /// The router's own public address (UPnP / NAT-PMP), when known: compared with the
    /// mapped address to spot a second NAT upstream.
    pub router_public_ip: Option<IpAddr>,
}

impl Default for NatOptions {
    fn default() -> NatOptions {
        NatOptions {
            sip_port: 5060,
            rtp_base_port: 10000,
            padded_run: true,
            filtering_copies: 3,
            router_public_ip: None,
        }
    }
}

/// What the NAT test needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatConfig {
    /// The reflector's STUN addresses.
    pub server: ServerAddresses,
    /// The local IP the driver binds the sockets on (also what "no NAT" compares with when a
    /// socket reports an unspecified address).
    pub local_ip: IpAddr,
    /// Options.
    pub options: NatOptions,
}

impl NatConfig {
    /// Default options.
    pub fn new(server: ServerAddresses, local_ip: IpAddr) -> NatConfig {
        NatConfig {
            server,
            local_ip,
            options: NatOptions::default(),
        }
    }
}

/// The two filtering tests of RFC 5780 §4.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterTest {
    /// Test II: change IP and port, the answer comes from AA.
    Eif,
    /// Test III: change port, the answer comes from PA.
    Adf,
}

impl FilterTest {
    const ALL: [FilterTest; 2] = [FilterTest::Eif, FilterTest::Adf];

    fn change(self) -> ChangeRequest {
        ChangeRequest {
            change_ip: self == FilterTest::Eif,
            change_port: true,
        }
    }

    fn answers_from(self) -> ServerRole {
        match self {
            FilterTest::Eif => ServerRole::Aa,
            FilterTest::Adf => ServerRole::Pa,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FilterTest::Eif => "EIF",
            FilterTest::Adf => "ADF",
        }
    }
}

/// The two sockets of a hairpin pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    A,
    B,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// What a socket is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SocketUse {
    Mapping,
    Filter(FilterTest, u8),
    Port(PortPurpose),
    Hairpin(u8, Side),
    Padded,
}

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Mapping socket → a server role.
    Map(ServerRole),
    /// Plain Binding to PP from a filtering socket (positive control).
    FilterControl(FilterTest, u8),
    /// CHANGE-REQUEST to PP from the same socket.
    FilterChange(FilterTest, u8),
    /// Binding to PP from a port-preservation socket.
    Port(PortPurpose),
    /// Binding to PP from a hairpin socket, to learn its public address.
    HairpinLearn(u8, Side),
    /// Binding request from this side to the other side's public address.
    HairpinProbe(u8, Side),
    /// Small Binding to PP from the large-packet socket.
    PaddedControl,
    /// ≈1500-byte Binding with PADDING to PP.
    Padded(u8),
}

impl Step {
    fn socket_use(self) -> SocketUse {
        match self {
            Step::Map(_) => SocketUse::Mapping,
            Step::FilterControl(t, c) | Step::FilterChange(t, c) => SocketUse::Filter(t, c),
            Step::Port(p) => SocketUse::Port(p),
            Step::HairpinLearn(p, s) | Step::HairpinProbe(p, s) => SocketUse::Hairpin(p, s),
            Step::PaddedControl | Step::Padded(_) => SocketUse::Padded,
        }
    }

    /// Plain requests to a server address: every one should be answered, so their loss is
    /// the yardstick for silence elsewhere.
    fn is_reference(self) -> bool {
        !matches!(
            self,
            Step::FilterChange(..) | Step::HairpinProbe(..) | Step::Padded(_)
        )
    }

    fn label(self) -> String {
        match self {
            Step::Map(role) => format!("mapping: Binding to {}", role.name()),
            Step::FilterControl(t, c) => {
                format!("filtering {} #{}: control Binding to PP", t.name(), c + 1)
            }
            Step::FilterChange(t, c) => format!(
                "filtering {} #{}: CHANGE-REQUEST ({}) to PP, answer due from {}",
                t.name(),
                c + 1,
                if t.change().change_ip {
                    "IP and port"
                } else {
                    "port"
                },
                t.answers_from().name()
            ),
            Step::Port(PortPurpose::Sip) => "port preservation: SIP port".into(),
            Step::Port(PortPurpose::Rtp) => "port preservation: RTP base port".into(),
            Step::HairpinLearn(p, s) => {
                format!(
                    "hairpin pair {} {}: public address from PP",
                    p + 1,
                    s.name()
                )
            }
            Step::HairpinProbe(p, s) => format!(
                "hairpin pair {}: {} to {}'s public address",
                p + 1,
                s.name(),
                s.other().name()
            ),
            Step::PaddedControl => "large packets: small control Binding to PP".into(),
            Step::Padded(c) => format!("large packets: padded Binding to PP #{}", c + 1),
        }
    }
}

/// A socket the machine asked for, and where it got bound.
#[derive(Debug, Clone, Copy)]
struct Slot {
    usage: SocketUse,
    port: Option<u16>,
    local: Option<SocketAddr>,
}

/// The NAT behaviour test as a [`Machine`]; see the module documentation.
pub struct NatBehaviour {
    config: NatConfig,
    ids: Box<dyn TransactionIds>,
    sockets: Vec<Slot>,
    txs: Vec<Transaction>,
    queue: VecDeque<usize>,
    rto: Rto,
    round: u8,
    started: Option<Instant>,
    finished: Option<Instant>,
    now: Option<Instant>,
    stray: u32,
    fingerprint_failures: u32,
    issues: Vec<ServerIssue>,
}

impl std::fmt::Debug for NatBehaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatBehaviour")
            .field("config", &self.config)
            .field("round", &self.round)
            .field("transactions", &self.txs.len())
            .field("finished", &self.finished.is_some())
            .finish_non_exhaustive()
    }
}

impl NatBehaviour {
    /// A test with random transaction IDs.
    pub fn new(config: NatConfig) -> NatBehaviour {
        NatBehaviour::with_ids(config, Box::new(RandomTransactionIds::default()))
    }

    /// A test taking its transaction IDs from `ids` (tests use a counter).
    pub fn with_ids(mut config: NatConfig, ids: Box<dyn TransactionIds>) -> NatBehaviour {
        config.server = config.server.canonical();
        config.options.filtering_copies = config.options.filtering_copies.clamp(1, 3);
        let sockets = plan_sockets(&config);
        NatBehaviour {
            config,
            ids,
            sockets,
            txs: Vec::new(),
            queue: VecDeque::new(),
            rto: Rto::new(),
            round: 0,
            started: None,
            finished: None,
            now: None,
            stray: 0,
            fingerprint_failures: 0,
            issues: Vec::new(),
        }
    }

    fn socket_of(&self, usage: SocketUse) -> Option<SocketId> {
        let index = self.sockets.iter().position(|s| s.usage == usage)?;
        Some(SocketId(index as u32))
    }

    fn local(&self, socket: SocketId) -> Option<SocketAddr> {
        self.sockets.get(socket.0 as usize)?.local
    }

    fn first_answer(&self, step: Step) -> Option<&Answer> {
        self.txs
            .iter()
            .filter(|t| t.step == step)
            .find_map(Transaction::answer)
    }

    fn find_tx(&self, tid: TransactionId) -> Option<usize> {
        self.txs.iter().position(|t| t.tid == tid)
    }

    // ---- starting transactions ----

    fn start(&mut self, now: Instant) {
        self.started = Some(now);
        self.round = 1;
        for step in self.initial_steps() {
            self.start_tx(step);
        }
    }

    fn initial_steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        // RFC 5780 §4.3 order: PP (test I), AP (test II), AA (test III), then PA.
        for role in [
            ServerRole::Pp,
            ServerRole::Ap,
            ServerRole::Aa,
            ServerRole::Pa,
        ] {
            if self.config.server.get(role).is_some() {
                steps.push(Step::Map(role));
            }
        }
        for slot in &self.sockets {
            if let SocketUse::Filter(test, copy) = slot.usage {
                steps.extend([
                    Step::FilterControl(test, copy),
                    Step::FilterChange(test, copy),
                ]);
            }
        }
        steps.extend([Step::Port(PortPurpose::Sip), Step::Port(PortPurpose::Rtp)]);
        for pair in 0..HAIRPIN_PAIRS {
            steps.extend([
                Step::HairpinLearn(pair, Side::A),
                Step::HairpinLearn(pair, Side::B),
            ]);
        }
        if self.config.options.padded_run {
            steps.push(Step::PaddedControl);
            steps.extend((0..PADDED_COPIES).map(Step::Padded));
        }
        steps
    }

    fn destination(&self, step: Step) -> Option<SocketAddr> {
        match step {
            Step::Map(role) => self.config.server.get(role),
            Step::HairpinProbe(pair, side) => self
                .first_answer(Step::HairpinLearn(pair, side.other()))
                .and_then(Answer::mapped),
            _ => Some(self.config.server.pp),
        }
    }

    fn expected_source(&self, step: Step, destination: SocketAddr) -> Option<SocketAddr> {
        match step {
            Step::FilterChange(test, _) => self.config.server.get(test.answers_from()),
            Step::HairpinProbe(..) => None,
            _ => Some(destination),
        }
    }

    /// Queues a new transaction for `step` (a new transaction ID each time).
    fn start_tx(&mut self, step: Step) {
        let Some(socket) = self.socket_of(step.socket_use()) else {
            return;
        };
        let Some(destination) = self.destination(step) else {
            return;
        };
        let tid = self.ids.next_id();
        let request = build_request(step, tid, destination);
        let result = if self.local(socket).is_none() {
            TxResult::NotSent("the socket could not be opened")
        } else if request.is_empty() {
            TxResult::NotSent("the request could not be encoded")
        } else {
            TxResult::Pending
        };
        let pending = matches!(result, TxResult::Pending);
        self.txs.push(Transaction {
            step,
            round: self.round,
            socket,
            tid,
            destination,
            expected_source: self.expected_source(step, destination),
            request,
            attempts: 0,
            first_sent: None,
            deadline: None,
            result,
            rejected: Vec::new(),
            mangled_arrival: None,
        });
        if pending {
            self.queue.push_back(self.txs.len() - 1);
        }
    }

    /// Once both sockets of a pair know their public addresses, each sends to the other's:
    /// both directions at once, so whichever arrives second finds the filter opened by the
    /// first (hole punching), and a filtering NAT cannot hide a working hairpin.
    fn start_hairpin_probes(&mut self, pair: u8) {
        let learned = |side| self.first_answer(Step::HairpinLearn(pair, side)).is_some();
        let started = self
            .txs
            .iter()
            .any(|t| matches!(t.step, Step::HairpinProbe(p, _) if p == pair));
        if learned(Side::A) && learned(Side::B) && !started {
            self.start_tx(Step::HairpinProbe(pair, Side::A));
            self.start_tx(Step::HairpinProbe(pair, Side::B));
        }
    }

    // ---- rounds ----

    /// Called whenever something changed: when nothing is in flight, either starts another
    /// round or ends the test.
    fn advance(&mut self, now: Instant) {
        if self.started.is_none() || self.finished.is_some() {
            return;
        }
        if self.txs.iter().any(Transaction::is_pending) {
            return;
        }
        if !self.start_next_round() {
            self.finished = Some(now);
        }
    }

    fn start_next_round(&mut self) -> bool {
        if self.round >= MAX_ROUNDS {
            return false;
        }
        let steps = self.retry_steps();
        if steps.is_empty() {
            return false;
        }
        self.round += 1;
        for step in steps {
            self.start_tx(step);
        }
        true
    }

    /// Steps worth another transaction: lost plain requests, and silent probes whose
    /// verdict the measured loss could still explain.
    fn retry_steps(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        for tx in &self.txs {
            let step = tx.step;
            if step.is_reference()
                && !steps.contains(&step)
                && self.local(tx.socket).is_some()
                && self
                    .txs
                    .iter()
                    .filter(|t| t.step == step)
                    .all(Transaction::is_lost)
            {
                steps.push(step);
            }
        }
        let rates = self.rates();
        for test in FilterTest::ALL {
            if self.filter_silence(test, rates).retry() {
                steps.extend(self.silent_copies(test));
            }
        }
        if self.hairpin_silence(rates).retry() {
            steps.extend(self.silent_hairpin_probes());
        }
        if self.config.options.padded_run && self.padded_silence(rates).retry() {
            steps.extend((0..PADDED_COPIES).map(Step::Padded));
        }
        steps
    }

    fn silent_copies(&self, test: FilterTest) -> Vec<Step> {
        let mut steps = Vec::new();
        for tx in &self.txs {
            if let Step::FilterChange(t, _) = tx.step
                && t == test
                && tx.is_lost()
                && self.local(tx.socket).is_some()
                && !steps.contains(&tx.step)
            {
                steps.push(tx.step);
            }
        }
        steps
    }

    fn silent_hairpin_probes(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        for tx in &self.txs {
            if matches!(tx.step, Step::HairpinProbe(..)) && !steps.contains(&tx.step) {
                steps.push(tx.step);
            }
        }
        steps
    }

    // ---- receiving ----

    fn on_datagram(&mut self, now: Instant, socket: SocketId, from: SocketAddr, payload: &[u8]) {
        match BindingResponse::parse(payload) {
            Ok(response) => self.on_response(now, socket, from, &response),
            Err(ResponseError::NotBindingResponse) => self.on_request(socket, from, payload),
            Err(error) => self.on_unusable(from, payload, error),
        }
    }

    /// A reply we cannot use; if it carries one of our IDs, it is evidence.
    fn on_unusable(&mut self, from: SocketAddr, payload: &[u8], error: ResponseError) {
        let tid = Message::parse(payload).ok().map(|m| m.transaction_id());
        let Some(index) = tid.and_then(|tid| self.find_tx(tid)) else {
            self.stray += 1;
            return;
        };
        let reason = if error == ResponseError::BadFingerprint {
            self.fingerprint_failures += 1;
            let tx = &mut self.txs[index];
            if tx.expected_source == Some(from) {
                // Changed, but it did arrive: enough for tests that only ask "did it get
                // through" (large packets).
                tx.mangled_arrival.get_or_insert(payload.len());
            }
            "FINGERPRINT does not match: the payload was changed on the way".to_string()
        } else {
            format!("unusable reply: {error}")
        };
        self.reject(index, from, reason);
    }

    fn on_response(
        &mut self,
        now: Instant,
        socket: SocketId,
        from: SocketAddr,
        response: &BindingResponse<'_>,
    ) {
        if response.message.is_legacy() {
            self.stray += 1;
            return;
        }
        let Some(index) = self.find_tx(response.message.transaction_id()) else {
            self.stray += 1;
            return;
        };
        let tx = &self.txs[index];
        if tx.socket != socket {
            let reason = format!("arrived on socket {} instead of {}", socket.0, tx.socket.0);
            return self.reject(index, from, reason);
        }
        let Some(expected) = tx.expected_source else {
            return self.reject(index, from, "a reply to a hairpin probe".into());
        };
        // RFC 5780 §6.1: errors come from the socket the request went to, never a changed one.
        let expected = if response.success {
            expected
        } else {
            tx.destination
        };
        if from != expected {
            self.note_issue(ServerIssue::UnexpectedSource {
                expected,
                source: from,
            });
            let reason = format!("came from {from}, the answer had to come from {expected}");
            return self.reject(index, from, reason);
        }
        if !matches!(tx.result, TxResult::Pending | TxResult::Lost) {
            return; // the answer to a retransmission; the first one counted
        }
        if !response.success {
            let code = response.error.map_or(0, |e| e.code);
            let tx = &mut self.txs[index];
            tx.result = TxResult::Error { source: from, code };
            tx.deadline = None;
            return;
        }
        if response.xor_mapped_address.is_none() && response.mapped_address.is_none() {
            return self.reject(index, from, "no mapped address in the answer".into());
        }
        let destination = self.txs[index].destination;
        self.check_server_fields(from, destination, response);
        self.accept(now, index, from, response);
    }

    fn accept(
        &mut self,
        now: Instant,
        index: usize,
        from: SocketAddr,
        response: &BindingResponse<'_>,
    ) {
        let tx = &mut self.txs[index];
        let late = tx.is_lost();
        let rtt = match (tx.attempts, tx.first_sent) {
            (1, Some(sent)) if !late => Some(now.saturating_duration_since(sent)),
            _ => None,
        };
        tx.result = TxResult::Answered(Answer {
            source: from,
            xor_mapped: response.xor_mapped_address.map(canonical),
            plain_mapped: response.mapped_address.map(canonical),
            response_origin: response.response_origin.map(canonical),
            other_address: response.other_address.map(canonical),
            rtt,
            late,
            bytes: response.message.len(),
        });
        tx.deadline = None;
        let step = tx.step;
        if let Some(rtt) = rtt {
            self.rto.sample(rtt);
        }
        if let Step::HairpinLearn(pair, _) = step {
            self.start_hairpin_probes(pair);
        }
    }

    /// RESPONSE-ORIGIN must name the source. OTHER-ADDRESS in an answer from PP must name
    /// the listed AA: that is what defines the alternate address, and a mismatch leaves
    /// filtering inconclusive. Elsewhere it is compared with RFC 5780 §6.1 Table 1 for the
    /// socket the request went to (PA for AP, PP for AA, ...), but servers read §7.4
    /// differently (coturn 4.6 names the alternate IP with the other port from every
    /// socket), so a difference there is only noted.
    fn check_server_fields(
        &mut self,
        from: SocketAddr,
        destination: SocketAddr,
        response: &BindingResponse<'_>,
    ) {
        match response.response_origin.map(canonical) {
            None => self.note_issue(ServerIssue::OriginMissing),
            Some(origin) if origin != from => {
                self.note_issue(ServerIssue::OriginMismatch {
                    source: from,
                    origin,
                });
            }
            Some(_) => {}
        }
        let server = self.config.server;
        let Some(role) = ServerRole::ALL
            .into_iter()
            .find(|r| server.get(*r) == Some(destination))
        else {
            return;
        };
        let advertised = response.other_address.map(canonical);
        let expected = server.get(role.other());
        if from == server.pp {
            match (expected, advertised) {
                (Some(listed), Some(advertised)) if listed != advertised => {
                    self.note_issue(ServerIssue::OtherAddressMismatch { listed, advertised });
                }
                (Some(listed), None) => {
                    self.note_issue(ServerIssue::OtherAddressMissing { listed });
                }
                _ => {}
            }
        } else if let Some(expected) = expected
            && advertised != Some(expected)
        {
            self.note_issue(ServerIssue::OtherAddressNote {
                role,
                source: from,
                expected,
                advertised,
            });
        }
        if let (None, Some(advertised)) = (expected, advertised) {
            self.note_issue(ServerIssue::OtherAddressUnlisted { advertised });
        }
    }

    /// A Binding request arriving: one of our hairpin probes, or not ours.
    fn on_request(&mut self, socket: SocketId, from: SocketAddr, payload: &[u8]) {
        let Ok(message) = Message::parse(payload) else {
            self.stray += 1;
            return;
        };
        if message.class() != Class::Request
            || message.method() != Method::BINDING
            || message.is_legacy()
        {
            self.stray += 1;
            return;
        }
        let Some(index) = self.find_tx(message.transaction_id()) else {
            self.stray += 1;
            return;
        };
        let Step::HairpinProbe(pair, side) = self.txs[index].step else {
            return self.reject(index, from, "our own request came back".into());
        };
        if self.socket_of(SocketUse::Hairpin(pair, side.other())) != Some(socket) {
            let reason = format!("the probe arrived on socket {}", socket.0);
            return self.reject(index, from, reason);
        }
        let tx = &mut self.txs[index];
        if matches!(tx.result, TxResult::Pending | TxResult::Lost) {
            tx.result = TxResult::Received { source: from };
            tx.deadline = None;
        }
    }

    fn reject(&mut self, index: usize, source: SocketAddr, reason: String) {
        if let Some(tx) = self.txs.get_mut(index) {
            tx.rejected.push(RejectedReply { source, reason });
        }
    }

    fn note_issue(&mut self, issue: ServerIssue) {
        if !self.issues.contains(&issue) {
            self.issues.push(issue);
        }
    }
}

impl Machine for NatBehaviour {
    type Report = NatReport;

    fn sockets(&self) -> Vec<SocketRequest> {
        self.sockets
            .iter()
            .enumerate()
            .map(|(index, slot)| SocketRequest {
                id: SocketId(index as u32),
                kind: SocketKind::Udp,
                port: slot.port,
                tos: None,
            })
            .collect()
    }

    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>) {
        if let Some(slot) = self.sockets.get_mut(socket.0 as usize) {
            slot.local = local.map(canonical);
        }
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.now = Some(now);
        if self.started.is_none() {
            self.start(now);
            self.advance(now);
        }
        let rto = self.rto.current();
        while let Some(index) = self.queue.pop_front() {
            let tx = &mut self.txs[index];
            if !tx.is_pending() {
                continue;
            }
            tx.attempts += 1;
            tx.first_sent.get_or_insert(now);
            tx.deadline = Some(now + rto);
            return Some(Transmit {
                socket: tx.socket,
                destination: tx.destination,
                payload: tx.request.clone(),
            });
        }
        None
    }

    fn handle_receive(&mut self, now: Instant, socket: SocketId, from: SocketAddr, payload: &[u8]) {
        self.now = Some(now);
        if self.started.is_none() || self.finished.is_some() {
            self.stray += 1;
            return;
        }
        self.on_datagram(now, socket, canonical(from), payload);
        self.advance(now);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.finished.is_some() {
            return None;
        }
        if !self.queue.is_empty() {
            return self.now; // transmissions are waiting: come back at once
        }
        self.txs.iter().filter_map(|t| t.deadline).min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        for (index, tx) in self.txs.iter_mut().enumerate() {
            match tx.deadline {
                Some(deadline) if deadline <= now => {
                    tx.deadline = None;
                    if tx.attempts < MAX_TRANSMISSIONS {
                        self.queue.push_back(index);
                    } else {
                        tx.result = TxResult::Lost;
                    }
                }
                _ => {}
            }
        }
        self.advance(now);
    }

    fn report(&self) -> Option<NatReport> {
        let finished = self.finished?;
        Some(self.build_report(finished))
    }
}

/// The sockets of one run; filtering sockets only where the reflector can answer them.
fn plan_sockets(config: &NatConfig) -> Vec<Slot> {
    let slot = |usage, port| Slot {
        usage,
        port,
        local: None,
    };
    let mut sockets = vec![slot(SocketUse::Mapping, None)];
    for test in FilterTest::ALL {
        if config.server.get(test.answers_from()).is_some() {
            for copy in 0..config.options.filtering_copies {
                sockets.push(slot(SocketUse::Filter(test, copy), None));
            }
        }
    }
    sockets.push(slot(
        SocketUse::Port(PortPurpose::Sip),
        Some(config.options.sip_port),
    ));
    sockets.push(slot(
        SocketUse::Port(PortPurpose::Rtp),
        Some(config.options.rtp_base_port),
    ));
    for pair in 0..HAIRPIN_PAIRS {
        sockets.push(slot(SocketUse::Hairpin(pair, Side::A), None));
        sockets.push(slot(SocketUse::Hairpin(pair, Side::B), None));
    }
    if config.options.padded_run {
        sockets.push(slot(SocketUse::Padded, None));
    }
    sockets
}

/// The request bytes of a step (empty if encoding failed, which these attributes cannot).
fn build_request(step: Step, tid: TransactionId, destination: SocketAddr) -> Vec<u8> {
    let attributes = match step {
        Step::FilterChange(test, _) => vec![Attribute::ChangeRequest(test.change())],
        Step::Padded(_) => vec![Attribute::Padding(padding_len(destination))],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    if binding_request(tid, &attributes, Seal::NONE, &mut out).is_err() {
        out.clear();
    }
    out
}

/// PADDING value length that makes the request a [`LARGE_PACKET_IP_BYTES`] IP packet: minus
/// the IP and UDP headers, the STUN header and the attribute header (a multiple of 4).
fn padding_len(destination: SocketAddr) -> usize {
    let ip_header = if destination.is_ipv4() { 20 } else { 40 };
    LARGE_PACKET_IP_BYTES - ip_header - 8 - 20 - 4
}

/// IPv4-mapped IPv6 addresses (dual-stack sockets) compared as IPv4.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}
