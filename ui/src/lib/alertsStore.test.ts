import { afterEach, describe, expect, it, vi } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { AuditEntry, EngineEvent } from "./bindings";
import { alertView, alertViews } from "./alertsFixtures";
import { AlertsData, REFRESH_MS } from "./alertsStore.svelte";
import { settle } from "./testDom";

afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
});

/** Answers each read with the engine's state, counting the reads of the alerts. */
function engine() {
  const state = { alerts: alertViews(), reads: 0 };
  mockIPC(
    (command) => {
      if (command === "alerts_list") return (state.reads++, state.alerts);
      return command.startsWith("alert") ? [] : null;
    },
    { shouldMockEvents: true },
  );
  return state;
}

const audited = (action: string): EngineEvent => ({ kind: "audited", entry: { action } as AuditEntry });

describe("AlertsData", () => {
  it("reads everything again when the engine says alerts changed, and lists the firing ones in the engine's order", async () => {
    const state = engine();
    const alerts = new AlertsData();
    await alerts.start();
    expect(state.reads).toBe(1);
    expect(alerts.firing.map((a) => a.rule)).toEqual(["server down", "dataset drift"]);

    state.alerts = [alertView({ state: "resolved" })];
    await emit("engine", { kind: "alerts_changed" });
    await settle();
    expect(state.reads).toBe(2);
    expect(alerts.firing, "the drift resolved").toEqual([]);
    expect(alerts.alerts.map((a) => a.state)).toEqual(["resolved"]);

    await emit("engine", audited("alert.receiver_removed"));
    await settle();
    expect(state.reads, "an alert setting audited (a receiver removed) reads again").toBe(3);
    await emit("engine", audited("server.add"));
    await emit("engine", { kind: "rollout_changed", model: "fraud", rollout: 1 });
    await settle();
    expect(state.reads, "other changes do not").toBe(3);

    alerts.stop();
    await emit("engine", { kind: "alerts_changed" });
    await settle();
    expect(state.reads, "nothing after stopping").toBe(3);
  });

  it("reads again after polls only once what it shows is REFRESH_MS old", async () => {
    const state = engine();
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const alerts = new AlertsData();
    await alerts.load();
    const polled: EngineEvent = { kind: "polled", at: "2026-12-03T10:00:00Z", servers: ["fraud-prod"] };
    alerts.apply(polled);
    await settle();
    expect(state.reads, "a poll right after a read does not read again").toBe(1);
    now += REFRESH_MS;
    alerts.apply(polled);
    await settle();
    expect(state.reads).toBe(2);
  });

  it("keeps what it showed and says what failed when a read fails", async () => {
    mockIPC((command) => {
      if (command === "alert_rules") throw { code: "internal", message: "The database is locked: try again.", field: null, detail: null };
      return command === "alerts_list" ? alertViews() : [];
    });
    const alerts = new AlertsData();
    alerts.alerts = [alertView()];
    await alerts.load();
    expect(alerts.error?.message).toBe("The database is locked: try again.");
    expect(alerts.alerts).toHaveLength(1);
    expect(alerts.loaded).toBe(true);
  });
});
