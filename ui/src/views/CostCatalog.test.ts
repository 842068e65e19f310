import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { Profile } from "../lib/bindings";
import { instanceType } from "../lib/costFixtures";
import { CostData } from "../lib/costStore.svelte";
import { settle, type } from "../lib/testDom";
import CostCatalog from "./CostCatalog.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const ANA: Profile = { name: "ana", role: "engineer" };

function open(answer: (command: string, args: Record<string, unknown>) => unknown) {
  const commands: { command: string; args: Record<string, unknown> }[] = [];
  mockIPC((command, args) => {
    commands.push({ command, args: args as Record<string, unknown> });
    return answer(command, args as Record<string, unknown>);
  });
  const cost = new CostData();
  cost.catalog = [instanceType()];
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(CostCatalog, { target, props: { cost, profile: ANA } });
  flushSync();
  const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
  return { view, find, commands, cost };
}

describe("CostCatalog", () => {
  it("lists each price with its date and marks illustrative ones", () => {
    const { view, find } = open(() => null);
    const row = find('[data-testid="catalog-row"][data-key="aws/us-east-1/c5.xlarge"]')!;
    expect(row.textContent).toMatch(/c5\.xlarge.*4 vCPU · 8 GiB.*\$0\.170\s*2026-12-03 · illustrative/s);
    unmount(view);
  });

  it("shows the engine's objection beside the field it names, and keeps the form as typed", async () => {
    const refusal = { code: "invalid_input", message: "gpu_count is 0 but gpu_type is 'NVIDIA T4': give how many GPUs it has.", field: "gpu_count", detail: null };
    const { view, find, commands } = open((command) => {
      if (command === "cost_catalog_save") throw refusal;
      return null;
    });
    find<HTMLButtonElement>('[data-testid="catalog-add"]')!.click();
    flushSync();
    const cell = (field: string, value: string) => type(find<HTMLInputElement>(`[data-testid="catalog-form-${field}"]`)!, value);
    cell("provider", "aws");
    cell("region", "us-east-1");
    cell("name", "g4dn.xlarge");
    cell("vcpu", "4");
    cell("memory_gib", "16");
    cell("gpu_type", "NVIDIA T4");
    cell("on_demand_hourly", "0.526");
    cell("on_demand_date", "2026-12-03");
    cell("on_demand_source", "illustrative");
    find<HTMLButtonElement>('[data-testid="catalog-form-save"]')!.click();
    await settle();

    const sent = commands.find((c) => c.command === "cost_catalog_save")!.args;
    expect(sent.instanceType).toEqual(
      instanceType({ name: "g4dn.xlarge", memory_gib: 16, gpu_type: "NVIDIA T4", on_demand: { hourly: 0.526, date: "2026-12-03", source: "illustrative" } }),
    );
    expect(find('[data-testid="catalog-form-gpu_count-error"]')!.textContent).toBe(refusal.message);
    expect(find<HTMLInputElement>('[data-testid="catalog-form-name"]')!.value).toBe("g4dn.xlarge");

    cell("vcpu", "four");
    find<HTMLButtonElement>('[data-testid="catalog-form-save"]')!.click();
    await settle();
    expect(find('[data-testid="catalog-form-vcpu-error"]')!.textContent).toContain("'four' is not a number");
    expect(commands.filter((c) => c.command === "cost_catalog_save"), "not sent").toHaveLength(1);
    unmount(view);
  });

  it("refuses an import naming the bad line, and leaves the catalog as it was", async () => {
    const refusal = { code: "invalid_input", message: "line 4: on_demand_hourly 'abc' is not a price in dollars an hour, such as 24.48.", field: "on_demand_hourly", detail: null };
    const { view, find, commands, cost } = open((command) => {
      if (command === "cost_catalog_import") throw refusal;
      return null;
    });
    const input = find<HTMLInputElement>('[data-testid="catalog-import"]')!;
    // jsdom's File cannot be read; the window's can.
    const file = { name: "prices.csv", text: async () => "provider,region\n" };
    Object.defineProperty(input, "files", { value: [file] });
    input.dispatchEvent(new Event("change", { bubbles: true }));
    await settle();
    expect(commands.find((c) => c.command === "cost_catalog_import")!.args).toEqual({ profile: ANA, csv: "provider,region\n" });
    expect(find('[data-testid="catalog-error"]')!.textContent).toBe(refusal.message);
    expect(commands.some((c) => c.command === "cost_catalog"), "nothing to read again").toBe(false);
    expect(cost.catalog).toHaveLength(1);
    unmount(view);
  });
});
