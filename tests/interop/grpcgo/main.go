// A second control plane for the agent, on grpc-go: the server library the production control
// plane is built on, independent of the .NET stack the dev control plane shares with the agent.
// It serves leoflow.agent.v1.AgentService with messages encoded by hand (protowire), checks the
// bearer token, answers as docs/protocol.md ("What the agent relies on from the control plane")
// describes, and writes what it saw to -record, one fact per line, for tests/interop/run.sh to
// check.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/encoding/protowire"
)

// raw carries a message's bytes unchanged: the handlers encode and decode them.
type raw struct{ b []byte }

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return v.(*raw).b, nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	v.(*raw).b = append([]byte(nil), data...)
	return nil
}
func (rawCodec) String() string { return "proto" }

type plane struct {
	token      string
	entrypoint string
	tls        bool
	mu         sync.Mutex
	record     *os.File
	lastLine   map[string]int64
	lines      map[string]int64
	done       chan struct{}
	finished   sync.Once
}

func (p *plane) note(format string, args ...interface{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.record, format+"\n", args...)
}

// wire records each call as its HEADERS frame arrives: the transport calls it in stream order,
// before the handlers, which run concurrently, so it is the order the agent opened its calls in.
func (p *plane) wire(ctx context.Context, info *tap.Info) (context.Context, error) {
	p.note("wire %s", info.FullMethodName[strings.LastIndex(info.FullMethodName, "/")+1:])
	return ctx, nil
}

func (p *plane) handle(_ interface{}, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	name := method[strings.LastIndex(method, "/")+1:]
	md, _ := metadata.FromIncomingContext(stream.Context())
	if auth := md.Get("authorization"); len(auth) == 0 || auth[0] != "Bearer "+p.token {
		p.note("unauthenticated %s", name)
		return status.Error(codes.Unauthenticated, "missing authorization token")
	}
	p.note("call %s", name)
	if name == "StreamLogs" {
		return p.streamLogs(stream)
	}
	if deadline, ok := stream.Context().Deadline(); ok {
		// grpc-timeout as grpc-go parsed it: the agent's 10 s per call.
		p.note("deadline %s %.0fs", name, time.Until(deadline).Seconds())
	}
	var in raw
	if err := stream.RecvMsg(&in); err != nil {
		return err
	}
	out, err := p.unary(name, in.b)
	if err != nil {
		return err
	}
	return stream.SendMsg(&raw{out})
}

func (p *plane) unary(name string, in []byte) ([]byte, error) {
	now := timestamp(time.Now())
	switch name {
	case "Register":
		return append(str(1, "grpc-go-session"), msg(2, now)...), nil
	case "GetTaskSpec":
		var b []byte
		b = append(b, str(1, "acme")...)
		b = append(b, str(2, "interop")...)
		b = append(b, str(4, "run-1")...)
		b = append(b, str(5, "task-1")...)
		b = append(b, varint(6, 1)...)
		b = append(b, str(7, "bash")...)
		b = append(b, str(8, p.entrypoint)...)
		b = append(b, msg(9, append(str(1, "GREETING"), str(2, "hi from grpc-go")...))...)
		b = append(b, msg(10, append(str(1, "numbers"), str(2, "extract")...))...)
		b = append(b, varint(11, 600)...)
		b = append(b, msg(12, nil)...) // extra: an empty Struct, never read by the agent
		return b, nil
	case "FetchXCom":
		upstream, key := field(in, 1), field(in, 2)
		p.note("fetch %s %s", upstream, key)
		if upstream != "extract" {
			return nil, status.Error(codes.NotFound, "no such xcom")
		}
		return append(append(bytesField(1, []byte("[1, 2, 3]")), str(2, "application/json")...), msg(4, now)...), nil
	case "PushXCom":
		p.note("xcom %s %s %s", field(in, 1), field(in, 3), field(in, 2))
		return append(varint(1, 1), varint(3, 604800)...), nil
	case "GetVariables", "GetConnections":
		if !p.tls {
			return nil, status.Error(codes.PermissionDenied, "refusing to send secrets over an insecure channel")
		}
		key := map[string]string{"GetVariables": "region", "GetConnections": "warehouse"}[name]
		value := map[string]string{"GetVariables": "eu-west-1", "GetConnections": "postgres://u:p@db:5432/w"}[name]
		return msg(1, append(str(1, key), str(2, value)...)), nil
	case "ReportState":
		state, exit := varintField(in, 1), varintField(in, 2)
		names := map[uint64]string{1: "RUNNING", 2: "SUCCESS", 3: "FAILED", 4: "SKIPPED"}
		s, ok := names[state]
		if !ok {
			return nil, status.Error(codes.InvalidArgument, "unknown state")
		}
		p.note("state %s %d %q", s, int32(exit), field(in, 3))
		if s != "RUNNING" {
			p.finished.Do(func() { close(p.done) })
		}
		return varint(1, 1), nil
	case "Heartbeat":
		return msg(2, now), nil
	}
	return nil, status.Errorf(codes.Unimplemented, "unknown method %s", name)
}

