module example.com/go-vendored

go 1.24

require github.com/gorilla/mux v1.8.1
