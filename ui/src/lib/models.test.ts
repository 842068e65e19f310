import { describe, expect, it } from "vitest";
import { ago, modelOverview, NOW, revisionOverview, server } from "./fixtures";
import { breachWords, filterModels, groupModels, labelChoices, modelRows, NO_FILTER, parseBound, sortModels } from "./models";

/** fraud as the engine gives it: v12 stable at 9 req/s (1 % failing), v13 a canary at 1 req/s (10 % failing, slower). */
const fraud = modelOverview({
  status: { state: "up", reason: "v12 and v13 are ready" },
  revisions: [
    revisionOverview({ version: "13", role: "canary", share: 0.1, rate: 1, error_share: 0.1, p99_s: 0.2 }),
    revisionOverview({ version: "12", role: "stable", share: 0.9, rate: 9, error_share: 0.01, p99_s: 0.02 }),
  ],
  rate: 10,
  error_share: 0.019,
  p99_s: 0.2,
  sparkline: [
    [NOW - 120_000, 8],
    [NOW - 60_000, 10],
  ],
  deployed_at: ago(600),
  objectives: { error_share: { max: 0.1, is_default: false }, p99_s: { max: 1, is_default: true } },
  sentence: "fraud on fraud-prod is healthy (10.0 requests a second, 1.9 % failing); v13 is being tried on 10 % of traffic beside v12.",
});
const churn = modelOverview({
  server: "churn-prod",
  model: "churn",
  status: { state: "up", reason: "churn v3 is ready" },
  revisions: [revisionOverview({ version: "3", rate: 5, error_share: null, p99_s: null })],
  rate: 5,
  error_share: null,
  p99_s: null,
  deployed_at: ago(7200),
  sentence: "churn on churn-prod is healthy (5.0 requests a second).",
});
const servers = [server({ labels: { team: "risk" } }), server({ id: 2, name: "churn-prod", labels: { team: "growth" } })];

describe("modelRows", () => {
  const rows = modelRows([fraud, churn], servers, NOW, 10);

  it("keeps the engine's figures, split and sentence, with each model's key and its server's labels", () => {
    expect(rows.map((r) => r.key)).toEqual(["fraud-prod/fraud", "churn-prod/churn"]);
    const [row] = rows;
    expect(row.revisions.map((r) => [r.version, r.role, r.share])).toEqual([
      ["13", "canary", 0.1],
      ["12", "stable", 0.9],
    ]);
    expect([row.rate, row.error_share, row.p99_s]).toEqual([10, 0.019, 0.2]);
    expect(row.labels).toEqual({ team: "risk" });
    expect(row.sentence).toBe(fraud.sentence);
  });

  it("shows the engine's status as a word, a tone and why", () => {
    expect(rows[0].status).toEqual({ word: "Up", tone: "ok", why: "v12 and v13 are ready" });
    const breaching = modelOverview({ status: { state: "breaching", reason: "fraud v13 fails 40.0 % of its requests" } });
    expect(modelRows([breaching], servers, NOW, 10)[0].status).toEqual({
      word: "Breaching",
      tone: "warn",
      why: "fraud v13 fails 40.0 % of its requests",
    });
  });

  it("is stale when its server has not been checked lately, whatever the engine last worked out", () => {
    const [stale] = modelRows([fraud], [server({ checked_at: ago(3600) })], NOW, 10);
    expect(stale.status.word).toBe("Stale");
    expect(stale.sentence).toBe("fraud on fraud-prod: Vigil has not heard from its server lately.");
  });
});

describe("filterModels and sortModels", () => {
  const rows = modelRows([fraud, churn], servers, NOW, 10);

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
    expect(sortModels(rows, "deployed").map((r) => r.model), "newest deployment first").toEqual(["fraud", "churn"]);
  });
});

describe("objectives", () => {
  it("names the objectives a revision breaks with their bounds", () => {
    expect(breachWords(["error_share", "p99"], fraud.objectives)).toBe("errors above 10.0 %, p99 above 1000 ms");
    expect(breachWords([], fraud.objectives)).toBe("");
  });

  it("reads a typed bound in the field's unit: empty for the fleet default, a number, or what is wrong", () => {
    expect(parseBound(" ", 100)).toEqual({ value: null });
    expect(parseBound("2,5 %", 100)).toEqual({ value: 0.025 });
    expect(parseBound("500", 1000)).toEqual({ value: 0.5 });
    expect(parseBound("fast", 1000)).toEqual({ problem: "Write a number, such as 1, or leave it empty for the fleet default." });
  });
});

describe("groupModels", () => {
  const servers = [
    server({ name: "eu", labels: { team: "ranking" } }),
    server({ id: 2, name: "us", labels: { team: "fraud" } }),
    server({ id: 3, name: "lab", labels: {} }),
  ];
  const models = [
    modelOverview({ server: "eu", model: "two-tower" }),
    modelOverview({ server: "us", model: "fraud", status: { state: "down", reason: "no answer" } }),
    modelOverview({ server: "lab", model: "toy" }),
    modelOverview({ server: "eu", model: "reranker", status: { state: "breaching", reason: "p99 above 1000 ms" } }),
  ];
  const rows = modelRows(models, servers, NOW, 10);

  it("groups by a label's value, in order, the servers without it last, each with how many need attention", () => {
    const groups = groupModels(rows, "team");
    expect(groups.map((g) => [g.value, g.rows.map((r) => r.model), g.attention])).toEqual([
      ["fraud", ["fraud"], 1],
      ["ranking", ["two-tower", "reranker"], 1],
      [null, ["toy"], 0],
    ]);
  });

  it("is one group of every row, in their order, when no label is chosen", () => {
    expect(groupModels(rows, "").map((g) => [g.value, g.rows.length])).toEqual([[null, 4]]);
  });
});
