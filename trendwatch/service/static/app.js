// The web app: state in the address bar, filters, tabs, loading each view and the post list.
//
// The address bar is the state (view, window, filters, search, alert): a link from an alert
// notification (`/?brand=…&from=…&to=…&alert=…`) opens the page filtered to it, and any view
// can be bookmarked or shared. Every view is drawn by its module from one API answer.

import { ApiError, adoptTokenFromUrl, get, setToken } from "./api.js";
import { setChartDisplay } from "./charts.js";
import { append, clear, el, num, setDisplay } from "./dom.js";
import { setLanguage, t, translatePage } from "./i18n.js";
import { postCard, queryError } from "./posts.js";
import * as alerts from "./view-alerts.js";
import * as brand from "./view-brand.js";
import * as compare from "./view-compare.js";
import * as overview from "./view-overview.js";

const VIEWS = {
  overview: { api: "/api/overview", module: overview },
  compare: { api: "/api/compare", module: compare },
  brand: { api: "/api/brand", module: brand },
  alerts: { api: "/api/alerts", module: alerts },
};
const DEFAULTS = {
  view: "overview", range: "7d", from: "", to: "", brand: "", platform: "", lang: "",
  q: "", order: "newest", alert: "", status: "", rule: "",
};
const PAGE = 20;
const REFRESH_MS = 60_000;

const state = { ...DEFAULTS };
const $ = (id) => document.getElementById(id);
let meta = null;
let postsShown = 0;
let generation = 0;

function readAddress() {
  const params = new URLSearchParams(location.search);
  for (const key of Object.keys(DEFAULTS)) if (params.has(key)) state[key] = params.get(key);
  if (params.has("hashtag")) state.q = `#${params.get("hashtag").replace(/^#/, "")}`;
  if (params.has("topic")) state.q = `"${params.get("topic").replaceAll('"', "")}"`;
  if (state.from && !params.has("range")) state.range = "custom";
  if (state.alert && !params.has("view")) state.view = "alerts";
  if (!(state.view in VIEWS)) state.view = DEFAULTS.view;
}

function writeAddress() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    if (value && value !== DEFAULTS[key] && !(key === "range" && value === "custom")) params.set(key, value);
  }
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function windowParams() {
  return state.range === "custom" || state.from
    ? { from: state.from, to: state.to }
    : { range: state.range, to: state.to };
}

const filterParams = () => ({ brand: state.brand, platform: state.platform, lang: state.lang });

function setStatus(text, kind = "") {
  const status = $("status");
  status.textContent = text;
  status.className = kind;
}

function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    $("token-box").hidden = false;
    document.body.dataset.state = "token";
    setStatus("");
    return;
  }
  setStatus(t("status.error", { error: error.message }), "error");
  document.body.dataset.state = "error";
}

function fillSelect(select, values, labelOf = (v) => v) {
  const keep = select.value;
  for (const option of [...select.options].slice(1)) option.remove();
  for (const value of values) select.append(el("option", { value }, labelOf(value)));
  if (keep && !values.includes(keep)) select.append(el("option", { value: keep }, labelOf(keep)));
  select.value = keep;
}

function applyDisplay(display) {
  const root = document.documentElement;
  root.lang = display.language;
  root.dir = display.language === "fa" ? "rtl" : "ltr";
  setLanguage(display.language);
  setDisplay(display);
  setChartDisplay(display);
  translatePage();
}

async function loadMeta() {
  meta = await get("/api/meta", windowParams());
  applyDisplay(meta.display);
  fillSelect($("f-brand"), meta.brands.map((b) => b.name));
  fillSelect($("f-platform"), meta.platforms);
  fillSelect($("f-lang"), meta.languages);
  $("f-brand").value = state.brand;
  $("f-platform").value = state.platform;
  $("f-lang").value = state.lang;
  const custom = $("f-range-custom");
  custom.hidden = state.range !== "custom";
  custom.textContent = t("range.custom", { since: meta.window.since_display, until: meta.window.until_display });
  $("f-range").value = state.range;
  $("f-q").value = state.q;
}

