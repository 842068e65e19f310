import { describe, expect, it } from "vitest";
import {
  auditActionLabel,
  money,
  percent,
  perThousand,
  signedPercent,
  auditDetail,
  elapsed,
  exactUtc,
  fleetCounts,
  kindView,
  labelsText,
  measure,
  relativeTime,
  axisValue,
  serverStatus,
} from "./format";
import { ago, NOW, server } from "./fixtures";

describe("relativeTime", () => {
  it("writes ages the way people say them", () => {
    expect(relativeTime(ago(2), NOW)).toBe("just now");
    expect(relativeTime(ago(42), NOW)).toBe("42 s ago");
    expect(relativeTime(ago(5 * 60 + 10), NOW)).toBe("5 min ago");
    expect(relativeTime(ago(3 * 3600), NOW)).toBe("3 h ago");
    expect(relativeTime(ago(3 * 86400), NOW)).toBe("3 d ago");
  });
  it("shows a dash, not zero, when there is no time", () => {
    expect(relativeTime(null, NOW)).toBe("—");
  });
});

describe("elapsed", () => {
  it("says how long in the largest sensible unit", () => {
    expect(elapsed(ago(8), NOW)).toBe("8 s");
    expect(elapsed(ago(5 * 60 + 59), NOW)).toBe("5 min");
    expect(elapsed(ago(50 * 3600), NOW)).toBe("2 d");
    expect(elapsed(null, NOW)).toBe("—");
  });
});

describe("exactUtc", () => {
  it("gives the exact UTC time for hovers", () => {
    expect(exactUtc("2026-11-28T17:40:03.123456Z")).toBe("2026-11-28 17:40:03 UTC");
    expect(exactUtc("2026-11-28T18:40:03+01:00")).toBe("2026-11-28 17:40:03 UTC");
    expect(exactUtc(null)).toBe("");
  });
});

describe("serverStatus", () => {
  it("shows a word for every state, with the reason on hover", () => {
    expect(serverStatus(server(), NOW, 10)).toEqual({
      word: "Up",
      tone: "ok",
      why: "/v2/health/ready answered HTTP 200",
    });
    const down = serverStatus(server({ health: "down", health_reason: "connection refused" }), NOW, 10);
    expect(down).toMatchObject({ word: "Down", tone: "bad", why: "connection refused" });
  });

  it("says a new server is being checked rather than showing it as down", () => {
    const fresh = serverStatus(server({ health: "unknown", health_reason: null, checked_at: null }), NOW, 10);
    expect(fresh.word).toBe("Checking");
    expect(fresh.tone).toBe("muted");
  });

  it("gives a down server the poller's back-off before calling it stale", () => {
    const down = { health: "down" as const, health_reason: "connection refused" };
    expect(serverStatus(server({ ...down, checked_at: ago(160) }), NOW, 10).word).toBe("Down");
    expect(serverStatus(server({ ...down, checked_at: ago(176) }), NOW, 10).word).toBe("Stale");
  });

  it("marks a server stale when it has not been checked for three intervals", () => {
    expect(serverStatus(server({ checked_at: ago(34) }), NOW, 10).word).toBe("Up");
    const stale = serverStatus(server({ checked_at: ago(36) }), NOW, 10);
    expect(stale.word).toBe("Stale");
    expect(stale.why).toContain("Not checked since");
  });

  it("counts the server's own poll interval when it has one", () => {
    const slow = { poll_interval_ms: 60_000 };
    expect(serverStatus(server({ ...slow, checked_at: ago(120) }), NOW, 10).word).toBe("Up");
    expect(serverStatus(server({ ...slow, checked_at: ago(186) }), NOW, 10).word).toBe("Stale");
  });
});

describe("kindView", () => {
  it("names the kind, says whether Vigil detected it, and says when it is still unknown", () => {
    expect(kindView(server())).toEqual({ text: "Seldon MLServer", why: "Detected by Vigil" });
    expect(kindView(server({ kind: "triton", detected_kind: null })).text).toBe("NVIDIA Triton");
    expect(kindView(server({ detected_kind: null })).text).toBe("Not detected yet");
  });
});

describe("fleetCounts", () => {
  it("counts servers and the ones in trouble", () => {
    expect(fleetCounts([server()])).toBe("1 server");
    expect(fleetCounts([server(), server({ id: 2, health: "down" }), server({ id: 3, health: "degraded" })])).toBe(
      "3 servers · 1 down · 1 degraded",
    );
  });
});

describe("audit entries", () => {
  it("names known actions in words and shows unknown ones as recorded", () => {
    expect(auditActionLabel("server.add")).toBe("Added server");
    expect(auditActionLabel("server.edit")).toBe("Edited server");
    expect(auditActionLabel("cost.set")).toBe("cost.set");
  });

  it("shows the detail JSON as readable pairs, and text that is not JSON as it is", () => {
    expect(auditDetail('{"base_url":"http://127.0.0.1:8080","weight":25}')).toBe(
      "base url: http://127.0.0.1:8080 · weight: 25",
    );
    expect(auditDetail("not json")).toBe("not json");
  });

  it("shows each change of an edit as old → new, a missing value as —", () => {
    const edit = '{"poll_interval_secs":{"from":null,"to":30},"labels":{"from":{},"to":{"team":"risk"}}}';
    expect(auditDetail(edit)).toBe('poll interval secs: — → 30 · labels: {} → {"team":"risk"}');
  });
});

describe("labelsText", () => {
  it("writes labels on one line, and nothing without labels", () => {
    expect(labelsText({ team: "risk", environment: "prod" })).toBe("team=risk\u00a0· environment=prod");
    expect(labelsText({})).toBe("");
  });
});

describe("measure", () => {
  it("writes each value with its unit and one decimal, and a dash with the reason when not measured", () => {
    expect(measure(10.08, "rate", "")).toEqual({ text: "10.1 req/s", why: "" });
    expect(measure(0.0125, "share", "")).toEqual({ text: "1.3 %", why: "" });
    expect(measure(0.39077, "seconds", "")).toEqual({ text: "390.8 ms", why: "" });
    expect(measure(undefined, "seconds", "no quantiles")).toEqual({ text: "—", why: "no quantiles" });
    expect(measure(Number.NaN, "seconds", "no quantiles").text).toBe("—");
  });
});

describe("axisValue", () => {
  it("writes a chart value short, in its unit", () => {
    expect(axisValue(12.345, "rate")).toBe("12/s");
    expect(axisValue(0.0125, "share")).toBe("1.3 %");
    expect(axisValue(0.02522, "seconds")).toBe("25 ms");
    expect(axisValue(1.5, "seconds")).toBe("1.5 s");
    expect(axisValue(3, "count")).toBe("3");
  });
});

describe("money and shares", () => {
  it("writes dollars with cents, small sums to three significant digits, and no predictions in words", () => {
    expect(money(17_625.6)).toBe("$17,625.60");
    expect(money(0.0421)).toBe("$0.0421");
    expect(money(0)).toBe("$0.00");
    expect(perThousand(null)).toBe("no predictions");
    expect(perThousand(0.0952)).toBe("$0.0952");
    expect([percent(0.69), percent(0.035), percent(null)]).toEqual(["69 %", "3.5 %", "—"]);
    expect([signedPercent(0.18), signedPercent(-0.05), signedPercent(null)]).toEqual(["+18 %", "\u22125.0 %", "—"]);
  });
});
