// Alerts: episodes open and resolved, by rule, each explained as in notifications; acknowledge
// or mute from here (recorded in the store, so every page and the alert engine see it).

import { post } from "./api.js";
import { groupedBars } from "./charts.js";
import { card, chartBox, dec, el, num, safeLink } from "./dom.js";
import { t } from "./i18n.js";
import { wide } from "./view-overview.js";

const MUTES = [["1h", "alerts.mute_1h"], ["24h", "alerts.mute_24h"], ["7d", "alerts.mute_7d"], ["", "alerts.mute_forever"]];

function explanation(e) {
  return el(
    "div",
    { class: "explanation", dir: e.rtl ? "rtl" : "ltr", lang: e.lang },
    el("p", { class: "summary" }, e.summary),
    el("dl", { class: "facts" }, e.facts.map((f) => [el("dt", {}, f.label), el("dd", {}, f.value)])),
    e.drivers.map((d) => el("p", { class: "drivers" }, el("strong", {}, `${d.label}: `), d.items.join(e.rtl ? "، " : ", "))),
    e.quotes.length
      ? el("div", { class: "quotes" },
          el("strong", {}, t("alerts.posts")),
          el("ul", {}, e.quotes.map((q) =>
            el("li", {}, el("span", { class: "muted" }, `${q.author} · ${q.when}: `), el("q", { dir: "auto" }, q.text), " ", safeLink(q.url, "↗")))))
      : null,
  );
}

function actions(alert, ctx) {
  const act = async (path, body, button) => {
    button.disabled = true;
    try {
      await post(path, body);
      await ctx.reload();
    } catch (error) {
      ctx.fail(error);
      button.disabled = false;
    }
  };
  const duration = el("select", { class: "mute-for", "aria-label": t("alerts.for") },
    MUTES.map(([value, key]) => el("option", { value }, t(key))));
  duration.value = "24h";
  const ack = el("button", { type: "button", class: "ack", disabled: alert.acknowledged !== null },
    t("alerts.ack"));
  ack.addEventListener("click", () => act("/api/alerts/ack", { key: alert.key }, ack));
  const mute = el("button", { type: "button", class: "mute" }, t("alerts.mute"));
  mute.addEventListener("click", () => act("/api/alerts/mute", { key: alert.key, duration: duration.value || null }, mute));
  const unmute = el("button", { type: "button", class: "unmute" }, t("alerts.unmute"));
  unmute.addEventListener("click", () => act("/api/alerts/unmute", { key: alert.key }, unmute));
  return el("div", { class: "actions" }, ack, alert.muted ? unmute : [mute, el("span", { class: "muted" }, t("alerts.for")), duration]);
}

function alertCard(alert, ctx) {
  const e = alert.explanation;
  const highlighted = ctx.state.alert === alert.key;
  const states = [
    alert.acknowledged ? el("span", { class: "badge acked" }, t("alerts.acked", { when: alert.acknowledged.at_display })) : null,
    alert.muted
      ? el("span", { class: "badge muted-badge" },
          alert.muted.until_display ? t("alerts.muted", { until: alert.muted.until_display }) : t("alerts.muted_forever"))
      : null,
  ];
  return el(
    "article",
    { class: `card alert sev-${alert.severity} status-${alert.status}${highlighted ? " highlight" : ""}`, dataset: { key: alert.key } },
    el("header", {},
      el("span", { class: `badge sev-${alert.severity}` }, t(`severity.${alert.severity}`)),
      el("span", { class: `badge status-${alert.status}` }, t(`alerts.${alert.status}`)),
      states,
      el("h3", { dir: e.rtl ? "rtl" : "auto" }, e.title)),
    el("p", { class: "muted meta" },
      el("bdi", {}, alert.rule), " · ", el("bdi", {}, alert.subject), " · ",
      t("alerts.started", { when: alert.started_display }), " · ", t("alerts.last", { when: alert.at_display }), " · ",
      `${dec(alert.observed)} / ${dec(alert.expected)}`, " · ", t("alerts.events", { n: num(alert.events) })),
    el("details", { open: highlighted }, el("summary", {}, t("alerts.details")), explanation(e)),
    actions(alert, ctx),
  );
}

export function render(root, data, ctx) {
  const status = el("select", { id: "alert-status" },
    ["all", "open", "resolved"].map((s) => el("option", { value: s }, t(s === "all" ? "alerts.all" : `alerts.${s}`))));
  status.value = ctx.state.status || "all";
  status.addEventListener("change", () => ctx.set({ status: status.value === "all" ? "" : status.value }));
  const rule = el("select", { id: "alert-rule" },
    el("option", { value: "" }, t("alerts.all_rules")),
    data.by_rule.map((r) => el("option", { value: r.rule }, r.rule)));
  rule.value = ctx.state.rule || "";
  rule.addEventListener("change", () => ctx.set({ rule: rule.value }));
  const byRule = chartBox();
  byRule.style.blockSize = `${Math.max(140, 80 + 42 * data.by_rule.length)}px`;
  root.append(
    el("div", { class: "kpis" },
      el("div", { class: "kpi" }, el("div", { class: "kpi-value", id: "alerts-open" }, num(data.open)), el("small", {}, t("alerts.open"))),
      el("div", { class: "kpi" }, el("div", { class: "kpi-value", id: "alerts-resolved" }, num(data.resolved)), el("small", {}, t("alerts.resolved")))),
    el("div", { class: "grid" }, wide(card(t("alerts.by_rule"), byRule))),
    el("div", { class: "alert-controls" },
      el("label", {}, t("alerts.status"), " ", status),
      el("label", {}, t("alerts.rule"), " ", rule)),
    data.alerts.length
      ? el("div", { class: "alert-list" }, data.alerts.map((a) => alertCard(a, ctx)))
      : el("p", { class: "muted card" }, t("alerts.none")),
  );
  groupedBars(byRule, data.by_rule.map((r) => r.rule), [
    { name: t("alerts.open"), values: data.by_rule.map((r) => r.open), color: "#dc2626" },
    { name: t("alerts.resolved"), values: data.by_rule.map((r) => r.resolved), color: "#16a34a" },
  ], { barmode: "stack", horizontal: true });
  const target = root.querySelector(".alert.highlight");
  if (target) target.scrollIntoView({ block: "center" });
}
