import { describe, expect, it } from "vitest";
import { modelOverview } from "./fixtures";
import { destination, WAIT_FOR_MODEL_MS } from "./place";

const fleet = [modelOverview({ server: "churn-prod", model: "churn" }), modelOverview({ server: "fraud-prod", model: "fraud" })];

describe("a link's destination", () => {
  it("opens a model on the server that serves it", () => {
    expect(destination({ kind: "model", name: "fraud" }, 0, fleet)).toEqual({ go: "model", key: "fraud-prod/fraud" });
  });

  it("waits for a model the first polls may still bring, then says it is missing", () => {
    const wanted = { kind: "model", name: "price" } as const;
    expect(destination(wanted, 0, fleet)).toEqual({ go: "wait" });
    expect(destination(wanted, WAIT_FOR_MODEL_MS - 1, fleet)).toEqual({ go: "wait" });
    expect(destination(wanted, WAIT_FOR_MODEL_MS, fleet)).toEqual({ go: "missing", model: "price" });
    expect(destination(wanted, WAIT_FOR_MODEL_MS, [...fleet, modelOverview({ server: "p", model: "price" })])).toEqual({
      go: "model",
      key: "p/price",
    });
  });

  it("opens a model's drift without waiting, and a view by its name, the fleet for a name it does not know", () => {
    expect(destination({ kind: "drift", name: "price" }, 0, fleet)).toEqual({ go: "drift", model: "price" });
    expect(destination({ kind: "view", view: "cost" }, 0, fleet)).toEqual({ go: "view", view: "cost" });
    expect(destination({ kind: "view", view: "nowhere" }, 0, fleet)).toEqual({ go: "view", view: "fleet" });
  });
});
