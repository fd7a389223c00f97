"""``python -m services.planner``: all language work of previs."""

from services.planner.app import wire
from services.planner.settings import PlannerSettings
from services.runtime.service_main import run_service

run_service("planner", PlannerSettings, wire)
