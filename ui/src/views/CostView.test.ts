import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { InstanceType, Profile } from "../lib/bindings";
import type { CostReport } from "../lib/bindings";
import { costReport, emptyCostReport, instanceType } from "../lib/costFixtures";
import { CostData } from "../lib/costStore.svelte";
import { Fleet } from "../lib/fleet.svelte";
import { modelOverview, server } from "../lib/fixtures";
import type { Role } from "../lib/preferences.svelte";
import { settle, type } from "../lib/testDom";
import { drawnCharts } from "../testSetup";
import CostView from "./CostView.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
  drawnCharts.length = 0;
});

const ANA: Profile = { name: "ana", role: "engineer" };

const choose = (select: HTMLSelectElement, value: string) => {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
};

async function open(role: Role, reports: CostReport[], more: (command: string, args: Record<string, unknown>) => unknown = () => null) {
  const commands: { command: string; args: Record<string, unknown> }[] = [];
  const catalog: InstanceType[] = [instanceType(), instanceType({ name: "g5.xlarge", gpu_type: "NVIDIA A10G", gpu_count: 1, on_demand: { hourly: 1.006, date: "2026-12-03", source: "https://aws.amazon.com/ec2/pricing/" } })];
  let read = 0;
  mockIPC((command, args) => {
    commands.push({ command, args: args as Record<string, unknown> });
    if (command === "cost_report") return reports[Math.min(read++, reports.length - 1)];
    if (command === "cost_catalog") return catalog;
    if (command === "load_tests") return [];
    return more(command, args as Record<string, unknown>);
  });
  const fleet = new Fleet();
  fleet.servers = [server()];
  fleet.models = [modelOverview()];
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(CostView, { target, props: { cost: new CostData(), fleet, role, profile: ANA } });
  await settle();
  const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
  const all = (css: string) => [...target.querySelectorAll<HTMLElement>(css)];
  return { view, find, all, commands };
}

describe("CostView", () => {
  it("leads with the engine's sentences, then shows each revision's cost per 1,000 beside the other's, 'no predictions' for none", async () => {
    const { view, find, all, commands } = await open("data_scientist", [costReport()]);
    expect(commands.find((c) => c.command === "cost_report")!.args).toEqual({ windowHours: 168 });
    expect(all('[data-testid="cost-sentence"]').map((p) => p.textContent)).toEqual(costReport().sentences);
    const panels = all('[data-testid^="cost-panel-"]').map((p) => p.dataset.testid);
    expect(panels[0], "a data scientist reads the revisions first").toBe("cost-panel-revisions");

    const comparison = find('[data-testid="cost-comparison"][data-model="fraud"]')!;
    expect(comparison.querySelector('[data-testid="cost-comparison-stable"]')!.textContent).toMatch(/stable v12\s*\$0\.0952/);
    expect(comparison.querySelector('[data-testid="cost-comparison-candidate"]')!.textContent).toMatch(/candidate v13\s*no predictions/);
    expect(comparison.querySelector('[data-testid="cost-comparison-sentence"]')!.textContent).toBe(costReport().comparisons[0].sentence);
    expect(all('[data-testid="cost-revision-per-thousand"]').map((td) => td.textContent)).toEqual(["$0.0952", "no predictions"]);
    unmount(view);
  });

  it("orders its panels by role: a product manager sees spend by model and team first, an engineer the servers", async () => {
    const pm = await open("product_manager", [costReport()]);
    expect(pm.all('[data-testid^="cost-panel-"]')[0].dataset.testid).toBe("cost-panel-spend");
    expect(pm.find('[data-testid="cost-model-row"]')!.textContent).toMatch(/fraud.*risk.*\$244\.80.*\$57\.12.*\$0\.0952.*69 %/s);
    unmount(pm.view);
    document.body.innerHTML = "";
    const engineer = await open("engineer", [costReport()]);
    expect(engineer.all('[data-testid^="cost-panel-"]')[0].dataset.testid).toBe("cost-panel-servers");
    expect(engineer.find('[data-testid="cost-server-row"]')!.textContent).toMatch(/aws us-east-1 c5\.xlarge × 2.*set by ana.*31 %.*\$39\.41 \(69 %\)/s);
    unmount(engineer.view);
  });

  it("with no server placed, says what to do and offers the placement form; a placement reads the report again", async () => {
    const { view, find, commands } = await open("engineer", [emptyCostReport(), costReport()], (command) =>
      command === "cost_place" ? { server: "fraud-prod" } : null,
    );
    expect(find('[data-testid="cost-empty"]')!.textContent).toContain("set a server's instance type");
    choose(find<HTMLSelectElement>('[data-testid="cost-place-server"]')!, "fraud-prod");
    type(find<HTMLInputElement>('[data-testid="cost-place-search"]')!, "a10g");
    await settle();
    const options = [...find<HTMLSelectElement>('[data-testid="cost-place-instance"]')!.options].map((o) => o.textContent);
    expect(options).toEqual(["aws us-east-1 g5.xlarge · 4 vCPU · 1× NVIDIA A10G · $1.01/h"]);
    choose(find<HTMLSelectElement>('[data-testid="cost-place-instance"]')!, "aws/us-east-1/g5.xlarge");
    type(find<HTMLInputElement>('[data-testid="cost-place-replicas"]')!, "2");
    await settle();
    find<HTMLButtonElement>('[data-testid="cost-place-save"]')!.click();
    await settle();

    expect(commands.find((c) => c.command === "cost_place")!.args).toEqual({
      profile: ANA,
      server: "fraud-prod",
      provider: "aws",
      region: "us-east-1",
      instanceType: "g5.xlarge",
      replicas: 2,
    });
    expect(find('[data-testid="cost-empty"]')).toBeNull();
    expect(find('[data-testid="cost-sentences"]')!.textContent).toContain("Serving costs $244.80 a month");
    unmount(view);
  });

  it("shows the engine's objection to a placement beside the instance type", async () => {
    const refusal = { code: "invalid_input", message: "The price catalog has no aws us-east-1 c5.xlarge: add it.", field: "instance_type", detail: null };
    const { view, find } = await open("engineer", [emptyCostReport()], (command) => {
      if (command === "cost_place") throw refusal;
      return null;
    });
    choose(find<HTMLSelectElement>('[data-testid="cost-place-server"]')!, "fraud-prod");
    choose(find<HTMLSelectElement>('[data-testid="cost-place-instance"]')!, "aws/us-east-1/c5.xlarge");
    await settle();
    find<HTMLButtonElement>('[data-testid="cost-place-save"]')!.click();
    await settle();
    expect(find('[data-testid="cost-place-instance-error"]')!.textContent).toBe(refusal.message);
    unmount(view);
  });

  it("reads the report again over another window", async () => {
    const { view, find, commands } = await open("product_manager", [costReport()]);
    find<HTMLButtonElement>('[data-testid="cost-window-30d"]')!.click();
    await settle();
    expect(commands.filter((c) => c.command === "cost_report").map((c) => c.args.windowHours)).toEqual([168, 720]);
    unmount(view);
  });

  it("draws cost over time per model, and per team on the toggle, from the engine's hourly series", async () => {
    const { view, find } = await open("product_manager", [costReport()]);
    expect(drawnCharts.at(-1)!.series.slice(1)).toEqual(["fraud-prod/fraud"]);
    expect(drawnCharts.at(-1)!.data[1]).toEqual([0.34, 0.34]);
    find<HTMLButtonElement>('[data-testid="cost-chart-by-teams"]')!.click();
    await settle();
    expect(drawnCharts.at(-1)!.series.slice(1)).toEqual(["risk"]);
    unmount(view);
  });
});
