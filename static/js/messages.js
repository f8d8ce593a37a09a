// UI strings for scripts, rendered by the server in the user's language (base.html, data-messages).
"use strict";

let cache;
export function msg(key, values = {}) {
  if (!cache) {
    try { cache = JSON.parse(document.body.dataset.messages || "{}"); } catch { cache = {}; }
  }
  let text = cache[key] || key;
  for (const [name, value] of Object.entries(values)) text = text.replace(`%(${name})s`, value);
  return text;
}
