package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/examples/ingest/internal/progress"
	"github.com/zkvault/zkvault/examples/ingest/source"
	zkvault "github.com/zkvault/zkvault/wasm"
)

// pipeFlags are the flags of the commands that upload (import, migrate).
type pipeFlags struct {
	region     string
	batchSize  int
	batchBytes int
	inFlight   int
	workers    int
	force      bool
	quiet      bool
	maxReasons int
}

func (pf *pipeFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&pf.region, "region", "", "region (ISO 3166-1 alpha-2, as US or CH) of phone numbers written without a country code, for search")
	fs.IntVar(&pf.batchSize, "batch-size", 500, "records per request")
	fs.IntVar(&pf.batchBytes, "batch-bytes", 8<<20, "largest request body, in bytes (the server takes 32 MiB)")
	fs.IntVar(&pf.inFlight, "in-flight", defaultInFlight, "batches sent at once, each waiting for its answer (1: one at a time)")
	fs.IntVar(&pf.workers, "workers", defaultWorkers(), "records sealed and files uploaded in parallel")
	fs.BoolVar(&pf.force, "force", false, "send every item again, even those the local state says the server has")
	fs.BoolVar(&pf.quiet, "quiet", false, "no progress display")
	fs.IntVar(&pf.maxReasons, "max-reasons", 20, "rejections and skips listed in the summary")
}

func (pf *pipeFlags) check() error {
	if pf.region != "" && (len(pf.region) != 2 || strings.ToUpper(pf.region) != pf.region || strings.ToLower(pf.region) == pf.region) {
		return fmt.Errorf("--region %q: want two capital letters, as US", pf.region)
	}
	if pf.batchSize < 1 || pf.batchSize > 1000 {
		return errors.New("--batch-size: 1 to 1000")
	}
	if pf.batchBytes < 64<<10 || pf.batchBytes > 30<<20 {
		return errors.New("--batch-bytes: 64 KiB to 30 MiB")
	}
	if pf.inFlight < 1 || pf.inFlight > 16 {
		return errors.New("--in-flight: 1 to 16")
	}
	if pf.workers < 1 || pf.workers > 256 {
		return errors.New("--workers: 1 to 256")
	}
	return nil
}

func (a *app) newPipeline(v *vault, pf *pipeFlags, c *common, label string) (*pipeline, error) {
	st, err := a.openState(context.Background(), c, v)
	if err != nil {
		return nil, err
	}
	var bar *progress.Bar
	if !pf.quiet {
		bar = progress.New(a.stderr, a.stderrTTY, label)
	}
	return &pipeline{
		v: v, st: st, bar: bar, region: pf.region, batchSize: pf.batchSize, batchBytes: pf.batchBytes,
		inFlight: pf.inFlight, workers: pf.workers, force: pf.force, maxReasons: pf.maxReasons, afterBatch: a.afterBatch,
	}, nil
}

// input is one file or folder to read, with the reader it needs.
type input struct {
	path string
	kind string // source.Kind*
	coll string // the collection it fills, "" if not known yet
}

const importHelp = `Reads files, encrypts every field the collections' schemas say, computes
the blind indexes, and uploads records and files to the vault in batches.
A path is one of:

  a JSON array or NDJSON file of one collection (named after it, as
    locations.ndjson, or given with --collection)
  a WhatsApp chat export (.txt)
  a vCard file (.vcf)
  a folder of screenshots (PNG, JPEG, GIF)
  a folder holding such files: its .json/.ndjson/.jsonl files named after a
    collection, .vcf files, WhatsApp exports ("WhatsApp Chat with ….txt",
    "_chat.txt") and subfolders named screenshots*; anything else in it is
    left alone (attachment files are read through the JSON that names them)

Importing is idempotent and resumable: the local state file remembers what
the server acknowledged, so a second run sends nothing new and an
interrupted one carries on. examples/ingest/README.md describes the files.`

