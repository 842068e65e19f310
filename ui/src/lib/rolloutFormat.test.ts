import { describe, expect, it } from "vitest";
import { gateRow } from "./rolloutFormat";

describe("gateRow", () => {
  it("words a cost gate in dollars per 1,000 predictions; one with no price shows the engine's reason", () => {
    const gate = { metric: "cost_per_thousand" as const, max_vs_stable: 1.1 };
    const failed = gateRow({ gate, measured: 0.0118, stable: 0.01, threshold: 0.011, verdict: "fail" });
    expect(failed).toMatchObject({
      metric: "Cost per 1,000 predictions",
      measured: "$0.0118",
      stable: "$0.0100",
      threshold: "$0.0110",
      bound: "≤ 1.1× stable",
    });
    expect(failed.words).toBe("Fail");
    const reason = "no price is set for fraud: set an instance type (vigil cost place)";
    const unpriced = gateRow({ gate, measured: null, stable: null, threshold: null, verdict: "inconclusive", reason });
    expect([unpriced.measured, unpriced.threshold, unpriced.words]).toEqual(["—", "—", reason]);
  });
});
