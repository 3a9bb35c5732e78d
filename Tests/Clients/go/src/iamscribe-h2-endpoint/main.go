// iamscribe-h2-endpoint: the HTTP/2 parts of the proxy's tests, in Go's standard library only
// (built in GOPATH mode with Debian's golang-go: no module downloads).
//
//	server -cert FILE -key FILE [-h1]
//	    A TLS endpoint on a free loopback port (it prints "port N"). It speaks HTTP/2 when the
//	    client offers h2 (net/http's default), HTTP/1.1 only with -h1. Every answer names what
//	    it saw: the protocol (r.Proto), the client's address (one port per upstream
//	    connection), the content length and transfer encoding, and the bytes received. A path
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
//
// Requests carry a SigV4-shaped Authorization header with a fake signature: the proxy reads
// the credential scope to tell the service; the endpoint checks nothing.
package main

import (
	"bufio"
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
}

func server(arguments []string) {
	flags := flag.NewFlagSet("server", flag.ExitOnError)
	certificate := flags.String("cert", "", "PEM certificate")
	key := flags.String("key", "", "PEM key")
	h1 := flags.Bool("h1", false, "HTTP/1.1 only")
	flags.Parse(arguments)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("port %d\n", listener.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		json.NewEncoder(w).Encode(seen{r.Proto, r.RemoteAddr, r.Method, r.URL.Path, r.Host, r.ContentLength,
			r.TransferEncoding, received})
	})
	httpServer := &http.Server{Handler: handler}
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