// streamLogs reads lines until the agent half-closes, checking each stream's numbering.
func (p *plane) streamLogs(stream grpc.ServerStream) error {
	for {
		var in raw
		err := stream.RecvMsg(&in)
		if errors.Is(err, io.EOF) {
			p.mu.Lock()
			for s, n := range p.lines {
				fmt.Fprintf(p.record, "log-count %s %d\n", s, n)
			}
			p.mu.Unlock()
			return nil
		}
		if err != nil {
			p.note("log-error %v", err)
			return err
		}
		s, number, message := field(in.b, 4), int64(varintField(in.b, 5)), field(in.b, 3)
		p.mu.Lock()
		p.lines[s]++
		if s != "agent" {
			if number != p.lastLine[s]+1 {
				fmt.Fprintf(p.record, "log-gap %s after %d got %d\n", s, p.lastLine[s], number)
			}
			p.lastLine[s] = number
		}
		if p.lines[s] <= 5 || s == "agent" {
			fmt.Fprintf(p.record, "log %s %d %s\n", s, number, message)
		}
		p.mu.Unlock()
	}
}

func str(n protowire.Number, s string) []byte {
	if s == "" {
		return nil
	}
	return bytesField(n, []byte(s))
}

func bytesField(n protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, n, protowire.BytesType), b)
}

func msg(n protowire.Number, b []byte) []byte { return bytesField(n, b) }

func varint(n protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.VarintType), v)
}

func timestamp(t time.Time) []byte {
	return append(varint(1, uint64(t.Unix())), varint(2, uint64(t.Nanosecond()))...)
}

// field returns the last length-delimited value of field n as text ("" when absent).
func field(b []byte, n protowire.Number) string {
	value := ""
	walk(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) {
		if num == n && typ == protowire.BytesType {
			value = string(v)
		}
	})
	return value
}

func varintField(b []byte, n protowire.Number) uint64 {
	var value uint64
	walk(b, func(num protowire.Number, typ protowire.Type, _ []byte, v uint64) {
		if num == n && typ == protowire.VarintType {
			value = v
		}
	})
	return value
}

func walk(b []byte, visit func(protowire.Number, protowire.Type, []byte, uint64)) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			log.Fatalf("malformed message: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				log.Fatalf("malformed varint: %v", protowire.ParseError(m))
			}
			visit(num, typ, nil, v)
			b = b[m:]
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				log.Fatalf("malformed bytes: %v", protowire.ParseError(m))
			}
			visit(num, typ, v, 0)
			b = b[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				log.Fatalf("malformed field: %v", protowire.ParseError(m))
			}
			b = b[m:]
		}
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	token := flag.String("token", "interop-token", "bearer token the agent must send")
	entrypoint := flag.String("entrypoint", "echo hello", "the task's bash command")
	record := flag.String("record", "", "file the plane writes what it saw to")
	portFile := flag.String("port-file", "", "file the plane writes its port to once listening")
	cert := flag.String("tls-cert", "", "server certificate (PEM); with -tls-key, serve TLS")
	key := flag.String("tls-key", "", "server key (PEM)")
	flag.Parse()

	out, err := os.Create(*record)
	if err != nil {
		log.Fatal(err)
	}
	p := &plane{token: *token, entrypoint: *entrypoint, record: out, lastLine: map[string]int64{}, lines: map[string]int64{}, done: make(chan struct{})}
	options := []grpc.ServerOption{grpc.CustomCodec(rawCodec{}), grpc.UnknownServiceHandler(p.handle), grpc.InTapHandle(p.wire)}
	if *cert != "" {
		creds, err := credentials.NewServerTLSFromFile(*cert, *key)
		if err != nil {
			log.Fatal(err)
		}
		options = append(options, grpc.Creds(creds))
		p.tls = true
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	server := grpc.NewServer(options...)
	if err := os.WriteFile(*portFile, []byte(fmt.Sprint(lis.Addr().(*net.TCPAddr).Port)), 0o644); err != nil {
		log.Fatal(err)
	}
	go func() {
		// SIGTERM: a rolling restart. GOAWAY first and a moment for the calls in flight, then the
		// connections are closed (the log stream never ends on its own).
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM)
		<-stop
		p.note("stopping")
		graceful := make(chan struct{})
		go func() { server.GracefulStop(); close(graceful) }()
		select {
		case <-graceful:
		case <-time.After(time.Second):
			server.Stop()
		}
	}()
	go func() {
		<-p.done
		// The agent reports the end after closing the log: a moment for its last calls, then stop.
		time.Sleep(500 * time.Millisecond)
		server.GracefulStop()
	}()
	if err := server.Serve(lis); err != nil {
		log.Fatal(err)
	}
	out.Close()
}
