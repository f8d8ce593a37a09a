"""A grid worker inspects an enterprise on a phone; the failure reaches the enterprise's officer."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

# Answer every visible question of the current section: the non-failing choice (a gate question
# answers "no"), except the first pass/fail item without a photo requirement, which fails.
ANSWER_SECTION = """(failOne) => {
  const section = document.querySelector("fieldset.section.current");
  let failed = null;
  for (const q of section.querySelectorAll(".q[data-item]")) {
    if (q.hidden) continue;
    const radios = [...q.querySelectorAll("input[type=radio]")];
    if (!radios.length) continue;
    let pick;
    if (q.dataset.type === "pass_fail_na" && failOne && !failed && !q.querySelector("[data-photos^='e:']")) {
      pick = radios.find((r) => r.value === "fail");
      failed = q.querySelector(".ask").textContent.trim();
    } else {
      const safe = radios.filter((r) => !("fails" in r.dataset) && r.value !== "na");
      pick = safe.find((r) => r.value === "no") || safe[0];
    }
    pick.closest("label").click();
    if (pick.value === "fail") q.querySelector("textarea").value = "现场发现问题";
  }
  return failed;
}"""


def officer_enterprise(live_server) -> str:
    from safetylist.auth.models import User
    return live_server.query(lambda db: db.session.scalars(select(User).where(User.username == "officer"))
                             .one().enterprise.name)


def test_grid_worker_inspection_reaches_the_officer(login_as, live_server):
    name = officer_enterprise(live_server)
    page = login_as("grid")
    page.goto("/")
    page.get_by_role("link", name="我的巡查").click()
    card = page.locator("li.task", has_text=name)
    expect(card).to_be_visible()
    card.get_by_role("button", name="开始巡查").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    expect(page.locator("h1")).to_contain_text("巡查")

    failed = None
    sections = page.locator("fieldset.section").count()
    for index in range(sections):
        failed = page.evaluate(ANSWER_SECTION, failed is None) or failed
        if index < sections - 1:
            page.locator("fieldset.section.current [data-next]").click()
    assert failed
    page.locator("[data-submit]").click()
    expect(page.locator(".result")).to_be_visible()
    expect(page.locator("ul.hazards")).to_contain_text(failed[:8])

    officer = login_as("officer")
    officer.goto("/")
    expect(officer.locator("ul.hazards")).to_contain_text(failed[:8])
