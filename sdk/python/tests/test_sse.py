from batonpass._sse import ServerSentEvent, SSEDecoder


def feed(decoder: SSEDecoder, text: str) -> list[ServerSentEvent]:
    events = []
    for line in text.split("\n"):
        event = decoder.feed(line)
        if event is not None:
            events.append(event)
    return events


class TestSSEDecoder:
    def test_named_event_with_id_and_multiline_data(self) -> None:
        events = feed(SSEDecoder(), 'id: evt_1\nevent: handoff.created\ndata: {"a":\ndata: 1}\n\n')
        assert events == [ServerSentEvent("handoff.created", '{"a":\n1}', "evt_1", None)]

    def test_comments_pings_and_unknown_fields_are_ignored(self) -> None:
        events = feed(SSEDecoder(), ": ping - 2024\nfoo: bar\ndata: x\n\n: ping\n\n")
        assert events == [ServerSentEvent("message", "x", None, None)]

    def test_last_event_id_persists_across_events_without_an_id(self) -> None:
        decoder = SSEDecoder()
        feed(decoder, "id: evt_7\nevent: handoff.opened\ndata: {}\n\nevent: relay.action\ndata: {}\n\n")
        assert decoder.last_event_id == "evt_7"

    def test_an_event_without_data_is_dropped_but_its_id_is_kept(self) -> None:
        decoder = SSEDecoder()
        assert feed(decoder, "id: evt_9\nevent: x\n\n") == []
        assert decoder.last_event_id == "evt_9"

    def test_no_space_after_the_colon_and_retry(self) -> None:
        events = feed(SSEDecoder(), "event:relay.action\ndata:{}\nretry: 3000\n\n")
        assert events == [ServerSentEvent("relay.action", "{}", None, 3000)]

    def test_an_id_with_nul_is_ignored(self) -> None:
        decoder = SSEDecoder()
        feed(decoder, "id: a\x00b\ndata: 1\n\n")
        assert decoder.last_event_id is None