func (a *app) cmdImport(ctx context.Context, args []string) error {
	var c common
	var pf pipeFlags
	var collection, chat, me, dateOrder, tz string
	var keepSystem bool
	fs := a.flags("import", "[flags] path...", importHelp)
	a.commonFlags(fs, &c)
	pf.define(fs)
	fs.StringVar(&collection, "collection", "", "collection of the JSON or NDJSON files given (default: from each file's name)")
	fs.StringVar(&chat, "chat", "", "name of the WhatsApp chat (default: from the file name)")
	fs.StringVar(&me, "me", "", "your name (or phone number) in WhatsApp exports: your messages get isFromMe")
	fs.StringVar(&dateOrder, "date-order", "", "day and month order of WhatsApp dates: DMY or MDY (default: detected)")
	fs.StringVar(&tz, "tz", "", "IANA time zone of WhatsApp and screenshot times (default: this computer's)")
	fs.BoolVar(&keepSystem, "keep-system", false, "keep WhatsApp system messages")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	if err := pf.check(); err != nil {
		return err
	}
	if dateOrder != "" && dateOrder != "DMY" && dateOrder != "MDY" {
		return fmt.Errorf("--date-order %q: DMY or MDY", dateOrder)
	}
	if collection != "" {
		if _, ok := zkvault.Schema(collection); !ok || collection == "messages" {
			return fmt.Errorf("--collection %q: one of %s", collection, strings.Join(source.Collections, ", "))
		}
	}
	loc := time.Local
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return fmt.Errorf("--tz: %v", err)
		}
		loc = l
	}
	var inputs []input
	var notes []string
	for _, p := range fs.Args() {
		in, n, err := inputsOf(p, collection)
		if err != nil {
			return err
		}
		inputs = append(inputs, in...)
		notes = append(notes, n...)
	}
	if len(inputs) == 0 {
		return errors.New("nothing to import in the paths given")
	}

	v, err := a.openVault(ctx, &c)
	if err != nil {
		return err
	}
	defer v.space.Forget()
	if err := v.ensureCollections(ctx); err != nil {
		return err
	}
	idKey, err := v.space.IDKey(ctx)
	if err != nil {
		return err
	}
	opts := source.Options{IDKey: idKey, Location: loc, Collection: collection, ChatName: chat, Me: me, DateOrder: dateOrder, KeepSystem: keepSystem}
	p, err := a.newPipeline(v, &pf, &c, "import")
	if err != nil {
		return err
	}
	defer p.st.Close()
	if p.bar != nil {
		items, size := countInputs(ctx, inputs, opts)
		p.bar.SetTotal(items, size)
	}
	p.sum.Ignored = notes
	sum, err := p.run(ctx, func(s sink) error {
		for _, in := range inputs {
			if err := readInput(in, opts, s); err != nil {
				return err
			}
		}
		return nil
	})
	a.last = sum
	if sum != nil {
		sum.print(a.stdout)
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: what was acknowledged is recorded; run the same import again to carry on")
		}
		return err
	}
	return nil
}

// inputsOf lists what a path given on the command line holds.
func inputsOf(path, collection string) ([]input, []string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.IsDir() {
		kind, err := source.KindOf(path)
		if err != nil {
			return nil, nil, err
		}
		in := input{path: path, kind: kind, coll: collOfKind(kind)}
		if kind == source.KindJSON {
			in.coll = collection
			if in.coll == "" {
				in.coll = source.CollectionFromName(path)
			}
			if in.coll == "" {
				return nil, nil, fmt.Errorf("%s: cannot tell the collection from the file name: give --collection (one of %s)", path, strings.Join(source.Collections, ", "))
			}
		}
		return []input{in}, nil, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, nil, err
	}
	var ins []input
	var ignored []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(path, name)
		if e.IsDir() {
			if strings.HasPrefix(strings.ToLower(name), "screenshot") {
				ins = append(ins, input{path: full, kind: source.KindScreenshots, coll: source.Screenshots})
			} else {
				ignored = append(ignored, full+"/")
			}
			continue
		}
		lower := strings.ToLower(name)
		switch ext := filepath.Ext(lower); {
		case ext == ".vcf" || ext == ".vcard":
			ins = append(ins, input{path: full, kind: source.KindVCard, coll: source.Contacts})
		case ext == ".json" || ext == ".ndjson" || ext == ".jsonl":
			coll := collection
			if coll == "" {
				coll = source.CollectionFromName(name)
			}
			if coll == "" {
				ignored = append(ignored, full)
				continue
			}
			ins = append(ins, input{path: full, kind: source.KindJSON, coll: coll})
		case ext == ".txt" && (lower == "_chat.txt" || strings.HasPrefix(lower, "whatsapp chat")):
			ins = append(ins, input{path: full, kind: source.KindWhatsApp, coll: source.WhatsAppMessages})
		default:
			ignored = append(ignored, full)
		}
	}
	if len(ins) == 0 {
		// No export files: a folder of screenshots.
		return []input{{path: path, kind: source.KindScreenshots, coll: source.Screenshots}}, nil, nil
	}
	var notes []string
	for _, f := range ignored {
		notes = append(notes, f+": not read (not a known export; attachment files are read through their JSON)")
	}
	return ins, notes, nil
}

