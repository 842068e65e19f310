import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { ModelChart, ModelOverview, Plan, Policy } from "../lib/bindings";
import { Demo } from "../lib/demo.svelte";
import { Fleet } from "../lib/fleet.svelte";
import { modelOverview, NOW, revisionOverview, server } from "../lib/fixtures";
import { performanceReport } from "../lib/performanceFixtures";
import { drawnCharts } from "../testSetup";
import FleetView from "./FleetView.svelte";
import { settle, type } from "../lib/testDom";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
  drawnCharts.length = 0;
});

const chartOf = (from: number, to: number): ModelChart => ({
  server: "fraud-prod",
  model: "fraud",
  from_ms: from,
  to_ms: to,
  resolution_secs: to - from > 7_200_000 ? 60 : 0,
  revisions: [
    {
      version: "12",
      first_seen_at: "2026-11-28T09:00:00Z",
      health: "up",
      health_reason: null,
      role: "stable",
      metadata: { platform: "sklearn" },
      series: { request_rate: [[to - 10_000, 9]], latency_p99_s: [[to - 10_000, 0.025]], error_rate: [[to - 10_000, 0.01]] },
    },
  ],
  events: [{ at_ms: to - 60_000, kind: "health", version: null, from: "down", to: "up", text: "/v2/health/ready answered HTTP 200" }],
  log: [{ at_ms: to - 60_000, kind: "health", version: null, from: "down", to: "up", text: "/v2/health/ready answered HTTP 200" }],
});


function open(role: "engineer" | "data_scientist" | "product_manager", answer?: () => unknown, model: ModelOverview = modelOverview()) {
  const calls: { fromMs: number; toMs: number; server: string; model: string }[] = [];
  mockIPC((command, args) => {
    if (command !== "model_chart") return null;
    const asked = args as { fromMs: number; toMs: number; server: string; model: string };
    calls.push(asked);
    return answer ? answer() : chartOf(asked.fromMs, asked.toMs);
  });
  const fleet = new Fleet();
  fleet.servers = [server()];
  fleet.models = [model];
  fleet.loaded = true;
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(FleetView, {
    target,
    props: { fleet, demo: new Demo(), role, now: NOW, defaults: { pollIntervalSecs: 10, timeoutSecs: 2 } },
  });
  target.querySelector<HTMLButtonElement>('[data-testid="open-model"]')!.click();
  flushSync();
  return { target, view, calls, fleet };
}

const PLAN: Plan = { steps: [{ weight: 100, min_duration_s: 120, approval: false, shadow: false }], gates: [], min_requests: 100, failure_limit: 1, on_failure: "rollback" };
const POLICY: Policy = {
  approvers: ["engineer"],
  product_manager_before_full: false,
  rollback_needs_reason: true,
  approval_timeout_s: null,
  abort_on_timeout: false,
  notify_url: null,
};

