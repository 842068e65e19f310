import { afterEach, describe, expect, it, vi } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { RolloutView } from "../lib/bindings";
import { Fleet } from "../lib/fleet.svelte";
import { NOW, rolloutView } from "../lib/fixtures";
import { Rollouts } from "../lib/rollouts.svelte";
import { settle, type } from "../lib/testDom";
import RolloutsView from "./RolloutsView.svelte";

afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

/** `count` rollouts of models model-0…, in `state`, numbered from `first`. */
function many(count: number, state: RolloutView["rollout"]["state"], first = 0): RolloutView[] {
  return Array.from({ length: count }, (_, i) => {
    const base = rolloutView();
    const n = first + i;
    return { ...base, rollout: { ...base.rollout, id: n + 1, model: `model-${n}`, state, started_by: n % 2 ? "ada" : "grace" } };
  });
}

describe("RolloutsView at a fleet's scale", () => {
  it("draws rollouts under way and the history a page at a time, and finds past ones by model and person", async () => {
    const views = [...many(25, "running"), ...many(130, "promoted", 100)];
    mockIPC((command) => (command === "rollouts_list" ? views : command === "targets_list" ? [] : null));
    const rollouts = new Rollouts();
    await rollouts.reload();
    const target = document.body.appendChild(document.createElement("div"));
    const props = { rollouts, fleet: new Fleet(), profile: null, now: NOW, onsettings: () => {}, role: "engineer" as const };
    const view = mount(RolloutsView, { target, props });
    await settle();
    const all = (css: string) => [...target.querySelectorAll<HTMLElement>(css)];
    const text = (css: string) => target.querySelector(css)?.textContent?.replace(/\s+/g, " ").trim();

    expect(all('[data-testid="rollout-card"]')).toHaveLength(20);
    expect(text('[data-testid="rollouts-active-more"]')).toBe("Show 5 more of 5 not drawn yet");
    expect(all('[data-testid="rollout-history-row"]')).toHaveLength(100);
    expect(text('[data-testid="rollout-history-more"]')).toBe("Show 30 more of 30 not drawn yet");

    const find = target.querySelector<HTMLInputElement>('[data-testid="rollout-history-find"]')!;
    type(find, "model-11 ada");
    await settle();
    // model-110 … model-119, those started by ada (the odd ones); grace's are left out.
    const found = all('[data-testid="rollout-history-row"]').map((row) => row.textContent!.match(/model-\d+/)![0]);
    expect(found).toEqual([111, 113, 115, 117, 119].map((n) => `model-${n}`));
    expect(target.querySelector('[data-testid="rollout-history-more"]')).toBeNull();
    type(find, "nobody");
    await settle();
    expect(text('[data-testid="rollout-history-none-found"]')).toBe("No rollout in the history holds “nobody”.");
    unmount(view);
  });
});
