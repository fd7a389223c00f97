# One image for all four previs processes; docker-compose.yml picks the
# command. Build: docker build -t previs .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY previs ./previs
COPY services ./services
COPY gateway ./gateway
COPY previs_cli ./previs_cli
RUN pip install --no-cache-dir .
RUN useradd --create-home previs && mkdir /data && chown previs /data
USER previs
VOLUME ["/data"]
