import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { PerformanceReport, Profile } from "../lib/bindings";
import { Demo } from "../lib/demo.svelte";
import { Fleet } from "../lib/fleet.svelte";
import { modelOverview, NOW, server } from "../lib/fixtures";
import { performanceReport, regressorMetrics, windowPerformance } from "../lib/performanceFixtures";
import { settle } from "../lib/testDom";
import FleetView from "./FleetView.svelte";
import ModelPerformance from "./ModelPerformance.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

/** Answers performance_report with `answer(window)`, recording each request. */
function engine(answer: (window: string) => PerformanceReport = () => performanceReport()) {
  const asked: { model: string; window: string }[] = [];
  mockIPC((command, args) => {
    if (command !== "performance_report") return null;
    const request = args as { model: string; window: string };
    asked.push(request);
    return answer(request.window);
  });
  return asked;
}

async function panel(answer?: (window: string) => PerformanceReport) {
  const asked = engine(answer);
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(ModelPerformance, { target, props: { model: "fraud", now: NOW } });
  await settle();
  return { target, view, asked };
}

const text = (element: Element | null | undefined) => element?.textContent?.replace(/\s+/g, " ").trim();
const figure = (scope: ParentNode, kind: "realized" | "estimated", metric: string) =>
  scope.querySelector<HTMLElement>(`[data-testid="performance-figure"][data-kind="${kind}"][data-metric="${metric}"]`);

