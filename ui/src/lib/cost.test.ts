import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { AuditEntry, EngineEvent } from "./bindings";
import { draftOf, instanceTypeOf } from "./cost";
import { costReport, emptyCostReport, instanceType } from "./costFixtures";
import { CostData } from "./costStore.svelte";
import { settle } from "./testDom";

afterEach(() => clearMocks());

describe("the catalog form's cells", () => {
  it("read back the instance type they were filled from, spot and reserved left out when empty", () => {
    const g5 = instanceType({
      name: "g5.xlarge",
      gpu_type: "NVIDIA A10G",
      gpu_count: 1,
      spot: { hourly: 0.4, date: "2026-12-01", source: "AWS Spot history" },
    });
    expect(instanceTypeOf(draftOf(g5))).toEqual(g5);
  });

  it("name the first cell that is not a number or a date, leaving every other check to the engine", () => {
    const draft = { ...draftOf(instanceType()), memory_gib: "lots" };
    expect(instanceTypeOf(draft)).toEqual({ field: "memory_gib", message: "memory_gib 'lots' is not a number: give one, such as 4." });
    expect(instanceTypeOf({ ...draftOf(instanceType()), spot_source: "AWS" })).toMatchObject({ field: "spot_hourly" });
    expect(instanceTypeOf({ ...draftOf(instanceType()), on_demand_date: "" })).toMatchObject({ field: "on_demand_date" });
    expect(instanceTypeOf({ ...draftOf(instanceType()), provider: "AWS" }), "the engine refuses uppercase, not the form").toMatchObject({ provider: "AWS" });
  });
});

describe("CostData", () => {
  it("reads the report and catalog again when the engine audits a change to prices or placements, and only then", async () => {
    const reads: string[] = [];
    const reports = [emptyCostReport(), costReport()];
    mockIPC(
      (command) => {
        reads.push(command);
        if (command === "cost_report") return reports[Math.min(reads.filter((c) => c === "cost_report").length - 1, 1)];
        if (command === "cost_catalog") return [instanceType()];
        return null;
      },
      { shouldMockEvents: true },
    );
    const cost = new CostData();
    await cost.start();
    expect(cost.placed).toBe(false);
    const audited = (action: string): EngineEvent => ({
      kind: "audited",
      entry: { id: 1, at: "2026-11-28T12:00:00Z", actor: "ana", action, subject: "fraud-prod", detail: "{}" } satisfies AuditEntry,
    });
    await emit("engine", audited("server.add"));
    await settle();
    expect(reads.filter((c) => c === "cost_report")).toHaveLength(1);
    await emit("engine", audited("cost.place"));
    await settle();
    expect(reads.filter((c) => c === "cost_report")).toHaveLength(2);
    expect(cost.placed).toBe(true);
    expect(cost.report?.sentences[0]).toBe("Serving costs $244.80 a month, all of it fraud on fraud-prod.");
    cost.stop();
  });
});
