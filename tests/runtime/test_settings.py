"""Settings fail fast and name the variable."""

import pytest

from gateway.settings import GatewaySettings
from services.runtime.settings import SettingsError, load_settings


def test_malformed_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("PREVIS_GATEWAY_PORT", "not-a-port")
    with pytest.raises(SettingsError) as caught:
        load_settings(GatewaySettings, auth="disabled")
    assert "PREVIS_GATEWAY_PORT" in str(caught.value)


def test_missing_required_setting_names_it(monkeypatch):
    monkeypatch.delenv("PREVIS_GATEWAY_API_KEYS_FILE", raising=False)
    with pytest.raises(SettingsError) as caught:
        load_settings(GatewaySettings, auth="api_keys")
    assert "api_keys_file" in str(caught.value).lower()
