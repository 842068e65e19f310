// The demo fleet as the window knows it: read once, then kept current by the shell's "demo"
// events and by the answer to each action.

import { api, ApiError, toApiError } from "./api";
import type { DemoStatus } from "./desktopBindings";

/** What a person can ask of the demo fleet. */
export type DemoAction = "start" | "stop" | "remove";

const ACTIONS: Record<DemoAction, () => Promise<DemoStatus>> = {
  start: api.demoStart,
  stop: api.demoStop,
  remove: api.demoRemoveServers,
};

/** Every scenario the demo can play, in words. */
export const SCENARIOS: Record<string, string> = {
  healthy: "nothing goes wrong",
  drift: "the models' inputs drift, from 2 minutes in",
  "bad-canary": "fraud's canary version 13 fails more often and is slower",
  outage: "pricing stops answering for a while",
  slow: "churn answers late",
  "feedback-loop": "recs is retrained three times on clicks its own recommendations shaped (a new revision every 3 minutes)",
};

export class Demo {
  status = $state<DemoStatus | null>(null);
  /** The action under way, if any. */
  busy = $state<DemoAction | null>(null);
  /** What went wrong with the last action or read. */
  error = $state<ApiError | null>(null);
  /** Why there is no demo fleet, in the shell's words, when it was built without one (its
   * `demo_status` then answers not_found); null when it has one. */
  absent = $state<string | null>(null);
  #unlisten: (() => void) | null = null;

  /** Whether the fleet is starting, by the shell's word or by this window's own request. */
  get starting(): boolean {
    return this.status?.state === "starting" || this.busy === "start";
  }

  /** What went wrong last: this window's request, or a start the shell made (`--demo`). */
  get failure(): string | null {
    return this.error?.message ?? this.status?.error ?? null;
  }

  /** Listens to the shell's changes first, then reads, so no change between the two is missed. */
  async connect(): Promise<void> {
    this.#unlisten = await api.onDemoStatus((status) => this.#take(status));
    await this.reload();
  }

  disconnect(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  async reload(): Promise<void> {
    try {
      this.#take(await api.demoStatus());
    } catch (thrown) {
      const error = toApiError(thrown);
      if (error.code === "not_found") this.absent = error.message;
      else this.error = error;
    }
  }

  /** Keeps `status` unless one of a later revision is already here (events and answers race). */
  #take(status: DemoStatus): void {
    if (!this.status || status.revision >= this.status.revision) this.status = status;
  }

  async run(action: DemoAction): Promise<void> {
    this.busy = action;
    this.error = null;
    try {
      this.#take(await ACTIONS[action]());
    } catch (thrown) {
      this.error = toApiError(thrown);
      await this.reload();
    } finally {
      this.busy = null;
    }
  }
}
