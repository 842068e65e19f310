// What the window's live stores share: listen to the engine's events first, then read, so no
// change between the two is missed; stop listening when the view goes.

import { api } from "./api";
import type { EngineEvent } from "./bindings";

export abstract class EngineListener {
  #unlisten: (() => void) | null = null;

  async start(): Promise<void> {
    this.#unlisten = await api.onEngineEvent((event) => this.apply(event));
    await this.reload();
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  /** Reads the whole state from the engine. */
  abstract reload(): Promise<void>;

  /** Folds one engine event into the state. */
  abstract apply(event: EngineEvent): void;
}
