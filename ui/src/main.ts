import "./lib/locale";
import { mount } from "svelte";
import { api } from "./lib/api";
import App from "./App.svelte";
import StartupTrouble from "./views/StartupTrouble.svelte";
import "./app.css";
import "./lib/diagnostics";

// An engine that could not start leaves the window only its reason to show.
const target = document.getElementById("app")!;
const trouble = await api.startupTrouble().catch(() => null);
export default trouble ? mount(StartupTrouble, { target, props: { trouble } }) : mount(App, { target });
