// Command ferretdb-launcher runs FerretDB (v1, SQLite backend) in-process, as a local
// MongoDB-wire-protocol server for mongrate's tests and for developers.
//
//	ferretdb-launcher --listen-addr 127.0.0.1:0 --state-dir DIR [--sqlite-dir DIR] [--log-file FILE] [--log-level warn]
//
// It prints the server's MongoDB URI (mongodb://127.0.0.1:PORT/) on stdout once the listener
// accepts connections, then serves until SIGTERM or SIGINT, and shuts down cleanly.
//
// It uses FerretDB's embeddable package rather than `go install .../cmd/ferretdb`: that
// command needs generated version files that a module download does not have. The embeddable
// package keeps FerretDB's state in memory, never creates a telemetry reporter and marks
// telemetry disabled and locked, so nothing here talks to anything but its own clients.
// tools/ferretdb-test-server.sh builds and starts it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

// ferretDBModule is the module whose version buildInfo and serverStatus report as ferretdbVersion.
const ferretDBModule = "github.com/FerretDB/FerretDB"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-launcher:", err)
		os.Exit(1)
	}
}

func run() error {
	listenAddr := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on; port 0 picks a free port")
	stateDir := flag.String("state-dir", "", "directory for the launcher's files (required); the SQLite data goes to STATE_DIR/sqlite unless --sqlite-dir is given")
	sqliteDir := flag.String("sqlite-dir", "", "directory of the SQLite backend's databases (created if missing)")
	logFile := flag.String("log-file", "", "append logs to this file instead of stderr")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	flag.Parse()

	if flag.NArg() != 0 {
		return fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	if *stateDir == "" && *sqliteDir == "" {
		return errors.New("--state-dir (or --sqlite-dir) is required")
	}

	// Belt and braces: the embeddable package has no telemetry reporter, but if anything ever
	// consulted the environment it would find telemetry disabled.
	os.Setenv("FERRETDB_TELEMETRY", "disable")
	os.Setenv("DO_NOT_TRACK", "1")

	if *stateDir != "" {
		if err := os.MkdirAll(*stateDir, 0o755); err != nil {
			return err
		}
	}
	dataDir := *sqliteDir
	if dataDir == "" {
		dataDir = filepath.Join(*stateDir, "sqlite")
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	// FerretDB wants a "file:" URI naming an existing directory, ending with a slash.
	sqliteURL := (&url.URL{Scheme: "file", Path: strings.TrimSuffix(dataDir, "/") + "/", OmitHost: true}).String()

	var level slog.Level
	if err = level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	var logOut io.Writer = os.Stderr
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut = f
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))

	// FerretDB fills its version from generated files only when it is the main module, so an
	// embedding program reports "unknown"; report the module version we were built with instead
	// (buildInfo.ferretdbVersion, serverStatus.ferretdbVersion, the startup log line).
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == ferretDBModule {
				version.Get().Version = dep.Version
			}
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// New opens the SQLite backend and binds the listener; it is accepting connections
	// (queued by the kernel until Run's accept loop starts) once New returns.
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	fmt.Println(f.MongoDBURI())
	os.Stdout.Sync()

	// Run returns once ctx is canceled (by a signal) and the listener, the connections and the
	// backend are closed.
	err = <-done
	logger.Info("ferretdb-launcher stopped")
	return err
}
