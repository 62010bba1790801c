// The web chat: no build step, nothing from elsewhere. The server keeps each person's own
// conversation: the page reads it (/api/history), follows it live (server-sent events from
// /events; polling only where those are not available), and shows each entry once, replacing
// it in place when the server sends an update for the same id (a card after a decision).
"use strict";
const person = document.getElementById("person");
const list = document.getElementById("messages");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const announcer = document.getElementById("announcer");
const connection = document.getElementById("connection");
const manifest = document.getElementById("manifest");
const MAX_FILE = 64 * 1024;  // a manifest is small; the note under the picker says so
const REMEMBERED = "chatops.person";
const POLL_MS = 5000;

let picker = true;     // demo mode: the person comes from the picker
let cursor = 0;        // the last change of this person's conversation the page has
let stream = null;     // the EventSource
let poller = null;     // the polling fallback's timer
let generation = 0;    // bumped on every switch: late answers for someone else are dropped
// What the person sent, shown dimmed until the server's copy arrives. The copy can come by the
// event stream before the reply to the POST does; whichever comes first takes the oldest
// pending line's place, so a message is never on the page twice.
let pending = [];
// The page's own words come from the server (chatbot/texts.py), with /api/people, which the
// page reads before anything else.
let labels = {};

function label(key, values) {
  let text = labels[key] || key;
  for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(v);
  return text;
}

function params(extra) {
  const p = new URLSearchParams(extra || {});
  if (picker && person.value) p.set("as", person.value);
  return p.toString();
}

function say(status) {
  connection.textContent = status || "";
  connection.hidden = !status;
}

function announce(text) {
  const line = document.createElement("p");
  line.textContent = text;
  announcer.appendChild(line);
  while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
}

function node(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

function cardPart(li, card) {
  li.classList.add("card");
  if (!card.open) li.classList.add("closed");
  li.appendChild(node("p", "card-status", card.status));
  const facts = node("dl", "facts");
  for (const fact of card.facts) {
    facts.appendChild(node("dt", "", fact.label));
    facts.appendChild(node("dd", "", fact.value));
  }
  li.appendChild(facts);
}

function buttonsPart(li, entry) {
  const row = node("div", "buttons");
  row.setAttribute("role", "group");
  row.setAttribute("aria-label", label("choices"));
  for (const b of entry.buttons) {
    const btn = node("button", b.style, b.label);
    btn.type = "button";
    btn.addEventListener("click", () => {
      row.querySelectorAll("button").forEach(x => { x.disabled = true; });
      send({press: b.value}, null);
      input.focus();
    });
    row.appendChild(btn);
  }
  li.appendChild(row);
}

// A thumb drawn here (no icon font, no emoji font needed): Material Design's "thumb up"
// outline (Apache-2.0); "down" is the same, turned over by the style sheet.
const THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

function thumb() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", THUMB);
  path.setAttribute("fill", "currentColor");
  svg.appendChild(path);
  return svg;
}

function feedbackPart(li, entry) {
  const fb = entry.feedback;
  const row = node("div", "feedback");
  row.setAttribute("role", "group");
  row.setAttribute("aria-label", fb.ask || label("rate"));
  if (fb.ask) row.appendChild(node("span", "", fb.ask));
  for (const [verdict, label] of [["up", fb.up], ["down", fb.down]]) {
    const btn = node("button", "thumb " + verdict);
    btn.appendChild(thumb());
    btn.type = "button";
    btn.setAttribute("aria-label", label);
    btn.title = label;
    btn.setAttribute("aria-pressed", String(fb.verdict === verdict));
    btn.addEventListener("click", () => rate(entry.id, verdict, row));
    row.appendChild(btn);
  }
  li.appendChild(row);
}

function render(entry) {
  const li = document.createElement("li");
  li.id = "entry-" + entry.id;
  li.className = entry.from === "person" ? "me" : "bot " + entry.kind;
  li.appendChild(node("p", "text", entry.text));
  if (entry.card) cardPart(li, entry.card);
  if (entry.buttons.length) buttonsPart(li, entry);
  if (entry.feedback) feedbackPart(li, entry);
  return li;
}

// Show an entry: a new one at the end, an update in place (keeping keyboard focus nearby).
function upsert(entry, live) {
  const li = render(entry);
  const old = document.getElementById(li.id);
  if (old) {
    const focused = old.contains(document.activeElement);
    old.replaceWith(li);
    if (focused) (li.querySelector("button:not(:disabled)") || input).focus();
    return;
  }
  if (entry.from === "person" && pending.length) pending.shift().replaceWith(li);
  else list.appendChild(li);
  li.scrollIntoView({block: "end"});
  if (live && entry.from === "assistant") announce(entry.text);
}

function settle(line) {  // the answer came (or failed): the dimmed line goes if still there
  if (!line) return;
  pending = pending.filter(other => other !== line);
  line.remove();
}

