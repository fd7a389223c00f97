"""YAML configuration shipped with the media service: request defaults
(``defaults.yaml``, loaded by :mod:`services.media.config.defaults`) and the
price table (``prices.yaml``, loaded by :mod:`services.media.pricing`)."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULTS_PATH = CONFIG_DIR / "defaults.yaml"
PRICES_PATH = CONFIG_DIR / "prices.yaml"
