# Production image: uvicorn serving the app; configuration comes from the environment.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/minedash

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py && pip install . && pip uninstall -y minedash && rm -rf app

COPY . .
# Editable install: templates/, static/, migrations/ and data/ are read from this directory.
RUN pip install --no-deps -e . \
    && minedash build-assets \
    && useradd --system --uid 10001 --home-dir /srv/minedash minedash \
    && chown -R minedash /srv/minedash
USER minedash

# X-Forwarded-For/-Proto are believed from no one unless FORWARDED_ALLOW_IPS names the proxy (e.g. 10.0.0.2).
ENV HOST=0.0.0.0 PORT=8000 ENVIRONMENT=production FORWARDED_ALLOW_IPS=""
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["sh", "-c", "exec uvicorn --factory app.main:create_app --host \"$HOST\" --port \"$PORT\" --workers \"${WEB_CONCURRENCY:-4}\" --proxy-headers --forwarded-allow-ips \"$FORWARDED_ALLOW_IPS\""]
