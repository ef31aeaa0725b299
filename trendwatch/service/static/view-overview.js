// Overview: mentions over time per brand, share of voice, net sentiment with its interval,
// top hashtags and topics, emerging terms, and the window's alerts.

import { colorOf, donut, lines, netBars, termBars } from "./charts.js";
import { card, chartBox, dec, el, netWithMargin, num, pct, signed, table } from "./dom.js";
import { t } from "./i18n.js";

export function kpiCards(brands, allBrands) {
  return el(
    "div",
    { class: "kpis" },
    brands.map((b) =>
      el("div", { class: `kpi${b.own ? " own" : ""}`, dataset: { brand: b.name } },
        el("div", { class: "kpi-name", dir: "auto" }, el("span", { class: "swatch", style: `background:${colorOf(allBrands.indexOf(b.name))}` }), b.name),
        el("div", { class: "kpi-value" }, num(b.posts), el("small", {}, ` ${t("kpi.posts")}`)),
        el("div", { class: "kpi-row" },
          el("span", {}, b.change === null ? t("kpi.new") : `${signed(b.change * 100)}%`, el("small", {}, ` ${t("kpi.change")}`))),
        el("div", { class: "kpi-row" }, el("span", {}, pct(b.share)), el("small", {}, ` ${t("kpi.share")}`)),
        el("div", { class: "kpi-row" }, el("span", {}, num(b.authors)), el("small", {}, ` ${t("kpi.authors")}`)),
        el("div", { class: "kpi-row" }, el("span", { class: "net" }, netWithMargin(b.tone)), el("small", {}, ` ${t("kpi.net")}`))),
    ),
  );
}

export function alertRows(alerts, go) {
  return alerts.map((a) =>
    el("tr", { class: `alert-row sev-${a.severity} status-${a.status}`, tabindex: "0", dataset: { key: a.key },
               onclick: () => go(a.key), onkeydown: (e) => e.key === "Enter" && go(a.key) },
      el("td", {}, a.started_display),
      el("td", { dir: "auto" }, a.subject),
      el("td", {}, a.rule),
      el("td", {}, el("span", { class: `badge sev-${a.severity}` }, t(`severity.${a.severity}`))),
      el("td", {}, el("span", { class: `badge status-${a.status}` }, t(`alerts.${a.status}`))),
      el("td", {}, `${dec(a.observed)} / ${dec(a.expected)}`)),
  );
}

export function render(root, data, ctx) {
  const names = ctx.meta.brands.map((b) => b.name);
  const colors = data.brands.map((b) => colorOf(names.indexOf(b.name)));
  const mentions = chartBox("chart tall");
  const share = chartBox();
  const net = chartBox();
  const hashtags = chartBox("chart tall");
  const topics = chartBox("chart tall");
  const emerging = data.emerging.length
    ? table(
        [t("col.term"), t("col.kind"), t("col.recent_posts"), t("col.recent_authors")],
        data.emerging.map((e) => [el("bdi", {}, e.kind === "hashtag" ? `#${e.term}` : e.term), t(`kind.${e.kind}`),
          num(e.posts), num(e.authors)]),
        { class: "emerging" },
      )
    : el("p", { class: "muted" }, t("overview.no_emerging"));
  const alerts = data.alerts.length
    ? table([t("col.when"), t("col.subject"), t("col.rule"), t("col.severity"), t("col.status"), t("col.observed")],
        alertRows(data.alerts, ctx.openAlert), { class: "alerts-table" })
    : el("p", { class: "muted" }, t("overview.no_alerts"));
  root.append(
    kpiCards(data.brands, names),
    el("div", { class: "grid" },
      wide(card(t("overview.mentions"), mentions)),
      card(t("overview.share"), share),
      card(t("overview.net"), net),
      card(t("overview.hashtags"), hashtags),
      card(t("overview.topics"), topics),
      card(t("overview.emerging"), emerging),
      wide(card(t("overview.alerts"), alerts))),
  );
  lines(mentions, data.brands.map((b, i) => ({ name: b.name, times: b.series.times, values: b.series.posts, color: colors[i] })),
    { yTitle: t("axis.posts") });
  donut(share, data.brands.map((b) => b.name), data.brands.map((b) => b.posts), colors);
  netBars(net, data.brands.map((b) => b.name), data.brands.map((b) => b.tone.net), data.brands.map((b) => b.tone.margin ?? 0), colors);
  termBars(hashtags, data.hashtags, { prefix: "#", color: "#0ea5e9" });
  termBars(topics, data.topics, { color: "#8b5cf6" });
}

export function wide(section) {
  section.classList.add("wide");
  return section;
}
