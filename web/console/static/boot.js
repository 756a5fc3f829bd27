// Loader glue only: the console is the Leptos app in pkg/. A file of its own, not an inline script,
// so the console's Content-Security-Policy allows no inline script at all.
import init, { start } from "/console/pkg/minyi_console.js";

init({ module_or_path: "/console/pkg/minyi_console_bg.wasm" })
  .then(() => start(location.origin, navigator.language || "zh-CN"))
  .catch((error) => {
    const root = document.getElementById("console");
    root.setAttribute("role", "alert");
    root.textContent = "工作台加载失败。 The console failed to load.";
    console.error("minyi console:", error);
  });
