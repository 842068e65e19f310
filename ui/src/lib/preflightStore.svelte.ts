// What is known of one model's revisions before they go live, as the model view and the approval
// panel show it: each revision's serving environment as last gathered (its fingerprint) and its
// newest parity check. Read when the view opens and again, one read at a time, whenever the
// engine says the model's environments or checks changed (`preflight_changed`).

import { api, ApiError, toApiError } from "./api";
import type { EngineEvent, Fingerprint, ParityReport } from "./bindings";
import { EngineListener } from "./engineListener";
import { fingerprintOf, newestOf, parityOf } from "./preflight";
import { SerialReads } from "./serialReads";

export class PreflightData extends EngineListener {
  fingerprints = $state<Fingerprint[]>([]);
  reports = $state<ParityReport[]>([]);
  error = $state<ApiError | null>(null);
  loaded = $state(false);
  #reads = new SerialReads();

  constructor(readonly model: string) {
    super();
  }

  /** Reads the model's fingerprints and newest parity checks (after the read under way, if any). */
  load(): Promise<void> {
    return this.#reads.run(async () => {
      try {
        const [fingerprints, reports] = await Promise.all([api.environmentFingerprints(this.model), api.parityLatest(this.model)]);
        this.fingerprints = fingerprints ?? [];
        this.reports = reports ?? [];
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
    if (event.kind === "preflight_changed" && event.model === this.model) void this.load();
  }

  /** The revision's fingerprint on `server`; with `server` null, its newest on any server. */
  fingerprint(server: string | null, version: string): Fingerprint | null {
    return server === null ? newestOf(this.fingerprints, version, (f) => f.gathered_at) : fingerprintOf(this.fingerprints, server, version);
  }

  /** The revision's newest parity check on `server`; with `server` null, its newest on any server. */
  parity(server: string | null, version: string): ParityReport | null {
    return server === null ? newestOf(this.reports, version, (r) => r.started_at) : parityOf(this.reports, server, version);
  }
}
