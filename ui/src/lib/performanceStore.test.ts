import { afterEach, describe, expect, it, vi } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { EngineEvent } from "./bindings";
import { performanceReport } from "./performanceFixtures";
import { PerformanceData, REFRESH_MS } from "./performanceStore.svelte";
import { settle } from "./testDom";

afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
});

const drift = (model: string): EngineEvent => ({ kind: "drift_reported", model, version: null, dataset_drift: true, drifted_features: 2, features: 3 });
const polled: EngineEvent = { kind: "polled", at: "2026-12-03T10:00:00Z", servers: ["fraud-prod"] };

describe("PerformanceData", () => {
  it("reads the model's report again at once on its drift report, and after polls only once REFRESH_MS old", async () => {
    const asked: { model: string; window: string }[] = [];
    mockIPC(
      (command, args) => {
        if (command !== "performance_report") return null;
        asked.push(args as { model: string; window: string });
        return performanceReport({ labels_waiting: asked.length });
      },
      { shouldMockEvents: true },
    );
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const data = new PerformanceData("fraud");
    await data.start();
    expect(asked).toEqual([{ model: "fraud", window: "hour" }]);
    expect(data.report?.labels_waiting).toBe(1);

    await emit("engine", polled);
    await settle();
    expect(asked, "a poll right after a read does not read again").toHaveLength(1);
    now += REFRESH_MS;
    await emit("engine", polled);
    await settle();
    expect(asked, "a poll once the report is old reads it again").toHaveLength(2);
    expect(data.report?.labels_waiting).toBe(2);

    await emit("engine", drift("churn"));
    await settle();
    expect(asked, "another model's drift report does not").toHaveLength(2);
    await emit("engine", drift("fraud"));
    await settle();
    expect(asked, "the model's own drift report does, however fresh the report").toHaveLength(3);

    await data.setWindow("day");
    expect(asked.at(-1)).toEqual({ model: "fraud", window: "day" });
    data.stop();
    await emit("engine", drift("fraud"));
    await settle();
    expect(asked, "nothing after stopping").toHaveLength(4);
  });

  it("keeps the engine's error to show, and clears it once a read succeeds", async () => {
    let fail = true;
    mockIPC((command) => {
      if (command !== "performance_report") return null;
      if (fail) throw { code: "not_found", message: "No model 'fraud' is known to Vigil.", field: "model", detail: null };
      return performanceReport();
    });
    const data = new PerformanceData("fraud");
    await data.load();
    expect(data.error?.message).toBe("No model 'fraud' is known to Vigil.");
    expect(data.loaded).toBe(true);
    fail = false;
    await data.load();
    expect(data.error).toBeNull();
    expect(data.report?.model).toBe("fraud");
  });
});
