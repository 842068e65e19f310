// Desktop notifications: when the engine says a rollout waits for some roles (`approval_needed`),
// this window tells its person, and only when their profile's role is among them; when the
// engine's alert dispatch sends to a desktop receiver (`alert_notified`), this window shows it.
// The words come from the engine; permission is asked once, when the first notice is due, not at
// launch. A click on a notice opens the window where its news is: the rollouts for a sign-off,
// the alerts for an alert.

import { isPermissionGranted, onAction, requestPermission, sendNotification } from "@tauri-apps/plugin-notification";
import { api } from "./api";
import { isolate, isolating } from "./bidi";
import type { EngineEvent, Place, Profile } from "./bindings";

/** One desktop notification, and the place in the window a click on it opens. */
export interface Notice {
  title: string;
  body: string;
  place: Place;
}

/** How notices reach the person. */
export interface Notifier {
  /** Whether notifications may be shown, asking the person if they were never asked. */
  allowed(): Promise<boolean>;
  show(notice: Notice): void;
  /** Calls `open` with the place of each notice clicked; resolves to a function that stops. */
  onClick(open: (place: Place) => void): Promise<() => void>;
}

/**
 * What to tell `profile` about `event`: null unless it asks for their role's sign-off. The model's
 * name, and `names` (the fleet's) in the engine's sentence, are isolated (see `bidi.ts`).
 */
export function approvalNotice(event: EngineEvent, profile: Profile | null, names: readonly string[] = []): Notice | null {
  if (event.kind !== "approval_needed" || !profile || !event.roles.includes(profile.role)) return null;
  const waits = event.late ? "still waits" : "waits";
  return {
    title: `${isolate(event.model)} ${waits} for your approval`,
    body: isolating(event.sentence, [event.model, ...names]),
    place: { kind: "view", view: "rollouts" },
  };
}

/**
 * What to show for an alert the engine routed to the desktop: its title and body, as sent, `names`
 * isolated; a click opens the model the alerts are about, or the Alerts view when they are about
 * several or none.
 */
export function alertNotice(event: EngineEvent, names: readonly string[] = []): Notice | null {
  if (event.kind !== "alert_notified") return null;
  const place: Place = event.model === null ? { kind: "view", view: "alerts" } : { kind: "model", name: event.model };
  return { title: event.title, body: isolating(event.body, names), place };
}

/**
 * The place a clicked notice carries, from what the notification plugin reports of a click: the
 * notice it was shown with, its place in `extra` (a desktop reports `{ notification }` around it).
 */
export function clickedPlace(performed: unknown): Place | null {
  const shown = (performed as { notification?: unknown })?.notification ?? performed;
  const place = (shown as { extra?: { place?: unknown } })?.extra?.place as Partial<Place> | undefined;
  switch (place?.kind) {
    case "view":
      return typeof place.view === "string" ? { kind: "view", view: place.view } : null;
    case "model":
    case "drift":
      return typeof place.name === "string" ? { kind: place.kind, name: place.name } : null;
    default:
      return null;
  }
}

/** The desktop's own notifications, through the notification plugin. */
export const desktopNotifier: Notifier = {
  async allowed() {
    if (await isPermissionGranted()) return true;
    return (await requestPermission()) === "granted";
  },
  show: ({ title, body, place }) => sendNotification({ title, body, extra: { place } }),
  async onClick(open) {
    const listener = await onAction((performed) => {
      const place = clickedPlace(performed);
      if (place) open(place);
    });
    return () => void listener.unregister();
  },
};

/**
 * Notifies the person `whoIsHere()` names of each sign-off asked of their role, and of each alert
 * sent to the desktop, from now on; resolves to a function that stops listening. Permission is
 * asked at most once per window. `names()` gives the fleet's names (servers, models, versions,
 * labels), which are isolated in the engine's words. `open` takes the place of a notice clicked.
 */
export async function notifyDesktop(
  whoIsHere: () => Profile | null,
  notifier: Notifier = desktopNotifier,
  names: () => readonly string[] = () => [],
  open: (place: Place) => void = () => {},
): Promise<() => void> {
  let permission: Promise<boolean> | null = null;
  const deliver = async (notice: Notice) => {
    permission ??= notifier.allowed().catch(() => false);
    if (await permission) notifier.show(notice);
  };
  const clicks = await notifier.onClick(open).catch(() => () => {});
  const events = await api.onEngineEvent((event) => {
    const notice = approvalNotice(event, whoIsHere(), names()) ?? alertNotice(event, names());
    if (notice) void deliver(notice);
  });
  return () => {
    clicks();
    events();
  };
}
