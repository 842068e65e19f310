// The drift view's state and actions: the model, version, range and column chosen, what is read
// for them (the report, drift over time, the versions, the reference data), and running a report
// now. views/DriftView.svelte and its columns table show it. Made while the view initialises:
// its effects read again whenever a choice or the newest report changes, for as long as the view lives.

import { untrack } from "svelte";
import { api, ApiError, toApiError } from "./api";
import type { ColumnDrift, DriftReport, DriftTimeline, ReferenceSummary } from "./bindings";
import {
  byAttention,
  driftRange,
  rangeOfReport,
  sortColumns,
  type ColumnSortKey,
  type DriftRangeId,
  type LatestDrift,
} from "./drift";
import type { DriftLatest } from "./driftStore.svelte";
import { isolate } from "./bidi";

/** A model of the list, with its newest report's verdict when it has one. */
export interface ListedModel {
  model: string;
  latest: LatestDrift | null;
}

export class DriftViewState {
  readonly #drift: DriftLatest;
  /** The fleet's models, listed even before they have a report. */
  readonly #models: () => string[];

  #chosen = $state<string | null>(null);
  /** Models whose reference was imported here, listed before their first report. */
  #imported = $state<string[]>([]);
  range = $state<DriftRangeId>("24h");
  timeline = $state<DriftTimeline | null>(null);
  timelineError = $state<ApiError | null>(null);
  reference = $state<{ model: string; summary: ReferenceSummary | null } | null>(null);
  running = $state(false);
  runError = $state<ApiError | null>(null);
  sort = $state<{ key: ColumnSortKey; reversed: boolean }>({ key: "severity", reversed: false });
  /** The column chosen in the table; none: the table's first. */
  columnChoice = $state<string | null>(null);
  /** The chosen model's versions with live data or a reference of their own. */
  #versions = $state<{ model: string; list: string[] } | null>(null);
  /** The version picked for a model (null: all versions); none picked: the newest report's. */
  #versionPick = $state<{ model: string; version: string | null } | null>(null);
  /** The report last run here for the picked version, shown while the newest report is another version's. */
  #versionReport = $state<DriftReport | null>(null);
  /** Grows when an import may have added a version. */
  #versionsStamp = $state(0);
  #timelineReads = 0;
  #versionReads = 0;

