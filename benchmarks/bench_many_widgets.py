"""Many StreamWidgets at once in a real JupyterLab: the kernel's messages per second, and
what reached the page.

Part 3 of ``bench_real_use.py``. JupyterLab runs with its server's default settings
(the harness of ``tests/browser/lab.py`` changes none of the IOPub limits: 1,000 messages
a second over 3 s); one notebook shows ``widgets`` StreamWidgets in one cell, each on a
stream of ``bench_browser``'s token server paced at ``rate`` numbered tokens a second.
The streams are gated: they open (each view shows "streaming") and then all get their go
at once, so the widgets really stream together.

In the kernel, a wrapper on its Session's ``send`` logs every IOPub message with its time,
its type and what it is (a delta, a snapshot, a state update, the final display update),
and the comm it belongs to. In the page, a slot on the kernel connection's
``iopubMessage`` signal counts what arrived, the same way. Lost is sent minus arrived,
by kind; every view's final text is compared with ``w.text`` in the kernel; and the
notebook is searched for the server's "IOPub message rate exceeded" notice. (With the
kernel's message budget lifted, the same run lost 28 % of the deltas and 17 of the 50
final display updates, and 3 notices reached the page: the measure sees a loss when
there is one.)
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bench_browser import (
    _JS_KERNEL,
    SMOKE,
    Bench,
    bounded_eval,
    lab_and_chromium,
    new_run,
    verdict,
)
from browser_server import TokenServer
from jupyter_server.services.kernels.connection.channels import (
    ZMQChannelsWebsocketConnection,
)

#: All widgets together: the kernel's budget (200 a second) plus the burst it lets out.
TARGET_PEAK_PER_S = 204
#: What the message budget counts: comm messages and display updates.
BUDGETED = ("comm_msg", "update_display_data")
#: What is compared, sent against arrived: (kind as logged, words in the report).
KINDS = (
    ("delta", "deltas"),
    ("update", "state updates"),
    ("update_display_data", "final display updates"),
)

# Run after bench_browser's KERNEL_SETUP (its mailbox `_report`). Logs every IOPub message
# the kernel sends: (time.time(), type, what, comm id).
KERNEL_LOG = r"""
import contextlib
_wire = []

def _what(kind, content):
    if kind != "comm_msg":
        return kind
    data = content.get("data") or {}
    if data.get("method") == "custom":
        return (data.get("content") or {}).get("kind", "custom")
    return data.get("method", "")

def _log_wire():
    session = get_ipython().kernel.session
    if getattr(session, "_bench_wire", False):
        return
    send = session.send
    def logged(stream, msg_or_type, content=None, *args, **kwargs):
        if isinstance(msg_or_type, dict):
            kind, body = msg_or_type["header"]["msg_type"], msg_or_type.get("content")
        else:
            kind, body = msg_or_type, content
        body = body if isinstance(body, dict) else {}
        _wire.append((time.time(), kind, _what(kind, body), body.get("comm_id", "")))
        return send(stream, msg_or_type, content, *args, **kwargs)
    session.send = logged
    session._bench_wire = True

_log_wire()
"""
MANY_CELL = """
_many = []
for _url in {urls!r}:
    _w = StreamWidget(_url, render="text")
    display(_w)
    _many.append(_w)
"""
# Once every stream has ended (wait() returns after the final display update is sent).
REPORT_CELL = """
for _w in _many:
    with contextlib.suppress(Exception):
        _w.wait({timeout!r})
