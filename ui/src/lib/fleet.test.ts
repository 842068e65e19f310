import { afterEach, describe, expect, it, vi } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { EngineEvent, FleetSnapshot } from "./bindings";
import { applyEvent, byAttention, Fleet, needsAttention, plainStatus } from "./fleet.svelte";
import { modelOverview, server } from "./fixtures";

afterEach(() => clearMocks());

describe("applyEvent", () => {
  const a = server({ id: 1, name: "alpha" });
  const b = server({ id: 2, name: "beta" });

  it("adds a server in name order", () => {
    const added = applyEvent([b], { kind: "server_added", server: a });
    expect(added.map((s) => s.name)).toEqual(["alpha", "beta"]);
  });

  it("replaces a server whose health changed", () => {
    const down = { ...b, health: "down" as const, health_reason: "connection refused" };
    const after = applyEvent([a, b], { kind: "health_changed", server: down, from: "up", to: "down" });
    expect(after).toEqual([a, down]);
  });

  it("shows a metrics error as soon as the engine reports it", () => {
    const failing = { ...b, metrics_error: "the metrics page answered HTTP 500" };
    expect(applyEvent([a, b], { kind: "server_updated", server: failing })).toEqual([a, failing]);
  });

  it("keeps a newer copy when the answer to adding arrives after the engine's events", () => {
    const up = { ...a, health: "up" as const };
    const stale = { ...a, health: "unknown" as const };
    expect(applyEvent([up], { kind: "server_added", server: stale })).toEqual([up]);
  });

  it("drops a removed server", () => {
    expect(applyEvent([a, b], { kind: "server_removed", name: "alpha" })).toEqual([b]);
  });

  it("marks the servers whose polls were stored as checked, and only those", () => {
    const after = applyEvent([a, b], { kind: "polled", at: "2026-11-28T12:00:00Z", servers: ["beta"] });
    expect(after.map((s) => s.checked_at)).toEqual([a.checked_at, "2026-11-28T12:00:00Z"]);
  });

  it("never moves a check back in time (a later event may have carried a newer one)", () => {
    const checked = { ...b, checked_at: "2026-11-28T12:00:05Z" };
    const after = applyEvent([checked], { kind: "polled", at: "2026-11-28T12:00:00Z", servers: ["beta"] });
    expect(after[0].checked_at).toBe("2026-11-28T12:00:05Z");
  });
});

describe("needsAttention", () => {
  it("lists down servers before degraded ones, the longest-standing first, and leaves healthy ones out", () => {
    const items = needsAttention([
      server({ id: 1, name: "ok" }),
      server({ id: 2, name: "slow", health: "degraded", health_since: "2026-11-28T10:00:00Z" }),
      server({ id: 3, name: "late", health: "down", health_since: "2026-11-28T11:00:00Z" }),
      server({ id: 4, name: "early", health: "down", health_since: "2026-11-28T09:00:00Z" }),
    ]);
    expect(items.map((i) => i.server.name)).toEqual(["early", "late", "slow"]);
    expect(items[0].title).toBe("early is down");
  });
});

describe("byAttention", () => {
  it("puts down servers first, then degraded, then the rest, each by name", () => {
    const order = byAttention([
      server({ id: 1, name: "a-up" }),
      server({ id: 2, name: "z-down", health: "down" }),
      server({ id: 3, name: "m-degraded", health: "degraded" }),
      server({ id: 4, name: "b-down", health: "down" }),
    ]).map((s) => s.name);
    expect(order).toEqual(["b-down", "z-down", "m-degraded", "a-up"]);
  });
});

describe("plainStatus", () => {
  it("says in plain words what a product manager needs to know", () => {
    const now = Date.parse("2026-11-28T12:00:00Z");
    expect(plainStatus(server({ name: "fraud" }), now)).toBe("fraud is up and ready to serve.");
    const down = server({ name: "churn", health: "down", health_reason: "connection refused", health_since: "2026-11-28T11:55:00Z" });
    expect(plainStatus(down, now)).toBe("churn has been down for 5 min: connection refused.");
  });
});

