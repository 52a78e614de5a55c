package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/examples/ingest/internal/client"
	"github.com/zkvault/zkvault/examples/ingest/internal/state"
	"github.com/zkvault/zkvault/examples/ingest/source"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
)

// vault is an unlocked vault on a server.
type vault struct {
	cl    *client.Client
	id    string
	sp    api.Space
	space *zkvault.Space
	// readable: the credential may read the vault (the description came
	// from the server, not from the local copy).
	readable bool
}

// defaultOwner is the principal a zkvault server's write secret acts as,
// unless configured otherwise.
const defaultOwner = "owner"

// spacePath is the local copy of the vault's description: beside the
// state file.
func (a *app) spacePath(c *common) (string, error) {
	p, err := a.statePath(c)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(p, ".state") + ".space.json", nil
}

// saveSpace keeps the vault's public description (id, kind, envelopes,
// schemas: what the server stores, nothing more) so that a credential that
// may only write can still unlock the vault. Mode 0600.
func (a *app) saveSpace(c *common, sp api.Space) error {
	p, err := a.spacePath(c)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func (a *app) loadSpace(c *common) (api.Space, error) {
	var sp api.Space
	p, err := a.spacePath(c)
	if err != nil {
		return sp, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return sp, err
	}
	err = json.Unmarshal(b, &sp)
	return sp, err
}

// vaultSchemas returns the shipped schemas of the six collections.
func vaultSchemas() []api.Schema {
	var out []api.Schema
	for _, s := range zkvault.Schemas() {
		if slices.Contains(source.Collections, s.Collection) {
			out = append(out, s)
		}
	}
	return out
}

// Passphrase rules of init.
const (
	minPassphraseLen  = 12
	minPassphraseBits = 60
)

// longestEarlier returns the length of the longest prefix of rs[i:] that
// also starts at an earlier position.
func longestEarlier(rs []rune, i int) int {
	best := 0
	for j := 0; j < i; j++ {
		n := 0
		for i+n < len(rs) && rs[j+n] == rs[i+n] {
			n++
		}
		best = max(best, n)
	}
	return best
}

// checkPassphrase refuses a passphrase that is short or guessable by its
// structure: fewer than 12 characters, fewer than 5 distinct characters,
// or an estimate below 60 bits (length times the bits of the character
// classes it uses, counting a run of one repeated character, or of
// consecutive characters such as "abcd" or "1234", or a repeat of an
// earlier piece, as one). It cannot
// tell a quotation or a leaked password: prefer several random words.
func checkPassphrase(p string) error {
	n := utf8.RuneCountInString(p)
	if n < minPassphraseLen {
		return fmt.Errorf("passphrase too short: %d characters, at least %d (several random words are easiest to remember)", n, minPassphraseLen)
	}
	rs := []rune(p)
	distinct := map[rune]bool{}
	var lower, upper, digit, space, symbol, other bool
	for _, r := range rs {
		distinct[r] = true
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case r == ' ':
			space = true
		case r < 128:
			symbol = true
		case unicode.IsLetter(r):
			other = true
		default:
			symbol = true
		}
	}
	// Effective length: a character that repeats or continues a run of
	// its predecessor ("aaaa", "abcd", "4321") adds nothing, and a
	// repeat of an earlier piece of 3 or more characters ("hunter2hunter2")
	// counts as one.
	eff := 0
	for i := 0; i < len(rs); {
		if n := longestEarlier(rs, i); n >= 3 {
			eff++
			i += n
			continue
		}
		if i == 0 || (rs[i] != rs[i-1] && rs[i] != rs[i-1]+1 && rs[i] != rs[i-1]-1) {
			eff++
		}
		i++
	}
	if len(distinct) < 5 {
		return errors.New("passphrase too simple: fewer than 5 different characters")
	}
	pool := 0
	for _, c := range []struct {
		has  bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {space, 1}, {symbol, 33}, {other, 100}} {
		if c.has {
			pool += c.size
		}
	}
	bits := float64(eff) * math.Log2(float64(pool))
	if bits < minPassphraseBits {
		return fmt.Errorf("passphrase too weak: about %.0f bits by its length and characters, at least %d (make it longer: add words)", bits, minPassphraseBits)
	}
	return nil
}

