// The fill page: one section at a time, show_if as answers change, every answer kept on the
// device at once and sent to the server when the network allows; submission queued offline.
"use strict";

import { evaluate } from "./conditions.js";
import { enqueue, flush, send } from "./outbox.js";
import { msg } from "./messages.js";

const form = document.getElementById("run-form");
if (form) start(form);

function start(form) {
  document.documentElement.classList.add("js");
  const run = form.dataset.run;
  const storeKey = `safetylist:run:${run}`;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const statusLine = form.querySelector("[data-sync]");
  const items = [...form.querySelectorAll(".q[data-item]")];
  const sections = [...form.querySelectorAll("[data-section]")];
  const renderedLock = Number(form.dataset.lock);
  const emptyMaps = () => ({ answers: {}, notes: {}, evidence: {} });

  // Device copy of the run: the full current values, what the server has not confirmed yet,
  // and the server version they are based on.
  let local = read() || { lock: renderedLock, values: emptyMaps(), pending: emptyMaps(), section: 0 };
  let wasOffline = false;
  let timer = null;
  let inFlight = null;  // one save at a time: two at once would race on the lock version

  function read() {
    try { return JSON.parse(localStorage.getItem(storeKey)); } catch { return null; }
  }
  function persist() { localStorage.setItem(storeKey, JSON.stringify(local)); }

  function setStatus(text, kind = "") {
    statusLine.textContent = text;
    statusLine.className = `sync ${kind}`;
  }

  // --- reading and writing the controls ------------------------------------------------------
  const field = (name) => [...form.querySelectorAll(`[name="${CSS.escape(name)}"]`)];
  const chosenOf = (el) => field(`a:${el.dataset.item}`).find((i) => i.checked);
  // Text that is not a number stays text: the server names the item and says what it expects.
  const toNumber = (raw) => {
    const n = Number(raw.replace(",", "."));
    return Number.isFinite(n) ? n : raw;
  };

  // A score item's answer: its points for full marks, the points typed when deducting, or "na".
  function scoreOf(el) {
    const chosen = chosenOf(el);
    if (!chosen) return null;
    if (chosen.value === "full") return Number(el.dataset.points);
    if (chosen.value === "na") return "na";
    const raw = field(`a:${el.dataset.item}:points`)[0].value.trim();
    return raw === "" ? null : toNumber(raw);
  }

  function applyScore(el, value) {
    const full = Number(el.dataset.points);
    const choice = value === null ? "" : value === "na" ? "na" : value === full ? "full" : "deduct";
    for (const input of field(`a:${el.dataset.item}`)) input.checked = input.value === choice;
    field(`a:${el.dataset.item}:points`)[0].value = choice === "deduct" ? value : "";
  }

  function valueOf(el) {
    const id = el.dataset.item;
    const type = el.dataset.type;
    const inputs = field(`a:${id}`);
    if (type === "score") return scoreOf(el);
    if (type === "multi_choice") return inputs.filter((i) => i.checked).map((i) => i.value);
    if (["pass_fail_na", "yes_no", "single_choice"].includes(type)) {
      const chosen = inputs.find((i) => i.checked);
      return chosen ? chosen.value : null;
    }
    if (type === "photo") return inputs.map((i) => i.value).filter(Boolean);
    const raw = inputs.length ? inputs[0].value.trim() : "";
    if (raw === "") return null;
    return type === "number" ? toNumber(raw) : raw;
  }

  function current() {
    const values = emptyMaps();
    for (const el of items) {
      const id = el.dataset.item;
      values.answers[id] = valueOf(el);
      const note = field(`n:${id}`)[0];
      if (note) values.notes[id] = note.value;
      const refs = field(`e:${id}`).map((i) => i.value).filter(Boolean);
      if (el.querySelector(`[data-photos="e:${id}"]`)) values.evidence[id] = refs;
    }
    return values;
  }

  function addThumb(container, name, ref, url) {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.src = url || `/photos/${ref}`;
    img.alt = "";
    img.width = 96; img.height = 72;
    const hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = name; hidden.value = ref;
    li.append(img, hidden);
    container.querySelector(".thumbs").append(li);
  }

  function apply(values, only = null) {
    for (const el of items) {
      const id = el.dataset.item;
      if (!only || id in values.answers) {
        const value = values.answers[id];
        const type = el.dataset.type;
        if (value !== undefined && type === "score") applyScore(el, value);
        else if (value !== undefined && type !== "photo") {
          for (const input of field(`a:${id}`)) {
            if (input.type === "radio") input.checked = input.value === value;
            else if (input.type === "checkbox") input.checked = Array.isArray(value) && value.includes(input.value);
            else if (input.type !== "hidden") input.value = value === null ? "" : value;
          }
        }
      }
      if ((!only || id in values.notes) && values.notes[id] !== undefined) {
        const note = field(`n:${id}`)[0];
        if (note) note.value = values.notes[id];
      }
      for (const [name, refs] of [[`e:${id}`, values.evidence[id]], [`a:${id}`, el.dataset.type === "photo" ? values.answers[id] : undefined]]) {
        const box = el.querySelector(`[data-photos="${name}"]`);
        if (!box || refs === undefined || (only && refs === undefined)) continue;
        box.querySelector(".thumbs").replaceChildren();
        for (const ref of [].concat(refs || [])) addThumb(box, name, ref);
      }
    }
  }

  // --- what is shown ---------------------------------------------------------------------------
  function fails(el, value) {
    if (value === null || value === undefined) return false;
    const type = el.dataset.type;
    if (type === "pass_fail_na" || type === "yes_no" || type === "single_choice") {
      const chosen = chosenOf(el);
      return Boolean(chosen && "fails" in chosen.dataset);
    }
    if (type === "score") return typeof value === "number" && value < Number(el.dataset.points);
    if (type === "multi_choice") return field(`a:${el.dataset.item}`).some((i) => i.checked && "fails" in i.dataset);
    if (type === "number") {
      const input = field(`a:${el.dataset.item}`)[0];
      if (!("rangeFails" in input.dataset) || typeof value !== "number") return false;
      return ("min" in input.dataset && value < Number(input.dataset.min)) ||
             ("max" in input.dataset && value > Number(input.dataset.max));
    }
    return false;
  }

  // Same walk as the engine: a condition sees only answers of items visible before it.
  function refresh() {
    const answers = current().answers;
    const effective = {};
    for (const el of items) {
      const condition = el.dataset.showIf ? JSON.parse(el.dataset.showIf) : null;
      const visible = !condition || evaluate(condition, effective);
      el.hidden = !visible;
      const value = answers[el.dataset.item];
      if (visible && value !== null && !(Array.isArray(value) && !value.length)) effective[el.dataset.item] = value;
      const block = el.querySelector("[data-on-fail]");
      if (block) block.hidden = !(visible && fails(el, value));
      const deduct = el.querySelector("[data-deduct]");
      if (deduct) deduct.hidden = chosenOf(el)?.value !== "deduct";
    }
  }

  function showSection(index) {
    local.section = Math.max(0, Math.min(index, sections.length - 1));
    sections.forEach((s, i) => s.classList.toggle("current", i === local.section));
    persist();
  }

  function showErrors(errors) {
    for (const el of items) {
      const message = errors[el.dataset.item] || "";
      el.classList.toggle("has-error", Boolean(message));
      el.querySelector("[data-error]").textContent = message;
    }
    const first = items.find((el) => errors[el.dataset.item]);
    if (first) {
      showSection(sections.indexOf(first.closest("[data-section]")));
      first.scrollIntoView({ block: "center" });
      setStatus(msg("missing", { n: Object.keys(errors).length }), "error");
    }
  }

  // --- saving ------------------------------------------------------------------------------------
  function changed() {
    const now = current();
    for (const kind of ["answers", "notes", "evidence"]) {
      for (const [id, value] of Object.entries(now[kind])) {
        if (JSON.stringify(value) !== JSON.stringify(local.values[kind][id])) local.pending[kind][id] = value;
      }
    }
    local.values = now;
    persist();
    refresh();
    clearTimeout(timer);
    timer = setTimeout(sync, 400);
  }

  const hasPending = () => ["answers", "notes", "evidence"].some((k) => Object.keys(local.pending[k]).length);

  async function sync() {
    if (inFlight) { inFlight.again = true; return; }
    inFlight = { again: false };
    try {
      await syncOnce();
    } finally {
      const again = inFlight.again;
      inFlight = null;
      if (again) sync();
    }
  }

  async function syncOnce() {
    if (!hasPending()) return;
    if (!navigator.onLine) { wasOffline = true; setStatus(msg("saved_device"), "offline"); return; }
    const sent = JSON.parse(JSON.stringify(local.pending));
    setStatus(msg("syncing"));
    let response, body;
    try {
      response = await fetch(form.dataset.saveUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
        body: JSON.stringify({ ...sent, lock_version: local.lock }),
      });
      body = await response.json();
    } catch {
      wasOffline = true;
      setStatus(msg("saved_device"), "offline");
      return;
    }
    if (response.status === 409 && body.state) {
      // Changed on another device: take its version, keep our unsent answers on top, send again.
      local.lock = body.state.lock_version;
      persist();
      setStatus(msg("merged"), "offline");
      return syncOnce();
    }
    if (response.status === 409) { setStatus(msg("submitted_elsewhere"), "error"); return; }
    if (!response.ok) { showErrors(body.errors || {}); setStatus(msg("save_failed"), "error"); return; }
    local.lock = body.lock_version;
    for (const kind of ["answers", "notes", "evidence"]) {
      for (const [id, value] of Object.entries(sent[kind])) {
        if (JSON.stringify(local.pending[kind][id]) === JSON.stringify(value)) delete local.pending[kind][id];
      }
    }
    persist();
    const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    setStatus(wasOffline ? msg("synced_after_offline") : msg("saved_server", { time }));
    wasOffline = false;
    if (hasPending()) return syncOnce();
  }

  // --- photos --------------------------------------------------------------------------------------
  async function upload(input) {
    const file = input.files[0];
    const box = input.closest("[data-photos]");
    const note = box.querySelector("[data-photo-status]");
    if (!file) return;
    if (!navigator.onLine) { note.textContent = msg("photo_offline"); return; }
    note.textContent = msg("photo_uploading");
    const data = new FormData();
    data.append("photo", file);
    data.append("item", input.dataset.photoInput);
    try {
      const response = await fetch(form.dataset.photoUrl, {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      });
      const body = await response.json();
      if (!response.ok) { note.textContent = body.error || msg("photo_failed"); return; }
      addThumb(box, box.dataset.photos, body.ref, body.url);
      note.textContent = msg("photo_done");
      changed();
    } catch {
      note.textContent = msg("photo_offline");
    } finally {
      input.value = "";
    }
  }

  // --- submitting ----------------------------------------------------------------------------------
  async function submit(event) {
    event.preventDefault();
    const values = current();
    const entry = {
      run, url: form.action, csrf,
      payload: { ...values, submission_key: form.querySelector("input[name=submission_key]").value },
    };
    if (!navigator.onLine) {
      enqueue(entry);
      setStatus(msg("queued"), "offline");
      return;
    }
    setStatus(msg("submitting"));
    let result;
    try { result = await send(entry); } catch {
      enqueue(entry);
      setStatus(msg("queued"), "offline");
      return;
    }
    if (result.status === 200 || (result.status === 409 && result.body.url)) {
      localStorage.removeItem(storeKey);
      window.location.assign(result.body.url);
    } else if (result.status === 400) {
      showErrors(result.body.errors || {});
    } else {
      setStatus(result.body.error || msg("save_failed"), "error");
    }
  }

  // --- start-up --------------------------------------------------------------------------------------
  if (local.lock >= renderedLock) {
    apply(local.values);          // the device is at least as new as this page (maybe cached)
  } else {
    apply(local.pending, true);   // the server moved on: keep only what this device has not sent
    local.lock = renderedLock;
  }
  local.values = current();
  if (local.errors) { showErrors(local.errors); delete local.errors; }
  persist();
  refresh();
  showSection(local.section || 0);

  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-photo-input]")) upload(event.target);
    else changed();
  });
  form.addEventListener("input", (event) => { if (event.target.matches("textarea, input[type=text]")) changed(); });
  form.addEventListener("click", (event) => {
    const step = event.target.closest("[data-next], [data-prev]");
    if (!step) return;
    showSection(local.section + ("next" in step.dataset ? 1 : -1));
    form.scrollIntoView({ block: "start" });
  });
  form.addEventListener("submit", submit);
  window.addEventListener("online", () => { sync(); flush(); });
  if (hasPending()) sync();
}
