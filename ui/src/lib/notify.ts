// Desktop notifications: when the engine says a rollout waits for some roles (`approval_needed`),
// this window tells its person, and only when their profile's role is among them; when the
// engine's alert dispatch sends to a desktop receiver (`alert_notified`), this window shows it.
// The words come from the engine; permission is asked once, when the first notice is due, not at
// launch.

import { isPermissionGranted, requestPermission, sendNotification } from "@tauri-apps/plugin-notification";
import { api } from "./api";
import { isolate, isolating } from "./bidi";
import type { EngineEvent, Profile } from "./bindings";

/** One desktop notification. */
export interface Notice {
  title: string;
  body: string;
}

/** How notices reach the person. */
export interface Notifier {
  /** Whether notifications may be shown, asking the person if they were never asked. */
  allowed(): Promise<boolean>;
  show(notice: Notice): void;
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
  };
}

/** What to show for an alert the engine routed to the desktop: its title and body, as sent, `names` isolated. */
export function alertNotice(event: EngineEvent, names: readonly string[] = []): Notice | null {
  return event.kind === "alert_notified" ? { title: event.title, body: isolating(event.body, names) } : null;
}

/** The desktop's own notifications, through the notification plugin. */
export const desktopNotifier: Notifier = {
  async allowed() {
    if (await isPermissionGranted()) return true;
    return (await requestPermission()) === "granted";
  },
  show: (notice) => sendNotification(notice),
};

/**
 * Notifies the person `whoIsHere()` names of each sign-off asked of their role, and of each alert
 * sent to the desktop, from now on; resolves to a function that stops listening. Permission is
 * asked at most once per window. `names()` gives the fleet's names (servers, models, versions,
 * labels), which are isolated in the engine's words.
 */
export async function notifyDesktop(
  whoIsHere: () => Profile | null,
  notifier: Notifier = desktopNotifier,
  names: () => readonly string[] = () => [],
): Promise<() => void> {
  let permission: Promise<boolean> | null = null;
  const deliver = async (notice: Notice) => {
    permission ??= notifier.allowed().catch(() => false);
    if (await permission) notifier.show(notice);
  };
  return api.onEngineEvent((event) => {
    const notice = approvalNotice(event, whoIsHere(), names()) ?? alertNotice(event, names());
    if (notice) void deliver(notice);
  });
}
