#!/usr/bin/env bash
# Installs the independent SBOM validators that test/sbom checks kodev's SBOMs
# with, into ~/.cache/kodev/sbom-validators (shared by every clone):
#   venv/       Python with spdx-tools (pyspdxtools, the SPDX project's parser
#               and validator) and cyclonedx-python-lib[json-validation] (the
#               CycloneDX project's library and its bundled JSON schemas);
#   tools-java-*.jar  the SPDX project's reference tools (Verify: the official
#               SPDX 2.3 JSON schema plus semantic checks), from Maven Central.
# Idempotent: a stamp file records the pinned versions and nothing is fetched
# when they match. Tool output goes to a log printed only when a step fails.
set -euo pipefail

dir="$HOME/.cache/kodev/sbom-validators"
pip_pins=(spdx-tools==0.8.5 'cyclonedx-python-lib[json-validation]==11.12.0')
tools_java_version=2.0.1
jar="$dir/tools-java-$tools_java_version-jar-with-dependencies.jar"
log=$(mktemp "${TMPDIR:-/tmp}/install-sbom-validators.XXXXXX")
trap 'rm -f "$log"' EXIT

# Runs a step with its output in the log; on failure prints the log and exits.
quietly() {
  if ! "$@" >>"$log" 2>&1; then
    echo "install-sbom-validators: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

# Installs Debian packages (Java, Maven, venv support) only if a command is missing.
apt_install() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  echo "install-sbom-validators: installing $*"
  quietly "${sudo[@]}" apt-get update -q
  quietly "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l \
    apt-get install -y -q --no-install-recommends "$@"
}

mkdir -p "$dir"

stamp="$dir/venv/.kodev-pins"
if [[ ! -x $dir/venv/bin/python || $(cat "$stamp" 2>/dev/null) != "${pip_pins[*]}" ]]; then
  echo "install-sbom-validators: python venv with ${pip_pins[*]}"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt_install python3 python3-venv
  fi
  rm -rf "$dir/venv"
  quietly python3 -m venv "$dir/venv"
  quietly "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "${pip_pins[@]}"
  echo "${pip_pins[*]}" >"$stamp"
else
  echo "install-sbom-validators: python venv already present (${pip_pins[*]})"
fi

if [[ ! -s $jar ]]; then
  echo "install-sbom-validators: org.spdx:tools-java:$tools_java_version"
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    apt_install default-jre-headless maven
  fi
  # Copied beside the cache, then renamed: an interrupted copy never looks installed.
  rm -rf "$dir/.download"
  quietly mvn -q -B dependency:copy \
    "-Dartifact=org.spdx:tools-java:$tools_java_version:jar:jar-with-dependencies" \
    "-DoutputDirectory=$dir/.download"
  mv "$dir/.download/$(basename "$jar")" "$jar"
  rm -rf "$dir/.download"
else
  echo "install-sbom-validators: tools-java $tools_java_version already present"
fi
