// Each model's latest drift verdict as the window knows it: read once with drift_latest, then kept
// current by the engine's drift_reported events. Never polled. The fleet's badge and the drift
// view share one instance.

import { api, ApiError, toApiError } from "./api";
import { EngineListener } from "./engineListener";
import type { DriftReport, EngineEvent } from "./bindings";
import { latestFrom, mergeReport, mergeReported, type LatestDrift } from "./drift";

export class DriftLatest extends EngineListener {
  latest = $state<LatestDrift[]>([]);
  loaded = $state(false);
  loadError = $state<ApiError | null>(null);
  /** Counts reads, so an older answer arriving late is dropped. */
  #reads = 0;


  async reload(): Promise<void> {
    const read = ++this.#reads;
    try {
      const reports = await api.driftLatest();
      if (read !== this.#reads) return;
      this.latest = latestFrom(reports);
      this.loadError = null;
    } catch (thrown) {
      if (read === this.#reads) this.loadError = toApiError(thrown);
    } finally {
      if (read === this.#reads) this.loaded = true;
    }
  }

  apply(event: EngineEvent): void {
    if (event.kind !== "drift_reported") return;
    this.#reads++; // a read under way may hold the older report
    this.latest = mergeReported(this.latest, event);
  }

  /** A report the window computed or read itself. */
  put(report: DriftReport): void {
    this.latest = mergeReport(this.latest, report);
  }

  find(model: string): LatestDrift | undefined {
    return this.latest.find((l) => l.model === model);
  }
}
