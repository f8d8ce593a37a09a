"""The fill page's script evaluates show_if exactly as the server does (one source of truth)."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from safetylist.checklists.expressions import as_json, parse

ROOT = Path(__file__).resolve().parents[2]
EXPRESSIONS = [
    "a == yes", "a != yes", "a == 'x'", "n > 3", "n >= 3.5", "n < 0", "n <= -1", "a in [yes, na]",
    "a == yes and not (n > 2 or b == fail)", "not a == no", "m == 'x'", "m != 'y'", "m in ['x', 'z']",
    "(a == yes or b == pass) and n != 4", "n == 4", "b in [pass, fail] or m == 'z'",
]
VALUES = {"a": ["yes", "no", "na", None, ""], "b": ["pass", "fail", "na", None],
          "n": [0, 3, 3.5, 4, -1, None, "4"], "m": [["x"], ["y", "z"], [], None, "x"]}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_script_and_server_agree():
    rng = random.Random(7)
    cases = []
    for text in EXPRESSIONS:
        for _ in range(40):
            answers = {name: rng.choice(options) for name, options in VALUES.items()}
            answers = {k: v for k, v in answers.items() if v is not None}
            cases.append({"tree": as_json(parse(text)), "answers": answers,
                          "expected": parse(text).evaluate(answers), "text": text})
    script = ("import { evaluate } from '" + (ROOT / "static/js/conditions.js").as_uri() + "';\n"
              "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n")
    script = script.replace("require('fs')", "(await import('fs'))")
    script += "process.stdout.write(JSON.stringify(cases.map((c) => evaluate(c.tree, c.answers))));\n"
    result = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(cases),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    wrong = [(c["text"], c["answers"], c["expected"]) for c, g in zip(cases, got) if g != c["expected"]]
    assert not wrong, wrong[:5]
