// What the window remembers between launches: the role and the theme.

export type Role = "engineer" | "data_scientist" | "product_manager";
export type Theme = "system" | "light" | "dark";

export const ROLES: { id: Role; label: string; short: string }[] = [
  { id: "engineer", label: "Engineer", short: "Eng" },
  { id: "data_scientist", label: "Data scientist", short: "DS" },
  { id: "product_manager", label: "Product manager", short: "PM" },
];

const ROLE_KEY = "vigil.role";
const THEME_KEY = "vigil.theme";

function read<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
  const stored = globalThis.localStorage?.getItem(key);
  return allowed.includes(stored as T) ? (stored as T) : fallback;
}

export class Preferences {
  role = $state<Role>(read(ROLE_KEY, ROLES.map((r) => r.id), "engineer"));
  theme = $state<Theme>(read(THEME_KEY, ["system", "light", "dark"] as const, "system"));

  setRole(role: Role): void {
    this.role = role;
    globalThis.localStorage?.setItem(ROLE_KEY, role);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    globalThis.localStorage?.setItem(THEME_KEY, theme);
  }
}
