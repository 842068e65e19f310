// The people who act in this window: the profiles stored by the engine, and which one is this
// window's (remembered between launches). Every action on a rollout is taken as that profile.

import { api, ApiError, toApiError } from "./api";
import type { Profile, Role } from "./bindings";

const CURRENT_KEY = "vigil.profile";

export const ROLE_WORDS: Record<Role, string> = {
  engineer: "Engineer",
  data_scientist: "Data scientist",
  product_manager: "Product manager",
};

export class Profiles {
  all = $state<Profile[]>([]);
  /** The name of this window's profile, if one was chosen. */
  currentName = $state<string | null>(globalThis.localStorage?.getItem(CURRENT_KEY) ?? null);
  error = $state<ApiError | null>(null);

  /** This window's profile, once it is among the stored ones. */
  get current(): Profile | null {
    return this.all.find((p) => p.name === this.currentName) ?? null;
  }

  async load(): Promise<void> {
    try {
      this.all = await api.profiles();
      this.error = null;
    } catch (thrown) {
      this.error = toApiError(thrown);
    }
  }

  choose(name: string): void {
    this.currentName = name;
    globalThis.localStorage?.setItem(CURRENT_KEY, name);
  }

  /** Adds a profile (or changes its role) and makes it this window's. */
  async save(profile: Profile): Promise<void> {
    this.all = await api.setProfile(profile);
    this.choose(profile.name.trim());
  }
}
