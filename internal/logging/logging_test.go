package logging_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"hetang/internal/logging"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWriterFlushesPeriodicallyAndOnClose(t *testing.T) {
	var out syncBuf
	w := logging.NewWriter(&out, 20*time.Millisecond)
	log := logging.New("json", w)
	log.Info("request", "request_id", "abc")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "abc") {
		if time.Now().After(deadline) {
			t.Fatal("record not flushed within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out.String())), &rec); err != nil || rec["msg"] != "request" {
		t.Errorf("record %q: %v", out.String(), err)
	}

	// Many concurrent records, then Close: every record arrives whole.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 500 {
				log.Info("r", "g", i, "j", j)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 1+8*500)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("torn record %q", l)
		}
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestTextFormat(t *testing.T) {
	var out bytes.Buffer
	logging.New("text", &out).Info("hello", "k", "v")
	if !strings.Contains(out.String(), "msg=hello k=v") {
		t.Errorf("text record %q", out.String())
	}
}
