#!/usr/bin/env python3
"""tests/netns/hostile.py: hostile clients for t_hostile.sh, each printing what it saw.

  hostile.py logins URL CAFILE COUNT THREADS NAMES...
      COUNT login attempts with wrong passwords, over THREADS keep-alive connections,
      cycling over NAMES. Prints "STATUS:N ..." (each status seen, "error" for a broken
      connection) and "retry_after_missing:N" (429s without Retry-After).

  hostile.py slow URL CAFILE CONNECTIONS SECONDS MODE
      CONNECTIONS clients that each open a TLS connection and then, for SECONDS, do
      MODE: "silent" (connect and send nothing, not even a TLS hello), "headers" (a request line, then one header byte a
      second), "body" (whole headers of a POST with Content-Length 4096, then one body
      byte a second). Prints "refused:N closed:N open:N" at the end: how many could not
      connect, how many the server cut off, how many were still open.
"""
import http.client
import json
import select
import socket
import ssl
import sys
import threading
import time


def ctx_for(cafile):
    return ssl.create_default_context(cafile=cafile)


def host_port(url):
    host, port = url.split("//", 1)[1].split(":")
    return host, int(port)


def logins(url, cafile, count, threads, names):
    host, port = host_port(url)
    ctx = ctx_for(cafile)
    seen, lock, left = {}, threading.Lock(), [count]
    missing_retry = [0]

    def worker(k):
        c = http.client.HTTPSConnection(host, port, context=ctx, timeout=20)
        i = k
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            body = json.dumps({"name": names[i % len(names)], "password": "guess%d" % i})
            i += threads
            try:
                c.request("POST", "/api/v1/login", body, {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                code = str(r.status)
                if r.status == 429 and not r.getheader("Retry-After"):
                    with lock:
                        missing_retry[0] += 1
            except (OSError, http.client.HTTPException):
                code = "error"
                c.close()
                c = http.client.HTTPSConnection(host, port, context=ctx, timeout=20)
            with lock:
                seen[code] = seen.get(code, 0) + 1

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(" ".join("%s:%d" % kv for kv in sorted(seen.items())),
          "retry_after_missing:%d" % missing_retry[0])


def slow(url, cafile, connections, seconds, mode):
    host, port = host_port(url)
    ctx = ctx_for(cafile)
    socks, refused = [], 0
    for _ in range(connections):
        try:
            s = socket.create_connection((host, port), timeout=10)
            if mode != "silent":    # silent: not even a TLS handshake
                s = ctx.wrap_socket(s, server_hostname=host)
        except (OSError, ssl.SSLError):
            refused += 1
            continue
        if mode == "headers":
            s.sendall(b"GET /api/v1/me HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")
        elif mode == "body":
            s.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: " + host.encode() +
                      b"\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n")
        s.setblocking(False)
        socks.append(s)
    live = set(socks)
    end = time.monotonic() + seconds
    while time.monotonic() < end and live:
        for s in list(live):
            try:
                if mode == "headers":
                    s.send(b"X")
                elif mode == "body":
                    s.send(b" ")
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                pass
            except (OSError, ssl.SSLError):
                live.discard(s)
        tick = time.monotonic() + 1.0
        while live and time.monotonic() < tick:
            ready, _, _ = select.select(list(live), [], [], max(0.0, tick - time.monotonic()))
            for s in ready:
                try:
                    while True:
                        if s.recv(4096) == b"":
                            live.discard(s)
                            break
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except (OSError, ssl.SSLError):
                    live.discard(s)
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    print("refused:%d closed:%d open:%d" % (refused, len(socks) - len(live), len(live)))


if __name__ == "__main__":
    if sys.argv[1] == "logins":
        logins(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6:])
    elif sys.argv[1] == "slow":
        slow(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        sys.exit("hostile.py: logins|slow")
