# syntax=docker/dockerfile:1
# Carnet's one image: records, search, the Celery workers, beat and Flower differ by command.

# --- build: compilers live here only --------------------------------------------
FROM python:3.11.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/carnet
WORKDIR /src
COPY pyproject.toml README.md ./
COPY carnet ./carnet
COPY config ./config
COPY httpkit ./httpkit
COPY records_svc ./records_svc
COPY search_svc ./search_svc
COPY workers ./workers
RUN /opt/carnet/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/carnet/bin/pip install --no-cache-dir .

# --- runtime: the virtualenv, WeasyPrint's libraries, a non-root user ------------
FROM python:3.11.11-slim-bookworm
# Pango, HarfBuzz and fonts for WeasyPrint (PDF editions); the same list as scripts/system-deps.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
      libfontconfig1 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 carnet \
 && useradd --system --uid 10001 --gid carnet --home-dir /var/lib/carnet --create-home carnet \
 && mkdir -p /var/lib/carnet/documents \
 && chown -R carnet:carnet /var/lib/carnet
COPY --from=build /opt/carnet /opt/carnet
ENV PATH=/opt/carnet/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CARNET_MODE=full \
    CARNET_DATA_DIR=/var/lib/carnet \
    CARNET_DOCUMENTS_DIR=/var/lib/carnet/documents
USER carnet
WORKDIR /var/lib/carnet
EXPOSE 8000
CMD ["gunicorn", "--config", "python:carnet.gunicorn_conf", "--bind", "0.0.0.0:8000", "carnet.wsgi:records()"]
