import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { EngineEvent, RolloutReport } from "./bindings";
import { rolloutView } from "./fixtures";
import { Rollouts } from "./rollouts.svelte";

afterEach(() => clearMocks());

const report: RolloutReport = {
  overall: {
    started: 1,
    ended: 0,
    promoted: 0,
    rolled_back: 0,
    aborted: 0,
    change_failure_rate: null,
    time_to_roll_back_mean_s: null,
    time_to_roll_back_max_s: null,
    time_to_promote_mean_s: null,
  },
  models: {},
};

describe("Rollouts", () => {
  it("reads once, then again each time the engine says a rollout changed, and knows whose sign-off is awaited", async () => {
    let reads = 0;
    let view = rolloutView();
    mockIPC(
      (command) => {
        if (command === "rollouts_list") {
          reads++;
          return [view];
        }
        return command === "rollout_report" ? report : null;
      },
      { shouldMockEvents: true },
    );
    const rollouts = new Rollouts();
    await rollouts.start();
    expect(reads).toBe(1);
    expect(rollouts.active.map((v) => v.rollout.model)).toEqual(["fraud"]);
    expect(rollouts.awaits("fraud", "engineer")).toBe(true);
    expect(rollouts.awaits("fraud", "product_manager")).toBe(false);

    view = rolloutView({ rollout: { ...view.rollout, state: "promoted", ended_at: "2026-11-28T12:01:00Z" }, waiting_for: [] });
    await emit("engine", { kind: "rollout_changed", model: "fraud", rollout: 7 } satisfies EngineEvent);
    await emit("engine", { kind: "polled", at: "2026-11-28T12:01:01Z", servers: ["fraud"] } satisfies EngineEvent);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(reads, "a poll alone reads nothing").toBe(2);
    expect(rollouts.active).toEqual([]);
    expect(rollouts.ended.map((v) => v.rollout.state)).toEqual(["promoted"]);
    rollouts.stop();
  });
});
