// Test data shared by the UI's unit tests: a registered server and a model revision as the
// engine sends them.

import type { RevisionSignals, Server } from "./bindings";

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

export function revision(overrides: Partial<RevisionSignals> = {}): RevisionSignals {
  return {
    server: "fraud-prod",
    model: "fraud",
    version: "12",
    first_seen_at: ago(7200),
    health: "up",
    health_reason: "/v2/models/fraud/versions/12/ready answered HTTP 200",
    latest: { request_rate: 10.08, error_rate: 0.0125, latency_mean_s: 0.00981, latency_p99_s: 0.02522 },
    latest_at_ms: NOW - 2000,
    sparkline: [],
    metadata: {},
    requests_seen: 263,
    errors_seen: 3,
    ...overrides,
  };
}
