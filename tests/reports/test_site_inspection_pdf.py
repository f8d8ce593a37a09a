"""The printed site inspection record (现场检查记录): check-in, items, photos, hazards, signatures."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from safetylist.checklists import runs
from safetylist.grid import checkin
from safetylist.reports.runs import run_pdf, run_record
from tests.grid.test_checkin import HERE, site_visit  # noqa: F401  (fixture: site-visit is the site inspection)
from tests.reports.test_run_pdf import POPPLER, library, make_photo, pdf_text, submitted_run  # noqa: F401

needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext) not installed")


@pytest.fixture
def inspector(world, db):
    worker = world["grid_worker"]
    worker.display_name = "王网格"
    db.session.commit()
    return worker


def inspected(app, worker, enterprise, check_in):
    """A submitted site-visit with the extinguishers failed, a note and one photo."""
    run = checkin.start_site_inspection(worker, enterprise, check_in)
    photo = make_photo(app, enterprise)
    runs.submit_run(worker, run, {"extinguishers": "fail"}, notes={"extinguishers": "灭火器过期"},
                    evidence={"extinguishers": [photo.ref]})
    return run


@needs_poppler
def test_the_site_inspection_record(world, site_visit, inspector, app, db, tmp_path):
    from safetylist.remediation.models import Hazard
    from safetylist.timeutil import to_local
    run = inspected(app, inspector, world["e_a1"], checkin.parse_check_in(HERE, on_site=True))
    text = pdf_text(run_pdf(run), tmp_path)
    hazard = db.session.scalars(select(Hazard).where(Hazard.run_id == run.id)).one()
    for expected in ("现场检查记录", "网格巡查测试表", world["e_a1"].name,
                     "检查人员", "王网格（网格员）", "签到时间", f"{to_local(run.checked_in_at):%Y-%m-%d %H:%M}",
                     "签到方式", "扫码到场", "位置", "22.72154, 114.24687 ±13 米",
                     "灭火器是否在有效期内？", "不合格", "灭火器过期", "测试条款五", "照片 1.1-1",
                     "一般隐患", hazard.deadline.isoformat(), "整改期限", "检查人员签字：", "企业负责人签字：", "日期："):
        assert expected in text, expected


@needs_poppler
def test_a_record_without_a_qr_check_in_or_location_says_so(world, site_visit, inspector, app, tmp_path):
    run = inspected(app, inspector, world["e_a1"], checkin.CheckIn(on_site=False))
    text = pdf_text(run_pdf(run), tmp_path)
    assert "未扫码" in text and "未获取" in text and "扫码到场" not in text


def test_a_run_from_before_check_in_existed_prints_no_check_in(world, site_visit, inspector):
    run = runs.start_run(inspector, "site-visit", world["e_a1"])
    runs.submit_run(inspector, run, {"extinguishers": "pass"})
    record = run_record(run)
    assert record["title"] == "现场检查记录"
    assert record["check_in"] == {"inspector": "王网格（网格员）", "checked_in_at": "未签到", "method": "未扫码",
                                  "location": "未获取"}


@needs_poppler
def test_other_records_keep_their_own_title_and_signatures(world, library, app, tmp_path):
    run = submitted_run(app, world["officer"], world["e_a1"], photos=1)
    record = run_record(run)
    assert record["title"] == "每周测试自查表" and record["check_in"] is None
    text = pdf_text(run_pdf(run), tmp_path)
    assert "每周测试自查表" in text and "企业自查" in text and "检查人（签字）" in text and "单位负责人（签字）" in text
    for absent in ("现场检查记录", "签到时间", "检查人员签字"):
        assert absent not in text, absent

