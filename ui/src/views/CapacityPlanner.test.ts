import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { capacityPlan, instanceType } from "../lib/costFixtures";
import { settle, type } from "../lib/testDom";
import CapacityPlanner from "./CapacityPlanner.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("CapacityPlanner", () => {
  it("asks for a plan with the what-ifs and highlights the cheapest, naming types with no load test", async () => {
    const asked: unknown[] = [];
    mockIPC((command, args) => {
      if (command !== "capacity_plan") return null;
      asked.push((args as { request: unknown }).request);
      return capacityPlan();
    });
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(CapacityPlanner, { target, props: { models: ["fraud"], catalog: [instanceType()] } });
    const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
    const model = find<HTMLSelectElement>('[data-testid="planner-model"]')!;
    model.value = "fraud";
    model.dispatchEvent(new Event("change", { bubbles: true }));
    type(find<HTMLInputElement>('[data-testid="planner-peak_rate"]')!, "100");
    type(find<HTMLInputElement>('[data-testid="planner-growth"]')!, "50");
    type(find<HTMLInputElement>('[data-testid="planner-hours_off_per_day"]')!, "8");
    flushSync();
    find<HTMLButtonElement>('[data-testid="planner-ask"]')!.click();
    await settle();

    expect(asked).toEqual([
      { model: "fraud", peak_rate: 100, p99_objective_ms: null, headroom: 1.3, preferred: null, preferred_cap: null, growth: 0.5, target_utilization: 1, hours_off_per_day: 8 },
    ]);
    const rows = [...target.querySelectorAll<HTMLElement>('[data-testid="planner-option"]')];
    expect(rows.map((r) => r.dataset.cheapest)).toEqual(["true", "false"]);
    expect(rows[0].classList.contains("best")).toBe(true);
    expect(rows[0].textContent).toMatch(/aws\/us-east-1\/c5\.xlarge.*4.*\$489\.60/s);
    expect(find('[data-testid="planner-sentence"]')!.textContent).toBe(capacityPlan().sentences[0]);
    expect(find('[data-testid="planner-untested"]')!.textContent).toBe("No load test yet: gcp/us-central1/n2-standard-4.");
    unmount(view);
  });
});
