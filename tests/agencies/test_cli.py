"""`flask agencies check` and `flask agencies verify-draw`."""
from __future__ import annotations

from datetime import timedelta

from safetylist.agencies import projects, registry, spotchecks
from safetylist.timeutil import local_today


def test_check_lists_the_rules_and_refuses_a_broken_file_naming_the_line(app, tmp_path):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["agencies", "check"])
    assert ok.exit_code == 0 and "busy evaluator: more than 6 reports in 30 days" in ok.output
    bad = tmp_path / "supervision.yaml"
    bad.write_text("qualification_expiring_days: 90\nself_check_checklist: agency-practice\n"
                   "spot_check_checklist: general-daily\nbusy_evaluator: {days: 30, max_projects: 0}\n"
                   "later_accident_days: 365\nlater_major_hazard_days: 180\nmax_sample_size: 100\n", encoding="utf-8")
    refused = runner.invoke(args=["agencies", "check", str(bad)])
    assert refused.exit_code == 1
    assert "supervision.yaml:4" in refused.output and "max_projects" in refused.output
    bad.write_text(bad.read_text(encoding="utf-8").replace("max_projects: 0", "max_projects: 6"), encoding="utf-8")
    wrong_kind = runner.invoke(args=["agencies", "check", str(bad)])
    assert wrong_kind.exit_code == 1 and "supervision.yaml:3" in wrong_kind.output
    assert "'general-daily' is of kind self_check, not agency_spot_check" in wrong_kind.output


def test_verify_draw_draws_again_and_catches_a_changed_record(app, world, db):
    district = world["district_regulator"]
    evaluator = registry.add_evaluator(district, world["agency"], name="周评价", certificate_no="S-CLI-1")
    today = local_today()
    for n in range(8):
        projects.record_project(district, world["agency"], report_no=f"CLI-{n}", enterprise=world["e_a1"],
                                evaluation_type="special", started_on=today - timedelta(days=20),
                                report_on=today - timedelta(days=10), conclusion="meets", evaluators=[evaluator])
    draw = spotchecks.draw_random(district, today - timedelta(days=30), today, 3, seed="cli")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["agencies", "verify-draw", str(draw.id)])
    assert ok.exit_code == 0 and "the recorded picks are the same" in ok.output
    others = [i for i in draw.population if i not in draw.picked]
    draw.picked = [others[0], *draw.picked[1:]]
    db.session.commit()
    changed = runner.invoke(args=["agencies", "verify-draw", str(draw.id)])
    assert changed.exit_code == 1 and "differ" in changed.output
