"""Lighthouse mobile audit of the officer's pages (home and the fill page), logged in.

Needs npm's lighthouse in a scratch folder (not in this repository) and Debian's chromium:
    mkdir -p /tmp/lh && (cd /tmp/lh && npm install lighthouse@12)
    .venv/bin/python bench/lighthouse_officer.py [--lighthouse /tmp/lh]
It serves the app with gunicorn on 127.0.0.1 against a throwaway demo database, logs in as the
demo officer, starts the daily self-check and audits both pages with the session cookie.
Targets (issue 4): performance >= 90, accessibility >= 95, fill page < 100 KB transferred.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lighthouse", default=os.environ.get("LIGHTHOUSE_DIR", "/tmp/lh"))
    args = parser.parse_args()
    binary = Path(args.lighthouse) / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        sys.exit(f"lighthouse not found at {binary}: see this script's docstring")

    instance = tempfile.mkdtemp(prefix="sl_lh_")
    env = {**os.environ, "SAFETYLIST_INSTANCE": instance, "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}"}
    env.pop("DATABASE_URL", None)
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "safetylist"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["seed", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                               "safetylist:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def csrf(page: str) -> str:
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            return match.group(1)

        login_page = opener.open(f"{base}/login").read().decode()
        data = urllib.parse.urlencode({"username": "officer", "password": "safety2021",
                                       "csrf_token": csrf(login_page)}).encode()
        home = opener.open(f"{base}/login", data).read().decode()
        key = "general-daily"
        data = urllib.parse.urlencode({"checklist": key, "enterprise_id": re.search(
            r'name="enterprise_id" value="(\d+)"', home).group(1), "csrf_token": csrf(home)}).encode()
        fill_url = opener.open(f"{base}/runs/start", data).geturl()
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        print(f"lighthouse {subprocess.run([str(binary), '--version'], capture_output=True, text=True).stdout.strip()}, "
              f"mobile form factor, gunicorn -w 2, demo data")
        for name, url in (("officer home", f"{base}/"), ("fill page", fill_url)):
            out = Path(instance) / f"{name.replace(' ', '-')}.json"
            subprocess.run([str(binary), url, "--form-factor=mobile", "--output=json", f"--output-path={out}",
                            "--quiet", f"--chrome-flags={FLAGS}", "--only-categories=performance,accessibility,best-practices",
                            f"--extra-headers={json.dumps({'Cookie': cookie})}"],
                           env={**env, "CHROME_PATH": "/usr/bin/chromium"}, check=True, timeout=180)
            report = json.loads(out.read_text())
            scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
            audits = report["audits"]
            transferred = audits["total-byte-weight"]["numericValue"]
            print(f"{name:13s} performance {scores['performance']:3d}  accessibility {scores['accessibility']:3d}  "
                  f"best practices {scores['best-practices']:3d}  transferred {transferred / 1024:6.1f} KB  "
                  f"LCP {audits['largest-contentful-paint']['numericValue']:6.0f} ms  "
                  f"TBT {audits['total-blocking-time']['numericValue']:4.0f} ms")
            failing = [a["id"] for a in audits.values()
                       if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"]
            if failing:
                print(f"   failing binary audits: {', '.join(sorted(failing))}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
