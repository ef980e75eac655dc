/**
 * The Go module ko-bench.mjs builds with kodev and with ko: `example.com/bench`, five main packages
 * `cmd/svc1..svc5` over three shared library packages (`internal/banner`, `internal/store`,
 * `internal/api`, using net/http and encoding/json, so each binary is several MiB), a `kodata/`
 * directory for svc1 (a file and a symlink to it, which ko copies into /var/run/ko), and `config/`:
 * five Deployments, one `ko://` reference each, plus a Service and a ConfigMap without any.
 *
 * Run with no arguments, a service prints lines that depend only on its image (banner, executable
 * path, working directory, user, selected environment, kodata content) and exits 0, so two images
 * can be compared by their output under `docker run`. `BENCH_SERVE=1` makes it serve HTTP instead.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The module path of the fixture. */
export const MODULE = 'example.com/bench';
/** The services, one main package each under cmd/. */
export const SERVICES = ['svc1', 'svc2', 'svc3', 'svc4', 'svc5'];
/** The file the per-run source edit of scenario 3 rewrites; svc1 imports its package. */
export const EDITED_FILE = 'internal/banner/banner.go';

const banner = (
  revision,
) => `// Package banner says which service and build is running, and what its image holds.
package banner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Revision changes on every run of the bench's source-change scenario.
const Revision = "${revision}"

// Line is the first line every service prints.
func Line(service string) string {
	return fmt.Sprintf("%s: example.com/bench service, revision %s", service, Revision)
}

// Runtime describes the process and its image: lines that depend only on the image it runs in.
func Runtime() []string {
	exe, err := os.Executable()
	if err != nil {
		exe = "error: " + err.Error()
	}
	wd, err := os.Getwd()
	if err != nil {
		wd = "error: " + err.Error()
	}
	lines := []string{
		"args0=" + os.Args[0],
		"exe=" + exe,
		"wd=" + wd,
		fmt.Sprintf("uid=%d gid=%d", os.Getuid(), os.Getgid()),
	}
	for _, key := range []string{"PATH", "HOME", "KO_DATA_PATH", "SSL_CERT_FILE", "BENCH_SERVE"} {
		value, ok := os.LookupEnv(key)
		if !ok {
			value = "(unset)"
		}
		lines = append(lines, key+"="+value)
	}
	data := os.Getenv("KO_DATA_PATH")
	for _, name := range []string{"greeting.txt", "link.txt"} {
		content, err := os.ReadFile(filepath.Join(data, name))
		if err != nil {
			lines = append(lines, "kodata/"+name+": error: "+err.Error())
			continue
		}
		lines = append(lines, "kodata/"+name+": "+strings.TrimSpace(string(content)))
	}
	return lines
}
`;

const STORE = `// Package store keeps items in memory, safe for concurrent use.
package store

import (
	"errors"
	"sort"
	"sync"
	"time"
)

// Item is one stored value.
type Item struct {
	Key     string    \`json:"key"\`
	Value   string    \`json:"value"\`
	Version int       \`json:"version"\`
	Updated time.Time \`json:"updated"\`
}

// ErrNotFound is returned for a key that is not stored.
var ErrNotFound = errors.New("not found")

// Store is an in-memory map of items.
type Store struct {
	mu    sync.RWMutex
	items map[string]Item
}

// New returns an empty store.
func New() *Store { return &Store{items: map[string]Item{}} }

// Put stores value under key and returns the new item.
func (s *Store) Put(key, value string, now time.Time) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	item := Item{Key: key, Value: value, Version: s.items[key].Version + 1, Updated: now}
	s.items[key] = item
	return item
}

// Get returns the item under key.
func (s *Store) Get(key string) (Item, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	item, ok := s.items[key]
	if !ok {
		return Item{}, ErrNotFound
	}
	return item, nil
}

// List returns every item, sorted by key.
func (s *Store) List() []Item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Item, 0, len(s.items))
	for _, item := range s.items {
		out = append(out, item)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
`;

const API = `// Package api serves a store over HTTP as JSON.
package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"example.com/bench/internal/banner"
	"example.com/bench/internal/store"
)

type status struct {
	Service string \`json:"service"\`
	Banner  string \`json:"banner"\`
	Items   int    \`json:"items"\`
}

// Handler serves /healthz, /status and /items/<key> (GET and PUT) for service over s.
func Handler(service string, s *store.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, status{Service: service, Banner: banner.Line(service), Items: len(s.List())})
	})
	mux.HandleFunc("/items/", func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/items/")
		switch r.Method {
		case http.MethodGet:
			if key == "" {
				writeJSON(w, http.StatusOK, s.List())
				return
			}
			item, err := s.Get(key)
			if errors.Is(err, store.ErrNotFound) {
				writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, item)
		case http.MethodPut:
			var body struct {
				Value string \`json:"value"\`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, s.Put(key, body.Value, time.Now()))
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
`;

const main = (
  service,
  port,
) => `// Command ${service} prints what its image holds and exits, or serves the store API with BENCH_SERVE=1.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"example.com/bench/internal/api"
	"example.com/bench/internal/banner"
	"example.com/bench/internal/store"
)

func main() {
	fmt.Println(banner.Line("${service}"))
	for _, line := range banner.Runtime() {
		fmt.Println(line)
	}
	if os.Getenv("BENCH_SERVE") != "1" {
		return
	}
	log.Fatal(http.ListenAndServe(":${port}", api.Handler("${service}", store.New())))
}
`;

const deployment = (service) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${service}
  labels: {app: ${service}}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${service}}
  template:
    metadata:
      labels: {app: ${service}}
    spec:
      containers:
        - name: ${service}
          image: ko://${MODULE}/cmd/${service}
          env:
            - {name: BENCH_SERVE, value: "1"}
          ports:
            - containerPort: 8080
`;

const SERVICE_YAML = `apiVersion: v1
kind: Service
metadata:
  name: svc1
spec:
  selector: {app: svc1}
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: bench-settings
data:
  LOG_LEVEL: info
`;

/** Writes the module into `dir` (which must not hold one yet), at revision `r0`. */
export async function writeFixture(dir) {
  const files = {
    'go.mod': `module ${MODULE}\n\ngo 1.22\n`,
    [EDITED_FILE]: banner('r0'),
    'internal/store/store.go': STORE,
    'internal/api/api.go': API,
    'cmd/svc1/kodata/greeting.txt': 'hello from svc1 kodata\n',
    'config/service.yaml': SERVICE_YAML,
  };
  SERVICES.forEach((service, i) => {
    files[`cmd/${service}/main.go`] = main(service, 8080 + i);
    files[`config/${service}.yaml`] = deployment(service);
  });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  await symlink('greeting.txt', path.join(dir, 'cmd/svc1/kodata/link.txt'));
}

/** Rewrites the banner's Revision constant to `revision`: a one-line change in a package svc1 uses. */
export async function setRevision(dir, revision) {
  const file = path.join(dir, EDITED_FILE);
  const before = await readFile(file, 'utf8');
  const after = before.replace(/^const Revision = ".*"$/m, `const Revision = "${revision}"`);
  if (after === before && !before.includes(`"${revision}"`))
    throw new Error(`${file}: no Revision line to rewrite`);
  await writeFile(file, after);
}