  /** Every model to list: those with a report (drifted first), then the fleet's and imported ones without. */
  listed = $derived.by((): ListedModel[] => {
    const withReport = byAttention(this.#drift.latest);
    const names = new Set(withReport.map((l) => l.model));
    const others = [...new Set([...this.#models(), ...this.#imported])].filter((m) => !names.has(m)).sort();
    return [...withReport.map((l) => ({ model: l.model, latest: l })), ...others.map((model) => ({ model, latest: null }))];
  });
  selected = $derived(this.listed.find((l) => l.model === this.#chosen) ?? this.listed[0] ?? null);
  latest = $derived(this.selected?.latest ?? null);
  /** The version picked for the selected model, if one was. */
  picked = $derived(
    this.#versionPick && this.#versionPick.model === this.selected?.model ? this.#versionPick : null,
  );
  report = $derived.by<DriftReport | null>(() => {
    const picked = this.picked;
    if (!picked || this.latest?.version === picked.version) return this.latest?.report ?? null;
    const own = this.#versionReport;
    return own?.model === picked.model && own.version === picked.version ? own : null;
  });
  columns = $derived(this.report ? sortColumns(this.report.columns, this.sort.key, this.sort.reversed) : []);
  column = $derived<ColumnDrift | null>(
    this.columns.find((c) => c.column === this.columnChoice) ?? this.columns[0] ?? null,
  );
  showEmpty = $derived.by(() => this.listed.length === 0 && this.#drift.loaded && !this.#drift.loadError);
  selectedVersion = $derived(this.picked ? this.picked.version : (this.latest?.version ?? null));
  /** The version picker's choices: every version together, then each ("v:" keeps a version apart from "all"). */
  versionOptions = $derived<[string, string][]>(
    this.#versions && this.#versions.model === this.selected?.model && this.#versions.list.length > 1
      ? [["all", "All versions"], ...this.#versions.list.map((v): [string, string] => [`v:${v}`, `Version ${isolate(v)}`])]
      : [],
  );
  #selectedModel = $derived(this.selected?.model ?? null);
  #reportStamp = $derived(this.report?.computed_at ?? null);
  /** A selected model without a report, whose reference data is looked up. */
  #withoutReport = $derived(this.selected && !this.selected.latest ? this.selected.model : null);

  constructor(drift: DriftLatest, models: () => string[], initialModel: string | null) {
    this.#drift = drift;
    this.#models = models;
    this.#chosen = initialModel;

    // A verdict announced by an event comes without its report: read the latest reports again.
    let askedFor = "";
    $effect(() => {
      const latest = this.latest;
      if (latest?.stale) {
        const key = `${latest.model}/${latest.version}/${latest.drifted_features}/${latest.features}`;
        if (key !== askedFor) {
          askedFor = key;
          untrack(() => void drift.reload());
        }
      }
    });

    // The chosen model's timeline for the chosen range; again when a new report arrives for it.
    $effect(() => {
      const model = this.#selectedModel;
      const version = this.selectedVersion;
      void this.#reportStamp;
      const wanted = this.range;
      if (!model) return;
      untrack(() => void this.#loadTimeline(model, version, wanted));
    });

    // The chosen model's versions, again when a report or an import may have added one.
    $effect(() => {
      const model = this.#selectedModel;
      void this.#reportStamp;
      void this.#versionsStamp;
      if (!model) return;
      untrack(() => void this.#loadVersions(model));
    });

    // A model without a report: does it have reference data?
    $effect(() => {
      const model = this.#withoutReport;
      if (!model) return;
      untrack(() => {
        if (this.reference?.model === model) return;
        api.driftReference(model, null).then(
          (summary) => (this.reference = { model, summary }),
          (thrown) => (this.runError = toApiError(thrown)),
        );
      });
    });

    // The range follows the report's own span when it matches a preset.
    let rangeFrom = "";
    $effect(() => {
      const r = this.report;
      if (!r || r.computed_at + r.model === rangeFrom) return;
      rangeFrom = r.computed_at + r.model;
      const preset = rangeOfReport(r);
      if (preset) untrack(() => (this.range = preset));
    });
  }

  async #loadTimeline(model: string, version: string | null, id: DriftRangeId): Promise<void> {
    const read = ++this.#timelineReads;
    const { fromMs, toMs } = driftRange(id, Date.now());
    try {
      const answer = await api.driftTimeline(model, version, fromMs, toMs);
      if (read !== this.#timelineReads) return;
      this.timeline = answer;
      this.timelineError = null;
    } catch (thrown) {
      if (read !== this.#timelineReads) return;
      this.timeline = null;
      this.timelineError = toApiError(thrown);
    }
  }

  async #loadVersions(model: string): Promise<void> {
    const read = ++this.#versionReads;
    try {
      const list = await api.driftVersions(model);
      if (read === this.#versionReads) this.#versions = { model, list };
    } catch {
      // Without the list the picker stays hidden; the view works on the newest report's version.
      if (read === this.#versionReads) this.#versions = null;
    }
  }

  /** Picks one of `versionOptions` for the selected model and runs its report. */
  pickVersion(id: string): void {
    const model = this.selected?.model;
    if (!model) return;
    this.#versionPick = { model, version: id === "all" ? null : id.slice(2) };
    void this.runNow(model);
  }

  select(model: string): void {
    // The model already shown stays as it is: its timeline would not be read again.
    if (model === this.selected?.model) return;
    this.#chosen = model;
    this.columnChoice = null;
    this.runError = null;
    this.timeline = null;
  }

  /** Runs `model`'s report (the selected one's by default) for the range, now. */
  async runNow(model = this.selected?.model): Promise<void> {
    if (!model) return;
    this.running = true;
    this.runError = null;
    const { fromMs, toMs } = driftRange(this.range, Date.now());
    const pick = this.#versionPick;
    const version = pick?.model === model ? pick.version : (this.#drift.find(model)?.version ?? null);
    try {
      const fresh = await api.driftReport(model, version, fromMs, toMs);
      this.#drift.put(fresh);
      if (this.#versionPick?.model === model) this.#versionReport = fresh;
      this.#chosen = model;
    } catch (thrown) {
      this.runError = toApiError(thrown);
    } finally {
      this.running = false;
    }
  }

  /** A column's test was chosen: it stays on show while the report runs again and the order changes. */
  applied(model: string, column: string): Promise<void> {
    this.columnChoice = column;
    return this.runNow(model);
  }

  /** Reference data was imported here: its model is listed and chosen. */
  referenceImported(summary: ReferenceSummary): void {
    if (!this.#imported.includes(summary.model)) this.#imported = [...this.#imported, summary.model];
    this.reference = { model: summary.model, summary };
    this.#chosen = summary.model;
    this.#versionsStamp++;
  }

  /** Sorts the columns by `key`; by the same key again, the other way round. */
  sortBy(key: ColumnSortKey): void {
    this.sort = { key, reversed: this.sort.key === key ? !this.sort.reversed : false };
  }
}
