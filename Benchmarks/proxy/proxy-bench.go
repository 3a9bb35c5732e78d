// Command proxy-bench is the load side of `Scripts/bench proxy`: a local HTTPS endpoint, and a
// keep-alive HTTPS client that measures each request's latency, going direct or through an HTTP
// proxy (CONNECT). Standard library only: built with `go build` and no modules.
//
//	proxy-bench server -cert FILE -key FILE            serve on a free loopback port; prints "listening PORT"
//	proxy-bench load -url URL [-proxy URL] -cacert FILE[,FILE] [-connections N] [-duration S | -requests N]
//	                                                   prints one JSON line: requests, seconds, rps, p50/p99 (µs), errors,
//	                                                   all_requests (the warm-up's too)
//	                                                   (-requests: N requests on each connection, none as warm-up, for
//	                                                   instruction counts, as Scripts/profile-proxy takes them)
//	proxy-bench upload -url URL [-proxy URL] -cacert FILE[,FILE] -bytes N
//	                                                   one streamed PUT of N bytes; prints its JSON line
//	proxy-bench relay -cert FILE -key FILE -cacert FILE -upstream URL
//	                                                   a reference: the least an intercepting proxy does, in
//	                                                   Go's standard library: CONNECT answered, TLS terminated with
//	                                                   the given certificate, each request relayed to the upstream
//	                                                   over kept-alive TLS connections (httputil.ReverseProxy);
//	                                                   nothing decoded or recorded. Prints "listening PORT"
//
// Requests look like AWS calls (a SigV4 Authorization header with a fake key and signature, an SQS
// query form; an S3 PutObject for the upload), so that a recording proxy decodes them as it would
// real ones. The server does not check signatures.
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
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

const authorization = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/%s/aws4_request, " +
	"SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"

const queryBody = "Action=GetQueueUrl&QueueName=bench&Version=2012-11-05"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: proxy-bench server|load|upload|relay [options]")
		os.Exit(64)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = server(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	case "upload":
		err = upload(os.Args[2:])
	case "relay":
		err = relay(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy-bench:", err)
		os.Exit(1)
	}
}

func server(args []string) error {
	flags := flag.NewFlagSet("server", flag.ExitOnError)
	cert := flags.String("cert", "", "the server certificate (PEM)")
	key := flags.String("key", "", "its key (PEM)")
	flags.Parse(args)
	pair, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	reply := []byte("<GetQueueUrlResponse><GetQueueUrlResult><QueueUrl>https://localhost/123456789012/bench</QueueUrl>" +
		"</GetQueueUrlResult></GetQueueUrlResponse>")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(reply)
	})
	fmt.Printf("listening %d\n", listener.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	// HTTP/1.1 only: the proxies compared speak it to the upstream.
	srv := &http.Server{Handler: handler, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"http/1.1"}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	return srv.ServeTLS(listener, "", "")
}

// client is one keep-alive HTTP/1.1 connection's client, direct or through the proxy.
func client(proxy, cacerts string) (*http.Client, error) {
	pool := x509.NewCertPool()
	for _, file := range strings.Split(cacerts, ",") {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no certificate", file)
		}
	}
	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}},
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		DisableCompression:  true,
	}
	if proxy != "" {
		// Explicitly: Go's environment lookup never proxies localhost.
		proxyURL, err := url.Parse(proxy)
		if err != nil {
			return nil, err
		}
		transport.Proxy = http.ProxyURL(proxyURL)
	}
	return &http.Client{Transport: transport, Timeout: 60 * time.Second}, nil
}

func call(c *http.Client, target string) error {
	request, err := http.NewRequest("POST", target, strings.NewReader(queryBody))
	if err != nil {
		return err
	}
	request.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	request.Header.Set("X-Amz-Date", "20260101T000000Z")
	request.Header.Set("Authorization", fmt.Sprintf(authorization, "sqs"))
	response, err := c.Do(request)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, response.Body)
	response.Body.Close()
	if response.StatusCode != 200 {
		return fmt.Errorf("status %d", response.StatusCode)
	}
	return nil
}