func collOfKind(kind string) string {
	switch kind {
	case source.KindScreenshots:
		return source.Screenshots
	case source.KindVCard:
		return source.Contacts
	case source.KindWhatsApp:
		return source.WhatsAppMessages
	}
	return ""
}

// readInput sends one input's records to s.
func readInput(in input, opts source.Options, s sink) error {
	if in.kind == source.KindJSON {
		opts.Collection = in.coll
	}
	ssink := source.Sink{
		Record: func(r source.Record) error { return s.add(fromSource(r, in.path)) },
		Reject: func(e *source.ItemError) error {
			if errors.Is(e, source.ErrSkipped) {
				s.skip(in.coll, e.Error())
			} else {
				s.reject(in.coll, e.Error())
			}
			return s.ctx.Err()
		},
	}
	err := source.ReadPath(in.path, opts, schemaOf, ssink)
	if err != nil && s.ctx.Err() == nil {
		// A file that cannot be read at all is one rejected input;
		// the others are still imported.
		s.reject(in.coll, fmt.Sprintf("%s: %v", in.path, err))
		return nil
	}
	return s.ctx.Err()
}

// schemaOf gives the source readers the shipped schemas of the vault's
// collections.
func schemaOf(coll string) (api.Schema, bool) {
	for _, c := range source.Collections {
		if c == coll {
			return zkvault.Schema(coll)
		}
	}
	return api.Schema{}, false
}

func fromSource(r source.Record, origin string) *item {
	it := &item{coll: r.Collection, id: r.ID, fields: r.Fields, origin: origin}
	if r.Blob != nil {
		path := r.Blob.Path
		it.blob = &blobSource{field: r.Blob.Field, id: r.Blob.ID, size: r.Blob.Size, sha256: r.Blob.SHA256,
			open: func() (io.ReadCloser, error) { return os.Open(path) }}
	}
	return it
}

// countInputs counts the records and file bytes ahead, for the progress
// display: it runs the text readers without keys and walks screenshot
// folders without reading the images.
func countInputs(ctx context.Context, inputs []input, opts source.Options) (items, size int64) {
	opts.IDKey = nil
	for _, in := range inputs {
		if ctx.Err() != nil {
			return 0, 0
		}
		if in.kind == source.KindScreenshots {
			_ = filepath.WalkDir(in.path, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				if strings.HasPrefix(d.Name(), ".") && p != in.path {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				switch strings.ToLower(filepath.Ext(p)) {
				case ".png", ".jpg", ".jpeg", ".gif":
					if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
						items++
						size += info.Size()
					}
				}
				return nil
			})
			continue
		}
		o := opts
		if in.kind == source.KindJSON {
			o.Collection = in.coll
		}
		_ = source.ReadPath(in.path, o, schemaOf, source.Sink{Record: func(r source.Record) error {
			items++
			if r.Blob != nil {
				size += r.Blob.Size
			}
			return ctx.Err()
		}})
	}
	return items, size
}
