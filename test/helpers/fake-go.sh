#!/bin/sh
# A stand-in for `go` used only by the golden-digest test: `go build -o OUT`
# copies the fixed file $KODEV_FAKE_BINARY to OUT, so the image digest depends
# on kodev alone, not on the Go release that compiled the program. Every other
# go command runs the real toolchain ($KODEV_REAL_GO).
if [ "$1" = "build" ]; then
  out=""
  while [ $# -gt 0 ]; do
    if [ "$1" = "-o" ]; then out="$2"; fi
    shift
  done
  exec cp "$KODEV_FAKE_BINARY" "$out"
fi
exec "$KODEV_REAL_GO" "$@"
