"""Safety evaluation agencies (安全评价机构): the registry with its evaluators, the evaluation projects
they did for enterprises in the district, the regulators' calls for self-checks and their spot checks
(抽查) of projects. Agency staff accounts are bound to one agency. Only the services of
safetylist/agencies/ change these rows."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

# 安全评价的类型 (AQ 8001-2007 and the hazardous chemicals rules): pre-evaluation of a project,
# acceptance evaluation on completion, evaluation of the current state, and special evaluations.
EVALUATION_TYPES = ("pre", "acceptance", "current", "special")
CONCLUSIONS = ("meets", "meets_after_fixes", "does_not_meet")  # 符合 / 整改后符合 / 不符合


class Agency(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    qualification_no: Mapped[str | None] = mapped_column(String(60))
    qualification_issued_on: Mapped[date | None]
    qualification_expires_on: Mapped[date | None] = mapped_column(index=True)  # 资质证书有效期至
    business_scope: Mapped[str | None] = mapped_column(Text)                  # 业务范围
    address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    evaluators: Mapped[list["Evaluator"]] = relationship(back_populates="agency", order_by="Evaluator.name")

    __mapper_args__ = {"version_id_col": lock_version}


class Evaluator(db.Model):
    """A registered safety evaluator (安全评价师) working for the agency."""
    __table_args__ = (UniqueConstraint("certificate_no", name="uq_evaluator_certificate_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    certificate_no: Mapped[str] = mapped_column(String(60))
    specialty: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True, server_default="1")

    agency: Mapped[Agency] = relationship(back_populates="evaluators")


project_evaluator = Table(
    "project_evaluator", db.metadata,
    Column("project_id", ForeignKey("evaluation_project.id", ondelete="CASCADE"), primary_key=True),
    Column("evaluator_id", ForeignKey("evaluator.id"), primary_key=True, index=True),
)


class EvaluationProject(db.Model):
    """An evaluation an agency did for an enterprise of the district, and the report it issued."""
    __table_args__ = (
        UniqueConstraint("agency_id", "report_no", name="uq_project_report_no"),
        CheckConstraint("evaluation_type IN ('pre','acceptance','current','special')", name="evaluation_type"),
        CheckConstraint("conclusion IN ('meets','meets_after_fixes','does_not_meet')", name="conclusion"),
        CheckConstraint("started_on <= report_on", name="dates"),
        Index("ix_evaluation_project_report_on", "report_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    report_no: Mapped[str] = mapped_column(String(60))
    evaluation_type: Mapped[str] = mapped_column(String(12))
    started_on: Mapped[date]
    report_on: Mapped[date]                                  # the day the report was issued
    conclusion: Mapped[str] = mapped_column(String(20))
    conclusion_text: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    agency: Mapped[Agency] = relationship()
    enterprise: Mapped["Enterprise"] = relationship()  # noqa: F821
    evaluators: Mapped[list[Evaluator]] = relationship(secondary=project_evaluator, order_by="Evaluator.name")

    __mapper_args__ = {"version_id_col": lock_version}


class SelfCheckCall(db.Model):
    """A regulator's demand that every active agency files a practice self-check by a day, e.g. at the
    start of a campaign (专项整治); any self-check submitted from the call on answers it."""
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(index=True)
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpotCheckDraw(db.Model):
    """A recorded choice of projects to inspect: at random from a recorded population with a recorded
    seed (anyone can draw again and get the same projects), or by a rule."""
    __table_args__ = (CheckConstraint("method IN ('random','rule')", name="method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str | None] = mapped_column(String(40))         # the rule's id (method "rule")
    seed: Mapped[str | None] = mapped_column(String(40))         # method "random"
    sample_size: Mapped[int | None]
    period_start: Mapped[date]
    period_end: Mapped[date]
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))  # None: every agency
    population: Mapped[list] = mapped_column(JSON, default=list)  # project ids drawn from, ascending
    picked: Mapped[list] = mapped_column(JSON, default=list)      # project ids, in the order drawn
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency | None] = relationship()
    spot_checks: Mapped[list["SpotCheck"]] = relationship(back_populates="draw", order_by="SpotCheck.id")


class SpotCheck(db.Model):
    """One project to inspect; its checklist run (against the agency) holds the findings."""
    __table_args__ = (UniqueConstraint("draw_id", "project_id", name="uq_spot_check_draw_project"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("spot_check_draw.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("evaluation_project.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    reason: Mapped[dict] = mapped_column(JSON, default=dict)    # why it was picked: {"zh": …, "en": …}
    run_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_run.id"), unique=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    draw: Mapped[SpotCheckDraw] = relationship(back_populates="spot_checks")
    project: Mapped[EvaluationProject] = relationship()
    agency: Mapped[Agency] = relationship()
    run: Mapped["ChecklistRun | None"] = relationship()  # noqa: F821

    @property
    def status(self) -> str:
        """planned, in_progress or done: read from the run, so it never disagrees with it."""
        if self.run is None:
            return "planned"
        return "done" if self.run.status == "submitted" else "in_progress"
