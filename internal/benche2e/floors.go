package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// wsFloor measures a gorilla websocket echo in this process over loopback
// TCP: the least a websocket round trip costs here.
func wsFloor(ctx context.Context, sz Sizes, frame []byte) (Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, fmt.Errorf("websocket floor: %w", err)
	}
	up := websocket.Upgrader{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			t, m, err := c.ReadMessage()
			if err != nil || c.WriteMessage(t, m) != nil {
				return
			}
		}
	})}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close(); <-served }()
	c, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+ln.Addr().String(), nil)
	if err != nil {
		return Result{}, fmt.Errorf("websocket floor: dial: %w", err)
	}
	defer c.Close()
	return measureEcho(ctx, sz, cpuMeter{}, wsEcho{c}, frame)
}

type wsEcho struct{ c *websocket.Conn }

func (w wsEcho) send(_ context.Context, f []byte) error {
	return w.c.WriteMessage(websocket.TextMessage, f)
}

func (w wsEcho) recv(context.Context) error {
	_, _, err := w.c.ReadMessage()
	return err
}

// The bare gRPC echo: one bidirectional stream of BytesValue messages, a
// service declared by hand so that no generated code is needed.
const echoMethod = "/benche2e.Echo/Echo"

var echoService = grpc.ServiceDesc{
	ServiceName: "benche2e.Echo",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName:    "Echo",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(_ any, st grpc.ServerStream) error {
			for {
				m := new(wrapperspb.BytesValue)
				if err := st.RecvMsg(m); err != nil {
					if errors.Is(err, io.EOF) {
						return nil
					}
					return err
				}
				if err := st.SendMsg(m); err != nil {
					return err
				}
			}
		},
	}},
}

// serveGRPCEcho is the far process of the gRPC floor: it serves the echo on
// a Unix socket at path, says "ready" on stdout, and exits when its stdin
// closes (the runner is gone or done).
func serveGRPCEcho(path string) error {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	s := grpc.NewServer()
	s.RegisterService(&echoService, struct{}{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		s.Stop()
	}()
	fmt.Println("ready")
	return s.Serve(ln)
}

// grpcFloor measures a bare grpc-go bidirectional stream echo between this
// process and a child serving it over a Unix socket, scheduled as a plugin
// is: the least a plugin hop can cost.
func grpcFloor(ctx context.Context, sz Sizes, frame []byte) (Result, error) {
	self, err := os.Executable()
	if err != nil {
		return Result{}, fmt.Errorf("grpc floor: %w", err)
	}
	dir, err := os.MkdirTemp("", "benche2e")
	if err != nil {
		return Result{}, fmt.Errorf("grpc floor: %w", err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "echo.sock")
	cmd := exec.CommandContext(ctx, self, "-grpc-echo-server", sock)
	// pluginapi.Serve runs plugins on one P unless GOMAXPROCS is set, and
	// the floor's server runs as a plugin would: a floor on two Ps costs
	// more than the hop it is the floor of.
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return Result{}, fmt.Errorf("grpc floor: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, fmt.Errorf("grpc floor: %w", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("grpc floor: start echo server: %w", err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		return Result{}, fmt.Errorf("grpc floor: echo server did not start: %q %v", line, err)
	}
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return Result{}, fmt.Errorf("grpc floor: %w", err)
	}
	defer conn.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := conn.NewStream(sctx, &echoService.Streams[0], echoMethod)
	if err != nil {
		return Result{}, fmt.Errorf("grpc floor: open stream: %w", err)
	}
	r, err := measureEcho(ctx, sz, cpuMeter{pids: []int{cmd.Process.Pid}}, grpcEcho{st}, frame)
	_ = st.CloseSend()
	return r, err
}

type grpcEcho struct{ st grpc.ClientStream }

func (g grpcEcho) send(_ context.Context, f []byte) error {
	return g.st.SendMsg(&wrapperspb.BytesValue{Value: f})
}

func (g grpcEcho) recv(context.Context) error {
	return g.st.RecvMsg(new(wrapperspb.BytesValue))
}
