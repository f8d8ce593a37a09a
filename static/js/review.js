// The standardization review form: a score item's points and reason show only once "Deduct" is
// chosen (without this script they are always shown, and the form works the same).
"use strict";

const form = document.querySelector("form.review-form");
if (form) {
  const sync = (q) => {
    const chosen = q.querySelector("input[type=radio]:checked");
    const deduct = q.querySelector("[data-deduct]");
    if (deduct) deduct.hidden = !chosen || chosen.value !== "deduct";
    const onFail = q.querySelector("[data-on-fail]");
    if (onFail) onFail.hidden = !chosen || chosen.value !== "deduct";
  };
  const items = [...form.querySelectorAll(".q[data-type=score]")];
  items.forEach(sync);
  form.addEventListener("change", (event) => {
    const q = event.target.closest(".q[data-type=score]");
    if (q) sync(q);
  });
}
