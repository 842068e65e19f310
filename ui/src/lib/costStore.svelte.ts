// The cost report and the price catalog as the window knows them: read from the engine when the
// window starts and when the cost view opens, when its window changes, whenever the engine
// audits a change to prices or placements (made here or by `vigil cost`) or a server is added or
// edited (its labels may place it), and after a poll once the report is REFRESH_MS old (new
// traffic moves the cost per 1,000). The fleet's models table and the model view look their cost
// up here.

import { api, ApiError, toApiError } from "./api";
import type { EngineEvent, InstanceType } from "./bindings";
import { EngineListener } from "./engineListener";
import { SerialReads } from "./serialReads";
import { COST_WINDOWS, type CostWindowId } from "./cost";
import type { CostReport } from "./bindings";

/** How old the report may grow while polls bring new traffic. */
export const REFRESH_MS = 15_000;

export class CostData extends EngineListener {
  window = $state<CostWindowId>("7d");
  /** Replaced whole, never changed in place: not made deeply reactive (a fleet's worth of rows). */
  report = $state.raw<CostReport | null>(null);
  catalog = $state<InstanceType[]>([]);
  error = $state<ApiError | null>(null);
  loaded = $state(false);
  #reads = new SerialReads();
  /** When the last report read started (ms since the epoch). */
  #readAt = 0;

  /** Whether any server has a placement: without one there is no cost to show. */
  get placed(): boolean {
    return (this.report?.servers.length ?? 0) > 0;
  }

  /** Reads the report over the chosen window (one read at a time; an answer for a window no
   * longer chosen is dropped, and the read that follows asks for the new one). */
  loadReport(): Promise<void> {
    return this.#reads.run(async () => {
      const window = this.window;
      this.#readAt = Date.now();
      const hours = COST_WINDOWS.find((w) => w.id === window)!.hours;
      try {
        const report = await api.costReport(hours);
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

  async loadCatalog(): Promise<void> {
    try {
      this.catalog = (await api.costCatalog()) ?? [];
    } catch (thrown) {
      this.error = toApiError(thrown);
    }
  }

  async load(): Promise<void> {
    await Promise.all([this.loadReport(), this.loadCatalog()]);
  }

  protected read(): Promise<void> {
    return this.load();
  }

  apply(event: EngineEvent): void {
    if (event.kind === "audited" && event.entry.action.startsWith("cost.")) void this.load();
    if (event.kind === "server_added" || event.kind === "server_updated") void this.loadReport();
    if (event.kind === "polled" && Date.now() - this.#readAt >= REFRESH_MS) void this.loadReport();
  }

  async setWindow(id: CostWindowId): Promise<void> {
    this.window = id;
    await this.loadReport();
  }
}
