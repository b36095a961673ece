"""Status feedback to citizens' apps: an app (a user with the `public` role) may register a
webhook; every change of status of a problem it reported queues a delivery in the same
transaction (an outbox, filled by a trigger on the history), and `geoapi open311 deliver`
posts them, retrying with back-off.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENQUEUE = """
CREATE FUNCTION geoapi_open311_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO open311_deliveries (username, issue_id, event_id)
  SELECT w.username, NEW.issue_id, NEW.id
    FROM issue_events r JOIN open311_webhooks w ON w.username = r.actor
   WHERE r.issue_id = NEW.issue_id AND r.action = 'report';
  RETURN NULL;
END $$;
CREATE TRIGGER issue_events_open311 AFTER INSERT ON issue_events FOR EACH ROW
  WHEN (NEW.action <> 'report' AND NEW.from_status IS DISTINCT FROM NEW.to_status)
  EXECUTE FUNCTION geoapi_open311_enqueue();
"""


def upgrade() -> None:
    op.create_table(
        "open311_webhooks",
        sa.Column(
            "username",
            sa.Text(),
            sa.ForeignKey("users.username", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_table(
        "open311_deliveries",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column(
            "username",
            sa.Text(),
            sa.ForeignKey("open311_webhooks.username", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "issue_id",
            sa.Uuid(),
            sa.ForeignKey("issues.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "event_id",
            sa.BigInteger(),
            sa.ForeignKey("issue_events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("failed_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
    )
    op.create_index(
        "ix_open311_deliveries_due",
        "open311_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("delivered_at IS NULL AND failed_at IS NULL"),
    )
    op.create_index("ix_open311_deliveries_event_id", "open311_deliveries", ["event_id"])
    op.execute(ENQUEUE)


def downgrade() -> None:
    op.execute("DROP TRIGGER issue_events_open311 ON issue_events")
    op.execute("DROP FUNCTION geoapi_open311_enqueue()")
    op.drop_table("open311_deliveries")
    op.drop_table("open311_webhooks")
