// Package logging builds the service's structured logger: log/slog records
// (JSON or text) written through a buffer that is flushed every interval,
// when it fills, and on Close. Buffering keeps the access log — one record
// per request — from costing a write system call per request.
package logging

import (
	"bufio"
	"io"
	"log/slog"
	"sync"
	"time"
)

// bufferSize is the buffer above which a write flushes at once.
const bufferSize = 64 << 10

// Writer is an io.Writer that buffers and flushes periodically. It is safe
// for concurrent use.
type Writer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewWriter returns a Writer on w that flushes at least every interval.
func NewWriter(w io.Writer, interval time.Duration) *Writer {
	bw := &Writer{buf: bufio.NewWriterSize(w, bufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go bw.loop(interval)
	return bw
}

func (w *Writer) loop(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.Flush()
		case <-w.stop:
			return
		}
	}
}

// Write buffers p (one log record: slog handlers write a record in one call).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Flush()
}

// Close stops the periodic flush and flushes what is left.
func (w *Writer) Close() error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	return w.Flush()
}

// New returns a slog logger writing format ("json" or "text") records to w.
func New(format string, w io.Writer) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
