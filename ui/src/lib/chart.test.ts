import { describe, expect, it } from "vitest";
import type { ModelChart } from "./bindings";
import { annotations, customRange, PANELS, panelData, panned, presetRange, resolutionWords, ROLE_LAYOUT } from "./chart";

const T = Date.parse("2026-11-28T12:00:00Z");

const chart: ModelChart = {
  server: "fraud-prod",
  model: "fraud",
  from_ms: T - 3_600_000,
  to_ms: T,
  resolution_secs: 0,
  revisions: [
    {
      version: "12",
      first_seen_at: "2026-11-27T12:00:00Z",
      health: "up",
      health_reason: null,
      role: "stable",
      metadata: {},
      series: { request_rate: [[T - 20_000, 9], [T - 10_000, 9]], latency_p99_s: [[T - 10_000, 0.02]] },
    },
    {
      version: "13",
      first_seen_at: "2026-11-28T11:50:00Z",
      health: "up",
      health_reason: null,
      role: "canary",
      metadata: {},
      series: { request_rate: [[T - 10_000, 1], [T, 1]] },
    },
  ],
  events: [],
  log: [],
};

describe("panelData", () => {
  it("puts every revision on one time axis, with gaps where a revision has no point", () => {
    const data = panelData(chart, PANELS.traffic);
    expect(data.xs).toEqual([T - 20_000, T - 10_000, T]);
    expect(data.ys).toEqual([
      [9, 9, null],
      [null, 1, 1],
    ]);
    expect(data.lines.map((l) => l.label)).toEqual(["v12 (stable)", "v13 (canary)"]);
    expect(data.points).toBe(4);
  });

  it("names the signal when a panel draws several, and leaves out what was not measured", () => {
    const data = panelData(chart, PANELS.latency);
    expect(data.lines.map((l) => l.label)).toEqual(["v12 (stable) p99"]);
    expect(panelData(chart, PANELS.saturation).points).toBe(0);
  });
});

describe("ranges", () => {
  it("follows now for a preset, and pans by half its width, never past now", () => {
    expect(presetRange("15m", T)).toEqual({ from: T - 900_000, to: T, preset: "15m" });
    const back = panned(presetRange("1h", T), -1, T);
    expect(back).toEqual({ from: T - 5_400_000, to: T - 1_800_000, preset: null });
    expect(panned(back, 1, T)).toEqual({ from: T - 3_600_000, to: T, preset: null });
    expect(panned(presetRange("1h", T), 1, T).to).toBe(T);
  });

  it("takes a custom range only when it starts before it ends", () => {
    expect(customRange("2026-11-28T10:00", "2026-11-28T09:00")).toBe("The start must be before the end.");
    expect(customRange("", "2026-11-28T09:00")).toBe("Give both a start and an end.");
    const range = customRange("2026-11-28T08:00", "2026-11-28T09:00");
    expect(typeof range === "object" && range.to - range.from).toBe(3_600_000);
  });

  it("says at what resolution the chart is drawn", () => {
    expect([0, 60, 3600].map(resolutionWords)).toEqual(["every poll", "1-minute means", "1-hour means"]);
  });
});

describe("what each role sees first", () => {
  it("leads with latency for engineers, revisions for data scientists, plain words for product managers", () => {
    expect(ROLE_LAYOUT.engineer).toMatchObject({ first: "charts", panels: ["latency", "errors", "traffic", "saturation"] });
    expect(ROLE_LAYOUT.data_scientist.first).toBe("revisions");
    expect(ROLE_LAYOUT.product_manager.first).toBe("summary");
  });
});

describe("annotations", () => {
  it("marks deployments and health changes with their tone and words", () => {
    const marks = annotations([
      { at_ms: T - 600_000, kind: "deployed", version: "13", from: null, to: null, text: "version 13 first seen" },
      { at_ms: T - 60_000, kind: "health", version: null, from: "up", to: "down", text: "connection refused" },
    ]);
    expect(marks).toEqual([
      { at: T - 600_000, tone: "accent", text: "v13 deployed" },
      { at: T - 60_000, tone: "bad", text: "server up → down: connection refused" },
    ]);
  });

  it("marks drift found as a warning and drift cleared as good news", () => {
    const marks = annotations([
      { at_ms: T - 7_200_000, kind: "drift", version: "", from: null, to: null, text: "drift: 2 of 3 inputs moved" },
      { at_ms: T - 3_600_000, kind: "drift", version: "", from: null, to: null, text: "drift cleared" },
    ]);
    expect(marks.map((mark) => [mark.tone, mark.text])).toEqual([
      ["warn", "drift: 2 of 3 inputs moved"],
      ["ok", "drift cleared"],
    ]);
  });
});
