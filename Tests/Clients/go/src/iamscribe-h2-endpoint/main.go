// iamscribe-h2-endpoint: the HTTP/2 parts of the proxy's tests, in Go's standard library only
// (built in GOPATH mode with Debian's golang-go: no module downloads).
//
//	server -cert FILE -key FILE [-h1] [-goaway-after N]
//	    A TLS endpoint on a free loopback port (it prints "port N"). It speaks HTTP/2 when the
//	    client offers h2 (net/http's default), HTTP/1.1 only with -h1. Every answer names what
//	    it saw: the protocol (r.Proto), the client's address (one port per upstream
//	    connection), which connection the endpoint accepted it on (1, 2, ... in the order it
//	    accepted them) and which request of that connection it was, the content length and
//	    transfer encoding, and the bytes received. With -goaway-after N, the Nth request of each
//	    connection ends it gracefully: its answer's head carries "Connection: close", on which
//	    Go's HTTP/2 server sends GOAWAY for that connection alone (its open streams finish, new
//	    ones are ignored, and it closes once they are done), and the rest of the answer follows
//	    200 ms later, so that the GOAWAY reaches the client before the answer ends. A path
//	    ending in /until-next answers a first line (after the pause when it is the Nth request)
//	    and ends its answer only once a later request came, on any connection (or
//	    after 10 s, saying so): a stream that stays open across a GOAWAY. A path
//	    ending in /invoke-with-bidirectional-stream echoes the body chunk by chunk as it comes
//	    (full duplex): the answer's head goes out before the request's body is read. A path
//	    ending in /reset is answered with a stream reset; one ending in /hang is not answered;
//	    one ending in /partial is answered with a line and then nothing more; /bytes/N answers
//	    with N zero bytes.
//	duplex -proxy URL -ca FILE -url URL [-chunks N]
//	    An HTTP/2 client (through the proxy) whose request body is a pipe: it writes one chunk,
//	    waits for its echo, writes the next; the request ends only after every echo came back.
//	    Without a full-duplex path this never finishes.
//	early -proxy URL -ca FILE -url URL [-chunks N]
//	    An HTTP/2 client that reads the whole answer after its first body chunk, then sends N
//	    more chunks and ends its request: for an endpoint that answers before the request ends
//	    (Go's transport goes on sending after a 2xx answer: full duplex).
//	upload -proxy URL -ca FILE -url URL -size N [-pause MS]
//	    An HTTP/2 PUT whose body is a pipe (no content-length) of N bytes, with a pause after
//	    the first 64 KiB when asked.
//	overlap -proxy URL -ca FILE -first URL -second URL
//	    Two GETs over one HTTP/2 connection: the first's answer head and first line, then the
//	    whole second, then the rest of the first; prints what each answered as JSON. With a
//	    first URL ending in /until-next, the second starts while the first is still open.
//
// Requests carry a SigV4-shaped Authorization header with a fake signature: the proxy reads
// the credential scope to tell the service; the endpoint checks nothing.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: iamscribe-h2-endpoint server|duplex|upload ...")
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2:])
	case "duplex":
		duplex(os.Args[2:])
	case "upload":
		upload(os.Args[2:])
	case "early":
		early(os.Args[2:])
	case "overlap":
		overlap(os.Args[2:])
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "iamscribe-h2-endpoint: "+message)
	os.Exit(1)
}

// What the endpoint saw of one request.
type seen struct {
	Proto            string   `json:"proto"`
	Remote           string   `json:"remote"`
	Method           string   `json:"method"`
	Path             string   `json:"path"`
	Host             string   `json:"host"`
	ContentLength    int64    `json:"contentLength"`
	TransferEncoding []string `json:"transferEncoding"`
	Received         int64    `json:"received"`
	Connection       int64    `json:"connection"`
	Request          int64    `json:"request"`
}

// One connection the endpoint accepted: its ordinal and how many requests it has had.
type connection struct {
	ordinal  int64
	requests int64
}

type connectionKey struct{}

