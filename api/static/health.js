// Customer health: the summary, the category split and the average over time, at-risk records
// and alerts, for the signed-in user. Plain JavaScript; talks only to the public /v1/health API.
// Text from the API is set with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const COLORS = { at_risk: "#dc2626", neutral: "#f59e0b", good: "#16a34a" };
const NAMES = { at_risk: "At risk", neutral: "Neutral", good: "Good" };
const CATEGORIES = ["at_risk", "neutral", "good"];
const params = new URLSearchParams(location.hash.slice(1));
let token = params.get("token") || sessionStorage.getItem("token") || "";

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new Error(`${response.status}: ${detail}`);
  }
  return response.json();
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function drawSplit(summary) {
  const split = $("split");
  split.replaceChildren();
  const shares = $("shares");
  shares.replaceChildren();
  for (const c of summary.categories) {
    const part = el("span", "", `part ${c.category}`);
    part.style.width = `${c.percent}%`;
    part.style.background = COLORS[c.category];
    part.title = `${NAMES[c.category]}: ${c.percent}%`;
    split.append(part);
    const item = el("li", `${NAMES[c.category]} ${c.percent}% (${c.count})`, `share ${c.category}`);
    item.dataset.category = c.category;
    shares.append(item);
  }
}

function drawChart(points) {
  const chart = $("chart");
  chart.replaceChildren();
  const width = Number(chart.getAttribute("width")), height = Number(chart.getAttribute("height"));
  const pad = 24, plotH = height - pad * 1.5, n = Math.max(points.length, 1);
  const step = (width - pad * 2) / n, bar = Math.max(step - 2, 1);
  chart.append(svg("line", { x1: pad, y1: pad / 2 + plotH, x2: width - pad, y2: pad / 2 + plotH, stroke: "#cbd2d9" }));
  const line = [];
  points.forEach((p, i) => {
    const total = CATEGORIES.reduce((s, c) => s + (p.counts[c] || 0), 0) || 1;
    let y = pad / 2 + plotH;
    for (const c of CATEGORIES) {
      const h = (plotH * (p.counts[c] || 0)) / total;
      y -= h;
      const rect = svg("rect", { x: pad + i * step, y, width: bar, height: h, fill: COLORS[c], "fill-opacity": 0.55,
        class: `bar ${c}`, "data-day": p.day });
      const tip = svg("title", {});
      tip.textContent = `${p.day} ${NAMES[c]}: ${p.counts[c] || 0}`;
      rect.append(tip);
      chart.append(rect);
    }
    if (p.average !== null) line.push(`${pad + i * step + bar / 2},${pad / 2 + plotH * (1 - p.average / 100)}`);
  });
  if (line.length) {
    chart.append(svg("polyline", { points: line.join(" "), fill: "none", stroke: "#1f2933", "stroke-width": 2,
      id: "average-line" }));
  }
  const label = svg("text", { x: pad, y: height - 2, "font-size": 10, fill: "#616e7c" });
  label.textContent = points.length ? `${points[0].day} → ${points[points.length - 1].day}` : "no snapshots yet";
  chart.append(label);
}

async function load() {
  $("error").hidden = true;
  try {
    const [summary, risky, alerts] = await Promise.all([
      api("/v1/health/summary?days=30"),
      api("/v1/health/records?category=at_risk&limit=20"),
      api("/v1/health/alerts"),
    ]);
    $("headline").textContent =
      `${summary.profile_name}: ${summary.records} records, average ${summary.average ?? "–"}`;
    drawSplit(summary);
    drawChart(summary.over_time);
    $("at-risk").replaceChildren(...(risky.items.length ? risky.items.map((r) => el("li", `${r.name} — ${r.score}`))
      : [el("li", "None.", "hint")]));
    $("alerts").replaceChildren(...(alerts.items.length ? alerts.items.map((a) => {
      const li = el("li", `${a.record.name}: ${NAMES[a.from_category]} → ${NAMES[a.to_category]} (${a.from_score} → ${a.to_score})`);
      const why = a.criteria.map((c) => `${c.label}: ${c.from} → ${c.to} points`).join("; ");
      if (why) li.append(el("div", why, "hint"));
      return li;
    }) : [el("li", "No active alerts.", "hint")]));
    $("health").hidden = false;
  } catch (e) {
    $("health").hidden = true;
    $("error").textContent = e.message;
    $("error").hidden = false;
  }
}

async function signIn(userId) {
  if (userId) token = (await (await fetch(`/widget/dev-token?user=${encodeURIComponent(userId)}`)).json()).token;
  sessionStorage.setItem("token", token);
  await load();
}

(async () => {
  let users = [];
  try { users = (await (await fetch("/widget/dev-users")).json()).users; } catch (_) { /* production */ }
  const select = $("user");
  for (const u of users) select.append(new Option(`${u.name} (${u.id})`, u.id));
  select.addEventListener("change", () => signIn(select.value));
  const wanted = params.get("user");
  if (wanted && users.some((u) => u.id === wanted)) select.value = wanted;
  if (users.length) await signIn(select.value);
  else await load();
})();