describe("ModelView", () => {
  it("keeps its performance report and a plan being edited while polls bring the model's new figures", async () => {
    const asked: string[] = [];
    mockIPC((command, args) => {
      asked.push(command);
      if (command === "performance_report") return performanceReport();
      if (command === "rollout_settings") return [PLAN, POLICY];
      if (command !== "model_chart") return null;
      const { fromMs, toMs } = args as { fromMs: number; toMs: number };
      return chartOf(fromMs, toMs);
    });
    const fleet = new Fleet();
    fleet.servers = [server()];
    fleet.models = [modelOverview()];
    fleet.loaded = true;
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(FleetView, {
      target,
      props: { fleet, demo: new Demo(), role: "engineer", now: NOW, defaults: { pollIntervalSecs: 10, timeoutSecs: 2 } },
    });
    target.querySelector<HTMLButtonElement>('[data-testid="open-model"]')!.click();
    flushSync();
    await settle();
    const reads = (command: string) => asked.filter((c) => c === command).length;
    expect([reads("performance_report"), reads("rollout_settings")]).toEqual([1, 1]);
    const plan = target.querySelector<HTMLTextAreaElement>('[data-testid="plan-text"]')!;
    type(plan, '{"steps": [{"weight": 20}]}');
    // Three polls, each bringing the same model as a new overview.
    for (let i = 0; i < 3; i++) {
      fleet.models = [modelOverview()];
      flushSync();
      await settle();
    }
    expect([reads("performance_report"), reads("rollout_settings")], "the same model: nothing read again").toEqual([1, 1]);
    expect(plan.value, "what is being typed stays").toBe('{"steps": [{"weight": 20}]}');
    expect(target.querySelectorAll('[data-testid="performance-revision"]').length).toBe(2);
    unmount(view);
  });


  it("opens a model from the overview, draws its last hour, and reads again for another range", async () => {
    const { target, view, calls } = open("engineer");
    await settle();
    expect(target.querySelector('[data-testid="model-view"]')?.getAttribute("data-model")).toBe("fraud");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ server: "fraud-prod", model: "fraud" });
    expect(calls[0].toMs - calls[0].fromMs).toBe(3_600_000);
    const latency = target.querySelector('[data-testid="chart-latency"]')!;
    expect(latency.getAttribute("data-points")).toBe("1");
    expect(drawnCharts.map((c) => c.series[1])).toContain("v12 (stable) p99");
    expect(target.querySelector('[data-testid="chart-saturation"] [data-testid="chart-empty"]')).not.toBeNull();
    expect(target.querySelector('[data-testid="health-log"]')?.textContent).toContain("server down → up");

    target.querySelector<HTMLButtonElement>('[data-testid="range-24h"]')!.click();
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1].toMs - calls[1].fromMs).toBe(86_400_000);
    expect(target.querySelector('[data-testid="range-words"]')?.textContent).toContain("1-minute means");

    target.querySelector<HTMLButtonElement>('[data-testid="model-back"]')!.click();
    flushSync();
    expect(target.querySelector('[data-testid="models-table"]')).not.toBeNull();
    unmount(view);
  });

  it("leads with charts for engineers, revisions for data scientists and plain words for product managers", async () => {
    const firstSection = async (role: "engineer" | "data_scientist" | "product_manager") => {
      const { target, view } = open(role);
      await settle();
      const first = target.querySelector('[data-first="true"]')?.getAttribute("data-testid");
      const sentence = target.querySelector('[data-testid="model-sentence"]')?.textContent;
      unmount(view);
      clearMocks();
      return { first, sentence };
    };
    expect((await firstSection("engineer")).first).toBe("model-section-charts");
    expect((await firstSection("data_scientist")).first).toBe("model-section-revisions");
    const pm = await firstSection("product_manager");
    expect(pm.first).toBe("model-section-summary");
    expect(pm.sentence).toBe("fraud on fraud-prod is healthy (10.1 requests a second, 1.3 % failing).");
  });

  it("says what went wrong when the engine cannot read the chart, and tries again on request", async () => {
    let fail = true;
    const { target, view, calls } = open("engineer", () => {
      if (fail) throw { code: "not_found", message: "No model 'fraud' on server 'fraud-prod'.", field: null, detail: null };
      return chartOf(NOW - 3_600_000, NOW);
    });
    await settle();
    expect(target.querySelector('[data-testid="model-error"]')?.textContent).toContain("No model 'fraud'");
    fail = false;
    target.querySelector<HTMLButtonElement>('[data-testid="model-error"] button')!.click();
    await settle();
    expect(calls).toHaveLength(2);
    expect(target.querySelector('[data-testid="model-error"]')).toBeNull();
    expect(target.querySelector('[data-testid="chart-latency"]')).not.toBeNull();
    unmount(view);
  });

  it("writes the model's report to share where the person chooses, and shows the engine's error when it cannot", async () => {
    const { target, view } = open("product_manager");
    await settle();
    const asked: { command: string; args: unknown }[] = [];
    let fail = false;
    mockIPC((command, args) => {
      asked.push({ command, args });
      if (command === "plugin:dialog|save") return "/home/pm/fraud-report.html";
      if (command === "share_report") {
        if (fail) throw { code: "invalid", message: "Cannot write the report to /home/pm/fraud-report.html: Permission denied.", field: "file", detail: null };
        return null;
      }
      return command === "model_chart" ? chartOf(NOW - 3_600_000, NOW) : null;
    });
    target.querySelector<HTMLButtonElement>('[data-testid="share-report"]')!.click();
    await settle();
    const dialog = asked.find((c) => c.command === "plugin:dialog|save")!.args as { options: { defaultPath: string } };
    expect(dialog.options.defaultPath).toBe("fraud-report.html");
    expect(asked.find((c) => c.command === "share_report")!.args).toEqual({ model: "fraud", path: "/home/pm/fraud-report.html" });
    expect(target.querySelector('[data-testid="share-written"]')!.textContent).toBe("Written to /home/pm/fraud-report.html");
    fail = true;
    target.querySelector<HTMLButtonElement>('[data-testid="share-report"]')!.click();
    await settle();
    expect(target.querySelector('[data-testid="share-error"]')!.textContent).toContain("Permission denied");
    unmount(view);
  });

  it("shows the model's objectives and whose they are, saves a change, and puts the engine's objection under the field", async () => {
    const breaking = modelOverview({ revisions: [revisionOverview({ breaches: ["error_share"] })] });
    const { target, view } = open("data_scientist", undefined, breaking);
    await settle();
    const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
    expect(find('[data-testid="revision-breaches"]')?.textContent).toBe("breaks its objectives: errors above 2.0 %");
    expect(find('[data-testid="objectives-now"]')?.textContent?.replace(/\s+/g, " ").trim()).toBe(
      "Errors at most 2 % (this model's own); p99 at most 1000 ms (the fleet default).",
    );
    const share = find<HTMLInputElement>('[data-testid="objective-error-share-input"]')!;
    const p99 = find<HTMLInputElement>('[data-testid="objective-p99-input"]')!;
    expect([share.value, p99.value, p99.placeholder]).toEqual(["2", "", "1000"]);

    const sent: unknown[] = [];
    mockIPC((command, args) => {
      if (command !== "objective_set") return null;
      sent.push(args);
      const { objectives } = args as { objectives: { max_error_share: number | null } };
      if ((objectives.max_error_share ?? 0) <= 1) return null;
      throw { code: "invalid_input", message: "An error share is a percentage from 0 to 100 %, not 150 %.", field: "max_error_share", detail: null };
    });
    type(p99, "soon");
    find('[data-testid="objectives-save"]')!.click();
    await settle();
    expect(find('[data-testid="objective-p99-error"]')?.textContent).toContain("Write a number");
    expect(sent, "nothing sent while a field is unreadable").toEqual([]);

    type(share, "150");
    type(p99, "500");
    find('[data-testid="objectives-save"]')!.click();
    await settle();
    expect(sent).toEqual([{ model: "fraud", objectives: { max_error_share: 1.5, max_p99_s: 0.5 } }]);
    expect(find('[data-testid="objective-error-share-error"]')?.textContent).toBe("An error share is a percentage from 0 to 100 %, not 150 %.");

    find('[data-testid="objectives-reset"]')!.click();
    await settle();
    expect(sent.at(-1)).toEqual({ model: "fraud", objectives: { max_error_share: null, max_p99_s: null } });
    unmount(view);
  });
});
