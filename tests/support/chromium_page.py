#!/usr/bin/env python3
"""Loads a page in headless Chromium and waits for conditions in it, over the DevTools
protocol on a pipe (--remote-debugging-pipe: no port, no websocket).

--dump-dom with --virtual-time-budget cannot look at a page with a Server-Sent Events stream:
virtual time does not advance while a fetch is pending, and the stream never ends.

  chromium_page.py URL --report JS [--wait JS]... [--screenshot PNG] [--size 1280x1000] [--timeout S]

After the page loads, each --wait expression is evaluated every 100 ms until it is truthy (the
previous report is window.__last); after each one the --report expression (which must return
a JSON-serialisable value) is printed as one JSON line and kept in window.__last. Exit 0 when
every condition came true, 1 on a timeout (the last report printed, then "timeout: JS" on
stderr), 2 on a usage or browser error. Chromium runs with a profile in a temporary directory
that is removed afterwards, and is ended by its pid.
"""
import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, binary, profile):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Out of the way of 3 and 4, where Chromium expects them.
        hi_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 100)
        hi_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 100)

        def fds():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=fds, env={"HOME": profile, "PATH": "/usr/bin:/bin"})
        for fd in (to_child_r, from_child_w, hi_r, hi_w):
            os.close(fd)
        self.out = os.fdopen(to_child_w, "wb", buffering=0)
        self.inp = os.fdopen(from_child_r, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0

    def call(self, method, params=None, session=None, deadline=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.out.write(json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.buf:
                left = (deadline - time.monotonic()) if deadline else 60
                if left <= 0 or not select.select([self.inp], [], [], left)[0]:
                    raise TimeoutError(method)
                chunk = self.inp.read(65536)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def close(self):
        try:
            self.call("Browser.close", deadline=time.monotonic() + 5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--report", required=True)
    ap.add_argument("--wait", action="append", default=[])
    ap.add_argument("--screenshot")
    ap.add_argument("--size", default="1280x1000")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()
    width, height = (int(v) for v in a.size.split("x"))
    profile = tempfile.mkdtemp(prefix="awsdl-chromium-")
    browser = None
    try:
        browser = Browser(a.chromium, profile)
        deadline = time.monotonic() + a.timeout
        target = browser.call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True}, deadline=deadline)["sessionId"]
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session, deadline)
        browser.call("Page.navigate", {"url": a.url}, session, deadline)

        def evaluate(expr):
            r = browser.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session, deadline)
            if "exceptionDetails" in r:
                return None
            return r["result"].get("value")

        for cond in a.wait or ["true"]:
            while not evaluate("(() => { try { return !!(%s); } catch (e) { return false; } })()" % cond):
                if time.monotonic() > deadline:
                    print(json.dumps(evaluate("(() => { try { return %s; } catch (e) { return String(e); } })()" % a.report)))
                    print("timeout: " + cond, file=sys.stderr)
                    return 1
                time.sleep(0.1)
            report = evaluate("(() => { const r = (%s); window.__last = r; return r; })()" % a.report)
            print(json.dumps(report), flush=True)
        if a.screenshot:
            shot = browser.call("Page.captureScreenshot", {"format": "png"}, session, deadline)
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        return 0
    except (RuntimeError, TimeoutError, OSError) as e:
        print("chromium_page: %s" % e, file=sys.stderr)
        return 2
    finally:
        if browser:
            browser.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
