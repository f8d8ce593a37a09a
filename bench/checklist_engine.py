"""Benchmark: loading + validating the whole checklist library, and evaluating a 100-item checklist.

Run: `make bench` or `.venv/bin/python bench/checklist_engine.py [--runs N]`. Pure Python, no
database. Targets (issue 3): library load < 1 s, one evaluation < 2 ms. Record the figures in
bench/README.md.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import timed  # noqa: E402
from safetylist.checklists import expressions  # noqa: E402
from safetylist.checklists.engine import evaluate  # noqa: E402
from safetylist.checklists.format import ChecklistDefinition  # noqa: E402
from safetylist.checklists.library import load_library  # noqa: E402
from safetylist.checklists.rules import check_definition  # noqa: E402

T = {"zh": "检查项", "en": "Check"}
OPTIONS = [{"id": "ok", "zh": "好", "en": "Good"}, {"id": "poor", "zh": "差", "en": "Poor", "fails": True},
           {"id": "none", "zh": "无", "en": "None"}]




def generated_checklist(method: str, sections: int = 5, per_section: int = 20) -> ChecklistDefinition:
    """100 items: mostly pass/fail/N/A, with yes/no gates, numbers and choices; ~30 % behind show_if."""
    rng = random.Random(7)
    built, gates, n = [], [], 0
    for s in range(sections):
        items = []
        for _ in range(per_section):
            n += 1
            kind = "pass_fail_na" if n == 1 else rng.choice(  # item-1 is named by the conditions
                ["pass_fail_na"] * 5 + ["yes_no", "number", "single_choice", "multi_choice"])
            item = {"id": f"item-{n}", "ask": T, "answer": kind, "basis": "《中华人民共和国安全生产法》第四十一条",
                    "on_fail": {"hazard": "general", "fix_within_days": 7, "notify": ["officer"]}}
            if kind == "yes_no":
                item["fail_on"] = "no"
            if kind == "number":
                item |= {"unit": "%", "min": 19.5, "max": 23.5}
            if kind in ("single_choice", "multi_choice"):
                item["options"] = OPTIONS
            if method == "points":
                item["points"] = rng.randint(1, 10)
            if gates and rng.random() < 0.3:
                gate = rng.choice(gates)
                item["show_if"] = f"{gate} == yes and item-1 in [pass, na]"
            if kind == "yes_no":
                gates.append(item["id"])
            items.append(item)
        built.append({"id": f"section-{s}", "title": T, "items": items})
    scoring = {"method": "percent", "pass_mark": 80} if method == "percent" else {
        "method": "points", "total": 100, "grades": [
            {"id": "level1", "zh": "一级", "en": "Level 1", "min": 90, "min_section_share": 0.6},
            {"id": "level2", "zh": "二级", "en": "Level 2", "min": 80, "min_section_share": 0.5},
            {"id": "level3", "zh": "三级", "en": "Level 3", "min": 70}]}
    definition = ChecklistDefinition.model_validate({
        "id": f"bench-{method}", "version": 1, "title": T, "kind": "self_check", "audience": "enterprise",
        "frequency": "daily", "scoring": scoring, "sections": built})
    assert check_definition(definition, lambda path: 0) == []
    return definition


def answers_for(definition: ChecklistDefinition, seed: int) -> dict:
    rng = random.Random(seed)
    values = {"pass_fail_na": lambda: rng.choice(["pass"] * 8 + ["fail", "na"]),
              "yes_no": lambda: rng.choice(["yes", "yes", "no"]),
              "number": lambda: round(rng.uniform(18, 25), 1),
              "single_choice": lambda: rng.choice(["ok", "ok", "poor", "none"]),
              "multi_choice": lambda: rng.sample(["ok", "poor", "none"], rng.randint(0, 2))}
    return {item.id: values[item.answer]() for _, item in definition.all_items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    def cold_load():
        expressions.parse.cache_clear()  # measure parsing every condition, as at start-up
        return load_library()

    library = cold_load()
    files = len(library.entries) + len({e.file for e in library.errors})
    items = sum(1 for d in library.definitions.values() for _ in d.all_items())
    median, p95 = timed(cold_load, max(5, args.runs // 100))
    print(f"library load+validate ({files} files, {items} items, {len(library.errors)} errors)"
          f"  median {median:7.1f} ms  p95 {p95:7.1f} ms")

    # Headroom: a library ten times the size of the starting one (10 × 100 items).
    with tempfile.TemporaryDirectory() as folder:
        for n in range(10):
            data = generated_checklist("points" if n % 2 else "percent").model_dump(mode="json", exclude_none=True)
            data["id"] = f"bench-{n}"
            (Path(folder) / f"bench-{n}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        big = load_library(folder)
        assert big.ok, big.errors[:3]
        median, p95 = timed(lambda: (expressions.parse.cache_clear(), load_library(folder)), 5)
        print(f"library load+validate (10 generated files, 1000 items)  median {median:7.1f} ms  p95 {p95:7.1f} ms")

    for method in ("percent", "points"):
        definition = generated_checklist(method)
        runs = [answers_for(definition, seed) for seed in range(50)]
        evaluate(definition, runs[0])  # warm the show_if cache, as in a running app
        counter = iter(range(10 ** 9))
        median, p95 = timed(lambda: evaluate(definition, runs[next(counter) % len(runs)]), args.runs)
        sample = evaluate(definition, runs[0])
        print(f"evaluate 100 items ({method:7}; {len(sample.visible)} visible, {len(sample.findings)} findings)"
              f"  median {median:7.3f} ms  p95 {p95:7.3f} ms")


if __name__ == "__main__":
    main()
