// Test data shared by the UI's unit tests: a registered server and a model as the engine sends
// them.

import type { ModelOverview, RevisionOverview, Server } from "./bindings";

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
