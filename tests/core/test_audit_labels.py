"""Every audit action written anywhere in the code has a Chinese label for the history."""

import re
from pathlib import Path

from core.audit_labels import ACTION_LABELS, label

ROOT = Path(__file__).resolve().parents[2]
# audit.record("x.y", …) and record(\n    "x.y", …): the action is the first string.
WRITTEN = re.compile(r"""\brecord\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def written_actions() -> set[str]:
    found: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests"}:
            continue
        found |= set(WRITTEN.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_written_action_has_a_label():
    written = written_actions()
    assert len(written) > 30  # the scan finds the actions at all
    assert sorted(written - ACTION_LABELS.keys()) == []


def test_label_falls_back_to_the_code():
    assert label("declaration.submitted") == "提交申报"
    assert label("something.new") == "something.new"