function local(text, cls) {  // shown, not kept: an error talking to the server
  const li = node("li", cls);
  li.appendChild(node("p", "text", text));
  list.appendChild(li);
  li.scrollIntoView({block: "end"});
  if (cls.includes("bot")) announce(text);
  return li;
}

async function send(payload, shown) {
  const mine = generation;
  const line = shown ? local(shown, "me pending") : null;
  if (line) pending.push(line);
  const body = Object.assign(picker ? {as: person.value} : {}, payload);
  try {
    const res = await fetch("/api/chat", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    const data = await res.json();
    if (mine !== generation) return;
    settle(line);
    if (!res.ok) { local(data.error || ("error " + res.status), "bot error"); return; }
    for (const entry of data.entries) upsert(entry, true);
  } catch (err) {
    settle(line);
    local(label("unreachable") + ": " + err, "bot error");
  }
}

async function rate(id, verdict, row) {
  const body = Object.assign(picker ? {as: person.value} : {}, {reply: id, verdict: verdict});
  const res = await fetch("/api/feedback", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  if (!res.ok) return;
  row.querySelectorAll("button.thumb").forEach(b => {
    b.setAttribute("aria-pressed", String(b.classList.contains(verdict)));
  });
}

function take(data) {
  for (const entry of data.entries) upsert(entry, true);
  cursor = Math.max(cursor, data.cursor);
}

function follow() {
  if (!window.EventSource) { poll(); return; }
  const mine = generation;
  stream = new EventSource("/events?" + params({after: cursor}));
  const onChange = (event) => {
    if (mine !== generation) return;
    cursor = Math.max(cursor, Number(event.lastEventId) || cursor);
    upsert(JSON.parse(event.data), true);
  };
  stream.addEventListener("entry", onChange);
  stream.addEventListener("update", onChange);
  stream.addEventListener("open", () => say(""));
  stream.addEventListener("error", () => {
    if (mine !== generation) return;
    if (stream.readyState === EventSource.CLOSED) { stream = null; poll(); return; }
    say(label("reconnecting"));  // the browser retries by itself, from the last change it had
  });
}

function poll() {  // the fallback: take notifications, then read what changed
  const mine = generation;
  const once = async () => {
    try {
      await fetch("/api/inbox", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(picker ? {as: person.value} : {})});
      const res = await fetch("/api/history?" + params({after: cursor}));
      if (res.ok && mine === generation) { take(await res.json()); say(""); }
    } catch (err) {
      say(label("unreachable_retrying"));
    }
  };
  once();
  poller = setInterval(once, POLL_MS);
}

function stop() {
  generation += 1;
  pending = [];
  if (stream) { stream.close(); stream = null; }
  if (poller) { clearInterval(poller); poller = null; }
}

async function open() {
  stop();
  const mine = generation;
  list.replaceChildren();
  announcer.replaceChildren();
  cursor = 0;
  if (picker && !person.value) return;
  if (picker) localStorage.setItem(REMEMBERED, person.value);
  const res = await fetch("/api/history?" + params());
  if (mine !== generation) return;
  if (!res.ok) { local(label("not_loaded"), "bot error"); return; }
  take(await res.json());
  follow();
}

async function loadPeople() {
  const res = await fetch("/api/people");
  const data = await res.json();
  picker = data.picker;
  if (data.labels) labels = Object.assign(labels, data.labels);
  if (!picker) { document.getElementById("picker-label").hidden = true; open(); return; }
  for (const p of data.people) {
    const opt = document.createElement("option");
    opt.value = p.name;
    opt.textContent = p.display_name;
    person.appendChild(opt);
  }
  const remembered = localStorage.getItem(REMEMBERED);
  if (remembered && data.people.some(p => p.name === remembered)) person.value = remembered;
  open();
}

// The chosen manifest, read as text in the browser and sent with the message as
// {"file": {"name", "text"}}: the server checks it as `chatops skills check` does.
function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener("load", () => resolve(String(reader.result)));
    reader.addEventListener("error", () => reject(reader.error));
    reader.readAsText(file);
  });
}

async function attached() {
  const file = manifest.files && manifest.files[0];
  if (!file) return null;
  if (file.size > MAX_FILE) {
    local(label("file_too_big", {name: file.name}), "bot error");
    return undefined;
  }
  try {
    return {name: file.name, text: await readFile(file)};
  } catch (err) {
    local(label("file_unreadable", {name: file.name}) + " " + err, "bot error");
    return undefined;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  const file = await attached();
  if (file === undefined) { manifest.value = ""; return; }
  if (!text && !file) return;
  input.value = "";
  manifest.value = "";
  const payload = file ? {text: text, file: file} : {text: text};
  send(payload, text || label("attached", {name: file.name}));
});
manifest.addEventListener("change", () => {
  const file = manifest.files && manifest.files[0];
  if (file) input.focus();  // Enter (or Send) sends it, with or without words
});
person.addEventListener("change", open);
window.addEventListener("pagehide", stop);
loadPeople();
