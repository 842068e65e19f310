import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import type { Channel } from "@tauri-apps/api/core";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { Profile } from "../lib/bindings";
import type { LoadTestProgress, LoadTestResult } from "../lib/bindings";
import { loadTestProgress, loadTestResult } from "../lib/costFixtures";
import { modelOverview, revisionOverview } from "../lib/fixtures";
import { drawnCharts } from "../testSetup";
import { settle, type } from "../lib/testDom";
import LoadTestPanel from "./LoadTestPanel.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
  drawnCharts.length = 0;
});

const ANA: Profile = { name: "ana", role: "engineer" };

describe("LoadTestPanel", () => {
  it("starts a test, moves its progress bar and latency chart on each message, cancels, then shows the result", async () => {
    let progress: Channel<LoadTestProgress> | null = null;
    let finish: (result: LoadTestResult) => void = () => {};
    const commands: { command: string; args: Record<string, unknown> }[] = [];
    mockIPC((command, args) => {
      commands.push({ command, args: args as Record<string, unknown> });
      if (command === "load_tests") return [];
      if (command !== "load_test_start") return null;
      progress = (args as { progress: Channel<LoadTestProgress> }).progress;
      return new Promise<LoadTestResult>((resolve) => (finish = resolve));
    });
    const model = modelOverview({ revisions: [revisionOverview(), revisionOverview({ version: "13", role: "canary", share: 0.1 })] });
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(LoadTestPanel, { target, props: { models: [model], profile: ANA } });
    await settle();
    const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
    const choose = (select: HTMLSelectElement, value: string) => {
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    };

    choose(find<HTMLSelectElement>('[data-testid="load-test-model"]')!, "fraud-prod/fraud");
    flushSync();
    choose(find<HTMLSelectElement>('[data-testid="load-test-version"]')!, "13");
    type(find<HTMLInputElement>('[data-testid="load-test-rates"]')!, "5 10");
    type(find<HTMLInputElement>('[data-testid="load-test-step-seconds"]')!, "2");
    find<HTMLButtonElement>('[data-testid="load-test-start"]')!.click();
    await settle();
    expect(commands.find((c) => c.command === "load_test_start")!.args.request).toEqual({
      server: "fraud-prod",
      model: "fraud",
      version: "13",
      rates: [5, 10],
      step_seconds: 2,
      p99_objective_ms: null,
      max_error_share: null,
      payload_file: null,
    });

    progress!.onmessage(loadTestProgress({ fraction: 0.25, step: 1, steps: 2, elapsed_s: 1, step_seconds: 2 }));
    flushSync();
    expect(find<HTMLProgressElement>('[data-testid="load-test-progress"] progress')!.value).toBe(0.25);
    progress!.onmessage(loadTestProgress({ fraction: 0.75, step: 2, steps: 2, rate: 10, elapsed_s: 1, p99_ms: 14.5 }));
    flushSync();
    expect(find<HTMLProgressElement>('[data-testid="load-test-progress"] progress')!.value).toBe(0.75);
    expect(find('[data-testid="load-test-progress-words"]')!.textContent!.replace(/\s+/g, " ")).toBe(
      "Step 2 of 2: 10 req/s · 1 of 10 s · 10 ok, 0 failed · p99 14.5 ms",
    );
    const chart = drawnCharts.at(-1)!;
    expect(chart.series.slice(1)).toEqual(["p50", "p99"]);
    const p99s = chart.data[2] as number[];
    expect(p99s, "the p99 of each tick, in seconds").toHaveLength(2);
    expect(p99s[0]).toBeCloseTo(0.0098, 9);
    expect(p99s[1]).toBeCloseTo(0.0145, 9);

    find<HTMLButtonElement>('[data-testid="load-test-cancel"]')!.click();
    await settle();
    expect(commands.some((c) => c.command === "load_test_cancel")).toBe(true);

    finish(loadTestResult({ version: "13", cancelled: true, sentence: "Cancelled after 1 step: fraud v13 sustained 5 req/s." }));
    await settle();
    expect(find('[data-testid="load-test-progress"]')).toBeNull();
    expect(find('[data-testid="load-test-sentence"]')!.textContent).toBe("Cancelled after 1 step: fraud v13 sustained 5 req/s.");
    expect(find('[data-testid="load-test-start"]'), "a new test can start").not.toBeNull();
    expect(commands.filter((c) => c.command === "load_tests"), "the past results are read again").toHaveLength(2);
    unmount(view);
  });
});
