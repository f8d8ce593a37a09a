"""Spot checks (抽查) of agencies' projects: choosing projects — at random with a recorded seed, or by a
rule — and inspecting each with the spot-check checklist, whose findings are hazards of the agency.

A random draw is reproducible by anyone: the population is the ascending ids of the projects whose
report falls in the period (for one agency, or all), and the projects drawn are
`random.Random("safetylist-spot-check:" + seed).sample(population, k)` — Python's documented,
platform-independent generator seeded from the string. Both the population and the seed are stored,
so a later project cannot change what a draw picked, and `verify` draws again to prove it.
"""
from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update

from safetylist.agencies import supervision
from safetylist.agencies.models import Agency, EvaluationProject, Evaluator, SpotCheck, SpotCheckDraw, project_evaluator
from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.checklists import runs
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.timeutil import to_local, utc_start_of

SEED_PREFIX = "safetylist-spot-check:"
RULES = ("busy_evaluator", "later_accident", "later_major_hazard")


def pick(seed: str, population: list[int], sample_size: int) -> list[int]:
    """The projects a seed draws from a population (ascending ids), in the order drawn."""
    return random.Random(SEED_PREFIX + seed).sample(sorted(population), min(sample_size, len(population)))


def verify(draw: SpotCheckDraw) -> bool:
    """Does drawing again from the recorded population with the recorded seed give the same projects?"""
    if draw.method != "random":
        return True
    return pick(draw.seed, list(draw.population), draw.sample_size) == list(draw.picked)


def _period_errors(period_start, period_end, agency_id, scope: Scope) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(period_start, date):
        errors["period_start"] = _("Give the first day of the period.")
    if not isinstance(period_end, date):
        errors["period_end"] = _("Give the last day of the period.")
    if not errors and period_end < period_start:
        errors["period_end"] = _("The period ends before it starts.")
    if agency_id is not None and db.session.scalar(scope.agencies().where(Agency.id == agency_id)) is None:
        errors["agency_id"] = _("No such agency.")
    return errors


def population(period_start: date, period_end: date, agency_id: int | None = None) -> list[int]:
    """Ids of the projects whose report was issued in the period, ascending."""
    query = select(EvaluationProject.id).where(EvaluationProject.report_on >= period_start,
                                               EvaluationProject.report_on <= period_end)
    if agency_id is not None:
        query = query.where(EvaluationProject.agency_id == agency_id)
    return list(db.session.scalars(query.order_by(EvaluationProject.id)))


def _require_inspector(actor) -> Scope:
    scope = Scope(actor)
    if not scope.can_spot_check():
        raise PermissionDenied(_("Spot checks of agencies are the district bureau's."))
    return scope


def draw_random(actor, period_start: date, period_end: date, sample_size: int | None,
                agency_id: int | None = None, seed: str | None = None) -> SpotCheckDraw:
    """Draw `sample_size` projects at random and record the draw and a spot check per project."""
    scope = _require_inspector(actor)
    errors = _period_errors(period_start, period_end, agency_id, scope)
    limit = supervision.rules().max_sample_size
    if not isinstance(sample_size, int) or not 1 <= sample_size <= limit:
        errors["sample_size"] = _("Draw between 1 and %(n)d projects.", n=limit)
    seed = (seed or "").strip() or secrets.token_hex(8)
    if len(seed) > 40:
        errors["seed"] = _("At most %(n)d characters.", n=40)
    if errors:
        raise ValidationFailed(errors)
    ids = population(period_start, period_end, agency_id)
    if not ids:
        raise ValidationFailed({"period_start": _("No project's report was issued in this period: nothing to draw from.")})
    picked = pick(seed, ids, sample_size)
    draw = SpotCheckDraw(method="random", seed=seed, sample_size=sample_size, period_start=period_start,
                         period_end=period_end, agency_id=agency_id, population=ids, picked=picked,
                         drawn_by_id=getattr(actor, "id", None))
    reason = {"zh": "随机抽取", "en": "Drawn at random"}
    return _save(actor, draw, [(project_id, reason) for project_id in picked])


