#!/usr/bin/env bash
# Builds one static sretop for x86_64 Linux (musl libc, rustls: no OpenSSL, no glibc), checks
# that it is static and that it runs with nothing else around it (in an empty chroot when
# run as root), and prints where it is.
#
#   scripts/build-static.sh            # -> target/x86_64-unknown-linux-musl/release/sretop
#
# Needs: rustup (for the musl standard library) and musl-gcc (Debian: musl-tools; ring's C
# parts are compiled with it). Both are installed when missing and possible.
#
# Copy it to a jump host and run it there, no Rust or libraries needed:
#   scp target/x86_64-unknown-linux-musl/release/sretop jump:~/bin/
#   ssh -t jump '~/bin/sretop --prometheus http://prometheus:9090'
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target=x86_64-unknown-linux-musl
say() { echo "build-static: $*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    say "adding the $target standard library (rustup target add)"
    rustup target add "$target"
fi
if ! command -v musl-gcc >/dev/null; then
    say "installing musl-tools (musl-gcc)"
    sudo=()
    [[ $(id -u) -ne 0 ]] && sudo=(sudo)
    "${sudo[@]}" apt-get install -y -q --no-install-recommends musl-tools >/dev/null
fi

cd "$root"
# Both binaries: the demo exporter too, so the soak test can run the static pair.
CC_x86_64_unknown_linux_musl=musl-gcc cargo build --release --locked --target "$target" --bins
bin="${CARGO_TARGET_DIR:-$root/target}/$target/release/sretop"

# Static: no program interpreter, no shared libraries.
if readelf -l "$bin" | grep -q 'Requesting program interpreter'; then
    say "FAIL: $bin asks for a dynamic loader"
    exit 1
fi
if readelf -d "$bin" 2>/dev/null | grep -q NEEDED; then
    say "FAIL: $bin needs shared libraries:"
    readelf -d "$bin" | grep NEEDED >&2
    exit 1
fi

# Runs with nothing else: an empty root holding only the binary (as root), else in place.
if [[ $(id -u) -eq 0 ]] && command -v chroot >/dev/null; then
    jail="$(mktemp -d)"
    trap 'rm -rf "$jail"' EXIT
    cp "$bin" "$jail/sretop"
    version="$(chroot "$jail" /sretop --version)"
    # A whole poll and frame without a terminal (config, TLS-capable client, a refused
    # connection shown on screen): the binary needs nothing from the host.
    printf 'sources: [{name: x, url: "http://127.0.0.1:9"}]\nservices: [{name: api}]\n' >"$jail/c.yaml"
    frame="$(chroot "$jail" /sretop --config /c.yaml --log-file /log snapshot --width 80 --height 24)"
    if ! grep -q "refused" <<<"$frame"; then
        say "FAIL: the static binary's frame does not show the refused connection:"
        echo "$frame" >&2
        exit 1
    fi
    say "runs in an empty chroot: $version"
else
    say "runs: $("$bin" --version)"
fi
size=$(stat -c %s "$bin")
say "static binary: $bin ($((size / 1024)) KiB)"
echo "$bin"