const ctx = {
  get meta() {
    return meta;
  },
  state,
  set(changes) {
    Object.assign(state, changes);
    writeAddress();
    return loadView();
  },
  reload: () => loadView(),
  fail,
  openAlert(key) {
    ctx.set({ view: "alerts", alert: key });
  },
};

async function loadView() {
  const mine = ++generation;
  const spec = VIEWS[state.view];
  for (const tab of document.querySelectorAll("#tabs [data-view]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === state.view));
  }
  document.body.dataset.view = state.view;
  const root = $("view");
  root.dataset.loaded = "";
  const extra = state.view === "alerts" ? { status: state.status, rule: state.rule } : {};
  const data = await get(spec.api, { ...windowParams(), ...filterParams(), ...extra });
  if (mine !== generation) return;
  clear(root);
  spec.module.render(root, data, ctx);
  root.dataset.loaded = state.view;
}

async function loadPosts({ more = false } = {}) {
  const list = $("posts");
  const box = $("q-error");
  if (!more) postsShown = 0;
  let data;
  try {
    data = await get("/api/posts", {
      ...windowParams(), ...filterParams(), q: state.q, order: state.order, limit: PAGE, offset: postsShown,
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 400 && error.body.param === "q") {
      queryError(box, error.body);
      list.replaceChildren();
      $("posts-count").textContent = "";
      $("posts-more").hidden = true;
      return;
    }
    throw error;
  }
  queryError(box, null);
  const names = meta.brands.map((b) => b.name);
  if (!more) list.replaceChildren();
  append(list, data.posts.map((p) => postCard(p, names)));
  postsShown += data.posts.length;
  if (!postsShown) list.append(el("li", { class: "muted empty" }, t("posts.none")));
  $("posts-title").textContent = t(state.q ? "posts.search_title" : "posts.title");
  $("posts-count").textContent = t("posts.shown", { n: num(postsShown) });
  $("posts-more").hidden = !data.more;
  $("f-clear").hidden = !state.q;
  $("posts-order").value = state.order;
}

async function refresh({ metaToo = false } = {}) {
  document.body.dataset.state = "loading";
  setStatus(t("status.loading"));
  try {
    if (metaToo || !meta) await loadMeta();
    await Promise.all([loadView(), loadPosts()]);
    const time = new Intl.DateTimeFormat(document.documentElement.lang === "fa" ? "fa-IR" : "en-US", {
      timeStyle: "short",
      timeZone: meta.display.timezone,
      numberingSystem: meta.display.digits === "persian" ? "arabext" : "latn",
    }).format(new Date());
    setStatus(t("status.updated", { time }));
    document.body.dataset.state = "ready";
  } catch (error) {
    fail(error);
  }
}

function bind() {
  for (const tab of document.querySelectorAll("#tabs [data-view]")) {
    tab.addEventListener("click", () => {
      state.view = tab.dataset.view;
      writeAddress();
      refresh();
    });
  }
  $("f-range").addEventListener("change", (event) => {
    Object.assign(state, { range: event.target.value, from: "", to: "" });
    writeAddress();
    refresh({ metaToo: true });
  });
  for (const name of ["brand", "platform", "lang"]) {
    $(`f-${name}`).addEventListener("change", (event) => {
      state[name] = event.target.value;
      writeAddress();
      refresh();
    });
  }
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = $("f-q").value.trim();
    writeAddress();
    loadPosts().catch(fail);
  });
  $("f-clear").addEventListener("click", () => {
    state.q = "";
    $("f-q").value = "";
    writeAddress();
    loadPosts().catch(fail);
  });
  $("posts-order").addEventListener("change", (event) => {
    state.order = event.target.value;
    writeAddress();
    loadPosts().catch(fail);
  });
  $("posts-more").addEventListener("click", () => loadPosts({ more: true }).catch(fail));
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setToken($("token-input").value.trim());
    $("token-box").hidden = true;
    refresh({ metaToo: true });
  });
  setInterval(() => {
    // Live windows follow the clock; the Alerts view is left alone (someone may be acting on it).
    const live = !state.to && !state.from && state.view !== "alerts";
    if (live && document.visibilityState === "visible" && document.body.dataset.state === "ready") {
      refresh();
    }
  }, REFRESH_MS);
}

adoptTokenFromUrl();
readAddress();
bind();
refresh({ metaToo: true });
