import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import type { Channel } from "@tauri-apps/api/core";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { DriftReport, EngineEvent, ImportProgress, ReferenceRequest, ReferenceSummary } from "../lib/bindings";
import { Demo } from "../lib/demo.svelte";
import { DriftLatest } from "../lib/driftStore.svelte";
import { column, referenceSummary, report, timeline } from "../lib/driftFixtures";
import { Fleet } from "../lib/fleet.svelte";
import { modelOverview, NOW, server } from "../lib/fixtures";
import type { Role } from "../lib/preferences.svelte";
import DriftView from "./DriftView.svelte";
import FleetView from "./FleetView.svelte";
import { settle, type } from "../lib/testDom";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});


type Handler = (command: string, args: Record<string, unknown>) => unknown;

/** The drift view over an engine that answers `reports` to drift_latest, and `more` for the rest. */
async function open(reports: DriftReport[], { role = "data_scientist" as Role, more = (() => undefined) as Handler } = {}) {
  const commands: { command: string; args: Record<string, unknown> }[] = [];
  mockIPC(
    (command, args) => {
      const given = (args ?? {}) as Record<string, unknown>;
      commands.push({ command, args: given });
      const answer = more(command, given);
      if (answer !== undefined) return answer;
      if (command === "drift_latest") return reports;
      if (command === "drift_timeline") return timeline();
      if (command === "drift_reference") return null;
      if (command === "drift_versions") return [];
      return null;
    },
    { shouldMockEvents: true },
  );
  const drift = new DriftLatest();
  await drift.start();
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(DriftView, { target, props: { drift, role, now: NOW, models: [] } });
  await settle();
  const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
  const text = (css: string) => find(css)?.textContent?.replace(/\s+/g, " ").trim();
  return { target, view, drift, commands, find, text };
}


const choose = (select: HTMLSelectElement, value: string) => {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
};

const engineError = (message: string, field: string | null = null) => ({ code: "invalid_input", message, field, detail: null });

