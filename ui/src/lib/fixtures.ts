// Test data shared by the UI's unit tests: a registered server and a model as the engine sends
// them.

import type { ModelOverview, RevisionOverview, RolloutView, Server } from "./bindings";

export const NOW = Date.parse("2026-11-28T12:00:00Z");
export const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

export function server(overrides: Partial<Server> = {}): Server {
  return {
    id: 1,
    name: "fraud-prod",
    base_url: "http://127.0.0.1:8080",
    kind: "auto",
    detected_kind: "mlserver",
    metrics_url: null,
    management_url: null,
    metrics_error: null,
    poll_interval_ms: null,
    timeout_ms: null,
    labels: {},
    source_kind: null,
    selector: null,
    token_ref: null,
    tls_ca: null,
    tls_client: null,
    health: "up",
    health_reason: "/v2/health/ready answered HTTP 200",
    health_since: ago(600),
    checked_at: ago(2),
    created_at: ago(3600),
    ...overrides,
  };
}

/** A revision of a model as the engine's overview gives it: fraud v12, stable, taking all the traffic. */
export function revisionOverview(overrides: Partial<RevisionOverview> = {}): RevisionOverview {
  return {
    version: "12",
    role: "stable",
    share: 1,
    health: "up",
    health_reason: "/v2/models/fraud/versions/12/ready answered HTTP 200",
    rate: 10.08,
    error_share: 0.0125,
    p99_s: 0.02522,
    breaches: [],
    ...overrides,
  };
}

/** A model as the engine's overview gives it: fraud on fraud-prod, one revision, within objectives of its own. */
export function modelOverview(overrides: Partial<ModelOverview> = {}): ModelOverview {
  return {
    server: "fraud-prod",
    model: "fraud",
    status: { state: "up", reason: "fraud v12 is ready" },
    revisions: [revisionOverview()],
    rate: 10.08,
    error_share: 0.0125,
    p99_s: 0.02522,
    sparkline: [],
    deployed_at: ago(7200),
    objectives: { error_share: { max: 0.02, is_default: false }, p99_s: { max: 1, is_default: true } },
    sentence: "fraud on fraud-prod is healthy (10.1 requests a second, 1.3 % failing).",
    ...overrides,
  };
}

/** A rollout of fraud 13 over 12 at 50 %, waiting for the engineer and the data scientist. */
export function rolloutView(overrides: Partial<RolloutView> = {}): RolloutView {
  const gate = (metric: "error_share" | "p99_s", measured: number, threshold: number) => ({
    gate: metric === "error_share" ? { metric, max: 0.05 } : { metric, max_vs_stable: 2 },
    measured,
    stable: measured / 2,
    threshold,
    verdict: "pass" as const,
  });
  const window = { requests: 120, errors: 1, p99_s: 0.022, p50_s: 0.01 };
  return {
    rollout: {
      id: 7,
      model: "fraud",
      stable: "12",
      candidate: "13",
      plan: {
        steps: [10, 50, 100].map((weight) => ({ weight, min_duration_s: 10, approval: false, shadow: false })),
        gates: [{ metric: "error_share", max: 0.05 }, { metric: "p99_s", max_vs_stable: 2 }],
        min_requests: 10,
        failure_limit: 2,
        on_failure: "rollback",
      },
      state: "waiting",
      step: 1,
      weight: 50,
      step_started_at: "2026-11-28T11:59:00Z",
      waiting_since: "2026-11-28T11:59:30Z",
      reminded: false,
      failures: 0,
      failed_at_ms: null,
      evidence: {
        at: "2026-11-28T11:59:50Z",
        poll_ms: 0,
        candidate: window,
        stable: window,
        gates: [gate("error_share", 0.008, 0.05), gate("p99_s", 0.022, 0.035)],
        verdict: "pass",
      },
      error: null,
      reason: null,
      started_by: "release pipeline",
      started_at: "2026-11-28T11:58:00Z",
      ended_at: null,
      updated_at: "2026-11-28T11:59:50Z",
    },
    approvals: [],
    waiting_for: ["engineer", "data_scientist"],
    next_weight: 100,
    gate_lines: ["error share 0.8 % ≤ 5.0 %", "p99 latency 22 ms ≤ 35 ms"],
    sentence: "fraud v13 passed 50 % and waits for the engineer and data scientist to approve.",
    ...overrides,
  };
}
