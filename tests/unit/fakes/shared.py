"""In-memory fakes of the shared kernel's outward ports: the message publisher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contexts.shared.publisher import BrokerUnavailable


@dataclass
class FakePublisher:
    """``contexts.shared.publisher.MessagePublisher``: keeps what was published, in order;
    ``down`` makes every publish raise ``BrokerUnavailable`` as an unconfirmed one does."""

    sent: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    down: bool = False

    async def publish(self, kind: str, body: dict[str, Any], message_id: str) -> None:
        if self.down:
            raise BrokerUnavailable("RabbitMQ is not configured or was unreachable at start.")
        self.sent.append((kind, body, message_id))

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.sent]