func (a *app) cmdInit(ctx context.Context, args []string) error {
	var c common
	var owner string
	fs := a.flags("init", "[flags]", `Creates the vault on the server: a fresh random secret, wrapped under your
passphrase (Argon2id, 64 MiB, 3 passes), and the schemas of the six
collections. The passphrase must be at least 12 characters and not
trivially guessable; it is never sent to the server. Forget it and the data
cannot be recovered by anyone.

The vault names --owner as its owner: the principal the server's write
secret acts as, so that the write secret may write to it. A copy of the
vault's public description (with its passphrase envelope) is kept beside
the import state, so that import and open work with a credential that may
write but not read.`)
	a.commonFlags(fs, &c)
	fs.StringVar(&owner, "owner", defaultOwner, "principal id of the vault's owner (the server's write principal); empty for none")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	ownerGiven := false
	fs.Visit(func(f *flag.Flag) { ownerGiven = ownerGiven || f.Name == "owner" })
	ownerGiven = ownerGiven || a.getenv(envName("owner")) != ""
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	if err := c.check(); err != nil {
		return err
	}
	cl, err := a.client(&c)
	if err != nil {
		return err
	}
	if _, err := cl.Space(ctx, c.vault); err == nil {
		return fmt.Errorf("vault %q exists on %s already", c.vault, c.server)
	} else if !client.IsStatus(err, http.StatusNotFound) && !client.IsStatus(err, http.StatusForbidden) {
		// (A write secret may not read: then creating tells.)
		return err
	}
	pass, err := a.passphrase(c.passFile, fmt.Sprintf("New passphrase for vault %s: ", c.vault), true)
	if err != nil {
		return err
	}
	if err := checkPassphrase(pass); err != nil {
		return err
	}
	p := prim.Native()
	space, err := zkvault.NewSpace(ctx, p, c.vault)
	if err != nil {
		return err
	}
	defer space.Forget()
	rcpt, err := zkvault.NewPassphraseRecipient(p, pass)
	if err != nil {
		return err
	}
	env, err := space.Envelope(ctx, rcpt)
	if err != nil {
		return err
	}
	sp := api.Space{
		ID:            c.vault,
		Kind:          api.KindVault,
		Encrypted:     true,
		SecretVersion: space.CurrentVersion(),
		Envelopes:     []api.Envelope{env},
		Schemas:       vaultSchemas(),
	}
	if owner != "" {
		if err := api.CheckID("owner", owner); err != nil {
			return fmt.Errorf("--owner: %v", err)
		}
		sp.Relations = []api.Relation{{Role: api.RoleOwner, Principal: owner}}
	}
	err = cl.CreateSpace(ctx, sp)
	var ce *client.Error
	if err != nil && !ownerGiven && owner != "" && errors.As(err, &ce) && ce.Code == "unknown_principal" {
		// No write principal on this server (or not yet): the
		// vault has no owner relation, as with the admin secret.
		sp.Relations = nil
		err = cl.CreateSpace(ctx, sp)
	}
	if err != nil {
		if client.IsStatus(err, http.StatusConflict) {
			return fmt.Errorf("vault %q exists on %s already", c.vault, c.server)
		}
		return err
	}
	if err := a.saveSpace(&c, sp); err != nil {
		fmt.Fprintf(a.stderr, "note: could not keep a copy of the vault's description (%v): import will need a credential that may read\n", err)
	}
	fmt.Fprintf(a.stdout, "created vault %s on %s\n", c.vault, c.server)
	return nil
}

// openVault fetches the vault and unlocks it with the passphrase.
func (a *app) openVault(ctx context.Context, c *common) (*vault, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	sp, err := cl.Space(ctx, c.vault)
	readable := err == nil
	switch {
	case err == nil:
		if err := a.saveSpace(c, sp); err != nil {
			fmt.Fprintf(a.stderr, "note: could not keep a copy of the vault's description: %v\n", err)
		}
	case client.IsStatus(err, http.StatusForbidden):
		// A write secret reads nothing: use the copy init (or an
		// earlier run with a reading credential) kept.
		cached, cerr := a.loadSpace(c)
		if cerr != nil {
			return nil, fmt.Errorf("%w\nthis credential may not read the vault, and there is no copy of its description here: run init on this computer, or run once with a token that may read", err)
		}
		sp = cached
	case client.IsStatus(err, http.StatusNotFound):
		return nil, fmt.Errorf("no vault %q on %s (or this credential may not read it): run init first", c.vault, c.server)
	default:
		return nil, err
	}
	if sp.ID != c.vault || sp.Kind != api.KindVault || !sp.Encrypted {
		return nil, fmt.Errorf("space %q on %s is not an encrypted vault", c.vault, c.server)
	}
	pass, err := a.passphrase(c.passFile, fmt.Sprintf("Passphrase of vault %s: ", c.vault), false)
	if err != nil {
		return nil, err
	}
	p := prim.Native()
	space, err := zkvault.OpenSpace(ctx, p, sp, zkvault.NewPassphraseIdentity(p, pass))
	if err != nil {
		if errors.Is(err, zkvault.ErrIncorrectKey) {
			return nil, fmt.Errorf("cannot unlock vault %s: wrong passphrase", c.vault)
		}
		return nil, fmt.Errorf("cannot unlock vault %s: %w", c.vault, err)
	}
	return &vault{cl: cl, id: c.vault, sp: sp, space: space, readable: readable}, nil
}

// ensureCollections adds to the vault the shipped schemas it lacks.
func (v *vault) ensureCollections(ctx context.Context) error {
	for _, s := range vaultSchemas() {
		if slices.ContainsFunc(v.sp.Schemas, func(h api.Schema) bool { return h.Collection == s.Collection }) {
			continue
		}
		if err := v.cl.AddCollection(ctx, v.id, s); err != nil && !client.IsStatus(err, http.StatusConflict) {
			return fmt.Errorf("adding collection %s: %w", s.Collection, err)
		}
		v.sp.Schemas = append(v.sp.Schemas, s)
	}
	return nil
}

