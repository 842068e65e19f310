// Set up for every unit test. jsdom draws no canvas, so uPlot is replaced by a stand-in that
// records what each chart was given to draw (read by tests through `drawnCharts`).

import { vi } from "vitest";

// Nor does it lay anything out.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
// Nor scrolls.
Element.prototype.scrollIntoView ??= function () {};

export interface DrawnChart {
  series: (string | undefined)[];
  data: unknown[][];
}

export const drawnCharts: DrawnChart[] = [];

vi.mock("uplot", () => ({
  default: class {
    entry: DrawnChart;
    constructor(options: { series: { label?: string }[] }, data: unknown[][]) {
      this.entry = { series: options.series.map((s) => s.label), data };
      drawnCharts.push(this.entry);
    }
    setData(data: unknown[][]) {
      this.entry.data = data;
    }
    setSize() {}
    destroy() {}
  },
}));
