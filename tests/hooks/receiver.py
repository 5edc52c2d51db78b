"""A real webhook receiver for the tests: a threaded HTTP server on 127.0.0.1 (ports 15300–15389) that
checks each request's X-Toolkit-Signature with the endpoint's secret, as a real receiver would.

It answers with the statuses it is given, one per request (then 200), and counts a delivery as
received only when its answer reached a sender still waiting (a sender that hung up is "aborted").
``hold_first`` keeps the first request open until its sender goes away (a worker killed mid-send).
"""

import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hooks.services import signature_valid

PORTS = range(15300, 15390)


class Receiver:
    def __init__(self, secret: str = "", *, statuses=(), hold_first=False):
        self.secret = secret
        self.statuses = list(statuses)
        self.hold_first = hold_first
        self.requests = []  # (headers, body bytes, signature valid)
        self.received = []  # X-Delivery-Id of each request answered 2xx to a waiting sender
        self.aborted = []
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/toolkit-events"

    def ids(self):
        return [headers.get("X-Delivery-Id") for headers, _body, _valid in self.requests]

    def __enter__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers)
                valid = signature_valid(receiver.secret, headers.get("X-Toolkit-Signature", ""), body)
                with receiver.lock:
                    first = not receiver.requests
                    receiver.requests.append((headers, body, valid))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if not valid:
                    status = 401
                if first and receiver.hold_first and receiver._held_until_hangup(self.connection, headers):
                    return
                reply = json.dumps({"ok": status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                self.wfile.flush()
                if status < 300:
                    with receiver.lock:
                        receiver.received.append(headers.get("X-Delivery-Id"))

            def log_message(self, format, *args):
                pass

        for port in PORTS:
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no free port in 15300-15389")
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()
        return self

    def _held_until_hangup(self, sock, headers, timeout=60) -> bool:
        """True when the sender hung up while held (counted aborted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable and sock.recv(1, socket.MSG_PEEK) == b"":
                with self.lock:
                    self.aborted.append(headers.get("X-Delivery-Id"))
                return True
        return False

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
