// One read at a time for a live store: a read asked for while one is under way runs once that
// one is done (however many were asked meanwhile), so events that come faster than a read takes
// still end in a finished read of the newest state, instead of each new read dropping the one
// before and none ever landing. A store whose events can come many times a second (a fleet of
// fifty servers, each polled) asks for a gap: a read follows the one before no sooner than that.

export class SerialReads {
  #running: Promise<void> | null = null;
  #again = false;

  /** `gapMs`: the least time from one read's start to the next one's. */
  constructor(readonly gapMs = 0) {}

  /** Runs `read` now, or once after the read under way; resolves when no read is left to run. */
  run(read: () => Promise<void>): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        const started = Date.now();
        await read();
        const wait = this.gapMs - (Date.now() - started);
        if (this.#again && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      } while (this.#again);
    })().finally(() => (this.#running = null));
    return this.#running;
  }
}
