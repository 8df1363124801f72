"""Replicas: Netra as one and as three webhook replicas behind HAProxy on PostgreSQL and Redis, against the floor
of a bare python-telegram-bot bot (long polling, a fixed reply) in the same run and on the same fake Bot API.

    pg_virtualenv -t .venv/bin/python bench/replicas.py [--chats 200] [--per-chat 10]

pg_virtualenv (Debian's postgresql) provides the PostgreSQL server; the benchmark starts redis-server (without
persistence) and haproxy itself. The fake Bot API runs in its own process and delivers webhooks as Telegram does
(one update at a time per chat, retried until a 200). Rate limiters are raised out of the way: Telegram's
~30 messages/second would otherwise be all that is measured. Prints answered messages per second, reply latency
p50/p99 (update handed out -> reply received), CPU ms per answered message (all replicas together), and, with
three replicas, the failover: one replica is killed with SIGKILL mid-load, and the longest reply latency of the
run says how long the updates it held waited for another replica.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.bot_throughput import TOKEN, call, cpu_seconds, updates  # noqa: E402
from bench.bot_throughput import run as run_polling  # noqa: E402
from bench.evaluation import load_items  # noqa: E402
from tests.test_replicas import haproxy_config  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Port:
    """Stands in for tests.test_replicas.Replica in haproxy_config: only the port is read."""

    def __init__(self, port: int) -> None:
        self.port = port


def pg_url() -> str:
    env = {k: os.environ.get(k) for k in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")}
    if not all(env.values()):
        raise SystemExit("run under pg_virtualenv (Debian's postgresql): PGHOST/PGPORT/PGUSER/PGPASSWORD are unset")
    return f"postgresql://{env['PGUSER']}:{env['PGPASSWORD']}@{env['PGHOST']}:{env['PGPORT']}"


def fresh_database(name: str) -> str:
    import asyncio

    async def create() -> None:
        admin = await asyncpg.connect(f"{pg_url()}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()

    asyncio.run(create())
    return f"{pg_url()}/{name}"


def run_replicas(count: int, questions: list[str], chats: int, per_chat: int, kill: bool) -> dict:
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_fake_server.py"), TOKEN], stdout=subprocess.PIPE, text=True
    )
    base = fake.stdout.readline().strip()
    work = Path(tempfile.mkdtemp())
    redis_port, front = free_port(), free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(work)], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    ports = [free_port() for _ in range(count)]
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": f"{base}/bot",
        "BOT_API_FILE_URL": f"{base}/file/bot",
        "DATABASE_URL": fresh_database(f"netra_bench_{count}"),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "WEBHOOK_URL": f"http://127.0.0.1:{front}/telegram",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
    }
    cfg = work / "haproxy.cfg"
    cfg.write_text(haproxy_config(front, [Port(p) for p in ports]))
    procs: list[subprocess.Popen] = []
    haproxy = None
    try:
        wait_port(redis_port)
        subprocess.run([sys.executable, "main.py", "deploy"], cwd=ROOT, env={**env, "DATA_DIR": str(work / "d")},
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        for n, port in enumerate(ports):
            procs.append(subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "_run_replica.py")],
                env={**env, "WEBHOOK_PORT": str(port), "DATA_DIR": str(work / f"r{n}")}, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
        for port in ports:
            wait_port(port)
        haproxy = subprocess.Popen(["haproxy", "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        wait_port(front)
        time.sleep(1.0)  # HAProxy's first health checks
        warm = updates(["pns jadi anggota parpol"] * 3, count * 3, 1, 9_000)
        call(base, "/_control/push", {"updates": warm})
        while call(base, "/_control/stats")["sent"] < len(warm):
            time.sleep(0.05)
        load = updates(questions, chats, per_chat, 10_000)
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        t0 = time.perf_counter()
        call(base, "/_control/push", {"updates": load})
        killed_cpu = 0.0
        if kill:
            while call(base, "/_control/stats")["sent"] < len(warm) + len(load) // 3:
                time.sleep(0.01)
            killed_cpu = cpu_seconds(procs[1].pid)
            procs[1].send_signal(signal.SIGKILL)
            procs[1].wait()
        while (stats := call(base, "/_control/stats"))["sent"] < len(warm) + len(load):
            if time.perf_counter() - t0 > 300:
                raise RuntimeError(f"only {stats['sent']} of {len(warm) + len(load)} answered")
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        alive = [p for p in procs if p.poll() is None]
        cpu = sum(cpu_seconds(p.pid) for p in alive) + killed_cpu - cpu0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=40)
        for p in (haproxy, redis, fake):
            if p is not None:
                p.terminate()
                p.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    lat = sorted(stats["latencies"][len(warm) :])
    return {
        "mode": f"netra, {count} replica{'s' if count > 1 else ''}" + (", one killed" if kill else ""),
        "answered": len(load),
        "per_second": len(load) / elapsed,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[int(0.99 * len(lat)) - 1],
        "max_ms": 1000 * lat[-1],
        "cpu_ms_per_msg": 1000 * cpu / len(load),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--per-chat", type=int, default=10)
    args = parser.parse_args()
    for binary in ("redis-server", "haproxy"):
        if shutil.which(binary) is None:
            raise SystemExit(f"{binary} is not installed (Debian: apt-get install {binary})")
    pg_url()
    questions = [i.q for i in load_items(ROOT / "tests" / "data" / "heldout-questions.yaml")]
    bare = run_polling("bare", questions, args.chats, args.per_chat, 10_000)
    bare["max_ms"] = float("nan")
    bare["mode"] = "bare python-telegram-bot (polling, the floor)"
    results = [bare]
    for count, kill in ((1, False), (3, False), (3, True)):
        results.append(run_replicas(count, questions, args.chats, args.per_chat, kill))
    print(f"{args.chats} concurrent chats x {args.per_chat} messages; Netra on PostgreSQL + Redis behind HAProxy\n")
    print("| bot | answered | msg/s | p50 ms | p99 ms | max ms | CPU ms/msg | CPU vs floor |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        ratio = r["cpu_ms_per_msg"] / bare["cpu_ms_per_msg"]
        print(f"| {r['mode']} | {r['answered']} | {r['per_second']:.0f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | "
              f"{r['max_ms']:.0f} | {r['cpu_ms_per_msg']:.2f} | {ratio:.2f}x |")  # fmt: skip
    print("\nfailover: the 'one killed' run's max latency is how long the killed replica's updates waited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
