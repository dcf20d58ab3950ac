package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/pluginapi"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
)

// olderPlugin serves the contract as plugins built before batches of
// frames did: one frame per message both ways, the attach message's batches
// and every FramesRequest.frames unknown to it. Its sessions echo.
type olderPlugin struct {
	pb.UnimplementedConnectorServiceServer
	mu      sync.Mutex
	batched int // FramesRequests that carried frames, which it cannot read
}

func (o *olderPlugin) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return &pb.DescribeResponse{Name: "older", Version: "0.1.0", ContractVersion: pluginapi.ContractVersion}, nil
}

func (o *olderPlugin) Open(context.Context, *pb.OpenRequest) (*pb.OpenResponse, error) {
	return &pb.OpenResponse{SessionId: 1}, nil
}

func (o *olderPlugin) Close(context.Context, *pb.CloseRequest) (*pb.CloseResponse, error) {
	return &pb.CloseResponse{}, nil
}

func (o *olderPlugin) Frames(st pb.ConnectorService_FramesServer) error {
	if _, err := st.Recv(); err != nil { // attach
		return err
	}
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(m.GetFrames()) > 0 {
			o.mu.Lock()
			o.batched++
			o.mu.Unlock()
		}
		if err := st.Send(&pb.FramesResponse{Frame: m.GetFrame()}); err != nil {
			return err
		}
	}
}

func (o *olderPlugin) Stop() {}

func numbered(i int) []byte { return fmt.Appendf(nil, "[%d]", i) }

// A host that reads batches still works with a plugin that does not: it
// sends it one frame per message, since the plugin never said it reads
// batches, and every frame, sent many at a time, comes back in order.
func TestOlderPluginGetsSingleFrames(t *testing.T) {
	old := &olderPlugin{}
	p := &Plugin{name: "older"}
	p.start = func(context.Context) (*instance, error) { return startInProcess(old, "older") }
	if _, err := p.launch(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := p.Connector(nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 500
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := c.Send(ctx, numbered(i)); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := range n {
		f, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if want := numbered(i); !bytes.Equal(f, want) {
			t.Fatalf("frame %d: got %q, want %q", i, f, want)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	old.mu.Lock()
	defer old.mu.Unlock()
	if old.batched != 0 {
		t.Fatalf("the older plugin got %d batches it cannot read", old.batched)
	}
}
