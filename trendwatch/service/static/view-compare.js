// Competitor comparison: every brand side by side — volume, reach, tone, complaints, praise.

import { TONE, colorOf, groupedBars, lines } from "./charts.js";
import { card, chartBox, el, netWithMargin, num, pct, signed, table } from "./dom.js";
import { t } from "./i18n.js";
import { wide } from "./view-overview.js";

function termList(terms, className, prefix = "") {
  if (!terms.length) return el("p", { class: "muted" }, t("compare.none"));
  const top = Math.max(...terms.map((x) => x.authors), 1);
  return el(
    "ol",
    { class: `terms ${className}` },
    terms.map((x) =>
      el("li", {},
        el("span", { class: "term", dir: "auto" }, prefix + x.term),
        el("span", { class: "bar", style: `inline-size:${Math.round((100 * x.authors) / top)}%` }),
        el("span", { class: "count" }, num(x.authors))),
    ),
  );
}

export function render(root, data, ctx) {
  const names = ctx.meta.brands.map((b) => b.name);
  const brands = data.brands;
  const colors = brands.map((b) => colorOf(names.indexOf(b.name)));
  const chosen = data.filters.brand;
  const measures = [
    [t("kpi.posts"), (b) => num(b.posts)],
    [t("kpi.change"), (b) => (b.change === null ? t("kpi.new") : `${signed(b.change * 100)}%`)],
    [t("kpi.share"), (b) => pct(b.share)],
    [t("kpi.authors"), (b) => num(b.authors)],
    [t("kpi.engagement"), (b) => num(b.engagement)],
    [t("kpi.net"), (b) => netWithMargin(b.tone)],
    [t("tone.positive"), (b) => `${num(b.tone.positive)} (${pct(b.posts ? b.tone.positive / b.posts : null)})`],
    [t("tone.neutral"), (b) => `${num(b.tone.neutral)} (${pct(b.posts ? b.tone.neutral / b.posts : null)})`],
    [t("tone.negative"), (b) => `${num(b.tone.negative)} (${pct(b.posts ? b.tone.negative / b.posts : null)})`],
  ];
  const side = table(
    [t("col.measure"), ...brands.map((b) => el("bdi", { class: b.name === chosen ? "chosen" : null }, b.name))],
    measures.map(([label, value]) => [label, ...brands.map(value)]),
    { class: "side-by-side" },
  );
  const volume = chartBox("chart tall");
  const reach = chartBox();
  const tone = chartBox();
  root.append(
    el("div", { class: "grid" },
      wide(card(t("compare.table"), side)),
      wide(card(t("compare.volume"), volume)),
      card(t("compare.reach"), reach),
      card(t("compare.tone"), tone)),
    el("div", { class: "brand-columns" },
      brands.map((b, i) =>
        el("section", { class: `card brand-column${b.name === chosen ? " chosen" : ""}`, dataset: { brand: b.name } },
          el("h2", { dir: "auto" }, el("span", { class: "swatch", style: `background:${colors[i]}` }), b.name),
          el("h3", { class: "negative" }, t("compare.complaints")),
          termList(b.complaints, "complaints"),
          el("h3", { class: "positive" }, t("compare.praise")),
          termList(b.praise, "praise"),
          el("h3", {}, t("compare.hashtags")),
          termList(b.hashtags, "hashtags", "#")),
      )),
  );
  lines(volume, brands.map((b, i) => ({ name: b.name, times: b.series.times, values: b.series.posts, color: colors[i] })),
    { yTitle: t("axis.posts") });
  groupedBars(reach, brands.map((b) => b.name), [
    { name: t("axis.posts"), values: brands.map((b) => b.posts), color: "#2563eb" },
    { name: t("axis.authors"), values: brands.map((b) => b.authors), color: "#93c5fd" },
  ]);
  groupedBars(tone, brands.map((b) => b.name), ["negative", "neutral", "positive"].map((label) => ({
    name: t(`legend.${label}`),
    values: brands.map((b) => (b.posts ? b.tone[label] / b.posts : 0)),
    color: TONE[label],
  })), { barmode: "stack", horizontal: true, percent: true });
}
