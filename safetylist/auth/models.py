"""User accounts: one role each, bound to the part of the district the role works in."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from safetylist.extensions import db
from safetylist.timeutil import utcnow


class User(UserMixin, db.Model):
    __table_args__ = (
        CheckConstraint(
            "role IN ('officer','grid_worker','street_regulator','district_regulator','agency_staff','admin')",
            name="role"),
        # The binding each role's scope depends on is enforced by the database, not only by forms.
        CheckConstraint("role <> 'officer' OR enterprise_id IS NOT NULL", name="officer_enterprise"),
        CheckConstraint("role <> 'street_regulator' OR street_id IS NOT NULL", name="regulator_street"),
        CheckConstraint("role <> 'agency_staff' OR agency_id IS NOT NULL", name="staff_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    # Channels besides the inbox the user wants reminders on (the inbox always gets them).
    notify_email: Mapped[bool] = mapped_column(default=True, server_default="1")
    notify_webhook: Mapped[bool] = mapped_column(default=True, server_default="1")
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    enterprise: Mapped["Enterprise | None"] = relationship()
    street: Mapped["Street | None"] = relationship()
    agency: Mapped["Agency | None"] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active
