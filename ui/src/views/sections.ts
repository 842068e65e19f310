// The sections of the window, in navigation order, with what each one is for.

import type { IconName } from "../components/Icon.svelte";

export type SectionId = "fleet" | "alerts" | "rollouts" | "drift" | "cost" | "audit" | "settings";

export interface Section {
  id: SectionId;
  label: string;
  icon: IconName;
  /** For sections whose data comes from features still to be switched on: what they will show. */
  empty?: { title: string; body: string; next: string };
}

export const SECTIONS: Section[] = [
  { id: "fleet", label: "Fleet", icon: "fleet" },
  { id: "alerts", label: "Alerts", icon: "alert" },
  {
    id: "rollouts",
    label: "Rollouts",
    icon: "rollouts",
    empty: {
      title: "No rollouts yet",
      body: "When a new model version appears on a server, its staged rollout shows here: the traffic split, the gates it must pass, and who must approve each step.",
      next: "Add a server on the Fleet page; versions it serves become revisions you can roll out.",
    },
  },
  {
    id: "drift",
    label: "Drift",
    icon: "drift",
    empty: {
      title: "No drift reports yet",
      body: "Drift compares what a model sees in production with the data it was trained on, feature by feature, and tells you which inputs have moved and since when.",
      next: "Drift reports need a reference data set for a model and its live inference data.",
    },
  },
  { id: "cost", label: "Cost", icon: "cost" },
  { id: "audit", label: "Audit", icon: "audit" },
  { id: "settings", label: "Settings", icon: "settings" },
];
