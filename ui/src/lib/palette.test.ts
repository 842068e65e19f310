import { describe, expect, it } from "vitest";
import { modelOverview, revisionOverview, server } from "./fixtures";
import { paletteEntries, searchPalette } from "./palette";

const LONG = "recsys-ranking-two-tower-candidate-generation-eu-west";
const models = [
  modelOverview(),
  modelOverview({ server: "recsys-eu", model: LONG, revisions: [revisionOverview({ version: "2024-11" })] }),
  modelOverview({ server: "churn-staging", model: "churn", revisions: [revisionOverview({ version: "7" })] }),
];
const servers = [
  server(),
  server({ id: 2, name: "recsys-eu", base_url: "http://127.0.0.1:9001", labels: { team: "ranking" } }),
  server({ id: 3, name: "churn-staging", base_url: "http://127.0.0.1:9002" }),
];
const entries = paletteEntries(models, servers);
const titles = (query: string) => searchPalette(entries, query).map((e) => `${e.group}:${e.title}`);

describe("the command palette", () => {
  it("offers every view, model, server and window action, each once", () => {
    const ids = entries.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(entries.filter((e) => e.group === "Views").map((e) => e.title)).toEqual([
      "Fleet",
      "Alerts",
      "Rollouts",
      "Drift",
      "Cost",
      "Audit",
      "Settings",
    ]);
    expect(entries.filter((e) => e.group === "Models")).toHaveLength(3);
    expect(entries.filter((e) => e.group === "Servers")).toHaveLength(3);
    expect(titles("view as")).toEqual(["Actions:View as engineer", "Actions:View as data scientist", "Actions:View as product manager"]);
  });

  it("finds a model by any part of its name, by its version and by its server", () => {
    expect(titles("two-tower")[0]).toBe(`Models:${LONG}`);
    expect(titles("2024-11")).toEqual([`Models:${LONG}`]);
    // The server's name finds the server first (its title) and then the model it serves (its detail).
    expect(titles("churn-staging")).toEqual(["Servers:churn-staging", "Models:churn"]);
    // Every word must match, in any order and any case.
    expect(titles("EU ranking")).toEqual([`Models:${LONG}`, "Servers:recsys-eu"]);
    expect(titles("team=ranking")).toEqual(["Servers:recsys-eu"]);
    expect(titles("no such thing")).toEqual([]);
  });

  it("ranks a name that starts with the query above one that merely holds it", () => {
    expect(titles("drift").slice(0, 1)).toEqual(["Views:Drift"]);
    const ranked = searchPalette(
      paletteEntries(
        [modelOverview({ model: "xfraud" }), modelOverview({ model: "anti-fraud" }), modelOverview({ model: "fraud-eu" })],
        [],
      ),
      "fraud",
    ).map((e) => e.title);
    expect(ranked).toEqual(["fraud-eu", "anti-fraud", "xfraud"]);
  });

  it("takes what is typed as text, never as a pattern", () => {
    const odd = paletteEntries([modelOverview({ model: "a.b(c" }), modelOverview({ model: "axb(c" })], []);
    expect(searchPalette(odd, "a.b(").map((e) => e.title)).toEqual(["a.b(c"]);
  });

  it("holds a model's name with directional controls inside an isolate", () => {
    const [entry] = paletteEntries([modelOverview({ model: "\u202Eevil" })], []).filter((e) => e.group === "Models");
    expect(entry.title).toBe("\u2068\u202Eevil\u202C\u2069");
  });

  it("stops at the limit, keeping the best", () => {
    const many = paletteEntries(
      Array.from({ length: 300 }, (_, i) => modelOverview({ model: `model-${i}` })),
      [],
    );
    expect(searchPalette(many, "model-", 20)).toHaveLength(20);
    expect(searchPalette(many, "model-299").map((e) => e.title)).toEqual(["model-299"]);
  });
});
