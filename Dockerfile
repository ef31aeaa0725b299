# syntax=docker/dockerfile:1
# The trendwatch service image. Build from the repository root:
#   docker build -t trendwatch .
# or through deploy/compose.yaml. Every dependency installs from wheels: no system packages are
# needed (PDF reports use fpdf2 + uharfbuzz and bundled fonts; charts use matplotlib's wheel).

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY trendwatch ./trendwatch
COPY crawlers ./crawlers
COPY nlp ./nlp
COPY indexer ./indexer
COPY alerts ./alerts
RUN python -m venv /opt/trendwatch \
 && /opt/trendwatch/bin/pip install --upgrade pip \
 && /opt/trendwatch/bin/pip install . \
 && /opt/trendwatch/bin/trendwatch --version

FROM python:${PYTHON_VERSION}-slim-bookworm
LABEL org.opencontainers.image.title="trendwatch" \
      org.opencontainers.image.description="Trend monitoring and competitor listening (Persian and English)" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/trendwatch --create-home trendwatch \
 && mkdir -p /etc/trendwatch
COPY --from=build /opt/trendwatch /opt/trendwatch
ENV PATH=/opt/trendwatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib
USER trendwatch
WORKDIR /var/lib/trendwatch
VOLUME ["/var/lib/trendwatch"]
EXPOSE 8765
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8765/health', timeout=4).status != 200)"]
ENTRYPOINT ["trendwatch"]
CMD ["run", "--config", "/etc/trendwatch/config.yaml"]