describe("DriftView", () => {
  it("holds a column's name with a right-to-left override inside an isolate in the engine's sentence", async () => {
    const evil = "\u202Eexe.txt";
    const sentence = `No input has shifted over the last 24 hours. In the newest hour (from 11:00 UTC), though, ${evil} shifted.`;
    const { text } = await open([report({ columns: [column({ column: evil })], summary: sentence })]);
    expect(text('[data-testid="drift-summary"]')).toContain(`though, \u2068${evil}\u202C\u2069 shifted.`);
  });

  it("offers to find a model in a long list, by any part of its name, and says when none holds it", async () => {
    const reports = Array.from({ length: 12 }, (_, i) => report({ model: `recsys-two-tower-${i}-eu-west` }));
    const { find, target } = await open(reports);
    const names = () => [...target.querySelectorAll('nav.models [data-testid^="drift-model-"] .model-name')].map((e) => e.textContent);
    expect(names()).toHaveLength(12);
    type(find<HTMLInputElement>('[data-testid="drift-model-find"]')!, "-1");
    await settle();
    expect(names()).toEqual(["recsys-two-tower-1-eu-west", "recsys-two-tower-10-eu-west", "recsys-two-tower-11-eu-west"]);
    type(find<HTMLInputElement>('[data-testid="drift-model-find"]')!, "churn");
    await settle();
    expect(names()).toEqual([]);
    expect(find('[data-testid="drift-model-none"]')?.textContent).toContain("No model’s name holds “churn”");
  });

  it("draws a long model list a page at a time, and the keys reach a model not drawn yet", async () => {
    const reports = Array.from({ length: 120 }, (_, i) => report({ model: `model-${String(i).padStart(3, "0")}` }));
    const { find, target } = await open(reports);
    const buttons = () => [...target.querySelectorAll<HTMLButtonElement>("nav.models button.model")];
    expect(buttons()).toHaveLength(50);
    expect(find('[data-testid="drift-models-more"]')?.textContent?.trim()).toBe("Show 50 more of 70 not drawn yet");
    buttons()[0].focus();
    buttons()[0].dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    await settle();
    expect(buttons(), "drawn up to the last").toHaveLength(120);
    expect(document.activeElement?.getAttribute("data-testid")).toBe("drift-model-model-119");
    expect(document.activeElement?.getAttribute("aria-current")).toBe("true");
    expect(find('[data-testid="drift-models-more"]')).toBeNull();
  });

  it("lists each model with its verdict and the chosen model's columns, drifted and most severe first", async () => {
    const { view, find, text, target, commands } = await open([
      report(),
      report({
        model: "churn",
        features: 0,
        drifted_features: 0,
        dataset_drift: false,
        current_rows: 0,
        columns: [],
        summary: "No live data over the last 24 hours: there is nothing to compare with the reference yet.",
      }),
    ]);
    expect(text('[data-testid="drift-model-fraud"]')).toBe("fraud Drift");
    expect(text('[data-testid="drift-model-churn"]')).toBe("churn No live data");
    expect(find('[data-testid="drift-model-fraud"]')!.getAttribute("aria-current")).toBe("true");

    const rows = [...target.querySelectorAll<HTMLElement>('[data-testid^="drift-column-"]')];
    expect(rows.map((r) => r.dataset.testid)).toEqual([
      "drift-column-country",
      "drift-column-amount",
      "drift-column-age",
      "drift-column-is_fraud",
    ]);
    const cells = (name: string) => [...find(`[data-testid="drift-column-${name}"]`)!.querySelectorAll("td")].map((td) => td.textContent?.trim());
    expect(cells("amount")).toEqual(["amount", "feature", "numeric", "Kolmogorov–Smirnov", "p = 0.0012", "p < 0.05", "Yes", "1.6×"]);
    expect(cells("country").slice(3, 7)).toEqual(["Jensen–Shannon", "0.31", "≥ 0.1", "Yes"]);
    expect(cells("age")[6]).toBe("No");
    expect(text('[data-testid="drift-skipped"]')).toContain("customer_id — an identifier");

    // The heatmap: three columns by three windows, the drifted ones marked.
    const heat = find('[data-testid="drift-heatmap"]')!;
    expect(heat.querySelectorAll('[data-testid="drift-cell"]')).toHaveLength(9);
    expect(heat.querySelectorAll('[data-drifted="true"] circle')).toHaveLength(4);
    expect(heat.querySelector('[data-column="country"][data-window="2"] title')?.textContent).toContain("drifted, severity 3.10×");
    expect(heat.querySelector('[role="img"]')!.getAttribute("aria-label")).toContain("Drifted windows: amount in 2, country in 2.");
    const asked = commands.find((c) => c.command === "drift_timeline")!.args;
    expect(asked).toMatchObject({ model: "fraud", version: null });
    expect(typeof asked.fromMs).toBe("number");

    // Sorting by a header, and back.
    find<HTMLButtonElement>('[data-testid="drift-sort-column"]')!.click();
    flushSync();
    expect([...target.querySelectorAll<HTMLElement>('[data-testid^="drift-column-"]')][0].dataset.testid).toBe("drift-column-age");
    expect(find('[data-testid="drift-sort-column"]')!.closest("th")!.getAttribute("aria-sort")).toBe("ascending");

    // Another model.
    find<HTMLButtonElement>('[data-testid="drift-model-churn"]')!.click();
    await settle();
    expect(text('[data-testid="drift-summary"]')).toBe("No live data over the last 24 hours: there is nothing to compare with the reference yet.");
    unmount(view);
  });

  it("keeps the heatmap when the model on show is chosen again", async () => {
    const { view, find } = await open([report()]);
    expect(find('[data-testid="drift-heatmap"]')).not.toBeNull();
    find<HTMLButtonElement>('[data-testid="drift-model-fraud"]')!.click();
    await settle();
    expect(find('[data-testid="drift-heatmap"]'), "not left reading forever").not.toBeNull();
    unmount(view);
  });

  it("shows the chosen column's distributions, by click or by the arrow keys", async () => {
    const { view, find, text } = await open([report()]);
    const distributions = () => find('[data-testid="drift-distributions"]')!;
    expect(distributions().dataset.column).toBe("country");
    expect(text('[data-testid="drift-distributions"] h3')).toBe("country — Jensen–Shannon: 0.31, threshold ≥ 0.1");
    expect([...distributions().querySelectorAll("tbody tr")].map((tr) => tr.textContent)).toEqual([
      "FR60.0 %20.0 %",
      "DE30.0 %30.0 %",
      "US10.0 %50.0 %",
    ]);
    expect(distributions().querySelectorAll("rect.reference")).toHaveLength(3);
    expect(distributions().querySelector("svg")!.getAttribute("aria-label")).toContain("The largest change is US: 10.0 % of the reference, 50.0 % now.");

    find('[data-testid="drift-column-amount"]')!.click();
    flushSync();
    expect(distributions().dataset.column).toBe("amount");
    expect(text('[data-testid="drift-distributions"] h3')).toBe("amount — Kolmogorov–Smirnov: p = 0.0012, threshold p < 0.05");
    expect([...distributions().querySelectorAll("tbody td:first-child")].map((td) => td.textContent)).toEqual([
      "[0, 50)",
      "[50, 100)",
      "[100, 150]",
    ]);
    expect(find('[data-testid="drift-column-amount"]')!.getAttribute("aria-selected")).toBe("true");

    const row = find('[data-testid="drift-column-amount"]')!;
    row.focus();
    row.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    flushSync();
    expect(distributions().dataset.column).toBe("age");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("drift-column-age");
    unmount(view);
  });

  it("lets a person change the share of drifted inputs at which the data set drifts, then runs the report", async () => {
    let fresh = report();
    const { find, text, commands } = await open([report()], {
      role: "product_manager",
      more: (command) => (command === "drift_report" ? fresh : undefined),
    });
    find<HTMLButtonElement>('[data-testid="drift-share-change"]')!.click();
    flushSync();
    const percent = find<HTMLInputElement>('[data-testid="drift-share-percent-input"]')!;
    expect(percent.value, "starts from the share the report used").toBe("50");
    type(percent, "0");
    flushSync();
    find<HTMLButtonElement>('[data-testid="drift-share-apply"]')!.click();
    await settle();
    expect(text('[data-testid="drift-share-percent-error"]')).toBe("Write a percentage above 0 and at most 100, such as 30.");
    expect(commands.map((c) => c.command)).not.toContain("drift_set_share");

    fresh = { ...report(), share_threshold: 0.8, dataset_drift: false };
    type(find<HTMLInputElement>('[data-testid="drift-share-percent-input"]')!, "80 %");
    flushSync();
    find<HTMLButtonElement>('[data-testid="drift-share-apply"]')!.click();
    await settle();
    expect(commands.find((c) => c.command === "drift_set_share")!.args).toEqual({ model: "fraud", share: 0.8 });
    const order = commands.map((c) => c.command);
    expect(order.lastIndexOf("drift_report"), "the report runs after the share is stored").toBeGreaterThan(order.indexOf("drift_set_share"));
    expect(text(".plain")).toContain("The data set as a whole counts as drifted when 80 % of the inputs have; now 67 %.");
    expect(find('[data-testid="drift-share"]'), "the form closes once applied").toBeNull();
  });

  it("lets a person learn a distance's threshold from the reference instead of typing one", async () => {
    const { find, commands } = await open([report()], { more: (command) => (command === "drift_report" ? report() : undefined) });
    find('[data-testid="drift-column-amount"]')!.click();
    flushSync();
    expect(find('[data-testid="drift-choice-learned"]'), "the default test may be a p-value: nothing to learn yet").toBeNull();
    choose(find<HTMLSelectElement>('[data-testid="drift-choice-method-select"]')!, "ks");
    flushSync();
    expect(find('[data-testid="drift-choice-learned"]'), "KS gives a p-value").toBeNull();
    choose(find<HTMLSelectElement>('[data-testid="drift-choice-method-select"]')!, "wasserstein");
    flushSync();
    const learn = find<HTMLInputElement>('[data-testid="drift-choice-learned"]')!;
    learn.click();
    flushSync();
    expect(find('[data-testid="drift-choice-threshold-input"]'), "a learned threshold is not typed").toBeNull();
    find<HTMLButtonElement>('[data-testid="drift-choice-apply"]')!.click();
    await settle();
    const set = commands.find((c) => c.command === "drift_set_choice")!;
    expect(set.args.choice).toEqual({ method: "wasserstein", threshold: null, learned: true });
  });

  it("lets a person choose a column's test: applied, the report runs again and the method cell says chosen", async () => {
    let failWith: unknown = null;
    let fresh = report();
    const { view, find, text, commands, target } = await open([report()], {
      more: (command) => {
        if (command === "drift_set_choice") {
          if (failWith) throw failWith;
          return null;
        }
        if (command === "drift_report") return fresh;
        return undefined;
      },
    });
    const methodCell = (name: string) => find(`[data-testid="drift-column-${name}"] td.test`)!;
    expect(methodCell("amount").textContent?.trim(), "a default test goes untagged").toBe("Kolmogorov–Smirnov");
    expect(text('[data-testid="drift-choice"] h3'), "the first column's test beside its distributions").toBe("Test for country");
    const options = () => [...find<HTMLSelectElement>('[data-testid="drift-choice-method-select"]')!.options].map((o) => o.value);
    expect(options()).toEqual(["default", "chi_square", "z_test", "psi", "jensen_shannon", "hellinger"]);

    find('[data-testid="drift-column-amount"]')!.click();
    flushSync();
    expect(text('[data-testid="drift-choice"] h3')).toBe("Test for amount");
    expect(text('[data-testid="drift-choice-now"]')).toBe("default Evidently's default test and threshold for this column");
    expect(options()).toEqual(["default", "ks", "chi_square", "z_test", "psi", "jensen_shannon", "wasserstein", "hellinger"]);
    expect(find<HTMLSelectElement>('[data-testid="drift-choice-method-select"]')!.selectedOptions[0].textContent).toBe("Default (Kolmogorov–Smirnov)");
    const apply = () => find<HTMLButtonElement>('[data-testid="drift-choice-apply"]')!;
    expect(apply().disabled, "nothing changed yet").toBe(true);
    expect(find<HTMLButtonElement>('[data-testid="drift-choice-reset"]')!.disabled, "already the default").toBe(true);

    // A threshold that is not a number is named before the engine is asked.
    type(find<HTMLInputElement>('[data-testid="drift-choice-threshold-input"]')!, "abc");
    flushSync();
    apply().click();
    await settle();
    expect(text('[data-testid="drift-choice-threshold-error"]')).toBe("Write a number, such as 0.05, or leave it empty for the default.");
    expect(commands.map((c) => c.command)).not.toContain("drift_set_choice");

    // The engine's objection shows beside the field it names.
    failWith = engineError("The threshold must be a positive number (below 1 for a p-value test).", "threshold");
    type(find<HTMLInputElement>('[data-testid="drift-choice-threshold-input"]')!, "2");
    flushSync();
    apply().click();
    await settle();
    expect(text('[data-testid="drift-choice-threshold-error"]')).toBe("The threshold must be a positive number (below 1 for a p-value test).");
    failWith = engineError("fraud has no reference data; import some before choosing its tests.");
    apply().click();
    await settle();
    expect(text('[data-testid="drift-choice-error"]')).toBe("fraud has no reference data; import some before choosing its tests.");
    expect(commands.map((c) => c.command)).not.toContain("drift_report");

    // Applied: the choice goes to the engine, then the report runs again and shows it.
    failWith = null;
    const chosen = report();
    chosen.columns[1] = { ...chosen.columns[1], chosen: { method: "psi", threshold: 0.2, learned: false }, test: { method: "psi", statistic: 0.35, p_value: null, threshold: 0.2, drifted: true } };
    fresh = chosen;
    choose(find<HTMLSelectElement>('[data-testid="drift-choice-method-select"]')!, "psi");
    type(find<HTMLInputElement>('[data-testid="drift-choice-threshold-input"]')!, "0.2");
    flushSync();
    expect(text("#drift-choice-threshold-help")).toBe("Drifts at or above it; empty: the default, 0.1.");
    apply().click();
    await settle();
    const sets = commands.filter((c) => c.command === "drift_set_choice");
    expect(sets.at(-1)!.args).toEqual({ model: "fraud", version: null, column: "amount", choice: { method: "psi", threshold: 0.2, learned: false } });
    const order = commands.map((c) => c.command);
    expect(order.lastIndexOf("drift_report"), "the report runs after the choice is stored").toBeGreaterThan(order.lastIndexOf("drift_set_choice"));
    expect(methodCell("amount").textContent?.trim()).toBe("PSI chosen");
    expect(methodCell("amount").querySelector('[data-testid="drift-choice-tag"]')!.getAttribute("title")).toBe("Chosen: PSI, threshold 0.2");
    expect(text('[data-testid="drift-choice-now"]')).toBe("chosen Chosen: PSI, threshold 0.2");
    expect(find<HTMLSelectElement>('[data-testid="drift-choice-method-select"]')!.value).toBe("psi");
    expect(target.querySelector('[data-testid="drift-choice-error"]')).toBeNull();

    // Reset: both back to the default, and the report again.
    fresh = report();
    const reports = commands.filter((c) => c.command === "drift_report").length;
    find<HTMLButtonElement>('[data-testid="drift-choice-reset"]')!.click();
    await settle();
    expect(commands.filter((c) => c.command === "drift_set_choice").at(-1)!.args).toEqual({
      model: "fraud",
      version: null,
      column: "amount",
      choice: { method: null, threshold: null, learned: false },
    });
    expect(commands.filter((c) => c.command === "drift_report")).toHaveLength(reports + 1);
    expect(methodCell("amount").textContent?.trim(), "a default test goes untagged").toBe("Kolmogorov–Smirnov");
    unmount(view);
  });

  it("keeps the column whose test was chosen on show when the report runs again and the order changes", async () => {
    const calmer = report();
    calmer.columns[2] = {
      ...calmer.columns[2],
      severity: 0.1,
      chosen: { method: "hellinger", threshold: null, learned: false },
      test: { method: "hellinger", statistic: 0.02, p_value: null, threshold: 0.1, drifted: false },
    };
    const { view, find, text, commands } = await open([report()], { more: (command) => (command === "drift_report" ? calmer : undefined) });
    expect(text('[data-testid="drift-choice"] h3'), "the worst column, chosen by no one").toBe("Test for country");
    choose(find<HTMLSelectElement>('[data-testid="drift-choice-method-select"]')!, "hellinger");
    flushSync();
    find<HTMLButtonElement>('[data-testid="drift-choice-apply"]')!.click();
    await settle();
    expect(commands.find((c) => c.command === "drift_set_choice")!.args).toEqual({
      model: "fraud",
      version: null,
      column: "country",
      choice: { method: "hellinger", threshold: null, learned: false },
    });
    expect(find('[data-testid="drift-columns"] tbody tr')!.dataset.testid, "amount is the worst now").toBe("drift-column-amount");
    expect(text('[data-testid="drift-choice"] h3')).toBe("Test for country");
    expect(find('[data-testid="drift-distributions"]')!.dataset.column).toBe("country");
    expect(find('[data-testid="drift-column-country"] td.test')!.textContent?.trim()).toBe("Hellinger chosen");
    unmount(view);
  });

  it("offers a version picker when a model has more than one version, and reports the one picked", async () => {
    const { view, find, text, commands, target } = await open(
      [report({ version: "v2" }), report({ model: "churn", version: "v1", dataset_drift: false, drifted_features: 0 })],
      {
        more: (command, args) => {
          if (command === "drift_versions") return args.model === "fraud" ? ["v2", "v1"] : ["v1"];
          if (command === "drift_report")
            return report({
              version: args.version as string | null,
              drifted_features: 0,
              dataset_drift: false,
              summary: "None of the 3 inputs have shifted over the last 24 hours; nor have predictions.",
            });
          return undefined;
        },
      },
    );
    const picker = () => find<HTMLSelectElement>('[data-testid="drift-version-select"]');
    expect(commands.find((c) => c.command === "drift_versions")!.args).toEqual({ model: "fraud" });
    expect([...picker()!.options].map((o) => [o.value, o.textContent])).toEqual([
      ["all", "All versions"],
      ["v:v2", "Version v2"],
      ["v:v1", "Version v1"],
    ]);
    expect(picker()!.value, "the newest report's version").toBe("v:v2");
    expect(target.querySelector('label:has([data-testid="drift-version-select"])')!.textContent).toContain("Version");

    choose(picker()!, "v:v1");
    await settle();
    expect(commands.filter((c) => c.command === "drift_report").at(-1)!.args).toMatchObject({ model: "fraud", version: "v1" });
    expect(commands.filter((c) => c.command === "drift_timeline").at(-1)!.args).toMatchObject({ model: "fraud", version: "v1" });
    expect(text(".detail-head h2")).toBe("fraud v1");
    expect(picker()!.value).toBe("v:v1");
    expect(text('[data-testid="drift-summary"]')).toMatch(/^None of the 3 inputs have shifted/);

    choose(picker()!, "all");
    await settle();
    expect(commands.filter((c) => c.command === "drift_report").at(-1)!.args).toMatchObject({ model: "fraud", version: null });
    expect(text(".detail-head h2")).toBe("fraud");

    // One version: nothing to pick.
    find<HTMLButtonElement>('[data-testid="drift-model-churn"]')!.click();
    await settle();
    expect(picker()).toBeNull();
    unmount(view);
  });

  it("gives the product manager the plain-words sentence first; the engineer the heatmap", async () => {
    const pm = await open([report()], { role: "product_manager" });
    expect(pm.text('[data-testid="drift-summary"]')).toBe("2 of 3 inputs have shifted over the last 24 hours; predictions have not.");
    const first = (target: HTMLElement) => target.querySelector('[data-first="true"]')?.getAttribute("data-testid");
    expect(first(pm.target)).toBe("drift-section-summary");
    expect(pm.text('[data-testid="drift-section-summary"]')).toContain("Shifted: amount, country.");
    unmount(pm.view);
    clearMocks();
    const engineer = await open([report()], { role: "engineer" });
    expect(first(engineer.target)).toBe("drift-section-heatmap");
    unmount(engineer.view);
    clearMocks();
    const scientist = await open([report()], { role: "data_scientist" });
    expect(first(scientist.target)).toBe("drift-section-columns");
    unmount(scientist.view);
  });

  it("runs a report now for the chosen range and shows it; an error says what failed", async () => {
    let fail = false;
    const fresh = report({
      drifted_features: 1,
      dataset_drift: false,
      prediction_drift: true,
      computed_at: "2026-11-28T11:59:30Z",
      summary: "1 of 3 inputs has shifted over the last 7 days; predictions have too.",
    });
    const { view, find, text, commands } = await open([report()], {
      more: (command) => {
        if (command !== "drift_report") return undefined;
        if (fail) throw { code: "not_found", message: "fraud has no reference data: import one first.", field: null, detail: null };
        return fresh;
      },
    });
    find<HTMLButtonElement>('[data-testid="drift-range-7d"]')!.click();
    find<HTMLButtonElement>('[data-testid="drift-run"]')!.click();
    await settle();
    const asked = commands.find((c) => c.command === "drift_report")!.args;
    expect(asked).toMatchObject({ model: "fraud", version: null });
    expect((asked.toMs as number) - (asked.fromMs as number)).toBe(7 * 86_400_000);
    expect(text('[data-testid="drift-summary"]')).toBe("1 of 3 inputs has shifted over the last 7 days; predictions have too.");

    fail = true;
    find<HTMLButtonElement>('[data-testid="drift-run"]')!.click();
    await settle();
    expect(text('[data-testid="drift-run-error"]')).toBe("fraud has no reference data: import one first.");
    unmount(view);
  });

  it("reads the new report when the engine announces one for the model on show", async () => {
    let reports = [report()];
    const { view, text, commands } = await open([], { more: (command) => (command === "drift_latest" ? reports : undefined) });
    expect(text('[data-testid="drift-summary"]')).toMatch(/^2 of 3 inputs have shifted/);
    const timelines = commands.filter((c) => c.command === "drift_timeline").length;
    const newest = "In the newest hour (from 11:00 UTC), though, country shifted.";
    const summary = `None of the 3 inputs have shifted over the last 24 hours; nor have predictions. ${newest}`;
    reports = [report({ drifted_features: 0, dataset_drift: false, computed_at: "2026-11-28T12:00:00Z", columns: [], summary })];
    await emit("engine", { kind: "drift_reported", model: "fraud", version: null, dataset_drift: false, drifted_features: 0, features: 3 } satisfies EngineEvent);
    await settle();
    expect(text('[data-testid="drift-model-fraud"]')).toBe("fraud OK");
    expect(text('[data-testid="drift-summary"]')).toBe(summary);
    expect(commands.filter((c) => c.command === "drift_latest")).toHaveLength(2);
    expect(commands.filter((c) => c.command === "drift_timeline").length, "the heatmap is read again").toBe(timelines + 1);
    unmount(view);
  });

  it("imports reference data: the empty state offers it, progress shows while it runs, then what was read", async () => {
    let progress: Channel<ImportProgress> | null = null;
    let request: ReferenceRequest | null = null;
    let finish: (summary: ReferenceSummary) => void = () => {};
    const { view, find, text, commands } = await open([], {
      more: (command, args) => {
        if (command === "plugin:dialog|open") return "/data/churn.csv";
        if (command !== "drift_import_reference") return undefined;
        progress = args.progress as Channel<ImportProgress>;
        request = args.request as ReferenceRequest;
        return new Promise<ReferenceSummary>((resolve) => (finish = resolve));
      },
    });
    expect(text('[data-testid="drift-empty"]')).toContain("No drift reports yet");
    find<HTMLButtonElement>('[data-testid="drift-import"]')!.click();
    flushSync();
    find<HTMLButtonElement>('[data-testid="drift-import-choose"]')!.click();
    await settle();
    expect(find<HTMLInputElement>('[data-testid="drift-import-path"]')!.value).toBe("/data/churn.csv");
    type(find<HTMLInputElement>('[data-testid="drift-import-model"]')!, "churn");
    type(find<HTMLInputElement>('[data-testid="drift-import-prediction"]')!, "churned");
    find<HTMLInputElement>('[data-testid="drift-import-skip"]')!.click();
    flushSync();
    find<HTMLButtonElement>('[data-testid="drift-import-start"]')!.click();
    await settle();

    const dialog = commands.find((c) => c.command === "plugin:dialog|open")!.args as { options: { filters: { extensions: string[] }[] } };
    expect(dialog.options.filters[0].extensions).toEqual(["csv", "jsonl", "ndjson", "parquet"]);
    expect(commands.find((c) => c.command === "drift_import_reference")!.args.path).toBe("/data/churn.csv");
    expect(request).toEqual({ model: "churn", version: null, prediction: "churned", target: null, columns: {}, bad_rows: "skip" });

    progress!.onmessage({ bytes_read: 5 * 1024 * 1024, bytes_total: 10 * 1024 * 1024, rows: 4_200, skipped_rows: 1 });
    flushSync();
    expect(text('[data-testid="drift-import-progress"]')).toBe("50 % 5.0 MB of 10.0 MB · 4,200 rows · 1 skipped Cancel");
    expect(find<HTMLProgressElement>('[data-testid="drift-import-progress"] progress')!.value).toBe(0.5);

    finish(referenceSummary());
    await settle();
    expect(text('[data-testid="drift-import-summary"] .done')).toBe("Imported 9,998 rows as the reference of churn; 2 of 3 columns will be tested.");
    expect(text('[data-testid="drift-import-bad-rows"] p')).toBe("2 malformed rows were skipped:");
    expect([...document.querySelectorAll('[data-testid="drift-import-bad-rows"] li')].map((li) => li.textContent)).toEqual([
      "Line 17: expected 5 fields, found 4",
      'Line 5,021: tenure: "abc" is not a number',
    ]);
    const columns = [...document.querySelectorAll('[data-testid="drift-import-column"]')].map((tr) =>
      [...tr.querySelectorAll("td")].map((td) => {
        const use = td.querySelector("select");
        const reason = td.querySelector(".reason")?.textContent;
        return use ? [use.value, reason].filter(Boolean).join(" ") : td.textContent?.replace(/\s+/g, " ").trim();
      }),
    );
    expect(columns).toEqual([
      ["tenure", "numeric", "9,998", "0"],
      ["plan", "categorical", "9,990", "8"],
      ["customer_id", "skip skipped: an identifier: every value is different", "9,998", "0"],
    ]);
    expect(find('[data-testid="drift-model-churn"]'), "the model is listed").not.toBeNull();
    unmount(view);
  });

  it("cancels an import: nothing is stored and the form comes back", async () => {
    let reject: (error: unknown) => void = () => {};
    const { view, find, text, commands } = await open([report()], {
      more: (command) => {
        if (command === "drift_import_reference") return new Promise((_, no) => (reject = no));
        if (command === "drift_cancel_import") {
          reject({ code: "cancelled", message: "The import was cancelled.", field: null, detail: null });
          return null;
        }
        return undefined;
      },
    });
    find<HTMLButtonElement>('[data-testid="drift-import"]')!.click();
    flushSync();
    expect(find<HTMLInputElement>('[data-testid="drift-import-model"]')!.value, "prefilled with the chosen model").toBe("fraud");
    find<HTMLButtonElement>('[data-testid="drift-import-start"]')!.click();
    flushSync();
    expect(text('[data-testid="drift-import-panel"]')).toContain("Choose the file, or type its full path.");
    type(find<HTMLInputElement>('[data-testid="drift-import-path"]')!, "/data/big.csv");
    find<HTMLButtonElement>('[data-testid="drift-import-start"]')!.click();
    await settle();
    expect(find('[data-testid="drift-import-progress"]')).not.toBeNull();
    find<HTMLButtonElement>('[data-testid="drift-import-cancel"]')!.click();
    await settle();
    expect(commands.map((c) => c.command)).toContain("drift_cancel_import");
    expect(find('[data-testid="drift-import-progress"]')).toBeNull();
    expect(text('[data-testid="drift-import-notice"]')).toBe("Import cancelled. Nothing was stored; the model keeps the reference it had.");
    expect(find('[data-testid="drift-import-error"]')).toBeNull();
    expect(find<HTMLInputElement>('[data-testid="drift-import-path"]')!.value).toBe("/data/big.csv");
    unmount(view);
  });

  it("shows the engine's message when an import fails", async () => {
    const { view, find, text } = await open([report()], {
      more: (command) => {
        if (command === "drift_import_reference") {
          throw { code: "invalid_input", message: "Line 3 is malformed: expected 5 fields, found 7.", field: "path", detail: "csv error at byte 118" };
        }
        return undefined;
      },
    });
    find<HTMLButtonElement>('[data-testid="drift-import"]')!.click();
    flushSync();
    type(find<HTMLInputElement>('[data-testid="drift-import-path"]')!, "/data/bad.csv");
    find<HTMLButtonElement>('[data-testid="drift-import-start"]')!.click();
    await settle();
    expect(text('[data-testid="drift-import-error"]')).toBe("Line 3 is malformed: expected 5 fields, found 7.");
    expect(text('[data-testid="drift-import-panel"] details pre')).toBe("csv error at byte 118");
    expect(find('[data-testid="drift-import-start"]'), "the form stays to try again").not.toBeNull();
    unmount(view);
  });
});

