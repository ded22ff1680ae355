"""A Nameko timer whose interval comes from the service's config."""

from typing import Any

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, config_key: str, default_interval: float, **kwargs: Any):
        self.config_key = config_key
        super().__init__(interval=default_interval, **kwargs)

    def setup(self) -> None:
        self.interval: float = float(self.container.config.get(self.config_key, self.interval))
        super().setup()


every = ConfiguredTimer.decorator
