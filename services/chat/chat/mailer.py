"""E-mail, the feed's second channel: each person's choice, and sending the queued mails.

Mails are queued in the transaction of their notification (``feed.notify``) and sent from here,
so a crash between the two loses nothing; a failed send is retried with backoff.
"""

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select, update

from chassis.database import supports_skip_locked
from chat.feed import ALL_EVENTS
from chat.models import emails, preferences
from chat.notices import NOTICES
from chat.rows import upsert
from contracts.errors import InvalidRequest

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
OTHER_KINDS = ("message.posted", "conversation.tagged")
SMTP_TIMEOUT_S = 10


def choosable_events() -> list[str]:
    return [*NOTICES, *OTHER_KINDS]


def preferences_of(session, actor: dict) -> dict:
    row = session.execute(
        select(preferences.c.email, preferences.c.email_events).where(
            preferences.c.user_id == actor["user_id"]
        )
    ).first()
    chosen = {"email": None, "email_events": [ALL_EVENTS]} if row is None else row._asdict()
    return {**chosen, "choosable_events": choosable_events()}


def set_preferences(session, actor: dict, choice: dict, now) -> None:
    events = list(choice.get("email_events") or [])
    unknown = sorted(set(events) - {ALL_EVENTS, *choosable_events()})
    if unknown:
        raise InvalidRequest(
            f"Unknown event types: {', '.join(unknown)}",
            {"errors": {"email_events": [f"unknown: {', '.join(unknown)}"]}},
        )
    email = (choice.get("email") or "").strip() or None
    if email is not None and "@" not in email:
        raise InvalidRequest("Not an e-mail address", {"errors": {"email": ["needs an @"]}})
    values = {"email": email, "email_events": events, "updated_at": now}
    upsert(
        session,
        preferences,
        {"user_id": actor["user_id"], "role": actor["role"], "org": actor["org"], **values},
        ("user_id",),
        values,
    )


def send_due(uow, smtp, clock) -> int:
    """Send the mails that are due; returns how many went out."""
    sent = 0
    with uow.transaction() as tx:
        now = clock()
        statement = (
            select(emails)
            .where(emails.c.sent_at.is_(None), emails.c.next_attempt_at <= now)
            .order_by(emails.c.id)
            .limit(BATCH)
        )
        if supports_skip_locked(tx.session.get_bind()):
            statement = statement.with_for_update(skip_locked=True)
        due = tx.session.execute(statement).all()
        if not due:
            return 0
        try:
            connection = _connect(smtp)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("cannot reach the SMTP server %s: %s", smtp.host, error)
            return 0
        with connection:
            for mail in due:
                try:
                    connection.send_message(_message(smtp.sender, mail))
                    changes = {"sent_at": now, "attempts": mail.attempts + 1, "last_error": None}
                    sent += 1
                except smtplib.SMTPException as error:
                    attempts = mail.attempts + 1
                    changes = {
                        "attempts": attempts,
                        "last_error": str(error)[:1000],
                        "next_attempt_at": now + FIRST_RETRY * 2 ** (attempts - 1),
                    }
                    if attempts >= MAX_ATTEMPTS:
                        changes["sent_at"] = now  # given up on: kept with its error
                tx.session.execute(update(emails).where(emails.c.id == mail.id).values(**changes))
    return sent


def _connect(smtp) -> smtplib.SMTP:
    connection = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_S)
    if smtp.starttls:
        connection.starttls()
    if smtp.user:
        connection.login(smtp.user, smtp.password or "")
    return connection


def _message(sender: str, mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<notification-{mail.notification_seq}-{mail.id}@marketplace>"
    message.set_content(mail.body)
    return message
