import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { ReferenceRequest, ReferenceSummary } from "../lib/bindings";
import { referenceSummary } from "../lib/driftFixtures";
import DriftImport from "./DriftImport.svelte";
import { settle, type } from "../lib/testDom";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});



const choose = (select: HTMLSelectElement, value: string) => {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
};

describe("DriftImport", () => {
  it("lets each column's use be changed after an import, and imports the same file again with only the changed kinds", async () => {
    const imports: { path: string; request: ReferenceRequest }[] = [];
    const answers: ReferenceSummary[] = [
      referenceSummary(),
      referenceSummary({
        columns: [
          { name: "tenure", count: 9_998, missing: 0, use: "skip", reason: "skipped by choice" },
          { name: "plan", count: 9_990, missing: 8, use: "test", kind: "binary" },
          { name: "customer_id", count: 9_998, missing: 0, use: "skip", reason: "an identifier: every value is different" },
        ],
      }),
      referenceSummary(),
    ];
    mockIPC((command, args) => {
      if (command !== "drift_import_reference") return null;
      const given = args as { path: string; request: ReferenceRequest };
      imports.push({ path: given.path, request: given.request });
      return answers[imports.length - 1];
    });
    const imported: ReferenceSummary[] = [];
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(DriftImport, { target, props: { model: "churn", onimported: (s) => imported.push(s), onrun: () => {}, onclose: () => {} } });
    const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
    const use = (column: string) => find<HTMLSelectElement>(`[data-testid="drift-import-use-${column}-select"]`)!;

    type(find<HTMLInputElement>('[data-testid="drift-import-path"]')!, "/data/churn.csv");
    type(find<HTMLInputElement>('[data-testid="drift-import-prediction"]')!, "churned");
    type(find<HTMLInputElement>('[data-testid="drift-import-target"]')!, "was_churned");
    find<HTMLButtonElement>('[data-testid="drift-import-start"]')!.click();
    await settle();

    expect([...use("tenure").options].map((o) => o.value)).toEqual(["numeric", "categorical", "binary", "skip"]);
    expect(["tenure", "plan", "customer_id"].map((c) => use(c).value)).toEqual(["numeric", "categorical", "skip"]);
    expect(find('label:has([data-testid="drift-import-use-plan-select"])')!.textContent).toContain("Use of plan");
    expect(find('[data-testid="drift-import-again"]'), "nothing changed: nothing to import again").toBeNull();
    expect(find('[data-testid="drift-import-run"]')).not.toBeNull();

    choose(use("plan"), "binary");
    choose(use("tenure"), "skip");
    flushSync();
    expect(find('[data-testid="drift-import-changed"]')!.textContent?.trim()).toBe("2 columns changed: import again to profile the file with these kinds.");
    expect(find('[data-testid="drift-import-run"]'), "the report waits for the new import").toBeNull();
    find<HTMLButtonElement>('[data-testid="drift-import-again"]')!.click();
    await settle();

    expect(imports[1].path).toBe("/data/churn.csv");
    expect(imports[1].request).toEqual({
      model: "churn",
      version: null,
      prediction: "churned",
      target: "was_churned",
      columns: { plan: { use: "test", kind: "binary" }, tenure: { use: "skip", reason: "skipped by choice" } },
      bad_rows: "stop",
    });
    expect(imported).toHaveLength(2);
    expect(["tenure", "plan", "customer_id"].map((c) => use(c).value), "the summary of the new import").toEqual(["skip", "binary", "skip"]);
    expect(find('[data-testid="drift-import-column"][data-column="tenure"] .reason')!.textContent).toBe("skipped: skipped by choice");

    // A later change keeps the earlier ones.
    choose(use("customer_id"), "categorical");
    flushSync();
    find<HTMLButtonElement>('[data-testid="drift-import-again"]')!.click();
    await settle();
    expect(imports[2].request.columns).toEqual({
      plan: { use: "test", kind: "binary" },
      tenure: { use: "skip", reason: "skipped by choice" },
      customer_id: { use: "test", kind: "categorical" },
    });
    unmount(view);
  });
});
