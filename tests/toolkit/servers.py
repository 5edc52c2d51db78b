"""Local HTTP servers for outgoing-delivery tests: a chat robot that answers, hangs, or trickles.

They listen on 127.0.0.1 in the port range 18500–18599 (the first free one), each in a thread of the
test process; nothing leaves the machine. Chat webhooks refuse loopback addresses unless
WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on, so tests that post to these servers turn it on.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = range(18500, 18600)


def start_server(handler_class) -> ThreadingHTTPServer:
    """A threaded HTTP server on the first free port of PORTS, serving in a daemon thread."""
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler_class)
        except OSError:
            continue
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        server.thread = thread
        return server
    raise RuntimeError("no free port in 18500-18599")


def stop_server(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
    server.thread.join(timeout=5)


class Robot:
    """A chat robot (WeCom reply format by default) that records each request and answers as told.

    ``mode``: "answer" replies at once; "hang" reads the request and never replies (until the test
    ends); "trickle_headers" / "trickle_body" send the reply one byte every ``trickle_interval``
    seconds, for up to ``trickle_seconds``.
    """

    def __init__(self, *, mode="answer", status=200, body=None, trickle_interval=0.1, trickle_seconds=10):
        self.mode = mode
        self.status = status
        self.body = body if body is not None else {"errcode": 0, "errmsg": "ok"}
        self.trickle_interval = trickle_interval
        self.trickle_seconds = trickle_seconds
        self.received = []  # (path, headers, raw body bytes)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = None

    def answer(self, *, status=200, body=None):
        self.mode, self.status = "answer", status
        self.body = body if body is not None else {"errcode": 0, "errmsg": "ok"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=robot-secret"

    @property
    def port(self) -> int:
        return self.server.server_port

    def payloads(self):
        return [json.loads(raw) for _path, _headers, raw in self.received]

    def delivery_ids(self):
        return [headers.get("X-Delivery-Id") for _path, headers, _raw in self.received]

    def __enter__(self):
        robot = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with robot.lock:
                    robot.received.append((self.path, dict(self.headers), raw))
                reply = robot.body if isinstance(robot.body, bytes) else json.dumps(robot.body).encode()
                if robot.mode == "hang":
                    robot.stopping.wait(60)
                    return
                if robot.mode == "trickle_headers":
                    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(reply)}\r\n" + "X-Slow: " + "a" * 1000
                    self._trickle(head.encode())
                    return
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                if robot.mode == "trickle_body":
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self._trickle(b" " * 100000)
                    return
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def _trickle(self, data: bytes):
                ends = time.monotonic() + robot.trickle_seconds
                for byte in data:
                    if time.monotonic() > ends or robot.stopping.is_set():
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return  # the sender hung up
                    time.sleep(robot.trickle_interval)

            def log_message(self, format, *args):
                pass

        self.server = start_server(Handler)
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        stop_server(self.server)
