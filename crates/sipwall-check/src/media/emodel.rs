//! The ITU-T G.107 E-model, reduced to the terms a packet network changes.
//!
//! G.107 (06/2015) rates a connection with the transmission rating factor
//!
//! ```text
//! R = Ro − Is − Id − Ie,eff + A
//! ```
//!
//! Planning practice (G.107 §7 with the Table 3 default values, as G.113 Appendix I uses it):
//! every term a network test cannot observe — loudness ratings, room noise, sidetone,
//! echo loss — keeps its default, which makes `Ro − Is` = [`RO_MINUS_IS`] = 93.2, and the
//! advantage factor `A` is 0 (a wired phone; no "mobility bonus"). What is left:
//!
//! - `Id`, the delay impairment. G.107 splits it into `Idte + Idle + Idd`; with the default
//!   echo loss (TELR 65 dB, i.e. working echo cancellation) the echo terms are negligible for
//!   the delays a LAN-to-provider path has, so only `Idd` (absolute delay, §7.3 eq. 7-28) is
//!   kept. This overestimates R slightly on paths with audible echo — which a network test
//!   cannot see anyway.
//! - `Ie,eff`, the effective equipment impairment (§7.4 eq. 7-29) from the codec's `Ie` and
//!   packet-loss robustness `Bpl` (G.113 Appendix I, Tables I.1 and I.3), the packet-loss
//!   probability `Ppl` **in percent**, and the burst ratio `BurstR`.
//!
//! MOS is the G.107 Annex B mapping from R (conversational-quality estimate, MOS-CQE).

use serde::{Deserialize, Serialize};

/// `Ro − Is` with every G.107 Table 3 default: the R of a perfect narrowband connection.
pub const RO_MINUS_IS: f64 = 93.2;

/// G.107 §7.3: below this one-way delay (`mT`, ms) absolute delay does not impair.
const DELAY_KNEE_MS: f64 = 100.0;

/// A codec's impairment factors, as G.113 Appendix I tabulates them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CodecImpairment {
    /// Equipment impairment `Ie` at zero loss (G.113 Table I.1).
    pub ie: f64,
    /// Packet-loss robustness factor `Bpl` (G.113 Table I.3).
    pub bpl: f64,
}

/// G.711 with packet-loss concealment (G.711 Appendix I): `Ie` = 0 (Table I.1), `Bpl` = 25.1
/// (Table I.3). Every phone in use conceals losses, so this is the default.
pub const G711_PLC: CodecImpairment = CodecImpairment { ie: 0.0, bpl: 25.1 };

/// G.711 without concealment, random loss: `Bpl` = 4.3 (G.113 Table I.3). For comparison only.
pub const G711_NO_PLC: CodecImpairment = CodecImpairment { ie: 0.0, bpl: 4.3 };

/// What the E-model needs from a measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs {
    /// Mean one-way (mouth-to-ear) delay `Ta` in milliseconds.
    pub one_way_delay_ms: f64,
    /// Packet-loss probability `Ppl` in percent (1 % is 1.0, not 0.01).
    pub loss_percent: f64,
    /// `BurstR`: 1 for random loss, above 1 for bursty loss.
    pub burst_ratio: f64,
    pub codec: CodecImpairment,
}

/// An E-model rating with its parts, so a report can show where the points went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Transmission rating R (0–100 in practice; 93.2 is a perfect G.711 call).
    pub r: f64,
    /// Estimated MOS (1–4.5).
    pub mos: f64,
    /// The delay impairment `Idd` that went in.
    pub delay_impairment: f64,
    /// The effective equipment impairment `Ie,eff` that went in.
    pub loss_impairment: f64,
}

