"""The command line as a user runs it: `python main.py ask ...` and its JSON contract."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

KEYS = {"query", "matched", "rule_id", "verdict", "title", "confidence", "basis", "alternatives"}


def run(*args, stdin=None, env=None):
    return subprocess.run(
        [sys.executable, "main.py", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_ask_prints_a_readable_answer():
    proc = run("ask", "boleh gak pns like postingan caleg?")
    assert proc.returncode == 0, proc.stderr
    assert "DILARANG" in proc.stdout and "Dasar hukum" in proc.stdout and "Pasal" in proc.stdout


def test_ask_in_english():
    proc = run("ask", "--lang", "en", "boleh gak pns like postingan caleg?")
    assert "PROHIBITED" in proc.stdout and "Legal basis" in proc.stdout


def test_ask_json_contract():
    proc = run("ask", "--json", "pns ikut kampanye pakai kaos partai")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert set(obj) >= KEYS
    assert obj["matched"] is True and isinstance(obj["rule_id"], str)
    assert obj["verdict"] in ("boleh", "dilarang", "bersyarat", "info")
    assert 0 <= obj["confidence"] <= 1
    assert obj["basis"] and all(set(b) == {"source", "article"} for b in obj["basis"])
    assert all(set(a) == {"rule_id", "title", "confidence"} for a in obj["alternatives"])


def test_ask_json_out_of_scope():
    obj = json.loads(run("ask", "--json", "cara daftar CPNS").stdout)
    assert obj["matched"] is False and obj["rule_id"] is None and obj["basis"] == []


def test_ask_json_reads_stdin_one_per_line():
    questions = ["pns jadi anggota parpol", "", "tips menanam cabai di pot", "asn boleh nyoblos di tps?"]
    proc = run("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["query"] for o in lines] == [q for q in questions if q]
    assert lines[0]["matched"] and not lines[1]["matched"]


def test_missing_token_is_a_one_line_error():
    proc = run(env={"BOT_TOKEN": ""})
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "BOT_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_malformed_setting_is_a_one_line_error():
    proc = run("ask", "halo", env={"ADMIN_IDS": "satu"})
    assert proc.returncode == 2 and "ADMIN_IDS" in proc.stderr and "Traceback" not in proc.stderr
