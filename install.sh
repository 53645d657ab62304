#!/bin/sh
# Installs the ccp binary: picks the archive for this OS and CPU, downloads it with the release's
# SHA256SUMS, verifies the checksum, and puts `ccp` into ${CCP_INSTALL_DIR:-~/.local/bin}.
#
#   curl -fsSL https://github.com/ccp-dev/ccp/releases/latest/download/install.sh | sh
#
# CCP_VERSION=0.1.0          a version (without the v) instead of the latest release
# CCP_INSTALL_BASE_URL=URL   a mirror, or a directory served on an air-gapped network, holding
#                            v<version>/<archive> and v<version>/SHA256SUMS as a release has
#                            them. Without CCP_VERSION the version is read from URL/latest, a
#                            file no release publishes: whoever fills the mirror writes the
#                            newest version into it (echo 0.1.0 > latest), or CCP_VERSION is set;
#                            without it, the newest v<version>/ folder in URL/'s listing (a
#                            directory served as python3 -m http.server or nginx autoindex do).
# CCP_INSTALL_DIR=DIR        where to put the binary
# CCP_RELEASES_URL=URL       another releases page laid out as GitHub's (a fork's, or GitHub
#                            Enterprise's): URL/latest redirects to URL/tag/v<version>, and
#                            archives are under URL/download
set -eu

RELEASES="${CCP_RELEASES_URL:-https://github.com/ccp-dev/ccp/releases}"
RELEASES="${RELEASES%/}"
BASE="${CCP_INSTALL_BASE_URL:-$RELEASES/download}"

fail() {
  echo "ccp install: $*" >&2
  exit 1
}

[ -n "${CCP_INSTALL_DIR:-}" ] || [ -n "${HOME:-}" ] ||
  fail "HOME is not set: set CCP_INSTALL_DIR to the directory for ccp"
DIR="${CCP_INSTALL_DIR:-$HOME/.local/bin}"
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac # a relative PATH entry follows every cd
HOME="${HOME:-/nonexistent}" # only looked in for an installed service from here on

command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 ||
  fail "neither curl nor wget is installed: install one of them"

fetch() { # url file
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL "$1" -o "$2" || return 1
  else
    wget -q "$1" -O "$2" || return 1
  fi
}

redirected() { # url: where its redirects end
  if command -v curl >/dev/null 2>&1; then
    curl -fsSLI -o /dev/null -w '%{url_effective}' "$1" || return 1
  else
    # wget shows each answer's headers (GNU and BusyBox alike): the last Location is where it
    # went. A page that does not redirect has none, and no version is found in the answer.
    headers="$(wget -S --spider "$1" 2>&1)" || return 1
    printf '%s\n' "$headers" | tr -d '\r' | awk 'tolower($1) == "location:" { at = $2 } END { print at }'
  fi
}

is_version() { # text: 0.1.0, 1.2.3-rc.1, …; not an error page or an address
  case "$1" in
    "" | [!0-9]* | *[!0-9A-Za-z.+-]*) return 1 ;;
  esac
}

newest_listed() { # a directory listing on stdin: the newest release among its v<version>/ links
  listed="$(tr "\"'" '\n\n' | sed -n 's#^\(.*/\)\{0,1\}v\([0-9][0-9A-Za-z.+-]*\)/$#\2#p' | sort -u)"
  # A pre-release (1.2.0-rc.1) is taken only when the listing holds no release.
  releases="$(printf '%s\n' "$listed" | grep -v -e - || true)"
  [ -z "$releases" ] || listed="$releases"
  printf '%s\n' "$listed" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1
}

case "$(uname -s)" in
  Linux) os=unknown-linux-gnu ;;
  Darwin) os=apple-darwin ;;
  MINGW* | MSYS* | CYGWIN*) os=windows ;; # Git Bash, MSYS2: a zip to unpack, said once known
  *) fail "no ccp binary for $(uname -s); run it from source instead (see README)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) cpu=x86_64 ;;
  aarch64 | arm64) cpu=aarch64 ;;
  *) fail "no ccp binary for the $(uname -m) CPU; run it from source instead (see README)" ;;