// stateFile returns the path of the vault's import state file and the
// space's id key, which keys it.
func (a *app) stateFile(ctx context.Context, c *common, v *vault) (string, []byte, error) {
	path, err := a.statePath(c)
	if err != nil {
		return "", nil, err
	}
	key, err := v.space.IDKey(ctx)
	if err != nil {
		return "", nil, err
	}
	return path, key, nil
}

// openState opens the vault's import state file, locked for an import.
func (a *app) openState(ctx context.Context, c *common, v *vault) (*state.State, error) {
	path, key, err := a.stateFile(ctx, c, v)
	if err != nil {
		return nil, err
	}
	st, reset, err := state.Open(path, v.id, key)
	if err != nil {
		return nil, fmt.Errorf("import state: %w", err)
	}
	if reset {
		fmt.Fprintf(a.stderr, "note: %s was for another vault or secret; moved to %s.stale, starting afresh\n", path, path)
	}
	return st, nil
}

// readState reads the vault's import state file without locking it.
func (a *app) readState(ctx context.Context, c *common, v *vault) (*state.State, error) {
	path, key, err := a.stateFile(ctx, c, v)
	if err != nil {
		return nil, err
	}
	st, err := state.Read(path, v.id, key)
	if err != nil {
		return nil, fmt.Errorf("import state: %w", err)
	}
	return st, nil
}

// dashboardURL is the address that unlocks the vault in the dashboard:
// the keyring in the fragment only, never in the path or query.
func dashboardURL(ctx context.Context, server string, space *zkvault.Space) (string, error) {
	u, err := client.ParseServer(server)
	if err != nil {
		return "", err
	}
	key, err := space.HandoverKey(ctx)
	if err != nil {
		return "", err
	}
	base := strings.TrimRight(u.String(), "/") + "/"
	return base + "#space=" + url.QueryEscape(space.ID()) + "&key=" + key, nil
}

func (a *app) cmdOpen(ctx context.Context, args []string) error {
	var c common
	var only bool
	fs := a.flags("open", "[flags]", `Prints the dashboard address that unlocks the vault in a browser:
http://server/#space=<vault>&key=<key>. The key is in the fragment (after
'#'), which browsers never send to the server; the dashboard removes it from
the address bar at once. Anyone holding this address can read the vault:
open it yourself, do not share or log it.`)
	a.commonFlags(fs, &c)
	fs.BoolVar(&only, "print-url-only", false, "print the address alone on standard output, nothing else")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	v, err := a.openVault(ctx, &c)
	if err != nil {
		return err
	}
	defer v.space.Forget()
	u, err := dashboardURL(ctx, c.server, v.space)
	if err != nil {
		return err
	}
	if !only {
		fmt.Fprintln(a.stderr, "Open this address in your browser (the key after '#' never reaches the server; do not share it):")
	}
	fmt.Fprintln(a.stdout, u)
	return nil
}

func (a *app) cmdStatus(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("status", "[flags]", `Counts the records of each collection the server holds for the vault, and
what the local import state remembers. Needs a credential that may read.`)
	a.commonFlags(fs, &c)
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	v, err := a.openVault(ctx, &c)
	if err != nil {
		return err
	}
	defer v.space.Forget()
	st, err := a.readState(ctx, &c, v) // no lock: status may run beside an import
	if err != nil {
		return err
	}
	local, blobs := st.Counts()
	if !v.readable {
		fmt.Fprintf(a.stdout, "this credential may not read the vault; in the local state:\n")
		for _, coll := range source.Collections {
			fmt.Fprintf(a.stdout, "  %s: %d\n", coll, local[coll])
		}
		fmt.Fprintf(a.stdout, "  blobs: %d\n", blobs)
		return errors.New("counting on the server needs a token with the read scope")
	}
	start := time.Now()
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "collection\ton server\tin local state\t\n")
	total, totalLocal := 0, 0
	for _, coll := range source.Collections {
		if !slices.ContainsFunc(v.sp.Schemas, func(s api.Schema) bool { return s.Collection == coll }) {
			fmt.Fprintf(tw, "%s\t-\t%d\t\n", coll, local[coll])
			continue
		}
		n, err := countRecords(ctx, v.cl, v.id, coll)
		if err != nil {
			return err
		}
		total += n
		totalLocal += local[coll]
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", coll, n, local[coll])
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t\n", total, totalLocal)
	tw.Flush()
	fmt.Fprintf(a.stdout, "blobs in local state: %d; counted in %s\n", blobs, time.Since(start).Round(time.Millisecond))
	return nil
}

// countRecords pages through a collection.
func countRecords(ctx context.Context, cl *client.Client, space, coll string) (int, error) {
	n, cursor := 0, ""
	for {
		p, err := cl.Records(ctx, space, coll, client.Query{Cursor: cursor, Limit: 1000})
		if err != nil {
			return 0, err
		}
		n += len(p.Records)
		if p.NextCursor == "" {
			return n, nil
		}
		cursor = p.NextCursor
	}
}
