# The naive single-stage build of examples/python-pip: `COPY . .` before `pip install`, so any
# edit reinstalls every package; no cache mount, root. The CA secret is the only concession.
# (The uv image, for its pip: the testbed's python:slim stand-in has none.)
FROM ghcr.io/astral-sh/uv:python3.14-trixie-slim
WORKDIR /app
COPY . .
RUN --mount=type=secret,id=ca,required=false \
    PIP_CERT=/run/secrets/ca pip install -r requirements.txt
ENTRYPOINT ["python", "/app/app.py"]
