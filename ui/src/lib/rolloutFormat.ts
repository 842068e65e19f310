// How the window words what the engine decided about rollouts: states, gates, outcomes. Words and
// units only; every verdict, threshold and sentence comes from the engine.

import type { GateResult, Metric, RolloutState } from "./bindings";
import { measure, type Tone } from "./format";
import { isolating } from "./bidi";

export const STATE_VIEW: Record<RolloutState, { word: string; tone: Tone }> = {
  running: { word: "In progress", tone: "ok" },
  waiting: { word: "Waiting for approval", tone: "warn" },
  paused: { word: "Paused", tone: "warn" },
  promoted: { word: "Promoted", tone: "ok" },
  rolled_back: { word: "Rolled back", tone: "bad" },
  aborted: { word: "Aborted", tone: "muted" },
  failed: { word: "Failed", tone: "bad" },
};

const METRIC_WORDS: Record<Metric, string> = {
  error_share: "Error share",
  p99_s: "p99 latency",
  p50_s: "p50 latency",
  drift_share: "Drifted features",
  cost_per_thousand: "Cost per 1,000 predictions",
  parity_share: "Parity on the golden set",
};

const UNIT: Record<Metric, "share" | "seconds" | "dollars"> = {
  error_share: "share",
  p99_s: "seconds",
  p50_s: "seconds",
  drift_share: "share",
  cost_per_thousand: "dollars",
  parity_share: "share",
};

/** One gate as a row: what it measures, the measured value, the stable's, the bound, the verdict. */
export function gateRow(result: GateResult) {
  const unit = UNIT[result.gate.metric];
  const value = (v: number | null) =>
    unit === "dollars"
      ? v === null || !Number.isFinite(v)
        ? "—"
        : `$${v.toFixed(4)}`
      : measure(v ?? undefined, unit, "not measured yet").text;
  const bound = [
    result.gate.max !== undefined ? `≤ ${value(result.gate.max)}` : null,
    result.gate.max_vs_stable !== undefined ? `≤ ${result.gate.max_vs_stable}× stable` : null,
    result.gate.min !== undefined ? `≥ ${value(result.gate.min)}` : null,
  ]
    .filter(Boolean)
    .join(" and ");
  return {
    metric: METRIC_WORDS[result.gate.metric],
    measured: value(result.measured),
    stable: value(result.stable),
    threshold: value(result.threshold),
    bound,
    verdict: result.verdict,
    /** The verdict in words; the engine's reason when it gives one (a cost gate with no price). */
    words: result.reason ?? VERDICT_WORDS[result.verdict],
  };
}

export const VERDICT_WORDS = { pass: "Pass", fail: "Fail", inconclusive: "Too few requests" } as const;

/** Seconds as "4 ms", "2.5 s", "2 min", "1.5 h"; "—" when unknown. */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A rollout's words from the engine (its sentence, its error), the model's and versions' names in them isolated. */
export function rolloutWords(text: string, rollout: { model: string; stable: string; candidate: string }): string {
  return isolating(text, [rollout.model, rollout.stable, rollout.candidate]);
}
