# The monorepo's three services, built in parallel with the strata frontend:
#
#   docker buildx bake -f examples/monorepo/docker-bake.hcl --load
#
# (from the monorepo's root, here examples/monorepo, or with BAKE_CONTEXT set). The Go
# services share one go.mod, so their dependency step is one step, run once; each compiles
# only the packages it imports.

variable "BAKE_CONTEXT" {
  default = "."
}

group "default" {
  targets = ["api", "admin", "worker"]
}

target "api" {
  context    = BAKE_CONTEXT
  dockerfile = "services/api/strata.yaml"
  tags       = ["monorepo/api"]
}

target "admin" {
  context    = BAKE_CONTEXT
  dockerfile = "services/admin/strata.yaml"
  tags       = ["monorepo/admin"]
}

target "worker" {
  context    = BAKE_CONTEXT
  dockerfile = "services/worker/strata.yaml"
  tags       = ["monorepo/worker"]
  # PyPI through a TLS-intercepting proxy: its CA as a secret (never in a layer).
  secret     = ["id=ca,src=/etc/ssl/certs/ca-certificates.crt"]
}