describe("Fleet", () => {
  it("loads the fleet once and then follows engine events without asking again", async () => {
    const snapshot: FleetSnapshot = {
      servers: [server({ name: "beta", id: 2 }), server({ name: "fraud-prod", id: 3 })],
      polled_at: "2026-11-28T12:00:00Z",
    };
    const calls: string[] = [];
    mockIPC(
      (command) => {
        calls.push(command);
        return command === "fleet_snapshot" ? snapshot : command === "model_overviews" ? [modelOverview()] : null;
      },
      { shouldMockEvents: true },
    );
    const fleet = new Fleet();
    await fleet.start();
    expect(fleet.loaded).toBe(true);
    expect(fleet.servers.map((s) => s.name)).toEqual(["beta", "fraud-prod"]);
    expect(fleet.lastPolledAt).toBe("2026-11-28T12:00:00Z");

    const event: EngineEvent = { kind: "health_changed", server: server({ id: 2, name: "beta", health: "down" }), from: "up", to: "down" };
    await emit("engine", event);
    await emit("engine", { kind: "polled", at: "2026-11-28T12:00:10Z", servers: ["beta"] } satisfies EngineEvent);
    expect(fleet.servers[0].health).toBe("down");
    expect(fleet.lastPolledAt).toBe("2026-11-28T12:00:10Z");
    expect(calls.filter((c) => c === "fleet_snapshot")).toHaveLength(1);
    expect(calls.filter((c) => c === "model_overviews"), "read at load and after each poll").toHaveLength(2);
    expect(fleet.models.map((m) => m.model)).toEqual(["fraud"]);
    await emit("engine", { kind: "objectives_changed", model: "fraud" } satisfies EngineEvent);
    // (Read a second after the read before it started, at the most.)
    await vi.waitFor(() => expect(calls.filter((c) => c === "model_overviews"), "read again when objectives change").toHaveLength(3), { timeout: 2_000 });
    await emit("engine", { kind: "server_removed", name: "fraud-prod" } satisfies EngineEvent);
    expect(fleet.models, "a removed server's models go with it").toEqual([]);
    fleet.stop();
  });

  it("keeps a health change that arrives while the first read is under way", async () => {
    // The engine took its snapshot before the server came up; the event says so before the
    // answer arrives. The server must not stay "checking" until its health changes again.
    const snapshot: FleetSnapshot = { servers: [server({ name: "fraud", id: 3, health: "unknown" })], polled_at: null };
    let answer: ((value: FleetSnapshot) => void) | null = null;
    mockIPC(
      (command) => {
        if (command === "fleet_snapshot") return new Promise((resolve) => (answer = resolve));
        return command === "model_overviews" ? [] : null;
      },
      { shouldMockEvents: true },
    );
    const fleet = new Fleet();
    const started = fleet.start();
    await vi.waitFor(() => expect(answer).not.toBeNull());
    const up = server({ name: "fraud", id: 3, health: "up" });
    await emit("engine", { kind: "health_changed", server: up, from: "unknown", to: "up" } satisfies EngineEvent);
    answer!(snapshot);
    await started;
    expect(fleet.servers.map((s) => s.health)).toEqual(["up"]);
    fleet.stop();
  });

  it("shows fresh models while polls come faster than the engine answers a read", async () => {
    const snapshot: FleetSnapshot = { servers: [server({ name: "fraud-prod", id: 3 })], polled_at: null };
    let answered = 0;
    const pending: (() => void)[] = [];
    mockIPC(
      (command) => {
        if (command === "fleet_snapshot") return snapshot;
        if (command !== "model_overviews") return null;
        // Each read answers only when the test lets it, numbered by the order of answers.
        return new Promise((resolve) => pending.push(() => resolve([modelOverview({ rate: ++answered })])));
      },
      { shouldMockEvents: true },
    );
    const fleet = new Fleet();
    const started = fleet.start();
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    for (let poll = 0; poll < 5; poll++) {
      await emit("engine", { kind: "polled", at: "2026-11-28T12:00:10Z", servers: ["fraud-prod"] } satisfies EngineEvent);
    }
    pending.shift()!();
    await vi.waitFor(() => expect(fleet.models.map((m) => m.rate), "the first answer shows").toEqual([1]));
    await vi.waitFor(() => expect(pending, "the next read, a second after the first").toHaveLength(1), { timeout: 2_000 });
    pending.shift()!();
    await started;
    expect(fleet.models.map((m) => m.rate), "then the answer read after the polls").toEqual([2]);
    expect(pending, "five polls during one read cost one more read, not five").toHaveLength(0);
    fleet.stop();
  });

  it("shows the servers' check times with the figures their polls brought, one change for many polls", async () => {
    const snapshot: FleetSnapshot = {
      servers: [server({ name: "beta", id: 2, checked_at: "2026-11-28T12:00:00Z" }), server({ name: "fraud-prod", id: 3, checked_at: "2026-11-28T12:00:00Z" })],
      polled_at: null,
    };
    const pending: (() => void)[] = [];
    mockIPC(
      (command) => {
        if (command === "fleet_snapshot") return snapshot;
        if (command !== "model_overviews") return null;
        return new Promise((resolve) => pending.push(() => resolve([modelOverview()])));
      },
      { shouldMockEvents: true },
    );
    const fleet = new Fleet();
    const started = fleet.start();
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    pending.shift()!();
    await started;
    const before = fleet.servers;
    await emit("engine", { kind: "polled", at: "2026-11-28T12:00:02Z", servers: ["beta"] } satisfies EngineEvent);
    await emit("engine", { kind: "polled", at: "2026-11-28T12:00:03Z", servers: ["fraud-prod"] } satisfies EngineEvent);
    expect(fleet.lastPolledAt, "the window's own 'checked' follows every poll").toBe("2026-11-28T12:00:03Z");
    expect(fleet.servers, "the servers wait for the figures their polls brought").toBe(before);
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    pending.shift()!();
    await vi.waitFor(() =>
      expect(fleet.servers.map((s) => s.checked_at)).toEqual(["2026-11-28T12:00:02Z", "2026-11-28T12:00:03Z"]),
    );
    fleet.stop();
  });

  it("keeps the engine's error, words and code, when loading fails", async () => {
    mockIPC(() => {
      throw { code: "database", message: "Vigil could not read or write its database.", field: null, detail: "disk I/O error" };
    });
    const fleet = new Fleet();
    await fleet.reload();
    expect(fleet.loaded).toBe(true);
    expect(fleet.loadError?.code).toBe("database");
    expect(fleet.loadError?.message).toContain("could not read or write");
    expect(fleet.loadError?.detail).toBe("disk I/O error");
  });
});
