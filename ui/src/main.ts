import "./lib/locale";
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import "./lib/diagnostics";

export default mount(App, { target: document.getElementById("app")! });
