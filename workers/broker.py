"""The Redis broker transport, made to survive a Redis restart with late acks.

When the broker connection drops, Celery's consumer closes the connection
(``Consumer.on_connection_error_after_connected``). Closing the channel makes
kombu put back the messages it delivered but that are not acknowledged yet
(``QoS.restore_unacked_once``): with late acks there always are some under load.
By then the transport has forgotten its connection settings
(``transport.client`` is None), so building a Redis client to restore them
raises ``AttributeError: 'NoneType' object has no attribute 'hostname'`` from
``Channel._connparams``. ``ignore_errors`` around the close only ignores
connection errors, so the AttributeError ends the worker ("Unrecoverable error").

The same happens when a task finishes after the close and its late ack goes
through the closed channel (``'NoneType' object has no attribute 'client'``).

This channel answers both with a connection error, which Celery and kombu
handle (the consumer reconnects; a failed ack is logged). Restoring cannot work
at that moment anyway (Redis is unreachable): the QoS says so and goes on. The
messages stay in Redis's unacked set (restored after the visibility timeout, if
Redis kept its data), and the outbox sweep sends the index events again in any
case. Index jobs are idempotent.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

#: ``broker_transport`` for a ``redis://`` broker
TRANSPORT = "workers.broker:Transport"


class QoS(kombu_redis.QoS):
    def restore_unacked(self, client: Any = None) -> None:
        try:
            super().restore_unacked(client)
        except (OSError, RedisError) as exc:
            count = len(self._delivered)
            self._delivered.clear()
            log.warning(
                "broker connection lost: %d unacknowledged message(s) not put back (%s); "
                "Redis restores them after the visibility timeout, the outbox sweep re-sends "
                "their index events",
                count,
                exc,
            )


class Channel(kombu_redis.Channel):
    QoS = QoS

    def _connparams(self, asynchronous: bool = False) -> Any:
        # A closed channel has no connection settings left: say so with a connection
        # error, which Celery and kombu recover from, not an AttributeError, which
        # ends the worker (a late ack or a restore after the connection was closed).
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
