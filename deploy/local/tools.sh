# Debian packages the stack and the tests need, installed when missing (as root, the
# case on the project's machines). Sourced by stack.sh.

# command → the Debian package that provides it
TOOL_PACKAGES=(
  "java:openjdk-17-jre-headless"
  "mvn:maven"
  "psql:postgresql-client"
  "mariadb:mariadb-client"
  "promtool:prometheus"
  "docker-compose:docker-compose"
)

tools_up() {
  local entry missing=()
  for entry in "${TOOL_PACKAGES[@]}"; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say tools "java, mvn, psql, mariadb, promtool and docker-compose found"
    return
  fi
  [ "$(id -u)" = 0 ] || fail tools "missing ${missing[*]}" "sudo apt-get install ${missing[*]}"
  say tools "installing ${missing[*]} (apt-get)"
  apt-get update -qq >/dev/null || fail tools "apt-get update failed" "check the machine's package sources"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$ROOT/.cache/apt.log" 2>&1 || fail tools "apt-get install ${missing[*]} failed" "see $ROOT/.cache/apt.log"
}
