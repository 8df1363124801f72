from pathlib import Path

import pytest

from bot.config import DEFAULT_BASE_URL, SettingsError, load_settings


def test_defaults_need_nothing():
    s = load_settings({})
    assert s.bot_token is None
    assert s.bot_api_base_url == DEFAULT_BASE_URL
    assert s.data_dir == Path("data")
    assert s.admin_ids == frozenset()


def test_reads_every_setting():
    s = load_settings(
        {
            "BOT_TOKEN": "123:abc",
            "BOT_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "BOT_API_FILE_URL": "http://127.0.0.1:8081/file/bot",
            "ADMIN_IDS": "1, 2,3",
            "ADMIN_CHAT_ID": "-100200",
            "DATA_DIR": "/tmp/netra",
        }
    )
    assert s.require_token() == "123:abc"
    assert s.admin_ids == {1, 2, 3}
    assert s.admin_chat_id == -100200
    assert s.data_dir == Path("/tmp/netra")


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"ADMIN_IDS": "1,x"}, "ADMIN_IDS"),
        ({"ADMIN_CHAT_ID": "grup"}, "ADMIN_CHAT_ID"),
        ({"BOT_API_BASE_URL": "127.0.0.1"}, "BOT_API_BASE_URL"),
        ({"BOT_TOKEN": "no colon"}, "BOT_TOKEN"),
    ],
)
def test_malformed_setting_is_one_line_naming_it(env, name):
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    message = str(err.value)
    assert name in message and "\n" not in message


def test_missing_token_is_named():
    with pytest.raises(SettingsError, match="BOT_TOKEN"):
        load_settings({}).require_token()


def test_dotenv_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("ADMIN_CHAT_ID=5\nDATA_DIR=/from/file\n")
    monkeypatch.setenv("DATA_DIR", "/from/env")
    s = load_settings(env_file=env_file)
    assert s.admin_chat_id == 5
    assert s.data_dir == Path("/from/env")
