# hocso serve in a container: a non-root user, state under the /data volume, the exact
# versions of constraints.txt. compose.yaml runs it with Redis; README, Deploy, says how.
#
#   docker build -t hocso .
#   docker run -d -p 127.0.0.1:8000:8000 -v hocso-data:/data --env-file hocso.env hocso
#
# No font packages are installed: posters and certificates are set in the Noto Sans and Noto
# Serif that bot/fonts ships (they come with the package), QR codes are drawn without fonts,
# the web chat and /verify use the phone's.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from the pinned versions: this layer is rebuilt only when they change.
COPY pyproject.toml README.md constraints.txt ./
COPY bot bot
COPY lessons lessons
COPY handlers handlers
COPY webhook webhook
COPY cli cli
RUN pip install --no-cache-dir -c constraints.txt . \
    && groupadd --system --gid 10001 hocso \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin hocso \
    && mkdir /data \
    && chown 10001:10001 /data

# The lessons, certificates and messages; mount another folder here to use your own.
COPY content content

ENV HOCSO_CONTENT=/app/content \
    HOCSO_STORE=sqlite:////data/hocso.db

VOLUME /data
USER 10001:10001
EXPOSE 8000

# 200 while the store answers (see /healthz); no curl in the image, Python is there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

ENTRYPOINT ["hocso"]
CMD ["serve", "--host", "0.0.0.0"]
