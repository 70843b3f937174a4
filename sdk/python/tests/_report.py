"""Results the detector tests share with conftest's end-of-run summary (one module instance for both)."""

DETECTOR_RESULTS: dict[str, dict[str, str | None]] = {"positive": {}, "negative": {}}