func load(args []string) error {
	flags := flag.NewFlagSet("load", flag.ExitOnError)
	target := flags.String("url", "", "the endpoint")
	proxy := flags.String("proxy", "", "the proxy, or none for direct")
	cacerts := flags.String("cacert", "", "CA files to trust, comma-separated")
	connections := flags.Int("connections", 1, "keep-alive connections, each sending one request at a time")
	duration := flags.Float64("duration", 5, "seconds to measure, after a warm-up")
	count := flags.Int("requests", 0, "requests on each connection instead of a duration (no warm-up)")
	flags.Parse(args)
	var mu sync.Mutex
	var latencies []time.Duration
	errors := 0
	all := 0
	var lastError error
	var wait sync.WaitGroup
	start := time.Now()
	warm := start.Add(500 * time.Millisecond)
	end := warm.Add(time.Duration(*duration * float64(time.Second)))
	if *count > 0 {
		warm = start
		end = start.Add(24 * time.Hour)
	}
	for i := 0; i < *connections; i++ {
		c, err := client(*proxy, *cacerts)
		if err != nil {
			return err
		}
		wait.Add(1)
		go func() {
			defer wait.Done()
			var mine []time.Duration
			failed, succeeded := 0, 0
			var failure error
			for sent := 0; *count == 0 || sent < *count; sent++ {
				begin := time.Now()
				if begin.After(end) {
					break
				}
				err := call(c, *target)
				if err != nil {
					failed++
					failure = err
					continue
				}
				succeeded++
				if begin.After(warm) {
					mine = append(mine, time.Since(begin))
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errors += failed
			all += succeeded
			if failure != nil {
				lastError = failure
			}
			mu.Unlock()
		}()
	}
	wait.Wait()
	seconds := time.Since(warm).Seconds()
	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	percentile := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds())
	}
	result := map[string]interface{}{
		"requests": len(latencies), "seconds": seconds, "rps": float64(len(latencies)) / seconds,
		"p50_us": percentile(0.50), "p99_us": percentile(0.99), "errors": errors, "all_requests": all,
	}
	if lastError != nil {
		result["last_error"] = lastError.Error()
	}
	return json.NewEncoder(os.Stdout).Encode(result)
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0
	}
	return len(p), nil
}

func upload(args []string) error {
	flags := flag.NewFlagSet("upload", flag.ExitOnError)
	target := flags.String("url", "", "the object's URL")
	proxy := flags.String("proxy", "", "the proxy, or none for direct")
	cacerts := flags.String("cacert", "", "CA files to trust, comma-separated")
	size := flags.Int64("bytes", 1<<30, "the body's size")
	flags.Parse(args)
	c, err := client(*proxy, *cacerts)
	if err != nil {
		return err
	}
	request, err := http.NewRequest("PUT", *target, io.LimitReader(zeros{}, *size))
	if err != nil {
		return err
	}
	request.ContentLength = *size
	request.Header.Set("Content-Type", "application/octet-stream")
	request.Header.Set("X-Amz-Date", "20260101T000000Z")
	request.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	request.Header.Set("Authorization", fmt.Sprintf(authorization, "s3"))
	begin := time.Now()
	response, err := c.Do(request)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, response.Body)
	response.Body.Close()
	seconds := time.Since(begin).Seconds()
	return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"status": response.StatusCode, "seconds": seconds, "mib_per_s": float64(*size) / seconds / (1 << 20)})
}

func relay(args []string) error {
	flags := flag.NewFlagSet("relay", flag.ExitOnError)
	cert := flags.String("cert", "", "the certificate shown to clients (PEM)")
	key := flags.String("key", "", "its key (PEM)")
	cacert := flags.String("cacert", "", "the CA the upstream's certificate is verified against")
	upstream := flags.String("upstream", "", "the upstream's base URL")
	flags.Parse(args)
	pair, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(*cacert)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no certificate", *cacert)
	}
	target, err := url.Parse(*upstream)
	if err != nil {
		return err
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots, NextProtos: []string{"http/1.1"}},
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// Every decrypted connection is served by one HTTP server, through a listener fed by CONNECTs.
	decrypted := &connections{queue: make(chan net.Conn, 64)}
	go (&http.Server{Handler: proxy, TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}).Serve(decrypted)
	config := &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"http/1.1"}}
	fmt.Printf("listening %d\n", listener.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	for {
		conn, err := listener.Accept()
		if err != nil {
			return err
		}
		go func() {
			reader := bufio.NewReader(conn)
			request, err := http.ReadRequest(reader)
			if err != nil || request.Method != "CONNECT" {
				conn.Close()
				return
			}
			conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
			decrypted.queue <- tls.Server(&bufferedConn{Conn: conn, reader: reader}, config)
		}()
	}
}

// connections is a net.Listener whose connections come from a channel.
type connections struct{ queue chan net.Conn }

func (c *connections) Accept() (net.Conn, error) { return <-c.queue, nil }
func (c *connections) Close() error              { return nil }
func (c *connections) Addr() net.Addr            { return &net.TCPAddr{} }

// bufferedConn reads first what the CONNECT's reader had buffered.
type bufferedConn struct {
	net.Conn
	reader *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.reader.Read(p) }
