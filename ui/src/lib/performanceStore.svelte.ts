// One model's performance report as the model view shows it: read from the engine when the view
// opens and when its window (hour or day) changes, at once when a drift report of the model is
// stored, and after a poll once the report is REFRESH_MS old (new predictions and labels arrive
// with the traffic, not with an event of their own).

import { api, ApiError, toApiError } from "./api";
import type { EngineEvent, PerformanceReport, PerformanceWindow } from "./bindings";
import { EngineListener } from "./engineListener";
import { SerialReads } from "./serialReads";

/** How old the report may grow while polls bring new traffic. */
export const REFRESH_MS = 30_000;

export class PerformanceData extends EngineListener {
  window = $state<PerformanceWindow>("hour");
  report = $state<PerformanceReport | null>(null);
  error = $state<ApiError | null>(null);
  loaded = $state(false);
  #reads = new SerialReads();
  /** When the last read started (ms since the epoch). */
  #readAt = 0;

  constructor(readonly model: string) {
    super();
  }

  /** Reads the model's report over the chosen window (one read at a time; an answer for a
   * window no longer chosen is dropped, and the read that follows asks for the new one). */
  load(): Promise<void> {
    return this.#reads.run(async () => {
      const window = this.window;
      this.#readAt = Date.now();
      try {
        const report = await api.performanceReport(this.model, window);
        if (window !== this.window) return;
        this.report = report;
        this.error = null;
      } catch (thrown) {
        if (window === this.window) this.error = toApiError(thrown);
      } finally {
        if (window === this.window) this.loaded = true;
      }
    });
  }

  protected read(): Promise<void> {
    return this.load();
  }

  apply(event: EngineEvent): void {
    if (event.kind === "drift_reported" && event.model === this.model) void this.load();
    if (event.kind === "polled" && Date.now() - this.#readAt >= REFRESH_MS) void this.load();
  }

  async setWindow(window: PerformanceWindow): Promise<void> {
    this.window = window;
    await this.load();
  }
}
