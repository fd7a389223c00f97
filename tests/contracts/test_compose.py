"""docker-compose.yml cannot run here (no Docker engine), so it is checked
against the code: commands, settings variables, ports, upstream targets and
health checks."""

import importlib
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

SERVICES = {
    "storage": ("services.storage", "services.storage.settings", "StorageSettings", "PREVIS_STORAGE_"),
    "planner": ("services.planner", "services.planner.settings", "PlannerSettings", "PREVIS_PLANNER_"),
    "media": ("services.media", "services.media.settings", "MediaSettings", "PREVIS_MEDIA_"),
    "gateway": ("gateway", "gateway.settings", "GatewaySettings", "PREVIS_GATEWAY_"),
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _settings_class(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def test_the_four_processes_are_defined(compose):
    assert set(compose["services"]) == set(SERVICES)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_command_runs_the_service_module(compose, service):
    module = SERVICES[service][0]
    assert compose["services"][service]["command"] == ["python", "-m", module]
    assert importlib.util.find_spec(f"{module}.__main__") is not None


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_environment_names_real_settings_with_valid_values(compose, service):
    _module, settings_module, class_name, prefix = SERVICES[service]
    cls = _settings_class(settings_module, class_name)
    env = compose["services"][service]["environment"]
    fields = {prefix + name.upper(): name for name in cls.model_fields}
    unknown = sorted(set(env) - set(fields))
    assert unknown == [], f"{service}: variables that no setting reads: {unknown}"
    values = {
        fields[key]: value
        for key, value in env.items()
        if not str(value).startswith("${")  # secrets come from the operator's environment
    }
    values.setdefault("internal_token", "x")
    cls(**values)  # validates types and cross-field rules


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_health_check_probes_the_configured_port(compose, service):
    definition = compose["services"][service]
    prefix = SERVICES[service][3]
    port = definition["environment"][prefix + "PORT"]
    test = definition["healthcheck"]["test"]
    assert test[:4] == ["CMD", "python", "-m", "services.runtime.health_probe"]
    assert test[4] == f"127.0.0.1:{port}"
    assert importlib.util.find_spec("services.runtime.health_probe") is not None
    exposed = [str(p).split(":")[-1] for p in definition.get("expose", []) + definition.get("ports", [])]
    assert port in exposed


def test_upstream_targets_point_at_the_services_ports(compose):
    ports = {name: compose["services"][name]["environment"][SERVICES[name][3] + "PORT"] for name in SERVICES}
    for service, (_m, _s, _c, prefix) in SERVICES.items():
        for key, value in compose["services"][service]["environment"].items():
            if key.endswith("_TARGET"):
                host, port = value.split(":")
                assert host in SERVICES and ports[host] == port, f"{service}.{key}={value}"


def test_every_service_binds_all_interfaces_in_containers(compose):
    for service, (_m, _s, _c, prefix) in SERVICES.items():
        assert compose["services"][service]["environment"][prefix + "HOST"] == "0.0.0.0"
