"""``python -m services.media``: all pixels of previs, as jobs."""

from services.media.app import wire
from services.media.settings import MediaSettings
from services.runtime.service_main import run_service

run_service("media", MediaSettings, wire)
