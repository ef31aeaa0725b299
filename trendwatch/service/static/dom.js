// Building the page safely. Every string that came from a post (text, author, hashtag, term)
// is untrusted: it only ever becomes a Text node or an attribute value set through the DOM,
// never markup: no DOM sink that parses HTML is used anywhere in this app.

import { t } from "./i18n.js";

const display = { digits: "latin", language: "en" };
let numbers = new Intl.NumberFormat("en-US");
let decimals = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
let percents = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });
const PERSIAN = "۰۱۲۳۴۵۶۷۸۹";

export function setDisplay(settings) {
  Object.assign(display, settings);
  const base = settings.language === "fa" ? "fa-IR" : "en-US";
  const locale = `${base}-u-nu-${settings.digits === "persian" ? "arabext" : "latn"}`;
  numbers = new Intl.NumberFormat(locale);
  decimals = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  percents = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
}

export const persianDigits = () => display.digits === "persian";

/** ASCII digits in `text` as the display wants them (for strings built here, not post text). */
export function digits(text) {
  return persianDigits() ? String(text).replace(/[0-9]/g, (d) => PERSIAN[d]) : String(text);
}

export const num = (n) => (n === null || n === undefined ? "–" : numbers.format(n));
export const dec = (n) => (n === null || n === undefined ? "–" : decimals.format(n));
export const pct = (x) => (x === null || x === undefined ? "–" : percents.format(x));
export const signed = (x) => (x === null || x === undefined ? "–" : (x > 0 ? "+" : x < 0 ? "−" : "") + dec(Math.abs(x)));

/**
 * An element. `children` may be strings (become text), nodes, or null (skipped);
 * `attrs` are set as properties or attributes, never parsed as HTML.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A link only for http(s) URLs (the server already drops others; this is a second check). */
export function safeLink(url, label) {
  if (typeof url !== "string") return null;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  return el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer nofollow" }, label);
}

export function card(title, ...children) {
  return el("section", { class: "card" }, title ? el("h2", {}, title) : null, ...children);
}

/** A chart's box: always left-to-right inside (plotly lays out its SVG for that; labels in
 * Persian still read right to left), whatever the page's direction. */
export function chartBox(className = "chart") {
  return el("div", { class: className, dir: "ltr" });
}

/** A table from column headers and rows of cells (strings or nodes). */
export function table(headers, rows, attrs = {}) {
  return el(
    "table",
    attrs,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((cells) => (cells instanceof Node ? cells : el("tr", {}, cells.map((c) => el("td", { dir: "auto" }, c)))))),
  );
}

export function toneBadge(label) {
  return el("span", { class: `badge tone-${label}` }, t(`tone.${label}`));
}

export function netWithMargin(tone) {
  if (!tone || tone.net === null) return "–";
  return `${signed(tone.net)} ± ${dec(tone.margin)}`;
}

export function clear(node) {
  const plotly = window.Plotly;
  if (plotly) for (const chart of node.querySelectorAll(".js-plotly-plot")) plotly.purge(chart);
  node.replaceChildren();
}
