// Submissions made offline wait here (localStorage) and are sent when the network returns.
// Each carries the submission key the server uses to count it once, however often it is sent.
"use strict";

import { msg } from "./messages.js";

const KEY = "safetylist:outbox";

export function queued() {
  try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch { return []; }
}

function store(list) { localStorage.setItem(KEY, JSON.stringify(list)); }

export function enqueue(entry) {
  const list = queued().filter((e) => e.payload.submission_key !== entry.payload.submission_key);
  list.push(entry);
  store(list);
}

export async function send(entry) {
  const response = await fetch(entry.url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": entry.csrf, "Accept": "application/json" },
    body: JSON.stringify(entry.payload),
  });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

let flushing = false;

// Sends every queued submission once the browser is online; resolves with the outcomes.
export async function flush() {
  if (flushing || !navigator.onLine) return [];
  flushing = true;
  const outcomes = [];
  try {
    for (const entry of queued()) {
      let result;
      try { result = await send(entry); } catch { break; } // still offline: keep the rest queued
      if (result.status >= 500) break;
      store(queued().filter((e) => e.payload.submission_key !== entry.payload.submission_key));
      if (result.status === 200 || result.status === 409) localStorage.removeItem(`safetylist:run:${entry.run}`);
      if (result.status === 400) rememberErrors(entry.run, result.body.errors || {});
      outcomes.push({ entry, ...result });
    }
  } finally {
    flushing = false;
  }
  if (outcomes.length) announce(outcomes);
  return outcomes;
}

function rememberErrors(run, errors) {
  const key = `safetylist:run:${run}`;
  const state = JSON.parse(localStorage.getItem(key) || "{}");
  state.errors = errors;
  localStorage.setItem(key, JSON.stringify(state));
}

function announce(outcomes) {
  document.dispatchEvent(new CustomEvent("safetylist:outbox", { detail: outcomes }));
  const main = document.getElementById("main");
  if (!main) return;
  for (const o of outcomes) {
    const p = document.createElement("p");
    p.setAttribute("role", "status");
    if (o.status === 200 || o.status === 409) {
      p.className = "flash flash-success";
      p.textContent = msg("outbox_sent");
      if (o.body.url) { const a = document.createElement("a"); a.href = o.body.url; a.textContent = " ›"; p.append(a); }
    } else {
      p.className = "flash flash-error";
      p.textContent = msg("outbox_refused");
    }
    main.prepend(p);
  }
}

window.addEventListener("online", flush);
flush();
