// Test data shared by the UI's unit tests: a registered server as the engine sends it.

import type { Server } from "./bindings";

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