_report({mailbox!r}, wire=_wire, widgets=[
    {{"comm": _w.model_id, "text": _w.text, "status": _w.status, "tokens": _w.stats["tokens"]}}
    for _w in _many
])
"""

# What reached the page, by kind and by comm, the server's rate-limit notices apart.
JS_ARRIVALS = (
    "(path) => {"
    + _JS_KERNEL
    + """
  if (window.__manyStop) window.__manyStop();
  const got = { kinds: {}, byComm: {}, notices: 0 };
  window.__many = got;
  const slot = (_, msg) => {
    const type = msg.header.msg_type;
    const content = msg.content || {};
    let what = type;
    if (type === "comm_msg") {
      const data = content.data || {};
      what = data.method === "custom" ? (data.content || {}).kind || "custom" : data.method;
      const per = got.byComm[content.comm_id] || (got.byComm[content.comm_id] = {});
      per[what] = (per[what] || 0) + 1;
    } else if (type === "stream" && /rate exceeded/.test(content.text || "")) {
      got.notices += 1;
    }
    got.kinds[what] = (got.kinds[what] || 0) + 1;
  };
  kernel.iopubMessage.connect(slot);
  window.__manyStop = () => kernel.iopubMessage.disconnect(slot);
  return true;
}"""
)
# How many views of the cell show `status`.
JS_VIEWS_IN = """([area, status, want]) =>
  area.querySelectorAll(`.sse-widget[data-status="${status}"]`).length >= want"""
# Every view done, and as many deltas and final updates arrived as the kernel sent.
JS_ALL_ARRIVED = """([area, want]) => {
  const kinds = window.__many.kinds;
  return area.querySelectorAll('.sse-widget[data-status="done"]').length >= want.views
    && (kinds.delta || 0) >= want.deltas
    && (kinds.update_display_data || 0) >= want.finals;
}"""
# Each view's status and text, by the run id in its URL.
JS_READ = """(area) => {
  const views = {};
  for (const root of area.querySelectorAll(".sse-widget")) {
    const found = /[?&]id=(\\w+)/.exec(root.querySelector(".sse-widget-url").textContent);
    const text = root.querySelector(".sse-widget-text");
    if (found) views[found[1]] = { status: root.dataset.status, text: text && text.textContent };
  }
  const notebook = document.querySelector(".jp-Notebook");
  return {
    views, got: window.__many,
    noticeShown: /IOPub message rate exceeded/.test(notebook ? notebook.textContent : ""),
  };
}"""


def peak_per_second(times: list[float]) -> int:
    """The most messages in any one-second window."""
    ordered, first, best = sorted(times), 0, 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def run(widgets: int, rate: int, seconds: float) -> dict[str, Any]:
    """``widgets`` StreamWidgets at ``rate`` tokens/s for ``seconds`` s in one notebook."""
    started = time.monotonic()
    count = int(rate * seconds)
    with lab_and_chromium("bench-many") as (lab, browser, server):
        # Bench's notebook() uses no figure of its config.
        bench = Bench(lab, browser, server, SMOKE)
        with bench.notebook("many-widgets") as notebook:
            notebook.run(KERNEL_LOG)
            measured = measure(server, notebook, widgets, count, seconds)
    limits = ZMQChannelsWebsocketConnection
    return {
        **measured,
        "widgets": widgets,
        "rate": rate,
        "seconds": seconds,
        "tokens_each": count,
        "server_limit": {
            "iopub_msg_rate_limit": limits.iopub_msg_rate_limit.default_value,
            "rate_limit_window": limits.rate_limit_window.default_value,
        },
        "run_s": time.monotonic() - started,
    }


def measure(
    server: TokenServer, notebook: Any, widgets: int, count: int, seconds: float
) -> dict[str, Any]:
    page = notebook.page
    runs = [new_run() for _ in range(widgets)]
    urls = [server.url(id=run, rate=count / seconds, count=count, gate=1) for run in runs]
    page.evaluate(JS_ARRIVALS, notebook.path)
    cell = notebook.submit(MANY_CELL.format(urls=urls))
    area = notebook.wait(cell, timeout=60 + widgets).element_handle(timeout=10_000)
    # Gated: each view stays "streaming" (headers in, no token) until its go.
    notebook.wait_in_page(
        JS_VIEWS_IN, [area, "streaming", widgets], timeout=60, what="every view to stream"
    )
    go_at = time.time()
    for run in runs:
        server.go(run)
    mailbox = new_run()
    notebook.submit(REPORT_CELL.format(timeout=seconds * 3 + 60, mailbox=mailbox))
    kernel = server.report(mailbox, timeout=seconds * 3 + 120)
    if kernel is None:
        raise RuntimeError("the kernel never reported: the streams did not end")
    # Everything since the log began: the widgets' state updates before the go count
    # too (the page's slot was connected before they were made).
    ended = kernel["wire"]
    want = {
        "views": widgets,
        "deltas": sum(1 for _t, _k, what, _c in ended if what == "delta"),
        "finals": sum(1 for _t, kind, _w, _c in ended if kind == "update_display_data"),
    }
    # Waits for a state (everything arrived), never for a transition; gives up after a
    # generous bound, and then what arrived is what is reported.
    with contextlib.suppress(AssertionError):
        notebook.wait_in_page(JS_ALL_ARRIVED, [area, want], timeout=60, what="every message")
    time.sleep(0.5)  # JupyterLab's re-render after the final updates
    page_side = bounded_eval(page, JS_READ, area, timeout_s=30)
    got = page_side["got"]
    arrived = {what: got["kinds"].get(what, 0) for what, _ in KINDS}
    # The kernel's log again, now: a view that saw a gap asks for a snapshot, and the
    # kernel answers once the report cell above has ended (comm messages from the page
    # wait for its main thread). What the page shows came before this.
    notebook.run(f"_report({mailbox + '-end'!r}, wire=_wire)", timeout=60)
    wire = (server.report(mailbox + "-end", timeout=30) or kernel)["wire"]
    sent = {what: sum(1 for _t, _k, w, _c in wire if w == what) for what, _ in KINDS}
    sent["snapshot"] = sum(1 for _t, _k, w, _c in wire if w == "snapshot")
    budgeted = [t for t, kind, _w, _c in wire if kind in BUDGETED]
    # Streaming: from the go to the last message before the streams had all ended.
    after_go = [t for t, kind, _w, _c in ended if kind in BUDGETED and t >= go_at]
    stream_s = (max(after_go) - go_at) if after_go else 0.0
    # Per view: did every delta sent to its model arrive?
    short = 0
    for widget in kernel["widgets"]:
        deltas = sum(1 for _t, _k, w, c in wire if w == "delta" and c == widget["comm"])
        short += (got["byComm"].get(widget["comm"]) or {}).get("delta", 0) < deltas
    same_text = sum(
        1
        for run, widget in zip(runs, kernel["widgets"], strict=True)
        if (page_side["views"].get(run) or {}).get("text") == widget["text"]
    )
    return {
        "sent": sent,
        "arrived": arrived,
        "lost": {what: sent[what] - arrived[what] for what, _ in KINDS},
        "views_short_of_deltas": short,
        "peak_per_s": peak_per_second(budgeted),
        "mean_per_s": len(after_go) / stream_s if stream_s else None,
        "stream_s": stream_s,
        "texts_equal": same_text,
        "views_done": sum(1 for v in page_side["views"].values() if v["status"] == "done"),
        "kernel_complete": sum(1 for w in kernel["widgets"] if w["tokens"] == count),
        "rate_notices": got["notices"],
        "notice_shown": page_side["noticeShown"],
    }


def rows(result: dict[str, Any]) -> list[str]:
    """This part's rows of the report's table."""
    r = result
    limit = r["server_limit"]
    lost = " / ".join(f"{r['lost'][what]:,} of {r['sent'][what]:,}" for what, _ in KINDS)
    no_loss = not any(r["lost"].values())
    shown = "shown" if r["notice_shown"] else "none shown"
    quiet = not (r["rate_notices"] or r["notice_shown"])
    return [
        f"| {r['widgets']} widgets at {r['rate']:,} tokens/s for {r['seconds']:g} s in "
        f"JupyterLab (server defaults: {limit['iopub_msg_rate_limit']:,} msg/s over "
        f"{limit['rate_limit_window']:g} s): the kernel's comm messages a second, peak over "
        f"1 s / mean | {r['peak_per_s']} / {r['mean_per_s'] or 0:.0f} "
        f"(over {r['stream_s']:.1f} s) | peak ≤ {TARGET_PEAK_PER_S} "
        f"| {verdict(r['peak_per_s'] <= TARGET_PEAK_PER_S)} |",
        f"| … lost on the way to the page: {' / '.join(words for _, words in KINDS)} "
        f"| {lost} ({r['views_short_of_deltas']} views short of a delta; "
        f"{r['sent']['snapshot']} snapshots sent) | 0 | {verdict(no_loss)} |",
        f"| … views whose final text equals `w.text` (done in the page; complete in the "
        f"kernel) | {r['texts_equal']} of {r['widgets']} ({r['views_done']} done; "
        f"{r['kernel_complete']} complete) | all | "
        f"{verdict(r['texts_equal'] == r['widgets'])} |",
        f'| … "IOPub message rate exceeded" notices | {r["rate_notices"]} reached the page; '
        f"{shown} in the notebook | 0 | {verdict(quiet)} |",
    ]
