import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount, type ComponentProps } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { Demo } from "../lib/demo.svelte";
import { Fleet } from "../lib/fleet.svelte";
import { alertViews } from "../lib/alertsFixtures";
import { ago, modelOverview, NOW, revisionOverview, server } from "../lib/fixtures";
import FleetView from "./FleetView.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

type FleetProps = ComponentProps<typeof FleetView>;

/** The fleet view of `fleet`, as the engineer sees it unless `props` say otherwise. */
function drawFleet(fleet: Fleet, props: Partial<FleetProps> = {}) {
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(FleetView, {
    target,
    props: { fleet, demo: new Demo(), role: "engineer", now: NOW, defaults: { pollIntervalSecs: 10, timeoutSecs: 2 }, ...props },
  });
  return { target, view };
}

/** Presses a list's "show more" until every row is drawn; how many presses that took. */
function drawEveryPage(more: () => HTMLButtonElement | null): number {
  let presses = 0;
  for (; more() && presses < 100; presses++) {
    more()!.click();
    flushSync();
  }
  return presses;
}

describe("FleetView", () => {
  it("edits a server from its row; the engine's event, not the answer, updates the list", async () => {
    const current = server({ poll_interval_ms: 30_000 });
    const edited = { ...current, labels: { team: "risk" } };
    const commands: string[] = [];
    mockIPC((command) => {
      commands.push(command);
      return edited;
    });
    const fleet = new Fleet();
    fleet.servers = [current];
    fleet.loaded = true;
    const { target, view } = drawFleet(fleet);
    const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);

    find('[data-testid="edit-server"]')!.click();
    flushSync();
    expect(find('[data-testid="server-form"]')?.textContent).toContain("Edit fraud-prod");
    expect(find('[data-testid="server-row"]')!.classList.contains("editing")).toBe(true);
    expect(find<HTMLInputElement>('[data-testid="server-poll-interval-input"]')!.value).toBe("30");

    find('[data-testid="server-submit"]')!.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
    expect(commands).toEqual(["server_update"]);
    expect(find('[data-testid="server-form"]'), "the form closes").toBeNull();
    expect(find('[data-testid="server-labels"]'), "the answer is not applied").toBeNull();

    fleet.apply({ kind: "server_updated", server: edited });
    flushSync();
    expect(find('[data-testid="server-labels"]')?.textContent).toBe("team=risk");
    unmount(view);
  });

  it("offers the demo fleet when there is nothing to watch, and says it is starting", async () => {
    const commands: string[] = [];
    mockIPC((command) => {
      commands.push(command);
      return new Promise(() => {}); // the start takes its time
    });
    const fleet = new Fleet();
    fleet.loaded = true;
    const { target, view } = drawFleet(fleet);

    target.querySelector<HTMLButtonElement>('[data-testid="fleet-demo-start"]')!.click();
    flushSync();
    expect(commands).toEqual(["demo_start"]);
    expect(target.querySelector('[data-testid="fleet-empty"]')).toBeNull();
    expect(target.querySelector('[data-testid="fleet-demo-starting"]')?.textContent).toContain("Starting the demo fleet");
    unmount(view);
  });

  it("offers no demo fleet in a build without one", async () => {
    mockIPC(() => {
      throw { code: "not_found", message: "This build of Vigil has no demo fleet.", field: null, detail: null };
    });
    const demo = new Demo();
    await demo.reload();
    const fleet = new Fleet();
    fleet.loaded = true;
    const { target, view } = drawFleet(fleet, { demo });

    expect(target.querySelector('[data-testid="fleet-empty"]')?.textContent).not.toContain("demo fleet");
    expect(target.querySelector('[data-testid="fleet-demo-start"]')).toBeNull();
    unmount(view);
  });

  it("lists each model with its revisions, numbers and units, a dash with the reason where none was measured", () => {
    const fleet = new Fleet();
    fleet.servers = [server(), server({ id: 2, name: "churn", health: "down" })];
    fleet.models = [
      modelOverview(),
      modelOverview({
        server: "churn",
        model: "churn",
        status: { state: "down", reason: "Server churn is down: connection refused" },
        revisions: [revisionOverview({ version: "v3", rate: 4.84, error_share: null, p99_s: null })],
        rate: 4.84,
        error_share: null,
        p99_s: null,
      }),
    ];
    fleet.loaded = true;
    const { target, view } = drawFleet(fleet);
    const cells = (model: string) =>
      [...target.querySelectorAll(`[data-testid="model-row"][data-model="${model}"] td`)].map((td) =>
        td.textContent?.replace(/\s+/g, " ").trim(),
      );

    expect(cells("fraud")).toEqual(["Up", "fraud fraud-prod", "v12 stable", "10.1 req/s", "1.3 %", "25.2 ms", "—"]);
    expect(cells("churn")).toEqual(["Down", "churn churn", "v3 stable", "4.8 req/s", "—", "—", "—"]);
    const p99 = target.querySelector('[data-model="churn"] [data-testid="model-p99"]')!;
    expect(p99.getAttribute("title")).toContain("no latency quantiles");
    unmount(view);
  });

  it("puts first what the role cares about: servers for engineers, models for data scientists, plain words for PMs", () => {
    const fleet = new Fleet();
    fleet.servers = [server()];
    fleet.models = [modelOverview()];
    fleet.loaded = true;
    const first = (role: "engineer" | "data_scientist" | "product_manager") => {
      const { target, view } = drawFleet(fleet, { role });
      const heading = target.querySelector(".view > h2, .view > section")!;
      const text = heading.getAttribute("data-testid") ?? heading.textContent;
      unmount(view);
      return text;
    };
    expect(first("engineer")).toBe("Servers");
    expect(first("data_scientist")).toBe("Models");
    expect(first("product_manager")).toBe("plain-summary");
  });

  it("lists firing alerts in the Needs attention strip after the servers not up, most severe first, each opening the Alerts view", () => {
    mockIPC(() => null);
    const fleet = new Fleet();
    fleet.servers = [server(), server({ id: 2, name: "churn-prod", health: "down", health_reason: "connection refused", health_since: ago(120) })];
    fleet.loaded = true;
    const firing = alertViews().filter((a) => a.state === "firing");
    let opened = 0;
    const { target, view } = drawFleet(fleet, { firingAlerts: firing, onopenalerts: () => opened++ });
    const strip = target.querySelector('[data-testid="attention"]')!;
    const items = [...strip.querySelectorAll("li")].map((li) => li.textContent!.replace(/\s+/g, " ").trim());
    expect(items[0]).toMatch(/^churn-prod is down connection refused for 2 min/);
    expect(items.slice(1)).toEqual([
      "Critical: churn-prod: server down (server down) for 2 min",
      "Warning: fraud on fraud-prod: dataset drift (dataset drift) for 7 min",
    ]);
    const alerts = [...strip.querySelectorAll<HTMLElement>('[data-testid="attention-alert"]')];
    expect(alerts.map((li) => [li.dataset.rule, li.dataset.subject])).toEqual([
      ["server down", "churn-prod"],
      ["dataset drift", "fraud on fraud-prod"],
    ]);
    alerts[1].querySelector("button")!.click();
    expect(opened).toBe(1);
    unmount(view);
  });

  it("ranks the strip by severity across servers and alerts, and shows the worst eight until asked for all", () => {
    mockIPC(() => null);
    const fleet = new Fleet();
    const degraded = (i: number) =>
      server({ id: 10 + i, name: `edge-${i}`, health: "degraded", health_reason: "a model is loading", health_since: ago(60 + i) });
    fleet.servers = [server(), ...Array.from({ length: 9 }, (_, i) => degraded(i))];
    fleet.loaded = true;
    const critical = alertViews().find((a) => a.state === "firing" && a.severity === "critical")!;
    const { target, view } = drawFleet(fleet, { firingAlerts: [critical] });
    const items = () => [...target.querySelectorAll('[data-testid="attention"] li')].map((li) => li.textContent!.replace(/\s+/g, " ").trim());
    // The critical alert comes before the degraded servers; they come longest-standing first.
    expect(items()).toHaveLength(8);
    expect(items()[0]).toMatch(/^Critical: /);
    expect(items()[1]).toMatch(/^edge-8 is degraded/);
    const more = target.querySelector<HTMLButtonElement>('[data-testid="attention-more"]')!;
    expect(more.textContent!.trim()).toBe("Show all 10");
    more.click();
    flushSync();
    expect(items()).toHaveLength(10);
    expect(items().at(-1)).toMatch(/^edge-0 is degraded/);
    unmount(view);
  });

  it("draws a long models table a page at a time, and groups it by a label with each group's count", () => {
    mockIPC(() => null);
    const fleet = new Fleet();
    fleet.servers = [server({ name: "eu", labels: { team: "ranking" } }), server({ id: 2, name: "us", labels: { team: "fraud" } })];
    fleet.models = Array.from({ length: 250 }, (_, i) =>
      modelOverview({ server: i % 2 ? "us" : "eu", model: `model-${String(i).padStart(3, "0")}` }),
    );
    fleet.loaded = true;
    const { target, view } = drawFleet(fleet, { role: "data_scientist" });
    const rows = () => target.querySelectorAll('[data-testid="model-row"]').length;
    const more = () => target.querySelector<HTMLButtonElement>('[data-testid="models-more"]');
    expect(rows()).toBe(15);
    expect(more()!.textContent!.trim()).toBe("Show 15 more of 235 not drawn yet");
    expect(drawEveryPage(more), "15 a page").toBe(16);
    expect(rows()).toBe(250);
    expect(more()).toBeNull();

    const groupBy = target.querySelector<HTMLSelectElement>('[data-testid="model-group-by"]')!;
    groupBy.value = "team";
    groupBy.dispatchEvent(new Event("change", { bubbles: true }));
    flushSync();
    const headers = [...target.querySelectorAll("tr.group th")].map((th) => th.textContent!.replace(/\s+/g, " ").trim());
    expect(headers).toEqual(["team: fraud · 125 models", "team: ranking · 125 models"]);
    const firstOfFraud = target.querySelector('[data-testid="model-group"][data-value="fraud"] [data-testid="model-row"]');
    expect(firstOfFraud?.getAttribute("data-server")).toBe("us");
    unmount(view);
  });

  it("draws a long servers table a page at a time, the servers that need attention first", () => {
    mockIPC(() => null);
    const fleet = new Fleet();
    fleet.servers = Array.from({ length: 45 }, (_, i) =>
      server({ id: i + 1, name: `server-${String(i).padStart(2, "0")}`, health: i === 44 ? "down" : "up" }),
    );
    fleet.loaded = true;
    const { target, view } = drawFleet(fleet);
    const drawn = () => [...target.querySelectorAll('[data-testid="server-row"]')].map((row) => row.getAttribute("data-server"));
    const more = () => target.querySelector<HTMLButtonElement>('[data-testid="servers-more"]');
    expect(drawn()).toHaveLength(10);
    expect(drawn()[0], "the down server, though last by name").toBe("server-44");
    expect(more()!.textContent!.trim()).toBe("Show 10 more of 35 not drawn yet");
    expect(drawEveryPage(more), "10 a page").toBe(4);
    expect(drawn()).toHaveLength(45);
    expect(more()).toBeNull();
    unmount(view);
  });

  it("shows the strip for a firing alert when every server is up, and none when nothing needs attention", () => {
    mockIPC(() => null);
    const fleet = new Fleet();
    fleet.servers = [server()];
    fleet.loaded = true;
    const props = { fleet, demo: new Demo(), role: "engineer" as const, now: NOW, defaults: { pollIntervalSecs: 10, timeoutSecs: 2 } };
    const target = document.body.appendChild(document.createElement("div"));
    const calm = mount(FleetView, { target, props });
    expect(target.querySelector('[data-testid="attention"]')).toBeNull();
    unmount(calm);
    const drifting = mount(FleetView, { target, props: { ...props, firingAlerts: [alertViews()[1]] } });
    expect(target.querySelectorAll('[data-testid="attention-alert"]')).toHaveLength(1);
    unmount(drifting);
  });
});
