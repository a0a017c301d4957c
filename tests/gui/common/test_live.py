"""Live refresh on the GUI thread, driven by a fake listener (no server needed).

The listener calls back on a thread of its own; :class:`LiveRefresh` must hand notices
and reachability to the GUI thread, keep only those the signed-in person may see, and
never emit anything for the others. (Against a real server: tests/integration/
test_site_live.py.)
"""

from __future__ import annotations

import threading

from clinic_app.storage.live import ChangeNotice, parse
from clinic_app.views.common.live import LiveRefresh


class FakeListener:
    def __init__(self, on_notice, on_reachable) -> None:  # type: ignore[no-untyped-def]
        self.on_notice = on_notice
        self.on_reachable = on_reachable
        self.stopped = False

    def stop(self, timeout: float = 2.0) -> None:
        self.stopped = True

    def from_its_thread(self, call, value) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=call, args=(value,))
        thread.start()
        thread.join()


def make(qtbot, visible_ids):  # type: ignore[no-untyped-def]
    made: list[FakeListener] = []
    asked: list[list[ChangeNotice]] = []

    def start(on_notice, on_reachable):  # type: ignore[no-untyped-def]
        made.append(FakeListener(on_notice, on_reachable))
        return made[-1]

    def visible(notices):  # type: ignore[no-untyped-def]
        asked.append(list(notices))
        return [n for n in notices if n.client_id in visible_ids]

    live = LiveRefresh(start, visible)
    return live, made[0], asked


def test_notices_arrive_on_the_gui_thread_gathered_and_only_for_visible_clients(qtbot):
    live, listener, asked = make(qtbot, {7})
    changed: list[object] = []
    live.clients_changed.connect(changed.append)
    listener.from_its_thread(listener.on_notice, ChangeNotice(7, "risk_event"))
    listener.from_its_thread(listener.on_notice, ChangeNotice(8, "risk_event"))
    listener.from_its_thread(listener.on_notice, ChangeNotice(7, "share_decision"))
    qtbot.waitUntil(lambda: changed == [[7]], timeout=2_000)
    assert len(asked) == 1 and len(asked[0]) == 3  # one read for notices heard together


def test_a_notice_about_a_client_not_visible_emits_nothing(qtbot):
    live, listener, asked = make(qtbot, set())
    changed: list[object] = []
    live.clients_changed.connect(changed.append)
    listener.from_its_thread(listener.on_notice, ChangeNotice(8, "signed_note"))
    qtbot.waitUntil(lambda: asked != [], timeout=2_000)
    qtbot.wait(50)
    assert changed == []


def test_reachability_changes_are_emitted_once_each(qtbot):
    live, listener, _asked = make(qtbot, set())
    seen: list[bool] = []
    live.reachable_changed.connect(seen.append)
    listener.from_its_thread(listener.on_reachable, False)
    listener.from_its_thread(listener.on_reachable, False)
    qtbot.waitUntil(lambda: seen == [False], timeout=2_000)
    assert not live.reachable
    listener.from_its_thread(listener.on_reachable, True)
    qtbot.waitUntil(lambda: seen == [False, True], timeout=2_000)
    live.stop()
    assert listener.stopped


def test_a_payload_is_read_only_when_it_is_ids_and_a_known_kind():
    assert parse('{"client_id" : 4, "kind" : "referral"}') == ChangeNotice(4, "referral")
    for bad in ("", "not json", "[]", '{"client_id": "4", "kind": "referral"}',
                '{"client_id": true, "kind": "referral"}', '{"client_id": 4, "kind": "x"}',
                '{"kind": "referral"}'):  # fmt: skip
        assert parse(bad) is None