def _save(actor, draw: SpotCheckDraw, picks: list[tuple[int, dict]]) -> SpotCheckDraw:
    agencies = dict(db.session.execute(select(EvaluationProject.id, EvaluationProject.agency_id)
                                       .where(EvaluationProject.id.in_([p for p, _ in picks]))).all())
    db.session.add(draw)
    db.session.flush()
    db.session.add_all([SpotCheck(draw_id=draw.id, project_id=project_id, agency_id=agencies[project_id],
                                  reason=reason) for project_id, reason in picks])
    record(actor, "spot_checks_drawn", draw, method=draw.method, rule=draw.rule, seed=draw.seed,
           population=len(draw.population), picked=list(draw.picked))
    db.session.commit()
    return draw


# --- picks by rule ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    project_id: int
    reason: dict  # {"zh": …, "en": …}


def busy_evaluators(period_start: date, period_end: date, agency_id: int | None = None) -> dict[int, int]:
    """{evaluator id: reports signed in the period} for evaluators above the plausible number (the
    rule's `max_projects` per `days`, scaled to the period's length)."""
    rule = supervision.rules().busy_evaluator
    days = (period_end - period_start).days + 1
    limit = math.ceil(rule.max_projects * max(days, rule.days) / rule.days)
    query = (select(project_evaluator.c.evaluator_id, func.count())
             .join(EvaluationProject, EvaluationProject.id == project_evaluator.c.project_id)
             .where(EvaluationProject.report_on >= period_start, EvaluationProject.report_on <= period_end)
             .group_by(project_evaluator.c.evaluator_id).having(func.count() > limit))
    if agency_id is not None:
        query = query.where(EvaluationProject.agency_id == agency_id)
    return dict(db.session.execute(query).all())


def _busy_matches(ids: list[int], period_start, period_end, agency_id) -> list[Match]:
    busy = busy_evaluators(period_start, period_end, agency_id)
    if not busy:
        return []
    names = dict(db.session.execute(select(Evaluator.id, Evaluator.name).where(Evaluator.id.in_(list(busy)))).all())
    rule = supervision.rules().busy_evaluator
    signed: dict[int, list[int]] = {}
    for project_id, evaluator_id in db.session.execute(
            select(project_evaluator.c.project_id, project_evaluator.c.evaluator_id)
            .where(project_evaluator.c.evaluator_id.in_(list(busy)), project_evaluator.c.project_id.in_(ids))
            .order_by(project_evaluator.c.project_id, project_evaluator.c.evaluator_id)):
        signed.setdefault(project_id, []).append(evaluator_id)
    matches = []
    for project_id, evaluators in sorted(signed.items()):
        who_zh = "；".join(f"{names[e]}在此期间签署{busy[e]}份报告" for e in evaluators)
        who_en = "; ".join(f"{names[e]} signed {busy[e]} reports in the period" for e in evaluators)
        matches.append(Match(project_id, {
            "zh": f"{who_zh}（每{rule.days}天超过{rule.max_projects}份即不合常理）",
            "en": f"{who_en} (more than {rule.max_projects} per {rule.days} days is implausible)"}))
    return matches


def _accident_matches(ids: list[int]) -> list[Match]:
    from safetylist.interviews.accidents import CATEGORY_EN
    from safetylist.interviews.models import CATEGORY_ZH, Accident
    days = supervision.rules().later_accident_days
    rows = db.session.execute(
        select(EvaluationProject.id, EvaluationProject.report_on, Accident.occurred_at, Accident.category)
        .join(Accident, Accident.enterprise_id == EvaluationProject.enterprise_id)
        .where(EvaluationProject.id.in_(ids))
        .order_by(EvaluationProject.id, Accident.occurred_at)).all()
    matches: dict[int, Match] = {}
    for project_id, report_on, occurred_at, category in rows:
        if project_id in matches or not utc_start_of(report_on + timedelta(days=1)) <= occurred_at \
                < utc_start_of(report_on + timedelta(days=days + 1)):
            continue
        day = to_local(occurred_at).date()
        after = (day - report_on).days
        matches[project_id] = Match(project_id, {
            "zh": f"报告出具后{after}天（{day.isoformat()}）企业发生{CATEGORY_ZH.get(category, category)}事故",
            "en": f"{CATEGORY_EN.get(category, category)} accident at the enterprise {after} days after the report "
                  f"({day.isoformat()})"})
    return list(matches.values())


