"""The container files agree with each other and with the bot's rules: the replicas compose.yaml starts are
the servers HAProxy balances and the count REPLICAS says, each gets what replica mode requires, Redis runs
without persistence, and nothing secret is written into them. (Building and running the images needs podman:
deploy/verify-image.sh, docs/containers.md.)"""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_haproxy_balances_exactly_the_replicas_compose_starts_and_replicas_says_so():
    services = compose()["services"]
    bots = sorted(name for name in services if re.fullmatch(r"bot-\d+", name))
    servers = re.findall(r"^\s*server (\S+) (\S+):8443", (ROOT / "deploy" / "haproxy.cfg").read_text(), re.M)
    assert bots and sorted(name for name, _host in servers) == bots
    assert all(name == host for name, host in servers)
    for name in bots:
        assert services[name]["environment"]["REPLICAS"] == str(len(bots))


def test_every_bot_service_gets_what_replica_mode_requires_and_no_secret_in_the_file():
    services = compose()["services"]
    for name in ("deploy", *(n for n in services if n.startswith("bot-"))):
        service = services[name]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and env["REDIS_URL"].startswith("redis://")
        assert service["env_file"] == ".env"  # BOT_TOKEN, DATA_KEY, WEBHOOK_SECRET, WEBHOOK_URL come from there
        assert not {"BOT_TOKEN", "DATA_KEY", "WEBHOOK_SECRET"} & set(env)
    assert services["deploy"]["command"] == ["python", "main.py", "deploy"]
    example = (ROOT / "deploy" / "env.example").read_text()
    for name in ("BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "DATA_KEY", "POSTGRES_PASSWORD"):
        assert re.search(rf"^{name}=", example, re.M), name
    assert not re.search(r"^(BOT_TOKEN|WEBHOOK_SECRET|DATA_KEY|POSTGRES_PASSWORD)=\S", example, re.M)


def test_redis_is_built_to_run_without_persistence_and_the_database_is_not_published():
    base = (ROOT / "deploy" / "build-base.sh").read_text()
    assert '"--save",""' in base and '"--appendonly","no"' in base
    services = compose()["services"]
    assert "ports" not in services["db"] and "ports" not in services["redis"]
    assert compose()["networks"]["back"]["internal"] is True


def test_the_image_leaves_secrets_data_and_tests_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "data/", ".venv/", ".git/", "tests/"} <= ignored
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER netra" in dockerfile and "tini" in dockerfile and "HEALTHCHECK" in dockerfile
