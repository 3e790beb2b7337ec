// The reference deal sidebar: plain JavaScript, no build step. Talks only to the public API.
"use strict";

const $ = (id) => document.getElementById(id);
const BANNERS = {
  hipaa: "HIPAA mode: recent activities and data-based risks only; no AI content.",
  customer_analysis_off: "AI insights are turned off for this account (Customer Analysis).",
  no_model_configured: "No AI model configured: showing data-based insights only.",
  model_unavailable: "The AI model is unavailable right now: showing data-based insights only.",
  no_activity: "No activity on this deal yet.",
  no_valid_statements: "The AI answer cited no activity it was shown: showing data-based insights only.",
};
const params = new URLSearchParams(location.hash.slice(1));
let token = params.get("token") || sessionStorage.getItem("token") || "";
let current = null; // the insight shown

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${token}`, ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new Error(`${response.status}: ${detail}`);
  }
  return response;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function activityLink(id, label) {
  const a = el("a", label);
  a.href = "#";
  a.dataset.activity = id;
  a.addEventListener("click", (event) => { event.preventDefault(); openActivity(id); });
  return a;
}

// The activities a risk or goal rests on, each named like a recent-activity item (title, then
// type and date); an insight stored before sources were named falls back to the recent items.
function sourceLinks(entry, insight) {
  const known = new Map(insight.recent_activity.items.map((item) => [item.activity_id, item]));
  (entry.sources || []).forEach((item) => known.set(item.activity_id, item));
  return entry.activity_ids.map((id, n) => {
    const item = known.get(id);
    const span = el("span", "", "source");
    span.append(activityLink(id, item ? item.title : `source ${n + 1}`));
    if (item) span.append(el("span", `${item.type} · ${new Date(item.occurred_at).toLocaleDateString()}`, "tag"));
    return span;
  });
}

async function openActivity(id) {
  try {
    const activity = await (await api(`/v1/deals/${encodeURIComponent($("deal").value)}/activities/${encodeURIComponent(id)}`)).json();
    $("activity-title").textContent = activity.title || activity.type;
    $("activity-meta").textContent = `${activity.type} · ${new Date(activity.occurred_at).toLocaleString()}`;
    $("activity-body").textContent = activity.body || "";
    $("activity-dialog").showModal();
  } catch (error) { showError(error.message); }
}

function render(insight) {
  current = insight;
  $("insight").hidden = false;
  const banner = BANNERS[insight.reason];
  $("banner").hidden = !banner;
  $("banner").textContent = banner || "";
  $("banner").className = insight.status === "disabled" ? "banner off" : "banner";
  // stale: the previous insight while a rebuild runs; building: data only until it is ready
  const updating = insight.freshness === "stale" || insight.freshness === "building";
  $("generated").textContent = `Generated ${new Date(insight.generated_at).toLocaleString()}${insight.cached ? " (cached)" : ""}${updating ? " · updating…" : ""}`;
  $("summary").textContent = insight.recent_activity.summary || "";

  const recent = $("recent");
  recent.replaceChildren(...insight.recent_activity.items.map((item) => {
    const li = el("li");
    li.append(activityLink(item.activity_id, item.title), el("span", `${item.type} · ${new Date(item.occurred_at).toLocaleDateString()}`, "tag"));
    return li;
  }));
  if (!insight.recent_activity.items.length) recent.append(el("li", "No visible activity.", "hint"));

  $("risks").replaceChildren(...insight.risks.map((risk) => {
    const li = el("li", risk.text + " ");
    li.append(el("span", risk.source === "model" ? "AI" : "data", risk.source === "model" ? "tag model" : "tag"));
    li.append(...sourceLinks(risk, insight));
    return li;
  }));
  if (!insight.risks.length) $("risks").append(el("li", "No risks found.", "hint"));

  $("goals").replaceChildren(...insight.buyer_goals.map((goal) => {
    const li = el("li", goal.text + " ");
    li.append(...sourceLinks(goal, insight));
    return li;
  }));
  if (!insight.buyer_goals.length) {
    $("goals").append(el("li", insight.status === "ai" ? "No goals stated in the activities." : "Available with AI insights.", "hint"));
  }
  const b = insight.basis;
  const counted = b.activity_count.toLocaleString("en-US") + (b.activity_count_capped ? "+" : "");
  $("basis").textContent = `Based on ${counted} activities you can see` +
    (b.newest_activity_at ? `, newest ${new Date(b.newest_activity_at).toLocaleDateString()}` : "") +
    (b.truncated ? " (newest 100 used)" : "") + (insight.model.name ? ` · ${insight.model.name}, prompt ${insight.model.prompt_version}` : "");
  $("feedback-form").hidden = true;
  $("thanks").hidden = true;
  // a "building" answer is not stored (no id): nothing to give feedback on until the new insight
  document.querySelector(".feedback").hidden = !insight.insight_id;
}

let poll = null;

async function loadInsight(refresh = false) {
  showError("");
  clearTimeout(poll);
  const deal = $("deal").value;
  if (!deal) return;
  try {
    const insight = await (await api(`/v1/deals/${encodeURIComponent(deal)}/insights${refresh ? "?refresh=true" : ""}`)).json();
    render(insight);
    // a rebuild is running: ask again until the new insight is ready (then it is a cache hit)
    if (insight.freshness !== "fresh" && $("deal").value === deal) poll = setTimeout(() => loadInsight(), 2000);
  } catch (error) { $("insight").hidden = true; showError(error.message); }
}

async function loadDeals() {
  const { items } = await (await api("/v1/deals?limit=200")).json();
  $("deal").replaceChildren(...items.map((d) => {
    const option = el("option", `${d.name} (${d.stage || "?"})`);
    option.value = d.id;
    return option;
  }));
  const wanted = params.get("deal");
  if (wanted && items.some((d) => d.id === wanted)) $("deal").value = wanted;
  await loadInsight();
}

async function signIn(userId) {
  if (userId) token = (await (await fetch(`/widget/dev-token?user=${encodeURIComponent(userId)}`)).json()).token;
  sessionStorage.setItem("token", token);
  try { await loadDeals(); } catch (error) { showError(error.message); }
}

async function init() {
  let users = [];
  try { users = (await (await fetch("/widget/dev-users")).json()).users; } catch (_) { /* production: no dev users */ }
  $("user").replaceChildren(...users.map((u) => { const o = el("option", `${u.name} (${u.id})`); o.value = u.id; return o; }));
  if (!users.length) $("user").parentElement.hidden = true;
  if (params.get("user")) $("user").value = params.get("user");
  $("user").addEventListener("change", () => signIn($("user").value));
  $("deal").addEventListener("change", () => loadInsight());
  $("regenerate").addEventListener("click", () => loadInsight(true));
  $("copy").addEventListener("click", async () => {
    const text = await (await api(`/v1/deals/${encodeURIComponent($("deal").value)}/insights/copy?format=text`)).text();
    await navigator.clipboard.writeText(text);
    $("copied").hidden = false;
    setTimeout(() => { $("copied").hidden = true; }, 2000);
  });
  let rating = null;
  for (const id of ["helpful", "not-helpful"]) {
    $(id).addEventListener("click", () => { rating = $(id).dataset.rating; $("feedback-form").hidden = false; $("thanks").hidden = true; });
  }
  $("feedback-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { rating, comment: $("comment").value || null, reason: $("reason").value || null };
    try {
      await api(`/v1/insights/${current.insight_id}/feedback`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      $("feedback-form").hidden = true;
      $("comment").value = "";
      $("thanks").hidden = false;
    } catch (error) { showError(error.message); }
  });
  await signIn(token ? null : (params.get("user") || (users[0] && users[0].id)));
}

init();
