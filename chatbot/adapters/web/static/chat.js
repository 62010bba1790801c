// The web chat: no build step. Replies come from /api/chat; buttons send their value back.
"use strict";
const person = document.getElementById("person");
const list = document.getElementById("messages");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const inbox = document.getElementById("inbox");
const inboxItems = document.getElementById("inbox-items");

function bubble(text, cls) {
  const li = document.createElement("li");
  li.className = cls;
  li.textContent = text;
  list.appendChild(li);
  li.scrollIntoView({block: "end"});
  return li;
}

function renderReply(reply, container) {
  const li = document.createElement("li");
  li.className = "bot " + reply.kind;
  li.textContent = (reply.to ? "(to " + reply.to + ") " : "") + reply.text;
  if (reply.buttons.length) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const b of reply.buttons) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.label;
      btn.className = b.style;
      btn.addEventListener("click", () => {
        row.querySelectorAll("button").forEach(x => x.disabled = true);
        send({press: b.value}, b.label);
      });
      row.appendChild(btn);
    }
    li.appendChild(row);
  }
  container.appendChild(li);
  li.scrollIntoView({block: "end"});
}

async function send(payload, shown) {
  bubble(shown, "me");
  const body = Object.assign({as: person.value}, payload);
  try {
    const res = await fetch("/api/chat", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    const data = await res.json();
    if (!res.ok) { bubble(data.error || ("error " + res.status), "bot error"); return; }
    for (const reply of data.replies) renderReply(reply, list);
  } catch (err) {
    bubble("The assistant cannot be reached: " + err, "bot error");
  }
  loadInbox();
}

async function loadInbox() {
  if (!person.value) return;
  // A POST: it hands over (and so consumes) the notifications waiting for this person.
  const res = await fetch("/api/inbox", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({as: person.value})});
  if (!res.ok) return;
  const data = await res.json();
  inboxItems.replaceChildren();
  for (const card of data.replies) renderReply(card, inboxItems);
  inbox.hidden = data.replies.length === 0;
  // Things no conversation was waiting for (an approval expired, a restart interrupted an
  // action) arrive once through the outbox.
  for (const note of data.notifications || []) renderReply(note, list);
}

async function loadPeople() {
  const res = await fetch("/api/people");
  const data = await res.json();
  if (!data.picker) { document.getElementById("picker-label").hidden = true; return; }
  for (const p of data.people) {
    const opt = document.createElement("option");
    opt.value = p.name;
    opt.textContent = p.display_name;
    person.appendChild(opt);
  }
  loadInbox();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send({text: text}, text);
});
person.addEventListener("change", () => { list.replaceChildren(); loadInbox(); });
loadPeople();
setInterval(loadInbox, 5000);  // approvals and notifications that arrive while you wait
