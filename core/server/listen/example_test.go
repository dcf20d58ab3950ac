package listen_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/server/listen"
)

// `bphost serve` binds listeners from URLs, then serves them until its
// context ends.
func ExampleListen() {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := embedded.New(embedded.Config{Simulate: []string{"Lovense Hush"}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	var ls []*listen.Listener
	for _, u := range []string{"ws://127.0.0.1:0", "tcp://127.0.0.1:0"} {
		l, err := listen.Listen(ctx, u)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("listening on", strings.Split(l.URL(), ":")[0]+"://127.0.0.1")
		ls = append(ls, l)
	}
	done := make(chan error, 1)
	go func() { done <- listen.Serve(ctx, srv.Server, ls...) }()
	cancel() // Ctrl-C
	fmt.Println("serve:", <-done)
	// Output:
	// listening on ws://127.0.0.1
	// listening on tcp://127.0.0.1
	// serve: <nil>
}
