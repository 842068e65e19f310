// One read at a time for a live store: a read asked for while one is under way runs once that
// one is done (however many were asked meanwhile), so events that come faster than a read takes
// still end in a finished read of the newest state, instead of each new read dropping the one
// before and none ever landing.

export class SerialReads {
  #running: Promise<void> | null = null;
  #again = false;

  /** Runs `read` now, or once after the read under way; resolves when no read is left to run. */
  run(read: () => Promise<void>): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await read();
      } while (this.#again);
    })().finally(() => (this.#running = null));
    return this.#running;
  }
}
