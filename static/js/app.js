// Small progressive enhancements; every page works without them.
"use strict";

// Community and grid choices follow the chosen street and community (options carry data-parent).
function linkSelects(parent, child) {
  if (!parent || !child) return;
  const sync = () => {
    let keep = false;
    for (const option of child.options) {
      const own = !option.dataset.parent || option.dataset.parent === parent.value;
      option.hidden = !own;
      option.disabled = !own;
      if (own && option.selected) keep = true;
    }
    if (!keep) child.value = "";
    child.dispatchEvent(new Event("change"));
  };
  parent.addEventListener("change", sync);
  sync();
}

document.addEventListener("DOMContentLoaded", () => {
  const places = document.querySelector("[data-places]");
  if (places) {
    linkSelects(places.querySelector("#street_id"), places.querySelector("#community_id"));
    linkSelects(places.querySelector("#community_id"), places.querySelector("#grid_id"));
  }
});

// The service worker keeps checklist pages usable offline (static/sw.js, served at /sw.js).
if ("serviceWorker" in navigator && document.body && document.body.dataset.messages) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
