// go-web: a small HTTP service, the Go example strata builds in tests. Its dependencies come from a
// module proxy (the testbed's goproxy here), so a build has to download modules.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

func main() {
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from go-web %s\n", uuid.New())
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok\n")
	})
	log.Println("go-web listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", r))
}
