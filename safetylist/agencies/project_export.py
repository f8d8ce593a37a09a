"""Excel export of evaluation projects as listed (same filters), in the columns the importer reads
first — so an export can be corrected and imported elsewhere — then the agency and the enterprise."""
from __future__ import annotations

import io

from sqlalchemy.orm import joinedload, selectinload

from safetylist import spreadsheet
from safetylist.agencies.labels import CONCLUSION_ZH, TYPE_ZH
from safetylist.agencies.models import EvaluationProject
from safetylist.agencies.project_import import COLUMNS
from safetylist.agencies.projects import ProjectFilters
from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.i18n import is_chinese

EXTRA = (("评价机构", "Agency"), ("企业名称", "Enterprise"))


def _row(project: EvaluationProject, chinese: bool) -> list:
    return [project.report_no, project.enterprise.credit_code,
            TYPE_ZH[project.evaluation_type] if chinese else project.evaluation_type,
            project.started_on, project.report_on, "、".join(e.name for e in project.evaluators),
            CONCLUSION_ZH[project.conclusion] if chinese else project.conclusion, project.conclusion_text or "",
            project.agency.name, project.enterprise.name]


def export_projects(actor, filters: ProjectFilters) -> io.BytesIO:
    """Every project in the actor's scope matching the filters, newest report first; audited."""
    chinese = is_chinese()
    query = (filters.apply(Scope(actor).projects())
             .options(joinedload(EvaluationProject.enterprise), joinedload(EvaluationProject.agency),
                      selectinload(EvaluationProject.evaluators))
             .order_by(EvaluationProject.report_on.desc(), EvaluationProject.id.desc()))
    headers = [c.zh if chinese else c.en for c in COLUMNS] + [zh if chinese else en for zh, en in EXTRA]
    stream, count = spreadsheet.workbook_stream("评价项目" if chinese else "Projects", headers,
                                                (_row(p, chinese) for p in db.session.scalars(query)))
    record(actor, "projects_exported", None, count=count,
           filters={k: v for k, v in vars(filters).items() if v is not None})
    db.session.commit()
    return stream
