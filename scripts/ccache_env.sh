# Sourced by the build scripts (test.sh, package.sh) from the checkout's root: one ccache
# for every build tree. Cache hits across checkouts in different directories (CI clones
# afresh each time): hash paths relative to the checkout, not the checkout's own
# directory.
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
