# The naive single-stage build of examples/python-uv: the whole context first, then one
# `uv sync`, so any edit (a README included) re-resolves and reinstalls everything; no cache
# mount, the builder image as the runtime, root. The CA secret is the only concession.
FROM ghcr.io/astral-sh/uv:python3.14-trixie-slim
ENV UV_PYTHON_DOWNLOADS=never UV_PYTHON=/usr/local/bin/python3
WORKDIR /app
COPY . .
RUN --mount=type=secret,id=ca,required=false \
    SSL_CERT_FILE=/run/secrets/ca uv sync --frozen --no-dev --no-editable
ENTRYPOINT ["/app/.venv/bin/greet"]
