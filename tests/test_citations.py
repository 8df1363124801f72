"""Every basis quote lies inside the Pasal it cites (../shared/tools/check_citations.py, --require-quotes)."""

import subprocess
import sys

import pytest

from tests.conftest import KNOWLEDGE, ROOT, SHARED

CHECKER = SHARED / "tools" / "check_citations.py"


@pytest.mark.skipif(not CHECKER.is_file(), reason="../shared (the legal reference texts) is not beside the project")
def test_every_quote_is_in_the_cited_article():
    proc = subprocess.run(
        [sys.executable, str(CHECKER), str(KNOWLEDGE), "--require-quotes"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
    failures = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAIL")]
    assert proc.returncode == 0 and " 0 failed" in summary, "\n".join(failures) or summary
