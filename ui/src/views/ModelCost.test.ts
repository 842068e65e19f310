import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { costReport, emptyCostReport } from "../lib/costFixtures";
import { modelOverview, NOW, server } from "../lib/fixtures";
import { modelRows } from "../lib/models";
import { Demo } from "../lib/demo.svelte";
import { Fleet } from "../lib/fleet.svelte";
import { settle } from "../lib/testDom";
import FleetView from "./FleetView.svelte";
import ModelsTable from "./ModelsTable.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

function open(report: ReturnType<typeof costReport> | null) {
  mockIPC(() => null);
  const models = [modelOverview(), modelOverview({ server: "churn-prod", model: "churn" })];
  const servers = [server(), server({ id: 2, name: "churn-prod" })];
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(ModelsTable, { target, props: { rows: modelRows(models, servers, NOW, 10), servers, onopen: () => {}, costReport: report } });
  flushSync();
  return { target, view };
}

describe("a model's cost on the fleet page", () => {
  it("shows each model's monthly cost and cost per 1,000 from the engine's report, and '—' for a server with no price", () => {
    const { target, view } = open(costReport());
    expect([...target.querySelectorAll("th")].map((th) => th.textContent?.trim())).toContain("Cost");
    const cost = (model: string) => target.querySelector(`[data-testid="model-row"][data-model="${model}"] [data-testid="model-cost"]`)!.textContent!.trim();
    expect(cost("fraud")).toBe("$244.80/mo · $0.0952/1k");
    expect(cost("churn")).toBe("—");
    unmount(view);
  });

  it("is not there until a server has a price", () => {
    for (const report of [null, emptyCostReport()]) {
      const { target, view } = open(report);
      expect([...target.querySelectorAll("th")].map((th) => th.textContent?.trim())).not.toContain("Cost");
      expect(target.querySelector('[data-testid="model-cost"]')).toBeNull();
      unmount(view);
      document.body.innerHTML = "";
    }
  });

  it("shows in the model view's plain words once prices are set", async () => {
    mockIPC((command, args) => {
      if (command !== "model_chart") return null;
      const { fromMs, toMs } = args as { fromMs: number; toMs: number };
      return { server: "fraud-prod", model: "fraud", from_ms: fromMs, to_ms: toMs, resolution_secs: 0, revisions: [], events: [], log: [] };
    });
    const fleet = new Fleet();
    fleet.servers = [server()];
    fleet.models = [modelOverview()];
    fleet.loaded = true;
    const target = document.body.appendChild(document.createElement("div"));
    const props = { fleet, demo: new Demo(), role: "product_manager" as const, now: NOW, defaults: { pollIntervalSecs: 10, timeoutSecs: 2 }, costReport: costReport() };
    const view = mount(FleetView, { target, props });
    target.querySelector<HTMLButtonElement>('[data-testid="open-model"]')!.click();
    await settle();
    expect(target.querySelector('[data-testid="model-view-cost"]')!.textContent!.trim()).toBe("$244.80/mo · $0.0952/1k");
    unmount(view);
  });
});
