package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/boltstore"
)

// blobContent is the content of version v of blob id: sizes up to 600 KiB,
// so that a backup streams for a while.
func blobContent(id string, v int) []byte {
	r := rand.New(rand.NewPCG(uint64(len(id))<<32|uint64(id[len(id)-1]), uint64(v)))
	b := make([]byte, 1+r.IntN(600<<10))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, fmt.Sprintf("%s v%d|", id, v))
	return b
}

// blobOp is one acknowledged write of a blob: version v (0: a deletion),
// sent at start and acknowledged at ack.
type blobOp struct {
	v          int
	start, ack time.Time
}

// history is what the writers had acknowledged, and when.
type history struct {
	mu      sync.Mutex
	records map[string]time.Time // id → acknowledged
	blobs   map[string][]blobOp  // id → ops in order (one writer per id)
}

// writers writes records, uploads and replaces blobs and deletes them
// until stop is closed.
func writers(t *testing.T, c *child, h *history, stop chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // records
		defer wg.Done()
		for b := 0; ; b++ {
			select {
			case <-stop:
				return
			default:
			}
			var recs []api.Record
			var ids []string
			for i := range 50 {
				id := fmt.Sprintf("r%05d-%02d", b, i)
				ids = append(ids, id)
				recs = append(recs, api.Record{ID: id, Fields: map[string]json.RawMessage{
					"body": json.RawMessage(`"body of ` + id + `"`), "n": json.RawMessage(fmt.Sprint(i))}})
			}
			st, body, err := c.do("POST", "/api/v1/spaces/s/collections/items/records", map[string]any{"records": recs})
			var res service.UpsertResult
			if err != nil || st != 200 || json.Unmarshal(body, &res) != nil || res.Inserted != len(recs) {
				t.Errorf("batch: %d %s %v", st, body, err)
				return
			}
			now := time.Now()
			h.mu.Lock()
			for _, id := range ids {
				h.records[id] = now
			}
			h.mu.Unlock()
		}
	}()
	for w := range 2 { // blobs: writer w owns the ids f<w>-*
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			version := map[string]int{}
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("f%d-%d", w, r.IntN(12))
				op := blobOp{start: time.Now()}
				var st int
				var body []byte
				var err error
				if version[id] > 0 && r.IntN(4) == 0 {
					st, body, err = c.do("DELETE", "/api/v1/spaces/s/blobs/"+id, nil)
					if st == 204 {
						version[id] = 0
					}
				} else {
					op.v = 1 + len(h.ops(id))
					q := url.Values{"collection": {"items"}, "record": {"r00000-00"}}
					st, body, err = c.do("PUT", "/api/v1/spaces/s/blobs/"+id+"?"+q.Encode(), bytes.NewReader(blobContent(id, op.v)))
					if st == 201 {
						version[id] = op.v
					}
				}
				if err != nil || (st != 201 && st != 204) {
					t.Errorf("blob %s: %d %s %v", id, st, body, err)
					return
				}
				op.ack = time.Now()
				h.mu.Lock()
				h.blobs[id] = append(h.blobs[id], op)
				h.mu.Unlock()
			}
		}()
	}
	return &wg
}

// liveBlobs counts the blobs whose last op is an upload.
func (h *history) liveBlobs() int {
	n := 0
	for _, ops := range h.blobs {
		if ops[len(ops)-1].v > 0 {
			n++
		}
	}
	return n
}

func (h *history) ops(id string) []blobOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.blobs[id]
}

