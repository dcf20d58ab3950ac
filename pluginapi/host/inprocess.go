package host

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/bphost/bphost/pluginapi"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// startInProcess serves srv, the plugin side of transport name, on a gRPC
// server of this process and connects to it over a connected pair made by
// connPair: no address, so nothing else on the machine can reach it.
func startInProcess(srv wire.Server, name string) (*instance, error) {
	lis := newPipeListener()
	gs := grpc.NewServer(wire.GRPCServerOptions()...)
	pb.RegisterConnectorServiceServer(gs, srv)
	served := make(chan struct{})
	go func() {
		defer close(served)
		gs.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///bphost-in-process",
		append(wire.GRPCDialOptions(),
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.dial(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		gs.Stop()
		<-served
		return nil, fmt.Errorf("in-process plugin %s: %w", name, err)
	}
	exited := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			conn.Close()
			gs.Stop()
			srv.Stop()
			<-served
			close(exited)
		})
		<-exited
	}
	return &instance{
		client: pb.NewConnectorServiceClient(conn),
		exited: exited,
		status: func() string { return "stopped" },
		stop:   stop,
	}, nil
}

// pipeListener is a net.Listener whose connections are the pairs made by
// dial.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the server's end of the next dialled connection.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and dial fail; connections made stay open.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr names the listener.
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client's end of a new connection pair (connPair) once
// Accept has taken the server's.
func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server, err := connPair()
	if err != nil {
		return nil, fmt.Errorf("in-process plugin connection: %w", err)
	}
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

// pipeAddr is the address of the listener.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "bphost-in-process" }

// describeFromProto reads a plugin's Describe answer; the frame limit is
// never above pluginapi.MaxFrame, whatever the plugin says.
func describeFromProto(r *pb.DescribeResponse) pluginapi.Description {
	d := pluginapi.Description{
		Name:            r.GetName(),
		Version:         r.GetVersion(),
		Summary:         r.GetSummary(),
		MaxFrame:        int(min(r.GetMaxFrame(), pluginapi.MaxFrame)),
		ContractVersion: int(r.GetContractVersion()),
	}
	for _, o := range r.GetOptions() {
		d.Options = append(d.Options, pluginapi.OptionSpec{
			Name: o.GetName(), Type: pluginapi.OptionType(o.GetType()), Default: o.GetDefault(), Required: o.GetRequired(), Help: o.GetHelp(),
		})
	}
	return d
}