func server(arguments []string) {
	flags := flag.NewFlagSet("server", flag.ExitOnError)
	certificate := flags.String("cert", "", "PEM certificate")
	key := flags.String("key", "", "PEM key")
	h1 := flags.Bool("h1", false, "HTTP/1.1 only")
	goAwayAfter := flags.Int64("goaway-after", 0, "end each connection gracefully (GOAWAY) on its Nth request")
	flags.Parse(arguments)
	var accepted, requests int64
	// Closed and replaced on every request: what /until-next waits on.
	var mutex sync.Mutex
	next := make(chan struct{})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("port %d\n", listener.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ordinal, request int64
		if state, ok := r.Context().Value(connectionKey{}).(*connection); ok {
			ordinal = state.ordinal
			request = atomic.AddInt64(&state.requests, 1)
		}
		atomic.AddInt64(&requests, 1)
		mutex.Lock()
		close(next)
		next = make(chan struct{})
		waitNext := next
		mutex.Unlock()
		goingAway := *goAwayAfter > 0 && request%*goAwayAfter == 0
		if goingAway {
			// On an HTTP/2 connection, Go's server takes this header out and shuts the
			// connection down gracefully: GOAWAY, sent once the head is written.
			w.Header().Set("connection", "close")
		}
		if strings.HasSuffix(r.URL.Path, "/until-next") {
			w.Header().Set("content-type", "text/plain")
			w.WriteHeader(200)
			if goingAway {
				w.(http.Flusher).Flush()
				time.Sleep(200 * time.Millisecond)
			}
			fmt.Fprintf(w, "first connection %d request %d\n", ordinal, request)
			w.(http.Flusher).Flush()
			select {
			case <-waitNext:
				fmt.Fprintf(w, "rest connection %d request %d\n", ordinal, request)
			case <-time.After(10 * time.Second):
				fmt.Fprintln(w, "no later request came in 10 s")
			case <-r.Context().Done():
			}
			return
		}
		if strings.HasSuffix(r.URL.Path, "/reset") {
			// Resets the stream (HTTP/2 RST_STREAM) or closes the connection (HTTP/1.1) unanswered.
			panic(http.ErrAbortHandler)
		}
		if strings.HasSuffix(r.URL.Path, "/hang") {
			// Answers nothing until the client goes (or the endpoint is killed).
			select {
			case <-r.Context().Done():
			case <-time.After(60 * time.Second):
			}
			return
		}
		if strings.HasPrefix(r.URL.Path, "/bytes/") {
			// N zero bytes, written 64 KiB at a time as the client takes them.
			size, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bytes/"))
			w.Header().Set("content-length", strconv.Itoa(size))
			piece := make([]byte, 64*1024)
			for left := size; left > 0; left -= len(piece) {
				if left < len(piece) {
					piece = piece[:left]
				}
				if _, err := w.Write(piece); err != nil {
					return
				}
			}
			return
		}
		if strings.HasSuffix(r.URL.Path, "/partial") {
			// Begins its answer, then sends nothing more until the client goes.
			w.WriteHeader(200)
			fmt.Fprintln(w, "partial")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(60 * time.Second):
			}
			return
		}
		if strings.HasSuffix(r.URL.Path, "/invoke-with-bidirectional-stream") {
			echo(w, r)
			return
		}
		received, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("content-type", "application/json")
		if goingAway {
			// The head (and with it the GOAWAY) goes first; the answer ends only once both
			// must have reached the client.
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			time.Sleep(200 * time.Millisecond)
		}
		json.NewEncoder(w).Encode(seen{r.Proto, r.RemoteAddr, r.Method, r.URL.Path, r.Host, r.ContentLength,
			r.TransferEncoding, received, ordinal, request})
	})
	httpServer := &http.Server{Handler: handler, ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, connectionKey{}, &connection{ordinal: atomic.AddInt64(&accepted, 1)})
	}}
	if *h1 {
		httpServer.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	if err := httpServer.ServeTLS(listener, *certificate, *key); err != nil {
		fail(err.Error())
	}
}

