// Brand drill-down: one brand by platform and language, its tone over time, and the posts and
// authors with the most engagement.

import { TONE, colorOf, donut, groupedBars, stackedTime, termBars } from "./charts.js";
import { card, chartBox, el, netWithMargin, num, table } from "./dom.js";
import { t } from "./i18n.js";
import { postCard } from "./posts.js";
import { kpiCards, wide } from "./view-overview.js";

export function render(root, data, ctx) {
  const names = ctx.meta.brands.map((b) => b.name);
  const brand = data.brand;
  const overTime = chartBox("chart tall");
  const platforms = chartBox();
  const languages = chartBox();
  const hashtags = chartBox("chart tall");
  const topics = chartBox("chart tall");
  const s = data.series;
  const neutral = s.posts.map((n, i) => n - s.positive[i] - s.negative[i]);
  root.append(
    el("h2", { class: "view-title", dir: "auto" }, t("brand.title", { brand: brand.name })),
    kpiCards([brand], names),
    el("div", { class: "grid" },
      wide(card(t("brand.tone_time"), overTime)),
      card(t("brand.platforms"), platforms),
      card(t("brand.languages"), languages),
      wide(card(t("brand.top_posts"), el("ol", { class: "posts top-posts" }, data.top_posts.map((p) => postCard(p, names))))),
      card(t("brand.top_authors"), table(
        [t("col.author"), t("col.posts"), t("col.engagement"), t("col.net")],
        data.top_authors.map((a) => [el("bdi", {}, a.handle || a.id), num(a.posts), num(a.engagement), netWithMargin(a.tone)]),
        { class: "top-authors" },
      )),
      card(t("brand.hashtags"), hashtags),
      card(t("brand.topics"), topics)),
  );
  stackedTime(overTime, [
    { name: t("legend.negative"), times: s.times, values: s.negative, color: TONE.negative },
    { name: t("legend.neutral"), times: s.times, values: neutral, color: TONE.neutral },
    { name: t("legend.positive"), times: s.times, values: s.positive, color: TONE.positive },
  ], { yTitle: t("axis.posts") });
  groupedBars(platforms, data.platforms.map((p) => p.value), ["negative", "neutral", "positive"].map((label) => ({
    name: t(`legend.${label}`),
    values: data.platforms.map((p) => p.tone[label]),
    color: TONE[label],
  })), { barmode: "stack" });
  donut(languages, data.languages.map((l) => l.value), data.languages.map((l) => l.posts), data.languages.map((_, i) => colorOf(i + 3)));
  termBars(hashtags, data.hashtags, { prefix: "#", color: "#0ea5e9" });
  termBars(topics, data.topics, { color: "#8b5cf6" });
}
