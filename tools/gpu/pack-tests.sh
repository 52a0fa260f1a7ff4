#!/usr/bin/env bash
# Packs the GPU tests for the GPU machine, which has no Java and no Maven (run it here, in the project's root):
#
#   tools/gpu/pack-tests.sh          # builds, then writes .device-tests/ (git-ignored), and .device-java/ if stale
#
# .device-tests/tests.tar.xz holds the compiled test classes with their package resources (classes/) and
# JUnit's console launcher (lib/junit-platform-console-standalone-<version>.jar, the platform version that
# goes with the pom's JUnit, fetched from Maven Central by mvn dependency:copy). Test resources at the
# top of src/test/resources travel with the working tree and are on the class path there as they are.
# The Java runtime and the main classes come from ../shared/tools/device-java (.device-java/); this script
# runs it when .device-java/ is missing or older than the jar it packs.
#
# Then, in the device `run` call: carry [".device-java", ".device-tests"] and run
#   bash tools/gpu/run-tests.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
out=.device-tests

jupiter=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml)
case "$jupiter" in
  5.*) platform="1.${jupiter#5.}" ;;  # JUnit 5.x.y ships platform 1.x.y
  *) platform="$jupiter" ;;           # from JUnit 6 on, the platform has the same version
esac

mvn -B -q -ntp -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mvn -B -q -ntp dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" \
  -DoutputDirectory="$tmp/download"
# Re-stored without compression, so that xz compresses the whole (3.1 MB of deflated jar become 1.3 MB).
console="junit-platform-console-standalone-$platform.jar"
mkdir -p "$tmp/unpacked" "$tmp/lib"
(cd "$tmp/unpacked" && "$JAVA_HOME/bin/jar" xf "$tmp/download/$console")
"$JAVA_HOME/bin/jar" --create --no-compress --file "$tmp/lib/$console" --manifest "$tmp/unpacked/META-INF/MANIFEST.MF" \
  -C "$tmp/unpacked" .
mkdir -p "$tmp/classes"
# Every longlm4j-* module's test classes (the CUDA backend's and the cross-backend tests are longlm4j-cuda's; not
# langchain4j-longlm4j's, which need LangChain4j), and the
# resources that live beside them in packages (kernel sources, fakes); the large top-level resource trees
# (vocab/, golden/) are read from src/test/resources on the device.
for classes in longlm4j-*/target/test-classes; do
  (cd "$classes" && find . -path ./META-INF -prune -o -type f -print | grep -E '^\./dev/|\.class$' \
    | tar cf - -T -) | tar xf - -C "$tmp/classes"
done
rm -rf "$out"
mkdir -p "$out"
tar cf - -C "$tmp" classes lib | xz -9 -T2 > "$out/tests.tar.xz"
echo "$platform" > "$out/junit-platform.version"

jar=target/longlm.jar
if [ ! -f .device-java/app.tar.xz ] || [ "$jar" -nt .device-java/app.tar.xz ]; then
  if [ -d .git ]; then
    LONGLM_DEVICE_JAR="$jar" ../shared/tools/device-java
  else
    # device-java records its folder in .git/info/exclude, which a worktree (where .git is a file) lacks.
    echo "note: .device-java/ is missing or older than $jar; run ../shared/tools/device-java in a full clone" \
      "(not a worktree) and copy its .device-java/ here" >&2
  fi
fi
tracked=$( (git ls-files; git ls-files --others --exclude-standard) | sort -u | tr '\n' '\0' | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
packed=$( (du -cb "$out"/* .device-java/* 2>/dev/null || true) | tail -1 | cut -f1)
echo "wrote $out/: $(du -sh "$out" | cut -f1) (tests + JUnit $platform console); working tree + .device-java + this = $(( (tracked + packed) / 1048576 )) MiB of 64"
