// WebKitGTK gives the POSIX locale as navigator.language ("C") when LANG is unset or C, as on
// servers, in CI and under Xvfb. That is no BCP 47 tag: Intl refuses it, and uPlot, which
// formats with it as it loads, would stop the whole window. Such a locale states no
// preference, so the window reads it as en-US. Imported first, before anything formats.

try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
}
