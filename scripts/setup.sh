#!/usr/bin/env bash
# Installs the Debian packages DMARCWatch needs to build, test and benchmark, when they are
# missing. Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(
    pkg-config
    libsqlite3-dev
    libcrypt-dev    # libxcrypt: yescrypt password hashes
    libmaxminddb-dev  # country and AS from MMDB files
    chromium        # the browser of the web UI tests
    fonts-noto-cjk  # Japanese glyphs in the browser screenshots
    libxml2-dev
    libssl-dev
    libcurl4-openssl-dev
    libmicrohttpd-dev
    dovecot-imapd   # the IMAP server the mailbox tests start on loopback
    openssl         # certificates for the TLS mailbox tests
    libarchive-dev
    libpsl-dev
    publicsuffix    # the system public suffix list libpsl loads
    dnsmasq-base    # the DNS server the DNS tests start on loopback
    libgmime-3.0-dev
    zlib1g-dev
    libzstd-dev     # zstd: the stored raw bytes of plain documents
    libxml2-utils   # xmllint: the floor of the parse benchmark
    time            # /usr/bin/time: peak memory in the benchmarks
    sqlite3
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (6.3) is not on PATH; install it from swift.org and add its usr/bin to PATH" >&2
    exit 1
fi