// echo answers at once with a line naming the protocol, then each line of the body as it comes.
func echo(w http.ResponseWriter, r *http.Request) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("content-type", "application/octet-stream")
	w.WriteHeader(200)
	fmt.Fprintf(w, "proto %s remote %s\n", r.Proto, r.RemoteAddr)
	if flusher != nil {
		flusher.Flush()
	}
	lines := bufio.NewReader(r.Body)
	for {
		line, err := lines.ReadString('\n')
		if line != "" {
			fmt.Fprintf(w, "echo %s", line)
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

func client(proxy, ca string) *http.Client {
	pem, err := os.ReadFile(ca)
	if err != nil {
		fail(err.Error())
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail("no certificate in " + ca)
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}
	if proxy != "" {
		proxyURL, err := url.Parse(proxy)
		if err != nil {
			fail(err.Error())
		}
		transport.Proxy = http.ProxyURL(proxyURL)
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: transport}
}

func sign(request *http.Request, service string) {
	date := time.Now().UTC().Format("20060102")
	request.Header.Set("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"+date+"/us-east-1/"+service+
		"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000")
	request.Header.Set("x-amz-date", time.Now().UTC().Format("20060102T150405Z"))
}

func duplex(arguments []string) {
	flags := flag.NewFlagSet("duplex", flag.ExitOnError)
	proxy := flags.String("proxy", "", "proxy URL")
	ca := flags.String("ca", "", "CA bundle")
	target := flags.String("url", "", "URL")
	chunks := flags.Int("chunks", 5, "chunks to send")
	flags.Parse(arguments)
	reader, writer := io.Pipe()
	request, err := http.NewRequest("POST", *target, reader)
	if err != nil {
		fail(err.Error())
	}
	request.Header.Set("content-type", "application/vnd.amazon.eventstream")
	sign(request, "bedrock")
	// The first chunk goes before the answer is awaited: a proxy that waits for the request to
	// end before it answers would hold the head back for ever.
	go writer.Write([]byte("chunk 0\n"))
	response, err := client(*proxy, *ca).Do(request)
	if err != nil {
		fail(err.Error())
	}
	defer response.Body.Close()
	lines := bufio.NewReader(response.Body)
	first, err := lines.ReadString('\n')
	if err != nil {
		fail("no first line: " + err.Error())
	}
	result := map[string]interface{}{"clientProto": response.Proto, "status": response.StatusCode, "first": strings.TrimSpace(first)}
	echoed := []string{}
	for index := 0; index < *chunks; index++ {
		if index > 0 {
			if _, err := writer.Write([]byte(fmt.Sprintf("chunk %d\n", index))); err != nil {
				fail(err.Error())
			}
		}
		line, err := lines.ReadString('\n')
		if err != nil {
			fail(fmt.Sprintf("no echo of chunk %d: %v", index, err))
		}
		echoed = append(echoed, strings.TrimSpace(line))
	}
	// Every echo came back while the request was still open: only now does it end.
	result["echoedBeforeRequestEnded"] = echoed
	writer.Close()
	rest, _ := io.ReadAll(lines)
	result["after"] = string(rest)
	json.NewEncoder(os.Stdout).Encode(result)
}

func upload(arguments []string) {
	flags := flag.NewFlagSet("upload", flag.ExitOnError)
	proxy := flags.String("proxy", "", "proxy URL")
	ca := flags.String("ca", "", "CA bundle")
	target := flags.String("url", "", "URL")
	size := flags.Int("size", 0, "bytes to send")
	pause := flags.Int("pause", 0, "milliseconds to wait after the first 64 KiB")
	flags.Parse(arguments)
	reader, writer := io.Pipe()
	go func() {
		piece := make([]byte, 64*1024)
		for left := *size; left > 0; {
			if left < *size && *pause > 0 {
				time.Sleep(time.Duration(*pause) * time.Millisecond)
				*pause = 0
			}
			n := len(piece)
			if left < n {
				n = left
			}
			if _, err := writer.Write(piece[:n]); err != nil {
				return
			}
			left -= n
		}
		writer.Close()
	}()
	request, err := http.NewRequest("PUT", *target, reader)
	if err != nil {
		fail(err.Error())
	}
	sign(request, "s3")
	request.Header.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
	response, err := client(*proxy, *ca).Do(request)
	if err != nil {
		fail(err.Error())
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	fmt.Printf("%s %d %s", response.Proto, response.StatusCode, body)
}

func early(arguments []string) {
	flags := flag.NewFlagSet("early", flag.ExitOnError)
	proxy := flags.String("proxy", "", "proxy URL")
	ca := flags.String("ca", "", "CA bundle")
	target := flags.String("url", "", "URL")
	chunks := flags.Int("chunks", 3, "chunks to send after the answer")
	flags.Parse(arguments)
	reader, writer := io.Pipe()
	request, err := http.NewRequest("POST", *target, reader)
	if err != nil {
		fail(err.Error())
	}
	sign(request, "bedrock")
	go writer.Write([]byte("chunk 0\n"))
	response, err := client(*proxy, *ca).Do(request)
	if err != nil {
		fail(err.Error())
	}
	body, err := io.ReadAll(response.Body)
	if err != nil {
		fail("the answer did not end cleanly: " + err.Error())
	}
	for index := 1; index <= *chunks; index++ {
		if _, err := writer.Write([]byte(fmt.Sprintf("after %d\n", index))); err != nil {
			fail(fmt.Sprintf("chunk %d after the answer: %v", index, err))
		}
	}
	writer.Close()
	// Lets the transport send the end of the request before the process exits.
	time.Sleep(time.Second)
	json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"clientProto": response.Proto, "status": response.StatusCode,
		"body": string(body)})
}

func overlap(arguments []string) {
	flags := flag.NewFlagSet("overlap", flag.ExitOnError)
	proxy := flags.String("proxy", "", "proxy URL")
	ca := flags.String("ca", "", "CA bundle")
	first := flags.String("first", "", "URL of the first request")
	second := flags.String("second", "", "URL of the second request")
	flags.Parse(arguments)
	httpClient := client(*proxy, *ca)
	get := func(target string) *http.Response {
		request, err := http.NewRequest("GET", target, nil)
		if err != nil {
			fail(err.Error())
		}
		sign(request, "s3")
		response, err := httpClient.Do(request)
		if err != nil {
			fail(err.Error())
		}
		return response
	}
	opened := get(*first)
	defer opened.Body.Close()
	lines := bufio.NewReader(opened.Body)
	head, err := lines.ReadString('\n')
	if err != nil {
		fail("no first line of the first answer: " + err.Error())
	}
	later := get(*second)
	secondBody, err := io.ReadAll(later.Body)
	later.Body.Close()
	if err != nil {
		fail("the second answer did not end cleanly: " + err.Error())
	}
	rest, err := io.ReadAll(lines)
	if err != nil {
		fail("the first answer did not end cleanly: " + err.Error())
	}
	json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"firstProto": opened.Proto, "firstStatus": opened.StatusCode, "firstHead": head, "firstRest": string(rest),
		"secondProto": later.Proto, "secondStatus": later.StatusCode, "second": string(secondBody)})
}
