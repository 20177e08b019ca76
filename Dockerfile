# Production image: `minedash serve` (uvicorn workers) serving the app; configuration comes from the environment.

# plotly.js's basic build from the npm registry, exactly as package-lock.json pins it (integrity-checked).
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/minedash

# Dependencies first, so code changes do not reinstall them: exactly the pinned, hash-checked versions of
# requirements.lock (pip and setuptools included), the same lock `make run` installs from.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .
COPY --from=assets /assets/node_modules ./node_modules
# Editable install: templates/, static/, migrations/ and data/ are read from this directory.
# --no-deps: everything came from the lock; --no-build-isolation: built with the lock's setuptools.
RUN pip install --no-deps --no-build-isolation -e . \
    && pip check \
    && minedash build-assets \
    && useradd --system --uid 10001 --home-dir /srv/minedash minedash \
    && chown -R minedash /srv/minedash
USER minedash

# X-Forwarded-For/-Proto are believed from no one unless FORWARDED_ALLOW_IPS names the proxy (e.g. 10.0.0.2).
ENV HOST=0.0.0.0 PORT=8000 ENVIRONMENT=production FORWARDED_ALLOW_IPS=""
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
# `minedash serve` checks the database first and gives each worker a listening socket of its own (app.cli.workers);
# it reads HOST, PORT and FORWARDED_ALLOW_IPS from the environment.
CMD ["sh", "-c", "exec minedash serve --workers \"${WEB_CONCURRENCY:-4}\""]
