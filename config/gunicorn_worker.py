"""gunicorn's gthread worker, except that a new connection waits for its request in the
worker's poller instead of in one of its threads.

gunicorn's `ThreadWorker.accept` hands every accepted connection straight to the thread
pool, where `handle` blocks for up to 5 s (`DEFAULT_WORKER_DATA_TIMEOUT`) until the
client sends something. A client that connects before it has a request to send (a
kiosk's browser opening its connection while the citizen is still answering, a load
generator pacing its kiosks) so holds one of the worker's few threads for that time,
and requests that are ready queue behind it: with 4 threads, paced kiosks saw a p99 of
half a second on a view that does nothing (docs/deployment.md, "gunicorn worker").

Here an accepted connection is registered with the poller as gunicorn's own deferred
connections are (`pending_conns`, closed by `murder_pending` when nothing arrives), and
reaches a thread only once it is readable. Kept-alive connections already work that way.
Use: `gunicorn --worker-class config.gunicorn_worker.PromptThreadWorker --threads N`.
"""

from __future__ import annotations

import errno
import selectors
import time
from functools import partial
from typing import TYPE_CHECKING

from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, TConn, ThreadWorker

if TYPE_CHECKING:
    from gunicorn.sock import BaseSocket


class PromptThreadWorker(ThreadWorker):
    def accept(self, listener: BaseSocket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking
        # As long as gunicorn would wait for the first request (in a thread, then in the
        # poller) before closing the connection.
        conn.timeout = time.monotonic() + DEFAULT_WORKER_DATA_TIMEOUT + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            client_sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )
