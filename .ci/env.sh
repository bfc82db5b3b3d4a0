# Sourced by .ci/test and .ci/demo: the project's environment in .venv.
#
#   install_env GROUP...   make .venv if needed, then install the package (which builds
#                          the front end: npm ci + esbuild, see hatch_build.py) with the
#                          given dependency groups from pyproject.toml.

install_env() {
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    if [ ! -x .venv/bin/uv ]; then
        # uv installs from PyPI about ten times faster than pip.
        .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --upgrade >/dev/null
        .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
    fi
    local groups=()
    for group in "$@"; do groups+=(--group "$group"); done
    .venv/bin/uv pip install --quiet --python .venv/bin/python -e . "${groups[@]}"
}