describe("the models table's drift badge", () => {
  it("marks a drifted model, updates on a drift_reported event, and opens the drift view", async () => {
    mockIPC(
      (command) => (command === "drift_latest" ? [report({ dataset_drift: false, drifted_features: 0 })] : null),
      { shouldMockEvents: true },
    );
    const drift = new DriftLatest();
    await drift.start();
    const fleet = new Fleet();
    fleet.servers = [server()];
    fleet.models = [modelOverview()];
    fleet.loaded = true;
    const opened: string[] = [];
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(FleetView, {
      target,
      props: {
        fleet,
        demo: new Demo(),
        drift,
        onopendrift: (model: string) => opened.push(model),
        role: "engineer",
        now: NOW,
        defaults: { pollIntervalSecs: 10, timeoutSecs: 2 },
      },
    });
    flushSync();
    expect(target.querySelector('[data-testid="drift-badge-fraud"]'), "no drift, no badge").toBeNull();

    await emit("engine", {
      kind: "drift_reported",
      model: "fraud",
      version: null,
      dataset_drift: true,
      drifted_features: 2,
      features: 3,
    } satisfies EngineEvent);
    await settle();
    const badge = target.querySelector<HTMLButtonElement>('[data-testid="drift-badge-fraud"]')!;
    expect(badge.textContent).toBe("Drift");
    expect(badge.title).toBe("2 of 3 inputs drifted");
    badge.click();
    expect(opened).toEqual(["fraud"]);

    await emit("engine", { kind: "drift_reported", model: "fraud", version: null, dataset_drift: false, drifted_features: 0, features: 3 } satisfies EngineEvent);
    await settle();
    expect(target.querySelector('[data-testid="drift-badge-fraud"]'), "gone once the drift is over").toBeNull();
    unmount(view);
    drift.stop();
  });
});
