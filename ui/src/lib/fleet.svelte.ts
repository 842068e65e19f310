// The fleet as the window knows it: loaded once from the engine, then kept current by engine
// events. The window never polls the engine in a loop.

import { api, ApiError, toApiError } from "./api";
import { EngineListener } from "./engineListener";
import { SerialReads } from "./serialReads";
import type { AlertView, EngineEvent, ModelOverview, Server, Severity } from "./bindings";
import { isolate, isolating } from "./bidi";
import { elapsed } from "./format";

const byName = (a: Server, b: Server) => a.name.localeCompare(b.name);

/**
 * The server list after one engine event. Pure, so it is easy to test.
 *
 * Events may arrive before the answer to the call that caused them (the engine checks a new
 * server at once), so `server_added` never overwrites a copy the window already holds: that
 * copy is at least as new.
 */
export function applyEvent(servers: Server[], event: EngineEvent): Server[] {
  switch (event.kind) {
    case "server_added":
      if (servers.some((s) => s.id === event.server.id)) return servers;
      return [...servers, event.server].sort(byName);
    case "health_changed":
    case "server_updated":
      return [...servers.filter((s) => s.id !== event.server.id), event.server].sort(byName);
    case "server_removed":
      return servers.filter((s) => s.name !== event.name);
    case "audited":
    case "drift_reported":
    case "objectives_changed":
    case "rollout_changed":
    case "approval_needed":
    case "alerts_changed":
    case "alert_notified":
    case "preflight_changed":
      return servers;
    case "polled": {
      // Only ever forward: a server a later event carried may already hold a newer check.
      const polled = new Set(event.servers);
      const newer = (s: Server) => polled.has(s.name) && (!s.checked_at || Date.parse(event.at) > Date.parse(s.checked_at));
      return servers.map((s) => (newer(s) ? { ...s, checked_at: event.at } : s));
    }
  }
}

/** One line of the "Needs attention" strip. */
export interface AttentionItem {
  server: Server;
  severity: number;
  title: string;
  reason: string;
}

const SEVERITY = { down: 2, degraded: 1, up: 0, unknown: 0 } as const;

/** Servers in the order a person should look at them: down, degraded, then the rest, by name. */
export function byAttention(servers: Server[]): Server[] {
  return [...servers].sort((a, b) => SEVERITY[b.health] - SEVERITY[a.health] || byName(a, b));
}

/** The names the engine's words about `server` may hold: its own, and its models' and versions'. */
export function serverNames(server: Server, models: readonly ModelOverview[]): string[] {
  const its = models.filter((m) => m.server === server.name);
  return [server.name, ...its.flatMap((m) => [m.model, ...m.revisions.map((r) => r.version)])];
}

/** Every name from outside the fleet holds: servers' names and label values, models' and versions'. */
export function fleetNames(servers: readonly Server[], models: readonly ModelOverview[]): string[] {
  return [
    ...servers.flatMap((s) => [s.name, ...Object.values(s.labels)]),
    ...models.flatMap((m) => [m.model, ...m.revisions.map((r) => r.version)]),
  ];
}

/** Why `server` is as it is, in the engine's words, the names in them isolated (see `bidi.ts`). */
export function healthReason(server: Server, models: readonly ModelOverview[]): string | null {
  return server.health_reason === null ? null : isolating(server.health_reason, serverNames(server, models));
}

/**
 * Servers that need a person, worst first: down before degraded, then longest-standing. `models`
 * (the fleet's) name what the reasons may mention.
 */
export function needsAttention(servers: Server[], models: readonly ModelOverview[] = []): AttentionItem[] {
  return servers
    .filter((s) => SEVERITY[s.health] > 0)
    .map((server) => ({
      server,
      severity: SEVERITY[server.health],
      title: `${isolate(server.name)} is ${server.health}`,
      reason: healthReason(server, models) ?? "",
    }))
    .sort((a, b) => b.severity - a.severity || (a.server.health_since ?? "").localeCompare(b.server.health_since ?? ""));
}

/** One line of the "Needs attention" strip: a server not up, or a firing alert. */
export type AttentionEntry = { key: string; severity: number } & (
  | { kind: "server"; item: AttentionItem }
  | { kind: "alert"; alert: AlertView }
);

const ALERT_SEVERITY: Record<Severity, number> = { critical: 2, warning: 1, info: 0 };

/**
 * The "Needs attention" strip, worst first: a server down or a critical alert, then a degraded
 * server or a warning, then the rest; at one level a server comes before an alert (it is often
 * the cause), and the longest-standing first.
 */