/// `Idd` (G.107 §7.3, eq. 7-28) for a one-way delay `Ta` in ms: 0 up to 100 ms, then
/// `25 {(1 + X⁶)^⅙ − 3 (1 + (X/3)⁶)^⅙ + 2}` with `X = log2(Ta / 100 ms)`.
pub fn delay_impairment(one_way_delay_ms: f64) -> f64 {
    // NaN (no delay information) impairs nothing, like any delay up to the knee.
    if one_way_delay_ms.is_nan() || one_way_delay_ms <= DELAY_KNEE_MS {
        return 0.0;
    }
    let x = (one_way_delay_ms / DELAY_KNEE_MS).log2();
    let sixth_root = |v: f64| v.powf(1.0 / 6.0);
    25.0 * (sixth_root(1.0 + x.powi(6)) - 3.0 * sixth_root(1.0 + (x / 3.0).powi(6)) + 2.0)
}

/// `Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)` (G.107 §7.4, eq. 7-29).
///
/// `loss_percent` is `Ppl` in percent and is clamped to 0–100; a `burst_ratio` below 1 (or not
/// a number) is taken as 1, see [`burst_ratio`].
pub fn effective_equipment_impairment(
    codec: CodecImpairment,
    loss_percent: f64,
    burst_ratio: f64,
) -> f64 {
    let ppl = if loss_percent.is_nan() {
        0.0
    } else {
        loss_percent.clamp(0.0, 100.0)
    };
    let burst_ratio = if burst_ratio >= 1.0 { burst_ratio } else { 1.0 };
    codec.ie + (95.0 - codec.ie) * ppl / (ppl / burst_ratio + codec.bpl)
}

/// G.107 Annex B: MOS 1 below R = 0, 4.5 above R = 100, else
/// `1 + 0.035 R + R (R − 60)(100 − R) · 7·10⁻⁶`.
///
/// The cubic dips to ~0.99 for R between 0 and ~6.5; MOS has no values below 1, so the result
/// is floored at 1 (which also makes the mapping monotonic).
pub fn mos_from_r(r: f64) -> f64 {
    if r.is_nan() || r < 0.0 {
        1.0
    } else if r > 100.0 {
        4.5
    } else {
        (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6).max(1.0)
    }
}

/// Rates a measurement: `R = 93.2 − Idd − Ie,eff` (A = 0), and its MOS.
pub fn score(inputs: Inputs) -> Score {
    let delay = delay_impairment(inputs.one_way_delay_ms);
    let loss =
        effective_equipment_impairment(inputs.codec, inputs.loss_percent, inputs.burst_ratio);
    let r = RO_MINUS_IS - delay - loss;
    Score {
        r,
        mos: mos_from_r(r),
        delay_impairment: delay,
        loss_impairment: loss,
    }
}

/// Fewer lost packets than this say too little about their pattern: `BurstR` is taken as 1.
pub const MIN_LOSSES_FOR_BURST_RATIO: u64 = 10;

