package tcpconn_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/plugins/tcp/tcpconn"
)

func TestOptionsAndAbsentServer(t *testing.T) {
	if _, err := tcpconn.New(tcpconn.Options{Address: "no-port"}); err == nil {
		t.Fatal("address without port accepted")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := tcpconn.New(tcpconn.Options{Address: addr, ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Connect(ctx); !errors.Is(err, connector.ErrServerAbsent) {
		t.Fatalf("got %v, want ErrServerAbsent", err)
	}
}
