import { describe, expect, it } from "vitest";
import { ago, NOW, revision, server } from "./fixtures";
import { filterModels, labelChoices, modelRows, modelSentence, NO_FILTER, revisionRoles, sortModels } from "./models";

/** fraud: v12 stable at 9 req/s (1 % failing), v13 a canary at 1 req/s (10 % failing, slower). */
const fraud = [
  revision({
    version: "12",
    first_seen_at: ago(86_400),
    latest: { request_rate: 9, error_rate: 0.01, latency_p99_s: 0.02 },
    sparkline: [
      [NOW - 120_000, 8],
      [NOW - 60_000, 9],
    ],
  }),
  revision({
    version: "13",
    first_seen_at: ago(600),
    latest: { request_rate: 1, error_rate: 0.1, latency_p99_s: 0.2 },
    sparkline: [[NOW - 60_000, 1]],
  }),
];
const churn = revision({ server: "churn-prod", model: "churn", version: "3", latest: { request_rate: 5 } });
const servers = [server({ labels: { team: "risk" } }), server({ id: 2, name: "churn-prod", labels: { team: "growth" } })];

describe("modelRows", () => {
  const rows = modelRows([...fraud, churn], servers, NOW, 10);
  const row = rows.find((r) => r.model === "fraud")!;

  it("groups revisions into one row per model with the traffic split, stable and canary", () => {
    expect(rows.map((r) => r.key)).toEqual(["fraud-prod/fraud", "churn-prod/churn"]);
    expect(row.revisions).toEqual([
      { version: "13", share: 0.1, role: "canary", health: "up" },
      { version: "12", share: 0.9, role: "stable", health: "up" },
    ]);
  });

  it("adds up the rate, weights the error rate by traffic, keeps the worst p99 and sums the sparklines", () => {
    expect(row.rate).toBe(10);
    expect(row.errorRate).toBeCloseTo((9 * 0.01 + 1 * 0.1) / 10, 12);
    expect(row.p99).toBe(0.2);
    expect(row.sparkline).toEqual([
      [NOW - 120_000, 8],
      [NOW - 60_000, 10],
    ]);
    expect(row.labels).toEqual({ team: "risk" });
  });

  it("is down when its server is, and stale when its server has not been checked lately", () => {
    const down = modelRows(fraud, [server({ health: "down", health_reason: "connection refused" })], NOW, 10)[0];
    expect(down.status).toMatchObject({ word: "Down", tone: "bad" });
    expect(down.status.why).toContain("connection refused");
    const stale = modelRows(fraud, [server({ checked_at: ago(3600) })], NOW, 10)[0];
    expect(stale.status.word).toBe("Stale");
  });

  it("says every revision taking traffic is ready, or which one is not", () => {
    expect(modelRows(fraud, servers, NOW, 10)[0].status).toEqual({ word: "Up", tone: "ok", why: "v12 and v13 are ready" });
    const sick = [fraud[0], { ...fraud[1], health: "degraded" as const, health_reason: "LOADING" }];
    const status = modelRows(sick, servers, NOW, 10)[0].status;
    expect(status).toMatchObject({ word: "Degraded", tone: "warn" });
    expect(status.why).toBe("fraud v13: LOADING");
  });
});

describe("revisionRoles", () => {
  it("makes the oldest revision with traffic stable, newer ones canaries, the rest idle", () => {
    const retired = revision({ version: "11", first_seen_at: ago(999_999), latest: {} });
    const roles = revisionRoles([...fraud, retired]);
    expect(Object.fromEntries(roles)).toEqual({ "11": "idle", "12": "stable", "13": "canary" });
  });
});

describe("filterModels and sortModels", () => {
  const rows = modelRows([...fraud, churn], servers, NOW, 10);

  it("searches model, server and version, and filters by label and health", () => {
    expect(filterModels(rows, { ...NO_FILTER, query: "13" }).map((r) => r.model)).toEqual(["fraud"]);
    expect(filterModels(rows, { ...NO_FILTER, query: "CHURN-prod" }).map((r) => r.model)).toEqual(["churn"]);
    expect(filterModels(rows, { ...NO_FILTER, labels: { team: "growth" } }).map((r) => r.model)).toEqual(["churn"]);
    expect(filterModels(rows, { ...NO_FILTER, labels: { team: "" } })).toHaveLength(2);
    expect(filterModels(rows, { ...NO_FILTER, health: "attention" })).toHaveLength(0);
  });

  it("offers each label's values", () => {
    expect(Object.fromEntries(labelChoices(servers))).toEqual({ team: ["growth", "risk"] });
  });

  it("sorts numbers largest first with missing ones last, either way round", () => {
    expect(sortModels(rows, "rate").map((r) => r.model)).toEqual(["fraud", "churn"]);
    expect(sortModels(rows, "rate", true).map((r) => r.model)).toEqual(["churn", "fraud"]);
    expect(sortModels(rows, "p99").map((r) => r.model)).toEqual(["fraud", "churn"]);
    expect(sortModels(rows, "model").map((r) => r.model)).toEqual(["churn", "fraud"]);
  });
});

describe("modelSentence", () => {
  it("tells a product manager the state, the traffic and a rollout in progress in plain words", () => {
    const [row] = modelRows(fraud, servers, NOW, 10);
    expect(modelSentence(row)).toBe(
      "fraud on fraud-prod is healthy (10.0 requests a second, 1.9 % failing); v13 is being tried on 10 % of traffic beside v12.",
    );
    const down = modelRows(fraud, [server({ health: "down", health_reason: "connection refused" })], NOW, 10)[0];
    expect(modelSentence(down)).toMatch(/^fraud on fraud-prod is down: .*connection refused\.$/);
  });
});