/// `BurstR` from an observed loss pattern (G.107 §7.4): the mean length of the observed loss
/// bursts divided by the mean burst length random loss of the same rate would give,
/// `1 / (1 − π)` for loss fraction `π`. (For G.107's two-state Markov model this equals its
/// `1 / (p + q)`.)
///
/// `lost` packets in `bursts` runs out of `total`. Returns 1 (random loss) when fewer than
/// [`MIN_LOSSES_FOR_BURST_RATIO`] packets were lost or everything was lost, and never less
/// than 1: an "anti-bursty" estimate from a few dozen losses is not reliable, and crediting it
/// would raise the score — assuming random loss is the cautious side.
pub fn burst_ratio(lost: u64, bursts: u64, total: u64) -> f64 {
    if lost < MIN_LOSSES_FOR_BURST_RATIO || bursts == 0 || lost >= total {
        return 1.0;
    }
    let mean_burst = lost as f64 / bursts as f64;
    let loss_fraction = lost as f64 / total as f64;
    (mean_burst * (1.0 - loss_fraction)).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    fn clean(one_way_delay_ms: f64, loss_percent: f64, burst_ratio: f64) -> Score {
        score(Inputs {
            one_way_delay_ms,
            loss_percent,
            burst_ratio,
            codec: G711_PLC,
        })
    }

    #[test]
    fn a_perfect_g711_call_is_r_93_2_mos_4_41() {
        let s = clean(40.0, 0.0, 1.0);
        assert_eq!(s.r, 93.2);
        assert!(close(s.mos, 4.41, 0.005), "{s:?}");
    }

    #[test]
    fn mos_mapping_matches_g107_annex_b() {
        // 1 + 1.75 + 50·(−10)·50·7e-6 = 2.575
        assert!(close(mos_from_r(50.0), 2.575, 1e-9));
        assert!(close(mos_from_r(50.0), 2.58, 0.006));
        assert_eq!(mos_from_r(-3.0), 1.0);
        assert_eq!(mos_from_r(100.5), 4.5);
        assert_eq!(mos_from_r(f64::NAN), 1.0);
        // Monotonic over the whole range.
        let mut previous = mos_from_r(0.0);
        for r in 1..=100 {
            let m = mos_from_r(f64::from(r));
            assert!(m >= previous, "R {r}");
            previous = m;
        }
    }

    #[test]
    fn one_percent_random_loss_is_ppl_1_not_0_01() {
        // Ie,eff = 95 · 1 / (1 + 25.1) = 3.64, R = 93.2 − 3.64 = 89.56.
        let ie_eff = effective_equipment_impairment(G711_PLC, 1.0, 1.0);
        assert!(close(ie_eff, 3.64, 0.005), "{ie_eff}");
        let s = clean(50.0, 1.0, 1.0);
        assert!(close(s.r, 89.56, 0.005), "{s:?}");
        // Passing a fraction instead of percent would barely move R: the unit trap.
        let wrong = clean(50.0, 0.01, 1.0);
        assert!(wrong.r > 93.1 && s.r < 89.6);
    }

    #[test]
    fn bursty_loss_hurts_more_than_random() {
        let random = effective_equipment_impairment(G711_PLC, 2.0, 1.0);
        let bursty = effective_equipment_impairment(G711_PLC, 2.0, 3.0);
        assert!(bursty > random);
        // Without PLC the same loss costs far more.
        assert!(effective_equipment_impairment(G711_NO_PLC, 2.0, 1.0) > 2.0 * random);
        // Loss is clamped to 0–100 %.
        assert_eq!(effective_equipment_impairment(G711_PLC, -5.0, 1.0), 0.0);
        assert_eq!(
            effective_equipment_impairment(G711_PLC, 250.0, 1.0),
            effective_equipment_impairment(G711_PLC, 100.0, 1.0)
        );
    }

    #[test]
    fn delay_impairment_follows_idd() {
        assert_eq!(delay_impairment(100.0), 0.0);
        assert_eq!(delay_impairment(20.0), 0.0);
        assert_eq!(delay_impairment(f64::NAN), 0.0);
        // X = 1 at 200 ms: 25 {2^⅙ − 3 (1 + 3⁻⁶)^⅙ + 2}.
        let expected =
            25.0 * (2f64.powf(1.0 / 6.0) - 3.0 * (1.0 + 3f64.powi(-6)).powf(1.0 / 6.0) + 2.0);
        assert!(close(delay_impairment(200.0), expected, 1e-12));
        // The familiar planning values: ~0.16 at 150 ms, ~24 at 400 ms.
        assert!(close(delay_impairment(150.0), 0.164, 0.01));
        assert!(close(delay_impairment(400.0), 24.1, 0.2));
        let mut previous = 0.0;
        for ms in (100..800).step_by(10) {
            let idd = delay_impairment(f64::from(ms));
            assert!(idd >= previous);
            previous = idd;
        }
    }

    #[test]
    fn burst_ratio_is_mean_burst_over_random_mean() {
        // 100 losses in 100 single-packet bursts out of 10 000: random, BurstR ≈ 0.99 → 1.
        assert_eq!(burst_ratio(100, 100, 10_000), 1.0);
        // 100 losses in 20 bursts of 5 out of 10 000: 5 · 0.99 = 4.95.
        assert!(close(burst_ratio(100, 20, 10_000), 4.95, 1e-9));
        // Too few losses, or nothing received at all: assume random.
        assert_eq!(burst_ratio(5, 1, 1000), 1.0);
        assert_eq!(burst_ratio(500, 1, 500), 1.0);
    }
}
