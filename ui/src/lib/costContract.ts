// to be replaced by bindings.ts at merge
//
// The cost report (contract A) and the load tests and capacity planner (contract B), written by
// hand from the agreed contracts while the engine's side is built elsewhere. At merge the
// integrator generates these types into bindings.ts (and the command names into
// desktopBindings.ts), deletes this file, and turns api.ts's `callPending` calls into `call`.

/** Commands of contract B the shell does not declare yet. */
export const PENDING_COMMANDS = [
  "load_test_start",
  "load_test_cancel",
  "load_tests",
  "capacity_plan",
  "load_test_hosts",
  "load_test_set_hosts",
] as const;
export type PendingCommand = (typeof PENDING_COMMANDS)[number];

export type ServerCost = {
  server: string;
  placement: string;
  hourly: number;
  daily: number;
  monthly: number;
  window_cost: number;
  team: string | null;
  utilization: number | null;
  idle_cost: number | null;
  idle_share: number | null;
  placed_by: string;
};

export type RevisionCost = {
  server: string;
  model: string;
  version: string;
  requests: number;
  successful: number;
  cost: number;
  per_thousand: number | null;
  split: string;
};

export type ModelCost = {
  server: string;
  model: string;
  team: string | null;
  window_cost: number;
  monthly: number;
  per_thousand: number | null;
  successful: number;
  idle_share: number | null;
};

export type TeamCost = { team: string; window_cost: number; monthly: number };

export type CostComparison = {
  server: string;
  model: string;
  candidate: string;
  stable: string;
  candidate_per_thousand: number | null;
  stable_per_thousand: number | null;
  change: number | null;
  sentence: string;
};

export type NamedSeries = { name: string; values: number[] };
export type CostSeries = { hours_ms: number[]; models: NamedSeries[]; teams: NamedSeries[] };

export type CostReport = {
  window_hours: number;
  servers: ServerCost[];
  revisions: RevisionCost[];
  models: ModelCost[];
  teams: TeamCost[];
  comparisons: CostComparison[];
  sentences: string[];
  series: CostSeries;
};

export type LoadTestRequest = {
  server: string;
  model: string;
  version: string | null;
  rates: number[] | null;
  step_seconds: number | null;
  p99_objective_ms: number | null;
  max_error_share: number | null;
  payload_file: string | null;
};

export type LoadTestProgress = {
  model: string;
  version: string;
  step: number;
  steps: number;
  rate: number;
  elapsed_s: number;
  step_seconds: number;
  fraction: number;
  sent: number;
  ok: number;
  errors: number;
  p50_ms: number;
  p99_ms: number;
};

export type LoadTestStep = {
  rate: number;
  achieved_rate: number;
  sent: number;
  ok: number;
  errors: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  error_share: number;
  within: boolean;
};

export type LoadTestResult = {
  id: number;
  server: string;
  model: string;
  version: string;
  instance: string | null;
  replicas: number;
  started_at: string;
  p99_objective_ms: number;
  max_error_share: number;
  steps: LoadTestStep[];
  sustainable_rate: number | null;
  per_replica_rate: number | null;
  cancelled: boolean;
  sentence: string;
};

export type CapacityRequest = {
  model: string;
  peak_rate: number;
  p99_objective_ms: number | null;
  headroom: number;
  preferred: string | null;
  preferred_cap: number | null;
  growth: number;
  target_utilization: number;
  hours_off_per_day: number;
};

export type CapacityOption = {
  instance: string;
  gpu: string | null;
  per_replica_rate: number;
  replicas: number;
  monthly_on_demand: number;
  monthly_spot: number | null;
  monthly_reserved: number | null;
  tested_at: string;
};

export type MixedPart = { instance: string; replicas: number; monthly: number };

export type CapacityPlan = {
  needed_rate: number;
  options: CapacityOption[];
  cheapest: CapacityOption | null;
  mixed: MixedPart[] | null;
  mixed_monthly: number | null;
  untested: string[];
  sentences: string[];
};
