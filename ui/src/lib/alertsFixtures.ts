// Alert test data as the engine sends it: alerts in its order (firing and most severe first), a
// history entry with its evidence, a silence, a rule, a receiver and a delivery, for the Alerts
// view's tests.

import type { AlertRule, AlertView, Delivery, HistoryEntry, Receiver, Silence } from "./bindings";
import { ago } from "./fixtures";

/** Firing: the fraud model's data set drifted on fraud-prod, warning, with a runbook. */
export function alertView(overrides: Partial<AlertView> = {}): AlertView {
  return {
    rule: "dataset drift",
    severity: "warning",
    subject: "fraud on fraud-prod",
    model: "fraud",
    server: "fraud-prod",
    labels: { team: "risk" },
    state: "firing",
    since: ago(420),
    value: "yes",
    bound: null,
    sentence: "fraud on fraud-prod: dataset drift (dataset drift)",
    runbook: "https://wiki.example/runbooks/drift",
    silenced: null,
    ...overrides,
  };
}

/** What `alerts_list` answers: a critical server down, the drift, then an error share pending and a resolved p99. */
export function alertViews(): AlertView[] {
  return [
    alertView({
      rule: "server down",
      severity: "critical",
      subject: "churn-prod",
      model: null,
      server: "churn-prod",
      labels: {},
      since: ago(120),
      sentence: "churn-prod: server down (server down)",
      runbook: null,
    }),
    alertView(),
    alertView({
      rule: "error share over objective",
      state: "pending",
      since: ago(60),
      value: "7.2 %",
      bound: "5.0 %",
      sentence: "fraud on fraud-prod: error share is 7.2 %, past 5.0 % (error share over objective)",
      runbook: null,
    }),
    alertView({
      rule: "p99 over objective",
      state: "resolved",
      since: ago(30),
      value: "180 ms",
      bound: "250 ms",
      sentence: "fraud on fraud-prod: p99 latency is back to normal at 180 ms (p99 over objective)",
      runbook: null,
    }),
  ];
}

export function historyEntry(overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: 7,
    rule: "error share over objective",
    subject: "fraud on fraud-prod",
    model: "fraud",
    server: "fraud-prod",
    change: "fired",
    severity: "warning",
    at: ago(900),
    value: 0.072,
    bound: 0.05,
    silenced: false,
    evidence: {
      sentence: "fraud on fraud-prod: error share is 7.2 %, past 5.0 % (error share over objective)",
      rule: "error share above the model's objective for 5 min, anywhere in the fleet",
      value: "7.2 %",
      bound: "5.0 %",
      runbook: null,
      labels: {},
      silenced_by: null,
    },
    ...overrides,
  };
}

export function silence(overrides: Partial<Silence> = {}): Silence {
  return {
    id: 3,
    matcher: { rule: "dataset drift", model: "fraud", server: "fraud-prod", labels: {} },
    starts_at: ago(600),
    ends_at: ago(-3000),
    reason: "retraining on November's data",
    created_by: "ana",
    created_at: ago(600),
    ...overrides,
  };
}

/** The built-in error share rule. */
export function alertRule(overrides: Partial<AlertRule> = {}): AlertRule {
  return {
    id: 2,
    builtin: true,
    summary: "error share above the model's objective for 5 min, anywhere in the fleet",
    updated_at: ago(86_400),
    name: "error share over objective",
    signal: { name: "error_share" },
    condition: { op: "above_objective" },
    for_secs: 300,
    keep_firing_secs: 300,
    severity: "warning",
    scope: { kind: "fleet" },
    runbook: null,
    enabled: true,
    ...overrides,
  };
}

export function receiver(overrides: Partial<Receiver> = {}): Receiver {
  return {
    id: 1,
    name: "risk on-call",
    kind: "slack",
    url: "https://hooks.example/risk",
    auth_ref: "env:RISK_HOOK_TOKEN",
    labels: { team: "risk" },
    group_wait_secs: 30,
    group_interval_secs: 300,
    repeat_interval_secs: 14_400,
    ...overrides,
  };
}

export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    receiver: "risk on-call",
    group_key: "dataset drift",
    at: ago(400),
    firing: 1,
    resolved: 0,
    error: null,
    ...overrides,
  };
}
