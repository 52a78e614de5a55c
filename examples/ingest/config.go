package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/examples/ingest/internal/client"
)

// common are the flags of every command.
type common struct {
	server    string
	tokenFile string
	vault     string
	passFile  string
	stateDir  string
}

// errHelp reports that --help was asked for and answered.
var errHelp = errors.New("help shown")

// envName is the environment variable of a flag: --state-dir is
// ZKVAULT_STATE_DIR.
func envName(flagName string) string {
	return "ZKVAULT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (a *app) flags(name, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "usage: zkvault-ingest %s %s\n\n%s\n\nflags (each also an environment variable, shown in brackets):\n", name, synopsis, help)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(a.stderr, "  --%s [%s]\n      %s%s\n", f.Name, envName(f.Name), f.Usage, def)
		})
	}
	return fs
}

func (a *app) commonFlags(fs *flag.FlagSet, c *common) {
	fs.StringVar(&c.server, "server", "http://127.0.0.1:8080", "address of the zkvault server")
	fs.StringVar(&c.tokenFile, "token-file", "", "file holding the bearer credential (write secret or token); without it, ZKVAULT_TOKEN")
	fs.StringVar(&c.vault, "vault", "vault", "id of the vault (a space of kind vault)")
	fs.StringVar(&c.passFile, "passphrase-file", "", "file holding the vault's passphrase (first line); without it the passphrase is asked on the terminal")
	fs.StringVar(&c.stateDir, "state-dir", "", "folder of the local import state (default: the user config folder's zkvault-ingest)")
}

// parse applies environment defaults, then the arguments. It returns
// errHelp after printing the usage for --help, errUsage after a usage
// error.
func (a *app) parse(fs *flag.FlagSet, args []string) error {
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		if v := a.getenv(envName(f.Name)); v != "" {
			if err := f.Value.Set(v); err != nil && bad == nil {
				bad = fmt.Errorf("%s: %v", envName(f.Name), err)
			}
		}
	})
	if bad != nil {
		fmt.Fprintln(a.stderr, "zkvault-ingest:", bad)
		return errUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	return nil
}

// done turns errHelp into success.
func done(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func (c *common) check() error {
	if _, err := client.ParseServer(c.server); err != nil {
		return err
	}
	if err := api.CheckID("vault", c.vault); err != nil {
		return fmt.Errorf("--vault: %v", err)
	}
	return nil
}

// token returns the bearer credential.
func (a *app) token(c *common) (string, error) {
	if c.tokenFile != "" {
		s, err := readSecretFile(c.tokenFile)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		return s, nil
	}
	if t := strings.TrimSpace(a.getenv("ZKVAULT_TOKEN")); t != "" {
		return t, nil
	}
	return "", errors.New("no credential: set ZKVAULT_TOKEN or --token-file to the server's write secret or a token")
}

func (a *app) client(c *common) (*client.Client, error) {
	tok, err := a.token(c)
	if err != nil {
		return nil, err
	}
	return client.New(c.server, tok, a.httpClient)
}

// readSecretFile reads the first line of a file, without its line end.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 64<<10)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", fmt.Errorf("%s: empty first line", path)
	}
	if !utf8.ValidString(line) {
		return "", fmt.Errorf("%s: not UTF-8 text", path)
	}
	return line, nil
}

// passphrase returns the passphrase from file, or asks it on the terminal
// (twice when confirm).
func (a *app) passphrase(file, prompt string, confirm bool) (string, error) {
	if file != "" {
		return readSecretFile(file)
	}
	p, err := askTerminal(prompt)
	if err != nil {
		return "", err
	}
	if confirm {
		q, err := askTerminal("Again, to confirm: ")
		if err != nil {
			return "", err
		}
		if p != q {
			return "", errors.New("the two passphrases differ")
		}
	}
	return p, nil
}

// askTerminal reads a line from the controlling terminal with echo off
// (stty -echo; golang.org/x/term is not a dependency of this module).
func askTerminal(prompt string) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errors.New("no terminal to ask the passphrase on: give --passphrase-file (or ZKVAULT_PASSPHRASE_FILE)")
	}
	defer tty.Close()
	stty := func(arg string) error {
		cmd := exec.Command("stty", arg)
		cmd.Stdin = tty
		return cmd.Run()
	}
	if err := stty("-echo"); err != nil {
		return "", fmt.Errorf("cannot turn the terminal's echo off (stty): %v; give --passphrase-file", err)
	}
	defer func() {
		_ = stty("echo")
		fmt.Fprintln(tty)
	}()
	fmt.Fprint(tty, prompt)
	line, err := bufio.NewReader(tty).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("empty passphrase")
	}
	return line, nil
}

// statePath is the state file of a vault on a server:
// <state dir>/<host>-<vault>.state.
func (a *app) statePath(c *common) (string, error) {
	dir := c.stateDir
	if dir == "" {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("no folder for the import state (%v): give --state-dir", err)
		}
		dir = filepath.Join(cfg, "zkvault-ingest")
	}
	u, err := url.Parse(c.server)
	if err != nil {
		return "", err
	}
	name := safeName(u.Host) + "-" + safeName(c.vault)
	if name != u.Host+"-"+c.vault {
		// Replaced characters could make two names meet: tell them apart.
		name += fmt.Sprintf("-%08x", fnv32(u.Host+"\n"+c.vault))
	}
	return filepath.Join(dir, name+".state"), nil
}

func safeName(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
