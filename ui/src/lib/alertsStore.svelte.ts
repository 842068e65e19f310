// The alerts as the window knows them: the alerts not at rest (in the engine's order, firing and
// most severe first), their history, silences, rules, receivers and the notifications sent. Read
// when the window starts, whenever the engine says alerts changed (`alerts_changed`) or audits an
// alert setting (a receiver removed announces nothing else), and after a poll once REFRESH_MS
// have passed (pending alerts age and deliveries go out without an event of their own).

import { api, ApiError, toApiError } from "./api";
import type { AlertRule, AlertView, Delivery, EngineEvent, HistoryEntry, Receiver, Silence } from "./bindings";
import { EngineListener } from "./engineListener";
import { SerialReads } from "./serialReads";

/** How old what the window shows may grow while polls go on. */
export const REFRESH_MS = 15_000;

export class AlertsData extends EngineListener {
  /** Replaced whole, never changed in place: not made deeply reactive (a fleet's worth of rows). */
  alerts = $state.raw<AlertView[]>([]);
  history = $state.raw<HistoryEntry[]>([]);
  silences = $state<Silence[]>([]);
  rules = $state<AlertRule[]>([]);
  receivers = $state<Receiver[]>([]);
  deliveries = $state<Delivery[]>([]);
  error = $state<ApiError | null>(null);
  loaded = $state(false);
  #reads = new SerialReads();
  /** When the last read started (ms since the epoch). */
  #readAt = 0;

  /** The firing alerts, most severe first, as the engine ordered them. */
  get firing(): AlertView[] {
    return this.alerts.filter((alert) => alert.state === "firing");
  }

  /** Reads everything again (one read at a time; one asked meanwhile follows it). */
  load(): Promise<void> {
    return this.#reads.run(async () => {
      this.#readAt = Date.now();
      try {
        const [alerts, history, silences, rules, receivers, deliveries] = await Promise.all([
          api.alerts(),
          api.alertHistory(),
          api.alertSilences(),
          api.alertRules(),
          api.alertReceivers(),
          api.alertDeliveries(),
        ]);
        this.alerts = alerts;
        this.history = history;
        this.silences = silences;
        this.rules = rules;
        this.receivers = receivers;
        this.deliveries = deliveries;
        this.error = null;
      } catch (thrown) {
        this.error = toApiError(thrown);
      } finally {
        this.loaded = true;
      }
    });
  }

  protected read(): Promise<void> {
    return this.load();
  }

  apply(event: EngineEvent): void {
    const changed =
      event.kind === "alerts_changed" ||
      (event.kind === "audited" && event.entry.action.startsWith("alert.")) ||
      (event.kind === "polled" && Date.now() - this.#readAt >= REFRESH_MS);
    if (changed) void this.load();
  }
}