describe("ModelPerformance", () => {
  it("shows each revision's realized figures with their labelled count and the estimates with their band", async () => {
    const { target, view, asked } = await panel();
    expect(asked).toEqual([{ model: "fraud", window: "hour" }]);
    const revisions = [...target.querySelectorAll<HTMLElement>('[data-testid="performance-revision"]')];
    expect(revisions.map((r) => r.dataset.version), "in the engine's order, newest first").toEqual(["13", "12"]);
    const newest = revisions[0];
    expect(text(newest.querySelector("h3"))).toBe("v13 hour of 2026-11-28 11:00 UTC · 1,204 predictions, 412 labelled");

    const accuracy = figure(newest, "realized", "accuracy")!;
    expect(text(accuracy.querySelector('[data-testid="performance-value"]'))).toBe("0.91");
    expect(text(accuracy)).toContain("on 412 labelled predictions");
    const realized = [...newest.querySelectorAll<HTMLElement>('[data-testid="performance-figure"][data-kind="realized"]')];
    expect(realized.map((f) => `${f.dataset.metric} ${text(f.querySelector('[data-testid="performance-value"]'))}`)).toEqual([
      "accuracy 0.91",
      "precision 0.80",
      "recall 0.73",
      "f1 0.77",
      "roc_auc 0.93",
      "log_loss 0.248",
    ]);
    expect(text(newest)).toContain("Precision, recall and F1 are those of the positive class 1.");

    const rocAuc = figure(newest, "estimated", "roc_auc")!;
    expect(text(rocAuc.querySelector('[data-testid="performance-value"]'))).toBe("0.84 (0.81–0.87)");
    expect(text(rocAuc)).toContain("from 1,204 predictions, labelled or not");
    expect(rocAuc.querySelector('[data-testid="performance-alert"]'), "inside its thresholds").toBeNull();
    const estimatedAccuracy = figure(newest, "estimated", "accuracy")!;
    expect(text(estimatedAccuracy.querySelector('[data-testid="performance-value"]'))).toBe("0.77 (0.74–0.81)");
    expect(estimatedAccuracy.querySelector('[data-testid="performance-alert"]')).not.toBeNull();
    expect(text(estimatedAccuracy.querySelector('[data-testid="performance-reason"]'))).toBe(
      "Outside the range learned from the reference (0.85–0.97): the model's accuracy has likely moved",
    );

    const rows = [...newest.querySelectorAll<HTMLElement>('[data-testid="performance-window-row"]')];
    expect(rows.map((r) => text(r.querySelector("td"))), "the last windows, newest first").toEqual(["2026-11-28 11:00 UTC", "2026-11-28 10:00 UTC"]);
    expect(text(rows[1].querySelector('[data-metric="roc_auc"]')), "the estimate beside the realized figure").toBe("0.93 est. 0.90 (0.88–0.92)");

    expect(text(target.querySelector('[data-testid="performance-labels-waiting"]'))).toBe(
      "412 labels wait for their predictions: each joins its prediction when that is logged.",
    );
    expect(text(target.querySelector('[data-testid="performance-not-logged"]'))).toBe(
      "31 predictions were not logged: the payload names no inference id (last 2 min ago)",
    );
    unmount(view);
  });

  it("shows an undefined figure as a dash with the engine's reason, in text and on hover or focus", async () => {
    const { target, view } = await panel();
    const oldest = target.querySelector('[data-testid="performance-revision"][data-version="12"]')!;
    const rocAuc = figure(oldest, "realized", "roc_auc")!;
    const value = rocAuc.querySelector<HTMLElement>('[data-testid="performance-value"]')!;
    const reason = "ROC AUC is undefined: every one of the 7 labels is 0, and it compares positives with negatives";
    expect(text(value)).toBe("—");
    expect(text(rocAuc.querySelector('[data-testid="performance-reason"]'))).toBe(reason);
    expect(value.title).toBe(reason);
    expect(value.tabIndex, "it takes focus, so a keyboard reaches the reason").toBe(0);
    expect(document.getElementById(value.getAttribute("aria-describedby")!)?.textContent).toBe(reason);
    expect(text(rocAuc)).toContain("on 7 labelled predictions");
    expect(text(figure(oldest, "realized", "recall")?.querySelector('[data-testid="performance-reason"]')), "each figure its own reason").toBe(
      "Recall is undefined: none of the 7 labels is the positive class 1",
    );
    const accuracy = figure(oldest, "realized", "accuracy")!;
    expect(accuracy.querySelector('[data-testid="performance-reason"]'), "a defined figure has no reason").toBeNull();
    expect(text(oldest.querySelector('[data-testid="performance-not-estimated"]'))).toContain("Not estimated — no labelled reference");
    unmount(view);
  });

  it("reads the report by day when asked, and writes a regressor's figures", async () => {
    const byDay = performanceReport({
      window: "day",
      revisions: [
        {
          version: "4",
          windows: [windowPerformance({ start: "2026-11-28T00:00:00Z", predictions: 300, labelled: 96, classifier: null, regressor: regressorMetrics(), estimated: [] })],
          not_estimated: "CBPE estimates a binary classifier's performance; this model predicts values",
        },
      ],
      labels_waiting: 1,
      not_logged: [],
    });
    const { target, view, asked } = await panel((window) => (window === "day" ? byDay : performanceReport()));
    target.querySelector<HTMLButtonElement>('[data-testid="performance-window-day"]')!.click();
    await settle();
    expect(asked.map((a) => a.window)).toEqual(["hour", "day"]);
    const revision = target.querySelector('[data-testid="performance-revision"]')!;
    expect(revision.getAttribute("data-version")).toBe("4");
    const realized = [...revision.querySelectorAll<HTMLElement>('[data-testid="performance-figure"]')];
    expect(realized.map((f) => `${f.dataset.metric} ${text(f.querySelector('[data-testid="performance-value"]'))}`)).toEqual([
      "mae 12.5",
      "rmse 17.9",
      "mape 8.1 %",
      "r2 0.87",
    ]);
    expect(text(realized[0])).toContain("on 96 labelled predictions");
    expect([...revision.querySelectorAll("thead th")].map(text)).toEqual(["Day", "Predictions", "Labelled", "MAE", "RMSE", "R²"]);
    expect(text(target.querySelector('[data-testid="performance-labels-waiting"]'))).toBe(
      "1 label waits for its prediction: it joins it when the prediction is logged.",
    );
    unmount(view);
  });

  it("warns first of a feedback loop in the engine's words, and says so quietly when there is none", async () => {
    const verdict = {
      warn: true,
      revisions: ["1", "2", "3"],
      entropies: [0.98, 0.81, 0.63],
      distances: [null, 0.31, 0.18],
      sentence: "Possible feedback loop: from revision 1 to revision 3 (3 revisions), the model's predictions grew 36% less varied.",
    };
    const { target } = await panel(() => performanceReport({ feedback: verdict }));
    const warning = target.querySelector<HTMLElement>('[data-testid="performance-feedback"]')!;
    expect(warning.dataset.warn).toBe("true");
    expect(text(warning)).toBe(verdict.sentence);
    expect(
      warning.compareDocumentPosition(target.querySelector('[data-testid="performance-revision"]')!) & Node.DOCUMENT_POSITION_FOLLOWING,
      "above the revisions",
    ).toBeTruthy();
    clearMocks();
    document.body.innerHTML = "";
    const calm = { ...verdict, warn: false, sentence: "No sign of a feedback loop across the 3 revisions." };
    const quiet = await panel(() => performanceReport({ feedback: calm }));
    const line = quiet.target.querySelector<HTMLElement>('[data-testid="performance-feedback"]')!;
    expect([line.dataset.warn, text(line)]).toEqual(["false", calm.sentence]);
  });

  it("says how to get performance when nothing is logged yet", async () => {
    const { target, view } = await panel(() => performanceReport({ revisions: [], not_logged: [], labels_waiting: 0 }));
    const empty = target.querySelector('[data-testid="performance-empty"]');
    expect(text(empty)).toContain("No predictions of fraud are logged since 2026-11-26 12:00:00 UTC.");
    expect(text(empty)).toContain("/ingest/fraud/labels");
    expect(text(empty)).toContain("vigil labels import fraud FILE");
    expect(target.querySelector('[data-testid="performance-revision"]')).toBeNull();
    expect(target.querySelector('[data-testid="performance-labels-waiting"]')).toBeNull();
    unmount(view);
  });

  it("says how to label when a window's predictions have no labels yet", async () => {
    const unlabelled = performanceReport({
      revisions: [{ version: "13", windows: [windowPerformance({ labelled: 0, classifier: null })], not_estimated: null }],
    });
    const { target, view } = await panel(() => unlabelled);
    const revision = target.querySelector('[data-testid="performance-revision"]')!;
    expect(revision.querySelector('[data-testid="performance-figure"][data-kind="realized"]')).toBeNull();
    expect(text(revision.querySelector('[data-testid="performance-no-labels"]'))).toContain(
      "None of this window's 1,204 predictions has its label yet. Post the true outcomes to /ingest/fraud/labels",
    );
    expect(figure(revision, "estimated", "roc_auc"), "estimates need no labels").not.toBeNull();
    unmount(view);
  });
});

