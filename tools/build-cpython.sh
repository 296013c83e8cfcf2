#!/usr/bin/env bash
# Builds CPython 3.13.5 twice from Debian trixie's source package: free-threaded
# (--disable-gil) and with the GIL, the same version both ways so single-thread cost compares
# like for like. Each goes to ~/.cache/gilsim/cpython/<version>[t] ($XDG_CACHE_HOME in place of
# ~/.cache when set), where `gilsim interpreters` finds them, and is reused when it is already
# there. Prints the two interpreters' paths.
#
# The deb-src entry is derived from this machine's own apt .sources file (the suite changed to
# trixie) and used through apt options pointing at private directories, so the machine's own
# package lists stay as they are and no registry address is written here.
set -euo pipefail

version=3.13.5
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gilsim
root=$cache/cpython
mkdir -p "$root"

works() { [ -x "$1" ] && "$1" -c 'import sys' 2>/dev/null; }

need=no
works "$root/${version}t/bin/python3.13t" || need=yes
works "$root/$version/bin/python3.13" || need=yes

if [ "$need" = yes ]; then
    tarball=$root/src/python3.13_$version.orig.tar.xz
    if [ ! -s "$tarball" ]; then
        apt_dir=$root/apt
        rm -rf "$apt_dir"
        mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$root/src"
        source_file=$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)
        if [ -z "$source_file" ]; then
            echo "build-cpython: no apt .sources file in /etc/apt/sources.list.d to derive a deb-src entry from" >&2
            exit 1
        fi
        # The first stanza (the main archive), as a deb-src entry for trixie.
        awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1' "$source_file" \
            | sed -e 's/^Types:.*/Types: deb-src/' -e 's/^Suites:.*/Suites: trixie/' \
            > "$apt_dir/sources/trixie-src.sources"
        apt_opts=(-o "Dir::Etc::SourceParts=$apt_dir/sources" -o "Dir::Etc::SourceList=/dev/null"
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
            -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
        echo "build-cpython: fetching the python3.13 source package (trixie)" >&2
        apt-get "${apt_opts[@]}" -q update >&2
        (cd "$root/src" && apt-get "${apt_opts[@]}" -q source --download-only python3.13 >&2)
        found=$(ls "$root"/src/python3.13_"$version".orig.tar.* 2>/dev/null | head -1 || true)
        if [ -z "$found" ]; then
            echo "build-cpython: the source package holds no python3.13_$version.orig tarball" >&2
            exit 1
        fi
        tarball=$found
    fi
    for kind in t ""; do
        prefix=$root/$version$kind
        binary=$prefix/bin/python3.13$kind
        works "$binary" && continue
        build=$root/build$kind
        rm -rf "$build" "$prefix"
        mkdir -p "$build"
        tar -xf "$tarball" -C "$build" --strip-components 1
        flags=(--enable-shared "--prefix=$prefix" "LDFLAGS=-Wl,-rpath,$prefix/lib")
        [ "$kind" = t ] && flags+=(--disable-gil)
        echo "build-cpython: building $version$kind into $prefix" >&2
        start=$(date +%s)
        (cd "$build" && ./configure -q "${flags[@]}" && make -s -j"$(nproc)" && make -s install) \
            >"$root/build$kind.log" 2>&1 || {
            echo "build-cpython: building $version$kind failed (log: $root/build$kind.log)" >&2
            exit 1
        }
        rm -rf "$build"
        echo "build-cpython: $version$kind built in $(( $(date +%s) - start )) s" >&2
    done
fi
echo "$root/${version}t/bin/python3.13t"
echo "$root/$version/bin/python3.13"
