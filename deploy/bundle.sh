#!/usr/bin/env bash
# Builds the offline bundle for a closed network: the app at HEAD, every wheel it needs, the Debian packages it
# needs with their dependencies (a local apt repository), and install.sh. Run by `make bundle`.
#   deploy/bundle.sh OUT_DIR "RUN_PACKAGES" "TEST_PACKAGES" [tests]
# With "tests" the bundle also carries the test tools and the test packages, so the SQLite suite runs from it.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=$1 run_packages=$2 test_packages=$3 with_tests=${4:-}

version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)-$(git rev-parse --short HEAD)"
name="baomi-jiancha-${version}"
[ -n "$with_tests" ] && name="${name}-tests"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/$name"
mkdir -p "$root/wheels" "$root/debs" "$out_dir"

echo "bundle: the app at $(git rev-parse --short HEAD)"
git archive --format=tar HEAD | tar -x -C "$root"
cp deploy/install.sh "$root/install.sh"
chmod +x "$root/install.sh"

requirements=requirements.txt packages="$run_packages"
if [ -n "$with_tests" ]; then
  requirements=requirements-dev.txt packages="$run_packages $test_packages make"
  cp -r node_modules "$root/"  # axe-core for the browser tests, as make installed it
fi

echo "bundle: wheels for $requirements (Python $(.venv/bin/python -c 'import platform; print(platform.python_version())'))"
# Built by the venv's own interpreter, Debian's, so every wheel fits the server's Python; sdists become wheels here.
.venv/bin/pip wheel -q --disable-pip-version-check -r "$requirements" -w "$root/wheels"

echo "bundle: Debian packages for: $packages"
# The whole dependency closure, so a minimal Debian 12 needs nothing else; apt installs only what is missing.
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
    $packages | grep -v '^[ <]' | sort -u > "$work/closure"
(cd "$root/debs" && xargs -a "$work/closure" apt-get download -qq -o APT::Sandbox::User="$(id -un)" >/dev/null)
(cd "$root/debs" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null | gzip -9 > Packages.gz)
echo "$packages" | tr ' ' '\n' | sed '/^$/d' > "$root/debs/PACKAGES"

tar -czf "$out_dir/$name.tar.gz.partial" -C "$work" "$name"
mv "$out_dir/$name.tar.gz.partial" "$out_dir/$name.tar.gz"
echo "bundle: $out_dir/$name.tar.gz ($(du -h "$out_dir/$name.tar.gz" | cut -f1)," \
     "$(ls "$root/wheels" | wc -l) wheels, $(ls "$root/debs"/*.deb | wc -l) Debian packages)"
