# The recipe from uv's Docker guide (multistage), on the corpus FastAPI service
# (real-world/python/fastapi-decoy): the lockfiles bound into the dependency step, uv's cache as
# a cache mount, then the project copied and installed, and /app copied onto python:slim. The CA
# is the egress proxy's, passed as a build secret.
FROM ghcr.io/astral-sh/uv:python3.14-trixie-slim AS build
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=ca,required=false \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    SSL_CERT_FILE=/run/secrets/ca uv sync --locked --no-install-project --no-dev
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=ca,required=false \
    SSL_CERT_FILE=/run/secrets/ca uv sync --locked --no-dev --no-editable

FROM python:3.14-slim-trixie
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH
USER 65532:65532
WORKDIR /app
EXPOSE 8000
CMD ["fastapi", "run", "src/inventory/__init__.py", "--port", "8000"]
