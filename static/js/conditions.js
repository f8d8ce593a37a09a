// Evaluates show_if conditions sent by the server as JSON (safetylist/checklists/expressions.py
// as_json); mirrors Compare.evaluate there. No eval: the tree is walked.
"use strict";

const isNumber = (v) => typeof v === "number" && Number.isFinite(v);
const missing = (v) => v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
const equal = (a, b) => (isNumber(a) === isNumber(b)) && a === b;

export function evaluate(node, answers) {
  if (node.and) return node.and.every((n) => evaluate(n, answers));
  if (node.or) return node.or.some((n) => evaluate(n, answers));
  if (node.not) return !evaluate(node.not, answers);
  const answer = answers[node.item];
  if (missing(answer)) return false; // a missing answer makes every comparison false
  const values = node.values;
  if (Array.isArray(answer)) { // multi_choice: == means "is chosen", in means "any chosen"
    const any = answer.some((a) => values.includes(a));
    if (node.cmp === "==" || node.cmp === "in") return any;
    if (node.cmp === "!=") return !any;
    return false;
  }
  if (node.cmp === "in") return values.some((v) => equal(answer, v));
  const value = values[0];
  if (node.cmp === "==") return equal(answer, value);
  if (node.cmp === "!=") return !equal(answer, value);
  if (!(isNumber(answer) && isNumber(value))) return false;
  return { "<": answer < value, "<=": answer <= value, ">": answer > value, ">=": answer >= value }[node.cmp];
}
