// What the window's live stores share: listen to the engine's events first, then read, so no
// change between the two is missed; stop listening when the view goes.

import { api } from "./api";
import type { EngineEvent } from "./bindings";

export abstract class EngineListener {
  #unlisten: (() => void) | null = null;
  /** How many reads are under way, and the events that arrived meanwhile. */
  #reading = 0;
  #held: EngineEvent[] = [];

  async start(): Promise<void> {
    this.#unlisten = await api.onEngineEvent((event) => this.#receive(event));
    await this.reload();
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  /**
   * Reads the whole state from the engine. An event that arrives while a read is under way may be
   * newer than what the read returns (or older: the engine took the snapshot after it), so it is
   * held and folded in after the read; every change has its event, so the last one folded in for
   * a thing is its newest state.
   */
  async reload(): Promise<void> {
    this.#reading++;
    try {
      await this.read();
    } finally {
      if (--this.#reading === 0) {
        const held = this.#held;
        this.#held = [];
        for (const event of held) this.apply(event);
      }
    }
  }

  #receive(event: EngineEvent): void {
    if (this.#reading > 0) this.#held.push(event);
    else this.apply(event);
  }

  /** Reads the whole state from the engine, replacing what the store holds. */
  protected abstract read(): Promise<void>;

  /** Folds one engine event into the state. */
  abstract apply(event: EngineEvent): void;
}
