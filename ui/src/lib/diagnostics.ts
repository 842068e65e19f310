// Figures the window measures of itself, read over WebDriver by `vigil-bench window`: when the
// fleet overview was first drawn after the page began loading, when the models table grew to
// each number of rows, and how long a chart of many points takes to draw, beside the same
// points drawn as one bare canvas line (the floor that any chart pays).

import { flushSync, mount, unmount } from "svelte";
import type { PanelData } from "./chart";
import TimeChart from "../components/TimeChart.svelte";

export const timings: {
  overviewDrawnMs: number | null;
  /** Each frame of the page's first minute in which the models table held more rows than ever
   * before: the number of rows and when (`performance.now()`). */
  modelRowsDrawn: { count: number; ms: number }[];
} = { overviewDrawnMs: null, modelRowsDrawn: [] };

/** Notes, once, the first frame that shows the fleet overview with servers in it. */
export function markOverviewDrawn(): void {
  if (timings.overviewDrawnMs === null) requestAnimationFrame(() => (timings.overviewDrawnMs ??= performance.now()));
}

/** How long the page watches its models table grow: long past its first drawing. */
const WATCH_MODEL_ROWS_MS = 60_000;

/** Notes in `timings.modelRowsDrawn` each frame of the page's first minute in which the models
 * table has more rows than ever before, from outside the views: elements added or removed
 * anywhere ask for one count of the rows at the next frame. */
function watchModelRows(): void {
  let most = 0;
  let asked = false;
  const count = () => {
    asked = false;
    const rows = document.querySelectorAll('[data-testid="model-row"]').length;
    if (rows > most) timings.modelRowsDrawn.push({ count: (most = rows), ms: performance.now() });
  };
  const observer = new MutationObserver(() => {
    if (asked) return;
    asked = true;
    requestAnimationFrame(count);
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  setTimeout(() => observer.disconnect(), WATCH_MODEL_ROWS_MS);
}

/** `points` points of a day-long wave, split over two lines (two revisions). */
function wave(points: number): PanelData {
  const half = Math.floor(points / 2);
  const start = Date.now() - 86_400_000;
  const xs = Array.from({ length: half }, (_, i) => start + (i * 86_400_000) / half);
  const line = (phase: number) => xs.map((_, i) => 5 + 4 * Math.sin(i / 500 + phase) + Math.random());
  const lines = ["12", "13"].map((version) => ({ label: `v${version}`, version, role: "stable" as const, signal: "request_rate" as const }));
  return { xs, ys: [line(0), line(1)], lines, points: half * 2 };
}

/** An off-screen box the size of a chart on the model page. */
function stage(): HTMLElement {
  const box = document.body.appendChild(document.createElement("div"));
  box.style.position = "fixed";
  box.style.left = "-2000px";
  box.style.width = "600px";
  return box;
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Milliseconds from handing `points` points to the chart component to its drawn canvas. */
async function drawChart(points: number): Promise<number> {
  const data = wave(points);
  const box = stage();
  const started = performance.now();
  const chart = mount(TimeChart, {
    target: box,
    props: { title: "Benchmark", data, span: { from: data.xs[0], to: data.xs.at(-1)! }, unit: "rate" },
  });
  flushSync();
  while (!box.querySelector("figure")?.getAttribute("data-drawn-ms")) await nextTask();
  const took = performance.now() - started;
  unmount(chart);
  box.remove();
  return took;
}

/** Milliseconds to draw the same points as one bare canvas line per revision, no chart. */
function drawCanvas(points: number): number {
  const data = wave(points);
  const canvas = stage().appendChild(document.createElement("canvas"));
  const started = performance.now();
  [canvas.width, canvas.height] = [600, 190];
  const ctx = canvas.getContext("2d")!;
  const [first, last] = [data.xs[0], data.xs.at(-1)!];
  for (const ys of data.ys) {
    ctx.beginPath();
    ys.forEach((y, i) => ctx.lineTo(((data.xs[i] - first) / (last - first)) * 600, 190 - (y ?? 0) * 15));
    ctx.stroke();
  }
  ctx.getImageData(0, 0, 1, 1); // waits for the line to be drawn, as the chart's draw does
  const took = performance.now() - started;
  canvas.parentElement!.remove();
  return took;
}

declare global {
  interface Window {
    vigilDiagnostics?: { timings: typeof timings; drawChart: typeof drawChart; drawCanvas: typeof drawCanvas };
  }
}

window.vigilDiagnostics = { timings, drawChart, drawCanvas };
watchModelRows();
