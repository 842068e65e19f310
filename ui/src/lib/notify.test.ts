import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { EngineEvent, Place, Profile, Role } from "./bindings";
import { alertNotice, approvalNotice, clickedPlace, notifyDesktop, type Notice, type Notifier } from "./notify";

afterEach(() => clearMocks());

const SENTENCE = "fraud 12 → 13 is at 25 % and waits for the engineer and data scientist to sign off.";

function asked(roles: Role[], late = false): EngineEvent {
  return { kind: "approval_needed", model: "fraud", rollout: 7, roles, late, sentence: SENTENCE };
}

function profile(role: Role): Profile {
  return { name: "ada", role };
}

/** A notifier that records what it shows and how often it was asked for permission; `click`
 * clicks a notice it showed, as a person would on the desktop. */
function recordingNotifier(allowed = true): Notifier & { shown: Notice[]; asks: number; click: (notice: Notice) => void } {
  let opens: ((place: Place) => void) | null = null;
  const notifier = {
    shown: [] as Notice[],
    asks: 0,
    async allowed() {
      notifier.asks++;
      return allowed;
    },
    show(notice: Notice) {
      notifier.shown.push(notice);
    },
    async onClick(open: (place: Place) => void) {
      opens = open;
      return () => (opens = null);
    },
    click: (notice: Notice) => opens?.(notice.place),
  };
  return notifier;
}

/** Lets the notifier's awaited permission settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("approvalNotice", () => {
  it("tells a person whose role is asked that the model waits, in the engine's words", () => {
    const notice = approvalNotice(asked(["engineer", "data_scientist"]), profile("engineer"));
    expect(notice).toEqual({ title: "fraud waits for your approval", body: SENTENCE, place: { kind: "view", view: "rollouts" } });
    expect(approvalNotice(asked(["data_scientist"]), profile("data_scientist"))?.title).toBe("fraud waits for your approval");
  });

  it("says it still waits when the engine asks again after the limit", () => {
    expect(approvalNotice(asked(["engineer"], true), profile("engineer"))).toEqual({
      title: "fraud still waits for your approval",
      body: SENTENCE,
      place: { kind: "view", view: "rollouts" },
    });
  });

  it("tells nobody whose role is not asked, nor a window without a profile, nor of other events", () => {
    expect(approvalNotice(asked(["engineer", "data_scientist"]), profile("product_manager"))).toBeNull();
    expect(approvalNotice(asked(["engineer"]), null)).toBeNull();
    expect(approvalNotice({ kind: "rollout_changed", model: "fraud", rollout: 7 }, profile("engineer"))).toBeNull();
  });
});

const ALERT_TITLE = "[FIRING] dataset drift: fraud on fraud-prod";
const ALERT_BODY = "fraud on fraud-prod: dataset drift (dataset drift)\nRunbook: https://wiki.example/drift";
const DRIFT_ALERT: EngineEvent = { kind: "alert_notified", title: ALERT_TITLE, body: ALERT_BODY, critical: false, model: "fraud" };

describe("alertNotice", () => {
  it("shows an alert the engine sent to the desktop with the engine's title and body, and nothing for other events", () => {
    expect(alertNotice(DRIFT_ALERT)).toEqual({ title: ALERT_TITLE, body: ALERT_BODY, place: { kind: "model", name: "fraud" } });
    expect(alertNotice({ ...DRIFT_ALERT, model: null })?.place, "alerts about several models, or none").toEqual({
      kind: "view",
      view: "alerts",
    });
    expect(alertNotice({ kind: "alerts_changed" })).toBeNull();
    expect(alertNotice(asked(["engineer"]))).toBeNull();
  });
});

describe("clickedPlace", () => {
  it("reads the place of the notice the desktop reports clicked, and nothing from anything else", () => {
    const rollouts = { kind: "view", view: "rollouts" };
    expect(clickedPlace({ actionId: "tap", notification: { id: 1, title: "t", extra: { place: rollouts } } })).toEqual(rollouts);
    expect(clickedPlace({ title: "t", extra: { place: { kind: "model", name: "fraud" } } })).toEqual({ kind: "model", name: "fraud" });
    for (const odd of [null, {}, { notification: {} }, { extra: { place: { kind: "model", name: 7 } } }, { extra: { place: { kind: "nowhere" } } }]) {
      expect(clickedPlace(odd)).toBeNull();
    }
  });
});

describe("notifyDesktop", () => {
  it("notifies the window's current person of each sign-off asked of their role, asking permission once", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    let here: Profile | null = profile("engineer");
    const notifier = recordingNotifier();
    const stop = await notifyDesktop(() => here, notifier);

    await emit("engine", asked(["engineer", "data_scientist"]));
    await emit("engine", asked(["engineer", "data_scientist"], true));
    await settle();
    expect(notifier.shown.map((n) => n.title)).toEqual(["fraud waits for your approval", "fraud still waits for your approval"]);
    expect(notifier.asks).toBe(1);

    here = profile("product_manager");
    await emit("engine", asked(["engineer", "data_scientist"]));
    await settle();
    expect(notifier.shown, "the profile chosen now counts, not the one at start").toHaveLength(2);

    here = profile("data_scientist");
    stop();
    await emit("engine", asked(["data_scientist"]));
    await settle();
    expect(notifier.shown, "nothing after stopping").toHaveLength(2);
  });

  it("shows every alert sent to the desktop, whoever is here, through the same permission asked once", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const notifier = recordingNotifier();
    const stop = await notifyDesktop(() => null, notifier);
    await emit("engine", DRIFT_ALERT);
    await emit("engine", { kind: "alerts_changed" });
    await emit("engine", asked(["engineer"]));
    await emit("engine", { ...DRIFT_ALERT, title: "[RESOLVED] dataset drift: fraud on fraud-prod", critical: false });
    await settle();
    expect(notifier.shown.map((n) => n.title)).toEqual([
      ALERT_TITLE,
      "[RESOLVED] dataset drift: fraud on fraud-prod",
    ]);
    expect(notifier.shown[0].body).toContain("Runbook: https://wiki.example/drift");
    expect(notifier.asks).toBe(1);
    stop();
  });

  it("opens the window where a clicked notice's news is, until it stops", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const notifier = recordingNotifier();
    const opened: Place[] = [];
    const stop = await notifyDesktop(() => profile("engineer"), notifier, () => [], (place) => opened.push(place));
    await emit("engine", asked(["engineer"]));
    await emit("engine", DRIFT_ALERT);
    await settle();
    notifier.shown.forEach((notice) => notifier.click(notice));
    expect(opened).toEqual([
      { kind: "view", view: "rollouts" },
      { kind: "model", name: "fraud" },
    ]);
    stop();
    notifier.click(notifier.shown[0]);
    expect(opened, "no click heard after stopping").toHaveLength(2);
  });

  it("shows nothing when the person declined notifications, and does not ask again", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const notifier = recordingNotifier(false);
    await notifyDesktop(() => profile("engineer"), notifier);
    await emit("engine", asked(["engineer"]));
    await emit("engine", asked(["engineer"], true));
    await settle();
    expect(notifier.shown).toEqual([]);
    expect(notifier.asks).toBe(1);
  });
});
