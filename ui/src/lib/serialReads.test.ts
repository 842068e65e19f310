import { describe, expect, it, vi } from "vitest";
import { SerialReads } from "./serialReads";

/** A read that waits until released, recording when it starts. */
function gated(log: string[]) {
  const gates: (() => void)[] = [];
  let count = 0;
  const read = () => {
    const n = ++count;
    log.push(`start ${n}`);
    return new Promise<void>((resolve) => gates.push(() => (log.push(`end ${n}`), resolve())));
  };
  return { read, release: () => gates.shift()?.() };
}

describe("SerialReads", () => {
  it("never overlaps reads and runs one more after many asked meanwhile, so a read always lands", async () => {
    const log: string[] = [];
    const { read, release } = gated(log);
    const reads = new SerialReads();
    const first = reads.run(read);
    for (let i = 0; i < 5; i++) void reads.run(read);
    expect(log).toEqual(["start 1"]);
    release();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(log, "one follow-up for the five asked").toEqual(["start 1", "end 1", "start 2"]);
    release();
    await first;
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2"]);
    const again = reads.run(read);
    expect(log.at(-1), "a read asked once all are done runs at once").toBe("start 3");
    release();
    await again;
  });

  it("with a gap, starts a follow-up read no sooner than the gap after the one before started", async () => {
    vi.useFakeTimers();
    try {
      const log: string[] = [];
      const { read, release } = gated(log);
      const reads = new SerialReads(1_000);
      const done = reads.run(read);
      void reads.run(read);
      await vi.advanceTimersByTimeAsync(100);
      release();
      await vi.advanceTimersByTimeAsync(850);
      expect(log, "the follow-up waits out the gap").toEqual(["start 1", "end 1"]);
      await vi.advanceTimersByTimeAsync(100);
      expect(log).toEqual(["start 1", "end 1", "start 2"]);
      release();
      await done;
    } finally {
      vi.useRealTimers();
    }
  });
});
