"""Full-stack throughput: Netra vs a bare python-telegram-bot bot sending a fixed reply, same run, same fake API.

    python bench/bot_throughput.py [--chats 200] [--per-chat 10]

The fake Bot API runs in its own process; each bot runs in its own process, whose CPU time (user+system,
from /proc) is measured over the load phase only. Every chat sends its questions at once (200 concurrent
chats), the questions drawn from the held-out set. Netra's rate limiter is raised out of the way here: it
exists to keep below Telegram's ~30 messages/second, which would otherwise be the only thing measured.
Prints answered messages per second, reply latency p50/p99 (fake API: update handed out -> reply received),
CPU ms per answered message, and resident memory after start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evaluation import load_items  # noqa: E402

TOKEN = "424242:BENCH-token"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def call(base: str, path: str, payload: dict | None = None) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def updates(questions: list[str], chats: int, per_chat: int, first_chat: int) -> list[dict]:
    out = []
    n = 0
    for round_ in range(per_chat):
        for c in range(chats):
            chat_id = first_chat + c
            user = {"id": chat_id, "is_bot": False, "first_name": "U", "language_code": "id"}
            text = questions[n % len(questions)]
            n += 1
            message = {"message_id": round_ + 1, "from": user, "chat": {"id": chat_id, "type": "private"},
                       "date": int(time.time()), "text": text}  # fmt: skip
            out.append({"message": message})
    return out


def run(mode: str, questions: list[str], chats: int, per_chat: int, first_chat: int) -> dict:
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_fake_server.py"), TOKEN], stdout=subprocess.PIPE, text=True
    )
    base = fake.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as data:
        bot = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "_run_bot.py"),
                mode,
                "--base",
                base,
                "--token",
                TOKEN,
                "--data",
                data,
            ],
            stderr=subprocess.DEVNULL,
        )
        try:
            warm = updates(["pns jadi anggota parpol"], 1, 1, first_chat - 1)
            call(base, "/_control/push", {"updates": warm})
            deadline = time.time() + 60
            while call(base, "/_control/stats")["sent"] < 1:
                if time.time() > deadline:
                    raise RuntimeError(f"{mode} bot did not answer")
                time.sleep(0.05)
            rss = rss_mib(bot.pid)
            load = updates(questions, chats, per_chat, first_chat)
            cpu0, t0 = cpu_seconds(bot.pid), time.perf_counter()
            call(base, "/_control/push", {"updates": load})
            while (stats := call(base, "/_control/stats"))["sent"] < 1 + len(load):
                time.sleep(0.02)
            elapsed, cpu = time.perf_counter() - t0, cpu_seconds(bot.pid) - cpu0
        finally:
            bot.terminate()
            bot.wait(timeout=30)
            fake.terminate()
            fake.wait(timeout=30)
    lat = sorted(stats["latencies"][1:])
    return {
        "mode": mode,
        "answered": len(load),
        "per_second": len(load) / elapsed,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[int(0.99 * len(lat)) - 1],
        "cpu_ms_per_msg": 1000 * cpu / len(load),
        "rss_mib": rss,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--per-chat", type=int, default=10)
    args = parser.parse_args()
    questions = [i.q for i in load_items(ROOT / "tests" / "data" / "heldout-questions.yaml")]
    results = [run(mode, questions, args.chats, args.per_chat, 10_000) for mode in ("bare", "netra")]
    print(f"{args.chats} concurrent chats x {args.per_chat} messages\n")
    print("| bot | answered | msg/s | p50 ms | p99 ms | CPU ms/msg | RSS after start MiB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['mode']} | {r['answered']} | {r['per_second']:.0f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | "
              f"{r['cpu_ms_per_msg']:.2f} | {r['rss_mib']:.0f} |")  # fmt: skip
    bare, netra = results
    print(f"\nNetra's own cost per answered question: {netra['cpu_ms_per_msg'] - bare['cpu_ms_per_msg']:.2f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
