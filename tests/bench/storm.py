#!/usr/bin/env python3
"""tests/bench/storm.py: profile pulls timed one after the other while LOGINS threads log
in over and over, each as its own console account (Argon2id at 64 MiB on the server for
every login). Prints one line of figures; tests/bench/logins.sh runs it.

  storm.py URL CAFILE CREDENTIAL SECONDS LOGINS ACCOUNTS-FILE

ACCOUNTS-FILE holds "NAME PASSWORD" lines, one per login thread. LOGINS 0 is the
baseline: the same pulls with no login running."""
import http.client
import json
import ssl
import sys
import threading
import time

url, cafile, cred, seconds, logins, accounts = sys.argv[1:7]
seconds, logins = float(seconds), int(logins)
host, port = url.split("//", 1)[1].split(":")
ctx = ssl.create_default_context(cafile=cafile)
stop = threading.Event()
login_ms, login_codes, lock = [], {}, threading.Lock()


def conn():
    return http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)


def login_loop(name, password):
    c = conn()
    body = json.dumps({"name": name, "password": password})
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            c.request("POST", "/api/v1/login", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            code = r.status
        except (OSError, http.client.HTTPException):
            code = "error"
            c.close()
            c = conn()
        with lock:
            login_codes[code] = login_codes.get(code, 0) + 1
            if code == 200:
                login_ms.append((time.monotonic() - t0) * 1000)


threads = []
for line in open(accounts).read().split("\n")[:logins]:
    name, password = line.split(" ", 1)
    t = threading.Thread(target=login_loop, args=(name, password), daemon=True)
    t.start()
    threads.append(t)
if logins:
    time.sleep(1.0)  # the storm is on before the first pull is timed

pulls, bad, pull_codes = [], 0, {}
c = conn()
end = time.monotonic() + seconds
while time.monotonic() < end:
    t0 = time.monotonic()
    try:
        c.request("GET", "/api/v1/agent/profile", headers={"Authorization": "Bearer " + cred})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            bad += 1
            pull_codes[r.status] = pull_codes.get(r.status, 0) + 1
    except (OSError, http.client.HTTPException):
        bad += 1
        c.close()
        c = conn()
    pulls.append((time.monotonic() - t0) * 1000)
    time.sleep(0.01)
stop.set()
for t in threads:
    t.join(35)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


with lock:
    ok = login_codes.get(200, 0)
    other = sum(n for k, n in login_codes.items() if k != 200)
print("pulls %d p50 %.2f p99 %.2f max %.2f failed %d logins %d ok %d other %d "
      "login_p50 %.0f login_p99 %.0f rate %.1f" % (
          len(pulls), pct(pulls, 0.5), pct(pulls, 0.99), max(pulls) if pulls else 0, bad,
          logins, ok, other, pct(login_ms, 0.5), pct(login_ms, 0.99),
          ok / (seconds + (1.0 if logins else 0))))
print("# answers: logins %s, failed pulls %s" % (
    " ".join("%s:%d" % kv for kv in sorted(login_codes.items(), key=str)) or "-",
    " ".join("%s:%d" % kv for kv in sorted(pull_codes.items(), key=str)) or "-"))
