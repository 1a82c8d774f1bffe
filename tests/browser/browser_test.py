#!/usr/bin/python3
"""Browser tests: headless Chromium (Debian's chromium + chromium-driver, through python3-selenium)
drives the tracker on a page of another origin and the web console of a real eventsd, and the
results are checked through the API. Screenshots are kept in --out.

Every wait is for a condition (WebDriverWait, or polling the API until a deadline), never a
fixed sleep: the machine may be slow and shared.
"""
import argparse
import base64
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ARGS = None
WAIT = 90  # seconds: an upper bound for slow machines, not a pacing


class Eventsd:
    """A real eventsd on a port of its own (0 picks one; a restart reuses it)."""

    def __init__(self, data, port=0, extra=()):
        self.data = data
        self.proc = subprocess.Popen(
            # The console is served over plain http on loopback here: trusted with the flag only.
            [ARGS.eventsd, "--data", data, "--listen", f"127.0.0.1:{port}", "--threads", "2",
             "--console-http-loopback", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()  # "eventsd listening on http://127.0.0.1:PORT (...)"
        if "listening on" not in line:
            raise RuntimeError("eventsd did not start: " + line)
        self.port = int(line.split("http://127.0.0.1:")[1].split()[0])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=WAIT)
        self.proc.stdout.close()


def eventctl(*argv, stdin=None):
    return subprocess.run([ARGS.eventctl, *argv], input=stdin, capture_output=True, text=True,
                          check=True).stdout.strip()


def api(port, method, path, token, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def until(condition, what):
    """Polls `condition` until it returns something truthy; fails after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)  # a polling interval, not a synchronization


class Pages(http.server.ThreadingHTTPServer):
    """The site under test: its pages, on an origin other than eventsd's."""

    def __init__(self, pages):
        self.pages = pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):
                body = pages.get(handler.path.split("?")[0])
                if body is None:
                    handler.send_error(404)
                    return
                handler.send_response(200)
                handler.send_header("Content-Type", "text/html; charset=utf-8")
                handler.send_header("Content-Length", str(len(body.encode())))
                handler.end_headers()
                handler.wfile.write(body.encode())

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


def site_page(title, body, eventsd_port, key):
    # The snippet of docs/tracker.md, with a short flush interval.
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script>
!function(w){{var e=w.eventsd=w.eventsd||{{q:[]}};["init","track","identify","page","optOut","optIn"].forEach(function(m){{e[m]=e[m]||function(){{e.q.push([m,[].slice.call(arguments)])}}}})}}(window);
eventsd.init({{key: "{key}", host: "http://127.0.0.1:{eventsd_port}", flushInterval: 200,
              autocapture: {{forms: true, clicks: true, videos: true}}}});
</script>
<script async src="http://127.0.0.1:{eventsd_port}/sdk/eventsd.js"></script>
</head><body>{body}</body></html>"""


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="eventsd-browser-")
        cls.data = os.path.join(cls.tmp, "data")
        os.makedirs(ARGS.out, exist_ok=True)
        cls.pages = Pages({})
        # The site's origin is also a web app's that may use a session on the workspace routes.
        cls.server_args = ["--console-origins", cls.pages.origin]
        cls.server = Eventsd(cls.data, extra=cls.server_args)
        port = cls.server.port
        cls.token = eventctl("token", "create", "--data", cls.data, "--tenant", "shop",
                             "--scopes", "events:read,events:write,admin")
        eventctl("user", "create", "--data", cls.data, "--email", "ada@example.com",
                 "--tenants", "shop,other", "--role", "admin", stdin="correct horse battery\n")
        cls.key = eventctl("token", "create", "--data", cls.data, "--tenant", "shop",
                           "--publishable", "--origins", cls.pages.origin)
        cls.pages.pages.update({
            "/index.html": site_page("Home", """
<h1>Home</h1>
<button id="go-pricing" type="button">Pricing</button>
<form id="signup" action="/thanks.html" method="get">
  <label>E-mail <input id="email" name="email"></label><button id="submit" type="submit">Sign up</button>
</form>
<p id="plain">Not a button</p>
<video id="intro" muted></video>
<script>
document.getElementById('go-pricing').addEventListener('click', function () {
  history.pushState({}, '', '/pricing'); document.title = 'Pricing';
});
</script>""", port, cls.key),
            "/thanks.html": site_page("Thanks", "<h1>Thanks</h1>", port, cls.key),
            "/app.html": "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>App</title></head>"
                         "<body><h1>Seed 004's web app</h1></body></html>",
        })
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--user-data-dir=" + os.path.join(cls.tmp, "chromium")]:
            options.add_argument(flag)
        cls.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        cls.driver.set_script_timeout(WAIT)
        cls.driver.set_page_load_timeout(WAIT)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.pages.shutdown()
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- helpers
    def events(self, **params):
        query = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in params.items())
        status, body = api(self.server.port, "GET", "/v1/events?limit=100&sort_dir=asc&" + query, self.token)
        self.assertEqual(status, 200, body)
        return body["events"]

    def wait_js(self, script, what):
        return WebDriverWait(self.driver, WAIT, poll_frequency=0.1).until(
            lambda d: d.execute_script(script), what)

    def wait_delivered(self):
        self.wait_js("return window.eventsd && eventsd.version && eventsd.pending() === 0",
                     "the tracker's queue to empty")

    def screenshot(self, name):
        self.driver.save_screenshot(os.path.join(ARGS.out, name + ".png"))

    # --- the tracker on a page of another origin
    def test_1_tracker(self):
        d = self.driver
        d.get(self.pages.origin + "/index.html?utm_source=news&utm_medium=email&utm_campaign=spring")
        self.wait_delivered()
        first = until(lambda: [e for e in self.events() if e["event"] in ("first_visit", "page_view")]
                      if len(self.events()) >= 2 else None, "first_visit and page_view")
        self.assertEqual([e["event"] for e in first], ["first_visit", "page_view"])
        view = first[1]
        self.assertEqual(view["url"], self.pages.origin + "/index.html?utm_source=news&utm_medium=email&utm_campaign=spring")
        self.assertEqual(view["domain"], "127.0.0.1")
        self.assertEqual(view["data"]["path"], "/index.html")
        stored = api(self.server.port, "GET", "/v1/events/" + view["_id"], self.token)[1]["event"]
        self.assertEqual(stored["utm_source"], "news")
        self.assertEqual(stored["utm_campaign"], "spring")
        self.assertTrue(stored["session_id"].startswith("ses_"))
        session = stored["session_id"]

        # identify: the traits upsert the contact; later events carry it.
        d.execute_script("eventsd.identify('ct_browser', {firstname: 'Ada', email: 'ada@shop.example'})")
        d.find_element(By.ID, "go-pricing").click()  # a button_click, then an SPA route change
        self.wait_delivered()
        pricing = until(lambda: self.events(event_type="page_view", contact_id="ct_browser"), "the SPA page view")
        self.assertEqual(pricing[0]["url"], self.pages.origin + "/pricing")
        self.assertEqual(pricing[0]["data"]["title"], "Pricing")
        clicks = self.events(event_type="button_click")
        self.assertEqual(len(clicks), 1)
        self.assertEqual(clicks[0]["data"]["text"], "Pricing")
        self.assertEqual(clicks[0]["internal_contact_id"], "ct_browser")
        status, contact = api(self.server.port, "GET", "/v1/contacts/ct_browser", self.token)
        self.assertEqual(status, 200, contact)
        self.assertEqual(contact["contact"]["firstname"], "Ada")
        self.assertEqual(contact["contact"]["email"], "ada@shop.example")
        pricing_stored = api(self.server.port, "GET", "/v1/events/" + pricing[0]["_id"], self.token)[1]["event"]
        self.assertEqual(pricing_stored["session_id"], session)
        self.assertEqual(pricing_stored["referrer"], view["url"])
        self.assertEqual(pricing_stored["utm_source"], "news")  # from the landing URL

        # A video starting to play (the element's own play event; headless Chromium has no codecs to
        # play a real file), and a click on something that is not a button (not recorded).
        d.find_element(By.ID, "plain").click()
        d.execute_script("document.getElementById('intro').dispatchEvent(new Event('play'))")
        self.wait_delivered()
        videos = until(lambda: self.events(event_type="video_play"), "the video_play event")
        self.assertEqual(videos[0]["data"]["id"], "intro")
        self.assertEqual(len(self.events(event_type="button_click")), 1)

        # A form submit that leaves the page: delivered by the beacon or by the next page.
        d.find_element(By.ID, "email").send_keys("someone@example.com")
        d.find_element(By.ID, "submit").click()
        WebDriverWait(d, WAIT).until(lambda d: d.title == "Thanks", "the thanks page")
        self.wait_delivered()
        forms = until(lambda: self.events(event_type="form_submit"), "the form_submit event")
        self.assertEqual(len(forms), 1)
        self.assertEqual(forms[0]["data"]["form_id"], "signup")
        self.assertNotIn("someone@example.com", json.dumps(forms[0]))  # field values are not sent
        self.assertEqual(len(self.events(event_type="first_visit")), 1)  # once per browser
        self.screenshot("tracker-thanks-page")

    def test_2_retry_after_the_server_was_down(self):
        d = self.driver
        d.get(self.pages.origin + "/thanks.html")
        self.wait_delivered()
        port = self.server.port
        self.server.stop()
        d.execute_script("eventsd.track('while_down', {n: 1})")
        # The tracker tried, failed, and keeps the event queued.
        self.wait_js("return eventsd.backoff() > 0 && eventsd.pending() === 1", "a failed send")
        queued = d.execute_script("return localStorage.getItem('eventsd:queue')")
        self.server = type(self).server = Eventsd(self.data, port, self.server_args)
        self.wait_delivered()  # retried with backoff, no help from the test
        self.assertEqual(len(until(lambda: self.events(event_type="while_down"), "the retried event")), 1)
        # The answer to a retry is lost: the same queue goes again. The server keeps one event.
        d.execute_script("localStorage.setItem('eventsd:queue', arguments[0]); eventsd.flush()", queued)
        self.wait_delivered()
        status, body = api(port, "GET", "/v1/events?count_only=true&event_type=while_down", self.token)
        self.assertEqual(body["count"], 1)

    def test_3_opt_out(self):
        d = self.driver
        d.get(self.pages.origin + "/thanks.html")
        self.wait_delivered()
        before = len(self.events())
        self.assertIsNone(d.execute_script("eventsd.optOut(); return eventsd.track('after_opt_out')"))
        self.assertEqual(d.execute_script("return eventsd.pending()"), 0)
        d.execute_script("eventsd.optIn(); eventsd.track('after_opt_in')")
        self.wait_delivered()
        until(lambda: self.events(event_type="after_opt_in"), "the event after opting in")
        self.assertEqual(self.events(event_type="after_opt_out"), [])
        self.assertEqual(len(self.events()), before + 1)

    # --- the console
    def test_4_console(self):
        d = self.driver
        port = self.server.port
        d.get(f"http://127.0.0.1:{port}/console")
        WebDriverWait(d, WAIT).until(lambda d: d.find_element(By.ID, "login-email").is_displayed(), "the login form")
        self.screenshot("console-login")
        # With the keyboard alone: the e-mail field has the focus, Tab to the password, Enter.
        WebDriverWait(d, WAIT).until(lambda d: d.switch_to.active_element.get_attribute("id") == "login-email",
                                     "the focus on the e-mail field")
        d.switch_to.active_element.send_keys("ada@example.com" + Keys.TAB)
        self.assertEqual(d.switch_to.active_element.get_attribute("id"), "login-password")
        d.switch_to.active_element.send_keys("correct horse battery" + Keys.ENTER)
        WebDriverWait(d, WAIT).until(
            lambda d: "Connected" in d.find_element(By.ID, "live-status").text, "the live stream")
        # A newly ingested event appears live.
        status, body = api(port, "POST", "/v1/events", self.token,
                           {"event": "live_demo", "url": "https://shop.example/live", "contact_id": "ct_live"})
        self.assertEqual(status, 201, body)
        WebDriverWait(d, WAIT).until(lambda d: "live_demo" in d.find_element(By.ID, "live-list").text,
                                     "the new event in the live list")
        self.screenshot("console-live")

        # Edit a rule: scoring rules saved through the console are in force.
        d.get(f"http://127.0.0.1:{port}/console#rules")
        area = WebDriverWait(d, WAIT).until(
            lambda d: (lambda a: a if a.is_displayed() and '"rules"' in a.get_attribute("value") else None)(
                d.find_element(By.ID, "scoring-rules")), "the scoring rules")
        area.clear()
        area.send_keys('{"rules": [{"event": "form_submit", "points": 25}]}')
        d.find_element(By.CSS_SELECTOR, "#scoring-form button").click()
        WebDriverWait(d, WAIT).until(lambda d: d.find_element(By.ID, "scoring-status").text == "Saved.",
                                     "the rules to be saved")
        status, rules = api(port, "GET", "/v1/scoring/rules", self.token)
        self.assertEqual(rules["rules"], [{"event": "form_submit", "points": 25}])
        self.screenshot("console-rules")

        # The other views render with data.
        d.get(f"http://127.0.0.1:{port}/console#events")
        WebDriverWait(d, WAIT).until(lambda d: "live_demo" in d.find_element(By.ID, "events-table").text, "the list")
        self.screenshot("console-events")
        d.get(f"http://127.0.0.1:{port}/console#stats")
        WebDriverWait(d, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charts svg")) >= 3, "the charts")
        self.screenshot("console-stats")
        d.get(f"http://127.0.0.1:{port}/console#contact/ct_browser")
        WebDriverWait(d, WAIT).until(lambda d: "Ada" in d.find_element(By.ID, "contact-summary").text, "the contact")
        self.screenshot("console-contact")
        # A phone's width (headless windows do not get narrower than 500 px, so emulate it).
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        # A Postmark source with one delivery and one refusal, listed beside the keys.
        status, body = api(port, "PUT", "/v1/sources/postmark-tx", self.token,
                           {"kind": "postmark", "username": "postmark", "password": "a long random password"})
        self.assertEqual(status, 201, body)
        for password in ["a long random password", "a wrong password"]:
            hook = urllib.request.Request(
                f"http://127.0.0.1:{port}/hooks/postmark-tx", method="POST",
                data=json.dumps({"RecordType": "Delivery", "MessageID": "m-1", "Recipient": "ada@example.com",
                                 "DeliveredAt": "2026-12-01T10:00:00Z"}).encode(),
                headers={"Authorization": "Basic " + base64.b64encode(("postmark:" + password).encode()).decode()})
            try:
                urllib.request.urlopen(hook, timeout=WAIT).read()
            except urllib.error.HTTPError as e:
                self.assertEqual(e.code, 401)
        d.get(f"http://127.0.0.1:{port}/console#keys")
        WebDriverWait(d, WAIT).until(lambda d: "publishable key" in d.find_element(By.ID, "keys-table").text, "the keys")
        WebDriverWait(d, WAIT).until(lambda d: "invalid_signature: 1" in d.find_element(By.ID, "sources-table").text,
                                     "the source with its refusal")
        self.assertIn("/hooks/postmark-tx", d.find_element(By.ID, "sources-table").text)
        self.screenshot("console-keys-phone")
        # Nothing but the tables' own scrolling boxes is wider than the screen.
        overflow = d.execute_script("""
            const w = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')].filter(
                e => !e.closest('.scroll') && e.getBoundingClientRect().right > w + 1).map(e => e.tagName + '#' + e.id);""")
        self.assertEqual(overflow, [])
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # Log out: the session no longer works.
        d.find_element(By.ID, "logout").click()
        WebDriverWait(d, WAIT).until(lambda d: d.find_element(By.ID, "login-email").is_displayed(), "logged out")
        status = d.execute_script(
            "return fetch('/api/auth/session', {credentials: 'same-origin'}).then(r => r.status)")
        self.assertEqual(status, 401)

    # --- seed 004's web app on another origin (eventsd --console-origins)
    def test_5_web_app_on_another_origin(self):
        d = self.driver
        port = self.server.port
        # What a web app does: log in, write and read the workspace's events with the cookie.
        app = """
            const base = arguments[0], done = arguments[arguments.length - 1];
            (async () => {
              const json = {'Content-Type': 'application/json'};
              const login = await fetch(base + '/api/auth/login', {method: 'POST', credentials: 'include',
                  headers: json, body: JSON.stringify({email: 'ada@example.com', password: 'correct horse battery'})});
              const session = await login.json();
              const post = await fetch(base + '/api/workspaces/shop/events', {method: 'POST', credentials: 'include',
                  headers: {...json, 'X-CSRF-Token': session.csrf_token},
                  body: JSON.stringify({id: 'from-web-app', type: 'message.open'})});
              const list = await fetch(base + '/api/workspaces/shop/events?type=message.open', {credentials: 'include'});
              return {login: login.status, post: post.status, list: list.status, events: await list.json()};
            })().then(done, e => done({error: String(e)}));"""
        d.get(self.pages.origin + "/app.html")
        result = d.execute_async_script(app, f"http://127.0.0.1:{port}")
        self.assertEqual((result.get("login"), result.get("post"), result.get("list")), (200, 201, 200), result)
        self.assertEqual([e["id"] for e in result["events"]], ["from-web-app"])
        self.assertEqual(result["events"][0]["type"], "message.open")
        status, body = api(port, "GET", "/v1/events/from-web-app", self.token)
        self.assertEqual(body["event"]["event"], "email_open")
        # The same page on an origin that was not named (another host name for the same site
        # server): the browser gets no credentialed CORS, so it reads nothing.
        other = self.pages.origin.replace("127.0.0.1", "localhost")
        d.get(other + "/app.html")
        refused = d.execute_async_script(app, f"http://127.0.0.1:{port}")
        self.assertIn("error", refused)
        self.screenshot("web-app")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--eventsd", required=True)
    parser.add_argument("--eventctl", required=True)
    parser.add_argument("--out", required=True, help="folder for the screenshots")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
