// Rollouts as the window knows them: read once, then read again whenever the engine says a
// rollout changed (a step, a measurement, a sign-off, an end). Reads never overlap.

import { api, ApiError, toApiError } from "./api";
import type { EngineEvent, Role, RolloutReport, RolloutView } from "./bindings";
import { EngineListener } from "./engineListener";
import { SerialReads } from "./serialReads";

/** The states of a rollout under way. */
const UNDER_WAY: RolloutView["rollout"]["state"][] = ["running", "waiting", "paused"];

export class Rollouts extends EngineListener {
  /** Replaced whole, never changed in place: not made deeply reactive. */
  views = $state.raw<RolloutView[]>([]);
  report = $state.raw<RolloutReport | null>(null);
  loaded = $state(false);
  loadError = $state<ApiError | null>(null);
  #reads = new SerialReads();

  /** The rollouts under way, and those that ended; worked out once for each read, not at each look. */
  readonly active = $derived(this.views.filter((v) => UNDER_WAY.includes(v.rollout.state)));
  readonly ended = $derived(this.views.filter((v) => !UNDER_WAY.includes(v.rollout.state)));

  /** The rollout of `model` under way, if any. */
  activeFor(model: string): RolloutView | undefined {
    return this.active.find((v) => v.rollout.model === model);
  }

  /** Whether `role`'s sign-off is awaited on `model`'s rollout. */
  awaits(model: string, role: Role | undefined): boolean {
    const view = this.activeFor(model);
    return !!view && !!role && view.rollout.state === "waiting" && view.waiting_for.includes(role);
  }

  protected async read(): Promise<void> {
    try {
      [this.views, this.report] = await Promise.all([api.rollouts(), api.rolloutReport()]);
      this.loadError = null;
    } catch (thrown) {
      this.loadError = toApiError(thrown);
    } finally {
      this.loaded = true;
    }
  }

  apply(event: EngineEvent): void {
    if (event.kind === "rollout_changed") void this.readAgain();
  }

  /** Puts an answer the window got from an action in place at once. */
  put(view: RolloutView): void {
    this.views = [view, ...this.views.filter((v) => v.rollout.id !== view.rollout.id)];
    void this.readAgain();
  }

  /** Reads again; one asked for while a read is under way runs once it is done. */
  readAgain(): Promise<void> {
    return this.#reads.run(() => this.read());
  }
}
