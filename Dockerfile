# syntax=docker/dockerfile:1
# The production image: daphne (HTTP + WebSocket), and the same image runs the Celery worker and
# beat (see docker-compose.yml). Three stages:
#   frontend  npm ci of the front-end libraries (Bootstrap, htmx), served by the app, never a CDN
#   build     Python dependencies, translations compiled, static files collected (hashed, gzip/br)
#   runtime   the above without gettext or build caches, as a non-root user
# Nothing secret is baked in: every setting comes from the environment at run time.

ARG NODE_IMAGE=node:20-slim
ARG PYTHON_IMAGE=python:3.13-slim

# --- frontend ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- build ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# gettext's msgfmt is what compilemessages runs; only this stage needs it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
WORKDIR /app

# The dependencies first, read from pyproject.toml alone, so that this layer is reused until
# they change rather than on every code change.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

COPY . .
COPY --from=frontend /build/node_modules ./node_modules

# The project itself, installed in place (editable, as `make install` does): settings derive
# BASE_DIR from their own file, so the code must run from /app, where templates/, static/,
# locale/ and staticfiles/ are, whichever directory daphne or celery is started from. A plain
# `pip install .` would put a second copy in site-packages that daphne and celery would import,
# with BASE_DIR pointing into site-packages.
RUN pip install --no-deps --editable .

# Translations and static files at build time. DEBUG=false needs these four variables to be
# set: the values below are build-only dummies that exist for these two commands in this one RUN
# line; they are not ENV and are not in the final image. VAR_DIR points away from /app/var so
# that nothing from the build lands in the data volume.
RUN export DEBUG=false \
        SECRET_KEY=build-only-dummy-secret-key-not-used-at-run-time \
        MESSAGE_ENCRYPTION_KEYS=YnVpbGQtb25seS1kdW1teS1rZXktbm90LXNlY3JldCE= \
        ALLOWED_HOSTS=build-only.invalid \
        EMAIL_URL=console: \
        VAR_DIR=/tmp/build-only-var \
 && python manage.py compilemessages --locale fr --ignore node_modules \
 && python manage.py collectstatic --noinput --verbosity 1 \
 && rm -rf /tmp/build-only-var

# --- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="teletherapy" \
      org.opencontainers.image.description="Open-source online therapy platform (Django, Channels, Celery)" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    VAR_DIR=/app/var

RUN groupadd --system --gid 10001 teletherapy \
 && useradd --system --uid 10001 --gid teletherapy --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin teletherapy

# Code, venv and static files stay owned by root: the app can read them, not change them.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

# Private files (and beat's schedule): the only place the app writes. A new named volume
# mounted here takes this owner and mode.
RUN mkdir -p /app/var \
 && chown teletherapy:teletherapy /app/var \
 && chmod 0700 /app/var

WORKDIR /app
USER teletherapy:teletherapy
VOLUME ["/app/var"]
EXPOSE 8000

# --proxy-headers: the platform sits behind a TLS-terminating reverse proxy (client address
# from X-Forwarded-For). The worker and beat override this command in docker-compose.yml.
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "teletherapy.asgi:application"]
