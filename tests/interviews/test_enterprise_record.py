"""The enterprise page lists the enterprise's accidents, interviews and open commitments."""
from __future__ import annotations

from datetime import date

from sqlalchemy import event

from safetylist.remediation.models import Hazard
from tests.interviews.test_suggestions import accident, interview


def commitment(db, enterprise, row, title="一个月内完成全员安全培训", status="open", deadline=date(2026, 12, 31)):
    hazard = Hazard(enterprise_id=enterprise.id, severity="general", title=title, found_on=date(2026, 11, 2),
                    deadline=deadline, source="interview", interview_id=row.id, responsible_person="张三",
                    status=status)
    db.session.add(hazard)
    db.session.commit()
    return hazard


def test_the_page_lists_accidents_interviews_and_open_commitments(world, db, login_as):
    e_a1 = world["e_a1"]
    fatal = accident(db, e_a1, "2026-03-02 08:15", deaths=1, injuries=2)
    held = interview(db, e_a1, planned="2026-11-02 09:30", held="2026-11-02 09:40", status="follow_up")
    ahead = interview(db, e_a1, planned="2026-12-20 09:30", status="notice_issued")
    open_one = commitment(db, e_a1, held)
    done = commitment(db, e_a1, held, title="更换破损灭火器", status="closed")
    other = accident(db, world["e_a2"], "2026-04-02 08:15")
    for user in ("district_regulator", "street_regulator", "officer", "grid_worker"):
        page = login_as(world[user]).get(f"/enterprises/{e_a1.id}").get_data(as_text=True)
        for path in (f"/accidents/{fatal.id}", f"/interviews/{held.id}", f"/interviews/{ahead.id}",
                     f"/hazards/{open_one.id}"):
            assert f'href="{path}"' in page, (user, path)
        assert f'href="/hazards/{done.id}"' not in page and f'href="/accidents/{other.id}"' not in page
        assert "2026-03-02 08:15" in page and "张三" in page
        assert ('href="/interviews/new?enterprise_id=%d"' % e_a1.id in page) == (user.endswith("regulator"))


def test_nothing_recorded_shows_no_section(world, login_as):
    page = login_as(world["district_regulator"]).get(f"/enterprises/{world['e_b1'].id}").get_data(as_text=True)
    assert 'id="record-title"' not in page


def test_the_page_takes_the_same_number_of_queries_whatever_the_record(world, db, login_as):
    e_a1 = world["e_a1"]
    client = login_as(world["district_regulator"])

    def statements():
        db.session.expire_all()  # each request loads what it needs, as in production
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/enterprises/{e_a1.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def add(i):
        accident(db, e_a1, f"2026-0{i}-02 08:15", deaths=1)
        row = interview(db, e_a1, planned=f"2026-0{i}-05 09:30", held=f"2026-0{i}-05 09:30", status="closed")
        commitment(db, e_a1, row)
    empty = statements()
    add(1)
    one = statements()
    for i in range(2, 8):
        add(i)
    assert statements() == one == empty
