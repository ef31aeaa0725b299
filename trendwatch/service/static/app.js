// The built-in overview page: fetches /api/overview and draws it with plotly.js (served locally).
// Every string from posts (hashtags, subjects) is untrusted: it is only ever set as text.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const headers = token ? { Authorization: `Bearer ${token}` } : {};

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  node.dir = "auto";
  return node;
}

async function load() {
  const range = document.getElementById("range").value;
  const step = range === "24h" ? "15m" : range === "30d" ? "6h" : "1h";
  const status = document.getElementById("status");
  status.textContent = "loading…";
  const response = await fetch(`/api/overview?range=${range}&step=${step}`, { headers });
  if (!response.ok) { status.textContent = `error ${response.status}`; return; }
  const data = await response.json();
  status.textContent = `updated ${new Date().toLocaleTimeString()}`;
  draw(data);
}

function draw(data) {
  const names = Object.keys(data.brands);
  const layout = { margin: { t: 10, r: 10, b: 40, l: 50 }, legend: { orientation: "h" } };
  const config = { displaylogo: false, responsive: true };
  Plotly.react("mentions", names.map((name) => ({
    name, type: "scatter", mode: "lines", x: data.brands[name].times, y: data.brands[name].counts,
  })), { ...layout, yaxis: { title: "posts" } }, config);
  Plotly.react("share", [{
    type: "pie", hole: 0.5, labels: names, values: names.map((n) => data.brands[n].total), sort: false,
  }], layout, config);
  Plotly.react("sentiment", [
    { name: "negative", type: "bar", x: names, y: names.map((n) => data.brands[n].negative), marker: { color: "#c0392b" } },
    { name: "positive", type: "bar", x: names, y: names.map((n) => data.brands[n].positive), marker: { color: "#27ae60" } },
  ], { ...layout, barmode: "group", yaxis: { title: "posts" } }, config);
  const tags = data.hashtags.slice().reverse();
  Plotly.react("hashtags", [{
    type: "bar", orientation: "h", x: tags.map((t) => t.authors), y: tags.map((t) => "#" + t.term),
  }], { ...layout, margin: { ...layout.margin, l: 160 }, xaxis: { title: "unique authors" } }, config);
  const body = document.querySelector("#alerts tbody");
  body.replaceChildren(...data.alerts.map((a) => {
    const row = document.createElement("tr");
    row.append(
      el("td", new Date(a.at).toLocaleString()), el("td", a.rule), el("td", a.subject),
      el("td", a.status, `sev-${a.severity}`), el("td", `${a.observed} / ${a.expected}`), el("td", a.score.toFixed(2)),
    );
    return row;
  }));
}

document.getElementById("range").addEventListener("change", load);
load();
setInterval(load, 60000);
