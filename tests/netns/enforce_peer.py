#!/usr/bin/env python3
"""Peers for test_enforce_live: `serve tcp:P,... udp:P,...` listens (UDP echoes) until
killed; `tcp HOST PORT` and `udp HOST PORT` exit 0 when the peer answers within 1 s."""
import selectors
import socket
import sys


def serve(specs):
    sel = selectors.DefaultSelector()
    for spec in specs:
        # kind:port[:addr,addr]: a UDP reply leaves from the address asked, so with
        # several addresses each gets its own socket
        kind, port, *hosts = spec.split(":", 2)
        fam = socket.AF_INET6 if "v6" in kind else socket.AF_INET
        for host in (hosts[0].split(",") if hosts else
                     ["::" if fam == socket.AF_INET6 else "0.0.0.0"]):
            if kind.startswith("tcp"):
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host, int(port)))
                s.listen(64)
            else:
                s = socket.socket(fam, socket.SOCK_DGRAM)
                s.bind((host, int(port)))
            sel.register(s, selectors.EVENT_READ, kind)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data.startswith("tcp"):
                c, _ = s.accept()
                c.close()
            else:
                data, addr = s.recvfrom(2048)
                s.sendto(data, addr)


def probe(kind, host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    s.settimeout(1.0)
    try:
        if kind == "tcp":
            s.connect((host, int(port)))
        else:
            s.sendto(b"ping", (host, int(port)))
            s.recvfrom(2048)
    except OSError:
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2:])
    else:
        sys.exit(probe(sys.argv[1], sys.argv[2], sys.argv[3]))
