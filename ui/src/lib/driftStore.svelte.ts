// Each model's latest drift verdict as the window knows it: read once with drift_latest, then kept
// current by the engine's drift_reported events. Never polled. The fleet's badge and the drift
// view share one instance.

import { api, ApiError, toApiError } from "./api";
import { EngineListener } from "./engineListener";
import type { DriftReport, EngineEvent } from "./bindings";
import { latestFrom, mergeReport, mergeReported, type LatestDrift } from "./drift";

export class DriftLatest extends EngineListener {
  /** Replaced whole, never changed in place: not made deeply reactive (a fleet's worth of rows). */
  latest = $state.raw<LatestDrift[]>([]);
  loaded = $state(false);
  loadError = $state<ApiError | null>(null);

  protected async read(): Promise<void> {
    try {
      this.latest = latestFrom(await api.driftLatest());
      this.loadError = null;
    } catch (thrown) {
      this.loadError = toApiError(thrown);
    } finally {
      this.loaded = true;
    }
  }

  apply(event: EngineEvent): void {
    if (event.kind !== "drift_reported") return;
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
