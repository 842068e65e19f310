import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { EngineEvent } from "./bindings";
import { fingerprint, parityReport } from "./preflightFixtures";
import { PreflightData } from "./preflightStore.svelte";
import { settle } from "./testDom";

afterEach(() => clearMocks());

const changed = (model: string): EngineEvent => ({ kind: "preflight_changed", model });

describe("PreflightData", () => {
  it("reads the model's fingerprints and checks, and again when the engine says they changed for this model only", async () => {
    const asked: string[] = [];
    mockIPC(
      (command, args) => {
        asked.push(`${command} ${(args as { model: string }).model}`);
        if (command === "environment_fingerprints") return [fingerprint({ summary: `read ${asked.length}` })];
        if (command === "parity_latest") return [parityReport()];
        return null;
      },
      { shouldMockEvents: true },
    );
    const data = new PreflightData("fraud");
    await data.start();
    expect(asked).toEqual(["environment_fingerprints fraud", "parity_latest fraud"]);
    expect(data.fingerprint("fraud-prod", "13")?.summary).toBe("read 1");
    expect(data.fingerprint("fraud-prod", "12"), "a revision not gathered has none").toBeNull();
    expect(data.parity("fraud-prod", "13")?.matched).toBe(148);

    await emit("engine", changed("churn"));
    await settle();
    expect(asked, "another model's change is not read").toHaveLength(2);
    await emit("engine", changed("fraud"));
    await settle();
    expect(asked).toHaveLength(4);
    expect(data.fingerprint("fraud-prod", "13")?.summary).toBe("read 3");
    data.stop();
    await emit("engine", changed("fraud"));
    await settle();
    expect(asked, "nothing after stopping").toHaveLength(4);
  });

  it("gives an approver the revision's newest fingerprint and check on any server", () => {
    const data = new PreflightData("fraud");
    data.fingerprints = [
      fingerprint({ server: "old", gathered_at: "2026-11-20T00:00:00Z", summary: "old" }),
      fingerprint({ server: "new", gathered_at: "2026-11-28T00:00:00Z", summary: "new" }),
    ];
    data.reports = [parityReport({ server: "old", started_at: "2026-11-01T00:00:00Z" }), parityReport({ server: "new", started_at: "2026-11-27T00:00:00Z" })];
    expect(data.fingerprint(null, "13")?.summary).toBe("new");
    expect(data.parity(null, "13")?.server).toBe("new");
    expect(data.fingerprint(null, "12")).toBeNull();
  });

  it("keeps the engine's error to show, and clears it once a read succeeds", async () => {
    let fail = true;
    mockIPC((command) => {
      if (fail) throw { code: "not_found", message: "No model 'fraud' is known to Vigil.", field: "model", detail: null };
      return command === "parity_latest" ? [] : [fingerprint()];
    });
    const data = new PreflightData("fraud");
    await data.load();
    expect(data.error?.message).toBe("No model 'fraud' is known to Vigil.");
    expect(data.loaded).toBe(true);
    fail = false;
    await data.load();
    expect(data.error).toBeNull();
    expect(data.fingerprints).toHaveLength(1);
  });
});
