// The embeddable citizen widget: one classic script tag defines <minyi-complaint>. Loader glue only (no
// domain logic): each element gets an open shadow root (so neither the page's CSS nor ours leaks across),
// the scoped stylesheet, and the Leptos app mounted inside. Everything is loaded from the host this
// script came from; the API is that host too unless the element names another with `api`.
//
//   <script src="https://HOST/widget.js"></script>
//   <minyi-complaint district="110105" lang="zh-CN"></minyi-complaint>
//   <minyi-complaint view="track" case="BJ-20261204-000001" token="…"></minyi-complaint>
(() => {
  const script = document.currentScript;
  const base = new URL(".", script && script.src ? script.src : location.href);
  let app = null;

  function loadApp() {
    app ??= import(new URL("pkg/minyi_web.js", base).href).then(async (module) => {
      await module.default({ module_or_path: new URL("pkg/minyi_web_bg.wasm", base) });
      return module;
    });
    return app;
  }

  class MinyiComplaint extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const root = this.attachShadow({ mode: "open" });
      const style = document.createElement("link");
      style.rel = "stylesheet";
      style.href = new URL("widget.css", base).href;
      const mount = document.createElement("div");
      mount.className = "minyi";
      root.append(style, mount);
      const options = {
        api: this.getAttribute("api") || base.href,
        district: this.getAttribute("district") || "",
        lang: this.getAttribute("lang") || document.documentElement.lang || "zh-CN",
        view: this.getAttribute("view") || "form",
        case: this.getAttribute("case") || "",
        token: this.getAttribute("token") || "",
      };
      loadApp()
        .then((module) => module.mount(mount, options))
        .catch((error) => {
          mount.setAttribute("role", "alert");
          mount.textContent = "投诉组件加载失败，请拨打 12345。 The complaint widget failed to load; please call 12345.";
          console.error("minyi widget:", error);
        });
    }
  }

  if (!customElements.get("minyi-complaint")) customElements.define("minyi-complaint", MinyiComplaint);
})();
