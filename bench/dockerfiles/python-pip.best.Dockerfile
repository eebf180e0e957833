# The well-known pip recipe for examples/python-pip: requirements.txt alone into a venv, with
# pip's cache as a cache mount, then the app (`COPY . /app`, as the recipe goes); multi-stage onto python:slim, non-root. The
# egress proxy's CA comes in as a build secret for the install step only. The build stage is the
# uv image (Python with pip and venv), as strata's is: the testbed's python:slim stand-in has
# neither.
FROM ghcr.io/astral-sh/uv:python3.14-trixie-slim AS build
WORKDIR /app
RUN python3 -m venv /app/.venv
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=ca,required=false \
    PIP_CERT=/run/secrets/ca /app/.venv/bin/pip install -r requirements.txt

FROM python:3.14-slim-trixie
COPY --from=build /app/.venv /app/.venv
COPY . /app
ENV PATH=/app/.venv/bin:$PATH
USER 65532:65532
WORKDIR /app
ENTRYPOINT ["/app/.venv/bin/python", "/app/app.py"]
