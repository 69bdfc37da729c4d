#!/usr/bin/env python3
"""Screenshots of every dashboard page for the README: signs in through the form in headless
Chromium (DevTools protocol; needs `pip install websocket-client` and Debian's chromium) and
saves docs/dashboard/<page>.png.  Usage: Scripts/dashboard-screenshots.py BASE_URL DATA_DIR"""
import base64, json, os, subprocess, sys, tempfile, time, urllib.request
import websocket

base, data = sys.argv[1], sys.argv[2]
key = open(os.path.join(data, "internal-api-key")).read().strip()
profile = tempfile.mkdtemp()
browser = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                            "--remote-allow-origins=*", "--user-data-dir=" + profile, "--window-size=1400,1000", "about:blank"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(200):
        try:
            port = int(open(os.path.join(profile, "DevToolsActivePort")).read().split()[0]); break
        except (OSError, ValueError, IndexError):
            time.sleep(0.05)
    pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
    ws = websocket.create_connection(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
    ids = iter(range(1, 10**6))

    def call(method, **params):
        i = next(ids)
        ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == i:
                return message.get("result", {})

    def wait_load():
        while json.loads(ws.recv()).get("method") != "Page.loadEventFired":
            pass

    call("Page.enable")
    call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
    call("Page.navigate", url=base + "/dashboard/sign-in"); wait_load()
    call("Runtime.evaluate", expression=f"document.getElementById('key').value={json.dumps(key)};document.querySelector('form.sign-in button').click()")
    wait_load()
    for name, path in [("overview", ""), ("jobs", "/jobs"), ("batches", "/batches"), ("messages", "/messages"),
                       ("wallets", "/wallets"), ("providers", "/providers"), ("schedules", "/schedules")]:
        call("Page.navigate", url=base + "/dashboard" + path); wait_load()
        if name == "overview":
            time.sleep(8)  # let the live charts draw a few seconds of points
        shot = call("Page.captureScreenshot", format="png")
        open(f"docs/dashboard/{name}.png", "wb").write(base64.b64decode(shot["data"]))
        print("docs/dashboard/%s.png" % name)
finally:
    browser.terminate()
