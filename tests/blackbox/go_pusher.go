// go_pusher.go - a client_golang push client for t_go_client.sh.
//
// Built offline in GOPATH mode against Debian's golang-github-prometheus-client-golang-dev.
//
// Usage:
//
//	go_pusher URL push|add|delete  push a counter, a gauge vector, a classic histogram, a
//	                               summary and a native histogram (push = PUT), one extra
//	                               gauge (add = POST), or delete the group; the grouping key
//	                               is job="gojob", instance="a/b" (base64 in the URL).
//	go_pusher URL scrape           GET URL/metrics negotiating delimited protobuf and write
//	                               the decoded families back as text format 0.0.4 on stdout.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go_pusher: "+format+"\n", args...)
	os.Exit(1)
}

// collectors returns the full set of pushed collectors.
func collectors() []prometheus.Collector {
	counter := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gc_counter_total", Help: "A counter.",
	})
	counter.Add(3)
	gauge := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gc_gauge", Help: "A gauge.",
	}, []string{"color"})
	gauge.WithLabelValues("red").Set(1.5)
	gauge.WithLabelValues("blue").Set(-2)
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "gc_histogram", Help: "A histogram.", Buckets: []float64{0.5, 1, 5},
	})
	for _, v := range []float64{0.1, 0.7, 3, 10} {
		hist.Observe(v)
	}
	summary := prometheus.NewSummary(prometheus.SummaryOpts{
		Name: "gc_summary", Help: "A summary.",
		Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01},
	})
	for _, v := range []float64{1, 2, 3, 4} {
		summary.Observe(v)
	}
	native := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "gc_native", Help: "A native histogram.",
		NativeHistogramBucketFactor:  2,
		NativeHistogramZeroThreshold: 0.001,
	})
	for _, v := range []float64{-3, 0, 0.0001, 1.5, 1.5, 6} {
		native.Observe(v)
	}
	return []prometheus.Collector{counter, gauge, hist, summary, native}
}

func scrape(url string) {
	req, err := http.NewRequest("GET", url+"/metrics", nil)
	if err != nil {
		fail("%v", err)
	}
	req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("%v", err)
	}
	defer resp.Body.Close()
	fmt.Fprintf(os.Stderr, "Content-Type: %s\n", resp.Header.Get("Content-Type"))
	format := expfmt.ResponseFormat(resp.Header)
	if format != expfmt.FmtProtoDelim {
		fail("scrape negotiated %q, want delimited protobuf", format)
	}
	dec := expfmt.NewDecoder(resp.Body, format)
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			if err.Error() == "EOF" {
				return
			}
			fail("decoding the protobuf scrape: %v", err)
		}
		if _, err := expfmt.MetricFamilyToText(os.Stdout, &mf); err != nil {
			fail("%v", err)
		}
	}
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: go_pusher URL push|add|delete|scrape")
	}
	url, mode := os.Args[1], os.Args[2]
	if mode == "scrape" {
		scrape(url)
		return
	}
	p := push.New(url, "gojob").Grouping("instance", "a/b")
	var err error
	switch mode {
	case "push":
		for _, c := range collectors() {
			p = p.Collector(c)
		}
		err = p.Push()
	case "add":
		added := prometheus.NewGauge(prometheus.GaugeOpts{Name: "gc_added", Help: "Added by POST."})
		added.Set(42)
		err = p.Collector(added).Add()
	case "delete":
		err = p.Delete()
	default:
		fail("unknown mode %q", mode)
	}
	if err != nil {
		fail("%s: %v", mode, err)
	}
}
