// go-vendored: a small HTTP service whose dependencies are vendored (vendor/), so it builds with
// -mod=vendor and no network at all.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/gorilla/mux"
)

func main() {
	r := mux.NewRouter()
	r.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "hello from go-vendored\n")
	}).Methods(http.MethodGet)
	log.Println("go-vendored listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", r))
}
