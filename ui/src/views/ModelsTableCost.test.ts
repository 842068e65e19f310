import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { costReport, emptyCostReport } from "../lib/costFixtures";
import { modelOverview, NOW, server } from "../lib/fixtures";
import { modelRows } from "../lib/models";
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

describe("the models table's cost column", () => {
  it("shows each model's monthly cost and cost per 1,000 from the engine's report, and '—' for a server with no price", () => {
    const { target, view } = open(costReport());
    expect([...target.querySelectorAll("th")].map((th) => th.textContent?.trim())).toContain("Cost");
    const cost = (model: string) => target.querySelector(`[data-testid="model-row"][data-model="${model}"] [data-testid="model-cost"]`)!.textContent!.trim();
    expect(cost("fraud")).toBe("$244.80/month · $0.0952 per 1,000");
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
});
