"""Chat's settings, read once from the service's config (every value from the environment)."""

from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

from contracts.contact_details import ContactFilter

DEFAULT_SMTP_PORT = 25
DEFAULT_WEBHOOK_TIMEOUT_S = 10.0
DEFAULT_WEBHOOK_DISABLE_AFTER_DAYS = 5.0


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = DEFAULT_SMTP_PORT
    sender: str = "notifications@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False


@dataclass(frozen=True)
class WebhookPolicy:
    # Hosts, addresses or networks an endpoint may resolve to although they are private.
    allowed_private: tuple[str, ...] = ()
    timeout_s: float = DEFAULT_WEBHOOK_TIMEOUT_S
    disable_after_days: float = DEFAULT_WEBHOOK_DISABLE_AFTER_DAYS


@dataclass(frozen=True)
class Settings:
    contact_filter: ContactFilter
    smtp: Smtp | None = None
    webhook_policy: WebhookPolicy = field(default_factory=WebhookPolicy)

    @property
    def email_enabled(self) -> bool:
        return self.smtp is not None


def _items(value) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(item).strip() for item in value if str(item).strip())
    return tuple(item.strip() for item in str(value or "").split(",") if item.strip())


def load(config: dict) -> Settings:
    host = str(config.get("SMTP_HOST") or "").strip()
    smtp = None
    if host:
        smtp = Smtp(
            host=host,
            port=int(config.get("SMTP_PORT") or DEFAULT_SMTP_PORT),
            sender=str(config.get("SMTP_FROM") or Smtp.sender),
            user=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=str(config.get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"),
        )
    return Settings(
        contact_filter=ContactFilter.from_setting(config.get("MARKETPLACE_REGIONS")),
        smtp=smtp,
        webhook_policy=WebhookPolicy(
            allowed_private=_items(config.get("WEBHOOK_ALLOWED_PRIVATE")),
            timeout_s=float(config.get("WEBHOOK_TIMEOUT_S") or DEFAULT_WEBHOOK_TIMEOUT_S),
            disable_after_days=float(
                config.get("WEBHOOK_DISABLE_AFTER_DAYS") or DEFAULT_WEBHOOK_DISABLE_AFTER_DAYS
            ),
        ),
    )


class ChatSettings(DependencyProvider):
    def setup(self):
        self.settings = load(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
