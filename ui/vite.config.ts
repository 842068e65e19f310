import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Built into ui/dist, which the desktop binary embeds. No dev server is used by the app.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.44+ (Debian 12's is newer): keep modern CSS such as light-dark() as written.
    target: "safari17",
    cssTarget: "safari18",
    // One CSS file, no inline styles: the window's CSP allows only 'self' for styles.
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
  // Vitest mounts components in jsdom: use Svelte's browser build there, not its server build.
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/testSetup.ts"],
  },
}));
