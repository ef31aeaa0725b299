// Charts with plotly.js (served by the service from the installed plotly package: offline).
//
// Plotly reads a few HTML-like tags in text (<b>, <br>, <a href>, entities), so every label
// that may come from a post goes through `plotText`, which escapes them: a hashtag such as
// "<b>x</b>" is drawn as those characters. Persian digits: plotly formats numbers and dates
// with Latin digits, so an observer rewrites the digits of each chart's SVG text as it is
// drawn (axes, legends, hover labels). Jalali dates: the axes use plotly's Jalali calendar.

import { dec, num, persianDigits } from "./dom.js";

export const PALETTE = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#14b8a6", "#eab308", "#64748b"];
export const TONE = { positive: "#16a34a", neutral: "#94a3b8", negative: "#dc2626" };
const PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
const CONFIG = { displaylogo: false, displayModeBar: false, responsive: true };
const display = { calendar: "gregorian", language: "en" };

export function setChartDisplay(settings) {
  Object.assign(display, settings);
}

/** Text for a plotly label: its markup characters escaped, so it is drawn as written. */
export function plotText(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function colorOf(index) {
  return PALETTE[index % PALETTE.length];
}

function layout(extra = {}) {
  return {
    margin: { t: 8, r: 12, b: 36, l: 48 },
    font: { family: "Vazirmatn, system-ui, sans-serif", size: 12, color: "#1d2330" },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    legend: { orientation: "h", y: -0.18 },
    hoverlabel: { font: { family: "Vazirmatn, system-ui, sans-serif" } },
    separators: ".,",
    ...extra,
  };
}

/** A value axis of counts: whole numbers only (no 0.2 posts), from zero. */
function countAxis(values) {
  const top = Math.max(0, ...values.filter((v) => Number.isFinite(v)));
  return { rangemode: "tozero", tickformat: ",d", ...(top <= 8 ? { dtick: 1 } : {}) };
}

function timeAxis(extra = {}) {
  // plotly names Jalali months in Latin transliteration; numeric dates read better in Persian.
  const jalali = display.calendar === "jalali";
  return { type: "date", calendar: jalali ? "jalali" : "gregorian", ...(jalali ? { tickformat: "%Y-%m-%d" } : {}), ...extra };
}

const observed = new WeakSet();

function persianize(node) {
  for (const text of node.querySelectorAll ? node.querySelectorAll("text, tspan") : []) {
    for (const child of text.childNodes) {
      if (child.nodeType === Node.TEXT_NODE && /[0-9]/.test(child.data)) {
        child.data = child.data.replace(/[0-9]/g, (d) => PERSIAN[d]);
      }
    }
  }
}

async function draw(node, traces, chartLayout) {
  await window.Plotly.react(node, traces, chartLayout, CONFIG);
  if (persianDigits()) {
    persianize(node);
    if (!observed.has(node)) {
      observed.add(node);
      new MutationObserver(() => persianize(node)).observe(node, { childList: true, subtree: true, characterData: true });
    }
  }
  node.dataset.drawn = "true";
}

/** Lines over time, one per series: [{name, times, values, color}]. */
export function lines(node, series, { yTitle = "" } = {}) {
  const traces = series.map((s, i) => ({
    type: "scatter",
    mode: "lines",
    name: plotText(s.name),
    x: s.times,
    y: s.values,
    line: { width: 2, color: s.color || colorOf(i) },
    hovertemplate: `${plotText(s.name)}: %{y}<extra></extra>`,
  }));
  return draw(node, traces, layout({ xaxis: timeAxis(), yaxis: { title: { text: yTitle }, rangemode: "tozero" } }));
}

/** Stacked bars over time: [{name, times, values, color}]. */
export function stackedTime(node, series, { yTitle = "" } = {}) {
  const traces = series.map((s) => ({
    type: "bar",
    name: plotText(s.name),
    x: s.times,
    y: s.values,
    marker: { color: s.color },
    hovertemplate: `${plotText(s.name)}: %{y}<extra></extra>`,
  }));
  return draw(node, traces, layout({ barmode: "stack", bargap: 0.1, xaxis: timeAxis(), yaxis: { title: { text: yTitle } } }));
}

export function donut(node, labels, values, colors) {
  return draw(
    node,
    [{
      type: "pie",
      hole: 0.55,
      labels: labels.map(plotText),
      values,
      sort: false,
      marker: { colors },
      textinfo: "percent",
      hovertemplate: "%{label}: %{value} (%{percent})<extra></extra>",
    }],
    layout({ margin: { t: 8, r: 8, b: 8, l: 8 }, legend: { orientation: "v" } }),
  );
}

/** Net sentiment per brand with its 95% interval as error bars. */
export function netBars(node, names, nets, margins, colors) {
  return draw(
    node,
    [{
      type: "bar",
      x: names.map(plotText),
      y: nets,
      marker: { color: colors },
      error_y: { type: "data", array: margins, visible: true, color: "#1d2330", thickness: 1.5, width: 6 },
      customdata: margins.map((m) => dec(m)),
      hovertemplate: "%{x}: %{y:.2f} ± %{customdata}<extra></extra>",
    }],
    layout({ yaxis: { range: [-1, 1], zeroline: true, zerolinecolor: "#64748b", title: { text: "" } }, showlegend: false }),
  );
}

/** Horizontal bars of terms, most first at the top: [{term, authors, posts}]. */
export function termBars(node, terms, { prefix = "", color = "#2563eb", value = "authors" } = {}) {
  const ordered = terms.slice().reverse();
  return draw(
    node,
    [{
      type: "bar",
      orientation: "h",
      x: ordered.map((t) => t[value]),
      y: ordered.map((t) => plotText(prefix + t.term)),
      marker: { color },
      hovertemplate: "%{y}: %{x}<extra></extra>",
    }],
    layout({
      margin: { t: 8, r: 12, b: 32, l: 12 },
      yaxis: { automargin: true, type: "category" },
      xaxis: countAxis(ordered.map((t) => t[value])),
      showlegend: false,
    }),
  );
}

/** Grouped or stacked bars per category: series [{name, values, color}] over `categories`. */
export function groupedBars(node, categories, series, { barmode = "group", horizontal = false, percent = false } = {}) {
  const traces = series.map((s) => ({
    type: "bar",
    orientation: horizontal ? "h" : "v",
    name: plotText(s.name),
    [horizontal ? "y" : "x"]: categories.map(plotText),
    [horizontal ? "x" : "y"]: s.values,
    marker: { color: s.color },
    hovertemplate: `${plotText(s.name)}: %{${horizontal ? "x" : "y"}}<extra></extra>`,
  }));
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + (barmode === "stack" ? s.values[i] : 0), 0));
  const valueAxis = percent
    ? { tickformat: ".0%", range: [0, 1] }
    : countAxis(barmode === "stack" ? totals : series.flatMap((s) => s.values));
  return draw(
    node,
    traces,
    layout({
      barmode,
      [horizontal ? "xaxis" : "yaxis"]: valueAxis,
      [horizontal ? "yaxis" : "xaxis"]: { automargin: true, type: "category" },
    }),
  );
}

export { num };
