// Site check-in: adds the phone's position, if the browser shares it, to every form marked
// data-geolocate (hidden latitude, longitude, accuracy). A start never waits for a position.
"use strict";

import { msg } from "./messages.js";

// As MAX_ACCURACY_M in safetylist/grid/checkin.py: a coarser position says nothing about the site.
const MAX_ACCURACY_M = 100000;

const forms = [...document.querySelectorAll("form[data-geolocate]")];
const statusLines = [...document.querySelectorAll("[data-geo-status]")];

// state: finding | found | unavailable (also read by the browser tests)
function say(state, text) {
  for (const line of statusLines) {
    line.textContent = text;
    line.dataset.state = state;
  }
}

function fill(coords) {
  const values = { latitude: coords.latitude, longitude: coords.longitude, accuracy: coords.accuracy };
  for (const form of forms) {
    for (const [name, value] of Object.entries(values)) {
      const input = form.querySelector(`input[name="${name}"]`);
      if (input) input.value = String(value);
    }
  }
}

function locate() {
  if (!("geolocation" in navigator)) {
    say("unavailable", msg("geo_unavailable"));
    return;
  }
  say("finding", msg("geo_finding"));
  navigator.geolocation.getCurrentPosition((position) => {
    const { accuracy } = position.coords;
    if (!(accuracy >= 0 && accuracy <= MAX_ACCURACY_M)) {
      say("unavailable", msg("geo_unavailable"));
      return;
    }
    fill(position.coords);
    say("found", msg("geo_found", { m: Math.round(accuracy) }));
  }, () => say("unavailable", msg("geo_unavailable")), { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
}

if (forms.length) locate();