// check compares the server c (restored from a backup taken between from
// and to) with the history: every record acknowledged before from is
// served; every blob is in a state it had between from and to, byte for
// byte (the one acknowledged last before from, or one whose write began
// before to). With from == to == the zero time, the final state exactly.
func (h *history) check(t *testing.T, c *child, from, to time.Time) (records, blobs int) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	served := map[string]bool{}
	cursor := ""
	for {
		st, body, err := c.do("GET", "/api/v1/spaces/s/collections/items/records?limit=1000&cursor="+url.QueryEscape(cursor), nil)
		if err != nil || st != 200 {
			t.Fatalf("query: %d %s %v", st, body, err)
		}
		var page struct {
			Items []struct {
				ID     string                     `json:"id"`
				Fields map[string]json.RawMessage `json:"fields"`
			} `json:"records"`
			Next string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			if string(r.Fields["body"]) != `"body of `+r.ID+`"` {
				t.Fatalf("record %s: %s", r.ID, r.Fields["body"])
			}
			served[r.ID] = true
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	for id, ack := range h.records {
		if (from.IsZero() || ack.Before(from)) && !served[id] {
			t.Fatalf("record %s acknowledged %v before the backup (at %v) is not served after the restore (%d served)", id, from.Sub(ack), from, len(served))
		}
	}
	for id, ops := range h.blobs {
		// The versions the backup may hold: the state after the last op
		// acknowledged before from, and after any op begun before to.
		allowed := map[int]bool{}
		last := 0
		for _, op := range ops {
			if from.IsZero() || op.ack.Before(from) {
				last = op.v
			} else if op.start.Before(to) {
				allowed[op.v] = true
			}
		}
		allowed[last] = true
		st, body, err := c.do("GET", "/api/v1/spaces/s/blobs/"+id, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := -1
		switch st {
		case 404:
			got = 0
		case 200:
			blobs++
			if i := bytes.IndexByte(body, '|'); i > 0 {
				fmt.Sscanf(string(body[:i]), id+" v%d", &got)
			}
			if got <= 0 || !bytes.Equal(body, blobContent(id, got)) {
				t.Fatalf("blob %s: %d bytes, not a version written", id, len(body))
			}
		default:
			t.Fatalf("blob %s: %d %s", id, st, body)
		}
		if !allowed[got] {
			t.Fatalf("blob %s: version %d (0: absent) restored, want one of %v (last acknowledged before the backup: %d)", id, got, allowed, last)
		}
	}
	return len(served), blobs
}

func run1(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestBackupRestore: backups of a live server under concurrent writes
// (records, blob uploads, replacements and deletions) restore into a
// server that serves every record acknowledged before the backup and every
// blob byte for byte; a backup of a stopped server's directory restores
// its exact state; damaged archives and non-empty targets are refused and
// leave nothing behind; an old database-only backup is refused with a
// clear message when it references blobs.
func TestBackupRestore(t *testing.T) {
	data := t.TempDir()
	c := start(t, data, "ZKVAULT_RATE_LIMIT=0", "ZKVAULT_CREDENTIAL_RATE_LIMIT=0")
	if st, b, err := c.do("POST", "/api/v1/spaces", api.Space{ID: "s", Kind: api.KindVault, Schemas: []api.Schema{schema}}); err != nil || st != 201 {
		t.Fatalf("create space: %d %s %v", st, b, err)
	}
	h := &history{records: map[string]time.Time{}, blobs: map[string][]blobOp{}}
	stop := make(chan struct{})
	wg := writers(t, c, h, stop)
	backups := t.TempDir()
	type taken struct {
		file     string
		from, to time.Time
	}
	var live []taken
	for i := range 3 {
		time.Sleep(300 * time.Millisecond)
		file := filepath.Join(backups, fmt.Sprintf("live%d.tar", i))
		from := time.Now()
		out, err := run1(t, "backup", "--addr", c.addr, "--data", data, file)
		to := time.Now()
		if err != nil || !strings.Contains(out, "/api/v1/backup") || !strings.Contains(out, "verified") {
			t.Fatalf("backup of a live server: %v\n%s", err, out)
		}
		live = append(live, taken{file, from, to})
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	<-c.done

	restoreAndCheck := func(file string, from, to time.Time) {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "restored")
		var out []byte
		var err error
		if strings.HasPrefix(file, "<") {
			// "<FILE": the archive on stdin, named "-".
			in, oerr := os.Open(file[1:])
			if oerr != nil {
				t.Fatal(oerr)
			}
			cmd := exec.Command(binary(t), "restore", "--data", dir, "-")
			cmd.Stdin = in
			out, err = cmd.CombinedOutput()
			in.Close()
			if err == nil && !strings.Contains(string(out), "restored stdin into") {
				t.Fatalf("restore from stdin: %s", out)
			}
		} else {
			out, err = exec.Command(binary(t), "restore", file, "--data", dir).CombinedOutput() // flags after the file, too
		}
		if err != nil || !strings.Contains(string(out), "restored") {
			t.Fatalf("restore %s: %v\n%s", file, err, out)
		}
		rc := start(t, dir)
		n, b := h.check(t, rc, from, to)
		t.Logf("%s: %d records and %d blobs served after the restore (%s)", filepath.Base(file), n, b, strings.TrimSpace(string(out)))
		rc.cmd.Process.Signal(syscall.SIGTERM)
		<-rc.done
	}
	for _, b := range live {
		n := 0
		for _, ops := range h.blobs {
			for _, op := range ops {
				if op.start.Before(b.to) && op.ack.After(b.from) {
					n++
				}
			}
		}
		t.Logf("%s: %d blob writes and deletions overlapped the backup", filepath.Base(b.file), n)
		restoreAndCheck(b.file, b.from, b.to)
	}
	// The removals the backups held were done: the live directory holds
	// one file per blob, and no snapshot.
	if m, _ := filepath.Glob(filepath.Join(data, ".backup-*")); len(m) > 0 {
		t.Fatalf("snapshots left behind: %v", m)
	}
	files := 0
	filepath.WalkDir(filepath.Join(data, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})

	// No server: the backup reads the data directory, and restores the
	// final state exactly.
	stopped := filepath.Join(backups, "stopped.tar")
	if out, err := run1(t, "backup", "--addr", c.addr, "--data", data, stopped); err != nil || !strings.Contains(out, data) {
		t.Fatalf("backup of a stopped server: %v\n%s", err, out)
	}
	restoreAndCheck(stopped, time.Time{}, time.Time{})

	// The same to stdout ("-"), the summary on stderr, and restored from stdin.
	piped := filepath.Join(backups, "piped.tar")
	pf, err := os.Create(piped)
	if err != nil {
		t.Fatal(err)
	}
	var pipedErr bytes.Buffer
	cmd := exec.Command(binary(t), "backup", "--addr", c.addr, "--data", data, "-")
	cmd.Stdout, cmd.Stderr = pf, &pipedErr
	if err := cmd.Run(); err != nil || !strings.Contains(pipedErr.String(), "written to stdout and verified") {
		t.Fatalf("backup to stdout: %v\n%s", err, pipedErr.String())
	}
	pf.Close()
	restoreAndCheck("<"+piped, time.Time{}, time.Time{})
	if live := h.liveBlobs(); files != live {
		t.Fatalf("%d blob files in the data directory, %d blobs", files, live)
	}

	// Refusals, and nothing left behind.
	parent := t.TempDir()
	target := filepath.Join(parent, "data")
	a, err := os.ReadFile(stopped)
	if err != nil {
		t.Fatal(err)
	}
	refused := func(what string, content []byte, want string, args ...string) {
		t.Helper()
		f := filepath.Join(t.TempDir(), "in.tar")
		os.WriteFile(f, content, 0o600)
		before, _ := os.ReadDir(parent)
		out, err := run1(t, append(append([]string{"restore", "--data", target}, args...), f)...)
		if err == nil || !strings.Contains(out, want) {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		after, _ := os.ReadDir(parent)
		if len(after) != len(before) {
			t.Fatalf("%s: left %v behind", what, after)
		}
	}
	refused("truncated", a[:len(a)*2/3], "zkvault restore: damaged backup: ") // one prefix, not "restore: restore:"
	// The same from stdin.
	cmd = exec.Command(binary(t), "restore", "--data", target, "-")
	cmd.Stdin = bytes.NewReader(a[:len(a)/2])
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "zkvault restore: damaged backup: ") {
		t.Fatalf("a truncated archive on stdin: %v\n%s", err, out)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("a refused restore from stdin left %s: %v", target, err)
	}
	flipped := bytes.Clone(a)
	i := bytes.Index(a, []byte("body of r00000-01"))
	if i < 0 {
		t.Fatal("no record in the archive")
	}
	flipped[i+3] ^= 1
	refused("a flipped byte", flipped, "damaged backup")
	refused("garbage after the end", append(bytes.Clone(a), "garbage"...), "data after the archive's end")
	dbOnly, err := os.ReadFile(filepath.Join(data, boltstore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	refused("an old database-only backup", dbOnly, "database-only backup")
	os.Mkdir(target, 0o700)
	os.WriteFile(filepath.Join(target, "x"), nil, 0o600)
	refused("a non-empty directory", a, "or add --force to move it aside")
	// --force moves it aside.
	out, err := run1(t, "restore", "--data", target, "--force", stopped)
	if err != nil || !strings.Contains(out, "moved aside") {
		t.Fatalf("--force: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(target, boltstore.DBFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(target, service.AdminSecretFile)); err == nil {
		t.Fatal("a backup carried the admin secret")
	}
}

func TestBackupRestoreHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"help", "restore"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "--force") || !strings.Contains(errb.String(), "ZKVAULT_DATA") {
		t.Fatalf("help restore: %d %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "zkvault restore") {
		t.Fatalf("--help: %d %s", code, out.String())
	}
}
