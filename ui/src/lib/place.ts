// Where a link (`vigil-desktop --open …`, a `vigil://` link) takes the window once the fleet is
// read: a view, a model's drift, or a model — waited for while the first polls may still bring
// it, then said to be missing.

import type { ModelOverview, Place } from "./bindings";
import { SECTIONS, type SectionId } from "../views/sections";

/** How long a link's model may take to appear (the first polls after a start) before the window says it is not here. */
export const WAIT_FOR_MODEL_MS = 20_000;

export type Destination =
  | { go: "view"; view: SectionId }
  | { go: "drift"; model: string }
  | { go: "model"; key: string }
  | { go: "wait" }
  | { go: "missing"; model: string };

/** Where `place` leads, `waitedMs` after it was asked for, in a fleet serving `models`. */
export function destination(place: Place, waitedMs: number, models: readonly ModelOverview[]): Destination {
  switch (place.kind) {
    case "view":
      return { go: "view", view: SECTIONS.find((s) => s.id === place.view)?.id ?? "fleet" };
    case "drift":
      return { go: "drift", model: place.name };
    case "model": {
      const model = models.find((m) => m.model === place.name);
      if (model) return { go: "model", key: `${model.server}/${model.model}` };
      return waitedMs < WAIT_FOR_MODEL_MS ? { go: "wait" } : { go: "missing", model: place.name };
    }
  }
}