esac
# A terminal run under Rosetta reports x86_64 on Apple silicon, where the native build is faster.
if [ "$os" = apple-darwin ] && [ "$cpu" = x86_64 ] &&
  [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
  cpu=aarch64
fi
target="$cpu-$os"

tmp="$(mktemp -d)"
# A trapped signal only runs its action: without the exit the script would carry on, and an
# interrupted step would be reported as a failed download or a bad checksum.
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

version="${CCP_VERSION:-}"
if [ -z "$version" ]; then
  if [ -n "${CCP_INSTALL_BASE_URL:-}" ]; then
    # Releases publish no `latest`: the mirror's keeper writes it, or the user sets CCP_VERSION;
    # a directory served with its listing (python3 -m http.server, nginx autoindex) lists its
    # v<version>/ folders instead.
    # Quiet: a mirror without it is no error while its listing may still name the version.
    if fetch "$BASE/latest" "$tmp/latest" 2>/dev/null; then
      version="$(tr -d ' \r\n' <"$tmp/latest")"
      is_version "${version#v}" ||
        fail "$BASE/latest does not hold a version like 0.1.0; set CCP_VERSION"
    elif fetch "$BASE/" "$tmp/listing" 2>/dev/null && version="$(newest_listed <"$tmp/listing")" &&
      [ -n "$version" ]; then
      :
    else
      fail "cannot read $BASE/latest (not in a release) nor a listing of v<version>/ folders at $BASE/: set CCP_VERSION, or put the version in $BASE/latest"
    fi
  else
    # The releases page redirects /latest to /tag/v<version>.
    url="$(redirected "$RELEASES/latest")" ||
      fail "cannot find the latest release at $RELEASES/latest; set CCP_VERSION"
    version="${url##*/v}"
    is_version "$version" || fail "cannot find the latest release ($url); set CCP_VERSION"
  fi
fi
version="${version#v}"
is_version "$version" || fail "CCP_VERSION=$version is not a version like 0.1.0"
[ "$os" != windows ] || fail "on Windows, download" \
  "$BASE/v$version/ccp-$version-x86_64-pc-windows-msvc.zip and put its ccp.exe on your PATH"
archive="ccp-$version-$target.tar.gz"
# Before the download: a directory ccp cannot be put into (a system one without sudo) is said here
# in words, not by mv after the download.
mkdir -p "$DIR" 2>/dev/null ||
  fail "cannot create $DIR: set CCP_INSTALL_DIR to a directory you may write"
[ -w "$DIR" ] || fail "cannot write to $DIR (as $(id -un 2>/dev/null || id -u)): run as a user" \
  "who may (sudo for a system directory), or set CCP_INSTALL_DIR to a directory you may write"

echo "Downloading ccp $version for $target"
fetch "$BASE/v$version/$archive" "$tmp/$archive" || fail "cannot download $BASE/v$version/$archive"
fetch "$BASE/v$version/SHA256SUMS" "$tmp/SHA256SUMS" ||
  fail "cannot download $BASE/v$version/SHA256SUMS"

expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1 }' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || fail "SHA256SUMS has no line for $archive"
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$tmp/$archive" | awk '{ print $1 }')"
elif command -v shasum >/dev/null 2>&1; then
  actual="$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')"
else
  fail "neither sha256sum nor shasum is installed: cannot check $archive, nothing installed"
fi
[ "$actual" = "$expected" ] ||
  fail "checksum mismatch for $archive (expected $expected, got $actual): nothing installed"

# Unpacked whole into a directory of its own: tar names the member `ccp` or `./ccp` depending on
# how the archive was made, and asking for one name by hand fails on the other.
mkdir "$tmp/unpacked"
tar -xzf "$tmp/$archive" -C "$tmp/unpacked" || fail "cannot unpack $archive"
[ -f "$tmp/unpacked/ccp" ] || fail "the archive does not hold ccp at its top level"
mv "$tmp/unpacked/ccp" "$DIR/ccp.new" || fail "cannot write $DIR/ccp.new: nothing installed"
chmod 755 "$DIR/ccp.new"
# Run where it will live (a /tmp mounted noexec proves nothing) before it replaces a working ccp:
# a glibc build on a musl system (Alpine), or a directory mounted noexec, fails here, not later.
if ! printed="$("$DIR/ccp.new" --version 2>&1)"; then
  rm -f "$DIR/ccp.new"
  hint="run it from source, or use the Docker image (see README)"
  if (ldd --version 2>&1 || true) | grep -qi musl; then
    hint="ccp's Linux builds need glibc and this system uses musl: $hint"
  fi
  fail "the downloaded ccp $version does not run on this machine ($(echo "$printed" | head -n 1)); nothing installed: $hint"
fi
mv "$DIR/ccp.new" "$DIR/ccp"
echo "Installed $DIR/ccp ($printed)"
# A running service keeps the binary it started with: the upgrade reaches it only on a restart.
case "${XDG_CONFIG_HOME:-}" in
  /*) units="$XDG_CONFIG_HOME/systemd/user" ;;
  *) units="$HOME/.config/systemd/user" ;;
esac
runs_this() { grep -qF "$DIR/ccp" "$1" 2>/dev/null; } # a service file that runs this binary
restart=""
if runs_this "$units/ccp.service"; then
  restart="systemctl --user restart ccp"
elif runs_this "$HOME/Library/LaunchAgents/dev.ccp.plist"; then
  restart="launchctl kickstart -k gui/$(id -u)/dev.ccp"
elif runs_this /etc/systemd/system/ccp.service; then
  restart="sudo systemctl restart ccp"
elif runs_this /Library/LaunchDaemons/dev.ccp.plist; then
  restart="sudo launchctl kickstart -k system/dev.ccp"
fi
[ -z "$restart" ] ||
  echo "A ccp service is installed: it runs the old version until it restarts: $restart"
# Another ccp found first (an older install elsewhere) would keep answering to `ccp`.
found="$(command -v ccp 2>/dev/null || true)"
case "$found" in /*) [ "$found" -ef "$DIR/ccp" ] && found="" ;; *) found="" ;; esac
case ":$PATH:" in
  *":$DIR:"*)
    [ -z "$found" ] ||
      echo "Note: $found comes before $DIR in your PATH, so \`ccp\` runs that one: remove it, or put $DIR first"
    ;;
  *)
    # An export typed once lasts one shell: the login shell's own file keeps it for the next.
    case "${SHELL:-}" in
      */fish) echo "Add it to your PATH: fish_add_path $DIR" ;;
      *)
        case "${SHELL:-}" in
          */zsh) profile="~/.zshrc" ;;
          */bash) profile="~/.bashrc" ;;
          *) profile="~/.profile" ;;
        esac
        echo "Add it to your PATH (in $profile for new shells, and in this one): export PATH=\"$DIR:\$PATH\""
        ;;
    esac
    [ -z "$found" ] || echo "(until then \`ccp\` runs $found)"
    ;;
esac
