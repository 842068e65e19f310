import { describe, expect, it } from "vitest";
import { findAll, finds } from "./find";

describe("finds", () => {
  it("finds by every word of the query, in any case and order, across the texts", () => {
    expect(finds("fraud prod", ["fraud", "fraud-prod"])).toBe(true);
    expect(finds("PROD Fraud", ["fraud", "fraud-prod"])).toBe(true);
    expect(finds("fraud staging", ["fraud", "fraud-prod"])).toBe(false);
    expect(finds("two-tower eu", ["recsys-ranking-two-tower-candidate-generation-eu-west-017", null])).toBe(true);
  });

  it("finds everything for a blank query and takes the query as text, not a pattern", () => {
    expect(finds("  ", [])).toBe(true);
    expect(finds(".*", ["fraud"])).toBe(false);
    expect(finds("v1.2", ["v1.2"])).toBe(true);
    expect(findAll(["a", "b"], "", (x) => [x])).toEqual(["a", "b"]);
    expect(findAll(["churn", "fraud", "churn-eu"], "churn", (x) => [x])).toEqual(["churn", "churn-eu"]);
  });
});
