# syntax=docker/dockerfile:1
# The production images (docker-compose.yml). Four stages:
#   frontend  npm ci of the front-end libraries (Bootstrap, htmx), served by the app, never a CDN
#   build     Python dependencies, translations compiled, static files collected (hashed, gzip/br)
#   proxy     the official nginx image with those static files and the site's configuration
#   runtime   (the default target) the app without gettext or build caches, as a non-root user:
#             gunicorn (HTTP), daphne (WebSockets), the Celery worker and beat, manage.py
# Nothing secret is baked in: every setting comes from the environment at run time.

ARG NODE_IMAGE=node:20-slim
ARG PYTHON_IMAGE=python:3.13-slim
ARG NGINX_IMAGE=nginx:1.28

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

# The dependencies first, exactly as locked (versions and file hashes: a tampered or swapped
# package fails the build), so that this layer is reused until the lock changes.
COPY requirements/base.lock /tmp/base.lock
RUN pip install --require-hashes -r /tmp/base.lock

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

# --- proxy ------------------------------------------------------------------------------------
# nginx >= 1.27.3: the upstreams follow the replicas of web and ws through Docker's DNS
# (`server web:8000 resolve`). The image's entrypoint renders /etc/nginx/templates/*.template
# from the environment into /etc/nginx/conf.d/ (docker-compose.yml gives the values).
FROM ${NGINX_IMAGE} AS proxy
COPY --from=build /app/staticfiles /srv/static
COPY deploy/nginx/site.conf.template deploy/compose/tls.conf.template /etc/nginx/templates/

# --- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="teletherapy" \
      org.opencontainers.image.description="Open-source online therapy platform (Django, Channels, Celery)" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    VAR_DIR=/app/var \
    KEY_VAULT_ROOT=/app/keys

# pg_dump and pg_restore, for `manage.py backup` and `restore` (docker-compose.yml's postgres is
# the same major version as Debian's client).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 teletherapy \
 && useradd --system --uid 10001 --gid teletherapy --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin teletherapy

# Code, venv and static files stay owned by root: the app can read them, not change them.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

# Private files when PRIVATE_STORAGE=filesystem, and beat's schedule: the only place the app
# writes. A new named volume mounted here takes this owner and mode. (docker-compose.yml keeps
# private files in MinIO and mounts a volume here for beat only.)
RUN mkdir -p /app/var \
 && chown teletherapy:teletherapy /app/var \
 && chmod 0700 /app/var
# The key vault (core.keyvault, KEY_VAULT_ROOT): every patient's data key is wrapped under it.
# Never in the database or its backups; every app process of a host must read the same one
# (docker-compose.yml mounts one named volume here for them all).
RUN mkdir -p /app/keys \
 && chown teletherapy:teletherapy /app/keys \
 && chmod 0700 /app/keys

WORKDIR /app
USER teletherapy:teletherapy
VOLUME ["/app/var", "/app/keys"]
EXPOSE 8000

# One process for HTTP and WebSockets, enough for `docker run`; docker-compose.yml gives each
# service its own command (gunicorn for web, daphne for ws, celery). --proxy-headers: behind a
# reverse proxy (client address from X-Forwarded-For).
# HTTP and WebSockets in one process (compose runs them apart): no Server banner, no access log
# (the app writes its own, with the secrets of paths redacted); X-Forwarded-For is read by the
# app from TRUSTED_PROXIES only.
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--no-server-name", "--access-log", "/dev/null", "teletherapy.asgi:application"]
