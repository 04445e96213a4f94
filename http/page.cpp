// The dashboard's page (dashboard.hpp): plain HTML, CSS and script in
// one string, nothing loaded from elsewhere. The script opens /api/events
// (server-sent events), renders each "state" it gets, and works out the
// rates per second from the counters of two states in a row. Text from the
// log goes in with textContent, never as markup.

#include <string_view>

namespace tc::detail {

namespace {

constexpr std::string_view page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>timecontrol</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  #where { color: #666; }
  table { border-collapse: collapse; min-width: 40em; }
  th, td { text-align: left; padding: .25em .8em .25em 0;
           border-bottom: 1px solid #e4e4e4; vertical-align: top; }
  th { font-weight: 600; color: #555; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .status { display: inline-block; min-width: 4.5em; padding: 0 .4em;
            border-radius: 3px; color: #fff; text-align: center; }
  .up { background: #2e8540; } .late { background: #d9822b; }
  .down { background: #c23030; } .paused { background: #777; }
  .never_called { background: #aaa; }
  .empty { color: #888; font-style: italic; }
  #live.off { color: #c23030; }
  code { font-size: .95em; }
</style>
</head>
<body>
<h1>timecontrol</h1>
<div id="where">log at seq <span id="seq">-</span>, latest event
  <span id="until">-</span> &middot; <span id="live">connecting</span>
  (<span id="updates">0</span> updates)</div>

<h2>Commands</h2>
<table id="commands"><thead><tr><th>command</th><th>limiter</th>
  <th>admitted/s</th><th>throttled/s</th><th>queued</th><th>running</th>
  <th>keys (1 min)</th><th>admitted</th><th>throttled</th><th>ok</th>
  <th>failed</th><th>timed out</th></tr></thead><tbody></tbody></table>

<h2>Watches</h2>
<table id="watches"><thead><tr><th>controller</th><th>command</th>
  <th>status</th><th>for</th><th>last call</th><th>next due</th>
  <th>misses</th><th>wants</th></tr></thead><tbody></tbody></table>

<h2>Upcoming runs</h2>
<table id="upcoming"><thead><tr><th>time (UTC)</th><th>intent</th>
  <th>target</th><th>trigger</th></tr></thead><tbody></tbody></table>

<h2>Latest events</h2>
<table id="events"><thead><tr><th>seq</th><th>time (UTC)</th><th>source</th>
  <th>type</th><th>fields</th></tr></thead><tbody></tbody></table>

<script>
"use strict";
let previous = null;
let updates = 0;

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "-" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function fill(id, rows, columns, empty) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(tr, empty, "empty");
    td.colSpan = columns;
    body.appendChild(tr);
  }
  for (const r of rows) body.appendChild(r);
}

function ms(t) { return t ? Date.parse(t) : null; }

function ago(seconds) {
  if (seconds === null || !isFinite(seconds)) return "-";
  if (seconds < 60) return seconds.toFixed(1) + " s";
  if (seconds < 3600) return (seconds / 60).toFixed(1) + " min";
  if (seconds < 86400) return (seconds / 3600).toFixed(1) + " h";
  return (seconds / 86400).toFixed(1) + " d";
}

function throttled(c) { return c.queued + c.rejected + c.dropped + c.expired; }

function render(s) {
  document.getElementById("seq").textContent = s.last_seq;
  document.getElementById("until").textContent = s.until || "-";
  const until = ms(s.until);
  const before = new Map();
  let dt = null;
  if (previous && previous.until && s.until) {
    dt = (until - ms(previous.until)) / 1000;
    for (const c of previous.commands) before.set(c.command, c);
  }
  const rate = (now, then) =>
    dt && dt > 0 && then !== undefined ? ((now - then) / dt).toFixed(2) : "-";
  fill("commands", s.commands.map(c => {
    const tr = document.createElement("tr");
    const b = before.get(c.command);
    cell(tr, c.command);
    cell(tr, c.policy || "none");
    cell(tr, rate(c.admitted, b && b.admitted), "n");
    cell(tr, rate(throttled(c), b && throttled(b)), "n");
    cell(tr, c.waiting, "n");
    cell(tr, c.running, "n");
    cell(tr, c.keys_last_minute, "n");
    cell(tr, c.admitted, "n");
    cell(tr, throttled(c), "n");
    cell(tr, c.ok, "n");
    cell(tr, c.failed, "n");
    cell(tr, c.timed_out, "n");
    return tr;
  }), 12, "no calls yet");
  fill("watches", s.watches.map(w => {
    const tr = document.createElement("tr");
    cell(tr, w.controller);
    cell(tr, w.command);
    const st = document.createElement("span");
    st.className = "status " + w.status;
    st.textContent = w.status.replace("_", " ");
    cell(tr, "").appendChild(st);
    cell(tr, w.since && until ? ago((until - ms(w.since)) / 1000) : "-");
    cell(tr, w.last_call);
    cell(tr, w.next_due);
    cell(tr, w.misses, "n");
    cell(tr, w.cron !== null ? "cron " + w.cron
             : w.period_ns !== null ? "every " + ago(w.period_ns / 1e9) +
               ", grace " + ago(w.grace_ns / 1e9) : "-");
    return tr;
  }), 8, "no watches");
  fill("upcoming", s.upcoming.map(r => {
    const tr = document.createElement("tr");
    cell(tr, r.time);
    cell(tr, r.intent, "n");
    cell(tr, r.target);
    cell(tr, r.trigger);
    return tr;
  }), 4, "nothing scheduled");
  fill("events", s.latest_events.map(e => {
    const tr = document.createElement("tr");
    cell(tr, e.seq, "n");
    cell(tr, e.time);
    cell(tr, e.source);
    cell(tr, e.type);
    const rest = Object.entries(e)
      .filter(([k]) => !["seq", "time", "time_ns", "source", "type"].includes(k))
      .map(([k, v]) => k + "=" + JSON.stringify(v)).join(" ");
    cell(tr, rest);
    return tr;
  }), 5, "no events");
  previous = s;
}

function connect() {
  const live = document.getElementById("live");
  const source = new EventSource("api/events");
  source.addEventListener("state", e => {
    live.textContent = "live";
    live.className = "";
    render(JSON.parse(e.data));
    document.getElementById("updates").textContent = String(++updates);
  });
  source.onerror = () => {
    live.textContent = "disconnected, retrying";
    live.className = "off";
  };
}
connect();
</script>
</body>
</html>
)html";

} // namespace

std::string_view dashboard_page() {
  return page;
}

} // namespace tc::detail
