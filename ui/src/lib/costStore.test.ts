import { afterEach, describe, expect, it, vi } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { EngineEvent } from "./bindings";
import { costReport } from "./costFixtures";
import { CostData, REFRESH_MS } from "./costStore.svelte";
import { settle } from "./testDom";

afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
});

describe("CostData", () => {
  it("reads the report again after polls once it is REFRESH_MS old, and at once when a server changes", async () => {
    let reads = 0;
    mockIPC((command) => {
      if (command === "cost_report") return (reads++, costReport());
      if (command === "cost_catalog") return [];
      return null;
    });
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const cost = new CostData();
    await cost.load();
    const polled: EngineEvent = { kind: "polled", at: "2026-12-03T10:00:00Z", servers: ["fraud"] };
    cost.apply(polled);
    await settle();
    expect(reads, "a poll right after a read does not read again").toBe(1);
    now += REFRESH_MS;
    cost.apply(polled);
    await settle();
    expect(reads, "a poll once the report is old reads it again").toBe(2);
    cost.apply({ kind: "server_removed", name: "churn" });
    await settle();
    expect(reads).toBe(2);
  });
});