export function attentionEntries(
  servers: Server[],
  models: readonly ModelOverview[],
  firing: readonly AlertView[],
): AttentionEntry[] {
  const since = (entry: AttentionEntry) => (entry.kind === "server" ? entry.item.server.health_since : entry.alert.since) ?? "";
  const entries: AttentionEntry[] = [
    ...needsAttention(servers, models).map((item): AttentionEntry => ({
      key: `server:${item.server.id}`,
      severity: item.severity,
      kind: "server",
      item,
    })),
    ...firing.map((alert): AttentionEntry => ({
      key: `alert:${alert.rule}\u0000${alert.subject}`,
      severity: ALERT_SEVERITY[alert.severity],
      kind: "alert",
      alert,
    })),
  ];
  const kindOrder = (entry: AttentionEntry) => (entry.kind === "server" ? 0 : 1);
  return entries.sort((a, b) => b.severity - a.severity || kindOrder(a) - kindOrder(b) || since(a).localeCompare(since(b)));
}

/** One sentence per server in plain words, for the product manager's view. */
export function plainStatus(server: Server, now: number, models: readonly ModelOverview[] = []): string {
  const since = elapsed(server.health_since, now);
  const name = isolate(server.name);
  switch (server.health) {
    case "up":
      return `${name} is up and ready to serve.`;
    case "degraded":
      return `${name} is serving but not fully ready, for ${since} now.`;
    case "down":
      return `${name} has been down for ${since}: ${healthReason(server, models) ?? "no answer"}.`;
    case "unknown":
      return `${name} was just added; Vigil is checking it.`;
  }
}

/**
 * The live fleet: servers, their models as the engine sees them (roles, traffic split, combined
 * figures against their objectives), when the engine last polled, and what went wrong loading.
 * Models are read again after polls (at most once a second, with the check times those polls
 * brought to the servers) and after each change of objectives.
 */
export class Fleet extends EngineListener {
  /** Replaced whole by each change (see `applyEvent`), so not made deeply reactive. */
  servers = $state.raw<Server[]>([]);
  /** Replaced whole by each read, never changed in place: not made deeply reactive, which for
   * hundreds of models read every second would wrap every figure of every one anew. */
  models = $state.raw<ModelOverview[]>([]);
  loaded = $state(false);
  loadError = $state<ApiError | null>(null);
  lastPolledAt = $state<string | null>(null);
  /** A fleet of fifty servers polls many times a second: its models are read once a second at most. */
  #modelReads = new SerialReads(1_000);
  /** Polls heard since the last read of the models: their servers' check times are shown with
   * the figures those polls brought, one change of the fleet a second rather than one a poll. */
  #polls: Extract<EngineEvent, { kind: "polled" }>[] = [];

  protected async read(): Promise<void> {
    try {
      const snapshot = await api.fleet();
      this.servers = snapshot.servers.sort(byName);
      this.lastPolledAt ??= snapshot.polled_at;
      this.loadError = null;
    } catch (thrown) {
      this.loadError = toApiError(thrown);
    } finally {
      this.loaded = true;
    }
  }

  /** Reads the servers, then their models (after any events held meanwhile are folded in). */
  async reload(): Promise<void> {
    await super.reload();
    if (!this.loadError) await this.readModels();
  }

  apply(event: EngineEvent): void {
    if (event.kind === "polled") {
      this.lastPolledAt = event.at;
      this.#polls.push(event);
      void this.readModels();
      return;
    }
    if (event.kind === "objectives_changed") void this.readModels();
    if (event.kind === "server_removed") {
      this.models = this.models.filter((m) => m.server !== event.name);
    }
    this.servers = applyEvent(this.servers, event);
  }

  /**
   * Reads every model as the engine works it out. Reads do not overlap: one asked for while
   * another is under way runs once that one is done, so polls faster than a read still show
   * fresh numbers. A failure keeps the last ones (the next poll retries). Models of servers no
   * longer listed are left out (one may be removed while a read is under way).
   */
  readModels(): Promise<void> {
    return this.#modelReads.run(async () => {
      try {
        const models = await api.models();
        const listed = new Set(this.servers.map((s) => s.name));
        this.models = models.filter((m) => listed.has(m.server));
      } catch {
        // The server list says what is wrong; the numbers stay as last read.
      } finally {
        const polls = this.#polls.splice(0);
        if (polls.length) this.servers = polls.reduce(applyEvent, this.servers);
      }
    });
  }
}