def _hazard_matches(ids: list[int]) -> list[Match]:
    from safetylist.remediation.models import Hazard
    days = supervision.rules().later_major_hazard_days
    rows = db.session.execute(
        select(EvaluationProject.id, EvaluationProject.report_on, Hazard.found_on, Hazard.title)
        .join(Hazard, and_(Hazard.enterprise_id == EvaluationProject.enterprise_id, Hazard.severity == "major",
                           Hazard.found_on > EvaluationProject.report_on))
        .where(EvaluationProject.id.in_(ids), EvaluationProject.conclusion.in_(("meets", "meets_after_fixes")),
               Hazard.status != "withdrawn")
        .order_by(EvaluationProject.id, Hazard.found_on)).all()
    matches: dict[int, Match] = {}
    for project_id, report_on, found_on, title in rows:
        after = (found_on - report_on).days
        if project_id in matches or after > days:
            continue
        matches[project_id] = Match(project_id, {
            "zh": f"报告结论为符合，但{after}天后（{found_on.isoformat()}）发现重大事故隐患：{title}",
            "en": f"The report concluded the enterprise met the requirements, but a major hazard was found "
                  f"{after} days later ({found_on.isoformat()}): {title}"})
    return list(matches.values())


def rule_matches(rule: str, period_start: date, period_end: date, agency_id: int | None = None) -> list[Match]:
    ids = population(period_start, period_end, agency_id)
    if not ids:
        return []
    if rule == "busy_evaluator":
        return _busy_matches(ids, period_start, period_end, agency_id)
    if rule == "later_accident":
        return _accident_matches(ids)
    if rule == "later_major_hazard":
        return _hazard_matches(ids)
    raise ValueError(rule)


def pick_by_rule(actor, rule: str, period_start: date, period_end: date,
                 agency_id: int | None = None) -> SpotCheckDraw:
    """Pick every project of the period that meets the rule, with the reason for each."""
    scope = _require_inspector(actor)
    errors = _period_errors(period_start, period_end, agency_id, scope)
    if rule not in RULES:
        errors["rule"] = _("Choose a rule.")
    if errors:
        raise ValidationFailed(errors)
    matches = rule_matches(rule, period_start, period_end, agency_id)
    if not matches:
        raise ValidationFailed({"rule": _("No project of the period meets this rule: nothing was picked.")})
    draw = SpotCheckDraw(method="rule", rule=rule, period_start=period_start, period_end=period_end,
                         agency_id=agency_id, population=population(period_start, period_end, agency_id),
                         picked=[m.project_id for m in matches], drawn_by_id=getattr(actor, "id", None))
    return _save(actor, draw, [(m.project_id, m.reason) for m in matches])


# --- inspecting ----------------------------------------------------------------------------------
def start(actor, spot_check: SpotCheck):
    """The spot check's run (a draft of the spot-check checklist against the agency), made on first use.
    Two inspectors starting at once get the same run."""
    _require_inspector(actor)
    if spot_check.run is not None:
        return spot_check.run
    run = runs.start_run(actor, supervision.rules().spot_check_checklist, None, agency_id=spot_check.agency_id,
                         reuse_draft=False)
    claimed = db.session.execute(update(SpotCheck).where(SpotCheck.id == spot_check.id, SpotCheck.run_id.is_(None))
                                 .values(run_id=run.id, inspector_id=getattr(actor, "id", None))).rowcount
    if not claimed:  # someone else started it a moment ago: theirs is the one
        db.session.delete(run)
        db.session.commit()
        db.session.refresh(spot_check)
        return spot_check.run
    record(actor, "spot_check_started", spot_check, run_id=run.id, project_id=spot_check.project_id)
    db.session.commit()
    db.session.refresh(spot_check)
    return spot_check.run


def spot_check_of_run(run_id: int) -> SpotCheck | None:
    return db.session.scalars(select(SpotCheck).where(SpotCheck.run_id == run_id)).first()


def findings(actor, spot_checks: list[SpotCheck]) -> dict[int, list]:
    """{spot check id: the hazards its run opened}, as the actor's scope allows."""
    from safetylist.remediation.models import Hazard
    by_run = {s.run_id: s.id for s in spot_checks if s.run_id}
    result: dict[int, list] = {s.id: [] for s in spot_checks}
    if by_run:
        for hazard in db.session.scalars(Scope(actor).hazards().where(Hazard.run_id.in_(list(by_run)))
                                         .order_by(Hazard.id)):
            result[by_run[hazard.run_id]].append(hazard)
    return result


def recent_draws(actor, limit: int = 20) -> list[SpotCheckDraw]:
    return db.session.scalars(Scope(actor).spot_check_draws().order_by(SpotCheckDraw.id.desc()).limit(limit)).all()
