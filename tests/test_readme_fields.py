"""The README names the fields users read: code written from it must run."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from sse_widget import ReconnectAttempt

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_reconnect_attempt_fields_the_readme_names_exist() -> None:
    row = next(
        line for line in README.read_text().splitlines() if line.startswith("| `on_reconnect`")
    )
    named = re.findall(r"`(\w+)`", row.split("its fields:", 1)[1])
    fields = {field.name for field in dataclasses.fields(ReconnectAttempt)}
    assert set(named) - {"None"} == fields