describe("the model view's Performance panel", () => {
  /** Opens fraud's model view as `role`, with `profile` the window's profile; where the panel stands among its sections. */
  async function placement(role: "engineer" | "data_scientist" | "product_manager", profile: Profile | null = null) {
    mockIPC((command, args) => {
      if (command === "performance_report") return performanceReport();
      if (command !== "model_chart") return null;
      const { fromMs, toMs } = args as { fromMs: number; toMs: number };
      return { server: "fraud-prod", model: "fraud", from_ms: fromMs, to_ms: toMs, resolution_secs: 0, revisions: [], events: [], log: [] };
    });
    const fleet = new Fleet();
    fleet.servers = [server()];
    fleet.models = [modelOverview()];
    fleet.loaded = true;
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(FleetView, {
      target,
      props: { fleet, demo: new Demo(), role, profile, now: NOW, defaults: { pollIntervalSecs: 10, timeoutSecs: 2 } },
    });
    target.querySelector<HTMLButtonElement>('[data-testid="open-model"]')!.click();
    flushSync();
    await settle();
    const panel = target.querySelector('[data-testid="performance-panel"]')!;
    const sections = [...target.querySelectorAll('[data-testid^="model-section-"]')];
    const before = sections.filter((s) => s.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING).length;
    const shown = panel.querySelectorAll('[data-testid="performance-revision"]').length;
    unmount(view);
    clearMocks();
    return { before, sections: sections.length, shown };
  }

  it("comes first for a data scientist and after the other panels for everyone else", async () => {
    const scientist = await placement("data_scientist");
    expect(scientist.shown).toBe(2);
    expect(scientist.before, "no section before it").toBe(0);
    const engineer = await placement("engineer");
    expect(engineer.before, "after every section").toBe(engineer.sections);
    const manager = await placement("product_manager");
    expect(manager.before).toBe(manager.sections);
    const dana: Profile = { name: "dana", role: "data_scientist" };
    expect((await placement("engineer", dana)).before, "a data scientist's profile viewing as an engineer").toBe(0);
  });
});
