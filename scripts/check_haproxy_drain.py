#!/usr/bin/env python3
"""Runs deploy/haproxy/haproxy.cfg as shipped against three stub hosts on loopback and checks the
behaviour a rolling restart relies on:
  1. a host whose /health turns 503 (a draining mediaflow) is marked DOWN within the lame-duck
     window the docs and deploy files set (DRAIN_LAME_DUCK_SECONDS=2), and gets no new request after;
  2. an upgraded (WebSocket) connection already on that host keeps flowing while it is DOWN;
  3. when /health is 200 again the host is back in rotation.
The stubs are not mediaflow (the fleet test runs the real hosts); they answer /health, 101 to an
Upgrade (then echo bytes, like a tunnelled call) and 200 with their name to anything else.
Usage: check_haproxy_drain.py HAPROXY_CFG   (needs the haproxy binary; loopback only)"""

import base64
import hashlib
import os
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time



def shipped_lame_duck_seconds():
    """DRAIN_LAME_DUCK_SECONDS of deploy/systemd/mediaflow.env (compose's is checked equal-or-above
    HAProxy's detection by check_deploy_consistency.py)."""
    env = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "systemd", "mediaflow.env")
    for line in open(env):
        if line.startswith("DRAIN_LAME_DUCK_SECONDS="):
            return float(line.split("=", 1)[1])
    raise SystemExit(f"no DRAIN_LAME_DUCK_SECONDS in {env}")


LAME_DUCK_SECONDS = shipped_lame_duck_seconds()


class StubHost(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name):
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.name = name
        self.healthy = True
        self.requests = 0  # non-health requests served


class StubHandler(socketserver.StreamRequestHandler):
    def handle(self):
        host = self.server
        head = []
        while True:
            line = self.rfile.readline()
            if not line or line in (b"\r\n", b"\n"):
                break
            head.append(line.decode("latin-1").strip())
        if not head:
            return
        path = head[0].split(" ")[1]
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        if path == "/health":
            status = "200 OK" if host.healthy else "503 Service Unavailable"
            self.reply(status, b'{"ok":%s}' % (b"true" if host.healthy else b"false"))
            return
        host.requests += 1
        if headers.get("upgrade", "").lower() == "websocket":
            # A real upgrade answer (HAProxy checks Sec-WebSocket-Accept); after it the bytes are
            # echoed raw, not framed: haproxy tunnels them without looking.
            accept = base64.b64encode(hashlib.sha1(
                (headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                             b"Upgrade: websocket\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept)
            self.wfile.flush()
            while True:
                data = self.request.recv(4096)
                if not data:
                    return
                self.request.sendall(host.name.encode() + b":" + data)
        self.reply("200 OK", host.name.encode())

    def reply(self, status, body):
        self.wfile.write(b"HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (status.encode(), len(body), body))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def runtime_api(sock_path, command):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock_path)
        s.sendall(command.encode() + b"\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out.decode()


def server_status(sock_path):
    """{server name: status} of backend mediaflow, from `show stat` (CSV)."""
    lines = runtime_api(sock_path, "show stat").splitlines()
    cols = lines[0].lstrip("# ").split(",")
    status = {}
    for line in lines[1:]:
        row = dict(zip(cols, line.split(",")))
        if row.get("pxname") == "mediaflow" and row.get("svname", "").startswith("media-"):
            status[row["svname"]] = row["status"]
    return status


def wait_for(predicate, timeout):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def http_get(port, path="/"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n" % path.encode())
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    return data.split(b"\r\n\r\n", 1)[1].decode()


def main():
    cfg = sys.argv[1]
    hosts = [StubHost(f"media-{i}") for i in (1, 2, 3)]
    for h in hosts:
        threading.Thread(target=h.serve_forever, daemon=True).start()
    lb_port = free_port()
    tmp = tempfile.mkdtemp(prefix="mediaflow-haproxy-check.")
    sock_path = os.path.join(tmp, "admin.sock")
    env = dict(os.environ, MEDIAFLOW_LB_BIND=f"127.0.0.1:{lb_port}", MEDIAFLOW_LB_ADMIN_SOCKET=sock_path)
    for i, h in enumerate(hosts, 1):
        env[f"MEDIAFLOW_HOST_{i}"] = f"127.0.0.1:{h.server_address[1]}"
    lb = subprocess.Popen(["haproxy", "-f", cfg], env=env, stdout=subprocess.DEVNULL)
    failures = []
    try:
        started = wait_for(lambda: lb.poll() is not None or (
            os.path.exists(sock_path) and set(server_status(sock_path).values()) == {"UP"}), 10)
        if started is None:
            raise SystemExit("haproxy: the three stub hosts never came UP")
        if lb.poll() is not None:
            raise SystemExit(f"haproxy exited at start ({lb.returncode})")

        # A tunnelled connection (a live call); note which host it landed on.
        call = socket.create_connection(("127.0.0.1", lb_port), timeout=5)
        call.sendall(b"GET /rtm/voice HTTP/1.1\r\nHost: lb\r\nConnection: Upgrade\r\n"
                     b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += call.recv(4096)
        call.sendall(b"ping")
        echoed = call.recv(4096)
        draining = next(h for h in hosts if echoed.startswith(h.name.encode()))

        draining.healthy = False  # what SIGTERM does to /health
        took = wait_for(lambda: server_status(sock_path)[draining.name].startswith("DOWN"), 5)
        if took is None or took >= LAME_DUCK_SECONDS:
            failures.append(f"{draining.name} answered 503 but stayed in rotation "
                            f"{'over 5' if took is None else f'{took:.2f}'} s "
                            f"(lame duck {LAME_DUCK_SECONDS} s)")
        else:
            print(f"  503 -> out of rotation in {took:.2f} s (< lame duck {LAME_DUCK_SECONDS} s)")
        served_before = draining.requests
        answers = {http_get(lb_port) for _ in range(30)}
        if draining.requests != served_before or draining.name in answers:
            failures.append(f"{draining.name} still got new requests while DOWN")
        call.sendall(b"still-here")
        if call.recv(4096) != draining.name.encode() + b":still-here":
            failures.append("the live tunnelled connection broke when its host went DOWN")
        else:
            print("  live tunnelled connection kept flowing on the DOWN host")
        call.close()

        draining.healthy = True  # restarted host
        back = wait_for(lambda: server_status(sock_path)[draining.name] == "UP", 5)
        if back is None:
            failures.append(f"{draining.name} did not come back UP after /health 200")
        else:
            print(f"  200 again -> back in rotation in {back:.2f} s")
    finally:
        lb.terminate()
        lb.wait()
        for h in hosts:
            h.shutdown()
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
