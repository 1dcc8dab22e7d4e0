// Command serve is a tiny static file server for the example SPA, so that
// it runs on its own origin (another port) and CORS is real:
//
//	go run ./examples/spa/serve -addr localhost:5173 -dir examples/spa
package main

import (
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "localhost:5173", "listen address")
	dir := flag.String("dir", "examples/spa", "folder to serve")
	flag.Parse()
	files := http.FileServer(http.Dir(*dir))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Always fresh: this is a development server for an example.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src *")
		files.ServeHTTP(w, r)
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("serving %s on http://%s", *dir, *addr)
	log.Fatal(srv.ListenAndServe())
}
