// Cost test data: a cost report, a catalog row, load-test progress and a capacity plan as the
// engine sends them, for the cost views' tests.

import type { InstanceType } from "./bindings";
import type { CapacityPlan, CostReport, LoadTestProgress, LoadTestResult } from "./bindings";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-28T12:00:00Z");

/** A week's report: fraud 12 (stable) and 13 (candidate) on fraud-prod, 13 with no predictions yet. */
export function costReport(overrides: Partial<CostReport> = {}): CostReport {
  return {
    window_hours: 168,
    servers: [
      {
        server: "fraud-prod",
        placement: "aws us-east-1 c5.xlarge × 2",
        hourly: 0.34,
        daily: 8.16,
        monthly: 244.8,
        window_cost: 57.12,
        team: "risk",
        utilization: 0.31,
        idle_cost: 39.41,
        idle_share: 0.69,
        placed_by: "ana",
      },
    ],
    revisions: [
      { server: "fraud-prod", model: "fraud", version: "12", requests: 604_800, successful: 600_000, cost: 57.12, per_thousand: 0.0952, split: "compute time" },
      { server: "fraud-prod", model: "fraud", version: "13", requests: 0, successful: 0, cost: 0, per_thousand: null, split: "compute time" },
    ],
    models: [
      { server: "fraud-prod", model: "fraud", team: "risk", window_cost: 57.12, monthly: 244.8, per_thousand: 0.0952, successful: 600_000, idle_share: 0.69 },
    ],
    teams: [{ team: "risk", window_cost: 57.12, monthly: 244.8 }],
    comparisons: [
      {
        server: "fraud-prod",
        model: "fraud",
        candidate: "13",
        stable: "12",
        candidate_per_thousand: null,
        stable_per_thousand: 0.0952,
        change: null,
        sentence: "fraud v13 has served no predictions yet; v12 costs $0.0952 per 1,000.",
      },
    ],
    sentences: [
      "Serving costs $244.80 a month, all of it fraud on fraud-prod.",
      "fraud-prod is idle 69 % of the time: $39.41 of this week's $57.12 paid for waiting.",
    ],
    series: {
      hours_ms: [NOW - 2 * HOUR, NOW - HOUR],
      models: [{ name: "fraud-prod/fraud", values: [0.34, 0.34] }],
      teams: [{ name: "risk", values: [0.34, 0.34] }],
    },
    ...overrides,
  };
}

/** The report before any server has a placement. */
export function emptyCostReport(): CostReport {
  return costReport({ servers: [], revisions: [], models: [], teams: [], comparisons: [], sentences: [], series: { hours_ms: [], models: [], teams: [] } });
}

export function instanceType(overrides: Partial<InstanceType> = {}): InstanceType {
  return {
    provider: "aws",
    region: "us-east-1",
    name: "c5.xlarge",
    vcpu: 4,
    memory_gib: 8,
    gpu_type: null,
    gpu_count: 0,
    on_demand: { hourly: 0.17, date: "2026-12-03", source: "illustrative" },
    spot: null,
    reserved: null,
    ...overrides,
  };
}

export function loadTestProgress(overrides: Partial<LoadTestProgress> = {}): LoadTestProgress {
  return {
    model: "fraud",
    version: "12",
    step: 1,
    steps: 4,
    rate: 5,
    elapsed_s: 2,
    step_seconds: 10,
    fraction: 0.05,
    sent: 10,
    ok: 10,
    errors: 0,
    p50_ms: 4.2,
    p99_ms: 9.8,
    ...overrides,
  };
}

export function loadTestResult(overrides: Partial<LoadTestResult> = {}): LoadTestResult {
  return {
    id: 1,
    server: "fraud-prod",
    model: "fraud",
    version: "12",
    instance: "aws/us-east-1/c5.xlarge",
    replicas: 2,
    started_at: "2026-11-28T11:00:00Z",
    person: "Ana",
    p99_objective_ms: 100,
    max_error_share: 0.01,
    steps: [
      { rate: 5, achieved_rate: 5, sent: 50, ok: 50, errors: 0, p50_ms: 4, p90_ms: 7, p99_ms: 9, max_ms: 12, error_share: 0, within: true, first_error: null },
    ],
    sustainable_rate: 5,
    per_replica_rate: 2.5,
    cancelled: false,
    sentence: "fraud v12 sustains 5 req/s (2.5 a replica) within its p99 objective of 100 ms.",
    ...overrides,
  };
}

export function capacityPlan(): CapacityPlan {
  const option = (instance: string, replicas: number, monthly: number) => ({
    instance,
    gpu: null,
    per_replica_rate: 40,
    replicas,
    monthly_on_demand: monthly,
    monthly_spot: monthly / 3,
    monthly_reserved: null,
    tested_at: "2026-11-28T11:00:00Z",
  });
  const cheapest = option("aws/us-east-1/c5.xlarge", 4, 489.6);
  return {
    needed_rate: 130,
    options: [cheapest, option("aws/us-east-1/g5.xlarge", 1, 724.32)],
    cheapest,
    mixed: null,
    mixed_monthly: null,
    untested: ["gcp/us-central1/n2-standard-4"],
    sentences: ["130 req/s at peak with 30 % headroom needs 4 × c5.xlarge: $489.60 a month on demand."],
  };
}
