"""Schedules: office hours and closures, hub shifts, staff availability and absences, rooms,
bookings with their per-unit claims, reminders and the notification log.

Revision ID: sched_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "sched_0001"
down_revision = "hub_0002"
branch_labels = ("schedules",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def _weekly(name: str, *owner: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True),
        *owner,
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("start_minute", sa.Integer, nullable=False),
        sa.Column("end_minute", sa.Integer, nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=f"ck_{name}_weekday"),
        sa.CheckConstraint(
            "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
            name=f"ck_{name}_minutes",
        ),
    )


def upgrade() -> None:
    office = "offices.code"
    _weekly(
        "office_hours", sa.Column("office_code", sa.String(16), sa.ForeignKey(office), index=True)
    )
    op.create_table(
        "office_closures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("office_code", sa.String(16), sa.ForeignKey(office), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("reason", sa.String(120), nullable=False),
        sa.UniqueConstraint("office_code", "day", name="uq_office_closures_office_code"),
    )
    _weekly(
        "hub_shifts",
        sa.Column("hub_code", sa.String(16), sa.ForeignKey(office), nullable=False),
        sa.Column("branch_code", sa.String(16), sa.ForeignKey(office), index=True),
    )
    _weekly(
        "staff_availability",
        sa.Column("username", sa.String(64), sa.ForeignKey("staff.username"), index=True),
        sa.Column("branch_code", sa.String(16), sa.ForeignKey(office), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    op.create_table(
        "staff_absences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), sa.ForeignKey("staff.username"), index=True),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name="ck_staff_absences_order"),
    )
    op.create_table(
        "rooms",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("office_code", sa.String(16), sa.ForeignKey(office), index=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.CheckConstraint("capacity >= 1", name="ck_rooms_capacity"),
    )
    _bookings()
    _notifications()


def _bookings() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("branch_code", sa.String(16), sa.ForeignKey("offices.code"), index=True),
        sa.Column("staff_username", sa.String(64), sa.ForeignKey("staff.username"), index=True),
        sa.Column("room_code", sa.String(32), sa.ForeignKey("rooms.code"), nullable=False),
        sa.Column("starts_at", TZ, nullable=False, index=True),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("party_size", sa.Integer, nullable=False),
        sa.Column("resident_name", sa.String(120), nullable=False),
        sa.Column("resident_contact", sa.String(200), nullable=False),
        sa.Column("resident_zone", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name="ck_bookings_order"),
    )
    op.create_table(
        "booking_claims",
        sa.Column("resource", sa.String(80), nullable=False),
        sa.Column("unit_start", TZ, nullable=False),
        sa.Column(
            "booking_id",
            sa.Integer,
            sa.ForeignKey("bookings.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.PrimaryKeyConstraint("resource", "unit_start", name="pk_booking_claims"),
    )


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("due_at", TZ, nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
    )
    op.create_table(
        "notification_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notification_id", sa.Integer, sa.ForeignKey("notifications.id"), unique=True),
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), index=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "notification_log",
        "notifications",
        "booking_claims",
        "bookings",
        "rooms",
        "staff_absences",
        "staff_availability",
        "hub_shifts",
        "office_closures",
        "office_hours",
    ):
        op.drop_table(name)
