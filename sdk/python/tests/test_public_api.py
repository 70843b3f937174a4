import json
from pathlib import Path

import batonpass

REPO = Path(__file__).resolve().parents[3]
PACKAGE_DATA = Path(batonpass.__file__).parent / "_data"


class TestPublicSurface:
    def test_exported_names_are_pinned(self) -> None:
        assert sorted(batonpass.__all__) == sorted(
            [
                "DEFAULT_BASE_URL", "APIConnectionError", "APIError", "AuthenticationError", "BadRequestError",
                "BatonPass", "BatonPassError", "BatonPassLocator", "BatonPassPage", "ConflictError", "Detection",
                "Detectors", "DialogTarget", "FailureReason", "Frame", "GoneError", "Handoff", "HandoffCallback",
                "HandoffError", "HandoffEvent", "HandoffExpiredError", "HandoffFailedError", "HandoffPage",
                "HandoffRecord", "InterruptionType", "NotFoundError", "OtpTarget", "PayloadTooLargeError",
                "PermissionDeniedError", "RateLimitError", "RelayAction", "ResumeFailedError", "ServerError",
                "Snapshot", "StreamEvent", "StreamMessage", "Target", "TaskOutcome", "UnprocessableEntityError",
                "Viewport", "__version__", "wrap_with_baton_pass",
            ]
        )  # fmt: skip

    def test_every_exported_name_exists(self) -> None:
        for name in batonpass.__all__:
            assert hasattr(batonpass, name), name

    def test_the_package_is_typed(self) -> None:
        assert (Path(batonpass.__file__).parent / "py.typed").is_file()


class TestDetectorData:
    def test_package_copies_are_identical_to_the_repository_files(self) -> None:
        for name in ("signatures.json", "evaluator.js"):
            shipped = (PACKAGE_DATA / name).read_bytes()
            source = (REPO / "detectors" / name).read_bytes()
            assert shipped == source, f"run `make detectors-sync`: sdk/python/batonpass/_data/{name} is stale"

    def test_signatures_are_well_formed(self) -> None:
        table = json.loads((REPO / "detectors" / "signatures.json").read_text())
        names = [f["name"] for f in table["features"]]
        assert len(names) == len(set(names))
        known = {"element", "text", "url", "frame", "global", "response", "split_inputs", "dialog", "all", "any"}

        def check(matcher: dict[str, object]) -> None:
            (key,) = matcher.keys()
            assert key in known, key
            if key in ("all", "any"):
                for inner in matcher[key]:  # type: ignore[attr-defined]
                    check(inner)
            for value in json.dumps(matcher[key]).split('"'):
                if value.startswith("@"):
                    assert value[1:] in table["patterns"], value

        for feature in table["features"]:
            assert feature["category"] in table["precedence"], feature["name"]
            assert feature["category"] in table["categories"], feature["name"]
            assert set(feature.get("unless", [])) <= set(names), feature["name"]
            check(feature["match"])
        for category, spec in table["categories"].items():
            assert spec["interruption_type"] in ("captcha", "twofa", "approval"), category
